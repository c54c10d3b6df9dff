"""Many respondents at once: nothing lost, nothing duplicated, no "database is locked"."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from instruments.fieldwork.invitations import create_invitations, create_study
from instruments.store import ResponseStore
from instruments.store.models import Answer, PageSubmission
from tests.store._workers import answer_survey, double_click, process_worker
from tests.store.fake_instrument import ITEM_COLUMNS, FakeInstrument, full_response

N_RESPONDENTS = 20
N_PAGES = len(full_response(0))
N_ANSWERS = sum(len(p) for p in full_response(0).values())


def _check_complete(store: ResponseStore, seeds: dict[str, int]) -> None:
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(PageSubmission)) == len(seeds) * N_PAGES
        assert s.scalar(select(func.count()).select_from(Answer)) == len(seeds) * N_ANSWERS
    wide = store.wide("pilot")
    assert len(wide) == len(seeds)
    for token, seed in seeds.items():
        assert store.state(token).completed
        rid = store.state(token).respondent_id
        row = wide.set_index("respondent_id").loc[rid]
        expected = {k: v for page in full_response(seed).values() for k, v in page.items()}
        for item in ITEM_COLUMNS:
            got = row[item]
            assert got == (expected[item] if item == "comment" else float(expected[item])), item


def test_parallel_threads(store: ResponseStore) -> None:
    create_study(store, "pilot")
    tokens = [i.token for i in create_invitations(store, "pilot", n=N_RESPONDENTS)]
    seeds = {token: seed for seed, token in enumerate(tokens)}
    barrier = threading.Barrier(N_RESPONDENTS)
    with ThreadPoolExecutor(max_workers=N_RESPONDENTS) as pool:
        futures = [pool.submit(answer_survey, store, t, s, barrier) for t, s in seeds.items()]
        new = [f.result(timeout=120) for f in futures]
    assert new == [N_PAGES] * N_RESPONDENTS
    _check_complete(store, seeds)


def test_simultaneous_double_submit_stores_once(store: ResponseStore) -> None:
    create_study(store, "pilot")
    token = create_invitations(store, "pilot")[0].token
    store.start(token)
    barrier = threading.Barrier(8)
    with ThreadPoolExecutor(max_workers=8) as pool:
        dup = list(pool.map(lambda _: double_click(store, token, barrier), range(8)))
    assert sorted(dup) == [False] + [True] * 7
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Answer)) == 1


def test_parallel_processes_sqlite(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'mp.sqlite'}"
    store = ResponseStore(url, instrument=FakeInstrument())
    create_study(store, "pilot")
    tokens = [i.token for i in create_invitations(store, "pilot", n=N_RESPONDENTS)]
    seeds = {token: seed for seed, token in enumerate(tokens)}
    n_proc = 4
    jobs = [(url, list(seeds.items())[k::n_proc]) for k in range(n_proc)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(n_proc) as pool:
        new = pool.map(process_worker, jobs, chunksize=1)
    assert sum(new) == N_RESPONDENTS * N_PAGES
    _check_complete(store, seeds)
    store.dispose()


@pytest.mark.parametrize("n", [N_RESPONDENTS])
def test_first_use_migration_is_race_free(tmp_path, n: int) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'race.sqlite'}"
    barrier = threading.Barrier(n)

    def open_store(_: int) -> str:
        barrier.wait()
        s = ResponseStore(url, instrument=FakeInstrument())
        s.dispose()
        return "ok"

    with ThreadPoolExecutor(max_workers=n) as pool:
        assert list(pool.map(open_store, range(n))) == ["ok"] * n
