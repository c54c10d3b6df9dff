"""A small instrument following the ``instruments.instrument.loader`` contract, for store tests.

Kept independent of the real questionnaire so that the store's tests pin down the
store's behaviour only; one test also runs the real instrument end to end.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Response:
    values: dict[int, dict[str, str]]

    @property
    def min(self) -> int:
        return min(self.values)

    @property
    def max(self) -> int:
        return max(self.values)


AGREE5 = Response({i: {"en": f"level {i}", "de": f"Stufe {i}"} for i in range(1, 6)})


@dataclass(frozen=True)
class Item:
    id: str
    text: dict[str, str]
    reverse: bool = False


@dataclass(frozen=True)
class Scale:
    id: str
    items: tuple[Item, ...]
    response: Response = AGREE5


@dataclass(frozen=True)
class AttentionCheck:
    id: str
    correct: int
    response: Response = AGREE5
    required: bool = False


@dataclass(frozen=True)
class Choices:
    values: dict[int, dict[str, str]]


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    choices: Choices | None = None
    min: float | None = None
    max: float | None = None
    required: bool = False


@dataclass(frozen=True)
class Section:
    id: str
    title: dict[str, str]
    scales: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    attention_checks: tuple[str, ...] = ()


def _scale(sid: str, n: int) -> Scale:
    return Scale(sid, tuple(Item(f"{sid}_{i}", {"en": f"{sid} {i} about {{partner}}"})
                            for i in range(1, n + 1)))  # fmt: skip


@dataclass(frozen=True)
class FakeInstrument:
    id: str = "fake-instrument"
    version: str = "0.1.0"
    content_hash: str = "fakehash0001"
    languages: tuple[str, ...] = ("en", "de")
    scales: dict[str, Scale] = field(
        default_factory=lambda: {"trust": _scale("trust", 3), "dep_own": _scale("dep_own", 3)}
    )
    attention_checks: dict[str, AttentionCheck] = field(
        default_factory=lambda: {"attn_1": AttentionCheck("attn_1", correct=2)}
    )
    questions: dict[str, Question] = field(
        default_factory=lambda: {
            "consent": Question("consent", "boolean", required=True),
            "stage": Question(
                "stage",
                "single_choice",
                Choices({1: {"en": "a"}, 2: {"en": "b"}, 3: {"en": "c"}}),
                required=True,
            ),  # fmt: skip
            "n_partners": Question("n_partners", "integer", min=2, max=50),
            "alliance_age": Question("alliance_age", "number", min=0, max=100),
            "comment": Question("comment", "text", max=200),
        }
    )
    sections: tuple[Section, ...] = (
        Section("consent", {"en": "Consent"}, questions=("consent",)),
        Section("alliance", {"en": "Alliance"}, questions=("stage", "n_partners", "alliance_age")),
        Section(
            "relationship",
            {"en": "Relationship"},
            scales=("trust", "dep_own"),
            attention_checks=("attn_1",),
        ),  # fmt: skip
        Section("end", {"en": "End"}, questions=("comment",)),
    )


#: Item columns of the wide layout, in page order.
ITEM_COLUMNS = [
    "consent", "stage", "n_partners", "alliance_age",
    "trust_1", "trust_2", "trust_3", "dep_own_1", "dep_own_2", "dep_own_3", "attn_1",
    "comment",
]  # fmt: skip


def full_response(seed: int) -> dict[str, dict[str, object]]:
    """A valid answer set per page, varied by ``seed``."""
    return {
        "consent": {"consent": True},
        "alliance": {"stage": 1 + seed % 3, "n_partners": 2 + seed % 7, "alliance_age": 0.5 + seed},
        "relationship": {
            **{f"trust_{i}": 1 + (seed + i) % 5 for i in (1, 2, 3)},
            **{f"dep_own_{i}": 1 + (seed * i) % 5 for i in (1, 2, 3)},
            "attn_1": 2 if seed % 4 else 5,
        },
        "end": {"comment": f"Kommentar Nr. {seed}: ä, ö; 'quoted' \"text\", =1+1"},
    }
