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
from instruments.store.engine import SQLITE_BUSY_TIMEOUT_MS
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
        # a session that waited for the lock would wait SQLite's whole busy timeout (and
        # then fail): half of it tells the two apart however busy the machine is
        t = time.perf_counter()
        with store.session(read_only=True) as s:
            assert s.execute(text("SELECT count(*) FROM invitations")).scalar() == 0
        assert time.perf_counter() - t < SQLITE_BUSY_TIMEOUT_MS / 2000
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


def test_writers_of_one_process_never_meet_sqlite_busy(tmp_path) -> None:  # noqa: ANN001
    # With SQLite's busy handler switched off, a writer that found the file locked would
    # fail at once with "database is locked"; the engine's write gate queues the threads
    # before BEGIN IMMEDIATE and opens only after COMMIT, so none of them ever does.
    import threading

    from sqlalchemy import event, text

    engine = make_engine(f"sqlite:///{tmp_path / 'g.sqlite'}")
    event.listen(engine, "connect",
                 lambda dbapi, rec: dbapi.execute("PRAGMA busy_timeout = 0"))  # fmt: skip
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (k INTEGER)"))
    errors: list[BaseException] = []

    def write(k: int) -> None:
        try:
            for j in range(25):
                with engine.begin() as conn:
                    conn.execute(text("INSERT INTO t VALUES (:k)"), {"k": k * 100 + j})
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(DISTINCT k) FROM t")).scalar()
    engine.dispose()
    assert errors == []
    assert n == 8 * 25


def test_write_gate_opens_after_every_ending(tmp_path) -> None:  # noqa: ANN001
    # commit, rollback, an error inside the transaction, and a connection thrown away:
    # each leaves the gate open, so the next writer of the process goes in at once (a
    # gate left shut keeps it waiting SQLite's whole busy timeout: half of it tells the
    # two apart however busy the machine is)
    import time

    from sqlalchemy import text

    engine = make_engine(f"sqlite:///{tmp_path / 'e.sqlite'}")

    def next_write_s() -> float:
        t = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS t (k INTEGER)"))
        return time.perf_counter() - t

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (k INTEGER)"))
    assert next_write_s() < SQLITE_BUSY_TIMEOUT_MS / 2000
    conn = engine.connect()
    conn.execute(text("INSERT INTO t VALUES (1)"))
    conn.rollback()
    conn.close()
    assert next_write_s() < SQLITE_BUSY_TIMEOUT_MS / 2000
    with pytest.raises(ZeroDivisionError), engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (2)"))
        raise ZeroDivisionError
    assert next_write_s() < SQLITE_BUSY_TIMEOUT_MS / 2000
    conn = engine.connect()
    conn.execute(text("INSERT INTO t VALUES (3)"))
    conn.invalidate()
    conn.close()
    assert next_write_s() < SQLITE_BUSY_TIMEOUT_MS / 2000
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    engine.dispose()


def test_postgresql_pool_is_sized_for_the_app_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    from instruments.store.engine import POOL_ENV_VAR, POOL_OVERFLOW, POOL_SIZE

    monkeypatch.delenv(POOL_ENV_VAR, raising=False)
    engine = make_engine("postgresql://survey@localhost:1/db")  # no connection is opened
    assert (engine.pool.size(), engine.pool._max_overflow) == (POOL_SIZE, POOL_OVERFLOW)
    monkeypatch.setenv(POOL_ENV_VAR, "3")
    assert make_engine("postgresql://survey@localhost:1/db").pool.size() == 3
    for bad in ("0", "many"):
        monkeypatch.setenv(POOL_ENV_VAR, bad)
        with pytest.raises(DataError, match=POOL_ENV_VAR):
            make_engine("postgresql://survey@localhost:1/db")
