"""Persistence: SQLAlchemy tables, Alembic migrations and the store functions.

`models/` saves domain objects from `matching/` and loads them back; every query lives
in `models.store`. It never imports `api/`.
"""
