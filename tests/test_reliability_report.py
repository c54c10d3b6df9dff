"""reliability_report() and the ``alliance-survey reliability`` command.

The ``*_with_lavaan_estimates`` tests replace the SEM engine by lavaan's own
estimates (committed JSON), so they check the wiring of the report against
psych / semTools independently of the engine.  The ``*_engine`` tests fit the
CFA with ``analysis.sem.cfa``.
"""

from __future__ import annotations

import json
import math
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import DataError
from analysis.stats.reliability import reliability_report
from tests.parity import EST_ATOL, EST_RTOL, assert_close
from tests.test_reliability import BFI_REF, HS, HS_REF, bfi_reversed

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
KEYS = {"alpha", "alpha_ci_lower", "alpha_ci_upper", "omega", "cr", "ave", "n_items"}


def _lavaan_engine(ref: dict) -> types.ModuleType:
    """A stand-in for ``analysis.sem`` whose ``cfa`` returns lavaan's estimates."""
    module = types.ModuleType("analysis.sem")

    def cfa(model: str, data: pd.DataFrame, *, estimator: str = "ML", **_: object):
        assert estimator == "ML"
        return types.SimpleNamespace(
            params=pd.DataFrame(ref["params"]).assign(group=1),
            fit={"ntotal": float(ref["n"])}, converged=True, warnings=[],
        )

    module.cfa = cfa  # type: ignore[attr-defined]
    return module


def _check_against_reference(report: dict, source_ref: dict, cfa_ref: dict) -> None:
    factors = list(cfa_ref["omega"])
    assert list(report["scales"]) == factors
    for f in factors:
        s = report["scales"][f]
        assert set(s) == KEYS
        alpha = source_ref["alpha"][f]  # psych's keyed alpha = alpha of recoded items
        assert_close(s["alpha"], alpha["raw_alpha"], atol=EST_ATOL, rtol=EST_RTOL, what="alpha")
        assert_close(s["alpha_ci_lower"], alpha["feldt_lower"], atol=EST_ATOL, what="ci lo")
        assert_close(s["alpha_ci_upper"], alpha["feldt_upper"], atol=EST_ATOL, what="ci hi")
        assert_close(s["omega"], cfa_ref["omega"][f], atol=EST_ATOL, rtol=EST_RTOL, what="omega")
        assert_close(s["ave"], cfa_ref["ave"][f], atol=EST_ATOL, rtol=EST_RTOL, what="AVE")
        assert_close(s["cr"], cfa_ref["cr"][f], atol=EST_ATOL, rtol=EST_RTOL, what="CR")
    names = source_ref["htmt"]["names"]
    ht = np.array([[report["htmt"][a][b] for b in names] for a in names])
    assert_close(ht, np.array(source_ref["htmt"]["htmt2"]), atol=EST_ATOL, rtol=EST_RTOL,
                 what="HTMT")
    fl = np.array([[report["fornell_larcker"][a][b] for b in names] for a in names])
    expected = np.array(cfa_ref["cor_lv"]["values"], dtype=float)
    np.fill_diagonal(expected, [math.sqrt(cfa_ref["ave"][f]) for f in names])
    assert_close(fl, expected, atol=EST_ATOL, rtol=EST_RTOL, what="Fornell-Larcker")


def test_report_with_lavaan_estimates_holzinger(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "analysis.sem", _lavaan_engine(HS_REF["cfa"]))
    report = reliability_report(HS, HS_MODEL)
    _check_against_reference(report, HS_REF, HS_REF["cfa"])
    assert report["n_obs"] == 301
    assert {t["measure"] for t in report["thresholds"]} >= {"htmt", "ave", "cr"}


def test_report_with_lavaan_estimates_bfi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "analysis.sem", _lavaan_engine(BFI_REF["cfa"]))
    data = bfi_reversed()
    report = reliability_report(data, BFI_REF["cfa"]["model"])
    _check_against_reference(report, BFI_REF, BFI_REF["cfa"])
    # neuroticism has no reversed items: alpha of the report is psych's (pairwise) alpha
    assert_close(report["scales"]["neuroticism"]["alpha"],
                 BFI_REF["alpha"]["neuroticism"]["raw_alpha"], atol=EST_ATOL, what="alpha N")


@pytest.mark.parametrize(
    ("mutate", "model", "message"),
    [
        (lambda d: d.drop(columns=["x5"]), HS_MODEL, "x5"),
        (lambda d: d, HS_MODEL + "\nsingle =~ x1", "at least 2"),
        (lambda d: d.assign(x2=3.0), HS_MODEL, "constant"),
        (lambda d: d.assign(x3=np.nan), HS_MODEL, "missing for every"),
        (lambda d: d.assign(x4="a"), HS_MODEL, "not numeric"),
    ],
)
def test_report_bad_data_lists_problem(mutate, model: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        reliability_report(mutate(HS.copy()), model)


def _write_inputs(tmp_path: Path, data: pd.DataFrame, model: str) -> tuple[str, str]:
    data_path = tmp_path / "data.csv"
    model_path = tmp_path / "model.lav"
    data.to_csv(data_path, index=False)
    model_path.write_text(model, encoding="utf-8")
    return str(data_path), str(model_path)


def test_command_json_contract_with_lavaan_estimates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "analysis.sem", _lavaan_engine(HS_REF["cfa"]))
    data_path, model_path = _write_inputs(tmp_path, HS, HS_MODEL)
    assert main(["reliability", data_path, "--model", model_path, "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"scales", "htmt", "fornell_larcker"}
    _check_against_reference(out, HS_REF, HS_REF["cfa"])
    out_file = tmp_path / "out.json"
    assert main(["reliability", data_path, "--model", model_path, "--json", str(out_file)]) == 0
    assert json.loads(out_file.read_text()) == out


def test_command_table_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "analysis.sem", _lavaan_engine(HS_REF["cfa"]))
    data_path, model_path = _write_inputs(tmp_path, HS, HS_MODEL)
    assert main(["reliability", data_path, "--model", model_path]) == 0
    text = capsys.readouterr().out
    assert "HTMT" in text and "Fornell-Larcker" in text
    visual = next(line for line in text.splitlines() if line.startswith("visual"))
    assert f"{HS_REF['alpha']['visual']['raw_alpha']:.3f}" in visual
    assert f"{HS_REF['cfa']['omega']['visual']:.3f}" in visual


@pytest.mark.parametrize(
    ("data", "model", "message"),
    [
        (HS.drop(columns=["x9"]), HS_MODEL, "x9"),
        (HS, "f =~ x1 + x2\ng =~ x3", "'g' has 1 observed item"),
        (HS.assign(x1=1.0), HS_MODEL, "'x1' is constant"),
    ],
)
def test_command_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: pd.DataFrame, model: str,
    message: str,
) -> None:
    data_path, model_path = _write_inputs(tmp_path, data, model)
    assert main(["reliability", data_path, "--model", model_path, "--json", "-"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_command_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_path, model_path = _write_inputs(tmp_path, HS, HS_MODEL)
    assert main(["reliability", str(tmp_path / "nope.csv"), "--model", model_path]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["reliability", data_path, "--model", str(tmp_path / "nope.lav")]) == 2
    assert "--model" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# With the real SEM engine (analysis.sem.cfa)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["hs", "bfi"])
def test_report_engine_matches_psych_and_semtools(source: str) -> None:
    ref = HS_REF if source == "hs" else BFI_REF
    data = HS if source == "hs" else bfi_reversed()
    report = reliability_report(data, ref["cfa"]["model"])
    assert report["converged"] and report["n_obs"] == ref["cfa"]["n"]
    _check_against_reference(report, ref, ref["cfa"])


def test_report_engine_accepts_blocks_mapping() -> None:
    blocks = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
              "speed": ["x7", "x8", "x9"]}
    report = reliability_report(HS, blocks)
    _check_against_reference(report, HS_REF, HS_REF["cfa"])


def test_command_engine_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_path, model_path = _write_inputs(tmp_path, HS, HS_MODEL)
    assert main(["reliability", data_path, "--model", model_path, "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    _check_against_reference(out, HS_REF, HS_REF["cfa"])


def test_report_ordinal_model_leaves_model_based_values_nan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ref = dict(HS_REF["cfa"])
    params = {k: list(v) for k, v in ref["params"].items()}
    for key, value in (("lhs", "x1"), ("op", "|"), ("rhs", "t1"), ("est", 0.1),
                       ("std_all", 0.1)):
        params[key].append(value)
    ref["params"] = params
    monkeypatch.setitem(sys.modules, "analysis.sem", _lavaan_engine(ref))
    report = reliability_report(HS, HS_MODEL)
    s = report["scales"]["visual"]
    assert math.isnan(s["omega"]) and math.isnan(s["ave"]) and math.isnan(s["cr"])
    assert_close(s["alpha"], HS_REF["alpha"]["visual"]["raw_alpha"], atol=EST_ATOL, what="alpha")
    assert any("ordered" in w for w in report["warnings"])


def test_report_second_order_with_lavaan_estimates(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = HS_REF["cfa_higher"]
    monkeypatch.setitem(sys.modules, "analysis.sem", _lavaan_engine({**ref, "n": 301}))
    report = reliability_report(HS, ref["model"])
    assert list(report["scales"]) == ["visual", "textual", "speed", "g"]
    g = report["scales"]["g"]
    assert g["n_items"] == 9
    assert_close(g["omega"], ref["omega"]["g"], atol=EST_ATOL, rtol=EST_RTOL, what="omega g")
    assert_close(g["alpha"], HS_REF["alpha_all"]["raw_alpha"], atol=EST_ATOL, what="alpha g")
    assert math.isnan(g["ave"]) and math.isnan(g["cr"])
    for f in ("visual", "textual", "speed"):
        assert_close(report["scales"][f]["omega"], ref["omega"][f], atol=EST_ATOL, what=f)
        assert_close(report["scales"][f]["ave"], ref["ave"][f], atol=EST_ATOL, what=f)
    assert set(report["htmt"]) == set(report["fornell_larcker"]) == {"visual", "textual", "speed"}
    assert any("Higher-order" in w for w in report["warnings"])


def _hs_reversed() -> pd.DataFrame:
    """HS with x1 (the marker of 'visual') and x5 answered the other way."""
    data = HS.copy()
    data["x1"] = 10 - data["x1"]
    data["x5"] = 12 - data["x5"]
    return data


def test_mixed_keying_is_named_and_its_reliability_not_reported() -> None:
    from analysis.stats.reliability import keying_conflicts

    report = reliability_report(_hs_reversed(), HS_MODEL)
    for f in ("visual", "textual"):  # alpha had been -0.55 and -2.06, omega 0.02 and 0.37
        s = report["scales"][f]
        assert all(math.isnan(s[k]) for k in ("alpha", "alpha_ci_lower", "alpha_ci_upper",
                                              "omega", "cr"))
        assert not math.isnan(s["ave"])  # squared loadings: the same either way
    assert not math.isnan(report["scales"]["speed"]["alpha"])
    warned = [w for w in report["warnings"] if "keyed in both directions" in w]
    # the odd item out is named: the marker x1 (the others load negatively) and x5
    assert len(warned) == 2
    assert "'visual'" in warned[0] and "x1 (+0.77)" in warned[0]
    assert "'textual'" in warned[1] and "x5 (-0.86)" in warned[1]
    from analysis.sem import cfa

    conflicts = keying_conflicts(cfa(HS_MODEL, _hs_reversed()).params)
    assert set(conflicts) == {"visual", "textual"}
    assert keying_conflicts(cfa(HS_MODEL, HS).params) == {}


def test_reverse_recodes_before_everything() -> None:
    plain = reliability_report(HS, HS_MODEL)
    fixed = reliability_report(_hs_reversed(), HS_MODEL, reverse=["x1", "x5"])
    for f, s in plain["scales"].items():
        for k, v in s.items():
            assert_close(fixed["scales"][f][k], v, atol=1e-8, what=f"{f} {k}")
    assert not [w for w in fixed["warnings"] if "keyed in both" in w]
    with pytest.raises(DataError, match="not indicators of the model: zz"):
        reliability_report(HS, HS_MODEL, reverse=["x1", "zz"])


def test_command_reverse_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "hs_rev.csv"
    _hs_reversed().to_csv(data, index=False)
    model = tmp_path / "m.lav"
    model.write_text(HS_MODEL, encoding="utf-8")
    assert main(["reliability", str(data), "--model", str(model)]) == 0
    out = capsys.readouterr().out
    assert "Warning: Scale 'visual' has items keyed in both directions" in out
    assert main(["reliability", str(data), "--model", str(model), "--reverse", "x1, x5",
                 "--json", "-"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert abs(got["scales"]["visual"]["alpha"] - 0.626) < 1e-3
    assert main(["reliability", str(data), "--model", str(model), "--reverse", "x10"]) == 2
    assert "not indicators of the model: x10" in capsys.readouterr().err
