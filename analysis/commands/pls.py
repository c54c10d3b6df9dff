"""``alliance-survey pls``: estimate a PLS path model (lavaan-like syntax) on a data file.

JSON contract (``--json OUT|-``)::

    {"n", "scheme", "consistent", "iterations", "converged", "missing": {...},
     "estimates": [{kind, lhs, op, rhs, est[, se, t, ci_lower, ci_upper, bca_lower,
                    bca_upper]}, ...],
     "rsquared": [{construct, r2, adj_r2}], "reliability": [{construct, alpha, rho_c,
     ave, rho_a}], "htmt": [{lhs, rhs, htmt}], "bootstrap": {"n_boot", "n_failed", "seed"},
     "groups": {"column", "group1", "n_perm", "micom": [{construct, c, c_quantile, ...}],
                "permutation_mga": [{source, target, group1, group2, diff, p, n_perm}]},
     "cvpat": [{benchmark, pls_loss, benchmark_loss, diff, se, t, df, p}]}

NaN is written as ``null``; nothing is rounded.
"""

from __future__ import annotations

import argparse
import sys

from analysis.commands.options import refuse_unused, without
from analysis.commands.paths import (
    check_json_output,
    count_up_to,
    draw_count,
    finite_float,
    model_argument,
    model_names,
    positive_int,
    read_table,
    seed,
)

#: Fewest rows with data per predictor of the model's largest regression (the paths into
#: one construct, or the indicators of one mode B construct): the ten-times rule of
#: PLS-SEM (Barclay, Higgins & Thompson 1995; Hair et al. 2017, ch. 1), a floor below
#: which the estimates are noise, not a guarantee of power above it.
MIN_CASES_PER_PREDICTOR = 10
#: Most CVPAT repetitions: each keeps its fold labels and losses, and 10**8 of them ran
#: until the system killed the process; seminr's default is 10.
MAX_CVPAT_REPS = 1000


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``pls`` sub-command."""
    parser = subparsers.add_parser(
        "pls",
        help="Estimate a PLS-SEM path model (lavaan-like syntax) on a data file.",
        description=(
            "Estimate a PLS path model: '=~' mode A (reflective), '<~' mode B (composite), "
            "'~' paths, 'A:B' interactions; the inner model must be acyclic, and the data "
            "need ten rows per predictor of the largest regression (--small-sample to go below). Prints paths, R^2 and "
            "reliability, or JSON with --json. In R: seminr::estimate_pls(data, mm, sm)."
        ),
    )
    parser.add_argument("data", help="data file (.csv, .parquet, .sav)")
    parser.add_argument("--model", required=True, help="model file (or the syntax itself)")
    parser.add_argument("--scheme", default="path", choices=["path", "factor", "centroid"],
                        help="inner weighting scheme (default: path)")
    parser.add_argument("--consistent", action="store_true",
                        help="consistent PLS (PLSc) for '=~' blocks")
    parser.add_argument("--missing", default="mean", choices=["mean", "listwise"],
                        help="missing values: mean replacement (default) or listwise deletion")
    parser.add_argument("--missing-value", type=finite_float, default=None,
                        help="a code that marks a missing value (e.g. -99)")
    parser.add_argument("--bootstrap", type=draw_count, default=0, metavar="N",
                        help="bootstrap draws for standard errors and intervals")
    parser.add_argument("--seed", type=seed, default=None, help="random seed for the bootstrap")
    parser.add_argument("--group", metavar="COL", default=None,
                        help="two-valued column: MICOM and permutation multigroup analysis "
                        "of the paths between its groups")
    parser.add_argument("--permutations", type=draw_count, default=1000, metavar="N",
                        help="permutations of --group (default: 1000)")
    parser.add_argument("--cvpat", action="store_true",
                        help="CVPAT of the model against the indicator-average and "
                        "linear-model benchmarks (--folds, --reps)")
    parser.add_argument("--folds", type=positive_int, default=10, metavar="K",
                        help="cross-validation folds of --cvpat (default: 10)")
    parser.add_argument("--reps", type=count_up_to(MAX_CVPAT_REPS), default=10, metavar="R",
                        help=f"repetitions with new folds of --cvpat (default: 10, at most "
                        f"{MAX_CVPAT_REPS:,})")
    parser.add_argument("--json", metavar="OUT", default=None,
                        help="write the result as JSON to OUT ('-' for standard output)")
    parser.add_argument("--small-sample", action="store_true",
                        help="estimate even with fewer than ten rows per predictor of the "
                        "largest regression (the result then carries a warning)")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Estimate the model and print a summary or JSON."""
    from analysis.errors import DataError
    from analysis.io import jsonable, write_json
    from analysis.stats.pls import pls
    from analysis.stats.pls import quality as q
    from analysis.stats.pls.model import largest_regression

    resampled = args.bootstrap > 0 or args.group is not None or args.cvpat
    refuse_unused(args, [
        ("seed", resampled, without("--seed", "--bootstrap N, --group COL or --cvpat",
                                    "it seeds their random draws")),
        ("permutations", args.group is not None,
         without("--permutations", "--group COL", "it sets the permutations of the "
                 "multigroup analysis")),
        ("folds", args.cvpat, without("--folds", "--cvpat", "it sets the folds of the CVPAT")),
        ("reps", args.cvpat, without("--reps", "--cvpat", "it repeats the CVPAT with new "
                                     "folds")),
    ])
    if args.bootstrap < 0 or args.bootstrap == 1:
        raise DataError("--bootstrap must be 0 (none) or at least 2 draws.")
    if args.permutations < 2:
        raise DataError("--permutations must be at least 2.")
    if args.cvpat and args.folds < 2:
        raise DataError("--folds must be at least 2.")
    # before any work: the output must be writable and must not be an input
    check_json_output(args.json, inputs=[args.data, args.model])
    model = model_argument(args.model)
    data = read_table(args.data, variables=[*model_names(model), args.group])
    res = pls(data, model, consistent=args.consistent, scheme=args.scheme,
              missing=args.missing, missing_value=args.missing_value)
    if args.consistent and not any(mode == "A" for _, mode, _ in res.spec.blocks):
        # PLSc corrects '=~' blocks only: on a model of '<~' blocks it changed nothing
        # and the JSON said "consistent": true
        raise DataError("--consistent corrects the '=~' (reflective) blocks, and the model "
                        "has none; leave out --consistent, or write the blocks with '=~'.")
    k, which = largest_regression(res.spec)
    warnings = []
    if res.missing.n_cases < MIN_CASES_PER_PREDICTOR * k:
        short = (f"The data have {res.missing.n_cases} row(s) with data; {which} ({k} "
                 f"predictor(s)) need at least {MIN_CASES_PER_PREDICTOR * k} (the ten-times "
                 "rule of PLS-SEM: ten cases per predictor of the largest regression)")
        if not args.small_sample:
            raise DataError(f"{short}. Add --small-sample to estimate anyway.")
        warnings.append(f"{short}; estimated anyway (--small-sample): the estimates and "
                        "their intervals are unstable.")
        print(f"Warning: {warnings[-1]}", file=sys.stderr)
    est = res.estimates()
    boot = None
    if args.bootstrap:
        from analysis.stats.pls.bootstrap import bootstrap_pls

        boot = bootstrap_pls(res, args.bootstrap, seed=args.seed)
        est = boot.table
    rel = q.reliability(res)
    from analysis.stats.reliability import keying_message

    for c, items in q.keying_conflicts(res).items():
        # alpha, rho_C and rho_A sum items keyed both ways: not reported (AVE is kept)
        rel.loc[c, ["alpha", "rho_c", "rho_a"]] = float("nan")
        warnings.append(keying_message(c, items) + " Its alpha, rho_C and rho_A are not "
                        "reported; recode the reverse-worded items and run again.")
        print(f"Warning: {warnings[-1]}", file=sys.stderr)
    H = q.htmt(res)
    out = {
        "n": res.n, "scheme": res.settings.scheme, "consistent": res.settings.consistent,
        "iterations": res.iterations, "converged": res.converged,
        "missing": {"method": res.missing.method, "rows": res.missing.n_rows,
                    "rows_used": res.missing.n_used,
                    "cells_missing": res.missing.n_cells_missing,
                    "note": res.missing.describe()},
        "estimates": est.to_dict(orient="records"),
        "rsquared": res.rsquared.rename_axis("construct").reset_index().to_dict(orient="records"),
        "reliability": rel.reset_index().to_dict(orient="records"),
        "htmt": [{"lhs": a, "rhs": b, "htmt": H.loc[a, b]} for i, a in enumerate(res.constructs)
                 for b in res.constructs[:i]],
    }
    if warnings:
        out["warnings"] = warnings
    if boot is not None:
        out["bootstrap"] = {"n_boot": boot.n_boot, "n_failed": boot.n_failed, "seed": boot.seed}
    if args.group is not None:
        out["groups"] = _groups(data, res, args.group, args.permutations, args.seed, args.missing,
                                args.missing_value)
    if args.cvpat:
        from analysis.stats.pls.predict import cvpat

        cv = cvpat(res, folds=args.folds, reps=args.reps, seed=args.seed)
        out["cvpat"] = cv.tests.reset_index().to_dict(orient="records")
    if args.json:
        write_json(jsonable(out), args.json)
        if args.json != "-":
            print(f"Wrote {args.json}.")
        return 0
    print(res.summary())
    if boot is not None:
        paths = boot.table[boot.table.kind == "path"]
        print(f"\nBootstrap ({boot.n_boot - boot.n_failed} draws): est, se, {boot.level:.0%} percentile CI")
        for r in paths.itertuples():
            print(f"  {r.rhs} -> {r.lhs}: {r.est: .4f} {r.se: .4f} [{r.ci_lower: .4f}, {r.ci_upper: .4f}]")
    print("\nReliability (alpha, rho_C, AVE, rho_A):")
    for c, r in rel.iterrows():
        print(f"  {c}: " + " ".join("NA" if v != v else f"{v:.4f}"
                                    for v in (r.alpha, r.rho_c, r.ave, r.rho_a)))
    if "groups" in out:
        grp = out["groups"]
        print(f"\nGroups of {grp['column']} ({grp['group1']!r} vs the rest), "
              f"{grp['n_perm']} permutations.")
        print("MICOM (c, 5% quantile; mean and log-variance difference; invariance):")
        for r in grp["micom"]:
            print(f"  {r['construct']}: {r['c']:.4f} {r['c_quantile']:.4f}; "
                  f"{r['mean_diff']: .3f} (p {r['mean_p']:.3f}) {r['logvar_diff']: .3f} "
                  f"(p {r['var_p']:.3f}); {r['invariance']}")
        print("Permutation MGA (group 1, group 2, difference, p):")
        for r in grp["permutation_mga"]:
            print(f"  {r['source']} -> {r['target']}: {r['group1']: .4f} {r['group2']: .4f} "
                  f"{r['diff']: .4f} p {r['p']:.4f}")
    if "cvpat" in out:
        print("\nCVPAT (average loss PLS vs benchmark, difference, t, p):")
        for r in out["cvpat"]:
            print(f"  {r['benchmark']}: {r['pls_loss']:.4f} {r['benchmark_loss']:.4f} "
                  f"{r['diff']: .4f} t {r['t']:.2f} p {r['p']:.4g}")
    return 0


def _groups(data, res, column: str, n_perm: int, seed: int | None, missing: str,
            missing_value: float | None) -> dict:
    """MICOM and permutation MGA between the two groups of ``column``."""
    import pandas as pd

    from analysis.errors import DataError
    from analysis.stats.pls.groups import micom, permutation_mga

    if column not in data.columns:
        raise DataError(f"--group: column {column!r} is not in the data.")
    col = data[column]
    if missing == "listwise":
        # the rows the model kept: those without a missing item
        items = data[list(res.spec.items)].apply(pd.to_numeric, errors="coerce")
        if missing_value is not None:
            items = items.mask(items == float(missing_value))
        col = col[items.notna().all(axis=1)]
    col = col.reset_index(drop=True)
    levels = sorted(col.dropna().unique(), key=str)
    if len(levels) != 2 or col.isna().any():
        # "found 2 value(s)" for two values and a gap read as a contradiction
        found = f"{len(levels)} value(s)" + (f" and {int(col.isna().sum())} missing"
                                             if col.isna().any() else "")
        raise DataError(f"--group: column {column!r} must have exactly two values and no "
                        f"missing value (found {found}).")
    g = (col == levels[0]).to_numpy()
    mi = micom(res, g, n_perm=n_perm, seed=seed)
    mga = permutation_mga(res, g, n_perm=n_perm, seed=seed)
    first = levels[0].item() if hasattr(levels[0], "item") else levels[0]  # 1, not np.int64(1)
    return {"column": column, "group1": first, "n_perm": n_perm,
            "micom": mi.reset_index().to_dict(orient="records"),
            "permutation_mga": mga.to_dict(orient="records")}
