"""CompiledModel moments/Jacobian in lavaan's WLS order (ordered + numeric indicators)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.sem import compile_model
from tests.parity import REFERENCE_DIR, assert_close, load_reference
from tests.sem._ml_cases import merge_on_keys, ref_frame


def _model_at_lavaan_estimates():
    ref = load_reference("sem_ml/mixed_ordinal_moments.json")
    data = pd.read_csv(REFERENCE_DIR / "sem_ml" / "mixed_ordinal.csv")
    model = compile_model(ref["model"], data, ordered=ref["ordered"], estimator="WLSMV")
    pt = model.partable
    lav = ref_frame(ref, "partable")
    m = merge_on_keys(pt[pt["xid"] >= 0][["lhs", "op", "rhs", "group", "xid"]], lav, ["est"])
    m = m[m["_merge"] == "both"]
    x = np.zeros(model.n_free)
    x[m["xid"].astype(int).to_numpy()] = m["est"].to_numpy()
    assert len(m) == model.n_free == int((lav["free"] > 0).sum())
    return model, x, ref, lav


def test_moments_equal_lavaan_wls_est():
    model, x, ref, _lav = _model_at_lavaan_estimates()
    assert_close(model.moments(x)[0], ref["wls_est"], atol=1e-6, rtol=1e-6, what="wls.est")


def test_jacobian_equals_lavaan_delta():
    model, x, ref, lav = _model_at_lavaan_estimates()
    delta = ref["delta"][0]
    values = np.asarray(delta["values"], dtype=float)
    J = model.jacobian(x)[0]
    names = {n.replace(" ", ""): i for i, n in enumerate(model.x_names)}
    assert J.shape == values.shape
    for j, cname in enumerate(delta["cols"]):
        assert_close(J[:, names[cname.replace(" ", "")]], values[:, j], atol=1e-6, rtol=1e-6,
                     what=f"delta column {cname}")


def test_ordered_residual_variances_in_table():
    model, x, _ref, lav = _model_at_lavaan_estimates()
    tab = model.x_to_table(x)
    ours = tab.query("op == '~~' and lhs == 'x1' and rhs == 'x1'")["est"].iloc[0]
    theirs = lav.query("op == '~~' and lhs == 'x1' and rhs == 'x1'")["est"].iloc[0]
    assert_close(ours, theirs, atol=1e-6, rtol=1e-6, what="x1 residual variance")
    imp = model.implied(x)[0]
    assert_close(np.diag(imp.sigma)[:2], [1.0, 1.0], atol=1e-12, rtol=0.0, what="unit diagonal")


def test_moment_count_and_df_include_numeric_means():
    model, x, ref, _lav = _model_at_lavaan_estimates()
    assert model.n_moments() == len(ref["wls_obs"]) == len(model.moments(x)[0])
    assert model.df() == len(ref["wls_obs"]) - model.n_free


def _ordinal_groups():
    from analysis.sem.api import sample_stats

    ref = load_reference("sem_ml/ordinal_group_thresholds.json")
    data = pd.read_csv(REFERENCE_DIR / "sem_wlsmv" / "hs_ordinal5.csv")
    hs = pd.read_csv(REFERENCE_DIR / "data" / "HolzingerSwineford1939.csv")
    data["school"] = hs["school"]
    data["x4"] = hs["x4"]
    model = compile_model(ref["model"], data, ordered=ref["ordered"], group=ref["group"],
                          group_equal=tuple(ref["group_equal"]), estimator="WLSMV")
    stats, _w = sample_stats(model, data, "listwise")
    model = model.bind(stats)
    lav = ref_frame(ref, "partable")
    lav = lav[lav["free"] > 0]
    ours = model.partable[model.partable["xid"] >= 0]
    m = merge_on_keys(ours[["lhs", "op", "rhs", "group", "xid"]], lav, ["est", "free"])
    assert (m["_merge"] == "both").all()
    x = np.zeros(model.n_free)
    x[m["xid"].astype(int).to_numpy()] = m["est"].to_numpy()
    return model, x, ref, m


def test_free_scale_factors_with_equal_thresholds_match_lavaan():
    model, x, ref, m = _ordinal_groups()
    assert model.groups == list(ref["group_labels"])
    scale_rows = m[m["op"] == "~*~"]
    assert len(scale_rows) == 3 and (scale_rows["group"] == 2).all()
    for g in range(2):
        assert_close(model.moments(x)[g], ref["wls_est"][model.groups[g]], atol=1e-6, rtol=1e-6,
                     what=f"wls.est group {g + 1}")
        assert_close(np.diag(model.implied(x)[g].sigma)[:3], np.ones(3), atol=1e-12, rtol=0.0,
                     what="unit diagonal")
    # Delta: lavaan differentiates every free row; tied rows add up to our shared parameter
    for g in range(2):
        lav = np.asarray(ref["delta"][model.groups[g]]["values"], dtype=float)
        reduced = np.zeros((lav.shape[0], model.n_free))
        for r in m.itertuples():
            reduced[:, int(r.xid)] += lav[:, int(r.free) - 1]
        assert_close(model.jacobian(x)[g], reduced, atol=1e-6, rtol=1e-6,
                     what=f"delta group {g + 1}")


def test_standardized_and_r2_use_the_unscaled_metric():
    from analysis.sem.standardize import r_squared, standardized

    model, x, ref, _m = _ordinal_groups()
    tab = model.x_to_table(x)
    _sl, sa = standardized(model, x, tab)
    tab = tab.assign(std_all=sa)
    pe = ref_frame(ref, "params").rename(columns={"std.all": "std_all"})
    mm = merge_on_keys(tab, pe[pe["op"].isin(["=~", "|", "~~"])], ["std_all"])
    mm = mm[mm["_merge"] == "both"]
    assert len(mm) > 20
    assert_close(mm["std_all"], mm["std_all_ref"], atol=1e-3, rtol=0.0, what="std.all")
    r2 = r_squared(model, x, tab)
    for label, values in ref["r2"].items():
        for var, val in values.items():
            if val is not None:
                assert_close(r2[(label, var)], val, atol=1e-3, rtol=0.0, what=f"r2 {var}")
