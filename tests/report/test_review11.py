"""A methods reviewer's reading of four studies unlike the demo (session review 11): a pilot
of 60 on 5-point items with a ceiling, 600 responses with a true-zero hypothesis and
partial non-invariance, a reverse-keyed first item with straight-liners, and a custom
hypotheses file (two-sided, Bonferroni, OLS moderation and quadratic, a cluster column
other than alliance_id).

The report tests reshape the fixture analysis; the statistics tests fit small seeded data
and compare with an independent numpy computation (CR1 as Stata and sandwich::vcovCL).
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
from tests.report._reading import results_text as _results
from tests.report._reading import verdict_sentence as _sentence
from tests.report.fixture_analysis import fixture_analysis

DECISION = {"alpha": 0.05, "sides": "by_direction", "correction": "holm",
            "family": "confirmatory", "sesoi": 0.10, "equivalence": "tost",
            "equivalence_alpha": 0.05, "family_ids": ["H1", "H2", "H5"], "family_size": 3}


# ------------------------------------------------------------------ the sentences
def test_the_sentences_give_the_standardized_estimate_the_table_gives():
    """The verdict table had beta, the sentences only B in each scale's points (H1 of the
    600-response study: 'B = 0.117', beta .23 in the table only)."""
    a = fixture_analysis()
    a["decision"] = dict(DECISION)
    for h in a["hypotheses"]:  # as an analysis writes it: null where there is none
        h["std_estimate"] = None
    a["hypotheses"][0]["std_estimate"] = 0.2298
    html = render_html(a)
    assert check_report(html, a) == []
    s = _sentence(_results(html), "H1")
    assert "B = 0.288, 95% CI [0.141, 0.434], β = .23, p < .001" in s
    # a row without a standardized estimate gets none (and no "nan")
    assert "β" not in _sentence(_results(html), "H2")


def test_a_mediation_sentence_names_its_standardized_estimate_as_such():
    a = fixture_analysis()
    h = a["hypotheses"][0]
    h.update(method="mediation_bootstrap", std_estimate=0.0864)
    html = render_html(a)
    s = _sentence(_results(html), "H1")
    assert "indirect effect ab = 0.288" in s and "standardized ab = .09" in s
    assert "β" not in s


def test_evidence_of_no_effect_gives_the_equivalence_p_it_rests_on():
    """H9b (a true zero, N = 539) read 'p = .397 (one-sided), adjusted p = .545; evidence
    of no effect' with no word of the TOST that decided between no effect and
    inconclusive (p = .035)."""
    a = fixture_analysis()
    a["decision"] = dict(DECISION)
    h = a["hypotheses"][1]
    h.update(verdict="evidence of no effect", estimate=0.0128, ci_lower=-0.083, ci_upper=0.109,
             pvalue=0.3967, pvalue_adjusted=0.5449, pvalue_equivalence=0.0346)
    html = render_html(a)
    assert check_report(html, a) == []
    s = _sentence(_results(html), "H2")
    assert ("equivalence test (TOST) against the smallest effect size of interest, p = .035"
            in s)
    assert s.endswith("evidence of no effect.")


def test_two_sided_rules_are_hyphenated_and_the_u_test_is_named():
    """The custom file's two-sided rule read 'each is tested two sided', and the quadratic
    hypothesis 'B of the squared term = -0.111, 95% CI [-0.173, -0.048], p = .340
    (two-sided)': the p is the two-sided Lind-Mehlum test, not the squared term's."""
    a = fixture_analysis()
    a["decision"] = {**DECISION, "sides": "two_sided", "correction": "bonferroni"}
    h = a["hypotheses"][0]
    h.update(method="quadratic", expected_sign="inverted_u", alternative="two-sided",
             estimate=-0.111, ci_lower=-0.173, ci_upper=-0.048, pvalue=0.3396,
             pvalue_adjusted=1.0, verdict="inconclusive")
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html)
    assert "each is tested two-sided at α = .05" in text
    assert "two sided" not in text
    s = _sentence(text, "H1")
    assert "p = .340 (two-sided Lind–Mehlum test of a U or an inverted U)" in s


def test_a_measurement_model_that_failed_is_named_in_the_results():
    """The N = 60 pilot: the CFA was refused (too few respondents) and the results text
    went from the exclusions to the structural model without a word about it."""
    a = fixture_analysis()
    a["measurement"] = {"available": False,
                        "reason": "Only 53 respondents remain after exclusions; the "
                                  "measurement model needs at least 54."}
    html = render_html(a)
    text = _results(html)
    assert ("The measurement model (a confirmatory factor analysis of the scales) could not "
            "be fitted (only 53 respondents remain after exclusions" in text)
    assert "no composite reliability, AVE or discriminant validity from it" in text


# ------------------------------------------------------------------ clustering of OLS tests
def _clustered(seed: int = 11, g: int = 30, size: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = g * size
    cl = np.repeat(np.arange(g), size)
    u = rng.normal(size=g)[cl]
    x = rng.normal(size=n) + 0.8 * u
    m = rng.normal(size=n) + 0.5 * rng.normal(size=g)[cl]
    y = 0.3 * x + 0.2 * m + 0.15 * x * m - 0.1 * x * x + u + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x": x, "m": m, "firm": [f"f{c}" for c in cl]})


def _cr1(y: np.ndarray, design: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Stata's CR1 covariance (sandwich::vcovCL type HC1), written out."""
    x = np.column_stack([np.ones(len(y)), design])
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    e = y - x @ beta
    n, k = x.shape
    ng = len(np.unique(groups))
    meat = np.zeros((k, k))
    for gid in np.unique(groups):
        s = x[groups == gid].T @ e[groups == gid]
        meat += np.outer(s, s)
    bread = np.linalg.inv(x.T @ x)
    return bread @ meat @ bread * (ng / (ng - 1) * (n - 1) / (n - k))


def test_moderation_and_quadratic_cluster_by_a_column():
    """OLS moderation and quadratic tests had HC3 whatever the file's cluster: said."""
    from analysis.stats.regression import moderation, quadratic

    d = _clustered()
    res = moderation(d, "y", "x", "m", cluster="firm")
    xc, mc = d["x"] - d["x"].mean(), d["m"] - d["m"].mean()
    v = _cr1(d["y"].to_numpy(), np.column_stack([xc, mc, xc * mc]), d["firm"].to_numpy())
    assert res.n_clusters == 30 and res.df_resid == 29
    assert res.interaction["se"] == pytest.approx(np.sqrt(v[3, 3]), rel=1e-10)
    t = res.interaction["estimate"] / res.interaction["se"]
    assert res.interaction["pvalue"] == pytest.approx(2 * stats.t.sf(abs(t), 29), rel=1e-10)
    hc3 = moderation(d, "y", "x", "m")
    assert hc3.n_clusters is None and hc3.interaction["se"] != pytest.approx(
        res.interaction["se"], rel=1e-3)

    q = quadratic(d, "y", "x", cluster="firm")
    vq = _cr1(d["y"].to_numpy(), np.column_stack([d["x"], d["x"] ** 2]), d["firm"].to_numpy())
    sq = q.coefficients.set_index("term").loc["x^2"]
    assert q.n_clusters == 30 and q.df_resid == 29
    assert sq["se"] == pytest.approx(np.sqrt(vq[2, 2]), rel=1e-10)
    # the Lind-Mehlum p on G - 1 df, from the slopes' CR1 t at the observed ends
    b = np.linalg.lstsq(np.column_stack([np.ones(len(d)), d["x"], d["x"] ** 2]),
                        d["y"].to_numpy(), rcond=None)[0]

    def t_at(x0: float) -> float:
        w = np.array([0.0, 1.0, 2 * x0])
        return float(w @ b / np.sqrt(w @ vq @ w))

    lm_t = min(t_at(d["x"].min()), -t_at(d["x"].max())) if b[2] < 0 else \
        min(-t_at(d["x"].min()), t_at(d["x"].max()))
    assert q.lm_pvalue == pytest.approx(float(stats.t.sf(lm_t, 29)), rel=1e-8)


@pytest.fixture(scope="module")
def custom_cluster(tmp_path_factory: pytest.TempPathFactory
                   ) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    import analysis.study.hypotheses as hyp
    from analysis.study.simulate import simulate_study

    df = simulate_study(200, dyads=60, seed=5)
    df["portfolio_id"] = [f"p{i // 4:03d}" for i in range(len(df))]
    decl = {"id": "review11", "version": 1,
            "decision": {"alpha": 0.05, "sides": "two_sided", "correction": "bonferroni",
                         "family": "confirmatory", "sesoi": 0.10, "equivalence": "tost",
                         "equivalence_alpha": 0.05},
            "composites": {"learning": ["info_sharing", "joint_sensemaking",
                                        "knowledge_integration"]},
            "controls": [], "model": "learning ~ trust\n", "cluster": "portfolio_id",
            "hypotheses": [
                {"id": "H1", "statement": "Investments strengthen learning's effect.",
                 "expected_sign": "+", "test": "value_creation ~ learning * specific_investments",
                 "method": "moderation", "controls": [], "sources": ["test"]},
                {"id": "H2", "statement": "Trust has an optimal level.",
                 "expected_sign": "inverted_u", "method": "quadratic", "controls": [],
                 "test": "relationship_performance ~ trust + trust^2", "sources": ["test"]},
                {"id": "H3", "statement": "Trust increases learning.", "expected_sign": "+",
                 "test": "learning ~ trust", "method": "sem_path", "controls": [],
                 "sources": ["test"]},
                {"id": "H4", "statement": "Learning about vs from differs by focus.",
                 "expected_sign": "none", "method": "multigroup", "controls": [],
                 "test": "learning_about - learning_from by sustainability_focus",
                 "sources": ["test"], "exploratory": True},
                {"id": "H5", "statement": "Dyad-level joint dependence predicts value.",
                 "expected_sign": "none", "method": "dyadic", "controls": [],
                 "test": "value_creation ~ dyad_jd_sum vs jd_sum", "sources": ["test"],
                 "exploratory": True}]}
    path = Path(tmp_path_factory.mktemp("review11")) / "h.yaml"
    path.write_text(yaml.safe_dump(decl, sort_keys=False), encoding="utf-8")
    det: dict = {}
    out = hyp.test_hypotheses(df, hypotheses=path, bootstrap=2, latent_model=False,
                              latent_alternative=False, robustness_wlsmv=False, details=det)
    return out, det, df


def test_a_declared_cluster_column_is_used_and_named(custom_cluster: tuple):
    """cluster: portfolio_id (4 rows a portfolio): every note said "cluster-robust SEs by
    alliance (100 clusters)" -- 100 portfolios, not alliances -- and the OLS moderation
    and quadratic tests were HC3."""
    out = custom_cluster[0].set_index("id")
    assert out.loc["H1", "model"] == "OLS on composites (SE clustered by portfolio_id, 50 clusters)"
    assert "SE clustered by portfolio_id, 50 clusters" in out.loc["H1", "note"]
    assert out.loc["H2", "model"].startswith("OLS on composites (SE clustered by portfolio_id")
    assert "cluster-robust SEs by portfolio_id (50 clusters)" in out.loc["H3", "model"] + \
        out.loc["H3", "note"]
    assert "by alliance" not in " ".join(out["model"].astype(str) + out["note"].astype(str))
    # the dyadic test's Williams t takes the clusters as its cases: portfolios, not alliances
    assert out.loc["H5", "model"].endswith("SE clustered by portfolio_id)")
    assert re.search(r"\(the \d+ portfolio_id clusters as cases\)", out.loc["H5", "note"])


def test_cluster_words():
    from analysis.study.latent_model import cluster_words

    assert cluster_words("alliance_id") == "alliance"
    assert cluster_words(None) == "alliance"
    assert cluster_words("portfolio_id") == "portfolio_id"


# ------------------------------------------------------------------ improper latent squares
def _params(cov: dict[tuple[str, str], float]) -> pd.DataFrame:
    return pd.DataFrame([{"lhs": a, "op": "~~", "rhs": b, "est": v} for (a, b), v in cov.items()])


def test_a_latent_square_collinear_with_its_predictor_is_an_improper_solution():
    """The pilot's H6b (N = 53, 5-point items with a ceiling): r(X, XX) = -.999 with an
    observed control made the predictors' covariance matrix not positive definite; the
    engine checks the latent block only, so 'B of the latent squared term = 8.604, 95% CI
    [-1068.220, 1085.428]' was printed and judged, and its power gave 'would need N =
    5563044733'."""
    from analysis.stats.latent_interaction import predictor_cov_warning
    from analysis.stats.method_variance import improper_warnings

    bad = _params({("X", "X"): 0.598036, ("XX", "XX"): 2.701405, ("X", "XX"): -1.269315,
                   ("value_creation", "value_creation"): 0.660506,
                   ("X", "value_creation"): 0.009467, ("XX", "value_creation"): -0.112071})
    w = predictor_cov_warning(bad, ["X", "XX", "value_creation"], "Y")
    assert w is not None and "not positive definite" in w and "r(X, XX) = -0.999" in w
    assert improper_warnings([w]) == [w]
    good = _params({("X", "X"): 0.6, ("XX", "XX"): 0.7, ("X", "XX"): 0.1,
                    ("value_creation", "value_creation"): 0.66,
                    ("X", "value_creation"): 0.2, ("XX", "value_creation"): -0.1})
    assert predictor_cov_warning(good, ["X", "XX", "value_creation"], "Y") is None
    # a control whose variance the model does not estimate (fixed x): nothing to judge
    assert predictor_cov_warning(good, ["X", "XX", "firm_size"], "Y") is None
    # two observed controls: the table lists no covariance between them (the engine keeps
    # the observed block at its sample values), which the data give
    rng = np.random.default_rng(2)
    obs = pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50)})
    two = _params({("X", "X"): 0.598036, ("XX", "XX"): 2.701405, ("X", "XX"): -1.269315,
                   ("a", "a"): float(obs["a"].var()), ("b", "b"): float(obs["b"].var()),
                   # r(X, a) = .30 but r(XX, a) = +.10 beside r(X, XX) = -.999
                   ("X", "a"): 0.30 * np.sqrt(0.598036 * obs["a"].var()),
                   ("XX", "a"): 0.10 * np.sqrt(2.701405 * obs["a"].var()),
                   ("X", "b"): 0.0, ("XX", "b"): 0.0})
    assert predictor_cov_warning(two, ["X", "XX", "a", "b"], "Y") is None  # no a ~~ b
    w2 = predictor_cov_warning(two, ["X", "XX", "a", "b"], "Y", observed=obs)
    assert w2 is not None and "not positive definite" in w2


# ------------------------------------------------------------------ Lindell-Whitney
def test_the_smallest_marker_correlation_is_not_below_zero_by_selection():
    """The refused marker adjustment read "significantly below zero (two-sided p = .024)"
    for the smallest of 8 marker correlations, tested as if it had been chosen in
    advance; the smallest of k is negative more often than one correlation."""
    from analysis.errors import DataError
    from analysis.stats.method_variance import marker_adjusted_correlations

    rng = np.random.default_rng(7)
    n, k = 200, 8
    raw = rng.normal(size=(n, k + 1))
    raw -= raw.mean(axis=0)
    q, _ = np.linalg.qr(raw)  # exactly uncorrelated, centred columns
    cols = {f"v{i}": q[:, i] for i in range(k)}
    r = -0.16
    cols["marker"] = r * q[:, 0] + np.sqrt(1 - r * r) * q[:, k]
    d = pd.DataFrame(cols)
    p_one = 2 * stats.t.sf(abs(r) * np.sqrt((n - 2) / (1 - r * r)), n - 2)
    assert 0.05 / k < p_one < 0.05  # significant alone, not after the choice among k
    with pytest.raises(DataError) as err:
        marker_adjusted_correlations(d, "marker", r_m="smallest")
    msg = str(err.value)
    assert "r_M = -0.160 is not positive" in msg
    assert "significantly below zero" not in msg
    # a value chosen by the analyst is one correlation: its own p
    with pytest.raises(DataError) as err:
        marker_adjusted_correlations(d, "marker", r_m=-0.16)
    assert f"two-sided p = {p_one:.3g})" in str(err.value)
    # far below zero, the adjusted p says how it was adjusted
    cols["marker"] = -0.4 * q[:, 0] + np.sqrt(1 - 0.16) * q[:, k]
    with pytest.raises(DataError) as err:
        marker_adjusted_correlations(pd.DataFrame(cols), "marker", r_m="smallest")
    assert "Bonferroni-adjusted for picking it among 8 marker correlations" in str(err.value)


# ------------------------------------------------------------------ the report's own check
def test_a_significance_legend_is_no_value_a_figure_rounds():
    """N = 539: the path diagram's "H9b: .00" (beta = .004) was flagged against the
    caption's "*** p < .001", so the report check failed a correct report."""
    from analysis.report.check import figure_precision

    fig = ('<figure><svg><text>H9b: .00</text><text>8.34</text></svg><figcaption>Figure 1. '
           "Paths. * p &lt; .05. *** p &lt; .001. Turning point 8.342.</figcaption></figure>")
    out = figure_precision(fig)
    assert len(out) == 1 and "shows 8.34 where its caption says 8.342" in out[0]


def test_a_group_comparison_of_clustered_rows_is_cluster_robust(custom_cluster: tuple):
    """H11 / the custom file's H7: Welch's F(2, 166.54) = 9.30 took the rows of one
    portfolio (or both firms of an alliance, which share its stage) for independent
    respondents; the comparison is now a cluster-robust Wald F on G - 1 df."""
    import statsmodels.api as sm

    from analysis.study.scoring import score

    table, details, df = custom_cluster
    row = table.set_index("id").loc["H4"]
    det = details["H4"]
    assert "cluster-robust Wald F(2, " in row["note"] and "portfolio_id" in row["note"]
    # independently: OLS of the balance on the group dummies, statsmodels' CR1 f_test
    s = score(df)
    keep = ~s["exclude"].to_numpy()
    d = pd.DataFrame({"y": (s["learning_about"] - s["learning_from"])[keep].to_numpy(),
                      "g": pd.to_numeric(df.loc[keep, "sustainability_focus"]).to_numpy(),
                      "c": df.loc[keep, "portfolio_id"].to_numpy()}).dropna()
    levels = sorted(d["g"].unique())
    x = sm.add_constant(np.column_stack([(d["g"] == lv).to_numpy(float) for lv in levels[1:]]))
    fit = sm.OLS(d["y"].to_numpy(), x).fit(cov_type="cluster", use_t=True,
                                           cov_kwds={"groups": pd.factorize(d["c"])[0]})
    ft = fit.f_test(np.eye(len(levels))[1:])
    assert det["df2"] == int(ft.df_denom) == d["c"].nunique() - 1
    assert det["wald_f"] == pytest.approx(float(ft.fvalue), rel=1e-8)
    assert row["pvalue"] == pytest.approx(float(ft.pvalue), rel=1e-8)
    # the report prints the test the p belongs to
    a = fixture_analysis()
    a["hypotheses"].append({"id": "H11", "statement": "The balance differs by stage.",
                            "expected_sign": "none", "method": "multigroup", "exploratory": True,
                            "verdict": "exploratory: differs by group", "estimate": 0.89,
                            "pvalue": 0.0004, "n": 372})
    a["multigroup"] = {"H11": {"means": {"1": 0.1}, "wald_f": 9.3, "df1": 2, "df2": 99,
                               "nclusters": 100, "cluster": "portfolio_id"}}
    html = render_html(a)
    text = _results(html)
    assert "cluster-robust Wald F(2, 99) = 9.30 (SE clustered by portfolio_id)" in text
    assert "Welch" not in text


def test_an_analysis_that_failed_says_why_in_the_results():
    """A hypotheses file whose ids the schema refused: the report's results read 'the
    analysis has neither sample sizes, models nor hypotheses', the cause in the last
    appendix section only."""
    a = {"n_raw": 400, "warnings": ["The analysis failed: Hypotheses file h.yaml has 1 "
                                    "problem(s): hypotheses.0.id: String should match "
                                    "pattern '^H[0-9]+[a-z]?$'\n  - hypotheses.0.id: ..."]}
    text = _results(render_html(a))
    assert text.startswith("Results The analysis failed: Hypotheses file h.yaml has 1 "
                           "problem(s): hypotheses.0.id")
    assert "No results are reported" in text and "neither sample sizes" not in text
