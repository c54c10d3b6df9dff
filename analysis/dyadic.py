"""Dyadic analysis: both partners of an alliance answered (distinguishable roles A and B).

Pipeline of :func:`dyadic_analysis`:

1. drop respondents flagged for exclusion by :func:`analysis.scoring.score`;
2. pair the two partners' rows by ``alliance_id`` and ``firm_role`` ("A"/"B"), keep
   complete pairs (:func:`pair_dyads`);
3. agreement per scale: :func:`icc` (ICC(1), ICC(2) from a one-way ANOVA, as
   ``multilevel::ICC1/ICC2``) and :func:`rwg_j` (multi-item within-group agreement
   under the uniform null, as ``multilevel::rwg.j``);
4. dyad-level joint dependence and asymmetry from both self-reports
   (:func:`analysis.dependence.dyad_indices`) and the single informant's perception
   against the partner's self-report (perception gap, correlation);
5. actor-partner interdependence models (:func:`apim`, Kenny, Kashy & Cook 2006)
   fitted with :func:`analysis.sem.sem` in the dyad-wide format;
6. BRIEF H10 (exploratory): dyad-level joint dependence from both self-reports vs
   one informant's perception as predictors of the dyad's value creation
   (:func:`compare_informants`).

Nothing here rounds; undefined numbers are ``NaN`` in DataFrames and ``None`` in the
JSON-ready dict of :func:`dyadic_analysis`, always with a warning that says why.

References
----------
Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability.
In K. J. Klein & S. W. J. Kozlowski (Eds.), *Multilevel theory, research, and methods
in organizations* (pp. 349-381). Jossey-Bass.

James, L. R., Demaree, R. G., & Wolf, G. (1984). Estimating within-group interrater
reliability with and without response bias. *Journal of Applied Psychology*, 69, 85-98.

Kenny, D. A., Kashy, D. A., & Cook, W. L. (2006). *Dyadic data analysis*. Guilford.

Williams, E. J. (1959). The comparison of regression variables. *Journal of the Royal
Statistical Society B*, 21, 396-399.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.io import jsonable
from instruments.errors import DataError

__all__ = [
    "APIM_PAIRS",
    "MIN_DYADS",
    "RWG_CUTOFF",
    "apim",
    "apim_syntax",
    "compare_informants",
    "dependent_correlation_test",
    "dyad_wide",
    "dyadic_analysis",
    "icc",
    "pair_dyads",
    "rwg_j",
]

#: Fewest complete dyads for any dyadic statistic.
MIN_DYADS = 10
#: Conventional cut-off of r_wg(j) for "strong" agreement (LeBreton & Senter 2008).
RWG_CUTOFF = 0.70
#: Default APIMs: (predictor, outcome) scale scores.
APIM_PAIRS: tuple[tuple[str, str], ...] = (
    ("relationship_learning", "value_creation"),
    ("dep_own", "value_creation"),
)
ROLES = ("A", "B")


# JSON-ready values (NaN/inf -> None, numpy/pandas -> Python): the package's one helper.
_clean = jsonable


# ---------------------------------------------------------------------------
# Pairing
# ---------------------------------------------------------------------------


def pair_dyads(
    data: pd.DataFrame, *, alliance: str = "alliance_id", role: str = "firm_role"
) -> pd.DataFrame:
    """Rows of complete dyads (one "A" and one "B" per alliance), sorted by alliance and role.

    Parameters
    ----------
    data : DataFrame
        One row per respondent with ``alliance`` and ``role`` columns.
    alliance, role : str
        Column names.

    Returns
    -------
    DataFrame
        The rows of complete dyads, index reset, sorted by alliance then role.

    Raises
    ------
    DataError
        A column is missing, a role other than "A"/"B" occurs, or an alliance has two
        respondents with the same role.
    """
    missing = [c for c in (alliance, role) if c not in data.columns]
    if missing:
        raise DataError(f"Dyadic analysis needs the column(s) {', '.join(missing)}.")
    roles = data[role].astype("string")
    bad = sorted(set(roles.dropna().unique()) - set(ROLES))
    if bad:
        raise DataError(f"Column {role!r} must contain 'A' or 'B'; found {bad}.")
    keyed = data.assign(**{role: roles, alliance: data[alliance].astype("string")})
    keyed = keyed[keyed[alliance].notna() & keyed[role].notna()]
    dup = keyed.duplicated([alliance, role], keep=False)
    if dup.any():
        offenders = sorted(set(keyed.loc[dup, alliance]))
        raise DataError(
            f"{len(offenders)} alliance(s) have more than one respondent with the same "
            f"{role}, e.g. {offenders[0]}. Keep one informant per firm."
        )
    n_roles = keyed.groupby(alliance)[role].transform("nunique")
    out = keyed[n_roles == 2].sort_values([alliance, role])
    return out.reset_index(drop=True)


def dyad_wide(
    pairs: pd.DataFrame,
    variables: Sequence[str],
    *,
    alliance: str = "alliance_id",
    role: str = "firm_role",
) -> pd.DataFrame:
    """Dyad-wide ("one row per dyad") layout: ``{var}_A``, ``{var}_B`` per variable.

    # In R: tidyr::pivot_wider(pairs, names_from = firm_role, values_from = vars)
    """
    absent = [v for v in variables if v not in pairs.columns]
    if absent:
        raise DataError(f"Column(s) missing from the dyad data: {', '.join(absent)}.")
    wide = pairs.pivot(index=alliance, columns=role, values=list(variables))
    wide.columns = [f"{v}_{r}" for v, r in wide.columns]
    cols = [f"{v}_{r}" for v in variables for r in ROLES]
    return wide[cols].astype(float)


# ---------------------------------------------------------------------------
# Agreement
# ---------------------------------------------------------------------------


def icc(values: pd.Series | np.ndarray, groups: pd.Series | np.ndarray) -> dict[str, float]:
    """ICC(1) and ICC(2) from a one-way random-effects ANOVA.

    Parameters
    ----------
    values : array-like
        One value per respondent (e.g. a scale score); NaN rows are dropped.
    groups : array-like
        Group (dyad) id per respondent.

    Returns
    -------
    dict
        ``icc1, icc2, msb, msw, f, df_between, df_within, pvalue, n_groups, n_obs,
        mean_group_size``.

    Notes
    -----
    ``ICC(1) = (MSB - MSW) / (MSB + (k - 1) MSW)`` with ``k = N / J`` (the mean group
    size, as ``multilevel::ICC1``); ``ICC(2) = (MSB - MSW) / MSB`` (the reliability of
    group means; Bliese 2000).  ICC(1) can be negative (more disagreement within dyads
    than between them).

    Examples
    --------
    >>> icc([1, 2, 5, 6, 3, 3], ["a", "a", "b", "b", "c", "c"])["icc2"]  # doctest: +SKIP
    # In R: m <- aov(y ~ as.factor(g)); multilevel::ICC1(m); multilevel::ICC2(m)
    """
    frame = pd.DataFrame({"y": np.asarray(values, dtype=float), "g": np.asarray(groups)})
    frame = frame.dropna()
    n = len(frame)
    grp = frame.groupby("g")["y"]
    j = grp.ngroups
    if j < 2 or n <= j:
        raise DataError(f"ICC needs at least 2 groups with 2+ members; got {j} group(s), {n} rows.")
    means = grp.transform("mean")
    grand = frame["y"].mean()
    sizes = grp.size()
    ssb = float((sizes * (grp.mean() - grand) ** 2).sum())
    ssw = float(((frame["y"] - means) ** 2).sum())
    dfb, dfw = j - 1, n - j
    msb, msw = ssb / dfb, ssw / dfw
    k = n / j
    f = msb / msw if msw > 0 else np.inf
    return {
        "icc1": (msb - msw) / (msb + (k - 1.0) * msw),
        "icc2": (msb - msw) / msb if msb > 0 else np.nan,
        "msb": msb,
        "msw": msw,
        "f": f,
        "df_between": float(dfb),
        "df_within": float(dfw),
        "pvalue": float(stats.f.sf(f, dfb, dfw)) if np.isfinite(f) else 0.0,
        "n_groups": float(j),
        "n_obs": float(n),
        "mean_group_size": k,
    }


def rwg_j(
    items: pd.DataFrame, groups: pd.Series | np.ndarray, *, n_options: int = 7
) -> pd.DataFrame:
    """Multi-item within-group agreement r_wg(j) per group under the uniform null.

    Parameters
    ----------
    items : DataFrame
        The scale's items (one column each, reverse-keyed), one row per respondent.
    groups : array-like
        Group (dyad) id per row.
    n_options : int
        Number of response options A; the uniform null variance is
        ``sigma2_EU = (A^2 - 1) / 12`` (4 for A = 7).

    Returns
    -------
    DataFrame
        ``group, rwg_j, gsize``; ``rwg_j`` NaN for groups with one complete row.

    Notes
    -----
    Rows with any missing item are dropped (as ``multilevel::rwg.j``).  With ``s2``
    the mean of the item variances (n - 1 divisor) within the group, capped at
    ``sigma2_EU``, and ``J`` items:
    ``r_wg(j) = J (1 - s2/sigma2_EU) / (J (1 - s2/sigma2_EU) + s2/sigma2_EU)``
    (James, Demaree & Wolf 1984).

    Examples
    --------
    >>> rwg_j(df[items], df["alliance_id"])  # doctest: +SKIP
    # In R: multilevel::rwg.j(df[items], df$alliance_id, ranvar = (7^2 - 1) / 12)
    """
    if n_options < 2:
        raise DataError("n_options must be at least 2.")
    ranvar = (n_options**2 - 1) / 12.0
    x = items.apply(pd.to_numeric, errors="coerce").astype(float)
    frame = x.assign(_g=np.asarray(groups)).dropna()
    grouped = frame.groupby("_g", sort=True)
    sizes = grouped.size().astype(float)
    s2 = grouped.var(ddof=1).mean(axis=1).clip(upper=ranvar)
    n_items = x.shape[1]
    core = n_items * (1.0 - s2 / ranvar)
    value = (core / (core + s2 / ranvar)).where(sizes >= 2)
    rows = pd.DataFrame({"group": sizes.index, "rwg_j": value.reindex(sizes.index).to_numpy(),
                         "gsize": sizes.to_numpy()})
    return rows.reset_index(drop=True)


# ---------------------------------------------------------------------------
# APIM
# ---------------------------------------------------------------------------


def apim_syntax(x: str, y: str) -> str:
    """lavaan syntax of the distinguishable-dyad APIM in the dyad-wide format.

    Labels: ``a_A``, ``a_B`` (actor effects), ``p_AB`` (A's predictor on B's outcome),
    ``p_BA`` (B's predictor on A's outcome); defined ``k_A = p_BA / a_A`` and
    ``k_B = p_AB / a_B`` (Kenny & Ledermann's k) and the role differences.
    """
    return "\n".join([
        f"{y}_A ~ a_A*{x}_A + p_BA*{x}_B",
        f"{y}_B ~ a_B*{x}_B + p_AB*{x}_A",
        f"{y}_A ~~ {y}_B",
        "actor_diff := a_A - a_B",
        "partner_diff := p_BA - p_AB",
        "k_A := p_BA / a_A",
        "k_B := p_AB / a_B",
    ])


def apim(
    pairs: pd.DataFrame,
    x: str,
    y: str,
    *,
    estimator: str = "ML",
    alliance: str = "alliance_id",
    role: str = "firm_role",
) -> dict[str, Any]:
    """Actor-partner interdependence model for distinguishable dyads (roles A, B).

    Parameters
    ----------
    pairs : DataFrame
        Rows of complete dyads (:func:`pair_dyads`) with the scores ``x`` and ``y``.
    x, y : str
        Predictor and outcome columns.
    estimator : str
        Passed to :func:`analysis.sem.sem` (``"ML"`` or ``"MLR"``).

    Returns
    -------
    dict
        ``syntax, n_dyads, converged, params`` (DataFrame of the regression, residual
        covariance and defined rows: ``lhs, op, rhs, label, est, se, z, pvalue,
        ci_lower, ci_upper, std_all``), ``effects`` (``{label: {...}}``), ``r2``
        (per outcome) and ``warnings``.

    Notes
    -----
    Dyads with a missing score are dropped listwise.  The predictors are exogenous
    (their variances and covariance are fixed at the sample values, lavaan's
    ``fixed.x = TRUE``); the two outcomes' residuals covary.

    Examples
    --------
    >>> apim(pairs, "relationship_learning", "value_creation")  # doctest: +SKIP
    # In R: lavaan::sem(apim_syntax, data = wide)
    """
    from analysis.sem import sem

    wide = dyad_wide(pairs, [x, y], alliance=alliance, role=role).dropna()
    n = len(wide)
    if n < MIN_DYADS:
        raise DataError(f"The APIM of {y} on {x} needs at least {MIN_DYADS} complete dyads; "
                        f"got {n}.")
    syntax = apim_syntax(x, y)
    res = sem(syntax, wide.reset_index(drop=True), estimator=estimator)
    keep = res.params["op"].isin(["~", "~~", ":="])
    cols = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci_lower", "ci_upper",
            "std_all"]
    params = res.params.loc[keep, [c for c in cols if c in res.params.columns]]
    params = params.reset_index(drop=True)
    effects = {}
    for lab in ("a_A", "a_B", "p_AB", "p_BA", "actor_diff", "partner_diff", "k_A", "k_B"):
        row = params[params["label"] == lab]
        if len(row):
            r = row.iloc[0]
            effects[lab] = {k: float(r[k]) for k in cols[4:] if k in r.index}
    return {
        "syntax": syntax,
        "n_dyads": n,
        "converged": bool(res.converged),
        "params": params,
        "effects": effects,
        "r2": {str(k): float(v) for k, v in dict(res.r2).items()},
        "warnings": list(res.warnings),
    }


# ---------------------------------------------------------------------------
# H10: two informants vs one
# ---------------------------------------------------------------------------


def dependent_correlation_test(r_yx1: float, r_yx2: float, r_x1x2: float, n: int) -> dict:
    """Williams' t for two dependent correlations sharing a variable (r_yx1 vs r_yx2).

    Returns
    -------
    dict
        ``t, df, pvalue`` (two-sided); NaN when ``n < 4``.

    Notes
    -----
    ``t = (r12 - r13) sqrt((n - 1)(1 + r23) / (2 (n - 1)/(n - 3) |R| + rbar^2 (1 - r23)^3))``
    with ``|R| = 1 - r12^2 - r13^2 - r23^2 + 2 r12 r13 r23`` and
    ``rbar = (r12 + r13) / 2``, on ``n - 3`` df (Williams 1959; Steiger 1980, eq. 7).

    Examples
    --------
    >>> dependent_correlation_test(0.5, 0.3, 0.4, 100)["t"]  # doctest: +SKIP
    # In R: psych::r.test(n = 100, r12 = 0.5, r13 = 0.3, r23 = 0.4)$t
    """
    if n < 4:
        return {"t": np.nan, "df": np.nan, "pvalue": np.nan}
    r12, r13, r23 = r_yx1, r_yx2, r_x1x2
    det = 1 - r12**2 - r13**2 - r23**2 + 2 * r12 * r13 * r23
    rbar = (r12 + r13) / 2
    denom = 2 * (n - 1) / (n - 3) * det + rbar**2 * (1 - r23) ** 3
    t = (r12 - r13) * math.sqrt((n - 1) * (1 + r23) / denom)
    df = n - 3
    return {"t": t, "df": float(df), "pvalue": float(2 * stats.t.sf(abs(t), df))}


def _ols(y: np.ndarray, x: np.ndarray) -> dict[str, float]:
    """Simple regression of y on x: slope, SE, p, standardized beta, R^2."""
    n = len(y)
    r = float(np.corrcoef(x, y)[0, 1])
    slope = r * float(np.std(y, ddof=1) / np.std(x, ddof=1))
    se_r = math.sqrt((1 - r**2) / (n - 2)) if n > 2 else np.nan
    t = r / se_r if se_r and se_r > 0 else np.nan
    return {
        "n": float(n),
        "b": slope,
        "se": slope / t if t and np.isfinite(t) and t != 0 else np.nan,
        "beta": r,
        "r2": r**2,
        "t": t,
        "pvalue": float(2 * stats.t.sf(abs(t), n - 2)) if np.isfinite(t) else np.nan,
    }


def compare_informants(
    wide: pd.DataFrame, *, outcome: str = "value_creation"
) -> dict[str, Any]:
    """BRIEF H10: joint dependence from both self-reports vs one informant's perception.

    Parameters
    ----------
    wide : DataFrame
        Dyad-wide data with ``dep_own_A, dep_own_B, jd_mean_A, jd_mean_B`` and
        ``{outcome}_A, {outcome}_B``.
    outcome : str
        The outcome scale; its dyad mean ``({outcome}_A + {outcome}_B) / 2`` is predicted.

    Returns
    -------
    dict
        ``outcome, n_dyads, models`` (``{"two_informants", "informant_A", "informant_B"}``,
        each a simple regression: ``n, b, se, beta, r2, t, pvalue``) and ``comparisons``
        (``{"two_vs_A", "two_vs_B"}``: difference in standardized effect, Williams' t and p).

    Notes
    -----
    Two informants: ``JD = (D_own(A) + D_own(B)) / 2`` (``dyad_jd_mean``).  One
    informant: firm A's (or B's) own ``jd_mean = (D_own + D_partner) / 2``, where
    ``D_partner`` is its perception of the partner's dependence.  The dyad's value
    creation is the mean of both reports, so neither informant's predictor shares all
    of its method variance with the outcome.  Exploratory (BRIEF H10): the comparison
    of two dependent correlations with a common outcome uses Williams' t.
    """
    need = ["dep_own_A", "dep_own_B", "jd_mean_A", "jd_mean_B", f"{outcome}_A", f"{outcome}_B"]
    absent = [c for c in need if c not in wide.columns]
    if absent:
        raise DataError(f"H10 comparison needs the column(s) {', '.join(absent)}.")
    frame = pd.DataFrame({
        "y": (wide[f"{outcome}_A"] + wide[f"{outcome}_B"]) / 2,
        "two": (wide["dep_own_A"] + wide["dep_own_B"]) / 2,
        "A": wide["jd_mean_A"],
        "B": wide["jd_mean_B"],
    }).dropna()
    n = len(frame)
    if n < MIN_DYADS:
        raise DataError(f"The H10 comparison needs at least {MIN_DYADS} complete dyads; got {n}.")
    y = frame["y"].to_numpy()
    models = {name: _ols(y, frame[col].to_numpy())
              for name, col in (("two_informants", "two"), ("informant_A", "A"),
                                ("informant_B", "B"))}
    corr = frame.corr()
    comparisons = {}
    for side in ("A", "B"):
        test = dependent_correlation_test(corr.loc["y", "two"], corr.loc["y", side],
                                          corr.loc["two", side], n)
        comparisons[f"two_vs_{side}"] = {
            "delta_beta": corr.loc["y", "two"] - corr.loc["y", side],
            "delta_r2": corr.loc["y", "two"] ** 2 - corr.loc["y", side] ** 2,
            "r_predictors": corr.loc["two", side],
            **test,
        }
    return {"outcome": outcome, "n_dyads": n, "models": models, "comparisons": comparisons}


# ---------------------------------------------------------------------------
# Everything together
# ---------------------------------------------------------------------------


def _perception(pairs: pd.DataFrame) -> dict[str, Any]:
    """Perceived partner dependence against the partner's self-report."""
    out: dict[str, Any] = {}
    gap = pairs["perception_gap"].astype(float)
    perceived = pairs["dep_partner"].astype(float)
    partner_self = pairs["dyad_d_partner"].astype(float)
    for name, mask in (("pooled", np.ones(len(pairs), dtype=bool)),
                       ("A", (pairs["firm_role"] == "A").to_numpy()),
                       ("B", (pairs["firm_role"] == "B").to_numpy())):
        ok = mask & gap.notna().to_numpy()
        n = int(ok.sum())
        row: dict[str, float] = {
            "n": float(n),
            "mean_gap": float(gap[ok].mean()) if n else np.nan,
            "sd_gap": float(gap[ok].std(ddof=1)) if n > 1 else np.nan,
            "mean_abs_gap": float(gap[ok].abs().mean()) if n else np.nan,
        }
        if n > 3:
            r, p = stats.pearsonr(perceived[ok], partner_self[ok])
            row.update(r=float(r), r_pvalue=float(p))
            t = stats.ttest_1samp(gap[ok], 0.0)
            row.update(t_gap=float(t.statistic), t_gap_pvalue=float(t.pvalue))
        else:
            row.update(r=np.nan, r_pvalue=np.nan, t_gap=np.nan, t_gap_pvalue=np.nan)
        out[name] = row
    return out


def _describe(col: pd.Series) -> dict[str, float]:
    x = col.astype(float).dropna()
    return {"n": float(len(x)), "mean": float(x.mean()) if len(x) else np.nan,
            "sd": float(x.std(ddof=1)) if len(x) > 1 else np.nan,
            "min": float(x.min()) if len(x) else np.nan,
            "max": float(x.max()) if len(x) else np.nan}


def dyadic_analysis(
    df: pd.DataFrame,
    scored: pd.DataFrame,
    instrument: Any = None,
    *,
    apim_pairs: Sequence[tuple[str, str]] = APIM_PAIRS,
    estimator: str = "ML",
) -> dict[str, Any]:
    """The dyadic analysis of a study with both partners' responses, JSON-ready.

    Parameters
    ----------
    df : DataFrame
        Canonical wide survey data (raw item codes), one row per respondent.
    scored : DataFrame
        ``analysis.scoring.score(df, instrument)`` (same rows and order as ``df``).
    instrument : Instrument, optional
        Default ``instruments.loader.load_instrument()``.
    apim_pairs : sequence of (predictor, outcome)
        Scale scores for the APIMs; ``relationship_learning`` is the mean of
        ``info_sharing``, ``joint_sensemaking`` and ``knowledge_integration``.
    estimator : str
        Estimator of the APIMs (``"ML"`` or ``"MLR"``).

    Returns
    -------
    dict
        ``n_respondents, n_excluded, n_dyads, n_single_informants, agreement``
        (``{scale: {"icc1", "icc2", "f", "pvalue", "n_dyads", "n_obs", "rwg_j_mean",
        "rwg_j_median", "rwg_j_share_above", "rwg_j_n"}}``), ``agreement_notes``,
        ``dependence`` (descriptives of the dyad-level indices), ``perception``
        (perception gap and correlation with the partner's self-report: pooled, A, B),
        ``apim`` (list of models: ``predictor, outcome, n_dyads, converged, effects, r2,
        params`` as records), ``h10`` (:func:`compare_informants`) and ``warnings``.
        Numbers are floats; undefined ones are ``None`` with a warning.

    Raises
    ------
    DataError
        Fewer than :data:`MIN_DYADS` complete dyads, missing id columns, a scale score
        missing from ``scored``, or ``df`` and ``scored`` of different length.

    Examples
    --------
    >>> out = dyadic_analysis(df, score(df))  # doctest: +SKIP
    # In R: multilevel::ICC1(aov(...)); multilevel::rwg.j(...); lavaan::sem(apim, wide)
    """
    from analysis.dependence import dyad_indices
    from analysis.scoring import reverse_key

    if instrument is None:
        from instruments.loader import load_instrument

        instrument = load_instrument()
    if len(df) != len(scored):
        raise DataError(f"df= has {len(df)} rows but scored= has {len(scored)}; pass the "
                        "output of analysis.scoring.score(df).")
    for c in ("alliance_id", "firm_role"):
        if c not in df.columns:
            raise DataError(f"Dyadic analysis needs the column {c!r} in the data.")
    scale_items = instrument.scale_items()
    absent = [s for s in scale_items if s not in scored.columns]
    if absent:
        raise DataError(f"Scale score(s) missing from scored=: {', '.join(absent)}. "
                        "Score the data with analysis.scoring.score().")
    warnings: list[str] = []
    exclude = (scored["exclude"].fillna(False).astype(bool).to_numpy()
               if "exclude" in scored.columns else np.zeros(len(df), dtype=bool))
    if "exclude" not in scored.columns:
        warnings.append("scored= has no 'exclude' column; no respondent was dropped.")
    items = reverse_key(df.reset_index(drop=True), instrument)
    sc = scored.reset_index(drop=True).drop(columns=["alliance_id", "firm_role"],
                                            errors="ignore")
    base = pd.concat([items[["alliance_id", "firm_role"]], sc[list(scale_items)]], axis=1)
    learning = ["info_sharing", "joint_sensemaking", "knowledge_integration"]
    if all(s in base.columns for s in learning):
        base["relationship_learning"] = base[learning].mean(axis=1, skipna=False)
    kept = base[~exclude]
    kept_items = items[~exclude]
    pairs = pair_dyads(kept)
    n_dyads = len(pairs) // 2
    if n_dyads < MIN_DYADS:
        raise DataError(f"Dyadic analysis needs at least {MIN_DYADS} complete dyads (both "
                        f"firm_role 'A' and 'B' of one alliance_id) after exclusions; got "
                        f"{n_dyads}.")
    pairs = pd.concat([pairs, dyad_indices(pairs)], axis=1)
    from analysis.dependence import dependence_indices

    pairs = pd.concat([pairs, dependence_indices(pairs["dep_own"], pairs["dep_partner"])],
                      axis=1)
    in_pairs = kept_items["alliance_id"].astype("string").isin(set(pairs["alliance_id"]))
    pair_items = kept_items[in_pairs.to_numpy()]

    agreement: dict[str, dict[str, float]] = {}
    for scale, its in scale_items.items():
        try:
            res = icc(pairs[scale], pairs["alliance_id"])
        except DataError as err:
            warnings.append(f"ICC of {scale} undefined: {err}")
            res = {"icc1": np.nan, "icc2": np.nan, "f": np.nan, "pvalue": np.nan,
                   "n_groups": np.nan, "n_obs": np.nan}
        n_opt = _n_options(instrument, scale)
        rwg = rwg_j(pair_items[its], pair_items["alliance_id"].astype("string"),
                    n_options=n_opt)["rwg_j"].dropna()
        if rwg.empty:
            warnings.append(f"r_wg(j) of {scale} undefined: no dyad with two complete "
                            "answers to all its items.")
        agreement[scale] = {
            "icc1": res["icc1"], "icc2": res["icc2"], "f": res["f"], "pvalue": res["pvalue"],
            "n_dyads": res["n_groups"], "n_obs": res["n_obs"],
            "rwg_j_mean": float(rwg.mean()) if len(rwg) else np.nan,
            "rwg_j_median": float(rwg.median()) if len(rwg) else np.nan,
            "rwg_j_share_above": float((rwg >= RWG_CUTOFF).mean()) if len(rwg) else np.nan,
            "rwg_j_n": float(len(rwg)),
            "n_options": float(n_opt),
        }
    neg = [s for s, a in agreement.items() if np.isfinite(a["icc1"]) and a["icc1"] < 0]
    if neg:
        warnings.append(f"ICC(1) < 0 for {', '.join(neg)}: the partners disagree more than "
                        "respondents of different alliances; ICC(2) is then negative too.")

    dep_cols = ["dyad_jd_mean", "dyad_jd_sum", "dyad_asym_abs", "dyad_asym_signed",
                "perception_gap", "perception_gap_abs"]
    first = pairs[pairs["firm_role"] == "A"]
    dependence = {c: _describe(first[c] if c in ("dyad_jd_mean", "dyad_jd_sum",
                                                 "dyad_asym_abs") else pairs[c])
                  for c in dep_cols}
    dependence["dyad_asym_signed_A"] = _describe(first["dyad_asym_signed"])

    models = []
    for x, y in apim_pairs:
        try:
            m = apim(pairs, x, y, estimator=estimator)
        except DataError as err:
            warnings.append(f"APIM of {y} on {x} not estimated: {err}")
            continue
        warnings.extend(f"APIM {y} ~ {x}: {w}" for w in m["warnings"])
        if not m["converged"]:
            warnings.append(f"APIM {y} ~ {x} did not converge.")
        models.append({
            "predictor": x, "outcome": y, "estimator": estimator, "n_dyads": m["n_dyads"],
            "converged": m["converged"], "syntax": m["syntax"], "effects": m["effects"],
            "r2": m["r2"], "params": m["params"].to_dict(orient="records"),
        })

    wide = dyad_wide(pairs, ["dep_own", "jd_mean", "value_creation"])
    try:
        h10: dict[str, Any] | None = compare_informants(wide)
    except DataError as err:
        warnings.append(f"H10 comparison not computed: {err}")
        h10 = None
    else:
        h10["note"] = ("Exploratory (BRIEF H10): dyad value creation (mean of both reports) on "
                       "joint dependence from both self-reports vs one informant's perception; "
                       "Williams' t compares the two dependent correlations.")

    n_total = len(df)
    out = {
        "n_respondents": n_total,
        "n_excluded": int(exclude.sum()),
        "n_dyads": n_dyads,
        "n_single_informants": int(len(kept) - 2 * n_dyads),
        "agreement": agreement,
        "agreement_notes": {
            "icc": "One-way ANOVA with dyads as groups (multilevel::ICC1/ICC2).",
            "rwg_j": ("Uniform null sigma2_EU = (A^2 - 1) / 12; item variances within the dyad "
                      "(multilevel::rwg.j); dyads with a missing item dropped."),
            "rwg_j_cutoff": RWG_CUTOFF,
        },
        "dependence": dependence,
        "perception": _perception(pairs),
        "apim": models,
        "h10": h10,
        "warnings": warnings,
    }
    return _clean(out)


def _n_options(instrument: Any, scale: str) -> int:
    """Number of response options of a scale (7 for the instrument's Likert items)."""
    from analysis.scoring import _item_bounds

    lo, hi = _item_bounds(instrument.scales[scale])
    return int(round(hi - lo)) + 1
