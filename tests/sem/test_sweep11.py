"""Eleventh parity sweep: random models aimed at what earlier sweeps may have missed, and
public data bundled with R that no sweep used before.

References: tests/reference/sem_sweep11/make_reference.R (lavaan 0.6.14), which lists every
case: 33 random models cycling through a reverse-keyed FIRST indicator (the marker) under
ML, MLR and WLSMV (items of 2, 3, 5 and 7 categories), a marker loading 0.12-0.25, FIML
with several missingness patterns and respondents with every value missing, two groups of
ordered items (in one case a category unused in group 2, which lavaan refuses),
``group.equal = c("loadings", "intercepts")`` with ``group.partial``, ``std.lv = TRUE``
with correlated residuals, a latent regression on a single-indicator factor, observed
covariates with fixed.x TRUE and FALSE, and near-Heywood one-factor models at N 50-90;
N is 50 in a fifth of them.  And 27 fits of public data (MASS: UScrime, Cars93, biopsy,
Pima, birthwt, survey, crabs, painters, UScereal, hills, cats, nlschools, anorexia,
Boston; datasets: ChickWeight in wide form, Harman23.cor; semTools: datCat, simParcel),
three of them on rescaled data to show where lavaan's numerics fail on the raw scale.
Compared as in the ninth and tenth sweeps (tests/sem/_sweep_checks.py): estimates and SEs,
std.all and its SEs, fitMeasures() in full, residuals and modindices(); here also R² and
whether the solution is flagged as improper exactly when lavaan warns of negative
variances.

What the sweep found and fixed:

* modification indices of a model whose observed covariates have free variances
  (fixed.x = FALSE): lavaan keeps them out of the indicators (its ``ov.x`` does not
  depend on fixed.x) and lists the regression of a covariate on a factor (``x1 ~ f2``);
  ours listed the same cell as a loading ``f2 =~ x1`` (analysis/sem/modindices.py);
* FIML / MLR estimation that ends at an improper solution may sit in the basin of a
  higher local minimum: the ChickWeight growth model (days 0-20, FIML, MLR) ended at
  fmin 3.776 with w0's residual variance -0.23, lavaan at 3.538, proper.  Fisher
  scoring's first long steps cross into that basin; a quasi-Newton path (BFGS) from the
  same start does not.  Now an improper end tries that second path and keeps the lower
  minimum (analysis/sem/fiml._lower_minimum);
* FIML / MLR estimation stopped on a gradient below 1e-9, which is not converged where
  the variances differ by orders of magnitude (birthwt: bwt's variance 4.4e5 next to
  binary covariates): fmin 6e-11 above lavaan's, the variance of bwt 6.7 off, the RMR
  365.95 against 367.42.  Now the Newton decrement decides, as in the ML backend
  (analysis/sem/fiml.estimate).

Where lavaan is wrong or does something else (pinned, with the evidence):

* lavaan's baseline model with fixed.x covariates next to a variable of variance 4.4e5
  (birthwt; the ninth sweep's LifeCycleSavings quirk): 516.81, where bwt in kilograms
  gives ours, 73.29; CFI and TLI follow;
* hills (climb's variance 2.5e6): lavaan cannot invert the information matrix and gives
  no SEs (and no modification indices); with climb in thousands of feet it gives ours;
* birthwt (MLR, fixed.x = FALSE): lavaan's standardized residual of bwt's variance is
  -0.040 on grams and -0.231 on kilograms; ours is -0.231 on either;
* a standardized residual whose variance is 0 up to rounding (group.partial frees the
  loading of an item whose residual is then fitted exactly): lavaan's value is a ratio of
  two rounding errors (1e9 to 1e13), not compared;
* r_30 (std.lv, two negative residual variances whose covariance is free): lavaan's
  ``modindices()`` evaluates the score tests at modified start values (its
  ``lav_start_check_cov`` shrinks the covariance of two negative variances, "starting
  values imply a correlation larger than 1"), not at the estimates.

Found, not fixed (strict xfails):

* two local minima under complete-data ML (UScrime, ``wealth =~ Ineq + Ed + Po1 + Po2 +
  GDP``, N = 47): lavaan's nlminb reaches the lower, improper one (fmin 0.868, Po2's
  residual variance -0.79), ours the higher, proper one from every start it has (1.818).
  From lavaan's estimates ours stays at lavaan's fit; BFGS from ours' own default start
  reaches 0.868 too, the Fisher scoring steps of analysis/sem/ml._scoring do not.  The
  second path above is taken only after an improper end, and this end is proper;
* ordered outcomes regressed on a skewed continuous variable (survey, Age): lavaan drops
  from each polyserial likelihood the cases whose joint density, in the raw units of the
  continuous variable, is below sqrt(.Machine$double.eps) (``lav_bvmix_lik_cache`` sets
  them NA, summed with ``na.rm = TRUE``): the outlying ages.  Its polyserial correlation
  of Exer with Age is -0.0966 where the two-step likelihood of all cases peaks at
  -0.0168.  The polyserial code is in analysis/sem/ordinal.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.errors import AllianceSurveyError
from analysis.sem import cfa, compile_model, growth, sem
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    REFERENCE_DIR,
    assert_close,
    load_reference,
)
from tests.sem._sweep_checks import (
    BASELINE_FAMILY,
    SweepFixtures,
    as_list,
    compare_estimates,
    compare_fit,
    compare_modindices,
    compare_residuals,
    compare_standardized,
    groups_of,
    table_of,
)

REF = REFERENCE_DIR / "sem_sweep11"
FRONT_DOORS = {"sem": sem, "cfa": cfa, "growth": growth}
ALL = sorted(p.stem for p in REF.glob("*.json"))
REFUSED = [n for n in ALL if "error" in load_reference(f"sem_sweep11/{n}.json")]
# two local minima: lavaan reaches the lower one (module docstring)
LOCAL_MINIMA = {"p_uscrime_rev_marker"}
# FIML ending improper: a second, quasi-Newton path from the same start (module docstring)
SECOND_PATH = "p_chick_growth_fiml"
# lavaan's polyserial correlations leave out outlying cases (module docstring)
POLYSERIAL = {"p_survey_exer_ord"}
# lavaan gives no SEs: its information matrix of badly scaled variables is not inverted
NO_SE = {"p_hills_fixedx_false"}
CASES = [n for n in ALL if n not in REFUSED and n not in LOCAL_MINIMA | POLYSERIAL]
KNOWN_FIT: dict[str, set[str]] = {
    # and the RMR in grams: 119.307 against 119.306 (bwt's variance 4.4e5 agrees to 1e-7
    # of its SE, both fits at the same fmin to 16 digits)
    "p_birthwt_path": BASELINE_FAMILY | {"rmr", "rmr_nomean"},
    # a saturated model: the RMR in raw units (climb's variance 2.5e6) is 0.008 against
    # lavaan's 1e-14, 1e-8 of an SE
    "p_hills_fixedx_false": {"rmr", "rmr_nomean"},
}
# residuals lavaan computes with too little precision on the raw scale (module docstring)
KNOWN_CELLS = {"p_birthwt_fixedx_false_mlr": [("bwt", "bwt")]}
# lavaan's modindices() at modified start values (module docstring)
MI_AT_START = {"r_30"}
# the default run: every public fit and two generated cases of each kind; -m slow runs
# the rest (the whole file takes about a minute on one core)
_DEFAULT = {f"r_{i:02d}" for i in range(1, 23)}
PARAMS = [n if n.startswith("p_") or n in _DEFAULT else pytest.param(n, marks=pytest.mark.slow)
          for n in CASES]


FIXTURES = SweepFixtures("sem_sweep11")
_kwargs, _data, _fit, _case = FIXTURES.kwargs, FIXTURES.data, FIXTURES.fit, FIXTURES.case
_as_list, _groups = as_list, groups_of


def _zero_variance_cells(ref: dict) -> list[tuple[str, str]]:
    """Cells whose residual has a variance of 0 up to rounding: lavaan's standardized
    value is a ratio of two rounding errors (1e9 to 1e13), and is not compared."""
    out = []
    want = ref["resid_standardized"].get("groups")
    for w in _groups(want or []):
        big = np.triu(np.abs(np.asarray(w["cov"], dtype=float)) > 1e6)
        out += [(w["names"][i], w["names"][j]) for i, j in zip(*np.nonzero(big), strict=True)]
    return out


# ---- every output against lavaan ---------------------------------------------------
@pytest.mark.parametrize("name", [n for n in PARAMS if getattr(n, "values", [n])[0]
                                  not in NO_SE])
def test_estimates_match_lavaan(name):
    compare_estimates(*_case(name), name)


@pytest.mark.parametrize("name", [n for n in PARAMS if getattr(n, "values", [n])[0]
                                  not in NO_SE])
def test_standardized_solution_matches_lavaan(name):
    compare_standardized(*_case(name), name)


@pytest.mark.parametrize("name", PARAMS)
def test_fit_measures_match_lavaan_in_full(name):
    res, ref = _case(name)
    compare_fit(res, ref, name, KNOWN_FIT.get(name, set()))


@pytest.mark.parametrize("name", PARAMS)
def test_residuals_match_lavaan(name):
    res, ref = _case(name)
    compare_residuals(res, ref, name,
                      skip_cells=_zero_variance_cells(ref) + KNOWN_CELLS.get(name, []))


@pytest.mark.parametrize("name", [n for n in PARAMS if getattr(n, "values", [n])[0]
                                  not in NO_SE | MI_AT_START])
def test_modification_indices_match_lavaan(name):
    compare_modindices(*_case(name), name)


@pytest.mark.parametrize("name", PARAMS)
def test_r2_matches_lavaan(name):
    res, ref = _case(name)
    for g, want in enumerate(_groups(ref["r2"])):
        for var, val in want.items():
            key = var if res.model.n_groups == 1 else (res.model.groups[g], var)
            assert_close(res.r2[key], np.nan if val is None else val, atol=EST_ATOL,
                         rtol=EST_RTOL, what=f"{name} r2 {key}")


@pytest.mark.parametrize("name", PARAMS)
def test_improper_solution_flagged_exactly_when_lavaan_warns(name):
    """lavaan's post-fit check ("some estimated ov/lv variances are negative", "covariance
    matrix of latent variables is not positive definite") against ours."""
    res, ref = _case(name)
    lav = any("variances are negative" in w or "not positive definite" in w
              for w in _as_list(ref["warnings"]))
    ours = any("Heywood" in w or "not positive definite" in w for w in res.warnings)
    assert ours == lav, (_as_list(ref["warnings"]), res.warnings)


@pytest.mark.parametrize("name", REFUSED)
def test_refused_where_lavaan_refuses(name):
    """A category unused in one group of ordered items: lavaan stops ("some categories of
    variable ... are empty in group 2"); ours raises a user error too."""
    ref = load_reference(f"sem_sweep11/{name}.json")
    assert "empty in group" in ref["error"]
    with pytest.raises(AllianceSurveyError, match="(?i)categor"):
        _fit(ref)


# ---- what the sweep found and fixed --------------------------------------------------
def test_covariates_with_free_variances_are_regressed_on_factors_in_modindices():
    """fixed.x = FALSE: a covariate predicted by a factor is the candidate ``x1 ~ f2`` as
    in lavaan (before: the same cell named ``f2 =~ x1``)."""
    res, ref = _case("r_32")
    assert ref["options"]["fixed.x"] is False
    mi = res.modindices().set_index(["lhs", "op", "rhs"])
    lav = pd.DataFrame(ref["modindices"]).set_index(["lhs", "op", "rhs"])
    assert ("x1", "~", "f2") in mi.index and ("f2", "=~", "x1") not in mi.index
    assert_close(mi.loc[("x1", "~", "f2"), "mi"], lav.loc[("x1", "~", "f2"), "mi"],
                 atol=1e-2, rtol=5e-3, what="x1 ~ f2")
    # with FIML too: no loading of a factor on a covariate
    res, _ref = _case("r_10")
    mi = res.modindices()
    assert not ((mi["op"] == "=~") & mi["rhs"].isin(["x1", "x2"])).any()


def test_fiml_convergence_is_scale_free():
    """MLR on birthwt (bwt's variance 4.4e5, binary covariates, fixed.x = FALSE): the fit
    function reaches lavaan's minimum (before: 6e-11 above it, bwt's variance 6.7 off and
    the RMR 365.95 against 367.42)."""
    res, ref = _case("p_birthwt_fixedx_false_mlr")
    assert abs(res.fit["fmin"] - ref["fit"]["fmin"]) < 1e-12
    pe = table_of(ref["params"]).set_index(["lhs", "op", "rhs"])
    ours = res.params.set_index(["lhs", "op", "rhs"])
    assert abs(ours.loc[("bwt", "~~", "bwt"), "est"] - pe.loc[("bwt", "~~", "bwt"), "est"]) < 0.05
    assert_close(res.fit["rmr"], ref["fit"]["rmr"], atol=FIT_ATOL, what="rmr")


def test_fiml_improper_end_takes_a_second_path():
    """ChickWeight growth (FIML, MLR): Fisher scoring from the default start ends at an
    improper local minimum (w0's residual variance -0.23, fmin 3.776); a quasi-Newton path
    from the same start reaches lavaan's lower, proper one (3.538)."""
    res, ref = _case(SECOND_PATH)
    assert res.converged
    assert_close(res.fit["fmin"], ref["fit"]["fmin"], atol=1e-9, rtol=1e-7, what="fmin")
    assert not any("Heywood" in w for w in res.warnings)
    compare_estimates(res, ref, SECOND_PATH)


# ---- where lavaan is wrong or does something else ----------------------------------------
def test_lavaan_on_badly_scaled_variables():
    """The same models with one variable rescaled (make_reference.R): lavaan then agrees
    with ours on the raw data (module docstring)."""
    # the baseline model: lavaan's raw-data value is wrong, its kilogram one is ours
    res, ref = _case("p_birthwt_path")
    _r, kg = _case("p_birthwt_kg_path")
    assert abs(ref["fit"]["baseline.chisq"] - 516.81) < 0.01
    assert_close(res.fit["baseline_chisq"], kg["fit"]["baseline.chisq"], atol=1e-6,
                 rtol=CHISQ_RTOL, what="baseline chisq")
    # no SEs from lavaan on the raw hills data; on thousands of feet ours scaled
    res, ref = _case("p_hills_fixedx_false")
    _r, kft = _case("p_hills_kft_fixedx_false")
    assert all(se is None for se in ref["params"]["se"])
    assert any("could not be inverted" in w or "Could not compute standard errors" in w
               for w in _as_list(ref["warnings"]))
    scale = {"climb": 1000.0}
    lav = table_of(kft["params"])
    ours = res.params.set_index(["lhs", "op", "rhs"])
    for r in lav.itertuples():
        f = scale.get(r.lhs, 1.0) * scale.get(r.rhs, 1.0) if r.op == "~~" else (
            1.0 / scale.get(r.rhs, 1.0))
        assert_close(ours.loc[(r.lhs, r.op, r.rhs), ["est", "se"]].to_numpy(float),
                     np.array([r.est, r.se]) * f, atol=EST_ATOL, rtol=EST_RTOL,
                     what=f"hills {r.lhs} {r.op} {r.rhs}")
    # the standardized residual of bwt's variance (scale free): lavaan's kilogram value
    res, ref = _case("p_birthwt_fixedx_false_mlr")
    _r, kg = _case("p_birthwt_kg_fixedx_false_mlr")
    want = _groups(kg["resid_standardized"]["groups"])[0]
    raw = _groups(ref["resid_standardized"]["groups"])[0]
    i = want["names"].index("bwt")
    got = list(res.residuals("standardized").values())[0]["cov"].loc["bwt", "bwt"]
    assert abs(raw["cov"][i][i] - want["cov"][i][i]) > 0.15
    assert_close(got, want["cov"][i][i], atol=EST_ATOL, rtol=EST_RTOL, what="bwt z")


def test_lavaan_modindices_at_modified_starts():
    """r_30: two negative residual variances (y2, y3) with a free covariance; lavaan's
    modindices() refits its extended model from start values that its start check changes
    ("starting values imply a correlation larger than 1"), so its indices for y2 and y3
    are missing and those of f2 ~~ f2 and f3 ~~ f3 (not identified when freed under
    std.lv) are numbers.  Ours, at the estimates, drops the latter and keeps the
    former."""
    res, ref = _case("r_30")
    assert any("correlation larger than 1" in w
               for w in _as_list(ref["modindices_warnings"]))
    lav = pd.DataFrame(ref["modindices"]).fillna({"rhs": ""})
    ours = res.modindices()
    lk = set(zip(lav["lhs"], lav["op"], lav["rhs"], strict=True))
    ok = set(zip(ours["lhs"], ours["op"], ours["rhs"], strict=True))
    assert lk - ok == {("f2", "~~", "f2"), ("f3", "~~", "f3")}
    assert all("y2" in (a, c) or "y3" in (a, c) for a, _b, c in ok - lk)
    # freeing a factor's variance under std.lv (all its loadings free) is not identified:
    # lavaan's numbers for it come from the changed start values
    lav = lav.set_index(["lhs", "op", "rhs"])
    assert lav.loc[("f2", "~~", "f2"), "mi"] > 0.5 and lav.loc[("f3", "~~", "f3"), "mi"] > 0.5
    assert ("f1", "~~", "f1") not in lk


# ---- found, not fixed ------------------------------------------------------------------
def _lavaan_start(model, ref) -> np.ndarray:
    lav = pd.DataFrame(ref["params"]).fillna({"rhs": ""}).set_index(
        ["lhs", "op", "rhs", "group"])
    free = model.partable[model.partable["xid"] >= 0].sort_values("xid")
    return np.array([lav.loc[k, "est"] for k in
                     zip(free["lhs"], free["op"], free["rhs"], free["group"], strict=True)])


def _compiled(ref: dict):
    data = _data(ref["data"])
    kw = _kwargs(ref["options"])
    if ref["fun"] == "growth":
        kw.update(meanstructure=True, int_ov_free=False, int_lv_free=True)
    return compile_model(ref["model"], data, **kw), data


@pytest.mark.parametrize("name", sorted(LOCAL_MINIMA))
def test_lavaan_minimum_is_a_minimum_of_ours(name):
    """From lavaan's estimates ours stays at lavaan's fit: the objective is right."""
    ref = load_reference(f"sem_sweep11/{name}.json")
    model, data = _compiled(ref)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(data, start=_lavaan_start(model, ref))
    assert res.converged
    assert_close(res.fit["fmin"], ref["fit"]["fmin"], atol=1e-9, rtol=1e-7, what=name)
    compare_estimates(res, ref, name)


@pytest.mark.xfail(strict=True, reason="two local minima: from its default and alternative "
                   "starts ours reaches a higher one than lavaan's nlminb (module docstring)")
@pytest.mark.parametrize("name", sorted(LOCAL_MINIMA))
def test_lower_local_minimum_from_default_starts(name):
    res, ref = _case(name)
    assert res.fit["fmin"] <= ref["fit"]["fmin"] * (1 + 1e-6)


@pytest.mark.xfail(strict=True, reason="lavaan drops cases of low joint density from each "
                   "polyserial likelihood (lav_bvmix_lik_cache); analysis/sem/ordinal.py "
                   "does not (module docstring)")
def test_polyserial_correlations_with_outlying_cases():
    res, ref = _case("p_survey_exer_ord")
    compare_estimates(res, ref, "p_survey_exer_ord")


def test_polyserial_correlation_maximises_the_likelihood_of_all_cases():
    """Ours is the two-step ML polyserial correlation of all cases; lavaan's (-0.0966 for
    Exer and Age, its ``lav_bvmix_cor_twostep_fit``) has a lower likelihood there."""
    from scipy import optimize, stats

    d = _data("survey.csv")[["Exer", "Smoke", "Pulse", "Age"]].dropna()
    y, x = d["Exer"].to_numpy(int), d["Age"].to_numpy(float)
    z = (x - x.mean()) / x.std()
    th = stats.norm.ppf(np.cumsum(np.bincount(y)[1:]) / len(y))[:-1]
    t = np.concatenate([[-np.inf], th, [np.inf]])

    def ll(r):
        s = np.sqrt(1 - r * r)
        return float(np.sum(np.log(stats.norm.cdf((t[y] - r * z) / s)
                                   - stats.norm.cdf((t[y - 1] - r * z) / s))))

    best = optimize.minimize_scalar(lambda r: -ll(r), bounds=(-0.9, 0.9), method="bounded").x
    assert ll(best) > ll(-0.0966) + 0.4
    res, _ref = _case("p_survey_exer_ord")
    assert_close(res.state.wls.obs[0][11] / x.std(), best, atol=1e-4, what="Exer-Age rho")
