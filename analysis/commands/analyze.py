"""``alliance-survey analyze``: the whole study -- quality, measurement, hypotheses, dyads."""

from __future__ import annotations

import argparse

from analysis.commands.options import refuse_unused
from analysis.commands.paths import check_json_output, draw_count, read_table, seed


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``analyze`` sub-command."""
    parser = subparsers.add_parser(
        "analyze",
        help="Analyse a study: exclusions, reliability, measurement model, hypotheses H1-H11.",
        description=(
            "Score DATA, exclude careless respondents, check reliability, fit the measurement "
            "model, test the declared hypotheses (analysis/study/hypotheses.yaml) and run the dyadic "
            "analysis.  Prints a verdict table, or writes the full result as JSON with --json."
        ),
    )
    parser.add_argument("data", metavar="DATA", help="Data file (.csv, .parquet or .sav).")
    parser.add_argument(
        "--json", metavar="OUT", default=None,
        help="Write the full result as JSON to OUT ('-' for standard output).",
    )
    parser.add_argument(
        "--estimator", choices=("WLSMV", "MLR"), default="WLSMV",
        help="Measurement-model estimator (default: WLSMV, items as ordered); the "
             "composite path model of the hypotheses uses MLR.",
    )
    parser.add_argument(
        "--bootstrap", type=draw_count, default=1000, metavar="N",
        help="Bootstrap draws of the mediation test (default: 1000).",
    )
    parser.add_argument("--seed", type=seed, default=2026, metavar="S",
                        help="Bootstrap seed (default: 2026, "
                        "analysis.study.pipeline.DEFAULT_SEED); written into the output.")
    parser.add_argument(
        "--hypotheses", metavar="YAML", default=None,
        help="Hypotheses file (default: the package's analysis/study/hypotheses.yaml).",
    )
    parser.add_argument(
        "--method", choices=("sem", "pls"), default=None,
        help="Estimation framework of the hypothesis tests: the covariance-based path "
             "model (sem) or PLS-SEM (pls); default the hypotheses file's 'method:'.",
    )
    parser.add_argument(
        "--skip-measurement", action="store_true",
        help="Do not fit the measurement model (the slowest step; for quick looks).",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Run :func:`analysis.study.pipeline.analyze_study` and print or write the result."""
    import sys
    import warnings

    from analysis.errors import ModelSpecificationError
    from analysis.study.pipeline import analyze_study, to_json, verdict_table

    refuse_unused(args, [("estimator", not args.skip_measurement,
                          "--estimator chooses the measurement model's estimator, which "
                          "--skip-measurement does not fit (the path model is MLR either "
                          "way); leave out one of them.")])
    if args.bootstrap < 2:
        raise ModelSpecificationError(f"--bootstrap must be at least 2 (got {args.bootstrap}).")

    check_json_output(args.json, inputs=[args.data, args.hypotheses])

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    data = read_table(args.data)
    # the analysis lists its problems in its warnings; the Python warnings of the libraries
    # beneath it are swallowed, also those that statsmodels sets to "always" on import
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("ignore")
        result = analyze_study(data, estimator=args.estimator, bootstrap=args.bootstrap,
                               seed=args.seed, hypotheses=args.hypotheses, progress=progress,
                               measurement=not args.skip_measurement, method=args.method)
    if args.json is None:
        print(verdict_table(result))
        return 0
    text = to_json(result)
    if args.json == "-":
        sys.stdout.write(text + "\n")
    else:
        from analysis.io import atomic_path

        with atomic_path(args.json) as tmp:
            tmp.write_text(text + "\n", encoding="utf-8")
        progress(f"Wrote {args.json}.")
    return 0
