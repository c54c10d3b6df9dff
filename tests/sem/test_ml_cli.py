"""The ``alliance-survey sem`` command."""

from __future__ import annotations

import json

import pytest

from analysis.cli import main
from tests.parity import CHISQ_RTOL, REFERENCE_DIR, assert_close
from tests.sem._ml_cases import reference

HS = str(REFERENCE_DIR / "data" / "HolzingerSwineford1939.csv")


def test_sem_command_prints_summary_and_writes_files(tmp_path, capsys):
    model = tmp_path / "model.lav"
    model.write_text(reference("hs_cfa")["model"], encoding="utf-8")
    fit_out = tmp_path / "fit.json"
    params_out = tmp_path / "params.csv"
    rc = main(["sem", str(model), HS, "--fit-out", str(fit_out), "--params-out",
               str(params_out), "--modindices", "10"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "Chi-square" in out and "Modification indices" in out
    fit = json.loads(fit_out.read_text(encoding="utf-8"))
    assert_close(fit["chisq"], reference("hs_cfa")["fit"]["chisq"], atol=0.0, rtol=CHISQ_RTOL,
                 what="chisq")
    assert params_out.read_text(encoding="utf-8").startswith("lhs,op,rhs,label,group,est")


@pytest.mark.parametrize("model, message", [
    ("f =~ x1 + x2 + xx", "not in data="),
    ("f =~ x1 + x2 +* x3", "Line 1"),
])
def test_sem_command_reports_user_errors(model, message, capsys):
    assert main(["sem", model, HS]) == 2
    assert message in capsys.readouterr().err
