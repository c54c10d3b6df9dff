"""Alembic migration scripts of the response store (run through :mod:`instruments.store.migrate`)."""
