"""Hostile command lines, third round: classes of problems the first two catalogues
(``test_cli.py``, ``test_cli_more.py``) found but left alone.  Each case ends in one clear
message and exit status 2, with no input replaced, no study created and no file or
folder left behind (the checks of ``test_cli_more``'s catalogue, reused).

Before these fixes: ``export --format sav --out x.csv`` (and every other format) wrote
under a name that did not fit the format, as did ``codebook --format csv --out x.md``
and ``report --out r.pdf``; ``pls`` estimated a cyclic inner model, data with five rows,
an indicator shared by two blocks and a higher-order construct predicting its own
dimension; ``power --n 10**9`` / ``--reps 10**9`` and ``simulate --n 10**9`` ran until
the memory was gone, and ``power --n 10`` printed NaN for every hypothesis;
``export-script DIR/alliance_data.csv --out DIR`` replaced its input with the scored
data, and a NUL byte in its ``--out`` was an internal error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from tests.hostile.test_cli_more import (  # noqa: F401 - files is a fixture
    HS,
    PLS,
    UNWRITABLE,
    F,
    assert_refused_cleanly,
    files,
)

HOC = "H =~ F1 + F2\nF1 =~ x1 + x2\nF2 =~ x4 + x5\nF3 =~ x7 + x8\n"


@pytest.fixture(scope="module")
def more(files: F) -> F:  # noqa: F811 - the imported fixture
    """The second round's files, and the inputs of this round in the same folder."""
    root = files["root"]
    hs = pd.read_csv(HS)
    f = dict(files)
    f["five"] = root / "five.csv"
    hs.head(5).to_csv(f["five"], index=False)
    f["eleven"] = root / "eleven.csv"
    hs.head(11).to_csv(f["eleven"], index=False)
    sparse = hs.copy()  # 296 rows whose model items are all empty, 5 with answers
    sparse.loc[5:, ["x1", "x2", "x3", "x4", "x5", "x6"]] = np.nan
    f["sparse"] = root / "sparse.csv"
    sparse.to_csv(f["sparse"], index=False)
    f["header_only"] = root / "header_only.csv"
    f["header_only"].write_text(",".join(hs.columns) + "\n", encoding="utf-8")
    f["latin1"] = root / "latin1.csv"
    f["latin1"].write_bytes("x1,x2\n\xe9t\xe9,1\n".encode("latin-1"))
    scripts = root / "scripts"
    scripts.mkdir()
    f["scripts"] = scripts
    f["scripts_data"] = scripts / "alliance_data.csv"  # the name export-script writes
    f["scripts_data"].write_bytes(HS.read_bytes())
    return f


def _db(f: F) -> list[str]:
    return ["--db", f"sqlite:///{f['db']}"]


def _export(fmt: str, name: str) -> Callable[[F], list[str]]:
    # into a folder that does not exist yet: it must not be created for a refused name
    return lambda f: ["export", "--study", "s", "--format", fmt, "--out",
                      str(f["root"] / "new" / name), *_db(f)]


def _pls(data: str, model: str, *more_args: str) -> Callable[[F], list[str]]:
    return lambda f: ["pls", str(f[data]), "--model", model, *more_args]


CASES: list[tuple[str, Callable[[F], list[str]], str]] = [
    # -- a file name that does not fit the format -----------------------------------------
    ("export-sav-named-csv", _export("sav", "x.csv"), "--format sav writes a .sav file"),
    ("export-csv-named-sav", _export("csv", "x.sav"), "--format csv writes a .csv file"),
    ("export-parquet-named-csv", _export("parquet", "x.csv"), "writes a .parquet file"),
    ("export-dta-no-extension", _export("dta", "x"), "has no extension"),
    ("export-long-named-sav", _export("long", "log.sav"), "writes a .csv or .parquet file"),
    ("export-codebook-named-txt", _export("codebook", "book.txt"),
     "writes a .csv or .json or .md file"),
    ("codebook-csv-named-md", lambda f: ["codebook", "--format", "csv", "--out",
                                         str(f["root"] / "book.md")], "writes a .csv file"),
    ("codebook-json-named-csv", lambda f: ["codebook", "--format", "json", "--out",
                                           str(f["root"] / "book.csv")],
     "writes a .json file"),
    ("report-out-named-pdf", lambda f: ["report", str(f["data"]), "--out",
                                        str(f["root"] / "new" / "r.pdf")], "must end in .html"),
    ("report-save-json-named-csv", lambda f: ["report", str(f["data"]), "--out",
                                              str(f["root"] / "r.html"), "--save-json",
                                              str(f["root"] / "new" / "a.csv")],
     "must end in .json"),
    ("power-json-named-csv", lambda f: ["power", "--n", "100", "--reps", "1", "--json",
                                        str(f["root"] / "p.csv")], "must end in .json"),
    # -- pls: models PLS cannot estimate, and too little data -----------------------------
    ("pls-cycle", _pls("data", "F1 =~ x1 + x2 + x3\nF2 =~ x4 + x5 + x6\nF3 =~ x7 + x8\n"
                       "F2 ~ F1\nF3 ~ F2\nF1 ~ F3"), "F1 -> F2 -> F3 -> F1 is a cycle"),
    ("pls-cycle-two-constructs", _pls("data", "F1 <~ x1 + x2\nF2 =~ x4\nF2 ~ F1\nF1 ~ F2"),
     "F1 -> F2 -> F1 is a cycle"),
    ("pls-cycle-through-interaction", _pls(
        "data", "F1 =~ x1 + x2\nF2 =~ x4 + x5\nF3 =~ x7 + x8\nF3 ~ F1 + F2 + F1:F2\nF2 ~ F3"),
     "F3 -> F2 -> F3 is a cycle"),
    ("pls-higher-order-predicts-its-dimension", _pls("data", HOC + "F1 ~ H\nF3 ~ H"),
     "H -> F1 -> H is a cycle (a higher-order construct follows its dimensions)"),
    ("pls-five-rows", _pls("five", PLS), "5 row(s) with data; the paths into F2"),
    ("pls-five-rows-bootstrap", _pls("five", PLS, "--bootstrap", "5"), "need at least 10"),
    ("pls-mode-b-eleven-rows", _pls("eleven", "F1 <~ x1 + x2 + x3\nF2 =~ x4 + x5\nF2 ~ F1"),
     "the mode B weights of F1 (3 predictor(s)) need at least 30"),
    ("pls-rows-of-mean-replacements-only", _pls("sparse", PLS), "5 row(s) with data"),
    ("pls-block-without-indicators", _pls("data", "F1 =~\nF2 =~ x4 + x5\nF2 ~ F1"),
     "construct 'F1' has no indicators"),
    ("pls-indicator-in-two-blocks", _pls("data", "F1 =~ x1 + x2 + x3\nF2 =~ x3 + x5\n"
                                         "F2 ~ F1"), "Indicator 'x3' is in the blocks"),
    ("pls-indicator-twice-in-a-block", _pls("data", "F1 =~ x1 + x1 + x3\nF2 =~ x4 + x5\n"
                                            "F2 ~ F1"), "indicator x1 is listed twice"),
    ("pls-header-only", _pls("header_only", PLS), "has a header (15 column(s)) but no rows"),
    ("pls-not-utf8", _pls("latin1", PLS), "Cannot read the data file"),
    # -- runaway sizes, refused before any process starts ---------------------------------
    ("power-n-huge", lambda f: ["power", "--n", str(10**9), "--reps", "1"],
     "at most 100,000 respondents"),
    ("power-reps-huge", lambda f: ["power", "--n", "100", "--reps", str(10**9)],
     "at most 100,000"),
    ("power-replications-huge", lambda f: ["power", "--n", "100,200,300", "--reps", "50000"],
     "at most 100,000 are run"),
    ("power-boot-huge", lambda f: ["power", "--n", "100", "--reps", "1", "--mediation-ci",
                                   "bootstrap", "--boot", str(10**12)], "at most 1,000,000"),
    ("power-n-below-the-runner-minimum", lambda f: ["power", "--n", "10,20", "--reps", "5"],
     "at least 30"),
    ("power-n-twice", lambda f: ["power", "--n", "100,100", "--reps", "1"], "twice"),
    ("simulate-n-huge", lambda f: ["simulate", "--n", str(10**9), "--out",
                                   str(f["root"] / "sim.csv")], "at most 100,000"),
    # -- export-script's output folder -----------------------------------------------------
    ("export-script-over-its-input", lambda f: ["export-script", str(f["scripts_data"]),
                                                "--out", str(f["scripts"])],
     "would replace the input file"),
    ("export-script-out-nul", lambda f: ["export-script", str(f["data"]), "--out",
                                         str(f["root"] / "a\x00b")], "must name a folder"),
    ("export-script-out-unwritable", lambda f: ["export-script", str(f["data"]), "--out",
                                                f"{UNWRITABLE}/scripts"], "not writable"),
    ("export-script-out-long-name", lambda f: ["export-script", str(f["data"]), "--out",
                                               str(f["root"] / ("d" * 300))],
     "longer than 255 bytes"),
    ("export-script-out-is-a-file", lambda f: ["export-script", str(f["data"]), "--out",
                                               str(f["model"])], "is not a folder"),
]


@pytest.mark.parametrize(("case", "argv", "expected"), CASES, ids=[c[0] for c in CASES])
def test_cli_refuses_cleanly(case: str, argv: Callable[[F], list[str]], expected: str,
                             more: F, capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused_cleanly(case, argv(more), expected, more, capsys,
                           lambda: sorted(p.name for p in more["scripts"].iterdir()))

# -- names that fit ---------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "name"), [
    ("csv", "w.csv"), ("parquet", "w.parquet"), ("sav", "w.SAV"), ("dta", "w.dta"),
    ("long", "log.csv"), ("long", "log.parquet"), ("codebook", "book.md"),
    ("codebook", "book.json")])
def test_export_names_that_fit_their_format(fmt: str, name: str) -> None:
    from instruments.fieldwork.exports import check_export_name

    check_export_name(fmt, Path("some folder") / name)  # no error


def test_export_api_refuses_a_name_that_does_not_fit() -> None:
    from analysis.errors import DataError
    from instruments.fieldwork.exports import export

    with pytest.raises(DataError, match=r"sav export is a \.sav file"):
        export(None, "s", "sav", "wide.csv")  # refused before the store is used


def test_codebook_format_follows_the_name(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Without --format the extension decides (Markdown was written into book.csv);
    '--out -' is standard output, not a file named '-'."""
    for name, start in (("book.csv", "variable,"), ("book.json", "{"), ("book.md", "#"),
                        ("book.txt", "#")):
        assert main(["codebook", "--out", str(tmp_path / name)]) == 0, name
        assert (tmp_path / name).read_text(encoding="utf-8").startswith(start), name
    json.loads((tmp_path / "book.json").read_text(encoding="utf-8"))
    capsys.readouterr()
    assert main(["codebook", "--format", "csv", "--out", "-"]) == 0
    assert capsys.readouterr().out.startswith("variable,")
    assert not Path("-").exists()


# -- pls through its API ----------------------------------------------------------------


def test_pls_refuses_a_regression_without_residual_degrees_of_freedom() -> None:
    """Four rows and three predictors: R^2 was 1 and the adjusted R^2 a division by zero."""
    from analysis.errors import DataError
    from analysis.stats.pls import pls

    data = pd.read_csv(HS)
    model = "F1 =~ x1\nF2 =~ x2\nF3 =~ x3\nY =~ x4 + x5\nY ~ F1 + F2 + F3"
    with pytest.raises(DataError, match=r"4 row\(s\) with data; the paths into Y "
                                        r"\(3 predictor\(s\)\) need at least 5"):
        pls(data.head(4), model)
    assert pls(data.head(5), model).n == 5  # enough for the estimates, if not for a claim


def test_pls_indicators_of_an_embedded_higher_order_construct_may_repeat() -> None:
    """The disjoint-block rule is the user's model's: the embedded two-stage method
    repeats the dimensions' indicators in its own first stage and still runs."""
    from analysis.stats.pls import pls

    res = pls(pd.read_csv(HS), HOC + "F3 ~ H", higher_order="embedded")
    assert np.isfinite(res.paths.loc["H", "F3"])


def test_pls_group_label_is_printed_as_the_value(files: F,  # noqa: F811
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pls", str(files["data"]), "--model", PLS, "--group", "sex",
                 "--permutations", "2", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "Groups of sex (1 vs the rest)" in out and "np.int64" not in out


def test_pls_below_the_ten_times_rule_runs_only_when_asked_and_then_says_so(
        more: F, capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # noqa: ANN001
    import json

    model = "F1 <~ x1 + x2 + x3\nF2 =~ x4 + x5\nF2 ~ F1"
    assert main(["pls", str(more["eleven"]), "--model", model]) == 2
    assert "Add --small-sample to estimate anyway" in capsys.readouterr().err
    out = tmp_path / "small.json"
    assert main(["pls", str(more["eleven"]), "--model", model, "--small-sample",
                 "--json", str(out)]) == 0
    assert "estimated anyway (--small-sample)" in capsys.readouterr().err
    got = json.loads(out.read_text(encoding="utf-8"))
    assert got["n"] == 11 and "the ten-times rule" in got["warnings"][0]
    # enough rows: no warning in the result
    assert main(["pls", str(more["data"]), "--model", model, "--json", str(out)]) == 0
    assert "warnings" not in json.loads(out.read_text(encoding="utf-8"))


# -- the caps: one value, checked where the work is done and where it is parsed ---------


def test_the_command_line_caps_sizes_as_the_study_does() -> None:
    # the commands keep copies (their parsers must not import numpy); they must agree
    from analysis.commands import power as power_command
    from analysis.commands import simulate as simulate_command
    from analysis.study import power, simulate

    assert power_command.MAX_RESPONDENTS == simulate.MAX_RESPONDENTS
    assert simulate_command.MAX_RESPONDENTS == simulate.MAX_RESPONDENTS
    assert power_command.MAX_REPLICATIONS == power.MAX_REPLICATIONS


def test_power_and_simulate_refuse_runaway_sizes_through_the_api() -> None:
    from analysis.errors import AllianceSurveyError
    from analysis.study.hypotheses import MIN_RESPONDENTS
    from analysis.study.power import MAX_REPLICATIONS, power_analysis
    from analysis.study.simulate import MAX_RESPONDENTS, simulate_study

    with pytest.raises(AllianceSurveyError, match=f"at least {MIN_RESPONDENTS}"):
        power_analysis([MIN_RESPONDENTS - 1], reps=1)
    with pytest.raises(AllianceSurveyError, match=f"at most {MAX_RESPONDENTS:,}"):
        power_analysis([MAX_RESPONDENTS + 1], reps=1)
    with pytest.raises(AllianceSurveyError, match="replications in one run"):
        power_analysis([100, 200], reps=MAX_REPLICATIONS // 2 + 1)
    with pytest.raises(AllianceSurveyError, match=f"at most {MAX_RESPONDENTS:,}"):
        simulate_study(MAX_RESPONDENTS + 1)


@pytest.mark.parametrize("argv", [
    # the report's folder would be made, then the data file turns out unreadable
    lambda t: ["report", str(t / "absent.csv"), "--out", str(t / "new" / "r.html")],
    # the HTML's folder would be made, then the PDF's name is refused
    lambda t: ["report", str(t / "absent.csv"), "--out", str(t / "new" / "r.html"),
               "--pdf", str(t / "other" / "r.txt")],
    # the JSON's folder would be made, then the plot's name is refused
    lambda t: ["power", "--n", "100", "--reps", "2", "--json", str(t / "new" / "p.json"),
               "--plot", str(t / "other" / "p.txt")],
    lambda t: ["export", "--study", "none", "--db", f"sqlite:///{t / 'absent.sqlite'}",
               "--format", "csv", "--out", str(t / "new" / "x.csv")],
], ids=["report-bad-data", "report-bad-pdf-name", "power-bad-plot-name", "export-no-store"])
def test_a_refused_command_leaves_no_new_folder(argv, tmp_path: Path,  # noqa: ANN001
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv(tmp_path)) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []
