"""Decimal questions are text fields read with a point or a comma (see fields.parse_decimal)."""

from __future__ import annotations

import pytest

from instruments.ui.fields import format_decimal, parse_decimal


@pytest.mark.parametrize(("typed", "number"), [
    ("1,5", 1.5), ("1.5", 1.5), (" 2 ", 2.0), ("0,25", 0.25), (",5", 0.5), ("12", 12.0),
    ("-1,5", -1.5), ("1 5", 15.0),
])  # fmt: skip
def test_a_point_or_a_comma_is_the_decimal_mark(typed: str, number: float) -> None:
    assert parse_decimal(typed) == number


@pytest.mark.parametrize("typed", ["zwei", "1.000,5", "1,000.5", "1e3", "inf", "nan", "", "1,5 Jahre"])
def test_text_that_is_not_a_plain_decimal_is_refused(typed: str) -> None:
    assert parse_decimal(typed) is None


def test_a_decimal_is_shown_the_way_the_language_writes_it() -> None:
    assert format_decimal(1.5, "de") == "1,5"
    assert format_decimal(1.5, "en") == "1.5"
    assert format_decimal(37.0, "de") == "37"
