"""PLS bootstrap: standard errors against seminr's estimator on the same kind of resamples
(within Monte Carlo error), draws independent of chunking, and the ``pls`` command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.stats.pls import pls
from analysis.stats.pls.bootstrap import bootstrap_pls

REF = Path(__file__).resolve().parents[1] / "reference" / "pls"

CORP_EXT = (REF / "corp_rep_extended.lav").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def corp_ext():
    return pls(pd.read_csv(REF / "corp_rep_data.csv"), CORP_EXT, missing_value=-99)


@pytest.fixture(scope="module")
def boot(corp_ext):
    return bootstrap_pls(corp_ext, 2000, seed=11)


def test_standard_errors_match_seminr_within_monte_carlo_error(boot):
    ref = pd.read_csv(REF / "generated" / "corp_ext_boot_sd.csv", index_col=0)
    tab = boot.table[boot.table.kind.isin(["path", "weight"])].copy()
    tab["name"] = [f"{r.rhs} -> {r.lhs}" if r.kind == "path" else f"{r.lhs} <~ {r.rhs}"
                   for r in tab.itertuples()]
    both = tab.merge(ref, on="name")
    assert len(both) == len(ref) == 44
    ratio = both["se"] / both["sd"]
    # 2,000 draws on each side: the SD of an SE ratio is about sqrt(2/2000) = 3.2 %
    # for normal draws (more for mode B weights); individual ratios within 15 %,
    # their mean within 3 %.
    np.testing.assert_allclose(ratio, 1.0, rtol=0.15)
    assert abs(ratio.mean() - 1.0) < 0.03


def test_intervals_bracket_the_estimate(boot):
    t = boot.table
    assert boot.n_failed == 0
    assert set(t.kind) == {"path", "loading", "weight", "total", "indirect", "htmt"}
    assert (t.ci_lower <= t.est + 1e-12).all() and (t.est <= t.ci_upper + 1e-12).all()
    varying = t[t.se > 0]
    ok = varying.bca_lower.notna()
    assert ok.mean() > 0.95
    assert (varying.bca_lower[ok] < varying.bca_upper[ok]).all()


def test_draws_do_not_depend_on_chunking(corp_ext):
    a = bootstrap_pls(corp_ext, 30, seed=5, bca=False, chunk=7)
    b = bootstrap_pls(corp_ext, 30, seed=5, bca=False, chunk=30)
    np.testing.assert_allclose(a.draws, b.draws, rtol=0, atol=1e-12)
    c = bootstrap_pls(corp_ext, 30, seed=6, bca=False)
    assert not np.allclose(a.draws, c.draws)


def test_models_with_derived_indicators_get_bootstrap_errors():
    mobi = pd.read_csv(REF / "mobi.csv")
    model = """
    Image =~ IMAG1 + IMAG2 + IMAG3
    Value =~ PERV1 + PERV2
    Satisfaction =~ CUSA1 + CUSA2 + CUSA3
    Satisfaction ~ Image + Value + Image:Value
    """
    res = pls(mobi, model)
    b = bootstrap_pls(res, 20, seed=2, bca=False)
    row = b.table[(b.table.kind == "path") & (b.table.rhs == "Image:Value")]
    assert row.se.iloc[0] > 0 and np.isfinite(row.se.iloc[0])


def test_cli_json_and_errors(tmp_path, capsys):
    model = tmp_path / "m.txt"
    model.write_text(CORP_EXT, encoding="utf-8")
    out = tmp_path / "r.json"
    rc = main(["pls", str(REF / "corp_rep_data.csv"), "--model", str(model),
               "--missing-value", "-99", "--bootstrap", "50", "--seed", "1", "--json", str(out)])
    assert rc == 0
    res = json.loads(out.read_text(encoding="utf-8"))
    assert res["n"] == 344 and res["missing"]["cells_missing"] > 0
    assert res["bootstrap"]["n_boot"] == 50
    path = [e for e in res["estimates"] if e["kind"] == "path" and e["rhs"] == "QUAL"
            and e["lhs"] == "COMP"][0]
    ref = pd.read_csv(REF / "generated" / "corp_ext_paths.csv", index_col=0)
    assert path["est"] == pytest.approx(ref.loc["QUAL", "COMP"], abs=1e-10)
    assert path["se"] > 0
    capsys.readouterr()
    assert main(["pls", str(REF / "corp_rep_data.csv"), "--model", "F =~ nope\nF ~ G"]) == 2
    assert "has no '=~'" in capsys.readouterr().err
    assert main(["pls", str(tmp_path / "missing.csv"), "--model", str(model)]) == 2
    assert main(["pls", str(REF / "corp_rep_data.csv"), "--model", str(model),
                 "--bootstrap", "1"]) == 2


def test_batched_draws_equal_full_reestimates(corp_ext):
    """The correlation-matrix batch gives what a fresh pls() on the resampled rows gives."""
    from analysis.stats.pls.bootstrap import _Batch, _slow, draw_counts

    counts = draw_counts(123, np.arange(4), corp_ext.n)
    fast, ok_fast = _Batch(corp_ext).estimate(counts)
    slow, ok_slow = _slow(corp_ext, counts)
    assert ok_fast.all() and ok_slow.all()
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-6)


_STAGED = {
    "higher_order": """
    Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
    Expectation =~ CUEX1 + CUEX2 + CUEX3
    Quality =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
    Value <~ PERV1 + PERV2
    Satisfaction =~ Image + Value
    Loyalty =~ CUSL1 + CUSL2 + CUSL3
    Satisfaction ~ Expectation + Quality
    Loyalty ~ Satisfaction
    """,
    "interaction": """
    Image =~ IMAG1 + IMAG2 + IMAG3
    Value <~ PERV1 + PERV2
    Satisfaction =~ CUSA1 + CUSA2 + CUSA3
    Satisfaction ~ Image + Value + Image:Value + Image:Image
    """,
    "higher_order_interaction": """
    Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
    Quality =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5
    Loyalty =~ CUSL1 + CUSL2 + CUSL3
    Nick =~ Quality + Loyalty
    Expectation =~ CUEX1 + CUEX2 + CUEX3
    Satisfaction =~ CUSA1 + CUSA2 + CUSA3
    Satisfaction ~ Image + Expectation + Nick + Nick:Expectation
    """,
}


@pytest.mark.parametrize(("name", "higher_order", "consistent"), [
    ("higher_order", "two_stage", False), ("higher_order", "embedded", True),
    ("interaction", "two_stage", True), ("higher_order_interaction", "two_stage", False)])
def test_staged_draws_equal_full_reestimates(name, higher_order, consistent):
    """Two-stage models run batched, with each draw's derived indicators (first-stage
    scores, score products) formed from that draw's estimates: the same numbers as a
    fresh pls() on the resampled rows, and the full-sample estimate for unit counts."""
    from analysis.stats.pls.bootstrap import _slow, _StagedBatch, draw_counts, parameter_vector

    res = pls(pd.read_csv(REF / "mobi.csv"), _STAGED[name], consistent=consistent,
              higher_order=higher_order)
    batch = _StagedBatch(res)
    full, ok = batch.estimate(np.ones((1, res.n)))
    assert ok.all()
    np.testing.assert_allclose(full[0], parameter_vector(res), rtol=0, atol=1e-10)
    counts = draw_counts(321, np.arange(2), res.n)
    fast, ok_fast = batch.estimate(counts)
    slow, ok_slow = _slow(res, counts)
    assert ok_fast.all() and ok_slow.all()
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-8)
    jack = np.ones((1, res.n))
    jack[0, 5] = 0  # leave-one-out counts (n - 1 cases) as the BCa jackknife uses
    np.testing.assert_allclose(batch.estimate(jack)[0], _slow(res, jack)[0], rtol=0, atol=1e-8)
