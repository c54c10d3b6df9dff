"""The appendix rendered on a child process gives the bytes of the serial rendering."""

from __future__ import annotations

import re

import pytest

from analysis.forked import can_fork
from analysis.report import render_html
from tests.report.fixture_analysis import fixture_analysis


@pytest.mark.skipif(not can_fork(), reason="needs fork and two usable cores")
def test_parallel_rendering_is_byte_identical():
    analysis = fixture_analysis()
    # parts missing from the main body and from the appendix: the warnings section lists
    # the notes of both, the main body's first, whichever process rendered them
    analysis.pop("structural")
    analysis.pop("dyadic", None)
    serial = render_html(analysis, extras={}, parallel=False)
    parallel = render_html(analysis, extras={}, parallel=True)
    assert parallel == serial
    at = serial.index('id="warnings"')
    notes = re.findall(r"Not available: (\w+ \w+)", serial[at:serial.index("</section>", at)])
    # a main-body note comes before the appendix's, whose own order is kept
    ours = [n for n in notes if n in ("the structural", "item distributions", "dyadic analysis")]
    assert ours == ["the structural", "item distributions", "dyadic analysis"]
