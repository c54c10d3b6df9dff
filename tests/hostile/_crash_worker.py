"""A survey writer for the crash tests, run as its own process and killed with SIGKILL.

Usage: ``python -m tests.hostile._crash_worker URL TOKENFILE``.  Walks every respondent in
TOKENFILE through the pages (resuming where each stands) and prints ``ack KEY`` after each
submission the store acknowledged; that line is the promise the test holds the store to.
"""

from __future__ import annotations

import sys

from instruments.store import ResponseStore
from tests.store.fake_instrument import FakeInstrument, full_response


def walk(store: ResponseStore, token: str, k: int) -> None:
    state = store.start(token)
    for page, answers in list(full_response(k).items())[state.current_page:]:
        key = f"{k}-{page}"
        store.submit_page(token, page, answers, submission_key=key)
        print(f"ack {key}", flush=True)


def main() -> None:
    url, tokens = sys.argv[1], open(sys.argv[2]).read().split()
    store = ResponseStore(url, instrument=FakeInstrument())
    for k, token in enumerate(tokens):
        try:
            walk(store, token, k)
        except Exception as exc:  # noqa: BLE001 - a completed one is skipped
            if "already been used" not in str(exc):
                raise
    store.dispose()


if __name__ == "__main__":
    main()
