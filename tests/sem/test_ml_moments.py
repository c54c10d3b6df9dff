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
