"""Hostile input through the Python API: pandas column types a data file read by pandas
can have.  Before these checks a categorical column of numbers entered the SEM as its
category codes (0, 1, 2 ... plus one, whatever the values: loadings off by 26 on HS), a
date column as nanoseconds since 1970 (estimates of 6e27), and a name heading two columns
ended in an internal AttributeError (SEM) or TypeError (regression)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.sem import sem
from analysis.stats.regression import moderation
from tests.hostile.test_cli_more import HS

MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(HS)


def _est(res) -> np.ndarray:  # noqa: ANN001
    return np.asarray(res.partable["est"], dtype=float)


@pytest.mark.parametrize("missing", ["listwise", "ml"])
def test_categorical_numbers_are_their_values(hs: pd.DataFrame, missing: str) -> None:
    plain = sem(MODEL, hs, missing=missing)
    cat = sem(MODEL, hs.assign(x1=hs["x1"].astype("category")), missing=missing)
    np.testing.assert_allclose(_est(cat), _est(plain), rtol=0, atol=1e-10)


def test_ordered_categoricals_stay_ordinal(hs: pd.DataFrame) -> None:
    cols = [f"x{i}" for i in range(1, 7)]
    coded = hs.assign(**{c: hs[c].round().clip(1, 5) for c in cols})
    as_cat = coded.assign(**{c: coded[c].astype("category") for c in cols})
    np.testing.assert_allclose(_est(sem(MODEL, as_cat, ordered=cols)),
                               _est(sem(MODEL, coded, ordered=cols)), rtol=0, atol=1e-10)


@pytest.mark.parametrize(("column", "expected"), [
    (lambda s: pd.Categorical(np.where(s > 4, "high", "low")), "text categories"),
    (lambda s: pd.to_datetime("2020-01-01") + pd.to_timedelta(s, unit="D"), "dates or times"),
    (lambda s: pd.to_timedelta(s, unit="D"), "dates or times"),
    (lambda s: (pd.to_datetime("2020-01-01") + pd.to_timedelta(s, unit="D")
                ).dt.tz_localize("Europe/Berlin"), "dates or times"),
])
def test_columns_without_numbers_are_refused(hs: pd.DataFrame, column, expected: str) -> None:  # noqa: ANN001
    for missing in ("listwise", "ml"):
        with pytest.raises(DataError, match=expected):
            sem(MODEL, hs.assign(x1=column(hs["x1"])), missing=missing)


def test_a_name_heading_two_columns_is_refused(hs: pd.DataFrame) -> None:
    twice = hs.rename(columns={"x7": "x1"})
    with pytest.raises(DataError, match="more than one column named 'x1'"):
        sem(MODEL, twice)
    with pytest.raises(DataError, match="more than one column named 'x1'"):
        moderation(twice, "x2", "x1", "x3")


def test_regression_refuses_dates(hs: pd.DataFrame) -> None:
    dated = hs.assign(x2=pd.to_datetime("2020-01-01") + pd.to_timedelta(hs["x2"], unit="D"))
    with pytest.raises(DataError, match="dates or times"):
        moderation(dated, "x1", "x2", "x3")


def test_a_header_spelled_differently_is_named() -> None:
    """A header edited in a spreadsheet ('trust_1 ', 'Dep_own_2') was only 'missing'."""
    from analysis.study.simulate import load_population, simulate_study
    from instruments.instrument.datacheck import validate_data
    from instruments.instrument.loader import load_instrument

    data = simulate_study(30, seed=1, population=load_population())
    data = data.rename(columns={"trust_1": "trust_1 ", "dep_own_2": "Dep_own_2"})
    with pytest.raises(DataError, match=r"trust_1 \(the data have 'trust_1 '\)"):
        validate_data(load_instrument(), data)
