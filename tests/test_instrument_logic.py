"""Survey logic (``show_if``): the grammar, load-time checks listing every problem, and
the store deciding on the server what is shown, storing skipped items as "not shown"."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from analysis.errors import InstrumentError
from instruments.instrument.loader import load_instrument
from instruments.instrument.logic import ConditionError, parse_condition
from instruments.store import ResponseStore
from instruments.store.pages import PageValidationError, build_pages
from tests.test_instrument_loader import copy_instrument, edit_yaml, item, section


@pytest.mark.parametrize(
    ("text", "answers", "expected"),
    [
        ("x == 1", {"x": 1}, True),
        ("x == 1", {"x": 2}, False),
        ("x == 1", {}, False),
        ("x != 1", {}, False),  # unanswered: every comparison is false
        ("not (x == 1)", {}, True),
        ("x in [2, 3]", {"x": 3.0}, True),
        ("x not in [2, 3]", {"x": 1}, True),
        ("x >= 2 and y < 5", {"x": 2, "y": 4.5}, True),
        ("x >= 2 and y < 5", {"x": 2, "y": 5}, False),
        ("x == 1 or y == 1", {"y": 1}, True),
        ("answered(c)", {"c": "some text"}, True),
        ("answered(c)", {"c": "  "}, False),
        ("x == -1.5", {"x": -1.5}, True),
        ("x == 1", {"x": float("nan")}, False),
        ("x == 1", {"x": "1"}, False),  # text is never compared with a number
    ],
)
def test_condition_evaluates(text: str, answers: dict, expected: bool) -> None:
    assert parse_condition(text).holds(answers) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = 1", "unexpected '= 1'"),
        ("x ==", "expected 'a number' but found the end"),
        ("__import__('os') == 1", "unexpected"),
        ("f(x) == 1", "expected a comparison"),
        ("x == 1 y", "unexpected 'y' after a complete condition"),
        ("x in 1", "expected '[' but found '1'"),
        ("(x == 1", "expected ')' but found the end"),
        ("", "non-empty"),
        ("x == 1 and " * 60 + "x == 1", "at most 500 characters"),
    ],
)
def test_condition_refused_with_reason(text: str, message: str) -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition(text)
    assert message in str(info.value)


def test_condition_names_and_values() -> None:
    cond = parse_condition("a in [1, 2] and not (b == 3 or answered(c))")
    assert cond.names == ("a", "b", "c")
    assert cond.values() == {"a": [1.0, 2.0], "b": [3.0]}


def test_packaged_instrument_skips_sustainability_items() -> None:
    inst = load_instrument()
    # the sustainability items form a block of their own, on a page shown only to
    # alliances that aim at sustainability at least in part
    assert inst.conditions() == {"sustainability": "sustainability_focus in [2, 3]"}
    pages = {p.id: p for p in build_pages(inst)}
    assert not pages["sustainability"].shown({"sustainability_focus": 1})
    assert pages["sustainability"].shown({"sustainability_focus": 2})
    assert pages["learning_about_from"].hidden({"sustainability_focus": 1}) == ()
    assert pages["value_outcomes"].hidden({"sustainability_focus": 1}) == ()


def test_every_logic_problem_listed_at_once(tmp_path: Path) -> None:
    folder = copy_instrument(tmp_path)
    scales = folder / "scales"
    q = folder / "questionnaire.yaml"
    edit_yaml(scales / "trust.yaml", lambda d: item(d, "trust_1").update(show_if="trust_2 = 1"))
    edit_yaml(scales / "trust.yaml", lambda d: item(d, "trust_3").update(show_if="no_such == 1"))
    edit_yaml(scales / "trust.yaml",
              lambda d: item(d, "trust_5").update(show_if="trust_2 == 1"))  # same page
    edit_yaml(q, lambda d: section(d, "your_firm").update(show_if="sustainability_focus == 9"))
    edit_yaml(q, lambda d: section(d, "consent").update(show_if="sustainability_focus == 1"))
    with pytest.raises(InstrumentError) as info:
        load_instrument(folder)
    text = "\n".join(info.value.problems)
    assert "trust_1: show_if 'trust_2 = 1': unexpected '= 1'" in text
    assert "trust_3: show_if reads 'no_such', which is not a question or item" in text
    assert "trust_5: show_if reads 'trust_2', which is not asked on an earlier page" in text
    assert "section your_firm: show_if compares sustainability_focus with 9" in text
    assert "section consent: the page with the consent or screening question" in text
    assert "section consent: show_if reads 'sustainability_focus', which is not asked" in text
    assert len([p for p in info.value.problems if "show_if" in p or "always shown" in p]) == 6


def _walk(store: ResponseStore, token: str, answers: dict[str, dict], upto: str) -> None:
    for k, spec in enumerate(store.pages):
        if spec.id == upto:
            return
        if spec.id in answers:
            store.submit_page(token, spec.id, answers[spec.id], submission_key=f"k{k}")


@pytest.fixture()
def logic_store(tmp_path: Path):
    """A store on a copy of the instrument where learning_from_8 is asked only of alliances
    with a sustainability aim (an item-level condition) besides the packaged page-level
    condition of the sustainability page."""
    from instruments.fieldwork.invitations import create_study

    folder = copy_instrument(tmp_path)
    edit_yaml(folder / "scales" / "learning_from.yaml", lambda d: item(d, "learning_from_8")
              .update(show_if="sustainability_focus in [2, 3]"))
    inst = load_instrument(folder)
    with ResponseStore(f"sqlite:///{tmp_path / 's.sqlite'}", instrument=inst) as store:
        create_study(store, "logic")
        yield store


def _plan(store: ResponseStore, focus: int) -> dict[str, dict]:
    from tests.ui.survey_bot import plan_answers

    plan = plan_answers(store, seed=1, rng_seed=3, skip_optional=False)
    plan["alliance"].update(sustainability_focus=focus)
    return plan


def test_store_decides_what_is_shown_and_keeps_not_shown_apart(logic_store) -> None:
    from instruments.fieldwork.invitations import create_invitations

    store = logic_store
    tokens = [i.token for i in create_invitations(store, "logic", 2)]
    for token in tokens:
        store.start(token)
    # Respondent 1: no sustainability aim (item and page skipped).
    no_aim = _plan(store, focus=1)
    _walk(store, tokens[0], no_aim, "learning_about_from")
    page = dict(no_aim["learning_about_from"])
    page.setdefault("learning_from_8", 5)
    with pytest.raises(PageValidationError) as info:  # an answer to a hidden item: refused
        store.submit_page(tokens[0], "learning_about_from", page, submission_key="x")
    assert "not shown to this respondent" in info.value.problems["learning_from_8"][0]
    page.pop("learning_from_8")
    result = store.submit_page(tokens[0], "learning_about_from", page, submission_key="ok")
    assert result.next_page_id == "value_outcomes"
    result = store.submit_page(tokens[0], "value_outcomes", no_aim["value_outcomes"],
                               submission_key="vo")
    assert result.next_page_id == "about_you"  # the sustainability page is skipped
    # Respondent 2: sustainability aim: everything shown.
    aim = _plan(store, focus=3)
    aim["learning_about_from"]["learning_from_8"] = 6
    _walk(store, tokens[1], aim, "sustainability")
    assert store.state(tokens[1]).current_page_id == "sustainability"

    wide = store.wide("logic", meta=True).set_index("respondent_id")
    first, second = wide.iloc[0], wide.iloc[1]
    assert first["not_shown"].split() == ["learning_from_8"] + [
        f.id for f in store.page("sustainability").fields]
    assert math.isnan(first["learning_from_8"])
    assert math.isnan(first["sustainability_innovation_1"])
    assert isinstance(second["not_shown"], float) and math.isnan(second["not_shown"])
    assert second["learning_from_8"] == 6
    # Without meta the analysis layout is unchanged: no extra column, hidden items empty.
    assert "not_shown" not in store.wide("logic").columns


def test_going_back_and_changing_the_deciding_answer(logic_store) -> None:
    from instruments.fieldwork.invitations import create_invitations

    store = logic_store
    token = create_invitations(store, "logic", 1)[0].token
    store.start(token)
    plan = _plan(store, focus=3)
    plan["learning_about_from"]["learning_from_8"] = 7
    _walk(store, token, plan, "value_outcomes")
    # Back on the alliance page the respondent now says the alliance has no such aim.
    store.submit_page(token, "alliance", {**plan["alliance"], "sustainability_focus": 1},
                      submission_key="again")  # fmt: skip
    row = store.wide("logic", meta=True).iloc[0]
    assert math.isnan(row["learning_from_8"])  # the earlier answer no longer counts
    assert "learning_from_8" in row["not_shown"].split()
