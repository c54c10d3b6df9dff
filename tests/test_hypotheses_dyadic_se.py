"""H10's rows come from both partners of an alliance: its SEs must be clustered by alliance.

The cluster-robust SE is recomputed here from its definition (CR1 sandwich with the
small-sample factor G/(G-1) * (N-1)/(N-K), as Stata and ``sandwich::vcovCL(type = "HC1")``)
and must differ from the HC3 SE that treats rows as independent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.study import hypotheses as hyp
from analysis.study.scoring import score

DEMO = "data/demo/alliance_demo.csv"


@pytest.fixture(scope="module")
def scored() -> pd.DataFrame:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return score(pd.read_csv(root / DEMO))


def _cr1_se(y: np.ndarray, x: np.ndarray, groups: np.ndarray) -> float:
    xx = np.column_stack([np.ones(len(x)), x])
    bread = np.linalg.inv(xx.T @ xx)
    u = y - xx @ (bread @ xx.T @ y)
    meat = np.zeros((2, 2))
    for g in np.unique(groups):
        s = xx[groups == g].T @ u[groups == g]
        meat += np.outer(s, s)
    n, k, ng = len(y), 2, len(np.unique(groups))
    v = bread @ meat @ bread * ng / (ng - 1) * (n - 1) / (n - k)
    return float(np.sqrt(v[1, 1]))


def test_h10_se_clustered_by_alliance(scored: pd.DataFrame) -> None:
    h = hyp.load_hypotheses().get("H10")
    parts = h.parts()
    row = hyp._dyadic_row(h, parts, scored, [], 0.05, {})
    y, a, b = parts["y"], parts["a"], parts["b"]
    sub = scored[[y, a, b]].apply(pd.to_numeric, errors="coerce").dropna()
    z = (sub - sub.mean()) / sub.std(ddof=1)
    groups = pd.factorize(scored.loc[sub.index, "alliance_id"])[0]
    assert row["n"] == len(sub) and len(np.unique(groups)) < len(sub)  # pairs share a cluster
    expected = _cr1_se(z[y].to_numpy(), z[a].to_numpy(), groups)
    assert row["se"] == pytest.approx(expected, rel=1e-10)
    assert "clustered by alliance" in row["note"]
    # the independent-rows SE is a different number: the clustering is not a no-op
    import statsmodels.api as sm

    hc3 = sm.OLS(z[y], sm.add_constant(z[[a]])).fit(cov_type="HC3").bse[a]
    assert abs(hc3 - expected) > 1e-4


def test_h10_without_alliance_ids_falls_back_to_hc3(scored: pd.DataFrame) -> None:
    h = hyp.load_hypotheses().get("H10")
    row = hyp._dyadic_row(h, h.parts(), scored.drop(columns="alliance_id"), [], 0.05, {})
    assert "HC3" in row["note"] and np.isfinite(row["se"])


def test_h10_row_without_alliance_id_is_its_own_cluster(scored: pd.DataFrame) -> None:
    h = hyp.load_hypotheses().get("H10")
    parts = h.parts()
    d = scored.copy()
    y, a, b = parts["y"], parts["a"], parts["b"]
    sub = d[[y, a, b]].apply(pd.to_numeric, errors="coerce").dropna()
    d.loc[sub.index[0], "alliance_id"] = np.nan
    row = hyp._dyadic_row(h, parts, d, [], 0.05, {})
    ids = d.loc[sub.index, "alliance_id"].astype("string").fillna("lonely-row")
    groups = pd.factorize(ids)[0]
    z = (sub - sub.mean()) / sub.std(ddof=1)
    assert row["se"] == pytest.approx(_cr1_se(z[y].to_numpy(), z[a].to_numpy(), groups),
                                      rel=1e-10)
    assert f"{len(np.unique(groups))} clusters" in row["note"]
