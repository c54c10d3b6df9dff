"""The translation record: how each text of a further language was made and checked.

Beside the questionnaire, ``translation/<lang>.yaml`` documents the TRAPD steps
(Harkness 2003: Translation, Review, Adjudication, Pretesting, Documentation) for
every item and question: the source text as it was translated, the target text,
an independent back-translation into the source language, and the reconciliation
decision (what the back-translation revealed and what was kept or changed).

The loader (:mod:`instruments.instrument.loader`) calls :func:`check_record`: a
record entry must exist for every item and question, and its ``source`` and
``target`` must equal the texts in the YAML, so that editing a text without
redoing its translation is refused with a problem naming the element.

The record is documentation of the instrument, not part of what respondents see,
so it is left out of the instrument's content hash (a study in the field keeps
running when a decision note is improved).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

TRANSLATION_DIR = "translation"
"""Folder of the translation records, beside ``questionnaire.yaml``."""

PROCESS_STEPS = ("translate", "back_translate", "reconcile", "pretest")
"""Steps of the process every record describes (what was done, by whom)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RecordEntry(_Model):
    """One translated text: source and target as reconciled, back-translation, decision."""

    id: str
    source: str
    target: str
    back_translation: str = Field(min_length=1)
    decision: str = Field(min_length=1)


class RecordFile(_Model):
    """``translation/<lang>.yaml``."""

    language: str
    source_language: str
    process: dict[str, str]
    #: Decisions on texts other than items and questions (response labels, titles).
    notes: list[str] = Field(default_factory=list)
    entries: list[Any]


def record_path(folder: str | Path, lang: str) -> Path:
    """Path of the translation record of one language."""
    return Path(folder) / TRANSLATION_DIR / f"{lang}.yaml"


def load_record(folder: str | Path, lang: str) -> dict[str, RecordEntry]:
    """The entries of one language's record, by element id (no checks beyond the schema)."""
    from instruments.instrument.loader import _read_yaml

    problems: list[str] = []
    data = _read_yaml(record_path(folder, lang), f"{TRANSLATION_DIR}/{lang}.yaml", problems)
    if not isinstance(data, dict):
        return {}
    out: dict[str, RecordEntry] = {}
    for raw in data.get("entries") or []:
        try:
            entry = RecordEntry.model_validate(raw)
        except ValidationError:
            continue
        out[entry.id] = entry
    return out


def check_record(
    folder: str | Path, source_lang: str, lang: str, texts: dict[str, dict[str, str]]
) -> list[tuple[str, str | None, str]]:
    """Check one language's record against the instrument's texts.

    Parameters
    ----------
    folder : str or Path
        The instrument folder.
    source_lang, lang : str
        Source language (the instrument's first) and the translated language.
    texts : dict
        ``element id -> {language: text}`` for every item and question.

    Returns
    -------
    list of (file, element, message)
        Every problem found (empty when the record is complete and current).
    """
    from instruments.instrument.loader import _read_yaml

    name = f"{TRANSLATION_DIR}/{lang}.yaml"
    path = record_path(folder, lang)
    if not path.is_file():
        return [(name, None, f"no translation record for language '{lang}': document how "
                 "every text was translated, back-translated and reconciled")]
    read_problems: list[str] = []
    data = _read_yaml(path, name, read_problems)
    problems: list[tuple[str, str | None, str]] = []
    for text in read_problems:
        problems.append((name, None, text.split(": ", 1)[-1].rstrip(".")))
    if not isinstance(data, dict):
        return problems
    try:
        header = RecordFile.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(x) for x in err.get("loc", ()))
            problems.append((name, None, f"'{where}': {err.get('msg', 'invalid')}"))
        return problems
    if header.language != lang:
        problems.append((name, None, f"the record is for language '{header.language}', "
                         f"expected '{lang}'"))
    if header.source_language != source_lang:
        problems.append((name, None, f"source_language is '{header.source_language}', but "
                         f"the instrument's source language is '{source_lang}'"))
    for step in PROCESS_STEPS:
        if not str(header.process.get(step, "")).strip():
            problems.append((name, None, f"process: describe the step '{step}'"))
    seen: dict[str, RecordEntry] = {}
    for k, raw in enumerate(header.entries):
        ident = raw.get("id") if isinstance(raw, dict) else None
        where = ident if isinstance(ident, str) else f"entries[{k}]"
        try:
            entry = RecordEntry.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(x) for x in err.get("loc", ()))
                problems.append((name, where, f"'{loc}': {err.get('msg', 'invalid')}"))
            continue
        if entry.id in seen:
            problems.append((name, entry.id, "listed twice"))
            continue
        seen[entry.id] = entry
        if entry.id not in texts:
            problems.append((name, entry.id, "not an item or question of the instrument"))
            continue
        current = texts[entry.id]
        if current.get(source_lang) != entry.source:
            problems.append((name, entry.id, f"the {source_lang} text changed since it was "
                             "translated; translate, back-translate and reconcile it again"))
        if current.get(lang) != entry.target:
            problems.append((name, entry.id, f"the {lang} text differs from the reconciled "
                             "translation in the record; redo the back-translation and "
                             "record the decision"))
    for ident in texts:
        if ident not in seen:
            problems.append((name, ident, "no translation record (forward translation, "
                             "back-translation and reconciliation decision)"))
    return problems
