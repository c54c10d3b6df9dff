"""``alliance-survey report``: the reproducible study report (HTML, optionally PDF)."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

from analysis.commands.options import check_option_text
from analysis.commands.paths import (
    check_json_output,
    check_output,
    draws,
    existing_sqlite,
    seed,
    store_file,
)
from analysis.errors import DataError

#: Longest report title (a heading on one line).
MAX_TITLE = 300


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` sub-command."""
    parser = subparsers.add_parser(
        "report",
        help="Analyse a study and write a self-contained HTML report (and PDF).",
        description=(
            "Run the study analysis on DATA (or take an existing analysis JSON with --json) "
            "and write an APA-style, self-contained HTML report: sample, missing data, "
            "exclusions, descriptives, item distributions, measurement model, fit, invariance, "
            "common-method checks, path diagram, hypothesis verdicts, moderation plots, dyadic "
            "agreement and provenance.  The same data and seed give byte-identical output."
        ),
    )
    parser.add_argument("data", metavar="DATA", nargs="?", default=None,
                        help="Data file (.csv, .parquet or .sav); optional with --study "
                        "(then the study's completed responses are analysed).")
    parser.add_argument("--study", metavar="NAME", default=None,
                        help="Study in the response store: adds its fieldwork figures "
                        "(invitations, completed, response rate, durations) to the report, "
                        "and without DATA analyses its completed responses.")
    parser.add_argument("--db", metavar="URL", default=None,
                        help="Database URL for --study (default: $ALLIANCE_SURVEY_DB or "
                        "sqlite:///data/alliance_survey.sqlite).")
    parser.add_argument("--out", required=True, metavar="REPORT.html", help="HTML file to write.")
    parser.add_argument("--pdf", metavar="REPORT.pdf", default=None,
                        help="Also write a PDF (needs WeasyPrint).")
    parser.add_argument("--docx", metavar="TABLES.docx", default=None,
                        help="Also write the main body's tables as an APA-formatted Word file.")
    parser.add_argument("--seed", type=seed, default=None,
                        help="Seed of the bootstrap (default: the --json analysis' seed, else "
                        "2026, analysis.study.pipeline.DEFAULT_SEED); written into the report.")
    parser.add_argument("--json", metavar="ANALYSIS.json", default=None,
                        help="Render from this analysis JSON instead of re-running the analysis.")
    parser.add_argument("--save-json", metavar="OUT.json", default=None,
                        help="Also write the analysis JSON the report shows.")
    parser.add_argument("--estimator", default=None, choices=("WLSMV", "MLR", "ML"),
                        help="SEM estimator (default: the analysis').")
    parser.add_argument("--bootstrap", type=draws, default=None,
                        help="Bootstrap draws (default: the analysis').")
    parser.add_argument("--method", choices=("sem", "pls"), default=None,
                        help="Estimation framework of the hypothesis tests (default: the "
                        "hypotheses file's 'method:', else sem).")
    parser.add_argument("--title", default=None, help="Report title.")
    parser.set_defaults(func=handle)


def _read(path: str) -> Any:
    from analysis.commands.paths import read_table

    return read_table(path)


def _check_fits_instrument(data: Any) -> None:
    """Refuse a data file that is not survey data of the instrument (missing columns,
    codes out of range) before any work: the report was written anyway, exit status 0,
    every section "not available" and the reason in a warning (a report of a failed
    analysis stays for the failures of the analysis itself: too few cases, a model)."""
    from analysis.study.scoring import check_data, conform
    from instruments.instrument.loader import load_instrument

    instrument = load_instrument()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        conformed, _, _ = conform(data, instrument)
        check_data(conformed, instrument)


def _load_json(path: str) -> dict[str, Any]:
    from analysis.commands.paths import PATH_ECHO, read_json_file
    from analysis.errors import clip

    shown = clip(path, PATH_ECHO)
    value = read_json_file(path, "the analysis JSON (--json)")
    if not isinstance(value, dict):
        raise DataError(f"The analysis JSON {shown} is not an object (--json=).")
    from analysis.study.prereg import check_analysis_file

    # an edited or foreign file (the fit of 'sem --json'): refused, not a report of
    # sections that are all "not available"
    check_analysis_file(value, provenance_parts=False,
                        what=f"The analysis JSON {shown} (--json=)")
    return value


def _check_same_data(analysis: dict[str, Any], data: Any, json_path: str,
                     data_path: str) -> None:
    """Refuse DATA that is not the data the analysis of ``--json`` was run on: the report
    showed the analysis of one data set beside the item distributions of another.

    The analysis records :func:`analysis.study.pipeline.data_sha256` of its data as the
    analysis saw it, brought into the instrument's current layout (an analysis written
    before that fingerprint recorded the SHA-256 of the data as CSV text; it is accepted).
    """
    import hashlib

    from analysis.commands.paths import PATH_ECHO
    from analysis.errors import AllianceSurveyError, clip
    from analysis.study.pipeline import data_sha256
    from analysis.study.scoring import conform
    from instruments.instrument.loader import load_instrument

    recorded = analysis["provenance"]["data_sha256"]
    try:
        with warnings.catch_warnings(record=True):  # the notices of an earlier version
            frames = [conform(data, load_instrument())[0], data]
    except AllianceSurveyError:
        frames = [data]
    found = data_sha256(frames[0])
    if recorded in (found, data_sha256(frames[-1])) or any(
            hashlib.sha256(f.to_csv(index=False).encode("utf-8")).hexdigest() == recorded
            for f in frames):
        return
    raise DataError(
        f"The analysis {clip(json_path, PATH_ECHO)} (--json) was run on other data than "
        f"DATA {clip(data_path, PATH_ECHO)}: its data fingerprint is {recorded[:12]}..., "
        f"that of DATA is {found[:12]}...; give the data file the analysis was run on, or "
        "leave out --json to analyse DATA anew.")


def _study(study: str, db: str | None) -> tuple[dict[str, Any], Any]:
    """Fieldwork figures and completed responses of ``study`` in the response store."""
    from instruments.fieldwork.invitations import fieldwork_figures
    from instruments.store import ResponseStore

    url = existing_sqlite(db)
    store = ResponseStore(url)
    try:
        return fieldwork_figures(store, study), store.wide(study, completed_only=True)
    finally:
        store.dispose()


def _preregistration(study: str, db: str | None, analysis: dict[str, Any]) -> Any:
    """The study's frozen plan and the deviations of ``analysis`` from it (None if none)."""
    from analysis.study.prereg import preregistration_section
    from instruments.store import ResponseStore
    from instruments.store.prereg import plan_history

    store = ResponseStore(db)
    try:
        history = plan_history(store, study)
    finally:
        store.dispose()
    return preregistration_section(history, analysis) if history else None


def _resolved(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except (OSError, ValueError):
        return path


def handle(args: argparse.Namespace) -> int:
    """Build the report and write it."""
    from analysis.report import build_report, sha256_file, write_pdf

    if args.data is None and args.study is None:
        if args.json is not None:  # the analysis is shown beside the data it was run on
            raise DataError("--json renders an analysis together with the data it was run "
                            "on; give that data file (DATA) or its study (--study) too.")
        raise DataError("Give a data file (DATA) or a study in the response store (--study).")
    if args.db is not None and args.study is None:
        raise DataError("--db names the response store of --study; give --study NAME too.")
    if args.json is not None:
        # they choose how the analysis is run; with --json it is read, not run, and the
        # report showed the file's estimator and draws under the options asked for
        ignored = [o for o, v in (("--estimator", args.estimator), ("--bootstrap",
                                  args.bootstrap), ("--method", args.method)) if v is not None]
        if ignored:
            raise DataError(f"{', '.join(ignored)} choose(s) how the analysis is run, but "
                            "--json reads an analysis that was run already; drop "
                            f"{' and '.join(ignored)}, or drop --json to run it again.")
    # the heading of the report, the PDF and the Word file: one line (a 100,000-character
    # title had been written into every one of them)
    args.title = check_option_text(args.title, "--title", limit=MAX_TITLE,
                                   outcome="no report was written")
    if args.bootstrap is not None and args.bootstrap < 2:
        # an option error, not a finding: refused here rather than reported in the report
        raise DataError(f"--bootstrap must be at least 2 (got {args.bootstrap}).")
    # first (the extension checks below would name only one of two outputs), and for a
    # name Path cannot resolve (a NUL byte) the plain text: check_output refuses it
    named = [_resolved(p) for p in (args.out, args.pdf, args.save_json, args.docx) if p]
    if len(set(named)) < len(named):
        raise DataError("--out, --pdf, --docx and --save-json must name different files.")
    inputs = [args.data, args.json, store_file(args.db) if args.study else None]
    # the report is HTML and the analysis JSON: a name that says otherwise is a mistake
    check_output(args.out, "--out", inputs=inputs, suffixes=(".html", ".htm"),
                 make_parents=True)
    check_output(args.pdf, "--pdf", inputs=inputs, suffixes=(".pdf",), make_parents=True)
    check_json_output(args.save_json, "--save-json", inputs=inputs, make_parents=True,
                      stdout=False)
    check_output(args.docx, "--docx", inputs=inputs, suffixes=(".docx",), make_parents=True)
    fieldwork, data, data_sha = None, None, None
    if args.study is not None:
        fieldwork, wide = _study(args.study, args.db)
        if args.data is None:
            data = wide
            if len(data) == 0:
                raise DataError(f"Study {args.study!r} has no completed responses to analyse.")
    if data is None:
        data = _read(args.data)
        data_sha = sha256_file(args.data)
    analysis = _load_json(args.json) if args.json else None
    if analysis is None and args.data is not None:
        _check_fits_instrument(data)
    elif analysis is not None and args.data is not None:
        _check_same_data(analysis, data, args.json, args.data)
    options: dict[str, Any] = {}
    if args.estimator is not None:
        options["estimator"] = args.estimator
    if args.bootstrap is not None:
        options["bootstrap"] = args.bootstrap
    if args.method is not None:
        options["method"] = args.method
    title = args.title or (f"Study report: {args.study}" if args.study else None)
    # as in 'analyze': the analysis lists its problems in its warnings (shown in the
    # report); the Python warnings of the libraries beneath it are swallowed
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("ignore")
        html, ready = build_report(data, analysis=analysis, seed=args.seed,
                                   data_sha256=data_sha, title=title, fieldwork=fieldwork,
                                   **options)
    if args.study is not None:
        section = _preregistration(args.study, args.db, ready)
        if section is not None:  # the frozen plan, its amendments and the deviations from it
            html, ready = build_report(data, analysis={**ready, "preregistration": section},
                                       seed=args.seed, data_sha256=data_sha, title=title,
                                       fieldwork=fieldwork)
    import contextlib

    from analysis.io import atomic_path

    # each file complete or not at all, and all of them or none: an error or Ctrl-C
    # half-way keeps an earlier run's files (the new HTML had replaced the old one while
    # the PDF, still being rendered, stayed the earlier run's)
    out = Path(args.out)
    for path in (out, args.save_json, args.pdf, args.docx):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as files:
        tmp = files.enter_context(atomic_path(out))
        tmp.write_bytes(html.encode("utf-8"))
        if args.save_json:
            tmp = files.enter_context(atomic_path(args.save_json))
            tmp.write_text(json.dumps(ready, indent=2, allow_nan=False) + "\n",
                           encoding="utf-8")
        if args.pdf:
            write_pdf(html, files.enter_context(atomic_path(args.pdf)))
        if args.docx:
            from analysis.report.docx import write_docx

            write_docx(html, files.enter_context(atomic_path(args.docx)), title=title)
    more = [p for p in (args.pdf, args.docx) if p]
    print(f"Report written to {out}" + "".join(f" and {p}" for p in more) + ".",
          file=sys.stderr)
    return 0
