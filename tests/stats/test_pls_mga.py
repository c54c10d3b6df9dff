"""PLS-MGA against seminr's fixture (test-pls-mga.R): group estimates exactly, p-values
within Monte Carlo error (seminr's fixture used only 100 draws per group)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.stats.pls import pls
from analysis.stats.pls.mga import pls_mga

FIX = Path(__file__).resolve().parents[1] / "reference" / "pls" / "seminr_fixtures"
MOBI = Path(__file__).resolve().parents[1] / "reference" / "pls" / "mobi.csv"
MODEL = """
Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation =~ CUEX1 + CUEX2 + CUEX3
Quality =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
Value =~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Complaints =~ CUSCO
Loyalty =~ CUSL1 + CUSL2 + CUSL3
Expectation + Satisfaction + Loyalty ~ Image
Quality + Value + Satisfaction ~ Expectation
Value + Satisfaction ~ Quality
Satisfaction ~ Value
Complaints + Loyalty ~ Satisfaction
Loyalty ~ Complaints
"""


@pytest.fixture(scope="module")
def mga():
    res = pls(pd.read_csv(MOBI), MODEL)
    cond = pd.read_csv(FIX / "pls-mga-mobi-condition.csv")["group1"].to_numpy()
    return pls_mga(res, cond, n_boot=1000, seed=3)


def test_group_estimates_match_seminr(mga):
    ref = pd.read_csv(FIX / "pls-mga-mobi-100.csv", index_col=0)
    both = mga.merge(ref, on=["source", "target"], suffixes=("", "_ref"))
    assert len(both) == 12
    for ours, theirs in [("estimate", "estimate_ref"), ("group1", "group1_beta"),
                         ("group2", "group2_beta"), ("diff", "diff_ref")]:
        np.testing.assert_allclose(both[ours], both[theirs], rtol=0, atol=1e-5)


def test_p_values_within_monte_carlo_error(mga):
    ref = pd.read_csv(FIX / "pls-mga-mobi-100.csv", index_col=0)
    both = mga.merge(ref, on=["source", "target"])
    # seminr's p rests on 100 draws per group: allow 4 binomial SDs of its own noise
    sd = np.sqrt(np.clip(both.pls_mga_p * (1 - both.pls_mga_p), 0.01, None) / 100)
    assert (np.abs(both.p - both.pls_mga_p) < 4 * sd + 0.02).all()


def test_group_vector_is_checked():
    res = pls(pd.read_csv(MOBI), MODEL)
    with pytest.raises(DataError, match="one value per row"):
        pls_mga(res, np.ones(10, dtype=bool), n_boot=10)
