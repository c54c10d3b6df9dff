"""Quality criteria of a PLS path model (Hair et al. 2019's reporting set).

Each function takes a :class:`~analysis.stats.pls.model.PLSResult` and returns a tidy
DataFrame; values follow seminr 2.3's ``summary()``.  Thresholds are not applied
here: the report shows them next to the values.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from analysis.stats.pls.model import PLSResult, pls
from analysis.stats.pls.syntax import PLSSpec

__all__ = ["cross_loadings", "fornell_larcker", "fsquared", "htmt", "reliability",
           "vif_inner", "vif_items", "htmt_from_cor"]


def _item_cor(res: PLSResult) -> pd.DataFrame:
    return res.data.corr()


def reliability(res: PLSResult) -> pd.DataFrame:
    """Cronbach's alpha, rho_C, AVE and rho_A per construct.

    Notes
    -----
    ``alpha = k/(k-1) (1 - k / 1'R1)`` on the item correlations;
    ``rho_C = (sum l)^2 / ((sum l)^2 + sum(1 - l^2))``; ``AVE = mean(l^2)`` on the
    loadings (PLSc loadings when consistent); rho_A of Dijkstra & Henseler (2015),
    1 for mode B blocks, single items and interaction terms.  One-item blocks get 1.

    # In R: summary(seminr_model)$reliability
    """
    R = _item_cor(res)
    rows = []
    for c in res.constructs:
        items = list(res.blocks[c])
        k = len(items)
        if k == 1:
            rows.append((c, 1.0, 1.0, 1.0, 1.0))
            continue
        Rb = R.loc[items, items].to_numpy()
        alpha = k / (k - 1) * (1 - k / Rb.sum())
        lam = res.loadings.loc[items, c].to_numpy()
        rhoc = lam.sum() ** 2 / (lam.sum() ** 2 + np.sum(1 - lam**2))
        ave = float(np.mean(lam**2))
        rhoa = 1.0 if (res.modes[c] == "B" or ":" in c) else float(res.rho_a[c])
        rows.append((c, alpha, rhoc, ave, rhoa))
    return pd.DataFrame(rows, columns=["construct", "alpha", "rho_c", "ave", "rho_a"]).set_index("construct")


def keying_conflicts(res: PLSResult) -> dict[str, dict[str, float]]:
    """Reflective (mode A) constructs whose items load in both directions:
    ``{construct: {item: loading}}`` with the items of the smaller group of signs (the
    negative ones on a tie).  Their alpha, rho_C and rho_A add items keyed both ways
    and are not meaningful (see :func:`analysis.stats.reliability.keying_conflicts`)."""
    from analysis.stats.reliability import odd_signs

    out: dict[str, dict[str, float]] = {}
    for c in res.constructs:
        items = list(res.blocks[c])
        if res.modes[c] != "A" or ":" in c or len(items) < 2:
            continue
        odd = odd_signs(res.loadings.loc[items, c])
        if odd:
            out[str(c)] = odd
    return out


def htmt_from_cor(R: np.ndarray, blocks: list[np.ndarray]) -> np.ndarray:
    """Heterotrait–monotrait ratios from item correlations (also batched on axis 0).

    Notes
    -----
    ``HTMT_ij = mean|r(x_i, x_j)| / sqrt(mean_{a<b}|r(x_ia, x_ib)| mean_{a<b}|r(x_ja, x_jb)|)``
    with absolute correlations, as seminr; the monotrait mean of a one-item block is 1.
    Returns the lower triangle (row > column), NaN elsewhere.
    """
    R = np.abs(np.asarray(R, dtype=float))
    batched = R.ndim == 3
    if not batched:
        R = R[None]
    k = len(blocks)
    mono = np.ones((R.shape[0], k))
    for j, idx in enumerate(blocks):
        if idx.size > 1:
            sub = R[:, idx][:, :, idx]
            iu = np.triu_indices(idx.size, 1)
            mono[:, j] = sub[:, iu[0], iu[1]].mean(axis=1)
    out = np.full((R.shape[0], k, k), np.nan)
    for i in range(k):
        for j in range(i):
            het = R[:, blocks[i]][:, :, blocks[j]].mean(axis=(1, 2))
            out[:, i, j] = het / np.sqrt(mono[:, i] * mono[:, j])
    return out if batched else out[0]


def htmt(res: PLSResult) -> pd.DataFrame:
    """HTMT matrix (lower triangle) of the constructs; ``summary(model)$validity$htmt``."""
    cols = list(res.data.columns)
    blocks = [np.array([cols.index(i) for i in res.blocks[c]]) for c in res.constructs]
    H = htmt_from_cor(res.data.corr().to_numpy(), blocks)
    return pd.DataFrame(H, index=res.constructs, columns=res.constructs)


def fornell_larcker(res: PLSResult) -> pd.DataFrame:
    """sqrt(AVE) on the diagonal, construct correlations below it (NaN above)."""
    R = res.scores.corr().to_numpy().copy()
    R[np.triu_indices_from(R, 1)] = np.nan
    np.fill_diagonal(R, np.sqrt(reliability(res)["ave"].to_numpy()))
    return pd.DataFrame(R, index=res.constructs, columns=res.constructs)


def cross_loadings(res: PLSResult) -> pd.DataFrame:
    """Correlations of every indicator with every construct score."""
    Z = res.data
    Y = res.scores
    C = np.corrcoef(np.column_stack([Z.to_numpy(), Y.to_numpy()]), rowvar=False)
    p = Z.shape[1]
    return pd.DataFrame(C[:p, p:], index=Z.columns, columns=Y.columns)


def _vif(R: np.ndarray) -> np.ndarray:
    """VIFs ``1 / (1 - R^2_j)`` from a correlation matrix; ``inf`` for a variable that the
    others reproduce exactly.

    Inverting a singular matrix gave numerical noise instead (VIFs near 1e15, or an
    error); seminr reports NA for such an item.  Variables outside the exact dependency
    keep their finite VIF (least squares on the others).
    """
    R = np.asarray(R, dtype=float)
    p = len(R)
    vals, vecs = np.linalg.eigh(R)
    tol = vals.max() * p * np.finfo(float).eps
    null = vecs[:, vals <= tol]
    if null.shape[1] == 0:
        return np.diag(np.linalg.inv(R))
    involved = np.abs(null).max(axis=1) > np.sqrt(np.finfo(float).eps)
    out = np.full(p, np.inf)
    for j in np.flatnonzero(~involved):
        o = np.delete(np.arange(p), j)
        coef = np.linalg.lstsq(R[np.ix_(o, o)], R[o, j], rcond=None)[0]
        out[j] = 1.0 / (1.0 - float(R[j, o] @ coef))
    return out


def vif_items(res: PLSResult) -> pd.DataFrame:
    """Collinearity of the indicators within each block (VIF; 1 for one-item blocks;
    ``inf`` for an item the block's other items reproduce exactly, where seminr says NA)."""
    R = _item_cor(res)
    rows = []
    for c in res.constructs:
        items = list(res.blocks[c])
        v = [1.0] if len(items) == 1 else _vif(R.loc[items, items].to_numpy())
        rows.extend((c, i, float(x)) for i, x in zip(items, v, strict=True))
    return pd.DataFrame(rows, columns=["construct", "item", "vif"])


def vif_inner(res: PLSResult) -> pd.DataFrame:
    """Collinearity of the predictors of each endogenous construct (NaN with one predictor)."""
    R = res.scores.corr()
    rows = []
    for t in res.constructs:
        preds = [s for s, tt in res.structural if tt == t]
        if not preds:
            continue
        v = [np.nan] if len(preds) == 1 else _vif(R.loc[preds, preds].to_numpy())
        rows.extend((t, s, float(x)) for s, x in zip(preds, v, strict=True))
    return pd.DataFrame(rows, columns=["target", "source", "vif"])


def fsquared(res: PLSResult, paths: list[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Cohen's f^2 of every path (or of ``paths``, ``(source, target)`` pairs),
    re-estimating the model without it (as seminr, SmartPLS).

    Notes
    -----
    ``f^2 = (R^2_incl - R^2_excl) / (1 - R^2_incl)``.  The two constructs of an
    interaction term ``A:B -> Y`` get an f^2 for ``A -> Y`` and ``B -> Y`` like any other
    path (the model without that path, the interaction kept); seminr 2.3 reports NA for
    them.
    """
    rows = []
    r2 = res.rsquared["r2"]
    raw = res.raw_data if res.raw_data is not None else res.data
    s = res.settings
    for src, tgt in res.structural:
        if paths is not None and (src, tgt) not in paths:
            continue
        kept = tuple(p for p in res.spec.paths if p != (src, tgt))
        if not any(t == tgt for _, t in kept):
            excl = 0.0
        else:
            red = pls(raw, PLSSpec(_blocks_of(res.spec, kept), kept), consistent=s.consistent,
                      scheme=s.scheme, interaction=s.interaction, higher_order=s.higher_order,
                      missing="mean", max_iter=s.max_iter, tol=s.tol)
            excl = float(red.rsquared.loc[tgt, "r2"])
        f2 = (r2[tgt] - excl) / (1 - r2[tgt])
        rows.append((tgt, src, float(f2)))
    return pd.DataFrame(rows, columns=["target", "source", "f2"])


def _blocks_of(spec: PLSSpec, paths: tuple[tuple[str, str], ...]) -> tuple:
    """The blocks of the constructs that ``paths`` still use, with the dimensions of the
    higher-order ones among them: a construct whose only path was left out is left out
    too (the model without H -> Y, H's only path, had kept H and its dimensions in no
    path, and the refit failed with a KeyError)."""
    names = set(spec.constructs)
    stack = [part for p in paths for term in p for part in term.split(":")]
    keep: set[str] = set()
    while stack:
        c = stack.pop()
        if c in keep or c not in names:
            continue
        keep.add(c)
        stack.extend(i for i in spec.block(c)[2] if i in names and i != c)
    return tuple(b for b in spec.blocks if b[0] in keep)


_ = replace
