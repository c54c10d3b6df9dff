"""A section that cannot be computed tells the reader why in plain words (methods review
10: the dyadic appendix printed "DataError: Dyadic analysis needs ..." to the reader); an
unexpected failure keeps its class name, as a bug to report."""

from __future__ import annotations

from analysis.errors import DataError
from analysis.study.pipeline import _section


def _fails(exc: Exception):  # noqa: ANN202
    def f() -> None:
        raise exc
    return f


def test_a_user_caused_failure_is_said_in_its_own_words() -> None:
    warns: list[str] = []
    out = _section(_fails(DataError("Dyadic analysis needs at least 10 dyads.")), "Dyadic", warns)
    assert out == {"available": False, "reason": "Dyadic analysis needs at least 10 dyads."}
    assert warns == ["Dyadic failed: Dyadic analysis needs at least 10 dyads."]


def test_an_unexpected_failure_keeps_its_class_name() -> None:
    warns: list[str] = []
    out = _section(_fails(ZeroDivisionError("division by zero")), "Dyadic", warns)
    assert out["reason"] == "ZeroDivisionError: division by zero"
    assert warns == ["Dyadic failed: ZeroDivisionError: division by zero"]
