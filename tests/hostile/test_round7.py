"""Hostile input, seventh round: the items the sixth round's fuzz found and left open.
Each user error now ends in one clear message and exit status 2, nothing stored and
nothing replaced; an option that does nothing in the combination given is refused.

Before these fixes:

* ``report --json`` and ``prereg --deviations`` took any JSON object: the fit of ``sem
  --json`` gave a report of "Not available" in every section, and a list of deviations in
  which every hypothesis was dropped.  The data given beside ``report --json`` was not
  compared with the data the analysis was run on (``provenance.data_sha256``).
* ``privacy --contact`` took any text ("!!!", a line break); ``prereg --amend --reason``
  took 100,000 characters and escape sequences.
* Options without effect were dropped without a word: ``sem --seed`` without
  ``--bootstrap``, ``--group-equal`` without ``--group``, ``--parameterization`` without
  ordered items; ``pls --permutations`` without ``--group``, ``--folds``/``--reps``
  without ``--cvpat``; ``power --boot`` without ``--mediation-ci bootstrap``; ``invite
  --instrument`` on an existing study opened the wave on the study's old version;
  ``wave --instrument`` without ``--open``; ``mail`` options of another action; and more
  (``export --lang`` of a CSV, ``analyze --estimator`` with ``--skip-measurement``,
  ``simulate --mechanism`` without missing answers, ``health --cafile`` without an
  https address, ``respondent --reason`` with ``--resend``, ``prereg`` plan options with
  ``--deviations``).
* Misleading messages: a 100,000-character input path was blamed on ``--out``; a file
  with a header and no rows was "not numeric", "0 usable cases" or "data= must be a
  non-empty DataFrame"; a column of dates was "not identified" or "not positive
  definite"; ``delete --study nope`` told a respondent to check the link; a long echoed
  value filled the message, which was then cut before its advice; Python warnings with
  the paths of source files reached stderr (``sem`` bootstrap failures twice, ordinal
  tables, statsmodels' rank-deficient designs in ``analyze``).
* A command piped into ``head`` ended with "error: Broken pipe." and exit status 2.

Found by this round's own fuzz: an escape sequence in an echoed value reached the terminal
raw; ``respondent --actor`` stored control characters and was cut to 200 characters
without a word; ``mail --configure`` stored a sender, base URL, SMTP host or password
variable longer than its column (PostgreSQL refused them with a driver error); ``invite
--base-url`` of 100,000 characters was printed in every link; ``export --excel-safe`` of a
Parquet file was refused in the API's words (``excel_safe``); ``pls --cvpat --reps
100000000`` ran until the system killed it; ``report --title`` took 100,000 characters
and line breaks; ``prereg --power-n 0,-5`` was refused in the API's words after the power
analysis had been announced.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from tests.hostile._runner import refused as _refused
from tests.hostile.test_cli_more import DEMO, HS

REPO = Path(__file__).resolve().parents[2]
CFA = "f =~ x1 + x2 + x3"
PLS = "F1 =~ x1 + x2 + x3\nF2 =~ x4 + x5 + x6\nF2 ~ F1\n"


def _store(tmp_path: Path, study: str = "s") -> str:
    from instruments.fieldwork.invitations import create_study
    from instruments.store import ResponseStore

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = ResponseStore(url)
    create_study(store, study)
    store.dispose()
    return url


def _count(tmp_path: Path, table: str) -> int:
    with sqlite3.connect(tmp_path / "store.sqlite") as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


# -- 1. analysis files: report --json, prereg --deviations --------------------------------


OTHER_RESULTS = {
    "sem": ({"n": 301, "estimator": "ML", "converged": True, "warnings": [],
             "fit": {"chisq": 1.0, "df": 0}, "estimates": []},
            "it is a model fit of 'alliance-survey sem --json'"),
    "pls": ({"n": 301, "scheme": "path", "consistent": False, "estimates": []},
            "it is a PLS fit of 'alliance-survey pls --json'"),
    "reliability": ({"scales": [], "htmt": [], "fornell_larcker": [], "n_obs": 301},
                    "it is the result of 'alliance-survey reliability --json'"),
    "no-fingerprint": ({"hypotheses": [], "provenance": {"seed": 1}},
                       "its provenance has no data fingerprint"),
    "no-provenance": ({"hypotheses": [], "n": 3}, "it has no 'provenance'"),
}


@pytest.mark.parametrize("kind", sorted(OTHER_RESULTS))
def test_report_refuses_the_json_of_another_command(kind, tmp_path, capsys) -> None:  # noqa: ANN001
    doc, expected = OTHER_RESULTS[kind]
    src = tmp_path / "other.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "r.html"
    err = _refused(["report", str(DEMO), "--json", str(src), "--out", str(out)], expected,
                   capsys)
    assert "is not a result of 'alliance-survey analyze --json'" in err
    assert not out.exists()


@pytest.mark.parametrize("kind", ["sem", "no-fingerprint"])
def test_prereg_deviations_refuse_the_json_of_another_command(kind, tmp_path, capsys) -> None:  # noqa: ANN001
    doc, expected = OTHER_RESULTS[kind]
    src = tmp_path / "other.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    url = _store(tmp_path)
    _refused(["prereg", "--study", "s", "--db", url, "--deviations", str(src)], expected,
             capsys)


def _analysis_of(data: Path, tmp_path: Path) -> Path:
    """The report's fixture analysis, recorded as run on ``data`` (its fingerprint as the
    pipeline takes it: the data in the instrument's current layout)."""
    from analysis.study.datafiles import read_data
    from analysis.study.pipeline import data_sha256
    from analysis.study.scoring import conform
    from instruments.instrument.loader import load_instrument
    from tests.report.fixture_analysis import fixture_analysis

    doc = fixture_analysis()
    frame = conform(read_data(data), load_instrument())[0]
    doc["provenance"]["data_sha256"] = data_sha256(frame)
    path = tmp_path / "analysis.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_report_refuses_data_other_than_the_analysed(tmp_path, capsys) -> None:  # noqa: ANN001
    demo = pd.read_csv(DEMO)
    ran, other = tmp_path / "ran.csv", tmp_path / "other.csv"
    demo.head(60).to_csv(ran, index=False)
    demo.tail(60).to_csv(other, index=False)
    analysis = _analysis_of(ran, tmp_path)
    out = tmp_path / "r.html"
    err = _refused(["report", str(other), "--json", str(analysis), "--out", str(out)],
                   "was run on other data than DATA", capsys)
    assert str(analysis) in err and str(other) in err and "leave out --json" in err
    assert not out.exists()
    assert main(["report", str(ran), "--json", str(analysis), "--out", str(out)]) == 0
    assert out.exists()


def test_report_takes_an_analysis_written_by_analyze(tmp_path, capsys) -> None:  # noqa: ANN001
    """The real contract: what 'analyze --json' writes passes, beside the same data."""
    data = tmp_path / "demo.csv"
    pd.read_csv(DEMO).head(80).to_csv(data, index=False)
    analysis = tmp_path / "analysis.json"
    assert main(["analyze", str(data), "--skip-measurement", "--bootstrap", "20",
                 "--json", str(analysis)]) == 0
    out = tmp_path / "r.html"
    assert main(["report", str(data), "--json", str(analysis), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert out.exists() and "warning" not in err


# -- 2, 3. stored texts: privacy --contact, prereg --reason -------------------------------


@pytest.mark.parametrize(("contact", "expected"), [
    ("!!!", "does not say how to reach the study lead"),
    ("Jana Lehmann", "does not say how to reach the study lead"),
    ("lead@example.org\nBcc: x@example.org", "contains a line break"),
    ("lead@example.org\x1b[31m", "contains a control character (U+001B)"),
    ("lead@example.org " + "x" * 400, "at most 300 are allowed"),
])
def test_privacy_contact_is_checked(contact, expected, tmp_path, capsys) -> None:  # noqa: ANN001
    url = _store(tmp_path)
    err = _refused(["privacy", "--study", "s", "--db", url, "--contact", contact], expected,
                   capsys)
    assert len(err) < 600
    with sqlite3.connect(tmp_path / "store.sqlite") as con:
        assert con.execute("select settings from studies").fetchone() == (None,)


@pytest.mark.parametrize("contact", ["lead@uni.example", "+49 30 1234 5678",
                                     "Musterstrasse 1, 10115 Berlin",
                                     "https://uni.example/contact", ""])
def test_privacy_contacts_that_reach_someone(contact, tmp_path, capsys) -> None:  # noqa: ANN001
    url = _store(tmp_path)
    assert main(["privacy", "--study", "s", "--db", url, "--contact", contact]) == 0
    shown = contact or "(not set)"
    assert f"contact: {shown}\n" in capsys.readouterr().out


@pytest.mark.parametrize(("reason", "expected"), [
    ("x" * 100_000, "--reason has 100,000 characters; at most 1,000 are allowed"),
    ("new rule\x1b[2J", "contains a control character (U+001B)"),
    ("first line\nsecond line", "contains a line break"),
    ("   ", "--reason must not be empty"),
])
def test_prereg_amendment_reason_is_bounded(reason, expected, tmp_path, capsys) -> None:  # noqa: ANN001
    url = _store(tmp_path)
    doc = tmp_path / "plan.md"
    err = _refused(["prereg", "--study", "s", "--db", url, "--out", str(doc), "--amend",
                    "--reason", reason, "--power-reps", "0"], expected, capsys)
    assert len(err) < 600 and "Power analysis" not in err
    assert not doc.exists()
    assert _count(tmp_path, "prereg_plans") == 0


# -- 4. options without effect ------------------------------------------------------------


IGNORED = [
    ("sem-seed", ["sem", str(HS), "--model", CFA, "--seed", "3"],
     "--seed has no effect without --bootstrap N"),
    ("sem-seed-zero-draws", ["sem", str(HS), "--model", CFA, "--bootstrap", "0", "--seed=3"],
     "--seed has no effect without --bootstrap N"),
    ("sem-seed-abbreviated", ["sem", str(HS), "--model", CFA, "--se", "3"],
     "--seed has no effect without --bootstrap N"),
    ("sem-group-equal", ["sem", str(HS), "--model", CFA, "--group-equal", "loadings"],
     "--group-equal has no effect without --group COLUMN"),
    ("sem-parameterization", ["sem", str(HS), "--model", CFA, "--parameterization", "theta"],
     "--parameterization has no effect without --ordered"),
    ("pls-permutations", ["pls", str(HS), "--model", PLS, "--permutations", "1000"],
     "--permutations has no effect without --group COL"),
    ("pls-folds", ["pls", str(HS), "--model", PLS, "--folds", "5"],
     "--folds has no effect without --cvpat"),
    ("pls-reps", ["pls", str(HS), "--model", PLS, "--reps", "3"],
     "--reps has no effect without --cvpat"),
    ("pls-seed", ["pls", str(HS), "--model", PLS, "--seed", "1"],
     "--seed has no effect without --bootstrap N, --group COL or --cvpat"),
    ("power-boot", ["power", "--n", "100", "--reps", "2", "--boot", "50"],
     "--boot has no effect without --mediation-ci bootstrap"),
    ("power-workers-scheduler", ["power", "--n", "100", "--reps", "2", "--workers", "2",
                                 "--scheduler", "tcp://127.0.0.1:9"],
     "--workers sets the local processes, but --scheduler"),
    ("analyze-estimator", ["analyze", str(DEMO), "--skip-measurement", "--estimator", "MLR"],
     "--estimator chooses the measurement model's estimator"),
    ("simulate-mechanism", ["simulate", "--n", "50", "--mechanism", "MAR", "--out", "{tmp}/s.csv"],
     "--mechanism has no effect without --missing SHARE above 0"),
    ("export-script-seed", ["export-script", str(DEMO), "--to", "mplus", "--seed", "4",
                            "--out", "{tmp}/scripts"],
     "--seed seeds R's bootstrap in the lavaan script"),
    ("health-cafile", ["health", "--no-store", "--app", "http://127.0.0.1:9", "--cafile",
                       "{tmp}/ca.pem"], "--cafile has no effect without an https:// --app"),
    ("health-db-no-store", ["health", "--no-store", "--app", "http://127.0.0.1:9", "--db",
                            "sqlite:///{tmp}/x.sqlite"],
     "--db names the store that --no-store leaves unchecked"),
    ("demo-port", ["demo", "--no-serve", "--base-url", "https://survey.example.org",
                   "--port", "8600", "--db", "sqlite:///{tmp}/demo.sqlite"],
     "--port is the port of the app"),
]


@pytest.mark.parametrize(("case", "args", "expected"), IGNORED, ids=[c[0] for c in IGNORED])
def test_options_without_effect_are_refused(case, args, expected, tmp_path, capsys) -> None:  # noqa: ANN001
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    err = _refused(args, expected, capsys)
    assert "leave out" in err or "Leave out" in err, err
    assert list(tmp_path.iterdir()) == [], f"{case}: {list(tmp_path.iterdir())}"


def test_the_same_options_where_they_act(tmp_path, capsys) -> None:  # noqa: ANN001
    """Defaults never count as typed, and a typed option that acts passes."""
    assert main(["sem", str(HS), "--model", CFA]) == 0
    assert main(["sem", str(HS), "--model", CFA, "--bootstrap", "5", "--seed", "3"]) == 0
    assert main(["pls", str(HS), "--model", PLS, "--cvpat", "--folds", "3", "--reps", "1",
                 "--seed", "2"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize(("args", "expected"), [
    (["--send", "--after-days", "3", "--lang", "de"],
     "--after-days, --lang have no effect with --send"),
    (["--status", "--dry-run"], "--dry-run has no effect with --status"),
    (["--configure", "--max-reminders", "1", "--smtp", "smtp://127.0.0.1:2525"],
     "--max-reminders has no effect with --configure"),
])
def test_mail_options_of_another_action(args, expected, tmp_path, capsys) -> None:  # noqa: ANN001
    url = _store(tmp_path)
    _refused(["mail", "--study", "s", "--db", url, *args], expected, capsys)
    assert _count(tmp_path, "study_mail_settings") == 0
    _refused(["mail", "--new-key", "--study", "s"], "--study has no effect with --new-key",
             capsys)


@pytest.mark.parametrize(("args", "expected"), [
    (["--resend", "--invitation", "1", "--reason", "asked"], "--reason is kept with"),
    (["--log", "--invitation", "1"], "--invitation has no effect with --log"),
    (["--exclude", "--invitation", "1", "--reason", "x", "--smtp", "smtp://h"],
     "--smtp sends the message of --resend or --remind"),
    (["--include", "--invitation", "1", "--reason", "x", "--out", "-"],
     "--out is for --copy only"),
])
def test_respondent_options_of_another_action(args, expected, tmp_path, capsys) -> None:  # noqa: ANN001
    url = _store(tmp_path)
    _refused(["respondent", "--study", "s", "--db", url, *args], expected, capsys)


@pytest.mark.parametrize(("args", "expected"), [
    (["--format", "csv", "--lang", "de"], "--lang sets the language of the value labels"),
    (["--format", "long", "--completed-only"], "--completed-only chooses the respondents"),
    (["--format", "codebook", "--skip-unstarted"], "--skip-unstarted chooses the respondents"),
])
def test_export_options_of_another_format(args, expected, tmp_path, capsys) -> None:  # noqa: ANN001
    url = _store(tmp_path)
    out = tmp_path / ("out.md" if "codebook" in args else "out.csv")
    _refused(["export", "--study", "s", "--db", url, "--out", str(out), *args], expected,
             capsys)
    assert not out.exists()


def test_prereg_plan_options_with_deviations(tmp_path, capsys) -> None:  # noqa: ANN001
    url = _store(tmp_path)
    src = tmp_path / "analysis.json"
    src.write_text("{}", encoding="utf-8")
    _refused(["prereg", "--study", "s", "--db", url, "--deviations", str(src), "--seed", "4",
              "--amend"], "--amend builds the plan to freeze, but --deviations", capsys)
    doc = tmp_path / "plan.md"
    _refused(["prereg", "--study", "s", "--db", url, "--out", str(doc), "--reason", "why"],
             "--reason has no effect without --amend", capsys)
    _refused(["prereg", "--study", "s", "--db", url, "--out", str(doc), "--power-reps", "0",
              "--power-n", "100"], "--power-n has no effect with --power-reps 0", capsys)
    assert not doc.exists() and _count(tmp_path, "prereg_plans") == 0


def test_invite_instrument_of_another_version_on_an_existing_study(tmp_path, capsys) -> None:  # noqa: ANN001
    from tests.store.test_waves import PACKAGED, make_version

    newer = make_version(tmp_path, "2.1.0", rename=False)
    url = _store(tmp_path)
    err = _refused(["invite", "--study", "s", "--wave", "2", "--n", "1", "--db", url,
                    "--instrument", str(newer)], f"runs alliance-learning-dependence {PACKAGED}",
                   capsys)
    assert "wave --study s --open NAME --instrument DIR" in err
    assert _count(tmp_path, "invitations") == 0 and _count(tmp_path, "waves") == 0
    _refused(["wave", "--study", "s", "--db", url, "--instrument", str(newer)],
             "--instrument has no effect without --open NAME", capsys)
    # opened as a wave, the new version is invited to with its own instrument
    assert main(["wave", "--study", "s", "--open", "2", "--db", url, "--instrument",
                 str(newer)]) == 0
    assert main(["invite", "--study", "s", "--wave", "2", "--n", "1", "--db", url,
                 "--instrument", str(newer)]) == 0
    assert _count(tmp_path, "invitations") == 1
    capsys.readouterr()


def test_invite_partner_with_a_contact_file(tmp_path, capsys) -> None:  # noqa: ANN001
    rows = tmp_path / "rows.csv"
    rows.write_text("partner_name\nAcme\n", encoding="utf-8")
    db = tmp_path / "store.sqlite"
    _refused(["invite", "--study", "s", "--db", f"sqlite:///{db}", "--from", str(rows),
              "--partner", "Beta"], "--partner has no effect with --from", capsys)
    assert not db.exists()


# -- 5. messages that blamed the wrong thing ----------------------------------------------


def test_a_long_input_path_is_not_blamed_on_the_output(tmp_path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "scored.csv"
    out.write_text("kept\n", encoding="utf-8")
    err = _refused(["score", "a" * 100_000, "--out", str(out)], "cannot be opened: File name "
                   "too long", capsys)
    assert "--out" not in err and err.startswith("alliance-survey score: error: Data file")
    assert len(err) < 300
    assert out.read_text(encoding="utf-8") == "kept\n"


@pytest.mark.parametrize("command", [
    ["sem", "{data}", "--model", CFA],
    ["pls", "{data}", "--model", PLS],
    ["reliability", "{data}", "--model", "{model}"],
    ["analyze", "{data}", "--skip-measurement"],
    ["score", "{data}", "--out", "{tmp}/s.csv"],
    ["export-script", "{data}", "--out", "{tmp}/scripts"],
    ["report", "{data}", "--out", "{tmp}/r.html"],
])
def test_a_file_with_a_header_and_no_rows(command, tmp_path, capsys) -> None:  # noqa: ANN001
    data = tmp_path / "header.csv"
    source = DEMO if command[0] in ("analyze", "score", "export-script", "report") else HS
    data.write_text(source.read_text(encoding="utf-8").splitlines()[0] + "\n",
                    encoding="utf-8")
    model = tmp_path / "m.lav"
    model.write_text(CFA, encoding="utf-8")
    args = [a.replace("{data}", str(data)).replace("{model}", str(model))
            .replace("{tmp}", str(tmp_path)) for a in command]
    _refused(args, "has a header", capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["header.csv", "m.lav"]


@pytest.mark.parametrize("command", [["sem", "{data}", "--model", CFA],
                                     ["reliability", "{data}", "--model", "{model}"],
                                     ["pls", "{data}", "--model", PLS]])
@pytest.mark.parametrize("kind", ["datetime", "timedelta", "text"])
def test_a_column_of_dates_as_an_item(command, kind, tmp_path, capsys) -> None:  # noqa: ANN001
    hs = pd.read_csv(HS)
    if kind == "datetime":
        hs["x1"] = pd.date_range("2020-01-01", periods=len(hs))
    elif kind == "timedelta":
        hs["x1"] = pd.to_timedelta(hs["x1"], unit="D")
    else:
        hs["x1"] = pd.date_range("2020-01-01", periods=len(hs)).strftime("%Y-%m-%d")
    data = tmp_path / ("dates.csv" if kind == "text" else "dates.parquet")
    hs.to_csv(data, index=False) if kind == "text" else hs.to_parquet(data)
    model = tmp_path / "m.lav"
    model.write_text(CFA, encoding="utf-8")
    args = [a.replace("{data}", str(data)).replace("{model}", str(model)) for a in command]
    err = _refused(args, "holds dates or times", capsys)
    assert "'x1'" in err and "not identified" not in err and "positive definite" not in err


def test_delete_speaks_to_the_study_lead(tmp_path, capsys) -> None:  # noqa: ANN001
    url = _store(tmp_path)
    _refused(["delete", "--study", "nope", "--token", "abc", "--db", url],
             "There is no study 'nope' in the store (studies: s)", capsys)
    err = _refused(["delete", "--study", "s", "--token", "abc", "--db", url],
                   "No invitation of study 's' has the token 'abc'", capsys)
    assert "Please check that you copied" not in err
    _refused(["delete", "--study", "s", "--token", " ", "--db", url], "--token is empty",
             capsys)
    assert _count(tmp_path, "deletions") == 0


def test_long_values_keep_the_advice(capsys) -> None:  # noqa: ANN001
    err = _refused(["codebook", "--lang", "x" * 100_000], "is not offered", capsys)
    assert err.rstrip().endswith("use one of en, de.") and len(err) < 300
    assert "'" + "x" * 59 + "\u2026'" in err
    from analysis.cli import MAX_MESSAGE, _short

    text = "Problem " + " ".join(["word"] * 5000) + " Do this."
    assert len(_short(text)) <= MAX_MESSAGE + 10 and _short(text).endswith("Do this.")


def test_python_warnings_become_the_commands_lines(tmp_path, capsys) -> None:  # noqa: ANN001
    hs = pd.read_csv(HS)
    small = tmp_path / "small.csv"
    hs.head(12).to_csv(small, index=False)
    main(["sem", str(small), "--model", CFA, "--bootstrap", "20", "--seed", "1",
          "--allow-nonconverged", "--json", str(tmp_path / "fit.json")])
    err = capsys.readouterr().err
    assert ".py:" not in err and "UserWarning" not in err, err
    # in the JSON's warnings and the convergence message, not again as a Python warning
    assert err.count("bootstrap draws failed") == 1 and "sem: warning:" not in err, err
    assert any("bootstrap draws failed" in w for w in
               json.loads((tmp_path / "fit.json").read_text())["warnings"])
    binary = tmp_path / "binary.csv"
    pd.DataFrame({"y1": [0, 1] * 50, "y2": [0, 1] * 50, "y3": [0, 0, 1, 1] * 25,
                  "y4": [1, 1, 0, 0] * 25}).to_csv(binary, index=False)
    main(["sem", str(binary), "--model", "f =~ y1 + y2 + y3 + y4", "--ordered", "all"])
    err = capsys.readouterr().err
    assert "alliance-survey sem: warning: Two empty cells in a 2x2 table" in err, err
    assert ".py:" not in err and "RuntimeWarning" not in err, err


def test_analyze_swallows_the_libraries_warnings(tmp_path) -> None:  # noqa: ANN001
    """statsmodels sets its warnings to "always" when it is imported, inside 'analyze''s
    silence: its rank-deficient design matrix reached stderr with a source path.  Run in a
    fresh process, where statsmodels is first imported by the analysis."""
    demo = pd.read_csv(DEMO).head(80)
    demo = demo.assign(**{c: 4 for c in demo.columns if c.startswith("trust_")})
    data = tmp_path / "flat.csv"
    demo.to_csv(data, index=False)
    done = subprocess.run([sys.executable, "-m", "analysis.cli", "analyze", str(data),
                           "--skip-measurement", "--bootstrap", "20", "--json",
                           str(tmp_path / "a.json")], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr.lower() and ".py:" not in done.stderr, done.stderr


# -- 6. a closed pipe ---------------------------------------------------------------------


@pytest.mark.parametrize("args", [["codebook"], ["sem", str(HS), "--model", CFA]])
def test_a_closed_pipe_ends_quietly(args) -> None:  # noqa: ANN001
    proc = subprocess.Popen([sys.executable, "-m", "analysis.cli", *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONWARNINGS": "default"})
    proc.stdout.close()  # the reader goes away before the first line, as '| head' may
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert err == "", err


def test_a_broken_pipe_elsewhere_is_an_error(monkeypatch, capfd) -> None:  # noqa: ANN001
    """A pipe of a worker process or an SMTP connection is not standard output."""
    import analysis.commands.codebook as codebook

    def broken(_args: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(codebook, "handler", broken)
    assert main(["codebook"]) == 2
    assert "alliance-survey codebook: error: Broken pipe." in capfd.readouterr().err


# -- found by this round's fuzz -----------------------------------------------------------


def test_control_characters_of_an_echoed_value_are_escaped(capfd) -> None:  # noqa: ANN001
    assert main(["codebook", "--lang", "en\x1b[2J\x07"]) == 2
    err = capfd.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "'en\\x1b[2J\\x07' is not offered" in err, err


@pytest.mark.parametrize(("actor", "expected"), [
    ("lead\x1b[31m", "--actor contains a control character (U+001B)"),
    ("x" * 300, "--actor has 300 characters; at most 200 are allowed"),
])
def test_respondent_actor_is_checked_before_it_is_logged(actor, expected, tmp_path,  # noqa: ANN001
                                                         capsys) -> None:
    from instruments.fieldwork.invitations import create_invitations
    from instruments.store import ResponseStore

    url = _store(tmp_path)
    store = ResponseStore(url)
    (inv,) = create_invitations(store, "s", 1)
    store.dispose()
    _refused(["respondent", "--study", "s", "--db", url, "--exclude", "--invitation",
              str(inv.invitation_id), "--reason", "duplicate", "--actor", actor], expected,
             capsys)
    assert _count(tmp_path, "analysis_exclusions") == 0


def test_mail_settings_longer_than_their_columns(tmp_path, capsys) -> None:  # noqa: ANN001
    url = _store(tmp_path)
    long = "x" * 1000
    base = ["mail", "--configure", "--study", "s", "--db", url, "--lead-name", "Lead",
            "--lead-email", "lead@example.org"]
    _refused([*base, "--smtp", "smtp://127.0.0.1:2525", "--sender", f"{long}@example.org",
              "--base-url", "https://survey.example.org", "--password-env", long],
             "--sender has 1,012 characters; at most 320 are allowed; --password-env has "
             "1,000 characters; at most 100", capsys)
    _refused([*base, "--smtp", f"smtp://{long}:25", "--sender", "lead@example.org",
              "--base-url", "https://survey.example.org"], "--smtp (host) has 1,000 characters",
             capsys)
    _refused([*base, "--smtp", "smtp://127.0.0.1:2525", "--sender", "lead@example.org",
              "--base-url", f"https://survey.example.org/{long}"],
             "argument --base-url: must be at most 500 characters", capsys)
    assert _count(tmp_path, "study_mail_settings") == 0


def test_more_options_refused_while_parsing_or_before_work(tmp_path, capsys) -> None:  # noqa: ANN001
    url = _store(tmp_path)
    _refused(["export", "--study", "s", "--db", url, "--format", "long", "--out",
              str(tmp_path / "log.parquet"), "--excel-safe"],
             "--excel-safe applies to CSV files; --format long --out", capsys)
    _refused(["pls", str(HS), "--model", PLS, "--cvpat", "--reps", "100000000"],
             "argument --reps: must be at most 1,000", capsys)
    _refused(["report", str(DEMO), "--out", str(tmp_path / "r.html"), "--title",
              "x" * 100_000], "--title has 100,000 characters; at most 300", capsys)
    _refused(["report", str(DEMO), "--out", str(tmp_path / "r.html"), "--title", "a\nb"],
             "--title contains a line break", capsys)
    for sizes in ("0,-5", ",,,", "100,100"):
        err = _refused(["prereg", "--study", "s", "--db", url, "--out",
                        str(tmp_path / "p.md"), "--power-n", sizes],
                       "argument --power-n:", capsys)
        assert "Power analysis" not in err and "ns=" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.sqlite"]
