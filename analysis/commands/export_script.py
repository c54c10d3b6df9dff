"""``alliance-survey export-script``: the study's analysis as lavaan (R) and Mplus scripts."""

from __future__ import annotations

import argparse

from analysis.commands.options import refuse_unused
from analysis.commands.paths import check_output_dir, draw_count, read_table, seed


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export-script`` sub-command."""
    parser = subparsers.add_parser(
        "export-script",
        help="Write the study's analysis as a runnable lavaan (R) script or Mplus inputs.",
        description=(
            "Write, for the analysis of DATA (the same scoring and exclusions as "
            "'alliance-survey analyze'), a self-contained R script for lavaan/semTools "
            "(analysis.R), the scored data it reads, Mplus input files (untested against "
            "Mplus itself) and a README of what each part reproduces.  In R: "
            "Rscript DIR/analysis.R [--out RESULTS]."
        ),
    )
    parser.add_argument("data", metavar="DATA", help="Data file (.csv, .parquet or .sav).")
    parser.add_argument("--to", choices=("lavaan", "mplus", "both"), default="lavaan",
                        help="Script language (default: lavaan; the data file and README are "
                             "always written).")
    parser.add_argument("--out", metavar="DIR", required=True, help="Output directory.")
    parser.add_argument("--estimator", choices=("WLSMV", "MLR"), default="WLSMV",
                        help="Measurement-model estimator, as in 'analyze' (default WLSMV).")
    parser.add_argument("--bootstrap", type=draw_count, default=1000, metavar="N",
                        help="Bootstrap draws of the mediation test (default: 1000).")
    parser.add_argument("--seed", type=seed, default=2026, metavar="S",
                        help="Seed of the script's bootstrap (default: 2026).")
    parser.add_argument("--hypotheses", metavar="YAML", default=None,
                        help="Hypotheses file (default: the package's hypotheses.yaml).")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Build and write the scripts; print the files written."""
    from pathlib import Path

    from analysis.errors import ModelSpecificationError
    from analysis.report import sha256_file
    from analysis.study.export_script import (
        DATA_FILE,
        MPLUS_DIR,
        MPLUS_FILES,
        SCRIPT_FILE,
        write_study_scripts,
    )

    refuse_unused(args, [("seed", args.to != "mplus",
                          "--seed seeds R's bootstrap in the lavaan script, which --to mplus "
                          "does not write (the Mplus inputs carry no seed); use --to both, or "
                          "leave out --seed.")])
    if args.bootstrap < 2:
        raise ModelSpecificationError(f"--bootstrap must be at least 2 (got {args.bootstrap}).")
    # before the analysis: the folder must be usable, and the scored data written as
    # DATA_FILE must not replace the input (a second run on DIR/alliance_data.csv did)
    # the Mplus inputs too: a file named mplus, or a folder where one of its inputs goes,
    # stopped the export half-way (the hypotheses' own inputs are checked before writing)
    mplus = [f"{MPLUS_DIR}/{name}" for name in MPLUS_FILES] if args.to != "lavaan" else []
    check_output_dir(args.out, "--out", inputs=[args.data, args.hypotheses],
                     writes=[DATA_FILE, SCRIPT_FILE, "README.md", "parts.json", *mplus])
    data = read_table(args.data)
    to = ("lavaan", "mplus") if args.to == "both" else (args.to,)
    files = write_study_scripts(
        data, args.out, to=to, estimator=args.estimator, bootstrap=args.bootstrap,
        seed=args.seed, hypotheses=args.hypotheses,
        provenance={"input file": f"{Path(args.data).name} sha256 {sha256_file(args.data)}"})
    for role, path in files.items():
        print(f"{role}: {path}")
    return 0
