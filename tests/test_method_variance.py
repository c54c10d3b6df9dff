"""Common-method-variance checks: Harman (vs psych 2.2.9), Lindell-Whitney by hand, ULMC syntax."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, ModelSpecificationError
from analysis.stats.method_variance import (
    harman_single_factor,
    marker_adjust,
    marker_adjusted_correlations,
    one_factor_comparison,
    ulmc,
    ulmc_syntax,
)
from analysis.stats.reliability import measurement_blocks
from tests.parity import CHISQ_RTOL, EST_ATOL, EST_RTOL, FIT_ATOL, assert_close, load_reference
from tests.test_reliability import BFI_REF, HS, HS_REF, bfi_reversed

HS_ITEMS = [f"x{i}" for i in range(1, 10)]


@pytest.mark.parametrize("source", ["hs", "bfi"])
def test_harman_matches_psych_principal(source: str) -> None:
    if source == "hs":
        data, ref = HS[HS_ITEMS], HS_REF["harman"]
    else:
        data, ref = bfi_reversed(), BFI_REF["harman"]
    # the reference is psych::principal(na.omit(x)): complete rows
    res = harman_single_factor(data, missing="listwise")
    assert res["n_obs"] == ref["n"]
    assert_close(res["first_eigenvalue"], ref["first_eigenvalue"], atol=EST_ATOL, rtol=EST_RTOL,
                 what="first eigenvalue")
    assert_close(res["prop_var"], ref["prop_var"], atol=EST_ATOL, rtol=EST_RTOL, what="prop var")


def test_harman_single_dominant_factor_by_construction() -> None:
    # Four identical-up-to-noise items: first component takes almost all variance.
    rng = np.random.default_rng(1)
    g = rng.normal(size=500)
    data = pd.DataFrame({f"i{k}": g + 0.01 * rng.normal(size=500) for k in range(4)})
    assert harman_single_factor(data)["prop_var"] > 0.99
    independent = pd.DataFrame(rng.normal(size=(500, 4)), columns=list("abcd"))
    assert harman_single_factor(independent)["prop_var"] < 0.4


def test_marker_adjust_by_hand() -> None:
    # r = .40, r_M = .10, n = 103: r_A = .3/.9 = 1/3; t = (1/3) / sqrt((1 - 1/9) / 100) = 10/sqrt(8)
    res = marker_adjust([0.40, 0.10, 0.05], 0.10, 103)
    assert_close(res["r_adj"], [1 / 3, 0.0, -0.05 / 0.9], atol=1e-12, what="r_adj")
    assert_close(res["t"].iloc[0], (1 / 3) / np.sqrt((8 / 9) / 100), atol=1e-12, what="t")
    assert (res["df"] == 100).all()
    # two-sided p of t = 10/sqrt(8) = 3.5355 with 100 df is about 6.1e-4
    assert 5e-4 < res["pvalue"].iloc[0] < 7e-4
    assert res["pvalue"].iloc[1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("r", "r_m", "n", "message"),
    [(0.3, 1.0, 100, "r_m="), (0.3, 0.1, 3, "n="), (1.5, 0.1, 100, "r="), (0.3, np.nan, 100, "r_m=")],
)
def test_marker_adjust_bad_input(r: float, r_m: float, n: int, message: str) -> None:
    with pytest.raises(DataError, match=message):
        marker_adjust(r, r_m, n)


def _marker_data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    method = rng.normal(size=n)
    a = rng.normal(size=n)
    return pd.DataFrame(
        {
            "a": a + 0.5 * method,
            "b": 0.6 * a + rng.normal(size=n) + 0.5 * method,
            "c": rng.normal(size=n) + 0.5 * method,
            "marker": rng.normal(size=n) + 0.5 * method,
        }
    )


def test_marker_adjusted_correlations_use_smallest_marker_correlation() -> None:
    data = _marker_data()
    res = marker_adjusted_correlations(data, "marker")
    r = data.corr()
    r_m = r.loc[["a", "b", "c"], "marker"].min()
    assert list(zip(res["var1"], res["var2"], strict=True)) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert_close(res["r_m"], [r_m] * 3, atol=1e-12, what="r_m")
    expected = [(r.loc[x, y] - r_m) / (1 - r_m) for x, y in [("a", "b"), ("a", "c"), ("b", "c")]]
    assert_close(res["r_adj"], expected, atol=1e-12, what="r_adj")
    assert (res["n"] == 400).all()
    second = marker_adjusted_correlations(data, "marker", r_m="second_smallest")
    assert second["r_m"].iloc[0] > r_m
    chosen = marker_adjusted_correlations(data, "marker", ["a", "b"], r_m=0.2)
    assert_close(chosen["r_adj"], [(r.loc["a", "b"] - 0.2) / 0.8], atol=1e-12, what="chosen r_m")


def test_marker_adjusted_correlations_errors() -> None:
    data = _marker_data()
    with pytest.raises(DataError, match="not in the data"):
        marker_adjusted_correlations(data, "nomarker")
    with pytest.raises(DataError, match="must not also"):
        marker_adjusted_correlations(data, "marker", ["a", "marker"])
    with pytest.raises(DataError, match="r_m="):
        marker_adjusted_correlations(data, "marker", r_m="largest")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="without variance"):
        marker_adjusted_correlations(data.assign(c=1.0), "marker")


def test_ulmc_syntax_adds_orthogonal_method_factor() -> None:
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    syntax = ulmc_syntax(model)
    blocks = measurement_blocks(syntax)
    assert blocks["method"] == HS_ITEMS
    for f in ("visual", "textual", "speed"):
        assert f"method ~~ 0*{f}" in syntax
    assert "method ~~ 1*method" in syntax
    with pytest.raises(ModelSpecificationError, match="already a factor"):
        ulmc_syntax(model, method_factor="speed")


# ---------------------------------------------------------------------------
# Model-based checks with the SEM engine, against lavaan 0.6.14 (cmv.json)
# ---------------------------------------------------------------------------

CMV = load_reference("reliability/cmv.json")
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def _fit_values(row: pd.Series) -> list[float]:
    return [row["chisq"], row["df"], row["cfi"], row["tli"], row["rmsea"]]


def _ref_values(ref: dict) -> list[float]:
    f = ref["fit"]
    return [f["chisq"], f["df"], f["cfi"], f["tli"], f["rmsea"]]


def test_one_factor_comparison_engine_matches_lavaan() -> None:
    table = one_factor_comparison(HS_MODEL, HS)
    assert list(table["model"]) == ["traits", "one_factor"]
    for i, key in enumerate(["hs_traits", "hs_one_factor"]):
        row = table.iloc[i]
        assert_close(row["chisq"], CMV[key]["fit"]["chisq"], atol=0.0, rtol=CHISQ_RTOL,
                     what=f"{key} chisq")
        assert_close(_fit_values(row)[1:], _ref_values(CMV[key])[1:], atol=FIT_ATOL,
                     what=f"{key} fit")
    d_chisq = CMV["hs_one_factor"]["fit"]["chisq"] - CMV["hs_traits"]["fit"]["chisq"]
    assert_close(table["delta_chisq"].iloc[1], d_chisq, atol=0.0, rtol=CHISQ_RTOL, what="dchisq")
    assert table["delta_df"].iloc[1] == 3
    assert table["delta_pvalue"].iloc[1] < 1e-40


def test_ulmc_engine_matches_lavaan_bfi() -> None:
    res = ulmc(BFI_REF["cfa"]["model"], bfi_reversed())
    fit = res.fit.set_index("model")
    for name, key in [("traits", "bfi_traits"), ("traits_method", "bfi_ulmc")]:
        assert bool(fit.loc[name, "converged"])
        assert_close(fit.loc[name, "chisq"], CMV[key]["fit"]["chisq"], atol=0.0,
                     rtol=CHISQ_RTOL, what=f"{key} chisq")
        assert_close(_fit_values(fit.loc[name])[1:], _ref_values(CMV[key])[1:], atol=FIT_ATOL,
                     what=f"{key} fit")
    ref = pd.DataFrame(CMV["bfi_ulmc"]["loadings"])
    method = ref[ref["lhs"] == "method"].set_index("rhs")["std_all"]
    traits = ref[ref["lhs"] != "method"].set_index(["lhs", "rhs"])["std_all"]
    lo = res.loadings
    # the method factor's sign is arbitrary: compare its loadings up to one common sign
    ours = lo.drop_duplicates("item").set_index("item")["method_loading"]
    sign = np.sign(ours @ method.loc[ours.index])
    assert_close(sign * ours.to_numpy(), method.loc[ours.index].to_numpy(), atol=EST_ATOL,
                 rtol=EST_RTOL, what="method loadings")
    expected = traits.loc[list(zip(lo["factor"], lo["item"], strict=True))].to_numpy()
    assert_close(lo["std_with_method"].abs(), np.abs(expected), atol=EST_ATOL, rtol=EST_RTOL,
                 what="trait loadings with method factor")
    base = pd.DataFrame(CMV["bfi_traits"]["loadings"]).set_index(["lhs", "rhs"])["std_all"]
    assert_close(lo["std_traits"],
                 base.loc[list(zip(lo["factor"], lo["item"], strict=True))].to_numpy(),
                 atol=EST_ATOL, rtol=EST_RTOL, what="trait-only loadings")
    shares = lo.drop_duplicates("item")["method_share"]
    assert_close(shares.mean(), float(np.mean(method.to_numpy() ** 2)), atol=EST_ATOL,
                 what="mean method share")
    assert fit.loc["traits_method", "delta_df"] == 25
    # the method factor has taken neuroticism's place (its items load .52 on it on
    # average, .46 on neuroticism, which had .68 without it): not method variance, so
    # no method share is reported
    assert len(res.absorbed) == 1 and "items of neuroticism" in res.absorbed[0]
    assert res.proper and not res.interpretable and np.isnan(res.mean_method_share)


# ---------------------------------------------------------------------------
# CFA marker technique, properness, refusals
# ---------------------------------------------------------------------------

MARKER_REF = load_reference("method_variance/cfa_marker.json")


@pytest.fixture(scope="module")
def cfa_marker_bfi():
    from analysis.stats.method_variance import cfa_marker
    from tests.test_reliability import BFI

    ref = MARKER_REF
    return cfa_marker(ref["traits"], ref["marker_items"], BFI, estimator="MLR", missing="ml")


def test_cfa_marker_matches_lavaan(cfa_marker_bfi) -> None:
    """bfi (N = 2800, missing answers, FIML, MLR): the five models and three comparisons
    of Williams et al. (2010) as lavaan 0.6.14 gives them."""
    res, ref = cfa_marker_bfi, MARKER_REF
    assert res.proper and res.chosen == ref["chosen"]
    models = res.models.set_index("model")
    for name, want in ref["models"].items():
        row = models.loc[name]
        assert row["df"] == want["df"], name
        for key in ("chisq", "chisq_scaled"):
            assert_close(row[key], want[key], atol=0.0, rtol=CHISQ_RTOL, what=f"{name} {key}")
        for key in ("cfi_robust", "tli_robust", "rmsea_robust", "srmr"):
            assert_close(row[key], want[key], atol=FIT_ATOL, what=f"{name} {key}")
    comp = res.comparisons.set_index("test")
    for test, want in zip(["method variance", "equal method effects",
                           "bias in trait correlations"], ref["comparisons"], strict=True):
        row = comp.loc[test]
        assert (row["restricted"], row["general"]) == (want["restricted"], want["general"])
        assert row["df_diff"] == want["df_diff"]
        assert_close(row["chisq_diff"], want["chisq_diff"], atol=0.0, rtol=5e-3,
                     what=f"{test} scaled chisq difference")
    assert res.method_present is True and res.biased is True
    got = res.method_loadings.set_index("item")["std_marker"]
    want = pd.Series(ref["method_loadings"]["std_all"], index=ref["method_loadings"]["item"])
    assert_close(got.loc[want.index].to_numpy(), want.to_numpy(), atol=EST_ATOL, rtol=EST_RTOL,
                 what="standardized marker loadings")
    assert res.mean_method_share == pytest.approx(float((want**2).mean()), abs=1e-3)


def test_cfa_marker_without_method_variance() -> None:
    """Independent marker, traits without a common method: no method variance found."""
    from analysis.stats.method_variance import cfa_marker

    rng = np.random.default_rng(7)
    n = 600
    f = rng.multivariate_normal([0, 0], [[1, 0.4], [0.4, 1]], size=n)
    m = rng.normal(size=n)
    cols = {f"a{i}": 0.7 * f[:, 0] + rng.normal(scale=0.7, size=n) for i in range(1, 4)}
    cols |= {f"b{i}": 0.7 * f[:, 1] + rng.normal(scale=0.7, size=n) for i in range(1, 4)}
    cols |= {f"m{i}": 0.7 * m + rng.normal(scale=0.7, size=n) for i in range(1, 4)}
    data = pd.DataFrame(cols)
    res = cfa_marker({"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]}, ["m1", "m2", "m3"],
                     data, estimator="ML", missing="listwise")
    assert res.proper
    assert res.method_present is False
    assert res.comparisons.set_index("test").loc["method variance", "pvalue"] > 0.05


def test_improper_ulmc_reports_no_method_share() -> None:
    from analysis.stats.method_variance import MethodFactorResult, improper_solution

    class Fake:
        converged = True
        warnings = ("Heywood case: the variance of x2 is negative (-0.25); the solution is "
                    "improper.",)
        params = pd.DataFrame({"lhs": ["f"], "op": ["=~"], "rhs": ["x2"], "std_all": [1.04]})

    problems = improper_solution(Fake())
    assert len(problems) == 2 and "Heywood" in problems[0] and "beyond 1" in problems[1]
    res = MethodFactorResult(fit=pd.DataFrame(), syntax="", problems=problems,
                             loadings=pd.DataFrame({"item": ["x2"], "method_share": [0.3]}))
    assert not res.proper and np.isnan(res.mean_method_share)


def test_lindell_whitney_refuses_a_negative_marker_correlation() -> None:
    data = _marker_data()
    data["marker"] = -data["marker"]  # every marker correlation now negative
    with pytest.raises(DataError, match="not positive"):
        marker_adjusted_correlations(data, "marker")


def test_harman_uses_all_cases() -> None:
    rng = np.random.default_rng(3)
    n, k = 300, 30
    common = rng.normal(size=(n, 1))
    x = pd.DataFrame(0.6 * common + rng.normal(size=(n, k)),
                     columns=[f"i{j}" for j in range(k)])
    # each row misses one item: no complete row is left
    x = x.mask(np.eye(k, dtype=bool)[np.arange(n) % k])
    with pytest.raises(DataError, match="complete rows"):
        harman_single_factor(x, missing="listwise")
    pw = harman_single_factor(x)
    assert pw.attrs["missing"] == "pairwise" and pw["n_obs"] == n - 2 * (n // k)
    r = x.corr().to_numpy()
    assert pw["first_eigenvalue"] == pytest.approx(np.linalg.eigvalsh(r)[-1], rel=1e-12)
    em = harman_single_factor(x, missing="fiml")
    assert em.attrs["missing"] == "fiml" and em["n_obs"] == n
    assert em["prop_var"] == pytest.approx(pw["prop_var"], abs=0.02)
