"""Hostile calls of the Python API: arguments of the wrong kind get the package's own
error at once (before any work), not a numpy or pandas exception from the middle of
the analysis."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import AllianceSurveyError, DataError, ModelSpecificationError

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo" / "alliance_demo.csv"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    from analysis.study.datafiles import read_data

    return read_data(DEMO)


def _multiindex(d: pd.DataFrame) -> pd.DataFrame:
    out = d.copy()
    out.columns = pd.MultiIndex.from_tuples([(c, "answer") for c in d.columns])
    return out


CALLS = [
    # (case, keyword arguments or a data transformation, error class, message part)
    ("multiindex-columns", {"data": _multiindex}, DataError, "MultiIndex"),
    ("bootstrap-text", {"bootstrap": "many"}, ModelSpecificationError, "whole number"),
    ("bootstrap-float", {"bootstrap": 2.5}, ModelSpecificationError, "whole number"),
    ("bootstrap-bool", {"bootstrap": True}, ModelSpecificationError, "whole number"),
    ("seed-negative", {"seed": -1}, ModelSpecificationError, "0 to 4294967295"),
    ("seed-huge", {"seed": 2**40}, ModelSpecificationError, "0 to 4294967295"),
    ("seed-text", {"seed": "x"}, ModelSpecificationError, "0 to 4294967295"),
    ("seed-float", {"seed": 1.5}, ModelSpecificationError, "0 to 4294967295"),
    ("hypotheses-int", {"hypotheses": 5}, ModelSpecificationError, "hypotheses="),
    ("hypotheses-dict", {"hypotheses": {"id": "x"}}, ModelSpecificationError, "hypotheses="),
    ("instrument-text", {"instrument": "questionnaire.yaml"}, DataError, "instrument="),
    ("n-jobs-text", {"n_jobs": "all"}, ModelSpecificationError, "n_jobs="),
    ("alpha-text", {"alpha": "0.05"}, ModelSpecificationError, "alpha="),
]


@pytest.mark.parametrize(("case", "kwargs", "error", "text"), CALLS,
                         ids=[c[0] for c in CALLS])
def test_analyze_study_refuses_wrong_kinds(case: str, kwargs: dict, error: type, text: str,
                                           data: pd.DataFrame) -> None:
    from analysis.study.pipeline import analyze_study

    kwargs = dict(kwargs)
    frame = kwargs.pop("data", lambda d: d)(data)
    with pytest.raises(error) as info:
        analyze_study(frame, measurement=False, latent_model=False, parallel=False,
                      **{"bootstrap": 20, **kwargs})
    assert text in str(info.value)
    assert len(str(info.value)) < 400


def test_test_hypotheses_refuses_text_bootstrap(data: pd.DataFrame) -> None:
    """The lower-level entry point too (it raised int()'s ValueError)."""
    from analysis.study.hypotheses import test_hypotheses

    with pytest.raises(ModelSpecificationError, match="whole number"):
        test_hypotheses(data, bootstrap="many")


def test_local_workers_are_bounded() -> None:
    """``power --workers 100000`` started processes until the machine ran out."""
    from analysis.distributed import make_executor, max_local_workers

    with pytest.raises(AllianceSurveyError, match="at most"):
        make_executor(None, 100_000)
    executor = make_executor(None, max_local_workers())
    assert executor.n_workers == max_local_workers()


def test_scheduler_that_is_no_address() -> None:
    from analysis.distributed import make_executor

    with pytest.raises(AllianceSurveyError, match="Could not connect"):
        make_executor("not an address")


def test_missing_cluster_column_is_a_warning() -> None:
    """A declared ``cluster:`` column that the data lack no longer silently gives SEs
    that treat the rows as independent."""
    from analysis.study.hypotheses import _path_model_clusters, load_hypotheses

    hs = load_hypotheses().model_copy(update={"cluster": "firm_group"})
    warns: list[str] = []
    assert _path_model_clusters(hs, pd.DataFrame({"x": [1.0, 2.0]}), "MLR", warns) is None
    assert len(warns) == 1 and "'firm_group' is not in the data" in warns[0]
