"""``retry=False``: a diagnostic fit reports its non-convergence instead of refitting from
five other starts (the ULMC's method model had taken 90 s that way on a study where it
did not converge; analysis.stats.method_variance.ulmc uses it with ULMC_MAX_ITER)."""

from __future__ import annotations

import pandas as pd

from analysis.sem import cfa
from analysis.stats.method_variance import ULMC_MAX_ITER
from tests.parity import REFERENCE_DIR

MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def test_retry_false_keeps_the_unconverged_fit_and_says_nothing_was_retried():
    hs = pd.read_csv(REFERENCE_DIR / "data" / "HolzingerSwineford1939.csv")
    default = cfa(MODEL, hs, max_iter=2)  # two iterations: never converged from the start
    assert any("trying" in w or "tried" in w for w in default.warnings)
    once = cfa(MODEL, hs, max_iter=2, retry=False)
    assert not once.converged
    assert not any("trying" in w or "tried" in w for w in once.warnings)
    assert cfa(MODEL, hs, retry=False).converged  # a regular fit is not affected
    assert 100 <= ULMC_MAX_ITER <= 1000
