"""``alliance-survey compare FIT_A.json FIT_B.json``: likelihood-ratio test of two nested fits.

Reads two results written by ``alliance-survey sem --json`` and prints the chi-square
difference test (JSON with ``--json``).  ML: the plain difference; MLR: the
Satorra-Bentler (2001) scaled difference from each fit's unscaled chi-square and
scaling factor, as lavaan's default.  Exit status 1 when either fit did not converge
(no test is computed), 2 for bad input (different estimators, not nested, WLSMV).

# In R: lavaan::lavTestLRT(fit_a, fit_b)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``compare`` sub-command."""
    parser = subparsers.add_parser(
        "compare",
        help="Likelihood-ratio test of two nested SEM fits (JSON from 'sem --json').",
        description=("Chi-square difference test of two nested models fitted with "
                     "'alliance-survey sem --json' on the same data; scaled "
                     "(Satorra-Bentler 2001) for MLR. In R: lavTestLRT(fit_a, fit_b)."),
    )
    parser.add_argument("fit_a", help="JSON result of the first model")
    parser.add_argument("fit_b", help="JSON result of the second model")
    parser.add_argument("--json", metavar="OUT", default=None,
                        help="write the test as JSON to OUT ('-' for standard output)")
    parser.set_defaults(func=handler)


def _load(path: str) -> dict:
    from analysis.errors import DataError

    p = Path(path)
    if not p.is_file():
        raise DataError(f"The fit file {path!r} does not exist.")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"The fit file {path!r} is not JSON written by 'sem --json'.") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("fit"), dict) \
            or "estimator" not in doc or "converged" not in doc:
        raise DataError(f"The fit file {path!r} lacks 'estimator', 'converged' or 'fit'; "
                        "write it with 'alliance-survey sem --json'.")
    return doc


def compare_fits(a: dict, b: dict) -> dict:
    """The difference test of two ``sem --json`` documents (``a``, ``b`` in any order)."""
    from scipy import stats

    from analysis.errors import ModelSpecificationError
    from analysis.sem.robust import scaled_difference_test

    est_a, est_b = str(a["estimator"]), str(b["estimator"])
    if est_a != est_b:
        raise ModelSpecificationError(
            f"The two fits use different estimators ({est_a}, {est_b}); refit both with "
            "the same --estimator.")
    if a.get("n") != b.get("n"):
        raise ModelSpecificationError(
            f"The two fits use different numbers of cases ({a.get('n')}, {b.get('n')}); "
            "nested models must be fitted to the same data.")
    if est_a == "WLSMV":
        raise ModelSpecificationError(
            "The WLSMV difference test (Satorra 2000) needs both models, not their fit "
            "measures; use the Python API analysis.sem.invariance.lrt(res_a, res_b).")
    fa, fb = a["fit"], b["fit"]
    if fa["df"] == fb["df"]:
        raise ModelSpecificationError(
            "The two models have the same degrees of freedom; they are not nested.")
    out = {"estimator": est_a, "df_a": fa["df"], "df_b": fb["df"]}
    if not (a["converged"] and b["converged"]):
        out.update(delta_chisq=None, delta_df=abs(fa["df"] - fb["df"]), delta_pvalue=None,
                   note="not tested: "
                        + " and ".join(n for n, d in (("fit A", a), ("fit B", b))
                                       if not d["converged"]) + " did not converge")
        return out
    if est_a == "MLR":
        t = scaled_difference_test(
            {"chisq": fa["chisq"], "df": fa["df"], "scaling_factor": fa["chisq_scaling_factor"]},
            {"chisq": fb["chisq"], "df": fb["df"], "scaling_factor": fb["chisq_scaling_factor"]})
        out.update(delta_chisq=t["chisq_diff"], delta_df=t["df_diff"], delta_pvalue=t["pvalue"],
                   scaling_factor=t["scaling_factor"], method="satorra.bentler.2001")
        return out
    lo, hi = (fa, fb) if fa["df"] < fb["df"] else (fb, fa)
    d, ddf = hi["chisq"] - lo["chisq"], hi["df"] - lo["df"]
    out.update(delta_chisq=d, delta_df=ddf, delta_pvalue=float(stats.chi2.sf(d, ddf)),
               method="standard")
    return out


def handler(args: argparse.Namespace) -> int:
    """Print (or write) the difference test; exit 1 if a fit did not converge."""
    from analysis.io import jsonable, write_json

    out = compare_fits(_load(args.fit_a), _load(args.fit_b))
    if args.json:
        write_json(jsonable(out), args.json)
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    if out.get("note"):
        print(f"alliance-survey compare: {out['note']}; no test is reported.", file=sys.stderr)
        return 1
    return 0
