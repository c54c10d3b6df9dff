"""analysis.study.pipeline.data_sha256: the data fingerprint recorded in the provenance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.study.pipeline import data_sha256


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"respondent_id": ["R1", "R2", "R3"], "info_sharing_1": [1.0, np.nan, 7.0],
                         "n": [1, 2, 3], "comment": ["ok", None, "fine"]})


def test_same_data_same_fingerprint():
    a = _frame()
    b = _frame()
    b["info_sharing_1"] = [1.0, float("nan") * -1, 7.0]  # another NaN bit pattern
    assert data_sha256(a) == data_sha256(b)
    assert len(data_sha256(a)) == 64
    assert data_sha256(a.set_axis([10, 11, 12])) == data_sha256(a)  # index not included


def test_any_change_changes_the_fingerprint():
    base = data_sha256(_frame())
    changes = []
    d = _frame()
    d.loc[0, "info_sharing_1"] = 1.0 + 1e-12
    changes.append(d)
    d = _frame()
    d.loc[1, "info_sharing_1"] = 0.0  # missing -> a value
    changes.append(d)
    d = _frame()
    d.loc[1, "comment"] = ""  # missing text -> empty text
    changes.append(d)
    changes.append(_frame().rename(columns={"n": "m"}))
    changes.append(_frame().astype({"n": float}))
    changes.append(_frame()[["n", "respondent_id", "info_sharing_1", "comment"]])
    changes.append(_frame().iloc[:2])
    digests = {data_sha256(c) for c in changes}
    assert base not in digests and len(digests) == len(changes)
