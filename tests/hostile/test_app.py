"""The survey app when the store fails or the link is hostile: one bilingual "temporarily
unavailable" page (or the link's own message), never a traceback, no database detail."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from instruments.store import DB_ENV_VAR, ResponseStore
from tests.ui.conftest import APP

UNAVAILABLE_EN = "The survey is unavailable at the moment"
UNAVAILABLE_DE = "Die Datenbank der Befragung ist gerade nicht erreichbar"


def _run(url: str, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    monkeypatch.setenv(DB_ENV_VAR, url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at


def _text(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.header, *at.subheader, *at.markdown, *at.error,
                               *at.info, *at.warning, *at.success, *at.caption)]
    return "\n".join(str(p) for p in parts)


def _assert_unavailable(at: AppTest, *secrets: str) -> None:
    assert not at.exception, at.exception
    text = _text(at)
    assert UNAVAILABLE_EN in text and UNAVAILABLE_DE in text
    for secret in ("Traceback", "File \"", "sqlalchemy", "psycopg", *secrets):
        assert secret not in text


@pytest.mark.parametrize("params", [{"t": "some-token"}, {"admin": "1"}, {}],
                         ids=["survey", "admin", "no-token"])
def test_postgresql_down(params: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run("postgresql+psycopg://lead:hunter2@127.0.0.1:1/survey", monkeypatch, **params)
    if params.get("admin"):
        # the study lead is told what to check, under one title (walk 13: a second H1 and
        # the respondents' "open your link again")
        assert not at.exception, at.exception
        text = _text(at)
        assert "The survey database cannot be reached" in text
        assert UNAVAILABLE_EN not in text
        assert [t.value for t in at.title] == ["Study lead"]
        for secret in ("Traceback", "File \"", "sqlalchemy", "psycopg", "hunter2", "127.0.0.1"):
            assert secret not in text
        return
    _assert_unavailable(at, "hunter2", "127.0.0.1")


def test_read_only_sqlite(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from instruments.fieldwork.invitations import create_invitations, create_study

    path = tmp_path / "survey.sqlite"
    with ResponseStore(f"sqlite:///{path}") as store:
        create_study(store, "ro")
        (inv,) = create_invitations(store, "ro", 1)
    at = _run(f"sqlite:///file:{path}?mode=ro&uri=true", monkeypatch, t=inv.token)
    _assert_unavailable(at, str(tmp_path))


def test_sqlite_folder_unwritable(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run("sqlite:////sys/no/survey.sqlite", monkeypatch, t="x")
    _assert_unavailable(at, "/sys")


@pytest.mark.parametrize("token", ["x" * 20_000, "a\x00b", "' OR 1=1 --", "<script>x</script>"],
                         ids=["20k-chars", "nul", "sql", "html"])
def test_hostile_tokens_get_the_link_message(token: str, tmp_path,  # noqa: ANN001
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run(f"sqlite:///{tmp_path / 's.sqlite'}", monkeypatch, t=token)
    assert not at.exception, at.exception
    text = _text(at)
    assert "not valid" in text or "nicht gültig" in text
    assert "Traceback" not in text and "<script>" not in text


def test_study_lead_route_fails_with_one_title_whenever_it_fails(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # a store that fails before the study lead's page drew its title still gets one
    at = _run("sqlite:////sys/no/survey.sqlite", monkeypatch, admin="1")
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Study lead"]
    text = _text(at)
    assert "The survey database cannot be reached" in text and "/sys" not in text
