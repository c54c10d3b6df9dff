"""analysis.blas: the BLAS thread limit of the pipeline and the cores Gamma may use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info

from analysis.blas import blas_threads, usable_cores
from analysis.sem.ordinal import ordinal_sample_stats


def _blas_threads_now() -> set[int]:
    return {d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"}


def test_limit_applies_inside_and_is_restored():
    before = _blas_threads_now()
    with blas_threads(1):
        assert _blas_threads_now() == {1}
        with blas_threads(2):
            assert _blas_threads_now() == {2}
        assert _blas_threads_now() == {1}
    assert _blas_threads_now() == before
    with blas_threads(None):
        assert _blas_threads_now() == before


def test_usable_cores_is_positive():
    assert 1 <= usable_cores() <= (__import__("os").cpu_count() or 1)


def test_gamma_is_the_same_with_any_number_of_threads():
    rng = np.random.default_rng(8)
    y = rng.normal(size=(3000, 1)) * 0.7 + rng.normal(size=(3000, 12)) * 0.7
    data = pd.DataFrame(np.digitize(y, [-1.0, -0.3, 0.4, 1.1]) + 1,
                        columns=[f"i{j}" for j in range(12)])
    names = list(data.columns)
    one = ordinal_sample_stats(data, names, gamma_threads=1)
    with blas_threads(1):
        many = ordinal_sample_stats(data, names, gamma_threads=max(2, usable_cores()))
        assert _blas_threads_now() == {1}  # restored after the accumulation
    np.testing.assert_allclose(many.gamma, one.gamma, rtol=1e-12, atol=1e-15)


def test_analyze_study_runs_with_one_blas_thread(monkeypatch):
    import analysis.study.pipeline as study

    seen = []

    def fake(data, **kwargs):
        seen.append(_blas_threads_now())
        return {"n": len(data)}

    monkeypatch.setattr(study, "_analyze_study", fake)
    before = _blas_threads_now()
    out = study.analyze_study(pd.DataFrame({"a": [1, 2]}), measurement=False)
    assert out == {"n": 2}
    assert seen == [{1}]
    assert _blas_threads_now() == before


def test_overlapping_limits_form_one_stack():
    """Limits of different users form one process-wide stack: the latest open one applies
    and the original setting returns when the last one ends, whatever the order of
    exits (as for two sessions of one Streamlit server)."""
    from analysis import blas

    before = _blas_threads_now()
    first, second = blas_threads(1), blas_threads(2)
    first.__enter__()
    second.__enter__()
    assert _blas_threads_now() == {2}
    first.__exit__(None, None, None)      # the first user ends before the second
    assert _blas_threads_now() == {2} and len(blas._ACTIVE) == 1
    second.__exit__(None, None, None)
    assert _blas_threads_now() == before and blas._ACTIVE == []


def test_limit_is_restored_after_an_exception():
    before = _blas_threads_now()
    try:
        with blas_threads(1):
            raise ValueError("boom")
    except ValueError:
        pass
    assert _blas_threads_now() == before


def test_the_libraries_are_found_once_and_still_obeyed():
    from analysis import blas

    with blas_threads(1):
        first = list(blas._blas_controllers())
    assert first  # numpy's BLAS is found
    before = _blas_threads_now()
    for limit in (1, 2, 1):
        with blas_threads(limit):
            assert blas._blas_controllers() == first  # the same objects, not found again
            assert _blas_threads_now() == {limit}
    assert _blas_threads_now() == before


@pytest.mark.skipif(usable_cores() < 2, reason="one core: every BLAS runs one thread anyway")
def test_the_limit_reaches_scipys_own_blas_loaded_later():
    # SciPy bundles an OpenBLAS of its own, loaded with scipy.linalg.  A process that
    # entered the limit before importing SciPy (the CLI does) ran all of SciPy's LAPACK
    # calls with every core, in each of the pipeline's processes at once.
    code = (
        "import numpy\n"
        "from analysis.blas import blas_threads\n"
        "with blas_threads(1):\n"
        "    import scipy.linalg\n"
        "    from threadpoolctl import threadpool_info\n"
        "    print(max(i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "1"
