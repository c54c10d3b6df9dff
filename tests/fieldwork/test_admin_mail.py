"""The study lead's mail and respondent pages and the opt-out link, in Streamlit's AppTest,
against the packaged questionnaire, a SQLite file and a real SMTP server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from instruments.fieldwork.auth import set_password
from instruments.fieldwork.contacts import import_contacts
from instruments.fieldwork.invitations import create_study
from instruments.fieldwork.mail import mail_log
from instruments.store import DB_ENV_VAR, ResponseStore
from tests.fieldwork.conftest import SmtpSink
from tests.ui.conftest import APP
from tests.ui.survey_bot import click, open_tab

PASSWORD = "a long study-lead password"
OPTOUT = re.compile(r"\?optout=([A-Za-z0-9_-]+)")
CONTACTS = (
    b"email,name,firm,partner,alliance_id,role,language\n"
    b"ada@alpha.example,Ada,Alpha GmbH,Beta AG,x1,A,de\n"
    b"bo@beta.example,Bo,Beta AG,Alpha GmbH,x1,B,en\n"
)


@pytest.fixture
def app_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret_key: str
              ) -> Iterator[ResponseStore]:  # fmt: skip
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    monkeypatch.setenv(DB_ENV_VAR, url)
    with ResponseStore(url) as store:
        create_study(store, "field")
        set_password(store, "field", PASSWORD)
        import_contacts(store, "field", CONTACTS)
        yield store


def open_app(**params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def shown(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in (*at.title, *at.error, *at.success, *at.warning,
                                            *at.markdown))  # fmt: skip


def test_mail_tab_sends_and_optout_link_works(app_store: ResponseStore, smtp_server: SmtpSink
                                              ) -> None:  # fmt: skip
    at = open_app(admin="1")  # the only study is preselected
    assert at.text_input(key="admin.login_study").value == "field"
    at.text_input(key="admin.login_password").input(PASSWORD)
    click(at, "Log in")
    assert not at.exception
    open_tab(at, "Contacts & mail")
    form = {w.label: w for w in at.text_input}
    form["SMTP server"].input(smtp_server.url)
    form["From address"].input("survey@uni.example")
    form["Study lead"].input("Jana Lehmann")
    form["Study lead's e-mail"].input("lehmann@uni.example")
    form["Survey address"].input("https://survey.example.org")
    click(at, "Save sender settings")
    assert "Sender settings saved." in shown(at)
    at.button(key="admin.send").click().run()
    assert not at.exception
    assert "2 invitations sent, 0 failed, 0 skipped (opted out)." in shown(at)
    assert sorted(smtp_server.recipients()) == ["ada@alpha.example", "bo@beta.example"]
    # The respondents tab lists both invitations with their status and mail count.
    open_tab(at, "Respondents")
    frames = [f.value for f in at.dataframe]
    people = next(f for f in frames if "mails_sent" in f.columns)
    assert people["status"].tolist() == ["Invited, not opened"] * 2  # worded, not codes
    assert people["mails_sent"].tolist() == [1, 1] and people["page"].tolist() == ["–", "–"]

    # Ada opts out through the link in her (German) e-mail.
    ada = smtp_server.to("ada@alpha.example")[0]
    optout = open_app(optout=OPTOUT.search(ada.get_content()).group(1))
    assert "Keine weiteren E-Mails" in shown(optout)
    assert "Sie erhalten keine weiteren E-Mails" in shown(optout)
    again = open_app(optout=OPTOUT.search(ada.get_content()).group(1))
    assert "bereits" in shown(again)
    bad = open_app(optout="forged")
    assert "opt-out link is not valid" in shown(bad)

    open_tab(at, "Contacts & mail")
    at.number_input(key="admin.after_days").set_value(0)
    at.button(key="admin.remind").click().run()
    assert "1 reminder sent, 0 failed, 1 skipped (opted out)." in shown(at)
    log = mail_log(app_store, "field")
    assert log[log["kind"] == "reminder"]["email"].tolist() == ["ada@alpha.example",
                                                                 "bo@beta.example"]
    assert log[log["kind"] == "reminder"]["status"].tolist() == ["opted_out", "sent"]


def test_respondent_actions_in_the_app(app_store: ResponseStore, smtp_server: SmtpSink) -> None:
    """Resend, remind now, exclude (a reason required) and include again from the cockpit."""
    from instruments.fieldwork.cockpit import respondent_table
    from instruments.fieldwork.mail import configure_mail, send_invitations

    configure_mail(app_store, "field", smtp=smtp_server.url, sender="survey@uni.example",
                   lead_name="Jana Lehmann", lead_email="lehmann@uni.example",
                   base_url="https://survey.example.org", rate_per_minute=10_000)  # fmt: skip
    assert send_invitations(app_store, "field").sent == 2
    bo = int(respondent_table(app_store, "field").set_index("email").loc["bo@beta.example",
                                                                          "invitation_id"])
    smtp_server.messages.clear()
    at = open_app(admin="1")
    at.text_input(key="admin.login_password").input(PASSWORD)
    click(at, "Log in")
    open_tab(at, "Respondents")
    at.selectbox(key="admin.action_invitation").select(bo)  # sent with the form
    click(at, "Resend the invitation e-mail")
    assert f"Invitation #{bo}: 1 invitation sent" in shown(at)
    click(at, "Send a reminder now")
    assert f"Invitation #{bo}: 1 reminder sent" in shown(at)
    assert smtp_server.recipients() == ["bo@beta.example"] * 2

    click(at, "Exclude from analysis")
    assert "Give a reason" in shown(at)
    at.text_input(key="admin.action_note").input("Answered for the wrong alliance")
    click(at, "Exclude from analysis")
    assert f"Invitation #{bo} is excluded from the analysis" in shown(at)
    table = respondent_table(app_store, "field").set_index("invitation_id")
    assert table.loc[bo, "exclusion_reason"] == "Answered for the wrong alliance"
    frames = [f.value for f in at.dataframe]
    audit = next(f for f in frames if "restore_reason" in f.columns)
    assert audit["reason"].tolist() == ["Answered for the wrong alliance"]
    people = next(f for f in frames if "mails_sent" in f.columns).set_index("invitation_id")
    assert not people.loc[bo, "in_analysis"]

    at.text_input(key="admin.action_note").input("Checked with the respondent")
    click(at, "Include in analysis again")
    assert f"Invitation #{bo} is included in the analysis again." in shown(at)
    assert respondent_table(app_store, "field").set_index("invitation_id").loc[bo, "in_analysis"]

    # a request to see one's data: the copy to download, the contact entry in it
    click(at, "Copy of the respondent's data")
    downloads = [d for d in at.get("download_button")
                 if f"invitation #{bo}'s data" in d.proto.label]
    assert len(downloads) == 1
    from instruments.store.access import respondent_copy

    copy = respondent_copy(app_store, study="field", invitation_id=bo)
    assert copy["contact"]["email"] == "bo@beta.example"
    assert [m["kind"] for m in copy["messages"]] == ["invitation", "invitation", "reminder"]


def test_correcting_an_answer_in_the_app(app_store: ResponseStore) -> None:
    """The right to rectification from the cockpit: a wrong code is refused with the
    survey's message and nothing stored; a valid one changes the data, with the reason in
    the audit log shown below."""
    from instruments.fieldwork.actions import correction_log
    from instruments.fieldwork.invitations import create_invitations
    from tests.ui.survey_bot import plan_answers

    inv = create_invitations(app_store, "field", 1, alliance_id="x9")[0]
    plan = plan_answers(app_store, seed=app_store.start(inv.token).seed, rng_seed=6)
    for spec in app_store.pages:
        if spec.id in plan:
            app_store.submit_page(inv.token, spec.id, plan[spec.id], submission_key=spec.id)
    answers = app_store.state(inv.token).answers
    item, spec = next((f.id, f) for s in app_store.pages for f in s.fields
                      if f.kind == "coded" and f.id in answers and f.block)
    new = next(c for c in spec.codes if c != answers[item])
    at = open_app(admin="1")
    at.text_input(key="admin.login_password").input(PASSWORD)
    click(at, "Log in")
    open_tab(at, "Respondents")
    at.selectbox(key="admin.correct_invitation").select(inv.invitation_id)
    at.selectbox(key="admin.correct_item").select(item)
    at.text_input(key="admin.correct_value").input(str(max(spec.codes) + 3))
    at.text_input(key="admin.correct_reason").input("Phone call of 6 Dec")
    click(at, "Correct the answer")
    assert "not one of the allowed codes" in shown(at)
    assert correction_log(app_store, "field").empty
    at.text_input(key="admin.correct_value").input(str(new))
    click(at, "Correct the answer")
    assert f"{item} corrected from {answers[item]!r} to {new!r}" in shown(at)
    assert app_store.wide("field").set_index("alliance_id").loc["x9", item] == new
    frames = [f.value for f in at.dataframe]
    audit = next(f for f in frames if "corrected_at" in f.columns)
    assert audit["reason"].tolist() == ["Phone call of 6 Dec"]
