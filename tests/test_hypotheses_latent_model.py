"""The study's latent model behind the path and mediation verdicts.

Reference values: lavaan 0.6.14 / semTools 0.5.6 from
``tests/reference/latent_model/make_reference.R`` on the demo data as the model sees it
(``demo_latent.csv``, written by ``make_inputs.py``).  The small declaration
(``small_hypotheses.yaml``) has the same construction as the study's model -- learning
as a second-order factor of three reflective scales, a composite scale and a dependence
index as observed scores, a control, clustering by alliance, FIML, one indirect effect --
and is fast enough for every run; the full model is compared in a slow test.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ModelSpecificationError
from analysis.study import hypotheses as hyp
from analysis.study.latent_model import (
    fit_latent_model,
    latent_model_frame,
    latent_model_spec,
    monte_carlo_draws,
)
from analysis.study.scoring import reverse_key
from instruments.instrument.loader import load_instrument

REF = Path(__file__).parent / "reference" / "latent_model"
DEMO = Path(__file__).parents[1] / "data" / "demo" / "alliance_demo.csv"
SMALL = REF / "small_hypotheses.yaml"


def _reference(name: str) -> dict:
    return json.loads((REF / f"reference_{name}.json").read_text(encoding="utf-8"))


def _ref_table(ref: dict) -> pd.DataFrame:
    e = ref["estimates"]
    return pd.DataFrame({k: e[k] for k in ("lhs", "op", "rhs", "est", "se", "std_all")})


@pytest.fixture(scope="module")
def instrument():
    return load_instrument()


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return pd.read_csv(DEMO)


@pytest.fixture(scope="module")
def small_run(demo, instrument):
    """The runner on the demo data with the small declaration (latent model fitted)."""
    det: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = hyp.test_hypotheses(demo, hypotheses=SMALL, bootstrap=200, seed=7,
                                    details=det, instrument=instrument,
                                    latent_alternative=False)
    return table.set_index("id"), det


def _compare_with_lavaan(fit, ref: dict) -> None:
    """Estimates, SEs, std.all of the loadings, paths and defined parameters, and fit."""
    assert ref["converged"]
    ours = fit.params
    want = _ref_table(ref)
    want = want[want["op"].isin(["=~", "~", ":="])]
    got = ours.set_index(["lhs", "op", "rhs"]).loc[
        list(zip(want["lhs"], want["op"], want["rhs"], strict=True))]
    for col in ("est", "se", "std_all"):
        np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float),
                                   rtol=5e-3, atol=1e-3, err_msg=col)
    fm = ref["fit_measures"]
    assert fit.fit["ntotal"] == ref["ntotal"]
    assert fit.nclusters == ref["nclusters"]
    assert fit.fit["npar"] == fm["npar"] and fit.fit["df"] == fm["df"]
    np.testing.assert_allclose(fit.fit["logl"], fm["logl"], rtol=1e-6, atol=0)
    for ours_key, ref_key in (("chisq", "chisq"), ("chisq_scaled", "chisq.scaled")):
        np.testing.assert_allclose(fit.fit[ours_key], fm[ref_key], rtol=1e-3, atol=0,
                                   err_msg=ours_key)
    for ours_key, ref_key in (("cfi", "cfi"), ("tli", "tli"), ("rmsea", "rmsea"),
                              ("srmr", "srmr"), ("cfi_robust", "cfi.robust"),
                              ("tli_robust", "tli.robust"),
                              ("rmsea_robust", "rmsea.robust")):
        np.testing.assert_allclose(fit.fit[ours_key], fm[ref_key], rtol=0, atol=1e-3,
                                   err_msg=ours_key)


# ------------------------------------------------------------------ the model's build
def test_spec_follows_the_instruments_declared_measurement(instrument):
    hs = hyp.load_hypotheses()
    spec = latent_model_spec(hs, instrument)
    # the committed reference model is the one the code builds today
    assert spec.syntax == (REF / "model_demo.lav").read_text(encoding="utf-8")
    scales = instrument.scales
    for sid, items in spec.items.items():
        assert scales[sid].measurement == "reflective"
        assert items == [it.id for it in scales[sid].items]
        assert f"{sid} =~ {' + '.join(items)}" in spec.syntax
    # learning: second-order factor of its three reflective dimensions
    assert spec.factors["learning"] == list(hs.composites["learning"])
    # composite scales and indices enter as observed scores
    for sid in ("learning_from", "innovation_outcome"):
        assert scales[sid].measurement == "composite" and sid in spec.observed
        assert f"{sid} =~" not in spec.syntax
    assert {"jd_sum", "asym_abs", "alliance_age", "firm_size"} <= set(spec.observed)
    # exogenous factors and observed scores covary (lavaan would fix them at zero)
    assert "trust ~~ specific_investments + alliance_age + firm_size" in spec.syntax
    assert "jd_sum ~~ asym_abs + trust + specific_investments" in spec.syntax
    # the indirect effect of H4 is the product of its two labelled paths
    a, b = spec.labels[("learning", "jd_sum")], spec.labels[("value_creation", "learning")]
    assert f"ind_H4 := {a}*{b}" in spec.syntax
    assert spec.defined["H4"] == ("ind_H4", "jd_sum", "learning", "value_creation")


def test_spec_refuses_what_it_cannot_build(instrument):
    hs = hyp.load_hypotheses()
    bad = hs.model_copy(update={"model": "learning =~ trust\nvalue_creation ~ learning\n"})
    with pytest.raises(ModelSpecificationError, match="only regressions"):
        latent_model_spec(bad, instrument)
    keyed = pd.DataFrame({"x": [1.0]})
    with pytest.raises(ModelSpecificationError, match="estimator"):
        fit_latent_model(keyed, keyed, hs, instrument, estimator="ULS")
    with pytest.raises(ModelSpecificationError, match="interval"):
        fit_latent_model(keyed, keyed, hs, instrument, interval="bca")


def test_frame_is_the_committed_reference_data(demo, instrument):
    hs = hyp.load_hypotheses()
    d, _excl, full = hyp.prepare_scores(demo, None, hs, instrument)
    keep = ~full["exclude"].fillna(False).astype(bool).to_numpy()
    keyed = reverse_key(demo, instrument).reset_index(drop=True).loc[keep] \
        .reset_index(drop=True)
    frame = latent_model_frame(latent_model_spec(hs, instrument), keyed, d,
                               cluster=d["alliance_id"])
    ref = pd.read_csv(REF / "demo_latent.csv")
    assert list(frame.columns) == list(ref.columns)
    num = [c for c in ref.columns if c != "alliance_id"]
    np.testing.assert_allclose(frame[num].to_numpy(float), ref[num].to_numpy(float),
                               rtol=0, atol=1e-12)
    assert (frame["alliance_id"].astype(str) == ref["alliance_id"].astype(str)).all()


# ------------------------------------------------------------------ parity with lavaan
def test_small_model_matches_lavaan_mlr_fiml_cluster(small_run):
    _table, det = small_run
    lat = det["latent_model"]
    assert lat.estimator == "MLR" and lat.missing == "ml" and lat.nclusters == 268
    _compare_with_lavaan(lat.fit, _reference("small"))


def test_indirect_monte_carlo_interval_matches_semtools(small_run):
    """semTools::monteCarloCI(fit, nRep = 20000) on the same fit: the limits agree
    within Monte Carlo error (four SEs of the difference of two independent 2.5 %
    quantiles of 20,000 draws)."""
    from scipy import stats

    lat = small_run[1]["latent_model"]
    mc = _reference("small")["monte_carlo"]
    draws = monte_carlo_draws(lat.fit, lat.spec, 20000, seed=11)["H3"]
    lo, hi = np.quantile(draws, [0.025, 0.975])
    q = stats.norm.ppf(0.975)
    mc_se = np.sqrt(0.025 * 0.975 / 20000) / stats.norm.pdf(q) * np.std(draws)
    np.testing.assert_allclose([lo, hi], [mc["ci_lower"], mc["ci_upper"]], rtol=0,
                               atol=4 * np.sqrt(2) * mc_se)
    # same seed, same draws: the report is reproducible
    again = monte_carlo_draws(lat.fit, lat.spec, 20000, seed=11)["H3"]
    assert np.array_equal(draws, again)


# ------------------------------------------------------------------ the verdicts
def test_verdicts_come_from_the_latent_model_with_composite_robustness(small_run):
    from scipy import stats

    table, det = small_run
    lat = det["latent_model"]
    p = lat.fit.params
    for hid, (y, x) in {"H1": ("learning", "jd_sum"),
                        "H2": ("learning_from", "learning")}.items():
        row = table.loc[hid]
        assert row["model"] == lat.label and row["model"].startswith("Latent model")
        r = p[(p["lhs"] == y) & (p["op"] == "~") & (p["rhs"] == x)].iloc[0]
        assert row["estimate"] == r["est"] and row["se"] == r["se"]
        # the declared one-sided test of the latent estimate
        assert row["pvalue"] == pytest.approx(stats.norm.sf(r["est"] / r["se"]), rel=1e-12)
        rob = row["robustness"]
        assert rob["model"].startswith("Path model on composites")
        assert rob["role"] == "robustness: composite scores"
        comp = det["path_model"].params
        c = comp[(comp["lhs"] == y) & (comp["op"] == "~") & (comp["rhs"] == x)].iloc[0]
        assert rob["estimate"] == c["est"]
        assert "Robustness (Path model on composites" in row["note"]
    med = table.loc["H3"]
    assert med["model"] == lat.label
    ind = p[(p["op"] == ":=") & (p["lhs"] == "ind_H3")].iloc[0]
    assert med["estimate"] == ind["est"]
    draws = lat.draws["H3"]
    assert len(draws) == 200 and lat.interval == "Monte Carlo"
    # p and interval from the same draws
    assert med["pvalue"] == pytest.approx((np.sum(draws <= 0) + 1) / (len(draws) + 1),
                                          abs=1e-15)
    assert med["ci_lower"] < med["estimate"] < med["ci_upper"]
    assert med["robustness"]["model"].startswith("Mediation path model on composites")
    # 60 free parameters for N = 353: enough cases per parameter, no warning
    assert lat.fit.fit["npar"] == 60
    assert not any("cases per parameter" in w for w in table.attrs["warnings"])
    # the decision rules ran over the family of three with the latent p-values
    np.testing.assert_allclose(table["pvalue_adjusted"], hyp.holm(table["pvalue"]),
                               rtol=0, atol=1e-15)
    assert (table["verdict"] == np.where(table["pvalue_adjusted"] < 0.05, "supported",
                                         table["verdict"])).all()


def test_wlsmv_run_is_reported_beside_each_latent_verdict(small_run):
    """The same model with the items as ordered categories, as a second robustness entry."""
    table, det = small_run
    wl = det["latent_model_wlsmv"]
    assert wl.estimator == "WLSMV" and wl.spec.syntax == det["latent_model"].spec.syntax
    assert wl.fit.converged and wl.missing == "pairwise"
    for hid, (y, x) in {"H1": ("learning", "jd_sum"),
                        "H2": ("learning_from", "learning")}.items():
        row = table.loc[hid]
        entry = row["robustness"]["wlsmv"]
        assert entry["estimate"] == wl.path(y, x)["est"]
        assert entry["model"] == wl.label and entry["model"] != row["model"]
        assert "Robustness (Latent model, ordered items (WLSMV" in row["note"]
        # the composite entry is still there, and the verdict is the MLR model's
        assert row["robustness"]["role"] == "robustness: composite scores"
        assert row["estimate"] == det["latent_model"].path(y, x)["est"]
    med = table.loc["H3"]["robustness"]["wlsmv"]
    draws = wl.draws["H3"]
    assert len(draws) == 200
    assert med["pvalue_one_sided"] == (np.sum(draws <= 0) + 1) / (len(draws) + 1)


@pytest.mark.slow
def test_demo_latent_model_matches_lavaan(demo, instrument):
    """The study's full latent model on the demo data (about half a minute)."""
    hs = hyp.load_hypotheses()
    d, _excl, full = hyp.prepare_scores(demo, None, hs, instrument)
    keep = ~full["exclude"].fillna(False).astype(bool).to_numpy()
    keyed = reverse_key(demo, instrument).reset_index(drop=True).loc[keep] \
        .reset_index(drop=True)
    res = fit_latent_model(keyed, d, hs, instrument, cluster=d["alliance_id"], n_draws=0)
    assert res.missing == "ml" and res.nclusters == 268
    _compare_with_lavaan(res.fit, _reference("demo"))


def test_fewer_clusters_than_parameters_is_said(demo, instrument, small_run):
    """A reviewer's small study: 169 free parameters with cluster-robust SEs from 112
    alliances, and the report said only "fewer than five respondents per parameter".
    The cluster-robust covariance matrix is a sum over clusters and cannot have full rank
    with no more clusters than parameters; the warning now says so (the demo's 268
    clusters for the small declaration's 60 parameters get none)."""
    ids = demo["alliance_id"].dropna().unique()[:30]
    det: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hyp.test_hypotheses(demo[demo["alliance_id"].isin(ids)], hypotheses=SMALL,
                            bootstrap=50, seed=7, details=det, instrument=instrument,
                            latent_alternative=False)
    # set aside like an improper solution (review 15): the composite model gives the verdicts
    assert "latent_model" not in det
    lat = det["latent_model_unused"]
    assert lat.nclusters == 30 and lat.fit.fit["npar"] == 60
    said = [w for w in det["warnings"] if "clusters (alliances) for 60 free parameters" in w]
    assert len(said) == 1 and "not of full rank" in said[0]
    assert not any("clusters (alliances) for" in w for w in small_run[1]["warnings"])
