"""Session 22's faster FIML paths give the numbers of the slower ones, to the last bit.

* the h1 (saturated) information matrices, their inverse and the FIML-corrected products
  are computed once for every fit of the same prepared data (the nested models of a
  method-variance check) instead of once per fit;
* the observed information at the estimate, and the log-likelihood and its gradient at
  the accepted point, are taken from the Newton step that computed them;
* the pattern information matrices fill full-size stacks in place, and the outer
  products of the EM and the pattern blocks are written by broadcasting.

Each fast path is compared with the slow one computed here (the matrices) or with a
fit whose kept results were cleared first (the fits).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.sem import fiml
from analysis.sem.api import sem


def _data(seed: int = 7, n: int = 240, missing: float = 0.12) -> pd.DataFrame:
    """Two correlated factors, four indicators each, answers missing at random."""
    rng = np.random.default_rng(seed)
    eta = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.4], [0.4, 1.0]], size=n)
    lam = np.array([0.8, 0.7, 0.6, 0.75])
    y = np.hstack([eta[:, [0]] * lam, eta[:, [1]] * lam]) + rng.normal(scale=0.6,
                                                                      size=(n, 8))
    y[rng.random(y.shape) < missing] = np.nan
    y = y[~np.isnan(y).all(axis=1)]
    frame = pd.DataFrame(y, columns=[f"x{i}" for i in range(1, 9)])
    frame["firm"] = np.repeat(np.arange(n), 2)[: len(frame)] // 2  # pairs of cases
    return frame


TWO = "f1 =~ x1 + x2 + x3 + x4\nf2 =~ x5 + x6 + x7 + x8"
ONE = "f =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8"


def _clear() -> None:
    fiml._H1_SHARED.clear()
    fiml._LL_GRADS.clear()
    fiml._OBSERVED_LAST[0] = None
    fiml._INVERSES.clear()


def _numbers(res) -> dict[str, np.ndarray]:
    st = res.state
    out = {"x": st.x, "vcov": st.vcov, "loglik": np.array([st.loglik]),
           "test": np.array([st.test[k] for k in sorted(st.test)])}
    rb = st.robust
    out["robust"] = np.array([rb.chisq, rb.c_hat, rb.chisq_scaled, rb.chisq_null,
                              rb.c_hat_null])
    bt = st.baseline.test
    out["baseline"] = np.array([bt[k] for k in sorted(bt)])
    return out


@pytest.mark.parametrize("cluster", [None, "firm"])
def test_h1_matrices_shared_by_fits_of_the_same_data(cluster):
    """The second model of the same data reuses the first one's h1 matrices (one entry
    kept, the same objects) and its numbers equal those of a fit made alone."""
    df = _data()
    kw = dict(estimator="MLR", missing="ml", cluster=cluster)
    _clear()
    sem(TWO, df, **kw)
    assert len(fiml._H1_SHARED) == 1
    (entry,) = fiml._H1_SHARED.values()
    a1 = entry[1][0]
    second = sem(ONE, df, **kw)
    assert len(fiml._H1_SHARED) == 1
    (entry2,) = fiml._H1_SHARED.values()
    assert entry2[1][0] is a1  # the same matrices, not computed again
    assert entry2[2], "the FIML-corrected products are kept with them"
    shared = _numbers(second)
    _clear()
    alone = _numbers(sem(ONE, df, **kw))
    for k in alone:
        np.testing.assert_array_equal(shared[k], alone[k], err_msg=k)


def test_h1_matrices_are_read_only():
    df = _data(seed=11)
    _clear()
    sem(TWO, df, estimator="MLR", missing="ml")
    (entry,) = fiml._H1_SHARED.values()
    a1, j1, _ = entry[1]
    with pytest.raises(ValueError):
        a1[0][0, 0] = 1.0
    with pytest.raises(ValueError):
        j1[0][0, 0] = 1.0


def test_observed_information_at_the_estimate_is_the_computed_one():
    """The kept observed information equals a fresh computation, and the caller gets a
    copy (changing it does not change the kept one)."""
    df = _data(seed=3)
    _clear()
    res = sem(TWO, df, estimator="MLR", missing="ml")
    model = res.model
    gd = [fiml.prepare_group_data(df[model.ov_names].to_numpy(dtype=float))]
    x = res.state.x
    first = fiml.observed_information_theta(model, x, gd)
    first[0, 0] = 1e300
    again = fiml.observed_information_theta(model, x, gd)
    fiml._OBSERVED_LAST[0] = None
    fresh = fiml._observed_information_theta(model, x, gd)
    np.testing.assert_array_equal(again, fresh)


#: the zero-padding the pattern sums used before they were filled in place
_full = fiml._full


def _slow_information(ps, mu, sigma):
    """The pattern sums of :func:`fiml._info_observed` and :func:`fiml._info_expected`
    with one zero matrix and index grid per pattern (the code before session 22)."""
    p = ps.p
    h_mm = np.zeros((p, p))
    left, right, us, e_left, e_mm = [], [], [], [], np.zeros((p, p))
    for o, n, w, _, esum, _t in fiml._blocks(ps, mu, sigma):
        m = mu[o]
        t = ps.cross[len(us)] - np.outer(ps.sums[len(us)], m) - np.outer(m, esum)
        wf = _full(o, w, p)
        h_mm += n * wf
        us.append(_full(o, esum @ w, p))
        left.append(_full(o, w @ t @ w, p) - 0.5 * n * wf)
        right.append(wf)
        e_mm += n * wf
        e_left.append(0.5 * n * wf)
    h_ss = fiml._sum_over_patterns(left, right)
    h_ms = fiml._u_kron_w_d_sum(np.stack(us), np.stack(right))
    obs = np.vstack([np.hstack([h_mm, h_ms]), np.hstack([h_ms.T, h_ss])]) / ps.n_total
    pstar = p * (p + 1) // 2
    exp = np.zeros((p + pstar, p + pstar))
    exp[:p, :p] = e_mm
    exp[p:, p:] = fiml._sum_over_patterns(e_left, right)
    return obs, exp / ps.n_total


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pattern_information_equals_the_slow_sums(seed):
    rng = np.random.default_rng(seed)
    n, p = 200, 7
    a = rng.normal(size=(p, p))
    sigma = a @ a.T / p + np.eye(p)
    y = rng.multivariate_normal(np.zeros(p), sigma, size=n)
    y[rng.random(y.shape) < 0.2] = np.nan
    y = y[~np.isnan(y).all(axis=1)]
    ps = fiml.pattern_stats(y)
    mu = np.nanmean(y, axis=0) + 0.05
    slow_obs, slow_exp = _slow_information(ps, mu, sigma)
    np.testing.assert_array_equal(fiml._info_observed(ps, mu, sigma), slow_obs)
    np.testing.assert_array_equal(fiml._info_expected(ps, sigma), slow_exp)
    # the gradient handed out twice is the same object, and read-only
    ll, g = fiml._ll_grad(ps, mu, sigma)
    assert fiml._ll_grad(ps, mu, sigma)[1] is g
    assert not g.flags.writeable
    fiml._LL_GRADS.clear()
    ll2, g2 = fiml._ll_grad(ps, mu, sigma)
    assert ll2 == ll
    np.testing.assert_array_equal(g2, g)
    # the public gradient is the caller's own
    out = fiml.loglik_gradient(y, mu, sigma)
    out[0] = 0.0
    np.testing.assert_array_equal(fiml._ll_grad(ps, mu, sigma)[1], g)
