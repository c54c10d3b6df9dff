"""Hostile input, seventeenth round: '~' in file options, standard output that loses what is
shown only once, contact and invitation files whose problems were placed on the wrong
line, e-mail addresses a mail server refuses, the analysis JSON's format version, a
--min-valid beyond every scale, and the last two places with their own wording for a
non-numeric cell; with a sweep of pandas dtypes through the analysis functions (every
one either refused or equal to the plain float64 result), which were handled well already.

Before these fixes:

* '~' in a file option (quoted, or after '=' where the shell leaves it) was expanded by
  the output checks but not by several writers: 'invite --out ~/links.csv' wrote the links
  into a new folder named '~' of the working folder, 'power --json ~/p.json' made such a
  folder, and 'codebook', 'simulate', 'compare' and 'export-script' refused the names the
  checks had passed ("The folder '~' ... does not exist").  An empty HOME made '~/x' the
  file '/x' at the top of the file system.
* 'invite' without --out and 'password' stored the invitations (the new password) before
  printing them: with standard output at /dev/null the links were lost, at /dev/full the
  command failed after the store had kept them, and with standard output closed ('>&-')
  every command ended in an internal AttributeError; 'password --stdin' with standard
  input closed did as well.
* 'mail --contacts' and 'invite --from' placed a row's problem by its position among the
  rows: after a blank line or a quoted line break, every later row was named by a line
  above its own.  Addresses such as 'a..b@x.de', '.a@x.de', 'a@-x.de' or 'a@1.2.3.4'
  passed the address check, the same person was invited twice about the same partner,
  and 'M\u00fcller, Hans' unquoted in a row with empty trailing cells moved the firm,
  partner and alliance id one column to the right without a word.
* 'score --min-valid 1000' quietly meant "every item" for every scale.
* The instrument's data check said "column x: 1 row with non-numeric values (e.g. 'x')"
  and the method-variance checks "column(s) must be numeric: x" (and an internal
  AttributeError for data=None): neither named the row or the likely cause as every other
  refusal does.  Harman's test given one item twice counted it as two perfectly
  correlated items.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import DataError
from tests.hostile._runner import invited_store
from tests.hostile._runner import refused as _refused
from tests.hostile.test_cli_more import DEMO, HS

ROOT = Path(__file__).resolve().parents[2]
CFA = "f =~ x1 + x2 + x3"
SHA = "0" * 64


def _cli(args: list[str], **kw) -> subprocess.CompletedProcess[str]:  # noqa: ANN003
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "analysis.cli", *args], cwd=kw.pop("cwd", ROOT),
                          capture_output=kw.pop("capture", True), text=True, timeout=240,
                          env=env, **kw)


def _invitations(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return con.execute("select count(*) from invitations").fetchone()[0]


# -- 1. the last two places with their own wording for a non-numeric cell -----------------


DATACHECK = {
    "label": ("Strongly agree", "holds 'Strongly agree'", "an answer label"),
    "decimal-comma": ("3,5", "holds '3,5'", "a decimal comma"),
    "unicode-minus": ("\u22121", "U+2212 MINUS SIGN", "type -1"),
    "na-marker": ("n/a", "holds 'n/a'", "a marker for a missing answer"),
    "full-width": ("\uff15", "U+FF15 FULLWIDTH DIGIT FIVE", "write 5"),
    "word": ("seven", "holds 'seven' (non-numeric values in 1 row)", "; expected codes"),
}


@pytest.mark.parametrize("case", list(DATACHECK))
def test_the_instrument_check_words_a_non_numeric_cell_as_everywhere_else(case: str) -> None:
    from instruments.instrument.datacheck import check_column
    from instruments.instrument.loader import load_instrument

    item = next(it for sc in load_instrument().scales.values() for it in sc.items
                if it.id == "trust_1")
    value, shown, hint = DATACHECK[case]
    column = pd.Series([1, 2, value, 4, " ", None], dtype=object, index=[5, 6, 7, 8, 9, 10])
    problems = check_column(column, item, list(range(1, 8)), None, None, "coded")
    assert len(problems) == 1, problems
    assert problems[0].startswith("column 'trust_1' is not numeric: "), problems
    assert shown in problems[0] and hint in problems[0], problems
    assert "data row 3 (index 7) holds" in problems[0]  # the frame's own label beside it
    assert "2 rows" not in problems[0]  # the blank cell is a missing answer, not text


def test_the_instrument_check_counts_only_cells_that_are_not_numbers() -> None:
    from instruments.instrument.datacheck import check_column
    from instruments.instrument.loader import load_instrument

    item = next(it for sc in load_instrument().scales.values() for it in sc.items
                if it.id == "trust_2")
    column = pd.Series(["1", "", "x", "7", "y", "  ", "9"], dtype=object)
    problems = check_column(column, item, list(range(1, 8)), None, None, "coded")
    assert problems[0] == ("column 'trust_2' is not numeric: data row 3 holds 'x' "
                           "(non-numeric values in 2 rows); expected codes")
    assert any("codes outside" in p and "9" in p for p in problems[1:]), problems


def _mv_data() -> pd.DataFrame:
    rng = np.random.default_rng(17)
    common = rng.normal(size=80)
    return pd.DataFrame({c: common + rng.normal(size=80) for c in ("a", "b", "c", "m")})


MV_CELLS = {
    "decimal-comma": ("2,5", "data row 6 holds '2,5'", "a decimal comma: write 2.5"),
    "label": ("Somewhat agree", "holds 'Somewhat agree'", "an answer label"),
    "minus": ("\u22120.5", "U+2212 MINUS SIGN", "type -0.5"),
    "marker": ("#N/A", "holds '#N/A'", "a marker for a missing answer"),
}


@pytest.mark.parametrize("function", ["harman", "marker"])
@pytest.mark.parametrize("case", list(MV_CELLS))
def test_method_variance_words_a_non_numeric_cell_as_everywhere_else(case: str,
                                                                     function: str) -> None:
    from analysis.stats.method_variance import (
        harman_single_factor,
        marker_adjusted_correlations,
    )

    value, shown, hint = MV_CELLS[case]
    data = _mv_data().astype({"b": object})
    data.loc[5, "b"] = value
    call = {"harman": lambda: harman_single_factor(data, ["a", "b", "c"]),
            "marker": lambda: marker_adjusted_correlations(data, "m", ["a", "b", "c"])}[function]
    with pytest.raises(DataError) as info:
        call()
    text = str(info.value)
    assert "column 'b' is not numeric: " in text and shown in text and hint in text, text
    assert "must be numeric" not in text


@pytest.mark.parametrize("bad", [None, "frame.csv", [1, 2, 3], {"a": [1.0]},
                                 np.zeros((5, 3)), pd.Series([1.0, 2.0])],
                         ids=["None", "path", "list", "dict", "array", "series"])
@pytest.mark.parametrize("function", ["harman", "marker"])
def test_method_variance_refuses_what_is_no_frame(bad: object, function: str) -> None:
    from analysis.stats.method_variance import (
        harman_single_factor,
        marker_adjusted_correlations,
    )

    call = {"harman": lambda: harman_single_factor(bad),
            "marker": lambda: marker_adjusted_correlations(bad, "m")}[function]
    with pytest.raises(DataError, match=r"data= must be a pandas DataFrame, not "):
        call()


@pytest.mark.parametrize("change, expected", [
    (lambda d: d.assign(b=pd.Timestamp("2024-01-01")), "holds dates or times"),
    (lambda d: d.assign(b=pd.to_timedelta(d["b"], unit="D")), "holds dates or times"),
    (lambda d: d.astype({"b": object}).assign(b=lambda e: e["b"].where(e.index != 3, True)),
     "true/false values among numbers"),
    (lambda d: d.assign(b=np.where(d.index == 4, np.inf, d["b"])), "infinite values"),
    (lambda d: d.assign(b=np.where(d.index == 4, 1e300, d["b"])), r"larger than 1e\+50"),
], ids=["dates", "durations", "bool-among-numbers", "inf", "huge"])
def test_method_variance_refuses_other_non_numbers_in_the_shared_words(change,  # noqa: ANN001
                                                                        expected: str) -> None:
    from analysis.stats.method_variance import harman_single_factor

    with pytest.raises(DataError, match=expected):
        harman_single_factor(change(_mv_data()), ["a", "b", "c"])


def test_harman_refuses_an_item_named_twice() -> None:
    from analysis.stats.method_variance import harman_single_factor

    with pytest.raises(DataError, match=r"named more than once: 'a'"):
        harman_single_factor(_mv_data(), ["a", "a", "b"])


def test_harman_takes_one_name_as_one_item_and_numbers_as_names() -> None:
    from analysis.stats.method_variance import harman_single_factor

    with pytest.raises(DataError, match="at least 2 items"):
        harman_single_factor(_mv_data(), "ab")  # not the items 'a' and 'b'
    with pytest.raises(DataError, match=r"not in the data: 1, 2"):
        harman_single_factor(_mv_data(), [1, 2])


# -- 2. contact lists and invitation files: the right line, real addresses ----------------


HEADER = "email,name,firm,partner,alliance_id,role,language\n"


def _contact_problems(body: str) -> list[str]:
    from instruments.fieldwork.contacts import _check, _read_rows

    rows, lines = _read_rows((HEADER + body).encode("utf-8"))
    return _check(rows, ["en", "de"], "en", set(), lines)[0]


@pytest.mark.parametrize("body, line", [
    ("a@x.de,A,F,P,,,\n\nbad,B,F,P,,,\n", 4),
    ("a@x.de,A,F,P,,,\n\n\n\nbad,B,F,P,,,\n", 6),
    ('a@x.de,A,"F\nG",P,,,\nbad,B,F,P,,,\n', 4),
    ('a@x.de,A,"F\r\nG",P,,,\r\nbad,B,F,P,,,\r\n', 4),
    ('a@x.de,"A\n\nB",F,P,,,\nbad,B,F,P,,,\n', 5),
    ("a@x.de,A,F,P,,,\r\n\r\nbad,B,F,P,,,\r\n", 4),
], ids=["blank-line", "blank-lines", "quoted-break", "quoted-crlf", "quoted-blank-line",
        "crlf-blank-line"])
def test_a_contact_row_is_placed_on_its_own_line(body: str, line: int) -> None:
    problems = _contact_problems(body)
    assert f"line {line}: 'bad' is not an e-mail address." in problems, problems


@pytest.mark.parametrize("address", ["a..b@x.de", ".a@x.de", "a.@x.de", "a@-x.de",
                                     "a@x-.de", "a@1.2.3.4", "a@x.123", "a@x..de",
                                     "a@.x.de"])
def test_addresses_a_mail_server_refuses_are_named(address: str) -> None:
    problems = _contact_problems(f"{address},A,F,P,,,\n")
    assert problems == [f"line 2: {address!r} is not an e-mail address."], problems


@pytest.mark.parametrize("address", ["a@x.de", "first.last+tag@sub.x-y.co.uk", "A_B@X.DE",
                                     "o'neil@x.ie", "a@b\u00e4cker.de", "1@2x.com"])
def test_ordinary_addresses_still_pass(address: str) -> None:
    assert _contact_problems(f"{address},A,F,P,,,\n") == []


@pytest.mark.parametrize("second", ["a@x.de,B,F,P", "A@X.DE,B,F,p", "a@x.de,B,G, P "],
                         ids=["same", "other-case", "blanks"])
def test_one_person_invited_twice_about_one_partner_is_named(second: str) -> None:
    problems = _contact_problems(f"a@x.de,A,F,P,,,\n{second},,,\n")
    assert len(problems) == 1 and "line 3: " in problems[0], problems
    assert "appears twice for partner" in problems[0] and "(also line 2)" in problems[0]


def test_one_person_about_two_partners_is_two_invitations() -> None:
    assert _contact_problems("a@x.de,A,F,P,,,\na@x.de,A,F,Q,,,\n") == []


@pytest.mark.parametrize("row", ["b@x.de,M\u00fcller, Hans,F,P,,,", "b@x.de,Hans,Acme, Inc.,P,,,"],
                         ids=["name", "firm"])
def test_an_unquoted_comma_with_empty_trailing_cells_is_named(row: str) -> None:
    from instruments.fieldwork.contacts import ContactListError, read_contacts

    with pytest.raises(ContactListError) as info:
        read_contacts((HEADER + "a@x.de,A,F,P,,,\n" + row + "\n").encode("utf-8"))
    assert "line 3: 8 values but 7 columns" in str(info.value)


def test_a_trailing_comma_alone_is_still_read() -> None:
    from instruments.fieldwork.contacts import read_contacts

    rows = read_contacts((HEADER + "a@x.de,Hans,Acme,Beta,,,,\n").encode("utf-8"))
    assert rows[0]["firm"] == "Acme" and rows[0]["partner"] == "Beta"


def test_the_mail_command_names_the_line_of_the_file(tmp_path_factory: pytest.TempPathFactory,
                                                     tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    from instruments.fieldwork.contacts import SECRET_KEY_ENV, new_secret_key

    monkeypatch.setenv(SECRET_KEY_ENV, new_secret_key())
    db = invited_store(tmp_path_factory, "r17mail")
    path = tmp_path / "contacts.csv"
    path.write_text(HEADER + 'a@x.de,"Hans\nMeier",F,P,,,\n\nb..c@x.de,B,F,P,,,\n',
                    encoding="utf-8")
    before = _invitations(db)
    err = _refused(["mail", "--contacts", str(path), "--study", "s", "--db", f"sqlite:///{db}"],
                   "line 5: 'b..c@x.de' is not an e-mail address", capsys)
    assert "line 2: name contains a line break" in err
    assert _invitations(db) == before


@pytest.mark.parametrize("text, expected", [
    ("partner_name,language\nAcme,en\n\n,en\n", "line 4: partner_name is empty"),
    ('partner_name,language\n"Beta\nCorp",en\nDelta,xx\n', "line 4: unknown language 'xx'"),
    ("partner_name\r\nAcme\r\n\r\n\r\n\r\n\r\n", "no rows"),
    ("firm_a,firm_b\nA,B\n\nC,C\n", "line 4: firm_a and firm_b name the same firm"),
], ids=["blank-line", "quoted-break", "blank-lines-only", "dyad-blank-line"])
def test_an_invitation_row_is_placed_on_its_own_line(text: str, expected: str,
                                                     tmp_path: Path) -> None:
    from instruments.fieldwork.invitations import check_invitation_csv

    path = tmp_path / "inv.csv"
    path.write_bytes(text.encode("utf-8"))
    if expected == "no rows":
        rows = check_invitation_csv(path, languages=["en", "de"])[1]
        assert rows == [{"partner_name": "Acme"}]
        return
    with pytest.raises(DataError) as info:
        check_invitation_csv(path, languages=["en", "de"])
    assert expected in str(info.value)


# -- 3. the analysis JSON's format version ---------------------------------------------------


def _analysis(**extra: object) -> dict:
    return {"n": 10, "hypotheses": [{"id": "H1"}], "provenance": {"data_sha256": SHA},
            **extra}


@pytest.mark.parametrize("version", [1, None], ids=["one", "absent"])
def test_the_current_format_and_files_before_it_are_read(version: int | None) -> None:
    from analysis.study.prereg import check_analysis_file

    result = _analysis() if version is None else _analysis(format_version=version)
    check_analysis_file(result)


@pytest.mark.parametrize("version, expected", [
    (2, "written in analysis format 2 by a newer alliance-survey"),
    (10**6, "analysis format 1000000"),
    ("1", "'format_version' = '1', not a version number"),
    (True, "'format_version' = True"),
    (0, "'format_version' = 0"),
    (-1, "'format_version' = -1"),
    (1.0, "'format_version' = 1.0"),
    (None, "'format_version' = None"),
    ([1], "'format_version' = [1]"),
], ids=["two", "huge", "text", "bool", "zero", "negative", "float", "null", "list"])
def test_another_format_is_refused(version: object, expected: str) -> None:
    from analysis.study.prereg import check_analysis_file

    with pytest.raises(DataError) as info:
        check_analysis_file(_analysis(format_version=version))
    assert expected in str(info.value)


def test_check_report_refuses_a_newer_format(tmp_path: Path) -> None:
    import json

    path = tmp_path / "a.json"
    path.write_text(json.dumps(_analysis(format_version=3)), encoding="utf-8")
    (tmp_path / "r.html").write_text("<html></html>", encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_report.py"),
                           str(tmp_path / "r.html"), "--json", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2, done.stderr
    assert "analysis format 3" in done.stderr and "Traceback" not in done.stderr


# -- 4. '~' in file options -----------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.chdir(work)
    (folder / "hs.csv").write_bytes(Path(HS).read_bytes())
    return folder


def _no_tilde_folder(home: Path) -> None:
    assert not (home.parent / "work" / "~").exists(), "a folder named '~' was made"


@pytest.mark.parametrize("args, made", [
    (["codebook", "--out", "~/cb.md"], ["cb.md"]),
    (["codebook", "--out=~/cb.json"], ["cb.json"]),
    (["simulate", "--n", "20", "--out", "~/s.csv", "--manifest", "~/m.json"],
     ["s.csv", "m.json"]),
    (["sem", "~/hs.csv", "--model", CFA, "--json", "~/a.json", "--params-out", "~/p.csv"],
     ["a.json", "p.csv"]),
    (["reliability", "~/hs.csv", "--model", CFA, "--json", "~/r.json"], ["r.json"]),
], ids=["codebook", "codebook-equals", "simulate", "sem", "reliability"])
def test_outputs_under_the_home_folder_are_written_there(args: list[str], made: list[str],
                                                        home: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    assert main(args) == 0, capsys.readouterr().err
    for name in made:
        assert (home / name).is_file(), name
    _no_tilde_folder(home)


def test_compare_reads_fits_under_the_home_folder(home: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    six = "f =~ x1 + x2 + x3 + x4 + x5 + x6"
    assert main(["sem", "~/hs.csv", "--model", six, "--json", "~/a.json"]) == 0
    assert main(["sem", "~/hs.csv", "--model", six + "\nx1 ~~ x2", "--json", "~/b.json"]) == 0
    capsys.readouterr()
    assert main(["compare", "~/a.json", "~/b.json", "--json", "~/c.json"]) == 0, \
        capsys.readouterr().err
    assert (home / "c.json").is_file()
    _no_tilde_folder(home)


def test_invite_writes_the_links_under_the_home_folder(home: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    db = home / "st.sqlite"
    assert main(["invite", "--study", "s", "--n", "2", "--db", f"sqlite:///{db}", "--out",
                 "~/links.csv"]) == 0, capsys.readouterr().err
    assert len((home / "links.csv").read_text(encoding="utf-8").splitlines()) == 3
    _no_tilde_folder(home)


def test_a_model_file_under_the_home_folder_is_read(home: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (home / "m.lav").write_text(CFA + "\n", encoding="utf-8")
    assert main(["sem", "~/hs.csv", "--model", "~/m.lav"]) == 0, capsys.readouterr().err
    assert "f =~ x1" in capsys.readouterr().out


@pytest.mark.parametrize("args", [
    ["codebook", "--out", "~/cb.md"],
    ["sem", "~/hs.csv", "--model", CFA],
    ["simulate", "--n", "5", "--out", "~/s.csv"],
    ["compare", "~/a.json", "~/b.json"],
    ["score", "~/d.csv", "--out", "/tmp/never-written-r17.csv"],
], ids=["codebook", "sem", "simulate", "compare", "score"])
def test_an_empty_home_is_not_the_top_folder(args: list[str], home: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", "")
    _refused(args, "starts with '~', but HOME is empty", capsys)
    assert not Path("/cb.md").exists() and not Path("/s.csv").exists()


@pytest.mark.parametrize("args", [
    ["codebook", "--out", "~no-such-user-r17/cb.md"],
    ["sem", "~no-such-user-r17/hs.csv", "--model", CFA],
], ids=["output", "input"])
def test_the_home_of_an_unknown_user_is_refused(args: list[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _refused(args, "names no home folder", capsys)


def test_syntax_that_starts_with_a_tilde_is_still_syntax(capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    _refused(["sem", str(HS), "--model", "~x1"], "lacks a left", capsys)


# -- 5. standard output that would lose what is shown only once ------------------------------


@pytest.fixture
def lead_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return invited_store(tmp_path_factory, "r17std")


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
def test_invite_to_a_device_stores_nothing(device: str, lead_store: Path) -> None:
    before = _invitations(lead_store)
    with open(device, "w") as sink:
        done = _cli(["invite", "--study", "s", "--n", "2", "--db", f"sqlite:///{lead_store}"],
                    capture=False, stdout=sink, stderr=subprocess.PIPE)
    assert done.returncode == 2, done.stderr
    assert "Standard output goes to a device" in done.stderr
    assert "Nothing was stored" in done.stderr and "Traceback" not in done.stderr
    assert _invitations(lead_store) == before


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
def test_password_to_a_device_keeps_the_old_one(device: str, lead_store: Path) -> None:
    with sqlite3.connect(lead_store) as con:
        old = con.execute("select password_hash from studies").fetchall()
    with open(device, "w") as sink:
        done = _cli(["password", "--study", "s", "--db", f"sqlite:///{lead_store}"],
                    capture=False, stdout=sink, stderr=subprocess.PIPE)
    assert done.returncode == 2, done.stderr
    assert "the new password, shown only once, would be lost" in done.stderr
    with sqlite3.connect(lead_store) as con:
        assert con.execute("select password_hash from studies").fetchall() == old


def _closed(args: list[str], which: int) -> subprocess.CompletedProcess[str]:
    """Run the CLI with standard input (0), output (1) or error (2) closed."""
    code = ("import os, sys, subprocess; "
            f"os.close({which}); "
            "sys.exit(subprocess.call([sys.executable, '-m', 'analysis.cli'] + sys.argv[1:]))")
    other = 2 if which == 1 else 1
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, timeout=240,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          **({"stderr": subprocess.PIPE} if other == 2 else
                             {"stdout": subprocess.PIPE}),
                          stdin=subprocess.DEVNULL if which != 0 else None)
    return done


@pytest.mark.parametrize("command", [["codebook"], ["sem", str(HS), "--model", CFA]])
def test_a_closed_standard_output_is_a_plain_error(command: list[str]) -> None:
    done = _closed(command, 1)
    assert done.returncode == 2, done.stderr
    assert "standard output is closed" in done.stderr and "internal error" not in done.stderr


def test_a_closed_standard_output_stores_no_invitation(lead_store: Path) -> None:
    before = _invitations(lead_store)
    done = _closed(["invite", "--study", "s", "--n", "1", "--db", f"sqlite:///{lead_store}"], 1)
    assert done.returncode == 2 and "standard output is closed" in done.stderr, done.stderr
    assert _invitations(lead_store) == before


def test_a_closed_standard_error_is_a_plain_error(lead_store: Path) -> None:
    before = _invitations(lead_store)
    done = _closed(["invite", "--study", "s", "--n", "1", "--db", f"sqlite:///{lead_store}"], 2)
    assert done.returncode == 2
    assert "standard error is closed" in done.stdout
    assert _invitations(lead_store) == before


def test_password_from_a_closed_standard_input(lead_store: Path) -> None:
    code = ("import os, sys, subprocess; os.close(0); "
            "sys.exit(subprocess.call([sys.executable, '-m', 'analysis.cli'] + sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", code, "password", "--study", "s", "--stdin",
                           "--db", f"sqlite:///{lead_store}"], cwd=ROOT, timeout=240, text=True,
                          capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2, done.stderr
    assert "--stdin: standard input is closed" in done.stderr


def test_links_that_standard_output_cannot_take_are_kept_in_a_file(lead_store: Path,
                                                                    tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "analysis.cli", "invite", "--study", "s",
                             "--n", "3", "--db", f"sqlite:///{lead_store}"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    proc.stdout.close()  # the reader goes away before the links are printed
    err = proc.stderr.read()
    assert proc.wait(timeout=240) == 2, err
    kept = sorted(tmp_path.glob("alliance-links-s-*.csv"))
    assert len(kept) == 1, err
    assert str(kept[0].name) in err and "Traceback" not in err
    assert "Exception ignored" not in err and "BrokenPipe" not in err, err
    assert len(kept[0].read_text(encoding="utf-8").splitlines()) == 4
    assert kept[0].stat().st_mode & 0o077 == 0


def test_links_in_a_pipe_are_still_printed(lead_store: Path) -> None:
    done = _cli(["invite", "--study", "s", "--n", "1", "--db", f"sqlite:///{lead_store}"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("invitation_id,")


# -- 6. --min-valid beyond every scale -------------------------------------------------------


@pytest.mark.parametrize("k", ["6", "1000", str(10**12)])
def test_min_valid_beyond_the_longest_scale_is_refused(k: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    out = tmp_path / "s.csv"
    _refused(["score", str(DEMO), "--out", str(out), "--min-valid", k],
             f"--min-valid {int(k):,} is more than the items of any scale (the longest has 5)",
             capsys)
    assert not out.exists()


def test_min_valid_of_the_longest_scale_is_taken(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.csv"
    assert main(["score", str(DEMO), "--out", str(out), "--min-valid", "5"]) == 0, \
        capsys.readouterr().err
    assert out.is_file()


# -- 7. sweep: pandas dtypes through the analysis functions (already handled) --------------


def _functions() -> dict:
    from analysis.sem import cfa
    from analysis.stats.method_variance import (
        harman_single_factor,
        marker_adjusted_correlations,
    )
    from analysis.stats.regression import moderation
    from analysis.stats.reliability import cronbach_alpha, sample_covariance
    from analysis.stats.validity import htmt

    def three(d: object) -> object:
        return d[["x1", "x2", "x3"]] if isinstance(d, pd.DataFrame) else d

    return {
        "cfa": lambda d: cfa(CFA, d).params,
        "alpha": lambda d: cronbach_alpha(three(d)),
        "sample_cov": lambda d: sample_covariance(d, ["x1", "x2", "x3"]),
        "htmt": lambda d: htmt(d, {"a": ["x1", "x2", "x3"], "b": ["x4", "x5", "x6"]}),
        "moderation": lambda d: moderation(d, "x4", "x1", "x2").coefficients,
        "harman": lambda d: harman_single_factor(d, ["x1", "x2", "x3"]),
        "marker": lambda d: marker_adjusted_correlations(d, "x6", ["x1", "x2", "x3"]),
    }


def _hs() -> pd.DataFrame:
    return pd.read_csv(HS)[["x1", "x2", "x3", "x4", "x5", "x6"]]


def _numbers(result: object) -> np.ndarray:
    if isinstance(result, pd.DataFrame):
        return result.select_dtypes("number").to_numpy(dtype=float)
    if isinstance(result, pd.Series):
        return pd.to_numeric(result, errors="coerce").to_numpy(dtype=float)
    return np.asarray(result, dtype=float)


def _missing(d: pd.DataFrame, row: int, value: object) -> pd.DataFrame:
    d = d.copy()
    d.loc[row, "x2"] = value
    return d


#: The same numbers in another container: each must give the float64 frame's result.
SAME = {
    "Int64": (lambda d: d.round().astype("Int64"), lambda d: d.round()),
    "Int64-NA": (lambda d: _missing(d.round().astype("Int64"), 3, pd.NA),
                 lambda d: _missing(d.round(), 3, np.nan)),
    "Float64-NA": (lambda d: _missing(d.astype("Float64"), 5, pd.NA),
                   lambda d: _missing(d, 5, np.nan)),
    "uint8": (lambda d: d.round().astype("uint8"), lambda d: d.round()),
    "pyarrow": (lambda d: d.astype("float64[pyarrow]"), lambda d: d),
    "sparse": (lambda d: d.astype(pd.SparseDtype(float, 0.0)), lambda d: d),
    "repeated-index": (lambda d: d.set_axis([0] * len(d)), lambda d: d),
    "text-index": (lambda d: d.set_axis([f"r{i}" for i in range(len(d))]), lambda d: d),
}


@pytest.mark.parametrize("function", ["cfa", "alpha", "sample_cov", "htmt", "moderation",
                                      "harman", "marker"])
@pytest.mark.parametrize("variant", list(SAME))
def test_the_same_numbers_in_another_dtype_give_the_same_result(variant: str,
                                                                function: str) -> None:
    import warnings

    make, plain = SAME[variant]
    call = _functions()[function]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, expected = call(make(_hs())), call(plain(_hs()))
    np.testing.assert_allclose(_numbers(got), _numbers(expected), rtol=1e-9, atol=1e-12,
                               equal_nan=True)


#: What is not a frame of numbers: each must be a DataError, never an internal error.
NOT_NUMBERS = {
    "None": lambda d: None,
    "array": lambda d: d.to_numpy(),
    "dict": lambda d: d.to_dict("list"),
    "series": lambda d: d["x1"],
    "no-rows": lambda d: d.iloc[:0],
    "tz-datetimes": lambda d: d.assign(x1=pd.date_range("2020", periods=len(d), tz="UTC")),
    "durations": lambda d: d.assign(x1=pd.to_timedelta(d["x1"], unit="D")),
    "text-among-numbers": lambda d: d.astype(str).astype("string").assign(
        x1=lambda e: e["x1"].mask(e.index == 2, "abc")),
}


@pytest.mark.parametrize("function", ["cfa", "alpha", "sample_cov", "htmt", "moderation",
                                      "harman", "marker"])
@pytest.mark.parametrize("variant", list(NOT_NUMBERS))
def test_what_is_no_frame_of_numbers_is_refused(variant: str, function: str) -> None:
    from analysis.errors import AllianceSurveyError

    call = _functions()[function]
    with pytest.raises(AllianceSurveyError):
        call(NOT_NUMBERS[variant](_hs()))
