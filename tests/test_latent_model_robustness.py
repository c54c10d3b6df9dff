"""Robustness of the study's latent model: the WLSMV run and BCa intervals.

The WLSMV run fits the latent model with the items as ordered categories.

Reference values: lavaan 0.6.14 from ``tests/reference/latent_model_wlsmv/make_reference.R``
on data simulated there (``sim_wlsmv.csv``: 7-point items with about 4 % missing answers,
continuous scores), fitted with the small declaration's latent model
(``tests/reference/latent_model/small_hypotheses.yaml``): learning as a second-order
factor of three reflective scales, ``learning_from`` and ``jd_sum`` as observed scores,
``firm_size`` as control, one indirect effect.

The BCa formula and the cluster jackknife behind it are compared with boot::boot.ci in
``tests/sem/test_bootstrap_cluster_bca.py``; here the latent model's use of them (slow:
one refit of the latent model per draw and per alliance).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ModelSpecificationError
from analysis.sem.bootstrap import bca_interval
from analysis.study import hypotheses as hyp
from analysis.study.hypotheses import load_hypotheses
from analysis.study.latent_model import (
    fit_latent_model,
    latent_model_spec,
    robustness_entry,
    robustness_wlsmv,
)
from analysis.study.scoring import reverse_key
from instruments.instrument.loader import load_instrument
from tests.parity import CHISQ_RTOL, FIT_ATOL, assert_close
from tests.parity import EST_ATOL as P_EST_ATOL
from tests.parity import EST_RTOL as P_EST_RTOL

REF = Path(__file__).parent / "reference" / "latent_model_wlsmv"
SMALL = Path(__file__).parent / "reference" / "latent_model" / "small_hypotheses.yaml"
# estimates and SEs agree to about 1e-6 (both sides converge tightly); the tolerances
# leave room for optimiser noise only
EST_RTOL, EST_ATOL = 1e-4, 1e-5
FIT_RTOL = 1e-5


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "reference_wlsmv.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def fitted():
    sim = pd.read_csv(REF / "sim_wlsmv.csv")
    hs = load_hypotheses(SMALL)
    inst = load_instrument()
    res = robustness_wlsmv(sim, sim, hs, inst, n_draws=2000, seed=11)
    return res, hs, inst, sim


def test_model_is_the_latent_model_of_the_declaration(fitted, ref):
    res, hs, inst, _ = fitted
    assert res.spec.syntax.strip() == ref["syntax"].strip()
    assert res.spec.syntax == latent_model_spec(hs, inst).syntax
    assert res.estimator == "WLSMV" and res.missing == "pairwise" and res.cluster is None
    assert res.label.startswith("Latent model, ordered items (WLSMV")
    assert sorted(res.fit.params.loc[res.fit.params["op"] == "|", "lhs"].unique()) \
        == sorted(ref["ordered"])


def test_estimates_and_robust_ses_match_lavaan(fitted, ref):
    res, *_ = fitted
    assert ref["converged"] and res.fit.converged
    want = pd.DataFrame({k: ref["estimates"][k]
                         for k in ("lhs", "op", "rhs", "est", "se", "std_all")})
    m = want.merge(res.fit.params, on=["lhs", "op", "rhs"], how="left",
                   suffixes=("_ref", ""))
    assert len(m) == len(want) and m["est"].notna().all()
    # thresholds, loadings, second-order loadings, paths, (co)variances and a*b
    assert {"|", "=~", "~", "~~", ":="} <= set(m["op"])
    for col in ("est", "se", "std_all"):
        ok = m[f"{col}_ref"].notna()
        np.testing.assert_allclose(m.loc[ok, col].to_numpy(float),
                                   m.loc[ok, f"{col}_ref"].to_numpy(float),
                                   rtol=EST_RTOL, atol=EST_ATOL, err_msg=col)


def test_scaled_test_and_fit_match_lavaan(fitted, ref):
    res, *_ = fitted
    fm = ref["fit_measures"]
    for key in ("npar", "chisq", "df", "chisq.scaled", "chisq.scaling.factor",
                "pvalue.scaled", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr"):
        np.testing.assert_allclose(res.fit.fit[key.replace(".", "_")], fm[key],
                                   rtol=FIT_RTOL, atol=1e-8, err_msg=key)
    assert res.fit.fit["ntotal"] == ref["ntotal"]


def _symmetric(table: pd.DataFrame) -> pd.DataFrame:
    """Covariances keyed by the sorted pair (lavaan and the engine may order them apart)."""
    t = table.copy()
    cov = t["op"] == "~~"
    pair = np.sort(t.loc[cov, ["lhs", "rhs"]].to_numpy(str), axis=1)
    t.loc[cov, "lhs"], t.loc[cov, "rhs"] = pair[:, 0], pair[:, 1]
    return t


def test_demo_study_wlsmv_run_matches_lavaan():
    """The study's full latent model with its 37 items ordered, on the demo data as the
    model sees it (the MLR fixture's data); about two seconds here, two minutes in lavaan."""
    demo_ref = json.loads((REF / "reference_demo_wlsmv.json").read_text(encoding="utf-8"))
    frame = pd.read_csv(REF.parent / "latent_model" / "demo_latent.csv")
    res = robustness_wlsmv(frame, frame, load_hypotheses(), load_instrument(), n_draws=0)
    assert res.spec.syntax.strip() == demo_ref["syntax"].strip()
    assert demo_ref["converged"] and res.fit.converged
    want = pd.DataFrame({k: demo_ref["estimates"][k]
                         for k in ("lhs", "op", "rhs", "est", "se", "std_all")})
    m = _symmetric(want).merge(_symmetric(res.fit.params), on=["lhs", "op", "rhs"],
                               how="left", suffixes=("_ref", ""))
    assert len(m) == len(want) and m["est"].notna().all()
    for col in ("est", "se", "std_all"):
        ok = m[f"{col}_ref"].notna()
        assert_close(m.loc[ok, col], m.loc[ok, f"{col}_ref"], atol=P_EST_ATOL,
                     rtol=P_EST_RTOL, what=col)
    fm = demo_ref["fit_measures"]
    for key in ("chisq", "chisq.scaled"):
        assert_close(res.fit.fit[key.replace(".", "_")], fm[key], atol=0, rtol=CHISQ_RTOL,
                     what=key)
    for key in ("cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr"):
        assert_close(res.fit.fit[key.replace(".", "_")], fm[key], atol=FIT_ATOL, what=key)
    assert res.fit.fit["df"] == fm["df"] and res.fit.fit["npar"] == fm["npar"]


def test_robustness_entries_of_path_and_mediation(fitted):
    res, hs, *_ = fitted
    by_id = {h.id: h for h in hs.hypotheses}
    path = robustness_entry(res, by_id["H1"], 0.95)
    r = res.path("learning", "jd_sum")
    assert path["estimate"] == r["est"] and path["se"] == r["se"]
    assert path["ci_lower"] == pytest.approx(r["est"] - 1.959963984540054 * r["se"],
                                             rel=1e-12)
    assert path["role"] == "robustness: ordered items (WLSMV)"
    assert path["pvalue"] == pytest.approx(r["pvalue"], rel=1e-9)
    assert path["std_all"] == r["std_all"] and f"standardized {r['std_all']:.3f}" in path["text"]
    med = robustness_entry(res, by_id["H3"], 0.95)
    draws = res.draws["H3"]
    assert len(draws) == 2000
    assert med["estimate"] == res.defined("H3")["est"]
    # the declared direction is "+": one-sided p is the share of draws at or below zero
    assert med["pvalue_one_sided"] == (np.sum(draws <= 0) + 1) / 2001
    lo, hi = np.quantile(draws, [0.025, 0.975])
    assert med["ci_lower"] == pytest.approx(lo, abs=2e-3)
    assert med["ci_upper"] == pytest.approx(hi, abs=2e-3)
    assert "Robustness (Latent model, ordered items" in med["text"]


def test_an_improper_robustness_run_gives_no_numbers(fitted):
    """A reviewer's pilot (N = 166): the WLSMV run had a negative variance of learning_from
    (-0.3295) and its rows were printed as numbers (H8 standardized -1.702)."""
    from types import SimpleNamespace

    res, hs, *_ = fitted
    heywood = "Heywood case: the variance of learning_from is negative (-0.3295)."
    improper = SimpleNamespace(path=res.path, defined=res.defined, draws=res.draws,
                               label=res.label, estimator=res.estimator,
                               fit=SimpleNamespace(warnings=(heywood,), fit=res.fit.fit))
    by_id = {h.id: h for h in hs.hypotheses}
    for hid in ("H1", "H3"):
        entry = robustness_entry(improper, by_id[hid], 0.95)
        assert all(np.isnan(entry[k]) for k in ("estimate", "se", "ci_lower", "ci_upper",
                                                 "pvalue", "std_all"))
        assert "improper solution" in entry["text"] and "-0.3295" in entry["text"]
        assert "not interpreted" in entry["text"] and "b = " not in entry["text"]


def test_wlsmv_refuses_the_bootstrap(fitted):
    _, hs, inst, sim = fitted
    with pytest.raises(ModelSpecificationError, match="Monte Carlo"):
        fit_latent_model(sim, sim, hs, inst, estimator="WLSMV", interval="bootstrap")
    with pytest.raises(ModelSpecificationError, match="bca=True needs"):
        fit_latent_model(sim, sim, hs, inst, bca=True)
    with pytest.raises(ModelSpecificationError, match="interval='bootstrap', bca=True"):
        fitted[0].bca_interval("H3")


@pytest.mark.slow
def test_latent_model_bca_uses_the_cluster_jackknife():
    """Cluster bootstrap of the small latent model on 90 demo respondents (about 25 s)."""
    inst = load_instrument()
    demo = pd.read_csv(Path(__file__).parents[1] / "data" / "demo" / "alliance_demo.csv")
    hs = load_hypotheses(SMALL)
    d, _excl, full = hyp.prepare_scores(demo, None, hs, inst)
    keep = ~full["exclude"].fillna(False).astype(bool).to_numpy()
    keyed = reverse_key(demo, inst).reset_index(drop=True).loc[keep].reset_index(drop=True)
    n = 90
    args = (keyed.iloc[:n], d.iloc[:n], hs, inst)
    kw = dict(controls=["firm_size"], cluster=d["alliance_id"].iloc[:n],
              interval="bootstrap", n_draws=20, seed=1)
    res = fit_latent_model(*args, **kw, bca=True)
    plain = fit_latent_model(*args, **kw)
    # one leave-one-out refit per alliance, not per respondent
    assert res.nclusters == d["alliance_id"].iloc[:n].nunique() < n
    assert len(res.jackknife["H3"]) == res.nclusters
    # the percentile interval is the same with or without the BCa option
    np.testing.assert_array_equal(res.draws["H3"], plain.draws["H3"])
    assert res.percentile_interval("H3") == plain.percentile_interval("H3")
    lo, hi, z0, a = res.bca_interval("H3", 0.95)
    want = bca_interval(res.draws["H3"], float(res.defined("H3")["est"]),
                        res.jackknife["H3"], 0.95)
    assert (lo, hi, z0, a) == want and np.isfinite([lo, hi, z0, a]).all()
