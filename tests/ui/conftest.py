"""Fixtures of the survey app tests: a temporary SQLite store with a study and invitations."""

from __future__ import annotations

from pathlib import Path

import pytest

from instruments.store import DB_ENV_VAR, ResponseStore

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "streamlit_app.py"
STUDY = "uitest"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def instrument():
    """The packaged instrument (loaded once)."""
    from instruments.instrument.loader import load_instrument

    return load_instrument()


@pytest.fixture()
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite database named in ``ALLIANCE_SURVEY_DB`` for the app."""
    url = f"sqlite:///{tmp_path / 'survey.sqlite'}"
    monkeypatch.setenv(DB_ENV_VAR, url)
    return url


@pytest.fixture()
def store(db_url: str, instrument) -> ResponseStore:
    """A store on the temporary database with study ``uitest`` and its password."""
    from instruments.fieldwork.auth import set_password
    from instruments.fieldwork.invitations import create_study

    with ResponseStore(db_url, instrument=instrument) as st:
        create_study(st, STUDY)
        set_password(st, STUDY, PASSWORD)
        yield st


@pytest.fixture()
def invite(store: ResponseStore):
    """Factory: a new invitation token (``partner``, ``language`` as keywords)."""
    from instruments.fieldwork.invitations import create_invitations

    def make(partner: str | None = "Acme Robotics", language: str = "en", **kw) -> str:
        return create_invitations(
            store, STUDY, 1, partner_name=partner, language=language, **kw
        )[0].token

    return make
