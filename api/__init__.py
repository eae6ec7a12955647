"""Interfaces and use cases: the Typer CLI, the REST service and the services they call."""
