"""Executors (analysis.distributed): identical results serially, on processes and on Dask.

Bootstrap and power draw every task's random numbers from its own SeedSequence child and
run with one BLAS thread, so the same seed must give bit-identical results whichever
executor runs them.  The Dask part uses a small LocalCluster (2 worker processes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.distributed import (
    ProcessExecutor,
    SerialExecutor,
    chunks_of,
    make_executor,
)
from analysis.errors import AllianceSurveyError
from analysis.sem import compile_model
from analysis.sem.bootstrap import bootstrap
from analysis.study.power import power_analysis
from tests.parity import REFERENCE_DIR, load_reference

REF = load_reference("sem_boot/poldem_indirect.json")


def _square(payload, chunk):
    return [(i, payload * i) for i in chunk]


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def poldem():
    data = pd.read_csv(REFERENCE_DIR / "data/PoliticalDemocracy.csv")
    return compile_model(REF["model"], data), data


def test_chunks_cover_every_task_once():
    chunks = chunks_of(range(103), n_workers=2, max_chunk=10)
    flat = [i for c in chunks for i in c]
    assert flat == list(range(103))
    assert max(len(c) for c in chunks) <= 10


def test_executors_return_results_sorted_by_task(dask_client):
    from analysis.distributed import DaskExecutor

    expect = [(i, 3 * i) for i in range(37)]
    for ex in (SerialExecutor(), ProcessExecutor(2), DaskExecutor(dask_client)):
        assert ex.map(_square, 3, range(37), max_chunk=5) == expect


def test_make_executor_choices():
    assert isinstance(make_executor(workers=1), SerialExecutor)
    assert isinstance(make_executor(workers=2), ProcessExecutor)
    with pytest.raises(AllianceSurveyError):
        make_executor(workers=0)


def test_bad_scheduler_address_is_a_clear_error():
    pytest.importorskip("dask.distributed")
    from analysis.distributed import DaskExecutor

    with pytest.raises(AllianceSurveyError, match="Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:1", timeout="1s")


def test_bootstrap_identical_serial_processes_dask(poldem, dask_client):
    from analysis.distributed import DaskExecutor

    cm, data = poldem
    a = bootstrap(cm, data, 40, seed=11, executor=SerialExecutor(), progress=False)
    b = bootstrap(cm, data, 40, seed=11, executor=ProcessExecutor(2), progress=False)
    c = bootstrap(cm, data, 40, seed=11, executor=DaskExecutor(dask_client), progress=False)
    d = bootstrap(cm, data, 40, seed=12, executor=SerialExecutor(), progress=False)
    np.testing.assert_array_equal(a.draws, b.draws)
    np.testing.assert_array_equal(a.draws, c.draws)
    assert not np.array_equal(a.draws, d.draws)
    assert a.n_ok == 40


def test_power_identical_serial_processes_dask(dask_client):
    from analysis.distributed import DaskExecutor

    kw = dict(ns=[60], reps=2, seed=5, n_boot=30, progress=False)
    a = power_analysis(executor=SerialExecutor(), **kw)
    b = power_analysis(executor=ProcessExecutor(2), **kw)
    c = power_analysis(executor=DaskExecutor(dask_client), **kw)
    pd.testing.assert_frame_equal(a.replications, b.replications)
    pd.testing.assert_frame_equal(a.replications, c.replications)
    pd.testing.assert_frame_equal(a.table, c.table)
    assert len(a.replications) == 2 * a.table["hypothesis"].nunique()
