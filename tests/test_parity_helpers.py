import numpy as np
import pytest

from tests.parity import assert_close, close_enough


def test_close_enough_uses_absolute_or_relative():
    ok = close_enough([1.0005, 100.4, 5.0], [1.0, 100.0, 6.0], atol=1e-3, rtol=5e-3)
    assert ok.tolist() == [True, True, False]


def test_assert_close_names_offenders():
    with pytest.raises(AssertionError, match=r"1 of 2 differ"):
        assert_close([1.0, 2.0], [1.0, 2.1], atol=1e-3, rtol=0.0, what="loadings")


def test_nan_only_matches_nan():
    assert close_enough([np.nan], [np.nan], atol=0, rtol=0).all()
    assert not close_enough([np.nan], [1.0], atol=0, rtol=0).any()
