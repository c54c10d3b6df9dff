"""PLS-SEM parity with seminr 2.3 (its test fixtures and values its estimator produced).

Reference files live in tests/reference/pls/ (see SOURCES.md there): seminr_fixtures/
are copied from seminr's tests/fixtures/V_3_6_0, generated/ was written by
make_reference.R with seminr's own R sources.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, ModelSpecificationError
from analysis.stats.pls import parse_pls_model, pls
from analysis.stats.pls import quality as q

REF = Path(__file__).resolve().parents[1] / "reference" / "pls"
FIX = REF / "seminr_fixtures"
GEN = REF / "generated"
TOL = {"rtol": 0, "atol": 1e-5}


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, index_col=0)


@pytest.fixture(scope="module")
def mobi() -> pd.DataFrame:
    return pd.read_csv(REF / "mobi.csv")


@pytest.fixture(scope="module")
def corp() -> pd.DataFrame:
    return pd.read_csv(REF / "corp_rep_data.csv")


MOBI = """
Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation =~ CUEX1 + CUEX2 + CUEX3
Value =~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Satisfaction ~ Image + Expectation + Value
"""

CORP_EXT = (REF / "corp_rep_extended.lav").read_text(encoding="utf-8")


def _matrix(ours: pd.DataFrame, ref: pd.DataFrame, rename=lambda s: s, rows=None) -> tuple:
    ref = ref.rename(index=rows or rename, columns=rename)
    return ours.loc[ref.index, ref.columns].to_numpy(), ref.to_numpy(dtype=float)


def _star(name: str) -> str:
    return name.replace("*", ":")


# --------------------------------------------------------------------------------------
# estimation (simple, inner weighting schemes, PLSc, interactions, higher order, missing)
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme,prefix", [("path", "inner_weights_"), ("factor", "factorial_")])
def test_simple_model_weights_and_paths(mobi, scheme, prefix):
    res = pls(mobi, MOBI, scheme=scheme)
    np.testing.assert_allclose(*_matrix(res.weights, _csv(FIX / f"{prefix}weights.csv")), **TOL)
    np.testing.assert_allclose(*_matrix(res.paths, _csv(FIX / f"{prefix}coefficients.csv")), **TOL)
    assert res.converged


def test_simple_model_scores(mobi):
    res = pls(mobi, MOBI)
    ref = _csv(FIX / "inner_weights_constructscores.csv")
    np.testing.assert_allclose(res.scores[ref.columns].to_numpy(), ref.to_numpy(), **TOL)


def test_plsc_paths_loadings_rsquared(mobi):
    res = pls(mobi, MOBI, consistent=True, scheme="factor")
    np.testing.assert_allclose(*_matrix(res.paths, _csv(FIX / "path_coef1.csv")), **TOL)
    np.testing.assert_allclose(*_matrix(res.loadings, _csv(FIX / "loadings1.csv")), **TOL)
    r2 = _csv(FIX / "rsquaredplsc.csv")
    np.testing.assert_allclose(res.rsquared.loc["Satisfaction", ["r2", "adj_r2"]].to_numpy(float),
                               r2.loc[["Rsq", "AdjRsq"], "Satisfaction"].to_numpy(), **TOL)
    rho = _csv(FIX / "rho1.csv")["rhoA"]
    np.testing.assert_allclose(res.rho_a[rho.index].to_numpy(), rho.to_numpy(), **TOL)


INTERACTION = MOBI.replace("Value\n", "Value + Image:Expectation + Image:Value\n")


@pytest.mark.parametrize("method,suffix", [("orthogonal", ""), ("product_indicator", "2")])
def test_interaction_terms(mobi, method, suffix):
    res = pls(mobi, INTERACTION, interaction=method, scheme="factor")
    np.testing.assert_allclose(
        *_matrix(res.paths, _csv(FIX / f"coefficients{suffix}.csv"), _star), **TOL)
    np.testing.assert_allclose(
        *_matrix(res.weights, _csv(FIX / f"weights{suffix}.csv"), _star, str), **TOL)


def test_interaction_rho_a(mobi):
    res = pls(mobi, INTERACTION, interaction="orthogonal", scheme="factor")
    rho = _csv(FIX / "rho2.csv")["rhoA"].rename(index=_star)
    ours = q.reliability(res)["rho_a"]
    np.testing.assert_allclose(ours[rho.index].to_numpy(), rho.to_numpy(), **TOL)


def test_plsc_with_orthogonal_interaction_summary(mobi):
    model = """
    Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
    Expectation =~ CUEX3
    Value =~ PERV1 + PERV2
    Satisfaction =~ CUSA1 + CUSA2 + CUSA3
    Satisfaction ~ Image + Expectation + Value + Image:Expectation
    """
    res = pls(mobi, model, consistent=True, interaction="orthogonal")
    ref = _csv(FIX / "plsc-interaction-paths.csv")["Satisfaction"]  # rounded to 3 decimals
    assert res.rsquared.loc["Satisfaction", "r2"] == pytest.approx(ref["R^2"], abs=5e-4)
    assert res.rsquared.loc["Satisfaction", "adj_r2"] == pytest.approx(ref["AdjR^2"], abs=5e-4)
    for c in ["Image", "Expectation", "Value", "Image*Expectation"]:
        assert res.paths.loc[_star(c), "Satisfaction"] == pytest.approx(ref[c], abs=5e-4)
    rel = _csv(FIX / "plsc-interaction-reliability.csv").rename(index=_star)
    ours = q.reliability(res).rename(columns={"rho_c": "rhoC", "ave": "AVE", "rho_a": "rhoA"})
    np.testing.assert_allclose(*_matrix(ours.T, rel.T), **TOL)


HOC = """
Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation =~ CUEX1 + CUEX2 + CUEX3
Quality =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
Value =~ PERV1 + PERV2
Satisfaction =~ Image + Value
Complaints =~ CUSCO
Loyalty =~ CUSL1 + CUSL2 + CUSL3
Satisfaction ~ Expectation + Quality
Complaints + Loyalty ~ Satisfaction
"""


def _combined(res, what: str) -> pd.DataFrame:
    """Second-stage table with the first stage's entries for the dimensions' items (as seminr)."""
    top = getattr(res, what)
    low = getattr(res.first_stage, what)
    out = top.reindex(index=top.index.union(low.index, sort=False),
                      columns=top.columns.union(low.columns, sort=False)).fillna(0.0)
    dims = [c for c in low.columns if c not in top.columns]
    for d in dims:
        for i in res.first_stage.blocks[d]:
            out.loc[i, d] = low.loc[i, d]
    return out


def test_higher_order_two_stage(mobi):
    res = pls(mobi, HOC)
    np.testing.assert_allclose(*_matrix(res.paths, _csv(FIX / "hoc-paths.csv")), **TOL)
    np.testing.assert_allclose(*_matrix(_combined(res, "loadings"), _csv(FIX / "hoc-loadings.csv")),
                               **TOL)
    np.testing.assert_allclose(*_matrix(_combined(res, "weights"), _csv(FIX / "hoc-weights.csv")),
                               **TOL)


def test_higher_order_with_two_stage_interaction(mobi):
    model = """
    Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
    Expectation =~ CUEX1 + CUEX2 + CUEX3
    Quality =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5
    Loyalty =~ CUSL1 + CUSL2 + CUSL3
    Value =~ PERV1 + PERV2
    Nick =~ Quality + Loyalty
    Satisfaction =~ CUSA1 + CUSA2 + CUSA3
    Satisfaction ~ Image + Expectation + Value + Nick + Image:Expectation
    """
    res = pls(mobi, model, interaction="two_stage")
    ref = _csv(FIX / "hoc_2si-paths.csv").rename(index=_star, columns=_star)
    np.testing.assert_allclose(*_matrix(res.paths, ref), **TOL)
    lref = _csv(FIX / "hoc_2si-loadings.csv").rename(index=lambda s: s.replace("*", ":"),
                                                    columns=_star)
    ours = _combined(res, "loadings").rename(index=lambda s: s.replace("_intxn", "_intxn"))
    np.testing.assert_allclose(*_matrix(ours, lref), **TOL)


def test_mean_replacement_with_missing_code(corp):
    model = """
    COMP =~ comp_1 + comp_2 + comp_3
    LIKE =~ like_1 + like_2 + like_3
    CUSA =~ cusa
    CUSL =~ cusl_1 + cusl_2 + cusl_3
    CUSA + CUSL ~ COMP + LIKE
    CUSL ~ CUSA
    """
    res = pls(corp, model, missing_value=-99)
    np.testing.assert_allclose(*_matrix(res.paths, _csv(FIX / "corp_rep_simple_paths.csv")), **TOL)
    assert res.missing.method == "mean" and res.missing.n_cells_missing > 0
    assert "replaced by the item mean" in res.missing.describe()
    lw = pls(corp, model, missing_value=-99, missing="listwise")
    assert lw.n < res.n and "Listwise deletion" in lw.missing.describe()


# --------------------------------------------------------------------------------------
# the corporate-reputation model (mode B drivers) and its quality criteria
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corp_ext(corp):
    return pls(corp, CORP_EXT, missing_value=-99)


@pytest.mark.parametrize("attr,file", [("paths", "paths"), ("weights", "weights"),
                                       ("loadings", "loadings"),
                                       ("total_effects", "total_effects"),
                                       ("indirect_effects", "indirect_effects")])
def test_corp_ext_estimates(corp_ext, attr, file):
    np.testing.assert_allclose(*_matrix(getattr(corp_ext, attr), _csv(GEN / f"corp_ext_{file}.csv")),
                               **TOL)


def test_corp_ext_rsquared(corp_ext):
    ref = _csv(GEN / "corp_ext_rsquared.csv").T
    np.testing.assert_allclose(corp_ext.rsquared.loc[ref.index].to_numpy(),
                               ref[["Rsq", "AdjRsq"]].to_numpy(), **TOL)


def test_corp_ext_reliability(corp_ext):
    ref = _csv(GEN / "corp_ext_reliability.csv")
    ours = q.reliability(corp_ext)[["alpha", "rho_c", "ave", "rho_a"]]
    np.testing.assert_allclose(ours.loc[ref.index].to_numpy(), ref.to_numpy(), **TOL)


@pytest.mark.parametrize("fn,file", [(q.htmt, "htmt"), (q.fornell_larcker, "fl"),
                                     (q.cross_loadings, "cross_loadings")])
def test_corp_ext_validity(corp_ext, fn, file):
    ours, ref = _matrix(fn(corp_ext), _csv(GEN / f"corp_ext_{file}.csv"))
    np.testing.assert_allclose(ours, ref, equal_nan=True, **TOL)


def test_corp_ext_vif_and_f2(corp_ext):
    vi = _csv(GEN / "corp_ext_vif_items.csv")["vif"]
    ours = q.vif_items(corp_ext)
    np.testing.assert_allclose(ours["vif"].to_numpy(),
                               vi[[f"{c}.{i}" for c, i in zip(ours.construct, ours["item"], strict=True)]]
                               .to_numpy(), **TOL)
    vin = _csv(GEN / "corp_ext_vif_inner.csv")["vif"]
    ours = q.vif_inner(corp_ext)
    np.testing.assert_allclose(ours["vif"].to_numpy(),
                               vin[[f"{t}.{s}" for t, s in zip(ours.target, ours.source, strict=True)]]
                               .to_numpy(), equal_nan=True, **TOL)
    f2 = _csv(GEN / "corp_ext_fsquare.csv")
    ours = q.fsquared(corp_ext)
    np.testing.assert_allclose(ours["f2"].to_numpy(),
                               [f2.loc[s, t] for s, t in zip(ours.source, ours.target, strict=True)],
                               **TOL)


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("model,fragment", [
    ("", "empty"),
    ("F =~ a + b", "no structural paths"),
    ("F =~ a + b\nG =~ c\nG ~ H", "'H' has no"),
    ("F =~ a + b\nF =~ c\nF ~ F", "declared more than once"),
    ("F =~ a + \nG =~ c\nG ~ F", "empty term"),
    ("F ~~ G", "only '=~', '<~' and '~'"),
])
def test_bad_syntax_is_reported(model, fragment):
    with pytest.raises(ModelSpecificationError, match=fragment):
        parse_pls_model(model)


def test_bad_data_is_reported(mobi):
    with pytest.raises(DataError, match="not in data"):
        pls(mobi.drop(columns=["IMAG1"]), MOBI)
    const = mobi.assign(IMAG1=1)
    with pytest.raises(DataError, match="without variance"):
        pls(const, MOBI)
    with pytest.raises(ModelSpecificationError, match="scheme"):
        pls(mobi, MOBI, scheme="bogus")


def test_command_names_constructs_keyed_both_ways(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """A reverse-worded item not recoded gave alpha = -0.54 and rho_C = 0.16 without a
    word; the construct is named and its alpha, rho_C and rho_A are not reported."""
    import json

    from analysis.cli import main

    hs = pd.read_csv(Path(__file__).resolve().parents[1] / "reference" / "data"
                     / "HolzingerSwineford1939.csv")
    model = tmp_path / "m.lav"
    model.write_text("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
                     "\ntextual ~ visual\nspeed ~ visual + textual\n", encoding="utf-8")
    flipped = hs.assign(x1=10 - hs["x1"])
    runs = {}
    for name, frame in (("plain", hs), ("flipped", flipped)):
        path = tmp_path / f"{name}.csv"
        frame.to_csv(path, index=False)
        assert main(["pls", str(path), "--model", str(model), "--json", "-"]) == 0
        runs[name] = json.loads(capsys.readouterr().out)
    rel = {r["construct"]: r for r in runs["flipped"]["reliability"]}
    assert rel["visual"]["alpha"] is None and rel["visual"]["rho_c"] is None
    assert rel["visual"]["rho_a"] is None and rel["visual"]["ave"] > 0.5
    plain = {r["construct"]: r for r in runs["plain"]["reliability"]}
    assert rel["speed"] == pytest.approx(plain["speed"], abs=1e-8)  # another start: 1e-10
    assert plain["visual"]["alpha"] > 0.6
    assert [w for w in runs["flipped"]["warnings"] if "'visual'" in w and "x1 (-0.87)" in w]
    assert "warnings" not in runs["plain"]
