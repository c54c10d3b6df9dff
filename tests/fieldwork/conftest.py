"""Fixtures of the fieldwork tests: the store on SQLite and PostgreSQL (shared with the
store tests), an encryption key in the environment, and a real SMTP server.

The SMTP server is aiosmtpd on a free local port; it keeps every message it accepts
and refuses the recipients listed in ``refuse`` with a 550 reply, like a mail
server that does not know the address.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy

import pytest

from instruments.fieldwork.contacts import SECRET_KEY_ENV, new_secret_key
from tests.store.conftest import db_url, fake_instrument, pg_server, store  # noqa: F401


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpSink:
    """What the local SMTP server received, and whom it refuses."""

    port: int
    messages: list[tuple[str, list[str], Message]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[Message]:
        return [m for _, rcpt, m in self.messages if address in rcpt]

    def recipients(self) -> list[str]:
        return [r for _, rcpt, _ in self.messages for r in rcpt]

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802
        if address in self.refuse:
            return "550 5.1.1 <" + address + ">: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        msg = message_from_bytes(envelope.original_content, policy=default_policy)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return f"250 2.0.0 Ok: queued as m{len(self.messages)}"


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = new_secret_key()
    monkeypatch.setenv(SECRET_KEY_ENV, key)
    return key
