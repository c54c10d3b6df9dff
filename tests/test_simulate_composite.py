"""Composite scales in the simulator: the construct score is the weighted composite of its
items, and the weights, the items' own correlation and the score are recovered."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest
import yaml

from analysis.errors import ModelSpecificationError
from analysis.study.simulate import (
    _composite_indicators,
    load_population,
    simulate_study_with_truth,
)
from instruments.instrument.loader import load_instrument

POPULATION = Path(__file__).resolve().parents[1] / "analysis" / "study" / "population.yaml"


@pytest.fixture(scope="module")
def inst():  # noqa: ANN201
    return load_instrument()


def population_with(tmp_path: Path, change) -> Path:  # noqa: ANN001
    spec = yaml.safe_load(POPULATION.read_text(encoding="utf-8"))
    change(spec["measurement"])
    path = tmp_path / "population.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def test_indicators_form_the_score_exactly() -> None:
    rng = np.random.default_rng(1)
    eta = rng.standard_normal(20000)
    w = [0.5, 0.3, 0.2, 0.1]
    x = _composite_indicators(eta, w, 0.2, rng)
    corr = np.full((4, 4), 0.2)
    np.fill_diagonal(corr, 1.0)
    scaled = np.array(w) / np.sqrt(np.array(w) @ corr @ np.array(w))
    np.testing.assert_allclose(x @ scaled, eta, atol=1e-10)
    np.testing.assert_allclose(np.corrcoef(x, rowvar=False), corr, atol=0.03)
    # each item correlates with the score as the composite model says: (S w)_j
    np.testing.assert_allclose([np.corrcoef(x[:, j], eta)[0, 1] for j in range(4)],
                               corr @ scaled, atol=0.02)  # fmt: skip


@pytest.fixture(scope="module")
def composite_pop(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    root = tmp_path_factory.mktemp("population")
    return load_population(population_with(root, lambda m: m.update(draw_composites=True)))


def variant(pop, change):  # noqa: ANN001, ANN201
    """The population with its measurement block changed (the latent model, and hence the
    calibration, stay as they are)."""
    spec = copy.deepcopy(dict(pop.spec))
    change(spec["measurement"])
    return replace(pop, spec=MappingProxyType(spec))


def test_composite_scale_recovered_from_simulated_answers(inst, composite_pop) -> None:  # noqa: ANN001
    pop = composite_pop
    sim = simulate_study_with_truth(3000, seed=7, careless=0.0, instrument=inst, population=pop)
    spec = pop.spec["measurement"]["composites"]["innovation_outcome"]
    items = [it.id for it in inst.scales["innovation_outcome"].items]
    x = sim.data[items].to_numpy(dtype=float)
    eta = sim.truth["innovation_outcome"].to_numpy()
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    coef, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(z)), z]), eta, rcond=None)
    r2 = 1 - np.var(eta - np.column_stack([np.ones(len(z)), z]) @ coef) / np.var(eta)
    # the items together carry (almost) the whole score: only the 7-point cut and the
    # small method factor stand between them; a reflective 5-item factor with loadings
    # near .75 would leave about 15 % of it unexplained
    assert r2 > 0.93, r2
    k = len(items)
    corr = np.full((k, k), spec["item_correlation"])
    np.fill_diagonal(corr, 1.0)
    w = np.array(spec["weights"])
    w = w / np.sqrt(w @ corr @ w)
    np.testing.assert_allclose(coef[1:], w, atol=0.06)
    # the items correlate among themselves as declared (attenuated by the 7-point cut),
    # not as the indicators of one factor would (about .55 with those loadings)
    observed = np.corrcoef(x, rowvar=False)[np.triu_indices(k, 1)].mean()
    assert observed == pytest.approx(spec["item_correlation"], abs=0.05)
    # a reflective scale of the same data set is still drawn as a factor
    trust = sim.data[[it.id for it in inst.scales["trust"].items]].to_numpy(dtype=float)
    assert np.corrcoef(trust, rowvar=False)[np.triu_indices(4, 1)].mean() > 0.45


def test_default_population_draws_every_scale_reflectively(inst) -> None:  # noqa: ANN001
    spec = yaml.safe_load(POPULATION.read_text(encoding="utf-8"))["measurement"]
    assert spec["draw_composites"] is False
    # every scale listed is one the instrument declares composite
    declared = {s.id for s in inst.scales.values() if s.measurement == "composite"}
    assert set(spec["composites"]) == declared


def test_composites_that_do_not_fit_are_refused(inst, composite_pop, tmp_path: Path) -> None:  # noqa: ANN001
    def reflective(m: dict) -> None:
        m["composites"]["trust"] = {"weights": [1, 1, 1, 1], "item_correlation": 0.2}

    pop = variant(composite_pop, reflective)
    with pytest.raises(ModelSpecificationError, match="trust: the instrument declares it "
                       "reflective"):  # fmt: skip
        simulate_study_with_truth(20, instrument=inst, population=pop)

    def short(m: dict) -> None:
        m["composites"]["dep_own"]["weights"] = [1, 1]

    pop = variant(composite_pop, short)
    with pytest.raises(ModelSpecificationError, match="dep_own: 2 weights for 5 items"):
        simulate_study_with_truth(20, instrument=inst, population=pop)

    def bad(m: dict) -> None:
        m["composites"]["dep_own"]["weights"] = [1, -1, 1, 1, 1]
        m["composites"]["learning_from"]["item_correlation"] = 1.5
        m["draw_composites"] = "yes"

    with pytest.raises(ModelSpecificationError) as info:
        load_population(population_with(tmp_path, bad))
    message = str(info.value)
    for part in ("dep_own: weights", "learning_from: item_correlation", "draw_composites"):
        assert part in message, message
