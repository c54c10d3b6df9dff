"""Twelfth parity sweep: random models aimed at what the earlier sweeps did not cover, and
public data bundled with R packages that no sweep used before.

References: tests/reference/sem_sweep12/make_reference.R (lavaan 0.6.14), which lists every
case: 33 random models in 11 kinds (a reverse-keyed and weak FIRST indicator under
std.lv or the marker; defined parameters ``:=`` of labels and of other defined ones;
equal loadings by label, ``==`` and ``>`` constraints; ``NA*`` / ``1*`` / ``0.8*`` /
``start()`` modifiers and ``f1 ~~ 0*f3``; second-order factors; ordered items of 2-7
categories with an empty middle category, codes from 0 and a sparse top category; FIML
with an item missing for 55-70 % of the cases and respondents with no or one value; MLR
with ``cluster=``; group.equal with residuals, means, lv.variances and
residual.covariances, with group.partial; near-Heywood two-factor models at N 40-80;
a single-indicator factor with covariates on a raw scale of variance 1e5).  Where lavaan's
nlminb did not converge, the script refits with ``optim.method = "BFGS"``
(``<case>_bfgs``).  And 28 fits of public data (AER: CASchools, STAR, TeachingRatings,
CPS1985; mlmRev: bdf, Gcsemv, Hsb82; sem: CNES; psychTools: spi, msq, ability, epi.bfi;
carData: Mroz, Prestige, SLID; MASS: Sitka, whiteside; semTools: dat2way, exLong; psych:
Bechtoldt.1), two of them also rescaled.  Compared as in the eleventh sweep
(tests/sem/_sweep_checks.py): estimates and SEs, std.all and its SEs, fitMeasures() in
full, residuals, modindices(), R² and the improper-solution flag.

What the sweep found and fixed:

* the robust CFI, TLI and RNI of a saturated model under FIML (SLID: ``wages ~ education
  + age + male``, missing = "ml", df = 0) were missing; lavaan's scaling factor there is
  ``k / 0`` with ``k`` zero up to rounding, infinite rather than missing, so its indices
  are the plain ones of a saturated model (cfi.robust 0.99999999999963, tli.robust 1).
  The FIML-corrected statistic now does as the catML one of ordered data
  (analysis/sem/robust.fiml_corrected);
* an inequality constraint whose unconstrained path runs away (r_14: ``v1 > 0.05`` with
  equal loadings of opposite-signed items; that path ends with a residual variance at
  -2.5e4): the active set started there ended at fmin 4.29 (lavaan: 0.54), where the
  information is singular, and the fit raised "not identified".  Now the bounded path
  from the start values (L-BFGS-B) is tried too and the lower end kept
  (analysis/sem/ml._bounded): fmin 0.5079, below lavaan's degenerate 0.5425 (f2's
  variance -11369, y4's 11370), improper in both;
* an end on the bound of an inequality constraint that is not the minimum (r_03: ``y1 ~~
  v1*y1; v1 > 0.05``, equal loadings of opposite-signed items): ours stopped on the
  bound at fmin 0.3369 (the shared loading -0.015), lavaan inside it at 0.1760 (v1 =
  3.38, the loading -6.0, f1's variance -0.015).  Now an end on a bound is searched
  again from the alternative starts of analysis/sem/starts and the lowest end whose
  information is not singular kept (analysis/sem/ml._lowest_bounded_end): lavaan's.

Where lavaan is wrong or does something else (pinned, with the evidence):

* Prestige (income's variance 1.9e7): lavaan cannot invert the information matrix and
  gives no SEs nor modification indices; with income in thousands it gives ours;
* r_16 (second-order factor, N = 81): lavaan's nlminb does not converge and its BFGS
  stops at fmin 0.1652 with a negative variance of g (SE 653); ours reaches a proper
  solution at 0.1307;
* msq (FIML): three pairs of items are never answered by the same respondent; the
  normalized residual of their covariance divides by an SE of 0 (ours +-inf, lavaan's
  Inf written as null by jsonlite);
* r_18 (FIML, MLR): the raw residual of y1's mean is 8e-5 (1e-4 of its SD); its
  standardized value is a ratio of two small numbers (-1.396 against -1.412), not
  compared.

Not available here (a user error, as documented): standardized and normalized residuals
with missing = "pairwise" (ordered items); lavaan gives them.

Found, not fixed (strict xfails and pins):

* r_03 after the fix (lavaan's improper end: f1's variance -0.015, the shared loading
  -6.0 with an SE of 5.7, the information nearly singular): estimates, SEs, fit
  measures and R² agree, the modification indices do not (f1 =~ y4: 5.16 against
  0.025; y1 ~~ y2: 18.0 against 410.4), nor two standardized residuals (-0.1137 against
  -0.1149); not compared.  Which is right is open: lavaan's indices stay within 0.2 when
  the inactive ``v1 > 0.05`` is dropped (same estimates; checked in R 4.2.2, lavaan
  0.6.14), its standardized residuals change by up to 562.  Next step: the score test
  of analysis/sem/modindices.py at this point with the information from numerical
  second derivatives, against both;
* r_15 and r_25 (a reverse-keyed item fixed at 1 with the marker freed; equal loadings
  of opposite-signed items): lavaan's nlminb does not converge, its BFGS says it does
  (r_15 at an f1 variance of 0.0007 with loadings of 33-73, r_25 improper with an SE of
  54); ours did not converge from any of its six starts until session 19 (r_25 now
  converges from lavaan's plain starts to an improper end with two negative variances,
  which it flags; r_26, where neither of lavaan's optimizers converges, to a proper
  minimum).  r_15's BFGS end is not a minimum: holding f1's variance there, the other
  parameters lower lavaan's fmin from 0.660801 to 0.660636 (a ridge towards a zero
  variance, probably no minimum at all).  r_25's is open (ours fails from lavaan's
  estimates too: the implied covariance matrix is not positive definite in the first
  step).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ModelSpecificationError
from analysis.sem import cfa, growth, sem
from tests.parity import (
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    REFERENCE_DIR,
    assert_close,
    load_reference,
)
from tests.sem._sweep_checks import (
    SweepFixtures,
    as_list,
    compare_estimates,
    compare_fit,
    compare_modindices,
    compare_residuals,
    compare_standardized,
    groups_of,
    table_of,
    without,
)

REF = REFERENCE_DIR / "sem_sweep12"
FRONT_DOORS = {"sem": sem, "cfa": cfa, "growth": growth}
ALL = sorted(p.stem for p in REF.glob("*.json"))
REFUSED = [n for n in ALL if "error" in load_reference(f"sem_sweep12/{n}.json")]
UNCONVERGED = [n for n in ALL if n not in REFUSED
               and not load_reference(f"sem_sweep12/{n}.json")["converged"]]
# lavaan's BFGS stops above ours (module docstring)
LAVAAN_STOPS_HIGH = {"r_16_bfgs"}
# an inequality constraint: lavaan at a degenerate, higher end (module docstring)
BOUND_MINIMA = {"r_14"}
# ours does not converge where lavaan's BFGS does (module docstring)
NO_CONVERGENCE = {"r_15_bfgs", "r_25_bfgs"}
# lavaan's BFGS end that is not a minimum (module docstring)
RIDGE = "r_15_bfgs"
# lavaan gives no SEs: its information matrix of badly scaled variables is not inverted
NO_SE = {"p_prestige_status"}
CASES = [n for n in ALL if n not in REFUSED and n not in UNCONVERGED
         and n not in LAVAAN_STOPS_HIGH | BOUND_MINIMA | NO_CONVERGENCE]
KNOWN_FIT: dict[str, set[str]] = {
    # the RMR in raw dollars: 15298.842 against 15298.840 (income's variance 1.9e7)
    "p_prestige_status": {"rmr", "rmr_nomean"},
}
# standardized and normalized residuals are not available with missing = "pairwise"
PAIRWISE = {n for n in CASES if (load_reference(f"sem_sweep12/{n}.json")["options"] or {})
            .get("missing") == "pairwise"}
# cells lavaan writes as null (Inf) or that are ratios of small numbers (docstring)
NEVER_TOGETHER = {"p_msq_fiml_mlr": [("inactive", "kindly"), ("idle", "kindly"),
                                     ("kindly", "tranquil")]}
SMALL_MEANS = {"r_18": ["y1"]}
# modification indices at a nearly singular information: open (module docstring)
FRAGILE = {"r_03"}
# the default run: every public fit and one generated case of each kind; -m slow runs
# the rest (about 40 s and 75 s of CPU)
_DEFAULT = {f"r_{i:02d}" for i in range(1, 12)}
PARAMS = [n if n.startswith("p_") or n in _DEFAULT else pytest.param(n, marks=pytest.mark.slow)
          for n in CASES]


def _plain(params) -> list[str]:
    return [getattr(n, "values", [n])[0] for n in params]


FIXTURES = SweepFixtures("sem_sweep12")
_kwargs, _data, _fit, _case = FIXTURES.kwargs, FIXTURES.data, FIXTURES.fit, FIXTURES.case
_as_list, _groups = as_list, groups_of
_without = without


# ---- every output against lavaan ---------------------------------------------------
@pytest.mark.parametrize("name", _without(PARAMS, NO_SE))
def test_estimates_match_lavaan(name):
    compare_estimates(*_case(name), name)


@pytest.mark.parametrize("name", _without(PARAMS, NO_SE))
def test_standardized_solution_matches_lavaan(name):
    compare_standardized(*_case(name), name)


@pytest.mark.parametrize("name", PARAMS)
def test_fit_measures_match_lavaan_in_full(name):
    res, ref = _case(name)
    compare_fit(res, ref, name, KNOWN_FIT.get(name, set()))


@pytest.mark.parametrize("name", PARAMS)
def test_residuals_match_lavaan(name):
    res, ref = _case(name)
    skip = {"standardized", "normalized"} if name in PAIRWISE else set()
    if name in SMALL_MEANS or name in FRAGILE:  # test_small_mean_residual_of_fiml
        skip.add("standardized")
    compare_residuals(res, ref, name, skip_kinds=skip,
                      skip_cells=NEVER_TOGETHER.get(name, []))


@pytest.mark.parametrize("name", _without(PARAMS, NO_SE | FRAGILE))
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


def test_the_sweep_has_what_it_claims():
    """The counts the module docstring gives (a changed script shows here)."""
    gen = [n for n in ALL if n.startswith("r_") and not n.endswith("_bfgs")]
    pub = [n for n in ALL if n.startswith("p_")]
    assert len(gen) == 33 and len(pub) == 28 and not REFUSED
    assert set(UNCONVERGED) == {"r_15", "r_16", "r_25", "r_26", "r_26_bfgs"}


def test_fixed_x_cases_with_missing_covariates_are_deleted_as_in_lavaan():
    """FIML with fixed.x = TRUE: cases missing a covariate are dropped (54 in SLID), as
    lavaan does, and said so; with fixed.x = FALSE they stay."""
    res, ref = _case("p_slid_fiml_fixedx")
    assert "54 cases were deleted" in " ".join(_as_list(ref["warnings"]))
    assert any("54 cases" in w for w in res.data_warnings)
    assert res.fit["ntotal"] == ref["nobs"][0]
    res, ref = _case("p_slid_fiml_free_x")
    assert res.fit["ntotal"] == ref["nobs"][0] == len(_data("slid.csv.gz"))


# ---- what the sweep found and fixed --------------------------------------------------
@pytest.mark.parametrize("name", ["p_slid_fiml_fixedx", "p_slid_fiml_free_x"])
def test_robust_indices_of_a_saturated_fiml_model(name):
    """df = 0 under FIML: the robust CFI, TLI and RNI are lavaan's plain ones of a
    saturated model (before: missing)."""
    res, ref = _case(name)
    assert ref["fit"]["df"] == 0
    for key in ("cfi.robust", "tli.robust", "rni.robust", "rmsea.robust"):
        assert_close(res.fit[key.replace(".", "_")], ref["fit"][key], atol=FIT_ATOL,
                     what=f"{name} {key}")


# ---- where lavaan is wrong or does something else ----------------------------------------
def test_lavaan_on_badly_scaled_prestige():
    """Prestige: no SEs from lavaan on raw dollars; with income in thousands lavaan's
    estimates and SEs are ours, rescaled."""
    res, ref = _case("p_prestige_status")
    _r, kd = _case("p_prestige_k_status")
    assert all(se in (None, 0) for se in ref["params"]["se"]) and "modindices" not in ref
    assert any("Could not compute standard errors" in w for w in _as_list(ref["warnings"]))
    scale = {"income": 1000.0}
    ours = res.params.set_index(["lhs", "op", "rhs"])
    for r in table_of(kd["params"]).itertuples():
        f = (scale.get(r.lhs, 1.0) * scale.get(r.rhs, 1.0) if r.op == "~~"
             else scale.get(r.rhs, 1.0) if r.op == "=~" else 1.0)
        assert_close(ours.loc[(r.lhs, r.op, r.rhs), ["est", "se"]].to_numpy(float),
                     np.array([r.est, r.se]) * f, atol=EST_ATOL, rtol=EST_RTOL,
                     what=f"prestige {r.lhs} {r.op} {r.rhs}")


def test_lavaan_bfgs_stops_above_our_minimum():
    """r_16 (second-order, N = 81): lavaan's nlminb does not converge; its BFGS stops at
    fmin 0.1652 with g's variance -9.6 (SE 653); ours is proper at 0.1307."""
    res, ref = _case("r_16_bfgs")
    assert not load_reference("sem_sweep12/r_16.json")["converged"]
    assert res.converged and not any("Heywood" in w for w in res.warnings)
    assert res.fit["fmin"] < ref["fit"]["fmin"] - 0.03
    pe = table_of(ref["params"]).set_index(["lhs", "op", "rhs"])
    assert pe.loc[("g", "~~", "g"), "est"] < 0 and pe.loc[("g", "~~", "g"), "se"] > 100


def test_never_observed_pairs_have_no_normalized_residual():
    """msq: kindly is never answered with inactive, idle or tranquil; the normalized
    residual divides by an SE of 0 (lavaan's Inf is null in the JSON)."""
    res, ref = _case("p_msq_fiml_mlr")
    d = _data("msq.csv.gz")
    z = list(res.residuals("normalized").values())[0]["cov"]
    want = _groups(ref["resid_normalized"]["groups"])[0]
    names = want["names"]
    for a, b in NEVER_TOGETHER["p_msq_fiml_mlr"]:
        assert not (d[a].notna() & d[b].notna()).any()
        assert want["cov"][names.index(a)][names.index(b)] is None
        assert np.isinf(z.loc[a, b])


def test_small_mean_residual_of_fiml():
    """r_18: y1's raw mean residual is 8e-5 in both; the other standardized residuals
    agree."""
    res, ref = _case("r_18")
    st = _groups(ref["resid_standardized"]["groups"])[0]
    cov = list(res.residuals("standardized").values())[0]["cov"]
    assert_close(cov.loc[st["names"], st["names"]].to_numpy(), np.asarray(st["cov"], float),
                 atol=EST_ATOL, rtol=EST_RTOL, what="r_18 standardized covariances")
    raw = _groups(ref["resid_raw"]["groups"])[0]["mean"]
    want = pd.Series(_groups(ref["resid_standardized"]["groups"])[0]["mean"], dtype=float)
    got = list(res.residuals("standardized").values())[0]["mean"]
    for v in SMALL_MEANS["r_18"]:
        assert abs(raw[v]) < 1e-4
    keep = [v for v in want.index if v not in SMALL_MEANS["r_18"]]
    assert_close(got[keep].to_numpy(float), want[keep].to_numpy(), atol=EST_ATOL,
                 rtol=EST_RTOL, what="r_18 standardized means")


@pytest.mark.parametrize("name", sorted(PAIRWISE))
def test_pairwise_standardized_residuals_are_refused(name):
    res, ref = _case(name)
    assert "groups" in ref["resid_standardized"]  # lavaan gives them
    with pytest.raises(ModelSpecificationError, match="pairwise"):
        res.residuals("standardized")


# ---- found, not fixed ------------------------------------------------------------------
def test_end_on_an_inequality_bound_is_searched_again():
    """r_03: lavaan's minimum inside the bound, improper (before: ours on the bound at
    fmin 0.3369, not a minimum of the constrained problem)."""
    res, ref = _case("r_03")
    assert "v1 > 0.05" in ref["model"]
    assert_close(res.fit["fmin"], ref["fit"]["fmin"], atol=1e-9, rtol=1e-7, what="fmin")
    ours = res.params.set_index(["lhs", "op", "rhs"])
    assert ours.loc[("y1", "~~", "y1"), "est"] > 3  # off the bound
    assert any("Heywood" in w for w in res.warnings)


def test_inequality_constraint_from_a_runaway_unconstrained_path():
    """r_14: the bounded search from the start values reaches fmin 0.5079, below lavaan's
    degenerate end (before: "not identified" at 4x lavaan's fmin)."""
    res, ref = _case("r_14")
    assert res.converged
    pe = table_of(ref["params"]).set_index(["lhs", "op", "rhs"])
    assert pe.loc[("f2", "~~", "f2"), "est"] < -1e4  # lavaan's end is degenerate
    assert abs(res.fit["fmin"] - 0.50786) < 1e-4 and res.fit["fmin"] < ref["fit"]["fmin"]
    ours = res.params.set_index(["lhs", "op", "rhs"])
    assert ours.loc[("y1", "~~", "y1"), "est"] == pytest.approx(0.05)  # on the bound
    assert any("Heywood" in w for w in res.warnings)  # improper in both
    # the first factor, away from the degenerate one, is lavaan's
    for key in [("f1", "=~", "y2"), ("y2", "~~", "y2"), ("y3", "~~", "y3"), ("f1", "~~", "f1")]:
        assert_close(ours.loc[key, ["est", "se"]].to_numpy(float),
                     pe.loc[key, ["est", "se"]].to_numpy(float), atol=EST_ATOL,
                     rtol=EST_RTOL, what=f"r_14 {key}")


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="ours does not converge from any of its starts where "
                   "lavaan's BFGS does (module docstring)")
@pytest.mark.parametrize("name", sorted(NO_CONVERGENCE - {RIDGE}))
def test_converges_where_lavaan_bfgs_does(name):
    res, ref = _case(name)
    assert res.converged
    assert_close(res.fit["fmin"], ref["fit"]["fmin"], atol=1e-6, rtol=1e-4, what=name)


# lavaan does not converge; ours does since session 19's quasi-Newton path from the start
# (ml._quasi_newton_path): r_26 at a proper minimum, r_25 at an improper end it flags
CONVERGES_WHERE_LAVAAN_DID_NOT = {"r_25": "improper", "r_26": "proper",
                                  "r_26_bfgs": "proper"}


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in UNCONVERGED if n != "r_16"
                                  and n not in CONVERGES_WHERE_LAVAAN_DID_NOT])
def test_where_lavaan_did_not_converge(name):
    """Neither converges: ours says so and reports no fit statistics."""
    res, _ref = _case(name)
    assert not res.converged
    assert np.isnan(res.fit.get("chisq", np.nan))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CONVERGES_WHERE_LAVAAN_DID_NOT))
def test_converged_where_lavaan_did_not_is_a_minimum(name):
    """r_25 and r_26 (lavaan: no convergence with nlminb, nor with BFGS for r_26): ours
    converges, and its end is a local minimum of F_ML (no step of 1e-4 along any free
    parameter lowers it); r_25's end is improper (two negative variances) and says so,
    r_26's is proper (every variance positive, every SE finite)."""
    from analysis.sem import compile_model, ml
    from analysis.sem.samplestats import sample_stats

    res, ref = _case(name)
    assert res.converged and not ref["converged"]
    improper = any("Heywood" in w or "not positive definite" in w for w in res.warnings)
    assert improper == (CONVERGES_WHERE_LAVAAN_DID_NOT[name] == "improper"), res.warnings
    if not improper:
        free = res.params[res.params["se"] > 0]
        assert np.all(np.isfinite(free["se"]))
    data = _data(ref["data"])
    model = compile_model(ref["model"], data)  # ML: the MLR estimates are ML's
    stats, _w = sample_stats(model, data, "listwise")
    model = model.bind(stats)
    pt = model.partable
    # one row per free parameter (an equality constraint gives two rows one xid)
    keys = list(pt[pt["xid"] >= 0].sort_values("xid").drop_duplicates("xid")
                [["lhs", "op", "rhs"]].itertuples(index=False, name=None))
    ours = res.params.drop_duplicates(["lhs", "op", "rhs"]).set_index(["lhs", "op", "rhs"])
    x = np.array([ours.loc[k, "est"] for k in keys])
    f0 = ml.f_ml(model, x, stats)
    assert abs(f0 / 2 - res.fit["fmin"]) < 1e-8
    for j in range(len(x)):
        for step in (-1e-4, 1e-4):
            y = x.copy()
            y[j] += step
            assert ml.f_ml(model, y, stats) >= f0 - 1e-12, (name, keys[j], step)


@pytest.mark.slow
def test_lavaan_bfgs_end_on_a_ridge_is_not_a_minimum():
    """r_15: at lavaan's BFGS end, with f1's variance held, L-BFGS-B lowers the objective
    (lavaan's fmin 0.660801 to 0.660636); ours reports no convergence."""
    from analysis.sem import compile_model, ml
    from analysis.sem.samplestats import sample_stats

    res, ref = _case(RIDGE)
    assert not res.converged and np.isnan(res.fit.get("chisq", np.nan))
    data = _data(ref["data"])
    model = compile_model(ref["model"], data)  # ML: the MLR estimates are ML's
    stats, _w = sample_stats(model, data, "listwise")
    model = model.bind(stats)
    pt = model.partable
    free = pt[pt["xid"] >= 0].sort_values("xid")
    keys = list(zip(free["lhs"], free["op"], free["rhs"], strict=True))
    lav = table_of(ref["params"]).set_index(["lhs", "op", "rhs"])
    x = np.array([lav.loc[k, "est"] for k in keys])
    assert abs(ml.f_ml(model, x, stats) / 2 - ref["fit"]["fmin"]) < 1e-9
    j = keys.index(("f1", "~~", "f1"))
    lo, hi = np.full(len(x), -np.inf), np.full(len(x), np.inf)
    lo[j] = hi[j] = x[j]
    _x, f, _it, _ok = ml._lbfgs(model, x, stats, bounds=(lo, hi))
    assert f / 2 < ref["fit"]["fmin"] - 1e-4
