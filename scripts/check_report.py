#!/usr/bin/env python3
"""Check a study report: sections, numbers against the analysis JSON, byte-identical rebuild.

Usage (from the repository root)::

    python scripts/check_report.py out/report/demo_report.html \\
        --json out/report/demo_analysis.json \\
        [--rebuild DATA --seed S [--bootstrap B] | --rerender DATA --seed S]

Exit status 0 when the report is consistent, 1 with the list of problems otherwise.
``--rebuild`` runs the whole build again (analysis and rendering) from the data and
seed and requires the same bytes; ``--rerender`` renders again from the analysis JSON
(fast: the analysis itself is not repeated) and requires the same bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", help="The HTML report.")
    parser.add_argument("--json", required=True, help="The analysis JSON the report shows.")
    parser.add_argument("--rebuild", metavar="DATA", default=None,
                        help="Rebuild from DATA and require identical bytes.")
    parser.add_argument("--rerender", metavar="DATA", default=None,
                        help="Render again from DATA and the JSON; require identical bytes.")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--bootstrap", type=int, default=None)
    args = parser.parse_args(argv)

    from analysis.errors import AllianceSurveyError

    try:
        text, analysis = _inputs(args.report, args.json)
    except AllianceSurveyError as exc:  # a missing, damaged or edited file: no traceback
        print(f"check_report: error: {exc}", file=sys.stderr)
        return 2
    from analysis.report.check import check_report, parse_report

    problems = check_report(text, analysis)
    parsed = parse_report(text)
    if args.rebuild:
        from analysis.commands.report import _read
        from analysis.report import build_report, sha256_file

        options = {} if args.bootstrap is None else {"bootstrap": args.bootstrap}
        again, ready = build_report(_read(args.rebuild), seed=args.seed,
                                    data_sha256=sha256_file(args.rebuild), **options)
        if again.encode("utf-8") != Path(args.report).read_bytes():
            problems.append("Rebuilding from the same data and seed gave different bytes.")
        if ready != analysis:
            problems.append("Rebuilding from the same data and seed gave a different analysis.")
    if args.rerender:
        from analysis.commands.report import _read
        from analysis.report import build_report, sha256_file

        again, _ = build_report(_read(args.rerender), analysis=analysis, seed=args.seed,
                                data_sha256=sha256_file(args.rerender))
        if again.encode("utf-8") != Path(args.report).read_bytes():
            problems.append("Rendering again from the same analysis JSON gave different bytes.")
    if problems:
        print(f"{args.report}: {len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print(f"{args.report}: OK ({len(parsed.sections)} sections, {len(parsed.numbers)} numbers "
          f"checked, {parsed.svg_count} figures" + (", identical rebuild" if args.rebuild or args.rerender else "")
          + ").")
    return 0


def _inputs(report: str, analysis_json: str) -> tuple[str, dict]:
    """The report's text and the analysis JSON, each checked: a missing file, text that is
    not JSON and an edited analysis ("n": [], a number of 400 digits) ended in
    tracebacks."""
    from analysis.commands.paths import read_json_file, read_text_file
    from analysis.errors import DataError, clip
    from analysis.study.prereg import check_analysis_file

    text = read_text_file(report, "The report", max_bytes=500 * 1024 * 1024)
    analysis = read_json_file(analysis_json, "the analysis JSON (--json)")
    shown = clip(analysis_json, 200)
    if not isinstance(analysis, dict):
        raise DataError(f"The analysis JSON {shown} is not an object (--json=).")
    check_analysis_file(analysis, provenance_parts=False,
                        what=f"The analysis JSON {shown} (--json=)")
    return text, analysis


if __name__ == "__main__":
    sys.exit(main())
