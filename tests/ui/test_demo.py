"""``alliance-survey demo --no-serve`` on a temporary database."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from instruments.store import ResponseStore

REPO = Path(__file__).resolve().parents[2]
DEMO_CSV = REPO / "data" / "demo" / "alliance_demo.csv"


@pytest.fixture()
def subset(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """The first 24 demo rows (dyads and singles), one of them screened out."""
    data = pd.read_csv(DEMO_CSV, dtype={"alliance_id": str, "firm_role": str, "comment": str})
    rows = data.head(24).copy()
    rows.loc[rows.index[-1], "informant_knowledge"] = 2  # below the screening threshold
    rows.loc[rows.index[0], "comment"] = "Sehr gut <b>so</b> & *so*."
    path = tmp_path / "demo_subset.csv"
    rows.to_csv(path, index=False)
    return path, rows


def run_demo(url: str, data: Path, capsys, *extra: str) -> str:
    code = main(["demo", "--db", url, "--no-serve", "--data", str(data), *extra])
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def test_demo_loads_through_the_store_and_is_idempotent(tmp_path, subset, capsys) -> None:
    from instruments.fieldwork.auth import verify_password
    from instruments.fieldwork.invitations import check_token, dyad_status, invitations_table

    path, rows = subset
    url = f"sqlite:///{tmp_path / 'db' / 'demo.sqlite'}"
    first = run_demo(url, path, capsys, "--no-summary")
    creds = tmp_path / "db" / "demo_credentials.txt"
    assert creds.exists()
    password = next(line.split(": ", 1)[1] for line in creds.read_text().splitlines()
                    if line.startswith("password: "))  # fmt: skip
    assert f"Study-lead password (new): {password}" in first
    links = [line.strip() for line in first.splitlines() if "?t=" in line]
    assert len(links) == 3

    with ResponseStore(url) as store:
        table = invitations_table(store, "demo")
        assert verify_password(store, "demo", password)
        for link in links:
            assert check_token(store, link.split("?t=")[1]).status == "invited"
        loaded = table[table["alliance_id"].isin(set(rows["alliance_id"]))]
        assert len(loaded) == len(rows)
        assert (loaded["status"] == "completed").sum() == len(rows) - 1
        assert (loaded["status"] == "screened_out").sum() == 1
        n_dyads = int((rows.groupby("alliance_id")["firm_role"].nunique() == 2).sum())
        assert len(dyad_status(store, "demo")) == n_dyads
        # Every answer in the store is the data file's value, except the items the survey
        # logic hides from a respondent: the demo leaves those unanswered, as the survey would.
        wide = store.wide("demo", completed_only=True)
        items = [c for c in store.instrument.item_variables() if c != "comment"]
        done = rows.iloc[:-1].sort_values(["alliance_id", "firm_role"])
        got = wide.sort_values(["alliance_id", "firm_role"])
        want = done[items].to_numpy(dtype=float)
        for i, answers in enumerate(done.to_dict(orient="records")):
            for spec in store.pages:
                for item in spec.hidden(answers):
                    if item in items:
                        want[i, items.index(item)] = np.nan
        np.testing.assert_allclose(got[items].to_numpy(dtype=float), want, rtol=0, atol=0)
        texts = [x if isinstance(x, str) else "" for x in got["comment"]]
        assert texts == [x if isinstance(x, str) else "" for x in done["comment"]]
        assert "Sehr gut <b>so</b> & *so*." in texts
        page_times = got["page_time_trust_investments"].to_numpy()
        np.testing.assert_allclose(
            page_times, done["page_time_trust_investments"].to_numpy(), rtol=0, atol=1e-6
        )
        n_invitations = len(table)

    second = run_demo(url, path, capsys)
    assert "respondents loaded now: 0" in second
    assert f"Study-lead password: {password}" in second
    assert [line.strip() for line in second.splitlines() if "?t=" in line] == links
    assert "Analysis summary" in second
    with ResponseStore(url) as store:
        assert len(invitations_table(store, "demo")) == n_invitations


def test_demo_serves_the_app_with_its_database(tmp_path, subset, capsys, monkeypatch) -> None:
    import subprocess

    path, _ = subset
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    calls = []

    def fake_call(cmd, env):
        calls.append((cmd, env))
        return 0

    monkeypatch.setattr(subprocess, "call", fake_call)
    code = main(["demo", "--db", url, "--data", str(path), "--no-summary", "--port", "8765"])
    assert code == 0
    ((cmd, env),) = calls
    assert cmd[1:4] == ["-m", "streamlit", "run"]
    assert Path(cmd[4]) == REPO / "streamlit_app.py"
    assert cmd[cmd.index("--server.port") + 1] == "8765"
    assert env["ALLIANCE_SURVEY_DB"] == url
    assert "http://localhost:8765/?t=" in capsys.readouterr().out


def test_report_from_the_store_has_fieldwork_figures(tmp_path, subset, capsys) -> None:
    """``report --study`` analyses the study's completed responses and shows its response
    rate, which a data file alone cannot."""
    import json

    path, rows = subset
    url = f"sqlite:///{tmp_path / 'db' / 'demo.sqlite'}"
    run_demo(url, path, capsys, "--no-summary")
    out = tmp_path / "study.html"
    saved = tmp_path / "study.json"
    code = main(["report", "--study", "demo", "--db", url, "--out", str(out),
                 "--save-json", str(saved), "--seed", "1", "--bootstrap", "20"])
    assert code == 0
    analysis = json.loads(saved.read_text(encoding="utf-8"))
    fw = analysis["fieldwork"]
    # the demo adds three fresh invitations to the loaded rows; one row is screened out
    assert fw["n_invitations"] == len(rows) + 3
    assert fw["n_completed"] == len(rows) - 1 and fw["n_screened_out"] == 1
    assert fw["response_rate"] == (len(rows) - 1) / (len(rows) + 3)
    assert analysis["n_raw"] == len(rows) - 1
    html = out.read_text(encoding="utf-8")
    assert "Study report: demo" in html and "no fieldwork information" not in html
    # neither DATA nor --study: one clear message, exit status 2
    assert main(["report", "--out", str(tmp_path / "x.html")]) == 2
    assert "Give a data file" in capsys.readouterr().err


def test_report_study_without_a_store_creates_nothing(tmp_path, capsys) -> None:
    missing = tmp_path / "nowhere" / "store.sqlite"
    code = main(["report", "--study", "demo", "--db", f"sqlite:///{missing}",
                 "--out", str(tmp_path / "r.html")])
    assert code == 2
    err = capsys.readouterr().err
    assert "no response store" in err and str(missing) in err
    assert not missing.exists() and not missing.parent.exists()
    assert main(["report", str(DEMO_CSV), "--db", "sqlite:///x.sqlite",
                 "--out", str(tmp_path / "r.html")]) == 2
    assert "give --study" in capsys.readouterr().err
