"""Multigroup analysis of PLS paths: Henseler's bootstrap-based PLS-MGA.

Both groups are estimated separately and bootstrapped; for a path with bootstrap
means ``m1, m2`` and draws ``b1_j, b2_k`` (the first ``J`` usable draws of each
group), the one-sided p-value of "group 1 > group 2" is
``1 - #{(j, k): 2 m1 - b1_j - 2 m2 + b2_k > 0} / J^2`` (Henseler et al. 2009, as
seminr's ``estimate_pls_mga``); values near 0 or 1 indicate a difference.

# In R: seminr::estimate_pls_mga(pls_model, condition, nboot = 2000)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.stats.pls.bootstrap import bootstrap_pls
from analysis.stats.pls.model import PLSResult, pls

__all__ = ["pls_mga"]


def pls_mga(res: PLSResult, group1: np.ndarray, n_boot: int = 2000,
            seed: int | None = None) -> pd.DataFrame:
    """PLS-MGA of every structural path between the rows where ``group1`` is true and the rest.

    Returns
    -------
    DataFrame
        ``source, target, estimate, group1, group2, diff, group1_boot_mean,
        group2_boot_mean, p`` per path.
    """
    g = np.asarray(group1, dtype=bool)
    raw = res.raw_data if res.raw_data is not None else res.data
    if g.shape != (len(raw),):
        raise DataError(f"PLS-MGA: group1= needs one value per row of the data ({len(raw)}).")
    if min(g.sum(), (~g).sum()) < 10:
        raise DataError("PLS-MGA: each group needs at least 10 rows.")
    s = res.settings
    fits, boots = [], []
    for k, rows in enumerate([g, ~g]):
        fit = pls(raw[rows].reset_index(drop=True), res.spec, consistent=s.consistent,
                  scheme=s.scheme, interaction=s.interaction, higher_order=s.higher_order,
                  missing="mean", max_iter=s.max_iter, tol=s.tol)
        fits.append(fit)
        b = bootstrap_pls(fit, n_boot, seed=None if seed is None else seed + k, bca=False)
        boots.append(b.draws[:, (b.table.kind == "path").to_numpy()])
    J = min(len(boots[0]), len(boots[1]))
    b1, b2 = boots[0][:J], boots[1][:J]
    rows = []
    for j, (src, tgt) in enumerate(res.structural):
        m1, m2 = b1[:, j].mean(), b2[:, j].mean()
        # count pairs with 2 m1 - b1_j - 2 m2 + b2_k > 0 by sorting instead of J^2 pairs
        u = 2 * m1 - b1[:, j] - 2 * m2
        v = np.sort(b2[:, j])
        positive = np.sum(J - np.searchsorted(v, -u, side="right"))  # b2_k > -u_j
        rows.append((src, tgt, res.paths.loc[src, tgt], fits[0].paths.loc[src, tgt],
                     fits[1].paths.loc[src, tgt],
                     fits[0].paths.loc[src, tgt] - fits[1].paths.loc[src, tgt], m1, m2,
                     1 - positive / J**2))
    return pd.DataFrame(rows, columns=["source", "target", "estimate", "group1", "group2", "diff",
                                       "group1_boot_mean", "group2_boot_mean", "p"])
