"""What the mail and invite commands say when the server, the stored settings or a dyad
are at fault (hostile round 11's leftovers), against a real SMTP server (aiosmtpd) and a
port nobody listens on."""

from __future__ import annotations

import pytest

from analysis.errors import DataError
from instruments.fieldwork.contacts import import_contacts
from instruments.fieldwork.invitations import create_study
from instruments.fieldwork.mail import configure_mail, mail_log, mail_settings, send_invitations
from instruments.store import ResponseStore
from instruments.store.mailtables import StudyMailSettings
from tests.fieldwork.conftest import SmtpSink, free_port
from tests.fieldwork.test_mail import BASE, contact_rows


@pytest.fixture
def study(store: ResponseStore, smtp_server: SmtpSink, secret_key: str) -> str:
    create_study(store, "wave1")
    configure_mail(store, "wave1", smtp=smtp_server.url, sender="survey@uni.example",
                   lead_name="Dr. Jana Lehmann", lead_email="lehmann@uni.example",
                   base_url=BASE, rate_per_minute=10_000)
    return "wave1"


def test_an_unreachable_server_is_said_in_words(store: ResponseStore, study: str) -> None:
    """'ConnectionRefusedError: [Errno 111] Connection refused (127.0.0.1:9)' was all the
    log and the command said."""
    import_contacts(store, study, contact_rows(1))
    port = free_port()  # nothing listens there
    run = send_invitations(store, study, smtp=f"smtp://127.0.0.1:{port}")
    assert (run.sent, run.failed) == (0, 2)
    replies = mail_log(store, study)["smtp_reply"].tolist()
    assert replies[0].startswith(f"The mail server 127.0.0.1:{port} refused the connection: "
                                 "check the host and port")
    assert "ConnectionRefusedError" in replies[0]  # the system's own words after ours
    assert replies[1].startswith("not attempted: The mail server")


def test_stored_settings_with_a_line_break_are_refused_before_sending(
        store: ResponseStore, study: str, smtp_server: SmtpSink) -> None:
    """A sender stored with a final line break (before the check used fullmatch) ended
    every send in "internal error (ValueError: Header values may not contain
    linefeed ...)"; nothing is queued now and the message says how to mend it."""
    import_contacts(store, study, contact_rows(1))
    with store.session() as session:
        row = session.query(StudyMailSettings).one()
        row.sender = "survey@uni.example\n"
    with pytest.raises(DataError, match=r"address that is not valid \(sender: "
                                        r"'survey@uni.example\\n'\); store them again"):
        mail_settings(store, study)
    with pytest.raises(DataError, match="store them again"):
        send_invitations(store, study)
    assert mail_log(store, study).empty and not smtp_server.messages


@pytest.mark.parametrize("pair", [("Acme GmbH", "Acme GmbH"), ("Acme  GmbH", "acme gmbh"),
                                  ("Ａｃｍｅ", "Acme")])
def test_a_dyad_of_a_firm_with_itself_is_refused(store: ResponseStore, tmp_path, pair) -> None:
    """invite --from took firm_a == firm_b: each side was told its partner is itself."""
    from instruments.fieldwork.invitations import create_dyad, invitations_from_csv

    create_study(store, "w")
    src = tmp_path / "dyads.csv"
    src.write_text(f"firm_a,firm_b\nBeta AG,Gamma SE\n{pair[0]},{pair[1]}\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 3: firm_a and firm_b name the same firm"):
        invitations_from_csv(store, "w", src)
    with pytest.raises(DataError, match="name the same firm"):
        create_dyad(store, "w", firm_a=pair[0], firm_b=pair[1])
    with store.session() as session:
        from instruments.store.models import Invitation

        assert session.query(Invitation).count() == 0  # nothing created
    assert len(create_dyad(store, "w", firm_a="Acme GmbH", firm_b="Acme AG")) == 2


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_reminder_claims_no_number_of_days(store: ResponseStore, study: str, lang) -> None:
    """'a few days ago we invited you' also went out with --after-days 0 (walk 11)."""
    from instruments.fieldwork.mail import compose

    msg = compose(mail_settings(store, study), kind="reminder", language=lang,
                  to_email="a@b.example", to_name="A", firm="F", partner="P", token="t",
                  optout_token="o")
    text = msg.get_content()
    assert "days ago" not in text and "Tagen" not in text
    assert ("recently we invited you" if lang == "en" else "vor Kurzem haben wir") in text


def test_invite_says_which_parts_of_the_privacy_notice_are_missing(tmp_path, capsys) -> None:
    """Links handed out before the privacy settings were made send respondents to a
    consent page that asks them to write to the study lead to withdraw, and names no one
    (rights audit); invite now says so, and says nothing once they are set."""
    from analysis.cli import main

    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    assert main(["invite", "--study", "s", "--n", "1", "--db", db,
                 "--out", str(tmp_path / "a.csv")]) == 0
    err = capsys.readouterr().err
    assert "the privacy notice respondents read names no controller, contact, purpose, " \
           "legal_basis, retention yet" in err
    assert "--contact" in err and "--legal-basis" in err
    assert main(["privacy", "--study", "s", "--db", db, "--controller", "Uni X",
                 "--contact", "lead@uni.example", "--purpose", "Research on alliances",
                 "--legal-basis", "consent", "--retention", "Until 31 Dec 2030"]) == 0
    capsys.readouterr()
    assert main(["invite", "--study", "s", "--n", "1", "--db", db,
                 "--out", str(tmp_path / "b.csv")]) == 0
    assert "privacy notice" not in capsys.readouterr().err
