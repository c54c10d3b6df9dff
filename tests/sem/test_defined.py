"""Defined parameters (:=): values, delta-method SEs, standardized values, safety."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import ModelSpecificationError
from analysis.sem import sem
from analysis.sem.standardize import parse_expression
from tests.parity import EST_ATOL, EST_RTOL, assert_close
from tests.sem._ml_cases import dataset, ref_frame, reference


@pytest.fixture(scope="module")
def mediation():
    return sem(reference("pd_mediation")["model"], dataset("pd"))


def test_defined_rows_match_lavaan(mediation):
    ref = ref_frame(reference("pd_mediation"), "params")
    ref = ref[ref["op"] == ":="].set_index("lhs")
    ours = mediation.params.query("op == ':='").set_index("lhs")
    assert list(ours.index) == ["ab", "total", "prop", "odd"]
    assert list(ours["label"]) == list(ours.index)
    for col, rcol in (("est", "est"), ("se", "se"), ("std_all", "std.all"), ("z", "z")):
        assert_close(ours.loc[ref.index, col], ref[rcol], atol=EST_ATOL, rtol=EST_RTOL,
                     what=f"defined {col}")


def test_indirect_effect_is_product_of_paths(mediation):
    p = mediation.params.set_index("label")
    assert p.loc["ab", "est"] == pytest.approx(p.loc["a", "est"] * p.loc["b", "est"], rel=1e-12)
    assert p.loc["total", "est"] == pytest.approx(p.loc["cp", "est"] + p.loc["ab", "est"],
                                                  rel=1e-12)


def test_delta_method_matches_analytic_gradient(mediation):
    """SE(ab) = sqrt(g' V g) with g = (b, a) -- the Sobel formula."""
    p = mediation.params.set_index("label")
    pt = mediation.partable.set_index("label")
    ia, ib = int(pt.loc["a", "xid"]), int(pt.loc["b", "xid"])
    V = mediation.vcov[np.ix_([ia, ib], [ia, ib])]
    g = np.array([p.loc["b", "est"], p.loc["a", "est"]])
    assert p.loc["ab", "se"] == pytest.approx(float(np.sqrt(g @ V @ g)), rel=1e-6)


def test_definitions_may_use_earlier_definitions():
    res = sem("ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ a*ind60\n"
              "y5 ~ b*dem60\nab := a*b\nab2 := ab^2", dataset("pd"))
    p = res.params.set_index("lhs")
    assert p.loc["ab2", "est"] == pytest.approx(p.loc["ab", "est"] ** 2, rel=1e-12)
    assert np.isfinite(p.loc["ab2", "se"]) and p.loc["ab2", "se"] > 0


def test_dotted_labels_work():
    res = sem("ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ a.1*ind60\n"
              "y5 ~ b.2*dem60\nab := a.1*b.2", dataset("pd"))
    p = res.params.set_index("label")
    assert p.loc["ab", "est"] == pytest.approx(p.loc["a.1", "est"] * p.loc["b.2", "est"])


@pytest.mark.parametrize("expr", ["__import__('os')", "a[0]", "foo(a)", "lambda: 1",
                                  "a if b else c", "a.__class__()"])
def test_unsafe_expressions_rejected(expr):
    with pytest.raises(ModelSpecificationError):
        parse_expression(expr)
