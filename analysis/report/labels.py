"""Human labels for the variables the report shows: scale constructs from the instrument,
the dependence indices and the study's derived scores, in English or German."""

from __future__ import annotations

from typing import Any

#: Scores the study derives from the scales (the instrument knows only the scales).
DERIVED: dict[str, dict[str, str]] = {
    "learning": {"en": "Relationship learning", "de": "Beziehungslernen"},
    "jd_sum": {"en": "Joint dependence (sum)", "de": "Gemeinsame Abhängigkeit (Summe)"},
    "jd_mean": {"en": "Joint dependence (mean)", "de": "Gemeinsame Abhängigkeit (Mittel)"},
    "asym_abs": {"en": "Dependence asymmetry (absolute)",
                 "de": "Abhängigkeitsasymmetrie (absolut)"},
    "asym_signed": {"en": "Dependence asymmetry (signed)",
                    "de": "Abhängigkeitsasymmetrie (mit Vorzeichen)"},
    # adv_own = max(D_partner - D_own, 0): the partner depends more, our firm holds the advantage
    "adv_own": {"en": "Our dependence advantage", "de": "Unser Abhängigkeitsvorteil"},
    "adv_partner": {"en": "Partner's dependence advantage",
                    "de": "Abhängigkeitsvorteil des Partners"},
    "dyad_jd_sum": {"en": "Joint dependence (dyad, sum)",
                    "de": "Gemeinsame Abhängigkeit (Dyade, Summe)"},
    "dyad_asym_abs": {"en": "Dependence asymmetry (dyad, absolute)",
                      "de": "Abhängigkeitsasymmetrie (Dyade, absolut)"},
    "alliance_age": {"en": "Alliance age", "de": "Alter der Allianz"},
    "firm_size": {"en": "Firm size", "de": "Unternehmensgröße"},
}

#: Short names of the classification questions for table rows (the instrument words them
#: as questions: "What is your position in your firm?").
QUESTIONS: dict[str, dict[str, str]] = {
    "alliance_phase": {"en": "Alliance phase", "de": "Phase der Allianz"},
    "alliance_stage": {"en": "Alliance stage", "de": "Stadium der Allianz"},
    "governance_form": {"en": "Governance form", "de": "Governance-Form"},
    "alliance_function": {"en": "Alliance function", "de": "Funktion der Allianz"},
    "partner_type": {"en": "Partner type", "de": "Art des Partners"},
    "our_role": {"en": "Our role", "de": "Unsere Rolle"},
    "n_partners": {"en": "Number of partners", "de": "Anzahl der Partner"},
    "prior_ties": {"en": "Prior ties with the partner", "de": "Frühere Beziehungen zum Partner"},
    "competitor_overlap": {"en": "Partner is a competitor", "de": "Partner ist Wettbewerber"},
    "sustainability_focus": {"en": "Sustainability focus", "de": "Nachhaltigkeitsfokus"},
    "partner_size": {"en": "Partner's firm size", "de": "Unternehmensgröße des Partners"},
    "industry": {"en": "Industry", "de": "Branche"},
    "alliance_experience": {"en": "Alliance experience", "de": "Allianzerfahrung"},
    "resp_position": {"en": "Respondent's position", "de": "Position der befragten Person"},
    "resp_tenure": {"en": "Respondent's tenure (years)",
                    "de": "Betriebszugehörigkeit der befragten Person (Jahre)"},
    "informant_knowledge": {"en": "Informant's knowledge of the alliance",
                            "de": "Kenntnis der Allianz (befragte Person)"},
}

#: Short forms of the instrument's construct names where the full one would not fit a
#: diagram node or a table column.
SHORT: dict[str, dict[str, str]] = {
    "knowledge_integration": {"en": "Relationship learning: knowledge integration",
                              "de": "Beziehungslernen: Wissensintegration"},
    "dep_partner": {"en": "Partner's dependence on us (perceived)",
                    "de": "Abhängigkeit des Partners (wahrgenommen)"},
    "partner_investments": {"en": "Partner's specific investments (perceived)",
                            "de": "Spezifische Investitionen des Partners (wahrgenommen)"},
    "marker": {"en": "Marker variable", "de": "Markervariable"},
}


def variable_labels(instrument: Any = None, lang: str = "en") -> dict[str, str]:
    """``variable -> label`` for the scales of ``instrument`` and the derived scores.

    Parameters
    ----------
    instrument : Instrument, optional
        Its scales' construct names are used (short forms for the longest ones).
    lang : {"en", "de"}
        Language of the labels.
    """
    out = {k: v.get(lang, v["en"]) for k, v in {**QUESTIONS, **DERIVED}.items()}
    for sid, scale in (getattr(instrument, "scales", None) or {}).items():
        text = (SHORT.get(sid) or scale.construct or {})
        out[sid] = text.get(lang) or text.get("en") or sid
    return out


def value_labels(instrument: Any = None, lang: str = "en") -> dict[str, dict[str, str]]:
    """``variable -> {code: label}`` of the coded variables a grouping can use: the
    codebook's coded paradata (``firm_role``), the questionnaire languages and the
    instrument's single-choice questions (codes as text, as JSON keys are)."""
    from instruments.instrument.codebook import PARADATA_VALUE_LABELS, paradata_value_labels
    from instruments.instrument.schema import LANGUAGE_NAMES

    out: dict[str, dict[str, str]] = {
        name: paradata_value_labels(name, lang) or {} for name in PARADATA_VALUE_LABELS}
    languages = getattr(instrument, "languages", None) or list(LANGUAGE_NAMES)
    out["language"] = {code: LANGUAGE_NAMES.get(code, code) for code in languages}
    for q in getattr(instrument, "questions", None) or []:
        choices = getattr(q, "choices", None)
        if choices is None:
            continue
        try:
            names = choices.value_labels(lang)
        except KeyError:
            names = choices.value_labels("en")
        out[q.id] = {str(code): str(text) for code, text in names.items()}
    return out


def label(name: Any, labels: dict[str, str] | None = None) -> str:
    """The label of ``name`` (its words with the first letter capitalised if unknown)."""
    key = str(name)
    if labels and key in labels:
        return labels[key]
    if key.endswith("__obs") and labels and key[:-5] in labels:
        return labels[key[:-5]]
    text = key.replace("_", " ")
    return text[:1].upper() + text[1:]
