"""Mixed (ordered and continuous) WLSMV statistics without the casewise score matrix
(issue 18, session 23).

The first step's casewise scores (thresholds, means, variances: ``N x a1``, 200 MB at
N = 100,000) were kept whole for Gamma; they are now made per block of cases from
per-category tables and the continuous values.  These tests rebuild the whole matrix
the way it was built before and check that the information, Gamma and the weights are
the same to the last bit, and that nothing of ``N`` rows by the statistics is kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.sem import ordinal
from analysis.sem.ordinal import ordinal_sample_stats


def _data(seed: int, n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 7)) @ np.linalg.cholesky(0.4 + 0.6 * np.eye(7)).T
    d = pd.DataFrame({f"o{i}": np.digitize(z[:, i], [-1.0, -0.3, 0.4, 1.1]) for i in range(4)})
    d["c1"] = z[:, 4]
    d["c2"] = z[:, 5] * 2 + 1
    d["c3"] = np.round(z[:, 6] * 3)
    for col in ("o1", "c2", "o3"):
        d.loc[rng.random(n) < 0.07, col] = np.nan
    return d


CONT = ["c1", "c2", "c3"]


def _whole_scores(inp, uni) -> np.ndarray:
    """The casewise scores as the earlier code built them, all cases at once."""
    s1 = np.zeros((inp.n, uni.a1))
    for a, v in enumerate(inp.names):
        if v in uni.ths:
            sc, _ = ordinal._univariate_scores(uni.ths[v])
            k = sc.shape[1]
            s1[:, uni.th_start[v]:uni.th_start[v] + k] = np.vstack(
                [sc, np.zeros((1, k))])[inp.codes[v]]
        else:
            m, var = uni.mean[v], uni.var[v]
            res = np.where(inp.avail[:, a], inp.x[v] - m, 0.0)
            s1[:, uni.th_start[v]] = res / var
            s1[:, uni.var_col[v]] = np.where(
                inp.avail[:, a], -1.0 / (2 * var) + res * res / (2 * var ** 2), 0.0)
    return s1


@pytest.mark.parametrize("seed, missing", [(1, "pairwise"), (2, "listwise")])
def test_block_scores_and_information_equal_the_whole_matrix(seed, missing):
    d = _data(seed)
    inp = ordinal._mixed_inputs(d, list(d.columns), set(CONT), missing)
    uni = ordinal._mixed_univariate(inp)
    s1 = _whole_scores(inp, uni)
    np.testing.assert_array_equal(uni.scores(slice(0, inp.n)), s1)
    np.testing.assert_array_equal(uni.scores(slice(100, 377)), s1[100:377])
    a11 = np.zeros((uni.a1, uni.a1))
    for v in inp.names:
        cols = ([uni.th_start[v], uni.var_col[v]] if v in uni.var_col else
                list(range(uni.th_start[v], uni.th_start[v] + uni.nth[v])))
        a11[np.ix_(cols, cols)] = s1[:, cols].T @ s1[:, cols]
    np.testing.assert_array_equal(uni.a11_inv, np.linalg.inv(a11))


def test_no_array_of_all_cases_by_statistics_is_kept():
    d = _data(3)
    inp = ordinal._mixed_inputs(d, list(d.columns), set(CONT), "pairwise")
    uni = ordinal._mixed_univariate(inp)
    held = [getattr(uni, f) for f in uni.__dataclass_fields__ if f != "inp"]
    arrays = [a for a in held if isinstance(a, np.ndarray)]
    arrays += [a for h in held if isinstance(h, dict) for a in h.values()
               if isinstance(a, np.ndarray)]
    assert all(a.shape[0] < inp.n for a in arrays)


def test_gamma_does_not_depend_on_the_block_size(monkeypatch):
    d = _data(4)
    big = ordinal_sample_stats(d, list(d.columns), continuous=CONT, missing="pairwise")
    monkeypatch.setattr(ordinal, "_BLOCK_ELEMENTS", 2000)  # blocks of a few dozen cases
    small = ordinal_sample_stats(d, list(d.columns), continuous=CONT, missing="pairwise")
    np.testing.assert_allclose(small.gamma, big.gamma, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(small.wls_obs, big.wls_obs)
