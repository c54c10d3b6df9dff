"""Diagonally weighted least squares (DWLS) with robust corrections: lavaan's WLSMV.

WLSMV = DWLS estimates (weights ``W = diag(Gamma)^-1``), robust ("sandwich")
standard errors and the mean-and-variance adjusted (scaled-and-shifted) test
statistic.  The formulas here take the Jacobian ``Delta = d sigma / d x`` of
the model's statistics (thresholds, correlations) as input, so they can be
checked directly against lavaan's own ``Delta``, ``W`` and ``Gamma``.

Conventions (lavaan 0.6, one group)
-----------------------------------
* ``F(x) = (s - sigma(x))' W (s - sigma(x))`` is minimised; lavaan's reported
  ``fmin`` is ``(N - 1) / N * F / 2`` and the test statistic is
  ``chisq = 2 N fmin = (N - 1) * F`` (``N`` the number of cases).
* Expected information ``E = Delta' W Delta``; robust covariance of the
  estimates ``E^-1 Delta' W Gamma W Delta E^-1 / (N - 1)`` (``se = "robust.sem"``;
  lavaan divides by ``N - 1`` for estimators other than ML).
* ``U = W - W Delta E^-1 Delta' W``; with ``tr1 = tr(U Gamma)`` and
  ``tr2 = tr((U Gamma)^2)``: ``a = sqrt(df / tr2)``, shift ``b = df - a tr1``,
  ``chisq_scaled = a chisq + b`` on ``df`` degrees of freedom, and lavaan's
  ``scaling_factor = 1 / a`` (``test = "scaled.shifted"``, Asparouhov & Muthén 2010).
* Baseline: the independence model with free thresholds (correlations fixed at 0).
* RMSEA uses ``N - 1``; CFI/TLI/RMSEA "scaled" plug the scaled statistics of the
  model and the baseline into the usual formulas; the "robust" ones follow
  lavaan's catML-based correction (:func:`catml_robust_measures`).
* Several groups: ``sum_g (N_g - 1) F_g`` is minimised and is the test statistic;
  information and meat are weighted by ``N_g / N``, the covariance divided by
  ``N - G`` (see :func:`fit_wlsmv`).

Entry points: :func:`fit_wlsmv` (the backend behind
``analysis.sem.sem(..., estimator="WLSMV", ordered=[...])``) and
:func:`scaled_difference_test` (``lavTestLRT`` for nested WLSMV fits).

References
----------
Asparouhov, T. & Muthén, B. (2010). Simple second order chi-square correction.
Mplus technical appendix.

Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample
analysis of moment structures.  In Heijmans et al. (eds.), Innovations in
Multivariate Statistical Analysis, 233-247.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, optimize
from scipy.stats import chi2

from analysis.blas import blas_threads
from analysis.errors import DataError, EstimationError, ModelSpecificationError

from . import fitmeasures as fm
from .model import ALPHA, DELTA, NU, TAU, CompiledModel, SampleStats
from .ordinal import OrdinalStats, OrdinalStatsCache, ordinal_sample_stats
from .state import FitState, RobustTest, WLSMoments, nonnegative_statistic

__all__ = [
    "DWLSTest",
    "baseline_test",
    "catml_robust_measures",
    "catml_robust_test",
    "dwls_discrepancy",
    "dwls_gradient",
    "fit_indices",
    "robust_vcov",
    "scaled_difference",
    "scaled_difference_test",
    "scaled_shifted_test",
    "srmr",
]


def dwls_discrepancy(s: np.ndarray, sigma: np.ndarray, w_diag: np.ndarray) -> float:
    """DWLS discrepancy ``F = (s - sigma)' W (s - sigma)`` with diagonal ``W``.

    Parameters
    ----------
    s, sigma : array
        Sample and model-implied statistics (lavaan's ``wls.obs`` / ``wls.est``).
    w_diag : array
        Diagonal of the weight matrix.

    Returns
    -------
    float
        ``F``; lavaan reports ``fmin = (N - 1) / N * F / 2`` and ``chisq = (N - 1) * F``.

    # In R: lavaan:::estimator.DWLS(WLS.est, WLS.obs, WLS.VD)
    """
    d = np.asarray(s, dtype=float) - np.asarray(sigma, dtype=float)
    return float(np.sum(np.asarray(w_diag, dtype=float) * d * d))


def dwls_gradient(
    delta: np.ndarray, s: np.ndarray, sigma: np.ndarray, w_diag: np.ndarray
) -> np.ndarray:
    """Gradient of :func:`dwls_discrepancy` with respect to the free parameters.

    Parameters
    ----------
    delta : (k, q) array
        Jacobian ``d sigma / d x``.
    s, sigma, w_diag : array
        As in :func:`dwls_discrepancy`.

    Returns
    -------
    (q,) array
        ``dF/dx = -2 Delta' W (s - sigma)``.
    """
    d = np.asarray(s, dtype=float) - np.asarray(sigma, dtype=float)
    return -2.0 * np.asarray(delta).T @ (np.asarray(w_diag, dtype=float) * d)


def _information(delta: np.ndarray, w_diag: np.ndarray) -> np.ndarray:
    return delta.T @ (w_diag[:, None] * delta)


def _inverse(e: np.ndarray) -> np.ndarray:
    try:
        c = linalg.cho_factor(e)
        return linalg.cho_solve(c, np.eye(e.shape[0]))
    except linalg.LinAlgError as exc:
        raise EstimationError(
            "The information matrix Delta' W Delta is not positive definite; "
            "the model may not be identified."
        ) from exc


@dataclass(frozen=True)
class _Sandwich:
    """Pieces shared by the robust covariance and the scaled test of one group.

    ``e_inv = (Delta' W Delta)^-1``, ``wdg = (W Delta)' Gamma`` and
    ``meat = (W Delta)' Gamma (W Delta)``.  Forming ``wdg`` is the one product of order
    ``statistics^2 x parameters``; everything else is parameter-sized.
    """

    e_inv: np.ndarray
    wdg: np.ndarray
    meat: np.ndarray


def _sandwich(delta: np.ndarray, w_diag: np.ndarray, gamma: np.ndarray) -> _Sandwich:
    delta = np.asarray(delta, dtype=float)
    w_diag = np.asarray(w_diag, dtype=float)
    gamma = np.asarray(gamma, dtype=float)
    pair = _sparse_pair(delta, w_diag)
    if pair is not None:
        # a large CFA's Delta is almost all zeros: (W Delta)' Gamma costs its non-zeros
        # times the statistics instead of parameters x statistics^2
        js, wj = pair
        wdg = np.asarray(wj.T @ gamma)
        return _Sandwich(e_inv=_inverse((js.T @ wj).toarray()), wdg=wdg,
                         meat=np.asarray(wj.T @ wdg.T).T)
    e_inv = _inverse(_information(delta, w_diag))
    wd = w_diag[:, None] * delta
    wdg = wd.T @ gamma
    return _Sandwich(e_inv=e_inv, wdg=wdg, meat=wdg @ wd)


def _vcov_from(sw: _Sandwich, nobs: int) -> np.ndarray:
    v = sw.e_inv @ sw.meat @ sw.e_inv / (nobs - 1)
    return 0.5 * (v + v.T)


def robust_vcov(
    delta: np.ndarray, w_diag: np.ndarray, gamma: np.ndarray, nobs: int
) -> np.ndarray:
    """Robust covariance matrix of DWLS estimates (lavaan ``se = "robust.sem"``).

    Parameters
    ----------
    delta : (k, q) array
        Jacobian of the model statistics with respect to the free parameters.
    w_diag : (k,) array
        Diagonal DWLS weights.
    gamma : (k, k) array
        ``N`` times the asymptotic covariance of the sample statistics (NACOV).
    nobs : int
        Number of cases ``N``.

    Returns
    -------
    (q, q) array
        ``E^-1 Delta' W Gamma W Delta E^-1 / (N - 1)`` with ``E = Delta' W Delta``.

    # In R: lavInspect(fit, "vcov") for estimator = "WLSMV"
    """
    return _vcov_from(_sandwich(delta, w_diag, gamma), nobs)


def _ugamma_traces(
    delta: np.ndarray, w_diag: np.ndarray, gamma: np.ndarray, sw: _Sandwich | None = None
) -> tuple[float, float]:
    """``tr(U Gamma)`` and ``tr((U Gamma)^2)`` with ``U = W - W Delta E^-1 Delta' W``.

    With ``B = W Delta``, ``C = E^-1``, ``D = B' Gamma`` and ``M = D B``:
    ``U Gamma = W Gamma - B C D``, so ``tr(U Gamma) = tr(W Gamma) - tr(C M)`` and
    ``tr((U Gamma)^2) = sum_ij w_i w_j Gamma_ij^2 - 2 tr(C D W D') + tr((C M)^2)``
    (``Gamma`` symmetric): no statistics-by-statistics product is formed.
    """
    w = np.asarray(w_diag, dtype=float)
    gamma = np.asarray(gamma, dtype=float)
    if delta.shape[1] == 0:
        ug = w[:, None] * gamma
        return float(np.trace(ug)), float(np.sum(ug * ug.T))
    if sw is None:
        sw = _sandwich(delta, w, gamma)
    cm = sw.e_inv @ sw.meat
    dwd = (sw.wdg * w[None, :]) @ sw.wdg.T
    tr1 = float(np.sum(w * np.diag(gamma)) - np.trace(cm))
    tr2 = float(_wgw(w, gamma) - 2.0 * np.sum(sw.e_inv * dwd) + np.sum(cm * cm.T))
    return tr1, tr2


def _wgw(w: np.ndarray, gamma: np.ndarray) -> float:
    """``tr((W Gamma)^2) = sum_ij w_i w_j Gamma_ij^2`` for symmetric ``Gamma``, by blocks
    of rows (no statistics-by-statistics temporary)."""
    k = len(w)
    step = max(1, (1 << 20) // max(k, 1))
    total = 0.0
    for s in range(0, k, step):
        g = gamma[s:s + step]
        total += float(w[s:s + step] @ (g * g) @ w)
    return total


@dataclass(frozen=True)
class DWLSTest:
    """Standard and scaled-and-shifted test of a DWLS fit (lavaan names in comments).

    Attributes
    ----------
    chisq, df, pvalue : the standard test (``(N - 1) * F``).
    chisq_scaled, df_scaled, pvalue_scaled : the scaled-and-shifted test.
    scaling_factor : ``1 / a`` (lavaan's ``chisq.scaling.factor``).
    shift_parameter : ``b`` (lavaan's ``chisq.shift.parameters``).
    trace_ugamma, trace_ugamma2 : ``tr(U Gamma)``, ``tr((U Gamma)^2)``.
    """

    chisq: float
    df: int
    pvalue: float
    chisq_scaled: float
    df_scaled: float
    pvalue_scaled: float
    scaling_factor: float
    shift_parameter: float
    trace_ugamma: float
    trace_ugamma2: float

    def as_dict(self) -> dict[str, float]:
        """The test as a plain dict (the keys of ``FitState.test``)."""
        return {
            "chisq": self.chisq,
            "df": self.df,
            "pvalue": self.pvalue,
            "chisq_scaled": self.chisq_scaled,
            "df_scaled": self.df_scaled,
            "pvalue_scaled": self.pvalue_scaled,
            "scaling_factor": self.scaling_factor,
            "shift_parameter": self.shift_parameter,
        }


def scaled_shifted_test(
    chisq: float,
    df: int,
    delta: np.ndarray,
    w_diag: np.ndarray,
    gamma: np.ndarray,
) -> DWLSTest:
    """Mean-and-variance adjusted ("scaled and shifted") test of a DWLS fit.

    Parameters
    ----------
    chisq : float
        The standard statistic ``(N - 1) * F``.
    df : int
        Degrees of freedom.
    delta, w_diag, gamma
        As in :func:`robust_vcov`.

    Returns
    -------
    DWLSTest

    Notes
    -----
    ``a = sqrt(df / tr((U Gamma)^2))``, ``b = df - a tr(U Gamma)``,
    ``T = a * chisq + b`` referred to chi-square(df).

    # In R: lavInspect(fit, "test")$scaled.shifted
    """
    return _scaled_shifted(chisq, df, delta, w_diag, gamma)


def _scaled_shifted(chisq: float, df: int, delta: np.ndarray, w_diag: np.ndarray,
                    gamma: np.ndarray, sw: _Sandwich | None = None) -> DWLSTest:
    p_std = float(chi2.sf(chisq, df)) if df > 0 else np.nan
    if df <= 0:
        return DWLSTest(chisq, df, p_std, chisq, df, p_std, np.nan, np.nan, np.nan, np.nan)
    tr1, tr2 = _ugamma_traces(np.asarray(delta, dtype=float), w_diag, gamma, sw)
    a = np.sqrt(df / tr2)
    b = df - a * tr1
    stat = a * chisq + b
    return DWLSTest(
        chisq=float(chisq),
        df=int(df),
        pvalue=p_std,
        chisq_scaled=float(stat),
        df_scaled=float(df),
        pvalue_scaled=float(chi2.sf(stat, df)),
        scaling_factor=float(1.0 / a),
        shift_parameter=float(b),
        trace_ugamma=tr1,
        trace_ugamma2=tr2,
    )


def baseline_test(
    wls_obs: np.ndarray,
    w_diag: np.ndarray,
    gamma: np.ndarray,
    n_thresholds: int,
    nobs: int,
) -> DWLSTest:
    """Test of the WLSMV baseline model (independence, thresholds free).

    With a diagonal weight matrix the baseline reproduces the thresholds
    exactly and sets every correlation to zero, so
    ``chisq = (N - 1) * sum(w_r * r^2)`` over the correlations and its Jacobian is
    ``[I; 0]``.

    # In R: fitMeasures(fit, c("baseline.chisq", "baseline.chisq.scaled"))
    """
    wls_obs = np.asarray(wls_obs, dtype=float)
    w = np.asarray(w_diag, dtype=float)
    r = wls_obs[n_thresholds:]
    chisq = (nobs - 1) * float(np.sum(w[n_thresholds:] * r * r))
    return _baseline_scaled(chisq, [(w[n_thresholds:],
                                     np.asarray(gamma)[n_thresholds:, n_thresholds:])])


def _baseline_scaled(chisq: float, blocks: list[tuple[np.ndarray, np.ndarray]]) -> DWLSTest:
    """Scaled-and-shifted test of the baseline from the correlation blocks only.

    With ``Delta = [I; 0]`` (free thresholds, fixed zero correlations) and a diagonal
    ``W``, ``U Gamma = [[0, 0], [W_c Gamma_c,th, W_c Gamma_cc]]``, so
    ``tr(U Gamma) = tr(W_c Gamma_cc)`` and ``tr((U Gamma)^2) = tr((W_c Gamma_cc)^2)``,
    summed over groups (the group weights cancel).
    """
    tr1 = 0.0
    tr2 = 0.0
    df = 0
    for wc, gcc in blocks:
        tr1 += float(np.sum(wc * np.diag(gcc)))
        tr2 += _wgw(wc, gcc)
        df += len(wc)
    p_std = float(chi2.sf(chisq, df)) if df > 0 else np.nan
    a = np.sqrt(df / tr2)
    b = df - a * tr1
    stat = a * chisq + b
    return DWLSTest(float(chisq), int(df), p_std, float(stat), float(df),
                    float(chi2.sf(stat, df)), float(1.0 / a), float(b), tr1, tr2)


def fit_indices(model: DWLSTest, baseline: DWLSTest, nobs: int) -> dict[str, float]:
    """CFI, TLI and RMSEA, standard and scaled, as lavaan reports them for WLSMV.

    Parameters
    ----------
    model, baseline : DWLSTest
        Tests of the fitted model and of the baseline (:func:`baseline_test`).
    nobs : int
        Number of cases.

    Returns
    -------
    dict
        ``cfi, tli, rmsea, cfi_scaled, tli_scaled, rmsea_scaled`` plus the
        baseline statistics ``baseline_chisq, baseline_df, baseline_chisq_scaled``
        (computed by :mod:`analysis.sem.fitmeasures`; RMSEA with ``N - 1``).

    # In R: fitMeasures(fit, c("cfi", "tli", "rmsea", "cfi.scaled", "tli.scaled",
    #                          "rmsea.scaled"))
    """
    x2, df, bx2, bdf = model.chisq, float(model.df), baseline.chisq, float(baseline.df)
    sx2, sdf = model.chisq_scaled, model.df_scaled
    bsx2, bsdf = baseline.chisq_scaled, baseline.df_scaled
    return {
        "chisq": x2,
        "df": df,
        "pvalue": model.pvalue,
        "chisq_scaled": sx2,
        "df_scaled": sdf,
        "pvalue_scaled": model.pvalue_scaled,
        "chisq_scaling_factor": model.scaling_factor,
        "chisq_shift_parameter": model.shift_parameter,
        "baseline_chisq": bx2,
        "baseline_df": bdf,
        "baseline_pvalue": baseline.pvalue,
        "baseline_chisq_scaled": bsx2,
        "baseline_df_scaled": bsdf,
        "baseline_pvalue_scaled": baseline.pvalue_scaled,
        "cfi": fm.cfi(x2, df, bx2, bdf),
        "tli": fm.tli(x2, df, bx2, bdf),
        "rmsea": fm.rmsea(x2, df, nobs - 1),
        "cfi_scaled": fm.cfi(sx2, sdf, bsx2, bsdf),
        "tli_scaled": fm.tli(sx2, sdf, bsx2, bsdf),
        "rmsea_scaled": fm.rmsea(sx2, sdf, nobs - 1),
    }


def srmr(wls_obs: np.ndarray, wls_est: np.ndarray, n_thresholds: int, n_ov: int) -> float:
    """SRMR of a model for ordered data, as lavaan reports it (``srmr``).

    Parameters
    ----------
    wls_obs, wls_est : array
        Sample and model-implied statistics.
    n_thresholds : int
        Start of the correlation block.
    n_ov : int
        Number of (ordered) observed variables.

    Returns
    -------
    float
        The root mean squared residual correlation over the ``p (p + 1) / 2``
        non-redundant elements of the correlation matrix (diagonal residuals are 0;
        thresholds do not enter).  For mixed data see
        :func:`analysis.sem.fitmeasures.residual_measures_wls`.

    # In R: fitMeasures(fit, "srmr")
    """
    obs = np.asarray(wls_obs, dtype=float)
    m = WLSMoments(obs=(obs,), est=(np.asarray(wls_est, dtype=float),),
                   w_diag=(np.ones_like(obs),), nobs=(1,), n_thresholds=n_thresholds)
    return fm.residual_measures_wls(m, n_ov)["srmr"]


def _vech_sandwich(s: np.ndarray, x: np.ndarray, ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
    """``V x`` for every column of ``x`` (strict-lower vech order ``(ii, jj)``), with
    ``V[m, m'] = s[i, i'] s[j, j'] + s[i, j'] s[j, i']``: the strict-lower part of
    ``s X s`` for the symmetric ``X`` (zero diagonal) holding the column."""
    p = s.shape[0]
    out = np.empty_like(x)
    step = max(1, (1 << 22) // (p * p))
    for c0 in range(0, x.shape[1], step):
        cols = x[:, c0:c0 + step].T
        mats = np.zeros((cols.shape[0], p, p))
        mats[:, ii, jj] = cols
        mats[:, jj, ii] = cols
        out[:, c0:c0 + step] = (s @ mats @ s)[:, ii, jj].T
    return out


def _trace_v_gamma(s: np.ndarray, gamma: np.ndarray, ii: np.ndarray, jj: np.ndarray) -> float:
    """``sum(V * gamma)`` for the ``V`` of :func:`_vech_sandwich`, by blocks of rows."""
    k = len(ii)
    total = 0.0
    step = max(1, (1 << 21) // max(k, 1))
    for r0 in range(0, k, step):
        bi, bj = ii[r0:r0 + step], jj[r0:r0 + step]
        v = s[bi][:, ii] * s[bj][:, jj] + s[bi][:, jj] * s[bj][:, ii]
        total += float(np.sum(v * gamma[r0:r0 + step]))
    return total


def catml_robust_measures(
    cors: list[np.ndarray],
    implied: list[np.ndarray],
    deltas: list[np.ndarray],
    ws: list[np.ndarray],
    gammas: list[np.ndarray],
    ns: list[int],
    n_thresholds: int,
    df: float,
    wdg: np.ndarray | None = None,
) -> dict[str, float]:
    """lavaan's "robust" RMSEA/CFI/TLI for ordered data: :func:`catml_robust_test`
    passed through :mod:`analysis.sem.fitmeasures`.

    # In R: fitMeasures(fit, c("cfi.robust", "tli.robust", "rmsea.robust"))
    """
    r = catml_robust_test(cors, implied, deltas, ws, gammas, ns, n_thresholds, df, wdg=wdg)
    return fm.robust_measures(r, df, len(ns))


def catml_robust_test(
    cors: list[np.ndarray],
    implied: list[np.ndarray],
    deltas: list[np.ndarray],
    ws: list[np.ndarray],
    gammas: list[np.ndarray],
    ns: list[int],
    n_thresholds: int,
    df: float,
    wdg: np.ndarray | None = None,
) -> RobustTest:
    """Ingredients of lavaan's "robust" RMSEA/CFI/TLI for ordered data (Savalei 2021,
    via catML).

    The ML discrepancy of the WLSMV solution against the polychoric matrices,
    ``XX3 = sum_g N_g F_ML,g``, is corrected with
    ``c = tr(WiU' V WiU Gamma) / df`` where ``V`` is the normal-theory weight
    of the correlations at the implied matrix, ``WiU = I - Delta E^-1 Delta' W``
    (correlation rows; ``E`` the DWLS information) and ``Gamma`` the correlation
    block of the asymptotic covariance.  The baseline uses ``-N log|R|`` and
    ``tr(Gamma) / df``.  NaN when a polychoric matrix is not positive definite
    (as lavaan).  ``wdg`` (one group only, optional) is ``(W Delta)' Gamma`` if already
    computed (it saves a correlations-squared product).

    # In R: lavaan:::lav_fit_catml_dwls(fit)
    """
    G = len(ns)
    ntot = sum(ns)
    fg = np.asarray(ns, dtype=float) / ntot
    p = cors[0].shape[0]
    df_null = G * p * (p - 1) / 2
    for r in cors:
        if np.linalg.eigvalsh(r)[0] < np.sqrt(np.finfo(float).eps):
            nan = float("nan")
            return RobustTest(chisq=nan, df=float(df), c_hat=nan, chisq_scaled=nan,
                              chisq_null=nan, df_null=df_null, c_hat_null=nan,
                              n=float(ntot - G))
    ii, jj = [], []
    for j in range(p - 1):
        for i in range(j + 1, p):
            ii.append(i)
            jj.append(j)
    ii, jj = np.array(ii), np.array(jj)
    xx3 = 0.0
    xx3_null = 0.0
    sinvs = []
    for g in range(G):
        r, sig = cors[g], implied[g]
        sinv = np.linalg.inv(sig)
        _, ld_sig = np.linalg.slogdet(sig)
        _, ld_r = np.linalg.slogdet(r)
        xx3 += ns[g] * (ld_sig - ld_r + np.sum(r * sinv) - p)
        xx3_null += ns[g] * (-ld_r)
        sinvs.append(sinv)
    e_inv = _inverse(_group_information(deltas, ws, fg))
    t = n_thresholds
    # ks = tr(WiU' V WiU Gamma) with WiU = I - D M, M = E^-1 D' Wc, expanded so that only
    # (k x q) products are formed:  tr(V Gamma) - 2 tr(V D M Gamma) + tr(D'VD M Gamma M'),
    # with V and Gamma block-diagonal over groups (V_g weighted by N_g / N, Gamma_g by its
    # inverse).  V_g = (S^-1 x S^-1 + commutation) on the correlations is never formed:
    # V_g x = vech(S^-1 X S^-1) for the symmetric X of x, and tr(V_g Gamma_g) goes by
    # blocks of rows.
    ks = 0.0
    c_null = 0.0
    dva, mgb = 0.0, 0.0
    for g in range(G):
        dc = deltas[g][t:]
        mt = (fg[g] * ws[g][t:])[:, None] * dc @ e_inv  # M' (k x q)
        gcc = gammas[g][t:, t:]
        a = fg[g] * _vech_sandwich(sinvs[g], dc, ii, jj)
        if wdg is not None and G == 1:
            # Gamma_cc W_c Delta_c = (Gamma W Delta)[c] - Gamma_ct W_t Delta_t
            gwd = wdg[:, t:].T - gammas[g][t:, :t] @ (ws[g][:t, None] * deltas[g][:t])
            b = gwd @ e_inv
        else:
            b = (gcc / fg[g]) @ mt
        ks += _trace_v_gamma(sinvs[g], gcc, ii, jj) - 2.0 * float(np.sum(a * b))
        dva = dva + dc.T @ a
        mgb = mgb + mt.T @ b
        c_null += float(np.trace(gcc)) / fg[g]
    ks = float(ks + np.sum(dva * mgb))
    # a saturated model (df = 0): lavaan's ks / df is infinite (ks is zero up to
    # rounding, so R's sign of the infinity is noise; taken as +inf here), the scaled
    # statistic 0; the measures then use the plain formulas of a saturated model
    c = ks / df if df > 0 else float("inf")
    c_null = c_null / df_null
    return RobustTest(chisq=float(xx3), df=float(df), c_hat=float(c),
                      chisq_scaled=float(xx3 / c), chisq_null=float(xx3_null),
                      df_null=float(df_null), c_hat_null=float(c_null), n=float(ntot - G))


def _get(obj: Any, name: str) -> Any:
    """Look ``name`` up in a mapping, an attribute, ``.extra`` (FitState) or ``.state``."""
    if isinstance(obj, Mapping):
        if name in obj:
            return obj[name]
        if "extra" in obj and name in obj["extra"]:
            return obj["extra"][name]
        raise KeyError(name)
    if hasattr(obj, name):
        return getattr(obj, name)
    extra = getattr(obj, "extra", None)
    if isinstance(extra, Mapping) and name in extra:
        return extra[name]
    state = getattr(obj, "state", None)
    if state is not None:
        return _get(state, name)
    raise EstimationError(f"The fit object has no {name!r}; pass WLSMV fits.")


def _lookup(obj: Any, name: str) -> Any:
    """:func:`_get`, or None when ``obj`` does not carry ``name``."""
    try:
        return _get(obj, name)
    except (KeyError, EstimationError):
        return None


def _orthogonal_complement(h: np.ndarray, tol: float | None = None) -> np.ndarray:
    """Orthonormal basis of the orthogonal complement of the column space of ``h``.

    From a column-pivoted (rank-revealing) QR decomposition, whose full ``Q`` costs a
    fraction of a full SVD's ``U`` (a first- against a second-order CFA of 81 items:
    720 x 690); the rank counts the diagonal entries of ``R`` above ``tol`` (default
    ``max(shape) * eps * |R_00|``, the SVD rule with ``|R_00|`` for the largest singular
    value).  Any orthonormal basis of the complement serves: the statistics that use it
    depend on its span only.
    """
    q, r, _ = linalg.qr(h, mode="full", pivoting=True, check_finite=False)
    d = np.abs(np.diag(r))
    if tol is None:
        tol = max(h.shape) * np.finfo(float).eps * (d[0] if d.size else 0.0)
    rank = int(np.sum(d > tol))
    return q[:, rank:]


def _least_squares_map(delta1: np.ndarray, delta0: np.ndarray) -> np.ndarray:
    """``pinv(delta1) @ delta0``: the less restricted model's parameters as functions of
    the more restricted one's (Satorra 2000, ``A.method = "delta"``).

    The Jacobians are sparse (a moment depends on a few parameters), so with a full
    column rank ``delta1`` the normal equations ``(D1'D1) H = D1'D0`` are formed by sparse
    products and solved by Cholesky; a rank-deficient or ill-conditioned ``D1'D1``
    (reciprocal condition estimate below 1e-10) takes the pseudo-inverse as before.
    """
    from scipy import sparse

    if delta1.size and np.count_nonzero(delta1) < 0.05 * delta1.size:
        s1 = sparse.csc_matrix(delta1)
        g = (s1.T @ s1).toarray()
        rhs = np.asarray(s1.T @ delta0)
    else:
        g, rhs = delta1.T @ delta1, delta1.T @ delta0
    if g.size and np.all(np.isfinite(g)):
        c, info = linalg.lapack.dpotrf(g, lower=False, clean=True)
        if info == 0:
            # LAPACK's estimate of the reciprocal 1-norm condition number of D1'D1
            rcond, info = linalg.lapack.dpocon(c, np.abs(g).sum(axis=0).max(), uplo="U")
            if info == 0 and rcond > 1e-10:
                return linalg.cho_solve((c, False), rhs, check_finite=False)
    return np.linalg.pinv(delta1) @ delta0


def scaled_difference_test(fit0: Any, fit1: Any) -> dict[str, float]:
    """Scaled-and-shifted chi-square difference test of nested WLSMV models.

    lavaan's default for WLSMV: ``lavTestLRT(fit0, fit1)`` with
    ``method = "satorra.2000"`` and ``scaled.shifted = TRUE`` (Satorra 2000,
    with Asparouhov & Muthén's scale-and-shift).

    Parameters
    ----------
    fit0 : FitState, SEMResult or mapping
        The restricted model.  Needs ``delta`` (Jacobian at its estimates) and a
        ``test`` mapping with ``chisq`` and ``df`` (a WLSMV ``FitState`` carries
        ``delta``, ``w_diag`` and ``gamma`` in ``extra``).
    fit1 : FitState, SEMResult or mapping
        The less restricted model.  Needs ``delta``, ``w_diag`` (DWLS weights),
        ``gamma`` (NACOV), and ``test``.  The two are swapped if given the other way
        round (by their degrees of freedom).

    Returns
    -------
    dict
        ``chisq_diff`` (scaled-shifted difference statistic), ``df_diff``,
        ``pvalue``, ``chisq_diff_unscaled``, ``a``, ``b``, ``trace_ugamma``,
        ``trace_ugamma2``.

    Notes
    -----
    With ``P = Delta1' W Delta1``, the restriction matrix ``A`` spans the
    orthogonal complement of ``H = Delta1^+ Delta0`` (``A.method = "delta"``);
    ``U = W Delta1 P^-1 A' (A P^-1 A')^+ A P^-1 Delta1' W``, ``m = df0 - df1``
    (over groups: ``P = sum_g (N_g / N) Delta_g' W_g Delta_g`` and ``Gamma`` the
    block-diagonal of ``(N_g / N) Gamma_g``),
    ``a = sqrt(m / tr((U Gamma)^2))``, ``b = m - a tr(U Gamma)``, and the
    statistic is ``a (T0 - T1) + b`` on ``m`` degrees of freedom.

    # In R: lavTestLRT(fit0, fit1)   # for estimator = "WLSMV"
    """
    with blas_threads(1):  # small matrices: threads cost more than they gain
        return _scaled_difference(fit0, fit1)


def _scaled_difference(fit0: Any, fit1: Any) -> dict[str, float]:
    if int(_get(_get(fit0, "test"), "df")) < int(_get(_get(fit1, "test"), "df")):
        fit0, fit1 = fit1, fit0
    t0, t1 = _get(fit0, "test"), _get(fit1, "test")
    chisq0, df0 = float(_get(t0, "chisq")), int(_get(t0, "df"))
    chisq1, df1 = float(_get(t1, "chisq")), int(_get(t1, "df"))
    m = df0 - df1
    if m <= 0:
        raise EstimationError(
            f"The two models have the same degrees of freedom (df={df0}); they are not "
            "nested."
        )
    delta1 = np.asarray(_get(fit1, "delta"), dtype=float)
    delta0 = np.asarray(_get(fit0, "delta"), dtype=float)
    if delta0.shape[0] != delta1.shape[0]:
        raise EstimationError("The two models are not fitted to the same sample statistics.")
    w_raw = _get(fit1, "w_diag")
    g_raw = _get(fit1, "gamma")
    if isinstance(w_raw, (list, tuple)):  # several groups
        ws = [np.asarray(v, dtype=float) for v in w_raw]
        gammas = [np.asarray(v, dtype=float) for v in g_raw]
        ns = np.asarray(_get(fit1, "group_nobs"), dtype=float)
        fg = ns / ns.sum()
    else:
        ws = [np.asarray(w_raw, dtype=float)]
        gammas = [np.asarray(g_raw, dtype=float)]
        fg = np.ones(1)
    w_all = np.concatenate(ws)
    h = _least_squares_map(delta1, delta0)
    a_mat = _orthogonal_complement(h).T
    offs = np.cumsum([0] + [len(v) for v in ws])
    blocks = [delta1[offs[g]:offs[g + 1]] for g in range(len(ws))]
    p_inv = _inverse(_group_information(blocks, ws, fg))
    apa = a_mat @ p_inv @ a_mat.T
    keep = ~(
        (np.abs(apa.sum(axis=0)) < np.sqrt(np.finfo(float).eps))
        & (np.abs(apa.sum(axis=1)) < np.sqrt(np.finfo(float).eps))
    )
    a_mat = a_mat[keep]
    core = p_inv @ a_mat.T @ np.linalg.pinv(a_mat @ p_inv @ a_mat.T) @ a_mat @ p_inv
    # U Gamma = (W Delta1) core (W Delta1)' Gamma with Gamma block-diagonal over groups,
    # weights N_g / N (lavaan's Satorra 2000 code).  Its traces need only the meat
    # M = sum_g (N_g / N) (W_g Delta_g)' Gamma_g (W_g Delta_g) of the less restricted fit:
    # tr(U Gamma) = tr(core M), tr((U Gamma)^2) = tr((core M)^2).
    meat = _lookup(fit1, "dwls_meat")
    if meat is None or np.shape(meat) != core.shape:
        wd = w_all[:, None] * delta1
        meat = np.zeros_like(core)
        for g, gam in enumerate(gammas):
            sl = slice(offs[g], offs[g + 1])
            meat += fg[g] * ((wd[sl].T @ gam) @ wd[sl])
    cm = core @ np.asarray(meat, dtype=float)
    tr1 = float(np.trace(cm))
    tr2 = float(np.sum(cm * cm.T))
    a = np.sqrt(m / tr2)
    b = m - a * tr1
    stat = (chisq0 - chisq1) * a + b
    return {
        "chisq_diff": float(stat),
        "df_diff": float(m),
        "pvalue": float(chi2.sf(stat, m)),
        "chisq_diff_unscaled": chisq0 - chisq1,
        "a": float(a),
        "b": float(b),
        "trace_ugamma": tr1,
        "trace_ugamma2": tr2,
    }


def scaled_difference(res0: Any, res1: Any) -> dict[str, float]:
    """Adapter for ``analysis.sem.invariance.lrt``: :func:`scaled_difference_test` with
    the keys ``delta_chisq``, ``delta_df``, ``delta_pvalue`` (plus ``a`` and ``b``).

    # In R: lavTestLRT(fit1, fit0)   # WLSMV: method = "satorra.2000", scaled.shifted
    """
    out = scaled_difference_test(res1, res0)
    return {"delta_chisq": out["chisq_diff"], "delta_df": out["df_diff"],
            "delta_pvalue": out["pvalue"], "a": out["a"], "b": out["b"]}


# --------------------------------------------------------------------------- backend
def _wlsmv_inputs(model: CompiledModel, data: list[SampleStats], missing: str = "listwise",
                  cache: OrdinalStatsCache | None = None) -> list[OrdinalStats]:
    """Polychoric statistics of every group, in ``model.ov_names`` order.

    ``cache`` (an :class:`analysis.sem.ordinal.OrdinalStatsCache`, optional) reuses the
    statistics of data it has seen.
    """
    if not model.ordered:
        raise ModelSpecificationError(
            "estimator='WLSMV' needs ordered= (the model's ordered indicators).")
    continuous = [v for v in model.ov_names if v not in model.ordered]
    if model.ov_x:
        raise ModelSpecificationError(
            "estimator='WLSMV' with exogenous observed covariates (fixed.x, lavaan's "
            "conditional.x probit regressions) is not supported: "
            f"{', '.join(model.ov_x)}. Use fixed_x=False to treat them as random "
            "continuous variables (lavaan: conditional.x = FALSE, fixed.x = FALSE) or "
            "estimator='MLR'.")
    th_model = [a for a, _ in model.th_names]
    out = []
    for label, st in zip(model.groups, data, strict=True):
        where = f" in group {label!r}" if label else ""
        if st.data is None:
            raise DataError("estimator='WLSMV' needs the raw data (SampleStats.data).")
        if cache is not None:
            ostats = cache.stats(st.data, list(model.ov_names), missing=missing,
                                 continuous=continuous)
        else:
            frame = pd.DataFrame(np.asarray(st.data, dtype=float),
                                 columns=list(model.ov_names))
            ostats = ordinal_sample_stats(frame, list(model.ov_names), missing=missing,
                                          continuous=continuous)
        if ostats.nobs != st.n:
            raise DataError(
                f"estimator='WLSMV' with missing={missing!r}: {st.n - ostats.nobs} of {st.n} "
                f"cases{where} cannot be used; delete incomplete cases first or use "
                "missing='pairwise'.")
        for v, ths in zip(ostats.names, ostats.thresholds, strict=True):
            if v in continuous:
                continue
            k_model = th_model.count(v)
            if k_model != len(ths):
                raise DataError(
                    f"The ordered variable {v!r} has {len(ths) + 1} observed categories{where} "
                    f"({len(ths)} thresholds), but the model has {k_model} thresholds for it "
                    f"({k_model + 1} categories, from all groups); categories without any "
                    "responses (e.g. unused levels of a Categorical, or a category missing in "
                    "one group) must be dropped or merged "
                    "(analysis.study.measurement.collapse_empty_categories does this).")
        out.append(ostats)
    return out


def _group_information(
    deltas: list[np.ndarray], ws: list[np.ndarray], fg: np.ndarray
) -> np.ndarray:
    return sum(f * _information(d, w) for d, w, f in zip(deltas, ws, fg, strict=True))


def _robust_vcov_groups(
    deltas: list[np.ndarray], ws: list[np.ndarray], gammas: list[np.ndarray], ns: list[int],
    sw: _Sandwich | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """lavaan's robust.sem covariance over groups: ``E^-1 B E^-1 / (N - G)``, and the
    meat ``B = sum_g (N_g / N) (W_g Delta_g)' Gamma_g (W_g Delta_g)``."""
    if len(deltas) == 1:
        if sw is None:
            sw = _sandwich(deltas[0], ws[0], gammas[0])
        return _vcov_from(sw, ns[0]), sw.meat
    ntot = sum(ns)
    fg = np.asarray(ns, dtype=float) / ntot
    e_inv = _inverse(_group_information(deltas, ws, fg))
    meat = 0.0
    for d, w, g, f in zip(deltas, ws, gammas, fg, strict=True):
        wd = w[:, None] * d
        meat = meat + f * (wd.T @ g @ wd)
    v = e_inv @ meat @ e_inv / (ntot - len(ns))
    return 0.5 * (v + v.T), meat


def _scaled_shifted_groups(
    chisq: float, df: int, deltas: list[np.ndarray], ws: list[np.ndarray],
    gammas: list[np.ndarray], ns: list[int], sw: _Sandwich | None = None,
) -> DWLSTest:
    """:func:`scaled_shifted_test` over groups (lavaan's ``fg``-weighted U and Gamma)."""
    if len(deltas) == 1:
        return _scaled_shifted(chisq, df, deltas[0], ws[0], gammas[0], sw)
    p_std = float(chi2.sf(chisq, df)) if df > 0 else np.nan
    if df <= 0:
        return DWLSTest(chisq, df, p_std, chisq, df, p_std, np.nan, np.nan, np.nan, np.nan)
    fg = np.asarray(ns, dtype=float) / sum(ns)
    k_all = sum(len(w) for w in ws)
    if deltas[0].shape[1] == 0:
        ug = np.zeros((k_all, k_all))
    else:
        e_inv = _inverse(_group_information(deltas, ws, fg))
        # U Gamma = blockdiag(W_g Gamma_g) - [f_g W_g Delta_g] E^-1 [Delta_h' W_h Gamma_h]
        left = np.vstack([f * (w[:, None] * d)
                          for d, w, f in zip(deltas, ws, fg, strict=True)])
        right = np.hstack([(w[:, None] * d).T @ g
                           for d, w, g in zip(deltas, ws, gammas, strict=True)])
        ug = -(left @ (e_inv @ right))
    off = 0
    for w, g in zip(ws, gammas, strict=True):
        k = len(w)
        ug[off:off + k, off:off + k] += w[:, None] * g
        off += k
    tr1 = float(np.trace(ug))
    tr2 = float(np.sum(ug * ug.T))
    a = np.sqrt(df / tr2)
    b = df - a * tr1
    stat = a * chisq + b
    return DWLSTest(float(chisq), int(df), p_std, float(stat), float(df),
                    float(chi2.sf(stat, df)), float(1.0 / a), float(b), tr1, tr2)


def _baseline_groups(ostats: list[Any]) -> DWLSTest:
    """Baseline (independence, free thresholds) test over groups."""
    if len(ostats) == 1:
        o = ostats[0]
        return baseline_test(o.wls_obs, o.wls_v_diag, o.gamma, o.cor_start, o.nobs)
    chisq = 0.0
    blocks = []
    for o in ostats:
        t = o.cor_start
        r = o.wls_obs[t:]
        chisq += (o.nobs - 1) * float(np.sum(o.wls_v_diag[t:] * r * r))
        blocks.append((o.wls_v_diag[t:], o.gamma[t:, t:]))
    return _baseline_scaled(chisq, blocks)


def fit_wlsmv(model: CompiledModel, data: list[SampleStats], options: Mapping[str, Any],
              start: np.ndarray | None = None) -> FitState:
    """WLSMV backend: DWLS estimates, robust SEs, scaled-and-shifted test.

    Parameters
    ----------
    model : CompiledModel
        A bound compiled model whose observed variables are all ordered
        (delta parameterization).
    data : list of SampleStats
        One per group; ``.data`` holds the raw category codes.
    options : mapping
        User options (``baseline=True`` when fitting the independence model;
        ``ordinal_cache``, an :class:`analysis.sem.ordinal.OrdinalStatsCache` shared by
        fits of the same data, e.g. ``cfa(..., ordinal_cache=cache)``).
    start : ndarray, optional
        Start vector.

    Returns
    -------
    FitState
        ``x``, robust ``vcov``, ``fmin`` in lavaan's scaling, ``test`` with the
        standard and scaled-and-shifted statistics, ``baseline`` (the independence
        model with free thresholds), and ``extra`` with lavaan's WLSMV fit measures
        (``cfi_scaled``, ``tli_scaled``, ``rmsea_scaled``, ``srmr``, ...) and the
        ingredients of :func:`scaled_difference_test` (``delta``, ``w_diag``,
        ``gamma``, ``wls_obs``, ``wls_est``; lists over groups when there are
        several).

    Notes
    -----
    With groups ``g`` of sizes ``N_g`` (total ``N``), lavaan minimises
    ``sum_g (N_g - 1) F_g``; ``chisq = sum_g (N_g - 1) F_g``; the information is
    ``sum_g (N_g / N) Delta_g' W_g Delta_g`` and the robust covariance is divided by
    ``N - G``.  Unobserved categories are dropped as in lavaan.  With
    ``missing="pairwise"`` the sample statistics use all available answers (see
    :func:`analysis.sem.ordinal.ordinal_sample_stats`); otherwise incomplete cases
    are deleted listwise before.

    # In R: lavaan::sem(model, data, ordered = ..., estimator = "WLSMV")
    """
    ostats = _wlsmv_inputs(model, data, str(options.get("missing", "listwise")),
                           cache=options.get("ordinal_cache"))
    with blas_threads(1):  # small matrices: threads cost more than they gain
        return _fit_from_stats(model, data, options, start, ostats)


def _fit_from_stats(model: CompiledModel, data: list[SampleStats], options: Mapping[str, Any],
                    start: np.ndarray | None, ostats: list[OrdinalStats]) -> FitState:
    """The part of :func:`fit_wlsmv` after the sample statistics."""
    G = len(ostats)
    ns = [o.nobs for o in ostats]
    ntot = sum(ns)
    obs = [o.wls_obs for o in ostats]
    ws = [o.wls_v_diag for o in ostats]
    gammas = [o.gamma for o in ostats]
    nth = ostats[0].cor_start  # start of the correlation block
    p = len(model.ov_names)
    warns: list[str] = []

    if start is None:
        start_stats = []
        for st, o in zip(data, ostats, strict=True):
            means = np.zeros(p)
            for a, v in enumerate(model.ov_names):
                if v in o.continuous:  # stored as minus the mean (lavaan)
                    means[a] = -o.wls_obs[o.th_names.index(v)]
            start_stats.append(replace(st, cov=o.cor if o.cov is None else o.cov, mean=means))
        x0 = np.asarray(model.x_start(start_stats), dtype=float)
    else:
        x0 = np.asarray(start, dtype=float).copy()

    # Minimise sum_g (N_g - 1) F_g: stack the groups with weights (N_g - 1) W_g.
    s_all = np.concatenate(obs)
    w_all = np.concatenate([(n - 1) / (ntot - G) * w for n, w in zip(ns, ws, strict=True)])
    converged = True
    iterations = 0
    x = x0
    active = np.zeros(model.n_free, dtype=bool)
    if model.n_free:
        x, iterations, converged, active = _estimate(model, x0, s_all, w_all,
                                                     [len(o) for o in obs])
        if not converged:
            warns.append(f"The WLSMV estimation did not converge after {iterations} "
                         "iterations; results are not trustworthy. Try other start values or "
                         "a simpler model.")
        if active.any():
            warns.append("Parameters on the bound of an inequality constraint (no standard "
                         "error: the bound acts as an equality constraint): "
                         + ", ".join(model.x_names[i] for i in np.flatnonzero(active)) + ".")
    sigmas = model.moments(x)
    deltas = model.jacobian(x) if model.n_free else [np.zeros((len(o), 0)) for o in obs]
    if active.any():
        # an active inequality constraint acts as an equality constraint (lavaan's
        # augmented information): the robust covariance, the scaled-shifted test and the
        # catML correction use the Jacobian without the parameters on their bounds, and
        # those parameters get NaN rows in the covariance matrix (as ml.fit_ml)
        deltas = [d[:, ~active] for d in deltas]
    Fg = [dwls_discrepancy(s_, sg, w) for s_, sg, w in zip(obs, sigmas, ws, strict=True)]
    chisq = nonnegative_statistic(sum((n - 1) * f for n, f in zip(ns, Fg, strict=True)))
    # sample statistics minus free parameters (equals model.df(); counted here so that
    # the means of continuous variables in mixed models are always included)
    df = int(sum(len(o) for o in obs) - model.n_free)
    # single group: (W Delta)' Gamma once for the robust SEs and the scaled test
    n_est = deltas[0].shape[1]  # free parameters off their bounds
    sw = _sandwich(deltas[0], ws[0], gammas[0]) if n_est and G == 1 else None
    vcov, meat = (_robust_vcov_groups(deltas, ws, gammas, ns, sw) if n_est
                  else (None, None))
    if vcov is not None and active.any():
        full = np.full((model.n_free, model.n_free), np.nan)
        full[np.ix_(~active, ~active)] = vcov
        vcov = full
    test = _scaled_shifted_groups(chisq, df, deltas, ws, gammas, ns, sw)
    fmin = float(sum(n / ntot * 0.5 * (n - 1) / n * f for n, f in zip(ns, Fg, strict=True)))

    neg = []
    for g, label in enumerate(model.groups):
        core = None  # the model's matrices at x, once per group (not once per item)
        for i, v in enumerate(model.ov_names):
            if v not in model.ordered:
                continue
            core = model._core(x, g) if core is None else core
            if _residual_variance(model, x, i, g, core=core) < 0:
                neg.append(f"{v} (group {label!r})" if label else v)
    if neg:
        warns.append("Some ordered indicators have negative residual variances "
                     f"(Heywood case): {', '.join(neg)}.")

    one = G == 1
    extra: dict[str, Any] = {
        "wls_obs": obs[0] if one else obs,
        "wls_est": sigmas[0] if one else sigmas,
        "delta": deltas[0] if one else np.vstack(deltas),
        "w_diag": ws[0] if one else ws,
        "gamma": gammas[0] if one else gammas,
        "sample_stats": ostats[0] if one else ostats,
        "group_nobs": ns,
        # sum_g (N_g / N) (W_g Delta_g)' Gamma_g (W_g Delta_g): what the Satorra (2000)
        # difference test needs of the less restricted model
        "dwls_meat": meat,
    }
    baseline = None
    robust = None
    if not options.get("baseline"):
        btest = _baseline_groups(ostats)
        bx = np.concatenate([o.wls_obs[:o.cor_start] for o in ostats])
        baseline = FitState(x=bx, vcov=None, converged=True, iterations=0,
                            fmin=btest.chisq / (2.0 * ntot),
                            test=btest.as_dict(), extra={"analytic": True})
        # with df = 0 too: lavaan reports the robust CFI/TLI (1) and RMSEA (0, interval
        # 0 to 0) of a saturated model from the catML statistic
        if n_est and df >= 0 and not ostats[0].continuous \
                and not _constrains_thresholds(model):
            robust = catml_robust_test(
                [o.cor for o in ostats], [imp.sigma for imp in model.implied(x)], deltas, ws,
                gammas, ns, nth, df, wdg=None if sw is None else sw.wdg)
    o0 = ostats[0]
    moments = WLSMoments(
        obs=tuple(obs), est=tuple(sigmas), w_diag=tuple(ws), nobs=tuple(ns), n_thresholds=nth,
        continuous_index=tuple(model.ov_names.index(v) for v in o0.continuous),
        mean_positions=tuple(o0.th_names.index(v) for v in o0.continuous))
    return FitState(x=x, vcov=vcov, converged=converged, iterations=iterations, fmin=fmin,
                    test=test.as_dict(), baseline=baseline, robust=robust,
                    wls=moments if baseline is not None else None, extra=extra,
                    warnings=tuple(warns))


def _estimate(model: Any, x0: np.ndarray, s: np.ndarray, w: np.ndarray,
              sizes: list[int]) -> tuple[np.ndarray, int, bool, np.ndarray]:
    """DWLS estimates from ``x0``: ``(x, iterations, converged, active)``.

    When the thresholds separate from the rest of the model (see
    :func:`_separable_thresholds`) they are set to the sample thresholds and Gauss-Newton
    runs on the other parameters only (the residuals of the threshold statistics are then
    zero and no other parameter moves them): the same minimum, with normal equations of a
    third of the size in a large ordinal CFA (234 instead of 720 parameters for 81 items
    on 7-point scales, whose 486 thresholds are estimated apart).
    """
    lo, hi = model.bounds()
    sep = _separable_thresholds(model, x0, s, sizes, lo, hi)
    if sep is None:
        return _minimise(model, x0, s, w, lo, hi)
    params, rows = sep
    x1 = np.asarray(x0, dtype=float).copy()
    x1[params] = s[rows]
    free = np.ones(model.n_free, dtype=bool)
    free[params] = False
    active = np.zeros(model.n_free, dtype=bool)
    if not free.any():  # nothing but thresholds: the sample thresholds are the estimates
        return x1, 0, True, active
    sub = _Held(model, x1, free)
    z, it, ok, act = _minimise(sub, x1[free], s, w, lo[free], hi[free])
    active[free] = act
    return sub.full(z), it, ok, active


def _minimise(model: Any, x0: np.ndarray, s: np.ndarray, w: np.ndarray, lo: np.ndarray,
              hi: np.ndarray) -> tuple[np.ndarray, int, bool, np.ndarray]:
    """Gauss-Newton, bounded when any parameter has a finite bound."""
    if np.isfinite(lo).any() or np.isfinite(hi).any():
        return _bounded_gauss_newton(model, x0, s, w, lo, hi)
    x, it, ok = _gauss_newton(model, x0, s, w)
    return x, it, ok, np.zeros(len(x), dtype=bool)


def _separable_thresholds(model: Any, x0: np.ndarray, s: np.ndarray, sizes: list[int],
                          lo: np.ndarray, hi: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray] | None:
    """The free thresholds and their rows in the stacked statistics ``s`` when the DWLS
    problem separates: ``None`` otherwise.

    Under the delta parameterization with unit scale factors and zero intercepts and
    latent means, the model-implied threshold is the threshold parameter itself; with a
    diagonal weight matrix its only term in the discrepancy is ``w (s - tau)^2``, so a
    threshold that no other statistic involves and that shares its parameter with no
    other entry (no equality across groups, no label or constraint naming it, no bound
    excluding the sample value) is estimated by the sample threshold whatever the other
    parameters are.  Any other case (theta parameterization, free scale factors,
    intercepts or means, numeric variables, equal thresholds) keeps the full problem.
    """
    if not getattr(model, "ordered", None) or model.theta_parameterization:
        return None
    specs = model._specs
    if any(len(sp.entries(code)[0]) for sp in specs for code in (NU, ALPHA, DELTA)):
        return None
    xids = np.concatenate([sp.ent_xid for sp in specs])
    counts = np.bincount(xids, minlength=model.n_free)
    params, rows = [], []
    offset = 0
    for g, (sp, size) in enumerate(zip(specs, sizes, strict=True)):
        _lam, _beta, _psi, _theta, nu, alpha, _tau, delta = model.matrices(x0, g)
        ix = model._moment_index(g)
        if len(ix["num_pos"]) or np.any(nu != 0.0) or np.any(alpha != 0.0) \
                or np.any(delta != 1.0):
            return None
        pos, trow, _ = sp.entries(TAU)
        at = {int(src): int(r) for src, r in zip(ix["tau_src"], ix["tau_pos"], strict=True)}
        for ps, tr in zip(pos.tolist(), trow.tolist(), strict=True):
            params.append(int(sp.ent_xid[ps]))
            rows.append(offset + at[int(tr)])
        offset += size
    if not params or offset != len(s):
        return None
    params_a, rows_a = np.asarray(params, dtype=np.intp), np.asarray(rows, dtype=np.intp)
    if np.any(counts[params_a] != 1) or _constrains_thresholds(model):
        return None
    val = s[rows_a]
    if np.any(val <= lo[params_a]) or np.any(val >= hi[params_a]):
        return None
    # the structure says the implied thresholds are the parameters; check it once
    x1 = np.asarray(x0, dtype=float).copy()
    x1[params_a] = val
    try:
        implied = np.concatenate(model.moments(x1))[rows_a]
    except (np.linalg.LinAlgError, EstimationError):
        return None
    if not np.allclose(implied, val, rtol=0.0, atol=1e-13):
        return None
    return params_a, rows_a


def _constrains_thresholds(model: Any) -> bool:
    """Whether a threshold or an intercept / mean is constrained: equal to another
    parameter (``group.equal = "thresholds"``, a shared label) or named in a constraint.

    lavaan's robust CFI/TLI/RMSEA for ordered data refit the model without thresholds and
    means (catML); with such a constraint that refit fails and lavaan reports them as
    missing (NA), as this engine does: the correction would ignore the constraint.

    # In R: lavaan:::lav_object_catml(fit) -> "unknown label(s) in equality constraint(s)"
    """
    pt = model.partable
    # the columns as arrays (pandas' isin and row selections cost more than the test)
    op = pt["op"].to_numpy()
    drop = (op == "|") | (op == "~1")
    xid = pt["xid"].to_numpy()
    keep_ids = set(xid[~drop & (xid >= 0)])
    ids = xid[drop & (xid >= 0)]
    if len(ids) != len(set(ids)) or set(ids) & keep_ids:
        return True
    con = (op == "==") | (op == "<") | (op == ">")
    if not con.any():  # no constraint names anything
        return False
    names = {str(v) for col in ("label", "plabel") for v in pt[col].to_numpy()[drop]
             if str(v)}
    words = set()
    for side in ("lhs", "rhs"):
        for text in pt[side].to_numpy()[con]:
            words.update(re.findall(r"[A-Za-z._][A-Za-z0-9._]*", str(text)))
    return bool(names & words)


def _residual_variance(model: Any, x: np.ndarray, i: int, group: int = 0, *,
                       core: Any = None) -> float:
    """Residual variance of ordered indicator ``i`` as lavaan reports it: the free
    parameter under ``parameterization="theta"``; under delta ``1/delta^2 - explained``
    (``1 - explained`` where the scale factor is 1); for a variable in a regression (it
    sits in eta) its Psi entry.  ``core``: ``model._core(x, group)`` when already at
    hand (a loop over the items of a group)."""
    core = model._core(x, group) if core is None else core
    v = model.ov_names[i]
    if v in model.eta_names and v not in model.lv_names:
        e = model.eta_names.index(v)
        return float(core[2][e, e])
    return float(core[3][i, i])


def _normal_equations(J: np.ndarray, w: np.ndarray, r: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``J' W J`` and ``J' W r`` for the diagonal weights ``w``.

    The Jacobian of a large ordinal CFA is almost all zeros (a threshold moves one
    statistic, a loading the correlations of one item): 65 items and 18 factors give
    3,726 statistics by 720 parameters with 0.15 % of the entries non-zero.  Such a
    Jacobian is multiplied in sparse form (about a tenth of the dense product's time,
    equal to rounding); small or dense ones as they are.
    """
    pair = _sparse_pair(J, w)
    if pair is not None:
        js, wj = pair
        return (js.T @ wj).toarray(), wj.T @ r
    wj = w[:, None] * J
    return J.T @ wj, wj.T @ r


def _sparse_pair(J: np.ndarray, w: np.ndarray) -> tuple[Any, Any] | None:
    """``J`` and ``W J`` (diagonal ``W = diag(w)``) as sparse CSC matrices when ``J`` is
    large and almost all zeros (at least 200,000 entries, at most 5 % non-zero); None
    otherwise, for the dense products."""
    if J.size < 200_000:
        return None
    # the non-zeros of the flat array (a two-dimensional np.nonzero is several times
    # slower); the model's Jacobian is stored column by column
    if J.flags.f_contiguous:
        flat = J.T.ravel()
        nz = np.flatnonzero(flat != 0)  # on booleans: far faster than on floats
        cols, rows = np.divmod(nz, J.shape[0])
    else:
        flat = J.ravel()
        nz = np.flatnonzero(flat != 0)  # on booleans: far faster than on floats
        rows, cols = np.divmod(nz, J.shape[1])
    if nz.size > 0.05 * J.size:
        return None
    from scipy import sparse

    vals = flat[nz]
    return (sparse.csc_matrix((vals, (rows, cols)), shape=J.shape),
            sparse.csc_matrix((vals * w[rows], (rows, cols)), shape=J.shape))


# the check for a parameter running off without bound: a fit is stopped when two checks
# in a row, every 50 iterations, find one (a hundred iterations on the ridge), or sooner
# when four checks in a row, every 10 iterations, find the same one (40 iterations: in
# a large ordinal CFA with a scale without common variance, every one of six starts
# took a ridge on which one loading ran from 6.5 to 74 in 40 iterations, its item's
# residual variance from -5.5 to -73, while the fit function fell by 5e-5 of itself).
# Three such checks were too few: a loading that grew from 16 to 33 over 30 iterations
# then settled at 34 (a converged Heywood case) would have been stopped.
_RUNAWAY_EVERY = 50
_RUNAWAY_FAST_EVERY = 10
_RUNAWAY_FAST_CHECKS = 4


def _running_off(x_then: np.ndarray, f_then: float, x: np.ndarray, f: float) -> int:
    """The parameter running off along a ridge instead of converging (-1 for none): over
    the last iterations the fit function fell by less than 1e-4 of itself while the
    parameter that moved most grew by more than a tenth of its size plus one (a loading
    of a factor whose marker does not load, running to thousands while the latent
    variance goes to zero; a loading whose item's residual variance runs below -100).
    Near a minimum the data identify, so small a fall in the fit function cannot come
    with so large a move; a slowly converging fit is not stopped.

    # In R: lavaan's nlminb runs such a fit to its iteration limit and warns that "a
    # solution has NOT been found" (the same verdict, reached later)
    """
    if not (np.isfinite(f_then) and np.isfinite(f)) or f_then - f > 1e-4 * max(abs(f), 1e-12):
        return -1
    moved = np.abs(x - x_then)
    if not moved.size:
        return -1
    k = int(np.argmax(moved))
    return k if abs(x[k]) - abs(x_then[k]) > 0.1 * abs(x_then[k]) + 1.0 else -1


def _gauss_newton(
    model: Any, x0: np.ndarray, s: np.ndarray, w: np.ndarray, max_iter: int = 500
) -> tuple[np.ndarray, int, bool]:
    """Minimise the DWLS discrepancy by damped Gauss-Newton (Levenberg-Marquardt).

    ``s`` and ``w`` are the statistics and weights of all groups stacked.
    """

    def discrepancy(x: np.ndarray) -> float:
        try:
            sig = np.concatenate(model.moments(x))
        except np.linalg.LinAlgError:
            return np.inf
        val = dwls_discrepancy(s, sig, w)
        return val if np.isfinite(val) else np.inf

    x = np.asarray(x0, dtype=float).copy()
    f = discrepancy(x)
    if not np.isfinite(f):
        raise EstimationError("WLSMV estimation failed: the start values give an undefined "
                              "model-implied correlation matrix.")
    lam = 0.0
    mark_x, mark_f, crawled = x, f, 0
    fast_x, fast_f, fast_crawled, runner = x, f, 0, -1
    for it in range(1, max_iter + 1):
        if it % _RUNAWAY_FAST_EVERY == 0:
            k = _running_off(fast_x, fast_f, x, f)
            fast_crawled = 0 if k < 0 else fast_crawled + 1 if k == runner else 1
            runner = k
            if fast_crawled == _RUNAWAY_FAST_CHECKS:
                return x, it, False
            fast_x, fast_f = x, f
        if it % _RUNAWAY_EVERY == 0:
            crawled = crawled + 1 if _running_off(mark_x, mark_f, x, f) >= 0 else 0
            if crawled == 2:
                return x, it, False
            mark_x, mark_f = x, f
        r = s - np.concatenate(model.moments(x))
        jac = model.jacobian(x)
        h, g = _normal_equations(jac[0] if len(jac) == 1 else np.vstack(jac), w, r)
        scale = np.max(np.abs(np.diag(h))) if h.size else 1.0
        accepted = False
        for _ in range(60):
            try:
                step = np.linalg.solve(h + lam * np.diag(np.diag(h) + 1e-12 * scale), g)
            except np.linalg.LinAlgError:
                lam = max(10.0 * lam, 1e-6)
                continue
            xn = x + step
            fn = discrepancy(xn)
            if fn <= f:
                accepted = True
                break
            lam = max(10.0 * lam, 1e-6)
        if not accepted:
            return x, it, bool(np.max(np.abs(g)) < 1e-6)
        df_ = f - fn
        x, f = xn, fn
        lam = lam / 10.0 if lam > 1e-9 else 0.0
        if np.max(np.abs(step)) < 1e-10 or df_ <= 1e-15 * max(f, 1e-300):
            return x, it, True
    return x, max_iter, False


class _Held:
    """A view of a model with the entries of ``x`` outside ``free`` held at their values
    (the parameters on the bound of an inequality constraint, or thresholds estimated
    apart)."""

    def __init__(self, model: Any, x: np.ndarray, free: np.ndarray) -> None:
        self._m, self._x, self._free = model, np.asarray(x, dtype=float), free
        self.n_free = int(free.sum())

    def full(self, z: np.ndarray) -> np.ndarray:
        x = self._x.copy()
        x[self._free] = z
        return x

    def moments(self, z: np.ndarray) -> list[np.ndarray]:
        return self._m.moments(self.full(z))

    def jacobian(self, z: np.ndarray) -> list[np.ndarray]:
        return [d[:, self._free] for d in self._m.jacobian(self.full(z))]


def _on_bound(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """Parameters on a finite bound (as :func:`analysis.sem.ml._active`)."""
    with np.errstate(invalid="ignore"):
        at_lo = np.isfinite(lo) & (x - lo <= tol * np.maximum(1.0, np.abs(lo)))
        at_hi = np.isfinite(hi) & (hi - x <= tol * np.maximum(1.0, np.abs(hi)))
    return at_lo | at_hi


def _dwls_grad(model: Any, x: np.ndarray, s: np.ndarray, w: np.ndarray) -> np.ndarray:
    jac = model.jacobian(x)
    r = s - np.concatenate(model.moments(x))
    return -2.0 * (jac[0] if len(jac) == 1 else np.vstack(jac)).T @ (w * r)


def _bounded_gauss_newton(
    model: Any, x0: np.ndarray, s: np.ndarray, w: np.ndarray, lo: np.ndarray,
    hi: np.ndarray, max_iter: int = 500, rounds: int = 20,
) -> tuple[np.ndarray, int, bool, np.ndarray]:
    """:func:`_gauss_newton` under simple bounds (``a > 0``, ``a < 1``): the
    unconstrained solution when it keeps the bounds; otherwise an active-set search
    (parameters beyond a bound are held on it and the others re-estimated, until the free
    ones keep their bounds and no held one's gradient pulls it back inside: the KKT
    conditions), with a bounded trust-region least-squares solution as the fallback.

    Returns ``(x, iterations, converged, active)`` with ``active`` marking the parameters
    held on a bound.

    # In R: lavaan's nlminb.constr for the inequality constraints of a WLSMV fit
    """
    x, it, ok = _gauss_newton(model, x0, s, w, max_iter=max_iter)
    none = np.zeros(len(x), dtype=bool)
    if ok and np.all(x >= lo) and np.all(x <= hi):
        return x, it, ok, none
    found = _active_set_gn(model, x, s, w, lo, hi, max_iter, rounds)
    if found is not None:
        xa, ita, oka, active = found
        return xa, it + ita, oka, active
    # fallback: bounded trust-region least squares on sqrt(w) (s - sigma(x)), then the
    # active set from there
    sw = np.sqrt(w)

    def resid(z: np.ndarray) -> np.ndarray:
        try:
            return sw * (s - np.concatenate(model.moments(z)))
        except np.linalg.LinAlgError:
            return np.full(len(s), 1e10)

    def jac(z: np.ndarray) -> np.ndarray:
        d = model.jacobian(z)
        return -sw[:, None] * (d[0] if len(d) == 1 else np.vstack(d))

    span = np.where(np.isfinite(hi - lo), hi - lo, 1.0)
    xs = np.clip(x0, lo + 1e-3 * np.minimum(span, 1.0), hi - 1e-3 * np.minimum(span, 1.0))
    sol = optimize.least_squares(resid, xs, jac=jac, bounds=(lo, hi), method="trf",
                                 xtol=1e-15, ftol=1e-15, gtol=1e-12, max_nfev=20 * max_iter)
    it += int(sol.nfev)
    found = _active_set_gn(model, np.asarray(sol.x, dtype=float), s, w, lo, hi, max_iter,
                           rounds)
    if found is not None:
        xa, ita, oka, active = found
        return xa, it + ita, oka, active
    xb = np.asarray(sol.x, dtype=float)
    return xb, it, bool(sol.success), _on_bound(xb, lo, hi)


def _active_set_gn(
    model: Any, x: np.ndarray, s: np.ndarray, w: np.ndarray, lo: np.ndarray, hi: np.ndarray,
    max_iter: int, rounds: int,
) -> tuple[np.ndarray, int, bool, np.ndarray] | None:
    """Active-set Gauss-Newton from ``x`` (see :func:`_bounded_gauss_newton`); ``None``
    when it does not settle."""
    x = np.clip(np.asarray(x, dtype=float), lo, hi)
    active = _on_bound(x, lo, hi)
    it = 0
    for _ in range(rounds):
        free = ~active
        if free.any():
            sub = _Held(model, x, free)
            try:
                z, it_s, ok = _gauss_newton(sub, x[free], s, w, max_iter=max_iter)
            except EstimationError:
                return None
            it += it_s
            if not ok:
                return None
            x = sub.full(z)
        out = free & ((x < lo) | (x > hi))
        if out.any():  # a free parameter crossed its bound: hold it there too
            x = np.clip(x, lo, hi)
            active |= out
            continue
        g = _dwls_grad(model, x, s, w)
        scale = 1e-8 * max(1.0, float(np.max(np.abs(g[free]))) if free.any() else 1.0)
        # on a lower bound F must not fall when the parameter rises (g >= 0), on an
        # upper bound when it falls (g <= 0); release the ones that would
        release = active & (((x <= lo) & (g < -scale)) | ((x >= hi) & (g > scale)))
        if not release.any():
            return x, it, True, active
        active &= ~release
    return None
