"""``alliance-survey mail`` and ``password`` end to end: the packaged questionnaire, a SQLite
file, a real SMTP server, respondents answering through their mailed links."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from analysis.cli import main
from instruments.fieldwork.auth import verify_password
from instruments.store import ResponseStore
from tests.fieldwork.conftest import SmtpSink
from tests.ui.survey_bot import plan_answers

BASE = "https://survey.example.org"
LINK = re.compile(r"https://survey\.example\.org/\?t=([A-Za-z0-9_-]+)")
OPTOUT = re.compile(r"https://survey\.example\.org/\?optout=([A-Za-z0-9_-]+)")


def write_contacts(path: Path, n_dyads: int) -> list[str]:
    emails = []
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["email", "name", "firm", "partner", "alliance_id", "role", "language"])
        for k in range(1, n_dyads + 1):
            lang = "de" if k % 2 else "en"
            for role, firm, partner in (("A", f"Nord {k} GmbH", f"Süd {k} AG"),
                                        ("B", f"Süd {k} AG", f"Nord {k} GmbH")):  # fmt: skip
                email = f"{role.lower()}{k}@alliance{k}.example"
                emails.append(email)
                writer.writerow([email, f"Person {role}{k}", firm, partner, f"d{k}", role, lang])
    return emails


def run(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_done_means(
    tmp_path: Path, smtp_server: SmtpSink, secret_key: str, capsys: pytest.CaptureFixture
) -> None:
    db = f"sqlite:///{tmp_path / 'study.sqlite'}"
    contacts = tmp_path / "contacts.csv"
    emails = write_contacts(contacts, 10)
    study = ["--study", "spring", "--db", db]

    code, out, err = run(["mail", "--contacts", str(contacts), *study], capsys)
    assert code == 0 and "20 contacts imported: 10 dyads, 0 single invitations." in out
    assert "Study-lead password" in err
    code, out, _ = run(["mail", "--configure", *study, "--smtp", "smtp://localhost:1",
                        "--sender", "survey@uni.example", "--lead-name", "Jana Lehmann",
                        "--lead-email", "lehmann@uni.example", "--base-url", BASE,
                        "--rate", "6000"], capsys)  # fmt: skip
    assert code == 0 and "smtp://localhost:1" in out

    code, out, err = run(["mail", "--send", *study, "--dry-run", "--smtp", smtp_server.url],
                         capsys)  # fmt: skip
    assert code == 0 and "Dry run: 20 invitations would be sent" in err
    assert smtp_server.messages == []
    code, out, err = run(["mail", "--send", *study, "--smtp", smtp_server.url], capsys)
    assert code == 0 and err.strip() == "20 invitations sent, 0 failed, 0 skipped (opted out)."
    assert sorted(smtp_server.recipients()) == sorted(emails)

    # Five respondents answer the packaged questionnaire through their mailed links.
    tokens = {rcpt[0]: LINK.search(m.get_content()).group(1) for _, rcpt, m in smtp_server.messages}
    completers = emails[:3] + emails[10:12]
    with ResponseStore(db) as store:
        for k, email in enumerate(completers):
            state = store.start(tokens[email])
            plan = plan_answers(store, seed=state.seed, rng_seed=k)
            for spec in store.pages:
                if spec.id not in plan:  # a page the survey logic does not show
                    continue
                result = store.submit_page(tokens[email], spec.id, plan[spec.id],
                                           submission_key=f"{spec.id}-{k}")  # fmt: skip
            assert result.completed

    smtp_server.messages.clear()
    code, out, err = run(["mail", "--remind", *study, "--after-days", "0", "--smtp",
                          smtp_server.url], capsys)  # fmt: skip
    assert code == 0 and err.strip() == "15 reminders sent, 0 failed, 0 skipped (opted out)."
    non_completers = sorted(set(emails) - set(completers))
    assert sorted(smtp_server.recipients()) == non_completers

    # An opted-out contact gets nothing more.
    leaver = non_completers[0]
    with ResponseStore(db) as store:
        from instruments.fieldwork.mail import opt_out

        opt_out(store, OPTOUT.search(smtp_server.to(leaver)[0].get_content()).group(1))
    smtp_server.messages.clear()
    code, out, err = run(["mail", "--remind", *study, "--after-days", "0", "--max-reminders", "2",
                          "--smtp", smtp_server.url], capsys)  # fmt: skip
    assert err.strip() == "14 reminders sent, 0 failed, 1 skipped (opted out)."
    assert leaver not in smtp_server.recipients() and len(smtp_server.messages) == 14

    code, out, _ = run(["mail", "--status", *study], capsys)
    rows = list(csv.DictReader(out.splitlines()))
    assert len(rows) == 20
    by_email = {r["email"]: r for r in rows}
    assert by_email[leaver]["opted_out"] == "True"
    assert sum(r["status"] == "completed" for r in rows) == 5


def test_cli_errors_exit_2(
    tmp_path: Path, secret_key: str, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"sqlite:///{tmp_path / 'study.sqlite'}"
    bad = tmp_path / "bad.csv"
    bad.write_text("email,name,firm,partner\nx,,F,\n", encoding="utf-8")
    code, out, err = run(["mail", "--contacts", str(bad), "--study", "s", "--db", db], capsys)
    assert code == 2 and "3 problems; nothing was stored" in err and "Traceback" not in err
    code, _, err = run(["mail", "--send", "--study", "s", "--db", db], capsys)
    assert code == 2 and "There is no study 's'" in err  # the bad list created nothing
    good = tmp_path / "good.csv"
    write_contacts(good, 1)
    assert run(["mail", "--contacts", str(good), "--study", "s", "--db", db], capsys)[0] == 0
    code, _, err = run(["mail", "--send", "--study", "s", "--db", db], capsys)
    assert code == 2 and "has no mail settings yet" in err
    code, _, err = run(["mail", "--configure", "--study", "s", "--db", db], capsys)
    assert code == 2 and "--configure needs --smtp, --sender" in err
    monkeypatch.delenv("ALLIANCE_SURVEY_SECRET_KEY")
    code, _, err = run(["mail", "--contacts", str(bad), "--study", "t", "--db", db], capsys)
    assert code == 2 and "ALLIANCE_SURVEY_SECRET_KEY is not set" in err
    code, out, _ = run(["mail", "--new-key"], capsys)
    assert code == 0 and len(out.strip()) == 44


def test_password_reset(tmp_path: Path, secret_key: str, capsys: pytest.CaptureFixture,
                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import io

    db = f"sqlite:///{tmp_path / 'study.sqlite'}"
    contacts = tmp_path / "c.csv"
    write_contacts(contacts, 1)
    run(["mail", "--contacts", str(contacts), "--study", "s", "--db", db], capsys)
    code, out, _ = run(["password", "--study", "s", "--db", db], capsys)
    assert code == 0
    new = out.strip().rsplit(": ", 1)[1]
    with ResponseStore(db) as store:
        assert verify_password(store, "s", new)
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    code, out, _ = run(["password", "--study", "s", "--db", db, "--stdin"], capsys)
    assert code == 0 and "correct horse" not in out
    with ResponseStore(db) as store:
        assert verify_password(store, "s", "correct horse battery")
        assert not verify_password(store, "s", new)
    code, _, err = run(["password", "--study", "nope", "--db", db], capsys)
    assert code == 2 and "There is no study 'nope'" in err
