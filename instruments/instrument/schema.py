"""The questionnaire's data model.

Two layers live here:

* **File schemas** (pydantic v2 models, ``*File``): the exact shape of
  ``questionnaire.yaml`` and ``scales/<scale>.yaml``.  Every model forbids
  unknown keys and is strict (``reverse: "yes"`` is refused, not coerced).  The
  loader (:mod:`instruments.instrument.loader`) validates each element separately so that
  one broken item does not hide the problems of the others.
* **The validated instrument** (frozen dataclasses): :class:`Instrument`,
  :class:`Scale`, :class:`Item`, :class:`ResponseList`, :class:`Question`,
  :class:`AttentionCheck`, :class:`Section`, :class:`Consent`,
  :class:`Screening`.  Other modules code against these.

Canonical wide data layout (simulator, scoring, survey export): one row per
respondent; paradata columns :data:`PARADATA_COLUMNS` plus
``page_time_<section_id>``; then one column per item, attention check and
question, named by id, holding integer codes (missing = NaN).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
"""Pattern every item, question, attention-check, scale, section and response-list id must match."""

PARADATA_COLUMNS: tuple[str, ...] = (
    "respondent_id",
    "alliance_id",
    "firm_role",
    "language",
    "duration_sec",
)
"""Id and paradata columns of the canonical wide layout (besides ``page_time_<section>``)."""

RESERVED_NAMES: frozenset[str] = frozenset(
    PARADATA_COLUMNS
    + (
        "study_id",
        "wave",
        "instrument_version",
        "token",
        "started_at",
        "submitted_at",
        "status",
        "screened_out",
    )
)
"""Variable names the instrument may not use (they are paradata of the survey store)."""

RESERVED_PREFIXES: tuple[str, ...] = ("page_time_",)
"""Prefixes refused for instrument variable names."""

QUESTION_TYPES = ("single_choice", "integer", "number", "text", "boolean")
"""Types of single (classification) questions."""

PARTNER_PLACEHOLDER = "partner"
"""The only placeholder allowed in item, question and section texts."""

CONSENT_PLACEHOLDERS = frozenset({"partner", "contact"})
"""Placeholders allowed in the consent text."""

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish"}

DEFAULT_PARTNER = {"en": "the partner", "de": ""}
"""What ``{partner}`` becomes when no partner name is given.

German texts put the placeholder after a noun (``unserem Partner {partner}``), so
the generic German wording simply drops it.
"""


# ---------------------------------------------------------------------------
# File schemas (pydantic)
# ---------------------------------------------------------------------------

Text = dict[str, str]
"""A translated text: language code -> text."""


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LabelFile(_FileModel):
    """One code of a response list: ``{value: 1, label: {en: ..., de: ...}}``."""

    value: int
    label: Text


class ResponseListFile(_FileModel):
    """A response list (``responses: <id>:`` in ``questionnaire.yaml``)."""

    labels: list[Any] = Field(min_length=2)


class ItemFile(_FileModel):
    """One item of a scale file; ``reverse`` must be declared for every item."""

    id: str
    text: Text
    reverse: bool
    show_if: str | None = None


class MeasurementFile(_FileModel):
    """How a scale's items relate to its construct (``measurement:`` of a scale file).

    ``reflective``: the construct causes its items, which are interchangeable
    manifestations (a common factor).  ``composite``: the items are distinct facets
    that together make up the construct (formative; dropping one changes what is
    measured), so it is formed as a weighted composite rather than a common factor.
    """

    model: Literal["reflective", "composite"]
    reasoning: Text
    sources: list[str] = Field(min_length=1)


class ScaleFile(_FileModel):
    """Header of ``scales/<scale>.yaml`` (items are validated one by one as :class:`ItemFile`)."""

    id: str
    construct_text: Text = Field(alias="construct")
    definition: Text | None = None
    higher_order: str | None = None
    measurement: MeasurementFile
    response: str
    sources: list[str] = Field(min_length=1)
    min_valid: int | None = None
    required: bool = False
    items: list[Any]


class QuestionFile(_FileModel):
    """A single (classification) question."""

    id: str
    type: Literal["single_choice", "integer", "number", "text", "boolean"]
    text: Text
    help: Text | None = None
    choices: str | None = None
    min: int | float | None = None
    max: int | float | None = None
    unit: Text | None = None
    measure: Literal["nominal", "ordinal", "scale"] | None = None
    required: bool
    request_response: bool = False
    show_if: str | None = None
    sources: list[str] | None = None


class AttentionCheckFile(_FileModel):
    """An instructed-response item placed inside a matrix section."""

    id: str
    text: Text
    response: str
    correct: list[int] = Field(min_length=1)
    after: str | None = None
    required: bool = False


class SectionFile(_FileModel):
    """One page of the questionnaire."""

    id: str
    title: Text
    intro: Text | None = None
    scales: list[str] = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list)
    attention_checks: list[str] = Field(default_factory=list)
    request_response: bool = False
    show_if: str | None = None


class ConsentFile(_FileModel):
    """The consent page: its text and the question that records consent."""

    question: str
    accept_value: int
    title: Text
    text: Text
    contact_default: Text


class ScreeningFile(_FileModel):
    """The key-informant screening rule: screen out if the answer is below a value."""

    question: str
    screen_out_below: int
    message: Text


class QuestionnaireFile(_FileModel):
    """Top level of ``questionnaire.yaml`` (elements are validated one by one)."""

    id: str
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    title: Text
    languages: list[str] = Field(min_length=1)
    responses: dict[str, Any]
    consent: dict[str, Any]
    screening: dict[str, Any]
    sections: list[Any] = Field(min_length=1)
    questions: list[Any] = Field(default_factory=list)
    attention_checks: list[Any] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# The validated instrument
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ResponseList:
    """A coded response list with value labels.

    Attributes
    ----------
    id : str
        Response list id, e.g. ``"agree7"``.
    values : list of int
        The valid codes, in display order.
    labels : dict
        ``code -> {language: label}``.
    """

    id: str
    values: list[int]
    labels: dict[int, dict[str, str]]

    @property
    def min(self) -> int:
        """Smallest valid code."""
        return min(self.values)

    @property
    def max(self) -> int:
        """Largest valid code."""
        return max(self.values)

    def label(self, value: int, lang: str = "en") -> str:
        """Label of one code in one language."""
        return self.labels[value][lang]

    def value_labels(self, lang: str = "en") -> dict[int, str]:
        """``code -> label`` in one language, in display order."""
        return {v: self.labels[v][lang] for v in self.values}


@dataclass(frozen=True, eq=False)
class Item:
    """One item of a multi-item scale; ``required`` is inherited from its scale."""

    id: str
    scale: str
    text: dict[str, str]
    reverse: bool
    required: bool = False
    #: Survey logic: shown only when this condition on earlier answers holds
    #: (:mod:`instruments.instrument.logic`); otherwise stored as "not shown".
    show_if: str | None = None


@dataclass(frozen=True, eq=False)
class Scale:
    """A multi-item scale measuring one construct.

    ``min_valid`` is the number of answered items a respondent needs for a scale
    score (default ``ceil(n_items / 2)``).  ``required`` (default False: items
    may be skipped, participation is voluntary) says whether the survey insists
    on an answer to every item.
    """

    id: str
    construct: dict[str, str]
    sources: list[str]
    higher_order: str | None
    items: list[Item]
    response: ResponseList
    min_valid: int
    definition: dict[str, str] | None = None
    required: bool = False
    file: str = ""
    #: ``reflective`` (a common factor) or ``composite`` (facets forming the construct).
    measurement: str = "reflective"
    #: Why the scale is modelled that way, per language, and the literature behind it.
    measurement_reasoning: dict[str, str] | None = None
    measurement_sources: list[str] = field(default_factory=list)

    @property
    def item_ids(self) -> list[str]:
        """Item ids in questionnaire order."""
        return [it.id for it in self.items]


@dataclass(frozen=True, eq=False)
class Question:
    """A single question (classification item, consent, screening, comment).

    ``measure`` is the SPSS measurement level: ``nominal`` for coded lists unless
    declared ``ordinal`` in the YAML, ``scale`` for integer and number
    questions, ``nominal`` for text.
    """

    id: str
    type: str
    text: dict[str, str]
    choices: ResponseList | None
    min: float | None
    max: float | None
    required: bool
    section: str | None = None
    unit: dict[str, str] | None = None
    help: dict[str, str] | None = None
    measure: str = "nominal"
    #: Ask before moving on when this optional question is left empty (a soft prompt).
    request_response: bool = False
    #: Survey logic: shown only when this condition on earlier answers holds.
    show_if: str | None = None
    #: Literature behind a control variable (empty for plain classification questions).
    sources: list[str] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class AttentionCheck:
    """An instructed-response item; ``correct`` lists the codes that pass.

    ``after`` names the item it follows on its (matrix) page; a skipped check
    counts as failed, so ``required`` defaults to False.
    """

    id: str
    text: dict[str, str]
    response: ResponseList
    correct: list[int]
    section: str | None = None
    after: str | None = None
    required: bool = False


@dataclass(frozen=True, eq=False)
class Section:
    """One page of the questionnaire, in order."""

    id: str
    title: dict[str, str]
    scales: list[str]
    questions: list[str]
    attention_checks: list[str]
    intro: dict[str, str] | None = None
    #: Ask before moving on when optional items of the page are left empty.
    request_response: bool = False
    #: Survey logic: the whole page is shown only when this condition holds.
    show_if: str | None = None


@dataclass(frozen=True, eq=False)
class Consent:
    """The consent page; ``question`` holds the answer, ``accept_value`` means consent given."""

    question: str
    accept_value: int
    title: dict[str, str]
    text: dict[str, str]
    contact_default: dict[str, str]


@dataclass(frozen=True, eq=False)
class Screening:
    """Key-informant screening: answers below ``screen_out_below`` end the survey."""

    question: str
    screen_out_below: int
    message: dict[str, str]

    def screened_out(self, value: float | None) -> bool:
        """True if this answer to the screening question screens the respondent out."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return value < self.screen_out_below


def fill_text(text: str, lang: str, partner: str | None = None, **extra: str) -> str:
    """Fill ``{partner}`` (and other named placeholders) in one text.

    ``partner=None`` or the English default ``"the partner"`` means the generic
    wording of the language (:data:`DEFAULT_PARTNER`).
    """
    if partner is None or partner == DEFAULT_PARTNER["en"]:
        partner = DEFAULT_PARTNER.get(lang, DEFAULT_PARTNER["en"])
    values = {PARTNER_PLACEHOLDER: partner, **extra}
    # one pass over the text: a value is never searched for placeholders again (a partner
    # named "Acme {contact}" must not get the study lead's address in its name)
    names = "|".join(re.escape(key) for key in values)

    def fill(match: re.Match[str]) -> str:
        value = values[match.group(2)]
        return "" if value == "" else match.group(1) + value

    out = re.sub(r"([ \t]*)\{(" + names + r")\}", fill, text)
    if text.startswith("{" + PARTNER_PLACEHOLDER + "}") and out:
        out = out[0].upper() + out[1:]
    return out


@dataclass(frozen=True, eq=False)
class Instrument:
    """A validated questionnaire.  Build it with :func:`instruments.instrument.loader.load_instrument`.

    Attributes
    ----------
    id, version : str
        Instrument id and semantic version.
    content_hash : str
        SHA-256 (hex) of the canonical content of all files (parsed YAML as
        key-sorted JSON); changes whenever any text, code or source changes.
    languages : list of str
        Declared languages, the first is the default.
    scales : dict
        ``scale id -> Scale`` in questionnaire order.
    """

    id: str
    version: str
    title: dict[str, str]
    languages: list[str]
    content_hash: str
    responses: dict[str, ResponseList]
    scales: dict[str, Scale]
    questions: list[Question]
    attention_checks: list[AttentionCheck]
    sections: list[Section]
    consent: Consent
    screening: Screening
    directory: str = ""
    _lookup: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        lookup: dict[str, Any] = {}
        for scale in self.scales.values():
            for item in scale.items:
                lookup[item.id] = item
        for check in self.attention_checks:
            lookup[check.id] = check
        for question in self.questions:
            lookup[question.id] = question
        object.__setattr__(self, "_lookup", lookup)

    # -- look-ups ---------------------------------------------------------------
    def scale_items(self) -> dict[str, list[str]]:
        """``scale id -> item ids``, in questionnaire order."""
        return {sid: s.item_ids for sid, s in self.scales.items()}

    def reverse_items(self) -> list[str]:
        """Ids of all reverse-keyed items (declared with ``reverse: true``)."""
        return [it.id for s in self.scales.values() for it in s.items if it.reverse]

    def items(self) -> list[Item]:
        """All scale items, in questionnaire order."""
        return [it for s in self.scales.values() for it in s.items]

    def item(self, variable: str) -> Item | AttentionCheck | Question:
        """The item, attention check or question with this id."""
        try:
            return self._lookup[variable]
        except KeyError:
            from analysis.errors import InstrumentError

            raise InstrumentError(
                f"Instrument {self.id} {self.version} has no item, attention check or "
                f"question '{variable}'."
            ) from None

    def question(self, question_id: str) -> Question:
        """The single question with this id."""
        obj = self.item(question_id)
        if not isinstance(obj, Question):
            from analysis.errors import InstrumentError

            raise InstrumentError(f"'{question_id}' is not a single question.")
        return obj

    def response_list(self, variable: str) -> ResponseList | None:
        """The coded response list of a variable, or None for numbers and text."""
        obj = self.item(variable)
        if isinstance(obj, Item):
            return self.scales[obj.scale].response
        if isinstance(obj, AttentionCheck):
            return obj.response
        return obj.choices

    def item_variables(self) -> list[str]:
        """All data columns the instrument defines: items, attention checks, questions."""
        return list(self._lookup)

    def section(self, section_id: str) -> Section:
        """The section (page) with this id."""
        for sec in self.sections:
            if sec.id == section_id:
                return sec
        from analysis.errors import InstrumentError

        raise InstrumentError(f"Instrument {self.id} has no section '{section_id}'.")

    def conditions(self) -> dict[str, str]:
        """``variable or section id -> show_if`` for everything shown conditionally."""
        out: dict[str, str] = {}
        for sec in self.sections:
            if sec.show_if:
                out[sec.id] = sec.show_if
        for obj in self._lookup.values():
            if getattr(obj, "show_if", None):
                out[obj.id] = obj.show_if
        return out

    def page_time_columns(self) -> list[str]:
        """Paradata column names ``page_time_<section_id>``, in page order."""
        return [f"page_time_{sec.id}" for sec in self.sections]

    # -- texts ------------------------------------------------------------------
    def _check_lang(self, lang: str) -> None:
        if lang not in self.languages:
            from analysis.errors import InstrumentError

            raise InstrumentError(
                f"Language '{lang}' is not offered by instrument {self.id}; "
                f"use one of {', '.join(self.languages)}."
            )

    def item_text(self, item_id: str, lang: str = "en", partner: str = "the partner") -> str:
        """Text of an item, attention check or question with ``{partner}`` filled in.

        Parameters
        ----------
        item_id : str
            Item, attention-check or question id.
        lang : str
            Language code (one of :attr:`languages`).
        partner : str
            The partner firm's name.  The default ``"the partner"`` gives the
            generic wording of each language (German drops the apposition:
            ``unserem Partner {partner}`` becomes ``unserem Partner``).
        """
        self._check_lang(lang)
        return fill_text(self.item(item_id).text[lang], lang, partner)

    def consent_text(
        self, lang: str = "en", partner: str = "the partner", contact: str | None = None
    ) -> str:
        """The consent text with ``{partner}`` and ``{contact}`` (the study lead) filled in."""
        self._check_lang(lang)
        contact = contact or self.consent.contact_default[lang]
        return fill_text(self.consent.text[lang], lang, partner, contact=contact)

    # -- codebook and data --------------------------------------------------------
    def variables(self, lang: str = "en") -> pd.DataFrame:
        """The codebook: one row per variable of the canonical wide layout.

        See :func:`instruments.instrument.codebook.variables_table`.
        """
        from instruments.instrument.codebook import variables_table

        return variables_table(self, lang=lang)

    def validate_data(self, df: pd.DataFrame) -> None:
        """Check a wide data frame against the instrument; raise DataError listing every problem.

        See :func:`instruments.instrument.datacheck.validate_data`.
        """
        from instruments.instrument.datacheck import validate_data

        validate_data(self, df)
