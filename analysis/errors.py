"""Re-export of the package's exception hierarchy for ``analysis`` users."""

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
