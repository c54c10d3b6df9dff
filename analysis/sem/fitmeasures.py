"""Fit measures, one small function per measure as lavaan's ``lav_fit_*`` functions.

Every estimator goes through the same functions: a backend returns the ingredients of
its test (``FitState.test``: statistic, df, scaling factor, shift or ``tr(U Gamma)``;
the baseline's test; ``FitState.robust`` for the robust indices; the moments the
residual measures compare) and :func:`fit_measures` computes the finished measures.
The scaled and robust variants are arguments of the same function (``c_hat``), not
copies: the *scaled* measures plug in the scaled statistics, the *robust* ones
(Brosseau-Liard, Savalei & Li 2012; Brosseau-Liard & Savalei 2014; Savalei 2021;
Zhang & Savalei 2023) pass the correction ``c_hat``.

Names as lavaan's ``fitMeasures()`` with ``.`` replaced by ``_``.

# In R: lavaan::fitMeasures(fit)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from .matrix import vech_indices
from .model import CompiledModel, SampleStats
from .state import FitState, RobustTest, WLSMoments

__all__ = [
    "cfi",
    "fit_measures",
    "incremental_indices",
    "residual_measures",
    "residual_measures_wls",
    "rmsea",
    "rmsea_ci",
    "rmsea_pvalue",
    "rni",
    "robust_measures",
    "tli",
]

# R's all.equal(x, 0) tolerance
_ALL_EQUAL = 1.5e-8
_NAN = float("nan")


def _finite(*values: float) -> bool:
    return all(v is not None and np.isfinite(v) for v in values)


def _defined(x2: float, df: float, x2_null: float, df_null: float, c_hat: float,
             c_hat_null: float) -> bool:
    """The inputs of CFI/TLI/RNI are usable: finite statistics, and scaling factors that
    are not missing.  As lavaan (R's ``anyNA``), an infinite ``c_hat`` is not missing: the
    catML correction of a saturated WLSMV model is ``tr(...) / 0``, and with ``df = 0``
    the plain formula applies anyway (the robust CFI/TLI of a saturated model)."""
    return _finite(x2, df, x2_null, df_null) and not any(
        v is None or np.isnan(v) for v in (c_hat, c_hat_null))


def _robust(df: float, c_hat: float, c_hat_null: float) -> bool:
    # lavaan applies the correction only when both factors differ from 1 and df > 0;
    # otherwise the ordinary (or, with scaled statistics, the scaled) index results
    return df > 0 and c_hat != 1 and c_hat_null != 1


# ------------------------------------------------------------------ incremental
def cfi(x2: float, df: float, x2_null: float, df_null: float,
        c_hat: float = 1.0, c_hat_null: float = 1.0) -> float:
    """Comparative fit index; robust version with ``c_hat`` and ``c_hat_null``.

    Notes
    -----
    ``1 - max(X2 - c df, 0) / max(X2 - c df, X2_0 - c_0 df_0, 0)`` with ``c = c_0 = 1``
    for the ordinary CFI (the scaled CFI plugs in scaled statistics); 1 when both
    terms are zero.

    # In R: lavaan:::lav_fit_cfi(X2, df, X2.null, df.null, c.hat, c.hat.null)
    """
    if not _defined(x2, df, x2_null, df_null, c_hat, c_hat_null):
        return _NAN
    if not _robust(df, c_hat, c_hat_null):
        c_hat = c_hat_null = 1.0
    t1 = max(x2 - c_hat * df, 0.0)
    t2 = max(x2 - c_hat * df, x2_null - c_hat_null * df_null, 0.0)
    if abs(t1) < _ALL_EQUAL and abs(t2) < _ALL_EQUAL:
        return 1.0
    return float(1.0 - t1 / t2)


def tli(x2: float, df: float, x2_null: float, df_null: float,
        c_hat: float = 1.0, c_hat_null: float = 1.0) -> float:
    """Tucker-Lewis index (= NNFI); robust version with ``c_hat`` and ``c_hat_null``.

    Notes
    -----
    ``1 - ((X2 - c df) df_0) / ((X2_0 - c_0 df_0) df)``; 1 when ``df = 0`` or the
    baseline term is zero (e.g. ``df_0 = 0``).

    # In R: lavaan:::lav_fit_tli(X2, df, X2.null, df.null, c.hat, c.hat.null)
    """
    if not _defined(x2, df, x2_null, df_null, c_hat, c_hat_null):
        return _NAN
    if not _robust(df, c_hat, c_hat_null):
        c_hat = c_hat_null = 1.0
    t1 = (x2 - c_hat * df) * df_null
    t2 = (x2_null - c_hat_null * df_null) * df
    if df > 0 and abs(t2) > 0:
        return float(1.0 - t1 / t2)
    return 1.0


def rni(x2: float, df: float, x2_null: float, df_null: float,
        c_hat: float = 1.0, c_hat_null: float = 1.0) -> float:
    """Relative noncentrality index (the CFI without truncation).

    # In R: lavaan:::lav_fit_rni(X2, df, X2.null, df.null, c.hat, c.hat.null)
    """
    if not _defined(x2, df, x2_null, df_null, c_hat, c_hat_null):
        return _NAN
    if not _robust(df, c_hat, c_hat_null):
        c_hat = c_hat_null = 1.0
    t1, t2 = x2 - c_hat * df, x2_null - c_hat_null * df_null
    if abs(t2) < _ALL_EQUAL:
        return _NAN
    return float(1.0 - t1 / t2)


def incremental_indices(x2: float, df: float, x2_null: float, df_null: float,
                        ) -> dict[str, float]:
    """NFI, PNFI, RFI and IFI (pass scaled statistics for the ``_scaled`` versions).

    # In R: lavaan:::lav_fit_nfi(...), lav_fit_pnfi, lav_fit_rfi, lav_fit_ifi
    """
    if not _finite(x2, df, x2_null, df_null):
        return {"nfi": _NAN, "pnfi": _NAN, "rfi": _NAN, "ifi": _NAN}
    if df > df_null or abs(x2_null) < _ALL_EQUAL:
        nfi = _NAN
    elif df > 0:
        nfi = (x2_null - x2) / x2_null
    else:
        nfi = 1.0
    pnfi = (df / df_null) * ((x2_null - x2) / x2_null) if df_null > 0 and x2_null > 0 else _NAN
    if df > df_null:
        rfi = _NAN
    elif df > 0 and df_null > 0:
        t1, t2 = x2_null / df_null - x2 / df, x2_null / df_null
        rfi = 1.0 if (t1 < 0 or t2 < 0) else t1 / t2
    else:
        rfi = 1.0
    t1, t2 = x2_null - x2, x2_null - df
    if t2 < 0:
        ifi = 1.0
    elif abs(t2) < _ALL_EQUAL:
        ifi = _NAN
    else:
        ifi = t1 / t2
    return {"nfi": float(nfi), "pnfi": float(pnfi), "rfi": float(rfi), "ifi": float(ifi)}


def _incremental_all(x2: float, df: float, x2_null: float, df_null: float,
                     c_hat: float = 1.0, c_hat_null: float = 1.0) -> dict[str, float]:
    out = {"cfi": cfi(x2, df, x2_null, df_null, c_hat, c_hat_null),
           "tli": tli(x2, df, x2_null, df_null, c_hat, c_hat_null)}
    out["nnfi"] = out["tli"]
    return out


# ------------------------------------------------------------------------ RMSEA
def rmsea(x2: float, df: float, n: float, g: int = 1, c_hat: float = 1.0) -> float:
    """Root mean square error of approximation.

    Notes
    -----
    ``sqrt(G) sqrt(max(X2 / (N df) - c / N, 0))``, 0 when ``df = 0``; ``c = 1`` for the
    ordinary RMSEA, ``c_hat`` for the robust RMSEA.  The scaled RMSEA of a
    Yuan-Bentler test is ``rmsea(X2, tr(U Gamma), N)``.

    # In R: lavaan:::lav_fit_rmsea(X2, df, N, g = G, c.hat = c.hat)
    """
    # a saturated model's RMSEA is 0 even where its c_hat is undefined (the robust RMSEA
    # of MLR with df = 0), as in lavaan
    if not _finite(x2, df, n):
        return _NAN
    if df <= 0:
        return 0.0
    if not _finite(c_hat):
        return _NAN
    return float(np.sqrt(max(x2 / n / df - c_hat / n, 0.0)) * np.sqrt(g))


def rmsea_ci(x2: float, df: float, n: float, g: int = 1, c_hat: float = 1.0,
             level: float = 0.90) -> tuple[float, float]:
    """Confidence interval of the RMSEA from the noncentral chi-square.

    For the robust RMSEA pass the scaled statistic as ``x2`` and its ``c_hat``.

    Notes
    -----
    The noncentrality ``lambda`` with ``P(chi2(df, lambda) <= X2)`` equal to
    ``(1 + level) / 2`` (lower limit, searched on ``[0, X2]``) or ``(1 - level) / 2``
    (upper limit, on ``[0, max(N, 4 X2)]``) gives ``sqrt(lambda / (N df)) sqrt(c) sqrt(G)``;
    a limit is 0 when ``df < 1`` or no root exists.

    # In R: lavaan:::lav_fit_rmsea_ci(X2, df, N, g = G, c.hat = c.hat, level = 0.90)
    """
    # as lavaan, c_hat is not checked: with df < 1 both limits are 0 (a saturated model's
    # robust interval although its c_hat is undefined), otherwise a NaN c_hat gives NaN
    if not _finite(x2, df, n):
        return _NAN, _NAN
    upper_p = 1.0 - (1.0 - level) / 2.0
    lower_p = (1.0 - level) / 2.0

    x = max(float(x2), 0.0)  # a statistic a hair below 0 has the cdf of 0, as in scipy.stats

    def cdf(lam: float) -> float:
        # scipy.stats' chi2.cdf and ncx2.cdf are these two functions behind argument
        # checks that cost 50 times the value; brentq calls this dozens of times per fit
        if lam <= 0:
            return float(special.chdtr(df, x))
        return float(special.chndtr(x, df, lam))

    def limit(target: float, hi: float) -> float:
        try:
            lam = optimize.brentq(lambda v: cdf(v) - target, 0.0, hi, xtol=1e-12)
        except ValueError:
            return _NAN
        return float(np.sqrt(lam / (n * df)) * np.sqrt(c_hat) * np.sqrt(g))

    lower = 0.0 if df < 1 or cdf(0.0) - upper_p < 0 else limit(upper_p, x2)
    n_rmsea = max(n, x2 * 4)
    if df < 1 or cdf(n_rmsea) - lower_p > 0 or cdf(0.0) - lower_p < 0:
        upper = 0.0
    else:
        upper = limit(lower_p, n_rmsea)
    return lower, upper


def rmsea_pvalue(x2: float, df: float, n: float, g: int = 1, c_hat: float = 1.0,
                 h0: float = 0.05, close: bool = True) -> float:
    """p-value of the test of close fit (``close=True``, H0: RMSEA <= h0) or, with
    ``close=False``, of not-close fit (H0: RMSEA >= h0).

    # In R: lavaan:::lav_fit_rmsea_closefit(...); lav_fit_rmsea_notclosefit(...)
    """
    if not _finite(x2, df, n, c_hat) or df <= 0:
        return _NAN
    ncp = (n * df / c_hat * h0**2) / g
    if close:
        return float(stats.ncx2.sf(x2, df, ncp)) if ncp > 0 else float(stats.chi2.sf(x2, df))
    return float(stats.ncx2.cdf(x2, df, ncp)) if ncp > 0 else float(stats.chi2.cdf(x2, df))


def _rmsea_block(x2: float, df: float, n: float, g: int, c_hat: float = 1.0,
                 x2_ci: float | None = None, suffix: str = "") -> dict[str, float]:
    """RMSEA, its interval and the close / not-close tests under lavaan's names."""
    x2_ci = x2 if x2_ci is None else x2_ci
    lo, hi = rmsea_ci(x2_ci, df, n, g, c_hat)
    return {f"rmsea{suffix}": rmsea(x2, df, n, g, c_hat),
            f"rmsea_ci_lower{suffix}": lo, f"rmsea_ci_upper{suffix}": hi,
            f"rmsea_pvalue{suffix}": rmsea_pvalue(x2_ci, df, n, g, c_hat),
            f"rmsea_notclose_pvalue{suffix}": rmsea_pvalue(x2_ci, df, n, g, c_hat, h0=0.08,
                                                           close=False)}


# ---------------------------------------------------------------- residual based
def residual_measures(model: CompiledModel, x: np.ndarray, data: list[SampleStats],
                      ) -> dict[str, float]:
    """Residual-based measures of continuous data: SRMR (Bentler: standardized by the
    sample SDs), SRMR (Mplus), CRMR (correlation residuals without the diagonal), RMR
    and GFI.

    With a mean structure the ``*_nomean`` variants leave the means out.  Multigroup
    values are the n-weighted means over groups (as lavaan).

    # In R: fitMeasures(fit, c("srmr", "srmr_bentler", "crmr", "rmr", "gfi"))
    """
    ntot = sum(st.n for st in data)
    keys = ("srmr_bentler", "srmr_bentler_nomean", "rmr", "rmr_nomean", "crmr", "crmr_nomean",
            "srmr_mplus", "srmr_mplus_nomean", "gfi")
    acc = dict.fromkeys(keys, 0.0)

    def rms(*parts):
        # nothing to average (the correlations of a single variable): NaN, as lavaan
        v = np.concatenate(parts)
        return float(np.sqrt(np.mean(v ** 2))) if v.size else _NAN

    for imp, st in zip(model.implied(x), data, strict=True):
        S, sig = st.cov, imp.sigma
        p = S.shape[0]
        i, j = vech_indices(p)
        lo_i, lo_j = np.tril_indices(p, -1)
        so, si = np.sqrt(np.diag(S)), np.sqrt(np.diag(sig))
        res = S - sig
        v_cov = (res / np.outer(so, so))[i, j]
        v_raw = res[i, j]
        cor_res = S / np.outer(so, so) - sig / np.outer(si, si)
        off = cor_res[lo_i, lo_j]
        diag_m = (np.diag(S) - np.diag(sig)) / np.diag(S)
        # GFI: 1 - e'We / s'Ws with lavaan's ML weight; moments of the fixed.x
        # covariates alone are left out of s (lavaan)
        sinv = np.linalg.inv(sig)
        xs = [model.ov_names.index(v) for v in model.ov_x]
        s_mod = S.copy()
        mean_mod = st.mean.copy()
        if xs:
            s_mod[np.ix_(xs, xs)] = 0.0
            mean_mod[xs] = 0.0
        a = sinv @ res
        b = sinv @ s_mod
        num = 0.5 * np.sum(a * a.T)
        den = 0.5 * np.sum(b * b.T)
        if model.meanstructure and imp.mu is not None:
            m_res = st.mean - imp.mu
            m_obs = m_res / so
            m_mplus = st.mean / so - imp.mu / si
            num += m_res @ sinv @ m_res
            den += mean_mod @ sinv @ mean_mod
        else:
            m_res = m_obs = m_mplus = np.zeros(0)
        w = st.n / ntot
        acc["srmr_bentler"] += w * rms(v_cov, m_obs)
        acc["srmr_bentler_nomean"] += w * rms(v_cov)
        acc["rmr"] += w * rms(v_raw, m_res)
        acc["rmr_nomean"] += w * rms(v_raw)
        acc["crmr"] += w * rms(off, m_obs)
        acc["crmr_nomean"] += w * rms(off)
        acc["srmr_mplus"] += w * rms(off, diag_m, m_mplus)
        acc["srmr_mplus_nomean"] += w * rms(off, diag_m)
        acc["gfi"] += w * (1.0 - num / den)
    acc["srmr"] = acc["srmr_bentler"]
    return {k: float(v) for k, v in acc.items()}


def gfi_missing(model: CompiledModel, x: np.ndarray, data: list[SampleStats]) -> float:
    """GFI of a full-information (``missing = "ml"``) fit, as lavaan computes it.

    ``1 - e'Ve / s'Vs`` per group (n-weighted mean over groups), where ``s`` holds the
    available-case means and the pairwise covariances (divisor ``N``: the pairwise ones
    times ``(N - 1) / N``), ``e = s - implied``, and ``V`` is the expected information
    under the missing-data patterns at the implied moments: the pattern-frequency
    weighted mean of the complete-data ML weight of each pattern's observed variables.
    Moments of the fixed.x covariates alone are left out (zero weight), as in lavaan.

    # In R: fitMeasures(fit, "gfi")   # missing = "ml": lav_fit_gfi() with
    #   lavInspect(fit, "wls.obs") and lavInspect(fit, "wls.v")
    """
    ntot = sum(st.n for st in data)
    xs = [model.ov_names.index(v) for v in model.ov_x]
    gfi = 0.0
    for imp, st in zip(model.implied(x), data, strict=True):
        y = np.asarray(st.data, dtype=float)
        n = y.shape[0]
        mean = np.nanmean(y, axis=0)
        cov = pd.DataFrame(y).cov(min_periods=2).to_numpy() * (n - 1) / n
        sig = imp.sigma
        mu = imp.mu if imp.mu is not None else mean
        e_cov, o_cov = cov - sig, cov.copy()
        e_mean, o_mean = mean - mu, mean.copy()
        if xs:
            for a in (e_cov, o_cov):
                a[np.ix_(xs, xs)] = 0.0
            e_mean[xs] = o_mean[xs] = 0.0
        obs = np.isfinite(y)
        pats, freq = np.unique(obs, axis=0, return_counts=True)
        num = den = 0.0
        for pat, f in zip(pats, freq, strict=True):
            idx = np.flatnonzero(pat)
            if not idx.size:
                continue
            sinv = np.zeros_like(sig)
            sinv[np.ix_(idx, idx)] = np.linalg.inv(sig[np.ix_(idx, idx)])
            w = f / n
            a, b = sinv @ e_cov, sinv @ o_cov
            num += w * (0.5 * np.sum(a * a.T) + e_mean @ sinv @ e_mean)
            den += w * (0.5 * np.sum(b * b.T) + o_mean @ sinv @ o_mean)
        gfi += st.n / ntot * (1.0 - num / den)
    return float(gfi)


def residual_measures_wls(m: WLSMoments, n_ov: int) -> dict[str, float]:
    """Residual-based measures of a least-squares fit to ordered (or mixed) data.

    Correlation residuals; thresholds count with residual 0 in the denominators of the
    "with mean" variants; continuous variables add their standardized means and
    variances.  Per group, weighted by ``N_g / N``.  Returns ``srmr``, ``srmr_bentler``,
    ``srmr_bentler_nomean``, ``rmr``, ``rmr_nomean``, ``crmr``, ``crmr_nomean``, ``gfi``
    and ``n_stats`` (the number of statistics over all groups, for AGFI and PGFI).

    # In R: fitMeasures(fit, c("srmr", "crmr", "rmr", "gfi"))   # estimator = "WLSMV"
    """
    p = n_ov
    n_thresholds = m.n_thresholds
    num = np.asarray(m.continuous_index, dtype=int)
    mpos = np.asarray(m.mean_positions, dtype=int)
    nn = len(num)
    n_th_ord = n_thresholds - 2 * nn  # ordered thresholds only
    ii, jj = np.tril_indices(p, -1)
    order = np.lexsort((ii, jj))
    ii, jj = ii[order], jj[order]
    e1 = p * (p + 1) / 2
    e2 = p * (p - 1) / 2
    keys = ("srmr", "srmr_bentler", "crmr", "crmr_nomean", "rmr", "rmr_nomean", "gfi")
    res = dict.fromkeys(keys, 0.0)
    ntot = sum(m.nobs)
    k_all = 0
    for n, s_, sig, w in zip(m.nobs, m.obs, m.est, m.w_diag, strict=True):
        s_ = np.asarray(s_, dtype=float)
        sig = np.asarray(sig, dtype=float)
        e = s_ - sig
        w = np.asarray(w, dtype=float)
        # variances: 1 for ordered, the variance block for continuous variables
        vs, ve = np.ones(p), np.ones(p)
        vs[num] = s_[n_thresholds - nn:n_thresholds]
        ve[num] = sig[n_thresholds - nn:n_thresholds]
        cs = s_[n_thresholds:] / np.sqrt(vs[ii] * vs[jj])
        ce = sig[n_thresholds:] / np.sqrt(ve[ii] * ve[jj])
        rc2 = float(np.sum((cs - ce) ** 2))
        rv = float(np.sum(((vs[num] - ve[num]) / vs[num]) ** 2))
        # "mean" residuals: the thresholds of ordered variables (unit scale) and the
        # standardized means of continuous ones
        th_pos = np.setdiff1d(np.arange(n_thresholds - nn), mpos)
        rth = float(np.sum(e[th_pos] ** 2))
        rm = rth + float(np.sum((-s_[mpos] / np.sqrt(vs[num])
                                 + sig[mpos] / np.sqrt(ve[num])) ** 2))
        raw2 = float(np.sum(e[n_thresholds:] ** 2))
        rv_raw = float(np.sum((vs[num] - ve[num]) ** 2))
        rm_raw = rth + float(np.sum(e[mpos] ** 2))
        f = n / ntot
        res["srmr"] += f * np.sqrt((rc2 + rv) / e1)
        res["srmr_bentler"] += f * np.sqrt((rc2 + rv + rm) / (e1 + n_th_ord))
        res["crmr_nomean"] += f * np.sqrt(rc2 / e2)
        res["crmr"] += f * np.sqrt((rc2 + rm) / (e2 + n_th_ord))
        res["rmr_nomean"] += f * np.sqrt((raw2 + rv_raw) / e1)
        res["rmr"] += f * np.sqrt((raw2 + rv_raw + rm_raw) / (e1 + n_th_ord))
        res["gfi"] += f * (1.0 - np.sum(w * e * e) / np.sum(w * s_ * s_))
        k_all += len(e)
    out = {k: float(v) for k, v in res.items()}
    out["srmr_bentler_nomean"] = out["srmr"]
    out["n_stats"] = float(k_all)
    return out


# ------------------------------------------------------------------- all of them
def _sample_size(state: FitState, data: list[SampleStats]) -> tuple[int, int]:
    """``(N, N used by RMSEA, MFI and Hoelter's CN)``: lavaan takes ``N - G`` for the
    least-squares estimators."""
    ntot = int(state.ntotal) if state.ntotal is not None else int(sum(st.n for st in data))
    return ntot, (ntot - len(data) if state.wls is not None else ntot)


def _scaled_rmsea_inputs(t: Any) -> tuple[float, float]:
    """The statistic and df of the scaled RMSEA: the scaled-and-shifted statistic on its
    df, or the unscaled statistic on ``tr(U Gamma)`` for a scaled (Yuan-Bentler) test."""
    if "shift_parameter" in t:
        df2 = float(t.get("df_scaled", _NAN))
        if not np.isfinite(df2) or df2 == 0:
            df2 = float(t["df"])
        return float(t["chisq_scaled"]), df2
    df2 = float(t.get("trace_ugamma", _NAN))
    return float(t["chisq"]), (df2 if np.isfinite(df2) and df2 != 0 else _NAN)


def robust_measures(r: RobustTest, df: float, g: int) -> dict[str, float]:
    """The ``*_robust`` CFI, TLI, RNI and RMSEA (with interval and tests) from a
    backend's :class:`~analysis.sem.state.RobustTest`; ``df`` is the model test's.

    # In R: fitMeasures(fit, c("cfi.robust", "tli.robust", "rmsea.robust"))
    """
    out = {"cfi_robust": cfi(r.chisq, df, r.chisq_null, r.df_null, r.c_hat, r.c_hat_null),
           "tli_robust": tli(r.chisq, df, r.chisq_null, r.df_null, r.c_hat, r.c_hat_null)}
    out["nnfi_robust"] = out["tli_robust"]
    out["rni_robust"] = rni(r.chisq, df, r.chisq_null, r.df_null, r.c_hat, r.c_hat_null)
    out.update(_rmsea_block(r.chisq, r.df, r.n, g, r.c_hat, x2_ci=r.chisq_scaled,
                            suffix="_robust"))
    return out


_STATISTICS = frozenset({"chisq", "chisq_scaled"})


def fit_measures(model: CompiledModel, state: FitState, data: list[SampleStats],
                 ) -> dict[str, float]:
    """All fit measures of a fitted model (lavaan ``fitMeasures`` names, ``.`` -> ``_``).

    # In R: lavaan::fitMeasures(fit)
    """
    # lavaan sets a negative statistic (rounding at a saturated fit, e.g. -9e-14) to 0
    t = {k: (max(float(v), 0.0) if k in _STATISTICS else v) for k, v in state.test.items()}
    x2, df = float(t["chisq"]), float(t["df"])
    ntot, n = _sample_size(state, data)
    g = model.n_groups
    npar = float(model.n_free)
    out: dict[str, float] = {"npar": npar, "fmin": float(state.fmin), "chisq": x2, "df": df,
                             "pvalue": float(t.get("pvalue", _NAN))}
    scaled = np.isfinite(t.get("chisq_scaled", _NAN))
    if scaled:
        out.update(chisq_scaled=float(t["chisq_scaled"]), df_scaled=float(t["df_scaled"]),
                   pvalue_scaled=float(t["pvalue_scaled"]),
                   chisq_scaling_factor=float(t["scaling_factor"]))
        if "shift_parameter" in t:
            out["shift_parameter"] = float(t["shift_parameter"])
            out["chisq_shift_parameters"] = float(t["shift_parameter"])
        for k in ("scaling_factor_h1", "scaling_factor_h0"):
            if k in t:
                out[k] = float(t[k])
    b = state.baseline
    if b is not None:
        bt = {k: (max(float(v), 0.0) if k in _STATISTICS else v) for k, v in b.test.items()}
        bx2, bdf = float(bt["chisq"]), float(bt["df"])
        out.update(baseline_chisq=bx2, baseline_df=bdf,
                   baseline_pvalue=float(bt.get("pvalue", _NAN)))
        out.update(_incremental_all(x2, df, bx2, bdf))
        out.update(incremental_indices(x2, df, bx2, bdf))
        out["rni"] = rni(x2, df, bx2, bdf)
        if scaled and np.isfinite(bt.get("chisq_scaled", _NAN)):
            sx2, sdf = float(t["chisq_scaled"]), float(t["df_scaled"])
            bsx2, bsdf = float(bt["chisq_scaled"]), float(bt["df_scaled"])
            out.update(baseline_chisq_scaled=bsx2, baseline_df_scaled=bsdf,
                       baseline_pvalue_scaled=float(bt.get("pvalue_scaled", _NAN)),
                       baseline_chisq_scaling_factor=float(bt.get("scaling_factor", _NAN)))
            if "shift_parameter" in bt:
                out["baseline_chisq_shift_parameters"] = float(bt["shift_parameter"])
            sc = _incremental_all(sx2, sdf, bsx2, bsdf)
            sc.update(incremental_indices(sx2, sdf, bsx2, bsdf))
            sc["rni"] = rni(sx2, sdf, bsx2, bsdf)
            out.update({f"{k}_scaled": v for k, v in sc.items()})
    ll, ll1 = float(state.loglik), float(state.loglik_h1)
    out.update(logl=ll, unrestricted_logl=ll1, loglik=ll, unrestricted_loglik=ll1)
    if np.isfinite(ll):
        out["aic"] = -2 * ll + 2 * npar
        out["bic"] = float(-2 * ll + npar * np.log(ntot))
        out["bic2"] = float(-2 * ll + npar * np.log((ntot + 2) / 24))
    else:
        out["aic"] = out["bic"] = out["bic2"] = _NAN
    out["ntotal"] = float(ntot)
    out.update(_rmsea_block(x2, df, n, g))
    out.update(rmsea_ci_level=0.90, rmsea_close_h0=0.05, rmsea_notclose_h0=0.08)
    # Hoelter's critical N, McDonald's fit index, expected cross-validation index
    if df > 0 and x2 > 0:
        out["cn_05"] = float(stats.chi2.ppf(0.95, df) / (x2 / n) + 1.0)
        out["cn_01"] = float(stats.chi2.ppf(0.99, df) / (x2 / n) + 1.0)
    else:
        out["cn_05"] = out["cn_01"] = _NAN
    out["mfi"] = float(np.exp(-0.5 * (x2 - df) / n))
    if not model.ordered:
        # lavaan defines the ECVI for continuous data only (not with ordered variables)
        out["ecvi"] = float(x2 / ntot + 2.0 * npar / ntot)
    if scaled:
        out.update(_rmsea_block(*_scaled_rmsea_inputs(t), n, g, suffix="_scaled"))
    if state.robust is not None:
        out.update(robust_measures(state.robust, df, g))
    if state.wls is not None:
        res = residual_measures_wls(state.wls, model.n_ov)
        k_all = res.pop("n_stats")
        out.update(res)
        # lavaan divides by the number of statistics of one group (not of all groups)
        out["wrmr"] = float(np.sqrt(x2 / len(state.wls.obs[0])))
        # lavaan: AGFI = 1 for a saturated model (df = 0)
        out["agfi"] = (float(1.0 - (k_all / df) * (1.0 - res["gfi"])) if df > 0 else 1.0) \
            if np.isfinite(res["gfi"]) else _NAN
        out["pgfi"] = float(df / k_all * res["gfi"])
    elif not model.ordered:
        h1 = list(state.h1) if state.h1 is not None else data
        out.update(residual_measures(model, state.x, h1))
        if any(st.data is not None and np.isnan(st.data).any() for st in data):
            out["gfi"] = gfi_missing(model, state.x, data)
        nel = model.n_moments(exclude_fixed_x=False)
        # lavaan: AGFI = 1 and PGFI = 0 for a saturated model (df = 0)
        out["agfi"] = (1.0 - nel / df * (1.0 - out["gfi"]) if df > 0 else 1.0) \
            if np.isfinite(out["gfi"]) else _NAN
        out["pgfi"] = df / nel * out["gfi"] if nel > 0 else _NAN
    return out
