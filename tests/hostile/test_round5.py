"""Hostile input, fifth round: data files in the encodings, separators and shapes that
spreadsheets and other tools write, outputs that are links, loops or wrongly named, option
values at and beyond their limits, and interrupted writes.  Each refused case ends in one
clear message and exit status 2, with no input replaced, nothing stored and no file or
folder left behind (``assert_refused_cleanly`` of the second round).

Before these fixes (each case below that is not marked "coverage" failed on the old code):

* ``sem``, ``pls``, ``compare``, ``analyze``, ``reliability --json out.csv`` and ``simulate
  --manifest m.csv`` wrote JSON under any name; ``report`` and ``power`` required ``.json``.
* ``export-script --out DIR`` wrote the data and the R script, then stopped with "File
  exists" when ``DIR/mplus`` was a file (or an input's name in it a folder).
* ``sem`` answered ``y ~ x1:x2`` and ``y ~ I(x^2)`` with "not a valid variable name".
* A value of 1e308 in a data file: ``sem`` and ``reliability`` ended in an internal error
  (LinAlgError), ``pls`` printed other numbers than without the cell, with no warning.
* A semicolon-separated CSV was "names variables that are not in data="; UTF-16 and
  Latin-1 files got a Python codec message.
* ``invite --out LINK`` with a looping symbolic link stored the invitations and then
  failed to write their links (shown only then); ``--base-url javascript:...`` was printed
  as every respondent's link.
* ``prereg --out`` into a folder it could not write froze (or amended) the plan in the
  store and then failed; ``--target-n 0``, ``--seed -1`` were frozen into the plan; a
  hypotheses file that is not YAML was read only after the power analysis.
* ``report DATA`` with a file that is not survey data of the instrument wrote a report of
  "not available" sections and exited 0.
* ``power --json 'a<NUL>.json' --plot p.svg`` was an internal error.
* A link ``?optout=A&optout=B`` opted out the address of B only (the app read the last
  value); ``opt_out(store, [A, B])`` raised AttributeError.
* Ctrl-C while a file was written left a half-written file in place of the earlier one.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from tests.hostile.test_cli_more import (  # noqa: F401 - files is a fixture
    DEMO,
    HS,
    HYPOTHESES,
    PLS,
    UNWRITABLE,
    F,
    assert_refused_cleanly,
    files,
)

CFA = "f =~ x1 + x2 + x3"


@pytest.fixture(scope="module")
def r5(files: F) -> F:  # noqa: F811 - the imported fixture
    """The second round's files, and this round's hostile inputs in the same folder."""
    root = files["root"]
    hs = pd.read_csv(HS)
    raw = HS.read_bytes()
    f = dict(files)

    def frame(name: str, data: pd.DataFrame) -> None:
        f[name] = root / f"{name}.csv"
        data.to_csv(f[name], index=False)

    f["bom"] = root / "bom.csv"
    f["bom"].write_bytes(b"\xef\xbb\xbf" + raw)
    f["utf16"] = root / "utf16.csv"
    f["utf16"].write_bytes(raw.decode("utf-8").encode("utf-16"))
    f["semicolons"] = root / "semicolons.csv"
    hs.to_csv(f["semicolons"], sep=";", index=False)
    f["dup"] = root / "dup.csv"
    f["dup"].write_text(raw.decode("utf-8").replace('"x2"', '"x1"', 1), encoding="utf-8")
    frame("all_missing", hs.assign(x3=np.nan))
    frame("one_row", hs.head(1))
    frame("constant", hs.assign(x3=1.0))
    huge = hs.copy()
    huge.loc[3, "x3"] = 1e308
    frame("huge", huge)
    frame("huge_column", hs.assign(x1=hs.x1 * 1e200, x2=hs.x2 * 1e200, x3=hs.x3 * 1e200))
    parquet = root / "whole.parquet"
    hs.to_parquet(parquet)
    f["truncated"] = root / "truncated.parquet"
    f["truncated"].write_bytes(parquet.read_bytes()[:2000])
    parquet.unlink()
    f["empty_sav"] = root / "empty.sav"
    f["empty_sav"].write_bytes(b"")
    f["empty_csv"] = root / "empty.csv"
    f["empty_csv"].write_bytes(b"")
    f["newline_name"] = root / "new\nline.csv"
    f["newline_name"].write_bytes(raw)
    # symbolic links that point to each other (not in files: they cannot be hashed)
    os.symlink(root / "loop_b.csv", root / "loop_a.csv")
    os.symlink(root / "loop_a.csv", root / "loop_b.csv")
    os.symlink(root / "loop.json", root / "loop.json")
    demo = pd.read_csv(DEMO)
    latin1 = demo.copy()
    latin1["comment"] = latin1["comment"].astype(object)
    latin1.loc[0, "comment"] = "caf\xe9 und \xfcber"
    f["latin1_demo"] = root / "latin1_demo.csv"
    latin1.to_csv(f["latin1_demo"], index=False, encoding="latin-1")
    f["not_yaml"] = root / "not_yaml.yaml"
    f["not_yaml"].write_text("x1,x2\n1,2\n", encoding="utf-8")
    text = HYPOTHESES.read_text(encoding="utf-8")
    at = text.index("- id: H2")
    f["hyp_dup_id"] = root / "hyp_dup_id.yaml"
    f["hyp_dup_id"].write_text(text[:at] + text[at:].replace("- id: H2", "- id: H1", 1),
                               encoding="utf-8")
    f["invite_semicolons"] = root / "invite_semicolons.csv"
    f["invite_semicolons"].write_text("partner_name;language\nAcme;en\n", encoding="utf-8")
    # export-script folders where an Mplus name is taken
    (root / "mplus_is_a_file" / "mplus").parent.mkdir()
    f["mplus_file"] = root / "mplus_is_a_file" / "mplus"
    f["mplus_file"].write_text("not a folder\n", encoding="utf-8")
    (root / "inp_is_a_folder" / "mplus" / "measurement.inp").mkdir(parents=True)
    # a copy of the instrument folder, to be named by --instrument
    import shutil

    package = HYPOTHESES.parents[2] / "instruments" / "instrument"
    copy = root / "instrument"
    copy.mkdir()
    shutil.copy(package / "questionnaire.yaml", copy)
    for folder in ("scales", "translation"):
        shutil.copytree(package / folder, copy / folder)
    f["questionnaire"] = copy / "questionnaire.yaml"
    return f


def _db(f: F) -> list[str]:
    return ["--db", f"sqlite:///{f['db']}"]


def _sem(data: str, model: str = CFA, *more: str) -> Callable[[F], list[str]]:
    return lambda f: ["sem", str(f[data]), "--model", model, *more]


def _plans(f: F) -> tuple[int, int]:
    """Frozen plans and amendments in the store (prereg must not log one it cannot write)."""
    with sqlite3.connect(f["db"]) as con:
        return (con.execute("SELECT COUNT(*) FROM prereg_plans").fetchone()[0],
                con.execute("SELECT COUNT(*) FROM prereg_amendments").fetchone()[0])


def _prereg(*more: str) -> Callable[[F], list[str]]:
    return lambda f: ["prereg", "--study", "s", "--power-reps", "0", *_db(f), *more]


CASES: list[tuple[str, Callable[[F], list[str]], str]] = [
    # -- one rule for every JSON output: a .json file or '-' ----------------------------
    ("sem-json-named-csv", _sem("data", CFA, "--json", "out.csv"), "must end in .json"),
    ("pls-json-named-csv", lambda f: ["pls", str(f["data"]), "--model", PLS, "--json",
                                      str(f["root"] / "out.csv")], "must end in .json"),
    ("compare-json-named-csv", lambda f: ["compare", str(f["fit_a"]), str(f["fit_b"]),
                                          "--json", str(f["root"] / "lrt.csv")],
     "must end in .json"),
    ("reliability-json-named-txt", lambda f: ["reliability", str(f["data"]), "--model",
                                              str(f["model"]), "--json",
                                              str(f["root"] / "rel.txt")], "must end in .json"),
    ("analyze-json-named-txt", lambda f: ["analyze", str(f["data"]), "--json",
                                          str(f["root"] / "a.txt")], "must end in .json"),
    ("simulate-manifest-named-csv", lambda f: ["simulate", "--n", "10", "--out",
                                               str(f["root"] / "sim.csv"), "--manifest",
                                               str(f["root"] / "manifest.csv")],
     "--manifest"),
    # -- '-' is standard output where a command offers it, else refused (it made a file '-')
    ("score-out-dash", lambda f: ["score", str(DEMO), "--out", "-"], "(standard output)"),
    ("sem-params-out-dash", _sem("data", CFA, "--params-out", "-"), "(standard output)"),
    ("simulate-manifest-dash", lambda f: ["simulate", "--n", "10", "--out",
                                          str(f["root"] / "sim.csv"), "--manifest", "-"],
     "(standard output)"),
    # -- interaction and product terms in lavaan syntax ---------------------------------
    ("sem-interaction-colon", _sem("data", CFA + "\nx4 ~ f + x5:x6"),
     "interaction or product terms (':' or I(...)) are not supported"),
    ("sem-interaction-squared", _sem("data", CFA + "\nx4 ~ f + I(x5^2)"),
     "Create the product as a column of the data first"),
    ("sem-interaction-latent", _sem("data", CFA + "\ng =~ x4 + x5 + x6\nx7 ~ f:g"),
     "line 3: 'f:g'"),
    ("sem-interaction-labelled", _sem("data", CFA + "\nx4 ~ f + b*x5:x6  # labelled"),
     "line 2: 'x5:x6'"),
    # -- numbers no data file holds ------------------------------------------------------
    ("sem-one-value-1e308", _sem("huge"), "values larger than 1e+50"),
    ("sem-columns-times-1e200", _sem("huge_column"), "'x1, x2, x3'"),
    ("reliability-columns-times-1e200", lambda f: ["reliability", str(f["huge_column"]),
                                                   "--model", str(f["model"])],
     "values larger than 1e+50"),
    ("pls-one-value-1e308", lambda f: ["pls", str(f["huge"]), "--model", PLS],
     "values larger than 1e+50"),
    # -- files from other tools -----------------------------------------------------------
    ("sem-semicolon-separated", _sem("semicolons"), "separated by semicolons"),
    ("sem-utf16", _sem("utf16"), "it is UTF-16 text; save it as UTF-8"),
    ("score-latin1", lambda f: ["score", str(f["latin1_demo"]), "--out",
                                str(f["root"] / "scored.csv")], "not UTF-8 text"),
    # -- export-script's Mplus folder ---------------------------------------------------
    ("export-script-mplus-is-a-file", lambda f: ["export-script", str(f["data"]), "--to",
                                                 "both", "--out",
                                                 str(f["root"] / "mplus_is_a_file")],
     "is a file, but mplus/alliance_data.dat is written into a folder of that name"),
    ("export-script-mplus-input-is-a-folder", lambda f: [
        "export-script", str(f["data"]), "--to", "mplus", "--out",
        str(f["root"] / "inp_is_a_folder")], "measurement.inp' is a folder"),
    # -- outputs that loop, and addresses that are not web addresses ----------------------
    ("invite-out-symlink-loop", lambda f: ["invite", "--study", "s", "--n", "1", "--out",
                                           str(f["root"] / "loop_a.csv"), *_db(f)],
     "symbolic link that points to itself"),
    ("sem-json-symlink-loop", _sem("data", CFA, "--json", "LOOP"), "points to itself"),
    ("invite-base-url-javascript", lambda f: ["invite", "--study", "s", "--n", "1",
                                              "--base-url", "javascript:alert(1)", *_db(f)],
     "must be an http:// or https:// address"),
    ("invite-base-url-with-query", lambda f: ["invite", "--study", "s", "--n", "1",
                                              "--base-url", "https://x.example/?a=1",
                                              *_db(f)], "'?' or '#'"),
    ("demo-port-zero", lambda f: ["demo", "--port", "0", "--no-serve", "--no-summary",
                                  *_db(f)], "a port from 1 to 65535"),
    # -- prereg: nothing frozen before every input and output is checked -----------------
    ("prereg-out-unwritable", _prereg("--out", f"{UNWRITABLE}/plan.md"), "not writable"),
    ("prereg-out-nul", _prereg("--out", "pl\x00an.md"), "must name a file"),
    ("prereg-target-n-zero", lambda f: [*_prereg("--target-n", "0")(f), "--out",
                                        str(f["root"] / "plan.md")], "must be 1 or more"),
    ("prereg-seed-negative", lambda f: [*_prereg("--seed", "-1")(f), "--out",
                                        str(f["root"] / "plan.md")], "0 to 4294967295"),
    ("prereg-bootstrap-huge", lambda f: [*_prereg("--bootstrap", str(10**12))(f), "--out",
                                         str(f["root"] / "plan.md")], "at most 1,000,000"),
    # -- report: a file that is not survey data -------------------------------------------
    ("report-data-not-survey-data", lambda f: ["report", str(f["data"]), "--out",
                                               str(f["root"] / "new" / "r.html")],
     "do not fit instrument"),
    ("report-json-with-run-options", lambda f: [
        "report", str(f["data"]), "--json", str(f["fit_a"]), "--estimator", "MLR",
        "--bootstrap", "50", "--out", str(f["root"] / "r.html")],
     "--estimator, --bootstrap choose(s) how the analysis is run"),
    ("power-json-nul-with-plot", lambda f: ["power", "--n", "100", "--reps", "1", "--json",
                                            "a\x00.json", "--plot",
                                            str(f["root"] / "p.svg")], "must name a file"),
    # -- numbers beyond what the store or the command can use ----------------------------
    ("respondent-invitation-beyond-64-bit", lambda f: [
        "respondent", "--study", "s", "--exclude", "--invitation", str(10**23), "--reason",
        "x", *_db(f)], "must be at most 9,223,372,036,854,775,807"),
    ("demo-open-links-huge", lambda f: ["demo", "--open-links", str(10**11), "--no-serve",
                                        "--no-summary", *_db(f)], "at most 1,000"),
    ("mail-max-reminders-huge", lambda f: ["mail", "--study", "s", "--remind",
                                           "--max-reminders", str(10**23), *_db(f)],
     "at most 1,000"),
    ("mail-after-days-nan", lambda f: ["mail", "--study", "s", "--remind", "--after-days",
                                       "nan", *_db(f)], "finite number"),
    ("mail-base-url-with-query", lambda f: [
        "mail", "--study", "s", "--configure", "--smtp", "smtp://127.0.0.1:25", "--sender",
        "a@b.example", "--lead-name", "Lead", "--lead-email", "lead@b.example", "--base-url",
        "https://survey.example/?lang=de", *_db(f)], "'?' or '#'"),
    # -- an output over the instrument it is made from -----------------------------------
    ("codebook-over-its-questionnaire", lambda f: [
        "codebook", "--instrument", str(f["questionnaire"].parent), "--out",
        str(f["questionnaire"])], "is the input file"),
    ("codebook-named-yaml", lambda f: ["codebook", "--out", str(f["root"] / "book.yaml")],
     "must end in .md, .markdown, .txt, .csv, .json"),
    # -- coverage: refused cleanly on the old code too ------------------------------------
    ("sem-repeated-column-names", _sem("dup"), "repeated column names"),  # coverage
    ("sem-all-missing-column", _sem("all_missing"), "have no observed value"),  # was "0 usable cases"
    ("sem-one-row", _sem("one_row"), "1 usable case"),  # coverage
    ("sem-constant-column", _sem("constant"), "zero variance"),  # coverage
    ("sem-truncated-parquet", _sem("truncated"), "Cannot read the data file"),  # coverage
    ("sem-empty-sav", _sem("empty_sav"), "as an SPSS .sav file"),  # coverage
    ("sem-empty-csv", _sem("empty_csv"), "it is empty"),  # was pandas' "No columns to parse"
    ("sem-data-symlink-loop", lambda f: ["sem", str(f["root"] / "loop_a.csv"), "--model",
                                         CFA], "points to itself (a loop)"),  # round 15
    ("sem-absent-variable", _sem("data", "f =~ x1 + x2 + nothere"), "nothere"),  # coverage
    ("sem-group-of-one-value", _sem("constant", "f =~ x1 + x2 + x4", "--group", "x3"),
     "fewer than two groups"),  # coverage
    ("pls-constant-item", lambda f: ["pls", str(f["constant"]), "--model", PLS],
     "without variance"),  # coverage
    ("pls-all-missing-item", lambda f: ["pls", str(f["all_missing"]), "--model", PLS],
     "no observed values"),  # coverage
    ("analyze-hypotheses-duplicate-id", lambda f: ["analyze", str(f["data"]), "--hypotheses",
                                                   str(f["hyp_dup_id"])],
     "id 'H1' is used twice"),  # coverage
    ("invite-from-semicolons", lambda f: ["invite", "--study", "s", "--from",
                                          str(f["invite_semicolons"]), *_db(f)],
     "expected columns"),  # coverage
    ("simulate-dyads-beyond-n", lambda f: ["simulate", "--n", "5", "--dyads", "10", "--out",
                                           str(f["root"] / "sim.csv")], "2*dyads"),  # coverage
    ("export-unknown-study-into-new-folder", lambda f: [
        "export", "--study", "nope", "--format", "csv", "--out",
        str(f["root"] / "new" / "deeper" / "x.csv"), *_db(f)], "no study 'nope'"),  # coverage
]


@pytest.mark.parametrize(("case", "argv", "expected"), CASES, ids=[c[0] for c in CASES])
def test_cli_refuses_cleanly(case: str, argv: Callable[[F], list[str]], expected: str,
                             r5: F, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(r5["root"])  # relative outputs (out.csv, LOOP) land in the folder
    args = [str(r5["root"] / "loop.json") if a == "LOOP" else a for a in argv(r5)]
    assert_refused_cleanly(case, args, expected, r5, capsys, lambda: _plans(r5))


# -- inputs that work ----------------------------------------------------------------------


@pytest.mark.parametrize("data", ["bom", "newline_name"])
def test_a_byte_order_mark_or_a_newline_in_the_name_reads_as_usual(  # coverage
        data: str, r5: F, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sem", str(r5[data]), "--model", CFA]) == 0
    assert "N = 301" in capsys.readouterr().out


def test_export_script_lavaan_only_ignores_a_file_named_mplus(
        r5: F, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # coverage
    out = tmp_path / "scripts"
    out.mkdir()
    (out / "mplus").write_text("notes\n", encoding="utf-8")
    assert main(["export-script", str(DEMO), "--to", "lavaan", "--bootstrap", "10", "--out",
                 str(out)]) == 0
    assert (out / "analysis.R").is_file() and (out / "mplus").read_text() == "notes\n"
    assert not [p for p in out.iterdir() if ".part" in p.name]


def test_invite_out_dash_is_standard_output(r5: F, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["invite", "--study", "s", "--n", "1", "--out", "-", *_db(r5)]) == 0
    assert capsys.readouterr().out.startswith("invitation_id,wave,")
    assert list(tmp_path.iterdir()) == []  # no file named '-'


def test_prereg_reads_the_hypotheses_before_the_power_analysis(
        r5: F, capsys: pytest.CaptureFixture[str]) -> None:
    before = _plans(r5)
    code = main(["prereg", "--study", "s", "--out", str(r5["root"] / "plan.md"),
                 "--hypotheses", str(r5["not_yaml"]), "--power-reps", "5", *_db(r5)])
    err = capsys.readouterr().err
    assert code == 2 and "must be a mapping" in err
    assert "Power analysis" not in err  # refused first, not after minutes of simulation
    assert _plans(r5) == before and not (r5["root"] / "plan.md").exists()


def test_sem_accepts_labels_and_defined_parameters_that_look_like_products(
        r5: F, capsys: pytest.CaptureFixture[str]) -> None:  # coverage
    model = CFA + "\nx4 ~ a*f + 0.5*x5\nab := a*2"
    assert main(["sem", str(r5["data"]), "--model", model]) == 0


def test_product_terms_are_found_where_lavaan_has_them() -> None:
    from analysis.commands.sem import product_terms

    model = ("f =~ x1 + x2:x3  # not a regression\nf ~~ x1:x2\ny ~ a*x1:x2 + I(x^2) + z\n"
             "y ~ 1\n# y ~ x1:x2\nab := a*b")
    assert product_terms(model) == [(3, "x1:x2"), (3, "I(x^2)")]


# -- the Python API -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [1e308, np.inf, -1e60])
def test_pls_api_refuses_values_no_data_file_holds(bad: float) -> None:
    """PLS printed other estimates with a 1e308 cell and no warning; inf went in as is."""
    from analysis.errors import DataError
    from analysis.stats.pls import pls

    data = pd.read_csv(HS)
    data.loc[3, "x2"] = bad
    with pytest.raises(DataError, match=r"PLS: column 'x2' has (infinite|values larger)"):
        pls(data, PLS)


def test_read_data_names_each_kind_of_bad_value(tmp_path: Path) -> None:
    from analysis.errors import DataError
    from analysis.study.datafiles import read_data

    data = pd.read_csv(HS)
    data.loc[0, "x1"] = np.inf
    data.loc[0, "x2"] = 1e300
    path = tmp_path / "bad.csv"
    data.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"infinite values \(inf, or numbers too large to "
                                        r"store, such as 1e400\) in column\(s\) 'x1'; "
                                        r"values larger than 1e\+50 in magnitude in "
                                        r"column\(s\) 'x2'"):
        read_data(path)
    data.loc[0, ["x1", "x2"]] = [1e49, -1e49]  # large, but finite and usable
    data.to_csv(path, index=False)
    assert read_data(path).loc[0, "x1"] == 1e49


# -- interrupted writes: a file is whole or it is the earlier one ----------------------------


def _half_then_interrupt(real: Callable) -> Callable:
    """A writer that writes half of what it was given to its file, then is interrupted
    (Ctrl-C as the disk is written)."""
    def writer(self, data, *args, **kwargs):  # noqa: ANN001, ANN202
        real(self, data[: len(data) // 2], *args, **kwargs)
        raise KeyboardInterrupt
    return writer


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name)


def test_ctrl_c_while_writing_json_keeps_the_earlier_file(
        r5: F, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fit.json"
    assert main(["sem", str(r5["data"]), "--model", CFA, "--json", str(out)]) == 0
    before = out.read_bytes()
    monkeypatch.setattr(Path, "write_text", _half_then_interrupt(Path.write_text))
    assert main(["sem", str(r5["data"]), "--model", CFA + " + x4", "--json",
                 str(out)]) == 130
    assert out.read_bytes() == before
    assert json.loads(before)["converged"] is True
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("command", [
    lambda f, out: ["simulate", "--n", "40", "--seed", "7", "--out", str(out)],
    lambda f, out: ["sem", str(f["data"]), "--model", CFA, "--params-out", str(out)],
    lambda f, out: ["export", "--study", "s", "--format", "csv", "--out", str(out), *_db(f)],
], ids=["simulate", "sem-params-out", "export"])
def test_ctrl_c_while_writing_a_table_keeps_the_earlier_file(
        command, r5: F, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "table.csv"
    out.write_text("an earlier run's table\n", encoding="utf-8")
    real = pd.DataFrame.to_csv

    def to_csv(self, path=None, *args, **kwargs):  # noqa: ANN001, ANN202
        if path is None or not isinstance(path, str | os.PathLike):
            return real(self, path, *args, **kwargs)
        real(self.iloc[: len(self) // 2], path, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)
    assert main(command(r5, out)) == 130
    assert out.read_text(encoding="utf-8") == "an earlier run's table\n"
    assert _leftovers(tmp_path) == []


def test_ctrl_c_while_writing_the_links_leaves_no_half_list(
        r5: F, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A links file cut after its header looked like a run that made no invitation; the
    invitations are stored by then, so their links go to standard output instead."""
    import csv
    import sys

    real = csv.writer

    class Interrupted:  # the disk is cut off after the header; standard output works
        def __init__(self, fh, **kwargs) -> None:  # noqa: ANN001
            self.inner, self.rows, self.disk = real(fh, **kwargs), 0, fh is not sys.stdout

        def writerow(self, row) -> None:  # noqa: ANN001
            self.rows += 1
            if self.rows > 1 and self.disk:
                raise KeyboardInterrupt
            self.inner.writerow(row)

        def writerows(self, rows) -> None:  # noqa: ANN001
            for row in rows:
                self.writerow(row)

    monkeypatch.setattr(csv, "writer", Interrupted)
    out = tmp_path / "links.csv"
    assert main(["invite", "--study", "s", "--n", "2", "--out", str(out), *_db(r5)]) == 130
    assert not out.exists() and _leftovers(tmp_path) == []
    printed = capsys.readouterr()
    assert printed.out.startswith("invitation_id,") and printed.out.count("?t=") == 2
    assert "their links are printed above instead" in printed.err


def test_atomic_path_keeps_permissions_and_writes_through_a_link(tmp_path: Path) -> None:
    """Coverage of the writer itself: an existing file keeps its mode, a symbolic link
    keeps pointing at the (new) file, a failure leaves nothing."""
    from analysis.io import atomic_path

    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with atomic_path(link) as tmp:
        assert tmp.suffix == ".json" and tmp.parent == tmp_path
        tmp.write_text("new", encoding="utf-8")
    assert link.is_symlink() and real.read_text() == "new"
    assert real.stat().st_mode & 0o777 == 0o640
    with pytest.raises(RuntimeError), atomic_path(real) as tmp:
        tmp.write_text("partial", encoding="utf-8")
        raise RuntimeError
    assert real.read_text() == "new" and _leftovers(tmp_path) == []


# -- opt-out links with two values -----------------------------------------------------------


@pytest.fixture
def optout_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """A study with two contacts, and their opt-out codes."""
    from sqlalchemy import select

    from instruments.fieldwork.contacts import (
        SECRET_KEY_ENV,
        import_contacts,
        new_secret_key,
        open_secret,
    )
    from instruments.fieldwork.invitations import create_study
    from instruments.store import ResponseStore
    from instruments.store.mailtables import Contact

    monkeypatch.setenv(SECRET_KEY_ENV, new_secret_key())
    url = f"sqlite:///{tmp_path / 'mail.sqlite'}"
    store = ResponseStore(url)
    create_study(store, "w")
    import_contacts(store, "w", [
        {"email": "ada@alpha.example", "name": "Ada", "firm": "Alpha", "partner": "Beta"},
        {"email": "bo@beta.example", "name": "Bo", "firm": "Beta", "partner": "Alpha"}])
    with store.session() as session:
        codes = [open_secret(c.secret).optout_token
                 for c in session.scalars(select(Contact).order_by(Contact.email))]
    yield store, url, codes
    store.dispose()


def _optouts(store) -> list[str]:  # noqa: ANN001
    from sqlalchemy import select

    from instruments.store.mailtables import MailOptout

    with store.session() as session:
        return sorted(session.scalars(select(MailOptout.email)))


def test_opt_out_with_two_addresses_changes_nothing(optout_store) -> None:  # noqa: ANN001
    from analysis.errors import DataError
    from instruments.fieldwork.mail import opt_out

    store, _, (ada, bo) = optout_store
    with pytest.raises(DataError, match="two different codes"):
        opt_out(store, [ada, bo])
    assert _optouts(store) == []
    # the same code twice, or a code next to a damaged copy, is that one address
    assert opt_out(store, [ada, ada]).already is False
    assert opt_out(store, ["garbage", bo, " "]).already is False
    assert _optouts(store) == ["ada@alpha.example", "bo@beta.example"]
    with pytest.raises(DataError, match="not valid"):
        opt_out(store, [])


def test_the_app_reads_every_optout_value(optout_store,  # noqa: ANN001
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from instruments.store import DB_ENV_VAR
    from tests.ui.conftest import APP

    store, url, (ada, bo) = optout_store
    monkeypatch.setenv(DB_ENV_VAR, url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["optout"] = [ada, bo]
    at.run()
    assert not at.exception
    assert any("two different codes" in e.value for e in at.error)
    assert _optouts(store) == []  # the app opted out Bo, the last value, before


# -- more of the Python API -------------------------------------------------------------------


@pytest.mark.parametrize(("call", "message"), [
    (lambda: __import__("analysis.stats.reliability", fromlist=["x"]).reliability_report(
        pd.read_csv(HS).assign(x1=lambda d: d.x1 * 1e200), CFA),
     r"item 'x1' has values larger than 1e\+50"),  # an internal LinAlgError before
    (lambda: __import__("analysis.stats.reliability", fromlist=["x"]).reliability_report(
        pd.read_csv(HS).assign(x1=lambda d: d.x1.where(d.index != 2, np.inf)), CFA),
     "item 'x1' has infinite values"),  # "fewer than 2 joint observations" before
    (lambda: __import__("analysis.study.simulate", fromlist=["x"]).simulate_study(
        10, seed=-1), "seed= must be a whole number of 0 or more"),  # numpy's ValueError
    (lambda: __import__("analysis.study.scoring", fromlist=["x"]).score(str(DEMO)),
     "df= must be a pandas DataFrame"),  # an AttributeError before
], ids=["reliability-huge", "reliability-inf", "simulate-seed-negative", "score-a-path"])
def test_api_refuses_cleanly(call: Callable[[], object], message: str) -> None:
    from analysis.errors import AllianceSurveyError

    with pytest.raises(AllianceSurveyError, match=message):
        call()


def test_analysis_of_a_tiny_sample_reports_the_untestable_invariance() -> None:
    """35 respondents: a stage group too small for its saturated model made the engine's
    singular matrix (LinAlgError) end the whole analysis as an internal error."""
    from analysis.study.pipeline import analyze_study, to_json

    result = analyze_study(pd.read_csv(DEMO).head(35), measurement=False, latent_model=False,
                           bootstrap=20, parallel=False)
    # (since session 15 the EM of the group's saturated model says why it cannot be
    # estimated before any singular matrix is inverted)
    assert "invariance could not be tested: The saturated (h1) model of 10 variables " \
        "cannot be estimated from these 5 cases" in to_json(result)


def test_analysis_with_a_constant_scale_says_what_cannot_be_tested() -> None:
    """Every dep_own item answered 4: the dyadic test (H10) standardised a constant (0/0)
    and statsmodels' MissingDataError ended the analysis as an internal error; the
    equal-and-opposite check of H5 fitted a rank-deficient design and reported a Wald test
    of a minimum-norm solution, a number with no meaning."""
    from analysis.study.pipeline import analyze_study

    demo = pd.read_csv(DEMO)
    flat = demo.assign(**{c: 4 for c in demo.columns if c.startswith("dep_own_")})
    result = analyze_study(flat, measurement=False, latent_model=False, bootstrap=20,
                           parallel=False)
    rows = {h["id"]: h for h in result["hypotheses"]}
    assert rows["H10"]["verdict"] == "not tested"
    assert "dyad_jd_sum has no variance" in rows["H10"]["note"]
    assert "Equal-and-opposite constraint of asym_signed not tested" in rows["H5"]["note"]
    assert "dep_own has no variance" in rows["H5"]["note"]


@pytest.mark.parametrize("edit", [
    {"hypotheses": "oops"},
    {"hypotheses": [{"verdict": "supported"}]},
    {"provenance": ["not", "an", "object"]},
])
def test_report_refuses_an_analysis_json_of_the_wrong_shape(tmp_path, capsys, edit):
    """``report --json`` with an edited analysis file: it wrote a report of empty
    sections and exited 0; now it is refused, and no report is written."""
    analysis = tmp_path / "analysis.json"
    analysis.write_text(json.dumps({"provenance": {}, **edit}), encoding="utf-8")
    out = tmp_path / "report.html"
    demo = Path(__file__).resolve().parents[2] / "data" / "demo" / "alliance_demo.csv"
    code = main(["report", str(demo), "--json", str(analysis), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "is not a result of 'alliance-survey analyze --json'" in err
    assert "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("term", ["x1:x2", "I(x1^2)", "b*x1:x2"])
def test_the_python_api_names_product_terms_too(term):
    """``sem()`` called from Python said only "'x1:x2' is not a valid variable name";
    it now says that product terms are not supported and what to do instead, as the
    command does."""
    from analysis.errors import ModelSpecificationError
    from analysis.sem import sem

    data = pd.DataFrame(np.random.default_rng(1).normal(size=(50, 3)), columns=["y", "x1", "x2"])
    with pytest.raises(ModelSpecificationError, match=r"Create the product as a column"):
        sem(f"y ~ {term}", data)


@pytest.mark.parametrize("cell, missing, expected", [
    (1e200, "listwise", r"values larger than 1e\+50"),  # was numpy's LinAlgError
    (np.inf, "ml", "infinite values"),  # was read as a missing value
    (None, "listwise", "'x2' have no observed value"),  # was "Group '' has 0 usable cases"
    (None, "ml", "'x2' have no observed value"),  # was "A variable has no variance ..."
])
def test_sem_api_names_the_column_of_unusable_data(cell, missing, expected):
    """``sem()`` called from Python with a huge or infinite cell, or a variable without
    any observed value, names the column instead of failing inside numpy or saying
    something about groups."""
    from analysis.errors import DataError
    from analysis.sem import sem

    data = pd.DataFrame(np.random.default_rng(1).normal(size=(100, 6)),
                        columns=[f"x{i}" for i in range(1, 7)])
    if cell is None:
        data["x2"] = np.nan
    else:
        data.loc[0, "x1"] = cell
    with pytest.raises(DataError, match=expected):
        sem("f =~ x1 + x2 + x3\ng =~ x4 + x5 + x6", data, missing=missing)


def test_sem_api_names_a_constant_variable_under_fiml_too():
    """A constant column with missing='ml' failed with "the model-implied covariance
    matrix is not positive definite for ... a missing-data pattern"; it is now named as
    under listwise deletion."""
    from analysis.errors import EstimationError
    from analysis.sem import sem

    data = pd.DataFrame(np.random.default_rng(1).normal(size=(100, 6)),
                        columns=[f"x{i}" for i in range(1, 7)])
    data["x3"] = 1.0
    data.loc[:10, "x4"] = np.nan
    with pytest.raises(EstimationError, match="x3 have zero variance"):
        sem("f =~ x1 + x2 + x3\ng =~ x4 + x5 + x6", data, missing="ml")
