"""Alembic revisions of the response store, oldest first."""
