"""Alembic environment: runs the revisions on the connection handed over by
:func:`instruments.store.migrate.upgrade` (no ``alembic.ini``, no URL here)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from instruments.store.models import Base

# Arbitrary constant key of the PostgreSQL advisory lock that serialises concurrent upgrades.
_PG_LOCK_KEY = 7_310_427_515


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover
    raise RuntimeError("Offline (SQL script) migrations are not supported; run upgrade() instead.")
run_migrations_online()
