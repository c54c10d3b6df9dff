"""Models fitted from sample moments: lavaan's ``sample.cov`` / ``sample.mean`` /
``sample.nobs``, the way lavaan's tutorial (Wheaton), R's ``ability.cov`` and
``Harman74.cor`` and many published re-analyses give their data.

Reference: tests/reference/sem_moments/make_reference.R (lavaan 0.6.14).  Before these
tests, such a model could not be fitted at all (sweep 9 found the gap).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, ModelSpecificationError
from analysis.sem import cfa, sem
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    assert_close,
    load_reference,
)

CASES = ["wheaton", "ability", "harman74", "politicaldemocracy", "hs_groups", "hs_means"]


@cache
def ref(name: str) -> dict:
    return load_reference(f"sem_moments/{name}.json")


def _frame(m: dict) -> pd.DataFrame:
    return pd.DataFrame(np.array(m["values"], dtype=float), index=m["names"],
                        columns=m["names"])


def _inputs(r: dict) -> dict:
    covs = r["cov"]
    grouped = isinstance(covs, dict)
    out: dict = {}
    if grouped:
        out["sample_cov"] = {g: _frame(m) for g, m in covs.items()}
        out["sample_nobs"] = dict(zip(covs, [int(n) for n in r["nobs"]], strict=True))
    else:
        out["sample_cov"] = _frame(covs[0])
        out["sample_nobs"] = int(r["nobs"])
    if r.get("mean"):
        ms = r["mean"]
        if isinstance(ms, dict):
            out["sample_mean"] = {g: pd.Series(m["values"], index=m["names"])
                                  for g, m in ms.items()}
        else:
            out["sample_mean"] = pd.Series(ms[0]["values"], index=ms[0]["names"])
    opts = r.get("options") or {}
    if isinstance(opts, dict):
        if "group.equal" in opts:
            ge = opts["group.equal"]
            out["group_equal"] = tuple(ge if isinstance(ge, list) else [ge])
        if opts.get("std.lv"):
            out["std_lv"] = True
    return out


@cache
def fitted(name: str):
    r = ref(name)
    return sem(r["model"], **_inputs(r))


@pytest.mark.parametrize("name", CASES)
def test_fit_measures_match_lavaan(name):
    res, r = fitted(name), ref(name)
    assert res.converged
    f = r["fit"]
    assert res.fit["npar"] == f["npar"] and res.fit["df"] == f["df"]
    assert_close(res.fit["chisq"], f["chisq"], atol=1e-6, rtol=CHISQ_RTOL, what="chisq")
    assert_close(res.fit["baseline_chisq"], f["baseline.chisq"], atol=1e-6, rtol=CHISQ_RTOL,
                 what="baseline chisq")
    for key in ("cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "gfi",
                "nfi"):
        assert_close(res.fit[key.replace(".", "_")], f[key], atol=FIT_ATOL, what=key)
    for key in ("logl", "unrestricted.logl", "aic", "bic"):
        assert_close(res.fit[key.replace(".", "_")], f[key], atol=1e-3, rtol=1e-6, what=key)


@pytest.mark.parametrize("name", CASES)
def test_estimates_ses_and_standardized_match_lavaan(name):
    res, r = fitted(name), ref(name)
    est = pd.DataFrame(r["estimates"])
    est["rhs"] = est["rhs"].fillna("").str.replace(" ", "")
    ours = res.params.copy()
    ours["rhs"] = ours["rhs"].fillna("").astype(str).str.replace(" ", "")
    if "group" not in ours.columns:
        ours["group"] = 1
    # a defined parameter has no group in lavaan's table (0) and group 1 here
    est.loc[est["op"] == ":=", "group"] = ours.loc[ours["op"] == ":=", "group"].max() \
        if (ours["op"] == ":=").any() else 0
    merged = est.merge(ours, on=["lhs", "op", "rhs", "group"], how="left",
                       suffixes=("_ref", ""))
    assert merged["est"].notna().all(), merged[merged["est"].isna()][["lhs", "op", "rhs"]]
    assert_close(merged["est"], merged["est_ref"], atol=EST_ATOL, rtol=EST_RTOL, what="est")
    se = merged[merged["se_ref"] > 0]
    assert_close(se["se"], se["se_ref"], atol=EST_ATOL, rtol=EST_RTOL, what="se")
    assert_close(merged["std_all"], merged["std_all_ref"], atol=EST_ATOL, rtol=EST_RTOL,
                 what="std.all")


def test_cfa_takes_the_moments_too():
    r = ref("ability")
    res = cfa(r["model"], **_inputs(r))
    assert res.fit["chisq"] == pytest.approx(r["fit"]["chisq"], rel=1e-4)


def test_a_lower_triangle_read_into_a_frame_by_hand_gives_lavaans_fit():
    """The tutorial's own way: the lower triangle typed in, made symmetric."""
    r = ref("wheaton")
    s = _frame(r["cov"][0])
    low = np.tril(s.to_numpy())
    full = pd.DataFrame(low + np.tril(low, -1).T, index=s.index, columns=s.columns)
    res = sem(r["model"], sample_cov=full, sample_nobs=932)
    assert res.fit["chisq"] == pytest.approx(4.7352601542955, rel=1e-5)


@pytest.mark.parametrize("kwargs, match", [
    ({"estimator": "MLR"}, "only ML"),
    ({"missing": "ml"}, "FIML needs the raw data"),
    ({"bootstrap": 100}, "resamples the raw data"),
    ({"group": "school"}, "one matrix per group"),
    ({"meanstructure": True}, "needs sample_mean"),
])
def test_what_needs_raw_data_is_refused(kwargs, match):
    r = ref("ability")
    with pytest.raises(ModelSpecificationError, match=match):
        sem(r["model"], **_inputs(r), **kwargs)


def test_bad_moments_are_refused_with_a_reason():
    r = ref("ability")
    good = _inputs(r)["sample_cov"]
    model = r["model"]
    with pytest.raises(DataError, match="pandas DataFrame"):
        sem(model, sample_cov=good.to_numpy(), sample_nobs=112)
    asym = good.copy()
    asym.iloc[0, 1] += 1.0
    with pytest.raises(DataError, match="not symmetric"):
        sem(model, sample_cov=asym, sample_nobs=112)
    with pytest.raises(DataError, match="at least 2 cases"):
        sem(model, sample_cov=good, sample_nobs=1)
    with pytest.raises(DataError, match="sample_nobs"):
        sem(model, sample_cov=good)
    with pytest.raises(ModelSpecificationError, match="not both"):
        sem(model, pd.DataFrame({"general": [1.0]}), sample_cov=good, sample_nobs=112)
    with pytest.raises(DataError, match="one number per group"):
        sem(model, sample_cov=[good, good], sample_nobs=112)
    nan = good.copy()
    nan.iloc[2, 2] = np.nan
    with pytest.raises(DataError, match="missing or infinite"):
        sem(model, sample_cov=nan, sample_nobs=112)
    with pytest.raises(ModelSpecificationError, match="general"):
        sem(model, sample_cov=good.drop(index="general", columns="general"), sample_nobs=112)


@pytest.mark.parametrize("seed", range(8))
def test_raw_data_and_their_moments_give_the_same_ml_fit(seed):
    """Random CFA/SEM models on random data: the fit from the data's moments is the fit
    from the data (complete data, ML), with and without a mean structure and groups."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 4))
    per = [int(rng.integers(3, 5)) for _ in range(k)]
    names = [[f"f{i}_{j}" for j in range(per[i])] for i in range(k)]
    model = "\n".join(f"f{i} =~ {' + '.join(v)}" for i, v in enumerate(names))
    if k == 3 and seed % 2:
        model += "\nf2 ~ f0 + f1"
    n = int(rng.integers(150, 400))
    groups = 2 if seed % 3 == 0 else 1
    frames = []
    for g in range(groups):
        eta = rng.normal(size=(n, k)) @ np.linalg.cholesky(0.4 * np.eye(k) + 0.6).T
        cols = {}
        for i, v in enumerate(names):
            for name in v:
                cols[name] = (rng.uniform(0.5, 1.2) * eta[:, i] + rng.normal(size=n)
                              + rng.normal(scale=0.3) + g * 0.2)
        frames.append(pd.DataFrame(cols).assign(g=f"g{g}"))
    data = pd.concat(frames, ignore_index=True)
    with_means = seed % 2 == 0
    kw = {"group_equal": ("loadings",)} if groups > 1 else {}
    if groups > 1:
        raw = sem(model, data, group="g", meanstructure=True, **kw)
        parts = {lab: d.drop(columns="g") for lab, d in data.groupby("g", sort=False)}
        mom = sem(model, sample_cov={g: d.cov() for g, d in parts.items()},
                  sample_mean={g: d.mean() for g, d in parts.items()},
                  sample_nobs={g: len(d) for g, d in parts.items()}, **kw)
    else:
        d = data.drop(columns="g")
        raw = sem(model, d, meanstructure=with_means or None)
        mom = sem(model, sample_cov=d.cov(), sample_nobs=len(d),
                  sample_mean=d.mean() if with_means else None)
    for key in ("chisq", "df", "cfi", "tli", "rmsea", "srmr", "logl", "bic"):
        assert mom.fit[key] == pytest.approx(raw.fit[key], rel=1e-6, abs=1e-8), key
    a, b = raw.params, mom.params
    assert list(a["lhs"] + a["op"] + a["rhs"]) == list(b["lhs"] + b["op"] + b["rhs"])
    np.testing.assert_allclose(b["est"], a["est"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(b["se"], a["se"], rtol=1e-5, atol=1e-7)
