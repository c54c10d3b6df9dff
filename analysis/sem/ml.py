"""Maximum likelihood backend for complete data (listwise deletion).

lavaan 0.6 defaults: ``likelihood = "normal"`` (sample covariance with divisor
N), chi-square ``N * F_ML`` summed over groups, expected information, standard
SEs.  Estimation by Fisher scoring (Gauss-Newton with the expected information)
with step halving; scipy's L-BFGS-B with the analytic gradient as fallback.

# In R: lavaan::sem(model, data, estimator = "ML")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import optimize, stats

from analysis.errors import EstimationError, ModelSpecificationError

from .model import CompiledModel, SampleStats
from .starts import alternative_starts
from .state import FitState, nonnegative_statistic

LOG2PI = float(np.log(2.0 * np.pi))


def _group_terms(model: CompiledModel, x: np.ndarray, data: list[SampleStats]):
    """Per-group Sigma, Sigma^-1, log|Sigma|, mean residual; None if Sigma is not PD."""
    out = []
    for imp, st in zip(model.implied(x), data, strict=True):
        try:
            c = np.linalg.cholesky(imp.sigma)
        except np.linalg.LinAlgError:
            return None
        cinv = np.linalg.inv(c)
        sinv = cinv.T @ cinv
        logdet = 2.0 * np.sum(np.log(np.diag(c)))
        r = (st.mean - imp.mu) if imp.mu is not None else np.zeros(len(st.mean))
        out.append((imp.sigma, sinv, logdet, r))
    return out


def f_ml(model: CompiledModel, x: np.ndarray, data: list[SampleStats]) -> float:
    """ML discrepancy ``sum_g (n_g/N) F_g`` (lavaan's fmin is half of it); inf if not PD."""
    terms = _group_terms(model, x, data)
    if terms is None:
        return np.inf
    ntot = sum(st.n for st in data)
    total = 0.0
    for (_sig, sinv, logdet, r), st in zip(terms, data, strict=True):
        p = len(r)
        _sign, logdet_s = np.linalg.slogdet(st.cov)
        f = logdet + np.sum(st.cov * sinv) - logdet_s - p + r @ sinv @ r
        total += st.n / ntot * f
    return float(total)


def gradient_information(model: CompiledModel, x: np.ndarray, data: list[SampleStats],
                         hessian: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Gradient of ``f_ml`` and its expected Hessian (= 2/N x expected information).

    With ``hessian=False`` only the gradient is computed (second item None).
    """
    terms = _group_terms(model, x, data)
    if terms is None:
        raise EstimationError("The model-implied covariance matrix is not positive definite.")
    ntot = sum(st.n for st in data)
    k = model.n_free
    g = np.zeros(k)
    H = np.zeros((k, k)) if hessian else None
    for gi, ((sig, sinv, _ld, r), st) in enumerate(zip(terms, data, strict=True)):
        w = st.n / ntot
        dS, dM, _dT = model.derivatives(x, gi)
        W = sinv @ (sig - st.cov - np.outer(r, r)) @ sinv
        g += w * (np.einsum("ij,aij->a", W, dS) - 2.0 * dM @ (sinv @ r))
        if hessian:
            H += w * _expected_block(sinv, dS, dS, dM, dM, model.meanstructure)
    return g, H


def _expected_block(sinv, dS1, dS2, dM1, dM2, meanstructure: bool) -> np.ndarray:
    """``tr(S^-1 dS_a S^-1 dS_b) + 2 dmu_a' S^-1 dmu_b`` for all pairs (a in 1, b in 2)."""
    k1, p = dS1.shape[0], sinv.shape[0]
    M1 = np.matmul(sinv[None, :, :], dS1).reshape(k1, p * p)
    if dS2 is dS1:
        M2 = M1
    else:
        M2 = np.matmul(sinv[None, :, :], dS2).reshape(dS2.shape[0], p * p)
    # tr(A B) = sum_ij A_ij B_ji: transpose the second factor's matrices
    M2t = M2.reshape(-1, p, p).transpose(0, 2, 1).reshape(-1, p * p)
    out = M1 @ M2t.T
    if meanstructure:
        out += 2.0 * dM1 @ sinv @ dM2.T
    return out


def expected_blocks(model: CompiledModel, x: np.ndarray, data: list[SampleStats], n1: int,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradient of ``f_ml`` and the blocks ``H11``, ``H12``, ``diag(H22)`` of its expected
    Hessian, where block 1 are the first ``n1`` entries of ``x`` (for score tests)."""
    terms = _group_terms(model, x, data)
    if terms is None:
        raise EstimationError("The model-implied covariance matrix is not positive definite.")
    ntot = sum(st.n for st in data)
    k = model.n_free
    g = np.zeros(k)
    H11 = np.zeros((n1, n1))
    H12 = np.zeros((n1, k - n1))
    d22 = np.zeros(k - n1)
    for gi, ((sig, sinv, _ld, r), st) in enumerate(zip(terms, data, strict=True)):
        w = st.n / ntot
        dS, dM, _dT = model.derivatives(x, gi)
        W = sinv @ (sig - st.cov - np.outer(r, r)) @ sinv
        g += w * (np.einsum("ij,aij->a", W, dS) - 2.0 * dM @ (sinv @ r))
        ms = model.meanstructure
        H11 += w * _expected_block(sinv, dS[:n1], dS[:n1], dM[:n1], dM[:n1], ms)
        H12 += w * _expected_block(sinv, dS[:n1], dS[n1:], dM[:n1], dM[n1:], ms)
        M2 = np.matmul(sinv[None, :, :], dS[n1:])
        d = np.einsum("aij,aji->a", M2, M2)
        if ms:
            d += 2.0 * np.einsum("ai,ij,aj->a", dM[n1:], sinv, dM[n1:])
        d22 += w * d
    return g, H11, H12, d22


def _line_search(model, data, x, f, g, step):
    t = 1.0
    slope = float(g @ step)
    while t >= 1e-10:
        xn = x + t * step
        fn = f_ml(model, xn, data)
        if np.isfinite(fn) and fn <= f + 1e-4 * t * slope + 1e-15:
            return xn, fn, t
        t *= 0.5
    return None


# Newton decrement g' H^-1 g (about twice the distance of F_ML from its minimum) below
# which the estimates are taken as converged; with H the expected Hessian of F_ML this is
# invariant to rescaling the variables, unlike the gradient's size
_DECREMENT_TOL = 1e-14


def _stationary(model, x, data, g) -> bool:
    """Whether ``x`` is a stationary point by the Newton decrement on the expected
    Hessian (or a gradient below 1e-6)."""
    if g.size == 0 or np.max(np.abs(g)) < 1e-6:
        return True
    try:
        _g, H = gradient_information(model, x, data)
        dec = float(g @ np.linalg.solve(H, g))
    except (np.linalg.LinAlgError, EstimationError):
        return False
    return bool(np.isfinite(dec) and 0.0 <= dec < _DECREMENT_TOL)


def _scoring(model, x, data, max_iter=500, tol=1e-9, n_scoring=4):
    """Fisher scoring for the first steps, then BFGS started from the expected Hessian.

    Fisher scoring alone converges only linearly when the model does not fit;
    the quasi-Newton updates make the final phase superlinear.
    """
    f = f_ml(model, x, data)
    if not np.isfinite(f):
        return x, f, 0, False
    g, H = gradient_information(model, x, data)
    B = None
    for it in range(1, max_iter + 1):
        if B is None:
            A = H + 1e-12 * np.eye(len(x))
        else:
            A = B
        try:
            step = -np.linalg.solve(A, g)
        except np.linalg.LinAlgError:
            return x, f, it, False
        if 0.0 <= -float(g @ step) < _DECREMENT_TOL and (
                B is None or _stationary(model, x, data, g)):
            # the Newton decrement: F is at its minimum to ~1e-14 whatever the scales of
            # the variables (the gradient alone is not: a regression on a variable with
            # variance 1e9 has a gradient 1e4 times the SE-scaled one)
            return x, f, it, True
        if not np.all(np.isfinite(step)) or g @ step >= 0:
            if B is None:
                return x, f, it, bool(np.max(np.abs(g)) < 1e-7)
            B = None  # restart with the expected Hessian
            g, H = gradient_information(model, x, data)
            continue
        found = _line_search(model, data, x, f, g, step)
        if found is None:
            return x, f, it, bool(np.max(np.abs(g)) < 1e-7)
        xn, fn, t = found
        use_bfgs = it >= n_scoring
        gn, Hn = gradient_information(model, xn, data, hessian=not use_bfgs)
        if use_bfgs:
            if B is None:
                B = H.copy()
            s_, y_ = xn - x, gn - g
            sy = float(s_ @ y_)
            if sy > 1e-14:
                Bs = B @ s_
                B = B - np.outer(Bs, Bs) / float(s_ @ Bs) + np.outer(y_, y_) / sy
        else:
            H = Hn
        x, fold, f, g = xn, f, fn, gn
        small_step = np.max(np.abs(t * step)) < tol
        if small_step or (abs(fold - f) < 1e-16 and np.max(np.abs(g)) < 1e-9):
            if np.max(np.abs(g)) < 1e-6:
                return x, f, it, True
            if B is None:  # stuck although the gradient is not small
                return x, f, it, False
            B = None  # quasi-Newton matrix went bad: back to the expected Hessian
            g, H = gradient_information(model, x, data)
    return x, f, max_iter, False


def _objective(model, data, off: float):
    """F_ML and its gradient for scipy's minimizers; ``off`` where F is not finite."""
    def fun(z):
        f = f_ml(model, z, data)
        if not np.isfinite(f):
            return off, np.zeros_like(z)
        g, _ = gradient_information(model, z, data, hessian=False)
        return f, g

    return fun


def _lbfgs(model, x, data, bounds=None):
    fun = _objective(model, data, 1e10)
    b = None if bounds is None else list(zip(*bounds, strict=True))
    res = optimize.minimize(fun, x, jac=True, method="L-BFGS-B", bounds=b,
                            options=dict(maxiter=20000, maxfun=40000, ftol=1e-16, gtol=1e-10))
    return res.x, float(res.fun), int(res.nit), bool(res.success)


def _bounded(model, x0, data, lo, hi, max_iter):
    """Bounded problem: the unconstrained solution when it keeps the bounds (they are
    inactive); else the lower of the active-set end from there and L-BFGS-B from the
    start values (then Fisher scoring on the parameters off their bounds)."""
    xu, fu, itu, oku = _scoring(model, x0, data, max_iter=max_iter)
    if oku and np.all(xu >= lo) and np.all(xu <= hi):
        return xu, fu, itu, oku
    found = None
    if np.isfinite(fu) and np.all(np.isfinite(xu)):
        found = _active_set(model, xu, data, lo, hi, max_iter)
        if found is None:  # L-BFGS-B from there: usually nearer the solution
            found = _bounded_path(model, xu, data, lo, hi, max_iter)
    # the unconstrained path may have ended far off (a variance run away to -2e4, a
    # loading at 0): the bounded path from the start values too, the lower end kept
    xb, fb, itb, okb = _bounded_path(model, x0, data, lo, hi, max_iter)
    if found is None:
        return xb, fb, itb + itu, okb
    x, f, it, ok = found
    if okb and (not ok or fb < f - 1e-10):
        return xb, fb, itb + it + itu, okb
    return x, f, it + itu, ok


def _bounded_path(model, x0, data, lo, hi, max_iter):
    """L-BFGS-B from ``x0`` (moved inside the bounds), then Fisher scoring on the
    parameters off their bounds."""
    span = np.where(np.isfinite(hi - lo), hi - lo, 1.0)
    x0 = np.clip(x0, lo + 1e-3 * np.minimum(span, 1.0), hi - 1e-3 * np.minimum(span, 1.0))
    x, f, it, ok = _lbfgs(model, x0, data, bounds=(lo, hi))
    active = _active(x, lo, hi)
    if not active.all():
        free = ~active
        sub = _Sub(model, x, free)
        xs, fs, it2, ok2 = _scoring(sub, x[free], data, max_iter=max_iter)
        cand = x.copy()
        cand[free] = xs
        if ok2 and np.all(cand >= lo) and np.all(cand <= hi) and fs <= f + 1e-12:
            x, f, ok = cand, fs, True
        it += it2
    return x, f, it, ok


def _lowest_bounded_end(model, data, lo, hi, max_iter, x, f, it):
    """An end on the bound of an inequality constraint may be an artefact of the path:
    a bound cuts the parameter space, and a path that meets it stops there although the
    feasible side may hold a lower minimum (a factor with a negative variance inside
    the bound, lavaan's end from its start values).  The bounded search from each
    alternative start too (analysis/sem/starts), the lowest converged end kept where the
    information of its free parameters is not singular (a lower end on a ridge, e.g. a
    loading run to 0 with its factor's variance to -1e4, is no solution)."""
    for _label, xs in alternative_starts(model, data, model.x_start(data)):
        try:
            xa, fa, ita, oka = _bounded(model, xs, data, lo, hi, max_iter)
        except EstimationError:
            continue
        it += ita
        if oka and np.isfinite(fa) and fa < f - 1e-10 and _identified(model, xa, data, lo, hi):
            x, f = xa, fa
    return x, f, it


def _identified(model, x, data, lo, hi) -> bool:
    """The information of the parameters off their bounds is not singular at ``x``."""
    try:
        info = information(model, x, data)
        keep = ~_active(x, lo, hi)
        check_identification(model, info[np.ix_(keep, keep)])
    except (EstimationError, ModelSpecificationError):
        return False
    return True


def _active_set(model, x, data, lo, hi, max_iter, rounds=10):
    """Active-set Fisher scoring from the unconstrained solution ``x``: parameters beyond
    a bound are held on it and the others re-estimated, until the free ones keep their
    bounds and no held one's gradient pulls it back inside (the KKT conditions).
    ``None`` when that does not settle (the caller then uses L-BFGS-B)."""
    x = np.clip(x, lo, hi)
    active = (x <= lo) | (x >= hi)
    it = 0
    for _ in range(rounds):
        free = ~active
        if not free.any():
            return None
        sub = _Sub(model, x, free)
        xs, f, it_s, ok = _scoring(sub, x[free], data, max_iter=max_iter)
        it += it_s
        if not ok or not np.isfinite(f):
            return None
        x = x.copy()
        x[free] = xs
        out = free & ((x < lo) | (x > hi))
        if out.any():  # a free parameter crossed its bound: hold it there too
            x = np.clip(x, lo, hi)
            active |= out
            continue
        try:
            g, _ = gradient_information(model, x, data, hessian=False)
        except EstimationError:
            return None
        # on a lower bound F must not fall when the parameter rises (g >= 0), on an
        # upper bound when it falls (g <= 0); release the ones that would
        scale = 1e-8 * max(1.0, float(np.max(np.abs(g[free]))) if free.any() else 1.0)
        release = active & (((x <= lo) & (g < -scale)) | ((x >= hi) & (g > scale)))
        if not release.any():
            return x, float(f), it, True
        active &= ~release
    return None


def _active(x, lo, hi, tol=1e-7):
    """Parameters on a finite bound (an infinite side is never active: ``inf <= inf``
    flagged every one-sided bound as active)."""
    with np.errstate(invalid="ignore"):
        at_lo = np.isfinite(lo) & (x - lo <= tol * np.maximum(1.0, np.abs(lo)))
        at_hi = np.isfinite(hi) & (hi - x <= tol * np.maximum(1.0, np.abs(hi)))
    return at_lo | at_hi


class _Sub:
    """A view of a model with some entries of ``x`` held at their current values."""

    def __init__(self, model, x, free):
        self._m, self._x, self._free = model, np.asarray(x, dtype=float), free
        self.n_free = int(free.sum())
        self.meanstructure = model.meanstructure

    def _full(self, z):
        x = self._x.copy()
        x[self._free] = z
        return x

    def implied(self, z):
        return self._m.implied(self._full(z))

    def derivatives(self, z, g):
        dS, dM, dT = self._m.derivatives(self._full(z), g)
        return dS[self._free], dM[self._free], dT[self._free]


def estimate(model: CompiledModel, data: list[SampleStats], start: np.ndarray | None = None,
             max_iter: int = 500) -> tuple[np.ndarray, float, int, bool]:
    """Minimise the ML discrepancy; returns ``(x, F_ML, iterations, converged)``.

    ``max_iter`` bounds the scoring/BFGS iterations; when it is reached the
    result is returned with ``converged=False``.
    """
    x0 = model.x_start(data) if start is None else np.asarray(start, dtype=float).copy()
    if model.n_free == 0:
        return x0, f_ml(model, x0, data), 0, True
    lo, hi = model.bounds()
    if np.isfinite(lo).any() or np.isfinite(hi).any():
        x, f, it, ok = _bounded(model, x0, data, lo, hi, max_iter)
        if start is None and ok and _active(x, lo, hi).any():
            x, f, it = _lowest_bounded_end(model, data, lo, hi, max_iter, x, f, it)
        return x, f, it, ok
    x, f, it, ok = _scoring(model, x0, data, max_iter=max_iter)
    if not ok and it < max_iter:
        xb, fb, itb, okb = _lbfgs(model, x if np.isfinite(f) else x0, data)
        if okb or fb < f:
            x, f, it2, ok2 = _scoring(model, xb, data)
            if not ok2 and fb < f:
                x, f, ok2 = xb, fb, okb
            it, ok = it + itb + it2, ok2
    elif not ok:
        x, f, it, ok = _quasi_newton_path(model, data, x0, max_iter, x, f, it)
    return x, f, it, ok


def _quasi_newton_path(model, data, x0, max_iter, x, f, it):
    """After the scoring steps ran to the iteration limit: the quasi-Newton path from the
    same start (at most ``max_iter`` iterations, polished by scoring), kept when it ends
    converged no higher than where scoring stopped.

    Full Fisher-scoring steps from the start can lead into a valley along which a
    residual variance runs off to minus infinity while the discrepancy falls ever more
    slowly towards a value above the minimum; quasi-Newton steps from a unit Hessian (as
    lavaan's nlminb takes them) stay near the start and reach the minimum.  A method-factor
    model (tests/test_method_variance_campaign.py, equal_ml_3): scoring stopped after 300
    iterations at F = 0.15530 with a residual variance of -12.4; BFGS from the start ends
    at lavaan's proper minimum, F = 0.153134.
    """
    fun = _objective(model, data, np.inf)
    # as many quasi-Newton iterations as scoring had (a runaway path would otherwise
    # spend thousands of them)
    with np.errstate(all="ignore"):
        found = optimize.minimize(fun, np.asarray(x0, dtype=float), jac=True, method="BFGS",
                                  options={"maxiter": max_iter, "gtol": 1e-6})
    if not np.isfinite(found.fun) or (np.isfinite(f) and found.fun > f + 1e-12):
        return x, f, it, False
    xs, fs, its, oks = _scoring(model, found.x, data, max_iter=max_iter)
    if not oks or (np.isfinite(f) and fs > f + 1e-12):
        return x, f, it, False
    return xs, fs, it + int(found.nit) + its, True


def information(model: CompiledModel, x: np.ndarray, data: list[SampleStats]) -> np.ndarray:
    """Expected (unit) information of ``x`` summed over cases: ``N/2 * H``."""
    ntot = sum(st.n for st in data)
    _g, H = gradient_information(model, x, data)
    return 0.5 * ntot * H


def check_identification(model: CompiledModel, info: np.ndarray) -> None:
    """Raise ``ModelSpecificationError`` if the information matrix is singular."""
    if info.size == 0:
        return
    d = np.sqrt(np.abs(np.diag(info)))
    d[d == 0] = 1.0
    scaled = info / np.outer(d, d)
    vals, vecs = np.linalg.eigh(scaled)
    if vals[0] < 1e-9 * max(vals[-1], 1.0):
        v = np.abs(vecs[:, 0])
        names = model.x_names
        worst = [names[i] for i in np.argsort(-v)[:4] if v[i] > 0.1]
        raise ModelSpecificationError(
            "The model is not identified: the information matrix is singular "
            f"(smallest eigenvalue {vals[0]:.2e}). The parameters involved are: "
            f"{', '.join(worst)}. Fix a loading or variance per latent variable, add "
            "indicators, or constrain these parameters.")


def loglik(model: CompiledModel, x: np.ndarray, data: list[SampleStats]) -> tuple[float, float]:
    """Log-likelihood of the model and of the unrestricted (saturated) model.

    With fixed.x covariates the marginal (saturated) log-likelihood of the
    covariates is subtracted from both, as lavaan does.
    """
    terms = _group_terms(model, x, data)
    ll = 0.0
    ll1 = 0.0
    for (_sig, sinv, logdet, r), st in zip(terms, data, strict=True):
        p = len(r)
        _s, logdet_s = np.linalg.slogdet(st.cov)
        ll += -0.5 * st.n * (p * LOG2PI + logdet + np.sum(st.cov * sinv) + r @ sinv @ r)
        ll1 += -0.5 * st.n * (p * LOG2PI + logdet_s + p)
        if model.ov_x:
            # fixed.x: lavaan reports the likelihood conditional on the covariates
            ix = [model.ov_names.index(v) for v in model.ov_x]
            _s, logdet_x = np.linalg.slogdet(st.cov[np.ix_(ix, ix)])
            llx = -0.5 * st.n * (len(ix) * LOG2PI + logdet_x + len(ix))
            ll -= llx
            ll1 -= llx
    return float(ll), float(ll1)


def fit_ml(model: CompiledModel, data: list[SampleStats], options: Mapping[str, Any],
           start: np.ndarray | None = None) -> FitState:
    """ML backend (complete data); see the package docstring for the protocol.

    Non-convergence does not raise: the state has ``converged=False`` and a
    warning; the result reports it.  A singular information matrix raises
    ``ModelSpecificationError`` (not identified).

    # In R: lavaan::sem(model, data, estimator = "ML", missing = "listwise")
    """
    x, F, it, ok = estimate(model, data, start, max_iter=int(options.get("max_iter", 500)))
    warnings = []
    if not ok:
        warnings.append(f"The ML estimation did not converge after {it} iterations; "
                        "results are not trustworthy. Try other start values or a simpler "
                        "model.")
    if not np.isfinite(F):
        raise EstimationError("ML estimation failed: the model-implied covariance matrix is "
                              "not positive definite at every point tried.")
    ntot = sum(st.n for st in data)
    vcov = None
    if model.n_free:
        info = information(model, x, data)
        lo, hi = model.bounds()
        active = _active(x, lo, hi) & (np.isfinite(lo) | np.isfinite(hi))
        keep = ~active
        if ok and not options.get("baseline"):
            check_identification(model, info[np.ix_(keep, keep)] if active.any() else info)
        try:
            # an active inequality constraint acts as an equality one, as in lavaan: the
            # parameter on its bound has no standard error (NaN rows here; lavaan prints
            # NA or 0, whichever sign its rounding gives the zero variance), and the
            # others' come from the information without it
            vcov = np.full(info.shape, np.nan)
            vcov[np.ix_(keep, keep)] = np.linalg.inv(info[np.ix_(keep, keep)])
        except np.linalg.LinAlgError:
            vcov = None
        if active.any():
            names = model.x_names
            warnings.append("Parameters on the bound of an inequality constraint (no standard "
                            "error: the bound acts as an equality constraint): "
                            + ", ".join(names[i] for i in np.flatnonzero(active)) + ".")
    chisq = nonnegative_statistic(ntot * F)
    df = model.df()
    pval = float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan")
    ll, ll1 = loglik(model, x, data)
    return FitState(x=x, vcov=vcov, converged=ok, iterations=it, fmin=0.5 * F,
                    test={"chisq": float(chisq), "df": float(df), "pvalue": pval},
                    loglik=ll, loglik_h1=ll1, warnings=tuple(warnings))
