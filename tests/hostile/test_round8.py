"""Hostile input, eighth round: data files, instrument folders, database URLs and races
that the earlier rounds did not try.  Each now ends in one clear message and exit status 2
(or, for the race, in success), with nothing stored that the user cannot use.

Before these fixes:

* A CSV data file whose header has 10^6 names (a transposed export) kept every command
  busy for hours: the reader counted each name's repeats with ``list.count``, and pandas
  itself needs minutes for 10^5 columns.  ``sem`` seemed to hang.
* An instrument folder with a named pipe among its scale files blocked the loader (and
  with it ``codebook``, ``invite`` and the app) until someone wrote to the pipe; a YAML
  file of any size was read whole; an instrument id of 5,000 characters was stored by
  SQLite and refused by PostgreSQL with a driver error (its column holds 100).
* ``--db postgresql://u@host:abc/db`` (a port that is not a number) or ``[::1`` without
  its bracket ended every store command with "internal error (ValueError: invalid literal
  for int() with base 10: 'abc')"; the same URL from ``$ALLIANCE_SURVEY_DB`` too.
* Two ``invite`` commands starting the same study at once: the second was refused its
  password ("Study 'new' has a password already; pass replace=True to set a new one.")
  after its invitations had been stored, so their links were never shown.
* A semicolon-separated file with decimal commas failed on a row ("Error tokenizing data.
  C error: Expected 92 fields in line 6, saw 95") instead of naming the separator.
* ``mail --contacts`` with a named pipe hung; ``codebook --instrument questionnaire.yaml``
  said there was no questionnaire.yaml in it; ``analyze --hypotheses FOLDER`` printed
  "[Errno 21] Is a directory" twice.
* ``sem --group`` left out the cases without a group without a word (lavaan warns
  "group variable contains missing values"); ``--ordered`` with a name repeated 10^5 times
  took 12 s.
* Three ``demo`` runs on one store at once: each gave the study a new password, two
  failed half-way ("Alliance id 'A00004' is already used in study 'demo'"), and the
  password printed and saved by the third did not open the dashboard.
* ``report --json`` and ``prereg --deviations`` with a JSON file nested 10^5 deep ended
  in "internal error (RecursionError: maximum recursion depth exceeded while decoding a
  JSON array from a unicode string)".
* ``health --cafile`` naming a named pipe hung; a folder or a CSV file ended in
  OpenSSL's words.
* The Python API took a column of complex numbers as their real parts and a column of
  periods as ordinals since 1970 (``numeric_columns``, behind regression, PLS and the
  latent interaction); ``write_json`` into a missing folder named its scratch file
  (".x.da329631.part.json").
* Where standard output is strict UTF-8 (``PYTHONIOENCODING=utf-8``), a file name that
  is not UTF-8 (``--out $'\\xff.csv'``) ended the command in "internal error
  (UnicodeEncodeError ...)" with exit status 1 after the file had been written.
* ``compare`` refused the fit of a saturated model written by ``sem --json`` itself (ML
  writes its chi-square as -2.7e-13: "has an invalid 'chisq'"), and took a chi-square
  written as ``NaN`` in a converged fit, printing ``delta_chisq: nan`` with exit status 0.

The four text checks (store names, stored command-line options, the privacy notice and
its contact) are one function now, :func:`instruments.store.limits.text_problem`; the last
tests pin that each place still says what it said.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.errors import DataError, InstrumentError
from tests.hostile._runner import refused as _refused
from tests.hostile.test_cli_more import HS, _fit

PACKAGED = Path(__file__).resolve().parents[2] / "instruments" / "instrument"


# -- 1. a data file with a header of very many columns ------------------------------------


def test_a_header_of_very_many_columns_is_refused_before_parsing(tmp_path, capsys,  # noqa: ANN001
                                                                   monkeypatch) -> None:
    from analysis.study import datafiles

    monkeypatch.setattr(datafiles, "MAX_COLUMNS", MAX_COLUMNS := 50)  # 10,000: seconds
    wide = tmp_path / "wide.csv"
    n = MAX_COLUMNS + 1
    wide.write_text(",".join(f"c{i}" for i in range(n)) + "\n" + ",".join(["1"] * n) + "\n",
                    encoding="utf-8")
    _refused(["sem", str(wide), "--model", "f =~ c1 + c2 + c3"],
             f"has more than {MAX_COLUMNS:,} columns", capsys)


def test_a_header_at_the_limit_is_read(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from analysis.study import datafiles

    monkeypatch.setattr(datafiles, "MAX_COLUMNS", MAX_COLUMNS := 50)
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(MAX_COLUMNS)) + "\n"
                    + ",".join(["1"] * MAX_COLUMNS) + "\n", encoding="utf-8")
    assert datafiles.read_data(wide).shape == (1, MAX_COLUMNS)


def test_semicolons_and_decimal_commas_are_named_before_parsing(tmp_path, capsys) -> None:  # noqa: ANN001
    """A German Excel export: the rows' decimal commas made pandas fail on a row ("Error
    tokenizing data. C error: Expected 4 fields in line 3, saw 5") before the one-column
    check could name the separator."""
    data = tmp_path / "semi.csv"
    data.write_text("x1;x2;x3\n1,5;2;3\n2;2,5;3,25\n3;1;2\n", encoding="utf-8")
    _refused(["sem", str(data), "--model", "f =~ x1 + x2 + x3"],
             "has its columns separated by semicolons, not commas", capsys)


# -- 2. instrument folders -----------------------------------------------------------------


def _instrument(tmp_path: Path) -> Path:
    folder = tmp_path / "inst"
    shutil.copytree(PACKAGED, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return folder


def test_a_named_pipe_among_the_scale_files_does_not_block(tmp_path, capsys) -> None:  # noqa: ANN001
    folder = _instrument(tmp_path)
    os.mkfifo(folder / "scales" / "zzz.yaml")
    _refused(["codebook", "--instrument", str(folder)],
             "scales/zzz.yaml: not a regular file (a named pipe or a device)", capsys)


def test_an_oversized_yaml_file_is_not_read(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from instruments.instrument import loader

    folder = _instrument(tmp_path)
    monkeypatch.setattr(loader, "MAX_YAML_BYTES", 1000)  # the scale files are larger
    with pytest.raises(InstrumentError, match=r"scales/trust\.yaml: the file has [\d,]+ "
                                              r"bytes; at most 1,000 are read"):
        loader.load_instrument(folder)


def test_the_questionnaire_file_named_as_the_instrument(capsys) -> None:  # noqa: ANN001
    err = _refused(["codebook", "--instrument", str(PACKAGED / "questionnaire.yaml")],
                   "questionnaire.yaml' is a file; an instrument is the folder", capsys)
    assert f"give '{PACKAGED}'" in err


@pytest.mark.parametrize(("line", "expected"), [
    ("id: " + "a" * 101, "has 101 characters; at most 100 are allowed"),
    ('version: "1.0.' + "0" * 60 + '"', "has 64 characters; at most 50 are allowed"),
])
def test_instrument_id_and_version_fit_the_store(line, expected, tmp_path) -> None:  # noqa: ANN001
    from instruments.instrument.loader import load_instrument

    folder = _instrument(tmp_path)
    q = folder / "questionnaire.yaml"
    key = line.split(":")[0] + ":"
    q.write_text("\n".join(line if row.startswith(key) else row
                           for row in q.read_text(encoding="utf-8").splitlines()) + "\n",
                 encoding="utf-8")
    with pytest.raises(InstrumentError, match=expected):
        load_instrument(folder)


# -- 3. database URLs that cannot be parsed ------------------------------------------------


BAD_URLS = [
    ("postgresql://lead:s3cret@db.example:abc/survey", "its host or port cannot be read"),
    ("postgresql://lead@[::1/survey", "an IPv6 address stands in [brackets]"),
    ("not a url", "it is not of the form sqlite:///FILE"),
]


@pytest.mark.parametrize("command", [
    ["health"],
    ["export", "--study", "s", "--format", "csv", "--out", "{tmp}/e.csv"],
    ["wave", "--study", "s"],
    ["invite", "--study", "s", "--n", "1", "--out", "{tmp}/links.csv"],
], ids=lambda c: c[0])
@pytest.mark.parametrize(("url", "expected"), BAD_URLS, ids=["port", "ipv6", "no-scheme"])
def test_a_database_url_that_cannot_be_parsed(command, url, expected, tmp_path, capsys) -> None:  # noqa: ANN001, E501
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    err = _refused([*args, "--db", url], "Cannot parse the database URL", capsys)
    assert expected in err and "s3cret" not in err
    assert not list(tmp_path.iterdir())


def test_a_database_url_from_the_environment(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("ALLIANCE_SURVEY_DB", BAD_URLS[0][0])
    err = _refused(["export", "--study", "s", "--format", "csv", "--out",
                    str(tmp_path / "e.csv")], "$ALLIANCE_SURVEY_DB", capsys)
    assert "s3cret" not in err and "***" in err


def test_the_store_api_refuses_the_url_too() -> None:
    from instruments.store import ResponseStore

    with pytest.raises(DataError, match="its host or port cannot be read"):
        ResponseStore(BAD_URLS[0][0])


# -- 4. two invite commands starting one study ---------------------------------------------


def test_invite_beside_another_that_set_the_password(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    """The other command creates the study and sets its password between this one's look
    and its own attempt: this one's invitations are still stored with their links."""
    from instruments.fieldwork import auth

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    other = {"done": False}
    real_has = auth.has_password

    def has_password(store, study):  # noqa: ANN001, ANN202 - the other command is faster
        if not other["done"]:
            other["done"] = True
            auth.set_password(store, study)
            return False
        return real_has(store, study)

    monkeypatch.setattr(auth, "has_password", has_password)
    out = tmp_path / "links.csv"
    code = main(["invite", "--study", "new", "--n", "3", "--db", url, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "has a password already" not in err and "Study-lead password" not in err
    links = out.read_text(encoding="utf-8").splitlines()[1:]
    with sqlite3.connect(tmp_path / "store.sqlite") as con:
        stored = con.execute("select count(*) from invitations").fetchone()[0]
    assert len(links) == stored == 3


def test_invite_beside_another_that_created_the_study(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    from instruments.fieldwork import invitations

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    real = invitations.study_exists
    calls = {"n": 0}

    def study_exists(store, name):  # noqa: ANN001, ANN202
        calls["n"] += 1
        if calls["n"] <= 2:  # the other command creates it after this one looked
            if calls["n"] == 2:
                invitations.create_study(store, name)
            return False
        return real(store, name)

    monkeypatch.setattr(invitations, "study_exists", study_exists)
    out = tmp_path / "links.csv"
    code = main(["invite", "--study", "new", "--n", "2", "--db", url, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "exists already" not in err and "Study-lead password for 'new'" in err
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


def test_a_contact_list_that_is_a_named_pipe(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    from instruments.fieldwork.contacts import SECRET_KEY_ENV, new_secret_key

    monkeypatch.setenv(SECRET_KEY_ENV, new_secret_key())
    pipe = tmp_path / "contacts.csv"
    os.mkfifo(pipe)  # reading it waited for a writer, for ever
    _refused(["mail", "--contacts", str(pipe), "--study", "s", "--db",
              f"sqlite:///{tmp_path / 'store.sqlite'}"],
             "is not a regular file (a named pipe or a device); give a .csv file", capsys)


def test_a_hypotheses_file_that_is_a_folder_is_named_once(tmp_path, capsys) -> None:  # noqa: ANN001
    from tests.hostile.test_cli_more import DEMO

    err = _refused(["analyze", str(DEMO), "--hypotheses", str(tmp_path)],
                   "it is a folder; give the YAML file in it.", capsys)
    assert "Errno" not in err and err.count("is a folder") == 1
    err = _refused(["analyze", str(DEMO), "--hypotheses", str(tmp_path / "h.yaml")],
                   "h.yaml': it does not exist.", capsys)
    assert "Errno" not in err


def test_cases_without_a_group_are_announced(tmp_path, capsys) -> None:  # noqa: ANN001
    import pandas as pd

    data = tmp_path / "hs.csv"
    frame = pd.read_csv(HS)
    frame.loc[:49, "school"] = None
    frame.to_csv(data, index=False)
    assert main(["sem", str(data), "--model", "f =~ x1 + x2 + x3", "--group", "school"]) == 0
    captured = capsys.readouterr()
    assert ("warning: --group 'school' is missing for 50 cases; they are left out of the "
            "fit.") in captured.err
    assert "N = 251" in captured.out


def test_ordered_items_named_twice_are_one_item() -> None:
    from analysis.commands.sem import _ordered

    assert _ordered("x1, x2,x1,x2", ["x1", "x2", "x3"]) == ["x1", "x2"]


def test_a_second_demo_waits_for_the_first(tmp_path) -> None:  # noqa: ANN001
    """While one demo sets up the store (here: the test holds its lock), another waits
    instead of giving the study a password of its own; then it finds the study as the
    first left it."""
    import fcntl
    import subprocess
    import sys
    import time

    import pandas as pd

    from tests.hostile.test_cli_more import DEMO

    data = tmp_path / "demo5.csv"
    pd.read_csv(DEMO).head(5).to_csv(data, index=False)
    db = tmp_path / "s.sqlite"
    with open(tmp_path / "s.sqlite-demo-lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        run = subprocess.Popen(
            [sys.executable, "-m", "analysis.cli", "demo", "--db", f"sqlite:///{db}",
             "--data", str(data), "--no-serve", "--no-summary", "--open-links", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=Path(__file__).resolve().parents[2])
        first = run.stderr.readline()  # blocks until it waits (or fails)
        assert "Another 'alliance-survey demo' is setting up this store; waiting" in first
        time.sleep(0.3)
        assert not (tmp_path / "demo_credentials.txt").exists() and run.poll() is None
        fcntl.flock(held.fileno(), fcntl.LOCK_UN)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    assert "Study-lead password (new):" in out


@pytest.mark.parametrize("command", ["report", "prereg"])
@pytest.mark.parametrize(("content", "expected"), [
    (b"[" * 100_000 + b"]" * 100_000, "its JSON is nested too deeply to read"),
    (b"id,x\n1,2\n", "is not JSON ('Expecting value: line 1 column 1"),
])
def test_an_analysis_json_that_cannot_be_read(command, content, expected, tmp_path,  # noqa: ANN001
                                              capsys) -> None:
    from tests.hostile.test_cli_more import DEMO

    src = tmp_path / "analysis.json"
    src.write_bytes(content)
    if command == "report":
        args = ["report", str(DEMO), "--json", str(src), "--out", str(tmp_path / "r.html")]
    else:
        from instruments.fieldwork.invitations import create_study
        from instruments.store import ResponseStore

        url = f"sqlite:///{tmp_path / 'store.sqlite'}"
        store = ResponseStore(url)
        create_study(store, "s")
        store.dispose()
        args = ["prereg", "--study", "s", "--db", url, "--deviations", str(src)]
    _refused(args, expected, capsys)
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(("make", "expected"), [
    (os.mkfifo, "is not a regular file (a named pipe or a device)"),  # it hung
    (os.mkdir, "is a folder"),
    (lambda p: Path(p).write_text("id,x\n1,2\n"), "holds no PEM certificate OpenSSL can "
                                                    "read"),
])
def test_health_cafile_that_is_no_certificate(make, expected, tmp_path, capsys) -> None:  # noqa: ANN001
    ca = tmp_path / "ca.pem"
    make(ca)
    _refused(["health", "--no-store", "--app", "https://127.0.0.1:1", "--cafile", str(ca)],
             expected, capsys)


# -- 5. compare: the chi-square of a saturated model, a NaN --------------------------------


def test_compare_takes_a_saturated_fit_as_sem_writes_it(tmp_path, capsys) -> None:  # noqa: ANN001
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_fit(chisq=-2.673417043297377e-13, df=0.0)), encoding="utf-8")
    b.write_text(json.dumps(_fit(chisq=8.3, df=1.0)), encoding="utf-8")
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "delta_chisq: 8.3" in out and "delta_df: 1.0" in out


def test_compare_refuses_a_chisq_written_as_nan(tmp_path, capsys) -> None:  # noqa: ANN001
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_fit(chisq=float("nan"), df=0.0)), encoding="utf-8")  # NaN
    b.write_text(json.dumps(_fit(chisq=8.3, df=1.0)), encoding="utf-8")
    _refused(["compare", str(a), str(b)], "has no chi-square ('fit': 'chisq') for a "
             "converged fit", capsys)
    a.write_text(json.dumps(_fit(chisq=-0.5, df=0.0)), encoding="utf-8")  # not rounding
    _refused(["compare", str(a), str(b)], "has an invalid 'chisq' (-0.5)", capsys)


def test_a_file_name_that_is_not_utf8_is_printed_as_given(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """Strict UTF-8 output (``PYTHONIOENCODING=utf-8``): the file was written, then the
    line naming it ended the command in an internal error (UnicodeEncodeError)."""
    import io
    import sys

    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    monkeypatch.setattr(sys, "stdout", out)
    name = os.fsdecode(os.fsencode(str(tmp_path)) + b"/\xff.csv")  # a lone surrogate
    assert main(["simulate", "--n", "5", "--out", name]) == 0
    assert os.path.exists(name)
    assert b"/\xff.csv" in raw.getvalue()


# -- 6. the Python API's numeric columns and JSON writer ---------------------------------


@pytest.mark.parametrize(("values", "expected"), [
    ([1 + 2j, 3 + 0j], "holds complex numbers (complex128)"),  # was the real part, 1.0
    (["P2020", "P2021"], "holds periods"),  # was the ordinal since 1970, 50.0
])
def test_numeric_columns_refuse_what_is_no_real_number(values, expected) -> None:  # noqa: ANN001
    import pandas as pd

    from analysis.io import numeric_columns

    if values[0] == "P2020":
        column = pd.period_range("2020", periods=2, freq="Y")
    else:
        column = values
    with pytest.raises(DataError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        numeric_columns(pd.DataFrame({"a": column}), ["a"], "regression()")


def test_write_json_into_a_missing_folder_names_the_folder(tmp_path) -> None:  # noqa: ANN001
    from analysis.io import write_json

    with pytest.raises(DataError, match="The folder .*nowhere' of .*x.json' does not exist; "
                                        "nothing was written"):
        write_json({"a": 1}, tmp_path / "nowhere" / "x.json")  # named '.x.1f2e.part.json'


# -- 7. one text check for names, options, the privacy notice and its contact ---------------


TEXTS = [
    ("Jana\nLehmann", "contains a line break (a name must be on one line)"),
    ("Jana\u2028Lehmann", "contains a line break (a name must be on one line)"),
    ("Jana\x1b[31m", "contains a control character (U+001B)"),
    ("Jana\tLehmann", "contains a control character (U+0009)"),
    ("Jana\x00", "contains a NUL character"),
    ("Jana\ud800", "contains characters that are not valid Unicode"),
    ("Jana Lehmann", None),
]


@pytest.mark.parametrize(("text", "expected"), TEXTS)
def test_one_text_check_for_names(text, expected) -> None:  # noqa: ANN001
    from instruments.store.limits import check_text, text_problem

    assert text_problem(text) == expected
    if expected is None:
        assert check_text(text, "partner_name", "--partner") == text
    else:
        with pytest.raises(DataError, match=r"^--partner " + expected.replace("(", r"\(")
                           .replace(")", r"\)").replace("+", r"\+") + "; it cannot be stored"):
            check_text(text, "partner_name", "--partner")


@pytest.mark.parametrize(("text", "expected"), TEXTS)
def test_the_same_check_for_stored_options(text, expected) -> None:  # noqa: ANN001
    from analysis.commands.options import check_option_text

    if expected is None:
        assert check_option_text(text, "--actor", limit=200) == text
        return
    expected = expected.replace("(a name must be on one line)", "(it is one line of text)")
    with pytest.raises(DataError) as info:
        check_option_text(text, "--actor", limit=200)
    assert str(info.value) == f"--actor {expected}; nothing was stored."


@pytest.mark.parametrize(("text", "expected"), [
    ("first line\nsecond line\twith a tab\r\n", None),  # the consent page shows lines
    ("a\u2028b", None),
    ("a\x0bb", "purpose= contains a control character (U+000B)."),
    ("a\x1b[2Jb", "purpose= contains a control character (U+001B)."),
    ("a\x00b", "purpose= contains a NUL character."),
])
def test_the_same_check_for_the_privacy_notice(text, expected) -> None:  # noqa: ANN001
    from instruments.store.rights import StudySettings, check_settings

    if expected is None:
        assert check_settings(StudySettings(purpose=text)).purpose == text
        return
    with pytest.raises(DataError) as info:
        check_settings(StudySettings(purpose=text))
    assert f"  - {expected}" in str(info.value).splitlines()


@pytest.mark.parametrize(("contact", "expected"), [
    ("lead@uni.example\nsecond line", "contact= is more than one line."),
    ("lead@uni.example\u2029Room 4", "contact= is more than one line."),
    ("lead@uni.example\x1b[31m", "contact= contains a control character (U+001B)."),
])
def test_the_same_check_for_the_contact(contact, expected) -> None:  # noqa: ANN001
    from instruments.store.rights import StudySettings, check_settings, contact_problem

    with pytest.raises(DataError) as info:
        check_settings(StudySettings(contact=contact))
    assert str(info.value).splitlines()[1:] == [f"  - {expected}"]
    assert contact_problem(contact) == expected[len("contact= "):-1]


def test_the_command_line_refuses_in_the_same_words(tmp_path, capsys) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    _refused(["invite", "--study", "s\u2028t", "--n", "1", "--db", url],
             "--study contains a line break (a name must be on one line); it cannot be "
             "stored.", capsys)
    assert not (tmp_path / "store.sqlite").exists()
