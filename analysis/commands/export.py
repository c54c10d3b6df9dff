"""``alliance-survey export``: write a study's data, answer log or codebook to a file."""

from __future__ import annotations

import argparse
import sys

from analysis.commands.options import refuse_unused
from analysis.commands.paths import check_output, existing_sqlite, instrument_files, store_file
from analysis.errors import clip


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export`` sub-command."""
    parser = subparsers.add_parser(
        "export",
        help="export responses (csv, parquet, sav, dta), the answer log or the codebook",
        description=(
            "Export a study from the response store: the wide data (one row per "
            "respondent, with fieldwork status, start, end and quality flags) as CSV, "
            "Parquet, SPSS .sav or Stata .dta with value labels; the long, "
            "append-only answer log (--format long); or the codebook (--format codebook, "
            "format from the file extension .csv/.json/.md). The file name's extension must fit "
            "the format: .csv, .parquet, .sav, .dta; .csv or .parquet for long."
        ),
    )
    parser.add_argument("--study", required=True, metavar="NAME", help="study name")
    parser.add_argument("--format", required=True,
                        choices=["csv", "parquet", "sav", "dta", "long", "codebook"],
                        help="what to export")  # fmt: skip
    parser.add_argument("--out", required=True, metavar="FILE", help="output file")
    parser.add_argument("--db", metavar="URL",
                        help="database URL (default: $ALLIANCE_SURVEY_DB or "
                        "sqlite:///data/alliance_survey.sqlite)")  # fmt: skip
    parser.add_argument("--lang", default="en", help="language of labels (default: en)")
    parser.add_argument("--completed-only", action="store_true",
                        help="export completed responses only")  # fmt: skip
    parser.add_argument("--skip-unstarted", action="store_true",
                        help="leave out invitations opened but never answered")  # fmt: skip
    parser.add_argument("--excel-safe", action="store_true",
                        help="CSV for spreadsheets: prefix text cells that start with =, +, "
                        "-, @, tab or CR with an apostrophe so they are not run as formulas "
                        "(keep the default, verbatim CSV for R, SPSS or pandas)")  # fmt: skip
    parser.add_argument("--instrument", metavar="DIR",
                        help="instrument folder (default: the packaged questionnaire)")  # fmt: skip
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Write the requested export."""
    from instruments.fieldwork.exports import EXPORT_SUFFIXES, export
    from instruments.instrument.loader import load_instrument
    from instruments.store import ResponseStore

    wide = args.format not in ("long", "codebook")
    csv = args.format == "csv" or (args.format == "long"
                                   and str(args.out).lower().endswith(".csv"))
    refuse_unused(args, [
        ("excel_safe", csv, f"--excel-safe applies to CSV files; --format {args.format} "
         f"--out {clip(args.out, 60)} is not one. Leave out --excel-safe."),
        ("lang", args.format in ("sav", "dta", "codebook"),
         f"--lang sets the language of the value labels of sav, dta and the codebook; "
         f"--format {args.format} has none. Leave out --lang."),
        ("completed_only", wide, f"--completed-only chooses the respondents of the wide data; "
         f"--format {args.format} has none. Leave it out."),
        ("skip_unstarted", wide, f"--skip-unstarted chooses the respondents of the wide data; "
         f"--format {args.format} has none. Leave it out."),
    ])
    check_output(args.out, "--out", inputs=[store_file(args.db),
                                            *instrument_files(args.instrument)],
                 suffixes=EXPORT_SUFFIXES[args.format], format_label=f"--format {args.format}",
                 make_parents=True)
    url = existing_sqlite(args.db)
    store = ResponseStore(url, instrument=load_instrument(args.instrument))
    try:
        path = export(store, args.study, args.format, args.out, lang=args.lang,
                      completed_only=args.completed_only, excel_safe=args.excel_safe,
                      skip_unstarted=args.skip_unstarted)  # fmt: skip
    finally:
        store.dispose()
    print(f"Study {args.study!r}: {args.format} written to {path}.", file=sys.stderr)
    return 0
