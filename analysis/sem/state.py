"""What a backend returns: the fitted state and the ingredients of the model test.

These types sit at the bottom of the engine: every backend builds them, and the
fit-measure module and the result object read them.  Nothing here imports another
module of the engine except the sample statistics' type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .model import CompiledModel, SampleStats


def nonnegative_statistic(value: float) -> float:
    """A model test statistic, set to 0 where rounding leaves it just below.

    A saturated (or just-identified) model fits its sample moments exactly, so its
    likelihood-ratio statistic ``N * F`` is 0 up to rounding and can come out as
    -9e-14; lavaan sets a negative statistic to 0 (per group, in ``lav_model_test``).
    Every backend passes its ``chisq`` through here.  NaN stays NaN.

    Parameters
    ----------
    value : float

    Returns
    -------
    float
        ``max(value, 0)``, or NaN when ``value`` is NaN.

    Notes
    -----
    # In R: lavaan:::lav_model_test (chisq.group[chisq.group < 0] <- 0)
    """
    value = float(value)
    return value if not value < 0.0 else 0.0


@dataclass(frozen=True)
class RobustTest:
    """Ingredients of lavaan's *robust* CFI/TLI/RNI/RMSEA (the ``*_robust`` measures).

    A backend fills these in when its estimator defines robust fit indices; the
    finished measures are computed by :mod:`analysis.sem.fitmeasures`.

    Attributes
    ----------
    chisq : float
        The statistic the robust indices start from (lavaan's ``XX3``): the unscaled
        statistic for MLR with complete data, the FIML-corrected one with missing data,
        the catML statistic for ordered data.
    df : float
        Its degrees of freedom (``df3``).
    c_hat : float
        Its scaling correction (``c.hat3``).
    chisq_scaled : float
        The scaled statistic used for the RMSEA interval and its tests (``XX3.scaled``).
    chisq_null, df_null, c_hat_null : float
        The same for the baseline (independence) model.
    n : float
        The sample size of the robust RMSEA (lavaan uses ``N - G`` for catML).

    Notes
    -----
    # In R: lavaan:::lav_fit_fiml_corrected(fit); lavaan:::lav_fit_catml_dwls(fit)
    """

    chisq: float
    df: float
    c_hat: float
    chisq_scaled: float
    chisq_null: float
    df_null: float
    c_hat_null: float
    n: float


@dataclass(frozen=True)
class FitState:
    """What a backend returns (see the package docstring for the protocol).

    Attributes
    ----------
    x : ndarray
        Estimates of the reduced free-parameter vector.
    vcov : ndarray or None
        Covariance matrix of ``x`` (None when not computed).
    converged : bool
    iterations : int
    fmin : float
        Minimum of the fit function in lavaan's scaling (half the ML discrepancy).
    test : dict
        ``chisq, df, pvalue`` (+ ``chisq_scaled, df_scaled, pvalue_scaled,
        scaling_factor`` and ``trace_ugamma`` (Yuan-Bentler) or ``shift_parameter``
        (scaled and shifted) for robust backends).
    loglik, loglik_h1 : float
        Log-likelihood of the model and of the unrestricted model (NaN if undefined).
    baseline : FitState or None
        Fit of lavaan's independence model with the same backend.
    robust : RobustTest or None
        Ingredients of the robust fit indices, when the estimator defines them.
    h1 : tuple of SampleStats or None
        Unrestricted moments the residual-based measures (SRMR, ...) compare the model
        with, when they are not the sample moments (the EM estimates under
        ``missing="ml"``).
    wls : WLSMoments or None
        Sample and implied statistics of a least-squares fit (ordered data).
    ntotal : int or None
        Cases the backend used, when it deleted some beyond the sample statistics.
    extra : dict
        Backend-specific results (information matrices, sample statistics of ordered
        data, bootstrap draws, ...).
    warnings : tuple of str
    """

    x: np.ndarray
    vcov: np.ndarray | None
    converged: bool
    iterations: int
    fmin: float
    test: Mapping[str, float]
    loglik: float = float("nan")
    loglik_h1: float = float("nan")
    baseline: FitState | None = None
    robust: RobustTest | None = None
    h1: tuple[SampleStats, ...] | None = None
    wls: WLSMoments | None = None
    ntotal: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


class Backend(Protocol):
    """An estimator: ``backend(model, data, options, start=None) -> FitState``.

    ``model`` is bound to ``data`` (one :class:`SampleStats` per group), ``options`` the
    read-only user options, ``start`` an optional start vector.
    """

    def __call__(self, model: CompiledModel, data: list[SampleStats],
                 options: Mapping[str, Any], start: np.ndarray | None = None) -> FitState:
        ...


@dataclass(frozen=True)
class WLSMoments:
    """Sample and model-implied statistics of a least-squares fit (one entry per group).

    The residual-based fit measures of ordered data are computed from these.

    Attributes
    ----------
    obs, est : tuple of ndarray
        lavaan's ``wls.obs`` and ``wls.est``: thresholds (and minus the means and the
        variances of continuous variables), then the correlations.
    w_diag : tuple of ndarray
        Diagonal of the DWLS weight matrix.
    nobs : tuple of int
        Cases per group.
    n_thresholds : int
        Start of the correlation block.
    continuous_index : tuple of int
        Indices (among the observed variables) of continuous variables.
    mean_positions : tuple of int
        Positions of their (negative) means in ``obs``.

    Notes
    -----
    # In R: lavInspect(fit, "wls.obs"); lavInspect(fit, "wls.est")
    """

    obs: tuple[np.ndarray, ...]
    est: tuple[np.ndarray, ...]
    w_diag: tuple[np.ndarray, ...]
    nobs: tuple[int, ...]
    n_thresholds: int
    continuous_index: tuple[int, ...] = ()
    mean_positions: tuple[int, ...] = ()
