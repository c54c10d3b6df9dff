"""``alliance-survey simulate``: draw a simulated study from the population model."""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
from pathlib import Path

from analysis.commands.options import refuse_unused, without
from analysis.commands.paths import (
    check_json_output,
    check_output,
    count_up_to,
    nonnegative_int,
    same_file,
    seed,
    share,
)

#: Most respondents of one simulated study (analysis.study.simulate.MAX_RESPONDENTS; the
#: parser keeps a copy so that it needs no numpy, and a test keeps the two equal).
MAX_RESPONDENTS = 100_000
#: The missingness mechanisms (analysis.study.simulate.MECHANISMS, copied for the same reason).
MECHANISMS = ("MCAR", "MAR", "MNAR")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` sub-command."""
    parser = subparsers.add_parser(
        "simulate",
        help="Simulate survey data with known population values (analysis/study/population.yaml).",
        description=(
            "Simulate N respondents in the canonical wide layout of the instrument, "
            "optionally with dyads (both firms of an alliance), missing answers and "
            "careless respondents. The same arguments always give the same file."
        ),
    )
    parser.add_argument("--n", type=count_up_to(MAX_RESPONDENTS), required=True,
                        help=f"Number of respondents (at most {MAX_RESPONDENTS:,}).")
    parser.add_argument(
        "--dyads", type=nonnegative_int, default=0, help="Alliances answered by both firms (default 0)."
    )
    parser.add_argument("--seed", type=seed, default=0, help="Random seed (default 0).")
    parser.add_argument(
        "--missing", type=share, default=0.0, help="Share of missing item answers, [0, 0.9)."
    )
    parser.add_argument(
        "--mechanism", choices=list(MECHANISMS), default="MCAR",
        help="Missingness mechanism: MCAR; MAR (more missing for lower informant "
             "knowledge); MNAR (more missing for lower answers)."
    )
    parser.add_argument(
        "--careless", type=share, default=0.05, help="Share of careless respondents (0.05)."
    )
    parser.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="Output file: .csv, .parquet or .sav (SPSS, with labels).",
    )
    parser.add_argument(
        "--manifest",
        metavar="JSON",
        default=None,
        help="Also write a manifest (rows, columns, SHA-256, command, instrument) to JSON.",
    )
    parser.set_defaults(func=handle)


def _command_line(args: argparse.Namespace) -> str:
    parts = [
        "alliance-survey",
        "simulate",
        "--n",
        str(args.n),
        "--dyads",
        str(args.dyads),
        "--seed",
        str(args.seed),
        "--missing",
        repr(args.missing),
        "--mechanism",
        args.mechanism,
        "--careless",
        repr(args.careless),
        "--out",
        args.out,
    ]
    if args.manifest:
        parts += ["--manifest", args.manifest]
    return shlex.join(parts)


def manifest(path: Path, df, instrument, args: argparse.Namespace) -> dict:
    """Provenance record of a simulated data file."""
    from analysis import __version__
    from analysis.study.simulate import load_population

    pop = load_population()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {
        "file": path.name,
        "format": path.suffix.lstrip(".").lower() or "csv",
        "rows": int(df.shape[0]),
        "columns": int(df.shape[1]),
        "sha256": digest,
        "command": _command_line(args),
        "seed": int(args.seed),
        "n": int(args.n),
        "dyads": int(args.dyads),
        "missing": float(args.missing),
        "missing_mechanism": args.mechanism,
        "careless": float(args.careless),
        "instrument": {
            "id": instrument.id,
            "version": instrument.version,
            "content_hash": instrument.content_hash,
        },
        "population": {"id": pop.id, "version": pop.version, "file": "analysis/study/population.yaml"},
        "generator": f"alliance-survey {__version__} (analysis.study.simulate.simulate_study)",
        "description": _description(args),
    }


def _description(args: argparse.Namespace) -> str:
    """The manifest's description of what the file holds, from the options it was made
    with: it said "careless respondents, MAR missing item answers" for --careless 0
    --missing 0 as well."""
    careless = ("careless respondents" if args.careless > 0 else "no careless respondents")
    if args.missing <= 0:
        missing = "no missing item answers"
    elif args.mechanism == "MAR":
        missing = "MAR missing item answers (more missing for lower informant_knowledge)"
    elif args.mechanism == "MNAR":
        missing = "MNAR missing item answers (more missing for lower answers)"
    else:
        missing = f"{args.mechanism} missing item answers"
    return ("Simulated alliance study (not real data): respondents answer about one alliance "
            "partner; pairs of rows with the same alliance_id and firm_role A/B are dyads "
            "whose firms answer about each other. Population values (hypotheses H1-H11, "
            "true-zero paths) are in analysis/study/population.yaml. Includes "
            f"{careless}, {missing}, page times and classification questions.")


def handle(args: argparse.Namespace) -> int:
    """Simulate and write the file."""
    from analysis.errors import DataError
    from analysis.study.simulate import simulate_study, write_data
    from instruments.instrument.loader import load_instrument

    refuse_unused(args, [("mechanism", args.missing > 0,
                          without("--mechanism", "--missing SHARE above 0",
                                  "it decides which answers go missing"))])
    check_output(args.out, "--out", suffixes=(".csv", ".parquet", ".sav"))
    if same_file(args.manifest, args.out):
        raise DataError("--manifest and --out name the same file.")
    check_json_output(args.manifest, "--manifest", stdout=False)  # a JSON file, named so
    instrument = load_instrument()
    df = simulate_study(
        args.n,
        dyads=args.dyads,
        seed=args.seed,
        missing=args.missing,
        missing_mechanism=args.mechanism,
        careless=args.careless,
        instrument=instrument,
    )
    out = write_data(df, args.out, instrument)
    print(f"Wrote {df.shape[0]} respondents x {df.shape[1]} columns to {out}.")
    if args.manifest:
        record = manifest(out, df, instrument, args)
        from analysis.io import atomic_path

        with atomic_path(args.manifest) as tmp:
            tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n",
                           encoding="utf-8")
        print(f"Wrote the manifest to {args.manifest}.")
    return 0
