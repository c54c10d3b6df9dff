"""Hostile input, twelfth round: numbers written in other scripts' digits, column names that
differ only in blanks or invisible characters, a second byte-order mark, column names of
several levels, arguments of the wrong kind to the fieldwork functions, SMTP and survey
addresses that cannot be parsed, invisible characters in stored names, options typed twice
and paths in the home folder of no user; with a sweep of odd values over the store and
fieldwork commands that were refused well already.

Before these fixes:

* Every whole-number and decimal option took other scripts' digits and digit groups:
  ``sem --bootstrap \u0663`` (Arabic-Indic three) drew 3 bootstrap samples,
  ``simulate --n \uff13\uff10`` (full-width) simulated 30 respondents, ``--n 1_0`` 10,
  ``--missing 1_0e-1`` was read as 1.0 -- while the same text in a data file is "not
  numeric".  ``power --n`` alone refused them.
* A data file with the columns ``x1`` and ``x1 `` (or ``x1`` with a no-break space, a
  zero-width space or a byte-order mark), which look the same in a spreadsheet, was read;
  the model took the column spelled exactly, whichever the user meant (HS: x4's values
  under the name 'x1 ' beside x1).  A file saved twice with a byte-order mark had its
  first column named '\\ufeffid'; a contact list so saved was refused with "Missing
  column(s) email; found email, name, ...".
* ``moderation()`` (any function reading columns through ``numeric_columns``) given a
  frame with a column MultiIndex ended in an internal AttributeError; ``columns='x1'``
  asked for the columns 'x' and '1'.
* ``create_invitations(wave=None)`` created the wave 'None', ``wave=['a']`` the wave
  "['a']", ``create_wave(..., b'w')`` the wave "b'w'"; ``expires_days='5'`` and
  ``expires_days=True`` were taken as 5 days and one day; ``test='yes'`` ended in the
  database driver's StatementError and ``test=None`` was taken as False.
* ``exclude_from_analysis`` with ``invitation_id=None`` ended in a TypeError, with 2**70
  in an OverflowError, with ``True`` it excluded invitation 1; ``reason=5`` ended in an
  AttributeError.
* ``mail --configure --smtp 'smtp://[::1'`` ended in an internal error ("Invalid IPv6
  URL"); ``smtp://host:25/relay?x=1`` was stored without its path and query.
* ``--base-url https://survey.example.org:99999`` (or ``:0``, ``:abc``) was stored and
  printed in every link, which led nowhere.
* A study named 's' followed by a zero-width space (U+200B), shown exactly as the study
  's' beside it, was created; so was the partner 'Acme' with a soft hyphen (U+00AD), a
  partner other than 'Acme' in every export, and the same in contact lists and the
  privacy notice.
* ``delete --test-responses --note <3,000 characters>`` (or a note with an escape sequence)
  said "0 preview response(s) deleted": the note was checked with each erasure only.
* A value option typed twice kept the last value without a word: ``delete --token A
  --token B`` erased B only, ``invite --study s1 --study s2`` invited into s2.
* A path starting with ``~nouser`` (a quoted '~bob/x.csv', '--data=~bob/x.csv', a store
  'sqlite:///~bob/x.sqlite') ended in an internal RuntimeError ("Could not determine home
  directory"); a store URL holding a NUL in an internal ValueError ("embedded null byte").
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import DataError
from tests.hostile._runner import copy_store as _copy
from tests.hostile._runner import invited_store
from tests.hostile._runner import refused as _refused
from tests.hostile.test_cli_more import DEMO, HS

CFA = "f =~ x1 + x2 + x3"
TWO = "f =~ x1 + x2 + x3\ng =~ x4 + x5 + x6\n"
PLS = "F1 =~ x1 + x2 + x3\nF2 =~ x4 + x5 + x6\nF2 ~ F1\n"
MODELS = {"sem": CFA, "pls": PLS, "reliability": TWO}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A response store with study 's' and one invitation (copied by the tests that write)."""
    return invited_store(tmp_path_factory, "round12_store")


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(sql).fetchall()


def _state(db: Path) -> list[list[tuple]]:
    """What the tests compare before and after a refusal: studies, waves, invitations,
    contacts, mail settings and exclusions."""
    return [_rows(db, f"SELECT * FROM {t} ORDER BY 1") for t in  # noqa: S608
            ("studies", "waves", "invitations", "contacts", "study_mail_settings",
             "analysis_exclusions")]


# -- 1. numbers written with other digits than 0-9 ---------------------------------------


OTHER_DIGITS = ["\u0663", "\uff13", "1_0", "\U0001d7d1"]  # Arabic-Indic, full-width, _, bold
NUMBER_OPTIONS = [
    ("sem-bootstrap", ["sem", str(HS), "--model", CFA, "--bootstrap", "{v}"]),
    ("sem-max-iter", ["sem", str(HS), "--model", CFA, "--max-iter", "{v}"]),
    ("sem-modindices", ["sem", str(HS), "--model", CFA, "--modindices", "{v}"]),
    ("sem-seed", ["sem", str(HS), "--model", CFA, "--bootstrap", "2", "--seed", "{v}"]),
    ("simulate-n", ["simulate", "--n", "{v}", "--out", "{tmp}/s.csv"]),
    ("simulate-dyads", ["simulate", "--n", "20", "--dyads", "{v}", "--out", "{tmp}/s.csv"]),
    ("simulate-missing", ["simulate", "--n", "20", "--missing", "0.{v}", "--out",
                          "{tmp}/s.csv"]),
    ("simulate-careless", ["simulate", "--n", "20", "--careless", "0.{v}", "--out",
                           "{tmp}/s.csv"]),
    ("pls-bootstrap", ["pls", str(HS), "--model", PLS, "--bootstrap", "{v}"]),
    ("pls-missing-value", ["pls", str(HS), "--model", PLS, "--missing-value", "{v}"]),
    ("power-n", ["power", "--n", "5{v}", "--reps", "1", "--no-progress"]),
    ("power-reps", ["power", "--n", "50", "--reps", "{v}", "--no-progress"]),
    ("power-alpha", ["power", "--n", "50", "--reps", "1", "--alpha", "0.0{v}",
                     "--no-progress"]),
    ("score-min-valid", ["score", str(DEMO), "--out", "{tmp}/s.csv", "--min-valid", "{v}"]),
    ("invite-n", ["invite", "--study", "s", "--n", "{v}", "--out", "{tmp}/l.csv", "--db",
                  "sqlite:///{tmp}/st.sqlite"]),
    ("invite-expires-days", ["invite", "--study", "s", "--n", "1", "--expires-days", "{v}",
                             "--out", "{tmp}/l.csv", "--db", "sqlite:///{tmp}/st.sqlite"]),
    ("health-timeout", ["health", "--no-store", "--app", "http://127.0.0.1:9", "--timeout",
                        "{v}"]),
    ("respondent-invitation", ["respondent", "--log", "--study", "s", "--invitation", "{v}",
                               "--db", "sqlite:///{tmp}/st.sqlite"]),
]


@pytest.mark.parametrize("value", OTHER_DIGITS, ids=["arabic", "fullwidth", "underscore",
                                                     "math-bold"])
@pytest.mark.parametrize(("name", "argv"), NUMBER_OPTIONS, ids=[c[0] for c in NUMBER_OPTIONS])
def test_numbers_in_other_digits_are_refused(name: str, argv: list[str], value: str,
                                             tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    args = [a.replace("{v}", value).replace("{tmp}", str(tmp_path)) for a in argv]
    err = _refused(args, "written with the digits 0-9", capsys)
    assert "argument --" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(("argv", "rows"), [
    (["simulate", "--n", "+30", "--out", "{tmp}/s.csv"], 30),
    (["simulate", "--n", " 25 ", "--out", "{tmp}/s.csv"], 25),
], ids=["leading-plus", "blanks"])
def test_numbers_in_ascii_digits_are_still_read(argv: list[str], rows: int,
                                               tmp_path: Path) -> None:
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 0
    assert len(pd.read_csv(tmp_path / "s.csv")) == rows


# -- 2. column names that differ only in blanks or invisible characters ------------------


ALIKE = [("trailing-blank", "x1 "), ("leading-blank", " x1"), ("no-break-space", "x1\u00a0"),
         ("zero-width-space", "\u200bx1"), ("byte-order-mark", "x1\ufeff"),
         ("soft-hyphen", "x1\u00ad")]


@pytest.fixture(scope="module")
def alike_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("round12_alike")
    hs = pd.read_csv(HS)
    out: dict[str, Path] = {}
    for case, name in ALIKE:
        renamed = hs.rename(columns={"x7": name})  # x7 is not in the models
        out[case] = root / f"{case}.csv"
        renamed.to_csv(out[case], index=False)
    renamed = hs.rename(columns={"x7": "x1 "})
    out["parquet"] = root / "alike.parquet"
    renamed.to_parquet(out["parquet"])
    return out


@pytest.mark.parametrize("command", ["sem", "pls", "reliability"])
@pytest.mark.parametrize("case", [c[0] for c in ALIKE] + ["parquet"])
def test_columns_named_alike_are_refused(case: str, command: str,
                                         alike_files: dict[str, Path],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """The model took 'x1' and passed over 'x1 ' (x7's values), whichever was meant."""
    err = _refused([command, str(alike_files[case]), "--model", MODELS[command]],
                   "has columns whose names differ only in blanks or invisible characters",
                   capsys)
    assert "'x1'" in err


def test_columns_named_alike_through_the_api(alike_files: dict[str, Path]) -> None:
    from analysis.study.datafiles import read_data

    with pytest.raises(DataError, match=r"'x1', 'x1 '; rename them"):
        read_data(alike_files["trailing-blank"])


def test_names_that_differ_in_case_stay_two_columns(tmp_path: Path) -> None:
    """'x1' and 'X1' are two variables (as in R); the reader keeps both."""
    from analysis.study.datafiles import read_data

    path = tmp_path / "case.csv"
    pd.read_csv(HS).rename(columns={"x7": "X1"}).to_csv(path, index=False)
    frame = read_data(path)
    assert {"x1", "X1"} <= set(frame.columns)


@pytest.mark.parametrize(("first", "values"), [("respondent_id", ["007", "008"]),
                                               ("x0", [7, 8])],
                         ids=["text-column", "number-column"])
def test_a_second_byte_order_mark_is_dropped(first: str, values: list, tmp_path: Path) -> None:
    """'\\ufeff\\ufeffrespondent_id': the first column was unknown under its own name."""
    from analysis.study.datafiles import read_data

    path = tmp_path / "bom2.csv"
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + f"{first},x1\n007,1\n008,2\n".encode())
    frame = read_data(path)
    assert list(frame.columns) == [first, "x1"]
    assert frame[first].tolist() == values


def test_a_second_byte_order_mark_through_sem(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    data = pd.read_csv(HS)[["x1", "x2", "x3"]]
    path = tmp_path / "bom2.csv"
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + data.to_csv(index=False).encode())
    assert main(["sem", str(path), "--model", CFA, "--json", str(tmp_path / "o.json")]) == 0
    capsys.readouterr()


# -- 3. columns of several levels, and one column named by text --------------------------


def test_a_column_multiindex_is_refused() -> None:
    from analysis.stats.regression import moderation

    hs = pd.read_csv(HS)
    hs.columns = pd.MultiIndex.from_tuples([(c, "a") for c in hs.columns])
    with pytest.raises(DataError, match="column names of 2 levels"):
        moderation(hs, "x2", "x1", "x3")


def test_numeric_columns_takes_one_name_as_text() -> None:
    from analysis.io import numeric_columns

    out = numeric_columns(pd.read_csv(HS), "x1", "test")
    assert list(out.columns) == ["x1"]


# -- 4. the fieldwork functions given arguments of the wrong kind ------------------------


@pytest.fixture
def api_store(store: Path, tmp_path: Path):  # noqa: ANN201
    from instruments.store.responses import ResponseStore

    db = _copy(store, tmp_path)
    response_store = ResponseStore(f"sqlite:///{db}")
    yield response_store, db
    response_store.dispose()


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"wave": None}, "The wave name must be text (or a whole number), not NoneType"),
    ({"wave": ["a"]}, "The wave name must be text (or a whole number), not list"),
    ({"wave": b"w"}, "The wave name must be text (or a whole number), not bytes"),
    ({"wave": 2.5}, "The wave name must be text (or a whole number), not float"),
    ({"wave": True}, "The wave name must be text (or a whole number), not bool"),
    ({"expires_days": "5"}, "expires_days= must be a number of days, not str"),
    ({"expires_days": True}, "expires_days= must be a number of days, not bool"),
    ({"expires_days": np.True_}, "expires_days= must be a number of days, not bool"),
    ({"test": "yes"}, "test= must be True or False, not 'yes'"),
    ({"test": None}, "test= must be True or False, not None"),
    ({"test": 1}, "test= must be True or False, not 1"),
], ids=["wave-none", "wave-list", "wave-bytes", "wave-float", "wave-bool", "expiry-text",
        "expiry-true", "expiry-numpy-true", "test-yes", "test-none", "test-one"])
def test_create_invitations_refuses_arguments_of_the_wrong_kind(kwargs: dict, expected: str,
                                                                api_store) -> None:  # noqa: ANN001
    from instruments.fieldwork.invitations import create_invitations

    response_store, db = api_store
    before = _state(db)
    with pytest.raises(DataError) as info:
        create_invitations(response_store, "s", 1, **kwargs)
    assert expected in str(info.value)
    assert _state(db) == before


@pytest.mark.parametrize("name", [None, b"w", ["w"], 1.0], ids=["none", "bytes", "list",
                                                              "float"])
def test_create_wave_refuses_what_is_no_name(name: object, api_store) -> None:  # noqa: ANN001
    from instruments.fieldwork.invitations import create_wave

    response_store, db = api_store
    before = _state(db)
    with pytest.raises(DataError, match="The wave name must be text"):
        create_wave(response_store, "s", name)  # type: ignore[arg-type]
    assert _state(db) == before


def test_whole_numbers_still_name_waves(api_store) -> None:  # noqa: ANN001
    from instruments.fieldwork.invitations import create_invitations, create_wave

    response_store, db = api_store
    create_wave(response_store, "s", np.int64(3))
    issued = create_invitations(response_store, "s", 1, wave=2, test=np.True_)
    assert issued[0].wave == "2"
    assert {r[0] for r in _rows(db, "SELECT name FROM waves")} >= {"1", "2", "3"}


@pytest.mark.parametrize(("invitation", "expected"), [
    (None, "not None"), (True, "not True"), (2.7, "not 2.7"), (2**70, "not 1180591620"),
    (0, "not 0"), (-1, "not -1"), ("abc", "not 'abc'"), ("\u0661", "not '\u0661'"),
], ids=["none", "true", "fraction", "too-large", "zero", "negative", "text", "arabic-one"])
@pytest.mark.parametrize("action", ["exclude", "include"])
def test_exclusions_refuse_what_is_no_invitation_number(action: str, invitation: object,
                                                        expected: str, api_store) -> None:  # noqa: ANN001
    from instruments.fieldwork.actions import exclude_from_analysis, include_in_analysis

    response_store, db = api_store
    act = exclude_from_analysis if action == "exclude" else include_in_analysis
    before = _state(db)
    with pytest.raises(DataError) as info:
        act(response_store, "s", invitation, "withdrawn by e-mail")  # type: ignore[arg-type]
    assert "The invitation number must be a whole number from 1 to" in str(info.value)
    assert expected in str(info.value)
    assert _state(db) == before


@pytest.mark.parametrize("reason", [5, ["r"], b"r"], ids=["int", "list", "bytes"])
def test_exclusions_refuse_a_reason_that_is_no_text(reason: object, api_store) -> None:  # noqa: ANN001
    from instruments.fieldwork.actions import exclude_from_analysis

    response_store, db = api_store
    before = _state(db)
    with pytest.raises(DataError, match="must be text, not"):
        exclude_from_analysis(response_store, "s", 1, reason)  # type: ignore[arg-type]
    assert _state(db) == before


@pytest.mark.parametrize("invitation", [1, np.int64(1), "1", " 1 "],
                         ids=["int", "numpy", "text", "text-blanks"])
def test_exclusions_take_invitation_numbers_as_before(invitation: object,
                                                      api_store) -> None:  # noqa: ANN001
    from instruments.fieldwork.actions import exclude_from_analysis

    response_store, db = api_store
    done = exclude_from_analysis(response_store, "s", invitation, "withdrawn")  # type: ignore[arg-type]
    assert done.invitation_id == 1
    assert len(_rows(db, "SELECT * FROM analysis_exclusions")) == 1


# -- 5. SMTP and survey addresses that cannot be parsed ----------------------------------


def _configure(db: Path, **changes: str) -> list[str]:
    args = {"--smtp": "smtp://127.0.0.1:2525", "--sender": "a@b.de", "--lead-name": "Lead",
            "--lead-email": "lead@b.de", "--base-url": "https://survey.example.org"}
    args.update(changes)
    argv = ["mail", "--configure", "--study", "s", "--db", f"sqlite:///{db}"]
    for option, value in args.items():
        argv += [option, value]
    return argv


@pytest.mark.parametrize(("smtp", "expected"), [
    ("smtp://[::1", "Cannot read the SMTP address 'smtp://[::1' (Invalid IPv6 URL)"),
    ("smtp://[::1:25", "Cannot read the SMTP address"),
    ("smtp://host:25/relay", "holds more than a server"),
    ("smtp://host:25?tls=1", "holds more than a server"),
    ("smtps://host:465#x", "holds more than a server"),
], ids=["ipv6-open", "ipv6-open-port", "path", "query", "fragment"])
def test_smtp_addresses_that_cannot_be_parsed(smtp: str, expected: str, store: Path,
                                              tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    db = _copy(store, tmp_path)
    before = _state(db)
    _refused(_configure(db, **{"--smtp": smtp}), expected, capsys)
    assert _state(db) == before


def test_an_ipv6_smtp_server_in_brackets_is_taken() -> None:
    from instruments.fieldwork.mail import parse_smtp_url

    server = parse_smtp_url("smtp+starttls://[::1]:587/")
    assert (server.host, server.port) == ("::1", 587)


BAD_PORTS = ["https://survey.example.org:99999", "https://survey.example.org:0",
             "https://survey.example.org:abc", "http://[::1]:70000/s"]


@pytest.mark.parametrize("address", BAD_PORTS, ids=["too-large", "zero", "letters", "ipv6"])
@pytest.mark.parametrize("command", ["invite", "mail"])
def test_a_survey_address_with_an_impossible_port(command: str, address: str, store: Path,
                                                  tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Every link began with an address that leads nowhere."""
    db = _copy(store, tmp_path)
    before = _state(db)
    if command == "invite":
        argv = ["invite", "--study", "s", "--n", "1", "--db", f"sqlite:///{db}", "--out",
                str(tmp_path / "l.csv"), "--base-url", address]
    else:
        argv = _configure(db, **{"--base-url": address})
    _refused(argv, "has a port that is not a number from 1 to 65535", capsys)
    assert _state(db) == before
    assert not (tmp_path / "l.csv").exists()


def test_the_store_refuses_the_port_too(api_store) -> None:  # noqa: ANN001
    from instruments.fieldwork.mail import configure_mail

    response_store, db = api_store
    with pytest.raises(DataError, match="has a port that is not a number"):
        configure_mail(response_store, "s", smtp="smtp://127.0.0.1:2525", sender="a@b.de",
                       lead_name="Lead", lead_email="lead@b.de",
                       base_url="https://survey.example.org:99999")
    assert _rows(db, "SELECT COUNT(*) FROM study_mail_settings") == [(0,)]


@pytest.mark.parametrize("address", ["https://survey.example.org:8443",
                                     "http://[::1]:8501/survey", "https://x.org:/"],
                         ids=["port", "ipv6", "empty-port"])
def test_survey_addresses_with_ports_still_work(address: str) -> None:
    from instruments.fieldwork.mail import base_url_problem

    assert base_url_problem(address) is None


# -- 6. invisible characters in stored names ---------------------------------------------


INVISIBLE = [("zero-width-space", "\u200b"), ("soft-hyphen", "\u00ad"),
             ("word-joiner", "\u2060"), ("byte-order-mark", "\ufeff"),
             ("invisible-times", "\u2062")]


def _name_cases() -> list[tuple[str, list[str]]]:
    return [
        ("invite-study", ["invite", "--study", "s{c}", "--n", "1"]),
        ("invite-wave", ["invite", "--study", "s", "--wave", "w{c}2", "--n", "1"]),
        ("invite-partner", ["invite", "--study", "s", "--partner", "Acme{c}", "--n", "1"]),
        ("wave-open", ["wave", "--study", "s", "--open", "w{c}2"]),
        ("respondent-actor", ["respondent", "--exclude", "--study", "s", "--invitation", "1",
                              "--reason", "withdrawn", "--actor", "Lead{c}"]),
        ("respondent-reason", ["respondent", "--exclude", "--study", "s", "--invitation", "1",
                               "--reason", "with{c}drawn"]),
    ]


NAME_CASES = _name_cases()


@pytest.mark.parametrize(("char_name", "char"), INVISIBLE, ids=[c[0] for c in INVISIBLE])
@pytest.mark.parametrize(("case", "argv"), NAME_CASES, ids=[c[0] for c in NAME_CASES])
def test_invisible_characters_in_names_are_refused(case: str, argv: list[str], char_name: str,
                                                   char: str, store: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """'s\\u200b' was a study of its own beside 's', shown the same everywhere."""
    db = _copy(store, tmp_path)
    args = [a.replace("{c}", char) for a in argv] + ["--db", f"sqlite:///{db}"]
    if args[0] == "invite":
        args += ["--out", str(tmp_path / "l.csv")]
    before = _state(db)
    err = _refused(args, f"invisible character (U+{ord(char):04X})", capsys)
    assert "look alike" in err
    assert _state(db) == before
    assert not (tmp_path / "l.csv").exists()


def test_soft_hyphens_in_prose_are_still_stored(store: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A purpose pasted from a word processor may hold soft hyphens; it is no name."""
    db = _copy(store, tmp_path)
    text = "Research on alliance learning (Datenschutz\u00adgrundverordnung)"
    assert main(["privacy", "--study", "s", "--purpose", text, "--db", f"sqlite:///{db}"]) == 0
    capsys.readouterr()
    assert main(["privacy", "--study", "s", "--db", f"sqlite:///{db}"]) == 0
    assert text in capsys.readouterr().out


def test_joiners_of_scripts_and_emoji_are_still_stored(store: Path, tmp_path: Path) -> None:
    """U+200C and U+200D belong to Persian and Indic names (and emoji)."""
    db = _copy(store, tmp_path)
    assert main(["invite", "--study", "s", "--partner", "\u0645\u06cc\u200c\u0631\u0648\u062f",
                 "--n", "1", "--db", f"sqlite:///{db}", "--out", str(tmp_path / "l.csv")]) == 0
    names = {r[0] for r in _rows(db, "SELECT partner_name FROM invitations")}
    assert "\u0645\u06cc\u200c\u0631\u0648\u062f" in names


@pytest.mark.parametrize(("char_name", "char"), INVISIBLE[:3], ids=[c[0] for c in INVISIBLE[:3]])
@pytest.mark.parametrize("column", ["name", "firm", "partner"])
def test_invisible_characters_in_a_contact_list(column: str, char_name: str, char: str,
                                                store: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from instruments.fieldwork.contacts import new_secret_key

    monkeypatch.setenv("ALLIANCE_SURVEY_SECRET_KEY", new_secret_key())
    db = _copy(store, tmp_path)
    row = {"email": "a@x.de", "name": "Hans", "firm": "Acme", "partner": "Beta"}
    row[column] += char
    contacts = tmp_path / "c.csv"
    contacts.write_text("email,name,firm,partner\n" + ",".join(row.values()) + "\n",
                        encoding="utf-8")
    before = _state(db)
    _refused(["mail", "--contacts", str(contacts), "--study", "s", "--db", f"sqlite:///{db}"],
             f"line 2: {column} contains an invisible character (U+{ord(char):04X})", capsys)
    assert _state(db) == before


# -- 7. contact lists and invitation files saved with two byte-order marks ---------------


def test_a_contact_list_with_two_byte_order_marks_is_read() -> None:
    from instruments.fieldwork.contacts import read_contacts

    rows = read_contacts(b"\xef\xbb\xbf\xef\xbb\xbfemail,name,firm,partner\n"
                         b"a@x.de,Hans,Acme,Beta\n")
    assert rows == [{"email": "a@x.de", "name": "Hans", "firm": "Acme", "partner": "Beta"}]


def test_an_invitation_file_with_two_byte_order_marks_is_read(store: Path, tmp_path: Path,
                                                              capsys) -> None:  # noqa: ANN001
    db = _copy(store, tmp_path)
    source = tmp_path / "partners.csv"
    source.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbfpartner_name\nAcme\nBeta\n")
    assert main(["invite", "--study", "s", "--from", str(source), "--db", f"sqlite:///{db}",
                 "--out", str(tmp_path / "l.csv")]) == 0, capsys.readouterr().err
    names = sorted(r[0] for r in _rows(db, "SELECT partner_name FROM invitations "
                                           "WHERE partner_name IS NOT NULL"))
    assert names == ["Acme", "Beta"]


# -- 8. odd values over the store and fieldwork commands (coverage) ----------------------


def _store_cases(tmp: Path) -> list[tuple[str, list[str], str]]:
    out = str(tmp)
    cases: list[tuple[str, list[str], str]] = []
    for wave in ("", " ", "\u00a0", "x" * 300):
        cases.append((f"invite-wave-{len(wave)}", ["invite", "--study", "s", "--wave", wave,
                                                   "--n", "1", "--out", f"{out}/l.csv"],
                      "--wave"))
    for partner, expected in (("", "must not be empty"), ("x" * 1000, "at most 300"),
                              ("A\nB", "contains a line break"), ("\x00", "NUL character"),
                              ("A\u202eB", "direction control")):
        cases.append((f"invite-partner-{partner[:3]!r}", [
            "invite", "--study", "s", "--partner", partner, "--n", "1", "--out",
            f"{out}/l.csv"], expected))
    for lang in ("", "EN", "en-GB", "de_DE", "xx", "en "):
        cases.append((f"invite-lang-{lang!r}", ["invite", "--study", "s", "--lang", lang,
                                                "--n", "1", "--out", f"{out}/l.csv"],
                      "is not offered by instrument"))
    cases.append(("invite-out-is-store", ["invite", "--study", "s", "--n", "1", "--out",
                                          "{db}"], "writing it would destroy the input"))
    cases.append(("invite-out-too-long", ["invite", "--study", "s", "--n", "1", "--out",
                                          f"{out}/{'x' * 300}.csv"], "longer than 255 bytes"))
    for fmt, name, expected in (("codebook", "cb.txt", "ends in .txt"),
                                ("codebook", "cb", "has no extension"),
                                ("long", "lg.sav", "ends in .sav"),
                                ("csv", "e.parquet", "ends in .parquet"),
                                ("dta", "e.sav", "ends in .sav")):
        cases.append((f"export-{fmt}-{name}", ["export", "--study", "s", "--format", fmt,
                                               "--out", f"{out}/{name}"], expected))
    for lang in ("xx", "", "EN"):
        cases.append((f"export-lang-{lang!r}", ["export", "--study", "s", "--format", "sav",
                                                "--out", f"{out}/e.sav", "--lang", lang],
                      "is not offered by instrument"))
    cases.append(("export-no-study", ["export", "--study", "nope", "--format", "csv", "--out",
                                      f"{out}/e.csv"], "There is no study 'nope'"))
    for token, expected in (("", "--token is empty"), (" ", "--token is empty"),
                            ("x", "has the token 'x'"), ("?t=abc", "has the token '?t=abc'"),
                            ("a" * 10000, "Nothing was erased")):
        cases.append((f"delete-token-{token[:4]!r}", ["delete", "--study", "s", "--token",
                                                      token], expected))
    for confirm in ("S", " s x", "s2"):
        cases.append((f"delete-confirm-{confirm!r}", ["delete", "--study", "s",
                                                      "--all-responses", "--confirm", confirm],
                      "give the study name again with --confirm"))
    cases.append(("delete-confirm-without-all", ["delete", "--study", "s", "--test-responses",
                                                 "--confirm", "s"], "--confirm goes with"))
    for option, value, expected in (
            ("--contact", "not an email", "does not say how to reach the study lead"),
            ("--contact", "a@b", "does not say how to reach"),
            ("--retention", "x" * 5000, "at most 300 allowed"),
            ("--completion-code", "a b", "completion_code= must be 1-64 letters"),
            ("--completion-code", "x" * 500, "completion_code= must be 1-64 letters"),
            ("--redirect-url", "ftp://x", "must be an https:// address"),
            ("--redirect-url", "javascript:alert(1)", "must be an https:// address"),
            ("--redirect-url", "https://x\u00a0y", "must be an https:// address"),
            ("--controller", "a\x1b[31m", "control character")):
        cases.append((f"privacy{option}-{value[:6]!r}", ["privacy", "--study", "s", option,
                                                         value], expected))
    for args, expected in (
            (["--exclude", "--invitation", "1", "--reason", ""], "need --reason"),
            (["--exclude", "--invitation", "1", "--reason", "x" * 100000], "at most 500"),
            (["--exclude", "--invitation", "1", "--reason", "ok\x1b[31m"], "U+001B"),
            (["--exclude", "--invitation", "999", "--reason", "r"], "no invitation #999"),
            (["--exclude", "--invitation", "0", "--reason", "r"], "must be 1 or more"),
            (["--include", "--invitation", "1", "--reason", "r"], "is not excluded"),
            (["--correct", "=3", "--invitation", "1", "--reason", "r"], "takes ITEM=VALUE"),
            (["--correct", "trust_1=3", "--correct", "trust_1=4", "--invitation", "1",
              "--reason", "r"], "names 'trust_1' twice"),
            (["--correct", "trust_1=3", "--invitation", "1", "--reason", "r"],
             "has not answered yet"),
            (["--copy", "--invitation", "1", "--out", f"{out}/c.csv"], "must end in .json"),
            (["--copy", "--invitation", "1", "--out", f"{out}/"], "is a folder"),
            (["--log", "--out", f"{out}/x.json"], "--out is for --copy only"),
            (["--resend", "--invitation", "1"], "has no e-mail address")):
        cases.append((f"respondent-{args[0]}-{len(cases)}", ["respondent", "--study", "s"]
                      + args, expected))
    for args, expected in ((["--open", ""], "--open must not be empty"),
                           (["--open", "1"], "has a wave '1' already"),
                           (["--open", "x" * 200], "at most 100"),
                           (["--open", "w2", "--instrument", out], "No questionnaire.yaml"),
                           (["--open", "w3"], "runs instrument version")):
        cases.append((f"wave-{len(cases)}", ["wave", "--study", "s"] + args, expected))
    for args, expected in (
            (["--sender", "a@b.de,c@d.de"], "is not an e-mail address"),
            (["--sender", "A <a@b.de>"], "is not an e-mail address"),
            (["--sender-name", "Lead\u202e"], "direction control"),
            (["--sender-name", "x" * 500], "at most 200"),
            (["--password-env", ""], "is not an environment variable name"),
            (["--password-env", "A=B"], "is not an environment variable name"),
            (["--smtp", "smtp://127.0.0.1:0"], "must lie between 1 and 65535, not 0"),
            (["--smtp", "smtps://user:pw@host:465"], "must not contain a password"),
            (["--smtp", "http://x"], "Cannot read the SMTP address")):
        cases.append((f"mail-configure-{args[0]}-{len(cases)}", ["mail", "--configure",
                                                                 "--study", "s"] + args,
                      expected))
    return cases


STORE_CASES = _store_cases(Path("{tmp}"))


@pytest.mark.parametrize(("case", "argv", "expected"), STORE_CASES,
                         ids=[c[0] for c in STORE_CASES])
def test_store_commands_refuse_odd_values(case: str, argv: list[str], expected: str,
                                          store: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    db = _copy(store, tmp_path)
    args = [a.replace("{tmp}", str(tmp_path)).replace("{db}", str(db)) for a in argv]
    if args[:2] == ["mail", "--configure"]:
        defaults = {"--smtp": "smtp://127.0.0.1:2525", "--sender": "a@b.de",
                    "--lead-name": "Lead", "--lead-email": "lead@b.de",
                    "--base-url": "https://survey.example.org"}
        for option, value in defaults.items():
            if option not in args:
                args += [option, value]
    args += ["--db", f"sqlite:///{db}"]
    before = _state(db)
    _refused(args, expected, capsys)
    assert _state(db) == before
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("copy.sqlite")] == []


# -- 9. a note for the audit log when there is nothing to erase ---------------------------


@pytest.mark.parametrize(("note", "expected"), [
    ("x" * 3000, "has 3000 characters; at most 200"),
    ("asked\x1b[31m by mail", "control character (U+001B)"),
    ("asked\nby mail", "contains a line break"),
    ("asked\u200b by mail", "invisible character (U+200B)"),
], ids=["long", "escape", "line-break", "zero-width"])
@pytest.mark.parametrize("what", ["--test-responses", "--all-responses"])
def test_a_bad_note_is_refused_with_nothing_to_erase(what: str, note: str, expected: str,
                                                     store: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """With no preview response (or every response erased already) the note was never
    checked: 'delete --test-responses --note <3,000 characters>' said "0 deleted"."""
    db = _copy(store, tmp_path)
    if what == "--all-responses":
        assert main(["delete", "--study", "s", "--all-responses", "--confirm", "s",
                     "--db", f"sqlite:///{db}"]) == 0
        capsys.readouterr()
    before = _state(db)
    args = ["delete", "--study", "s", what, "--note", note, "--db", f"sqlite:///{db}"]
    if what == "--all-responses":
        args += ["--confirm", "s"]
    _refused(args, expected, capsys)
    assert _state(db) == before


# -- 10. an option given twice with different values -------------------------------------


REPEATED = [
    ("invite-study", ["invite", "--study", "s1", "--study", "s2", "--n", "1"], "--study",
     "('s1', 's2')"),
    ("invite-study-abbreviated", ["invite", "--stud", "s1", "--study", "s2", "--n", "1"],
     "--study", "('s1', 's2')"),
    ("invite-n", ["invite", "--study", "s", "--n", "1", "--n", "500"], "--n", "(1, 500)"),
    ("delete-token", ["delete", "--study", "s", "--token", "abc", "--token=def"], "--token",
     "('abc', 'def')"),
    ("delete-study", ["delete", "--study", "s", "--study", "t", "--test-responses"],
     "--study", "('s', 't')"),
    ("privacy-legal-basis", ["privacy", "--study", "s", "--legal-basis", "consent",
                             "--legal-basis", "public_interest"], "--legal-basis",
     "('consent', 'public_interest')"),
    ("respondent-invitation", ["respondent", "--exclude", "--study", "s", "--invitation", "1",
                               "--invitation", "2", "--reason", "r"], "--invitation",
     "(1, 2)"),
    ("db", ["export", "--study", "s", "--format", "csv", "--out", "{tmp}/e.csv", "--db",
            "sqlite:///{tmp}/other.sqlite"], "--db", "other.sqlite"),
]


@pytest.mark.parametrize(("case", "argv", "option", "values"), REPEATED,
                         ids=[c[0] for c in REPEATED])
def test_an_option_given_twice_is_refused(case: str, argv: list[str], option: str,
                                          values: str, store: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """argparse kept the last value: 'delete --token A --token B' erased B only."""
    db = _copy(store, tmp_path)
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv] + ["--db", f"sqlite:///{db}"]
    before = _state(db)
    err = _refused(args, f"{option} is given twice with different values", capsys)
    assert values in err
    assert _state(db) == before
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("copy.sqlite")] == []


@pytest.mark.parametrize("argv", [
    ["sem", str(HS), "--model", CFA, "--model", CFA, "--json", "{tmp}/o.json"],
    ["respondent", "--correct", "trust_1=3", "--correct", "trust_2=4", "--study", "s",
     "--invitation", "1", "--reason", "r", "--db", "sqlite:///{tmp}/none.sqlite"],
], ids=["same-value-twice", "append-option"])
def test_options_given_twice_with_one_value_or_appended_still_work(
        argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert "is given twice" not in err
    assert code == (0 if argv[0] == "sem" else 2)


# -- 11. a path that starts with '~nouser' -----------------------------------------------


NO_HOME = [
    ("sem-data", ["sem", "~{user}/x.csv", "--model", CFA]),
    ("sem-json", ["sem", str(HS), "--model", CFA, "--json", "~{user}/o.json"]),
    ("simulate-out", ["simulate", "--n", "20", "--out", "~{user}/s.csv"]),
    ("score-data", ["score", "~{user}/x.csv", "--out", "{tmp}/s.csv"]),
    ("export-script-out", ["export-script", str(DEMO), "--out", "~{user}/dir"]),
    ("invite-db", ["invite", "--study", "s", "--n", "1", "--out", "{tmp}/l.csv", "--db",
                   "sqlite:///~{user}/x.sqlite"]),
    ("export-db", ["export", "--study", "s", "--format", "csv", "--out", "{tmp}/e.csv",
                   "--db", "sqlite:///~{user}/x.sqlite"]),
    ("health-db", ["health", "--db", "sqlite:///~{user}/x.sqlite"]),
    ("wave-db", ["wave", "--study", "s", "--db", "sqlite:///~{user}/x.sqlite"]),
]


@pytest.mark.parametrize(("case", "argv"), NO_HOME, ids=[c[0] for c in NO_HOME])
def test_a_path_in_the_home_of_no_user(case: str, argv: list[str], tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Path.expanduser() raised RuntimeError ("Could not determine home directory"): an
    internal error, for a quoted '~bob/x.csv' or '--data=~bob/x.csv' with no user bob."""
    user = "nouser_round12_x"
    args = [a.replace("{user}", user).replace("{tmp}", str(tmp_path)) for a in argv]
    _refused(args, f"starts with '~{user}', which names no home folder", capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_store_url_with_a_nul_character() -> None:
    """'embedded null byte' (ValueError) from the file system: an internal error."""
    from instruments.store.responses import ResponseStore

    with pytest.raises(DataError, match="holds a NUL character"):
        ResponseStore("sqlite:////tmp/round12\x00.sqlite")
