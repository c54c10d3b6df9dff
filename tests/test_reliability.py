"""Reliability (alpha, item statistics, omega, AVE, CR) against psych 2.2.9 / semTools 0.5-6.

Reference values: tests/reference/reliability/make_reliability_reference.R.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, ModelSpecificationError
from analysis.stats.reliability import (
    ave,
    composite_reliability,
    cronbach_alpha,
    item_statistics,
    measurement_blocks,
    omega,
    sample_covariance,
)
from tests.parity import EST_ATOL, EST_RTOL, assert_close, load_reference

REF = Path(__file__).parent / "reference"
HS = pd.read_csv(REF / "data" / "HolzingerSwineford1939.csv")
BFI = pd.read_csv(REF / "reliability" / "bfi_items.csv")
HS_REF = load_reference("reliability/holzinger.json")
BFI_REF = load_reference("reliability/bfi.json")
BFI_KEYS = json.loads((REF / "reliability" / "bfi_keys.json").read_text())


def bfi_reversed() -> pd.DataFrame:
    """bfi items with psych's reverse keys recoded as 7 - x (as in the R script)."""
    out = BFI.copy()
    for keys in BFI_KEYS.values():
        for k in keys:
            if k.startswith("-"):
                out[k[1:]] = 7 - out[k[1:]]
    return out


def params_of(ref: dict) -> pd.DataFrame:
    return pd.DataFrame(ref["params"])


def cov_of(ref: dict) -> pd.DataFrame:
    names = ref["sample_cov"]["names"]
    return pd.DataFrame(np.array(ref["sample_cov"]["values"]), index=names, columns=names)


def by_factor(frame: pd.DataFrame, column: str, expected: dict) -> tuple[np.ndarray, np.ndarray]:
    got = frame.set_index("factor")[column]
    names = list(expected)
    exp = np.array([np.nan if expected[n] is None else expected[n] for n in names], dtype=float)
    return got.loc[names].to_numpy(dtype=float), exp


ALPHA_CASES = [("hs", name) for name in HS_REF["alpha"]] + [("bfi", n) for n in BFI_REF["alpha"]]


def _alpha_case(source: str, name: str) -> tuple[pd.DataFrame, dict]:
    ref = (HS_REF if source == "hs" else BFI_REF)["alpha"][name]
    data = HS if source == "hs" else BFI
    return data[ref["items"]], ref


@pytest.mark.parametrize(("source", "name"), ALPHA_CASES)
def test_alpha_matches_psych(source: str, name: str) -> None:
    items, ref = _alpha_case(source, name)
    res = cronbach_alpha(items, reverse=ref["reversed"] or None)
    for ours, theirs in [
        ("raw_alpha", "raw_alpha"), ("std_alpha", "std_alpha"), ("ase", "ase"),
        ("ci_lower", "feldt_lower"), ("ci_upper", "feldt_upper"),
        ("duhachek_lower", "duhachek_lower"), ("duhachek_upper", "duhachek_upper"),
    ]:
        assert_close(res[ours], ref[theirs], atol=EST_ATOL, rtol=EST_RTOL,
                     what=f"{source}/{name} {ours}")
    assert res["n_obs"] == ref["n_rows"]


@pytest.mark.parametrize(("source", "name"), ALPHA_CASES)
def test_item_statistics_match_psych(source: str, name: str) -> None:
    items, ref = _alpha_case(source, name)
    st = item_statistics(items, reverse=ref["reversed"] or None)
    assert list(st.index) == ref["items"]
    assert_close(st["r_drop"], ref["r_drop"], atol=EST_ATOL, rtol=EST_RTOL, what="r.drop")
    assert_close(st["alpha_if_dropped"], ref["alpha_if_dropped"], atol=EST_ATOL, rtol=EST_RTOL,
                 what="alpha if dropped")
    assert_close(st["std_alpha_if_dropped"], ref["std_alpha_if_dropped"], atol=EST_ATOL,
                 rtol=EST_RTOL, what="std alpha if dropped")
    assert_close(st["mean"], ref["item_mean"], atol=EST_ATOL, rtol=EST_RTOL, what="mean")
    assert_close(st["sd"], ref["item_sd"], atol=EST_ATOL, rtol=EST_RTOL, what="sd")
    assert_close(st["n"], ref["item_n"], atol=0.0, rtol=0.0, what="n")
    expected_missing = 100.0 * (1.0 - np.asarray(ref["item_n"], dtype=float) / ref["n_rows"])
    assert_close(st["pct_missing"], expected_missing, atol=1e-9, what="% missing")


def test_alpha_listwise_matches_psych_on_complete_cases() -> None:
    ref = BFI_REF["alpha_listwise_neuroticism"]
    res = cronbach_alpha(BFI[ref["items"]], missing="listwise")
    assert res["n_obs"] == ref["n_rows"]
    for ours, theirs in [("raw_alpha", "raw_alpha"), ("ci_lower", "feldt_lower"),
                         ("ci_upper", "feldt_upper"), ("std_alpha", "std_alpha")]:
        assert_close(res[ours], ref[theirs], atol=EST_ATOL, rtol=EST_RTOL, what=ours)


def test_alpha_pairwise_and_listwise_differ_with_missing_data() -> None:
    items = BFI[["N1", "N2", "N3", "N4", "N5"]]
    pw = cronbach_alpha(items)
    lw = cronbach_alpha(items, missing="listwise")
    assert pw["n_obs"] == len(items) > lw["n_obs"]


def test_alpha_ci_level_widens_interval() -> None:
    items = HS[["x1", "x2", "x3"]]
    a95 = cronbach_alpha(items)
    a99 = cronbach_alpha(items, level=0.99)
    assert a99["ci_lower"] < a95["ci_lower"] < a95["raw_alpha"] < a95["ci_upper"] < a99["ci_upper"]


def test_alpha_by_hand_two_parallel_items() -> None:
    # Two items with equal variance v and covariance c: alpha = 2c / (v + c).
    items = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0]})
    v = items["a"].var()
    c = items["a"].cov(items["b"])
    res = cronbach_alpha(items)
    assert_close(res["raw_alpha"], 2 * c / (v + c), atol=1e-12, what="alpha 2 items")
    st = item_statistics(items)
    assert st["alpha_if_dropped"].isna().all()
    assert_close(st["r_drop"], [items.corr().iloc[0, 1]] * 2, atol=1e-12, what="r.drop 2 items")


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"a": [1.0, 2.0, 3.0]}), "at least 2 items"),
        (pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 4.0, 4.0]}), "constant"),
        (pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [np.nan] * 3}), "all values missing"),
        (pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]}), "not numeric"),
    ],
)
def test_alpha_bad_items_raise(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(DataError, match=message):
        cronbach_alpha(frame)


def test_alpha_unknown_reverse_item_and_bad_ci() -> None:
    items = HS[["x1", "x2", "x3"]]
    with pytest.raises(DataError, match="reverse="):
        cronbach_alpha(items, reverse=["x9"])
    with pytest.raises(DataError, match="level="):
        cronbach_alpha(items, level=95)


CFA_CASES = [("hs", "cfa"), ("hs", "cfa_mod"), ("bfi", "cfa")]


def _cfa_ref(source: str, key: str) -> dict:
    return (HS_REF if source == "hs" else BFI_REF)[key]


@pytest.mark.parametrize(("source", "key"), CFA_CASES)
def test_omega_matches_compRelSEM(source: str, key: str) -> None:
    ref = _cfa_ref(source, key)
    params = params_of(ref)
    got, exp = by_factor(omega(params, sample_cov=cov_of(ref)), "omega", ref["omega"])
    assert_close(got, exp, atol=EST_ATOL, rtol=EST_RTOL, what=f"{source}/{key} omega")
    got, exp = by_factor(omega(params, obs_var=False), "omega", ref["omega_implied"])
    assert_close(got, exp, atol=EST_ATOL, rtol=EST_RTOL, what=f"{source}/{key} omega implied")


@pytest.mark.parametrize(("source", "key"), CFA_CASES)
def test_ave_matches_semtools(source: str, key: str) -> None:
    ref = _cfa_ref(source, key)
    params = params_of(ref)
    got, exp = by_factor(ave(params, sample_cov=cov_of(ref)), "ave", ref["ave"])
    assert_close(got, exp, atol=EST_ATOL, rtol=EST_RTOL, what=f"{source}/{key} AVE")
    got, exp = by_factor(ave(params, obs_var=False), "ave", ref["ave_implied"])
    assert_close(got, exp, atol=EST_ATOL, rtol=EST_RTOL, what=f"{source}/{key} AVE implied")


@pytest.mark.parametrize(("source", "key"), CFA_CASES)
def test_composite_reliability_matches_formula_in_r(source: str, key: str) -> None:
    ref = _cfa_ref(source, key)
    got, exp = by_factor(composite_reliability(params_of(ref)), "cr", ref["cr"])
    assert_close(got, exp, atol=EST_ATOL, rtol=EST_RTOL, what=f"{source}/{key} CR")


def test_omega_from_data_equals_omega_from_sample_cov() -> None:
    ref = HS_REF["cfa"]
    from_data = omega(params_of(ref), HS)
    from_cov = omega(params_of(ref), sample_cov=cov_of(ref))
    assert_close(from_data["omega"], from_cov["omega"], atol=1e-10, what="omega data vs cov")
    ref = BFI_REF["cfa"]  # listwise deletion over all indicators, as lavaan
    got, exp = by_factor(omega(params_of(ref), bfi_reversed()), "omega", ref["omega"])
    assert_close(got, exp, atol=EST_ATOL, rtol=EST_RTOL, what="bfi omega from data")


def test_sample_covariance_matches_lavaan_sampstat() -> None:
    ref = BFI_REF["cfa"]
    names = ref["sample_cov"]["names"]
    got = sample_covariance(bfi_reversed(), names).to_numpy()
    assert_close(got, np.array(ref["sample_cov"]["values"]), atol=1e-9, what="sampstat cov")


def test_obs_var_needs_data() -> None:
    with pytest.raises(DataError, match="obs_var"):
        omega(params_of(HS_REF["cfa"]))
    with pytest.raises(DataError, match="obs_var"):
        ave(params_of(HS_REF["cfa"]))


def test_params_without_needed_columns_raise() -> None:
    params = params_of(HS_REF["cfa"]).drop(columns=["std_all"])
    with pytest.raises(DataError, match="std_all"):
        composite_reliability(params)
    with pytest.raises(DataError, match="est"):
        omega(params.drop(columns=["est"]), HS)


def test_measurement_blocks_parses_lavaan_syntax() -> None:
    model = """
    # comment
    visual  =~ x1 + a*x2 + 0.5*x3   ! another comment
    textual =~ x4 + x5 +
               x6; speed =~ x7 + x8
    speed =~ x9 + 0*x1
    visual ~~ textual
    """
    assert measurement_blocks(model) == {
        "visual": ["x1", "x2", "x3"],
        "textual": ["x4", "x5", "x6"],
        "speed": ["x7", "x8", "x9"],
    }
    with pytest.raises(ModelSpecificationError, match="no factor"):
        measurement_blocks("y ~ x")
    with pytest.raises(ModelSpecificationError, match="more than once"):
        measurement_blocks("f =~ a + b + a")
    with pytest.raises(ModelSpecificationError, match="list of column names"):
        measurement_blocks({"f": "abc"})


def test_hierarchical_omega_matches_compRelSEM_higher() -> None:
    ref = HS_REF["cfa_higher"]
    params = params_of(ref)
    res = omega(params, HS, higher=["g"])
    got, exp = by_factor(res, "omega", ref["omega"])
    assert_close(got, exp, atol=EST_ATOL, rtol=EST_RTOL, what="omega with higher-order g")
    assert res.set_index("factor").loc["g", "n_items"] == 9
    assert "g" not in set(omega(params, HS)["factor"])  # as semTools without higher=
    got, exp = by_factor(ave(params, HS), "ave", ref["ave"])
    assert_close(got, exp, atol=EST_ATOL, rtol=EST_RTOL, what="AVE in second-order model")
    with pytest.raises(ModelSpecificationError, match="not a factor"):
        omega(params, HS, higher=["h"])
    with pytest.raises(ModelSpecificationError, match="not higher-order"):
        omega(params, HS, higher=["visual"])
