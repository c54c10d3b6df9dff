"""Hypotheses as data and the hypothesis runner (parameter recovery on simulated studies)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import analysis.study.hypotheses as hyp
from analysis.errors import InstrumentError, ModelSpecificationError
from analysis.study.simulate import load_population, simulate_study


@pytest.fixture(scope="module")
def population():
    return load_population()


@pytest.fixture(scope="module")
def truth(population) -> dict[str, dict[str, float]]:
    """True coefficients by hypothesis id from analysis/study/population.yaml."""
    out: dict[str, dict[str, float]] = {}
    for lhs, eq in population.spec["structural"].items():
        for term in eq["terms"]:
            out.setdefault(term["hypothesis"], {})[f"{lhs} ~ {term['term']}"] = term["coef"]
    return out


def _run(df: pd.DataFrame, **kw) -> pd.DataFrame:
    # these tests check the composite path model and the other methods; the latent model
    # that gives the path verdicts by default is tested in test_hypotheses_latent_model.py
    kw.setdefault("latent_model", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hyp.test_hypotheses(df, **kw)


# ------------------------------------------------------------------ the declaration
def test_declaration_loads_and_is_hashed():
    hs = hyp.load_hypotheses()
    ids = [h.id for h in hs.hypotheses]
    for k in range(1, 12):
        assert any(i == f"H{k}" or i.startswith(f"H{k}") and not i[len(f"H{k}"):].isdigit()
                   for i in ids), f"H{k} missing"
    assert len(hs.sha256) == 64
    assert hs.get("H10").exploratory and hs.get("H11").exploratory
    assert all(h.sources for h in hs.hypotheses)


def test_declaration_problems_listed_at_once(tmp_path: Path):
    doc = yaml.safe_load(hyp.DEFAULT_PATH.read_text(encoding="utf-8"))
    doc["hypotheses"][0]["test"] = "learning ~ not_in_model"
    doc["hypotheses"][1]["expected_sign"] = "up"
    doc["hypotheses"][2]["method"] = "moderation"          # test does not fit
    doc["hypotheses"][3]["id"] = doc["hypotheses"][4]["id"]  # duplicate
    bad = tmp_path / "h.yaml"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(InstrumentError) as err:
        hyp.load_hypotheses(bad)
    assert len(err.value.problems) == 1  # pydantic problems first: expected_sign
    doc["hypotheses"][1]["expected_sign"] = "-"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(InstrumentError) as err:
        hyp.load_hypotheses(bad)
    text = " ".join(err.value.problems)
    assert "not in model" in text and "does not fit" in text and "used twice" in text
    assert len(err.value.problems) == 3


def test_holm_matches_r_p_adjust():
    # p.adjust(c(0.01, 0.04, 0.03, 0.005, NA), "holm") in R: 0.03 0.06 0.06 0.02 NA
    out = hyp.holm([0.01, 0.04, 0.03, 0.005, np.nan])
    np.testing.assert_allclose(out[:4], [0.03, 0.06, 0.06, 0.02], rtol=0, atol=1e-15)
    assert np.isnan(out[4])


# ------------------------------------------------------------------ parameter recovery
@pytest.fixture(scope="module")
def large(population):
    df = simulate_study(3000, dyads=500, seed=11, population=population)
    details: dict = {}
    res = _run(df, bootstrap=200, seed=1, details=details)
    return df, res.set_index("id"), details


#: Confirmatory hypotheses with a non-zero population effect and their expected direction.
#: Under the declared rules (one-sided, Holm), over 200 simulated studies at the demo's
#: size (N = 400, 100 dyads; tests/test_hypotheses_simulation.py, slow) the support rates
#: were H1 .98, H2 (response surface a4) .29, H3 1.0, H4 .955, H5 (latent interaction) .325,
#: H6a 1.0, H6b (latent quadratic, Lind-Mehlum at +-2 SD) .17, H7 (latent interaction) .20,
#: H8 .87, H9 .995, and the true zero H9b .025 (power of the declared test at the mean
#: estimate and SE, before Holm: H5 .54, H6b .60, H7 .44; with the regressions on
#: composites as the verdicts H5 was .35, H6b .19, H7 .30).  At N = 3000 every one of them
#: is supported in the recovery test below.
TRUE_NONZERO = {"H1": "+", "H2": "-", "H3": "+", "H4": "+", "H5": "-", "H6a": "+",
                "H6b": "inverted_u", "H7": "+", "H8": "+", "H9": "+"}


def test_recovery_n3000_true_effects_supported(large, truth):
    """Every true non-zero hypothesis is supported with the right sign at N = 3000
    (support rates over 160 such studies: see ``TRUE_NONZERO``)."""
    _, res, _ = large
    hs = hyp.load_hypotheses()
    confirmatory = {h.id for h in hs.hypotheses if not h.exploratory}
    assert set(TRUE_NONZERO) == confirmatory - {"H9b"}
    for hid, sign in TRUE_NONZERO.items():
        row = res.loc[hid]
        assert hs.get(hid).expected_sign == sign
        assert row["verdict"] == "supported", (hid, row["estimate"], row["pvalue"])
        assert row["pvalue"] < 0.05
        # inverted U: the estimate shown is the squared term
        want = 1.0 if sign == "+" else -1.0
        assert np.sign(row["estimate"]) == want, hid
    # the population's signs agree with the declaration
    assert truth["H1"]["learning ~ jd_sum"] > 0 and truth["H2"]["learning ~ asym_abs"] < 0
    assert truth["H5"]["value_appropriation ~ asym_signed*value_creation"] < 0
    assert truth["H7"]["value_creation ~ learning*specific_investments"] > 0
    assert truth["H6"]["relationship_performance ~ trust^2"] < 0


def test_recovery_n3000_true_zero_not_supported(large, truth):
    _, res, _ = large
    assert truth["H9"]["innovation_outcome ~ learning_about"] == 0.0
    row = res.loc["H9b"]
    assert row["verdict"] in ("inconclusive", "evidence of no effect")
    assert row["pvalue_adjusted"] >= 0.05
    assert row["ci_lower"] < 0 < row["ci_upper"]
    # at N = 3000 the study is sensitive to the smallest effect of interest ...
    assert row["power_sesoi"] > 0.95
    # ... and the equivalence test decides between the two verdicts
    assert (row["verdict"] == "evidence of no effect") == (row["pvalue_equivalence"] < 0.05)


def test_recovery_n3000_inverted_u_supported_at_the_true_optimum(large, truth):
    """H6b: the Lind-Mehlum test supports the inverted U, in the latent quadratic (the
    verdict) and in the regression on the trust score (robustness), and the estimated
    turning point sits where the population puts it.

    The population's optimum is at latent trust ``-b1 / (2 b2)`` (in SD units); the latent
    quadratic estimates it in SD units of latent trust directly.  The trust score is a
    monotone (if noisy) function of latent trust, so the share of respondents whose score
    lies below the regression's turning point must be near ``Phi(optimum)``.
    """
    from scipy import stats

    _, res, details = large
    b1 = truth["H6"]["relationship_performance ~ trust"]
    b2 = truth["H6"]["relationship_performance ~ trust^2"]
    assert b2 < 0
    optimum = -b1 / (2 * b2)
    lat = details["H6b_latent"]
    row = res.loc["H6b"]
    assert row["verdict"] == "supported" and row["method"] == "latent_quadratic"
    assert row["pvalue"] == lat.lm_pvalue < 0.05 and row["estimate"] == lat.b2 < 0
    assert lat.slope_lo["estimate"] > 0 > lat.slope_hi["estimate"]
    # both members of a dyad share an alliance: fewer clusters than rows, as in the path model
    assert lat.nclusters == details["nclusters"] < row["n"]
    assert "cluster-robust SEs by alliance" in row["model"]
    # the latent turning point is in SD units of the measured trust factor: right of its
    # mean as the population's optimum, inside the tested range (where it sits over
    # studies is checked on the trust score below; the items' ceiling bends the factor)
    assert 0 < lat.turning_point_sd < lat.range_sd, lat.turning_point_sd
    assert lat.tp_ci_lower < lat.turning_point < lat.tp_ci_upper
    assert row["robustness"]["model"].startswith("OLS on composites")
    q = details["H6b"]
    assert q.inverted_u and not q.u_shape
    assert q.lm_pvalue < 0.05 and row["robustness"]["pvalue_one_sided"] == q.lm_pvalue
    sq = q.coefficients.set_index("term").loc["trust^2"]
    assert sq["estimate"] < 0 and sq["pvalue"] < 0.05
    assert q.x_min < q.tp_ci_lower < q.turning_point < q.tp_ci_upper < q.x_max
    assert q.x_min < q.tp_fieller_lower < q.turning_point < q.tp_fieller_upper < q.x_max
    assert q.slope_min["estimate"] > 0 > q.slope_max["estimate"]
    assert q.slope_min["pvalue"] < 0.10 and q.slope_max["pvalue"] < 0.10  # one-sided .05
    # where the turning point sits is checked over several studies below: in one study of
    # N = 3000 the share below it scatters by about 0.05 around Phi(optimum)
    assert stats.norm.cdf(optimum) > 0.5


@pytest.mark.slow
def test_turning_point_sits_at_the_true_optimum_over_studies(population, truth):
    """Averaged over six N = 3000 studies (seeds 11-16), the share of respondents whose
    trust score lies below the estimated turning point is near ``Phi(optimum)``.

    Population v3 (instrument 2.0.0) gave shares .576, .714, .714, .642, .658, .651 (mean
    .659); v2 gave .716 and .651 for seeds 11 and 12.  One study alone scatters too much
    for a tolerance of .08 (seed 11 is off by .115), the mean of six is held to .05.
    """
    from scipy import stats

    optimum = -truth["H6"]["relationship_performance ~ trust"] / (
        2 * truth["H6"]["relationship_performance ~ trust^2"])
    shares = []
    for seed in range(11, 17):
        df = simulate_study(3000, dyads=500, seed=seed, population=population)
        details: dict = {}
        _run(df, bootstrap=20, seed=1, details=details)
        scores = hyp.prepare_scores(df, None, hyp.load_hypotheses())[0]["trust"].dropna()
        shares.append(float((scores < details["H6b"].turning_point).mean()))
    assert abs(np.mean(shares) - stats.norm.cdf(optimum)) < 0.05, shares


def test_recovery_reports_exclusions_holm_and_exploratory(large):
    df, res, details = large
    assert res.attrs["n_raw"] == len(df)
    assert 0 < res.attrs["exclusions"]["total"] < 0.2 * len(df)
    assert res.attrs["n"] == len(df) - res.attrs["exclusions"]["total"]
    confirm = res[~res["exploratory"].astype(bool)]
    assert (confirm["pvalue_adjusted"] >= confirm["pvalue"] - 1e-15).all()
    np.testing.assert_allclose(confirm["pvalue_adjusted"], hyp.holm(confirm["pvalue"]),
                               rtol=0, atol=1e-15)
    assert res.loc[["H10", "H11"], "pvalue_adjusted"].isna().all()
    assert res.loc["H10", "verdict"].startswith("exploratory")
    assert res.loc["H11", "verdict"].startswith("exploratory")
    assert "Holm adjustment" in res.attrs["multiple_testing"]
    assert res.attrs["decision"]["family_size"] == len(confirm)
    assert "Constraints of the difference-score model" in res.loc["H2", "note"]
    assert "Difference-score path learning ~ asym_abs" in res.loc["H2", "note"]
    assert "Johnson-Neyman" in res.loc["H5", "note"]
    assert "equal and opposite" in res.loc["H5", "note"]
    assert res.loc["H2", "method"] == "rsa" and "H2_rsa_checks" in details
    assert "scalar invariance holds" in res.loc["H11", "note"]
    assert res.loc["H11", "verdict"] == "exploratory: differs by group"   # true stage effects
    # reliability-corrected single indicators are used in the path model
    assert "learning__obs" in details["syntax"]


def test_small_sample_completes_honestly(population):
    """N = 200: the runner completes, and every verdict says what its numbers say
    (no hypothesis is called supported without a significant test in its direction)."""
    df = simulate_study(200, dyads=40, seed=5, population=population)
    details: dict = {}
    res = _run(df, bootstrap=50, seed=2, details=details)
    hs = hyp.load_hypotheses()
    assert len(res) == len(hs.hypotheses)
    confirm = res[~res["exploratory"].astype(bool)]
    assert confirm["verdict"].isin(hyp.VERDICTS[:-1]).all()
    assert res.loc[res["exploratory"].astype(bool), "verdict"].str.startswith(
        "exploratory").all()
    assert res.attrs["warnings"]
    assert res.attrs["n"] == 200 - res.attrs["exclusions"]["total"]
    assert (res["n"] <= res.attrs["n"]).all() and (res["n"] > 0).all()
    assert res["pvalue"].notna().all()
    assert (confirm["pvalue_adjusted"] >= confirm["pvalue"] - 1e-15).all()
    _assert_verdicts_follow_the_declared_rules(res, details)


def _assert_verdicts_follow_the_declared_rules(res, details, alpha=0.05):
    """Every confirmatory verdict follows from the p-values in its row, as declared:
    one-sided in the declared direction, Holm over the family, TOST for the rest."""
    from scipy import stats

    confirm = res[~res["exploratory"].astype(bool)]
    m = len(confirm)
    for row in confirm.itertuples():
        assert row.ci_lower <= row.ci_upper, row.id
        assert row.alternative == {"+": "greater", "-": "less",
                                   "inverted_u": "inverted U"}[row.expected_sign]
        if row.method == "quadratic":
            q = details[row.id]
            inside = q.x_min <= q.turning_point <= q.x_max
            assert row.pvalue == q.lm_pvalue
            assert (row.verdict == "supported") == (row.pvalue_adjusted < alpha and inside)
            continue
        if row.method == "latent_quadratic":
            q = details[f"{row.id}_latent"]
            inside = abs(q.turning_point_sd) <= q.range_sd
            assert row.pvalue == q.lm_pvalue
            assert (row.verdict == "supported") == (row.pvalue_adjusted < alpha and inside)
            continue
        if row.method == "mediation_bootstrap":
            draws = details[row.id].draws["indirect"]
            side = draws <= 0 if row.expected_sign == "+" else draws >= 0
            assert row.pvalue == pytest.approx((side.sum() + 1) / (len(draws) + 1), abs=1e-15)
        elif row.method == "sem_path":  # one-sided Wald z from the path model's estimate
            z = row.estimate / row.se
            want = stats.norm.sf(z) if row.expected_sign == "+" else stats.norm.cdf(z)
            assert row.pvalue == pytest.approx(want, rel=1e-12)
        right = np.sign(row.estimate) == (1.0 if row.expected_sign == "+" else -1.0)
        if row.pvalue_adjusted < alpha:
            assert row.verdict == "supported", row.id
        elif not right and 1 - row.pvalue < alpha / m:
            assert row.verdict == "opposite sign", row.id
        else:
            want = ("evidence of no effect" if row.pvalue_equivalence < 0.05
                    else "inconclusive")
            assert row.verdict == want, (row.id, row.verdict, row.pvalue_equivalence)


def test_missing_values_and_careless_handled(population):
    df = simulate_study(800, dyads=100, seed=9, missing=0.08, missing_mechanism="MAR",
                        careless=0.10, population=population)
    details: dict = {}
    res = _run(df, bootstrap=30, seed=2, details=details)
    assert res.attrs["exclusions"]["total"] >= 40
    assert details["missing"] == "ml"          # FIML for missing composite scores
    assert "FIML" in res.set_index("id").loc["H1", "model"]
    assert (res["n"] < 800 - res.attrs["exclusions"]["total"] + 1).all()
    assert res["verdict"].ne("not tested").all()


def test_bad_arguments():
    df = simulate_study(60, seed=1)
    with pytest.raises(ModelSpecificationError, match="estimator"):
        hyp.test_hypotheses(df, estimator="GLS")
    with pytest.raises(ModelSpecificationError, match="bootstrap"):
        hyp.test_hypotheses(df, bootstrap=1)


def test_h10_compares_the_two_predictors_by_williams_t(large):
    """The verdict came from the point R2 values (.103 vs .122: "one-informant better")
    while the dyadic section's Williams' t gave p = .73; now the test decides, with the
    alliances as the cases, and the figures are in the note."""
    from analysis.stats.dyadic import dependent_correlation_test

    df, res, details = large
    d10 = details["H10"]
    note = res.loc["H10", "note"]
    assert "Williams' t(" in note and f"{d10['williams_p']:.3g}" in note
    # recomputed from the scored dyad rows the runner used
    scored = hyp.prepare_scores(df, None, hyp.load_hypotheses())[0]
    sub = scored[["value_creation", "dyad_jd_sum", "jd_sum", "alliance_id"]].dropna(
        subset=["value_creation", "dyad_jd_sum", "jd_sum"])
    r = sub[["value_creation", "dyad_jd_sum", "jd_sum"]].corr()
    ra, rb = r.loc["value_creation", "dyad_jd_sum"], r.loc["value_creation", "jd_sum"]
    assert ra > 0 and rb > 0  # the same sign here: the plain Williams' t
    want = dependent_correlation_test(ra, rb, r.loc["dyad_jd_sum", "jd_sum"],
                                      sub["alliance_id"].nunique())
    assert d10["williams_p"] == pytest.approx(want["pvalue"], rel=1e-9)
    verdict = res.loc["H10", "verdict"]
    if d10["williams_p"] >= 0.05:
        assert verdict == "exploratory: no significant difference between the predictors"
    else:
        better = d10["r2_two_informant"] > d10["r2_one_informant"]
        assert verdict == ("exploratory: two-informant better" if better
                           else "exploratory: one-informant better")


def test_h10_compares_predictive_strength_when_the_signs_differ():
    """A predictor correlating negatively with the outcome is compared by |r|: with
    r(y, a) about .5 and r(y, b) about -.5 the two explain about as much, which a
    Williams' t on the signed correlations (a difference near 1) called a clear win."""
    rng = np.random.default_rng(3)
    n = 400
    a = rng.standard_normal(n)
    b = rng.standard_normal(n)
    y = 0.5 * a - 0.47 * b + 0.7 * rng.standard_normal(n)
    d = pd.DataFrame({"value_creation": y, "dyad_jd_sum": a, "jd_sum": b,
                      "alliance_id": np.repeat(np.arange(n // 2), 2)})
    hs = hyp.load_hypotheses()
    det: dict = {}
    parts = {"y": "value_creation", "a": "dyad_jd_sum", "b": "jd_sum"}
    row = hyp._dyadic_row(hs.get("H10"), parts, d, [], 0.05, det)
    assert abs(det["H10"]["williams_t"]) < 1.5 and det["H10"]["williams_p"] > 0.05
    assert row["verdict"] == "exploratory: no significant difference between the predictors"


def test_h10_no_significant_difference_is_not_said_to_be_equality():
    """Williams' p >= alpha read "no difference between the predictors" and, in the
    report, that they "did not differ": absence of evidence worded as a finding."""
    rng = np.random.default_rng(5)
    n = 200
    a = rng.standard_normal(n)
    d = pd.DataFrame({"value_creation": 0.4 * a + rng.standard_normal(n), "dyad_jd_sum": a,
                      "jd_sum": a + 0.01 * rng.standard_normal(n),
                      "alliance_id": np.repeat(np.arange(n // 2), 2)})
    det: dict = {}
    parts = {"y": "value_creation", "a": "dyad_jd_sum", "b": "jd_sum"}
    row = hyp._dyadic_row(hyp.load_hypotheses().get("H10"), parts, d, [], 0.05, det)
    assert det["H10"]["williams_p"] > 0.05
    assert row["verdict"] == "exploratory: no significant difference between the predictors"
    from analysis.report.sections.narrative import FOUND

    assert "not show that they explain the same" in FOUND[
        "no significant difference between the predictors"]
    assert "could not be computed" in FOUND["Williams' t undefined"]
