"""The loader: all problems of a broken instrument reported at once; content hash."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from analysis.errors import InstrumentError
from instruments.instrument.loader import PACKAGE_DIR, load_instrument


def copy_instrument(dest: Path) -> Path:
    """A private, editable copy of the packaged instrument."""
    target = dest / "instrument"
    (target / "scales").mkdir(parents=True)
    shutil.copy(PACKAGE_DIR / "questionnaire.yaml", target / "questionnaire.yaml")
    for path in (PACKAGE_DIR / "scales").glob("*.yaml"):
        shutil.copy(path, target / "scales" / path.name)
    shutil.copytree(PACKAGE_DIR / "translation", target / "translation")
    shutil.copy(PACKAGE_DIR / "versions.yaml", target / "versions.yaml")
    return target


def edit_yaml(path: Path, change: Callable[[dict], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(InstrumentError) as info:
        load_instrument(folder)
    return info.value.problems


def item(data: dict, item_id: str) -> dict:
    return next(it for it in data["items"] if it["id"] == item_id)


def section(data: dict, section_id: str) -> dict:
    return next(s for s in data["sections"] if s["id"] == section_id)


def test_copy_loads_like_the_package(tmp_path: Path) -> None:
    folder = copy_instrument(tmp_path)
    assert load_instrument(folder).content_hash == load_instrument().content_hash


def test_all_planted_problems_reported_in_one_error(tmp_path: Path) -> None:
    folder = copy_instrument(tmp_path)
    scales = folder / "scales"
    # 1 duplicate id
    edit_yaml(scales / "trust.yaml", lambda d: item(d, "trust_5").update(id="trust_3"))
    # 2 unknown scale in a section
    edit_yaml(
        folder / "questionnaire.yaml",
        lambda d: section(d, "learning")["scales"].append("no_such_scale"),
    )
    # 3 missing German translation
    edit_yaml(scales / "dep_own.yaml", lambda d: item(d, "dep_own_2")["text"].pop("de"))
    # 4 reverse given as a string
    edit_yaml(scales / "info_sharing.yaml", lambda d: item(d, "info_sharing_8").update(reverse="yes"))
    # 5 unknown response list
    edit_yaml(scales / "value_creation.yaml", lambda d: d.update(response="agree5"))
    # 6 YAML syntax error (unclosed flow sequence on line 3)
    (scales / "marker.yaml").write_text(
        "id: marker\nresponse: agree7\nsources: [Lindell & Whitney 2001\nitems: []\n",
        encoding="utf-8",
    )

    with pytest.raises(InstrumentError) as info:
        load_instrument(folder)
    problems = info.value.problems
    expected = [
        ("scales/trust.yaml: trust_3:", "duplicate id"),
        ("questionnaire.yaml: section learning:", "unknown scale 'no_such_scale'"),
        ("scales/dep_own.yaml: dep_own_2:", "missing German text"),
        ("scales/info_sharing.yaml: info_sharing_8:", "'reverse' must be true or false"),
        ("scales/value_creation.yaml: value_creation:", "response 'agree5'"),
        ("scales/marker.yaml: line", "YAML syntax error"),
    ]
    for prefix, phrase in expected:
        assert any(p.startswith(prefix) and phrase in p for p in problems), (prefix, problems)
    assert len(problems) == len(expected), problems
    # the message lists them too
    assert "6 problems" in str(info.value)
    assert "dep_own_2" in str(info.value)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    folder = copy_instrument(tmp_path)
    q = folder / "questionnaire.yaml"
    lines = q.read_text(encoding="utf-8").splitlines()
    n = next(k for k, line in enumerate(lines) if line.startswith("languages:"))
    lines[n] = "languages: [en, de"
    q.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = problems_of(folder)
    assert any(p.startswith("questionnaire.yaml: line") and "YAML syntax error" in p
               for p in problems), problems


def _unknown_key(folder: Path) -> None:
    edit_yaml(folder / "scales" / "trust.yaml", lambda d: item(d, "trust_1").update(revers=True))


def _bad_id(folder: Path) -> None:
    def change(d: dict) -> None:
        q = next(q for q in d["questions"] if q["id"] == "comment")
        q["id"] = "Comment-1"
        section(d, "comment")["questions"] = ["Comment-1"]

    edit_yaml(folder / "questionnaire.yaml", change)


def _reserved(folder: Path) -> None:
    def change(d: dict) -> None:
        q = next(q for q in d["questions"] if q["id"] == "comment")
        q["id"] = "page_time_extra"
        section(d, "comment")["questions"] = ["page_time_extra"]

    edit_yaml(folder / "questionnaire.yaml", change)


def _reserved_respondent(folder: Path) -> None:
    def change(d: dict) -> None:
        q = next(q for q in d["questions"] if q["id"] == "comment")
        q["id"] = "respondent_id"
        section(d, "comment")["questions"] = ["respondent_id"]

    edit_yaml(folder / "questionnaire.yaml", change)


def _unused_scale(folder: Path) -> None:
    edit_yaml(folder / "questionnaire.yaml", lambda d: section(d, "your_firm").update(scales=["absorptive_capacity"]))


def _too_few_items(folder: Path) -> None:
    edit_yaml(folder / "scales" / "marker.yaml", lambda d: d["items"].pop())


def _empty_text(folder: Path) -> None:
    edit_yaml(folder / "scales" / "trust.yaml",
              lambda d: item(d, "trust_2")["text"].update(en="  "))


def _correct_outside(folder: Path) -> None:
    def change(d: dict) -> None:
        next(a for a in d["attention_checks"] if a["id"] == "attn_2")["correct"] = [9]

    edit_yaml(folder / "questionnaire.yaml", change)


def _placeholder(folder: Path) -> None:
    edit_yaml(folder / "scales" / "trust.yaml",
              lambda d: item(d, "trust_1")["text"].update(de="Wir vertrauen {firma}."))


def _unknown_question(folder: Path) -> None:
    edit_yaml(folder / "questionnaire.yaml",
              lambda d: section(d, "about_you")["questions"].append("resp_age"))


def _duplicate_across_files(folder: Path) -> None:
    def change(d: dict) -> None:
        next(a for a in d["attention_checks"] if a["id"] == "attn_1")["id"] = "trust_1"
        section(d, "learning")["attention_checks"] = ["trust_1"]

    edit_yaml(folder / "questionnaire.yaml", change)


def _yes_unquoted(folder: Path) -> None:
    path = folder / "scales" / "info_sharing.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("reverse: true", "reverse: yes", 1), encoding="utf-8")


def _item_convention(folder: Path) -> None:
    edit_yaml(folder / "scales" / "trust.yaml", lambda d: item(d, "trust_5").update(id="trust_x"))


def _question_without_choices(folder: Path) -> None:
    def change(d: dict) -> None:
        next(q for q in d["questions"] if q["id"] == "industry").pop("choices")

    edit_yaml(folder / "questionnaire.yaml", change)


def _missing_language_in_labels(folder: Path) -> None:
    def change(d: dict) -> None:
        d["responses"]["agree7"]["labels"][0]["label"].pop("de")

    edit_yaml(folder / "questionnaire.yaml", change)


def _stray_yml(folder: Path) -> None:
    shutil.copy(folder / "scales" / "trust.yaml", folder / "scales" / "trust_old.yml")


@pytest.mark.parametrize(
    ("plant", "where", "phrase"),
    [
        (_unknown_key, "scales/trust.yaml: trust_1:", "unknown key 'revers'"),
        (_bad_id, "questionnaire.yaml: Comment-1:", "must match"),
        (_reserved, "questionnaire.yaml: page_time_extra:", "reserved name"),
        (_reserved_respondent, "questionnaire.yaml: respondent_id:", "reserved name"),
        (_unused_scale, "scales/marker.yaml: marker:", "not used by any section"),
        (_too_few_items, "scales/marker.yaml: marker:", "at least 3 items"),
        (_empty_text, "scales/trust.yaml: trust_2:", "empty English text"),
        (_correct_outside, "questionnaire.yaml: attn_2:", "not in response list"),
        (_placeholder, "scales/trust.yaml: trust_1:", "unknown placeholder {firma}"),
        (_unknown_question, "questionnaire.yaml: section about_you:", "unknown question"),
        (_duplicate_across_files, "questionnaire.yaml: trust_1:", "duplicate id"),
        (_yes_unquoted, "scales/info_sharing.yaml: info_sharing_8:", "must be true or false"),
        (_item_convention, "scales/trust.yaml: trust_x:", "'trust_<k>'"),
        (_question_without_choices, "questionnaire.yaml: industry:", "needs 'choices'"),
        (_missing_language_in_labels, "questionnaire.yaml: responses.agree7:", "missing German"),
        (_stray_yml, "scales/trust_old.yml:", "must end in .yaml"),
    ],
)
def test_each_check(tmp_path: Path, plant: Callable[[Path], None], where: str,
                    phrase: str) -> None:
    folder = copy_instrument(tmp_path)
    plant(folder)
    problems = problems_of(folder)
    assert any(p.startswith(where) and phrase in p for p in problems), problems


def test_no_folder(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match="No questionnaire.yaml"):
        load_instrument(tmp_path)


def test_content_hash_stable_and_sensitive(tmp_path: Path) -> None:
    folder = copy_instrument(tmp_path)
    base = load_instrument(folder).content_hash
    assert load_instrument(folder).content_hash == base
    # formatting, comments and key order do not change the content
    trust = folder / "scales" / "trust.yaml"
    data = yaml.safe_load(trust.read_text(encoding="utf-8"))
    reordered = dict(reversed(list(data.items())))
    trust.write_text("# a comment\n" + yaml.safe_dump(reordered, allow_unicode=True, width=60),
                     encoding="utf-8")
    assert load_instrument(folder).content_hash == base
    # a changed value label in questionnaire.yaml changes it (a changed item text too,
    # but that needs a new translation record first: test_translation_record_*)
    q = folder / "questionnaire.yaml"
    original = q.read_text(encoding="utf-8")
    edit_yaml(q, lambda d: d["responses"]["agree7"]["labels"][0]["label"].update(
        en="Disagree strongly"))
    assert load_instrument(folder).content_hash != base
    q.write_text(original, encoding="utf-8")
    assert load_instrument(folder).content_hash == base
    # the translation record is documentation, not content: editing a decision keeps it
    record = folder / "translation" / "de.yaml"
    edit_yaml(record, lambda d: d["entries"][0].update(decision="Reviewed again; kept."))
    assert load_instrument(folder).content_hash == base


def test_loading_does_not_share_state(tmp_path: Path) -> None:
    a = load_instrument()
    a.scales["trust"].items.clear()
    b = load_instrument()
    assert len(b.scales["trust"].items) == 4


def test_required_flags(tmp_path: Path) -> None:
    inst = load_instrument()
    assert not any(it.required for it in inst.items())  # items may be skipped by default
    folder = copy_instrument(tmp_path)
    edit_yaml(folder / "scales" / "trust.yaml", lambda d: d.update(required=True))
    edit_yaml(folder / "questionnaire.yaml",
              lambda d: d["attention_checks"][0].update(required=True))
    changed = load_instrument(folder)
    assert all(it.required for it in changed.scales["trust"].items)
    assert not any(it.required for it in changed.scales["dep_own"].items)
    assert changed.attention_checks[0].required
    book = changed.variables().set_index("variable")
    assert bool(book.loc["trust_2", "required"]) and not bool(book.loc["dep_own_2", "required"])
