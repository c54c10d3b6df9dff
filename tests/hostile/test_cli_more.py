"""Hostile command lines, second round: inputs the first catalogue (``test_cli.py``) did
not try.  Each gets one clear message and exit status 2 (no traceback, no "internal
error"), and no input file is replaced or output file left behind.

Before these fixes: ``pls --json DATA`` and ``compare --json FIT_A`` overwrote their
input; ``compare`` crashed on a saturated MLR fit and on edited fit files; ``sem
--max-iter 0`` ran and failed to converge; ``report --bootstrap 0`` wrote a report
whose only content was the failure; ``power --workers 100000`` started processes
until the machine ran out; Ctrl-C left the measurement model's workers running.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from analysis.cli import main

REPO = Path(__file__).resolve().parents[2]
HS = REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv"
HYPOTHESES = REPO / "analysis" / "study" / "hypotheses.yaml"
DEMO = REPO / "data" / "demo" / "alliance_demo.csv"
PLS = "F1 =~ x1 + x2 + x3\nF2 =~ x4 + x5 + x6\nF2 ~ F1\n"
UNWRITABLE = "/sys"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


def _fit(n: int = 301, estimator: str = "ML", **fit: object) -> dict:
    """A fit document of the shape ``sem --json`` writes (only the keys compare reads)."""
    return {"n": n, "estimator": estimator, "converged": True, "warnings": [],
            "fit": {"chisq": 85.3, "df": 24.0, **fit}, "estimates": []}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile_more")
    f: dict[str, Path] = {"root": root}
    f["data"] = root / "data.csv"
    f["data"].write_bytes(HS.read_bytes())
    f["model"] = root / "pls.lav"
    f["model"].write_text(PLS)
    f["binary"] = root / "binary.lav"
    f["binary"].write_bytes(bytes(range(256)) * 4)
    f["folder"] = root / "a folder"
    f["folder"].mkdir()
    f["fifo"] = root / "pipe.csv"
    os.mkfifo(f["fifo"])
    docs = {
        "fit_a": _fit(),
        "fit_b": _fit(chisq=120.0, df=32.0),
        "fit_no_df": _fit(df=None),
        "fit_text_chisq": _fit(chisq="abc"),
        "fit_negative_df": _fit(df=-3),
        "fit_fractional_df": _fit(df=1.5),
        "fit_no_chisq": _fit(chisq=None),
        "fit_bool_chisq": _fit(chisq=True),
    }
    docs["fit_text_converged"] = {**_fit(), "converged": "no"}
    docs["fit_text_n"] = {**_fit(), "n": "many"}
    for name, doc in docs.items():
        f[name] = root / f"{name}.json"
        f[name].write_text(json.dumps(doc))
    f["db"] = root / "store.sqlite"
    assert main(["invite", "--study", "s", "--n", "2", "--db", f"sqlite:///{f['db']}",
                 "--out", str(root / "links.csv")]) == 0
    hyp = HYPOTHESES.read_text(encoding="utf-8")
    edits = {
        "hyp_dup_key": hyp.replace("  alpha: 0.05\n", "  alpha: 0.05\n  alpha: 0.5\n", 1),
        "hyp_empty_composite": hyp.replace(
            "learning: [info_sharing, joint_sensemaking, knowledge_integration]",
            "learning: []", 1),
        "hyp_self_mediation": hyp.replace("test: jd_sum -> learning -> value_creation",
                                          "test: learning -> learning -> learning", 1),
    }
    for name, text in edits.items():
        assert text != hyp, name
        f[name] = root / f"{name}.yaml"
        f[name].write_text(text, encoding="utf-8")
    return f


F = dict[str, Path]
CASES: list[tuple[str, Callable[[F], list[str]], str]] = [
    # -- pls: it had none of the other commands' checks ------------------------------------
    ("pls-json-over-data", lambda f: ["pls", str(f["data"]), "--model", str(f["model"]),
                                      "--json", str(f["data"])], "input file"),
    ("pls-json-over-model", lambda f: ["pls", str(f["data"]), "--model", str(f["model"]),
                                       "--json", str(f["model"])], "input file"),
    ("pls-json-unwritable", lambda f: ["pls", str(f["data"]), "--model", PLS, "--json",
                                       f"{UNWRITABLE}/p.json"], "not writable"),
    ("pls-binary-model", lambda f: ["pls", str(f["data"]), "--model", str(f["binary"])],
     "binary file"),
    ("pls-seed-negative", lambda f: ["pls", str(f["data"]), "--model", PLS, "--bootstrap",
                                     "10", "--seed", "-1"], "0 to 4294967295"),
    ("pls-missing-value-nan", lambda f: ["pls", str(f["data"]), "--model", PLS,
                                         "--missing-value", "nan"], "finite"),
    ("pls-bootstrap-huge", lambda f: ["pls", str(f["data"]), "--model", PLS, "--bootstrap",
                                      str(10**12)], "at most 1,000,000"),
    ("pls-permutations-huge", lambda f: ["pls", str(f["data"]), "--model", PLS, "--group",
                                         "school", "--permutations", str(10**12)],
     "at most 1,000,000"),
    ("pls-reps-zero", lambda f: ["pls", str(f["data"]), "--model", PLS, "--cvpat", "--reps",
                                 "0"], "1 or more"),
    # -- compare: edited or foreign fit files, and its output -------------------------------
    ("compare-json-over-input", lambda f: ["compare", str(f["fit_a"]), str(f["fit_b"]),
                                           "--json", str(f["fit_a"])], "input file"),
    ("compare-no-df", lambda f: ["compare", str(f["fit_a"]), str(f["fit_no_df"])],
     "degrees of freedom"),
    ("compare-text-chisq", lambda f: ["compare", str(f["fit_b"]), str(f["fit_text_chisq"])],
     "invalid 'chisq'"),
    ("compare-bool-chisq", lambda f: ["compare", str(f["fit_b"]), str(f["fit_bool_chisq"])],
     "invalid 'chisq'"),
    ("compare-no-chisq", lambda f: ["compare", str(f["fit_b"]), str(f["fit_no_chisq"])],
     "no chi-square"),
    ("compare-negative-df", lambda f: ["compare", str(f["fit_a"]), str(f["fit_negative_df"])],
     "degrees of freedom"),
    ("compare-fractional-df", lambda f: ["compare", str(f["fit_a"]),
                                         str(f["fit_fractional_df"])], "degrees of freedom"),
    ("compare-text-converged", lambda f: ["compare", str(f["fit_a"]),
                                          str(f["fit_text_converged"])], "'converged'"),
    ("compare-text-n", lambda f: ["compare", str(f["fit_a"]), str(f["fit_text_n"])],
     "number of cases"),
    ("compare-folder", lambda f: ["compare", str(f["fit_a"]), str(f["folder"])],
     "not a file"),
    # -- sem ----------------------------------------------------------------------------------
    ("sem-max-iter-zero", lambda f: ["sem", str(f["data"]), "--model", "f =~ x1 + x2 + x3",
                                     "--max-iter", "0"], "1 or more"),
    ("sem-modindices-nan", lambda f: ["sem", str(f["data"]), "--model", "f =~ x1 + x2 + x3",
                                      "--modindices", "nan"], "finite"),
    ("sem-json-is-params-out", lambda f: ["sem", str(f["data"]), "--model",
                                          "f =~ x1 + x2 + x3", "--json",
                                          str(f["root"] / "same.csv"), "--params-out",
                                          str(f["root"] / "same.csv")], "different files"),
    ("sem-bootstrap-huge", lambda f: ["sem", str(f["data"]), "--model", "f =~ x1 + x2 + x3",
                                      "--bootstrap", str(10**12)], "at most 1,000,000"),
    ("sem-data-folder", lambda f: ["sem", str(f["folder"]), "--model", "f =~ x1 + x2 + x3"],
     "is a folder"),
    ("sem-data-fifo", lambda f: ["sem", str(f["fifo"]), "--model", "f =~ x1 + x2 + x3"],
     "not a regular file"),
    ("sem-data-dev-null", lambda f: ["sem", "/dev/null", "--model", "f =~ x1 + x2 + x3"],
     "not a regular file"),
    # -- analyze / report / export-script / power --------------------------------------------
    ("analyze-bootstrap-huge", lambda f: ["analyze", str(f["data"]), "--bootstrap",
                                          str(10**12)], "at most 1,000,000"),
    ("analyze-hypotheses-duplicate-key", lambda f: ["analyze", str(f["data"]), "--hypotheses",
                                                    str(f["hyp_dup_key"])], "duplicate key"),
    ("analyze-hypotheses-empty-composite", lambda f: [
        "analyze", str(f["data"]), "--hypotheses", str(f["hyp_empty_composite"])],
     "no scores to average"),
    ("analyze-hypotheses-self-mediation", lambda f: [
        "analyze", str(f["data"]), "--hypotheses", str(f["hyp_self_mediation"])],
     "names one variable twice"),
    ("analyze-hypotheses-fifo", lambda f: ["analyze", str(f["data"]), "--hypotheses",
                                           str(f["fifo"])], "not a regular file"),
    ("export-script-hypotheses-fifo", lambda f: ["export-script", str(f["data"]), "--out",
                                                 str(f["root"] / "scripts"), "--hypotheses",
                                                 str(f["fifo"])], "not a regular file"),
    ("report-bootstrap-zero", lambda f: ["report", str(f["data"]), "--out",
                                         str(f["root"] / "r.html"), "--bootstrap", "0"],
     "at least 2"),
    ("report-estimator-unknown", lambda f: ["report", str(f["data"]), "--out",
                                            str(f["root"] / "r.html"), "--estimator", "GLS"],
     "invalid choice"),
    ("export-script-seed-negative", lambda f: ["export-script", str(f["data"]), "--out",
                                               str(f["root"] / "scripts"), "--seed", "-1"],
     "0 to 4294967295"),
    ("export-script-bootstrap-huge", lambda f: ["export-script", str(f["data"]), "--out",
                                                str(f["root"] / "scripts"), "--bootstrap",
                                                str(10**12)], "at most 1,000,000"),
    # -- the response store is an input too: an output over it destroyed every response ------
    ("export-out-is-the-store", lambda f: ["export", "--study", "s", "--format", "csv",
                                           "--out", str(f["db"]), "--db",
                                           f"sqlite:///{f['db']}"], "input file"),
    ("invite-out-is-the-store", lambda f: ["invite", "--study", "s", "--n", "1", "--out",
                                           str(f["db"]), "--db", f"sqlite:///{f['db']}"],
     "input file"),
    ("report-out-is-the-store", lambda f: ["report", "--study", "s", "--out", str(f["db"]),
                                           "--db", f"sqlite:///{f['db']}"], "input file"),
    ("invite-n-huge", lambda f: ["invite", "--study", "new", "--n", str(10**12), "--db",
                                 f"sqlite:///{f['db']}"], "at most 100,000"),
    ("invite-dyads-huge", lambda f: ["invite", "--study", "new", "--dyads", "60000", "--db",
                                     f"sqlite:///{f['db']}"], "at most 50,000"),
    ("invite-from-fifo", lambda f: ["invite", "--study", "s", "--from", str(f["fifo"]),
                                    "--db", f"sqlite:///{f['db']}"], "not a regular file"),
    ("power-json-is-plot", lambda f: ["power", "--n", "100", "--reps", "1", "--json",
                                      str(f["root"] / "p.svg"), "--plot",
                                      str(f["root"] / "p.svg")], "different files"),
    ("power-scheduler-not-an-address", lambda f: ["power", "--n", "100", "--reps", "1",
                                                  "--scheduler", "not an address"],
     "Could not connect"),
]


@pytest.mark.parametrize(("case", "argv", "expected"), CASES, ids=[c[0] for c in CASES])
def test_cli_refuses_cleanly(case: str, argv: Callable[[F], list[str]], expected: str,
                             files: F, capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused_cleanly(case, argv(files), expected, files, capsys)


def assert_refused_cleanly(case: str, args: list[str], expected: str, files: F,
                           capsys: pytest.CaptureFixture[str],
                           state: Callable[[], object] = lambda: None) -> None:
    """``args`` exit 2 with ``expected`` in one short message, no traceback, and change
    nothing: no input replaced, no study or invitation stored, no file left behind, and
    ``state()`` (more of the world to watch) the same after as before."""
    before = {p: _digest(p) for p in files.values() if p.is_file()}
    studies = _studies(files["db"])
    listing = _listing(files["root"])
    other = state()
    code = main(args)
    captured = capsys.readouterr()
    err = captured.err
    assert code == 2, f"{case}: exit {code}, stderr {err!r}"
    assert expected in err, f"{case}: {err!r}"
    assert "Traceback" not in err + captured.out and "internal error" not in err
    assert len(err) < 5000
    assert {p: _digest(p) for p in before} == before  # no input replaced
    assert _studies(files["db"]) == studies  # no study created, no invitation stored
    assert _listing(files["root"]) == listing  # no output left behind
    assert state() == other


def _listing(root: Path) -> list[str]:
    """The folder's files, without SQLite's own journal files of the store."""
    return sorted(n for n in os.listdir(root) if not n.startswith("store.sqlite-"))


def _studies(db: Path) -> list[tuple[str, int]]:
    """Each study of the store with its number of invitations."""
    import sqlite3

    with sqlite3.connect(db) as con:
        return con.execute("SELECT s.name, COUNT(i.id) FROM studies s LEFT JOIN invitations i "
                           "ON i.study_id = s.id GROUP BY s.name ORDER BY s.name").fetchall()


def test_compare_mlr_with_a_saturated_model(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A saturated MLR fit (df 0) has no scaling factor (null in its JSON); the scaled
    difference then equals the other fit's scaled chi-square (lavaan sets c = 1 for it).
    This crashed with a TypeError before."""
    one = ["sem", str(HS), "--estimator", "MLR", "--json"]
    sat, cfa = tmp_path / "sat.json", tmp_path / "cfa.json"
    assert main([*one, str(sat), "--model", "f =~ x1 + x2 + x3"]) == 0
    assert main([*one, str(cfa), "--model", "f =~ x1 + x2 + x3\ng =~ x4 + x5 + x6"]) == 0
    assert json.loads(sat.read_text())["fit"]["chisq_scaling_factor"] is None
    out = tmp_path / "lrt.json"
    assert main(["compare", str(cfa), str(sat), "--json", str(out)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    test = json.loads(out.read_text())
    scaled = json.loads(cfa.read_text())["fit"]["chisq_scaled"]
    assert test["delta_df"] == 8
    assert test["delta_chisq"] == pytest.approx(scaled, rel=1e-9)
    assert 0 < test["delta_pvalue"] < 0.01


def test_compare_mlr_without_scaling_factor_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A non-saturated MLR fit without its scaling factor is an error, not a NaN test."""
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_fit(estimator="MLR", chisq_scaling_factor=None)))
    b.write_text(json.dumps(_fit(estimator="MLR", chisq=120.0, df=32.0,
                                 chisq_scaling_factor=1.1)))
    assert main(["compare", str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert "scaling factor" in err and "Traceback" not in err


def test_score_warns_about_repeated_respondent_ids(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same respondent twice (a file appended to itself) is never silent."""
    rows = DEMO.read_text(encoding="utf-8").splitlines()[:41]
    for i in range(6, 11):  # rows 6..10 take the ids of rows 1..5 (respondent_id first)
        rows[i] = rows[i - 5].split(",", 1)[0] + "," + rows[i].split(",", 1)[1]
    path, out = tmp_path / "twice.csv", tmp_path / "scored.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["score", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "5 respondent_id value(s) appear on more than one row (10 rows" in printed
    # which rows: data row 1's id is on data row 6 too
    assert "is on data rows 1 and 6" in printed
    assert main(["score", str(DEMO), "--out", str(out)]) == 0
    assert "respondent_id" not in capsys.readouterr().out  # unique ids: no warning


def test_ctrl_c_leaves_no_worker_behind(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the whole foreground process group) during a forked part that
    runs a pool: the command ends with status 130, and neither the part's child nor its
    pool's workers outlive it (they waited for work forever before)."""
    script = tmp_path / "run.py"
    script.write_text(
        "import sys, time\n"
        "from analysis.forked import Forked, fork_pool\n"
        "def part():\n"
        "    pool = fork_pool(2)\n"
        "    futures = [pool.submit(time.sleep, 0.2) for _ in range(10_000)]\n"
        "    return [f.result() for f in futures]\n"
        "def run():\n"
        "    job = Forked(part)\n"
        "    print('started', flush=True)\n"
        "    return job.result()\n"
        "if __name__ == '__main__':\n"
        "    try:\n"
        "        run()\n"
        "    except KeyboardInterrupt:\n"
        "        print('Interrupted.', file=sys.stderr)\n"
        "        sys.exit(130)\n")
    proc = subprocess.Popen(
        [sys.executable, str(script)], cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
        preexec_fn=lambda: (signal.signal(signal.SIGINT, signal.SIG_DFL), os.setpgrp()))
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        time.sleep(1.5)  # the pool's workers are running
        group = proc.pid
        os.killpg(group, signal.SIGINT)
        assert proc.wait(timeout=30) == 130
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(group):
            time.sleep(0.2)
        left = _alive(group)
        assert not left, f"processes left after Ctrl-C: {left}"
    finally:
        if _alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)


def _alive(group: int) -> list[int]:
    """Processes of process group ``group`` that are not zombies."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def test_the_command_line_caps_invitations_as_the_store_does() -> None:
    # the command keeps its own copy of the cap (its parser must not import the store);
    # the two must agree, or a batch the parser lets through would fail later
    from analysis.commands import invite
    from instruments.fieldwork import invitations

    assert invite.MAX_BATCH == invitations.MAX_BATCH
