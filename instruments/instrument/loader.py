"""Load and validate the questionnaire (``questionnaire.yaml`` + ``scales/*.yaml``).

:func:`load_instrument` reads every file, checks everything it can and raises
one :class:`~analysis.errors.InstrumentError` whose ``problems`` list names
*every* problem found, each as ``"<file>: <element id>: <message>"``, e.g.
``"scales/trust.yaml: trust_3: missing German text"``.

Checks: YAML syntax (with line and column) and duplicate keys; unknown and
missing keys; types (``reverse`` must be a boolean; YAML 1.1 words such as
``yes``/``no``/``on`` are read as strings, never as booleans); id pattern,
uniqueness across the instrument and reserved names; the ``{scale}_{k}`` item
id convention; references between sections, scales, questions, attention
checks and response lists; every scale, question and attention check placed on
exactly one page; translations for every declared language and no empty
texts; at least three items per scale; attention-check ``correct`` codes inside
their response list; placeholders other than ``{partner}``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from analysis.errors import InstrumentError, clip
from instruments.instrument.schema import (
    CONSENT_PLACEHOLDERS,
    ID_PATTERN,
    LANGUAGE_NAMES,
    PARTNER_PLACEHOLDER,
    RESERVED_NAMES,
    RESERVED_PREFIXES,
    AttentionCheck,
    AttentionCheckFile,
    Consent,
    ConsentFile,
    Instrument,
    Item,
    ItemFile,
    LabelFile,
    Question,
    QuestionFile,
    QuestionnaireFile,
    ResponseList,
    ResponseListFile,
    Scale,
    ScaleFile,
    Screening,
    ScreeningFile,
    Section,
    SectionFile,
)

PACKAGE_DIR = Path(__file__).resolve().parent
"""Folder holding the packaged default instrument."""

QUESTIONNAIRE_FILE = "questionnaire.yaml"
SCALES_DIR = "scales"
MIN_ITEMS = 3
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
#: Largest YAML file read (the packaged questionnaire has about 60 kB): a bigger one is
#: not an instrument, and reading it whole would take the memory of the app.
MAX_YAML_BYTES = 20 * 1024 * 1024
#: Longest instrument id and version: the store keeps them in columns of these lengths
#: (``studies.instrument_id``, ``instrument_version``); SQLite kept a longer one,
#: PostgreSQL refused it with a driver error when the study was created.
MAX_ID_CHARS, MAX_VERSION_CHARS = 100, 50


# ---------------------------------------------------------------------------
# YAML reading
# ---------------------------------------------------------------------------

_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """Safe loader that flags duplicate keys and reads only true/false as booleans."""

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self._text = stream
        self.duplicates: list[tuple[int, str]] = []

    def get_single_data(self) -> Any:
        """The document, refusing anchors and aliases and numbers too long to read.

        An alias repeats a node by reference: nine levels of nine aliases expand to nine
        to the ninth values (a "billion laughs"), which took seconds before another error
        refused the file.  No file of this project needs them, so the first alias is
        refused before anything is built.  An integer of more than 4,300 digits (Python's
        limit) was an internal ``ValueError``.
        """
        for event in yaml.parse(self._text, Loader=_BASE_LOADER):
            if isinstance(event, yaml.AliasEvent):
                raise yaml.constructor.ConstructorError(
                    None, None, "anchors and aliases (&name, *name) are not allowed; write "
                    "the value out", event.start_mark)
        try:
            return super().get_single_data()
        except ValueError as exc:
            if "digits" not in str(exc):
                raise
            raise yaml.constructor.ConstructorError(
                None, None, "a number has more digits than can be read (at most 4,300)",
                None) from exc

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hashable = key in seen
            except TypeError:
                continue
            if hashable:
                self.duplicates.append((key_node.start_mark.line + 1, str(key)))
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# YAML 1.1 reads yes/no/on/off as booleans (so "no" becomes False); keep only true/false.
_StrictLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for ch, resolvers in _BASE_LOADER.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _read_yaml(path: Path, name: str, problems: list[str]) -> Any:
    """Parse one YAML file; record syntax errors (with line) and duplicate keys."""
    try:
        if path.exists() and not path.is_dir() and not path.is_file():
            # a named pipe blocked the loader (and the app) until someone wrote to it
            problems.append(f"{name}: not a regular file (a named pipe or a device).")
            return None
        if path.is_file() and path.stat().st_size > MAX_YAML_BYTES:
            problems.append(f"{name}: the file has {path.stat().st_size:,} bytes; at most "
                            f"{MAX_YAML_BYTES:,} are read.")
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{name}: cannot read file ({exc}).")
        return None
    loader = _StrictLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        what = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        cmark = getattr(exc, "context_mark", None)
        if context and cmark is not None and mark is not None and cmark.line != mark.line:
            what += f" ({context} started at line {cmark.line + 1})"
        problems.append(f"{name}: {where}YAML syntax error: {what}.")
        return None
    finally:
        loader.dispose()
    for line, key in loader.duplicates:
        problems.append(f"{name}: line {line}: duplicate key '{key}'.")
    if data is None:
        problems.append(f"{name}: the file is empty.")
    elif not isinstance(data, dict):
        problems.append(f"{name}: the file must contain a mapping (key: value), not a list or text.")
        return None
    return data


def _canonical(obj: Any) -> Any:
    """Recursively turn keys into strings so that the content can be JSON-sorted."""
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_canonical(v) for v in obj]
    return obj


def content_hash(files: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical content: parsed files as one key-sorted JSON document."""
    doc = json.dumps(
        _canonical(files), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(doc.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# Problem collection
# ---------------------------------------------------------------------------


class _Problems:
    """Collects problems as ``"file: element: message"``."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, file: str, where: str | None, message: str) -> None:
        message = message if message.endswith(".") else message + "."
        self.items.append(f"{file}: {where}: {message}" if where else f"{file}: {message}")


def _describe_error(err: dict[str, Any]) -> str:
    loc = [str(x) for x in err.get("loc", ())]
    path = ".".join(loc)
    kind = err.get("type", "")
    value = err.get("input")
    if kind == "extra_forbidden":
        return f"unknown key '{loc[-1] if loc else path}'"
    if kind == "missing":
        return f"missing key '{path}'"
    if kind.startswith("bool"):
        return f"'{path}' must be true or false, not {clip(value)}"
    if kind in {"string_type", "int_type", "float_type", "list_type", "dict_type"}:
        wanted = {
            "string_type": "a text",
            "int_type": "a whole number",
            "float_type": "a number",
            "list_type": "a list",
            "dict_type": "a mapping",
        }[kind]
        return f"'{path}' must be {wanted}, not {clip(value)}"
    return f"'{path}': {err.get('msg', 'invalid value')}"


def _validate(
    model: type[BaseModel], data: Any, file: str, where: str | None, probs: _Problems
) -> Any:
    """Validate ``data`` with ``model``; record each error; return the model or None."""
    if not isinstance(data, dict):
        probs.add(file, where, f"expected a mapping (key: value), got {type(data).__name__}")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        seen: set[str] = set()
        for err in exc.errors():
            msg = _describe_error(err)
            if msg not in seen:
                seen.add(msg)
                probs.add(file, where, msg)
        return None


def _raw_id(data: Any, fallback: str) -> str:
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        return data["id"]
    return fallback


def _lang_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, f"'{code}'")


def _check_text(
    text: Any,
    file: str,
    where: str,
    what: str,
    languages: list[str],
    probs: _Problems,
    placeholders: Iterable[str] = (PARTNER_PLACEHOLDER,),
) -> None:
    """Translations present and non-empty, no unknown languages, only allowed placeholders."""
    if text is None:
        return
    if not isinstance(text, dict):
        probs.add(file, where, f"{what} must be a mapping of language to text")
        return
    prefix = "" if what == "text" else f"{what}: "
    allowed = set(placeholders)
    for lang in languages:
        if lang not in text:
            probs.add(file, where, f"{prefix}missing {_lang_name(lang)} text")
    for lang, value in text.items():
        if languages and lang not in languages:
            probs.add(file, where, f"{prefix}text in undeclared language '{lang}'")
        if not isinstance(value, str):
            continue
        if not value.strip():
            probs.add(file, where, f"{prefix}empty {_lang_name(lang)} text")
        for name in _PLACEHOLDER_RE.findall(value):
            if name not in allowed:
                shown = ", ".join("{" + p + "}" for p in sorted(allowed))
                probs.add(
                    file,
                    where,
                    f"{prefix}unknown placeholder {{{name}}} in {_lang_name(lang)} text "
                    f"(allowed: {shown})",
                )


def _check_id(ident: Any, file: str, where: str | None, kind: str, probs: _Problems) -> bool:
    if not isinstance(ident, str):
        return False
    ok = True
    if not ID_PATTERN.fullmatch(ident):
        probs.add(
            file,
            where or ident,
            f"{kind} id '{ident}' must match ^[a-z][a-z0-9_]{{1,63}}$ "
            "(lower-case letter first, then letters, digits or _)",
        )
        ok = False
    return ok


def _check_reserved(ident: str, file: str, probs: _Problems) -> None:
    if ident in RESERVED_NAMES or ident.startswith(RESERVED_PREFIXES):
        probs.add(file, ident, f"'{ident}' is a reserved name (paradata column); choose another id")


# ---------------------------------------------------------------------------
# The loader
# ---------------------------------------------------------------------------


def load_instrument(directory: str | Path | None = None) -> Instrument:
    """Load, validate and return a questionnaire.

    Parameters
    ----------
    directory : str or Path, optional
        Folder with ``questionnaire.yaml`` and ``scales/*.yaml``.  Default: the
        instrument packaged with alliance-survey.

    Returns
    -------
    Instrument
        The validated, immutable instrument.

    Raises
    ------
    InstrumentError
        With ``problems`` listing every problem found in all files.

    Examples
    --------
    >>> from instruments.instrument.loader import load_instrument
    >>> inst = load_instrument()
    >>> inst.scale_items()["trust"][:2]
    ['trust_1', 'trust_2']
    """
    folder = Path(directory) if directory is not None else PACKAGE_DIR
    return _Builder(folder).build()


class _Builder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.probs = _Problems()
        self.raw_problems: list[str] = []
        self.languages: list[str] = []
        self.responses: dict[str, ResponseList] = {}
        self.declared_responses: set[str] = set()
        # variable id -> file where first defined (items, questions, attention checks)
        self.variable_files: dict[str, str] = {}

    # -- helpers -----------------------------------------------------------------
    def _register_variable(self, ident: Any, file: str, kind: str) -> None:
        if not isinstance(ident, str):
            return
        _check_id(ident, file, ident, kind, self.probs)
        _check_reserved(ident, file, self.probs)
        if ident in self.variable_files:
            other = self.variable_files[ident]
            where = "the same file" if other == file else other
            self.probs.add(file, ident, f"duplicate id '{ident}' (already defined in {where})")
        else:
            self.variable_files[ident] = file

    def _response_ref(self, ref: Any, file: str, where: str, key: str) -> ResponseList | None:
        if not isinstance(ref, str):
            return None
        if ref not in self.declared_responses:
            known = ", ".join(sorted(self.declared_responses)) or "none"
            self.probs.add(
                file, where, f"{key} '{ref}' is not a response list in {QUESTIONNAIRE_FILE} "
                f"(known: {known})"
            )
            return None
        return self.responses.get(ref)

    # -- main --------------------------------------------------------------------
    def build(self) -> Instrument:
        folder = self.folder
        if folder.is_file():  # the questionnaire itself, or another file, named as the folder
            raise InstrumentError(
                f"{clip(str(folder), 400)} is a file; an instrument is the folder that holds "
                f"{QUESTIONNAIRE_FILE} and {SCALES_DIR}/*.yaml (give "
                f"{clip(str(folder.parent), 400)} if that is the one).")
        if not (folder / QUESTIONNAIRE_FILE).is_file():
            raise InstrumentError(
                f"No {QUESTIONNAIRE_FILE} in {folder}; an instrument folder needs "
                f"{QUESTIONNAIRE_FILE} and {SCALES_DIR}/*.yaml.",
                [f"{QUESTIONNAIRE_FILE}: file not found."],
            )
        files: dict[str, Any] = {}
        raw_q = _read_yaml(folder / QUESTIONNAIRE_FILE, QUESTIONNAIRE_FILE, self.raw_problems)
        files[QUESTIONNAIRE_FILE] = raw_q
        scale_paths = sorted((folder / SCALES_DIR).glob("*.yaml"))
        for stray in sorted((folder / SCALES_DIR).glob("*.yml")):
            self.raw_problems.append(
                f"{SCALES_DIR}/{stray.name}: scale files must end in .yaml (this file is ignored)."
            )
        raw_scales: dict[str, Any] = {}
        for path in scale_paths:
            name = f"{SCALES_DIR}/{path.name}"
            raw_scales[path.stem] = (name, _read_yaml(path, name, self.raw_problems))
            files[name] = raw_scales[path.stem][1]
        self.probs.items.extend(self.raw_problems)

        q = raw_q if isinstance(raw_q, dict) else {}
        qf = QUESTIONNAIRE_FILE
        if raw_q is not None:
            _validate(QuestionnaireFile, raw_q, qf, None, self.probs)
            if isinstance(q.get("id"), str) and not re.match(r"^[a-z0-9][a-z0-9._-]*$", q["id"]):
                self.probs.add(qf, None, f"instrument id '{q['id']}' must be lower-case, "
                               "letters, digits, '.', '_' or '-'")
            elif isinstance(q.get("id"), str) and len(q["id"]) > MAX_ID_CHARS:
                self.probs.add(qf, None, f"instrument id {clip(q['id'])} has {len(q['id'])} "
                               f"characters; at most {MAX_ID_CHARS} are allowed")
            if isinstance(q.get("version"), str) and len(q["version"]) > MAX_VERSION_CHARS:
                self.probs.add(qf, None, f"version {clip(q['version'])} has "
                               f"{len(q['version'])} characters; at most {MAX_VERSION_CHARS} "
                               "are allowed")

        langs = q.get("languages")
        if isinstance(langs, list) and all(isinstance(x, str) for x in langs):
            self.languages = list(langs)
            for lang in langs:
                if not re.match(r"^[a-z]{2}$", lang):
                    self.probs.add(qf, None, f"language '{lang}' must be a two-letter code")
            if len(set(langs)) != len(langs):
                self.probs.add(qf, None, "languages are listed twice")
        _check_text(q.get("title"), qf, "title", "text", self.languages, self.probs)

        self._build_responses(q.get("responses"))
        scales = self._build_scales(raw_scales)
        questions = self._build_questions(q.get("questions"))
        checks = self._build_attention_checks(q.get("attention_checks"))
        sections = self._build_sections(q.get("sections"), scales, questions, checks)
        consent = self._build_consent(q.get("consent"), questions)
        screening = self._build_screening(q.get("screening"), questions)
        self._check_logic(sections, scales, questions, checks, consent, screening)
        self._check_translations(q, scales, questions)

        if self.probs.items:
            n = len(self.probs.items)
            raise InstrumentError(
                f"The instrument in {folder.name or folder} has {n} problem"
                f"{'s' if n != 1 else ''}; fix them all and load again.",
                self.probs.items,
            )

        # Everything is valid from here on: attach sections and order scales by page.
        placed_q: dict[str, str] = {}
        placed_a: dict[str, str] = {}
        ordered_scales: dict[str, Scale] = {}
        for sec in sections:
            for sid in sec.scales:
                ordered_scales[sid] = scales[sid]
            for qid in sec.questions:
                placed_q[qid] = sec.id
            for aid in sec.attention_checks:
                placed_a[aid] = sec.id
        questions_out = [
            Question(**{**qq.__dict__, "section": placed_q.get(qq.id)}) for qq in questions.values()
        ]
        checks_out = [
            AttentionCheck(**{**ac.__dict__, "section": placed_a.get(ac.id)})
            for ac in checks.values()
        ]
        if consent is None or screening is None:
            raise InstrumentError(
                f"{QUESTIONNAIRE_FILE} needs a 'consent' and a 'screening' block.",
                [f"{QUESTIONNAIRE_FILE}: missing consent or screening block."],
            )
        return Instrument(
            id=q["id"],
            version=q["version"],
            title=dict(q["title"]),
            languages=list(self.languages),
            content_hash=content_hash(files),
            responses=dict(self.responses),
            scales=ordered_scales,
            questions=questions_out,
            attention_checks=checks_out,
            sections=sections,
            consent=consent,
            screening=screening,
            directory=str(folder),
        )

    # -- response lists ------------------------------------------------------------
    def _build_responses(self, raw: Any) -> None:
        qf = QUESTIONNAIRE_FILE
        if not isinstance(raw, dict):
            return
        for rid, body in raw.items():
            rid_s = str(rid)
            self.declared_responses.add(rid_s)
            _check_id(rid_s, qf, f"responses.{rid_s}", "response list", self.probs)
            model = _validate(ResponseListFile, body, qf, f"responses.{rid_s}", self.probs)
            if model is None:
                continue
            values: list[int] = []
            labels: dict[int, dict[str, str]] = {}
            ok = True
            for k, entry in enumerate(model.labels):
                lab = _validate(LabelFile, entry, qf, f"responses.{rid_s}[{k}]", self.probs)
                if lab is None:
                    ok = False
                    continue
                if lab.value in labels:
                    self.probs.add(qf, f"responses.{rid_s}", f"code {lab.value} is listed twice")
                    ok = False
                _check_text(lab.label, qf, f"responses.{rid_s}", f"label of code {lab.value}",
                            self.languages, self.probs)
                values.append(lab.value)
                labels[lab.value] = dict(lab.label)
            if ok:
                self.responses[rid_s] = ResponseList(id=rid_s, values=values, labels=labels)

    # -- scales ----------------------------------------------------------------------
    def _build_scales(self, raw_scales: dict[str, tuple[str, Any]]) -> dict[str, Scale]:
        self.known_scales: set[str] = set(raw_scales)
        out: dict[str, Scale] = {}
        for stem, (name, data) in raw_scales.items():
            if data is None:
                continue
            header = _validate(ScaleFile, data, name, None, self.probs)
            sid = data.get("id") if isinstance(data.get("id"), str) else stem
            if isinstance(data.get("id"), str):
                _check_id(sid, name, sid, "scale", self.probs)
                if sid != stem:
                    self.probs.add(name, sid, f"scale id '{sid}' must equal the file name "
                                   f"('{stem}.yaml' holds scale '{stem}')")
                if sid in RESERVED_NAMES or sid.startswith(RESERVED_PREFIXES):
                    self.probs.add(name, sid, f"'{sid}' is a reserved name")
            _check_text(data.get("construct"), name, sid, "construct", self.languages, self.probs)
            _check_text(data.get("definition"), name, sid, "definition", self.languages,
                        self.probs)
            if isinstance(data.get("measurement"), dict):
                _check_text(data["measurement"].get("reasoning"), name, sid,
                            "measurement reasoning", self.languages, self.probs)
            if isinstance(data.get("sources"), list):
                for k, src in enumerate(data["sources"]):
                    if isinstance(src, str) and not src.strip():
                        self.probs.add(name, sid, f"source {k + 1} is empty")
            ho = data.get("higher_order")
            if isinstance(ho, str):
                _check_id(ho, name, sid, "higher-order construct", self.probs)
            response = self._response_ref(data.get("response"), name, sid, "response")

            raw_items = data.get("items")
            items: list[Item] = []
            items_ok = isinstance(raw_items, list)
            if isinstance(raw_items, list):
                if len(raw_items) < MIN_ITEMS:
                    self.probs.add(name, sid, f"a scale needs at least {MIN_ITEMS} items, "
                                   f"found {len(raw_items)}")
                for k, raw_item in enumerate(raw_items):
                    iid = _raw_id(raw_item, f"items[{k}]")
                    if isinstance(raw_item, dict) and isinstance(raw_item.get("id"), str):
                        self._register_variable(iid, name, "item")
                        if iid in self.known_scales:
                            self.probs.add(name, iid, f"item id '{iid}' is also a scale id "
                                           "(scale scores use the scale id as column name)")
                        if not re.fullmatch(re.escape(sid) + r"_[1-9][0-9]*", iid):
                            self.probs.add(name, iid, f"item id must follow the convention "
                                           f"'{sid}_<k>' (k = 1, 2, ...)")
                    model = _validate(ItemFile, raw_item, name, iid, self.probs)
                    if isinstance(raw_item, dict):
                        _check_text(raw_item.get("text"), name, iid, "text", self.languages,
                                    self.probs)
                    if model is None:
                        items_ok = False
                        continue
                    scale_required = data.get("required") is True
                    items.append(Item(id=model.id, scale=sid, text=dict(model.text),
                                      reverse=model.reverse, required=scale_required,
                                      show_if=model.show_if))
            if header is None or response is None or not items_ok:
                continue
            min_valid = header.min_valid
            if min_valid is None:
                min_valid = math.ceil(len(items) / 2)
            elif not 1 <= min_valid <= len(items):
                self.probs.add(name, sid, f"min_valid must be between 1 and {len(items)}, "
                               f"not {min_valid}")
            out[sid] = Scale(
                id=sid,
                construct=dict(header.construct_text),
                sources=list(header.sources),
                higher_order=header.higher_order,
                items=items,
                response=response,
                min_valid=min_valid,
                definition=dict(header.definition) if header.definition else None,
                required=header.required,
                file=name,
                measurement=header.measurement.model,
                measurement_reasoning=dict(header.measurement.reasoning),
                measurement_sources=list(header.measurement.sources),
            )
        return out

    # -- questions ---------------------------------------------------------------------
    def _build_questions(self, raw: Any) -> dict[str, Question]:
        qf = QUESTIONNAIRE_FILE
        out: dict[str, Question] = {}
        if not isinstance(raw, list):
            return out
        for k, data in enumerate(raw):
            qid = _raw_id(data, f"questions[{k}]")
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                self._register_variable(qid, qf, "question")
                if qid in self.known_scales:
                    self.probs.add(qf, qid, f"question id '{qid}' is also a scale id")
            model = _validate(QuestionFile, data, qf, qid, self.probs)
            if isinstance(data, dict):
                _check_text(data.get("text"), qf, qid, "text", self.languages, self.probs)
                _check_text(data.get("help"), qf, qid, "help", self.languages, self.probs)
                _check_text(data.get("unit"), qf, qid, "unit", self.languages, self.probs)
            if model is None:
                continue
            choices = None
            if model.type in ("single_choice", "boolean"):
                if model.choices is None:
                    self.probs.add(qf, qid, f"a {model.type} question needs 'choices' "
                                   "(a response list id)")
                    continue
                choices = self._response_ref(model.choices, qf, qid, "choices")
                if choices is None:
                    continue
                if model.type == "boolean" and sorted(choices.values) != [0, 1]:
                    self.probs.add(qf, qid, f"a boolean question needs a response list with "
                                   f"codes 0 and 1, '{choices.id}' has {choices.values}")
                    continue
                if model.min is not None or model.max is not None:
                    self.probs.add(qf, qid, "min/max apply only to integer and number questions")
            elif model.type in ("integer", "number"):
                if model.choices is not None:
                    self.probs.add(qf, qid, f"a {model.type} question takes min/max, not choices")
                if model.min is None or model.max is None:
                    self.probs.add(qf, qid, f"a {model.type} question needs both min and max")
                    continue
                if model.min > model.max:
                    self.probs.add(qf, qid, f"min ({model.min}) is larger than max ({model.max})")
                    continue
                if model.type == "integer" and not (
                    float(model.min).is_integer() and float(model.max).is_integer()
                ):
                    self.probs.add(qf, qid, "an integer question needs whole-number min and max")
            elif model.choices is not None or model.min is not None or model.max is not None:
                self.probs.add(qf, qid, "a text question takes no choices, min or max")
            out[model.id] = Question(
                id=model.id,
                type=model.type,
                text=dict(model.text),
                choices=choices,
                min=float(model.min) if model.min is not None else None,
                max=float(model.max) if model.max is not None else None,
                required=model.required,
                unit=dict(model.unit) if model.unit else None,
                help=dict(model.help) if model.help else None,
                measure=model.measure
                or ("scale" if model.type in ("integer", "number") else "nominal"),
                request_response=model.request_response,
                show_if=model.show_if,
                sources=list(model.sources or []),
            )
        return out

    # -- attention checks ------------------------------------------------------------------
    def _build_attention_checks(self, raw: Any) -> dict[str, AttentionCheck]:
        qf = QUESTIONNAIRE_FILE
        out: dict[str, AttentionCheck] = {}
        if not isinstance(raw, list):
            return out
        for k, data in enumerate(raw):
            aid = _raw_id(data, f"attention_checks[{k}]")
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                self._register_variable(aid, qf, "attention check")
            model = _validate(AttentionCheckFile, data, qf, aid, self.probs)
            if isinstance(data, dict):
                _check_text(data.get("text"), qf, aid, "text", self.languages, self.probs)
            if model is None:
                continue
            response = self._response_ref(model.response, qf, aid, "response")
            if response is None:
                continue
            bad = [c for c in model.correct if c not in response.values]
            if bad:
                self.probs.add(qf, aid, f"correct value(s) {bad} not in response list "
                               f"'{response.id}' (codes {response.values})")
                continue
            out[model.id] = AttentionCheck(id=model.id, text=dict(model.text), response=response,
                                           correct=list(model.correct), after=model.after,
                                           required=model.required)
        return out

    # -- sections ------------------------------------------------------------------------
    def _build_sections(
        self,
        raw: Any,
        scales: dict[str, Scale],
        questions: dict[str, Question],
        checks: dict[str, AttentionCheck],
    ) -> list[Section]:
        qf = QUESTIONNAIRE_FILE
        sections: list[Section] = []
        if not isinstance(raw, list):
            return sections
        used: dict[str, dict[str, str]] = {"scale": {}, "question": {}, "attention check": {}}
        section_ids: set[str] = set()
        known_questions = {v for v, f in self.variable_files.items() if f == qf}
        for k, data in enumerate(raw):
            sec_id = _raw_id(data, f"sections[{k}]")
            where = f"section {sec_id}"
            model = _validate(SectionFile, data, qf, where, self.probs)
            if isinstance(data, dict):
                _check_text(data.get("title"), qf, where, "title", self.languages, self.probs)
                _check_text(data.get("intro"), qf, where, "intro", self.languages, self.probs)
            if model is None:
                continue
            _check_id(model.id, qf, where, "section", self.probs)
            if model.id in section_ids:
                self.probs.add(qf, where, f"duplicate section id '{model.id}'")
            section_ids.add(model.id)
            refs = (
                ("scale", model.scales, self.known_scales),
                ("question", model.questions, known_questions),
                ("attention check", model.attention_checks, known_questions),
            )
            for kind, names, known in refs:
                for ref in names:
                    if kind == "scale" and ref not in known:
                        self.probs.add(qf, where, f"unknown scale '{ref}' (no file "
                                       f"{SCALES_DIR}/{ref}.yaml)")
                        continue
                    if kind == "question" and ref not in known:
                        self.probs.add(qf, where, f"unknown question '{ref}'")
                        continue
                    if kind == "attention check" and ref not in known:
                        self.probs.add(qf, where, f"unknown attention check '{ref}'")
                        continue
                    if ref in used[kind]:
                        self.probs.add(qf, where, f"{kind} '{ref}' is already placed in section "
                                       f"{used[kind][ref]}")
                        continue
                    used[kind][ref] = model.id
            for aid in model.attention_checks:
                check = checks.get(aid)
                if check is None or check.after is None:
                    continue
                section_items = {i.id for s in model.scales if s in scales for i in scales[s].items}
                if check.after not in section_items:
                    self.probs.add(qf, aid, f"'after: {check.after}' is not an item of a scale in "
                                   f"section {model.id}")
            if model.attention_checks and not model.scales:
                self.probs.add(qf, where, "attention checks must be placed inside a section with "
                               "scales (a matrix page)")
            sections.append(
                Section(
                    id=model.id,
                    title=dict(model.title),
                    scales=list(model.scales),
                    questions=list(model.questions),
                    attention_checks=list(model.attention_checks),
                    intro=dict(model.intro) if model.intro else None,
                    request_response=model.request_response,
                    show_if=model.show_if,
                )
            )
        for sid in sorted(self.known_scales):
            if sid not in used["scale"]:
                self.probs.add(f"{SCALES_DIR}/{sid}.yaml", sid, "scale is not used by any section")
        for qid in questions:
            if qid not in used["question"]:
                self.probs.add(qf, qid, "question is not placed in any section")
        for aid in checks:
            if aid not in used["attention check"]:
                self.probs.add(qf, aid, "attention check is not placed in any section")
        # a question id listed under attention_checks (or the reverse) is a misplacement
        for aid, sec in used["attention check"].items():
            if aid in questions:
                self.probs.add(qf, f"section {sec}", f"'{aid}' is a question, not an attention "
                               "check")
        for qid, sec in used["question"].items():
            if qid in checks:
                self.probs.add(qf, f"section {sec}", f"'{qid}' is an attention check, not a "
                               "question")
        return sections

    # -- survey logic ------------------------------------------------------------------------
    def _check_logic(
        self,
        sections: list[Section],
        scales: dict[str, Scale],
        questions: dict[str, Question],
        checks: dict[str, AttentionCheck],
        consent: Consent | None,
        screening: Screening | None,
    ) -> None:
        """Check every ``show_if``: grammar, known variables on earlier pages, valid codes.

        Conditions are evaluated on the server when a page is drawn, so they may only read
        answers of pages already submitted; consent and screening are never conditional.
        """
        from instruments.instrument.logic import ConditionError, parse_condition

        qf = QUESTIONNAIRE_FILE
        page_of: dict[str, int] = {}
        for index, sec in enumerate(sections):
            for sid in sec.scales:
                for it in scales[sid].items if sid in scales else []:
                    page_of[it.id] = index
            for ident in [*sec.questions, *sec.attention_checks]:
                page_of[ident] = index
        fixed = {x.question for x in (consent, screening) if x is not None}
        conditional: list[tuple[str, str, str, int | None, str]] = []
        for index, sec in enumerate(sections):
            if sec.show_if is not None:
                conditional.append((qf, f"section {sec.id}", sec.show_if, index, "page"))
        for qid, question in questions.items():
            if question.show_if is not None:
                conditional.append((qf, qid, question.show_if, page_of.get(qid), "question"))
        for scale in scales.values():
            for it in scale.items:
                if it.show_if is not None:
                    conditional.append((scale.file, it.id, it.show_if, page_of.get(it.id),
                                        "item"))  # fmt: skip
        for file, where, text, index, kind in conditional:
            try:
                condition = parse_condition(text)
            except ConditionError as exc:
                self.probs.add(file, where, f"show_if {text!r}: {exc}")
                continue
            if kind == "question" and where in fixed:
                self.probs.add(file, where, "the consent and screening questions are always "
                               "shown; remove show_if")  # fmt: skip
            if kind == "page" and index is not None and any(
                page_of.get(v) == index for v in fixed
            ):
                self.probs.add(file, where, "the page with the consent or screening question "
                               "is always shown; remove show_if")  # fmt: skip
            codes_of = {
                **{i.id: scales[s].response.values for s in scales for i in scales[s].items},
                **{c: checks[c].response.values for c in checks},
                **{q: questions[q].choices.values for q in questions
                   if questions[q].choices is not None},
            }  # fmt: skip
            for name, values in condition.values().items():
                if name in codes_of:
                    bad = [v for v in values if v not in codes_of[name]]
                    if bad:
                        self.probs.add(file, where, f"show_if compares {name} with "
                                       f"{', '.join(f'{v:g}' for v in bad)}, which is not one "
                                       f"of its codes ({codes_of[name]})")  # fmt: skip
            for name in condition.names:
                if name not in page_of:
                    self.probs.add(file, where, f"show_if reads {name!r}, which is not a "
                                   "question or item placed on a page")  # fmt: skip
                elif index is not None and page_of[name] >= index:
                    self.probs.add(file, where, f"show_if reads {name!r}, which is not asked "
                                   "on an earlier page (conditions read answers already "
                                   "submitted)")  # fmt: skip

    # -- translation records -----------------------------------------------------------------
    def _check_translations(
        self, q: dict[str, Any], scales: dict[str, Scale], questions: dict[str, Question]
    ) -> None:
        """Every item and question has a reconciled translation for each further language.

        The record (``translation/<lang>.yaml``) keeps the source and target text as they
        were when translated, back-translated and reconciled; a text edited since then is a
        problem until the record is redone, so the record can never silently go stale.
        """
        from instruments.instrument.translation import check_record

        # Checked once the instrument's own files are valid: a broken id or text would
        # otherwise be reported a second time as a record mismatch.
        if self.probs.items or len(self.languages) < 2:
            return
        texts: dict[str, dict[str, str]] = {}
        for scale in scales.values():
            for it in scale.items:
                texts[it.id] = it.text
        for question in questions.values():
            texts[question.id] = question.text
        for lang in self.languages[1:]:
            for problem in check_record(self.folder, self.languages[0], lang, texts):
                self.probs.add(*problem)

    # -- consent and screening ---------------------------------------------------------------
    def _build_consent(self, raw: Any, questions: dict[str, Question]) -> Consent | None:
        qf = QUESTIONNAIRE_FILE
        if raw is None:
            return None
        if isinstance(raw, dict):
            _check_text(raw.get("title"), qf, "consent", "title", self.languages, self.probs)
            _check_text(raw.get("text"), qf, "consent", "text", self.languages, self.probs,
                        placeholders=CONSENT_PLACEHOLDERS)
            _check_text(raw.get("contact_default"), qf, "consent", "contact_default",
                        self.languages, self.probs)
        model = _validate(ConsentFile, raw, qf, "consent", self.probs)
        if model is None:
            return None
        q = questions.get(model.question)
        if q is None:
            if model.question not in self.variable_files:
                self.probs.add(qf, "consent", f"unknown question '{model.question}'")
            return None
        if q.choices is None or model.accept_value not in q.choices.values:
            self.probs.add(qf, "consent", f"accept_value {model.accept_value} is not a code of "
                           f"question '{q.id}'")
            return None
        return Consent(question=model.question, accept_value=model.accept_value,
                       title=dict(model.title), text=dict(model.text),
                       contact_default=dict(model.contact_default))

    def _build_screening(self, raw: Any, questions: dict[str, Question]) -> Screening | None:
        qf = QUESTIONNAIRE_FILE
        if raw is None:
            return None
        if isinstance(raw, dict):
            _check_text(raw.get("message"), qf, "screening", "message", self.languages,
                        self.probs)
        model = _validate(ScreeningFile, raw, qf, "screening", self.probs)
        if model is None:
            return None
        q = questions.get(model.question)
        if q is None:
            if model.question not in self.variable_files:
                self.probs.add(qf, "screening", f"unknown question '{model.question}'")
            return None
        if q.type not in ("single_choice", "integer", "number"):
            self.probs.add(qf, "screening", f"question '{q.id}' must be a coded or numeric "
                           "question to screen on")
            return None
        return Screening(question=model.question, screen_out_below=model.screen_out_below,
                         message=dict(model.message))
