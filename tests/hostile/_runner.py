"""Helpers shared by the hostile-input rounds: the CLI's refusal of a user error, and a
small SQLite store to attack (one study, one invitation) with copies for tests that write."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from analysis.cli import main


def refused(args: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI in this process: exit status 2, ``expected`` in its message, and no
    traceback, internal error or source location; returns the message."""
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert ".py:" not in err, err
    return err


def invited_store(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A SQLite response store with study 's' and one invitation, made by the CLI."""
    root = tmp_path_factory.mktemp(name)
    db = root / "store.sqlite"
    assert main(["invite", "--study", "s", "--n", "1", "--db", f"sqlite:///{db}", "--out",
                 str(root / "links.csv")]) == 0
    return db


def copy_store(db: Path, tmp_path: Path) -> Path:
    """A copy of the store ``db`` in ``tmp_path`` (SQLite's online backup)."""
    copy = tmp_path / "copy.sqlite"
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return copy
