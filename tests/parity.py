"""Named tolerances and comparison helpers for reference (lavaan / semTools / psych) tests.

Parity rule: estimates and standard errors within 1e-3 absolute *or* 0.5 %
relative, fit indices within 1e-3, chi-square within 0.1 %.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

REFERENCE_DIR = Path(__file__).parent / "reference"

EST_ATOL = 1e-3
EST_RTOL = 5e-3
FIT_ATOL = 1e-3
CHISQ_RTOL = 1e-3
# residual moments (observed minus implied covariances, correlations, means, thresholds)
RESID_ATOL = 1e-4
# modification indices: score statistics evaluated at the estimate, so they inherit the
# estimates' tolerance (an estimate 1e-4 apart moves a small MI by a few thousandths)
MI_ATOL = 1e-2
MI_RTOL = 5e-3


def load_reference(relpath: str) -> dict:
    """Load a committed JSON fixture from ``tests/reference``."""
    with open(REFERENCE_DIR / relpath, encoding="utf-8") as fh:
        return json.load(fh)


def close_enough(actual, expected, *, atol: float, rtol: float) -> np.ndarray:
    """Elementwise: |a - e| <= atol OR |a - e| <= rtol * |e| (NaN only matches NaN)."""
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    diff = np.abs(a - e)
    ok = (diff <= atol) | (diff <= rtol * np.abs(e))
    both_nan = np.isnan(a) & np.isnan(e)
    return ok | both_nan


def assert_close(actual, expected, *, atol: float, rtol: float = 0.0, what: str = "value") -> None:
    """Assert agreement within ``atol`` absolute or ``rtol`` relative, naming the offenders."""
    a = np.atleast_1d(np.asarray(actual, dtype=float))
    e = np.atleast_1d(np.asarray(expected, dtype=float))
    if a.shape != e.shape:
        raise AssertionError(f"{what}: shape {a.shape} differs from reference {e.shape}")
    ok = close_enough(a, e, atol=atol, rtol=rtol)
    if not ok.all():
        bad = np.flatnonzero(~ok.ravel())[:10]
        rows = ", ".join(f"[{i}] ours={a.ravel()[i]:.6g} ref={e.ravel()[i]:.6g}" for i in bad)
        raise AssertionError(f"{what}: {int((~ok).sum())} of {ok.size} differ beyond atol={atol}, rtol={rtol}: {rows}")


def r_options(opts: dict | None) -> dict:
    """An R fixture's lavaan options as keyword arguments here (``group.equal`` ->
    ``group_equal``; jsonlite writes a one-element vector as a string)."""
    out = {}
    for key, val in (opts or {}).items():
        key = key.replace(".", "_")
        if key in ("group_equal", "ordered") and isinstance(val, str):
            val = [val]
        out[key] = val
    return out
