"""compile_model keeps the compiled structure of a model syntax (issue 18, session 23).

The pipeline fits one syntax many times (the levels and candidates of an invariance test,
refits of one model).  The parameter table and the matrices' layout depend on the syntax,
the structural options, the group labels and the number of thresholds of each ordered
variable only, so a second compile reuses the first one's structure.  These tests check
that the reused structure gives the same numbers as a fresh compile and that anything the
structure depends on makes a new one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.sem import build as sem_build
from analysis.sem import compile_model, sem

SYNTAX = "f1 =~ y1 + y2 + y3\nf2 =~ y4 + y5 + y6\nf2 ~ f1"


def _continuous(seed: int, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f1 = rng.normal(size=n)
    f2 = 0.5 * f1 + rng.normal(size=n)
    cols = {f"y{i + 1}": (f1 if i < 3 else f2) * (0.6 + 0.1 * i) + rng.normal(size=n)
            for i in range(6)}
    d = pd.DataFrame(cols)
    d["g"] = np.where(rng.random(n) < 0.5, "a", "b")
    return d


def _ordinal(seed: int, n: int = 400, k: int = 5) -> pd.DataFrame:
    d = _continuous(seed, n)
    for c in [f"y{i + 1}" for i in range(6)]:
        d[c] = pd.cut(d[c], bins=k, labels=False).astype(int)
    return d


def _fresh(**kw):
    sem_build._STRUCTURES.clear()
    return sem(SYNTAX, **kw)


def _same(a, b) -> None:
    pa, pb = a.partable, b.partable
    for col in ("est", "se"):
        np.testing.assert_array_equal(pa[col].to_numpy(float), pb[col].to_numpy(float))
    for key in ("chisq", "df", "cfi", "rmsea"):
        assert a.fit[key] == b.fit[key] or (np.isnan(a.fit[key]) and np.isnan(b.fit[key]))


def test_a_second_compile_reuses_the_structure():
    d = _continuous(1)
    a = compile_model(SYNTAX, d)
    b = compile_model(SYNTAX, d)
    assert a is not b
    assert a.partable is b.partable  # one table, two instances with their own options
    assert a.options is not b.options


@pytest.mark.parametrize("seed", [1, 2])
def test_reused_structure_gives_the_numbers_of_a_fresh_compile_ml(seed):
    d = _continuous(seed)
    fresh = _fresh(data=d, estimator="MLR")
    again = sem(SYNTAX, d, estimator="MLR")  # the structure kept by the fresh fit
    _same(fresh, again)
    # another data set with the same variables: the same structure, its own numbers
    other = _continuous(seed + 10)
    _same(_fresh(data=other, estimator="MLR"), sem(SYNTAX, other, estimator="MLR"))


def test_reused_structure_multigroup_wlsmv_invariance_levels():
    d = _ordinal(3)
    items = [f"y{i + 1}" for i in range(6)]
    kw = dict(data=d, group="g", ordered=items, estimator="WLSMV")
    for eq in ((), ("loadings",), ("loadings", "thresholds")):
        fresh = _fresh(group_equal=eq, **kw)
        _same(fresh, sem(SYNTAX, group_equal=eq, **kw))


def test_structure_follows_the_number_of_thresholds_and_the_groups():
    items = [f"y{i + 1}" for i in range(6)]
    five, four = _ordinal(4, k=5), _ordinal(4, k=4)
    a = compile_model(SYNTAX, five, ordered=items)
    b = compile_model(SYNTAX, four, ordered=items)
    assert len(a.th_names) == 6 * 4 and len(b.th_names) == 6 * 3
    one = compile_model(SYNTAX, five, ordered=items, group="g")
    other = five.assign(g=np.where(five["g"] == "a", "c", "b"))
    two = compile_model(SYNTAX, other, ordered=items, group="g")
    assert sorted(one.groups) == ["a", "b"]
    assert two.groups == [{"a": "c"}.get(g, g) for g in one.groups]
    # the options stay each call's own
    assert compile_model(SYNTAX, five, std_lv=True).options["std_lv"] is True
    assert compile_model(SYNTAX, five).options["std_lv"] is False


def test_a_fit_does_not_write_into_the_shared_table():
    d = _continuous(5)
    first = sem(SYNTAX, d)
    before = first.model.partable.copy()
    sem(SYNTAX, _continuous(6))
    _ = first.partable  # the estimates go into a copy
    pd.testing.assert_frame_equal(first.model.partable, before)
    assert np.isnan(first.model.partable["est"].to_numpy(float)).all()
