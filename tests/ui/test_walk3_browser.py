"""In a real headless Chromium: a defect found on the third browser walk.

- Streamlit's own "Skip to main content" link (the first Tab stop of every page) was
  English on German pages, and the document said ``lang="en"`` to screen readers: both
  now follow the page's language, also after the language switch.
"""

from __future__ import annotations

from instruments.ui.respondent import widget_key
from instruments.ui.texts import t
from tests.ui.conftest import STUDY
from tests.ui.test_browser import (  # noqa: F401 - fixtures
    _until,
    key_css,
    new_driver,
    press,
    server,
    wait_for,
)

_SKIP = """const a = document.querySelector('a[data-testid="stSkipToContent"]');
return [document.documentElement.lang, a ? a.textContent : null];"""


def test_skip_link_and_page_language_follow_the_page(server, new_driver) -> None:  # noqa: F811
    from instruments.fieldwork.invitations import create_invitations

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Beta GmbH", language="de")[0]
    driver = new_driver()
    driver.get(inv.link(base))
    wait_for(driver, key_css(widget_key("consent", "consent")))
    german = ["de", t("skip_link", "de")]
    _until(driver, lambda d: d.execute_script(_SKIP) == german,
           f"the German skip link and lang (now {driver.execute_script(_SKIP)})")
    press(driver, "English")
    english = ["en", t("skip_link", "en")]
    _until(driver, lambda d: d.execute_script(_SKIP) == english,
           f"the English skip link and lang (now {driver.execute_script(_SKIP)})")
