"""Sample profile and the early-versus-late non-response check (analysis.study.sample)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.study.sample import early_late_bias, sample_profile
from analysis.study.simulate import simulate_study
from instruments.instrument.loader import load_instrument


@pytest.fixture(scope="module")
def data():
    return simulate_study(150, seed=4)


def test_profile_counts_every_code_with_its_label(data):
    inst = load_instrument()
    out = sample_profile(data, inst)
    assert out["n"] == 150
    ind = out["questions"]["industry"]
    counts = pd.to_numeric(data["industry"], errors="coerce").value_counts()
    for row in ind["rows"]:
        assert row["n"] == int(counts.get(row["code"], 0))
        assert isinstance(row["label"], str) and row["label"]
    assert sum(r["n"] for r in ind["rows"]) + ind["missing"] == 150
    assert sum(r["share"] for r in ind["rows"]) == pytest.approx(1.0, abs=1e-12)
    age = out["questions"]["alliance_age"]
    assert age["type"] == "numeric"
    assert age["mean"] == pytest.approx(pd.to_numeric(data["alliance_age"]).mean(), rel=1e-12)
    assert "comment" not in out["questions"] and "consent" not in out["questions"]


def test_early_late_needs_a_timestamp(data):
    scores = pd.DataFrame({"s": np.arange(150.0)})
    out = early_late_bias(data, scores, ["s"])
    assert out["available"] is False and "timestamp" in out["reason"]


def test_early_late_compares_first_and_last_third():
    rng = np.random.default_rng(1)
    n = 300
    when = pd.Series(pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.permutation(n), unit="h"))
    data = pd.DataFrame({"completed_at": when.astype(str)})
    late_shift = (when >= when.sort_values().iloc[200]).astype(float)
    scores = pd.DataFrame({"s": rng.normal(size=n) + 0.8 * late_shift.to_numpy()})
    out = early_late_bias(data, scores, ["s"])
    assert out["available"] and out["n_early"] == out["n_late"] == 100
    order = np.argsort(when.to_numpy())
    a, b = scores["s"].to_numpy()[order[:100]], scores["s"].to_numpy()[order[-100:]]
    t = stats.ttest_ind(a, b, equal_var=False)
    assert out["tests"]["s"]["t"] == pytest.approx(t.statistic, rel=1e-12)
    assert out["tests"]["s"]["pvalue"] < 0.001 and out["n_significant"] == 1
