"""The invariance table's words for the invariance campaign's new cases
(tests/test_invariance_campaign.py): a step that could not be compared is not called an
improper solution, and respondents who answered none of a scale's items are counted among
those in no group."""

from __future__ import annotations

from analysis.report.check import check_report
from tests.report.test_main_body import _section, _text
from tests.report.test_review3 import _table
from tests.report.test_review4 import _by_scale, _render, demo_like


def test_a_step_without_a_fit_difference_is_not_called_improper() -> None:
    a = demo_like()
    inv = a["measurement"]["invariance"]["language"]
    inv["summary"][0].update(highest_level_supported="configural",
                             first_failed_level="loadings")
    inv["by_scale"]["trust"]["levels"].append(
        {"level": "loadings", "chisq": 9.1, "df": 13.0, "cfi": None, "rmsea": 0.02,
         "decision": "not judged (fit difference undefined)"})
    html = _render(a)
    assert check_report(html, a) == []
    text = _text(_section(html, "invariance"))
    assert "could not be compared with the level below (fit difference undefined)" in text
    assert "improper" not in text


def test_an_improper_step_is_still_called_improper() -> None:
    a = demo_like()
    inv = a["measurement"]["invariance"]["language"]
    inv["summary"][0].update(highest_level_supported="configural",
                             first_failed_level="loadings")
    inv["by_scale"]["trust"]["levels"].append(
        {"level": "loadings", "chisq": 9.1, "df": 13.0, "cfi": 0.99, "rmsea": 0.02,
         "decision": "not judged (improper solution)"})
    text = _text(_section(_render(a), "invariance"))
    assert "the metric (loadings) model has an improper solution" in text


def test_respondents_without_an_answer_to_the_scale_are_counted() -> None:
    a = demo_like()
    inv = a["measurement"]["invariance"]
    inv["firm_role"] = _by_scale({"A": 150, "B": 89},
                                 {"no_value": 0, "dyad_member": 85, "no_answer": 22})
    html = _render(a)
    assert check_report(html, a) == []
    note = _text(_table(_section(html, "invariance"), "Measurement invariance"))
    assert "By firm role, 107 of them are in no group" in note
    assert "22 answered none of the scale's items" in note
