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
    rc = main(["power", "--n", "60", "--reps", "1", "--workers", "1", "--boot", "20",
               "--json", str(out), "--plot", str(tmp_path / "c.svg"), "--no-progress"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "H1" in text and "n=60" in text
    assert json.loads(out.read_text())["reps"] == 1
    assert (tmp_path / "c.svg").exists()
