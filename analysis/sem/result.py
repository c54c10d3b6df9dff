"""The fitted-model result object (``SEMResult``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from analysis.errors import ModelSpecificationError

from .bootstrap import bootstrap_params
from .fitmeasures import fit_measures
from .model import CompiledModel, SampleStats
from .modindices import modification_indices
from .residuals import KINDS as z_kinds
from .residuals import z_residuals
from .standardize import defined_delta, r_squared, standardized, standardized_nox
from .state import FitState

# fit measures that describe the model, not the solution: kept for a non-converged fit
_FIT_KEPT_UNCONVERGED = frozenset({"npar", "df", "ntotal", "baseline_df"})


@dataclass(frozen=True)
class SEMResult:
    """A fitted SEM: estimates, fit measures, R², modification indices.

    Statistics are computed lazily on first access.  Nothing here mutates the
    compiled model.
    """

    model: CompiledModel
    stats: tuple[SampleStats, ...]
    state: FitState
    data_warnings: tuple[str, ...] = ()

    # ----------------------------------------------------------- basics
    @property
    def converged(self) -> bool:
        """Whether the optimiser converged."""
        return bool(self.state.converged)

    @property
    def estimator(self) -> str:
        """The estimator used (``ML``, ``MLR``, ``WLSMV``)."""
        return str(self.model.options.get("estimator", "ML"))

    @property
    def n(self) -> dict[str, int]:
        """Cases used per group (keys: group labels, ``""`` for one group) and ``"total"``."""
        out = {g: int(s.n) for g, s in zip(self.model.groups, self.stats, strict=True)}
        out["total"] = int(sum(s.n for s in self.stats))
        return out

    @property
    def nclusters(self) -> int | None:
        """Number of clusters of a ``cluster=`` fit (summed over groups), else None.

        # In R: lavInspect(fit, "nclusters")
        """
        if self.model.options.get("cluster") is None:
            return None
        return int(sum(len(np.unique(s.cluster)) for s in self.stats if s.cluster is not None))

    @property
    def x(self) -> np.ndarray:
        """Estimates of the free-parameter vector."""
        return self.state.x

    @property
    def vcov(self) -> np.ndarray | None:
        """Covariance matrix of the free parameters (None if not computed)."""
        return self.state.vcov

    def _vcov_delta(self) -> np.ndarray | None:
        """:attr:`vcov` for the delta method: a parameter on the bound of an inequality
        constraint (a row without variances, NaN) counts as fixed there (zero variance),
        as lavaan's augmented information treats it, instead of making every derived
        standard error NaN."""
        v = self.state.vcov
        if v is None:
            return None
        off = np.isnan(np.diag(v))
        if not off.any() or off.all():
            return v
        v = v.copy()
        v[off, :] = 0.0
        v[:, off] = 0.0
        return v

    @cached_property
    def partable(self) -> pd.DataFrame:
        """The parameter table with ``est`` and ``se`` filled in (``:=`` rows included)."""
        se = None
        if self.state.vcov is not None:
            se = np.sqrt(np.maximum(np.diag(self.state.vcov), 0.0))
        pt = self.model.x_to_table(self.state.x, se)
        if se is None:
            pt["se"] = np.where(pt["xid"] >= 0, np.nan, 0.0)
        defs = pt["op"].to_numpy() == ":="
        if defs.any():
            est, dse, _J = defined_delta(self.model, self.state.x, pt["est"].to_numpy(float),
                                         self._vcov_delta())
            pt.loc[defs, "est"] = est
            pt.loc[defs, "se"] = dse
        # start values as used for this fit (free rows) or the fixed values
        start = self.model.x_to_table(self.model.x_start(list(self.stats)))["est"]
        pt["start"] = np.where(pt["op"].isin([":=", "==", "<", ">"]), np.nan, start)
        return pt

    @cached_property
    def params(self) -> pd.DataFrame:
        """Parameter estimates (lavaan ``parameterEstimates(fit, standardized = TRUE)``).

        Columns ``lhs, op, rhs, label, group, est, se, z, pvalue, ci_lower, ci_upper,
        std_lv, std_all``; fixed parameters have ``se = 0`` and NaN ``z``/``pvalue``.
        Wald 95 % intervals by default; with ``bootstrap=N`` bootstrap SEs and
        percentile intervals (lavaan ``se = "bootstrap"``, ``boot.ci.type = "perc"``).
        """
        pt = self.partable
        keep = ~pt["op"].isin(["==", "<", ">"]).to_numpy()
        pt = pt[keep].reset_index(drop=True)
        est = pt["est"].to_numpy(dtype=float)
        se = pt["se"].to_numpy(dtype=float)
        free = (pt["xid"].to_numpy() >= 0) | (pt["op"].to_numpy() == ":=")
        with np.errstate(all="ignore"):
            z = np.where(free & (se > 0), est / se, np.nan)
        p = 2.0 * sps.norm.sf(np.abs(z))
        q = sps.norm.ppf(0.975)
        lo = np.where(np.isfinite(se), est - q * se, np.nan)
        hi = np.where(np.isfinite(se), est + q * se, np.nan)
        std_lv, std_all = standardized(self.model, self.state.x, pt)
        out = pd.DataFrame({
            "lhs": pt["lhs"].astype(str), "op": pt["op"].astype(str),
            "rhs": pt["rhs"].astype(str), "label": pt["label"].astype(str),
            "group": pt["group"].astype(int), "est": est, "se": se, "z": z, "pvalue": p,
            "ci_lower": lo, "ci_upper": hi, "std_lv": std_lv, "std_all": std_all,
        })
        boot = dict(self.state.extra or {}).get("bootstrap")
        if boot is not None:  # bootstrap SEs and percentile intervals
            out = bootstrap_params(out, self.model, boot)
        if not self.converged:
            # the estimates of a non-converged fit are where the optimiser stopped, not
            # estimates: missing in every table (``partable`` keeps them for diagnosis)
            num = ["est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_lv", "std_all"]
            free = (pt["xid"].to_numpy() >= 0) | (pt["op"].to_numpy() == ":=")
            out.loc[free, [c for c in num if c in out.columns]] = np.nan
        return out

    def parameter_estimates(self, level: float = 0.95) -> pd.DataFrame:
        """:attr:`params` with intervals of another confidence level (lavaan
        ``parameterEstimates(fit, level = level)``).

        Parameters
        ----------
        level : float
            Confidence level of ``ci_lower`` / ``ci_upper``, between 0 and 1: Wald
            intervals ``est -/+ qnorm((1 + level) / 2) * se``, or with ``bootstrap=N``
            the percentile intervals of the draws.

        Returns
        -------
        DataFrame
            The columns of :attr:`params`.

        # In R: lavaan::parameterEstimates(fit, level = 0.90)
        """
        if isinstance(level, bool) or not isinstance(level, (int, float)) \
                or not 0.0 < float(level) < 1.0:
            raise ModelSpecificationError(
                f"level= must be a number between 0 and 1 (e.g. 0.90), not {level!r}.")
        out = self.params.copy()
        if float(level) == 0.95:
            return out
        boot = dict(self.state.extra or {}).get("bootstrap")
        if boot is not None and self.converged:
            return bootstrap_params(out, self.model, boot, float(level))
        q = sps.norm.ppf((1.0 + float(level)) / 2.0)
        est, se = out["est"].to_numpy(float), out["se"].to_numpy(float)
        out["ci_lower"] = np.where(np.isfinite(se), est - q * se, np.nan)
        out["ci_upper"] = np.where(np.isfinite(se), est + q * se, np.nan)
        return out

    def standardized_solution(self, kind: str = "std.all") -> pd.DataFrame:
        """Standardized estimates with delta-method standard errors (lavaan
        ``standardizedSolution(fit, type = kind)``).

        Parameters
        ----------
        kind : {"std.all", "std.lv", "std.nox"}
            ``"std.nox"`` standardizes as ``"std.all"`` but leaves the exogenous
            observed covariates in their own metric (a coefficient of a covariate is the
            change in SDs of the outcome per unit of the covariate).

        Returns
        -------
        DataFrame
            ``lhs, op, rhs, group, est_std, se, z, pvalue, ci_lower, ci_upper`` in the
            order of :attr:`params`.  The Jacobian of the standardized values with respect
            to the free parameters is taken by central differences and combined with
            :attr:`vcov` (robust for MLR/WLSMV); fixed rows have ``se = 0``.  Missing
            (NaN) when the fit did not converge or has no covariance matrix of estimates.

        # In R: lavaan::standardizedSolution(fit, type = "std.all")
        """
        col = {"std.all": 1, "std.lv": 0, "std.nox": 2}.get(kind)
        if col is None:
            raise ModelSpecificationError("kind= must be 'std.all', 'std.lv' or 'std.nox'.")
        keep = ~self.partable["op"].isin(["==", "<", ">"]).to_numpy()

        def values(x: np.ndarray) -> np.ndarray:
            pt = self.model.x_to_table(x)
            defs = pt["op"].to_numpy() == ":="
            if defs.any():
                pt.loc[defs, "est"] = defined_delta(self.model, x, pt["est"].to_numpy(float),
                                                    None)[0]
            tab = pt[keep].reset_index(drop=True)
            if col == 2:
                return standardized_nox(self.model, x, tab)
            return standardized(self.model, x, tab)[col]

        x = np.asarray(self.state.x, dtype=float)
        est = values(x)
        vcov = self._vcov_delta()
        se = np.full(len(est), np.nan)
        if vcov is not None and self.converged:
            jac = np.zeros((len(est), len(x)))
            for j in range(len(x)):
                h = 1e-6 * max(1.0, abs(x[j]))
                xp, xm = x.copy(), x.copy()
                xp[j] += h
                xm[j] -= h
                jac[:, j] = (values(xp) - values(xm)) / (2.0 * h)
            with np.errstate(invalid="ignore"):
                se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, vcov, jac), 0.0))
            # a standardized value that does not move with the parameters (fixed loadings
            # of std.lv, unit variances of std.all) has no sampling error
            se[np.all(np.abs(jac) < 1e-9, axis=1)] = 0.0
        p = self.params
        with np.errstate(all="ignore"):
            z = np.where(se > 0, est / se, np.nan)
        q = sps.norm.ppf(0.975)
        out = pd.DataFrame({"lhs": p["lhs"], "op": p["op"], "rhs": p["rhs"],
                            "group": p["group"], "est_std": est, "se": se, "z": z,
                            "pvalue": 2.0 * sps.norm.sf(np.abs(z)),
                            "ci_lower": est - q * se, "ci_upper": est + q * se})
        if not self.converged:
            out.loc[:, ["est_std", "se", "z", "pvalue", "ci_lower", "ci_upper"]] = np.nan
        return out

    @cached_property
    def fit(self) -> MappingProxyType:
        """Fit measures named as lavaan ``fitMeasures`` with ``.`` -> ``_`` (read-only)."""
        fm = fit_measures(self.model, self.state, list(self.stats))
        if not self.converged:
            # statistics of a non-converged fit are not valid: missing, never a number a
            # reader could take for a test result (the model's size stays known)
            fm = {k: (v if k in _FIT_KEPT_UNCONVERGED else float("nan")) for k, v in fm.items()}
        return MappingProxyType(fm)

    @cached_property
    def r2(self) -> pd.Series:
        """R² of endogenous variables (lavaan ``inspect(fit, "r2")``)."""
        return r_squared(self.model, self.state.x, self.partable)

    @cached_property
    def warnings(self) -> tuple[str, ...]:
        """Problems found: non-convergence, Heywood cases, non-PD latent covariances."""
        out = list(self.data_warnings) + list(self.state.warnings)
        # the free variances are entries of x: read there, without the filled-in table
        pt = self.model.partable
        xid = pt["xid"].to_numpy()
        lhs = pt["lhs"].to_numpy()
        var_rows = np.flatnonzero((pt["op"].to_numpy() == "~~") & (lhs == pt["rhs"].to_numpy())
                                  & (xid >= 0))
        x = np.asarray(self.state.x, dtype=float)
        groups = pt["group"].to_numpy()
        for ridx in var_rows.tolist():
            est = float(x[xid[ridx]])
            if est < 0:
                g = (f" in group {self.model.groups[int(groups[ridx]) - 1]!r}"
                     if self.model.n_groups > 1 else "")
                out.append(f"Heywood case: the variance of {lhs[ridx]} is negative ({est:.4g})"
                           f"{g}; the solution is improper.")
        out.extend(self._not_positive_definite(x))
        return tuple(out)

    def _not_positive_definite(self, x: np.ndarray) -> list[str]:
        """lavaan's post-fit checks of the latent covariance matrix (``cov.lv``, the
        implied one, predictors included) and of the residual covariance matrix of the
        continuous observed variables (``theta``); and one lavaan does not make: the
        residual covariance matrix of latent variables regressed on others (``psi``),
        not positive definite while the implied one is (a residual correlation beyond 1,
        also an improper solution).

        # In R: lavaan:::lav_object_post_check(fit)
        """
        model = self.model
        lv = list(model.lv_names)
        num = np.flatnonzero(~np.asarray(model.ordered_mask, dtype=bool))
        out = []
        for g in range(model.n_groups):
            where = f" in group {model.groups[g]!r}" if model.n_groups > 1 else ""
            mats = model.matrices(x, g)
            if lv:
                cov_lv = model.implied_lv(x, g)[0][:len(lv), :len(lv)]
                if np.linalg.eigvalsh(cov_lv)[0] < -1e-10:
                    out.append("The covariance matrix of the latent variables is not positive "
                               f"definite{where}; check for correlations beyond 1.")
                elif np.linalg.eigvalsh(mats[2][:len(lv), :len(lv)])[0] < -1e-10:
                    out.append("The residual covariance matrix of the latent variables (what "
                               "their predictors leave unexplained) is not positive definite"
                               f"{where}; check for residual correlations beyond 1 (lavaan "
                               "does not check this).")
            theta = mats[3][np.ix_(num, num)]
            # a negative residual variance is a Heywood case, said above
            if len(num) and np.diag(theta).min() >= 0 and np.linalg.eigvalsh(theta)[0] < -1e-10:
                out.append("The residual covariance matrix of the observed variables is not "
                           f"positive definite{where}; check for residual correlations beyond "
                           "1.")
        return out

    def residuals(self, kind: str = "cor") -> dict[str, dict[str, Any]]:
        """Residual moments per group (local fit), as lavaan ``residuals(fit, type=kind)``.

        The observed side is what the estimator fitted: the sample moments under ML and
        MLR with complete data, the EM estimates of the unrestricted model under
        ``missing="ml"`` (FIML), and the polychoric / polyserial statistics and sample
        thresholds under WLSMV.

        Parameters
        ----------
        kind : {"cor", "raw", "standardized", "normalized"}
            ``"raw"``: ``S - Sigma`` and ``mean - mu``; ``"cor"`` (Bollen): observed minus
            implied correlations, and the mean residuals divided by the observed SDs;
            ``"standardized"`` / ``"normalized"``: the raw residuals divided by their
            standard errors, or by those of the observed moments (see
            :mod:`analysis.sem.residuals`; complete data only).

        Returns
        -------
        dict
            Group label (``""`` for one group) -> ``{"cov": DataFrame, "mean": Series or
            None, "th": Series or None}`` (``mean`` only with a mean structure, ``th``,
            named ``"x1|t1"``, only with ordered variables).

        # In R: lavaan::residuals(fit, type = "cor")
        """
        if kind in z_kinds:
            return z_residuals(self, kind)
        if kind not in ("cor", "raw"):
            raise ModelSpecificationError(
                "kind= must be 'cor', 'raw', 'standardized' or 'normalized'.")
        names = self.model.ov_names
        out: dict[str, dict[str, Any]] = {}
        for g, label in enumerate(self.model.groups):
            S, sig, m_obs, m_imp, th = self._residual_moments(g)
            if kind == "raw":
                cov = S - sig
                mean = None if m_obs is None else m_obs - m_imp
            else:
                so, si = np.sqrt(np.diag(S)), np.sqrt(np.diag(sig))
                cov = S / np.outer(so, so) - sig / np.outer(si, si)
                mean = None if m_obs is None else (m_obs - m_imp) / so
            out[label] = {"cov": pd.DataFrame(cov, index=names, columns=names),
                          "mean": None if mean is None else pd.Series(mean, index=names),
                          "th": th}
        return out

    def _residual_moments(self, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None,
                                                 np.ndarray | None, pd.Series | None]:
        """``(S, Sigma, observed means, implied means, threshold residuals)`` of group
        ``g``: the moments the estimator fitted and the model's counterparts."""
        wls = self.state.wls
        if wls is None:
            imp = self.model.implied(self.state.x)[g]
            st = (self.state.h1 or self.stats)[g]
            if imp.mu is None:
                return st.cov, imp.sigma, None, None, None
            return st.cov, imp.sigma, st.mean, imp.mu, None
        # least squares on ordered data: lavaan's wls.obs / wls.est layout (thresholds and
        # minus the means of continuous variables, their variances, then the covariances
        # of the strict lower triangle, column by column)
        p = self.model.n_ov
        num = np.asarray(wls.continuous_index, dtype=int)
        mpos = np.asarray(wls.mean_positions, dtype=int)
        nth, nn = wls.n_thresholds, len(num)
        ii, jj = np.tril_indices(p, -1)
        order = np.lexsort((ii, jj))
        ii, jj = ii[order], jj[order]
        # the means: a latent response's observed mean is 0 and its implied mean is the
        # model's mean on the unscaled metric (lavaan's convention; not 0 in later groups
        # of a model with equal thresholds); a continuous variable's are in the vectors
        imp_mu = self.model.implied(self.state.x)[g].mu
        mats, means = [], []
        for vec in (np.asarray(wls.obs[g], dtype=float), np.asarray(wls.est[g], dtype=float)):
            m = np.eye(p)
            m[num, num] = vec[nth - nn:nth]
            m[ii, jj] = m[jj, ii] = vec[nth:]
            mats.append(m)
            mu = np.zeros(p) if not means or imp_mu is None else (
                imp_mu / self.model.scales(self.state.x, g))
            mu[num] = -vec[mpos]
            means.append(mu)
        th_pos = np.setdiff1d(np.arange(nth - nn), mpos)
        th = pd.Series(np.asarray(wls.obs[g], dtype=float)[th_pos]
                       - np.asarray(wls.est[g], dtype=float)[th_pos],
                       index=[f"{v}|{t}" for v, t in self.model.th_names])
        return mats[0], mats[1], means[0], means[1], th

    def modindices(self, min_value: float = 0.0, sort: bool = False) -> pd.DataFrame:
        """Modification indices (lavaan ``modindices(fit)``): ``lhs, op, rhs, group, mi,
        epc, sepc_all`` for every fixed parameter that could be freed.

        # In R: lavaan::modindices(fit, minimum.value = min_value)
        """
        mi = modification_indices(self)
        mi = mi[mi["mi"] >= min_value].reset_index(drop=True)
        if sort:
            mi = mi.sort_values("mi", ascending=False).reset_index(drop=True)
        return mi

    def summary(self) -> str:
        """A readable text summary (the report formats its own tables)."""
        f = self.fit
        lines = [f"alliance-survey SEM ({self.estimator}), converged: {self.converged}, "
                 f"iterations: {self.state.iterations}",
                 f"N = {self.n['total']}" + ("" if self.model.n_groups == 1 else
                                            " (" + ", ".join(f"{g}: {n}" for g, n in
                                                             self.n.items() if g != "total")
                                            + ")")
                 + ("" if self.nclusters is None else
                    f"; {self.nclusters} clusters ({self.model.options['cluster']}), "
                    "cluster-robust SEs and test"),
                 f"Chi-square = {f['chisq']:.3f}, df = {f['df']:.0f}, p = {f['pvalue']:.4f}"]
        if "cfi" in f:
            lines.append(f"CFI = {f['cfi']:.3f}, TLI = {f['tli']:.3f}, RMSEA = {f['rmsea']:.3f} "
                         f"[{f['rmsea_ci_lower']:.3f}, {f['rmsea_ci_upper']:.3f}], "
                         f"SRMR = {f.get('srmr', float('nan')):.3f}")
        lines.append(f"logLik = {f['logl']:.3f}, AIC = {f['aic']:.3f}, BIC = {f['bic']:.3f}")
        lines.append("")
        tab = self.params.copy()
        tab["name"] = tab["lhs"] + " " + tab["op"] + " " + tab["rhs"]
        cols = ["name", "label", "group", "est", "se", "z", "pvalue", "std_all"]
        lines.append(tab[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        if self.warnings:
            lines.append("")
            lines.extend(f"Warning: {w}" for w in self.warnings)
        return "\n".join(lines)
