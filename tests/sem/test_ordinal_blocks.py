"""Large-N machinery of the ordinal statistics: frequency tables and Gamma built block by
block, and the cache that lets fits of the same data share them.

The numbers themselves are checked against lavaan in ``test_ordinal.py``; here the point
is that the block size, the table construction and the cache change nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.sem import cfa
from analysis.sem import ordinal as ordmod
from analysis.sem.ordinal import OrdinalStatsCache, ordinal_sample_stats


def _ordinal_data(n: int = 700, p: int = 10, seed: int = 3, missing: float = 0.08):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 2))
    load = np.zeros((p, 2))
    load[: p // 2, 0] = 0.7
    load[p // 2:, 1] = 0.6
    y = f @ load.T + 0.7 * rng.normal(size=(n, p))
    codes = np.digitize(y, [-1.5, -0.8, -0.2, 0.3, 0.9, 1.6]).astype(float) + 1.0
    codes[:, 0] = (y[:, 0] > 0.2) + 1.0  # a binary item
    codes[:, 3] = np.digitize(y[:, 3], [-0.5, 0.5]) + 1.0  # three categories
    codes[rng.random(codes.shape) < missing] = np.nan
    return pd.DataFrame(codes, columns=[f"v{j}" for j in range(p)])


def test_pair_tables_equal_crosstabs():
    data = _ordinal_data()
    names = list(data.columns)
    codes, levels = ordmod._encode(data, names, "pairwise")
    kmax = max(len(lv) for lv in levels)
    ii, jj = ordmod._pairs(len(names))
    tables = ordmod._pair_tables(codes, kmax, ii, jj)
    for m in (0, 7, len(ii) - 1):
        i, j = ii[m], jj[m]
        ok = (codes[:, i] >= 0) & (codes[:, j] >= 0)
        ct = pd.crosstab(codes[ok, i], codes[ok, j]).to_numpy()
        np.testing.assert_array_equal(tables[m, :ct.shape[0], :ct.shape[1]], ct)
        assert tables[m].sum() == ok.sum()


@pytest.mark.parametrize("missing", ["listwise", "pairwise"])
def test_gamma_does_not_depend_on_the_block_size(monkeypatch, missing):
    data = _ordinal_data()
    names = list(data.columns)
    one_block = ordinal_sample_stats(data, names, missing=missing)
    # 64-row blocks: many blocks and a ragged last one
    monkeypatch.setattr(ordmod, "_BLOCK_ELEMENTS", 1)
    assert ordmod._block_rows(len(data), 100) == 64
    blocks = ordinal_sample_stats(data, names, missing=missing)
    assert blocks.nobs == one_block.nobs
    np.testing.assert_allclose(blocks.gamma, one_block.gamma, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(blocks.wls_obs, one_block.wls_obs)
    # symmetric, and not trivially zero
    np.testing.assert_array_equal(blocks.gamma, blocks.gamma.T)
    assert np.all(np.diag(blocks.gamma) > 0)


def test_gamma_of_pairwise_data_equals_casewise_formula():
    """Gamma from the per-cell lookup tables equals the casewise formula with every
    case's scores materialised (the mixed-data path's cell scores, all variables
    ordered)."""
    data = _ordinal_data(n=400, p=6)
    names = list(data.columns)
    stats = ordinal_sample_stats(data, names, missing="pairwise")
    codes, levels = ordmod._encode(data, names, "pairwise")
    ths = list(stats.thresholds)
    nth = [len(t) for t in ths]
    th_start = np.concatenate([[0], np.cumsum(nth)[:-1]]).astype(np.int64)
    n_th = int(sum(nth))
    ii, jj = ordmod._pairs(len(names))
    kmax = max(len(lv) for lv in levels)
    ext = ordmod._padded(ths, kmax)
    tables = ordmod._pair_tables(codes, kmax, ii, jj)
    rho = stats.cor[ii, jj]
    cells, a21, a22 = ordmod._ordered_pair_scores(ths, th_start, n_th, ii, jj, rho, tables,
                                                  ext)
    s_rho = ordmod._CellScores(codes=ordmod._padded_codes(codes, kmax), ii=ii, jj=jj,
                               cells=cells).block(slice(None)).T
    s_th = np.zeros((len(codes), n_th))
    a11 = np.zeros((n_th, n_th))
    for v, th in enumerate(ths):
        sc, _ = ordmod._univariate_scores(th)
        blk = slice(th_start[v], th_start[v] + len(th))
        s_th[:, blk] = np.vstack([sc, np.zeros((1, len(th)))])[codes[:, v]]
        a11[blk, blk] = s_th[:, blk].T @ s_th[:, blk]
    z_th = s_th @ np.linalg.inv(a11)
    z = np.hstack([z_th, (s_rho - np.asarray(a21 @ z_th.T).T) / a22])
    np.testing.assert_allclose(stats.gamma, len(codes) * z.T @ z, rtol=1e-10, atol=1e-12)


def test_cache_reuses_statistics_of_the_same_data_only():
    data = _ordinal_data(missing=0.0)
    names = list(data.columns)
    cache = OrdinalStatsCache()
    a = cache.stats(data.to_numpy(), names)
    b = cache.stats(data.to_numpy().copy(), names)
    assert a is b and len(cache) == 1
    direct = ordinal_sample_stats(data, names)
    np.testing.assert_array_equal(a.gamma, direct.gamma)
    assert not a.gamma.flags.writeable
    with pytest.raises(ValueError):
        a.gamma[0, 0] = 0.0
    other = data.copy()
    other.iloc[0, 0] = 3.0 - other.iloc[0, 0]  # one answer changed (binary item)
    c = cache.stats(other.to_numpy(), names)
    assert c is not a and len(cache) == 2
    assert not np.array_equal(c.gamma, a.gamma)
    d = cache.stats(data.to_numpy(), names, missing="pairwise")  # other options: new entry
    assert d is not a and len(cache) == 3
    cache.clear()
    assert len(cache) == 0


def test_fits_sharing_a_cache_equal_separate_fits():
    data = _ordinal_data()
    names = list(data.columns)
    m1 = "f1 =~ v0 + v1 + v2 + v3 + v4\nf2 =~ v5 + v6 + v7 + v8 + v9"
    m2 = "f1 =~ v0 + v1 + v2 + v3 + v4 + v5 + v6 + v7 + v8 + v9"
    cache = OrdinalStatsCache()
    kw = dict(estimator="WLSMV", ordered=names, missing="pairwise")
    shared = [cfa(m, data, ordinal_cache=cache, **kw) for m in (m1, m2)]
    assert len(cache) == 1
    half = data.iloc[: len(data) // 2]
    shared.append(cfa(m1, half, ordinal_cache=cache, **kw))
    assert len(cache) == 2
    alone = [cfa(m1, data, **kw), cfa(m2, data, **kw), cfa(m1, half, **kw)]
    for s, a in zip(shared, alone, strict=True):
        np.testing.assert_array_equal(s.params["est"], a.params["est"])
        np.testing.assert_array_equal(s.params["se"], a.params["se"])
        assert s.fit["chisq_scaled"] == a.fit["chisq_scaled"]
    assert shared[0].fit["chisq"] != shared[2].fit["chisq"]


def test_symmetrize_upper_in_place_by_blocks():
    rng = np.random.default_rng(6)
    a = rng.normal(size=(37, 37))
    want = np.triu(a) + np.triu(a, 1).T
    got = ordmod._symmetrize_upper(a.copy(order="F"), block=8)
    np.testing.assert_array_equal(got, want)
