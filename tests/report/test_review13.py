"""A methods reviewer's reading of four studies unlike the demo (session review 13): N = 120
with 17 % of the value-creation answers missing not at random and a reverse-keyed item that
45 % of the respondents misread; 40 dyads only, with strong partner similarity (ICC(1) up
to .90); joint dependence and dependence asymmetry nearly collinear (r = .95, the partner's
dependence answered at the floor) beside a squared effect of own dependence; skewed items
with a ceiling and a strong method factor.

The report tests reshape the fixture analysis with the parts the generated studies had;
the statistics behind them are checked against numpy / scipy / statsmodels written out
(lavaan, semTools and psych gave the same alphas and HTMT on the generated data).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from analysis.report import render_html
from analysis.report.check import check_report
from tests.report._reading import report_text as _text
from tests.report._reading import results_text as _results
from tests.report.fixture_analysis import fixture_analysis

REVERSE = ["knowledge_integration_5", "value_creation_7"]


# ------------------------------------------------------------------ (1) a misread item
def _weak_item(improper: bool = False) -> dict:
    a = fixture_analysis()
    m = a["measurement"]
    m["loadings"] = [{"factor": "knowledge_integration", "item": f"knowledge_integration_{k}",
                      "est": 1.0, "se": 0.1, "std_all": v, "pvalue": 1e-6}
                     for k, v in ((1, 0.80), (6, 0.77), (3, 0.75), (4, 0.71), (5, 0.1013))]
    m["reliability"] = {"knowledge_integration": {"n_items": 5, "alpha": 0.7123,
                                                  "omega": 0.80, "cr": 0.78, "ave": 0.46}}
    if improper:
        m["improper"] = ["Some ordered indicators have negative residual variances "
                         "(Heywood case): joint_sensemaking_3"]
    return a


def test_a_reverse_keyed_item_that_measures_nothing_is_named():
    """N = 113: knowledge_integration_5 (reverse-keyed, misread by 45 % of respondents)
    loaded .10; alpha .71 passed, and the Results spoke of the scale's AVE of .46 without
    naming the item (the loadings table alone showed it)."""
    a = _weak_item()
    html = render_html(a, extras={"reverse_items": REVERSE})
    assert check_report(html, a) == []
    text = _results(html)
    assert ("An item loads below .40 on its construct, far below the conventional .708: "
            "knowledge_integration_5 of Knowledge integration (λ = .10, reverse-keyed); it "
            "shares less than a sixth of its variance with the construct") in text
    assert "misread its reversed wording or answered it with an agreement tendency " \
           "(Weijters & Baumgartner, 2012)" in text
    # the items loading .71 to .80 are not named
    assert "knowledge_integration_4 of" not in text


def test_no_weak_item_remark_from_an_improper_solution_or_good_items():
    text = _results(render_html(_weak_item(improper=True), extras={"reverse_items": REVERSE}))
    assert "loads below .40" not in text  # its loadings are not interpreted at all
    assert "below .40" not in _results(render_html(fixture_analysis()))


# ------------------------------------------------------------------ unreliable scales
def _unreliable() -> dict:
    a = fixture_analysis()
    a["reliability"] = {"dep_partner": {"alpha": -0.10713930904304114, "flag": True},
                        "marker": {"alpha": 0.6985175397280656, "flag": True},
                        "trust": {"alpha": 0.6985, "flag": True},
                        "value_creation": {"alpha": 0.84, "flag": False}}
    hy = a["hypotheses"]
    hy[0].update(test="learning ~ jd_sum",
                 scales=["info_sharing", "joint_sensemaking", "dep_own", "dep_partner"])
    hy[1].update(test="learning ~ trust", scales=["info_sharing", "trust"])
    hy[2].update(test="value_appropriation ~ value_creation * asym_signed")  # no 'scales'
    return a


def test_verdicts_resting_on_an_unreliable_scale_through_an_index_are_named():
    """The collinear study: the partner's dependence answered at the floor at random gave
    dep_partner alpha = -.107 (psych::alpha on the same rows: -0.1071393); H1 (learning ~
    jd_sum), H2, H4 and H5 rest on it through the dependence indices, and the Results said
    nothing (the row's flag looked at the names in the test only: H1 False)."""
    a = _unreliable()
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html)
    assert ("Some verdicts rest on a scale whose reliability is below the conventional .70 "
            "(Nunnally, 1978), directly or through a dependence index computed from it: Dep "
            "partner (Cronbach's α = −.11; a negative α means its items correlate negatively "
            "on average, which points to a coding or reverse-keying error or to items that "
            "do not measure one thing), on which H1, H5 rest; Trust (Cronbach's α = .699), "
            "on which H2 rests.") in text
    assert "Marker" not in text.split("Some verdicts rest")[1].split(".H1")[0]


def test_reliable_scales_get_no_caveat():
    a = fixture_analysis()
    a["reliability"] = {"trust": {"alpha": 0.84, "flag": False}}
    assert "reliability is below" not in _results(render_html(a))


# ------------------------------------------------------------------ (3) collinearity
def _collinear(r: float) -> dict:
    a = fixture_analysis()
    a["structural"]["syntax"] = ("learning ~ jd_sum + asym_abs + trust + alliance_age\n"
                                 "value_creation ~ learning + jd_sum\n")
    c = a["correlations"]
    c["jd_sum"]["asym_abs"] = c["asym_abs"]["jd_sum"] = r
    c["jd_sum"]["trust"] = c["trust"]["jd_sum"] = 0.1213
    c["asym_abs"]["trust"] = c["trust"]["asym_abs"] = 0.1045
    a["hypotheses"][0]["test"] = "learning ~ jd_sum"
    a["hypotheses"][1]["test"] = "value_creation ~ learning"
    return a


def test_nearly_collinear_predictors_of_the_path_model_are_named():
    """r(jd_sum, asym_abs) = .948 when the partner's dependence sat at the floor: VIF 9.8 in
    the equation of learning, and H1's path judged without a word of it."""
    a = _collinear(0.9478)
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html)
    c = a["correlations"]
    xs = ["jd_sum", "asym_abs", "trust"]
    vif = np.diag(np.linalg.inv(np.array([[c[i][j] for j in xs] for i in xs])))
    assert vif[0] == pytest.approx(9.88, abs=0.01)
    assert (f"predicting Relationship learning, Joint dependence (sum) (VIF = {vif[0]:.1f}) "
            f"and Dependence asymmetry (absolute) (VIF = {vif[1]:.1f}), the closest pair, "
            "Joint dependence (sum) and Dependence asymmetry (absolute), correlating .95. "
            "Their separate paths are estimated with inflated standard errors and can hardly "
            "be told apart, and H1 rests on such a path.") in text
    # the equation of value creation (learning, jd_sum: r = -.0377) is not named
    assert "predicting Value creation" not in text


def test_moderately_correlated_predictors_get_no_collinearity_remark():
    text = _results(render_html(_collinear(0.50)))
    assert "nearly collinear" not in text


# ------------------------------------------------------------------ RSA outside the data
def _rsa(center: float) -> dict:
    a = fixture_analysis()
    h = a["hypotheses"][1]
    h.update(method="rsa", test="learning ~ poly(dep_own, dep_partner)", estimate=-2.5183,
             ci_lower=-4.6862, ci_upper=-0.3507, pvalue=0.0115, pvalue_adjusted=0.0803,
             verdict="inconclusive")
    a["response_surface"] = {"H2": {"id": "H2", "z": "learning", "x": "dep_own",
                                    "y": "dep_partner", "n": 275, "center": center}}
    a["descriptives"]["dep_own"] = {"n": 275, "mean": 4.4313, "sd": 1.2557, "min": 1.2,
                                    "max": 7.0}
    a["descriptives"]["dep_partner"] = {"n": 275, "mean": 1.2051, "sd": 0.20676,
                                        "min": 1.0, "max": 1.8}
    return a


def test_a_response_surface_read_where_no_respondent_was_says_so():
    """a4 = -2.52 (statsmodels HC3 on the same rows: -2.518, one-sided p = .0115) was the
    curvature at dep_own = dep_partner = 2.84, the pooled mean; dep_partner ranged 1.0 to
    1.8.  The surface there is an extrapolation (VIF of the y and y^2 terms about 158)."""
    a = _rsa(2.8359999999999994)
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html)
    assert ("Its response-surface parameters describe the surface at the point where both "
            "scores equal 2.84 (their pooled mean), where no respondent was: Dep partner "
            "ranges from 1.00 to 1.80 (SD 0.21), so the curvature tested is an extrapolation "
            "beyond the data, not a shape the data show.") in text
    assert "Dep own ranges" not in text
    assert "where no respondent was" not in _results(render_html(_rsa(1.5)))


def test_the_response_surface_numbers_agree_with_statsmodels():
    """The collinear study's RSA, rebuilt small: a4 and its HC3 SE from the package's
    response_surface equal those of statsmodels' OLS with HC3 and the contrast written out."""
    import statsmodels.api as sm

    from analysis.stats.regression import response_surface

    rng = np.random.default_rng(133)
    n = 200
    x = np.clip(rng.normal(4.4, 1.2, n), 1, 7)
    y = rng.choice([1.0, 1.2, 1.4, 1.6], p=[0.5, 0.3, 0.15, 0.05], size=n)
    z = 0.3 * x - 0.05 * (x - 4) ** 2 + rng.normal(0, 1, n)
    d = pd.DataFrame({"z": z, "x": x, "y": y})
    res = response_surface(d, "z", "x", "y")
    c = float(pd.concat([d.x, d.y]).mean())
    xc, yc = d.x - c, d.y - c
    fit = sm.OLS(d.z, sm.add_constant(np.column_stack([xc, yc, xc**2, xc * yc, yc**2]))
                 ).fit(cov_type="HC3")
    w = np.array([0, 0, 0, 1, -1, 1.0])
    a4 = res.surface.set_index("parameter").loc["a4"]
    assert res.center == pytest.approx(c, rel=1e-12)
    assert a4["estimate"] == pytest.approx(float(w @ fit.params), rel=1e-9)
    assert a4["se"] == pytest.approx(float(np.sqrt(w @ fit.cov_params() @ w)), rel=1e-9)
    assert c > d.y.max()  # the point the parameters describe lies outside y's range


# ------------------------------------------------------------------ (2) dyads: H10
def test_the_dyadic_question_gives_the_test_that_answers_it():
    """40 dyads: 'H10 asked whether ...: beta = .25, 95% CI [-.05, .56], p = .100 (two-sided,
    unadjusted). In this sample the variance explained ... did not differ significantly
    (Williams' t ...)': the p was the dyad-level slope's, the Williams test (p = .595) in
    the appendix note only."""
    a = fixture_analysis()
    a["hypotheses"][3].update(
        statement="Dyad-level joint dependence from both partners' self-reports predicts "
                  "value creation at least as well as one informant's perception.",
        verdict="exploratory: no significant difference between the predictors",
        estimate=0.2525443032436931, ci_lower=-0.05102589494099807,
        ci_upper=0.5561145014283843, alternative="two-sided", pvalue=0.09996508979090632,
        exploratory=True, n=68, test="value_creation ~ dyad_jd_sum vs jd_sum",
        note="Dyad rows only (n = 68; SE clustered by alliance (34 clusters)). Standardized "
             "slope of dyad_jd_sum shown; R2 dyad_jd_sum = 0.064 vs jd_sum = 0.090; "
             "Williams' t(31) = -0.54, p = 0.595 (the 34 alliances as cases).")
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html)
    assert ("β = .25, 95% CI [−.05, .56], p = .100 (two-sided, unadjusted); that is the "
            "slope of the dyad-level index alone, and the comparison of the two predictors, "
            "which answers the question, gives R² = .064 vs .090, Williams' t(31) = −0.54, "
            "p = .595 (two-sided, unadjusted).") in text


def test_williams_t_agrees_with_the_formula_written_out():
    """The dyads study's H10: r(y, dyad) = .2525, r(y, one informant) = .3008, r between
    them = .83 over 34 alliances; Williams' t (Steiger 1980, eq. 3) on n - 3 df."""
    from analysis.stats.dyadic import dependent_correlation_test

    r12, r13, r23, n = 0.2525, 0.3008, 0.83, 34
    det = 1 - r12**2 - r13**2 - r23**2 + 2 * r12 * r13 * r23
    rb = (r12 + r13) / 2
    t = (r12 - r13) * np.sqrt((n - 1) * (1 + r23) / (
        2 * (n - 1) / (n - 3) * det + rb**2 * (1 - r23) ** 3))
    out = dependent_correlation_test(r12, r13, r23, n)
    assert out["df"] == n - 3
    assert out["t"] == pytest.approx(t, rel=1e-10)
    assert out["pvalue"] == pytest.approx(2 * stats.t.sf(abs(t), n - 3), rel=1e-10)


def test_the_dyads_icc_agrees_with_the_one_way_anova():
    """Partner similarity in the dyads study: trust ICC(1) .793, ICC(2) .885 from F = 8.669;
    ICC(1) = (MSB - MSW) / (MSB + MSW) and ICC(2) = 1 - 1/F for pairs (multilevel::ICC1)."""
    from analysis.stats.dyadic import icc

    rng = np.random.default_rng(40)
    g = rng.normal(size=40)
    d = pd.DataFrame({"dyad": np.repeat(np.arange(40), 2),
                      "y": np.repeat(g, 2) + 0.5 * rng.normal(size=80)})
    out = icc(d["y"], d["dyad"])
    means = d.groupby("dyad")["y"].mean()
    msb = 2 * ((means - d["y"].mean()) ** 2).sum() / 39
    msw = ((d["y"] - d["dyad"].map(means)) ** 2).sum() / 40
    assert out["icc1"] == pytest.approx((msb - msw) / (msb + msw), rel=1e-10)
    assert out["icc2"] == pytest.approx(1 - msw / msb, rel=1e-10)


# ------------------------------------------------------------------ (1) MNAR wording
def test_concentrated_missingness_in_an_outcome_is_not_explained_by_dependence_items():
    """Value creation's answers skipped by the firms that created little value: the
    sentence explained the risk with 'firms that depend heavily on the partner leaving the
    dependence items blank', a remark about another scale."""
    a = fixture_analysis()
    a["missing"] = {"item_missing_share": 0.011,
                    "item_missing_share_by_scale": {"value_creation": 0.166, "trust": 0.0},
                    "scores_missing": {"value_creation": 11, "trust": 0}}
    text = _results(render_html(a))
    assert "concentrated in Value creation (16.6% of its answers; 11 respondents" in text
    assert "dependence items" not in text
    assert "because of the construct's own level (those who stand high or low on it " \
           "leaving its items blank)" in text


# ------------------------------------------------------------------ (2) H6b in dyads
def test_the_latent_quadratics_robustness_row_names_its_clustered_se(tmp_path: Path):
    """Dyads only: H6b's robustness note read 'quadratic regression on composites, OLS,
    HC3' while the regression's SEs were clustered by alliance (the moderation row's said
    so)."""
    import statsmodels.api as sm

    import analysis.study.hypotheses as hyp
    from analysis.study.scoring import score
    from analysis.study.simulate import simulate_study

    df = simulate_study(120, dyads=60, seed=13)
    decl = {"id": "review13", "version": 1,
            "decision": {"alpha": 0.05, "sides": "by_direction", "correction": "holm",
                         "family": "confirmatory", "sesoi": 0.10, "equivalence": "tost",
                         "equivalence_alpha": 0.05},
            "composites": {}, "controls": [], "model": "value_creation ~ trust\n",
            "cluster": "alliance_id",
            "hypotheses": [{"id": "H1", "statement": "Trust has an optimal level.",
                            "expected_sign": "inverted_u", "method": "latent_quadratic",
                            "controls": [], "sources": ["test"],
                            "test": "relationship_performance ~ trust + trust^2"}]}
    path = tmp_path / "h.yaml"
    path.write_text(yaml.safe_dump(decl, sort_keys=False), encoding="utf-8")
    out = hyp.test_hypotheses(df, hypotheses=path, bootstrap=2, latent_model=False,
                              latent_alternative=False, robustness_wlsmv=False)
    note = out.set_index("id").loc["H1", "note"]
    m = re.search(r"Robustness \(quadratic regression on composites, OLS, SE clustered by "
                  r"alliance, (\d+) clusters; not the declared test\): squared term "
                  r"(-?[0-9.]+)", note)
    assert m, note
    # the squared term as statsmodels gives it on the same rows
    s = score(df)
    keep = ~s["exclude"].to_numpy()
    d = pd.DataFrame({"y": s["relationship_performance"], "x": s["trust"]})[keep].dropna()
    fit = sm.OLS(d["y"], sm.add_constant(np.column_stack([d["x"], d["x"] ** 2]))).fit()
    assert float(m.group(2)) == pytest.approx(float(fit.params.iloc[2]), abs=5e-4)
    assert int(m.group(1)) == df.loc[d.index, "alliance_id"].nunique()


# ------------------------------------------------------------------ a bound on its cut-off
def test_an_htmt_bound_that_rounds_onto_the_cut_off_gets_three_decimals():
    """N = 113: 'HTMT = .68, the upper bound of its bootstrap interval .90, not below .90'
    (the bound was .9019; semTools::htmt gave the same .685 point value)."""
    a = fixture_analysis()
    a["hypotheses"][0].update(test="learning ~ jd_sum", scales=["knowledge_integration"])
    a["measurement"]["htmt_inference"] = {"n_boot": 1000, "pairs": [
        {"factor1": "knowledge_integration", "factor2": "relationship_performance",
         "htmt": 0.6847763470685417, "ci_lower": 0.41438940099814786,
         "ci_upper": 0.9018597077153445, "n_boot": 1000.0, "below_085": False,
         "below_090": False}]}
    html = render_html(a)
    assert check_report(html, a) == []
    assert ("(HTMT = .68, the upper bound of its bootstrap interval .902, not below .90)"
            in _results(html))


# ------------------------------------------------------------------ causal language
def test_supported_verdicts_on_one_wave_are_not_causal_claims():
    """Every study: 'H1 predicted that joint dependence increases relationship learning;
    ...; supported' and 'H4 ... mediates the effect ...; supported', from one survey wave,
    with no word anywhere in the report that the data cannot order cause and effect."""
    a = fixture_analysis()
    a["hypotheses"][1].update(method="mediation_bootstrap",
                              test="jd_sum -> learning -> value_creation")
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html)
    assert ("The confirmatory tests are summarized in the verdict table and below. The data "
            "are cross-sectional (each respondent answered every scale at the same time): "
            "a supported hypothesis is an association with the "
            "predicted sign that survived the declared test, not evidence of the causal "
            "direction its statement names; the indirect effect of H2 is a cross-sectional "
            "estimate of a process that unfolds over time, which can be biased as an "
            "estimate of longitudinal mediation (Maxwell & Cole, 2007).") in text
    assert not re.search(r"\bprove[sd]?\b|\bcauses\b", _text(html))


# ------------------------------------------------------------------ (4) improper solution
def test_an_improper_solution_prints_no_reliability_computed_from_it():
    """Skewed items with a strong method factor: a Heywood case (joint_sensemaking_3, lambda
    1.004), and the measurement table printed omega, CR and AVE of every scale (info
    sharing CR .91, AVE .71) beside a note that they were not interpretable."""
    a = _weak_item(improper=True)
    html = render_html(a)
    assert check_report(html, a) == []
    table4 = _text(html.split("Measurement model: standardized loadings", 1)[1]
                   .split("</table>", 1)[0])
    assert "Knowledge integration" in table4 and ".10.71NANANA" in table4  # alpha kept
    assert ".78" not in table4 and ".46" not in table4 and ".80NA" not in table4
    note = _text(html.split("Measurement model: standardized loadings", 1)[1]
                 .split('class="tabnote"', 1)[1].split("</p>", 1)[0])
    assert "ω, CR and AVE cannot be computed from it (NA" in note
    assert "AVE below" not in note and "average variance extracted is below" not in note
    # the appendix lists them for the record, saying so
    assert ("The measurement model's solution is improper: ω, CR and AVE are listed for "
            "the record only and cannot be interpreted.") in _text(html)
