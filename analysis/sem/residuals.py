"""Standardized and normalized residuals: residual moments divided by their standard errors.

A residual moment (observed minus implied mean, covariance, threshold or polychoric
correlation) is divided by an estimate of its sampling standard deviation:

* ``"normalized"``: the SD of the observed moment alone, from the asymptotic covariance
  ``A_obs`` of the sample moments (what the unrestricted model says): under ML
  ``I1(S)^-1 / N_g`` with ``I1`` the unit expected information of the unrestricted
  normal model at the sample moments; under MLR the sandwich
  ``I1^-1 J1 I1^-1 / N_g`` (``J1`` the mean outer product of the cases' scores); under
  WLSMV lavaan's ``NACOV / N`` (the polychoric statistics' ``Gamma``, divided by the total
  ``N`` in every group, as lavaan does).
* ``"standardized"``: the SD of the residual itself, which also accounts for the
  estimated moments: ``A_res = Q A_obs Q'`` with ``Q = I - w_g Delta_g A0^-1 Delta_g' A1_g``,
  where ``A1_g`` is the unit information of the unrestricted model at the implied
  moments (expected under ML, observed under MLR, the diagonal DWLS weights under WLSMV),
  ``A0 = sum_g w_g Delta_g' A1_g Delta_g`` the model's unit information, ``w_g = N_g / N``
  and ``Delta_g`` the derivatives of the moments with respect to the free parameters.

``A0`` is inverted to machine precision.  lavaan's generalized inverse drops directions
below 1.5e-8 of the largest singular value, so on badly scaled data (``longley``, variances
from 11 to 12,000) its standardized residuals come out nearly equal to the normalized
ones; ours do not depend on the variables' scales (README, known differences).

As in lavaan, the moments of fixed.x covariates alone are left out (zero rows in the
information matrices, whose inverses are taken on the remaining block), a residual below
1e-5 in absolute value is returned as it is (not divided), and a negative variance gives
NaN.  After ``missing="ml"`` the observed side is the EM estimate of the unrestricted
model, ``A_obs`` comes from its observed information given the missing-data patterns
(and the first-order information under MLR), and ``A1`` is that information at the
implied moments.  Not offered after ``missing="pairwise"``, for mixed ordered and
continuous variables (lavaan: "not ready yet") or for clustered data.

# In R: lavaan::residuals(fit, type = "standardized"); residuals(fit, type = "normalized")
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import ModelSpecificationError

from . import fiml
from .fiml import _fixed_x_moment_mask
from .matrix import duplication_matrix, vech, vech_indices

KINDS = ("standardized", "normalized")
# lavaan returns a residual smaller than this as it is (its SE is set to 1)
_NEAR_ZERO = 1e-5


def _block_inverse(a: np.ndarray) -> np.ndarray:
    """Inverse of ``a`` on its rows/columns that are not all zero (zeros elsewhere), the
    Moore-Penrose inverse where that block is singular."""
    keep = ~(np.all(a == 0.0, axis=0) & np.all(a == 0.0, axis=1))
    out = np.zeros_like(a)
    if keep.any():
        sub = a[np.ix_(keep, keep)]
        try:
            inv = np.linalg.inv(sub)
        except np.linalg.LinAlgError:
            inv = np.linalg.pinv(sub)
        out[np.ix_(keep, keep)] = inv
    return out


def _observed_info(sigma: np.ndarray, mu: np.ndarray | None, s: np.ndarray,
                   mean: np.ndarray | None, meanstructure: bool) -> np.ndarray:
    """Unit observed information (the Hessian of minus the mean log-likelihood) of the
    unrestricted normal model at ``(mu, sigma)`` given the sample moments ``(mean, s)``."""
    p = sigma.shape[0]
    si = np.linalg.inv(sigma)
    d = duplication_matrix(p)
    dev = np.zeros(p) if not meanstructure else mean - mu
    w = s + np.outer(dev, dev)
    aaa = si @ (2.0 * w - sigma) @ si
    i22 = 0.5 * d.T @ np.kron(si, aaa) @ d
    i22 = 0.5 * (i22 + i22.T)
    if not meanstructure:
        return i22
    i21 = d.T @ np.kron((si @ dev)[:, None], si)
    k = i22.shape[0]
    out = np.zeros((p + k, p + k))
    out[:p, :p] = si
    out[p:, :p] = i21
    out[:p, p:] = i21.T
    out[p:, p:] = i22
    return out


def _first_order(y: np.ndarray, mean: np.ndarray, s: np.ndarray,
                 meanstructure: bool) -> np.ndarray:
    """Mean outer product of the cases' scores of the unrestricted normal model at the
    sample moments."""
    si = np.linalg.inv(s)
    z = (y - mean) @ si  # Sigma^-1 (y - mean), one row per case
    r, c = vech_indices(s.shape[0])
    half = np.where(r == c, 0.5, 1.0)
    # d logl_i / d vech(Sigma): 1/2 (z z' - Sigma^-1), off-diagonals counted twice
    sc = half * (z[:, r] * z[:, c] - si[r, c])
    if meanstructure:
        sc = np.hstack([z, sc])
    return sc.T @ sc / y.shape[0]


def _fiml_parts(result: Any, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(raw residual moments, A_obs, A1)`` of group ``g`` of a ``missing="ml"`` fit: the
    residuals of the EM moments, the h1 observed information at them (lavaan's default
    for missing data) and its sandwich with the first-order information (MLR), and the
    observed information given the missing-data patterns at the implied moments."""
    model = result.model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cases without data: reported by the fit already
        gd = fiml.prepare_group_data(result.stats[g].data)
    a_h1, j_h1 = fiml._h1_information(model, [gd])
    imp = model.implied(result.x)[g]
    n = gd.y.shape[0]
    resid = vech(gd.h1.sigma - imp.sigma)
    if model.meanstructure:
        resid = np.concatenate([gd.h1.mu - imp.mu, resid])
    a_inv = _block_inverse(a_h1[0])
    a_obs = (a_inv @ j_h1[0] @ a_inv if result.estimator == "MLR" else a_inv) / n
    a1 = fiml._moment_block(model, fiml.information_observed(gd.y, imp.mu, imp.sigma,
                                                              gd.patterns))
    mask = _fixed_x_moment_mask(model)
    a1[mask, :] = 0.0
    a1[:, mask] = 0.0
    return resid, a_obs, a1


def _continuous_parts(result: Any, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(raw residual moments, A_obs, A1)`` of group ``g`` of a continuous fit."""
    model = result.model
    if model.options.get("missing") == "ml":
        return _fiml_parts(result, g)
    ms = bool(model.meanstructure)
    st = result.stats[g]
    imp = model.implied(result.x)[g]
    s, sigma = st.cov, imp.sigma
    resid = vech(s - sigma)
    if ms:
        resid = np.concatenate([st.mean - imp.mu, resid])
    mask = _fixed_x_moment_mask(model) if model.ov_x else np.zeros(len(resid), dtype=bool)
    i1 = fiml.information_complete(s, meanstructure=ms)
    i1[mask, :] = 0.0
    i1[:, mask] = 0.0
    i1_inv = _block_inverse(i1)
    if result.estimator == "MLR":
        if st.data is None:
            raise ModelSpecificationError(
                "Standardized residuals after MLR need the raw data (SampleStats.data).")
        j1 = _first_order(np.asarray(st.data, dtype=float), st.mean, s, ms)
        a_obs = i1_inv @ j1 @ i1_inv / st.n
        a1 = _observed_info(sigma, imp.mu, s, st.mean, ms)
    else:
        a_obs = i1_inv / st.n
        a1 = fiml.information_complete(sigma, meanstructure=ms)
    a1[mask, :] = 0.0
    a1[:, mask] = 0.0
    return resid, a_obs, a1


def _ordinal_parts(result: Any, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(raw residual statistics, A_obs, A1)`` of group ``g`` of a WLSMV fit, in lavaan's
    order of ``wls.obs`` (thresholds, then the correlations)."""
    wls = result.state.wls
    extra = result.state.extra
    gammas = extra["gamma"] if len(result.model.groups) > 1 else [extra["gamma"]]
    ntot = sum(wls.nobs)
    resid = np.asarray(wls.obs[g], dtype=float) - np.asarray(wls.est[g], dtype=float)
    # lavaan divides every group's NACOV by the total N (not the group's)
    a_obs = np.asarray(gammas[g], dtype=float) / ntot
    a1 = np.diag(np.asarray(wls.w_diag[g], dtype=float))
    return resid, a_obs, a1


def _check(result: Any) -> None:
    model = result.model
    missing = model.options.get("missing", "listwise")
    if missing not in ("listwise", "ml", None) or (
            missing == "ml" and result.state.wls is not None):
        raise ModelSpecificationError(
            f"Standardized and normalized residuals are not available with missing="
            f"{missing!r}: this engine computes them for complete data and, with "
            "continuous variables, missing='ml'.")
    if result.state.wls is not None and result.state.wls.continuous_index:
        raise ModelSpecificationError(
            "Standardized and normalized residuals are not available for a mix of ordered "
            "and continuous variables (lavaan: not ready yet).")
    if result.nclusters is not None:
        raise ModelSpecificationError(
            "Standardized and normalized residuals are not available with cluster=.")
    if result.state.wls is None and result.estimator not in ("ML", "MLR"):
        raise ModelSpecificationError(
            f"Standardized residuals are not available for estimator={result.estimator!r}.")


def z_residuals(result: Any, kind: str) -> dict[str, dict[str, Any]]:
    """Residual moments divided by their standard errors (see the module docstring).

    Parameters
    ----------
    result : SEMResult
    kind : {"standardized", "normalized"}

    Returns
    -------
    dict
        As :meth:`SEMResult.residuals`: group label -> ``{"cov", "mean", "th"}``.

    # In R: lavaan::residuals(fit, type = "standardized")
    """
    if kind not in KINDS:
        raise ModelSpecificationError("kind= must be 'standardized' or 'normalized'.")
    _check(result)
    model = result.model
    ordinal = result.state.wls is not None
    parts = [(_ordinal_parts if ordinal else _continuous_parts)(result, g)
             for g in range(len(model.groups))]
    ns = np.array([st.n for st in result.stats], dtype=float)
    if ordinal:
        ns = np.asarray(result.state.wls.nobs, dtype=float)
    wg = ns / ns.sum()
    deltas = model.jacobian(result.x) if kind == "standardized" and model.n_free else None
    if deltas is not None:
        # a parameter on the bound of an inequality constraint (no variance in vcov) acts
        # as fixed there, as in lavaan's augmented information: the estimates take up
        # nothing along it (with it free, Q removed the moments it would fit, and residuals
        # that are not 0 were divided by SEs of about 0)
        vcov = result.state.vcov
        if vcov is not None:
            on_bound = np.isnan(np.diag(np.asarray(vcov, dtype=float)))
            if on_bound.any() and not on_bound.all():
                deltas = [d[:, ~on_bound] for d in deltas]
        a0 = sum(w * d.T @ a1 @ d for w, d, (_r, _a, a1) in zip(wg, deltas, parts,
                                                             strict=True))
        a0_inv = np.linalg.pinv(a0)
    out: dict[str, dict[str, Any]] = {}
    names = list(model.ov_names)
    p = len(names)
    for g, label in enumerate(model.groups):
        resid, a_obs, a1 = parts[g]
        acov = a_obs
        if deltas is not None:
            # the residual's covariance: the observed moments' minus what the estimates
            # take up, Q A_obs Q' with Q = I - w_g Delta_g A0^-1 Delta_g' A1_g
            d = deltas[g]
            q = np.eye(len(resid)) - wg[g] * (d @ a0_inv @ d.T) @ a1
            acov = q @ a_obs @ q.T
        var = np.diag(acov).copy()
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.where(np.isfinite(var) & (var >= 0), np.sqrt(np.abs(var)), np.nan)
            z = np.where(np.abs(resid) < _NEAR_ZERO, resid, resid / se)
        out[label] = _unpack(result, g, z, names, p, ordinal)
    return out


def _unpack(result: Any, g: int, z: np.ndarray, names: list[str], p: int,
            ordinal: bool) -> dict[str, Any]:
    """The ``{"cov", "mean", "th"}`` layout of :meth:`SEMResult.residuals`."""
    if not ordinal:
        ms = bool(result.model.meanstructure)
        mean = pd.Series(z[:p], index=names) if ms else None
        r, c = vech_indices(p)
        cov = np.zeros((p, p))
        cov[r, c] = cov[c, r] = z[p:] if ms else z
        return {"cov": pd.DataFrame(cov, index=names, columns=names), "mean": mean,
                "th": None}
    # thresholds, then the correlations of the strict lower triangle column by column;
    # the latent responses' mean residuals have no SE in lavaan (NaN unless about 0)
    wls = result.state.wls
    nth = wls.n_thresholds
    ii, jj = np.tril_indices(p, -1)
    order = np.lexsort((ii, jj))
    ii, jj = ii[order], jj[order]
    cov = np.zeros((p, p))
    cov[ii, jj] = cov[jj, ii] = z[nth:]
    raw = result.residuals("raw")
    label = list(raw)[g]
    mean_raw = raw[label]["mean"]
    mean = None if mean_raw is None else mean_raw.where(mean_raw.abs() < _NEAR_ZERO, np.nan)
    th = pd.Series(z[:nth], index=[f"{v}|{t}" for v, t in result.model.th_names])
    return {"cov": pd.DataFrame(cov, index=names, columns=names), "mean": mean, "th": th}
