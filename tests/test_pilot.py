"""A pilot study of 70 respondents (10 % of answers missing): what the analysis may and
may not conclude from it.

Found in session 15: the analysis took 5 minutes (EM creeping towards a singular
covariance matrix, see tests/sem/test_em_singular.py); H7 was judged on a latent product
term whose solution had a residual variance of -5.0; the report said nothing of the
latent model's failure where it gave the fit.
"""

from __future__ import annotations

import warnings

import pytest

from analysis.study.hypotheses import _improper


@pytest.fixture(scope="module")
def pilot() -> dict:
    from analysis.study.pipeline import analyze_study
    from analysis.study.simulate import simulate_study

    data = simulate_study(70, seed=4, missing=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze_study(data, bootstrap=50, seed=1, measurement=False)


def test_no_verdict_comes_from_an_improper_solution(pilot):
    rows = {h["id"]: h for h in pilot["hypotheses"]}
    for hid in ("H5", "H6b", "H7"):
        h = rows[hid]
        if h["verdict"] == "not tested":
            continue
        assert "improper" not in (h.get("note") or "").lower(), (hid, h["note"])
    h7 = rows["H7"]
    assert h7["verdict"] == "not tested" and "improper solution" in h7["note"]


def test_the_failed_latent_model_is_recorded_for_the_report(pilot):
    lat = pilot["structural"]["latent_model"]
    assert lat["available"] is False
    assert "cannot be estimated" in lat["reason"] or "improper" in lat["reason"]
    assert "composite scores instead" in lat["reason"]


def test_improper_warnings_are_recognised():
    assert _improper(["Heywood case: the variance of x is negative (-5.0); the solution "
                      "is improper.", "Some other warning."]) == [
        "Heywood case: the variance of x is negative (-5.0); the solution is improper."]
    assert _improper(["The covariance matrix of the latent variables is not positive "
                      "definite; check for correlations beyond 1."])
    assert not _improper(["Items have missing values."])
