"""The instrument's measurement model: CFA of its scales, reliability, validity, invariance.

Pipeline of :func:`fit_measurement_model` (everything JSON-ready, nothing cached):

1. respondents flagged by :func:`analysis.study.scoring.score` (``exclude``) are dropped;
   reverse-keyed items are recoded with the instrument's keys
   (:func:`analysis.study.scoring.reverse_key`);
2. the CFA of all (or the given) scales (:func:`measurement_syntax`), by default
   WLSMV with the 7-point items as ordered (lavaan ``estimator = "WLSMV"``,
   ``ordered = items``, ``missing = "pairwise"`` when items are missing), or MLR
   (``missing = "ml"`` when items are missing);
3. relationship learning as three correlated first-order factors and as a
   second-order factor; the two compared by the (scaled) chi-square difference test
   (WLSMV: Satorra 2000 scaled-shifted; MLR: Satorra-Bentler 2001), delta CFI/RMSEA and,
   for MLR, AIC/BIC;
4. per scale: standardized loadings, alpha, omega, CR, AVE, HTMT, Fornell-Larcker, each
   against :data:`analysis.stats.validity.THRESHOLDS`, with the failed criteria listed;
5. measurement invariance of every scale (configural, metric, scalar; strict for MLR) by
   ``firm_role`` (one member per dyad) and ``language``, with partial invariance when a
   level fails (constraints freed one at a time), judged by the declared rule
   :data:`INVARIANCE_RULE` (Chen 2007: delta CFI and delta RMSEA together, the scaled
   chi-square difference beside them); a step that did not converge is missing;
6. common-method checks: the CFA marker technique (Williams, Hartman & Cavazotte 2010)
   with the ``marker`` scale as the primary check; an unmeasured latent method factor
   (ULMC) only from a proper solution, else "not estimable" with the reason; Harman's
   screen on the pairwise correlations of all cases; the Lindell-Whitney adjustment
   only with a positive marker correlation, else refused with the reason.

Fit is reported robust first (:func:`reported_fit`: scaled chi-square, robust CFI, TLI,
RMSEA with its robust interval, SRMR), with a warning when there are fewer than
:data:`MIN_N_PER_PARAMETER` respondents per free parameter.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import (
    AllianceSurveyError,
    DataError,
    ModelSpecificationError,
)
from analysis.io import jsonable

__all__ = [
    "CORE_SCALES",
    "compare_orders",
    "HIGHER_ORDER",
    "LEARNING_SCALES",
    "fit_measurement_model",
    "measurement_syntax",
]

#: The three first-order dimensions of relationship learning (Selnes & Sallis 2003).
LEARNING_SCALES: tuple[str, ...] = ("info_sharing", "joint_sensemaking", "knowledge_integration")
#: Name of the second-order factor.
HIGHER_ORDER = "relationship_learning"
#: Scales of the ULMC and the CFA marker technique: the distinct constructs of the main
#: confirmatory paths (dependence of each side, trust, specific investments, relationship
#: learning, joint value creation), one factor each.  Relationship learning stands in
#: through one of its facets: its three facets share the variance of their higher-order
#: factor, which an unmeasured method factor takes for method variance (on the demo data
#: the ULMC of the three facets put 34 % of the item variance on the "method", against 3 %
#: with these constructs; the population's method factor has about 0.4 %).  A model of
#: every scale is not estimable in a few hundred complete cases.
CORE_SCALES: tuple[str, ...] = ("dep_own", "dep_partner", "trust", "specific_investments",
                                "info_sharing", "value_creation")
#: Why the checks model those scales (printed with them).
CORE_RATIONALE = (
    "the distinct constructs of the main confirmatory paths, relationship learning through "
    "one of its facets (facets of one higher-order construct share variance that an "
    "unmeasured method factor would take for method variance)")
#: Fit measures reported (lavaan names with ``_``), when the estimator defines them.
FIT_KEYS: tuple[str, ...] = (
    "npar", "ntotal", "chisq", "df", "pvalue", "chisq_scaled", "df_scaled", "pvalue_scaled",
    "chisq_scaling_factor", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr",
    "cfi_scaled", "tli_scaled", "rmsea_scaled", "rmsea_ci_lower_scaled", "rmsea_ci_upper_scaled",
    "cfi_robust", "tli_robust", "rmsea_robust", "rmsea_ci_lower_robust", "rmsea_ci_upper_robust",
    "aic", "bic", "bic2",
)
_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


# JSON-ready values (NaN/inf -> None, numpy/pandas -> Python): the package's one helper.
_clean = jsonable


#: Column of the alliance ids (two rows of one alliance: both firms answered).
ALLIANCE_ID = "alliance_id"


def _instrument(instrument: Any) -> Any:
    if instrument is None:
        from instruments.instrument.loader import load_instrument

        return load_instrument()
    return instrument


def _select_scales(instrument: Any, scales: Sequence[str] | None) -> dict[str, list[str]]:
    items = instrument.scale_items()
    if scales is None:
        return {k: list(v) for k, v in items.items()}
    if isinstance(scales, str):
        scales = [scales]
    unknown = [s for s in scales if s not in items]
    if unknown:
        raise ModelSpecificationError(
            f"scales= names {', '.join(map(repr, unknown))}, not scale(s) of the instrument; "
            f"choose from {', '.join(items)}.")
    return {s: list(items[s]) for s in scales}


def measurement_syntax(
    instrument: Any = None,
    *,
    second_order: bool = False,
    scales: Sequence[str] | None = None,
    method_factor: bool = False,
) -> str:
    """lavaan syntax of the CFA of the instrument's scales.

    Parameters
    ----------
    instrument : Instrument, optional
        Default ``instruments.instrument.loader.load_instrument()``.
    second_order : bool
        Add ``relationship_learning =~ info_sharing + joint_sensemaking +
        knowledge_integration`` (needs the three learning scales).
    scales : sequence of str, optional
        Scale ids (default: all scales, in the instrument's order).
    method_factor : bool
        Add an unmeasured latent method factor ``method`` loading on every item (free
        loadings, unit variance, orthogonal to all substantive factors; Podsakoff et
        al. 2003).

    Returns
    -------
    str
        One ``factor =~ item + ...`` line per scale (items ``{scale}_{k}``; reverse-keyed
        items are expected recoded in the data), factors correlated (lavaan's ``cfa()``
        default).

    Raises
    ------
    ModelSpecificationError
        Unknown scale ids, or ``second_order`` without all three learning scales.

    Examples
    --------
    >>> print(measurement_syntax(scales=["trust"]))  # doctest: +SKIP
    trust =~ trust_1 + trust_2 + trust_3 + trust_4
    # In R: lavaan::cfa(measurement_syntax, data, ordered = TRUE, estimator = "WLSMV")
    """
    inst = _instrument(instrument)
    blocks = _select_scales(inst, scales)
    lines = [f"{s} =~ {' + '.join(items)}" for s, items in blocks.items()]
    factors = list(blocks)
    if second_order:
        absent = [s for s in LEARNING_SCALES if s not in blocks]
        if absent:
            raise ModelSpecificationError(
                f"second_order=True needs the learning scales {', '.join(LEARNING_SCALES)}; "
                f"scales= lacks {', '.join(absent)}.")
        lines.append(f"{HIGHER_ORDER} =~ {' + '.join(LEARNING_SCALES)}")
        factors = [f for f in factors if f not in LEARNING_SCALES] + [HIGHER_ORDER]
    if method_factor:
        items = [i for v in blocks.values() for i in v]
        lines.append(f"method =~ NA*{items[0]} + {' + '.join(items[1:])}")
        lines.append("method ~~ 1*method")
        lines.extend(f"method ~~ 0*{f}" for f in factors)
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# helpers of fit_measurement_model
# ---------------------------------------------------------------------------


def _recode(df: pd.DataFrame, instrument: Any, blocks: Mapping[str, list[str]]) -> pd.DataFrame:
    """Reverse-key the instrument's reverse items of the selected scales (``x -> min + max - x``).

    # In R: psych::reverse.code(keys, items, mini = 1, maxi = 7)
    """
    from analysis.study.scoring import _item_bounds

    out = df.copy()
    for scale in blocks:
        sc = instrument.scales[scale]
        lo, hi = _item_bounds(sc)
        for it in sc.items:
            if it.reverse:
                out[it.id] = lo + hi - pd.to_numeric(df[it.id], errors="coerce").astype(float)
    return out


def _fit(syntax: str, data: pd.DataFrame, estimator: str, items: list[str], missing: str,
         cache: Any = None, **kwargs: Any) -> Any:
    """One CFA; WLSMV fits share the polychoric statistics through ``cache``."""
    from analysis.sem import cfa

    if estimator == "WLSMV":
        return cfa(syntax, data, estimator="WLSMV", ordered=items, missing=missing,
                   ordinal_cache=cache, **kwargs)
    return cfa(syntax, data, estimator=estimator, missing=missing, **kwargs)


def _fit_summary(res: Any) -> dict[str, float]:
    f = res.fit
    # with the number of observed variables: with no more respondents than items their
    # correlation matrix is singular and the report prints no fit (see the report's
    # narrative and fit table)
    return {**{k: float(f[k]) for k in FIT_KEYS if k in f},
            "n_variables": float(len(res.model.ov_names))}


def _pick(fit: Mapping[str, float], name: str) -> float:
    """Robust version of a fit index where the estimator has one (lavaan's .robust)."""
    for key in (f"{name}_robust", f"{name}_scaled", name):
        v = fit.get(key, np.nan)
        if v is not None and np.isfinite(v):
            return float(v)
    return np.nan


def compare_orders(first: Any, second: Any, estimator: str) -> dict[str, Any]:
    """Compare the second-order with the first-order measurement model.

    Parameters
    ----------
    first, second : SEMResult
        Fits of ``measurement_syntax(...)`` without and with ``second_order=True``.
    estimator : {"WLSMV", "MLR", "ML"}
        Decides the difference test.

    Returns
    -------
    dict
        ``chisq_diff, df_diff, pvalue, method`` (WLSMV: Satorra 2000 scaled-shifted;
        MLR: Satorra-Bentler 2001; ML: likelihood ratio; NaN if the models have the same
        df), ``delta_cfi, delta_tli, delta_rmsea, delta_srmr`` (robust versions where
        defined), ``aic_first_order, aic_second_order, delta_aic`` and the same for BIC
        (NaN for WLSMV), ``note``.  :func:`fit_measurement_model` adds
        ``omega_higher_order`` (hierarchical omega of ``relationship_learning``; NaN for
        WLSMV).

    Examples
    --------
    >>> compare_orders(fit1, fit2, "WLSMV")  # doctest: +SKIP
    # In R: lavaan::lavTestLRT(fit1, fit2)
    """
    f1, f2 = first.fit, second.fit
    out: dict[str, Any] = {}
    d_df = float(f2["df"] - f1["df"])
    if d_df <= 0:
        out.update(chisq_diff=np.nan, df_diff=d_df, pvalue=np.nan,
                   method="none: the models are equivalent (same degrees of freedom)")
    elif estimator == "WLSMV":
        from analysis.sem.wls import scaled_difference_test

        t = scaled_difference_test(second, first)
        out.update(chisq_diff=t["chisq_diff"], df_diff=t["df_diff"], pvalue=t["pvalue"],
                   method="Satorra (2000) scaled-shifted difference (lavTestLRT, WLSMV)")
    elif estimator == "MLR":
        from analysis.sem.robust import scaled_difference_test

        t = scaled_difference_test(second, first)
        out.update(chisq_diff=t["chisq_diff"], df_diff=t["df_diff"], pvalue=t["pvalue"],
                   method="Satorra-Bentler (2001) scaled difference (lavTestLRT, MLR)")
    else:
        from scipy import stats

        d = float(f2["chisq"] - f1["chisq"])
        out.update(chisq_diff=d, df_diff=d_df, pvalue=float(stats.chi2.sf(d, d_df)),
                   method="likelihood-ratio test (ML)")
    for name in ("cfi", "tli", "rmsea", "srmr"):
        out[f"delta_{name}"] = _pick(f2, name) - _pick(f1, name)
    for name in ("aic", "bic"):
        a, b = f1.get(name, np.nan), f2.get(name, np.nan)
        out[f"{name}_first_order"], out[f"{name}_second_order"] = a, b
        out[f"delta_{name}"] = b - a
    out["note"] = ("Differences are second-order minus first-order; robust CFI/TLI/RMSEA where "
                   "defined.  A non-significant difference test and |delta CFI| <= .01 support "
                   "the more parsimonious second-order model (Cheung & Rensvold 2002).")
    if estimator == "WLSMV":
        out["note"] += "  AIC/BIC are undefined for WLSMV (no likelihood)."
    return out


def _covariance(data: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """Observed covariance (divisor N): listwise if complete, else pairwise."""
    from analysis.stats.reliability import sample_covariance

    x = data[items].astype(float)
    if not x.isna().any().any():
        return sample_covariance(x, items)
    n = x.notna().astype(float)
    pairs = n.T @ n
    cov = x.cov() * (pairs - 1.0) / pairs
    return cov.loc[items, items]


def _reliability(res: Any, data: pd.DataFrame, blocks: Mapping[str, list[str]],
                 estimator: str, cache: Any = None) -> tuple[dict[str, dict[str, float]], pd.DataFrame, str]:
    """alpha, omega, CR, AVE per scale; Fornell-Larcker matrix; the definition used."""
    from analysis.stats.reliability import ave, composite_reliability, cronbach_alpha, omega
    from analysis.stats.validity import latent_correlations

    params = res.params
    lo = params[params["op"] == "=~"]
    cr = composite_reliability(params).set_index("factor")["cr"]
    if estimator == "WLSMV":
        av = lo.groupby("lhs")["std_all"].apply(lambda s: float((s**2).mean()))
        items = [i for v in blocks.values() for i in v]
        miss = "pairwise" if data[items].isna().any().any() else "listwise"
        om = pd.Series(categorical_omega(res, data, blocks, miss, cache))
        definition = (
            "WLSMV (ordered items): CR and AVE from the completely standardized loadings on "
            "the latent-response (polychoric) scale, CR = (sum l)^2 / ((sum l)^2 + "
            "sum(1 - l^2)), AVE = mean(l^2); omega is Green & Yang's (2009) categorical "
            "omega, the reliability of the summed item codes, as semTools::compRelSEM() "
            f"gives it for ordered items ({miss} polychoric correlations in the "
            "denominator).")
    else:
        items = [i for v in blocks.values() for i in v]
        cov = _covariance(data, items)
        om = omega(params, sample_cov=cov).set_index("factor")["omega"]
        av = ave(params, sample_cov=cov).set_index("factor")["ave"]
        definition = (
            f"{estimator} (items continuous): omega and AVE as semTools::compRelSEM() / AVE() "
            "(observed item variances, listwise; pairwise when items are missing), CR from "
            "the completely standardized loadings (Fornell & Larcker 1981).")
    lv = latent_correlations(params).loc[list(blocks), list(blocks)]
    fl = lv.copy()
    for f in blocks:
        fl.loc[f, f] = math.sqrt(av[f]) if f in av.index and np.isfinite(av[f]) else np.nan
    out = {}
    for scale, its in blocks.items():
        a = cronbach_alpha(data[its].astype(float))
        out[scale] = {
            "n_items": float(len(its)),
            "alpha": float(a["raw_alpha"]),
            "alpha_ci_lower": float(a["ci_lower"]),
            "alpha_ci_upper": float(a["ci_upper"]),
            "omega": float(om.get(scale, np.nan)),
            "cr": float(cr.get(scale, np.nan)),
            "ave": float(av.get(scale, np.nan)),
        }
    return out, fl, definition


def categorical_omega(res: Any, data: pd.DataFrame, blocks: Mapping[str, Sequence[str]],
                      missing: str = "listwise", cache: Any = None) -> dict[str, float]:
    """Green & Yang's (2009) categorical omega of each factor of a WLSMV fit.

    The reliability of the sum score of ordered items: with ``lambda`` the completely
    standardized loadings, ``tau`` the thresholds and ``rho*`` the polychoric
    correlations of the items (1 on the diagonal),

    ``omega = sum_ij sum_cc' [Phi2(tau_ic, tau_jc'; l_i l_j) - Phi(tau_ic) Phi(tau_jc')]
    / sum_ij sum_cc' [Phi2(tau_ic, tau_jc'; rho*_ij) - Phi(tau_ic) Phi(tau_jc')]``,
    the denominator from the sample polychoric correlations of ``data`` (semTools'
    ``obs.var = TRUE``).

    References
    ----------
    Green, S. B., & Yang, Y. (2009). Reliability of summed item scores using structural
    equation modeling: An alternative to coefficient alpha. Psychometrika, 74, 155-167.

    ``cache`` (the fit's :class:`analysis.sem.ordinal.OrdinalStatsCache`, optional): the
    fit's own polychoric correlations are used when it holds them for these items.

    # In R: semTools::compRelSEM(fit)   # ordered indicators, obs.var = TRUE
    """
    from scipy import stats

    from analysis.sem.ordinal import bivariate_normal_cdf, ordinal_sample_stats

    p = res.params
    items_all = list(dict.fromkeys(i for v in blocks.values() for i in v))
    miss = "pairwise" if missing == "pairwise" else "listwise"
    poly = cache.lookup(data[items_all].to_numpy(dtype=float), items_all, missing=miss) \
        if cache is not None else None
    if poly is None:
        poly = ordinal_sample_stats(data[items_all], items_all, compute_gamma=False,
                                    missing=miss)
    names = list(poly.names)
    rstar = np.asarray(poly.cor, dtype=float)
    out: dict[str, float] = {}
    for factor, items in blocks.items():
        lam = p[(p["op"] == "=~") & (p["lhs"] == factor)].set_index("rhs")["std_all"]
        if any(i not in lam.index for i in items):
            out[factor] = float("nan")
            continue
        tau = {i: np.sort(p[(p["op"] == "|") & (p["lhs"] == i)]["est"].to_numpy(dtype=float))
               for i in items}
        num = den = 0.0
        for i in items:
            for j in items:
                h, k = np.meshgrid(tau[i], tau[j], indexing="ij")
                h, k = h.ravel(), k.ravel()
                indep = stats.norm.cdf(h) * stats.norm.cdf(k)
                num += float(np.sum(bivariate_normal_cdf(
                    h, k, np.full(h.shape, float(lam[i] * lam[j]))) - indep))
                if i == j:
                    joint = stats.norm.cdf(np.minimum(h, k))
                else:
                    r = float(rstar[names.index(i), names.index(j)])
                    joint = bivariate_normal_cdf(h, k, np.full(h.shape, r))
                den += float(np.sum(joint - indep))
        out[factor] = num / den if den > 0 else float("nan")
    return out


def _omega_higher(res: Any, data: pd.DataFrame, blocks: Mapping[str, list[str]],
                  estimator: str) -> float:
    """Hierarchical omega of the second-order factor (semTools ``compRelSEM(higher=)``).

    NaN for WLSMV (no observed-scale omega for ordered items, as in :func:`_reliability`).
    """
    from analysis.stats.reliability import omega

    if estimator == "WLSMV":
        return float("nan")
    items = [i for v in blocks.values() for i in v]
    om = omega(res.params, sample_cov=_covariance(data, items), higher=[HIGHER_ORDER])
    row = om[om["factor"] == HIGHER_ORDER]
    return float(row["omega"].iloc[0]) if len(row) else float("nan")


def _check(measure: str, value: float) -> list[str]:
    """Names of the failed thresholds of ``measure`` for ``value`` (NaN: not checked)."""
    from analysis.stats.validity import THRESHOLDS

    failed = []
    if value is None or not np.isfinite(value):
        return failed
    for t in THRESHOLDS:
        if t.measure == measure and not _OPS[t.comparison](value, t.value):
            failed.append(f"{measure} {t.comparison} {t.value} ({t.label})")
    return failed


def _flags(rel: dict[str, dict[str, float]], htmt: pd.DataFrame, fl: pd.DataFrame,
           loadings: pd.DataFrame) -> None:
    """Add ``fails`` (list of failed criteria) and ``passes`` to every scale (in place)."""
    from analysis.stats.validity import THRESHOLDS

    ht_cut = min(t.value for t in THRESHOLDS if t.measure == "htmt")
    ld_cut = next(t.value for t in THRESHOLDS if t.measure == "std_loading")
    for scale, row in rel.items():
        fails: list[str] = []
        for m in ("alpha", "omega", "cr", "ave"):
            fails += _check(m, row[m])
        if scale in htmt.index:
            others = htmt.loc[scale].drop(scale, errors="ignore")
            high = [o for o, v in others.items() if np.isfinite(v) and v >= ht_cut]
            row["htmt_max"] = float(others.max()) if len(others) else np.nan
            if high:
                fails.append(f"htmt < {ht_cut} with {', '.join(high)}")
        if scale in fl.index and np.isfinite(fl.loc[scale, scale]):
            off = fl.loc[scale].drop(scale).abs()
            margin = float(fl.loc[scale, scale] - off.max()) if len(off) else np.nan
            row["fornell_larcker_margin"] = margin
            if np.isfinite(margin) and margin <= 0:
                fails.append("fornell_larcker: sqrt(AVE) does not exceed every latent correlation")
        else:
            row["fornell_larcker_margin"] = np.nan
        ld = loadings[loadings["lhs"] == scale]["std_all"]
        row["min_std_loading"] = float(ld.min()) if len(ld) else np.nan
        row["n_loadings_below"] = float((ld < ld_cut).sum())
        row["fails"] = fails
        row["passes"] = not fails


def collapse_empty_categories(data: pd.DataFrame, items: Sequence[str],
                              group: str) -> tuple[pd.DataFrame, dict[str, list[list[float]]]]:
    """Merge categories of ordered items that are empty in some group with a neighbour.

    A multigroup threshold model needs every category of an item in every group (lavaan
    stops with "some categories of variable ... are empty in group ..."); the usual
    remedy is to collapse such a category with its neighbour in *all* groups, so the
    groups keep a common scale.  An empty extreme category joins the next inner one; an
    empty inner category joins the smaller of its two neighbours.  Repeats until every
    remaining category of every item is observed in every group.

    Returns
    -------
    (DataFrame, dict)
        The recoded copy, and per recoded item the merges ``[[from, to], ...]`` in order.
    """
    out = data.copy()
    merges: dict[str, list[list[float]]] = {}
    # group codes (-1: no group); the group-by-category counts are tallied with numpy,
    # since this runs for every item of every invariance sequence
    gcode, _ = pd.factorize(out[group].astype("string"))
    has_group = gcode >= 0
    for item in items:
        if item not in out.columns:
            continue
        col = pd.to_numeric(out[item], errors="coerce")
        while True:
            cats = sorted(col.dropna().unique())
            if len(cats) <= 2:
                break
            table = _group_category_counts(gcode, has_group, col, cats)
            empty = [c for k, c in enumerate(cats) if (table[:, k] == 0).any()]
            if not empty:
                break
            c = empty[0]
            i = cats.index(c)
            if i == 0:
                to = cats[1]
            elif i == len(cats) - 1:
                to = cats[-2]
            else:
                n = col.value_counts()
                to = cats[i - 1] if n[cats[i - 1]] <= n[cats[i + 1]] else cats[i + 1]
            col = col.where(col != c, to)
            merges.setdefault(item, []).append([float(c), float(to)])
        if item in merges:
            out[item] = col
    return out, merges


def _group_category_counts(gcode: np.ndarray, has_group: np.ndarray, col: pd.Series,
                           cats: list[Any]) -> np.ndarray:
    """Counts of each category of ``col`` (columns, in the order of ``cats``) in each group
    that has an answer to it (rows): ``pd.crosstab(groups, col)``."""
    vals = col.to_numpy()
    seen = has_group & col.notna().to_numpy()
    pos = np.searchsorted(np.asarray(cats), vals[seen])
    table = np.zeros((int(gcode.max()) + 1 if gcode.size else 0, len(cats)), dtype=np.int64)
    np.add.at(table, (gcode[seen], pos), 1)
    return table[table.sum(axis=1) > 0]


#: Chen's (2007) cut-offs for a step of measurement invariance: a level fails when CFI
#: drops by .010 or more AND RMSEA rises by .015 or more (N > 300); with a total N of at
#: most 300 his stricter pair (.005 and .010), which a reviewer asked for on a study of 166
DELTA_CFI_CUT = -0.010
DELTA_RMSEA_CUT = 0.015
SMALL_N, DELTA_CFI_CUT_SMALL, DELTA_RMSEA_CUT_SMALL = 300, -0.005, 0.010
INVARIANCE_RULE = (
    "Declared rule (Chen 2007): a level fails when, relative to the previous level, "
    "delta CFI <= -.010 and delta RMSEA >= .015, or with a total N of 300 or fewer "
    "delta CFI <= -.005 and delta RMSEA >= .010 (robust versions where the estimator has "
    "them); the (scaled) chi-square difference test is reported beside it. A failed level "
    "is followed by the search for partial invariance; a step whose model did not "
    "converge is shown as "
    "missing and ends the sequence. A step with the degrees of freedom of the previous "
    "level only re-expresses it: it holds untested. A saturated model (no degrees of "
    "freedom) has CFI 1 and RMSEA 0.")


#: Decision of a level with the degrees of freedom of the previous one: the same model in
#: another parameterization, so it holds without a test.
EQUIVALENT = "holds (equivalent model: same degrees of freedom; not tested)"


def chen_cuts(n: float | None = None) -> tuple[float, float]:
    """Chen's (2007) (delta CFI, delta RMSEA) cut-offs for a total sample size ``n``
    (the N > 300 pair when ``n`` is unknown)."""
    if n is not None and np.isfinite(n) and n <= SMALL_N:
        return DELTA_CFI_CUT_SMALL, DELTA_RMSEA_CUT_SMALL
    return DELTA_CFI_CUT, DELTA_RMSEA_CUT


def invariance_decisions(table: pd.DataFrame, n: float | None = None
                         ) -> tuple[pd.DataFrame, str, str | None]:
    """Apply :data:`INVARIANCE_RULE` to a :func:`analysis.sem.measurement_invariance` table
    (at the cut-offs of the total sample size ``n``; those of N > 300 when not given).

    Returns
    -------
    (DataFrame, str, str or None)
        The table with ``chen_fails`` (bool; None for the first level and for steps that
        cannot be judged) and ``decision`` ("holds", "fails", "not estimated", or
        :data:`EQUIVALENT` for a step with the previous level's degrees of freedom), the
        highest level that holds, and the first level that fails (None if none).
    """
    table = table.copy()
    conv = table["converged"] if "converged" in table.columns else \
        pd.Series(True, index=table.index)
    fails_col: list[bool | None] = []
    decision: list[str] = []
    holds, failed, stopped = str(table["level"].iloc[0]), None, False
    for i, row in enumerate(table.itertuples()):
        if not bool(conv.iloc[i]):
            fails_col.append(None)
            decision.append("not estimated (did not converge)")
            stopped = True
            continue
        if i == 0:
            fails_col.append(None)
            decision.append("baseline")
            continue
        dcfi, drmsea = float(row.delta_cfi), float(row.delta_rmsea)
        if not stopped and float(getattr(row, "delta_df", np.nan)) == 0:
            # the engine's equivalent step (same df, no differences): nothing to judge,
            # and the next level is compared with it, so the sequence goes on
            fails_col.append(None)
            decision.append(EQUIVALENT)
            holds = str(row.level)
            continue
        if stopped or not (np.isfinite(dcfi) and np.isfinite(drmsea)):
            fails_col.append(None)
            decision.append("not judged")
            stopped = True
            continue
        bad = _chen_fails(dcfi, drmsea, n)
        fails_col.append(bad)
        decision.append("fails" if bad else "holds")
        if bad:
            failed, stopped = str(row.level), True
        else:
            holds = str(row.level)
    table["chen_fails"] = fails_col
    table["decision"] = decision
    if not bool(conv.iloc[0]):
        holds = "none"
    return table, holds, failed


def one_member_per_dyad(data: pd.DataFrame) -> pd.DataFrame:
    """Rows with at most one member of each alliance (for groups by ``firm_role``).

    The two members of a dyad answer about the same alliance, so firm-role groups that
    contain both are not independent samples; the A member of every complete dyad is
    dropped (the B group consists of dyad members only and keeps them all).
    """
    if "alliance_id" not in data.columns or "firm_role" not in data.columns:
        return data
    ids = data["alliance_id"]
    paired = ids.notna() & ids.duplicated(keep=False)
    drop = paired & (data["firm_role"].astype("string") == "A")
    return data[~drop.to_numpy()].reset_index(drop=True)


#: A configural baseline this poor leaves no invariance level to judge: CFI below .90 or
#: RMSEA above .10 (MacCallum, Browne & Sugawara 1996: poor fit).
BASELINE_CFI_MIN, BASELINE_RMSEA_MAX = 0.90, 0.10


def _poor_baseline(row: Mapping[str, Any]) -> str:
    """Why the configural model fits too poorly to compare levels with (empty if not)."""
    bits = []
    cfi, rmsea = float(row.get("cfi", np.nan)), float(row.get("rmsea", np.nan))
    if np.isfinite(cfi) and cfi < BASELINE_CFI_MIN:
        bits.append(f"CFI {cfi:.3f} < {BASELINE_CFI_MIN:.2f}")
    if np.isfinite(rmsea) and rmsea > BASELINE_RMSEA_MAX:
        bits.append(f"RMSEA {rmsea:.3f} > {BASELINE_RMSEA_MAX:.2f}")
    return ", ".join(bits)


def _chen_fails(delta_cfi: float, delta_rmsea: float, n: float | None = None) -> bool:
    """The declared rule for one step: both Chen (2007) criteria together, at the
    cut-offs of the total sample size ``n``."""
    cfi_cut, rmsea_cut = chen_cuts(n)
    return bool(delta_cfi <= cfi_cut and delta_rmsea >= rmsea_cut)


def _chen_holds(row: Mapping[str, Any], n: float | None = None,
                base: Mapping[str, Any] | None = None) -> bool:
    """The rule holds for one step; with ``base`` (the accepted level's row), the
    differences are taken to its CFI and RMSEA (see :func:`_saturated_fit`)."""
    if base is not None:
        dcfi = float(row["cfi"]) - float(base["cfi"])
        drmsea = float(row["rmsea"]) - float(base["rmsea"])
    else:
        dcfi, drmsea = float(row["delta_cfi"]), float(row["delta_rmsea"])
    if not (np.isfinite(dcfi) and np.isfinite(drmsea)):
        return False
    return not _chen_fails(dcfi, drmsea, n)


def _saturated_fit(row: dict[str, Any]) -> dict[str, Any]:
    """CFI 1 and RMSEA 0 for a converged model with no degrees of freedom.

    A saturated model (a three-item scale's configural model) reproduces the data: its
    CFI is 1 and its RMSEA 0 by definition, and lavaan prints them so (``cfi.scaled``),
    but its robust CFI is NA under MLR with complete data.  Left missing, every step
    after it had no CFI difference and the sequence stopped at "not judged" (a campaign
    case: metric with delta CFI -.020 and delta RMSEA .107 against lavaan's saturated
    configural fit, a failure of the rule, printed as not judged).
    """
    if row.get("converged") and row.get("df") == 0:
        if not np.isfinite(float(row.get("cfi", np.nan))):
            row["cfi"] = 1.0
        if not np.isfinite(float(row.get("rmsea", np.nan))):
            row["rmsea"] = 0.0
    return row


def _invariance_sequence(syntax: str, sub: pd.DataFrame, group: str, estimator: str,
                         levels: Sequence[str], partial: bool,
                         kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Configural -> metric -> scalar (-> strict) for one model, with partial invariance.

    Each level is compared with the last accepted one (full or partial) by the declared
    rule; when a level fails, its constraints are freed one at a time
    (:func:`analysis.sem.invariance.partial_invariance`) until the rule holds, and the
    freed parameters stay free at the higher levels (Byrne, Shavelson & Muthen 1989).
    """
    from analysis.sem import sem
    from analysis.sem.invariance import (
        LEVELS,
        LEVELS_ORDINAL,
        _level_row,
        compare_levels,
        partial_invariance,
    )

    table = LEVELS_ORDINAL if kwargs.get("ordered") else LEVELS
    # the total N of the comparison sets Chen's cut-offs (the respondents the fits used)
    n_total: float | None = None
    rows: list[dict[str, Any]] = []
    freed_all: list[str] = []
    freed_by_level: dict[str, list[str]] = {}
    steps: dict[str, pd.DataFrame] = {}
    prev_res = prev_row = None
    holds, failed, partial_levels = "none", None, []
    for lv in levels:
        res = sem(syntax, sub, estimator=estimator, group=group, group_equal=table[lv],
                  group_partial=tuple(freed_all), **kwargs)
        row = _saturated_fit(_level_row(lv, res, table[lv], freed_all))
        if not res.converged or str(row.get("note", "")).startswith("improper"):
            # no decision on a model without a proper solution: the pilot's groups of 23
            # had "holds" beside a Heywood case
            row.update(delta_chisq=np.nan, delta_df=np.nan, delta_pvalue=np.nan,
                       delta_cfi=np.nan, delta_rmsea=np.nan, chen_fails=None,
                       decision="not estimated (did not converge)" if not res.converged
                       else "not judged (improper solution)")
            rows.append(row)
            failed = failed or lv
            break
        if prev_res is None:
            row.update(delta_chisq=np.nan, delta_df=np.nan, delta_pvalue=np.nan,
                       delta_cfi=np.nan, delta_rmsea=np.nan, chen_fails=None,
                       decision="baseline")
            n_total = float(res.fit.get("ntotal", np.nan))
            poor = _poor_baseline(row)
            if poor:
                # the equality levels compare with a baseline that must itself fit
                # (Vandenberg & Lance 2000): a reviewer's study had "scalar (intercepts)"
                # beside a configural RMSEA of .181
                row["decision"] = f"baseline fits poorly ({poor}); no level judged"
                rows.append(row)
                failed = lv
                break
            rows.append(row)
            prev_res, prev_row, holds = res, row, lv
            continue
        row.update(compare_levels(prev_res, prev_row, res, row))
        if not (np.isfinite(row["delta_cfi"]) and np.isfinite(row["delta_rmsea"])):
            row.update(chen_fails=None, decision="not judged (fit difference undefined)")
            rows.append(row)
            failed = lv
            break
        bad = _chen_fails(row["delta_cfi"], row["delta_rmsea"], n_total)
        row.update(chen_fails=bad, decision="fails" if bad else "holds")
        if row["delta_df"] == 0 and not bad:
            # the constraints only re-express the previous model (ordered items in three
            # categories at the threshold step): nothing was tested, as the engine says
            row["decision"] = EQUIVALENT
        rows.append(row)
        if not bad:
            prev_res, prev_row, holds = res, row, lv
            continue
        failed = failed or lv
        if not partial:
            break
        # each step is judged against the accepted level's row as printed (the engine
        # recomputes the base's row, without the saturated model's CFI and RMSEA)
        search = partial_invariance(syntax, sub, group, lv, base=prev_res,
                                    holds=functools.partial(_chen_holds, n=n_total,
                                                            base=prev_row),
                                    group_partial=freed_all, estimator=estimator, **kwargs)
        found = search["steps"].copy()
        found["delta_cfi"] = found["cfi"].astype(float) - float(prev_row["cfi"])
        found["delta_rmsea"] = found["rmsea"].astype(float) - float(prev_row["rmsea"])
        steps[lv] = found
        if not search["freed"]:
            row["decision"] = f"fails; no partial model: {search['stopped']}"
            break
        if not search["holds"]:
            rows.append({**found.iloc[-1].drop(["step", "freed"]).to_dict(),
                         "level": f"{lv} (partial)", "chen_fails": True,
                         "decision": f"fails: {search['stopped']}"})
            break
        last = found.iloc[-1].drop(["step", "freed"]).to_dict()
        if str(last.get("note", "")).startswith("improper"):
            rows.append({**last, "level": f"{lv} (partial)", "chen_fails": None,
                         "decision": "not judged (improper solution)"})
            break
        rows.append({**last, "level": f"{lv} (partial)", "chen_fails": False,
                     "decision": "holds (partial)"})
        freed_by_level[lv] = list(search["freed"])
        freed_all = list(search["group_partial"])
        partial_levels.append(lv)
        prev_res, prev_row, holds = search["result"], last, lv
    cfi_cut, rmsea_cut = chen_cuts(n_total)
    return {"levels": pd.DataFrame(rows), "highest_level_supported": holds,
            "first_failed_level": failed, "partial_levels": partial_levels,
            "freed": freed_by_level, "partial_steps": steps,
            "cutoffs": {"n": n_total, "delta_cfi": cfi_cut, "delta_rmsea": rmsea_cut}}


def _invariance(syntax: str, data: pd.DataFrame, group: str, items: list[str],
                estimator: str, missing: str, warnings: list[str],
                cache: Any = None, *, partial: bool = True, note_dropped: bool = True,
                ) -> dict[str, Any] | None:
    """Invariance of one model (``syntax`` over ``items``) across ``group``."""
    if group not in data.columns:
        warnings.append(f"Invariance by {group!r} skipped: no such column in the data.")
        return None
    col = data[group].astype("string")
    counts = col.value_counts(dropna=True)
    if len(counts) < 2:
        warnings.append(f"Invariance by {group!r} skipped: only {len(counts)} group(s).")
        return None
    sub = data[col.notna().to_numpy()]
    # who is in neither group, and why: the report states it beside the group sizes
    left_out = {"no_value": int(len(data) - len(sub))}
    # a respondent who answered none of this model's items (a scale shown to some
    # respondents only) is in no fit: lavaan ignores such "empty cases".  They leave
    # before the dyad rule, so that the A member of an alliance whose B member did not
    # answer this scale stays, and the group sizes printed are those of the fits (a
    # campaign case printed 40 and 180 beside fits of 31 and 140 respondents)
    answered = sub[[i for i in items if i in sub.columns]].notna().any(axis=1).to_numpy()
    if not answered.all():
        left_out["no_answer"] = int((~answered).sum())
    sub = sub[answered]
    if group == "firm_role":
        n0 = len(sub)
        sub = one_member_per_dyad(sub)
        left_out["dyad_member"] = int(n0 - len(sub))
        if len(sub) < n0 and note_dropped:
            warnings.append(f"Invariance by 'firm_role': {n0 - len(sub)} A member(s) of "
                            "complete dyads left out, so that the groups are independent.")
    levels: tuple[str, ...] = ("configural", "metric", "scalar")
    if estimator != "WLSMV":
        levels = (*levels, "strict")
    kwargs: dict[str, Any] = {"missing": missing}
    merges: dict[str, list[list[float]]] = {}
    if estimator == "WLSMV":
        # ordered items: the engine's ordinal sequence (thresholds, then loadings, then
        # intercepts) with the Wu & Estabrook (2016) identification, as semTools builds it
        levels = ORDINAL_LEVELS
        kwargs.update(ordered=items, std_lv=True, id_cat="wu.estabrook.2016")
        if missing == "listwise":  # the categories that count are those of the rows used
            sub = sub[sub[items].notna().all(axis=1).to_numpy()]
        sub, merges = collapse_empty_categories(sub, items, group)
        # the levels share each group's statistics; recoded data get their own cache key
        kwargs["ordinal_cache"] = cache
        if merges:
            listed = "; ".join(
                f"{item} " + ", ".join(f"{a:g}->{b:g}" for a, b in m)
                for item, m in merges.items())
            warnings.append(
                f"Invariance by {group!r}: categories with no responses in some group were "
                f"merged with a neighbour in all groups (thresholds need every category in "
                f"every group): {listed}.")
    # the group sizes of the rows the fits use
    counts = sub[group].astype("string").value_counts(dropna=True)
    try:
        seq = _invariance_sequence(syntax, sub, group, estimator, levels, partial, kwargs)
    except AllianceSurveyError as err:
        warnings.append(f"Invariance by {group!r} not estimated: {err}")
        return None
    return {
        "groups": {str(k): int(v) for k, v in counts.items()},
        "left_out": left_out,
        "collapsed_categories": merges,
        **seq,
        "criterion": INVARIANCE_RULE,
    }


#: Order of the invariance levels, for the weakest level over scales.
_LEVEL_ORDER = ("none", "configural", "thresholds", "metric", "loadings", "scalar",
                "intercepts", "strict")

#: Invariance levels of ordered items, in order (names as in the engine).
ORDINAL_LEVELS = ("configural", "thresholds", "loadings", "intercepts")


def _invariance_by_scale(runner: _InvarianceRunner, group: str,
                         warnings: list[str]) -> dict[str, Any] | None:
    """Invariance of every scale (its own one-factor model) across ``group``."""
    by_scale: dict[str, Any] = {}
    summary = []
    groups = None
    left_out: dict[str, int] = {}
    merges: dict[str, list[list[float]]] = {}
    scales = runner.scales
    for scale in scales:
        r, warns = runner.result(group, scale)
        warnings.extend(warns)
        if r is None:
            data = runner.tasks[(group, scale)][1]
            if group not in data.columns or data[group].astype("string").nunique() < 2:
                return None
            by_scale[scale] = None
            summary.append({"scale": scale, "highest_level_supported": "not estimated",
                            "first_failed_level": None, "partial_levels": "", "freed": ""})
            continue
        # each scale's group sizes are those of its own fits (a respondent who answered
        # none of its items is in none); the grouping shows those of the scale that
        # used the most respondents, with its reasons for the others
        if groups is None or sum(r["groups"].values()) > sum(groups.values()):
            groups, left_out = dict(r["groups"]), dict(r.get("left_out", left_out))
        merges.update(r.pop("collapsed_categories"))
        r.pop("criterion")
        by_scale[scale] = r
        summary.append({
            "scale": scale, "highest_level_supported": r["highest_level_supported"],
            "first_failed_level": r["first_failed_level"],
            "partial_levels": ", ".join(r["partial_levels"]),
            "freed": "; ".join(p for v in r["freed"].values() for p in v)})
    done = [r for r in by_scale.values() if r is not None]
    weakest = (min((r["highest_level_supported"] for r in done), key=_LEVEL_ORDER.index)
               if done else "none")
    partial_scales = [s for s, r in by_scale.items() if r is not None and r["partial_levels"]]
    if partial_scales:
        warnings.append(f"Invariance by {group!r}: only partial invariance for "
                        f"{', '.join(partial_scales)} (freed parameters in the invariance "
                        "summary).")
    return {"groups": groups or {}, "left_out": left_out, "collapsed_categories": merges,
            "scales": list(scales),
            "summary": pd.DataFrame(summary), "by_scale": by_scale,
            "highest_level_supported": weakest, "partial_scales": partial_scales,
            "criterion": INVARIANCE_RULE + PARTIAL_RULE}


#: How partial invariance is established when a level fails.
PARTIAL_RULE = (
    "  Each scale is tested in its own one-factor model. When a level fails, its "
    "cross-group equality constraints are freed one at a time, each time the one whose "
    "release lowers the (scaled) chi-square most among the three with the largest group "
    "difference in the less restricted model (the likelihood-ratio counterpart of "
    "lavaan's lavTestScore), until the rule holds against the last accepted level; at "
    "least two indicators per scale keep all constraints of the level, and freed "
    "parameters stay free at the higher levels (Byrne, Shavelson & Muthen 1989).")


def _method_checks(data: pd.DataFrame, scores: pd.DataFrame, blocks: Mapping[str, list[str]],
                   instrument: Any, warnings: list[str],
                   cluster: str | None = ALLIANCE_ID) -> dict[str, Any]:
    """Common-method checks; nothing is reported from an improper solution.  The robust
    tests are clustered by ``cluster`` (see :func:`fit_measurement_model`)."""
    items = [i for v in blocks.values() for i in v]
    out: dict[str, Any] = {"harman": _harman(data, items, warnings)}
    subst = [s for s in blocks if s != "marker"]
    # a scale asked of some respondents only (a page with show_if) would leave everyone
    # else out of every listwise marker correlation (the demo: 187 of 353 rows)
    asked_of_some = [s for s in subst if s in _conditional_scales(instrument)]
    out["marker"] = _lindell_whitney(scores, [s for s in subst if s not in asked_of_some],
                                     warnings, left_out=asked_of_some)
    core = {s: blocks[s] for s in CORE_SCALES if s in blocks}
    if len(core) < 2:  # an instrument without these scales: its first substantive ones
        core = {s: v for s, v in list(blocks.items()) if s != "marker"}
        core = dict(list(core.items())[:len(CORE_SCALES)])
    # both firms of an alliance answer: the robust tests of the method-factor models are
    # clustered by alliance (or the hypotheses file's cluster: column), as the latent
    # model's (lavaan's cluster=); a respondent without an id is a cluster of its own
    # (the engine refuses a missing id)
    from analysis.study.latent_model import _clusters, cluster_words

    ids = _clusters(data[cluster]) if cluster and cluster in data.columns else None
    by = None
    if ids is not None:
        by = cluster_words(cluster)
        data = data.assign(**{CLUSTER_COLUMN: ids.to_numpy()})
    col = CLUSTER_COLUMN if by else None
    # Method-C holds the marker factor's loadings equal: equal effects on the answers
    # given, so the reverse-keyed items enter in their raw coding (recoded, a response
    # style would load on them with the opposite sign and equal loadings would be
    # misspecified; the trait loadings turn negative, the fit of every other model and
    # the trait correlations stay the same).  Recoding twice restores the raw codes.
    marked = {s: v for s, v in {**core, "marker": blocks.get("marker") or []}.items()
              if s in blocks}
    raw = _recode(data, instrument, marked) if instrument is not None else data
    raw_items = [it.id for s in marked for it in instrument.scales[s].items
                 if it.reverse] if instrument is not None else []
    out["cfa_marker"] = _cfa_marker(raw, core, blocks.get("marker"), warnings, col, by)
    if isinstance(out["cfa_marker"], dict) and out["cfa_marker"].get("estimable"):
        out["cfa_marker"]["coding"] = (
            "reverse-keyed items in their raw coding, so that Method-C's equal method "
            "loadings are equal effects on the answers given"
            + (f" ({', '.join(raw_items)})" if raw_items else " (none in these scales)"))
    out["ulmc"] = _ulmc(data, core, warnings, col, by) if len(core) >= 2 else None
    out["primary"] = "cfa_marker"
    return out


def _conditional_scales(instrument: Any) -> set[str]:
    """The scales asked only when a condition holds (their page or the scale has
    ``show_if``)."""
    if instrument is None:
        return set()
    out = {str(s) for sec in getattr(instrument, "sections", ()) if getattr(sec, "show_if", None)
           for s in (getattr(sec, "scales", None) or ())}
    conds = instrument.conditions() if hasattr(instrument, "conditions") else {}
    return out | {str(s) for s in getattr(instrument, "scales", {}) if s in conds}


#: The filled cluster ids handed to the engine by the method checks.
CLUSTER_COLUMN = "__alliance_cluster__"


def _alliance_cluster_column(data: pd.DataFrame, column: str | None = ALLIANCE_ID,
                             ) -> str | None:
    """``column`` (the hypotheses file's ``cluster:``, by default ``"alliance_id"``) when
    some id has two rows in ``data``, else None (every row its own cluster: the plain
    robust test; ``column=None``, the file's ``cluster: null``, treats the rows as
    independent).  The one rule of the study's clustering: the hypothesis tests
    (``hypotheses._alliance_cluster``), the power replications and the method checks."""
    if column is None or column not in data.columns:
        return None
    ids = data[column].dropna()
    return column if ids.duplicated().any() else None


def _harman(data: pd.DataFrame, items: list[str], warnings: list[str]) -> dict[str, Any] | None:
    from analysis.stats.method_variance import harman_single_factor

    try:
        h = harman_single_factor(data, items, missing="pairwise")
    except AllianceSurveyError as err:
        warnings.append(f"Harman's single-factor screen not computed: {err}")
        return None
    out: dict[str, Any] = {k: float(v) for k, v in h.items()}
    out["missing"] = h.attrs.get("missing", "pairwise")
    out["n_rows"] = int(len(data))
    # a correlation matrix that is not positive definite has no meaningful eigenvalue share
    out["flag"] = bool(h["prop_var"] >= 0.5) if h["min_eigenvalue"] > 0 else None
    if h["min_eigenvalue"] <= 0:
        warnings.append("Harman's screen: the pairwise correlation matrix is not positive "
                        "definite; no flag is given.")
    return out


def _lindell_whitney(scores: pd.DataFrame, subst: list[str], warnings: list[str],
                     left_out: Sequence[str] = ()) -> dict[str, Any] | None:
    from analysis.stats.method_variance import marker_adjusted_correlations

    subst = [s for s in subst if s in scores.columns]
    if "marker" not in scores.columns or len(subst) < 2:
        warnings.append("Marker-variable adjustment skipped: the 'marker' scale is not among "
                        "the scales (or fewer than 2 substantive scales).")
        return None
    frame = scores[[*subst, "marker"]]
    r = frame.apply(pd.to_numeric, errors="coerce").dropna().corr()["marker"].drop("marker")
    try:
        m = marker_adjusted_correlations(frame, "marker", subst)
    except AllianceSurveyError as err:
        warnings.append(f"Lindell-Whitney marker adjustment not applied: {err}")
        return {"applied": False, "reason": str(err),
                "marker_correlations": {str(k): float(v) for k, v in r.items()},
                "left_out": list(left_out)}
    return {
        "applied": True,
        "left_out": list(left_out),
        "n_used": int(m.attrs.get("n_used", len(frame))),
        "r_m": float(m["r_m"].iloc[0]),
        "marker_correlations": {str(k): float(v) for k, v in r.items()},
        "mean_abs_adjustment": float((m["r"] - m["r_adj"]).abs().mean()),
        "n_pairs": int(len(m)),
        "n_nonsignificant_after_adjustment": int((m["pvalue"] >= 0.05).sum()),
        # of them, those significant before the adjustment (the count above includes the
        # correlations that were not significant in the first place: 39 of which 37 lost
        # significance in a reviewer's study)
        "n_lost_after_adjustment": _lost_significance(m),
        "pairs": m[["var1", "var2", "n", "r", "r_adj", "t", "pvalue"]],
    }


def _lost_significance(m: pd.DataFrame, alpha: float = 0.05) -> int:
    """Scale correlations significant before the Lindell-Whitney adjustment (the usual t
    test of a correlation on n - 2 df) and not after it (``m["pvalue"]``)."""
    from scipy import stats

    r = m["r"].to_numpy(dtype=float)
    n = m["n"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt((n - 2.0) / (1.0 - r**2))
        before = 2.0 * stats.t.sf(np.abs(t), n - 2.0)
    return int(((before < alpha) & (m["pvalue"].to_numpy(dtype=float) >= alpha)).sum())


def _cfa_marker(data: pd.DataFrame, core: Mapping[str, list[str]],
                marker_items: list[str] | None, warnings: list[str],
                cluster: str | None = None, by: str | None = "alliance",
                ) -> dict[str, Any] | None:
    """The CFA marker technique on the core scales (MLR, FIML when answers are missing;
    the robust tests clustered by ``cluster`` when given, ``by`` naming the clusters)."""
    from analysis.stats.method_variance import cfa_marker

    if not marker_items or len(core) < 1:
        warnings.append("CFA marker technique skipped: the instrument's 'marker' scale or the "
                        "core scales are not in the model.")
        return None
    cols = [*(i for v in core.values() for i in v), *marker_items]
    miss = "ml" if data[cols].isna().any().any() else "listwise"
    frame = data[[*cols, cluster]] if cluster else data[cols]
    try:
        res = cfa_marker(dict(core), marker_items, frame, estimator="MLR", missing=miss,
                         cluster=cluster)
    except AllianceSurveyError as err:
        warnings.append(f"CFA marker technique not estimable: {err}")
        return {"estimable": False, "reason": str(err), "scales": list(core)}
    if not res.proper:
        reason = "; ".join(res.problems)
        warnings.append(f"CFA marker technique not estimable (improper solution): {reason}")
        return {"estimable": False, "reason": f"Improper solution: {reason}",
                "scales": list(core), "models": res.models[["model", "converged", "proper",
                                                             "problems"]]}
    return {
        "estimable": True,
        "scales": list(core),
        "scales_rationale": CORE_RATIONALE if set(core) <= set(CORE_SCALES) else None,
        "marker_items": list(marker_items),
        "estimator": f"MLR ({'FIML' if miss == 'ml' else 'complete data'}"
                     + (f", clustered by {by})" if cluster else ")"),
        "n": res.n,
        "models": res.models,
        "comparisons": res.comparisons,
        "chosen": res.chosen,
        "method_present": res.method_present,
        "biased": res.biased,
        "mean_method_share": res.mean_method_share,
        "method_loadings": res.method_loadings,
        "reference": "Williams, Hartman & Cavazotte (2010)",
    }


def _ulmc(data: pd.DataFrame, core: Mapping[str, list[str]],
          warnings: list[str], cluster: str | None = None,
          by: str | None = "alliance") -> dict[str, Any]:
    from analysis.stats.method_variance import ulmc

    cols = [i for v in core.values() for i in v]
    # every respondent, by FIML, as the CFA marker technique (complete cases had left 140
    # of the demo's 346, and the method factor then took the place of a trait)
    miss = "ml" if data[cols].isna().any().any() else "listwise"
    frame = data[[*cols, cluster]] if cluster else data[cols]
    # MLR, as every other model of the study: the method factor is judged by the
    # Satorra-Bentler scaled difference of the robust tests (clustered by alliance when
    # both firms answered), not by a normal-theory likelihood-ratio difference of
    # seven-point answers (the demo: ML p = .008, scaled p = .109)
    est = (f"MLR ({'FIML' if miss == 'ml' else 'complete data'}"
           + (f", clustered by {by})" if cluster else ")"))
    try:
        u = ulmc(dict(core), frame, estimator="MLR", missing=miss, cluster=cluster)
    except AllianceSurveyError as err:
        warnings.append(f"ULMC method-factor check not estimable: {err}")
        return {"estimable": False, "reason": str(err), "scales": list(core)}
    if not u.proper:
        reason = "; ".join(u.problems)
        warnings.append(f"ULMC method-factor check not estimable (improper solution): {reason}")
        return {"estimable": False, "reason": f"Improper solution: {reason}",
                "scales": list(core), "estimator": est}
    if u.absorbed:
        reason = "; ".join(u.absorbed)
        warnings.append(f"ULMC method-factor check not interpretable: {reason}.")
        return {"estimable": False, "reason": f"Not interpretable: {reason}, so the method "
                "factor stands for that trait, not for a method (Richardson, Simmering & "
                "Sturman 2009)", "scales": list(core), "estimator": est, "fit": u.fit,
                "loadings": u.loadings}
    return {
        "estimable": True,
        "scales": list(core),
        "scales_rationale": CORE_RATIONALE if set(core) <= set(CORE_SCALES) else None,
        "estimator": est,
        "fit": u.fit,
        "mean_method_share": u.mean_method_share,
        "loadings": u.loadings,
        "warnings": list(u.warnings),
    }


# ---------------------------------------------------------------------------
# the front door
# ---------------------------------------------------------------------------


def fit_measurement_model(
    df: pd.DataFrame,
    instrument: Any = None,
    *,
    estimator: str = "WLSMV",
    compare_second_order: bool = True,
    invariance_groups: Sequence[str] = ("firm_role", "language"),
    scales: Sequence[str] | None = None,
    invariance_scales: Sequence[str] | None = None,
    partial_invariance: bool = True,
    method_checks: bool = True,
    scored: pd.DataFrame | None = None,
    htmt_boot: int = 1000,
    seed: int = 2026,
    n_jobs: int | None = None,
    cluster: str | None = ALLIANCE_ID,
) -> dict[str, Any]:
    """Fit and evaluate the instrument's measurement model; a JSON-ready dict.

    Parameters
    ----------
    df : DataFrame
        Canonical wide survey data (raw item codes), one row per respondent.
    instrument : Instrument, optional
        Default ``instruments.instrument.loader.load_instrument()``.
    estimator : {"WLSMV", "MLR"}
        ``"WLSMV"``: items as ordered categorical (polychoric correlations,
        ``missing="pairwise"`` when items are missing); ``"MLR"``: items continuous,
        robust ML (``missing="ml"``, i.e. FIML, when items are missing).
    compare_second_order : bool
        Also fit relationship learning as a second-order factor and compare.
    invariance_groups : sequence of str
        Grouping columns for measurement invariance (``()`` to skip).
    scales : sequence of str, optional
        Scales of the CFA (default: all scales of the instrument).
    invariance_scales : sequence of str, optional
        Scales tested for invariance, each in its own one-factor model (default: every
        scale of the model); those not in ``scales`` are ignored.
    partial_invariance : bool
        When a level fails, free its constraints one at a time until the declared rule
        holds (:data:`PARTIAL_RULE`); ``False`` stops at the first failed level.
    method_checks : bool
        Run the common-method checks.
    scored : DataFrame, optional
        ``analysis.study.scoring.score(df, instrument)`` if already computed.
    htmt_boot : int
        Bootstrap resamples of the HTMT intervals (0 skips them).
    seed : int
        Seed of the HTMT bootstrap (the study's default seed unless given).
    n_jobs : int, optional
        Worker processes for the invariance sequences, which then run while this process
        fits the rest (default: one per usable core; 1 runs them here, one after the
        other).  The results are the same for any number.
    cluster : str, optional
        Column of the clusters of the method checks' robust tests (the hypotheses file's
        ``cluster:``; default ``"alliance_id"``, both firms of an alliance): used when some
        id has two rows, a row without an id being a cluster of its own; ``None`` treats
        the rows as independent.

    Returns
    -------
    dict
        ``estimator, missing, n_respondents, n_excluded, n_used, scales, syntax``
        (``first_order``, ``second_order``), ``fit`` (lavaan fit measures per model),
        ``fit_reported`` (per model, :func:`reported_fit`: the measures to lead with),
        ``converged``, ``second_order_comparison``, ``second_order_loadings``,
        ``loadings`` (``{scale: [{"item", "est", "se", "std_all"}]}``),
        ``reliability`` (``{scale: {"alpha", "alpha_ci_lower", "alpha_ci_upper",
        "omega", "cr", "ave", "n_items", "htmt_max", "fornell_larcker_margin",
        "min_std_loading", "n_loadings_below", "fails", "passes"}}``),
        ``reliability_definition``, ``htmt``, ``htmt_inference`` (percentile bootstrap
        intervals of every pair and whether the upper bound is below .85 / .90),
        ``fornell_larcker``, ``thresholds``,
        ``invariance`` (``{group: {"groups", "left_out", "scales", "summary", "by_scale",
        "highest_level_supported", "partial_scales", "criterion"} | None}``; ``left_out``
        counts the respondents of the model in no group: ``no_value`` without a value of
        the grouping column, ``no_answer`` with none of the scale's items answered and,
        for ``firm_role``, ``dyad_member`` (firm A's respondent of each alliance both firms
        answered the scale for, :func:`one_member_per_dyad`); ``groups`` and ``left_out``
        are those of the scale whose fits used the most respondents; ``by_scale``
        gives per scale its own ``groups`` and ``left_out``, the ``levels`` table, the
        parameters ``freed`` for partial
        invariance and the search's ``partial_steps``), ``method_variance`` and
        ``warnings``.  Undefined
        numbers are ``None`` (with a warning or a stated definition).

    Raises
    ------
    DataError
        A scale's items are missing from the data, or too few respondents remain.
    ModelSpecificationError
        Unknown scale ids or estimator.

    Examples
    --------
    >>> out = fit_measurement_model(df)  # doctest: +SKIP
    # In R: lavaan::cfa(model, df, ordered = TRUE, estimator = "WLSMV");
    #       lavaan::lavTestLRT(fit1, fit2); semTools::compRelSEM(); semTools::htmt()
    """
    from analysis.stats.validity import thresholds

    if estimator not in ("WLSMV", "MLR", "ML"):
        raise ModelSpecificationError(
            f"estimator= must be 'WLSMV' or 'MLR' (or 'ML'); got {estimator!r}.")
    if not isinstance(df, pd.DataFrame):
        raise DataError("df= must be a pandas DataFrame.")
    inst = _instrument(instrument)
    blocks = _select_scales(inst, scales)
    warnings: list[str] = []
    if cluster is not None and not isinstance(cluster, str):
        raise ModelSpecificationError(f"cluster= must be a column name or None; got "
                                      f"{type(cluster).__name__}.")
    if cluster is not None and cluster not in df.columns:
        # as the path model: a declared column the data lack leaves the rows independent
        # (the default alliance_id of data without ids: no word needed)
        if cluster != ALLIANCE_ID:
            warnings.append(f"Method checks: the declared cluster column {cluster!r} is not "
                            "in the data; the robust tests treat the rows as independent.")
        cluster = None
    data, scores, exclude, missing = _prepare_items(df, inst, blocks, scored,
                                                    (*invariance_groups,
                                                     *((cluster,) if cluster else ())),
                                                    estimator, warnings)
    items = [i for v in blocks.values() for i in v]
    cache = None
    if estimator == "WLSMV":
        # the polychoric statistics and Gamma depend on the data only, not on the model;
        # computed once per data set (and group) and shared by all fits below
        from analysis.blas import usable_cores
        from analysis.sem.ordinal import OrdinalStatsCache

        cache = OrdinalStatsCache(gamma_threads=usable_cores())  # Gamma: all cores
    from analysis.blas import usable_cores

    # the invariance sequences (one small multigroup model per scale and grouping, the
    # bulk of the work) start first, on worker processes, and are collected in order
    from analysis.forked import Forked

    # the parts that do not need the CFA start first, on forked children: the invariance
    # sequences (one small multigroup model per scale and grouping, the bulk of the work)
    # on a pool, the HTMT bootstrap and the method checks on one child each; each is
    # collected where it stood in the serial order, with its warnings there too
    n_jobs = usable_cores() if n_jobs is None else int(n_jobs)
    runner = _InvarianceRunner(inst, data, blocks, invariance_groups, invariance_scales,
                               estimator, missing, partial_invariance, n_jobs=n_jobs)
    fork = n_jobs > 1
    htmt_job = (Forked(_htmt_table, data, blocks, htmt_boot, seed, fork=fork)
                if htmt_boot and len(blocks) >= 2 else None)
    method_job = (Forked(_method_checks_apart, data, scores, blocks, inst, cluster, fork=fork)
                  if method_checks else None)
    try:
        orders = _fit_orders(inst, data, blocks, items, estimator, missing, cache,
                             compare_second_order, warnings)
        res1 = orders.pop("_first")
        params = res1.params
        loadings = params[params["op"] == "=~"]
        rel, fl, definition, ht = _validity(res1, data, blocks, estimator, loadings, warnings,
                                            cache)
        htmt_inference = _htmt_inference(htmt_job, htmt_boot, seed, rel, warnings)
        invariance = _invariance_step(inst, data, blocks, invariance_groups,
                                      invariance_scales, estimator, missing, cache, warnings,
                                      partial_invariance, runner=runner)
        method = None
        if method_job is not None:
            method, method_warnings = method_job.result()
            warnings.extend(method_warnings)
    finally:
        runner.close()

    out = {
        "estimator": estimator,
        "ordered": estimator == "WLSMV",
        "missing": missing,
        "n_respondents": int(len(df)),
        "n_excluded": int(exclude.sum()),
        "n_used": int(len(data)),
        "scales": list(blocks),
        **orders,
        "loadings": {s: loadings[loadings["lhs"] == s][["rhs", "est", "se", "std_all"]]
                     .rename(columns={"rhs": "item"}) for s in blocks},
        "reliability": rel,
        "reliability_definition": definition + (
            "  alpha as psych::alpha() (pairwise, Feldt CI) on the reverse-keyed items; HTMT as "
            "semTools::htmt() (HTMT2) with pairwise correlations; Fornell-Larcker: sqrt(AVE) "
            "on the diagonal, model-implied factor correlations off it."),
        "htmt": {f: ht.loc[f].to_dict() for f in ht.index},
        "htmt_inference": htmt_inference,
        "fornell_larcker": {f: fl.loc[f].to_dict() for f in fl.index},
        "thresholds": thresholds(),
        "invariance": invariance,
        "method_variance": method,
        "warnings": warnings,
    }
    return _clean(out)


def _prepare_items(df, inst, blocks, scored, invariance_groups, estimator, warnings):
    """Step 1: exclusions, reverse keys, the item frame; the missing-data method."""
    from analysis.study.scoring import score

    absent_scales = {s: [i for i in its if i not in df.columns] for s, its in blocks.items()}
    absent_scales = {s: v for s, v in absent_scales.items() if v}
    if absent_scales:
        desc = "; ".join(f"{s} ({', '.join(v)})" for s, v in absent_scales.items())
        raise DataError(f"The data lack item(s) of the scale(s) in the measurement model: "
                        f"{desc}. Pass scales= to fit a subset.")
    if scored is None:
        scored = score(df, inst)
    if len(scored) != len(df):
        raise DataError("scored= must have the rows of df= (analysis.study.scoring.score(df)).")
    exclude = (scored["exclude"].fillna(False).astype(bool).to_numpy()
               if "exclude" in scored.columns else np.zeros(len(df), dtype=bool))
    recoded = _recode(df.reset_index(drop=True), inst, blocks)[~exclude].reset_index(drop=True)
    scores = scored.reset_index(drop=True)[~exclude].reset_index(drop=True)
    items = [i for v in blocks.values() for i in v]
    data = recoded[[c for c in ("firm_role", "language", "alliance_id", *invariance_groups)
                    if c in recoded.columns and c not in items]].copy()
    data = data.loc[:, ~data.columns.duplicated()]
    data[items] = recoded[items].astype(float)
    answered = data[items].notna().any(axis=1).to_numpy()
    if (~answered).any():
        warnings.append(f"{int((~answered).sum())} respondent(s) answered none of the items "
                        "and were dropped.")
        data = data[answered].reset_index(drop=True)
        scores = scores[answered].reset_index(drop=True)
    need = max(50, len(blocks) * 3)
    if len(data) < need:
        # the threshold printed is the one applied (N = 53 with 18 scales had been told
        # "at least 50")
        raise DataError(f"Only {len(data)} respondents remain after exclusions; the "
                        f"measurement model needs at least {need} (50, and three per scale: "
                        f"{len(blocks)} scales).")
    has_missing = bool(data[items].isna().any().any())
    missing = ("pairwise" if estimator == "WLSMV" else "ml") if has_missing else "listwise"
    if has_missing:
        warnings.append(f"Items have missing values: missing='{missing}' "
                        f"({'pairwise polychoric statistics' if missing == 'pairwise' else 'FIML'}).")
    return data, scores, exclude, missing


def _fit_orders(inst, data, blocks, items, estimator, missing, cache, compare_second_order,
                warnings) -> dict[str, Any]:
    """Step 2-3: the first-order CFA and the second-order alternative, compared."""
    syntax1 = measurement_syntax(inst, scales=list(blocks))
    res1 = _fit(syntax1, data, estimator, items, missing, cache)
    fit = {"first_order": _fit_summary(res1)}
    converged = {"first_order": bool(res1.converged)}
    warnings.extend(f"First-order CFA: {w}" for w in res1.warnings)
    warnings.extend(_fit_warnings("First-order CFA", fit["first_order"]))
    if res1.converged:
        from analysis.stats.reliability import keying_conflicts, keying_message

        # the instrument's reverse keys are applied: an item still loading against its
        # scale is mis-keyed (or misread, e.g. in a translation)
        warnings.extend(f"First-order CFA: {keying_message(f, items)} Check the item's "
                        "wording and its reverse key in the instrument."
                        for f, items in keying_conflicts(res1.params).items())
    if estimator == "WLSMV":
        warnings.append("AIC and BIC are not reported for WLSMV: a least-squares estimator "
                        "has no likelihood to compute them from.")
    syntaxes = {"first_order": syntax1, "second_order": None}
    comparison = None
    second_loadings = None
    can_second = all(s in blocks for s in LEARNING_SCALES)
    if compare_second_order and not can_second:
        warnings.append("Second-order comparison skipped: the three learning scales are not "
                        "all in the model.")
    from analysis.stats.method_variance import improper_solution

    improper = improper_solution(res1)
    if compare_second_order and can_second and improper:
        # a difference test against an improper or unconverged model tests nothing (and a
        # second-order model on the same data mostly fails the same way, after minutes of
        # refits from other starts)
        warnings.append("Second-order comparison skipped: the first-order CFA is not a "
                        f"proper solution ({'; '.join(improper)}), so no comparison with it "
                        "would be valid.")
    elif compare_second_order and can_second:
        syntax2 = measurement_syntax(inst, scales=list(blocks), second_order=True)
        syntaxes["second_order"] = syntax2
        try:
            res2 = _fit(syntax2, data, estimator, items, missing, cache)
        except AllianceSurveyError as err:
            warnings.append(f"Second-order model not estimated: {err}")
        else:
            fit["second_order"] = _fit_summary(res2)
            converged["second_order"] = bool(res2.converged)
            warnings.extend(f"Second-order CFA: {w}" for w in res2.warnings)
            comparison = compare_orders(res1, res2, estimator)
            p2 = res2.params
            so = p2[(p2["op"] == "=~") & (p2["lhs"] == HIGHER_ORDER)]
            second_loadings = so[["rhs", "est", "se", "std_all"]].rename(
                columns={"rhs": "factor"})
            comparison["omega_higher_order"] = _omega_higher(res2, data, blocks, estimator)
    return {"_first": res1, "syntax": syntaxes, "fit": fit,
            "fit_reported": {k: reported_fit(v) for k, v in fit.items()},
            "converged": converged,
            # why the first-order solution is improper (empty: proper): its loadings,
            # reliabilities and validity figures are then not interpreted
            "improper": list(improper),
            "second_order_comparison": comparison,
            "second_order_loadings": second_loadings}


def _validity(res1, data, blocks, estimator, loadings, warnings, cache=None):
    """Step 4: reliability, HTMT, Fornell-Larcker, each against its threshold."""
    from analysis.stats.validity import htmt as htmt_fn

    rel, fl, definition = _reliability(res1, data, blocks, estimator, cache)
    ht = htmt_fn(data, blocks, missing="pairwise")
    _flags(rel, ht, fl, loadings)
    failing = [s for s, r in rel.items() if not r["passes"]]
    if failing:
        warnings.append(f"Scale(s) failing a reliability/validity threshold: "
                        f"{', '.join(failing)} (see reliability[scale]['fails']).")
    return rel, fl, definition, ht


def _htmt_table(data: pd.DataFrame, blocks: Mapping[str, list[str]], n_boot: int,
                seed: int) -> pd.DataFrame:
    """HTMT2 with percentile bootstrap intervals of every pair (``htmt_ci``)."""
    from analysis.stats.validity import htmt_ci

    return htmt_ci(data, blocks, n_boot=n_boot, seed=seed, missing="pairwise")


def _method_checks_apart(data: pd.DataFrame, scores: pd.DataFrame,
                         blocks: Mapping[str, list[str]], instrument: Any,
                         cluster: str | None = ALLIANCE_ID,
                         ) -> tuple[dict[str, Any], list[str]]:
    """:func:`_method_checks` with the warnings it gave (a list of its own)."""
    from analysis.blas import blas_threads

    warns: list[str] = []
    with blas_threads(1):  # small matrices: BLAS threads cost more than they gain
        return _method_checks(data, scores, blocks, instrument, warns, cluster), warns


def _htmt_inference(job: Any, n_boot: int, seed: int, rel: dict[str, dict[str, Any]],
                    warnings: list[str]) -> dict[str, Any] | None:
    """Step 4b: HTMT2 with percentile bootstrap intervals, judged by the upper bound.

    ``job`` computes :func:`_htmt_table` (None: intervals not asked for).
    """
    if job is None:
        return None
    try:
        tab = job.result()
    except AllianceSurveyError as err:
        warnings.append(f"HTMT bootstrap intervals not computed: {err}")
        return None
    for scale, row in rel.items():
        mine = tab[(tab["factor1"] == scale) | (tab["factor2"] == scale)]
        row["htmt_ci_upper_max"] = float(mine["ci_upper"].max()) if len(mine) else np.nan
    doubtful = tab[~tab["below_085"]]
    if len(doubtful):
        listed = ", ".join(f"{a}-{b} (upper {u:.3f})" for a, b, u in
                           doubtful[["factor1", "factor2", "ci_upper"]].itertuples(index=False))
        warnings.append("HTMT: the upper bound of the 95% bootstrap interval is not below .85 "
                        f"for {listed}; discriminant validity of these pairs is not established "
                        "(Henseler et al. 2015).")
    return {"pairs": tab, "n_boot": int(n_boot), "seed": int(seed), "level": 0.95,
            "method": ("HTMT2 (geometric means, semTools::htmt() default) on pairwise "
                       "correlations; percentile interval of bootstrap resamples of the "
                       "respondents; discriminant validity holds against a cut-off when the "
                       "upper bound is below it (Henseler, Ringle & Sarstedt 2015)."),
            "n_not_below_085": int((~tab["below_085"]).sum()),
            "n_not_below_090": int((~tab["below_090"]).sum())}


def _invariance_step(inst, data, blocks, invariance_groups, invariance_scales, estimator,
                     missing, cache, warnings, partial=True, runner=None) -> dict[str, Any]:
    """Step 5: measurement invariance by each grouping column.

    ``runner`` (an :class:`_InvarianceRunner`) holds the sequences already started on
    worker processes; without it they run here, one after the other.
    """
    invariance: dict[str, Any] = {}
    if runner is None:
        runner = _InvarianceRunner(inst, data, blocks, invariance_groups, invariance_scales,
                                   estimator, missing, partial, n_jobs=1)
    for g in runner.groups:
        invariance[g] = _invariance_by_scale(runner, g, warnings)
    return invariance


def _invariance_task(task: tuple) -> tuple[dict[str, Any] | None, list[str]]:
    """One invariance sequence (one scale, one grouping), with the warnings it gave.

    A top-level function, so that worker processes can run it.  Each sequence keeps its
    own polychoric statistics (its levels share them); no two sequences use the same
    data, so nothing is lost by not sharing them across sequences.
    """
    syntax, sub, group, items, estimator, missing, partial, note_dropped, threads = task
    warns: list[str] = []
    cache = None
    if estimator == "WLSMV":
        from analysis.sem.ordinal import OrdinalStatsCache

        cache = OrdinalStatsCache(gamma_threads=threads)
    r = _invariance(syntax, sub, group, items, estimator, missing, warns, cache,
                    partial=partial, note_dropped=note_dropped)
    return r, warns


class _InvarianceRunner:
    """The invariance sequences of a measurement model, in the order they are reported.

    With ``n_jobs`` > 1 every sequence is submitted to a pool of worker processes at
    once, so that they run while this process fits the rest of the measurement model;
    :meth:`result` hands them back in the serial order, with their warnings, so the
    output does not depend on the number of workers.
    """

    def __init__(self, inst, data, blocks, invariance_groups, invariance_scales, estimator,
                 missing, partial, n_jobs: int) -> None:
        from analysis.blas import usable_cores

        if invariance_scales is None:
            invariance_scales = list(blocks)
        self.scales = [s for s in invariance_scales if s in blocks]
        self.groups = list(invariance_groups) if self.scales else []
        threads = usable_cores() if estimator == "WLSMV" else None
        self.tasks: dict[tuple[str, str], tuple] = {}
        for g in self.groups:
            for i, scale in enumerate(self.scales):
                self.tasks[(g, scale)] = (
                    measurement_syntax(inst, scales=[scale]), data, g, blocks[scale],
                    estimator, missing, partial, i == 0, threads)
        self._futures: dict[tuple[str, str], Any] = {}
        self._pool = None
        # sequences worth sending away: a grouping column with two groups or more (the
        # others end at once with a warning, here)
        usable = [g for g in self.groups if g in data.columns
                  and data[g].astype("string").nunique() >= 2]
        work = [k for k in self.tasks if k[0] in usable]
        if len(work) > 1:
            from analysis.forked import fork_pool

            self._pool = fork_pool(min(n_jobs, len(work)))
        if self._pool is not None:
            for k in work:
                self._futures[k] = self._pool.submit(_invariance_task, self.tasks[k])

    def result(self, group: str, scale: str) -> tuple[dict[str, Any] | None, list[str]]:
        fut = self._futures.pop((group, scale), None)
        if fut is not None:
            return fut.result()
        return _invariance_task(self.tasks[(group, scale)])

    def close(self) -> None:
        for fut in self._futures.values():
            fut.cancel()
        self._futures.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


#: Fewer observations per free parameter than this makes the estimates and the fit
#: statistics unstable (Bentler & Chou 1987 recommend at least 5).
MIN_N_PER_PARAMETER = 5.0


def reported_fit(fit: Mapping[str, float]) -> dict[str, Any]:
    """The fit measures to lead with: scaled/robust ones for robust estimators.

    Returns ``kind`` ("scaled/robust" or "unscaled"), ``chisq, df, pvalue, cfi, tli,
    rmsea, rmsea_ci_lower, rmsea_ci_upper, srmr`` of that kind, ``n_per_parameter``
    (``ntotal / npar``) and ``small_n`` (fewer than :data:`MIN_N_PER_PARAMETER`).  The
    unscaled values stay in the full fit dict as the secondary, labelled ones.
    """
    robust = "chisq_scaled" in fit and np.isfinite(fit.get("chisq_scaled", np.nan))

    def get(*keys: str) -> float:
        for k in keys:
            v = fit.get(k)
            if v is not None and np.isfinite(v):
                return float(v)
        return float("nan")

    if robust:
        # the interval printed is the one of the RMSEA printed (robust, else scaled)
        kind = "robust" if np.isfinite(get("rmsea_robust")) else "scaled"
        out = {"kind": "scaled/robust",
               "chisq": get("chisq_scaled"), "df": get("df_scaled", "df"),
               "pvalue": get("pvalue_scaled"), "cfi": get("cfi_robust", "cfi_scaled"),
               "tli": get("tli_robust", "tli_scaled"),
               "rmsea": get(f"rmsea_{kind}"),
               "rmsea_ci_lower": get(f"rmsea_ci_lower_{kind}"),
               "rmsea_ci_upper": get(f"rmsea_ci_upper_{kind}"), "srmr": get("srmr")}
    else:
        out = {"kind": "unscaled", "chisq": get("chisq"), "df": get("df"),
               "pvalue": get("pvalue"), "cfi": get("cfi"), "tli": get("tli"),
               "rmsea": get("rmsea"), "rmsea_ci_lower": get("rmsea_ci_lower"),
               "rmsea_ci_upper": get("rmsea_ci_upper"), "srmr": get("srmr")}
    npar, n = get("npar"), get("ntotal")
    ratio = n / npar if np.isfinite(npar) and npar > 0 else float("nan")
    out["n_per_parameter"] = ratio
    out["small_n"] = bool(np.isfinite(ratio) and ratio < MIN_N_PER_PARAMETER)
    return out


def _fit_warnings(what: str, fit: Mapping[str, float]) -> list[str]:
    rep = reported_fit(fit)
    if rep["small_n"]:
        return [f"{what}: {fit.get('ntotal', float('nan')):.0f} respondents for "
                f"{fit.get('npar', float('nan')):.0f} free parameters "
                f"({rep['n_per_parameter']:.2f} per parameter, fewer than "
                f"{MIN_N_PER_PARAMETER:g}): estimates and fit statistics are unstable."]
    return []
