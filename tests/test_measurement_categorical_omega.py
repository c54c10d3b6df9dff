"""Categorical omega (Green & Yang 2009) under WLSMV against semTools::compRelSEM."""

from __future__ import annotations

import pandas as pd

from analysis.sem import cfa
from analysis.study.measurement import categorical_omega
from tests.parity import EST_ATOL, EST_RTOL, REFERENCE_DIR, assert_close, load_reference

REF = load_reference("method_variance/categorical_omega.json")


def test_categorical_omega_matches_semtools():
    items = REF["items"]
    data = pd.read_csv(REFERENCE_DIR / "reliability" / "bfi_items.csv")[items].dropna()
    assert len(data) == REF["n"]
    res = cfa(REF["model"], data, estimator="WLSMV", ordered=items)
    got = categorical_omega(res, data, {"A": items[:4], "C": items[4:]})
    for factor, want in REF["omega"].items():
        assert_close(got[factor], want, atol=EST_ATOL, rtol=EST_RTOL, what=f"omega {factor}")


def test_the_fits_cached_polychorics_give_the_same_omega():
    from analysis.sem.ordinal import OrdinalStatsCache

    items = REF["items"]
    data = pd.read_csv(REFERENCE_DIR / "reliability" / "bfi_items.csv")[items].dropna()
    blocks = {"A": items[:4], "C": items[4:]}
    cache = OrdinalStatsCache()
    values = data[items].to_numpy(dtype=float)
    assert cache.lookup(values, items) is None and len(cache) == 0  # lookup never computes
    res = cfa(REF["model"], data, estimator="WLSMV", ordered=items, ordinal_cache=cache)
    assert cache.lookup(values, items) is not None  # the fit's entry, found by the items
    assert cache.lookup(values, items, missing="pairwise") is None
    got = categorical_omega(res, data, blocks, cache=cache)
    assert got == categorical_omega(res, data, blocks)
    for factor, want in REF["omega"].items():
        assert_close(got[factor], want, atol=EST_ATOL, rtol=EST_RTOL, what=f"omega {factor}")
