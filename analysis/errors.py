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


#: Longest rendering of a user-supplied value inside an error message.
MAX_ECHO = 80


def clip(value: object, limit: int = MAX_ECHO) -> str:
    """A short ``repr`` of a user-supplied value for an error message.

    Built with :mod:`reprlib`, so a huge value (an expanded YAML alias bomb, a
    200 MB line) is never rendered in full: containers show their first few
    elements and long strings are cut in the middle, then the whole is cut to
    ``limit`` characters.
    """
    import reprlib

    short = reprlib.Repr()
    short.maxstring = limit
    short.maxother = limit
    short.maxlist = short.maxtuple = short.maxset = short.maxdict = 4
    short.maxlevel = 2
    text = short.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_whole(value: object) -> bool:
    """Whether ``value`` is a whole number given as one (Python or numpy integer; not a
    bool, a float or text)."""
    import numpy as np

    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def check_seed(seed: object) -> None:
    """Refuse a random seed that is not a whole number in [0, 2**32) (numpy's range),
    before any work."""
    if not is_whole(seed) or not 0 <= seed < 2**32:  # type: ignore[operator]
        raise ModelSpecificationError(
            f"seed= must be a whole number from 0 to 4294967295 (got {clip(seed)}).")
