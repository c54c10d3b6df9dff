"""Latent quadratic effect by double-mean-centred product indicators
(analysis.stats.latent_quadratic).

Reference values: ``tests/reference/latent_quadratic/make_reference.R`` (lavaan::sem on
``quadratic_sample.csv``, simulated by the same script with set.seed): squared items with
MLR, FIML and cluster-robust SEs (the study's configuration), and all unique products with
ML, listwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.errors import DataError, ModelSpecificationError
from analysis.stats.latent_quadratic import (
    LatentQuadraticResult,
    latent_quadratic,
    quadratic_pairs,
    quadratic_syntax,
)
from analysis.stats.regression import _fieller_turning_point
from tests.parity import CHISQ_RTOL, FIT_ATOL, REFERENCE_DIR, assert_close, load_reference

REF = load_reference("latent_quadratic/latent_quadratic.json")
DATA = REFERENCE_DIR / "latent_quadratic" / "quadratic_sample.csv"
#: Both fits converge tightly on this small model: estimates and SEs agree with lavaan to
#: 1e-4 relative (near-zero intercepts of the products to 1e-5 absolute).
RTOL, ATOL = 1e-4, 1e-5


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(DATA)


@pytest.fixture(scope="module")
def fitted(data) -> dict[str, LatentQuadraticResult]:
    out = {}
    for case, ref in REF.items():
        out[case] = latent_quadratic(
            data, ref["x"], ref["y"], controls=ref["controls"], estimator=ref["estimator"],
            missing=ref["missing"], cluster=ref.get("cluster") or None, match="order",
            pairs=ref["pairs_rule"])
    return out


def _ours_in_ref_order(res: LatentQuadraticResult, ref: dict) -> pd.DataFrame:
    p = res.sem.params
    rows = []
    for lhs, op, rhs in zip(ref["params"]["lhs"], ref["params"]["op"], ref["params"]["rhs"],
                            strict=True):
        if op == ":=":
            hit = p[(p["op"] == op) & (p["lhs"] == lhs)]
        elif op == "~~":
            hit = p[(p["op"] == op) & (((p["lhs"] == lhs) & (p["rhs"] == rhs))
                                       | ((p["lhs"] == rhs) & (p["rhs"] == lhs)))]
        else:
            hit = p[(p["op"] == op) & (p["lhs"] == lhs) & (p["rhs"] == rhs)]
        assert len(hit) == 1, f"{lhs} {op} {rhs}: {len(hit)} rows in our table"
        rows.append(hit.iloc[0])
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- vs lavaan
@pytest.mark.parametrize("case", sorted(REF))
def test_products_and_syntax_match_the_r_script(case, data, fitted):
    ref, res = REF[case], fitted[case]
    assert [list(p) for p in res.pairs] == ref["pairs"]
    assert res.syntax.strip() == ref["syntax"].strip()
    from analysis.stats.latent_interaction import product_indicators

    prods = product_indicators(data[ref["x"]], res.pairs)
    for name, values in ref["products"].items():
        expected = np.array([np.nan if v is None else v for v in values], dtype=float)
        assert_close(prods[name].to_numpy(), expected, atol=1e-12, rtol=0.0, what=name)


@pytest.mark.parametrize("case", sorted(REF))
def test_estimates_and_ses_match_lavaan(case, fitted):
    ref, res = REF[case], fitted[case]
    assert ref["converged"] and res.converged
    ours = _ours_in_ref_order(res, ref)
    assert_close(ours["est"], ref["params"]["est"], atol=ATOL, rtol=RTOL, what=f"{case} est")
    assert_close(ours["se"], ref["params"]["se"], atol=ATOL, rtol=RTOL, what=f"{case} se")
    std = np.array([np.nan if v is None else v for v in ref["params"]["std_all"]], float)
    keep = np.isfinite(std) & (ours["op"].to_numpy() != ":=")
    assert_close(ours["std_all"].to_numpy(float)[keep], std[keep], atol=ATOL, rtol=RTOL,
                 what=f"{case} std.all")
    if ref.get("cluster"):
        assert res.cluster == ref["cluster"] and res.nclusters == ref["nclusters"] == 150


@pytest.mark.parametrize("case", sorted(REF))
def test_fit_matches_lavaan(case, fitted):
    ref, fit = REF[case]["fit"], fitted[case].fit
    for k, v in ref.items():
        if k in ("npar", "ntotal", "df"):
            assert fit[k] == v, k
        elif k.startswith("chisq"):
            assert_close(fit[k], v, atol=0.0, rtol=CHISQ_RTOL, what=f"{case} {k}")
        else:
            assert_close(fit[k], v, atol=FIT_ATOL, rtol=0.0, what=f"{case} {k}")


@pytest.mark.parametrize("case", sorted(REF))
def test_lind_mehlum_and_turning_point_from_the_lavaan_rows(case, fitted):
    """The test statistics are the lavaan := rows: slopes at -/+ 2 SD of the latent X, the
    turning point with its delta-method SE, and Fieller from lavaan's vcov of (b1, b2)."""
    ref, res = REF[case], fitted[case]
    p = pd.DataFrame(ref["params"])

    def val(lhs, op, rhs=None):
        hit = p[(p["lhs"] == lhs) & (p["op"] == op)]
        if rhs is not None:
            hit = hit[hit["rhs"] == rhs]
        return float(hit["est"].iloc[0]), float(hit["se"].iloc[0])

    lo, lo_se = val("lq_slope_lo", ":=")
    hi, hi_se = val("lq_slope_hi", ":=")
    b1, _ = val("Y", "~", "X")
    b2, _ = val("Y", "~", "XX")
    phi, _ = val("X", "~~", "X")
    assert_close([res.slope_lo["estimate"], res.slope_lo["se"], res.slope_hi["estimate"],
                  res.slope_hi["se"]], [lo, lo_se, hi, hi_se], atol=ATOL, rtol=RTOL,
                 what="slopes")
    assert_close([res.slope_lo["at"], res.slope_hi["at"]], [-2 * np.sqrt(phi), 2 * np.sqrt(phi)],
                 atol=ATOL, rtol=RTOL, what="ends of the range")
    want_lm = stats.norm.sf(min(lo / lo_se, -hi / hi_se))
    assert_close(res.lm_pvalue, want_lm, atol=1e-6, rtol=1e-3, what="Lind-Mehlum p")
    tp, tp_se = val("lq_turning_point", ":=")
    assert_close([res.turning_point, res.tp_se], [tp, tp_se], atol=ATOL, rtol=RTOL, what="tp")
    assert_close(res.turning_point, -b1 / (2 * b2), atol=ATOL, rtol=RTOL, what="tp formula")
    assert_close(res.turning_point_sd, tp / np.sqrt(phi), atol=ATOL, rtol=RTOL, what="tp sd")
    v = np.asarray(ref["vcov_b1_b2"], dtype=float)
    want = _fieller_turning_point(b1, b2, v, stats.norm.ppf(0.975))
    assert_close([res.tp_fieller_lower, res.tp_fieller_upper], list(want), atol=ATOL,
                 rtol=RTOL, what="Fieller")
    if res.b2_pvalue < 0.05:  # a bounded Fieller interval contains the point estimate
        assert res.tp_fieller_lower < res.turning_point < res.tp_fieller_upper


def test_the_simulated_inverted_u_is_found(fitted):
    """The R script puts a true inverted U with its top at +0.75 SD of X (b1 = .3,
    b2 = -.2): the study's configuration finds it and places the turning point inside."""
    res = fitted["squares_mlr_fiml_cluster"]
    assert res.b2 < 0 and res.b1 > 0
    assert res.slope_lo["estimate"] > 0 > res.slope_hi["estimate"]
    assert res.lm_pvalue < 0.05 and res.u_pvalue > 0.5
    assert res.inverted_u and res.turning_point_inside
    assert 0 < res.turning_point_sd < 2
    assert res.std_b2 < 0
    d = res.to_dict()
    assert d["lm_pvalue"] == res.lm_pvalue and d["nclusters"] == 150
    assert d["coefficients"][1]["term"] == "XX"


# --------------------------------------------------------------------------- options, errors
def test_pairs_and_syntax():
    assert quadratic_pairs(["a", "b"]) == (("a", "a"), ("b", "b"))
    assert quadratic_pairs(["a", "b", "c"], "all") == (
        ("a", "a"), ("a", "b"), ("a", "c"), ("b", "b"), ("b", "c"), ("c", "c"))
    syn = quadratic_syntax(["a", "b"], ["y"], quadratic_pairs(["a", "b"]), range_sd=1.5)
    assert "y ~ lq_b1*X + lq_b2*XX" in syn and "Y =~" not in syn
    assert "lq_slope_hi := lq_b1 + 3.0*lq_b2*sqrt(lq_phix)" in syn
    assert "a.a ~~ b.b" not in syn  # squares share no item
    syn_all = quadratic_syntax(["a", "b"], ["y1", "y2"], quadratic_pairs(["a", "b"], "all"))
    assert "a.a ~~ a.b" in syn_all and "a.b ~~ b.b" in syn_all and "a.a ~~ b.b" not in syn_all


@pytest.mark.parametrize("kwargs, exc, text", [
    ({"x_items": ["x1"]}, ModelSpecificationError, "at least two items"),
    ({"y_items": []}, ModelSpecificationError, "y_items"),
    ({"x_items": ["x1", "nope"]}, DataError, "nope"),
    ({"y_items": ["x1", "y2"]}, ModelSpecificationError, "both"),
    ({"estimator": "WLSMV"}, ModelSpecificationError, "estimator"),
    ({"missing": "pairwise"}, ModelSpecificationError, "missing"),
    ({"pairs": "matched"}, ModelSpecificationError, "pairs"),
    ({"range_sd": 0}, ModelSpecificationError, "range_sd"),
    ({"cluster": "nope"}, DataError, "cluster"),
    ({"cluster": "cl", "estimator": "ML"}, ModelSpecificationError, "MLR"),
    ({"controls": ["XX"]}, ModelSpecificationError, "reserved"),
])
def test_bad_input_is_reported(data, kwargs, exc, text):
    args = {"x_items": ["x1", "x2", "x3", "x4"], "y_items": ["y1", "y2", "y3"]}
    args.update(kwargs)
    with pytest.raises(exc, match=text):
        latent_quadratic(data.assign(XX=1.0), **args)


def test_rows_without_a_cluster_id_are_refused(data):
    bad = data.assign(cl=data["cl"].astype(float).where(data.index > 0))
    with pytest.raises(DataError, match="id of its own"):
        latent_quadratic(bad, ["x1", "x2", "x3"], ["y1"], cluster="cl", missing="ml")
