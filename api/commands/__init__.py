"""CLI commands, one module per area. Each module has `register(app)`; `api/cli.py`
calls it with one line. Shared plumbing (settings, sessions, error reporting) is in
`api.commands.common`.
"""
