"""Shared fixtures of the report tests: one small real analysis per session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.report.fixture_analysis import fixture_analysis

SEED = 11
BOOTSTRAP = 20  # few draws: the tests check the report layer, not the bootstrap


#: The small simulated study's arguments (120 respondents, 20 dyads).
SMALL_STUDY = {"n": 120, "dyads": 20, "seed": 5}


@pytest.fixture(scope="session")
def small_data() -> Any:
    """A small simulated study (120 respondents, 20 dyads)."""
    from analysis.study.simulate import simulate_study

    return simulate_study(**SMALL_STUDY)


@pytest.fixture(scope="session")
def instrument() -> Any:
    from instruments.instrument.loader import load_instrument

    return load_instrument()


#: A lighter measurement model for the tests (three scales, one invariance grouping, no
#: second-order comparison) for the tests that build many reports; real_build uses the full one.
LIGHT_MEASUREMENT = {"scales": ["trust", "value_creation", "info_sharing"],
                     "compare_second_order": False, "invariance_groups": ("firm_role",),
                     "invariance_scales": ["trust", "value_creation"]}


#: Still lighter, for the degenerate-input tests.
MINIMAL_MEASUREMENT = {**LIGHT_MEASUREMENT, "invariance_groups": (), "method_checks": False}


def _light(original: Any, options: dict[str, Any]) -> Any:
    def fit(df: Any, instrument: Any = None, **kwargs: Any) -> Any:
        return original(df, instrument, **{**kwargs, **options})

    return fit


def build_light(data: Any, instrument: Any, *, minimal: bool = False,
                **kwargs: Any) -> tuple[str, dict[str, Any]]:
    """``build_report`` with :data:`LIGHT_MEASUREMENT` (if the measurement module exists)."""
    from analysis.report import build_report

    with pytest.MonkeyPatch.context() as mp:
        try:
            import analysis.study.measurement as meas
        except ImportError:  # pragma: no cover - the study says "not available" then
            pass
        else:
            options = MINIMAL_MEASUREMENT if minimal else LIGHT_MEASUREMENT
            mp.setattr(meas, "fit_measurement_model",
                       _light(meas.fit_measurement_model, options))
        # the report layer is tested here; the latent model (half a minute) only in
        # real_build
        kwargs.setdefault("latent_model", False)
        return build_report(data, instrument=instrument, **kwargs)


@pytest.fixture(scope="session")
def real_build(small_data: Any, instrument: Any, run_cache: Any) -> tuple[str, dict[str, Any]]:
    """``(html, analysis)`` of the whole pipeline on the small study, with the full
    measurement model (all scales, second-order comparison, invariance; about 10 s).
    Built once per test run: the files that use it may run on both workers."""
    from analysis.report import build_report

    def build() -> tuple[str, dict[str, Any]]:
        return build_report(small_data, instrument=instrument, seed=SEED, bootstrap=BOOTSTRAP)

    return run_cache.get(("report.real_build", tuple(sorted(SMALL_STUDY.items())), SEED,
                          BOOTSTRAP), build)


@pytest.fixture()
def fixture_dict() -> dict[str, Any]:
    """The hand-built analysis (every optional part present)."""
    return fixture_analysis()


@pytest.fixture(scope="session")
def fixture_html(instrument: Any) -> str:
    from analysis.report import render_html

    return render_html(fixture_analysis(), extras={"build": {"seed": "1"}})
