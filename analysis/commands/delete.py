"""``alliance-survey delete``: erase one respondent's answers (a request by e-mail or
letter under GDPR Art. 17), or all preview responses of a study."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``delete`` sub-command."""
    parser = subparsers.add_parser(
        "delete",
        help="erase a respondent's answers (withdrawal by e-mail) or the preview responses",
        description=(
            "Erase every answer and page record of one invitation (--token) and close its "
            "link, of all preview (test) responses (--test-responses), or of every response "
            "of the study at the end of its retention period (--all-responses, with "
            "--confirm NAME).  The respondent disappears from the wide data, exports and "
            "analyses; the audit log keeps who asked, when and how many answers were "
            "erased, never the answers."
        ),
    )
    parser.add_argument("--study", required=True, metavar="NAME", help="study name")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--token", metavar="TOKEN",
                      help="the respondent's invitation token (the code after ?t= in the link)")
    what.add_argument("--test-responses", action="store_true",
                      help="erase every preview response of the study")  # fmt: skip
    what.add_argument("--all-responses", action="store_true",
                      help="erase every response of the study and close every link (the end "
                      "of the retention period the privacy notice states)")
    parser.add_argument("--confirm", metavar="NAME",
                        help="the study name again, required with --all-responses")
    parser.add_argument("--note", metavar="TEXT",
                        help="who asked and how, for the audit log (no personal answers; an "
                        "e-mail address in it is replaced by 'address erased')")
    parser.add_argument("--db", metavar="URL",
                        help="database URL (default: $ALLIANCE_SURVEY_DB or "
                        "sqlite:///data/alliance_survey.sqlite)")  # fmt: skip
    parser.set_defaults(func=handler)


def _check_study(store, study: str) -> None:  # noqa: ANN001
    """Refuse a study that is not in the store, naming the studies that are."""
    from sqlalchemy import select

    from analysis.errors import DataError, clip
    from instruments.store.models import Study

    with store.session() as session:
        names = session.scalars(select(Study.name).order_by(Study.name)).all()
    if study not in names:
        known = (", ".join(names[:20]) + (", ..." if len(names) > 20 else "")) if names \
            else "none yet"
        raise DataError(f"There is no study {clip(study)} in the store (studies: {known}); "
                        "nothing was erased.")


def handler(args: argparse.Namespace) -> int:
    """Erase and report the counts."""
    from analysis.commands.paths import existing_sqlite
    from analysis.errors import DataError, clip
    from instruments.store import ResponseStore
    from instruments.store.rights import (
        delete_test_responses,
        erase_study_responses,
        withdraw,
    )
    from instruments.store.tokens import InvitationClosedError

    if args.token is not None and not args.token.strip():
        raise DataError("--token is empty; give the respondent's token (the code after ?t= "
                        "in the link).")
    if args.note is not None:
        from instruments.store.limits import check_text

        # checked with each erasure only: with nothing to erase a note of 100,000
        # characters (or with an escape sequence) was taken without a word
        check_text(args.note, "deletion_actor", "The note for the audit log", required=False)
    # A mistyped SQLite path must not leave an empty database behind.
    store = ResponseStore(existing_sqlite(args.db))
    try:
        # the study lead is told what is wrong, not the respondent's page text ("This
        # invitation link is not valid. Please check that you copied the whole link ...")
        _check_study(store, args.study)
        if args.all_responses:
            if args.confirm != args.study:
                raise DataError(f"--all-responses erases every response of study "
                                f"{clip(args.study)}; give the study name again with "
                                "--confirm to go ahead. Nothing was erased.")
            n = erase_study_responses(store, args.study, actor=args.note, channel="cli")
            print(f"Study {args.study!r}: {n} invitation(s) erased (reason: retention); "
                  "every link is closed and the audit log records each erasure.",
                  file=sys.stderr)  # fmt: skip
            return 0
        if args.confirm is not None:
            raise DataError("--confirm goes with --all-responses only; nothing was erased.")
        if args.test_responses:
            n = delete_test_responses(store, args.study, actor=args.note, channel="cli")
            print(f"Study {args.study!r}: {n} preview response(s) deleted.", file=sys.stderr)
            return 0
        try:
            erased = withdraw(store, args.token, reason="request", channel="cli",
                              actor=args.note, study=args.study)  # fmt: skip
        except InvitationClosedError as exc:
            if exc.reason != "unknown":
                raise
            raise DataError(f"No invitation of study {clip(args.study)} has the token "
                            f"{clip(args.token, 60)}; check that it is complete (the code "
                            "after ?t= in the respondent's link). Nothing was erased.") from None
    finally:
        store.dispose()
    print(
        f"Study {args.study!r}: invitation {erased.invitation_id} withdrawn; "
        f"{erased.n_answers} answer(s) on {erased.n_pages} page(s) deleted. The link is closed; "
        "the audit log records the deletion.",
        file=sys.stderr,
    )
    return 0
