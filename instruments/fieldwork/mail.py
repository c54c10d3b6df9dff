"""E-mailed invitations and reminders over SMTP, with opt-out and a send log.

Every message goes through the send log (``mail_log``): a ``queued`` row is
committed *before* the message is handed to the SMTP server and becomes ``sent``
(with the server's reply) or ``failed`` (with the reply or the connection error)
afterwards.  A contact with a queued or sent invitation e-mail is never sent it
again, so a run that is repeated -- or that ran twice at the same time -- mails
nobody twice; a failed message is tried again on the next run.  A row left
``queued`` by a run that was killed mid-message is *not* retried: the server may
have accepted it, and a second copy is worse than a missing one (the cockpit
shows it, and the study lead can resend by hand).

Sender settings are kept per study (:func:`configure_mail`); the SMTP password is
never stored: the settings name an environment variable that holds it.  Links are
rebuilt from the encrypted tokens of :mod:`instruments.fieldwork.contacts`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, select

from analysis.errors import DataError, clip
from analysis.io import is_whole_number
from instruments.fieldwork.contacts import _EMAIL, ascii_email, open_secret
from instruments.fieldwork.invitations import _study
from instruments.store.mailtables import (
    SMTP_SECURITY,
    Contact,
    MailLog,
    MailOptout,
    StudyMailSettings,
    is_opted_out,
    optout_digest,
    optout_entries,
)
from instruments.store.models import Invitation, Study, utcnow
from instruments.store.responses import ResponseStore
from instruments.store.tokens import hash_token, link_tokens

#: Environment variable read for the SMTP password when the settings name none.
DEFAULT_PASSWORD_ENV = "ALLIANCE_SURVEY_SMTP_PASSWORD"
#: Messages per minute when the settings give no rate.
DEFAULT_RATE_PER_MINUTE = 60
#: Seconds to wait for the SMTP server.
SMTP_TIMEOUT_SEC = 30.0
#: Invitation statuses that still get mail: not completed, screened out or expired.
OPEN_STATUSES = ("invited", "started")
_SCHEMES = {"smtp": ("none", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}
#: Longest host name the DNS allows (RFC 1035).
MAX_HOST_NAME = 253


# -- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to connect: ``security`` is ``none``, ``starttls`` or ``ssl``."""

    host: str
    port: int
    security: str = "none"
    username: str | None = None

    def __str__(self) -> str:
        scheme = {v[0]: k for k, v in _SCHEMES.items()}[self.security]
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpServer:
    """Parse ``smtp://[user@]host[:port]`` (plain), ``smtp+starttls://`` or ``smtps://`` (SSL).

    A password in the URL is refused: it would end up in the shell history and the
    process list; give it in the environment variable named by the settings.
    """
    if not isinstance(url, str):  # None ended in an internal AttributeError
        raise DataError(f"The SMTP address must be text such as smtp://HOST:PORT, not "
                        f"{type(url).__name__} {clip(url)}.")
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:  # 'smtp://[::1' (an IPv6 address left open)
        raise DataError(f"Cannot read the SMTP address {url[:200]!r} ({exc}); write "
                        "smtp://HOST:PORT, with an IPv6 address in brackets: "
                        "smtp://[::1]:25.") from exc
    if parts.scheme not in _SCHEMES or not parts.hostname:
        raise DataError(
            f"Cannot read the SMTP address {url!r}; write smtp://HOST:PORT (plain), "
            "smtp+starttls://HOST:PORT or smtps://HOST:PORT (SSL), optionally with USER@."
        )
    if parts.password is not None:
        raise DataError(
            "The SMTP address must not contain a password; put it in the environment "
            f"variable named by the mail settings (default {DEFAULT_PASSWORD_ENV})."
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        # 'smtp://host:25/relay?x=1': the rest was dropped without a word
        raise DataError(f"The SMTP address {url[:200]!r} holds more than a server: write "
                        "smtp://HOST:PORT with nothing after the port.")
    # a name longer than any host name is refused by its length (configure_mail, and the
    # command line's check of every setting's length)
    if len(parts.hostname) <= MAX_HOST_NAME and not _is_host_name(parts.hostname):
        # 'smtp://mail server:25' or a host with a control character was stored, and
        # every later --send failed to connect
        raise DataError(f"The server in the SMTP address {url[:200]!r} is not a host name "
                        "or an IP address (letters, digits, '-' and '.' only, no spaces); "
                        "write smtp://HOST:PORT, e.g. smtp://mail.example.org:25.")
    security, default_port = _SCHEMES[parts.scheme]
    # the port as written: ':0' had been taken for "no port" (mail went to port 25) and
    # ':99999' was called "not a number"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    written = netloc.rsplit(":", 1)[1] if ":" in netloc and not netloc.endswith("]") else ""
    if not written:
        port = default_port
    elif not (written.isascii() and written.isdigit()):  # '\uff12\uff15' is no port 25
        raise DataError(f"The port in the SMTP address {url[:200]!r} is not a number.")
    elif not 1 <= int(written) <= 65535:
        raise DataError(f"The port in the SMTP address {url[:200]!r} must lie between 1 and "
                        f"65535, not {int(written)}.")
    else:
        port = int(written)
    user = unquote(parts.username) if parts.username else None
    return SmtpServer(host=parts.hostname, port=port, security=security, username=user)


def _is_host_name(host: str) -> bool:
    """Whether ``host`` (as ``urlsplit`` gives it: lower case, an IPv6 address without its
    brackets) is an IP address or a host name whose labels are letters, digits, '-' and
    '_' (an international name counts in its ASCII form, 'bücher.de' as
    'xn--bcher-kva.de')."""
    import ipaddress

    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return len(ascii_host) <= MAX_HOST_NAME and all(
        0 < len(label) <= 63 and label.replace("-", "").replace("_", "").isalnum()
        and label.isascii() and not label.startswith("-") and not label.endswith("-")
        for label in labels)


@dataclass(frozen=True)
class MailSettings:
    """A study's sender settings (never a password)."""

    server: SmtpServer
    sender: str
    lead_name: str
    lead_email: str
    base_url: str
    sender_name: str | None = None
    password_env: str | None = None
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE


def configure_mail(
    store: ResponseStore,
    study: str,
    *,
    smtp: str,
    sender: str,
    lead_name: str,
    lead_email: str,
    base_url: str,
    sender_name: str | None = None,
    password_env: str | None = None,
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
) -> MailSettings:
    """Store (or replace) the sender settings of a study.

    Parameters
    ----------
    smtp
        ``smtp://host:port``, ``smtp+starttls://user@host:587`` or ``smtps://host:465``.
    sender, sender_name
        The From address and display name.
    lead_name, lead_email
        The study lead's contact, printed in every message and used as Reply-To.
    base_url
        Address of the survey app; links are ``BASE_URL/?t=TOKEN``.
    password_env
        Name of the environment variable that holds the SMTP password (only needed
        with a user name; default ``ALLIANCE_SURVEY_SMTP_PASSWORD``).
    rate_per_minute
        At most this many messages per minute.

    Raises
    ------
    DataError
        Listing every invalid setting.
    """
    server = parse_smtp_url(smtp)
    problems = []
    if len(server.host) > MAX_HOST_NAME:
        problems.append(f"the SMTP server's name has {len(server.host):,} characters; a host "
                        f"name has at most {MAX_HOST_NAME}")
    # a list or a number ended in an internal AttributeError
    for label, value in (("sender", sender), ("lead_email", lead_email),
                         ("password_env", password_env)):
        if value is not None and not isinstance(value, str):
            problems.append(f"{label}= must be text, not {type(value).__name__}")
    if problems:
        raise DataError("The mail settings are not valid: " + "; ".join(problems) + ".")
    sender, lead_email = ascii_email(sender or ""), ascii_email(lead_email or "")
    for label, value in (("sender", sender), ("lead_email", lead_email)):
        if not _EMAIL.fullmatch(value or ""):  # match() took 'a@b.de\n': every send failed
            problems.append(f"{label}= {value!r} is not an e-mail address")
    if not (lead_name or "").strip():
        problems.append("lead_name= is empty")
    from instruments.store.limits import check_text

    # names go into the From: header and every message: a line break would end the header
    # (every later send failed) or smuggle in another one ("Bcc:")
    for label, value in (("lead_name", lead_name), ("sender_name", sender_name)):
        try:
            check_text(value, f"mail_{label}", f"{label}=", required=False)
        except DataError as exc:
            problems.append(str(exc).rstrip("."))
    why = base_url_problem(base_url)
    if why:
        problems.append(f"base_url= {clip(base_url)} {why}")
    # int() had taken 2.5 as 2 and True as 1, and ended in an internal error for NaN or None
    if not is_whole_number(rate_per_minute) or not 1 <= rate_per_minute <= 10_000:
        problems.append(f"rate_per_minute= must be a whole number between 1 and 10000, not "
                        f"{clip(rate_per_minute)}")
    if password_env is not None and not password_env.replace("_", "").isalnum():
        problems.append(f"password_env= {password_env!r} is not an environment variable name")
    if problems:
        raise DataError("The mail settings are not valid: " + "; ".join(problems) + ".")
    settings = MailSettings(
        server=server, sender=sender, lead_name=lead_name.strip(), lead_email=lead_email,
        base_url=base_url.rstrip("/"), sender_name=sender_name or None,
        password_env=password_env or None, rate_per_minute=int(rate_per_minute),
    )  # fmt: skip
    with store.session() as session:
        st = _study(session, study)
        row = session.get(StudyMailSettings, st.id) or StudyMailSettings(study_id=st.id)
        row.host, row.port, row.security = server.host, server.port, server.security
        row.username = server.username
        row.password_env = settings.password_env
        row.sender, row.sender_name = settings.sender, settings.sender_name
        row.lead_name, row.lead_email = settings.lead_name, settings.lead_email
        row.base_url, row.rate_per_minute = settings.base_url, settings.rate_per_minute
        row.updated_at = utcnow()
        session.add(row)
    return settings


def mail_settings(store: ResponseStore, study: str) -> MailSettings:
    """Return the sender settings of a study.

    Raises
    ------
    DataError
        If none have been stored yet.
    """
    with store.session() as session:
        st = _study(session, study)
        row = session.get(StudyMailSettings, st.id)
        if row is None:
            raise DataError(
                f"Study {study!r} has no mail settings yet; set them with 'alliance-survey "
                "mail --study NAME --configure --smtp URL --sender ADDRESS --lead-name NAME "
                "--lead-email ADDRESS --base-url URL' or in the app's study cockpit, tab "
                "'Contacts & mail'."
            )
        if row.security not in SMTP_SECURITY:  # pragma: no cover - the database refuses it
            raise DataError(f"Unknown SMTP security {row.security!r}.")
        # settings stored before the addresses were checked in full ('a@b.de' and a line
        # break) ended every send in an internal error from the mail header
        bad = [label for label, value in (("sender", row.sender), ("lead_email", row.lead_email))
               if not _EMAIL.fullmatch(str(value or ""))]
        if bad:
            raise DataError(
                f"The stored mail settings of study {study!r} have an address that is not "
                f"valid ({', '.join(bad)}: {', '.join(repr(getattr(row, b)) for b in bad)}); "
                "store them again with 'alliance-survey mail --study NAME --configure ...' "
                "or in the app's study cockpit, tab 'Contacts & mail'.")
        return MailSettings(
            server=SmtpServer(row.host, row.port, row.security, row.username),
            sender=row.sender, lead_name=row.lead_name, lead_email=row.lead_email,
            base_url=row.base_url, sender_name=row.sender_name,
            password_env=row.password_env, rate_per_minute=row.rate_per_minute,
        )  # fmt: skip


# -- templates --------------------------------------------------------------------------------

TEMPLATES: dict[tuple[str, str], tuple[str, str]] = {
    ("invitation", "en"): (
        "Your view of the alliance with {partner}: a short survey",
        "Dear {name},\n\n"
        "we are studying how firms learn together in strategic alliances and how they\n"
        "depend on each other. You know the alliance of {firm} with {partner} well, and\n"
        "we would value your view of it. The questionnaire takes about 20 minutes; you\n"
        "can stop at any time and continue later with the same link.\n\n"
        "Your personal link (please do not forward it):\n{link}\n\n"
        "Your answers are used for research only and reported only in aggregate.\n"
        "Questions? Write to {lead_name} <{lead_email}>.\n\n"
        "With thanks,\n{lead_name}\n\n"
        "--\nNo more e-mails about this survey: {optout_link}\n",
    ),
    ("reminder", "en"): (
        "Reminder: your view of the alliance with {partner}",
        "Dear {name},\n\n"
        "recently we invited you to a short survey on the alliance of {firm} with\n"
        "{partner}. If you have not found the time yet, we would be glad if you could\n"
        "answer now; if you have started, the link takes you back to where you stopped.\n\n"
        "Your personal link:\n{link}\n\n"
        "Questions? Write to {lead_name} <{lead_email}>.\n\n"
        "With thanks,\n{lead_name}\n\n"
        "--\nNo more e-mails about this survey: {optout_link}\n",
    ),
    ("invitation", "de"): (
        "Ihre Sicht auf die Allianz mit {partner}: eine kurze Befragung",
        "Guten Tag {name},\n\n"
        "wir untersuchen, wie Unternehmen in strategischen Allianzen gemeinsam lernen und\n"
        "voneinander abhängen. Sie kennen die Allianz von {firm} mit {partner} gut, und\n"
        "Ihre Einschätzung ist uns wichtig. Der Fragebogen dauert etwa 20 Minuten; Sie\n"
        "können jederzeit unterbrechen und später mit demselben Link weitermachen.\n\n"
        "Ihr persönlicher Link (bitte nicht weitergeben):\n{link}\n\n"
        "Ihre Antworten dienen nur der Forschung und werden nur zusammengefasst berichtet.\n"
        "Fragen? Schreiben Sie an {lead_name} <{lead_email}>.\n\n"
        "Vielen Dank,\n{lead_name}\n\n"
        "--\nKeine weiteren E-Mails zu dieser Befragung: {optout_link}\n",
    ),
    ("reminder", "de"): (
        "Erinnerung: Ihre Sicht auf die Allianz mit {partner}",
        "Guten Tag {name},\n\n"
        "vor Kurzem haben wir Sie zu einer kurzen Befragung über die Allianz von\n"
        "{firm} mit {partner} eingeladen. Falls Sie noch keine Zeit dafür hatten, freuen\n"
        "wir uns, wenn Sie jetzt antworten; haben Sie schon begonnen, führt der Link Sie\n"
        "dorthin zurück, wo Sie aufgehört haben.\n\n"
        "Ihr persönlicher Link:\n{link}\n\n"
        "Fragen? Schreiben Sie an {lead_name} <{lead_email}>.\n\n"
        "Vielen Dank,\n{lead_name}\n\n"
        "--\nKeine weiteren E-Mails zu dieser Befragung: {optout_link}\n",
    ),
}
#: How a message names the partner when the invitation names none.
_NO_PARTNER = {"en": "your alliance partner", "de": "Ihrem Allianzpartner"}


def base_url_problem(value: object) -> str | None:
    """Why ``value`` cannot be the survey's base address, or ``None``.

    Every link is ``BASE_URL/?t=TOKEN``: the address must be http(s) with a host, and
    hold no space, quote, angle bracket, backslash, query or fragment (they end or break
    the link in a mail), nor an invisible character -- a control, a zero-width space or a
    direction control (U+202E), which makes the link read otherwise than it leads.  The
    command line (``--base-url``) and the study lead's page use this one check.
    """
    import unicodedata
    from urllib.parse import urlsplit

    if not isinstance(value, str):
        return "must be text"
    try:
        parts = urlsplit(value)
    except ValueError:
        return "is not a web address"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "must start with http:// or https:// and name the host"
    if parts.query or parts.fragment:
        return "must not hold '?' or '#' (links are BASE_URL/?t=TOKEN)"
    if "@" in parts.netloc:
        # https://user:pw@host/ would put the credentials into every respondent's link
        return "must not hold a user name or password before the host ('user:pw@host')"
    try:
        port = parts.port  # ':99999' and ':abc' made every link lead nowhere
    except ValueError:
        port = 0
    if port == 0:
        return "has a port that is not a number from 1 to 65535"
    for c in value:
        if c.isspace() or c in "\"'<>\\":
            return f"must not hold spaces, quotes, angle brackets or backslashes ({c!r})"
        if unicodedata.category(c) in ("Cc", "Cf"):
            return (f"holds an invisible character (U+{ord(c):04X}), which makes the link "
                    "read otherwise than it leads")
    return None


def _link_parts(base_url: object, token: object, name: str) -> None:
    """Refuse a base URL or a token that is not non-empty text (None made the link
    'https://survey.example.org/?t=None', a number an internal AttributeError)."""
    for label, value in (("base_url=", base_url), (f"{name}=", token)):
        if not isinstance(value, str) or not value.strip():
            raise DataError(f"{label} of a survey link must be non-empty text, not "
                            f"{type(value).__name__} {clip(value, 60)}.")


def survey_link(base_url: str, token: str) -> str:
    """The personal survey link ``BASE_URL/?t=TOKEN``.

    Raises
    ------
    DataError
        If ``base_url`` or ``token`` is not non-empty text.
    """
    _link_parts(base_url, token, "token")
    return f"{base_url.rstrip('/')}/?t={token}"


def optout_link(base_url: str, optout_token: str) -> str:
    """The link that stops further mail: ``BASE_URL/?optout=TOKEN``.

    Raises
    ------
    DataError
        If ``base_url`` or ``optout_token`` is not non-empty text.
    """
    _link_parts(base_url, optout_token, "optout_token")
    return f"{base_url.rstrip('/')}/?optout={optout_token}"


def compose(
    settings: MailSettings,
    *,
    kind: str,
    language: str,
    to_email: str,
    to_name: str,
    firm: str,
    partner: str | None,
    token: str,
    optout_token: str,
) -> EmailMessage:
    """Build one invitation or reminder (plain text, UTF-8) in the contact's language.

    Languages without a template get the English one.
    """
    lang = language if (kind, language) in TEMPLATES else "en"
    subject, body = TEMPLATES[(kind, lang)]
    values = {
        "name": to_name, "firm": firm, "partner": partner or _NO_PARTNER[lang],
        "link": survey_link(settings.base_url, token),
        "optout_link": optout_link(settings.base_url, optout_token),
        "lead_name": settings.lead_name, "lead_email": settings.lead_email,
    }  # fmt: skip
    msg = EmailMessage(policy=SMTP_POLICY)

    def one_line(name: str) -> str:
        # names stored before line breaks were refused (configure_mail) would end the
        # header: every send had stopped on them
        return " ".join(str(name).split())

    msg["From"] = formataddr((one_line(settings.sender_name or settings.lead_name),
                              settings.sender))  # fmt: skip
    msg["To"] = formataddr((one_line(to_name), to_email))
    msg["Reply-To"] = formataddr((one_line(settings.lead_name), settings.lead_email))
    msg["Subject"] = subject.format(**values)
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[1])
    msg["List-Unsubscribe"] = f"<{values['optout_link']}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body.format(**values), charset="utf-8")
    msg["Content-Language"] = lang  # after set_content, which resets the Content-* headers
    return msg


# -- opt-out ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptOut:
    """The result of an opt-out link: the study and the contact's language; whether the
    survey link of the invitation still opens the questionnaire (not once it is completed,
    withdrawn, screened out or expired)."""

    study: str
    language: str
    already: bool
    survey_open: bool = True


def opt_out(store: ResponseStore, optout_token: str | Sequence[str] | None) -> OptOut:
    """Stop all further mail of a study to the address of an opt-out link.

    ``optout_token`` is the link's ``optout=`` value, or all of them (``st.query_params
    .get_all``): a link pasted twice can carry two.  The one value that belongs to a
    contact is used; values of two different addresses are refused with nothing
    changed, since either could be someone else's (the app used the last value only,
    and opted out whichever address it named).

    Opening the link twice is harmless (``already`` is then true).  The survey link
    itself keeps working: opting out of mail is not withdrawing from the study.

    Raises
    ------
    DataError
        If the link is not a valid opt-out link, or names two different addresses.
    """
    if not (optout_token is None or isinstance(optout_token, str | list | tuple)):
        # a number ended in "'int' object is not iterable"
        raise DataError(f"The opt-out link's value must be text, not "
                        f"{type(optout_token).__name__}.")
    values = [optout_token] if optout_token is None or isinstance(optout_token, str) \
        else list(optout_token)
    tokens = link_tokens(values)
    with store.session() as session:
        found = {}
        for token in tokens:
            match = session.scalars(
                select(Contact).where(Contact.optout_hash == hash_token(token))
            ).one_or_none()
            if match is not None:
                found[(match.study_id, match.email.lower())] = match
        if len(found) > 1:
            raise DataError(
                "This opt-out link contains two different codes, so we cannot tell which "
                "address should get no further e-mails; nothing was changed. Please open "
                "the link exactly as it appears in the e-mail, or write to the study team."
            )
        contact = next(iter(found.values()), None)
        if contact is None:
            raise DataError(
                "This opt-out link is not valid. Please use the whole link from the e-mail, "
                "or write to the study team."
            )
        study = session.get(Study, contact.study_id).name
        invitation = session.get(Invitation, contact.invitation_id)
        survey_open = invitation is not None and invitation.status in OPEN_STATUSES and (
            invitation.expires_at is None or invitation.expires_at > utcnow())
        email = contact.email.lower()
        if not email:
            # erased with the answers at a withdrawal: no mail goes to a withdrawn invitation,
            # and an empty address put on the opt-out list told the next withdrawn
            # respondent to open the link that they had "already asked" for no more mail
            return OptOut(study=study, language=contact.language, already=False,
                          survey_open=False)  # fmt: skip
        exists = session.scalars(
            select(MailOptout.id).where(
                MailOptout.study_id == contact.study_id,
                MailOptout.email.in_([email, optout_digest(contact.study_id, email)]),
            )
        ).first()
        if exists is None:
            session.add(MailOptout(study_id=contact.study_id, email=email, created_at=utcnow()))
        return OptOut(study=study, language=contact.language, already=exists is not None,
                      survey_open=survey_open)  # fmt: skip


# -- sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailOutcome:
    """One message of a run: to whom, what happened, and the server's reply."""

    contact_id: int
    invitation_id: int
    email: str
    kind: str
    status: str  # sent, failed, opted_out, or would_send in a dry run
    reply: str | None = None


@dataclass
class MailRun:
    """The outcome of :func:`send_invitations` or :func:`send_reminders`."""

    kind: str
    dry_run: bool
    outcomes: list[MailOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many messages ended in ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def sent(self) -> int:
        return self.count("sent")

    @property
    def failed(self) -> int:
        return self.count("failed")

    def summary(self) -> str:
        """A one-line, plural-correct summary for the study lead."""
        def n(k: int, word: str) -> str:
            return f"{k} {word}" + ("" if k == 1 else "s")

        noun = "invitation" if self.kind == "invitation" else "reminder"
        if self.dry_run:
            return (f"Dry run: {n(self.count('would_send'), noun)} would be sent; "
                    f"{self.count('opted_out')} opted out. Nothing was sent or logged.")  # fmt: skip
        line = (f"{n(self.sent, noun)} sent, {self.failed} failed, "
                f"{self.count('opted_out')} skipped (opted out).")  # fmt: skip
        unsure = sum(1 for o in self.outcomes
                     if unconfirmed(o.status, o.reply))
        if unsure:
            line += (f" {unsure} of the failed may have arrived all the same: the mail server "
                     "closed the connection before confirming "
                     f"{'it' if unsure == 1 else 'them'}, so "
                     f"{'it is' if unsure == 1 else 'they are'} not sent again by itself.")
        return line


class _Connection:
    """One SMTP connection for a run, opened on first use, reopened once if dropped."""

    def __init__(self, server: SmtpServer, password: str | None) -> None:
        self.server = server
        self.password = password
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.server
        if s.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=SMTP_TIMEOUT_SEC, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT_SEC)
        try:
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, sender: str, recipient: str, msg: EmailMessage) -> tuple[bool, str]:
        """Send one message; return (accepted, the server's reply).

        A connection the server dropped before the message went out, or closed with a
        421 reply (many servers take only so many messages per connection), is opened
        anew and the message tried once more: nothing of it was delivered.  A connection
        lost after the message was handed over is not tried again, since the server may
        have delivered it; the message counts as failed, with words that say so.
        """
        data = msg.as_bytes(policy=SMTP_POLICY)
        for attempt in (1, 2):
            if self.smtp is None:
                self.smtp = self._open()
            try:
                ok, reply = self._transaction(self.smtp, sender, recipient, data)
            except smtplib.SMTPServerDisconnected as exc:
                self.close()
                if getattr(exc, "handed_over", False):
                    return False, unconfirmed_words(self.server)
                if attempt == 2:
                    raise
                continue
            if ok or not reply.startswith("421 ") or attempt == 2:
                return ok, reply
            self.close()  # the server closes after 421 (refused, not delivered): anew
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _transaction(
        smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes
    ) -> tuple[bool, str]:
        # The envelope step by step, so that the server's own reply (e.g. "250 queued
        # as X" or "550 no such user") is what the send log keeps.
        steps = (("mail", lambda: smtp.mail(sender)), ("rcpt", lambda: smtp.rcpt(recipient)),
                 ("data", lambda: smtp.data(data)))  # fmt: skip
        for name, step in steps:
            try:
                code, text = step()
            except smtplib.SMTPResponseException as exc:  # DATA refused before the body
                code, text = exc.smtp_code, exc.smtp_error
            except smtplib.SMTPServerDisconnected as exc:
                # lost during DATA: the body may have reached the server before the
                # reply was lost, so the message cannot be sent again blindly
                exc.handed_over = name == "data"  # type: ignore[attr-defined]
                raise
            reply = f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
            if not 200 <= code < 300:
                try:
                    smtp.rset()
                except smtplib.SMTPServerDisconnected:
                    pass
                return False, reply
        return True, reply

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


def _password(settings: MailSettings, password: str | None) -> str | None:
    if password is not None or not settings.server.username:
        return password
    var = settings.password_env or DEFAULT_PASSWORD_ENV
    value = os.environ.get(var)
    if not value:
        raise DataError(
            f"The SMTP server needs a password for {settings.server.username!r}; set the "
            f"environment variable {var}. It is never stored or printed."
        )
    return value


@dataclass(frozen=True)
class _Due:
    contact_id: int
    invitation_id: int
    email: str


def _optouts(session: Any, study_id: int) -> set[str]:
    # addresses, and the digests that replace them when a respondent's data are erased
    return optout_entries(session, study_id)


def _due(
    session: Any, study_id: int, kind: str, now: datetime, after_days: float, max_reminders: int,
    only: set[int] | None = None, resend: bool = False,
) -> list[_Due]:
    """Contacts due for a message of ``kind`` (opted-out ones included; the caller logs them).

    ``resend``: an invitation is due again even if one was sent (the study lead's resend
    of one contact), but never while another message to the contact is queued.
    """
    contacts = (
        select(Contact.id, Contact.invitation_id, Contact.email)
        .join(Invitation, Contact.invitation_id == Invitation.id)
        .where(Contact.study_id == study_id, Invitation.status.in_(OPEN_STATUSES))
        .order_by(Contact.id)
    )
    entries_q = select(MailLog).where(MailLog.study_id == study_id).order_by(MailLog.id)
    if only is not None:  # one contact per message when queueing: read only its rows
        contacts = contacts.where(Contact.id.in_(sorted(only)))
        entries_q = entries_q.where(MailLog.contact_id.in_(sorted(only)))
    rows = session.execute(contacts).all()
    logs: dict[int, list[MailLog]] = {}
    for entry in session.scalars(entries_q):
        logs.setdefault(entry.contact_id, []).append(entry)
    due = []
    for cid, iid, email in rows:
        entries = logs.get(cid, [])
        live = [e for e in entries if e.status in ("queued", "sent")]
        if kind == "invitation":
            if resend:
                if any(e.status == "queued" for e in live):
                    continue
            elif any(e.kind == "invitation" for e in live) or any(
                    e.kind == "invitation" and unconfirmed(e.status, e.smtp_reply)
                    for e in entries):
                continue  # sent, queued, or perhaps delivered: only a resend sends it again
        else:
            if not any(e.kind == "invitation" and e.status == "sent" for e in entries):
                continue  # never invited by mail: nothing to remind of
            if any(e.status == "queued" for e in live):
                continue
            if sum(1 for e in live if e.kind == "reminder") >= max_reminders:
                continue
            last = max(e.updated_at for e in live)
            if last > now - timedelta(days=after_days):
                continue
        due.append(_Due(cid, iid, email))
    return due


def _run(
    store: ResponseStore,
    study: str,
    kind: str,
    *,
    after_days: float = 0.0,
    max_reminders: int = 1,
    smtp: str | None = None,
    dry_run: bool = False,
    password: str | None = None,
    rate_per_minute: int | None = None,
    now: datetime | None = None,
    only: set[int] | None = None,
    resend: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> MailRun:
    if not isinstance(dry_run, bool):  # 'no' is a true value: the run was a dry one
        raise DataError(f"dry_run= must be True or False, not {clip(dry_run)}.")
    if rate_per_minute is not None and not is_whole_number(rate_per_minute):
        # NaN ended in an internal ValueError; 2.5 was taken as 2
        raise DataError(f"rate_per_minute= must be a whole number of messages, not "
                        f"{clip(rate_per_minute)}.")
    settings = mail_settings(store, study)
    if smtp:
        settings = dataclasses.replace(settings, server=parse_smtp_url(smtp))
    rate = int(rate_per_minute or settings.rate_per_minute)
    if rate < 1:
        raise DataError("The rate limit must be at least one message per minute.")
    now = now or utcnow()
    with store.session() as session:
        st = _study(session, study)
        study_id = st.id
        due = _due(session, study_id, kind, now, after_days, max_reminders, only, resend)
        opted = _optouts(session, study_id)
    run = MailRun(kind=kind, dry_run=dry_run)
    if not due:
        return run
    secret_password = None if dry_run else _password(settings, password)
    conn = _Connection(settings.server, secret_password)
    interval = 60.0 / rate
    last_sent: float | None = None
    down: str | None = None  # the connection error once the server proved unreachable
    try:
        for item in due:
            if is_opted_out(opted, study_id, item.email):
                if not dry_run:
                    _log_optout(store, study_id, item, kind)
                run.outcomes.append(MailOutcome(item.contact_id, item.invitation_id,
                                                item.email, kind, "opted_out"))  # fmt: skip
                continue
            msg = _message(store, settings, item, kind)  # decrypts: fails early without a key
            if dry_run:
                run.outcomes.append(MailOutcome(item.contact_id, item.invitation_id, item.email,
                                                kind, "would_send", str(msg["Subject"])))  # fmt: skip
                continue
            if down is not None:
                log_id = _queue(store, study_id, item, kind, msg, now, after_days, max_reminders,
                                resend)
                if log_id is not None:
                    _finish(store, log_id, "failed", f"not attempted: {down}")
                    run.outcomes.append(MailOutcome(item.contact_id, item.invitation_id,
                                                    item.email, kind, "failed", down))  # fmt: skip
                continue
            if last_sent is not None:
                wait = interval - (time.monotonic() - last_sent)
                if wait > 0:
                    sleep(wait)
            log_id = _queue(store, study_id, item, kind, msg, now, after_days, max_reminders,
                            resend)
            if log_id is None:  # another run took it meanwhile
                continue
            last_sent = time.monotonic()
            try:
                ok, reply = conn.send(settings.sender, item.email, msg)
            except (smtplib.SMTPException, OSError) as exc:
                reply = connection_words(exc, settings.server)
                down = reply
                ok = False
                conn.close()
            _finish(store, log_id, "sent" if ok else "failed", reply)
            run.outcomes.append(MailOutcome(item.contact_id, item.invitation_id, item.email,
                                            kind, "sent" if ok else "failed", reply))  # fmt: skip
    finally:
        conn.close()
    return run


#: The start of the send log's reply for a message whose fate is unknown: the connection
#: was lost after the message was handed over.  A later "Send invitations" leaves it
#: alone (the respondent may have it); a resend from the respondent's actions sends it.
UNCONFIRMED = "Not confirmed"


def unconfirmed(status: str, reply: str | None) -> bool:
    """Whether a send-log entry (or a run's outcome) is a message whose delivery is
    unknown: kept as ``failed``, its reply starting with :data:`UNCONFIRMED`."""
    return status == "failed" and (reply or "").startswith(UNCONFIRMED)


def unconfirmed_words(server: SmtpServer) -> str:
    """The send log's reply for a message handed over on a connection lost before the
    server confirmed it."""
    return (f"{UNCONFIRMED}: the mail server {server.host}:{server.port} closed the "
            "connection after the message was handed over and before confirming it, so it "
            "may have been delivered. It is not sent again by itself; ask the respondent or "
            "resend it from the respondent's actions.")


def connection_words(exc: BaseException, server: SmtpServer) -> str:
    """What went wrong with the mail server, in words, with the system's own text after
    it (``ConnectionRefusedError: [Errno 111] Connection refused`` alone said little)."""
    import socket

    where = f"{server.host}:{server.port}"
    if isinstance(exc, ConnectionRefusedError):
        words = (f"The mail server {where} refused the connection: check the host and port "
                 "of the SMTP address and that the server is running")
    elif isinstance(exc, socket.gaierror):
        words = f"The mail server name {server.host!r} could not be found: check the SMTP address"
    elif isinstance(exc, TimeoutError | socket.timeout):
        words = f"The mail server {where} did not answer within {SMTP_TIMEOUT_SEC:g} s"
    elif isinstance(exc, smtplib.SMTPAuthenticationError):
        words = f"The mail server {where} refused the user name or password"
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        words = f"The mail server {where} closed the connection"
    elif isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException):
        words = f"The mail server {where} could not be reached"
    else:
        words = f"The mail server {where} refused the message"
    return f"{words} ({type(exc).__name__}: {exc})."


def _message(store: ResponseStore, settings: MailSettings, item: _Due, kind: str) -> EmailMessage:
    with store.session() as session:
        contact = session.get(Contact, item.contact_id)
        inv = session.get(Invitation, item.invitation_id)
        secret = open_secret(contact.secret)
        return compose(
            settings, kind=kind, language=inv.language, to_email=contact.email,
            to_name=contact.name, firm=contact.firm, partner=inv.partner_name,
            token=secret.token, optout_token=secret.optout_token,
        )  # fmt: skip


def _queue(
    store: ResponseStore, study_id: int, item: _Due, kind: str, msg: EmailMessage,
    now: datetime, after_days: float, max_reminders: int, resend: bool = False,
) -> int | None:
    """Commit a ``queued`` row unless, checked again under a lock, the message is no longer due."""
    with store.session() as session:
        # Lock the contact row so that two runs at the same time cannot both queue it
        # (SQLite serialises writers with BEGIN IMMEDIATE already).
        session.execute(
            select(Contact.id).where(Contact.id == item.contact_id).with_for_update()
        ).one()
        still = _due(session, study_id, kind, now, after_days, max_reminders, {item.contact_id},
                     resend)
        if not still or is_opted_out(_optouts(session, study_id), study_id, item.email):
            return None
        stamp = utcnow()
        entry = MailLog(
            study_id=study_id, contact_id=item.contact_id, invitation_id=item.invitation_id,
            kind=kind, status="queued", message_id=str(msg["Message-ID"]),
            created_at=stamp, updated_at=stamp,
        )  # fmt: skip
        session.add(entry)
        session.flush()
        return entry.id


def _finish(store: ResponseStore, log_id: int, status: str, reply: str | None) -> None:
    with store.session() as session:
        entry = session.get(MailLog, log_id)
        entry.status = status
        entry.smtp_reply = (reply or "")[:2000] or None
        entry.updated_at = utcnow()


def _log_optout(store: ResponseStore, study_id: int, item: _Due, kind: str) -> None:
    """Log a suppressed message once per opt-out (not again on every later run)."""
    with store.session() as session:
        last = session.scalars(
            select(MailLog.status)
            .where(MailLog.contact_id == item.contact_id)
            .order_by(MailLog.id.desc())
        ).first()
        if last == "opted_out":
            return
        stamp = utcnow()
        session.add(MailLog(
            study_id=study_id, contact_id=item.contact_id, invitation_id=item.invitation_id,
            kind=kind, status="opted_out", smtp_reply=None, created_at=stamp, updated_at=stamp,
        ))  # fmt: skip


def send_invitations(
    store: ResponseStore,
    study: str,
    *,
    smtp: str | None = None,
    dry_run: bool = False,
    password: str | None = None,
    rate_per_minute: int | None = None,
    contact_ids: set[int] | None = None,
    resend: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> MailRun:
    """E-mail the personal link to every contact not yet sent one.

    Contacts whose invitation e-mail was sent (or is queued) are skipped, so the
    call can be repeated safely; failed messages are tried again, except one handed
    over on a connection lost before the server confirmed it (it may have arrived; its
    log entry says so and only a resend with ``contact_ids`` sends it again).  Completed,
    screened-out and expired invitations get nothing; opted-out addresses are logged
    as ``opted_out`` and get nothing.

    Parameters
    ----------
    store, study
        The store and the study name (with mail settings, see :func:`configure_mail`).
    smtp
        Another SMTP address for this run (``smtp://host:port``); default the settings'.
    dry_run
        Only list who would get a message; nothing is sent or logged.
    password
        SMTP password; default the environment variable named in the settings.
    rate_per_minute
        Override the settings' rate limit.
    contact_ids
        Only these contacts (e.g. one resend from the cockpit).
    resend
        Mail the invitation again to contacts that had it already (with
        ``contact_ids``: the cockpit's resend).

    Returns
    -------
    MailRun
    """
    if resend and contact_ids is None:
        raise DataError("A resend names its contacts (contact_ids=); mailing every invitation "
                        "again is not offered.")  # fmt: skip
    return _run(store, study, "invitation", smtp=smtp, dry_run=dry_run, password=password,
                rate_per_minute=rate_per_minute, only=contact_ids, resend=resend,
                sleep=sleep)  # fmt: skip


def send_reminders(
    store: ResponseStore,
    study: str,
    *,
    after_days: float = 7.0,
    max_reminders: int = 2,
    smtp: str | None = None,
    dry_run: bool = False,
    password: str | None = None,
    rate_per_minute: int | None = None,
    now: datetime | None = None,
    contact_ids: set[int] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> MailRun:
    """Remind contacts who have not completed the survey.

    A contact is reminded when its invitation e-mail was sent, the invitation is
    still open (invited or started), its last message is at least ``after_days``
    old, it has had fewer than ``max_reminders`` reminders, and it has not opted out.
    """
    # NaN days reminded no one without a word and '7' ended in an internal TypeError;
    # 2.5 or NaN reminders were compared as they were
    if (isinstance(after_days, bool) or not isinstance(after_days, numbers.Real)
            or math.isnan(after_days)):
        raise DataError(f"after_days= must be a number of days, not {clip(after_days)}.")
    if after_days < 0:
        raise DataError("after_days= must not be negative.")
    if not is_whole_number(max_reminders):
        raise DataError(f"max_reminders= must be a whole number, not {clip(max_reminders)}.")
    if max_reminders < 1:
        raise DataError("max_reminders= must be at least 1.")
    return _run(store, study, "reminder", after_days=after_days, max_reminders=max_reminders,
                smtp=smtp, dry_run=dry_run, password=password, rate_per_minute=rate_per_minute,
                now=now, only=contact_ids, sleep=sleep)  # fmt: skip


def mail_log(store: ResponseStore, study: str) -> Any:
    """The send log of a study as a DataFrame (one row per message, oldest first).

    Columns: ``log_id``, ``contact_id``, ``invitation_id``, ``email``, ``kind``,
    ``status``, ``smtp_reply``, ``message_id``, ``created_at``, ``updated_at``.
    """
    import pandas as pd

    with store.session() as session:
        st = _study(session, study)
        rows = session.execute(
            select(MailLog.id, MailLog.contact_id, MailLog.invitation_id, Contact.email,
                   MailLog.kind, MailLog.status, MailLog.smtp_reply, MailLog.message_id,
                   MailLog.created_at, MailLog.updated_at)
            .join(Contact, MailLog.contact_id == Contact.id)
            .where(MailLog.study_id == st.id)
            .order_by(MailLog.id)
        ).all()  # fmt: skip
    columns = ["log_id", "contact_id", "invitation_id", "email", "kind", "status", "smtp_reply",
               "message_id", "created_at", "updated_at"]  # fmt: skip
    return pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)


def mail_counts(store: ResponseStore, study: str) -> dict[str, int]:
    """Messages per final state (``sent``, ``failed``, ``queued``, ``opted_out``)."""
    with store.session() as session:
        st = _study(session, study)
        rows = session.execute(
            select(MailLog.status, func.count(MailLog.id))
            .where(MailLog.study_id == st.id)
            .group_by(MailLog.status)
        ).all()
    out = {s: 0 for s in ("queued", "sent", "failed", "opted_out")}
    out.update({status: int(n) for status, n in rows})
    return out


__all__ = [
    "DEFAULT_PASSWORD_ENV",
    "TEMPLATES",
    "MailOutcome",
    "MailRun",
    "MailSettings",
    "OptOut",
    "SmtpServer",
    "compose",
    "configure_mail",
    "mail_counts",
    "mail_log",
    "mail_settings",
    "opt_out",
    "optout_link",
    "parse_smtp_url",
    "send_invitations",
    "send_reminders",
    "survey_link",
]
