"""Executors for embarrassingly parallel work: serially, on local processes or on Dask.

The bootstrap (:mod:`analysis.sem.bootstrap`) and the Monte Carlo power analysis
(:mod:`analysis.study.power`) split their work into *tasks* numbered ``0 .. n-1``.  A task's
result depends only on (payload, task number) -- every task draws its random numbers
from its own ``numpy.random.SeedSequence`` child -- so the result is identical whichever
executor runs it and in which order the chunks finish.  An executor runs
``fn(payload, chunk)`` for chunks of task numbers, where ``fn`` is a picklable top-level
function returning a list of tuples whose first item is the task number, and returns
all tuples sorted by task number.

Executors
---------
* :class:`SerialExecutor` -- in this process.
* :class:`ProcessExecutor` -- ``concurrent.futures.ProcessPoolExecutor`` on this machine.
* :class:`DaskExecutor` -- a ``dask.distributed.Client`` (a scheduler address such as
  ``tcp://10.0.0.5:8786``, or an existing client, e.g. of a ``LocalCluster``); the payload
  is scattered to the workers once.

:func:`make_executor` picks one from command-line style arguments.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from analysis.errors import AllianceSurveyError

__all__ = [
    "DaskExecutor",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "chunks_of",
    "make_executor",
]

TaskFn = Callable[[Any, Sequence[int]], list[tuple]]


def chunks_of(ids: Sequence[int], n_workers: int, max_chunk: int = 50) -> list[list[int]]:
    """Split task numbers into chunks: about four per worker, at most ``max_chunk`` each."""
    ids = list(ids)
    if not ids:
        return []
    size = max(1, min(max_chunk, len(ids) // (4 * max(1, n_workers)) or 1))
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def _progress_bar(total: int, desc: str, show: bool):
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


class Executor:
    """Base class: runs ``fn(payload, chunk)`` over chunks of task numbers."""

    n_workers: int = 1

    def map(self, fn: TaskFn, payload: Any, ids: Sequence[int], *, progress: bool = False,
            desc: str = "tasks", max_chunk: int = 50) -> list[tuple]:
        """Run all tasks ``ids``; returns the tuples of all chunks sorted by task number.

        Parameters
        ----------
        fn : callable
            Top-level (picklable) ``fn(payload, chunk) -> list of (task number, ...)``.
        payload : object
            Read-only data shared by all tasks (pickled once per worker or chunk).
        ids : sequence of int
            Task numbers.
        progress : bool
            Show a tqdm progress bar over the tasks.
        desc : str
            Label of the progress bar.
        max_chunk : int
            Largest number of tasks sent to a worker at once.
        """
        chunks = chunks_of(ids, self.n_workers, max_chunk)
        bar = _progress_bar(len(list(ids)), desc, progress)
        results: list[tuple] = []
        try:
            for part in self._run(fn, payload, chunks):
                results.extend(part)
                if bar is not None:
                    bar.update(len(part))
        finally:
            if bar is not None:
                bar.close()
        results.sort(key=lambda r: r[0])
        return results

    def _run(self, fn: TaskFn, payload: Any, chunks: list[list[int]]):  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:
        """Release resources held by the executor (nothing by default)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        """Short description for reports, e.g. ``"processes (2)"``."""
        return f"{type(self).__name__} ({self.n_workers})"


class SerialExecutor(Executor):
    """Run every chunk in this process, in order."""

    def _run(self, fn, payload, chunks):
        for c in chunks:
            yield fn(payload, c)

    def describe(self) -> str:
        return "serial"


def _one_blas_thread_init() -> None:
    """Worker initializer: one BLAS thread (the workers already use all cores)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


class ProcessExecutor(Executor):
    """Local worker processes (``concurrent.futures.ProcessPoolExecutor``).

    Parameters
    ----------
    n_workers : int, optional
        Number of processes; default all cores.
    """

    def __init__(self, n_workers: int | None = None) -> None:
        self.n_workers = max(1, int(n_workers or os.cpu_count() or 1))

    def _run(self, fn, payload, chunks):
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=self.n_workers,
                                 initializer=_one_blas_thread_init) as ex:
            futs = [ex.submit(fn, payload, c) for c in chunks]
            for fut in as_completed(futs):
                yield fut.result()

    def describe(self) -> str:
        return f"local processes ({self.n_workers})"


class DaskExecutor(Executor):
    """A Dask cluster through ``dask.distributed.Client``.

    Parameters
    ----------
    client : dask.distributed.Client or str
        A client, or the scheduler address to connect to (``tcp://host:8786``).  A client
        created here from an address is closed by :meth:`close`.
    timeout : str
        How long to try to connect to an address.
    """

    def __init__(self, client: Any, timeout: str = "20s") -> None:
        from dask.distributed import Client

        self._own = isinstance(client, str)
        if self._own:
            try:
                client = Client(client, timeout=timeout)
            except (OSError, ValueError, TypeError) as exc:  # unreachable, or not an address
                raise AllianceSurveyError(
                    f"Could not connect to the Dask scheduler at {client!r}: {exc}. Start one "
                    "with `dask scheduler` and workers with `dask worker ADDRESS`, or leave "
                    "out --scheduler to use local processes.") from exc
        self.client = client
        n = len(client.scheduler_info().get("workers", {}))
        self.n_workers = max(1, n)

    def _run(self, fn, payload, chunks):
        from dask.distributed import as_completed

        shared = self.client.scatter(payload, broadcast=True)
        futs = [self.client.submit(fn, shared, c, pure=False) for c in chunks]
        try:
            for fut in as_completed(futs):
                yield fut.result()
        finally:
            for f in futs:
                f.release()

    def close(self) -> None:
        if self._own:
            self.client.close()

    def describe(self) -> str:
        return f"dask ({self.n_workers} workers at {self.client.scheduler.address})"


def max_local_workers() -> int:
    """Most local worker processes :func:`make_executor` starts: four per core, at least 8."""
    return max(8, 4 * (os.cpu_count() or 1))


def make_executor(scheduler: str | Any | None = None, workers: int | None = None) -> Executor:
    """Executor from command-line style arguments.

    Parameters
    ----------
    scheduler : str or dask.distributed.Client, optional
        Dask scheduler address (or a client): run on that cluster.
    workers : int, optional
        Without a scheduler: the number of local processes (``1`` = serial in this
        process; default all cores).

    Returns
    -------
    Executor
    """
    if scheduler is not None:
        return DaskExecutor(scheduler)
    if workers is not None and int(workers) < 1:
        raise AllianceSurveyError(f"workers= must be at least 1, not {workers}.")
    if workers is not None and int(workers) > max_local_workers():
        # every worker is a process with its own copy of the interpreter: 100,000 of them
        # would exhaust the machine before the first replication
        raise AllianceSurveyError(
            f"workers= must be at most {max_local_workers()} on this machine "
            f"({os.cpu_count() or 1} cores), not {workers}; use --scheduler for a cluster.")
    if workers == 1:
        return SerialExecutor()
    return ProcessExecutor(workers)
