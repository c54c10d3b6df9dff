"""A study lead's fieldwork day against a real SMTP server (aiosmtpd) that misbehaves as
real ones do: defects found on the seventeenth lead walk.

- A server that takes only so many messages per connection answers the next one with
  "421 ... closing connection" (a common limit).  Every such message was logged as
  failed, though nothing of it had been delivered: in a batch of 30 with a limit of 4,
  six invitations failed.  The connection is now opened anew and the message tried once
  more; all 30 go out, each once.
- A connection lost after a message was handed over and before the server confirmed it
  was opened anew and the message sent again: the respondent got the invitation twice
  and the log said "sent" once.  It is now not sent again; it is logged as failed with
  words saying it may have arrived, a later "Send invitations" leaves it alone, and the
  respondent's "Resend the invitation e-mail" sends it knowingly.
- After "Send invitations" with refused recipients the page said "28 invitations sent,
  2 failed" and left the study lead to find the two in a send log of thirty rows; the
  failed addresses are now listed under the message with the server's reply (ten at
  most, the rest counted), with the send log's totals.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from instruments.fieldwork.auth import set_password
from instruments.fieldwork.contacts import contacts_table, import_contacts
from instruments.fieldwork.invitations import create_study
from instruments.fieldwork.mail import (
    UNCONFIRMED,
    configure_mail,
    mail_counts,
    mail_log,
    send_invitations,
    send_reminders,
)
from instruments.store import DB_ENV_VAR, ResponseStore
from tests.fieldwork.conftest import SmtpSink, free_port, secret_key  # noqa: F401
from tests.ui.conftest import APP
from tests.ui.survey_bot import click, open_tab

STUDY = "day17"
PASSWORD = "a long study-lead password"
BASE = "https://survey.example.org"


def contact_csv(n_dyads: int = 15) -> bytes:
    """Both partners of ``n_dyads`` alliances: 2 * n_dyads contacts."""
    lines = ["email,name,firm,partner,alliance_id,role,language"]
    for k in range(1, n_dyads + 1):
        lines.append(f"a{k}@alpha{k}.example,Manager A{k},Alpha {k},Beta {k},d{k:02d},A,en")
        lines.append(f"b{k}@beta{k}.example,Manager B{k},Beta {k},Alpha {k},d{k:02d},B,de")
    return ("\n".join(lines) + "\n").encode()


class FussySink(SmtpSink):
    """An SMTP server that closes a connection with 421 after ``per_connection`` messages,
    or drops it (without a reply) right after it accepted the messages numbered in
    ``drop_after``."""

    def __init__(self, port: int, per_connection: int = 0, drop_after: tuple[int, ...] = ()
                 ) -> None:  # fmt: skip
        super().__init__(port=port)
        self.per_connection = per_connection
        self.drop_after = set(drop_after)
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: ANN001, ANN201, N802
        session.host_name = hostname
        session.taken = 0
        self.connections += 1
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: ANN001, ANN201, N802
        if self.per_connection and session.taken >= self.per_connection:
            # the reply goes out first, then the server hangs up, as a real one does
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.7.0 Too many messages on this connection, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        reply = await super().handle_DATA(server, session, envelope)
        session.taken += 1
        if len(self.messages) in self.drop_after:
            server.transport.close()  # the message is kept; its confirmation is lost
        return reply


@pytest.fixture
def fussy() -> Iterator[Callable[..., FussySink]]:
    from aiosmtpd.controller import Controller

    controllers = []

    def start(**kw) -> FussySink:  # noqa: ANN003
        sink = FussySink(port=free_port(), **kw)
        controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
        controller.start()
        controllers.append(controller)
        return sink

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret_key: str  # noqa: F811
        ) -> Iterator[ResponseStore]:  # fmt: skip
    """An empty store with one study, its password and 30 contacts (15 dyads)."""
    url = f"sqlite:///{tmp_path / 'day.sqlite'}"
    monkeypatch.setenv(DB_ENV_VAR, url)
    with ResponseStore(url) as store:
        create_study(store, STUDY)
        set_password(store, STUDY, PASSWORD)
        done = import_contacts(store, STUDY, contact_csv())
        assert len(done.contact_ids) == 30
        yield store


def _mail_to(store: ResponseStore, sink: SmtpSink) -> None:
    configure_mail(store, STUDY, smtp=sink.url, sender="survey@uni.example",
                   lead_name="Dr. Jana Lehmann", lead_email="lehmann@uni.example",
                   base_url=BASE, rate_per_minute=10_000)  # fmt: skip


def test_a_server_that_closes_with_421_after_some_messages_gets_every_one_once(
    day: ResponseStore, fussy,  # noqa: ANN001
) -> None:
    sink = fussy(per_connection=4)
    _mail_to(day, sink)
    run = send_invitations(day, STUDY)
    assert (run.sent, run.failed) == (30, 0), run.summary()
    received = Counter(sink.recipients())
    assert len(received) == 30 and set(received.values()) == {1}
    assert sink.connections >= 8  # the limit was met: 30 messages over 4 per connection
    assert mail_counts(day, STUDY) == {"queued": 0, "sent": 30, "failed": 0, "opted_out": 0}


def test_a_message_whose_confirmation_was_lost_is_not_sent_twice(
    day: ResponseStore, fussy,  # noqa: ANN001
) -> None:
    sink = fussy(drop_after=(4, 11))
    _mail_to(day, sink)
    run = send_invitations(day, STUDY)
    received = Counter(sink.recipients())
    assert set(received.values()) == {1}, received.most_common(3)  # nobody twice
    assert len(received) == 30  # the two in doubt did arrive; the others went on
    assert (run.sent, run.failed) == (28, 2)
    assert "2 of the failed may have arrived" in run.summary()
    log = mail_log(day, STUDY)
    doubtful = log[log["status"] == "failed"]
    assert len(doubtful) == 2
    assert all(r.startswith(UNCONFIRMED) and "may have been delivered" in r
               for r in doubtful["smtp_reply"])  # fmt: skip
    # the 4th and the 11th message, each to one recipient
    assert sorted(doubtful["email"]) == sorted(sink.recipients()[i] for i in (3, 10))

    # A later "Send invitations" leaves them alone; the lead's resend of one sends it.
    again = send_invitations(day, STUDY)
    assert again.outcomes == [] and len(sink.messages) == 30
    contacts = contacts_table(day, STUDY).set_index("email")
    # the lead's contact table names them for what they are, not "failed"
    assert contacts["invitation_mail"].value_counts().to_dict() == {"sent": 28,
                                                                    "unconfirmed": 2}
    one = int(contacts.loc[doubtful["email"].iloc[0], "contact_id"])
    resent = send_invitations(day, STUDY, contact_ids={one}, resend=True)
    assert resent.sent == 1 and len(sink.messages) == 31
    assert contacts_table(day, STUDY).set_index("email").loc[
        doubtful["email"].iloc[0], "invitation_mail"] == "sent"


def test_a_reminder_goes_only_to_those_invited_and_not_finished(
    day: ResponseStore, fussy,  # noqa: ANN001
) -> None:
    """With a 421 limit on the server, reminders reach every invited contact once (five
    failed before), and not the one whose invitation was never confirmed."""
    sink = fussy(per_connection=3, drop_after=(5,))
    _mail_to(day, sink)
    send_invitations(day, STUDY)
    before = len(sink.messages)
    run = send_reminders(day, STUDY, after_days=0, max_reminders=1)
    assert (run.sent, run.failed) == (29, 0), run.summary()
    reminded = Counter(sink.recipients()[before:])
    assert len(reminded) == 29 and set(reminded.values()) == {1}
    assert sink.recipients()[4] not in reminded


# -- the study lead's page ---------------------------------------------------------------


def _plain(markdown: str) -> str:
    """The text of a message as the study lead reads it (Markdown's escapes removed)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _logged_in_mail_tab() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["admin"] = "1"
    at.run()
    at.text_input(key="admin.login_password").input(PASSWORD)
    click(at, "Log in")
    assert not at.exception, at.exception
    open_tab(at, "Contacts & mail")
    return at


def test_the_page_names_each_refused_recipient_with_the_servers_reply(
    day: ResponseStore, fussy,  # noqa: ANN001
) -> None:
    sink = fussy()
    sink.refuse = {"a3@alpha3.example", "b7@beta7.example"}
    _mail_to(day, sink)
    at = _logged_in_mail_tab()
    at.button(key="admin.send").click().run()
    assert not at.exception, at.exception
    (warning,) = [_plain(w.value) for w in at.warning]
    assert warning.startswith("28 invitations sent, 2 failed, 0 skipped (opted out). In all, "
                              "28 of the 30 contacts on the list have been sent the invitation "
                              "e-mail.")  # fmt: skip
    named = [line for line in warning.splitlines() if line.startswith("- ")]
    assert len(named) == 2
    for address in sink.refuse:
        line = next(x for x in named if x.startswith(f"- {address}: "))
        assert "550 5.1.1" in line and "User unknown" in line
    assert len(sink.messages) == 28


def test_a_long_list_of_failures_is_cut_with_the_rest_counted(
    day: ResponseStore, fussy,  # noqa: ANN001
) -> None:
    """The server refusing the connection outright: 30 failures, ten named, the rest
    counted and pointed to the send log."""
    sink = fussy()
    _mail_to(day, sink)
    configure_mail(day, STUDY, smtp=f"smtp://127.0.0.1:{free_port()}", sender="survey@uni.example",
                   lead_name="Dr. Jana Lehmann", lead_email="lehmann@uni.example",
                   base_url=BASE, rate_per_minute=10_000)  # fmt: skip
    at = _logged_in_mail_tab()
    at.button(key="admin.send").click().run()
    assert not at.exception, at.exception
    (warning,) = [w.value for w in at.warning]
    named = [line for line in _plain(warning).splitlines() if line.startswith("- ")]
    assert len(named) == 11 and named[-1] == "- and 20 more, in the send log below"
    assert all("refused the connection" in line for line in named[:10])
