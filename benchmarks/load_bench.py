"""Survey load: concurrent respondents walking the questionnaire against the response store.

``run(backend, n_respondents)``: one thread per respondent opens its link
(``ResponseStore.start``) and submits every page of the real instrument in order with
valid answers (consent given, screening passed, attention checks right); each
``submit_page`` is timed (page-commit latency).  Afterwards the database is checked:
exactly one ``page_submissions`` row per acknowledged page, the acknowledged number of
answers, no item stored twice in one submission, every respondent completed.

``fault_test(n_respondents)`` (PostgreSQL): writers run in separate processes and log every
acknowledged page (after ``submit_page`` returned) to a file; midway one writer process is
killed with SIGKILL (possibly inside a commit) and the server is restarted with
``pg_ctl restart``.  Surviving writers retry a failed page with the same submission key
(idempotent).  Then every acknowledged page must be stored exactly once, and the killed
writer's respondents resume from ``state(token).current_page`` and complete.

PostgreSQL is a throw-away server (``instruments/store/localpg.py``: Debian's binaries, run as the
``postgres`` user when root).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

_PLAN_CACHE: dict[str, Any] = {}


def _answers_for(store: Any, rng: random.Random) -> dict[str, dict[str, Any]]:
    """A valid answer for every field of every page (like the survey bot)."""
    inst = store.instrument
    checks = {c.id: c for c in inst.attention_checks}
    plan: dict[str, dict[str, Any]] = {}
    given: dict[str, Any] = {}
    for spec in store.pages:
        page: dict[str, Any] = {}
        for f in spec.fields:
            if f.id == inst.consent.question:
                page[f.id] = int(inst.consent.accept_value)
            elif f.id == inst.screening.question:
                page[f.id] = max(f.codes) if f.codes else 7
            elif f.id in checks:
                page[f.id] = int(checks[f.id].correct[0])
            elif f.kind == "coded":
                page[f.id] = rng.choice(f.codes)
            elif f.kind == "boolean":
                page[f.id] = True
            elif f.kind == "integer":
                lo = int(f.min) if f.min is not None else 0
                hi = int(f.max) if f.max is not None else lo + 10
                page[f.id] = rng.randint(lo, min(hi, lo + 10))
            elif f.kind == "number":
                lo = float(f.min) if f.min is not None else 0.0
                page[f.id] = lo + rng.randint(1, 20) / 2
            elif not f.required:
                page[f.id] = "fine"
        # what the survey logic hides from this respondent stays unanswered (the store
        # refuses answers to it), as in the live survey
        for fid in spec.hidden(given):
            page.pop(fid, None)
        given.update(page)
        plan[spec.id] = page
    return plan


def _retrying(fn: Any, retries: int) -> Any:
    """``fn()``, retried after a lost database connection (server restart)."""
    from sqlalchemy.exc import DBAPIError

    for attempt in range(retries + 1):
        try:
            return fn()
        except DBAPIError as exc:
            if attempt == retries or not (exc.connection_invalidated
                                          or "OperationalError" in type(exc.orig).__name__
                                          or "AdminShutdown" in type(exc.orig).__name__):
                raise
            time.sleep(0.5)
    return None  # pragma: no cover


def _walk(store: Any, token: str, seed: int, lat: list[float], acked: list, start_page: int = 0,
          log: Any = None, retries: int = 0) -> None:
    _retrying(lambda: store.start(token), retries)
    plan = _answers_for(store, random.Random(seed))
    pages = list(plan)
    for k in range(start_page, len(pages)):
        page = pages[k]
        key = f"{token[:12]}-{page}"
        t = time.perf_counter()
        res = _retrying(lambda page=page, key=key: store.submit_page(
            token, page, plan[page], submission_key=key), retries)
        lat.append(time.perf_counter() - t)
        n = sum(v is not None for v in plan[page].values())
        acked.append((token, page, key, n, res.duplicate))
        if log is not None:
            log.write(json.dumps([token, page, key, n]) + "\n")
            log.flush()


def _verify(store: Any, acked: list[tuple], tokens: list[str]) -> dict[str, Any]:
    from sqlalchemy import func, select

    from instruments.store.models import Answer, PageSubmission

    with store.session() as s:
        rows = s.execute(select(PageSubmission.submission_key, PageSubmission.id)).all()
        dup_items = s.execute(
            select(Answer.submission_id, Answer.item_id, func.count())
            .group_by(Answer.submission_id, Answer.item_id).having(func.count() > 1)).all()
        n_answers = s.scalar(select(func.count()).select_from(Answer))
    keys: dict[str, int] = {}
    for key, _id in rows:
        keys[key] = keys.get(key, 0) + 1
    first = {(a[2]): a for a in acked if not a[4]}
    lost = [k for k in first if keys.get(k, 0) == 0]
    twice = [k for k, c in keys.items() if c > 1]
    expected_answers = sum(a[3] for a in first.values())
    completed = sum(_started(store, t) and store.state(t).completed for t in tokens)
    return {"acknowledged_pages": len(first), "stored_pages": len(rows), "lost_pages": len(lost),
            "duplicated_pages": len(twice), "duplicated_items": len(dup_items),
            "stored_answers": int(n_answers), "acknowledged_answers": int(expected_answers),
            "completed": int(completed), "respondents": len(tokens)}


def _percentiles(lat: list[float]) -> dict[str, float]:
    a = np.asarray(lat) * 1000.0
    return {f"p{q}_ms": float(np.percentile(a, q)) for q in (50, 90, 99)} | {
        "max_ms": float(a.max())}


def run(url: str, n_respondents: int = 50) -> dict[str, Any]:
    """``n_respondents`` threads walking the questionnaire at once against ``url``."""
    from instruments.fieldwork.invitations import create_invitations, create_study
    from instruments.store import ResponseStore
    from instruments.store.responses import settle_heap

    store = ResponseStore(url)
    settle_heap()  # as the app does when it opens its store (streamlit_app.get_store)
    create_study(store, "load")
    tokens = [i.token for i in create_invitations(store, "load", n=n_respondents)]
    lat: list[float] = []
    acked: list[tuple] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(n_respondents)

    def one(k: int, token: str) -> None:
        try:
            barrier.wait()
            _walk(store, token, k, lat, acked)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(k, t)) for k, t in enumerate(tokens)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    out = {"respondents": n_respondents, "pages": len(lat), "seconds": wall,
           "pages_per_s": len(lat) / wall, "errors": [repr(e) for e in errors[:3]]}
    out |= _percentiles(lat)
    out["check"] = _verify(store, acked, tokens)
    store.dispose()
    return out


def _writer(url: str, jobs: list[tuple[int, str]], log_path: str, delay: float) -> None:
    """Writer process: walks its respondents one after the other, logging acknowledgements."""
    from instruments.store import ResponseStore

    store = ResponseStore(url, migrate=False)
    with open(log_path, "a", encoding="utf-8") as log:
        for k, token in jobs:
            lat: list[float] = []
            acked: list = []
            state = _retrying(lambda token=token: store.state(token), 120) \
                if _retrying(lambda token=token: _started(store, token), 120) else None
            start = state.current_page if state is not None else 0
            _walk(store, token, k, lat, acked, start_page=start, log=log, retries=120)
            time.sleep(delay)
    store.dispose()


def _started(store: Any, token: str) -> bool:
    from analysis.errors import ResponseError

    try:
        store.state(token)
    except ResponseError:
        return False
    return True


def fault_test(n_respondents: int = 50, n_writers: int = 5) -> dict[str, Any]:
    """SIGKILL a writer mid-run and restart PostgreSQL; nothing acknowledged may be lost."""
    from instruments.fieldwork.invitations import create_invitations, create_study
    from instruments.store import ResponseStore
    from instruments.store.localpg import start_server

    server = start_server()
    try:
        url = server.create_database("fault")
        store = ResponseStore(url)
        create_study(store, "fault")
        tokens = [i.token for i in create_invitations(store, "fault", n=n_respondents)]
        tmp = Path(tempfile.mkdtemp(prefix="fault-"))
        jobs = [[(k, t) for k, t in enumerate(tokens)][w::n_writers] for w in range(n_writers)]
        ctx = multiprocessing.get_context("spawn")
        procs = []
        for w in range(n_writers):
            p = ctx.Process(target=_writer, args=(url, jobs[w], str(tmp / f"w{w}.log"), 0.05))
            p.start()
            procs.append(p)
        # let them write, then kill writer 0 in the middle of its work
        victim_log = tmp / "w0.log"
        t0 = time.perf_counter()
        while (not victim_log.exists() or victim_log.read_text().count("\n") < 8) \
                and time.perf_counter() - t0 < 120:
            time.sleep(0.01)
        os.kill(procs[0].pid, signal.SIGKILL)
        killed_at = victim_log.read_text().count("\n")
        time.sleep(0.3)
        restart = server.restart()
        for p in procs[1:]:
            p.join(timeout=600)
        survivors_ok = all(p.exitcode == 0 for p in procs[1:])
        acked = []
        for w in range(n_writers):
            path = tmp / f"w{w}.log"
            if path.exists():
                for line in path.read_text().splitlines():
                    try:
                        tok, page, key, n = json.loads(line)
                    except ValueError:  # a line cut by SIGKILL is not an acknowledgement
                        continue
                    acked.append((tok, page, key, n, False))
        store.dispose()
        store = ResponseStore(url, migrate=False)
        before = _verify(store, acked, tokens)
        # the killed writer's respondents resume where the store says they are
        _writer(url, jobs[0], str(victim_log), 0.0)
        acked_after = []
        for w in range(n_writers):
            for line in (tmp / f"w{w}.log").read_text().splitlines():
                try:
                    tok, page, key, n = json.loads(line)
                except ValueError:
                    continue
                acked_after.append((tok, page, key, n, False))
        after = _verify(store, acked_after, tokens)
        store.dispose()
        return {"writers": n_writers, "respondents": n_respondents,
                "victim_pages_acknowledged_before_kill": killed_at,
                "pg_restart_rc": restart.returncode, "survivors_ok": survivors_ok,
                "after_faults": before, "after_resume": after}
    finally:
        server.stop()


def run_all(n_respondents: int = 50, with_pg: bool = True, fault: bool = True) -> dict[str, Any]:
    """SQLite and PostgreSQL load runs and the fault test."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out["sqlite"] = run(f"sqlite:///{Path(tmp) / 'load.sqlite'}", n_respondents)
    if with_pg:
        from instruments.store.localpg import PostgresUnavailable, start_server

        try:
            server = start_server()
        except PostgresUnavailable as exc:
            out["postgresql"] = {"skipped": str(exc)[:200]}
            return out
        try:
            out["postgresql"] = run(server.create_database("load"), n_respondents)
        finally:
            server.stop()
        if fault:
            out["fault"] = fault_test(n_respondents)
    return out


if __name__ == "__main__":
    print(json.dumps(run_all(), indent=2))
