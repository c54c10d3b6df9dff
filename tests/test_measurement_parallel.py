"""The measurement model's invariance sequences on worker processes give the serial output."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.study.measurement import fit_measurement_model
from instruments.instrument.loader import load_instrument

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "alliance_demo.csv"


@pytest.fixture(scope="module")
def demo():
    return pd.read_csv(DEMO)


def _fit(demo, n_jobs):
    # one scale by two groupings (two sequences) and a grouping column the data lack,
    # whose warning must keep its place among those of the sequences
    # and the HTMT bootstrap of the two scales, on a child of its own
    return fit_measurement_model(
        demo, load_instrument(), scales=["marker", "trust"], invariance_scales=["marker"],
        invariance_groups=("firm_role", "no_such_column", "language"),
        compare_second_order=False, method_checks=False, htmt_boot=20, seed=5,
        n_jobs=n_jobs)


def test_workers_give_the_serial_result_byte_for_byte(demo):
    serial = _fit(demo, 1)
    parallel = _fit(demo, 2)
    assert json.dumps(parallel, sort_keys=False) == json.dumps(serial, sort_keys=False)
    # the comparison means something: both groupings were tested, and
    # the missing column was reported in its place
    inv = serial["invariance"]
    assert set(inv) == {"firm_role", "no_such_column", "language"}
    assert inv["no_such_column"] is None
    for g in ("firm_role", "language"):
        assert list(inv[g]["by_scale"]) == ["marker"]
        assert len(inv[g]["by_scale"]["marker"]["levels"]) >= 2
    skipped = [i for i, w in enumerate(serial["warnings"]) if "no_such_column" in w]
    assert len(skipped) == 1
    assert len(serial["htmt_inference"]["pairs"]) == 1
