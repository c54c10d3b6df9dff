"""The rating row (:mod:`instruments.ui.rating`) in a real headless Chromium: answered with
the keyboard alone (arrow keys and the space bar, as in any web form), each question a
named group for screen readers, the theme's text colour in light and dark mode, and the
choice stored only with the page's button."""

from __future__ import annotations

from instruments.ui.fields import page_fields
from instruments.ui.respondent import widget_key
from tests.ui.conftest import STUDY
from tests.ui.survey_bot import plan_answers
from tests.ui.test_browser import (  # noqa: F401 - fixtures
    _until,
    answer,
    key_css,
    new_driver,  # noqa: F811
    press,
    server,  # noqa: F811
    settles,
    wait_for,
    wait_idle,
)
from tests.ui.test_browser_rights import _walk

#: Per rating row of the page: its key class, the legend's text, the names of its radio
#: inputs (one name per row), the checked option's value and the legend's text colour.
_ROWS = """
return [...document.querySelectorAll('fieldset.as-rating')].map(f => {
  const inputs = [...f.querySelectorAll('input[type=radio]')];
  const box = f.closest('[class*="st-key-w-"]');
  return {key: box ? [...box.classList].find(c => c.startsWith('st-key-w-')) : null,
          legend: f.querySelector('legend').textContent,
          names: [...new Set(inputs.map(i => i.name))],
          checked: inputs.filter(i => i.checked).map(i => i.value),
          color: getComputedStyle(f.querySelector('legend')).color};
});
"""

# The keyboard put on the first element matching arguments[0] (false while none is drawn).
_FOCUS = """
const e = document.querySelector(arguments[0]);
if (!e) return false;
e.focus();
return document.activeElement === e;
"""

# The text colour of the page's section introduction (Streamlit's own Markdown).
_TEXT_COLOR = """
const p = [...document.querySelectorAll('[data-testid="stMarkdownContainer"] p')]
  .find(e => e.textContent.includes(arguments[0]));
return p ? getComputedStyle(p).color : null;
"""


def _open_learning(server, new_driver, rng_seed: int, dark: bool = False):  # noqa: ANN001, ANN202, F811
    from instruments.fieldwork.invitations import create_invitations

    base, store = server
    inv = create_invitations(store, STUDY, 1)[0]
    driver = new_driver()
    driver.set_window_size(1280, 900)
    if dark:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
            "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    driver.get(inv.link(base))
    wait_for(driver, key_css(widget_key("consent", "consent")))
    seed = store.state(inv.token).seed
    plan = plan_answers(store, seed=seed, rng_seed=rng_seed, skip_optional=False)
    _walk(driver, store, plan, ["consent", "screening", "alliance"], seed,
          ["Start the survey", "Next", "Next"])  # fmt: skip
    views = page_fields(store, "learning", seed=seed, lang="en", partner=None)
    wait_for(driver, key_css(widget_key("learning", views[-1].id)))
    return driver, store, inv, plan, views


def test_rating_rows_answered_with_the_keyboard_alone(server, new_driver) -> None:  # noqa: F811
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver, store, inv, plan, views = _open_learning(server, new_driver, rng_seed=21)
    # one named group per question, in the page's order, each with its own radio name (the
    # rows are built by the browser after the page's run: read once all of them are there)
    settles(driver, lambda d: [r["key"] for r in d.execute_script(_ROWS)],
            [key_css(widget_key("learning", v.id))[1:] for v in views
             if v.kind in ("coded", "boolean")], "one rating row per question")  # fmt: skip
    rows = driver.execute_script(_ROWS)
    assert all(len(r["names"]) == 1 for r in rows)
    assert len({r["names"][0] for r in rows}) == len(rows)
    assert all(r["checked"] == [] for r in rows)
    first, second = [v for v in views if v.matrix][:2]
    # Tab reaches the first question's options; three presses of the right arrow move the
    # choice to the fourth option
    _until(driver, lambda d: d.execute_script(
        _FOCUS, f"{key_css(widget_key('learning', first.id))} input[type=radio]"),
        "the keyboard on the first question's first option")  # fmt: skip
    ActionChains(driver).send_keys(Keys.SPACE).send_keys(Keys.ARROW_RIGHT * 3).perform()
    # the next question: Tab into its group, then the space bar chooses its first option
    ActionChains(driver).send_keys(Keys.TAB).perform()
    focused = driver.execute_script(
        "const e = document.activeElement; return [e.name, e.value];")
    assert focused == [widget_key("learning", second.id), str(list(second.options)[0])]
    ActionChains(driver).send_keys(Keys.SPACE).perform()
    by_key = {r["key"]: r["checked"] for r in driver.execute_script(_ROWS)}
    assert by_key[key_css(widget_key("learning", first.id))[1:]] == [
        str(list(first.options)[3])]
    assert by_key[key_css(widget_key("learning", second.id))[1:]] == [
        str(list(second.options)[0])]
    # nothing is stored before the page's button is pressed
    assert first.id not in store.state(inv.token).answers
    others = [v for v in views if v.id not in (first.id, second.id)]
    answer(driver, "learning", others, plan["learning"])
    press(driver, "Next")
    wait_for(driver, key_css(widget_key("dependence", page_fields(
        store, "dependence", seed=store.state(inv.token).seed, lang="en", partner=None)[0].id)))
    stored = store.state(inv.token).answers
    assert stored[first.id] == list(first.options)[3]
    assert stored[second.id] == list(second.options)[0]
    assert all(stored[v.id] == plan["learning"][v.id] for v in others)


def test_rating_rows_take_the_theme_text_colour(server, new_driver) -> None:  # noqa: F811
    from instruments.ui.fields import section_intro

    colours = {}
    for dark in (False, True):
        driver, store, _inv, _plan, views = _open_learning(server, new_driver, rng_seed=22,
                                                            dark=dark)
        intro = section_intro(store.instrument, "learning", "en", None).split(".")[0][:40]
        n_rows = sum(v.kind in ("coded", "boolean") for v in views)
        # the introduction and every rating row drawn (the rows come after the page's run)
        _until(driver, lambda d, intro=intro, n=n_rows: d.execute_script(_TEXT_COLOR, intro)
               is not None and len(d.execute_script(_ROWS)) == n, "the text and rows")  # fmt: skip
        wait_idle(driver)
        page_colour = driver.execute_script(_TEXT_COLOR, intro)
        legends = {r["color"] for r in driver.execute_script(_ROWS)}
        assert page_colour is not None
        assert legends == {page_colour}, (dark, legends, page_colour)
        colours[dark] = page_colour
    assert colours[False] != colours[True]  # the dark theme was really shown
