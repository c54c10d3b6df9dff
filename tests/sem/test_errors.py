"""Clear errors for bad models and bad data."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import DataError, EstimationError, ModelSpecificationError
from analysis.sem import cfa, compile_model, sem
from tests.sem._ml_cases import dataset


def test_unknown_variable_names_similar_columns():
    with pytest.raises(ModelSpecificationError, match=r"xx3 \(similar columns: x3"):
        cfa("visual =~ x1 + x2 + xx3", dataset("hs"))


def test_a_latent_variable_named_as_a_column_is_refused():
    """'x1 =~ x2 + x3 + x4' with a column x1 fitted x1 as a factor and left the column
    unused (hostile round 11); lavaan refuses: "some latent variable names collide with
    observed variable names"."""
    with pytest.raises(ModelSpecificationError, match=r"Latent variable name\(s\) 'x1' are "
                                                      "also columns of the data"):
        cfa("x1 =~ x2 + x3 + x4", dataset("hs"))
    with pytest.raises(ModelSpecificationError, match="'x1'"):
        compile_model("x1 =~ x2 + x3 + x4", data_columns=["x1", "x2", "x3", "x4"])
    assert cfa("x1f =~ x2 + x3 + x4", dataset("hs")).converged  # renamed, it fits


def test_unknown_variable_without_data():
    with pytest.raises(ModelSpecificationError, match="X9"):
        compile_model("f =~ x1 + x2 + X9", data_columns=["x1", "x2", "x9"])


def test_too_many_parameters():
    with pytest.raises(ModelSpecificationError, match="not identified.*df = -1"):
        cfa("f =~ x1 + x2", dataset("hs"))


def test_freed_marker_is_not_identified_and_named():
    with pytest.raises(ModelSpecificationError, match=r"not identified.*f ~~ f|f =~ x"):
        cfa("f =~ NA*x1 + x2 + x3 + x4", dataset("hs"))


def test_two_indicator_factor_alone_in_bigger_model_is_flagged():
    # a 2-indicator factor uncorrelated with the rest (orthogonal) is not identified
    with pytest.raises(ModelSpecificationError, match="not identified"):
        cfa("f =~ x1 + x2 + x3\ng =~ x4 + x5\nf ~~ 0*g", dataset("hs"))


def test_non_positive_definite_data():
    d = dataset("hs")[["x1", "x2", "x3"]].copy()
    d["x4"] = d["x1"] + d["x2"]
    with pytest.raises(EstimationError, match="not positive definite.*linear combinations"):
        cfa("f =~ x1 + x2 + x3 + x4", d)


def test_constant_variable():
    d = dataset("hs")[["x1", "x2", "x3"]].copy()
    d["x3"] = 1.0
    with pytest.raises(EstimationError, match="x3 have zero variance"):
        cfa("f =~ x1 + x2 + x3", d)


def test_syntax_error_names_line():
    with pytest.raises(ModelSpecificationError, match="Line 2"):
        cfa("f =~ x1 + x2 + x3\ng =~ x4 +* x5", dataset("hs"))


def test_defined_parameter_with_unknown_label():
    with pytest.raises(ModelSpecificationError, match="unknown labels: a, b"):
        sem("f =~ x1 + x2 + x3\nab := a*b", dataset("hs")).params  # noqa: B018


def test_unsupported_estimator_and_missing_option():
    with pytest.raises(ModelSpecificationError, match="estimator="):
        sem("f =~ x1 + x2 + x3", dataset("hs"), estimator="GLS")
    with pytest.raises(ModelSpecificationError, match="missing="):
        sem("f =~ x1 + x2 + x3", dataset("hs"), missing="impute")


def test_bad_group_and_non_numeric_data():
    with pytest.raises(DataError, match="group="):
        sem("f =~ x1 + x2 + x3", dataset("hs"), group="nope")
    d = dataset("hs").copy()
    d["x1"] = np.where(d.index % 2 == 0, "a", "b")
    with pytest.raises(DataError, match="x1"):
        cfa("f =~ x1 + x2 + x3", d)


def test_data_must_be_a_frame():
    compiled = compile_model("f =~ x1 + x2 + x3", dataset("hs"))
    with pytest.raises(DataError, match="DataFrame"):
        compiled.fit(dataset("hs").to_numpy())


def test_a_variable_measured_by_or_regressed_on_itself_is_refused():
    with pytest.raises(ModelSpecificationError, match="'f' is measured by itself"):
        compile_model("f =~ f", data_columns=["x1"])
    with pytest.raises(ModelSpecificationError, match="'x1' is regressed on itself"):
        sem("x1 ~ x1 + x2", dataset("hs"))


def test_group_partial_must_name_a_parameter_of_the_model():
    hs = dataset("hs")
    model = "visual =~ x1 + x2 + x3"
    with pytest.raises(ModelSpecificationError, match=r"'visual=~zz'.*not a parameter"):
        sem(model, hs, group="school", group_equal=("loadings",),
            group_partial=("visual=~zz",))
    with pytest.raises(ModelSpecificationError, match="'x2 intercept'"):
        sem(model, hs, group="school", group_equal=("intercepts",),
            group_partial=("x2 intercept",))
    # the forms of the parameter table are accepted, and "b ~~ a" is the model's "a ~~ b":
    # the freed parameters really differ between the groups
    two = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"
    res = sem(two, hs, group="school", group_equal=("loadings", "intercepts", "lv.covariances"),
              group_partial=("visual =~ x2", "x3 ~1", "textual ~~ visual"))
    pe = res.params
    for lhs, op, rhs in (("visual", "=~", "x2"), ("x3", "~1", ""), ("visual", "~~", "textual")):
        est = pe[(pe["lhs"] == lhs) & (pe["op"] == op) & (pe["rhs"] == rhs)]["est"]
        assert len(est) == 2 and abs(est.iloc[0] - est.iloc[1]) > 1e-4, (lhs, op, rhs)
    fixed = pe[(pe["lhs"] == "visual") & (pe["op"] == "=~") & (pe["rhs"] == "x3")]["est"]
    assert abs(fixed.iloc[0] - fixed.iloc[1]) < 1e-8
