"""Instrument versions: the translation record, the 1.x -> 2.0.0 map, old data still scored."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.errors import DataError, InstrumentError
from analysis.study.datafiles import read_data
from analysis.study.scoring import InstrumentVersionNotice, score
from instruments.instrument.loader import PACKAGE_DIR, load_instrument
from instruments.instrument.versions import (
    check_versions,
    current_id,
    load_versions,
    upgrade_data,
)
from tests.test_instrument_loader import copy_instrument, edit_yaml, item

OLD_DEMO = Path(__file__).resolve().parent / "data" / "alliance_demo_1.0.0.csv"


@pytest.fixture(scope="module")
def inst():
    return load_instrument()


# -- the translation record ----------------------------------------------------------------

def test_record_covers_every_item_and_question(inst) -> None:
    record = yaml.safe_load((PACKAGE_DIR / "translation" / "de.yaml").read_text("utf-8"))
    ids = [e["id"] for e in record["entries"]]
    assert sorted(ids) == sorted([it.id for it in inst.items()] + [q.id for q in inst.questions])
    for step in ("translate", "back_translate", "reconcile", "pretest"):
        assert record["process"][step].strip()
    for entry in record["entries"]:
        assert entry["back_translation"].strip() and entry["decision"].strip()
        # a back-translation is English written from the German, not the source copied
        assert entry["back_translation"] != entry["target"]


def test_record_problems_listed_at_once(tmp_path: Path) -> None:
    folder = copy_instrument(tmp_path)
    scales = folder / "scales"
    # a German text edited without redoing its translation record
    edit_yaml(scales / "trust.yaml",
              lambda d: item(d, "trust_1")["text"].update(de="Wir vertrauen dem Partner {partner}."))
    # an English text edited
    edit_yaml(scales / "dep_own.yaml",
              lambda d: item(d, "dep_own_1")["text"].update(en="{partner} matters to us."))
    record = folder / "translation" / "de.yaml"

    def drop(d: dict) -> None:
        d["entries"] = [e for e in d["entries"] if e["id"] != "marker_5"]
        d["entries"].append({"id": "trust_4", "source": "x", "target": "y",
                             "back_translation": "z", "decision": "kept"})
        d["process"]["pretest"] = " "

    edit_yaml(record, drop)
    with pytest.raises(InstrumentError) as info:
        load_instrument(folder)
    problems = info.value.problems
    expected = [
        ("translation/de.yaml: trust_1:", "de text differs from the reconciled translation"),
        ("translation/de.yaml: dep_own_1:", "en text changed since it was translated"),
        ("translation/de.yaml: marker_5:", "no translation record"),
        ("translation/de.yaml: trust_4:", "not an item or question"),
        ("translation/de.yaml:", "describe the step 'pretest'"),
    ]
    for prefix, phrase in expected:
        assert any(p.startswith(prefix) and phrase in p for p in problems), (prefix, problems)
    assert len(problems) == len(expected), problems


def test_missing_record_is_a_problem(tmp_path: Path) -> None:
    folder = copy_instrument(tmp_path)
    (folder / "translation" / "de.yaml").unlink()
    with pytest.raises(InstrumentError, match="1 problem") as info:
        load_instrument(folder)
    assert "no translation record for language 'de'" in info.value.problems[0]


# -- the version map ----------------------------------------------------------------------

def test_version_map_is_consistent_with_the_instrument(inst) -> None:
    assert check_versions(inst) == []
    vmap = load_versions()
    assert vmap.current == inst.version
    group = vmap.group("1.0.0")
    assert group is vmap.group("1.2.0")
    # every variable of 1.x is accounted for
    old_columns = set(pd.read_csv(OLD_DEMO, nrows=0).columns)
    variables = {c for c in old_columns if not c.startswith("page_time_")} - {
        "respondent_id", "alliance_id", "firm_role", "language", "duration_sec"}
    assert variables == set(group.variables)


def test_check_versions_names_every_problem(tmp_path: Path) -> None:
    folder = copy_instrument(tmp_path)

    def spoil(d: dict) -> None:
        v = d["earlier"][0]["variables"]
        v["trust_4"]["reason"] = ""
        v["trust_1"] = {"status": "same", "as": "trust_9"}
        v["alliance_form"]["into"]["governance_form"][1] = 7
        v["dep_own_4"]["replaced_by"] = ["dep_own_4"]

    edit_yaml(folder / "versions.yaml", spoil)
    problems = check_versions(load_instrument(folder), load_versions(folder))
    text = "\n".join(problems)
    assert "trust_4: say why the meaning changed" in text
    assert "trust_1: 'trust_9' is not a variable" in text
    assert "alliance_form: codes [7] are not codes of 'governance_form'" in text
    assert "dep_own_4: replaced_by 'dep_own_4' is not a variable" in text
    assert len(problems) == 4


def test_changed_items_are_refused_for_pooling() -> None:
    assert current_id("trust_1", "1.0.0") == "trust_1"
    with pytest.raises(DataError, match="trust_4' of version 1.0.0 cannot be pooled") as info:
        current_id("trust_4", "1.0.0")
    assert "monitoring" in str(info.value) and "trust_5" in str(info.value)
    with pytest.raises(DataError, match="recoded into governance_form, alliance_function"):
        current_id("alliance_form", "1.2.0")
    with pytest.raises(DataError, match="version 0.9.0 is not known"):
        current_id("trust_1", "0.9.0")


def test_upgrade_maps_recodes_and_keeps_changed_items_apart(inst) -> None:
    old = pd.DataFrame({
        "trust_1": [7.0, 2.0], "trust_4": [1.0, 6.0],
        "alliance_form": [1.0, 4.0], "alliance_stage": [3.0, 1.0],
    })
    new, notices = upgrade_data(old, inst)
    assert notices and "1.0.0/1.1.0/1.2.0" in notices[0]
    assert new["trust_1"].tolist() == [7.0, 2.0]
    # the changed item stays in its own column; its replacement is empty, never filled
    assert new["trust_4"].tolist() == [1.0, 6.0]
    assert new["trust_5"].isna().all()
    # equity investment -> equity stake; distribution agreement -> contract only, marketing
    assert new["governance_form"].tolist() == [2.0, 3.0]
    assert np.isnan(new.loc[0, "alliance_function"]) and new.loc[1, "alliance_function"] == 3.0
    # the 1.x stage question is the derived Das & Teng stage of 2.0.0
    assert new["alliance_stage"].tolist() == [3.0, 1.0]
    assert set(inst.item_variables()) <= set(new.columns)


def test_current_data_get_the_derived_stage_and_no_notice(inst) -> None:
    df = pd.DataFrame({"alliance_phase": [1, 2, 3, 4, 5, 6, np.nan], "trust_5": 4.0})
    new, notices = upgrade_data(df, inst)
    assert notices == []
    assert new["alliance_stage"].tolist()[:6] == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    assert np.isnan(new["alliance_stage"].iloc[6])


def test_version_1_0_0_demo_still_loads_and_scores_with_a_notice(inst) -> None:
    manifest = json.loads(OLD_DEMO.with_suffix(".MANIFEST.json").read_text("utf-8"))
    assert manifest["instrument"]["version"] == "1.0.0"
    df = read_data(OLD_DEMO)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scored = score(df, inst)
    notices = [str(w.message) for w in caught if issubclass(w.category, InstrumentVersionNotice)]
    assert any("collected with instrument version 1.0.0" in n for n in notices)
    assert any("trust_4" in n for n in notices)  # named as kept apart
    assert scored.attrs["data_check"]["instrument_notices"] == notices
    assert len(scored) == len(df)
    # trust is scored from trust_1..3, the items both versions share, reverse keys as
    # declared, at least 2 of 3 answered (half the shared items, rounded up)
    items = df[["trust_1", "trust_2", "trust_3"]]
    expected = items.mean(axis=1).where(items.notna().sum(axis=1) >= 2)
    np.testing.assert_allclose(scored["trust"], expected, rtol=0, atol=1e-12)
    # info_sharing keeps 2 of 5 items (1 and 3): scored from those two, none reverse-keyed
    both = df[["info_sharing_1", "info_sharing_3"]]
    expected = both.mean(axis=1).where(both.notna().sum(axis=1) >= 1)
    np.testing.assert_allclose(scored["info_sharing"], expected, rtol=0, atol=1e-12)
    # scales the old version never asked are empty, not invented
    for sid in ("partner_investments", "absorptive_capacity", "marker",
                "sustainability_innovation"):
        assert scored[sid].isna().all(), sid
    # dependence indices still come from the shared dependence items
    assert scored["jd_sum"].notna().mean() > 0.95
    # the noise of empty new items is not reported as a data problem
    assert not any("has no answers" in w for w in scored.attrs["data_check"]["warnings"])


def test_cli_scores_1_0_0_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from analysis.cli import main

    out = tmp_path / "scored.csv"
    assert main(["score", str(OLD_DEMO), "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 400
    printed = capsys.readouterr().out
    assert "Notice: The data were collected with instrument version 1.0.0" in printed


def test_2_0_0_rows_pool_unchanged_under_the_reworded_consent(inst) -> None:
    """2.0.1 reworded only the consent page's statement of what is stored: every 2.0.0
    variable keeps its id and codes, and a wave of 2.0.0 pools row for row."""
    vmap = load_versions()
    group = vmap.group("2.0.0")
    assert set(group.variables) == set(inst.item_variables())
    assert {m.status for m in group.variables.values()} == {"same"}
    assert current_id("trust_5", "2.0.0") == "trust_5"
    rows = pd.DataFrame({"trust_5": [2.0, 6.0], "alliance_phase": [1.0, 6.0],
                         "instrument_version": ["2.0.0", inst.version]})
    new, notices = upgrade_data(rows, inst)
    assert new["trust_5"].tolist() == [2.0, 6.0]
    assert new["alliance_stage"].tolist() == [1.0, 3.0]
    assert notices[0].startswith("1 row from waves on instrument version 2.0.0")
    assert "no item's meaning changed" in notices[0] and "()" not in notices[0]
