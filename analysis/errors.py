"""One small exception hierarchy for the whole package.

Every error a *user* can cause (bad YAML, bad data, bad model syntax, an
invalid invitation token, a model that does not converge) is an
:class:`AllianceSurveyError`.  The command line prints its message and exits
with status 2 instead of showing a stack trace.  Messages say what is wrong,
where, and what to do, start with a capital letter and end with a full stop.
"""

from __future__ import annotations


class AllianceSurveyError(Exception):
    """Base class of all user-facing errors of alliance-survey."""


class InstrumentError(AllianceSurveyError):
    """The questionnaire definition (YAML) is invalid.

    ``problems`` lists every problem found, each as ``"file: item: message"``.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        if self.problems:
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


class DataError(AllianceSurveyError):
    """A data file or data frame does not fit the instrument or the analysis."""


class ResponseError(AllianceSurveyError):
    """A survey response or invitation is invalid (token, tampered value, double submit)."""


class ModelSpecificationError(AllianceSurveyError):
    """An SEM model is syntactically wrong, names unknown variables or is not identified."""


class EstimationError(AllianceSurveyError):
    """Estimation failed: non-convergence, non-positive-definite input, or similar."""
