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
5. measurement invariance (configural, metric, scalar; strict for MLR) by
   ``firm_role`` and ``language`` on the core constructs;
6. common-method checks: Harman's screen, Lindell-Whitney marker adjustment with the
   ``marker`` scale, an unmeasured latent method factor (ULMC) on the learning scales.
"""

from __future__ import annotations

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
#: Scales used for the invariance tests and the ULMC (kept small for speed).
CORE_SCALES: tuple[str, ...] = LEARNING_SCALES
#: Fit measures reported (lavaan names with ``_``), when the estimator defines them.
FIT_KEYS: tuple[str, ...] = (
    "npar", "ntotal", "chisq", "df", "pvalue", "chisq_scaled", "df_scaled", "pvalue_scaled",
    "chisq_scaling_factor", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr",
    "cfi_scaled", "tli_scaled", "rmsea_scaled", "cfi_robust", "tli_robust", "rmsea_robust",
    "rmsea_ci_lower_robust", "rmsea_ci_upper_robust", "aic", "bic", "bic2",
)
_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


# JSON-ready values (NaN/inf -> None, numpy/pandas -> Python): the package's one helper.
_clean = jsonable


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
    return {k: float(f[k]) for k in FIT_KEYS if k in f}


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
                 estimator: str) -> tuple[dict[str, dict[str, float]], pd.DataFrame, str]:
    """alpha, omega, CR, AVE per scale; Fornell-Larcker matrix; the definition used."""
    from analysis.stats.reliability import ave, composite_reliability, cronbach_alpha, omega
    from analysis.stats.validity import latent_correlations

    params = res.params
    lo = params[params["op"] == "=~"]
    cr = composite_reliability(params).set_index("factor")["cr"]
    if estimator == "WLSMV":
        av = lo.groupby("lhs")["std_all"].apply(lambda s: float((s**2).mean()))
        om = pd.Series(np.nan, index=list(blocks))
        definition = (
            "WLSMV (ordered items): CR and AVE from the completely standardized loadings on "
            "the latent-response (polychoric) scale, CR = (sum l)^2 / ((sum l)^2 + "
            "sum(1 - l^2)), AVE = mean(l^2); omega is NaN (semTools::compRelSEM uses "
            "Green & Yang's categorical omega for ordered items, not implemented); "
            "fit with estimator='MLR' for omega on the observed scale.")
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
    groups = out[group].astype("string")
    for item in items:
        if item not in out.columns:
            continue
        col = pd.to_numeric(out[item], errors="coerce")
        while True:
            cats = sorted(col.dropna().unique())
            if len(cats) <= 2:
                break
            table = pd.crosstab(groups, col)
            empty = [c for c in cats if (table[c] == 0).any()]
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


def _invariance(syntax: str, data: pd.DataFrame, group: str, items: list[str],
                estimator: str, missing: str, warnings: list[str],
                cache: Any = None) -> dict[str, Any] | None:
    from analysis.sem import measurement_invariance

    if group not in data.columns:
        warnings.append(f"Invariance by {group!r} skipped: no such column in the data.")
        return None
    col = data[group].astype("string")
    counts = col.value_counts(dropna=True)
    if len(counts) < 2:
        warnings.append(f"Invariance by {group!r} skipped: only {len(counts)} group(s).")
        return None
    sub = data[col.notna().to_numpy()]
    levels = ("configural", "metric", "scalar")
    if estimator != "WLSMV":
        levels = (*levels, "strict")
    kwargs: dict[str, Any] = {"missing": missing}
    merges: dict[str, list[list[float]]] = {}
    if estimator == "WLSMV":
        kwargs["ordered"] = items
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
    try:
        table = measurement_invariance(syntax, sub, group, estimator=estimator, levels=levels,
                                       **kwargs)
    except AllianceSurveyError as err:
        warnings.append(f"Invariance by {group!r} not estimated: {err}")
        return None
    holds = "configural"
    for _, row in table.iloc[1:].iterrows():
        ok_p = not (np.isfinite(row["delta_pvalue"]) and row["delta_pvalue"] < 0.05)
        ok_cfi = not (np.isfinite(row["delta_cfi"]) and row["delta_cfi"] < -0.01)
        if ok_p or ok_cfi:
            holds = row["level"]
        else:
            break
    return {
        "groups": {str(k): int(v) for k, v in counts.items()},
        "collapsed_categories": merges,
        "levels": table,
        "highest_level_supported": holds,
        "criterion": ("A level holds if the (scaled) chi-square difference to the previous "
                      "level is not significant (p >= .05) or CFI drops by at most .01 "
                      "(Cheung & Rensvold 2002)."),
    }


def _method_checks(data: pd.DataFrame, scores: pd.DataFrame, blocks: Mapping[str, list[str]],
                   instrument: Any, warnings: list[str]) -> dict[str, Any]:
    from analysis.stats.method_variance import (
        harman_single_factor,
        marker_adjusted_correlations,
        ulmc,
    )

    out: dict[str, Any] = {}
    items = [i for v in blocks.values() for i in v]
    try:
        h = harman_single_factor(data, items)
        out["harman"] = {k: float(v) for k, v in h.items()}
        out["harman"]["flag"] = bool(h["prop_var"] >= 0.5)
        if h["n_obs"] <= h["n_items"]:
            warnings.append(f"Harman's screen used {int(h['n_obs'])} complete rows for "
                            f"{int(h['n_items'])} items (listwise); treat it with care.")
    except AllianceSurveyError as err:
        warnings.append(f"Harman's single-factor screen not computed: {err}")
        out["harman"] = None
    subst = [s for s in blocks if s != "marker"]
    if "marker" in scores.columns and len(subst) >= 2:
        try:
            m = marker_adjusted_correlations(scores[[*subst, "marker"]], "marker", subst)
            changed = (m["pvalue"] >= 0.05).sum()
            if m["r_m"].iloc[0] < 0:
                warnings.append("The marker's smallest correlation with the scales is negative: "
                                "no method variance shows; the adjustment raises correlations.")
            out["marker"] = {
                "r_m": float(m["r_m"].iloc[0]),
                "marker_correlations": {str(k): float(v) for k, v in
                                        m.attrs.get("marker_correlations", {}).items()},
                "mean_abs_adjustment": float((m["r"] - m["r_adj"]).abs().mean()),
                "n_pairs": int(len(m)),
                "n_nonsignificant_after_adjustment": int(changed),
                "pairs": m[["var1", "var2", "n", "r", "r_adj", "t", "pvalue"]],
            }
        except AllianceSurveyError as err:
            warnings.append(f"Marker-variable adjustment not computed: {err}")
            out["marker"] = None
    else:
        warnings.append("Marker-variable adjustment skipped: the 'marker' scale is not among "
                        "the scales (or fewer than 2 substantive scales).")
        out["marker"] = None
    core = {s: blocks[s] for s in CORE_SCALES if s in blocks}
    if len(core) >= 2:
        try:
            u = ulmc(core, data[[i for v in core.values() for i in v]].dropna(), estimator="ML")
            out["ulmc"] = {
                "scales": list(core),
                "estimator": "ML (complete cases)",
                "fit": u.fit,
                "mean_method_share": u.mean_method_share,
                "warnings": list(u.warnings),
            }
        except AllianceSurveyError as err:
            warnings.append(f"ULMC method-factor check not computed: {err}")
            out["ulmc"] = None
    else:
        out["ulmc"] = None
    return out


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
    invariance_scales: Sequence[str] = CORE_SCALES,
    method_checks: bool = True,
    scored: pd.DataFrame | None = None,
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
    invariance_scales : sequence of str
        Scales of the invariance models (default: the three learning dimensions, to
        keep the multigroup fits fast); those not in ``scales`` are ignored.
    method_checks : bool
        Run the common-method checks.
    scored : DataFrame, optional
        ``analysis.study.scoring.score(df, instrument)`` if already computed.

    Returns
    -------
    dict
        ``estimator, missing, n_respondents, n_excluded, n_used, scales, syntax``
        (``first_order``, ``second_order``), ``fit`` (lavaan fit measures per model),
        ``converged``, ``second_order_comparison``, ``second_order_loadings``,
        ``loadings`` (``{scale: [{"item", "est", "se", "std_all"}]}``),
        ``reliability`` (``{scale: {"alpha", "alpha_ci_lower", "alpha_ci_upper",
        "omega", "cr", "ave", "n_items", "htmt_max", "fornell_larcker_margin",
        "min_std_loading", "n_loadings_below", "fails", "passes"}}``),
        ``reliability_definition``, ``htmt``, ``fornell_larcker``, ``thresholds``,
        ``invariance`` (``{group: {"groups", "levels", "highest_level_supported",
        "criterion"} | None}``), ``method_variance`` and ``warnings``.  Undefined
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
    from analysis.stats.validity import htmt as htmt_fn
    from analysis.stats.validity import thresholds
    from analysis.study.scoring import score

    if estimator not in ("WLSMV", "MLR", "ML"):
        raise ModelSpecificationError(
            f"estimator= must be 'WLSMV' or 'MLR' (or 'ML'); got {estimator!r}.")
    if not isinstance(df, pd.DataFrame):
        raise DataError("df= must be a pandas DataFrame.")
    inst = _instrument(instrument)
    blocks = _select_scales(inst, scales)
    absent_scales = {s: [i for i in its if i not in df.columns] for s, its in blocks.items()}
    absent_scales = {s: v for s, v in absent_scales.items() if v}
    if absent_scales:
        desc = "; ".join(f"{s} ({', '.join(v)})" for s, v in absent_scales.items())
        raise DataError(f"The data lack item(s) of the scale(s) in the measurement model: "
                        f"{desc}. Pass scales= to fit a subset.")
    warnings: list[str] = []
    if scored is None:
        scored = score(df, inst)
    if len(scored) != len(df):
        raise DataError("scored= must have the rows of df= (analysis.study.scoring.score(df)).")
    exclude = (scored["exclude"].fillna(False).astype(bool).to_numpy()
               if "exclude" in scored.columns else np.zeros(len(df), dtype=bool))
    recoded = _recode(df.reset_index(drop=True), inst, blocks)[~exclude].reset_index(drop=True)
    scores = scored.reset_index(drop=True)[~exclude].reset_index(drop=True)
    items = [i for v in blocks.values() for i in v]
    data = recoded[[c for c in ("firm_role", "language", *invariance_groups)
                    if c in recoded.columns and c not in items]].copy()
    data = data.loc[:, ~data.columns.duplicated()]
    data[items] = recoded[items].astype(float)
    answered = data[items].notna().any(axis=1).to_numpy()
    if (~answered).any():
        warnings.append(f"{int((~answered).sum())} respondent(s) answered none of the items "
                        "and were dropped.")
        data = data[answered].reset_index(drop=True)
        scores = scores[answered].reset_index(drop=True)
    if len(data) < max(50, len(blocks) * 3):
        raise DataError(f"Only {len(data)} respondents remain after exclusions; the "
                        "measurement model needs at least 50.")
    has_missing = bool(data[items].isna().any().any())
    missing = ("pairwise" if estimator == "WLSMV" else "ml") if has_missing else "listwise"
    if has_missing:
        warnings.append(f"Items have missing values: missing='{missing}' "
                        f"({'pairwise polychoric statistics' if missing == 'pairwise' else 'FIML'}).")

    # WLSMV: the polychoric statistics and Gamma depend on the data only, not on the
    # model; computed once per data set (and group) and shared by all fits below.
    cache = None
    if estimator == "WLSMV":
        from analysis.blas import usable_cores
        from analysis.sem.ordinal import OrdinalStatsCache

        cache = OrdinalStatsCache(gamma_threads=usable_cores())  # Gamma: all cores
    syntax1 = measurement_syntax(inst, scales=list(blocks))
    res1 = _fit(syntax1, data, estimator, items, missing, cache)
    fit = {"first_order": _fit_summary(res1)}
    converged = {"first_order": bool(res1.converged)}
    warnings.extend(f"First-order CFA: {w}" for w in res1.warnings)
    if estimator == "WLSMV":
        warnings.append("AIC/BIC are undefined for WLSMV and reported as null.")

    syntaxes = {"first_order": syntax1, "second_order": None}
    comparison = None
    second_loadings = None
    can_second = all(s in blocks for s in LEARNING_SCALES)
    if compare_second_order and not can_second:
        warnings.append("Second-order comparison skipped: the three learning scales are not "
                        "all in the model.")
    if compare_second_order and can_second:
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
            if comparison is not None:
                comparison["omega_higher_order"] = _omega_higher(res2, data, blocks, estimator)

    params = res1.params
    loadings = params[params["op"] == "=~"]
    rel, fl, definition = _reliability(res1, data, blocks, estimator)
    ht = htmt_fn(data, blocks, missing="pairwise")
    _flags(rel, ht, fl, loadings)
    failing = [s for s, r in rel.items() if not r["passes"]]
    if failing:
        warnings.append(f"Scale(s) failing a reliability/validity threshold: "
                        f"{', '.join(failing)} (see reliability[scale]['fails']).")

    invariance: dict[str, Any] = {}
    inv_blocks = [s for s in invariance_scales if s in blocks]
    if invariance_groups and len(inv_blocks) >= 1:
        inv_syntax = measurement_syntax(inst, scales=inv_blocks)
        inv_items = [i for s in inv_blocks for i in blocks[s]]
        for g in invariance_groups:
            r = _invariance(inv_syntax, data, g, inv_items, estimator, missing, warnings,
                            cache)
            if r is not None:
                r["scales"] = inv_blocks
            invariance[g] = r

    method = None
    if method_checks:
        from analysis.blas import blas_threads

        with blas_threads(1):  # small matrices: BLAS threads cost more than they gain
            method = _method_checks(data, scores, blocks, inst, warnings)

    out = {
        "estimator": estimator,
        "ordered": estimator == "WLSMV",
        "missing": missing,
        "n_respondents": int(len(df)),
        "n_excluded": int(exclude.sum()),
        "n_used": int(len(data)),
        "scales": list(blocks),
        "syntax": syntaxes,
        "fit": fit,
        "converged": converged,
        "second_order_comparison": comparison,
        "second_order_loadings": second_loadings,
        "loadings": {s: loadings[loadings["lhs"] == s][["rhs", "est", "se", "std_all"]]
                     .rename(columns={"rhs": "item"}) for s in blocks},
        "reliability": rel,
        "reliability_definition": definition + (
            "  alpha as psych::alpha() (pairwise, Feldt CI) on the reverse-keyed items; HTMT as "
            "semTools::htmt() (HTMT2) with pairwise correlations; Fornell-Larcker: sqrt(AVE) "
            "on the diagonal, model-implied factor correlations off it."),
        "htmt": {f: ht.loc[f].to_dict() for f in ht.index},
        "fornell_larcker": {f: fl.loc[f].to_dict() for f in fl.index},
        "thresholds": thresholds(),
        "invariance": invariance,
        "method_variance": method,
        "warnings": warnings,
    }
    return _clean(out)
