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


@pytest.mark.skipif(not can_fork(), reason="needs fork and two usable cores")
def test_side_sections_on_their_child_keep_their_place_and_warnings(monkeypatch):
    # the dyadic, sample and bias sections run on a child of their own (small studies);
    # a failing one is reported in its place, its warning after the hypothesis tests'
    # and before the next section's, as when they ran in this process
    import analysis.study.dyads as dyads
    from analysis.study import pipeline
    from analysis.study.simulate import simulate_study

    def broken(*_a, **_k):
        raise ValueError("no dyads today")

    monkeypatch.setattr(dyads, "dyadic_analysis", broken)
    data = simulate_study(n=120, dyads=20, seed=5)
    assert len(data) <= pipeline.SIDE_FORK_MAX_ROWS
    out = {}
    for parallel in (True, False):
        res = analyze_study(data, bootstrap=20, seed=3, measurement=False, parallel=parallel)
        assert res["dyadic"] == {"available": False, "reason": "ValueError: no dyads today"}
        assert res["endogeneity"]["available"] and res["sample_profile"]["available"]
        out[parallel] = (to_json(res), res["warnings"])
    assert out[True][0] == out[False][0]
    w = out[True][1]
    at = w.index("Dyadic analysis (analysis.study.dyads) failed: ValueError: no dyads today")
    assert not any(x.startswith(("Sample profile", "Non-response", "Endogeneity",
                                 "Key-informant")) for x in w[:at])
