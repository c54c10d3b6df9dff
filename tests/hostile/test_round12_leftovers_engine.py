"""Hostile round 12, what was left in the SEM syntax and the validity statistics:

- ``a < 0`` with ``a > 1`` ended in the optimiser's internal "upper bound is less than the
  corresponding lower bound";
- ``a == 0.5`` with ``a == 0.6`` was fitted with 0.6, without a word; ``a == b`` with
  ``a == 0.5`` fixed a and left b free (lavaan: both 0.5); ``a == 0.5`` with ``a > 1``
  kept 0.5 (lavaan: no solution found);
- (not changed: ``f =~ x1 + x1 + x1`` is one parameter, as lavaan 0.6.14 takes it;
  tests/sem/test_sweep9.py pins that);
- ``d := a*2`` with ``d := a*3`` gave two ``d`` rows; ``x1 := a`` named a defined
  parameter as a variable of the model (lavaan takes both); the package's own models
  now name their defined parameters apart from the variables (a mediation of a score
  named ``total``, an APIM of a score named ``k``);
- ``reliability_report`` with MultiIndex columns ended in an AttributeError;
- ``htmt`` and ``htmt_ci`` of a data frame without rows ended in numpy's "zero-size
  array" ValueError.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, ModelSpecificationError
from analysis.sem import cfa
from analysis.sem.syntax import parse_model
from analysis.stats.reliability import omega, reliability_report
from analysis.stats.validity import fornell_larcker, htmt, htmt_ci

CFA = "f =~ x1 + a*x2 + x3"
TWO = "f =~ x1 + x2 + x3\ng =~ x4 + x5 + x6"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(12)
    f, g = rng.normal(size=(2, 250))
    cols = {f"x{i}": 0.8 * f + rng.normal(size=250) for i in (1, 2, 3)}
    cols |= {f"x{i}": 0.8 * g + rng.normal(size=250) for i in (4, 5, 6)}
    return pd.DataFrame(cols)


# -- 1. bounds that leave no value --------------------------------------------------------
@pytest.mark.parametrize("bounds", ["a < 0\na > 1", "a > 1\na < 0", "0 > a\n1 < a",
                                    "a > 0.5\na < 2\na > 3"])
def test_bounds_that_leave_no_value_are_refused(data, bounds) -> None:
    with pytest.raises(ModelSpecificationError, match="the bounds on a leave no value"):
        cfa(f"{CFA}\n{bounds}", data)


def test_bounds_that_leave_a_range_still_fit(data) -> None:
    res = cfa(f"{CFA}\na > 0.1\na < 5\na > 0", data)
    est = res.params.loc[res.params["label"] == "a", "est"].iloc[0]
    assert res.converged and 0.1 <= est <= 5


# -- 2. a label fixed twice ---------------------------------------------------------------
def test_a_label_fixed_at_two_values_is_refused(data) -> None:
    with pytest.raises(ModelSpecificationError,
                       match=r"a == 0.6 contradicts line 2, which fixed a at 0.5"):
        cfa(f"{CFA}\na == 0.5\na == 0.6", data)
    with pytest.raises(ModelSpecificationError, match="contradicts line 2"):
        cfa(f"{CFA}\na == 0.5\n0.6 == a", data)


def test_a_label_fixed_twice_at_one_value_fits(data) -> None:
    res = cfa(f"{CFA}\na == 0.5\na == 0.5", data)
    assert res.params.loc[res.params["label"] == "a", "est"].iloc[0] == 0.5


@pytest.mark.parametrize("ties", ["a == b\na == 0.5", "a == 0.5\na == b"])
def test_a_fixed_label_fixes_the_labels_tied_to_it(data, ties) -> None:
    """lavaan 0.6.14: a = b = 0.5 in either order; b was left free (0.74 here)."""
    res = cfa(f"f =~ x1 + a*x2 + b*x3\n{ties}", data)
    est = res.params.set_index("label").loc[["a", "b"], "est"]
    assert est.tolist() == [0.5, 0.5]


def test_labels_tied_after_fixing_at_two_values_are_refused(data) -> None:
    model = "f =~ x1 + a*x2 + b*x3\n"
    with pytest.raises(ModelSpecificationError, match="b == 0.6 contradicts line 3"):
        cfa(model + "a == b\na == 0.5\nb == 0.6", data)
    with pytest.raises(ModelSpecificationError, match="ties a, fixed at 0.5, to b, fixed at 0.6"):
        cfa(model + "a == 0.5\nb == 0.6\na == b", data)


def test_a_bound_that_excludes_the_fixed_value_is_refused(data) -> None:
    with pytest.raises(ModelSpecificationError,
                       match="a is fixed at 0.5, but its bound asks for at least 1"):
        cfa(f"{CFA}\na == 0.5\na > 1", data)
    res = cfa(f"{CFA}\na == 0.5\na < 1\na > 0", data)
    assert res.params.loc[res.params["label"] == "a", "est"].iloc[0] == 0.5


# -- 3. a term repeated in one formula: one parameter, as in lavaan (tests/sem/test_sweep9.py
# pins it; lavaan's fixtures of sweep 9 have such terms) ---------------------------------
def test_several_modifiers_go_on_one_term() -> None:
    (_f1, f2) = parse_model("f =~ x1 + a*start(0.5)*x2")
    assert f2.modifier.label == ("a",) and f2.modifier.start == (0.5,)


# -- 4. defined parameters named twice or named as a variable -----------------------------
@pytest.mark.parametrize(("extra", "what"), [
    ("d := a*2\nd := a*3", "'d' is already defined on line 2"),
    ("x1 := a", "'x1' has the name of an observed variable of the model"),
    ("f := a", "'f' has the name of a latent variable of the model"),
    ("a := 2", "reuses a label"),
])
def test_a_defined_name_must_be_new(data, extra, what) -> None:
    with pytest.raises(ModelSpecificationError, match=what):
        cfa(f"{CFA}\n{extra}", data)


def test_distinct_defined_names_still_fit(data) -> None:
    res = cfa(f"{CFA}\nd := a*2\ne := d + 1", data)
    p = res.params.set_index("lhs")
    assert p.loc["e", "est"] == pytest.approx(p.loc["d", "est"] + 1, abs=1e-12)
    # a column of the data the model does not use is no variable of the model: a survey
    # frame may well hold a 'total' score, and lavaan takes such a name too
    res = cfa(f"{CFA}\nx5 := a*2", data)
    assert ((res.params["op"] == ":=") & (res.params["lhs"] == "x5")).sum() == 1


# -- 5. MultiIndex columns ----------------------------------------------------------------
def test_multiindex_columns_are_refused_by_the_reliability_functions(data) -> None:
    two = data.copy()
    two.columns = pd.MultiIndex.from_tuples([(c, "t1") for c in data.columns])
    with pytest.raises(DataError, match="MultiIndex"):
        reliability_report(two, TWO)
    with pytest.raises(DataError, match="MultiIndex"):
        htmt(two, TWO)
    params = cfa(TWO, data).params
    with pytest.raises(DataError, match="MultiIndex"):
        omega(params, two)
    with pytest.raises(DataError, match="MultiIndex"):
        fornell_larcker(params, two)


# -- 6. no rows ---------------------------------------------------------------------------
@pytest.mark.parametrize("rows", [0, 1])
def test_htmt_needs_two_rows(data, rows) -> None:
    with pytest.raises(DataError, match=f"at least 2 rows of data.*found {rows}"):
        htmt(data.iloc[:rows], TWO)
    with pytest.raises(DataError, match=f"at least 2 rows of data.*found {rows}"):
        htmt_ci(data.iloc[:rows], TWO, n_boot=10, seed=1)


def test_htmt_needs_two_complete_rows(data) -> None:
    holes = data.iloc[:5].copy()
    holes.iloc[1:, 0] = np.nan
    with pytest.raises(DataError, match="with every item answered.*found 1"):
        htmt(holes, TWO)


def test_fornell_larcker_without_rows_is_a_data_error(data) -> None:
    params = cfa(TWO, data).params
    with pytest.raises(DataError, match="Fewer than 2 complete rows"):
        fornell_larcker(params, data.iloc[:0])


# -- the package's own ':=' names stay apart from the variables --------------------------
def test_a_mediation_of_a_score_named_total_still_runs() -> None:
    from analysis.stats.regression import mediation_bootstrap

    rng = np.random.default_rng(5)
    x = rng.normal(size=150)
    m = 0.5 * x + rng.normal(size=150)
    df = pd.DataFrame({"x": x, "m": m, "total": 0.4 * m + 0.2 * x + rng.normal(size=150)})
    out = mediation_bootstrap(df, "total", "x", "m", n_boot=20, seed=1)
    eff = out.effects.set_index("effect")
    assert list(eff.index) == ["a", "b", "direct", "indirect", "total"]
    assert eff.loc["indirect", "estimate"] == pytest.approx(
        eff.loc["a", "estimate"] * eff.loc["b", "estimate"], rel=1e-9)


def test_an_apim_of_a_score_named_k_still_runs() -> None:
    from analysis.stats.dyadic import apim

    rng = np.random.default_rng(6)
    n = 80
    xa, xb = rng.normal(size=n), rng.normal(size=n)
    rows = []
    for i in range(n):
        ya = 0.5 * xa[i] + 0.2 * xb[i] + rng.normal()
        yb = 0.4 * xb[i] + 0.3 * xa[i] + rng.normal()
        rows += [{"alliance_id": i, "firm_role": "A", "k": ya, "x": xa[i]},
                 {"alliance_id": i, "firm_role": "B", "k": yb, "x": xb[i]}]
    out = apim(pd.DataFrame(rows), "k", "x")
    eff = out["effects"]
    assert eff["k_A"]["est"] == pytest.approx(eff["p_BA"]["est"] / eff["a_A"]["est"])
