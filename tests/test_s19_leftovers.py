"""Leftovers of the checks on withdrawal, the hypotheses file and duplicate ids.

- A withdrawal erased the answers and page times, but the respondent's copy of their data
  still showed when the link was first opened and the language the respondent had chosen
  there ("de" on an English invitation).  The tombstone keeps the time of the erasure in
  their place and the invitation's language.
- The hypotheses file loaded a multigroup test of a score minus itself
  ("trust - trust by firm_role", a difference that is 0 for everyone) and composites that
  are averages of each other (scoring then stopped at a score "missing").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

import analysis.study.hypotheses as hyp
from analysis.errors import InstrumentError
from instruments.store import ResponseStore


@pytest.fixture(scope="module")
def instrument():  # noqa: ANN201
    from instruments.instrument.loader import load_instrument

    return load_instrument()


@pytest.fixture
def field(tmp_path: Path, instrument) -> Iterator[ResponseStore]:  # noqa: ANN001
    from instruments.fieldwork.invitations import create_study

    store = ResponseStore(f"sqlite:///{tmp_path / 'store.sqlite'}", instrument=instrument)
    create_study(store, "rights")
    try:
        yield store
    finally:
        store.dispose()


def test_withdrawal_erases_the_first_visit_and_the_language_chosen(field: ResponseStore) -> None:
    from instruments.fieldwork.invitations import create_invitations
    from instruments.store.access import copy_json, respondent_copy
    from instruments.store.models import utcnow
    from instruments.store.rights import set_language, withdraw
    from tests.store.test_rights import answer_pages

    token = create_invitations(field, "rights", 1, language="en")[0].token
    field.start(token)
    answer_pages(field, token, 1, 11)  # the consent page
    set_language(field, token, "de")
    before = respondent_copy(field, token)["about"]
    assert before["language"] == "de" and before["first_opened_at"]
    later = utcnow() + timedelta(days=3)
    withdraw(field, token, now=later)
    about = respondent_copy(field, token)["about"]
    # the store keeps the withdrawal's moment in place of the first visit; the copy gives
    # no first visit at all (session 20: it had given the withdrawal's moment as one)
    assert about["first_opened_at"] is None and about["withdrawn_at"]
    assert about["language"] == "en"  # the invitation's, not the one chosen
    assert before["first_opened_at"] not in copy_json(respondent_copy(field, token)).decode()
    # choosing a language on the closed link does not store one again
    set_language(field, token, "de")
    assert respondent_copy(field, token)["about"]["language"] == "en"


def _declaration(tmp_path: Path, change) -> Path:  # noqa: ANN001
    doc = yaml.safe_load(hyp.DEFAULT_PATH.read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "h.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_a_multigroup_test_of_a_score_minus_itself_is_refused(tmp_path: Path) -> None:
    def change(doc: dict) -> None:
        h = next(h for h in doc["hypotheses"] if h["method"] == "multigroup")
        h["test"] = "trust - trust by firm_role"

    with pytest.raises(InstrumentError, match="names one variable twice") as info:
        hyp.load_hypotheses(_declaration(tmp_path, change))
    assert any("trust - trust by firm_role" in p for p in info.value.problems)


def test_composites_that_average_each_other_are_refused(tmp_path: Path) -> None:
    def change(doc: dict) -> None:
        doc["composites"]["cyc_a"] = ["cyc_b", "info_sharing"]
        doc["composites"]["cyc_b"] = ["cyc_c", "info_sharing"]
        doc["composites"]["cyc_c"] = ["cyc_a", "joint_sensemaking"]
        doc["composites"]["pair_a"] = ["pair_b", "info_sharing"]
        doc["composites"]["pair_b"] = ["pair_a", "info_sharing"]

    with pytest.raises(InstrumentError, match="averages of one another") as info:
        hyp.load_hypotheses(_declaration(tmp_path, change))
    cycles = [p for p in info.value.problems if "averages of one another" in p]
    assert len(cycles) == 2, cycles  # each cycle once, not once per member
    assert any("'cyc_a', 'cyc_b', 'cyc_c'" in p and "cyc_a -> cyc_b -> cyc_c -> cyc_a" in p
               for p in cycles), cycles
    assert any("'pair_a', 'pair_b'" in p for p in cycles), cycles


def test_a_composite_of_an_earlier_composite_still_loads(tmp_path: Path) -> None:
    def change(doc: dict) -> None:
        doc["composites"]["learning_plus"] = ["learning", "info_sharing"]

    hs = hyp.load_hypotheses(_declaration(tmp_path, change))
    assert hs.composites["learning_plus"] == ("learning", "info_sharing")


def test_repeated_respondent_ids_are_named_with_their_data_rows() -> None:
    """Repeated ids stay a warning of the data check (pooled exports of two stores both
    number respondents from 1); the warning can now say which rows to compare."""
    import pandas as pd

    from instruments.instrument.datacheck import repeated_ids

    df = pd.DataFrame({"respondent_id": ["R1", "R2", "R1", None, None, "R3", "R2", "R1"],
                       "x": range(8)})  # fmt: skip
    assert repeated_ids(df) == ["respondent_id 'R1' is on data rows 1, 3 and 8",
                                "respondent_id 'R2' is on data rows 2 and 7"]
    many = pd.DataFrame({"respondent_id": [k // 2 for k in range(20)]})
    lines = repeated_ids(many, most=3)
    assert lines[0] == "respondent_id 0 is on data rows 1 and 2"
    assert lines[-1] == "and 7 more repeated respondent_id value(s)" and len(lines) == 4
    assert repeated_ids(df.iloc[[0, 1, 5]]) == [] and repeated_ids(df[["x"]]) == []
