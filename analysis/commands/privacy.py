"""``alliance-survey privacy``: show or set a study's privacy notice (controller, contact,
purpose, legal basis, retention; GDPR Art. 13) and its completion code / redirect URL."""

from __future__ import annotations

import argparse
import sys

from analysis.commands.options import check_option_text

_FIELDS = ("controller", "contact", "purpose", "legal_basis", "retention",
           "completion_code", "redirect_url")  # fmt: skip

#: Longest contact (the store's limit of the privacy notice's short items).
MAX_CONTACT = 300


def check_contact(value: str | None) -> str | None:
    """The contact of the privacy notice, if it is one line that reaches someone.

    Respondents read it on the consent page to reach the study lead: an e-mail address,
    a web address (a contact form), a telephone number or a postal address line (words
    and a number).  Any text had been stored: "!!!", a 100,000-character paste, a line
    break.  ``""`` (clear the item) and ``None`` (not given) pass unchanged.

    Raises
    ------
    DataError
        If it is longer than :data:`MAX_CONTACT`, holds a control character or line
        break, or has no address, number or address line in it.
    """
    from analysis.errors import DataError, clip
    from instruments.store.rights import contact_problem

    if value is None or not value.strip():
        return value
    text = check_option_text(value, "--contact", limit=MAX_CONTACT)
    why = contact_problem(text)
    if why:
        raise DataError(f"--contact {clip(text, 60)} {why}; nothing was stored.")
    return text


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``privacy`` sub-command."""
    parser = subparsers.add_parser(
        "privacy",
        help="show or set a study's privacy notice and completion settings",
        description=(
            "Without options, print the study's settings.  Each option sets one item "
            "(an empty value clears it); the consent page shows the privacy notice."
        ),
    )
    parser.add_argument("--study", required=True, metavar="NAME", help="study name")
    parser.add_argument("--controller", help="the data controller (institution, address)")
    parser.add_argument("--contact",
                        help="how respondents reach the study lead: an e-mail address, web "
                        "address, telephone number or postal address line (one line)")
    parser.add_argument("--purpose", help="the purpose of the processing")
    parser.add_argument("--legal-basis", dest="legal_basis",
                        choices=["consent", "public_interest", "legitimate_interest", ""],
                        help="legal basis under GDPR Art. 6(1)")  # fmt: skip
    parser.add_argument("--retention",
                        help="how long the answers are kept (at its end, erase them with "
                        "'alliance-survey delete --all-responses')")
    parser.add_argument("--completion-code", dest="completion_code",
                        help="code shown on the thank-you page (panel providers)")
    parser.add_argument("--redirect-url", dest="redirect_url",
                        help="https:// address offered on the thank-you page")
    parser.add_argument("--db", metavar="URL",
                        help="database URL (default: $ALLIANCE_SURVEY_DB or "
                        "sqlite:///data/alliance_survey.sqlite)")  # fmt: skip
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Set the given items, then print all of them."""
    from dataclasses import asdict

    from analysis.commands.paths import existing_sqlite
    from instruments.store import ResponseStore
    from instruments.store.rights import get_settings, notice_gaps, set_settings

    args.contact = check_contact(args.contact)  # before the store is opened
    # Settings belong to a study that exists: a mistyped SQLite path creates nothing.
    store = ResponseStore(existing_sqlite(args.db))
    try:
        values = {f: getattr(args, f) for f in _FIELDS if getattr(args, f) is not None}
        settings = (set_settings(store, args.study, **values) if values
                    else get_settings(store, args.study))  # fmt: skip
        gaps = notice_gaps(store, args.study)
    finally:
        store.dispose()
    for key, value in asdict(settings).items():
        print(f"{key}: {value if value is not None else '(not set)'}")
    if gaps:
        # the contact of the sender settings stands in for a missing --contact, as on
        # the consent page; what is still missing respondents read as "not stated yet"
        print("The privacy notice is incomplete: respondents read 'not stated by the study "
              f"lead yet' for {', '.join(g.replace('_', ' ') for g in gaps)}. Set "
              f"{' '.join('--' + g.replace('_', '-') for g in gaps)}.", file=sys.stderr)
    return 0
