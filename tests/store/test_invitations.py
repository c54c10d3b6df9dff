"""Studies, invitations, dyads, token checks and fieldwork statistics (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from analysis.errors import DataError, ResponseError
from instruments.fieldwork.invitations import (
    attention_failures,
    check_token,
    create_dyad,
    create_dyads,
    create_invitations,
    create_study,
    dyad_partner,
    dyad_status,
    expire_invitations,
    fieldwork_summary,
    invitations_from_csv,
    invitations_table,
    page_progress,
    screen_out,
    status_counts,
)
from instruments.store import ResponseStore, hash_token
from instruments.store.models import Invitation, utcnow
from tests.store.fake_instrument import full_response


@pytest.fixture
def study(store: ResponseStore) -> str:
    create_study(store, "pilot")
    return "pilot"


def test_tokens_are_stored_only_as_hashes(store: ResponseStore, study: str) -> None:
    issued = create_invitations(store, study, n=3, partner_name="Acme")
    assert len({i.token for i in issued}) == 3
    with store.session() as s:
        rows = s.scalars(select(Invitation)).all()
        stored = {r.token_hash for r in rows}
        columns = [(c.name, getattr(r, c.name)) for r in rows for c in Invitation.__table__.c]
    assert stored == {hash_token(i.token) for i in issued}
    for issued_inv in issued:
        assert all(issued_inv.token not in str(value) for _, value in columns)
    assert issued[0].link("https://survey.example/") == f"https://survey.example/?t={issued[0].token}"


def test_unknown_token(store: ResponseStore, study: str) -> None:
    create_invitations(store, study)
    with pytest.raises(ResponseError, match="not valid"):
        check_token(store, "no-such-token")
    with pytest.raises(ResponseError, match="not valid"):
        store.start("no-such-token")
    with pytest.raises(ResponseError, match="No invitation token"):
        store.start("")


def test_used_token(store: ResponseStore, study: str) -> None:
    token = create_invitations(store, study)[0].token
    for i, (page, answers) in enumerate(full_response(1).items()):
        store.submit_page(token, page, answers, submission_key=str(i))
    with pytest.raises(ResponseError, match="already been used"):
        check_token(store, token)
    with pytest.raises(ResponseError, match="already been used"):
        store.start(token)


def test_expired_token_is_marked_expired(store: ResponseStore, study: str) -> None:
    token = create_invitations(store, study, expires_days=2)[0].token
    assert check_token(store, token).status == "invited"
    later = utcnow() + timedelta(days=3)
    with pytest.raises(ResponseError, match="expired"):
        check_token(store, token, now=later)
    with store.session() as s:
        assert s.scalars(select(Invitation.status)).one() == "expired"
    with pytest.raises(ResponseError, match="expired"):
        store.start(token)
    with pytest.raises(ResponseError, match="expired"):
        store.submit_page(token, "consent", {"consent": True}, submission_key="k")


def test_expire_invitations_in_bulk(store: ResponseStore, study: str) -> None:
    create_invitations(store, study, n=2, expires_days=1)
    create_invitations(store, study, n=1)
    assert expire_invitations(store, study, now=utcnow() + timedelta(days=2)) == 2
    counts = status_counts(store, study).set_index("status")["n"]
    assert counts["expired"] == 2 and counts["invited"] == 1


def test_screen_out(store: ResponseStore, study: str) -> None:
    token = create_invitations(store, study)[0].token
    store.submit_page(token, "consent", {"consent": True}, submission_key="1")
    screen_out(store, token)
    with pytest.raises(ResponseError, match="screening"):
        store.start(token)
    assert invitations_table(store, study).loc[0, "status"] == "screened_out"
    assert store.wide(study).empty
    assert len(store.wide(study, include_screened_out=True)) == 1


def test_dyad_invitations_are_linked(store: ResponseStore, study: str) -> None:
    a, b = create_dyad(store, study, firm_a="Alpha AG", firm_b="Beta Ltd", language_b="de",
                       alliance_id="AL-7")  # fmt: skip
    assert (a.alliance_id, b.alliance_id) == ("AL-7", "AL-7")
    assert (a.firm_role, b.firm_role) == ("A", "B")
    assert (a.partner_name, b.partner_name) == ("Beta Ltd", "Alpha AG")
    assert (a.language, b.language) == ("en", "de")
    assert dyad_partner(store, a.invitation_id).invitation_id == b.invitation_id
    assert dyad_partner(store, b.invitation_id).firm_role == "A"
    assert store.start(b.token).partner_name == "Alpha AG"
    with pytest.raises(DataError, match="already used"):
        create_dyad(store, study, firm_a="X", firm_b="Y", alliance_id="AL-7")
    for token in (a.token, b.token):
        for i, (page, answers) in enumerate(full_response(2).items()):
            store.submit_page(token, page, answers, submission_key=str(i))
    wide = store.wide(study)
    assert sorted(wide["firm_role"]) == ["A", "B"] and set(wide["alliance_id"]) == {"AL-7"}
    create_dyad(store, study, firm_a="C", firm_b="D", alliance_id="AL-8")
    create_invitations(store, study)
    table = dyad_status(store, study).set_index("alliance_id")
    assert list(table.index) == ["AL-7", "AL-8"]
    assert table["both_completed"].tolist() == [True, False]
    assert table.loc["AL-8", ["status_a", "partner_of_a", "partner_of_b"]].tolist() == [
        "invited", "D", "C",
    ]  # fmt: skip


def test_dyads_in_bulk_are_pairs(store: ResponseStore, study: str) -> None:
    pairs = create_dyads(store, study, 4)
    assert len({a.alliance_id for a, _ in pairs}) == 4
    assert all(a.alliance_id == b.alliance_id for a, b in pairs)
    single = create_invitations(store, study)[0]
    assert dyad_partner(store, single.invitation_id) is None


def test_invitations_from_csv(store: ResponseStore, study: str, tmp_path) -> None:  # noqa: ANN001
    dyads = tmp_path / "dyads.csv"
    dyads.write_text("alliance_id,firm_a,firm_b,language_b\nA1,Alpha,Beta,de\nA2,Gamma,Delta,\n")
    issued = invitations_from_csv(store, study, dyads, wave="w2", expires_days=30)
    assert [(i.alliance_id, i.firm_role, i.partner_name, i.language, i.wave) for i in issued] == [
        ("A1", "A", "Beta", "en", "w2"), ("A1", "B", "Alpha", "de", "w2"),
        ("A2", "A", "Delta", "en", "w2"), ("A2", "B", "Gamma", "en", "w2"),
    ]  # fmt: skip
    single = tmp_path / "single.csv"
    single.write_text("partner_name,language\nOmega,de\n")
    (one,) = invitations_from_csv(store, study, single)
    assert (one.partner_name, one.language, one.firm_role) == ("Omega", "de", None)


def test_bad_csv_reports_every_row_and_creates_nothing(
    store: ResponseStore, study: str, tmp_path  # noqa: ANN001
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("alliance_id,firm_a,firm_b,language_a\nA1,,Beta,en\nA1,X,Y,fr\nbad id,X,Y,en\n")
    with pytest.raises(DataError) as info:
        invitations_from_csv(store, study, bad)
    message = str(info.value)
    for needle in ("line 2: firm_a is empty", "line 3: unknown language 'fr'",
                   "line 3: alliance_id 'A1' appears twice", "line 4: invalid alliance_id"):  # fmt: skip
        assert needle in message
    assert invitations_table(store, study).empty
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name\nX\n")
    with pytest.raises(DataError, match="expected columns"):
        invitations_from_csv(store, study, wrong)


def test_bad_invitation_arguments(store: ResponseStore, study: str) -> None:
    with pytest.raises(DataError, match="Language 'fr'"):
        create_invitations(store, study, language="fr")
    with pytest.raises(DataError, match="no study"):
        create_invitations(store, "nope")
    with pytest.raises(DataError, match="exists already"):
        create_study(store, study)
    with pytest.raises(DataError, match="expires_days"):
        create_invitations(store, study, expires_days=0)


def test_fieldwork_statistics(store: ResponseStore, study: str) -> None:
    tokens = [i.token for i in create_invitations(store, study, n=6)]
    t0 = utcnow()
    pages = list(full_response(0))
    # respondents 0-2 complete (2 fails the attention check), 3 stops after page 2,
    # 4 only opens the survey, 5 never starts
    for r, token in enumerate(tokens[:4]):
        answers = full_response(4 if r == 2 else 1 + r)
        last = 4 if r < 3 else 2
        for i, page in enumerate(pages[:last]):
            store.submit_page(
                token, page, answers[page], submission_key=page,
                shown_at=t0 + timedelta(seconds=100 * i),
                now=t0 + timedelta(seconds=100 * i + 10 * (r + 1)),
            )  # fmt: skip
    store.start(tokens[4])
    counts = status_counts(store, study).set_index("status")["n"].to_dict()
    assert counts == {"invited": 1, "started": 2, "completed": 3, "screened_out": 0, "expired": 0,
                      "withdrawn": 0}
    progress = page_progress(store, study).set_index("page")
    assert progress["n_submitted"].tolist() == [4, 4, 3, 3]
    assert progress["n_reached"].tolist() == [5, 4, 4, 3]
    assert progress["drop_off"].tolist() == [1, 0, 1, 0]
    assert progress.loc["consent", "median_time_sec"] == pytest.approx(25.0)
    assert progress.loc["end", "median_time_sec"] == pytest.approx(20.0)
    assert progress.loc["consent", "completion_rate"] == pytest.approx(4 / 5)
    attn = attention_failures(store, study).set_index("check_id")
    assert attn.loc["attn_1", "n_answered"] == 3 and attn.loc["attn_1", "n_failed"] == 1
    summary = fieldwork_summary(store, study).iloc[0]
    assert summary["n_invitations"] == 6 and summary["n_completed"] == 3
    assert summary["response_rate"] == pytest.approx(0.5)
    assert summary["n_started"] == 5
