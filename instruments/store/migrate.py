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

from analysis.errors import DataError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class SharedDatabaseNotice(UserWarning):
    """The store's tables were added to a database that already held other tables.

    A database shared with other applications is allowed; the notice makes sure that a
    wrong file given by mistake (another program's database) does not go unnoticed.
    """


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
    """Upgrade the database to the newest revision unless it is there already.

    Raises
    ------
    DataError
        Before anything is changed, when the database is at a revision this package does
        not know (a newer alliance-survey wrote it: Alembic's "Can't locate revision" had
        ended every command in an internal error), or when it holds tables but no schema
        version (another program's database, or this package's tables without their
        version: "table studies already exists").
    """
    current = current_revision(engine)
    if current == head_revision():
        return
    url = engine.url.render_as_string(hide_password=True)
    if current is not None and not _known_revision(current):
        raise DataError(
            f"The response store {url} has schema revision {current!r}, which this version "
            "of alliance-survey does not know: a newer version wrote it. Use that version "
            "(or upgrade this package); nothing was changed.")
    if current is None:
        from sqlalchemy import inspect

        import instruments.store  # noqa: F401 - every table module, for the metadata
        from instruments.store.models import Base

        # tables of this package's schema that another program made (a database shared
        # with other applications is fine while their names differ)
        present = set(inspect(engine).get_table_names())
        tables = sorted(present & set(Base.metadata.tables))
        if tables and current_revision(engine) is None:  # not another process' new store
            raise DataError(
                f"The database {url} holds tables ({_names(tables)}) "
                "but no alliance-survey schema version: it is not a response store of this "
                "package (or its version table was lost). Give the store's own file or an "
                "empty database; nothing was changed.")
        others = sorted(present - set(Base.metadata.tables) - {"alembic_version"})
        upgrade(engine)
        if others and current_revision(engine) == head_revision():
            import warnings

            warnings.warn(SharedDatabaseNotice(
                f"The response store's tables were added to {url}, which already held "
                f"other tables ({_names(others)}); if that is not the store's database, "
                "give the right one."), stacklevel=3)
        return
    upgrade(engine)


def _names(tables: list[str]) -> str:
    shown = sorted(tables)[:4]
    return ", ".join(shown) + (f" and {len(tables) - len(shown)} more" if len(tables) > 4 else "")


def _known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of the packaged migrations."""
    from alembic.script.revision import ResolutionError
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except (ResolutionError, CommandError):
        return False
