"""Fixtures of the hostile-input catalogue: the storage fixtures (SQLite and PostgreSQL)
and the files a careless user or an attacker hands to the command line."""

from __future__ import annotations

from tests.store.conftest import db_url, fake_instrument, pg_server, store  # noqa: F401
