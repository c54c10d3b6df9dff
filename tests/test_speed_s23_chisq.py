"""The model test statistic is never negative at its source (issue 18's correctness item).

A saturated model fits its sample moments exactly, so ``N * F`` is 0 up to rounding; the
ML backend reported -9.0e-14 for sweep 16's one-variable case (globalwarm's ``govact ~ 1``)
in ``state.test["chisq"]`` and in its baseline's, where lavaan sets a negative statistic to
0 (``lav_model_test``).  The fit measures clipped it; the state now holds it clipped.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.sem import sem
from analysis.sem.state import nonnegative_statistic

GLOBALWARM = Path(__file__).parent / "reference" / "sem_sweep16" / "data" / "globalwarm.csv"


def test_helper_clips_below_zero_and_keeps_nan():
    assert nonnegative_statistic(-9.048317650695026e-14) == 0.0
    assert nonnegative_statistic(3.5) == 3.5
    assert math.isnan(nonnegative_statistic(float("nan")))


def test_one_variable_model_has_a_zero_statistic_in_its_state():
    """Sweep 16's p_globalwarm_one_variable: the state held -9.0e-14 (model and baseline)."""
    res = sem("govact ~ 1", pd.read_csv(GLOBALWARM))
    assert res.state.test["chisq"] == 0.0
    assert res.state.baseline is not None
    assert res.state.baseline.test["chisq"] == 0.0
    assert res.fit["chisq"] == 0.0


@pytest.mark.parametrize("seed", [0, 2])
def test_saturated_one_variable_model_on_random_data(seed):
    """Seeds 0 and 2 gave -1.27e-14 before the clip."""
    y = np.random.default_rng(seed).normal(size=57) * 3 + 1
    res = sem("y ~ 1", pd.DataFrame({"y": y}))
    assert res.state.test["chisq"] == 0.0


@pytest.mark.parametrize("estimator, missing", [("ML", "ml"), ("MLR", "listwise")])
def test_saturated_model_other_backends_are_not_negative(estimator, missing):
    rng = np.random.default_rng(5)
    d = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "c"])
    res = sem("c ~ a + b", d, estimator=estimator, missing=missing)
    assert res.state.test["chisq"] >= 0.0
    assert res.state.test["chisq"] == pytest.approx(0.0, abs=1e-8)
