"""BLAS thread control for the analysis pipeline.

On a small machine that is also running other work, OpenBLAS threads cost far more than
they gain on the small matrices of SEM estimation (parameters x parameters, statistics x
parameters): every LAPACK call (``svd``, ``cholesky``, ``solve``) runs many small BLAS
operations and each waits for the other threads.  Measured on the 2-core development
machine under load: ``pinv`` of a 2470 x 545 Jacobian 9.4 s with two threads, 0.24 s with
one; the hypothesis tests at N = 100,000 25 s vs 10 s.  The pipeline therefore runs with
one BLAS thread, and only the one large product that scales with N and pays for threads
(the accumulation of the WLSMV Gamma, :mod:`analysis.sem.ordinal`) asks for all cores.
One thread also gives the same rounding on every machine.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext

__all__ = ["blas_threads", "usable_cores"]


def usable_cores() -> int:
    """Number of CPU cores this process may run on (its affinity mask, else the count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def blas_threads(limit: int | None) -> AbstractContextManager:
    """Context in which BLAS uses at most ``limit`` threads (``None``: unchanged).

    Parameters
    ----------
    limit : int or None
        Thread count for the BLAS libraries loaded by numpy/scipy.

    Returns
    -------
    context manager
        ``threadpoolctl.threadpool_limits`` (restores the previous setting on exit).
        The setting is process-wide: it also applies to other threads meanwhile.
    """
    if limit is None:
        return nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return nullcontext()
    return threadpool_limits(limits=int(limit), user_api="blas")
