"""``alliance-survey health`` on its own: exit 0 healthy, 1 unhealthy, 2 for a bad argument."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.cli import main as cli
from instruments.store import ResponseStore, make_engine, upgrade
from tests.deploy.conftest import free_port


def run(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    code = cli(["health", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_healthy_sqlite_store(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    ResponseStore(url).dispose()
    code, out, _ = run(["--db", url], capsys)
    assert code == 0 and out.startswith("ok   store sqlite:///") and "schema at" in out


def test_missing_file_is_unhealthy_and_not_created(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:  # fmt: skip
    path = tmp_path / "nope" / "s.sqlite"
    code, out, _ = run(["--db", f"sqlite:///{path}"], capsys)
    assert code == 1 and "FAIL store" in out and "does not exist" in out
    assert not path.parent.exists()


def test_old_schema_is_unhealthy(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = make_engine(url)
    upgrade(engine, "0002_page_language")
    engine.dispose()
    code, out, _ = run(["--db", url], capsys)
    assert code == 1 and "schema at revision 0002_page_language" in out


def test_unreachable_postgres_and_app_hide_the_password(capsys: pytest.CaptureFixture) -> None:
    port = free_port()  # nothing listens there
    code, out, _ = run(["--db", f"postgresql://lead:s3cret@127.0.0.1:{port}/survey",
                        "--app", f"http://127.0.0.1:{port}", "--timeout", "2"], capsys)  # fmt: skip
    assert code == 1 and "s3cret" not in out
    assert "FAIL store postgresql+psycopg://lead:***@127.0.0.1" in out
    assert f"FAIL app http://127.0.0.1:{port}: unreachable" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--db", "not a url"], "Cannot parse the database URL"),
    (["--db", "mysql://u@h/db"], "Unsupported database"),
    (["--no-store"], "Nothing to check"),
    (["--no-store", "--app", "127.0.0.1:8501"], "needs an http:// or https:// address"),
    (["--timeout", "0"], "--timeout must be between"),
])  # fmt: skip
def test_bad_arguments_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2 and message in err and "Traceback" not in err
