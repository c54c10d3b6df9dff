"""A hypothesis on a path the declared model fixes or constrains is refused.

A hypotheses file whose model read ``learning ~ 0*jd_sum + ...`` loaded without a word;
``analyze`` then reported H1 "supported" from the latent model (b = 0.211, p = 9.6e-10)
beside its own robustness row b = 0.000 [0.000, 0.000]: the verdict was on a parameter
the declared model does not estimate.
"""

from __future__ import annotations

import pytest

from analysis.errors import InstrumentError
from analysis.study.hypotheses import DEFAULT_PATH, load_hypotheses

BASE = DEFAULT_PATH.read_text(encoding="utf-8")
H1_LINE = "  learning ~ jd_sum + asym_abs + trust\n"


def _with(tmp_path, old: str, new: str):  # noqa: ANN001, ANN202
    assert old in BASE
    p = tmp_path / "h.yaml"
    p.write_text(BASE.replace(old, new, 1), encoding="utf-8")
    return p


@pytest.mark.parametrize(("line", "why"), [
    ("  learning ~ 0*jd_sum + asym_abs + trust\n", "is fixed at 0"),
    ("  learning ~ 0.25*jd_sum + asym_abs + trust\n", "is fixed at 0.25"),
    ("  learning ~ b1*jd_sum + b1*asym_abs + trust\n", "a label it shares with learning ~ "
                                                        "asym_abs"),
    ("  learning ~ b1*jd_sum + asym_abs + trust\n  b1 == 0.3\n", "which the model constrains"),
    ("  learning ~ b1*jd_sum + asym_abs + trust\n  b1 > 0\n", "which the model constrains"),
])
def test_a_fixed_or_constrained_tested_path_is_refused(tmp_path, line: str, why: str) -> None:
    with pytest.raises(InstrumentError) as err:
        load_hypotheses(_with(tmp_path, H1_LINE, line))
    msg = str(err.value)
    assert "H1: the tested path learning ~ jd_sum" in msg and why in msg, msg


def test_a_mediation_through_a_fixed_path_is_refused(tmp_path) -> None:
    old = "  value_creation ~ learning + jd_sum + specific_investments\n"
    with pytest.raises(InstrumentError, match="the tested path value_creation ~ learning is "
                                              "fixed at 1"):
        load_hypotheses(_with(tmp_path, old, old.replace("~ learning", "~ 1*learning")))


@pytest.mark.parametrize("line", [
    "  learning ~ b1*jd_sum + asym_abs + trust\n",  # a label alone leaves the path free
    "  learning ~ start(0.2)*jd_sum + asym_abs + trust\n",
    "  learning ~ NA*jd_sum + asym_abs + trust\n",
])
def test_free_tested_paths_still_load(tmp_path, line: str) -> None:
    hs = load_hypotheses(_with(tmp_path, H1_LINE, line))
    assert ("learning", "jd_sum") in hs.model_paths()
    assert load_hypotheses().model_paths() == {p for p in load_hypotheses().path_modifiers()}


def test_a_fixed_path_that_no_hypothesis_tests_is_allowed(tmp_path) -> None:
    old = "  value_creation ~ learning + jd_sum + specific_investments\n"
    hs = load_hypotheses(_with(tmp_path, old, old.replace("+ specific", "+ 0*specific")))
    assert hs.path_modifiers()[("value_creation", "specific_investments")] == ("0",)
