"""Codebook: the variables table and the ``alliance-survey codebook`` command."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import InstrumentError
from instruments.instrument.codebook import COLUMNS, render_codebook, variables_table
from instruments.instrument.loader import load_instrument
from instruments.instrument.schema import Instrument


@pytest.fixture(scope="module")
def inst() -> Instrument:
    return load_instrument()


def test_variables_table(inst: Instrument) -> None:
    df = inst.variables()
    assert list(df.columns) == COLUMNS
    assert df["variable"].is_unique
    n_items = sum(len(s.items) for s in inst.scales.values())
    assert (df["kind"] == "item").sum() == n_items
    assert (df["kind"] == "attention_check").sum() == len(inst.attention_checks)
    assert (df["kind"] == "question").sum() == len(inst.questions)
    assert set(df.loc[df.kind == "paradata", "variable"]) >= {
        "respondent_id", "alliance_id", "firm_role", "language", "duration_sec",
        "page_time_learning",
    }
    # every instrument variable is in the codebook, and nothing else besides paradata
    assert set(df.loc[df.kind != "paradata", "variable"]) == set(inst.item_variables())
    row = df.set_index("variable").loc["info_sharing_8"]
    assert row["scale"] == "info_sharing" and bool(row["reverse"]) is True
    assert row["value_labels"][7] == "Strongly agree"
    assert row["measure"] == "ordinal" and row["min"] == 1 and row["max"] == 7
    assert any("Selnes" in s for s in row["sources"])
    # the declared measurement model of each item's scale, and the sources of controls
    book = df.set_index("variable")
    assert book.loc["dep_own_1", "measurement"] == "composite"
    assert book.loc["trust_1", "measurement"] == "reflective"
    assert any("Gulati" in s for s in book.loc["prior_ties", "sources"])
    age = df.set_index("variable").loc["alliance_age"]
    assert age["measure"] == "scale" and age["value_labels"] is None
    assert (age["min"], age["max"]) == (0.0, 100.0)
    assert math.isnan(df.set_index("variable").loc["comment", "min"])
    assert df["min"].dtype == float and df["reverse"].dtype == bool
    # attention checks sit right after the item they follow
    order = df["variable"].tolist()
    assert order.index("attn_1") == order.index("joint_sensemaking_3") + 1
    assert inst.reverse_items() == df.loc[df.reverse, "variable"].tolist()


def test_german_labels(inst: Instrument) -> None:
    df = variables_table(inst, lang="de").set_index("variable")
    assert df.loc["trust_1", "label"].startswith("Wir können uns darauf verlassen")
    assert df.loc["trust_1", "value_labels"][1] == "Stimme überhaupt nicht zu"
    with pytest.raises(InstrumentError, match="Language 'fr'"):
        variables_table(inst, lang="fr")


def test_cli_json_lists_every_scale_with_sources(inst: Instrument, tmp_path: Path) -> None:
    out = tmp_path / "codebook.json"
    assert main(["codebook", "--format", "json", "--out", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["instrument"] == {
        "id": inst.id,
        "version": inst.version,
        "content_hash": inst.content_hash,
        "languages": inst.languages,
        "title": inst.title,
    }
    assert list(doc["scales"]) == list(inst.scales)
    for sid, scale in doc["scales"].items():
        assert scale["sources"] and all(isinstance(s, str) and s for s in scale["sources"])
        assert set(scale["construct"]) == {"en", "de"}
        assert [i["id"] for i in scale["items"]] == inst.scale_items()[sid]
        assert all(set(i["text"]) == {"en", "de"} for i in scale["items"])
        assert "higher_order" in scale
        assert scale["measurement"]["model"] in ("reflective", "composite")
        assert scale["measurement"]["sources"]
    assert doc["scales"]["joint_sensemaking"]["higher_order"] == "relationship_learning"
    variables = {v["variable"]: v for v in doc["variables"]}
    assert set(inst.item_variables()) <= set(variables)
    assert variables["trust_1"]["value_labels"]["1"] == "Strongly disagree"
    assert variables["comment"]["min"] is None


def test_cli_markdown_to_stdout(capsys: pytest.CaptureFixture[str], inst: Instrument) -> None:
    assert main(["codebook"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# Codebook")
    assert inst.content_hash in text
    for sid in inst.scales:
        assert f"### `{sid}`" in text
    assert "| `trust_5` |" in text
    assert "Measurement model: **composite**." in text
    assert "Measurement model: **reflective**." in text


def test_cli_csv_german(capsys: pytest.CaptureFixture[str], inst: Instrument) -> None:
    assert main(["codebook", "--format", "csv", "--lang", "de"]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert df["variable"].tolist() == inst.variables()["variable"].tolist()
    row = df.set_index("variable").loc["governance_form"]
    assert row["value_labels"].startswith("1=Gemeinschaftsunternehmen")
    assert row["values"] == "1;2;3"


def test_cli_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["codebook", "--lang", "fr"]) == 2
    assert "Language 'fr'" in capsys.readouterr().err
    assert main(["codebook", "--instrument", str(tmp_path)]) == 2
    assert "No questionnaire.yaml" in capsys.readouterr().err


def test_render_rejects_unknown_format(inst: Instrument) -> None:
    with pytest.raises(InstrumentError, match="Unknown codebook format"):
        render_codebook(inst, "xlsx")
