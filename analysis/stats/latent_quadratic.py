"""Latent quadratic effect (inverted U) by product indicators with double-mean-centring.

The latent counterpart of the quadratic regression on composite scores
(:func:`analysis.stats.regression.quadratic`): the predictor X and the outcome Y are
latent variables measured by their items, and the latent square XX is measured by
products of X items.  Measurement error in X no longer flattens the curvature, which
a squared composite score does (its reliability enters squared).

Steps of :func:`latent_quadratic`
---------------------------------
1. **Products** (:func:`quadratic_pairs`).  ``pairs="squares"`` (default): the square
   of every X item, ``x_i * x_i``; no two products share an item, the quadratic
   analogue of matched pairs (Marsh, Wen & Hau 2004; Kelava et al. 2011).
   ``pairs="all"``: every unique product ``x_i * x_j`` (``i <= j``); products that share
   an item get a free residual covariance (Marsh et al. 2004).  The X items are ranked
   first (``match=``, as in :mod:`analysis.stats.latent_interaction`), so the marker of
   X is its best item and the marker of XX that item's square.
2. **Double-mean-centring** (Lin, Wen, Marsh & Lin 2010): items centred at their
   available-case means, multiplied, the products centred again
   (:func:`analysis.stats.latent_interaction.product_indicators`).  No mean structure
   or nonlinear constraints are needed.
3. **Model**: ``X =~ x items``, ``XX =~ products``, ``Y =~ y items`` (one ``y`` item:
   an observed outcome), ``Y ~ b1*X + b2*XX + controls``, X, XX and the controls
   covarying freely.  Fitted with :func:`analysis.sem.sem` (ML or MLR, FIML with
   ``missing="ml"``, cluster-robust SEs with ``cluster=``).
4. **Lind & Mehlum (2010) on the latent scale**.  The slope of Y on X at latent value
   ``t`` is ``b1 + 2 b2 t``.  The test needs the two ends of the range of X; a latent
   variable has no observed range, so the ends are ``t = -/+ R sd(X)``, ``R = range_sd``
   (default 2: about 95 % of a normal factor, the part of the curve the data speak
   for).  Both slopes are ``:=`` parameters, so their delta-method SEs include the
   sampling variance of the factor variance.  The inverted U is supported when the
   slope is positive at ``-R sd`` and negative at ``+R sd``, each one-sided at
   ``alpha`` (the larger of the two one-sided p is the test's p).
5. **Turning point** ``-b1 / (2 b2)`` (latent metric of the marker item, 0 = the mean
   of X) with a delta-method interval (a ``:=`` parameter) and the Fieller interval
   from the covariance of ``(b1, b2)``; also in SD units of X.

References
----------
Kelava, A., Werner, C. S., Schermelleh-Engel, K., Moosbrugger, H., Zapf, D., Ma, Y.,
Cham, H., Aiken, L. S., & West, S. G. (2011). Advanced nonlinear latent variable modeling:
Distribution analytic LMS and QML estimators of interaction and quadratic effects.
*Structural Equation Modeling*, 18, 465-491.
Lind, J. T., & Mehlum, H. (2010). With or without U? The appropriate test for a U-shaped
relationship. *Oxford Bulletin of Economics and Statistics*, 72, 109-118.
Marsh, H. W., Wen, Z., & Hau, K.-T. (2004). Structural equation models of latent
interactions: Evaluation of alternative estimation strategies and indicator construction.
*Psychological Methods*, 9, 275-300.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError, EstimationError, ModelSpecificationError
from analysis.stats.latent_interaction import (
    FIT_KEYS,
    MATCH_RULES,
    _check_cluster,
    _fit_value,
    _implied_sd,
    _names,
    _numeric,
    _rank,
    _roles,
    check_identification,
    identification_record,
    item_rest_correlations,
    predictor_cov_warning,
    product_indicators,
    product_name,
)

#: Names of the latent variables in the generated model syntax.
LATENT_NAMES = ("X", "XX", "Y")
PAIR_RULES = ("squares", "all")
_LB = {"b1": "lq_b1", "b2": "lq_b2", "phix": "lq_phix", "lo": "lq_slope_lo",
       "hi": "lq_slope_hi", "tp": "lq_turning_point"}


def quadratic_pairs(x_items: Sequence[str], pairs: str = "squares") -> tuple[tuple[str, str], ...]:
    """The (item, item) pairs whose products measure the latent square.

    ``"squares"``: ``(x_i, x_i)`` for every item; ``"all"``: every ``(x_i, x_j)``,
    ``i <= j``, in the given order.
    """
    xs = _names(x_items, "x_items=")
    if pairs == "squares":
        return tuple((a, a) for a in xs)
    if pairs == "all":
        return tuple((a, b) for i, a in enumerate(xs) for b in xs[i:])
    raise ModelSpecificationError(f"pairs={pairs!r} is not known; use 'squares' or 'all'.")


def quadratic_syntax(
    x_items: Sequence[str],
    y_items: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    *,
    controls: Sequence[str] = (),
    range_sd: float = 2.0,
) -> str:
    """lavaan syntax of the product-indicator quadratic model (see the module docstring)."""
    prods = [product_name(a, b) for a, b in pairs]
    lb = _LB
    y = y_items[0] if len(y_items) == 1 else "Y"
    lines = [f"X =~ {' + '.join(x_items)}", f"XX =~ {' + '.join(prods)}"]
    if len(y_items) > 1:
        lines.append(f"Y =~ {' + '.join(y_items)}")
    rhs = [f"{lb['b1']}*X", f"{lb['b2']}*XX", *controls]
    lines.append(f"{y} ~ {' + '.join(rhs)}")
    lines.append(f"X ~~ {lb['phix']}*X")
    for c in controls:  # controls correlate with the latent predictors (not lavaan's default)
        lines += [f"X ~~ {c}", f"XX ~~ {c}"]
    for i in range(len(pairs)):
        for j in range(i + 1, len(pairs)):
            if set(pairs[i]) & set(pairs[j]):
                lines.append(f"{prods[i]} ~~ {prods[j]}")
    r2 = repr(2.0 * float(range_sd))
    lines += [f"{lb['lo']} := {lb['b1']} - {r2}*{lb['b2']}*sqrt({lb['phix']})",
              f"{lb['hi']} := {lb['b1']} + {r2}*{lb['b2']}*sqrt({lb['phix']})",
              f"{lb['tp']} := -{lb['b1']}/(2*{lb['b2']})"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class LatentQuadraticResult:
    """Result of :func:`latent_quadratic` (all numbers unrounded).

    Attributes
    ----------
    x_items, y_items, controls : tuple of str
        Indicators of X (ranked, the first is the marker) and Y, observed covariates.
    pairs : tuple of (str, str)
        The item pairs of the product indicators.
    match, pairs_rule, estimator, missing : str
    cluster : str or None
        The cluster column of cluster-robust SEs (None: rows independent).
    nclusters : int or None
    n : int
    level, range_sd : float
    b1, b1_se, b2, b2_se, b2_pvalue : float
        Linear and squared term (two-sided z p for ``b2``).
    std_b2 : float
        ``b2 * phi_X / sd(Y)``: the squared term per SD of X (squared), in SD of Y.
    phi_x : float
        Variance of the latent X.
    slope_lo, slope_hi : mapping
        Slope at ``-range_sd`` / ``+range_sd`` SDs of X: ``at, estimate, se, z``.
    lm_pvalue : float
        Lind-Mehlum p of the inverted U (larger one-sided p of the two slopes).
    u_pvalue : float
        The same test of a U shape.
    turning_point, tp_se, tp_ci_lower, tp_ci_upper : float
        ``-b1 / (2 b2)`` (latent metric) with its delta-method interval.
    tp_fieller_lower, tp_fieller_upper : float
        Fieller interval (infinite when ``b2`` is not significant).
    turning_point_sd : float
        The turning point in SD units of X.
    coefficients : DataFrame
        ``term, estimate, se, z, pvalue, ci_lower, ci_upper, std_all`` of Y's regression.
    fit : mapping
    converged : bool
    warnings : tuple of str
    syntax : str
    sem : SEMResult
    """

    x_items: tuple[str, ...]
    y_items: tuple[str, ...]
    controls: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    match: str
    pairs_rule: str
    estimator: str
    missing: str
    cluster: str | None
    nclusters: int | None
    n: int
    level: float
    range_sd: float
    b1: float
    b1_se: float
    b2: float
    b2_se: float
    b2_pvalue: float
    std_b2: float
    phi_x: float
    slope_lo: Mapping[str, float]
    slope_hi: Mapping[str, float]
    lm_pvalue: float
    u_pvalue: float
    turning_point: float
    tp_se: float
    tp_ci_lower: float
    tp_ci_upper: float
    tp_fieller_lower: float
    tp_fieller_upper: float
    turning_point_sd: float
    coefficients: pd.DataFrame
    fit: Mapping[str, float]
    converged: bool
    warnings: tuple[str, ...]
    syntax: str
    sem: Any = field(default=None, repr=False, compare=False)
    identification: Mapping[str, Any] = field(default_factory=dict)

    @property
    def identified(self) -> bool:
        """Whether the latent square is identified in the data
        (:func:`analysis.stats.latent_interaction.empirical_identification`)."""
        return bool(self.identification.get("identified", True))

    @property
    def inverted_u(self) -> bool:
        """Lind-Mehlum test rejects at 5 % and the turning point lies inside the range."""
        return bool(self.lm_pvalue < 0.05 and self.turning_point_inside)

    @property
    def turning_point_inside(self) -> bool:
        """The turning point lies within ``+-range_sd`` SDs of X."""
        return bool(abs(self.turning_point_sd) <= self.range_sd)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready after :func:`analysis.io.jsonable`; NaN kept as NaN)."""
        return {
            "method": "product indicators, double-mean-centring",
            "x_items": list(self.x_items), "y_items": list(self.y_items),
            "controls": list(self.controls), "pairs": [list(p) for p in self.pairs],
            "match": self.match, "pairs_rule": self.pairs_rule, "estimator": self.estimator,
            "missing": self.missing, "cluster": self.cluster, "nclusters": self.nclusters,
            "n": int(self.n), "level": float(self.level), "range_sd": float(self.range_sd),
            "b1": self.b1, "b1_se": self.b1_se, "b2": self.b2, "b2_se": self.b2_se,
            "b2_pvalue": self.b2_pvalue, "std_b2": self.std_b2, "phi_x": self.phi_x,
            "slope_lo": dict(self.slope_lo), "slope_hi": dict(self.slope_hi),
            "lm_pvalue": self.lm_pvalue, "u_pvalue": self.u_pvalue,
            "turning_point": self.turning_point, "tp_se": self.tp_se,
            "tp_ci_lower": self.tp_ci_lower, "tp_ci_upper": self.tp_ci_upper,
            "tp_fieller_lower": self.tp_fieller_lower,
            "tp_fieller_upper": self.tp_fieller_upper,
            "turning_point_sd": self.turning_point_sd,
            "coefficients": [{str(k): v for k, v in r.items()}
                             for r in self.coefficients.to_dict(orient="records")],
            "fit": dict(self.fit), "converged": bool(self.converged),
            "warnings": list(self.warnings), "syntax": self.syntax,
            "identification": identification_record(self.identification),
        }


def _rank_items(data: pd.DataFrame, xs: list[str], match: str) -> list[str]:
    if match not in MATCH_RULES:
        raise ModelSpecificationError(
            f"match={match!r} is not known; use one of {', '.join(MATCH_RULES)}.")
    if match == "order":
        return xs
    if match == "item_rest":
        return _rank(item_rest_correlations(data, xs).to_dict(), xs)
    # standardised loadings of a one-factor CFA of the X items
    from analysis.sem import cfa

    res = cfa(f"X =~ {' + '.join(xs)}\n", data[xs], estimator="ML", missing="listwise")
    p = res.params
    lam = {r.rhs: float(r.std_all) for r in p[p["op"] == "=~"].itertuples()}
    return _rank(lam, xs)


def latent_quadratic(
    data: pd.DataFrame,
    x_items: Sequence[str],
    y_items: Sequence[str],
    *,
    controls: Sequence[str] = (),
    estimator: str = "MLR",
    missing: str = "listwise",
    cluster: str | None = None,
    match: str = "item_rest",
    pairs: str = "squares",
    range_sd: float = 2.0,
    level: float = 0.95,
) -> LatentQuadraticResult:
    """Latent quadratic effect of X on Y (inverted U) by double-mean-centred products.

    Parameters
    ----------
    data : DataFrame
        Item columns (numeric, reverse-keyed), the controls and the cluster column.
    x_items : sequence of str
        Indicators of X (at least two).
    y_items : sequence of str
        Indicators of Y (one item: an observed outcome).
    controls : sequence of str
        Observed covariates of Y (free covariances with X and XX, ``fixed.x = FALSE``).
    estimator : {"MLR", "ML"}
    missing : {"listwise", "ml"}
        Listwise deletion or FIML.
    cluster : str, optional
        Column of cluster ids (e.g. the alliance of both members of a dyad): cluster-
        robust SEs and test (lavaan's ``cluster=``, MLR only).  Every row needs an id.
    match : {"item_rest", "loading", "order"}
        Ranking of the X items (the best is the marker of X, its square that of XX).
    pairs : {"squares", "all"}
        Squared items (default) or all unique products with residual covariances.
    range_sd : float
        Ends of the range of X for the Lind-Mehlum test, in SDs of the latent X.
    level : float
        Confidence level of the Wald, delta-method and Fieller intervals.

    Returns
    -------
    LatentQuadraticResult

    Raises
    ------
    DataError
        Missing, non-numeric or constant columns, rows without a cluster id, too few
        complete cases.
    ModelSpecificationError
        Too few items, an item used twice, reserved names, unknown options.
    EstimationError
        The model did not converge (nothing is reported).

    Examples
    --------
    # In R (squares of centred items, centred again, as semTools::indProd with doubleMC):
    # fit <- lavaan::sem("X =~ x1 + x2 + x3; XX =~ x1.x1 + x2.x2 + x3.x3
    #                     Y =~ y1 + y2 + y3; Y ~ lq_b1*X + lq_b2*XX; X ~~ lq_phix*X
    #                     lq_slope_lo := lq_b1 - 4*lq_b2*sqrt(lq_phix)
    #                     lq_slope_hi := lq_b1 + 4*lq_b2*sqrt(lq_phix)
    #                     lq_turning_point := -lq_b1/(2*lq_b2)",
    #                    data = d, estimator = "MLR", missing = "ml", cluster = "cl")
    """
    from scipy import stats

    from analysis.sem import sem
    from analysis.stats.regression import _fieller_turning_point

    if estimator not in ("ML", "MLR"):
        raise ModelSpecificationError(f"estimator={estimator!r} is not known; use 'MLR' or 'ML'.")
    miss = {"listwise": "listwise", "ml": "ml", "fiml": "ml"}.get(missing)
    if miss is None:
        raise ModelSpecificationError(
            f"missing={missing!r} is not known; use 'listwise' or 'ml' (FIML).")
    if not 0 < float(level) < 1:
        raise ModelSpecificationError(f"level= must be in (0, 1) (got {level!r}).")
    if not (np.isfinite(range_sd) and range_sd > 0):
        raise ModelSpecificationError(f"range_sd= must be positive (got {range_sd!r}).")
    if pairs not in PAIR_RULES:
        raise ModelSpecificationError(f"pairs={pairs!r} is not known; use 'squares' or 'all'.")
    xs, ys = _names(x_items, "x_items="), _names(y_items, "y_items=")
    cs = _names(controls, "controls=")
    if len(xs) < 2:
        raise ModelSpecificationError(
            f"A latent quadratic needs at least two items for X (got {len(xs)}).")
    if not ys:
        raise ModelSpecificationError("y_items= is empty; the outcome needs at least one item.")
    seen = _roles({"x_items": xs, "y_items": ys, "controls": cs}, LATENT_NAMES)
    if not isinstance(data, pd.DataFrame):
        raise DataError("latent_quadratic: data= must be a pandas DataFrame.")
    _check_cluster(data, cluster, estimator, seen, "latent_quadratic")
    items = _numeric(data, xs + ys + cs, "latent_quadratic")
    xs = _rank_items(items, xs, match if pairs == "squares" else "order")
    pr = quadratic_pairs(xs, pairs)
    prods = product_indicators(items, pr)
    clash = [c for c in prods.columns if c in items.columns]
    if clash:
        raise ModelSpecificationError(
            f"Product name(s) {', '.join(clash)} clash with columns of data=.")
    frame = pd.concat([items, prods], axis=1)
    if miss == "listwise" and int(frame.notna().all(axis=1).sum()) < 10:
        raise DataError("latent_quadratic: fewer than 10 complete cases (use missing='ml').")
    if cluster is not None:
        frame[cluster] = data[cluster].to_numpy()
    syntax = quadratic_syntax(xs, ys, pr, controls=cs, range_sd=float(range_sd))
    res = sem(syntax, frame, estimator=estimator, missing=miss, cluster=cluster,
              fixed_x=not cs)
    if not res.converged:
        raise EstimationError(
            f"The latent quadratic model did not converge ({len(pr)} product indicators, "
            f"n = {res.n['total']}); no estimate is reported.")
    q = float(stats.norm.ppf(0.5 + float(level) / 2))
    p = res.params

    def row(lhs: str, op: str, rhs: str) -> pd.Series:
        r = p[(p["lhs"] == lhs) & (p["op"] == op) & (p["rhs"] == rhs)]
        if r.empty:  # pragma: no cover - the syntax always has these rows
            raise EstimationError(f"The fitted model has no row {lhs} {op} {rhs}.")
        return r.iloc[0]

    def defined(name: str) -> tuple[float, float]:
        r = p[(p["op"] == ":=") & (p["lhs"] == name)].iloc[0]
        return float(r["est"]), float(r["se"])

    y = ys[0] if len(ys) == 1 else "Y"
    coefs = []
    for term in ["X", "XX", *cs]:
        r = row(y, "~", term)
        est, se = float(r["est"]), float(r["se"])
        z = est / se if se > 0 else float("nan")
        coefs.append({"term": term, "estimate": est, "se": se, "z": z,
                      "pvalue": float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan,
                      "ci_lower": est - q * se, "ci_upper": est + q * se,
                      "std_all": float(r["std_all"])})
    coefficients = pd.DataFrame(coefs, columns=["term", "estimate", "se", "z", "pvalue",
                                                "ci_lower", "ci_upper", "std_all"])
    b1, b1_se = coefs[0]["estimate"], coefs[0]["se"]
    b2, b2_se = coefs[1]["estimate"], coefs[1]["se"]
    phi = float(row("X", "~~", "X")["est"])
    sd_x = float(np.sqrt(phi)) if phi > 0 else float("nan")
    lo, lo_se = defined(_LB["lo"])
    hi, hi_se = defined(_LB["hi"])
    z_lo = lo / lo_se if lo_se > 0 else float("nan")
    z_hi = hi / hi_se if hi_se > 0 else float("nan")
    # Lind & Mehlum: inverted U = positive slope at the low end AND negative at the high end
    lm_p = float(stats.norm.sf(min(z_lo, -z_hi)))
    u_p = float(stats.norm.sf(min(-z_lo, z_hi)))
    tp, tp_se = defined(_LB["tp"])
    ids = []
    pt = res.partable
    for lab in (_LB["b1"], _LB["b2"]):
        ids.append(int(pt.loc[(pt["label"] == lab) & (pt["xid"] >= 0), "xid"].iloc[0]))
    vcov = np.asarray(res.vcov, dtype=float)[np.ix_(ids, ids)]
    fl_lo, fl_hi = _fieller_turning_point(b1, b2, vcov, q)
    sd_y = _implied_sd(res, y)
    warns = list(res.warnings)
    npd = predictor_cov_warning(p, ["X", "XX", *cs], y, observed=items[cs] if cs else None)
    if npd:
        warns.append(npd)
    xx_var = float(row("XX", "~~", "XX")["est"])
    if not xx_var > 0:
        warns.append("The variance of the latent square XX is not positive; the quadratic "
                     "effect is not identified in these data.")
    ident = check_identification(res, "XX", "square", warns)
    return LatentQuadraticResult(
        x_items=tuple(xs), y_items=tuple(ys), controls=tuple(cs), pairs=tuple(pr),
        match=match, pairs_rule=pairs, estimator=estimator, missing=miss, cluster=cluster,
        nclusters=res.nclusters if cluster is not None else None, n=int(res.n["total"]),
        level=float(level), range_sd=float(range_sd), b1=b1, b1_se=b1_se, b2=b2, b2_se=b2_se,
        b2_pvalue=float(coefs[1]["pvalue"]),
        std_b2=float(b2 * phi / sd_y) if np.isfinite(sd_y) and phi > 0 else float("nan"),
        phi_x=phi,
        slope_lo=MappingProxyType({"at": -range_sd * sd_x, "estimate": lo, "se": lo_se,
                                   "z": z_lo}),
        slope_hi=MappingProxyType({"at": range_sd * sd_x, "estimate": hi, "se": hi_se,
                                   "z": z_hi}),
        lm_pvalue=lm_p, u_pvalue=u_p, turning_point=tp, tp_se=tp_se,
        tp_ci_lower=tp - q * tp_se, tp_ci_upper=tp + q * tp_se,
        tp_fieller_lower=fl_lo, tp_fieller_upper=fl_hi,
        turning_point_sd=tp / sd_x if np.isfinite(sd_x) else float("nan"),
        coefficients=coefficients,
        fit=MappingProxyType({k: _fit_value(k, res.fit[k]) for k in FIT_KEYS if k in res.fit}),
        converged=bool(res.converged), warnings=tuple(warns), syntax=syntax, sem=res,
        identification=ident)
