"""Fourth parity sweep: public data and model features the earlier sweeps lacked.

References: tests/reference/sem_sweep4/make_reference.R (lavaan 0.6.14, psych 2.2.9).
Every fixture is compared in full: estimates, SEs, std.lv / std.all with their
standardizedSolution() SEs, R², every fitMeasures() value lavaan reports (NA must stay
missing) and, where recorded, modindices().  What the sweep found, pinned here:

* ``ordered=`` with the default estimator fitted the items as continuous (ML) and failed
  with a misleading "not identified" error; lavaan switches to WLSMV (and refuses ML);
* WLSMV robust CFI/TLI/RMSEA with thresholds equal across groups: lavaan NA, ours a
  number (RMSEA 0.055 where lavaan with ceq.simple gives 0.105);
* GFI/AGFI/PGFI under ``missing = "ml"``: 0.9948 vs lavaan 0.9918; AGFI / PGFI of a
  saturated model: NaN where lavaan reports 1 and 0;
* MLR ``scaling.factor.h0`` with equality constraints: 1.046 vs lavaan 0.945;
* modindices: no candidates for fixed intercepts / latent means, sepc.all of a fixed
  variance (0.005 vs 0.219), a fixed.x covariate's variance listed;
* a Heywood warning under ``parameterization = "theta"`` where the solution is proper;
* no standardized SEs at all (now ``SEMResult.standardized_solution``);
* ``fixed_x=False``: the covariance between two exogenous covariates was fixed at 0
  (chi-square 277.3 vs lavaan 27.0) and left out of the independence model; under FIML
  the robust RMSEA's p-value then differed (0.0161 vs 0.0178): lavaan's FIML-corrected
  statistic refits on the h1 moments with fixed.x = TRUE, leaving the covariates'
  moments out of that information.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ModelSpecificationError
from analysis.sem import cfa, measurement_invariance, sem
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    REFERENCE_DIR,
    assert_close,
    load_reference,
)
from tests.parity import (
    r_options as _kwargs,
)

REF = REFERENCE_DIR / "sem_sweep4"
FRONT_DOORS = {"sem": sem, "cfa": cfa}
CASES = ["hs_mar_fiml", "hs_mar_mlr", "hs_mar_mlr_metric", "pd_equal_time",
         "pd_equal_time_mlr", "attitude_path", "satact_mg_mlr", "satact_reg_fiml",
         "satact_reg_mlr", "twolevel_l1_mlr", "bfi_agree_scalar", "bfi_agree_mlr_fiml",
         "bfi_ord_thr_load", "bfi_ord_stdlv", "bfi_ord_theta_mg", "hs_fixed_start",
         "hs_stdlv_orth", "hs_stdlv_metric", "hs_heywood", "attitude_mediation_mlr",
         "bfi_ord_pairwise", "satact_fixedx_false", "hs_mg_mi", "hs_ms_mlr_mi",
         "satact_x3_mi", "satact_fixedx_false_fiml", "satact_fixedx_false_mlr"]
# fit measures on the chi-square / likelihood scale: relative tolerance
_CHISQ_LIKE = ("chisq", "logl", "aic", "bic", "fmin")


def _data(name: str) -> pd.DataFrame:
    if name.startswith("hs_mar"):
        return pd.read_csv(REF / "hs_mar.csv")
    if name.startswith(("hs_", "pd_")):
        file = "HolzingerSwineford1939.csv" if name.startswith("hs_") else \
            "PoliticalDemocracy.csv"
        return pd.read_csv(REFERENCE_DIR / "data" / file)
    file = {"attitude": "attitude.csv", "satact": "sat_act.csv", "bfi": "bfi_ae.csv",
            "twolevel": "twolevel_l1.csv"}[name.split("_")[0]]
    return pd.read_csv(REF / file)


_FITS: dict[str, tuple] = {}


def _fit(name: str):
    if name not in _FITS:
        ref = load_reference(f"sem_sweep4/{name}.json")
        res = FRONT_DOORS[ref["fun"]](ref["model"], _data(name), **_kwargs(ref["options"]))
        _FITS[name] = (res, ref)
    return _FITS[name]


def _warnings(ref: dict) -> list[str]:
    w = ref["warnings"]  # jsonlite writes a single warning as a string
    return [w] if isinstance(w, str) else list(w)


def _lavaan_params(ref: dict) -> tuple[pd.DataFrame, list[tuple]]:
    pe = pd.DataFrame(ref["params"])
    pe["rhs"] = pe["rhs"].fillna("")
    keys = list(zip(pe["lhs"], pe["op"], pe["rhs"], pe["group"].astype(int), strict=True))
    return pe, keys


@pytest.mark.parametrize("name", CASES)
def test_estimates_and_standardized_solution_match_lavaan(name):
    res, ref = _fit(name)
    assert res.converged and ref["converged"]
    pe, keys = _lavaan_params(ref)
    ours = res.params.copy()
    for kind in ("std.all", "std.lv"):
        sol = res.standardized_solution(kind)
        assert sol[["lhs", "op", "rhs"]].equals(ours[["lhs", "op", "rhs"]])
        ours["se." + kind] = sol["se"].to_numpy()
        assert_close(sol["est_std"], ours[kind.replace(".", "_")], atol=1e-12,
                     what=f"{name} {kind} column vs params")
    ours = ours.set_index(["lhs", "op", "rhs", "group"])
    missing = [k for k in keys if k not in ours.index]
    assert not missing, f"rows lavaan has and we lack: {missing}"
    for col, lav in (("est", "est"), ("se", "se"), ("std_lv", "std.lv"),
                     ("std_all", "std.all"), ("se.std.all", "se.std.all"),
                     ("se.std.lv", "se.std.lv")):
        if lav not in pe:
            continue
        assert_close(ours.loc[keys, col].to_numpy(float), pe[lav].to_numpy(float),
                     atol=EST_ATOL, rtol=EST_RTOL, what=f"{name} {col}")


@pytest.mark.parametrize("name", CASES)
def test_r2_and_fit_measures_match_lavaan(name):
    res, ref = _fit(name)
    r2 = ref["r2"]
    r2 = list(r2.values()) if isinstance(r2, dict) else r2
    for g, values in enumerate(r2):
        for var, val in values.items():
            ours = res.r2[var] if res.model.n_groups == 1 else \
                res.r2[(res.model.groups[g], var)]
            assert_close(ours, np.nan if val is None else val, atol=EST_ATOL, rtol=EST_RTOL,
                         what=f"{name} R2 {var}")
    fm = dict(res.fit)
    compared = 0
    for key, lav in ref["fit"].items():
        k = key.replace(".", "_")
        if k not in fm:
            # a measure we do not compute is fine only where lavaan has none either
            assert lav is None or key in ("baseline.chisq.scaled",), (name, key, lav)
            continue
        if lav is None:  # lavaan NA: ours must not print a number
            assert not np.isfinite(fm[k]), f"{name} {key}: ours {fm[k]}, lavaan NA"
            continue
        if any(t in key for t in _CHISQ_LIKE):
            assert_close(fm[k], lav, atol=1e-6, rtol=CHISQ_RTOL, what=f"{name} {key}")
        else:
            assert_close(fm[k], lav, atol=FIT_ATOL, what=f"{name} {key}")
        compared += 1
    assert compared >= 30


@pytest.mark.parametrize("name", ["pd_equal_time", "attitude_path", "hs_fixed_start",
                                  "hs_stdlv_orth", "hs_mg_mi", "hs_ms_mlr_mi",
                                  "satact_x3_mi"])
def test_modification_indices_match_lavaan(name):
    """Including the fixed intercept and latent mean of a mean structure (x4 ~1,
    textual ~1), the sepc.all of a fixed residual variance (x1 ~~ 0.5*x1), two groups,
    and a model for which lavaan has no candidate (ours listed numerical zeros)."""
    res, ref = _fit(name)
    lav = pd.DataFrame(ref["modindices"])
    lav["rhs"] = lav["rhs"].fillna("")
    if "group" not in lav:
        lav["group"] = 1
    lav["group"] = lav["group"].astype(int)
    ours = res.modindices().set_index(["lhs", "op", "rhs", "group"])
    keys = list(zip(lav["lhs"], lav["op"], lav["rhs"], lav["group"], strict=True))
    assert set(ours.index) == set(keys)
    if not keys:
        return
    for col, lav_col in (("mi", "mi"), ("epc", "epc"), ("sepc_all", "sepc.all")):
        assert_close(ours.loc[keys, col].to_numpy(float), lav[lav_col].to_numpy(float),
                     atol=EST_ATOL, rtol=EST_RTOL, what=f"{name} {col}")


def test_ordered_items_default_to_wlsmv_and_ml_is_refused():
    """lavaan: ordered= switches the estimator to WLSMV, and ML with ordered data is an
    error.  Ours fitted the items as continuous with ML and failed with 'not identified'."""
    d = _data("bfi_agree_scalar")
    items = [f"A{i}" for i in range(1, 6)]
    res = cfa("agree =~ A1 + A2 + A3 + A4 + A5", d, ordered=items, std_lv=True)
    assert res.estimator == "WLSMV" and res.converged
    for est in ("ML", "MLR"):
        with pytest.raises(ModelSpecificationError, match="not available with ordered"):
            cfa("agree =~ A1 + A2 + A3 + A4 + A5", d, ordered=items, estimator=est)
    assert sem("agree =~ A1 + A2 + A3 + A4 + A5", d).estimator == "ML"


def test_no_robust_indices_when_thresholds_are_equal_across_groups():
    """lavaan's catML-based robust CFI/TLI/RMSEA cannot carry threshold constraints (NA);
    without them (equal loadings only) both report them, and they agree."""
    res, ref = _fit("bfi_ord_thr_load")
    for key in ("cfi.robust", "tli.robust", "rmsea.robust"):
        assert ref["fit"][key] is None
        assert not np.isfinite(res.fit.get(key.replace(".", "_"), np.nan))
    loads = cfa("agree =~ A1 + A2 + A3 + A4 + A5", _data("bfi_ord_thr_load"), group="gender",
                group_equal=["loadings"], ordered=[f"A{i}" for i in range(1, 6)])
    assert_close(loads.fit["cfi_robust"], 0.9593486, atol=FIT_ATOL, what="cfi.robust")
    assert_close(loads.fit["rmsea_robust"], 0.0827618, atol=FIT_ATOL, what="rmsea.robust")


def test_heywood_case_is_reported_as_improper():
    res, ref = _fit("hs_heywood")
    assert any("negative" in w for w in _warnings(ref)) and not ref["post_check"]
    assert res.converged
    heywood = [w for w in res.warnings if w.startswith("Heywood case")]
    assert heywood and "x8" in heywood[0] and "improper" in heywood[0]
    assert "Warning: Heywood case" in res.summary()


def test_theta_parameterization_proper_solution_has_no_heywood_warning():
    ref = load_reference("sem_sweep4/bfi_ord_theta_mg.json")
    assert ref["post_check"] and not _warnings(ref)
    res = cfa(ref["model"], _data("bfi_ord_theta_mg"), estimator="WLSMV",
              **_kwargs(ref["options"]))
    assert res.converged
    assert not [w for w in res.warnings if "negative" in w or "Heywood" in w]


def test_empirically_underidentified_model_is_refused_by_name():
    """lavaan fits it but cannot invert the information matrix (no SEs, a warning); we
    refuse and name the parameters involved."""
    ref = load_reference("sem_sweep4/hs_underid.json")
    assert any("not be inverted" in " ".join(w.split()) for w in _warnings(ref))
    with pytest.raises(ModelSpecificationError, match="not identified.*f1 =~ x2"):
        cfa(ref["model"], _data("hs_underid"))


def test_reverse_keyed_marker_invariance_sequence_matches_lavaan():
    """A1 (the marker) loads negatively on agreeableness: every level converges and the
    table matches lavaan's cfa(..., group.equal = ...) fits."""
    ref = load_reference("sem_sweep4/bfi_agree_invariance.json")
    table = measurement_invariance(ref["model"], _data("bfi_agree_scalar"), ref["group"])
    assert table["converged"].all()
    assert list(table["level"]) == list(ref["levels"])
    for row, (level, lav) in zip(table.itertuples(), ref["levels"].items(), strict=True):
        assert row.df == lav["df"] and row.npar == lav["npar"], level
        assert_close(row.chisq, lav["chisq"], atol=1e-6, rtol=CHISQ_RTOL, what=level)
        for key in ("cfi", "rmsea", "srmr"):
            assert_close(getattr(row, key), lav[key], atol=FIT_ATOL, what=f"{level} {key}")


def test_invariance_with_heywood_case_is_never_a_clean_verdict():
    """Where lavaan does not converge the level has no statistics; where it converges
    with negative variances the row says the solution is improper."""
    ref = load_reference("sem_sweep4/hs_heywood_invariance.json")
    hs = pd.read_csv(REFERENCE_DIR / "data" / "HolzingerSwineford1939.csv")
    table = measurement_invariance(ref["model"], hs, ref["group"]).set_index("level")
    for level, lav in ref["levels"].items():
        row = table.loc[level]
        assert bool(row["converged"]) == lav["converged"], level
        if not lav["converged"]:
            assert np.isnan(row["chisq"]) and np.isnan(row["delta_chisq"])
            continue
        assert "negative" in lav["warnings"]
        assert_close(row["chisq"], lav["chisq"], atol=1e-6, rtol=CHISQ_RTOL, what=level)
        assert "improper solution" in row["note"] and "x8" in row["note"]
        assert np.isnan(row["delta_chisq"])  # the configural model did not converge


def test_ordinal_invariance_with_reverse_keyed_item_matches_semtools():
    """Ordered bfi agreeableness items (A1 reverse-keyed) by gender: every level as
    semTools::measEq.syntax (Wu & Estabrook 2016) fitted by lavaan; the table reports the
    scaled statistics and, at every level, the scaled CFI/RMSEA."""
    ref = load_reference("sem_sweep4/bfi_ord_invariance.json")
    items = [f"A{i}" for i in range(1, 6)]
    d = _data("bfi_agree_scalar").dropna(subset=items + ["gender"])
    table = measurement_invariance(ref["model"], d, ref["group"], ordered=items)
    assert table["converged"].all() and list(table["level"]) == list(ref["levels"])
    for row, (level, lav) in zip(table.itertuples(), ref["levels"].items(), strict=True):
        assert row.npar == lav["npar"] and row.df == lav["df.scaled"], level
        assert_close(row.chisq, lav["chisq.scaled"], atol=1e-6, rtol=CHISQ_RTOL, what=level)
        for key, lav_key in (("cfi", "cfi.scaled"), ("rmsea", "rmsea.scaled"),
                             ("srmr", "srmr")):
            assert_close(getattr(row, key), lav[lav_key], atol=FIT_ATOL,
                         what=f"{level} {key}")
