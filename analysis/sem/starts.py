"""Start values (step 3b) and the retry safety net of the estimators.

The default starts follow lavaan's "simple"/"default" scheme: each factor's
loadings from the non-iterative FABIN 3 estimator applied to the covariance
matrix of its indicators (so a reverse-keyed marker gives the other loadings
the right sign), residual variances half the observed variances, regressions
and covariances zero, intercepts the sample means, thresholds from the marginal
proportions.  When a fit stops without converging, :func:`alternative_starts`
supplies further deterministic starts to try before the fit is declared
non-converged.

# In R: lavaan:::lav_start(); lavaan:::lav_cfa_1fac_fabin(S, method = "fabin3")
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# lavaan keeps each start loading within what a latent variance of at least 10 % of the
# marker's variance allows (``bounds = TRUE`` of its FABIN code)
_LOWER_PSI_SHARE = 0.1


@dataclass(frozen=True)
class OneFactorStart:
    """Non-iterative one-factor solution used as start values.

    ``lambda_`` are the loadings (marker first, 1 unless ``std_lv``), ``psi`` the latent
    variance (1 with ``std_lv``), ``neg_triad`` True when three indicators have a
    covariance pattern no single factor can reproduce (product of the covariances < 0).
    """

    lambda_: np.ndarray
    psi: float
    neg_triad: bool = False


def _three_indicator(S: np.ndarray, std_lv: bool) -> OneFactorStart:
    """Exact one-factor solution for at most three indicators (lavaan's 3-indicator rule)."""
    nvar = S.shape[0]
    if nvar == 1:
        S3 = np.ones((3, 3))
    elif nvar == 2:
        extra = np.array([np.mean(np.diag(S)), S[1, 0]])
        S3 = np.zeros((3, 3))
        S3[:2, :2] = S
        S3[2, :2] = S3[:2, 2] = extra
        S3[2, 2] = np.max(np.diag(S))
    else:
        S3 = S
    s11, s22, s33 = S3[0, 0], S3[1, 1], S3[2, 2]
    s21, s31, s32 = S3[1, 0], S3[2, 0], S3[2, 1]
    neg_triad = bool(s21 * s31 * s32 < 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        psi = s21 * s31 / s32
        l2 = s32 / s31
        l3 = s32 / s21
    lower = _LOWER_PSI_SHARE * s11
    psi = float(min(max(psi, lower), s11)) if np.isfinite(psi) else lower
    b2, b3 = np.sqrt(s22 / lower), np.sqrt(s33 / lower)
    l2 = float(np.clip(l2, -b2, b2)) if np.isfinite(l2) else 1.0
    l3 = float(np.clip(l3, -b3, b3)) if np.isfinite(l3) else 1.0
    lam = np.array([1.0, l2, l3])
    if std_lv:
        lam = lam * np.sqrt(abs(psi))
        psi = 1.0
    if nvar == 2:
        return OneFactorStart(lam[:2], psi / 2.0, neg_triad)
    return OneFactorStart(lam[:nvar], psi, neg_triad)


def fabin3(S: np.ndarray, *, std_lv: bool = False) -> OneFactorStart:
    """FABIN 3 loadings of a one-factor model (Hägglund 1982), marker = first variable.

    Loading ``i`` is the instrumental-variable estimate using all indicators other
    than ``i`` and the marker as instruments; each loading is bounded by
    ``sqrt(s_ii / (0.1 s_11))``.  The latent variance follows from the loadings by
    the unweighted least-squares formula.  Fewer than four indicators use the exact
    three-indicator solution.

    # In R: lavaan:::lav_cfa_1fac_fabin(S, method = "fabin3", std.lv = std.lv)
    """
    S = np.asarray(S, dtype=float)
    nvar = S.shape[0]
    if nvar < 4:
        return _three_indicator(S, std_lv)
    lam = np.ones(nvar)
    for i in range(1, nvar):
        idx3 = [k for k in range(nvar) if k not in (0, i)]
        s23 = S[i, idx3]
        s31 = S[idx3, 0]
        try:
            w = np.linalg.solve(S[np.ix_(idx3, idx3)], s31)
            lam[i] = float(s23 @ w) / float(s31 @ w)
        except np.linalg.LinAlgError:
            lam[i] = float(s23 @ s31) / float(s31 @ s31)
    lower = S[0, 0] * _LOWER_PSI_SHARE
    bound = np.sqrt(np.diag(S) / lower)
    lam[1:] = np.clip(lam[1:], -bound[1:], bound[1:])
    lam[~np.isfinite(lam)] = 1.0
    # residual variances and latent variance given the loadings (lavaan's closed form)
    D = np.outer(lam, lam) / float(lam @ lam)
    try:
        theta = np.linalg.solve(np.eye(nvar) - D * D, np.diag(S - D @ S @ D))
        S1 = S - np.diag(theta)
        l2 = float(lam @ lam)
        psi = float(lam @ S1 @ lam) / (l2 * l2)
    except np.linalg.LinAlgError:
        psi = float("nan")
    if not np.isfinite(psi):
        psi = lower
    if std_lv:
        lam = lam * np.sign(psi) * np.sqrt(abs(psi))
        psi = 1.0
    return OneFactorStart(lam, psi)


def alternative_starts(model, stats, x_default: np.ndarray, *, n_perturbed: int = 3,
                       seed: int = 20240521) -> list[tuple[str, np.ndarray]]:
    """Further start vectors for a fit that did not converge from ``x_default``.

    In order: lavaan's plain starts (unit loadings, latent variances 0.05: far from any
    data-driven solution but always admissible), starts from the correlation metric
    (standardised loadings 0.7), and ``n_perturbed`` deterministic random perturbations
    of the default start (loadings and regressions jittered, variances scaled), from a
    fixed seed so that a refit gives the same result.

    Returns a list of ``(description, x)``.
    """
    pt = model.partable
    free = pt[pt["xid"] >= 0]
    ops = free.groupby("xid")["op"].first().reindex(range(model.n_free)).to_numpy()
    lhs = free.groupby("xid")["lhs"].first().reindex(range(model.n_free)).to_numpy()
    rhs = free.groupby("xid")["rhs"].first().reindex(range(model.n_free)).to_numpy()
    user = free.groupby("xid")["start_user"].first().reindex(range(model.n_free)).to_numpy()
    lv = set(model.lv_names)
    is_load = ops == "=~"
    is_var = (ops == "~~") & (lhs == rhs)
    is_lv_var = is_var & np.isin(lhs, list(lv))
    is_reg = ops == "~"
    out: list[tuple[str, np.ndarray]] = []

    plain = x_default.copy()
    plain[is_load] = 1.0
    plain[is_lv_var] = 0.05
    plain[is_reg] = 0.0
    out.append(("lavaan's plain starts (unit loadings, latent variances 0.05)", plain))

    # correlation metric: loadings 0.7 scaled by the indicator's standard deviation
    corr = x_default.copy()
    sd = {}
    for gi, st in enumerate(stats):
        for a, v in enumerate(model.ov_names):
            sd.setdefault((v, gi + 1), float(np.sqrt(max(st.cov[a, a], 1e-8))))
    grp = free.groupby("xid")["group"].first().reindex(range(model.n_free)).to_numpy()
    for k in np.flatnonzero(is_load):
        s = sd.get((rhs[k], int(grp[k])))
        corr[k] = 0.7 * s if s else 0.7
    corr[is_lv_var] = 1.0
    out.append(("standardised starts (loadings 0.7 SD, latent variances 1)", corr))

    rng = np.random.default_rng(seed)
    for r in range(n_perturbed):
        x = x_default.copy()
        jitter = rng.uniform(-0.5, 0.5, size=x.size)
        x[is_load] = x[is_load] * (1.0 + jitter[is_load])
        x[is_reg] = x[is_reg] + 0.2 * jitter[is_reg]
        x[is_var] = x[is_var] * np.exp(jitter[is_var])
        # one random stream for all of them: each start is its next draw (the message
        # had given every start "(seed 20240521)", as if they were one start thrice)
        out.append((f"perturbed start {r + 1} (draw {r + 1} of {n_perturbed} from "
                    f"seed {seed})", x))
    keep = np.isfinite(user)
    for _, x in out:
        x[keep] = user[keep]
    return out


def retry_from_other_starts(backend, model, stats, options, state):
    """Refit a non-converged ``state`` from :func:`alternative_starts`; the safety net.

    The first start that converges wins and the state says which one it was; if none
    does, the original state is kept and its warning lists every start tried, so a
    non-converged fit is never reported without saying what was attempted.
    """
    from dataclasses import replace

    from analysis.errors import EstimationError

    x_default = model.x_start(list(stats))
    tried = ["lavaan-style default starts (FABIN 3)"]
    # every start is tried: two starts ending non-converged at the same fit value are not
    # proof that no start converges (the default, plain and standardised starts share
    # the loadings' signs and can slide down the same wrong-sign ridge, while a perturbed
    # start finds the proper minimum; a review of session 16 found 3 such seeds in 130)
    for label, x0 in alternative_starts(model, stats, x_default):
        tried.append(label)
        try:
            new = backend(model, stats, options, start=x0)
        except EstimationError:
            continue
        if new.converged:
            note = (f"The estimation did not converge from the default start values; it "
                    f"converged from {label} after trying: {'; '.join(tried[:-1])}.")
            return replace(new, warnings=tuple(new.warnings) + (note,),
                           extra={**dict(new.extra or {}), "start_tried": tuple(tried)})
    note = (f"The estimation did not converge from any of {len(tried)} starts tried ("
            f"{'; '.join(tried)}); the estimates and fit statistics are not valid and are "
            "reported as missing.")
    return replace(state, warnings=tuple(state.warnings) + (note,),
                   extra={**dict(state.extra or {}), "start_tried": tuple(tried)})
