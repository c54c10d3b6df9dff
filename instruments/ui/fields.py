"""What a survey page shows and how its answers are submitted (no Streamlit here).

:func:`page_fields` turns one page of the store into :class:`FieldView` objects
(text with the partner filled in, response options with labels, shown order),
:func:`submit_answers` sends a page to the store and turns every possible outcome
(saved, invalid answers, refused token, lost database) into a
:class:`SubmitOutcome` that the page can show.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analysis.errors import ResponseError
from instruments.instrument.schema import fill_text
from instruments.store.limits import encoding_problem
from instruments.store.pages import PageValidationError
from instruments.ui.texts import DECIMAL_MARK, GROUP_MARK, group_thousands, t, tn

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")


def escape_md(text: str) -> str:
    """Escape Markdown so that ``text`` is shown literally (never as HTML or formatting).

    Streamlit renders widget labels and ``st.markdown`` as Markdown; partner names
    and item texts are data, so every Markdown character is backslash-escaped.
    Paragraph breaks (blank lines) are kept.
    """
    return _MD_SPECIAL.sub(r"\\\1", text)


def is_missing(value: Any) -> bool:
    """Whether a widget value means "not answered"."""
    if value is None:
        return True
    if isinstance(value, str) and value.strip() == "":
        return True
    return isinstance(value, float) and math.isnan(value)


@dataclass(frozen=True)
class FieldView:
    """One question as shown on a page.

    ``kind`` is the store's field kind (``coded``, ``integer``, ``number``,
    ``text``, ``boolean``); ``options`` the codes in display order with
    ``labels`` (code -> label) for coded and boolean fields; ``matrix`` is true
    for scale items and attention checks (shown as a labelled 7-point row).
    """

    id: str
    kind: str
    text: str
    required: bool
    matrix: bool = False
    options: tuple[int, ...] = ()
    labels: dict[int, str] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    unit: str | None = None
    max_length: int | None = None
    #: The scale block of a matrix item (one response scale per block).
    block: str | None = None
    #: Optional, but the respondent is asked once before leaving it empty (soft prompt).
    request: bool = False


def partner_label(partner_name: str | None) -> str:
    """The value for ``{partner}``: the invitation's partner name or the generic wording."""
    return partner_name if partner_name else "the partner"


def page_fields(
    store: Any,
    page: str | int,
    *,
    seed: int,
    lang: str,
    partner: str | None,
    answers: Mapping[str, Any] | None = None,
) -> list[FieldView]:
    """The fields of one page in the order this respondent sees them.

    Parameters
    ----------
    store
        The :class:`~instruments.store.ResponseStore` (its instrument and pages).
    page
        Page id or index.
    seed
        The respondent's seed (``RespondentState.seed``); the order comes from
        :meth:`ResponseStore.item_order`, the same order the store records.
    lang
        Language of the texts.
    partner
        Partner name from the invitation (``None``: generic wording).
    answers
        The respondent's answers so far: fields whose ``show_if`` condition does not
        hold for them are left out (survey logic, decided on the server).  ``None``
        lists every field of the page.
    """
    inst = store.instrument
    spec = store.page(page)
    section = inst.section(spec.id)
    page_request = bool(getattr(section, "request_response", False))
    by_id = {f.id: f for f in spec.fields}
    hidden = set(spec.hidden(answers)) if answers is not None else set()
    views = []
    for item_id in store.item_order(seed, spec.id):
        if item_id in hidden:
            continue
        spec_field = by_id[item_id]
        obj = inst.item(item_id)
        text = inst.item_text(item_id, lang, partner=partner_label(partner))
        responses = inst.response_list(item_id)
        options: tuple[int, ...] = ()
        labels: dict[int, str] = {}
        if responses is not None and spec_field.kind in ("coded", "boolean"):
            labels = responses.value_labels(lang)
            options = tuple(labels)
        unit = getattr(obj, "unit", None)
        views.append(
            FieldView(
                id=item_id,
                kind=spec_field.kind,
                text=text,
                required=spec_field.required,
                matrix=spec_field.randomize,
                options=options,
                labels=labels,
                min=spec_field.min,
                max=spec_field.max,
                unit=unit.get(lang) if isinstance(unit, Mapping) else None,
                max_length=spec_field.max_length if spec_field.kind == "text" else None,
                block=spec_field.block,
                request=not spec_field.required
                and (page_request or bool(getattr(obj, "request_response", False))),
            )
        )
    return views


_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")


def _grouped(lang: str | None) -> tuple[str, str] | None:
    """The thousands separator and the decimal mark of ``lang`` (``None``: no language)."""
    if lang not in GROUP_MARK or lang not in DECIMAL_MARK:
        return None
    return GROUP_MARK[lang], DECIMAL_MARK[lang]


def ambiguous_decimal(text: str, lang: str | None) -> bool:
    """Whether ``text`` is a number whose one mark may be the thousands separator of
    ``lang`` or a decimal mark ("1,000" in English, "1.000" in German: a thousand as the
    language writes it, one as the other language does).

    Such an answer is not guessed: the respondent is asked to write it without the
    thousands separator (:func:`number_problem`).  A mark followed by other than three
    digits ("1,5"), a number starting with 0 ("0,500") and a number with more groups or
    a decimal part as well ("1,000,000", "1,500.25") are not ambiguous."""
    marks = _grouped(lang)
    if marks is None:
        return False
    s = "".join(text.split())
    return re.fullmatch(rf"[+-]?[1-9]\d{{0,2}}{re.escape(marks[0])}\d{{3}}", s) is not None


def parse_decimal(text: str, lang: str | None = None) -> float | None:
    """The number in ``text`` typed with a point or a comma as the decimal mark ("1.5",
    "1,5", " 2 "); ``None`` when it is not a plain decimal number.

    Decimal questions are text fields: a browser's number field drops a comma, so a
    German "1,5" arrived as 15.  Without ``lang``, text with more than one mark
    ("1.000,5") is ambiguous and refused, as are words, exponents and infinities.  With
    ``lang``, numbers grouped
    in thousands as that language writes them are read ("1,500.25" and "1,000,000" in
    English, "1.500,25" in German), and a number that may be grouped or decimal in it
    (:func:`ambiguous_decimal`: "1,000" in English) is ``None``: it was read as 1.0
    without a word.
    """
    s = "".join(text.split())
    marks = _grouped(lang)
    if marks is not None:
        group, mark = (re.escape(m) for m in marks)
        if ambiguous_decimal(s, lang):
            return None
        if re.fullmatch(rf"[+-]?[1-9]\d{{0,2}}(?:{group}\d{{3}})+(?:{mark}\d+)?", s):
            return float(s.replace(marks[0], "").replace(marks[1], "."))
    if s.count(",") + s.count(".") > 1:
        return None
    s = s.replace(",", ".")
    return float(s) if _DECIMAL.fullmatch(s) else None


_WHOLE = re.compile(r"[+-]?\d+")


def parse_whole(text: str, lang: str | None = None) -> int | None:
    """The whole number in ``text`` ("12", " 1 000 "); ``None`` when it is anything else.

    Whole-number questions are text fields, as decimal ones are: a browser's number field
    given a stored answer cannot be emptied (it snaps back to its last number), so an
    optional answer could not be taken back after *Back*.  A decimal mark is refused
    rather than guessed: "1.000" is one thousand in German and one in English.  With
    ``lang``, that language's thousands grouping is read ("1,000" in English, "1.000" in
    German): a German respondent who wrote "1.000" alliances was told to enter a whole
    number, which it is, instead of the question's range.
    """
    s = "".join(text.split())
    mark = GROUP_MARK.get(lang or "")
    if mark and re.fullmatch(rf"[+-]?\d{{1,3}}(?:{re.escape(mark)}\d{{3}})+", s):
        s = s.replace(mark, "")
    return int(s) if _WHOLE.fullmatch(s) else None


def format_decimal(value: float, lang: str) -> str:
    """``value`` as a respondent of ``lang`` writes it (``1,5`` in German)."""
    text = f"{value:.15g}"
    return text.replace(".", DECIMAL_MARK.get(lang, "."))


def widget_value(view: FieldView, stored: Any, lang: str = "en") -> Any:
    """Convert a stored answer to the value a widget shows (``None`` when unanswered;
    a decimal as text in ``lang``'s way of writing it)."""
    if is_missing(stored):
        return "" if view.kind in ("text", "number", "integer") else None
    if view.kind == "integer":  # a text field (see parse_whole)
        return stored if isinstance(stored, str) else str(int(stored))
    if view.kind in ("coded", "boolean"):
        value = int(stored)
        if view.options and value not in view.options:
            return None
        return value
    if view.kind == "number":
        if isinstance(stored, str):  # a draft that is not a number: shown as typed
            return stored
        return format_decimal(float(stored), lang)
    return str(stored)


def answer_value(view: FieldView, widget: Any, lang: str | None = None) -> Any:
    """Convert a widget value to what the store receives (``None`` when unanswered); a
    number is read with the thousands grouping of ``lang`` (see :func:`parse_whole` and
    :func:`parse_decimal`); text that is no number, or a decimal that may be grouped or
    not (:func:`ambiguous_decimal`), stays text (checked before sending)."""
    if is_missing(widget):
        return None
    if view.kind == "text":
        return str(widget)
    if view.kind in ("number", "integer") and isinstance(widget, str):
        if view.kind == "number":
            number = parse_decimal(widget, lang)
        else:
            number = parse_whole(widget, lang)
        return widget.strip() if number is None else number  # text: "not a number"
    return widget


def not_a_number(view: FieldView, value: Any) -> bool:
    """Whether a number question holds text that is not a number of its kind (checked
    before sending)."""
    return (view.kind in ("number", "integer") and isinstance(value, str)
            and not is_missing(value))  # fmt: skip


@dataclass(frozen=True)
class SubmitOutcome:
    """What happened to a submitted page.

    ``status`` is one of ``"saved"``, ``"invalid"`` (answers refused; ``problems``
    maps item ids, or ``"<page>"``, to messages for the respondent), ``"closed"``
    (the invitation can no longer be answered; ``message`` says why, ``reason`` is the
    store's code for it when it gave one, see
    :class:`~instruments.store.tokens.InvitationClosedError`) or
    ``"unavailable"`` (the database could not be reached; nothing was saved and
    the same submission may simply be repeated).
    """

    status: str
    next_page: int | None = None
    completed: bool = False
    duplicate: bool = False
    problems: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""
    reason: str | None = None


def respondent_problems(
    views: list[FieldView], answers: Mapping[str, Any], error: PageValidationError, lang: str
) -> dict[str, list[str]]:
    """Messages for the respondent from the store's validation problems.

    A required item left empty gets the plain "please answer" message in the
    respondent's language; any other refusal (a value outside the response list,
    text too long, an unknown item) is shown with the store's explanation.
    """
    required_missing = {v.id for v in views if v.required and is_missing(answers.get(v.id))}
    by_id = {v.id: v for v in views}
    out: dict[str, list[str]] = {}
    for key, messages in error.problems.items():
        view = by_id.get(key)
        if key in required_missing:
            out[key] = [t("answer_required", lang)]
        elif view is not None and view.kind in ("integer", "number"):
            out[key] = [number_problem(view, answers.get(key), lang)]
        elif view is not None and view.kind == "text" and isinstance(answers.get(key), str) \
                and encoding_problem(answers[key]):
            # the store's message names the question by its id ("Item 'comment': ...")
            out[key] = [t("unstorable_text", lang)]
        else:
            out[key] = [t("refused_value", lang, detail=m) for m in messages]
    return out


def _num(x: float) -> str:
    return f"{x:g}"


def number_problem(view: FieldView, value: Any, lang: str, *,
                   typed_in: str | None = None) -> str:
    """The message for a refused number, in the respondent's language; a decimal that
    may be grouped or not (:func:`ambiguous_decimal`) is asked again without the
    thousands separator, with both readings as the language writes them.

    ``typed_in`` is the language the text was typed in when the page has been switched
    to ``lang`` since ("1,000" typed on the English page and shown on the German one,
    where it would read as 1,0): the thousands separator is that language's."""
    if view.kind == "integer" and isinstance(value, str):
        return t("not_a_whole_number", lang)
    source = typed_in or lang
    if view.kind == "number" and isinstance(value, str) and ambiguous_decimal(value, source):
        typed = "".join(value.split())
        group = GROUP_MARK[source]
        return t("ambiguous_number", lang, typed=typed, whole=typed.replace(group, ""),
                 decimal=typed.replace(group, DECIMAL_MARK[lang]))
    try:
        float(value)
    except (TypeError, ValueError):
        return t("not_a_number", lang)
    if view.min is not None and view.max is not None:
        return t("out_of_range", lang, min=_num(view.min), max=_num(view.max))
    return t("not_a_number", lang)


def too_long(view: FieldView, value: Any) -> bool:
    """Whether a free-text answer is longer than the question allows (checked before
    sending, counted in characters as the store counts them)."""
    return (view.kind == "text" and view.max_length is not None and isinstance(value, str)
            and len(value) > view.max_length)  # fmt: skip


def length_problem(view: FieldView, value: str, lang: str) -> str:
    """The message for a free-text answer that is too long, in the respondent's language.

    The length is said in characters as a person counts them (:func:`count_characters`:
    an emoji with a skin tone, a flag, a letter with a combining accent are one each); the
    store counts code points.  When the answer fits as a person counts but not as the
    store does, the message says by how much to shorten it instead of naming a length
    under the limit."""
    shown = count_characters(value)
    if shown > view.max_length:
        # grouped as the page writes numbers, like the limit's note under the field
        return t("too_long", lang, length=group_thousands(shown, lang),
                 limit=group_thousands(view.max_length, lang))
    return tn("too_long_stored", lang, len(value) - view.max_length)


#: Code points that join the character before them into one character as a person sees it
#: (besides combining marks): the zero-width joiner, variation selectors, emoji skin tones,
#: tag characters (subdivision flags) and Hangul vowel and final jamo.
_EXTENDERS = ((0x200C, 0x200D), (0xFE00, 0xFE0F), (0x1F3FB, 0x1F3FF), (0xE0020, 0xE007F),
              (0xE0100, 0xE01EF), (0x1160, 0x11FF))  # fmt: skip
_ZWJ = 0x200D
_REGIONAL = (0x1F1E6, 0x1F1FF)


def _extends(code: int, char: str) -> bool:
    return (unicodedata.category(char) in ("Mn", "Me", "Mc")
            or any(lo <= code <= hi for lo, hi in _EXTENDERS))  # fmt: skip


def count_characters(text: str) -> int:
    """The number of characters in ``text`` as a person counts them (user-perceived
    characters, Unicode's extended grapheme clusters for the cases met in free text).

    ``len()`` counts code points: "👍🏽" (thumb and skin tone) is 2, "🇩🇪" is 2, "👩‍💻" is 3,
    "é" written as e and a combining accent is 2; each is 1 here.  Emoji joined by a
    zero-width joiner, a pair of regional indicators (a flag), a letter with its combining
    marks, variation selectors, skin tones and tags, and CR LF count as one.

    Examples
    --------
    >>> count_characters("ok 👍🏽 🇩🇪")
    6
    """
    n = 0
    joined = False  # the code point before was a zero-width joiner
    regional = False  # an unpaired regional indicator started the current character
    after_cr = False
    for char in text:
        code = ord(char)
        if n and (joined or _extends(code, char)):
            joined = code == _ZWJ
            regional = False
            after_cr = False
            continue
        if after_cr and char == "\n":
            after_cr = False
            continue
        if regional and _REGIONAL[0] <= code <= _REGIONAL[1]:
            regional = False  # the second half of a flag
            continue
        n += 1
        joined = False
        regional = _REGIONAL[0] <= code <= _REGIONAL[1]
        after_cr = char == "\r"
    return n


def out_of_range(view: FieldView, value: Any) -> bool:
    """Whether a typed number lies outside the question's range (checked before sending)."""
    if is_missing(value) or view.kind not in ("integer", "number") or isinstance(value, str):
        return False
    x = float(value)
    return (view.min is not None and x < view.min) or (view.max is not None and x > view.max)


def submit_answers(
    store: Any,
    token: str,
    page: str,
    answers: Mapping[str, Any],
    *,
    submission_key: str,
    shown_at: datetime | None,
    views: list[FieldView],
    lang: str,
) -> SubmitOutcome:
    """Submit one page to the store and describe the outcome for the page.

    Parameters
    ----------
    store
        The response store.
    token
        The invitation token.
    page
        Page id.
    answers
        Item id to value, ``None`` for unanswered.
    submission_key
        The key created when the page was shown; submitting it twice stores once.
    shown_at
        When the page was shown (for the page time).
    views
        The page's fields (to word the messages).
    lang
        The respondent's language: the page was shown in it, and it is stored with the
        page (the wide data's ``language`` is the one most pages were answered in).

    Returns
    -------
    SubmitOutcome
    """
    from sqlalchemy.exc import SQLAlchemyError

    try:
        result = store.submit_page(
            token, page, dict(answers), submission_key=submission_key, shown_at=shown_at,
            language=lang,
        )
    except PageValidationError as exc:
        return SubmitOutcome("invalid", problems=respondent_problems(views, answers, exc, lang))
    except ResponseError as exc:
        return SubmitOutcome("closed", message=str(exc), reason=getattr(exc, "reason", None))
    except SQLAlchemyError:
        return SubmitOutcome("unavailable", message=t("save_failed", lang))
    return SubmitOutcome(
        "saved",
        next_page=result.next_page,
        completed=result.completed,
        duplicate=result.duplicate,
    )


def section_intro(inst: Any, page: str, lang: str, partner: str | None) -> str | None:
    """The section's introduction with ``{partner}`` filled in, or ``None``."""
    section = inst.section(page)
    if not section.intro:
        return None
    return fill_text(section.intro[lang], lang, partner_label(partner))
