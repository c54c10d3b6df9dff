"""Full-information maximum likelihood (FIML) building blocks for missing data.

Everything here works on *moments*: a mean vector ``mu`` (p,) and a covariance matrix
``sigma`` (p, p).  Derivatives are taken with respect to lavaan's moment vector
``[mu, vech(sigma)]`` where ``vech`` stacks the lower triangle column-wise including the
diagonal.  A derivative with respect to an off-diagonal element of ``vech(sigma)`` is the
total derivative (the element appears twice in ``sigma``), which is what lavaan's
``Delta`` matrix (d moments / d theta) expects.

The functions mirror lavaan's ``lav_mvnorm_missing_*`` family:

* :func:`missing_patterns` -- lavaan's ``lavInspect(fit, "patterns")``;
* :func:`loglik_casewise`, :func:`loglik` -- the observed-data normal log-likelihood;
* :func:`loglik_gradient`, :func:`casewise_scores`;
* :func:`information_observed` (Hessian based), :func:`information_expected`,
  :func:`information_first_order` -- all *per observation* (divided by N), as lavaan
  reports them;
* :func:`em_saturated` -- the unrestricted (h1) model by EM
  (``lav_mvnorm_missing_h1_estimate_moments``).

The backend :func:`fit_fiml` (estimator ML with ``missing="fiml"``) is built on these
and on the compiled model's ``implied`` and ``jacobian``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from instruments.errors import DataError, EstimationError

LOG_2PI = float(np.log(2.0 * np.pi))

__all__ = [
    "MissingPatterns",
    "SaturatedFit",
    "casewise_scores",
    "duplication_matrix",
    "em_saturated",
    "information_expected",
    "information_first_order",
    "information_observed",
    "loglik",
    "loglik_casewise",
    "loglik_gradient",
    "missing_patterns",
    "vech",
    "vech_indices",
]


# --------------------------------------------------------------------------------------
# vech helpers
# --------------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _vech_idx(p: int) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = [], []
    for j in range(p):
        for i in range(j, p):
            rows.append(i)
            cols.append(j)
    r = np.array(rows, dtype=np.intp)
    c = np.array(cols, dtype=np.intp)
    r.setflags(write=False)
    c.setflags(write=False)
    return r, c


def vech_indices(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of ``vech`` (lower triangle, column-wise, with diagonal)."""
    return _vech_idx(int(p))


def vech(a: np.ndarray) -> np.ndarray:
    """Half-vectorisation of a symmetric matrix in lavaan's order.

    # In R: lavaan::lav_matrix_vech(a)
    """
    r, c = vech_indices(a.shape[0])
    return np.asarray(a)[r, c]


@lru_cache(maxsize=64)
def _dup(p: int) -> np.ndarray:
    r, c = vech_indices(p)
    d = np.zeros((p * p, len(r)))
    for k, (i, j) in enumerate(zip(r, c, strict=True)):
        d[i * p + j, k] = 1.0
        d[j * p + i, k] = 1.0
    d.setflags(write=False)
    return d


def duplication_matrix(p: int) -> np.ndarray:
    """Duplication matrix ``D`` with ``vec(S) = D @ vech(S)`` (read-only, cached).

    # In R: lavaan::lav_matrix_duplication(p)
    """
    return _dup(int(p))


def _sym_grad_to_vech(g: np.ndarray) -> np.ndarray:
    """Map dL/dSigma (unconstrained, symmetric) to the total derivative w.r.t. vech."""
    p = g.shape[-1]
    r, c = vech_indices(p)
    out = g[..., r, c] * np.where(r == c, 1.0, 2.0)
    return out


# --------------------------------------------------------------------------------------
# patterns
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MissingPatterns:
    """Missing-data patterns of a data matrix.

    Attributes
    ----------
    observed : ndarray of bool, shape (n_patterns, p)
        ``True`` where a variable is observed in the pattern (lavaan's ``"patterns"``).
    case_pattern : ndarray of int, shape (n,)
        Pattern index of each case.
    counts : ndarray of int, shape (n_patterns,)
        Number of cases per pattern.
    """

    observed: np.ndarray
    case_pattern: np.ndarray
    counts: np.ndarray
    cases: tuple[np.ndarray, ...] = field(repr=False)

    @property
    def n_patterns(self) -> int:
        return int(self.observed.shape[0])


def missing_patterns(y: np.ndarray) -> MissingPatterns:
    """Find the missing-data patterns of ``y`` (NaN = missing).

    Patterns are ordered by decreasing frequency, ties by first appearance, like lavaan.
    Cases with every variable missing are refused (remove them first).

    # In R: lavInspect(fit, "patterns")
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 2:
        raise DataError("The data for FIML must be a two-dimensional array.")
    obs = ~np.isnan(y)
    empty = ~obs.any(axis=1)
    if empty.any():
        raise DataError(
            f"{int(empty.sum())} case(s) have every variable missing; remove them "
            "before fitting with missing='fiml'."
        )
    uniq, first, inverse, counts = np.unique(
        obs, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    inverse = np.asarray(inverse).reshape(-1)
    order = sorted(range(len(uniq)), key=lambda k: (-counts[k], first[k]))
    remap = np.empty(len(uniq), dtype=np.intp)
    remap[order] = np.arange(len(uniq))
    case_pattern = remap[inverse]
    observed = uniq[order]
    counts = counts[order]
    cases = tuple(np.flatnonzero(case_pattern == k) for k in range(len(order)))
    for a in (observed, case_pattern, counts):
        a.setflags(write=False)
    return MissingPatterns(observed, case_pattern, counts, cases)


def _patterns(y: np.ndarray, patterns: MissingPatterns | None) -> MissingPatterns:
    return patterns if patterns is not None else missing_patterns(y)


def _chol_inv_logdet(s: np.ndarray) -> tuple[np.ndarray, float]:
    try:
        c = np.linalg.cholesky(s)
    except np.linalg.LinAlgError as exc:
        raise EstimationError(
            "The model-implied covariance matrix is not positive definite for the observed "
            "variables of a missing-data pattern."
        ) from exc
    ci = np.linalg.inv(c)
    return ci.T @ ci, 2.0 * float(np.log(np.diag(c)).sum())


# --------------------------------------------------------------------------------------
# log-likelihood and derivatives
# --------------------------------------------------------------------------------------
def loglik_casewise(
    y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, patterns: MissingPatterns | None = None
) -> np.ndarray:
    """Casewise observed-data normal log-likelihood.

    Notes
    -----
    For case i with observed variables o:
    ``l_i = -1/2 [p_o log(2 pi) + log|Sigma_oo| + (y_o - mu_o)' Sigma_oo^{-1} (y_o - mu_o)]``.

    # In R: lavaan:::lav_mvnorm_missing_llik_casewise(Y, Mu, Sigma)
    """
    y = np.asarray(y, dtype=float)
    pat = _patterns(y, patterns)
    out = np.empty(y.shape[0])
    for k in range(pat.n_patterns):
        o = pat.observed[k]
        idx = pat.cases[k]
        w, logdet = _chol_inv_logdet(sigma[np.ix_(o, o)])
        e = y[np.ix_(idx, o)] - mu[o]
        q = np.einsum("ij,jk,ik->i", e, w, e)
        out[idx] = -0.5 * (o.sum() * LOG_2PI + logdet + q)
    return out


def loglik(
    y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, patterns: MissingPatterns | None = None
) -> float:
    """Total observed-data normal log-likelihood (sum of :func:`loglik_casewise`).

    # In R: lavaan:::lav_mvnorm_missing_loglik_data(Y, Mu, Sigma)
    """
    return float(loglik_casewise(y, mu, sigma, patterns).sum())


def _pattern_blocks(y, mu, sigma, pat):
    """Yield (o, idx, W_full, e (n_k, p) with zeros at missing)."""
    p = sigma.shape[0]
    for k in range(pat.n_patterns):
        o = pat.observed[k]
        idx = pat.cases[k]
        w, _ = _chol_inv_logdet(sigma[np.ix_(o, o)])
        wf = np.zeros((p, p))
        wf[np.ix_(o, o)] = w
        e = np.zeros((len(idx), p))
        e[:, o] = y[np.ix_(idx, o)] - mu[o]
        yield o, idx, wf, e


def casewise_scores(
    y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, patterns: MissingPatterns | None = None
) -> np.ndarray:
    """Casewise scores d l_i / d [mu, vech(Sigma)], shape (n, p + p(p+1)/2).

    # In R: lavaan:::lav_mvnorm_missing_scores_mu_vech_sigma(Y, Mu, Sigma)
    """
    y = np.asarray(y, dtype=float)
    pat = _patterns(y, patterns)
    p = sigma.shape[0]
    pstar = p * (p + 1) // 2
    out = np.empty((y.shape[0], p + pstar))
    for _, idx, wf, e in _pattern_blocks(y, mu, sigma, pat):
        we = e @ wf  # (n_k, p)
        out[idx, :p] = we
        g = 0.5 * (we[:, :, None] * we[:, None, :] - wf[None, :, :])
        out[idx, p:] = _sym_grad_to_vech(g)
    return out


def loglik_gradient(
    y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, patterns: MissingPatterns | None = None
) -> np.ndarray:
    """Gradient of the total log-likelihood w.r.t. ``[mu, vech(Sigma)]``.

    # In R: lavaan:::lav_mvnorm_missing_dlogl_dmu / _dvechSigma
    """
    y = np.asarray(y, dtype=float)
    pat = _patterns(y, patterns)
    p = sigma.shape[0]
    gmu = np.zeros(p)
    gsig = np.zeros((p, p))
    for _, idx, wf, e in _pattern_blocks(y, mu, sigma, pat):
        we = e @ wf
        gmu += we.sum(axis=0)
        gsig += 0.5 * (we.T @ we - len(idx) * wf)
    return np.concatenate([gmu, _sym_grad_to_vech(gsig)])


def information_observed(
    y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, patterns: MissingPatterns | None = None
) -> np.ndarray:
    """Observed information per case: ``-(1/N) d^2 logl / d m d m'`` at ``(mu, sigma)``.

    ``m = [mu, vech(Sigma)]``.  With complete data at the sample moments this equals the
    expected information.

    # In R: lavaan:::lav_mvnorm_missing_information_observed_data(Y, Mu, Sigma)
    """
    y = np.asarray(y, dtype=float)
    pat = _patterns(y, patterns)
    p = sigma.shape[0]
    d = duplication_matrix(p)
    h_mm = np.zeros((p, p))
    h_ms = np.zeros((p, p * p))
    h_ss = np.zeros((p * p, p * p))
    for _, idx, wf, e in _pattern_blocks(y, mu, sigma, pat):
        n = len(idx)
        esum = e.sum(axis=0)
        t = e.T @ e  # sum of (y-mu)(y-mu)'
        h_mm += n * wf
        h_ms += np.kron((esum @ wf)[None, :], wf)
        wtw = wf @ t @ wf
        h_ss += 0.5 * (np.kron(wtw, wf) + np.kron(wf, wtw)) - 0.5 * n * np.kron(wf, wf)
    top = np.hstack([h_mm, h_ms @ d])
    bottom = np.hstack([(h_ms @ d).T, d.T @ h_ss @ d])
    return np.vstack([top, bottom]) / y.shape[0]


def information_expected(
    y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, patterns: MissingPatterns | None = None
) -> np.ndarray:
    """Expected information per case in ``[mu, vech(Sigma)]`` given the missing patterns.

    # In R: lavaan:::lav_mvnorm_missing_information_expected(Y, Mu, Sigma)
    """
    y = np.asarray(y, dtype=float)
    pat = _patterns(y, patterns)
    p = sigma.shape[0]
    d = duplication_matrix(p)
    pstar = p * (p + 1) // 2
    out = np.zeros((p + pstar, p + pstar))
    for _, idx, wf, _ in _pattern_blocks(y, mu, sigma, pat):
        n = len(idx)
        out[:p, :p] += n * wf
        out[p:, p:] += 0.5 * n * (d.T @ np.kron(wf, wf) @ d)
    return out / y.shape[0]


def information_first_order(
    y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, patterns: MissingPatterns | None = None
) -> np.ndarray:
    """First-order ("meat") information ``(1/N) sum_i s_i s_i'`` of the casewise scores.

    # In R: lavaan:::lav_mvnorm_missing_information_firstorder(Y, Mu, Sigma)
    """
    s = casewise_scores(y, mu, sigma, patterns)
    return s.T @ s / s.shape[0]


# --------------------------------------------------------------------------------------
# saturated model by EM
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SaturatedFit:
    """The unrestricted (h1) model: ML means and covariances under missing data."""

    mu: np.ndarray
    sigma: np.ndarray
    loglik: float
    iterations: int
    converged: bool


def em_saturated(
    y: np.ndarray,
    patterns: MissingPatterns | None = None,
    *,
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> SaturatedFit:
    """Maximum-likelihood means and covariances of incomplete normal data by EM.

    Parameters
    ----------
    y : ndarray (n, p)
        Data, ``NaN`` for missing values.
    patterns : MissingPatterns, optional
        Precomputed patterns of ``y``.
    tol : float
        Convergence when the largest absolute change of any mean or covariance is below
        ``tol`` times (1 + its size).
    max_iter : int
        Iteration limit; an :class:`EstimationError` is raised if it is reached.

    Returns
    -------
    SaturatedFit

    Notes
    -----
    E-step: for each case, the conditional mean of the missing part given the observed part
    and the conditional covariance; M-step: the complete-data ML estimates from the expected
    sufficient statistics. Starting values are the available-case means and variances.

    # In R: lavaan:::lav_mvnorm_missing_h1_estimate_moments(Y); fit@h1$implied
    """
    y = np.asarray(y, dtype=float)
    pat = _patterns(y, patterns)
    n, p = y.shape
    mu = np.nanmean(y, axis=0)
    var = np.nanvar(y, axis=0)
    if np.any(~np.isfinite(var)) or np.any(var <= 0):
        raise DataError("A variable has no variance among its observed values; EM cannot start.")
    sigma = np.diag(var)
    converged = False
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for k in range(pat.n_patterns):
            o = pat.observed[k]
            idx = pat.cases[k]
            yo = y[np.ix_(idx, o)]
            if o.all():
                t1 += yo.sum(axis=0)
                t2 += yo.T @ yo
                continue
            m = ~o
            s_oo = sigma[np.ix_(o, o)]
            s_mo = sigma[np.ix_(m, o)]
            beta = np.linalg.solve(s_oo, s_mo.T).T  # (m, o)
            yhat = np.empty((len(idx), p))
            yhat[:, o] = yo
            yhat[:, m] = mu[m] + (yo - mu[o]) @ beta.T
            cmm = sigma[np.ix_(m, m)] - beta @ s_mo.T
            t1 += yhat.sum(axis=0)
            t2 += yhat.T @ yhat
            t2[np.ix_(m, m)] += len(idx) * cmm
        mu_new = t1 / n
        sigma_new = t2 / n - np.outer(mu_new, mu_new)
        sigma_new = 0.5 * (sigma_new + sigma_new.T)
        delta = max(
            float(np.max(np.abs(mu_new - mu) / (1.0 + np.abs(mu)))),
            float(np.max(np.abs(sigma_new - sigma) / (1.0 + np.abs(sigma)))),
        )
        mu, sigma = mu_new, sigma_new
        if delta < tol:
            converged = True
            break
    if not converged:
        raise EstimationError(
            f"The EM algorithm for the saturated (h1) model did not converge in {max_iter} "
            "iterations; check for variables that are almost never observed together."
        )
    ll = loglik(y, mu, sigma, pat)
    mu.setflags(write=False)
    sigma.setflags(write=False)
    return SaturatedFit(mu=mu, sigma=sigma, loglik=ll, iterations=iterations, converged=True)


# --------------------------------------------------------------------------------------
# complete-data helpers used by the robust statistics
# --------------------------------------------------------------------------------------
def information_complete(sigma: np.ndarray, meanstructure: bool = True) -> np.ndarray:
    """Unit expected information of complete normal data in ``[mu, vech(Sigma)]``.

    ``blockdiag(Sigma^{-1}, 1/2 D' (Sigma^{-1} kron Sigma^{-1}) D)``; without a mean
    structure only the covariance block.

    # In R: lavaan:::lav_mvnorm_information_expected(Sigma = Sigma, meanstructure = TRUE)
    """
    p = sigma.shape[0]
    w, _ = _chol_inv_logdet(sigma)
    d = duplication_matrix(p)
    ss = 0.5 * (d.T @ np.kron(w, w) @ d)
    if not meanstructure:
        return ss
    pstar = ss.shape[0]
    out = np.zeros((p + pstar, p + pstar))
    out[:p, :p] = w
    out[p:, p:] = ss
    return out


def ml_discrepancy(
    mu: np.ndarray | None,
    sigma: np.ndarray,
    sample_mean: np.ndarray | None,
    sample_cov: np.ndarray,
) -> float:
    """Complete-data ML discrepancy ``F_ML`` between sample and implied moments.

    ``log|Sigma| - log|S| + tr(S Sigma^{-1}) - p + (m - mu)' Sigma^{-1} (m - mu)``; the
    chi-square is ``N F_ML`` (lavaan's ``likelihood = "normal"``).

    # In R: lavaan:::lav_mvnorm_... ; fitMeasures(fit, "fmin") * 2
    """
    p = sigma.shape[0]
    w, logdet = _chol_inv_logdet(sigma)
    _, logdet_s = _chol_inv_logdet(sample_cov)
    f = logdet - logdet_s + float(np.sum(sample_cov * w)) - p
    if mu is not None and sample_mean is not None:
        e = sample_mean - mu
        f += float(e @ w @ e)
    return float(f)


def independence_moments(
    y: np.ndarray, patterns: MissingPatterns | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """ML means and (diagonal) covariances of the independence (baseline) model.

    With a diagonal covariance matrix the observed-data likelihood factorises over
    variables, so the FIML estimates are the available-case means and ML variances.

    # In R: lavaan:::lav_object_independence(fit)  # with missing = "ml"
    """
    y = np.asarray(y, dtype=float)
    mu = np.nanmean(y, axis=0)
    var = np.nanvar(y, axis=0)
    return mu, np.diag(var)
