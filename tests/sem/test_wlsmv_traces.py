"""The parameter-sized trace identities of the WLSMV scaled tests equal the direct
statistics-by-statistics formulas (lavaan's), and the Satorra (2000) difference test gives
the same result from a fit's stored meat as from Delta, W and Gamma."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.sem import cfa, wls


def _random_problem(k: int = 40, q: int = 9, seed: int = 1):
    rng = np.random.default_rng(seed)
    delta = rng.normal(size=(k, q))
    z = rng.normal(size=(300, k)) * rng.uniform(0.5, 2.0, k)
    gamma = z.T @ z / 300 + 0.1 * np.eye(k)
    w = 1.0 / np.diag(gamma)
    return delta, w, gamma


def test_ugamma_traces_equal_the_direct_formula():
    delta, w, gamma = _random_problem()
    e_inv = np.linalg.inv(delta.T @ (w[:, None] * delta))
    u = np.diag(w) - (w[:, None] * delta) @ e_inv @ (w[:, None] * delta).T
    ug = u @ gamma
    tr1, tr2 = wls._ugamma_traces(delta, w, gamma)
    np.testing.assert_allclose([tr1, tr2], [np.trace(ug), np.trace(ug @ ug)], rtol=1e-12)
    v = wls.robust_vcov(delta, w, gamma, 500)
    wd = w[:, None] * delta
    np.testing.assert_allclose(v, e_inv @ wd.T @ gamma @ wd @ e_inv / 499, rtol=1e-12)


def test_difference_test_from_stored_meat_equals_recomputed():
    rng = np.random.default_rng(4)
    n, p = 800, 8
    f = rng.normal(size=(n, 2))
    y = np.hstack([f[:, :1] * 0.8 + 0.6 * rng.normal(size=(n, 4)),
                   f[:, 1:] * 0.7 + 0.7 * rng.normal(size=(n, 4))])
    names = [f"y{j}" for j in range(p)]
    data = pd.DataFrame(np.digitize(y, [-1.0, 0.0, 1.0]) + 1, columns=names)
    two = cfa("a =~ y0 + y1 + y2 + y3\nb =~ y4 + y5 + y6 + y7", data, estimator="WLSMV",
              ordered=names)
    one = cfa("a =~ y0 + y1 + y2 + y3 + y4 + y5 + y6 + y7", data, estimator="WLSMV",
              ordered=names)
    stored = wls.scaled_difference_test(one, two)
    assert two.state.extra["dwls_meat"].shape == (two.model.n_free,) * 2
    bare = {k: two.state.extra[k] for k in ("delta", "w_diag", "gamma")}
    bare["test"] = dict(two.state.test)
    recomputed = wls.scaled_difference_test(one, bare)
    for key in ("chisq_diff", "a", "b", "trace_ugamma", "trace_ugamma2"):
        np.testing.assert_allclose(stored[key], recomputed[key], rtol=1e-12)
    assert stored["df_diff"] == 1 and stored["chisq_diff"] > 0


def test_structured_v_products_equal_the_explicit_matrix():
    rng = np.random.default_rng(9)
    p = 7
    a = rng.normal(size=(p, p))
    s = a @ a.T + p * np.eye(p)
    ii, jj = np.tril_indices(p, -1)
    order = np.lexsort((ii, jj))  # lavaan's column-major strict-lower order
    ii, jj = ii[order], jj[order]
    v = s[np.ix_(ii, ii)] * s[np.ix_(jj, jj)] + s[np.ix_(ii, jj)] * s[np.ix_(jj, ii)]
    x = rng.normal(size=(len(ii), 5))
    np.testing.assert_allclose(wls._vech_sandwich(s, x, ii, jj), v @ x, rtol=1e-12)
    g = rng.normal(size=(len(ii), len(ii)))
    g = g + g.T
    np.testing.assert_allclose(wls._trace_v_gamma(s, g, ii, jj), np.sum(v * g), rtol=1e-12)


def test_catml_with_precomputed_products_equals_without():
    rng = np.random.default_rng(5)
    n, p = 900, 6
    y = rng.normal(size=(n, 1)) * 0.8 + rng.normal(size=(n, p)) * 0.6
    names = [f"y{j}" for j in range(p)]
    data = pd.DataFrame(np.digitize(y, [-0.8, 0.0, 0.8]) + 1, columns=names)
    res = cfa("f =~ " + " + ".join(names), data, estimator="WLSMV", ordered=names)
    ex = res.state.extra
    st = ex["sample_stats"]
    args = ([st.cor], [res.model.implied(res.state.x)[0].sigma], [ex["delta"]],
            [ex["w_diag"]], [ex["gamma"]], [st.nobs], st.cor_start, res.fit["df"])
    plain = wls.catml_robust_measures(*args)
    sw = wls._sandwich(ex["delta"], ex["w_diag"], ex["gamma"])
    fast = wls.catml_robust_measures(*args, wdg=sw.wdg)
    for key, val in plain.items():
        np.testing.assert_allclose(fast[key], val, rtol=1e-11, err_msg=key)
    np.testing.assert_allclose(plain["cfi_robust"], res.fit["cfi_robust"], rtol=1e-12)


def test_wgw_by_blocks_equals_the_direct_trace():
    delta, w, gamma = _random_problem(k=60)
    wg = w[:, None] * gamma
    np.testing.assert_allclose(wls._wgw(w, gamma), np.trace(wg @ wg), rtol=1e-12)
