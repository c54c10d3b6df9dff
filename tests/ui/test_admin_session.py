"""The study lead's login survives a refresh (Streamlit AppTest): a session token in the
address, checked against the store, ended by logging out and by a new password."""

from __future__ import annotations

import io

import pytest
from streamlit.testing.v1 import AppTest

from analysis.cli import main as cli
from instruments.store import ResponseStore
from tests.ui.conftest import APP, PASSWORD, STUDY
from tests.ui.survey_bot import click

TIMEOUT = 60


def open_app(**params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in (*at.title, *at.caption, *at.error, *at.info))


def log_in(study: str | None = STUDY) -> AppTest:
    at = open_app(admin="1", **({"study": study} if study else {}))
    at.text_input(key="admin.login_password").input(PASSWORD)
    click(at, "Log in")
    assert not at.exception, at.exception
    assert f"Study: {STUDY}" in texts(at)
    return at


def refresh(at: AppTest) -> AppTest:
    """What a browser refresh does: a new session with the address the page now shows."""
    return open_app(**{k: at.query_params[k] for k in at.query_params})


def logged_in(at: AppTest) -> bool:
    return f"Study: {STUDY}" in texts(at) and any(m.label == "Invitations" for m in at.metric)


def test_login_survives_a_refresh_and_ends_on_logout(store: ResponseStore) -> None:
    from instruments.fieldwork.sessions import check_session

    at = log_in()
    token = at.query_params["s"]
    assert check_session(store, token) == STUDY
    again = refresh(at)
    assert logged_in(again), texts(again)
    assert not [w for w in again.text_input if w.key == "admin.login_password"]
    # Log out in the refreshed tab: the token leaves the address and the store.
    click(again, "Log out")
    assert "s" not in again.query_params
    assert check_session(store, token) is None
    assert not logged_in(again) and again.text_input(key="admin.login_password")
    # The old address (e.g. from the browser history) no longer logs anyone in.
    stale = open_app(admin="1", s=token)
    assert not logged_in(stale)
    assert "Your login has ended" in texts(stale)
    assert "s" not in stale.query_params


def test_password_reset_on_the_command_line_ends_the_login(store: ResponseStore, db_url: str,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture) -> None:  # fmt: skip
    at = log_in()
    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new passphrase 42\n"))
    assert cli(["password", "--study", STUDY, "--db", db_url, "--stdin"]) == 0
    assert "1 dashboard login of the study lead ended." in capsys.readouterr().out
    # The open tab is logged out on its next run, and a refresh does not log back in.
    at.run()
    assert not logged_in(at) and "Your login has ended" in texts(at)
    assert not logged_in(refresh(at))


def test_forged_or_garbage_token_shows_the_login_form(store: ResponseStore) -> None:
    for token in ("forged-token", "x" * 500):
        at = open_app(admin="1", s=token)
        assert not logged_in(at)
        assert at.text_input(key="admin.login_password")
        assert "Your login has ended" in texts(at)


def test_only_study_is_preselected(store: ResponseStore) -> None:
    at = open_app(admin="1")
    assert at.text_input(key="admin.login_study").value == STUDY
    at.text_input(key="admin.login_password").input(PASSWORD)
    click(at, "Log in")
    assert logged_in(at) and logged_in(refresh(at))
