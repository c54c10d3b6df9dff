"""Exports and the command line, on the real questionnaire: a bot answers every page,
then CSV / Parquet / SPSS round trips must hold exactly the stored answers."""

from __future__ import annotations

import csv
import io
import math
import random
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import DataError
from instruments.fieldwork.exports import export
from instruments.fieldwork.invitations import create_dyad, create_invitations, create_study
from instruments.instrument.loader import load_instrument
from instruments.instrument.spss import read_sav
from instruments.store import PageSpec, ResponseStore


@pytest.fixture(scope="module")
def instrument():  # noqa: ANN201
    return load_instrument()


def bot_answers(page: PageSpec, rng: random.Random,
                given: dict[str, object] | None = None) -> dict[str, object]:  # fmt: skip
    """Valid random answers for a page; optional items are sometimes skipped, items the
    survey logic hides (given the earlier answers ``given``) are left out."""
    out: dict[str, object] = {}
    hidden = set(page.hidden(given or {}))
    for f in page.fields:
        if f.id in hidden:
            continue
        if not f.required and rng.random() < 0.15:
            continue
        if f.kind == "boolean":
            out[f.id] = True
        elif f.id == "informant_knowledge":  # the screening question: the bot passes it
            out[f.id] = rng.choice([c for c in f.codes if c >= 4])
        elif f.kind == "coded":
            out[f.id] = rng.choice(f.codes)
        elif f.kind == "integer":
            out[f.id] = rng.randint(int(f.min), int(f.max))
        elif f.kind == "number":
            out[f.id] = round(rng.uniform(f.min, f.max), 2)
        else:
            out[f.id] = rng.choice(["", "Gut; \"sehr\" gut,\nzweite Zeile", "ok ✓", "=1+1"])
    return out


@pytest.fixture
def filled(db_url: str, instrument):  # noqa: ANN001, ANN201
    """A study with one dyad and three single respondents (one unfinished)."""
    store = ResponseStore(db_url, instrument=instrument)
    create_study(store, "field")
    a, b = create_dyad(store, "field", firm_a="Alpha AG", firm_b="Beta GmbH", language_b="de")
    tokens = [a.token, b.token] + [i.token for i in create_invitations(store, "field", n=3)]
    rng = random.Random(11)
    expected: dict[str, dict[str, object]] = {}
    for k, token in enumerate(tokens):
        pages = store.pages if k < 4 else store.pages[:3]
        given: dict[str, object] = {}
        for page in pages:
            answers = bot_answers(page, rng, given)
            store.submit_page(token, page.id, answers, submission_key=f"{page.id}-{k}")
            given.update({i: v for i, v in answers.items() if v != ""})
        expected[token] = given
    yield store, expected
    store.dispose()


def _check_frame(df: pd.DataFrame, store: ResponseStore, expected: dict) -> None:  # noqa: ANN001
    by_id = df.set_index(df["respondent_id"].astype(int))
    assert len(df) == len(expected)
    for token, given in expected.items():
        row = by_id.loc[store.state(token).respondent_id]
        for f in (f for p in store.pages for f in p.fields):
            value = row[f.id]
            if f.id not in given:
                assert value is None or value == "" or (isinstance(value, float) and math.isnan(value)), f.id
            elif f.kind == "text":
                assert value == given[f.id]
            else:
                assert float(value) == float(given[f.id]), f.id


def test_wide_matches_instrument_contract(filled, instrument) -> None:  # noqa: ANN001
    store, expected = filled
    wide = store.wide("field")
    instrument.validate_data(wide)
    book = list(instrument.variables()["variable"])
    assert list(wide.columns) == book
    _check_frame(wide, store, expected)
    assert store.wide("field", completed_only=True).shape[0] == 4
    dyad = wide[wide["firm_role"].notna()]
    assert dyad["alliance_id"].nunique() == 1 and sorted(dyad["firm_role"]) == ["A", "B"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_table_round_trip(filled, tmp_path, fmt: str) -> None:  # noqa: ANN001
    store, expected = filled
    out = export(store, "field", fmt, tmp_path / f"wide.{fmt}")
    back = pd.read_csv(out, keep_default_na=False, na_values=[""]) if fmt == "csv" else (
        pd.read_parquet(out)
    )
    _check_frame(back, store, expected)
    wide = store.wide("field")
    numeric = [c for c in wide.columns if pd.api.types.is_float_dtype(wide[c])]
    np.testing.assert_array_equal(back[numeric].to_numpy(float), wide[numeric].to_numpy(float))


def test_sav_round_trip_with_labels(filled, tmp_path, instrument) -> None:  # noqa: ANN001
    store, expected = filled
    out = export(store, "field", "sav", tmp_path / "wide.sav")
    back, meta = read_sav(out)
    _check_frame(back, store, expected)
    labels = meta.variable_value_labels
    agree = {int(k): v for k, v in labels["trust_1"].items()}
    assert agree[1] == "Strongly disagree" and agree[7] == "Strongly agree"
    assert meta.column_names_to_labels["trust_1"]
    de = export(store, "field", "sav", tmp_path / "wide_de.sav", lang="de")
    _, meta_de = read_sav(de)
    assert {int(k): v for k, v in meta_de.variable_value_labels["trust_1"].items()}[1] != agree[1]


def test_long_and_codebook(filled, tmp_path) -> None:  # noqa: ANN001
    store, expected = filled
    long = pd.read_csv(export(store, "field", "long", tmp_path / "log.csv"))
    n_answers = sum(len(v) for v in expected.values())
    assert len(long) == n_answers  # empty free text is "not answered" and not logged
    assert long["answer_id"].is_unique
    assert {"page", "position", "item_id", "value_int", "submitted_at"} <= set(long.columns)
    parquet = pd.read_parquet(export(store, "field", "long", tmp_path / "log.parquet"))
    assert len(parquet) == n_answers
    book = pd.read_csv(export(store, "field", "codebook", tmp_path / "codebook.csv"))
    assert "trust_1" in set(book["variable"])
    with pytest.raises(DataError, match="Unknown export format"):
        export(store, "field", "xlsx", tmp_path / "x.xlsx")
    with pytest.raises(DataError, match="no study"):
        export(store, "nope", "csv", tmp_path / "x.csv")


def test_excel_safe_csv_neutralises_formulas_only(filled, tmp_path) -> None:  # noqa: ANN001
    store, _ = filled
    # one more respondent types formulas into every free-text field it meets
    token = create_invitations(store, "field", n=1)[0].token
    rng = random.Random(5)
    formulas = iter(["=1+1", '=HYPERLINK("http://x")', "+41 44", "-3 %", "@SUM(A1)"] * 20)
    typed: list[str] = []
    given: dict[str, object] = {}
    for page in store.pages:
        answers = bot_answers(page, rng, given)
        given.update(answers)
        for f in page.fields:
            if f.kind == "text":
                answers[f.id] = next(formulas)
                typed.append(answers[f.id])
        store.submit_page(token, page.id, answers, submission_key=f"{page.id}-xl")
    assert typed
    verbatim = pd.read_csv(export(store, "field", "csv", tmp_path / "v.csv"),
                           keep_default_na=False, na_values=[""])
    safe = pd.read_csv(export(store, "field", "csv", tmp_path / "s.csv", excel_safe=True),
                       keep_default_na=False, na_values=[""])
    assert list(safe.columns) == list(verbatim.columns) and len(safe) == len(verbatim)
    n_changed = 0
    for col in verbatim.columns:
        for a, b in zip(verbatim[col], safe[col], strict=True):
            if isinstance(a, str) and a.startswith(("=", "+", "-", "@")):
                assert b == "'" + a, (col, a, b)
                n_changed += 1
            elif isinstance(a, str):
                assert b == a, (col, a, b)
            else:  # numbers (negative ones too) and missing values are untouched
                assert (pd.isna(a) and pd.isna(b)) or float(a) == float(b), (col, a, b)
    assert n_changed >= 1
    log = pd.read_csv(export(store, "field", "long", tmp_path / "l.csv", excel_safe=True))
    assert {"'" + t for t in typed} <= set(log["value_text"].dropna())
    with pytest.raises(DataError, match="CSV"):
        export(store, "field", "sav", tmp_path / "x.sav", excel_safe=True)


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_cli_invite_and_export(tmp_path: Path, instrument) -> None:  # noqa: ANN001
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    code, out, err = _run(["invite", "--study", "s1", "--dyads", "2", "--db", db,
                           "--base-url", "https://survey.example", "--expires-days", "7"])  # fmt: skip
    assert code == 0, err
    assert "password" in err.lower()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4 and [r["firm_role"] for r in rows] == ["A", "B", "A", "B"]
    assert all(r["link"].startswith("https://survey.example/?t=") for r in rows)
    token = rows[0]["link"].split("?t=", 1)[1]
    sheet = tmp_path / "firms.csv"
    sheet.write_text("partner_name,language\nAcme,de\n")
    code, out2, err2 = _run(["invite", "--study", "s1", "--from", str(sheet), "--db", db])
    assert code == 0 and "password" not in err2.lower()
    assert list(csv.DictReader(io.StringIO(out2)))[0]["partner_name"] == "Acme"
    store = ResponseStore(db, instrument=instrument)
    assert store.start(token).firm_role == "A"
    store.submit_page(token, "consent", {"consent": True}, submission_key="k")
    store.dispose()
    target = tmp_path / "exp" / "s1.sav"
    code, _, err = _run(["export", "--study", "s1", "--format", "sav", "--out", str(target),
                         "--db", db])  # fmt: skip
    assert code == 0, err
    back, _ = read_sav(target)
    assert back["consent"].tolist() == [1.0]
    code, _, err = _run(["export", "--study", "zz", "--format", "csv", "--out", "x.csv",
                         "--db", db])  # fmt: skip
    assert code == 2 and "no study 'zz'" in err
    code, _, err = _run(["invite", "--study", "s1", "--n", "1", "--lang", "fr", "--db", db])
    assert code == 2 and "'fr'" in err


def test_fieldwork_columns_stata_and_unstarted(filled, tmp_path, instrument) -> None:  # noqa: ANN001
    """Status (the cockpit's), start/end, language and quality flags are columns of every wide
    export; the Stata file carries the labels; opened-but-unanswered invitations can be left
    out; a test response and a withdrawn one are never there."""
    import pyreadstat

    from instruments.fieldwork.cockpit import respondent_table
    from instruments.fieldwork.exports import FIELDWORK_COLUMNS
    from instruments.store.rights import withdraw

    store, expected = filled
    opened = create_invitations(store, "field", n=1)[0].token
    store.start(opened)  # opened, nothing answered
    test = create_invitations(store, "field", n=1, test=True)[0].token
    store.start(test)
    store.submit_page(test, "consent", {"consent": 1}, submission_key="t")
    gone = create_invitations(store, "field", n=1)[0].token
    store.start(gone)
    store.submit_page(gone, "consent", {"consent": 1}, submission_key="g")
    withdraw(store, gone)
    ids = {name: store.state(tok).respondent_id for name, tok in
           (("opened", opened), ("test", test), ("gone", gone))}  # fmt: skip

    csv_path = export(store, "field", "csv", tmp_path / "w.csv")
    frame = pd.read_csv(csv_path, keep_default_na=False, na_values=[""])
    assert list(frame.columns[:5]) == ["respondent_id", "alliance_id", "firm_role", "language",
                                       "duration_sec"]  # fmt: skip
    assert list(frame.columns[5:5 + len(FIELDWORK_COLUMNS)]) == list(FIELDWORK_COLUMNS)
    rids = set(frame["respondent_id"])
    assert ids["test"] not in rids and ids["gone"] not in rids and ids["opened"] in rids
    assert len(frame) == len(expected) + 1
    cockpit = respondent_table(store, "field").dropna(subset=["respondent_id"])
    want = dict(zip(cockpit["respondent_id"].astype(int), cockpit["status"], strict=True))
    assert all(want[r] == s for r, s in zip(frame["respondent_id"], frame["status"], strict=True))
    assert sorted(frame["status"].value_counts().items()) == [("completed", 4), ("consented", 1),
                                                              ("opened", 1)]  # fmt: skip
    done = frame[frame["status"] == "completed"]
    started = pd.to_datetime(done["started_at"], utc=True)
    ended = pd.to_datetime(done["ended_at"], utc=True)
    assert (ended >= started).all()
    np.testing.assert_allclose((ended - started).dt.total_seconds(), done["duration_sec"],
                               atol=1e-3)  # fmt: skip
    assert set(frame.loc[frame["language"].notna(), "language"]) <= {"en", "de"}
    # quality is judged on completed responses only (the cockpit's rule): one still
    # answering had been flagged "attention; missing" for the checks it had not reached
    flagged = frame[frame["status"] == "completed"]
    unfinished = frame[frame["status"] != "completed"]
    for flag in ("attention_flag", "straightline_flag", "speeder_flag", "missing_flag"):
        assert set(flagged[flag].dropna()) <= {0.0, 1.0} and flagged[flag].notna().all(), flag
        assert unfinished[flag].isna().all(), flag
    assert frame.loc[frame["respondent_id"] == ids["opened"], "last_page"].item() == 0

    lean = pd.read_csv(export(store, "field", "csv", tmp_path / "l.csv", skip_unstarted=True))
    assert ids["opened"] not in set(lean["respondent_id"]) and len(lean) == len(expected)

    dta = export(store, "field", "dta", tmp_path / "w.dta", lang="de")
    data, meta = pyreadstat.read_dta(str(dta))
    assert list(data.columns) == list(frame.columns)
    assert {int(k): v for k, v in meta.variable_value_labels["trust_1"].items()}[1] == \
        instrument.scales["trust"].response.label(1, "de")
    assert meta.column_names_to_labels["trust_1"]
    assert all(len(v or "") <= 80 for v in meta.column_names_to_labels.values())
    numeric = [c for c in frame.columns if c in expected_numeric(store)]
    np.testing.assert_allclose(data[numeric].to_numpy(float), frame[numeric].to_numpy(float),
                               equal_nan=True, rtol=0, atol=0)  # fmt: skip
    sav, _ = read_sav(export(store, "field", "sav", tmp_path / "w.sav"))
    assert list(sav["status"]) == list(frame["status"])


def expected_numeric(store: ResponseStore) -> set[str]:
    """Item columns holding numbers (codes and numeric answers)."""
    return {f.id for p in store.pages for f in p.fields if f.kind != "text"}
