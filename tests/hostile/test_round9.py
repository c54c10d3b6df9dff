"""Hostile input, ninth round: encodings and separators the reader did not name, long
``:=`` expressions, hypotheses declarations that changed the verdicts without a word,
stores of another version or another program, SIGTERM in the middle of a write, and
arguments of the wrong kind to ``sem()``.

Before these fixes:

* A UTF-16 data file without a byte-order mark (or behind a UTF-8 one) was read as names
  like '\\x00x\\x001', and ``sem`` said "The model names variables that are not in data=";
  a UTF-32 file was called UTF-16; a file separated by vertical bars (``|``) got the
  same "not in data=" message instead of naming the separator.
* ``d := a + a + ... + a`` with 5,000 terms ended ``sem`` in "internal error
  (RecursionError: maximum recursion depth exceeded during ast construction)".
* ``decision: {family: []}`` turned every confirmatory hypothesis into "exploratory:
  effect detected" (no Holm adjustment, no verdict); ``cluster: ''`` switched the
  cluster-robust standard errors off without a warning; a composite named like a scale
  score (``trust: [info_sharing, joint_sensemaking]``) replaced that score in every test.
* ``sem`` on a file with one usable row said "Group '' has 1 usable cases".
* A store written by a newer version (an Alembic revision this package does not know)
  ended every store command in "internal error (CommandError: Can't locate revision
  identified by ...)"; a database holding this package's tables without a schema version
  was "table studies already exists. Check that the database server is running"; a
  locked store and a file that is no database were told to check the server too.
* SIGTERM or SIGHUP (``kill``, ``timeout``, a cancelled CI job) while a file was written
  ended the process at once and left the half-written scratch file
  (``.sim.1a2b3c4d.part.csv``) beside the target.
* ``sem(model, data_dict)`` and ``sem(model, df, group=["school"])`` ended in an
  AttributeError / TypeError; ``sem(model, df, std_lv="no")`` fitted unit latent
  variances and ``meanstructure="no"`` added a mean structure, both without a word.
* ``power_analysis(seed=-1)`` ended in numpy's ValueError; ``ns=[100.5]`` was cut to 100;
  ``estimator="GLS"``, ``careless=nan`` or ``missing=1`` ran every replication to a
  failure and reported a power of NaN for each hypothesis without saying why.
* ``build_report(None)`` / ``build_report({...})`` / ``analysis=[...]`` ended in a
  TypeError or AttributeError; ``seed="1"`` was caught as a failed analysis and became a
  report of that failure; ``lang="fr"`` gave English labels without a word.
"""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import DataError, InstrumentError, ModelSpecificationError
from tests.hostile._runner import invited_store
from tests.hostile._runner import refused as _refused
from tests.hostile.test_cli_more import DEMO, HS, HYPOTHESES

REPO = Path(__file__).resolve().parents[2]
CFA = "f =~ x1 + x2 + x3"


# -- 1. data files in encodings and separators the reader did not name ---------------------


def _text() -> str:
    return HS.read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("utf16-no-bom", lambda: _text().encode("utf-16-le"), "it is UTF-16 text; save it as UTF-8"),
    ("utf8-bom-then-utf16", lambda: b"\xef\xbb\xbf" + _text().encode("utf-16-le"),
     "it is UTF-16 text; save it as UTF-8"),
    ("utf32-bom", lambda: _text().encode("utf-32"), "it is UTF-32 text; save it as UTF-8"),
    ("utf32-no-bom", lambda: _text().encode("utf-32-be"), "it is UTF-32 text"),
    ("pipes", lambda: pd.read_csv(HS).to_csv(sep="|", index=False).encode(),
     "has its columns separated by vertical bars (|), not commas"),
])
def test_encodings_and_separators_are_named(name, content, expected, tmp_path,  # noqa: ANN001
                                            capsys) -> None:
    data = tmp_path / f"{name}.csv"
    data.write_bytes(content())
    err = _refused(["sem", str(data), "--model", CFA], expected, capsys)
    assert "not in data=" not in err


def test_a_nul_byte_in_a_text_cell_is_still_read(tmp_path) -> None:  # noqa: ANN001
    """Only a file whose bytes are mostly NUL is taken for UTF-16 or UTF-32."""
    from analysis.study.datafiles import read_data

    data = tmp_path / "nul.csv"
    data.write_bytes(HS.read_bytes().replace(b"Pasteur", b"Past\x00ur", 1))
    assert read_data(data).shape == (301, 15)


# -- 2. a defined parameter of thousands of terms ------------------------------------------


def test_a_sum_of_thousands_of_labels_is_refused(capsys) -> None:  # noqa: ANN001
    model = "f =~ x1 + a*x2 + b*x3\nd := " + " + ".join(["a"] * 5000)
    _refused(["sem", str(HS), "--model", model], "nests more than 250 operations; split it "
             "into several ':=' definitions", capsys)


def test_a_sum_of_a_hundred_labels_is_fitted() -> None:
    from analysis.sem.api import sem

    res = sem("f =~ x1 + a*x2 + b*x3\nd := " + " + ".join(["a"] * 100), pd.read_csv(HS))
    assert res.converged


# -- 3. hypotheses declarations that changed the verdicts silently ---------------------------


def _declaration(tmp_path: Path, old: str, new: str) -> Path:
    text = HYPOTHESES.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "h.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  family: confirmatory\n", "  family: []\n", "decision.family: lists no hypothesis"),
    ("cluster: alliance_id\n", "cluster: ''\n", "cluster: is empty; name the column"),
])
def test_declarations_that_changed_the_verdicts_are_refused(old, new, expected,  # noqa: ANN001
                                                             tmp_path) -> None:
    from analysis.study.hypotheses import load_hypotheses

    with pytest.raises(InstrumentError, match=expected):
        load_hypotheses(_declaration(tmp_path, old, new))


def test_a_composite_may_not_take_the_name_of_a_score(tmp_path) -> None:  # noqa: ANN001
    from analysis.study.datafiles import read_data
    from analysis.study.hypotheses import load_hypotheses, prepare_scores

    old = "  learning: [info_sharing, joint_sensemaking, knowledge_integration]\n"
    hs = load_hypotheses(_declaration(tmp_path, old,
                                      old + "  trust: [info_sharing, joint_sensemaking]\n"))
    data = read_data(DEMO).head(40)
    with pytest.raises(DataError, match="Composite 'trust' of the hypotheses file has the "
                                        "name of a score of the instrument"):
        prepare_scores(data, None, hs)
    d, _, _ = prepare_scores(data, None, load_hypotheses())  # the declared one still works
    assert "learning" in d.columns


def test_one_usable_row_without_groups(tmp_path, capsys) -> None:  # noqa: ANN001
    data = tmp_path / "one.csv"
    pd.read_csv(HS).head(1).to_csv(data, index=False)
    err = _refused(["sem", str(data), "--model", CFA], "The data have 1 usable case (rows "
                   "with the model's variables observed); at least 2 are needed.", capsys)
    assert "Group ''" not in err


# -- 4. stores of another version or another program -----------------------------------------


def _digest(path: Path) -> str:
    """The database's content (its file also records the journal mode a connection set)."""
    with sqlite3.connect(path) as con:
        return hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return invited_store(tmp_path_factory, "round9_store")


def _copy(stored: Path, tmp_path: Path, sql: str) -> Path:
    db = tmp_path / "copy.sqlite"
    with sqlite3.connect(stored) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    with sqlite3.connect(db) as con:
        con.execute(sql)
    return db


@pytest.mark.parametrize(("sql", "expected"), [
    ("UPDATE alembic_version SET version_num = 'f00dcafe9999'",
     "has schema revision 'f00dcafe9999', which this version of alliance-survey does not "
     "know: a newer version wrote it"),
    ("DROP TABLE alembic_version", "but no alliance-survey schema version: it is not a "
                                   "response store of this package"),
])
@pytest.mark.parametrize("command", ["export", "invite"])
def test_a_store_of_another_version_or_program(sql, expected, command, stored, tmp_path,  # noqa: ANN001
                                               capsys) -> None:
    db = _copy(stored, tmp_path, sql)
    before = _digest(db)
    args = (["export", "--study", "s", "--format", "csv", "--out", str(tmp_path / "e.csv")]
            if command == "export" else
            ["invite", "--study", "s", "--n", "1", "--out", str(tmp_path / "l.csv")])
    _refused([*args, "--db", f"sqlite:///{db}"], expected, capsys)
    assert _digest(db) == before
    assert not (tmp_path / "e.csv").exists() and not (tmp_path / "l.csv").exists()


def test_a_database_shared_with_other_tables_is_still_a_store(tmp_path) -> None:  # noqa: ANN001
    from instruments.store import ResponseStore
    from instruments.store.migrate import SharedDatabaseNotice

    db = tmp_path / "shared.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE other_app_users (id INTEGER)")
    # allowed, and said once (session 23): the other program's tables are named
    with pytest.warns(SharedDatabaseNotice, match="other_app_users"):
        ResponseStore(f"sqlite:///{db}").dispose()
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM studies").fetchone() == (0,)


@pytest.mark.parametrize(("detail", "expected"), [
    ("(sqlite3.OperationalError) database is locked", "Another program holds the store "
                                                      "locked"),
    ("(sqlite3.DatabaseError) file is not a database", "is not an SQLite database or it is "
                                                       "damaged"),
    ("(sqlite3.DatabaseError) database disk image is malformed", "it is damaged"),
    ("(psycopg.OperationalError) connection refused", "Check that the database server is "
                                                      "running"),
])
def test_the_advice_fits_the_failure(detail, expected) -> None:  # noqa: ANN001
    from instruments.store.engine import unavailable

    message = str(unavailable("sqlite:///x.sqlite", Exception(detail)))
    assert expected in message
    if "server" not in expected:
        assert "database server is running" not in message


def test_a_file_that_is_no_database_through_the_cli(tmp_path, capsys) -> None:  # noqa: ANN001
    db = tmp_path / "notes.sqlite"
    db.write_text("these are my notes\n", encoding="utf-8")
    _refused(["export", "--study", "s", "--format", "csv", "--out", str(tmp_path / "e.csv"),
              "--db", f"sqlite:///{db}"], "is not an SQLite database or it is damaged",
             capsys)
    assert db.read_text(encoding="utf-8") == "these are my notes\n"


# -- 5. SIGTERM and SIGHUP while a file is written -----------------------------------------

SLOW_WRITE = """
import sys, time
import pandas as pd
real = pd.DataFrame.to_csv
def slow(self, path, *args, **kwargs):
    real(self.head(3), path, *args, **kwargs)  # part of the file, then the signal
    time.sleep(60)
pd.DataFrame.to_csv = slow
from analysis.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_termination_while_writing_leaves_no_scratch_file(sig, tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "sim.csv"
    out.write_text("the earlier file\n", encoding="utf-8")
    run = subprocess.Popen([sys.executable, "-c", SLOW_WRITE, "simulate", "--n", "30",
                            "--out", str(out)], cwd=REPO, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not [p for p in tmp_path.iterdir() if ".part" in p.name and p.stat().st_size]:
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.02)
    run.send_signal(sig)
    _, err = run.communicate(timeout=30)
    assert run.returncode == 128 + sig, err
    assert "Terminated." in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim.csv"]
    assert out.read_text(encoding="utf-8") == "the earlier file\n"


def test_the_handlers_are_restored_after_the_command(tmp_path) -> None:  # noqa: ANN001
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)
    assert main(["simulate", "--n", "5", "--out", str(tmp_path / "s.csv")]) == 0
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == before


# -- 6. sem() arguments of the wrong kind ------------------------------------------------------


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(HS)


@pytest.mark.parametrize(("make", "kwargs", "error", "expected"), [
    (lambda d: d.to_dict("list"), {}, DataError, "data= must be a pandas DataFrame (got dict)"),
    (lambda d: d[["x1", "x2", "x3"]].to_numpy(), {}, DataError, "(got ndarray)"),
    (lambda d: d, {"group": ["school"]}, ModelSpecificationError,
     "group= must be the name of one column (a str), not list"),
    (lambda d: d, {"std_lv": "no"}, ModelSpecificationError,
     "std_lv= must be True or False, not str 'no'"),
    (lambda d: d, {"meanstructure": "no"}, ModelSpecificationError,
     "meanstructure= must be True or False"),
    (lambda d: d, {"fixed_x": "FALSE"}, ModelSpecificationError,
     "fixed_x= must be True or False"),
], ids=["dict", "ndarray", "group-list", "std-lv-text", "meanstructure-text", "fixed-x-text"])
def test_sem_refuses_arguments_of_the_wrong_kind(make, kwargs, error, expected, hs) -> None:  # noqa: ANN001
    from analysis.sem.api import sem

    with pytest.raises(error) as info:
        sem(CFA, make(hs), **kwargs)
    assert expected in str(info.value)


def test_sem_takes_the_switches_as_before(hs) -> None:  # noqa: ANN001
    import numpy as np

    from analysis.sem.api import cfa, sem

    assert sem(CFA, hs, std_lv=np.bool_(True), meanstructure=None).converged
    assert cfa(CFA, hs, group="school", meanstructure=True).converged


# -- 7. power_analysis() and build_report() arguments ---------------------------------------


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"seed": -1}, "seed= must be a whole number from 0 to 4294967295"),  # numpy ValueError
    ({"ns": [100.5]}, "ns= must be whole numbers of respondents"),  # was cut to 100
    ({"reps": 1.5}, "reps= must be a whole number"),
    ({"estimator": "GLS"}, "estimator='GLS' is not known here"),  # every replication failed
    ({"careless": float("nan")}, "careless= must be a share in [0, 1)"),
    ({"missing": 1.0}, "missing= must be a share in [0, 0.9)"),
    ({"n_boot": 0, "mediation_ci": "bootstrap"}, "n_boot= must be a whole number of at "
                                                 "least 2"),
], ids=["seed", "ns-float", "reps-float", "estimator", "careless-nan", "missing-1", "n-boot"])
def test_power_analysis_refuses_before_any_replication(kwargs, expected) -> None:  # noqa: ANN001
    from analysis.study.power import power_analysis

    call = {"ns": [100], "reps": 1, **kwargs}
    with pytest.raises(ModelSpecificationError) as info:
        power_analysis(call.pop("ns"), call.pop("reps"), **call)
    assert expected in str(info.value)


@pytest.mark.parametrize(("kwargs", "error", "expected"), [
    ({"data": None}, DataError, "data= must be a pandas DataFrame of survey answers"),
    ({"data": {"trust_1": [1, 2]}}, DataError, "(got dict)"),
    ({"analysis": [1, 2]}, DataError, "analysis= must be the mapping analyze_study() returns"),
    ({"seed": "1"}, ModelSpecificationError, "seed= must be a whole number"),  # a report
    ({"analysis": {}, "lang": "fr"}, DataError, "lang='fr' is not a language of the "
                                                "instrument; use one of en, de"),
], ids=["none", "dict", "analysis-list", "seed-text", "lang"])
def test_build_report_refuses_arguments_of_the_wrong_kind(kwargs, error, expected) -> None:  # noqa: ANN001
    from analysis.report import build_report
    from analysis.study.datafiles import read_data

    call = {"data": read_data(DEMO).head(5), **kwargs}
    with pytest.raises(error) as info:
        build_report(call.pop("data"), **call)
    assert expected in str(info.value)
