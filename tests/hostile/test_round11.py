"""Hostile input, eleventh round: data rows of another width than their header, files
whose contents are of another format than their name says, contact lists with an unquoted
comma, addresses and links that end in a line break or hide control characters, population
files of the wrong shape, a model file saved as UTF-16, and a sweep of odd data files,
model statements and option values over the commands.

Before these fixes:

* A decimal comma (or a trailing comma) in the first data row of a CSV file made pandas
  take the surplus leading values for row names: every value moved one or more columns to
  the left and ``sem`` fitted x1 = what was x4 without a word.  A row cut short (a file cut
  off while copied) was filled with missing values; a longer row further down failed in
  the parser's words ("Error tokenizing data. C error: Expected 15 fields in line 58").
* An SPSS file renamed .csv was "UTF-16 text", a Parquet file "not UTF-8 (Latin-1?)", and
  CSV text named .parquet met "Parquet magic bytes not found in footer".
* ``mail --contacts`` with ``a@x.de,Müller, Hans,Acme`` stored the firm 'Hans' (the real
  firm was dropped); a header naming ``email`` twice kept the second column silently.
* ``mail --configure --sender $'a@b.de\\n'`` was stored (the pattern's ``$`` matches before
  a final line break); every later ``mail --send`` then ended in an internal error
  ("Header values may not contain linefeed or carriage return characters").  The same
  ``$`` let 'abc\\n' through as a completion code, an item id or a version number.
* ``privacy --redirect-url`` took a NUL, an escape character or a right-to-left override.
* ``load_population`` ended in AttributeError, KeyError, ValueError, LinAlgError or
  UnicodeDecodeError for files of the wrong shape, kept the last of two equal keys, and
  took ``.nan`` coefficients and correlations (a population of NaN values);
  ``simulate_study(population='population.yaml')`` ended in AttributeError and
  ``careless=True`` made every respondent careless.
* A model file saved as UTF-16 (Notepad's "Unicode") was "a binary file, not text".
"""

from __future__ import annotations

import gzip
import io
import shutil
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.errors import DataError, InstrumentError, ModelSpecificationError
from tests.hostile._runner import copy_store as _copy
from tests.hostile._runner import invited_store
from tests.hostile._runner import refused as _refused
from tests.hostile.test_cli_more import DEMO, HS

REPO = Path(__file__).resolve().parents[2]
CFA = "f =~ x1 + x2 + x3"
TWO = "f =~ x1 + x2 + x3\ng =~ x4 + x5 + x6\n"
PLS = "F1 =~ x1 + x2 + x3\nF2 =~ x4 + x5 + x6\nF2 ~ F1\n"
F = dict[str, Path]


def _with_cell(frame: pd.DataFrame, column: str, row: int, value: object) -> pd.DataFrame:
    out = frame.astype({column: object})
    out.loc[row, column] = value
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> F:
    """Data and model files, one per kind of bad input (HolzingerSwineford1939 inside)."""
    import pyreadstat

    root = tmp_path_factory.mktemp("round11")
    hs = pd.read_csv(HS)
    text = hs.to_csv(index=False)
    lines = text.splitlines(keepends=True)
    f: F = {}

    def put(name: str, content: str | bytes) -> None:
        path = root / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        f[name] = path

    # rows of another width than the header
    put("dec_comma.csv", text.replace(".", ",", 50))
    put("thousands.csv", hs.assign(x1=hs.x1 * 1000).to_csv(index=False, float_format="%.0f")
        .replace("4000", "4,000"))
    put("trailing_comma.csv", lines[0] + "".join(line.rstrip("\n") + ",\n"
                                                  for line in lines[1:]))
    put("cut_off.csv", "".join(lines[:-1]) + ",".join(lines[-1].split(",")[:7]) + "\n")
    put("short_row.csv", "".join(lines[:10]) + "11,1,13\n" + "".join(lines[11:]))
    put("header_longer.csv", lines[0].rstrip("\n") + ",x10\n" + "".join(lines[1:]))
    # still read: quoted commas, blank lines, other line ends, no final line end
    put("quoted_commas.csv", hs.assign(school=hs.school + ", Chicago").to_csv(index=False))
    put("blank_lines.csv", text + "\n\n\n")
    put("cr_only.csv", text.replace("\n", "\r"))
    put("mixed_eol.csv", text.replace("\n", "\r\n", 40))
    put("no_final_eol.csv", text.rstrip("\n"))
    put("empty_cells.csv", _with_cell(hs, "x1", 3, None).to_csv(index=False))
    # contents of another format than the name says
    sav = root / "hs.sav"
    pyreadstat.write_sav(hs, str(sav))
    parquet = root / "hs.parquet"
    hs.to_parquet(parquet)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    put("sav_as.csv", sav.read_bytes())
    put("parquet_as.csv", parquet.read_bytes())
    put("xlsx_as.csv", zipped.getvalue())
    put("gzip_as.csv", gzip.compress(text.encode()))
    put("pdf_as.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    put("sqlite_as.csv", b"SQLite format 3\x00" + bytes(200))
    put("csv_as.parquet", text)
    put("csv_as.sav", text)
    put("parquet_as.sav", parquet.read_bytes())
    put("sav_as.parquet", sav.read_bytes())
    # odd contents (refused before; kept as coverage)
    put("latin1_header.csv", hs.rename(columns={"x9": "xü"}).to_csv(index=False)
        .encode("latin-1"))
    put("cp1252_cell.csv", hs.assign(school="\u201cPasteur\u201d").to_csv(index=False)
        .encode("cp1252"))
    put("utf16_bom.csv", b"\xff\xfe" + text.encode("utf-16-le"))
    put("tabs.csv", hs.to_csv(index=False, sep="\t"))
    put("na_text.csv", _with_cell(hs, "x1", 3, "n/a").to_csv(index=False))
    put("percent.csv", hs.assign(x1=hs.x1.round(1).astype(str) + "%").to_csv(index=False))
    put("hex.csv", _with_cell(hs, "x1", 3, "0x10").to_csv(index=False))
    put("minus_infinity.csv", _with_cell(hs, "x1", 3, "-Infinity").to_csv(index=False))
    put("digits_400.csv", _with_cell(hs, "x1", 3, "1" + "0" * 400).to_csv(index=False))
    put("dates.csv", hs.assign(x1=[f"2020-01-{1 + i % 28:02d}" for i in range(len(hs))])
        .to_csv(index=False))
    put("one_row.csv", "".join(lines[:2]))
    put("two_rows.csv", "".join(lines[:3]))
    put("constant.csv", hs.assign(x1=5.0).to_csv(index=False))
    put("space_in_header.csv", hs.rename(columns={"x1": " x1"}).to_csv(index=False))
    put("html_page.csv", "<html><body>Sign in</body></html>\n")
    put("only_x1.csv", "x1\n1\n2\n3\n")
    put("hs.tsv", hs.to_csv(index=False, sep="\t"))
    put("hs.dta", b"<stata_dta><header>")
    put("hs.csv.gz", gzip.compress(text.encode()))
    for name, column in (("timedelta", pd.to_timedelta(hs.x1, "D")),
                         ("bytes", [b"\x00\x01"] * len(hs)),
                         ("struct", [{"a": 1}] * len(hs)),
                         ("category", pd.Categorical(hs.x1.round().astype(int).astype(str))),
                         ("uint64", np.full(len(hs), 2**63 + 5, dtype=np.uint64))):
        path = root / f"{name}.parquet"
        hs.assign(x1=column).to_parquet(path)
        f[path.name] = path
    # model files
    put("utf16.lav", ("\ufeff" + CFA + "\n").encode("utf-16-le"))
    put("utf16_no_bom.lav", (CFA + "\n").encode("utf-16-be"))
    put("utf32.lav", (CFA + "\n").encode("utf-32"))
    put("binary.lav", b"\x00\x01\x02\x03binary\x00\xff")
    put("utf16_pls.lav", PLS.encode("utf-16"))
    return f


# -- 1. rows of another width than the header ---------------------------------------------


RAGGED = [
    ("dec_comma.csv", "25 values in data row 1 but 15 column names in its header"),
    ("thousands.csv", "16 values in data row 57 but 15 column names"),
    ("trailing_comma.csv", "16 values in data row 1 but 15 column names"),
    ("cut_off.csv", "only 7 value(s) in data row 301 but 15 column names"),
    ("short_row.csv", "only 3 value(s) in data row 10 but 15 column names"),
    ("header_longer.csv", "only 15 value(s) in data row 1 but 16 column names"),
]


@pytest.mark.parametrize("command", ["sem", "pls", "reliability"])
@pytest.mark.parametrize(("name", "expected"), RAGGED, ids=[c[0] for c in RAGGED])
def test_rows_of_another_width_than_the_header(command: str, name: str, expected: str,
                                                files: F,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    model = {"sem": CFA, "pls": PLS, "reliability": TWO}[command]
    _refused([command, str(files[name]), "--model", model], expected, capsys)


def test_a_shifted_file_through_the_api(files: F) -> None:
    """The file's values moved under other names: x1 held 3,333,333 (the digits after a
    decimal comma) and the model was fitted to it."""
    from analysis.study.datafiles import read_data

    with pytest.raises(DataError, match="must be in quotation marks"):
        read_data(files["dec_comma.csv"])


@pytest.mark.parametrize("name", ["quoted_commas.csv", "blank_lines.csv", "cr_only.csv",
                                  "mixed_eol.csv", "no_final_eol.csv", "empty_cells.csv"])
def test_files_of_one_width_are_still_read(name: str, files: F) -> None:
    from analysis.study.datafiles import read_data

    frame = read_data(files[name])
    expected = pd.read_csv(HS)
    assert list(frame.columns) == list(expected.columns)
    assert len(frame) == len(expected)
    assert isinstance(frame.index, pd.RangeIndex)
    np.testing.assert_allclose(frame["x4"].to_numpy(), expected["x4"].to_numpy(), rtol=0,
                               atol=1e-12)


# -- 2. contents of another format than the name says ------------------------------------


FORMATS = [
    ("sav_as.csv", "it is an SPSS .sav file, not CSV text as its name says; rename it to "
                   "end in .sav"),
    ("parquet_as.csv", "it is a Parquet file, not CSV text as its name says; rename it to "
                       "end in .parquet"),
    ("xlsx_as.csv", "it is an Excel workbook (.xlsx) or another zip archive, not CSV text"),
    ("gzip_as.csv", "it is a gzip-compressed file, not CSV text"),
    ("pdf_as.csv", "it is a PDF document, not CSV text"),
    ("sqlite_as.csv", "it is an SQLite database, not CSV text"),
    ("csv_as.parquet", "it is text (CSV?), not a Parquet file as its name says; rename it "
                       "to end in .csv"),
    ("csv_as.sav", "it is text (CSV?), not an SPSS .sav file"),
    ("parquet_as.sav", "it is a Parquet file, not an SPSS .sav file"),
    ("sav_as.parquet", "it is an SPSS .sav file, not a Parquet file"),
]


@pytest.mark.parametrize(("name", "expected"), FORMATS, ids=[c[0] for c in FORMATS])
def test_contents_of_another_format_are_named(name: str, expected: str, files: F,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _refused(["sem", str(files[name]), "--model", CFA], expected, capsys)


# -- 3. odd data files (coverage: each refused in its own words) -------------------------


ODD_DATA = [
    ("sem", "latin1_header.csv", "it is not UTF-8 text (Latin-1 or Windows-1252?)"),
    ("pls", "cp1252_cell.csv", "it is not UTF-8 text (Latin-1 or Windows-1252?)"),
    ("reliability", "utf16_bom.csv", "it is UTF-16 text; save it as UTF-8"),
    ("sem", "tabs.csv", "has its columns separated by tabs, not commas"),
    ("sem", "na_text.csv", "Column 'x1' is not numeric"),
    ("pls", "na_text.csv", "column 'x1' is not numeric"),
    ("reliability", "percent.csv", "item 'x1' is not numeric"),
    ("sem", "hex.csv", "Column 'x1' is not numeric"),
    ("sem", "minus_infinity.csv",
     "has infinite values (inf, or numbers too large to store, such as 1e400) in column(s) 'x1'"),
    ("pls", "digits_400.csv", "numbers too large to store, such as 1e400) in column(s) 'x1'; fix or"),
    ("sem", "dates.csv", "holds dates or times (text such as '2020-01-01')"),
    ("sem", "one_row.csv", "1 usable case"),
    ("sem", "two_rows.csv", "not positive definite"),
    ("pls", "two_rows.csv", "only 2 usable rows"),
    ("sem", "constant.csv", "zero variance"),
    ("reliability", "constant.csv", "item 'x1' is constant (5)"),
    ("sem", "space_in_header.csv", "similar columns:  x1"),
    ("sem", "html_page.csv", "has a header (1 column(s)) but no rows"),
    ("sem", "only_x1.csv", "not in data= and are not latent"),
    ("sem", "hs.tsv", "use a .csv, .parquet or .sav file"),
    ("pls", "hs.dta", "use a .csv, .parquet or .sav file"),
    ("reliability", "hs.csv.gz", "use a .csv, .parquet or .sav file"),
    ("sem", "timedelta.parquet", "holds dates or times (timedelta64[ns])"),
    ("sem", "bytes.parquet", "Column 'x1' is not numeric"),
    ("pls", "struct.parquet", "column 'x1' is not numeric"),
    ("sem", "category.parquet", "categorical with text categories"),
    ("sem", "uint64.parquet", "zero variance"),
]


@pytest.mark.parametrize(("command", "name", "expected"), ODD_DATA,
                         ids=[f"{c[0]}-{c[1]}" for c in ODD_DATA])
def test_odd_data_files(command: str, name: str, expected: str, files: F,
                        capsys: pytest.CaptureFixture[str]) -> None:
    model = {"sem": CFA, "pls": PLS, "reliability": TWO}[command]
    _refused([command, str(files[name]), "--model", model], expected, capsys)


# -- 4. model statements (coverage) ------------------------------------------------------


MODELS = [
    ("unbalanced-start", "f =~ x1 + x2 + start(0.5*x3", "is not a valid variable name"),
    ("unbalanced-c", "f =~ c(1, 2*x1 + x2 + x3", "is not a valid variable name"),
    ("modifier-on-the-left", "a*f =~ x1 + x2 + x3", "'a*f' is not a valid variable name"),
    ("operator-reversed", "f ~= x1 + x2", "'= x1' is not a valid variable name"),
    ("operator-tripled", "f =~~ x1 + x2 + x3", "'~ x1' is not a valid variable name"),
    ("trailing-plus", "f =~ x1 + x2 +", "empty term"),
    ("leading-plus", "f =~ + x1 + x2 + x3", "empty term"),
    ("regressed-on-itself", "x1 ~ x1", "'x1' is regressed on itself"),
    ("latent-on-itself", CFA + "\nf ~ f", "'f' is regressed on itself"),
    ("negative-variance", CFA + "\nf ~~ -1*f", "not positive definite"),
    ("greek-label", "f =~ x1 + \u03b1*x2 + \u03b1*x3", "cannot read the modifier"),
    ("label-with-digit-first", "f =~ x1 + 1a*x2 + x3", "cannot read the modifier '1a'"),
    ("fullwidth-letter", CFA + " + \uff584", "is not a valid variable name"),
    ("zero-width-space", "f =~ x1 + x2\u200b + x3", "is not a valid variable name"),
    ("line-twice", CFA + "\n" + CFA, "is given twice"),
    ("free-first-loading", "f =~ NA*x1 + x2 + x3", "not identified"),
    ("values-for-two-groups", "f =~ x1 + c(1,2)*x2 + x3", "has 2 values but the model has 1"),
    ("empty-start", "f =~ x1 + start()*x2 + x3", "has 0 values"),
    ("two-labels", "f =~ x1 + a*a*x2 + x3", "two label modifiers"),
    ("threshold-of-continuous", CFA + "\nx1 | t1", "not in ordered="),
    ("formative", "f <~ x1 + x2 + x3", "composites (formative indicators, <~)"),
    ("colon-label", "f =~ x1 + a:b*x2 + x3", "cannot read the modifier 'a:b'"),
    ("unknown-label-defined", CFA + "\nd := zz*2", "uses unknown labels: zz"),
    ("unknown-label-constrained", CFA + "\nzz == 0", "unknown labels: zz"),
    ("number-as-factor", "1 =~ x1 + x2", "'1' is not a valid variable name"),
    ("number-as-indicator", "f =~ x1 + 2 + x3", "'2' is not a valid variable name"),
    ("unknown-covariance", CFA + "\nx1 ~~ zz", "not in data= and are not latent"),
]


@pytest.mark.parametrize(("case", "model", "expected"), MODELS, ids=[c[0] for c in MODELS])
def test_model_statements(case: str, model: str, expected: str,
                          capsys: pytest.CaptureFixture[str]) -> None:
    _refused(["sem", str(HS), "--model", model], expected, capsys)


RELIABILITY_MODELS = [
    ("one-indicator", "f =~ x1", "factor 'f' has 1 observed item(s)"),
    ("modifier-on-the-left", "a*f =~ x1 + x2 + x3", "Cannot read the factor name"),
    ("no-factor", "x1 ~ x2", "The model defines no factor"),
    ("items-twice", CFA + "\n" + CFA, "lists the item(s) x1, x2, x3 more than once"),
    ("trailing-plus", "f =~ x1 + x2 +", "Empty term"),
]


@pytest.mark.parametrize(("case", "model", "expected"), RELIABILITY_MODELS,
                         ids=[c[0] for c in RELIABILITY_MODELS])
def test_reliability_model_statements(case: str, model: str, expected: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    _refused(["reliability", str(HS), "--model", model], expected, capsys)


PLS_MODELS = [
    ("covariance", "F1 =~ x1 + x2\nF2 <~ x4 + x5\nF2 ~~ F1", "take only '=~', '<~' and '~'"),
    ("path-to-an-item", "F1 =~ x1 + x2 + x3\nx4 ~ F1", "construct 'x4' has no '=~'"),
    ("labelled-path", "F1 =~ x1 + x2 + x3\nF2 =~ x4 + x5 + x6\nF2 ~ b*F1",
     "'b*F1' is not a variable name"),
    ("definition", PLS + "d := a*b", "no operator"),
    ("self-loop", "F1 =~ x1 + x2 + x3\nF1 ~ F1", "a construct cannot predict itself"),
]


@pytest.mark.parametrize(("case", "model", "expected"), PLS_MODELS,
                         ids=[c[0] for c in PLS_MODELS])
def test_pls_model_statements(case: str, model: str, expected: str,
                              capsys: pytest.CaptureFixture[str]) -> None:
    _refused(["pls", str(HS), "--model", model], expected, capsys)


# -- 5. a model file in UTF-16 or UTF-32 -------------------------------------------------


@pytest.mark.parametrize(("command", "name", "expected"), [
    ("sem", "utf16.lav", "is UTF-16 text; save it as UTF-8"),
    ("reliability", "utf16_no_bom.lav", "is UTF-16 text; save it as UTF-8"),
    ("sem", "utf32.lav", "is UTF-32 text; save it as UTF-8"),
    ("pls", "utf16_pls.lav", "is UTF-16 text; save it as UTF-8"),
    ("sem", "binary.lav", "is a binary file, not text"),
], ids=["sem-utf16", "reliability-utf16-no-bom", "sem-utf32", "pls-utf16", "binary-still"])
def test_a_model_file_in_utf16(command: str, name: str, expected: str, files: F,
                               capsys: pytest.CaptureFixture[str]) -> None:
    _refused([command, str(HS), "--model", str(files[name])], expected, capsys)


# -- 6. odd option values (coverage) -----------------------------------------------------


def _options(tmp: Path) -> list[tuple[str, list[str], str]]:
    out = str(tmp)
    cases: list[tuple[str, list[str], str]] = []
    for value in ("", "nan", "inf", "2.5", "-1", "0x10"):
        cases.append((f"sem-max-iter-{value}", ["sem", str(HS), "--model", CFA,
                                                "--max-iter", value], "argument --max-iter"))
    for value in ("", "nan", "inf", " "):
        cases.append((f"pls-missing-value-{value}", ["pls", str(HS), "--model", PLS,
                                                     "--missing-value", value],
                      "argument --missing-value"))
    for value in ("1", "0", "inf", "2.5"):
        cases.append((f"pls-folds-{value}", ["pls", str(HS), "--model", PLS, "--cvpat",
                                             "--folds", value], "folds"))
    for value in ("", "1,,2", "100;200", "0x64", "1e2", "100,-5", "nan", "\u0663"):
        cases.append((f"power-n-{value}", ["power", "--n", value, "--reps", "1",
                                           "--no-progress"], "argument --n"))
    for value in ("-0", "0", "inf", "0.75", "1e-400x"):
        cases.append((f"power-alpha-{value}", ["power", "--n", "100", "--reps", "1",
                                               "--alpha", value, "--no-progress"], "alpha"))
    for option in ("--missing", "--careless"):
        for value in ("nan", "inf", "-0.1", "1.5", ""):
            cases.append((f"simulate{option}-{value}", ["simulate", "--n", "20", "--out",
                                                        f"{out}/s.csv", option, value],
                          f"argument {option}"))
    for value in ("-0", "1e40", "inf", "nan", "-1"):
        cases.append((f"health-timeout-{value}", ["health", "--no-store", "--app",
                                                  "http://127.0.0.1:9", "--timeout", value],
                      "--timeout must be between 0 and 3600 seconds"))
    for value in ("", " ", "a\x00b", "de\n", "EN", "x" * 5000):
        cases.append((f"codebook-lang-{value[:5]!r}", ["codebook", "--lang", value],
                      "is not offered by instrument"))
    for value in ("", " ", "a\x00b", "2.5", "nan"):
        cases.append((f"sem-group-{value!r}", ["sem", str(HS), "--model", CFA, "--group",
                                               value], "is not in data="))
        cases.append((f"pls-group-{value!r}", ["pls", str(HS), "--model", PLS, "--group",
                                               value], "is not in the data"))
    for value in ("nan", "-1", "x" * 5000):
        cases.append((f"sem-ordered-{value[:5]}", ["sem", str(HS), "--model", CFA,
                                                   "--ordered", value], "is not in data="))
        cases.append((f"sem-group-equal-{value[:5]}", ["sem", str(HS), "--model", CFA,
                                                       "--group", "school", "--group-equal",
                                                       value], "Unknown group_equal="))
        cases.append((f"reliability-reverse-{value[:5]}", [
            "reliability", str(HS), "--model", TWO, "--reverse", value],
            "reverse= names item(s) that are not indicators"))
    cases.append(("report-title-nul", ["report", str(DEMO), "--out", f"{out}/r.html",
                                       "--title", "a\x00b"], "--title contains a NUL"))
    cases.append(("report-title-blank", ["report", str(DEMO), "--out", f"{out}/r.html",
                                         "--title", "   "], "--title must not be empty"))
    cases.append(("score-min-valid-minus-zero", ["score", str(DEMO), "--out",
                                                 f"{out}/s.csv", "--min-valid", "-0"],
                  "must be 1 or more"))
    return cases


OPTION_IDS = [c[0] for c in _options(Path("/x"))]


@pytest.mark.parametrize("index", range(len(OPTION_IDS)), ids=OPTION_IDS)
def test_odd_option_values(index: int, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    _, args, expected = _options(tmp_path)[index]
    _refused(args, expected, capsys)
    assert not list(tmp_path.iterdir())  # nothing written


# -- 7. the store: tokens, wave names, the privacy notice --------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A response store with study 's' and one invitation (copied by the tests that write)."""
    return invited_store(tmp_path_factory, "round11_store")


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize(("token", "expected"), [
    ("", "--token is empty"),
    ("   ", "--token is empty"),
    ("a\x00b", "has the token 'a\\x00b'"),
    ("jLwN7nW01xqEhd03bFj1", "check that it is complete"),
    ("http://localhost:8501/?t=jLwN7nW01xqEhd03bFj1gMaavY8qLJlBqYDlYWpb3qs",
     "check that it is complete"),
    ("t" * 100_000, "check that it is complete"),
    ("\u00e4" * 43, "check that it is complete"),
], ids=["empty", "blank", "nul", "truncated", "whole-link", "100k", "umlauts"])
def test_delete_with_a_token_that_is_no_token(token: str, expected: str, store: Path,
                                              tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    db = _copy(store, tmp_path)
    _refused(["delete", "--study", "s", "--token", token, "--db", f"sqlite:///{db}"],
             expected, capsys)
    assert _rows(db, "SELECT COUNT(*) FROM deletions") == [(0,)]


@pytest.mark.parametrize(("name", "expected"), [
    ("", "--open must not be empty"),
    ("  ", "--open must not be empty"),
    ("a\x00b", "--open contains a NUL character"),
    ("w" * 500, "--open has 500 characters; at most 100"),
    ("1", "has a wave '1' already"),
], ids=["empty", "blank", "nul", "500-chars", "existing"])
def test_wave_names(name: str, expected: str, store: Path, tmp_path: Path,
                    capsys: pytest.CaptureFixture[str]) -> None:
    db = _copy(store, tmp_path)
    before = _rows(db, "SELECT * FROM waves")
    _refused(["wave", "--study", "s", "--open", name, "--db", f"sqlite:///{db}"], expected,
             capsys)
    assert _rows(db, "SELECT * FROM waves") == before


@pytest.mark.parametrize(("url", "expected"), [
    ("https://example.org/\x00x", "redirect_url= contains a NUL character"),
    ("https://example.org/\x1b[2Jx", "redirect_url= contains a control character"),
    ("https://evil\u202egro.elpmaxe", "redirect_url= contains an invisible direction control"),
    ("javascript:alert(1)", "must be an https:// address"),
], ids=["nul", "escape", "right-to-left-override", "javascript"])
def test_privacy_redirect_url(url: str, expected: str, store: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    db = _copy(store, tmp_path)
    before = _rows(db, "SELECT settings FROM studies")
    _refused(["privacy", "--study", "s", "--redirect-url", url, "--db", f"sqlite:///{db}"],
             expected, capsys)
    assert _rows(db, "SELECT settings FROM studies") == before


@pytest.mark.parametrize(("values", "expected"), [
    ({"completion_code": "abc\n"}, "completion_code= must be 1-64 letters"),
    ({"redirect_url": "https://example.org/\n"}, "redirect_url= contains a line break"),
    ({"redirect_url": "https://example.org/\x00"}, "redirect_url= contains a NUL"),
], ids=["code-final-line-break", "url-final-line-break", "url-nul"])
def test_study_settings_through_the_api(values: dict[str, str], expected: str) -> None:
    """``set_settings`` strips the values; ``check_settings`` is the check of every
    caller and let a final line break through (a pattern's ``$`` matches before it)."""
    from instruments.store.rights import StudySettings, check_settings

    with pytest.raises(DataError, match="not saved") as info:
        check_settings(StudySettings(**values))
    assert expected in str(info.value)


# -- 8. contact lists and mail settings --------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("email,name,firm,partner\na@x.de,M\u00fcller, Hans,Acme,Beta\n",
     "line 2: 5 values but 4 columns in the header"),
    ("email,name,firm,partner\na@x.de,Hans,Acme,Beta\nb@x.de,Eva,Acme, Inc.,Beta\n",
     "line 3: 5 values but 4 columns"),
    ("email,name,firm,partner,email\na@x.de,Hans,Acme,Beta,b@y.de\n",
     "The header names 'email' more than once"),
    ("Email,name,firm,partner,EMAIL \na@x.de,Hans,Acme,Beta,b@y.de\n",
     "The header names 'email' more than once"),
], ids=["unquoted-comma-in-name", "unquoted-comma-in-firm", "email-twice",
        "email-twice-other-case"])
def test_contact_lists_that_move_or_hide_values(text: str, expected: str) -> None:
    from instruments.fieldwork.contacts import read_contacts

    with pytest.raises(DataError, match="nothing was stored") as info:
        read_contacts(text.encode("utf-8"))
    assert expected in str(info.value)


@pytest.mark.parametrize(("text", "row"), [
    ("email,name,firm,partner\na@x.de,\"M\u00fcller, Hans\",Acme,Beta\n",
     {"name": "M\u00fcller, Hans", "firm": "Acme"}),
    ("email,name,firm,partner\na@x.de,Hans,Acme,Beta,\n", {"name": "Hans", "firm": "Acme"}),
    ("email;name;firm;partner\na@x.de;M\u00fcller, Hans;Acme;Beta\n",
     {"name": "M\u00fcller, Hans", "firm": "Acme"}),
], ids=["quoted-comma", "trailing-empty-cell", "semicolons"])
def test_contact_lists_that_are_still_read(text: str, row: dict[str, str]) -> None:
    from instruments.fieldwork.contacts import read_contacts

    rows = read_contacts(text.encode("utf-8"))
    assert len(rows) == 1 and {k: rows[0][k] for k in row} == row


def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from instruments.fieldwork.contacts import SECRET_KEY_ENV, new_secret_key

    monkeypatch.setenv(SECRET_KEY_ENV, new_secret_key())


def test_mail_contacts_with_an_unquoted_comma_store_nothing(
        store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _secret(monkeypatch)
    db = _copy(store, tmp_path)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("email,name,firm,partner\na@x.de,Hans,Acme,Beta\n"
                        "b@x.de,M\u00fcller, Eva,Gamma,Beta\n", encoding="utf-8")
    before = _rows(db, "SELECT COUNT(*) FROM invitations")
    _refused(["mail", "--contacts", str(contacts), "--study", "s", "--db", f"sqlite:///{db}"],
             "line 3: 5 values but 4 columns in the header", capsys)
    assert _rows(db, "SELECT COUNT(*) FROM contacts") == [(0,)]
    assert _rows(db, "SELECT COUNT(*) FROM invitations") == before


@pytest.mark.parametrize(("option", "value"), [
    ("--sender", "a@b.de\n"), ("--lead-email", "lead@b.de\n"), ("--sender", "a@b.de\r\n"),
], ids=["sender-line-break", "lead-email-line-break", "sender-crlf"])
def test_mail_addresses_ending_in_a_line_break(option: str, value: str, store: Path,
                                               tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """They were stored; every 'mail --send' then failed in an internal error."""
    db = _copy(store, tmp_path)
    args = {"--sender": "a@b.de", "--lead-email": "lead@b.de"}
    args[option] = value
    _refused(["mail", "--configure", "--study", "s", "--smtp", "smtp://127.0.0.1:2525",
              "--sender", args["--sender"], "--lead-name", "Lead", "--lead-email",
              args["--lead-email"], "--base-url", "https://survey.example.org",
              "--db", f"sqlite:///{db}"], "is not an e-mail address", capsys)
    assert _rows(db, "SELECT COUNT(*) FROM study_mail_settings") == [(0,)]


def test_mail_settings_with_a_line_break_through_the_api(store: Path, tmp_path: Path) -> None:
    from instruments.fieldwork.mail import configure_mail
    from instruments.store.responses import ResponseStore

    db = _copy(store, tmp_path)
    response_store = ResponseStore(f"sqlite:///{db}")
    try:
        with pytest.raises(DataError, match="sender= 'a@b.de\\\\n' is not an e-mail address"):
            configure_mail(response_store, "s", smtp="smtp://127.0.0.1:2525",
                           sender="a@b.de\n", lead_name="Lead", lead_email="lead@b.de",
                           base_url="https://survey.example.org")
    finally:
        response_store.dispose()
    assert _rows(db, "SELECT COUNT(*) FROM study_mail_settings") == [(0,)]


# -- 9. a final line break in names checked by a pattern ---------------------------------


def test_an_item_id_ending_in_a_line_break(tmp_path: Path) -> None:
    from instruments.instrument.loader import load_instrument

    folder = tmp_path / "inst"
    shutil.copytree(REPO / "instruments" / "instrument", folder,
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    scale = folder / "scales" / "trust.yaml"
    text = scale.read_text(encoding="utf-8")
    assert "  - id: trust_1\n" in text
    scale.write_text(text.replace("  - id: trust_1\n", '  - id: "trust_1\\n"\n'),
                     encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        load_instrument(folder)
    assert "item id 'trust_1\n' must match" in str(info.value)


def test_a_version_ending_in_a_line_break() -> None:
    from instruments.store.waves import _version_key

    with pytest.raises(DataError, match="not a version number"):
        _version_key("2.0.0\n", "The instrument")
    assert _version_key("2.0.0", "The instrument") == (2, 0, 0)


# -- 10. population files ----------------------------------------------------------------


def _population_cases() -> list[tuple[str, Callable[[dict, str], str | bytes], str]]:
    def edit(fn: Callable[[dict], None]) -> Callable[[dict, str], str]:
        def apply(spec: dict, text: str) -> str:
            fn(spec)
            return yaml.safe_dump(spec, sort_keys=False)
        return apply

    def first_term(key: str, value: object) -> Callable[[dict], None]:
        def change(spec: dict) -> None:
            term = next(iter(spec["structural"].values()))["terms"][0]
            if value is KeyError:
                term.pop(key)
            else:
                term[key] = value
        return change

    def exo(key: str, value: object) -> Callable[[dict], None]:
        return lambda spec: spec["exogenous"].__setitem__(key, value)

    return [
        ("list", lambda s, t: "- a\n- b\n", "must contain a mapping"),
        ("text", lambda s, t: "hello\n", "must contain a mapping"),
        ("empty", lambda s, t: "", "the file is empty"),
        ("latin1", lambda s, t: t.replace("#", "# M\u00fcller", 1).encode("latin-1"),
         "cannot read file"),
        ("duplicate-key", lambda s, t: t + "\nid: again\n", "duplicate key 'id'"),
        ("tab", lambda s, t: t.replace("\n  ", "\n\t", 1), "YAML syntax error"),
        ("deep", lambda s, t: "x: " + "[" * 5000 + "]" * 5000 + "\n", "deep.yaml"),
        ("alias-bomb", lambda s, t: "".join(
            f"_{c}: &{c} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
            for p, c in zip([None, *"abcdef"], "abcdefg", strict=True)),
         "anchors and aliases (&name, *name) are not allowed"),  # before any expansion
        ("exogenous-list", edit(lambda s: s.__setitem__("exogenous", [1, 2])),
         "exogenous must be a mapping"),
        ("variables-text", edit(exo("variables", "trust")),
         "exogenous.variables must be a list of variable names"),
        ("variable-twice", edit(lambda s: s["exogenous"]["variables"].append("trust")),
         "names a variable twice"),
        ("correlation-of-two", edit(exo("correlations", [["trust", "marker"]])),
         "is not [name, name, r]"),
        ("correlation-text", edit(exo("correlations", [["trust", "marker", "high"]])),
         "is not [name, name, r]"),
        ("correlation-nan", edit(exo("correlations", [["trust", "marker", float("nan")]])),
         "nan is not a finite number"),
        ("correlation-2", edit(exo("correlations", [["trust", "marker", 2.0]])),
         "is not between -1 and 1"),
        ("correlation-with-itself", edit(exo("correlations", [["trust", "trust", 0.5]])),
         "correlates a variable with itself"),
        ("correlations-mapping", edit(exo("correlations", {"a": 1})),
         "must be a list of [name, name, r]"),
        ("share-list", edit(exo("alliance_share", [1])), "must map variable names to shares"),
        ("share-2", edit(exo("alliance_share", {"trust": 2})), "must be a number in [0, 1)"),
        ("share-unknown", edit(exo("alliance_share", {"zz": 0.2})),
         "'zz' is not an exogenous variable"),
        ("structural-list", edit(lambda s: s.__setitem__("structural", [1])),
         "structural must map each outcome"),
        ("equation-null", edit(lambda s: s["structural"].__setitem__(
            next(iter(s["structural"])), None)), "must be a mapping with terms:"),
        ("equation-named-as-exogenous", edit(lambda s: s["structural"].__setitem__(
            "trust", {"terms": []})), "is an exogenous variable already"),
        ("terms-text", edit(lambda s: next(iter(s["structural"].values())).__setitem__(
            "terms", ["x"])), "must have term: (text) and coef: (a number)"),
        ("coef-missing", edit(first_term("coef", KeyError)), "must have term: (text)"),
        ("term-missing", edit(first_term("term", KeyError)), "must have term: (text)"),
        ("coef-text", edit(first_term("coef", "big")), "must have term: (text)"),
        ("coef-bool", edit(first_term("coef", True)), "must have term: (text)"),
        ("coef-nan", edit(first_term("coef", float("nan"))), "nan is not a finite number"),
        ("coef-inf", edit(first_term("coef", float("inf"))), "inf is not a finite number"),
        ("term-line-break", edit(first_term("term", "trust\n")),
         "is not 'name', 'a*b' or 'name^2'"),
        ("equation-share-text", edit(lambda s: next(iter(s["structural"].values()))
                                     .__setitem__("alliance_share", "half")),
         "alliance_share must be in [0, 1)"),
        ("version-text", edit(lambda s: s.__setitem__("version", "two")),
         "version must be a whole number"),
        ("version-fraction", edit(lambda s: s.__setitem__("version", 2.7)),
         "version must be a whole number"),
        ("id-list", edit(lambda s: s.__setitem__("id", [1])), "id must be text"),
    ]


POPULATION = _population_cases()


@pytest.mark.parametrize("index", range(len(POPULATION)), ids=[c[0] for c in POPULATION])
def test_population_files(index: int, tmp_path: Path) -> None:
    from analysis.study.simulate import POPULATION_PATH, load_population

    name, make, expected = POPULATION[index]
    text = POPULATION_PATH.read_text(encoding="utf-8")
    content = make(yaml.safe_load(text), text)
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    with pytest.raises(ModelSpecificationError) as info:
        load_population(path)
    assert expected in str(info.value)
    assert len(str(info.value)) < 5_000


@pytest.mark.parametrize(("make", "expected"), [
    (lambda tmp: tmp, "is a folder"),
    (lambda tmp: tmp / "nope.yaml", "does not exist"),
], ids=["folder", "missing"])
def test_population_file_that_is_no_file(make, expected: str, tmp_path: Path) -> None:  # noqa: ANN001
    from analysis.study.simulate import load_population

    with pytest.raises(ModelSpecificationError, match=expected):
        load_population(make(tmp_path))


def test_the_packaged_population_still_loads() -> None:
    from analysis.study.simulate import load_population

    population = load_population()
    assert population.id == "alliance-population" and population.equations


# -- 11. simulate_study's arguments ------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"population": "analysis/study/population.yaml"},
     "population= must be a Population (read a file with load_population(path)), not str"),
    ({"population": {}}, "population= must be a Population"),
    ({"instrument": "instruments/instrument"},
     "instrument= must be an Instrument (read a folder with load_instrument(path)), not str"),
    ({"careless": True}, "careless= must be a share in [0, 1] (got True)"),
    ({"missing": False}, "missing= must be a share in [0, 0.9) (got False)"),
], ids=["population-path", "population-dict", "instrument-path", "careless-true",
        "missing-false"])
def test_simulate_study_refuses_arguments_of_the_wrong_kind(kwargs: dict,
                                                            expected: str) -> None:
    from analysis.study.simulate import simulate_study

    with pytest.raises(DataError) as info:
        simulate_study(20, seed=1, **kwargs)
    assert expected in str(info.value)


# -- 12. contact and invitation files in UTF-16 ------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"], ids=["with-mark", "no-mark"])
def test_a_contact_list_in_utf16(encoding: str) -> None:
    """Without a byte-order mark the header was 'e\\x00m\\x00a...', "missing" every column."""
    from instruments.fieldwork.contacts import read_contacts

    text = "email,name,firm,partner\na@x.de,Hans,Acme,Beta\n"
    with pytest.raises(DataError, match="The contact list is UTF-16 text; save it as 'CSV UTF-8'"):
        read_contacts(text.encode(encoding))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"],
                         ids=["with-mark", "no-mark", "utf-32"])
def test_an_invitation_file_in_utf16(encoding: str, store: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    db = _copy(store, tmp_path)
    source = tmp_path / "partners.csv"
    source.write_bytes("partner_name\nAcme\nBeta\n".encode(encoding))
    before = _rows(db, "SELECT COUNT(*) FROM invitations")
    _refused(["invite", "--study", "s", "--from", str(source), "--db", f"sqlite:///{db}",
              "--out", str(tmp_path / "links.csv")],
             f"is {encoding[:6].upper()} text; save it as UTF-8 CSV", capsys)
    assert _rows(db, "SELECT COUNT(*) FROM invitations") == before


# -- 13. true/false among the numbers of a column ----------------------------------------


def _with_logical(value: object) -> pd.DataFrame:
    return _with_cell(pd.read_csv(HS), "x1", 3, value)


@pytest.mark.parametrize("value", [True, False, np.True_], ids=["true", "false", "numpy-true"])
def test_a_true_among_numbers_is_refused_by_the_sem(value: object) -> None:
    """pandas turned a stray TRUE into the answer 1; the loadings moved without a word."""
    from analysis.sem import cfa

    with pytest.raises(DataError, match="holds true/false values among numbers"):
        cfa(TWO, _with_logical(value))


def test_a_true_among_numbers_is_refused_by_the_statistics() -> None:
    from analysis.io import numeric_columns

    with pytest.raises(DataError, match="column 'x1' holds true/false values among numbers"):
        numeric_columns(_with_logical(True), ["x1", "x2"], "test")


def test_a_column_of_true_and_false_is_still_a_dummy() -> None:
    from analysis.io import numeric_columns

    data = pd.read_csv(HS)
    data["d"] = (data.x1 > 4).astype(object)
    data.loc[3, "d"] = None
    out = numeric_columns(data, ["d"], "test")
    assert out["d"].isna().sum() == 1
    assert out["d"].dropna().isin([0.0, 1.0]).all()


# -- 14. a language the questionnaire is not written in ----------------------------------


@pytest.mark.parametrize("code", ["xx", "EN", "de ", "fr"])
def test_a_language_the_instrument_is_not_written_in(code: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """The language is a group of the invariance tests: 'xx' made a group of one."""
    data = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    data.loc[5, "language"] = code
    path = tmp_path / "demo.csv"
    data.to_csv(path, index=False)
    _refused(["score", str(path), "--out", str(tmp_path / "scored.csv")],
             f"column language: 1 row with a language the instrument is not written in "
             f"({code!r}); it has en, de", capsys)
    assert not (tmp_path / "scored.csv").exists()


@pytest.mark.parametrize("args", [
    ["sem", "{data}", "--model", CFA, "--ordered", ""],
    ["sem", "{data}", "--model", CFA, "--ordered", " , "],
    ["sem", "{data}", "--model", CFA, "--group", "school", "--group-equal", " "],
    ["sem", "{data}", "--model", CFA, "--group", "school", "--group-equal", "loadings",
     "--group-partial", ","],
    ["reliability", "{data}", "--model", CFA, "--reverse", ""],
])
def test_a_list_option_typed_with_nothing_in_it(args, capsys):
    """sem --ordered "", --group-equal " " and reliability --reverse "" were accepted and
    did nothing (round 11's leftovers)."""
    data = str(HS)
    err = _refused([a.format(data=data) for a in args], "names nothing", capsys)
    assert "leave out --" in err
