"""The codebook (data dictionary) of an instrument: as a DataFrame, Markdown, CSV or JSON.

One row per variable of the canonical wide layout: id/paradata columns
(``respondent_id``, ``alliance_id``, ``firm_role``, ``language``,
``duration_sec``, ``page_time_<section>``), then every question, scale item and
attention check in page order.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis.errors import InstrumentError
from instruments.instrument.schema import PARADATA_COLUMNS

if TYPE_CHECKING:  # pragma: no cover
    from instruments.instrument.schema import Instrument

FORMATS = ("md", "csv", "json")

COLUMNS = [
    "variable",
    "kind",
    "section",
    "label",
    "scale",
    "construct",
    "higher_order",
    "measurement",
    "reverse",
    "type",
    "measure",
    "response",
    "values",
    "value_labels",
    "min",
    "max",
    "required",
    "correct",
    "sources",
    "show_if",
]
"""Columns of :func:`variables_table`, in order.

``show_if`` is the survey logic that decides whether the variable is asked (the page's
and the variable's own condition joined with ``and``; empty: always asked).  A
respondent not shown a variable has it empty in the data and listed in the export's
``not_shown`` column, apart from items left unanswered."""

_PARADATA_LABELS: dict[str, dict[str, str]] = {
    "respondent_id": {"en": "Respondent id", "de": "Kennung der befragten Person"},
    "alliance_id": {"en": "Alliance (dyad) id", "de": "Kennung der Allianz (Dyade)"},
    "firm_role": {
        "en": "Firm of the dyad (A or B)",
        "de": "Unternehmen der Dyade (A oder B)",
    },
    "language": {"en": "Language of the questionnaire (the one most pages were answered in)",
                 "de": "Sprache des Fragebogens (in der die meisten Seiten beantwortet wurden)"},
    "duration_sec": {
        "en": "Total time to complete, in seconds",
        "de": "Gesamtdauer der Bearbeitung in Sekunden",
    },
}
#: Words for the codes of the coded paradata columns (``code -> {lang: label}``): firm A
#: is the firm named first when the dyad was invited (``create_dyad``), firm B its partner.
PARADATA_VALUE_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "firm_role": {
        "A": {"en": "firm A (named first for the alliance)",
              "de": "Unternehmen A (für die Allianz zuerst genannt)"},
        "B": {"en": "firm B (firm A's partner)",
              "de": "Unternehmen B (Partner von Unternehmen A)"},
    },
}
_PAGE_TIME_LABEL = {"en": "Time on page '{title}', in seconds",
                    "de": "Verweildauer auf der Seite „{title}“ in Sekunden"}
_PARADATA_TYPES = {
    "respondent_id": ("string", "nominal"),
    "alliance_id": ("string", "nominal"),
    "firm_role": ("string", "nominal"),
    "language": ("string", "nominal"),
    "duration_sec": ("number", "scale"),
}


def _paradata_label(name: str, lang: str) -> str:
    labels = _PARADATA_LABELS[name]
    return labels.get(lang, labels["en"])


def paradata_value_labels(name: str, lang: str = "en") -> dict[str, str] | None:
    """``code -> label`` of a coded paradata column (``firm_role``), None for the others."""
    codes = PARADATA_VALUE_LABELS.get(name)
    if codes is None:
        return None
    return {code: text.get(lang, text["en"]) for code, text in codes.items()}


def variables_table(inst: Instrument, lang: str = "en") -> pd.DataFrame:
    """The codebook as a tidy DataFrame, one row per variable.

    Parameters
    ----------
    inst : Instrument
        The questionnaire.
    lang : str
        Language of labels and value labels.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`.  ``kind`` is one of ``paradata``, ``question``,
        ``item``, ``attention_check``; ``measure`` the SPSS level (``nominal``,
        ``ordinal``, ``scale``); ``values`` the list of valid codes and
        ``value_labels`` a ``code -> label`` dict for coded variables (else
        None); ``min``/``max`` are floats (NaN when not applicable); ``sources``
        a list of references (the scale's for items, the question's for controls);
        ``measurement`` the scale's declared model (``reflective`` or ``composite``).

    Notes
    -----
    Labels have ``{partner}`` replaced by the language's generic wording.
    """
    if lang not in inst.languages:
        raise InstrumentError(
            f"Language '{lang}' is not offered by instrument {inst.id}; "
            f"use one of {', '.join(inst.languages)}."
        )
    nan = math.nan
    rows: list[dict[str, Any]] = []

    def base(variable: str, kind: str, section: str | None, label: str) -> dict[str, Any]:
        return {
            "variable": variable,
            "kind": kind,
            "section": section,
            "label": label,
            "scale": None,
            "construct": None,
            "higher_order": None,
            "measurement": None,
            "reverse": False,
            "type": None,
            "measure": None,
            "response": None,
            "values": None,
            "value_labels": None,
            "min": nan,
            "max": nan,
            "required": False,
            "correct": None,
            "sources": None,
            "show_if": _shown_when(section, variable),
        }

    page_logic = {sec.id: sec.show_if for sec in inst.sections}

    def _shown_when(section: str | None, variable: str) -> str | None:
        if section is None or variable.startswith("page_time_"):
            return None
        own = getattr(inst.item(variable), "show_if", None)
        parts = [c for c in (page_logic.get(section), own) if c]
        if len(parts) == 2:
            return f"({parts[0]}) and ({parts[1]})"
        return parts[0] if parts else None

    for name in PARADATA_COLUMNS:
        row = base(name, "paradata", None, _paradata_label(name, lang))
        row["type"], row["measure"] = _PARADATA_TYPES[name]
        row["required"] = name in ("respondent_id", "language")
        coded = paradata_value_labels(name, lang)
        if coded is not None:
            row["values"], row["value_labels"] = list(coded), coded
        rows.append(row)
    for sec in inst.sections:
        title = sec.title.get(lang, sec.title[inst.languages[0]])
        tmpl = _PAGE_TIME_LABEL.get(lang, _PAGE_TIME_LABEL["en"])
        row = base(f"page_time_{sec.id}", "paradata", sec.id, tmpl.format(title=title))
        row["type"], row["measure"] = "number", "scale"
        rows.append(row)

    questions = {q.id: q for q in inst.questions}
    checks = {a.id: a for a in inst.attention_checks}
    for sec in inst.sections:
        for qid in sec.questions:
            q = questions[qid]
            row = base(q.id, "question", sec.id, inst.item_text(q.id, lang))
            row["type"] = q.type
            row["measure"] = q.measure
            row["required"] = q.required
            row["sources"] = list(q.sources) or None
            row["min"] = q.min if q.min is not None else nan
            row["max"] = q.max if q.max is not None else nan
            if q.choices is not None:
                row["response"] = q.choices.id
                row["values"] = list(q.choices.values)
                row["value_labels"] = q.choices.value_labels(lang)
            rows.append(row)
        placed_after: dict[str, list[str]] = {}
        unplaced: list[str] = []
        for aid in sec.attention_checks:
            after = checks[aid].after
            if after:
                placed_after.setdefault(after, []).append(aid)
            else:
                unplaced.append(aid)

        def check_row(aid: str, section_id: str) -> dict[str, Any]:
            a = checks[aid]
            row = base(a.id, "attention_check", section_id, inst.item_text(a.id, lang))
            row.update(
                type="rating",
                measure="ordinal",
                response=a.response.id,
                values=list(a.response.values),
                value_labels=a.response.value_labels(lang),
                min=float(a.response.min),
                max=float(a.response.max),
                required=a.required,
                correct=list(a.correct),
            )
            return row

        for sid in sec.scales:
            scale = inst.scales[sid]
            for item in scale.items:
                row = base(item.id, "item", sec.id, inst.item_text(item.id, lang))
                row.update(
                    scale=sid,
                    construct=scale.construct.get(lang, scale.construct[inst.languages[0]]),
                    higher_order=scale.higher_order,
                    measurement=scale.measurement,
                    reverse=item.reverse,
                    type="rating",
                    measure="ordinal",
                    response=scale.response.id,
                    values=list(scale.response.values),
                    value_labels=scale.response.value_labels(lang),
                    min=float(scale.response.min),
                    max=float(scale.response.max),
                    required=item.required,
                    sources=list(scale.sources),
                )
                rows.append(row)
                for aid in placed_after.get(item.id, []):
                    rows.append(check_row(aid, sec.id))
        for aid in unplaced:
            rows.append(check_row(aid, sec.id))

    df = pd.DataFrame(rows, columns=COLUMNS)
    df["reverse"] = df["reverse"].astype(bool)
    df["required"] = df["required"].astype(bool)
    df["min"] = df["min"].astype("float64")
    df["max"] = df["max"].astype("float64")
    return df


def codebook_dict(inst: Instrument, lang: str = "en") -> dict[str, Any]:
    """The codebook as a JSON-ready dict: instrument, scales (all languages), variables."""
    table = variables_table(inst, lang=lang)
    variables: list[dict[str, Any]] = []
    for rec in table.to_dict(orient="records"):
        out: dict[str, Any] = {}
        for key, value in rec.items():
            if isinstance(value, float) and math.isnan(value):
                value = None
            elif isinstance(value, dict):
                value = {str(k): v for k, v in value.items()}
            out[key] = value
        variables.append(out)
    scales = {
        sid: {
            "construct": dict(s.construct),
            "definition": dict(s.definition) if s.definition else None,
            "sources": list(s.sources),
            "higher_order": s.higher_order,
            "measurement": {"model": s.measurement,
                            "reasoning": dict(s.measurement_reasoning or {}),
                            "sources": list(s.measurement_sources)},
            "response": s.response.id,
            "min_valid": s.min_valid,
            "items": [
                {"id": it.id, "text": dict(it.text), "reverse": it.reverse} for it in s.items
            ],
        }
        for sid, s in inst.scales.items()
    }
    return {
        "instrument": {
            "id": inst.id,
            "version": inst.version,
            "content_hash": inst.content_hash,
            "languages": list(inst.languages),
            "title": dict(inst.title),
        },
        "language": lang,
        "scales": scales,
        "variables": variables,
    }


def _flat(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return " | ".join(str(v) for v in value) if any(
            isinstance(v, str) for v in value
        ) else ";".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_csv(inst: Instrument, lang: str = "en") -> str:
    """The codebook as CSV text (lists joined with ';' or ' | ', value labels as 'code=label')."""
    table = variables_table(inst, lang=lang)
    flat = table.copy()
    for col in ("values", "value_labels", "correct", "sources", "min", "max"):
        flat[col] = [_flat(v) for v in table[col]]
    buf = io.StringIO()
    flat.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def to_json(inst: Instrument, lang: str = "en") -> str:
    """The codebook as JSON text (see :func:`codebook_dict`)."""
    return json.dumps(codebook_dict(inst, lang=lang), ensure_ascii=False, indent=2) + "\n"


def _md_cell(value: Any) -> str:
    text = _flat(value)
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(inst: Instrument, lang: str = "en") -> str:
    """The codebook as a Markdown document: instrument, scales with sources, variable tables."""
    table = variables_table(inst, lang=lang)
    title = inst.title.get(lang, inst.title[inst.languages[0]])
    out = [
        f"# Codebook: {title}",
        "",
        f"- Instrument: `{inst.id}` version {inst.version}",
        f"- Content hash (SHA-256): `{inst.content_hash}`",
        f"- Languages: {', '.join(inst.languages)} (labels below: {lang})",
        f"- Variables: {len(table)}; scales: {len(inst.scales)}; "
        f"reverse-keyed items: {', '.join(inst.reverse_items()) or 'none'}",
        "",
        "## Scales",
        "",
    ]
    for sid, s in inst.scales.items():
        construct = s.construct.get(lang, s.construct[inst.languages[0]])
        out.append(f"### `{sid}`: {construct}")
        out.append("")
        if s.definition:
            out.append(s.definition.get(lang, s.definition[inst.languages[0]]))
            out.append("")
        out.append(
            f"Items: {', '.join(s.item_ids)}. Response format: `{s.response.id}` "
            f"({s.response.min}–{s.response.max}). Higher-order construct: "
            f"{s.higher_order or 'none'}. Score needs at least {s.min_valid} answered items."
        )
        out.append("")
        reasoning = (s.measurement_reasoning or {}).get(lang, "")
        out.append(f"Measurement model: **{s.measurement}**. {reasoning}".rstrip())
        out.append("")
        if s.measurement_sources:
            out.append("Measurement model sources: " + "; ".join(s.measurement_sources))
            out.append("")
        out.append("Sources:")
        out.append("")
        out.extend(f"- {src}" for src in s.sources)
        out.append("")
    controls = [q for q in inst.questions if q.sources]
    if controls:
        out.append("## Questions with sources (controls and classification)")
        out.append("")
        for q in controls:
            out.append(f"- `{q.id}`: " + "; ".join(q.sources))
        out.append("")
    out.append("## Response lists")
    out.append("")
    for rid, rl in inst.responses.items():
        labels = "; ".join(f"{v} = {rl.labels[v].get(lang, '')}" for v in rl.values)
        out.append(f"- `{rid}`: {labels}")
    out.append("")
    out.append("## Variables")
    out.append("")
    header = "| Variable | Label | Scale | Type | Measure | Values | Required | Reverse |"
    out.append(header)
    out.append("|---|---|---|---|---|---|---|---|")
    for rec in table.to_dict(orient="records"):
        if rec["value_labels"]:
            values = f"`{rec['response']}`" if rec["kind"] in ("item", "attention_check") \
                else _md_cell(rec["value_labels"])
        elif not math.isnan(rec["min"]):
            values = f"{_flat(rec['min'])}–{_flat(rec['max'])}"
        else:
            values = ""
        if rec["correct"]:
            values += f" (correct: {_flat(rec['correct'])})"
        out.append(
            "| `{v}` | {label} | {scale} | {type} | {measure} | {values} | {req} | {rev} |".format(
                v=rec["variable"],
                label=_md_cell(rec["label"]),
                scale=_md_cell(rec["scale"]),
                type=_md_cell(rec["type"]),
                measure=_md_cell(rec["measure"]),
                values=values,
                req="yes" if rec["required"] else "no",
                rev="yes" if rec["reverse"] else "",
            )
        )
    out.append("")
    return "\n".join(out)


def render_codebook(inst: Instrument, fmt: str = "md", lang: str = "en") -> str:
    """The codebook as text in one of :data:`FORMATS`.

    Examples
    --------
    >>> from instruments.instrument.loader import load_instrument
    >>> text = render_codebook(load_instrument(), "csv", "de")
    """
    if fmt not in FORMATS:
        raise InstrumentError(f"Unknown codebook format '{fmt}'; use one of {', '.join(FORMATS)}.")
    return {"md": to_markdown, "csv": to_csv, "json": to_json}[fmt](inst, lang=lang)


def write_codebook(
    inst: Instrument, path: str | Path, fmt: str | None = None, lang: str = "en"
) -> Path:
    """Write the codebook to a file; the format defaults to the file's extension."""
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".").lower() or "md"
    path.write_text(render_codebook(inst, fmt, lang), encoding="utf-8")
    return path
