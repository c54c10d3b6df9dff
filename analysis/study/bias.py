"""Bias checks of the alliance study: endogeneity of the main paths, key-informant quality.

* :func:`endogeneity_checks`: the Gaussian-copula check
  (:func:`analysis.stats.copula.gaussian_copula`) of every regressor of every equation
  of the declared path model (``model`` in ``hypotheses.yaml``), the equation's other
  regressors and the declared controls as exogenous regressors, on the scale scores.
* :func:`influential_cases`: the outcomes' distributions (skewness, share at the floor and
  ceiling of the scale), Cook's distances of every equation's cases and the path estimates
  with and without the influential ones.
* :func:`key_informant_quality`: who answered (informant knowledge of the alliance,
  position, tenure) and whether the path estimates change when the informants with low
  knowledge are left out (Kumar, Stern & Anderson 1993: a key informant must be
  knowledgeable about the relationship asked about).

All are robustness checks on composite scores by OLS; the confirmatory estimates are
those of the hypothesis tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import AllianceSurveyError, DataError
from analysis.io import jsonable

__all__ = ["LOW_KNOWLEDGE_MAX", "endogeneity_checks", "influential_cases",
           "key_informant_quality", "model_equations"]

#: Informants who rate their knowledge of the alliance at most "to a moderate extent"
#: (4 on the 7-point extent scale) count as low-knowledge informants.
LOW_KNOWLEDGE_MAX = 4
#: Tenure (years with the firm) below which an informant is counted as new.
SHORT_TENURE_YEARS = 2.0
#: A path whose estimate moves by this many of its full-sample standard errors when the
#: low-knowledge informants are left out is called sensitive to them.
SHIFT_SE = 2.0

_EQ = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*~\s*([^~=].*)$")


def model_equations(model: str) -> list[tuple[str, list[str]]]:
    """The regression equations ``y ~ a + b`` of lavaan syntax as ``(y, [a, b])``.

    Comments, measurement (``=~``), (co)variance (``~~``) and other statements are
    skipped; coefficient labels (``b1*x``) are dropped.
    """
    out = []
    for line in model.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or "=~" in line or "~~" in line or ":=" in line or "~1" in line:
            continue
        m = _EQ.match(line)
        if not m:
            continue
        terms = [t.strip().split("*")[-1].strip() for t in m.group(2).split("+")]
        out.append((m.group(1), [t for t in terms if t]))
    return out


def endogeneity_checks(
    d: pd.DataFrame,
    model: str,
    *,
    controls: Sequence[str] = (),
    n_boot: int = 500,
    seed: int | None = None,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Gaussian-copula checks of every path of the declared path model.

    Parameters
    ----------
    d : DataFrame
        Scale scores, one row per retained respondent.
    model : str
        The path model (lavaan syntax; its ``~`` equations are used).
    controls : sequence of str
        Controls added to every equation (those absent from ``d`` are left out).
    n_boot, seed, alpha
        As in :func:`analysis.stats.copula.gaussian_copula`.

    Returns
    -------
    dict
        ``paths`` (DataFrame, one row per path ``y ~ x``: the precondition, the copula
        term and the corrected estimate, see ``gaussian_copula``), ``n_applicable``,
        ``n_endogenous``, ``method`` and ``notes`` (paths that could not be checked).

    # In R: lm(y ~ x + w + qnorm(ecdf(x)(x) * n / (n + 1))); shapiro.test(x)
    """
    from analysis.stats.copula import gaussian_copula

    ctrl = [c for c in controls if c in d.columns]
    rows, notes = [], []
    for k, (y, xs) in enumerate(model_equations(model)):
        for j, x in enumerate(xs):
            others = [v for v in xs if v != x] + [c for c in ctrl if c not in xs and c != y]
            try:
                r = gaussian_copula(d, y, x, controls=others, n_boot=n_boot,
                                    seed=None if seed is None else seed + 100 * k + j,
                                    alpha=alpha)
            except AllianceSurveyError as err:
                notes.append(f"{y} ~ {x}: not checked ({err})")
                continue
            r["path"] = f"{y} ~ {x}"
            r["controls"] = ", ".join(others)
            rows.append(r)
    cols = ["path", "y", "x", "controls", "n", "shapiro_w", "shapiro_p", "cvm_stat", "cvm_p",
            "non_normal", "applicable", "b_ols", "se_ols", "b_corrected", "b_corrected_se",
            "copula_coef", "copula_se", "copula_z", "copula_p", "ci_lower", "ci_upper",
            "endogenous", "max_abs_r_controls", "n_boot_ok", "note"]
    paths = pd.DataFrame(rows, columns=cols)
    return {
        "paths": paths,
        "n_paths": int(len(paths)),
        "n_applicable": int(paths["applicable"].sum()) if len(paths) else 0,
        "n_endogenous": int((paths["endogenous"] == True).sum()) if len(paths) else 0,  # noqa: E712
        "n_boot": int(n_boot), "seed": seed, "alpha": float(alpha),
        "method": ("Gaussian copula (Park & Gupta 2012) per path of the path model on the "
                   "scale scores, OLS with the equation's other regressors and the declared "
                   "controls; applicable only when Shapiro-Wilk rejects normality of the "
                   "regressor (Becker, Proksch & Ringle 2022); copula-term SE from a "
                   "bootstrap that rebuilds the term in each resample."),
        "notes": notes,
    }


def _labels(instrument: Any, item: str) -> dict[int, str]:
    """Value labels (English) of a single-choice item of the instrument, if any."""
    try:
        choices = instrument.question(item).choices
    except (AttributeError, KeyError, LookupError):
        return {}
    return dict(choices.value_labels("en")) if choices is not None else {}


def _counts(col: pd.Series, labels: Mapping[int, str]) -> pd.DataFrame:
    v = pd.to_numeric(col, errors="coerce")
    n = int(v.notna().sum())
    codes = sorted(set(labels) | {int(c) for c in v.dropna().unique()})
    rows = [{"code": c, "label": labels.get(c, str(c)), "n": int((v == c).sum()),
             "share": float((v == c).sum() / n) if n else np.nan} for c in codes]
    rows.append({"code": None, "label": "missing", "n": int(v.isna().sum()),
                 "share": np.nan})
    return pd.DataFrame(rows)


def _repeats(d: pd.DataFrame, cluster: str | None) -> bool:
    """Whether some cluster id has two rows: clusters of one only would give an HC1 SE
    under the name of a cluster-robust one (the rule of the hypothesis tests)."""
    from analysis.study.measurement import _alliance_cluster_column

    return _alliance_cluster_column(d, cluster or None) is not None


def _ols_paths(d: pd.DataFrame, model: str, controls: Sequence[str],
               cluster: str | None) -> pd.DataFrame:
    """OLS of every path equation (cluster-robust SE by ``cluster`` where given)."""
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    rows = []
    for y, xs in model_equations(model):
        ctrl = [c for c in controls if c in d.columns and c not in xs and c != y]
        cols = [y, *xs, *ctrl]
        frame = d[cols].apply(pd.to_numeric, errors="coerce")
        keep = frame.notna().all(axis=1).to_numpy()
        frame = frame[keep]
        if len(frame) <= len(cols) + 1:
            continue
        X = add_constant(frame[[*xs, *ctrl]].to_numpy(float), has_constant="add")
        fit_kw: dict[str, Any] = {}
        if _repeats(d.loc[keep], cluster):  # the rows of this equation
            g = d.loc[keep, cluster].astype("string")
            g = g.fillna(pd.Series([f"_row{i}" for i in range(len(g))], index=g.index,
                                   dtype="string"))
            fit_kw = {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(g)[0]}}
        res = OLS(frame[y].to_numpy(float), X).fit(**fit_kw)
        for i, x in enumerate(xs, start=1):
            rows.append({"path": f"{y} ~ {x}", "n": int(len(frame)), "est": float(res.params[i]),
                         "se": float(res.bse[i]), "pvalue": float(res.pvalues[i])})
    return pd.DataFrame(rows, columns=["path", "n", "est", "se", "pvalue"])


def key_informant_quality(
    raw: pd.DataFrame,
    d: pd.DataFrame,
    model: str,
    *,
    instrument: Any = None,
    controls: Sequence[str] = (),
    cluster: str | None = "alliance_id",
    low_knowledge_max: int = LOW_KNOWLEDGE_MAX,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Key-informant profile and the path estimates with and without low-knowledge informants.

    Parameters
    ----------
    raw : DataFrame
        The retained respondents' answers (``informant_knowledge``, ``resp_position``,
        ``resp_tenure``), row-aligned with ``d``.
    d : DataFrame
        Their scale scores.
    model : str
        The path model whose ``~`` equations are compared.
    instrument : Instrument, optional
        For the value labels (default: the packaged instrument).
    controls : sequence of str
        Controls added to every equation.
    cluster : str, optional
        Column for cluster-robust standard errors (both members of a dyad).
    low_knowledge_max : int
        Highest ``informant_knowledge`` code counted as low knowledge.
    alpha : float
        Level at which "significant" is judged in the comparison.

    Returns
    -------
    dict
        ``knowledge``, ``position`` (DataFrames of counts and shares with value labels),
        ``tenure`` (n, mean, SD, quartiles, ``n_short`` below
        :data:`SHORT_TENURE_YEARS`), ``knowledge_mean``, ``n_low_knowledge``,
        ``low_knowledge_rule``, ``comparison`` (DataFrame per path: ``est_all, se_all,
        p_all, n_all, est_high, se_high, p_high, n_high, shift_in_se`` (difference in
        units of the full-sample SE), ``same_sign``, ``same_significance``),
        ``n_changed`` (paths whose sign or significance changes), ``n_shifted`` (paths
        whose estimate moves by ``shift_rule_se`` = :data:`SHIFT_SE` full-sample SEs or
        more: the count a verdict reads, since a change of significance is not itself a
        significant change, Gelman & Stern 2006).

    Raises
    ------
    DataError
        ``raw`` and ``d`` differ in length, or ``informant_knowledge`` is absent.
    """
    if len(raw) != len(d):
        raise DataError("key_informant_quality: raw= and d= must have the same rows "
                        f"({len(raw)} vs {len(d)}).")
    if "informant_knowledge" not in raw.columns:
        raise DataError("key_informant_quality: the data have no 'informant_knowledge' column.")
    if instrument is None:
        from instruments.instrument.loader import load_instrument

        instrument = load_instrument()
    raw = raw.reset_index(drop=True)
    d = d.reset_index(drop=True)
    know = pd.to_numeric(raw["informant_knowledge"], errors="coerce")
    out: dict[str, Any] = {
        "knowledge": _counts(know, _labels(instrument, "informant_knowledge")),
        "knowledge_mean": float(know.mean()),
    }
    if "resp_position" in raw.columns:
        out["position"] = _counts(raw["resp_position"], _labels(instrument, "resp_position"))
    if "resp_tenure" in raw.columns:
        t = pd.to_numeric(raw["resp_tenure"], errors="coerce")
        out["tenure"] = {"n": int(t.notna().sum()), "mean": float(t.mean()),
                         "sd": float(t.std()), "min": float(t.min()),
                         "q25": float(t.quantile(0.25)), "median": float(t.median()),
                         "q75": float(t.quantile(0.75)), "max": float(t.max()),
                         "n_short": int((t < SHORT_TENURE_YEARS).sum()),
                         "short_rule": f"tenure < {SHORT_TENURE_YEARS:g} years"}
    low = (know <= low_knowledge_max).fillna(False).to_numpy()
    out["n_low_knowledge"] = int(low.sum())
    out["low_knowledge_rule"] = (f"informant_knowledge <= {low_knowledge_max} (at most 'to a "
                                 "moderate extent' familiar with the cooperation)")
    dd = d.copy()
    if cluster and cluster not in dd.columns and cluster in raw.columns:
        dd[cluster] = raw[cluster].to_numpy()
    full = _ols_paths(dd, model, controls, cluster)
    high = _ols_paths(dd[~low].reset_index(drop=True), model, controls, cluster)
    cmp = full.merge(high, on="path", how="left", suffixes=("_all", "_high"))
    cmp = cmp.rename(columns={"pvalue_all": "p_all", "pvalue_high": "p_high"})
    cmp["shift_in_se"] = (cmp["est_high"] - cmp["est_all"]) / cmp["se_all"]
    cmp["same_sign"] = np.sign(cmp["est_high"]) == np.sign(cmp["est_all"])
    cmp["same_significance"] = (cmp["p_all"] < alpha) == (cmp["p_high"] < alpha)
    out["comparison"] = cmp
    out["n_changed"] = int((~(cmp["same_sign"] & cmp["same_significance"])).sum())
    # the count the verdict reads: a change of significance is not itself a significant
    # change (Gelman & Stern 2006), a shift of SHIFT_SE full-sample SEs is a large one
    out["shift_rule_se"] = SHIFT_SE
    out["n_shifted"] = int((cmp["shift_in_se"].abs() >= SHIFT_SE).sum())
    from analysis.study.latent_model import cluster_words

    se_text = (f"standard errors clustered by {cluster_words(cluster)}"
               if _repeats(dd, cluster) else
               "conventional standard errors (no alliance has two respondents, so there are "
               "no clusters)")
    out["method"] = ("OLS of every equation of the path model on the scale scores with the "
                     f"declared controls, {se_text}; all retained respondents versus those "
                     "above the low-knowledge cut-off.")
    if not low.any():
        out["note"] = "No low-knowledge informants: the two samples are the same."
    return jsonable(out)


#: Cook's distance above ``COOK_FACTOR / n`` marks an influential case (Bollen & Jackman
#: 1990's conventional cut-off).
COOK_FACTOR = 4.0


def influential_cases(
    d: pd.DataFrame,
    model: str,
    *,
    controls: Sequence[str] = (),
    scale_min: float = 1.0,
    scale_max: float = 7.0,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Outcome distributions and influential cases of every equation of the path model.

    Parameters
    ----------
    d : DataFrame
        Scale scores, one row per retained respondent.
    model : str
        The path model (lavaan syntax; its ``~`` equations are used).
    controls : sequence of str
        Controls added to every equation (those absent from ``d`` are left out).
    scale_min, scale_max : float
        The response scale's lowest and highest score: a score there is at the floor or
        ceiling.
    alpha : float
        Level at which "significant" is judged in the comparison.

    Returns
    -------
    dict
        ``outcomes`` (DataFrame per outcome: ``n``, ``skewness``, ``excess_kurtosis``,
        ``share_floor``, ``share_ceiling``, ``bp_p`` (Breusch-Pagan test of the
        equation's residual variance against its regressors)), ``paths`` (DataFrame per
        path: ``n``, ``n_influential`` (Cook's distance above ``COOK_FACTOR / n``),
        ``est_all, se_all, p_all`` (HC3 SEs), ``est_without, se_without, p_without``
        (the influential cases of that equation left out), ``shift_in_se``, ``same_sign``,
        ``same_significance``), ``n_shifted`` (paths moved by :data:`SHIFT_SE` SEs or
        more), ``n_changed`` and ``method``.

    Notes
    -----
    A check on composite scores, not the declared test: it shows whether a few cases carry
    a path, which a robust SE does not.

    # In R: m <- lm(y ~ x + w); cooks.distance(m) > 4 / nobs(m); lmtest::bptest(m)
    """
    from scipy import stats
    from statsmodels.regression.linear_model import OLS
    from statsmodels.stats.diagnostic import het_breuschpagan
    from statsmodels.tools.tools import add_constant

    ctrl = [c for c in controls if c in d.columns]
    out_rows, path_rows, notes = [], [], []
    for y, xs in model_equations(model):
        regs = [*xs, *[c for c in ctrl if c not in xs and c != y]]
        missing = [c for c in (y, *regs) if c not in d.columns]
        if missing:
            notes.append(f"{y}: not checked (no column {', '.join(missing)})")
            continue
        frame = d[[y, *regs]].apply(pd.to_numeric, errors="coerce").dropna()
        n = len(frame)
        if n <= len(regs) + 2:
            notes.append(f"{y}: not checked (only {n} complete cases)")
            continue
        yv = frame[y].to_numpy(float)
        X = add_constant(frame[regs].to_numpy(float), has_constant="add")
        fit = OLS(yv, X).fit()
        if not np.all(np.isfinite(fit.params)) or fit.df_resid < 1:
            notes.append(f"{y}: not checked (the regressors are collinear)")
            continue
        robust = fit.get_robustcov_results(cov_type="HC3")
        with np.errstate(all="ignore"):
            cook = np.asarray(fit.get_influence().cooks_distance[0], dtype=float)
            bp_p = float(het_breuschpagan(fit.resid, X)[1])
        flag = np.nan_to_num(cook, nan=np.inf) > COOK_FACTOR / n
        out_rows.append({"outcome": y, "n": n, "skewness": float(stats.skew(yv)),
                         "excess_kurtosis": float(stats.kurtosis(yv)),
                         "share_floor": float(np.mean(np.isclose(yv, scale_min))),
                         "share_ceiling": float(np.mean(np.isclose(yv, scale_max))),
                         "bp_p": bp_p})
        keep = ~flag
        without = None
        if keep.sum() > len(regs) + 2:
            without = OLS(yv[keep], X[keep]).fit().get_robustcov_results(cov_type="HC3")
        for i, x in enumerate(xs, start=1):
            row = {"path": f"{y} ~ {x}", "n": n, "n_influential": int(flag.sum()),
                   "est_all": float(robust.params[i]), "se_all": float(robust.bse[i]),
                   "p_all": float(robust.pvalues[i])}
            if without is not None:
                row.update(est_without=float(without.params[i]),
                           se_without=float(without.bse[i]),
                           p_without=float(without.pvalues[i]))
            path_rows.append(row)
    paths = pd.DataFrame(path_rows, columns=["path", "n", "n_influential", "est_all", "se_all",
                                             "p_all", "est_without", "se_without",
                                             "p_without"])
    paths["shift_in_se"] = (paths["est_without"] - paths["est_all"]) / paths["se_all"]
    paths["same_sign"] = np.sign(paths["est_without"]) == np.sign(paths["est_all"])
    paths["same_significance"] = (paths["p_all"] < alpha) == (paths["p_without"] < alpha)
    return jsonable({
        "outcomes": pd.DataFrame(out_rows, columns=["outcome", "n", "skewness",
                                                    "excess_kurtosis", "share_floor",
                                                    "share_ceiling", "bp_p"]),
        "paths": paths,
        "n_paths": int(len(paths)),
        "shift_rule_se": SHIFT_SE,
        "n_shifted": int((paths["shift_in_se"].abs() >= SHIFT_SE).sum()),
        "n_changed": int((~(paths["same_sign"] & paths["same_significance"])).sum()),
        "cook_rule": f"Cook's distance > {COOK_FACTOR:g}/n",
        "method": ("OLS of every equation of the path model on the scale scores with the "
                   "declared controls, HC3 standard errors; cases with Cook's distance above "
                   f"{COOK_FACTOR:g}/n (Bollen & Jackman 1990) left out of their equation and "
                   "the equation refitted; Breusch-Pagan test of the residual variance."),
        "notes": notes,
    })
