"""Eighteenth parity sweep: random models aimed at what the earlier sweeps did not cover,
and public data bundled with R packages that no sweep used before.

References: tests/reference/sem_sweep18/make_reference.R (lavaan 0.6.14), which lists every
case: 25 random models in 10 kinds (latent-basis growth with free time scores, under ML,
MLR and FIML; group-specific fixed values and labels, ``c(NA, 0.8)*y2``,
``y3 ~~ c(0.4, NA)*y3``, ``f2 ~ c(b1, b2)*f1`` with ``d := b1 - b2``; a simplex with one
label on four autoregressive paths and one on four residual variances, under MLR with a
mean structure and FIML; two and three groups fitted from covariance matrices and mean
vectors with equal loadings and intercepts, or from covariance matrices alone with equal
residuals; covariates correlated about .995, fixed.x TRUE and FALSE, MLR; one label on a
loading and a regression, another on two residual variances and a latent variance;
ordered items in two groups with equal thresholds freed one by one (group.partial on
thresholds) under delta and theta; seven-category items with sparse extremes; items
whose variances span 1e-3 to 1e3; binary, five-category and continuous indicators in one
WLSMV model), two of them again with group.equal (r_02_eq_loadings, r_12_eq_partial),
six fits of three groups with a value fixed in one later group (r_mods3_*), 10
fits of public data (psych's lsat7 under theta and with equal loadings, Harman.8 from
its correlation matrix, MASS's fgl under MLR and with fixed.x = FALSE, boot's frets,
carData's UN98 with FIML and MLR, AER's CigarettesSW as a two-wave panel, HousePrices and
CreditCard) and four nested comparisons (lavTestLRT: WLSMV, MLR with Satorra-Bentler
2001 and 2010).  Compared: estimates, SEs, std.all, std.lv and std.nox with their SEs,
90 % intervals, every fitMeasures() value, three kinds of residuals, modification
indices, R², the improper-solution flag and the scaled difference tests.

What the sweep found and fixed:

* a value fixed in a later group under group_equal (``f1 =~ y1 + c(NA, 0.8)*y2 + y3``
  with ``group_equal="loadings"``): lavaan fixes y2's loading at 0.8 in both groups (the
  rows are one parameter, and a fixed row fixes it); ours estimated the first group's
  loading apart (0.529, npar 33 for lavaan's 32, chi-square 73.15 for lavaan's 87.44), so
  the loadings were not equal although group_equal said so.  The same for regressions,
  intercepts, latent variances, residual covariances and latent means fixed in one later
  group of three (r_mods3_*: npar one above lavaan's, chi-square up to 96 below).  Now
  the value fixes the parameter in every group.

Where lavaan is wrong (pinned, with the evidence):

* std.nox (p_fgl_free_x, fixed.x = FALSE, ``Ca ~~ Fe`` makes Ca and Fe no covariates):
  lavaan multiplies ``RI ~ Fe`` by the SD of Si instead of Fe (the variable's place among
  those that are not covariates, read among all), 0.1312 for ours 0.0165 (= std.all), as
  sweep 17 found on Journals;
* modification indices of p_frets_cfa (df = 1, a latent correlation above 1): lavaan's
  indices of the four residual covariances across factors are 2.83, 0.24, 0.30, 3.62,
  but freeing any of them saturates the model and lowers the chi-square by the same
  2.271 (lavaan's own refits); ours are one value, 2.171, for the four.  lavaan offers
  indices also for l1 ~~ l2, b1 ~~ b2 and the cross-loadings (2.29, 2.12, 0.19-0.26),
  whose refits lower the chi-square by 0 (the added parameter is not identified), and
  for the marker loadings; ours offers none of those;
* modification indices of the scale factors (``~*~``) under theta (r_17): lavaan offers
  them (0.03-2.14, sepc.all of exactly +-1), but its refits with one of them freed do not
  converge; ours does not offer them;
* standardized residuals of r_09 (variances from 1e-3 to 1e3, lavaan warns of the
  spread): lavaan's differ from those of its own fit to the z-scores of the same data by
  up to 0.26 (y5 with y3: 0.500 against 0.772), though they are invariant to the
  variables' scales; ours agree with lavaan's on the z-scores, on the raw data and on
  the z-scores alike.

Conventions that differ (pinned): r_06 and r_16 share one label v between y1 ~~ y1,
y4 ~~ y4 and f1 ~~ f1, so the std.all values of f1 =~ y1 (1 / sqrt(2)) and y1 ~~ y1 (1/2)
do not depend on the estimates: ours give them SE 0, lavaan NaN (the root of a rounding
error below 0).

Refused with a message, as they were (not lavaan's, so not compared): estimator ULS,
GLS, DWLS, MLM and MLMV, test = "scaled.shifted" / "mean.var.adjusted" for continuous
data, information = "observed", se = "robust.huber.white" with estimator ML, composites
``<~``, and linear or nonlinear constraints ``r1 == 2*r2``, ``c == a*b``.
"""

from __future__ import annotations

import copy
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ModelSpecificationError
from analysis.sem import sem
from analysis.sem.invariance import lrt
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
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
    keys_of,
    table_of,
)

FOLDER = "sem_sweep18"
REF = REFERENCE_DIR / FOLDER
ALL = sorted(p.stem for p in REF.glob("[rp]_*.json"))
LRTS = sorted(p.stem for p in REF.glob("lrt_*.json"))
EXTRAS = load_reference(f"{FOLDER}/extras.json")
CHECKS = load_reference(f"{FOLDER}/checks.json")


class _Fixtures(SweepFixtures):
    """The sweep's fixtures, also those fitted from several groups' moments."""

    def fit(self, ref: dict):
        if "covs" not in ref:
            return super().fit(ref)
        fun = self.front_doors[ref["fun"]]
        labels = [str(k + 1) for k in range(len(ref["covs"]))]
        covs = {}
        for lab, file in zip(labels, ref["covs"], strict=True):
            S = self.data(file)
            S.index = S.columns
            covs[lab] = S
        means = ({lab: self.data(f).iloc[0] for lab, f in zip(labels, ref["means"], strict=True)}
                 if ref.get("means") else None)
        nobs = dict(zip(labels, (int(n) for n in ref["sample_nobs"]), strict=True))
        return fun(ref["model"], sample_cov=covs, sample_mean=means, sample_nobs=nobs,
                   **self.kwargs(ref["options"]))


FIXTURES = _Fixtures(FOLDER)
CASES = ALL

# (lhs, op, rhs) whose std.all SE is NaN in lavaan and 0 here: constants (docstring)
CONSTANT_STD = {"r_06": [("f1", "=~", "y1"), ("y1", "~~", "y1")],
                "r_16": [("y1", "~~", "y1")]}
NOX_BUG = {"p_fgl_free_x": [("RI", "~", "Fe")]}
SCALE_RESID = {"r_09"}  # lavaan's standardized residuals depend on the scales (docstring)
MI_PINNED = {"p_frets_cfa", "r_17"}


def _case(name: str):
    return FIXTURES.case(name)


def _drop_rows(rows: dict, known) -> dict:
    tab = pd.DataFrame(rows)
    keep = ~pd.Series([(a, b, "" if c is None else c) in known for a, b, c in
                       zip(tab["lhs"], tab["op"], tab["rhs"], strict=True)])
    return tab[keep.to_numpy()].to_dict(orient="list")


def _ref_with_constants(name: str, ref: dict) -> dict:
    """The fixture with SE 0 where lavaan's NaN is the SE of a constant."""
    known = set(CONSTANT_STD.get(name, ()))
    if not known:
        return ref
    out = copy.deepcopy(ref)
    tab = out["std"]
    for i, (a, b, c) in enumerate(zip(tab["lhs"], tab["op"], tab["rhs"], strict=True)):
        if (a, b, c or "") in known:
            assert tab["se"][i] is None  # lavaan: NaN
            tab["se"][i] = 0.0
    return out


# ---- every output against lavaan ---------------------------------------------------
@pytest.mark.parametrize("name", CASES)
def test_estimates_match_lavaan(name):
    res, ref = _case(name)
    compare_estimates(res, ref, name)


@pytest.mark.parametrize("name", CASES)
def test_standardized_solution_matches_lavaan(name):
    res, ref = _case(name)
    compare_standardized(res, _ref_with_constants(name, ref), name)


@pytest.mark.parametrize("name", CASES)
def test_fit_measures_match_lavaan_in_full(name):
    res, ref = _case(name)
    compare_fit(res, ref, name)


@pytest.mark.parametrize("name", CASES)
def test_residuals_match_lavaan(name):
    res, ref = _case(name)
    skip = ("standardized",) if name in SCALE_RESID else ()
    compare_residuals(res, ref, name, skip_kinds=skip)


@pytest.mark.parametrize("name", [n for n in CASES if n not in MI_PINNED])
def test_modification_indices_match_lavaan(name):
    res, ref = _case(name)
    compare_modindices(res, ref, name)


@pytest.mark.parametrize("name", CASES)
def test_r2_matches_lavaan(name):
    res, ref = _case(name)
    for g, want in enumerate(groups_of(ref["r2"])):
        for var, val in dict(want or {}).items():  # jsonlite: no R² is []
            key = var if res.model.n_groups == 1 else (res.model.groups[g], var)
            assert_close(res.r2[key], np.nan if val is None else val, atol=EST_ATOL,
                         rtol=EST_RTOL, what=f"{name} r2 {key}")


@pytest.mark.parametrize("name", CASES)
def test_improper_solution_flagged_exactly_when_lavaan_warns(name):
    res, ref = _case(name)
    lav = any("variances are negative" in w or "not positive definite" in w
              for w in as_list(ref["warnings"]))
    ours = any("Heywood" in w or "not positive definite" in w for w in res.warnings)
    assert ours == lav, (as_list(ref["warnings"]), res.warnings)


@pytest.mark.parametrize("kind,key", [("std.lv", "std_lv"), ("std.nox", "std_nox")])
@pytest.mark.parametrize("name", [n for n in CASES if n in EXTRAS])
def test_std_lv_and_std_nox_solutions_match_lavaan(name, kind, key):
    res, _ = _case(name)
    known = set(NOX_BUG.get(name, ())) if kind == "std.nox" else set()
    if kind == "std.nox":
        known |= set(CONSTANT_STD.get(name, ()))
    st = table_of(_drop_rows(EXTRAS[name][key], known))
    sol = res.standardized_solution(kind).set_index(["lhs", "op", "rhs", "group"])
    keys = keys_of(st)
    assert_close(sol.loc[keys, "est_std"].to_numpy(float), st["est.std"].to_numpy(float),
                 atol=EST_ATOL, rtol=EST_RTOL, what=f"{name} {kind}")
    assert_close(sol.loc[keys, "se"].to_numpy(float), st["se"].to_numpy(float),
                 atol=EST_ATOL, rtol=EST_RTOL, what=f"{name} se of {kind}")


@pytest.mark.parametrize("name", [n for n in CASES if n in EXTRAS])
def test_confidence_intervals_at_level_90_match_lavaan(name):
    """parameterEstimates(fit, level = 0.90)."""
    res, _ = _case(name)
    ci = table_of(EXTRAS[name]["ci90"])
    ours = res.parameter_estimates(level=0.90).set_index(["lhs", "op", "rhs", "group"])
    keys = keys_of(ci)
    for col in ("ci_lower", "ci_upper"):
        assert_close(ours.loc[keys, col].to_numpy(float),
                     ci[col.replace("_", ".")].to_numpy(float), atol=EST_ATOL,
                     rtol=EST_RTOL, what=f"{name} {col} at level 0.90")


@pytest.mark.parametrize("name", LRTS)
def test_nested_comparisons_match_lavtestlrt(name):
    """lavTestLRT(): WLSMV's scaled difference, MLR's Satorra-Bentler 2001 and 2010."""
    ref = load_reference(f"{FOLDER}/{name}.json")
    data = FIXTURES.data(ref["data"])
    fits = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for spec in ref["fits"]:
            fits.append(sem(spec["model"], data, **FIXTURES.kwargs(spec["options"])))
    for k, (res, want) in enumerate(zip(fits, ref["tests"], strict=True)):
        for key, val in want.items():
            assert_close(res.fit[key.replace(".", "_")], val, atol=1e-6, rtol=CHISQ_RTOL,
                         what=f"{name} model {k + 1} {key}")
    tab = ref["table"]
    for k in range(1, len(fits)):
        out = lrt(fits[k - 1], fits[k], method=ref["method"])
        assert_close(out["delta_df"], tab["df_diff"][k], atol=1e-9, what=f"{name} df diff {k}")
        assert_close(out["delta_chisq"], tab["chisq_diff"][k], atol=1e-4, rtol=CHISQ_RTOL,
                     what=f"{name} chisq diff {k}")
        assert_close(out["delta_pvalue"], tab["pvalue"][k], atol=1e-4,
                     what=f"{name} p value {k}")


def test_the_sweep_has_what_it_claims():
    gen = [n for n in ALL if re.fullmatch(r"r_\d\d", n)]
    pub = [n for n in ALL if n.startswith("p_")]
    assert len(gen) == 25 and len(pub) == 10 and len(LRTS) == 4
    kinds = {load_reference(f"{FOLDER}/{n}.json")["drawn"]["kind"] for n in gen}
    assert len(kinds) == 10
    assert all(load_reference(f"{FOLDER}/{n}.json")["converged"] for n in ALL)


# ---- what the sweep found and fixed --------------------------------------------------
# case -> (lhs, op, rhs, value): the parameter fixed in one later group only
FIXED_LATER = {
    "r_02_eq_loadings": ("f1", "=~", "y2", 0.8),
    "r_12_eq_partial": ("f1", "=~", "y2", 0.8),
    "r_mods3_loadings": ("f1", "=~", "y2", 0.8),
    "r_mods3_regressions": ("f2", "~", "f1", 0.5),
    "r_mods3_intercepts": ("y1", "~1", "", 2.0),
    "r_mods3_lv_variances": ("f1", "~~", "f1", 1.0),
    "r_mods3_residual_cov": ("y1", "~~", "y4", 0.3),
    "r_mods3_means": ("f2", "~1", "", 0.2),
}


@pytest.mark.parametrize("name", sorted(FIXED_LATER))
def test_a_value_fixed_in_a_later_group_is_fixed_in_every_group_under_group_equal(name):
    """``f1 =~ y1 + c(NA, 0.8)*y2`` with group_equal="loadings" (and the like for
    regressions, intercepts, latent variances and means, residual covariances): lavaan
    (and now ours) fixes the parameter at that value in every group; ours estimated the
    first group's apart (r_02: 0.529, npar 33, chi-square 73.15; lavaan 0.8, 32, 87.44),
    and the later groups' free ones with it."""
    res, ref = _case(name)
    lhs, op, rhs, value = FIXED_LATER[name]
    p = res.params.set_index(["lhs", "op", "rhs", "group"])
    for g in range(1, res.model.n_groups + 1):
        assert p.loc[(lhs, op, rhs, g), "est"] == value
        assert p.loc[(lhs, op, rhs, g), "se"] == 0
    assert res.fit["npar"] == ref["fit"]["npar"]
    assert res.fit["chisq"] == pytest.approx(ref["fit"]["chisq"], rel=CHISQ_RTOL)
    # the loadings without a fixed value stay one parameter across the groups
    assert p.loc[("f1", "=~", "y3", 1), "est"] == p.loc[("f1", "=~", "y3", 2), "est"]


def test_a_value_fixed_in_the_first_group_still_fixes_the_later_ones():
    """The other direction, as before: c(0.4, NA)*y3 with equal residuals."""
    res, _ = _case("r_02")
    ref = load_reference(f"{FOLDER}/r_02.json")
    out = sem(ref["model"], FIXTURES.data(ref["data"]), group="g", group_equal="residuals")
    p = out.params.set_index(["lhs", "op", "rhs", "group"])
    assert p.loc[("y3", "~~", "y3", 2), "est"] == 0.4
    assert out.fit["npar"] == res.fit["npar"] - 6  # y3's in group 2 and five equal pairs


# ---- where lavaan is wrong or differs by convention (pinned) ----------------------------
@pytest.mark.parametrize("name", sorted(CONSTANT_STD))
def test_std_all_of_a_constant_has_se_zero(name):
    """v on y1 ~~ y1 and f1 ~~ f1 (and y4 ~~ y4): std.all of f1 =~ y1 is 1 / sqrt(2) and
    of y1 ~~ y1 is 1/2 whatever v is; ours SE 0, lavaan's NaN."""
    res, ref = _case(name)
    st = table_of(ref["std"]).set_index(["lhs", "op", "rhs"])
    sol = res.standardized_solution("std.all").set_index(["lhs", "op", "rhs"])
    want = {("f1", "=~", "y1"): 2 ** -0.5, ("y1", "~~", "y1"): 0.5}
    for key in CONSTANT_STD[name]:
        assert np.isnan(st.loc[key, "se"])
        assert sol.loc[key, "est_std"] == pytest.approx(want[key], abs=1e-9)
        assert sol.loc[key, "se"] == pytest.approx(0.0, abs=1e-9)


def test_lavaan_std_nox_reads_the_sd_of_the_wrong_variable():
    """p_fgl_free_x: lavaan's std.nox of RI ~ Fe uses sd(Si): Fe is third among the
    variables that are not covariates (RI, Ca, Fe), Si third among all (RI, Ca, Si, Fe)."""
    res, _ = _case("p_fgl_free_x")
    st = table_of(EXTRAS["p_fgl_free_x"]["std_nox"]).set_index(["lhs", "op", "rhs"])
    key = ("RI", "~", "Fe")
    ours = res.standardized_solution("std.nox").set_index(["lhs", "op", "rhs"])
    full = res.standardized_solution("std.all").set_index(["lhs", "op", "rhs"])
    assert ours.loc[key, "est_std"] == pytest.approx(full.loc[key, "est_std"])
    sd = dict(zip(res.model.ov_names,
                  np.sqrt(np.diag(res.model.implied(res.x)[0].sigma)), strict=True))
    assert st.loc[key, "est.std"] == pytest.approx(
        ours.loc[key, "est_std"] * sd["Si"] / sd["Fe"], rel=1e-4)
    assert st.loc[key, "est.std"] > 5 * ours.loc[key, "est_std"]


def test_frets_indices_are_the_score_tests_the_refits_confirm():
    """df = 1: freeing any of the four residual covariances across factors saturates the
    model and lowers lavaan's chi-square by the same 2.271; ours are one value (2.171) for
    the four, lavaan's 0.24 to 3.62.  The candidates whose refit changes nothing (l1 ~~ l2,
    b1 ~~ b2, the cross-loadings) and the markers get no index here; lavaan gives them
    numbers."""
    res, ref = _case("p_frets_cfa")
    drop = CHECKS["frets_chisq_drop"]
    across = ["l1 ~~ b1", "l1 ~~ b2", "l2 ~~ b1", "l2 ~~ b2"]
    assert np.ptp([drop[k] for k in across]) < 1e-9 and drop[across[0]] > 2.2
    assert all(abs(drop[k]) < 1e-9 for k in drop if k not in across)
    mi = res.modindices()
    ours = {f"{a} {b} {c}": v for a, b, c, v in zip(mi["lhs"], mi["op"], mi["rhs"],
                                                     mi["mi"], strict=True)}
    assert sorted(ours) == sorted(across)
    assert np.ptp(list(ours.values())) < 1e-6
    assert list(ours.values())[0] == pytest.approx(drop[across[0]], rel=0.1)
    lav = pd.DataFrame(ref["modindices"])
    lav_across = lav[(lav["op"] == "~~") & (lav["lhs"].str[0] != lav["rhs"].str[0])]["mi"]
    assert np.ptp(lav_across.to_numpy(float)) > 3
    assert len(lav) == 12


def test_no_indices_for_the_scale_factors_under_theta():
    """r_17 (theta, two groups): lavaan offers indices for the ~*~ rows, but its refits
    with one freed do not converge; ours offers none and agrees on the rest."""
    res, ref = _case("r_17")
    assert not any(CHECKS["r_17_scale_freed"].values())
    mi = pd.DataFrame(ref["modindices"])
    assert (mi["op"] == "~*~").sum() == 12
    rest = mi[mi["op"] != "~*~"].to_dict(orient="list")
    assert "~*~" not in set(res.modindices()["op"])
    compare_modindices(res, {"modindices": rest}, "r_17 without ~*~")


def test_standardized_residuals_do_not_depend_on_the_scales():
    """r_09 (variances 1e-3 to 1e3): ours agree with lavaan's fit to the z-scores, and
    with our own fit to them; lavaan's on the raw data differ by up to 0.26."""
    res, ref = _case("r_09")
    z_ref = groups_of(CHECKS["r_09_z"]["standardized"]["groups"])[0]
    names = z_ref["names"]
    want = np.asarray(z_ref["cov"], dtype=float)
    ours = res.residuals("standardized")[""]["cov"].loc[names, names].to_numpy()
    small = np.abs(want) < 1e-3  # zero residuals: a ratio of rounding errors
    assert_close(np.where(small, 0, ours), np.where(small, 0, want), atol=EST_ATOL,
                 rtol=EST_RTOL, what="r_09 standardized residuals (lavaan on z-scores)")
    data = FIXTURES.data(ref["data"])
    z = (data - data.mean()) / data.std()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zfit = sem(ref["model"], z, **FIXTURES.kwargs(ref["options"]))
    ours_z = zfit.residuals("standardized")[""]["cov"].loc[names, names].to_numpy()
    assert_close(np.where(small, 0, ours), np.where(small, 0, ours_z), atol=1e-6,
                 what="r_09 ours, raw against z-scores")
    lav_raw = np.asarray(groups_of(ref["resid_standardized"]["groups"])[0]["cov"], dtype=float)
    assert np.max(np.abs(np.where(small, 0, lav_raw - want))) > 0.2


# ---- refused with a message -----------------------------------------------------------
@pytest.mark.parametrize("kw,match", [
    ({"estimator": "ULS"}, r"estimator='ULS' is not available"),
    ({"estimator": "GLS"}, r"estimator='GLS' is not available"),
    ({"estimator": "DWLS"}, r"estimator='DWLS' is not available"),
    ({"estimator": "MLM"}, r"estimator='MLM' is not available.*use estimator='MLR'"),
    ({"estimator": "MLMV"}, r"estimator='MLMV' is not available.*use estimator='MLR'"),
    ({"test": "scaled.shifted"}, r"test='scaled.shifted' is not available with estimator='ML'"),
    ({"test": "mean.var.adjusted"}, r"test='mean.var.adjusted' is not available"),
    ({"information": "observed"}, r"option\(s\) information are not available"),
    ({"se": "robust.huber.white"}, r"se='robust.huber.white' is not available with "
                                   r"estimator='ML'.*use estimator='MLR'"),
])
def test_what_the_engine_does_not_fit_is_refused_naming_the_option(kw, match):
    ref = load_reference(f"{FOLDER}/r_05.json")
    with pytest.raises(ModelSpecificationError, match=match):
        sem(ref["model"], FIXTURES.data(ref["data"]), **kw)


@pytest.mark.parametrize("extra,match", [
    ("c5 <~ x1 + x2", r"composites \(formative indicators, <~\) are not supported"),
    ("f ~ a*x1 + b*x2 + c*x3\nc == a*b", r"cannot use c == a\*b"),
    ("f ~ a*x1 + b*x2 + x3\na == 2*b", r"cannot use a == 2\*b"),
])
def test_composites_and_constraints_on_expressions_are_refused(extra, match):
    ref = load_reference(f"{FOLDER}/r_05.json")
    model = "f =~ y1 + y2 + y3 + y4\n" + extra
    with pytest.raises(ModelSpecificationError, match=match):
        sem(model, FIXTURES.data(ref["data"]))
