"""Use cases, one function each: take a session, call the store and the domain, commit once.

A service opens nothing itself (the CLI or the web app hands it a session) and reads no
settings (limits arrive as arguments, requests as the models of `api.requests`), so the
same function serves every interface: the pages, the routes and the commands call these
and never `models` (an import-linter contract). Each runs in one `unit_of_work`, which
commits at its end; a service that calls another runs it inside its own unit of work,
still one transaction.
"""
