"""Schema migrations of the response store, run programmatically with Alembic.

The migration scripts ship inside the package (``instruments/store/migrations``);
no ``alembic.ini`` is needed.  :func:`upgrade` is called when a store is opened
and by ``alliance-survey invite``/``export``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """Return an Alembic configuration pointing at the packaged migration scripts."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    return cfg


def head_revision() -> str:
    """Return the newest revision id of the packaged migrations."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError("No migration scripts found in the package.")
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (``None`` for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (default: the newest).

    Safe to call concurrently from several processes: SQLite serialises the
    transactions (``BEGIN IMMEDIATE``), PostgreSQL takes an advisory lock.
    """
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def ensure_schema(engine: Engine) -> None:
    """Upgrade the database to the newest revision unless it is there already."""
    if current_revision(engine) != head_revision():
        upgrade(engine)
