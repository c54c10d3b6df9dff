"""pingouin as an independent second implementation of Cronbach's alpha and OLS regression.

pingouin is first checked against R on the reference cases (psych::alpha and lm from
tests/reference/reliability and tests/reference/regression); then, on data nobody chose
(random item sets and random regressions on bootstrap resamples with missing values,
where no R fixture exists), our implementation must agree with it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.stats import regression as reg
from analysis.stats.reliability import cronbach_alpha
from tests.parity import EST_ATOL, EST_RTOL, REFERENCE_DIR, load_reference
from tests.test_reliability import ALPHA_CASES, _alpha_case

pg = pytest.importorskip("pingouin")

HS = pd.read_csv(REFERENCE_DIR / "data" / "HolzingerSwineford1939.csv")
ITEMS = [f"x{i}" for i in range(1, 10)]
#: pingouin has no reverse keys: the cases without reverse-keyed items.
PLAIN_ALPHA = [c for c in ALPHA_CASES if not _alpha_case(*c)[1]["reversed"]]


def _resample(seed: int, missing: float) -> pd.DataFrame:
    """A bootstrap resample of HS with a share of item answers blanked at random."""
    rng = np.random.default_rng(seed)
    d = HS.iloc[rng.integers(0, len(HS), len(HS))].reset_index(drop=True)
    items = d[ITEMS].to_numpy(dtype=float)
    items[rng.random(items.shape) < missing] = np.nan
    d[ITEMS] = items
    return d


@pytest.mark.parametrize(("source", "name"), PLAIN_ALPHA)
def test_pingouin_alpha_matches_psych(source: str, name: str) -> None:
    items, ref = _alpha_case(source, name)
    alpha, _ = pg.cronbach_alpha(items, nan_policy="pairwise")
    np.testing.assert_allclose(alpha, ref["raw_alpha"], rtol=EST_RTOL, atol=EST_ATOL)


@pytest.mark.parametrize("seed", range(12))
def test_alpha_agrees_with_pingouin_on_random_item_sets(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    d = _resample(seed, missing=0.05 * (seed % 3))
    items = list(rng.choice(ITEMS, size=int(rng.integers(2, 8)), replace=False))
    ours = cronbach_alpha(d[items])["raw_alpha"]
    theirs, _ = pg.cronbach_alpha(d[items], nan_policy="pairwise")
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=0)


def _pingouin_moderation(d: pd.DataFrame, y: str, x: str, m: str,
                         controls: list[str]) -> pd.DataFrame:
    """``y ~ xc + mc + xc:mc + controls`` by pingouin.linear_regression (listwise)."""
    d = d[[y, x, m, *controls]].dropna()
    xc, mc = d[x] - d[x].mean(), d[m] - d[m].mean()
    design = pd.DataFrame({x: xc, m: mc, f"{x}:{m}": xc * mc, **{c: d[c] for c in controls}})
    out = pg.linear_regression(design, d[y], add_intercept=True, coef_only=False)
    return out.rename(columns={"names": "term", "coef": "estimate"}).set_index("term")


def test_pingouin_regression_matches_r() -> None:
    ref = load_reference("regression/hs_regression.json")["moderation"]["const"]["coefficients"]
    theirs = _pingouin_moderation(HS, "x5", "x4", "x1", ["x7"])
    names = {"(Intercept)": "Intercept", "x4c": "x4", "x1c": "x1", "x4c:x1c": "x4:x1"}
    order = [names.get(t, t) for t in ref["term"]]
    for col in ("estimate", "se"):
        np.testing.assert_allclose(theirs.loc[order, col].to_numpy(dtype=float), ref[col],
                                   rtol=EST_RTOL, atol=EST_ATOL)


@pytest.mark.parametrize("seed", range(8))
def test_moderation_agrees_with_pingouin_on_random_models(seed: int) -> None:
    rng = np.random.default_rng(2000 + seed)
    d = _resample(seed, missing=0.03)
    y, x, m, *controls = rng.choice(ITEMS, size=int(rng.integers(3, 6)), replace=False)
    ours = reg.moderation(d, y, x, m, controls=list(controls), cov_type="nonrobust")
    theirs = _pingouin_moderation(d, y, x, m, list(controls))
    mine = ours.coefficients.set_index("term")
    order = ["(Intercept)", x, m, f"{x}:{m}", *controls]
    for col in ("estimate", "se"):
        np.testing.assert_allclose(
            mine.loc[order, col].to_numpy(dtype=float),
            theirs.rename(index={"Intercept": "(Intercept)"}).loc[order, col].to_numpy(dtype=float),
            rtol=1e-9, atol=1e-12)
