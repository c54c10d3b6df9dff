"""The study's common-method checks use the study's own rules.

- The ULMC was judged by a plain ML likelihood-ratio difference (demo: p = .008, "some
  common-method variance") while every other model of the study is MLR with the two firms
  of an alliance clustered; it is now the Satorra-Bentler scaled difference of the robust
  tests, clustered by alliance when both firms answered (the CFA marker technique too).
- The Lindell-Whitney marker correlations were listwise over every scale, one of them
  asked of sustainability alliances only, so most respondents dropped out of all of them.
- The pipeline dropped the hypothesis fields that say the opposite-direction test's p and
  the standardized estimate, so a report built from the pipeline could not print them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.study.hypotheses import RESULT_COLUMNS
from analysis.study.measurement import (
    _alliance_cluster_column,
    _conditional_scales,
    fit_measurement_model,
)
from analysis.study.pipeline import HYPOTHESIS_KEYS
from instruments.instrument.loader import load_instrument

DEMO = Path(__file__).parents[1] / "data" / "demo" / "alliance_demo.csv"
SCALES = ["trust", "info_sharing", "dep_own", "sustainability_innovation", "marker"]


@pytest.fixture(scope="module")
def inst():
    return load_instrument()


@pytest.fixture(scope="module")
def demo():
    return pd.read_csv(DEMO)


@pytest.fixture(scope="module")
def checks(demo, inst):
    res = fit_measurement_model(demo, inst, estimator="MLR", scales=SCALES,
                                invariance_groups=(), method_checks=True)
    return res["method_variance"]


def test_every_hypothesis_field_reaches_the_analysis():
    assert set(RESULT_COLUMNS) <= set(HYPOTHESIS_KEYS)


def test_the_scales_asked_of_some_respondents_are_known(inst):
    assert _conditional_scales(inst) == {"sustainability_innovation"}
    assert _conditional_scales(None) == set()


def test_clusters_only_where_an_alliance_has_two_rows(demo):
    assert _alliance_cluster_column(demo) == "alliance_id"
    single = demo.drop_duplicates("alliance_id")
    assert _alliance_cluster_column(single) is None
    assert _alliance_cluster_column(demo.drop(columns="alliance_id")) is None


def test_the_marker_base_leaves_out_a_scale_asked_of_some(checks, demo):
    lw = checks["marker"]
    assert lw["left_out"] == ["sustainability_innovation"]
    assert "sustainability_innovation" not in lw["marker_correlations"]
    if lw["applied"]:
        # far more rows than the 166 with a sustainability score
        assert lw["n_used"] > 0.8 * demo["sustainability_innovation_1"].notna().sum() * 2


def test_ulmc_and_cfa_marker_use_the_clustered_robust_test(checks):
    u = checks["ulmc"]
    assert u["estimator"] == "MLR (FIML, clustered by alliance)"
    assert u["estimable"] is True, u.get("reason")
    tests = [r["delta_test"] for r in u["fit"] if r.get("delta_test")]
    assert tests == ["Satorra-Bentler (2001) scaled difference (MLR, cluster-robust)"]
    cm = checks["cfa_marker"]
    assert cm["estimable"] is True, cm.get("reason")
    assert cm["estimator"] == "MLR (FIML, clustered by alliance)"


def test_respondents_without_an_alliance_id_are_clusters_of_their_own(demo, inst):
    """The review of this change: with some rows lacking an id, the engine refused the
    cluster column ("missing for 20 cases") and both checks became not estimable."""
    d = demo.copy()
    d.loc[d.index[:20], "alliance_id"] = None
    res = fit_measurement_model(d, inst, estimator="MLR", scales=SCALES,
                                invariance_groups=(), method_checks=True)["method_variance"]
    for part in ("ulmc", "cfa_marker"):
        assert res[part]["estimable"] is True, res[part].get("reason")
        assert res[part]["estimator"] == "MLR (FIML, clustered by alliance)"


def test_power_clusters_by_the_runners_rows() -> None:
    """The power replications applied the clustering rule to every row, the runner to the
    retained ones: with the second firm of the only two-row alliance excluded, the runner
    used HC3 and the replication clustered singletons (CR1 on G - 1 df)."""
    import numpy as np

    from analysis.study.power import _alliance_groups, _Columns

    data = pd.DataFrame({"alliance_id": ["a", "a", "b", "c", None]})
    keep_all = np.ones(5, dtype=bool)
    codes = _alliance_groups(_Columns({}, data, keep_all))
    assert codes is not None and len(codes) == 5 and len(set(codes)) == 4
    assert _alliance_groups(_Columns({}, data, np.array([True, False, True, True, True]))) is None


def test_a_response_surface_has_no_beta(tmp_path) -> None:
    """a4 = b3 - b4 + b5 mixes x^2, x*y and y^2: the review of this change found its beta
    scaled by sd(x)^2 / sd(z) alone; it is left empty, the path's beta is kept."""
    import yaml

    from analysis.study import hypotheses as hyp

    decl = {"id": "rsa", "version": 1, "model": "y ~ a\n",
            "decision": {"alpha": 0.05, "sides": "by_direction", "correction": "holm",
                         "family": "confirmatory", "sesoi": 0.10, "equivalence": "tost",
                         "equivalence_alpha": 0.05},
            "hypotheses": [
                {"id": "H1", "statement": "a raises y.", "expected_sign": "+", "test": "y ~ a",
                 "method": "sem_path", "sources": ["test"]},
                {"id": "H2", "statement": "Asymmetry lowers y.", "expected_sign": "-",
                 "test": "y ~ poly(a, b)", "method": "rsa", "sources": ["test"]}]}
    path = tmp_path / "h.yaml"
    path.write_text(yaml.safe_dump(decl), encoding="utf-8")
    hs = hyp.load_hypotheses(path)
    rows = [hyp._row(h, estimate=e, se=0.07,
                     _inference=hyp.wald_inference(e, 0.07, std_factor=0.5))
            for h, e in zip(hs.hypotheses, (0.3, -0.2), strict=True)]
    out = hyp.apply_decision_rules(rows, hs).set_index("id")
    assert out.loc["H1", "std_estimate"] == pytest.approx(0.15, rel=1e-12)
    assert pd.isna(out.loc["H2", "std_estimate"])


ULMC_REF = Path(__file__).parent / "reference" / "method_variance" / "ulmc_mlr.json"


@pytest.mark.parametrize("case", [0, 1], ids=["clustered", "not clustered"])
def test_ulmc_scaled_difference_matches_lavaan(demo, case) -> None:
    """The ULMC's Satorra-Bentler (2001) scaled difference equals lavTestLRT(method =
    "satorra.bentler.2001") on the demo's items, clustered by alliance and not (the review
    of this change suspected a local optimum here; lavaan ends at the same fit)."""
    import json

    import numpy as np

    from analysis.stats.method_variance import ulmc
    from analysis.study.latent_model import _clusters

    ref = json.loads(ULMC_REF.read_text())["cases"][case]
    items = {k: list(v) for k, v in ref["items"].items()}
    cols = [i for v in items.values() for i in v]
    frame = demo[cols].assign(alliance_id=_clusters(demo["alliance_id"]).to_numpy())
    u = ulmc(items, frame, estimator="MLR", missing="ml",
             cluster="alliance_id" if ref["cluster"] else None)
    fit = u.fit.set_index("model")
    np.testing.assert_allclose(fit["chisq"].to_numpy(float), ref["chisq"], rtol=1e-5)
    np.testing.assert_allclose(fit["df"].to_numpy(float), ref["df"])
    last = fit.loc["traits_method"]
    assert last["delta_chisq"] == pytest.approx(ref["delta_chisq"], rel=1e-4)
    assert last["delta_df"] == ref["delta_df"]
    assert last["delta_pvalue"] == pytest.approx(ref["delta_pvalue"], rel=1e-4)


def test_cluster_null_in_the_hypotheses_file_is_followed(tmp_path, demo, inst) -> None:
    """``cluster: null`` treats the rows as independent, as the file says; the response
    surface (H2) and H10 clustered by alliance_id all the same."""
    from analysis.study.hypotheses import DEFAULT_PATH, _alliance_cluster, load_hypotheses
    from analysis.study.hypotheses import test_hypotheses as run

    assert _alliance_cluster(demo) == "alliance_id"
    assert _alliance_cluster(demo, {"_cluster_column": None}) is None
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert "cluster: alliance_id\n" in text
    path = tmp_path / "h.yaml"
    path.write_text(text.replace("cluster: alliance_id\n", "cluster: null\n"), encoding="utf-8")
    hs = load_hypotheses(path)
    assert hs.cluster is None
    table = run(demo, hypotheses=hs, bootstrap=20, latent_model=False, instrument=inst)
    notes = table.set_index("id")["note"]
    assert "clustered" not in notes["H2"] and "HC3" in notes["H2"], notes["H2"]
    assert "HC3 SE" in notes["H10"] and "clustered by alliance" not in notes["H10"]
    default = run(demo, bootstrap=20, latent_model=False, instrument=inst).set_index("id")
    assert "clustered by alliance" in default.loc["H2", "note"]


def test_the_clustering_rule_reads_the_rows_the_regression_uses() -> None:
    """A pair broken by a missing answer left CR1 on clusters of one, labelled
    "clustered" (the review of this change)."""
    import numpy as np

    from analysis.study.hypotheses import _alliance_cluster, _complete_rows
    from analysis.study.power import _rsa_test

    d = pd.DataFrame({"alliance_id": ["a", "a", "b", "c"], "z": [1.0, np.nan, 2.0, 3.0],
                      "x": [1.0, 2.0, 3.0, 4.0]})
    assert _alliance_cluster(d) == "alliance_id"
    used = _complete_rows(d, ["z", "x"])
    assert list(used.index) == [0, 2, 3] and _alliance_cluster(used) is None
    # the power replication's response surface: CR1 only where a used alliance has two
    rng = np.random.default_rng(3)
    n = 60
    cols = {k: rng.normal(size=n) for k in ("z", "x", "y")}
    cols["z"][1] = np.nan  # breaks the only pair (rows 0 and 1)
    groups = np.arange(n)
    groups[1] = 0
    est, se, df, clustered = _rsa_test(cols, "z", "x", "y", [], groups)
    est0, se0, df0, clustered0 = _rsa_test(cols, "z", "x", "y", [], None)
    assert (est, se, df) == (est0, se0, df0)  # HC3, not CR1 on singletons
    assert not clustered and not clustered0  # and said so: the power table's statistic
    groups[3] = 2  # a pair both of whose rows are used: CR1
    assert _rsa_test(cols, "z", "x", "y", [], groups)[3]


def test_method_checks_follow_the_files_cluster_column(demo, inst):
    """The method checks clustered by alliance_id whatever the hypotheses file declared:
    a ``cluster: portfolio_id`` study, or ``cluster: null``, still had the ULMC and the
    CFA marker technique clustered by alliance."""
    d = demo.copy()
    # portfolios of about four alliances: the declared clusters, unlike the dyads
    d["portfolio_id"] = pd.factorize(d["alliance_id"])[0] // 4
    kw = dict(estimator="MLR", scales=SCALES, invariance_groups=(), method_checks=True,
              compare_second_order=False, htmt_boot=0)
    by_portfolio = fit_measurement_model(d, inst, cluster="portfolio_id", **kw)
    mv = by_portfolio["method_variance"]
    assert mv["ulmc"]["estimator"] == "MLR (FIML, clustered by portfolio_id)"
    assert mv["cfa_marker"]["estimator"] == "MLR (FIML, clustered by portfolio_id)"
    none = fit_measurement_model(d, inst, cluster=None, **kw)["method_variance"]
    assert none["ulmc"]["estimator"] == "MLR (FIML)"
    # the clusters change the scaled difference, not the estimates
    pick = [r for r in mv["ulmc"]["fit"] if r.get("delta_test")]
    pick0 = [r for r in none["ulmc"]["fit"] if r.get("delta_test")]
    assert pick[0]["delta_chisq"] != pytest.approx(pick0[0]["delta_chisq"], rel=1e-6)
    absent = fit_measurement_model(d, inst, cluster="no_such_id", **kw)
    assert absent["method_variance"]["ulmc"]["estimator"] == "MLR (FIML)"
    assert any("'no_such_id' is not in the data" in w for w in absent["warnings"])


def test_power_replications_cluster_the_declared_ols_tests_as_the_runner() -> None:
    """The runner clusters a declared moderation or quadratic test by the file's cluster
    column when a used cluster has two rows (methods review 11); the power replications
    kept HC3, so with dyads their p differed from the runner's on the same data."""
    import warnings

    import numpy as np

    from analysis.study.hypotheses import test_hypotheses
    from analysis.study.power import _context, _study, fast_replication
    from analysis.study.scoring import score
    from analysis.study.simulate import simulate_study
    from tests.test_power import _confirmatory

    hs = _confirmatory()
    population, instrument = _context(None)
    data = simulate_study(200, dyads=80, seed=21, careless=0.05, instrument=instrument,
                          population=population)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = fast_replication(data, _study(None, hs), alpha=None, estimator="ML",
                                rng=np.random.default_rng(21))
        full = test_hypotheses(data, score(data, instrument), hypotheses=hs, estimator="ML",
                               bootstrap=200, seed=21, latent_alternative=False,
                               latent_model=False)
    methods = dict(zip(full["id"], full["method"], strict=True))
    ols = [hid for hid, m in methods.items() if m in ("moderation", "quadratic", "rsa")]
    assert {"moderation", "quadratic"} <= {methods[h] for h in ols}
    by_id = {r[0]: r for r in fast}
    for row in full.itertuples():
        if row.id in ols:
            assert "clustered" in row.model or "clustered" in str(row.note), row.id
            assert by_id[row.id][2] == pytest.approx(row.estimate, rel=1e-6), row.id
            assert by_id[row.id][3] == pytest.approx(row.pvalue, rel=1e-5), row.id


def test_the_refusal_of_too_few_respondents_names_the_threshold_applied(demo, inst):
    """N = 53 with 18 scales was refused with 'needs at least 50' (methods review 11)."""
    from analysis.errors import DataError

    scales = list(inst.scale_items())[:18]
    assert len(scales) == 18
    with pytest.raises(DataError, match=r"Only 53 respondents remain after exclusions; the "
                                        r"measurement model needs at least 54 \(50, and three "
                                        r"per scale: 18 scales\)"):
        fit_measurement_model(demo.iloc[:53], inst, scales=scales, invariance_groups=(),
                              method_checks=False, scored=_unflagged(demo.iloc[:53]))


def _unflagged(df):
    """Scores with nobody excluded, so that the 53 rows are the 53 the model would use."""
    from analysis.study.scoring import score

    return score(df).assign(exclude=False)


def test_method_c_holds_equal_effects_on_the_answers_given(checks, demo, inst):
    """Method-C's equal marker loadings were imposed on recoded reverse-keyed items, where
    a response style loads with the opposite sign (methods review 11): the CFA marker now
    takes those items in their raw coding.  Recoding changes Method-C only: the CFA and
    Method-U fit the same either way."""
    from analysis.stats.method_variance import cfa_marker
    from analysis.study.measurement import _recode

    cm = checks["cfa_marker"]
    rev = [it.id for s in ("dep_own", "info_sharing") for it in inst.scales[s].items
           if it.reverse]
    assert rev and cm["coding"].startswith("reverse-keyed items in their raw coding")
    assert all(r in cm["coding"] for r in rev)
    core = {s: [it.id for it in inst.scales[s].items] for s in ("dep_own", "info_sharing")}
    marker = [it.id for it in inst.scales["marker"].items]
    cols = [*core["dep_own"], *core["info_sharing"], *marker]
    raw = demo[cols].apply(pd.to_numeric, errors="coerce").dropna()
    recoded = _recode(raw, inst, {**core, "marker": marker})
    fit = {name: cfa_marker(core, marker, d, estimator="ML", missing="listwise").models
           .set_index("model")["chisq"] for name, d in (("raw", raw), ("recoded", recoded))}
    for model in ("CFA", "Baseline", "Method-U"):
        assert fit["raw"][model] == pytest.approx(fit["recoded"][model], rel=1e-6), model
    assert abs(fit["raw"]["Method-C"] - fit["recoded"]["Method-C"]) > 0.5


def test_ulmc_delta_cfi_is_of_the_robust_tests_it_sits_beside(checks):
    """The ULMC row printed the normal-theory delta CFI beside the scaled chi-square
    difference of the robust tests (methods review 10 and 11): one row, two theories."""
    u = checks["ulmc"]
    row = next(r for r in u["fit"] if r.get("delta_test"))
    assert row["delta_cfi_robust"] is True
    assert row["delta_test"].startswith("Satorra-Bentler (2001) scaled difference")
    from analysis.io import jsonable
    from analysis.report.render import ReportContext
    from analysis.report.sections.main_body import method_variance

    html = method_variance(ReportContext({"measurement": jsonable(
        {"available": True, "method_variance": checks})}, {}))
    assert "\u0394CFI (robust) = " in html
