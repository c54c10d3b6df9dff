"""``alliance-survey prereg``: write the study's pre-registration and freeze it in the store."""

from __future__ import annotations

import argparse
import html
import re

from analysis.commands.options import check_option_text, refuse_unused, without
from analysis.commands.paths import count_up_to, draw_count, seed
from analysis.commands.power import MAX_REPLICATIONS, sizes

#: Largest planned sample a plan accepts (--target-n 1e30 was written into the plan).
MAX_TARGET_N = 1_000_000


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``prereg`` sub-command."""
    parser = subparsers.add_parser(
        "prereg",
        help="Write a study's pre-registration (Markdown or PDF) and freeze its plan.",
        description=(
            "Build the study's analysis plan (hypotheses with directions and decision rules, "
            "instrument version and hash, sampling plan with the Monte Carlo power analysis, "
            "exclusion rules, analysis plan and seed), write it as PREREG.md or .pdf and "
            "freeze it in the response store: its SHA-256 and time are recorded.  A frozen "
            "plan changes only by a logged amendment (--amend --reason).  With --deviations "
            "ANALYSIS.json (from 'analyze --json') lists every difference between the frozen "
            "plan and that analysis instead."
        ),
    )
    parser.add_argument("--study", required=True, help="Study name (as in the store).")
    parser.add_argument("--out", metavar="PREREG.md|.pdf", default=None,
                        help="Document to write (.md or .pdf).")
    parser.add_argument("--db", metavar="URL", default=None,
                        help="Database URL (default: ALLIANCE_SURVEY_DB or the SQLite file).")
    parser.add_argument("--amend", action="store_true",
                        help="Record the current plan as an amendment of the frozen one.")
    parser.add_argument("--reason", default=None, help="Why the plan changes (with --amend).")
    parser.add_argument("--hypotheses", metavar="YAML", default=None,
                        help="Hypotheses file (default: the package's hypotheses.yaml).")
    parser.add_argument("--estimator", choices=("WLSMV", "MLR"), default="WLSMV",
                        help="Planned measurement-model estimator (default WLSMV).")
    parser.add_argument("--bootstrap", type=draw_count, default=1000, metavar="N",
                        help="Planned bootstrap draws of the mediation test (default 1000).")
    parser.add_argument("--seed", type=seed, default=2026, metavar="S",
                        help="Seed of the analysis and the power simulation (default 2026).")
    parser.add_argument("--target-n", type=count_up_to(MAX_TARGET_N), default=None, metavar="N",
                        help=f"Planned number of retained respondents (at most {MAX_TARGET_N:,}).")
    parser.add_argument("--power-n", type=sizes, default="200,300,400", metavar="N1,N2,...",
                        help="Sample sizes of the power analysis (default 200,300,400).")
    parser.add_argument("--power-reps", type=count_up_to(MAX_REPLICATIONS, least=0),
                        default=100, metavar="R",
                        help="Replications per sample size (default 100; 0 skips the power "
                             "analysis).")
    parser.add_argument("--power-boot", type=draw_count, default=200, metavar="B",
                        help="Bootstrap draws per replication's mediation test (default 200).")
    parser.add_argument("--deviations", metavar="ANALYSIS.json", default=None,
                        help="List the deviations of this analysis from the frozen plan.")
    parser.set_defaults(func=handle)


#: Longest reason of an amendment: a paragraph on one line of the document's list of
#: amendments (a line break broke the list; 100,000 characters had been stored).
MAX_REASON = 1000  # = instruments.store.prereg.AMENDMENT_REASON_MAX (not imported at start-up)
#: The options that build a plan; --deviations compares an analysis with the frozen one.
PLAN_OPTIONS = (("amend", "--amend"), ("reason", "--reason"), ("hypotheses", "--hypotheses"),
                ("estimator", "--estimator"), ("bootstrap", "--bootstrap"), ("seed", "--seed"),
                ("target_n", "--target-n"), ("power_n", "--power-n"),
                ("power_reps", "--power-reps"), ("power_boot", "--power-boot"))


def _refuse_unused(args: argparse.Namespace) -> None:
    """Options typed where they do nothing: with --deviations the plan is read from the
    store, not built; --reason explains an amendment; the power options need a power
    analysis (--power-reps above 0)."""
    building = args.deviations is None
    rules = [(dest, building, f"{option} builds the plan to freeze, but --deviations "
              f"compares an analysis with the plan already frozen; leave out {option}.")
             for dest, option in PLAN_OPTIONS]
    if building:
        rules.append(("reason", args.amend, without("--reason", "--amend",
                                                      "it gives the reason of an amendment")))
        power = args.power_reps > 0
        rules += [(dest, power, f"{option} has no effect with --power-reps 0 (no power "
                   f"analysis is run); leave out {option} or --power-reps 0.")
                  for dest, option in (("power_n", "--power-n"), ("power_boot",
                                                                  "--power-boot"))]
    refuse_unused(args, rules)


def _check_out(args: argparse.Namespace) -> str | None:
    """The kind of ``--out`` (``.md`` / ``.pdf``), checked as every output is, before the
    plan is frozen: a folder that could not be written logged the amendment in the store
    and then failed, and a NUL byte or a read-only file was not looked at."""
    from analysis.commands.paths import check_output, store_file

    p = check_output(args.out, "--out", inputs=[store_file(args.db), args.hypotheses,
                                                args.deviations], suffixes=(".md", ".pdf"))
    return None if p is None else p.suffix.lower()


def markdown_html(text: str, title: str) -> str:
    """A small Markdown-to-HTML conversion (headings, lists, tables, code) for the PDF."""
    out: list[str] = []
    in_code = in_list = in_table = False

    def inline(s: str) -> str:
        s = html.escape(s)
        s = re.sub(r"`([^`]*)`", r"<code>\1</code>", s)
        return re.sub(r"\*\*([^*]*)\*\*", r"<strong>\1</strong>", s)

    for line in text.splitlines():
        if line.startswith("```"):
            out.append("</pre>" if in_code else "<pre>")
            in_code = not in_code
            continue
        if in_code:
            out.append(html.escape(line))
            continue
        if in_list and not line.startswith("* "):
            out.append("</ul>")
            in_list = False
        if in_table and not line.startswith("|"):
            out.append("</table>")
            in_table = False
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{inline(line[level:].strip())}</h{level}>")
        elif line.startswith("* "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{inline(line[2:])}</li>")
        elif line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if all(set(c) <= {"-"} for c in cells):
                continue
            tag = "th" if not in_table else "td"
            if not in_table:
                out.append("<table border='1' cellspacing='0' cellpadding='3'>")
                in_table = True
            out.append("<tr>" + "".join(f"<{tag}>{inline(c.replace(chr(92) + '|', '|'))}"
                                        f"</{tag}>" for c in cells) + "</tr>")
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
    if in_list:
        out.append("</ul>")
    if in_table:
        out.append("</table>")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
            f"{html.escape(title)}</title><style>body{{font-family:sans-serif;font-size:10pt}}"
            "table{border-collapse:collapse}</style></head><body>"
            + "\n".join(out) + "</body></html>")


def _write(path: str, kind: str, text: str, title: str) -> None:
    from analysis.io import atomic_path

    with atomic_path(path) as tmp:  # complete or not at all
        if kind == ".md":
            tmp.write_text(text, encoding="utf-8")
        else:
            from analysis.report import write_pdf

            write_pdf(markdown_html(text, title), tmp)


def deviations_markdown(devs: list[dict]) -> str:
    """The deviations as a Markdown table."""
    if not devs:
        return "No deviations from the frozen plan.\n"
    lines = ["| what | kind | planned | actual | status | note |", "|---|---|---|---|---|---|"]
    for d in devs:
        lines.append("| " + " | ".join(str(x).replace("|", "\\|").replace("\n", " ") for x in (
            d["what"], d["kind"], d["planned"], d["actual"], d["status"], d["note"])) + " |")
    return "\n".join(lines) + "\n"


def handle(args: argparse.Namespace) -> int:
    """Build, freeze (or amend) and write the pre-registration; or list deviations."""
    import sys

    from analysis.commands.paths import existing_sqlite
    from analysis.errors import DataError, ModelSpecificationError
    from analysis.study.prereg import build_plan, deviations, plan_changes, render_markdown
    from instruments.store import ResponseStore
    from instruments.store.prereg import freeze_plan, plan_history

    _refuse_unused(args)
    reason = check_option_text(args.reason, "--reason", limit=MAX_REASON)
    kind = _check_out(args)
    if args.deviations is not None:
        from analysis.commands.paths import PATH_ECHO, read_json_file
        from analysis.errors import clip
        from analysis.study.prereg import check_analysis_file

        shown = clip(args.deviations, PATH_ECHO)
        result = read_json_file(args.deviations, "--deviations")
        # another command's JSON (a 'sem --json' fit) listed every hypothesis as dropped
        check_analysis_file(result, what=f"--deviations {shown}")
        store = ResponseStore(existing_sqlite(args.db))
        try:
            devs = deviations(plan_history(store, args.study), result)
        finally:
            store.dispose()
        text = deviations_markdown(devs)
        if kind is not None:
            _write(args.out, kind, f"# Deviations from the frozen plan: {args.study}\n\n"
                   + text, f"Deviations: {args.study}")
        sys.stdout.write(text)
        return 0
    if kind is None:
        raise DataError("--out PREREG.md or PREREG.pdf is required.")
    if args.amend and not reason:
        raise DataError("--amend needs --reason \"...\" (why the plan changes).")
    if args.bootstrap < 2 or args.power_reps < 0 or args.power_boot < 2:
        raise ModelSpecificationError("--bootstrap and --power-boot must be at least 2 and "
                                      "--power-reps at least 0.")
    ns = args.power_n
    if args.hypotheses is not None:
        from analysis.study.hypotheses import load_hypotheses

        load_hypotheses(args.hypotheses)  # a bad file is refused before the power analysis
    store = ResponseStore(existing_sqlite(args.db))
    try:
        history = plan_history(store, args.study)  # also checks that the study exists
        power = None
        if args.power_reps > 0:
            from analysis.study.power import power_analysis

            print(f"Power analysis: {args.power_reps} replications at n = "
                  f"{', '.join(map(str, ns))} ...", file=sys.stderr, flush=True)
            power = power_analysis(ns, args.power_reps, seed=args.seed, n_boot=args.power_boot,
                                   hypotheses=args.hypotheses, progress=False).to_dict()
        plan = build_plan(args.study, hypotheses=args.hypotheses, estimator=args.estimator,
                          bootstrap=args.bootstrap, seed=args.seed, power=power,
                          target_n=args.target_n)
        changes = plan_changes(history[-1].content, plan) if history else []
        status, version = freeze_plan(
            store, args.study, plan,
            lambda sha, at, n: render_markdown(plan, sha256=sha, frozen_at=at, n_responses=n),
            amend=args.amend, reason=reason, changes=changes,
            instrument_sha256=plan["instrument"]["sha256"])
        history = plan_history(store, args.study)
    finally:
        store.dispose()
    first = history[0]
    doc = render_markdown(version.content, sha256=version.sha256, frozen_at=first.at,
                          n_responses=first.n_responses, amendments=history[1:])
    _write(args.out, kind, doc, f"Pre-registration: {args.study}")
    what = {"frozen": "Frozen", "unchanged": "Unchanged: already frozen as",
            "amended": f"Amendment #{version.seq} logged:"}[status]
    print(f"{what} plan sha256 {version.sha256} ({version.n_responses} response(s) in the "
          f"store); wrote {args.out}.")
    return 0
