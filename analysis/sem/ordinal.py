"""Sample statistics for ordered (Likert) items: thresholds, polychorics and their ACM.

This is the first stage of WLSMV estimation.  For every ordered variable the
thresholds of an underlying standard-normal response are estimated from the
marginal proportions (step 1); for every pair of variables the polychoric
correlation is estimated by maximum likelihood with the thresholds held fixed
at their step-1 values (step 2, the two-step approach of Olsson 1979).  The
asymptotic covariance matrix of (thresholds, polychorics) follows Muthén
(1984): casewise scores of the univariate and bivariate log-likelihoods, and a
sandwich through the block-triangular Jacobian of the two estimating equations.

The numbers agree with lavaan 0.6 (``lavInspect(fit, "sampstat")``,
``"wls.obs"``, ``"gamma"``, ``"wls.v"``) for complete data without exogenous
covariates.

Notes
-----
Ordering of the statistics (lavaan's WLS order for an all-ordered model): the
thresholds of variable 1, of variable 2, ...; then the polychoric correlations
in column-major order of the strict lower triangle,
``(2,1), (3,1), ..., (p,1), (3,2), ...``.

Categories that are not observed in the data are dropped (the remaining
categories are renumbered in their order), exactly as lavaan does when it
turns a numeric column into an ordered factor.

References
----------
Muthén, B. (1984). A general structural equation model with dichotomous,
ordered categorical, and continuous latent variable indicators.
Psychometrika, 49, 115-132.

Olsson, U. (1979). Maximum likelihood estimation of the polychoric
correlation coefficient. Psychometrika, 44, 443-460.

Genz, A. (2004). Numerical computation of rectangular bivariate and
trivariate normal and t probabilities. Statistics and Computing, 14, 251-260.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr

from instruments.errors import DataError, EstimationError

__all__ = [
    "OrdinalStats",
    "bivariate_normal_cdf",
    "bivariate_normal_pdf",
    "ordinal_sample_stats",
    "polychoric",
]

_TWO_PI = 2.0 * np.pi


def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n)
    return x, w


# Fixed quadrature rules (computed, not stored state that changes): 6, 12 and 20 points.
_GL = {n: _gauss_legendre(n) for n in (6, 12, 20)}


def bivariate_normal_pdf(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Standard bivariate normal density with correlation ``rho``; 0 at infinite arguments.

    # In R: mvtnorm::dmvnorm(cbind(h, k), sigma = matrix(c(1, rho, rho, 1), 2))
    """
    h, k, rho = np.broadcast_arrays(
        np.asarray(h, dtype=float), np.asarray(k, dtype=float), np.asarray(rho, dtype=float)
    )
    out = np.zeros(h.shape)
    ok = np.isfinite(h) & np.isfinite(k)
    if ok.any():
        hh, kk, rr = h[ok], k[ok], rho[ok]
        one_r2 = 1.0 - rr * rr
        q = (hh * hh - 2.0 * rr * hh * kk + kk * kk) / one_r2
        out[ok] = np.exp(-0.5 * q) / (_TWO_PI * np.sqrt(one_r2))
    return out


def _bvn_upper(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(X > h, Y > k) for finite h, k and |r| < 1 (Drezner-Wesolowsky / Genz 2004)."""
    out = np.empty(h.shape)
    absr = np.abs(r)
    hk = h * k
    # Regime 1: |r| < 0.925, integrate over asin(r).
    low = absr < 0.925
    if low.any():
        hl, kl, rl, hkl = h[low], k[low], r[low], hk[low]
        res = np.empty(hl.shape)
        hs = 0.5 * (hl * hl + kl * kl)
        asr = np.arcsin(rl)
        ar = np.abs(rl)
        for npts, sel in ((6, ar < 0.3), (12, (ar >= 0.3) & (ar < 0.75)), (20, ar >= 0.75)):
            if not sel.any():
                continue
            x, w = _GL[npts]
            sn = np.sin(asr[sel, None] * (1.0 + x[None, :]) * 0.5)
            terms = np.exp((sn * hkl[sel, None] - hs[sel, None]) / (1.0 - sn * sn))
            res[sel] = (terms @ w) * asr[sel] / (2.0 * _TWO_PI)
        out[low] = res + ndtr(-hl) * ndtr(-kl)
    high = ~low
    if high.any():
        x, w = _GL[20]
        hh, kk, rr = h[high], k[high].copy(), r[high]
        hkh = hk[high].copy()
        neg = rr < 0
        kk[neg] = -kk[neg]
        hkh[neg] = -hkh[neg]
        bvn = np.zeros(hh.shape)
        inner = absr[high] < 1.0
        if inner.any():
            hi, ki, ri, hki = hh[inner], kk[inner], rr[inner], hkh[inner]
            a_s = (1.0 - ri) * (1.0 + ri)
            a = np.sqrt(a_s)
            bs = (hi - ki) ** 2
            c = (4.0 - hki) / 8.0
            d = (12.0 - hki) / 16.0
            asr = -(bs / a_s + hki) / 2.0
            val = np.where(
                asr > -100.0,
                a * np.exp(asr) * (1.0 - c * (bs - a_s) * (1.0 - d * bs / 5.0) / 3.0
                                   + c * d * a_s * a_s / 5.0),
                0.0,
            )
            b = np.sqrt(bs)
            sp = np.sqrt(_TWO_PI) * ndtr(-b / a)
            val = val - np.where(
                hki > -100.0,
                np.exp(-hki / 2.0) * sp * b * (1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0),
                0.0,
            )
            a2 = a / 2.0
            xs = (a2[:, None] * (x[None, :] + 1.0)) ** 2
            rs = np.sqrt(1.0 - xs)
            asr2 = -(bs[:, None] / xs + hki[:, None]) / 2.0
            sp2 = 1.0 + c[:, None] * xs * (1.0 + d[:, None] * xs)
            ep = np.exp(-hki[:, None] * xs / (2.0 * (1.0 + rs) ** 2)) / rs
            with np.errstate(over="ignore", invalid="ignore"):
                term = np.where(asr2 > -100.0, np.exp(asr2) * (ep - sp2), 0.0)
            val = val + a2 * (term @ w)
            bvn[inner] = -val / _TWO_PI
        pos = rr > 0
        res = bvn.copy()
        res[pos] = bvn[pos] + ndtr(-np.maximum(hh[pos], kk[pos]))
        negm = ~pos
        if negm.any():
            hn, kn, bn = hh[negm], kk[negm], bvn[negm]
            big = hn >= kn
            lval = np.where(hn < 0, ndtr(kn) - ndtr(hn), ndtr(-hn) - ndtr(-kn))
            res[negm] = np.where(big, -bn, lval - bn)
        out[high] = res
    return np.clip(out, 0.0, 1.0)


def bivariate_normal_cdf(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Standard bivariate normal CDF ``P(X <= h, Y <= k)`` with correlation ``rho``.

    Vectorised over broadcastable arguments; infinite limits are allowed.  Uses
    Drezner & Wesolowsky's method with Genz's (2004) refinements (Gauss-Legendre
    rules of 6, 12 or 20 points), accurate to about 1e-15.

    # In R: pbivnorm::pbivnorm(h, k, rho), or mvtnorm::pmvnorm(upper = c(h, k), corr = R)
    """
    h, k, rho = np.broadcast_arrays(
        np.asarray(h, dtype=float), np.asarray(k, dtype=float), np.asarray(rho, dtype=float)
    )
    out = np.zeros(h.shape)
    finite = np.isfinite(h) & np.isfinite(k)
    # One infinite limit: marginal probabilities.
    h_pinf = np.isposinf(h)
    k_pinf = np.isposinf(k)
    any_minf = np.isneginf(h) | np.isneginf(k)
    out[h_pinf & ~any_minf] = ndtr(k[h_pinf & ~any_minf])
    kk = k_pinf & ~h_pinf & ~any_minf
    out[kk] = ndtr(h[kk])
    if finite.any():
        out[finite] = _bvn_upper(-h[finite], -k[finite], rho[finite])
    out[any_minf] = 0.0
    return out


@dataclass(frozen=True, eq=False)
class OrdinalStats:
    """Step-1/step-2 sample statistics of ordered variables (one group).

    Attributes
    ----------
    names : ordered variable names, in model order.
    nobs : number of complete cases used.
    levels : observed category values of each variable, in order.
    thresholds : thresholds of each variable.
    th_names : lavaan-style names ``"x1|t1"``.
    cor : polychoric correlation matrix (unit diagonal).
    wls_obs : the sample statistics in lavaan's WLS order.
    gamma : the asymptotic covariance matrix times ``nobs`` (lavaan's NACOV / "gamma").
    wls_v_diag : the DWLS weights ``1 / diag(gamma)`` (lavaan's diagonal "wls.v").
    th_index : for every threshold, the index of its variable.
    empty_cells : pairs whose bivariate table has empty cells, as ``(name_i, name_j)``.
    """

    names: tuple[str, ...]
    nobs: int
    levels: tuple[tuple, ...]
    thresholds: tuple[np.ndarray, ...]
    th_names: tuple[str, ...]
    cor: np.ndarray
    wls_obs: np.ndarray
    gamma: np.ndarray
    wls_v_diag: np.ndarray
    th_index: np.ndarray
    empty_cells: tuple[tuple[str, str], ...] = field(default=())

    @property
    def n_thresholds(self) -> int:
        """Total number of thresholds."""
        return len(self.th_names)

    @property
    def acov(self) -> np.ndarray:
        """Asymptotic covariance matrix of ``wls_obs`` (``gamma / nobs``)."""
        return self.gamma / self.nobs


def _encode(data: pd.DataFrame, ordered: list[str]) -> tuple[np.ndarray, list[tuple]]:
    """Integer codes 0..K-1 per variable (observed categories only), complete cases."""
    missing = [v for v in ordered if v not in data.columns]
    if missing:
        raise DataError(f"Ordered variable(s) not in data=: {', '.join(missing)}.")
    codes = []
    levels = []
    for v in ordered:
        col = data[v]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = [c for c in col.cat.categories if (col == c).any()]
            mapping = {c: i for i, c in enumerate(cats)}
            code = col.map(mapping).astype(float).to_numpy()
        else:
            num = pd.to_numeric(col, errors="coerce")
            bad = col.notna() & num.isna()
            if bad.any():
                raise DataError(
                    f"Ordered variable {v!r} has non-numeric values (e.g. {col[bad].iloc[0]!r});"
                    " recode it to ordered integers or an ordered pandas Categorical."
                )
            cats = sorted(num.dropna().unique().tolist())
            mapping = {c: i for i, c in enumerate(cats)}
            code = num.map(mapping).astype(float).to_numpy()
        if len(cats) < 2:
            raise DataError(
                f"Ordered variable {v!r} has fewer than two observed categories; "
                "drop it from the model."
            )
        codes.append(code)
        levels.append(tuple(cats))
    arr = np.column_stack(codes)
    complete = ~np.isnan(arr).any(axis=1)
    if complete.sum() < 2:
        raise DataError("Fewer than two complete cases for the ordered variables.")
    return arr[complete].astype(np.int64), levels


def _univariate(codes: np.ndarray, ncat: list[int]) -> list[np.ndarray]:
    """Step 1: thresholds ``qnorm(cumsum(proportions))``."""
    ths = []
    n = codes.shape[0]
    for j, k in enumerate(ncat):
        counts = np.bincount(codes[:, j], minlength=k).astype(float)
        ths.append(_qnorm(np.cumsum(counts)[:-1] / n))
    return ths


def _qnorm(p: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    return ndtri(p)


def _extended(th: np.ndarray) -> np.ndarray:
    return np.concatenate([[-np.inf], th, [np.inf]])


def _cell_probs(th1: np.ndarray, th2: np.ndarray, rho: float) -> np.ndarray:
    e1, e2 = _extended(th1), _extended(th2)
    cdf = bivariate_normal_cdf(e1[:, None], e2[None, :], rho)
    return cdf[1:, 1:] - cdf[:-1, 1:] - cdf[1:, :-1] + cdf[:-1, :-1]


def _cell_dprobs(th1: np.ndarray, th2: np.ndarray, rho: float) -> np.ndarray:
    """d P(cell) / d rho: the bivariate density differenced over the cell's corners."""
    e1, e2 = _extended(th1), _extended(th2)
    pdf = bivariate_normal_pdf(e1[:, None], e2[None, :], rho)
    return pdf[1:, 1:] - pdf[:-1, 1:] - pdf[1:, :-1] + pdf[:-1, :-1]


def _cell_d2probs(th1: np.ndarray, th2: np.ndarray, rho: float) -> np.ndarray:
    """d^2 P(cell) / d rho^2 from d phi2 / d rho at the corners."""
    e1, e2 = _extended(th1), _extended(th2)
    h, k = np.meshgrid(e1, e2, indexing="ij")
    pdf = bivariate_normal_pdf(h, k, rho)
    fin = np.isfinite(h) & np.isfinite(k)
    one_r2 = 1.0 - rho * rho
    dlog = np.zeros(h.shape)
    hf, kf = h[fin], k[fin]
    dq = (-2.0 * hf * kf * one_r2 + 2.0 * rho * (hf * hf - 2.0 * rho * hf * kf + kf * kf)) / (
        one_r2 * one_r2
    )
    dlog[fin] = rho / one_r2 - 0.5 * dq
    dpdf = pdf * dlog
    return dpdf[1:, 1:] - dpdf[:-1, 1:] - dpdf[1:, :-1] + dpdf[:-1, :-1]


def _polychoric_ml(
    freq: np.ndarray, th1: np.ndarray, th2: np.ndarray, start: float = 0.0
) -> tuple[float, bool]:
    """Maximise sum(freq * log P(rho)) over rho in [-0.999, 0.999] (thresholds fixed)."""
    pos = freq > 0

    def loglik(r: float) -> float:
        p = _cell_probs(th1, th2, r)
        with np.errstate(divide="ignore"):
            return float(np.sum(freq[pos] * np.log(p[pos])))

    lo, hi = -0.999, 0.999
    rho = float(np.clip(start, lo, hi))
    ll = loglik(rho)
    converged = False
    for _ in range(200):
        p = _cell_probs(th1, th2, rho)
        dp = _cell_dprobs(th1, th2, rho)
        d2p = _cell_d2probs(th1, th2, rho)
        pp = np.where(pos, p, 1.0)
        g = float(np.sum(freq[pos] * dp[pos] / pp[pos]))
        h = float(np.sum(freq[pos] * (d2p[pos] / pp[pos] - (dp[pos] / pp[pos]) ** 2)))
        info = float(np.sum(freq.sum() * dp[pos] ** 2 / pp[pos]))
        curv = h if h < 0 else -max(info, 1e-12)
        step = -g / curv
        # Backtracking line search inside the bounds.
        t = 1.0
        while True:
            new = float(np.clip(rho + t * step, lo, hi))
            new_ll = loglik(new)
            if new_ll >= ll - 1e-12 * abs(ll) or t < 1e-8:
                break
            t *= 0.5
        delta = abs(new - rho)
        rho, ll = new, new_ll
        if delta < 1e-12 or abs(g) < 1e-10 * max(1.0, freq.sum()) * 1e-3:
            converged = True
            break
        if rho in (lo, hi) and np.sign(step) == np.sign(rho):
            converged = True
            break
    return rho, converged


def _polychoric_pair(
    freq: np.ndarray,
    th1: np.ndarray,
    th2: np.ndarray,
    zero_add: tuple[float, float],
    zero_keep_margins: bool,
) -> tuple[float, bool]:
    """Polychoric correlation of one table, with lavaan's handling of empty cells."""
    freq = freq.astype(float).copy()
    nr, nc = freq.shape
    empty = bool((freq == 0).any())
    if nr == 2 and nc == 2:
        zero = np.flatnonzero(freq.ravel() == 0)
        if len(zero) == 2:
            warnings.warn(
                "Two empty cells in a 2x2 table; the tetrachoric correlation is set to +/-1.",
                stacklevel=3,
            )
            return (1.0 if freq[0, 0] > 0 else -1.0), empty
        if len(zero) == 1 and zero_add[0] > 0:
            za = zero_add[0]
            if zero_keep_margins:
                s = 1.0 if zero[0] in (0, 3) else -1.0
                freq += s * za * np.array([[1.0, -1.0], [-1.0, 1.0]])
            else:
                freq.ravel()[zero[0]] += za
    elif empty and zero_add[1] > 0:
        freq[freq == 0] = zero_add[1]
    if nr == 2 and nc == 2:
        if freq[0, 0] * freq[1, 1] == freq[0, 1] * freq[1, 0]:
            return 0.0, empty
        if th1[0] == 0 and th2[0] == 0:
            return float(-np.cos(2.0 * np.pi * freq[0, 0] / freq.sum())), empty
    rho, ok = _polychoric_ml(freq, th1, th2)
    if not ok:
        raise EstimationError(
            "The polychoric correlation did not converge for a pair of ordered variables."
        )
    return rho, empty


def polychoric(x, y) -> float:
    """Two-step polychoric (tetrachoric) correlation of two ordered variables.

    Parameters
    ----------
    x, y : array-like
        Ordered codes (numbers or an ordered categorical); missing values are dropped pairwise.

    Returns
    -------
    float
        The ML estimate of the latent correlation with thresholds fixed at
        their univariate estimates.

    # In R: lavaan::lavCor(data.frame(x, y), ordered = c("x", "y"))[1, 2]
    """
    df = pd.DataFrame({"x": x, "y": y})
    stats = ordinal_sample_stats(df, ["x", "y"], compute_gamma=False)
    return float(stats.cor[0, 1])


def _pairs(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j), i > j, in lavaan's vech order without the diagonal."""
    ii, jj = [], []
    for j in range(p - 1):
        for i in range(j + 1, p):
            ii.append(i)
            jj.append(j)
    return np.array(ii, dtype=np.int64), np.array(jj, dtype=np.int64)


def ordinal_sample_stats(
    data: pd.DataFrame,
    ordered: list[str],
    *,
    zero_add: tuple[float, float] = (0.5, 0.0),
    zero_keep_margins: bool = True,
    compute_gamma: bool = True,
) -> OrdinalStats:
    """Thresholds, polychoric correlations and their asymptotic covariance (Muthén 1984).

    Parameters
    ----------
    data : DataFrame
        The data; only the columns in ``ordered`` are used, with listwise deletion.
    ordered : list of str
        The ordered variables, in model order.  All model variables must be ordered
        (mixed ordered/continuous models, i.e. polyserial correlations, are not supported).
    zero_add : (float, float)
        lavaan's ``zero.add``: the value added to an empty cell of a 2x2 table and of a
        larger table when estimating the correlation.
    zero_keep_margins : bool
        lavaan's ``zero.keep.margins`` for 2x2 tables.
    compute_gamma : bool
        Whether to compute the asymptotic covariance matrix (needed for WLSMV).

    Returns
    -------
    OrdinalStats

    Notes
    -----
    With casewise score matrix ``S = [S_th, S_rho]`` (univariate threshold scores,
    bivariate scores of each correlation), ``A11`` the block-diagonal cross-product of
    the threshold scores per variable, ``A21`` the cross-products of each correlation
    score with the bivariate threshold scores, ``A22`` the diagonal of the correlation
    scores' squares, and ``B = [[A11, 0], [A21, A22]]``,
    ``gamma = N * B^-1 (S'S) B^-T``.

    # In R: lavInspect(cfa(model, data, ordered = ..., estimator = "WLSMV"), "gamma")
    """
    if len(set(ordered)) != len(ordered):
        raise DataError("The ordered= list names a variable more than once.")
    if len(ordered) < 2:
        raise DataError("At least two ordered variables are needed for polychoric correlations.")
    codes, levels = _encode(data, ordered)
    n, p = codes.shape
    ncat = [len(lv) for lv in levels]
    ths = _univariate(codes, ncat)
    nth = [k - 1 for k in ncat]
    th_start = np.concatenate([[0], np.cumsum(nth)[:-1]]).astype(np.int64)
    n_th = int(sum(nth))
    ii, jj = _pairs(p)
    npairs = len(ii)

    cor = np.eye(p)
    empty_pairs: list[tuple[str, str]] = []
    tables = []
    for m in range(npairs):
        i, j = ii[m], jj[m]
        freq = np.zeros((ncat[i], ncat[j]))
        np.add.at(freq, (codes[:, i], codes[:, j]), 1.0)
        tables.append(freq)
        rho, empty = _polychoric_pair(freq, ths[i], ths[j], zero_add, zero_keep_margins)
        cor[i, j] = cor[j, i] = rho
        if empty:
            empty_pairs.append((ordered[i], ordered[j]))

    th_names = tuple(f"{v}|t{t + 1}" for v, k in zip(ordered, nth, strict=True) for t in range(k))
    th_index = np.repeat(np.arange(p), nth)
    wls_obs = np.concatenate([np.concatenate(ths), cor[ii, jj]])

    if not compute_gamma:
        gamma = np.full((len(wls_obs), len(wls_obs)), np.nan)
        return OrdinalStats(
            names=tuple(ordered), nobs=n, levels=tuple(levels), thresholds=tuple(ths),
            th_names=th_names, cor=cor, wls_obs=wls_obs, gamma=gamma,
            wls_v_diag=np.full(len(wls_obs), np.nan), th_index=th_index,
            empty_cells=tuple(empty_pairs),
        )

    gamma = _muthen1984(codes, ths, th_start, n_th, ii, jj, cor, tables)
    dg = np.diag(gamma).copy()
    if not np.all(np.isfinite(dg)):
        raise EstimationError("The asymptotic covariance matrix (Gamma) has non-finite entries.")
    wls_v = np.where(dg > 0, 1.0 / np.where(dg > 0, dg, 1.0), 0.0)
    return OrdinalStats(
        names=tuple(ordered), nobs=n, levels=tuple(levels), thresholds=tuple(ths),
        th_names=th_names, cor=cor, wls_obs=wls_obs, gamma=gamma, wls_v_diag=wls_v,
        th_index=th_index, empty_cells=tuple(empty_pairs),
    )


def _univariate_scores(th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per category c: the univariate score vector over the variable's thresholds, and P(c)."""
    k = len(th) + 1
    e = _extended(th)
    cdf = ndtr(e)
    prob = cdf[1:] - cdf[:-1]
    dens = np.where(np.isfinite(e), np.exp(-0.5 * np.where(np.isfinite(e), e, 0.0) ** 2)
                    / np.sqrt(_TWO_PI), 0.0)
    sc = np.zeros((k, k - 1))
    for c in range(k):
        if c < k - 1:
            sc[c, c] = dens[c + 1] / prob[c]
        if c > 0:
            sc[c, c - 1] = -dens[c] / prob[c]
    return sc, prob


def _bivariate_scores(
    th1: np.ndarray, th2: np.ndarray, rho: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell (a, b): score of rho, scores of th1 (K1 x K2 x nth1) and of th2."""
    k1, k2 = len(th1) + 1, len(th2) + 1
    e1, e2 = _extended(th1), _extended(th2)
    prob = _cell_probs(th1, th2, rho)
    dprob = _cell_dprobs(th1, th2, rho)
    r = np.sqrt(1.0 - rho * rho)
    tiny = np.sqrt(np.finfo(float).eps)
    good = prob > tiny
    inv = np.where(good, 1.0 / np.where(good, prob, 1.0), 0.0)
    sc_rho = dprob * inv

    def phi(x: np.ndarray) -> np.ndarray:
        xf = np.where(np.isfinite(x), x, 0.0)
        return np.where(np.isfinite(x), np.exp(-0.5 * xf * xf) / np.sqrt(_TWO_PI), 0.0)

    def cond(ea: np.ndarray, eb: np.ndarray) -> np.ndarray:
        # G[t, b] = phi(ea_t) * [Phi((eb_{b+1} - rho ea_t)/R) - Phi((eb_b - rho ea_t)/R)]
        # for finite ea_t (interior thresholds), all cells b of the other variable.
        ta = ea[1:-1]
        z = (eb[None, :] - rho * ta[:, None]) / r
        c = ndtr(z)
        return phi(ta)[:, None] * (c[:, 1:] - c[:, :-1])

    g1 = cond(e1, e2)  # (nth1, K2)
    g2 = cond(e2, e1)  # (nth2, K1)
    sc_t1 = np.zeros((k1, k2, k1 - 1))
    for t in range(k1 - 1):
        sc_t1[t, :, t] += g1[t] * inv[t, :]
        sc_t1[t + 1, :, t] -= g1[t] * inv[t + 1, :]
    sc_t2 = np.zeros((k1, k2, k2 - 1))
    for t in range(k2 - 1):
        sc_t2[:, t, t] += g2[t] * inv[:, t]
        sc_t2[:, t + 1, t] -= g2[t] * inv[:, t + 1]
    return sc_rho, sc_t1, sc_t2


def _muthen1984(
    codes: np.ndarray,
    ths: list[np.ndarray],
    th_start: np.ndarray,
    n_th: int,
    ii: np.ndarray,
    jj: np.ndarray,
    cor: np.ndarray,
    tables: list[np.ndarray],
) -> np.ndarray:
    n, p = codes.shape
    npairs = len(ii)
    # Univariate: casewise threshold scores and the block-diagonal A11.
    s_th = np.zeros((n, n_th))
    a11_inv = np.zeros((n_th, n_th))
    for v in range(p):
        sc, _ = _univariate_scores(ths[v])
        k = sc.shape[1]
        blk = slice(th_start[v], th_start[v] + k)
        s_th[:, blk] = sc[codes[:, v]]
        counts = np.bincount(codes[:, v], minlength=sc.shape[0]).astype(float)
        a11 = (sc * counts[:, None]).T @ sc
        try:
            a11_inv[blk, blk] = np.linalg.inv(a11)
        except np.linalg.LinAlgError as exc:
            raise EstimationError(
                "Cannot invert the threshold information of an ordered variable."
            ) from exc
    z_th = s_th @ a11_inv  # casewise influence of thresholds (A11 symmetric)
    s_rho = np.zeros((n, npairs))
    a21 = np.zeros((npairs, n_th))
    a22 = np.zeros(npairs)
    for m in range(npairs):
        i, j = ii[m], jj[m]
        sc_rho, sc_t1, sc_t2 = _bivariate_scores(ths[i], ths[j], cor[i, j])
        freq = tables[m]
        s_rho[:, m] = sc_rho[codes[:, i], codes[:, j]]
        w = freq * sc_rho
        bi = slice(th_start[i], th_start[i] + sc_t1.shape[2])
        bj = slice(th_start[j], th_start[j] + sc_t2.shape[2])
        a21[m, bi] = np.einsum("ab,abt->t", w, sc_t1)
        a21[m, bj] = np.einsum("ab,abt->t", w, sc_t2)
        a22[m] = np.sum(freq * sc_rho * sc_rho)
    if np.any(a22 == 0):
        raise EstimationError(
            "Cannot compute the asymptotic covariance of a polychoric correlation "
            "(zero information); check for constant or perfectly related items."
        )
    z_rho = (s_rho - z_th @ a21.T) / a22[None, :]
    z = np.hstack([z_th, z_rho])
    return n * (z.T @ z)
