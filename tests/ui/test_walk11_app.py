"""With Streamlit's AppTest: defects found on the eleventh walk.

- The Status table of the study lead's Fieldwork tab showed each status's share as a
  proportion ("0.64"); the other tables with shares and rates (per wave, per page, the
  attention checks) showed raw proportions with many digits.  Now they read "64 %".
- The message for a free text that is too long counted an emoji with a skin tone, a flag
  or an accented letter written with a combining accent as two or more characters.
- The page of a visit without a link, and the page of a link with two invitation codes,
  had no first-level heading (a notice's title at level 2 was the first).
- With sender settings saved (the invitation e-mail names the study lead and their
  address) and no contact in the privacy settings, the consent page named no one to
  write to for questions or to withdraw.
"""

from __future__ import annotations

import json

import pytest

from instruments.ui.fields import FieldView, length_problem
from instruments.ui.texts import t
from tests.ui.conftest import PASSWORD, STUDY
from tests.ui.survey_bot import click, open_tab
from tests.ui.test_app import open_app


def _logged_in(study: str = STUDY):  # noqa: ANN202
    at = open_app(admin="1", study=study)
    at.text_input(key="admin.login_password").input(PASSWORD)
    click(at, "Log in")
    assert not at.exception, at.exception
    return at


def _config(frame) -> dict:  # noqa: ANN001
    """The column settings Streamlit sends to the browser with one table."""
    return json.loads(frame.proto.columns or "{}")


def test_shares_in_the_study_leads_tables_read_as_percentages(store, invite) -> None:  # noqa: ANN001
    """3 invitations, 2 withdrawn: the Status table's share of "withdrawn" is 67 (shown
    "67 %"), not 0.67; the table per wave too."""
    import uuid

    from instruments.store.rights import withdraw

    tokens = [invite() for _ in range(3)]
    for token in tokens[:2]:
        store.start(token)
        store.submit_page(token, "consent", {"consent": 1}, submission_key=uuid.uuid4().hex)
        withdraw(store, token)
    at = open_tab(_logged_in(), "Fieldwork")
    shown = [f for f in at.dataframe if "share" in f.value.columns]
    assert len(shown) == 2, [list(f.value.columns) for f in at.dataframe]
    for frame in shown:
        table = frame.value
        share = table.loc[table["n"] == 2, "share"]
        assert share.round(6).tolist() == [round(200 / 3, 6)], table
        assert _config(frame)["share"]["type_config"]["format"] == "%.0f %%"


@pytest.mark.parametrize(
    ("text", "n"),
    [("👍🏽", 1), ("🇩🇪🇫🇷", 2), ("👩\u200d💻!", 2), ("Cafe\u0301", 4), ("1\ufe0f\u20e3", 1),
     ("a\r\nb", 3), ("Straße", 6)],
)
def test_characters_are_counted_as_a_person_counts_them(text: str, n: int) -> None:
    from instruments.ui.fields import count_characters

    assert count_characters(text) == n


def _free_text(limit: int) -> FieldView:
    return FieldView(id="comment", kind="text", text="Comment", required=False,
                     max_length=limit)


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_length_message_counts_an_emoji_with_a_skin_tone_once(lang: str) -> None:
    """11 thumbs with a skin tone (22 code points) against a limit of 10: "11 characters",
    not 22.  6 of them (12 code points) fit as a person counts but not as the store does:
    the message says to shorten by 2, not "6 characters; at most 10 fit"."""
    view = _free_text(10)
    assert length_problem(view, "👍🏽" * 11, lang) == t("too_long", lang, length=11, limit=10)
    message = length_problem(view, "👍🏽" * 6, lang)
    assert message == t("too_long_stored", lang, n=2)
    assert "6" not in message


def test_a_visit_without_a_link_starts_with_the_surveys_title(store) -> None:  # noqa: ANN001
    """No ``?t=``: the survey's title (level 1), then "Welcome" and "Willkommen"."""
    at = open_app()
    assert [e.value for e in at.title] == [
        f"{store.instrument.title['en']} · {store.instrument.title['de']}"]
    assert [e.value for e in at.header] == [t("no_token_title", "en")]
    assert [e.value for e in at.subheader] == [t("no_token_title", "de")]


def test_a_link_with_two_invitations_starts_with_the_surveys_title(store, invite) -> None:  # noqa: ANN001
    from streamlit.testing.v1 import AppTest

    from tests.ui.conftest import APP
    from tests.ui.test_app import TIMEOUT

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["t"] = [invite(), invite()]
    at.run()
    assert not at.exception, at.exception
    assert len(at.title) == 1 and store.instrument.title["de"] in at.title[0].value
    assert [e.value for e in at.header] == [t("link_problem_title", "en")]
    assert t("two_tokens", "de") in [e.value for e in at.error]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_consent_page_names_the_study_lead_the_invitation_mail_names(
    store, invite, lang,  # noqa: ANN001
) -> None:
    """The sender settings name Dr. Lehmann <lehmann@uni.example> and the invitation mail
    says to write to them; the privacy settings have no contact.  The consent page said
    the contact was "not stated by the study lead yet", and asked the respondent to write
    to "the study lead named in your invitation" to withdraw.  Now it names the lead."""
    from instruments.fieldwork.mail import configure_mail
    from tests.ui.test_app import texts

    configure_mail(store, STUDY, smtp="smtp://127.0.0.1:25", sender="survey@uni.example",
                   lead_name="Dr. Lehmann", lead_email="lehmann@uni.example",
                   base_url="https://survey.example")  # fmt: skip
    at = open_app(invite(language=lang))
    shown = texts(at).replace("\\", "")
    assert "Dr. Lehmann <lehmann@uni.example>" in shown
    assert t("privacy_unset", lang) in shown  # the other parts are still not stated
    contact_line = next(line for line in shown.splitlines()
                        if line.startswith(t("privacy_notice", lang, controller="", contact="",
                                             purpose="", legal_basis="", retention="")
                                           .split("\n\n")[1].split(":")[0]))  # fmt: skip
    assert "lehmann@uni.example" in contact_line, contact_line
