"""Measurement invariance: configural, metric, scalar, strict (lavaan ``group.equal``).

Continuous items: configural -> metric (loadings) -> scalar (+ intercepts) -> strict
(+ residual variances), each model as ``lavaan::cfa(..., group.equal = ...)``.

Ordered items: configural -> thresholds -> loadings -> intercepts with the
identification of Wu & Estabrook (2016), as ``semTools::measEq.syntax(ID.fac = "std.lv",
ID.cat = "Wu.Estabrook.2016")`` builds it: unit latent variances and zero latent means
in every group of the configural model; equal thresholds free the later groups' item
intercepts and scales (delta: scale factors; theta: residual variances); equal loadings
free the latent variances; equal intercepts (back at 0) free the latent means.  With
three categories (two thresholds) the threshold step only re-expresses the configural
model (the same degrees of freedom): it is reported as equivalent, not tested.

# In R: semTools::measEq.syntax(...) / lavaan::cfa(..., group.equal = ...) + lavTestLRT()
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import ModelSpecificationError

from . import robust, wls
from .api import sem

LEVELS = MappingProxyType({
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
})
LEVELS_ORDINAL = MappingProxyType({
    "configural": (),
    "thresholds": ("thresholds",),
    "loadings": ("thresholds", "loadings"),
    "intercepts": ("thresholds", "loadings", "intercepts"),
})


# robust estimators: their scaled chi-square difference test of nested fits
_SCALED_DIFFERENCE = MappingProxyType({"MLR": robust.scaled_difference,
                                       "WLSMV": wls.scaled_difference})


def lrt(res0, res1) -> dict[str, float]:
    """Likelihood-ratio (chi-square difference) test of nested fits ``res1`` within ``res0``.

    ``res0`` is the less restricted model.  For robust estimators the scaled
    difference test of the estimator is used (MLR: Satorra-Bentler 2001; WLSMV:
    Satorra 2000).

    # In R: lavaan::lavTestLRT(fit0, fit1)
    """
    bad = [name for name, r in (("less restricted", res0), ("more restricted", res1))
           if not r.converged]
    if bad:
        # a non-converged fit has no valid chi-square: the comparison is missing, with
        # the reason, never a difference of 0 (which would read as "no worse fit")
        return {"delta_chisq": float("nan"),
                "delta_df": float(res1.fit["df"] - res0.fit["df"]),
                "delta_pvalue": float("nan"),
                "note": f"not tested: the {' and the '.join(bad)} model did not converge"}
    scaled_difference = _SCALED_DIFFERENCE.get(res1.estimator)
    if scaled_difference is not None:
        return dict(scaled_difference(res0, res1))
    d_chisq = res1.fit["chisq"] - res0.fit["chisq"]
    d_df = res1.fit["df"] - res0.fit["df"]
    p = float(stats.chi2.sf(d_chisq, d_df)) if d_df > 0 else float("nan")
    return {"delta_chisq": float(d_chisq), "delta_df": float(d_df), "delta_pvalue": p}


def measurement_invariance(
    model: str,
    data: pd.DataFrame,
    group: str,
    *,
    estimator: str = "ML",
    levels=None,
    **kwargs,
) -> pd.DataFrame:
    """Fit increasingly constrained multigroup models and compare neighbours.

    Parameters
    ----------
    model : str
        lavaan syntax of the measurement model.
    data : DataFrame
    group : str
        Grouping column.
    estimator : str
        Passed to :func:`analysis.sem.sem`.
    levels : sequence of str, optional
        Continuous items: from ``configural, metric, scalar, strict`` (default all).
        Ordered items (``ordered=``): from ``configural, thresholds, loadings,
        intercepts`` (default all), always fitted with unit latent variances (``std_lv``
        is set) and the Wu & Estabrook (2016) identification; ``parameterization=
        "theta"`` is passed on.
    **kwargs
        Passed to :func:`analysis.sem.sem` (``ordered``, ``missing``, ...).

    Returns
    -------
    DataFrame
        One row per level: ``level, group_equal, npar, chisq, df, pvalue, cfi, rmsea,
        srmr, converged, note, delta_chisq, delta_df, delta_pvalue, delta_cfi,
        delta_rmsea`` (differences to the previous level; NaN for the first).  A level
        whose model did not converge has missing statistics and a ``note`` saying so, and
        so have the comparisons that involve it.  A level with the degrees of freedom of
        the previous one is an equivalent model (ordered items with three categories at
        the threshold step): its comparison is missing and its ``note`` says so.

    Notes
    -----
    # In R: lavaan::lavTestLRT(configural, metric, scalar, strict)
    # Ordered items: semTools::measEq.syntax(model, ordered = ..., group = ...,
    #   ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group.equal = ...) fitted with
    #   lavaan::cfa() per level, then lavTestLRT() of neighbours

    References
    ----------
    Wu, H., & Estabrook, R. (2016). Identification of confirmatory factor analysis
    models of different levels of invariance for ordered categorical outcomes.
    Psychometrika, 81(4), 1014-1045.
    """
    ordinal = bool(kwargs.get("ordered"))
    table = LEVELS_ORDINAL if ordinal else LEVELS
    if levels is None:
        levels = tuple(table)
    if ordinal:
        # unit latent variances identify every level of the sequence; marker loadings
        # would leave the latent means unidentified once the intercepts are equal
        kwargs["std_lv"] = True
        kwargs["id_cat"] = "wu.estabrook.2016"
    unknown = [lv for lv in levels if lv not in table]
    if unknown:
        raise ModelSpecificationError(
            f"Unknown invariance levels {unknown}; choose from {list(table)}.")
    rows = []
    prev = None
    for lv in levels:
        res = sem(model, data, estimator=estimator, group=group, group_equal=table[lv], **kwargs)
        f = res.fit
        # Robust estimators: the scaled test (lavaan's "chisq.scaled", "pvalue.scaled").
        sfx = "_scaled" if "chisq_scaled" in f else ""
        row = {"level": lv, "group_equal": ",".join(table[lv]), "npar": f["npar"],
               "chisq": f["chisq" + sfx], "df": f.get("df" + sfx, f["df"]),
               "pvalue": f.get("pvalue" + sfx, np.nan),
               "cfi": f.get("cfi_robust", f.get("cfi_scaled", f.get("cfi", np.nan))),
               "rmsea": f.get("rmsea_robust", f.get("rmsea_scaled", f.get("rmsea", np.nan))),
               "srmr": f.get("srmr", np.nan), "converged": bool(res.converged),
               "note": "" if res.converged else "did not converge; statistics missing"}
        if not res.converged:
            # a fit that did not converge is never reported as a number
            for key in ("chisq", "df", "pvalue", "cfi", "rmsea", "srmr"):
                row[key] = np.nan
        if prev is None or not (res.converged and prev[1]["converged"]):
            row.update(delta_chisq=np.nan, delta_df=np.nan, delta_pvalue=np.nan,
                       delta_cfi=np.nan, delta_rmsea=np.nan)
            if prev is not None and res.converged:
                row["note"] = "not tested: the previous level did not converge"
        elif row["df"] == prev[1]["df"]:
            # same degrees of freedom after adding the constraints: the two models are
            # the same model in another parameterization, so there is nothing to test
            row.update(delta_chisq=np.nan, delta_df=0.0, delta_pvalue=np.nan,
                       delta_cfi=np.nan, delta_rmsea=np.nan)
            row["note"] = (f"equivalent to the {prev[1]['level']} model (same degrees of "
                           "freedom); not tested")
        else:
            d = lrt(prev[0], res)
            row.update(delta_chisq=d["delta_chisq"], delta_df=d["delta_df"],
                       delta_pvalue=d["delta_pvalue"], delta_cfi=row["cfi"] - prev[1]["cfi"],
                       delta_rmsea=row["rmsea"] - prev[1]["rmsea"])
            if d.get("note") and res.converged:
                row["note"] = d["note"]
        rows.append(row)
        prev = (res, row)
    return pd.DataFrame(rows)
