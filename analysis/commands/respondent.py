"""``alliance-survey respondent``: the cockpit's actions on one respondent.

Resend the invitation e-mail, send one reminder now, exclude the response from the
analysis (with a reason kept in the audit log) or take the exclusion back, list the
exclusions, and write a respondent's copy of their data (``--copy``, for a request to see
one's data by e-mail: :mod:`instruments.store.access`).  Deleting a response on request is
``alliance-survey delete``.
"""

from __future__ import annotations

import argparse
import sys

from analysis.commands.options import check_option_text, refuse_unused
from analysis.commands.paths import count_up_to


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``respondent`` sub-command."""
    parser = subparsers.add_parser(
        "respondent",
        help="resend, remind, exclude from or include in the analysis one respondent",
        description=(
            "Act on one invitation of a study (its number is the invitation_id of the "
            "dashboard's respondent table and of 'mail --status'): --resend mails the "
            "invitation again, --remind sends one reminder now, --exclude takes the "
            "response out of the analysis (it stays in the store and in the exports, "
            "flagged in_analysis = 0) and --include takes that back; both need --reason, "
            "kept in the audit log that --log prints. --copy writes everything the store "
            "holds about the invitation (answers with the questions' wording, page times, "
            "the contact entry and the e-mails sent) as JSON, for a respondent who asks to "
            "see their data; the same file the respondent can download from the survey. "
            "--correct ITEM=VALUE (repeatable) corrects answers a respondent asks to have "
            "corrected, checked as the survey checks them, with --reason in the audit log "
            "that --corrections prints; the answer log keeps the old values. --extend DAYS "
            "keeps the link open DAYS days from now, or opens an expired one again: the "
            "respondent continues with the answers already given."
        ),
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--resend", action="store_true", help="mail the invitation again")
    action.add_argument("--remind", action="store_true", help="send one reminder now")
    action.add_argument("--exclude", action="store_true", help="exclude from the analysis")
    action.add_argument("--include", action="store_true",
                        help="take an exclusion back (include in the analysis again)")
    action.add_argument("--log", action="store_true", help="print the exclusions as CSV")
    action.add_argument("--copy", action="store_true",
                        help="write the respondent's copy of their data (JSON)")
    action.add_argument("--correct", action="append", metavar="ITEM=VALUE",
                        help="correct an answer at the respondent's request (repeat for "
                        "several; the code of a response option, a number or a text; "
                        "ITEM= with nothing after it removes an optional answer)")
    action.add_argument("--corrections", action="store_true",
                        help="print the corrections of answers as CSV")
    action.add_argument("--extend", type=count_up_to(366), metavar="DAYS",
                        help="keep the link open DAYS days from now (1-366), or open an "
                        "expired link again with its answers")
    parser.add_argument("--study", required=True, metavar="NAME", help="study name")
    # a database id: a number beyond the 64-bit integers of SQLite and PostgreSQL was an
    # internal error (OverflowError) instead of "no such invitation"
    parser.add_argument("--invitation", type=count_up_to(2**63 - 1), metavar="ID",
                        help="invitation id")
    parser.add_argument("--reason", metavar="TEXT",
                        help="why (--exclude, --include, --correct)")
    parser.add_argument("--actor", metavar="NAME", help="who decides (kept in the audit log)")
    parser.add_argument("--smtp", metavar="URL", help="another SMTP server for this message")
    parser.add_argument("--out", metavar="FILE.json", default="-",
                        help="where --copy writes (default: standard output); the file is "
                        "readable by its owner only, as it holds personal data")
    parser.add_argument("--db", metavar="URL",
                        help="database URL (default: $ALLIANCE_SURVEY_DB or "
                        "sqlite:///data/alliance_survey.sqlite)")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Run the chosen action and say what happened."""
    from analysis.commands.paths import check_json_output, existing_sqlite
    from analysis.errors import DataError
    from instruments.fieldwork import actions
    from instruments.fieldwork.invitations import study_exists
    from instruments.store import ResponseStore

    decision = bool(args.exclude or args.include or args.correct)
    listing = bool(args.log or args.corrections)
    refuse_unused(args, [
        ("reason", decision, "--reason is kept with --exclude, --include or --correct in the "
         "audit log and has no effect here; leave it out."),
        ("actor", decision, "--actor is kept with --exclude, --include or --correct in the "
         "audit log and has no effect here; leave it out."),
        ("smtp", args.resend or args.remind, "--smtp sends the message of --resend or "
         "--remind and has no effect here; leave it out."),
        ("out", args.copy, "--out is for --copy only."),
        ("invitation", not listing, "--invitation has no effect with --log or --corrections "
         "(they list every invitation's entries); leave it out."),
    ])
    changes = _changes(args.correct) if args.correct else None
    if args.actor is not None:
        # kept in the audit log as typed: it was cut to its column's 200 characters without
        # a word, and an escape sequence was stored
        from instruments.store.exclusions import AnalysisExclusion

        args.actor = check_option_text(args.actor, "--actor",
                                       limit=AnalysisExclusion.__table__.c.actor.type.length)
    if not listing and args.invitation is None:
        raise DataError("--invitation ID is required (the invitation_id of the respondent).")
    if decision and not (args.reason and args.reason.strip()):
        raise DataError("--exclude, --include and --correct need --reason \"...\" (kept in "
                        "the audit log).")
    out = check_json_output(args.out, "--out") if args.copy else None
    store = ResponseStore(existing_sqlite(args.db))
    try:
        if not study_exists(store, args.study):
            raise DataError(f"There is no study {args.study!r} in this database.")
        if args.copy:
            _write_copy(store, args.study, args.invitation, out)
            return 0
        if args.log:
            actions.exclusion_log(store, args.study).to_csv(sys.stdout, index=False)
            return 0
        if args.corrections:
            actions.correction_log(store, args.study).to_csv(sys.stdout, index=False)
            return 0
        if changes is not None:
            done = actions.correct_answers(store, args.study, args.invitation, changes,
                                           args.reason, actor=args.actor)
            for item in done.after:
                print(f"Invitation #{args.invitation}: {item} corrected from "
                      f"{_shown(done.before[item])} to {_shown(done.after[item])}.",
                      file=sys.stderr)
            return 0
        if args.extend is not None:
            until = actions.extend_invitation(store, args.study, args.invitation, args.extend)
            print(f"Invitation #{args.invitation}: the link is open until "
                  f"{until:%Y-%m-%d %H:%M} UTC.", file=sys.stderr)
            return 0
        if args.exclude:
            actions.exclude_from_analysis(store, args.study, args.invitation, args.reason,
                                          actor=args.actor)  # fmt: skip
            print(f"Invitation #{args.invitation} is excluded from the analysis; its answers "
                  "stay in the store and in the exports (in_analysis = 0).", file=sys.stderr)
            return 0
        if args.include:
            actions.include_in_analysis(store, args.study, args.invitation, args.reason,
                                        actor=args.actor)  # fmt: skip
            print(f"Invitation #{args.invitation} is included in the analysis again.",
                  file=sys.stderr)  # fmt: skip
            return 0
        send = actions.resend_invitation if args.resend else actions.remind_one
        run = send(store, args.study, args.invitation, smtp=args.smtp)
    finally:
        store.dispose()
    print(run.summary(), file=sys.stderr)
    return 0 if run.failed == 0 else 1


def _write_copy(store, study: str, invitation: int, out) -> None:  # noqa: ANN001
    """Write the copy of invitation ``invitation`` to ``out`` (a path, or ``-``)."""
    import os

    from analysis.io import atomic_path
    from instruments.store.access import copy_json, respondent_copy

    data = copy_json(respondent_copy(store, study=study, invitation_id=invitation))
    if out is None:  # standard output
        sys.stdout.write(data.decode("utf-8"))
        return
    with atomic_path(out) as tmp:
        tmp.write_bytes(data)
        os.chmod(tmp, 0o600)
    print(f"Wrote the copy of invitation #{invitation}'s data to {out} (readable by you "
          "only: it holds personal data).", file=sys.stderr)


def _changes(pairs: list[str]) -> dict[str, str | None]:
    """``ITEM=VALUE`` pairs as a mapping (an empty VALUE: remove the answer)."""
    from analysis.errors import DataError, clip

    out: dict[str, str | None] = {}
    for pair in pairs:
        item, sep, value = pair.partition("=")
        item = item.strip()
        if not sep or not item:
            raise DataError(f"--correct takes ITEM=VALUE (e.g. trust_2=5), not {clip(pair)}.")
        if item in out:
            raise DataError(f"--correct names {clip(item)} twice; give each item once.")
        out[item] = value if value.strip() else None
    return out


def _shown(value: object) -> str:
    """An answer in a message: 'no answer' for None, text quoted, numbers as they are."""
    from analysis.errors import clip

    if value is None:
        return "no answer"
    return clip(value) if isinstance(value, str) else f"{value:g}" if isinstance(
        value, float) else str(value)
