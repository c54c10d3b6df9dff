"""The declared decision rules (``decision:`` of hypotheses.yaml) applied as declared.

Reference values are closed forms computed here from their definitions (normal and t
tails, Holm's step-down), not from the code under test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

import analysis.study.hypotheses as hyp
from analysis.errors import InstrumentError
from analysis.study.power import wald_power

DECLARATION = {
    "id": "decision-test", "version": 1, "model": "y ~ a + b + c\n",
    "decision": {"alpha": 0.05, "sides": "by_direction", "correction": "holm",
                 "family": "confirmatory", "sesoi": 0.10, "equivalence": "tost",
                 "equivalence_alpha": 0.05},
    "hypotheses": [
        {"id": "H1", "statement": "a raises y (positive).", "expected_sign": "+",
         "test": "y ~ a", "method": "sem_path", "sources": ["test"]},
        {"id": "H2", "statement": "b lowers y (negative).", "expected_sign": "-",
         "test": "y ~ b", "method": "sem_path", "sources": ["test"]},
        {"id": "H3", "statement": "c raises y (positive).", "expected_sign": "+",
         "test": "y ~ c", "method": "sem_path", "sources": ["test"], "sesoi": 0.2},
        {"id": "H4", "statement": "c relates to y somehow.", "expected_sign": "none",
         "test": "y ~ c", "method": "sem_path", "sources": ["test"], "exploratory": True},
    ],
}


def _declare(tmp_path: Path, **decision) -> hyp.HypothesisSet:
    doc = yaml.safe_load(yaml.safe_dump(DECLARATION))
    doc["decision"].update(decision)
    path = tmp_path / "h.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return hyp.load_hypotheses(path)


def _rows(hs, estimates, ses, factor=1.0):
    return [hyp._row(h, estimate=e, se=s, _inference=hyp.wald_inference(e, s, std_factor=factor))
            for h, e, s in zip(hs.hypotheses, estimates, ses, strict=True)]


def test_the_package_declaration_states_its_rules():
    rules = hyp.load_hypotheses().decision
    assert (rules.alpha, rules.sides, rules.correction, rules.family) == (
        0.05, "by_direction", "holm", "confirmatory")
    assert rules.equivalence == "tost" and rules.sesoi > 0


def test_wald_power_closed_form():
    # z_.95 + z_.80 = 1.6449 + 0.8416: an effect 2.4865 SEs away is found 80 % of the time
    lam = stats.norm.ppf(0.95) + stats.norm.ppf(0.80)
    assert wald_power(lam, 1.0, 0.05, sides=1) == pytest.approx(0.80, abs=1e-12)
    assert wald_power(-2 * lam, 2.0, 0.05, sides=1) == pytest.approx(0.80, abs=1e-12)
    lam2 = stats.norm.ppf(0.975) + stats.norm.ppf(0.90)
    want = 0.90 + stats.norm.cdf(-lam2 - stats.norm.ppf(0.975))
    assert wald_power(lam2, 1.0, 0.05, sides=2) == pytest.approx(want, abs=1e-12)
    assert np.isnan(wald_power(0.1, 0.0))


def test_wald_inference_one_sided_and_tost_match_their_intervals():
    inf = hyp.wald_inference(0.03, 0.02, df=100)
    t = 0.03 / 0.02
    assert inf.p_greater == pytest.approx(stats.t.sf(t, 100), rel=1e-12)
    assert inf.p_less == pytest.approx(stats.t.cdf(t, 100), rel=1e-12)
    assert inf.p_two_sided == pytest.approx(2 * stats.t.sf(t, 100), rel=1e-12)
    # TOST at alpha rejects exactly when the (1 - 2 alpha) interval lies inside the bounds
    q = stats.t.ppf(0.95, 100)
    upper = 0.03 + q * 0.02
    assert inf.tost(upper + 1e-9) < 0.05 < inf.tost(upper - 1e-9)


def test_bootstrap_inference_counts_the_draws():
    draws = np.concatenate([np.full(30, -0.1), np.full(970, 0.2)])  # 30 of 1000 below 0
    inf = hyp.bootstrap_inference(draws, se=0.05)
    assert inf.p_greater == pytest.approx(31 / 1001, abs=1e-15)
    assert inf.p_less == pytest.approx(971 / 1001, abs=1e-15)
    assert inf.tost(0.15) == pytest.approx(971 / 1001, abs=1e-15)  # 970 draws >= 0.15
    assert inf.tost(0.25) == pytest.approx(1 / 1001, abs=1e-15)


def test_holm_over_one_sided_p_decides(tmp_path: Path):
    hs = _declare(tmp_path)
    # z = 2.2 (H1, +), -2.0 (H2, -), 1.8 (H3, +): one-sided p .0139, .0228, .0359
    rows = _rows(hs, [0.22, -0.20, 0.18, 0.18], [0.1, 0.1, 0.1, 0.1])
    out = hyp.apply_decision_rules(rows, hs).set_index("id")
    p = stats.norm.sf([2.2, 2.0, 1.8])
    np.testing.assert_allclose(out.loc[["H1", "H2", "H3"], "pvalue"], p, rtol=1e-12)
    holm = np.maximum.accumulate([3 * p[0], 2 * p[1], p[2]])
    np.testing.assert_allclose(out.loc[["H1", "H2", "H3"], "pvalue_adjusted"], holm,
                               rtol=1e-12)
    assert list(out.loc[["H1", "H2", "H3"], "verdict"]) == ["supported", "supported",
                                                            "supported"]
    assert out.loc["H1", "alternative"] == "greater" and out.loc["H2", "alternative"] == "less"
    # the exploratory hypothesis stays out of the family and keeps its own verdict
    assert np.isnan(out.loc["H4", "pvalue_adjusted"])
    assert out.loc["H4", "verdict"] == "not tested"  # not set by the rules
    assert out.attrs["decision"]["family_size"] == 3


def test_two_sided_bonferroni_declared_changes_the_verdicts(tmp_path: Path):
    hs = _declare(tmp_path, sides="two_sided", correction="bonferroni")
    rows = _rows(hs, [0.22, -0.20, 0.18, 0.18], [0.1, 0.1, 0.1, 0.1])
    out = hyp.apply_decision_rules(rows, hs).set_index("id")
    p2 = 2 * stats.norm.sf([2.2, 2.0, 1.8])
    np.testing.assert_allclose(out.loc[["H1", "H2", "H3"], "pvalue_adjusted"],
                               np.minimum(1, 3 * p2), rtol=1e-12)
    assert (out.loc[["H1", "H2", "H3"], "verdict"] != "supported").all()
    assert (out.loc[["H1", "H2", "H3"], "alternative"] == "two-sided").all()


def test_opposite_sign_equivalence_and_inconclusive(tmp_path: Path):
    hs = _declare(tmp_path)
    # H1: z = -4 against "+" -> opposite sign; H2: tiny, precise -> evidence of no effect;
    # H3: tiny but imprecise -> inconclusive (its sesoi is 0.2, std_factor 1)
    rows = _rows(hs, [-0.40, 0.001, 0.01, 0.0], [0.1, 0.02, 0.2, 0.1])
    out = hyp.apply_decision_rules(rows, hs).set_index("id")
    assert out.loc["H1", "verdict"] == "opposite sign"
    assert out.loc["H2", "verdict"] == "evidence of no effect"
    assert out.loc["H2", "sesoi"] == pytest.approx(0.10)
    tost = max(stats.norm.sf((0.001 + 0.1) / 0.02), stats.norm.cdf((0.001 - 0.1) / 0.02))
    assert out.loc["H2", "pvalue_equivalence"] == pytest.approx(tost, rel=1e-12)
    assert out.loc["H3", "verdict"] == "inconclusive"
    assert out.loc["H3", "sesoi"] == pytest.approx(0.2)  # the hypothesis' own sesoi
    assert out.loc["H3", "power_sesoi"] == pytest.approx(wald_power(0.2, 0.2), rel=1e-12)


def test_sesoi_in_the_units_of_the_estimate(tmp_path: Path):
    hs = _declare(tmp_path)
    rows = _rows(hs, [0.5, -0.5, 0.5, 0.5], [0.1, 0.1, 0.1, 0.1], factor=0.25)
    out = hyp.apply_decision_rules(rows, hs).set_index("id")
    assert out.loc["H1", "sesoi"] == pytest.approx(0.10 / 0.25)  # beta 0.1 = 0.4 raw


def test_declared_family_is_checked(tmp_path: Path):
    doc = yaml.safe_load(yaml.safe_dump(DECLARATION))
    doc["decision"]["family"] = ["H1", "H9", "H4"]
    doc["decision"]["alpha"] = 0.7
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(InstrumentError, match="alpha"):
        hyp.load_hypotheses(path)
    doc["decision"]["alpha"] = 0.05
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(InstrumentError) as err:
        hyp.load_hypotheses(path)
    text = " ".join(err.value.problems)
    assert "'H9' is not a declared hypothesis" in text and "'H4' is exploratory" in text


def test_a_significant_u_shape_counts_against_an_inverted_u(tmp_path: Path):
    # Lind-Mehlum: slope t at the lowest / highest x of -3 / +3 is a clear U.  The test of
    # the declared inverted U must not reject (its p is the larger one-sided p of the
    # reversed slopes), and the U shape must come out as "opposite sign".
    hs = _declare(tmp_path)
    df = 200.0
    u = hyp.lind_mehlum_inference(-3.0, 3.0, df, 0.3, 0.1)
    assert u.p_greater == pytest.approx(stats.t.sf(-3.0, df), rel=1e-12)
    assert u.p_less == pytest.approx(stats.t.sf(3.0, df), rel=1e-12)
    inv = hyp.lind_mehlum_inference(2.5, -4.0, df, -0.3, 0.1)
    assert inv.p_greater == pytest.approx(stats.t.sf(2.5, df), rel=1e-12)
    h1 = hs.hypotheses[0].model_copy(update={"expected_sign": "inverted_u"})
    rows = [hyp._row(h1, _inference=u),
            *_rows(hs, [0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0])[1:]]
    out = hyp.apply_decision_rules(rows, hs).set_index("id")
    assert out.loc["H1", "alternative"] == "inverted U"
    assert out.loc["H1", "pvalue"] == pytest.approx(u.p_greater, rel=1e-12)
    assert out.loc["H1", "verdict"] == "opposite sign"
    rows[0] = hyp._row(h1, _inference=inv)
    assert hyp.apply_decision_rules(rows, hs).set_index("id").loc["H1", "verdict"] == \
        "supported"


def test_an_untested_family_member_is_named_outside_the_family(tmp_path: Path):
    hs = _declare(tmp_path)
    rows = _rows(hs, [0.22, -0.20, 0.18, 0.18], [0.1, 0.1, 0.1, 0.1])
    rows[1] = hyp._row(hs.hypotheses[1], verdict="not tested", note="Not tested: no data.")
    out = hyp.apply_decision_rules(rows, hs).set_index("id")
    p = stats.norm.sf([2.2, 1.8])
    np.testing.assert_allclose(out.loc[["H1", "H3"], "pvalue_adjusted"],
                               np.maximum.accumulate([2 * p[0], p[1]]), rtol=1e-12)
    assert out.loc["H2", "verdict"] == "not tested"
    text = out.attrs["multiple_testing"]
    assert "over the 2 confirmatory hypotheses (1 of the 3 declared could not be tested" in text
    assert out.attrs["decision"]["family_size"] == 2
    # all testable: no such clause, and one hypothesis is named in the singular
    one = _rows(hs, [0.22, -0.20, 0.18, 0.18], [0.1, 0.1, 0.1, 0.1])
    assert "could not be tested" not in hyp.apply_decision_rules(one, hs).attrs["multiple_testing"]
    for k in (1, 2):
        one[k] = hyp._row(hs.hypotheses[k], verdict="not tested", note="Not tested.")
    assert "over the 1 confirmatory hypothesis (2 of the 3" in \
        hyp.apply_decision_rules(one, hs).attrs["multiple_testing"]


def _inv_table(d_cfi_metric, d_rmsea_metric, d_cfi_scalar, d_rmsea_scalar):
    return pd.DataFrame({"level": ["configural", "metric", "scalar"],
                         "cfi": [0.97, 0.97 + d_cfi_metric, 0.97 + d_cfi_metric + d_cfi_scalar],
                         "delta_cfi": [np.nan, d_cfi_metric, d_cfi_scalar],
                         "delta_rmsea": [np.nan, d_rmsea_metric, d_rmsea_scalar]})


def test_the_group_comparison_uses_the_declared_invariance_rule():
    """H11 judged scalar invariance by delta CFI alone while the measurement section (and
    Table 7) declare Chen's joint rule: a reviewer's small study (N = 166) read "scalar
    invariance does not hold (|delta CFI| <= 0.01)" for delta CFI -.0126 with delta
    RMSEA .005, which the declared rule passes."""
    from analysis.study.hypotheses import _invariance_sentence

    text, ok = _invariance_sentence("a", "b", "g", _inv_table(-0.002, 0.001, -0.0126, 0.005))
    assert ok is True and "holds" in text and "RMSEA" in text
    text, ok = _invariance_sentence("a", "b", "g", _inv_table(-0.002, 0.001, -0.0126, 0.02))
    assert ok is False and "does not hold" in text
    text, ok = _invariance_sentence("a", "b", "g", _inv_table(-0.002, 0.001, np.nan, np.nan))
    assert ok is None and "could not be judged" in text


def test_a_poor_configural_model_establishes_no_invariance():
    """A reviewer's small study: knowledge integration by firm role had configural RMSEA
    .181 and still read "scalar (intercepts)"."""
    from analysis.study.hypotheses import _invariance_sentence
    from analysis.study.measurement import _poor_baseline

    tab = _inv_table(-0.002, 0.001, -0.001, 0.001)
    tab["rmsea"] = [0.181, 0.15, 0.14]
    text, ok = _invariance_sentence("a", "b", "g", tab)
    assert ok is False and "configural model fits poorly (RMSEA 0.181 > 0.10)" in text
    assert _poor_baseline({"cfi": 0.95, "rmsea": 0.05}) == ""
    assert _poor_baseline({"cfi": 0.85, "rmsea": np.nan}) == "CFI 0.850 < 0.90"


def test_chen_cutoffs_follow_the_total_sample_size():
    """Chen (2007) recommends .005/.010 for a total N of 300 or fewer: a reviewer's study of
    166 passed information sharing with delta CFI -.007 and delta RMSEA .046."""
    from analysis.study.hypotheses import _invariance_sentence
    from analysis.study.measurement import _chen_fails, chen_cuts

    assert chen_cuts(166) == (-0.005, 0.010) and chen_cuts(301) == (-0.010, 0.015)
    assert chen_cuts(None) == (-0.010, 0.015)
    assert _chen_fails(-0.007, 0.046, 166) and not _chen_fails(-0.007, 0.046, 400)
    tab = _inv_table(-0.007, 0.046, -0.001, 0.001)
    text, ok = _invariance_sentence("a", "b", "g", tab, n=166)
    assert ok is False and "0.005" in text and "N <= 300" in text
    text, ok = _invariance_sentence("a", "b", "g", tab, n=400)
    assert ok is True and "0.010" in text and "N <= 300" not in text
