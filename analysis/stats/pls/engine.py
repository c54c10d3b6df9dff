"""The PLS path-modelling algorithm on correlation matrices, batched.

Everything Wold's iterative algorithm needs is a function of the indicators'
correlation matrix ``S``: with standardised indicators ``Z`` and weights
``W`` the construct scores are ``Y = Z W``, their correlations ``W'SW`` and
the covariances of the indicators with any linear combination of scores
``S W E``.  Working on ``S`` lets one call estimate many samples at once
(bootstrap draws, jackknife and cross-validation folds), each as one slice
of a ``(B, p, p)`` array, without a Python loop over samples.

Settings follow seminr 2.3 (``simplePLS``): all weights start at 1; each
iteration standardises the outer proxies, forms inner proxies with the path,
factor or centroid scheme, updates the weights by mode A (covariances) or mode
B (regression), rescales them to unit score variance, and stops when the sum of
absolute weight changes falls below ``tol`` (default ``1e-7``) or after
``max_iter`` (300) iterations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CoreResult", "Layout", "estimate_core", "rho_a", "paths_from_cor"]


@dataclass(frozen=True)
class Layout:
    """Index structure of one PLS model: which columns measure which construct.

    Attributes
    ----------
    blocks : tuple of int arrays
        Column indices of each construct's indicators (in construct order).
    modes : tuple of str
        ``"A"`` or ``"B"`` per construct.
    adjacency : ndarray (K, K)
        ``adjacency[j, k] = 1`` for a path ``j -> k``.
    p : int
        Number of indicator columns.
    """

    blocks: tuple[np.ndarray, ...]
    modes: tuple[str, ...]
    adjacency: np.ndarray
    p: int

    @property
    def k(self) -> int:
        return len(self.blocks)

    @property
    def mask(self) -> np.ndarray:
        m = np.zeros((self.p, self.k))
        for j, idx in enumerate(self.blocks):
            m[idx, j] = 1.0
        return m

    @property
    def endogenous(self) -> list[int]:
        return [k for k in range(self.k) if self.adjacency[:, k].any()]

    def predictors(self, k: int) -> np.ndarray:
        return np.flatnonzero(self.adjacency[:, k])


@dataclass(frozen=True)
class CoreResult:
    """Weights and iteration record of a batch of PLS estimates."""

    weights: np.ndarray  # (B, p, K), scores have unit variance
    iterations: np.ndarray  # (B,)
    converged: np.ndarray  # (B,) bool


def _standardise(W: np.ndarray, S: np.ndarray) -> np.ndarray:
    var = np.einsum("bpk,bpk->bk", W, S @ W)
    with np.errstate(invalid="ignore", divide="ignore"):
        return W / np.sqrt(var)[:, None, :]


def paths_from_cor(R: np.ndarray, layout: Layout) -> np.ndarray:
    """OLS path coefficients ``(B, K, K)`` from construct correlations ``R (B, K, K)``."""
    B = np.zeros_like(R)
    for k in layout.endogenous:
        pred = layout.predictors(k)
        Rxx = R[:, pred][:, :, pred]
        rxy = R[:, pred, k]
        B[:, pred, k] = np.linalg.solve(Rxx, rxy[..., None])[..., 0]
    return B


def _inner(R: np.ndarray, layout: Layout, scheme: str) -> np.ndarray:
    P = layout.adjacency
    both = P + P.T
    if scheme == "factor":
        return R * both
    if scheme == "centroid":
        return np.sign(R) * both
    # path weighting: successors by correlation, predecessors by regression
    E = R * P.T
    for k in layout.endogenous:
        pred = layout.predictors(k)
        Rxx = R[:, pred][:, :, pred]
        E[:, pred, k] = np.linalg.solve(Rxx, R[:, pred, k][..., None])[..., 0]
    return E


def estimate_core(
    S: np.ndarray,
    layout: Layout,
    scheme: str = "path",
    max_iter: int = 300,
    tol: float = 1e-7,
) -> CoreResult:
    """Run the PLS algorithm on a batch of indicator correlation matrices.

    Parameters
    ----------
    S : ndarray (B, p, p) or (p, p)
        Correlation matrices of the indicator columns.
    layout : Layout
        Blocks, modes and structural adjacency.
    scheme : {"path", "factor", "centroid"}
        Inner weighting scheme.

    Returns
    -------
    CoreResult
        Standardised outer weights (``Y = Z W`` has unit variance), iterations
        used and whether the stopping rule was met, per sample.
    """
    S = np.asarray(S, dtype=float)
    if S.ndim == 2:
        S = S[None]
    nb = S.shape[0]
    mask = layout.mask
    W = np.broadcast_to(mask, (nb, *mask.shape)).copy()
    last = W.copy()
    done = np.zeros(nb, dtype=bool)
    iters = np.zeros(nb, dtype=int)
    mode_b = [j for j, m in enumerate(layout.modes) if m == "B" and layout.blocks[j].size > 1]
    for it in range(max_iter + 1):
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        every = act.size == nb
        Sa = S if every else S[act]  # avoid copying the batch while every sample iterates
        Wn = _standardise(W if every else W[act], Sa)
        SW = Sa @ Wn
        R = np.swapaxes(Wn, 1, 2) @ SW
        E = _inner(R, layout, scheme)
        C = SW @ E  # cov(indicator, inner proxy), up to a scale per construct
        Wnew = C * mask
        for j in mode_b:
            idx = layout.blocks[j]
            Sjj = Sa[:, idx][:, :, idx]
            Wnew[:, idx, j] = np.linalg.solve(Sjj, C[:, idx, j][..., None])[..., 0]
        Wnew = _standardise(Wnew, Sa)
        diff = np.abs(Wnew - (last if every else last[act])).sum(axis=(1, 2))
        if every:
            W, last = Wnew, Wnew.copy()
        else:
            W[act] = Wnew
            last[act] = Wnew
        iters[act] = it
        conv = diff < tol
        done[act[conv]] = True
    return CoreResult(weights=W, iterations=iters, converged=done)


def rho_a(W: np.ndarray, S: np.ndarray, layout: Layout) -> np.ndarray:
    """Dijkstra–Henseler's rho_A per construct, ``(B, K)``; 1 for one-indicator blocks.

    Notes
    -----
    With a block's weights ``w`` and indicator correlations ``S`` (diagonal set to 0),
    ``rho_A = (w'w)^2 * (w' S w) / (w' (w w' - diag(w w')) w)``.
    """
    out = np.ones((W.shape[0], layout.k))
    for j, idx in enumerate(layout.blocks):
        if idx.size < 2:
            continue
        w = W[:, idx, j]
        Sjj = S[:, idx][:, :, idx].copy()
        Sjj[:, np.arange(idx.size), np.arange(idx.size)] = 0.0
        ww = np.einsum("bi,bi->b", w, w)
        num = np.einsum("bi,bij,bj->b", w, Sjj, w)
        den = ww**2 - np.einsum("bi,bi->b", w**2, w**2)
        out[:, j] = ww**2 * num / den
    return out
