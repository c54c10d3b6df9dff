"""Compiled SEM (step 3: parameter table -> LISREL all-y matrices, moments, Delta).

A :class:`CompiledModel` is built once from lavaan syntax (see
:func:`analysis.sem.api.compile_model`) and is immutable afterwards; it can be
shared read-only between threads and refitted on many data sets.

Representation (per group, LISREL "all-y" form as in lavaan)::

    Sigma = Lambda (I - B)^-1 Psi (I - B)^-T Lambda' + Theta
    mu    = nu + Lambda (I - B)^-1 alpha

The eta vector holds the latent variables followed by observed variables that
take part in regressions (``eta_names``); those have a fixed unit loading and
zero residual in ``Theta``.  Exogenous observed covariates (``fixed.x``) have
their (co)variances and means fixed at the sample values: a model is *bound*
to one data set's statistics with :meth:`CompiledModel.bind`; backends always
receive a bound model.

Ordered variables (delta parameterization, delta = 1): their intercepts are 0,
their residual variances are not parameters but ``1 - diag(explained)`` so that
the implied matrix has a unit diagonal (for an ordered variable in a regression, which
sits in eta, its Psi entry, so that what it predicts sees var(y*) = 1); thresholds
(``|`` rows) are free.  Under the
theta parameterization (``options["parameterization"] == "theta"``) the residual
variances are parameters (fixed at 1 unless freed) and the scale factors follow from
them, ``delta = 1 / sqrt(diag(Sigma))``, as in lavaan.

Moment vectors (lavaan's WLS order, ``lavInspect(fit, "wls.obs")``):

* continuous: ``[mu (if meanstructure), vech(Sigma)]``, vech = lower triangle
  column by column including the diagonal;
* with ordered variables: ``[th, var(numeric), vech(Sigma) without diagonal]``
  where ``th`` runs over the observed variables in order and holds each ordered
  variable's thresholds minus its implied mean, and minus the implied mean of
  each numeric variable (as ``lavInspect(fit, "wls.obs")``).

The free-parameter vector ``x`` is the reduced one: rows of the parameter table
that are tied by labels, ``==`` or ``group_equal`` share one entry (column
``xid`` of the table).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import EstimationError, ModelSpecificationError

from .matrix import vech, vech_indices  # noqa: F401  (vech: imported from here too)

LAMBDA, BETA, PSI, THETA, NU, ALPHA, TAU, DELTA = range(8)


@dataclass(frozen=True)
class SampleStats:
    """Data statistics of one group.

    Attributes
    ----------
    n : int
        Number of cases used (after listwise deletion for complete-data estimators).
    mean : ndarray (p,)
        Sample means (NaN-aware when ``data`` has missing values).
    cov : ndarray (p, p)
        Sample covariance matrix with divisor ``n`` (lavaan's ``likelihood = "normal"``);
        pairwise when ``data`` has missing values.
    data : ndarray (n, p)
        Raw data in ``ov_names`` order (may contain NaN for ``missing="ml"``).
    cluster : ndarray (n,), optional
        Cluster id of each row of ``data`` (``cluster=``), as strings.
    """

    n: int
    mean: np.ndarray
    cov: np.ndarray
    data: np.ndarray | None = None
    cluster: np.ndarray | None = None


@dataclass(frozen=True)
class Implied:
    """Model-implied moments of one group.

    ``sigma`` is the p x p covariance (correlation rows/columns for ordered
    variables), ``mu`` the means (``None`` without mean structure), ``tau`` the
    thresholds in ``CompiledModel.th_names`` order (``None`` without ordered data).
    """

    sigma: np.ndarray
    mu: np.ndarray | None
    tau: np.ndarray | None


@dataclass(frozen=True)
class _GroupSpec:
    p: int
    m: int
    base: tuple[np.ndarray, ...]  # Lambda, B, Psi, Theta, nu, alpha, tau with fixed values
    # free entries: (matrix code, row, col, xid, table row index)
    ent_mat: np.ndarray
    ent_row: np.ndarray
    ent_col: np.ndarray
    ent_xid: np.ndarray
    ent_tab: np.ndarray
    # exo entries to fill from sample statistics: (matrix code, row, col, ov i, ov j | -1)
    exo: tuple[tuple[int, int, int, int, int], ...]
    th_var: np.ndarray  # ov index of each threshold
    # derived index arrays, filled on first use (the structure never changes after
    # compile; ``replace`` gives a copy an empty one)
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def unique_xid(self) -> bool:
        """True when no two free entries of this group share a parameter."""
        u = self._memo.get("unique_xid")
        if u is None:
            u = self._memo["unique_xid"] = len(np.unique(self.ent_xid)) == len(self.ent_xid)
        return u

    def entries(self, code: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions (among the free entries), rows and columns of the entries of one
        matrix ``code`` (cached, read-only)."""
        ent = self._memo.get(("ent", code))
        if ent is None:
            pos = np.flatnonzero(self.ent_mat == code)
            ent = (pos, self.ent_row[pos], self.ent_col[pos])
            for a in ent:
                a.setflags(write=False)
            self._memo[("ent", code)] = ent
        return ent


@dataclass(frozen=True)
class CompiledModel:
    """A parsed and compiled SEM; immutable, refit with :meth:`fit`.

    Attributes
    ----------
    partable : DataFrame
        The parameter table (lavaan columns plus ``xid``).
    groups : list of str
        Group labels (``[""]`` for one group).
    ov_names, lv_names : list of str
        Observed / latent variables in lavaan's order.
    ordered : list of str
        Ordered (categorical) observed variables.
    meanstructure : bool
        Whether means/intercepts are modelled.
    n_free : int
        Length of the reduced free-parameter vector ``x``.
    fitter : callable, optional
        The estimation engine behind :meth:`fit`, ``fitter(model, data, start=...)``;
        :func:`analysis.sem.compile_model` sets it, so that this module does not import
        the front door that imports it.
    """

    partable: pd.DataFrame
    groups: list[str]
    ov_names: list[str]
    lv_names: list[str]
    ordered: list[str]
    meanstructure: bool
    n_free: int
    eta_names: list[str]
    ov_x: list[str]
    th_names: list[tuple[str, str]]
    options: Mapping[str, Any]
    _specs: tuple[_GroupSpec, ...] = field(repr=False)
    bound: bool = False
    baseline: CompiledModel | None = field(default=None, repr=False)
    fitter: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
    # index arrays derived from the (fixed) structure, and the last ``_core`` of each
    # group keyed on the bytes of ``x``; filled on first use, never shared by copies
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # ------------------------------------------------------------------ basics
    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return len(self.groups)

    @property
    def n_ov(self) -> int:
        """Number of observed variables."""
        return len(self.ov_names)

    @property
    def ordered_mask(self) -> np.ndarray:
        """Boolean mask over ``ov_names``: True for ordered variables."""
        return self._ordm().copy()

    def _ordm(self) -> np.ndarray:
        """:attr:`ordered_mask`, cached and read-only."""
        m = self._memo.get("ordm")
        if m is None:
            m = np.array([v in self.ordered for v in self.ov_names], dtype=bool)
            m.setflags(write=False)
            self._memo["ordm"] = m
        return m

    def _moment_index(self, group: int) -> dict[str, Any]:
        """Index arrays placing (Sigma, mu, tau) in one group's moment vector (cached).

        With ordered variables: ``tau_pos``/``tau_src``/``tau_mu`` put ``tau - mu`` of
        each threshold, ``num_pos``/``num_mu`` minus the mean of each numeric variable,
        then ``num`` (variances of the numeric variables) and ``off_r``/``off_c`` (the
        off-diagonal elements, column by column) follow from ``n_th`` on.
        """
        key = ("mom", group)
        ix = self._memo.get(key)
        if ix is not None:
            return ix
        p = self.n_ov
        if self.ordered:
            spec = self._specs[group]
            ordm = self._ordm()
            tau_pos, tau_src, tau_mu, num_pos, num_mu = [], [], [], [], []
            pos = ti = 0
            for i in range(p):
                if ordm[i]:
                    kk = int(np.sum(spec.th_var == i))
                    tau_pos.extend(range(pos, pos + kk))
                    tau_src.extend(range(ti, ti + kk))
                    tau_mu.extend([i] * kk)
                    ti += kk
                    pos += kk
                else:  # lavaan stores minus the mean of a numeric variable here
                    num_pos.append(pos)
                    num_mu.append(i)
                    pos += 1
            r, c = np.tril_indices(p, -1)
            order = np.lexsort((r, c))
            num = np.flatnonzero(~ordm)
            ix = {"tau_pos": tau_pos, "tau_src": tau_src, "tau_mu": tau_mu,
                  "num_pos": num_pos, "num_mu": num_mu, "n_th": pos, "num": num,
                  "off_r": r[order], "off_c": c[order],
                  # flat positions in a p x p matrix: variances, then off-diagonal
                  "cov_flat": np.concatenate([num * p + num, r[order] * p + c[order]])}
            ix = {k: np.asarray(v, dtype=np.intp) if isinstance(v, (list, np.ndarray)) else v
                  for k, v in ix.items()}
            ix["n_mom"] = pos + len(num) + len(r)
        else:
            i, j = vech_indices(p)
            ix = {"vech_r": i, "vech_c": j, "cov_flat": i * p + j}
        for v in ix.values():
            if isinstance(v, np.ndarray):
                v.setflags(write=False)
        self._memo[key] = ix
        return ix

    @property
    def theta_parameterization(self) -> bool:
        """True when ordered items use the theta parameterization (implied scales)."""
        return self.options.get("parameterization", "delta") == "theta"

    @property
    def x_names(self) -> list[str]:
        """A readable name (first table row) for each entry of ``x``."""
        pt = self.partable
        out = [""] * self.n_free
        rows = pt[pt["xid"] >= 0]
        for xid, lhs, op, rhs, group in zip(rows["xid"].tolist(), rows["lhs"].tolist(),
                                             rows["op"].tolist(), rows["rhs"].tolist(),
                                             rows["group"].tolist(), strict=True):
            k = int(xid)
            if not out[k]:
                g = f" (group {group})" if self.n_groups > 1 else ""
                out[k] = f"{lhs} {op} {rhs}".strip() + g
        return out

    def n_moments(self, exclude_fixed_x: bool = True) -> int:
        """Number of sample moments over all groups (lavaan's ``ndat``)."""
        p = self.n_ov
        nord = len(self.ordered)
        total = 0
        for _ in self.groups:
            if nord:
                # thresholds, then mean and variance of each numeric variable, then the
                # off-diagonal elements (lavaan's wls.obs)
                per = len(self.th_names) + 2 * (p - nord) + p * (p - 1) // 2
            else:
                per = p * (p + 1) // 2 + (p if self.meanstructure else 0)
            if exclude_fixed_x and self.ov_x:
                px = len(self.ov_x)
                per -= px * (px + 1) // 2 + (px if self.meanstructure else 0)
            total += per
        return total

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of ``x`` from simple constraints (``a > 0``, ``a < 1``)."""
        lo = np.full(self.n_free, -np.inf)
        hi = np.full(self.n_free, np.inf)
        pt = self.partable
        rows = pt[pt["op"].isin(["<", ">"])]
        if rows.empty:
            return lo, hi
        xid_of = {}
        for lab, k in zip(pt["label"], pt["xid"], strict=True):
            if lab and k >= 0:
                xid_of.setdefault(lab, int(k))
        for r in rows.itertuples():
            if r.lhs in xid_of:  # label op number
                k, val, upper = xid_of[r.lhs], float(r.rhs), r.op == "<"
            elif r.rhs in xid_of:  # number op label
                k, val, upper = xid_of[r.rhs], float(r.lhs), r.op == ">"
            else:
                continue
            if upper:
                hi[k] = min(hi[k], val)
            else:
                lo[k] = max(lo[k], val)
        return lo, hi

    def df(self) -> int:
        """Degrees of freedom of the model test: moments - free parameters."""
        return self.n_moments() - self.n_free

    def fit(self, data: pd.DataFrame, *, start: np.ndarray | None = None):
        """Fit this model to ``data``; returns an :class:`analysis.sem.result.SEMResult`.

        The compiled model is not changed; every call is an independent fit.
        """
        if self.fitter is None:
            raise ModelSpecificationError(
                "This model has no estimation engine attached; compile it with "
                "analysis.sem.compile_model() to fit it.")
        return self.fitter(self, data, start=start)

    # ---------------------------------------------------------------- binding
    def bind(self, stats: list[SampleStats]) -> CompiledModel:
        """Return a copy with fixed.x (co)variances and means set to the sample values."""
        if len(stats) != self.n_groups:
            raise ModelSpecificationError(
                f"Expected statistics for {self.n_groups} groups, got {len(stats)}.")
        specs = []
        for spec, st in zip(self._specs, stats, strict=True):
            if not spec.exo:
                specs.append(spec)
                continue
            base = [b.copy() for b in spec.base]
            for mat, i, j, a, b in spec.exo:
                val = st.mean[a] if b < 0 else st.cov[a, b]
                if mat in (NU, ALPHA):
                    base[mat][i] = val
                else:
                    base[mat][i, j] = val
                    base[mat][j, i] = val
            specs.append(replace(spec, base=tuple(base)))
        return replace(self, _specs=tuple(specs), bound=True)

    # ----------------------------------------------------------- start values
    def x_start(self, stats: list[SampleStats]) -> np.ndarray:
        """Start values like lavaan's default ("simple") scheme, from the sample moments.

        Each factor's loadings from FABIN 3 on its indicators' covariance matrix (sign
        aware: a reverse-keyed marker gives the other loadings negative starts), latent
        variances from the same one-factor solution, residual variances half the
        observed variances, regressions and covariances 0, intercepts the sample means,
        thresholds from the marginal proportions when raw ordered data are given; user
        ``start()`` values and fixed values win.

        # In R: lavaan:::lav_start(start.method = "default", ...)
        """
        from scipy.special import ndtri  # norm.ppf without its argument checks

        from .starts import fabin3

        pt = self.partable
        x = np.zeros(self.n_free)
        filled = np.zeros(self.n_free, dtype=bool)
        ov_idx = {v: i for i, v in enumerate(self.ov_names)}
        lv_set = set(self.lv_names)
        recs = list(zip(pt["lhs"], pt["op"], pt["rhs"], pt["group"], pt["xid"],
                        pt["start_user"], pt["free"], pt["ustart"], strict=True))
        for gi, st in enumerate(stats):
            g = gi + 1
            S = st.cov
            observed: dict[int, tuple[np.ndarray, np.ndarray]] = {}
            inds: dict[str, list[str]] = {}
            unit_var: set[str] = set()
            for lhs, op, rhs, grp, _k, _su, fr, us in recs:
                if grp != g:
                    continue
                if op == "=~":
                    inds.setdefault(lhs, []).append(rhs)
                elif op == "~~" and lhs == rhs and lhs in lv_set and not fr and us == 1.0:
                    unit_var.add(lhs)
            loading: dict[tuple[str, str], float] = {}
            lv_var: dict[str, float] = {}
            for f, items in inds.items():
                if any(r not in ov_idx or r in lv_set for r in items):
                    continue  # higher-order factor: lavaan's plain starts
                idx = [ov_idx[r] for r in items]
                cov = S[np.ix_(idx, idx)]
                if not np.all(np.isfinite(cov)) or not np.all(np.diag(cov) > 0):
                    continue
                one = fabin3(cov, std_lv=f in unit_var)
                lam = np.where(np.isfinite(one.lambda_), one.lambda_, 1.0)
                if one.neg_triad:
                    lam = np.full(len(items), 0.7 if f in unit_var else 1.0)
                for r, val in zip(items, lam, strict=True):
                    loading[(f, r)] = float(val)
                if np.isfinite(one.psi):
                    lv_var[f] = float(max(one.psi, 0.05))
            for lhs, op, rhs, grp, k, su, _fr, _us in recs:
                if grp != g or k < 0 or filled[k]:
                    continue
                val = 0.0
                if np.isfinite(su):
                    val = float(su)
                elif op == "=~":
                    val = loading.get((lhs, rhs), 0.7 if self.ordered else 1.0)
                elif op == "~~" and lhs == rhs:
                    if lhs in ov_idx and lhs not in self.ordered:
                        val = 0.5 * S[ov_idx[lhs], ov_idx[lhs]]
                    elif lhs in self.ordered:  # theta parameterization: unit scale
                        val = 1.0
                    elif lhs in lv_set:
                        val = 1.0 if lhs in unit_var else lv_var.get(lhs, 0.05)
                    else:
                        val = 0.05
                elif op == "~*~":
                    val = 1.0
                elif op == "~1":
                    if lhs in ov_idx and lhs not in self.ordered and lhs not in lv_set:
                        val = float(st.mean[ov_idx[lhs]])
                elif op == "|":
                    i = ov_idx[lhs]
                    val = 0.0
                    if st.data is not None:
                        if i not in observed:  # sort each ordered column once, not per threshold
                            col = st.data[:, i]
                            col = col[np.isfinite(col)]
                            observed[i] = (col, np.unique(col))
                        col, cats = observed[i]
                        k_th = int(rhs[1:])
                        if k_th <= len(cats) - 1:
                            prop = np.mean(col <= cats[k_th - 1])
                            val = float(ndtri(np.clip(prop, 1e-4, 1 - 1e-4)))
                if not np.isfinite(val):
                    val = 0.0
                x[k] = val
                filled[k] = True
        return x

    # ------------------------------------------------------------ matrices
    def matrices(self, x: np.ndarray, group: int = 0) -> tuple[np.ndarray, ...]:
        """LISREL matrices ``(Lambda, B, Psi, Theta, nu, alpha, tau, delta)`` of one group.

        ``delta`` holds the scale factors of the observed variables (``~*~``; 1 unless
        freed for ordered variables in later groups with equal thresholds).
        """
        spec = self._specs[group]
        mats = [b.copy() for b in spec.base]
        xv = np.asarray(x, dtype=float)[spec.ent_xid]
        for code in (LAMBDA, BETA, PSI, THETA):
            pos, row, col = spec.entries(code)
            if len(pos):
                val = xv[pos]
                mats[code][row, col] = val
                if code in (PSI, THETA):
                    mats[code][col, row] = val
        for code in (NU, ALPHA, TAU, DELTA):
            pos, row, _col = spec.entries(code)
            if len(pos):
                mats[code][row] = xv[pos]
        return tuple(mats)

    def _core(self, x: np.ndarray, group: int):
        """Everything the moments need; ``sigma``/``mu``/``tau`` are in the scaled (y*) metric.

        With scale factors ``delta`` (ordered variables, delta parameterization):
        ``Sigma* = D (Lambda IB Psi IB' Lambda' + Theta) D`` where the ordered residual
        variances are ``1/delta^2 - explained`` (so diag(Sigma*) = 1), ``mu* = D mu`` and
        the thresholds ``tau* = delta tau``.
        """
        spec = self._specs[group]
        lam, beta, psi, theta, nu, alpha, tau, delta = self.matrices(x, group)
        m = spec.m
        try:
            ib = np.linalg.inv(np.eye(m) - beta) if m else np.zeros((0, 0))
        except np.linalg.LinAlgError:
            raise EstimationError(
                "The model's regressions (or factors measured by each other) form a loop "
                "whose coefficients make I - B singular (e.g. 'y1 ~ 1*y2' with "
                "'y2 ~ 1*y1'): such a model implies no covariance matrix. Remove the loop, "
                "or free or change its fixed coefficients.") from None
        L = lam @ ib  # p x m
        explained = L @ psi @ L.T
        has_ord = len(self._ord_idx()) > 0
        if has_ord and self.theta_parameterization:
            # residual variances are parameters; the scales make diag(Sigma*) = 1
            d = self._ord_idx()
            delta = delta.copy()
            with np.errstate(divide="ignore", invalid="ignore"):
                delta[d] = 1.0 / np.sqrt(explained[d, d] + theta[d, d])
        elif has_ord:
            theta = theta.copy()
            d = self._ord_idx()
            d_eta, e_eta = self._ord_eta_idx()
            if len(d_eta):
                # an ordered variable in a regression sits in eta with a zero residual in
                # Theta: its residual variance is its Psi entry, 1/delta^2 minus what its
                # predictors explain (lavaan's 1 - R^2), not the fixed 1 of the table; the
                # variables it predicts see var(y*) = 1/delta^2 through it
                psi = psi.copy()
                M = L[np.ix_(d_eta, e_eta)] ** 2
                r = 1.0 / delta[d_eta] ** 2 - explained[d_eta, d_eta]
                psi[e_eta, e_eta] += np.linalg.solve(M, r)
                explained = L @ psi @ L.T
            theta[d, d] = 1.0 / delta[d] ** 2 - explained[d, d]
            if len(d_eta):
                theta[d_eta, d_eta] = 0.0
        sigma_hat = explained + theta
        alpha_tot = ib @ alpha
        mu_hat = nu + L @ alpha if m else nu.copy()
        sigma = sigma_hat * np.outer(delta, delta)
        mu = mu_hat * delta
        tau_star = tau * delta[spec.th_var] if len(tau) else tau
        return (lam, beta, psi, theta, nu, alpha, tau_star, ib, L, sigma, mu, alpha_tot,
                delta, sigma_hat, mu_hat, tau)

    def _ord_idx(self) -> np.ndarray:
        """Positions of the ordered variables in ``ov_names`` (cached, read-only)."""
        d = self._memo.get("ord_idx")
        if d is None:
            d = np.flatnonzero(self._ordm())
            d.setflags(write=False)
            self._memo["ord_idx"] = d
        return d

    def _ord_eta_idx(self) -> tuple[np.ndarray, np.ndarray]:
        """Ordered variables that take part in regressions (they sit in eta): their
        positions in ``ov_names`` and in ``eta_names`` (cached, read-only)."""
        hit = self._memo.get("ord_eta_idx")
        if hit is None:
            eti = {v: i for i, v in enumerate(self.eta_names)}
            lv = set(self.lv_names)
            pairs = [(i, eti[v]) for i, v in enumerate(self.ov_names)
                     if v in self.ordered and v in eti and v not in lv]
            d = np.array([a for a, _ in pairs], dtype=np.intp)
            e = np.array([b for _, b in pairs], dtype=np.intp)
            d.setflags(write=False)
            e.setflags(write=False)
            hit = self._memo["ord_eta_idx"] = (d, e)
        return hit

    def _core_memo(self, x: np.ndarray, group: int):
        """:meth:`_core` with a one-entry cache per group keyed on the bytes of ``x``.

        A Gauss-Newton step asks for the moments at ``x`` (to judge the step) and then
        for the moments and the Jacobian at the same ``x``: one ``_core`` serves all.
        The arrays are read-only; only :meth:`moments` and :meth:`derivatives` use this
        (they do not hand the arrays out).
        """
        xa = np.ascontiguousarray(x, dtype=float)
        key = xa.tobytes()
        hit = self._memo.get(("core", group))
        if hit is not None and hit[0] == key:
            return hit[1]
        core = self._core(xa, group)
        for a in core:
            a.setflags(write=False)
        self._memo[("core", group)] = (key, core)
        return core

    def implied(self, x: np.ndarray) -> list[Implied]:
        """Model-implied ``Sigma``, ``mu`` and thresholds per group at ``x``."""
        out = []
        for g in range(self.n_groups):
            (*_, tau, _ib, _L, sigma, mu, _at, _d, _sh, _mh, _t) = self._core(x, g)
            out.append(Implied(sigma=sigma, mu=mu if self.meanstructure else None,
                               tau=tau if self.ordered else None))
        return out

    def implied_lv(self, x: np.ndarray, group: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Implied covariance matrix and means of the eta vector (latent + structural ov)."""
        core = self._core(x, group)
        psi, ib, alpha_tot = core[2], core[7], core[11]
        return ib @ psi @ ib.T, alpha_tot

    def scales(self, x: np.ndarray, group: int = 0) -> np.ndarray:
        """Scale factors ``delta`` of the observed variables (``~*~``) in one group."""
        return self._core(x, group)[12]

    def _th_moments(self, sigma, mu, tau, group: int) -> np.ndarray:
        """Thresholds minus the implied means, and minus the means of numeric variables."""
        ix = self._moment_index(group)
        out = np.empty(ix["n_th"])
        out[ix["tau_pos"]] = tau[ix["tau_src"]] - mu[ix["tau_mu"]]
        out[ix["num_pos"]] = -mu[ix["num_mu"]]
        return out

    def moments(self, x: np.ndarray) -> list[np.ndarray]:
        """Model-implied moment vector per group, in lavaan's WLS order."""
        out = []
        for g in range(self.n_groups):
            core = self._core_memo(x, g)
            tau, sigma, mu = core[6], core[9], core[10]
            ix = self._moment_index(g)
            if self.ordered:
                nt, num = ix["n_th"], ix["num"]
                v = np.empty(ix["n_mom"])
                v[ix["tau_pos"]] = tau[ix["tau_src"]] - mu[ix["tau_mu"]]
                v[ix["num_pos"]] = -mu[ix["num_mu"]]
                v[nt:nt + len(num)] = sigma[num, num]
                v[nt + len(num):] = sigma[ix["off_r"], ix["off_c"]]
                out.append(v)
            else:
                sv = sigma[ix["vech_r"], ix["vech_c"]]
                out.append(np.concatenate([mu, sv]) if self.meanstructure else sv)
        return out

    def derivatives(self, x: np.ndarray, group: int = 0):
        """Analytic derivatives of (Sigma, mu, tau) w.r.t. ``x`` for one group.

        Returns
        -------
        (dSigma, dmu, dtau) with shapes (n_free, p, p), (n_free, p), (n_free, ntau).
        """
        spec = self._specs[group]
        sub, D, Dm, Dt = self._entry_derivatives(x, group)
        nf, p = self.n_free, spec.p
        dS = np.zeros((nf, p, p))
        dM = np.zeros((nf, p))
        dT = np.zeros((nf, Dt.shape[1]))
        xid = spec.ent_xid
        if spec.unique_xid:
            dS[xid[sub]] = D
            dM[xid] = Dm
            dT[xid] = Dt
        else:
            np.add.at(dS, xid[sub], D)
            np.add.at(dM, xid, Dm)
            np.add.at(dT, xid, Dt)
        return dS, dM, dT

    def _sigma_entries(self, group: int) -> tuple[np.ndarray, np.ndarray]:
        """The free entries of one group that can move ``Sigma`` (loadings, regressions,
        (residual) covariances, scale factors), and the position of every entry among
        them (-1 for the others: thresholds, intercepts, means); cached."""
        key = ("sub", group)
        hit = self._memo.get(key)
        if hit is None:
            spec = self._specs[group]
            sub = np.flatnonzero(np.isin(spec.ent_mat, (LAMBDA, BETA, PSI, THETA, DELTA)))
            where = np.full(len(spec.ent_mat), -1, dtype=np.intp)
            where[sub] = np.arange(len(sub))
            sub.setflags(write=False)
            where.setflags(write=False)
            hit = self._memo[key] = (sub, where)
        return hit

    def _entry_derivatives(self, x: np.ndarray, group: int):
        """Derivatives of (Sigma, mu, tau) of one group with respect to its free entries.

        Returns ``(sub, D, Dm, Dt)``: ``D`` (len(sub), p, p) holds d Sigma for the entries
        ``sub`` (see :meth:`_sigma_entries`; d Sigma of every other entry is zero),
        ``Dm`` (k, p) and ``Dt`` (k, ntau) d mu and d tau of all ``k`` entries.
        """
        spec = self._specs[group]
        (lam, beta, psi, theta, nu, alpha, _tau_star, ib, L, _sigma, _mu, at, delta,
         sigma_hat, mu_hat, tau) = self._core_memo(x, group)
        p, k = spec.p, len(spec.ent_xid)
        sub, where = self._sigma_entries(group)
        A = ib @ psi @ ib.T @ lam.T  # m x p
        D = np.zeros((len(sub), p, p))
        Dm = np.zeros((k, p))
        Dt = np.zeros((k, len(tau)))
        c, i, j = spec.entries(LAMBDA)
        if len(c):
            # X + X' with X = e_i A_j.: row and column i, the same sums as the dense form
            wc = where[c]
            D[wc, i, :] = A[j, :] + 0.0
            D[wc, :, i] = A[j, :] + 0.0
            D[wc, i, i] = A[j, i] + A[j, i]
            Dm[c, i] = at[j]
        c, kk, ll = spec.entries(BETA)
        if len(c):
            X = L[:, kk].T[:, :, None] * A[ll][:, None, :]
            D[where[c]] = X + X.transpose(0, 2, 1)
            Dm[c] = L[:, kk].T * at[ll][:, None]
        c, kk, ll = spec.entries(PSI)
        if len(c):
            X = L[:, kk].T[:, :, None] * L[:, ll].T[:, None, :]
            Y = X + X.transpose(0, 2, 1)
            Y[kk == ll] *= 0.5
            D[where[c]] = Y
        c, i, j = spec.entries(THETA)
        if len(c):
            D[where[c], i, j] = 1.0
            D[where[c], j, i] = 1.0
        c, i, _ = spec.entries(NU)
        if len(c):
            Dm[c, i] = 1.0
        c, i, _ = spec.entries(ALPHA)
        if len(c):
            Dm[c] = L[:, i].T
        c, i, _ = spec.entries(TAU)
        if len(c):
            Dt[c, i] = 1.0
        d = self._ord_idx()
        d_eta, e_eta = self._ord_eta_idx() if not self.theta_parameterization else ((), ())
        if len(d_eta):
            # the Psi entries of ordered variables in eta follow the other parameters
            # (see _core): sum_e L_de^2 dpsi_e = d(1/delta_d^2) - d explained_dd, where D
            # holds d explained with those entries held fixed
            rhs = -D[:, d_eta, d_eta]
            c, i, _ = spec.entries(DELTA)
            if len(c):
                pos = {int(v): k for k, v in enumerate(d_eta)}
                for cc, ii in zip(c.tolist(), i.tolist(), strict=True):
                    if ii in pos:
                        rhs[where[cc], pos[ii]] += -2.0 / delta[ii] ** 3
            M = L[np.ix_(d_eta, e_eta)] ** 2
            dpsi = np.linalg.solve(M, rhs.T).T  # len(sub) x n
            for k, e in enumerate(e_eta.tolist()):
                D += dpsi[:, k][:, None, None] * np.outer(L[:, e], L[:, e])[None, :, :]
        if len(d):
            # scaled metric: Sigma* = D Sigma_hat D, mu* = D mu, tau* = delta tau; the
            # derivative of delta itself: 1 for a free scale factor (delta
            # parameterization) or -delta^3/2 times that of var(y*) (theta).  Only the
            # entries ``sub`` can move delta.
            ddelta = np.zeros((len(sub), p))
            if self.theta_parameterization:
                ddelta[:, d] = -0.5 * delta[d] ** 3 * D[:, d, d]
            c, i, _ = spec.entries(DELTA)
            if len(c):
                ddelta[where[c], i] = 1.0
            if not np.all(delta == 1.0):  # multiplying by 1.0 changes nothing
                scale = np.outer(delta, delta)
                D *= scale[None, :, :]
                Dm *= delta[None, :]
                if len(tau):
                    Dt *= delta[spec.th_var][None, :]
            moving = np.flatnonzero(np.any(ddelta != 0.0, axis=1))
            if len(moving):
                dd = ddelta[moving]
                X = dd[:, :, None] * (sigma_hat * delta[None, :])[None, :, :]
                D[moving] += X + X.transpose(0, 2, 1)
                Dm[sub[moving]] += dd * mu_hat[None, :]
                if len(tau):
                    Dt[sub[moving]] += dd[:, spec.th_var] * tau[None, :]
            D[:, d, d] = 0.0
        return sub, D, Dm, Dt

    def _stack_moments(self, group: int, dS: np.ndarray, dM: np.ndarray, dT: np.ndarray,
                       rows: np.ndarray | None = None) -> np.ndarray:
        """Rows of d moments (in the order of :meth:`moments`) from derivatives of
        (Sigma, mu, tau); ``rows`` (optional) says which rows of ``dM``/``dT`` the rows of
        ``dS`` belong to (the others have d Sigma = 0)."""
        ix = self._moment_index(group)
        n, p = dM.shape
        cov = dS.reshape(dS.shape[0], p * p).take(ix["cov_flat"], axis=1)
        if self.ordered:
            nt = ix["n_th"]
            J = np.empty((n, ix["n_mom"])) if rows is None else np.zeros((n, ix["n_mom"]))
            J[:, ix["tau_pos"]] = dT[:, ix["tau_src"]] - dM[:, ix["tau_mu"]]
            J[:, ix["num_pos"]] = -dM[:, ix["num_mu"]]
        else:
            nt = p if self.meanstructure else 0
            J = np.empty((n, nt + len(ix["cov_flat"]))) if rows is None else \
                np.zeros((n, nt + len(ix["cov_flat"])))
            if nt:
                J[:, :nt] = dM
        if rows is None:
            J[:, nt:] = cov
        else:
            J[rows, nt:] = cov
        return J

    def jacobian(self, x: np.ndarray) -> list[np.ndarray]:
        """Per group: d moments / d x (lavaan's ``Delta``), shape (n_moments_g, n_free)."""
        out = []
        nf = self.n_free
        for g in range(self.n_groups):
            spec = self._specs[g]
            if spec.unique_xid:
                # per free entry, then placed in the rows of their parameters
                sub, D, Dm, Dt = self._entry_derivatives(x, g)
                Je = self._stack_moments(g, D, Dm, Dt, rows=sub)
                xid = spec.ent_xid
                if len(xid) == nf and np.array_equal(xid, np.arange(nf)):
                    J = Je
                else:
                    J = np.zeros((nf, Je.shape[1]))
                    J[xid] = Je
            else:  # entries sharing a parameter: sum the derivatives first
                dS, dM, dT = self.derivatives(x, g)
                J = self._stack_moments(g, dS, dM, dT)
            out.append(J.T)
        return out

    def moment_hessian(self, x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
        """Weighted second derivatives of the moments: ``sum_g sum_k w_gk d2 m_gk / dx dx'``.

        Parameters
        ----------
        x : ndarray (n_free,)
            Free parameters.
        weights : list of ndarray
            Per group, one weight per moment in the order of :meth:`jacobian`
            (``[mu (if meanstructure), vech(Sigma)]``), e.g. the gradient of the
            log-likelihood with respect to the moments.

        Returns
        -------
        ndarray (n_free, n_free)
            Symmetric; the second-order part of the Hessian of any function of the
            moments (with :meth:`jacobian` giving the first-order part).

        Notes
        -----
        With ``G`` the symmetric matrix holding the covariance weights (off-diagonal
        vech weights halved), ``h`` the mean weights, ``T = (I - B)^-1`` and
        ``L = Lambda T``, the weighted moments are
        ``phi = tr(G (L Psi L' + Theta)) + h'(nu + L alpha)``.  Theta and nu enter
        linearly and Psi and alpha linearly given ``L``, so only pairs involving a
        loading or a regression coefficient have second derivatives.  A loading
        ``Lambda_ij`` moves ``L`` by ``e_i T_j.`` and a regression ``B_kl`` by
        ``L_.k T_l.``, both of the form ``u v'``; for two such entries
        ``d2 phi = 2 (u_a' G u_b)(v_a' Psi v_b) + <d2 L, K>`` with
        ``K = 2 G L Psi + h alpha'`` and ``d2 L`` the second derivative of ``L`` (non-zero
        for loading-regression and regression-regression pairs); with ``Psi_kl``:
        ``2 v' dPsi_kl L' G u``; with ``alpha_k``: ``(h'u) v_k``.  Entries sharing a
        parameter (labels, equality constraints, ``group_equal``) are summed, as in
        :meth:`jacobian`.  Continuous variables only (no thresholds or scale factors).

        # In R: lavaan computes this Hessian part numerically (lav_model_hessian)
        """
        if self.ordered:
            raise ModelSpecificationError(
                "Second derivatives of the moments are available for continuous variables "
                "only; the model has ordered variables.")
        nf = self.n_free
        out = np.zeros((nf, nf))
        p = self.n_ov
        vr, vc = vech_indices(p)
        for g in range(self.n_groups):
            spec = self._specs[g]
            if np.any(spec.ent_mat >= TAU):
                raise ModelSpecificationError(
                    "Second derivatives of the moments are not available for thresholds or "
                    "scale factors.")
            w = np.asarray(weights[g], dtype=float)
            if self.meanstructure:
                h, sv = w[:p], w[p:]
            else:
                h, sv = np.zeros(p), w
            G = np.zeros((p, p))
            G[vr, vc] = sv
            G[vc, vr] = sv
            off = ~np.eye(p, dtype=bool)
            G[off] *= 0.5
            m = spec.m
            if m == 0 or len(spec.ent_mat) == 0:
                continue
            lam, _beta, psi, _theta, _nu, alpha, _ts, T, L, *_ = self._core(x, g)
            mat, row, col = spec.ent_mat, spec.ent_row, spec.ent_col
            k = len(mat)
            E = np.zeros((k, k))
            ia = np.flatnonzero(mat == LAMBDA)
            ib = np.flatnonzero(mat == BETA)
            d = np.concatenate([ia, ib])  # entries that move L (u v' form)
            if len(d) == 0:
                continue
            U = np.zeros((p, len(d)))
            U[row[ia], np.arange(len(ia))] = 1.0
            U[:, len(ia):] = L[:, row[ib]]
            V = np.concatenate([T[col[ia], :], T[col[ib], :]], axis=0).T  # m x nd
            GU = G @ U
            E[np.ix_(d, d)] = 2.0 * (U.T @ GU) * (V.T @ psi @ V)
            if len(ib):
                K = 2.0 * G @ L @ psi + np.outer(h, alpha)
                P = K @ T.T  # p x m
                Q = L.T @ P  # m x m
                kb, lb = row[ib], col[ib]
                if len(ia):
                    lb_a = T[np.ix_(col[ia], kb)] * P[np.ix_(row[ia], lb)]
                    E[np.ix_(ia, ib)] += lb_a
                    E[np.ix_(ib, ia)] += lb_a.T
                bb = T.T[np.ix_(kb, lb)] * Q.T[np.ix_(lb, kb)]
                E[np.ix_(ib, ib)] += bb + bb.T
            ip = np.flatnonzero(mat == PSI)
            if len(ip):
                Wm = L.T @ GU  # m x nd
                kp, lp = row[ip], col[ip]
                val = 2.0 * (V[kp, :] * Wm[lp, :] + V[lp, :] * Wm[kp, :])  # n_psi x nd
                val[kp == lp] *= 0.5
                E[np.ix_(ip, d)] += val
                E[np.ix_(d, ip)] += val.T
            ial = np.flatnonzero(mat == ALPHA)
            if len(ial) and self.meanstructure:
                val = (h @ U)[None, :] * V[row[ial], :]  # n_alpha x nd
                E[np.ix_(ial, d)] += val
                E[np.ix_(d, ial)] += val.T
            xid = spec.ent_xid
            if spec.unique_xid:
                out[np.ix_(xid, xid)] += E
            else:
                np.add.at(out, (xid[:, None], xid[None, :]), E)
        return 0.5 * (out + out.T)

    def x_to_table(self, x: np.ndarray, se: np.ndarray | None = None) -> pd.DataFrame:
        """Copy of the parameter table with ``est`` (and ``se``) filled in from ``x``."""
        pt = self.partable.copy()
        est = pt["ustart"].to_numpy(dtype=float).copy()
        free = pt["xid"].to_numpy() >= 0
        est[free] = np.asarray(x)[pt["xid"].to_numpy()[free]]
        # exo rows and ordered residual variances: read from the bound matrices
        ovi = {v: i for i, v in enumerate(self.ov_names)}
        # the three name columns as lists: a row object per fixed row cost more than the
        # lookup itself
        lhs_col, op_col, rhs_col = pt["lhs"].tolist(), pt["op"].tolist(), pt["rhs"].tolist()
        for g in range(self.n_groups):
            core = self._core(x, g)
            lam, beta, psi, theta, nu, alpha = core[:6]
            delta = core[12]
            sel = np.flatnonzero(((pt["group"] == g + 1).to_numpy()) & ~free)
            for ridx in sel.tolist():
                r = {"lhs": lhs_col[ridx], "op": op_col[ridx], "rhs": rhs_col[ridx]}
                if r["op"] == "~*~":  # implied under the theta parameterization
                    est[ridx] = delta[ovi[r["lhs"]]]
                    continue
                val = self._lookup(r, lam, beta, psi, theta, nu, alpha)
                if val is not None:
                    est[ridx] = val
        pt["est"] = est
        if se is not None:
            s = np.zeros(len(pt))
            s[free] = np.asarray(se)[pt["xid"].to_numpy()[free]]
            s[pt["op"].isin([":=", "==", "<", ">"]).to_numpy()] = np.nan
            pt["se"] = s
        return pt

    def _lookup(self, r, lam, beta, psi, theta, nu, alpha):
        ovi = {v: i for i, v in enumerate(self.ov_names)}
        eti = {v: i for i, v in enumerate(self.eta_names)}
        lhs, op, rhs = r["lhs"], r["op"], r["rhs"]
        eta_ov = set(self.eta_names) - set(self.lv_names)
        if op == "~~":
            if lhs in eti and rhs in eti:
                return psi[eti[lhs], eti[rhs]]
            if lhs in ovi and rhs in ovi:
                return theta[ovi[lhs], ovi[rhs]]
        if op == "~1":
            if lhs in eti:
                return alpha[eti[lhs]]
            if lhs in ovi and lhs not in eta_ov:
                return nu[ovi[lhs]]
        return None


def cell_of(lhs: str, op: str, rhs: str, ovi: Mapping[str, int], eti: Mapping[str, int],
            ) -> tuple[int, int, int]:
    """Matrix code and cell ``(code, row, col)`` of a parameter ``lhs op rhs``.

    ``ovi``/``eti`` map observed / eta variable names to their positions.  Raises
    ``ModelSpecificationError`` if the parameter has no place in the LISREL form.
    """
    if op == "=~":
        if rhs in eti:
            return BETA, eti[rhs], eti[lhs]
        return LAMBDA, ovi[rhs], eti[lhs]
    if op == "~":
        if lhs not in eti or rhs not in eti:
            raise ModelSpecificationError(f"Cannot place '{lhs} ~ {rhs}' in the model.")
        return BETA, eti[lhs], eti[rhs]
    if op == "~~":
        if lhs in eti and rhs in eti:
            i, j = eti[lhs], eti[rhs]
            return PSI, max(i, j), min(i, j)
        if lhs in ovi and rhs in ovi and lhs not in eti and rhs not in eti:
            i, j = ovi[lhs], ovi[rhs]
            return THETA, max(i, j), min(i, j)
        raise ModelSpecificationError(
            f"Cannot place the covariance '{lhs} ~~ {rhs}' in the model.")
    if op == "~1":
        if lhs in eti:
            return ALPHA, eti[lhs], 0
        return NU, ovi[lhs], 0
    raise ModelSpecificationError(f"Unknown operator {op!r}.")


#: Operators of the rows that place a parameter in the model's matrices.
_MODEL_OPS = frozenset(("=~", "~", "~~", "~1", "|", "~*~"))


def build_specs(partable: pd.DataFrame, ov_names: list[str], lv_names: list[str],
                eta_ov: list[str], ordered: list[str], n_groups: int, n_free: int,
                ) -> tuple[list[str], list[tuple[str, str]], tuple[_GroupSpec, ...]]:
    """Translate the parameter table into per-group matrix specifications."""
    eta_names = list(lv_names) + [v for v in eta_ov if v not in lv_names]
    ovi = {v: i for i, v in enumerate(ov_names)}
    eti = {v: i for i, v in enumerate(eta_names)}
    p, m = len(ov_names), len(eta_names)
    th_names: list[tuple[str, str]] = []
    pt = partable
    # the table's columns as plain lists, read once: selecting and iterating rows of the
    # frame cost more than building the matrices (this runs at every compile)
    idx_l, group_l = pt.index.tolist(), pt["group"].tolist()
    lhs_l, op_l, rhs_l = pt["lhs"].tolist(), pt["op"].tolist(), pt["rhs"].tolist()
    xid_l, exo_l, ustart_l = pt["xid"].tolist(), pt["exo"].tolist(), pt["ustart"].tolist()
    order = {v: i for i, v in enumerate(ov_names)}
    th_rows = sorted((order[a], int(b[1:]), a, b) for a, o, b, g in
                     zip(lhs_l, op_l, rhs_l, group_l, strict=True) if g == 1 and o == "|")
    th_names = [(t[2], t[3]) for t in th_rows]
    th_pos = {(a, b): i for i, (a, b) in enumerate(th_names)}
    specs = []
    for g in range(1, n_groups + 1):
        lam = np.zeros((p, m))
        beta = np.zeros((m, m))
        psi = np.zeros((m, m))
        theta = np.zeros((p, p))
        nu = np.zeros(p)
        alpha = np.zeros(m)
        tau = np.zeros(len(th_names))
        delta = np.ones(p)
        for v in eta_ov:
            if v not in lv_names:
                lam[ovi[v], eti[v]] = 1.0
        base = [lam, beta, psi, theta, nu, alpha, tau, delta]
        ents: list[tuple[int, int, int, int, int]] = []
        exo: list[tuple[int, int, int, int, int]] = []
        for k, op in enumerate(op_l):
            if group_l[k] != g or op not in _MODEL_OPS:
                continue
            ridx, lhs, rhs = idx_l[k], lhs_l[k], rhs_l[k]
            xid_v, exo_v, ustart = xid_l[k], exo_l[k], ustart_l[k]
            if op == "|":
                code, i, j = TAU, th_pos[(lhs, rhs)], 0
            elif op == "~*~":
                code, i, j = DELTA, ovi[lhs], 0
            else:
                code, i, j = cell_of(lhs, op, rhs, ovi, eti)
            xid = int(xid_v)
            if xid >= 0:
                ents.append((code, i, j, xid, int(ridx)))
            elif int(exo_v) == 1:
                if op == "~1":
                    exo.append((code, i, j, ovi[lhs], -1))
                else:
                    exo.append((code, i, j, ovi[lhs], ovi[rhs]))
            else:
                val = float(ustart) if np.isfinite(ustart) else 0.0
                if code in (NU, ALPHA, TAU, DELTA):
                    base[code][i] = val
                else:
                    base[code][i, j] = val
                    if code in (PSI, THETA):
                        base[code][j, i] = val
        arr = np.array(ents, dtype=int).reshape(-1, 5)
        th_var = np.array([order[a] for a, _ in th_names], dtype=int)
        specs.append(_GroupSpec(p=p, m=m, base=tuple(base), ent_mat=arr[:, 0],
                                ent_row=arr[:, 1], ent_col=arr[:, 2], ent_xid=arr[:, 3],
                                ent_tab=arr[:, 4], exo=tuple(exo), th_var=th_var))
    return eta_names, th_names, tuple(specs)
