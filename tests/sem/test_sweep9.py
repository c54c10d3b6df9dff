"""Ninth parity sweep: a generated campaign, public data no sweep had used, standardized
and normalized residuals, and modification indices after WLSMV.

References: tests/reference/sem_sweep9/make_reference.R (lavaan 0.6.14), which lists every
case: 48 random models drawn there (2-5 factors of 3-6 items, reverse-keyed markers,
cross-loadings, residual covariances, regressions among factors, N 80-800; ML, MLR, FIML
with ML and MLR, WLSMV with 3-7 categories, 2-3 groups with equal loadings, intercepts or
thresholds), 24 more with observed fixed.x covariates, labels, equal labelled loadings,
``:=``, std.lv, meanstructure, orthogonal factors and group.equal on intercepts,
residuals, lv.variances, regressions with group.partial, and 17 fits of public data (LifeCycleSavings, psych's Garcia, quakes,
USArrests, longley, freeny, trees, stackloss).  Compared with lavaan: estimates and SEs,
std.all and its SEs, fitMeasures() in full, residuals(type = "raw" / "standardized" /
"normalized") and modindices().  The default suite compares every case but the slowest
FIML ones (``-m slow`` adds them).  What the sweep found, pinned here:

* a variable named twice in one formula (``f1 =~ y1 + y2 + y3 + y3``, which the
  generator wrote for three cases) was refused ("given twice"); lavaan, whose formula
  terms are R's, makes it one parameter (the first modifier of each kind wins), and so
  does the parser now; the same element in two formulas stays an error in both;
* modification indices of models whose fixed.x covariates take part in regressions
  (LifeCycleSavings, stackloss, freeny, quakes: ``pop15 ~ sr`` 0.150 here, 0.074 in
  lavaan) used the gradient with the covariates' moments left out: lavaan leaves them out
  of the information only.  Regressions of one covariate on another and the covariates'
  own (co)variances are candidates too (lavaan lists them with indices of about 1e-30;
  their sepc.all is 0 for a variance and NaN for a covariance, as lavaan's);
* ``residuals(fit, type = "standardized")`` and ``"normalized"`` (complete data, FIML,
  WLSMV) were not offered: ``SEMResult.residuals("standardized")`` and
  ``("normalized")`` now compute them as lavaan (analysis/sem/residuals.py);
* modification indices after WLSMV were refused: now computed as lavaan (the DWLS
  gradient with lavaan's group weights (N_g - 1) / N, the expected information
  ``Delta' W Delta``; the delta parameterization's fixed scaling factors ``y ~*~ y`` are
  candidates), also on the eighth sweep's WLSMV fixtures (mixed, theta, pairwise,
  multigroup, bounds).

Where lavaan is wrong, or ours differs on purpose (README, known differences):

* LifeCycleSavings (dpi's variance is 962,185, pop75's 1.6): lavaan's baseline model keeps
  pop15's and pop75's variances at 82.088 and 2.354 instead of the sample's 82.079 and
  1.633, so its baseline chi-square is 55.32 against the independence model's 24.24 (ours,
  and lavaan's with fixed.x = FALSE or with dpi in thousands), and CFI, TLI, NFI, ... differ;
* longley (variances from 11 to 1.2e4): lavaan's standardized residuals are almost the
  normalized ones (GNP-Year -0.0009) because its generalized inverse of the model's
  information drops directions below 1.5e-8 of the largest; on z-scores (the same
  standardized residuals in exact arithmetic) lavaan gives -3.607, as ours on either scale;
* a polychoric correlation whose likelihood is flat (a 3 x 2 table with two empty cells;
  two such pairs in each of the generated cases 21 and 29): every value below about -0.93
  is a maximum; lavaan's nlminb stops at -0.902, ours at -0.942.  The DWLS weight of that correlation is about 0, so the
  estimates, SEs and tests agree; the residual-based SRMR/RMR/CRMR do not (0.1579 against
  0.1543);
* a residual below 1e-5 is returned undivided by lavaan; where a residual's SE is about 0
  (the residual is 0 up to rounding, e.g. a variance reproduced exactly), lavaan's ratio of
  two rounding errors (-2.8e9) is not compared.
"""

from __future__ import annotations

import math
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, ModelSpecificationError
from analysis.sem import cfa, sem
from analysis.sem.ordinal import polychoric
from analysis.sem.syntax import parse_model
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    REFERENCE_DIR,
    assert_close,
    load_reference,
)
from tests.parity import (
    r_options as _kwargs,
)
from tests.sem._sweep_checks import (
    BASELINE_FAMILY,
    compare_estimates,
    compare_fit,
    compare_modindices,
    compare_residuals,
    compare_standardized,
)

REF = REFERENCE_DIR / "sem_sweep9"
FRONT_DOORS = {"sem": sem, "cfa": cfa}
ALL = sorted(p.stem for p in REF.glob("*.json"))
# lavaan refuses: a category without answers in one group (ours refuses too, below)
REFUSED = [n for n in ALL if "error" in load_reference(f"sem_sweep9/{n}.json")]
# lavaan did not converge (ours: see test_where_lavaan_did_not_converge)
UNCONVERGED = [n for n in ALL if n not in REFUSED
               and not load_reference(f"sem_sweep9/{n}.json")["converged"]]
# made for one comparison only (test_lavaan_baseline_of_badly_scaled_fixed_x_covariates):
# with fixed.x = FALSE and dpi's variance of 962,185 lavaan cannot invert the information
# (no SEs, no modification indices)
BASELINE_ONLY = {"p_lcs_path_ml_free_x"}
CASES = [n for n in ALL if n not in REFUSED and n not in UNCONVERGED and n not in BASELINE_ONLY]
# the default suite: the public data and one or two generated cases of every kind (ML,
# MLR, FIML with ML and MLR, WLSMV, groups with ML, MLR and WLSMV); -m slow runs the rest
_DEFAULT = {"g_09", "g_10", "g_27", "g_20", "g_05", "g_21", "g_37", "g_38", "g_15", "g_48",
            "h_01", "h_08", "h_09", "h_17"}


def _params(slow: set[str] = frozenset()) -> list:
    return [n if (n.startswith("p_") or n in _DEFAULT) and n not in slow
            else pytest.param(n, marks=pytest.mark.slow) for n in CASES]


PARAMS = _params()
# fit measures that differ for a documented reason (module docstring)
_SRMR_FAMILY = {"rmr", "rmr_nomean", "srmr", "srmr_bentler", "srmr_bentler_nomean", "crmr",
                "crmr_nomean", "srmr_mplus", "srmr_mplus_nomean"}
_BASELINE_FAMILY = BASELINE_FAMILY
KNOWN_FIT = {"g_21": _SRMR_FAMILY, "g_29": _SRMR_FAMILY,
             "p_lcs_path_ml": _BASELINE_FAMILY, "p_lcs_path_mlr": _BASELINE_FAMILY}
KNOWN_Z = {("p_longley_cfa", "standardized")}
# the flat polychoric correlations (module docstring): their residuals are not compared
KNOWN_CELLS = {"g_21": [("y6", "y9"), ("y9", "y11")], "g_29": [("y3", "y5"), ("y5", "y10")]}


@cache
def _data(file: str) -> pd.DataFrame:
    return pd.read_csv(REF / "data" / file)


@cache
def _case(name: str):
    ref = load_reference(f"sem_sweep9/{name}.json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = FRONT_DOORS[ref["fun"]](ref["model"], _data(ref["data"]),
                                      **_kwargs(ref["options"]))
    return res, ref


# ---- every output against lavaan ---------------------------------------------------
@pytest.mark.parametrize("name", PARAMS)
def test_estimates_match_lavaan(name):
    res, ref = _case(name)
    compare_estimates(res, ref, name)


# the delta-method SEs of std.all take a numerical Jacobian (about 2 s for a 150-parameter
# WLSMV model): the two largest default cases run with -m slow
_STD_SLOW = {"g_05", "g_48"}


@pytest.mark.parametrize("name", _params(_STD_SLOW))
def test_standardized_solution_matches_lavaan(name):
    res, ref = _case(name)
    compare_standardized(res, ref, name)


@pytest.mark.parametrize("name", PARAMS)
def test_fit_measures_match_lavaan_in_full(name):
    """RMR is in the data's units (longley's variances reach 1.2e4): compared as an index
    (1e-3), not to 0.1 % as a chi-square."""
    res, ref = _case(name)
    compare_fit(res, ref, name, KNOWN_FIT.get(name, set()))


@pytest.mark.parametrize("name", PARAMS)
def test_residuals_match_lavaan(name):
    """raw (relative to the implied SDs), standardized and normalized residuals."""
    res, ref = _case(name)
    compare_residuals(res, ref, name,
                      skip_kinds={k for n, k in KNOWN_Z if n == name},
                      skip_cells=KNOWN_CELLS.get(name, []))


@pytest.mark.parametrize("name", PARAMS)
def test_modification_indices_match_lavaan(name):
    compare_modindices(*_case(name), name)


_S8 = ["f_bfi_wlsmv_2f", "f_bfi_wlsmv_mg", "f_bfi_wlsmv_theta", "f_bfi_wlsmv_pairwise",
       "f_bfi_wlsmv_mixed", "b_wlsmv_load_active", "b_wlsmv_cov_active",
       "b_wlsmv_theta_load", "b_wlsmv_mg_active"]


@pytest.mark.parametrize("name", _S8)
def test_wlsmv_modification_indices_of_the_eighth_sweep(name):
    """The eighth sweep's WLSMV fixtures (bfi items: mixed ordered and continuous, theta,
    pairwise, two groups with equal thresholds and loadings, active bounds)."""
    from tests.sem.test_sweep8 import _case as case8

    compare_modindices(*case8(name), name)


# ---- what the sweep found --------------------------------------------------------------
def test_a_variable_named_twice_in_one_formula_is_one_parameter():
    stmts = parse_model("f1 =~ y1 + 0.3*y3 + a*y3 + b*y3 + y3")
    assert [(s.lhs, s.op, s.rhs) for s in stmts] == [("f1", "=~", "y1"), ("f1", "=~", "y3")]
    assert stmts[1].modifier.fixed == (0.3,) and stmts[1].modifier.label == ("a",)
    res, ref = _case("g_27")  # f1 =~ y1 + y2 + y3 + y4 + y5 + y4
    assert "y4 + y5 + y4" in ref["model"] and res.converged
    assert ((res.params["op"] == "=~") & (res.params["rhs"] == "y4")).sum() == 1
    with pytest.raises(ModelSpecificationError, match="given twice"):
        sem("f1 =~ y1 + y2 + y3\nf1 =~ y3", _data("g_27.csv.gz"))


def test_modification_indices_of_fixed_x_covariates_in_regressions():
    res, ref = _case("p_lcs_path_ml")
    mi = res.modindices().set_index(["lhs", "op", "rhs"])
    assert_close(mi.loc[("pop15", "~", "sr"), "mi"], 0.0737487, atol=1e-5, what="pop15 ~ sr")
    assert_close(mi.loc[("ddpi", "~", "sr"), "mi"], 0.149727, atol=1e-5, what="ddpi ~ sr")
    # covariates on covariates and their (co)variances: listed, about 0
    assert mi.loc[("pop15", "~", "pop75"), "mi"] < 1e-20
    assert mi.loc[("pop15", "~~", "pop15"), "sepc_all"] == 0.0
    assert math.isnan(mi.loc[("pop15", "~~", "pop75"), "sepc_all"])


def test_modification_indices_after_wlsmv():
    res, ref = _case("g_48")  # two groups, equal loadings: scaling factors are candidates
    mi = res.modindices().set_index(["lhs", "op", "rhs", "group"])
    assert_close(mi.loc[("y13", "~*~", "y13", 1), "mi"], 8.76657, atol=1e-3, what="y13 ~*~")
    assert mi.loc[("y13", "~*~", "y13", 1), "sepc_all"] == -1.0
    res, ref = _case("g_37")  # N = 90: lavaan's gradient is (N - 1) / N of the DWLS one
    mi = res.modindices().set_index(["lhs", "op", "rhs"])
    assert_close(mi.loc[("f3", "=~", "y1"), "epc"], 3.98101, atol=1e-3, what="epc")


def test_standardized_and_normalized_residuals():
    res, _ref = _case("p_lcs_path_ml")  # df = 1: every standardized residual is +-sqrt(X2)
    z = res.residuals("standardized")[""]["cov"]
    assert_close(abs(z.loc["sr", "sr"]), 0.387526, atol=1e-5, what="sr")
    assert_close(z.loc["pop15", "pop75"], 0.0, atol=1e-12, what="covariates")
    res, _ref = _case("g_40")  # WLSMV, two groups: thresholds and correlations
    out = res.residuals("normalized")
    assert len(out) == 2 and all(o["th"] is not None for o in out.values())
    with pytest.raises(ModelSpecificationError, match="kind="):
        res.residuals("standardised")


def test_lavaan_baseline_of_badly_scaled_fixed_x_covariates():
    """lavaan's baseline keeps wrong covariate variances when dpi's is 962,185: ours is the
    independence model's, lavaan's own with fixed.x = FALSE or with dpi in thousands."""
    res, ref = _case("p_lcs_path_ml")
    assert_close(ref["fit"]["baseline.chisq"], 55.3169, atol=1e-3, what="lavaan")
    assert_close(res.fit["baseline_chisq"], 24.2428, atol=1e-3, what="ours")
    for other in ("p_lcs_path_ml_k", "p_lcs_path_ml_free_x"):
        _o, oref = _case(other)
        assert_close(res.fit["baseline_chisq"], oref["fit"]["baseline.chisq"], atol=1e-6,
                     rtol=CHISQ_RTOL, what=other)
        assert_close(res.fit["cfi"], oref["fit"]["cfi"], atol=FIT_ATOL, what=other)


def test_standardized_residuals_of_longley_do_not_depend_on_its_scales():
    res, ref = _case("p_longley_cfa")
    zres, zref = _case("p_longley_cfa_z")
    names = zref["resid_standardized"]["groups"][0]["names"]
    want = np.asarray(zref["resid_standardized"]["groups"][0]["cov"], dtype=float)
    for r in (res, zres):
        got = r.residuals("standardized")[""]["cov"].loc[names, names].to_numpy()
        assert_close(got, want, atol=EST_ATOL, rtol=EST_RTOL, what="longley")
    lav_raw = np.asarray(ref["resid_standardized"]["groups"][0]["cov"], dtype=float)
    i, j = names.index("GNP"), names.index("Year")
    assert abs(lav_raw[i, j]) < 0.01 and abs(want[i, j] + 3.607) < 1e-3


def test_flat_polychoric_likelihood():
    res, ref = _case("g_21")
    d = _data("g_21.csv.gz")
    rho = polychoric(d["y6"].to_numpy(), d["y9"].to_numpy())
    lav = np.asarray(ref["resid_raw"]["groups"][0]["cov"], dtype=float)[5, 8]
    implied = res.model.implied(res.x)[0].sigma[5, 8]
    assert_close(rho, -0.94233, atol=1e-4, what="ours")
    assert_close(lav + implied, -0.902, atol=1e-3, what="lavaan")
    assert abs(res.fit["srmr"] - ref["fit"]["srmr"]) > 1e-3


@pytest.mark.parametrize("name", REFUSED)
def test_empty_category_in_a_group_is_refused_as_lavaan_does(name):
    ref = load_reference(f"sem_sweep9/{name}.json")
    assert "some categories of variable" in ref["error"]
    with pytest.raises(DataError, match="categories"):
        _case(name)


@pytest.mark.parametrize("name", [n if n.startswith("p_") else  # the others retry other
                                  pytest.param(n, marks=pytest.mark.slow)  # starts: minutes
                                  for n in UNCONVERGED])
def test_where_lavaan_did_not_converge(name):
    """g_22 does not converge here either; LifeCycleSavings' latent model converges here to
    an improper solution (pop15's residual variance -24.5), and h_04 (from perturbed
    starts) to one with f3's variance at -2.4e-5, each reported as a Heywood case."""
    res, _ref = _case(name)
    if name == "g_22":
        assert not res.converged
        assert np.isnan(res.fit.get("chisq", np.nan))
    else:
        assert res.converged and any("Heywood" in w for w in res.warnings)


def test_case_list_is_what_the_script_makes():
    text = Path(REF / "make_reference.R").read_text(encoding="utf-8")
    assert len([n for n in ALL if n.startswith("g_")]) == 48
    assert len([n for n in ALL if n.startswith("h_")]) == 24
    assert 'Sys.getenv("SWEEP9_N", "48")' in text and 'Sys.getenv("SWEEP9_N2", "24")' in text
    assert all(f'"{n}"' in text for n in ALL if n.startswith("p_"))
