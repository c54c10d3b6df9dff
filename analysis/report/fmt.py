"""Number formatting for the report: the only place where values are rounded.

Every number shown in the report goes through :func:`fmt` with a *kind*; the
report checker (``scripts/check_report.py``) formats the analysis JSON value
the same way and compares it with the text in the HTML.
"""

from __future__ import annotations

import math
from typing import Any

MINUS = "\u2212"
NA = "NA"

#: Formatting kinds: decimals and whether a leading zero is dropped (APA: values
#: that cannot exceed 1 in absolute value are written without it).
KINDS: dict[str, tuple[int, bool]] = {
    "est": (3, False),  # estimates, SEs, CIs, z
    "std": (2, True),  # standardized coefficients, correlations, loadings
    "rel": (2, True),  # alpha, omega, CR, AVE, HTMT
    "fit": (3, True),  # CFI, TLI, RMSEA, SRMR and their CIs
    "chisq": (2, False),  # chi-square and similar statistics
    "num": (3, False),  # anything else that is a real number
    "pct": (1, False),  # percentages
}
#: ``"share"``: a proportion (0..1) shown as a percentage with one decimal (0.0991 -> 9.9).


def is_number(value: Any) -> bool:
    """True for int/float values (not bool) that are finite or NaN-free JSON numbers."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _decimals(value: float, decimals: int, drop_zero: bool) -> str:
    text = f"{abs(value):.{decimals}f}"
    if drop_zero and abs(value) < 1 and text.startswith("0."):
        text = text[1:]
    if float(text) == 0.0:
        return text
    return (MINUS if value < 0 else "") + text


def fmt(value: Any, kind: str = "num") -> str:
    """Format one value for display.

    Parameters
    ----------
    value : int, float, None or str
        The value as stored in the analysis JSON (``None`` = not available).
    kind : str
        One of :data:`KINDS`, ``"p"`` (p values: ``< .001`` below 0.001), ``"p4"`` (the
        same with four decimals, for a p beside a level such as alpha/m),
        ``"share"`` (a proportion shown as a percentage) or ``"int"`` (counts).

    Returns
    -------
    str
        ``"NA"`` for missing or non-finite values; strings are returned unchanged.
    """
    if value is None:
        return NA
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, int) and kind != "p":
        kind = "int"  # counts stay counts whatever the column's kind
    value = float(value)
    if not math.isfinite(value):
        return NA
    if kind == "num" and value == int(value) and abs(value) < 1e15:
        # a whole number without a declared kind is a count, a scale point or a fixed
        # value stored as float (84.0 respondents): printed as the integer it is
        kind = "int"
    if kind == "int":
        if value == int(value):
            return (MINUS if value < 0 else "") + f"{abs(int(value)):d}"
        return _decimals(value, 2, False)
    if kind == "share":
        return _decimals(100.0 * value, 1, False)
    if kind == "p":
        if value < 0.001:
            return "< .001"
        return _decimals(value, 3, True)
    if kind == "p4":
        # a p value or a level compared with a level that three decimals would round
        # (alpha/m = .0045 printed as .005 read "p = .005 does not reach .005")
        if value < 0.0001:
            return "< .0001"
        return _decimals(value, 4, True)
    decimals, drop_zero = KINDS.get(kind, KINDS["num"])
    return _decimals(value, decimals, drop_zero)


def stars(p: Any) -> str:
    """Significance stars (* p < .05, ** p < .01, *** p < .001); empty when p is missing."""
    if not is_number(p) or not math.isfinite(float(p)):
        return ""
    p = float(p)
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""
