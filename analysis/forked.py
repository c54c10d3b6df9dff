"""Independent parts of one analysis side by side, on forked child processes.

The study's analysis and its report consist of parts that do not depend on each other
(the measurement model and the hypothesis tests; the main body and the online
appendix of the report; the invariance sequences of the scales).  On a machine with
more than one usable core they run side by side: :class:`Forked` runs one call in a
forked child process, :func:`fork_pool` gives a pool of forked workers.

A forked child starts in milliseconds with everything this process has imported and
reads its arguments from its copy of this process's memory (nothing is pickled on the
way in); only the result comes back, pickled, through a pipe.  Each part computes
exactly what it computes in this process, so the results do not depend on whether or
how the parts were spread: where fork is not available, or only one core is usable,
the same calls run here one after the other.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import weakref
from collections.abc import Callable
from typing import Any

from analysis.blas import usable_cores

__all__ = ["Forked", "can_fork", "fork_pool"]


def _hold_blas_lock_across_fork() -> None:
    """A child must not start with the BLAS thread-limit lock held by a thread that does
    not exist in it (the app runs analyses in threads of one process): the lock is taken
    around every fork and released on both sides, as :mod:`logging` does with its own."""
    from analysis import blas

    lock = blas._LOCK
    os.register_at_fork(before=lock.acquire, after_in_parent=lock.release,
                        after_in_child=lock.release)


_hold_blas_lock_across_fork()


def can_fork() -> bool:
    """Whether parts may run on forked children here (fork available, two cores usable)."""
    return usable_cores() > 1 and "fork" in mp.get_all_start_methods()


def _die_with_parent(parent: int) -> None:
    """End this forked process when ``parent`` (the process that forked it) ends.

    Ctrl-C ends the command at once (exit status 130); a part still running on a child,
    or the workers of a child's pool, must not stay behind as orphans that wait for work
    forever.  On Linux the kernel sends SIGTERM on the parent's death (even by SIGKILL);
    elsewhere only the parent's own clean-up ends its children.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            return
    if os.getppid() != parent:  # the parent ended before the line above
        os._exit(1)


def _child(send: Any, fn: Callable[..., Any], args: tuple, kwargs: dict,
           parent: int | None = None, progress: bool = False) -> None:
    if parent is not None:
        _die_with_parent(parent)
    if progress:  # the call's progress messages go to the parent as (None, message)
        kwargs = {**kwargs, "progress": lambda msg: send.send((None, str(msg)))}
    try:
        out: tuple[bool, Any] = (True, fn(*args, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        out = (False, exc)
    try:
        send.send(out)
    except Exception as exc:  # noqa: BLE001 - a result or an error that cannot be pickled
        send.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        send.close()


class Forked:
    """``fn(*args, **kwargs)`` on a forked child process, started at once.

    :meth:`result` returns its value or raises its exception.  Without :func:`can_fork`
    (or with ``fork=False``) nothing starts until :meth:`result`, which then makes the
    call in this process.  With ``on_progress``, ``fn`` is called with a ``progress=``
    callable whose messages :meth:`result` hands to ``on_progress`` while it waits (in
    this process's calling thread, in order).
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, fork: bool = True,
                 on_progress: Callable[[str], None] | None = None, **kwargs: Any) -> None:
        self._call = (fn, args, kwargs)
        self._on_progress = on_progress
        self._proc: Any = None
        self._recv: Any = None
        if fork and can_fork():
            ctx = mp.get_context("fork")
            self._recv, send = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=_child,
                                     args=(send, fn, args, kwargs, os.getpid(),
                                           on_progress is not None),
                                     name=f"analysis-{getattr(fn, '__name__', 'part')}")
            self._proc.start()
            send.close()
            # a part whose result is never asked for (the caller failed first) must not
            # outlive it: the child is ended when this object goes
            self._reaper = weakref.finalize(self, _end, self._proc, self._recv)

    @property
    def forked(self) -> bool:
        """Whether the call runs on a child process."""
        return self._proc is not None

    def result(self) -> Any:
        fn, args, kwargs = self._call
        if self._proc is None:
            if self._on_progress is not None:
                kwargs = {**kwargs, "progress": self._on_progress}
            return fn(*args, **kwargs)
        try:
            ok, value = self._recv.recv()
            while ok is None:  # a progress message
                if self._on_progress is not None:
                    self._on_progress(value)
                ok, value = self._recv.recv()
            self._proc.join()  # it has sent its result and exits
        except EOFError:
            self._proc.join()
            ok, value = False, RuntimeError(
                f"The worker process ended without a result (exit code "
                f"{self._proc.exitcode}).")
        finally:
            self._reaper()
        if ok:
            return value
        raise value


def _end(proc: Any, recv: Any) -> None:
    recv.close()
    if proc.is_alive():
        proc.terminate()
        proc.join()


def fork_pool(n_jobs: int) -> Any:
    """A ``ProcessPoolExecutor`` of ``n_jobs`` forked workers, or None (fewer than two
    workers asked for, or :func:`can_fork` is false)."""
    from concurrent.futures import ProcessPoolExecutor

    if n_jobs < 2 or not can_fork():
        return None
    return ProcessPoolExecutor(max_workers=n_jobs, mp_context=mp.get_context("fork"),
                               initializer=_die_with_parent, initargs=(os.getpid(),))
