"""Reproducible by default: without a seed the analysis and the report use DEFAULT_SEED,
write it into their provenance, and two runs give the same bytes."""

from __future__ import annotations

import warnings

import pytest

from analysis.study.pipeline import DEFAULT_SEED, analyze_study, to_json
from analysis.study.simulate import simulate_study


@pytest.fixture(scope="module")
def data():
    return simulate_study(120, dyads=20, seed=8)


def _run(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze_study(data, seed=None, bootstrap=20, measurement=False,
                             latent_model=False)


def test_analysis_without_seed_is_reproducible_and_says_its_seed(data):
    first, second = _run(data), _run(data)
    assert first["provenance"]["seed"] == DEFAULT_SEED
    # the mediation bootstrap is the random step: same draws, same bytes
    assert to_json(first) == to_json(second)
    med = next(h for h in first["hypotheses"] if h["method"] == "mediation_bootstrap")
    assert f"seed {DEFAULT_SEED}" in med["note"]


def test_report_without_seed_records_the_default_or_the_analysis_seed(data):
    from analysis.report import build_report
    from instruments.instrument.loader import load_instrument

    inst = load_instrument()
    small = data.head(40)
    given = {"n_raw": 40, "warnings": [], "provenance": {}}
    html1, _ = build_report(small, analysis=given, instrument=inst)
    html2, _ = build_report(small, analysis=given, instrument=inst)
    assert html1 == html2
    assert f">{DEFAULT_SEED}<" in html1
    html3, _ = build_report(small, analysis={**given, "provenance": {"seed": 77}},
                            instrument=inst)
    assert ">77<" in html3 and f">{DEFAULT_SEED}<" not in html3
