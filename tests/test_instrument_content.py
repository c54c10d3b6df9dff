"""The packaged questionnaire: scales, items, translations, questions, attention checks."""

from __future__ import annotations

import re

import pytest

from instruments.instrument.loader import load_instrument
from instruments.instrument.schema import ID_PATTERN, Instrument

EXPECTED_ITEMS = {
    "info_sharing": 5,
    "joint_sensemaking": 5,
    "knowledge_integration": 5,
    "dep_own": 5,
    "dep_partner": 5,
    "trust": 4,
    "specific_investments": 4,
    "partner_investments": 4,
    "absorptive_capacity": 3,
    "marker": 3,
    "learning_about": 5,
    "learning_from": 5,
    "value_creation": 5,
    "value_appropriation": 5,
    "partner_appropriation": 5,
    "innovation_outcome": 5,
    "relationship_performance": 4,
    "sustainability_innovation": 4,
}
COMPOSITE = {"dep_own", "dep_partner", "learning_from", "innovation_outcome",
             "sustainability_innovation"}
HIGHER_ORDER = {
    "info_sharing": "relationship_learning",
    "joint_sensemaking": "relationship_learning",
    "knowledge_integration": "relationship_learning",
    "dep_own": "dependence",
    "dep_partner": "dependence",
}
CLASSIFICATION = {
    "consent": "boolean",
    "informant_knowledge": "single_choice",
    "alliance_phase": "single_choice",
    "governance_form": "single_choice",
    "alliance_function": "single_choice",
    "prior_ties": "single_choice",
    "competitor_overlap": "single_choice",
    "alliance_experience": "integer",
    "partner_type": "single_choice",
    "our_role": "single_choice",
    "firm_size": "single_choice",
    "partner_size": "single_choice",
    "alliance_age": "number",
    "n_partners": "integer",
    "industry": "single_choice",
    "resp_position": "single_choice",
    "resp_tenure": "number",
    "sustainability_focus": "single_choice",
    "comment": "text",
}


@pytest.fixture(scope="module")
def inst() -> Instrument:
    return load_instrument()


def test_identity(inst: Instrument) -> None:
    assert inst.id == "alliance-learning-dependence"
    assert inst.version == "2.0.1"
    assert inst.languages == ["en", "de"]
    assert re.fullmatch(r"[0-9a-f]{64}", inst.content_hash)


def test_every_scale_present_with_the_required_number_of_items(inst: Instrument) -> None:
    assert set(inst.scales) == set(EXPECTED_ITEMS)
    counts = {sid: len(s.items) for sid, s in inst.scales.items()}
    assert counts == EXPECTED_ITEMS


def test_item_ids_follow_the_convention(inst: Instrument) -> None:
    from instruments.instrument.versions import load_versions

    retired = {v for g in load_versions().groups for v, m in g.variables.items()
               if m.status != "same"}
    for sid, ids in inst.scale_items().items():
        assert all(re.fullmatch(rf"{sid}_[1-9][0-9]*", i) for i in ids)
        # an item whose meaning changed got a new id: retired ids are never reused
        assert not set(ids) & retired, sid
        for item in inst.scales[sid].items:
            assert item.scale == sid
            assert ID_PATTERN.match(item.id)


@pytest.mark.parametrize("lang", ["en", "de"])
def test_every_text_is_translated(inst: Instrument, lang: str) -> None:
    for scale in inst.scales.values():
        assert scale.construct[lang].strip()
        for item in scale.items:
            assert item.text[lang].strip(), (item.id, lang)
    for q in inst.questions:
        assert q.text[lang].strip(), (q.id, lang)
        if q.choices is not None:
            assert all(q.choices.labels[v][lang].strip() for v in q.choices.values)
    for check in inst.attention_checks:
        assert check.text[lang].strip()
    for sec in inst.sections:
        assert sec.title[lang].strip()


def test_german_and_english_differ_and_german_uses_formal_register(inst: Instrument) -> None:
    texts = [it.text for s in inst.scales.values() for it in s.items]
    assert all(t["en"] != t["de"] for t in texts)
    german = " ".join(q.text["de"] for q in inst.questions)
    assert re.search(r"\bSie\b", german)
    assert not re.search(r"\b(du|dein|deine|dich)\b", german, flags=re.IGNORECASE)


def test_only_partner_placeholder_and_fill(inst: Instrument) -> None:
    for item in inst.items():
        for lang in inst.languages:
            assert set(re.findall(r"\{([^}]*)\}", item.text[lang])) <= {"partner"}
    assert "Acme" in inst.item_text("trust_3", "en", partner="Acme")
    assert inst.item_text("trust_3", "en").startswith("The partner ")
    de = inst.item_text("trust_3", "de", partner="Acme GmbH")
    assert "Partner Acme GmbH" in de
    assert "{" not in inst.item_text("trust_3", "de")


def test_reverse_items_are_declared_and_few(inst: Instrument) -> None:
    reverse = inst.reverse_items()
    assert 5 <= len(reverse) <= 15
    for sid in ("info_sharing", "joint_sensemaking", "knowledge_integration", "dep_own"):
        assert any(it.reverse for it in inst.scales[sid].items), sid
    for sid, scale in inst.scales.items():
        assert sum(it.reverse for it in scale.items) < len(scale.items) / 2, sid


def test_dep_partner_mirrors_dep_own(inst: Instrument) -> None:
    own, partner = inst.scales["dep_own"], inst.scales["dep_partner"]
    assert len(own.items) == len(partner.items)
    assert [i.reverse for i in own.items] == [i.reverse for i in partner.items]
    assert own.response.id == partner.response.id


def test_scales_cite_sources_and_higher_order(inst: Instrument) -> None:
    for sid, scale in inst.scales.items():
        assert scale.sources, sid
        assert any(re.search(r"\(\d{4}\)|Seed \d{3}", s) for s in scale.sources), sid
        assert scale.higher_order == HIGHER_ORDER.get(sid), sid
        assert scale.min_valid == -(-len(scale.items) // 2)
    assert any("Lindell" in s for s in inst.scales["marker"].sources)
    assert any("Selnes" in s for s in inst.scales["info_sharing"].sources)


def test_seven_point_formats(inst: Instrument) -> None:
    for scale in inst.scales.values():
        assert scale.response.values == list(range(1, 8))
        assert scale.response.id in ("agree7", "extent7")
    agree = inst.responses["agree7"]
    assert agree.labels[1]["en"] == "Strongly disagree"
    assert agree.labels[7]["en"] == "Strongly agree"
    assert inst.responses["extent7"].labels[1]["en"] == "Not at all"


def test_attention_checks(inst: Instrument) -> None:
    ids = [a.id for a in inst.attention_checks]
    assert {"attn_1", "attn_2"} <= set(ids)
    for check in inst.attention_checks:
        assert check.correct and set(check.correct) <= set(check.response.values)
        assert check.response.values == list(range(1, 8))
        section = inst.section(check.section)
        assert section.scales, "attention checks belong inside matrix sections"
        assert check.id in section.attention_checks
        # the instruction names the label of the correct answer
        label = check.response.labels[check.correct[0]]["en"]
        assert f'"{label}"' in check.text["en"]


def test_classification_questions(inst: Instrument) -> None:
    types = {q.id: q.type for q in inst.questions}
    assert {k: types.get(k) for k in CLASSIFICATION} == CLASSIFICATION
    q = {q.id: q for q in inst.questions}
    # one stage question with the complete life cycle, from concept to ending
    assert q["alliance_phase"].choices.values == [1, 2, 3, 4, 5, 6]
    assert q["alliance_phase"].choices.labels[6]["en"].startswith("Ending")
    assert len(q["governance_form"].choices.values) == 3
    for control in ("governance_form", "prior_ties", "competitor_overlap",
                    "alliance_experience"):
        assert q[control].sources, control
    assert len(q["partner_type"].choices.values) == 5
    assert len(q["our_role"].choices.values) == 3
    assert 8 <= len(q["industry"].choices.values) <= 14
    assert q["sustainability_focus"].choices.values == [1, 2, 3]
    assert (q["alliance_age"].min, q["alliance_age"].max) == (0, 100)
    assert (q["n_partners"].min, q["n_partners"].max) == (2, 50)
    # the multi-partner case: counted on the screening page, answered about the named partner
    assert q["n_partners"].section == "screening"
    assert "{partner}" in inst.section("screening").intro["en"]
    assert "in particular" in q["informant_knowledge"].text["en"]
    assert q["informant_knowledge"].choices.values == list(range(1, 8))
    assert q["comment"].required is False
    assert q["consent"].required is True
    assert sorted(q["consent"].choices.values) == [0, 1]


def test_sections_place_everything_once(inst: Instrument) -> None:
    placed_scales = [s for sec in inst.sections for s in sec.scales]
    placed_questions = [s for sec in inst.sections for s in sec.questions]
    assert sorted(placed_scales) == sorted(inst.scales)
    assert list(inst.scales) == placed_scales  # scales in questionnaire order
    assert sorted(placed_questions) == sorted(q.id for q in inst.questions)
    assert inst.sections[0].id == "consent"
    assert inst.sections[-1].questions == ["comment"]


def test_consent_and_screening(inst: Instrument) -> None:
    text = inst.consent_text("en", contact="Dr. A. Lead, lead@example.org")
    assert "IP addresses" in text and "voluntary" in text and "lead@example.org" in text
    assert "IP-Adressen" in inst.consent_text("de")
    assert "{" not in inst.consent_text("de")
    assert inst.screening.question == "informant_knowledge"
    assert inst.screening.screened_out(2) and not inst.screening.screened_out(6)
    assert not inst.screening.screened_out(float("nan"))


def test_unknown_variable_and_language_raise(inst: Instrument) -> None:
    from analysis.errors import InstrumentError

    with pytest.raises(InstrumentError, match="no item"):
        inst.item_text("trust_9")
    with pytest.raises(InstrumentError, match="Language 'fr'"):
        inst.item_text("trust_1", "fr")


def test_measurement_model_declared_for_every_scale(inst: Instrument) -> None:
    models = {sid: s.measurement for sid, s in inst.scales.items()}
    assert {sid for sid, m in models.items() if m == "composite"} == COMPOSITE
    assert set(models.values()) == {"reflective", "composite"}
    for sid, scale in inst.scales.items():
        assert scale.measurement_sources, sid
        assert all(scale.measurement_reasoning[lang].strip() for lang in inst.languages), sid


def test_marker_shares_the_format_and_is_placed_among_the_scales(inst: Instrument) -> None:
    marker = inst.scales["marker"]
    assert marker.response.id == "agree7"
    assert all(it.text["en"].startswith(("Our firm", "The offices at our firm"))
               for it in marker.items)
    page = next(sec for sec in inst.sections if "marker" in sec.scales)
    assert len(page.scales) > 1  # not a page of its own
    intro = (page.intro or {}).get("en", "")
    assert "unrelated" not in intro and "nothing to do" not in intro


def test_sustainability_items_in_their_own_block(inst: Instrument) -> None:
    page = next(sec for sec in inst.sections if "sustainability_innovation" in sec.scales)
    assert page.scales == ["sustainability_innovation"]
    assert page.show_if == "sustainability_focus in [2, 3]"
    for sid in ("learning_from", "innovation_outcome"):
        assert not any("sustainab" in it.text["en"].lower() or "environment" in
                       it.text["en"].lower() for it in inst.scales[sid].items), sid


def test_mirror_scales(inst: Instrument) -> None:
    for own, other in (("dep_own", "dep_partner"), ("specific_investments",
                                                    "partner_investments"),
                       ("value_appropriation", "partner_appropriation")):
        a, b = inst.scales[own], inst.scales[other]
        assert [i.reverse for i in a.items] == [i.reverse for i in b.items], own
        assert a.response.id == b.response.id and a.measurement == b.measurement


def test_no_item_names_fairness_or_monitoring(inst: Instrument) -> None:
    for sid in ("value_appropriation", "partner_appropriation"):
        assert not any("fair" in it.text["en"].lower() for it in inst.scales[sid].items)
    assert not any("check" in it.text["en"].lower() for it in inst.scales["trust"].items)
    assert not any("clearly" in it.text["en"] for it in inst.scales["value_creation"].items)
