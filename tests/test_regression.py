"""analysis.stats.regression against R (lm + sandwich HC3, lavaan) and hand-checked formulas.

Reference: tests/reference/regression/make_reference.R (Holzinger-Swineford data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.errors import DataError, ModelSpecificationError
from analysis.stats import regression as reg
from tests.parity import EST_ATOL, EST_RTOL, REFERENCE_DIR, assert_close, load_reference

REF = load_reference("regression/hs_regression.json")
COV = {"HC3": "HC3", "const": "nonrobust"}


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "data" / "HolzingerSwineford1939.csv")


def _compare_coefs(ours: pd.DataFrame, ref: dict, rename: dict[str, str], what: str) -> None:
    order = [rename.get(t, t) for t in ref["term"]]
    o = ours.set_index("term").loc[order]
    for col in ("estimate", "se", "t", "pvalue", "ci_lower", "ci_upper"):
        assert_close(o[col].to_numpy(), ref[col], atol=EST_ATOL, rtol=EST_RTOL,
                     what=f"{what} {col}")


@pytest.mark.parametrize("cov", ["HC3", "const"])
def test_moderation_matches_r(hs, cov):
    ref = REF["moderation"][cov]
    res = reg.moderation(hs, "x5", "x4", "x1", controls=["x7"], cov_type=COV[cov])
    _compare_coefs(res.coefficients, ref["coefficients"],
                   {"x4c": "x4", "x1c": "x1", "x4c:x1c": "x4:x1"}, f"moderation {cov}")
    ss = pd.DataFrame(ref["simple_slopes"])
    for col in ("moderator", "estimate", "se", "t", "pvalue", "ci_lower", "ci_upper"):
        assert_close(res.simple_slopes[col].to_numpy(), ss[col].to_numpy(), atol=EST_ATOL,
                     rtol=EST_RTOL, what=f"simple slopes {col}")
    assert_close(res.jn_bounds, ref["jn_bounds"], atol=EST_ATOL, rtol=EST_RTOL,
                 what="JN bounds")
    assert_close(res.r2, ref["r2"], atol=1e-10, rtol=0.0, what="R2")
    assert res.df_resid == ref["df_resid"]


@pytest.mark.parametrize("cov", ["HC3", "const"])
def test_quadratic_matches_r(hs, cov):
    ref = REF["quadratic"][cov]
    res = reg.quadratic(hs, "x5", "x1", controls=["x7"], cov_type=COV[cov])
    _compare_coefs(res.coefficients, ref["coefficients"], {"I(x1^2)": "x1^2"}, f"quad {cov}")
    assert_close(res.turning_point, ref["turning_point"], atol=EST_ATOL, rtol=EST_RTOL,
                 what="turning point")
    assert_close(res.tp_se, ref["tp_se"], atol=EST_ATOL, rtol=EST_RTOL, what="tp SE")
    for side in ("slope_min", "slope_max"):
        ours, theirs = getattr(res, side), ref[side]
        assert_close([ours[k] for k in theirs], list(theirs.values()), atol=EST_ATOL,
                     rtol=EST_RTOL, what=side)


@pytest.mark.parametrize("cov", ["HC3", "const"])
def test_response_surface_matches_r(hs, cov):
    ref = REF["rsa"][cov]
    res = reg.response_surface(hs, "x9", "x7", "x8", cov_type=COV[cov])
    assert_close(res.center, ref["center"], atol=1e-12, rtol=0.0, what="center")
    _compare_coefs(res.coefficients, ref["coefficients"],
                   {"I(x^2)": "x^2", "I(x * y)": "x*y", "I(y^2)": "y^2"}, f"rsa {cov}")
    surf = pd.DataFrame(ref["surface"]).set_index("parameter")
    ours = res.surface.set_index("parameter").loc[surf.index]
    for col in ("estimate", "se", "t", "pvalue", "ci_lower", "ci_upper"):
        assert_close(ours[col].to_numpy(), surf[col].to_numpy(), atol=EST_ATOL,
                     rtol=EST_RTOL, what=f"a1-a5 {col}")


def test_mediation_matches_lavaan(hs):
    res = reg.mediation_bootstrap(hs, "x6", "x4", "x5", controls=["x7"], n_boot=500, seed=3)
    for name, ref in REF["mediation"].items():
        ours = res.effect(name)
        assert_close([ours["estimate"], ours["se"]], [ref["estimate"], ref["se"]],
                     atol=EST_ATOL, rtol=EST_RTOL, what=f"{name} est/se")
        # bootstrap: R = 2000 in R vs 500 here -> Monte Carlo error only
        assert_close([ours["boot_se"], ours["ci_lower"], ours["ci_upper"]],
                     [ref["boot_se"], ref["ci_lower"], ref["ci_upper"]], atol=0.02, rtol=0.0,
                     what=f"{name} bootstrap")
    assert res.n_boot_ok == 500


# ------------------------------------------------------------------ hand checks
def _synthetic(n: int = 400, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    m = rng.uniform(-3, 3, size=n)
    y = 0.1 * x + 0.25 * x * m + 0.2 * m + rng.normal(size=n)
    return pd.DataFrame({"x": x, "m": m, "y": y, "c": rng.normal(size=n)})


def test_jn_bounds_are_where_the_slope_is_just_significant():
    d = _synthetic()
    res = reg.moderation(d, "y", "x", "m", controls=["c"])
    assert len(res.jn_bounds) == 2
    t_crit = stats.t.ppf(0.975, res.df_resid)
    v = res.vcov
    b = res.coefficients.set_index("term")["estimate"]
    for bound in res.jn_bounds:
        mc = bound - res.m_mean
        slope = b["x"] + b["x:m"] * mc
        se = np.sqrt(v.loc["x", "x"] + 2 * mc * v.loc["x", "x:m"] + mc**2 * v.loc["x:m", "x:m"])
        assert abs(abs(slope / se) - t_crit) < 1e-8
    # the slope is not significant between the bounds and significant just outside
    lo, hi = res.jn_bounds
    regions = res.jn_regions
    assert regions[0] == (res.m_min, pytest.approx(lo)) or regions[0][1] <= lo + 1e-12
    assert all(not (lo + 1e-9 < (a + b_) / 2 < hi - 1e-9) for a, b_ in regions)


def test_simple_slope_at_mean_is_the_centred_coefficient():
    d = _synthetic()
    res = reg.moderation(d, "y", "x", "m")
    row = res.simple_slopes.set_index("level").loc["mean"]
    coef = res.coefficients.set_index("term").loc["x"]
    assert row["estimate"] == pytest.approx(coef["estimate"], rel=1e-12)
    assert row["se"] == pytest.approx(coef["se"], rel=1e-12)
    # +1 SD slope = b_x + b_xm * sd
    plus = res.simple_slopes.set_index("level").loc["+1 SD", "estimate"]
    b_xm = res.coefficients.set_index("term").loc["x:m", "estimate"]
    assert plus == pytest.approx(coef["estimate"] + b_xm * res.m_sd, rel=1e-12)


def test_johnson_neyman_no_crossing_and_whole_range():
    # strongly significant slope everywhere: one region, the whole range
    bounds, regions = reg.johnson_neyman(1.0, 0.01, 0.01, 0.0, 0.0001, 1.96, -3.0, 3.0)
    assert regions == ((-3.0, 3.0),)
    # non-significant everywhere
    bounds, regions = reg.johnson_neyman(0.0, 0.0, 1.0, 0.0, 1.0, 1.96, -3.0, 3.0)
    assert regions == ()


def test_quadratic_detects_inverted_u_and_rejects_linear():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 10, 600)
    d = pd.DataFrame({"x": x, "y": -(x - 5) ** 2 * 0.2 + rng.normal(size=600)})
    res = reg.quadratic(d, "y", "x")
    assert res.inverted_u and not res.u_shape
    assert res.tp_ci_lower < 5 < res.tp_ci_upper
    d["y"] = 0.5 * x + rng.normal(size=600)
    assert not reg.quadratic(d, "y", "x").inverted_u


def test_bad_input_is_reported():
    d = _synthetic()
    with pytest.raises(DataError, match="not in data"):
        reg.moderation(d, "y", "x", "nope")
    with pytest.raises(ModelSpecificationError, match="cov_type"):
        reg.moderation(d, "y", "x", "m", cov_type="HC9")
    with pytest.raises(ModelSpecificationError, match="distinct"):
        reg.quadratic(d, "y", "y")
    d2 = d.assign(k=1.0)
    with pytest.raises(DataError, match="constant"):
        reg.response_surface(d2, "y", "x", "k")
    with pytest.raises(ModelSpecificationError, match="n_boot"):
        reg.mediation_bootstrap(d, "y", "x", "m", n_boot=1)


def test_simple_slope_lines_and_jn_curve_agree_with_the_fit():
    import statsmodels.formula.api as smf

    d = _synthetic()
    res = reg.moderation(d, "y", "x", "m", controls=["c"], cov_type="nonrobust")
    fit = smf.ols("y ~ x * m + c", d).fit()   # uncentred: same fitted surface
    for row in res.simple_slopes.itertuples():
        for xv in (-1.0, 2.0):
            new = pd.DataFrame({"x": [xv], "m": [row.moderator], "c": [d["c"].mean()]})
            assert row.intercept + row.estimate * xv == pytest.approx(
                float(fit.predict(new).iloc[0]), rel=1e-10)
    curve = res.conditional_slopes(list(res.jn_bounds))
    t_crit = stats.t.ppf(0.975, res.df_resid)
    np.testing.assert_allclose(np.abs(curve["t"]), t_crit, rtol=1e-9, atol=0)


def test_response_surface_clusters_by_a_column(hs):
    """H2 ran on both partners of an alliance as independent rows (HC3).  With
    ``cluster=`` the SEs are CR1 (Stata, sandwich::vcovCL(type = "HC1")):
    ``G/(G-1) (n-1)/(n-k) (X'X)^-1 sum_g X_g' e_g e_g' X_g (X'X)^-1``, and the tests use
    G - 1 df; checked against that formula written out here (pairs of rows as clusters,
    two rows without an id as clusters of their own)."""
    d = hs.copy()
    d["pair"] = (np.arange(len(d)) // 2).astype(float)
    d.loc[[0, 5], "pair"] = np.nan
    res = reg.response_surface(d, "x9", "x7", "x8", cluster="pair")
    x1, x2 = d["x7"] - res.center, d["x8"] - res.center
    X = np.column_stack([np.ones(len(d)), x1, x2, x1 * x1, x1 * x2, x2 * x2])
    y = d["x9"].to_numpy()
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    e = y - X @ b
    g = reg.cluster_codes(d["pair"])
    G, (n, k) = int(g.max()) + 1, X.shape
    assert G == 151 + 2 and res.n_clusters == G  # 151 pair ids, 2 rows without one
    bread = np.linalg.inv(X.T @ X)
    meat = sum(np.outer(X[g == c].T @ e[g == c], X[g == c].T @ e[g == c]) for c in range(G))
    V = bread @ meat @ bread * G / (G - 1) * (n - 1) / (n - k)
    a4 = np.array([0, 0, 0, 1, -1, 1.0])
    se = float(np.sqrt(a4 @ V @ a4))
    row = res.surface.set_index("parameter").loc["a4"]
    assert row["se"] == pytest.approx(se, rel=1e-10)
    t = float(a4 @ b) / se
    assert row["pvalue"] == pytest.approx(2 * stats.t.sf(abs(t), G - 1), rel=1e-9)
    assert res.cov_type == "cluster (pair)"
    with pytest.raises(ModelSpecificationError, match="not a column"):
        reg.response_surface(d, "x9", "x7", "x8", cluster="nope")
    # row labels that repeat (two frames concatenated) give the same result
    twice = pd.concat([d.iloc[:150], d.iloc[150:]]).set_axis([0] * 150 + [1] * 151)
    again = reg.response_surface(twice, "x9", "x7", "x8", cluster="pair")
    assert again.surface.set_index("parameter").loc["a4", "se"] == pytest.approx(se, rel=1e-10)
