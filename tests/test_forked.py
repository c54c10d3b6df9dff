"""analysis.forked: a call on a forked child gives what the same call gives here."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from analysis.errors import DataError
from analysis.forked import Forked, can_fork


def _draws(seed: int, n: int) -> tuple[int, np.ndarray]:
    return os.getpid(), np.random.default_rng(seed).normal(size=n)


def _fails(what: str) -> None:
    raise DataError(f"The data lack {what}.")


def _sleep(s: float) -> int:
    time.sleep(s)
    return os.getpid()


@pytest.mark.skipif(not can_fork(), reason="needs fork and two usable cores")
def test_child_result_equals_the_call_here():
    job = Forked(_draws, 7, n=1000)
    assert job.forked
    pid, there = job.result()
    here_pid, here = Forked(_draws, 7, n=1000, fork=False).result()
    assert pid != os.getpid() and here_pid == os.getpid()
    assert there.tobytes() == here.tobytes()


def test_the_error_of_the_call_is_raised_with_its_message():
    for fork in (True, False):
        with pytest.raises(DataError, match="The data lack item x1."):
            Forked(_fails, "item x1", fork=fork).result()


@pytest.mark.skipif(not can_fork(), reason="needs fork and two usable cores")
def test_a_child_whose_result_is_never_asked_for_ends_with_its_owner():
    import gc

    job = Forked(_sleep, 30.0)
    proc = job._proc
    del job
    gc.collect()
    proc.join(timeout=5.0)
    assert not proc.is_alive()


def _steps(n: int, progress) -> tuple[int, int]:
    for k in range(n):
        progress(f"step {k}")
    return os.getpid(), n


@pytest.mark.parametrize("fork", [True, False])
def test_progress_messages_reach_the_caller_in_order(fork):
    # the Analysis tab runs the report on a child: its progress messages come back
    # through the pipe, in order, before the result; without fork the same call is
    # made here with the same callback
    if fork and not can_fork():
        pytest.skip("needs fork and two usable cores")
    seen: list[str] = []
    job = Forked(_steps, 5, fork=fork, on_progress=seen.append)
    assert job.forked is fork
    pid, n = job.result()
    assert n == 5 and seen == [f"step {k}" for k in range(5)]
    assert (pid != os.getpid()) is fork


@pytest.mark.skipif(not can_fork(), reason="needs fork and two usable cores")
def test_progress_then_an_error_raises_the_error():
    def fails_late(progress):
        progress("half way")
        raise DataError("The data lack a column.")

    seen: list[str] = []
    with pytest.raises(DataError, match="lack a column"):
        Forked(fails_late, on_progress=seen.append).result()
    assert seen == ["half way"]
