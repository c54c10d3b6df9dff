"""Invariance of ordinal items when a category is empty in one group: the category is
merged with a neighbour in all groups, said in a warning, and the model is estimated."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analysis.study.measurement import collapse_empty_categories, fit_measurement_model


def test_collapse_rules_on_a_small_table() -> None:
    df = pd.DataFrame({
        "g": ["a"] * 6 + ["b"] * 6,
        # 1 is empty in group b (extreme -> joins 2); 4 is empty in a (inner: joins the
        # smaller neighbour, 3 has 2 cases, 5 has 4)
        "x": [1, 2, 3, 5, 5, 2, 2, 3, 4, 5, 5, 2],
        "y": [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3],  # complete: untouched
    })
    out, merges = collapse_empty_categories(df, ["x", "y"], "g")
    assert merges == {"x": [[1.0, 2.0], [4.0, 3.0]]}
    assert out["x"].tolist() == [2, 2, 3, 5, 5, 2, 2, 3, 3, 5, 5, 2]
    assert out["y"].equals(df["y"]) and df["x"].tolist()[0] == 1  # input not modified
    table = pd.crosstab(out["g"], out["x"])
    assert (table > 0).all().all()


def test_invariance_estimated_after_collapsing() -> None:
    from analysis.study.simulate import simulate_study

    data = simulate_study(n=120, dyads=20, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_measurement_model(data, scales=["info_sharing", "joint_sensemaking",
                                                  "knowledge_integration"],
                                    compare_second_order=False, method_checks=False,
                                    invariance_groups=("firm_role",),
                                    partial_invariance=False)
    inv = res["invariance"]["firm_role"]
    assert inv is not None, res["warnings"]
    assert inv["collapsed_categories"], "this sample has empty categories in a group"
    said = [w for w in res["warnings"] if "merged with a neighbour" in w]
    # one notice per scale model that needed merging, naming the merged items
    assert 1 <= len(said) <= 3
    item = next(iter(inv["collapsed_categories"]))
    assert any(item in w for w in said)
    merged = {i.rsplit("_", 1)[0] for i in inv["collapsed_categories"]}
    levels = pd.concat([pd.DataFrame(inv["by_scale"][s]["levels"]) for s in merged])
    # every level of the scales with merged categories is estimated, thresholds included
    assert "intercepts" in set(levels["level"])  # the last ordinal level
    assert np.isfinite(levels["chisq"].astype(float)).all()
    assert np.isfinite(levels["delta_chisq"][levels["level"] != "configural"]
                       .astype(float)).all()


def test_nothing_merged_when_all_categories_present() -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"g": np.repeat(["a", "b"], 200), "x": rng.integers(1, 8, 400)})
    out, merges = collapse_empty_categories(df, ["x"], "g")
    assert merges == {} and out["x"].equals(df["x"])
