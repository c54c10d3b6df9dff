"""The alliance-survey questionnaire as versioned data, and its administration."""

from instruments.errors import (
    AllianceSurveyError,
    DataError,
    EstimationError,
    InstrumentError,
    ModelSpecificationError,
    ResponseError,
)

__all__ = [
    "AllianceSurveyError",
    "DataError",
    "EstimationError",
    "InstrumentError",
    "ModelSpecificationError",
    "ResponseError",
]
