"""The store under a burst, checked for correctness (the speed is measured by
``benchmarks/store_burst_bench.py``), and the notice for a shared database.

- SQLite's write-ahead log is copied into the database file by a thread of the engine
  (``engine.Checkpointer``), not inside the commit that fills the log;
- the first store of a process sets its start-up objects aside from Python's full
  garbage collections (``responses.settle_heap``);
- many respondents saving pages at once still lose and duplicate nothing;
- a store made in a database that already holds other tables says so, once.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest
from sqlalchemy import text

from instruments.store import ResponseStore
from instruments.store import engine as store_engine
from instruments.store.engine import make_engine

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(predicate, seconds: float = 30.0) -> bool:  # noqa: ANN001
    """Poll ``predicate`` until it holds or ``seconds`` pass (a deadline, not a timing)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_sqlite_leaves_its_own_checkpoint_as_a_backstop_only(tmp_path) -> None:  # noqa: ANN001
    engine = make_engine(f"sqlite:///{tmp_path / 'b.sqlite'}")
    try:
        conns = [engine.connect() for _ in range(3)]
        for conn in conns:
            assert (conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
                    == store_engine.SQLITE_WAL_BACKSTOP_PAGES)
            # SQLite's default durability: every commit synced to disk before it returns
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            conn.close()
    finally:
        engine.dispose()


def test_the_engine_copies_the_log_into_the_file_after_enough_commits(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "c.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    copier = store_engine.checkpointer(engine)
    assert copier is not None and copier.runs == 0
    every = store_engine.CHECKPOINT_EVERY_COMMITS
    try:
        with engine.begin() as conn:  # commit 1
            conn.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))
        for k in range(every - 1):  # commits 2 .. every: the last one wakes the thread
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t (k, v) VALUES (:k, :v)"),
                             {"k": k, "v": "x" * 200})
        # reads commit too, but add nothing to the log and wake nothing
        with store_engine.read_only_engine(engine).begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == every - 1
        assert _wait_for(lambda: copier.runs >= 1)
        assert copier.runs == 1
        # the database file alone (without its -wal) now holds every committed row
        alone = tmp_path / "alone.sqlite"
        shutil.copyfile(path, alone)
        with sqlite3.connect(alone) as copy:
            assert copy.execute("SELECT count(*) FROM t").fetchone()[0] == every - 1
        copy.close()
    finally:
        engine.dispose()


_HEAP = r"""
import gc, sys
from instruments.store import ResponseStore
from instruments.store.responses import settle_heap
store = ResponseStore(sys.argv[1])
alone = gc.get_freeze_count()
settle_heap()
once = gc.get_freeze_count()
settle_heap()
print(alone, once, gc.get_freeze_count())
store.dispose()
"""


def test_the_app_sets_its_start_up_heap_aside_once(tmp_path) -> None:  # noqa: ANN001
    # in a process of its own: freezing the heap of the test worker would keep its
    # garbage for the rest of the run.  A store opened by a notebook or a command leaves
    # the garbage collection alone; the app's settle_heap() freezes what is loaded, once.
    out = subprocess.run([sys.executable, "-c", _HEAP, f"sqlite:///{tmp_path / 'g.sqlite'}"],
                         capture_output=True, text=True, check=True, timeout=300, cwd=ROOT)
    alone, once, twice = map(int, out.stdout.split())
    assert alone == 0
    assert once > 1000
    assert twice <= once


_APP = r"""
import gc, sys
before = gc.get_freeze_count()
import streamlit_app
streamlit_app.get_store(sys.argv[1]).dispose()
print(before, gc.get_freeze_count())
"""


def test_the_app_opens_its_store_with_the_heap_set_aside(tmp_path) -> None:  # noqa: ANN001
    out = subprocess.run([sys.executable, "-c", _APP, f"sqlite:///{tmp_path / 'a.sqlite'}"],
                         capture_output=True, text=True, check=True, timeout=300, cwd=ROOT)
    before, after = map(int, out.stdout.split()[-2:])
    assert before == 0
    assert after > 1000


def test_a_burst_of_respondents_loses_and_duplicates_nothing(db_url: str) -> None:
    # 24 respondents open their links at once and save every page of the real
    # questionnaire with no pause (the burst benchmark's walk, smaller)
    from benchmarks import load_bench

    out = load_bench.run(db_url, 24)
    check = out["check"]
    assert out["errors"] == []
    assert check["lost_pages"] == 0 and check["duplicated_pages"] == 0
    assert check["duplicated_items"] == 0
    assert check["stored_pages"] == check["acknowledged_pages"] == out["pages"] > 24 * 5
    assert check["stored_answers"] == check["acknowledged_answers"]
    assert check["completed"] == check["respondents"] == 24


def test_checkpoints_beside_the_writers_lose_nothing(tmp_path, instrument) -> None:  # noqa: ANN001
    # the engine's checkpoints wait for a pause, but SQLite's backstop or a writer that
    # comes during one can meet them: here a thread checkpoints without pause while 12
    # respondents save every page
    from benchmarks import load_bench
    from instruments.fieldwork.invitations import create_invitations, create_study

    url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    store = ResponseStore(url, instrument=instrument)
    copier = store_engine.checkpointer(store.engine)
    assert copier is not None
    create_study(store, "ck")
    tokens = [i.token for i in create_invitations(store, "ck", n=12)]
    lat: list[float] = []
    acked: list = []
    errors: list[BaseException] = []
    done = threading.Event()

    def walk(k: int, token: str) -> None:
        try:
            load_bench._walk(store, token, k, lat, acked)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    def checkpoints() -> None:
        while not done.is_set():
            copier.checkpoint()

    side = threading.Thread(target=checkpoints)
    side.start()
    threads = [threading.Thread(target=walk, args=(k, t)) for k, t in enumerate(tokens)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    done.set()
    side.join()
    assert errors == []
    assert copier.runs >= 2
    check = load_bench._verify(store, acked, tokens)
    assert check["lost_pages"] == 0 and check["duplicated_pages"] == 0
    assert check["stored_answers"] == check["acknowledged_answers"]
    assert check["completed"] == 12
    store.dispose()
    # and the database file alone holds every page once the log is copied
    engine = make_engine(url)
    assert store_engine.checkpointer(engine).checkpoint()
    engine.dispose()
    alone = tmp_path / "alone.sqlite"
    shutil.copyfile(tmp_path / "k.sqlite", alone)
    with sqlite3.connect(alone) as copy:
        assert copy.execute("SELECT count(*) FROM page_submissions").fetchone()[0] == len(acked)
    copy.close()


def test_a_store_added_to_another_programs_database_says_so_once(db_url: str, tmp_path,  # noqa: ANN001
                                                                  fake_instrument) -> None:  # noqa: ANN001
    from sqlalchemy import create_engine

    from instruments.store.migrate import SharedDatabaseNotice

    other = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with other.begin() as conn:
        conn.execute(text("CREATE TABLE other_app_users (id INTEGER)"))
    with pytest.warns(SharedDatabaseNotice, match=r"already held other tables "
                                                  r"\(other_app_users\)") as seen:
        ResponseStore(db_url, instrument=fake_instrument).dispose()
    assert len([w for w in seen if w.category is SharedDatabaseNotice]) == 1
    with other.connect() as conn:  # the store was made beside the other table
        assert conn.execute(text("SELECT COUNT(*) FROM studies")).scalar() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM other_app_users")).scalar() == 0
    other.dispose()
    # opened again, or made in an empty database: no notice
    with warnings.catch_warnings():
        warnings.simplefilter("error", SharedDatabaseNotice)
        ResponseStore(db_url, instrument=fake_instrument).dispose()
        ResponseStore(f"sqlite:///{tmp_path / 'own.sqlite'}",
                      instrument=fake_instrument).dispose()


def test_a_first_visit_holds_the_write_lock_only_to_open_the_respondent(
        tmp_path, fake_instrument) -> None:  # noqa: ANN001
    # on SQLite every writer of the process queues for one lock: a burst of new
    # respondents queued behind reads that need no lock (the check that the link is
    # still usable, then the respondent's state)
    from sqlalchemy import event

    from instruments.fieldwork.invitations import create_invitations, create_study

    store = ResponseStore(f"sqlite:///{tmp_path / 's.sqlite'}", instrument=fake_instrument)
    create_study(store, "first")
    token = create_invitations(store, "first", n=1)[0].token
    statements: list[str] = []

    def seen(conn, cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(" ".join(statement.split()).upper())

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        state = store.start(token)
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert state.current_page == 0 and state.answers == {}
    writes = [k for k, s in enumerate(statements) if s.startswith("BEGIN IMMEDIATE")]
    assert len(writes) == 1, statements
    inside = statements[writes[0] + 1:]
    inside = inside[:next((k for k, s in enumerate(inside) if s.startswith("BEGIN")),
                          len(inside))]
    assert any(s.startswith("INSERT INTO RESPONDENTS") for s in inside)
    assert not any("FROM ANSWERS" in s for s in inside), inside  # the state is read after
    # a second visit reads only
    statements.clear()
    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        store.start(token)
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert not any(s.startswith("BEGIN IMMEDIATE") for s in statements)
    store.dispose()
