"""The right to rectification: the study lead corrects answers a respondent asks to have
corrected (the privacy notice promises it), checked as the survey checks a page, audited,
and erased with the answers; on SQLite and PostgreSQL, with the packaged questionnaire."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from analysis.errors import DataError
from instruments.fieldwork.actions import correct_answers, correction_log
from instruments.fieldwork.invitations import create_invitations, create_study
from instruments.store import PageValidationError, ResponseStore
from instruments.store.exclusions import AnswerCorrection
from instruments.store.rights import withdraw
from tests.ui.survey_bot import plan_answers

STUDY = "fix"


@pytest.fixture
def done(db_url: str) -> Iterator[tuple[ResponseStore, str, int]]:
    """A completed response of the packaged questionnaire: the store, token, invitation."""
    from instruments.instrument.loader import load_instrument

    with ResponseStore(db_url, instrument=load_instrument()) as store:
        create_study(store, STUDY)
        inv = create_invitations(store, STUDY, 1)[0]
        state = store.start(inv.token)
        plan = plan_answers(store, seed=state.seed, rng_seed=4, skip_optional=False)
        for spec in store.pages:
            if spec.id in plan:
                result = store.submit_page(inv.token, spec.id, plan[spec.id],
                                           submission_key=spec.id)
        assert result.completed
        yield store, inv.token, inv.invitation_id


def _field(store: ResponseStore, kind: str, answered: dict) -> tuple[str, object]:
    """An answered item of this kind that is neither consent nor screening."""
    inst = store.instrument
    skip = {inst.consent.question, getattr(getattr(inst, "screening", None), "question", "")}
    for spec in store.pages:
        for f in spec.fields:
            if f.kind == kind and f.id in answered and f.id not in skip:
                return f.id, f
    pytest.skip(f"no answered {kind} item")


def test_correction_changes_the_data_and_keeps_both_values(done) -> None:  # noqa: ANN001
    store, token, inv = done
    answered = store.state(token).answers
    item, spec = _field(store, "coded", answered)
    old = answered[item]
    new = next(c for c in spec.codes if c != old)
    before_status = store.state(token)
    fixed = correct_answers(store, STUDY, inv, {item: str(new)},
                            "E-mail of 6 Dec: pressed the wrong option", actor="J. Lehmann")
    assert fixed.before == {item: old} and fixed.after == {item: new}
    assert store.wide(STUDY).loc[0, item] == new
    log = store.answer_log(STUDY)
    assert log.loc[log["item_id"] == item, "value_int"].tolist()[-2:] == [old, new]
    audit = correction_log(store, STUDY)
    assert audit[["invitation_id", "item_id", "actor"]].to_dict("records") == [
        {"invitation_id": inv, "item_id": item, "actor": "J. Lehmann"}]
    after = store.state(token)  # progress and completion are the respondent's own
    assert after.completed and after.current_page == before_status.current_page
    # the same value again changes nothing and says so
    with pytest.raises(DataError, match="nothing was changed"):
        correct_answers(store, STUDY, inv, {item: new}, "again")


def test_corrections_are_checked_as_the_survey_checks_a_page(done) -> None:  # noqa: ANN001
    store, token, inv = done
    answered = store.state(token).answers
    item, spec = _field(store, "coded", answered)
    n_rows = len(store.answer_log(STUDY))
    with pytest.raises(PageValidationError, match="not one of the allowed codes"):
        correct_answers(store, STUDY, inv, {item: max(spec.codes) + 5}, "request")
    with pytest.raises(DataError, match="Not in the questionnaire"):
        correct_answers(store, STUDY, inv, {"no_such_item": 1}, "request")
    with pytest.raises(DataError, match="consent or screening"):
        correct_answers(store, STUDY, inv, {store.instrument.consent.question: 0}, "request")
    with pytest.raises(DataError, match="Give a reason"):
        correct_answers(store, STUDY, inv, {item: 1}, "  ")
    with pytest.raises(DataError, match="control"):
        correct_answers(store, STUDY, inv, {item: 1}, "request", actor="a\x1b[31m")
    with pytest.raises(DataError, match="at least one answer"):
        correct_answers(store, STUDY, inv, {}, "request")
    with pytest.raises(DataError, match="no invitation #999"):
        correct_answers(store, STUDY, 999, {item: 1}, "request")
    assert len(store.answer_log(STUDY)) == n_rows  # nothing stored by any of them
    assert correction_log(store, STUDY).empty


def test_not_sent_pages_and_withdrawn_respondents(db_url: str) -> None:
    from instruments.instrument.loader import load_instrument

    with ResponseStore(db_url, instrument=load_instrument()) as store:
        create_study(store, STUDY)
        inv = create_invitations(store, STUDY, 1)[0]
        with pytest.raises(DataError, match="has not answered yet"):
            correct_answers(store, STUDY, inv.invitation_id, {"x": 1}, "request")
        state = store.start(inv.token)
        plan = plan_answers(store, seed=state.seed, rng_seed=2)
        first = store.pages[0]
        store.submit_page(inv.token, first.id, plan[first.id], submission_key="p0")
        late = next(f.id for f in store.pages[-2].fields)
        with pytest.raises(DataError, match="has not sent page"):
            correct_answers(store, STUDY, inv.invitation_id, {late: 1}, "request")
        withdraw(store, inv.token)
        with pytest.raises(DataError, match="withdrawn"):
            correct_answers(store, STUDY, inv.invitation_id, {late: 1}, "request")


def test_erasure_takes_the_corrections_with_it(done) -> None:  # noqa: ANN001
    store, token, inv = done
    answered = store.state(token).answers
    item, spec = _field(store, "coded", answered)
    new = next(c for c in spec.codes if c != answered[item])
    correct_answers(store, STUDY, inv, {item: new}, "request quoting the answer")
    withdraw(store, token)
    with store.session() as session:
        assert session.query(AnswerCorrection).count() == 0
    assert correction_log(store, STUDY).empty


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_respondent_command_corrects_and_lists(done, db_url: str, capsys) -> None:  # noqa: ANN001
    from analysis.cli import main

    store, token, inv = done
    answered = store.state(token).answers
    item, spec = _field(store, "coded", answered)
    new = next(c for c in spec.codes if c != answered[item])
    base = ["respondent", "--study", STUDY, "--db", db_url]
    assert main([*base, "--invitation", str(inv), "--correct", f"{item}={new}"]) == 2
    assert "need --reason" in capsys.readouterr().err
    assert main([*base, "--invitation", str(inv), "--correct", f"{item}",
                 "--reason", "x"]) == 2
    assert "ITEM=VALUE" in capsys.readouterr().err
    assert main([*base, "--invitation", str(inv), "--correct", f"{item}=99",
                 "--reason", "mail of 6 Dec"]) == 2
    assert "not one of the allowed codes" in capsys.readouterr().err
    assert correction_log(store, STUDY).empty  # nothing stored by the refusals
    assert main([*base, "--invitation", str(inv), "--correct", f"{item}={new}",
                 "--reason", "mail of 6 Dec", "--actor", "JL"]) == 0
    err = capsys.readouterr().err
    assert f"{item} corrected from {answered[item]} to {new}" in err
    assert store.wide(STUDY).loc[0, item] == new
    assert main([*base, "--corrections"]) == 0
    listed = capsys.readouterr().out
    assert listed.splitlines()[0] == "invitation_id,item_id,reason,actor,corrected_at"
    assert f"{inv},{item},mail of 6 Dec,JL," in listed


def test_exclusion_texts_are_not_cut_without_a_word(done) -> None:  # noqa: ANN001
    """Taking an exclusion back kept reason and name cut to 500 characters; a name with a
    control character was stored."""
    from instruments.fieldwork.actions import (
        exclude_from_analysis,
        exclusion_log,
        include_in_analysis,
    )

    store, _token, inv = done
    with pytest.raises(DataError, match="control"):
        exclude_from_analysis(store, STUDY, inv, "speeding", actor="J\x1b[2JL")
    exclude_from_analysis(store, STUDY, inv, "speeding", actor="JL")
    with pytest.raises(DataError, match="at most 500"):
        include_in_analysis(store, STUDY, inv, "r" * 495, actor="Jana Lehmann")
    include_in_analysis(store, STUDY, inv, "checked", actor="JL")
    assert exclusion_log(store, STUDY)["restore_reason"].tolist() == ["checked (JL)"]
