"""The survey's pages as the store sees them, derived from the instrument.

Each section of the instrument is one page.  For every page the store knows
which items may be submitted on it and what values each accepts; this is the
basis of the server-side validation in :func:`validate_page`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analysis.errors import ResponseError, clip
from instruments.instrument.logic import Condition, parse_condition

#: Longest free-text answer accepted when the instrument sets no ``max`` for a text question.
MAX_TEXT_LENGTH = 5000

#: The respondent's message for text that no database can store (a NUL character or a
#: broken character, e.g. pasted from a binary file), in each survey language.
UNSTORABLE_TEXT = {
    "en": "Item {item!r}: the text contains a character that cannot be saved (for example "
          "a NUL character from pasted content); please remove it and try again.",
    "de": "Frage {item!r}: Der Text enthält ein Zeichen, das nicht gespeichert werden kann "
          "(zum Beispiel ein NUL-Zeichen aus eingefügtem Inhalt); bitte entfernen Sie es "
          "und versuchen Sie es erneut.",
}

#: Field kinds.  ``coded`` is a value from a response list (scale items, attention
#: checks, single-choice questions); ``boolean`` is stored as 0/1.
FIELD_KINDS = ("coded", "integer", "number", "text", "boolean")


class PageValidationError(ResponseError):
    """A submitted page failed validation; nothing of it was stored.

    ``problems`` maps each offending item id (or ``"<page>"`` for page-level
    problems such as unknown items) to its messages, for display next to the item.
    """

    def __init__(self, page: str, problems: list[tuple[str, str]]) -> None:
        self.page = page
        self.problems: dict[str, list[str]] = {}
        for key, text in problems:
            self.problems.setdefault(key, []).append(text)
        lines = "\n".join(f"  - {text}" for _, text in problems)
        super().__init__(f"Page {page!r} was not saved: {len(problems)} problem(s).\n{lines}")


@dataclass(frozen=True)
class FieldSpec:
    """One answerable item of a page and the values it accepts."""

    id: str
    kind: str
    codes: tuple[int, ...] | None = None
    min: float | None = None
    max: float | None = None
    required: bool = False
    max_length: int = MAX_TEXT_LENGTH
    randomize: bool = False
    #: The scale block the item is shuffled in (items never move between blocks).
    block: str | None = None
    #: Survey logic: shown only when this condition on earlier answers holds.
    condition: Condition | None = None


@dataclass(frozen=True)
class PageSpec:
    """One page (section) of the survey with its fields in instrument order."""

    id: str
    index: int
    fields: tuple[FieldSpec, ...]
    #: Survey logic: the page is shown only when this condition holds.
    condition: Condition | None = None

    def shown(self, answers: Mapping[str, Any]) -> bool:
        """Whether the page is shown to a respondent with these earlier ``answers``."""
        return self.condition is None or self.condition.holds(answers)

    def hidden(self, answers: Mapping[str, Any]) -> tuple[str, ...]:
        """Ids of the fields not shown to a respondent with these earlier ``answers``
        (all of them when the page itself is not shown)."""
        if not self.shown(answers):
            return tuple(f.id for f in self.fields)
        return tuple(f.id for f in self.fields
                     if f.condition is not None and not f.condition.holds(answers))  # fmt: skip

    def field(self, item_id: str) -> FieldSpec | None:
        """Return the field ``item_id`` of this page, or ``None``."""
        for f in self.fields:
            if f.id == item_id:
                return f
        return None


@dataclass(frozen=True)
class Validated:
    """A validated answer ready to be written: exactly one of the value slots is set."""

    item_id: str
    value_int: int | None
    value_num: float | None
    value_text: str | None


def _ref_id(ref: Any) -> str:
    return ref if isinstance(ref, str) else str(ref.id)


def _codes(values: Any) -> tuple[int, ...]:
    """Integer codes of a response list given as a mapping, a list of ints or of objects."""
    if values is None:
        return ()
    if isinstance(values, Mapping):
        raw = list(values.keys())
    else:
        raw = [getattr(v, "value", getattr(v, "code", v)) for v in values]
    return tuple(int(v) for v in raw)


def _condition(obj: Any) -> Condition | None:
    text = getattr(obj, "show_if", None)
    return parse_condition(text) if text else None


def _lookup(container: Any, key: str) -> Any:
    if isinstance(container, Mapping):
        return container[key]
    for obj in container:
        if obj.id == key:
            return obj
    raise KeyError(key)


def build_pages(instrument: Any) -> tuple[PageSpec, ...]:
    """Derive the page specifications from an instrument.

    Parameters
    ----------
    instrument
        An object following the :func:`instruments.instrument.loader.load_instrument`
        contract (``sections``, ``scales``, ``questions``, ``attention_checks``).

    Returns
    -------
    tuple of PageSpec
        One page per section, in section order.
    """
    pages = []
    for index, section in enumerate(instrument.sections):
        fields: list[FieldSpec] = []
        for scale_ref in getattr(section, "scales", None) or ():
            scale = (
                scale_ref
                if not isinstance(scale_ref, str)
                else _lookup(instrument.scales, scale_ref)
            )
            codes = _codes(scale.response.values)
            for item in scale.items:
                fields.append(
                    FieldSpec(
                        id=item.id,
                        kind="coded",
                        codes=codes,
                        required=bool(getattr(item, "required", False)),
                        randomize=True,
                        block=str(scale.id),
                        condition=_condition(item),
                    )
                )
        for check_ref in getattr(section, "attention_checks", None) or ():
            check = (
                check_ref
                if not isinstance(check_ref, str)
                else _lookup(instrument.attention_checks, check_ref)
            )
            fields.append(
                FieldSpec(
                    id=check.id,
                    kind="coded",
                    codes=_codes(check.response.values),
                    required=bool(getattr(check, "required", False)),
                    randomize=True,
                    block=_check_block(check, fields),
                )
            )
        for q_ref in getattr(section, "questions", None) or ():
            q = q_ref if not isinstance(q_ref, str) else _lookup(instrument.questions, q_ref)
            qtype = q.type
            required = bool(getattr(q, "required", False))
            qmin = getattr(q, "min", None)
            qmax = getattr(q, "max", None)
            cond = _condition(q)
            if qtype == "single_choice":
                fields.append(FieldSpec(q.id, "coded", codes=_codes(q.choices.values),
                                        required=required, condition=cond))  # fmt: skip
            elif qtype in ("integer", "number"):
                fields.append(FieldSpec(q.id, qtype, min=qmin, max=qmax, required=required,
                                        condition=cond))  # fmt: skip
            elif qtype == "text":
                length = int(qmax) if qmax is not None else MAX_TEXT_LENGTH
                fields.append(FieldSpec(q.id, "text", required=required, max_length=length,
                                        condition=cond))  # fmt: skip
            elif qtype == "boolean":
                fields.append(FieldSpec(q.id, "boolean", codes=(0, 1), required=required,
                                        condition=cond))  # fmt: skip
            else:
                raise ResponseError(
                    f"Question {q.id!r} has type {qtype!r}, which the response store "
                    f"cannot validate; expected one of single_choice, integer, number, "
                    f"text, boolean."
                )
        pages.append(PageSpec(id=str(section.id), index=index, fields=tuple(fields),
                              condition=_condition(section)))  # fmt: skip
    return tuple(pages)


def _check_block(check: Any, fields: list[FieldSpec]) -> str | None:
    """The block an attention check is shuffled in: that of the item it follows, else
    the last block on the page (a check looks like one more statement of a block)."""
    after = getattr(check, "after", None)
    for f in fields:
        if after is not None and f.id == after:
            return f.block
    blocks = [f.block for f in fields if f.block is not None]
    return blocks[-1] if blocks else None


def shown_order(page: PageSpec, seed: int) -> tuple[str, ...]:
    """Return the order in which a respondent sees the fields of ``page``.

    Scale items and attention checks (``randomize``) are shuffled within their
    scale block, with a generator seeded by the respondent's seed and the page id,
    so a reload shows the same order; blocks keep the instrument's order (one
    response scale per block, e.g. first the firm's own dependence, then the
    partner's) and questions keep their place.
    """
    rng = random.Random(f"{seed}:{page.id}")
    out: list[str] = []
    placed: set[str | None] = set()
    for f in page.fields:
        if not f.randomize:
            out.append(f.id)
        elif f.block not in placed:
            placed.add(f.block)
            ids = [g.id for g in page.fields if g.randomize and g.block == f.block]
            rng.shuffle(ids)
            out.extend(ids)
    return tuple(out)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str) and value.strip() == "":
        return True
    return isinstance(value, float) and math.isnan(value)


def _as_int(value: Any) -> int | None:
    """Return ``value`` as an int when it is an integer without loss, else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("+-").isdigit() and len(text) <= 20:
            return int(text)
    try:  # numpy integers
        import numbers

        if isinstance(value, numbers.Integral):
            return int(value)
    except (TypeError, ValueError):  # pragma: no cover
        return None
    return None


class _Problems(list):
    """Collects ``(item id, message)`` pairs; ``append`` takes the message for the current item."""

    current: str = "<page>"

    def append(self, text: str) -> None:  # type: ignore[override]
        super().append((self.current, text))


def _check_field(
    field: FieldSpec, value: Any, problems: _Problems, language: str = "en"
) -> Validated | None:
    from instruments.store.limits import encoding_problem

    problems.current = field.id
    where = f"Item {field.id!r}"
    if field.kind == "text":
        if not isinstance(value, str):
            problems.append(f"{where}: expected text, got {type(value).__name__}.")
            return None
        if encoding_problem(value):
            template = UNSTORABLE_TEXT.get(language, UNSTORABLE_TEXT["en"])
            problems.append(template.format(item=field.id))
            return None
        if len(value) > field.max_length:
            problems.append(
                f"{where}: text has {len(value)} characters, at most {field.max_length} "
                "are allowed."
            )
            return None
        return Validated(field.id, None, None, value)
    if field.kind == "boolean" and isinstance(value, bool):
        return Validated(field.id, int(value), None, None)
    if field.kind == "number":
        if isinstance(value, bool):
            problems.append(f"{where}: expected a number, got {clip(value)}.")
            return None
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            problems.append(f"{where}: expected a number, got {clip(value)}.")
            return None
        if not math.isfinite(number):
            problems.append(f"{where}: expected a finite number, got {clip(value)}.")
            return None
        if (field.min is not None and number < field.min) or (
            field.max is not None and number > field.max
        ):
            problems.append(
                f"{where}: {clip(value)} is outside the allowed range {field.min}..{field.max}."
            )
            return None
        return Validated(field.id, None, number, None)
    integer = _as_int(value)
    if integer is not None and not -(2**63) <= integer < 2**63:
        integer = None  # beyond a 64-bit integer column on every database
    if integer is None:
        problems.append(f"{where}: expected an integer code, got {clip(value)}.")
        return None
    if field.codes is not None and field.kind in ("coded", "boolean"):
        if integer not in field.codes:
            allowed = ", ".join(str(c) for c in field.codes)
            problems.append(f"{where}: {integer} is not one of the allowed codes ({allowed}).")
            return None
    elif (field.min is not None and integer < field.min) or (
        field.max is not None and integer > field.max
    ):
        problems.append(
            f"{where}: {integer} is outside the allowed range {field.min}..{field.max}."
        )
        return None
    return Validated(field.id, integer, None, None)


def validate_page(
    page: PageSpec,
    answers: Mapping[str, Any],
    earlier: Mapping[str, Any] | None = None,
    *,
    language: str = "en",
) -> list[Validated]:
    """Check one submitted page against the instrument.

    Parameters
    ----------
    page
        The page the answers were submitted on.
    answers
        Item id to value; ``None``, ``NaN`` or an empty string mean "not answered".
    earlier
        The respondent's stored answers of earlier pages, on which the survey logic
        (``show_if``) decides what the page shows; a field not shown is never required
        and an answer to it is refused.
    language
        The respondent's language, for the messages a respondent can act on.

    Returns
    -------
    list of Validated
        The answered items, in page order.

    Raises
    ------
    PageValidationError
        A :class:`ResponseError` listing every problem at once: items that do not belong to the page,
        values outside the response list or range, non-integers, text that is
        too long, required items left unanswered.
    """
    if not isinstance(answers, Mapping):
        raise PageValidationError(page.id, [("<page>", "The answers must be a mapping of item "
                                                       "ids to values.")])
    problems = _Problems()
    known = {f.id for f in page.fields}
    for item_id in answers:
        if item_id not in known:
            problems.current = str(item_id)[:100]
            problems.append(f"Item {clip(item_id)} does not belong to page {page.id!r}.")
    valid: list[Validated] = []
    hidden = set(page.hidden(earlier or {}))
    for field in page.fields:
        value = answers.get(field.id)
        if field.id in hidden:
            if not _is_missing(value):
                problems.current = field.id
                problems.append(f"Item {field.id!r} is not shown to this respondent (survey "
                                "logic); it cannot be answered.")  # fmt: skip
            continue
        if _is_missing(value):
            problems.current = field.id
            if field.required:
                problems.append(f"Item {field.id!r} is required; please answer it.")
            continue
        checked = _check_field(field, value, problems, language)
        if checked is not None:
            valid.append(checked)
    if problems:
        raise PageValidationError(page.id, list(problems))
    return valid
