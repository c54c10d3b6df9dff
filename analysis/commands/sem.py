"""``alliance-survey sem``: fit a lavaan-syntax SEM to a data file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sem`` sub-command."""
    parser = subparsers.add_parser(
        "sem",
        help="fit a structural equation model (lavaan syntax) to a data file",
        description=(
            "Fit a CFA/SEM written in lavaan syntax to a CSV, Parquet or SPSS file with "
            "lavaan's defaults, and print the fit measures and parameter estimates. "
            "# In R: lavaan::sem(model, data)"
        ),
    )
    parser.add_argument("model", help="model file (lavaan syntax) or the syntax itself")
    parser.add_argument("data", help="data file (.csv, .parquet, .sav)")
    parser.add_argument("--estimator", default="ML", choices=["ML", "MLR", "WLSMV"],
                        help="estimator (default: ML)")
    parser.add_argument("--missing", default="listwise", choices=["listwise", "ml"],
                        help="missing-data handling (default: listwise)")
    parser.add_argument("--group", help="grouping column for a multigroup model")
    parser.add_argument("--group-equal", default="",
                        help="comma-separated parameter types equal across groups")
    parser.add_argument("--ordered", default="", help="comma-separated ordered items")
    parser.add_argument("--std-lv", action="store_true", help="identify factors by unit variance")
    parser.add_argument("--bootstrap", type=int, default=0, help="bootstrap draws (default: 0)")
    parser.add_argument("--seed", type=int, default=None, help="random seed for the bootstrap")
    parser.add_argument("--modindices", type=float, default=None, metavar="MIN",
                        help="also print modification indices of at least MIN")
    parser.add_argument("--params-out", metavar="FILE", help="write the parameter table (CSV)")
    parser.add_argument("--fit-out", metavar="FILE", help="write the fit measures (JSON)")
    parser.set_defaults(func=handler)


def _read_data(path: str):
    import pandas as pd

    from instruments.errors import DataError

    p = Path(path)
    if not p.exists():
        raise DataError(f"The data file {path} does not exist.")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(p)
    if suffix == ".parquet":
        return pd.read_parquet(p)
    if suffix == ".sav":
        import pyreadstat

        df, _meta = pyreadstat.read_sav(str(p))
        return df
    raise DataError(f"Cannot read {path}: use a .csv, .parquet or .sav file.")


def handler(args: argparse.Namespace) -> int:
    """Fit the model and print its summary."""
    from analysis.sem import sem

    model_path = Path(args.model)
    model = model_path.read_text(encoding="utf-8") if model_path.is_file() else args.model
    data = _read_data(args.data)
    split = [s.strip() for s in args.group_equal.split(",") if s.strip()]
    ordered = [s.strip() for s in args.ordered.split(",") if s.strip()] or None
    res = sem(model, data, estimator=args.estimator, missing=args.missing, ordered=ordered,
              group=args.group, group_equal=tuple(split), std_lv=args.std_lv,
              bootstrap=args.bootstrap, seed=args.seed)
    print(res.summary())
    if args.modindices is not None:
        mi = res.modindices(min_value=args.modindices, sort=True)
        print("\nModification indices:")
        print(mi.to_string(index=False))
    if args.params_out:
        res.params.to_csv(args.params_out, index=False)
        print(f"Parameter table written to {args.params_out}.", file=sys.stderr)
    if args.fit_out:
        with open(args.fit_out, "w", encoding="utf-8") as fh:
            json.dump(dict(res.fit), fh, indent=2)
        print(f"Fit measures written to {args.fit_out}.", file=sys.stderr)
    return 0
