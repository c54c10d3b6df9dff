"""``alliance-survey password``: reset the study lead's password.

The recovery path of the dashboard login: whoever runs the command line against the
database can always get the study lead back in, even while someone keeps failing logins
from many clients (setting a password clears every client's lock).
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``password`` sub-command."""
    parser = subparsers.add_parser(
        "password",
        help="reset the study lead's password",
        description=(
            "Set a new study-lead password for a study (a lost one cannot be recovered: "
            "only its hash is stored).  A random password is generated and printed once, "
            "or read from standard input with --stdin.  Failed-login locks are cleared and "
            "every open dashboard login of the study is ended."
        ),
    )
    parser.add_argument("--study", required=True, metavar="NAME", help="study name")
    parser.add_argument("--stdin", action="store_true",
                        help="read the new password from standard input (at least 12 characters)")
    parser.add_argument("--db", metavar="URL",
                        help="database URL (default: $ALLIANCE_SURVEY_DB or "
                        "sqlite:///data/alliance_survey.sqlite)")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Replace the password and print it once (unless it was given on standard input)."""
    from analysis.commands.paths import check_shown_once_stdout, existing_sqlite
    from analysis.errors import DataError
    from instruments.fieldwork.auth import set_password
    from instruments.fieldwork.cockpit import plural
    from instruments.fieldwork.invitations import study_exists
    from instruments.fieldwork.sessions import revoke_sessions
    from instruments.store import ResponseStore

    if args.stdin and sys.stdin is None:
        # started with '<&-': sys.stdin.readline ended in an internal AttributeError
        raise DataError("--stdin: standard input is closed; pipe the new password into the "
                        "command (e.g. from a password manager).")
    if not args.stdin:
        # the new password is set before it is printed: where it would be lost, the study
        # lead was locked out with a password nobody had seen
        check_shown_once_stdout("the new password", "give one with --stdin instead")
    given = sys.stdin.readline().rstrip("\r\n") if args.stdin else None
    if given is not None:
        from instruments.store.limits import encoding_problem

        # bytes that are not UTF-8 arrive as lone surrogates (the hash failed on them)
        why = encoding_problem(given)
        if why:
            raise DataError(f"The password on standard input {why}; give it as UTF-8 text.")
    # A mistyped SQLite path must not create an empty database with no study in it.
    store = ResponseStore(existing_sqlite(args.db))
    try:
        if not study_exists(store, args.study):
            raise DataError(f"There is no study {args.study!r} in this database.")
        password = set_password(store, args.study, given, replace=True)
        # A lost or leaked password must also end the logins made with it.
        ended = revoke_sessions(store, args.study)
    finally:
        store.dispose()
    print(f"{plural(ended, 'dashboard login')} of the study lead ended.")
    if given is None:
        print(f"New study-lead password for {args.study!r} (shown only now, keep it safe): "
              f"{password}")
    else:
        print(f"The study-lead password for {args.study!r} was replaced.")
    return 0
