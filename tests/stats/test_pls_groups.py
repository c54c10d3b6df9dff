"""Recovery tests on simulated data where no R reference exists (seminr has no MICOM,
CVPAT or permutation MGA in 2.3.1; cSEM is not packaged for Debian): MICOM, permutation
MGA, CVPAT, the embedded higher-order construct and the centroid scheme."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, ModelSpecificationError
from analysis.stats.pls import pls
from analysis.stats.pls.groups import micom, permutation_mga
from analysis.stats.pls.predict import cvpat

MODEL = """
X =~ x1 + x2 + x3
M =~ m1 + m2 + m3
Y =~ y1 + y2 + y3
M ~ X
Y ~ M + X
"""


def _items(rng, score, name, loadings, shift=0.0):
    lam = np.asarray(loadings, dtype=float)
    e = rng.standard_normal((score.size, lam.size)) * np.sqrt(1 - lam**2)
    return {f"{name}{k + 1}": lam[k] * (score + shift) + e[:, k] for k in range(lam.size)}


def simulate(n, rng, b_xm=0.5, b_my=0.4, b_xy=0.2, x_loadings=(0.8, 0.8, 0.8), x_shift=0.0):
    """Standardised constructs X -> M -> Y (and X -> Y), three items each."""
    x = rng.standard_normal(n)
    m = b_xm * x + np.sqrt(1 - b_xm**2) * rng.standard_normal(n)
    r_xm = b_xm
    var_y = b_my**2 + b_xy**2 + 2 * b_my * b_xy * r_xm
    y = b_my * m + b_xy * x + np.sqrt(1 - var_y) * rng.standard_normal(n)
    cols = {**_items(rng, x, "x", x_loadings, x_shift), **_items(rng, m, "m", (0.8,) * 3),
            **_items(rng, y, "y", (0.8,) * 3)}
    return pd.DataFrame(cols)


def two_groups(rng, n=250, **second):
    a, b = simulate(n, rng), simulate(n, rng, **second)
    return pd.concat([a, b], ignore_index=True), np.r_[np.ones(n, bool), np.zeros(n, bool)]


def test_permutation_mga_finds_a_path_difference_and_not_an_equal_path():
    data, g = two_groups(np.random.default_rng(1), b_xm=0.1)
    res = pls(data, MODEL)
    out = permutation_mga(res, g, n_perm=300, seed=3).set_index(["source", "target"])
    assert out.loc[("X", "M"), "diff"] == pytest.approx(0.4, abs=0.12)
    assert out.loc[("X", "M"), "p"] < 0.01
    assert out.loc[("M", "Y"), "p"] > 0.05
    # the group estimates are those of pls() on each group's rows
    sep = pls(data[~g].reset_index(drop=True), MODEL)
    np.testing.assert_allclose(out.loc[("X", "M"), "group2"], sep.paths.loc["X", "M"],
                               rtol=0, atol=1e-10)
    # permutations are reproducible and independent of chunking
    again = permutation_mga(res, g, n_perm=300, seed=3, chunk=70).set_index(["source", "target"])
    np.testing.assert_allclose(again["p"], out["p"], rtol=0, atol=0)


def test_micom_holds_its_level_for_one_population():
    """Two groups from one population: every step holds about 95% of the time (20 data
    sets x 3 constructs = 60 tests per step; 10 or more rejections has probability
    0.002 at the nominal 5%)."""
    rejected = np.zeros(3, dtype=int)
    for s in range(20):
        data, g = two_groups(np.random.default_rng(100 + s), n=150)
        out = micom(pls(data, MODEL), g, n_perm=100, seed=s)
        assert list(out.index) == ["X", "M", "Y"] and (out["c"] > 0.98).all()
        rejected += [(~out["compositional"]).sum(), (~out["equal_mean"]).sum(),
                     (~out["equal_var"]).sum()]
    assert (rejected <= 9).all(), rejected


def test_micom_detects_a_mean_shift_and_a_changed_composition():
    rng = np.random.default_rng(5)
    data, g = two_groups(rng, x_shift=0.6)
    out = micom(pls(data, MODEL), g, n_perm=300, seed=6)
    # group 2's X is 0.6 SD higher: step 3 sees it (group 1 - group 2 < 0), step 2 does not
    assert out.loc["X", "compositional"] and not out.loc["X", "equal_mean"]
    assert out.loc["X", "mean_diff"] < -0.3 and out.loc["X", "mean_p"] < 0.01
    assert out.loc["X", "invariance"] == "partial"
    data, g = two_groups(rng, x_loadings=(0.85, 0.85, 0.05))
    out = micom(pls(data, MODEL), g, n_perm=300, seed=7)
    # x3 measures nothing in group 2: its weights differ and c falls below the 5% quantile
    assert not out.loc["X", "compositional"] and out.loc["X", "invariance"] == "none"
    assert out.loc["X", "c_p"] < 0.05 and out.loc["M", "compositional"]


def test_group_tests_reject_bad_input():
    data, g = two_groups(np.random.default_rng(8), n=30)
    res = pls(data, MODEL)
    with pytest.raises(DataError, match="one value per row"):
        micom(res, g[:-1], n_perm=10)
    with pytest.raises(DataError, match="at least 10 rows"):
        permutation_mga(res, np.arange(60) < 5, n_perm=10)
    with pytest.raises(DataError, match="n_perm"):
        permutation_mga(res, g, n_perm=1)
    hoc = pls(data, MODEL.replace("Y ~ M + X", "H =~ M + Y\nH ~ X").replace("M ~ X\n", ""))
    with pytest.raises(ModelSpecificationError, match="first-order"):
        micom(hoc, g, n_perm=10)


def test_cvpat_prefers_a_predictive_model_over_the_indicator_average():
    rng = np.random.default_rng(9)
    res = pls(simulate(250, rng), MODEL)
    out = cvpat(res, folds=10, reps=2, seed=1)
    ia, lm = out.tests.loc["IA"], out.tests.loc["LM"]
    assert ia["diff"] < 0 and ia["p"] < 0.001  # constructs that predict beat item means
    # the linear model uses the same information: no significant advantage either way
    assert lm["p"] > 0.01 and abs(lm["diff"]) < 0.1 * lm["pls_loss"]
    assert out.losses.shape == (250, 3)
    # with unrelated constructs PLS has nothing to predict with: no advantage over IA
    null = pls(simulate(250, rng, b_xm=0.0, b_my=0.0, b_xy=0.0), MODEL)
    assert cvpat(null, folds=5, reps=1, seed=1).tests.loc["IA", "p"] > 0.05


def test_embedded_and_disjoint_higher_order_recover_the_second_order_path():
    """A second-order factor H (dimensions D1-D3, three items each) with H -> Y = 0.5:
    PLSc with either two-stage approach recovers the path at n = 3000."""
    rng = np.random.default_rng(11)
    n, beta, gamma = 3000, 0.5, 0.8
    h = rng.standard_normal(n)
    cols = {}
    for k in (1, 2, 3):
        d = gamma * h + np.sqrt(1 - gamma**2) * rng.standard_normal(n)
        cols.update(_items(rng, d, f"d{k}_", (0.85, 0.85, 0.85)))
    y = beta * h + np.sqrt(1 - beta**2) * rng.standard_normal(n)
    cols.update(_items(rng, y, "y", (0.85, 0.85, 0.85)))
    data = pd.DataFrame(cols)
    model = """
    D1 =~ d1_1 + d1_2 + d1_3
    D2 =~ d2_1 + d2_2 + d2_3
    D3 =~ d3_1 + d3_2 + d3_3
    H =~ D1 + D2 + D3
    Y =~ y1 + y2 + y3
    Y ~ H
    """
    emb = pls(data, model, higher_order="embedded", consistent=True)
    dis = pls(data, model, higher_order="two_stage", consistent=True)
    assert emb.first_stage is not None and "H" in emb.first_stage.constructs
    assert "H" not in dis.first_stage.constructs
    for res in (emb, dis):
        assert res.paths.loc["H", "Y"] == pytest.approx(beta, abs=0.04)
        # the second stage sees the dimensions' composite scores, whose reliability is
        # rho = (3 l)^2 / ((3 l)^2 + 3 (1 - l^2)) with l = 0.85: their loadings on H are
        # gamma * sqrt(rho), not gamma
        lam = 0.85
        rho = (3 * lam) ** 2 / ((3 * lam) ** 2 + 3 * (1 - lam**2))
        np.testing.assert_allclose(res.loadings.loc[["D1", "D2", "D3"], "H"].mean(),
                                   gamma * np.sqrt(rho), atol=0.02)
    # without PLSc the composite path is attenuated by the measurement error
    assert pls(data, model, higher_order="embedded").paths.loc["H", "Y"] < beta - 0.03


@pytest.mark.parametrize("scheme", ["centroid", "factor", "path"])
def test_inner_schemes_recover_population_paths_with_plsc(scheme):
    """Each inner weighting scheme with PLSc recovers the population paths at n = 3000;
    with a negative path the centroid scheme's sign weights still do."""
    rng = np.random.default_rng(12)
    data = simulate(3000, rng, b_xm=0.5, b_my=-0.4, b_xy=0.25)
    res = pls(data, MODEL, scheme=scheme, consistent=True)
    assert res.converged
    assert res.paths.loc["X", "M"] == pytest.approx(0.5, abs=0.04)
    assert res.paths.loc["M", "Y"] == pytest.approx(-0.4, abs=0.04)
    assert res.paths.loc["X", "Y"] == pytest.approx(0.25, abs=0.04)
    # PLSc loadings are noisy where the inner proxy correlates weakly with the block
    # (their sampling error scales with 1 / cor(construct, proxy)): the block means are
    # tight, single loadings less so
    for c in ("X", "M", "Y"):
        lam = res.loadings.loc[list(res.blocks[c]), c]
        assert lam.mean() == pytest.approx(0.8, abs=0.025), c
        np.testing.assert_allclose(lam, 0.8, atol=0.08)


def test_pls_command_runs_the_group_tests_and_cvpat(tmp_path, capsys):
    import json

    from analysis.cli import main

    data, g = two_groups(np.random.default_rng(13), n=120, b_xm=0.1)
    data["sector"] = np.where(g, "a", "b")
    path = tmp_path / "d.csv"
    data.to_csv(path, index=False)
    out = tmp_path / "o.json"
    args = ["pls", str(path), "--model", MODEL, "--group", "sector", "--permutations", "60",
            "--seed", "4", "--cvpat", "--folds", "5", "--reps", "1"]
    assert main([*args, "--json", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    res = pls(data, MODEL)
    mga = permutation_mga(res, g, n_perm=60, seed=4)
    assert doc["groups"]["group1"] == "a"
    assert [r["p"] for r in doc["groups"]["permutation_mga"]] == mga["p"].tolist()
    assert [r["construct"] for r in doc["groups"]["micom"]] == ["X", "M", "Y"]
    assert [r["benchmark"] for r in doc["cvpat"]] == ["IA", "LM"]
    assert main(args) == 0 and "Permutation MGA" in capsys.readouterr().out
    assert main([*args[:4], "--group", "x1"]) == 2  # not a two-valued column
    assert "exactly two values" in capsys.readouterr().err
