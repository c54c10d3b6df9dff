"""Comparisons of one fit with its lavaan fixture, shared by the parity sweeps
(tests/sem/test_sweep9.py, test_sweep10.py): a fixture holds parameterEstimates(),
standardizedSolution(), fitMeasures(), residuals() and modindices() as written by
tests/reference/sem_sweep9/make_reference.R (and its successors)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    MI_ATOL,
    MI_RTOL,
    RESID_ATOL,
    assert_close,
)

CHISQ_LIKE = ("chisq", "logl", "aic", "bic", "fmin", "cn_0")
# the baseline model's chi-square and the indices built on it: lavaan's baseline keeps
# wrong fixed.x covariate variances when the data's variances differ by orders of
# magnitude (tests/sem/test_sweep9.py, LifeCycleSavings)
BASELINE_FAMILY = {"baseline_chisq", "baseline_pvalue", "baseline_chisq_scaled",
                   "baseline_pvalue_scaled", "baseline_chisq_scaling_factor", "cfi", "tli",
                   "nnfi", "rfi", "nfi", "pnfi", "pnfi_scaled", "ifi", "rni", "cfi_scaled", "tli_scaled",
                   "nnfi_scaled", "rfi_scaled", "nfi_scaled", "ifi_scaled", "rni_scaled",
                   "cfi_robust", "tli_robust", "nnfi_robust", "rni_robust"}
# measures the engine reports that fitMeasures() does not
OURS_ONLY = {"loglik", "unrestricted_loglik", "ntotal", "shift_parameter",
             "chisq_shift_parameters", "baseline_chisq_shift_parameters"}


def groups_of(r) -> list:
    return list(r.values()) if isinstance(r, dict) else list(r)


def keys_of(tab: pd.DataFrame) -> list[tuple]:
    return list(zip(tab["lhs"], tab["op"], tab["rhs"], tab["group"].astype(int), strict=True))


def table_of(rows: dict) -> pd.DataFrame:
    """A fixture's parameter table without its constraint rows (==, <, >)."""
    tab = pd.DataFrame(rows)
    tab["rhs"] = tab["rhs"].fillna("")
    return tab[~tab["op"].isin(["==", "<", ">"])]


def raw_scale(res, g: int, names: list[str]) -> np.ndarray:
    """The implied SDs of ``names`` in group ``g`` (raw residuals are compared on them)."""
    sig = res.model.implied(res.x)[g].sigma
    idx = [res.model.ov_names.index(v) for v in names]
    return np.sqrt(np.diag(sig)[idx])


def _finite_or_nan(values) -> np.ndarray:
    """jsonlite writes R's Inf and -Inf as null, as NA: ours +-inf (e.g. the std.all mean
    of a factor whose variance is fixed at 0, lavaan's -Inf too) is compared as NaN."""
    a = np.asarray(values, dtype=float)
    return np.where(np.isinf(a), np.nan, a)


def compare_estimates(res, ref: dict, name: str) -> None:
    """est, se and std.all of every parameter, by (lhs, op, rhs, group)."""
    assert res.converged
    pe = table_of(ref["params"])
    ours = res.params.set_index(["lhs", "op", "rhs", "group"])
    keys = keys_of(pe)
    assert len(ours) == len(keys) and all(k in ours.index for k in keys)
    for col in ("est", "se", "std_all"):
        if col == "std_all":
            pe = table_of(ref["std"])
            keys = keys_of(pe)
        want = pe["est.std" if col == "std_all" else col].to_numpy(float)
        assert_close(_finite_or_nan(ours.loc[keys, col]), want, atol=EST_ATOL,
                     rtol=EST_RTOL, what=f"{name} {col}")


def compare_standardized(res, ref: dict, name: str) -> None:
    """standardizedSolution(type = "std.all"): estimates and delta-method SEs."""
    st = table_of(ref["std"])
    sol = res.standardized_solution("std.all").set_index(["lhs", "op", "rhs", "group"])
    keys = keys_of(st)
    assert_close(_finite_or_nan(sol.loc[keys, "est_std"]), st["est.std"].to_numpy(float),
                 atol=EST_ATOL, rtol=EST_RTOL, what=f"{name} std.all")
    assert_close(sol.loc[keys, "se"].to_numpy(float), st["se"].to_numpy(float),
                 atol=EST_ATOL, rtol=EST_RTOL, what=f"{name} se of std.all")


def compare_fit(res, ref: dict, name: str, known: Iterable[str] = ()) -> None:
    """Every fitMeasures() value but ``known`` (chi-square-like ones to 0.1 %, the rest
    to 1e-3), and nothing the engine reports that lavaan does not define."""
    fm = dict(res.fit)
    known = set(known)
    lav = {k.replace(".", "_"): v for k, v in ref["fit"].items()}
    for key, val in lav.items():
        if key in known:
            continue
        if key in ("cn_05", "cn_01") and lav["df"] == 0:
            # README: Hoelter's CN at df = 0 (lavaan: NA, or 1 after rounding error)
            assert math.isnan(fm[key]) and val in (None, 1)
            continue
        if val is None:
            assert key not in fm or not np.isfinite(fm[key]), f"{name} {key}: {fm[key]}"
            continue
        assert key in fm, f"{name}: {key} missing (lavaan {val})"
        if any(t in key for t in CHISQ_LIKE):
            assert_close(fm[key], val, atol=1e-6, rtol=CHISQ_RTOL, what=f"{name} {key}")
        else:
            assert_close(fm[key], val, atol=FIT_ATOL, what=f"{name} {key}")
    extra = {k for k in set(fm) - set(lav) - OURS_ONLY if np.isfinite(fm[k])}
    assert not extra, f"{name}: measures lavaan does not define: {sorted(extra)}"


def compare_residuals(res, ref: dict, name: str, *, skip_kinds: Iterable[str] = (),
                      skip_cells: Iterable[tuple[str, str]] = ()) -> None:
    """raw (relative to the implied SDs), standardized and normalized residuals (those
    lavaan could not compute, e.g. standardized ones with ``cluster=``, are not
    compared)."""
    raw_ref = groups_of(ref["resid_raw"]["groups"])
    skip_kinds = set(skip_kinds)
    if "error" in ref["resid_normalized"]:  # the z-values' zero mask comes from it
        skip_kinds |= {"standardized", "normalized"}
    else:
        norm_ref = groups_of(ref["resid_normalized"]["groups"])
    skip_cells = list(skip_cells)
    for kind in ("raw", "standardized", "normalized"):
        if kind in skip_kinds or "error" in ref[f"resid_{kind}"]:
            continue
        got_all = list(res.residuals(kind).values())
        for g, (got, want) in enumerate(zip(got_all, groups_of(ref[f"resid_{kind}"]["groups"]),
                                            strict=True)):
            names = want["names"]
            cov = np.asarray(want["cov"], dtype=float)
            ours = got["cov"].loc[names, names].to_numpy()
            for a, b in skip_cells:
                i, j = names.index(a), names.index(b)
                ours = ours.copy()
                ours[i, j] = ours[j, i] = cov[i, j] = cov[j, i] = 0.0
            what = f"{name} {kind} cov, group {g + 1}"
            if kind == "raw":
                sd = raw_scale(res, g, names)
                assert_close(ours / np.outer(sd, sd), cov / np.outer(sd, sd),
                             atol=RESID_ATOL, what=what)
            else:
                # a residual that is 0 up to rounding has no z-value to compare (module
                # docstring): lavaan's normalized value below 1e-3 marks it
                zero = np.abs(np.asarray(norm_ref[g]["cov"], dtype=float)) < 1e-3
                assert_close(np.where(zero, 0.0, ours), np.where(zero, 0.0, cov),
                             atol=EST_ATOL, rtol=EST_RTOL, what=what)
            for part in ("mean", "th"):
                if part not in want or got[part] is None:
                    if part in want:  # no mean structure here: lavaan's are zeros
                        w = pd.Series(want[part], dtype=float)
                        assert np.all(np.abs(w.to_numpy()) < RESID_ATOL), (name, part)
                    continue
                # lavaan's standardized means of latent responses have no SE: its vector
                # is recycled past the variables; compare the variables' entries
                w = pd.Series(want[part], dtype=float)
                w = w[[k for k in w.index if k in got[part].index]]
                a, e = got[part].loc[w.index].to_numpy(float), w.to_numpy()
                if kind == "raw":
                    scale = (raw_scale(res, g, list(w.index)) if part == "mean"
                             else np.ones(len(w)))
                    assert_close(a / scale, e / scale, atol=RESID_ATOL,
                                 what=f"{name} raw {part}, group {g + 1}")
                else:
                    zero = np.abs(pd.Series(norm_ref[g][part], dtype=float)
                                  .reindex(w.index).to_numpy()) < 1e-3
                    zero |= np.abs(pd.Series(raw_ref[g][part], dtype=float)
                                   .reindex(w.index).to_numpy()) < 1e-5
                    assert_close(np.where(zero, 0.0, a), np.where(zero, 0.0, e),
                                 atol=EST_ATOL, rtol=EST_RTOL,
                                 what=f"{name} {kind} {part}, group {g + 1}")


def compare_modindices(res, ref: dict, name: str) -> None:
    """modindices(): the same candidates; mi, epc and sepc.all."""
    mi = pd.DataFrame(ref["modindices"])
    ours = res.modindices()
    if mi.empty:  # a saturated model: no candidates
        assert ours.empty
        return
    mi["rhs"] = mi["rhs"].fillna("")
    ours = ours.set_index(["lhs", "op", "rhs", "group"])
    keys = keys_of(mi)
    assert set(ours.index) == set(keys)
    for col, lav in (("mi", "mi"), ("epc", "epc"), ("sepc_all", "sepc.all")):
        assert_close(ours.loc[keys, col].to_numpy(float), mi[lav].to_numpy(float),
                     atol=MI_ATOL, rtol=MI_RTOL, what=f"{name} {col}")


class SweepFixtures:
    """The fixtures of one sweep folder (``tests/reference/<folder>``): their data files,
    the engine's fit of each with the fixture's lavaan options, both cached.  Shared by
    sweeps 11-13, whose loaders had been three copies."""

    def __init__(self, folder: str) -> None:
        from functools import cache

        from analysis.sem import cfa, growth, sem
        from tests.parity import REFERENCE_DIR

        self.folder = folder
        self.ref = REFERENCE_DIR / folder
        self.front_doors = {"sem": sem, "cfa": cfa, "growth": growth}
        self.data = cache(self._data)
        self.case = cache(self._case)

    @staticmethod
    def kwargs(options: dict) -> dict:
        """A fixture's lavaan options as the engine's keyword arguments."""
        from tests.parity import r_options

        out = r_options(options)
        if isinstance(out.get("group_partial"), str):  # jsonlite: a one-element vector
            out["group_partial"] = [out["group_partial"]]
        out.pop("optim_method", None)  # lavaan's optimizer: the engine has its own
        if out.pop("conditional_x", False):  # FALSE is the engine's only mode
            raise AssertionError("conditional.x = TRUE is not an engine option")
        return out

    def _data(self, file: str) -> pd.DataFrame:
        return pd.read_csv(self.ref / "data" / file)

    def fit(self, ref: dict):
        """The engine's fit of one fixture (raw data, or a covariance matrix with
        sample.nobs)."""
        fun = self.front_doors[ref["fun"]]
        opts = self.kwargs(ref["options"])
        if "cov" in ref:
            S = self.data(ref["cov"])
            S.index = S.columns
            return fun(ref["model"], sample_cov=S, sample_nobs=int(ref["sample_nobs"]),
                       **opts)
        return fun(ref["model"], self.data(ref["data"]), **opts)

    def _case(self, name: str):
        import warnings

        from tests.parity import load_reference

        ref = load_reference(f"{self.folder}/{name}.json")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = self.fit(ref)
        return res, ref


def as_list(w) -> list[str]:
    """jsonlite writes a single warning as a string, none as an empty list."""
    return [w] if isinstance(w, str) else list(w or [])


def without(params, names) -> list:
    """The pytest parameters whose case is not in ``names``."""
    return [p for p in params if getattr(p, "values", [p])[0] not in names]
