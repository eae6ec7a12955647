"""Use cases, one function each: take a session, call the store and the domain, commit once.

A service opens nothing itself (the CLI or the web app hands it a session) and reads no
settings (limits arrive as arguments), so the same function serves every interface.
"""
