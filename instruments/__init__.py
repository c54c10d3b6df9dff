"""The alliance-survey questionnaire as versioned data, and its administration."""

from __future__ import annotations

from typing import Any

from analysis.errors import (
    AllianceSurveyError,
    DataError,
    EstimationError,
    InstrumentError,
    ModelSpecificationError,
    ResponseError,
)

# Exported lazily so that importing the error classes stays fast (no pydantic/pandas).
_LAZY = {
    "load_instrument": "instruments.instrument.loader",
    "Instrument": "instruments.instrument.schema",
    "Scale": "instruments.instrument.schema",
    "Item": "instruments.instrument.schema",
    "ResponseList": "instruments.instrument.schema",
    "Question": "instruments.instrument.schema",
    "AttentionCheck": "instruments.instrument.schema",
    "Section": "instruments.instrument.schema",
    "write_sav": "instruments.instrument.spss",
    "read_sav": "instruments.instrument.spss",
    "render_codebook": "instruments.instrument.codebook",
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
