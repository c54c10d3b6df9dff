"""``alliance-survey mail``: contact lists, sender settings, e-mailed invitations and reminders."""

from __future__ import annotations

import argparse
import sys

from analysis.commands.options import typed
from analysis.commands.paths import count_up_to, days, expiry_days, survey_address

#: Most reminders per contact a run may allow (more is a typo, and beyond the database's
#: integers an internal error).
MAX_REMINDERS = 1000


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``mail`` sub-command."""
    parser = subparsers.add_parser(
        "mail",
        help="import contacts, e-mail invitations and reminders over SMTP",
        description=(
            "E-mail personal invitation links and reminders over SMTP.  First import a "
            "contact list (--contacts CSV with columns email,name,firm,partner,"
            "alliance_id,role,language; two rows with one alliance_id form a dyad) and "
            "store the sender settings (--configure); then --send mails every contact not "
            "yet mailed and --remind mails those who have not completed.  Links are kept "
            "encrypted with the key in $ALLIANCE_SURVEY_SECRET_KEY (create one with "
            "--new-key); the SMTP password is read from the environment variable named in "
            "the settings (default $ALLIANCE_SURVEY_SMTP_PASSWORD) and never stored."
        ),
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--new-key", action="store_true",
                        help="print a new key for ALLIANCE_SURVEY_SECRET_KEY and exit")
    action.add_argument("--contacts", metavar="CSV", help="import a contact list")
    action.add_argument("--configure", action="store_true", help="store the sender settings")
    action.add_argument("--send", action="store_true", help="e-mail the invitations")
    action.add_argument("--remind", action="store_true", help="remind non-completers")
    action.add_argument("--status", action="store_true", help="print the contacts' mail state")
    parser.add_argument("--study", metavar="NAME", help="study name")
    parser.add_argument("--wave", default="1", metavar="W", help="wave of imported contacts")
    parser.add_argument("--lang", default="en", help="language of contacts without one")
    parser.add_argument("--expires-days", type=expiry_days, metavar="D",
                        help="imported links expire after D days (default: never)")
    parser.add_argument("--smtp", metavar="URL",
                        help="smtp://HOST:PORT, smtp+starttls://USER@HOST:587 or smtps://HOST:465")
    parser.add_argument("--sender", metavar="ADDRESS", help="From address (--configure)")
    parser.add_argument("--sender-name", metavar="NAME", help="From display name (--configure)")
    parser.add_argument("--lead-name", metavar="NAME", help="study lead named in the mail")
    parser.add_argument("--lead-email", metavar="ADDRESS", help="study lead's address (Reply-To)")
    parser.add_argument("--base-url", metavar="URL", type=survey_address,
                        help="survey address for the links")
    parser.add_argument("--password-env", metavar="VAR",
                        help="environment variable with the SMTP password")
    parser.add_argument("--rate", type=count_up_to(10_000), metavar="N",
                        help="at most N messages per minute (default: 60, or the settings')")
    parser.add_argument("--after-days", type=days, default=7.0, metavar="N",
                        help="remind when the last message is at least N days old (default 7)")
    parser.add_argument("--max-reminders", type=count_up_to(MAX_REMINDERS), default=2,
                        metavar="K",
                        help="at most K reminders per contact (default 2)")
    parser.add_argument("--dry-run", action="store_true",
                        help="list who would get a message; send and log nothing")
    parser.add_argument("--db", metavar="URL",
                        help="database URL (default: $ALLIANCE_SURVEY_DB or "
                        "sqlite:///data/alliance_survey.sqlite)")
    parser.add_argument("--instrument", metavar="DIR",
                        help="instrument folder (default: the packaged questionnaire)")
    parser.set_defaults(func=handler)


#: The options each action reads (besides the action itself); any other typed option has
#: no effect on it and is refused (``--after-days`` with ``--send`` had been dropped).
ACTION_OPTIONS = {
    "new_key": (),
    "contacts": ("study", "wave", "lang", "expires_days", "db", "instrument"),
    "configure": ("study", "smtp", "sender", "sender_name", "lead_name", "lead_email",
                  "base_url", "password_env", "rate", "db", "instrument"),
    "send": ("study", "smtp", "rate", "dry_run", "db", "instrument"),
    "remind": ("study", "smtp", "rate", "dry_run", "after_days", "max_reminders", "db",
               "instrument"),
    "status": ("study", "db", "instrument"),
}
#: Every option of the actions (the union of :data:`ACTION_OPTIONS`).
_OPTIONS = sorted({dest for dests in ACTION_OPTIONS.values() for dest in dests})


def _option(dest: str) -> str:
    return f"--{dest.replace('_', '-')}"


def _refuse_unused(args: argparse.Namespace) -> None:
    """Refuse the typed options the chosen action does not read, all in one message."""
    from analysis.errors import DataError

    action = next(a for a in ACTION_OPTIONS if getattr(args, a))
    used = ACTION_OPTIONS[action]
    unused = [_option(d) for d in _OPTIONS if d not in used and typed(args, d)]
    if not unused:
        return
    one = len(unused) == 1
    reads = ", ".join(_option(d) for d in used) if used else "no other option"
    raise DataError(f"{', '.join(unused)} {'has' if one else 'have'} no effect with "
                    f"{_option(action)} (it reads {reads}); leave {'it' if one else 'them'} "
                    "out.")


def handler(args: argparse.Namespace) -> int:
    """Run the chosen mail action."""
    from analysis.errors import DataError

    _refuse_unused(args)
    if args.new_key:
        from instruments.fieldwork.contacts import SECRET_KEY_ENV, new_secret_key

        print(new_secret_key())
        print(f"Set it as {SECRET_KEY_ENV} for every command and app process of the study; "
              "without it mailed links cannot be repeated in reminders.", file=sys.stderr)
        return 0
    if not args.study:
        raise DataError("--study NAME is required.")
    from analysis.commands.paths import existing_sqlite
    from instruments.instrument.loader import load_instrument
    from instruments.store import ResponseStore

    # Only a contact import may start a new study (and so a new database); every other
    # action needs an existing store, and a mistyped SQLite path must create nothing.
    url = args.db if args.contacts else existing_sqlite(args.db)
    store = ResponseStore(url, instrument=load_instrument(args.instrument))
    try:
        if args.contacts:
            return _contacts(store, args)
        if args.configure:
            return _configure(store, args)
        if args.status:
            return _status(store, args)
        return _send(store, args)
    finally:
        store.dispose()


def _contacts(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    from analysis.commands.invite import start_study
    from instruments.fieldwork.contacts import (
        ContactListError,
        _fernet,
        check_contacts,
        import_contacts,
    )
    from instruments.fieldwork.invitations import study_exists

    _fernet()  # nothing is created when the key is missing ...
    problems = check_contacts(store, args.study, args.contacts, language=args.lang)
    if problems:  # ... or the list has problems
        noun = "problem" if len(problems) == 1 else "problems"
        raise ContactListError(
            f"The contact list has {len(problems)} {noun}; nothing was stored.", problems
        )
    if study_exists(store, args.study) and typed(args, "instrument"):
        from analysis.commands.invite import check_wave_instrument

        check_wave_instrument(store, args.study, args.wave, store.instrument, "--instrument")
    password = start_study(store, args.study)  # another command may start it at once
    if password is not None:
        print(f"Study-lead password for {args.study!r} (shown only now, keep it safe): "
              f"{password}", file=sys.stderr)  # fmt: skip
    done = import_contacts(store, args.study, args.contacts, wave=args.wave, language=args.lang,
                           expires_days=args.expires_days)  # fmt: skip
    n = len(done.contact_ids)
    print(f"{n} contact{'' if n == 1 else 's'} imported: {done.n_dyads} "
          f"dyad{'' if done.n_dyads == 1 else 's'}, {done.n_single} single "
          f"invitation{'' if done.n_single == 1 else 's'}.")  # fmt: skip
    return 0


def _configure(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    from analysis.errors import DataError
    from instruments.fieldwork.mail import DEFAULT_RATE_PER_MINUTE, configure_mail

    needed = {"--smtp": args.smtp, "--sender": args.sender, "--lead-name": args.lead_name,
              "--lead-email": args.lead_email, "--base-url": args.base_url}  # fmt: skip
    missing = [k for k, v in needed.items() if not v]
    if missing:
        raise DataError(f"--configure needs {', '.join(missing)}.")
    _check_lengths(args)
    settings = configure_mail(
        store, args.study, smtp=args.smtp, sender=args.sender, sender_name=args.sender_name,
        lead_name=args.lead_name, lead_email=args.lead_email, base_url=args.base_url,
        password_env=args.password_env, rate_per_minute=args.rate or DEFAULT_RATE_PER_MINUTE,
    )  # fmt: skip
    print(f"Mail settings of {args.study!r}: {settings.server}, from {settings.sender}, "
          f"at most {settings.rate_per_minute} per minute.")  # fmt: skip
    return 0


def _check_lengths(args: argparse.Namespace) -> None:
    """Refuse settings longer than their columns: SQLite stored a 1,000-character sender
    or password variable as given, PostgreSQL refused them with a driver error."""
    from analysis.errors import DataError
    from instruments.fieldwork.mail import parse_smtp_url
    from instruments.store.mailtables import StudyMailSettings

    server = parse_smtp_url(args.smtp)
    columns = StudyMailSettings.__table__.c
    values = (("--smtp (host)", server.host, columns.host),
              ("--smtp (user)", server.username, columns.username),
              ("--sender", args.sender, columns.sender),
              ("--lead-email", args.lead_email, columns.lead_email),
              ("--base-url", args.base_url, columns.base_url),
              ("--password-env", args.password_env, columns.password_env))
    long = [f"{option} has {len(value):,} characters; at most {column.type.length} are "
            "allowed" for option, value, column in values
            if value is not None and len(value) > column.type.length]
    if long:
        raise DataError("; ".join(long) + "; nothing was stored.")


def _status(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    from instruments.fieldwork.contacts import contacts_table

    table = contacts_table(store, args.study)
    table.drop(columns=["last_reply"]).to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def _send(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    from instruments.fieldwork.mail import send_invitations, send_reminders

    common = {"smtp": args.smtp, "dry_run": args.dry_run, "rate_per_minute": args.rate}
    if args.send:
        run = send_invitations(store, args.study, **common)
    else:
        run = send_reminders(store, args.study, after_days=args.after_days,
                             max_reminders=args.max_reminders, **common)  # fmt: skip
    for o in run.outcomes:
        reply = f"\t{o.reply}" if o.reply and o.status != "sent" else ""
        print(f"{o.status}\t{o.email}{reply}")
    print(run.summary(), file=sys.stderr)
    return 1 if run.failed else 0
