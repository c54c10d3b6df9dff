"""The faster routes of sessions 11 and 12 give the numbers of the direct computation they replace.

Each test computes the same quantity the plain way (rows copied per bootstrap draw, every
case of a polyserial pair, the type-aware loop over group labels, the pseudo-inverse and
the SVD of the Satorra (2000) test, per-group frames of the sample statistics) and
compares it with the fast route.  (Session 11's complete-data information in the FIML
scoring steps is gone: on campaign case 269 it led to a worse local minimum than lavaan's;
``tests/sem/test_campaign.py`` keeps that case in the default suite.)  The lavaan
parity suites check the end results; these check each shortcut on its own, on random
data with gaps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.sem import wls
from analysis.sem.samplestats import group_label_column
from analysis.stats import copula
from analysis.stats.validity import _pairwise_corr, _pairwise_from, _split_missing, htmt_ci


def _holzinger_like(n: int, seed: int, gaps: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.multivariate_normal([0, 0, 0], [[1, .4, .3], [.4, 1, .2], [.3, .2, 1]], size=n)
    x = np.repeat(f, 3, axis=1) * rng.uniform(.6, 1.2, size=9) + rng.normal(0, .7, (n, 9))
    x[rng.random(x.shape) < gaps] = np.nan
    return pd.DataFrame(x + 4.0, columns=[f"x{i}" for i in range(1, 10)])


def _htmt_draws_by_copying(data: pd.DataFrame, blocks: dict, n_boot: int, seed: int):
    """The bootstrap as it was: each draw's rows copied, then the pairwise correlations."""
    from analysis.stats.validity import _htmt_from_corr

    items = [i for v in blocks.values() for i in v]
    x = data[items].to_numpy(float)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_boot):
        rows = rng.integers(0, len(x), size=len(x))
        corr = _pairwise_corr(x[rows])
        h = _htmt_from_corr(corr, items, blocks, htmt2=True, absolute=True)
        out.append(h[0, 1])
    return np.array(out)


@pytest.mark.parametrize("gaps", [0.0, 0.03, 0.3])
def test_htmt_weighted_draws_equal_copied_rows(gaps):
    data = _holzinger_like(300, 5, gaps)
    blocks = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]}
    n_boot = 60
    got = htmt_ci(data, blocks, n_boot=n_boot, seed=9, missing="pairwise")
    direct = _htmt_draws_by_copying(data, blocks, n_boot, 9)
    lo, hi = np.quantile(direct, [0.025, 0.975])
    assert got["ci_lower"].iloc[0] == pytest.approx(lo, abs=1e-12)
    assert got["ci_upper"].iloc[0] == pytest.approx(hi, abs=1e-12)


@pytest.mark.parametrize("sparse_gaps", [False, True])
def test_pairwise_correlations_with_weights_equal_repeated_rows(sparse_gaps):
    rng = np.random.default_rng(2)
    n = 6000 if sparse_gaps else 200
    x = rng.integers(1, 8, size=(n, 40)).astype(float)
    x[rng.random(x.shape) < 0.05] = np.nan
    counts = rng.poisson(1.0, size=n)
    drawn = np.flatnonzero(counts)
    x0, gap = _split_missing(x)
    assert (gap.__class__.__name__ == "csr_matrix") is sparse_gaps
    sw = np.sqrt(counts[drawn].astype(float))
    gs = gap[drawn]
    gs = gs.multiply(sw[:, None]).tocsr() if sparse_gaps else gs * sw[:, None]
    got = _pairwise_from(x0[drawn] * sw[:, None], gs, sw)
    expected = _pairwise_corr(np.repeat(x, counts, axis=0))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def _copula_draws_by_copying(arr: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """The copula bootstrap as it was: each resample's rows copied and its term rebuilt."""
    n, k = arr.shape
    rng = np.random.default_rng(seed)
    out = np.full((n_boot, 2), np.nan)
    for b in range(n_boot):
        s = arr[rng.integers(0, n, size=n)]
        if np.ptp(s[:, 1]) == 0:
            continue
        xb = np.column_stack([np.ones(n), s[:, 1], s[:, 2:], copula.copula_term(s[:, 1])])
        xtx = xb.T @ xb
        if np.linalg.cond(xtx) > 1e12:
            continue
        cb = np.linalg.solve(xtx, xb.T @ s[:, 0])
        out[b] = (cb[1], cb[-1])
    return out


@pytest.mark.parametrize(("n", "controls"), [(80, 0), (500, 2), (3000, 3)])
def test_copula_block_bootstrap_equals_copied_resamples(n, controls):
    rng = np.random.default_rng(n)
    x = np.round(rng.gamma(2.0, 1.0, size=n) * 2) / 2  # skewed, with ties
    ctrl = rng.normal(size=(n, controls))
    y = 0.4 * x + ctrl.sum(axis=1) * 0.2 + rng.normal(size=n)
    arr = np.column_stack([y, x, ctrl])
    got = copula._boot_draws(arr, 130, np.random.default_rng(4))
    expected = _copula_draws_by_copying(arr, 130, 4)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_copula_block_bootstrap_skips_constant_resamples():
    # three cases, one of them different: some resamples hold one value of x only
    arr = np.array([[1.0, 0.0], [2.0, 0.0], [0.5, 1.0]])
    got = copula._boot_draws(arr, 40, np.random.default_rng(0))
    expected = _copula_draws_by_copying(arr, 40, 0)
    assert np.isnan(got).any()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))


def test_polyserial_over_distinct_cases_equals_every_case():
    from analysis.sem.ordinal import _distinct_cases, _extended

    rng = np.random.default_rng(8)
    z = rng.choice(np.linspace(-2, 2, 13), size=5000)
    c = np.clip(np.round(z + rng.normal(0, 1, 5000)) + 3, 0, 6).astype(int)
    th = np.array([-1.5, -1.0, -0.4, 0.2, 0.8, 1.4])
    e = _extended(th)
    zd, upd, lod, w = _distinct_cases(z, c, th)
    assert w.sum() == z.size and zd.size < 13 * 7 + 1
    for r in (-0.3, 0.2, 0.55):
        rr = np.sqrt(1 - r * r)
        every = np.log(stats.norm.cdf((e[c + 1] - r * z) / rr) - stats.norm.cdf((e[c] - r * z) / rr))
        distinct = np.log(stats.norm.cdf((upd - r * zd) / rr) - stats.norm.cdf((lod - r * zd) / rr))
        assert w @ distinct == pytest.approx(every.sum(), rel=1e-12)


@pytest.mark.parametrize("values", [
    [1, 2, np.nan, 2.0, 3], ["a", "b", None, "a"], [True, False, True], [1.5, 2.0, np.nan],
    [np.nan, np.nan], [True, 1, "x", np.nan, 1.0], ["1", 1, 1.0],
])
def test_group_labels_of_one_kind_equal_the_type_aware_loop(values):
    from analysis.sem.samplestats import _group_label

    col = pd.Series(values, dtype=object)
    expected = [_group_label(v) for v in col]
    got = list(group_label_column(col))
    assert [str(v) for v in got] == [str(v) for v in expected]
    typed = pd.Series(values)
    assert [str(v) for v in group_label_column(typed)] == [str(v) for v in expected]


def _sparse_jacobian(rng, rows: int, cols: int, per_row: int = 3) -> np.ndarray:
    d = np.zeros((rows, cols))
    for i in range(rows):
        d[i, rng.choice(cols, size=per_row, replace=False)] = rng.normal(size=per_row)
    return d


@pytest.mark.parametrize("seed", range(4))
def test_least_squares_map_equals_the_pseudo_inverse(seed):
    # Satorra (2000) difference test: pinv(D1) @ D0, by sparse normal equations when
    # D1'D1 is well conditioned, by the pseudo-inverse when it is not
    rng = np.random.default_rng(seed)
    d1 = _sparse_jacobian(rng, 600, 80)
    d0 = d1[:, :70] + d1[:, 70:].sum(axis=1, keepdims=True) / 10.0  # a nested model
    direct = np.linalg.pinv(d1) @ d0
    np.testing.assert_allclose(wls._least_squares_map(d1, d0), direct, atol=1e-10)
    # a rank-deficient D1 (a repeated column) has no Cholesky factor with a usable
    # condition: the pseudo-inverse answers, equal to the direct route
    dd = np.hstack([d1, d1[:, :1]])
    np.testing.assert_allclose(wls._least_squares_map(dd, d0), np.linalg.pinv(dd) @ d0,
                               atol=1e-10)
    # dense input (no sparse products) gives the same
    dense = rng.normal(size=(200, 30))
    np.testing.assert_allclose(wls._least_squares_map(dense, dense[:, :20]),
                               np.linalg.pinv(dense) @ dense[:, :20], atol=1e-10)


@pytest.mark.parametrize(("q1", "q0"), [(60, 50), (40, 40), (30, 1), (25, 10)])
def test_orthogonal_complement_spans_what_the_svd_spans(q1, q0):
    rng = np.random.default_rng(q1 * 100 + q0)
    h = rng.normal(size=(q1, q0))
    if q0 >= 10:  # a rank-deficient H: two columns repeat others
        h[:, -2:] = h[:, :2] @ rng.normal(size=(2, 2))
    u, s, _ = np.linalg.svd(h, full_matrices=True)
    rank = int(np.sum(s > max(h.shape) * np.finfo(float).eps * s[0]))
    want = u[:, rank:] @ u[:, rank:].T
    a = wls._orthogonal_complement(h)
    assert a.shape == (q1, q1 - rank)
    np.testing.assert_allclose(a.T @ a, np.eye(q1 - rank), atol=1e-12)
    np.testing.assert_allclose(a @ a.T, want, atol=1e-10)


def test_group_statistics_from_columns_converted_once_equal_per_group_frames():
    # plain numeric columns are converted once and sliced per group; a categorical and
    # a text column of an ordered item are still coded within each group's rows
    from analysis.sem import compile_model
    from analysis.sem.samplestats import sample_stats

    rng = np.random.default_rng(5)
    n = 240
    frame = pd.DataFrame({
        "a": rng.normal(size=n), "b": rng.integers(1, 6, size=n),
        "c": pd.Categorical(rng.choice(["lo", "mid", "hi"], size=n),
                            categories=["lo", "mid", "hi"], ordered=True),
        "d": rng.choice(["p", "q", "r"], size=n),
        "g": rng.choice(["x", "y", None], size=n, p=[.45, .45, .1]),
    })
    frame.loc[rng.random(n) < .1, "a"] = np.nan
    frame.loc[(frame["g"] == "y").to_numpy() & (frame["d"] == "r").to_numpy(), "d"] = "q"
    model = compile_model("f =~ a + b + c + d", frame, ordered=["c", "d"], group="g")
    got, _ = sample_stats(model, frame, "listwise")
    labels = frame["g"].astype(object)
    for lab, st in zip(model.groups, got, strict=True):
        sub = frame[(labels == lab).to_numpy()]
        cols = []
        for v in ["a", "b"]:
            cols.append(sub[v].to_numpy(float))
        cols.append(sub["c"].cat.codes.to_numpy().astype(float) + 1.0)
        cats = sorted(sub["d"].dropna().unique())
        cols.append(sub["d"].map({c: i + 1.0 for i, c in enumerate(cats)}).to_numpy(float))
        x = np.column_stack(cols)
        x = x[np.isfinite(x).all(axis=1)]
        order = [model.ov_names.index(v) for v in ["a", "b", "c", "d"]]
        np.testing.assert_array_equal(st.data[:, order], x)
    # group y has no "r" in d: its codes are 1..2 there, as lavaan codes within groups
    assert set(np.unique(got[model.groups.index("y")].data[:, model.ov_names.index("d")])) \
        <= {1.0, 2.0}


def _small_figure():
    from analysis.report import figures

    fig = figures._figure(4.0, 3.0)  # a line with markers, a filled band, a legend
    ax = fig.subplots()
    ax.plot([1, 2, 3], [2, 1, 3], marker="o", label="a line")
    ax.fill_between([1, 2, 3], [0, 1, 0], [1, 2, 1], alpha=.3)
    ax.set_title("Ids, clip paths and glyphs")
    ax.legend()
    return fig


def test_figure_ids_prefixed_in_one_pass_equal_one_replace_per_id():
    # the report's inline SVG: every id and reference to one gets the figure's name in
    # front; one regular-expression pass gives the text the replace-per-id loop gave
    import io
    import re

    from matplotlib import rc_context

    from analysis.report import figures

    fig = _small_figure()
    buf = io.StringIO()
    with rc_context(figures.RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None},
                    bbox_inches="tight")
    got = figures._svg(fig, "fig-x")
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    ids = re.findall(r'id="([^"]+)"', text)
    assert len(set(ids)) > 10 and "url(#" in text and 'href="#' in text
    for old in sorted(set(ids), key=len, reverse=True):
        new = f"fig-x-{old}"
        text = text.replace(f'id="{old}"', f'id="{new}"')
        text = text.replace(f"#{old})", f"#{new})").replace(f'"#{old}"', f'"#{new}"')
    assert got == re.sub(r"<svg ", '<svg role="img" aria-label="fig-x" ', text, count=1)


def _likert(n: int, p: int, seed: int, gaps: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    x = np.clip(np.round(4 + 1.2 * f + rng.normal(size=(n, p))), 1, 7)
    x[rng.random(x.shape) < gaps] = np.nan
    return x


@pytest.mark.parametrize(("n", "gaps", "sparse_gaps"),
                         [(3000, 0.0, False), (3000, 0.03, False), (3000, 0.3, False),
                          (20000, 0.03, True)])
def test_counted_float32_draws_equal_the_weighted_float64_draws(n, gaps, sparse_gaps):
    # integer answers: a draw's sums by count in float32 are exact, so its correlations
    # are the float64 ones to rounding, with and without gaps (sparse and dense)
    from scipy import sparse

    from analysis.stats import validity

    x = _likert(n, 12, 7, gaps)
    assert validity._exact_in_float32(x)
    fast, plain = validity._CountedDraws(x), validity._WeightedDraws(x)
    assert sparse.issparse(fast.gap) is sparse_gaps
    rng = np.random.default_rng(1)
    for _ in range(5):
        counts = np.bincount(rng.integers(0, len(x), size=len(x)), minlength=len(x))
        np.testing.assert_allclose(fast.corr(counts), plain.corr(counts), rtol=0, atol=1e-12)


def test_exact_float32_needs_integers_and_small_sums():
    from analysis.stats import validity

    x = _likert(1000, 4, 3, 0.1)
    assert validity._exact_in_float32(x)
    assert not validity._exact_in_float32(x + 0.5)           # not integers
    assert not validity._exact_in_float32(x * 200.0)         # 1000 * 1400^2 > 2^24
    assert not validity._exact_in_float32(np.full((5, 2), np.nan))


def test_htmt_intervals_of_the_counted_route_equal_the_weighted_route(monkeypatch):
    from analysis.stats import validity

    x = _likert(2000, 9, 11, 0.05)
    data = pd.DataFrame(x, columns=[f"i{k}" for k in range(9)])
    blocks = {"a": ["i0", "i1", "i2"], "b": ["i3", "i4", "i5"], "c": ["i6", "i7", "i8"]}
    monkeypatch.setattr(validity, "EXACT32_MIN_CELLS", 0)
    fast = htmt_ci(data, blocks, n_boot=60, seed=4, missing="pairwise")
    monkeypatch.setattr(validity, "_exact_in_float32", lambda _x: False)
    plain = htmt_ci(data, blocks, n_boot=60, seed=4, missing="pairwise")
    np.testing.assert_allclose(fast[["ci_lower", "ci_upper"]].to_numpy(),
                               plain[["ci_lower", "ci_upper"]].to_numpy(), rtol=0, atol=1e-12)
    assert fast["n_boot"].tolist() == plain["n_boot"].tolist() == [60.0] * 3


@pytest.mark.parametrize(("n", "gaps"), [(50, 0.1), (400, 0.3), (3000, 0.02)])
def test_pairwise_covariance_equals_pandas_pairwise_cov(n, gaps):
    from analysis.sem.samplestats import pairwise_covariance

    x = _holzinger_like(n, n, gaps).to_numpy(copy=True)
    x[:3, 0] = np.nan  # a pair with very few rows stays finite; one with none is NaN
    want = pd.DataFrame(x).cov(min_periods=2).to_numpy()
    cnt = np.isfinite(x).astype(float)
    npair = cnt.T @ cnt
    want = want * (npair - 1) / np.maximum(npair, 1)
    np.testing.assert_allclose(pairwise_covariance(x), want, rtol=1e-12, atol=1e-14)
    lonely = np.full((6, 2), np.nan)
    lonely[:3, 0], lonely[3:, 1] = [1.0, 2.0, 4.0], [2.0, 5.0, 3.0]
    got = pairwise_covariance(lonely)
    assert np.isnan(got[0, 1]) and np.isnan(got[1, 0]) and np.isfinite(np.diag(got)).all()
