"""With Streamlit's AppTest: leftovers of the twelfth walk's fixes.

- An opt-out link copied with characters that are never part of its code (a soft hyphen
  or zero-width space a word processor or mail program put in, the full stop or angle
  bracket around it, a space where it was broken across lines) was refused as not valid,
  as invitation links had been.  The opt-out page cleans its link as the survey does.
- Two study leads with the sender settings open at once: a save sent every field of the
  form as first drawn, so the second save put back what the other lead had changed, and
  dropped the sender's display name set on the command line.  The form now follows what
  was saved elsewhere in the fields this lead left alone.
"""

from __future__ import annotations

import pytest

from tests.ui.conftest import STUDY
from tests.ui.test_app import open_app, texts


@pytest.fixture
def optout_token(store, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: ANN001
    """The opt-out code of a contact imported from a list (as mailed in its link)."""
    from instruments.fieldwork.contacts import (
        SECRET_KEY_ENV,
        import_contacts,
        new_secret_key,
        open_secret,
    )
    from instruments.store.mailtables import Contact

    monkeypatch.setenv(SECRET_KEY_ENV, new_secret_key())
    import_contacts(store, STUDY, [{
        "email": "ada@firm.example", "name": "Ada", "firm": "Acme", "partner": "Beta Ltd",
        "alliance_id": "", "role": "", "language": "en"}])  # fmt: skip
    with store.session() as session:
        sealed = session.query(Contact).one().secret
    return open_secret(sealed).optout_token


@pytest.mark.parametrize("mangle", [
    lambda tok: tok[:20] + "\u00ad" + tok[20:],  # a soft hyphen from a word processor
    lambda tok: tok[:20] + "\u200b" + tok[20:],  # a zero-width space from a mail client
    lambda tok: tok + ".",  # the full stop of the sentence the link ended
    lambda tok: f"<{tok}>",  # the angle brackets around a link in a plain-text mail
    lambda tok: tok[:30] + " " + tok[30:],  # a link broken across two lines
], ids=["soft-hyphen", "zero-width-space", "full-stop", "angle-brackets", "line-break"])
def test_an_optout_link_with_copied_characters_opts_out(store, optout_token, mangle) -> None:  # noqa: ANN001
    from instruments.store.mailtables import MailOptout

    at = open_app(optout=mangle(optout_token))
    shown = texts(at)
    assert "You will receive no further e-mails about this survey." in shown, shown
    assert not at.error
    with store.session() as session:
        assert [e.email for e in session.query(MailOptout)] == ["ada@firm.example"]


def _field(at, label: str, kind: str = "text_input"):  # noqa: ANN001, ANN202
    """The form field labelled ``label`` (by label: the keys are the fix's own)."""
    return next(w for w in getattr(at, kind) if w.label == label)


def _lead():  # noqa: ANN202
    from tests.ui.test_walk11_app import _logged_in

    return _logged_in()


def _configured(store) -> None:  # noqa: ANN001
    from instruments.fieldwork.mail import configure_mail

    configure_mail(store, STUDY, smtp="smtp://127.0.0.1:2525", sender="survey@uni.example",
                   sender_name="Alliance Study", lead_name="Dr. Lehmann",
                   lead_email="lehmann@uni.example", base_url="https://survey.uni.example",
                   rate_per_minute=60)  # fmt: skip


def test_two_study_leads_saving_sender_settings_keep_each_others_changes(store) -> None:  # noqa: ANN001
    """Both leads have the sender settings open.  The first lowers the rate; meanwhile
    the second saves a new study lead's e-mail; then the first saves.  The new e-mail
    stays, and so does the display name set on the command line (every save from the app
    had emptied it); a save that changes nothing says so."""
    from instruments.fieldwork.mail import mail_settings
    from tests.ui.survey_bot import click, open_tab

    _configured(store)
    first, second = _lead(), _lead()
    open_tab(first, "Contacts & mail")
    open_tab(second, "Contacts & mail")
    assert _field(first, "Study lead's e-mail").value == "lehmann@uni.example"
    _field(first, "At most messages per minute", "number_input").set_value(20)
    _field(second, "Study lead's e-mail").input("studie@uni.example")
    click(second, "Save sender settings")
    assert mail_settings(store, STUDY).lead_email == "studie@uni.example"
    click(first, "Save sender settings")
    assert not first.exception, first.exception
    saved = mail_settings(store, STUDY)
    assert (saved.lead_email, saved.rate_per_minute) == ("studie@uni.example", 20)
    assert saved.sender_name == "Alliance Study"
    # the first lead's form shows the other lead's e-mail
    assert _field(first, "Study lead's e-mail").value == "studie@uni.example"
    # after another tab, the form shows the saved settings again
    open_tab(first, "Exports")
    open_tab(first, "Contacts & mail")
    assert _field(first, "At most messages per minute", "number_input").value == 20
    # a save that changes nothing says so, and keeps everything
    click(second, "Save sender settings")
    assert "Nothing was changed: the form shows the saved settings." in texts(second)
    assert mail_settings(store, STUDY) == saved


def test_a_field_both_leads_changed_keeps_what_the_last_save_typed(store) -> None:  # noqa: ANN001
    """The first lead types a new e-mail; the second saves another one; the first then
    saves.  The first lead's e-mail had been dropped in favour of the other lead's while
    the first lead was told "Sender settings saved.".  Since walk 15 the first save is
    not made but named (the other lead's value, saved meanwhile); the first lead's entry
    stays in the form, and a second press stores it knowingly."""
    from instruments.fieldwork.mail import mail_settings
    from tests.ui.survey_bot import click, open_tab

    _configured(store)
    first, second = _lead(), _lead()
    open_tab(first, "Contacts & mail")
    open_tab(second, "Contacts & mail")
    _field(first, "Study lead's e-mail").input("first@uni.example")
    _field(second, "Study lead's e-mail").input("second@uni.example")
    click(second, "Save sender settings")
    click(first, "Save sender settings")
    warning = " ".join(w.value for w in first.warning).replace("\\", "")
    assert "Another study lead saved" in warning and "second@uni.example" in warning
    assert mail_settings(store, STUDY).lead_email == "second@uni.example"
    assert _field(first, "Study lead's e-mail").value == "first@uni.example"
    click(first, "Save sender settings")
    assert "Sender settings saved." in texts(first)
    assert mail_settings(store, STUDY).lead_email == "first@uni.example"
    assert _field(first, "Study lead's e-mail").value == "first@uni.example"
