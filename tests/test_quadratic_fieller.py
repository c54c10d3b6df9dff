"""Fieller interval of the turning point in analysis.stats.regression.quadratic (Lind & Mehlum)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import analysis.stats.regression as reg


def _slope_t(data: pd.DataFrame, at: float, res: reg.QuadraticResult) -> float:
    """t of the slope b1 + 2 b2 x at ``at``, from an independent statsmodels fit (HC3)."""
    import statsmodels.formula.api as smf

    fit = smf.ols("y ~ x + I(x**2)", data=data).fit(cov_type=res.cov_type, use_t=True)
    test = fit.t_test(np.array([0.0, 1.0, 2.0 * at]))
    return float(np.asarray(test.tvalue).ravel()[0])


@pytest.mark.parametrize("level", [0.90, 0.95])
def test_fieller_bounds_are_where_the_slope_stops_being_significant(level):
    rng = np.random.default_rng(3)
    x = rng.normal(4.5, 1.2, 400)
    d = pd.DataFrame({"x": x, "y": 0.3 * x - 0.05 * x**2 + rng.normal(size=400)})
    res = reg.quadratic(d, "y", "x", level=level)
    lo, hi = res.tp_fieller_lower, res.tp_fieller_upper
    assert np.isfinite(lo) and np.isfinite(hi) and lo < res.turning_point < hi
    q = stats.t.ppf(0.5 + level / 2, len(d) - 3)
    for bound in (lo, hi):
        assert abs(_slope_t(d, bound, res)) == pytest.approx(q, rel=1e-8)
    for inside in (lo + 1e-3 * (hi - lo), hi - 1e-3 * (hi - lo)):
        assert abs(_slope_t(d, inside, res)) < q
    # asymmetric around the estimate, unlike the delta-method interval
    assert (hi - res.turning_point) != pytest.approx(res.turning_point - lo, rel=1e-3)
    assert res.tp_ci_upper - res.turning_point == pytest.approx(
        res.turning_point - res.tp_ci_lower, rel=1e-12)


def test_fieller_is_unbounded_without_curvature():
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 10, 300)
    d = pd.DataFrame({"x": x, "y": 0.5 * x + rng.normal(size=300)})
    res = reg.quadratic(d, "y", "x")
    sq = res.coefficients.set_index("term").loc["x^2"]
    assert sq["pvalue"] > 0.05
    assert res.tp_fieller_lower == -np.inf and res.tp_fieller_upper == np.inf
    assert not res.inverted_u
