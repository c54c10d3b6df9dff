"""``alliance-survey sem``: fit a lavaan-syntax SEM to a data file.

JSON contract (``--json OUT|-``)::

    {"n", "estimator", "converged", "warnings", "fit": {...},
     "estimates": [{lhs, op, rhs, label, group, est, se, z, pvalue,
                    ci_lower, ci_upper, std_all}, ...]}

plus ``"cluster"`` and ``"nclusters"`` with ``--cluster``, ``"invariance": [...]`` with
``--invariance`` and ``"modindices": [...]``
with ``--modindices MIN``.  NaN is written as ``null``; nothing is rounded.

Exit status: 0 for a converged fit; 1 when the estimation did not converge from any
start tried (the message says so; ``--allow-nonconverged`` writes the result anyway,
with every statistic missing, and exits 0); 2 for bad input (unknown variables, a
model that is not identified, a non-positive-definite covariance matrix, ...).
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings

from analysis.commands.options import comma_items, refuse_unused, replay_warnings, without
from analysis.commands.paths import (
    check_json_output,
    check_output,
    draws,
    finite_float,
    model_argument,
    model_names,
    positive_int,
    read_table,
    seed,
)

ESTIMATE_COLUMNS = ["lhs", "op", "rhs", "label", "group", "est", "se", "z", "pvalue",
                    "ci_lower", "ci_upper", "std_all"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sem`` sub-command."""
    parser = subparsers.add_parser(
        "sem",
        help="Fit a structural equation model (lavaan syntax) to a data file.",
        description=(
            "Fit a CFA/SEM written in lavaan syntax to a CSV, Parquet or SPSS file with "
            "lavaan 0.6's defaults for the estimator, and print the fit measures and "
            "parameter estimates (or JSON with --json). In R: lavaan::sem(model, data)."
        ),
    )
    parser.add_argument("data", help="data file (.csv, .parquet, .sav)")
    parser.add_argument("--model", required=True,
                        help="model file in lavaan syntax (or the syntax itself)")
    parser.add_argument("--estimator", default=None, type=str.upper,
                        choices=["ML", "MLR", "WLSMV"],
                        help="estimator (default: WLSMV with --ordered, else ML, as lavaan)")
    parser.add_argument("--missing", default="listwise",
                        choices=["listwise", "fiml", "ml", "pairwise"],
                        help="missing data: listwise deletion, FIML (fiml/ml) or pairwise "
                             "(WLSMV) (default: listwise)")
    parser.add_argument("--ordered", default="",
                        help="ordered (categorical) items: 'all' or a comma-separated list")
    parser.add_argument("--group", help="grouping column for a multigroup model")
    parser.add_argument("--cluster", metavar="COL", default=None,
                        help="column identifying clusters of cases (e.g. alliance_id): "
                             "cluster-robust SEs and test, with --estimator MLR "
                             "(lavaan cluster=)")
    parser.add_argument("--group-equal", default="",
                        help="comma-separated parameter types equal across groups "
                             "(loadings, intercepts, residuals, thresholds, ...)")
    parser.add_argument("--group-partial", default="",
                        help="comma-separated parameters freed from --group-equal, e.g. "
                             "'f1 =~ y2,y3 ~1' (lavaan group.partial)")
    parser.add_argument("--parameterization", default="delta", choices=["delta", "theta"],
                        help="ordered items under WLSMV: scale parameterization "
                             "(default: delta)")
    parser.add_argument("--max-iter", type=positive_int, default=500, metavar="N",
                        help="iteration limit of the optimiser per start (default: 500; "
                             "lavaan control = list(iter.max = N))")
    parser.add_argument("--allow-nonconverged", action="store_true",
                        help="exit 0 and write the result even if the estimation did not "
                             "converge (its statistics are then missing)")
    parser.add_argument("--invariance", action="store_true",
                        help="test measurement invariance across --group "
                             "(configural, metric, scalar, strict; with --ordered: "
                             "configural, thresholds, loadings, intercepts)")
    parser.add_argument("--std-lv", action="store_true", help="identify factors by unit variance")
    parser.add_argument("--bootstrap", type=draws, default=0, metavar="N",
                        help="nonparametric bootstrap draws for SEs and percentile CIs")
    parser.add_argument("--seed", type=seed, default=None, help="random seed for the bootstrap")
    parser.add_argument("--modindices", type=finite_float, default=None, metavar="MIN",
                        help="also report modification indices of at least MIN")
    parser.add_argument("--json", metavar="OUT", default=None,
                        help="write the result as JSON to OUT ('-' for standard output)")
    parser.add_argument("--params-out", metavar="FILE", help="write the parameter table (CSV)")
    parser.set_defaults(func=handler)


def _ordered(spec: str, model_vars: list[str]) -> list[str] | None:
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        return None
    if names == ["all"]:
        return list(model_vars)
    return list(dict.fromkeys(names))  # a name given twice is one item (10^5 copies: 12 s)


#: A regression term that multiplies variables: ``x1:x2``, ``I(x^2)``, ``I(x1*x2)``.
_PRODUCT_TERM = re.compile(r"^(?:[^:]+:[^:]+|I\(.*\))$")


def product_terms(model: str) -> list[tuple[int, str]]:
    """``(line, term)`` of each interaction or product term on the right of a ``~``
    regression of lavaan syntax (comments and ``=~``, ``~~``, ``~1`` lines skipped)."""
    found = []
    for number, raw in enumerate(model.splitlines(), start=1):
        line = re.split(r"[#!]", raw, maxsplit=1)[0]
        for statement in line.split(";"):
            if re.search(r"=~|~~|<~", statement) or "~" not in statement:
                continue
            rhs = statement.split("~", 1)[1]
            for term in rhs.split("+"):
                term = term.strip()
                if "*" in term and not term.startswith("I("):
                    term = term.split("*", 1)[1].strip()  # a label or value modifier first
                if _PRODUCT_TERM.match(term):
                    found.append((number, term))
    return found


def refuse_product_terms(model: str) -> None:
    """Raise a plain error naming the interaction / product terms of ``model``, if any.

    The SEM engine reads lavaan syntax without ``x1:x2`` or ``I(x^2)`` (lavaan itself
    allows them for observed variables); its own message ("not a valid variable name")
    did not say that, nor what to do instead.
    """
    from analysis.errors import ModelSpecificationError, clip
    from analysis.sem.syntax import PRODUCT_TERMS_ADVICE

    terms = product_terms(model)
    if not terms:
        return
    listed = "; ".join(f"line {n}: {clip(t, 60)}" for n, t in terms[:5])
    raise ModelSpecificationError(
        f"The model has interaction or product terms ({listed}): in the lavaan syntax of "
        f"'sem', {PRODUCT_TERMS_ADVICE}")


def handler(args: argparse.Namespace) -> int:
    """Fit the model and print its summary or JSON."""
    from analysis.commands.paths import same_file
    from analysis.errors import ModelSpecificationError
    from analysis.io import atomic_path, jsonable, write_json
    from analysis.sem import compile_model, measurement_invariance, sem

    refuse_unused(args, [
        ("seed", args.bootstrap > 0,
         without("--seed", "--bootstrap N", "it seeds the bootstrap draws")),
        ("group_equal", bool(args.group),
         without("--group-equal", "--group COLUMN", "it holds parameters equal across groups")),
        ("parameterization", bool(args.ordered.strip()),
         without("--parameterization", "--ordered",
                 "it scales the ordered items' latent responses under WLSMV")),
    ])
    # an option typed with nothing in it (--ordered "") is refused before any work
    lists = {dest: comma_items(args, dest, option) for dest, option in (
        ("ordered", "--ordered"), ("group_equal", "--group-equal"),
        ("group_partial", "--group-partial"))}
    if same_file(args.json, args.params_out):  # first: it says more than an extension
        raise ModelSpecificationError("--json and --params-out must name different files.")
    check_json_output(args.json, inputs=[args.data, args.model])
    check_output(args.params_out, "--params-out", inputs=[args.data, args.model],
                 suffixes=(".csv",))
    model = model_argument(args.model)
    if "\x00" in model or not model.strip():
        raise ModelSpecificationError("--model is empty or not text; give lavaan syntax or a "
                                      "model file.")
    refuse_product_terms(model)  # before the data are read: a plain word on what to do
    data = read_table(args.data, variables=[*model_names(model), args.group, args.cluster])
    if args.group and args.group in data.columns and data[args.group].isna().any():
        # the fit leaves these cases out (as lavaan does, with "group variable contains
        # missing values"); N showed it, no line said it
        gone = int(data[args.group].isna().sum())
        print(f"alliance-survey sem: warning: --group {args.group!r} is missing for {gone} "
              f"case{'' if gone == 1 else 's'}; {'it is' if gone == 1 else 'they are'} left "
              "out of the fit.", file=sys.stderr)
    missing = "ml" if args.missing == "fiml" else args.missing
    if args.invariance and not args.group:
        raise ModelSpecificationError("--invariance needs --group COLUMN naming the groups.")
    ordered = None
    if args.ordered:
        observed = compile_model(model, data=data, group=args.group).ov_names
        ordered = _ordered(args.ordered, list(observed))
    group_equal, group_partial = tuple(lists["group_equal"]), tuple(lists["group_partial"])
    if group_partial and not group_equal:
        raise ModelSpecificationError("--group-partial frees parameters from --group-equal; "
                                      "give --group-equal as well.")
    # without --estimator the engine takes lavaan's default (WLSMV with ordered items)
    res = None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = sem(model, data, estimator=args.estimator, missing=missing,
                      ordered=ordered, group=args.group, cluster=args.cluster,
                      group_equal=group_equal, group_partial=group_partial,
                      std_lv=args.std_lv, bootstrap=args.bootstrap, seed=args.seed,
                      max_iter=args.max_iter, parameterization=args.parameterization)
    finally:
        # the fit lists its own problems (printed below or written into the JSON); the
        # others, and all of them when it failed, become the command's warning lines
        replay_warnings(caught, [] if res is None else [*res.warnings, *res.state.warnings])
    status = 0
    if not res.converged:
        msg = (f"alliance-survey sem: the estimation did not converge; its statistics are "
               f"reported as missing. {' '.join(w for w in res.state.warnings)}")
        if args.allow_nonconverged:
            print(msg, file=sys.stderr)
        else:
            print(msg + " Simplify or respecify the model; --allow-nonconverged writes the "
                  "result anyway.", file=sys.stderr)
            return 1
    invariance = None
    if args.invariance:
        invariance = measurement_invariance(model, data, args.group, estimator=args.estimator,
                                            ordered=ordered, missing=missing,
                                            std_lv=args.std_lv,
                                            parameterization=args.parameterization)
    mi = None
    if args.modindices is not None:
        mi = res.modindices(min_value=args.modindices, sort=True)

    if args.params_out:
        with atomic_path(args.params_out) as tmp:
            res.params.to_csv(tmp, index=False)
        print(f"Parameter table written to {args.params_out}.", file=sys.stderr)

    if args.json:
        n = dict(res.n)
        total = n.pop("total")
        out = {
            "n": int(total),
            "estimator": res.estimator,
            "converged": bool(res.converged),
            "warnings": list(res.warnings),
            "fit": dict(res.fit),
            "estimates": res.params[ESTIMATE_COLUMNS],
        }
        if len(n) > 1:
            out["n_per_group"] = n
        if res.nclusters is not None:
            out["cluster"], out["nclusters"] = args.cluster, res.nclusters
        if invariance is not None:
            out["invariance"] = invariance.reset_index()
        if mi is not None:
            out["modindices"] = mi
        write_json(jsonable(out), args.json)
        if args.json != "-":
            print(f"Results written to {args.json}.", file=sys.stderr)
        return status

    print(res.summary())
    if invariance is not None:
        print("\nMeasurement invariance:")
        print(invariance.to_string())
    if mi is not None:
        print("\nModification indices:")
        print(mi.to_string(index=False))
    return status
