"""Partial invariance of ordered items (Wu & Estabrook 2016 identification).

Reference: tests/reference/sem_ordinal_invariance/make_partial.R (lavaan 0.6.14 fits of
semTools::measEq.syntax() models with ``group.partial``).  Before this file, freeing an
item's intercept at the intercepts level left it fixed at 0 (npar 33 and chi-square
82.67 where lavaan has 34 and 19.13), and the partial-invariance search found no
candidate at any level of ordered items, so the measurement model's report said "no
parameter left to free" for every failed level.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from analysis.sem import sem
from analysis.sem.invariance import LEVELS_ORDINAL, equality_candidates, partial_invariance
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    REFERENCE_DIR,
    assert_close,
    load_reference,
)

FOLDER = REFERENCE_DIR / "sem_ordinal_invariance"
CASES = load_reference("sem_ordinal_invariance/partial.json")


@cache
def data(name: str) -> pd.DataFrame:
    return pd.read_csv(FOLDER / f"{name}.csv")


def _listed(x) -> list[str]:
    return list(x) if isinstance(x, list) else [x]


def _ours(case: dict, group_partial=None):
    partial = _listed(case["group_partial"]) if group_partial is None else group_partial
    return sem(case["model"], data(case["data"]), group="g", estimator="WLSMV",
               ordered=case["ordered"], std_lv=True, id_cat="wu.estabrook.2016",
               parameterization=case["parameterization"],
               group_equal=tuple(_listed(case["group_equal"])),
               group_partial=tuple(partial))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['data']}-"
                         f"{'+'.join(_listed(c['group_partial']))}-{c['parameterization']}")
def test_partial_model_matches_lavaan(case):
    res = _ours(case)
    ref = case["fit"]
    assert res.fit["npar"] == ref["npar"]
    assert res.fit["df"] == ref["df"]
    assert_close(res.fit["chisq_scaled"], ref["chisq.scaled"], atol=0.0, rtol=CHISQ_RTOL,
                 what="scaled chi-square")
    assert_close(res.fit["cfi_scaled"], ref["cfi.scaled"], atol=FIT_ATOL, what="scaled CFI")
    est = pd.DataFrame(case["estimates"])
    merged = est.merge(res.params, on=["lhs", "op", "rhs", "group"], how="left",
                       suffixes=("_ref", ""))
    assert merged["est"].notna().all(), "rows of lavaan's table missing"
    assert_close(merged["est"], merged["est_ref"], atol=EST_ATOL, rtol=EST_RTOL,
                 what="estimates")
    assert_close(merged["se"], merged["se_ref"], atol=EST_ATOL, rtol=EST_RTOL, what="SEs")


def test_a_freed_intercept_is_estimated_in_the_later_groups():
    case = next(c for c in CASES if _listed(c["group_partial"]) == ["q4~1"])
    full = _ours(case, group_partial=[])
    freed = _ours(case)
    assert freed.fit["npar"] == full.fit["npar"] + 2  # free in groups 2 and 3
    p = freed.params
    q4 = p[(p["lhs"] == "q4") & (p["op"] == "~1")].sort_values("group")["est"].to_numpy()
    assert q4[0] == 0.0 and abs(q4[2]) > 0.2  # the simulated shift of group 3


@pytest.mark.parametrize("level, expected", [
    ("thresholds", {"q1 | t1", "q5 | t6"}),
    ("loadings", {"f =~ q1", "f =~ q5"}),
    ("intercepts", {"q1 ~1", "q5 ~1"}),
])
def test_every_ordinal_level_has_candidates(level, expected):
    res = sem("f =~ q1 + q2 + q3 + q4 + q5", data("seven_cat"), group="g", estimator="WLSMV",
              ordered=[f"q{i}" for i in range(1, 6)], std_lv=True,
              id_cat="wu.estabrook.2016", group_equal=LEVELS_ORDINAL[level])
    cands = equality_candidates(res, level, ordered=True)
    assert expected <= set(cands)
    kinds = {"thresholds": "|", "loadings": "=~", "intercepts": "~1"}
    assert all(kinds[level] in c for c in cands)


def test_the_search_frees_the_shifted_intercept_and_the_weaker_loading():
    d = data("seven_cat")
    model = "f =~ q1 + q2 + q3 + q4 + q5"
    kw = dict(ordered=[f"q{i}" for i in range(1, 6)], std_lv=True,
              id_cat="wu.estabrook.2016", estimator="WLSMV")
    base = sem(model, d, group="g", group_equal=LEVELS_ORDINAL["thresholds"], **kw)
    strict = {"holds": lambda row: bool(row["delta_pvalue"] > 0.05)}
    lo = partial_invariance(model, d, "g", "loadings", base=base, **strict, **kw)
    assert lo["freed"] == ["f =~ q2"] and lo["holds"]
    inter = partial_invariance(model, d, "g", "intercepts", base=lo["result"],
                               group_partial=lo["group_partial"], **strict, **kw)
    assert inter["freed"][0] == "q4 ~1" and inter["holds"]
    assert np.isfinite(inter["steps"]["chisq"]).all()


def test_thresholds_are_freed_while_two_stay_equal_per_item():
    d = data("two_groups")
    model = "f1 =~ y1 + y2 + y3\nf2 =~ y4 + y5 + y6"
    kw = dict(ordered=[f"y{i}" for i in range(1, 7)], std_lv=True,
              id_cat="wu.estabrook.2016", estimator="WLSMV")
    base = sem(model, d, group="g", **kw)
    out = partial_invariance(model, d, "g", "thresholds", base=base,
                             holds=lambda row: False, **kw)
    # y2 is binary and y5 has two thresholds: none of theirs can be freed; y1, y3, y4
    # and y6 have three, one each, and two indicators per factor stay untouched
    assert out["freed"] and all(f.split(" |")[0] not in ("y2", "y5") for f in out["freed"])
    assert len(out["freed"]) == 2 and "equal thresholds" in out["stopped"]


def test_the_measurement_model_reports_partial_levels_of_ordered_items():
    """The study's WLSMV sequence (analysis.study.measurement) reaches partial levels
    where it had stopped with "no parameter left to free"."""
    from analysis.study.measurement import _invariance

    warnings: list[str] = []
    d = data("seven_cat").assign(g=lambda x: x["g"].astype(str))
    out = _invariance("f =~ q1 + q2 + q3 + q4 + q5", d, "g", [f"q{i}" for i in range(1, 6)],
                      "WLSMV", "listwise", warnings)
    levels = out["levels"].set_index("level")
    assert "loadings (partial)" in levels.index, levels["decision"].to_dict()
    assert out["freed"]["loadings"] == ["f =~ q2"]
    assert out["highest_level_supported"] == "intercepts"
    assert not any("no parameter left" in str(v) for v in levels["decision"])
