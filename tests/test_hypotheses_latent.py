"""The latent interaction and latent quadratic of the runner (analysis.study.hypotheses).

The statistics of the latent models themselves are checked against lavaan in
``tests/test_latent_interaction.py`` and ``tests/test_latent_quadratic.py``; here: that
the runner feeds them the right indicators, clusters them by alliance, reports the latent
interaction next to a regression verdict, uses the latent model as the verdict for
``method: latent_moderation`` / ``latent_quadratic`` with the composite regression as the
robustness row, and survives their failures.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import analysis.study.hypotheses as hyp
from analysis.errors import EstimationError, InstrumentError, ModelSpecificationError
from instruments.instrument.loader import load_instrument
from tests.parity import REFERENCE_DIR, assert_close

DECLARATION = {
    "id": "latent-test", "version": 1,
    "composites": {"learning": ["info_sharing", "joint_sensemaking", "knowledge_integration"]},
    "controls": ["alliance_age", "firm_size"],
    "model": "learning ~ trust\n",
    "hypotheses": [
        {"id": "H5", "statement": "Signed asymmetry weakens value creation -> appropriation.",
         "expected_sign": "-", "test": "value_appropriation ~ value_creation * asym_signed",
         "method": "moderation", "sources": ["seed 004"]},
        {"id": "H7", "statement": "Specific investments strengthen learning -> value creation.",
         "expected_sign": "+", "test": "value_creation ~ learning * specific_investments",
         "method": "latent_moderation", "controls": ["jd_sum"], "sources": ["seed 004"]},
        {"id": "H12", "statement": "Absolute asymmetry weakens learning -> value creation.",
         "expected_sign": "-", "test": "value_creation ~ learning * asym_abs",
         "method": "moderation", "sources": ["test"]},
        {"id": "H6b", "statement": "Trust has an optimal level for relationship performance.",
         "expected_sign": "inverted_u", "test": "relationship_performance ~ trust + trust^2",
         "method": "latent_quadratic", "controls": ["learning", "value_creation"],
         "sources": ["seed 002"]},
    ],
}


@pytest.fixture(scope="module")
def declaration(tmp_path_factory) -> hyp.HypothesisSet:
    path = tmp_path_factory.mktemp("hyp") / "h.yaml"
    path.write_text(yaml.safe_dump(DECLARATION), encoding="utf-8")
    return hyp.load_hypotheses(path)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    from analysis.study.simulate import simulate_study

    # 40 dyads: both members of an alliance are rows, so the latent models are clustered
    return simulate_study(n=300, dyads=40, seed=3, missing=0.02)


def _run(data, declaration, **kw):
    det: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the latent interaction is tested here, not the latent path model
        kw.setdefault("latent_model", False)
        table = hyp.test_hypotheses(data, hypotheses=declaration, bootstrap=2, details=det,
                                    **kw)
    return table.set_index("id"), det


@pytest.fixture(scope="module")
def run(data, declaration):
    return _run(data, declaration)


def test_latent_moderation_is_a_valid_method(tmp_path: Path):
    assert "latent_moderation" in hyp.METHODS
    doc = json.loads(json.dumps(DECLARATION))
    doc["hypotheses"][1]["test"] = "value_creation ~ learning + specific_investments"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(InstrumentError, match="does not fit method 'latent_moderation'"):
        hyp.load_hypotheses(bad)


def test_moderation_row_keeps_the_regression_verdict_and_reports_the_latent_one(run):
    table, det = run
    row = table.loc["H5"]
    reg, lat_res = det["H5"], det["H5_latent"]
    assert row["estimate"] == reg.interaction["estimate"]
    # declared "-": the one-sided HC3 t p is half the two-sided one for a negative estimate
    assert reg.interaction["estimate"] < 0
    assert row["pvalue"] == pytest.approx(reg.interaction["pvalue"] / 2, rel=1e-9)
    lat = row["latent_interaction"]
    assert lat["available"] is True
    assert (lat["focal"], lat["moderator"], lat["outcome"]) == (
        "value_creation", "asym_signed", "value_appropriation")
    assert lat["estimate"] == lat_res.estimate and lat["pvalue"] == lat_res.pvalue
    assert lat["z_items"] == list(lat_res.z_items)
    assert sorted(lat["z_items"]) == [f"asym_signed_{k}" for k in range(1, 6)]
    assert sorted(lat["x_items"]) == sorted(load_instrument().scale_items()["value_creation"])
    assert lat["controls"] == ["alliance_age", "firm_size"]
    assert lat["missing"] == "ml"  # the simulated items have missing answers
    assert (f"Latent interaction (product indicators, DMC): b = {lat_res.estimate:.3f}, "
            f"95 % CI [{lat_res.ci_lower:.3f}, {lat_res.ci_upper:.3f}], "
            f"p = {lat_res.pvalue:.3g}") in row["note"]


def test_latent_moderation_takes_its_verdict_from_the_latent_model(run, data, declaration):
    table, det = run
    row = table.loc["H7"]
    lat = det["H7_latent"]
    assert row["method"] == "latent_moderation"
    assert row["estimate"] == lat.estimate and row["se"] == lat.se
    assert (row["ci_lower"], row["ci_upper"]) == (lat.ci_lower, lat.ci_upper)
    # the declared test is one-sided ("+"): half the latent model's two-sided z p when the
    # estimate has the declared sign
    one_sided = lat.pvalue / 2 if lat.estimate > 0 else 1 - lat.pvalue / 2
    assert row["pvalue"] == pytest.approx(one_sided, rel=1e-9)
    assert row["model"].startswith("Latent interaction")
    supported = row["pvalue_adjusted"] < 0.05
    assert (row["verdict"] == "supported") == supported
    if not supported:
        assert row["verdict"] in ("inconclusive", "evidence of no effect", "opposite sign")
    assert row["n"] == lat.n
    assert "Robustness (moderated regression on composites" in row["note"]
    reg = det["H7"].interaction
    rob = row["robustness"]
    assert rob["role"] == "robustness: moderated regression on composites"
    assert (rob["estimate"], rob["se"], rob["pvalue"]) == (reg["estimate"], reg["se"],
                                                           reg["pvalue"])
    assert rob["pvalue_one_sided"] == pytest.approx(
        reg["pvalue"] / 2 if reg["estimate"] > 0 else 1 - reg["pvalue"] / 2, rel=1e-9)
    # both members of a dyad are rows: SEs clustered by alliance, as in the latent model
    d = hyp.prepare_scores(data, None, declaration)[0]
    alliances = d["alliance_id"].nunique() + int(d["alliance_id"].isna().sum())
    assert lat.cluster == "alliance_id" and lat.nclusters == alliances
    assert lat.nclusters < lat.n
    assert row["model"] == ("Latent interaction (product indicators, DMC; MLR, FIML, "
                            f"cluster-robust SEs by alliance ({lat.nclusters} clusters))")
    # learning enters as its three dimensions (parcels); jd_sum is a control
    assert sorted(lat.x_items) == ["info_sharing", "joint_sensemaking", "knowledge_integration"]
    assert len(lat.pairs) == 3 and "jd_sum" in lat.controls


def test_latent_quadratic_takes_its_verdict_from_the_latent_model(run):
    table, det = run
    row, lat, ols = table.loc["H6b"], det["H6b_latent"], det["H6b"]
    assert row["method"] == "latent_quadratic" and row["alternative"] == "inverted U"
    assert (row["estimate"], row["se"]) == (lat.b2, lat.b2_se)
    assert row["pvalue"] == lat.lm_pvalue and row["n"] == lat.n
    # trust enters as its items (and their squares), the outcome as its items; the
    # declared controls and the study's controls are observed covariates
    assert sorted(lat.x_items) == sorted(load_instrument().scale_items()["trust"])
    assert [a for a, b in lat.pairs] == list(lat.x_items) == [b for a, b in lat.pairs]
    assert sorted(lat.y_items) == sorted(
        load_instrument().scale_items()["relationship_performance"])
    assert set(lat.controls) == {"alliance_age", "firm_size", "learning", "value_creation"}
    assert lat.missing == "ml" and lat.cluster == "alliance_id" and lat.nclusters < lat.n
    assert row["model"].startswith("Latent quadratic (product indicators, DMC; MLR, FIML, "
                                   "cluster-robust SEs by alliance")
    supported = row["pvalue_adjusted"] < 0.05 and lat.turning_point_inside
    assert (row["verdict"] == "supported") == supported
    rob = row["robustness"]
    # the robustness regression's SEs are clustered by alliance as the latent model's
    # (it had HC3 while every other model of the study clustered the dyads)
    assert rob["model"] == (f"OLS on composites (SE clustered by alliance, {ols.n_clusters} "
                            "clusters), Lind-Mehlum test") and ols.n_clusters < ols.n
    assert rob["estimate"] == ols.coefficients.set_index("term").loc["trust^2", "estimate"]
    assert rob["pvalue_one_sided"] == ols.lm_pvalue
    assert "Robustness (quadratic regression on composites" in row["note"]
    assert "-2 SD" in row["note"] and "Lind-Mehlum z" in row["note"]


def test_variable_without_indicators_leaves_the_regression_result(run):
    table, det = run
    row = table.loc["H12"]
    assert row["latent_interaction"]["available"] is False
    assert "asym_abs" in row["latent_interaction"]["reason"]
    assert "the regression result stands" in row["note"]
    assert row["estimate"] == det["H12"].interaction["estimate"]
    assert "H12_latent" not in det
    assert any("H12" in w and "Latent interaction" in w for w in table.attrs["warnings"])


def test_non_convergence_is_reported_not_fatal(data, declaration, monkeypatch):
    import analysis.stats.latent_interaction as li

    def fail(*args, **kwargs):
        raise EstimationError("The latent interaction model did not converge (test).")

    monkeypatch.setattr(li, "latent_interaction", fail)
    table, det = _run(data, declaration)
    h5, h7 = table.loc["H5"], table.loc["H7"]
    assert h5["latent_interaction"] == {
        "available": False, "reason": "The latent interaction model did not converge (test)."}
    assert "did not converge" in h5["note"] and "regression result stands" in h5["note"]
    assert h5["verdict"] in hyp.VERDICTS[:-1]
    assert np.isfinite(h5["estimate"])
    assert h7["verdict"] == "not tested" and np.isnan(h7["estimate"])
    assert "did not converge" in h7["note"]


def test_latent_alternative_can_be_switched_off(data, declaration):
    table, det = _run(data, declaration, latent_alternative=False)
    assert table.loc["H5", "latent_interaction"] is None
    assert "H5_latent" not in det and "Latent interaction" not in table.loc["H5", "note"]
    assert table.loc["H7", "latent_interaction"]["available"] is True  # its declared test


# --------------------------------------------------------------------------- indicators
@pytest.fixture(scope="module")
def prepared(data, declaration):
    from analysis.study.scoring import reverse_key, score
    from instruments.instrument.loader import load_instrument

    inst = load_instrument()
    d, _, full = hyp.prepare_scores(data, score(data, inst), declaration, inst)
    keep = ~full["exclude"].fillna(False).astype(bool).to_numpy()
    keyed = reverse_key(data, inst).reset_index(drop=True).loc[keep].reset_index(drop=True)
    return d, keyed, inst


def test_indicators_of_scales_composites_and_dependence_indices(prepared, declaration):
    d, keyed, inst = prepared
    comp = dict(declaration.composites)
    sc = hyp.latent_indicators("value_creation", keyed, d, inst, comp)
    assert list(sc.columns) == [it.id for it in inst.scales["value_creation"].items]
    rev = [it.id for it in inst.scales["value_creation"].items if it.reverse][0]
    assert_close(sc[rev], keyed[rev], atol=0.0, rtol=0.0, what="reverse-keyed item")
    parcels = hyp.latent_indicators("learning", keyed, d, inst, comp)
    assert list(parcels.columns) == list(comp["learning"])
    assert_close(parcels.mean(axis=1), d["learning"], atol=1e-12, rtol=0.0, what="learning")
    for name in ("asym_signed", "jd_sum"):
        ind = hyp.latent_indicators(name, keyed, d, inst, comp)
        assert list(ind.columns) == [f"{name}_{k}" for k in range(1, 6)]
        full = ind.notna().all(axis=1) & keyed.filter(regex="^dep_").notna().all(axis=1)
        # with every item answered, the mean of the indicators is the index itself
        assert_close(ind[full].mean(axis=1), d.loc[full, name], atol=1e-12, rtol=0.0,
                     what=name)
    with pytest.raises(ModelSpecificationError, match="no indicators"):
        hyp.latent_indicators("asym_abs", keyed, d, inst, comp)


def test_reference_sample_is_what_the_runner_builds():
    """alliance_sample.csv (the lavaan reference data) = latent_indicators on its simulation."""
    import importlib.util

    path = REFERENCE_DIR / "latent_interaction" / "make_alliance_sample.py"
    spec = importlib.util.spec_from_file_location("make_alliance_sample", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    built = mod.build()
    stored = pd.read_csv(mod.OUT)
    again = ("If analysis/study/population.yaml or the simulator changed on purpose, regenerate: "
             "python tests/reference/latent_interaction/make_alliance_sample.py && Rscript "
             "tests/reference/latent_interaction/make_reference.R")
    assert list(built.columns) == list(stored.columns) and len(built) == len(stored), again
    assert_close(built.to_numpy(float), stored.to_numpy(float), atol=1e-12, rtol=0.0,
                 what=f"alliance sample ({again})")


# --------------------------------------------------------------------------- analyze JSON
def test_analyze_json_carries_the_latent_interaction(tmp_path, data):
    from analysis.cli import main

    src = tmp_path / "study.csv"
    data.to_csv(src, index=False)
    out = tmp_path / "analysis.json"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["analyze", str(src), "--skip-measurement", "--bootstrap", "2",
                     "--json", str(out)])
    assert code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    for h in doc["hypotheses"]:
        lat = h["latent_interaction"]
        if h["method"] in ("moderation", "latent_moderation"):
            assert lat["available"] is True, h["id"]
            assert isinstance(lat["estimate"], float) and len(lat["simple_slopes"]) == 3
            assert "Latent interaction (product indicators, DMC)" in h["note"]
        else:
            assert lat is None, h["id"]
    methods = {h["id"]: h["method"] for h in doc["hypotheses"]}
    # the declaration's moderation and inverted-U verdicts come from latent models
    assert methods["H5"] == methods["H7"] == "latent_moderation"
    assert methods["H6b"] == "latent_quadratic"
    # the terminal table lists the latent alternative under the verdicts
    from analysis.study.pipeline import verdict_table

    text = verdict_table(doc)
    block = text[text.index("Latent interaction (product indicators"):]
    for h in doc["hypotheses"]:
        if h["latent_interaction"] is not None:
            line = next(ln for ln in block.splitlines() if ln.startswith(h["id"] + " "))
            assert f"{h['latent_interaction']['estimate']:9.3f}" in line
            assert f"n = {h['latent_interaction']['n']}" in line


def test_improper_latent_solution_is_flagged_in_the_note(monkeypatch, tmp_path):
    import dataclasses

    import analysis.stats.latent_interaction as li
    from analysis.study.simulate import simulate_study

    data = simulate_study(n=300, seed=3)  # complete items: listwise, a quick fit

    only_h5 = {**DECLARATION, "hypotheses": DECLARATION["hypotheses"][:1]}
    path = tmp_path / "h5.yaml"
    path.write_text(yaml.safe_dump(only_h5), encoding="utf-8")
    declaration = hyp.load_hypotheses(path)

    real = li.latent_interaction
    heywood = "Heywood case: the variance of XZ is negative (-0.1); the solution is improper."

    def improper(*args, **kwargs):
        return dataclasses.replace(real(*args, **kwargs), warnings=(heywood,))

    monkeypatch.setattr(li, "latent_interaction", improper)
    table, _ = _run(data, declaration)
    # an improper solution gives no estimate (session 15): the latent alternative is not
    # available, with the reason, and the warning stays
    assert "not available (improper solution: Heywood case: the variance of XZ is " \
        "negative (-0.1); the solution is improper)" in table.loc["H5", "note"]
    assert any(heywood in w for w in table.attrs["warnings"])
    lat = table.loc["H5", "latent_interaction"]
    assert lat["available"] is False and heywood in lat["reason"]
