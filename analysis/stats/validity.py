"""Discriminant and convergent validity: HTMT, Fornell-Larcker, latent correlations, thresholds.

:func:`htmt` works on item data (no model fit needed) and matches
``semTools::htmt()`` (semTools 0.5-6).  :func:`fornell_larcker` and
:func:`latent_correlations` work on a fitted CFA's parameter table (see
:mod:`analysis.stats.reliability`).  The usual cut-offs are data
(:func:`thresholds`), never verdicts hidden in code: callers and the report
decide what to do with them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.io import not_numeric_error, value_problem
from analysis.stats.reliability import (
    _check_params,
    ave,
    implied_latent_covariance,
    measurement_blocks,
    refuse_multiindex,
)

__all__ = ["Threshold", "THRESHOLDS", "fornell_larcker", "htmt", "htmt_ci",
           "latent_correlations", "thresholds"]


@dataclass(frozen=True)
class Threshold:
    """One conventional cut-off for a reliability or validity statistic.

    ``comparison`` says which side is acceptable: ``"<"``, ``"<="``, ``">"``, ``">="``.
    """

    measure: str
    comparison: str
    value: float
    label: str
    source: str


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("alpha", ">=", 0.70, "acceptable internal consistency", "Nunnally (1978)"),
    Threshold("omega", ">=", 0.70, "acceptable composite reliability", "Hair et al. (2019)"),
    Threshold("cr", ">=", 0.70, "acceptable composite reliability", "Hair et al. (2019)"),
    Threshold("cr", "<=", 0.95, "no item redundancy", "Hair et al. (2019)"),
    Threshold("ave", ">=", 0.50, "convergent validity", "Fornell & Larcker (1981)"),
    Threshold("htmt", "<", 0.85, "discriminant validity (conservative)", "Henseler et al. (2015)"),
    Threshold("htmt", "<", 0.90, "discriminant validity (liberal)", "Henseler et al. (2015)"),
    Threshold(
        "fornell_larcker", ">", 0.0,
        "sqrt(AVE) exceeds every correlation of the factor (difference > 0)",
        "Fornell & Larcker (1981)",
    ),
    Threshold("std_loading", ">=", 0.708, "indicator reliability", "Hair et al. (2019)"),
    Threshold(
        "harman_prop_var", "<", 0.50,
        "first unrotated factor explains less than half of the variance (screen only)",
        "Podsakoff et al. (2003)",
    ),
)


def thresholds() -> pd.DataFrame:
    """The conventional cut-offs as a tidy table (``measure, comparison, value, label, source``).

    Examples
    --------
    >>> t = thresholds()
    >>> t.loc[t["measure"] == "ave", "value"].item()
    0.5
    """
    return pd.DataFrame([t.__dict__ for t in THRESHOLDS])


def _item_correlations(
    data: pd.DataFrame, items: Sequence[str], missing: Literal["listwise", "pairwise"]
) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise DataError("data= must be a pandas DataFrame.")
    refuse_multiindex(data)
    absent = [i for i in items if i not in data.columns]
    if absent:
        raise DataError(
            f"Missing observed variable(s) in the data: {', '.join(absent)}."
        )
    twice = [i for i in items if list(data.columns).count(i) > 1]
    if twice:  # was "Item(s) must be numeric: x1, x1."
        raise DataError(f"data= has more than one column named {', '.join(map(repr, twice))}; "
                        "rename or drop all but one.")
    x = data[list(items)]
    bad = [c for c in x.columns if not pd.api.types.is_numeric_dtype(x[c])]
    if bad:
        others = f" ({', '.join(map(str, bad[1:]))} as well)" if len(bad) > 1 else ""
        raise not_numeric_error(bad[0], x[bad[0]], advice=f"items must be numbers{others}; "
                                "recode them or leave them out")
    # a complex item kept its real parts without a word; an infinite value made its item's
    # correlations NaN, and the HTMT was then averaged over the other items' correlations
    # (0.30 for 0.38 from one inf cell)
    unusable = []
    for c in x.columns:
        why = ("complex numbers" if getattr(x[c].dtype, "kind", "") == "c"
               else value_problem(x[c].dropna()))
        if why is not None:
            unusable.append(f"{c} ({why})")
    if unusable:
        raise DataError("Item(s) must hold real, finite numbers: " + "; ".join(unusable)
                        + "; fix or empty those cells.")
    x = x.astype(float)
    if missing == "listwise":
        x = x.dropna()
    elif missing != "pairwise":
        raise DataError(f"missing= must be 'listwise' or 'pairwise', not {missing!r}.")
    if len(x) < 2:  # no rows ended in numpy's "zero-size array" ValueError
        which = (" with every item answered (missing='listwise')"
                 if missing == "listwise" and len(data) else "")
        raise DataError(f"The correlations of the items need at least 2 rows of data{which}; "
                        f"found {len(x)}.")
    arr = x.to_numpy()
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns
        lo, hi = np.nanmin(arr, axis=0), np.nanmax(arr, axis=0)
    constant = [c for c, a, b in zip(x.columns, lo, hi, strict=True) if not a < b]
    if constant:
        raise DataError(
            f"Item(s) without variance (constant or all missing): {', '.join(constant)}."
        )
    if not np.isnan(arr).any():  # complete data: one BLAS product (pandas loops over pairs)
        return pd.DataFrame(np.corrcoef(arr, rowvar=False), index=x.columns, columns=x.columns)
    return pd.DataFrame(_pairwise_corr(arr), index=x.columns, columns=x.columns)


def htmt(
    data: pd.DataFrame,
    model: str | Mapping[str, Sequence[str]],
    *,
    htmt2: bool = True,
    absolute: bool = True,
    missing: Literal["listwise", "pairwise"] = "listwise",
) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations, as ``semTools::htmt()``.

    Parameters
    ----------
    data : DataFrame
        Item data.
    model : str or mapping
        lavaan syntax (its ``=~`` statements) or ``{factor: [items]}``.
    htmt2 : bool
        ``True`` (semTools 0.5-6 default, "HTMT2"): geometric means of the
        absolute correlations (Roemer et al., 2021); ``False``: arithmetic means
        (Henseler et al., 2015).
    absolute : bool
        Use absolute correlations (default; always on with ``htmt2``).
    missing : {"listwise", "pairwise"}
        Rows used for the Pearson correlations (semTools default: listwise);
        ``"pairwise"`` as ``lavaan::lavCor(missing = "pairwise")``: the covariance of
        the pairwise-complete rows over the SDs of all observed values of each item.

    Returns
    -------
    DataFrame
        Symmetric factor-by-factor matrix with 1 on the diagonal.

    Notes
    -----
    ``HTMT_ij = mean(|r| between items of i and j) /
    sqrt(mean(|r| among items of i) * mean(|r| among items of j))`` where the
    within-factor means run over the off-diagonal correlations.

    References
    ----------
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). JAMS, 43, 115-135.
    Roemer, E., Schuberth, F., & Henseler, J. (2021). IMDS, 121, 2637-2650.

    Examples
    --------
    >>> htmt(df, "f1 =~ a1 + a2 + a3\\nf2 =~ b1 + b2 + b3")  # doctest: +SKIP
    # In R: semTools::htmt(model, data = df)
    """
    blocks = measurement_blocks(model)
    items = list(dict.fromkeys(i for v in blocks.values() for i in v))
    r = _item_correlations(data, items, missing)
    values = _htmt_from_corr(r.to_numpy(), items, blocks, htmt2=htmt2, absolute=absolute)
    return pd.DataFrame(values, index=list(blocks), columns=list(blocks))


def _htmt_from_corr(
    corr: np.ndarray,
    items: Sequence[str],
    blocks: Mapping[str, Sequence[str]],
    *,
    htmt2: bool,
    absolute: bool,
) -> np.ndarray:
    values = np.array(corr, dtype=float, copy=True)
    if absolute or htmt2:
        values = np.abs(values)
    np.fill_diagonal(values, np.nan)
    pos = {item: i for i, item in enumerate(items)}
    off = ~np.eye(len(items), dtype=bool)
    if np.isfinite(values[off]).all():
        # block means as two products with the item-by-factor indicator matrix (a
        # bootstrap calls this thousands of times); the loop below handles gaps
        ind = np.zeros((len(items), len(blocks)))
        for k, v in enumerate(blocks.values()):
            ind[[pos[i] for i in v], k] = 1.0
        zero = off & (values == 0.0)
        with np.errstate(divide="ignore"):
            vals = np.where(off & ~zero, np.log(values) if htmt2 else values, 0.0)
        sums = ind.T @ vals @ ind
        counts = ind.T @ off.astype(float) @ ind
        with np.errstate(divide="ignore", invalid="ignore"):
            means = sums / counts
        if htmt2:
            # a correlation of exactly 0 makes its block's geometric mean 0 (log 0 is
            # -inf), as the loop below gives it
            means = np.where(ind.T @ zero.astype(float) @ ind > 0, 0.0, np.exp(means))
        within = np.diag(means)
        with np.errstate(divide="ignore", invalid="ignore"):
            return means / np.sqrt(np.outer(within, within))
    index = {f: [pos[i] for i in v] for f, v in blocks.items()}

    def block_mean(a: list[int], b: list[int]) -> float:
        sub = values[np.ix_(a, b)].ravel()
        sub = sub[~np.isnan(sub)]
        if sub.size == 0:
            return float("nan")
        if htmt2:
            with np.errstate(divide="ignore"):
                return float(np.exp(np.mean(np.log(sub))))
        return float(np.mean(sub))

    factors = list(blocks)
    within = {f: block_mean(index[f], index[f]) for f in factors}
    out = np.full((len(factors), len(factors)), np.nan)
    for i, f in enumerate(factors):
        for j, g in enumerate(factors):
            out[i, j] = block_mean(index[f], index[g]) / np.sqrt(within[f] * within[g])
    return out


def _pairwise_corr(x: np.ndarray) -> np.ndarray:
    """Pairwise correlations of the columns of ``x`` (NaN missing), as lavaan defines them.

    ``lavaan::lavCor(missing = "pairwise")`` (and so ``semTools::htmt(missing =
    "pairwise")``) divides the covariance of the pairwise-complete rows by the standard
    deviations of *all* observed values of each item (both with divisor ``n - 1``).  A
    few matrix products instead of a loop over pairs, so that bootstrap draws are cheap;
    on complete data this is the Pearson correlation.
    """
    return _pairwise_from(*_split_missing(x))


def _split_missing(x: np.ndarray) -> tuple[np.ndarray, Any]:
    """``x`` with 0 for its missing values, and where they are: a sparse (CSR) 0/1
    matrix when ``x`` is large (200,000 values or more) and at most a fifth of them are
    missing, a dense one otherwise (where sparse products cost more than they save)."""
    from scipy import sparse

    gap = ~np.isfinite(x)
    x0 = np.where(gap, 0.0, x)
    if gap.size >= 200_000 and gap.mean() <= 0.2:
        return x0, sparse.csr_matrix(gap, dtype=float)
    return x0, gap.astype(float)


def _pairwise_from(x0: np.ndarray, gap: Any, sw: np.ndarray | None = None) -> np.ndarray:
    """:func:`_pairwise_corr` from ``x0`` (0 for missing values) and the 0/1 matrix ``gap``
    of the missing ones (sparse or dense).  With ``sw``, the square roots of case weights
    (a bootstrap draw's count of each row it drew), ``x0`` and ``gap`` come with each row
    already multiplied by its ``sw``: the sums are then those of the rows standing
    ``sw**2`` times each.

    The counts and sums over pairwise-complete rows come from the missing values, so that
    the one product over all rows is ``x0' x0``: with ``G`` the gap matrix,
    ``n_ij = N - g_i - g_j + (G'G)_ij`` and ``sum of x_i where j observed = sum x_i -
    (x0'G)_ij``; with few gaps those products are cheap (a bootstrap of 100,000 cases and
    81 items spent most of its time in the two products they replace).
    """
    from scipy import sparse

    xs, gs = x0, gap
    if sw is None:
        n_rows = float(x0.shape[0])
        g = np.asarray(gap.sum(axis=0), dtype=float).ravel()
        s = x0.sum(axis=0)
    else:
        n_rows = float(sw @ sw)
        g = np.asarray(gs.T @ sw, dtype=float).ravel()
        s = sw @ xs
    gg, xg = gs.T @ gs, gs.T @ xs
    if sparse.issparse(gg):
        gg = gg.toarray()
    return _pairwise_from_sums(n_rows, g, s, gg, np.asarray(xg).T, xs.T @ xs)


def _pairwise_from_sums(n_rows: float, g: np.ndarray, s: np.ndarray, gg: np.ndarray,
                        xg: np.ndarray, sxy: np.ndarray) -> np.ndarray:
    """Pairwise correlations from the (weighted) sums of :func:`_pairwise_from`: the row
    count ``n_rows``, per item its missing count ``g`` and sum ``s``, per pair the rows
    missing both ``gg``, the sum of ``x_i`` over the rows missing ``j`` (``xg[i, j]``)
    and the cross-products ``sxy`` (0 for missing values)."""
    n = n_rows - g[:, None] - g[None, :] + gg      # rows where both i and j are observed
    sx = s[:, None] - xg                           # sum of x_i over those rows
    # sxy's diagonal: the sum of squares of all of x_i
    ni, si, sxx = np.diag(n), np.diag(sx), np.diag(sxy)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = (sxy - sx * sx.T / n) / (n - 1.0)
        var = (sxx - si * si / ni) / (ni - 1.0)
        r = cov / np.sqrt(np.outer(var, var))
    r[n < 2] = np.nan
    np.fill_diagonal(r, 1.0)
    return r


#: Below this many cells (rows x items) a bootstrap draw is one float64 product of the
#: rows it drew (:func:`_pairwise_from`); from it on, integer answers take the exact
#: float32 route of :class:`_CountedDraws`.
EXACT32_MIN_CELLS = 1_000_000


def _exact_in_float32(x: np.ndarray) -> bool:
    """Whether every sum of a bootstrap draw is exact in float32: integer values (survey
    answers) whose largest absolute product (at least 1, for the counts), summed over as
    many rows as the data have, stays below 2**24, so that no partial sum in any order is
    ever rounded."""
    fin = x[np.isfinite(x)]
    if not fin.size:
        return False
    top = max(float(np.abs(fin).max()), 1.0)
    return bool(np.all(fin == np.round(fin)) and x.shape[0] * top * top < 2.0**24)


class _WeightedDraws:
    """Bootstrap correlations of any data: a draw's rows are gathered into one reused
    row-major buffer (no copy of the resample) and weighted by the square roots of their
    counts, on data centred once (the correlations do not change; the sums of squares
    stay small), with zeros for the gaps and where they are (:func:`_pairwise_from`)."""

    def __init__(self, x: np.ndarray) -> None:
        self.complete = not np.isnan(x).any()
        if x.shape[0]:
            x = x - np.nanmean(x, axis=0)
        x0, self.gap = (x, None) if self.complete else _split_missing(x)
        self.x0 = np.ascontiguousarray(x0)  # rows gathered per draw: row-major
        self.buf = np.empty(self.x0.shape)  # one buffer for every draw's rows

    def corr(self, counts: np.ndarray) -> np.ndarray:
        from scipy import sparse

        drawn = np.flatnonzero(counts)
        sw = np.sqrt(counts[drawn].astype(float))
        xs = np.take(self.x0, drawn, axis=0, out=self.buf[:drawn.size], mode="clip")
        xs *= sw[:, None]
        if self.complete:
            return _weighted_corr(xs, sw)
        gs = self.gap[drawn]
        gs = gs.multiply(sw[:, None]).tocsr() if sparse.issparse(gs) else gs * sw[:, None]
        return _pairwise_from(xs, gs, sw)


class _CountedDraws:
    """Bootstrap correlations of integer answers, each draw as the rows it drew weighted
    by how often it drew them, computed exactly in float32.

    A draw's cross-products are ``X' C X`` with ``C`` its counts: the rows drawn ``k``
    times are gathered together and ``sum_k k X_k' X_k`` is summed in float64, with a
    column of ones beside the items so that the same products give the counted rows and
    the items' sums.  The gaps' counts and sums are the products of the 0/1 matrix of the
    missing cells, weighted by the counts, with the same columns.  All of these are sums
    of integers below 2**24 (:func:`_exact_in_float32`), exact in float32 in any order,
    so they equal the float64 sums while the products and the rows they read cost half
    as much.  The correlations agree with :class:`_WeightedDraws` to rounding (1e-13).
    """

    def __init__(self, x: np.ndarray) -> None:
        from scipy import sparse

        x0, gap = _split_missing(x)
        n, self.p = x.shape
        self.x32 = np.ones((n, self.p + 1), dtype=np.float32)
        self.x32[:, :self.p] = x0
        self.buf = np.empty_like(self.x32)  # one buffer for every draw's rows
        any_gap = gap.nnz > 0 if sparse.issparse(gap) else bool(gap.any())
        self.gap = gap.astype(np.float32) if any_gap else None

    def corr(self, counts: np.ndarray) -> np.ndarray:
        from scipy import sparse

        p = self.p
        m = np.zeros((p + 1, p + 1))
        for k in range(1, int(counts.max()) + 1):
            rows = np.flatnonzero(counts == k)
            if rows.size:
                xk = np.take(self.x32, rows, axis=0, out=self.buf[:rows.size], mode="clip")
                m += k * (xk.T @ xk).astype(float)
        sxy, s, n_rows = m[:p, :p], m[p, :p], float(m[p, p])
        if self.gap is None:
            return _corr_from_sums(n_rows, s, sxy)
        c = counts.astype(np.float32)
        if sparse.issparse(self.gap):
            gc = self.gap.multiply(c[:, None]).tocsr()
            gc.eliminate_zeros()  # the rows not drawn
            gg = (self.gap.T @ gc).toarray()
        else:
            gc = self.gap * c[:, None]
            gg = self.gap.T @ gc
        # per missing item j: the sums of every item over the rows missing j, and (the
        # ones column) how many such rows were drawn
        xgc = np.asarray(gc.T @ self.x32, dtype=float)
        return _pairwise_from_sums(n_rows, xgc[:, p], s, np.asarray(gg, dtype=float),
                                   xgc[:, :p].T, sxy)


def _weighted_corr(xs: np.ndarray, sw: np.ndarray) -> np.ndarray:
    """Pearson correlations of complete rows standing ``sw**2`` times each, given as
    ``xs``: the rows multiplied by their ``sw``."""
    return _corr_from_sums(float(sw @ sw), sw @ xs, xs.T @ xs)


def _corr_from_sums(n: float, s: np.ndarray, sxy: np.ndarray) -> np.ndarray:
    """Pearson correlations of complete data from the row count ``n``, the sums ``s`` and
    the cross-products ``sxy``."""
    cov = (sxy - np.outer(s, s) / n) / (n - 1.0)
    sd = np.sqrt(np.diag(cov))
    r = cov / np.outer(sd, sd)
    np.fill_diagonal(r, 1.0)
    return r


def htmt_ci(
    data: pd.DataFrame,
    model: str | Mapping[str, Sequence[str]],
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int | None = None,
    htmt2: bool = True,
    absolute: bool = True,
    missing: Literal["listwise", "pairwise"] = "listwise",
) -> pd.DataFrame:
    """HTMT with percentile bootstrap confidence intervals.

    Parameters
    ----------
    data, model, htmt2, absolute, missing
        As in :func:`htmt` (``missing="pairwise"``: each resample's correlations on
        pairwise-complete rows).
    n_boot : int
        Number of bootstrap resamples of the rows.
    level : float
        Confidence level of the percentile interval.
    seed : int, optional
        Seed of the random generator (``numpy.random.default_rng``).

    Returns
    -------
    DataFrame
        One row per pair of factors: ``factor1, factor2, htmt, ci_lower,
        ci_upper, n_boot`` (``n_boot`` counts the resamples with a defined HTMT),
        and per HTMT cut-off of :data:`THRESHOLDS` (.85, .90) a column
        ``below_085`` / ``below_090``: whether the upper bound is below the cut-off.

    Notes
    -----
    Henseler et al. (2015) judge discriminant validity by whether the upper bound
    of the interval is below the threshold, not by the point estimate (a one-sided
    test at ``(1 - level) / 2``).  semTools has no bootstrap for ``htmt()``; the
    interval agrees with a bootstrap of ``semTools::htmt()`` within Monte Carlo error.

    Examples
    --------
    >>> htmt_ci(df, model, n_boot=2000, seed=1)  # doctest: +SKIP
    # In R: boot::boot(df, function(d, i) semTools::htmt(model, d[i, ])[2, 1], 2000)
    """
    if int(n_boot) != n_boot or n_boot < 10:
        raise DataError(f"n_boot= must be an integer of at least 10, not {n_boot!r}.")
    if not 0.0 < level < 1.0:
        raise DataError(f"level= must be between 0 and 1, not {level!r}.")
    blocks = measurement_blocks(model)
    items = list(dict.fromkeys(i for v in blocks.values() for i in v))
    point = htmt(data, blocks, htmt2=htmt2, absolute=absolute, missing=missing)
    x = data[items].astype(float)
    if missing == "listwise":
        x = x.dropna()
    x = x.to_numpy()
    rng = np.random.default_rng(seed)
    factors = list(blocks)
    pairs = [(i, j) for i in range(len(factors)) for j in range(i + 1, len(factors))]
    draws = np.full((int(n_boot), len(pairs)), np.nan)
    n = x.shape[0]
    rows_i, cols_j = np.array([p[0] for p in pairs], int), np.array([p[1] for p in pairs], int)
    from analysis.blas import blas_threads

    # large data of integer answers: exact float32 sums of each draw's rows by count;
    # otherwise the rows a draw drew, weighted by the square roots of their counts
    route = (_CountedDraws(x) if x.size >= EXACT32_MIN_CELLS and _exact_in_float32(x)
             else _WeightedDraws(x))
    with blas_threads(1):  # small products: BLAS threads cost more than they gain
        for b in range(int(n_boot)):
            counts = np.bincount(rng.integers(0, n, size=n), minlength=n)
            with np.errstate(divide="ignore", invalid="ignore"):
                corr = route.corr(counts)
            if not np.all(np.isfinite(corr)):
                continue
            h = _htmt_from_corr(corr, items, blocks, htmt2=htmt2, absolute=absolute)
            draws[b] = h[rows_i, cols_j]
    alpha = 1.0 - level
    cuts = sorted({t.value for t in THRESHOLDS if t.measure == "htmt"})
    rows = []
    for k, (i, j) in enumerate(pairs):
        d = draws[:, k]
        d = d[np.isfinite(d)]
        lo, hi = (np.quantile(d, [alpha / 2, 1 - alpha / 2]) if d.size else (np.nan, np.nan))
        row = {"factor1": factors[i], "factor2": factors[j], "htmt": float(point.iloc[i, j]),
               "ci_lower": float(lo), "ci_upper": float(hi), "n_boot": float(d.size)}
        for c in cuts:
            row[f"below_{round(c * 100):03d}"] = bool(np.isfinite(hi) and hi < c)
        rows.append(row)
    return pd.DataFrame(rows)


def latent_correlations(params: pd.DataFrame) -> pd.DataFrame:
    """Model-implied correlations of the factors (lavaan's ``cor.lv``).

    Examples
    --------
    >>> latent_correlations(cfa(model, df).params)  # doctest: +SKIP
    # In R: lavaan::lavInspect(fit, "cor.lv")
    """
    phi = implied_latent_covariance(_check_params(params))
    sd = np.sqrt(np.diag(phi.to_numpy()))
    return pd.DataFrame(phi.to_numpy() / np.outer(sd, sd), index=phi.index, columns=phi.columns)


def fornell_larcker(
    params: pd.DataFrame,
    data: pd.DataFrame | None = None,
    *,
    sample_cov: pd.DataFrame | None = None,
    obs_var: bool = True,
) -> pd.DataFrame:
    """Fornell-Larcker table: sqrt(AVE) on the diagonal, latent correlations off it.

    Parameters
    ----------
    params, data, sample_cov, obs_var
        As in :func:`analysis.stats.reliability.ave` (AVE as ``semTools::AVE()``).

    Returns
    -------
    DataFrame
        Square factor-by-factor matrix.  The criterion holds for factor ``f``
        when its diagonal value exceeds the absolute values in its row and
        column (threshold ``"fornell_larcker"`` in :func:`thresholds`).

    Examples
    --------
    >>> fornell_larcker(cfa(model, df).params, df)  # doctest: +SKIP
    # In R: x <- lavInspect(fit, "cor.lv"); diag(x) <- sqrt(semTools::AVE(fit)); x
    """
    cor = latent_correlations(params)
    a = ave(params, data, sample_cov=sample_cov, obs_var=obs_var).set_index("factor")["ave"]
    out = cor.copy()
    for f in out.index:
        out.loc[f, f] = float(np.sqrt(a.loc[f])) if f in a.index else np.nan
    return out
