"""Instrument.validate_data: missing columns and invalid codes are named; NaN is fine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from instruments.instrument.loader import load_instrument
from instruments.instrument.schema import Instrument, Question


def valid_data(inst: Instrument, n: int = 30, seed: int = 7, missing: float = 0.05) -> pd.DataFrame:
    """Random but valid wide data in the canonical layout (independent of our own code paths)."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {
        "respondent_id": [f"r{k:03d}" for k in range(n)],
        "alliance_id": [f"a{k // 2:03d}" for k in range(n)],
        "firm_role": ["A" if k % 2 == 0 else "B" for k in range(n)],
        "language": rng.choice(["en", "de"], size=n),
        "duration_sec": rng.uniform(300, 1800, size=n),
    }
    for sec in inst.sections:
        cols[f"page_time_{sec.id}"] = rng.uniform(5, 200, size=n)
    for scale in inst.scales.values():
        for item in scale.items:
            cols[item.id] = rng.choice(scale.response.values, size=n).astype(float)
    for check in inst.attention_checks:
        cols[check.id] = rng.choice(check.response.values, size=n).astype(float)
    for q in inst.questions:
        if q.type == "text":
            cols[q.id] = rng.choice(["", "Gut.", "Schöne Grüße", "n/a"], size=n)
        elif q.choices is not None:
            cols[q.id] = rng.choice(q.choices.values, size=n).astype(float)
        elif q.type == "integer":
            cols[q.id] = rng.integers(int(q.min), int(q.max) + 1, size=n).astype(float)
        else:
            cols[q.id] = np.round(rng.uniform(q.min, q.max, size=n), 1)
    df = pd.DataFrame(cols)
    numeric = [c for c in df.columns if df[c].dtype == float and not c.startswith(
        ("page_time_", "duration"))]
    mask = rng.random((n, len(numeric))) < missing
    df[numeric] = df[numeric].mask(mask)
    return df


@pytest.fixture(scope="module")
def inst() -> Instrument:
    return load_instrument()


def test_valid_data_passes(inst: Instrument) -> None:
    df = valid_data(inst)
    assert df.isna().any().any()  # missing answers are present and tolerated
    inst.validate_data(df)


def test_integer_dtypes_and_strings_of_digits_pass(inst: Instrument) -> None:
    df = valid_data(inst, missing=0.0)
    df["trust_1"] = df["trust_1"].astype("int64")
    df["marker_4"] = df["marker_4"].astype("Int64")
    df["governance_form"] = df["governance_form"].map(lambda v: str(int(v)))
    df.loc[0, "trust_2"] = np.nan
    inst.validate_data(df)


def test_comment_column_may_be_absent(inst: Instrument) -> None:
    inst.validate_data(valid_data(inst).drop(columns=["comment"]))


def test_every_problem_named(inst: Instrument) -> None:
    df = valid_data(inst, n=20, missing=0.0)
    df = df.drop(columns=["trust_3", "attn_2", "industry"])
    df.loc[[0, 1, 2], "dep_own_1"] = [0.0, 8.0, 9.0]
    df.loc[4, "value_creation_6"] = 3.5
    df["alliance_phase"] = df["alliance_phase"].astype(object)
    df.loc[5, "alliance_phase"] = "formation"
    df.loc[6, "n_partners"] = 1.0
    df.loc[7, "alliance_age"] = 120.0
    df.loc[8, "consent"] = 2.0
    with pytest.raises(DataError) as info:
        inst.validate_data(df)
    problems = info.value.problems
    text = str(info.value)
    assert problems[0].startswith("missing columns (3)")
    for name in ("trust_3", "attn_2", "industry"):
        assert name in problems[0]
    joined = "\n".join(problems)
    assert "column dep_own_1: 3 rows with codes outside" in joined
    assert "e.g. 0, 8, 9" in joined
    assert "column value_creation_6: 1 row with non-integer values (e.g. 3.5)" in joined
    assert ("column 'alliance_phase' is not numeric: data row 6 holds 'formation' "
            "(non-numeric values in 1 row); expected codes") in joined
    assert "column n_partners: 1 row outside 2..50 (e.g. 1)" in joined
    assert "column alliance_age: 1 row outside 0..100 (e.g. 120)" in joined
    assert "column consent: 1 row with codes outside {0, 1}" in joined
    assert len(problems) == 7
    assert "7 problems" in text


def test_not_a_dataframe(inst: Instrument) -> None:
    with pytest.raises(DataError, match="DataFrame"):
        inst.validate_data({"trust_1": [1]})  # type: ignore[arg-type]


def test_number_question_allows_decimals_integer_does_not(inst: Instrument) -> None:
    df = valid_data(inst, n=5, missing=0.0)
    df["alliance_age"] = 2.5
    inst.validate_data(df)
    df["n_partners"] = 2.5
    with pytest.raises(DataError, match="n_partners: 5 rows with non-integer"):
        inst.validate_data(df)
    assert isinstance(inst.question("n_partners"), Question)
