"""Gaussian-copula check for an endogenous regressor (instrument-free).

Park & Gupta (2012) control for the part of a regressor ``x`` that is correlated with
the error of ``y = b0 + b x + g'w + e`` by adding the copula term
``c = Phi^-1(H(x))``, ``H`` the empirical distribution function of ``x``, as a further
regressor: a coefficient of ``c`` different from zero signals regressor-error
correlation (endogeneity), and the coefficient of ``x`` in that model is the corrected
estimate.  The term is identified only through the non-normality of ``x``: for a
(near-)normal ``x`` the copula term is (nearly) ``x`` itself.  Becker, Proksch & Ringle
(2022) show for regressions with an intercept that the check is biased and weak unless
``x`` is clearly non-normal and the sample is large, and that it assumes ``x``
independent of the exogenous regressors; so :func:`gaussian_copula` first tests
non-normality (Shapiro-Wilk, Cramer-von Mises) and reports the check as not applicable
when normality is not rejected, and it reports the correlation of ``x`` with the other
regressors beside the result.

Standard errors come from a bootstrap of the rows that rebuilds the copula term in
every resample (the term is a generated regressor, so the OLS standard error is wrong).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DataError

__all__ = ["copula_term", "gaussian_copula"]


def copula_term(x: np.ndarray | pd.Series) -> np.ndarray:
    """The Gaussian-copula term ``Phi^-1(H(x))`` of a regressor.

    ``H`` is the empirical distribution function (ties share the highest rank, as R's
    ``ecdf``) scaled by ``n / (n + 1)`` so that the largest value does not map to
    infinity.

    # In R: qnorm(ecdf(x)(x) * length(x) / (length(x) + 1))

    Raises
    ------
    DataError
        If ``x`` is not one column of real, finite numbers (text, a table, dates, complex
        numbers, inf or a missing value, which took a rank of its own).
    """
    from analysis.io import non_number_kind

    if np.ndim(x) != 1 or isinstance(x, str | bytes):
        raise DataError(f"copula_term() needs one column of numbers (1-D), not "
                        f"{type(x).__name__} of {np.ndim(x)} dimension(s).")
    series = x if isinstance(x, pd.Series) else pd.Series(
        x if isinstance(x, np.ndarray) else np.asarray(x, dtype=object))
    kind = non_number_kind(series)
    if kind is None and (getattr(series.dtype, "kind", "") in "mM"
                         or isinstance(series.dtype, pd.DatetimeTZDtype)):
        kind = f"dates or times ({series.dtype})"
    num = pd.to_numeric(series, errors="coerce")
    if kind is None and (num.isna() & series.notna()).any():
        kind = "text"
    if kind is not None:
        raise DataError(f"copula_term() needs real numbers; x holds {kind}.")
    v = num.to_numpy(dtype=float, na_value=np.nan)
    if not np.isfinite(v).all():
        raise DataError("copula_term() needs finite numbers without missing values; x has "
                        "NaN or inf (drop those rows first).")
    n = v.size
    h = np.searchsorted(np.sort(v), v, side="right") / n  # ecdf: share of values <= v
    return stats.norm.ppf(h * n / (n + 1.0))


def _ols(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and classical standard errors (``x`` has the intercept column)."""
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    dof = x.shape[0] - x.shape[1]
    sigma2 = float(resid @ resid) / dof
    cov = sigma2 * np.linalg.pinv(x.T @ x)
    return coef, np.sqrt(np.diag(cov))


def _design(frame: pd.DataFrame, x: str, controls: Sequence[str],
            copula: bool) -> np.ndarray:
    cols = [np.ones(len(frame)), frame[x].to_numpy(float)]
    cols += [frame[c].to_numpy(float) for c in controls]
    if copula:
        cols.append(copula_term(frame[x].to_numpy(float)))
    return np.column_stack(cols)


def _boot_draws(arr: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap draws ``(b_x, b_copula)`` of ``y ~ 1 + x + controls + copula term`` with the
    copula term rebuilt in each resample; NaN for a resample where ``x`` is constant or
    the normal equations are near singular (condition number above 1e12).

    ``arr`` holds ``y, x, controls...`` by column.  A resample is the count of each row
    in it, so its normal equations are count-weighted sums; these are computed for a
    block of resamples at once (one matrix product for the sums of the fixed columns,
    one sparse product for the sums of y and the controls per distinct value of x).  The
    copula term is a function of the distinct value of x (the resample's ecdf of x
    there, as :func:`copula_term`), so its sums are over those values only.
    """
    from scipy import sparse

    n, k = arr.shape
    xv = arr[:, 1]
    uniq, inv = np.unique(xv, return_inverse=True)
    inv = inv.ravel()
    n_u = uniq.size
    # the fixed columns of the design and y last: 1, x, controls..., y
    fixed = np.column_stack([np.ones(n), xv, arr[:, 2:], arr[:, 0]])
    f = fixed.shape[1]
    r, c = np.triu_indices(f)
    prods = fixed[:, r] * fixed[:, c]
    # per row, its distinct value of x: ones (counts) and the controls and y (sums)
    other = np.column_stack([np.ones(n), arr[:, 2:], arr[:, 0]])
    h = other.shape[1]
    by_value = sparse.csr_matrix(
        (other.ravel(), (np.repeat(np.arange(n), h), (inv[:, None] * h + np.arange(h)).ravel())),
        shape=(n, n_u * h))
    by_value_t = by_value.T.tocsr()
    draws = np.full((n_boot, 2), np.nan)
    block = max(1, min(64, 20_000_000 // max(n, 1)))
    m = k + 1  # design columns: 1, x, the k - 2 controls, the copula term
    for b0 in range(0, n_boot, block):
        nb = min(block, n_boot - b0)
        counts = np.empty((nb, n))
        for j in range(nb):
            counts[j] = np.bincount(rng.integers(0, n, size=n), minlength=n)
        sums = counts @ prods                                   # (nb, f*)
        per_value = (by_value_t @ counts.T).T.reshape(nb, n_u, h)  # counts, controls, y
        for j in range(nb):
            cu = per_value[j, :, 0]
            drawn = cu > 0
            if drawn.sum() < 2:  # x constant in this resample
                continue
            ecdf = np.cumsum(cu) / n
            t = stats.norm.ppf(ecdf[drawn] * n / (n + 1.0))
            g = per_value[j, drawn, :]
            full = np.zeros((f, f))
            full[r, c] = sums[j]
            full = full + np.triu(full, 1).T
            xtx = np.empty((m, m))
            xtx[:k, :k] = full[:k, :k]
            # the copula term's sums: with 1, x, each control; its square; with y
            cross = np.concatenate([[t @ cu[drawn], t @ (uniq[drawn] * cu[drawn])],
                                    t @ g[:, 1:h - 1]])
            xtx[k, :k] = xtx[:k, k] = cross
            xtx[k, k] = (t * t) @ cu[drawn]
            xty = np.concatenate([full[:k, k], [t @ g[:, h - 1]]])
            # normal equations (fast for a few columns); a singular resample is skipped
            if np.linalg.cond(xtx) > 1e12:
                continue
            cb = np.linalg.solve(xtx, xty)
            draws[b0 + j] = (cb[1], cb[-1])
    return draws


def gaussian_copula(
    data: pd.DataFrame,
    y: str,
    x: str,
    *,
    controls: Sequence[str] = (),
    n_boot: int = 1000,
    seed: int | None = None,
    alpha: float = 0.05,
) -> dict[str, object]:
    """Gaussian-copula endogeneity check of regressor ``x`` in ``y ~ x + controls``.

    Parameters
    ----------
    data : DataFrame
    y, x : str
        Outcome and the regressor suspected to be endogenous.
    controls : sequence of str
        The other (exogenous) regressors.
    n_boot : int
        Bootstrap resamples of the rows for the standard errors (the copula term is
        rebuilt in each).
    seed : int, optional
        Seed of ``numpy.random.default_rng``.
    alpha : float
        Level of the non-normality precondition and of the copula-term test.

    Returns
    -------
    dict
        ``y, x, controls, n``; the precondition ``shapiro_w, shapiro_p`` (Shapiro-Wilk)
        and ``cvm_stat, cvm_p`` (Cramer-von Mises against the normal with the sample
        mean and SD; its p is conservative because the parameters are estimated),
        ``non_normal`` (Shapiro-Wilk rejects at ``alpha``), ``applicable``;
        ``b_ols, se_ols`` (the path without the copula term), ``b_corrected`` (with it),
        ``copula_coef, copula_se`` (bootstrap SD), ``copula_z, copula_p`` (normal
        approximation), ``ci_lower, ci_upper`` (percentile), ``b_corrected_se``
        (bootstrap), ``endogenous`` (copula term significant; None when not
        applicable), ``max_abs_r_controls`` (largest correlation of ``x`` with a
        control), ``n_boot_ok`` and ``note``.

    Raises
    ------
    DataError
        Columns missing or not numeric, fewer than 30 complete rows, or ``x`` constant.

    References
    ----------
    Park, S., & Gupta, S. (2012). Handling endogenous regressors by joint estimation
    using copulas. Marketing Science, 31(4), 567-586.
    Becker, J.-M., Proksch, D., & Ringle, C. M. (2022). Revisiting Gaussian copulas to
    handle endogenous regressors. JAMS, 50, 46-66.

    Examples
    --------
    >>> gaussian_copula(df, "value_creation", "learning", controls=["trust"])  # doctest: +SKIP
    # In R: cx <- qnorm(ecdf(x)(x) * n / (n + 1)); lm(y ~ x + w + cx); shapiro.test(x)
    """
    from analysis.errors import check_seed
    from analysis.io import is_real_number, is_whole_number, numeric_columns

    if isinstance(controls, str):  # 'x1' was read as the columns 'x' and '1'
        controls = [controls]
    cols = [y, x, *controls]
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"gaussian_copula: data= must be a pandas DataFrame, not "
                        f"{type(data).__name__}.")
    if len(set(map(repr, cols))) != len(cols):
        raise DataError("gaussian_copula: y=, x= and controls= must name different columns.")
    if not (is_whole_number(n_boot) and n_boot >= 50):
        # int('x') and int(nan) ended in internal errors
        raise DataError(f"n_boot= must be an integer of at least 50, not {n_boot!r}.")
    if not (is_real_number(alpha) and 0 < alpha < 1):
        raise DataError(f"alpha= must be a number between 0 and 1, not {alpha!r}.")
    if seed is not None:
        check_seed(seed)
    # A text cell ('3,5') had become a missing value and its row was left out without a
    # word, a date was read as nanoseconds since 1970 and inf made every estimate NaN:
    # the columns are checked as every other analysis checks them.
    frame = numeric_columns(data, cols, "gaussian_copula").dropna().reset_index(drop=True)
    n = len(frame)
    if n < 30:
        raise DataError(f"gaussian_copula: only {n} complete rows of {', '.join(cols)}; "
                        "at least 30 are needed.")
    xv = frame[x].to_numpy(float)
    if np.ptp(xv) == 0:
        raise DataError(f"gaussian_copula: the regressor {x!r} is constant.")
    sw = stats.shapiro(xv)
    z = (xv - xv.mean()) / xv.std(ddof=1)
    cvm = stats.cramervonmises(z, "norm")
    yv = frame[y].to_numpy(float)
    b_ols, se_ols = _ols(yv, _design(frame, x, controls, copula=False))
    r_ctrl = [abs(float(np.corrcoef(xv, frame[c].to_numpy(float))[0, 1])) for c in controls]
    out: dict[str, object] = {
        "y": y, "x": x, "controls": list(controls), "n": int(n),
        "shapiro_w": float(sw.statistic), "shapiro_p": float(sw.pvalue),
        "cvm_stat": float(cvm.statistic), "cvm_p": float(cvm.pvalue),
        "non_normal": bool(sw.pvalue < alpha),
        "b_ols": float(b_ols[1]), "se_ols": float(se_ols[1]),
        "max_abs_r_controls": float(max(r_ctrl)) if r_ctrl else float("nan"),
    }
    empty = {"applicable": False, "b_corrected": np.nan, "b_corrected_se": np.nan,
             "copula_coef": np.nan, "copula_se": np.nan, "copula_z": np.nan,
             "copula_p": np.nan, "ci_lower": np.nan, "ci_upper": np.nan,
             "endogenous": None, "n_boot_ok": 0}
    if not out["non_normal"]:
        out.update(empty)
        out["note"] = (f"Not applicable: {x} is not distinguishable from a normal "
                       f"distribution (Shapiro-Wilk p = {sw.pvalue:.3f}); the copula term "
                       "would be nearly collinear with it and identifies nothing (Becker, "
                       "Proksch & Ringle 2022).")
        return out
    design = _design(frame, x, controls, copula=True)
    if np.linalg.matrix_rank(design) < design.shape[1]:
        out.update(empty)
        out["note"] = "Not applicable: the copula term is collinear with the regressors."
        return out
    coef, _ = _ols(yv, design)
    draws = _boot_draws(frame.to_numpy(float), int(n_boot), np.random.default_rng(seed))
    ok = draws[np.isfinite(draws).all(axis=1)]
    se_c = float(ok[:, 1].std(ddof=1))
    zc = float(coef[-1]) / se_c if se_c > 0 else np.nan
    pc = float(2 * stats.norm.sf(abs(zc))) if np.isfinite(zc) else np.nan
    lo, hi = np.quantile(ok[:, 1], [alpha / 2, 1 - alpha / 2])
    out.update({
        "applicable": True, "b_corrected": float(coef[1]),
        "b_corrected_se": float(ok[:, 0].std(ddof=1)),
        "copula_coef": float(coef[-1]), "copula_se": se_c, "copula_z": zc, "copula_p": pc,
        "ci_lower": float(lo), "ci_upper": float(hi),
        "endogenous": bool(np.isfinite(pc) and pc < alpha), "n_boot_ok": int(len(ok)),
    })
    note = ("The copula term is significant: a sign of regressor-error correlation that "
            "flags the path for scrutiny (a check, not proof of endogeneity nor a "
            "correction); compare b_corrected with b_ols." if out["endogenous"] else
            "The copula term is not significant: no evidence of regressor-error correlation.")
    if np.isfinite(out["max_abs_r_controls"]) and out["max_abs_r_controls"] >= 0.3:
        note += (f"  {x} correlates with a control (|r| = {out['max_abs_r_controls']:.2f}); "
                 "the check assumes independence of the exogenous regressors and may be "
                 "biased (Becker, Proksch & Ringle 2022).")
    out["note"] = note
    return out
