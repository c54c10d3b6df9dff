"""analysis.study.measurement on the demo study: JSON-ready output, flags, invariance, errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, ModelSpecificationError
from analysis.stats.reliability import measurement_blocks
from analysis.stats.validity import THRESHOLDS
from analysis.study.measurement import (
    HIGHER_ORDER,
    LEARNING_SCALES,
    ORDINAL_LEVELS,
    fit_measurement_model,
    measurement_syntax,
)
from analysis.study.scoring import score
from instruments.instrument.loader import load_instrument

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "alliance_demo.csv"
SCALES = [*LEARNING_SCALES, "trust", "marker"]


@pytest.fixture(scope="module")
def inst():
    return load_instrument()


@pytest.fixture(scope="module")
def demo():
    return pd.read_csv(DEMO)


@pytest.fixture(scope="module")
def out(demo, inst):
    return fit_measurement_model(demo, inst, scales=SCALES,
                                 invariance_groups=("firm_role", "language"),
                                 invariance_scales=("info_sharing",))


# --------------------------------------------------------------------------- syntax


def test_syntax_has_every_scale_with_its_items(inst):
    blocks = measurement_blocks(measurement_syntax(inst))
    assert blocks == inst.scale_items()


def test_second_order_syntax(inst):
    blocks = measurement_blocks(measurement_syntax(inst, second_order=True))
    assert blocks[HIGHER_ORDER] == list(LEARNING_SCALES)
    assert set(blocks) - {HIGHER_ORDER} == set(inst.scale_items())


def test_method_factor_syntax(inst):
    syntax = measurement_syntax(inst, scales=["trust", "marker"], method_factor=True)
    blocks = measurement_blocks(syntax)
    items = inst.scale_items()["trust"] + inst.scale_items()["marker"]
    assert [i.split("*")[-1] for i in blocks["method"]] == items
    assert "method ~~ 0*trust" in syntax and "method ~~ 0*marker" in syntax


def test_syntax_errors(inst):
    with pytest.raises(ModelSpecificationError, match="not_a_scale"):
        measurement_syntax(inst, scales=["trust", "not_a_scale"])
    with pytest.raises(ModelSpecificationError, match="knowledge_integration"):
        measurement_syntax(inst, scales=["info_sharing", "joint_sensemaking"], second_order=True)


# --------------------------------------------------------------------------- demo fit


def test_json_ready(out):
    text = json.dumps(out, allow_nan=False)
    assert json.loads(text)["scales"] == SCALES


def test_exclusions_reported(out, demo, inst):
    flagged = int(score(demo, inst)["exclude"].sum())
    assert flagged > 0
    assert out["n_excluded"] == flagged
    assert out["n_used"] == len(demo) - flagged
    assert out["missing"] == "pairwise"  # the demo items have missing answers


def test_fit_numbers(out):
    assert out["converged"] == {"first_order": True, "second_order": True}
    for order in ("first_order", "second_order"):
        f = out["fit"][order]
        for k in ("chisq", "chisq_scaled", "df", "cfi_robust", "rmsea_robust", "srmr"):
            assert isinstance(f[k], float) and math.isfinite(f[k]), (order, k)
        assert f["aic"] is None and f["bic"] is None  # undefined for WLSMV
    assert any("AIC and BIC are not reported for WLSMV" in w for w in out["warnings"])


def test_second_order_comparison(out):
    cmp = out["second_order_comparison"]
    f1, f2 = out["fit"]["first_order"], out["fit"]["second_order"]
    assert cmp["df_diff"] == f2["df"] - f1["df"] > 0
    assert 0.0 <= cmp["pvalue"] <= 1.0 and cmp["chisq_diff"] >= 0.0
    assert "Satorra" in cmp["method"]
    assert cmp["delta_cfi"] == pytest.approx(f2["cfi_robust"] - f1["cfi_robust"], abs=1e-12)
    assert [r["factor"] for r in out["second_order_loadings"]] == list(LEARNING_SCALES)


def test_reliability_per_scale(out, demo, inst):
    rel = out["reliability"]
    assert list(rel) == SCALES
    for scale, r in rel.items():
        for k in ("alpha", "alpha_ci_lower", "alpha_ci_upper", "cr", "ave", "htmt_max",
                  "fornell_larcker_margin", "min_std_loading"):
            assert isinstance(r[k], float), (scale, k)
        assert r["alpha_ci_lower"] < r["alpha"] < r["alpha_ci_upper"]
        assert 0.0 < r["omega"] < 1.0  # WLSMV: categorical omega (Green & Yang 2009)
        assert r["n_items"] == len(inst.scale_items()[scale])
        std = [row["std_all"] for row in out["loadings"][scale]]
        assert r["ave"] == pytest.approx(np.mean(np.square(std)), rel=1e-12)
    assert "categorical omega" in out["reliability_definition"]


def test_flags_follow_thresholds(out):
    cut = {(t.measure, t.comparison): t.value for t in THRESHOLDS if t.measure != "htmt"}
    htmt_cut = min(t.value for t in THRESHOLDS if t.measure == "htmt")  # conservative .85
    for r in out["reliability"].values():
        fails = " ".join(r["fails"])
        assert r["passes"] is (not r["fails"])
        assert ("alpha >=" in fails) is (r["alpha"] < cut[("alpha", ">=")])
        assert ("ave >=" in fails) is (r["ave"] < cut[("ave", ">=")])
        assert ("cr >=" in fails) is (r["cr"] < cut[("cr", ">=")])
        assert ("htmt" in fails) is (r["htmt_max"] >= htmt_cut)
        assert ("fornell_larcker" in fails) is (r["fornell_larcker_margin"] <= 0)
    failing = [s for s, r in out["reliability"].items() if not r["passes"]]
    if failing:
        assert any(", ".join(failing) in w for w in out["warnings"])


def test_htmt_and_fornell_larcker_square(out):
    for table in (out["htmt"], out["fornell_larcker"]):
        assert list(table) == SCALES
        for f in SCALES:
            assert list(table[f]) == SCALES
    assert out["htmt"]["trust"]["info_sharing"] == pytest.approx(
        out["htmt"]["info_sharing"]["trust"], abs=1e-12)


def test_invariance_levels_reported(out, demo):
    import re

    for group in ("firm_role", "language"):
        inv = out["invariance"][group]
        one = inv["by_scale"]["info_sharing"]
        # ordered items (WLSMV): thresholds, loadings, intercepts (Wu & Estabrook 2016)
        assert [r["level"] for r in one["levels"]][:3] == ["configural", "thresholds",
                                                            "loadings"]
        assert inv["groups"] == {k: int(v) for k, v in inv["groups"].items()}
        assert one["levels"][0]["delta_chisq"] is None
        for row in one["levels"][1:]:
            if row["level"].endswith("(partial)"):
                assert row["decision"] in ("holds (partial)",) or \
                    row["decision"].startswith("fails")
                continue
            assert row["delta_df"] > 0 and 0.0 <= row["delta_pvalue"] <= 1.0
            # the declared rule: both Chen criteria together
            fails = row["delta_cfi"] <= -0.010 and row["delta_rmsea"] >= 0.015
            assert row["decision"] == ("fails" if fails else "holds") or \
                row["decision"] == "not judged"
        assert inv["highest_level_supported"] in ORDINAL_LEVELS
        assert inv["summary"][0]["scale"] == "info_sharing"
        assert inv["summary"][0]["highest_level_supported"] == one["highest_level_supported"]
        assert "Chen 2007" in inv["criterion"] and "one at a time" in inv["criterion"]
        assert inv["scales"] == ["info_sharing"]
    assert sum(out["invariance"]["language"]["groups"].values()) == out["n_used"]
    # by firm role only one member of each dyad: the A members of complete dyads go
    left = [w for w in out["warnings"] if w.startswith("Invariance by 'firm_role'")]
    dropped = int(re.search(r"(\d+) A member", left[0]).group(1))
    assert dropped > 0
    assert sum(out["invariance"]["firm_role"]["groups"].values()) == out["n_used"] - dropped
    # who is in no group, and why, for the report
    assert out["invariance"]["firm_role"]["left_out"] == {"no_value": 0, "dyad_member": dropped}
    assert out["invariance"]["language"]["left_out"] == {"no_value": 0}


def test_invariance_step_that_did_not_converge_is_missing():
    from analysis.study.measurement import invariance_decisions

    table = pd.DataFrame({
        "level": ["configural", "metric", "scalar"], "converged": [True, False, True],
        "delta_cfi": [np.nan, np.nan, np.nan], "delta_rmsea": [np.nan, np.nan, np.nan]})
    judged, holds, failed = invariance_decisions(table)
    assert holds == "configural" and failed is None
    assert list(judged["decision"]) == ["baseline", "not estimated (did not converge)",
                                        "not judged"]
    table = pd.DataFrame({
        "level": ["configural", "metric", "scalar"], "converged": [True, True, True],
        "delta_cfi": [np.nan, -0.012, -0.02], "delta_rmsea": [np.nan, 0.010, 0.02]})
    judged, holds, failed = invariance_decisions(table)
    # metric: CFI drops by more than .010 but RMSEA rises by less than .015 -> holds
    assert list(judged["decision"]) == ["baseline", "holds", "fails"]
    assert holds == "metric" and failed == "scalar"


def test_method_checks(out):
    mv = out["method_variance"]
    assert mv["primary"] == "cfa_marker"
    h = mv["harman"]
    assert 0.0 < h["prop_var"] < 1.0 and h["missing"] == "pairwise"
    assert h["min_eigenvalue"] > 0 and h["flag"] is (h["prop_var"] >= 0.5)
    # all cases, not the complete rows: the smallest pair count is far above the items'
    assert h["n_obs"] > 0.8 * out["n_used"]
    lw = mv["marker"]
    if lw["applied"]:
        assert lw["r_m"] > 0 and len(lw["pairs"]) == lw["n_pairs"] == 6  # 4 scales
    else:
        assert "not positive" in lw["reason"] and min(lw["marker_correlations"].values()) <= 0
    cm = mv["cfa_marker"]
    assert cm["scales"] == ["trust", "info_sharing"]  # of CORE_SCALES, those in SCALES
    if cm["estimable"]:
        assert [r["model"] for r in cm["models"]] == ["CFA", "Baseline", "Method-C",
                                                      "Method-U", "Method-R"]
        assert all(r["proper"] for r in cm["models"])
        assert 0.0 <= cm["mean_method_share"] <= 1.0
    else:
        assert cm["reason"]
    u = mv["ulmc"]
    assert u["scales"] == ["trust", "info_sharing"]
    if u["estimable"]:
        assert 0.0 <= u["mean_method_share"] <= 1.0
    else:  # never a method share from an improper solution
        assert "mean_method_share" not in u and u["reason"].startswith("Improper solution")


def test_fit_reported_robust_first(out):
    rep = out["fit_reported"]["first_order"]
    fit = out["fit"]["first_order"]
    assert rep["kind"] == "scaled/robust"  # WLSMV
    assert rep["chisq"] == fit["chisq_scaled"] and rep["cfi"] == fit["cfi_robust"]
    assert rep["rmsea_ci_upper"] == fit["rmsea_ci_upper_robust"]
    assert rep["n_per_parameter"] == pytest.approx(fit["ntotal"] / fit["npar"], rel=1e-12)
    assert rep["small_n"] is (rep["n_per_parameter"] < 5)
    assert any("free parameters" in w for w in out["warnings"]) is rep["small_n"]


# --------------------------------------------------------------------------- MLR, errors


def test_mlr_gives_omega_and_aic(demo, inst):
    res = fit_measurement_model(demo, inst, estimator="MLR", scales=["trust", "marker"],
                                compare_second_order=True, invariance_groups=(),
                                method_checks=False)
    assert res["missing"] == "ml"
    assert res["second_order_comparison"] is None
    assert any("Second-order comparison skipped" in w for w in res["warnings"])
    for r in res["reliability"].values():
        assert 0.0 < r["omega"] < 1.0
    assert isinstance(res["fit"]["first_order"]["aic"], float)
    assert res["method_variance"] is None and res["invariance"] == {}


def test_missing_scale_is_a_data_error(demo, inst):
    with pytest.raises(DataError, match=r"trust \(trust_1, trust_2"):
        fit_measurement_model(demo.drop(columns=["trust_1", "trust_2"]), inst)


def test_too_few_respondents(demo, inst):
    with pytest.raises(DataError, match="at least 50"):
        fit_measurement_model(demo.head(30), inst, scales=["trust"], invariance_groups=())


def test_unknown_estimator(demo, inst):
    with pytest.raises(ModelSpecificationError, match="estimator"):
        fit_measurement_model(demo, inst, estimator="ULS")


def test_htmt_intervals_judged_by_upper_bound(out):
    inf = out["htmt_inference"]
    pairs = inf["pairs"]
    k = len(SCALES)
    assert len(pairs) == k * (k - 1) // 2
    assert inf["seed"] == 2026 and inf["n_boot"] == 1000
    for row in pairs:
        # the point estimate is the one of the HTMT matrix; the interval brackets it
        assert row["htmt"] == pytest.approx(out["htmt"][row["factor1"]][row["factor2"]],
                                            abs=1e-12)
        assert row["ci_lower"] <= row["htmt"] <= row["ci_upper"]
        assert row["below_085"] == (row["ci_upper"] < 0.85)
        assert row["below_090"] == (row["ci_upper"] < 0.90)
    assert inf["n_not_below_085"] == sum(not r["below_085"] for r in pairs)
    for scale in SCALES:
        mine = [r["ci_upper"] for r in pairs if scale in (r["factor1"], r["factor2"])]
        assert out["reliability"][scale]["htmt_ci_upper_max"] == pytest.approx(max(mine))


def test_an_item_keyed_against_its_scale_is_named(demo, inst):
    """An item whose answers run the other way (a reverse key missing or wrong in the
    instrument, or a mistranslation) loads against its scale after keying: the measurement
    section names it instead of reporting a lowered alpha without a word."""
    flipped = demo.copy()
    flipped["trust_2"] = 8 - flipped["trust_2"]  # seven-point item answered the other way
    res = fit_measurement_model(flipped, inst, estimator="MLR", scales=["trust", "marker"],
                                compare_second_order=False, invariance_groups=(),
                                method_checks=False)
    named = [w for w in res["warnings"] if "keyed in both directions" in w]
    assert len(named) == 1 and "'trust'" in named[0] and "trust_2 (-" in named[0]
    clean = fit_measurement_model(demo, inst, estimator="MLR", scales=["trust", "marker"],
                                  compare_second_order=False, invariance_groups=(),
                                  method_checks=False)
    assert not [w for w in clean["warnings"] if "keyed in both directions" in w]
    assert res["reliability"]["trust"]["alpha"] < clean["reliability"]["trust"]["alpha"] - 0.1
