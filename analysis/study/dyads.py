"""The alliance study's dyadic analysis: both partners of an alliance answered.

Pipeline of :func:`dyadic_analysis`:

1. drop respondents flagged for exclusion by :func:`analysis.study.scoring.score`;
2. pair the two partners' rows by ``alliance_id`` and ``firm_role`` ("A"/"B"), keep
   complete pairs (:func:`analysis.stats.dyadic.pair_dyads`);
3. agreement per scale (ICC(1), ICC(2), r_wg(j)) in the dyads where both partners
   answered it;
4. dyad-level joint dependence and asymmetry from both self-reports
   (:func:`analysis.study.dependence.dyad_indices`) and the single informant's perception
   against the partner's self-report (perception gap, correlation);
5. actor-partner interdependence models;
6. H10 (exploratory): dyad-level joint dependence from both self-reports vs one
   informant's perception as predictors of the dyad's value creation
   (:func:`compare_informants`).

Undefined numbers are ``None`` in the JSON-ready dict, always with a warning that says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DataError
from analysis.io import jsonable
from analysis.stats.dyadic import (
    MIN_DYADS,
    RWG_CUTOFF,
    apim,
    dependent_correlation_test,
    dyad_wide,
    icc,
    pair_dyads,
    role_correlation,
    rwg_j,
    simple_ols,
)

__all__ = ["APIM_PAIRS", "both_answered", "compare_informants", "dyadic_analysis"]

#: Default APIMs: (predictor, outcome) scale scores.
APIM_PAIRS: tuple[tuple[str, str], ...] = (
    ("relationship_learning", "value_creation"),
    ("dep_own", "value_creation"),
)


def compare_informants(
    wide: pd.DataFrame, *, outcome: str = "value_creation"
) -> dict[str, Any]:
    """H10: joint dependence from both self-reports vs one informant's perception.

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
    of its method variance with the outcome.  Exploratory (H10): the comparison
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
    models = {name: simple_ols(y, frame[col].to_numpy())
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
        if n > 3 and name == "pooled" and "alliance_id" in pairs.columns:
            # both reports of an alliance are in the pooled row: not independent, so its
            # tests are cluster-robust by alliance (a p from 2n reports counted as
            # independent was too small)
            ids = pairs["alliance_id"].astype("string").to_numpy()[ok]
            row.update(_clustered_r_and_gap(perceived[ok].to_numpy(),
                                            partner_self[ok].to_numpy(),
                                            gap[ok].to_numpy(), ids))
        elif n > 3:
            r, p = stats.pearsonr(perceived[ok], partner_self[ok])
            row.update(r=float(r), r_pvalue=float(p))
            t = stats.ttest_1samp(gap[ok], 0.0)
            row.update(t_gap=float(t.statistic), t_gap_pvalue=float(t.pvalue))
        else:
            row.update(r=np.nan, r_pvalue=np.nan, t_gap=np.nan, t_gap_pvalue=np.nan)
        out[name] = row
    out["note"] = ("Pooled: both firms' reports of each alliance; its p values are "
                   "cluster-robust by alliance (r as the slope of the standardized "
                   "perception on the standardized self-report, the gap's mean as an "
                   "intercept; t with clusters minus one df). A and B: one report per "
                   "alliance each.")
    return out


def _clustered_r_and_gap(perceived: np.ndarray, partner_self: np.ndarray, gap: np.ndarray,
                         ids: np.ndarray) -> dict[str, float]:
    """Pearson's r of the pooled reports and the mean gap, each with a p value from
    cluster-robust standard errors (CR1, clusters = alliances, t with G - 1 df)."""
    from analysis.stats.regression import cr1_ols

    out = {"r": float(np.corrcoef(perceived, partner_self)[0, 1]), "r_pvalue": np.nan,
           "t_gap": np.nan, "t_gap_pvalue": np.nan}
    if len(np.unique(ids)) < 3:
        return out

    def z(v: np.ndarray) -> np.ndarray:
        return (v - v.mean()) / v.std(ddof=1)

    def t_test(y: np.ndarray, x: np.ndarray) -> tuple[float, float]:
        """t and two-sided p of the last coefficient of ``y`` on ``x``."""
        beta, v, df = cr1_ols(y, x, ids)
        t = float(beta[-1] / np.sqrt(v[-1, -1]))
        return t, float(2 * stats.t.sf(abs(t), df))

    ones = np.ones((len(gap), 1))
    if np.std(perceived) > 0 and np.std(partner_self) > 0:
        out["r_pvalue"] = t_test(z(perceived), np.column_stack([ones, z(partner_self)]))[1]
    if np.std(gap) > 0:
        out["t_gap"], out["t_gap_pvalue"] = t_test(gap, ones)
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
        ``analysis.study.scoring.score(df, instrument)`` (same rows and order as ``df``).
    instrument : Instrument, optional
        Default ``instruments.instrument.loader.load_instrument()``.
    apim_pairs : sequence of (predictor, outcome)
        Scale scores for the APIMs; ``relationship_learning`` is the mean of
        ``info_sharing``, ``joint_sensemaking`` and ``knowledge_integration``.
    estimator : str
        Estimator of the APIMs (``"ML"`` or ``"MLR"``).

    Returns
    -------
    dict
        ``n_respondents, n_excluded, n_dyads, n_single_informants, agreement``
        (``{scale: {"icc1", "icc2", "f", "pvalue", "n_dyads", "n_obs", "r_roles",
        "r_roles_pvalue", "mean_A", "mean_B", "rwg_j_mean",
        "rwg_j_median", "rwg_j_share_above", "rwg_j_n"}}``; the ICCs on the dyads in
        which both partners have the score, ``n_dyads`` their number), ``agreement_notes``,
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
    if instrument is None:
        from instruments.instrument.loader import load_instrument

        instrument = load_instrument()
    scale_items = _check_inputs(df, scored, instrument)
    warnings: list[str] = []
    exclude = (scored["exclude"].fillna(False).astype(bool).to_numpy()
               if "exclude" in scored.columns else np.zeros(len(df), dtype=bool))
    if "exclude" not in scored.columns:
        warnings.append("scored= has no 'exclude' column; no respondent was dropped.")
    pairs, pair_items, n_kept = _dyads(df, scored, instrument, scale_items, exclude)
    n_dyads = len(pairs) // 2
    agreement = _agreement(pairs, pair_items, scale_items, instrument, warnings)
    models = _apim_models(pairs, apim_pairs, estimator, warnings)
    h10 = _h10(pairs, warnings)
    out = {
        "n_respondents": len(df),
        "n_excluded": int(exclude.sum()),
        "n_dyads": n_dyads,
        "n_single_informants": int(n_kept - 2 * n_dyads),
        "agreement": agreement,
        "agreement_notes": {
            "icc": ("One-way ANOVA with dyads as groups (multilevel::ICC1/ICC2), on the dyads "
                    "in which both partners have the scale score."),
            "r_roles": ("Pearson r of the A and the B partner's scores (Kenny, Kashy & Cook "
                        "2006, for distinguishable partners): the ICC treats the partners "
                        "as exchangeable, so a difference between the roles' means "
                        "(mean_A, mean_B) lowers it but not r."),
            "rwg_j": ("Uniform null sigma2_EU = (A^2 - 1) / 12; item variances within the dyad "
                      "(multilevel::rwg.j); dyads with a missing item dropped."),
            "rwg_j_cutoff": RWG_CUTOFF,
            **({"directional": _directional_note(scale_items)}
               if _directional_note(scale_items) else {}),
        },
        "dependence": _dependence_summary(pairs),
        "perception": _perception(pairs),
        "apim": models,
        "h10": h10,
        "warnings": warnings,
    }
    return jsonable(out)


def _check_inputs(df: pd.DataFrame, scored: pd.DataFrame, instrument: Any) -> dict[str, list]:
    """The instrument's scale items, once ``df`` and ``scored`` are known to fit together."""
    if len(df) != len(scored):
        raise DataError(f"df= has {len(df)} rows but scored= has {len(scored)}; pass the "
                        "output of analysis.study.scoring.score(df).")
    for c in ("alliance_id", "firm_role"):
        if c not in df.columns:
            raise DataError(f"Dyadic analysis needs the column {c!r} in the data.")
    scale_items = instrument.scale_items()
    absent = [s for s in scale_items if s not in scored.columns]
    if absent:
        raise DataError(f"Scale score(s) missing from scored=: {', '.join(absent)}. "
                        "Score the data with analysis.study.scoring.score().")
    return scale_items


def _dyads(df: pd.DataFrame, scored: pd.DataFrame, instrument: Any,
           scale_items: dict[str, list], exclude: np.ndarray,
           ) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Complete dyads of the retained respondents with their scores and dyad-level indices,
    the reverse-keyed item answers of those dyads, and the number of retained respondents."""
    from analysis.study.dependence import dependence_indices, dyad_indices
    from analysis.study.scoring import reverse_key

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
    pairs = pd.concat([pairs, dependence_indices(pairs["dep_own"], pairs["dep_partner"])],
                      axis=1)
    in_pairs = kept_items["alliance_id"].astype("string").isin(set(pairs["alliance_id"]))
    return pairs, kept_items[in_pairs.to_numpy()], len(kept)


def both_answered(pairs: pd.DataFrame, column: str, *,
                  alliance: str = "alliance_id") -> np.ndarray:
    """Rows of the dyads in which both partners have a value of ``column``.

    Parameters
    ----------
    pairs : DataFrame
        Rows of complete dyads (:func:`analysis.stats.dyadic.pair_dyads`).
    column : str
        A score.
    alliance : str
        The dyad id column.

    Returns
    -------
    numpy.ndarray
        Boolean mask over the rows of ``pairs``.
    """
    have = pd.to_numeric(pairs[column], errors="coerce").notna()
    return (have.groupby(pairs[alliance]).transform("sum") == 2).to_numpy()


def _agreement(pairs: pd.DataFrame, pair_items: pd.DataFrame, scale_items: dict[str, list],
               instrument: Any, warnings: list[str]) -> dict[str, dict[str, float]]:
    """ICC(1), ICC(2) of each scale score and r_wg(j) of its items within the dyads.

    Both are computed on the dyads in which both partners have the score (r_wg(j): all
    items): a partner without it leaves a group of one, which says nothing about agreement
    but entered the ANOVA's between-dyad mean square and its mean group size (ICC(1)
    .106 from 26 "dyads" against .292 from the 15 complete ones in a generated case).
    """
    agreement: dict[str, dict[str, float]] = {}
    for scale, its in scale_items.items():
        both = both_answered(pairs, scale)
        try:
            res = icc(pd.to_numeric(pairs.loc[both, scale], errors="coerce"),
                      pairs.loc[both, "alliance_id"])
        except DataError as err:
            warnings.append(f"ICC of {scale} undefined: {err}")
            res = {"icc1": np.nan, "icc2": np.nan, "f": np.nan, "pvalue": np.nan,
                   "n_groups": np.nan, "n_obs": np.nan}
        if np.isfinite(res["n_groups"]) and not np.isfinite(res["icc1"]):
            warnings.append(f"ICC of {scale} undefined: every partner in the dyads that "
                            "answered it gave the same score.")
        roles = role_correlation(pairs, scale)
        n_opt = _n_options(instrument, scale)
        rwg = rwg_j(pair_items[its], pair_items["alliance_id"].astype("string"),
                    n_options=n_opt)["rwg_j"].dropna()
        if rwg.empty:
            warnings.append(f"r_wg(j) of {scale} undefined: no dyad with two complete "
                            "answers to all its items.")
        agreement[scale] = {
            "icc1": res["icc1"], "icc2": res["icc2"], "f": res["f"], "pvalue": res["pvalue"],
            "n_dyads": res["n_groups"], "n_obs": res["n_obs"],
            "r_roles": roles["r"], "r_roles_pvalue": roles["pvalue"],
            "mean_A": roles["mean_A"], "mean_B": roles["mean_B"],
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
    return agreement


#: Scales on which each partner answers about its own side of the relationship, or its
#: view of the other's: the two answers of a dyad are about two different quantities.
DIRECTIONAL = ("dep_own", "dep_partner", "value_appropriation", "partner_appropriation")


def _directional_note(scale_items: dict[str, list]) -> str:
    """Why the agreement indices of directional scales are no agreement: A's dep_own is
    A's dependence on B, B's is B's dependence on A; their ICC(1) (.37 in a study of 47
    dyads) is the correlation of two dependences, and dep_partner's (-.21) compares A's view
    of B's dependence with B's view of A's, printed in the same column as the agreement of
    two reports on one alliance's information sharing."""
    found = [s for s in DIRECTIONAL if s in scale_items]
    if not found:
        return ""
    return (f"{', '.join(found)}: each partner answers about its own side of the "
            "relationship (or its view of the other's), so the two answers of a dyad "
            "concern different quantities (A's dependence on B and B's dependence on A): "
            "their ICC, r_wg(j) and r compare the two sides, they do not measure agreement, "
            "and a low or negative value is no sign of unreliable informants. The "
            "perception table compares the matching reports (a firm's view of the "
            "partner's dependence with the partner's own report).")


def _dependence_summary(pairs: pd.DataFrame) -> dict[str, Any]:
    """Descriptives of the dyad-level dependence indices (alliance-level ones once per dyad)."""
    dep_cols = ["dyad_jd_mean", "dyad_jd_sum", "dyad_asym_abs", "dyad_asym_signed",
                "perception_gap", "perception_gap_abs"]
    first = pairs[pairs["firm_role"] == "A"]
    dependence = {c: _describe(first[c] if c in ("dyad_jd_mean", "dyad_jd_sum",
                                                 "dyad_asym_abs") else pairs[c])
                  for c in dep_cols}
    dependence["dyad_asym_signed_A"] = _describe(first["dyad_asym_signed"])
    return dependence


def _apim_models(pairs: pd.DataFrame, apim_pairs: Sequence[tuple[str, str]], estimator: str,
                 warnings: list[str]) -> list[dict[str, Any]]:
    """One APIM per (predictor, outcome); a model that cannot be estimated becomes a warning."""
    models = []
    for x, y in apim_pairs:
        try:
            m = apim(pairs, y=y, x=x, estimator=estimator)
        except DataError as err:
            warnings.append(f"APIM of {y} on {x} not estimated: {err}")
            continue
        warnings.extend(f"APIM {y} ~ {x}: {w}" for w in m["warnings"])
        if not m["converged"]:
            warnings.append(f"APIM {y} ~ {x} did not converge.")
        warnings.extend(_k_warnings(m["effects"], x, y))
        models.append({
            "predictor": x, "outcome": y, "estimator": estimator, "n_dyads": m["n_dyads"],
            "converged": m["converged"], "syntax": m["syntax"], "effects": m["effects"],
            "r2": m["r2"], "params": m["params"].to_dict(orient="records"),
        })
    return models


#: Level at which an actor effect must differ from zero before its k ratio is read.
K_ALPHA = 0.05


def _k_warnings(effects: dict[str, Any], x: str, y: str) -> list[str]:
    """A warning for each k ratio (partner over actor effect) whose actor effect does not
    differ from zero: the ratio is then unbounded and says nothing about the dyadic
    pattern (Kenny & Ledermann 2010).  In a study of 23 dyads k of firm A was printed as
    -13.97 (SE 76.04) from an actor effect of -0.047 (p = .856)."""
    out = []
    for k, (actor, partner) in {"k_A": ("a_A", "p_BA"), "k_B": ("a_B", "p_AB")}.items():
        a, kk = effects.get(actor) or {}, effects.get(k) or {}
        pa, est = a.get("pvalue"), kk.get("est")
        if isinstance(pa, float) and np.isfinite(pa) and pa >= K_ALPHA \
                and isinstance(est, float) and np.isfinite(est):
            out.append(f"APIM {y} ~ {x}: {k} = {partner} / {actor} = {est:.2f} is not "
                       f"interpretable: the actor effect {actor} does not differ from zero "
                       f"(p = {pa:.3f}), so the ratio is unbounded (Kenny & Ledermann 2010); "
                       "read the actor and partner effects themselves.")
    return out


def _h10(pairs: pd.DataFrame, warnings: list[str]) -> dict[str, Any] | None:
    """H10: two informants' joint dependence vs one informant's perception."""
    wide = dyad_wide(pairs, ["dep_own", "jd_mean", "value_creation"])
    try:
        h10: dict[str, Any] = compare_informants(wide)
    except DataError as err:
        warnings.append(f"H10 comparison not computed: {err}")
        return None
    for side, test in h10["comparisons"].items():
        if not np.isfinite(test["t"]):
            warnings.append(f"H10 {side.replace('_', ' ')}: Williams' t undefined (the two "
                            "predictors are perfectly correlated).")
    # the note is part of the analysis output (and so of the demo report): its wording
    # changes only together with the report's reference files
    h10["note"] = ("Exploratory (H10): dyad value creation (mean of both reports) on "
                   "joint dependence from both self-reports vs one informant's perception; "
                   "Williams' t compares the two dependent correlations.")
    return h10


def _n_options(instrument: Any, scale: str) -> int:
    """Number of response options of a scale (7 for the instrument's Likert items)."""
    from analysis.study.scoring import _item_bounds

    lo, hi = _item_bounds(instrument.scales[scale])
    return int(round(hi - lo)) + 1
