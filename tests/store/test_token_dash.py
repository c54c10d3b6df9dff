"""Invitation tokens and the command line: a token never starts with "-" (argparse would
read it as an option), and a token that does (issued by an older version) still works
after ``--token``."""

from __future__ import annotations

from contextlib import redirect_stderr, redirect_stdout
from io import StringIO

import pytest

import instruments.fieldwork.invitations as invitations
from analysis.cli import _attach_dash_values, main
from instruments.fieldwork.invitations import create_invitations, create_study
from instruments.instrument.loader import load_instrument
from instruments.store import ResponseStore, tokens


def test_new_token_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter(["-starts-with-dash", "--two", "fine-token"])
    monkeypatch.setattr(tokens.secrets, "token_urlsafe", lambda n: next(drawn))
    assert tokens.new_token() == "fine-token"


def test_attach_dash_values_only_touches_token_values() -> None:
    assert _attach_dash_values(["delete", "--token", "-abc", "--study", "s"]) == [
        "delete", "--token=-abc", "--study", "s"]  # fmt: skip
    assert _attach_dash_values(["delete", "--token", "--study", "s"]) == [
        "delete", "--token", "--study", "s"]  # fmt: skip
    assert _attach_dash_values(["delete", "--note", "-x"]) == ["delete", "--note", "-x"]


def test_delete_with_a_legacy_dash_token(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'dash.db'}"
    store = ResponseStore(url, instrument=load_instrument())
    try:
        create_study(store, "s")
        monkeypatch.setattr(invitations, "new_token", lambda: "-legacy-token-0123456789abcdef")
        token = create_invitations(store, "s", 1)[0].token
        assert token.startswith("-")
        err = StringIO()
        with redirect_stdout(StringIO()), redirect_stderr(err):
            code = main(["delete", "--db", url, "--study", "s", "--token", token])
        assert code == 0, err.getvalue()
        assert "deleted" in err.getvalue()
    finally:
        store.dispose()
