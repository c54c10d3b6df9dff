"""Session 21: leftovers of earlier sessions' notes, each with a test that fails on the
code before the change."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import DataError
from analysis.study.simulate import simulate_study


def _items(d, scale: str) -> list[str]:
    return [c for c in d.columns if c.startswith(f"{scale}_") and c[len(scale) + 1:].isdigit()]


def test_answers_missing_not_at_random_leave_the_low_answers_out() -> None:
    """MNAR: an item's answer goes missing more often the lower it is, so the observed
    answers overstate its mean (no MAR method recovers it); the share missing is the one
    asked for, and MCAR from the same seed leaves the mean where it was."""
    full = simulate_study(600, seed=11, careless=0.0)
    mnar = simulate_study(600, seed=11, careless=0.0, missing=0.25, missing_mechanism="MNAR")
    mcar = simulate_study(600, seed=11, careless=0.0, missing=0.25, missing_mechanism="MCAR")
    items = _items(full, "trust") + _items(full, "value_creation")
    assert len(items) >= 8
    share = float(mnar[items].isna().mean().mean())
    assert share == pytest.approx(0.25, abs=0.02)
    shift_mnar = float((mnar[items].mean() - full[items].mean()).mean())
    shift_mcar = float((mcar[items].mean() - full[items].mean()).mean())
    assert shift_mnar > 0.15, shift_mnar
    assert abs(shift_mcar) < 0.05, shift_mcar
    # what goes missing is low: the full data's mean of the answers lost is below the kept
    lost = full[items].where(mnar[items].isna())
    kept = full[items].where(mnar[items].notna())
    assert float(np.nanmean(lost.to_numpy())) < float(np.nanmean(kept.to_numpy())) - 0.5


def test_an_unknown_missing_mechanism_is_refused_with_the_ones_there_are() -> None:
    with pytest.raises(DataError, match="'MCAR', 'MAR', 'MNAR'.*'NMAR'"):
        simulate_study(10, missing=0.1, missing_mechanism="NMAR")
