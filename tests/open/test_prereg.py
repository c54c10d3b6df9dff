"""Pre-registration: the plan frozen before the first response, amendments logged,
deviations of an analysis from the frozen plan (SQLite and PostgreSQL)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import yaml

from analysis.cli import main
from analysis.errors import DataError, InstrumentError
from analysis.study.hypotheses import DEFAULT_PATH
from analysis.study.prereg import build_plan, deviations, plan_changes, render_markdown
from instruments.fieldwork.invitations import create_invitations, create_study
from instruments.store import ResponseStore, head_revision
from instruments.store.prereg import PreregPlan, freeze_plan, plan_history, plan_sha256
from tests.store.conftest import db_url, pg_server  # noqa: F401  (fixtures: both backends)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo" / "alliance_demo.csv"


@pytest.fixture
def store(db_url):  # noqa: F811
    s = ResponseStore(db_url)
    create_study(s, "pilot")
    try:
        yield s
    finally:
        s.dispose()


def _changed_hypotheses(tmp_path: Path, sign: str = "-") -> Path:
    """A copy of hypotheses.yaml with H3's direction changed."""
    doc = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    for h in doc["hypotheses"]:
        if h["id"] == "H3":
            h["expected_sign"] = sign
    p = tmp_path / "hypotheses_changed.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return p


def _respond(store: ResponseStore) -> None:
    inv = create_invitations(store, "pilot", 1)[0]
    store.start(inv.token)


def test_plan_tables_are_on_the_single_migration_head(tmp_path):
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect

    from instruments.store.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1  # one line of revisions, the plan tables on it
    chain = [r.revision for r in script.walk_revisions("base", head_revision())]
    assert "0006_prereg" in chain
    s = ResponseStore(f"sqlite:///{tmp_path / 'h.sqlite'}")
    try:
        tables = set(inspect(s.engine).get_table_names())
    finally:
        s.dispose()
    assert {"prereg_plans", "prereg_amendments"} <= tables


def test_plan_freezes_before_first_response_and_changes_only_by_amendment(store, tmp_path):
    plan = build_plan("pilot")
    status, v0 = freeze_plan(store, "pilot", plan, "doc")
    assert status == "frozen" and v0.n_responses == 0 and v0.before_data
    assert v0.sha256 == plan_sha256(plan)
    assert freeze_plan(store, "pilot", build_plan("pilot"), "doc")[0] == "unchanged"

    _respond(store)
    changed = build_plan("pilot", hypotheses=_changed_hypotheses(tmp_path))
    with pytest.raises(DataError, match="only as an amendment"):
        freeze_plan(store, "pilot", changed, "doc")
    with pytest.raises(DataError, match="needs a reason"):
        freeze_plan(store, "pilot", changed, "doc", amend=True, reason="  ")
    with pytest.raises(DataError, match="at most 1000"):  # the API had stored 100,000
        freeze_plan(store, "pilot", changed, "doc", amend=True, reason="r" * 100_000)
    from analysis.commands.prereg import MAX_REASON
    from instruments.store.prereg import AMENDMENT_REASON_MAX

    assert MAX_REASON == AMENDMENT_REASON_MAX  # the command line checks the same bound
    assert len(plan_history(store, "pilot")) == 1  # nothing recorded by the refusals

    changes = plan_changes(plan, changed)
    assert "hypotheses.items.H3.expected_sign: '+' -> '-'" in changes
    status, v1 = freeze_plan(store, "pilot", changed, "doc", amend=True,
                             reason="Direction of H3 reconsidered.", changes=changes)
    assert status == "amended" and v1.seq == 1 and v1.n_responses == 1
    hist = plan_history(store, "pilot")
    assert [h.seq for h in hist] == [0, 1]
    assert hist[0].sha256 == v0.sha256 and hist[1].reason == "Direction of H3 reconsidered."
    assert "hypotheses.items.H3.expected_sign: '+' -> '-'" in hist[1].changes
    # the frozen row itself cannot be rewritten
    with store.session() as session, pytest.raises(RuntimeError, match="never changed"):
        row = session.query(PreregPlan).one()
        row.sha256 = "0" * 64
        session.flush()


def test_first_freeze_after_responses_is_recorded_as_such(store):
    _respond(store)
    plan = build_plan("pilot")
    status, v0 = freeze_plan(store, "pilot", plan, "doc")
    assert status == "frozen" and v0.n_responses == 1 and not v0.before_data
    md = render_markdown(plan, sha256=v0.sha256, frozen_at=v0.at, n_responses=v0.n_responses)
    assert "1 response(s) existed when the plan was frozen" in md


def test_plan_of_another_instrument_is_refused(store):
    from tests.store.fake_instrument import FakeInstrument

    create_study(store, "other", instrument=FakeInstrument())
    plan = build_plan("other")
    with pytest.raises(DataError, match="instrument the study uses"):
        freeze_plan(store, "other", plan, "doc", instrument_sha256=plan["instrument"]["sha256"])
    assert plan_history(store, "other") == []


def test_unknown_study_and_amending_nothing_are_clear_errors(store):
    with pytest.raises(DataError, match="does not exist"):
        freeze_plan(store, "nope", build_plan("nope"), "doc")
    with pytest.raises(DataError, match="no frozen plan"):
        freeze_plan(store, "pilot", build_plan("pilot"), "doc", amend=True, reason="x")


def test_plan_keeps_declared_fields_and_decision_rules(tmp_path):
    doc = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    doc["decision"] = {"alpha": 0.01, "sides": "by_direction", "correction": "holm"}
    p = tmp_path / "h.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    try:
        plan = build_plan("pilot", hypotheses=p)
    except InstrumentError:
        pytest.skip("this version's hypotheses schema has no decision block")
    assert plan["decision_rules"]["alpha"] == 0.01
    assert plan["analysis"]["alpha"] == 0.01
    md = render_markdown(plan, sha256=plan_sha256(plan))
    assert "by_direction" in md


def test_cli_freezes_writes_md_and_pdf_and_logs_amendment(store, tmp_path, capsys):
    url = store.url
    out = tmp_path / "PREREG.md"
    args = ["prereg", "--study", "pilot", "--db", url, "--power-reps", "0"]
    assert main([*args, "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    sha = plan_history(store, "pilot")[0].sha256
    assert f"Plan SHA-256: `{sha}`" in text
    assert "No data have been collected" in text and "## 2. Hypotheses" in text
    assert "Instrument alliance-learning-dependence" in text and "## 6. Sample size" in text
    assert "Frozen" in capsys.readouterr().out

    _respond(store)
    changed = _changed_hypotheses(tmp_path)
    assert main([*args, "--out", str(out), "--hypotheses", str(changed)]) == 2
    assert "--amend" in capsys.readouterr().err
    assert main([*args, "--out", str(out), "--hypotheses", str(changed), "--amend"]) == 2
    pdf = tmp_path / "PREREG.pdf"
    assert main([*args, "--out", str(pdf), "--hypotheses", str(changed), "--amend",
                 "--reason", "Direction of H3 reconsidered."]) == 0
    assert pdf.read_bytes()[:4] == b"%PDF"
    hist = plan_history(store, "pilot")
    assert len(hist) == 2 and hist[1].n_responses == 1
    assert main([*args, "--out", str(tmp_path / "x.txt")]) == 2  # bad suffix, nothing done
    assert len(plan_history(store, "pilot")) == 2


@pytest.fixture(scope="module")
def analysis_changed_h3(tmp_path_factory):
    """A real (quick) analysis of the demo study run with H3's direction changed."""
    from analysis.study.datafiles import read_data
    from analysis.study.pipeline import analyze_study

    p = _changed_hypotheses(tmp_path_factory.mktemp("hyp"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze_study(read_data(DEMO), hypotheses=str(p), bootstrap=50,
                             measurement=False, latent_model=False)


def test_deviations_list_the_amended_hypothesis_and_unlogged_changes(store, tmp_path,
                                                                     analysis_changed_h3):
    plan = build_plan("pilot")
    freeze_plan(store, "pilot", plan, "doc")
    _respond(store)
    changed = build_plan("pilot", hypotheses=_changed_hypotheses(tmp_path))
    freeze_plan(store, "pilot", changed, "doc", amend=True, reason="H3 reconsidered.",
                changes=plan_changes(plan, changed))
    devs = {d["what"]: d for d in deviations(plan_history(store, "pilot"),
                                             analysis_changed_h3)}
    h3 = devs["hypothesis H3"]
    assert h3["kind"] == "changed" and h3["planned"]["expected_sign"] == "+"
    assert h3["actual"]["expected_sign"] == "-"
    assert h3["amendment"]["seq"] == 1 and h3["amendment"]["n_responses"] == 1
    assert h3["status"] == "exploratory"  # amended after data collection began
    # 50 bootstrap draws instead of the planned 1000: a deviation nobody logged
    boot = devs["bootstrap draws"]
    assert (boot["planned"], boot["actual"]) == (1000, 50)
    assert boot["amendment"] is None and "not logged" in boot["note"]
    assert "hypothesis H1" not in devs and "seed" not in devs


def test_amendment_before_data_keeps_the_hypothesis_confirmatory(store, tmp_path,
                                                                 analysis_changed_h3):
    plan = build_plan("pilot", bootstrap=50)
    freeze_plan(store, "pilot", plan, "doc")
    changed = build_plan("pilot", bootstrap=50, hypotheses=_changed_hypotheses(tmp_path))
    freeze_plan(store, "pilot", changed, "doc", amend=True, reason="Before fieldwork.")
    devs = deviations(plan_history(store, "pilot"), analysis_changed_h3)
    assert [d["what"] for d in devs] == ["hypothesis H3"]
    assert devs[0]["status"] == "confirmatory" and devs[0]["amendment"]["n_responses"] == 0


def test_deviations_need_a_frozen_plan():
    with pytest.raises(DataError, match="no frozen plan"):
        deviations([], {"hypotheses": []})


def test_plan_names_the_latent_model_and_the_declared_rules_as_the_runner_applies_them():
    """The analysis plan is the runner's: the latent model's syntax as the runner builds it,
    its estimator and options, the Monte Carlo interval of the indirect effects, the
    robustness runs, and the declared decision rules (adjusted p decides)."""
    from analysis.study.hypotheses import LATENT_MODEL_METHODS, load_hypotheses
    from analysis.study.latent_model import latent_model_spec
    from instruments.instrument.loader import load_instrument

    hs = load_hypotheses()
    plan = build_plan("pilot")
    lat = plan["analysis"]["latent_model"]
    assert lat["syntax"] == latent_model_spec(hs, load_instrument()).syntax
    assert lat["verdicts_of"] == [h.id for h in hs.hypotheses
                                  if h.method in LATENT_MODEL_METHODS]
    assert lat["estimator"] == "MLR" and lat["fixed_x"] is False
    assert "cluster-robust by alliance_id" in lat["cluster_robust"]
    assert lat["indirect_effects"]["defined"]["H4"].startswith("ind_H4 := b")
    assert "Monte Carlo" in lat["indirect_effects"]["interval"]
    assert any("WLSMV" in r for r in lat["robustness"])
    assert plan["analysis"]["path_model"]["role"].startswith("robustness rows")
    rules = plan["decision_rules"]
    assert rules["family_ids"] == hs.family()
    assert rules["correction"] == hs.decision.correction
    assert "adjusted p is below alpha" in rules["verdict_rule"]
    md = render_markdown(plan, sha256=plan_sha256(plan))
    assert "**Latent model** (the verdicts of" in md
    assert "cluster = 'alliance_id', fixed.x = FALSE" in md
    assert lat["syntax"].splitlines()[1] in md
    assert "* Composite path model (MLR" in md
    assert "Holm adjustment over the confirmatory family" in md
    # a change of the latent model's estimator is a deviation the plan can see
    ml = build_plan("pilot", estimator="ML")
    assert any("latent_model.estimator: 'MLR' -> 'ML'" in c for c in plan_changes(plan, ml))


def test_plan_with_power_analysis_records_the_power_table():
    from analysis.study.power import power_analysis

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        power = power_analysis([150], 2, seed=7, n_boot=20, progress=False).to_dict()
    plan = build_plan("pilot", power=power, target_n=300)
    pw = plan["sampling"]["power"]
    assert pw["reps"] == 2 and pw["seed"] == 7
    assert {r["hypothesis"] for r in pw["table"]} >= {"H1", "H3"}
    assert all(0 <= r["power"] <= 1 for r in pw["table"])
    md = render_markdown(plan, sha256=plan_sha256(plan))
    assert "Monte Carlo power (2 replications per n, seed 7" in md
    # the same settings give the same plan (and hash): the power run is reproducible
    again = power_analysis([150], 2, seed=7, n_boot=20, progress=False).to_dict()
    assert plan_sha256(build_plan("pilot", power=again, target_n=300)) == plan_sha256(plan)


def test_report_shows_the_plan_amendment_and_deviations(store, tmp_path, analysis_changed_h3,
                                                        capsys):
    from analysis.study.pipeline import to_json

    plan = build_plan("pilot")
    freeze_plan(store, "pilot", plan, "doc")
    _respond(store)
    changed = build_plan("pilot", hypotheses=_changed_hypotheses(tmp_path))
    freeze_plan(store, "pilot", changed, "doc", amend=True, reason="H3 direction reconsidered",
                changes=plan_changes(plan, changed))
    analysis = tmp_path / "analysis.json"
    analysis.write_text(to_json(analysis_changed_h3), encoding="utf-8")
    out = tmp_path / "report.html"
    assert main(["report", str(DEMO), "--study", "pilot", "--db", store.url, "--json",
                 str(analysis), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "H3 direction reconsidered" in html and "hypothesis H3" in html
    assert plan_history(store, "pilot")[0].sha256 in html
    # the same list on the command line
    assert main(["prereg", "--study", "pilot", "--db", store.url, "--deviations",
                 str(analysis)]) == 0
    table = capsys.readouterr().out
    assert "| hypothesis H3 | changed |" in table and "exploratory" in table
