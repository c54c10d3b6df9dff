"""Latent interaction by product indicators with double-mean-centring.

The latent alternative to moderated regression on composite scores
(:func:`analysis.stats.regression.moderation`): the focal predictor X, the moderator
Z and the outcome Y are latent variables measured by their items, and the
latent product XZ is measured by products of X and Z items.  Measurement error
no longer attenuates the interaction, which moderated regression on composites
does (Busemeyer & Jones 1983).

Steps of :func:`latent_interaction`
-----------------------------------
1. **Pairs** (:func:`match_pairs`).  Matched pairs (Marsh, Wen & Hau 2004):
   every item is used in at most one product, so no two products share an
   indicator.  With ``k = min(len(x_items), len(z_items))`` products, the
   longer list contributes only its ``k`` best items (the first-order factors
   still keep *all* their items).  The items of each list are ranked by

   * ``match="item_rest"`` (default): the item-rest correlation, i.e. the
     correlation of the item with the sum of the other items of its list
     (pairwise-complete cases), highest first; ties keep the given order;
   * ``match="loading"``: the standardised loading in a CFA of the X and Z
     items (two correlated factors, ML, listwise), highest first;
   * ``match="order"``: the order given (semTools ``indProd(match = TRUE)``).

   The i-th ranked X item is paired with the i-th ranked Z item, so the most
   reliable items are multiplied together.  ``pairs="all"`` forms all
   ``len(x) * len(z)`` products instead; products sharing an item then get a
   free residual covariance (Marsh et al. 2004).
2. **Double-mean-centring** (:func:`product_indicators`; Lin, Wen, Marsh & Lin
   2010): centre each item at its mean, multiply, centre each product at its
   mean (available cases, as semTools).  The model then needs no mean
   structure and no nonlinear constraints.
3. **Model**: ``X =~ x items``, ``Z =~ z items``, ``XZ =~ products``,
   ``Y =~ y items`` (a single ``y`` item is used as an observed outcome),
   ``Y ~ bx*X + bz*Z + bxz*XZ + controls``; X, Z, XZ (and the controls) covary
   freely.  The items of X and Z enter in their ranked order, so the marker
   items (first loading fixed at 1) are the best-ranked X and Z items and the
   marker of XZ is their product; ``bxz`` is then in the metric of the marker
   items (a product indicator whose items are not the markers would rescale it).  Fitted with :func:`analysis.sem.sem` (ML or MLR).
4. **Simple slopes** of X at Z = -1 SD, 0 (the mean) and +1 SD of the latent Z:
   ``bx + w * bxz * sqrt(phi_Z)`` with ``w`` in {-1, 0, 1}, as ``:=``
   parameters, so that the delta-method SE includes the sampling variance of
   the latent variance ``phi_Z``.
5. **Standardised interaction** (Wen, Marsh & Hau 2010):
   ``bxz * sqrt(phi_X * phi_Z) / sd(Y)``, with ``sd(Y)`` the model-implied SD
   of Y; lavaan's ``std.all`` of the path (which uses ``sd(XZ)`` instead) is
   given as well.

References
----------
Lin, G.-C., Wen, Z., Marsh, H. W., & Lin, H.-S. (2010). Structural equation
models of latent interactions: Clarification of orthogonalizing and
double-mean-centering strategies. *Structural Equation Modeling*, 17, 374-391.
Marsh, H. W., Wen, Z., & Hau, K.-T. (2004). Structural equation models of
latent interactions: Evaluation of alternative estimation strategies and
indicator construction. *Psychological Methods*, 9, 275-300.
Wen, Z., Marsh, H. W., & Hau, K.-T. (2010). Structural equation models of
latent interactions: An appropriate standardized solution and its scale-free
properties. *Structural Equation Modeling*, 17, 1-22.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError, EstimationError, ModelSpecificationError, clip

#: Names of the latent variables in the generated model syntax.
LATENT_NAMES = ("X", "Z", "XZ", "Y")
MATCH_RULES = ("item_rest", "loading", "order")
#: Fit measures copied into the result (lavaan names with ``.`` -> ``_``).
FIT_KEYS = ("npar", "ntotal", "chisq", "df", "pvalue", "chisq_scaled", "df_scaled",
            "pvalue_scaled", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr",
            "cfi_robust", "tli_robust", "rmsea_robust", "aic", "bic")
SLOPE_LEVELS = (("-1 SD", -1.0), ("mean", 0.0), ("+1 SD", 1.0))
_LABELS = {"bx": "li_bx", "bz": "li_bz", "bxz": "li_bxz", "phix": "li_phix",
           "phiz": "li_phiz"}
_SLOPE_LABELS = {"-1 SD": "li_slope_lo", "mean": "li_slope_mid", "+1 SD": "li_slope_hi"}


# --------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------
def _names(items: Sequence[str] | str, what: str) -> list[str]:
    if isinstance(items, str):
        items = [items]
    # a number or None ended in "'int' object is not iterable"; numbers as names were
    # turned into text ('1') and then said to be missing from the data
    if isinstance(items, Mapping) or not isinstance(items, Iterable):
        raise ModelSpecificationError(
            f"{what} must be a list of column names, not {type(items).__name__} "
            f"{clip(items)}.")
    items = list(items)
    odd = next((v for v in items if not isinstance(v, str)), None)
    if odd is not None:
        raise ModelSpecificationError(
            f"{what} must name columns by text; it holds {type(odd).__name__} {clip(odd)}.")
    out = list(items)
    if len(set(out)) != len(out):
        raise ModelSpecificationError(f"{what} lists an item twice: {', '.join(out)}.")
    return out


def _numeric(data: pd.DataFrame, columns: Sequence[str], what: str) -> pd.DataFrame:
    from analysis.io import numeric_columns

    out = numeric_columns(data, columns, what)
    for c in out.columns:
        col = out[c]
        if col.notna().sum() < 2:
            raise DataError(f"{what}: column {c!r} has fewer than two observed values.")
        if not float(col.std(ddof=1)) > 0:
            raise DataError(f"{what}: column {c!r} is constant; drop it from the items.")
    return out


# --------------------------------------------------------------------------------------
# pairs and product indicators
# --------------------------------------------------------------------------------------
def item_rest_correlations(data: pd.DataFrame, items: Sequence[str]) -> pd.Series:
    """Correlation of each item with the sum of the other items (pairwise-complete).

    Parameters
    ----------
    data : DataFrame
        Numeric item columns.
    items : sequence of str
        At least two items.

    Returns
    -------
    Series
        Indexed by item.

    # In R: psych::alpha(items)$item.stats$r.drop (complete data)
    """
    names = _names(items, "items=")
    if len(names) < 2:
        raise ModelSpecificationError("Item-rest correlations need at least two items.")
    x = _numeric(data, names, "item_rest_correlations")
    out = {}
    for c in names:
        rest = x.drop(columns=c).sum(axis=1, min_count=len(names) - 1)
        out[c] = float(x[c].corr(rest))
    return pd.Series(out, name="item_rest_r")


def _rank(scores: Mapping[str, float], items: list[str]) -> list[str]:
    # highest first; NaN last; ties keep the given order (stable sort)
    key = [(-scores[c] if np.isfinite(scores[c]) else np.inf, i) for i, c in enumerate(items)]
    return [items[i] for _, i in sorted(key)]


def _cfa_loadings(x: pd.DataFrame, x_items: list[str], z_items: list[str]) -> dict[str, float]:
    from analysis.sem import cfa

    model = (f"X =~ {' + '.join(x_items)}\n"
             f"Z =~ {' + '.join(z_items)}\n")
    res = cfa(model, x[x_items + z_items], estimator="ML", missing="listwise")
    p = res.params
    lam = p[p["op"] == "=~"]
    return {r.rhs: float(r.std_all) for r in lam.itertuples()}


def rank_items(
    data: pd.DataFrame,
    x_items: Sequence[str],
    z_items: Sequence[str],
    *,
    match: str = "item_rest",
) -> tuple[list[str], list[str]]:
    """The X and the Z items ranked by ``match`` (best first; see :func:`match_pairs`)."""
    xs, zs = _names(x_items, "x_items="), _names(z_items, "z_items=")
    if len(xs) < 2 or len(zs) < 2:
        raise ModelSpecificationError(
            f"A latent interaction needs at least two items for X and for Z (got {len(xs)} "
            f"and {len(zs)}).")
    overlap = sorted(set(xs) & set(zs))
    if overlap:
        raise ModelSpecificationError(
            f"x_items= and z_items= share item(s): {', '.join(overlap)}.")
    if match not in MATCH_RULES:
        raise ModelSpecificationError(
            f"match={match!r} is not known; use one of {', '.join(MATCH_RULES)}.")
    x = _numeric(data, xs + zs, "match_pairs")
    if match == "order":
        return xs, zs
    if match == "item_rest":
        return (_rank(item_rest_correlations(x, xs).to_dict(), xs),
                _rank(item_rest_correlations(x, zs).to_dict(), zs))
    lam = _cfa_loadings(x, xs, zs)
    return _rank(lam, xs), _rank(lam, zs)


def match_pairs(
    data: pd.DataFrame,
    x_items: Sequence[str],
    z_items: Sequence[str],
    *,
    match: str = "item_rest",
    pairs: str = "matched",
) -> tuple[tuple[str, str], ...]:
    """The (x item, z item) pairs whose products measure the latent interaction.

    Parameters
    ----------
    data : DataFrame
        The item columns (numeric).
    x_items, z_items : sequence of str
        Items of the focal predictor and the moderator (at least two each).
    match : {"item_rest", "loading", "order"}
        How the items are ranked before pairing (see the module docstring):
        item-rest correlation, standardised CFA loading, or the given order.
    pairs : {"matched", "all"}
        ``"matched"``: ``min(len(x_items), len(z_items))`` pairs, i-th best with
        i-th best, no item used twice; ``"all"``: every combination (ranking
        ignored, given order).

    Returns
    -------
    tuple of (str, str)

    # In R: semTools::indProd(data, var1, var2, match = TRUE) pairs var1[i] with
    # var2[i] for lists of equal length; the ranking here picks var1/var2.
    """
    if pairs not in ("matched", "all"):
        raise ModelSpecificationError(f"pairs={pairs!r} is not known; use 'matched' or 'all'.")
    if pairs == "all":
        xs, zs = rank_items(data, x_items, z_items, match="order")
        return tuple((a, b) for a in xs for b in zs)
    rx, rz = rank_items(data, x_items, z_items, match=match)
    k = min(len(rx), len(rz))
    return tuple(zip(rx[:k], rz[:k], strict=True))


def product_name(x_item: str, z_item: str) -> str:
    """Column name of the product of two items (``x.z``, as semTools)."""
    return f"{x_item}.{z_item}"


def product_indicators(
    data: pd.DataFrame,
    pairs: Sequence[tuple[str, str]],
    *,
    double_centre: bool = True,
) -> pd.DataFrame:
    """Products of mean-centred items, centred again (double-mean-centring).

    Parameters
    ----------
    data : DataFrame
        The item columns (numeric; missing values allowed).
    pairs : sequence of (str, str)
        From :func:`match_pairs`.
    double_centre : bool
        Centre the products at their means (Lin et al. 2010); ``False`` leaves
        the products of the centred items as they are (mean centring only).

    Returns
    -------
    DataFrame
        One column per pair, named ``"x_item.z_item"``, same index as ``data``.
        Means are taken over the available cases of each column; a product is
        missing when either item is.

    # In R: semTools::indProd(data, var1, var2, match = TRUE, meanC = TRUE,
    #                         doubleMC = TRUE)
    """
    if not pairs:
        raise ModelSpecificationError("pairs= is empty.")
    cols = list(dict.fromkeys(c for p in pairs for c in p))
    x = _numeric(data, cols, "product_indicators")
    centred = x - x.mean(axis=0)
    out = pd.DataFrame(index=data.index)
    for a, b in pairs:
        prod = centred[a] * centred[b]
        out[product_name(a, b)] = prod - prod.mean() if double_centre else prod
    return out


# --------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------
def interaction_syntax(
    x_items: Sequence[str],
    z_items: Sequence[str],
    y_items: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    *,
    controls: Sequence[str] = (),
) -> str:
    """lavaan syntax of the product-indicator model (see the module docstring)."""
    prods = [product_name(a, b) for a, b in pairs]
    lb = _LABELS
    y = y_items[0] if len(y_items) == 1 else "Y"
    lines = [f"X =~ {' + '.join(x_items)}", f"Z =~ {' + '.join(z_items)}",
             f"XZ =~ {' + '.join(prods)}"]
    if len(y_items) > 1:
        lines.append(f"Y =~ {' + '.join(y_items)}")
    rhs = [f"{lb['bx']}*X", f"{lb['bz']}*Z", f"{lb['bxz']}*XZ", *controls]
    lines.append(f"{y} ~ {' + '.join(rhs)}")
    lines += [f"X ~~ {lb['phix']}*X", f"Z ~~ {lb['phiz']}*Z"]
    for c in controls:  # controls correlate with the latent predictors (not lavaan's default)
        lines += [f"X ~~ {c}", f"Z ~~ {c}", f"XZ ~~ {c}"]
    # all-pairs products sharing an item: correlated residuals (Marsh et al. 2004)
    for i in range(len(pairs)):
        for j in range(i + 1, len(pairs)):
            if set(pairs[i]) & set(pairs[j]):
                lines.append(f"{prods[i]} ~~ {prods[j]}")
    for lev, w in SLOPE_LEVELS:
        term = "" if w == 0 else f" {'+' if w > 0 else '-'} {lb['bxz']}*sqrt({lb['phiz']})"
        lines.append(f"{_SLOPE_LABELS[lev]} := {lb['bx']}{term}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class LatentInteractionResult:
    """Result of :func:`latent_interaction` (all numbers unrounded).

    Attributes
    ----------
    x_items, z_items, y_items, controls : tuple of str
        Indicators of X, Z, Y (X and Z items in ranked order, the first being
        the marker) and the observed covariates of Y.
    pairs : tuple of (str, str)
        The (x item, z item) pairs of the product indicators.
    match, pairs_rule : str
        The pairing rule (``match=``) and ``"matched"`` / ``"all"``.
    estimator, missing : str
    n : int
        Cases used by the fit.
    level : float
        Confidence level of the intervals.
    estimate, se, zvalue, pvalue, ci_lower, ci_upper : float
        The latent interaction ``Y ~ XZ`` (metric of the marker items).
    std_all : float
        lavaan's ``std.all`` of ``Y ~ XZ`` (uses the SD of the latent product).
    std_interaction : float
        Wen, Marsh & Hau (2010): ``bxz * sqrt(phi_X * phi_Z) / sd(Y)``.
    coefficients : DataFrame
        The regressions of Y: ``term, estimate, se, z, pvalue, ci_lower,
        ci_upper, std_all``.
    simple_slopes : DataFrame
        ``level`` ("-1 SD", "mean", "+1 SD"), ``moderator`` (the latent Z
        value, 0 = mean), then ``estimate, se, z, pvalue, ci_lower, ci_upper``
        (delta method, including the sampling variance of ``phi_Z``).
    latent_variances : mapping
        ``X``, ``Z``, ``XZ`` and the residual variance of ``Y``.
    fit : mapping
        Fit measures (:data:`FIT_KEYS`) named as lavaan with ``.`` -> ``_``.
    converged : bool
    warnings : tuple of str
    syntax : str
        The lavaan model syntax that was fitted.
    sem : SEMResult
        The fitted model (not part of ``to_dict``).
    cluster : str or None
        The cluster column of cluster-robust SEs (None: rows treated as independent).
    nclusters : int or None
    identification : mapping
        :func:`empirical_identification` of the latent product at the solution.
    """

    x_items: tuple[str, ...]
    z_items: tuple[str, ...]
    y_items: tuple[str, ...]
    controls: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    match: str
    pairs_rule: str
    estimator: str
    missing: str
    n: int
    level: float
    estimate: float
    se: float
    zvalue: float
    pvalue: float
    ci_lower: float
    ci_upper: float
    std_all: float
    std_interaction: float
    coefficients: pd.DataFrame
    simple_slopes: pd.DataFrame
    latent_variances: Mapping[str, float]
    fit: Mapping[str, float]
    converged: bool
    warnings: tuple[str, ...]
    syntax: str
    sem: Any = field(default=None, repr=False, compare=False)
    cluster: str | None = None
    nclusters: int | None = None
    identification: Mapping[str, Any] = field(default_factory=dict)

    @property
    def identified(self) -> bool:
        """Whether the latent product is identified in the data
        (:func:`empirical_identification`)."""
        return bool(self.identification.get("identified", True))

    @property
    def interaction(self) -> dict[str, float]:
        """The interaction row as a dict (``estimate, se, z, pvalue, ci_lower, ci_upper``)."""
        return {"estimate": self.estimate, "se": self.se, "z": self.zvalue,
                "pvalue": self.pvalue, "ci_lower": self.ci_lower, "ci_upper": self.ci_upper,
                "std_all": self.std_all, "std_interaction": self.std_interaction}

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: the interaction and the three simple slopes, one row each.

        Columns ``quantity, estimate, se, z, pvalue, ci_lower, ci_upper``.
        """
        rows = [{"quantity": "interaction", **{k: v for k, v in self.interaction.items()
                                                if k not in ("std_all", "std_interaction")}}]
        for r in self.simple_slopes.itertuples():
            rows.append({"quantity": f"simple slope at {r.level}", "estimate": r.estimate,
                         "se": r.se, "z": r.z, "pvalue": r.pvalue, "ci_lower": r.ci_lower,
                         "ci_upper": r.ci_upper})
        return pd.DataFrame(rows, columns=["quantity", "estimate", "se", "z", "pvalue",
                                           "ci_lower", "ci_upper"])

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready after :func:`analysis.io.jsonable`; NaN kept as NaN)."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]

        return {
            "method": "product indicators, double-mean-centring",
            "x_items": list(self.x_items), "z_items": list(self.z_items),
            "y_items": list(self.y_items), "controls": list(self.controls),
            "pairs": [list(p) for p in self.pairs], "match": self.match,
            "pairs_rule": self.pairs_rule, "estimator": self.estimator,
            "missing": self.missing, "n": int(self.n), "level": float(self.level),
            "estimate": self.estimate, "se": self.se, "z": self.zvalue, "pvalue": self.pvalue,
            "ci_lower": self.ci_lower, "ci_upper": self.ci_upper, "std_all": self.std_all,
            "std_interaction": self.std_interaction,
            "coefficients": records(self.coefficients),
            "simple_slopes": records(self.simple_slopes),
            "latent_variances": dict(self.latent_variances), "fit": dict(self.fit),
            "converged": bool(self.converged), "warnings": list(self.warnings),
            "syntax": self.syntax, "cluster": self.cluster, "nclusters": self.nclusters,
            "identification": identification_record(self.identification),
        }


def latent_interaction(
    data: pd.DataFrame,
    x_items: Sequence[str],
    z_items: Sequence[str],
    y_items: Sequence[str],
    *,
    controls: Sequence[str] = (),
    estimator: str = "MLR",
    missing: str = "listwise",
    match: str = "item_rest",
    pairs: str = "matched",
    level: float = 0.95,
    cluster: str | None = None,
) -> LatentInteractionResult:
    """Latent interaction X x Z -> Y by double-mean-centred product indicators.

    Parameters
    ----------
    data : DataFrame
        Item columns (numeric, reverse-keyed as they should enter the model)
        and the control variables.
    x_items, z_items : sequence of str
        Indicators of the focal predictor X and the moderator Z (>= 2 each).
    y_items : sequence of str
        Indicators of the outcome Y (>= 1; one item is used as an observed outcome).
    controls : sequence of str
        Observed covariates of Y.  They get free covariances with X, Z and XZ
        (lavaan's default would leave latent predictors uncorrelated with
        ``fixed.x`` covariates), so they are modelled like lavaan does then
        (``fixed.x = FALSE``: their variances are estimated).
    estimator : {"MLR", "ML"}
        MLR (default): robust (Huber-White) SEs and the Yuan-Bentler scaled
        test, which products of indicators (never normal) need.
    missing : {"listwise", "ml"}
        Listwise deletion (default, as lavaan) or FIML (``"ml"``/``"fiml"``).
    match : {"item_rest", "loading", "order"}
        Ranking of the items before pairing (:func:`match_pairs`).
    pairs : {"matched", "all"}
        Matched pairs (default) or all products.
    level : float
        Confidence level of the Wald intervals.
    cluster : str, optional
        Column of cluster ids (e.g. the alliance both members of a dyad answer about):
        cluster-robust SEs and scaled test (lavaan's ``cluster=``, MLR only).  Every row
        needs an id; give a row without one an id of its own.

    Returns
    -------
    LatentInteractionResult

    Raises
    ------
    DataError
        Missing or non-numeric columns, constant items, too few complete cases.
    ModelSpecificationError
        Too few items, an item used twice, unknown options, names clashing
        with the latent variables ``X, Z, XZ, Y``.
    EstimationError
        The model did not converge (the message says so; nothing is returned).

    Notes
    -----
    The simple slope of X at moderator value ``w`` SDs of the latent Z is
    ``bx + w * bxz * sqrt(phi_Z)``; its SE is the delta-method SE from the
    covariance matrix of ``(bx, bxz, phi_Z)`` (robust with MLR).

    Examples
    --------
    >>> res = latent_interaction(hs, ["x1", "x2", "x3"], ["x4", "x5", "x6"],
    ...                          ["x7", "x8", "x9"], match="order")  # doctest: +SKIP
    >>> res.to_frame()                                                # doctest: +SKIP

    # In R:
    # d <- semTools::indProd(hs, c("x1","x2","x3"), c("x4","x5","x6"),
    #                        match = TRUE, meanC = TRUE, doubleMC = TRUE)
    # fit <- lavaan::sem("X =~ x1+x2+x3; Z =~ x4+x5+x6; XZ =~ x1.x4+x2.x5+x3.x6
    #                     Y =~ x7+x8+x9; Y ~ bx*X + bz*Z + bxz*XZ; Z ~~ phiz*Z
    #                     lo := bx - bxz*sqrt(phiz); hi := bx + bxz*sqrt(phiz)",
    #                    data = d, estimator = "MLR")
    # (semTools::probe2WayMC(fit, c("X","Z","XZ"), "Y", "Z", c(-1, 0, 1)) gives the
    # slopes at fixed Z values without the phi_Z part of the SE.)
    """
    from scipy import stats

    from analysis.sem import sem

    if estimator not in ("ML", "MLR"):
        raise ModelSpecificationError(f"estimator={estimator!r} is not known; use 'MLR' or 'ML'.")
    miss = {"listwise": "listwise", "ml": "ml", "fiml": "ml"}.get(missing)
    if miss is None:
        raise ModelSpecificationError(
            f"missing={missing!r} is not known; use 'listwise' or 'ml' (FIML).")
    if not 0 < float(level) < 1:
        raise ModelSpecificationError(f"level= must be in (0, 1) (got {level!r}).")
    xs, zs = _names(x_items, "x_items="), _names(z_items, "z_items=")
    ys, cs = _names(y_items, "y_items="), _names(controls, "controls=")
    if not ys:
        raise ModelSpecificationError("y_items= is empty; the outcome needs at least one item.")
    seen = _roles({"x_items": xs, "z_items": zs, "y_items": ys, "controls": cs}, LATENT_NAMES)
    if not isinstance(data, pd.DataFrame):
        raise DataError("latent_interaction: data= must be a pandas DataFrame.")
    _check_cluster(data, cluster, estimator, seen, "latent_interaction")
    items = _numeric(data, xs + zs + ys + cs, "latent_interaction")
    if pairs not in ("matched", "all"):
        raise ModelSpecificationError(f"pairs={pairs!r} is not known; use 'matched' or 'all'.")
    # the best-ranked items become the markers of X and Z, their product that of XZ
    xs, zs = rank_items(items, xs, zs, match=match if pairs == "matched" else "order")
    pr = match_pairs(items, xs, zs, match="order", pairs=pairs)
    prods = product_indicators(items, pr)
    clash = [c for c in prods.columns if c in items.columns]
    if clash:
        raise ModelSpecificationError(
            f"Product name(s) {', '.join(clash)} clash with columns of data=.")
    frame = pd.concat([items, prods], axis=1)
    n_complete = int(frame.notna().all(axis=1).sum())
    if miss == "listwise" and n_complete < 10:
        raise DataError(f"latent_interaction: only {n_complete} complete cases; at least 10 "
                        "are needed (or use missing='ml').")
    if cluster is not None:
        frame[cluster] = data[cluster].to_numpy()
    syntax = interaction_syntax(xs, zs, ys, pr, controls=cs)
    res = sem(syntax, frame, estimator=estimator, missing=miss, fixed_x=not cs,
              cluster=cluster)
    if not res.converged:
        raise EstimationError(
            "The latent interaction model did not converge (product indicators, "
            f"{len(pr)} pairs, n = {res.n['total']}); no estimate is reported.")
    return _result(res, xs, zs, ys, cs, pr, match, pairs, estimator, miss, float(level),
                   syntax, stats, cluster, observed=items[cs] if cs else None)


def _roles(groups: dict[str, list[str]], reserved: Sequence[str]) -> dict[str, str]:
    """``{variable: argument}`` for the variables of a product-indicator model; a variable
    named in two arguments, or named like one of the model's latent variables, raises."""
    seen: dict[str, str] = {}
    for what, names in groups.items():
        for v in names:
            if v in seen:
                raise ModelSpecificationError(f"{v!r} is in both {seen[v]}= and {what}=.")
            seen[v] = what
            if v in reserved:
                raise ModelSpecificationError(
                    f"The name {v!r} ({what}=) is reserved for a latent variable; rename it.")
    return seen


def _check_cluster(data: pd.DataFrame, cluster: str | None, estimator: str,
                   used: Mapping[str, str], what: str) -> None:
    """Refuse a cluster column that is absent, doubles as a model variable, or has gaps."""
    if cluster is None:
        return
    if estimator != "MLR":
        raise ModelSpecificationError("cluster= needs estimator='MLR' (cluster-robust SEs).")
    if cluster not in data.columns:
        raise DataError(f"{what}: cluster column {cluster!r} is not in data=.")
    if cluster in used:
        raise ModelSpecificationError(f"cluster={cluster!r} is also an item or control.")
    n_missing = int(data[cluster].isna().sum())
    if n_missing:
        # lavaan would pool all rows without an id into one cluster
        raise DataError(f"{what}: {n_missing} row(s) have no {cluster!r}; give each such "
                        "row an id of its own.")


def _result(res, xs, zs, ys, cs, pr, match, pairs, estimator, miss, level, syntax, stats,
            cluster=None, observed=None):
    p = res.params
    q = float(stats.norm.ppf(0.5 + level / 2))
    y = ys[0] if len(ys) == 1 else "Y"

    def row(lhs: str, op: str, rhs: str) -> pd.Series:
        r = p[(p["lhs"] == lhs) & (p["op"] == op) & (p["rhs"] == rhs)]
        if r.empty:  # pragma: no cover - the syntax always has these rows
            raise EstimationError(f"The fitted model has no row {lhs} {op} {rhs}.")
        return r.iloc[0]

    def stat(est: float, se: float) -> dict[str, float]:
        with np.errstate(all="ignore"):
            z = est / se if se > 0 else float("nan")
        return {"estimate": est, "se": se, "z": z,
                "pvalue": float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else float("nan"),
                "ci_lower": est - q * se, "ci_upper": est + q * se}

    coefs = []
    for term in ["X", "Z", "XZ", *cs]:
        r = row(y, "~", term)
        coefs.append({"term": term, **stat(float(r["est"]), float(r["se"])),
                      "std_all": float(r["std_all"])})
    coefficients = pd.DataFrame(coefs, columns=["term", "estimate", "se", "z", "pvalue",
                                                "ci_lower", "ci_upper", "std_all"])
    inter = coefs[2]
    var = {v: float(row(v, "~~", v)["est"]) for v in ("X", "Z", "XZ")}
    var["Y_residual"] = float(row(y, "~~", y)["est"])
    slopes = []
    for lev, w in SLOPE_LEVELS:
        r = p[(p["op"] == ":=") & (p["lhs"] == _SLOPE_LABELS[lev])].iloc[0]
        slopes.append({"level": lev, "moderator": w * float(np.sqrt(max(var["Z"], 0.0))),
                       **stat(float(r["est"]), float(r["se"]))})
    simple = pd.DataFrame(slopes, columns=["level", "moderator", "estimate", "se", "z",
                                           "pvalue", "ci_lower", "ci_upper"])
    sd_y = _implied_sd(res, y)
    with np.errstate(all="ignore"):
        std_int = float(inter["estimate"] * np.sqrt(var["X"] * var["Z"]) / sd_y) \
            if var["X"] > 0 and var["Z"] > 0 else float("nan")
    warns = list(res.warnings)
    npd = predictor_cov_warning(p, ["X", "Z", "XZ", *cs], y, observed=observed)
    if npd:
        warns.append(npd)
    if not var["XZ"] > 0:
        warns.append("The variance of the latent product XZ is not positive; the interaction "
                     "is not identified in these data.")
    ident = check_identification(res, "XZ", "product", warns)
    return LatentInteractionResult(
        x_items=tuple(xs), z_items=tuple(zs), y_items=tuple(ys), controls=tuple(cs),
        pairs=tuple(pr), match=match, pairs_rule=pairs, estimator=estimator, missing=miss,
        n=int(res.n["total"]), level=level, estimate=inter["estimate"], se=inter["se"],
        zvalue=inter["z"], pvalue=inter["pvalue"], ci_lower=inter["ci_lower"],
        ci_upper=inter["ci_upper"], std_all=inter["std_all"], std_interaction=std_int,
        coefficients=coefficients, simple_slopes=simple,
        latent_variances=MappingProxyType(var),
        fit=MappingProxyType({k: _fit_value(k, res.fit[k]) for k in FIT_KEYS if k in res.fit}),
        converged=bool(res.converged), warnings=tuple(warns), syntax=syntax, sem=res,
        cluster=cluster, nclusters=res.nclusters if cluster is not None else None,
        identification=ident)


def _fit_value(key: str, value: Any) -> float | int:
    """Counts (``npar``, ``ntotal``, ``df``) as int when whole, everything else as float."""
    v = float(value)
    if key in ("npar", "ntotal", "df", "df_scaled") and np.isfinite(v) and v.is_integer():
        return int(v)
    return v


def predictor_cov_warning(params: pd.DataFrame, names: Sequence[str], y: str,
                          observed: pd.DataFrame | None = None) -> str | None:
    """A warning when the estimated covariance matrix of the predictors of ``y`` (the
    latent terms and the observed controls) is not positive definite, else None.

    The engine checks the latent covariance matrix alone; with observed controls in the
    model a latent variable and its square (or product) can be so collinear that, with
    the controls, their joint matrix is not positive definite: the coefficients of ``y``
    then run to the hundreds with SEs to match, and ``y``'s explained variance is negative
    (seen with 53 respondents, a ceiling on 5-point items and r(X, XX) = -.999).  Such a
    solution is improper and its estimates are not reported.

    ``observed`` (the data of the observed controls) gives the covariances of two
    controls that the parameter table does not list (the engine keeps the observed
    exogenous block at its sample values).

    # In R: eigen(lavInspect(fit, "cov.all")[names, names])$values
    """
    p = params
    k = len(names)
    cov = np.full((k, k), np.nan)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            r = p[(p["op"] == "~~") & (((p["lhs"] == a) & (p["rhs"] == b))
                                       | ((p["lhs"] == b) & (p["rhs"] == a)))]
            if not r.empty:
                cov[i, j] = float(r["est"].iloc[0])
            elif observed is not None and a in observed.columns and b in observed.columns:
                cov[i, j] = float(observed[[a, b]].cov().iloc[0, 1])
    if not np.isfinite(cov).all():  # a control without a modelled variance: nothing to check
        return None
    low = float(np.linalg.eigvalsh(cov).min())
    if low > 1e-10 * max(float(np.abs(np.diag(cov)).max()), 1.0):
        return None
    diag = np.diag(cov)
    where = f"smallest eigenvalue {low:.3g}"
    if not (diag > 0).all():
        # a correlation with a non-positive variance is no number (it read -1.6e+300)
        i = int(np.argmin(diag))
        where += f"; the variance of {names[i]} is {diag[i]:.3g}"
    else:
        sd = np.sqrt(diag)
        r = cov / np.outer(sd, sd)
        i, j = np.unravel_index(np.argmax(np.abs(r - np.eye(k))), r.shape)
        where += f"; r({names[i]}, {names[j]}) = {r[i, j]:.3f}"
    return (f"The covariance matrix of the predictors of {y} ({', '.join(names)}) is not "
            f"positive definite ({where}): an improper solution, so the effect is not "
            "identified in these data.")


#: Smallest eigenvalue of the correlation matrix of the estimates below which a latent
#: product (or square) counts as not identified in the data: some combination of its
#: parameters is then determined a thousand times less well than the parameters one by
#: one (a squared multiple correlation of about .999 among the estimates), the ridge that
#: a product factor measured by two products, or by products that barely covary, leaves.
EMPIRICAL_ID_TOL = 1e-3


def empirical_identification(res: Any, term: str, *, tol: float = EMPIRICAL_ID_TOL,
                             ) -> dict[str, Any]:
    """Whether the latent ``term`` (``"XZ"``, ``"XX"``) is identified in the data.

    :func:`analysis.sem.sem` refuses a model whose parameters are not identified in
    principle (a singular information matrix).  A product factor can be identified in
    principle and not in the data: its indicators are products of centred items, which
    covary with each other only through the product and with the other variables hardly
    at all (double-mean-centring makes the product uncorrelated with its factors), so
    with two products, or with products whose covariances are near zero, the estimates
    of its variance, loadings and path run along a ridge.  The information matrix at
    the solution then has a direction with almost no information; scale-free, the
    correlation matrix of the estimates (their covariance matrix, robust with MLR,
    scaled to unit diagonal) has an eigenvalue near zero.  The parameters that carry its
    eigenvector are named; when one of them belongs to ``term`` (its variance, a loading,
    a covariance or a path), the term is not identified in these data; a weak direction
    elsewhere (a first-order factor's items) is the measurement model's matter.

    Returns
    -------
    dict
        ``identified`` (bool), ``min_eigenvalue`` (float; NaN without a covariance
        matrix), ``tolerance``, ``parameters`` (the names that carry the weakest
        direction, largest share first); ``checked: False`` when a robust covariance
        matrix rests on no more cases (or clusters) than free parameters and is singular
        for that reason alone.

    # In R: e <- eigen(cov2cor(vcov(fit))); e$values[length(e$values)] and the rows of
    # parameterEstimates() where abs(e$vectors[, ncol(e$vectors)]) > .3
    """
    names = list(res.model.x_names)
    vcov = res.vcov
    out: dict[str, Any] = {"identified": True, "min_eigenvalue": float("nan"),
                           "tolerance": float(tol), "parameters": []}
    if vcov is None:
        return out
    units = res.nclusters or (res.n["total"] if res.estimator == "MLR" else None)
    if units is not None and units <= len(names):
        # a robust covariance matrix summed over no more cases (clusters) than parameters
        # is singular whatever the model: its eigenvalue says nothing about the product
        out["checked"] = False
        return out
    v = np.asarray(vcov, dtype=float)
    sd = np.sqrt(np.diag(v))
    if not (np.isfinite(v).all() and (sd > 0).all()):
        prods = [n for n, s in zip(names, sd, strict=True) if not (np.isfinite(s) and s > 0)]
        out.update(identified=not any(_touches(n, term) for n in prods), parameters=prods)
        return out
    vals, vecs = np.linalg.eigh(v / np.outer(sd, sd))
    w = np.abs(vecs[:, 0])
    involved = [names[i] for i in np.argsort(-w) if w[i] > 0.3]
    out.update(min_eigenvalue=float(vals[0]), parameters=involved)
    if vals[0] < tol and any(_touches(n, term) for n in involved):
        out["identified"] = False
    return out


def _touches(name: str, term: str) -> bool:
    """Whether a parameter name (``lhs op rhs``) is one of the latent ``term``'s own: its
    variance, a loading, a covariance or a path.  The intercepts and residual variances
    of the product indicators are left out: with a mean structure the mean of a squared
    centred item restates that item's variance, a weak direction of the item's own
    measurement, not of the product factor."""
    return term in name.split()


def check_identification(res: Any, term: str, what: str, warns: list[str]
                         ) -> Mapping[str, Any]:
    """:func:`empirical_identification` of ``term`` (read-only), its warning (if any)
    added to ``warns``: the latent product's and the latent square's one step."""
    ident = empirical_identification(res, term)
    warning = identification_warning(ident, term, what)
    if warning:
        warns.append(warning)
    return MappingProxyType(ident)


def identification_record(ident: Mapping[str, Any]) -> dict[str, Any]:
    """``ident`` as the result's JSON-ready dict (its parameter names as a list)."""
    return {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in ident.items()}


def identification_warning(ident: Mapping[str, Any], term: str, what: str) -> str | None:
    """The warning of a latent product or square that is not identified in the data."""
    if ident.get("identified", True):
        return None
    lam = ident.get("min_eigenvalue", float("nan"))
    how = (f"the smallest eigenvalue of the correlation matrix of the estimates is "
           f"{lam:.2g}, below {ident.get('tolerance', EMPIRICAL_ID_TOL):g}"
           if np.isfinite(lam) else "the estimates have no usable standard errors")
    pars = ", ".join(ident.get("parameters", [])[:5])
    return (f"The latent {what} {term} is not identified in these data (empirical "
            f"under-identification): {how}, along {pars}; the data determine only a "
            "combination of these parameters, so the effect is not estimated.")


def _implied_sd(res: Any, y: str) -> float:
    """Model-implied SD of the outcome (latent Y or the observed outcome item)."""
    model = res.model
    if y in model.eta_names:
        veta, _ = model.implied_lv(res.x, 0)
        v = float(veta[model.eta_names.index(y), model.eta_names.index(y)])
    else:
        sigma = model.implied(res.x)[0].sigma
        v = float(sigma[model.ov_names.index(y), model.ov_names.index(y)])
    return float(np.sqrt(v)) if v > 0 else float("nan")
