"""Group comparisons of a PLS path model by permutation: MICOM and permutation MGA.

Both re-estimate the model in two groups many times with the group labels shuffled.
A group is a 0/1 case weight, so every permutation's two group estimates are one
slice of the batched bootstrap machinery (:mod:`analysis.stats.pls.bootstrap`), not a
Python loop over re-fits.  The groups are cut from the data after the full sample's
missing-value treatment (mean replacement once, on the pooled data).

Permutation ``i`` shuffles with ``numpy.random.SeedSequence(seed, spawn_key=(i,))``,
so the result does not depend on how the permutations are chunked.  p-values count
the permutations at least as extreme as the observed value, ``(#{|d*| >= |d|} + 1) /
(P + 1)`` (Phipson & Smyth 2010).

* :func:`permutation_mga` (Chin & Dibbern 2010): the difference of every structural
  path between the groups against its permutation distribution (two-sided).
* :func:`micom` (Henseler, Ringle & Sarstedt 2016): step 1 configural invariance
  (same model, indicators and data treatment in both groups: holds by construction
  here); step 2 compositional invariance, the correlation ``c`` between the scores
  formed with group 1's and group 2's weights on the pooled standardised data, which
  must not fall below the 5% quantile of its permutation distribution; step 3 equality
  of the composites' means and log variances between the groups (scores from the
  pooled weights), each inside the central 95% of its permutation distribution.
  Compositional invariance allows comparing paths across groups (partial
  invariance); equal means and variances in addition allow pooling (full invariance).

# In R: cSEM::testMICOM(csem(data, model, .id = "group"), .R = 1000)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.blas import blas_threads
from analysis.errors import DataError, ModelSpecificationError
from analysis.stats.pls.bootstrap import _Batch, _fast_ok, _names, _staged_ok, _StagedBatch
from analysis.stats.pls.model import PLSResult

__all__ = ["micom", "permutation_mga", "permutation_labels"]


def _groups(res: PLSResult, group1: Any, what: str) -> np.ndarray:
    g = np.asarray(group1)
    if g.dtype != bool:
        if not np.isin(g, [0, 1]).all():
            raise DataError(f"{what}: group1= must be true/false (or 1/0) per row.")
        g = g.astype(bool)
    if g.shape != (res.n,):
        raise DataError(f"{what}: group1= needs one value per row of the data ({res.n}).")
    if min(g.sum(), (~g).sum()) < 10:
        raise DataError(f"{what}: each group needs at least 10 rows.")
    return g


def permutation_labels(entropy: int, ids: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Shuffled group labels ``(len(ids), n)``; permutation ``i`` from its own seed."""
    out = np.empty((len(ids), g.size), dtype=bool)
    for r, i in enumerate(ids):
        rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(int(i),)))
        out[r] = rng.permutation(g)
    return out


def _runner(res: PLSResult):
    if _fast_ok(res):
        return _Batch(res).estimate
    if _staged_ok(res):
        return _StagedBatch(res).estimate
    raise ModelSpecificationError(
        "Permutation tests need a model whose draws run batched (product-indicator "
        "interactions do not); use interaction='two_stage'.")


def _check_n(n_perm: int, what: str) -> None:
    if isinstance(n_perm, bool) or not isinstance(n_perm, int) or n_perm < 2:
        raise DataError(f"{what}: n_perm= must be an integer of at least 2.")


def _perm_p(observed: np.ndarray, perms: np.ndarray) -> np.ndarray:
    ok = np.isfinite(perms)
    hits = (np.abs(perms) >= np.abs(observed)[None, :] - 1e-12) & ok
    return (hits.sum(axis=0) + 1) / (ok.sum(axis=0) + 1)


def permutation_mga(res: PLSResult, group1: Any, n_perm: int = 1000, seed: int | None = None,
                    chunk: int = 250) -> pd.DataFrame:
    """Permutation multigroup analysis of every structural path (Chin & Dibbern 2010).

    Parameters
    ----------
    res : PLSResult
        The pooled estimate; its settings are used in every group.
    group1 : array of bool
        True for the rows of group 1 (the rest are group 2).
    n_perm : int
        Number of permutations of the group labels.
    seed : int, optional

    Returns
    -------
    DataFrame
        ``source, target, group1, group2, diff, p`` (two-sided permutation p of
        ``diff = group1 - group2``) and ``n_perm`` (usable permutations).

    Notes
    -----
    # In R: cSEM::testMGD(csem(data, model, .id = "g"), .approach_mgd = "Chin", .R_permutation = 1000)
    """
    g = _groups(res, group1, "Permutation MGA")
    _check_n(n_perm, "Permutation MGA")
    run = _runner(res)
    sel = np.array([k for k, (kind, *_r) in enumerate(_names(res)) if kind == "path"])
    entropy = int(np.random.SeedSequence(seed).entropy)
    with blas_threads(1):
        est, ok = run(np.vstack([g, ~g]).astype(float))
        if not ok.all():
            raise DataError("Permutation MGA: the model does not converge in one of the groups.")
        observed = est[0, sel] - est[1, sel]
        diffs = []
        for start in range(0, n_perm, chunk):
            lab = permutation_labels(entropy, np.arange(start, min(start + chunk, n_perm)), g)
            both, conv = run(np.vstack([lab, ~lab]).astype(float))
            m = len(lab)
            d = both[:m, sel] - both[m:, sel]
            d[~(conv[:m] & conv[m:])] = np.nan
            diffs.append(d)
    D = np.vstack(diffs)
    p = _perm_p(observed, D)
    rows = []
    for j, (src, tgt) in enumerate(res.structural):
        rows.append((src, tgt, est[0, sel[j]], est[1, sel[j]], observed[j], p[j],
                     int(np.isfinite(D[:, j]).sum())))
    return pd.DataFrame(rows, columns=["source", "target", "group1", "group2", "diff", "p",
                                       "n_perm"])


def micom(res: PLSResult, group1: Any, n_perm: int = 1000, seed: int | None = None,
          level: float = 0.95, chunk: int = 250) -> pd.DataFrame:
    """MICOM: measurement invariance of composite models (Henseler et al. 2016), steps 1-3.

    Parameters
    ----------
    res : PLSResult
        The pooled estimate of a model without higher-order constructs or interactions.
    group1 : array of bool
    n_perm : int
    seed : int, optional
    level : float
        Step 2 compares ``c`` with the ``1 - level`` quantile (one-sided); step 3 uses
        the central ``level`` interval (two-sided).

    Returns
    -------
    DataFrame
        One row per construct with more than one indicator: ``configural`` (True),
        ``c``, ``c_quantile``, ``c_p`` (share of permutations with a lower ``c``),
        ``compositional``; ``mean_diff`` (group 1 - group 2, scores in pooled SD units),
        ``mean_lower``, ``mean_upper``, ``mean_p``, ``equal_mean``; ``logvar_diff``,
        ``var_lower``, ``var_upper``, ``var_p``, ``equal_var``; and ``invariance``
        ("full", "partial" or "none").

    Notes
    -----
    With the pooled sample's standardised indicators ``Z`` and each group's
    standardised weights ``w1``, ``w2`` (scores of unit variance within that group),
    ``c = cor(Z w1, Z w2)`` over the pooled sample.  Step 3 uses the pooled weights
    ``w`` and scores ``y = Z w``: ``mean_diff = mean(y | g1) - mean(y | g2)`` and
    ``logvar_diff = log var(y | g1) - log var(y | g2)``.
    """
    if res.spec.higher_order or res.spec.interactions:
        raise ModelSpecificationError(
            "MICOM: the procedure is defined for first-order composites; estimate the "
            "model without higher-order constructs and interaction terms.")
    if not 0 < level < 1:
        raise DataError("MICOM: level= must be between 0 and 1.")
    g = _groups(res, group1, "MICOM")
    _check_n(n_perm, "MICOM")
    batch = _Batch(res)
    names = _names(res)
    cols = list(res.data.columns)
    cons = [c for c in res.constructs if len(res.blocks[c]) > 1]
    widx = {c: [k for k, (kind, lhs, _, _) in enumerate(names) if kind == "weight" and lhs == c]
            for c in cons}
    iidx = {c: [cols.index(i) for i in res.blocks[c]] for c in cons}
    Z = ((res.data - res.data.mean()) / res.data.std(ddof=1)).to_numpy()
    S = np.corrcoef(Z, rowvar=False)

    def c_values(est1: np.ndarray, est2: np.ndarray) -> np.ndarray:
        out = np.empty((est1.shape[0], len(cons)))
        for j, c in enumerate(cons):
            w1, w2 = est1[:, widx[c]], est2[:, widx[c]]
            Sc = S[np.ix_(iidx[c], iidx[c])]
            num = np.einsum("bi,ij,bj->b", w1, Sc, w2)
            den = np.sqrt(np.einsum("bi,ij,bj->b", w1, Sc, w1) *
                          np.einsum("bi,ij,bj->b", w2, Sc, w2))
            out[:, j] = num / den
        return out

    Y = Z @ res.weights[cons].to_numpy()  # pooled weights, pooled standardisation

    def moments(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lab = np.atleast_2d(lab).astype(float)
        n1, n2 = lab.sum(axis=1), (1 - lab).sum(axis=1)
        m1, m2 = lab @ Y / n1[:, None], (1 - lab) @ Y / n2[:, None]
        v1 = (lab @ Y**2 - n1[:, None] * m1**2) / (n1[:, None] - 1)
        v2 = ((1 - lab) @ Y**2 - n2[:, None] * m2**2) / (n2[:, None] - 1)
        return m1 - m2, np.log(v1) - np.log(v2)

    entropy = int(np.random.SeedSequence(seed).entropy)
    with blas_threads(1):
        est, ok = batch.estimate(np.vstack([g, ~g]).astype(float))
        if not ok.all():
            raise DataError("MICOM: the model does not converge in one of the groups.")
        c_obs = c_values(est[:1], est[1:])[0]
        md_obs, lv_obs = (x[0] for x in moments(g))
        cs, mds, lvs = [], [], []
        for start in range(0, n_perm, chunk):
            lab = permutation_labels(entropy, np.arange(start, min(start + chunk, n_perm)), g)
            both, conv = batch.estimate(np.vstack([lab, ~lab]).astype(float))
            m = len(lab)
            cv = c_values(both[:m], both[m:])
            cv[~(conv[:m] & conv[m:])] = np.nan
            cs.append(cv)
            md, lv = moments(lab)
            mds.append(md)
            lvs.append(lv)
    C, MD, LV = np.vstack(cs), np.vstack(mds), np.vstack(lvs)
    a = 1 - level
    rows = []
    for j, c in enumerate(cons):
        cj = C[np.isfinite(C[:, j]), j]
        q = float(np.quantile(cj, a))
        c_p = float((np.sum(cj <= c_obs[j]) + 1) / (cj.size + 1))
        m_lo, m_hi = np.quantile(MD[:, j], [a / 2, 1 - a / 2])
        v_lo, v_hi = np.quantile(LV[:, j], [a / 2, 1 - a / 2])
        comp = bool(c_obs[j] >= q)
        eq_m = bool(m_lo <= md_obs[j] <= m_hi)
        eq_v = bool(v_lo <= lv_obs[j] <= v_hi)
        rows.append({
            "construct": c, "configural": True, "c": float(c_obs[j]), "c_quantile": q,
            "c_p": c_p, "compositional": comp, "mean_diff": float(md_obs[j]),
            "mean_lower": float(m_lo), "mean_upper": float(m_hi),
            "mean_p": float(_perm_p(md_obs[j:j + 1], MD[:, j:j + 1])[0]), "equal_mean": eq_m,
            "logvar_diff": float(lv_obs[j]), "var_lower": float(v_lo),
            "var_upper": float(v_hi),
            "var_p": float(_perm_p(lv_obs[j:j + 1], LV[:, j:j + 1])[0]), "equal_var": eq_v,
            "invariance": "full" if comp and eq_m and eq_v else "partial" if comp else "none",
        })
    return pd.DataFrame(rows).set_index("construct")
