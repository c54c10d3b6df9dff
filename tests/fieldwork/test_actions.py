"""The cockpit's per-respondent actions: resend, remind one, exclude from the analysis and
take it back, against a real SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from analysis.errors import DataError
from instruments.fieldwork.actions import (
    exclude_from_analysis,
    exclusion_log,
    include_in_analysis,
    remind_one,
    resend_invitation,
)
from instruments.fieldwork.cockpit import respondent_table
from instruments.fieldwork.contacts import import_contacts
from instruments.fieldwork.invitations import create_study
from instruments.fieldwork.mail import (
    configure_mail,
    mail_log,
    opt_out,
    send_invitations,
    send_reminders,
)
from instruments.store import ResponseStore
from tests.fieldwork.conftest import SmtpSink
from tests.fieldwork.test_mail import BASE, LINK, OPTOUT, contact_rows
from tests.ui.survey_bot import plan_answers


@pytest.fixture
def packaged(db_url: str, smtp_server: SmtpSink, secret_key: str):  # noqa: ANN201
    """A study of the packaged questionnaire with four mailed contacts (two dyads)."""
    from instruments.instrument.loader import load_instrument

    with ResponseStore(db_url, instrument=load_instrument()) as store:
        create_study(store, "wave1")
        configure_mail(store, "wave1", smtp=smtp_server.url, sender="survey@uni.example",
                       lead_name="Dr. Jana Lehmann", lead_email="lehmann@uni.example",
                       base_url=BASE, rate_per_minute=10_000)  # fmt: skip
        import_contacts(store, "wave1", contact_rows(2))
        assert send_invitations(store, "wave1").sent == 4
        yield store


def invitation_of(store: ResponseStore, email: str) -> int:
    table = respondent_table(store, "wave1").set_index("email")
    return int(table.loc[email, "invitation_id"])


def complete(store: ResponseStore, token: str, rng_seed: int) -> None:
    state = store.start(token)
    plan = plan_answers(store, seed=state.seed, rng_seed=rng_seed)
    for spec in store.pages:
        if spec.id in plan:
            result = store.submit_page(token, spec.id, plan[spec.id], submission_key=spec.id)
    assert result.completed


def test_resend_and_remind_one(packaged: ResponseStore, smtp_server: SmtpSink) -> None:
    store = packaged
    first = smtp_server.to("a1@firm1a.example")[0]
    links = {rcpt[0]: LINK.search(m.get_content()).group(1) for _, rcpt, m in smtp_server.messages}
    inv = invitation_of(store, "a1@firm1a.example")
    smtp_server.messages.clear()

    run = resend_invitation(store, "wave1", inv)
    assert run.sent == 1 and smtp_server.recipients() == ["a1@firm1a.example"]
    again = smtp_server.to("a1@firm1a.example")[0]
    assert LINK.search(again.get_content()).group(1) == LINK.search(first.get_content()).group(1)
    # The resend is not a reason for the regular run to mail anybody twice.
    assert send_invitations(store, "wave1").outcomes == []

    # One reminder now, although the schedule (a week) would hold it back.
    assert send_reminders(store, "wave1", after_days=7).sent == 0
    smtp_server.messages.clear()
    assert remind_one(store, "wave1", inv).sent == 1
    assert smtp_server.recipients() == ["a1@firm1a.example"]
    assert smtp_server.messages[0][2]["Subject"].startswith("Reminder:")
    log = mail_log(store, "wave1")
    mine = log[log["email"] == "a1@firm1a.example"]
    assert mine[["kind", "status"]].values.tolist() == [
        ["invitation", "sent"], ["invitation", "sent"], ["reminder", "sent"]]

    # A completed survey gets neither; an opted-out address gets nothing, logged.
    done = invitation_of(store, "b1@firm1b.example")
    complete(store, links["b1@firm1b.example"], 1)
    smtp_server.messages.clear()
    with pytest.raises(DataError, match="gets no invitation: the survey is completed"):
        resend_invitation(store, "wave1", done)
    with pytest.raises(DataError, match="gets no reminder"):
        remind_one(store, "wave1", done)
    opt_out(store, OPTOUT.search(first.get_content()).group(1))
    run = resend_invitation(store, "wave1", inv)
    assert run.sent == 0 and run.count("opted_out") == 1 and smtp_server.messages == []
    with pytest.raises(DataError, match="no invitation #999"):
        resend_invitation(store, "wave1", 999)


def test_exclusion_is_audited_reversible_and_leaves_the_analysis(
    packaged: ResponseStore, smtp_server: SmtpSink, tmp_path
) -> None:  # noqa: ANN001
    from instruments.fieldwork.exports import export_frame, export_wide

    store = packaged
    links = {rcpt[0]: LINK.search(m.get_content()).group(1) for _, rcpt, m in smtp_server.messages}
    for k, email in enumerate(["a1@firm1a.example", "b1@firm1b.example", "a2@firm2a.example"]):
        complete(store, links[email], k)
    inv = invitation_of(store, "b1@firm1b.example")
    rid = int(respondent_table(store, "wave1").set_index("email").loc["b1@firm1b.example",
                                                                      "respondent_id"])
    assert len(store.wide("wave1", completed_only=True)) == 3

    with pytest.raises(DataError, match="Give a reason"):
        exclude_from_analysis(store, "wave1", inv, "   ")
    with pytest.raises(DataError, match="at most 500"):
        exclude_from_analysis(store, "wave1", inv, "x" * 501)
    exclude_from_analysis(store, "wave1", inv, "Straight-lined every matrix", actor="JL")
    with pytest.raises(DataError, match="excluded from the analysis already"):
        exclude_from_analysis(store, "wave1", inv, "twice")

    # Out of the analysis input, still in the store and in the exports with the flag 0.
    analysed = store.wide("wave1", completed_only=True)
    assert len(analysed) == 2 and rid not in set(analysed["respondent_id"])
    assert rid in set(store.wide("wave1", include_excluded=True)["respondent_id"])
    frame = export_frame(store, "wave1").set_index("respondent_id")
    assert frame.loc[rid, "in_analysis"] == 0 and (frame.drop(index=rid)["in_analysis"] == 1).all()
    export_wide(store, "wave1", tmp_path / "w.dta", "dta")
    import pyreadstat

    dta, _ = pyreadstat.read_dta(str(tmp_path / "w.dta"))
    assert dict(zip(dta["respondent_id"], dta["in_analysis"], strict=True))[rid] == 0
    table = respondent_table(store, "wave1").set_index("invitation_id")
    assert not table.loc[inv, "in_analysis"]
    assert table.loc[inv, "exclusion_reason"] == "Straight-lined every matrix"
    assert table.drop(index=inv)["in_analysis"].all()

    # Taken back, with a reason; the log keeps both decisions.
    with pytest.raises(DataError, match="Give a reason"):
        include_in_analysis(store, "wave1", inv, "")
    include_in_analysis(store, "wave1", inv, "Checked the paper notes: answers are real",
                        actor="JL")  # fmt: skip
    assert len(store.wide("wave1", completed_only=True)) == 3
    with pytest.raises(DataError, match="is not excluded"):
        include_in_analysis(store, "wave1", inv, "again")
    log = exclusion_log(store, "wave1")
    assert log[["invitation_id", "reason", "actor"]].values.tolist() == [
        [inv, "Straight-lined every matrix", "JL"]]
    assert log.loc[0, "restored_at"] is not None
    assert log.loc[0, "restore_reason"] == "Checked the paper notes: answers are real (JL)"
    assert respondent_table(store, "wave1").set_index("invitation_id").loc[inv, "in_analysis"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_respondent_command(packaged: ResponseStore, smtp_server: SmtpSink,
                            capsys: pytest.CaptureFixture) -> None:  # fmt: skip
    from analysis.cli import main

    store = packaged
    inv = invitation_of(store, "b2@firm2b.example")
    common = ["respondent", "--study", "wave1", "--db", store.url, "--invitation", str(inv)]
    smtp_server.messages.clear()
    assert main([*common, "--resend"]) == 0
    assert "1 invitation sent" in capsys.readouterr().err
    assert main([*common, "--remind"]) == 0
    assert "1 reminder sent" in capsys.readouterr().err
    assert smtp_server.recipients() == ["b2@firm2b.example"] * 2
    assert main([*common, "--exclude"]) == 2
    assert "need --reason" in capsys.readouterr().err
    assert main([*common, "--exclude", "--reason", "Not a key informant", "--actor", "JL"]) == 0
    assert "excluded from the analysis" in capsys.readouterr().err
    assert main([*common, "--exclude", "--reason", "again"]) == 2
    assert "already" in capsys.readouterr().err
    assert main(["respondent", "--study", "wave1", "--db", store.url, "--log"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("invitation_id,reason,actor")
    assert f"{inv},Not a key informant,JL" in out
    assert main([*common, "--include", "--reason", "Checked"]) == 0
    assert main(["respondent", "--study", "wave1", "--db", store.url, "--resend"]) == 2
    assert "--invitation ID is required" in capsys.readouterr().err
    assert main(["respondent", "--study", "nope", "--db", store.url, "--log"]) == 2


def test_withdrawal_erases_the_contact_entry(packaged: ResponseStore, smtp_server: SmtpSink
                                             ) -> None:  # fmt: skip
    """A withdrawn respondent's address, name and firm had stayed in the contact table;
    they are not needed to keep the invitation unmailed (it is never open again)."""
    from sqlalchemy import select

    from instruments.store.mailtables import Contact
    from instruments.store.rights import withdraw

    store = packaged
    links = {rcpt[0]: LINK.search(m.get_content()).group(1) for _, rcpt, m in smtp_server.messages}
    complete(store, links["a1@firm1a.example"], 1)
    inv = invitation_of(store, "a1@firm1a.example")
    withdraw(store, links["a1@firm1a.example"])
    with store.session() as s:
        row = s.scalars(select(Contact).where(Contact.invitation_id == inv)).one()
        assert (row.email, row.name, row.firm, row.secret) == ("", "", "", "")
        others = s.scalars(select(Contact.email).where(Contact.invitation_id != inv)).all()
    assert "a1@firm1a.example" not in others and len(others) == 3
    assert send_reminders(store, "wave1", after_days=0).sent == 3  # never the withdrawn one
    assert "a1@firm1a.example" not in smtp_server.recipients()[-3:]
    assert mail_log(store, "wave1")["invitation_id"].tolist().count(inv) == 1  # kept
