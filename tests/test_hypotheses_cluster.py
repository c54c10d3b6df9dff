"""The confirmatory path model is cluster-robust by alliance (declared ``cluster:``)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import analysis.study.hypotheses as hyp
from analysis.study.datafiles import read_data
from tests.parity import REFERENCE_DIR

DEMO = REFERENCE_DIR.parents[1] / "data" / "demo" / "alliance_demo.csv"


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return read_data(DEMO)


def _run(df, hs, det):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hyp.test_hypotheses(df, hypotheses=hs, estimator="MLR", bootstrap=20, seed=1,
                                   details=det, latent_alternative=False,
                                   # the composite path model's clustering is tested here
                                   latent_model=False)


def test_declaration_names_the_cluster_column():
    assert hyp.load_hypotheses().cluster == "alliance_id"


def test_path_model_uses_alliance_clusters_and_says_so(demo):
    hs = hyp.load_hypotheses()
    det: dict = {}
    out = _run(demo, hs, det)
    res = det["path_model"]
    assert res.model.options["cluster"] == "alliance_id"
    # the retained rows that reach the path model, one cluster per alliance
    assert res.nclusters == det["nclusters"]
    assert res.nclusters < res.n["total"]
    rows = out[out["method"] == "sem_path"]
    assert rows["model"].str.contains(
        f"cluster-robust SEs by alliance ({res.nclusters} clusters)", regex=False).all()

    # declared off: the same estimates, SEs that treat the rows as independent
    det_off: dict = {}
    out_off = _run(demo, hs.model_copy(update={"cluster": None}), det_off)
    assert det_off["path_model"].model.options["cluster"] is None
    assert not out_off["model"].str.contains("cluster-robust", regex=False).any()
    a = rows.set_index("id")
    b = out_off[out_off["method"] == "sem_path"].set_index("id")
    np.testing.assert_allclose(a["estimate"], b.loc[a.index, "estimate"], rtol=1e-6, atol=0)
    assert np.max(np.abs(a["se"] - b.loc[a.index, "se"])) > 1e-4


def test_rows_without_an_alliance_are_clusters_of_their_own():
    hs = hyp.load_hypotheses()
    d = pd.DataFrame({"alliance_id": ["a", "a", None, "b", None, "c"]})
    warns: list[str] = []
    ids = hyp._path_model_clusters(hs, d, "MLR", warns)
    assert ids.nunique() == 5 and ids.iloc[0] == ids.iloc[1]
    assert ids.iloc[2] != ids.iloc[4]
    # one row per alliance: nothing to cluster
    assert hyp._path_model_clusters(hs, d.iloc[[0, 2, 3]], "MLR", warns) is None
    # ML: no cluster-robust SEs, and a warning says so
    assert hyp._path_model_clusters(hs, d, "ML", warns) is None
    assert "need the MLR estimator" in warns[-1]
