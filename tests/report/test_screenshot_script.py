"""scripts/screenshot_report.py in headless Chromium: pages, counts and the layout checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.test_browser import _browser_paths

ROOT = Path(__file__).resolve().parents[2]

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<main>
<section id="a"><h2>Filled</h2><p>Text.</p>
<div class="tablewrap"><table><caption><span class="tabnum">Table 1</span></caption>
<tr><td>1</td></tr></table></div></section>
<section id="b"><h2>Nothing under this heading</h2></section>
<section id="c"><h2>Figure</h2>
<figure><svg width="200" height="100" viewBox="0 0 200 100" aria-label="fig-test">
<text x="10" y="50">inside</text><text x="185" y="50">cut off at the edge</text></svg>
<figcaption><span class="fignum">Figure 1.</span> A figure.</figcaption></figure></section>
</main>
<div id="appendix"><h1>Online appendix</h1><span class="tabnum">Table A1</span></div>
</body></html>
"""


@pytest.mark.slow
def test_screenshot_script_counts_and_flags_layout_faults(tmp_path: Path) -> None:
    _browser_paths()
    page = tmp_path / "report.html"
    page.write_text(PAGE, encoding="utf-8")
    out = tmp_path / "shots"
    out.mkdir()
    (out / "main_09.png").write_bytes(b"stale")
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "screenshot_report.py"),
                          str(page), "--out", str(out)], capture_output=True, text=True,
                         timeout=120, cwd=ROOT, check=False)
    assert run.returncode == 0, run.stderr
    text = run.stdout
    assert "Main body: 1 tables, 1 figures; online appendix: 1 tables, 0 figures." in text
    assert "Empty headings: 1\n  - Nothing under this heading" in text
    assert "Figure labels outside their figure: 1\n  - fig-test: cut off at the edge" in text
    pages = sorted(p.name for p in out.glob("main_*.png"))
    assert pages and "main_09.png" not in pages  # the stale page of an earlier run is gone
