"""A survey bot in the spirit of oTree's: it walks every page and submits answers.

:func:`plan_answers` decides, for one respondent, a valid answer to every field
of every page (attention checks answered correctly, screening passed, consent
given, optional items sometimes skipped); :func:`walk_apptest` drives the
Streamlit app through ``AppTest`` with those answers.  The browser test uses
the same plan to click through a real Chromium.
"""

from __future__ import annotations

import json
import random
from typing import Any

from instruments.ui.fields import FieldView, page_fields
from instruments.ui.rating import NAME as RATING_NAME
from instruments.ui.rating import chosen_code, draft_state
from instruments.ui.respondent import widget_key
from instruments.ui.texts import t

#: The soft prompt's "continue anyway" button in every language.
SOFT_CONTINUE = {t("soft_continue", lang) for lang in ("en", "de")}


def plan_answers(
    store: Any, *, seed: int, rng_seed: int = 0, lang: str = "en", skip_optional: bool = True
) -> dict[str, dict[str, Any]]:
    """A valid answer for every field, page by page (page id -> item id -> value).

    Parameters
    ----------
    store
        The response store (its instrument and pages).
    seed
        The respondent's seed, for the shown item order.
    rng_seed
        Seed of the bot's own choices.
    lang
        Language of the texts (only matters for the field views).
    skip_optional
        Leave every third optional scale item unanswered (to test missing values).
    """
    rng = random.Random(rng_seed)
    inst = store.instrument
    checks = {c.id: c for c in inst.attention_checks}
    plan: dict[str, dict[str, Any]] = {}
    given: dict[str, Any] = {}  # what the survey logic reads: the answers of earlier pages
    for spec in store.pages:
        answers: dict[str, Any] = {}
        if not spec.shown(given):
            continue
        views = page_fields(store, spec.id, seed=seed, lang=lang, partner=None, answers=given)
        for k, view in enumerate(views):
            answers[view.id] = _answer(view, k, rng, inst, checks, skip_optional)
        plan[spec.id] = answers
        given.update({k: v for k, v in answers.items() if v is not None})
    return plan


def plan_so_far(plan: dict[str, dict[str, Any]], page: str) -> dict[str, Any]:
    """The planned answers of the pages before ``page`` (what its survey logic reads)."""
    out: dict[str, Any] = {}
    for pid, answers in plan.items():
        if pid == page:
            break
        out.update({k: v for k, v in answers.items() if v is not None})
    return out


def _answer(
    view: FieldView, k: int, rng: random.Random, inst: Any, checks: dict, skip: bool
) -> Any:
    if view.id == inst.consent.question:
        return int(inst.consent.accept_value)
    if view.id == inst.screening.question:
        return max(view.options)
    if view.id in checks:
        return int(checks[view.id].correct[0])
    if skip and not view.required and view.matrix and k % 3 == 2:
        return None
    if view.kind in ("coded", "boolean"):
        return rng.choice(view.options)
    if view.kind == "integer":
        return rng.randint(int(view.min or 0), int(min(view.max or 10, 10)))
    if view.kind == "number":
        return rng.randint(1, 20) / 2
    if not view.required:
        return "Works well so far; <b>not HTML</b> & *not markdown*."
    return "text"  # pragma: no cover - the instrument has no required free text


def fill_page(at: Any, page: str, answers: dict[str, Any]) -> None:
    """Set the widgets of ``page`` in an ``AppTest`` to ``answers``."""
    for item_id, value in answers.items():
        key = widget_key(page, item_id)
        widget = find_widget(at, key)
        if isinstance(value, str):
            widget.input(value)
        elif widget.type == "text_input":  # a decimal question is a text field
            widget.input("" if value is None else f"{value:g}")
        else:
            widget.set_value(value)


class RatingRow:
    """A rating row (:mod:`instruments.ui.rating`) of an ``AppTest`` page, with what the
    tests use of ``st.radio``: ``key``, ``label``, ``options``, ``value`` (the code the
    page shows, or the one set and not yet sent) and ``set_value`` (as a click does: the
    choice is sent with the page's button)."""

    type = "rating_row"

    def __init__(self, at: Any, data: dict[str, Any]) -> None:
        self._at = at
        self.key = data["name"]
        self.label = data["label"]
        self.options = [code for code, _text in data["options"]]
        self.option_labels = [text for _code, text in data["options"]]
        self._shown = data["value"]

    @property
    def value(self) -> Any:
        if self.key in self._at.session_state:
            return chosen_code(self._at.session_state[self.key])
        return self._shown

    def set_value(self, value: Any) -> RatingRow:
        if value is not None and value not in self.options:
            raise ValueError(f"{value!r} is not an option of {self.key!r}.")
        self._at.session_state[self.key] = draft_state(value)
        return self


def rating_rows(at: Any) -> list[RatingRow]:
    """The rating rows of an ``AppTest`` page, in page order."""
    found = [json.loads(e.proto.json) for e in at.get("bidi_component")
             if e.proto.component_name == RATING_NAME]
    return [RatingRow(at, data) for data in found if "options" in data]  # not the scroll


def survey_widgets(at: Any) -> list[Any]:
    """Every answer widget of an ``AppTest`` page: radios, rating rows, numbers, texts
    (a decimal question is a text field)."""
    return [*at.radio, *rating_rows(at), *at.number_input, *at.text_input, *at.text_area]


def find_widget(at: Any, key: str) -> Any:
    for widget in survey_widgets(at):
        if widget.key == key:
            return widget
    raise KeyError(f"No widget {key!r} on the page.")


def click(at: Any, label: str) -> Any:
    """Click the button labelled ``label`` and rerun the app."""
    for button in at.button:
        if button.label == label:
            return button.click().run()
    raise KeyError(f"No button {label!r}; buttons: {[b.label for b in at.button]}.")


def open_tab(at: Any, label: str) -> Any:
    """Open the study lead's tab ``label`` and rerun the app (only the open tab runs, as
    a click on the tab does in the browser)."""
    from instruments.ui.admin import TAB_KEY, TABS

    if label not in TABS:
        raise KeyError(f"No tab {label!r}; tabs: {list(TABS)}.")
    at.session_state[TAB_KEY] = label
    return at.run()


def walk_apptest(
    at: Any, store: Any, plan: dict[str, dict[str, Any]], *, stop_after: int | None = None
) -> list[str]:
    """Answer pages in order with ``plan`` until the survey ends (or ``stop_after`` pages).

    Returns the ids of the pages submitted.
    """
    done = []
    for spec in store.pages:
        if stop_after is not None and len(done) >= stop_after:
            break
        if spec.id not in plan:
            continue  # skipped by the survey logic
        if not any(w.key and w.key.startswith(f"w:{spec.id}:") for w in survey_widgets(at)):
            continue  # already answered earlier (resumed session)
        fill_page(at, spec.id, plan[spec.id])
        label = [b.label for b in at.button if b.key != "survey.withdraw"][-1]
        click(at, label)
        soft = [b.label for b in at.button if b.label in SOFT_CONTINUE]
        if soft:  # the bot leaves some optional statements empty on purpose
            click(at, soft[0])
        if at.exception:
            raise AssertionError(f"App raised on page {spec.id}: {at.exception}")
        done.append(spec.id)
    return done

