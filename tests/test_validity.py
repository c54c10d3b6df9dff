"""HTMT, Fornell-Larcker and latent correlations against semTools 0.5-6 / lavaan 0.6.14."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.stats.validity import (
    THRESHOLDS,
    fornell_larcker,
    htmt,
    htmt_ci,
    latent_correlations,
    thresholds,
)
from tests.parity import EST_ATOL, EST_RTOL, assert_close
from tests.test_reliability import BFI_REF, HS, HS_REF, bfi_reversed, cov_of, params_of

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def _ref_matrix(ref: dict, key: str) -> np.ndarray:
    return np.array(ref[key], dtype=float)


@pytest.mark.parametrize("htmt2", [True, False])
def test_htmt_matches_semtools_holzinger(htmt2: bool) -> None:
    ref = HS_REF["htmt"]
    got = htmt(HS, HS_MODEL, htmt2=htmt2)
    assert list(got.index) == ref["names"] == list(got.columns)
    assert_close(got.to_numpy(), _ref_matrix(ref, "htmt2" if htmt2 else "htmt"),
                 atol=EST_ATOL, rtol=EST_RTOL, what=f"HS HTMT htmt2={htmt2}")


@pytest.mark.parametrize("htmt2", [True, False])
def test_htmt_matches_semtools_bfi_listwise(htmt2: bool) -> None:
    ref = BFI_REF["htmt"]
    model = BFI_REF["cfa"]["model"]
    got = htmt(bfi_reversed(), model, htmt2=htmt2)
    assert list(got.index) == ref["names"]
    assert_close(got.to_numpy(), _ref_matrix(ref, "htmt2" if htmt2 else "htmt"),
                 atol=EST_ATOL, rtol=EST_RTOL, what=f"bfi HTMT htmt2={htmt2}")


def test_htmt_accepts_blocks_and_pairwise_differs() -> None:
    blocks = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]}
    from_blocks = htmt(HS, blocks)
    from_syntax = htmt(HS, HS_MODEL).loc[["visual", "textual"], ["visual", "textual"]]
    assert_close(from_blocks.to_numpy(), from_syntax.to_numpy(), atol=1e-12, what="blocks")
    data = bfi_reversed()
    model = BFI_REF["cfa"]["model"]
    lw = htmt(data, model)
    pw = htmt(data, model, missing="pairwise")
    assert not np.allclose(lw.to_numpy(), pw.to_numpy(), atol=1e-6)


def test_htmt_missing_and_constant_columns() -> None:
    with pytest.raises(DataError, match="x10"):
        htmt(HS, {"f": ["x1", "x10"], "g": ["x4", "x5"]})
    data = HS.assign(x6=1.0)
    with pytest.raises(DataError, match="x6"):
        htmt(data, HS_MODEL)


@pytest.mark.parametrize(("source", "ref"), [("hs", HS_REF["cfa"]), ("hs_mod", HS_REF["cfa_mod"]),
                                             ("bfi", BFI_REF["cfa"])])
def test_latent_correlations_match_cor_lv(source: str, ref: dict) -> None:
    got = latent_correlations(params_of(ref))
    assert list(got.index) == ref["cor_lv"]["names"]
    assert_close(got.to_numpy(), np.array(ref["cor_lv"]["values"]), atol=EST_ATOL,
                 rtol=EST_RTOL, what=f"{source} cor.lv")


def test_fornell_larcker_diagonal_is_sqrt_ave_of_semtools() -> None:
    ref = HS_REF["cfa"]
    fl = fornell_larcker(params_of(ref), sample_cov=cov_of(ref))
    expected = np.array(ref["cor_lv"]["values"], dtype=float)
    np.fill_diagonal(expected, [np.sqrt(ref["ave"][f]) for f in ref["cor_lv"]["names"]])
    assert_close(fl.to_numpy(), expected, atol=EST_ATOL, rtol=EST_RTOL, what="Fornell-Larcker")


def test_fornell_larcker_nan_for_cross_loading_factor() -> None:
    ref = HS_REF["cfa_mod"]
    fl = fornell_larcker(params_of(ref), HS)
    assert np.isnan(fl.loc["visual", "visual"]) and np.isnan(fl.loc["speed", "speed"])
    assert_close(fl.loc["textual", "textual"], np.sqrt(ref["ave"]["textual"]), atol=EST_ATOL,
                 what="sqrt AVE textual")


def test_thresholds_are_data() -> None:
    t = thresholds()
    assert list(t.columns) == ["measure", "comparison", "value", "label", "source"]
    assert len(t) == len(THRESHOLDS)
    htmt_cuts = sorted(t.loc[t["measure"] == "htmt", "value"])
    assert htmt_cuts == [0.85, 0.90]
    assert t.loc[t["measure"] == "ave", "value"].item() == 0.50
    assert sorted(t.loc[t["measure"] == "cr", "value"]) == [0.70, 0.95]
    with pytest.raises(AttributeError):
        THRESHOLDS[0].value = 0.1  # type: ignore[misc]



def test_latent_correlations_second_order_model() -> None:
    ref = HS_REF["cfa_higher"]
    got = latent_correlations(params_of(ref))
    assert list(got.index) == ref["cor_lv"]["names"]
    assert_close(got.to_numpy(), np.array(ref["cor_lv"]["values"]), atol=EST_ATOL,
                 rtol=EST_RTOL, what="cor.lv with a second-order factor")


def test_htmt_ci_brackets_semtools_estimate_and_is_reproducible() -> None:
    res = htmt_ci(HS, HS_MODEL, n_boot=300, seed=11)
    assert list(zip(res["factor1"], res["factor2"], strict=True)) == [
        ("visual", "textual"), ("visual", "speed"), ("textual", "speed")]
    ref = np.array(HS_REF["htmt"]["htmt2"])
    assert_close(res["htmt"], [ref[0, 1], ref[0, 2], ref[1, 2]], atol=EST_ATOL, what="HTMT")
    assert (res["ci_lower"] < res["htmt"]).all() and (res["htmt"] < res["ci_upper"]).all()
    assert (res["n_boot"] == 300).all()
    again = htmt_ci(HS, HS_MODEL, n_boot=300, seed=11)
    assert_close(again["ci_lower"], res["ci_lower"], atol=0.0, what="same seed")
    wider = htmt_ci(HS, HS_MODEL, n_boot=300, seed=11, level=0.99)
    assert (wider["ci_upper"] - wider["ci_lower"] > res["ci_upper"] - res["ci_lower"]).all()


def test_htmt_ci_narrows_with_sample_size() -> None:
    # the same data stacked 4 times: bootstrap SE halves, so the interval shrinks clearly
    big = pd.concat([HS] * 4, ignore_index=True)
    small = htmt_ci(HS, HS_MODEL, n_boot=200, seed=3)
    large = htmt_ci(big, HS_MODEL, n_boot=200, seed=3)
    ratio = (large["ci_upper"] - large["ci_lower"]) / (small["ci_upper"] - small["ci_lower"])
    assert (ratio < 0.7).all() and (ratio > 0.35).all()


@pytest.mark.parametrize(("kwargs", "message"), [({"n_boot": 5}, "n_boot="), ({"level": 1.5}, "level=")])
def test_htmt_ci_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        htmt_ci(HS, HS_MODEL, **kwargs)
