"""Tenth parity sweep: random models with the features earlier sweeps covered least, and
public data bundled with R fitted in ways no sweep used.

References: tests/reference/sem_sweep10/make_reference.R (lavaan 0.6.14), which lists every
case: 35 random models drawn there, cycling through second-order factors, equality
constraints by label (with ``b1 == b2`` and ``:=``), WLSMV on items with 2-4 categories
and a rare category (sparse cells), FIML (ML and MLR) with one item 40 % missing, MLR with
``cluster=`` (half with FIML), and three groups of unequal size with ``group.equal``;
crossed with small (60-100), medium and large (2000) N, std.lv, reverse-keyed markers and
single-indicator factors (residual variance fixed at 0 by auto.fix.single, or at a
given value); and 25 fits of public data (lavaan's Demo.growth, FacialBurns and
Demo.twolevel, psych's bfi with its missing values, sat.act and the correlation
matrices Thurstone, Tucker, Holzinger.9 and Harman.political, fitted from sample.cov;
datasets' attitude, swiss, mtcars, airquality, rock and Seatbelts).  Compared as in the
ninth sweep (tests/sem/_sweep_checks.py): estimates and SEs, std.all and its SEs,
fitMeasures() in full, residuals (raw, standardized, normalized) and modindices().

What the sweep found, pinned here:

* modification indices left out the model's own fixed parameters that lie outside
  lavaan's "full" list of candidates: lavaan's ``modindices()`` frees every fixed row
  (``all.free = TRUE``), so a growth model whose indicators are regressed on time-varying
  covariates (Demo.growth, ``t1 ~ c*c1``) lists its fixed loadings (``s =~ t2``: 6.47) and
  the covariates' intercepts (about 1e-31); ours listed 147 of lavaan's 159 candidates.
  Now every fixed row is a candidate (analysis/sem/modindices.py); a marker loading is not
  identified when freed and drops out, as in lavaan;
* WLSMV on items with 2-4 categories and a rare category (r_17, r_24): ours does not find
  lavaan's solution from its default starts (r_24 stops at a local minimum, fmin 0.1618
  against 0.1319, with a Heywood case; r_17 does not converge from any start, lavaan does).
  From lavaan's estimates ours converges to lavaan's fit, so the objective is right; the
  starts (analysis/sem/starts.py) and the Gauss-Newton steps (wls._gauss_newton) are
  being changed by another engineer: pinned as strict xfails.

Where lavaan is wrong, or cannot do it:

* the baseline chi-square of datasets::rock (area's variance 7e6) and Seatbelts (kms'
  8.6e6): lavaan's baseline keeps wrong fixed.x covariate variances (423.05 and 1313.74);
  on z-scores, or with the covariates rescaled, lavaan gives ours (126.91 and 385.12):
  the ninth sweep's LifeCycleSavings quirk; CFI, TLI, ... follow;
* the standardized residuals of rock: lavaan's generalized inverse drops directions of
  the badly scaled information (perm's 0.935; 4.071 on z-scores, as ours on either);
* lavaan cannot compute standardized or normalized residuals with ``cluster=`` (its
  error "requires numeric/complex matrix/vector arguments"): only raw ones are compared;
* sat.act, ``f =~ ACT + SATV + SATQ; f ~ age + gender; SATV ~~ SATQ`` (FIML, MLR):
  lavaan reports convergence at SATV ~~ SATQ = 0.0003 (SE 4049), which is not a minimum:
  the fit function falls further along a ridge to an improper solution (residual
  variances of -3e5); ours reports non-convergence;
* lavaan's -Inf std.all (a latent mean over a zero variance) is null in the fixtures:
  compared as NaN (tests/sem/_sweep_checks.py).
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest

from analysis.sem import cfa, compile_model, growth, sem
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    FIT_ATOL,
    MI_ATOL,
    REFERENCE_DIR,
    assert_close,
    load_reference,
)
from tests.parity import r_options as _kwargs
from tests.sem._sweep_checks import (
    BASELINE_FAMILY,
    CHISQ_LIKE,
    compare_estimates,
    compare_fit,
    compare_modindices,
    compare_residuals,
    compare_standardized,
)

REF = REFERENCE_DIR / "sem_sweep10"
FRONT_DOORS = {"sem": sem, "cfa": cfa, "growth": growth}
ALL = sorted(p.stem for p in REF.glob("*.json"))
REFUSED = [n for n in ALL if "error" in load_reference(f"sem_sweep10/{n}.json")]
UNCONVERGED = [n for n in ALL if n not in REFUSED
               and not load_reference(f"sem_sweep10/{n}.json")["converged"]]
# lavaan's convergence is spurious (module docstring): test_lavaan_stops_on_a_ridge
RIDGE = {"p_satact_fiml_age"}
# ours misses lavaan's solution from its default starts (module docstring)
START_FAILS = {"r_17", "r_24"}
CASES = [n for n in ALL
         if n not in REFUSED and n not in UNCONVERGED and n not in RIDGE | START_FAILS]
# the default suite: every public fit and one or two generated cases of each kind
# (second-order with std.lv, labels with ==, ordinal, FIML with 40 % missing under ML and
# MLR, cluster, three groups); -m slow runs the rest
_DEFAULT = {"r_01_stdlv", "r_02", "r_03", "r_04", "r_05", "r_06", "r_07", "r_16"}
PARAMS = [n if n.startswith("p_") or n in _DEFAULT else pytest.param(n, marks=pytest.mark.slow)
          for n in CASES]
KNOWN_FIT: dict[str, set[str]] = {"p_rock_path": BASELINE_FAMILY,
                                  "p_seatbelts_path": BASELINE_FAMILY}
KNOWN_Z = {"p_rock_path": {"standardized"}}


@cache
def _data(file: str) -> pd.DataFrame:
    return pd.read_csv(REF / "data" / file)


@cache
def _case(name: str):
    ref = load_reference(f"sem_sweep10/{name}.json")
    fun = FRONT_DOORS[ref["fun"]]
    opts = _kwargs(ref["options"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "cov" in ref:  # a correlation matrix with sample.nobs
            S = _data(ref["cov"])
            S.index = S.columns
            res = fun(ref["model"], sample_cov=S, sample_nobs=int(ref["sample_nobs"]), **opts)
        else:
            res = fun(ref["model"], _data(ref["data"]), **opts)
    return res, ref


# ---- every output against lavaan ---------------------------------------------------
@pytest.mark.parametrize("name", PARAMS)
def test_estimates_match_lavaan(name):
    compare_estimates(*_case(name), name)


@pytest.mark.parametrize("name", PARAMS)
def test_standardized_solution_matches_lavaan(name):
    compare_standardized(*_case(name), name)


@pytest.mark.parametrize("name", PARAMS)
def test_fit_measures_match_lavaan_in_full(name):
    res, ref = _case(name)
    compare_fit(res, ref, name, KNOWN_FIT.get(name, set()))


@pytest.mark.parametrize("name", PARAMS)
def test_residuals_match_lavaan(name):
    compare_residuals(*_case(name), name, skip_kinds=KNOWN_Z.get(name, ()))


@pytest.mark.parametrize("name", PARAMS)
def test_modification_indices_match_lavaan(name):
    compare_modindices(*_case(name), name)


@pytest.mark.parametrize("name", UNCONVERGED)
def test_where_lavaan_did_not_converge(name):
    """lavaan's default starts fail on some second-order models with reverse-keyed
    markers at small N; the same model with std.lv = TRUE (an equivalent
    parameterization, written by the script as <name>_stdlv) converges in lavaan, and ours
    converges from its default starts to that fit."""
    res, _ref = _case(name)
    _s, sref = _case(f"{name}_stdlv")
    assert res.converged
    fm = dict(res.fit)
    for key in ("chisq", "df", "cfi", "tli", "rmsea", "srmr", "logl", "bic"):
        val = sref["fit"][key]
        tol = dict(atol=1e-6, rtol=CHISQ_RTOL) if any(t in key for t in CHISQ_LIKE) else dict(
            atol=FIT_ATOL)
        assert_close(fm[key], val, what=f"{name} {key}", **tol)


# ---- what the sweep found --------------------------------------------------------------
def test_fixed_parameters_of_the_model_are_modification_index_candidates():
    """lavaan frees every fixed row: a growth model's fixed loadings and the intercepts of
    covariates that predict indicators are candidates (before: left out)."""
    res, ref = _case("p_dg_tvc_eqres")
    mi = res.modindices().set_index(["lhs", "op", "rhs"])
    assert len(mi) == len(ref["modindices"]["lhs"]) == 159
    assert_close(mi.loc[("s", "=~", "t2"), "mi"], 6.471452, atol=MI_ATOL, what="s =~ t2")
    assert_close(mi.loc[("i", "=~", "t3"), "epc"], -0.0575992, atol=EST_ATOL, what="i =~ t3")
    assert mi.loc[("c1", "~1", ""), "mi"] < 1e-20
    assert ("x1", "~1", "") not in mi.index  # not identified when freed: dropped, as lavaan
    # a marker loading freed is not identified either: not a candidate (lavaan: NA, removed)
    res, _ref = _case("p_fb_latent")
    assert ("distress", "=~", "HADS") not in res.modindices().set_index(
        ["lhs", "op", "rhs"]).index


def _lavaan_start(model, ref) -> np.ndarray:
    lav = pd.DataFrame(ref["params"]).fillna({"rhs": ""}).set_index(
        ["lhs", "op", "rhs", "group"])
    free = model.partable[model.partable["xid"] >= 0].sort_values("xid")
    return np.array([lav.loc[k, "est"] for k in
                     zip(free["lhs"], free["op"], free["rhs"], free["group"], strict=True)])


@pytest.mark.parametrize("name", sorted(START_FAILS))
def test_sparse_ordinal_items_from_lavaan_estimates(name):
    """The DWLS objective is lavaan's: from lavaan's estimates ours stays at its fit."""
    ref = load_reference(f"sem_sweep10/{name}.json")
    data = _data(ref["data"])
    model = compile_model(ref["model"], data, **_kwargs(ref["options"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(data, start=_lavaan_start(model, ref))
    assert res.converged
    assert_close(res.fit["fmin"], ref["fit"]["fmin"], atol=1e-8, rtol=1e-6, what=name)
    compare_estimates(res, ref, name)


@pytest.mark.xfail(strict=True, reason="WLSMV starts / Gauss-Newton steps (starts.py, "
                   "wls._gauss_newton) miss lavaan's solution on sparse 2-4 category items")
@pytest.mark.parametrize("name", sorted(START_FAILS))
def test_sparse_ordinal_items_from_default_starts(name):
    res, ref = _case(name)
    assert res.converged
    assert_close(res.fit["fmin"], ref["fit"]["fmin"], atol=1e-6, rtol=1e-4, what=name)


@pytest.mark.slow  # FIML with MLR retried from six starts: about 30 s
def test_lavaan_stops_on_a_ridge():
    """sat.act: lavaan's "converged" point is not a minimum (module docstring); ours
    reports non-convergence, with missing fit statistics, instead of those numbers."""
    res, ref = _case("p_satact_fiml_age")
    pe = pd.DataFrame(ref["params"]).set_index(["lhs", "op", "rhs"])
    assert ref["converged"] and abs(pe.loc[("SATV", "~~", "SATQ"), "est"]) < 1e-3
    assert pe.loc[("SATV", "~~", "SATQ"), "se"] > 1000
    assert not res.converged and np.isnan(res.fit.get("chisq", np.nan))
