"""Worker functions for the concurrency tests (importable by spawned processes)."""

from __future__ import annotations

import threading

from instruments.store import ResponseStore
from tests.store.fake_instrument import FakeInstrument, full_response


def answer_survey(store: ResponseStore, token: str, seed: int, barrier=None) -> int:  # noqa: ANN001
    """Walk through every page, submitting each page twice (a double click); return the
    number of first-time submissions."""
    if barrier is not None:
        barrier.wait()
    store.start(token)
    new = 0
    for page, answers in full_response(seed).items():
        for _ in range(2):
            result = store.submit_page(token, page, answers, submission_key=f"{page}-{seed}")
            new += not result.duplicate
    return new


def double_click(store: ResponseStore, token: str, barrier: threading.Barrier) -> bool:
    """Submit the consent page with one key at the same moment as another thread."""
    barrier.wait()
    return store.submit_page(token, "consent", {"consent": True}, submission_key="same").duplicate


def process_worker(args: tuple[str, list[tuple[str, int]]]) -> int:
    """Open a store of its own (a separate process) and answer for several respondents,
    one thread per respondent."""
    url, jobs = args
    store = ResponseStore(url, instrument=FakeInstrument())
    results: list[int] = []
    errors: list[BaseException] = []

    def run(token: str, seed: int) -> None:
        try:
            results.append(answer_survey(store, token, seed))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            errors.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.dispose()
    if errors:
        raise errors[0]
    return sum(results)
