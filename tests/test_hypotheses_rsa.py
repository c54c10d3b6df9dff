"""Difference scores tested as the literature asks (Edwards 1994, 2002).

The constraint tests are checked against statsmodels' own Wald test on a formula fit
(a second, independent route to the same hypothesis), the principal axis against
surfaces whose axis is known by construction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import analysis.study.hypotheses as hyp


def _surface(z_of, n=2000, seed=1, noise=0.3):
    rng = np.random.default_rng(seed)
    x = rng.normal(4, 1, n)
    y = 0.5 * x + rng.normal(2, 1, n)
    c = rng.normal(size=n)
    z = z_of(x, y) + 0.2 * c + rng.normal(scale=noise, size=n)
    return pd.DataFrame({"z": z, "x": x, "y": y, "c": c})


def test_constraint_test_matches_statsmodels_wald():
    d = _surface(lambda x, y: 0.3 * x - 0.1 * (x - y) ** 2 + 0.05 * x * x)
    out = hyp.difference_score_checks(d, "z", "x", "y", ["c"])
    m = float(pd.concat([d["x"], d["y"]]).mean())
    e = d.assign(xc=d["x"] - m, yc=d["y"] - m)
    fit = smf.ols("z ~ xc + yc + I(xc**2) + I(xc*yc) + I(yc**2) + c", e).fit(cov_type="HC3")
    w = fit.wald_test("I(xc ** 2) + I(xc * yc) + I(yc ** 2) = 0, xc - yc = 0, "
                      "I(xc ** 2) - I(yc ** 2) = 0", scalar=True)
    assert out["constraints"]["chisq"] == pytest.approx(float(w.statistic), rel=1e-8)
    assert out["constraints"]["pvalue"] == pytest.approx(float(w.pvalue), rel=1e-6)
    assert out["constraints"]["pvalue"] < 0.001  # the x^2 term breaks the constraints


def test_squared_difference_surface_passes_and_has_its_axis_on_the_diagonal():
    d = _surface(lambda x, y: 0.2 * (x + y) - 0.4 * (x - y) ** 2, noise=0.5)
    out = hyp.difference_score_checks(d, "z", "x", "y", ["c"])
    assert out["constraints"]["pvalue"] > 0.01
    ax = out["principal_axis"]
    assert abs(ax["p11"] - 1) < 3 * ax["p11_se"] + 0.02 and ax["p11_se"] < 0.1
    assert abs(ax["p10"]) < 3 * ax["p10_se"] + 0.05


def test_shifted_ridge_gives_its_intercept():
    # a ridge along y = x + 1: p10 = 1, p11 = 1
    d = _surface(lambda x, y: -0.5 * (y - x - 1) ** 2, noise=0.2, seed=4)
    ax = hyp.difference_score_checks(d, "z", "x", "y")["principal_axis"]
    assert ax["p11"] == pytest.approx(1.0, abs=0.05)
    assert ax["p10"] == pytest.approx(1.0, abs=0.15)


def test_equal_and_opposite_constraint():
    rng = np.random.default_rng(2)
    n = 3000
    d = pd.DataFrame({"v": rng.normal(size=n), "dep_own": rng.normal(4, 1, n),
                      "dep_partner": rng.normal(4, 1, n)})
    asym = d["dep_own"] - d["dep_partner"]
    d["y"] = 0.4 * d["v"] - 0.2 * d["v"] * asym + rng.normal(scale=0.5, size=n)
    ok = hyp.equal_and_opposite_test(d, "y", "v", "asym_signed")
    assert ok["pvalue"] > 0.01
    assert ok["b_x_a"] == pytest.approx(-ok["b_x_b"], abs=0.05)
    # only the own dependence moderates: the signed difference is the wrong model
    d["y"] = 0.4 * d["v"] - 0.2 * d["v"] * (d["dep_own"] - 4) + rng.normal(scale=0.5, size=n)
    bad = hyp.equal_and_opposite_test(d, "y", "v", "asym_signed")
    assert bad["pvalue"] < 0.001
    e = d.assign(vc=d["v"] - d["v"].mean(), a=d["dep_own"] - d["dep_own"].mean(),
                 b=d["dep_partner"] - d["dep_partner"].mean())
    fit = smf.ols("y ~ vc + a + b + vc:a + vc:b", e).fit(cov_type="HC3")
    w = fit.wald_test("a + b = 0, vc:a + vc:b = 0", scalar=True)
    assert bad["chisq"] == pytest.approx(float(w.statistic), rel=1e-8)


def test_interaction_size_and_vif_by_their_definitions():
    rng = np.random.default_rng(5)
    n = 500
    d = pd.DataFrame({"x": rng.normal(size=n), "m": rng.normal(size=n), "c": rng.normal(size=n)})
    d["y"] = 0.3 * d["x"] + 0.2 * d["m"] + 0.25 * d["x"] * d["m"] + rng.normal(size=n)
    out = hyp.interaction_size(d, "y", "x", "m", ["c"])
    e = d.assign(xc=d["x"] - d["x"].mean(), mc=d["m"] - d["m"].mean())
    full = smf.ols("y ~ xc + mc + c + xc:mc", e).fit().rsquared
    red = smf.ols("y ~ xc + mc + c", e).fit().rsquared
    assert out["delta_r2"] == pytest.approx(full - red, rel=1e-10)
    assert out["f2"] == pytest.approx((full - red) / (1 - full), rel=1e-10)
    # VIF of x: 1 / (1 - R2 of x on the other predictors)
    r2x = smf.ols("xc ~ mc + c + I(xc*mc)", e).fit().rsquared
    assert out["vif"]["x"] == pytest.approx(1 / (1 - r2x), rel=1e-8)
    assert 1 <= out["max_vif"] < 1.2
