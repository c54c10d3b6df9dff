"""Cluster-robust MLR (``cluster=``) against lavaan 0.6.14.

Fixtures and data sets: tests/reference/sem_cluster/make_reference.R.
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, ModelSpecificationError
from analysis.sem import sem
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    REFERENCE_DIR,
    assert_close,
    load_reference,
)
from tests.sem._s2_cases import CHISQ_KEYS, FIT_KEYS, LIK_KEYS

HS = """visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"""
HSM = """visual =~ x1m + x2m + x3m
textual =~ x4m + x5m + x6m
speed =~ x7m + x8m + x9m"""
PATH = """lrn =~ l1 + l2 + l3
val =~ v1 + v2 + v3
dep =~ d1 + d2 + d3
lrn ~ a*dep + size
val ~ b*lrn + c*dep + size
ind := a*b
total := c + a*b"""
PATHM = (PATH.replace("l2", "l2m").replace("l3", "l3m").replace("v1", "v1m")
         .replace("v3", "v3m").replace("d2", "d2m"))
OBS = """lrn_s ~ a*dep_s + size
val_s ~ b*lrn_s + size
ind := a*b"""

CASES = {
    "hs_team_mlr": ("hs_clustered.csv", HS, {"cluster": "team"}),
    "hs_pair_mlr": ("hs_clustered.csv", HS, {"cluster": "pair"}),
    "hs_team_fiml": ("hs_clustered.csv", HSM, {"cluster": "team", "missing": "ml"}),
    "hs_team_school_mlr": ("hs_clustered.csv", HS, {"cluster": "team", "group": "school"}),
    "dyad_path_mlr": ("dyads.csv", PATH, {"cluster": "alliance_id"}),
    "dyad_path_fiml": ("dyads.csv", PATHM, {"cluster": "alliance_id", "missing": "ml"}),
    "dyad_obs_mlr": ("dyads.csv", OBS, {"cluster": "alliance_id"}),
    "dyad_obs_fiml": ("dyads.csv", OBS, {"cluster": "alliance_id", "missing": "ml"}),
}


@cache
def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "sem_cluster" / name)


@cache
def fitted(name: str):
    data_file, model, kwargs = CASES[name]
    ref = load_reference(f"sem_cluster/{name}.json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = sem(model, _data(data_file), estimator="MLR", **kwargs)
    return res, ref


def _merged(res, ref) -> pd.DataFrame:
    theirs = pd.DataFrame(ref["estimates"])
    theirs["group"] = np.where(theirs["op"] == ":=", 0, theirs["group"]).astype(int)
    pt = pd.DataFrame(ref["partable"])
    keep = pt[(pt["free"] > 0) | (pt["op"] == ":=")][["lhs", "op", "rhs", "group"]]
    keep = keep.assign(group=keep["group"].astype(int))
    theirs = theirs.merge(keep, on=["lhs", "op", "rhs", "group"])
    ours = res.params
    ours = ours.assign(group=np.where(ours["op"] == ":=", 0,
                                      ours["group"].fillna(0)).astype(int))
    out = theirs.merge(ours, on=["lhs", "op", "rhs", "group"], suffixes=("_r", ""))
    assert len(out) == len(keep), "parameter rows differ"
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_estimates_and_cluster_robust_standard_errors(name):
    res, ref = fitted(name)
    assert res.converged
    m = _merged(res, ref)
    assert_close(m["est"], m["est_r"], atol=EST_ATOL, rtol=EST_RTOL, what=f"{name} est")
    assert_close(m["se"], m["se_r"], atol=EST_ATOL, rtol=EST_RTOL, what=f"{name} se")
    if "ind" in set(m["lhs"]):
        assert (m["op"] == ":=").any()


@pytest.mark.parametrize("name", list(CASES))
def test_scaled_test_and_robust_fit_measures(name):
    res, ref = fitted(name)
    fm, ours = ref["fit_measures"], res.fit
    checked = 0
    for key in FIT_KEYS + LIK_KEYS:
        if key not in fm or fm[key] is None:
            continue
        val = ours[key.replace(".", "_")]
        if key in CHISQ_KEYS:
            assert_close(val, fm[key], atol=0.0, rtol=CHISQ_RTOL, what=f"{name} {key}")
        else:
            assert_close(val, fm[key], atol=FIT_ATOL, rtol=0.0, what=f"{name} {key}")
        checked += 1
    assert checked >= 25


def test_clustering_changes_the_standard_errors_and_the_test():
    """The fixtures are not plain MLR: ignoring the dyads gives other SEs and scaling."""
    res, ref = fitted("dyad_path_mlr")
    plain = sem(PATH, _data("dyads.csv"), estimator="MLR", meanstructure=True)
    assert_close(plain.x, res.x, atol=1e-6, rtol=0.0, what="estimates")
    m = _merged(res, ref)
    m_plain = _merged(plain, ref)
    assert np.max(np.abs(m_plain["se"] - m["se_r"])) > 0.02
    assert abs(plain.fit["chisq_scaling_factor"]
               - ref["fit_measures"]["chisq.scaling.factor"]) > 0.02
    assert res.fit["chisq"] == pytest.approx(plain.fit["chisq"], rel=1e-9)


def test_one_case_per_cluster_is_plain_mlr_up_to_the_small_sample_factor():
    data = _data("hs_clustered.csv").assign(own=lambda d: np.arange(len(d)))
    clus = sem(HS, data, estimator="MLR", cluster="own")
    plain = sem(HS, data, estimator="MLR", meanstructure=True)
    n = len(data)
    se_c = clus.params["se"].to_numpy()
    se_p = plain.params["se"].to_numpy()
    assert_close(se_c, se_p * np.sqrt(n / (n - 1)), atol=1e-10, rtol=1e-8, what="se")


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"estimator": "ML"}, ModelSpecificationError, "needs estimator='MLR'"),
    ({"estimator": "MLR", "cluster": "nope"}, ModelSpecificationError, "not a column"),
    ({"estimator": "MLR", "cluster": "x1"}, DataError, "variable of the model"),
])
def test_bad_cluster_options_are_refused(kwargs, error, match):
    kwargs = {"cluster": "team", **kwargs}
    with pytest.raises(error, match=match):
        sem(HS, _data("hs_clustered.csv"), **kwargs)


def test_missing_cluster_id_is_refused():
    data = _data("hs_clustered.csv").copy()
    data.loc[[3, 10], "team"] = np.nan
    with pytest.raises(DataError, match="missing for 2 cases"):
        sem(HS, data, estimator="MLR", cluster="team")


def test_cluster_bootstrap_draws_whole_clusters():
    from analysis.sem.bootstrap import _resample, make_payload
    from analysis.sem.build import compile_model

    data = _data("dyads.csv")
    cm = compile_model(OBS, data, estimator="MLR", cluster="alliance_id")
    payload, *_ = make_payload(cm, data, 10, 7)
    codes = payload.clusters[0]
    n_cl = int(codes.max()) + 1
    assert n_cl == load_reference("sem_cluster/dyad_obs_mlr.json")["nclusters"][0]
    y = payload.arrays[0]
    rows = {tuple(r): c for r, c in zip(np.round(y, 12).tolist(), codes, strict=True)}
    draw = _resample(payload, np.random.default_rng(1))[0]
    drawn = [rows[tuple(r)] for r in np.round(draw, 12).tolist()]
    sizes = np.bincount(codes)
    # every drawn cluster comes with all its members, and C clusters are drawn
    counts = np.bincount(drawn, minlength=n_cl)
    assert np.all(counts % sizes == 0)
    assert int(np.sum(counts // sizes)) == n_cl


def test_cluster_bootstrap_standard_errors_follow_the_cluster_robust_ones():
    data = _data("dyads.csv")
    robust, _ = fitted("dyad_path_mlr")
    boot_c = sem(PATH, data, estimator="MLR", cluster="alliance_id", bootstrap=300, seed=3)
    boot = sem(PATH, data, estimator="MLR", meanstructure=True, bootstrap=300, seed=3)
    ints = (robust.params["op"] == "~1") & (robust.params["se"] > 0)
    se_r = robust.params.loc[ints, "se"].mean()
    se_cb = boot_c.params.loc[ints, "se"].mean()
    se_b = boot.params.loc[ints, "se"].mean()
    # the alliance effect inflates the SEs of the item means; resampling whole
    # alliances sees it (within Monte Carlo error of 300 draws), resampling cases not
    assert se_cb == pytest.approx(se_r, rel=0.10)
    assert se_cb > 1.03 * se_b


def test_compiled_model_refits_with_the_cluster_option():
    from analysis.sem import compile_model

    res, ref = fitted("hs_team_mlr")
    cm = compile_model(HS, _data("hs_clustered.csv"), estimator="MLR", cluster="team")
    again = cm.fit(_data("hs_clustered.csv"))
    assert_close(again.params["se"], res.params["se"], atol=1e-12, rtol=0.0, what="se")
    assert again.nclusters == ref["nclusters"][0] == 60


def test_sem_command_cluster_option(capsys):
    import json

    from analysis.cli import main

    path = str(REFERENCE_DIR / "sem_cluster" / "hs_clustered.csv")
    ref = load_reference("sem_cluster/hs_team_mlr.json")
    assert main(["sem", path, "--model", HS, "--estimator", "MLR", "--cluster", "team",
                 "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["cluster"] == "team" and doc["nclusters"] == 60
    assert_close(doc["fit"]["chisq_scaled"], ref["fit_measures"]["chisq.scaled"], atol=0.0,
                 rtol=CHISQ_RTOL, what="chisq.scaled")
    assert main(["sem", path, "--model", HS, "--estimator", "MLR", "--cluster", "team"]) == 0
    assert "60 clusters (team)" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["--estimator", "ML", "--cluster", "team"], "needs estimator='MLR'"),
    (["--estimator", "MLR", "--cluster", "nope"], "not a column"),
])
def test_sem_command_refuses_bad_cluster_input(args, message, capsys):
    from analysis.cli import main

    path = str(REFERENCE_DIR / "sem_cluster" / "hs_clustered.csv")
    assert main(["sem", path, "--model", HS, *args]) == 2
    assert message in capsys.readouterr().err
