"""Case-resampling bootstrap of PLS estimates, batched over draws.

A draw is a vector of case counts; the weighted correlation matrix of the
indicators is all the PLS algorithm needs (:mod:`analysis.stats.pls.engine`), so
thousands of draws are estimated together as one ``(B, p, p)`` array.  Draw ``i``
takes its cases from the ``i``-th child of ``numpy.random.SeedSequence(seed)``, so
the draws do not depend on how they are chunked or where they run (the same
design as :mod:`analysis.sem.bootstrap`).  Two-stage models (higher-order constructs,
two-stage interaction terms), whose derived indicators depend on each sample, run
batched too: each draw's first-stage scores and score products are formed from that
draw's own estimates, on case values weighted by the draw's counts
(:class:`_StagedBatch`; the same numbers as re-estimating the resample, about 25 times
faster on the study model).  Only product-indicator and orthogonalised interactions are
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
from analysis.stats.pls.syntax import PLSSpec

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
        return self.from_cor(self.correlations(counts))

    def from_cor(self, S: np.ndarray, scale: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Parameter vectors from the final-stage indicator correlations ``S (B, p, p)``.

        ``scale (B, K)`` is the Henseler-Chin rescaling of interaction scores (1 for
        every other construct), applied to loadings and, without PLSc, to the paths
        as in :func:`analysis.stats.pls.model.pls`.
        """
        s = self.res.settings
        core = estimate_core(S, self.layout, s.scheme, s.max_iter, s.tol)
        W = core.weights
        SW = S @ W
        R = np.swapaxes(W, 1, 2) @ SW
        mask = self.layout.mask
        L = SW * mask
        if scale is not None:
            L = L * scale[:, None, :]
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
        if scale is not None and not s.consistent:
            B = B / scale[:, :, None]
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


def _stage_layout(spec: PLSSpec, interaction_columns: bool) -> tuple[list[str], Layout]:
    """Items and layout of one stage, in the order :func:`analysis.stats.pls.model.pls` uses."""
    constructs = list(spec.structural_constructs)
    blocks = {c: (f"{c}_intxn",) if ":" in c else spec.block(c)[2] for c in constructs}
    if not interaction_columns and spec.interactions:
        raise ValueError("stage with interactions")
    items = list(dict.fromkeys(i for c in constructs for i in blocks[c]))
    pos = {c: i for i, c in enumerate(items)}
    adj = np.zeros((len(constructs), len(constructs)))
    ci = {c: k for k, c in enumerate(constructs)}
    for a, b in spec.paths:
        adj[ci[a], ci[b]] = 1.0
    layout = Layout(tuple(np.array([pos[i] for i in blocks[c]]) for c in constructs),
                    tuple("A" if ":" in c else spec.block(c)[1] for c in constructs), adj,
                    len(items))
    return items, layout


class _StagedBatch:
    """Batched draws of two-stage models: higher-order constructs and interaction terms.

    A draw's derived indicators (first-stage scores of the lower-order constructs,
    products of construct scores) are formed from that draw's own estimates, exactly as
    :func:`~analysis.stats.pls.model.pls` forms them on a resample, but for a chunk of
    draws at once: every column is kept per draw as case values ``(B, n)``, standardised
    with the draw's case weights, and each stage runs the batched algorithm on the
    weighted correlations.
    """

    def __init__(self, res: PLSResult) -> None:
        self.res = res
        self.final = _Batch(res)
        raw = res.raw_data if res.raw_data is not None else res.data
        self.raw_cols = list(raw.columns)
        X = raw.to_numpy(dtype=float)
        self.X = X - X.mean(axis=0)
        spec, s = res.spec, res.settings
        self.stages: list[tuple[str, list[str], Layout, tuple[str, ...], tuple[str, ...]]] = []
        if spec.higher_order:
            from analysis.stats.pls.model import _first_stage_spec

            first = _first_stage_spec(spec, s.higher_order)
            items, lay = _stage_layout(first, False)
            dims = tuple(dict.fromkeys(d for h in spec.higher_order for d in spec.block(h)[2]))
            self.stages.append(("scores", items, lay,
                                tuple(first.structural_constructs), dims))
        if spec.interactions:
            base = PLSSpec(spec.blocks, tuple(p for p in spec.paths if ":" not in p[0]))
            items, lay = _stage_layout(base, False)
            self.stages.append(("products", items, lay, tuple(base.structural_constructs),
                                spec.interactions))
        self.final_items = list(res.data.columns)
        cons = list(res.constructs)
        self.inter = [k for k, c in enumerate(cons) if ":" in c]

    @staticmethod
    def _wcor(V: np.ndarray, c: np.ndarray, tot: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                        np.ndarray]:
        """Standardised columns, correlations and population SDs under case weights."""
        m = (c[:, None, :] @ V)[:, 0, :] / tot[:, None]
        Vc = V - m[:, None, :]
        C = np.swapaxes(Vc * c[:, :, None], 1, 2) @ Vc / tot[:, None, None]
        sd = np.sqrt(np.einsum("bii->bi", C))
        Vc /= sd[:, None, :]
        S = C / sd[:, :, None] / sd[:, None, :]
        return Vc, S, sd

    def estimate(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = self.res.settings
        c = np.asarray(counts, dtype=float)
        tot = c.sum(axis=1)
        nb = c.shape[0]
        cols: dict[str, np.ndarray] = {}
        Xb = np.broadcast_to(self.X, (nb, *self.X.shape))
        for j, name in enumerate(self.raw_cols):
            cols[name] = Xb[:, :, j]
        ok = np.ones(nb, dtype=bool)
        for what, items, lay, cons, made in self.stages:
            V = np.stack([cols[i] for i in items], axis=2)
            Z, S, _ = self._wcor(V, c, tot)
            core = estimate_core(S, lay, s.scheme, s.max_iter, s.tol)
            ok &= core.converged
            Y = Z @ core.weights  # (B, n, K): unit weighted variance
            ci = {k: j for j, k in enumerate(cons)}
            if what == "scores":
                for d in made:
                    cols[d] = Y[:, :, ci[d]]
            else:
                for name in made:
                    a, b = name.split(":")
                    cols[f"{name}_intxn"] = Y[:, :, ci[a]] * Y[:, :, ci[b]]
        V = np.stack([cols[i] for i in self.final_items], axis=2)
        _, S, sd = self._wcor(V, c, tot)
        scale = None
        if self.inter:
            scale = np.ones((nb, len(self.res.constructs)))
            for k in self.inter:
                j = self.final.blocks[k][0]
                # the one-column block's loading is 1: the scale is the product's SD
                # as pls() computes it on the resample (n - 1 denominator)
                scale[:, k] = sd[:, j] * np.sqrt((tot - 1) / tot)
        out, conv = self.final.from_cor(S, scale)
        return out, conv & ok


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


def _staged_ok(res: PLSResult) -> bool:
    """Two-stage interactions and higher-order constructs run batched; others draw by draw."""
    s = res.settings
    return not res.spec.interactions or s.interaction == "two_stage"


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
    if _fast_ok(res):
        run = _Batch(res).estimate
    elif _staged_ok(res):
        run = _StagedBatch(res).estimate
    else:
        run = lambda c: _slow(res, c)  # noqa: E731
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
