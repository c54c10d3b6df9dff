"""``alliance-survey demo``: set up the demo study in the response store and open the survey.

The simulated demo respondents (``data/demo/alliance_demo.csv``) are walked
through the real store API, page by page, exactly as the survey app submits
them; then a few fresh invitation links are printed, a short analysis summary
is shown, and the Streamlit app is started (unless ``--no-serve``).  Running
the command again adds nothing twice: respondents are keyed by their alliance id
and firm role, and the study-lead password and open links are kept in a
credentials file next to the database.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.commands.options import refuse_unused
from analysis.commands.paths import count_up_to, port_number, survey_address

#: Most fresh invitation links the demo prints.
MAX_OPEN_LINKS = 1000

if TYPE_CHECKING:
    import pandas as pd

    from instruments.store import ResponseStore

DEMO_STUDY = "demo"
DEMO_CSV = Path("data") / "demo" / "alliance_demo.csv"
CREDENTIALS_FILE = "demo_credentials.txt"
#: Simulation used when the demo data file is missing (the committed file was made with it).
SIMULATION = {"n": 400, "dyads": 100, "seed": 2026, "missing": 0.03}
#: Fixed start of the simulated fieldwork, so page times are reproducible.
FIELDWORK_START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` sub-command."""
    parser = subparsers.add_parser(
        "demo",
        help="set up the simulated demo study in the SQLite store and start the survey app",
        description=(
            "Create study 'demo' (if missing) with a generated study-lead password, load the "
            "simulated demo respondents into the response store through the survey's own "
            "API, print a few fresh invitation links and a short analysis summary, then start "
            "the survey app.  Safe to run again: nothing is loaded twice."
        ),
    )
    parser.add_argument("--db", metavar="URL",
                        help="database URL (default: $ALLIANCE_SURVEY_DB or "
                        "sqlite:///data/alliance_survey.sqlite)")  # fmt: skip
    parser.add_argument("--data", metavar="CSV",
                        help=f"demo respondents (default: {DEMO_CSV.as_posix()}; simulated "
                        "when missing)")  # fmt: skip
    # checked while parsing: 10**11 was refused only after the demo study was loaded
    parser.add_argument("--open-links", type=count_up_to(MAX_OPEN_LINKS, least=0), default=3,
                        metavar="K",
                        help="fresh invitation links to print (default: 3)")  # fmt: skip
    parser.add_argument("--port", type=port_number, default=8501,
                        help="port of the app (default: 8501)")
    parser.add_argument("--base-url", metavar="URL", type=survey_address,
                        help="survey address for links (default: http://localhost:PORT)")  # fmt: skip
    parser.add_argument("--credentials", metavar="FILE",
                        help=f"where the password and links are kept (default: {CREDENTIALS_FILE} "
                        "next to the SQLite file, else in data/)")  # fmt: skip
    parser.add_argument("--no-serve", action="store_true", help="do not start the survey app")
    parser.add_argument("--no-summary", action="store_true", help="skip the analysis summary")
    parser.set_defaults(func=handler)


# -- loading respondents ------------------------------------------------------------------


def _value(field: Any, raw: Any) -> Any:
    """A data-file cell as the store receives it (``None`` for missing)."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    if field.kind == "text":
        text = str(raw)
        return text if text.strip() else None
    if field.kind == "number":
        return float(raw)
    return int(round(float(raw)))


def _partner_names(alliance_id: str) -> tuple[str, str]:
    """Made-up names of the two firms of a demo alliance."""
    return f"Demo firm {alliance_id}-A", f"Demo firm {alliance_id}-B"


def load_respondents(store: ResponseStore, study: str, data: pd.DataFrame) -> dict[str, int]:
    """Walk every respondent of ``data`` through the survey pages of the store.

    Rows are grouped by ``alliance_id``; an alliance with firm roles ``A`` and
    ``B`` becomes a dyad invitation, any other row a single invitation.
    Alliances already in the study are skipped (so loading twice adds nothing).
    Each respondent opens the link, submits page after page with the page times
    of the data (``page_time_<page>``), and is screened out after the screening
    page when the answer calls for it.

    Returns
    -------
    dict
        Counts: ``loaded``, ``completed``, ``screened_out``, ``skipped`` (already
        present), ``refused`` (a page the store refused; the respondent is left
        unfinished).
    """
    from instruments.fieldwork.invitations import create_dyad, create_invitations, invitations_table

    present = set(invitations_table(store, study)["alliance_id"])
    counts = {"loaded": 0, "completed": 0, "screened_out": 0, "skipped": 0, "refused": 0}
    clock = FIELDWORK_START
    jobs: list[tuple[str, dict, datetime]] = []
    for alliance_id, group in data.groupby("alliance_id", sort=False):
        alliance_id = str(alliance_id)
        if alliance_id in present:
            counts["skipped"] += len(group)
            continue
        rows = {str(r["firm_role"]): r for _, r in group.iterrows()}
        language = {role: str(r.get("language") or "en") for role, r in rows.items()}
        if set(rows) == {"A", "B"} and len(group) == 2:
            name_a, name_b = _partner_names(alliance_id)
            inv_a, inv_b = create_dyad(
                store, study, firm_a=name_a, firm_b=name_b, alliance_id=alliance_id,
                language_a=language["A"], language_b=language["B"],
            )  # fmt: skip
            issued = [(inv_a, rows["A"]), (inv_b, rows["B"])]
        else:
            issued = []
            for _, row in group.iterrows():
                role = row.get("firm_role")
                role = str(role) if isinstance(role, str) and role in ("A", "B") else None
                (inv,) = create_invitations(
                    store, study, 1, alliance_id=alliance_id, firm_role=role,
                    partner_name=_partner_names(alliance_id)[1],
                    language=str(row.get("language") or "en"),
                )  # fmt: skip
                issued.append((inv, row))
        for inv, row in issued:
            clock += timedelta(minutes=7)
            store.start(inv.token, now=clock)
            jobs.append((inv.token, {k: row.get(k) for k in row.index}, clock))
    counts["loaded"] = len(jobs)
    for token, row, start in jobs:
        counts[_walk(store, token, row, start)] += 1
    return counts


def _walk(store: Any, token: str, row: dict, start: datetime) -> str:
    """Submit every page of one respondent; return ``completed``, ``screened_out`` or ``refused``."""
    from instruments.store import PageValidationError

    inst = store.instrument
    state = store.state(token)
    now = start
    given: dict[str, Any] = {}
    for spec in store.pages:
        # a respondent never sees the items the survey logic hides from them (and the store
        # refuses answers to them): the simulated study answers every item, so the walk
        # leaves those unanswered, as the live survey would
        hidden = set(spec.hidden(given))
        answers = {f.id: None if f.id in hidden else _value(f, row.get(f.id))
                   for f in spec.fields}
        given.update({k: v for k, v in answers.items() if v is not None})
        seconds = row.get(f"page_time_{spec.id}")
        shown = now
        step = float(seconds) if seconds is not None and seconds == seconds else 30.0
        now = shown + timedelta(seconds=max(step, 1.0))
        try:
            store.submit_page(
                token, spec.id, answers, submission_key=f"demo-{state.respondent_id}-{spec.id}",
                shown_at=shown, now=now,
            )  # fmt: skip
        except PageValidationError:
            return "refused"
        question = inst.screening.question
        if question in answers and inst.screening.screened_out(answers[question]):
            store.screen_out(token, now=now)
            return "screened_out"
    return "completed"


def demo_data(path: str | Path | None) -> pd.DataFrame:
    """The demo respondents: the data file, or a fresh simulation when it is missing."""
    csv = Path(path) if path else DEMO_CSV
    if path or csv.exists():
        # the project's reader and the instrument's checks, before anything is stored: a
        # file that cannot be read, lacks the item columns or holds text or out-of-range
        # codes in them had stopped in the middle of loading, the study already made
        import warnings

        from analysis.errors import DataError
        from analysis.study.datafiles import read_data
        from analysis.study.scoring import check_data
        from instruments.instrument.loader import load_instrument

        data = read_data(csv)
        if "alliance_id" not in data.columns:
            raise DataError(f"The demo data file {str(csv)[:200]!r} has no column "
                            "alliance_id (one row per respondent, grouped by alliance_id); "
                            "is it the survey's wide data, comma-separated?")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # constant or empty items: loaded as they are
            check_data(data, load_instrument())
        if data["alliance_id"].isna().any():
            raise DataError(f"The demo data file {str(csv)[:200]!r} has "
                            f"{int(data['alliance_id'].isna().sum())} row(s) without an "
                            "alliance_id.")
        return data
    from analysis.study.simulate import simulate_study

    print(f"{DEMO_CSV.as_posix()} not found; simulating the demo study "
          f"({SIMULATION}).", file=sys.stderr)  # fmt: skip
    return simulate_study(
        SIMULATION["n"], dyads=SIMULATION["dyads"], seed=SIMULATION["seed"],
        missing=SIMULATION["missing"],
    )  # fmt: skip


# -- credentials and open links -------------------------------------------------------------


def credentials_path(url: str, given: str | None) -> Path:
    """Where the demo's password and open links are kept."""
    if given:
        return Path(given)
    from instruments.store.engine import parse_url

    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return Path(parsed.database).expanduser().parent / CREDENTIALS_FILE
    return Path("data") / CREDENTIALS_FILE


def _read_credentials(path: Path) -> tuple[str | None, list[str]]:
    password, links = None, []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("password: "):
                password = line.split(": ", 1)[1].strip()
            elif line.startswith("link: "):
                links.append(line.split(": ", 1)[1].strip())
    return password, links


def _write_credentials(path: Path, study: str, password: str, links: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# alliance-survey demo: study-lead password and open invitation links.",
        "# Keep this file private; it is git-ignored.",
        f"study: {study}",
        f"password: {password}",
        *(f"link: {link}" for link in links),
    ]
    # Written next to the target and renamed over it: a crash mid-write never leaves a
    # file without the password that the store now expects.  The scratch file is created
    # readable by its owner only: written first and restricted after, the password stood
    # in a file of mode 0644 (others could read it) until the chmod, and for good when
    # the write failed half-way (a full disk), as the scratch file was not removed.
    scratch = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        scratch.unlink()  # one left by a killed run, perhaps with other permissions
    try:
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        scratch.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            scratch.unlink()
        raise


@contextmanager
def one_demo_at_a_time(url: str, creds: Path) -> Iterator[None]:
    """Hold the demo's lock on this store (a SQLite file's ``-demo-lock`` beside it, else
    one beside the credentials file) while the study is set up.

    Two ``demo`` runs on one store at once each gave the study a new password; the run
    whose password the store kept was not always the one that wrote the credentials file,
    the other failed half-way ("Alliance id 'A00004' is already used"), and the password
    printed and saved did not open the dashboard.  The second run now waits, then finds
    the first one's study, password and respondents.
    """
    import fcntl

    from instruments.store.engine import parse_url

    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        lock = Path(str(Path(parsed.database).expanduser()) + "-demo-lock")
    else:
        lock = creds.with_name(creds.name + "-demo-lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("Another 'alliance-survey demo' is setting up this store; waiting for it "
                  "...", file=sys.stderr, flush=True)
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def ensure_password(
    store: ResponseStore, study: str, saved: str | None, keep: Path | None = None,
    links: list[str] | None = None,
) -> tuple[str, bool]:
    """The study-lead password: the saved one if it still works, else a new one.

    A new password is first written to the credentials file ``keep`` (when given) and
    only then stored, so it can never be replaced without being kept.

    Returns ``(password, new)``.
    """
    import secrets

    from analysis.errors import ResponseError
    from instruments.fieldwork.auth import has_password, set_password, verify_password

    if saved and has_password(store, study):
        try:
            if verify_password(store, study, saved, client="demo"):
                return saved, False
        except ResponseError:  # throttled after failed logins: issue a new password
            pass
    password = secrets.token_urlsafe(18)
    if keep is not None:
        _write_credentials(keep, study, password, links or [])
    return set_password(store, study, password, replace=True), True


def open_links(store: ResponseStore, study: str, saved: list[str], k: int, base: str) -> list[str]:
    """Keep the saved links that are still open and top them up to ``k`` new ones."""
    from analysis.errors import ResponseError
    from instruments.fieldwork.invitations import check_token, create_invitations

    keep = []
    for link in saved:
        token = link.split("?t=", 1)[-1]
        try:
            info = check_token(store, token)
        except ResponseError:
            continue
        if info.study == study:
            keep.append(f"{base.rstrip('/')}/?t={token}")
    missing = max(0, k - len(keep))
    if missing:
        fresh = create_invitations(store, study, missing, partner_name="Example Partner Ltd")
        keep += [inv.link(base) for inv in fresh]
    return keep[: max(k, 0)] if k else []


# -- analysis summary ---------------------------------------------------------------------


def print_summary(store: ResponseStore, study: str) -> None:
    """A short analysis of the completed responses; missing pieces say so."""
    data = store.wide(study, completed_only=True)
    inst = store.instrument
    print(f"\nAnalysis summary ({len(data)} completed responses):")
    from analysis.stats.reliability import reliability_report
    from analysis.study.scoring import reverse_key, score

    try:
        scores = score(data, inst)
        flagged = int(scores["exclude"].sum()) if "exclude" in scores else 0
        print(f"  flagged by data-quality checks: {flagged}")
        means = scores[[s for s in inst.scales if s in scores.columns]].mean()
        print("  scale means: " + ", ".join(f"{k} {v:.2f}" for k, v in means.items()))
    except Exception as exc:  # noqa: BLE001 - a summary must never stop the demo
        print(f"  scale scores: not available ({type(exc).__name__}: {exc})")
    try:
        core = ["info_sharing", "joint_sensemaking", "knowledge_integration", "dep_own",
                "dep_partner", "trust"]  # fmt: skip
        keyed = reverse_key(data, inst)
        blocks = {s: inst.scales[s].item_ids for s in core if s in inst.scales}
        report = reliability_report(keyed, blocks)
        print("  reliability (alpha / omega / AVE):")
        for name, row in report["scales"].items():
            print(f"    {name:<24} {row['alpha']:.2f} / {row['omega']:.2f} / {row['ave']:.2f}")
    except Exception as exc:  # noqa: BLE001
        print(f"  reliability: not available ({type(exc).__name__}: {exc})")
    print("  More: alliance-survey reliability / sem / report.")


# -- the command ----------------------------------------------------------------------------


def handler(args: argparse.Namespace) -> int:
    """Set up the demo study, print password and links, summarise, serve."""
    import time

    from instruments.fieldwork.invitations import get_or_create_study
    from instruments.store import ResponseStore, resolve_url

    refuse_unused(args, [("port", not (args.no_serve and args.base_url),
                          "--port is the port of the app and of the links' default address; "
                          "with --no-serve and --base-url it has neither. Leave out --port.")])
    url = resolve_url(args.db)
    base = args.base_url or f"http://localhost:{args.port}"
    from analysis.commands.paths import check_output, store_file

    creds = credentials_path(url, args.credentials)
    # the name as typed: Path() drops a trailing '/' ('c.txt/' wrote 'c.txt')
    check_output(args.credentials or creds, "--credentials",
                 inputs=[store_file(url), args.data], make_parents=True)
    started = time.perf_counter()
    data = demo_data(args.data)  # a missing file is reported before anything is stored
    with one_demo_at_a_time(url, creds):
        store = ResponseStore(url)
        try:
            get_or_create_study(store, DEMO_STUDY)
            saved_password, saved_links = _read_credentials(creds)
            password, new = ensure_password(store, DEMO_STUDY, saved_password, creds,
                                            saved_links)
            counts = load_respondents(store, DEMO_STUDY, data)
            links = open_links(store, DEMO_STUDY, saved_links, args.open_links, base)
            _write_credentials(creds, DEMO_STUDY, password, links)
            print(f"Demo study {DEMO_STUDY!r} in {url}")
            print(f"  respondents loaded now: {counts['loaded']} (completed "
                  f"{counts['completed']}, screened out {counts['screened_out']}, refused "
                  f"{counts['refused']}); already present: {counts['skipped']}  "
                  f"[{time.perf_counter() - started:.1f} s]")
            print(f"Study-lead password{' (new)' if new else ''}: {password}")
            print(f"  (saved in {creds}; dashboard: {base}/?admin=1&study={DEMO_STUDY})")
            print("Open invitation links (each answers the survey once):")
            for link in links:
                print(f"  {link}")
            if not args.no_summary:
                print_summary(store, DEMO_STUDY)
        finally:
            store.dispose()
    if args.no_serve:
        return 0
    return serve(url, args.port, base)


def serve(url: str, port: int, base: str) -> int:
    """Run ``streamlit run streamlit_app.py`` against ``url`` until interrupted."""
    import os
    import subprocess

    app = Path(__file__).resolve().parents[2] / "streamlit_app.py"
    if not app.exists():
        from analysis.errors import DataError

        raise DataError(f"The survey app {str(app)!r} is missing; run the demo from a checkout "
                        "of the repository.")  # fmt: skip
    env = dict(os.environ, ALLIANCE_SURVEY_DB=url, ALLIANCE_SURVEY_BASE_URL=base)
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
           "--server.port", str(port), "--browser.gatherUsageStats", "false"]  # fmt: skip
    print(f"\nStarting the survey app at {base} (Ctrl+C stops it) ...", flush=True)
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0
