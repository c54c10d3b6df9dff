"""A generated campaign of the study's measurement-invariance sequences against lavaan.

Thirty simulated one-factor scales (3-7 items, 2-3 groups of 30-400, ordered 7-point
items under WLSMV and continuous or 7-point items under MLR, with and without missing
data) carry non-invariance of known size: one loading, one intercept or threshold,
several, a reverse-keyed first item, an empty category in one group, a near-zero
loading.  Each runs through the study's sequence as ``fit_measurement_model`` runs it
(``_invariance_task``: one member per dyad, category merging, configural -> ... with
the partial search).  Every number the sequence prints (chi-square, df, p, CFI, RMSEA,
SRMR of every level and every step of the partial search, and the difference tests) is
compared with lavaan 0.6.14's fit of the same model (the same ``group.equal`` and
``group.partial``, from ``tests/reference/invariance_campaign/make_reference.R``), and
every decision is checked against the declared rule (:data:`INVARIANCE_RULE`) applied
to lavaan's numbers.

Regenerate the reference after a change of the search's path:
``python tests/test_invariance_campaign.py --write-paths`` then
``Rscript tests/reference/invariance_campaign/make_reference.R``.
"""

from __future__ import annotations

import functools
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

REF = Path(__file__).parent / "reference" / "invariance_campaign"
CASES: dict[str, dict] = json.loads((REF / "cases.json").read_text())

#: cases of the CI part (fast ones covering every feature); the rest is slow
FAST = ("case_01", "case_04", "case_07", "case_09", "case_10", "case_16", "case_19", "case_22",
        "case_25", "case_27", "case_29", "case_33", "case_37", "case_38")

#: tolerances by keyword: absolute for the indices, relative for the statistics
TOL = {"chisq": dict(rtol=2e-3, atol=2e-3), "pvalue": dict(rtol=1e-2, atol=1e-4),
       "cfi": dict(rtol=0, atol=1e-3), "rmsea": dict(rtol=0, atol=1e-3),
       "srmr": dict(rtol=0, atol=1e-3), "delta_chisq": dict(rtol=5e-3, atol=5e-3),
       "delta_pvalue": dict(rtol=2e-2, atol=1e-4)}

ACCEPTED = ("baseline", "holds", "holds (partial)",
            "holds (equivalent model: same degrees of freedom; not tested)")


def _data(name: str) -> tuple[pd.DataFrame, dict]:
    spec = CASES[name]
    d = pd.read_csv(REF / "data" / f"{name}.csv", dtype={spec["group"]: "string"})
    if "alliance_id" in d.columns:
        d["alliance_id"] = d["alliance_id"].astype("string")
    d[spec["items"]] = d[spec["items"]].astype(float)
    return d, spec


def _missing(d: pd.DataFrame, spec: dict) -> str:
    """The missing-data method of ``fit_measurement_model`` (``_prepare_items``)."""
    if not d[spec["items"]].isna().any().any():
        return "listwise"
    return "pairwise" if spec["estimator"] == "WLSMV" else "ml"


@functools.cache
def run_case(name: str) -> tuple[dict, list[str]]:
    """The study's invariance sequence of one case, as ``fit_measurement_model`` runs it."""
    from analysis.study.measurement import _invariance_task

    d, spec = _data(name)
    syntax = "f =~ " + " + ".join(spec["items"])
    task = (syntax, d, spec["group"], list(spec["items"]), spec["estimator"],
            _missing(d, spec), True, True, 1)
    out, warns = _invariance_task(task)
    assert out is not None, warns
    return out, warns


def _key(row: Any) -> str:
    eq = str(row["group_equal"] or "")
    part = ",".join(sorted(p for p in str(row["group_partial"] or "").split(",") if p))
    return f"{eq}|{part}"


def study_path(seq: dict) -> tuple[list[dict], list[list[str]], dict[str, str]]:
    """Every model the sequence printed (levels and partial steps), the comparisons it
    printed (``[base, model]``), and the base of each level."""
    models: dict[str, dict] = {}
    pairs: list[list[str]] = []
    base_of: dict[str, str] = {}

    def add(row: Any) -> str:
        k = _key(row)
        models.setdefault(k, {"key": k, "equal": [e for e in str(row["group_equal"] or "")
                                                  .split(",") if e],
                              "partial": [p for p in str(row["group_partial"] or "")
                                          .split(",") if p]})
        return k

    base = None
    for row in seq["levels"].to_dict("records"):
        k = add(row)
        lv = str(row["level"]).replace(" (partial)", "")
        if base is not None and not str(row["level"]).endswith("(partial)"):
            base_of[lv] = base
        if base is not None and row["decision"] not in ("baseline",):
            pairs.append([base_of.get(lv, base), k])
        if row["decision"] in ACCEPTED:
            base = k
    for lv, steps in seq["partial_steps"].items():
        for row in steps.to_dict("records"):
            k = add(row)
            if [base_of[lv], k] not in pairs:
                pairs.append([base_of[lv], k])
    return list(models.values()), pairs, base_of


def write_paths() -> None:
    """paths.json: the models and comparisons of each case's sequence (input of the R
    script)."""
    out = {}
    for name in CASES:
        seq, _ = run_case(name)
        models, pairs, _ = study_path(seq)
        d, spec = _data(name)
        out[name] = {"missing": _missing(d, spec), "models": models, "pairs": pairs}
        print(name, len(models), "models", flush=True)
    (REF / "paths.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")



# ---------------------------------------------------------------------------
# comparison with lavaan
# ---------------------------------------------------------------------------


@functools.cache
def _lavaan() -> dict:
    return json.loads((REF / "lavaan.json").read_text())


def _index(m: dict, kind: str) -> float:
    """lavaan's CFI or RMSEA as the rule reads it: robust (MLR) or scaled (WLSMV), the
    scaled one where the robust one is NA (a saturated model under MLR)."""
    for key in (kind, f"{kind}_scaled"):
        v = m.get(key)
        if v is not None and math.isfinite(float(v)):
            return float(v)
    return float("nan")


def _close(ours: Any, theirs: Any, kind: str) -> bool:
    a = float("nan") if ours is None else float(ours)
    b = float("nan") if theirs is None else float(theirs)
    if not (math.isfinite(a) or math.isfinite(b)):
        return True
    if math.isfinite(a) != math.isfinite(b):
        return False
    tol = TOL.get(kind, dict(rtol=1e-3, atol=1e-3))
    return abs(a - b) <= tol["atol"] + tol["rtol"] * abs(b)


def _rows(seq: dict) -> list[tuple[str, dict]]:
    """Every printed row: the levels table and the steps of each partial search."""
    out = [("levels", r) for r in seq["levels"].to_dict("records")]
    for lv, steps in seq["partial_steps"].items():
        out += [(f"partial search of {lv}, step {r['step']}", r)
                for r in steps.to_dict("records")]
    return out


def number_mismatches(name: str) -> list[str]:
    """Printed numbers of the study's sequence that differ from lavaan's."""
    seq, _ = run_case(name)
    ref = _lavaan()[name]
    _, _, base_of = study_path(seq)
    bad = []
    base = None
    for where, row in _rows(seq):
        k = _key(row)
        lav = ref["models"].get(k)
        if lav is None:
            bad.append(f"{where} {row['level']}: model {k!r} not in lavaan.json "
                       "(regenerate the reference)")
            continue
        if bool(row["converged"]) != bool(lav["converged"]):
            bad.append(f"{where} {row['level']}: converged {row['converged']} but lavaan "
                       f"{lav['converged']} {lav.get('error', '')}")
            continue
        if not lav["converged"]:
            continue
        for kind in ("chisq", "df", "pvalue", "cfi", "rmsea", "srmr"):
            theirs = _index(lav, kind) if kind in ("cfi", "rmsea") else lav[kind]
            if not _close(row[kind], theirs, kind):
                bad.append(f"{where} {row['level']} [{k}]: {kind} {row[kind]} vs lavaan "
                           f"{theirs}")
        lv = str(row["level"]).replace(" (partial)", "")
        b = base_of.get(lv) if where != "levels" or row["decision"] != "baseline" else None
        if where == "levels" and row["decision"] == "baseline":
            base = k
            continue
        if b is None:
            b = base
        test = (ref["lrt"] or {}).get(f"{b} >> {k}")
        dcfi = dr = float("nan")
        if b is not None and ref["models"][b]["converged"]:
            dcfi = _index(lav, "cfi") - _index(ref["models"][b], "cfi")
            dr = _index(lav, "rmsea") - _index(ref["models"][b], "rmsea")
        for kind, theirs in (("delta_cfi", dcfi), ("delta_rmsea", dr)):
            if not _close(row.get(kind), theirs, kind.replace("delta_", "")):
                bad.append(f"{where} {row['level']} [{k}]: {kind} {row.get(kind)} vs lavaan "
                           f"{theirs}")
        step_kept = where == "levels" or row.get("delta_df") is not None
        if test is not None and step_kept and np.isfinite(float(row.get("delta_df", np.nan))):
            for kind in ("delta_chisq", "delta_df", "delta_pvalue"):
                if not _close(row.get(kind), test[kind], kind):
                    bad.append(f"{where} {row['level']} [{b} >> {k}]: {kind} {row.get(kind)} "
                               f"vs lavaan {test[kind]}")
        if where == "levels" and row["decision"] in ACCEPTED:
            base = k
    return bad



def _rule_fails(dcfi: float, drmsea: float, n: float) -> bool | None:
    """The declared rule on lavaan's differences; None when a difference is within the
    comparison's tolerance of its cut-off and the other criterion is met (either
    decision is then as good as the numbers)."""
    from analysis.study.measurement import chen_cuts

    if not (math.isfinite(dcfi) and math.isfinite(drmsea)):
        return None
    c_cut, r_cut = chen_cuts(n)
    c_bad, r_bad = dcfi <= c_cut, drmsea >= r_cut
    c_near, r_near = abs(dcfi - c_cut) < TOL["cfi"]["atol"], abs(drmsea - r_cut) < TOL["rmsea"]["atol"]
    if (c_near and (r_bad or r_near)) or (r_near and (c_bad or c_near)):
        return None
    return bool(c_bad and r_bad)


def decision_mismatches(name: str) -> list[str]:
    """Decisions of the study's sequence that the declared rule, applied to lavaan's
    numbers of the same models, does not give."""
    seq, _ = run_case(name)
    ref = _lavaan()[name]
    models = ref["models"]
    _, _, base_of = study_path(seq)
    bad: list[str] = []
    base = None
    n = None
    highest, failed = "none", None

    def proper(k: str) -> str:
        m = models.get(k) or {}
        if not m.get("converged"):
            return "not estimated (did not converge)"
        if not m.get("post_check", True):
            return "not judged (improper solution)"
        return ""

    for row in seq["levels"].to_dict("records"):
        k, lv, dec = _key(row), str(row["level"]), str(row["decision"])
        if k not in models:
            bad.append(f"{lv}: model {k!r} not in lavaan.json")
            continue
        why = proper(k)
        if base is None:
            m = models[k]
            if why:
                want = why
            elif (_index(m, "cfi") < 0.90) or (_index(m, "rmsea") > 0.10):
                want = "baseline fits poorly"
            else:
                want = "baseline"
            n = m["ntotal"]
            if not dec.startswith(want):
                bad.append(f"{lv}: decision {dec!r}, but lavaan's model gives {want!r} "
                           f"(CFI {m['cfi']}, RMSEA {m['rmsea']})")
            if dec == "baseline":
                base, highest = k, lv
            else:
                failed = lv
            continue
        b = base_of.get(lv.replace(" (partial)", ""), base)
        if why:
            if not dec.startswith(why.split(" (")[0]):
                bad.append(f"{lv}: decision {dec!r}, but lavaan's model: {why}")
            failed = failed or lv
            continue
        dcfi = _index(models[k], "cfi") - _index(models[b], "cfi")
        drm = _index(models[k], "rmsea") - _index(models[b], "rmsea")
        rule = _rule_fails(dcfi, drm, n)
        if rule is not None:
            want = "fails" if rule else ("holds (partial)" if lv.endswith("(partial)")
                                         else "holds")
            if not dec.startswith(want):
                bad.append(f"{lv}: decision {dec!r}, but the rule on lavaan's numbers "
                           f"(dCFI {dcfi:.4f}, dRMSEA {drm:.4f}, N {n:g}) gives {want!r}")
        if dec in ACCEPTED:
            base, highest = k, lv.replace(" (partial)", "")
        elif not lv.endswith("(partial)"):
            failed = failed or lv
    for lv, steps in seq["partial_steps"].items():
        recs = steps.to_dict("records")
        for i, row in enumerate(recs):
            k = _key(row)
            if k not in models or proper(k):
                continue
            b = base_of[lv]
            rule = _rule_fails(_index(models[k], "cfi") - _index(models[b], "cfi"),
                               _index(models[k], "rmsea") - _index(models[b], "rmsea"), n)
            if i < len(recs) - 1 and rule is False:
                bad.append(f"partial search of {lv}, step {i}: the rule holds on lavaan's "
                           "numbers, yet the search freed another parameter")
    if seq["highest_level_supported"] != highest:
        bad.append(f"highest level {seq['highest_level_supported']!r}, the decisions give "
                   f"{highest!r}")
    if seq["first_failed_level"] != failed:
        bad.append(f"first failed level {seq['first_failed_level']!r}, the decisions give "
                   f"{failed!r}")
    return bad


def preparation_mismatches(name: str) -> list[str]:
    """Group sizes and merged categories that differ from those of lavaan's fits."""
    seq, _ = run_case(name)
    ref = _lavaan()[name]
    bad = []
    conf = next(iter(ref["models"].values()))
    used = {k: int(v) for k, v in (ref["groups_used"] or {}).items()}
    if seq["groups"] != used:
        bad.append(f"groups printed {seq['groups']}, lavaan's fits use {used}")
    merges = {k: [[float(a), float(b)] for a, b in v] for k, v in (ref["merges"] or {}).items()}
    if seq["collapsed_categories"] != merges:
        bad.append(f"merged categories {seq['collapsed_categories']}, by the rule {merges}")
    n = seq["cutoffs"]["n"]
    if n is not None and conf["converged"] and n != conf["ntotal"]:
        bad.append(f"Chen's N {n}, lavaan's ntotal {conf['ntotal']}")
    return bad



# ---------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------


def _param(name: str):
    return pytest.param(name, id=name, marks=() if name in FAST else pytest.mark.slow)


ALL = [_param(n) for n in CASES]


@pytest.fixture(autouse=True)
def _quiet():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("name", ALL)
def test_every_printed_number_matches_lavaan(name):
    """chi-square, df, p, CFI, RMSEA, SRMR of every level and every partial step, and
    the difference tests and CFI/RMSEA differences printed beside them."""
    assert number_mismatches(name) == []


@pytest.mark.parametrize("name", ALL)
def test_every_decision_follows_the_rule_on_lavaans_numbers(name):
    assert decision_mismatches(name) == []


@pytest.mark.parametrize("name", ALL)
def test_groups_and_merged_categories_are_those_of_the_fits(name):
    assert preparation_mismatches(name) == []


def test_respondents_without_an_answer_are_in_no_group_and_keep_their_partner():
    """A B member who answered none of the scale's items is in no fit (lavaan ignores
    empty cases): the A member of that alliance stays, and the group sizes printed are
    those of the fits (the old sequence dropped the A partners of the 40 B members
    without answers and printed A 40, B 180 beside fits of 31 and 140)."""
    seq, _ = run_case("case_33")
    ref = _lavaan()["case_33"]
    assert seq["groups"] == {"A": 59, "B": 140} == ref["groups_used"]
    assert seq["left_out"] == {"no_value": 0, "no_answer": 80, "dyad_member": 61}
    assert seq["cutoffs"]["n"] == 199.0 == ref["models"]["|"]["ntotal"]


def test_a_saturated_configural_model_is_a_baseline_with_cfi_1():
    """Three items under MLR with complete data: the configural model has no degrees of
    freedom and lavaan's robust CFI is NA (its scaled CFI is 1).  The metric step
    (delta CFI -.020, delta RMSEA .107, N = 600) fails the rule, and the partial search
    follows; the old sequence printed "not judged" and stopped."""
    seq, _ = run_case("case_38")
    levels = seq["levels"]
    first = levels.iloc[0]
    assert first["df"] == 0 and first["cfi"] == 1.0 and first["rmsea"] == 0.0
    assert list(levels["decision"][:3]) == ["baseline", "fails", "holds (partial)"]
    assert seq["freed"]["metric"] == ["f =~ x2"]
    assert decision_mismatches("case_38") == []


def test_the_campaign_reaches_every_kind_of_decision():
    """The cases are not all easy: between them they print each decision."""
    seen = set()
    for name in FAST + ("case_10", "case_27", "case_38"):
        seq, _ = run_case(name)
        seen |= {str(d).split(" (")[0].split(":")[0].split(";")[0]
                 for d in seq["levels"]["decision"]}
    assert {"baseline", "holds", "fails", "not judged", "baseline fits poorly"} <= seen


@pytest.mark.parametrize("name, freed", [
    ("case_04", {"intercepts": ["x4 ~1"]}),
    ("case_19", {"scalar": ["x3 ~1"]}),
    ("case_23", {"metric": ["f =~ x3"]}),
    ("case_28", {"metric": ["f =~ x2", "f =~ x4"], "scalar": ["x3 ~1", "x5 ~1"]}),
])
def test_the_search_frees_the_parameters_built_to_differ(name, freed):
    seq, _ = run_case(name)
    assert {lv: sorted(v) for lv, v in seq["freed"].items()} == freed



def test_engine_sequence_of_a_saturated_configural_model_has_a_cfi():
    """A saturated MLR configural model: lavaan's robust CFI is NA, its scaled CFI 1; the
    engine's level row takes the first kind with a value (it took the NA, and the metric
    step had no CFI difference)."""
    from analysis.sem.invariance import measurement_invariance

    d, spec = _data("case_38")
    table = measurement_invariance("f =~ " + " + ".join(spec["items"]), d, "language",
                                   estimator="MLR")
    lav = _lavaan()["case_38"]["models"]
    assert table["df"].iloc[0] == 0
    assert _close(table["cfi"].iloc[0], _index(lav["|"], "cfi"), "cfi")
    assert _close(table["delta_cfi"].iloc[1],
                  _index(lav["loadings|"], "cfi") - _index(lav["|"], "cfi"), "cfi")



def test_an_equivalent_threshold_step_is_said_to_be_untested():
    """Seven-point items answered in three categories: equal thresholds re-express the
    configural model (the same df; lavaan's difference has 0 df and no p-value).  The
    old sequence printed a plain "holds", as if the step had been tested."""
    seq, _ = run_case("case_37")
    row = seq["levels"].iloc[1]
    assert row["level"] == "thresholds" and row["delta_df"] == 0
    assert not np.isfinite(row["delta_pvalue"])
    assert row["decision"] == "holds (equivalent model: same degrees of freedom; not tested)"
    assert seq["levels"]["decision"].iloc[2] == "holds"  # loadings compared with it



def test_decisions_on_the_engines_table_go_on_after_an_equivalent_step():
    """invariance_decisions on measurement_invariance's table of case_37: the threshold
    step is equivalent (no differences), and the loadings and intercepts steps are
    judged against it, as lavaan's numbers give; the old rule stopped at "not judged"
    and called configural the highest level."""
    from analysis.sem.invariance import measurement_invariance
    from analysis.study.measurement import invariance_decisions

    EQUIVALENT = "holds (equivalent model: same degrees of freedom; not tested)"

    d, spec = _data("case_37")
    table = measurement_invariance("f =~ " + " + ".join(spec["items"]), d, "language",
                                   estimator="WLSMV", ordered=spec["items"])
    judged, holds, failed = invariance_decisions(table, n=500)
    lav = _lavaan()["case_37"]["models"]
    want = ["baseline", EQUIVALENT, "holds",
            "fails" if _rule_fails(_index(lav["thresholds,loadings,intercepts|"], "cfi")
                                   - _index(lav["thresholds,loadings|"], "cfi"),
                                   _index(lav["thresholds,loadings,intercepts|"], "rmsea")
                                   - _index(lav["thresholds,loadings|"], "rmsea"), 500)
            else "holds"]
    assert list(judged["decision"]) == want == ["baseline", EQUIVALENT, "holds", "fails"]
    assert (holds, failed) == ("loadings", "intercepts")


if __name__ == "__main__" and "--write-paths" in sys.argv:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    write_paths()
    sys.exit(0)
