"""Database fixtures: every storage test runs on a SQLite file and on PostgreSQL.

PostgreSQL is started once per test session (see ``instruments/store/localpg.py``); each
test gets a database of its own.  Without the PostgreSQL binaries the tests fail
in CI (``CI=true``) with the advice to run ``make test``, and are skipped with
that reason elsewhere.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator

import pytest

from instruments.store import ResponseStore
from instruments.store.localpg import PostgresServer, PostgresUnavailable, start_server
from tests.store.fake_instrument import FakeInstrument

BACKENDS = ["sqlite", "postgresql"]
_db_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = start_server()
    except PostgresUnavailable as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def fake_instrument() -> FakeInstrument:
    return FakeInstrument()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # noqa: ANN001
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database(f"t{os.getpid()}_{next(_db_counter)}")


@pytest.fixture(scope="module")
def instrument():  # noqa: ANN201
    """The real questionnaire."""
    from instruments.instrument.loader import load_instrument

    return load_instrument()


@pytest.fixture
def field(db_url: str, instrument) -> Iterator[ResponseStore]:  # noqa: ANN001
    """A store of the real questionnaire with the study "rights"."""
    from instruments.fieldwork.invitations import create_study

    store = ResponseStore(db_url, instrument=instrument)
    create_study(store, "rights")
    try:
        yield store
    finally:
        store.dispose()


@pytest.fixture
def store(db_url: str, fake_instrument: FakeInstrument) -> Iterator[ResponseStore]:
    s = ResponseStore(db_url, instrument=fake_instrument)
    try:
        yield s
    finally:
        s.dispose()
