"""The report's number formatting (the only place where values are rounded)."""

from __future__ import annotations

import math

import pytest

from analysis.report.fmt import MINUS, fmt, stars


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (0.0004, "p", "< .001"),
        (0.0499, "p", ".050"),
        (1.0, "p", "1.000"),
        (0.5, "std", ".50"),
        (-0.456, "std", f"{MINUS}.46"),
        (1.234, "std", "1.23"),
        (0.95, "fit", ".950"),
        (-0.0004, "est", "0.000"),  # no negative zero
        (12.3456, "chisq", "12.35"),
        (289, "fit", "289"),  # integers stay integers
        (3.0, "int", "3"),
        (84.0, "num", "84"),  # a count stored as float is no "84.000"
        (84.5, "num", "84.500"),
        (7.0, "est", "7.000"),  # estimates keep their decimals
        (None, "est", "NA"),
        (math.nan, "est", "NA"),
        (math.inf, "std", "NA"),
        ("text", "est", "text"),
        (True, "num", "yes"),
    ],
)
def test_fmt(value, kind, expected) -> None:
    assert fmt(value, kind) == expected


def test_stars() -> None:
    assert [stars(p) for p in (0.0001, 0.005, 0.03, 0.2, None)] == ["***", "**", "*", "", ""]
