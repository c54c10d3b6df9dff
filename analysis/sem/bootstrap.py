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

from analysis.blas import blas_threads
from analysis.errors import DataError, EstimationError, ModelSpecificationError

from . import fiml, ml
from .build import compile_model
from .model import ALPHA, BETA, LAMBDA, NU, PSI, TAU, THETA, SampleStats
from .samplestats import pairwise_covariance, sample_stats
from .standardize import DefinedParameters, _eval, row_values_from_x

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
class _BatchML:
    """ML discrepancy and its analytic gradient for a batch of resamples of one model.

    Every draw has its own sample statistics; all draws are evaluated together with
    stacked (batch x p x p) matrix operations, so the Python overhead of an evaluation is
    paid once per batch instead of once per draw.  Each draw's numbers come from the same
    per-matrix operations whatever else is in the batch, so a draw's result does not
    depend on how draws are grouped (serial, processes, Dask).

    Notes
    -----
    With ``W = S^-1 (Sigma - S - r r') S^-1`` (``S^-1`` the inverse implied covariance,
    ``r`` the mean residual, ``v = S^-1 r``), ``L = Lambda (I - B)^-1``,
    ``A = (I - B)^-1 Psi L'`` and ``a = (I - B)^-1 alpha`` (so ``mu = nu + Lambda a``):
    ``dF/dLambda = 2 W A' - 2 v a'``, ``dF/dB = 2 L' W A' - 2 L' v a'``,
    ``dF/dPsi = L' W L``, ``dF/dTheta = W`` (off-diagonal symmetric entries counted
    twice), ``dF/dnu = -2 v``, ``dF/dalpha = -2 L' v``.
    """

    def __init__(self, model: Any, draws: Sequence[list]) -> None:
        self.k = int(model.n_free)
        self.meanstructure = bool(model.meanstructure)
        self.codes = (LAMBDA, BETA, PSI, THETA, NU, ALPHA)
        ntot = float(sum(st.n for st in draws[0]))
        self.groups = []
        for g, spec in enumerate(model._specs):
            stats = [d[g] for d in draws]
            if spec.exo:  # fixed.x: every draw has its own covariate moments
                bases = [model.bind(d)._specs[g].base for d in draws]
                base = tuple(np.stack([b[c] for b in bases]) for c in range(6))
            else:
                base = tuple(np.asarray(b, dtype=float)[None] for b in spec.base[:6])
            mat, row, col, xid = spec.ent_mat, spec.ent_row, spec.ent_col, spec.ent_xid
            idx = {}
            for c in self.codes:
                s = np.flatnonzero(mat == c)
                idx[c] = (row[s], col[s], xid[s], len(np.unique(xid[s])) == len(s))
            sym = {c: np.where(idx[c][0] == idx[c][1], 1.0, 2.0) for c in (PSI, THETA)}
            S = np.stack([st.cov for st in stats])
            logdet_s = np.array([np.linalg.slogdet(st.cov)[1] for st in stats])
            self.groups.append(dict(
                w=stats[0].n / ntot, p=spec.p, m=spec.m, S=S,
                mean=np.stack([st.mean for st in stats]), logdet_s=logdet_s, base=base,
                idx=idx, sym=sym, eye=np.eye(spec.m),
                has_beta=bool(len(idx[BETA][0]) or np.any(base[1] != 0)),
            ))

    @staticmethod
    def _fill(base: np.ndarray, sel: np.ndarray, X: np.ndarray, ent, sym: bool = False,
              ) -> np.ndarray:
        out = (base[sel] if base.shape[0] > 1 else
               np.repeat(base, len(sel), axis=0))
        r_, c_, x_, _u = ent
        if len(x_):
            vals = X[:, x_]
            if out.ndim == 2:
                out[:, r_] = vals
            else:
                out[:, r_, c_] = vals
                if sym:
                    out[:, c_, r_] = vals
        return out

    @staticmethod
    def _add(G: np.ndarray, ent, vals: np.ndarray) -> None:
        x_, unique = ent[2], ent[3]
        if unique:
            G[:, x_] += vals
        else:
            np.add.at(G, (slice(None), x_), vals)

    def value_grad(self, X: np.ndarray, sel: np.ndarray, grad: bool = True,
                   ) -> tuple[np.ndarray, np.ndarray | None]:
        """``F_ML`` per draw ``sel`` at the rows of ``X`` (inf if Sigma is not positive
        definite) and the gradients (rows of draws with a finite value)."""
        LAM, BET, PS, TH, NUc, ALc = self.codes
        nb = len(sel)
        f = np.zeros(nb)
        G = np.zeros((nb, self.k)) if grad else None
        alive = np.ones(nb, dtype=bool)
        for gr in self.groups:
            idx, base = gr["idx"], gr["base"]
            gsel = sel if base[0].shape[0] > 1 else np.zeros(nb, dtype=np.intp)
            lam = self._fill(base[0], gsel, X, idx[LAM])
            beta = self._fill(base[1], gsel, X, idx[BET])
            psi = self._fill(base[2], gsel, X, idx[PS], sym=True)
            theta = self._fill(base[3], gsel, X, idx[TH], sym=True)
            m = gr["m"]
            if m:
                ib = (np.linalg.inv(gr["eye"] - beta) if gr["has_beta"]
                      else np.repeat(gr["eye"][None], nb, axis=0))
                L = lam @ ib
                sigma = L @ psi @ L.transpose(0, 2, 1) + theta
            else:
                ib, L = None, lam
                sigma = theta
            S, mean = gr["S"][sel], gr["mean"][sel]
            if self.meanstructure:
                nu = self._fill(base[4], gsel, X, idx[NUc])
                alpha = self._fill(base[5], gsel, X, idx[ALc])
                at = (ib @ alpha[:, :, None])[:, :, 0] if m else alpha
                mu = nu + (lam @ at[:, :, None])[:, :, 0] if m else nu
                res = mean - mu
            else:
                at = None
                res = np.zeros((nb, gr["p"]))
            try:
                c = np.linalg.cholesky(sigma)
                ok = np.ones(nb, dtype=bool)
            except np.linalg.LinAlgError:
                c = np.zeros_like(sigma)
                ok = np.zeros(nb, dtype=bool)
                for b in range(nb):
                    try:
                        c[b:b + 1] = np.linalg.cholesky(sigma[b:b + 1])
                        ok[b] = True
                    except np.linalg.LinAlgError:
                        pass
                c[~ok] = np.eye(gr["p"])
            alive &= ok
            cinv = np.linalg.inv(c)
            sinv = cinv.transpose(0, 2, 1) @ cinv
            logdet = 2.0 * np.log(np.diagonal(c, axis1=1, axis2=2)).sum(axis=1)
            v = (sinv @ res[:, :, None])[:, :, 0]
            trs = (S * sinv).reshape(nb, -1).sum(axis=1)
            f += gr["w"] * (logdet + trs - gr["logdet_s"][sel] - gr["p"] + (res * v).sum(axis=1))
            if not grad:
                continue
            rr = res[:, :, None] * res[:, None, :]
            W = sinv @ (sigma - S - rr) @ sinv
            w1, w2 = gr["w"], 2.0 * gr["w"]
            if m:
                A = ib @ psi @ L.transpose(0, 2, 1)  # m x p
                Lt = L.transpose(0, 2, 1)
                r_, c_, x_, _u = idx[LAM]
                if len(x_):
                    glam = W @ A.transpose(0, 2, 1)
                    val = w2 * glam[:, r_, c_]
                    if at is not None:
                        val = val - w2 * v[:, r_] * at[:, c_]
                    self._add(G, idx[LAM], val)
                r_, c_, x_, _u = idx[BET]
                if len(x_):
                    val = w2 * (Lt @ W @ A.transpose(0, 2, 1))[:, r_, c_]
                    if at is not None:
                        val = val - w2 * (Lt @ v[:, :, None])[:, r_, 0] * at[:, c_]
                    self._add(G, idx[BET], val)
                r_, c_, x_, _u = idx[PS]
                if len(x_):
                    gpsi = Lt @ W @ L
                    self._add(G, idx[PS], w1 * gr["sym"][PS] * gpsi[:, r_, c_])
            r_, c_, x_, _u = idx[TH]
            if len(x_):
                self._add(G, idx[TH], w1 * gr["sym"][TH] * W[:, r_, c_])
            if self.meanstructure:
                r_, c_, x_, _u = idx[NUc]
                if len(x_):
                    self._add(G, idx[NUc], -w2 * v[:, r_])
                r_, c_, x_, _u = idx[ALc]
                if len(x_):
                    self._add(G, idx[ALc], -w2 * (L.transpose(0, 2, 1) @ v[:, :, None])[:, r_, 0])
        f[~alive] = np.inf
        return f, G


def _fast_supported(model: Any) -> bool:
    """The fast path covers continuous ML with free entries in Lambda, B, Psi, Theta, nu,
    alpha only (no thresholds, scale factors or bounds)."""
    if getattr(model, "ordered", None) or np.any(model.ordered_mask):
        return False
    lo, hi = model.bounds()
    if np.isfinite(lo).any() or np.isfinite(hi).any():
        return False
    return all(not np.any(spec.ent_mat >= TAU) for spec in model._specs)


def _start_inverse_hessian(model: Any, stats: list, x: np.ndarray) -> np.ndarray | None:
    """Inverse of the full-sample expected Hessian of ``F_ML`` (None if singular)."""
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


def _batch_bfgs(fast: _BatchML, x0: np.ndarray, hinv0: np.ndarray, max_iter: int = 200,
                xtol: float = 1e-7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BFGS (inverse update) for every draw of ``fast`` from ``x0``, start matrix ``hinv0``.

    Each draw runs its own iterations with Armijo backtracking, exactly as it would alone;
    only the function evaluations are batched.  A draw has converged when its
    quasi-Newton step is below ``xtol * max(1, |x|)`` in every coordinate (and its
    gradient below 1e-5): the remaining error of each estimate is then far below its
    bootstrap Monte Carlo error.  (lavaan's nlminb stops at a relative change of the
    objective of 1e-10, i.e. about 1e-5 in the parameters.)

    Returns ``(X, f, converged)`` with one row / entry per draw.
    """
    nb = len(fast.groups[0]["S"])
    allsel = np.arange(nb)
    X = np.repeat(np.asarray(x0, dtype=float)[None], nb, axis=0)
    f, G = fast.value_grad(X, allsel)
    done = ~np.isfinite(f)
    conv = np.zeros(nb, dtype=bool)
    Hi = np.repeat(np.asarray(hinv0, dtype=float)[None], nb, axis=0)
    for _ in range(max_iter):
        act = np.flatnonzero(~done)
        if not len(act):
            break
        g = G[act]
        step = -((Hi if len(act) == nb else Hi[act]) @ g[:, :, None])[:, :, 0]
        slope = (g * step).sum(axis=1)
        bad = slope >= 0
        if bad.any():
            Hi[act[bad]] = hinv0
            step[bad] = -(hinv0 @ g[bad].T).T
            slope[bad] = (g[bad] * step[bad]).sum(axis=1)
        xa = X[act]
        small = ((np.abs(step) <= xtol * np.maximum(1.0, np.abs(xa))).all(axis=1)
                 & (np.abs(g).max(axis=1) < 1e-5))
        conv[act[small]] = True
        done[act[small]] = True
        keep = ~small
        act, step, slope, xa, g = act[keep], step[keep], slope[keep], xa[keep], g[keep]
        if not len(act):
            break
        # backtracking line search, batched over the draws still searching
        t = np.ones(len(act))
        xn = np.empty_like(xa)
        fn = np.empty(len(act))
        gn = np.empty_like(g)
        pending = np.arange(len(act))
        while len(pending):
            cand = xa[pending] + t[pending, None] * step[pending]
            fc, gc = fast.value_grad(cand, act[pending])
            accept = np.isfinite(fc) & (fc <= f[act[pending]] + 1e-4 * t[pending]
                                        * slope[pending] + 1e-15)
            acc = pending[accept]
            xn[acc], fn[acc], gn[acc] = cand[accept], fc[accept], gc[accept]
            rest = pending[~accept]
            t[rest] *= 0.5
            stuck = rest[t[rest] < 1e-8]
            if len(stuck):
                ids = act[stuck]
                conv[ids] = np.abs(G[ids]).max(axis=1) < 1e-6
                done[ids] = True
            pending = rest[t[rest] >= 1e-8]
        moved = np.flatnonzero(~done[act])
        ids = act[moved]
        s_ = xn[moved] - X[ids]
        y_ = gn[moved] - G[ids]
        sy = (s_ * y_).sum(axis=1)
        upd = sy > 1e-16
        if upd.any():
            u = ids[upd]
            every = len(u) == nb
            su, yu = s_[upd], y_[upd]
            rho = 1.0 / sy[upd]
            Hy = ((Hi if every else Hi[u]) @ yu[:, :, None])[:, :, 0]
            yHy = (yu * Hy).sum(axis=1)
            # rank-two update H + a s s' - rho (s Hy' + Hy s') as [s, Hy] C [s, Hy]'
            sh = np.stack([su, Hy], axis=2)  # n x q x 2
            cm = np.zeros((len(u), 2, 2))
            cm[:, 0, 0] = rho * rho * yHy + rho
            cm[:, 0, 1] = cm[:, 1, 0] = -rho
            delta = (sh @ cm) @ sh.transpose(0, 2, 1)
            if every:
                Hi += delta
            else:
                Hi[u] += delta
        X[ids], f[ids], G[ids] = xn[moved], fn[moved], gn[moved]
    left = np.flatnonzero(~done)
    if len(left):
        conv[left] = np.abs(G[left]).max(axis=1) < 1e-6
    return X, f, conv


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
    defined: Any = None  # DefinedParameters of the model (built once, shared by all draws)
    # cluster codes 0..C-1 per group (cluster=): draws resample whole clusters
    clusters: tuple[np.ndarray, ...] | None = None


def _cluster_members(codes: np.ndarray) -> list[np.ndarray]:
    """Row indices of each cluster (codes 0..C-1), in row order within a cluster."""
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(order, bounds)


def _resample(payload: BootstrapPayload, rng: np.random.Generator) -> list[np.ndarray]:
    """One bootstrap sample: cases (or, with clusters, whole clusters) drawn with
    replacement within each group."""
    if payload.clusters is None:
        return [y[rng.integers(0, y.shape[0], size=y.shape[0])] for y in payload.arrays]
    out = []
    for y, codes in zip(payload.arrays, payload.clusters, strict=True):
        members = _cluster_members(codes)
        pick = rng.integers(0, len(members), size=len(members))
        out.append(y[np.concatenate([members[k] for k in pick])])
    return out


def _stats_of(arrays: Sequence[np.ndarray]) -> list:
    out = []
    for y in arrays:
        n = y.shape[0]
        if np.isnan(y).any():
            mean = np.nanmean(y, axis=0)
            cov = np.nan_to_num(pairwise_covariance(y, mean))
        else:
            mean = y.mean(axis=0)
            dev = y - mean
            cov = dev.T @ dev / n
        out.append(SampleStats(n=n, mean=mean, cov=cov, data=y))
    return out


def _estimate_on(payload: BootstrapPayload, arrays: list[np.ndarray], dp) -> tuple[int, Any]:
    try:
        st = _stats_of(arrays)
        model = payload.model.bind(st)
        if payload.missing_ml:
            gd = [fiml.prepare_group_data(y, fit_h1=False) for y in arrays]
            x, ok, _, f = fiml.estimate(model, gd, payload.x_full, tol=1e-7, newton=False)
        elif payload.hinv0 is not None:
            X, fv, okv = _batch_bfgs(_BatchML(payload.model, [st]), payload.x_full,
                                     payload.hinv0)
            x, f, ok = X[0], float(fv[0]), bool(okv[0])
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
    if payload.defined is not None:
        return payload.defined
    return DefinedParameters(payload.model)


def run_draws(payload: BootstrapPayload, draw_ids: Sequence[int]) -> list[tuple[int, int, Any]]:
    """Run the bootstrap draws ``draw_ids``; returns ``(draw_id, status, values)`` each.

    Draw ``i`` uses the ``i``-th child of ``SeedSequence(seed)`` (the same stream as
    ``SeedSequence(seed).spawn(n_boot)[i]``) and resamples each group's cases with
    replacement, so its result does not depend on which worker runs it or when.  On the
    fast path (complete-data ML/MLR) the draws are refitted together (:class:`_BatchML`);
    each draw's arithmetic is the same whatever else is in the batch.
    """
    dp = _defined(payload)
    out = []
    # one BLAS thread: a draw's matrices are small (threads only cost), and the same
    # thread count everywhere keeps the draws identical serially, on processes and Dask
    with blas_threads(1):
        samples = []
        for i in draw_ids:
            child = np.random.SeedSequence(entropy=payload.entropy, spawn_key=(int(i),))
            rng = np.random.default_rng(child)
            samples.append((int(i), _resample(payload, rng)))
        if payload.hinv0 is not None and not payload.missing_ml:
            return _run_batched(payload, samples, dp)
        for i, arrays in samples:
            status, vals = _estimate_on(payload, arrays, dp)
            out.append((i, status, vals))
    return out


def _defined_batch(dp, rows: np.ndarray) -> np.ndarray:
    """Defined (``:=``) parameters for many row-value vectors at once, shape (B, n_def)."""
    env = {lab: rows[:, i] for lab, i in dp.label_row.items()}
    out = np.empty((rows.shape[0], len(dp)))
    with np.errstate(all="ignore"):
        for j, (name, _text, node) in enumerate(dp.defs):
            v = np.broadcast_to(np.asarray(_eval(node, env), dtype=float), (rows.shape[0],))
            env[name] = v
            out[:, j] = v
    return out


def _run_batched(payload: BootstrapPayload, samples: list[tuple[int, list[np.ndarray]]],
                 dp) -> list[tuple[int, int, Any]]:
    """Fast path of :func:`run_draws`: batched BFGS, the general backend for stragglers."""
    q = int(payload.model.n_free)
    block = max(1, min(len(samples), 4_000_000 // max(q * q, 1)))
    out: list[tuple[int, int, Any]] = []
    for b0 in range(0, len(samples), block):
        part = samples[b0:b0 + block]
        stats, good = [], []
        for i, arrays in part:
            try:
                stats.append(_stats_of(arrays))
                good.append(i)
            except (ValueError, FloatingPointError, np.linalg.LinAlgError):
                out.append((i, FAILED, None))
        if not stats:
            continue
        batch_errors = (EstimationError, ModelSpecificationError, np.linalg.LinAlgError,
                        FloatingPointError, ValueError)
        try:
            X, f, conv = _batch_bfgs(_BatchML(payload.model, stats), payload.x_full,
                                     payload.hinv0)
        except batch_errors:
            # one draw broke the batch: refit each draw alone (a draw's result does not
            # depend on its batch, so the others come out as in any other chunking)
            X, f, conv = (np.full((len(stats), q), np.nan), np.full(len(stats), np.inf),
                          np.zeros(len(stats), dtype=bool))
            for j, st in enumerate(stats):
                try:
                    xj, fj, cj = _batch_bfgs(_BatchML(payload.model, [st]), payload.x_full,
                                             payload.hinv0)
                except batch_errors:
                    continue
                X[j], f[j], conv[j] = xj[0], fj[0], cj[0]
        status = np.full(len(stats), OK)
        for j in np.flatnonzero(~conv | ~np.isfinite(f)):  # rare: the general backend
            try:
                st = stats[j]
                x, fj, _, ok = ml.estimate(payload.model.bind(st), st, payload.x_full)
            except (EstimationError, ModelSpecificationError, DataError,
                    np.linalg.LinAlgError, FloatingPointError, ValueError):
                x, fj, ok = np.full(q, np.nan), np.inf, False
            X[j], f[j] = x, fj
            status[j] = OK if ok else NOT_CONVERGED
        finite = np.isfinite(X).all(axis=1) & np.isfinite(f)
        status[~finite] = FAILED
        vals = X
        if payload.statistic is not None:
            vals = [None] * len(stats)
            for j in np.flatnonzero(finite):
                try:
                    vals[j] = np.atleast_1d(np.asarray(
                        payload.statistic(payload.model.bind(stats[j]), X[j]), dtype=float))
                except (EstimationError, ModelSpecificationError, DataError,
                        np.linalg.LinAlgError, FloatingPointError, ValueError):
                    status[j] = FAILED
        elif dp is not None and len(dp):
            rows = np.repeat(payload.fixed_rows[None], len(stats), axis=0)
            free = payload.table_xid >= 0
            rows[:, free] = X[:, payload.table_xid[free]]
            vals = np.concatenate([X, _defined_batch(dp, rows)], axis=1)
        for j, i in enumerate(good):
            ok_row = status[j] != FAILED
            out.append((i, int(status[j]), np.array(vals[j], dtype=float) if ok_row else None))
    out.sort(key=lambda r: r[0])
    return out


def run_jackknife(payload: BootstrapPayload, case_ids: Sequence[int]) -> list[tuple[int, int,
                                                                                   Any]]:
    """Leave-one-out refits for the cases ``case_ids`` (numbered across groups); with
    clusters, the ids number the clusters and each refit leaves out a whole cluster."""
    if payload.clusters is None:
        sizes = np.cumsum([0] + [y.shape[0] for y in payload.arrays])
    else:
        sizes = np.cumsum([0] + [int(c.max()) + 1 for c in payload.clusters])
    dp = _defined(payload)
    out = []
    with blas_threads(1):
        for i in case_ids:
            g = int(np.searchsorted(sizes, i, side="right") - 1)
            arrays = list(payload.arrays)
            if payload.clusters is None:
                drop = i - sizes[g]
            else:
                drop = np.flatnonzero(payload.clusters[g] == i - sizes[g])
            arrays[g] = np.delete(arrays[g], drop, axis=0)
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
    clusters = [] if opts.get("cluster") is not None else None
    for st in stats:
        y = np.asarray(st.data, dtype=float)
        keep = np.ones(y.shape[0], dtype=bool)
        if missing_ml and model.ov_x:  # lavaan deletes cases with missing fixed.x covariates
            xi = [model.ov_names.index(v) for v in model.ov_x]
            keep = ~np.isnan(y[:, xi]).any(axis=1)
            y = y[keep]
        y = np.ascontiguousarray(y)
        y.setflags(write=False)
        arrays.append(y)
        if clusters is not None:
            if st.cluster is None:
                raise DataError("cluster= is set but the data carry no cluster ids.")
            codes = fiml.cluster_codes(np.asarray(st.cluster)[keep])
            codes.setflags(write=False)
            clusters.append(codes)
    # MappingProxyType does not pickle: plain-dict options, and no cached baseline model
    changes: dict[str, Any] = {"options": dict(model.options)}
    if "baseline" in {f.name for f in fields(model)}:
        changes["baseline"] = None
    plain = replace(model, **changes)
    bound = plain.bind(_stats_of(arrays))
    if x_full is None:
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
        clusters=None if clusters is None else tuple(clusters),
    )
    if not missing_ml and _fast_supported(bound):
        hinv0 = _start_inverse_hessian(bound, _stats_of(arrays), x_full)
        if hinv0 is not None:
            payload = replace(payload, hinv0=hinv0,
                              table_xid=bound.partable["xid"].to_numpy(dtype=int))
    dp = _defined(payload)
    payload = replace(payload, defined=dp)
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
    # batched draws gain from larger chunks (fewer, bigger batches; results do not depend
    # on the chunking)
    max_chunk = 250 if fn is run_draws and payload.hinv0 is not None else 50
    return executor.map(fn, payload, ids, progress=progress, desc=desc, max_chunk=max_chunk)


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
    Cases are resampled within groups; with ``cluster=`` whole clusters are (the
    cluster bootstrap: each draw has as many clusters as the sample, so the dependence
    within a cluster is kept), and the BCa jackknife leaves out one cluster at a time.
    Each draw is refitted warm-started from the
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
        n_cases = (sum(y.shape[0] for y in payload.arrays) if payload.clusters is None
                   else sum(int(c.max()) + 1 for c in payload.clusters))
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
