"""``alliance-survey power``: Monte Carlo power of the declared hypotheses."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analysis.commands.options import refuse_unused, without
from analysis.commands.paths import (
    MAX_DRAWS,
    check_json_output,
    check_output,
    count_up_to,
    positive_float,
    positive_int,
    same_file,
    seed,
)
from analysis.commands.simulate import MAX_RESPONDENTS
from analysis.errors import clip

#: Copy of analysis.study.power's cap on the replications of one run (the parser needs no
#: numpy; a test keeps the two equal).  The respondents' cap is the simulate command's.
MAX_REPLICATIONS = 100_000


def sizes(text: str) -> list[int]:
    """``type=`` for the sample sizes of a power analysis (``100,150,200``): whole numbers
    from the fewest respondents the hypotheses are tested with to the simulation's most,
    none twice (below the minimum every replication failed, after the processes started;
    ``prereg --power-n 0,-5`` said so in the API's words, after "Power analysis: ...")."""
    from analysis.commands.paths import plain_number
    from analysis.study.hypotheses import MIN_RESPONDENTS

    try:
        ns = [int(plain_number(v)) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"must be comma-separated integers such as 100,150,200, not {clip(text)}"
        ) from exc
    if not ns:
        raise argparse.ArgumentTypeError("needs at least one sample size")
    if max(ns) > MAX_RESPONDENTS:
        raise argparse.ArgumentTypeError(
            f"a sample size is at most {MAX_RESPONDENTS:,} respondents, not {max(ns)}")
    if min(ns) < MIN_RESPONDENTS:
        raise argparse.ArgumentTypeError(
            f"every sample size must be at least {MIN_RESPONDENTS}, the fewest respondents "
            f"the hypotheses are tested with (got {min(ns)})")
    if len(set(ns)) != len(ns):
        raise argparse.ArgumentTypeError(f"lists a sample size twice: {clip(text)}")
    return ns


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``power`` sub-command."""
    parser = subparsers.add_parser(
        "power",
        help="Monte Carlo power of every confirmatory hypothesis at given sample sizes.",
        description=(
            "Simulate R studies per sample size from the population model, test the "
            "declared hypotheses in each and report the share supported (power) with its "
            "Monte Carlo standard error. Runs on local processes, or on a Dask cluster "
            "with --scheduler. The same --seed gives the same result everywhere."
        ),
    )
    parser.add_argument("--n", type=sizes, required=True, metavar="N1,N2,...",
                        help="Sample sizes, e.g. 100,150,200,300.")
    parser.add_argument("--reps", type=count_up_to(MAX_REPLICATIONS), default=200,
                        help=f"Replications per size (200; sizes x replications at most "
                        f"{MAX_REPLICATIONS:,}).")
    parser.add_argument("--seed", type=seed, default=2026, help="Seed (default 2026).")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="Dask scheduler address (tcp://host:8786); default local processes.")
    parser.add_argument("--workers", type=positive_int, default=None,
                        help="Local worker processes (default all cores; 1 = serial).")
    parser.add_argument("--mediation-ci", choices=("monte_carlo", "bootstrap"),
                        default="monte_carlo",
                        help="Interval of the indirect effect in each replication: Monte Carlo "
                             "(Preacher & Selig 2012; default, fast) or a bootstrap per "
                             "replication (the full runner, much slower).")
    parser.add_argument("--boot", type=count_up_to(MAX_DRAWS), default=200,
                        help="Bootstrap draws per replication with --mediation-ci bootstrap "
                             "(200).")
    parser.add_argument("--alpha", type=positive_float, default=None,
                        help="Significance level (default: the declared decision.alpha).")
    parser.add_argument("--json", metavar="OUT", default=None, help="Write the results as JSON (a .json file).")
    parser.add_argument("--plot", metavar="FILE", default=None,
                        help="Power curves as .svg or .png.")
    parser.add_argument("--no-progress", action="store_true",
                        help="No progress bar (it is shown only when standard error is a "
                        "terminal, not in a log file).")
    parser.set_defaults(func=handle)


#: Seconds to wait for the scheduler's port to answer before Dask is asked to connect.
SCHEDULER_PROBE_SEC = 5.0


def _check_scheduler(address: str) -> None:
    """Refuse a ``tcp://`` scheduler address whose host is unknown or whose port refuses
    connections, within seconds: Dask retried such an address for 20 s before it gave up.
    Other addresses (a Dask ``tls://`` or ``inproc://`` one) are left to Dask."""
    import socket
    from urllib.parse import urlsplit

    from analysis.errors import AllianceSurveyError

    parts = urlsplit(address)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:  # a port that is no number: Dask names it
        return
    if parts.scheme != "tcp" or not host or port is None:
        return
    try:
        with socket.create_connection((host, port), timeout=SCHEDULER_PROBE_SEC):
            pass
    except OSError as exc:
        why = ("no scheduler answers there (connection refused)"
               if isinstance(exc, ConnectionRefusedError) else
               "the host name is not known" if isinstance(exc, socket.gaierror) else
               f"its port did not answer within {SCHEDULER_PROBE_SEC:g} s"
               if isinstance(exc, TimeoutError) else exc.strerror or str(exc))
        raise AllianceSurveyError(
            f"Could not connect to the Dask scheduler at {clip(address)}: {why}. Start one "
            "with `dask scheduler` and workers with `dask worker ADDRESS`, or leave out "
            "--scheduler to use local processes.") from exc


def handle(args: argparse.Namespace) -> int:
    """Run the power analysis and print power +- MC SE per hypothesis and n."""
    from analysis.distributed import make_executor
    from analysis.errors import DataError
    from analysis.io import atomic_path
    from analysis.study.power import plot_power, power_analysis

    refuse_unused(args, [
        ("boot", args.mediation_ci == "bootstrap",
         without("--boot", "--mediation-ci bootstrap", "it sets the bootstrap draws of each "
                 "replication; the default Monte Carlo interval draws none")),
        ("workers", args.scheduler is None,
         "--workers sets the local processes, but --scheduler runs the replications on the "
         "Dask cluster's workers; leave out --workers or --scheduler."),
    ])
    if args.alpha is not None and not 0 < args.alpha < 0.5:
        raise DataError(f"--alpha must lie between 0 and 0.5 (got {args.alpha}).")
    if len(args.n) * args.reps > MAX_REPLICATIONS:
        raise DataError(f"--n and --reps ask for {len(args.n)} x {args.reps} replications; "
                        f"at most {MAX_REPLICATIONS:,} are run at a time.")
    if same_file(args.json, args.plot):
        raise DataError("--json and --plot must name different files.")
    check_json_output(args.json, make_parents=True, stdout=False)
    check_output(args.plot, "--plot", suffixes=(".svg", ".png"), make_parents=True)
    if args.scheduler is not None:
        _check_scheduler(args.scheduler)
    with make_executor(args.scheduler, args.workers) as ex:
        res = power_analysis(args.n, args.reps, args.seed, executor=ex, n_boot=args.boot,
                             alpha=args.alpha,
                             progress=False if args.no_progress else None,
                             mediation_ci=args.mediation_ci)
    tab = res.table
    print(f"Monte Carlo power, R = {res.reps} per n, alpha = {res.alpha:g}, seed {res.seed}, "
          f"{res.executor}, {res.seconds:.1f} s")
    print(f"Indirect effects: {res.mediation_method}.")
    print(res.tests_method)
    ns = sorted(tab["n"].unique())
    print("hypothesis  " + "".join(f"{'n=' + str(n):>16}" for n in ns))
    for hid, sub in tab.groupby("hypothesis", sort=False):
        cells = []
        for n in ns:
            row = sub[sub["n"] == n].iloc[0]
            cells.append(f"{row['power']:.3f} ± {row['mc_se']:.3f}".rjust(16))
        print(f"{hid:<12}" + "".join(cells))
    if res.errors:
        low = tab.groupby("n")["power_failed_unsupported"].min()
        print(f"{len(res.errors)} replications failed; first: {res.errors[0]}")
        print("Power above is among the replications that could be analysed; counting "
              "the failed ones as not supported, the lowest power per n is "
              + ", ".join(f"n={n}: {p:.3f}" for n, p in low.items()) + ".")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps(res.to_dict(), indent=2), encoding="utf-8")
        print(f"wrote {args.json}")
    if args.plot:
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(args.plot) as tmp:
            plot_power(res, tmp)
        print(f"wrote {args.plot}")
    return 0
