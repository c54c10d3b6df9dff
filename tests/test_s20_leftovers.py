"""Session 20's leftovers in the pipeline: fixes a helper found in files it did not own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "alliance_demo.csv"


@pytest.fixture(scope="module")
def unreliable_partner_dependence():
    """The demo with the partner's dependence answered at random: its alpha is near 0."""
    from analysis.study.pipeline import analyze_study

    data = pd.read_csv(DEMO)
    rng = np.random.default_rng(20)
    for col in [c for c in data.columns if c.startswith("dep_partner_")]:
        answered = data[col].notna()
        data.loc[answered, col] = rng.integers(1, 8, int(answered.sum()))
    return analyze_study(data, bootstrap=50, seed=1, measurement=False, latent_model=False)


def test_a_test_resting_on_an_unreliable_scale_through_an_index_is_flagged(
        unreliable_partner_dependence):
    # review 13: `learning ~ jd_sum` rests on dep_partner through joint dependence; with
    # dep_partner's alpha at -.11 only H2 (which names dep_partner) was flagged
    res = unreliable_partner_dependence
    assert res["reliability"]["dep_partner"]["flag"] is True
    rows = {r["id"]: r for r in res["hypotheses"]}
    assert rows["H1"]["test"] == "learning ~ jd_sum"
    assert rows["H1"]["reliability_flag"] is True
    assert "dep_partner" in rows["H1"]["note"]
    assert rows["H2"]["reliability_flag"] is True
    # a test that rests on neither dependence scale stays unflagged
    assert rows["H3"]["test"] == "value_creation ~ learning"
    assert rows["H3"]["reliability_flag"] is False


# ------------------------------------------------------- hostile round 13's leftovers
def test_a_survey_address_with_credentials_is_refused():
    # https://user:pw@host/ would have put the credentials into every respondent's link
    from instruments.fieldwork.mail import base_url_problem

    assert "user name or password" in base_url_problem("https://lead:secret@survey.example/")
    assert "user name or password" in base_url_problem("https://@survey.example/")
    assert base_url_problem("https://survey.example/study") is None


@pytest.mark.parametrize("contact", ["javascript:alert(1)", " JavaScript :void(0) 1",
                                     "data:text/html,<b>1</b>", "vbscript:msgbox(1)"])
def test_a_script_address_is_no_contact(contact):
    # 'javascript:alert(1)' passed the "a word and a digit" rule of a postal address line
    from instruments.store.rights import contact_problem

    assert "script or data address" in contact_problem(contact)


def test_ordinary_contacts_are_still_accepted():
    from instruments.store.rights import contact_problem

    for ok in ("lead@university.example", "https://university.example/contact",
               "+49 30 1234 5678", "Hauptstrasse 5, Berlin", "Data Office, Room 12"):
        assert contact_problem(ok) is None, ok


def test_invite_writes_its_links_only_under_a_csv_name(tmp_path, capsys):
    # `invite --out links.parquet` wrote CSV under a Parquet name; nothing is stored now
    import sqlite3

    from tests.hostile._runner import refused

    db = tmp_path / "s.sqlite"
    err = refused(["invite", "--study", "s", "--n", "2", "--db", f"sqlite:///{db}",
                   "--out", str(tmp_path / "links.parquet")], "--out", capsys)
    assert ".csv" in err
    assert not (tmp_path / "links.parquet").exists()
    if db.exists():
        with sqlite3.connect(db) as con:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            if "invitations" in tables:
                assert con.execute("SELECT COUNT(*) FROM invitations").fetchone()[0] == 0


def test_contact_list_text_passed_as_a_path_is_refused_in_few_words():
    # the CSV's text, given where a path belongs, was printed back whole as a file name
    from analysis.errors import DataError
    from instruments.fieldwork.contacts import read_contacts

    text = "email,name,firm\n" + "lead@firm.example,A B,Firm\n" * 200
    with pytest.raises(DataError, match="path of a .csv file") as err:
        read_contacts(text)
    assert len(str(err.value)) < 200


@pytest.mark.parametrize(("column", "value", "words"), [
    ("duration_sec", -30.0, "0 seconds or more"),
    ("duration_sec", float("inf"), "0 seconds or more"),
    ("duration_sec", "n/a", "hold text"),
    ("page_time_consent", -1.0, "0 seconds or more"),
])
def test_times_that_are_no_seconds_are_refused(column, value, words):
    # a negative median duration turned the speeding flag off for every respondent, and a
    # text cell became a missing time, without a word
    from analysis.errors import DataError
    from analysis.study.scoring import score

    data = pd.read_csv(DEMO).head(40)
    data[column] = data.get(column, 100.0)
    data[column] = data[column].astype(object)
    data.loc[3, column] = value
    with pytest.raises(DataError, match=words):
        score(data)


def test_valid_times_are_still_scored():
    from analysis.study.scoring import score

    data = pd.read_csv(DEMO).head(40)
    assert "duration_sec" in data.columns
    flagged = score(data)["exclude"]
    assert len(flagged) == 40


# -------------------------------------------------------- browser walk 13's leftovers
def _answered_store(tmp_path, n=2):
    """A SQLite store of the real questionnaire with ``n`` respondents on their first pages."""
    from instruments.fieldwork.invitations import create_invitations, create_study
    from instruments.store import ResponseStore
    from tests.store.test_rights import answer_pages

    store = ResponseStore(f"sqlite:///{tmp_path / 'walk.sqlite'}")
    create_study(store, "w")
    invs = create_invitations(store, "w", n)
    for k, inv in enumerate(invs):
        answer_pages(store, inv.token, 3, k)
    return store, invs


def test_a_withdrawn_invitation_cannot_be_excluded_or_included(tmp_path):
    # two study leads: A opens invitation 1, B erases its answers on request, A presses
    # "Exclude from analysis": A was told its answers stay in the store, and a new
    # exclusion reason was stored where the erasure had deleted the old ones
    from sqlalchemy import func, select

    from analysis.errors import DataError
    from instruments.fieldwork.actions import exclude_from_analysis, include_in_analysis
    from instruments.store.exclusions import AnalysisExclusion
    from instruments.store.rights import erase_invitation

    store, invs = _answered_store(tmp_path)
    try:
        gone, kept = (store.state(i.token).invitation_id for i in invs)
        erase_invitation(store, "w", gone, actor="lead B")
        with pytest.raises(DataError, match="withdrawn and its answers deleted"):
            exclude_from_analysis(store, "w", gone, "speeder", actor="lead A")
        with pytest.raises(DataError, match="withdrawn and its answers deleted"):
            include_in_analysis(store, "w", gone, "not a speeder after all")
        with store.session() as s:
            assert s.scalar(select(func.count()).select_from(AnalysisExclusion)) == 0
        # the other respondent is excluded as before
        assert exclude_from_analysis(store, "w", kept, "speeder").invitation_id == kept
    finally:
        store.dispose()


def test_the_copy_of_a_withdrawn_response_gives_no_first_visit(tmp_path):
    # the erasure keeps the moment of withdrawal in place of the first visit: the copy,
    # still downloadable from a second open tab, said the survey was first opened then
    from instruments.store.access import respondent_copy
    from instruments.store.rights import withdraw

    store, invs = _answered_store(tmp_path)
    try:
        gone, kept = (i.token for i in invs)
        withdraw(store, gone, reason="request", channel="link")
        about = respondent_copy(store, gone)["about"]
        assert about["withdrawn_at"] is not None
        assert about["first_opened_at"] is None and about["last_activity_at"] is None
        other = respondent_copy(store, kept)["about"]
        assert other["first_opened_at"] is not None and other["withdrawn_at"] is None
    finally:
        store.dispose()


# -------------------------------------------------- hostile round 13's engine leftovers
@pytest.mark.parametrize("term", ["Inf*x2", "inf*x2", "NaN*x2"])
def test_an_infinite_or_undefined_fixed_value_is_refused(term):
    # 'Inf*x2' was read as a label named Inf (a free loading); '-Inf*x2' was refused
    from analysis.errors import ModelSpecificationError
    from analysis.sem.syntax import parse_model

    with pytest.raises(ModelSpecificationError, match="no finite number"):
        parse_model(f"f =~ x1 + {term} + x3")
    assert parse_model('f =~ x1 + label("Inf")*x2 + x3') is not None


@pytest.mark.parametrize(("first", "twin"), [("a", "a "), ("a", " a"), ("a", "a\u200b"),
                                           ("\u00e1", "a\u0301"), ("\u00e1", "\u00e1 ")])
def test_groups_that_differ_only_in_blanks_or_invisible_characters_are_refused(first, twin):
    # "a" and "a " were fitted as two groups without a word
    from analysis.errors import DataError
    from analysis.sem import sem

    rng = np.random.default_rng(1)
    n = 240
    f = rng.normal(size=n)
    data = pd.DataFrame({f"x{i}": f + rng.normal(size=n) for i in (1, 2, 3)})
    data["g"] = [first] * 80 + [twin] * 80 + ["b"] * 80
    with pytest.raises(DataError, match="differ only in blanks or invisible"):
        sem("f =~ x1 + x2 + x3", data, group="g")
    data["g"] = ["a"] * 80 + ["\u00e1"] * 80 + ["b"] * 80  # a and á are two groups
    assert sem("f =~ x1 + x2 + x3", data, group="g").converged


def test_each_perturbed_start_is_named_as_its_own_draw():
    # every perturbed start was listed as "(seed 20240521)", as if one start were tried
    # three times
    from analysis.sem import compile_model
    from analysis.sem.samplestats import sample_stats
    from analysis.sem.starts import alternative_starts

    rng = np.random.default_rng(2)
    f = rng.normal(size=200)
    data = pd.DataFrame({f"x{i}": f + rng.normal(size=200) for i in (1, 2, 3, 4)})
    model = compile_model("f =~ x1 + x2 + x3 + x4", data)
    stats, _w = sample_stats(model, data, "listwise")
    model = model.bind(stats)
    names = [name for name, _x in alternative_starts(model, stats, model.x_start(stats))]
    perturbed = [n for n in names if n.startswith("perturbed start")]
    assert perturbed == [f"perturbed start {k} (draw {k} of 3 from seed 20240521)"
                         for k in (1, 2, 3)]
