"""Modification indices (score tests for fixed parameters) with expected information.

Complete data (ML, MLR), full-information ML (``missing="ml"``, ML or MLR: the
gradient of the observed-data log-likelihood and the expected information given the
missing-data patterns at the implied moments, as lavaan) and least squares on ordered
data (WLSMV, listwise or pairwise: the gradient of the DWLS fit function, whose groups
lavaan weights by ``(N_g - 1) / N``, and the information ``sum_g (N_g / N) Delta_g' W_g
Delta_g`` with the diagonal weights ``W_g``; besides the candidates below, the fixed
scaling factors ``y ~*~ y`` of the delta parameterization).

For every parameter that is fixed or absent in the model (lavaan's "full"
parameter list: loadings of every factor on every non-exogenous indicator,
(co)variances among non-exogenous observed variables, among exogenous ones and
among latent variables, regressions among all variables that take part in
regressions), with the unit expected information ``I`` of free (1) and
candidate (2) parameters and the gradient ``g`` of lavaan's fit function::

    V   = I22 - I21 I11^-1 I12
    mi  = N g2^2 / diag(V)
    epc = -g2 / diag(V)

Candidates with ``diag(V) < eps^(1/3)`` are not identified and dropped (as lavaan
does).  ``sepc_all`` scales the EPC like ``std_all``; for a variance candidate it is,
as in lavaan, the standardized current (fixed) value with the sign of the EPC.
With a mean structure the fixed intercepts and latent means are candidates too.

The observed covariates are lavaan's ``ov.x`` whatever fixed.x: with fixed.x = FALSE
(their variances free) a factor's loading on one is not a candidate, its regression on
the factor (``x ~ f``) is.  Regressions of a fixed.x covariate on another variable
(``x ~ y``, also on another covariate) and the covariates' own (co)variances are candidates as in lavaan: the
covariate moves into the structural part with its (co)variances fixed at the sample
values, and the moments of the covariates alone are left out of the information (lavaan's
``x.idx``: zero rows in its information; the gradient is the whole fit function's), so
that a candidate equivalent to a free parameter has no information and drops out (NA in
lavaan).  Where the covariates take part in regressions, their (co)variances and
regressions on one another move the endogenous variables' moments and stay in the list
with an index of about 0 (lavaan prints them too); their ``sepc_all`` is lavaan's: 0 for
a variance, NaN for a covariance.  For variance
candidates of latent variables ``sepc_all`` may differ from lavaan.  Candidates
equivalent to a free parameter (the same matrix cell, e.g. ``x3 ~ f`` when ``f =~ x3``
is free) are skipped, as are loadings on variables that are regressed on others
(lavaan does the same).  A covariance with a variable whose variance is 0 (on the bound
of an inequality constraint) has no ``sepc_all`` (NaN).

# In R: lavaan::modindices(fit)
"""

from __future__ import annotations

import warnings
from itertools import combinations_with_replacement

import numpy as np
import pandas as pd

from analysis.errors import ModelSpecificationError

from . import fiml, ml
from .build import compile_table
from .model import cell_of
from .standardize import standardized

_COLS = ["lhs", "op", "rhs", "group", "mi", "epc", "sepc_all"]


def _candidates(model, table: pd.DataFrame) -> list[tuple[str, str, str, int]]:
    lv = list(model.lv_names)
    # lavaan's ov.x names the exogenous covariates whatever fixed.x: with fixed.x = FALSE
    # (their (co)variances free) they are not indicators either, so a covariate predicted
    # by a factor is the regression x ~ f, never the loading f =~ x
    ov_x = set(model.ov_x) | set(model.options.get("ov_x_free", ()) or ())
    ov_nox = [v for v in model.ov_names if v not in ov_x]
    reg = table[table["op"] == "~"]
    eqs = list(dict.fromkeys(list(reg["lhs"]) + list(reg["rhs"])))
    eqs_y = set(reg["lhs"])
    ind = set(table.loc[table["op"] == "=~", "rhs"])
    out = []
    for g in range(1, model.n_groups + 1):
        for f in lv:
            for v in ov_nox:
                if v not in eqs_y:
                    out.append((f, "=~", v, g))
        # residual (co)variances: indicators, exogenous covariates among themselves,
        # latent variables
        ov_ind = [v for v in ov_nox if v in ind]
        # the fixed.x covariates' own (co)variances too: lavaan frees every fixed row, and
        # where the covariates take part in regressions they move the implied moments of
        # the endogenous variables (elsewhere they have no information and drop out)
        ov_xs = [v for v in model.ov_names if v in ov_x]
        for names in (ov_ind, lv, ov_xs):
            for a, b in combinations_with_replacement(names, 2):
                out.append((a, "~~", b, g))
        for a in eqs:
            for b in eqs:
                # an indicator regressed on a factor is a cross-loading: lavaan omits it
                if a != b and not (a in ind and b in lv):
                    out.append((a, "~", b, g))
    # fixed intercepts and latent means of a mean structure (lavaan frees every fixed
    # row of the table; the means of fixed.x covariates have no information and drop out)
    means = table[(table["op"] == "~1") & (table["xid"] < 0) & (table["exo"] == 0)]
    out.extend((r.lhs, "~1", "", int(r.group)) for r in means.itertuples())
    # every other fixed row of the model (lavaan's modindices() frees all of them,
    # all.free = TRUE): e.g. a growth model's fixed loadings (i =~ 1*t1, also on an
    # indicator regressed on a covariate) and its intercepts; a marker loading is not
    # identified when freed and drops out below, as in lavaan (NA, then removed)
    fixed = table[(table["xid"] < 0) & table["op"].isin(["=~", "~", "~~", "~1"])]
    out.extend((r.lhs, r.op, r.rhs, int(r.group)) for r in fixed.itertuples())
    # fixed scaling factors of latent responses (delta parameterization): candidates in
    # lavaan too, identified where equality constraints tie the groups together
    # (under the theta parameterization they follow from the residual variances)
    if not model.theta_parameterization:
        scales = table[(table["op"] == "~*~") & (table["xid"] < 0)]
        out.extend((r.lhs, "~*~", r.rhs, int(r.group)) for r in scales.itertuples())
    return out


def _cell(key: tuple, ovi: dict, eti: dict) -> tuple:
    """The model cell a parameter ``(lhs, op, rhs, group)`` occupies (a latent response's
    scaling factor ``y ~*~ y`` has one of its own)."""
    lhs, op, rhs, group = key
    if op == "~*~":
        return (group, "~*~", ovi[lhs], 0)
    return (group, *cell_of(lhs, op, rhs, ovi, eti))


def modification_indices(result) -> pd.DataFrame:
    """Modification indices of a fitted ML, MLR or WLSMV model (see module docstring).

    Parameters
    ----------
    result : SEMResult

    Returns
    -------
    DataFrame
        ``lhs, op, rhs, group, mi, epc, sepc_all``.
    """
    model = result.model
    missing = model.options.get("missing")
    wls = result.state.wls
    if wls is None and (model.ordered or result.estimator not in ("ML", "MLR")):
        raise ModelSpecificationError(
            f"Modification indices are not available for estimator={result.estimator!r}"
            + (" (ordered variables)" if model.ordered else "")
            + ": this engine computes them for estimator='ML' or 'MLR' (complete data or "
            "missing='ml') and for 'WLSMV' only.")
    if wls is not None and missing not in ("listwise", "pairwise"):
        raise ModelSpecificationError(
            f"Modification indices are not available with missing={missing!r} under "
            f"estimator={result.estimator!r}.")
    if wls is None and missing not in ("listwise", "ml"):
        raise ModelSpecificationError(
            f"Modification indices are not available with missing={missing!r}: this engine "
            "computes them for complete data or missing='ml' only.")
    stats = list(result.stats)
    table = result.partable
    base = table[table["op"].isin(["=~", "~", "~~", "~1", "|", "~*~"])].copy()
    key_row: dict[tuple, int] = {}
    for i, r in enumerate(base.itertuples()):
        key_row[(r.lhs, r.op, r.rhs, r.group)] = i
        if r.op == "~~":
            key_row[(r.rhs, r.op, r.lhs, r.group)] = i
    n_free = model.n_free
    xid = base["xid"].to_numpy().copy()
    est = base["est"].to_numpy(dtype=float).copy()
    new_rows = []
    cand_keys = []
    cand_vals = []
    k = n_free
    # If some indicators sit in the eta vector (they take part in regressions), carry all
    # indicators there so that every residual covariance among indicators has a cell.
    eta_ov = [v for v in model.eta_names if v not in model.lv_names]
    ind = [v for v in model.ov_names if v in set(base.loc[base["op"] == "=~", "rhs"])]
    if any(v in eta_ov for v in ind):
        eta_ov = [v for v in model.ov_names if v in set(eta_ov) | set(ind)]
    eta_names = list(model.lv_names) + eta_ov
    ovi = {v: i for i, v in enumerate(model.ov_names)}
    eti = {v: i for i, v in enumerate(eta_names)}
    used: set[tuple] = set()
    for r in base.itertuples():
        if r.xid >= 0 and r.op != "|":
            used.add(_cell((r.lhs, r.op, r.rhs, r.group), ovi, eti))
    for key in _candidates(model, base):
        try:
            cell = _cell(key, ovi, eti)
        except (ModelSpecificationError, KeyError):
            continue  # no place in this model's LISREL form (see module docstring)
        if cell in used:
            continue  # the same cell as a free parameter or an earlier candidate
        used.add(cell)
        i = key_row.get(key)
        if i is not None:
            if xid[i] >= 0:
                continue
            xid[i] = k
            cand_vals.append(est[i])
        else:
            new_rows.append(dict(lhs=key[0], op=key[1], rhs=key[2], group=key[3], xid=k,
                                 ustart=0.0, exo=0, user=0, label="", plabel="",
                                 start_user=np.nan, free=1, est=0.0, se=np.nan, start=np.nan))
            key_row[key] = -1
            if key[1] == "~~":
                key_row[(key[2], "~~", key[0], key[3])] = -1
            cand_vals.append(0.0)
        cand_keys.append(key)
        k += 1
    if not cand_keys:
        return pd.DataFrame({c: [] for c in _COLS})
    ext = base.copy()
    ext["xid"] = xid
    ext["exo"] = np.where(xid >= 0, 0, ext["exo"].to_numpy())
    if new_rows:
        ext = pd.concat([ext, pd.DataFrame(new_rows)], ignore_index=True)
    ext["block"] = ext["group"]
    ext["id"] = np.arange(1, len(ext) + 1)
    emodel = compile_table(ext, ov_names=model.ov_names, lv_names=model.lv_names,
                           eta_ov=eta_ov,
                           ov_x=model.ov_x, ordered=model.ordered, groups=model.groups,
                           meanstructure=model.meanstructure, options=model.options)
    emodel = emodel.bind(stats)
    xe = np.concatenate([result.x, np.asarray(cand_vals, dtype=float)])
    if model.ov_x:
        emodel = _FixedXMoments(emodel)
    if wls is not None:
        g, i11, i12, i22d, ntot = _dwls_blocks(emodel, xe, wls, n_free)
    elif missing == "ml":
        g, i11, i12, i22d, ntot = _fiml_blocks(emodel, xe, stats, n_free)
    else:
        g, h11, h12, d22 = ml.expected_blocks(emodel, xe, stats, n_free)
        if isinstance(emodel, _FixedXMoments):
            # lavaan leaves the covariates' moments out of the information only; the
            # gradient is that of the whole fit function
            g = ml.gradient_information(emodel.inner, xe, stats, hessian=False)[0]
        ntot = sum(st.n for st in stats)
        g = 0.5 * g  # gradient of lavaan's fmin
        i11, i12, i22d = 0.5 * h11, 0.5 * h12, 0.5 * d22  # unit expected information
    lo, hi = model.bounds()
    if np.isfinite(lo).any() or np.isfinite(hi).any():
        # parameters on an inequality bound act as fixed (lavaan: active constraints)
        keep = ~(ml._active(result.x, lo, hi) & (np.isfinite(lo) | np.isfinite(hi)))
        i11, i12 = i11[np.ix_(keep, keep)], i12[keep]
        n_free = int(keep.sum())
    if n_free:
        vd = i22d - np.einsum("ij,ij->j", i12, np.linalg.solve(i11, i12))
    else:
        vd = i22d.copy()
    g2 = g[len(result.x):]
    with np.errstate(all="ignore"):
        mi = ntot * g2 ** 2 / vd
        epc = -g2 / vd
    ok = vd >= np.finfo(float).eps ** (1.0 / 3.0)  # lavaan's cut-off
    cand = pd.DataFrame(cand_keys, columns=["lhs", "op", "rhs", "group"])
    cand["est"] = epc
    std_lv, std_all = _sepc(result, cand, standardized)
    # a covariance with a variable whose (residual) variance is 0 (e.g. on the bound of
    # an inequality constraint) has no standardized value: missing, not +-inf (lavaan
    # divides by its estimate a hair above the bound and prints numbers in the thousands)
    std_all = np.where(np.isfinite(std_all), std_all, np.nan)
    out = cand.assign(mi=mi, epc=epc, sepc_all=std_all)[_COLS]
    return out[ok].reset_index(drop=True)


class _FixedXMoments:
    """The extended model with the moments of the fixed.x covariates alone (their means,
    variances and covariances) out of the score test, as lavaan zeroes them in its
    information (``x.idx``): they are the sample values whatever the parameters.  Only
    a candidate that regresses a covariate on another variable (``x ~ y``) moves them.

    # In R: lavaan:::lav_mvnorm_information_expected(..., x.idx = x.idx)
    """

    def __init__(self, model) -> None:
        self._m = model
        self.inner = model  # the extended model itself (for the gradient)
        self._xi = np.array([model.ov_names.index(v) for v in model.ov_x], dtype=int)
        self._mask = fiml._fixed_x_moment_mask(model)

    def __getattr__(self, name: str):
        return getattr(self._m, name)

    def derivatives(self, x: np.ndarray, group: int = 0):
        dS, dM, dT = self._m.derivatives(x, group)
        dS, dM = dS.copy(), dM.copy()
        dS[:, self._xi[:, None], self._xi[None, :]] = 0.0
        if dM.size:
            dM[:, self._xi] = 0.0
        return dS, dM, dT

    def jacobian(self, x: np.ndarray) -> list[np.ndarray]:
        out = []
        for j in self._m.jacobian(x):
            j = np.array(j, dtype=float)
            j[self._mask] = 0.0
            out.append(j)
        return out


def _dwls_blocks(emodel, xe: np.ndarray, wls, n_free: int):
    """Gradient and unit expected information of a least-squares fit to ordered data
    (WLSMV's DWLS), as lavaan's modindices() takes them: with the residual statistics
    ``r_g`` (thresholds and polychoric correlations), the diagonal weights ``W_g`` and
    ``w_g = N_g / N``, lavaan's gradient ``-sum_g (N_g - 1) / N Delta_g' W_g r_g`` and the
    information ``sum_g w_g Delta_g' W_g Delta_g``.

    Returns ``(g, I11, I12, diag(I22), N)``.

    # In R: lavTech(fit_extended, "information.expected"); lavTech(..., "gradient.logl")
    """
    ns = np.asarray(wls.nobs, dtype=float)
    wg = ns / ns.sum()
    k = len(xe)
    grad = np.zeros(k)
    info = np.zeros((k, k))
    for g, delta in enumerate(emodel.jacobian(xe)):
        w = np.asarray(wls.w_diag[g], dtype=float)
        r = np.asarray(wls.obs[g], dtype=float) - np.asarray(wls.est[g], dtype=float)
        # lavaan weights the gradient's groups by (N_g - 1) / N (the fit function's
        # weights), the information by N_g / N
        grad -= (ns[g] - 1.0) / ns.sum() * delta.T @ (w * r)
        info += wg[g] * delta.T @ (w[:, None] * delta)
    return (grad, info[:n_free, :n_free], info[:n_free, n_free:],
            np.diag(info)[n_free:].copy(), int(ns.sum()))


def _fiml_blocks(emodel, xe: np.ndarray, stats: list, n_free: int):
    """Gradient and unit expected information of a full-information (``missing="ml"``)
    fit, as lavaan's modindices() takes them: the gradient of ``-logl / N`` at the
    estimates (candidates at 0) and the expected information given the missing-data
    patterns at the implied moments (lavaan's default ``h1.information = "structured"``),
    ``sum_g (N_g / N) Delta_g' [sum_p (n_p / N_g) I_p(mu, Sigma)] Delta_g``.

    Returns ``(g, I11, I12, diag(I22), N)``.

    # In R: lavTech(fit_extended, "information.expected"); lavTech(..., "gradient.logl")
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cases without data: reported by the fit already
        gd = [fiml.prepare_group_data(st.data, fit_h1=False) for st in stats]
    # the gradient of the whole fit function; only the information leaves the fixed.x
    # covariates' moments out (as in lavaan)
    _f, grad = fiml.objective_gradient(getattr(emodel, "inner", emodel), xe, gd)
    info = fiml.expected_information_theta(emodel, xe, gd)
    ntot = sum(g.n for g in gd)
    return (grad, info[:n_free, :n_free], info[:n_free, n_free:],
            np.diag(info)[n_free:].copy(), ntot)


def _sepc(result, cand: pd.DataFrame, standardized) -> tuple[np.ndarray, np.ndarray]:
    """Standardize EPCs with the fitted model's variances (residual variances for ~~)."""
    model = result.model
    pt = result.partable
    tab = cand.copy()
    tab["label"] = ""
    # for '~~' covariance candidates, std_all divides by the residual variances of the fit:
    # append the fitted variance rows so that standardized() can look them up.
    var_rows = pt[(pt["op"] == "~~") & (pt["lhs"] == pt["rhs"])][["lhs", "op", "rhs", "group",
                                                                   "est"]]
    full = pd.concat([tab[["lhs", "op", "rhs", "group", "est", "label"]],
                      var_rows.assign(label="")], ignore_index=True)
    is_var = (full.index >= len(tab))
    # variance candidates must not overwrite the fitted residual variances
    full_std_lv, full_std_all = standardized(model, result.x,
                                             full[~((full.op == "~~") & (full.lhs == full.rhs)
                                                    & ~is_var)].reset_index(drop=True))
    sub = full[~((full.op == "~~") & (full.lhs == full.rhs) & ~is_var)].reset_index()
    std_all = np.full(len(tab), np.nan)
    std_lv = np.full(len(tab), np.nan)
    pos = {int(i): j for j, i in enumerate(sub["index"]) if i < len(tab)}
    for i in range(len(tab)):
        if i in pos:
            std_all[i] = full_std_all[pos[i]]
            std_lv[i] = full_std_lv[pos[i]]
    # variance candidates: as lavaan (cov.std), the parameter's current (fixed) value is
    # standardized, with the sign of the EPC; 0 when that value is 0
    cur = {(r.lhs, r.group): r.est for r in pt[(pt["op"] == "~~") & (pt["lhs"] == pt["rhs"])
                                               ].itertuples()}
    ov_x = set(model.ov_x)
    tiny = np.sqrt(np.finfo(float).eps)
    for i, r in enumerate(tab.itertuples()):
        if r.op == "~~" and r.lhs in ov_x and r.rhs in ov_x:
            # the covariates' own moments: lavaan standardizes the EPC itself (not the
            # current value, which is the sample's), 0 when it is below sqrt(eps) as it is
            # at any solution; a covariance divides by the EPCs of the two variances,
            # which have none (NaN)
            if r.lhs != r.rhs:
                std_lv[i] = std_all[i] = np.nan
            elif abs(r.est) < tiny:
                std_lv[i] = std_all[i] = 0.0
            continue
        if r.op == "~*~":  # a scaling factor standardizes to 1 (lavaan), with the sign
            std_lv[i] = std_all[i] = np.sign(r.est)
            continue
        if r.op == "~~" and r.lhs == r.rhs:
            val = float(cur.get((r.lhs, r.group), 0.0))
            if not np.isfinite(val) or abs(val) < np.sqrt(np.finfo(float).eps):
                std_lv[i] = std_all[i] = 0.0
                continue
            one = pd.DataFrame([dict(lhs=r.lhs, op="~~", rhs=r.rhs, group=r.group,
                                     est=abs(val), label="")])
            a, b = standardized(model, result.x, one)
            std_lv[i], std_all[i] = np.sign(r.est) * a[0], np.sign(r.est) * b[0]
    return std_lv, std_all
