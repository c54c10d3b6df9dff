"""Hostile input, sixteenth round: non-numeric cells named by row and value, edited analysis
JSON files, standard input and Excel's separator line as data files, column names that
differ only in their Unicode normalisation and exponents that YAML reads as text; with a
sweep of number options, encodings, closed pipes, signals, concurrent store writers and
odd data formats, which were handled well already.

Before these fixes:

* A column with one text cell was "Column 'x1' is not numeric; recode it or declare it in
  ordered=." (sem), "column 'x1' has non-numeric values" (pls), "item 'x1' is not numeric
  (dtype str)" (reliability), "Item(s) must be numeric: x1" (htmt) or "Item column(s) x1
  contain non-numeric values" (scoring): none said which row or what value, nor that '3,5'
  is a decimal comma, '1,000' a thousands separator, '\\u22121.5' a Unicode minus sign or
  'Strongly agree' an answer label. One helper (``analysis.io.describe_non_numeric``)
  now words them all.
* An analysis JSON with a number too large for a float (``"pvalue": 1`` followed by 400
  zeros) was accepted by ``report --json``, and five report sections then ended in an
  internal OverflowError, which the section guard does not catch; ``"n": []`` ended
  ``scripts/check_report.py`` in a TypeError traceback, as did a missing or broken JSON
  file. Every message of ``check_analysis_file`` after its first check began "the manifest
  of 'alliance-survey simulate --manifest' is not a result ..." (a loop variable replaced
  the caller's ``what``).
* A data file named '-' was "Data file '-' does not exist"; a CSV file starting with
  Excel's 'sep=,' line was "15 values in data row 1 but 2 column names in its header";
  two columns named 'xé' (one as NFC, one as NFD) were read as two variables.
* A population file with ``coef: 1e30`` (text to YAML 1.1) was only "must have ... coef:
  (a number), not {'coef': '1e30', ...}".
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import build_parser, main
from analysis.errors import DataError, ModelSpecificationError
from analysis.study.prereg import check_analysis_file
from tests.hostile._runner import refused as _refused
from tests.hostile.test_cli_more import DEMO, HS

ROOT = Path(__file__).resolve().parents[2]
CFA = "f =~ x1 + x2 + x3"
PLS = "f =~ x1 + x2 + x3\ng =~ x4 + x5 + x6\ng ~ f"
SHA = "0" * 64


def _write(path: Path, text: str) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    return path


def _hs_with_cell(value: str, row: int = 4) -> str:
    """The HS file with x1 of data row ``row`` (1 = first after the header) set to ``value``."""
    lines = Path(HS).read_text(encoding="utf-8").splitlines(True)
    header = [h.strip('"') for h in lines[0].rstrip("\n").split(",")]
    cells = lines[row].rstrip("\n").split(",")
    cells[header.index("x1")] = value
    return "".join(lines[:row]) + ",".join(cells) + "\n" + "".join(lines[row + 1:])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONIO"))}
    env.update(PYTHONPATH=str(ROOT), **extra)
    return env


def _cli(args: list[str], **kw) -> subprocess.CompletedProcess[str]:  # noqa: ANN003
    return subprocess.run([sys.executable, "-m", "analysis.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=240, **kw)


# -- 1. round 15's leftover: a non-numeric cell named by row, value and likely cause ------


CELLS = {
    "decimal-comma": ('"3,5"', "data row 4 holds '3,5'", "a decimal comma: write 3.5"),
    "thousands": ('"1,000"', "holds '1,000'", "a thousands separator or a decimal comma"),
    "thousands-dot-comma": ('"1.000,5"', "holds '1.000,5'", "write 1000.5"),
    "thousands-space": ('"1 000"', "holds '1 000'", "a thousands separator: write 1000"),
    "unicode-minus": ("\u22121.5", "U+2212 MINUS SIGN", "type -1.5"),
    "en-dash": ("\u20131.5", "U+2013 EN DASH", "type -1.5"),
    "likert-label": ("Strongly agree", "holds 'Strongly agree'", "an answer label"),
    "likert-label-fr": ("Tout à fait d'accord", "Tout à fait d'accord", "an answer label"),
    "full-width": ("\uff13", "U+FF13 FULLWIDTH DIGIT THREE", "digits of another script: "
                   "write 3"),
    "arabic-indic": ("\u0663", "ARABIC-INDIC DIGIT THREE", "write 3"),
    "na-marker": ("NA", "holds 'NA'", "a marker for a missing answer"),
    "dot-marker": (".", "holds '.'", "a marker for a missing answer"),
    "zero-width": ("3\u200b", "U+200B ZERO WIDTH SPACE", "not numeric"),
    "plain-text": ("abc", "data row 4 holds 'abc' (non-numeric values in 1 row).",
                   "Recode it or declare it in ordered="),
}


@pytest.mark.parametrize("case", list(CELLS))
def test_a_non_numeric_cell_is_named_by_row_and_value(case: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    value, shown, hint = CELLS[case]
    path = _write(tmp_path / "d.csv", _hs_with_cell(value))
    err = _refused(["sem", str(path), "--model", CFA], "Column 'x1' is not numeric", capsys)
    assert shown in err and hint in err, err
    assert "data row 4" in err


@pytest.mark.parametrize("args", [
    ["sem", "{path}", "--model", CFA],
    ["pls", "{path}", "--model", PLS],
    ["reliability", "{path}", "--model", CFA],
], ids=["sem", "pls", "reliability"])
def test_every_command_words_a_non_numeric_cell_alike(args: list[str], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    path = _write(tmp_path / "d.csv", _hs_with_cell('"3,5"', row=7))
    err = _refused([a.replace("{path}", str(path)) for a in args], "'x1' is not numeric: "
                   "data row 7 holds '3,5' (non-numeric values in 1 row); it looks like a "
                   "decimal comma: write 3.5", capsys)
    assert "dtype" not in err


def test_the_api_functions_word_a_non_numeric_cell_alike(tmp_path: Path) -> None:
    from analysis.sem import cfa
    from analysis.stats import validity
    from analysis.stats.regression import moderation
    from analysis.stats.reliability import sample_covariance

    data = pd.read_csv(HS)
    data = data.astype({"x2": object})
    data.loc[[9, 20], "x2"] = ["\u22121", "\u22122"]
    expected = ("column 'x2' is not numeric: data row 10 holds '\u22121' (U+2212 MINUS SIGN) "
                "(non-numeric values in 2 rows); it looks like a minus sign other than the "
                "hyphen-minus: type -1")
    calls = {
        "cfa": lambda: cfa("f =~ x1 + x2 + x3", data),
        "sample_covariance": lambda: sample_covariance(data, ["x1", "x2"]),
        "htmt": lambda: validity.htmt(data, {"a": ["x1", "x2"], "b": ["x4", "x5"]}),
        "moderation": lambda: moderation(data, "x1", "x2", "x3"),
    }
    for name, call in calls.items():
        with pytest.raises(DataError) as info:
            call()
        assert expected.lower() in str(info.value).lower(), (name, str(info.value))


def test_scoring_names_the_row_of_a_label_among_codes() -> None:
    from analysis.study import scoring

    data = pd.DataFrame({"trust_1": [1, 2, "Strongly agree", 4], "trust_2": [1, 2, 3, "x"]},
                        dtype=object)
    with pytest.raises(DataError) as info:
        scoring._coerce_items(data, ["trust_1", "trust_2"])  # noqa: SLF001
    assert str(info.value) == (
        "Item column 'trust_1' is not numeric: data row 3 holds 'Strongly agree' "
        "(non-numeric values in 1 row); it looks like an answer label, not its code: recode "
        "the labels as numbers (e.g. 1 to 7). So are item column(s) trust_2. Items must be "
        "integer codes (empty for missing).")


def test_the_helper_counts_rows_and_names_index_labels() -> None:
    from analysis.io import describe_non_numeric, not_numeric_error

    column = pd.Series([1.0, "x", 3.0, "y"], index=[10, 11, 12, 13], dtype=object)
    text = describe_non_numeric("q 1", column)
    assert text == ("column 'q 1' is not numeric: data row 2 (index 11) holds 'x' "
                    "(non-numeric values in 2 rows)")
    err = not_numeric_error("q", pd.Series([1.0, True, 2.0], dtype=object), what="PLS")
    assert str(err).startswith("PLS: column 'q' is not numeric: data row 2 holds True (bool)")


# -- 2. an edited analysis JSON (report --json, scripts/check_report.py) -------------------


def _analysis(**extra: object) -> dict:
    return {"n": 10, "hypotheses": [{"id": "H1"}], "provenance": {"data_sha256": SHA},
            **extra}


@pytest.mark.parametrize("edit, expected", [
    ({"n": []}, "has 'n' = [], not a count of respondents"),
    ({"n": -3}, "has 'n' = -3"),
    ({"n_raw": "ten"}, "has 'n_raw' = 'ten'"),
    ({"n": True}, "has 'n' = True"),
    ({"hypotheses": [{"id": "H1", "pvalue": 10**400}]},
     "holds an integer of 401 digits at /hypotheses/0/pvalue"),
    ({"decision": {"alpha": float("nan")}}, "holds nan at /decision/alpha"),
    ({"structural": {"r2": [0.1, float("inf")]}}, "holds inf at /structural/r2/1"),
    ({"x": -float("inf")}, "holds -inf at /x"),
], ids=["n-list", "n-negative", "n_raw-text", "n-bool", "huge-int", "nan", "inf", "-inf"])
def test_an_edited_analysis_is_refused(edit: dict, expected: str) -> None:
    with pytest.raises(DataError) as info:
        check_analysis_file(_analysis(**edit), what="The analysis JSON 'a.json' (--json=)")
    assert str(info.value).startswith("The analysis JSON 'a.json' (--json=)"), info.value
    assert expected in str(info.value)


def test_a_wrong_shape_is_blamed_on_the_file_given() -> None:
    with pytest.raises(DataError) as info:
        check_analysis_file({"hypotheses": 5, "provenance": {}}, what="The analysis JSON 'a'")
    assert str(info.value).startswith("The analysis JSON 'a' is not a result"), info.value
    assert "manifest" not in str(info.value)


def test_a_well_formed_analysis_passes() -> None:
    check_analysis_file(_analysis(n_raw=12, extra={"big": 1e300, "none": None}))


def test_report_refuses_a_huge_number_before_rendering(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(_analysis()).replace('"n": 10', '"n": 10, "x": 1' + "0" * 400),
                    encoding="utf-8")
    out = tmp_path / "r.html"
    start = time.monotonic()
    _refused(["report", str(DEMO), "--json", str(path), "--out", str(out)],
             "holds an integer of 401 digits at /x", capsys)
    assert not out.exists() and time.monotonic() - start < 60


@pytest.mark.parametrize("content, expected", [
    (None, "does not exist"),
    ("{", "it is not JSON"),
    ("[1, 2]", "is not an object"),
    (json.dumps(_analysis(n=[])), "has 'n' = []"),
    (json.dumps(_analysis()).replace('"n": 10', '"n": 1' + "0" * 400),
     "integer of 401 digits at /n"),
], ids=["missing", "not-json", "list", "n-list", "n-huge"])
def test_check_report_refuses_a_bad_analysis_file(content: str | None, expected: str,
                                                  tmp_path: Path) -> None:
    report = _write(tmp_path / "r.html", "<html></html>")
    analysis = tmp_path / "a.json"
    if content is not None:
        analysis.write_text(content, encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_report.py"),
                           str(report), "--json", str(analysis)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=_env())
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr and "Traceback" not in done.stderr, done.stderr


# -- 3. data files: standard input, Excel's sep= line, NFC/NFD names ---------------------


@pytest.mark.parametrize("command", [["sem", "-", "--model", CFA],
                                     ["score", "-", "--out", "{tmp}/s.csv"],
                                     ["report", "-", "--out", "{tmp}/r.html"]],
                         ids=["sem", "score", "report"])
def test_standard_input_is_refused_plainly(command: list[str], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    _refused([c.replace("{tmp}", str(tmp_path)) for c in command],
             "Data cannot be read from standard input ('-')", capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("first, expected", [
    ("sep=,", "starts with Excel's separator line 'sep=,'; delete that first line, so that "
              "the first line of the file is the header of column names."),
    ("sep=;", "'sep=;'; delete that first line"),
    ("SEP=,", "'SEP=,'"),
], ids=["comma", "semicolon", "upper"])
def test_excel_separator_line_is_named(first: str, expected: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    text = Path(HS).read_text(encoding="utf-8")
    if first == "sep=;":
        text = pd.read_csv(HS).to_csv(sep=";", decimal=",", index=False)
    path = _write(tmp_path / "d.csv", f"{first}\n{text}")
    _refused(["sem", str(path), "--model", CFA], expected, capsys)


def test_names_that_differ_only_in_normalisation_are_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = pd.read_csv(HS)
    data[unicodedata.normalize("NFC", "sé")] = data["x1"]
    data[unicodedata.normalize("NFD", "sé")] = data["x2"]
    path = tmp_path / "d.csv"
    data.to_csv(path, index=False)
    err = _refused(["sem", str(path), "--model", CFA], "how an accented letter is encoded",
                   capsys)
    assert "'s\\xe9'" in err and "'se\\u0301'" in err  # written out: they look the same


# -- 4. a population file whose number YAML reads as text --------------------------------


@pytest.mark.parametrize("coef", ["1e30", "1e-3", "'0.2'"])
def test_a_coefficient_read_as_text_says_why(coef: str, tmp_path: Path) -> None:
    from analysis.study.simulate import load_population

    text = (ROOT / "analysis" / "study" / "population.yaml").read_text(encoding="utf-8")
    assert "coef: 0.20, hypothesis: H1" in text
    path = _write(tmp_path / "p.yaml", text.replace("coef: 0.20, hypothesis: H1",
                                                    f"coef: {coef}, hypothesis: H1", 1))
    with pytest.raises(ModelSpecificationError, match="is read as text: a number in quotes "
                       "is text, and YAML reads an exponent only with a point and a sign"):
        load_population(path)


# -- 5. sweeps that were handled well already (coverage) ---------------------------------


NUMBERS = ["1e3", "0x10", "\u0661\u0662", "5.0", "inf", "nan", "1_000", "\uff15", "1,5",
           "5\u200b", "1e400", "-inf"]
INTEGER_TYPES = {"count", "positive_int", "nonnegative_int", "seed", "draws", "draw_count"}


def _number_options() -> list[tuple[str, str, argparse.Action]]:
    sub = next(a for a in build_parser()._actions  # noqa: SLF001
               if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    return [(name, action.option_strings[0], action) for name, parser in sub.choices.items()
            for action in parser._actions  # noqa: SLF001
            if getattr(action.type, "__name__", "") in INTEGER_TYPES]


def test_every_whole_number_option_refuses_odd_numbers() -> None:
    options = _number_options()
    assert len(options) >= 30
    for command, option, action in options:
        for text in NUMBERS:
            with pytest.raises(argparse.ArgumentTypeError):
                action.type(text)
        assert action.type(" 5 ") == 5, (command, option)


@pytest.mark.parametrize("command, option", [
    ("power", "--alpha"), ("sem", "--modindices"), ("pls", "--missing-value"),
    ("mail", "--after-days"), ("invite", "--expires-days"), ("simulate", "--missing"),
])
def test_real_number_options_refuse_non_finite(command: str, option: str) -> None:
    sub = next(a for a in build_parser()._actions  # noqa: SLF001
               if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    action = next(a for a in sub.choices[command]._actions  # noqa: SLF001
                  if option in a.option_strings)
    for text in ["inf", "nan", "-inf", "1e400", "\u0661", "\uff15", "0x10", "1_0"]:
        with pytest.raises(argparse.ArgumentTypeError):
            action.type(text)


@pytest.mark.parametrize("args, expected", [
    (["power", "--n", "100", "--reps", "2", "--alpha", "1"], "--alpha must lie between"),
    (["power", "--n", "1", "--reps", "2"], "at least 30"),
    (["power", "--n", "1000000000", "--reps", "2"], "at most 100,000"),
    (["power", "--n", "50,50", "--reps", "2"], "lists a sample size twice"),
    (["simulate", "--n", "1000000000", "--out", "s.csv"], "at most 100,000"),
    (["simulate", "--n", "3", "--dyads", "5", "--out", "s.csv"], "needs 2*dyads"),
    (["simulate", "--n", "5", "--seed", "-1", "--out", "s.csv"], "from 0 to 4294967295"),
], ids=["alpha-1", "n-1", "n-1e9", "n-twice", "sim-1e9", "sim-dyads", "sim-seed"])
def test_extreme_power_and_simulate_arguments(args: list[str], expected: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    assert expected in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_one_respondent_is_simulated(tmp_path: Path) -> None:
    assert main(["simulate", "--n", "1", "--out", str(tmp_path / "s.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "s.csv")) == 1


@pytest.mark.parametrize("make, expected", [
    (lambda d, p: d.to_csv(p.with_suffix(".tsv"), sep="\t", index=False) or
     p.with_suffix(".tsv"), "use a .csv, .parquet or .sav file"),
    (lambda d, p: d.to_json(p.with_suffix(".json")) or p.with_suffix(".json"),
     "use a .csv, .parquet or .sav file"),
    (lambda d, p: _write(p.with_suffix(".xlsx"), "PK\x03\x04junk"),
     "use a .csv, .parquet or .sav file"),
    (lambda d, p: _write(p, d.to_csv(sep=";", decimal=",", index=False)),
     "separated by semicolons"),
    (lambda d, p: _write(p, d.head(0).to_csv(index=False)), "but no rows"),
    (lambda d, p: _write(p, d.head(1).to_csv(index=False)), "1 usable case"),
    (lambda d, p: _write(p, Path(HS).read_text().replace('"x2"', '"x1"', 1)),
     "repeated column names: 'x1'"),
    (lambda d, p: _write(p, d.rename(columns={"x1": " x1 "}).to_csv(index=False)),
     "similar columns:  x1 "),
], ids=["tsv", "json", "xlsx", "semicolon-decimal-comma", "header-only", "one-row",
        "duplicate-names", "spaces"])
def test_other_formats_and_shapes_are_refused_plainly(make, expected: str,  # noqa: ANN001
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    path = make(pd.read_csv(HS), tmp_path / "d.csv")
    _refused(["sem", str(path), "--model", CFA], expected, capsys)


def test_names_that_differ_only_in_case_are_two_columns(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    data = pd.read_csv(HS)
    data["X1"] = data["x1"] * 0 + 1.0  # a constant: fitted, it would fail
    data.to_csv(tmp_path / "d.csv", index=False)
    assert main(["sem", str(tmp_path / "d.csv"), "--model", CFA]) == 0
    assert "N = 301" in capsys.readouterr().out


def test_a_million_rows_of_one_column(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "d.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("x1\n" + "1\n2\n" * 500_000)
    _refused(["sem", str(path), "--model", CFA], "not in data= and are not latent", capsys)


@pytest.mark.parametrize("env", [
    {"PYTHONIOENCODING": "ascii"},
    {"PYTHONIOENCODING": "ascii", "LANG": "C", "LC_ALL": "C"},
    {"LANG": "POSIX", "LC_ALL": "POSIX", "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "10"},
], ids=["ascii", "ascii-C", "posix-dumb-narrow"])
def test_non_ascii_names_under_an_ascii_terminal(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "données_é"
    folder.mkdir()
    data = folder / "étude.csv"
    data.write_bytes(Path(HS).read_bytes())
    done = _cli(["sem", str(data), "--model", CFA], env=_env(**env))
    assert done.returncode == 0, done.stderr
    missing = _cli(["sem", str(folder / "nöpe.csv"), "--model", "fé =~ x1 + x2"],
                   env=_env(**env))
    assert missing.returncode == 2 and "does not exist" in missing.stderr, missing.stderr
    assert "Traceback" not in missing.stderr
    assert "n\\xf6pe.csv" in missing.stderr or "nöpe.csv" in missing.stderr


def test_a_reader_that_goes_away_gets_no_traceback() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "analysis.cli", "codebook"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    proc.stdout.readline()
    proc.stdout.close()  # '| head -1'
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err, err


@pytest.mark.slow  # a power run of minutes interrupted at 6 s
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["int", "term"])
def test_an_interrupted_power_run_leaves_no_file(sig: signal.Signals, tmp_path: Path) -> None:
    # 4,000 replications: 40 (about 10 s on a loaded machine) were done before the signal
    # at 6 s on an idle one, and the run ended with exit 0
    proc = subprocess.Popen([sys.executable, "-m", "analysis.cli", "power", "--n", "50,100",
                             "--reps", "4000", "--workers", "1", "--no-progress", "--json",
                             str(tmp_path / "p.json"), "--plot", str(tmp_path / "p.svg")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=_env())
    time.sleep(6)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (130, 143, -sig), err
    assert b"Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # three CLI processes against one SQLite store, ~20 s under load
def test_concurrent_imports_keep_one_copy(tmp_path: Path) -> None:
    from instruments.fieldwork.contacts import new_secret_key

    contacts = tmp_path / "c.csv"
    rows = ["email,name,firm,partner,alliance_id,role,language"]
    for i in range(40):
        mine, theirs = (f"F{i // 2}", f"G{i // 2}") if i % 2 == 0 else (f"G{i // 2}",
                                                                        f"F{i // 2}")
        rows.append(f"p{i}@example.org,P {i},{mine},{theirs},a{i // 2},"
                    f"{'A' if i % 2 == 0 else 'B'},en")
    contacts.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "s.sqlite"
    env = _env(ALLIANCE_SURVEY_SECRET_KEY=new_secret_key())
    procs = [subprocess.Popen([sys.executable, "-m", "analysis.cli", "mail", "--contacts",
                               str(contacts), "--study", "imp", "--db", f"sqlite:///{db}"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env) for _ in range(3)]
    results = [(p.wait(timeout=240), p.stderr.read().decode()) for p in procs]
    assert sorted(code for code, _ in results).count(0) >= 1, results
    for code, err in results:
        assert code in (0, 2) and "Traceback" not in err, err
    with sqlite3.connect(db) as con:
        total, distinct = con.execute("select count(*), count(distinct email) "
                                      "from contacts").fetchone()
    assert total == distinct == 40
