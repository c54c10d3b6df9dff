"""Half-vectorisation in lavaan's order, shared by every module of the engine.

``vech`` runs over the lower triangle column by column, diagonal included: the
order of lavaan's sample moments (``lavInspect(fit, "wls.obs")``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=64)
def _vech_idx(p: int) -> tuple[np.ndarray, np.ndarray]:
    cols, rows = np.triu_indices(p)  # upper triangle row-wise = lower triangle column-wise
    r = rows.astype(np.intp)
    c = cols.astype(np.intp)
    r.setflags(write=False)
    c.setflags(write=False)
    return r, c


def vech_indices(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of ``vech`` (read-only, cached).

    # In R: lavaan::lav_matrix_vech_idx(p)
    """
    return _vech_idx(int(p))


def vech(a: np.ndarray) -> np.ndarray:
    """Half-vectorisation of a symmetric matrix in lavaan's order.

    # In R: lavaan::lav_matrix_vech(a)
    """
    r, c = vech_indices(np.shape(a)[0])
    return np.asarray(a)[r, c]


@lru_cache(maxsize=64)
def _dup(p: int) -> np.ndarray:
    r, c = vech_indices(p)
    d = np.zeros((p * p, len(r)))
    for k, (i, j) in enumerate(zip(r, c, strict=True)):
        d[i * p + j, k] = 1.0
        d[j * p + i, k] = 1.0
    d.setflags(write=False)
    return d


def duplication_matrix(p: int) -> np.ndarray:
    """Duplication matrix ``D`` with ``vec(S) = D @ vech(S)`` (read-only, cached).

    # In R: lavaan::lav_matrix_duplication(p)
    """
    return _dup(int(p))
