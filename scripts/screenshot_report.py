#!/usr/bin/env python3
"""Screenshots of a report's main body at 1280 px in headless Chromium, with its counts.

Usage (from the repository root)::

    python scripts/screenshot_report.py out/report/demo_report.html [--out out/screenshots]

Writes ``main_01.png``, ``main_02.png``, ... (one per screen height, top to bottom of the
main body, 100 % zoom) and prints the number of numbered tables and figures in the main
body and in the online appendix, whether any table is wider than its box, headings with
nothing under them and figure labels drawn outside their figure.
Needs Debian's ``chromium`` and ``chromium-driver`` and the Python ``selenium`` package.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--hide-scrollbars", "--force-device-scale-factor=1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", help="The HTML report.")
    parser.add_argument("--out", default="out/screenshots", help="Folder for the PNG files.")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        print("Needs chromium and chromedriver (apt-get install chromium chromium-driver).",
              file=sys.stderr)
        return 2
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for a in ARGS:
        options.add_argument(a)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-shots-')}")
    options.add_argument(f"--window-size={args.width},{args.height}")
    drv = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        drv.set_page_load_timeout(60)
        drv.get(Path(args.report).resolve().as_uri())
        counts = drv.execute_script("""
            const app = document.getElementById('appendix');
            const inMain = el => !app || !app.contains(el);
            const tabs = [...document.querySelectorAll('.tabnum')];
            const figs = [...document.querySelectorAll('.fignum')];
            const wide = [...document.querySelectorAll('main .tablewrap')]
                .filter(w => w.scrollWidth > w.clientWidth + 1).length;
            // a heading with nothing after it before the next heading or the section end
            const heads = [...document.querySelectorAll('main h2, main h3, main h4')];
            const empty = heads.filter(h => {
                const next = h.nextElementSibling;
                return !next || /^H[1-6]$/.test(next.tagName)
                    || (next.textContent.trim() === '' && !next.querySelector('svg, img'));
            }).map(h => h.textContent.trim());
            // text of a figure drawn outside the figure's own box (cut off on screen)
            const off = [];
            for (const svg of document.querySelectorAll('main svg')) {
                const box = svg.getBoundingClientRect();
                for (const t of svg.querySelectorAll('text')) {
                    const r = t.getBoundingClientRect();
                    if (r.width === 0) continue;
                    if (r.left < box.left - 1 || r.right > box.right + 1
                        || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
                        off.push((svg.getAttribute('aria-label') || 'svg') + ': '
                                 + t.textContent.trim());
                    }
                }
            }
            const end = app ? app.getBoundingClientRect().top + window.scrollY
                            : document.body.scrollHeight;
            return {main_tables: tabs.filter(inMain).length,
                    main_figures: figs.filter(inMain).length,
                    appendix_tables: tabs.filter(e => !inMain(e)).length,
                    appendix_figures: figs.filter(e => !inMain(e)).length,
                    wide_tables: wide, main_height: end,
                    empty_headings: empty, labels_off_edge: off,
                    page_width: document.documentElement.scrollWidth};""")
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("main_*.png"):  # a shorter report must not leave stale pages
            old.unlink()
        view = drv.execute_script("return window.innerHeight")
        k, y = 0, 0
        while y < counts["main_height"]:
            drv.execute_script(f"window.scrollTo(0, {y});")
            k += 1
            drv.save_screenshot(str(out / f"main_{k:02d}.png"))
            y += view
        print(f"{k} screenshots of the main body at {args.width} px in {out}/ "
              f"(main body {counts['main_height']:.0f} px high).")
        print(f"Main body: {counts['main_tables']} tables, {counts['main_figures']} figures; "
              f"online appendix: {counts['appendix_tables']} tables, "
              f"{counts['appendix_figures']} figures.")
        print(f"Main-body tables wider than their box (scrolling sideways): "
              f"{counts['wide_tables']}; page width {counts['page_width']} px.")
        print(f"Empty headings: {len(counts['empty_headings'])}"
              + "".join(f"\n  - {h}" for h in counts["empty_headings"]))
        print(f"Figure labels outside their figure: {len(counts['labels_off_edge'])}"
              + "".join(f"\n  - {t}" for t in counts["labels_off_edge"][:20]))
    finally:
        drv.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
