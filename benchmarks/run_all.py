"""Run every benchmark and print the figures: ``python -m benchmarks.run_all [--quick]``.

Full run (R with lavaan required for the bootstrap ratio):

* bootstrap of an indirect effect, PoliticalDemocracy, 1000 draws: ours (serial and 2
  processes) vs lavaan ``se = "bootstrap"`` vs a naive semopy loop -> ratios;
* Monte Carlo power of every confirmatory hypothesis at n = 100, 150, 200, 300;
* the full analysis pipeline at N = 10,000, 30,000 and 100,000 (time per stage, peak
  memory), each in its own process, and the WLSMV measurement model of 20, 40, 65 and
  100 simulated items at N = 20,000, with the fitted growth exponents (time ~ N^a,
  ~ items^b; memory likewise);
* survey load: 50 concurrent respondents on SQLite and PostgreSQL, latency percentiles,
  throughput, integrity check, and the kill/restart fault test.

``--quick`` (seconds, no R, no PostgreSQL): tiny sizes of the same code paths, for CI.
The figures are printed as tables and written to ``out/benchmarks.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

from benchmarks.common import OUT, load_average, rscript

FULL = dict(boot_draws=1000, semopy_draws=100, power_ns=[100, 150, 200, 300], power_reps=50,
            power_boot=200, pipeline_ns=[10_000, 30_000, 100_000], items=[20, 40, 65, 100],
            items_n=20_000, load_n=50, pg=True)
QUICK = dict(boot_draws=20, semopy_draws=3, power_ns=[60], power_reps=1, power_boot=20,
             pipeline_ns=[], items=[10, 20], items_n=400, load_n=4, pg=False)


def _fmt(v: Any, nd: int = 2) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def _print_bootstrap(b: dict[str, Any]) -> None:
    print(f"\n== Bootstrap: indirect effect, PoliticalDemocracy (N = 75), {b['draws']} draws ==")
    print(f"{'method':<34}{'seconds':>10}{'ratio to ours':>16}")
    best = b["ours_best_s"]
    rows = [("ours, serial", b["ours_serial_s"]), ("ours, 2 processes", b["ours_2proc_s"]),
            ("lavaan 0.6 se='bootstrap' (elapsed)", b.get("lavaan_s")),
            (f"naive semopy loop (x{b['draws']}/{b['semopy_draws_timed']})", b["semopy_s"])]
    for name, secs in rows:
        ratio = None if secs is None else secs / best
        print(f"{name:<34}{_fmt(secs):>10}{_fmt(ratio, 1):>16}")
    print(f"lavaan vs ours: {_fmt(b.get('ratio_lavaan_vs_ours'), 1)}x   "
          f"semopy loop vs ours: {_fmt(b['ratio_semopy_vs_ours'], 1)}x   "
          f"serial == parallel draws: {b['ours_identical']}")
    print(f"bootstrap SE of ab: ours {_fmt(b['ours_ab_se'], 4)}, lavaan "
          f"{_fmt(b.get('lavaan_ab_se'), 4)}, semopy {_fmt(b['semopy_ab_se'], 4)}")


def _print_power(p: dict[str, Any]) -> None:
    print(f"\n== Monte Carlo power, R = {p['reps']} per n, alpha = {p['alpha']} "
          f"({p['executor']}, {p['seconds']:.0f} s, "
          f"{p['seconds_per_replication']:.2f} s/replication) ==")
    ns = p["ns"]
    print(f"{'hypothesis':<12}" + "".join(f"{'n=' + str(n):>15}" for n in ns))
    by: dict[str, dict[int, dict]] = {}
    for r in p["power"]:
        by.setdefault(r["hypothesis"], {})[r["n"]] = r
    for h, cells in by.items():
        print(f"{h:<12}" + "".join(
            f"{cells[n]['power']:.2f} ± {cells[n]['mc_se']:.2f}".rjust(15) for n in ns))


def _print_pipeline(rows: list[dict[str, Any]]) -> None:
    print("\n== Full pipeline (score -> measurement -> hypotheses -> report) ==")
    print(f"{'N':>8}{'items':>7}{'pipeline s':>12}{'peak MiB':>10}  stages (s)")
    for r in rows:
        if "error" in r:
            print(f"{r['n']:>8}  failed: {r['error'][-200:]}")
            continue
        st = ", ".join(f"{k}: {v:.1f}" for k, v in r["stages_s"].items())
        st += " (light: no measurement model)" if r.get("light") else ""
        print(f"{r['n']:>8}{r['items']:>7}{r['pipeline_s']:>12.1f}{r['peak_rss_mib']:>10.0f}"
              f"  {st}; report: {_fmt(r['report_s'], 1)}")
    full = [r for r in rows if "error" not in r and not r.get("light")]
    if len(full) >= 2:
        from benchmarks.pipeline_bench import growth

        g = growth(full, "n", "pipeline_s")
        print(f"growth with N: time ~ N^{g['time']:.2f} (between the two largest N: "
              f"N^{g['time_two_largest']:.2f}), peak memory ~ N^{g['peak_memory']:.2f}"
              f" (above the data: N^{g['memory_above_data']:.2f}); by stage: "
              + ", ".join(f"{k} N^{v:.2f}" for k, v in g["stages"].items()))


def _print_items(rows: list[dict[str, Any]]) -> None:
    print("\n== WLSMV measurement model by number of items (simulated CFA, 5 items/factor) ==")
    print(f"{'items':>6}{'N':>8}{'stats':>7}{'npar':>6}{'stats s':>9}{'estim s':>9}"
          f"{'total s':>9}{'peak MiB':>10}")
    for r in rows:
        if "error" in r:
            print(f"{r['items']:>6}{r['n']:>8}  failed: {r['error'][-200:]}")
            continue
        st = r["stages_s"]
        print(f"{r['items']:>6}{r['n']:>8}{r['statistics']:>7}{r['npar']:>6}"
              f"{st['sample statistics']:>9.1f}{st['estimation']:>9.1f}"
              f"{r['measurement_s']:>9.1f}{r['peak_rss_mib']:>10.0f}")
    from benchmarks.pipeline_bench import growth

    g = growth(rows, "items", "measurement_s")
    print(f"growth with items: time ~ items^{g['time']:.2f} (statistics "
          f"items^{g['stages']['sample statistics']:.2f}, estimation "
          f"items^{g['stages']['estimation']:.2f}; between the two largest: "
          f"items^{g['time_two_largest']:.2f}), peak memory ~ items^{g['peak_memory']:.2f} "
          f"(above the data: items^{g['memory_above_data']:.2f}, between the two largest: "
          f"items^{g['memory_above_data_two_largest']:.2f})")


def _print_load(ld: dict[str, Any]) -> None:
    print("\n== Survey load: concurrent respondents walking the questionnaire ==")
    print(f"{'backend':<12}{'resp.':>6}{'pages':>7}{'pages/s':>9}{'p50 ms':>9}{'p90 ms':>9}"
          f"{'p99 ms':>9}  lost/dup")
    for name in ("sqlite", "postgresql"):
        r = ld.get(name)
        if not r or "skipped" in r:
            print(f"{name:<12} skipped {r.get('skipped', '') if r else ''}")
            continue
        c = r["check"]
        print(f"{name:<12}{r['respondents']:>6}{r['pages']:>7}{r['pages_per_s']:>9.1f}"
              f"{r['p50_ms']:>9.1f}{r['p90_ms']:>9.1f}{r['p99_ms']:>9.1f}  "
              f"{c['lost_pages']}/{c['duplicated_pages']} (items dup {c['duplicated_items']},"
              f" completed {c['completed']}/{c['respondents']})")
    f = ld.get("fault")
    if f:
        a, b = f["after_faults"], f["after_resume"]
        print(f"fault test (SIGKILL a writer, pg_ctl restart rc={f['pg_restart_rc']}): "
              f"acknowledged {a['acknowledged_pages']}, lost {a['lost_pages']}, duplicated "
              f"{a['duplicated_pages']}; after resume: completed {b['completed']}/"
              f"{b['respondents']}, lost {b['lost_pages']}, duplicated {b['duplicated_pages']}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print tables, write ``out/benchmarks.json``."""
    ap = argparse.ArgumentParser(description="Run all alliance-survey benchmarks.")
    ap.add_argument("--quick", action="store_true", help="Tiny sizes, no R/PostgreSQL (CI).")
    ap.add_argument("--out", default=str(OUT / "benchmarks.json"), help="JSON output file.")
    ap.add_argument("--skip", default="", help="Comma list of parts to skip: "
                    "bootstrap,power,pipeline,load.")
    ap.add_argument("--pipeline-n", type=lambda t: [int(v) for v in t.split(",")],
                    default=None, help="Pipeline sample sizes (default 10000,30000,100000).")
    ap.add_argument("--items", type=lambda t: [int(v) for v in t.split(",") if v],
                    default=None, help="Item counts of the WLSMV growth series "
                    "(default 20,40,65,100; empty to skip).")
    ap.add_argument("--items-n", type=int, default=None,
                    help="Sample size of the item series (default 20000).")
    ap.add_argument("--timeout", type=float, default=900.0,
                    help="Seconds allowed per pipeline sample size (900).")
    args = ap.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    from benchmarks import bootstrap_bench, load_bench, pipeline_bench, power_bench

    res: dict[str, Any] = {"quick": args.quick, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                         time.gmtime()),
                           "machine": {"python": platform.python_version(),
                                       "cpu_count": __import__("os").cpu_count(),
                                       "load_average_start": load_average()}}
    if "bootstrap" not in skip:
        with_r = not args.quick
        if with_r and rscript() is None:
            raise SystemExit("The full benchmark needs Rscript with lavaan (use --quick "
                             "without R).")
        res["bootstrap"] = bootstrap_bench.run(cfg["boot_draws"], cfg["semopy_draws"],
                                               with_r=with_r)
        _print_bootstrap(res["bootstrap"])
    if "power" not in skip:
        plot = str(Path(args.out).with_name("power_curve.svg"))
        res["power"] = power_bench.run(cfg["power_ns"], cfg["power_reps"],
                                       n_boot=cfg["power_boot"], plot=plot)
        _print_power(res["power"])
    if "pipeline" not in skip:
        if args.quick:
            res["pipeline"] = [pipeline_bench.measure_light(300)]
        else:
            ns = cfg["pipeline_ns"] if args.pipeline_n is None else args.pipeline_n
            res["pipeline"] = [pipeline_bench.measure_in_subprocess(n, timeout=args.timeout)
                               for n in ns]
        _print_pipeline(res["pipeline"])
        ks = cfg["items"] if args.items is None else args.items
        kn = cfg["items_n"] if args.items_n is None else args.items_n
        if ks:
            if args.quick:
                rows = [pipeline_bench.measure_items(k, kn) for k in ks]
            else:
                rows = [pipeline_bench.measure_items_in_subprocess(k, kn, timeout=args.timeout)
                        for k in ks]
            res["pipeline_items"] = rows
            _print_items(rows)
        growth_rows = [r for r in res["pipeline"] if not r.get("light")]
        res["pipeline_growth"] = {
            "n": pipeline_bench.growth(growth_rows, "n", "pipeline_s") if growth_rows else None,
            "items": (pipeline_bench.growth(res["pipeline_items"], "items", "measurement_s")
                      if ks else None)}
    if "load" not in skip:
        try:
            res["load"] = load_bench.run_all(cfg["load_n"], with_pg=cfg["pg"],
                                             fault=cfg["pg"])
        except Exception as exc:  # noqa: BLE001 - a benchmark failure is reported, not fatal
            if args.quick:
                raise
            res["load"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            print(f"\n== Survey load failed: {res['load']['error']}")
        else:
            _print_load(res["load"])
    res["machine"]["load_average_end"] = load_average()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2, default=str), encoding="utf-8")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
