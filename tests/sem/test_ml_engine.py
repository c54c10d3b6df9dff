"""ML engine: semopy cross-check, refitting, thread safety, warnings, speed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from analysis.sem import cfa, compile_model, sem
from analysis.sem.ml import f_ml, gradient_information
from tests.parity import EST_ATOL, EST_RTOL, assert_close
from tests.sem._ml_cases import dataset

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def test_ml_estimates_agree_with_semopy():
    semopy = pytest.importorskip("semopy")
    hs = dataset("hs")
    m = semopy.Model(HS_MODEL)
    m.fit(hs[[f"x{i}" for i in range(1, 10)]])
    ins = m.inspect()
    ours = cfa(HS_MODEL, hs).params
    for r in ins.itertuples():
        if r.op == "~":  # semopy writes loadings as "indicator ~ factor"
            key = (r.rval, "=~", r.lval)
        else:
            key = (r.lval, r.op, r.rval)
        sel = ours[((ours.lhs == key[0]) & (ours.rhs == key[2])
                    | (ours.lhs == key[2]) & (ours.rhs == key[0])) & (ours.op == key[1])]
        assert len(sel) == 1, key
        assert_close(sel["est"].iloc[0], float(r.Estimate), atol=EST_ATOL, rtol=EST_RTOL,
                     what=f"{key} vs semopy")


def test_analytic_gradient_matches_numeric():
    hs = dataset("hs")
    res = sem(HS_MODEL + "\nx1 ~ 1", hs, group="school", group_equal=("loadings",))
    model, stats = res.model, list(res.stats)
    x = res.x + 0.05 * np.sin(np.arange(len(res.x)))
    g, _H = gradient_information(model, x, stats)
    num = np.empty_like(x)
    for j in range(len(x)):
        e = np.zeros_like(x)
        e[j] = 1e-6
        num[j] = (f_ml(model, x + e, stats) - f_ml(model, x - e, stats)) / 2e-6
    assert_close(g, num, atol=1e-6, rtol=1e-5, what="gradient")


def test_compiled_model_refits_without_mutation():
    hs = dataset("hs")
    compiled = compile_model(HS_MODEL, hs)
    table_before = compiled.partable.copy()
    full = compiled.fit(hs)
    rng = np.random.default_rng(1)
    boot = hs.iloc[rng.integers(0, len(hs), len(hs))]
    res_b = compiled.fit(boot)
    again = compiled.fit(hs)
    pd.testing.assert_frame_equal(compiled.partable, table_before)
    assert np.array_equal(full.x, again.x)
    assert not np.allclose(full.x, res_b.x)


def test_parallel_fits_are_independent():
    hs = dataset("hs")
    compiled = compile_model(HS_MODEL, hs)
    rng = np.random.default_rng(7)
    samples = [hs.iloc[rng.integers(0, len(hs), len(hs))] for _ in range(6)]
    serial = [compiled.fit(s).x for s in samples]
    with ThreadPoolExecutor(max_workers=3) as pool:
        parallel = list(pool.map(lambda s: compiled.fit(s).x, samples))
    for a, b in zip(serial, parallel, strict=True):
        assert np.array_equal(a, b)


def test_compiled_model_refits_to_the_same_estimates():
    # the time per fit after compilation is budgeted in benchmarks/budgets.py
    hs = dataset("hs")
    compiled = compile_model(HS_MODEL, hs)
    first = compiled.fit(hs).x
    for _ in range(3):
        assert np.array_equal(compiled.fit(hs).x, first)


def _exact_sample(cov: np.ndarray, n: int, seed: int) -> pd.DataFrame:
    """Data whose sample covariance (divisor n) is exactly ``cov``."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, cov.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(z.T @ z / n)).T
    x = z @ np.linalg.cholesky(cov).T
    return pd.DataFrame(x, columns=[f"v{i + 1}" for i in range(cov.shape[0])])


def test_heywood_case_is_flagged():
    r = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])
    data = _exact_sample(r, 200, 3)
    res = cfa("f =~ v1 + v2 + v3", data)
    assert res.converged
    var = res.params.query("op == '~~' and lhs == 'v1' and rhs == 'v1'")["est"].iloc[0]
    assert var < 0
    assert any("Heywood" in w and "v1" in w for w in res.warnings)
    assert np.isnan(res.r2["v1"]) and 0 < res.r2["v2"] < 1  # as lavaan: NA


def test_summary_and_result_columns():
    res = cfa(HS_MODEL, dataset("hs"))
    text = res.summary()
    assert "Chi-square" in text and "visual =~ x2" in text
    cols = ["lhs", "op", "rhs", "label", "group", "est", "se", "z", "pvalue", "ci_lower",
            "ci_upper", "std_lv", "std_all"]
    assert list(res.params.columns) == cols
    for c in cols[5:]:
        assert res.params[c].dtype == float
    fixed = res.params.query("lhs == 'visual' and rhs == 'x1'").iloc[0]
    assert fixed["se"] == 0 and np.isnan(fixed["z"]) and fixed["ci_lower"] == fixed["est"]
    with pytest.raises(TypeError):
        res.fit["chisq"] = 0.0  # read-only mapping
    assert res.n == {"": 301, "total": 301}
    assert res.estimator == "ML"


def test_non_convergence_is_reported_not_hidden():
    res = cfa(HS_MODEL, dataset("hs"), max_iter=2)
    assert not res.converged
    assert any("did not converge" in w for w in res.warnings)
    assert "converged: False" in res.summary()


def test_latent_correlation_beyond_one_is_flagged():
    r = np.full((6, 6), 0.35)
    r[:3, :3] = 0.3
    r[3:, 3:] = 0.3
    np.fill_diagonal(r, 1.0)
    data = _exact_sample(r, 300, 5)
    res = cfa("f =~ v1 + v2 + v3\ng =~ v4 + v5 + v6", data)
    cor = res.params.query("op == '~~' and lhs == 'f' and rhs == 'g'")["std_all"].iloc[0]
    assert cor > 1
    assert any("latent variables is not positive definite" in w for w in res.warnings)


def test_residuals_match_lavaan():
    from tests.parity import load_reference
    from tests.sem._ml_cases import reference

    res = cfa(HS_MODEL, dataset("hs"))
    ref = reference("hs_cfa")
    assert_close(res.residuals("raw")[""]["cov"].to_numpy(), np.asarray(ref["resid_raw"]),
                 atol=1e-4, rtol=0.0, what="raw residuals")
    assert_close(res.residuals("cor")[""]["cov"].to_numpy(), np.asarray(ref["resid_cor"]),
                 atol=1e-4, rtol=0.0, what="correlation residuals")
    assert res.residuals()[""]["mean"] is None
    mg = cfa(HS_MODEL, dataset("hs"), group="school", group_equal=("loadings", "intercepts"))
    ref_mg = load_reference("sem_ml/hs_group_scalar_residuals.json")
    for label, r in mg.residuals("cor").items():
        assert_close(r["cov"].to_numpy(), np.asarray(ref_mg[label]["cov"]), atol=1e-4,
                     rtol=0.0, what=f"{label} cov")
        assert_close(r["mean"].to_numpy(), np.asarray(ref_mg[label]["mean"]), atol=1e-4,
                     rtol=0.0, what=f"{label} mean")


def test_numeric_group_labels_like_r():
    hs = dataset("hs").copy()
    hs["grp"] = np.where(hs["school"] == "Pasteur", 2.0, 1.0)
    hs.loc[0, "grp"] = np.nan  # a case without group is dropped
    res = cfa("f =~ x1 + x2 + x3", hs, group="grp")
    assert res.model.groups == ["2", "1"]
    assert res.n["2"] + res.n["1"] == 300


def test_simple_bounds_on_labels():
    compiled = compile_model("f =~ x1 + a*x2 + x3\na > 0.1\n0.9 > a", dataset("hs"))
    lo, hi = compiled.bounds()
    k = int(compiled.partable.query("label == 'a'")["xid"].iloc[0])
    assert lo[k] == 0.1 and hi[k] == 0.9
    assert np.isinf(np.delete(lo, k)).all()
    res = compiled.fit(dataset("hs"))
    est = res.params.query("label == 'a'")["est"].iloc[0]
    assert 0.1 <= est <= 0.9
