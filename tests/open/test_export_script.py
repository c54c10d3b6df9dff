"""The exported lavaan script, run in R on the demo study, agrees with our analysis.

The R script is run with ``Rscript`` (Debian r-base-core, r-cran-lavaan, r-cran-semtools;
``scripts/ensure-system-deps.sh`` installs them) and its CSV tables are compared with the
numbers of the report's sections (:func:`analysis.study.pipeline._detail_sections` of the
hypothesis runner's fits) within the parity tolerances of ``tests/parity.py``.  The
measurement-model CFA (65 ordered items, WLSMV) takes lavaan several minutes and is in the
``slow`` test at the end.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.parity import CHISQ_RTOL, EST_ATOL, EST_RTOL, FIT_ATOL, assert_close

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo" / "alliance_demo.csv"
RSCRIPT = shutil.which("Rscript")
needs_r = pytest.mark.skipif(RSCRIPT is None, reason="Rscript is not installed (Debian "
                             "r-base-core r-cran-lavaan r-cran-semtools; see "
                             "scripts/ensure-system-deps.sh)")
#: Bootstrap draws in R and in our mediation test (kept small for the test's speed).
BOOT = 300
SEED = 2026
FAST_PARTS = "path,mediation,moderation,quadratic,invariance"


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    from analysis.study.datafiles import read_data

    return read_data(DEMO)


@pytest.fixture(scope="module")
def ours(demo):
    """The hypothesis runner's fits on the demo study and the report sections built from them."""
    from analysis.study.hypotheses import load_hypotheses, test_hypotheses
    from analysis.study.pipeline import _detail_sections

    hs = load_hypotheses()
    det: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        test_hypotheses(demo, hypotheses=hs, estimator="MLR", bootstrap=BOOT, seed=SEED,
                        details=det, latent_alternative=False,
                        # the exported script reproduces the composite path model
                        latent_model=False)
    return det, _detail_sections(hs, det)


@pytest.fixture(scope="module")
def exported(demo, tmp_path_factory):
    from analysis.study.export_script import write_study_scripts

    out = tmp_path_factory.mktemp("export")
    files = write_study_scripts(demo, out, bootstrap=BOOT, seed=SEED)
    return out, files


def _run_r(script_dir: Path, out: Path, parts: str, timeout: float) -> None:
    proc = subprocess.run(
        [RSCRIPT, "analysis.R", "--parts", parts, "--out", str(out), "--bootstrap",
         str(BOOT)], cwd=script_dir, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"Rscript failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


@pytest.fixture(scope="module")
def r_results(exported, tmp_path_factory):
    if RSCRIPT is None:
        pytest.skip("Rscript is not installed")
    out = tmp_path_factory.mktemp("r_out")
    _run_r(exported[0], out, FAST_PARTS, timeout=240)
    return out


def _read(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / f"{name}.csv", keep_default_na=False, na_values=["NA"])


def _r_fit(out: Path, name: str) -> dict[str, float]:
    f = _read(out, name)
    return {m.replace(".", "_"): float(v) for m, v in zip(f["measure"], f["value"], strict=True)}


def _keyed(frame: pd.DataFrame, cols=("lhs", "op", "rhs")) -> pd.DataFrame:
    f = frame.copy()
    for c in cols:
        f[c] = f[c].fillna("").astype(str)
    return f.set_index(list(cols))


# --------------------------------------------------------------------------------------
# the files
# --------------------------------------------------------------------------------------
def test_export_writes_script_data_readme_and_the_analysis_rows(exported, demo):
    from analysis.study.hypotheses import load_hypotheses, prepare_scores
    from analysis.study.scoring import score

    out, files = exported
    for role in ("data", "lavaan", "readme"):
        assert files[role].is_file(), role
    data = pd.read_csv(files["data"])
    hs = load_hypotheses()
    d, excl, full = prepare_scores(demo, score(demo), hs)
    # the same exclusions as the analysis, and the analysis's scores to the last digit
    assert len(data) == len(d) == len(full) - excl["total"]
    assert excl["total"] > 0
    assert list(data["respondent_id"].astype(str)) == list(d["respondent_id"].astype(str))
    np.testing.assert_allclose(data["learning"], d["learning"], rtol=1e-12, atol=0)
    readme = files["readme"].read_text(encoding="utf-8")
    assert "Untested against Mplus" in readme and "indirect_h4" in readme


def test_exported_path_syntax_is_the_analysis_model(ours, demo):
    """Labels and := only add rows: our engine fits the exported syntax to the same numbers."""
    from analysis.sem import sem
    from analysis.study.export_script import build_study_scripts

    det, _ = ours
    scripts = build_study_scripts(demo, bootstrap=BOOT)
    ev = det["error_variances"]
    syntax = scripts.path_syntax + "".join(
        f"{k} =~ 1*{k}__obs\n{k}__obs ~~ {v!r}*{k}__obs\n" for k, v in ev.items())
    cols = sorted({c for c in scripts.data.columns if c in syntax.replace("__obs", " ")})
    sub = scripts.data[cols].rename(columns={k: f"{k}__obs" for k in ev})
    assert scripts.path_cluster == "path_cluster"
    sub = sub.assign(path_cluster=scripts.data[scripts.path_cluster])
    res = sem(syntax, sub, estimator="MLR", missing=det["missing"],
              cluster=scripts.path_cluster)
    a = _keyed(res.params[res.params["op"] != ":="])
    b = _keyed(det["path_model"].params)
    common = a.index.intersection(b.index)
    assert len(common) == len(b)
    assert_close(a.loc[common, "est"], b.loc[common, "est"], atol=1e-8, what="est")
    assert ((res.params["op"] == ":=") & (res.params["lhs"] == "indirect_h4")).sum() == 1


# --------------------------------------------------------------------------------------
# R agrees
# --------------------------------------------------------------------------------------
@needs_r
def test_r_error_variances_match(r_results, ours):
    det, _ = ours
    r = _read(r_results, "path_error_variances").set_index("variable")["error_variance"]
    names = sorted(det["error_variances"])
    assert sorted(r.index) == names
    assert_close(r.loc[names], [det["error_variances"][k] for k in names], atol=0, rtol=1e-9,
                 what="error variances")


@needs_r
def test_r_path_model_matches_the_report(r_results, ours):
    det, sections = ours
    structural = sections["structural"]
    r = _keyed(_read(r_results, "path_params"))
    mine = _keyed(pd.DataFrame(structural["params"]))
    mine = mine[mine.index.get_level_values("op") != ":="]
    assert len(mine) > 20
    missing = mine.index.difference(r.index)
    assert missing.empty, f"rows not in R's table: {list(missing)}"
    assert_close(mine["est"], r.loc[mine.index, "est"], atol=EST_ATOL, rtol=EST_RTOL,
                 what="path estimates")
    free = r.loc[mine.index, "se"] > 0
    assert_close(mine.loc[free.to_numpy(), "se"], r.loc[mine.index[free.to_numpy()], "se"],
                 atol=EST_ATOL, rtol=EST_RTOL, what="path SEs")
    assert_close(mine["std_all"], r.loc[mine.index, "std.all"], atol=EST_ATOL, rtol=EST_RTOL,
                 what="standardized path estimates")
    rf = _r_fit(r_results, "path_fit")
    fit = structural["fit"]
    assert fit["npar"] == rf["npar"] and fit["ntotal"] == rf["ntotal"]
    for key in ("chisq", "chisq_scaled"):
        assert_close(fit[key], rf[key], atol=0, rtol=CHISQ_RTOL, what=key)
    for key in ("cfi", "tli", "rmsea", "srmr", "cfi_robust", "tli_robust", "rmsea_robust"):
        assert_close(fit[key], rf[key], atol=FIT_ATOL, what=key)
    r2 = _read(r_results, "path_r2").set_index("variable")["r2"]
    assert_close([structural["r2"][k] for k in r2.index], r2, atol=EST_ATOL, rtol=EST_RTOL,
                 what="R-squared")


@needs_r
def test_r_defined_effects_match_our_engine(r_results, ours, demo):
    from analysis.sem import sem
    from analysis.study.export_script import build_study_scripts

    det, _ = ours
    scripts = build_study_scripts(demo, bootstrap=BOOT)
    ev = det["error_variances"]
    syntax = scripts.path_syntax + "".join(
        f"{k} =~ 1*{k}__obs\n{k}__obs ~~ {v!r}*{k}__obs\n" for k, v in ev.items())
    cols = sorted({c for c in scripts.data.columns if c in syntax.replace("__obs", " ")})
    sub = scripts.data[cols].rename(columns={k: f"{k}__obs" for k in ev})
    res = sem(syntax, sub.assign(path_cluster=scripts.data[scripts.path_cluster]),
              estimator="MLR", missing=det["missing"], cluster=scripts.path_cluster)
    mine = res.params[res.params["op"] == ":="].set_index("lhs")
    r = _read(r_results, "path_params")
    r = r[r["op"] == ":="].set_index("lhs")
    assert sorted(mine.index) == sorted(r.index) == ["indirect_h4", "total_h4"]
    assert_close(mine.loc[r.index, "est"], r["est"], atol=EST_ATOL, rtol=EST_RTOL, what=":= est")
    assert_close(mine.loc[r.index, "se"], r["se"], atol=EST_ATOL, rtol=EST_RTOL, what=":= se")


@needs_r
def test_r_mediation_matches_estimates_and_bootstrap_within_mc_error(r_results, ours):
    _, sections = ours
    med = sections["mediation"]["H4"]
    eff = pd.DataFrame(med["effects"]).set_index("effect")
    r = _read(r_results, "mediation_h4_params")
    rb = _read(r_results, "mediation_h4_boot")
    key = {"a": "a", "b": "b", "direct": "c", "indirect": "indirect", "total": "total"}
    r = r[r["label"] != ""].set_index("label").loc[list(key.values())]
    rb = rb[rb["label"] != ""].set_index("label").loc[list(key.values())]
    assert_close(eff.loc[list(key), "estimate"], r["est"], atol=EST_ATOL, rtol=EST_RTOL,
                 what="mediation estimates")
    assert_close(eff.loc[list(key), "se"], r["se"], atol=EST_ATOL, rtol=EST_RTOL,
                 what="mediation delta-method SEs")
    # percentile limits: Monte Carlo SE of a 2.5 % quantile from B draws, for both programs
    z = stats.norm.ppf(0.975)
    q_se = np.sqrt(0.025 * 0.975 / BOOT) / stats.norm.pdf(z) * eff.loc[list(key), "boot_se"]
    tol = 4 * np.sqrt(2) * q_se.to_numpy()
    for ours_col, r_col in (("ci_lower", "ci.lower"), ("ci_upper", "ci.upper")):
        diff = np.abs(eff.loc[list(key), ours_col].to_numpy() - rb[r_col].to_numpy())
        assert (diff <= tol).all(), (ours_col, diff, tol)
    # bootstrap SE: relative MC error about 1 / sqrt(2 B) in each program
    rel = np.abs(eff.loc[list(key), "boot_se"].to_numpy() / rb["se"].to_numpy() - 1)
    assert (rel <= 4 * np.sqrt(2) / np.sqrt(2 * BOOT)).all(), rel


@needs_r
@pytest.mark.parametrize("hid", ["H5", "H7"])
def test_r_moderation_matches(r_results, ours, hid):
    _, sections = ours
    mine = pd.DataFrame(sections["moderation"][hid]["coefficients"]).set_index("term")
    r = _read(r_results, f"moderation_{hid.lower()}").set_index("term")
    assert sorted(mine.index) == sorted(r.index)
    for col in ("estimate", "se", "pvalue"):
        assert_close(mine.loc[r.index, col], r[col], atol=EST_ATOL, rtol=EST_RTOL,
                     what=f"{hid} {col}")


@needs_r
def test_r_quadratic_matches(r_results, ours):
    _, sections = ours
    quad = sections["quadratic"]["H6b"]
    mine = pd.DataFrame(quad["coefficients"]).set_index("term")
    mine.index = [f"I({t})" if t.endswith("^2") else t for t in mine.index]
    r = _read(r_results, "quadratic_h6b").set_index("term")
    assert sorted(mine.index) == sorted(r.index)
    for col in ("estimate", "se"):
        assert_close(mine.loc[r.index, col], r[col], atol=EST_ATOL, rtol=EST_RTOL,
                     what=f"H6b {col}")
    b = r["estimate"]
    assert_close(quad["turning_point"], -b["trust"] / (2 * b["I(trust^2)"]), atol=EST_ATOL,
                 rtol=EST_RTOL, what="turning point")


@needs_r
def test_r_invariance_matches(r_results, ours):
    _, sections = ours
    inv = pd.DataFrame(sections["multigroup"]["H11"]["invariance"]).set_index("level")
    r = _read(r_results, "invariance_h11").set_index("level")
    assert list(r.index) == ["configural", "metric", "scalar"]
    assert_close(inv.loc[r.index, "npar"], r["npar"], atol=0, what="npar")
    assert_close(inv.loc[r.index, "chisq"], r["chisq.scaled"], atol=0, rtol=CHISQ_RTOL,
                 what="scaled chi-square")
    for ours_col, r_col in (("cfi", "cfi.robust"), ("rmsea", "rmsea.robust"), ("srmr", "srmr")):
        assert_close(inv.loc[r.index, ours_col], r[r_col], atol=FIT_ATOL, what=ours_col)


# --------------------------------------------------------------------------------------
# the measurement model (lavaan's WLSMV on 65 ordered items takes minutes)
# --------------------------------------------------------------------------------------
@needs_r
@pytest.mark.slow
def test_r_measurement_model_matches(exported, demo, tmp_path):
    from analysis.study.measurement import fit_measurement_model

    _run_r(exported[0], tmp_path, "measurement", timeout=3600)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        meas = fit_measurement_model(demo, estimator="WLSMV", invariance_groups=(),
                                     method_checks=False)
    rf = _r_fit(tmp_path, "cfa_first_fit")
    fit = meas["fit"]["first_order"]
    assert fit["npar"] == rf["npar"]
    for key in ("chisq", "chisq_scaled"):
        assert_close(fit[key], rf[key], atol=0, rtol=CHISQ_RTOL, what=key)
    for key in ("cfi", "tli", "rmsea", "srmr", "cfi_scaled", "rmsea_scaled"):
        if key in fit and key in rf:
            assert_close(fit[key], rf[key], atol=FIT_ATOL, what=key)
    r = _keyed(_read(tmp_path, "cfa_first_params"))
    for scale, rows in meas["loadings"].items():
        for row in rows:
            idx = (scale, "=~", row["item"])
            assert_close(row["est"], r.loc[idx, "est"], atol=EST_ATOL, rtol=EST_RTOL,
                         what=f"loading {idx}")
            assert_close(row["std_all"], r.loc[idx, "std.all"], atol=EST_ATOL, rtol=EST_RTOL,
                         what=f"std loading {idx}")
    # the script's reliability table: one row per factor, semTools' categorical omega
    omega = _read(tmp_path, "cfa_reliability").set_index("factor")["omega"]
    assert sorted(omega.index) == sorted(meas["reliability"])
    for scale, rel in meas["reliability"].items():
        assert_close(rel["omega"], omega[scale], atol=EST_ATOL, rtol=EST_RTOL,
                     what=f"omega {scale}")


# --------------------------------------------------------------------------------------
# the latent model
# --------------------------------------------------------------------------------------
LATENT_REF = ROOT / "tests" / "reference" / "latent_model"


def test_exported_latent_model_is_the_parity_fixtures_model_and_data(exported):
    """The script fits the latent model lavaan fitted for the parity fixture: same syntax,
    same data to the last digit, same clusters, same options."""
    out, files = exported
    script = files["lavaan"].read_text(encoding="utf-8")
    syntax = (LATENT_REF / "model_demo.lav").read_text(encoding="utf-8")
    from analysis.sem.export import r_value

    assert f"latent_model <- {r_value(syntax)}" in script
    assert ('fit_latent <- sem(latent_model, data = dat_latent, estimator = "MLR", '
            'missing = "ml", cluster = "path_cluster", fixed.x = FALSE)') in script
    assert ('ordered = latent_items, estimator = "WLSMV", missing = "pairwise", '
            "fixed.x = FALSE, conditional.x = FALSE)") in script
    assert "monteCarloCI(fit_latent, nRep = B" in script
    data = pd.read_csv(files["data"])
    ref = pd.read_csv(LATENT_REF / "demo_latent.csv")
    cols = [c for c in ref.columns if c != "alliance_id"]
    np.testing.assert_array_equal(data[cols].to_numpy(float), ref[cols].to_numpy(float))
    # the same partition into clusters (a respondent without an alliance is alone)
    pairs = pd.crosstab(data["path_cluster"], ref["alliance_id"].fillna("none"))
    assert (pairs > 0).sum(axis=1).max() == 1 and len(pairs) == 268
    readme = files["readme"].read_text(encoding="utf-8")
    assert "The latent model (verdicts of the path and mediation hypotheses)" in readme


@needs_r
@pytest.mark.slow
def test_r_runs_the_exported_latent_model_and_its_wlsmv_run(demo, tmp_path):
    """The exported latent parts in R on the small declaration (about 30 s): lavaan's
    estimates agree with the package's latent model and its WLSMV run on the same data."""
    from analysis.study.export_script import write_study_scripts
    from analysis.study.hypotheses import load_hypotheses
    from analysis.study.latent_model import fit_latent_model, robustness_wlsmv
    from instruments.instrument.loader import load_instrument

    small = LATENT_REF / "small_hypotheses.yaml"
    files = write_study_scripts(demo, tmp_path / "x", to=("lavaan",), hypotheses=small,
                                bootstrap=BOOT, seed=SEED)
    _run_r(tmp_path / "x", tmp_path / "out", "latent,latent_wlsmv", timeout=600)
    data = pd.read_csv(files["data"])
    hs, inst = load_hypotheses(small), load_instrument()
    mlr = fit_latent_model(data, data, hs, inst, cluster=data["alliance_id"], n_draws=0)
    wl = robustness_wlsmv(data, data, hs, inst, n_draws=0)
    for name, res in (("latent", mlr), ("latent_wlsmv", wl)):
        r = _keyed(_read(tmp_path / "out", f"{name}_params"))
        ours = _keyed(res.fit.params)
        rows = r.index[r.index.get_level_values("op").isin(["=~", "~", ":="])]
        assert len(rows) > 10
        assert_close(ours.loc[rows, "est"], r.loc[rows, "est"], atol=EST_ATOL,
                     rtol=EST_RTOL, what=f"{name} est")
        assert_close(ours.loc[rows, "se"], r.loc[rows, "se"], atol=EST_ATOL,
                     rtol=EST_RTOL, what=f"{name} se")
        rf = _r_fit(tmp_path / "out", f"{name}_fit")
        assert_close(res.fit.fit["chisq_scaled"], rf["chisq_scaled"], atol=0,
                     rtol=CHISQ_RTOL, what=f"{name} scaled chi-square")
    mc = _read(tmp_path / "out", "latent_indirect_mc")
    assert list(mc["name"]) == ["ind_H3"]
    assert_close(mc["est"].iloc[0], mlr.defined("H3")["est"], atol=EST_ATOL, rtol=EST_RTOL,
                 what="indirect effect")


def test_cli_export_script_and_its_errors(tmp_path, capsys):
    from analysis.cli import main

    out = tmp_path / "scripts"
    assert main(["export-script", str(DEMO), "--to", "both", "--out", str(out),
                 "--bootstrap", "100"]) == 0
    assert (out / "analysis.R").is_file() and (out / "mplus" / "path_model.inp").is_file()
    script = (out / "analysis.R").read_text(encoding="utf-8")
    assert 'bootstrap = "100"' in script and "input file: alliance_demo.csv sha256" in script
    assert str(tmp_path) not in script  # no machine paths in the script
    capsys.readouterr()
    assert main(["export-script", str(tmp_path / "nope.csv"), "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["export-script", str(DEMO), "--out", str(out), "--bootstrap", "1"]) == 2
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    assert main(["export-script", str(DEMO), "--out", str(afile)]) == 2
    bad = tmp_path / "bad.csv"
    pd.read_csv(DEMO).drop(columns=["trust_1"]).to_csv(bad, index=False)
    assert main(["export-script", str(bad), "--out", str(out)]) == 2
    assert "trust_1" in capsys.readouterr().err
