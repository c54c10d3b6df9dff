"""Analytic power curves of the confirmatory tests against R (tests/reference/power_curves)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analysis.study.power import CURVE_NS, power_curves

REF = Path(__file__).parent / "reference" / "power_curves"
INPUT = json.loads((REF / "power_curves_input.json").read_text(encoding="utf-8"))
EXPECTED = json.loads((REF / "power_curves_reference.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("sides,key", [(1, "one_sided"), (2, "two_sided")])
def test_power_curves_match_r(sides, key):
    got = power_curves(INPUT["rows"], alpha=EXPECTED["alpha"], sides=sides)
    assert got["available"] and got["ns"] == EXPECTED["ns"] == list(CURVE_NS)
    want = {r["id"]: r for r in EXPECTED[key]}
    assert [h["id"] for h in got["hypotheses"]] == [r["id"] for r in INPUT["rows"]]
    for h in got["hypotheses"]:
        ref = want[h["id"]]
        np.testing.assert_allclose(h["power_sesoi"], ref["power_sesoi"], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(h["power_observed"], ref["power_observed"], rtol=1e-10,
                                   atol=1e-12)
        # one-sided: the closed form is exact; two-sided it ignores the far tail
        slack = 0 if sides == 1 else 1
        assert abs(h["n_target_sesoi"] - ref["n_target_sesoi"]) <= slack
        assert abs(h["n_target_observed"] - ref["n_target_observed"]) <= slack


def test_curve_passes_through_the_verdict_tables_power_at_the_observed_n():
    rows = [dict(r, n=350) for r in INPUT["rows"]]  # 350 is on the grid
    got = power_curves(rows, alpha=0.05, sides=1)
    at = list(CURVE_NS).index(350)
    for h, r in zip(got["hypotheses"], rows, strict=True):
        assert h["power_sesoi"][at] == pytest.approx(r["power_sesoi"], rel=1e-12)


def test_estimate_against_the_prediction_has_no_observed_curve_and_untested_rows_drop():
    base = {"se": 0.05, "sesoi": 0.1, "power_sesoi": 0.5, "n": 200}
    rows = [dict(base, id="Hpos", expected_sign="+", estimate=-0.2),
            dict(base, id="Hcap", expected_sign="inverted_u", estimate=0.03),
            dict(base, id="Hneg", expected_sign="-", estimate=-0.2),
            dict(base, id="Hx", expected_sign="none", estimate=0.2, power_sesoi=None)]
    got = power_curves(rows, alpha=0.05, sides=1)
    by = {h["id"]: h for h in got["hypotheses"]}
    assert set(by) == {"Hpos", "Hcap", "Hneg"}
    assert by["Hpos"]["power_observed"] is None and "opposite" in by["Hpos"]["note"]
    assert by["Hcap"]["power_observed"] is None
    assert by["Hneg"]["power_observed"][0] > 0.05
    # two-sided tests have no predicted direction: the size of the estimate counts
    two = power_curves(rows, alpha=0.05, sides=2)
    assert all(h["power_observed"] is not None for h in two["hypotheses"])
    assert power_curves(rows[3:], alpha=0.05, sides=1)["available"] is False
