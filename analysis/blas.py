"""BLAS thread control for the analysis pipeline.

On a small machine that is also running other work, OpenBLAS threads cost far more than
they gain on the small matrices of SEM estimation (parameters x parameters, statistics x
parameters): every LAPACK call (``svd``, ``cholesky``, ``solve``) runs many small BLAS
operations and each waits for the other threads.  Measured on the 2-core development
machine under load: ``pinv`` of a 2470 x 545 Jacobian 9.4 s with two threads, 0.24 s with
one; the hypothesis tests at N = 100,000 25 s vs 10 s.  The pipeline therefore runs with
one BLAS thread, and only the one large product that scales with N and pays for threads
(the accumulation of the WLSMV Gamma, :mod:`analysis.sem.ordinal`) asks for all cores.
One thread also keeps the rounding the same from run to run on one machine.

The thread count is a process-wide setting, and the Streamlit server runs several
sessions' analyses in threads of one process.  :func:`blas_threads` therefore keeps one
process-wide stack of the active limits under a lock: the latest active limit applies,
and when the last one ends the setting found before the first one began is restored,
however the contexts of different threads overlap.
"""

from __future__ import annotations

import itertools
import os
import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Any

__all__ = ["blas_threads", "usable_cores"]

# Process-wide by nature (the BLAS libraries' own thread setting): guarded by _LOCK.
_LOCK = threading.Lock()
_ACTIVE: list[tuple[int, int]] = []  # (token, limit) of the contexts now open, in order
_SAVED: dict[str, Any] = {"controllers": [], "base": []}
_TOKENS = itertools.count()


def usable_cores() -> int:
    """Number of CPU cores this process may run on (its affinity mask, else the count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


#: The BLAS libraries' controllers, found once per process (guarded by _LOCK): finding
#: them reads the process's memory map, about 4 ms, and the invariance step alone entered
#: a limit 324 times (1.3 s on the demo).  A forked child inherits them with the libraries.
_CONTROLLERS: list[Any] = []


def _blas_controllers() -> list[Any]:
    if not _CONTROLLERS:
        # SciPy brings its own OpenBLAS, loaded with scipy.linalg: a library loaded after
        # this search would never be limited (it ran every LAPACK call of scipy.linalg with
        # all cores in each of the pipeline's processes at once)
        import scipy.linalg  # noqa: F401
        from threadpoolctl import ThreadpoolController

        _CONTROLLERS[:] = [c for c in ThreadpoolController().lib_controllers
                           if c.user_api == "blas"]
    return _CONTROLLERS


class _Limit(AbstractContextManager):
    """One entry of the process-wide stack of BLAS thread limits."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, int(limit))
        self.token: int | None = None

    def __enter__(self) -> _Limit:
        with _LOCK:
            if not _ACTIVE:  # first user: remember the setting to come back to
                ctrls = _blas_controllers()
                _SAVED["controllers"] = ctrls
                _SAVED["base"] = [c.num_threads for c in ctrls]
            self.token = next(_TOKENS)
            _ACTIVE.append((self.token, self.limit))
            for c in _SAVED["controllers"]:
                c.set_num_threads(self.limit)
        return self

    def __exit__(self, *exc: object) -> None:
        with _LOCK:
            _ACTIVE[:] = [e for e in _ACTIVE if e[0] != self.token]
            if _ACTIVE:
                for c in _SAVED["controllers"]:
                    c.set_num_threads(_ACTIVE[-1][1])
            else:
                for c, n in zip(_SAVED["controllers"], _SAVED["base"], strict=True):
                    c.set_num_threads(n)
        return None


def blas_threads(limit: int | None) -> AbstractContextManager:
    """Context in which BLAS uses at most ``limit`` threads (``None``: unchanged).

    Parameters
    ----------
    limit : int or None
        Thread count for the BLAS libraries loaded by numpy/scipy.

    Returns
    -------
    context manager
        Restores, when the last open limit of the process ends (also on an exception),
        the setting in force before the first one began.  The setting is process-wide:
        while several threads hold limits, the most recently entered one applies.
    """
    if limit is None:
        return nullcontext()
    return _Limit(limit)
