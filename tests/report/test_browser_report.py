"""The report in a real browser (headless Chromium): it renders, and screenshots to look at.

Screenshots go to ``out/screenshots/report_*.png``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.ui.test_browser import CHROME_ARGS, SCREENSHOTS, _browser_paths


@pytest.fixture()
def driver() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = _browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    profile = tempfile.mkdtemp(prefix="chromium-report-")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1280,1000")
    drv = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    drv.set_page_load_timeout(30)
    yield drv
    drv.quit()


def test_report_renders_in_chromium(driver: Any, real_build: tuple[str, dict],
                                    tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    html, analysis = real_build
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    driver.get(page.as_uri())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / "report_top.png"))
    # every section is displayed with its heading
    for sid in ("results", "measurement", "fit", "structural", "hypotheses",
                "mediation-moderation", "appendix-dyadic", "provenance"):
        sec = driver.find_element(By.ID, sid)
        assert sec.is_displayed()
        assert sec.find_element(By.TAG_NAME, "h2").text
    # the path diagram is drawn at a readable size with all its boxes
    svg = driver.find_element(By.CSS_SELECTOR, "svg.pathdiagram")
    assert svg.size["width"] > 600 and svg.size["height"] > 150
    n_nodes = len(svg.find_elements(By.CSS_SELECTOR, "g.node"))
    assert n_nodes >= 5
    # the hypothesis table shows one row per hypothesis
    rows = driver.find_elements(By.CSS_SELECTOR, "#hypotheses table.verdicts tbody tr")
    assert len(rows) == len(analysis["hypotheses"])
    # table text is legible: not smaller than 11 px
    size = driver.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('#hypotheses td')).fontSize)")
    assert size >= 11
    for sid, name in (("structural", "diagram"), ("hypotheses", "hypotheses"),
                      ("fit", "fit"), ("mediation-moderation", "moderation"),
                      ("appendix-item-distributions", "items")):
        el = driver.find_element(By.ID, sid)
        driver.execute_script("arguments[0].scrollIntoView();", el)
        (SCREENSHOTS / f"report_{name}.png").write_bytes(el.screenshot_as_png)
    driver.set_window_size(390, 844)  # phone width: tables scroll inside their box
    driver.execute_script("window.scrollTo(0, 0);")
    driver.save_screenshot(str(SCREENSHOTS / "report_phone.png"))
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 400, "the page must not scroll sideways on a phone"


def test_app_frame_draws_every_figure_where_the_report_has_it(driver: Any,
                                                               real_build: tuple[str, dict],
                                                               tmp_path: Path) -> None:
    """The Analysis tab's frame shows the main body with its figures drawn after the tables
    (lazy_figures): each figure's place is kept meanwhile, and every figure is soon drawn
    there, as in the report."""
    from selenium.webdriver.support.ui import WebDriverWait

    from analysis.report import lazy_figures, report_parts

    main, _ = report_parts(real_build[0])
    figures = ("return [...document.querySelectorAll('figure svg')].map((s) => {"
               " const r = s.getBoundingClientRect();"
               " return [Math.round(r.top + scrollY), Math.round(r.width),"
               " Math.round(r.height), s.querySelectorAll('*').length]; });")
    shown = {}
    for name, page in (("report", main), ("frame", lazy_figures(main))):
        path = tmp_path / f"{name}.html"
        path.write_text(page, encoding="utf-8")
        driver.get(path.as_uri())
        shown[f"{name} at first"] = driver.execute_script(figures)
        WebDriverWait(driver, 10).until(
            lambda d: not d.execute_script("return document.querySelector('svg[data-lazy]')"))
        shown[name] = driver.execute_script(figures)
    assert len(shown["report"]) >= 4
    assert shown["frame"] == shown["report"]
    # the places (top, width, height) are kept while figures wait to be drawn
    assert [f[:3] for f in shown["frame at first"]] == [f[:3] for f in shown["report"]]
