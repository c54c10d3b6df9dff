"""Hostile and careless command lines: each gets one clear message, exit status 2, no
traceback, and nothing written, replaced or committed.

Run in-process through ``analysis.cli.main`` (fast); ``test_cli_subprocess`` checks
the same through the installed entry point for a few cases.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from analysis.cli import main

REPO = Path(__file__).resolve().parents[2]
HS = REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv"
CFA = "f =~ x1 + x2 + x3"
#: A folder nobody may create files in, even root (a kernel file system).
UNWRITABLE = "/sys"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Input files, one per kind of bad input, and a SQLite store with study ``s``."""
    root = tmp_path_factory.mktemp("hostile")
    f: dict[str, Path] = {"root": root}
    f["data"] = root / "data.csv"
    f["data"].write_bytes(HS.read_bytes())
    f["binary"] = root / "model.lav"
    f["binary"].write_bytes(bytes(range(256)) * 8)
    f["latin1"] = root / "latin1.csv"
    f["latin1"].write_bytes("partner_name\nM\xfcller GmbH\n".encode("latin-1"))
    f["latin1_data"] = root / "latin1_data.csv"
    f["latin1_data"].write_bytes("x1,x2\n1,\xe9\n".encode("latin-1"))
    f["huge"] = root / "huge.csv"
    with f["huge"].open("wb") as fh:  # sparse: 200 MB on paper, nothing on disk
        fh.write(b"partner_name\n")
        fh.truncate(200 * 1024 * 1024)
    f["inf"] = root / "inf.csv"
    f["inf"].write_text("x1,x2,x3\n1,2,3\ninf,2,3\n4,5,6\n")
    f["dupcols"] = root / "dup.csv"
    f["dupcols"].write_text("x1,x2,x1\n1,2,3\n4,5,6\n")
    f["empty"] = root / "empty.csv"
    f["empty"].write_text("")
    f["xlsx"] = root / "data.xlsx"
    f["xlsx"].write_bytes(b"PK\x03\x04 not really")
    f["two_a"] = root / "two_a.csv"
    f["two_a"].write_text("partner_name,alliance_id,firm_role\nX,al1,A\nY,al1,A\n")
    f["dyad_twice"] = root / "dyad_twice.csv"
    f["dyad_twice"].write_text("firm_a,firm_b,alliance_id\nA1,B1,al2\nA2,B2,al2\n")
    f["long_partner"] = root / "long_partner.csv"
    f["long_partner"].write_text("partner_name\n" + "P" * 301 + "\n")
    f["nul_partner"] = root / "nul_partner.csv"
    f["nul_partner"].write_bytes(b"partner_name\nAcme\x00Ltd\n")
    f["no_header"] = root / "no_header.csv"
    f["no_header"].write_text("just,some,words\n")
    f["ragged"] = root / "ragged.csv"
    f["ragged"].write_text("partner_name\nAcme,extra,cells\n")
    f["bad_lang"] = root / "bad_lang.csv"
    f["bad_lang"].write_text("partner_name,language\nAcme,xx\n")
    f["bad_json"] = root / "bad.json"
    f["bad_json"].write_text("{not json")
    f["model_dir"] = root / "models"
    f["model_dir"].mkdir()
    f["db"] = root / "store.sqlite"
    url = f"sqlite:///{f['db']}"
    assert main(["invite", "--study", "s", "--n", "2", "--db", url,
                 "--out", str(root / "links.csv")]) == 0
    return f


def _counts(db: Path) -> tuple[int, int, str | None]:
    """Invitations, studies and the study lead's password hash: what must not change."""
    with sqlite3.connect(db) as con:
        n_inv = con.execute("SELECT COUNT(*) FROM invitations").fetchone()[0]
        n_st = con.execute("SELECT COUNT(*) FROM studies").fetchone()[0]
        pw = con.execute("SELECT password_hash FROM studies WHERE name = 's'").fetchone()
    return n_inv, n_st, pw[0] if pw else None


F = dict[str, Path]
#: (case id, argv builder, text the message must contain, output paths that must not appear)
CASES: list[tuple[str, Callable[[F], list[str]], str]] = [
    # -- sem: models -------------------------------------------------------------------
    ("sem-constraint-only", lambda f: ["sem", str(f["data"]), "--model", "x1 > x2"],
     "no parameters"),
    ("sem-define-only", lambda f: ["sem", str(f["data"]), "--model", "a := b*c"],
     "no parameters"),
    # (a variable named twice in one formula is one parameter, as in lavaan: sweep 9)
    ("sem-inline-300-chars", lambda f: ["sem", str(f["data"]), "--model",
                                        "f =~ " + " + ".join(f"item_{i}" for i in range(60))],
     "not in data"),
    ("sem-binary-model", lambda f: ["sem", str(f["data"]), "--model", str(f["binary"])],
     "binary file"),
    ("sem-model-is-folder", lambda f: ["sem", str(f["data"]), "--model", str(f["model_dir"])],
     "is a folder; give the model file in it"),
    ("sem-empty-model", lambda f: ["sem", str(f["data"]), "--model", ""], "empty"),
    ("sem-blank-model", lambda f: ["sem", str(f["data"]), "--model", "   "], "empty"),
    ("sem-no-rhs", lambda f: ["sem", str(f["data"]), "--model", "f =~"], "left or right"),
    ("sem-no-lhs", lambda f: ["sem", str(f["data"]), "--model", "=~ x1"], "left or right"),
    ("sem-chained", lambda f: ["sem", str(f["data"]), "--model", "x1 ~ x2 ~ x3"],
     "not a valid variable name"),
    ("sem-bad-modifier", lambda f: ["sem", str(f["data"]), "--model", "x1 ~ 1.5.5*x2"],
     "modifier"),
    ("sem-unknown-variable", lambda f: ["sem", str(f["data"]), "--model", "f =~ x1 + x2 + zz"],
     "zz"),
    ("sem-no-operator", lambda f: ["sem", str(f["data"]), "--model", "x1 x2"], "operator"),
    ("sem-unknown-group", lambda f: ["sem", str(f["data"]), "--model", CFA, "--group", "nope"],
     "nope"),
    ("sem-invariance-no-group", lambda f: ["sem", str(f["data"]), "--model", CFA,
                                           "--invariance"], "--group"),
    ("sem-bootstrap-negative", lambda f: ["sem", str(f["data"]), "--model", CFA,
                                          "--bootstrap", "-5"], "0 or more"),
    ("sem-bootstrap-text", lambda f: ["sem", str(f["data"]), "--model", CFA,
                                      "--bootstrap", "many"], "whole number"),
    ("sem-seed-negative", lambda f: ["sem", str(f["data"]), "--model", CFA, "--seed", "-1"],
     "0 to 4294967295"),
    ("sem-seed-huge", lambda f: ["sem", str(f["data"]), "--model", CFA, "--seed", "9" * 30],
     "0 to 4294967295"),
    ("sem-estimator", lambda f: ["sem", str(f["data"]), "--model", CFA, "--estimator", "GLS"],
     "invalid choice"),
    ("sem-json-missing-dir", lambda f: ["sem", str(f["data"]), "--model", CFA,
                                        "--json", "/missing/dir/x.json"], "does not exist"),
    ("sem-json-unwritable", lambda f: ["sem", str(f["data"]), "--model", CFA,
                                       "--json", f"{UNWRITABLE}/x.json"], "not writable"),
    ("sem-json-is-folder", lambda f: ["sem", str(f["data"]), "--model", CFA,
                                      "--json", str(f["root"])], "is a folder"),
    ("sem-json-over-data", lambda f: ["sem", str(f["data"]), "--model", CFA,
                                      "--json", str(f["data"])], "input file"),
    ("sem-params-not-csv", lambda f: ["sem", str(f["data"]), "--model", CFA,
                                      "--params-out", str(f["root"] / "p.txt")], ".csv"),
    ("sem-json-name-too-long", lambda f: ["sem", str(f["data"]), "--model", CFA,
                                          "--json", str(f["root"] / ("n" * 300))], "longer"),
    # -- data files --------------------------------------------------------------------
    ("sem-missing-data", lambda f: ["sem", str(f["root"] / "nope.csv"), "--model", CFA],
     "does not exist"),
    ("sem-data-name-too-long", lambda f: ["sem", "d" * 5000 + ".csv", "--model", CFA],
     "cannot be opened"),
    ("sem-data-inf", lambda f: ["sem", str(f["inf"]), "--model", CFA], "infinite"),
    ("sem-data-dup-columns", lambda f: ["sem", str(f["dupcols"]), "--model", CFA],
     "repeated column"),
    ("sem-data-empty", lambda f: ["sem", str(f["empty"]), "--model", CFA], "Cannot read"),
    ("sem-data-not-utf8", lambda f: ["sem", str(f["latin1_data"]), "--model", "x1 ~ x2"],
     "Cannot read"),
    ("sem-data-xlsx", lambda f: ["sem", str(f["xlsx"]), "--model", CFA], ".csv, .parquet"),
    ("sem-data-binary", lambda f: ["sem", str(f["binary"]).replace(".lav", ".lav"),
                                   "--model", CFA], ".csv, .parquet"),
    ("reliability-missing-model", lambda f: ["reliability", str(f["data"]), "--model",
                                             str(f["root"] / "none.lav")], "does not exist"),
    ("reliability-binary-model", lambda f: ["reliability", str(f["data"]), "--model",
                                            str(f["binary"])], "binary file"),
    ("reliability-json-unwritable", lambda f: ["reliability", str(f["data"]), "--model",
                                               str(f["binary"]), "--json",
                                               f"{UNWRITABLE}/r.json"], "not writable"),
    # -- score -------------------------------------------------------------------------
    ("score-out-is-input", lambda f: ["score", str(f["data"]), "--out", str(f["data"])],
     "input file"),
    ("score-out-xlsx", lambda f: ["score", str(f["data"]), "--out", str(f["root"] / "x.xlsx")],
     ".csv, .parquet"),
    ("score-out-sav", lambda f: ["score", str(f["data"]), "--out", str(f["root"] / "x.sav")],
     "not SPSS"),
    ("score-out-missing-dir", lambda f: ["score", str(f["data"]), "--out", "/missing/x.csv"],
     "does not exist"),
    ("score-out-unwritable", lambda f: ["score", str(f["data"]), "--out",
                                        f"{UNWRITABLE}/x.csv"], "not writable"),
    ("score-min-valid-zero", lambda f: ["score", str(f["data"]), "--out",
                                        str(f["root"] / "s.csv"), "--min-valid", "0"],
     "1 or more"),
    ("score-data-inf", lambda f: ["score", str(f["inf"]), "--out", str(f["root"] / "s.csv")],
     "infinite"),
    ("score-data-dup", lambda f: ["score", str(f["dupcols"]), "--out", str(f["root"] / "s.csv")],
     "repeated column"),
    # -- analyze / report / power --------------------------------------------------------
    ("analyze-json-unwritable", lambda f: ["analyze", str(f["data"]), "--json",
                                           f"{UNWRITABLE}/a.json"], "not writable"),
    ("analyze-json-missing-dir", lambda f: ["analyze", str(f["data"]), "--json",
                                            "/missing/a.json"], "does not exist"),
    ("analyze-json-over-data", lambda f: ["analyze", str(f["data"]), "--json", str(f["data"])],
     "input file"),
    ("analyze-bootstrap-negative", lambda f: ["analyze", str(f["data"]), "--bootstrap", "-5"],
     "at least 2"),
    ("analyze-seed-negative", lambda f: ["analyze", str(f["data"]), "--seed", "-1"],
     "0 to 4294967295"),
    ("report-out-unwritable", lambda f: ["report", str(f["data"]), "--out",
                                         f"{UNWRITABLE}/r.html"], "not writable"),
    ("report-out-over-data", lambda f: ["report", str(f["data"]), "--out", str(f["data"])],
     "input file"),
    ("report-pdf-not-pdf", lambda f: ["report", str(f["data"]), "--out",
                                      str(f["root"] / "r.html"), "--pdf",
                                      str(f["root"] / "r.txt")], ".pdf"),
    ("report-same-outputs", lambda f: ["report", str(f["data"]), "--out",
                                       str(f["root"] / "r.html"), "--save-json",
                                       str(f["root"] / "r.html")], "different files"),
    ("report-bad-json", lambda f: ["report", str(f["data"]), "--out", str(f["root"] / "r.html"),
                                   "--json", str(f["bad_json"])], "Cannot read the analysis"),
    ("report-missing-store", lambda f: ["report", "--study", "s", "--out",
                                        str(f["root"] / "r.html"), "--db",
                                        f"sqlite:///{f['root'] / 'typo.sqlite'}"],
     "no response store"),
    ("report-nothing", lambda f: ["report", "--out", str(f["root"] / "r.html")],
     "Give a data file"),
    ("power-alpha-nan", lambda f: ["power", "--n", "100", "--alpha", "nan"], "finite"),
    ("power-alpha-two", lambda f: ["power", "--n", "100", "--alpha", "2"], "between 0 and 0.5"),
    ("power-reps-zero", lambda f: ["power", "--n", "100", "--reps", "0"], "1 or more"),
    ("power-n-text", lambda f: ["power", "--n", "a,b"], "comma-separated"),
    ("power-n-one", lambda f: ["power", "--n", "1", "--reps", "1"], "at least 30"),
    ("power-plot-unwritable", lambda f: ["power", "--n", "100", "--plot",
                                         f"{UNWRITABLE}/p.svg"], "not writable"),
    ("power-plot-format", lambda f: ["power", "--n", "100", "--plot", str(f["root"] / "p.gif")],
     ".svg, .png"),
    # -- simulate / codebook ---------------------------------------------------------------
    ("simulate-seed-negative", lambda f: ["simulate", "--n", "10", "--seed", "-1", "--out",
                                          str(f["root"] / "sim.csv")], "0 to 4294967295"),
    ("simulate-n-zero", lambda f: ["simulate", "--n", "0", "--out", str(f["root"] / "sim.csv")],
     "1 or more"),
    ("simulate-missing-nan", lambda f: ["simulate", "--n", "10", "--missing", "nan", "--out",
                                        str(f["root"] / "sim.csv")], "finite"),
    ("simulate-careless-big", lambda f: ["simulate", "--n", "10", "--careless", "5", "--out",
                                         str(f["root"] / "sim.csv")], "between 0 and 1"),
    ("simulate-dyads-negative", lambda f: ["simulate", "--n", "10", "--dyads", "-1", "--out",
                                           str(f["root"] / "sim.csv")], "0 or more"),
    ("simulate-out-xlsx", lambda f: ["simulate", "--n", "10", "--out",
                                     str(f["root"] / "sim.xlsx")], ".csv, .parquet, .sav"),
    ("simulate-out-unwritable", lambda f: ["simulate", "--n", "10", "--out",
                                           f"{UNWRITABLE}/sim.csv"], "not writable"),
    ("simulate-manifest-missing-dir", lambda f: ["simulate", "--n", "10", "--out",
                                                 str(f["root"] / "sim.csv"), "--manifest",
                                                 "/missing/m.json"], "does not exist"),
    ("codebook-out-missing-dir", lambda f: ["codebook", "--out", "/missing/x"],
     "does not exist"),
    ("codebook-out-unwritable", lambda f: ["codebook", "--out", f"{UNWRITABLE}/cb.md"],
     "not writable"),
    ("codebook-bad-instrument", lambda f: ["codebook", "--instrument", str(f["root"])],
     "questionnaire.yaml"),
    ("codebook-format", lambda f: ["codebook", "--format", "pdf"], "invalid choice"),
    # -- invite ------------------------------------------------------------------------------
    ("invite-expires-nan", lambda f: ["invite", "--study", "s", "--n", "1", "--expires-days",
                                      "nan", "--db", f"sqlite:///{f['db']}"], "finite"),
    ("invite-expires-inf", lambda f: ["invite", "--study", "s", "--n", "1", "--expires-days",
                                      "inf", "--db", f"sqlite:///{f['db']}"], "finite"),
    ("invite-expires-negative", lambda f: ["invite", "--study", "s", "--n", "1",
                                           "--expires-days", "-3", "--db",
                                           f"sqlite:///{f['db']}"], "greater than 0"),
    ("invite-expires-huge", lambda f: ["invite", "--study", "s", "--n", "1", "--expires-days",
                                       "1e12", "--db", f"sqlite:///{f['db']}"],
     "between 0 and 36,500 days"),
    ("invite-n-zero", lambda f: ["invite", "--study", "s", "--n", "0", "--db",
                                 f"sqlite:///{f['db']}"], "1 or more"),
    ("invite-out-missing-dir", lambda f: ["invite", "--study", "s", "--n", "3", "--db",
                                          f"sqlite:///{f['db']}", "--out", "/missing/dir/l.csv"],
     "does not exist"),
    ("invite-out-unwritable", lambda f: ["invite", "--study", "s", "--n", "3", "--db",
                                         f"sqlite:///{f['db']}", "--out",
                                         f"{UNWRITABLE}/l.csv"], "not writable"),
    ("invite-out-is-csv-input", lambda f: ["invite", "--study", "s", "--from", str(f["two_a"]),
                                           "--db", f"sqlite:///{f['db']}", "--out",
                                           str(f["two_a"])], "input file"),
    ("invite-csv-latin1", lambda f: ["invite", "--study", "s", "--from", str(f["latin1"]),
                                     "--db", f"sqlite:///{f['db']}"], "not UTF-8"),
    ("invite-csv-200mb", lambda f: ["invite", "--study", "s", "--from", str(f["huge"]),
                                    "--db", f"sqlite:///{f['db']}"], "at most"),
    ("invite-csv-missing", lambda f: ["invite", "--study", "s", "--from",
                                      str(f["root"] / "none.csv"), "--db",
                                      f"sqlite:///{f['db']}"], "Cannot read"),
    ("invite-csv-two-firm-a", lambda f: ["invite", "--study", "s", "--from", str(f["two_a"]),
                                         "--db", f"sqlite:///{f['db']}"], "appears twice"),
    ("invite-csv-dyad-twice", lambda f: ["invite", "--study", "s", "--from",
                                         str(f["dyad_twice"]), "--db", f"sqlite:///{f['db']}"],
     "appears twice"),
    ("invite-csv-long-partner", lambda f: ["invite", "--study", "s", "--from",
                                           str(f["long_partner"]), "--db",
                                           f"sqlite:///{f['db']}"], "at most 300"),
    ("invite-csv-nul", lambda f: ["invite", "--study", "s", "--from", str(f["nul_partner"]),
                                  "--db", f"sqlite:///{f['db']}"], "NUL"),
    ("invite-csv-no-header", lambda f: ["invite", "--study", "s", "--from",
                                        str(f["no_header"]), "--db", f"sqlite:///{f['db']}"],
     "expected columns"),
    ("invite-csv-ragged", lambda f: ["invite", "--study", "s", "--from", str(f["ragged"]),
                                     "--db", f"sqlite:///{f['db']}"], "more cells"),
    ("invite-csv-bad-language", lambda f: ["invite", "--study", "s", "--from",
                                           str(f["bad_lang"]), "--db", f"sqlite:///{f['db']}"],
     "unknown language"),
    ("invite-study-too-long", lambda f: ["invite", "--study", "S" * 201, "--n", "1", "--db",
                                         f"sqlite:///{f['db']}"], "at most 200"),
    ("invite-study-nul", lambda f: ["invite", "--study", "a\x00b", "--n", "1", "--db",
                                    f"sqlite:///{f['db']}"], "NUL"),
    ("invite-study-blank", lambda f: ["invite", "--study", "   ", "--n", "1", "--db",
                                      f"sqlite:///{f['db']}"], "must not be empty"),
    ("invite-wave-too-long", lambda f: ["invite", "--study", "s", "--wave", "w" * 101, "--n",
                                        "1", "--db", f"sqlite:///{f['db']}"], "at most 100"),
    ("invite-partner-too-long", lambda f: ["invite", "--study", "s", "--n", "1", "--partner",
                                           "p" * 301, "--db", f"sqlite:///{f['db']}"],
     "at most 300"),
    ("invite-language", lambda f: ["invite", "--study", "s", "--n", "1", "--lang", "fr",
                                   "--db", f"sqlite:///{f['db']}"], "not offered"),
    ("invite-dyads-partner", lambda f: ["invite", "--study", "s", "--dyads", "1", "--partner",
                                        "X", "--db", f"sqlite:///{f['db']}"], "cannot name both"),
    ("invite-db-unreachable", lambda f: ["invite", "--study", "s", "--n", "1", "--db",
                                         "postgresql://nobody@127.0.0.1:1/none"],
     "cannot be used right now"),
    ("invite-db-unsupported", lambda f: ["invite", "--study", "s", "--n", "1", "--db",
                                         "mysql://x@localhost/db"], "Unsupported database"),
    ("invite-db-memory", lambda f: ["invite", "--study", "s", "--n", "1", "--db",
                                    "sqlite://"], "in-memory"),
    ("invite-db-garbage", lambda f: ["invite", "--study", "s", "--n", "1", "--db",
                                     "::not a url::"], "Cannot parse"),
    # -- export / password / demo --------------------------------------------------------
    ("export-mistyped-db", lambda f: ["export", "--study", "s", "--format", "csv", "--out",
                                      str(f["root"] / "e.csv"), "--db",
                                      f"sqlite:///{f['root'] / 'typo.sqlite'}"],
     "no response store"),
    ("export-unknown-study", lambda f: ["export", "--study", "nope", "--format", "csv", "--out",
                                        str(f["root"] / "e.csv"), "--db",
                                        f"sqlite:///{f['db']}"], "no study"),
    ("export-out-unwritable", lambda f: ["export", "--study", "s", "--format", "csv", "--out",
                                         f"{UNWRITABLE}/e.csv", "--db", f"sqlite:///{f['db']}"],
     "not writable"),
    ("export-out-is-folder", lambda f: ["export", "--study", "s", "--format", "csv", "--out",
                                        str(f["root"]), "--db", f"sqlite:///{f['db']}"],
     "is a folder"),
    ("export-db-unreachable", lambda f: ["export", "--study", "s", "--format", "csv", "--out",
                                         str(f["root"] / "e.csv"), "--db",
                                         "postgresql://nobody@127.0.0.1:1/none"],
     "cannot be used right now"),
    ("password-unknown-study", lambda f: ["password", "--study", "nope", "--db",
                                          f"sqlite:///{f['db']}"], "no study"),
    ("password-mistyped-db", lambda f: ["password", "--study", "s", "--db",
                                        f"sqlite:///{f['root'] / 'typo.sqlite'}"],
     "no response store"),
    # Every command that works on an existing study refuses a mistyped SQLite path and
    # leaves no empty database behind (the folder listing is compared below).
    *[(f"{name}-mistyped-db", lambda f, argv=argv: [*argv(f), "--db",
                                                     f"sqlite:///{f['root'] / 'typo.sqlite'}"],
       "no response store")
      for name, argv in (
          ("delete", lambda f: ["delete", "--study", "s", "--token", "abc"]),
          ("delete-tests", lambda f: ["delete", "--study", "s", "--test-responses"]),
          ("privacy", lambda f: ["privacy", "--study", "s", "--contact", "x@y.example"]),
          ("prereg", lambda f: ["prereg", "--study", "s", "--out", str(f["root"] / "p.md")]),
          ("mail-send", lambda f: ["mail", "--study", "s", "--send"]),
          ("mail-remind", lambda f: ["mail", "--study", "s", "--remind", "--after-days", "0"]),
          ("mail-status", lambda f: ["mail", "--study", "s", "--status"]),
          ("mail-configure", lambda f: ["mail", "--study", "s", "--configure", "--smtp",
                                        "smtp://127.0.0.1:25", "--sender", "a@b.example"]),
          ("respondent", lambda f: ["respondent", "--study", "s", "--invitation", "1",
                                    "--resend"]),
          ("respondent-log", lambda f: ["respondent", "--study", "s", "--log"]),
      )],  # fmt: skip
    ("demo-credentials-unwritable", lambda f: ["demo", "--db", f"sqlite:///{f['db']}",
                                               "--credentials", f"{UNWRITABLE}/c.txt",
                                               "--no-serve", "--no-summary"], "not writable"),
    ("demo-credentials-missing-parent-unwritable", lambda f: [
        "demo", "--db", f"sqlite:///{f['db']}", "--credentials", f"{UNWRITABLE}/a/b/c.txt",
        "--no-serve", "--no-summary"], "not writable"),
    ("demo-missing-data", lambda f: ["demo", "--db", f"sqlite:///{f['db']}", "--data",
                                     str(f["root"] / "none.csv"), "--credentials",
                                     str(f["root"] / "c.txt"), "--no-serve", "--no-summary"],
     "does not exist"),
    ("unknown-command", lambda f: ["frobnicate"], "invalid choice"),
]


@pytest.mark.parametrize(("case", "argv", "expected"), CASES, ids=[c[0] for c in CASES])
def test_cli_refuses_cleanly(case: str, argv: Callable[[F], list[str]], expected: str,
                             files: F, capsys: pytest.CaptureFixture[str]) -> None:
    args = argv(files)
    before = {p: _digest(p) for p in files.values()
              if p.is_file() and p.suffix != ".sqlite" and p.stat().st_size < 10**7}
    counts = _counts(files["db"])
    listing = sorted(os.listdir(files["root"]))
    code = main(args)
    captured = capsys.readouterr()
    err = captured.err
    assert code == 2, f"{case}: exit {code}, stderr {err!r}"
    assert expected in err, f"{case}: {err!r}"
    assert "Traceback" not in err and "Traceback" not in captured.out
    assert len(err) < 5000
    # nothing lost or changed: inputs, the store, no stray output files
    assert {p: _digest(p) for p in before} == before
    assert _counts(files["db"]) == counts
    assert sorted(os.listdir(files["root"])) == listing


def test_demo_keeps_password_when_credentials_unwritable(files: F, capsys) -> None:  # noqa: ANN001
    """The demo never replaces the study lead's password it could not write down."""
    folder = files["root"] / "demo"
    folder.mkdir()
    db = folder / "demo.sqlite"
    creds = folder / "demo_credentials.txt"
    few = folder / "two_respondents.csv"  # (a file without rows is refused)
    import pandas as pd

    demo = REPO / "data" / "demo" / "alliance_demo.csv"
    pd.read_csv(demo).head(2).to_csv(few, index=False)
    args = ["demo", "--db", f"sqlite:///{db}", "--open-links", "0", "--no-serve",
            "--no-summary", "--data", str(few)]
    assert main([*args, "--credentials", str(creds)]) == 0
    with sqlite3.connect(db) as con:
        first = con.execute("SELECT password_hash FROM studies").fetchone()[0]
    assert first is not None and "password: " in creds.read_text()
    assert main([*args, "--credentials", f"{UNWRITABLE}/c.txt"]) == 2
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT password_hash FROM studies").fetchone()[0] == first
    assert "Traceback" not in capsys.readouterr().err


def test_cli_subprocess_one_line_no_traceback(files: F) -> None:
    """Through a real process: the three worst cases print one line and exit 2."""
    for args in (
        ["sem", str(files["data"]), "--model", "x1 > x2"],
        ["invite", "--study", "s", "--n", "2", "--db", f"sqlite:///{files['db']}", "--out",
         "/missing/dir/l.csv"],
        ["invite", "--study", "s", "--n", "1", "--expires-days", "nan", "--db",
         f"sqlite:///{files['db']}"],
    ):
        done = subprocess.run([sys.executable, "-m", "analysis.cli", *args], cwd=REPO,
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert len([ln for ln in done.stderr.splitlines() if "error" in ln]) == 1
