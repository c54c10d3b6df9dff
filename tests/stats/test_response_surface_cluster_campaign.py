"""The cluster-robust (CR1) and HC3 response-surface regression against R's sandwich.

Thirty generated studies (``tests/reference/regression_cluster/make_reference.R``): alliances
of one to three rows, rows without an alliance id, missing values and 0-2 controls.  H2 is
tested this way when both partners of an alliance answer; the formula written out in
``tests/test_regression.py`` is checked here against ``sandwich::vcovCL(type = "HC1")``
with t tests on G - 1 df, and the default HC3 against ``sandwich::vcovHC(type = "HC3")``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.stats.regression import response_surface

REF = json.loads((Path(__file__).parents[1] / "reference" / "regression_cluster"
                  / "cases.json").read_text())
CASES = REF["cases"]
#: R's term names for the package's
TERMS = {"(Intercept)": "(Intercept)", "x": "x", "y": "y", "x2_": "x^2", "xy": "x*y",
         "y2_": "y^2"}
KEYS = ("estimate", "se", "t", "pvalue", "ci_lower", "ci_upper")


def _frame(case: dict) -> pd.DataFrame:
    d = pd.DataFrame(case["data"])
    for col in d.columns:
        if col != "cl":
            d[col] = pd.to_numeric(d[col], errors="coerce")
    d["cl"] = d["cl"].astype(object).where(d["cl"].notna(), None)
    return d


def _check(ours: pd.DataFrame, ref: dict, key: str) -> None:
    for k in KEYS:
        np.testing.assert_allclose(ours[k].to_numpy(dtype=float), np.asarray(ref[k], dtype=float),
                                   rtol=1e-7, atol=1e-10, err_msg=f"{key}: {k}")


@pytest.mark.parametrize("case", CASES, ids=[str(c["seed"]) for c in CASES])
def test_cr1_and_hc3_match_sandwich(case: dict) -> None:
    d = _frame(case)
    controls = list(case["controls"])
    for kind, kwargs in (("cr1", {"cluster": "cl"}), ("hc3", {"cov_type": "HC3"})):
        res = response_surface(d, "z", "x1", "x2", controls=controls, **kwargs)
        ref = case[kind]
        assert res.n == case["n_used"]
        assert res.center == pytest.approx(case["center"], rel=1e-12)
        assert res.r2 == pytest.approx(case["r2"], rel=1e-9)
        if kind == "cr1":
            assert res.n_clusters == case["n_clusters"]
        coef = res.coefficients.set_index("term")
        terms = [TERMS.get(t, t) for t in ref["coefficients"]["term"]]
        _check(coef.loc[terms].reset_index(), ref["coefficients"], f"{kind} coefficients")
        surf = res.surface.set_index("parameter")
        for name in ("a1", "a2", "a3", "a4", "a5"):
            for k in KEYS:
                assert surf.loc[name, k] == pytest.approx(ref["surface"][name][k], rel=1e-7,
                                                          abs=1e-10), f"{kind} {name} {k}"


def test_the_campaign_covers_what_it_claims() -> None:
    """Lonely rows, alliances of three, missing values and controls all occur."""
    lonely = sum(int(pd.DataFrame(c["data"])["cl"].isna().sum() > 0) for c in CASES)
    dropped = sum(int(c["n_used"] < len(pd.DataFrame(c["data"]))) for c in CASES)
    triples = sum(int((pd.DataFrame(c["data"])["cl"].value_counts() == 3).any()) for c in CASES)
    with_controls = sum(int(len(c["controls"]) > 0) for c in CASES)
    assert min(lonely, dropped, triples, with_controls) >= 5, (lonely, dropped, triples,
                                                                with_controls)
