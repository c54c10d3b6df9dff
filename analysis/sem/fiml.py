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

import hashlib
import math
import os
import threading
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
from scipy import stats
from scipy.linalg import lapack

from analysis.errors import DataError, EstimationError, ModelSpecificationError

from . import robust as rb
from .build import baseline_model
from .matrix import duplication_matrix, vech, vech_indices
from .model import CompiledModel, SampleStats
from .state import FitState, RobustTest, nonnegative_statistic

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
    "pattern_stats",
    "vech",
    "vech_indices",
]


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
    """``(inverse, log-determinant)`` of a symmetric positive definite ``s`` from its
    Cholesky factor (LAPACK ``potrf``, then ``trtri`` on the triangle: about half the
    work of a general inverse of the factor)."""
    c, info = lapack.dpotrf(s, lower=1, clean=1)
    logdet = 2.0 * float(np.log(c.diagonal()).sum()) if info == 0 else math.nan
    if math.isfinite(logdet):  # potrf passes NaN through without a word
        ci, info = lapack.dtrtri(c, lower=1)
    else:
        info = max(int(info), 1)
    if info != 0:
        raise EstimationError(
            "The model-implied covariance matrix is not positive definite for the observed "
            "variables of a missing-data pattern."
        )
    return ci.T @ ci, logdet


#: Pattern inverses computed lately, per pattern-statistics object:
#: ``id(stats) -> (stats, sigma's bytes, [(W, logdet), ...])``.  The likelihood and the
#: information at one point (of every group) need the same inverses.  Entries are
#: replaced as a whole (a reader sees an old entry or the new one, never half of one);
#: at most _INVERSES_KEPT are kept.
_INVERSES: dict[int, tuple[Any, bytes, list[tuple[np.ndarray, float]]]] = {}
_INVERSES_KEPT = 16


def _pattern_inverses(ps: PatternStats, sigma: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """``(W, logdet)`` of each pattern's block of ``sigma``, W its inverse."""
    flat = np.ascontiguousarray(sigma, dtype=float).reshape(-1)
    key = flat.tobytes()
    last = _INVERSES.get(id(ps))
    if last is not None and last[0] is ps and last[1] == key:
        return last[2]
    found = [_chol_inv_logdet(flat[f].reshape(o.size, o.size))
             for o, f in zip(ps.obs_index, ps.flat_index, strict=True)]
    for w, _ in found:
        w.setflags(write=False)
    if len(_INVERSES) >= _INVERSES_KEPT:
        try:
            _INVERSES.pop(next(iter(_INVERSES)))
        except (KeyError, StopIteration, RuntimeError):  # another thread got there first
            pass
    _INVERSES[id(ps)] = (ps, key, found)
    return found


@dataclass(frozen=True)
class PatternStats:
    """Per-pattern sufficient statistics: observed indices, n, sum and cross-products."""

    p: int
    n_total: int
    obs_index: tuple[np.ndarray, ...]
    n: tuple[int, ...]
    sums: tuple[np.ndarray, ...]
    cross: tuple[np.ndarray, ...]

    @cached_property
    def flat_index(self) -> tuple[np.ndarray, ...]:
        """Per pattern, the positions of its observed block in a flattened p x p matrix
        (row-major): ``a.reshape(-1)[flat]`` is ``a[np.ix_(o, o)]`` without the index
        grids, and each position occurs once."""
        return tuple((o[:, None] * self.p + o[None, :]).reshape(-1) for o in self.obs_index)


def pattern_stats(y: np.ndarray, patterns: MissingPatterns | None = None) -> PatternStats:
    """Sufficient statistics of each missing-data pattern (used by the fast paths)."""
    y = np.asarray(y, dtype=float)
    pat = _patterns(y, patterns)
    oi, ns, sums, cross = [], [], [], []
    for k in range(pat.n_patterns):
        o = np.flatnonzero(pat.observed[k])
        yo = y[pat.cases[k]][:, o]
        oi.append(o)
        ns.append(int(yo.shape[0]))
        sums.append(yo.sum(axis=0))
        cross.append(yo.T @ yo)
    return PatternStats(y.shape[1], y.shape[0], tuple(oi), tuple(ns), tuple(sums), tuple(cross))


def _blocks(ps: PatternStats, mu: np.ndarray, sigma: np.ndarray):
    """Yield (o, n, W, esum, T) per pattern; T = sum (y_o - mu_o)(y_o - mu_o)'."""
    inverses = _pattern_inverses(ps, sigma)
    for o, n, s, c, (w, logdet) in zip(ps.obs_index, ps.n, ps.sums, ps.cross, inverses,
                                       strict=True):
        m = mu[o]
        esum = s - n * m
        # sum (y - m)(y - m)' = C - s m' - m s' + n m m' = C - s m' - m (s - n m)'
        # (the outer products by broadcasting: np.outer's own arithmetic, less overhead)
        t = c - s[:, None] * m[None, :] - m[:, None] * esum[None, :]
        yield o, n, w, logdet, esum, t


#: The last log-likelihood and gradient per pattern-statistics object:
#: ``id(stats) -> (stats, moments' bytes, (ll, gradient))``.  A scoring or Newton step
#: asks for them at the accepted point, the observed information at that point again,
#: and the fit's log-likelihood at the estimate once more.  Replaced as a whole; at most
#: _INVERSES_KEPT entries.
_LL_GRADS: dict[int, tuple[Any, bytes, tuple[float, np.ndarray]]] = {}


def _ll_grad(ps: PatternStats, mu: np.ndarray, sigma: np.ndarray) -> tuple[float, np.ndarray]:
    """Total log-likelihood and its gradient in ``[mu, vech(Sigma)]`` from pattern stats
    (the gradient is read-only: it may be handed out again for the same moments)."""
    key = (np.ascontiguousarray(mu, dtype=float).tobytes()
           + np.ascontiguousarray(sigma, dtype=float).tobytes())
    last = _LL_GRADS.get(id(ps))
    if last is not None and last[0] is ps and last[1] == key:
        return last[2]
    found = _ll_grad_new(ps, mu, sigma)
    found[1].setflags(write=False)
    if len(_LL_GRADS) >= _INVERSES_KEPT:
        try:
            _LL_GRADS.pop(next(iter(_LL_GRADS)))
        except (KeyError, StopIteration, RuntimeError):  # another thread got there first
            pass
    _LL_GRADS[id(ps)] = (ps, key, found)
    return found


def _ll_grad_new(ps: PatternStats, mu: np.ndarray, sigma: np.ndarray
                 ) -> tuple[float, np.ndarray]:
    """:func:`_ll_grad` computed."""
    p = ps.p
    ll = 0.0
    gmu = np.zeros(p)
    gsig = np.zeros(p * p)
    for (o, n, w, logdet, esum, t), f in zip(_blocks(ps, mu, sigma), ps.flat_index,
                                             strict=True):
        ll -= 0.5 * (n * (o.size * LOG_2PI + logdet) + float(np.sum(w * t)))
        gmu[o] += w @ esum
        gsig[f] += (0.5 * (w @ t @ w - n * w)).reshape(-1)  # f: each position once
    return ll, np.concatenate([gmu, _sym_grad_to_vech(gsig.reshape(p, p))])


def _loglik(ps: PatternStats, mu: np.ndarray, sigma: np.ndarray) -> float:
    """The total log-likelihood of :func:`_ll_grad` without its gradient (line searches):
    ``tr(W T) = tr(W C) - 2 m'W s + n m'W m`` needs no per-pattern T."""
    ll = 0.0
    for o, n, s, c, (w, logdet) in zip(ps.obs_index, ps.n, ps.sums, ps.cross,
                                       _pattern_inverses(ps, sigma), strict=True):
        m = mu[o]
        wm = w @ m
        q = float(np.sum(w * c)) - 2.0 * float(s @ wm) + n * float(m @ wm)
        ll -= 0.5 * (n * (o.size * LOG_2PI + logdet) + q)
    return ll


@lru_cache(maxsize=64)
def _vech_pairs(p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """vech indices and the factor 1/2 on the diagonal (``D'(A kron B)D`` helper)."""
    r, c = vech_indices(p)
    f = np.where(r == c, 0.5, 1.0)
    f.setflags(write=False)
    return r, c, f


def _dkd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``D' (A kron B) D`` for symmetric ``A``, ``B`` without forming the Kronecker product.

    Element ``(s, t)`` for vech pairs ``s = (k, l)``, ``t = (m, n)`` is
    ``A_km B_ln + A_kn B_lm + A_lm B_kn + A_ln B_km``, halved for each diagonal pair.
    """
    r, c, f = _vech_pairs(a.shape[0])
    ar, ac = a[r], a[c]  # row gathers first (p* x p), then column gathers
    br, bc = (ar, ac) if b is a else (b[r], b[c])
    t2 = ar[:, c] * bc[:, r]  # A_kn B_lm; its transpose is the A_lm B_kn term
    out = ar[:, r] * bc[:, c]
    out += ac[:, c] * br[:, r]
    out += t2
    out += t2.T
    out *= f[:, None]
    out *= f[None, :]
    return out


def _u_kron_w_d_sum(u: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sum_k (u_k' kron W_k) D`` for rows ``u`` (K, p) and symmetric ``w`` (K, p, p).

    One product ``T[i, j, l] = sum_k W_k[i, j] u_k[l]`` (p^2 x K times K x p), then entry
    ``(i, s)`` for the vech pair ``s = (r, c)`` is ``T[i, c, r] + T[i, r, c]`` (halved on
    the diagonal): one product over the K patterns instead of one gather per pattern.
    """
    kk, p = u.shape
    r, c, f = _vech_pairs(p)
    t = (w.reshape(kk, p * p).T @ u).reshape(p, p, p)
    return (t[:, c, r] + t[:, r, c]) * f[None, :]


def _full(o: np.ndarray, a: np.ndarray, p: int) -> np.ndarray:
    if o.size == p:
        return a
    if a.ndim == 1:
        out = np.zeros(p)
        out[o] = a
        return out
    out = np.zeros((p, p))
    out[np.ix_(o, o)] = a
    return out


def _dkd_sum_index(p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flat gather indices of :func:`_dkd_sum` for ``p`` variables (``2 p*^2`` integers,
    kept for up to two small ``p``: 22 MB at p = 48)."""
    return _dkd_sum_index_cached(p) if p <= 48 else _dkd_sum_index_new(p)


@lru_cache(maxsize=2)
def _dkd_sum_index_cached(p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return _dkd_sum_index_new(p)


def _dkd_sum_index_new(p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r, c, _ = _vech_pairs(p)
    ps = r.size
    pos = np.empty((p, p), dtype=np.intp)  # vech position of either order of a pair
    pos[r, c] = np.arange(ps)
    pos[c, r] = np.arange(ps)
    rr = pos[r[:, None], r[None, :]] * ps + pos[c[:, None], c[None, :]]
    rc = pos[r[:, None], c[None, :]] * ps + pos[c[:, None], r[None, :]]
    return rr, rc, r, c


def _dkd_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``sum_k D' (A_k kron B_k) D`` for stacks of symmetric matrices ``a``, ``b`` (K, p, p).

    One product ``M = sum_k vech(A_k) vech(B_k)'`` (p* x p*, a single matrix product over
    the K patterns), then the four index patterns of :func:`_dkd` are read from
    ``M + M'``: the terms ``A_km B_ln`` and ``A_ln B_km`` are entries of ``M`` and ``M'``
    at one position, and so are ``A_kn B_lm`` and ``A_lm B_kn``.
    """
    kk, p, _ = a.shape
    if kk == 1:
        return _dkd(a[0], b[0])
    rr, rc, r, c = _dkd_sum_index(p)
    _, _, f = _vech_pairs(p)
    m = a[:, r, c].T @ b[:, r, c]
    m += m.T
    out = np.take(m, rr)
    out += np.take(m, rc)
    out *= f[:, None]
    out *= f[None, :]
    return out


# above this many patterns (and for p up to _SUM_MAX_P) the pattern sums of D'(A kron B)D
# go through one p* x p* product instead of one p* x p* gather per pattern
_SUM_MIN_PATTERNS = 3
_SUM_MAX_P = 72  # M is p*^2 doubles and its gathers 2 p*^2 indices: about 220 MB at p = 72


def _sum_over_patterns(a: list[np.ndarray], b: list[np.ndarray]) -> np.ndarray:
    p = a[0].shape[0]
    if len(a) >= _SUM_MIN_PATTERNS and p <= _SUM_MAX_P:
        return _dkd_sum(np.stack(a), np.stack(b))
    out = _dkd(a[0], b[0])
    for ak, bk in zip(a[1:], b[1:], strict=True):
        out += _dkd(ak, bk)
    return out


def _scatter(stack: np.ndarray, k: int, f: np.ndarray, a: np.ndarray) -> None:
    """Write the pattern block ``a`` into row ``k`` of a zeroed stack of flattened p x p
    matrices at the block's flat positions ``f`` (:attr:`PatternStats.flat_index`)."""
    stack[k, f] = a.reshape(-1)


def _info_observed(ps: PatternStats, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    p = ps.p
    kk = len(ps.n)
    h_mm = np.zeros((p, p))
    # the patterns' full-size W and (WTW - n/2 W), zero outside their observed blocks,
    # filled in place in one stack each (no per-pattern zero matrices and index grids)
    right = np.zeros((kk, p * p))
    left = np.zeros((kk, p * p))
    us = np.zeros((kk, p))
    for k, ((o, n, w, _, esum, t), f) in enumerate(zip(_blocks(ps, mu, sigma), ps.flat_index,
                                                       strict=True)):
        _scatter(right, k, f, w)
        wf = right[k].reshape(p, p)
        h_mm += n * wf
        us[k, o] = esum @ w
        # 1/2 D'(WTW kron W + W kron WTW)D - n/2 D'(W kron W)D; D'(A kron B)D is symmetric
        # in (A, B) and linear in A, so this is D'((WTW - n/2 W) kron W)D
        _scatter(left, k, f, w @ t @ w)
        left[k] -= 0.5 * n * right[k]
    right = right.reshape(kk, p, p)
    left = left.reshape(kk, p, p)
    h_ss = _sum_over_patterns(list(left), list(right))
    h_ms = _u_kron_w_d_sum(us, right)
    top = np.hstack([h_mm, h_ms])
    bottom = np.hstack([h_ms.T, h_ss])
    return np.vstack([top, bottom]) / ps.n_total


def _info_expected(ps: PatternStats, sigma: np.ndarray) -> np.ndarray:
    p = ps.p
    pstar = p * (p + 1) // 2
    out = np.zeros((p + pstar, p + pstar))
    kk = len(ps.n)
    right = np.zeros((kk, p * p))
    left = []
    for k, (n, f, (w, _)) in enumerate(zip(ps.n, ps.flat_index, _pattern_inverses(ps, sigma),
                                           strict=True)):
        _scatter(right, k, f, w)
        wf = right[k].reshape(p, p)
        out[:p, :p] += n * wf
        left.append(0.5 * n * wf)
    out[p:, p:] = _sum_over_patterns(left, list(right.reshape(kk, p, p)))
    return out / ps.n_total


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
        o = np.flatnonzero(pat.observed[k])
        idx = pat.cases[k]
        w, logdet = _chol_inv_logdet(sigma[o][:, o])
        e = y[idx][:, o] - mu[o]
        q = np.einsum("ij,jk,ik->i", e, w, e)
        out[idx] = -0.5 * (o.size * LOG_2PI + logdet + q)
    return out


def loglik(
    y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, patterns: MissingPatterns | None = None
) -> float:
    """Total observed-data normal log-likelihood (sum of :func:`loglik_casewise`).

    # In R: lavaan:::lav_mvnorm_missing_loglik_data(Y, Mu, Sigma)
    """
    return _ll_grad(pattern_stats(y, patterns), mu, sigma)[0]


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
    for k in range(pat.n_patterns):
        o = np.flatnonzero(pat.observed[k])
        idx = pat.cases[k]
        w, _ = _chol_inv_logdet(sigma[o][:, o])
        wf = np.zeros((p, p))
        wf[np.ix_(o, o)] = w
        e = np.zeros((len(idx), p))
        e[:, o] = y[idx][:, o] - mu[o]
        we = e @ wf
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
    return _ll_grad(pattern_stats(y, patterns), mu, sigma)[1].copy()


def information_observed(
    y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, patterns: MissingPatterns | None = None
) -> np.ndarray:
    """Observed information per case: ``-(1/N) d^2 logl / d m d m'`` at ``(mu, sigma)``.

    ``m = [mu, vech(Sigma)]``.  With complete data at the sample moments this equals the
    expected information.

    # In R: lavaan:::lav_mvnorm_missing_information_observed_data(Y, Mu, Sigma)
    """
    return _info_observed(pattern_stats(y, patterns), mu, sigma)


def information_expected(
    y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, patterns: MissingPatterns | None = None
) -> np.ndarray:
    """Expected information per case in ``[mu, vech(Sigma)]`` given the missing patterns.

    # In R: lavaan:::lav_mvnorm_missing_information_expected(Y, Mu, Sigma)
    """
    return _info_expected(pattern_stats(y, patterns), sigma)


def information_first_order(
    y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, patterns: MissingPatterns | None = None
) -> np.ndarray:
    """First-order ("meat") information ``(1/N) sum_i s_i s_i'`` of the casewise scores.

    The scores of :func:`casewise_scores` are written into a buffer of cases (filled
    across missing-data patterns) whose cross-product is added when it is full, so the
    memory does not grow with N and many small patterns cost no more than one large one.

    # In R: lavaan:::lav_mvnorm_missing_information_firstorder(Y, Mu, Sigma)
    """
    y = np.asarray(y, dtype=float)
    pat = _patterns(y, patterns)
    p = sigma.shape[0]
    r, c = vech_indices(p)
    half = np.where(r == c, 0.5, 1.0)  # 1/2 (z z' - W), off-diagonals counted twice
    k = p + r.size
    out = np.zeros((k, k))
    chunk = max(256, (1 << 21) // k)
    buf = np.empty((min(chunk, y.shape[0]), k))
    used = 0

    def flush(nrows: int) -> None:
        b = buf[:nrows]
        out[...] += b.T @ b

    for j in range(pat.n_patterns):
        o = np.flatnonzero(pat.observed[j])
        idx = pat.cases[j]
        w, _ = _chol_inv_logdet(sigma[o][:, o])
        wf = _full(o, w, p)
        wrc = wf[r, c]
        start = 0
        while start < idx.size:
            take = min(idx.size - start, buf.shape[0] - used)
            rows = idx[start:start + take]
            if o.size == p:
                e = y[rows] - mu
            else:
                e = np.zeros((rows.size, p))
                e[:, o] = y[np.ix_(rows, o)] - mu[o]
            z = e @ wf
            s = buf[used:used + take]
            s[:, :p] = z
            np.multiply(z[:, r], z[:, c], out=s[:, p:])
            s[:, p:] -= wrc
            s[:, p:] *= half
            used += take
            start += take
            if used == buf.shape[0]:
                flush(used)
                used = 0
    if used:
        flush(used)
    return out / y.shape[0]


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


#: EM stops when the smallest eigenvalue of the correlation matrix of its covariance
#: estimate falls below this: the likelihood then grows without bound towards a singular
#: matrix (variables that agree exactly wherever both are observed, or too few cases),
#: and EM would creep on for its whole iteration budget -- minutes on 70 cases of 50
#: items -- before failing.  Checked every 25 iterations; scale-free, so variances of
#: very different sizes (state.x77's, 1 to 7e9) do not trip it.
_SINGULAR_CORRELATION = 1e-10


def _heading_singular(sigma: np.ndarray) -> bool:
    d = np.sqrt(np.clip(np.diag(sigma), 1e-300, None))
    return bool(np.linalg.eigvalsh(sigma / np.outer(d, d))[0] < _SINGULAR_CORRELATION)


def _singular_h1(p: int, n: int) -> str:
    return (f"The saturated (h1) model of {p} variables cannot be estimated from these "
            f"{n} cases: its maximum-likelihood covariance matrix is singular (too few cases "
            "for this many variables, or variables that agree exactly wherever both are "
            "observed); fit a smaller model or collect more responses.")


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
    ps = pattern_stats(y, pat)
    n, p = y.shape
    if n <= p:
        # the ML covariance matrix of n <= p cases is singular whatever is missing: the
        # likelihood has no maximum, and EM would creep towards the boundary for its whole
        # iteration budget (seconds per call) before failing
        raise EstimationError(_singular_h1(p, n))
    mu = np.nanmean(y, axis=0)
    var = np.nanvar(y, axis=0)
    if np.any(~np.isfinite(var)) or np.any(var <= 0):
        raise DataError("A variable has no variance among its observed values; EM cannot start.")
    sigma = np.diag(var)
    # each pattern's index sets, once: (o, m, o x o, o x m, m x o, m x m)
    blocks = []
    for o, nk, sk, ck in zip(ps.obs_index, ps.n, ps.sums, ps.cross, strict=True):
        if o.size == p:
            blocks.append((o, None, None, None, None, None, nk, sk, ck))
            continue
        m = np.setdiff1d(np.arange(p), o)
        blocks.append((o, m, np.ix_(o, o), np.ix_(o, m), np.ix_(m, o), np.ix_(m, m),
                       nk, sk, ck))
    converged = False
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for o, m, ix_oo, ix_om, ix_mo, ix_mm, nk, sk, ck in blocks:
            if m is None:
                t1 += sk
                t2 += ck
                continue
            s_oo = sigma[ix_oo]
            s_mo = sigma[ix_mo]
            try:
                beta = np.linalg.solve(s_oo, s_mo.T).T  # (m, o): E[y_m | y_o] = a + beta y_o
            except np.linalg.LinAlgError:
                raise EstimationError(_singular_h1(p, n)) from None
            a = mu[m] - beta @ mu[o]
            cmm = sigma[ix_mm] - beta @ s_mo.T
            bs = beta @ sk
            t1[o] += sk
            t1[m] += nk * a + bs
            t2[ix_oo] += ck
            # outer products by broadcasting (np.outer's arithmetic without its overhead)
            om = sk[:, None] * a[None, :] + ck @ beta.T
            t2[ix_om] += om
            t2[ix_mo] += om.T
            t2[ix_mm] += (nk * (a[:, None] * a[None, :]) + bs[:, None] * a[None, :]
                          + a[:, None] * bs[None, :] + beta @ ck @ beta.T + nk * cmm)
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
        if iterations % 25 == 0 and _heading_singular(sigma):
            raise EstimationError(_singular_h1(p, n))
    if not converged:
        raise EstimationError(
            f"The EM algorithm for the saturated (h1) model did not converge in {max_iter} "
            f"iterations ({n} cases, {p} variables); check for variables that are almost "
            "never observed together, and whether there are enough cases for this many "
            "variables."
        )
    ll = _ll_grad(ps, mu, sigma)[0]
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
    ss = 0.5 * _dkd(w, w)
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


# --------------------------------------------------------------------------------------
# estimation on a compiled model
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupData:
    """Raw data of one group prepared for (FI)ML: array, patterns, stats, saturated fit."""

    y: np.ndarray
    patterns: MissingPatterns
    stats: PatternStats
    h1: SaturatedFit | None
    sample_mean: np.ndarray
    complete: bool = False
    cluster: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_clusters(self) -> int:
        """Number of clusters (cases when the data are not clustered)."""
        return self.n if self.cluster is None else int(self.cluster.max()) + 1

    @cached_property
    def moments4(self) -> CompleteMoments | None:
        """Moments up to order four when the data are complete (computed on first use)."""
        return CompleteMoments.of(self.y) if self.complete else None

    def first_order(self, mu: np.ndarray, sigma: np.ndarray, *,
                    cluster_correction: bool = True) -> np.ndarray:
        """:func:`information_first_order` of this group's data at ``(mu, sigma)``.

        Complete data with N well above the number of moments: in closed form from the
        data's moments (one pass over the data for all evaluations); otherwise from the
        casewise scores.  Clustered data: the scores are summed within clusters first
        (:func:`cluster_first_order`); ``cluster_correction`` applies the small-sample
        factor ``C / (C - 1)``.
        """
        if self.cluster is not None:
            return cluster_first_order(self.y, mu, sigma, self.cluster, self.patterns,
                                       correction=cluster_correction)
        k = 1 + mu.size * (mu.size + 3) // 2
        # the closed form costs ~2 k^3 (plus N k^2 once), the casewise route N k^2 each time
        if self.complete and self.n > 2 * k:
            return self.moments4.first_order(mu, sigma)
        return information_first_order(self.y, mu, sigma, self.patterns)


@dataclass(frozen=True)
class CompleteMoments:
    """Moments up to order four of complete data, for first-order information in closed form.

    ``m = (1/N) sum_i t_i t_i'`` with ``t_i = [1, d_i, vech(d_i d_i')]`` and
    ``d_i = y_i - center`` (``center`` the sample mean, for numerical accuracy).  The
    casewise scores at any ``(mu, Sigma)`` are linear in ``t_i`` (``s_i = A t_i``), so the
    first-order information is ``A m A'``: one pass over the data serves every model.
    """

    center: np.ndarray
    m: np.ndarray

    @classmethod
    def of(cls, y: np.ndarray) -> CompleteMoments:
        """Accumulate the moments of complete data ``y`` (n, p) in chunks of cases."""
        n, p = y.shape
        r, c = vech_indices(p)
        k = 1 + p + r.size
        center = y.mean(axis=0)
        m = np.zeros((k, k))
        chunk = max(256, (1 << 21) // k)
        for start in range(0, n, chunk):
            d = y[start:start + chunk] - center
            t = np.empty((d.shape[0], k))
            t[:, 0] = 1.0
            t[:, 1:1 + p] = d
            np.multiply(d[:, r], d[:, c], out=t[:, 1 + p:])
            m += t.T @ t
        m /= n
        for a in (center, m):
            a.setflags(write=False)
        return cls(center=center, m=m)

    def first_order(self, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """First-order information in ``[mu, vech(Sigma)]`` at ``(mu, sigma)``.

        Equal to :func:`information_first_order` on the data these moments came from.
        """
        p = sigma.shape[0]
        r, c, colf = _vech_pairs(p)
        half = np.where(r == c, 0.5, 1.0)  # score: 1/2 (z z' - W), off-diagonals twice
        w, _ = _chol_inv_logdet(sigma)
        a = -w @ (mu - self.center)  # z_i = W d_i + a
        ps = r.size
        A = np.zeros((p + ps, 1 + p + ps))
        A[:p, 0] = a
        A[:p, 1:1 + p] = w
        A[p:, 0] = half * (a[r] * a[c] - w[r, c])
        A[p:, 1:1 + p] = half[:, None] * (a[r][:, None] * w[c, :] + a[c][:, None] * w[r, :])
        quad = w[np.ix_(r, r)] * w[np.ix_(c, c)] + w[np.ix_(r, c)] * w[np.ix_(c, r)]
        A[p:, 1 + p:] = half[:, None] * quad * colf[None, :]
        out = A @ self.m @ A.T
        return 0.5 * (out + out.T)


def cluster_codes(ids: np.ndarray) -> np.ndarray:
    """Cluster ids (any values) as codes ``0 .. C-1`` in order of first appearance."""
    _, first, inverse = np.unique(np.asarray(ids), return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))  # rank of each unique id by first appearance
    return order[inverse].astype(np.intp)


def cluster_first_order(
    y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, cluster: np.ndarray,
    patterns: MissingPatterns | None = None, *, correction: bool = True,
) -> np.ndarray:
    """Cluster-robust first-order information: ``(1/N) sum_c S_c S_c'``.

    ``S_c`` is the sum of the casewise scores (:func:`casewise_scores`) of the cases of
    cluster ``c``; with ``correction`` it is scaled by ``sqrt(C / (C - 1))``, ``C`` the
    number of clusters, the small-sample factor lavaan applies to the score-based meat.
    With one case per cluster and no correction this is :func:`information_first_order`.

    # In R: lavaan:::lav_mvnorm_missing_information_firstorder(Y, cluster.idx = ...)
    """
    sc = casewise_scores(y, mu, sigma, patterns)
    codes = np.asarray(cluster, dtype=np.intp)
    n_c = int(codes.max()) + 1
    sums = np.zeros((n_c, sc.shape[1]))
    np.add.at(sums, codes, sc)
    out = sums.T @ sums / y.shape[0]
    if correction and n_c > 1:
        out *= n_c / (n_c - 1.0)
    return 0.5 * (out + out.T)


#: Prepared data kept for the next fit of the same data (a model's retries from other
#: starts, the nested models of a method-variance check, a bootstrap's original sample):
#: at most this many data sets, each of at most _PREPARED_MAX_BYTES.
_PREPARED_MAX = 4
_PREPARED_MAX_BYTES = 32 * 2**20
_prepared: OrderedDict[bytes, tuple[GroupData | None, str | None, tuple[str, ...]]] = \
    OrderedDict()
_prepared_lock = threading.Lock()


def _new_lock_in_child() -> None:
    """A forked child gets a lock of its own: one held by another thread of the parent at
    the fork would stay held in the child forever."""
    global _prepared_lock
    _prepared_lock = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_in_child)


def prepare_group_data(y: np.ndarray, *, fit_h1: bool = True,
                       cluster: np.ndarray | None = None) -> GroupData:
    """Patterns and the EM saturated model of one group's raw data (``NaN`` = missing).

    Cases with every variable missing are dropped first (lavaan does the same, with a
    warning).  ``cluster`` holds one cluster id per row of ``y`` (clustered data).

    The result (or the EM's failure) depends on the data only, so the last few are kept
    by content: a fit that is retried from other starts, or several models of the same
    data, run the EM once.  Its warnings are given again on every call.
    """
    y = np.asarray(y, dtype=float)
    key = None
    if y.nbytes <= _PREPARED_MAX_BYTES:
        h = hashlib.blake2b(digest_size=20)
        h.update(f"{y.shape}|{fit_h1}|".encode())
        h.update(np.ascontiguousarray(y).tobytes())
        if cluster is not None:
            c = np.asarray(cluster)
            h.update(f"|{c.dtype.str}{c.shape}|".encode())
            h.update(np.ascontiguousarray(c).tobytes() if c.dtype.kind != "O"
                     else repr(c.tolist()).encode())
        key = h.digest()
        with _prepared_lock:
            hit = _prepared.get(key)
            if hit is not None:
                _prepared.move_to_end(key)
        if hit is not None:
            gd, error, warned = hit
            for msg in warned:
                warnings.warn(msg, UserWarning, stacklevel=2)
            if error is not None:
                raise EstimationError(error)
            return gd
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        other: Exception | None = None
        try:
            gd, error = _prepare_group_data(y, fit_h1, cluster), None
        except EstimationError as exc:
            gd, error = None, str(exc)
        except Exception as exc:  # noqa: BLE001 - raised again below, after the warnings
            other = exc
    warned = tuple(str(w.message) for w in caught)
    if other is not None:  # not kept: the warnings given again, the error raised as it was
        for msg in warned:
            warnings.warn(msg, UserWarning, stacklevel=2)
        raise other
    if key is not None:
        with _prepared_lock:
            _prepared[key] = (gd, error, warned)
            while len(_prepared) > _PREPARED_MAX:
                _prepared.popitem(last=False)
    for msg in warned:
        warnings.warn(msg, UserWarning, stacklevel=2)
    if error is not None:
        raise EstimationError(error)
    return gd


def _prepare_group_data(y: np.ndarray, fit_h1: bool,
                        cluster: np.ndarray | None) -> GroupData:
    """:func:`prepare_group_data` without the keeping."""
    empty = np.isnan(y).all(axis=1)
    if cluster is not None:
        cluster = np.asarray(cluster)
        if cluster.shape[0] != y.shape[0]:
            raise EstimationError(
                f"cluster= has {cluster.shape[0]} ids for {y.shape[0]} cases.")
    if empty.any():
        warnings.warn(
            f"{int(empty.sum())} case(s) with every variable missing were removed.",
            UserWarning,
            stacklevel=3,
        )
        y = y[~empty]
        if cluster is not None:
            cluster = cluster[~empty]
    y = np.ascontiguousarray(y)
    y.setflags(write=False)
    codes = None
    if cluster is not None:
        codes = cluster_codes(cluster)
        codes.setflags(write=False)
    if y.shape[0] and not np.isnan(y).any():
        gd = _complete_group_data(y, fit_h1)
        return gd if codes is None else replace(gd, cluster=codes)
    pat = missing_patterns(y)
    ps = pattern_stats(y, pat)
    h1 = em_saturated(y, pat) if fit_h1 else None
    return GroupData(y=y, patterns=pat, stats=ps, h1=h1, sample_mean=np.nanmean(y, axis=0),
                     cluster=codes)


def _complete_group_data(y: np.ndarray, fit_h1: bool) -> GroupData:
    """Complete data: one pattern, and the saturated model is the sample moments (no EM).

    The EM of :func:`em_saturated` reaches exactly these moments in its first step when
    nothing is missing; here they are computed directly.
    """
    n, p = y.shape
    obs = np.ones((1, p), dtype=bool)
    case_pattern = np.zeros(n, dtype=np.intp)
    counts = np.array([n])
    for a in (obs, case_pattern, counts):
        a.setflags(write=False)
    pat = MissingPatterns(obs, case_pattern, counts, (np.arange(n),))
    total = y.sum(axis=0)
    ps = PatternStats(p, n, (np.arange(p),), (n,), (total,), (y.T @ y,))
    mean = total / n
    h1 = None
    if fit_h1:
        dev = y - mean
        cov = dev.T @ dev / n
        cov = 0.5 * (cov + cov.T)
        mu = mean.copy()
        for a in (mu, cov):
            a.setflags(write=False)
        h1 = SaturatedFit(mu=mu, sigma=cov, loglik=_ll_grad(ps, mu, cov)[0], iterations=0,
                          converged=True)
    return GroupData(y=y, patterns=pat, stats=ps, h1=h1, sample_mean=mean, complete=True)


def _h1_information(model: Any, gd: list[GroupData]) -> tuple[list[np.ndarray],
                                                                 list[np.ndarray]]:
    """Unstructured (h1) observed and first-order information per group at the h1 moments.

    With complete data the observed information at the sample moments is the expected
    one in closed form (:func:`information_complete`).  Moments involving only fixed.x
    covariates are zeroed, as lavaan does.
    """
    xmask = _fixed_x_moment_mask(model)
    a1, j1 = [], []
    for g in gd:
        if g.patterns.n_patterns == 1 and g.patterns.observed.all():
            a = information_complete(g.h1.sigma, meanstructure=True)
        else:
            a = information_observed(g.y, g.h1.mu, g.h1.sigma, g.patterns)
        a = _moment_block(model, a)
        b = _moment_block(model, g.first_order(g.h1.mu, g.h1.sigma))
        a[xmask, :] = 0.0
        a[:, xmask] = 0.0
        b[xmask, :] = 0.0
        b[:, xmask] = 0.0
        a1.append(a)
        j1.append(b)
    return a1, j1


class _InverseOnce:
    """The inverses of the h1 information matrices (:func:`analysis.sem.robust.
    _inv_zero_safe`), each computed when first asked for and then kept: a model, its
    baseline and the FIML-corrected test share them (one k x k inversion instead of
    three; k is 989 for 43 variables with means), and so do the model's and the
    baseline's Yuan-Bentler traces with the closed forms where they exist."""

    def __init__(self, mats: list[np.ndarray]) -> None:
        self._mats = mats
        self._inv: dict[int, np.ndarray] = {}
        self._trace: list[np.ndarray] | None = None

    def get(self, g: int) -> np.ndarray:
        if g not in self._inv:
            self._inv[g] = rb._inv_zero_safe(self._mats[g])
        return self._inv[g]

    def all(self) -> list[np.ndarray]:
        return [self.get(g) for g in range(len(self._mats))]

    def for_trace(self, model: Any, gd: list[GroupData]) -> list[np.ndarray]:
        """Per group the closed-form inverse (:func:`_h1_information_inverse`) or else
        :meth:`get`; the baseline that shares these matrices has the model's fixed.x
        covariates and mean structure, so the closed forms are the same for both."""
        if self._trace is None:
            self._trace = [c if c is not None else self.get(g)
                           for g, c in enumerate(_h1_information_inverse(model, gd))]
        return self._trace


#: The h1 matrices of fits of the same prepared data (the nested models of a method-variance
#: check, a model refitted from other starts): ``key -> (gd, (a1, j1, a1_inv), parts)``
#: with ``parts`` the FIML-corrected h1 products by their own key.  The key names the
#: GroupData objects (kept in the entry, so that an id is not reused while it is looked
#: up) and what of the model the matrices depend on; at most _H1_KEPT entries (each some
#: k x k matrices, k the number of moments: about 30 MB at k = 700).
_H1_SHARED: OrderedDict[tuple, tuple[tuple[GroupData, ...], tuple, dict]] = OrderedDict()
_H1_KEPT = 2


def _h1_key(model: Any, gd: list[GroupData]) -> tuple:
    """What :func:`_h1_information` and :class:`_InverseOnce` read of the model: the
    fixed.x moment mask, the mean structure and the closed-form inverse's conditions."""
    return (tuple(id(g) for g in gd), _fixed_x_moment_mask(model).tobytes(),
            bool(model.meanstructure), bool(model.ov_x), bool(model.ordered), model.n_ov)


def _h1_shared(model: Any, gd: list[GroupData]
               ) -> tuple[tuple[list[np.ndarray], list[np.ndarray], _InverseOnce], dict]:
    """:func:`_h1_information` with its :class:`_InverseOnce`, computed once for every fit of
    the same prepared data (the same GroupData objects, :func:`prepare_group_data` keeps
    them by content) and model shape; and a dict in which the caller keeps further
    model-free products of these matrices.  The matrices are read-only."""
    key = _h1_key(model, gd)
    with _prepared_lock:
        hit = _H1_SHARED.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], gd, strict=True)):
            _H1_SHARED.move_to_end(key)
            return hit[1], hit[2]
    a1, j1 = _h1_information(model, gd)
    for a in (*a1, *j1):
        a.setflags(write=False)
    entry = (tuple(gd), (a1, j1, _InverseOnce(a1)), {})
    with _prepared_lock:
        _H1_SHARED[key] = entry
        while len(_H1_SHARED) > _H1_KEPT:
            _H1_SHARED.popitem(last=False)
    return entry[1], entry[2]


def _h1_information_inverse(model: Any, gd: list[GroupData]) -> list[np.ndarray | None]:
    """Inverse of the h1 information in closed form where it exists, else None per group.

    Complete data without fixed.x covariates: the inverse of
    ``blockdiag(S^-1, 1/2 D'(S^-1 kron S^-1)D)`` is ``blockdiag(S, Gamma_NT)`` with
    ``Gamma_NT[kl, mn] = S_km S_ln + S_kn S_lm`` (normal-theory covariance of the sample
    covariances), so the Yuan-Bentler trace needs no ``p* x p*`` inversion.
    """
    out: list[np.ndarray | None] = []
    for g in gd:
        if model.ov_x or not _simple_complete(model, g) or g.h1 is None:
            out.append(None)
            continue
        s = np.asarray(g.h1.sigma)
        p = s.shape[0]
        _, _, f = _vech_pairs(p)
        gamma = _dkd(s, s) / (2.0 * np.outer(f, f))
        if model.meanstructure:
            inv = np.zeros((p + gamma.shape[0], p + gamma.shape[0]))
            inv[:p, :p] = s
            inv[p:, p:] = gamma
        else:
            inv = gamma
        out.append(inv)
    return out


def _moments_of(compiled: Any, x: np.ndarray, gd: list[GroupData]):
    imp = compiled.implied(x)
    out = []
    for g, im in enumerate(imp):
        mu = im.mu if im.mu is not None else gd[g].sample_mean
        out.append((mu, im.sigma))
    return out


def _ll_grad_x(
    compiled: Any, x: np.ndarray, gd: list[GroupData]
) -> tuple[float, np.ndarray, list[np.ndarray], list]:
    """``-logl / N``, its gradient in ``x``, the per-group moment gradients and moments."""
    n_total = sum(g.n for g in gd)
    jac = compiled.jacobian(x)
    p = compiled.n_ov
    f = 0.0
    grad = np.zeros(len(x))
    gms, moms = [], []
    for g, (mu, sigma) in enumerate(_moments_of(compiled, x, gd)):
        ll, gm = _ll_grad(gd[g].stats, mu, sigma)
        if not compiled.meanstructure:
            gm = gm[p:]
        f -= ll
        grad -= jac[g].T @ gm
        gms.append(gm)
        moms.append((mu, sigma))
    return f / n_total, grad / n_total, gms, moms


def objective(compiled: Any, x: np.ndarray, gd: list[GroupData]) -> float:
    """``-sum_g logl_g / N`` alone (:func:`objective_gradient` without the gradient)."""
    n_total = sum(g.n for g in gd)
    return -sum(_loglik(gd[g].stats, mu, sigma)
                for g, (mu, sigma) in enumerate(_moments_of(compiled, x, gd))) / n_total


def objective_gradient(
    compiled: Any, x: np.ndarray, gd: list[GroupData]
) -> tuple[float, np.ndarray]:
    """``-sum_g logl_g / N`` and its gradient w.r.t. the free parameters ``x``.

    Without a mean structure the means are fixed at the sample means (complete-data ML).
    """
    f, g, _, _ = _ll_grad_x(compiled, x, gd)
    return f, g


def _info_theta(compiled: Any, x: np.ndarray, group: int, g: GroupData, mu: np.ndarray,
                sigma: np.ndarray, observed: bool) -> np.ndarray:
    """Unit (expected or observed) information of ``x`` for one group, in parameter space.

    Summed over missing-data patterns (one pattern for complete data) from
    ``dSigma/dx`` and ``dmu/dx`` restricted to each pattern's observed variables
    (``q p_o^3 + q^2 p_o^2`` operations per pattern) instead of ``Delta' A Delta`` with
    the ``p* x p*`` moment information.  Per pattern with ``n`` cases, ``W`` the inverse
    implied covariance of its observed variables, ``e`` the sum and ``T`` the
    cross-product of its residuals: expected ``n/2 tr(W S_a W S_b) + n m_a' W m_b``;
    observed (first-order part) ``tr(W T W S_a W S_b) - n/2 tr(W S_a W S_b) +
    n m_a' W m_b + m_a' W S_b W e + m_b' W S_a W e``; divided by the group's N.
    """
    dS, dM, _ = compiled.derivatives(x, group)
    q, p = dS.shape[0], dS.shape[1]
    ms = compiled.meanstructure
    out = np.zeros((q, q))
    for o, n, w, _ld, esum, t in _blocks(g.stats, mu, sigma):
        po = o.size
        if po == p:
            ds, dm = dS, dM
        else:
            ds, dm = dS[:, o][:, :, o], dM[:, o]
        wds = np.matmul(w[None, :, :], ds)
        m2t = wds.transpose(0, 2, 1).reshape(q, po * po)
        t2 = wds.reshape(q, po * po) @ m2t.T
        if not observed:
            out += 0.5 * n * t2
            if ms:
                out += n * (dm @ w @ dm.T)
            continue
        pw = w @ t @ w
        out += np.matmul(pw[None, :, :], ds).reshape(q, po * po) @ m2t.T - 0.5 * n * t2
        if ms:
            out += n * (dm @ w @ dm.T)
            cr = (dm @ w) @ (ds @ (w @ esum)).T
            out += cr + cr.T
    out /= g.n
    return 0.5 * (out + out.T)


def _theta_space(compiled: Any, g: GroupData, q: int) -> bool:
    """Whether the pattern-by-pattern parameter-space information is the cheaper route.

    Parameter space costs about ``K (q p^3 + q^2 p^2)`` for K patterns; the moment route
    ``K p*^2`` (one product over the patterns, :func:`_dkd_sum`) plus ``q k^2`` for
    ``Delta' A Delta`` (k moments).  Ordered models always use the moment route.
    """
    if compiled.ordered:
        return False
    p = compiled.n_ov
    k_pat = g.patterns.n_patterns
    k = p + p * (p + 1) // 2
    theta = k_pat * (q * p**3 + q * q * p * p)
    moment = k_pat * (k - p) ** 2 + q * k * k + k * k * 10
    return theta <= moment


def _simple_complete(compiled: Any, g: GroupData) -> bool:
    """Complete data of a continuous model (closed-form h1 information and inverse)."""
    return g.complete and not compiled.ordered


def expected_information_theta(compiled: Any, x: np.ndarray, gd: list[GroupData]) -> np.ndarray:
    """Unit expected information of ``x``: ``sum_g f_g Delta_g' I_g Delta_g``."""
    n_total = sum(g.n for g in gd)
    p = compiled.n_ov
    out = np.zeros((len(x), len(x)))
    jac = None
    for g, (mu, sigma) in enumerate(_moments_of(compiled, x, gd)):
        if _theta_space(compiled, gd[g], len(x)):
            out += gd[g].n / n_total * _info_theta(compiled, x, g, gd[g], mu, sigma,
                                                   observed=False)
            continue
        jac = compiled.jacobian(x) if jac is None else jac
        info = _info_expected(gd[g].stats, sigma)
        if not compiled.meanstructure:
            info = info[p:, p:]
        out += gd[g].n / n_total * (jac[g].T @ info @ jac[g])
    return out


def observed_information_theta(
    compiled: Any, x: np.ndarray, gd: list[GroupData]
) -> np.ndarray:
    """Unit observed information of ``x``: the Hessian of ``-logl / N``.

    Notes
    -----
    ``H = sum_g f_g Delta_g' A_g Delta_g - (1/N) sum_g sum_k g_gk d^2 m_gk / dx dx'`` with
    ``A_g`` the analytic observed information in the moments (the first term is built
    pattern by pattern in parameter space, :func:`_info_theta`), ``g_g`` the moment
    gradient of the log-likelihood and the second derivatives of the moments in closed
    form (:meth:`analysis.sem.model.CompiledModel.moment_hessian`).  This is the Hessian
    that lavaan approximates numerically (``observed.information = "hessian"``).

    # In R: lavInspect(fit, "information.observed")
    """
    key = (id(compiled), tuple(id(g) for g in gd),
           np.ascontiguousarray(x, dtype=float).tobytes())
    last = _OBSERVED_LAST[0]
    if last is not None and last[0] == key and last[1] is compiled \
            and all(a is b for a, b in zip(last[2], gd, strict=True)):
        return last[3].copy()
    hess = _observed_information_theta(compiled, x, gd)
    _OBSERVED_LAST[0] = (key, compiled, tuple(gd), hess.copy())
    return hess


#: The last observed information: the Newton step that ends a fit has it at the estimate,
#: where the standard errors ask for it again (``(key, model, data, matrix)``).
_OBSERVED_LAST: list[tuple | None] = [None]


def _observed_information_theta(compiled: Any, x: np.ndarray, gd: list[GroupData]
                                ) -> np.ndarray:
    """:func:`observed_information_theta` computed."""
    n_total = sum(g.n for g in gd)
    p = compiled.n_ov
    q = len(x)
    _, _, gms, moms = _ll_grad_x(compiled, x, gd)
    jac = None
    hess = np.zeros((q, q))
    for g, (mu, sigma) in enumerate(moms):
        if _theta_space(compiled, gd[g], q):
            hess += gd[g].n / n_total * _info_theta(compiled, x, g, gd[g], mu, sigma,
                                                    observed=True)
            continue
        jac = compiled.jacobian(x) if jac is None else jac
        a = _info_observed(gd[g].stats, mu, sigma)
        if not compiled.meanstructure:
            a = a[p:, p:]
        hess += gd[g].n / n_total * (jac[g].T @ a @ jac[g])
    hess -= compiled.moment_hessian(x, gms) / n_total
    return 0.5 * (hess + hess.T)


def first_order_information_theta(
    compiled: Any, x: np.ndarray, gd: list[GroupData]
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Unit first-order information of ``x`` (structured) and its per-group parts.

    Returns ``(B0, B0_groups, B1_groups)`` where ``B1_groups`` are the first-order
    information matrices of the moments at the model-implied moments.
    """
    n_total = sum(g.n for g in gd)
    p = compiled.n_ov
    b1 = []
    for g, (mu, sigma) in enumerate(_moments_of(compiled, x, gd)):
        b = gd[g].first_order(mu, sigma)
        b1.append(b if compiled.meanstructure else b[p:, p:])
    weights = [g.n / n_total for g in gd]
    b0, b0_groups = rb.first_order_information(compiled.jacobian(x), b1, weights)
    return b0, b0_groups, b1


# the Newton decrement below which a fit with a small gradient is taken as converged,
# and the most further steps taken to reach it (as analysis/sem/ml.py)
_DECREMENT_TOL = 1e-14
_POLISH_STEPS = 20


def estimate(
    compiled: Any,
    gd: list[GroupData],
    x0: np.ndarray,
    *,
    max_iter: int = 500,
    tol: float = 1e-9,
    newton: bool = True,
) -> tuple[np.ndarray, bool, int, float]:
    """Maximise the (observed-data) normal likelihood.

    Fisher scoring (expected information) with step halving; once the gradient is small,
    Newton steps on the observed information for quadratic convergence.

    Returns ``(x, converged, iterations, f)`` with ``f = -logl / N``.  Convergence: the
    largest absolute gradient element of ``-logl / N`` below ``tol`` and the Newton
    decrement ``g' I^-1 g`` below 1e-14 (scale free), or the gradient alone after 20
    further steps.
    """
    x = np.array(x0, dtype=float)
    try:
        f, g = objective_gradient(compiled, x, gd)
    except EstimationError as exc:
        raise EstimationError(
            "The starting values give a non-positive-definite implied covariance matrix."
        ) from exc
    converged = False
    it = 0
    newton_ok = bool(newton)
    polish = 0
    while it < max_iter:
        it += 1
        gmax = float(np.max(np.abs(g))) if g.size else 0.0
        if gmax == 0.0:
            converged = True
            break
        use_newton = newton_ok and gmax < 1e-4
        info = (observed_information_theta(compiled, x, gd) if use_newton
                else expected_information_theta(compiled, x, gd))
        try:
            direction = np.linalg.solve(info, g)
        except np.linalg.LinAlgError:
            direction = np.linalg.lstsq(info, g, rcond=None)[0]
        if gmax < tol:
            # a small gradient is not enough where the variables' scales differ by
            # orders of magnitude (a variance of 4e5 has a gradient 1e-11 times the
            # SE-scaled one): the Newton decrement g' I^-1 g, the predicted fall of f,
            # is scale free; a few more steps are allowed for it, then the gradient rules
            dec = float(g @ direction)
            if (np.isfinite(dec) and 0.0 <= dec < _DECREMENT_TOL) or polish >= _POLISH_STEPS:
                converged = True
                break
            polish += 1
        if use_newton and float(direction @ g) <= 0:  # Hessian not PD here: back to scoring
            newton_ok = False
            continue
        step = 1.0
        accepted = False
        while step > 1e-10:
            x_new = x - step * direction
            try:  # the objective alone; the gradient only at the accepted point
                f_new = objective(compiled, x_new, gd)
            except EstimationError:
                f_new = np.inf
            if np.isfinite(f_new) and f_new <= f + 1e-12 * max(abs(f), 1.0):
                f_new, g_new = objective_gradient(compiled, x_new, gd)
                accepted = True
                break
            step *= 0.5
        if not accepted:
            if use_newton:
                newton_ok = False
                continue
            break  # no improvement possible: judge by the gradient
        x, f, g = x_new, f_new, g_new
    if not converged and g.size and np.max(np.abs(g)) < 1e-6:
        converged = True
    return x, converged, it, f


# --------------------------------------------------------------------------------------
# backends
# --------------------------------------------------------------------------------------
def _fixed_x_moment_mask(model: Any, names: Any = None) -> np.ndarray:
    """Moments (lavaan order) that involve only fixed.x covariates (zeroed in h1 info);
    ``names`` overrides the model's fixed.x covariates."""
    p = model.n_ov
    xs = set(model.ov_x if names is None else names)
    isx = np.array([v in xs for v in model.ov_names], dtype=bool)
    r, c = vech_indices(p)
    sig = isx[r] & isx[c]
    return np.concatenate([isx, sig]) if model.meanstructure else sig


def _independence_start(bmodel: Any, gd: list[GroupData]) -> np.ndarray | None:
    """Closed-form FIML estimates of the independence model (available-case moments)."""
    pt = bmodel.partable
    x = np.zeros(bmodel.n_free)
    seen = np.zeros(bmodel.n_free, dtype=bool)
    idx = {v: i for i, v in enumerate(bmodel.ov_names)}
    for r in pt[pt["xid"] >= 0].itertuples():
        g = gd[int(r.group) - 1]
        if r.lhs not in idx:
            return None
        col = g.y[:, idx[r.lhs]]
        col = col[np.isfinite(col)]
        if r.op == "~~" and r.lhs == r.rhs:
            x[r.xid] = float(np.var(col))
        elif r.op == "~1":
            x[r.xid] = float(np.mean(col))
        else:
            return None
        seen[r.xid] = True
    return x if seen.all() else None


def _negative_variance(model: Any, x: np.ndarray) -> bool:
    """Whether a free variance is negative at ``x`` (an improper solution)."""
    pt = model.partable
    rows = pt[(pt["op"] == "~~") & (pt["lhs"] == pt["rhs"]) & (pt["xid"] >= 0)]
    return bool((np.asarray(x, dtype=float)[rows["xid"].to_numpy(int)] < 0).any())


def _lower_minimum(model: Any, gd: list[GroupData], x0: np.ndarray, x: np.ndarray,
                   f: float, iterations: int, max_iter: int = 500,
                   ) -> tuple[np.ndarray, float, int]:
    """A second path from the same start when scoring ended at an improper solution.

    Fisher scoring's first, long steps can carry the estimates into the basin of an
    improper local minimum while a quasi-Newton path from the same start (lavaan's
    nlminb is one) reaches a lower minimum (ChickWeight growth with FIML: 3.776 against
    3.538; tests/sem/test_sweep11.py).  BFGS from ``x0``, polished by :func:`estimate`;
    kept only when it converges to a lower fit function.
    """
    from scipy import optimize

    def fg(z):
        try:
            return objective_gradient(model, z, gd)
        except EstimationError:
            return np.inf, np.zeros_like(z)

    with np.errstate(all="ignore"):
        found = optimize.minimize(fg, np.asarray(x0, dtype=float), jac=True, method="BFGS",
                                  options={"maxiter": max_iter, "gtol": 1e-6})
    if not np.isfinite(found.fun) or found.fun >= f - 1e-9 * max(abs(f), 1.0):
        return x, f, iterations
    try:
        x2, ok, it2, f2 = estimate(model, gd, found.x)
    except EstimationError:
        return x, f, iterations
    if ok and f2 < f - 1e-9 * max(abs(f), 1.0):
        return x2, f2, iterations + int(found.nit) + it2
    return x, f, iterations


def _loglik_fixed_x(model: Any, gd: list[GroupData]) -> float:
    if not model.ov_x:
        return 0.0
    xi = np.array([model.ov_names.index(v) for v in model.ov_x])
    total = 0.0
    for g in gd:
        yx = g.y[:, xi]
        if np.isnan(yx).any():
            yx = yx[~np.isnan(yx).any(axis=1)]
        m = yx.mean(axis=0)
        dev = yx - m
        total += _ll_grad(pattern_stats(yx), m, dev.T @ dev / yx.shape[0])[0]
    return float(total)


def _moment_block(model: Any, a: np.ndarray) -> np.ndarray:
    p = model.n_ov
    return a if model.meanstructure else a[p:, p:]


def fit_normal(
    model: CompiledModel,
    data: list[SampleStats],
    options: Mapping[str, Any],
    start: np.ndarray | None = None,
    *,
    robust_se: bool = False,
    _prepared: list[GroupData] | None = None,
    _h1_info: tuple[list[np.ndarray], list[np.ndarray]] | None = None,
) -> FitState:
    """Shared engine of :func:`fit_fiml` and :func:`fit_mlr`.

    Maximises the observed-data normal likelihood (FIML; with complete data this is ML),
    computes standard errors from the observed information (Hessian) -- or the
    Huber-White sandwich when ``robust_se`` -- the likelihood-ratio test against the
    saturated model (EM), and for ``robust_se`` the Yuan-Bentler (Mplus) scaled test.
    With missing data the ingredients of the robust CFI/TLI/RMSEA are lavaan's
    FIML-corrected ones.
    """
    warns: list[str] = []
    is_baseline = bool(options.get("baseline", False))
    missing_ml = options.get("missing", "listwise") == "ml"
    if missing_ml and not model.meanstructure:
        raise ModelSpecificationError(
            "missing='ml' needs a mean structure; compile the model with meanstructure=True."
        )
    n_before = sum(int(st.data.shape[0]) for st in data)
    gd = _prepared if _prepared is not None else [
        prepare_group_data(st.data, cluster=st.cluster) for st in data]
    n_g = np.array([g.y.shape[0] for g in gd], dtype=float)
    n_total = float(n_g.sum())
    weights = list(n_g / n_total)
    if start is not None:
        x0 = np.asarray(start, dtype=float)
    else:
        # as lavaan: with missing data the starts come from the EM (h1) moments, which
        # are positive definite where the pairwise covariances need not be
        from dataclasses import replace as _replace

        x0 = model.x_start([st if g.h1 is None else _replace(st, mean=g.h1.mu, cov=g.h1.sigma)
                            for st, g in zip(data, gd, strict=True)])
    x, converged, iterations, f = estimate(model, gd, x0,
                                           max_iter=int(options.get("max_iter", 500)))
    if start is None and not is_baseline and (
            (converged and options.get("retry", True) and _negative_variance(model, x))
            or not converged):
        # retry=False (a diagnostic fit such as the ULMC's method model) reports a
        # converged improper end instead of spending a second path on it; an end that did
        # not converge gets the second path whatever retry= says: scoring had run a
        # residual variance off to minus infinity where BFGS from the same start reaches
        # lavaan's proper minimum (tests/test_method_variance_campaign.py)
        x_before = x
        x, f, iterations = _lower_minimum(model, gd, x0, x, f, iterations,
                                          max_iter=int(options.get("max_iter", 500)))
        converged = converged or x is not x_before
    if not converged:
        warns.append("The optimizer did not converge; the estimates are not trustworthy.")

    ll = float(sum(_ll_grad(g.stats, mu, sigma)[0]
                   for g, (mu, sigma) in zip(gd, _moments_of(model, x, gd), strict=True)))
    ll_h1 = float(sum(g.h1.loglik for g in gd))
    df = int(model.df())
    chisq = nonnegative_statistic(2.0 * (ll_h1 - ll))
    # lavaan (fixed.x = TRUE) reports the log-likelihood conditional on the covariates:
    # the joint one minus the marginal one of the (complete) x block at its sample moments.
    ll_x = _loglik_fixed_x(model, gd)
    ll -= ll_x
    ll_h1 -= ll_x
    pvalue = float(_chi2_sf(chisq, df)) if df > 0 else float("nan")
    test: dict[str, float] = {"chisq": chisq, "df": float(df), "pvalue": pvalue}

    # the baseline needs its information only for the scaled (robust) baseline test
    want_se = (options.get("se") not in ("none",) and not is_baseline) or robust_se
    info = observed_information_theta(model, x, gd) if want_se else None
    vcov = None
    e_inv = None
    if info is not None:
        try:
            e_inv = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            warns.append("The information matrix is singular; standard errors are not "
                         "available.")
    b0 = b0_groups = None
    if robust_se:
        b0, b0_groups, _ = first_order_information_theta(model, x, gd)
    if want_se and e_inv is not None:
        if robust_se:
            vcov = rb.sandwich_vcov(info, b0, int(n_total))
        else:
            vcov = 0.5 * (e_inv + e_inv.T) / n_total

    # unstructured (h1) information matrices at the EM moments (robust test, FIML-C);
    # the baseline model shares them (same data, same moments, same fixed.x block)
    need_h1_info = robust_se or (missing_ml and not is_baseline)
    a1_inv = None
    h1_store: dict | None = None
    if not need_h1_info:
        a1, j1 = [], []
    elif _h1_info is not None:
        a1, j1, a1_inv = _h1_info[:3]
        h1_store = _h1_info[3] if len(_h1_info) > 3 else None
    else:
        # shared by the fits of the same data (computed by the first of them)
        (a1, j1, a1_inv), h1_store = _h1_shared(model, gd)
    if a1 and a1_inv is None:
        a1_inv = _InverseOnce(a1)
    extra: dict[str, Any] = {
        "h1_mean": [g.h1.mu for g in gd],
        "h1_cov": [g.h1.sigma for g in gd],
        "ntotal": int(n_total),
        "nobs": [int(n) for n in n_g],
        "information": info,
        "estimator": "MLR" if robust_se else "ML",
    }
    if robust_se and e_inv is not None and df > 0:
        tr = rb.yuan_bentler_mplus_trace(a1, j1, b0_groups, e_inv, weights,
                                         a1_inv_groups=a1_inv.for_trace(model, gd))
        sc = rb.scaled_test(chisq, df, tr["trace"])
        test.update(
            chisq_scaled=sc["chisq_scaled"], df_scaled=sc["df_scaled"],
            pvalue_scaled=sc["pvalue_scaled"], scaling_factor=sc["scaling_factor"],
            trace_ugamma=sc["trace_ugamma"],
            scaling_factor_h1=float(sum(tr["trace_h1"]) / sum(tr["h1_ndat"])),
            # lavaan divides by nx.free: every free row of the parameter table, each
            # copy of an equality-constrained parameter counted (not len(x))
            scaling_factor_h0=float(sum(tr["trace_h0"]) / _n_free_rows(model)),
        )
    elif robust_se:
        test.update(chisq_scaled=chisq, df_scaled=float(df), pvalue_scaled=pvalue,
                    scaling_factor=float("nan"), trace_ugamma=float("nan"))

    baseline = None
    if not is_baseline:
        try:
            bmodel = baseline_model(model).bind(data)
            same_h1 = (list(bmodel.ov_x) == list(model.ov_x)
                       and bmodel.meanstructure == model.meanstructure)
            baseline = fit_normal(bmodel, data, {**dict(options), "baseline": True},
                                  _independence_start(bmodel, gd), robust_se=robust_se,
                                  _prepared=gd,
                                  _h1_info=(a1, j1, a1_inv, h1_store) if a1 and same_h1
                                  else None)
        except (EstimationError, ModelSpecificationError) as exc:
            warns.append(f"The baseline model could not be fitted: {exc}")
            baseline = None
    robust = None
    if baseline is not None:
        robust = _robust_test(model, x, gd, test, baseline, bmodel, a1, j1, weights, n_total,
                              robust_se, missing_ml, a1_inv, h1_store)
    h1 = None
    if missing_ml and not is_baseline:
        # residual measures compare the model with the EM (saturated) moments
        h1 = tuple(SampleStats(n=g.n, mean=g.h1.mu, cov=g.h1.sigma) for g in gd)
    return FitState(
        x=x, vcov=vcov, converged=bool(converged), iterations=int(iterations),
        fmin=chisq / (2.0 * n_total), test=test, loglik=ll, loglik_h1=ll_h1,
        baseline=baseline, robust=robust, h1=h1,
        ntotal=int(n_total) if int(n_total) != n_before else None,
        extra=extra, warnings=tuple(warns),
    )


def yuan_bentler_scaling_at(model: CompiledModel, x: np.ndarray, data: list[SampleStats],
                            ) -> float:
    """The Yuan-Bentler (Mplus) scaling factor of ``model`` evaluated at ``x``, a point that
    need not be its estimate (the ``c10`` of the Satorra-Bentler 2010 difference test: the
    less restricted model at the more restricted model's estimates).

    ``tr(U Gamma) / df`` with the observed information (Hessian) and the first-order
    information at ``x``, and the h1 (saturated; EM with missing data) information, as
    :func:`fit_mlr` computes it at the estimate.

    # In R: lavaan:::lav_test_diff_m10(m1, m0, test = TRUE)@test[[2]]$scaling.factor
    """
    df = int(model.df())
    if df <= 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cases without data: reported by the fit already
        gd = [prepare_group_data(st.data, cluster=st.cluster) for st in data]
    x = np.asarray(x, dtype=float)
    info = observed_information_theta(model, x, gd)
    try:
        e_inv = np.linalg.inv(info)
    except np.linalg.LinAlgError as exc:
        raise EstimationError(
            "The information matrix of the less restricted model at the more restricted "
            "model's estimates is singular: no Satorra-Bentler (2010) scaling.") from exc
    _b0, b0_groups, _ = first_order_information_theta(model, x, gd)
    a1, j1 = _h1_information(model, gd)
    n_g = np.array([g.n for g in gd], dtype=float)
    tr = rb.yuan_bentler_mplus_trace(a1, j1, b0_groups, e_inv, list(n_g / n_g.sum()),
                                     a1_inv_groups=_InverseOnce(a1).for_trace(model, gd))
    return float(tr["trace"] / df)


def _chi2_sf(x: float, df: float) -> float:
    return float(stats.chi2.sf(x, df))


def _robust_test(model: CompiledModel, x: np.ndarray, gd: list[GroupData],
                 test: Mapping[str, float], baseline: FitState, bmodel: CompiledModel,
                 a1: list[np.ndarray], j1: list[np.ndarray], weights: list[float],
                 n_total: float, robust_se: bool, missing_ml: bool,
                 a1_inv: _InverseOnce | None = None,
                 h1_store: dict | None = None) -> RobustTest | None:
    """Ingredients of the robust CFI/TLI/RMSEA: with missing data lavaan's FIML-corrected
    statistics (Zhang & Savalei 2023), with complete data the Yuan-Bentler scaling of
    the model and of the baseline; None when the estimator defines no robust indices."""
    xmask = _fixed_x_moment_mask(model)
    if model.options.get("ov_x_free"):
        # lavaan refits the model on the h1 moments with lavaan()'s default fixed.x =
        # TRUE, so the moments of the exogenous covariates drop out of that fit's
        # information (Wc) even when the model itself has fixed.x = FALSE
        xmask = _fixed_x_moment_mask(model, model.options["ov_x_free"])
    n = int(n_total)
    x2, df = test["chisq"], test["df"]
    bt = baseline.test
    x2b, dfb = bt["chisq"], bt["df"]
    if missing_ml:
        # the complete-data h1 information and the model-free products of the h1 matrices
        # depend on the data, the moment mask and the scaling only: kept in ``h1_store``
        # (shared by the fits of the same data) under that key
        parts_key = ("fiml_corrected", xmask.tobytes(), bool(robust_se),
                     tuple(float(w) for w in weights))
        kept = h1_store.get(parts_key) if h1_store is not None else None
        if kept is not None:
            wc, h1_parts = kept
        else:
            wc, h1_parts = [], None
            for g in gd:
                a = _moment_block(model, information_complete(g.h1.sigma))
                a[xmask, :] = 0.0
                a[:, xmask] = 0.0
                wc.append(a)
        xx3 = sum(
            g.y.shape[0] * ml_discrepancy(mu if model.meanstructure else None, sigma,
                                          g.h1.mu if model.meanstructure else None, g.h1.sigma)
            for g, (mu, sigma) in zip(gd, _moments_of(model, x, gd), strict=True)
        )
        xb = baseline.x
        xx3b = sum(
            g.y.shape[0] * ml_discrepancy(mu if model.meanstructure else None, sigma,
                                          g.h1.mu if model.meanstructure else None, g.h1.sigma)
            for g, (mu, sigma) in zip(gd, _moments_of(bmodel, xb, gd), strict=True)
        )
        common = dict(wm_groups=a1, jm_groups=j1, wc_groups=wc, weights=weights,
                      scaled=robust_se)
        try:
            if h1_parts is None:
                h1_parts = rb.fiml_corrected_h1_parts(
                    **common, wm_inv_groups=None if a1_inv is None else a1_inv.all())
                if h1_store is not None:
                    h1_store[parts_key] = (wc, h1_parts)
            common["h1_parts"] = h1_parts
            m3 = rb.fiml_corrected(xx3=xx3, df3=int(df), deltas=model.jacobian(x), **common)
            b3 = rb.fiml_corrected(xx3=xx3b, df3=int(dfb), deltas=bmodel.jacobian(xb),
                                   **common)
        except EstimationError:
            return None
        return RobustTest(chisq=m3["xx3"], df=m3["df3"], c_hat=m3["c_hat3"],
                          chisq_scaled=m3["xx3_scaled"], chisq_null=b3["xx3"],
                          df_null=float(dfb), c_hat_null=b3["c_hat3"], n=float(n))
    if robust_se:
        return RobustTest(chisq=float(x2), df=float(df), c_hat=float(test["scaling_factor"]),
                          chisq_scaled=float(test["chisq_scaled"]), chisq_null=float(x2b),
                          df_null=float(dfb), c_hat_null=float(bt["scaling_factor"]),
                          n=float(n))
    return None


def fit_fiml(model: CompiledModel, data: list[SampleStats], options: Mapping[str, Any],
             start: np.ndarray | None = None) -> FitState:
    """Backend for ``estimator="ML", missing="ml"`` (full-information ML).

    Parameters
    ----------
    model : CompiledModel
        Bound to ``data`` and with a mean structure.
    data : list of SampleStats
        One per group; ``data`` arrays keep ``NaN`` for missing values.
    options : mapping
        The user options (``missing``, ``se``, ``baseline``, ...).
    start : ndarray, optional
        Start values (e.g. the full-sample estimate in a bootstrap).

    Returns
    -------
    FitState
        Standard errors from the observed information (Hessian); ``test`` is the
        likelihood-ratio test against the EM saturated model; ``extra`` holds lavaan's
        robust (FIML-corrected) CFI/TLI/RMSEA and the EM moments.

    # In R: lavaan::sem(model, data, missing = "ml")
    """
    return fit_normal(model, data, options, start, robust_se=False)


def _n_free_rows(model: Any) -> int:
    """Free parameters before equality constraints (lavaan's ``nx.free``)."""
    pt = model.partable
    return int(((pt["xid"] >= 0) & ~pt["op"].isin(["==", "<", ">", ":="])).sum())


def fit_mlr(model: CompiledModel, data: list[SampleStats], options: Mapping[str, Any],
            start: np.ndarray | None = None) -> FitState:
    """Backend for ``estimator="MLR"``, complete data or ``missing="ml"``.

    ML (FIML with missing data) estimates; Huber-White standard errors from the observed
    information (Hessian) and the first-order information of the casewise scores; the
    Yuan-Bentler (Mplus variant) scaled chi-square; the ingredients of the robust
    CFI/TLI/RMSEA in ``FitState.robust`` (FIML-corrected with missing data).

    # In R: lavaan::sem(model, data, estimator = "MLR")  # (+ missing = "ml")
    """
    return fit_normal(model, data, options, start, robust_se=True)
