"""E-mailed invitations and reminders against a real SMTP server (aiosmtpd), on both backends."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from analysis.errors import DataError
from instruments.fieldwork.contacts import contacts_table, import_contacts
from instruments.fieldwork.invitations import check_token, create_study, dyad_status
from instruments.fieldwork.mail import (
    configure_mail,
    mail_counts,
    mail_log,
    opt_out,
    parse_smtp_url,
    send_invitations,
    send_reminders,
)
from instruments.store import ResponseStore
from instruments.store.mailtables import MailLog, StudyMailSettings
from instruments.store.models import utcnow
from tests.fieldwork.conftest import SmtpSink, free_port
from tests.store.fake_instrument import full_response

BASE = "https://survey.example.org"
LINK = re.compile(r"https://survey\.example\.org/\?t=([A-Za-z0-9_-]+)")
OPTOUT = re.compile(r"https://survey\.example\.org/\?optout=([A-Za-z0-9_-]+)")


def contact_rows(n_dyads: int = 10) -> list[dict[str, str]]:
    """Two contacts per alliance; every third alliance answers in German."""
    rows = []
    for k in range(1, n_dyads + 1):
        lang = "de" if k % 3 == 0 else "en"
        for role, firm, partner in (("A", f"Alpha {k} GmbH", f"Beta {k} AG"),
                                    ("B", f"Beta {k} AG", f"Alpha {k} GmbH")):  # fmt: skip
            rows.append({
                "email": f"{role.lower()}{k}@firm{k}{role.lower()}.example", "name": f"Manager {role}{k}",
                "firm": firm, "partner": partner, "alliance_id": f"all-{k:02d}", "role": role,
                "language": lang,
            })  # fmt: skip
    return rows


def body(msg) -> str:  # noqa: ANN001
    return msg.get_content()


def addr(header) -> tuple[str, str]:  # noqa: ANN001
    (address,) = header.addresses
    return address.display_name, address.addr_spec


def complete(store: ResponseStore, token: str, seed: int) -> None:
    answers = full_response(seed)
    for page, values in answers.items():
        store.submit_page(token, page, values, submission_key=page)


@pytest.fixture
def study(store: ResponseStore, smtp_server: SmtpSink, secret_key: str) -> str:
    create_study(store, "wave1")
    configure_mail(store, "wave1", smtp=smtp_server.url, sender="survey@uni.example",
                   lead_name="Dr. Jana Lehmann", lead_email="lehmann@uni.example",
                   base_url=BASE, rate_per_minute=10_000)  # fmt: skip
    return "wave1"


def test_send_remind_optout_end_to_end(
    store: ResponseStore, study: str, smtp_server: SmtpSink
) -> None:
    done = import_contacts(store, study, contact_rows())
    assert (done.n_dyads, done.n_single, len(done.contact_ids)) == (10, 0, 20)
    dyads = dyad_status(store, study)
    assert dyads.loc[0, ["partner_of_a", "partner_of_b"]].tolist() == ["Beta 1 AG", "Alpha 1 GmbH"]

    run = send_invitations(store, study)
    assert (run.sent, run.failed) == (20, 0)
    assert sorted(smtp_server.recipients()) == sorted(r["email"] for r in contact_rows())

    # Headers, language, partner and the link of one English and one German message.
    en = smtp_server.to("a1@firm1a.example")[0]
    assert en["Subject"] == "Your view of the alliance with Beta 1 AG: a short survey"
    assert addr(en["From"]) == ("Dr. Jana Lehmann", "survey@uni.example")
    assert addr(en["To"]) == ("Manager A1", "a1@firm1a.example")
    assert addr(en["Reply-To"]) == ("Dr. Jana Lehmann", "lehmann@uni.example")
    assert en["Content-Language"] == "en" and en["Message-ID"] and en["Date"]
    assert en["List-Unsubscribe"] == f"<{OPTOUT.search(body(en)).group(0)}>"
    assert "Dear Manager A1" in body(en) and "lehmann@uni.example" in body(en)
    de = smtp_server.to("b3@firm3b.example")[0]
    assert de["Subject"] == "Ihre Sicht auf die Allianz mit Alpha 3 GmbH: eine kurze Befragung"
    assert de["Content-Language"] == "de"
    assert "Guten Tag Manager B3" in body(de) and "Ihr persönlicher Link" in body(de)
    # The mailed link opens the right invitation.
    info = check_token(store, LINK.search(body(de)).group(1))
    assert (info.alliance_id, info.firm_role, info.partner_name) == ("all-03", "B", "Alpha 3 GmbH")

    # Sending again mails nobody twice.
    again = send_invitations(store, study)
    assert again.outcomes == [] and len(smtp_server.messages) == 20

    # Five respondents answer through their mailed links.
    tokens = {rcpt[0]: LINK.search(body(m)).group(1) for _, rcpt, m in smtp_server.messages}
    completers = ["a1@firm1a.example", "b1@firm1b.example", "a2@firm2a.example",
                  "b5@firm5b.example", "a7@firm7a.example"]  # fmt: skip
    for seed, email in enumerate(completers, start=1):
        complete(store, tokens[email], seed)
    non_completers = sorted(set(tokens) - set(completers))
    assert len(non_completers) == 15

    smtp_server.messages.clear()
    reminded = send_reminders(store, study, after_days=0, max_reminders=2)
    assert reminded.sent == 15
    assert sorted(smtp_server.recipients()) == non_completers
    assert smtp_server.to("b6@firm6b.example")[0]["Subject"].startswith("Erinnerung:")

    # One non-completer opts out through the link in the reminder.
    leaver = "a4@firm4a.example"
    result = opt_out(store, OPTOUT.search(body(smtp_server.to(leaver)[0])).group(1))
    assert (result.study, result.already) == (study, False)
    smtp_server.messages.clear()
    second = send_reminders(store, study, after_days=0, max_reminders=2)
    assert second.sent == 14 and second.count("opted_out") == 1
    assert leaver not in smtp_server.recipients()
    assert sorted(smtp_server.recipients()) == sorted(set(non_completers) - {leaver})
    # At most two reminders; the opt-out is logged once, not on every run.
    smtp_server.messages.clear()
    third = send_reminders(store, study, after_days=0, max_reminders=2)
    assert third.sent == 0 and smtp_server.messages == []
    log = mail_log(store, study)
    assert (log["status"] == "opted_out").sum() == 1
    assert mail_counts(store, study) == {"queued": 0, "sent": 20 + 15 + 14, "failed": 0,
                                         "opted_out": 1}  # fmt: skip
    table = contacts_table(store, study).set_index("email")
    assert table.loc[leaver, "opted_out"] and table.loc[leaver, "n_reminders"] == 1
    assert table.loc["a1@firm1a.example", "status"] == "completed"
    assert table.loc["b4@firm4b.example", "n_reminders"] == 2
    # Opting out again is harmless.
    assert opt_out(store, OPTOUT.search(body(en)).group(1)).already is False
    with pytest.raises(DataError, match="opt-out link is not valid"):
        opt_out(store, "not-a-token")


def test_reminders_wait_after_days(store: ResponseStore, study: str, smtp_server: SmtpSink) -> None:
    import_contacts(store, study, contact_rows(2))
    send_invitations(store, study)
    smtp_server.messages.clear()
    assert send_reminders(store, study, after_days=3).sent == 0
    later = utcnow() + timedelta(days=3, minutes=1)
    assert send_reminders(store, study, after_days=3, now=later).sent == 4
    # The reminders just sent are the new "last message": nothing is due now ...
    assert send_reminders(store, study, after_days=3).sent == 0
    # ... and with at most one reminder, nothing is due ever again.
    much_later = later + timedelta(days=30)
    assert send_reminders(store, study, after_days=3, max_reminders=1, now=much_later).sent == 0
    assert len(smtp_server.messages) == 4


def test_refused_recipient_is_logged_and_retried_once(
    store: ResponseStore, study: str, smtp_server: SmtpSink
) -> None:
    import_contacts(store, study, contact_rows(2))
    bad = "b2@firm2b.example"
    smtp_server.refuse.add(bad)
    run = send_invitations(store, study)
    assert (run.sent, run.failed) == (3, 1)
    log = mail_log(store, study).set_index("email")
    assert log.loc[bad, "status"] == "failed"
    assert log.loc[bad, "smtp_reply"].startswith("550 5.1.1") and "User unknown" in log.loc[
        bad, "smtp_reply"]  # fmt: skip
    assert log.loc["a1@firm1a.example", "smtp_reply"].startswith("250 2.0.0 Ok: queued as")
    smtp_server.refuse.clear()
    retry = send_invitations(store, study)
    assert (retry.sent, retry.failed) == (1, 0) and retry.outcomes[0].email == bad
    assert sorted(smtp_server.recipients()) == sorted(r["email"] for r in contact_rows(2))


def test_server_down_is_logged_per_invitation_and_retried(
    store: ResponseStore, study: str, smtp_server: SmtpSink
) -> None:
    import_contacts(store, study, contact_rows(2))
    down = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    run = send_invitations(store, study, smtp=down)
    assert (run.sent, run.failed) == (0, 4)
    log = mail_log(store, study)
    assert (log["status"] == "failed").all() and len(log) == 4
    assert log["smtp_reply"].str.contains("Connection refused|ConnectionRefused").all()
    rerun = send_invitations(store, study)
    assert (rerun.sent, rerun.failed) == (4, 0)
    assert len(smtp_server.messages) == 4
    assert send_invitations(store, study).outcomes == []


def test_completed_and_optouts_get_no_invitation(
    store: ResponseStore, study: str, smtp_server: SmtpSink
) -> None:
    import_contacts(store, study, contact_rows(2))
    send_invitations(store, study, contact_ids={1})  # one resend-style single message
    assert smtp_server.recipients() == ["a1@firm1a.example"]
    opt_out(store, OPTOUT.search(body(smtp_server.messages[0][2])).group(1))
    run = send_invitations(store, study)
    assert run.sent == 3 and run.count("opted_out") == 0  # already mailed: not due again
    assert len(smtp_server.messages) == 4


def test_dry_run_sends_and_logs_nothing(
    store: ResponseStore, study: str, smtp_server: SmtpSink
) -> None:
    import_contacts(store, study, contact_rows(2))
    run = send_invitations(store, study, dry_run=True)
    assert run.count("would_send") == 4 and run.sent == 0
    assert "Dry run: 4 invitations would be sent" in run.summary()
    assert smtp_server.messages == [] and len(mail_log(store, study)) == 0


def test_rate_limit_spaces_messages(store: ResponseStore, study: str, smtp_server: SmtpSink) -> None:
    import_contacts(store, study, contact_rows(2))
    start = time.monotonic()
    run = send_invitations(store, study, rate_per_minute=200)  # one per 0.3 s
    elapsed = time.monotonic() - start
    assert run.sent == 4
    assert elapsed >= 3 * 0.3 - 0.01


def test_settings_never_hold_a_password(
    store: ResponseStore, study: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_mail(store, study, smtp="smtp+starttls://mailer@smtp.uni.example:587",
                   sender="survey@uni.example", lead_name="J. Lehmann",
                   lead_email="lehmann@uni.example", base_url=BASE,
                   password_env="WAVE1_SMTP_PASSWORD")  # fmt: skip
    with store.session() as s:
        row = s.scalars(select(StudyMailSettings)).one()
        assert (row.host, row.port, row.security, row.username) == (
            "smtp.uni.example", 587, "starttls", "mailer")
        assert row.password_env == "WAVE1_SMTP_PASSWORD"
    import_contacts(store, study, contact_rows(1))
    monkeypatch.delenv("WAVE1_SMTP_PASSWORD", raising=False)
    with pytest.raises(DataError, match="set the environment variable WAVE1_SMTP_PASSWORD"):
        send_invitations(store, study)
    with store.session() as s:  # refused before anything was queued
        assert s.scalars(select(MailLog)).all() == []
    with pytest.raises(DataError, match="must not contain a password"):
        parse_smtp_url("smtp://user:secret@host:25")
    with pytest.raises(DataError, match="not valid"):
        configure_mail(store, study, smtp="smtp://h:25", sender="nobody", lead_name="",
                       lead_email="x@y.example", base_url="ftp://x")  # fmt: skip


def test_links_need_the_key(
    store: ResponseStore, study: str, monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpSink
) -> None:
    import_contacts(store, study, contact_rows(1))
    send_invitations(store, study, contact_ids={1})
    token = LINK.search(body(smtp_server.messages[0][2])).group(1)
    with store.session() as s:  # the token is nowhere in clear text
        dump = " ".join(str(v) for t in ("contacts", "invitations", "mail_log")
                        for row in s.execute(text(f"SELECT * FROM {t}")) for v in row)  # fmt: skip
    assert token not in dump
    monkeypatch.setenv("ALLIANCE_SURVEY_SECRET_KEY", "A" * 43 + "=")  # a valid key, not this one
    with pytest.raises(DataError, match="not the key"):
        send_invitations(store, study)
    monkeypatch.delenv("ALLIANCE_SURVEY_SECRET_KEY")
    with pytest.raises(DataError, match="ALLIANCE_SURVEY_SECRET_KEY is not set"):
        import_contacts(store, study, contact_rows(1))
    assert len(smtp_server.messages) == 1
