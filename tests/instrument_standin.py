"""A small stand-in instrument following the ``instruments.instrument.loader`` contract.

Used by the simulation / scoring / quality tests for hand-made cases that must
not depend on the real questionnaire's wording or reverse keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.errors import DataError

N_ITEMS = {
    "info_sharing": 5,
    "joint_sensemaking": 5,
    "knowledge_integration": 5,
    "dep_own": 5,
    "dep_partner": 5,
    "trust": 4,
    "specific_investments": 4,
    "learning_about": 4,
    "learning_from": 4,
    "value_creation": 5,
    "value_appropriation": 4,
    "partner_appropriation": 4,
    "innovation_outcome": 4,
    "relationship_performance": 4,
    "marker": 3,
}
REVERSE = {"trust_3", "dep_own_4", "info_sharing_5", "relationship_performance_2"}


@dataclass(frozen=True)
class Response:
    values: list[int]
    min: int
    max: int


@dataclass(frozen=True)
class Item:
    id: str
    reverse: bool = False


@dataclass(frozen=True)
class Scale:
    id: str
    items: list[Item]
    response: Response
    min_valid: int


@dataclass(frozen=True)
class Choices:
    values: list[int]


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    choices: Choices | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Check:
    id: str
    correct: list[int]
    response: Response


@dataclass(frozen=True)
class Section:
    id: str
    scales: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    attention_checks: list[str] = field(default_factory=list)


def _choice(k: int, start: int = 1) -> Choices:
    return Choices(list(range(start, start + k)))


AGREE7 = Response(list(range(1, 8)), 1, 7)


@dataclass(frozen=True)
class StandinInstrument:
    n_items: dict = field(default_factory=lambda: dict(N_ITEMS))
    reverse: frozenset = frozenset(REVERSE)
    id: str = "standin"
    version: str = "0.0.1"
    content_hash: str = "0" * 64

    @property
    def scales(self) -> dict[str, Scale]:
        return {
            sid: Scale(
                sid,
                [Item(f"{sid}_{k}", f"{sid}_{k}" in self.reverse) for k in range(1, n + 1)],
                AGREE7,
                min_valid=max(n - 2, 2),
            )
            for sid, n in self.n_items.items()
        }

    def scale_items(self) -> dict[str, list[str]]:
        return {sid: [it.id for it in sc.items] for sid, sc in self.scales.items()}

    def reverse_items(self) -> list[str]:
        return [it.id for sc in self.scales.values() for it in sc.items if it.reverse]

    @property
    def attention_checks(self) -> list[Check]:
        return [Check("attn_1", [2], AGREE7), Check("attn_2", [5], AGREE7)]

    @property
    def questions(self) -> list[Question]:
        return [
            Question("consent", "boolean", Choices([1, 0])),
            Question("informant_knowledge", "single_choice", _choice(7)),
            Question("alliance_stage", "single_choice", _choice(3)),
            Question("alliance_stage_fine", "single_choice", _choice(4)),
            Question("alliance_form", "single_choice", _choice(6)),
            Question("partner_type", "single_choice", _choice(5)),
            Question("our_role", "single_choice", _choice(3)),
            Question("alliance_age", "number", None, 0, 100),
            Question("n_partners", "integer", None, 2, 50),
            Question("sustainability_focus", "single_choice", _choice(3)),
            Question("firm_size", "single_choice", _choice(6)),
            Question("partner_size", "single_choice", _choice(6)),
            Question("industry", "single_choice", _choice(12)),
            Question("resp_position", "single_choice", _choice(8)),
            Question("resp_tenure", "number", None, 0, 60),
            Question("comment", "text"),
        ]

    @property
    def sections(self) -> list[Section]:
        return [
            Section("consent", questions=["consent"]),
            Section("screening", questions=["informant_knowledge"]),
            Section(
                "alliance",
                questions=[
                    "alliance_stage",
                    "alliance_stage_fine",
                    "alliance_form",
                    "partner_type",
                    "our_role",
                    "alliance_age",
                    "n_partners",
                    "sustainability_focus",
                ],
            ),
            Section(
                "learning",
                scales=["info_sharing", "joint_sensemaking", "knowledge_integration"],
                attention_checks=["attn_1"],
            ),
            Section("dependence", scales=["dep_own", "dep_partner"]),
            Section("trust_investments", scales=["trust", "specific_investments"]),
            Section("learning_about_from", scales=["learning_about", "learning_from"]),
            Section(
                "value_outcomes",
                scales=[
                    "value_creation",
                    "value_appropriation",
                    "partner_appropriation",
                    "innovation_outcome",
                    "relationship_performance",
                ],
                attention_checks=["attn_2"],
            ),
            Section("marker", scales=["marker"]),
            Section(
                "about_you",
                questions=["firm_size", "partner_size", "industry", "resp_position", "resp_tenure"],
            ),
            Section("comment", questions=["comment"]),
        ]

    def validate_data(self, df: pd.DataFrame) -> None:
        cols = [i for items in self.scale_items().values() for i in items]
        cols += [c.id for c in self.attention_checks]
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise DataError(f"Missing columns: {', '.join(missing)}.")
        bad = []
        for c in cols:
            x = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
            if np.any((x < 1) | (x > 7)):
                bad.append(c)
        if bad:
            raise DataError(f"Out-of-range codes in: {', '.join(bad)}.")
