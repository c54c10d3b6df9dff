"""Hostile input, fourteenth round: the study's scoring and quality functions, the general
statistics and the fieldwork functions called with arguments of the wrong kind, complex
answer codes, text, dates and inf in a copula check, a wide data file, a store that is a
folder, messages that contradicted themselves; with a sweep of odd data files, pandas
dtypes, hypotheses files, model statements, output paths, control characters in stored
names and commands run twice, which were handled well already.

Before these fixes:

* ``score()`` given answer codes with an imaginary part (``trust_1 + 1j``) scored them by
  their real part without a word; ``score_scales()``, ``reverse_key()``,
  ``check_data()`` and ``quality_flags()`` given a path, a list or None for the data or
  the instrument ended in internal AttributeErrors ("'str' object has no attribute
  'validate_data'"), and ``score(foo=1)`` in quality_flags' TypeError after the scoring.
* ``relative_speed_index(times, clip=-1)`` gave every respondent the index -1 (``clip=0``
  the index 0); ``clip='3'`` ended in a numpy UFuncTypeError, a list of times in an
  AttributeError and a frame of no rows in a broadcasting ValueError.
  ``longest_run()`` given one respondent's row (1-D), text codes or a string ended in
  ValueError, TypeError or AttributeError.
* ``gaussian_copula()`` turned a text cell ('3,5') into a missing value and left its row
  out without a word (n = 300 of 301), read a date column as nanoseconds since 1970,
  and gave NaN estimates for a column with inf; ``n_boot='x'`` ended in a ValueError.
  ``copula_term()`` ranked NaN and inf as the largest values, took complex numbers'
  real parts and dates' nanoseconds, and ended in ValueErrors for text or a table.
* ``simple_ols()`` ended in a numpy TypeError for text and a ValueError for columns of
  two lengths.
* Reading a CSV file of 50 rows and 9,999 columns took 51 s (under load), 13 s of them
  in one infinite-value check per column; the check now runs on blocks of columns (the
  same file reads in 14 s under the same load).
* ``health --db sqlite:///<a folder>`` said "the SQLite file does not exist".
* ``pls --group grade`` (HS: the values 7 and 8 and one missing value) said "must have
  exactly two values ... (found 2 value(s))"; ``pls --consistent`` on a model of '<~'
  blocks only changed nothing and reported "consistent PLS"; ``report --json A.json``
  without its data asked for "a data file (DATA) or a study" without a word on --json.
* ``simulate --careless 0 --manifest m.json`` wrote a manifest whose description said
  "Includes careless respondents, MAR missing item answers" (for no missing answers and
  the MCAR mechanism too).
* ``dyad_partner(store, 2**70)`` ended in the driver's OverflowError; ``check_token()``
  and ``expire_invitations()`` given ``now=`` as text, a date or a datetime without a
  time zone in the driver's StatementError; ``read_contacts(5)`` and
  ``read_contacts(['a@example.org'])`` in TypeError and AttributeError;
  ``opt_out(store, 5)`` in a TypeError.
"""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import AllianceSurveyError, DataError
from analysis.stats import copula, dyadic
from analysis.study import quality, scoring
from analysis.study.datafiles import read_data
from tests.hostile._runner import copy_store as _copy
from tests.hostile._runner import invited_store
from tests.hostile._runner import refused as _refused
from tests.hostile.test_cli_more import DEMO, HS

CFA = "f =~ x1 + x2 + x3"
ITEMS = [f"x{i}" for i in range(1, 10)]


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return pd.read_csv(DEMO)


@pytest.fixture(scope="module")
def instrument():  # noqa: ANN201
    from instruments.instrument.loader import load_instrument

    return load_instrument()


@pytest.fixture(scope="module")
def scored(demo: pd.DataFrame, instrument) -> pd.DataFrame:  # noqa: ANN001
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return scoring.score(demo, instrument)


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(HS)[ITEMS]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return invited_store(tmp_path_factory, "round14_store")


def _quiet(function, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


# -- 1. scoring: complex codes, and data or instruments of the wrong kind -----------------


def test_score_refuses_complex_answer_codes(demo: pd.DataFrame, instrument) -> None:  # noqa: ANN001
    with pytest.raises(DataError, match="trust_1"):
        _quiet(scoring.score, demo.assign(trust_1=demo["trust_1"] + 1j), instrument)


def test_quality_flags_refuse_complex_attention_answers(demo: pd.DataFrame,
                                                       instrument) -> None:  # noqa: ANN001
    with pytest.raises(DataError, match="attn_1"):
        quality.quality_flags(demo.assign(attn_1=demo["attn_1"] + 0j), instrument)


#: Stands for the demo data or the packaged instrument in :data:`WRONG_KIND`.
GOOD = object()
WRONG_KIND = {
    "path": ("data.csv", GOOD),
    "list": ([[1, 2, 3]], GOOD),
    "None": (None, GOOD),
    "instrument as text": (GOOD, "questionnaire.yaml"),
    "instrument as dict": (GOOD, {}),
    "instrument None": (GOOD, None),
}


SCORING_FUNCTIONS = {"score_scales": scoring.score_scales, "reverse_key": scoring.reverse_key,
                     "check_data": scoring.check_data, "quality_flags": quality.quality_flags,
                     "score": scoring.score}


@pytest.mark.parametrize("function, case", [
    pytest.param(function, case, id=f"{case}-{name}")
    for name, function in SCORING_FUNCTIONS.items() for case in WRONG_KIND
    if not (name == "score" and case == "instrument None")  # score() loads the packaged one
])
def test_scoring_functions_refuse_arguments_of_the_wrong_kind(
        function, case: str, demo: pd.DataFrame, instrument) -> None:  # noqa: ANN001
    data, inst = WRONG_KIND[case]
    data = demo if data is GOOD else data
    inst = instrument if inst is GOOD else inst
    expected = "df=" if data is not demo else "instrument="
    with pytest.raises(DataError, match=expected):
        _quiet(function, data, inst)


def test_score_names_an_unknown_option(demo: pd.DataFrame, instrument) -> None:  # noqa: ANN001
    with pytest.raises(DataError, match="no option 'max_speed'.*rsi_threshold"):
        _quiet(scoring.score, demo, instrument, max_speed=2)


@pytest.mark.parametrize("dtype", ["Int64", "Float64", "string", "category",
                                   "float64[pyarrow]"])
def test_score_of_item_dtypes_is_unchanged(dtype: str, demo: pd.DataFrame, instrument,  # noqa: ANN001
                                           scored: pd.DataFrame) -> None:
    items = [it.id for sc in instrument.scales.values() for it in sc.items]
    out = _quiet(scoring.score, demo.astype({c: dtype for c in items}), instrument)
    numbers = scored.select_dtypes("number").columns
    np.testing.assert_allclose(out[numbers].astype(float).to_numpy(),
                               scored[numbers].to_numpy(dtype=float), rtol=1e-12,
                               atol=0, equal_nan=True)


# -- 2. the speed index and the longest run given what they cannot use --------------------


def test_relative_speed_index_refuses_a_clip_of_zero_or_less(demo: pd.DataFrame) -> None:
    times = demo.filter(like="page_time_")
    for clip in (-1, 0, "3", np.nan, True):
        with pytest.raises(DataError, match="clip= must be a number above 0"):
            quality.relative_speed_index(times, clip=clip)
    rsi = quality.relative_speed_index(times)
    assert np.nanmedian(rsi) == pytest.approx(1.0, abs=0.1)
    assert np.array_equal(quality.relative_speed_index(times, clip=None) >= rsi - 1e-12,
                          np.ones(len(rsi), dtype=bool))


@pytest.mark.parametrize("times", [[[1.0, 2.0]], "page_time", None],
                         ids=["list", "text", "None"])
def test_relative_speed_index_refuses_what_is_no_frame(times: object) -> None:
    with pytest.raises(DataError, match="DataFrame of page times"):
        quality.relative_speed_index(times)


def test_relative_speed_index_of_no_rows_or_no_pages(demo: pd.DataFrame) -> None:
    times = demo.filter(like="page_time_")
    assert quality.relative_speed_index(times.iloc[:0]).shape == (0,)
    assert np.isnan(quality.relative_speed_index(times.iloc[:, :0])).all()


@pytest.mark.parametrize("x, expected", [
    (np.array([1.0, 1.0, 2.0]), "1 dimension"),
    ("aab", "not str"),
    (np.array([["a", "a", "b"]], dtype=object), "needs numbers"),
    (None, "not NoneType"),
], ids=["one-row-1d", "text", "object-codes", "None"])
def test_longest_run_refuses_what_is_no_matrix_of_numbers(x: object, expected: str) -> None:
    with pytest.raises(DataError, match=expected):
        quality.longest_run(x)


def test_longest_run_takes_a_list_of_rows() -> None:
    assert quality.longest_run([[1, 1, 2, 2, 2], [np.nan, 3, 3, np.nan, 3]]).tolist() == [3, 2]


# -- 3. the copula check given text, dates, inf or arguments of the wrong kind -------------


@pytest.mark.parametrize("make, expected", [
    (lambda d: d.astype({"x2": object}).assign(
        x2=lambda f: f["x2"].where(f.index != 3, "3,5")), "non-numeric"),
    (lambda d: d.assign(x1=pd.to_datetime(d["x1"] * 1e9)), "dates or times"),
    (lambda d: d.assign(x1=d["x1"].where(d.index != 5, np.inf)), "infinite"),
    (lambda d: d.assign(x1=d["x1"] + 1j), "complex"),
], ids=["text-cell", "dates", "inf", "complex"])
def test_gaussian_copula_refuses_what_is_no_real_number(make, expected: str,  # noqa: ANN001
                                                        hs: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=expected):
        copula.gaussian_copula(make(hs), "x2", "x1", n_boot=50, seed=1)


@pytest.mark.parametrize("kwargs, expected", [
    ({"data": "hs.csv"}, "DataFrame"),
    ({"n_boot": "x"}, "n_boot="),
    ({"n_boot": np.nan}, "n_boot="),
    ({"n_boot": 100.5}, "n_boot="),
    ({"alpha": 5}, "alpha="),
    ({"seed": -1}, "seed="),
], ids=["path", "n_boot-text", "n_boot-nan", "n_boot-fraction", "alpha-5", "seed-negative"])
def test_gaussian_copula_refuses_arguments_of_the_wrong_kind(kwargs: dict, expected: str,
                                                             hs: pd.DataFrame) -> None:
    args = {"data": hs, "y": "x2", "x": "x1", "n_boot": 50, "seed": 1} | kwargs
    with pytest.raises(AllianceSurveyError, match=expected):
        copula.gaussian_copula(**args)


def test_gaussian_copula_of_plain_data_is_unchanged(hs: pd.DataFrame) -> None:
    res = copula.gaussian_copula(hs, "x2", "x1", n_boot=50, seed=1)
    assert res["n"] == 301
    assert res["b_ols"] == pytest.approx(float(np.polyfit(hs["x1"], hs["x2"], 1)[0]),
                                         rel=1e-10)


@pytest.mark.parametrize("x, expected", [
    (np.array([1.0, np.nan, 3.0, 4.0]), "NaN or inf"),
    (np.array([1.0, 2.0, np.inf, 4.0]), "NaN or inf"),
    (np.array([1.0, 2.0, 3.0]) + 1j, "complex"),
    (pd.Series(pd.to_datetime([1, 2, 3], unit="D")), "dates"),
    (pd.Series(["1", "b", "3"]), "text"),
    ("abc", "1-D"),
    (np.ones((3, 3)), "2 dimension"),
], ids=["nan", "inf", "complex", "dates", "text", "string", "table"])
def test_copula_term_refuses_what_is_no_column_of_finite_numbers(x: object,
                                                                 expected: str) -> None:
    with pytest.raises(DataError, match=expected):
        copula.copula_term(x)


def test_copula_term_of_numbers_is_unchanged() -> None:
    from scipy import stats

    x = [3.0, 1.0, 2.0, 2.0]
    expected = stats.norm.ppf(np.array([4, 1, 3, 3]) / 4 * 4 / 5)
    np.testing.assert_allclose(copula.copula_term(x), expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(copula.copula_term(pd.Series(x, dtype="Float64")), expected,
                               rtol=1e-12, atol=0)


# -- 4. simple_ols --------------------------------------------------------------------------


@pytest.mark.parametrize("y, x, expected", [
    ("abc", "abc", "one column of numbers"),
    (np.arange(5.0), np.arange(4.0), "5 values and x= 4"),
    (np.arange(4.0), np.ones((4, 2)), "one column of numbers"),
], ids=["text", "lengths", "table"])
def test_simple_ols_refuses_what_is_no_pair_of_columns(y: object, x: object,
                                                       expected: str) -> None:
    with pytest.raises(DataError, match=expected):
        dyadic.simple_ols(y, x)


def test_simple_ols_takes_nullable_numbers() -> None:
    y = np.arange(5.0)
    x = pd.Series([1, 2, 3, 5, 4], dtype="Float64").to_numpy()
    assert dyadic.simple_ols(y, x)["b"] == pytest.approx(0.9, rel=1e-12)


# -- 5. a wide data file ------------------------------------------------------------------


def test_a_wide_file_with_an_infinite_and_a_huge_value(tmp_path: Path) -> None:
    rng = np.random.default_rng(14)
    frame = pd.DataFrame(rng.integers(1, 8, (5, 1200)).astype(float),
                         columns=[f"c{i}" for i in range(1200)])
    frame.iloc[2, 700] = 1e60
    frame.iloc[3, 1100] = np.inf
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"larger than 1e\+50 in magnitude in column\(s\) "
                                        r"'c700'; infinite values .* in column\(s\) 'c1100'"):
        read_data(path)
    frame.iloc[2, 700] = 1.0
    frame.iloc[3, 1100] = 1.0
    frame.to_csv(path, index=False)
    assert read_data(path).shape == (5, 1200)


# -- 6. health of a store that is a folder --------------------------------------------------


def test_health_names_a_store_that_is_a_folder(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", "--db", f"sqlite:///{tmp_path}"]) == 1
    out = capsys.readouterr()
    assert "is a folder" in out.out + out.err, out
    assert "does not exist" not in out.out + out.err


# -- 7. odd data files, dtypes and models that were refused well (coverage) ----------------


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


HEADER = ",".join(ITEMS)
ODD_FILES = {
    "latin1-name": ("x\xe91,x2,x3\n1,2,3\n2,3,1\n".encode("latin-1"), "not UTF-8 text"),
    "utf16": (f"{HEADER}\n1,2,3,4,5,6,7,8,9\n".encode("utf-16"), "UTF-16 text"),
    "blank-header": (",x2,x3\n1,2,3\n4,5,6\n", "not in data="),
    "escape-in-name": ("x\x1b[31m1,x2,x3\n1,2,3\n2,1,3\n", "not in data="),
    "cyrillic-x": ("\u04451,x2,x3\n1,2,3\n2,1,3\n", "not in data="),
    "only-header": ("x1,x2,x3\n", "no rows"),
    "empty": ("", "empty"),
    "json": ('{"x1": [1, 2]}', "use a .csv"),
    "all-text": ("x1,x2,x3\na,b,c\nd,e,f\n", "not numeric"),
    "unicode-minus": ("x1,x2,x3\n\u22121,2,3\n2,1,3\n1,3,2\n", "not numeric"),
    "nbsp-number": ("x1,x2,x3\n1\u00a0,2,3\n2,1,3\n1,3,2\n", "not numeric"),
    "inf-text": ("x1,x2,x3\ninf,2,3\n2,1,3\n1,3,2\n", "infinite values"),
}


@pytest.mark.parametrize("case", list(ODD_FILES))
def test_odd_data_files_for_sem(case: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    text, expected = ODD_FILES[case]
    suffix = ".json" if case == "json" else ".csv"
    path = _write(tmp_path, f"data{suffix}", text)
    _refused(["sem", str(path), "--model", CFA], expected, capsys)


def test_a_data_file_that_is_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d.csv").mkdir()
    for command in ("sem", "reliability", "pls"):
        _refused([command, str(tmp_path / "d.csv"), "--model", CFA], "is a folder", capsys)


MODELS = {
    "escape-sequence": ("f =~ x1 + x2 + x3\x1b[2J", "not a valid variable name"),
    "full-width-operator": ("f \uff1d~ x1 + x2 + x3", "not a valid variable name"),
    "cyrillic-variable": ("f =~ \u04451 + x2 + x3", "not a valid variable name"),
    "right-to-left-mark": ("f =~ x1 + x2 + x3 \u202e", "not a valid variable name"),
    "nul": ("f =~ x1 + x2\x00 + x3", "empty or not text"),
    "only-a-comment": ("# nothing", "empty"),
    "trailing-plus": ("f =~ x1 + x2 + x3 +", "empty term"),
    "1e400": ("f =~ 1e400*x1 + x2 + x3", "too large"),
    "defined-twice": ("f =~ x1 + a*x2 + b*x3\nab := a*b\nab := a+b", "already defined"),
    "label-against-label": ("f =~ x1 + a*x2 + b*x3\na > b", "simple bounds"),
    "formative": ("f <~ x1 + x2 + x3", "not supported"),
    "efa-block": ("efa('b')*f1 =~ x1 + x2 + x3", "not supported"),
    "emoji-factor": ("\U0001f600 =~ x1 + x2 + x3", "not a valid variable name"),
    "nested-parentheses": ("f =~ " + "(" * 300 + "x1" + ")" * 300 + " + x2", "Line 1"),
}


@pytest.mark.parametrize("case", list(MODELS))
def test_model_statements(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    model, expected = MODELS[case]
    _refused(["sem", str(HS), "--model", model], expected, capsys)


HYPOTHESES = {
    "a-list": "- a\n- b\n",
    "a-scalar": "hello\n",
    "empty": "",
    "unknown-key": "hypotheses:\n  - id: H1\n    foo: bar\n",
    "tab-indent": "hypotheses:\n\t- id: H1\n",
    "unclosed": "hypotheses: [\n",
    "escape-in-id": 'hypotheses:\n  - id: "H\\x1b1"\n',
}


@pytest.mark.parametrize("case", list(HYPOTHESES))
def test_hypotheses_files_of_the_wrong_structure(case: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "h.yaml", HYPOTHESES[case])
    out = tmp_path / "scripts"
    _refused(["export-script", str(DEMO), "--hypotheses", str(path), "--out", str(out)],
             "h.yaml", capsys)
    assert not out.exists()


def test_sem_output_paths_that_are_folders_or_the_input(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    data = tmp_path / "hs.csv"
    data.write_bytes(Path(HS).read_bytes())
    before = data.read_bytes()
    _refused(["sem", str(data), "--model", CFA, "--json", str(tmp_path)], "is a folder",
             capsys)
    _refused(["sem", str(data), "--model", CFA, "--params-out", str(data)],
             "would destroy the input", capsys)
    assert data.read_bytes() == before


@pytest.mark.parametrize("out, expected", [("s.xlsx", "must end in .csv"),
                                           ("s", "must end in .csv")])
def test_score_output_of_another_format(out: str, expected: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    _refused(["score", str(DEMO), "--out", str(tmp_path / out)], expected, capsys)
    assert list(tmp_path.iterdir()) == []


# -- 8. control characters in stored names and mail headers (coverage) ---------------------

CONTROL = {"line-feed": "a\nb", "escape": "x\x1b[2J", "tab": "a\tb",
           "line-separator": "a\u2028b", "right-to-left": "a\u202eb"}


@pytest.mark.parametrize("what", ["--reason", "--actor"])
@pytest.mark.parametrize("char", list(CONTROL))
def test_control_characters_in_the_audit_log(what: str, char: str, store: Path,
                                             tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    db = _copy(store, tmp_path)
    options = {"--reason": "ok", "--actor": "lead"} | {what: CONTROL[char]}
    args = ["respondent", "--study", "s", "--invitation", "1", "--exclude",
            *[v for pair in options.items() for v in pair], "--db", f"sqlite:///{db}"]
    _refused(args, f"{what[2:]}", capsys)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM analysis_exclusions").fetchone() == (0,)


@pytest.mark.parametrize("option", ["--sender-name", "--lead-name"])
@pytest.mark.parametrize("value", ["Lead\r\nBcc: other@example.org", "Lead\x1b[31m",
                                   "Le\u2028ad"], ids=["header-injection", "escape",
                                                       "line-separator"])
def test_control_characters_in_mail_headers(option: str, value: str, store: Path,
                                            tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    db = _copy(store, tmp_path)
    args = ["mail", "--configure", "--study", "s", "--smtp", "smtp://localhost:2525",
            "--sender", "a@example.org", "--lead-name", "Lead", "--lead-email",
            "lead@example.org", "--base-url", "https://survey.example.org",
            "--db", f"sqlite:///{db}"]
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    _refused(args, option[2:].replace("-", "_"), capsys)


@pytest.mark.parametrize("char", list(CONTROL))
def test_control_characters_in_new_names(char: str, store: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    db = _copy(store, tmp_path)
    url = f"sqlite:///{db}"
    value = CONTROL[char]
    for args in (["invite", "--study", value, "--n", "1"],
                 ["invite", "--study", "s", "--n", "1", "--partner", value],
                 ["invite", "--study", "s", "--n", "1", "--wave", value],
                 ["wave", "--study", "s", "--open", value]):
        out = tmp_path / "links.csv"
        extra = ["--out", str(out)] if args[0] == "invite" else []
        code = main([*args, "--db", url, *extra])
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err, (args, err)
        assert not out.exists()
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM invitations").fetchone() == (1,)


# -- 9. commands run twice in a row ----------------------------------------------------------


def test_store_commands_run_twice_give_the_same_state(store: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    db = _copy(store, tmp_path)
    url = f"sqlite:///{db}"
    exclude = ["respondent", "--study", "s", "--invitation", "1", "--exclude", "--reason", "r",
               "--db", url]
    assert main(exclude) == 0
    _refused(exclude, "excluded from the analysis already", capsys)
    for args in (["privacy", "--study", "s", "--controller", "Acme GmbH"],
                 ["delete", "--study", "s", "--test-responses"]):
        for _ in range(2):
            assert main([*args, "--db", url]) == 0, capsys.readouterr().err
    capsys.readouterr()
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM analysis_exclusions WHERE restored_at IS "
                           "NULL").fetchone() == (1,)
    links = tmp_path / "links.csv"
    assert main(["invite", "--study", "s", "--n", "1", "--db", url, "--out", str(links)]) == 0
    text = links.read_text()
    _refused(["invite", "--study", "s", "--n", "1", "--db", url, "--out", str(links)],
             "exists already", capsys)
    assert links.read_text() == text
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM invitations").fetchone() == (2,)


def test_codebook_and_export_script_run_twice_write_the_same(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    out = tmp_path / "cb.json"
    assert main(["codebook", "--format", "json", "--out", str(out)]) == 0
    first = out.read_bytes()
    assert main(["codebook", "--format", "json", "--out", str(out)]) == 0
    assert out.read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cb.json"]  # no scratch file left
    capsys.readouterr()


# -- 10. messages that contradicted themselves or named the wrong input ---------------------

PLS = "F1 =~ x1 + x2 + x3\nF2 =~ x4 + x5 + x6\nF2 ~ F1"


def test_pls_group_with_two_values_and_a_gap_says_so(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    # HS's grade holds 7 and 8 and one missing value: "found 2 value(s)" read as a
    # contradiction of "must have exactly two values"
    err = _refused(["pls", str(HS), "--model", PLS, "--group", "grade"],
                   "found 2 value(s) and 1 missing", capsys)
    assert "exactly two values" in err


def test_pls_consistent_without_reflective_blocks_is_refused(
        capsys: pytest.CaptureFixture[str]) -> None:
    formative = PLS.replace("=~", "<~")
    _refused(["pls", str(HS), "--model", formative, "--consistent"], "has none", capsys)
    assert main(["pls", str(HS), "--model", PLS.replace("F2 =~", "F2 <~"),
                 "--consistent"]) == 0
    assert "consistent PLS" in capsys.readouterr().out


def test_report_from_json_without_its_data_names_json(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    analysis = tmp_path / "analysis.json"
    analysis.write_text("{}", encoding="utf-8")
    _refused(["report", "--json", str(analysis), "--out", str(tmp_path / "r.html")],
             "--json renders an analysis together with the data", capsys)
    assert not (tmp_path / "r.html").exists()


def test_simulate_manifest_describes_the_options_it_was_made_with(tmp_path: Path) -> None:
    import json

    manifest = tmp_path / "m.json"
    assert main(["simulate", "--n", "10", "--careless", "0", "--out", str(tmp_path / "s.csv"),
                 "--manifest", str(manifest)]) == 0
    text = json.loads(manifest.read_text(encoding="utf-8"))["description"]
    assert "no careless respondents, no missing item answers" in text, text
    assert "MAR" not in text
    assert main(["simulate", "--n", "10", "--missing", "0.1", "--mechanism", "MAR", "--out",
                 str(tmp_path / "t.csv"), "--manifest", str(manifest)]) == 0
    text = json.loads(manifest.read_text(encoding="utf-8"))["description"]
    committed = json.loads((Path(DEMO).parent / "MANIFEST.json").read_text(encoding="utf-8"))
    assert text == committed["description"]  # the demo's own options: the same wording


# -- 11. the fieldwork functions given arguments of the wrong kind -------------------------


@pytest.fixture
def api_store(store: Path, tmp_path: Path):  # noqa: ANN201
    from instruments.store.responses import ResponseStore

    response_store = ResponseStore(f"sqlite:///{_copy(store, tmp_path)}")
    yield response_store
    response_store.dispose()


@pytest.mark.parametrize("invitation, expected", [
    (2**70, "whole number from 1"), (None, "whole number from 1"), (True, "whole number"),
], ids=["2**70", "None", "True"])
def test_dyad_partner_refuses_what_is_no_invitation_number(invitation: object, expected: str,
                                                           api_store) -> None:  # noqa: ANN001
    from instruments.fieldwork.invitations import dyad_partner

    with pytest.raises(DataError, match=expected):
        dyad_partner(api_store, invitation)
    assert dyad_partner(api_store, 1) is None  # a single invitation has no partner


@pytest.mark.parametrize("now", ["2020-01-01", 5, pd.Timestamp("2020-01-01").date(),
                                 pd.Timestamp("2020-01-01").to_pydatetime()],
                         ids=["text", "number", "date", "naive-datetime"])
def test_a_moment_that_is_no_datetime_is_refused(now: object, api_store) -> None:  # noqa: ANN001
    from instruments.fieldwork.invitations import check_token, expire_invitations

    with pytest.raises(DataError, match="now= must be a datetime"):
        expire_invitations(api_store, "s", now=now)
    with pytest.raises(DataError, match="now= must be a datetime"):
        check_token(api_store, "no-such-token", now=now)
    assert expire_invitations(api_store, "s", now=pd.Timestamp("2020-01-01", tz="UTC")) == 0


@pytest.mark.parametrize("source, expected", [
    (5, "not int"),
    (["a@example.org"], "must be a dict"),
    ([{"email": "a@example.org"}, "b@example.org"], "must be a dict"),
], ids=["number", "list-of-addresses", "a-row-of-text"])
def test_read_contacts_refuses_what_is_no_contact_list(source: object, expected: str) -> None:
    from instruments.fieldwork.contacts import read_contacts

    with pytest.raises(DataError, match=expected):
        read_contacts(source)
    rows = read_contacts([{" Email ": " a@example.org ", "NAME": "A"}])
    assert rows == [{"email": "a@example.org", "name": "A"}]


def test_opt_out_refuses_a_number(api_store) -> None:  # noqa: ANN001
    from instruments.fieldwork.mail import opt_out

    with pytest.raises(DataError, match="must be text, not int"):
        opt_out(api_store, 5)
    with pytest.raises(DataError, match="not valid"):
        opt_out(api_store, ["no-such-link"])
