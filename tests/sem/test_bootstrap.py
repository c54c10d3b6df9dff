"""Bootstrap (analysis.sem.bootstrap) against lavaan 0.6.14 / boot 1.3-28.

Reference: tests/reference/sem_boot/make_reference.R -- PoliticalDemocracy with the
indirect effect ``ab := a*b`` and ``total := c + a*b``; lavaan ``se = "bootstrap"`` with
R = 2000 draws, the draws themselves, a jackknife and boot's BCa.

Monte Carlo tolerances (derived, not tuned): two independent bootstrap runs with R1 and
R2 draws estimate the same p-quantile with standard error
``sqrt(p (1 - p) (1/R1 + 1/R2)) / f(q_p)``, where the density ``f`` at the quantile is
estimated from lavaan's 2000 draws by a central difference of their quantiles
(``2h / (Q(p + h) - Q(p - h))``, h = 0.01).  A bootstrap SD has standard error
``s sqrt((kurtosis - 1) / 4 (1/R1 + 1/R2))``.  We allow 4 standard errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from analysis.errors import EstimationError, ModelSpecificationError
from analysis.sem import compile_model
from analysis.sem.bootstrap import bca_interval, bootstrap, norm_inter
from tests.parity import EST_ATOL, EST_RTOL, REFERENCE_DIR, assert_close, load_reference

REF = load_reference("sem_boot/poldem_indirect.json")
R_OURS = 500


@pytest.fixture(scope="module")
def pd_data():
    return pd.read_csv(REFERENCE_DIR / "data/PoliticalDemocracy.csv")


@pytest.fixture(scope="module")
def compiled(pd_data):
    return compile_model(REF["model"], pd_data)


@pytest.fixture(scope="module")
def boot500(compiled, pd_data):
    return bootstrap(compiled, pd_data, R_OURS, seed=20261122, n_jobs=2, bca=True,
                     progress=False)


def _ref_row(name):
    p = pd.DataFrame(REF["perc"])
    return p[p["lhs"] == name].iloc[0] if name in ("ab", "total") else p[p["label"] == name].iloc[0]


@pytest.mark.parametrize("name", ["ab", "total"])
def test_percentile_interpolation_reproduces_lavaan(name):
    t = np.array(REF["draws"][name])
    row = _ref_row(name)
    assert_close(norm_inter(t, [0.025, 0.975]), [row["ci_lower"], row["ci_upper"]],
                 atol=1e-10, rtol=0.0, what=f"{name} perc")


@pytest.mark.parametrize("name", ["ab", "total"])
def test_bca_formula_matches_boot_and_differs_from_percentile(name):
    t = np.array(REF["draws"][name])
    ref = REF["bca"][name]
    lo, hi, z0, a = bca_interval(t, REF["t0"][name], np.array(REF["jackknife"][name]))
    assert_close([z0, a], [ref["z0"], ref["acceleration"]], atol=1e-10, rtol=0.0, what="z0, a")
    assert_close([lo, hi], ref["norm_inter"], atol=1e-10, rtol=0.0, what=f"{name} BCa")
    # skewed indirect effect: BCa shifts both limits down by more than 0.015
    perc = norm_inter(t, [0.025, 0.975])
    assert np.all(perc - np.array([lo, hi]) > 0.015)


def _quantile_tolerance(t, p, r1, r2, n_se=4.0, h=0.01):
    q = np.quantile(t, [p - h, p + h])
    dens = 2 * h / (q[1] - q[0])
    return n_se * np.sqrt(p * (1 - p) * (1 / r1 + 1 / r2)) / dens


@pytest.mark.parametrize("name", ["ab", "total"])
def test_percentile_ci_agrees_with_lavaan_within_monte_carlo_error(boot500, name):
    t = np.array(REF["draws"][name])
    row = _ref_row(name)
    j = boot500.names.index(name)
    lo, hi = boot500.ci(0.95, "perc")
    for ours, theirs, p in ((lo[j], row["ci_lower"], 0.025), (hi[j], row["ci_upper"], 0.975)):
        tol = _quantile_tolerance(t, p, REF["R"], boot500.n_ok)
        assert abs(ours - theirs) <= tol, f"{name} p={p}: {ours} vs {theirs} (tol {tol:.4f})"


@pytest.mark.parametrize("name", ["ab", "total"])
def test_bca_ci_agrees_with_boot_within_monte_carlo_error(boot500, name):
    t = np.array(REF["draws"][name])
    ref = REF["bca"][name]
    j = boot500.names.index(name)
    lo, hi = boot500.ci(0.95, "bca")
    for ours, theirs, p in ((lo[j], ref["norm_inter"][0], ref["adj_alpha"][0]),
                            (hi[j], ref["norm_inter"][1], ref["adj_alpha"][1])):
        tol = _quantile_tolerance(t, p, REF["R"], boot500.n_ok)
        assert abs(ours - theirs) <= tol, f"{name} BCa: {ours} vs {theirs} (tol {tol:.4f})"


@pytest.mark.parametrize("name", ["ab", "total"])
def test_bootstrap_se_agrees_with_lavaan_within_monte_carlo_error(boot500, name):
    t = np.array(REF["draws"][name])
    s = t.std(ddof=1)
    kurt = sps.kurtosis(t, fisher=False)
    tol = 4 * s * np.sqrt((kurt - 1) / 4 * (1 / REF["R"] + 1 / boot500.n_ok))
    j = boot500.names.index(name)
    assert abs(boot500.se[j] - _ref_row(name)["se"]) <= tol


def test_full_sample_estimates_are_the_ml_estimates(boot500):
    for name in ("ab", "total"):
        j = boot500.names.index(name)
        assert_close(boot500.estimate[j], _ref_row(name)["est"], atol=EST_ATOL, rtol=EST_RTOL,
                     what=name)
    assert boot500.n_ok + boot500.n_failed + boot500.n_nonconverged == R_OURS
    assert boot500.draws.shape == (boot500.n_ok, len(boot500.names))


def test_same_seed_same_result_serial_and_parallel(compiled, pd_data):
    a = bootstrap(compiled, pd_data, 12, seed=5, progress=False)
    b = bootstrap(compiled, pd_data, 12, seed=5, n_jobs=2, progress=False)
    c = bootstrap(compiled, pd_data, 12, seed=6, progress=False)
    np.testing.assert_array_equal(a.draws, b.draws)
    assert not np.array_equal(a.draws, c.draws)
    # a longer run extends a shorter one: draw i depends only on (seed, i)
    d = bootstrap(compiled, pd_data, 6, seed=5, progress=False)
    np.testing.assert_array_equal(a.draws[:6], d.draws)


def test_jackknife_matches_lavaan_leave_one_out_fits(compiled, pd_data):
    b = bootstrap(compiled, pd_data, 4, seed=1, bca=True, progress=False)
    for name in ("ab", "total"):
        j = b.names.index(name)
        assert_close(b.jackknife[:, j], REF["jackknife"][name], atol=EST_ATOL, rtol=EST_RTOL,
                     what=f"jackknife {name}")
    tab = b.table()
    assert {"bca_lower", "bca_upper"} <= set(tab.columns)


def test_failed_draws_are_excluded_and_counted(compiled, pd_data):
    def stat(model, x):
        if x[0] > 2.2:  # first loading: fails in part of the draws
            raise EstimationError("synthetic failure")
        return np.array([x[0]])

    with pytest.warns(UserWarning, match="excluded"):
        b = bootstrap(compiled, pd_data, 40, seed=3, statistics=stat, progress=False)
    assert b.n_failed > 0
    assert b.n_ok == 40 - b.n_failed - b.n_nonconverged
    assert np.all(b.draws[:, 0] <= 2.2)


def test_fiml_and_multigroup_bootstrap_run():
    data = pd.read_csv(REFERENCE_DIR / "sem_fiml/hs_mcar10.csv")
    from tests.sem._s2_cases import HS

    cm = compile_model(HS, data, missing="ml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = bootstrap(cm, data, 6, seed=2, progress=False)
    assert b.n_ok == 6 and np.all(np.isfinite(b.se))
    hs = pd.read_csv(REFERENCE_DIR / "data/HolzingerSwineford1939.csv")
    cg = compile_model(HS, hs, group="school")
    g = bootstrap(cg, hs, 4, seed=2, progress=False)
    assert g.draws.shape == (4, cg.n_free)


def test_bad_arguments_are_refused(compiled, pd_data):
    with pytest.raises(ModelSpecificationError, match="ordinary"):
        bootstrap(compiled, pd_data, 10, seed=1, type="parametric")
    with pytest.raises(ModelSpecificationError, match="at least 2"):
        bootstrap(compiled, pd_data, 1, seed=1)
    b = bootstrap(compiled, pd_data, 3, seed=1, progress=False)
    with pytest.raises(ModelSpecificationError, match="jackknife"):
        b.ci(method="bca")


def test_bootstrap_state_and_params_give_lavaan_style_table(pd_data):
    """The pieces behind ``sem(..., bootstrap=N, seed=S)``: bootstrap vcov + percentile CIs."""
    from analysis.sem import sem
    from analysis.sem.bootstrap import bootstrap_params, bootstrap_state

    res = sem(REF["model"], pd_data)
    opts = {**dict(res.model.options), "bootstrap": 30, "seed": 11}
    state = bootstrap_state(res.model, list(res.stats), res.state, opts)
    boot = state.extra["bootstrap"]
    assert boot.n_boot == 30
    assert_close(np.sqrt(np.diag(state.vcov)), boot.se[: res.model.n_free], atol=1e-12,
                 rtol=0.0, what="bootstrap vcov")
    tab = bootstrap_params(res.params, res.model, boot)
    row = tab[tab["lhs"] == "ab"].iloc[0]
    j = boot.names.index("ab")
    lo, hi = boot.ci()
    assert_close([row["se"], row["ci_lower"], row["ci_upper"]], [boot.se[j], lo[j], hi[j]],
                 atol=1e-12, rtol=0.0, what="ab row")
    assert_close(tab["est"], res.params["est"], atol=0.0, rtol=0.0, what="estimates unchanged")
    fixed = tab[(tab["op"] == "=~") & (tab["se"] == 0)]
    assert len(fixed) == 3 and (fixed["ci_lower"] == fixed["est"]).all()


def test_sem_bootstrap_option_gives_bootstrap_se_and_percentile_ci(compiled, pd_data):
    """``sem(..., bootstrap=N, seed=S)`` = lavaan ``se="bootstrap"`` + ``boot.ci.type="perc"``."""
    from analysis.sem import sem

    res = sem(REF["model"], pd_data, bootstrap=25, seed=9)
    boot = bootstrap(compiled, pd_data, 25, seed=9, progress=False)
    p = res.params
    lo, hi = boot.ci()
    for name in ("ab", "total"):
        row = p[p["lhs"] == name].iloc[0]
        j = boot.names.index(name)
        assert_close([row["se"], row["ci_lower"], row["ci_upper"]], [boot.se[j], lo[j], hi[j]],
                     atol=1e-8, rtol=0.0, what=name)
    free = p[p["op"] == "~"]
    assert (free["ci_upper"] - free["ci_lower"] > 0).all()
