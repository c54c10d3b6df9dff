"""Frame texts around the questions read correctly in every survey language."""

from __future__ import annotations

from instruments.ui.fields import page_fields
from instruments.ui.respondent import _label


def test_units_and_ranges_read_correctly_in_german_and_english(store) -> None:
    views = {v.id: v for v in page_fields(store, "alliance", seed=0, lang="de", partner=None)}
    label = _label(views["alliance_age"], "de").replace("\\", "")
    assert label.endswith("(Jahre, von 0 bis 100)\u00a0*"), label  # not "in Jahre"
    views = {v.id: v for v in page_fields(store, "alliance", seed=0, lang="en", partner=None)}
    label = _label(views["alliance_age"], "en").replace("\\", "")
    assert label.endswith("(in years, from 0 to 100)\u00a0*"), label
