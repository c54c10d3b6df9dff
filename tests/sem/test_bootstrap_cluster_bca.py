"""BCa intervals of a cluster bootstrap: the jackknife leaves out one cluster at a time.

Reference: ``tests/reference/bca/make_reference.R`` -- simulated mediation data in 70
clusters of one to three respondents, ``ab := a*b`` by lavaan 0.6.14 (ML); 999 draws of
a bootstrap that resamples whole clusters (boot::boot over the clusters, lavaan refits),
the leave-one-cluster-out jackknife, and ``boot::boot.ci(type = c("perc", "bca"), L = L)``
with the jackknife influence values ``L``.  Both sides take the intervals from the same
999 draws (written to the fixture), so the comparison has no Monte Carlo error: what is
tested is the engine's cluster jackknife (its own refits) and the BCa formula on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.sem import compile_model
from analysis.sem.bootstrap import bca_interval, bootstrap, norm_inter
from tests.parity import REFERENCE_DIR, load_reference

REF = load_reference("bca/reference_bca.json")
# leave-one-cluster-out refits of both engines converge to about 1e-8
JACK_ATOL = 1e-6
# endpoints from identical draws: only the jackknife's rounding reaches them
CI_ATOL = 1e-6


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "bca" / "cluster_mediation.csv")


@pytest.fixture(scope="module")
def boot(data):
    compiled = compile_model(REF["model"], data, estimator="MLR", cluster="cluster")
    return bootstrap(compiled, data, 20, seed=3, bca=True, progress=False)


def _col(boot) -> int:
    return list(boot.names).index("ab")


def test_jackknife_leaves_out_one_cluster_at_a_time(boot, data):
    jack = boot.jackknife[:, _col(boot)]
    assert len(jack) == data["cluster"].nunique() == len(REF["clusters"]) == 70
    # clusters in order of first appearance on both sides
    np.testing.assert_allclose(jack, REF["jackknife"], rtol=0, atol=JACK_ATOL)
    assert boot.estimate[_col(boot)] == pytest.approx(REF["t0"], abs=1e-8)


def test_bca_from_the_same_draws_matches_boot(boot):
    t = np.asarray(REF["t"], dtype=float)
    lo, hi, z0, a = bca_interval(t, REF["t0"], boot.jackknife[:, _col(boot)], 0.95)
    np.testing.assert_allclose([z0, a], [REF["z0"], REF["acceleration"]], rtol=0,
                               atol=1e-7)
    np.testing.assert_allclose([lo, hi], REF["bca"], rtol=0, atol=CI_ATOL)
    # the percentile interval is unchanged by the BCa option and differs from BCa here
    perc = norm_inter(t, [0.025, 0.975])
    np.testing.assert_allclose(perc, REF["perc"], rtol=0, atol=1e-12)
    assert abs(lo - perc[0]) > 1e-3 and abs(hi - perc[1]) > 1e-3


def test_percentile_interval_does_not_depend_on_bca(data):
    compiled = compile_model(REF["model"], data, estimator="MLR", cluster="cluster")
    with_bca = bootstrap(compiled, data, 20, seed=3, bca=True, progress=False)
    without = bootstrap(compiled, data, 20, seed=3, progress=False)
    assert without.jackknife is None
    np.testing.assert_array_equal(with_bca.draws, without.draws)
    np.testing.assert_array_equal(with_bca.ci(0.95, "perc")[0], without.ci(0.95, "perc")[0])
