"""Fieldwork from a fresh store to the exports, with the respondents in a real Chromium.

The study lead's part runs through the command line (contact list, sender settings,
invitations, reminders, exports); the SMTP server is a real aiosmtpd on a local port;
the respondents open the links **from the messages it received** in headless Chromium
against ``streamlit run streamlit_app.py``: five answer the whole survey, one stops
after the consent page, one only opens the link, and one opts out of further mail
through the link in a reminder.  The cockpit's per-respondent table, ``mail --status``,
and the CSV and Stata exports must then agree on every status.

Several complete walks through the survey take minutes: marked slow (``-m slow``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from instruments.fieldwork.cockpit import respondent_table, status_summary
from instruments.store import ResponseStore
from tests.fieldwork.conftest import SmtpSink
from tests.fieldwork.test_mail_cli import run, write_contacts
from tests.ui.test_browser import (  # noqa: F401 - new_driver is a fixture
    _browser_paths,
    new_driver,
    running_app,
    shows_text,
    wait_for_text,
    walk_survey,
)

pytestmark = pytest.mark.slow


def mailed_links(sink: SmtpSink, base: str, kind: str) -> dict[str, str]:
    """Recipient -> the link of ``kind`` (``t`` survey, ``optout``) in each message."""
    pattern = re.compile(re.escape(base) + rf"/\?{kind}=[A-Za-z0-9_-]+")
    links = {}
    for _, rcpt, msg in sink.messages:
        found = pattern.findall(msg.get_content())
        assert len(set(found)) == 1, (rcpt, found)
        links[rcpt[0]] = found[0]
    return links


def test_fieldwork_done_means_in_chromium(
    tmp_path: Path, smtp_server: SmtpSink, secret_key: str, new_driver,  # noqa: ANN001, F811
    capsys: pytest.CaptureFixture,
) -> None:
    _browser_paths()
    db = f"sqlite:///{tmp_path / 'study.sqlite'}"
    contacts = tmp_path / "contacts.csv"
    emails = write_contacts(contacts, 10)  # 20 contacts, 10 dyads; odd alliances in German
    study = ["--study", "autumn", "--db", db]
    code, out, _ = run(["mail", "--contacts", str(contacts), *study], capsys)
    assert code == 0 and "20 contacts imported: 10 dyads, 0 single invitations." in out

    with running_app(db, tmp_path) as base, ResponseStore(db) as store:
        code, _, err = run(["mail", "--configure", *study, "--smtp", smtp_server.url,
                            "--sender", "survey@uni.example", "--lead-name", "Jana Lehmann",
                            "--lead-email", "lehmann@uni.example", "--base-url", base,
                            "--rate", "6000"], capsys)  # fmt: skip
        assert code == 0, err
        code, _, err = run(["mail", "--send", *study], capsys)
        assert code == 0 and err.strip() == "20 invitations sent, 0 failed, 0 skipped (opted out)."
        assert sorted(smtp_server.recipients()) == sorted(emails)
        links = mailed_links(smtp_server, base, "t")

        # Respondents of the English-speaking alliances click through their mailed links.
        english = [e for e in emails if int(re.search(r"alliance(\d+)", e).group(1)) % 2 == 0]
        completers, stopper, opener = english[:5], english[5], english[6]
        for k, email in enumerate(completers):
            walk_survey(new_driver(), store, links[email], rng_seed=k)
        walk_survey(new_driver(), store, links[stopper], rng_seed=9, stop_after=1)
        driver = new_driver()
        driver.get(links[opener])
        wait_for_text(driver, "Page 1 of")

        cockpit = respondent_table(store, "autumn").set_index("email")
        assert sorted(cockpit.index[cockpit["status"] == "completed"]) == sorted(completers)
        assert cockpit.loc[stopper, "status"] == "consented"
        assert cockpit.loc[opener, "status"] == "opened"
        assert status_summary(store, "autumn").set_index("status")["n"].to_dict() == {
            "invited": 13, "opened": 1, "consented": 1, "screened_out": 0,
            "declined_or_withdrawn": 0, "completed": 5, "expired": 0,
        }  # fmt: skip

        # The reminder reaches exactly the 15 who have not completed.
        non_completers = sorted(set(emails) - set(completers))
        smtp_server.messages.clear()
        code, _, err = run(["mail", "--remind", *study, "--after-days", "0"], capsys)
        assert code == 0 and err.strip() == "15 reminders sent, 0 failed, 0 skipped (opted out)."
        assert sorted(smtp_server.recipients()) == non_completers

        # One of them opts out through the link in the reminder, in the browser ...
        leaver = english[7]
        driver.get(mailed_links(smtp_server, base, "optout")[leaver])
        wait_for_text(driver, "You will receive no further e-mails about this survey.")
        # ... and gets nothing from the next reminder run.
        smtp_server.messages.clear()
        code, _, err = run(["mail", "--remind", *study, "--after-days", "0", "--max-reminders",
                            "2"], capsys)  # fmt: skip
        assert code == 0 and err.strip() == "14 reminders sent, 0 failed, 1 skipped (opted out)."
        assert sorted(smtp_server.recipients()) == sorted(set(non_completers) - {leaver})
        cockpit = respondent_table(store, "autumn")

    # The cockpit, the contacts' mail state and the CSV and Stata exports: one status each.
    import pyreadstat

    assert run(["export", *study, "--format", "csv", "--out", str(tmp_path / "w.csv")],
               capsys)[0] == 0  # fmt: skip
    assert run(["export", *study, "--format", "dta", "--out", str(tmp_path / "w.dta")],
               capsys)[0] == 0  # fmt: skip
    csv_data = pd.read_csv(tmp_path / "w.csv")
    dta_data, _ = pyreadstat.read_dta(str(tmp_path / "w.dta"))
    started = cockpit.dropna(subset=["respondent_id"])
    expected = dict(zip(started["respondent_id"].astype(int), started["status"], strict=True))
    assert len(expected) == 7
    for exported in (csv_data, dta_data):
        got = dict(zip(exported["respondent_id"].astype(int), exported["status"], strict=True))
        assert got == expected
    code, out, _ = run(["mail", "--status", *study], capsys)
    mail_state = pd.read_csv(pd.io.common.StringIO(out)).set_index("email")
    by_email = cockpit.set_index("email")
    assert mail_state["status"].to_dict() == by_email["status"].to_dict()
    assert mail_state.loc[leaver, "opted_out"] and by_email.loc[leaver, "opted_out"]
    assert by_email.loc[completers, "mails_sent"].tolist() == [1] * 5
    assert by_email.loc[stopper, "mails_sent"] == 3 and by_email.loc[leaver, "mails_sent"] == 2
