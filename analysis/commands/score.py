"""``alliance-survey score``: scale scores, dependence indices and data-quality flags."""

from __future__ import annotations

import argparse

from analysis.commands.paths import check_output, positive_int, read_table


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``score`` sub-command."""
    parser = subparsers.add_parser(
        "score",
        help="Score scales, compute dependence indices and flag careless respondents.",
        description=(
            "Read DATA (.csv, .parquet or .sav in the canonical wide layout), check it "
            "against the instrument, reverse-key the declared items, compute mean scale "
            "scores, joint dependence / asymmetry indices (also dyad-level) and data-quality "
            "flags, and write one row per respondent to SCORED (.csv or .parquet)."
        ),
    )
    parser.add_argument("data", metavar="DATA", help="Data file (.csv, .parquet or .sav).")
    parser.add_argument(
        "--out", required=True, metavar="SCORED", help="Output file (.csv or .parquet)."
    )
    parser.add_argument(
        "--min-valid",
        type=positive_int,
        default=None,
        metavar="K",
        help="Answered items needed for a scale score (default: each scale's min_valid).",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Score the file and print a short summary."""
    import warnings

    from analysis.errors import DataError
    from analysis.study.quality import summarize_flags
    from analysis.study.scoring import DataQualityWarning, InstrumentVersionNotice, score
    from analysis.study.simulate import write_data
    from instruments.instrument.loader import load_instrument

    if str(args.out).lower().endswith(".sav"):
        raise DataError("--out must end in .csv or .parquet (scored files are not SPSS files).")
    check_output(args.out, "--out", inputs=[args.data], suffixes=(".csv", ".parquet"))
    instrument = load_instrument()
    most = max((len(sc.items) for sc in dict(instrument.scales).values()), default=0)
    if args.min_valid is not None and most and args.min_valid > most:
        # a scale's rule is capped at its items, so any larger K quietly meant "every item
        # answered" for every scale, which the user did not write
        raise DataError(f"--min-valid {args.min_valid:,} is more than the items of any scale "
                        f"(the longest has {most}); give at most {most} (to require every "
                        "item of each scale, give its number of items).")
    df = read_table(args.data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        warnings.simplefilter("ignore", InstrumentVersionNotice)  # printed below
        scored = score(df, instrument, min_valid=args.min_valid)
    out = write_data(scored, args.out)
    report = scored.attrs["data_check"]
    for notice in report.get("instrument_notices", []):
        print(f"Notice: {notice}")
    print(f"Scored {len(scored)} respondents; wrote {out}.")
    for message in report["warnings"]:
        print(f"Warning: {message}")
    counts = summarize_flags(scored)
    print("Flagged respondents by reason:")
    for reason, n in zip(counts["reason"], counts["n"], strict=True):
        print(f"  {reason:<15}{n:>6}")
    return 0
