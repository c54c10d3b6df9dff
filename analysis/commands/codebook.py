"""``alliance-survey codebook``: print or write the instrument's codebook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.commands.paths import check_output, instrument_files

#: Extensions of a codebook file by format; without --format the extension decides.
SUFFIXES = {"md": (".md", ".markdown", ".txt"), "csv": (".csv",), "json": (".json",)}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``codebook`` sub-command."""
    parser = subparsers.add_parser(
        "codebook",
        help="print the codebook (variables, labels, codes, scales and sources)",
        description=(
            "Print the codebook of the questionnaire: one row per variable with its label, "
            "scale, construct, reverse key, type, codes and value labels, and the sources "
            "of each scale."
        ),
    )
    parser.add_argument("--format", choices=["md", "csv", "json"], default=None,
                        help="output format (default: from the extension of --out, .csv or "
                        ".json, else md); the extension of --out must fit it")
    parser.add_argument("--lang", default="en", help="language of labels: en or de (default: en)")
    parser.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output ('-': standard output)")
    parser.add_argument("--instrument", metavar="DIR",
                        help="instrument folder (default: the packaged questionnaire)")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Render the codebook in the requested format and language."""
    from instruments.instrument.codebook import render_codebook
    from instruments.instrument.loader import load_instrument

    fmt = args.format
    if fmt is None:
        # the name tells the format: 'codebook --out book.csv' wrote Markdown into a .csv
        suffix = "" if args.out in (None, "-") else Path(args.out).suffix.lower()
        fmt = next((f for f, ends in SUFFIXES.items() if suffix in ends), "md")
        # a name of another format (questionnaire.yaml) got Markdown; one without an
        # extension still does
        check_output(args.out, "--out", inputs=instrument_files(args.instrument), stdout=True,
                     suffixes=[s for ends in SUFFIXES.values() for s in ends] if suffix
                     else None)
    else:
        check_output(args.out, "--out", inputs=instrument_files(args.instrument), stdout=True,
                     suffixes=SUFFIXES[fmt], format_label=f"--format {fmt}")
    inst = load_instrument(args.instrument)
    text = render_codebook(inst, fmt, args.lang)
    if args.out and args.out != "-":
        from analysis.io import atomic_path

        with atomic_path(args.out) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        print(f"Codebook of {inst.id} {inst.version} written to {args.out}.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
