"""The common-method checks against lavaan 0.6.14 on 24 generated studies.

References: tests/reference/method_variance_campaign/make_reference.R, which generates the
data (8 kinds of 3: no, equal, unequal and strong method effects; 2-4 traits of 3-5 items
and a marker of 2-4 items; continuous or seven-point items; complete, 8 % missing at
random under FIML, and pairs of respondents with the robust tests clustered; ML and MLR)
and fits every model of the CFA marker technique (Williams, Hartman & Cavazotte 2010) and
of the ULMC in lavaan.

Compared for every case: each model's convergence, chi-square, df, scaled statistic, robust
(or plain) CFI, TLI, RMSEA and SRMR; lavaan's properness check against ours (ours also
calls a standardized loading beyond 1 improper, so an improper lavaan solution must be
improper here too); the three difference tests (Satorra-Bentler 2001 scaled under MLR, as
lavTestLRT(method = "satorra.bentler.2001"), the likelihood-ratio difference under ML);
the model chosen and the two decisions (method variance present, trait correlations
biased) against the declared rule applied to lavaan's p values; the standardized marker
loadings; the ULMC's two fits, its difference test and its method loadings (up to the
method factor's sign).  A decision whose lavaan p value lies within .002 of .05 is not
compared (it would turn on the fourth decimal).

What the campaign found: from its default start, the engine's Fisher scoring ran a
residual variance of 4 of the 18 ULMC method models that lavaan fits off to minus infinity
(equal_ml_3: F = 0.15530 after 300 iterations and still falling slowly, lavaan's proper
minimum 0.153134, which ours keeps when started there), and the study reported the check
as not estimable.  Now an end that did not converge gets the quasi-Newton path from the
same start (analysis/sem/ml._quasi_newton_path, fiml.fit_normal's second path), which
reaches lavaan's minimum in three of them; the fourth is ULMC_NOT_REACHED.  Every CFA
marker sequence agreed with lavaan before and after.

Where lavaan is wrong: equal_ml_2's ULMC, where lavaan stops at chi-square 93.41 with
latent correlations far beyond 1 (eigenvalues of cov.lv 302 and -301, no standard
errors); ours reaches a proper minimum at 85.50.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.stats.method_variance import cfa_marker, ulmc
from tests.parity import CHISQ_RTOL, EST_ATOL, EST_RTOL, FIT_ATOL, assert_close

HERE = Path(__file__).parent / "reference" / "method_variance_campaign"
CASES = sorted(p.stem for p in HERE.glob("*.json"))
#: one case of each kind runs in CI; the other two under -m slow
CI_CASES = [c for c in CASES if c.endswith("_1")]
ALPHA = 0.05
#: lavaan p values this close to alpha decide nothing here
EDGE = 0.002
#: scaled differences: a ratio of differences of statistics and traces
DIFF_RTOL = 5e-3
P_ATOL = 2e-3


def _ref(case: str) -> dict[str, Any]:
    return json.loads((HERE / f"{case}.json").read_text(encoding="utf-8"))


@cache
def _ours(case: str) -> tuple[Any, Any]:
    ref = _ref(case)
    data = pd.read_csv(HERE / "data" / f"{case}.csv")
    missing = "ml" if ref["missing"] == "ml" else "listwise"
    marker = cfa_marker(ref["traits"], ref["marker_items"], data, estimator=ref["estimator"],
                        missing=missing, cluster=ref["cluster"])
    u = ulmc(ref["traits"], data, estimator=ref["estimator"], missing=missing,
             cluster=ref["cluster"])
    return marker, u


def _params(cases: list[str]) -> list[Any]:
    return [c if c in CI_CASES else pytest.param(c, marks=pytest.mark.slow) for c in cases]


def _fit_keys(robust: bool) -> tuple[list[str], list[str]]:
    """(chi-square keys, index keys) compared for the estimator."""
    if robust:
        return ["chisq", "chisq_scaled"], ["cfi_robust", "tli_robust", "rmsea_robust", "srmr"]
    return ["chisq"], ["cfi", "tli", "rmsea", "srmr"]


def _compare_fit(ours: pd.Series | dict, want: dict, robust: bool, what: str) -> None:
    chis, indices = _fit_keys(robust)
    assert float(ours["df"]) == want["df"], f"{what}: df {ours['df']} vs {want['df']}"
    for key in chis:
        assert_close(float(ours[key]), want[key], atol=1e-6, rtol=CHISQ_RTOL,
                     what=f"{what} {key}")
    for key in indices:
        assert_close(float(ours[key]), want[key], atol=FIT_ATOL, what=f"{what} {key}")


@pytest.mark.parametrize("case", _params(CASES))
def test_cfa_marker_models_match_lavaan(case: str) -> None:
    ref, (res, _) = _ref(case), _ours(case)
    robust = ref["estimator"] == "MLR"
    models = res.models.set_index("model")
    assert list(models.index) == ["CFA", "Baseline", "Method-C", "Method-U", "Method-R"]
    for name, want in ref["models"].items():
        row = models.loc[name]
        assert bool(row["converged"]) == bool(want["converged"]), f"{case} {name} converged"
        if not want["converged"]:
            continue
        _compare_fit(row, want, robust, f"{case} {name}")
        if not want["post_check"]:
            assert not bool(row["proper"]), f"{case} {name}: lavaan's solution is improper"


@pytest.mark.parametrize("case", _params(CASES))
def test_cfa_marker_comparisons_and_decisions_match_lavaan(case: str) -> None:
    ref, (res, _) = _ref(case), _ours(case)
    if abs(ref["equal_pvalue"] - ALPHA) > EDGE:
        assert res.chosen == ref["chosen"], case
    else:  # pragma: no cover - no generated case lies there
        pytest.skip("Method-C vs Method-U at alpha")
    comp = res.comparisons.set_index("test")
    for test, want in ref["comparisons"].items():
        row = comp.loc[test]
        assert (row["restricted"], row["general"]) == (want["restricted"], want["general"])
        if want["chisq_diff"] is None:
            assert not res.proper, f"{case} {test}: lavaan has no test, ours is proper"
            continue
        assert float(row["df_diff"]) == want["df_diff"], f"{case} {test} df"
        assert_close(float(row["chisq_diff"]), want["chisq_diff"], atol=2e-3, rtol=DIFF_RTOL,
                     what=f"{case} {test} chisq difference")
        assert_close(float(row["pvalue"]), want["pvalue"], atol=P_ATOL,
                     what=f"{case} {test} p")
    proper = all(m["converged"] and m["post_check"] for m in ref["models"].values())
    if not proper:
        assert res.method_present is None and res.biased is None, case
        return
    assert res.proper, f"{case}: every lavaan model is proper, ours says {res.problems}"
    for flag, test in ((res.method_present, "method variance"),
                       (res.biased, "bias in trait correlations")):
        p = ref["comparisons"][test]["pvalue"]
        if abs(p - ALPHA) > EDGE:
            assert flag is (p < ALPHA), f"{case} {test}: lavaan p = {p:.4f}, ours {flag}"


@pytest.mark.parametrize("case", _params(CASES))
def test_cfa_marker_loadings_match_lavaan(case: str) -> None:
    ref, (res, _) = _ref(case), _ours(case)
    want = pd.Series(ref["marker_loadings"]["std_all"], index=ref["marker_loadings"]["item"],
                     dtype=float)
    got = res.method_loadings.set_index("item")["std_marker"]
    assert sorted(got.index) == sorted(want.index)
    assert_close(got.loc[want.index].to_numpy(), want.to_numpy(), atol=EST_ATOL,
                 rtol=EST_RTOL, what=f"{case} standardized marker loadings")
    if res.proper:
        assert res.mean_method_share == pytest.approx(float((want**2).mean()), abs=2e-3)
    else:
        assert np.isnan(res.mean_method_share)


#: lavaan converges to a proper method model; ours reports no convergence (so the check
#: "not estimable"): weakly identified equal method effects with clustered pairs, where
#: BFGS from the start needs about 4,000 iterations to come near the minimum and scoring
#: from there converges only linearly
ULMC_NOT_REACHED = {"equal_mlr_cluster_1"}


def _ulmc_params(cases: list[str]) -> list[Any]:
    out = []
    for p in _params(cases):
        case = p if isinstance(p, str) else p.values[0]
        marks = [] if isinstance(p, str) else list(p.marks)
        if case in ULMC_NOT_REACHED:
            marks.append(pytest.mark.xfail(strict=True, reason="ULMC not reached (see "
                                           "ULMC_NOT_REACHED)"))
        out.append(pytest.param(case, marks=marks) if marks else case)
    return out


@pytest.mark.parametrize("case", _ulmc_params(CASES))
def test_ulmc_matches_lavaan(case: str) -> None:
    ref, (_, u) = _ref(case), _ours(case)
    robust = ref["estimator"] == "MLR"
    want = ref["ulmc"]
    fit = u.fit.set_index("model")
    assert bool(fit.loc["traits", "converged"]) and want["traits"]["converged"]
    _compare_fit(fit.loc["traits"], want["traits"], robust, f"{case} ULMC traits")
    converged = bool(fit.loc["traits_method", "converged"])
    lav = want["traits_method"]
    if not lav["converged"] or not lav["post_check"]:
        if u.proper:
            # ours is proper where lavaan's is not: only at a lower minimum (equal_ml_2)
            assert lav["converged"] and float(fit.loc["traits_method", "chisq"]) \
                < lav["chisq"] - 1e-3, f"{case}: lavaan's ULMC is improper, ours is proper"
            return
        # lavaan did not converge or its solution is improper (a runaway negative variance
        # that its optimizer stopped on, where ours may run on): no method share either way
        assert np.isnan(u.mean_method_share)
        if not (converged and lav["converged"]):
            return
    assert converged, f"{case}: lavaan's ULMC converged, ours did not"
    _compare_fit(fit.loc["traits_method"], want["traits_method"], robust,
                 f"{case} ULMC traits + method")
    assert float(fit.loc["traits_method", "delta_df"]) == want["delta"]["df_diff"]
    assert_close(float(fit.loc["traits_method", "delta_chisq"]), want["delta"]["chisq_diff"],
                 atol=2e-3, rtol=DIFF_RTOL, what=f"{case} ULMC difference")
    assert_close(float(fit.loc["traits_method", "delta_pvalue"]), want["delta"]["pvalue"],
                 atol=P_ATOL, what=f"{case} ULMC p")
    method = pd.Series(want["method_loadings"]["std_all"],
                       index=want["method_loadings"]["item"], dtype=float)
    ours = u.loadings.drop_duplicates("item").set_index("item")["method_loading"]
    ours = ours.loc[method.index].astype(float)
    sign = np.sign(float(ours @ method)) or 1.0  # the method factor's sign is arbitrary
    assert_close(sign * ours.to_numpy(), method.to_numpy(), atol=EST_ATOL, rtol=EST_RTOL,
                 what=f"{case} ULMC method loadings")


def test_campaign_covers_every_kind() -> None:
    """The fixtures are all there (8 kinds of 3) and CI runs one case of each kind."""
    kinds = {c.rsplit("_", 1)[0] for c in CASES}
    assert len(CASES) == 24 and len(kinds) == 8
    assert {c.rsplit("_", 1)[0] for c in CI_CASES} == kinds


def test_a_runaway_method_model_reaches_lavaans_minimum() -> None:
    """equal_ml_3 in CI: from the default start Fisher scoring ran a residual variance off
    to minus infinity (F = 0.15530 after 300 iterations, still falling slowly) and the
    ULMC was 'not estimable'; the quasi-Newton path from the same start reaches lavaan's
    proper minimum (chi-square 67.99, p = .205)."""
    ref, (_, u) = _ref("equal_ml_3"), _ours("equal_ml_3")
    fit = u.fit.set_index("model").loc["traits_method"]
    assert bool(fit["converged"]) and u.proper
    assert_close(float(fit["chisq"]), ref["ulmc"]["traits_method"]["chisq"], atol=1e-6,
                 rtol=CHISQ_RTOL, what="equal_ml_3 ULMC chisq")
    assert_close(float(fit["delta_pvalue"]), ref["ulmc"]["delta"]["pvalue"], atol=P_ATOL,
                 what="equal_ml_3 ULMC p")
