"""Start values (FABIN 3 as lavaan), the retry safety net, latent means and growth().

References: tests/reference/sem_starts/make_reference.R (lavaan 0.6.14).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.sem import compile_model, growth, measurement_invariance, sem
from analysis.sem.api import get_backend, sample_stats
from analysis.sem.starts import fabin3, retry_from_other_starts
from tests.parity import CHISQ_RTOL, EST_ATOL, EST_RTOL, FIT_ATOL, REFERENCE_DIR, assert_close

REF = REFERENCE_DIR / "sem_starts"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
GROWTH_SEM = ("i =~ 1*x4 + 1*x5 + 1*x6\ns =~ 0*x4 + 1*x5 + 2*x6\n"
              "x4 ~ 0*1; x5 ~ 0*1; x6 ~ 0*1\ni ~ 1\ns ~ NA*1")
GROWTH = "i =~ 1*x4 + 1*x5 + 1*x6\ns =~ 0*x4 + 1*x5 + 2*x6"


def _reversed(d: pd.DataFrame) -> pd.DataFrame:
    d = d.copy()
    for v in ("x1", "x4", "x7"):  # reverse-keyed markers, as make_reference.R
        d[v] = 10 - d[v]
    return d


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "data" / "HolzingerSwineford1939.csv")


@pytest.fixture(scope="module")
def hs_missing() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "sem_fiml" / "hs_mcar10.csv")


@pytest.fixture(scope="module")
def ref_est() -> pd.DataFrame:
    return pd.read_csv(REF / "reversed_estimates.csv", keep_default_na=False,
                       na_values=["NA"])


@pytest.fixture(scope="module")
def ref_fit() -> pd.DataFrame:
    return pd.read_csv(REF / "reversed_fit.csv").set_index("fit")


def _compare(res, ref_est, ref_fit, name: str, scaled: bool = False) -> None:
    assert res.converged, res.warnings
    ref = ref_est[ref_est["fit"] == name]
    ours = res.params.set_index(["lhs", "op", "rhs"])
    keys = list(zip(ref["lhs"], ref["op"], ref["rhs"], strict=True))
    assert_close(ours.loc[keys, "est"], ref["est"], atol=EST_ATOL, rtol=EST_RTOL,
                 what=f"{name} estimates")
    assert_close(ours.loc[keys, "se"], ref["se"], atol=EST_ATOL, rtol=EST_RTOL,
                 what=f"{name} standard errors")
    f = ref_fit.loc[name]
    assert res.fit["df"] == f["df"] and res.fit["npar"] == f["npar"]
    assert_close(res.fit["chisq"], f["chisq"], atol=0.0, rtol=CHISQ_RTOL, what="chisq")
    for k in ("cfi", "tli", "rmsea", "srmr"):
        assert_close(res.fit[k], f[k], atol=FIT_ATOL, what=k)
    if scaled:
        assert_close(res.fit["chisq_scaled"], f["chisq.scaled"], atol=0.0, rtol=CHISQ_RTOL,
                     what="chisq_scaled")


# ------------------------------------------------------------------ FABIN 3
@pytest.mark.parametrize("nvar", [6, 3, 2])
@pytest.mark.parametrize("std_lv", [False, True])
def test_fabin3_matches_lavaan(hs, nvar, std_lv):
    ref = pd.read_csv(REF / "fabin3.csv")
    ref = ref[(ref["nvar"] == nvar) & (ref["std_lv"] == std_lv)]
    S = np.cov(_reversed(hs)[[f"x{i}" for i in range(1, 7)]].to_numpy(), rowvar=False)
    out = fabin3(S[:nvar, :nvar], std_lv=std_lv)
    assert_close(out.lambda_, ref["lambda"], atol=1e-10, rtol=1e-8, what="FABIN 3 loadings")
    if ref["psi"].notna().all():
        assert_close(out.psi, ref["psi"].iloc[0], atol=1e-10, rtol=1e-8, what="psi")
    # a reverse-keyed marker: the other items of its factor start negative
    assert np.all(out.lambda_[1:3] < 0)


def test_start_loadings_are_lavaans(hs):
    ref = pd.read_csv(REF / "reversed_start.csv")
    ref = ref[(ref["op"] == "=~") & (ref["free"] > 0)]
    model = compile_model(HS_MODEL, _reversed(hs))
    stats, _ = sample_stats(model, _reversed(hs))
    start = model.x_to_table(model.x_start(stats))
    start = start[start["op"] == "=~"].set_index(["lhs", "rhs"])["est"]
    ours = start.loc[list(zip(ref["lhs"], ref["rhs"], strict=True))]
    assert_close(ours, ref["start"], atol=1e-8, rtol=1e-8, what="start loadings")


# ------------------------------------------------------ reverse-keyed markers
def test_reverse_keyed_markers_ml(hs, ref_est, ref_fit):
    res = sem(HS_MODEL, _reversed(hs))
    _compare(res, ref_est, ref_fit, "ml")
    assert res.state.iterations < 100


def test_reverse_keyed_markers_mlr_fiml(hs_missing, ref_est, ref_fit):
    res = sem(HS_MODEL, _reversed(hs_missing), estimator="MLR", missing="ml")
    _compare(res, ref_est, ref_fit, "mlr_fiml", scaled=True)


# ------------------------------------------------------- latent means, growth
def test_user_latent_intercepts_are_free(hs, ref_est, ref_fit):
    res = sem(GROWTH_SEM, hs)
    means = res.params[(res.params["op"] == "~1") & res.params["lhs"].isin(["i", "s"])]
    assert np.isfinite(means["se"]).all() and (means["se"] > 0).all()
    _compare(res, ref_est, ref_fit, "growth_sem")


def test_growth_conventions(hs, ref_est, ref_fit):
    res = growth(GROWTH, hs)
    p = res.params
    ov_int = p[(p["op"] == "~1") & p["lhs"].isin(["x4", "x5", "x6"])]
    assert (ov_int["est"] == 0).all() and (ov_int["se"] == 0).all()
    _compare(res, ref_est, ref_fit, "growth")


def test_labelled_latent_mean_is_free_and_fixed_one_is_not(hs):
    free = sem(GROWTH_SEM.replace("s ~ NA*1", "s ~ m_s*1"), hs)
    fixed = sem(GROWTH_SEM.replace("s ~ NA*1", "s ~ 0*1"), hs)
    assert free.fit["df"] == 1 and fixed.fit["df"] == 2
    assert free.params.query("lhs == 's' and op == '~1'")["label"].iloc[0] == "m_s"


# ------------------------------------------------------------- safety net
def test_retry_recovers_from_a_bad_start(hs):
    data = _reversed(hs)
    model = compile_model(HS_MODEL, data)
    stats, _ = sample_stats(model, data)
    bound = model.bind(stats)
    backend = get_backend("ML", "listwise")
    bad = np.ones(model.n_free)  # the old all-ones start, with a tiny iteration budget
    first = backend(bound, stats, {**model.options, "max_iter": 3}, start=bad)
    assert not first.converged
    state = retry_from_other_starts(backend, bound, stats, model.options, first)
    assert state.converged
    assert any("did not converge from the default start values" in w for w in state.warnings)
    assert state.extra["start_tried"][0].startswith("lavaan-style default")


def test_nonconverged_fit_is_missing_everywhere(hs):
    res = sem(HS_MODEL, _reversed(hs), max_iter=2)
    assert not res.converged
    assert any("did not converge from any of" in w for w in res.warnings)
    assert np.isnan(res.fit["chisq"]) and np.isnan(res.fit["cfi"]) and res.fit["df"] == 24
    free = res.params[(res.params["op"] == "=~") & ~res.params["rhs"].isin(["x1", "x4", "x7"])]
    assert free[["est", "se", "pvalue"]].isna().all().all()


def test_invariance_with_nonconverged_levels_is_missing_not_zero(hs):
    tab = measurement_invariance(HS_MODEL, hs, "school", levels=("configural", "metric"),
                                 max_iter=2)
    assert not tab["converged"].any()
    row = tab.iloc[1]
    assert np.isnan(row["delta_chisq"]) and np.isnan(row["delta_pvalue"])
    assert "did not converge" in row["note"]


# ------------------------------------------------------------------- CLI
def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis.cli", "sem", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def test_cli_exit_status_for_nonconvergence(tmp_path, hs):
    data = tmp_path / "hs.csv"
    _reversed(hs).to_csv(data, index=False)
    root = Path(__file__).resolve().parents[2]
    out = _cli(str(data), "--model", HS_MODEL, "--max-iter", "2", cwd=root)
    assert out.returncode == 1, out.stderr
    assert "did not converge" in out.stderr and "Traceback" not in out.stderr
    js = tmp_path / "fit.json"
    out = _cli(str(data), "--model", HS_MODEL, "--max-iter", "2", "--allow-nonconverged",
               "--json", str(js), cwd=root)
    assert out.returncode == 0, out.stderr
    doc = json.loads(js.read_text())
    assert doc["converged"] is False and doc["fit"]["chisq"] is None
    out = _cli(str(data), "--model", HS_MODEL, cwd=root)
    assert out.returncode == 0, out.stderr
    out = _cli(str(data), "--model", "f =~ x1 + x2 + nosuch", cwd=root)
    assert out.returncode == 2 and "nosuch" in out.stderr


def test_cli_compare_two_fits(tmp_path, hs):
    """``compare`` of metric vs configural MLR fits = the engine's SB2001 LRT."""
    from analysis.sem.invariance import lrt

    data = tmp_path / "hs.csv"
    hs.to_csv(data, index=False)
    root = Path(__file__).resolve().parents[2]
    for est in ("MLR",):
        files = []
        for geq in ("", "loadings"):
            js = tmp_path / f"{est}_{geq or 'configural'}.json"
            args = [str(data), "--model", HS_MODEL, "--group", "school", "--estimator", est,
                    "--json", str(js)] + (["--group-equal", geq] if geq else [])
            assert _cli(*args, cwd=root).returncode == 0
            files.append(str(js))
        out = subprocess.run([sys.executable, "-m", "analysis.cli", "compare", *files,
                              "--json", "-"], capture_output=True, text=True, cwd=root,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        doc = json.loads(out.stdout)
        ref = lrt(sem(HS_MODEL, hs, group="school", estimator=est),
                  sem(HS_MODEL, hs, group="school", estimator=est, group_equal=("loadings",)))
        assert doc["delta_df"] == ref["delta_df"] == 6
        assert_close(doc["delta_chisq"], ref["delta_chisq"], atol=1e-9, rtol=1e-9,
                     what="delta chisq")
    same = subprocess.run([sys.executable, "-m", "analysis.cli", "compare", files[0],
                           files[0]], capture_output=True, text=True, cwd=root, timeout=120)
    assert same.returncode == 2 and "not nested" in same.stderr


def test_compare_warns_when_the_restricted_model_fits_better(tmp_path):
    """A model with more degrees of freedom and a lower chi-square (not nested, or the
    other fit short of its optimum) gets lavaan's warning, under ML and MLR; nested fits
    get none."""
    from analysis.commands.compare import compare_fits

    def doc(est: str, chisq: float, df: float, c: float = 1.2) -> dict:
        return {"n": 301, "estimator": est, "converged": True,
                "fit": {"chisq": chisq, "df": df, "chisq_scaling_factor": c}}

    for est in ("ML", "MLR"):
        bad = compare_fits(doc(est, 80.0, 24.0), doc(est, 70.0, 30.0))
        assert "more restricted model (df = 30) fits better" in bad["warning"], est
        good = compare_fits(doc(est, 80.0, 24.0), doc(est, 95.0, 30.0))
        assert "warning" not in good and 0 < good["delta_pvalue"] < 1, est
    fa, fb = tmp_path / "a.json", tmp_path / "b.json"
    fa.write_text(json.dumps({**doc("ML", 80.0, 24.0), "warnings": [], "estimates": []}))
    fb.write_text(json.dumps({**doc("ML", 70.0, 30.0), "warnings": [], "estimates": []}))
    out = subprocess.run([sys.executable, "-m", "analysis.cli", "compare", str(fa), str(fb)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0 and "warning: the more restricted model" in out.stderr
    assert "Traceback" not in out.stderr
