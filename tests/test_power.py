"""Monte Carlo power (analysis.study.power) and the ``alliance-survey power`` command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.distributed import SerialExecutor
from analysis.errors import ModelSpecificationError
from analysis.study.power import mc_se, plot_power, power_analysis


@pytest.fixture(scope="module")
def small():
    return power_analysis([80, 300], reps=2, seed=7, executor=SerialExecutor(), n_boot=40,
                          progress=False)


def test_mc_se_formula():
    assert mc_se(0.5, 100) == pytest.approx(0.05, abs=1e-12)
    assert mc_se(0.0, 10) == 0.0
    assert np.isnan(mc_se(0.5, 0))


def test_table_covers_every_confirmatory_hypothesis_and_n(small):
    from analysis.study.hypotheses import load_hypotheses

    conf = {h.id for h in load_hypotheses().hypotheses if not h.exploratory}
    tab = small.table
    assert set(tab["hypothesis"]) == conf
    assert sorted(tab["n"].unique()) == [80, 300]
    assert tab["power"].between(0, 1).all()
    assert (tab["n_reps"] + tab["n_failed"] == 2).all()
    # power is the share of replications with verdict "supported"
    reps = small.replications
    for (n, h), sub in reps.groupby(["n", "hypothesis"]):
        row = tab[(tab["n"] == n) & (tab["hypothesis"] == h)].iloc[0]
        assert row["power"] == pytest.approx(np.mean(sub["verdict"] == "supported"), abs=1e-12)
        assert row["mc_se"] == pytest.approx(mc_se(row["power"], row["n_reps"]), abs=1e-12)


def test_strong_paths_have_power_at_large_n(small):
    # H3 (learning -> value creation, 0.40) is detected in every replication at n = 300
    w = small.wide()
    assert w.loc["H3", 300] == 1.0


def test_more_replications_extend_fewer(small):
    fewer = power_analysis([80], reps=1, seed=7, executor=SerialExecutor(), n_boot=40,
                           progress=False)
    a = small.replications
    a = a[(a["n"] == 80) & (a["rep"] < 1)].reset_index(drop=True)
    b = fewer.replications.reset_index(drop=True)
    assert a.equals(b)


def test_bad_arguments():
    with pytest.raises(ModelSpecificationError):
        power_analysis([], reps=2)
    with pytest.raises(ModelSpecificationError):
        power_analysis([100, 100], reps=2)
    with pytest.raises(ModelSpecificationError):
        power_analysis([100], reps=0)


def test_plot_and_json(small, tmp_path):
    svg = plot_power(small, tmp_path / "p.svg")
    assert svg.read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))
    png = plot_power(small, tmp_path / "p.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ModelSpecificationError):
        plot_power(small, tmp_path / "p.txt")
    d = json.loads(json.dumps(small.to_dict()))
    assert len(d["power"]) == len(small.table)


def test_cli_power(tmp_path, capsys):
    from analysis.cli import main

    out = tmp_path / "power.json"
    rc = main(["power", "--n", "60", "--reps", "1", "--workers", "1",
               "--json", str(out), "--plot", str(tmp_path / "c.svg"), "--no-progress"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "H1" in text and "n=60" in text
    assert json.loads(out.read_text())["reps"] == 1
    assert (tmp_path / "c.svg").exists()


def _confirmatory(**changes):
    """The package's confirmatory hypotheses, some of them changed (``id={field: value}``)."""
    from analysis.study.hypotheses import composite_counterparts, load_hypotheses

    hs = load_hypotheses()
    keep = tuple(h.model_copy(update=changes.get(h.id, {})) for h in hs.hypotheses
                 if not h.exploratory and changes.get(h.id) != "drop")
    # the power analysis simulates the composite tests behind the latent verdicts
    return composite_counterparts(hs.model_copy(update={"hypotheses": keep}))[0]


def _fast_and_full(hs, n, seed):
    import warnings

    from analysis.study.hypotheses import test_hypotheses
    from analysis.study.power import _context, _study, fast_replication
    from analysis.study.scoring import score
    from analysis.study.simulate import simulate_study

    population, instrument = _context(None)
    data = simulate_study(n, seed=seed, careless=0.05, instrument=instrument,
                          population=population)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = fast_replication(data, _study(None, hs), alpha=None, estimator="ML",
                                rng=np.random.default_rng(seed))
        full = test_hypotheses(data, score(data, instrument), hypotheses=hs, estimator="ML",
                               bootstrap=200, seed=seed, latent_alternative=False,
                               # the power analysis simulates the composite tests
                               latent_model=False)
    assert [r[0] for r in fast] == list(full["id"])
    return fast, full


@pytest.mark.parametrize("seed", [11, 12])
def test_fast_replication_matches_the_runner(seed):
    # every estimate of the fast replication is the runner's (test_hypotheses) on the same
    # simulated study, and so is every p and verdict but the mediation's: its p comes from
    # the Monte Carlo draws instead of the bootstrap (declared), which may also move the
    # Holm-adjusted p of the others, never their declared p
    fast, full = _fast_and_full(_confirmatory(), 150, seed)
    methods = dict(zip(full["id"], full["method"], strict=True))
    assert methods["H2"] == "rsa"  # the response surface runs in the fast path too
    for (hid, verdict, est, p, _padj), row in zip(fast, full.itertuples(), strict=True):
        assert est == pytest.approx(row.estimate, rel=1e-6, abs=1e-9), hid
        if methods[hid] != "mediation_bootstrap":
            assert p == pytest.approx(row.pvalue, rel=1e-5, abs=1e-9), hid
            assert verdict == row.verdict, hid


def test_fast_replication_decides_as_the_declared_rules():
    # without the mediation (the one declared difference) everything is the runner's:
    # one-sided p, Holm over the family, and every verdict category -- H9 declared with
    # the wrong sign is "opposite sign"; the true-zero H9b, the response surface of H2 and
    # the moderation H7, given a wide SESOI, are "evidence of no effect" by TOST
    wide = {"sesoi": 0.5}
    hs = _confirmatory(H4="drop", H9={"expected_sign": "-"}, H9b=wide, H7=wide, H2=wide)
    fast, full = _fast_and_full(hs, 150, 11)
    for (hid, verdict, est, p, padj), row in zip(fast, full.itertuples(), strict=True):
        assert est == pytest.approx(row.estimate, rel=1e-6, abs=1e-9), hid
        assert p == pytest.approx(row.pvalue, rel=1e-5, abs=1e-9), hid
        assert padj == pytest.approx(row.pvalue_adjusted, rel=1e-5, abs=1e-9), hid
        assert verdict == row.verdict, hid
    verdicts = {r[0]: r[1] for r in fast}
    assert verdicts["H9"] == "opposite sign"
    assert verdicts["H9b"] == verdicts["H2"] == "evidence of no effect"
    assert {"supported", "inconclusive"} <= set(verdicts.values())
    assert full.attrs["decision"]["family_size"] == len(hs.hypotheses)


def test_monte_carlo_interval_agrees_with_the_bootstrap():
    # Preacher & Selig's interval and the percentile bootstrap estimate the same interval;
    # on n = 400 their bounds agree within Monte Carlo error of the 2000-draw bootstrap
    from analysis.stats.regression import mediation_bootstrap
    from analysis.study.hypotheses import load_hypotheses, prepare_scores
    from analysis.study.power import _Columns, _mediation_mc
    from analysis.study.simulate import simulate_study

    hs = load_hypotheses()
    data = simulate_study(400, seed=5, careless=0.0)
    d, _excl, _full = prepare_scores(data, None, hs)
    ctr = ["specific_investments", "alliance_age", "firm_size"]
    boot = mediation_bootstrap(d, x="jd_sum", m="learning", y="value_creation", controls=ctr,
                               n_boot=2000, seed=1)
    ind = boot.effect("indirect")
    cols = _Columns({c: d[c].to_numpy(dtype=float) for c in d.columns
                     if c in ("jd_sum", "learning", "value_creation", *ctr)},
                    d, np.ones(len(d), dtype=bool))
    est, p, lo, hi = _mediation_mc(cols, "jd_sum", "learning", "value_creation", ctr, 0.95,
                                   np.random.default_rng(1))
    assert est == pytest.approx(ind["estimate"], rel=1e-9)
    assert p == pytest.approx(ind["pvalue"], rel=1e-6)
    width = ind["ci_upper"] - ind["ci_lower"]
    assert lo == pytest.approx(ind["ci_lower"], abs=0.1 * width)
    assert hi == pytest.approx(ind["ci_upper"], abs=0.1 * width)


def test_output_declares_the_mediation_interval(small):
    assert small.mediation_ci == "monte_carlo"
    assert "Preacher & Selig" in small.to_dict()["mediation_method"]
    with pytest.raises(ModelSpecificationError):
        power_analysis([100], reps=1, mediation_ci="percentile")


def test_bootstrap_mode_runs_the_full_runner():
    res = power_analysis([80], reps=1, seed=7, executor=SerialExecutor(), n_boot=20,
                         progress=False, mediation_ci="bootstrap")
    fast = power_analysis([80], reps=1, seed=7, executor=SerialExecutor(), progress=False)
    a = res.replications.set_index("hypothesis")
    b = fast.replications.set_index("hypothesis")
    # same simulated study: the path estimates are the same, whichever interval H4 gets
    assert np.allclose(a.loc["H1", "estimate"], b.loc["H1", "estimate"], rtol=1e-6)
    assert "bootstrap" in res.mediation_method


@pytest.mark.parametrize(("seed", "careless", "missing"), [(1, 0.05, 0.0), (2, 0.3, 0.1),
                                                           (3, 0.0, 0.3)])
def test_numeric_simulation_is_simulate_study(seed, careless, missing):
    # the power runs simulate only the numeric columns: the same draws as simulate_study,
    # so every number equals the canonical frame's (only the text columns are left out)
    import pandas as pd

    from analysis.study.power import _context, _simulate_numeric
    from analysis.study.simulate import simulate_study

    population, instrument = _context(None)
    full = simulate_study(120, seed=seed, careless=careless, missing=missing,
                          instrument=instrument, population=population)
    fast = _simulate_numeric(120, seed, careless, missing, instrument, population)
    assert set(full.columns) - set(fast.columns) == {
        "respondent_id", "alliance_id", "firm_role", "language", "comment"}
    assert list(fast.columns) == [c for c in full.columns if c in fast.columns]
    pd.testing.assert_frame_equal(full[list(fast.columns)].astype(float), fast,
                                  check_exact=True)


def test_power_exclusions_are_scorings_quality_flags():
    # the power replication's exclusion rule is quality_flags' "exclude", on the canonical
    # frame and on the numeric block alike, with many careless and incomplete respondents
    from analysis.study.hypotheses import load_hypotheses
    from analysis.study.power import _context, _excluded, _simulate_numeric, _study
    from analysis.study.quality import quality_flags
    from analysis.study.simulate import simulate_study

    population, instrument = _context(None)
    study = _study(None, load_hypotheses())
    flagged = 0
    for seed in range(6):
        kw = dict(careless=0.3, missing=0.08 * (seed % 4))
        full = simulate_study(150, seed=seed, instrument=instrument, population=population,
                              **kw)
        expected = quality_flags(full, instrument)["exclude"].to_numpy(dtype=bool)
        np.testing.assert_array_equal(_excluded(full, study), expected)
        fast = _simulate_numeric(150, seed, kw["careless"], kw["missing"], instrument,
                                 population)
        np.testing.assert_array_equal(_excluded(fast, study), expected)
        # a frame derived from the block (pandas carries its attrs over) is read by name
        sub = fast[list(reversed(fast.columns))]
        np.testing.assert_array_equal(_excluded(sub, study), expected)
        flagged += int(expected.sum())
    assert 0 < flagged < 6 * 150


def test_path_model_start_is_the_samples_own_and_changes_nothing():
    # the data-based start values reach the same ML estimates as the anchor start
    import warnings

    from analysis.study import power as pw
    from analysis.study.hypotheses import load_hypotheses

    hs = load_hypotheses()
    hs = hs.model_copy(update={"hypotheses": tuple(h for h in hs.hypotheses
                                                   if not h.exploratory)})
    population, instrument = pw._context(None)
    study = pw._study(None, hs)
    data = pw._simulate_numeric(200, 4, 0.05, 0.0, instrument, population)
    d, x = pw._scores(data, study)
    base = [c for c in hs.controls if d.has(c)]
    rel = pw._reliabilities(study, x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = pw._path_tests(study, d, base, rel, "ML")
        plain = pw._corrected_ols_start
        try:
            pw._corrected_ols_start = lambda *a: a[-1]  # the anchor's values instead
            anchored = pw._path_tests(study, d, base, rel, "ML")
        finally:
            pw._corrected_ols_start = plain
    assert ours.keys() == anchored.keys() and len(ours) >= 20
    for k, (e, se, f) in ours.items():
        assert e == pytest.approx(anchored[k][0], abs=1e-6), k
        assert se == pytest.approx(anchored[k][1], rel=1e-5), k
        assert f == pytest.approx(anchored[k][2], rel=1e-5), k


def test_failed_replications_give_a_lower_bound_that_counts_them_as_unsupported(capsys):
    # at n = 32 some simulated studies keep fewer than 30 respondents after the quality
    # exclusions and cannot be analysed
    res = power_analysis([32], reps=6, seed=7, executor=SerialExecutor(), n_boot=40,
                         progress=False)
    tab = res.table
    assert (tab["n_failed"] > 0).all() and (tab["n_reps"] > 0).all()
    for row in tab.itertuples():
        supported = row.power * row.n_reps
        assert row.power_failed_unsupported == pytest.approx(
            supported / (row.n_reps + row.n_failed), abs=1e-12)
        assert row.power_failed_unsupported <= row.power
    assert (tab["power_failed_unsupported"] < tab["power"]).any()
    assert "power_failed_unsupported" in json.dumps(res.to_dict())
    from analysis.cli import main

    assert main(["power", "--n", "32", "--reps", "6", "--seed", "7", "--workers", "1",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "counting the failed ones as not supported, the lowest power per n is n=32: " in out
