"""Case-resampling bootstrap of PLS estimates, batched over draws.

A draw is a vector of case counts; the weighted correlation matrix of the
indicators is all the PLS algorithm needs (:mod:`analysis.stats.pls.engine`), so
thousands of draws are estimated together as one ``(B, p, p)`` array.  Draw ``i``
takes its cases from the ``i``-th child of ``numpy.random.SeedSequence(seed)``, so
the draws do not depend on how they are chunked or where they run (the same
design as :mod:`analysis.sem.bootstrap`).  Models with interaction terms or
higher-order constructs, whose derived indicators depend on each sample, are
re-estimated draw by draw with :func:`~analysis.stats.pls.model.pls`.

Resampling uses the data after missing-value treatment (mean replacement once, on
the full sample); seminr re-imputes inside each draw, which differs only in the
few imputed cells.  Draws whose algorithm does not converge are dropped and counted.

Intervals: percentile (sample quantiles, R's type 7, as seminr) and BCa with
jackknife acceleration (Efron 1987).

# In R: seminr::bootstrap_model(seminr_model, nboot = 5000, seed = 123)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.blas import blas_threads
from analysis.errors import EstimationError
from analysis.sem.bootstrap import bca_interval
from analysis.stats.pls.engine import Layout, estimate_core, paths_from_cor, rho_a
from analysis.stats.pls.model import PLSResult, pls, total_effects
from analysis.stats.pls.quality import htmt_from_cor

__all__ = ["PLSBootstrap", "bootstrap_pls", "draw_counts", "parameter_vector"]


@dataclass(frozen=True)
class PLSBootstrap:
    """Bootstrap draws of a PLS model's parameters.

    Attributes
    ----------
    table : DataFrame
        ``kind, lhs, op, rhs, est`` (as :meth:`PLSResult.estimates`, plus ``htmt``)
        and ``boot_mean, se, t, ci_lower, ci_upper, bca_lower, bca_upper``.
    draws : ndarray (n_ok, k)
        One row per usable draw, columns as the table rows.
    n_boot, n_failed : int
    level : float
    """

    table: pd.DataFrame
    draws: np.ndarray
    n_boot: int
    n_failed: int
    level: float
    seed: int | None


def _names(res: PLSResult) -> list[tuple[str, str, str, str]]:
    out = []
    for s, t in res.structural:
        out.append(("path", t, "~", s))
    for c in res.constructs:
        for i in res.blocks[c]:
            out.append(("loading", c, "=~", i))
    for c in res.constructs:
        for i in res.blocks[c]:
            out.append(("weight", c, "<~", i))
    te = res.total_effects
    ie = res.indirect_effects
    for s in res.constructs:
        for t in res.constructs:
            if te.loc[s, t] != 0:
                out.append(("total", t, "~", s))
            if ie.loc[s, t] != 0:
                out.append(("indirect", t, "~", s))
    for i, a in enumerate(res.constructs):
        for b in res.constructs[:i]:
            out.append(("htmt", a, "htmt", b))
    return out


def parameter_vector(res: PLSResult) -> np.ndarray:
    """Full-sample values in the order of :func:`_names`."""
    from analysis.stats.pls.quality import htmt

    H = htmt(res)
    vals = []
    for kind, lhs, _, rhs in _names(res):
        if kind == "path":
            vals.append(res.paths.loc[rhs, lhs])
        elif kind == "loading":
            vals.append(res.loadings.loc[rhs, lhs])
        elif kind == "weight":
            vals.append(res.weights.loc[rhs, lhs])
        elif kind == "total":
            vals.append(res.total_effects.loc[rhs, lhs])
        elif kind == "indirect":
            vals.append(res.indirect_effects.loc[rhs, lhs])
        else:
            vals.append(H.loc[lhs, rhs])
    return np.asarray(vals, dtype=float)


def draw_counts(entropy: int, ids: np.ndarray, n: int) -> np.ndarray:
    """Case counts ``(len(ids), n)``; draw ``i`` from ``SeedSequence(entropy, spawn_key=(i,))``."""
    out = np.empty((len(ids), n))
    for r, i in enumerate(ids):
        rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(int(i),)))
        out[r] = np.bincount(rng.integers(0, n, n), minlength=n)
    return out


class _Batch:
    """Everything needed to map case counts to parameter vectors for a plain model."""

    def __init__(self, res: PLSResult) -> None:
        self.res = res
        X = res.data.to_numpy(dtype=float)
        # centring first keeps the weighted second moments well conditioned
        self.X = X - X.mean(axis=0)
        n, p = X.shape
        self.n, self.p = n, p
        self.XX = np.einsum("ni,nj->nij", self.X, self.X).reshape(n, p * p)
        cols = list(res.data.columns)
        cons = list(res.constructs)
        self.blocks = [np.array([cols.index(i) for i in res.blocks[c]]) for c in cons]
        adj = np.zeros((len(cons), len(cons)))
        for s, t in res.structural:
            adj[cons.index(s), cons.index(t)] = 1.0
        self.layout = Layout(tuple(self.blocks), tuple(res.modes[c] for c in cons), adj, p)
        self.refl = np.array([c in res.reflective for c in cons])
        names = _names(res)
        self.names = names
        k = len(cons)
        ci = {c: j for j, c in enumerate(cons)}
        self.sel_path = [(ci[r], ci[lh]) for kind, lh, _, r in names if kind == "path"]
        self.sel_load = [(cols.index(r), ci[lh]) for kind, lh, _, r in names if kind == "loading"]
        self.sel_w = [(cols.index(r), ci[lh]) for kind, lh, _, r in names if kind == "weight"]
        # total and indirect effects interleave in the name order: keep one selection
        self.sel_eff = [(kind == "total", ci[r], ci[lh]) for kind, lh, _, r in names
                        if kind in ("total", "indirect")]
        self.sel_h = [(ci[lh], ci[r]) for kind, lh, _, r in names if kind == "htmt"]
        self.k = k

    def correlations(self, counts: np.ndarray) -> np.ndarray:
        tot = counts.sum(axis=1, keepdims=True)
        m = counts @ self.X / tot
        M2 = (counts @ self.XX).reshape(-1, self.p, self.p) / tot[:, :, None]
        C = M2 - m[:, :, None] * m[:, None, :]
        sd = np.sqrt(np.einsum("bii->bi", C))
        return C / sd[:, :, None] / sd[:, None, :]

    def estimate(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = self.res.settings
        S = self.correlations(counts)
        core = estimate_core(S, self.layout, s.scheme, s.max_iter, s.tol)
        W = core.weights
        SW = S @ W
        R = np.swapaxes(W, 1, 2) @ SW
        mask = self.layout.mask
        L = SW * mask
        if s.consistent and self.refl.any():
            rho = rho_a(W, S, self.layout)
            r = np.where(self.refl[None, :], rho, 1.0)
            R = R / np.sqrt(r[:, :, None] * r[:, None, :])
            idx = np.arange(self.k)
            R[:, idx, idx] = 1.0
            for j in np.flatnonzero(self.refl):
                b = self.blocks[j]
                w = W[:, b, j]
                L[:, b, j] = w * (np.sqrt(rho[:, j]) / np.einsum("bi,bi->b", w, w))[:, None]
        B = paths_from_cor(R, self.layout)
        T = total_effects(B)
        H = htmt_from_cor(S, self.blocks)
        parts = [
            B[:, [a for a, _ in self.sel_path], [b for _, b in self.sel_path]],
            L[:, [a for a, _ in self.sel_load], [b for _, b in self.sel_load]],
            W[:, [a for a, _ in self.sel_w], [b for _, b in self.sel_w]],
            np.where(np.array([tot for tot, _, _ in self.sel_eff])[None, :],
                     T[:, [a for _, a, _ in self.sel_eff], [b for _, _, b in self.sel_eff]],
                     (T - B)[:, [a for _, a, _ in self.sel_eff], [b for _, _, b in self.sel_eff]]),
            H[:, [a for a, _ in self.sel_h], [b for _, b in self.sel_h]],
        ]
        return np.concatenate(parts, axis=1), core.converged


def _slow(res: PLSResult, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    raw = res.raw_data if res.raw_data is not None else res.data
    s = res.settings
    out = np.full((len(counts), len(_names(res))), np.nan)
    ok = np.zeros(len(counts), dtype=bool)
    for r, c in enumerate(counts):
        rows = np.repeat(np.arange(len(raw)), c.astype(int))
        try:
            b = pls(raw.iloc[rows].reset_index(drop=True), res.spec, consistent=s.consistent,
                    scheme=s.scheme, interaction=s.interaction, higher_order=s.higher_order,
                    missing="mean", max_iter=s.max_iter, tol=s.tol)
        except Exception:  # a degenerate resample (e.g. a constant item) is a failed draw
            continue
        out[r] = parameter_vector(b)
        ok[r] = b.converged
    return out, ok


def _fast_ok(res: PLSResult) -> bool:
    return not res.spec.interactions and not res.spec.higher_order


def bootstrap_pls(
    res: PLSResult,
    n_boot: int = 5000,
    seed: int | None = None,
    level: float = 0.95,
    bca: bool = True,
    chunk: int = 1000,
) -> PLSBootstrap:
    """Bootstrap paths, loadings, weights, total and indirect effects and HTMT.

    Parameters
    ----------
    res : PLSResult
        The full-sample estimate.
    n_boot : int
        Number of draws.
    seed : int, optional
        Seed of ``numpy.random.SeedSequence``.
    level : float
        Confidence level of the intervals.
    bca : bool
        Also compute BCa intervals (needs ``n`` jackknife re-estimates).

    Returns
    -------
    PLSBootstrap
    """
    if not (isinstance(n_boot, int) and n_boot >= 2):
        raise EstimationError("PLS bootstrap: n_boot= must be an integer of at least 2.")
    if not 0 < level < 1:
        raise EstimationError("PLS bootstrap: level= must be between 0 and 1.")
    entropy = int(np.random.SeedSequence(seed).entropy)
    n = res.n
    est = parameter_vector(res)
    fast = _fast_ok(res)
    batch = _Batch(res) if fast else None
    run = batch.estimate if fast else (lambda c: _slow(res, c))
    draws, oks = [], []
    with blas_threads(1):
        for start in range(0, n_boot, chunk):
            ids = np.arange(start, min(start + chunk, n_boot))
            d, ok = run(draw_counts(entropy, ids, n))
            draws.append(d)
            oks.append(ok)
        D = np.concatenate(draws)
        ok = np.concatenate(oks) & np.all(np.isfinite(D[:, :est.size - 0]) | np.isnan(est), axis=1)
        D = D[ok]
        jack = None
        if bca:
            J = np.ones((n, n)) - np.eye(n)
            jd = []
            for start in range(0, n, chunk):
                jd.append(run(J[start:start + chunk])[0])
            jack = np.concatenate(jd)
    if D.shape[0] < 2:
        raise EstimationError("PLS bootstrap: fewer than two draws converged.")
    alpha = (1 - level) / 2
    se = D.std(axis=0, ddof=1)
    lo = np.quantile(D, alpha, axis=0)
    hi = np.quantile(D, 1 - alpha, axis=0)
    bl = np.full(est.size, np.nan)
    bh = np.full(est.size, np.nan)
    if jack is not None:
        for j in range(est.size):
            bl[j], bh[j], _, _ = bca_interval(D[:, j], est[j], jack[:, j], level)
    tab = pd.DataFrame(_names(res), columns=["kind", "lhs", "op", "rhs"])
    tab["est"] = est
    tab["boot_mean"] = D.mean(axis=0)
    tab["se"] = se
    with np.errstate(divide="ignore", invalid="ignore"):
        tab["t"] = est / se
    tab["ci_lower"], tab["ci_upper"] = lo, hi
    tab["bca_lower"], tab["bca_upper"] = bl, bh
    return PLSBootstrap(tab, D, n_boot, int(n_boot - D.shape[0]), level, seed)
