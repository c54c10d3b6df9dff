"""Session 22's faster WLSMV bookkeeping gives the answers of the slower code.

* the Heywood check reads the model's matrices once per group (not once per item);
* :func:`analysis.sem.wls._constrains_thresholds` reads the parameter table's columns as
  arrays (pandas' ``isin`` and row selections before).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from analysis.sem import wls
from analysis.sem.api import sem


def _ordinal(seed: int = 5, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    eta = rng.normal(size=(n, 1))
    y = 0.8 * eta + rng.normal(scale=0.6, size=(n, 5))
    cats = np.digitize(y, [-1.0, -0.2, 0.5, 1.2])
    frame = pd.DataFrame(cats, columns=[f"u{i}" for i in range(1, 6)])
    frame["g"] = np.where(rng.random(n) < 0.5, "a", "b")
    return frame


def _slow_constrains_thresholds(model) -> bool:
    """The test as it was written before (pandas selections)."""
    pt = model.partable
    drop = pt["op"].isin(["|", "~1"]).to_numpy()
    xid = pt["xid"].to_numpy()
    keep_ids = set(xid[~drop & (xid >= 0)])
    ids = xid[drop & (xid >= 0)]
    if len(ids) != len(set(ids)) or set(ids) & keep_ids:
        return True
    names = {str(v) for col in ("label", "plabel") for v in pt.loc[drop, col] if str(v)}
    con = pt[pt["op"].isin(["==", "<", ">"])]
    words = set()
    for side in ("lhs", "rhs"):
        for text in con[side].astype(str):
            words.update(re.findall(r"[A-Za-z._][A-Za-z0-9._]*", text))
    return bool(names & words)


ITEMS = [f"u{i}" for i in range(1, 6)]
CASES = [
    ("f =~ u1 + u2 + u3 + u4 + u5", {}),
    ("f =~ u1 + u2 + u3 + u4 + u5", {"group": "g"}),
    ("f =~ u1 + u2 + u3 + u4 + u5", {"group": "g", "group_equal": ["thresholds"]}),
    ("f =~ u1 + u2 + u3 + u4 + u5", {"group": "g", "group_equal": ["loadings"]}),
    ("f =~ u1 + a*u2 + b*u3 + u4 + u5\na == b", {}),
    ("f =~ u1 + u2 + u3 + u4 + u5\nu1 | t1a*t1\nu2 | t1b*t1\nt1a == t1b", {}),
]


@pytest.mark.parametrize(("syntax", "kw"), CASES)
def test_constrains_thresholds_as_before(syntax, kw):
    res = sem(syntax, _ordinal(), estimator="WLSMV", ordered=ITEMS, **kw)
    assert wls._constrains_thresholds(res.model) == _slow_constrains_thresholds(res.model)


def test_residual_variance_with_the_group_matrices_at_hand():
    """``core=`` (the matrices of the group, read once for all its items) gives each
    item's residual variance as reading them for that item alone."""
    res = sem("f =~ u1 + u2 + u3 + u4 + u5", _ordinal(seed=9), estimator="WLSMV",
              ordered=ITEMS, group="g")
    model, x = res.model, res.state.x
    for g in range(len(model.groups)):
        core = model._core(x, g)
        for i in range(len(model.ov_names)):
            assert wls._residual_variance(model, x, i, g, core=core) \
                == wls._residual_variance(model, x, i, g)
