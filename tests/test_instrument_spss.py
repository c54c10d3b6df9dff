"""SPSS .sav round trip: values, variable labels, value labels and measure levels survive."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from instruments.instrument.loader import load_instrument
from instruments.instrument.schema import Instrument
from instruments.instrument.spss import read_sav, write_sav
from tests.test_instrument_data import valid_data


@pytest.fixture(scope="module")
def inst() -> Instrument:
    return load_instrument()


@pytest.mark.parametrize("lang", ["en", "de"])
def test_round_trip(inst: Instrument, tmp_path: Path, lang: str) -> None:
    df = valid_data(inst, n=25, seed=11)
    df["comment"] = df["comment"].astype(object)
    df.loc[3, "comment"] = "Zusammenarbeit läuft gut – „sehr“ gut."
    path = write_sav(df, tmp_path / "wave.sav", inst, lang=lang)
    back, meta = read_sav(path)

    assert list(back.columns) == list(df.columns)
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    text = [c for c in df.columns if c not in numeric]
    assert set(text) == {"respondent_id", "alliance_id", "firm_role", "language", "comment"}
    np.testing.assert_array_equal(back[numeric].to_numpy(dtype=float),
                                  df[numeric].to_numpy(dtype=float))  # NaN == NaN here
    for col in text:
        assert back[col].astype(str).tolist() == df[col].astype(str).tolist(), col

    # labels come from the item texts / question texts in the chosen language
    labels = meta.column_names_to_labels
    assert labels["trust_3"] == inst.item_text("trust_3", lang)
    assert labels["industry"] == inst.item_text("industry", lang)
    assert labels["attn_1"] == inst.item_text("attn_1", lang)
    for item in inst.items():
        assert labels[item.id] == inst.item_text(item.id, lang)

    vl = meta.variable_value_labels
    agree = inst.responses["agree7"]
    assert vl["trust_3"] == {float(v): agree.labels[v][lang] for v in agree.values}
    form = inst.question("governance_form").choices
    assert vl["governance_form"] == {float(v): form.labels[v][lang] for v in form.values}
    assert vl["consent"] == {1.0: inst.responses["yes_no"].labels[1][lang],
                             0.0: inst.responses["yes_no"].labels[0][lang]}
    assert "comment" not in vl and "alliance_age" not in vl

    measure = meta.variable_measure
    assert measure["trust_3"] == "ordinal"
    assert measure["attn_2"] == "ordinal"
    assert measure["governance_form"] == "nominal"
    assert measure["firm_size"] == "ordinal"
    assert measure["alliance_age"] == "scale"
    assert measure["n_partners"] == "scale"
    assert measure["duration_sec"] == "scale"
    assert measure["comment"] == "nominal"
    assert inst.content_hash in " ".join(meta.notes)


def test_unknown_columns_are_kept_without_labels(inst: Instrument, tmp_path: Path) -> None:
    df = pd.DataFrame({"trust_1": [1.0, 7.0], "score_trust": [3.25, np.nan]})
    _, meta = read_sav(write_sav(df, tmp_path / "x.sav", inst))
    assert meta.column_names_to_labels["score_trust"] in (None, "")
    assert meta.variable_measure["score_trust"] == "scale"


def test_bad_input(inst: Instrument, tmp_path: Path) -> None:
    df = pd.DataFrame([[1, 2]], columns=["trust_1", "trust_1"])
    with pytest.raises(DataError, match="Duplicated"):
        write_sav(df, tmp_path / "x.sav", inst)
    with pytest.raises(DataError, match="No SPSS file"):
        read_sav(tmp_path / "missing.sav")
    (tmp_path / "junk.sav").write_text("not spss")
    with pytest.raises(DataError, match="Cannot read"):
        read_sav(tmp_path / "junk.sav")
