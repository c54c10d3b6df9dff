"""``alliance-survey reliability``: alpha, omega, CR, AVE, HTMT and Fornell-Larcker per scale."""

from __future__ import annotations

import argparse
import math
from typing import Any

from analysis.commands.options import comma_items
from analysis.commands.paths import check_json_output, model_argument, model_names, read_table
from analysis.errors import ModelSpecificationError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``reliability`` sub-command."""
    parser = subparsers.add_parser(
        "reliability",
        help="Reliability and discriminant validity of the scales of a CFA model.",
        description=(
            "Fit the CFA in MODEL and report per factor Cronbach's alpha (psych defaults, "
            "Feldt CI), omega (semTools::compRelSEM), composite reliability, AVE "
            "(semTools::AVE), HTMT (semTools::htmt) and the Fornell-Larcker table."
        ),
    )
    parser.add_argument("data", metavar="DATA", help="Data file (.csv, .parquet or .sav).")
    parser.add_argument(
        "--model", required=True, metavar="MODEL.lav",
        help="File with the lavaan measurement model ('factor =~ item + item ...'), or the "
        "syntax itself (as sem --model takes it).",
    )
    # WLSMV needs the ordered items, which reliability does not take: it always ended in
    # "needs ordered=", an option this command does not have
    parser.add_argument("--estimator", default="ML", type=str.upper, choices=["ML", "MLR"],
                        help="CFA estimator, ML or MLR (default: ML).")
    parser.add_argument(
        "--reverse", metavar="ITEM,...", default="",
        help="Reverse-worded items to recode first (min + max - x). A scale whose items "
        "still load in both directions is named in a warning, and its alpha, omega and CR "
        "are not reported.",
    )
    parser.add_argument(
        "--json", metavar="OUT", default=None,
        help="Write the result as JSON to OUT ('-' for standard output).",
    )
    parser.set_defaults(func=handle)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "    NA"
    return f"{value:6.3f}"


def format_report(report: dict[str, Any]) -> str:
    """A readable text table of :func:`analysis.stats.reliability.reliability_report` output."""
    scales = report["scales"]
    width = max([len("Scale")] + [len(f) for f in scales])
    lines = [
        f"Reliability and validity (estimator {report.get('estimator', 'ML')}, "
        f"N = {report.get('n_obs', 'NA')})",
        "",
        f"{'Scale':<{width}}  items   alpha  [95% CI (Feldt)]   omega      CR     AVE",
    ]
    for factor, s in scales.items():
        lines.append(
            f"{factor:<{width}}  {s['n_items']:5d}  {_fmt(s['alpha'])}  "
            f"[{_fmt(s['alpha_ci_lower'])}, {_fmt(s['alpha_ci_upper'])}]  "
            f"{_fmt(s['omega'])}  {_fmt(s['cr'])}  {_fmt(s['ave'])}"
        )
    for title, key in (("HTMT (semTools htmt2)", "htmt"),
                       ("Fornell-Larcker (sqrt(AVE) on the diagonal)", "fornell_larcker")):
        table = report.get(key) or {}
        if not table:
            continue
        names = list(table)
        lines += ["", title, " " * width + "  " + "  ".join(f"{n[:8]:>8}" for n in names)]
        for r in names:
            cells = []
            for c in names:
                v = table[r].get(c)
                cells.append(f"{'':>8}" if names.index(c) > names.index(r) else f"{_fmt(v):>8}")
            lines.append(f"{r:<{width}}  " + "  ".join(cells))
    cuts = report.get("thresholds") or []
    if cuts:
        lines += ["", "Conventional thresholds: " + "; ".join(
            f"{t['measure']} {t['comparison']} {t['value']:g}" for t in cuts
        )]
    for w in report.get("warnings") or []:
        lines.append(f"Warning: {w}")
    return "\n".join(lines)


def handle(args: argparse.Namespace) -> int:
    """Run the reliability analysis and print or write the result."""
    from analysis.io import jsonable, write_json
    from analysis.stats.reliability import reliability_report

    reverse = comma_items(args, "reverse", "--reverse")  # typed with nothing: refused
    check_json_output(args.json, inputs=[args.data, args.model])
    # the file or the syntax, as sem --model: the syntax itself was "Model file 'f =~ x1 +
    # x2 + x3' does not exist", and so was a folder
    model = model_argument(args.model)
    if "\x00" in model or not model.strip():
        raise ModelSpecificationError("--model is empty or not text; give lavaan syntax or a "
                                      "model file.")
    data = read_table(args.data, variables=model_names(model))
    report = jsonable(reliability_report(data, model, estimator=args.estimator,
                                         reverse=reverse))
    if args.json is None:
        print(format_report(report))
        return 0
    write_json(report, args.json)
    return 0
