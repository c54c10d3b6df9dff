"""The respondent's copy of their data (right of access), on the real questionnaire, on
SQLite and PostgreSQL: every stored answer with its wording and label, the pages, the
contact entry; the same copy by token and by invitation id; nothing after a withdrawal
but the tombstone; bad requests refused."""

from __future__ import annotations

import json

import pytest

from analysis.errors import DataError, ResponseError
from instruments.fieldwork.invitations import create_invitations
from instruments.store import ResponseStore
from instruments.store.access import copy_json, respondent_copy
from instruments.store.rights import withdraw
from tests.store.test_rights import SECRET, answer_pages


def test_copy_holds_every_stored_answer_with_its_wording(field: ResponseStore) -> None:
    mine, other = (i.token for i in create_invitations(field, "rights", 2))
    answer_pages(field, mine, len(field.pages), 1)
    answer_pages(field, other, 3, 2)
    copy = respondent_copy(field, mine)
    log = field.answer_log("rights")
    rid = field.state(mine).respondent_id
    own = log[log["respondent_id"] == rid]
    # one entry per stored answer, in the log's order, and none of the other respondent's
    assert [a["question_id"] for a in copy["answers"]] == own["item_id"].tolist()
    assert len(copy["answers"]) > 50
    assert copy["about"]["status"] == "completed"
    assert copy["about"]["completed_at"] is not None
    assert [p["page"] for p in copy["pages"]] == [p.id for p in field.pages]
    # wording as the respondent saw it, labels of coded answers
    inst = field.instrument
    items = {i for sc in inst.scales.values() for i in sc.item_ids}
    first_item = next(a for a in copy["answers"] if a["question_id"] in items)
    assert first_item["question"] == inst.item_text(first_item["question_id"], "en")
    assert isinstance(first_item["answer"], int) and first_item["answer_label"]
    texts = [a for a in copy["answers"] if a["answer"] == SECRET]
    assert len(texts) == 1 and texts[0]["answer_label"] is None
    # the same copy for the study lead's request by invitation id
    by_id = respondent_copy(field, study="rights", invitation_id=copy["about"]["invitation_id"],
                            now=None)
    assert by_id["answers"] == copy["answers"] and by_id["about"] == copy["about"]
    # JSON as typed (umlauts and other characters not escaped), readable back
    raw = copy_json(copy)
    assert json.loads(raw.decode("utf-8"))["answers"] == json.loads(json.dumps(copy["answers"]))


def test_copy_after_withdrawal_holds_no_answer(field: ResponseStore) -> None:
    (token,) = (i.token for i in create_invitations(field, "rights", 1))
    answer_pages(field, token, 4, 3)
    assert respondent_copy(field, token)["answers"]
    withdraw(field, token)
    copy = respondent_copy(field, token)
    assert copy["answers"] == [] and copy["pages"] == []
    assert copy["about"]["status"] == "withdrawn" and copy["about"]["withdrawn_at"]
    assert SECRET not in copy_json(copy).decode("utf-8")


def test_copy_before_the_link_was_opened(field: ResponseStore) -> None:
    (token,) = (i.token for i in create_invitations(field, "rights", 1))
    copy = respondent_copy(field, token)
    assert copy["answers"] == [] and copy["about"]["first_opened_at"] is None
    assert copy["contact"] is None and copy["messages"] == []


def test_bad_requests_are_refused(field: ResponseStore) -> None:
    with pytest.raises(ResponseError):
        respondent_copy(field, "not-a-token-of-this-store")
    with pytest.raises(DataError, match="token, or the study"):
        respondent_copy(field)
    with pytest.raises(DataError, match="no invitation 99999"):
        respondent_copy(field, study="rights", invitation_id=99999)
    with pytest.raises(DataError, match="no study"):
        respondent_copy(field, study="nope", invitation_id=1)


def _cli(args: list[str]) -> tuple[int, str, str]:
    from contextlib import redirect_stderr, redirect_stdout
    from io import StringIO

    from analysis.cli import main

    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def test_cli_writes_the_copy_for_a_request_by_email(field: ResponseStore, db_url: str,
                                                    tmp_path) -> None:  # noqa: ANN001
    (token,) = (i.token for i in create_invitations(field, "rights", 1))
    answer_pages(field, token, 5, 4)
    inv = field.state(token).invitation_id
    want = json.loads(copy_json(respondent_copy(field, token)))
    target = tmp_path / "copy.json"
    code, _out, err = _cli(["respondent", "--copy", "--study", "rights", "--invitation",
                            str(inv), "--out", str(target), "--db", db_url])
    assert code == 0, err
    got = json.loads(target.read_text(encoding="utf-8"))
    assert got["answers"] == want["answers"] and got["about"] == want["about"]
    assert (target.stat().st_mode & 0o777) == 0o600
    code, out, _err = _cli(["respondent", "--copy", "--study", "rights", "--invitation",
                            str(inv), "--db", db_url])
    assert code == 0 and json.loads(out)["answers"] == want["answers"]
    # bad requests: a clear message and exit 2, no file
    for args, message in (
        (["--invitation", "99999"], "no invitation 99999"),
        (["--invitation", str(inv), "--out", str(tmp_path / "copy.csv")], ".json"),
        (["--invitation", str(inv), "--out", str(tmp_path / "nope" / "c.json")], "nope"),
    ):
        code, _out, err = _cli(["respondent", "--copy", "--study", "rights", "--db", db_url,
                                *args])
        assert code == 2 and message in err and "Traceback" not in err, err
    code, _out, err = _cli(["respondent", "--log", "--study", "rights", "--db", db_url,
                            "--out", str(tmp_path / "x.json")])
    assert code == 2 and "--copy only" in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".json", ".csv")) == [
        "copy.json"]


def test_copy_marks_a_study_leads_correction_and_the_answer_that_counts(
    field: ResponseStore,
) -> None:
    """Walk 14: after the study lead corrected alliance_age from 4.0 to 2.5, the copy held
    both as alike rows, neither marked as the correction nor as the answer that counts,
    and its corrections gave no values.  A respondent's own page may not use the key
    that marks a correction."""
    from instruments.fieldwork.actions import correct_answers

    inv = create_invitations(field, "rights", 1)[0]
    answer_pages(field, inv.token, len(field.pages), 1)
    before = field.state(inv.token).answers["alliance_age"]
    after = 2.5 if before != 2.5 else 3.5
    correct_answers(field, "rights", inv.invitation_id, {"alliance_age": after}, "typo")
    copy = respondent_copy(field, inv.token)
    rows = [a for a in copy["answers"] if a["question_id"] == "alliance_age"]
    assert [(r["answer"], r["source"], r["current"]) for r in rows] == [
        (before, "respondent", False), (after, "study lead's correction", True)]
    # one answer that counts per question: its last row
    last = {a["question_id"]: i for i, a in enumerate(copy["answers"])}
    assert [i for i, a in enumerate(copy["answers"]) if a["current"]] == sorted(last.values())
    assert [(c["question_id"], c["before"], c["after"], c["reason"])
            for c in copy["corrections"]] == [("alliance_age", before, after, "typo")]
    other = create_invitations(field, "rights", 1)[0]
    field.start(other.token)
    with pytest.raises(ResponseError, match="marks a study lead's correction"):
        field.submit_page(other.token, field.pages[0].id, {}, submission_key="correction-x")
