"""Standardized solutions (std.all) and R² of the parity campaign against lavaan.

The report prints standardized loadings and R², so they are compared on generated data of
every kind the campaign draws (ML / MLR / FIML / WLSMV, one to three groups, equality
constraints): lavaan's ``standardizedSolution(type = "std.all")`` and
``lavInspect(fit, "rsquare")`` of every campaign case lavaan fitted in under 10 s
(tests/reference/campaign_std/make_campaign_std.R): 182 cases, about 20 s in all, so
the default suite runs every one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.campaign_parity import fit_case
from tests.parity import EST_ATOL, EST_RTOL, REFERENCE_DIR, close_enough
from tests.sem.test_campaign import CASES, FITS, KNOWN

STD = pd.read_csv(REFERENCE_DIR / "campaign_std" / "std.csv.gz", keep_default_na=False,
                  na_values=["NA", ""])
STD["rhs"] = STD["rhs"].fillna("").astype(str)
# cases whose estimates differ from lavaan's (README "Known differences") are left out
STD_IDS = sorted(set(STD["id"].unique().tolist()) - set(KNOWN))


def _compare(cid: int) -> None:
    fit = FITS[FITS["id"] == cid].iloc[0]
    res = fit_case(CASES.loc[cid], fit)
    assert res.converged, f"case {cid} did not converge where lavaan did"
    ref = STD[STD["id"] == cid]
    problems = []
    # std.all of every parameter row
    par = ref[ref["op"] != "r2"]
    ours = res.params.set_index(["lhs", "op", "rhs", "group"])["std_all"]
    keys = list(zip(par["lhs"], par["op"], par["rhs"], par["group"].astype(int), strict=True))
    missing = [k for k in keys if k not in ours.index]
    assert not missing, f"case {cid}: rows lavaan has and we lack: {missing[:5]}"
    a = ours.loc[keys].to_numpy(float)
    e = par["std_all"].to_numpy(float)
    both_nan = np.isnan(a) & np.isnan(e)
    ok = close_enough(a, e, atol=EST_ATOL, rtol=EST_RTOL) | both_nan
    if not ok.all():
        bad = np.flatnonzero(~ok)
        problems += [f"std.all {' '.join(map(str, keys[i]))}: ours {a[i]:.6g} lavaan {e[i]:.6g}"
                     for i in bad[:5]]
    # R² per group (lavaan: NA for a negative residual variance)
    r2 = res.r2
    groups = res.model.groups
    for _, row in ref[ref["op"] == "r2"].iterrows():
        key = row["lhs"] if len(groups) == 1 else (groups[int(row["group"]) - 1], row["lhs"])
        got = float(r2.loc[key])
        want = float(row["std_all"])
        if not ((np.isnan(got) and np.isnan(want))
                or close_enough(np.array([got]), np.array([want]), atol=EST_ATOL,
                                rtol=EST_RTOL).all()):
            problems.append(f"r2 {key}: ours {got:.6g} lavaan {want:.6g}")
    assert len(r2) == int((ref["op"] == "r2").sum()), f"case {cid}: R² rows differ"
    assert not problems, f"case {cid} ({fit['estimator']}, {fit['missing']}): " + "; ".join(
        problems)


def test_fixture_covers_every_estimator_and_groups():
    fits = FITS[FITS["id"].isin(STD_IDS)]
    assert set(fits["estimator"]) == {"ML", "MLR", "WLSMV"}
    assert set(fits["missing"]) == {"listwise", "ml", "pairwise"}
    assert (CASES.loc[STD_IDS, "ngroups"] > 1).sum() >= 20
    assert len(STD_IDS) >= 150


@pytest.mark.parametrize("cid", STD_IDS)
def test_std_all_and_r2_match_lavaan(cid):
    _compare(cid)
