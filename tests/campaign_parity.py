"""The randomized parity campaign against lavaan: load its cases and compare one fit.

Fixtures: ``tests/reference/campaign`` (made by ``make_campaign.R`` there).  Used by
``tests/sem/test_campaign.py`` and ``benchmarks/campaign_bench.py``.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tests.parity import CHISQ_RTOL, EST_ATOL, EST_RTOL, FIT_ATOL, REFERENCE_DIR, close_enough

CAMPAIGN_DIR = REFERENCE_DIR / "campaign"
# fit measures compared per estimator (lavaan names; ours with '.' -> '_')
_CHISQ_KEYS = {"ML": ("chisq",), "MLR": ("chisq", "chisq.scaled"),
               "WLSMV": ("chisq", "chisq.scaled")}
# log-likelihoods and information criteria: to 0.01 absolute (a relative tolerance on a
# log-likelihood of -10,000 would allow whole units)
_LOGL_KEYS = {"ML": ("logl", "aic", "bic"), "MLR": ("logl", "aic", "bic"), "WLSMV": ()}
LOGL_ATOL = 0.01
_INDEX_KEYS = {"ML": ("npar", "pvalue", "cfi", "tli", "rmsea", "srmr"),
               "MLR": ("npar", "pvalue", "cfi", "tli", "rmsea", "srmr", "pvalue.scaled",
                       "chisq.scaling.factor", "cfi.scaled", "tli.scaled", "rmsea.scaled",
                       "cfi.robust", "tli.robust", "rmsea.robust"),
               "WLSMV": ("npar", "pvalue", "cfi", "tli", "rmsea", "srmr", "df.scaled",
                         "pvalue.scaled", "chisq.scaling.factor", "cfi.scaled", "tli.scaled",
                         "rmsea.scaled")}


@dataclass
class CaseOutcome:
    """What one campaign fit gave: ``status`` is ``ok``, ``fail`` or ``skip``."""

    case_id: int
    estimator: str
    missing: str
    status: str
    problems: list[str] = field(default_factory=list)
    iterations: int = 0
    seconds: float = float("nan")
    lavaan_iterations: float = float("nan")
    lavaan_seconds: float = float("nan")


def load_campaign(folder: Path = CAMPAIGN_DIR) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``cases``, ``fits`` and ``estimates`` tables of the campaign in ``folder``.

    The default is the committed campaign; a fresh one (``make_campaign.R`` with
    ``CAMPAIGN_SEED``, ``CAMPAIGN_N`` and ``CAMPAIGN_OUT``) is read from its own folder.
    """
    folder = Path(folder)
    cases = pd.read_csv(folder / "cases.csv", keep_default_na=False,
                        na_values=["NA", ""]).set_index("id")
    fits = pd.read_csv(folder / "fits.csv", keep_default_na=False, na_values=["NA", ""])
    est = pd.read_csv(folder / "estimates.csv.gz", keep_default_na=False,
                      na_values=["NA", ""])
    est["rhs"] = est["rhs"].fillna("").astype(str)  # intercept rows have an empty rhs
    return cases, fits, est


def _text(v) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def fit_case(case: pd.Series, fit: pd.Series, folder: Path = CAMPAIGN_DIR):
    """Our fit of one campaign case with lavaan's call (estimator, missing, groups)."""
    from analysis.blas import blas_threads
    from analysis.sem import sem

    data = pd.read_csv(Path(folder) / "data" / str(case["file"]))
    ordered = [v for v in _text(case["ordered"]).split(",") if v]
    kwargs = dict(estimator=str(fit["estimator"]), missing=str(fit["missing"]),
                  ordered=ordered or None)
    if int(case["ngroups"]) > 1:
        kwargs["group"] = "g"
        kwargs["group_equal"] = tuple(v for v in _text(case["group_equal"]).split(",") if v)
    # one BLAS thread: the campaign's matrices are small, and threads only contend
    with blas_threads(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sem(str(case["model"]), data, **kwargs)


def run_case(case: pd.Series, fit: pd.Series, ref_est: pd.DataFrame,
             folder: Path = CAMPAIGN_DIR) -> CaseOutcome:
    """Fit one campaign case (data under ``folder``) with our engine; compare with lavaan."""
    from analysis.blas import blas_threads
    from analysis.errors import AllianceSurveyError

    cid, estimator, missing = int(fit["id"]), str(fit["estimator"]), str(fit["missing"])
    out = CaseOutcome(cid, estimator, missing, "ok",
                      lavaan_iterations=float(fit["iterations"]),
                      lavaan_seconds=float(fit["wall"]))
    if not bool(fit["converged"]):
        out.status = "skip"
        out.problems.append(f"lavaan did not converge: {_text(fit.get('error'))}")
        return out
    t0 = time.perf_counter()
    try:
        res = fit_case(case, fit, folder)
        with blas_threads(1):
            params, fm = res.params, dict(res.fit)
    except AllianceSurveyError as exc:
        out.status = "fail"
        out.problems.append(f"error where lavaan fitted: {exc}")
        return out
    out.seconds = time.perf_counter() - t0
    out.iterations = int(res.state.iterations)
    if not res.converged:
        out.status = "fail"
        out.problems.append("did not converge where lavaan did")
        return out
    ref = ref_est[(ref_est["id"] == cid) & (ref_est["estimator"] == estimator)]
    ref = ref[~ref["op"].isin([":=", "==", "<", ">"])]
    ours = params.set_index(["lhs", "op", "rhs", "group"])
    keys = list(zip(ref["lhs"], ref["op"], ref["rhs"], ref["group"].astype(int), strict=True))
    have = [k in ours.index for k in keys]
    if not all(have):
        miss = [" ".join(map(str, k)) for k, h in zip(keys, have, strict=True) if not h]
        out.problems.append(f"rows lavaan has and we lack: {miss[:5]}")
    sel = ref[np.array(have, dtype=bool)]
    k_sel = [k for k, h in zip(keys, have, strict=True) if h]
    for col in ("est", "se"):
        a = ours.loc[k_sel, col].to_numpy(float)
        e = sel[col].to_numpy(float)
        ok = close_enough(a, e, atol=EST_ATOL, rtol=EST_RTOL)
        if not ok.all():
            bad = np.flatnonzero(~ok)
            worst = bad[np.argmax(np.abs(a[bad] - e[bad]))]
            out.problems.append(
                f"{int((~ok).sum())} of {ok.size} {col} differ; worst "
                f"{' '.join(map(str, k_sel[worst]))}: ours {a[worst]:.6g} lavaan {e[worst]:.6g}")
    if float(fm.get("df", np.nan)) != float(fit["df"]):
        out.problems.append(f"df {fm.get('df')} vs lavaan {fit['df']}")
    for k in _CHISQ_KEYS[estimator]:
        e = float(fit[k])
        a = float(fm.get(k.replace(".", "_"), np.nan))
        if np.isfinite(e) and not close_enough(a, e, atol=1e-8, rtol=CHISQ_RTOL):
            out.problems.append(f"{k}: ours {a:.6g} lavaan {e:.6g}")
    for k in _LOGL_KEYS[estimator]:
        e = float(fit[k])
        a = float(fm.get(k.replace(".", "_"), np.nan))
        if np.isfinite(e) and not close_enough(a, e, atol=LOGL_ATOL, rtol=0.0):
            out.problems.append(f"{k}: ours {a:.10g} lavaan {e:.10g}")
    for k in _INDEX_KEYS[estimator]:
        e = float(fit[k])
        a = float(fm.get(k.replace(".", "_"), np.nan))
        if np.isfinite(e) and not close_enough(a, e, atol=FIT_ATOL, rtol=0.0):
            out.problems.append(f"{k}: ours {a:.6g} lavaan {e:.6g}")
    if out.problems:
        out.status = "fail"
    return out


def run_campaign(ids=None, folder: Path = CAMPAIGN_DIR) -> list[CaseOutcome]:
    """Run (a subset of) the campaign in ``folder``; one outcome per lavaan fit."""
    cases, fits, est = load_campaign(folder)
    if ids is not None:
        fits = fits[fits["id"].isin(list(ids))]
    return [run_case(cases.loc[int(f["id"])], f, est, folder) for _, f in fits.iterrows()]
