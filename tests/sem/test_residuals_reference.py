"""``SEMResult.residuals()`` against lavaan's ``residuals(fit, type = "raw" / "cor")``.

The observed side of the residuals is what the estimator fitted, which is not the plain
sample covariance matrix under FIML (the EM estimates of the unrestricted model) or under
WLSMV (polychoric / polyserial correlations and sample thresholds); cases on public data
and a generated campaign of twelve random models (FIML, ordered, mixed).  Fixture and
script: tests/reference/residuals/ (make_residuals.R).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.sem import cfa, sem
from tests.parity import REFERENCE_DIR, RESID_ATOL, assert_close

ROOT = REFERENCE_DIR.parent.parent
REF = REFERENCE_DIR / "residuals" / "residuals.json"
CASES = json.loads(REF.read_text(encoding="utf-8"))


def _groups(ref: dict | list, labels: list[str]) -> list[dict]:
    return [ref[g] for g in labels] if isinstance(ref, dict) else list(ref)


def _fit(case: dict):
    args = dict(case["args"])
    kwargs: dict = {}
    for key in ("estimator", "missing", "group", "meanstructure"):
        if key in args:
            kwargs[key] = args[key]
    if "ordered" in args:
        kwargs["ordered"] = list(np.atleast_1d(args["ordered"]))
    if "group_equal" in args:
        kwargs["group_equal"] = tuple(np.atleast_1d(args["group_equal"]))
    data = pd.read_csv(ROOT / case["data"])
    fit = cfa if "~" not in case["model"].replace("=~", "").replace("~~", "") else sem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(case["model"], data, **kwargs)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_residuals_match_lavaan(case):
    res = _fit(case)
    assert res.converged
    labels = list(case["groups"]) or [""]
    assert list(res.model.groups) == (labels if case["groups"] else [""])
    for kind in ("raw", "cor"):
        ours = res.residuals(kind)
        for label, ref in zip(labels, _groups(case[kind], labels), strict=True):
            got = ours[label if case["groups"] else ""]
            assert list(got["cov"].index) == ref["names"]
            assert_close(got["cov"].to_numpy(), np.asarray(ref["cov"], dtype=float),
                         atol=RESID_ATOL, what=f"{kind} cov residuals, group {label!r}")
            if ref["mean"] is None:
                assert got["mean"] is None
            else:
                assert list(got["mean"].index) == ref["mean"]["names"]
                assert_close(got["mean"].to_numpy(), np.asarray(ref["mean"]["values"]),
                             atol=RESID_ATOL, what=f"{kind} mean residuals, group {label!r}")
            if ref["th"] is None:
                assert got["th"] is None
            else:
                assert list(got["th"].index) == ref["th"]["names"]
                assert_close(got["th"].to_numpy(), np.asarray(ref["th"]["values"]),
                             atol=RESID_ATOL, what=f"{kind} threshold residuals, group {label!r}")


def test_the_fixture_has_residuals_that_are_not_zero():
    """The cases differ from the sample moments: FIML residuals of means, threshold
    residuals under equal thresholds, and correlation residuals of every kind."""
    kinds = {c["id"]: c for c in CASES}
    assert np.abs(np.asarray(kinds["hs_fiml"]["raw"][0]["mean"]["values"])).max() > 1e-3
    eq = kinds["hs_wlsmv_school_equal"]["raw"]
    assert max(np.abs(np.asarray(g["th"]["values"])).max() for g in eq.values()) > 1e-2
    for c in CASES:
        first = _groups(c["raw"], list(c["groups"]))[0]
        assert np.abs(np.asarray(first["cov"], dtype=float)).max() > 1e-2, c["id"]
