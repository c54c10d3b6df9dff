"""The EM saturated (h1) model when its likelihood has no maximum, and the prepared data
kept between fits of the same data.

A pilot study of 70 respondents took 5 minutes to analyse: each fit of the latent model
(about 50 items, FIML) ran the EM for 10,000 iterations towards a singular covariance
matrix before failing, retries and nested models ran it again on the same data, and the
error blamed "variables almost never observed together".  lavaan's EM meets the same
boundary (its h1 correlation matrix of those 30 items has smallest eigenvalue 1e-7,
forced positive definite); the engine now says the model cannot be estimated, within
25 iterations.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from analysis.errors import EstimationError
from analysis.sem import fiml


def _with_missing(y: np.ndarray, share: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = y.copy()
    y[rng.random(y.shape) < share] = np.nan
    return y


def test_fewer_cases_than_variables_are_refused_at_once():
    y = _with_missing(np.random.default_rng(1).normal(size=(10, 12)), 0.1, 2)
    with pytest.raises(EstimationError, match="12 variables cannot be estimated from these 10"):
        fiml.em_saturated(y, max_iter=1)  # no iteration is needed to know


def test_variables_that_agree_wherever_both_are_observed_make_a_singular_h1():
    rng = np.random.default_rng(3)
    y = rng.integers(1, 8, size=(60, 8)).astype(float)
    y[:, 7] = y[:, 6]  # two items answered alike by everyone
    y = _with_missing(y, 0.1, 4)
    # the boundary is found within the first checks, not after the iteration budget
    with pytest.raises(EstimationError, match="covariance matrix is singular"):
        fiml.em_saturated(y, max_iter=200)


def test_a_regular_h1_is_not_mistaken_for_a_singular_one():
    rng = np.random.default_rng(5)
    # variances from 1 to 1e9 (as state.x77's): the check is on the correlation scale
    scale = np.array([1.0, 10.0, 1e3, 1e6, 3e9])
    z = rng.normal(size=(80, 5)) @ np.linalg.cholesky(
        0.5 * np.eye(5) + 0.5 * np.ones((5, 5))).T
    y = _with_missing(z * np.sqrt(scale), 0.15, 6)
    fit = fiml.em_saturated(y)
    assert fit.converged and fit.iterations < 1000


def test_prepared_data_are_kept_and_their_warnings_given_again():
    rng = np.random.default_rng(7)
    y = _with_missing(rng.normal(size=(50, 4)), 0.1, 8)
    y[3] = np.nan  # a case with nothing observed: removed with a warning
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gd = fiml.prepare_group_data(y)
        assert any("every variable missing" in str(w.message) for w in caught)
        assert gd.y.shape == (49, 4)
    with pytest.warns(UserWarning, match="every variable missing"):
        again = fiml.prepare_group_data(y.copy())
    assert again is gd  # the same content: the same result


def test_a_failed_h1_is_kept_and_its_error_raised_again():
    y = _with_missing(np.random.default_rng(9).normal(size=(6, 9)), 0.2, 10)
    for _ in range(2):
        with pytest.raises(EstimationError, match="cannot be estimated"):
            fiml.prepare_group_data(y)
