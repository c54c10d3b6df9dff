"""The demo study analysed with PLS-SEM (``method: pls``): model built from the instrument,
verdicts by the declared decision rules, the report section, and the CLI route."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import InstrumentError
from analysis.io import jsonable
from analysis.study.hypotheses import DEFAULT_PATH, VERDICTS, holm, load_hypotheses
from analysis.study.pls_study import pls_section, test_hypotheses_pls
from instruments.instrument.loader import load_instrument

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo" / "alliance_demo.csv"


@pytest.fixture(scope="module")
def run():
    details: dict = {}
    table = test_hypotheses_pls(pd.read_csv(DEMO), bootstrap=250, seed=7, details=details)
    return table, details, pls_section(details)


def test_measurement_follows_the_instrument(run):
    _, details, section = run
    instrument = load_instrument()
    lines = {ln.split()[0]: ln for ln in details["syntax"].splitlines() if ln.strip()
             and ("=~" in ln or "<~" in ln)}
    used = [c for c in lines if c in instrument.scales]
    assert {"trust", "value_creation", "learning_from", "innovation_outcome"} <= set(used)
    for c in used:
        op = "=~" if instrument.scales[c].measurement == "reflective" else "<~"
        assert lines[c].split()[1] == op, c
    # relationship learning is the higher-order construct of its three dimensions
    assert lines["learning"] == ("learning =~ info_sharing + joint_sensemaking + "
                                 "knowledge_integration")
    assert lines["jd_sum"] == "jd_sum =~ jd_sum_score"
    res = details["pls"]["main"][0]
    assert res.settings.consistent and res.converged
    assert set(res.reflective) >= {"trust", "value_creation", "learning"}
    assert "learning_from" not in res.reflective
    # reverse-keyed items enter recoded: every reflective item loads positively
    reflective = [r for r in section["indicators"] if r["mode"] == "A"
                  and not r["item"].endswith("_score")]
    assert reflective and min(r["loading"] for r in reflective) > 0.3
    # the dimensions of relationship learning are assessed in the first stage
    dims = {"info_sharing", "joint_sensemaking", "knowledge_integration"}
    assert dims <= {r["construct"] for r in section["reliability"]}
    assert dims <= {r["construct"] for r in reflective}


def test_verdicts_follow_the_declared_rules(run):
    table, _, section = run
    hs = load_hypotheses()
    assert set(table["verdict"]) <= set(VERDICTS) | {"exploratory: effect detected",
                                                     "exploratory: no effect detected"}
    by_id = table.set_index("id")
    for hid in ("H2", "H10", "H11"):  # response surface, dyadic, multigroup: no PLS test
        assert by_id.loc[hid, "verdict"] == "not tested"
        assert "no PLS-SEM counterpart" in by_id.loc[hid, "note"]
    fam = by_id.loc[[h for h in hs.family() if np.isfinite(by_id.loc[h, "pvalue"])]]
    np.testing.assert_allclose(fam["pvalue_adjusted"], holm(fam["pvalue"]), rtol=0, atol=1e-12)
    for hid, r in fam.iterrows():
        sign = hs.get(hid).expected_sign
        if r["verdict"] == "supported" and sign in "+-":
            # a one-sided bootstrap p below alpha goes with an interval on the declared side
            assert (r["ci_lower"] > 0) if sign == "+" else (r["ci_upper"] < 0), hid
    assert (fam["verdict"] == "supported").sum() >= 4
    paths = {(p["source"], p["target"]): p["estimate"] for p in section["paths"]}
    assert by_id.loc["H1", "estimate"] == paths[("jd_sum", "learning")]
    # the mediation's estimate is the product of its two paths
    np.testing.assert_allclose(
        by_id.loc["H4", "estimate"],
        paths[("jd_sum", "learning")] * paths[("learning", "value_creation")], rtol=1e-12)
    assert set(section["models"]) == {"H5", "H6b", "H7"}


def test_report_section_passes_the_checker(run):
    from analysis.report.check import check_report
    from analysis.report.render import render_html
    from analysis.study.pipeline import HYPOTHESIS_KEYS

    table, _, section = run
    hyps = [{k: r.get(k) for k in HYPOTHESIS_KEYS} for r in table.to_dict(orient="records")]
    analysis = json.loads(json.dumps(jsonable({"n": int(table.attrs["n"]), "hypotheses": hyps,
                                               "pls": section}), allow_nan=False))
    html = render_html(analysis)
    assert check_report(html, analysis) == []
    assert 'data-section="pls"' in html and "HTMT" in html and "0.70 to 0.95" in html


def test_method_is_declared_in_the_hypotheses_file(tmp_path):
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert load_hypotheses().method == "sem"
    p = tmp_path / "h.yaml"
    p.write_text(text.replace("\ncomposites:", "\nmethod: pls\n\ncomposites:", 1),
                 encoding="utf-8")
    assert load_hypotheses(p).method == "pls"
    from analysis.study.pls_study import PLS_ESTIMATOR
    from analysis.study.prereg import build_plan

    assert build_plan("s", hypotheses=p)["analysis"]["path_model"]["estimator"] == PLS_ESTIMATOR
    assert build_plan("s")["analysis"]["path_model"]["estimator"] == "MLR"
    p.write_text(text.replace("\ncomposites:", "\nmethod: plsc\n\ncomposites:", 1),
                 encoding="utf-8")
    with pytest.raises(InstrumentError, match="method"):
        load_hypotheses(p)


def test_cli_rejects_an_unknown_method(capsys):
    from analysis.cli import main

    assert main(["analyze", str(DEMO), "--method", "plsx"]) == 2
    assert "invalid choice: 'plsx'" in capsys.readouterr().err


@pytest.mark.slow
def test_report_with_method_pls_end_to_end(tmp_path):
    """alliance-survey report DATA --method pls: the report passes scripts/check_report.py."""
    import subprocess
    import sys

    from analysis.cli import main

    out, js = tmp_path / "r.html", tmp_path / "a.json"
    assert main(["report", str(DEMO), "--method", "pls", "--bootstrap", "300",
                 "--out", str(out), "--save-json", str(js)]) == 0
    doc = json.loads(js.read_text(encoding="utf-8"))
    assert doc["pls"]["available"] and doc["provenance"]["estimator"]["path_model"] == \
        "PLS-SEM (PLSc)"
    assert {h["id"] for h in doc["hypotheses"] if h["verdict"] == "supported"} >= {"H1", "H3"}
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_report.py"), str(out),
                            "--json", str(js)], capture_output=True, text=True, cwd=ROOT)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_one_item_construct_named_like_its_column_is_no_first_stage_dimension():
    """A construct named like its single column (Age =~ Age) counted as a first-stage
    dimension of a higher-order construct, since its name is a column of the data."""
    import numpy as np

    from analysis.stats.pls import pls
    from analysis.stats.pls.bootstrap import bootstrap_pls
    from analysis.study.pls_study import pls_section

    rng = np.random.default_rng(4)
    n = 120
    f = rng.standard_normal((n, 3))
    cols = {f"{c}{i}": f[:, k] + 0.6 * rng.standard_normal(n)
            for k, c in enumerate("aby") for i in (1, 2, 3)}
    cols["Age"] = rng.integers(25, 60, n).astype(float)
    data = pd.DataFrame(cols)
    model = ("A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3\nH =~ A + B\nAge =~ Age\n"
             "Y =~ y1 + y2 + y3\nY ~ H + Age\n")
    res = pls(data, model)
    boot = bootstrap_pls(res, n_boot=50, seed=1, bca=False)
    section = pls_section({"pls": {"main": (res, boot), "kinds": {}, "seed": 1,
                                   "syntax": model, "models": {}}})
    first = {c["construct"] for c in section["constructs"]
             if c["measurement"].endswith("(first stage)")}
    assert first == {"A", "B"}
    # f2 of H's only path: the model without H (it had failed with KeyError 'A')
    from analysis.stats.pls import quality as q

    r2 = float(res.rsquared.loc["Y", "r2"])
    without = pls(data, "Age =~ Age\nY =~ y1 + y2 + y3\nY ~ Age\n")
    f2 = q.fsquared(res).set_index("source").loc["H", "f2"]
    assert f2 == pytest.approx((r2 - without.rsquared.loc["Y", "r2"]) / (1 - r2), rel=1e-9)
