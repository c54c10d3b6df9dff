"""The study analysis with its measurement model on child processes equals the serial one."""

from __future__ import annotations

import pytest

from analysis.forked import can_fork
from analysis.study.pipeline import analyze_study, to_json


@pytest.mark.slow  # two whole analyses (about a minute on the 2-core machine)
@pytest.mark.skipif(not can_fork(), reason="needs fork and two usable cores")
def test_parallel_analysis_equals_the_serial_one():
    from analysis.study.simulate import simulate_study

    data = simulate_study(n=160, dyads=30, seed=8)
    serial = analyze_study(data, bootstrap=20, seed=3, parallel=False)
    parallel = analyze_study(data, bootstrap=20, seed=3, parallel=True)
    assert to_json(parallel) == to_json(serial)
    # the comparison covers the measurement model with its invariance sequences, and the
    # warnings of both processes in one list
    meas = serial["measurement"]
    assert meas["available"], meas.get("reason")
    assert any(v for v in meas["invariance"].values())
    assert serial["warnings"]
