"""Hostile round 10, the engine's own arguments (found by the round's helper, fixed in the
SEM and PLS front doors):

- ``max_iter=`` NaN / inf ended in ValueError / OverflowError, -1 ran no iteration and
  reported non-convergence, "10" was taken; ``bootstrap=-1`` was taken silently;
- a model given as bytes, a list of lines or a data frame was called "empty";
- a complex-valued column was fitted on its real part without a word;
- a PLS construct in no structural path (nor measuring one that is) was dropped from the
  results without a word.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, ModelSpecificationError
from analysis.sem import cfa
from analysis.stats.pls.syntax import parse_pls_model

MODEL = "f =~ x1 + x2 + x3"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    d = pd.DataFrame(rng.normal(size=(200, 3)), columns=["x1", "x2", "x3"])
    d["x2"] += d["x1"]
    d["x3"] += d["x1"]
    return d


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1, 0, 2.5, "10", True])
def test_max_iter_must_be_a_count(data, value) -> None:
    with pytest.raises(ModelSpecificationError, match="max_iter= must be a whole number"):
        cfa(MODEL, data, max_iter=value)


@pytest.mark.parametrize("value", [-1, 2.0, "100", float("nan")])
def test_bootstrap_must_be_a_count(data, value) -> None:
    with pytest.raises(ModelSpecificationError, match="bootstrap= must be a whole number"):
        cfa(MODEL, data, bootstrap=value)


def test_a_counted_max_iter_still_fits(data) -> None:
    assert cfa(MODEL, data, max_iter=np.int64(50)).converged


@pytest.mark.parametrize(("model", "hint"), [
    (MODEL.encode(), "decode the bytes first"), ([MODEL], "join the lines"),
    (pd.DataFrame({"a": [1]}), "not DataFrame")])
def test_a_model_that_is_not_text_is_named(data, model, hint) -> None:
    with pytest.raises(ModelSpecificationError, match="model= must be lavaan model syntax") as e:
        cfa(model, data)
    assert hint in str(e.value)


@pytest.mark.parametrize("kind", ["complex128", "object"])
def test_complex_numbers_are_refused(data, kind) -> None:
    d = data.astype(complex)
    d.loc[0, "x1"] = 1 + 2j
    with pytest.raises(DataError, match="'x1' holds complex numbers"):
        cfa(MODEL, d.astype(kind))


@pytest.mark.parametrize(("model", "unused"), [
    ("F1 =~ x1 + x2\nF2 =~ x3 + x4\nF3 =~ x7 + x8\nF2 ~ F1", ["F3"]),
    ("F1 =~ x1 + x2\nF2 =~ x3 + x4\nF3 =~ F1 + F2\nY =~ y1 + y2\nY ~ F1", ["F2", "F3"]),
])
def test_a_pls_construct_in_no_path_is_refused(model, unused) -> None:
    with pytest.raises(ModelSpecificationError) as e:
        parse_pls_model(model)
    for n in unused:
        assert f"Construct {n!r} is in no structural path" in str(e.value)


def test_a_higher_order_construct_in_a_path_keeps_its_dimensions() -> None:
    spec = parse_pls_model("F1 =~ x1 + x2\nF2 =~ x3 + x4\nF3 =~ F1 + F2\nY =~ y1 + y2\nY ~ F3")
    assert spec.constructs == ("F1", "F2", "F3", "Y")
