"""Database URLs, SQLite pragmas and Alembic migrations."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from analysis.errors import DataError
from instruments.store import (
    DB_ENV_VAR,
    DEFAULT_DB_URL,
    ResponseStore,
    current_revision,
    head_revision,
    make_engine,
    resolve_url,
)
from instruments.store.__main__ import main as store_main
from instruments.store.models import Base


def test_url_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DB_ENV_VAR, raising=False)
    assert resolve_url() == DEFAULT_DB_URL == "sqlite:///data/alliance_survey.sqlite"
    monkeypatch.setenv(DB_ENV_VAR, "postgresql://u@h/db")
    assert resolve_url() == "postgresql+psycopg://u@h/db"
    assert resolve_url("sqlite:///x.sqlite") == "sqlite:///x.sqlite"


def test_default_database_is_created_under_data(tmp_path, monkeypatch, fake_instrument) -> None:  # noqa: ANN001
    monkeypatch.delenv(DB_ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    store = ResponseStore(instrument=fake_instrument)
    assert (tmp_path / "data" / "alliance_survey.sqlite").is_file()
    store.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "mysql://u@h/db", "::bad"])
def test_unusable_urls(url: str) -> None:
    with pytest.raises(DataError):
        make_engine(url)


def test_sqlite_pragmas_on_every_connection(tmp_path) -> None:  # noqa: ANN001
    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    conns = [engine.connect() for _ in range(3)]  # distinct pooled connections
    for conn in conns:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        conn.close()
    engine.dispose()


def test_migrations_match_the_models(store: ResponseStore) -> None:
    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_schema_command(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'cmd.sqlite'}"
    out = io.StringIO()
    with redirect_stdout(out):
        assert store_main(["current", "--db", url]) == 0
        assert store_main(["upgrade", "--db", url]) == 0
    lines = out.getvalue().splitlines()
    assert "revision None" in lines[0] and f"revision {head_revision()}" in lines[1]


def test_missing_postgres_binaries_say_make_test(monkeypatch: pytest.MonkeyPatch) -> None:
    from instruments.store import localpg as pg

    monkeypatch.setattr(pg, "find_bindir", lambda: None)
    with pytest.raises(pg.PostgresUnavailable, match="make test"):
        pg.start_server()


def test_read_only_sessions_do_not_queue_behind_a_writer(tmp_path, fake_instrument) -> None:  # noqa: ANN001
    # a write transaction holds SQLite's write lock (BEGIN IMMEDIATE); a read-only
    # session reads the last commit at once, while a writing session has to wait
    import sqlite3
    import time

    from sqlalchemy import text

    store = ResponseStore(f"sqlite:///{tmp_path / 'r.sqlite'}", instrument=fake_instrument)
    holder = sqlite3.connect(str(tmp_path / "r.sqlite"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        t = time.perf_counter()
        with store.session(read_only=True) as s:
            assert s.execute(text("SELECT count(*) FROM invitations")).scalar() == 0
        assert time.perf_counter() - t < 2.0
        blocked = sqlite3.connect(str(tmp_path / "r.sqlite"), timeout=0.2,
                                  isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            blocked.execute("BEGIN IMMEDIATE")  # what a writing session begins with
        blocked.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        store.dispose()
    # the writing session's BEGIN is IMMEDIATE, the read-only one's deferred
    seen: list[str] = []
    from sqlalchemy import event

    store = ResponseStore(f"sqlite:///{tmp_path / 'r.sqlite'}", instrument=fake_instrument)
    event.listen(store.engine, "before_cursor_execute",
                 lambda conn, cur, stmt, *a: seen.append(stmt))
    with store.session(read_only=True) as s:
        s.execute(text("SELECT 1"))
    with store.session() as s:
        s.execute(text("SELECT 1"))
    store.dispose()
    begins = [st for st in seen if st.startswith("BEGIN")]
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]
