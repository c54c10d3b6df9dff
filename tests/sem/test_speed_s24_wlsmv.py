"""WLSMV estimation: thresholds estimated apart, and a ridge left sooner.

* Under the delta parameterization with free, unshared thresholds the DWLS problem
  separates: the thresholds are the sample thresholds and Gauss-Newton runs on the other
  parameters only (analysis/sem/wls._estimate).  The estimates, standard errors and test
  statistics must be those of the full problem, to rounding, on random ordinal models
  (one and two groups, pairwise missing data, a bounded loading); models in which the
  thresholds do not separate (equal across groups, theta parameterization) keep the full
  problem.
* A scale without common variance sends every start along the same ridge (an item's
  residual variance running to minus infinity).  The fit is still reported as not
  converged, with its Heywood case, but each start is stopped after fewer Gauss-Newton
  steps (counted, never timed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.sem import cfa, wls

EST_RTOL = 1e-10    # estimates of two Gauss-Newton paths to the same minimum (1e-14 seen)
EST_ATOL = 1e-12
STAT_RTOL = 1e-10   # chi-square, scaled statistics, standard errors


def _ordinal_data(seed: int, n: int = 450, n_factors: int = 3, per_factor: int = 4,
                  scramble_last: bool = False, missing: float = 0.0,
                  spread: bool = False) -> tuple[pd.DataFrame, str]:
    """Correlated factors, items cut into 5 categories at random thresholds (``spread``:
    near -1.2, -0.4, 0.4, 1.2, so that every category is used in a smaller sample); with
    ``scramble_last`` the last factor's items are permuted independently (no common
    variance left)."""
    rng = np.random.default_rng(seed)
    corr = 0.4 + 0.6 * np.eye(n_factors)
    f = rng.standard_normal((n, n_factors)) @ np.linalg.cholesky(corr).T
    cols: dict[str, np.ndarray] = {}
    lines = []
    for a in range(n_factors):
        names = []
        for j in range(per_factor):
            lam = rng.uniform(0.5, 0.85)
            y = lam * f[:, a] + np.sqrt(1.0 - lam ** 2) * rng.standard_normal(n)
            cuts = (np.array([-1.2, -0.4, 0.4, 1.2]) + rng.uniform(-0.2, 0.2, 4) if spread
                    else np.sort(rng.uniform(-1.5, 1.5, 4)))
            v = (np.searchsorted(cuts, y) + 1).astype(float)
            if scramble_last and a == n_factors - 1:
                v = rng.permutation(v)
            if missing:
                v[rng.random(n) < missing] = np.nan
            cols[f"y{a}_{j}"] = v
            names.append(f"y{a}_{j}")
        lines.append(f"f{a} =~ " + " + ".join(names))
    return pd.DataFrame(cols), "\n".join(lines)


class _Spy:
    """Counts the calls of a wls function and what they return."""

    def __init__(self, fn):
        self.fn, self.calls = fn, []

    def __call__(self, *args, **kwargs):
        out = self.fn(*args, **kwargs)
        self.calls.append(out)
        return out


def _fit_both(monkeypatch, syntax: str, data: pd.DataFrame, **kw):
    spy = _Spy(wls._separable_thresholds)
    sizes: list[int] = []
    inner = wls._gauss_newton

    def gauss_newton(model, *args, **kwargs):
        sizes.append(model.n_free)
        return inner(model, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(wls, "_separable_thresholds", spy)
        m.setattr(wls, "_gauss_newton", gauss_newton)
        new = cfa(syntax, data, estimator="WLSMV", ordered=list(data.columns[:-1])
                  if "g" in data.columns else list(data.columns), **kw)
    with monkeypatch.context() as m:
        m.setattr(wls, "_separable_thresholds", lambda *a, **k: None)
        old = cfa(syntax, data, estimator="WLSMV", ordered=list(data.columns[:-1])
                  if "g" in data.columns else list(data.columns), **kw)
    # the Gauss-Newton steps of the new fit solve for the parameters other than the
    # thresholds estimated apart
    n_th = int((new.partable["op"] == "|").sum())
    assert sizes and all(k == new.model.n_free - n_th for k in sizes[:1]), (sizes, n_th)
    return new, old, spy


def _assert_same(new, old) -> None:
    assert new.converged and old.converged
    pn, po = new.partable, old.partable
    np.testing.assert_allclose(pn["est"].to_numpy(), po["est"].to_numpy(),
                               rtol=EST_RTOL, atol=EST_ATOL)
    np.testing.assert_allclose(pn["se"].to_numpy(), po["se"].to_numpy(),
                               rtol=STAT_RTOL, atol=EST_ATOL)
    for key in ("chisq", "chisq_scaled", "cfi_scaled", "rmsea_scaled", "srmr"):
        np.testing.assert_allclose(new.fit[key], old.fit[key], rtol=STAT_RTOL,
                                   atol=EST_ATOL, err_msg=key)


@pytest.mark.parametrize("seed", [0, 1, 3, 4])
def test_thresholds_apart_one_group(monkeypatch, seed):
    data, syntax = _ordinal_data(seed)
    new, old, spy = _fit_both(monkeypatch, syntax, data)
    # every threshold (4 per item, fewer where a category is empty) is estimated apart
    n_th = int((new.partable["op"] == "|").sum())
    assert n_th >= 40
    assert spy.calls and spy.calls[0] is not None and len(spy.calls[0][0]) == n_th
    _assert_same(new, old)


def test_thresholds_apart_pairwise_missing(monkeypatch):
    data, syntax = _ordinal_data(7, missing=0.05)
    new, old, spy = _fit_both(monkeypatch, syntax, data, missing="pairwise")
    assert spy.calls[0] is not None
    _assert_same(new, old)


def test_thresholds_apart_two_groups(monkeypatch):
    a, syntax = _ordinal_data(11, n=400, spread=True)
    b, _ = _ordinal_data(12, n=380, spread=True)
    data = pd.concat([a.assign(g="one"), b.assign(g="two")], ignore_index=True)
    new, old, spy = _fit_both(monkeypatch, syntax, data, group="g",
                              group_equal=["loadings"])
    # every group's thresholds apart (equal loadings do not involve them)
    assert spy.calls[0] is not None and len(spy.calls[0][0]) == 96
    _assert_same(new, old)


def test_thresholds_apart_with_a_bounded_loading(monkeypatch):
    data, syntax = _ordinal_data(5)
    syntax = syntax.replace("f0 =~ y0_0 + y0_1", "f0 =~ y0_0 + a*y0_1") + "\na > 1.2"
    new, old, spy = _fit_both(monkeypatch, syntax, data)
    assert spy.calls[0] is not None
    _assert_same(new, old)
    # the bound holds the loading
    row = new.partable[(new.partable["op"] == "=~") & (new.partable["rhs"] == "y0_1")]
    np.testing.assert_allclose(row["est"].to_numpy(), [1.2], atol=1e-7)


def test_equal_thresholds_keep_the_full_problem(monkeypatch):
    a, syntax = _ordinal_data(11, n=400, spread=True)
    b, _ = _ordinal_data(12, n=380, spread=True)
    data = pd.concat([a.assign(g="one"), b.assign(g="two")], ignore_index=True)
    spy = _Spy(wls._separable_thresholds)
    monkeypatch.setattr(wls, "_separable_thresholds", spy)
    res = cfa(syntax, data, estimator="WLSMV", ordered=list(a.columns), group="g",
              group_equal=["loadings", "thresholds"])
    assert res.converged
    assert spy.calls and all(c is None for c in spy.calls)


def test_theta_parameterization_keeps_the_full_problem(monkeypatch):
    data, syntax = _ordinal_data(3)
    spy = _Spy(wls._separable_thresholds)
    monkeypatch.setattr(wls, "_separable_thresholds", spy)
    res = cfa(syntax, data, estimator="WLSMV", ordered=list(data.columns),
              parameterization="theta")
    assert res.converged
    assert spy.calls and all(c is None for c in spy.calls)


def test_scale_without_common_variance_leaves_the_ridge_sooner(monkeypatch):
    # lavaan 0.6 on these data: "the optimizer warns that a solution has NOT been found"
    # (611 iterations; the first item's residual variance at 6588)
    data, syntax = _ordinal_data(2, n_factors=4, scramble_last=True)
    gn = _Spy(wls._gauss_newton)
    monkeypatch.setattr(wls, "_gauss_newton", gn)
    res = cfa(syntax, data, estimator="WLSMV", ordered=list(data.columns))
    assert not res.converged
    assert any("Heywood" in w and "y3_1" in w for w in res.warnings)
    assert any("did not converge from any of 6 starts" in w for w in res.warnings)
    steps = [it for _x, it, _ok in gn.calls]
    assert len(steps) == 6 and not any(ok for _x, _it, ok in gn.calls)
    # each start stopped at a runaway check: the first after 140 steps (250 before), all
    # six after 830 (1,350 before)
    assert steps[0] <= 150
    assert sum(steps) <= 1000
    # and the fit reports no numbers
    assert np.isnan(res.fit["chisq"])


def test_a_crawl_that_then_converges_is_not_stopped(monkeypatch):
    """Here the default start crawls along a ridge for 30 iterations (one loading from 16
    to 33, the fit function falling by 4e-5, 2e-5 and 6e-6 of itself in each 10) and then
    converges after 72 iterations at a loading of 34 (a Heywood case, reported).  The
    sooner runaway check must let it finish, from the default start."""
    data, syntax = _ordinal_data(39, n=573, n_factors=4, scramble_last=True)
    gn = _Spy(wls._gauss_newton)
    monkeypatch.setattr(wls, "_gauss_newton", gn)
    res = cfa(syntax, data, estimator="WLSMV", ordered=list(data.columns))
    assert res.converged
    assert len(gn.calls) == 1 and gn.calls[0][2] and gn.calls[0][1] > 60
    assert not any("converged from" in w for w in res.warnings)
    assert any("Heywood" in w and "y3_2" in w for w in res.warnings)
