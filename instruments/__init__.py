"""The alliance-survey questionnaire as versioned data, and its administration."""

from __future__ import annotations

from typing import Any

from instruments.errors import (
    AllianceSurveyError,
    DataError,
    EstimationError,
    InstrumentError,
    ModelSpecificationError,
    ResponseError,
)

# Exported lazily so that importing the error classes stays fast (no pydantic/pandas).
_LAZY = {
    "load_instrument": "instruments.loader",
    "Instrument": "instruments.schema",
    "Scale": "instruments.schema",
    "Item": "instruments.schema",
    "ResponseList": "instruments.schema",
    "Question": "instruments.schema",
    "AttentionCheck": "instruments.schema",
    "Section": "instruments.schema",
    "write_sav": "instruments.spss",
    "read_sav": "instruments.spss",
    "render_codebook": "instruments.codebook",
}

__all__ = [
    "AllianceSurveyError",
    "DataError",
    "EstimationError",
    "InstrumentError",
    "ModelSpecificationError",
    "ResponseError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'instruments' has no attribute {name!r}")
