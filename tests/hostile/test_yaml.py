"""Hostile instrument YAML: every problem is an InstrumentError with a bounded message;
the alias bomb's expanded value is never echoed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.errors import InstrumentError, clip
from instruments.instrument.loader import load_instrument

PACKAGED = Path(__file__).resolve().parents[2] / "instruments" / "instrument"
BOMB = "".join(
    f"_{c}: &{c} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
    for p, c in zip([None, *"abcdefg"], "abcdefgh", strict=True)
)


def _folder(tmp_path: Path, edit) -> Path:  # noqa: ANN001
    folder = tmp_path / "inst"
    shutil.copytree(PACKAGED, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    q = folder / "questionnaire.yaml"
    q.write_bytes(edit(q.read_text(encoding="utf-8")))
    return folder


def _version(value: str):  # noqa: ANN202
    return lambda text: "\n".join(
        f"version: {value}" if line.startswith("version:") else line
        for line in text.splitlines()).encode("utf-8")


CASES = [
    # refused at its first alias, before anything is expanded (it was "must be a text"
    # after the expansion)
    ("alias-bomb", lambda t: (BOMB + _version("*h")(t).decode()).encode(),
     "anchors and aliases (&name, *name) are not allowed"),
    ("long-list-version", _version("[" + ", ".join(["x"] * 5000) + "]"), "must be a text"),
    ("huge-string-version", _version("'" + "v" * 1_000_000 + "'"), "version"),
    ("not-utf8", lambda t: t.encode("utf-8").replace(b"version:", b"\xff\xfeversion:"),
     "cannot read"),
    ("tab-indent", lambda t: t.replace("\n  ", "\n\t", 1).encode(), "YAML syntax error"),
    ("list-document", lambda t: b"- a\n- b\n", "mapping"),
    ("empty-document", lambda t: b"", "empty"),
    ("duplicate-key", lambda t: (t + "\nid: again\n").encode(), "duplicate key"),
    ("python-tag", lambda t: (t + "\nx: !!python/object/apply:os.system ['true']\n").encode(),
     "questionnaire.yaml"),
    ("unclosed-quote", lambda t: t.replace("version:", "version: 'open\nx:", 1).encode(),
     "YAML syntax error"),
]


@pytest.mark.parametrize(("case", "edit", "text"), CASES, ids=[c[0] for c in CASES])
def test_bad_yaml_is_listed_briefly(case: str, edit, text: str, tmp_path: Path) -> None:  # noqa: ANN001
    folder = _folder(tmp_path, edit)
    with pytest.raises(InstrumentError) as info:
        load_instrument(folder)
    message = str(info.value)
    assert text in message, message[:500]
    assert len(message) < 20_000  # the bomb's expansion would be hundreds of megabytes


def test_bomb_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path, CASES[0][1])
    assert main(["codebook", "--instrument", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "anchors and aliases" in err and len(err) < 5000 and "Traceback" not in err


def test_clip_never_renders_a_huge_value() -> None:
    nested: list = ["lol"] * 9
    for _ in range(7):
        nested = [nested] * 9  # 9**8 leaves, shared
    assert len(clip(nested)) <= 80
    assert len(clip("x" * 10**7)) <= 80
