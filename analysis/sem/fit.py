"""Fit measures computed generically from FitStates (model and baseline).

Names as lavaan's ``fitMeasures()`` with ``.`` replaced by ``_``.  Robust /
scaled entries are used when a backend provides ``chisq_scaled`` etc.; a backend
may also put finished robust measures (``cfi_robust``, ``rmsea_robust``, ...)
into ``FitState.extra`` and they are passed through.

# In R: lavaan::fitMeasures(fit)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import optimize, stats

from .model import CompiledModel, SampleStats, vech_indices


def _cfi(x2, df, bx2, bdf) -> float:
    num = max(x2 - df, 0.0)
    den = max(x2 - df, bx2 - bdf, 0.0)
    if den == 0:
        return 1.0
    return 1.0 - num / den


def _tli(x2, df, bx2, bdf) -> float:
    if df <= 0 or bdf <= 0:
        return 1.0
    t1 = bx2 / bdf
    if t1 == 1.0:
        return float("nan")
    return (t1 - x2 / df) / (t1 - 1.0)


def rmsea_ci(x2: float, df: float, n: int, ngroups: int, level: float = 0.90,
             close: float = 0.05) -> tuple[float, float, float, float]:
    """RMSEA with lavaan's confidence interval and p(close-fit) (H0: RMSEA <= .05).

    Returns ``(rmsea, lower, upper, pvalue)``.
    """
    if df <= 0:
        return 0.0, 0.0, 0.0, float("nan")
    g = float(ngroups)
    rmsea = np.sqrt(max(x2 / n / df - 1.0 / n, 0.0)) * np.sqrt(g)
    lo_p, up_p = (1 + level) / 2, (1 - level) / 2

    def solve(target):
        def f(lam: float) -> float:
            if lam > 0:
                return stats.ncx2.cdf(x2, df, lam) - target
            return stats.chi2.cdf(x2, df) - target

        if f(0.0) < 0:
            return 0.0
        hi = max(x2, 1.0)
        while f(hi) > 0:
            hi *= 2
        return optimize.brentq(f, 0.0, hi, xtol=1e-12)

    lam_l = solve(lo_p)
    lam_u = solve(up_p)
    lower = np.sqrt(lam_l / (n * df)) * np.sqrt(g)
    upper = np.sqrt(lam_u / (n * df)) * np.sqrt(g)
    ncp = n * df * close ** 2 / g
    pclose = float(stats.ncx2.sf(x2, df, ncp))
    return float(rmsea), float(lower), float(upper), pclose


def srmr_values(model: CompiledModel, x: np.ndarray, data: list[SampleStats],
                ) -> dict[str, float]:
    """Residual-based indices as lavaan: SRMR (Bentler: standardized by the sample SDs),
    SRMR (Mplus), CRMR (correlation residuals without the diagonal), RMR, GFI family.

    With a mean structure the ``*_nomean`` variants leave the means out.  Multigroup
    values are the n-weighted means over groups (as lavaan).
    """
    ntot = sum(st.n for st in data)
    keys = ("srmr_bentler", "srmr_bentler_nomean", "rmr", "rmr_nomean", "crmr", "crmr_nomean",
            "srmr_mplus", "srmr_mplus_nomean", "gfi")
    acc = dict.fromkeys(keys, 0.0)

    def rms(*parts):
        v = np.concatenate(parts)
        return float(np.sqrt(np.mean(v ** 2))) if v.size else 0.0

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


def fit_measures(model: CompiledModel, state, data: list[SampleStats]) -> dict[str, Any]:
    """All fit measures for a fitted model (lavaan ``fitMeasures`` names, '.' -> '_')."""
    t = state.test
    x2, df = float(t["chisq"]), float(t["df"])
    ntot = int(sum(st.n for st in data))
    G = model.n_groups
    out: dict[str, Any] = {"npar": float(model.n_free), "fmin": float(state.fmin),
                           "chisq": x2, "df": df, "pvalue": float(t.get("pvalue", np.nan))}
    scaled = "chisq_scaled" in t and np.isfinite(t.get("chisq_scaled", np.nan))
    if scaled:
        for k in ("chisq_scaled", "df_scaled", "pvalue_scaled", "scaling_factor",
                  "shift_parameter"):
            if k in t:
                out[k.replace("scaling_factor", "chisq_scaling_factor")] = float(t[k])
    b = state.baseline
    if b is not None:
        bx2, bdf = float(b.test["chisq"]), float(b.test["df"])
        out.update(baseline_chisq=bx2, baseline_df=bdf,
                   baseline_pvalue=float(b.test.get("pvalue", np.nan)))
        out["cfi"] = _cfi(x2, df, bx2, bdf)
        out["tli"] = _tli(x2, df, bx2, bdf)
        out["nnfi"] = out["tli"]
        out["rfi"] = (1 - (x2 / df) / (bx2 / bdf)) if df > 0 and bdf > 0 else float("nan")
        out["nfi"] = (bx2 - x2) / bx2 if bx2 > 0 else float("nan")
        out["pnfi"] = df / bdf * out["nfi"] if bdf > 0 else float("nan")
        out["ifi"] = (bx2 - x2) / (bx2 - df) if bx2 != df else float("nan")
        out["rni"] = 1 - (x2 - df) / (bx2 - bdf) if bx2 != bdf else float("nan")
        if scaled and "chisq_scaled" in b.test:
            sx2, sdf = float(t["chisq_scaled"]), float(t["df_scaled"])
            bsx2, bsdf = float(b.test["chisq_scaled"]), float(b.test["df_scaled"])
            out.update(baseline_chisq_scaled=bsx2, baseline_df_scaled=bsdf,
                       baseline_pvalue_scaled=float(b.test.get("pvalue_scaled", np.nan)))
            out["cfi_scaled"] = _cfi(sx2, sdf, bsx2, bsdf)
            out["tli_scaled"] = _tli(sx2, sdf, bsx2, bsdf)
    ll, ll1 = float(state.loglik), float(state.loglik_h1)
    npar = float(model.n_free)
    out["logl"] = ll
    out["unrestricted_logl"] = ll1
    out["loglik"] = ll
    out["unrestricted_loglik"] = ll1
    if np.isfinite(ll):
        out["aic"] = -2 * ll + 2 * npar
        out["bic"] = float(-2 * ll + npar * np.log(ntot))
        out["bic2"] = float(-2 * ll + npar * np.log((ntot + 2) / 24))
    else:
        out["aic"] = out["bic"] = out["bic2"] = float("nan")
    out["ntotal"] = float(ntot)
    r, lo, up, pc = rmsea_ci(x2, df, ntot, G)
    out.update(rmsea=r, rmsea_ci_lower=lo, rmsea_ci_upper=up, rmsea_pvalue=pc,
               rmsea_ci_level=0.90, rmsea_close_h0=0.05, rmsea_notclose_h0=0.08)
    out["rmsea_notclose_pvalue"] = (float(stats.ncx2.cdf(x2, df, ntot * df * 0.08 ** 2 / G))
                                    if df > 0 else float("nan"))
    # Hoelter's critical N, McDonald's fit index, expected cross-validation index
    if df > 0 and x2 > 0:
        out["cn_05"] = float(stats.chi2.ppf(0.95, df) / (x2 / ntot) + 1.0)
        out["cn_01"] = float(stats.chi2.ppf(0.99, df) / (x2 / ntot) + 1.0)
    else:
        out["cn_05"] = out["cn_01"] = float("nan")
    out["mfi"] = float(np.exp(-0.5 * (x2 - df) / ntot))
    out["ecvi"] = float(x2 / ntot + 2.0 * npar / ntot)
    if scaled:
        sx2, sdf = float(t["chisq_scaled"]), float(t["df_scaled"])
        r, lo, up, pc = rmsea_ci(sx2, sdf, ntot, G)
        out.update(rmsea_scaled=r, rmsea_ci_lower_scaled=lo, rmsea_ci_upper_scaled=up,
                   rmsea_pvalue_scaled=pc)
    if not model.ordered:
        out.update(srmr_values(model, state.x, data))
        nel = model.n_moments(exclude_fixed_x=False)
        if df > 0:
            out["agfi"] = 1.0 - nel / df * (1.0 - out["gfi"])
            out["pgfi"] = df / nel * out["gfi"]
        else:
            out["agfi"] = out["pgfi"] = float("nan")
    for k, v in dict(state.extra or {}).items():
        if isinstance(v, (int, float, np.floating)):
            out[k] = float(v)
    return out
