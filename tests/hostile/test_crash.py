"""Crash tests with default durability: 0 acknowledged pages lost, everyone resumes.

PostgreSQL (its own throw-away server, fsync on) is stopped with ``pg_ctl stop -m
immediate`` or its postmaster killed with SIGKILL in the middle of a burst of 50
respondents answering in parallel; each respondent retries with the same submission
key until the store answers again.  A SQLite writer process is killed with SIGKILL
mid-commit.  Three trials each; the acknowledged and stored counts of every trial are
printed (run with ``-s`` to see them).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from analysis.errors import AllianceSurveyError
from instruments.fieldwork.invitations import create_invitations, create_study
from instruments.store import ResponseStore
from instruments.store.localpg import PostgresUnavailable, start_server
from instruments.store.models import Invitation, PageSubmission
from tests.store.fake_instrument import FakeInstrument, full_response

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
N = 50
PAGES = list(full_response(0))


@pytest.fixture(scope="module")
def server():  # noqa: ANN201
    try:
        srv = start_server()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    shown = subprocess.run(
        srv._cmd(str(srv.bindir / "psql"), "-h", "127.0.0.1", "-p", str(srv.port), "-U",
                 "postgres", "-Atc", "SHOW fsync; SHOW synchronous_commit;"),
        capture_output=True, text=True, check=True)
    assert shown.stdout.split() == ["on", "on"]  # default durability
    yield srv
    srv.stop()
    shutil.rmtree(srv.root, ignore_errors=True)


def _stored_keys(url: str) -> set[str]:
    with ResponseStore(url, instrument=FakeInstrument()) as store, store.session() as s:
        return set(s.scalars(select(PageSubmission.submission_key)))


def _completed(url: str) -> int:
    with ResponseStore(url, instrument=FakeInstrument()) as store, store.session() as s:
        return len(s.scalars(select(Invitation.id).where(Invitation.status == "completed")).all())


def _burst(url: str, tokens: list[str], acked: list[str], lock: threading.Lock,
           deadline: float) -> list[BaseException]:
    """50 respondents in parallel, each retrying a failed page with the same key."""
    store = ResponseStore(url, instrument=FakeInstrument())
    errors: list[BaseException] = []

    def respondent(k: int, token: str) -> None:
        answers = full_response(k)
        for page in PAGES:
            key = f"{k}-{page}"
            while True:
                try:
                    if page == PAGES[0]:
                        store.start(token)
                    store.submit_page(token, page, answers[page], submission_key=key)
                    break
                except (AllianceSurveyError, SQLAlchemyError) as exc:
                    if "unavailable" not in type(exc).__name__.lower() and \
                            not isinstance(exc, SQLAlchemyError):
                        errors.append(exc)
                        return
                    if time.monotonic() > deadline:
                        errors.append(exc)
                        return
                    time.sleep(0.2)
            with lock:
                acked.append(key)

    threads = [threading.Thread(target=respondent, args=(k, t)) for k, t in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.dispose()
    return errors


@pytest.mark.parametrize("trial", [1, 2, 3])
@pytest.mark.parametrize("how", ["immediate", "sigkill"])
def test_postgresql_crash_mid_burst(server, how: str, trial: int) -> None:  # noqa: ANN001
    url = server.create_database(f"crash_{how}_{trial}")
    with ResponseStore(url, instrument=FakeInstrument()) as store:
        create_study(store, "crash")
        tokens = [inv.token for inv in create_invitations(store, "crash", N)]
    acked: list[str] = []
    lock = threading.Lock()
    out: list[list[BaseException]] = []
    runner = threading.Thread(target=lambda: out.append(
        _burst(url, tokens, acked, lock, time.monotonic() + 120)))
    runner.start()
    while len(acked) < N and runner.is_alive():  # crash in the middle of the burst
        time.sleep(0.01)
    if how == "immediate":
        assert server.crash().returncode == 0
    else:
        pid = server.pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
    with lock:
        at_crash = list(acked)
    time.sleep(1.0)
    assert server.start_again().returncode == 0, server.log()
    stored_after_restart = _stored_keys(url)
    lost_at_crash = set(at_crash) - stored_after_restart
    runner.join(timeout=180)
    errors = out[0] if out else ["burst did not finish"]
    stored = _stored_keys(url)
    print(f"\nPostgreSQL {how} trial {trial}: acknowledged before the crash {len(at_crash)}, "
          f"of them stored after restart {len(set(at_crash) & stored_after_restart)}; "
          f"acknowledged in all {len(acked)}, stored {len(stored)}, "
          f"completed {_completed(url)}/{N}")
    assert not lost_at_crash
    assert not errors, errors[:3]
    assert set(acked) <= stored and len(acked) == N * len(PAGES)
    assert _completed(url) == N  # everyone resumed and finished


@pytest.mark.parametrize("trial", [1, 2, 3])
def test_sqlite_writer_killed_mid_commit(tmp_path: Path, trial: int) -> None:
    url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    with ResponseStore(url, instrument=FakeInstrument()) as store:
        create_study(store, "crash")
        tokens = [inv.token for inv in create_invitations(store, "crash", N)]
    token_file = tmp_path / "tokens.txt"
    token_file.write_text("\n".join(tokens))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "tests.hostile._crash_worker", url, str(token_file)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    acked: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:  # kill after a varying number of acknowledged pages
        acked.append(line.split()[1])
        if len(acked) >= 20 + 15 * trial:
            proc.send_signal(signal.SIGKILL)
            break
    acked += [line.split()[1] for line in proc.stdout if line.startswith("ack")]
    proc.wait(timeout=60)
    stored = _stored_keys(url)
    print(f"\nSQLite SIGKILL trial {trial}: acknowledged {len(acked)}, of them stored "
          f"{len(set(acked) & stored)}, stored in all {len(stored)}")
    assert set(acked) <= stored
    import sqlite3

    with sqlite3.connect(tmp_path / "crash.sqlite") as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # everyone resumes: a new writer finishes every respondent
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _completed(url) == N
