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
    from analysis.commands.paths import PATH_ECHO
    from analysis.errors import DataError, clip

    p = Path(path)
    shown = clip(path, PATH_ECHO)
    try:
        if not p.is_file():
            raise DataError(f"The fit file {shown} does not exist or is not a file.")
        if p.stat().st_size > MAX_FIT_BYTES:
            raise DataError(f"The fit file {shown} is larger than {MAX_FIT_BYTES} bytes; "
                            "it is not a result of 'sem --json'.")
        # a byte-order mark (a Windows editor's save) made it "not JSON"
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DataError(f"Cannot read the fit file {shown}: {exc.strerror or exc}.") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"The fit file {shown} is not JSON written by 'sem --json'.") from exc
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DataError(f"The fit file {shown} is not JSON written by 'sem --json'.") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("fit"), dict) \
            or "estimator" not in doc or "converged" not in doc:
        raise DataError(f"The fit file {shown} lacks 'estimator', 'converged' or 'fit'; "
                        "write it with 'alliance-survey sem --json'.")
    return _checked(doc, shown)


#: Rounding of a chi-square that is zero: ``sem --json`` of a saturated model writes
#: -2.7e-13 (the minimum of the fit function, up to floating-point error), which the
#: test read as a negative chi-square and refused.
CHISQ_ROUNDING = 1e-6
#: Largest fit file read (a ``sem --json`` result is a few hundred kilobytes at most).
MAX_FIT_BYTES = 50 * 1024 * 1024


def _checked(doc: dict, shown: str) -> dict:
    """``doc`` with the values the test uses checked: a whole ``df`` >= 0, a ``chisq`` and
    (MLR) ``chisq_scaling_factor`` that are numbers or null (NaN), a true/false
    ``converged``, a whole ``n``.  An edited or foreign file is refused, not misread."""
    import math

    from analysis.errors import DataError, clip

    def bad(what: str) -> DataError:
        return DataError(f"The fit file {shown} has {what}; write it again with "
                         "'alliance-survey sem --json'.")

    def number(value: object) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        try:
            return float(value)
        except OverflowError:  # a whole number of 400 digits: no count of cases or df
            return float("inf")

    if not isinstance(doc["converged"], bool):
        raise bad("a 'converged' that is not true or false")
    if not isinstance(doc["estimator"], str):
        raise bad("an 'estimator' that is not text")
    n = number(doc.get("n"))
    if n is None or not math.isfinite(n) or n < 1 or not n.is_integer():
        raise bad("no whole number of cases 'n'")
    fit = dict(doc["fit"])
    df = number(fit.get("df"))
    if df is None or not math.isfinite(df) or df < 0 or not df.is_integer():
        raise bad("no whole number of degrees of freedom ('fit': 'df') of 0 or more")
    fit["df"] = df
    for key in ("chisq", "chisq_scaling_factor"):
        value = fit.get(key)
        if isinstance(value, float) and math.isnan(value):
            value = None  # a NaN written into the file means what null means
        if value is None:
            if key == "chisq" and doc["converged"]:
                raise bad("no chi-square ('fit': 'chisq') for a converged fit")
            fit[key] = float("nan")  # NaN is written as null
            continue
        num = number(value)
        if key == "chisq" and num is not None and -CHISQ_ROUNDING <= num < 0:
            num = 0.0  # a saturated model's chi-square, zero but for rounding (-2.7e-13)
        if num is None or math.isinf(num) or num < 0 or (key == "chisq_scaling_factor"
                                                         and num == 0):
            raise bad(f"an invalid '{key}' ({clip(value, 40)})")
        fit[key] = num
    return {**doc, "n": int(n), "fit": fit}


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
    groups_a, groups_b = a.get("n_per_group"), b.get("n_per_group")
    if (groups_a or None) != (groups_b or None):
        # one group against several (or other groups) are not nested models of one data set
        def shown(g: object) -> str:
            return ("one group" if not g else
                    ", ".join(f"{k}: {v}" for k, v in dict(g).items())[:200])
        raise ModelSpecificationError(
            f"The two fits have different groups ({shown(groups_a)}; {shown(groups_b)}); "
            "nested models are fitted to the same groups (the same --group).")
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
        import math

        for name, f in (("fit A", fa), ("fit B", fb)):
            # a saturated model (df 0) has no scaling factor and needs none
            if f["df"] > 0 and math.isnan(f["chisq_scaling_factor"]):
                raise ModelSpecificationError(
                    f"{name} has no chi-square scaling factor ('chisq_scaling_factor'); the "
                    "scaled difference test needs it. Refit it with 'sem --estimator MLR "
                    "--json'.")
        t = scaled_difference_test(
            {"chisq": fa["chisq"], "df": fa["df"], "scaling_factor": fa["chisq_scaling_factor"]},
            {"chisq": fb["chisq"], "df": fb["df"], "scaling_factor": fb["chisq_scaling_factor"]})
        out.update(delta_chisq=t["chisq_diff"], delta_df=t["df_diff"], delta_pvalue=t["pvalue"],
                   scaling_factor=t["scaling_factor"], method="satorra.bentler.2001")
        return _better_restricted(out, fa, fb)
    lo, hi = (fa, fb) if fa["df"] < fb["df"] else (fb, fa)
    d, ddf = hi["chisq"] - lo["chisq"], hi["df"] - lo["df"]
    out.update(delta_chisq=d, delta_df=ddf, delta_pvalue=float(stats.chi2.sf(d, ddf)),
               method="standard")
    return _better_restricted(out, fa, fb)


def _better_restricted(out: dict, fa: dict, fb: dict) -> dict:
    """Add a warning when the model with more degrees of freedom fits better (a lower
    chi-square), as lavaan's lavTestLRT warns: then the models are not nested, or the less
    restricted one did not reach its optimum, and the p-value of 1 means nothing."""
    lo, hi = (fa, fb) if fa["df"] < fb["df"] else (fb, fa)
    if hi["chisq"] < lo["chisq"]:
        out["warning"] = (
            "the more restricted model (df = {:g}) fits better than the less restricted one "
            "(df = {:g}): the models are not nested, or the less restricted fit did not "
            "reach its optimum; the test means nothing".format(hi["df"], lo["df"]))
    return out


def handler(args: argparse.Namespace) -> int:
    """Print (or write) the difference test; exit 1 if a fit did not converge."""
    from analysis.commands.paths import check_json_output
    from analysis.io import jsonable, write_json

    check_json_output(args.json, inputs=[args.fit_a, args.fit_b])
    out = compare_fits(_load(args.fit_a), _load(args.fit_b))
    if args.json:
        write_json(jsonable(out), args.json)
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    if out.get("note"):
        print(f"alliance-survey compare: {out['note']}; no test is reported.", file=sys.stderr)
        return 1
    if out.get("warning"):
        print(f"alliance-survey compare: warning: {out['warning']}.", file=sys.stderr)
    return 0
