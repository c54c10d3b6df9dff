"""analysis.stats.validity item correlations: the complete-data path (one BLAS product) agrees
with pandas' pairwise correlations, and bad columns are still refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.stats.validity import _item_correlations, htmt


def _items(n: int = 500, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 2))
    y = np.hstack([f[:, :1] * 0.8, f[:, :1] * 0.7, f[:, :1] * 0.6, f[:, 1:] * 0.8,
                   f[:, 1:] * 0.7, f[:, 1:] * 0.5]) + rng.normal(size=(n, 6)) * 0.6
    return pd.DataFrame(np.round(y * 2) + 4, columns=["a1", "a2", "a3", "b1", "b2", "b3"])


@pytest.mark.parametrize("missing", ["listwise", "pairwise"])
def test_complete_data_correlations_equal_pandas(missing):
    d = _items()
    r = _item_correlations(d, list(d.columns), missing)
    np.testing.assert_allclose(r.to_numpy(), d.corr().to_numpy(), rtol=0, atol=1e-14)
    assert list(r.index) == list(r.columns) == list(d.columns)


def test_incomplete_data_keep_pairwise_correlations():
    d = _items()
    d.loc[:40, "a1"] = np.nan
    r = _item_correlations(d, list(d.columns), "pairwise")
    # lavaan::lavCor(missing = "pairwise"): the covariance of the pairwise-complete rows
    # over the standard deviations of all observed values of each item
    sd = d.std()
    expected = (d.cov() / np.outer(sd, sd)).to_numpy(copy=True)
    np.fill_diagonal(expected, 1.0)
    np.testing.assert_allclose(r.to_numpy(), expected, rtol=1e-12, atol=1e-12)
    # and not pandas' pairwise Pearson, which rescales by the pairwise rows' deviations
    assert np.abs(r.to_numpy() - d.corr().to_numpy()).max() > 1e-4
    model = {"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]}
    assert 0 < htmt(d, model, missing="pairwise").loc["a", "b"] < 1


def test_constant_or_empty_items_are_refused():
    d = _items()
    d["a2"] = 3.0
    d["b3"] = np.nan
    with pytest.raises(DataError, match="a2, b3"):
        _item_correlations(d, list(d.columns), "pairwise")
