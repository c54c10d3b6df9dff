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

from . import fiml, robust, wls
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


_METHODS = ("default", "satorra.bentler.2001", "satorra.bentler.2010")


def lrt(res0, res1, method: str = "default") -> dict[str, float]:
    """Likelihood-ratio (chi-square difference) test of nested fits ``res1`` within ``res0``.

    ``res0`` is the less restricted model (given the other way round, the two are
    swapped, as lavaan orders the models by their degrees of freedom).  For robust
    estimators the scaled difference test of the estimator is used (MLR:
    Satorra-Bentler 2001; WLSMV: Satorra 2000, scaled and shifted).  As lavTestLRT:
    models with the same degrees of freedom get the difference of their (unscaled)
    statistics, ``delta_df = 0`` and no p-value; a negative difference (the more
    restricted model fits better) is reported as it is, with ``p = 1``; either adds a
    ``note``.  Fits with different estimators are refused.

    ``method`` (MLR only, as lavTestLRT's): ``"satorra.bentler.2001"`` (the default) or
    ``"satorra.bentler.2010"``, whose scaling of the difference uses the less restricted
    model's Yuan-Bentler correction evaluated at the more restricted model's estimates
    (Satorra & Bentler 2010: no negative scaling factor, where the 2001 one can be
    negative and leaves the test missing).  With ML, as lavaan, the
    standard difference test is used (with a ``note``); WLSMV has its own test.

    # In R: lavaan::lavTestLRT(fit0, fit1)
    """
    method = str(method).lower().replace("_", ".")
    if method not in _METHODS:
        raise ModelSpecificationError(
            f"method={method!r} is not available; choose from {', '.join(_METHODS)}.")
    if method != "default" and res1.estimator == "WLSMV":
        raise ModelSpecificationError(
            f"method={method!r} applies to estimator='MLR'; the WLSMV difference test is "
            "lavaan's scaled-shifted Satorra (2000) test (method='default').")
    bad = [name for name, r in (("less restricted", res0), ("more restricted", res1))
           if not r.converged]
    if bad:
        # a non-converged fit has no valid chi-square: the comparison is missing, with
        # the reason, never a difference of 0 (which would read as "no worse fit")
        return {"delta_chisq": float("nan"),
                "delta_df": float(res1.fit["df"] - res0.fit["df"]),
                "delta_pvalue": float("nan"),
                "note": f"not tested: the {' and the '.join(bad)} model did not converge"}
    if res0.estimator != res1.estimator:
        # lavTestLRT: "some models (but not all) have scaled test statistics"; a
        # difference of an ML and a robust statistic is no test
        raise ModelSpecificationError(
            f"The two fits use different estimators ({res0.estimator}, {res1.estimator}); "
            "refit both with the same estimator to compare them.")
    d_chisq = float(res1.fit["chisq"] - res0.fit["chisq"])
    d_df = float(res1.fit["df"] - res0.fit["df"])
    if d_df == 0:
        # lavTestLRT: the difference of the (unscaled) statistics, 0 df and no p-value,
        # for every estimator (a scaled difference needs df > 0)
        return {"delta_chisq": d_chisq, "delta_df": 0.0, "delta_pvalue": float("nan"),
                "note": "not tested: the two models have the same degrees of freedom "
                        "(they are not nested)"}
    if d_df < 0:
        # the more restricted model is res0: compare in lavaan's order (by df)
        return lrt(res1, res0, method)
    scaled_difference = _SCALED_DIFFERENCE.get(res1.estimator)
    if method == "satorra.bentler.2010" and res1.estimator == "MLR":
        out = _satorra_bentler_2010(res0, res1)
    elif scaled_difference is not None:
        out = dict(scaled_difference(res0, res1))
        if res1.estimator == "MLR" and not np.isfinite(out["delta_chisq"]):
            out["note"] = ("not tested: the Satorra-Bentler (2001) scaling factor of the "
                           "difference is negative; use method='satorra.bentler.2010'")
    else:
        p = float(stats.chi2.sf(d_chisq, d_df))
        out = {"delta_chisq": d_chisq, "delta_df": d_df, "delta_pvalue": p}
        if method != "default":
            out["note"] = (f"method={method!r} needs robust test statistics; the standard "
                           "chi-square difference test is reported (as lavaan)")
    if d_chisq < -np.finfo(float).eps ** (1.0 / 3.0):
        # lavTestLRT's warning: the p-value of such a "difference" means nothing
        out["note"] = ("the more restricted model fits better (chi-square lower by "
                       f"{-d_chisq:.4g}): the models are not nested, or the less restricted "
                       "one did not reach its optimum")
    return out


def _satorra_bentler_2010(res0, res1) -> dict[str, float]:
    """Satorra-Bentler (2010) scaled difference of MLR fits ``res1`` (more restricted)
    within ``res0``: ``cd = (df1 c1 - df0 c10) / (df1 - df0)`` with ``c10`` the Yuan-Bentler
    scaling factor of ``res0``'s model at ``res1``'s estimates (a free parameter of
    ``res0`` takes ``res1``'s value of the same row: its fixed value, the common value of
    an equality, or 0 where ``res1`` has no such row), ``T = (T1 - T0) / cd``.

    # In R: lavTestLRT(fit0, fit1, method = "satorra.bentler.2010")
    """
    if res0.model.options.get("cluster") is not None:
        raise ModelSpecificationError(
            "method='satorra.bentler.2010' is not available for cluster= fits.")
    m0 = res0.model
    est1 = res1.partable.set_index(["lhs", "op", "rhs", "group"])["est"]
    est1 = est1[~est1.index.duplicated()]
    x10 = np.zeros(m0.n_free)
    seen: set[int] = set()
    for r in m0.partable.itertuples():
        if r.xid < 0 or r.xid in seen or r.op in ("==", "<", ">", ":="):
            continue
        seen.add(int(r.xid))
        x10[int(r.xid)] = float(est1.get((r.lhs, r.op, r.rhs, r.group), 0.0))
    c10 = fiml.yuan_bentler_scaling_at(m0, x10, list(res0.stats))
    f0, f1 = res0.fit, res1.fit
    df0, df1 = float(f0["df"]), float(f1["df"])
    c1 = float(f1.get("chisq_scaling_factor", np.nan))
    cd = (df1 * c1 - (df0 * c10 if df0 > 0 else 0.0)) / (df1 - df0)
    stat = (float(f1["chisq"]) - float(f0["chisq"])) / cd
    return {"delta_chisq": float(stat), "delta_df": df1 - df0,
            "delta_pvalue": float(stats.chi2.sf(stat, df1 - df0)),
            "scaling_factor": float(cd), "method": "satorra.bentler.2010"}


def measurement_invariance(
    model: str,
    data: pd.DataFrame,
    group: str,
    *,
    estimator: str | None = None,
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
        # robust estimators: the scaled test (lavaan's "chisq.scaled", "pvalue.scaled")
        row = _level_row(lv, res, table[lv])
        del row["group_partial"]  # no level of this sequence frees a constraint
        if prev is None or not (res.converged and prev[1]["converged"]):
            row.update(delta_chisq=np.nan, delta_df=np.nan, delta_pvalue=np.nan,
                       delta_cfi=np.nan, delta_rmsea=np.nan)
            if prev is not None and res.converged:
                row["note"] = "; ".join(n for n in (
                    "not tested: the previous level did not converge", row["note"]) if n)
        elif row["df"] == prev[1]["df"]:
            # same degrees of freedom after adding the constraints: the two models are
            # the same model in another parameterization, so there is nothing to test
            row.update(delta_chisq=np.nan, delta_df=0.0, delta_pvalue=np.nan,
                       delta_cfi=np.nan, delta_rmsea=np.nan)
            same = (f"equivalent to the {prev[1]['level']} model (same degrees of "
                    "freedom); not tested")
            row["note"] = "; ".join(n for n in (same, row["note"]) if n)
        else:
            d = lrt(prev[0], res)
            row.update(delta_chisq=d["delta_chisq"], delta_df=d["delta_df"],
                       delta_pvalue=d["delta_pvalue"], delta_cfi=row["cfi"] - prev[1]["cfi"],
                       delta_rmsea=row["rmsea"] - prev[1]["rmsea"])
            if d.get("note") and res.converged:
                row["note"] = "; ".join(n for n in (row["note"], d["note"]) if n)
        rows.append(row)
        prev = (res, row)
    return pd.DataFrame(rows)


def _level_row(level: str, res, group_equal, group_partial=()) -> dict:
    """Fit statistics of one invariance level (robust versions where the estimator has them)."""
    f = res.fit
    sfx = "_scaled" if "chisq_scaled" in f else ""
    # ordered items: lavaan has no robust CFI/RMSEA once thresholds are equal across
    # groups (NA), so every level of an ordinal sequence reports the scaled ones and the
    # differences between levels compare like with like
    kinds = ("_scaled", "") if res.model.ordered else ("_robust", "_scaled", "")

    def first(name: str) -> float:
        # the first kind with a value: lavaan's robust CFI of a saturated model is NA
        # where its scaled one is 1
        for k in kinds:
            v = f.get(name + k)
            if v is not None and np.isfinite(v):
                return v
        return np.nan

    row = {"level": level, "group_equal": ",".join(group_equal),
           "group_partial": ",".join(group_partial), "npar": f["npar"],
           "chisq": f["chisq" + sfx], "df": f.get("df" + sfx, f["df"]),
           "pvalue": f.get("pvalue" + sfx, np.nan),
           "cfi": first("cfi"), "rmsea": first("rmsea"),
           "srmr": f.get("srmr", np.nan), "converged": bool(res.converged),
           "note": "" if res.converged else "did not converge; statistics missing"}
    improper = [w for w in res.warnings
                if w.startswith("Heywood case") or "negative residual variances" in w
                or "not positive definite" in w]
    if res.converged and improper:
        # lavaan reports the numbers with a warning: so does this table, never a clean
        # verdict on an improper solution
        row["note"] = "improper solution: " + " ".join(improper)
    if not res.converged:
        # a fit that did not converge is never reported as a number
        for key in ("chisq", "df", "pvalue", "cfi", "rmsea", "srmr"):
            row[key] = np.nan
    return row


def compare_levels(res0, row0: dict, res1, row1: dict, *, test: bool = True) -> dict[str, float]:
    """Differences of a more restricted level (``res1``) to a less restricted one (``res0``).

    ``delta_chisq, delta_df, delta_pvalue`` from :func:`lrt` (the scaled difference test
    for robust estimators; skipped with ``test=False``, which the WLSMV version makes
    costly) and ``delta_cfi, delta_rmsea`` of the robust indices; all missing when either
    fit did not converge.
    """
    if not (res0.converged and res1.converged):
        return {"delta_chisq": np.nan, "delta_df": np.nan, "delta_pvalue": np.nan,
                "delta_cfi": np.nan, "delta_rmsea": np.nan}
    d = lrt(res0, res1) if test else {"delta_chisq": np.nan, "delta_df": np.nan,
                                      "delta_pvalue": np.nan}
    return {"delta_chisq": d["delta_chisq"], "delta_df": d["delta_df"],
            "delta_pvalue": d["delta_pvalue"], "delta_cfi": row1["cfi"] - row0["cfi"],
            "delta_rmsea": row1["rmsea"] - row0["rmsea"]}


def _fixed(row) -> bool:
    se = row["se"]
    return not (np.isfinite(se) and se > 0)


def equality_candidates(res, level: str, *, ordered: bool = False) -> dict[str, str]:
    """Parameters tied across groups by ``level`` that may be freed, with their indicator.

    Returns ``{"f =~ x2": "x2", "x2 ~1": "x2", "x2 | t3": "x2", ...}`` in the notation of
    ``group_partial``: the loadings (``metric``), intercepts or thresholds (``scalar``)
    or residual variances (``strict``) that the level adds and that are free in the first
    group (a marker loading fixed to 1 is no candidate).  The levels of ordered items
    (:data:`LEVELS_ORDINAL`, Wu & Estabrook 2016) add the thresholds (``thresholds``),
    the loadings (``loadings``) or the items' intercepts (``intercepts``: fixed at 0 in
    the first group, so every indicator's intercept is a candidate).
    """
    p = res.params
    p = p[p["group"] == p["group"].min()]
    ind = set(p.loc[p["op"] == "=~", "rhs"])
    loadings = level == "metric" or (ordered and level == "loadings")
    thresholds = ordered and level in ("scalar", "thresholds")
    out: dict[str, str] = {}
    for _, r in p.iterrows():
        if ordered and level == "intercepts" and r["op"] == "~1" and r["lhs"] in ind:
            out[f"{r['lhs']} ~1"] = str(r["lhs"])
        if _fixed(r):
            continue
        if loadings and r["op"] == "=~":
            out[f"{r['lhs']} =~ {r['rhs']}"] = str(r["rhs"])
        elif level == "scalar" and not ordered and r["op"] == "~1" and r["lhs"] in ind:
            out[f"{r['lhs']} ~1"] = str(r["lhs"])
        elif thresholds and r["op"] == "|" and r["lhs"] in ind:
            out[f"{r['lhs']} | {r['rhs']}"] = str(r["lhs"])
        elif (level == "strict" and r["op"] == "~~" and r["lhs"] == r["rhs"]
              and r["lhs"] in ind):
            out[f"{r['lhs']} ~~ {r['rhs']}"] = str(r["lhs"])
    return out


def _wald_differences(base, candidates) -> dict[str, float]:
    """Largest |z| of the group differences of each candidate in the less restricted fit.

    ``z = (est_g - est_1) / sqrt(se_g^2 + se_1^2)`` (independent groups), the Wald
    counterpart of the score test, from ``base`` where the candidates are still free in
    every group; used to rank the candidates so that only the most promising are refitted.
    """
    from .partable import _partial_key

    p = base.params
    out = {}
    for c in candidates:
        key = _partial_key(c)
        if key is None:
            out[c] = 0.0
            continue
        lhs, op, rhs = key
        rows = p[(p["lhs"] == lhs) & (p["op"] == op) & (p["rhs"].fillna("") == rhs)]
        rows = rows.sort_values("group")
        if len(rows) < 2:
            out[c] = 0.0
            continue
        est, se = rows["est"].to_numpy(float), rows["se"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.abs(est[1:] - est[0]) / np.sqrt(se[1:] ** 2 + se[0] ** 2)
        z = z[np.isfinite(z)]
        out[c] = float(z.max()) if z.size else 0.0
    return out


def partial_invariance(
    model: str,
    data: pd.DataFrame,
    group: str,
    level: str,
    *,
    base,
    holds,
    group_partial=(),
    estimator: str | None = None,
    min_equal: int = 2,
    max_refits: int | None = 3,
    **kwargs,
) -> dict:
    """Free the cross-group constraints of one invariance level one at a time until it holds.

    Starting from the fully constrained ``level`` (plus the parameters already freed at
    lower levels, ``group_partial``), every still-tied parameter of the level is freed
    in turn (the ``max_refits`` with the largest group difference in ``base``) and the
    one whose release lowers the (scaled) chi-square most is kept free:
    the likelihood-ratio counterpart of choosing the largest univariate score test
    (lavaan ``lavTestScore``), exact rather than a local approximation.  The search stops
    as soon as ``holds`` accepts the comparison with ``base``, or when freeing one more
    parameter would leave fewer than ``min_equal`` indicators of a factor with all of
    the level's parameters equal (partial invariance needs at least two invariant
    indicators per factor; Byrne, Shavelson & Muthen 1989; Steenkamp & Baumgartner 1998).
    For ordered items at most all but two thresholds of an item are freed, so that its
    scale stays identified.

    Parameters
    ----------
    model, data, group, estimator, **kwargs
        As for :func:`measurement_invariance`.
    level : {"metric", "scalar", "strict"}
        Or, with ordered items, ``"thresholds"``, ``"loadings"`` or ``"intercepts"``.
    base : SEMResult
        The accepted less restricted model (the previous level, possibly partial).
    holds : callable
        ``holds(comparison) -> bool`` with the comparison dict of :func:`compare_levels`.
    group_partial : sequence of str
        Parameters freed at lower levels, kept free.
    max_refits : int, optional
        Refit only this many candidates per step, those with the largest group
        difference in ``base`` (Wald |z|; thresholds of ordered items make dozens of
        candidates); ``None`` refits all.

    Returns
    -------
    dict
        ``level, holds`` (bool), ``freed`` (parameters freed at this level, in order),
        ``group_partial`` (all freed parameters), ``steps`` (DataFrame: one row per
        fitted model of the path taken, ``freed`` and its fit and comparison with
        ``base``), ``result`` (the last model's SEMResult) and ``stopped`` (why the
        search ended).

    Notes
    -----
    # In R: lavaan::lavTestScore(fit.scalar); then
    #       lavaan::cfa(model, data, group = g, group.equal = ..., group.partial = freed)
    """
    ordered = bool(kwargs.get("ordered"))
    table = LEVELS_ORDINAL if ordered else LEVELS
    if level not in table or level == "configural":
        raise ModelSpecificationError(
            f"level= must be one of {[lv for lv in table if lv != 'configural']}; got {level!r}.")
    base_row = _level_row("base", base, ())
    equal = table[level]
    partial = list(group_partial)

    def fit(extra: list[str], test: bool = True):
        res = sem(model, data, estimator=estimator, group=group, group_equal=equal,
                  group_partial=tuple(partial + extra), **kwargs)
        row = _level_row(level, res, equal, partial + extra)
        row.update(compare_levels(base, base_row, res, row, test=test))
        return res, row

    res, row = fit([])
    cands = equality_candidates(res, level, ordered=ordered)
    p0 = res.params
    p0 = p0[(p0["group"] == p0["group"].min()) & (p0["op"] == "=~")]
    factor_items = {f: list(g["rhs"]) for f, g in p0.groupby("lhs", sort=False)}
    thresholds = ordered and level in ("scalar", "thresholds")
    n_thr: dict[str, int] = {}
    if thresholds:
        for it in cands.values():
            n_thr[it] = n_thr.get(it, 0) + 1
    freed: list[str] = []
    rows = [{"step": 0, "freed": "", **row}]
    stopped = "holds"

    def allowed(c: str) -> bool:
        it = cands[c]
        touched = {cands[f] for f in freed} | {it}
        for items in factor_items.values():
            if it in items and sum(i not in touched for i in items) < min_equal:
                return False
        if thresholds and sum(cands[f] == it for f in freed) + 1 > n_thr.get(it, 0) - 2:
            return False
        return True

    wald = _wald_differences(base, cands) if max_refits else {}
    ok = bool(row["converged"]) and bool(holds(row))
    while not ok:
        options = [c for c in cands if c not in freed and allowed(c)]
        if max_refits and len(options) > max_refits:
            options = sorted(options, key=lambda c: -wald.get(c, 0.0))[:max_refits]
        if not options:
            stopped = ("no parameter left to free without leaving fewer than "
                       f"{min_equal} invariant indicators per factor"
                       + (" or fewer than two equal thresholds of an item"
                          if thresholds else ""))
            break
        best = None
        for c in options:
            # the difference test only for the model kept (the choice needs the chi-square)
            r_c, row_c = fit(freed + [c], test=False)
            if not r_c.converged or not np.isfinite(row_c["chisq"]):
                continue
            if best is None or row_c["chisq"] < best[2]["chisq"]:
                best = (c, r_c, row_c)
        if best is None:
            stopped = "no model with one more parameter freed converged"
            break
        c, res, row = best
        row.update(compare_levels(base, base_row, res, row))
        freed.append(c)
        rows.append({"step": len(freed), "freed": c, **row})
        ok = bool(holds(row))
    return {"level": level, "holds": ok, "freed": freed, "group_partial": partial + freed,
            "steps": pd.DataFrame(rows), "result": res,
            "stopped": stopped}
