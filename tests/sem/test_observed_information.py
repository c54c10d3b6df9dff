"""Analytic observed information (Hessian of -logL/N) against a Richardson-extrapolated one.

``fiml.observed_information_theta`` uses the closed-form second derivatives of the model
moments (``CompiledModel.moment_hessian``).  Here it is compared, at a *non-optimal*
parameter vector (so that the second-order term of the moments matters), with the
Hessian of ``-logL/N`` from function values only: central second differences at steps
h, h/2, h/4 combined by two Richardson steps (error O(h^6)).  Models: a CFA with missing
data (FIML), an SEM with regressions, residual covariances and equality labels, a
two-group model with labels shared across groups and a regression on an observed
covariate, and a mediation model with a defined (``:=``) parameter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.sem import compile_model, fiml
from analysis.sem.api import sample_stats
from tests.parity import REFERENCE_DIR

HS = REFERENCE_DIR / "data" / "HolzingerSwineford1939.csv"
PD = REFERENCE_DIR / "data" / "PoliticalDemocracy.csv"

HESSIAN_RTOL = 1e-7  # relative to the largest entry


def _hs_missing() -> pd.DataFrame:
    d = pd.read_csv(HS)
    rng = np.random.default_rng(7)
    cols = ["x2", "x5", "x9"]  # few patterns keep the many function values cheap
    y = d[cols].to_numpy(dtype=float)
    y[rng.random(y.shape) < 0.15] = np.nan
    d[cols] = y
    return d


CASES = {
    "cfa_fiml": (
        "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n",
        _hs_missing, dict(estimator="MLR", missing="ml")),
    "sem_labels": (
        """ind60 =~ x1 + x2 + x3
dem60 =~ y1 + a*y2 + b*y3 + c*y4
dem65 =~ y5 + a*y6 + b*y7 + c*y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
""", lambda: pd.read_csv(PD), dict(estimator="MLR")),
    "multigroup_labels": (
        """visual =~ x1 + c(l2, l2)*x2 + c(l3, l3)*x3
textual =~ x4 + x5 + x6
textual ~ visual + x7
""", lambda: pd.read_csv(HS), dict(estimator="MLR", group="school")),
    "defined": (
        """ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60
dem65 ~ c*ind60 + b*dem60
y1 ~~ y5
ab := a*b
total := c + a*b
""", lambda: pd.read_csv(PD), dict(estimator="MLR", missing="ml")),
}


def _setup(name: str):
    syntax, load, kw = CASES[name]
    data = load()
    cm = compile_model(syntax, data, **kw)
    stats, _ = sample_stats(cm, data, cm.options["missing"])
    bound = cm.bind(stats)
    gd = [fiml.prepare_group_data(st.data, fit_h1=False) for st in stats]
    return bound, gd


def _f(bound, gd, x) -> float:
    """-logL/N from the implied moments (the value only)."""
    n = sum(g.n for g in gd)
    moms = fiml._moments_of(bound, x, gd)
    return -sum(fiml._ll_grad(g.stats, mu, sigma)[0] for g, (mu, sigma) in zip(gd, moms,
                                                                              strict=True)) / n


def _richardson_hessian(bound, gd, x: np.ndarray, h: float) -> np.ndarray:
    """Hessian from function values: central differences, two Richardson steps."""
    q = len(x)

    def second(step: float) -> np.ndarray:
        H = np.empty((q, q))
        f0 = _f(bound, gd, x)
        for i in range(q):
            ei = np.zeros(q)
            ei[i] = step
            H[i, i] = (-_f(bound, gd, x + 2 * ei) + 16 * _f(bound, gd, x + ei) - 30 * f0
                       + 16 * _f(bound, gd, x - ei) - _f(bound, gd, x - 2 * ei)
                       ) / (12 * step * step)
            for j in range(i):
                ej = np.zeros(q)
                ej[j] = step
                H[i, j] = H[j, i] = (_f(bound, gd, x + ei + ej) - _f(bound, gd, x + ei - ej)
                                     - _f(bound, gd, x - ei + ej) + _f(bound, gd, x - ei - ej)
                                     ) / (4 * step * step)
        return H

    h1, h2, h3 = second(h), second(h / 2), second(h / 4)
    r1 = (4 * h2 - h1) / 3
    r2 = (4 * h3 - h2) / 3
    return (16 * r2 - r1) / 15


@pytest.mark.parametrize("name", list(CASES))
def test_analytic_hessian_matches_richardson(name):
    bound, gd = _setup(name)
    x_hat, ok, _, _ = fiml.estimate(bound, gd, bound.x_start(_group_stats(bound, gd)))
    assert ok
    rng = np.random.default_rng(11)
    x = x_hat + 0.03 * rng.standard_normal(len(x_hat)) * np.maximum(np.abs(x_hat), 0.1)
    # non-optimal: the gradient (and so the second-order term) is far from zero
    assert np.abs(fiml.objective_gradient(bound, x, gd)[1]).max() > 1e-2
    analytic = fiml.observed_information_theta(bound, x, gd)
    numeric = _richardson_hessian(bound, gd, x, h=2e-3)
    scale = np.abs(numeric).max()
    err = np.abs(analytic - numeric).max()
    print(f"{name}: q={len(x)} max |diff| {err:.3e}, scale {scale:.3e}")
    assert err <= HESSIAN_RTOL * scale, f"{name}: max |diff| {err:.3e}, scale {scale:.3e}"


def _group_stats(bound, gd):
    from analysis.sem.model import SampleStats

    out = []
    for g in gd:
        y = g.y
        mean = np.nanmean(y, axis=0)
        cov = pd.DataFrame(y).cov(ddof=0).to_numpy()
        out.append(SampleStats(n=g.n, mean=mean, cov=cov, data=y))
    return out


def test_second_order_term_matters():
    """Without the second derivatives of the moments the Hessian is clearly wrong."""
    bound, gd = _setup("sem_labels")
    x = bound.x_start(_group_stats(bound, gd))
    _, _, gms, _ = fiml._ll_grad_x(bound, x, gd)
    second = bound.moment_hessian(x, gms) / sum(g.n for g in gd)
    full = fiml.observed_information_theta(bound, x, gd)
    assert np.abs(second).max() > 1e-3 * np.abs(full).max()
