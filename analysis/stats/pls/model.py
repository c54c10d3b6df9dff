"""PLS-SEM front door: data preparation, higher-order constructs, interactions, PLSc.

:func:`pls` estimates a PLS path model written in lavaan-like syntax (see
:mod:`analysis.stats.pls.syntax`) and returns a frozen :class:`PLSResult`.
The numbers follow seminr 2.3's ``estimate_pls`` (and hence SmartPLS's
defaults): indicators standardised with the ``n - 1`` standard deviation,
path weighting by default, mean replacement of missing values, the
Henseler–Chin (2010) rescaling of interaction scores, and consistent PLS
(Dijkstra & Henseler 2015) for common-factor blocks when ``consistent=True``.

# In R: seminr::estimate_pls(data, measurement_model, structural_model)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError, EstimationError, ModelSpecificationError
from analysis.stats.pls.engine import Layout, estimate_core, paths_from_cor, rho_a
from analysis.stats.pls.syntax import PLSSpec, parse_pls_model

__all__ = ["MissingReport", "PLSResult", "pls", "SCHEMES"]

SCHEMES = ("path", "factor", "centroid")
INTERACTION_METHODS = ("two_stage", "product_indicator", "orthogonal")
HIGHER_ORDER_METHODS = ("two_stage", "embedded")
MISSING_METHODS = ("mean", "listwise")


@dataclass(frozen=True)
class MissingReport:
    """How missing values were handled (said in every output)."""

    method: str
    n_rows: int
    n_used: int
    n_cells_missing: int
    cells_per_item: dict[str, int]
    #: Rows with at least one observed item (a row of mean replacements only adds
    #: nothing but its count); None when not known.
    n_observed: int | None = None

    @property
    def n_cases(self) -> int:
        """Rows that carry data: the rows used, less rows that are mean replacements only."""
        return self.n_used if self.n_observed is None else min(self.n_used, self.n_observed)

    def describe(self) -> str:
        if self.n_cells_missing == 0:
            return f"No missing values; all {self.n_rows} rows used."
        if self.method == "mean":
            return (f"{self.n_cells_missing} missing value(s) replaced by the item mean "
                    f"(seminr's mean replacement); all {self.n_used} rows used.")
        return (f"Listwise deletion: {self.n_rows - self.n_used} of {self.n_rows} rows with "
                f"missing values dropped; {self.n_used} rows used.")


@dataclass(frozen=True)
class Settings:
    scheme: str = "path"
    consistent: bool = False
    interaction: str = "two_stage"
    higher_order: str = "two_stage"
    missing: str = "mean"
    max_iter: int = 300
    tol: float = 1e-7


@dataclass(frozen=True, eq=False)
class PLSResult:
    """Estimates of a PLS path model.

    Attributes
    ----------
    spec : PLSSpec
        The model as written.
    constructs : tuple of str
        Constructs of the (final-stage) structural model.
    weights, loadings : DataFrame (indicator x construct)
        Outer weights (scores have unit variance) and loadings; 0 off-block.
    paths : DataFrame (construct x construct)
        ``paths.loc[j, k]`` is the coefficient of ``j -> k``.
    scores : DataFrame (n x construct)
        Construct scores (interaction scores rescaled as in seminr).
    rsquared : DataFrame
        ``r2`` and ``adj_r2`` per endogenous construct.
    construct_cor : DataFrame
        Construct correlations (disattenuated with PLSc).
    data : DataFrame
        The columns the model used after missing-value treatment, including
        derived indicators (interaction products, first-stage scores).
    first_stage : PLSResult or None
        The first stage of a two-stage higher-order model.
    """

    spec: PLSSpec
    settings: Settings
    constructs: tuple[str, ...]
    modes: dict[str, str]
    blocks: dict[str, tuple[str, ...]]
    weights: pd.DataFrame
    loadings: pd.DataFrame
    paths: pd.DataFrame
    scores: pd.DataFrame
    rsquared: pd.DataFrame
    construct_cor: pd.DataFrame
    rho_a: pd.Series
    reflective: tuple[str, ...]
    iterations: int
    converged: bool
    data: pd.DataFrame
    missing: MissingReport
    first_stage: PLSResult | None = None
    raw_data: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.data)

    @property
    def structural(self) -> list[tuple[str, str]]:
        return [(s, t) for s, t in _stage2_paths(self.spec)]

    @cached_property
    def total_effects(self) -> pd.DataFrame:
        """Total effects ``sum_k B^k`` of the structural model."""
        return pd.DataFrame(total_effects(self.paths.to_numpy()), index=self.paths.index,
                            columns=self.paths.columns)

    @property
    def indirect_effects(self) -> pd.DataFrame:
        """Total indirect effects (total minus direct)."""
        return self.total_effects - self.paths

    def estimates(self) -> pd.DataFrame:
        """Tidy table of paths, loadings, weights and effects (lavaan's operators).

        Columns ``kind, lhs, op, rhs, est``: paths ``target ~ source``, loadings
        ``construct =~ indicator``, weights ``construct <~ indicator``, and
        ``total``/``indirect`` effects as ``target ~ source``.
        """
        return estimate_table(self)

    def reliability(self) -> pd.DataFrame:
        from analysis.stats.pls.quality import reliability

        return reliability(self)

    def summary(self) -> str:
        lines = [f"PLS-SEM ({self.settings.scheme} weighting"
                 + (", consistent PLS" if self.settings.consistent else "")
                 + f"), n = {self.n}, {self.iterations} iterations"
                 + ("" if self.converged else " (NOT converged)") + ".",
                 self.missing.describe(), "", "Paths:"]
        for s, t in self.structural:
            lines.append(f"  {s} -> {t}: {self.paths.loc[s, t]: .4f}")
        lines.append("")
        lines.append("R^2: " + ", ".join(f"{k} {v:.4f}" for k, v in self.rsquared["r2"].items()))
        return "\n".join(lines)


def total_effects(B: np.ndarray) -> np.ndarray:
    """Total effects of a recursive path matrix (also batched on a leading axis)."""
    out = B.copy()
    term = B.copy()
    for _ in range(B.shape[-1]):
        term = term @ B
        if not np.any(term):
            break
        out = out + term
    return out


def estimate_table(res: PLSResult) -> pd.DataFrame:
    rows: list[tuple] = []
    for s, t in res.structural:
        rows.append(("path", t, "~", s, res.paths.loc[s, t]))
    for c in res.constructs:
        for i in res.blocks[c]:
            rows.append(("loading", c, "=~", i, res.loadings.loc[i, c]))
    for c in res.constructs:
        for i in res.blocks[c]:
            rows.append(("weight", c, "<~", i, res.weights.loc[i, c]))
    te, ie = res.total_effects, res.indirect_effects
    for s in res.constructs:
        for t in res.constructs:
            if te.loc[s, t] != 0:
                rows.append(("total", t, "~", s, te.loc[s, t]))
            if ie.loc[s, t] != 0:
                rows.append(("indirect", t, "~", s, ie.loc[s, t]))
    return pd.DataFrame(rows, columns=["kind", "lhs", "op", "rhs", "est"])


# ----------------------------------------------------------------------------------------
# data preparation
# ----------------------------------------------------------------------------------------
def prepare_data(data: Any, items: list[str], missing: str,
                 missing_value: float | None) -> tuple[pd.DataFrame, MissingReport]:
    """Numeric item columns with missing values treated as seminr does."""
    from analysis.io import numeric_columns

    if missing not in MISSING_METHODS:
        raise DataError(f"PLS: missing={missing!r} is not one of {', '.join(MISSING_METHODS)}.")
    X = numeric_columns(data, items, "PLS")
    if missing_value is not None:
        X = X.mask(X == float(missing_value))
    na = X.isna()
    per_item = {c: int(v) for c, v in na.sum().items() if v}
    empty = [c for c in X.columns if na[c].all()]
    if empty:
        raise DataError(f"PLS: item(s) with no observed values: {', '.join(empty)}.")
    if missing == "mean":
        X = X.fillna(X.mean())
    else:
        X = X.dropna()
    report = MissingReport(missing, len(na), len(X), int(na.to_numpy().sum()), per_item,
                           n_observed=int((~na.all(axis=1)).sum()))
    if len(X) < 3:
        raise DataError(f"PLS: only {len(X)} usable rows after {missing} treatment of missing values.")
    sd = X.std(ddof=1)
    const = [c for c in X.columns if not sd[c] > 0]
    if const:
        raise DataError(f"PLS: item(s) without variance cannot be standardised: {', '.join(const)}.")
    return X.reset_index(drop=True), report


def largest_regression(spec: PLSSpec) -> tuple[int, str]:
    """The most predictors of any regression the model runs, and which one it is.

    PLS regresses every endogenous construct on the constructs with a path to it (an
    interaction is one predictor) and every mode B construct on its indicators (the
    weights).  ``(0, "")`` for a model with neither.
    """
    most, what = 0, ""
    for t in dict.fromkeys(t for _, t in spec.paths):
        k = sum(1 for _, b in spec.paths if b == t)
        if k > most:
            most, what = k, f"the paths into {t}"
    for c, mode, ind in spec.blocks:
        if mode == "B" and len(ind) > most:
            most, what = len(ind), f"the mode B weights of {c}"
    return most, what


def minimum_cases(spec: PLSSpec) -> tuple[int, str]:
    """Fewest rows that can estimate the model, and why: each regression needs a
    residual degree of freedom (adjusted R^2 divides by ``n - k - 1``), so
    ``n >= k + 2`` for the largest ``k`` of :func:`largest_regression`."""
    k, what = largest_regression(spec)
    return k + 2, f"{what} ({k} predictor(s)) need at least {k + 2}"


def _standardise(X: pd.DataFrame) -> pd.DataFrame:
    return (X - X.mean()) / X.std(ddof=1)


# ----------------------------------------------------------------------------------------
# model stages
# ----------------------------------------------------------------------------------------
def _stage2_paths(spec: PLSSpec) -> list[tuple[str, str]]:
    return list(spec.paths)


def _first_stage_spec(spec: PLSSpec, method: str) -> PLSSpec:
    """The lower-order model of a two-stage higher-order construct estimate."""
    hocs = set(spec.higher_order)
    names = set(spec.constructs)
    blocks = []
    for c, m, ind in spec.blocks:
        if c not in hocs:
            blocks.append((c, m, ind))
        elif method == "embedded":
            rep: list[str] = []
            for d in ind:
                rep.extend(i for i in spec.block(d)[2] if i not in rep)
            blocks.append((c, m, tuple(rep)))
    paths: list[tuple[str, str]] = []
    for s, t in spec.paths:
        if ":" in s:
            continue
        if method == "two_stage":
            src = spec.block(s)[2] if s in hocs else (s,)
            tgt = spec.block(t)[2] if t in hocs else (t,)
            paths.extend((a, b) for a in src for b in tgt if (a, b) not in paths)
        elif (s, t) not in paths:
            paths.append((s, t))
    if method == "embedded":
        for c, m, ind in spec.blocks:
            if c in hocs:
                for d in ind:
                    p = (c, d) if m == "A" else (d, c)
                    if p not in paths:
                        paths.append(p)
    del names
    return PLSSpec(tuple(blocks), tuple(paths))


def _interaction_columns(name: str, spec: PLSSpec, X: pd.DataFrame, method: str,
                         settings: Settings) -> pd.DataFrame:
    a, b = name.split(":")
    ia, ib = list(spec.block(a)[2]), list(spec.block(b)[2])
    if method == "two_stage":
        base = PLSSpec(spec.blocks, tuple(p for p in spec.paths if ":" not in p[0]))
        first = _estimate_plain(base, X, Settings(**{**settings.__dict__, "consistent": False}))
        col = first.scores[a] * first.scores[b]
        return pd.DataFrame({f"{name}_intxn": col.to_numpy()})
    Za, Zb = _standardise(X[ia]), _standardise(X[ib])
    out = {}
    for i in ia:
        for j in ib:
            out[f"{i}*{j}"] = (Za[i] * Zb[j]).to_numpy()
    P = pd.DataFrame(out)
    if method == "orthogonal":
        D = np.column_stack([np.ones(len(X)), X[ia + ib].to_numpy()])
        coef, *_ = np.linalg.lstsq(D, P.to_numpy(), rcond=None)
        P = pd.DataFrame(P.to_numpy() - D @ coef, columns=P.columns)
    return P


def _estimate_plain(spec: PLSSpec, X: pd.DataFrame, settings: Settings,
                    missing: MissingReport | None = None,
                    first_stage: PLSResult | None = None,
                    raw: pd.DataFrame | None = None) -> PLSResult:
    """Estimate a model whose blocks are all observed columns of ``X``."""
    constructs = list(spec.structural_constructs)
    blocks = {c: spec.block(c)[2] for c in constructs if ":" not in c}
    modes = {c: spec.block(c)[1] for c in constructs if ":" not in c}
    X = X.copy()
    for name in spec.interactions:
        cols = _interaction_columns(name, spec, X, settings.interaction, settings)
        for c in cols:
            X[c] = cols[c].to_numpy()
        blocks[name] = tuple(cols.columns)
        modes[name] = "A"
    items = list(dict.fromkeys(i for c in constructs for i in blocks[c]))
    Xm = X[items]
    sd = Xm.std(ddof=1)
    bad = [c for c in items if not sd[c] > 0]
    if bad:
        raise DataError(f"PLS: column(s) without variance: {', '.join(bad)}.")
    Z = _standardise(Xm).to_numpy()
    n = Z.shape[0]
    S = Z.T @ Z / (n - 1)
    pos = {c: i for i, c in enumerate(items)}
    adj = np.zeros((len(constructs), len(constructs)))
    cidx = {c: k for k, c in enumerate(constructs)}
    for s, t in spec.paths:
        adj[cidx[s], cidx[t]] = 1.0
    layout = Layout(tuple(np.array([pos[i] for i in blocks[c]]) for c in constructs),
                    tuple(modes[c] for c in constructs), adj, len(items))
    core = estimate_core(S, layout, settings.scheme, settings.max_iter, settings.tol)
    W = core.weights[0]
    if not np.all(np.isfinite(W)):
        raise EstimationError("PLS: the weights are not finite; check for perfectly collinear "
                              "indicators in a mode B block or an unconnected construct.")
    mask = layout.mask
    Y = Z @ W
    L = (S @ W) * mask
    R = W.T @ S @ W
    # Interaction scores are rescaled to the loading-weighted mean standard deviation of
    # their indicators (Henseler & Chin 2010), as seminr does; this changes the
    # unstandardised interaction path and loadings, not R^2.
    scale = np.ones(len(constructs))
    for k, c in enumerate(constructs):
        if ":" in c:
            idx = layout.blocks[k]
            lam = np.abs(L[idx, k])
            scale[k] = float(np.sum(sd.to_numpy()[idx] * lam) / np.sum(lam))
    Y = Y * scale
    L = L * scale
    reflective = tuple(c for c in constructs
                       if settings.consistent and ":" not in c and modes[c] == "A"
                       and len(blocks[c]) > 1)
    rho = rho_a(W[None], S[None], layout)[0]
    if settings.consistent:
        bad = [f"{c} (rho_A = {rho[k]:.3g})" for k, c in enumerate(constructs)
               if c in reflective and not (np.isfinite(rho[k]) and rho[k] > 0)]
        if bad:
            # The correction divides by sqrt(rho_A): without this check the paths, R^2
            # and loadings came out NaN with only a numpy warning (seminr stops with a
            # singular-matrix error).
            raise EstimationError(
                "PLS: consistent PLS cannot correct " + ", ".join(bad) + ". A common factor "
                "needs rho_A above 0; a value at or below 0 means the block's indicators do "
                "not measure one factor (they correlate with each other in the opposite "
                "direction to their weights). Drop an indicator, write the block with '<~', "
                "or estimate without consistent=True.")
        r = np.array([rho[k] if c in reflective else 1.0 for k, c in enumerate(constructs)])
        Rc = R / np.sqrt(np.outer(r, r))
        np.fill_diagonal(Rc, 1.0)
        Bm = paths_from_cor(Rc[None], layout)[0]
        for k, c in enumerate(constructs):
            if c in reflective:
                w = W[layout.blocks[k], k]
                L[layout.blocks[k], k] = w * np.sqrt(rho[k]) / (w @ w)
        Rout = Rc
    else:
        Bm = paths_from_cor(R[None], layout)[0]
        Bm = Bm / scale[:, None]
        Rout = R
    endo = layout.endogenous
    r2, ar2 = [], []
    for k in endo:
        pred = layout.predictors(k)
        v = Rout[np.ix_(pred, [k])][:, 0]
        val = float(v @ np.linalg.solve(Rout[np.ix_(pred, pred)], v))
        r2.append(val)
        ar2.append(1 - (1 - val) * (n - 1) / (n - pred.size - 1))
    rsq = pd.DataFrame({"r2": r2, "adj_r2": ar2}, index=[constructs[k] for k in endo])
    if missing is None:
        missing = MissingReport("mean", n, n, 0, {})
    return PLSResult(
        spec=spec, settings=settings, constructs=tuple(constructs), modes=modes,
        blocks={c: tuple(blocks[c]) for c in constructs},
        weights=pd.DataFrame(W, index=items, columns=constructs),
        loadings=pd.DataFrame(L, index=items, columns=constructs),
        paths=pd.DataFrame(Bm, index=constructs, columns=constructs),
        scores=pd.DataFrame(Y, columns=constructs),
        rsquared=rsq,
        construct_cor=pd.DataFrame(Rout, index=constructs, columns=constructs),
        rho_a=pd.Series(rho, index=constructs, name="rho_a"),
        reflective=reflective, iterations=int(core.iterations[0]),
        converged=bool(core.converged[0]), data=X[items], missing=missing,
        first_stage=first_stage, raw_data=raw)


def _check_settings(settings: Settings) -> None:
    if settings.scheme not in SCHEMES:
        raise ModelSpecificationError(
            f"PLS: scheme={settings.scheme!r} is not one of {', '.join(SCHEMES)}.")
    if settings.interaction not in INTERACTION_METHODS:
        raise ModelSpecificationError(
            f"PLS: interaction={settings.interaction!r} is not one of "
            f"{', '.join(INTERACTION_METHODS)}.")
    if settings.higher_order not in HIGHER_ORDER_METHODS:
        raise ModelSpecificationError(
            f"PLS: higher_order={settings.higher_order!r} is not one of "
            f"{', '.join(HIGHER_ORDER_METHODS)}.")
    if not (isinstance(settings.max_iter, int) and settings.max_iter > 0):
        raise ModelSpecificationError("PLS: max_iter= must be a positive integer.")


def pls(
    data: pd.DataFrame,
    model: str | PLSSpec,
    *,
    consistent: bool = False,
    scheme: str = "path",
    interaction: str = "two_stage",
    higher_order: str = "two_stage",
    missing: str = "mean",
    missing_value: float | None = None,
    max_iter: int = 300,
    tol: float = 1e-7,
) -> PLSResult:
    """Estimate a PLS path model.

    Parameters
    ----------
    data : DataFrame
        Indicator columns (other columns are ignored).
    model : str or PLSSpec
        Lavaan-like syntax: ``F =~ x1 + x2`` (mode A), ``F <~ x1 + x2`` (mode B),
        ``Y ~ F + G + F:G`` (paths; ``F:G`` an interaction).  A block of
        constructs (``H =~ F + G``) is a higher-order construct.
    consistent : bool
        Consistent PLS (PLSc): treat every ``=~`` block with two or more
        indicators as a common factor, disattenuate construct correlations and
        loadings with rho_A (Dijkstra & Henseler 2015).
    scheme : {"path", "factor", "centroid"}
        Inner weighting scheme (seminr's default is path weighting).
    interaction : {"two_stage", "product_indicator", "orthogonal"}
        How an ``A:B`` term is built.
    higher_order : {"two_stage", "embedded"}
        Disjoint two-stage (first stage without the higher-order construct, as
        seminr) or embedded two-stage (first stage with repeated indicators).
    missing : {"mean", "listwise"}
        Mean replacement (seminr's default) or listwise deletion.
    missing_value : float, optional
        A code that marks a missing value (e.g. ``-99``).

    Returns
    -------
    PLSResult

    Raises
    ------
    ModelSpecificationError, DataError, EstimationError
        A ``DataError`` also for fewer rows with data than :func:`minimum_cases`.

    Examples
    --------
    # In R: seminr::estimate_pls(data, constructs(composite("F", c("x1","x2"))), ...)
    """
    spec = model if isinstance(model, PLSSpec) else parse_pls_model(model)
    settings = Settings(scheme, bool(consistent), interaction, higher_order, missing,
                        max_iter, float(tol))
    _check_settings(settings)
    X, report = prepare_data(data, list(spec.items), missing, missing_value)
    need, why = minimum_cases(spec)
    if report.n_cases < need:
        raise DataError(f"PLS: {report.n_cases} row(s) with data; {why}.")
    hocs = spec.higher_order
    if not hocs:
        return _estimate_plain(spec, X, settings, report, raw=X)
    for h in hocs:
        for d in spec.block(h)[2]:
            if d not in spec.constructs:
                raise ModelSpecificationError(
                    f"PLS: higher-order construct {h!r} mixes constructs and items ({d!r}).")
            if spec.block(d)[0] in hocs:
                raise ModelSpecificationError(
                    f"PLS: {h!r} is measured by another higher-order construct; only two "
                    "levels are supported.")
    first_spec = _first_stage_spec(spec, settings.higher_order)
    first = _estimate_plain(first_spec, X, Settings(**{**settings.__dict__, "consistent": False}),
                            report, raw=X)
    X2 = X.copy()
    dims = list(dict.fromkeys(d for h in hocs for d in spec.block(h)[2]))
    for d in dims:
        X2[d] = first.scores[d].to_numpy()
    return _estimate_plain(spec, X2, settings, report, first_stage=first, raw=X)
