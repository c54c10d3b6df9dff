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

Computation at large N: the likelihoods depend on the data only through the
univariate and bivariate frequency tables, so thresholds, polychorics, ``A11``,
``A21`` and ``A22`` come from the tables (all built by one ``bincount`` per block
of cases), and every column of the casewise influence matrix ``Z`` is a lookup in
a small per-variable or per-pair table.  ``gamma = N Z'Z`` is accumulated block
by block with BLAS ``dsyrk`` (about 64 MiB per block), so memory does not grow
with N beyond the data; the cost is about ``N (t + p(p-1)/2)^2 / 2`` multiply-adds.
:class:`OrdinalStatsCache` lets fits of the same data share the result.

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import ndtr

from analysis.errors import DataError, EstimationError
from analysis.io import not_numeric_error

__all__ = [
    "OrdinalStats",
    "OrdinalStatsCache",
    "bivariate_normal_cdf",
    "bivariate_normal_pdf",
    "ordinal_sample_stats",
    "polychoric",
]

_TWO_PI = 2.0 * np.pi


def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n)
    return x, w


# Fixed quadrature rules (6, 12 and 20 points), read-only.
_GL = MappingProxyType({n: _gauss_legendre(n) for n in (6, 12, 20)})
for _x, _w in _GL.values():
    _x.flags.writeable = False
    _w.flags.writeable = False


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
    names : variable names, in model order.
    nobs : number of cases used.
    levels : observed category values of each variable, in order (empty for
        continuous variables).
    thresholds : thresholds of each variable (empty for continuous variables).
    th_names : lavaan-style names ``"x1|t1"`` of the first block of ``wls_obs``
        (a continuous variable's mean is named by the variable).
    cor : polychoric / polyserial / Pearson correlation matrix (unit diagonal).
    wls_obs : the sample statistics in lavaan's WLS order.
    gamma : the asymptotic covariance matrix times ``nobs`` (lavaan's NACOV / "gamma").
    wls_v_diag : the DWLS weights ``1 / diag(gamma)`` (lavaan's diagonal "wls.v").
    th_index : for every threshold, the index of its variable.
    empty_cells : pairs whose bivariate table has empty cells, as ``(name_i, name_j)``.
    continuous : the continuous variables among ``names``.
    cov : ``cor`` with continuous variables' rows/columns scaled by their standard
        deviations (None when all variables are ordered).

    For mixed data ``wls_obs`` is ``[thresholds and minus the means in variable
    order, variances of the continuous variables, covariances (lower triangle)]``,
    exactly as lavaan's ``wls.obs``.
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
    continuous: tuple[str, ...] = field(default=())
    cov: np.ndarray | None = None

    @property
    def n_thresholds(self) -> int:
        """Length of the first block of ``wls_obs``: thresholds (and means of
        continuous variables, lavaan's "th" block)."""
        return len(self.th_names)

    @property
    def cor_start(self) -> int:
        """Index in ``wls_obs`` where the correlations/covariances begin."""
        return len(self.th_names) + len(self.continuous)

    @property
    def acov(self) -> np.ndarray:
        """Asymptotic covariance matrix of ``wls_obs`` (``gamma / nobs``)."""
        return self.gamma / self.nobs


class OrdinalStatsCache:
    """Keeps :func:`ordinal_sample_stats` results for refits of the same data.

    The polychoric statistics and their asymptotic covariance (``gamma``) do not depend
    on the model, and at large N computing ``gamma`` is the most expensive step of a
    WLSMV fit.  Models fitted to the same data (nested models, a first- and a
    second-order CFA, the levels of an invariance test) can share them: create one cache
    per analysis and pass it to every fit as ``ordinal_cache=``::

        cache = OrdinalStatsCache()
        fit1 = cfa(model1, data, estimator="WLSMV", ordered=items, ordinal_cache=cache)
        fit2 = cfa(model2, data, estimator="WLSMV", ordered=items, ordinal_cache=cache)

    Entries are keyed by the variable names, the options and a SHA-256 digest of the
    data values, so a different data set (or group) never hits another's entry.  The
    cached arrays are read-only.  The cache belongs to its creator (there is no shared
    default instance); it holds about ``8 (t + p(p-1)/2)^2`` bytes per entry.
    ``gamma_threads`` is passed to :func:`ordinal_sample_stats`.
    """

    def __init__(self, gamma_threads: int | None = None) -> None:
        self._store: dict[tuple, OrdinalStats] = {}
        self.gamma_threads = gamma_threads

    def __len__(self) -> int:
        return len(self._store)

    def clear(self) -> None:
        """Drop every entry."""
        self._store.clear()

    @staticmethod
    def _key(values: np.ndarray, names: Sequence[str], missing: str,
             continuous: Sequence[str]) -> tuple[np.ndarray, tuple]:
        import hashlib

        arr = np.ascontiguousarray(values, dtype=float)
        digest = hashlib.sha256(arr.view(np.uint8)).hexdigest()
        return arr, (tuple(names), arr.shape, str(missing), tuple(continuous), digest)

    def lookup(self, values: np.ndarray, names: Sequence[str], *, missing: str = "listwise",
               continuous: Sequence[str] = ()) -> OrdinalStats | None:
        """The statistics :meth:`stats` keeps for these data and options, or None (never
        computes: for a reader that needs only a part of them, such as the correlations)."""
        return self._store.get(self._key(values, names, missing, continuous)[1])

    def stats(self, values: np.ndarray, names: Sequence[str], *, missing: str = "listwise",
              continuous: Sequence[str] = ()) -> OrdinalStats:
        """:func:`ordinal_sample_stats` of the ``(N, p)`` array ``values`` (columns
        ``names``), computed once per distinct data and options."""
        arr, key = self._key(values, names, missing, continuous)
        hit = self._store.get(key)
        if hit is not None:
            return hit
        frame = pd.DataFrame(arr, columns=list(names))
        res = ordinal_sample_stats(frame, list(names), missing=missing, continuous=continuous,
                                   gamma_threads=self.gamma_threads)
        for name in ("cor", "wls_obs", "gamma", "wls_v_diag", "th_index", "cov"):
            a = getattr(res, name)
            if isinstance(a, np.ndarray):
                a.flags.writeable = False
        for th in res.thresholds:
            th.flags.writeable = False
        self._store[key] = res
        return res


def _encode(
    data: pd.DataFrame, ordered: list[str], missing: str = "listwise"
) -> tuple[np.ndarray, list[tuple]]:
    """Integer codes 0..K-1 per variable (observed categories only), -1 for missing.

    ``missing="listwise"`` keeps complete cases only; ``"pairwise"`` keeps every case
    with at least one answer.
    """
    absent = [v for v in ordered if v not in data.columns]
    if absent:
        raise DataError(f"Ordered variable(s) not in data=: {', '.join(absent)}.")
    if missing not in ("listwise", "pairwise"):
        raise DataError(f"missing={missing!r} is not supported here; use 'listwise' or "
                        "'pairwise'.")
    # First the rows (lavaan deletes incomplete cases before it looks at categories) ...
    present = np.column_stack([data[v].notna().to_numpy() for v in ordered])
    keep = present.all(axis=1) if missing == "listwise" else present.any(axis=1)
    if keep.sum() < 2:
        raise DataError("Fewer than two usable cases for the ordered variables.")
    sub = data.loc[keep, list(ordered)]
    # ... then the observed categories of each variable among the kept rows.
    codes = []
    levels = []
    for v in ordered:
        col = sub[v]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = [c for c in col.cat.categories if (col == c).any()]
            mapping = {c: i for i, c in enumerate(cats)}
            code = col.map(mapping).astype(float).to_numpy()
        else:
            num = pd.to_numeric(col, errors="coerce")
            bad = col.notna() & num.isna()
            if bad.any():
                raise not_numeric_error(v, col, what="Ordered variable",
                                        advice="recode it to ordered integers or an ordered "
                                        "pandas Categorical")
            if isinstance(num.dtype, np.dtype) and num.dtype.kind in "iuf":
                # numpy dtypes: sorted distinct values and their positions in one pass
                vals = num.to_numpy()
                obs = ~np.isnan(vals) if vals.dtype.kind == "f" else np.ones(len(vals), bool)
                uniq, inv = np.unique(vals[obs], return_inverse=True)
                cats = uniq.tolist()
                code = np.full(len(vals), np.nan)
                code[obs] = inv
            else:
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
    return np.where(np.isnan(arr), -1, arr).astype(np.int64), levels


def _univariate(codes: np.ndarray, ncat: list[int]) -> list[np.ndarray]:
    """Step 1: thresholds ``qnorm(cumsum(proportions))``."""
    ths = []
    for j, k in enumerate(ncat):
        col = codes[:, j]
        counts = np.bincount(col[col >= 0], minlength=k).astype(float)
        ths.append(_qnorm(np.cumsum(counts)[:-1] / counts.sum()))
    return ths


def _qnorm(p: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    return ndtri(p)


def _extended(th: np.ndarray) -> np.ndarray:
    return np.concatenate([[-np.inf], th, [np.inf]])


def _padded(ths: list[np.ndarray], kmax: int) -> np.ndarray:
    """(p, kmax + 1) extended thresholds ``[-inf, t1, ..., +inf, +inf, ...]``."""
    out = np.full((len(ths), kmax + 1), np.inf)
    out[:, 0] = -np.inf
    for v, th in enumerate(ths):
        out[v, 1:len(th) + 1] = th
    return out


def _phi(x: np.ndarray) -> np.ndarray:
    fin = np.isfinite(x)
    xf = np.where(fin, x, 0.0)
    return np.where(fin, np.exp(-0.5 * xf * xf) / np.sqrt(_TWO_PI), 0.0)


def _corners(a: np.ndarray) -> np.ndarray:
    """Rectangle sums over the last two axes: cell (a, b) from its four corners."""
    return a[..., 1:, 1:] - a[..., :-1, 1:] - a[..., 1:, :-1] + a[..., :-1, :-1]


def _grid(h: np.ndarray, k: np.ndarray, rho: np.ndarray, order: int = 0):
    """Cell probabilities (and d/drho, d2/drho2) of M tables at once.

    ``h`` (M, K1 + 1), ``k`` (M, K2 + 1) extended thresholds, ``rho`` (M,).
    """
    hh = h[:, :, None]
    kk = k[:, None, :]
    rr = rho[:, None, None]
    prob = _corners(bivariate_normal_cdf(hh, kk, rr))
    if order == 0:
        return prob, None, None
    pdf = bivariate_normal_pdf(hh, kk, rr)
    dprob = _corners(pdf)
    if order == 1:
        return prob, dprob, None
    hb, kb, rb = np.broadcast_arrays(hh, kk, rr)
    fin = np.isfinite(hb) & np.isfinite(kb)
    hf = np.where(fin, hb, 0.0)
    kf = np.where(fin, kb, 0.0)
    one_r2 = 1.0 - rb * rb
    dq = (-2.0 * hf * kf * one_r2 + 2.0 * rb * (hf * hf - 2.0 * rb * hf * kf + kf * kf)) / (
        one_r2 * one_r2
    )
    dlog = np.where(fin, rb / one_r2 - 0.5 * dq, 0.0)
    return prob, dprob, _corners(pdf * dlog)


def _polychoric_batch(
    freq: np.ndarray, h: np.ndarray, k: np.ndarray, max_iter: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """ML polychoric correlations of M tables (thresholds fixed), by safeguarded Newton.

    Maximises ``sum(freq * log P(rho))`` over ``rho`` in [-0.999, 0.999] (lavaan's bounds).
    """
    lo, hi = -0.999, 0.999
    m = freq.shape[0]
    pos = freq > 0
    rho = np.zeros(m)
    done = np.zeros(m, dtype=bool)

    def loglik(idx: np.ndarray, r: np.ndarray) -> np.ndarray:
        prob, _, _ = _grid(h[idx], k[idx], r)
        with np.errstate(divide="ignore"):
            lp = np.where(pos[idx], np.log(np.where(pos[idx], prob, 1.0)), 0.0)
        return np.sum(freq[idx] * lp, axis=(1, 2))

    ll = loglik(np.arange(m), rho)
    ntot = freq.sum(axis=(1, 2))
    for _ in range(max_iter):
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        prob, dprob, d2prob = _grid(h[act], k[act], rho[act], order=2)
        pa = pos[act]
        inv = np.where(pa, 1.0 / np.where(pa, prob, 1.0), 0.0)
        fa = freq[act]
        q = dprob * inv
        g = np.sum(fa * q, axis=(1, 2))
        hess = np.sum(fa * (d2prob * inv - q * q), axis=(1, 2))
        info = ntot[act] * np.sum(np.where(pa, dprob * q, 0.0), axis=(1, 2))
        curv = np.where(hess < 0, hess, -np.maximum(info, 1e-12))
        step = -g / curv
        t = np.ones(act.size)
        new = np.clip(rho[act] + step, lo, hi)
        new_ll = loglik(act, new)
        bad = new_ll < ll[act] - 1e-12 * np.abs(ll[act])
        for _ in range(40):
            if not bad.any():
                break
            t[bad] *= 0.5
            new[bad] = np.clip(rho[act][bad] + t[bad] * step[bad], lo, hi)
            new_ll[bad] = loglik(act[bad], new[bad])
            bad = new_ll < ll[act] - 1e-12 * np.abs(ll[act])
        moved = np.abs(new - rho[act])
        at_bound = ((new == lo) & (step < 0)) | ((new == hi) & (step > 0))
        rho[act] = new
        ll[act] = new_ll
        done[act] = (moved < 1e-12) | at_bound | (np.abs(g) < 1e-13 * np.maximum(ntot[act], 1))
    return rho, done


def _prepare_table(
    freq: np.ndarray,
    th1: np.ndarray,
    th2: np.ndarray,
    zero_add: tuple[float, float],
    zero_keep_margins: bool,
) -> tuple[np.ndarray, float | None, bool]:
    """lavaan's handling of empty cells; returns (table, closed-form rho or None, empty)."""
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
            return freq, (1.0 if freq[0, 0] > 0 else -1.0), empty
        if len(zero) == 1 and zero_add[0] > 0:
            za = zero_add[0]
            if zero_keep_margins:
                sgn = 1.0 if zero[0] in (0, 3) else -1.0
                freq += sgn * za * np.array([[1.0, -1.0], [-1.0, 1.0]])
            else:
                freq.ravel()[zero[0]] += za
        if freq[0, 0] * freq[1, 1] == freq[0, 1] * freq[1, 0]:
            return freq, 0.0, empty
        if th1[0] == 0 and th2[0] == 0:
            return freq, float(-np.cos(2.0 * np.pi * freq[0, 0] / freq.sum())), empty
    elif empty and zero_add[1] > 0:
        freq[freq == 0] = zero_add[1]
    return freq, None, empty


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


#: Elements of one block of rows in the casewise computations (about 64 MiB of float64):
#: bounds the memory of the Gamma accumulation whatever the sample size.
_BLOCK_ELEMENTS = 1 << 23


def _block_rows(n: int, width: int) -> int:
    """Rows per block: about :data:`_BLOCK_ELEMENTS` elements of ``width`` columns."""
    return min(n, max(64, _BLOCK_ELEMENTS // max(width, 1)))


def _pair_cells(c: np.ndarray, ii: np.ndarray, jj: np.ndarray, width: int, base: np.ndarray,
                table: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """Flat cell index ``base[m] + c[ii[m]] * width + c[jj[m]]`` of every pair and case
    (``c``: codes, variables x cases), or, with ``table``, ``table`` at those indices
    written to ``out``.

    For lavaan's pair order (:func:`_pairs`: ``j`` outer, ``i > j`` inner) the pairs of
    one ``j`` take the contiguous rows ``c[j + 1:]``, so no rows are gathered.
    """
    npairs = len(ii)
    if out is None:
        out = np.empty((npairs, c.shape[1]), dtype=np.intp if table is None else table.dtype)
    p = c.shape[0]
    if npairs == p * (p - 1) // 2 and np.array_equal(jj, _pairs(p)[1]):
        cw = c * width
        r0 = 0
        for j in range(p - 1):
            r1 = r0 + p - 1 - j
            idx = cw[j + 1:] + c[j]
            idx += base[r0:r1, None]
            if table is None:
                out[r0:r1] = idx
            else:
                np.take(table, idx, out=out[r0:r1])
            r0 = r1
        return out
    idx = c[ii] * width
    idx += c[jj]
    idx += base[:, None]
    if table is None:
        out[...] = idx
    else:
        np.take(table, idx, out=out)
    return out


def _pair_tables(codes: np.ndarray, kmax: int, ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
    """Bivariate frequency tables ``(npairs, kmax, kmax)`` of the pairs ``(ii, jj)``.

    All tables at once: every case's cell of every pair is one flat index (pair, row,
    column), counted by ``np.bincount`` over blocks of cases.  A missing answer
    (code -1) counts in an extra row/column that is dropped, so each table counts the
    cases answering both variables.
    """
    n, _p = codes.shape
    width = kmax + 1
    npairs = len(ii)
    cpad = _padded_codes(codes, kmax)
    base = (np.arange(npairs, dtype=np.intp) * (width * width))[:, None]
    counts = np.zeros(npairs * width * width, dtype=np.int64)
    step = _block_rows(n, npairs)
    for start in range(0, n, step):
        c = cpad[:, start:start + step]
        counts += np.bincount(_pair_cells(c, ii, jj, width, base[:, 0]).ravel(),
                              minlength=counts.size)
    return counts.reshape(npairs, width, width)[:, :kmax, :kmax].astype(float)


def _ordered_pairs(
    codes: np.ndarray,
    ths: list[np.ndarray],
    names: list[str],
    ii: np.ndarray,
    jj: np.ndarray,
    zero_add: tuple[float, float],
    zero_keep_margins: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[str, str]]]:
    """Polychoric correlations of the pairs (ii, jj) of ordered variables, all at once.

    Returns the correlations, the (padded) frequency tables, the padded extended
    thresholds of every variable and the pairs with empty cells.
    """
    ncat = [len(t) + 1 for t in ths]
    ordered = names
    npairs = len(ii)
    kmax = max(ncat)
    ext = _padded(ths, kmax)
    tables = _pair_tables(codes, kmax, ii, jj)
    few = np.flatnonzero(tables.sum(axis=(1, 2)) < 2)
    if few.size:
        i, j = ii[few[0]], jj[few[0]]
        raise DataError(
            f"The ordered variables {ordered[i]!r} and {ordered[j]!r} are answered "
            "together by fewer than two cases; their correlation cannot be estimated."
        )
    work = tables.copy()
    rho = np.full(npairs, np.nan)
    empty_pairs: list[tuple[str, str]] = []
    for m in range(npairs):
        i, j = ii[m], jj[m]
        sub = tables[m, :ncat[i], :ncat[j]]
        if not (sub == 0).any() and ncat[i] > 2 and ncat[j] > 2:
            continue
        adj, closed, empty = _prepare_table(sub, ths[i], ths[j], zero_add, zero_keep_margins)
        work[m, :ncat[i], :ncat[j]] = adj
        if closed is not None:
            rho[m] = closed
        if empty:
            empty_pairs.append((ordered[i], ordered[j]))
    todo = np.flatnonzero(np.isnan(rho))
    if todo.size:
        est, ok = _polychoric_batch(work[todo], ext[ii[todo]], ext[jj[todo]])
        if not ok.all():
            m = todo[np.flatnonzero(~ok)[0]]
            raise EstimationError(
                "The polychoric correlation did not converge for "
                f"{ordered[ii[m]]} and {ordered[jj[m]]}."
            )
        rho[todo] = est
    return rho, tables, ext, empty_pairs


def ordinal_sample_stats(
    data: pd.DataFrame,
    ordered: list[str],
    *,
    zero_add: tuple[float, float] = (0.5, 0.0),
    zero_keep_margins: bool = True,
    compute_gamma: bool = True,
    missing: str = "listwise",
    continuous: Sequence[str] = (),
    gamma_threads: int | None = None,
) -> OrdinalStats:
    """Thresholds, polychoric correlations and their asymptotic covariance (Muthén 1984).

    Parameters
    ----------
    data : DataFrame
        The data; only the columns in ``ordered`` are used, with listwise deletion.
    ordered : list of str
        The model's observed variables, in model order; all ordered unless listed in
        ``continuous``.
    zero_add : (float, float)
        lavaan's ``zero.add``: the value added to an empty cell of a 2x2 table and of a
        larger table when estimating the correlation.
    zero_keep_margins : bool
        lavaan's ``zero.keep.margins`` for 2x2 tables.
    compute_gamma : bool
        Whether to compute the asymptotic covariance matrix (needed for WLSMV).
    missing : {"listwise", "pairwise"}
        ``"listwise"`` (lavaan's default) uses complete cases only.  ``"pairwise"``
        keeps every case with at least one answer: thresholds from the available
        answers of each variable, polychorics from the cases answering both, and
        missing answers contributing zero scores to ``gamma`` (lavaan's
        ``missing = "pairwise"``); ``nobs`` is then the number of cases kept.
    continuous : sequence of str
        Variables of ``ordered`` that are continuous: their means and (ML)
        variances replace thresholds, and their correlations with ordered
        variables are polyserial, with each other Pearson (ML with the univariate
        estimates fixed), as in lavaan.
    gamma_threads : int, optional
        BLAS threads for the accumulation of ``gamma`` (default: the current setting);
        :func:`analysis.blas.usable_cores` when the rest of the analysis runs with one.

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
    if continuous:
        unknown = [v for v in continuous if v not in ordered]
        if unknown:
            raise DataError(f"continuous= names variables not in the list: {unknown}.")
        return _mixed_sample_stats(data, list(ordered), set(continuous), missing=missing,
                                   zero_add=zero_add, zero_keep_margins=zero_keep_margins)
    codes, levels = _encode(data, ordered, missing)
    n, p = codes.shape
    ncat = [len(lv) for lv in levels]
    ths = _univariate(codes, ncat)
    nth = [k - 1 for k in ncat]
    th_start = np.concatenate([[0], np.cumsum(nth)[:-1]]).astype(np.int64)
    n_th = int(sum(nth))
    ii, jj = _pairs(p)
    rho, tables, ext, empty_pairs = _ordered_pairs(codes, ths, ordered, ii, jj, zero_add,
                                                   zero_keep_margins)
    cor = np.eye(p)
    cor[ii, jj] = rho
    cor[jj, ii] = rho

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

    from analysis.blas import blas_threads

    with blas_threads(gamma_threads):
        gamma = _muthen1984(codes, ths, th_start, n_th, ii, jj, rho, tables, ext)
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


def _pair_cell_scores(
    ths: list[np.ndarray],
    ii: np.ndarray,
    jj: np.ndarray,
    rho: np.ndarray,
    tables: np.ndarray,
    ext: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-cell rho scores and the pieces of ``A21``, ``A22`` of every pair.

    The bivariate log-likelihood of a pair depends on the data only through its
    frequency table, so the score of a case is the score of its cell, and ``A21`` and
    ``A22`` are sums over the cells weighted by the counts.

    Returns
    -------
    scr : (npairs, kmax, kmax)
        d log P(cell) / d rho (0 for cells of (near) zero probability).
    a21_1, a21_2 : (npairs, kmax - 1)
        Cross-products of the rho score with the threshold scores of the first (``ii``)
        and the second (``jj``) variable (padded with zeros beyond their thresholds).
    a22 : (npairs,)
        Sum of the squared rho scores.
    """
    kmax = ext.shape[1] - 1
    h, k = ext[ii], ext[jj]
    prob, dprob, _ = _grid(h, k, rho, order=1)
    tiny = np.sqrt(np.finfo(float).eps)
    good = prob > tiny
    inv = np.where(good, 1.0 / np.where(good, prob, 1.0), 0.0)
    scr = dprob * inv  # score of rho per cell
    r = np.sqrt(np.maximum(1.0 - rho * rho, 1e-300))[:, None, None]
    rr = rho[:, None, None]

    def cond(ea: np.ndarray, eb: np.ndarray) -> np.ndarray:
        # G[m, t, b] = phi(ea_t) [Phi((eb_{b+1} - rho ea_t) / R) - Phi((eb_b - rho ea_t) / R)]
        ta = ea[:, 1:-1]
        fin = np.isfinite(ta)
        tf = np.where(fin, ta, 0.0)[:, :, None]
        cdf = ndtr((eb[:, None, :] - rr * tf) / r)
        return _phi(np.where(fin, ta, np.inf))[:, :, None] * (cdf[:, :, 1:] - cdf[:, :, :-1])

    g1 = cond(h, k)  # (M, kmax - 1, kmax)
    g2 = cond(k, h)
    q = tables * scr * inv
    a21_1 = np.sum(g1 * (q[:, :-1, :] - q[:, 1:, :]), axis=2)  # (M, kmax - 1)
    a21_2 = np.sum(g2 * (q[:, :, :-1] - q[:, :, 1:]).transpose(0, 2, 1), axis=2)
    a22 = np.sum(tables * scr * scr, axis=(1, 2))
    if np.any(a22 == 0):
        raise EstimationError(
            "Cannot compute the asymptotic covariance of a polychoric correlation "
            "(zero information); check for constant or perfectly related items."
        )
    # padding: thresholds beyond a variable's own are +inf, their terms are 0
    nth = np.array([len(t) for t in ths])
    tt = np.arange(kmax - 1)
    a21_1 = np.where(tt[None, :] < nth[ii][:, None], a21_1, 0.0)
    a21_2 = np.where(tt[None, :] < nth[jj][:, None], a21_2, 0.0)
    return scr, a21_1, a21_2, a22


def _ordered_pair_scores(
    ths: list[np.ndarray],
    th_start: np.ndarray,
    n_cols: int,
    ii: np.ndarray,
    jj: np.ndarray,
    rho: np.ndarray,
    tables: np.ndarray,
    ext: np.ndarray,
) -> tuple[np.ndarray, sparse.csr_matrix, np.ndarray]:
    """Per-cell rho scores, ``A21`` (columns of the thresholds at ``th_start``) and ``A22``.

    The cell scores ``(npairs, kmax + 1, kmax + 1)`` are :func:`_pair_cell_scores`' with
    a zero last row and column, the cell of a missing answer: a case's score is a lookup
    (:class:`_CellScores`), so mixed (ordered and continuous) data never holds the
    ``(N, npairs)`` score matrix.
    """
    npairs = len(ii)
    kmax = ext.shape[1] - 1
    scr, a21_1, a21_2, a22 = _pair_cell_scores(ths, ii, jj, rho, tables, ext)
    nth = np.array([len(t) for t in ths])
    tt = np.arange(kmax - 1)
    rows = np.repeat(np.arange(npairs), kmax - 1).reshape(npairs, kmax - 1)
    r_idx, c_idx, vals = [], [], []
    for src, var in ((a21_1, ii), (a21_2, jj)):
        mask = tt[None, :] < nth[var][:, None]
        cols = th_start[var][:, None] + tt[None, :]
        r_idx.append(rows[mask])
        c_idx.append(cols[mask])
        vals.append(src[mask])
    # A21 is sparse: each correlation involves the thresholds of two variables only.
    a21 = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(r_idx), np.concatenate(c_idx))),
        shape=(npairs, n_cols),
    )
    return _padded_cells(scr), a21, a22


def _padded_cells(scr: np.ndarray) -> np.ndarray:
    """Per-cell tables ``(npairs, kmax, kmax)`` with a zero last row and column added, the
    cell of a missing answer (code ``kmax`` in :func:`_padded_codes`)."""
    npairs, kmax = scr.shape[0], scr.shape[1]
    pad = np.zeros((npairs, kmax + 1, kmax + 1))
    pad[:, :kmax, :kmax] = scr
    return pad


def _padded_codes(codes: np.ndarray, kmax: int) -> np.ndarray:
    """Category codes (cases x variables, -1 missing) as variables x cases with a missing
    answer at ``kmax``: the layout :func:`_pair_cells` gathers whole rows from."""
    return np.ascontiguousarray(np.where(codes < 0, kmax, codes).T, dtype=np.intp)


@dataclass(frozen=True)
class _CellScores:
    """The casewise rho scores of pairs of ordered variables as lookups in per-cell tables.

    ``cells[m, a, b]`` is the score of pair ``m`` (variables ``ii[m]``, ``jj[m]``) for a
    case answering ``a`` and ``b`` (:func:`_padded_cells`), ``codes`` the padded codes
    (:func:`_padded_codes`).  Any block of cases' scores is looked up when it is needed
    instead of keeping all ``N x npairs`` of them.
    """

    codes: np.ndarray
    ii: np.ndarray
    jj: np.ndarray
    cells: np.ndarray

    def block(self, rows: slice) -> np.ndarray:
        """The scores of the cases ``rows``, one row per pair ``(npairs, cases)``."""
        width = self.cells.shape[1]
        base = np.arange(len(self.ii), dtype=np.intp) * (width * width)
        return _pair_cells(self.codes[:, rows], self.ii, self.jj, width, base,
                           self.cells.ravel())


def _muthen1984(
    codes: np.ndarray,
    ths: list[np.ndarray],
    th_start: np.ndarray,
    n_th: int,
    ii: np.ndarray,
    jj: np.ndarray,
    rho: np.ndarray,
    tables: np.ndarray,
    ext: np.ndarray,
) -> np.ndarray:
    """``gamma = N Z'Z`` with ``Z`` the casewise influence of (thresholds, polychorics).

    ``Z = S B^-T`` (``S`` the casewise scores, ``B`` the block-triangular Jacobian of
    the two estimating equations).  Every column of ``Z`` depends on a case only through
    its answers to one or two variables, so it is a lookup in a small table:

    * thresholds of variable ``v``: row ``x_v`` of ``T_v = sc_v A11_v^-1`` (``sc_v``
      the univariate scores per category, ``A11`` block-diagonal);
    * polychoric of ``(i, j)``: ``(scr[x_i, x_j] - a21_i . T_i[x_i] - a21_j . T_j[x_j])
      / a22`` (``scr`` the per-cell rho score).

    ``Z`` is built in blocks of rows from these tables and ``Z'Z`` accumulated block by
    block with BLAS ``dsyrk``, so memory stays bounded (one block plus ``gamma``) and
    nothing of size ``N x (thresholds + pairs)`` is ever held.  A missing answer
    (pairwise deletion) looks up a zero row of its table.
    """
    from scipy.linalg import blas

    n, p = codes.shape
    kmax = ext.shape[1] - 1
    width = kmax + 1  # categories plus the "missing" slot (code -1 -> kmax)
    # Univariate influence tables T_v (width, kmax - 1), zero beyond the own thresholds.
    tab_th = np.zeros((p, width, kmax - 1))
    for v in range(p):
        sc, _ = _univariate_scores(ths[v])
        k = sc.shape[1]
        col = codes[:, v]
        counts = np.bincount(col[col >= 0], minlength=sc.shape[0]).astype(float)
        a11 = (sc * counts[:, None]).T @ sc
        try:
            a11_inv = np.linalg.inv(a11)
        except np.linalg.LinAlgError as exc:
            raise EstimationError(
                "Cannot invert the threshold information of an ordered variable."
            ) from exc
        tab_th[v, :sc.shape[0], :k] = sc @ a11_inv
    # Polychoric influence tables (npairs, width, width).
    scr, a21_1, a21_2, a22 = _pair_cell_scores(ths, ii, jj, rho, tables, ext)
    npairs = len(ii)
    part_i = np.einsum("mt,mat->ma", a21_1, tab_th[ii])  # a21_i . T_i[a]
    part_j = np.einsum("mt,mbt->mb", a21_2, tab_th[jj])
    tab_rho = (_padded_cells(scr) - (part_j[:, None, :] + part_i[:, :, None])) / a22[:, None, None]

    # Column lookups: flat index = base + code * stride (+ second code).
    th_var = np.repeat(np.arange(p), [len(t) for t in ths])
    th_t = np.concatenate([np.arange(len(t)) for t in ths])
    flat_th = tab_th.ravel()
    base_th = th_var * (width * (kmax - 1)) + th_t
    flat_rho = tab_rho.ravel()
    base_rho = np.arange(npairs) * (width * width)
    # codes transposed (variables x cases): the lookups below gather whole rows
    cpad = _padded_codes(codes, kmax)

    q = n_th + npairs
    gram = np.zeros((q, q), order="F")
    step = _block_rows(n, q)
    for start in range(0, n, step):
        c = cpad[:, start:start + step]
        m = c.shape[1]
        zt = np.empty((q, m))  # Z' of the block, one row per statistic
        idx = c[th_var] * (kmax - 1)
        idx += base_th[:, None]
        np.take(flat_th, idx, out=zt[:n_th])
        _pair_cells(c, ii, jj, width, base_rho, flat_rho, zt[n_th:])
        # gram (upper triangle) += Z'Z;  zt.T is a Fortran-ordered (m, q) view, no copy
        gram = blas.dsyrk(1.0, zt.T, beta=1.0, c=gram, trans=1, lower=0, overwrite_c=1)
        del zt
    gamma = _symmetrize_upper(gram)
    gamma *= n
    # gamma is symmetric: its transpose is the same matrix in C order, where row blocks
    # are contiguous and a sparse @ gamma product (the robust sandwich) needs no copy
    # (the Fortran-ordered one cost a transposed 111 MB copy per product at 3,726
    # statistics)
    return gamma.T


def _symmetrize_upper(a: np.ndarray, block: int = 512) -> np.ndarray:
    """Copy the upper triangle of the square ``a`` into its lower triangle, in place and
    by blocks of columns (no second full-size matrix)."""
    q = a.shape[0]
    for s in range(0, q, block):
        e = min(s + block, q)
        d = a[s:e, s:e]
        d[...] = np.triu(d) + np.triu(d, 1).T
        a[e:, s:e] = a[s:e, e:].T
    return a


# ----------------------------------------------------------------- mixed (polyserial) data
def _ml_rho(negloglik) -> float:
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(negloglik, bounds=(-0.995, 0.995), method="bounded",
                          options={"xatol": 1e-12, "maxiter": 500})
    if not res.success:
        raise EstimationError("A polyserial/Pearson correlation did not converge.")
    return float(res.x)


def _mixed_sample_stats(
    data: pd.DataFrame,
    names: list[str],
    continuous: set[str],
    *,
    missing: str,
    zero_add: tuple[float, float],
    zero_keep_margins: bool,
) -> OrdinalStats:
    """Sample statistics and Gamma for ordered and continuous variables together.

    lavaan's steps: univariate statistics (thresholds; means and variances) with their
    casewise scores, then each pair's correlation (polychoric, polyserial or Pearson)
    with its scores, then Gamma from the scores corrected for the first step.

    # In R: lavaan:::lav_samplestats_step1(); lav_samplestats_step2(); lavInspect(fit, "gamma")
    """
    inp = _mixed_inputs(data, names, continuous, missing)
    uni = _mixed_univariate(inp)
    pairs = _mixed_pairs(inp, uni, zero_add, zero_keep_margins)
    gamma = _mixed_gamma(inp, uni, pairs)
    return _mixed_result(inp, uni, pairs, gamma)


@dataclass(frozen=True)
class _MixedInputs:
    """The usable cases of mixed data: category codes of the ordered variables (-1 for
    missing), values of the continuous ones, and which answers are available."""

    names: list[str]
    ordv: list[str]
    num: list[str]
    codes: dict[str, np.ndarray]
    levels: dict[str, tuple]
    x: dict[str, np.ndarray]
    avail: np.ndarray
    n: int


def _mixed_inputs(data: pd.DataFrame, names: list[str], continuous: set[str],
                  missing: str) -> _MixedInputs:
    """Check the columns, select the cases (listwise or pairwise) and encode them."""
    absent = [v for v in names if v not in data.columns]
    if absent:
        raise DataError(f"Variable(s) not in data=: {', '.join(absent)}.")
    ordv = [v for v in names if v not in continuous]
    num = [v for v in names if v in continuous]
    xnum = {}
    for v in num:
        col = pd.to_numeric(data[v], errors="coerce")
        if (data[v].notna() & col.isna()).any():
            raise not_numeric_error(v, data[v], what="Continuous variable")
        xnum[v] = col.to_numpy(dtype=float)
    if ordv:
        codes_o, levels_o = _encode(data, ordv, "pairwise")
        # _encode dropped rows with all ordered answers missing; redo the row selection
        keep_o = ~data[ordv].isna().all(axis=1).to_numpy()
    p = len(names)
    n_all = len(data)
    avail = np.zeros((n_all, p), dtype=bool)
    for a, v in enumerate(names):
        avail[:, a] = data[v].notna().to_numpy()
    keep = avail.all(axis=1) if missing == "listwise" else avail.any(axis=1)
    if missing not in ("listwise", "pairwise"):
        raise DataError(f"missing={missing!r} is not supported here; use 'listwise' or "
                        "'pairwise'.")
    if keep.sum() < 2:
        raise DataError("Fewer than two usable cases.")
    avail = avail[keep]
    n = int(keep.sum())
    codes = {}
    levels: dict[str, tuple] = {}
    if ordv:
        full = np.full((n_all, len(ordv)), -1, dtype=np.int64)
        full[keep_o] = codes_o
        for b, v in enumerate(ordv):
            c = full[keep, b]
            if missing == "listwise":
                # categories must be those observed among the kept cases
                obs = np.unique(c[c >= 0])
                remap = -np.ones(len(levels_o[b]) + 1, dtype=np.int64)
                remap[obs] = np.arange(len(obs))
                c = np.where(c >= 0, remap[c], -1)
                levels[v] = tuple(levels_o[b][k] for k in obs)
            else:
                levels[v] = levels_o[b]
            if len(levels[v]) < 2:
                raise DataError(f"Ordered variable {v!r} has fewer than two observed "
                                "categories; drop it from the model.")
            codes[v] = c
    x = {v: xnum[v][keep] for v in num}
    return _MixedInputs(names=list(names), ordv=ordv, num=num, codes=codes, levels=levels,
                        x=x, avail=avail, n=n)


@dataclass(frozen=True)
class _Univariate:
    """Step 1 of mixed data: thresholds, means and variances, their positions in the
    first block (``th_start``, ``var_col``; ``a1`` statistics in all), the inverse of
    their information ``a11_inv``, and what their casewise scores are made from.

    The scores (``N x a1``; 200 MB at N = 100,000 and 250 statistics) are not kept:
    :meth:`scores` makes those of a block of cases when :func:`_mixed_gamma` needs them,
    from the per-category score tables of the ordered variables (``tables``, one zero row
    last for a missing answer) and the continuous variables' values (``inp``)."""

    ths: dict[str, np.ndarray]
    mean: dict[str, float]
    var: dict[str, float]
    nth: dict[str, int]
    th_start: dict[str, int]
    var_col: dict[str, int]
    a1: int
    a11_inv: np.ndarray
    inp: _MixedInputs
    tables: dict[str, np.ndarray]

    def scores(self, rows: slice) -> np.ndarray:
        """The casewise scores of the first block for the cases ``rows`` ``(cases, a1)``."""
        inp = self.inp
        m = len(range(*rows.indices(inp.n)))
        s1 = np.zeros((m, self.a1))
        for a, v in enumerate(inp.names):
            if v in self.tables:
                tab = self.tables[v]
                s1[:, self.th_start[v]:self.th_start[v] + tab.shape[1]] = tab[inp.codes[v][rows]]
            else:
                s1[:, [self.th_start[v], self.var_col[v]]] = _continuous_scores(
                    inp.x[v][rows], inp.avail[rows, a], self.mean[v], self.var[v])
        return s1


def _continuous_scores(x: np.ndarray, avail: np.ndarray, mean: float, var: float
                       ) -> np.ndarray:
    """Casewise scores of a continuous variable's mean and variance ``(cases, 2)``, zero
    for a missing value."""
    res = np.where(avail, x - mean, 0.0)
    out = np.empty((x.shape[0], 2))
    out[:, 0] = res / var
    out[:, 1] = np.where(avail, -1.0 / (2 * var) + res * res / (2 * var ** 2), 0.0)
    return out


def _mixed_univariate(inp: _MixedInputs) -> _Univariate:
    """Thresholds from the margins, ML means and variances, and their scores."""
    names, codes, x = inp.names, inp.codes, inp.x
    ths: dict[str, np.ndarray] = {}
    mean: dict[str, float] = {}
    var: dict[str, float] = {}
    for v in inp.ordv:
        c = codes[v]
        counts = np.bincount(c[c >= 0], minlength=len(inp.levels[v])).astype(float)
        ths[v] = _qnorm(np.cumsum(counts)[:-1] / counts.sum())
    for v in inp.num:
        xv = x[v][np.isfinite(x[v])]
        mean[v] = float(xv.mean())
        var[v] = float(np.mean((xv - mean[v]) ** 2))
        if not var[v] > 0:
            raise DataError(f"Continuous variable {v!r} is constant.")
        if np.unique(xv).size == 2:
            # a 0/1 variable's variance score is a multiple of its mean score: the
            # univariate information is singular and the WLSMV weights undefined (inverted
            # rounding error gave weights of 1e15 and a negative residual variance, or an
            # internal error; lavaan's generalized inverse gives a mean of 0.018 for a
            # variable whose mean is 0.70)
            raise DataError(
                f"The variable {v!r} has only two values but is treated as continuous "
                "beside ordered items: WLSMV cannot weigh its variance (the information "
                "of its mean and variance is singular). Declare it ordered (ordered=[..., "
                f"{v!r}]) or leave it out of the model.")
    nth = {v: (len(ths[v]) if v in ths else 1) for v in names}
    th_start = {}
    off = 0
    for v in names:
        th_start[v] = off
        off += nth[v]
    n_thb = off
    var_col = {v: n_thb + b for b, v in enumerate(inp.num)}
    a1 = n_thb + len(inp.num)
    a11 = np.zeros((a1, a1))
    tables: dict[str, np.ndarray] = {}
    for a, v in enumerate(names):
        # one variable's scores at a time (all cases): its block of the information
        if v in ths:
            sc, _ = _univariate_scores(ths[v])
            k = sc.shape[1]
            tables[v] = np.vstack([sc, np.zeros((1, k))])  # code -1 (missing): zeros
            sv = tables[v][codes[v]]
            cols = list(range(th_start[v], th_start[v] + k))
        else:
            sv = _continuous_scores(x[v], inp.avail[:, a], mean[v], var[v])
            cols = [th_start[v], var_col[v]]
        # two column-major copies, as the columns taken twice out of a (cases x a1)
        # matrix were: the same (general) product, to the last bit, as when all the
        # scores were kept (one operand twice would be a symmetric product, with other
        # rounding)
        sv = np.asfortranarray(sv)
        a11[np.ix_(cols, cols)] = sv.T @ sv.copy(order="F")
        del sv
    try:
        a11_inv = np.linalg.inv(a11)
    except np.linalg.LinAlgError as exc:
        raise EstimationError("Cannot invert the univariate information matrix.") from exc
    return _Univariate(ths=ths, mean=mean, var=var, nth=nth, th_start=th_start,
                       var_col=var_col, a1=a1, a11_inv=a11_inv, inp=inp, tables=tables)


@dataclass(frozen=True)
class _Pairs:
    """Step 2 of mixed data: the correlations, the cross information with step 1
    (``a21``), their own information (``a22``) and the Jacobian from correlations to
    covariances (``h21``, ``h22``).

    The correlations' casewise scores are not kept (at N = 100,000 they would take more
    than a gigabyte): :func:`_pair_scores` makes them for one block of cases at a time,
    those of the pairs of ordered variables (``oo``) from ``cells``."""

    ii: np.ndarray
    jj: np.ndarray
    cor: np.ndarray
    oo: np.ndarray
    cells: _CellScores | None
    a21: np.ndarray
    a22: np.ndarray
    h21: np.ndarray
    h22: np.ndarray
    empty_pairs: list[tuple[str, str]]


def _mixed_pairs(inp: _MixedInputs, uni: _Univariate, zero_add: tuple[float, float],
                 zero_keep_margins: bool) -> _Pairs:
    """Every pair's correlation, in lavaan's order (j outer, i > j inner)."""
    names, ordv, codes = inp.names, inp.ordv, inp.codes
    ths, th_start = uni.ths, uni.th_start
    p = len(names)
    ii, jj = _pairs(p)
    npairs = len(ii)
    cor = np.eye(p)
    a21 = np.zeros((npairs, uni.a1))
    a22 = np.zeros(npairs)
    h21 = np.zeros((npairs, uni.a1))
    h22 = np.ones(npairs)
    empty_pairs: list[tuple[str, str]] = []
    # Pairs of ordered variables: all at once, as in the all-ordered case.
    oo = np.array([names[i] in ths and names[j] in ths for i, j in zip(ii, jj, strict=True)],
                  dtype=bool)
    cells = None
    if oo.any():
        loc = {v: b for b, v in enumerate(ordv)}
        cmat = np.column_stack([codes[v] for v in ordv])
        ths_l = [ths[v] for v in ordv]
        lii = np.array([loc[names[i]] for i in ii[oo]], dtype=np.int64)
        ljj = np.array([loc[names[j]] for j in jj[oo]], dtype=np.int64)
        rho_oo, tab_oo, ext_oo, empty_pairs = _ordered_pairs(
            cmat, ths_l, ordv, lii, ljj, zero_add, zero_keep_margins)
        starts = np.array([th_start[v] for v in ordv], dtype=np.int64)
        cell_oo, a21_oo, a22_oo = _ordered_pair_scores(ths_l, starts, uni.a1, lii, ljj,
                                                       rho_oo, tab_oo, ext_oo)
        cells = _CellScores(codes=_padded_codes(cmat, ext_oo.shape[1] - 1), ii=lii, jj=ljj,
                            cells=cell_oo)
        cor[ii[oo], jj[oo]] = rho_oo
        cor[jj[oo], ii[oo]] = rho_oo
        a21[oo] = a21_oo.toarray()
        a22[oo] = a22_oo
    out = _Pairs(ii=ii, jj=jj, cor=cor, oo=oo, cells=cells, a21=a21, a22=a22, h21=h21,
                 h22=h22, empty_pairs=empty_pairs)
    for m in range(npairs):
        if oo[m]:
            continue
        i, j = int(ii[m]), int(jj[m])
        vi, vj = names[i], names[j]
        both = inp.avail[:, i] & inp.avail[:, j]
        if both.sum() < 2:
            raise DataError(f"The variables {vi!r} and {vj!r} are answered together by fewer "
                            "than two cases; their correlation cannot be estimated.")
        if vi in ths or vj in ths:
            rho, drho = _polyserial_pair(inp, uni, out, m, vi, vj, both)
        else:
            rho, drho = _pearson_pair(inp, uni, out, m, vi, vj, both)
        cor[i, j] = cor[j, i] = rho
        s_m = np.zeros(inp.n)  # the pair's scores, zero for a case missing either answer
        s_m[both] = drho
        a22[m] = float(np.sum(s_m ** 2))
    if np.any(a22 == 0):
        raise EstimationError("Cannot compute the asymptotic covariance of a correlation "
                              "(zero information); check for constant or perfectly related "
                              "variables.")
    return out


def _polyserial_variables(uni: _Univariate, vi: str, vj: str) -> tuple[str, str]:
    """The continuous and the ordered variable of a polyserial pair."""
    return (vi, vj) if vj in uni.ths else (vj, vi)


def _polyserial_cases(inp: _MixedInputs, uni: _Univariate, vn: str, vo: str,
                      rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The cases ``rows`` (a mask or indices) of a polyserial pair: the standardized
    values ``z`` of the continuous variable ``vn``, the codes ``c`` of the ordered ``vo``
    and the thresholds above (``up``) and below (``lo``) each case's category."""
    z = (inp.x[vn][rows] - uni.mean[vn]) / np.sqrt(uni.var[vn])
    c = inp.codes[vo][rows]
    e = _extended(uni.ths[vo])
    return z, c, e[c + 1], e[c]


def _polyserial_rho_scores(
    z: np.ndarray, up: np.ndarray, lo: np.ndarray, rho: float
) -> tuple[np.ndarray, tuple[float, np.ndarray, np.ndarray, np.ndarray]]:
    """Casewise scores of a polyserial correlation ``rho``, with the terms the scores of
    the pair's univariate statistics share (``rr``, ``py``, ``d1``, ``d2``)."""
    rr = np.sqrt(1 - rho * rho)
    t1 = (up - rho * z) / rr
    t2 = (lo - rho * z) / rr
    py = np.maximum(ndtr(t1) - ndtr(t2), np.finfo(float).eps)
    d1, d2 = _phi(t1), _phi(t2)
    fu = np.where(np.isfinite(up), up, 0.0)
    fl = np.where(np.isfinite(lo), lo, 0.0)
    drho = ((d1 * (fu * rho - z)) - (d2 * (fl * rho - z))) / (rr ** 3 * py)
    return drho, (rr, py, d1, d2)


def _distinct_cases(z: np.ndarray, c: np.ndarray, th: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (value, category) cases of a polyserial pair and how often each
    occurs: ``(z, up, lo, count)``.  A scale score takes few values, so a large sample's
    likelihood is a weighted sum over far fewer terms (the same sum; each term once per
    distinct case)."""
    zu, zi = np.unique(z, return_inverse=True)
    k = int(c.max()) + 1 if c.size else 1
    counts = np.bincount(zi.ravel() * k + c, minlength=zu.size * k)
    keys = np.flatnonzero(counts)
    cd = keys % k
    e = _extended(th)
    return zu[keys // k], e[cd + 1], e[cd], counts[keys].astype(float)


def _polyserial_pair(inp: _MixedInputs, uni: _Univariate, out: _Pairs, m: int, vi: str,
                     vj: str, both: np.ndarray) -> tuple[float, np.ndarray]:
    """Polyserial correlation of pair ``m`` (one ordered, one continuous variable) and its
    scores on the cases ``both``; fills the pair's information rows of ``out``."""
    ths, var, th_start, var_col = uni.ths, uni.var, uni.th_start, uni.var_col
    vn, vo = _polyserial_variables(uni, vi, vj)
    sd = np.sqrt(var[vn])
    z, c, up, lo = _polyserial_cases(inp, uni, vn, vo, both)
    zd, upd, lod, wd = _distinct_cases(z, c, uni.ths[vo])

    def nll(r, z=zd, up=upd, lo=lod, w=wd):
        rr = np.sqrt(1 - r * r)
        pr = ndtr((up - r * z) / rr) - ndtr((lo - r * z) / rr)
        return -float(w @ np.log(np.maximum(pr, np.finfo(float).eps)))

    rho = _ml_rho(nll)
    drho, (rr, py, d1, d2) = _polyserial_rho_scores(z, up, lo, rho)
    dmu = (z + (rho / rr) * (d1 - d2) / py) / sd
    dvar = ((z * z - 1) + (rho * z / rr) * (d1 - d2) / py) / (2 * var[vn])
    nt = len(ths[vo])
    dth = np.zeros((len(c), nt))
    sel = c < nt
    dth[np.flatnonzero(sel), c[sel]] += d1[sel] / (rr * py[sel])
    sel = c > 0
    dth[np.flatnonzero(sel), c[sel] - 1] -= d2[sel] / (rr * py[sel])
    out.a21[m, th_start[vn]] = drho @ dmu
    out.a21[m, var_col[vn]] = drho @ dvar
    out.a21[m, th_start[vo]:th_start[vo] + nt] = drho @ dth
    out.h21[m, var_col[vn]] = rho / (2 * sd)
    out.h22[m] = sd
    return rho, drho


def _pearson_cases(inp: _MixedInputs, uni: _Univariate, vi: str, vj: str,
                   rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The centred values of two continuous variables on the cases ``rows`` (a mask or
    indices)."""
    return inp.x[vi][rows] - uni.mean[vi], inp.x[vj][rows] - uni.mean[vj]


def _pearson_rho_scores(yi: np.ndarray, yj: np.ndarray, var_i: float, var_j: float,
                        rho: float) -> np.ndarray:
    """Casewise scores of the ML (Pearson) correlation ``rho`` of the centred values
    ``yi``, ``yj`` (variances ``var_i``, ``var_j``)."""
    sdi, sdj = np.sqrt(var_i), np.sqrt(var_j)
    R = 1 - rho * rho
    zz = yi * yi / var_i - 2 * rho * yi * yj / (sdi * sdj) + yj * yj / var_j
    return rho / R + (yi * yj / (sdi * sdj * R) - zz * rho / (R * R))


def _pearson_pair(inp: _MixedInputs, uni: _Univariate, out: _Pairs, m: int, vi: str,
                  vj: str, both: np.ndarray) -> tuple[float, np.ndarray]:
    """ML (Pearson) correlation of pair ``m`` of two continuous variables on the cases
    answering both, and its scores on them; fills the pair's information rows of
    ``out``."""
    var, th_start, var_col = uni.var, uni.th_start, uni.var_col
    sdi, sdj = np.sqrt(var[vi]), np.sqrt(var[vj])
    yi, yj = _pearson_cases(inp, uni, vi, vj, both)

    def nll(r, yi=yi, yj=yj, sdi=sdi, sdj=sdj):
        q = (yi / sdi) ** 2 - 2 * r * yi * yj / (sdi * sdj) + (yj / sdj) ** 2
        return float(np.sum(0.5 * np.log(1 - r * r) + q / (2 * (1 - r * r))))

    rho = _ml_rho(nll)
    R = 1 - rho * rho
    vi_, vj_ = var[vi], var[vj]
    dmu_i = (2 * yi / vi_ - 2 * rho * yj / (sdi * sdj)) / (2 * R)
    dmu_j = -(2 * rho * yi / (sdi * sdj) - 2 * yj / vj_) / (2 * R)
    dvar_i = -(0.5 / vi_ - ((yi * yi) / (vi_ * vi_) - rho * yi * yj
                             / (vi_ * sdi * sdj)) / (2 * R))
    dvar_j = -(0.5 / vj_ + (rho * yi * yj / (vj_ * sdi * sdj)
                             - (yj * yj) / (vj_ * vj_)) / (2 * R))
    drho = _pearson_rho_scores(yi, yj, vi_, vj_, rho)
    out.a21[m, th_start[vi]] = drho @ dmu_i
    out.a21[m, th_start[vj]] = drho @ dmu_j
    out.a21[m, var_col[vi]] = drho @ dvar_i
    out.a21[m, var_col[vj]] = drho @ dvar_j
    out.h21[m, var_col[vi]] = sdj * rho / (2 * sdi)
    out.h21[m, var_col[vj]] = sdi * rho / (2 * sdj)
    out.h22[m] = sdi * sdj
    return rho, drho


def _mixed_gamma(inp: _MixedInputs, uni: _Univariate, pairs: _Pairs) -> np.ndarray:
    """Gamma (N times the asymptotic covariance of the first block and the covariances)
    from the scores, the correlations' scores corrected for step 1."""
    # accumulated over blocks of cases, as the ordinal Gamma is: the casewise matrix of a
    # large sample (100,000 cases by 2,000 statistics: 1.6 GB) never exists whole
    n = inp.n
    width = uni.a1 + len(pairs.ii)
    gamma = np.zeros((width, width))
    step = _block_rows(n, width)
    for r0 in range(0, n, step):
        rows = slice(r0, r0 + step)
        z1 = uni.scores(rows) @ uni.a11_inv
        # z_cov = z1 h21' + h22 (s_rho - z1 a21') / a22, written in place (the same
        # operations) so that a block holds two arrays of its pair scores' size, not five
        z_rho = _pair_scores(inp, uni, pairs, rows)
        z_rho -= z1 @ pairs.a21.T
        z_rho /= pairs.a22[None, :]
        z_rho *= pairs.h22[None, :]
        z_cov = z1 @ pairs.h21.T
        z_cov += z_rho
        del z_rho
        zz_ = np.hstack([z1, z_cov])
        del z_cov
        gamma += zz_.T @ zz_
    gamma *= inp.n
    # lavaan's convention: a continuous variable's mean enters the first block with a
    # minus sign (as a "threshold"), and Gamma's rows/columns of the means flip with it.
    sign = np.ones(gamma.shape[0])
    sign[[uni.th_start[v] for v in inp.num]] = -1.0
    gamma *= np.outer(sign, sign)
    return gamma


def _pair_scores(inp: _MixedInputs, uni: _Univariate, pairs: _Pairs, rows: slice) -> np.ndarray:
    """The casewise scores of every correlation for the cases ``rows`` ``(cases, npairs)``,
    zero for a case missing either answer: looked up for the pairs of ordered variables,
    computed again from the data for the others (as :func:`_mixed_pairs` computed them)."""
    names = inp.names
    avail = inp.avail[rows]
    s = np.zeros((avail.shape[0], len(pairs.ii)))
    if pairs.cells is not None:
        s[:, pairs.oo] = pairs.cells.block(rows).T
    start = rows.start or 0
    for m in np.flatnonzero(~pairs.oo):
        i, j = int(pairs.ii[m]), int(pairs.jj[m])
        vi, vj = names[i], names[j]
        both = avail[:, i] & avail[:, j]
        idx = start + np.flatnonzero(both)
        rho = float(pairs.cor[i, j])
        if vi in uni.ths or vj in uni.ths:
            vn, vo = _polyserial_variables(uni, vi, vj)
            z, _c, up, lo = _polyserial_cases(inp, uni, vn, vo, idx)
            s[both, m] = _polyserial_rho_scores(z, up, lo, rho)[0]
        else:
            yi, yj = _pearson_cases(inp, uni, vi, vj, idx)
            s[both, m] = _pearson_rho_scores(yi, yj, uni.var[vi], uni.var[vj], rho)
    return s


def _mixed_result(inp: _MixedInputs, uni: _Univariate, pairs: _Pairs,
                  gamma: np.ndarray) -> OrdinalStats:
    """lavaan's ``wls.obs``, the DWLS weights and the :class:`OrdinalStats` of mixed data."""
    names, num, ths, var = inp.names, inp.num, uni.ths, uni.var
    p = len(names)
    th_vals = np.concatenate([ths[v] if v in ths else np.array([-uni.mean[v]]) for v in names])
    sds = np.array([np.sqrt(var[v]) if v in var else 1.0 for v in names])
    covm = pairs.cor * np.outer(sds, sds)
    wls_obs = np.concatenate([th_vals, np.array([var[v] for v in num]),
                              covm[pairs.ii, pairs.jj]])
    th_names = tuple(n_ for v in names for n_ in (
        [f"{v}|t{t + 1}" for t in range(len(ths[v]))] if v in ths else [v]))
    th_index = np.repeat(np.arange(p), [uni.nth[v] for v in names])
    dg = np.diag(gamma).copy()
    if not np.all(np.isfinite(dg)):
        raise EstimationError("The asymptotic covariance matrix (Gamma) has non-finite entries.")
    wls_v = np.where(dg > 0, 1.0 / np.where(dg > 0, dg, 1.0), 0.0)
    return OrdinalStats(
        names=tuple(names), nobs=inp.n,
        levels=tuple(inp.levels.get(v, ()) for v in names),
        thresholds=tuple(ths.get(v, np.zeros(0)) for v in names),
        th_names=th_names, cor=pairs.cor, wls_obs=wls_obs, gamma=gamma, wls_v_diag=wls_v,
        th_index=th_index, empty_cells=tuple(pairs.empty_pairs), continuous=tuple(num),
        cov=covm,
    )
