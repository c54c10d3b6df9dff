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


def test_the_pooled_perception_tests_are_clustered_by_alliance() -> None:
    """The pooled row holds both firms' reports of each alliance; its r's p and the gap's t
    had counted the 2n reports as independent (review 14: 94 reports of 47 dyads).  Checked
    against the CR1 sandwich written out by hand, t with G - 1 df."""
    import pandas as pd
    from scipy import stats

    from analysis.study.dyads import _perception

    rng = np.random.default_rng(4)
    g = 40
    shared = np.repeat(rng.normal(size=g), 2)  # what both reports of an alliance share
    partner_self = 4 + shared + rng.normal(scale=0.8, size=2 * g)
    perceived = 4.3 + 0.5 * shared + 0.2 * partner_self + rng.normal(scale=0.8, size=2 * g)
    pairs = pd.DataFrame({
        "alliance_id": np.repeat([f"a{k}" for k in range(g)], 2),
        "firm_role": ["A", "B"] * g, "dep_partner": perceived, "dyad_d_partner": partner_self,
        "perception_gap": perceived - partner_self})
    out = _perception(pairs)
    pooled = out["pooled"]

    def cr1(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = np.linalg.lstsq(x, y, rcond=None)[0]
        e = y - x @ b
        bread = np.linalg.inv(x.T @ x)
        ids = np.repeat(np.arange(g), 2)
        meat = sum(np.outer(x[ids == k].T @ e[ids == k], x[ids == k].T @ e[ids == k])
                   for k in range(g))
        n, k = x.shape
        v = (g / (g - 1)) * ((n - 1) / (n - k)) * bread @ meat @ bread
        return b, np.sqrt(np.diag(v))

    def z(v: np.ndarray) -> np.ndarray:
        return (v - v.mean()) / v.std(ddof=1)

    b, se = cr1(z(perceived), np.column_stack([np.ones(2 * g), z(partner_self)]))
    assert pooled["r"] == pytest.approx(stats.pearsonr(perceived, partner_self)[0], abs=1e-12)
    assert b[1] == pytest.approx(pooled["r"], abs=1e-10)
    assert pooled["r_pvalue"] == pytest.approx(2 * stats.t.sf(abs(b[1] / se[1]), g - 1), rel=1e-8)
    gap = perceived - partner_self
    bg, seg = cr1(gap, np.ones((2 * g, 1)))
    assert pooled["t_gap"] == pytest.approx(bg[0] / seg[0], rel=1e-8)
    assert pooled["t_gap_pvalue"] == pytest.approx(2 * stats.t.sf(abs(bg[0] / seg[0]), g - 1),
                                                   rel=1e-8)
    assert pooled["r_pvalue"] != pytest.approx(stats.pearsonr(perceived, partner_self)[1],
                                               rel=0.05)
    # one report per alliance: A's row is the plain Pearson test
    a = pairs["firm_role"] == "A"
    assert out["A"]["r_pvalue"] == pytest.approx(
        stats.pearsonr(perceived[a], partner_self[a])[1], rel=1e-10)
    assert "cluster-robust by alliance" in out["note"]


def test_the_simulate_command_offers_answers_missing_not_at_random(tmp_path) -> None:
    import json
    import subprocess
    import sys

    from analysis.commands import simulate as command
    from analysis.study import simulate

    assert command.MECHANISMS == simulate.MECHANISMS
    out, manifest = tmp_path / "s.csv", tmp_path / "m.json"
    run = subprocess.run([sys.executable, "-m", "analysis.cli", "simulate", "--n", "60",
                          "--missing", "0.2", "--mechanism", "MNAR", "--out", str(out),
                          "--manifest", str(manifest)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    written = json.loads(manifest.read_text())
    assert written["missing_mechanism"] == "MNAR"
    assert "MNAR missing item answers (more missing for lower answers)" in written["description"]


def test_a_broken_hypotheses_file_lists_each_problem_once(tmp_path) -> None:
    """Round 14: one entry missing its fields was refused with its problems joined into the
    first line and listed again, plus "hypotheses: Tuple should have at least 1 item after
    validation, not 0"; 200,000 broken entries were listed in full (91 s to refuse a 2.4 MB
    file).  A failed analysis still names the problems in the report's Results."""
    import yaml

    from analysis.errors import InstrumentError
    from analysis.report import render_html
    from analysis.study.hypotheses import DEFAULT_PATH, MAX_DECLARATION_BYTES, load_hypotheses

    base = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    bad = tmp_path / "h.yaml"
    bad.write_text(yaml.safe_dump({**base, "hypotheses": [{"id": "H1", "statement": "short"}]}))
    with pytest.raises(InstrumentError) as err:
        load_hypotheses(bad)
    msg = str(err.value)
    head = msg.split("\n")[0]
    assert head.endswith("has 5 problem(s):"), head
    assert msg.count("hypotheses.0.test: Field required") == 1
    assert "Tuple should have at least 1 item" not in msg
    many = tmp_path / "many.yaml"
    many.write_text(yaml.safe_dump({**base, "hypotheses": [{"id": f"H{k}"} for k in range(60)]}))
    with pytest.raises(InstrumentError) as err:
        load_hypotheses(many)
    assert "... and " in str(err.value) and len(str(err.value).split("\n")) == 22
    assert MAX_DECLARATION_BYTES <= 1024 * 1024
    html = render_html({"n_raw": 10, "warnings": ["The analysis failed: " + msg]})
    assert "has 5 problem(s): hypotheses.0.statement: String should have at least 10 " in html


def test_round_14_leftovers_of_wrong_kinds_are_refused(tmp_path) -> None:
    """Python calls that ended in TypeError/AttributeError, a repeated variable that gave a
    singular covariance matrix, and a planned sample of 10**30 written into a plan."""
    import subprocess
    import sys

    import pandas as pd

    from analysis.errors import DataError
    from analysis.stats.reliability import sample_covariance
    from instruments.fieldwork.exports import export_codebook
    from instruments.fieldwork.invitations import check_invitation_csv, create_study
    from instruments.instrument.loader import load_instrument
    from instruments.store import ResponseStore

    df = pd.DataFrame({"x1": [1.0, 2, 3, 4], "x2": [2.0, 1, 4, 3]})
    with pytest.raises(DataError, match="named more than once: x1"):
        sample_covariance(df, ["x1", "x1"])
    with pytest.raises(DataError, match="must be given as a path, not NoneType"):
        check_invitation_csv(None, languages=["en"])
    with pytest.raises(DataError, match="needs an Instrument .*not str"):
        export_codebook("x", tmp_path / "c.md")
    with pytest.raises(DataError, match="must be a path, not int"):
        export_codebook(load_instrument(), 5)
    store = ResponseStore(f"sqlite:///{tmp_path / 's.sqlite'}")
    try:
        with pytest.raises(DataError, match="instrument= must be an Instrument"):
            create_study(store, "s", instrument="x")
        from instruments.fieldwork.invitations import study_exists

        assert not study_exists(store, "s")  # nothing half-made
    finally:
        store.dispose()
    run = subprocess.run([sys.executable, "-m", "analysis.cli", "prereg", "--target-n", "1" + "0" * 30,
                          "--out", str(tmp_path / "p.md")], capture_output=True, text=True)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "--target-n" in run.stderr and "1,000,000" in run.stderr
