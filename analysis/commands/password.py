"""``alliance-survey password``: set a new study-lead password and clear every login lock.

The recovery path of the dashboard login: whoever runs the command line against the
database (and so controls the study anyway) can always get the study lead back in, even
while someone keeps failing logins from many clients.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``password`` sub-command."""
    parser = subparsers.add_parser(
        "password",
        help="set a new study-lead password (shown once) and clear all login locks",
        description=(
            "Generate a new study-lead password for STUDY, store only its argon2 hash, "
            "clear the failed-login counts of every client, and print the password once."
        ),
    )
    parser.add_argument("--study", required=True, metavar="NAME", help="study name")
    parser.add_argument("--db", metavar="URL",
                        help="database URL (default: $ALLIANCE_SURVEY_DB or "
                        "sqlite:///data/alliance_survey.sqlite)")  # fmt: skip
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Replace the password and print it."""
    from analysis.commands.paths import existing_sqlite
    from instruments.fieldwork.auth import set_password
    from instruments.store import ResponseStore

    store = ResponseStore(existing_sqlite(args.db))
    try:
        password = set_password(store, args.study, replace=True)
    finally:
        store.dispose()
    print(f"New study-lead password for {args.study!r} (shown only now, keep it safe); "
          "all login locks are cleared:", file=sys.stderr)
    print(password)
    return 0
