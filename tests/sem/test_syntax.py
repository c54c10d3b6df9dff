"""lavaan syntax parser and parameter-table defaults."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import ModelSpecificationError
from analysis.sem.partable import build_partable
from analysis.sem.syntax import parse_model


def _row(pt, lhs, op, rhs, group=1):
    sel = pt[(pt["lhs"] == lhs) & (pt["op"] == op) & (pt["rhs"] == rhs) & (pt["group"] == group)]
    assert len(sel) == 1, (lhs, op, rhs, group)
    return sel.iloc[0]


def test_operators_modifiers_comments_and_continuation():
    stmts = parse_model("""
        # a comment
        f =~ x1 + a*x2 + 0.5*x3 +   ! another comment
             NA*x4 + start(0.3)*x5
        y ~ b*f + 1 ; y ~~ y
        x1 | t1 + t2
        ab := a*b^2
        a == b
    """)
    got = [(s.lhs, s.op, s.rhs) for s in stmts]
    assert got == [("f", "=~", "x1"), ("f", "=~", "x2"), ("f", "=~", "x3"), ("f", "=~", "x4"),
                   ("f", "=~", "x5"), ("y", "~", "f"), ("y", "~1", ""), ("y", "~~", "y"),
                   ("x1", "|", "t1"), ("x1", "|", "t2"), ("ab", ":=", "a*b^2"),
                   ("a", "==", "b")]
    mods = {s.rhs: s.modifier for s in stmts if s.op == "=~"}
    assert mods["x2"].label == ("a",)
    assert mods["x3"].fixed == (0.5,)
    assert mods["x4"].fixed == (None,)
    assert mods["x5"].start == (0.3,)
    assert stmts[0].line == 3 and stmts[5].line == 5


def test_per_group_modifiers_and_multiple_lhs():
    stmts = parse_model("f =~ c(1, NA)*x1 + c(l1, l2)*x2\ny1 + y2 ~ x")
    assert stmts[0].modifier.fixed == (1.0, None)
    assert stmts[1].modifier.label == ("l1", "l2")
    assert [(s.lhs, s.rhs) for s in stmts[2:]] == [("y1", "x"), ("y2", "x")]


@pytest.mark.parametrize("model, line", [
    ("f =~ x1 + x2\n\ng =~ x3 ++ x4", 3),
    ("f =~ x1 + x2\nx3 ~", 2),
    ("f =~ x1\nx1 | z1", 2),
    ("f =~ x1 + 2a*x2", 1),
])
def test_syntax_errors_name_the_line(model, line):
    with pytest.raises(ModelSpecificationError, match=f"Line {line}"):
        parse_model(model)


def test_empty_model():
    with pytest.raises(ModelSpecificationError, match="empty"):
        parse_model("  # nothing\n")


def test_lavaan_defaults_cfa_and_sem():
    pt, names, ms = build_partable(parse_model("f =~ x1 + x2 + x3\ng =~ x4 + x5 + x6\n"
                                               "h =~ x7 + x8\nh ~ f + g + z"))
    assert not ms
    assert names.lv == ["f", "g", "h"]
    assert names.ov_x == ["z"]
    assert _row(pt, "f", "=~", "x1")["xid"] < 0 and _row(pt, "f", "=~", "x1")["ustart"] == 1
    assert _row(pt, "f", "=~", "x2")["xid"] >= 0
    assert _row(pt, "f", "~~", "g")["xid"] >= 0  # auto.cov.lv.x
    assert not ((pt["lhs"] == "h") & (pt["op"] == "~~") & (pt["rhs"] == "f")).any()
    z = _row(pt, "z", "~~", "z")
    assert z["xid"] < 0 and z["exo"] == 1  # fixed.x


def test_std_lv_and_meanstructure_defaults():
    pt, _names, ms = build_partable(parse_model("f =~ x1 + x2 + x3\nx1 ~ 1"), std_lv=True)
    assert ms
    assert _row(pt, "f", "=~", "x1")["xid"] >= 0
    assert _row(pt, "f", "~~", "f")["ustart"] == 1 and _row(pt, "f", "~~", "f")["xid"] < 0
    assert _row(pt, "f", "~1", "")["xid"] < 0  # int.lv.free = FALSE
    assert _row(pt, "x2", "~1", "")["xid"] >= 0  # int.ov.free


def test_labels_and_equality_share_one_parameter():
    pt, _n, _m = build_partable(parse_model(
        "f =~ x1 + a*x2 + a*x3 + x4\nx1 ~~ e1*x2\nx3 ~~ e2*x4\ne1 == e2"))
    assert _row(pt, "f", "=~", "x2")["xid"] == _row(pt, "f", "=~", "x3")["xid"]
    assert _row(pt, "x1", "~~", "x2")["xid"] == _row(pt, "x3", "~~", "x4")["xid"]
    assert (pt["op"] == "==").sum() == 1


def test_group_equal_ties_and_frees_latent_means():
    stmts = parse_model("f =~ x1 + x2 + x3")
    pt, _n, ms = build_partable(stmts, ngroups=2, group_equal=("loadings", "intercepts"))
    assert ms
    assert _row(pt, "f", "=~", "x2", 1)["xid"] == _row(pt, "f", "=~", "x2", 2)["xid"]
    assert _row(pt, "x1", "~1", "", 1)["xid"] == _row(pt, "x1", "~1", "", 2)["xid"]
    assert _row(pt, "x1", "~~", "x1", 1)["xid"] != _row(pt, "x1", "~~", "x1", 2)["xid"]
    assert _row(pt, "f", "~1", "", 1)["xid"] < 0
    assert _row(pt, "f", "~1", "", 2)["xid"] >= 0


def test_group_partial_and_unknown_group_equal():
    stmts = parse_model("f =~ x1 + x2 + x3")
    pt, _n, _m = build_partable(stmts, ngroups=2, group_equal=("loadings",),
                                group_partial=("f =~ x3",))
    assert _row(pt, "f", "=~", "x3", 1)["xid"] != _row(pt, "f", "=~", "x3", 2)["xid"]
    with pytest.raises(ModelSpecificationError, match="group_equal"):
        build_partable(stmts, ngroups=2, group_equal=("loading",))


def test_duplicate_parameter_and_inequality_rejected():
    with pytest.raises(ModelSpecificationError, match="twice"):
        build_partable(parse_model("f =~ x1 + x2 + x3\nf =~ x2"))
    with pytest.raises(ModelSpecificationError, match="simple bounds"):
        build_partable(parse_model("f =~ x1 + a*x2 + b*x3\na > 2*b"))
    pt, _n, _m = build_partable(parse_model("f =~ x1 + a*x2 + x3\na > 0\n1 > a"))
    assert list(pt.loc[pt["op"].isin(["<", ">"]), "op"]) == [">", ">"]


def test_ordered_thresholds_and_delta_rows():
    pt, names, ms = build_partable(parse_model("f =~ u1 + u2 + u3"),
                                   ordered={"u1": 2, "u2": 3, "u3": 1})
    assert ms
    th = pt[pt["op"] == "|"]
    assert list(th["lhs"]) == ["u1", "u1", "u2", "u2", "u2", "u3"]
    assert (th["xid"] >= 0).all()
    var = _row(pt, "u1", "~~", "u1")
    assert var["xid"] < 0 and var["ustart"] == 1
    assert _row(pt, "u1", "~1", "")["xid"] < 0
    assert np.all(pt.loc[pt["op"] == "~*~", "ustart"] == 1)
