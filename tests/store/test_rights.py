"""Erasure, the respondent's language, preview responses and the study's privacy notice,
on the real questionnaire, on SQLite and PostgreSQL: a withdrawn response leaves no
answer in the log, the wide view or any export; only its tombstone and audit entry."""

from __future__ import annotations

import random
import uuid
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import DataError, ResponseError
from instruments.fieldwork.exports import export
from instruments.fieldwork.invitations import create_invitations, create_study, fieldwork_summary
from instruments.instrument.spss import read_sav
from instruments.store import ResponseStore
from instruments.store.models import Answer
from instruments.store.rights import (
    delete_test_responses,
    deletion_log,
    get_settings,
    set_language,
    set_settings,
    tombstones,
    withdraw,
)
from tests.store.test_exports import bot_answers

#: A free-text answer no export may contain after the erasure.
SECRET = "Geheimnis-4711 of the withdrawn respondent"


def answer_pages(store: ResponseStore, token: str, n_pages: int, seed: int) -> None:
    rng = random.Random(seed)
    given: dict[str, object] = {}
    for page in store.pages[:n_pages]:
        answers = bot_answers(page, rng, given)
        given.update(answers)
        if page.id == "screening":
            answers["informant_knowledge"] = 7
        if page.id == "comment":
            answers["comment"] = SECRET
        store.submit_page(token, page.id, answers, submission_key=uuid.uuid4().hex)


def test_withdrawal_leaves_only_tombstone_and_audit(field: ResponseStore, tmp_path: Path) -> None:
    keep, gone = (i.token for i in create_invitations(field, "rights", 2))
    answer_pages(field, keep, len(field.pages), 1)
    answer_pages(field, gone, len(field.pages), 2)
    gone_id = field.state(gone).respondent_id
    assert (field.answer_log("rights")["value_text"] == SECRET).sum() == 2

    erased = withdraw(field, gone, reason="request", channel="cli", actor="e-mail of 3 May")
    assert erased.respondent_id == gone_id
    assert erased.n_pages == len(field.pages)
    assert erased.n_answers > 50

    with field.session() as session:  # not a single answer row of the respondent is left
        left = session.query(Answer).filter(Answer.respondent_id == gone_id).count()
    assert left == 0
    wide = field.wide("rights", include_screened_out=True, include_test=True)
    assert gone_id not in set(wide["respondent_id"])
    assert len(wide) == 1
    for fmt, name in (("csv", "w.csv"), ("parquet", "w.parquet"), ("sav", "w.sav"),
                      ("long", "log.csv")):  # fmt: skip
        path = export(field, "rights", fmt, tmp_path / name)
        if fmt == "sav":
            data, _ = read_sav(path)
        elif fmt == "parquet":
            data = pd.read_parquet(path)
        else:
            data = pd.read_csv(path)
        assert gone_id not in set(data["respondent_id"]), fmt
        assert (data.astype(str) == SECRET).to_numpy().sum() == 1, fmt  # the other respondent's
    log = deletion_log(field, "rights")
    assert log[["respondent_id", "reason", "channel", "actor"]].to_dict("records") == [
        {"respondent_id": gone_id, "reason": "request", "channel": "cli",
         "actor": "e-mail of 3 May"}]  # fmt: skip
    assert int(log["n_answers"].iloc[0]) == erased.n_answers
    assert SECRET not in log.astype(str).to_string()
    assert tombstones(field, "rights")["respondent_id"].tolist() == [gone_id]
    assert fieldwork_summary(field, "rights")["n_withdrawn"].iloc[0] == 1
    with pytest.raises(ResponseError, match="withdrew and all answers were deleted"):
        field.start(gone)


def test_decline_midway_and_respondent_language(field: ResponseStore) -> None:
    token = create_invitations(field, "rights", 1, language="en")[0].token
    field.start(token)
    set_language(field, token, "de")
    assert field.start(token).language == "de"  # used on refresh and resume
    with pytest.raises(ResponseError, match="language='fr'"):
        set_language(field, token, "fr")
    answer_pages(field, token, 3, 3)
    erased = withdraw(field, token, reason="declined")
    assert erased.n_pages == 3
    assert field.state(token).status == "withdrawn"
    assert field.state(token).answers == {}
    # the erasure takes the language chosen as well; the closed link speaks the
    # invitation's
    assert field.state(token).language == "en"


def test_preview_responses_are_left_out_and_deletable(field: ResponseStore) -> None:
    real = create_invitations(field, "rights", 1)[0].token
    test = create_invitations(field, "rights", 1, test=True)[0].token
    answer_pages(field, real, 4, 4)
    answer_pages(field, test, 4, 5)
    test_id = field.state(test).respondent_id
    assert test_id not in set(field.wide("rights")["respondent_id"])
    assert test_id in set(field.wide("rights", include_test=True)["respondent_id"])
    assert test_id not in set(field.answer_log("rights")["respondent_id"])
    assert fieldwork_summary(field, "rights")["n_invitations"].iloc[0] == 1
    assert delete_test_responses(field, "rights", actor="lead") == 1
    assert deletion_log(field, "rights")["reason"].tolist() == ["test"]
    assert test_id not in set(field.wide("rights", include_test=True)["respondent_id"])


def test_privacy_settings_round_trip_and_refusals(field: ResponseStore) -> None:
    assert not get_settings(field, "rights").privacy_complete
    set_settings(field, "rights", controller="Universität Beispiel, Lehrstuhl X",
                 contact="lead@example.org", purpose="Research on alliances.",
                 legal_basis="consent", retention="until 31 Dec 2030")  # fmt: skip
    settings = get_settings(field, "rights")
    assert settings.privacy_complete
    assert settings.controller == "Universität Beispiel, Lehrstuhl X"
    set_settings(field, "rights", completion_code="PANEL-42")
    assert get_settings(field, "rights").contact == "lead@example.org"  # others kept
    with pytest.raises(DataError) as err:
        set_settings(field, "rights", legal_basis="whim", redirect_url="http://x.org",
                     completion_code="a b")  # fmt: skip
    text = str(err.value)
    assert "legal_basis" in text and "redirect_url" in text and "completion_code" in text
    with pytest.raises(DataError, match="Unknown study setting"):
        set_settings(field, "rights", colour="red")


def test_delete_command(db_url: str, instrument, tmp_path: Path) -> None:  # noqa: ANN001
    store = ResponseStore(db_url, instrument=instrument)
    try:
        create_study(store, "cli")
        token = create_invitations(store, "cli", 1)[0].token
        answer_pages(store, token, 3, 6)
        rid = store.state(token).respondent_id
        out, err = StringIO(), StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["delete", "--db", db_url, "--study", "cli", "--token", token,
                         "--note", "request by e-mail"])  # fmt: skip
        assert code == 0, err.getvalue()
        assert "deleted" in err.getvalue()
        assert rid not in set(store.wide("cli")["respondent_id"])
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["delete", "--db", db_url, "--study", "other", "--token", token])
        assert code == 2
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["delete", "--db", db_url, "--study", "cli", "--token", "nope"])
        assert code == 2
        assert "Traceback" not in err.getvalue()
    finally:
        store.dispose()


def test_what_the_withdrawn_page_says_is_kept_is_what_the_store_keeps(field: ResponseStore) -> None:
    """The page shown after a withdrawal said "Only a record that a deletion took place is
    kept", while the invitation (the firm), the respondent's first opening and language,
    and the study lead's contact entry stay.  The page now names what is kept, and this
    test holds the store to it: a column added later that keeps something else fails it."""
    from instruments.store.models import Invitation, PageSubmission, Respondent
    from instruments.store.tokens import find_invitation
    from instruments.ui.texts import _TEXTS as TEXTS

    token = create_invitations(field, "rights", 1, partner_name="Acme Robotics")[0].token
    answer_pages(field, token, 3, 7)
    withdraw(field, token)
    with field.session() as session:
        inv = find_invitation(session, token)
        resp = session.query(Respondent).filter(Respondent.invitation_id == inv.id).one()
        kept = {c.name for c in Respondent.__table__.columns
                if getattr(resp, c.name) not in (None, 0, "")}
        assert session.query(PageSubmission).filter(
            PageSubmission.respondent_id == resp.id).count() == 0
        assert inv.partner_name == "Acme Robotics" and inv.status == "withdrawn"
        assert {c.name for c in Invitation.__table__.columns} <= {
            "id", "token_hash", "study_id", "wave_id", "alliance_id", "firm_role",
            "partner_name", "language", "status", "expires_at", "created_at", "is_test"}
    # the respondent row keeps its keys, the item-order seed, when the link was first
    # opened and last used, the language chosen and when the answers were erased
    assert kept <= {"id", "invitation_id", "seed", "started_at", "last_activity_at",
                    "language", "withdrawn_at"}, kept
    for key in ("withdrawn", "withdrawn_one"):
        en, de = TEXTS[key]["en"], TEXTS[key]["de"]
        assert "Only a record" not in en
        for words in ("which firm", "first opened", "which language", "contact list"):
            assert words in en, (key, words)
        for words in ("welches Unternehmen", "zuerst geöffnet", "Sprache", "Kontaktliste"):
            assert words in de, (key, words)
        # the contact entry is erased with the answers (it had been said to be kept)
        assert "address, name and firm are deleted" in en, key
        assert "Name und Ihr Unternehmen aus deren Kontaktliste" in de, key


def test_contact_must_reach_someone_from_the_app_and_the_api(field: ResponseStore) -> None:
    """The command line checked the privacy notice's contact; the app and the API stored
    '!!!' or two lines."""
    for bad, why in (("!!!", "does not say how to reach"),
                     ("lead@uni.example\nsecond line", "more than one line")):
        with pytest.raises(DataError, match=why):
            set_settings(field, "rights", contact=bad)
    assert get_settings(field, "rights").contact is None
    for good in ("lead@uni.example", "+49 30 1234 5678", "Hauptstr. 5, 10115 Berlin",
                 "https://uni.example/contact"):
        assert set_settings(field, "rights", contact=good).contact == good
