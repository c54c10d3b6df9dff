"""Shared fixtures of the report tests: one small real analysis per session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.report.fixture_analysis import fixture_analysis

SEED = 11
BOOTSTRAP = 20  # few draws: the tests check the report layer, not the bootstrap


@pytest.fixture(scope="session")
def small_data() -> Any:
    """A small simulated study (120 respondents, 20 dyads)."""
    from analysis.simulate import simulate_study

    return simulate_study(n=120, dyads=20, seed=5)


@pytest.fixture(scope="session")
def instrument() -> Any:
    from instruments.loader import load_instrument

    return load_instrument()


@pytest.fixture(scope="session")
def real_build(small_data: Any, instrument: Any) -> tuple[str, dict[str, Any]]:
    """``(html, analysis)`` of the full pipeline on the small study."""
    from analysis.report import build_report

    return build_report(small_data, instrument=instrument, seed=SEED, bootstrap=BOOTSTRAP)


@pytest.fixture()
def fixture_dict() -> dict[str, Any]:
    """The hand-built analysis (every optional part present)."""
    return fixture_analysis()


@pytest.fixture(scope="session")
def fixture_html(instrument: Any) -> str:
    from analysis.report import render_html

    return render_html(fixture_analysis(), extras={"build": {"seed": "1"}})
