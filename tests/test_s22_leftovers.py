"""Session 22's own leftovers of the outside checks (each fails on the code before it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.stats.latent_interaction import latent_interaction
from analysis.study import hypotheses as hyp


def _clustered_items(n_clusters: int, per: int, seed: int) -> pd.DataFrame:
    """Three factors of three items each, rows in clusters of ``per`` (random effects)."""
    rng = np.random.default_rng(seed)
    n = n_clusters * per
    cl = np.repeat(np.arange(n_clusters), per)
    u = rng.normal(size=(n_clusters, 2))[cl]
    x = 0.5 * u[:, 0] + rng.normal(size=n)
    m = 0.5 * u[:, 1] + rng.normal(size=n)
    y = 0.4 * x + 0.3 * m + 0.2 * x * m + rng.normal(size=n)
    out = {"alliance": cl}
    for name, f in (("x", x), ("m", m), ("y", y)):
        for k in range(1, 4):
            out[f"{name}{k}"] = 0.8 * f + rng.normal(scale=0.6, size=n)
    return pd.DataFrame(out)


def _fit(n_clusters: int):
    d = _clustered_items(n_clusters, 2, seed=3)
    return latent_interaction(d, ["x1", "x2", "x3"], ["m1", "m2", "m3"], ["y1", "y2", "y3"],
                              estimator="MLR", cluster="alliance")


def test_a_latent_product_fit_on_fewer_clusters_than_parameters_gives_no_verdict() -> None:
    # review 15 set the latent structural model aside when its cluster-robust SEs rest on
    # no more clusters than free parameters; the latent interaction and quadratic fits of
    # H5, H6b and H7 still gave verdicts from such SEs
    few = _fit(20)
    npar = int(few.fit["npar"])
    assert few.nclusters == 20 < npar
    why = hyp._too_few_clusters(few)
    assert why is not None and f"20 clusters (alliances) for {npar} free parameters" in why
    assert hyp._too_few_clusters(_fit(150)) is None  # 150 clusters: usable


@pytest.mark.parametrize("ncl, npar, usable", [(None, 40, True), (0, 40, True),
                                               (41, 40, True), (40, 40, False),
                                               (12, 40, False), (12, float("nan"), True)])
def test_the_cluster_rule_counts_clusters_against_free_parameters(ncl, npar, usable) -> None:
    class Fit:
        nclusters = ncl
        fit = {"npar": npar}

    assert (hyp._too_few_clusters(Fit()) is None) is usable
