"""Session 21: leftovers of earlier sessions' notes, each with a test that fails on the
code before the change."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import DataError
from analysis.study.simulate import simulate_study


def _items(d, scale: str) -> list[str]:
    return [c for c in d.columns if c.startswith(f"{scale}_") and c[len(scale) + 1:].isdigit()]


def test_answers_missing_not_at_random_leave_the_low_answers_out() -> None:
    """MNAR: an item's answer goes missing more often the lower it is, so the observed
    answers overstate its mean (no MAR method recovers it); the share missing is the one
    asked for, and MCAR from the same seed leaves the mean where it was."""
    full = simulate_study(600, seed=11, careless=0.0)
    mnar = simulate_study(600, seed=11, careless=0.0, missing=0.25, missing_mechanism="MNAR")
    mcar = simulate_study(600, seed=11, careless=0.0, missing=0.25, missing_mechanism="MCAR")
    items = _items(full, "trust") + _items(full, "value_creation")
    assert len(items) >= 8
    share = float(mnar[items].isna().mean().mean())
    assert share == pytest.approx(0.25, abs=0.02)
    shift_mnar = float((mnar[items].mean() - full[items].mean()).mean())
    shift_mcar = float((mcar[items].mean() - full[items].mean()).mean())
    assert shift_mnar > 0.15, shift_mnar
    assert abs(shift_mcar) < 0.05, shift_mcar
    # what goes missing is low: the full data's mean of the answers lost is below the kept
    lost = full[items].where(mnar[items].isna())
    kept = full[items].where(mnar[items].notna())
    assert float(np.nanmean(lost.to_numpy())) < float(np.nanmean(kept.to_numpy())) - 0.5


def test_an_unknown_missing_mechanism_is_refused_with_the_ones_there_are() -> None:
    with pytest.raises(DataError, match="'MCAR', 'MAR', 'MNAR'.*'NMAR'"):
        simulate_study(10, missing=0.1, missing_mechanism="NMAR")


def test_a_scale_that_holds_no_level_above_configural_is_not_called_not_rejected() -> None:
    """The demo's marker scale by firm role (groups of 179 and 89) read "configural; fails
    at equal thresholds (not rejected; small groups)": the qualifier of a level reached
    with small groups was put beside a failure.  It stays with the scales whose higher
    levels held."""
    import re
    from html import unescape

    from analysis.report import render_html
    from analysis.report.check import check_report
    from tests.report.fixture_analysis import fixture_analysis

    a = fixture_analysis()
    a["measurement"]["invariance"] = {"firm_role": {
        "groups": {"A": 179, "B": 89},
        "criterion": "Declared rule (Chen 2007): a level fails when ...",
        "summary": [
            {"scale": "trust", "highest_level_supported": "intercepts",
             "first_failed_level": None, "partial_levels": ""},
            {"scale": "marker", "highest_level_supported": "configural",
             "first_failed_level": "thresholds", "partial_levels": ""}]}}
    html = render_html(a)
    assert check_report(html, a) == []
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
    table = text.split("highest level reached per scale", 1)[1].split("Note.", 1)[0]
    assert "Marker configural; fails at equal thresholds Note" in table + "Note"
    assert "Trust scalar (intercepts) (not rejected; small groups)" in table


def test_the_dyadic_appendix_names_its_statistics_and_each_apim_by_its_predictor() -> None:
    """The demo's appendix read "A A", "P BA", "K A", "Rwg j n" (as 62.000) and titled two
    different actor-partner models alike ("Apim value creation")."""
    import re
    from html import unescape

    from analysis.report import render_html
    from analysis.report.html import _label
    from tests.report.fixture_analysis import fixture_analysis

    assert _label("a_A") == "Actor effect, firm A (a_A)"
    assert _label("p_BA") == "Partner effect of B on A (p_BA)"
    assert _label("rwg_j_n") == "Dyads with rwg(j)" and _label("r_roles") == "r (A, B)"
    effects = {k: {"est": 0.5, "se": 0.1, "pvalue": 0.01} for k in ("a_A", "a_B", "p_AB", "p_BA")}
    a = fixture_analysis()
    a["dyadic"] = {
        "available": True, "n_dyads": 40,
        "agreement": {"trust": {"icc1": 0.3, "rwg_j_mean": 0.7, "rwg_j_n": 38.0}},
        "apim": [{"predictor": p, "outcome": "value_creation", "estimator": "ML",
                  "n_dyads": 40, "effects": effects} for p in ("relationship_learning", "dep_own")],
    }
    html = render_html(a, parallel=False)
    part = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    part = part[part.rindex("Dyadic agreement"):]
    titles = re.findall(r"\(APIM\): ([^→]+) → ", part)
    assert len(set(titles)) == 2, titles
    assert "Actor effect, firm A (a_A)" in part and " A A " not in part
    assert "Dyads with rwg(j)" in part and " 38 " in part and "38.000" not in part
