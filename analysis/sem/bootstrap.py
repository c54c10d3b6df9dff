"""Nonparametric (case-resampling) bootstrap of SEM estimates and defined parameters.

:func:`bootstrap` resamples cases (within groups for multigroup models), refits the
compiled model warm-started from the full-sample estimate and keeps the estimates of all
free and defined (``:=``) parameters.  Draws that fail or do not converge are excluded and
counted, as lavaan does.  Intervals: percentile (lavaan's ``boot.ci.type = "perc"``, with
boot's interpolation on the normal-quantile scale) and BCa with jackknife acceleration
(Efron 1987).  Every draw has its own random stream spawned from
``numpy.random.SeedSequence(seed)``, so the result is identical whether it runs serially
or in parallel.

The per-draw work is the pure top-level function :func:`run_draws`, a function of
(payload, draw numbers) only, so that other executors (e.g. Dask) can call it.

# In R: lavaan::sem(model, data, se = "bootstrap", bootstrap = R)
#       lavaan::parameterEstimates(fit, boot.ci.type = "perc")
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps
from scipy.linalg.lapack import dpotrf as _dpotrf
from scipy.linalg.lapack import dpotri as _dpotri

from instruments.errors import DataError, EstimationError, ModelSpecificationError

__all__ = [
    "BootstrapPayload",
    "BootstrapResult",
    "bca_interval",
    "bootstrap",
    "bootstrap_params",
    "bootstrap_state",
    "make_payload",
    "norm_inter",
    "run_draws",
]

OK, NOT_CONVERGED, FAILED = 0, 1, 2


# --------------------------------------------------------------------------------------
# interval helpers
# --------------------------------------------------------------------------------------
def norm_inter(t: np.ndarray, alpha: Sequence[float] | np.ndarray) -> np.ndarray:
    """Quantiles of bootstrap draws by interpolation on the normal-quantile scale.

    The ``(R + 1) alpha``-th order statistic, interpolated between neighbours on the
    ``qnorm(k / (R + 1))`` scale; this is what lavaan (and the ``boot`` package) use for
    percentile and BCa endpoints.

    # In R: boot:::norm.inter(t, alpha)
    """
    t = np.sort(np.asarray(t, dtype=float)[np.isfinite(t)])
    alpha = np.atleast_1d(np.asarray(alpha, dtype=float))
    r = t.size
    if r == 0:
        return np.full(alpha.shape, np.nan)
    rk = (r + 1) * alpha
    k = np.trunc(rk).astype(int)
    out = np.empty(alpha.shape)
    for i, (kk, rr, a) in enumerate(zip(k, rk, alpha, strict=True)):
        if kk == rr and 1 <= kk <= r:
            out[i] = t[kk - 1]
        elif kk <= 0:
            out[i] = t[0]
        elif kk >= r:
            out[i] = t[-1]
        else:
            z = sps.norm.ppf(a)
            z1 = sps.norm.ppf(kk / (r + 1))
            z2 = sps.norm.ppf((kk + 1) / (r + 1))
            out[i] = t[kk - 1] + (z - z1) / (z2 - z1) * (t[kk] - t[kk - 1])
    return out


def bca_interval(
    t: np.ndarray, t0: float, jackknife: np.ndarray, level: float = 0.95
) -> tuple[float, float, float, float]:
    """BCa interval from bootstrap draws and jackknife (leave-one-out) estimates.

    Returns ``(lower, upper, z0, acceleration)``.

    Notes
    -----
    ``z0 = qnorm(#(t < t0) / R)``; influence values ``L_i = (n - 1)(mean(jack) - jack_i)``;
    ``a = sum L^3 / (6 (sum L^2)^{3/2})``; endpoints at
    ``pnorm(z0 + (z0 + z) / (1 - a (z0 + z)))`` for ``z = qnorm((1 -/+ level) / 2)``.

    # In R: boot::boot.ci(b, type = "bca")   # with jackknife influence values L
    """
    t = np.asarray(t, dtype=float)
    t = t[np.isfinite(t)]
    jk = np.asarray(jackknife, dtype=float)
    jk = jk[np.isfinite(jk)]
    if t.size == 0 or jk.size < 2 or np.var(t) == 0:
        return float("nan"), float("nan"), float("nan"), float("nan")
    below = int(np.sum(t < t0))
    if below == 0 or below == t.size:  # bias correction undefined (too few draws)
        return float("nan"), float("nan"), float("nan"), float("nan")
    z0 = float(sps.norm.ppf(below / t.size))
    infl = (jk.size - 1) * (jk.mean() - jk)
    denom = 6.0 * np.sum(infl**2) ** 1.5
    a = float(np.sum(infl**3) / denom) if denom > 0 else 0.0
    z = sps.norm.ppf([(1 - level) / 2, (1 + level) / 2])
    adj = sps.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    lo, hi = norm_inter(t, adj)
    return float(lo), float(hi), z0, a


# --------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap draws of the free and defined parameters.

    Attributes
    ----------
    names : tuple of str
        One name per column: free parameters (``"f =~ x2"``, ``" (group k)"`` added in
        multigroup models) then defined parameters (their ``:=`` name).
    kinds : tuple of str
        ``"free"`` or ``"defined"`` per column.
    estimate : ndarray (k,)
        Full-sample estimates.
    draws : ndarray (n_ok, k)
        Estimates of the successful draws, in draw order.
    n_boot : int
        Draws requested.
    n_failed, n_nonconverged : int
        Draws that raised an estimation error / did not converge (both excluded).
    seed : int or None
        The seed of ``numpy.random.SeedSequence``.
    jackknife : ndarray (n, k) or None
        Leave-one-out estimates (for BCa), when computed.
    """

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    estimate: np.ndarray
    draws: np.ndarray
    n_boot: int
    n_failed: int
    n_nonconverged: int
    seed: int | None
    jackknife: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_ok(self) -> int:
        """Number of successful draws."""
        return int(self.draws.shape[0])

    @property
    def se(self) -> np.ndarray:
        """Bootstrap standard errors (SD of the draws, divisor R - 1, as lavaan)."""
        if self.n_ok < 2:
            return np.full(len(self.names), np.nan)
        return np.std(self.draws, axis=0, ddof=1)

    @property
    def vcov(self) -> np.ndarray:
        """Bootstrap covariance matrix of all columns."""
        return np.atleast_2d(np.cov(self.draws, rowvar=False))

    def ci(self, level: float = 0.95, method: str = "perc") -> tuple[np.ndarray, np.ndarray]:
        """Confidence limits per column.

        Parameters
        ----------
        level : float
            Coverage, e.g. 0.95.
        method : {"perc", "bca"}
            Percentile (lavaan's default for bootstrap) or BCa (needs ``jackknife``).

        # In R: parameterEstimates(fit, boot.ci.type = "perc")
        """
        k = len(self.names)
        lo, hi = np.full(k, np.nan), np.full(k, np.nan)
        if method == "perc":
            alpha = [(1 - level) / 2, (1 + level) / 2]
            for j in range(k):
                lo[j], hi[j] = norm_inter(self.draws[:, j], alpha)
        elif method == "bca":
            if self.jackknife is None:
                raise ModelSpecificationError(
                    "BCa intervals need the jackknife; call bootstrap(..., bca=True)."
                )
            for j in range(k):
                lo[j], hi[j], _, _ = bca_interval(
                    self.draws[:, j], self.estimate[j], self.jackknife[:, j], level
                )
        else:
            raise ModelSpecificationError(f"method={method!r} is not known; use 'perc' or 'bca'.")
        return lo, hi

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """Tidy table: ``name, kind, est, se, ci_lower, ci_upper`` (+ ``bca_lower/upper``)."""
        lo, hi = self.ci(level, "perc")
        out = pd.DataFrame({
            "name": list(self.names), "kind": list(self.kinds), "est": self.estimate,
            "se": self.se, "ci_lower": lo, "ci_upper": hi,
        })
        if self.jackknife is not None:
            blo, bhi = self.ci(level, "bca")
            out["bca_lower"], out["bca_upper"] = blo, bhi
        return out


# --------------------------------------------------------------------------------------
# fast per-draw ML fit (complete data, continuous, no bounds)
# --------------------------------------------------------------------------------------
class _FastML:
    """ML discrepancy and its analytic gradient by matrix calculus, for one bound model.

    The gradient is assembled from ``dF/dLambda``, ``dF/dB``, ``dF/dPsi``, ``dF/dTheta``,
    ``dF/dnu`` and ``dF/dalpha`` (a few small matrix products per group) instead of the
    per-parameter ``dSigma/dx`` array the general backend builds; with the full-sample
    expected Hessian as the start of quasi-Newton (BFGS) updates, a warm-started draw
    converges in a few cheap iterations.

    Notes
    -----
    With ``W = S^-1 (Sigma - S - r r') S^-1`` (``S^-1`` the inverse implied covariance,
    ``r`` the mean residual, ``v = S^-1 r``), ``L = Lambda (I - B)^-1``,
    ``A = (I - B)^-1 Psi L'`` and ``a = (I - B)^-1 alpha``:
    ``dF/dLambda = 2 W A' - 2 v a'``, ``dF/dB = 2 L' W A' - 2 L' v a'``,
    ``dF/dPsi = L' W L``, ``dF/dTheta = W`` (off-diagonal symmetric entries counted
    twice), ``dF/dnu = -2 v``, ``dF/dalpha = -2 L' v``.
    """

    def __init__(self, model: Any, stats: list) -> None:
        from .model import ALPHA, BETA, LAMBDA, NU, PSI, THETA

        self.k = int(model.n_free)
        self.meanstructure = bool(model.meanstructure)
        ntot = float(sum(st.n for st in stats))
        self.groups = []
        for spec, st in zip(model._specs, stats, strict=True):
            lam0, beta0, psi0, theta0, nu0, alpha0 = (np.asarray(b, dtype=float)
                                                      for b in spec.base[:6])
            mat, row, col = spec.ent_mat, spec.ent_row, spec.ent_col
            xid = spec.ent_xid
            sel = {c: np.flatnonzero(mat == c) for c in (LAMBDA, BETA, PSI, THETA, NU, ALPHA)}
            sym = {c: np.where(row[sel[c]] == col[sel[c]], 1.0, 2.0) for c in (PSI, THETA)}
            _sign, logdet_s = np.linalg.slogdet(st.cov)
            self.groups.append(dict(
                w=st.n / ntot, p=spec.p, m=spec.m, S=st.cov, mean=st.mean, logdet_s=logdet_s,
                base=(lam0, beta0, psi0, theta0, nu0, alpha0),
                idx={c: (row[s], col[s], xid[s]) for c, s in sel.items()}, sym=sym,
                codes=(LAMBDA, BETA, PSI, THETA, NU, ALPHA),
                iu=np.triu_indices(spec.p, 1), eye=np.eye(spec.m),
                has_beta=bool(len(sel[BETA]) or np.any(beta0 != 0)),
            ))

    def value_grad(self, x: np.ndarray, grad: bool = True) -> tuple[float, np.ndarray | None]:
        """``F_ML(x)`` (inf if Sigma is not positive definite) and its gradient."""
        total = 0.0
        g = np.zeros(self.k) if grad else None
        for G in self.groups:
            LAM, BET, PS, TH, NUc, ALc = G["codes"]
            lam, beta, psi, theta, nu, alpha = (b.copy() for b in G["base"])
            idx = G["idx"]
            r_, c_, x_ = idx[LAM]
            lam[r_, c_] = x[x_]
            r_, c_, x_ = idx[BET]
            beta[r_, c_] = x[x_]
            r_, c_, x_ = idx[PS]
            psi[r_, c_] = x[x_]
            psi[c_, r_] = x[x_]
            r_, c_, x_ = idx[TH]
            theta[r_, c_] = x[x_]
            theta[c_, r_] = x[x_]
            m = G["m"]
            if m:
                ib = np.linalg.inv(G["eye"] - beta) if G["has_beta"] else G["eye"]
                L = lam @ ib
                sigma = L @ psi @ L.T + theta
            else:
                ib, L = np.zeros((0, 0)), lam
                sigma = theta.copy()
            if self.meanstructure:
                r_, c_, x_ = idx[NUc]
                nu[r_] = x[x_]
                r_, c_, x_ = idx[ALc]
                alpha[r_] = x[x_]
                at = ib @ alpha if m else alpha
                res = G["mean"] - (nu + L @ at if m else nu)
            else:
                at = None
                res = np.zeros(G["p"])
            c, info = _dpotrf(sigma, lower=1)
            if info != 0:
                return np.inf, None
            logdet = 2.0 * float(np.log(c.diagonal()).sum())
            sinv, info = _dpotri(c, lower=1)
            if info != 0:
                return np.inf, None
            iu = G["iu"]
            sinv[iu] = sinv.T[iu]
            v = sinv @ res
            S = G["S"]
            f = logdet + float((S * sinv).sum()) - G["logdet_s"] - G["p"] + float(res @ v)
            total += G["w"] * f
            if not grad:
                continue
            W = sinv @ (sigma - S - np.outer(res, res)) @ sinv
            w2 = 2.0 * G["w"]
            parts_val, parts_xid = [], []
            if m:
                A = ib @ psi @ L.T  # m x p
                glam = W @ A.T
                r_, c_, x_ = idx[LAM]
                if len(x_):
                    val = w2 * glam[r_, c_]
                    if at is not None:
                        val = val - w2 * v[r_] * at[c_]
                    parts_val.append(val)
                    parts_xid.append(x_)
                r_, c_, x_ = idx[BET]
                if len(x_):
                    LW = L.T @ W
                    val = w2 * (LW @ A.T)[r_, c_]
                    if at is not None:
                        val = val - w2 * (L.T @ v)[r_] * at[c_]
                    parts_val.append(val)
                    parts_xid.append(x_)
                r_, c_, x_ = idx[PS]
                if len(x_):
                    gpsi = L.T @ W @ L
                    parts_val.append(G["w"] * G["sym"][PS] * gpsi[r_, c_])
                    parts_xid.append(x_)
            r_, c_, x_ = idx[TH]
            if len(x_):
                parts_val.append(G["w"] * G["sym"][TH] * W[r_, c_])
                parts_xid.append(x_)
            if self.meanstructure:
                r_, c_, x_ = idx[NUc]
                if len(x_):
                    parts_val.append(-w2 * v[r_])
                    parts_xid.append(x_)
                r_, c_, x_ = idx[ALc]
                if len(x_):
                    parts_val.append(-w2 * (L.T @ v)[r_])
                    parts_xid.append(x_)
            if parts_val:
                g += np.bincount(np.concatenate(parts_xid), weights=np.concatenate(parts_val),
                                 minlength=self.k)
        return float(total), g


def _fast_supported(model: Any) -> bool:
    """The fast path covers continuous ML with free entries in Lambda, B, Psi, Theta, nu,
    alpha only (no thresholds, scale factors or bounds)."""
    from .model import TAU

    if getattr(model, "ordered", None) or np.any(model.ordered_mask):
        return False
    lo, hi = model.bounds()
    if np.isfinite(lo).any() or np.isfinite(hi).any():
        return False
    return all(not np.any(spec.ent_mat >= TAU) for spec in model._specs)


def _start_inverse_hessian(model: Any, stats: list, x: np.ndarray) -> np.ndarray | None:
    """Inverse of the full-sample expected Hessian of ``F_ML`` (None if singular)."""
    from . import ml

    try:
        _g, H = ml.gradient_information(model, x, stats)
        hinv = np.linalg.inv(H)
    except (EstimationError, np.linalg.LinAlgError):
        return None
    if not np.all(np.isfinite(hinv)):
        return None
    hinv = 0.5 * (hinv + hinv.T)
    hinv.setflags(write=False)
    return hinv


def _bfgs(fast: _FastML, x0: np.ndarray, hinv0: np.ndarray, max_iter: int = 200,
          xtol: float = 1e-7) -> tuple[np.ndarray, float, bool]:
    """BFGS (inverse update) from ``x0`` with start matrix ``hinv0``; Armijo backtracking.

    Converged when the quasi-Newton step is below ``xtol * max(1, |x|)`` in every
    coordinate (and the gradient below 1e-5): the remaining error of each estimate is then
    far below its bootstrap Monte Carlo error.  (lavaan's nlminb stops at a relative
    change of the objective of 1e-10, i.e. about 1e-5 in the parameters.)
    """
    x = x0.copy()
    f, g = fast.value_grad(x)
    if not np.isfinite(f):
        return x, f, False
    Hi = hinv0.copy()
    for _ in range(max_iter):
        step = -Hi @ g
        slope = float(g @ step)
        if slope >= 0:
            Hi = hinv0.copy()
            step = -Hi @ g
            slope = float(g @ step)
        if (np.abs(step) <= xtol * np.maximum(1.0, np.abs(x))).all() and np.abs(g).max() < 1e-5:
            return x, f, True
        t = 1.0
        while True:
            xn = x + t * step
            fn, gn = fast.value_grad(xn)
            if np.isfinite(fn) and fn <= f + 1e-4 * t * slope + 1e-15:
                break
            t *= 0.5
            if t < 1e-8:
                return x, f, bool(np.abs(g).max() < 1e-6)
        s_, y_ = xn - x, gn - g
        sy = float(s_ @ y_)
        if sy > 1e-16:
            rho = 1.0 / sy
            Hy = Hi @ y_
            Hi = (Hi - rho * (np.outer(s_, Hy) + np.outer(Hy, s_))
                  + (rho * rho * float(y_ @ Hy) + rho) * np.outer(s_, s_))
        x, f, g = xn, fn, gn
    return x, f, bool(np.abs(g).max() < 1e-6)


# --------------------------------------------------------------------------------------
# the per-draw work
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BootstrapPayload:
    """Everything a draw needs; picklable, shared read-only by all draws."""

    model: Any  # CompiledModel with a plain-dict options mapping
    arrays: tuple[np.ndarray, ...]  # raw data per group (ov_names order; NaN = missing)
    x_full: np.ndarray
    fixed_rows: np.ndarray  # est column of the full-sample parameter table
    missing_ml: bool
    entropy: int  # of numpy.random.SeedSequence(seed); draw i uses spawn_key (i,)
    n_boot: int
    statistic: Callable[[Any, np.ndarray], np.ndarray] | None = None
    hinv0: np.ndarray | None = None  # inverse expected Hessian at x_full (fast path)
    table_xid: np.ndarray | None = None  # xid column of the parameter table


def _stats_of(arrays: Sequence[np.ndarray]) -> list:
    from .model import SampleStats

    out = []
    for y in arrays:
        n = y.shape[0]
        if np.isnan(y).any():
            mean = np.nanmean(y, axis=0)
            cov = pd.DataFrame(y).cov(min_periods=2).to_numpy()
            cnt = np.isfinite(y).astype(float)
            npair = cnt.T @ cnt
            cov = np.nan_to_num(cov * (npair - 1) / np.maximum(npair, 1))
        else:
            mean = y.mean(axis=0)
            dev = y - mean
            cov = dev.T @ dev / n
        out.append(SampleStats(n=n, mean=mean, cov=cov, data=y))
    return out


def _estimate_on(payload: BootstrapPayload, arrays: list[np.ndarray], dp) -> tuple[int, Any]:
    from . import fiml, ml
    from .standardize import row_values_from_x

    try:
        st = _stats_of(arrays)
        model = payload.model.bind(st)
        if payload.missing_ml:
            gd = [fiml.prepare_group_data(y, fit_h1=False) for y in arrays]
            x, ok, _, f = fiml.estimate(model, gd, payload.x_full, tol=1e-7, newton=False)
        elif payload.hinv0 is not None:
            x, f, ok = _bfgs(_FastML(model, st), payload.x_full, payload.hinv0)
            if not ok:  # rare: hand the draw to the general backend
                x, f, _, ok = ml.estimate(model, st, payload.x_full)
        else:
            x, f, _, ok = ml.estimate(model, st, payload.x_full)
        if not np.all(np.isfinite(x)) or not np.isfinite(f):
            return FAILED, None
        if payload.statistic is not None:
            vals = np.atleast_1d(np.asarray(payload.statistic(model, x), dtype=float))
        elif dp is not None and len(dp):
            if payload.table_xid is not None:
                rows = payload.fixed_rows.copy()
                free = payload.table_xid >= 0
                rows[free] = x[payload.table_xid[free]]
            else:
                rows = row_values_from_x(model, x, payload.fixed_rows)
            vals = np.concatenate([x, dp.values(rows)])
        else:
            vals = np.array(x, dtype=float)
        return (OK if ok else NOT_CONVERGED), vals
    except (EstimationError, ModelSpecificationError, DataError, np.linalg.LinAlgError,
            FloatingPointError, ValueError):
        return FAILED, None


def _defined(payload: BootstrapPayload):
    if payload.statistic is not None:
        return None
    from .standardize import DefinedParameters

    return DefinedParameters(payload.model)


def run_draws(payload: BootstrapPayload, draw_ids: Sequence[int]) -> list[tuple[int, int, Any]]:
    """Run the bootstrap draws ``draw_ids``; returns ``(draw_id, status, values)`` each.

    Draw ``i`` uses the ``i``-th child of ``SeedSequence(seed)`` (the same stream as
    ``SeedSequence(seed).spawn(n_boot)[i]``) and resamples each group's cases with
    replacement, so its result does not depend on which worker runs it or when.
    """
    dp = _defined(payload)
    out = []
    with _one_blas_thread():
        for i in draw_ids:
            child = np.random.SeedSequence(entropy=payload.entropy, spawn_key=(int(i),))
            rng = np.random.default_rng(child)
            arrays = [y[rng.integers(0, y.shape[0], size=y.shape[0])] for y in payload.arrays]
            status, vals = _estimate_on(payload, arrays, dp)
            out.append((int(i), status, vals))
    return out


def _one_blas_thread():
    """Context with one BLAS thread: the matrices of a draw are small (threads only cost),
    and the same thread count everywhere keeps the rounding -- and so the draws --
    identical serially, in worker processes and on Dask workers."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def run_jackknife(payload: BootstrapPayload, case_ids: Sequence[int]) -> list[tuple[int, int,
                                                                                   Any]]:
    """Leave-one-out refits for the cases ``case_ids`` (numbered across groups)."""
    sizes = np.cumsum([0] + [y.shape[0] for y in payload.arrays])
    dp = _defined(payload)
    out = []
    with _one_blas_thread():
        for i in case_ids:
            g = int(np.searchsorted(sizes, i, side="right") - 1)
            arrays = list(payload.arrays)
            arrays[g] = np.delete(arrays[g], i - sizes[g], axis=0)
            status, vals = _estimate_on(payload, arrays, dp)
            out.append((int(i), status, vals))
    return out


# --------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------
def make_payload(
    model: Any,
    data: Any,
    n_boot: int,
    seed: int | None,
    *,
    x_full: np.ndarray | None = None,
    statistic: Callable[[Any, np.ndarray], np.ndarray] | None = None,
) -> tuple[BootstrapPayload, np.ndarray, list[str], list[str]]:
    """Prepare the shared payload; fits the full sample when ``x_full`` is not given.

    Returns ``(payload, full-sample values, names, kinds)``.
    """
    from .api import compile_model, sample_stats

    if isinstance(model, str):
        if not isinstance(data, pd.DataFrame):
            raise DataError("data= must be a pandas DataFrame when model= is syntax.")
        model = compile_model(model, data)
    opts = dict(model.options)
    if opts.get("estimator", "ML") not in ("ML", "MLR"):
        raise ModelSpecificationError(
            f"The bootstrap is available for estimator='ML' or 'MLR', not "
            f"{opts.get('estimator')!r}."
        )
    missing_ml = opts.get("missing", "listwise") == "ml"
    if isinstance(data, pd.DataFrame):
        stats, _ = sample_stats(model, data, opts.get("missing", "listwise"))
    else:
        stats = list(data)
    arrays = []
    for st in stats:
        y = np.asarray(st.data, dtype=float)
        if missing_ml and model.ov_x:  # lavaan deletes cases with missing fixed.x covariates
            xi = [model.ov_names.index(v) for v in model.ov_x]
            y = y[~np.isnan(y[:, xi]).any(axis=1)]
        y = np.ascontiguousarray(y)
        y.setflags(write=False)
        arrays.append(y)
    # MappingProxyType does not pickle: plain-dict options, and no cached baseline model
    changes: dict[str, Any] = {"options": dict(model.options)}
    if "baseline" in {f.name for f in fields(model)}:
        changes["baseline"] = None
    plain = replace(model, **changes)
    bound = plain.bind(_stats_of(arrays))
    if x_full is None:
        from . import fiml, ml

        if missing_ml:
            gd = [fiml.prepare_group_data(y, fit_h1=False) for y in arrays]
            x_full, ok, _, _ = fiml.estimate(bound, gd, bound.x_start(_stats_of(arrays)))
        else:
            x_full, _, _, ok = ml.estimate(bound, _stats_of(arrays))
        if not ok:
            raise EstimationError("The full-sample fit did not converge; no bootstrap.")
    x_full = np.asarray(x_full, dtype=float).copy()
    x_full.setflags(write=False)
    fixed_rows = bound.x_to_table(x_full)["est"].to_numpy(dtype=float)
    payload = BootstrapPayload(
        model=plain, arrays=tuple(arrays), x_full=x_full, fixed_rows=fixed_rows,
        missing_ml=missing_ml, entropy=int(np.random.SeedSequence(seed).entropy),
        n_boot=int(n_boot),
        statistic=statistic,
    )
    if not missing_ml and _fast_supported(bound):
        hinv0 = _start_inverse_hessian(bound, _stats_of(arrays), x_full)
        if hinv0 is not None:
            payload = replace(payload, hinv0=hinv0,
                              table_xid=bound.partable["xid"].to_numpy(dtype=int))
    dp = _defined(payload)
    status, full = _estimate_on(replace(payload, x_full=x_full), arrays, dp)
    if full is None:
        raise EstimationError("The full-sample estimates could not be evaluated.")
    full = np.asarray(full, dtype=float)
    full[: len(x_full)] = x_full if statistic is None else full[: len(x_full)]
    if statistic is None:
        names = list(bound.x_names)
        kinds = ["free"] * len(names)
        if dp is not None:
            names += [name for name, _t, _n in dp.defs]
            kinds += ["defined"] * len(dp)
        # the full-sample values are the values at x_full, not a refit
        from .standardize import row_values_from_x

        full = np.concatenate([x_full, dp.values(row_values_from_x(bound, x_full, fixed_rows))
                               if dp is not None and len(dp) else np.zeros(0)])
    else:
        names = [f"stat{j + 1}" for j in range(full.size)]
        kinds = ["statistic"] * full.size
        full = np.atleast_1d(np.asarray(statistic(bound, x_full), dtype=float))
    return payload, full, names, kinds


def _resolve_jobs(n_jobs: int | None) -> int:
    if n_jobs is None or n_jobs == 1:
        return 1
    if n_jobs < 0:
        return max(1, os.cpu_count() or 1)
    return int(n_jobs)


def _execute(fn, payload, ids: list[int], n_jobs: int, progress: bool, desc: str,
             executor: Any = None):
    """Run ``fn(payload, chunk)`` over chunks of ``ids`` on ``executor`` (an
    :class:`analysis.distributed.Executor`; default serial or ``n_jobs`` processes)."""
    from analysis.distributed import ProcessExecutor, SerialExecutor

    if executor is None:
        executor = SerialExecutor() if n_jobs == 1 else ProcessExecutor(n_jobs)
    return executor.map(fn, payload, ids, progress=progress, desc=desc)


def bootstrap(
    compiled: Any,
    data: Any,
    n_boot: int,
    seed: int | None = None,
    *,
    statistics: Callable[[Any, np.ndarray], np.ndarray] | None = None,
    n_jobs: int | None = None,
    type: str = "ordinary",  # noqa: A002 - lavaan's argument name
    bca: bool = False,
    start: np.ndarray | None = None,
    progress: bool | None = None,
    executor: Any = None,
) -> BootstrapResult:
    """Nonparametric bootstrap of a structural equation model.

    Parameters
    ----------
    compiled : CompiledModel or str
        A compiled model (``compile_model(...)``; its estimator and ``missing`` options are
        used: ML / MLR, listwise or FIML) or lavaan syntax.
    data : DataFrame or list of SampleStats
        The full sample.
    n_boot : int
        Number of bootstrap draws (R).
    seed : int, optional
        Seed of ``numpy.random.SeedSequence``; one child stream per draw.
    statistics : callable, optional
        ``f(bound_model, x) -> array`` of statistics to keep instead of all free and
        defined parameters.
    n_jobs : int, optional
        Worker processes: ``None``/1 serial, ``-1`` all cores.  The result is identical.
    type : {"ordinary"}
        Resampling scheme; only ordinary case resampling is available.
    bca : bool
        Also compute the jackknife (n refits) for BCa intervals.
    start : ndarray, optional
        The full-sample estimate (else it is fitted here).
    progress : bool, optional
        Show a tqdm progress bar; default: when stderr is a terminal.
    executor : analysis.distributed.Executor, optional
        Where the draws run (serial, local processes or a Dask cluster); overrides
        ``n_jobs``.  The result is identical on every executor.

    Returns
    -------
    BootstrapResult

    Notes
    -----
    Cases are resampled within groups.  Each draw is refitted warm-started from the
    full-sample estimate; draws that fail or do not converge are excluded and counted.

    Examples
    --------
    >>> cm = compile_model(model, data)                      # doctest: +SKIP
    >>> b = bootstrap(cm, data, 2000, seed=1, n_jobs=-1)     # doctest: +SKIP
    >>> b.table()                                            # doctest: +SKIP

    # In R: fit <- sem(model, data, se = "bootstrap", bootstrap = 2000)
    #       parameterEstimates(fit, boot.ci.type = "perc")
    """
    if type != "ordinary":
        raise ModelSpecificationError(
            f"type={type!r} is not available; only 'ordinary' case resampling is."
        )
    if int(n_boot) < 2:
        raise ModelSpecificationError("n_boot= must be at least 2.")
    payload, full, names, kinds = make_payload(compiled, data, n_boot, seed, x_full=start,
                                               statistic=statistics)
    jobs = _resolve_jobs(n_jobs)
    show = sys.stderr.isatty() if progress is None else bool(progress)
    res = _execute(run_draws, payload, list(range(int(n_boot))), jobs, show, "bootstrap",
                   executor)
    ok = [v for _, s, v in res if s == OK]
    n_failed = sum(1 for _, s, _ in res if s == FAILED)
    n_nonconv = sum(1 for _, s, _ in res if s == NOT_CONVERGED)
    if n_failed or n_nonconv:
        warnings.warn(
            f"{n_failed + n_nonconv} of {n_boot} bootstrap draws failed or did not converge "
            "and were excluded.", UserWarning, stacklevel=2,
        )
    draws = np.vstack(ok) if ok else np.zeros((0, len(names)))
    jack = None
    if bca:
        n_cases = sum(y.shape[0] for y in payload.arrays)
        jr = _execute(run_jackknife, payload, list(range(n_cases)), jobs, show, "jackknife",
                      executor)
        jack = np.vstack([v if v is not None else np.full(len(names), np.nan)
                          for _, _, v in jr])
    for a in (full, draws):
        a.setflags(write=False)
    return BootstrapResult(
        names=tuple(names), kinds=tuple(kinds), estimate=full, draws=draws,
        n_boot=int(n_boot), n_failed=int(n_failed), n_nonconverged=int(n_nonconv),
        seed=seed, jackknife=jack,
    )


def bootstrap_state(model: Any, data: list, state: Any, options: Any) -> Any:
    """Add a bootstrap to a backend's FitState (the hook for ``sem(..., bootstrap=N)``).

    Runs :func:`bootstrap` with ``options["bootstrap"]`` draws and ``options["seed"]``
    (``options["n_jobs"]`` workers if given), warm-started from ``state.x``.  Returns a
    copy of ``state`` whose ``vcov`` is the bootstrap covariance matrix of the free
    parameters (lavaan's ``se = "bootstrap"``) and whose ``extra["bootstrap"]`` is the
    :class:`BootstrapResult`; :func:`bootstrap_params` turns the parameter table into
    lavaan's ``parameterEstimates(fit, boot.ci.type = "perc")``.

    # In R: sem(model, data, se = "bootstrap", bootstrap = N, iseed = seed)
    """
    n_boot = int(options.get("bootstrap", 0) or 0)
    if n_boot <= 0:
        return state
    boot = bootstrap(model, data, n_boot, options.get("seed"), start=state.x,
                     n_jobs=options.get("n_jobs"), bca=bool(options.get("bca", False)))
    n_free = int(np.sum(np.array(boot.kinds) == "free"))
    vcov = boot.vcov[:n_free, :n_free] if boot.n_ok >= 2 else None
    extra = {**dict(state.extra or {}), "bootstrap": boot, "se": "bootstrap"}
    warns = tuple(state.warnings)
    if boot.n_failed or boot.n_nonconverged:
        warns += (f"{boot.n_failed + boot.n_nonconverged} of {n_boot} bootstrap draws failed "
                  "or did not converge and were excluded.",)
    return replace(state, vcov=vcov, extra=extra, warnings=warns)


def bootstrap_params(
    params: pd.DataFrame, model: Any, boot: BootstrapResult, level: float = 0.95
) -> pd.DataFrame:
    """Parameter table with bootstrap SEs and percentile intervals.

    ``params`` is a result's ``params`` table (rows of ``model.partable`` without
    ``==``/``<``/``>``).  ``se`` becomes the bootstrap SD (also for ``:=`` rows), ``z`` and
    ``pvalue`` use it, ``ci_lower``/``ci_upper`` are the percentile limits -- lavaan's
    ``se = "bootstrap"`` with ``parameterEstimates(boot.ci.type = "perc")``.

    # In R: parameterEstimates(sem(..., se = "bootstrap"), boot.ci.type = "perc")
    """
    p = params.copy()
    pt = model.partable
    keep = ~pt["op"].isin(["==", "<", ">"]).to_numpy()
    pt = pt[keep].reset_index(drop=True)
    if len(pt) != len(p):
        raise ModelSpecificationError("params= does not belong to model=.")
    se, (lo, hi) = boot.se, boot.ci(level, "perc")
    est = p["est"].to_numpy(dtype=float)
    col_se = p["se"].to_numpy(dtype=float).copy()
    col_lo, col_hi = est.copy(), est.copy()
    xid = pt["xid"].to_numpy()
    kinds = np.array(boot.kinds)
    n_free = int(np.sum(kinds == "free"))
    for i in np.flatnonzero(xid >= 0):
        col_se[i], col_lo[i], col_hi[i] = se[xid[i]], lo[xid[i]], hi[xid[i]]
    def_rows = np.flatnonzero(pt["op"].to_numpy() == ":=")
    if np.sum(kinds == "defined") == len(def_rows):
        for j, i in enumerate(def_rows):
            col_se[i], col_lo[i], col_hi[i] = se[n_free + j], lo[n_free + j], hi[n_free + j]
    p["se"] = col_se
    with np.errstate(all="ignore"):
        z = np.where(np.isfinite(col_se) & (col_se > 0), est / col_se, np.nan)
    p["z"] = z
    p["pvalue"] = 2.0 * sps.norm.sf(np.abs(z))
    p["ci_lower"], p["ci_upper"] = col_lo, col_hi
    return p
