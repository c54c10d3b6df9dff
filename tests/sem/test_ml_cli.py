"""The ``alliance-survey sem`` command and its JSON contract."""

from __future__ import annotations

import json

import pytest

from analysis.cli import main
from tests.parity import CHISQ_RTOL, EST_ATOL, EST_RTOL, FIT_ATOL, REFERENCE_DIR, assert_close
from tests.sem._ml_cases import reference

HS = str(REFERENCE_DIR / "data" / "HolzingerSwineford1939.csv")
CONTRACT = {"n", "estimator", "converged", "warnings", "fit", "estimates"}
ESTIMATE_KEYS = {"lhs", "op", "rhs", "label", "group", "est", "se", "z", "pvalue",
                 "ci_lower", "ci_upper", "std_all"}


def test_sem_command_prints_summary_and_writes_params(tmp_path, capsys):
    model = tmp_path / "model.lav"
    model.write_text(reference("hs_cfa")["model"], encoding="utf-8")
    params_out = tmp_path / "params.csv"
    rc = main(["sem", HS, "--model", str(model), "--params-out", str(params_out),
               "--modindices", "10"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "Chi-square" in out and "Modification indices" in out
    assert params_out.read_text(encoding="utf-8").startswith("lhs,op,rhs,label,group,est")


def test_sem_json_contract_matches_lavaan(tmp_path):
    ref = reference("hs_cfa")
    out = tmp_path / "fit.json"
    assert main(["sem", HS, "--model", ref["model"], "--json", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert CONTRACT <= set(doc)
    assert doc["n"] == 301 and doc["estimator"] == "ML" and doc["converged"] is True
    assert_close(doc["fit"]["chisq"], ref["fit"]["chisq"], atol=0.0, rtol=CHISQ_RTOL,
                 what="chisq")
    assert_close(doc["fit"]["cfi"], ref["fit"]["cfi"], atol=FIT_ATOL, what="cfi")
    assert all(set(row) == ESTIMATE_KEYS for row in doc["estimates"])
    loadings = [r for r in doc["estimates"] if r["op"] == "=~"]
    p = ref["params"]
    ref_est = {(p["lhs"][i], p["rhs"][i]): p["est"][i] for i in range(len(p["op"]))
               if p["op"][i] == "=~"}
    assert_close([r["est"] for r in loadings], [ref_est[(r["lhs"], r["rhs"])] for r in loadings],
                 atol=EST_ATOL, rtol=EST_RTOL, what="loadings")
    # fixed marker loadings have no z: null in JSON, never a string
    assert any(r["z"] is None for r in loadings)


def test_sem_json_to_stdout_with_invariance(capsys):
    ref = reference("hs_cfa")
    assert main(["sem", HS, "--model", ref["model"], "--group", "school", "--invariance",
                 "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["level"] for r in doc["invariance"]] == ["configural", "metric", "scalar",
                                                      "strict"]
    assert set(doc["n_per_group"]) == {"Pasteur", "Grant-White"}


@pytest.mark.parametrize("args, message", [
    (["--model", "f =~ x1 + x2 + xx"], "not in data="),
    (["--model", "f =~ x1 + x2 +* x3"], "Line 1"),
    (["--model", "f =~ x1 + x2 + x3", "--invariance"], "--invariance needs --group"),
])
def test_sem_command_reports_user_errors(args, message, capsys):
    assert main(["sem", HS, *args]) == 2
    assert message in capsys.readouterr().err
