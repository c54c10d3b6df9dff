"""What the consent page and the privacy notice promise, held against the store, on a
SQLite file and on PostgreSQL.

The consent page promises that a withdrawal deletes all answers; the page after a
withdrawal says that the address, name and firm leave the contact list and that only a
note of the deletion and the invitation are kept.  These tests withdraw one firm of a
dyad end to end (in the app's store call and through ``alliance-survey delete``) and look
for the respondent in every table, every export format and the SQLite file's bytes; the
partner firm's data must be untouched.
"""

from __future__ import annotations

import random
import re
import uuid
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select, text

from analysis.cli import main
from instruments.fieldwork.actions import exclude_from_analysis
from instruments.fieldwork.contacts import contacts_table, import_contacts, open_secret
from instruments.fieldwork.exports import EXPORT_FORMATS, export
from instruments.fieldwork.invitations import create_dyad, create_invitations, create_study
from instruments.fieldwork.mail import configure_mail, mail_log, opt_out, send_invitations
from instruments.instrument.spss import read_sav
from instruments.store import ResponseStore
from instruments.store import cache as analysis_cache
from instruments.store.access import respondent_copy
from instruments.store.mailtables import Contact, MailOptout
from instruments.store.rights import deletion_log, erase_invitation
from instruments.store.tokens import InvitationClosedError
from tests.fieldwork.conftest import SmtpSink, secret_key, smtp_server  # noqa: F401
from tests.store.fake_instrument import full_response
from tests.store.test_exports import bot_answers

GONE = "gone.manager@alpha.example"
KEEP = "keep.manager@beta.example"
#: Free-text answers of the two firms of the dyad (only the partner's may stay).
SECRET_GONE = "Zebra-8841 withdrawn firm's comment"
SECRET_KEEP = "Okapi-3317 partner firm's comment"


def _contacts() -> list[dict[str, str]]:
    return [
        {"email": GONE, "name": "Gone Manager", "firm": "Alpha GmbH", "partner": "Beta AG",
         "alliance_id": "dyad-1", "role": "A", "language": "en"},
        {"email": KEEP, "name": "Keep Manager", "firm": "Beta AG", "partner": "Alpha GmbH",
         "alliance_id": "dyad-1", "role": "B", "language": "de"},
    ]  # fmt: skip


def _cli(*args: str) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue() + err.getvalue()


def _sqlite_bytes(db_url: str) -> bytes:
    """Every byte of a SQLite store's files (database, write-ahead log, shared memory)."""
    path = Path(db_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def test_withdrawal_leaves_no_address_or_note_about_the_respondent(
    store: ResponseStore, db_url: str, smtp_server: SmtpSink, secret_key: str,  # noqa: F811
) -> None:
    """After a withdrawal by ``alliance-survey delete``, the respondent's address had
    stayed readable in the opt-out list and in the mail server's reply kept by the send
    log ("550 5.1.1 <address>: ..."), and the study lead's exclusion note about the
    response (which quoted the respondent) stayed too, as did an address in the study
    lead's note for the audit log, although the page after a
    withdrawal says only a note of the deletion and the invitation are kept.  The opt-out
    stays in force as a salted hash: a later contact list that names the address again
    does not mail it.  The partner firm's entry, answers, mail and exclusion stay."""
    create_study(store, "w")
    configure_mail(store, "w", smtp=smtp_server.url, sender="survey@uni.example",
                   lead_name="Dr. Jana Lehmann", lead_email="lehmann@uni.example",
                   base_url="https://survey.example.org", rate_per_minute=10_000)  # fmt: skip
    import_contacts(store, "w", _contacts())
    smtp_server.refuse.add(GONE)  # the first message bounces: the reply quotes the address
    assert send_invitations(store, "w").sent == 1
    smtp_server.refuse.clear()
    with store.session() as session:
        secrets = {c.email: (c.invitation_id, open_secret(c.secret))
                   for c in session.scalars(select(Contact))}  # fmt: skip
    (gone_inv, gone), (keep_inv, keep) = secrets[GONE], secrets[KEEP]
    for secret, seed, comment in ((gone, 1, SECRET_GONE), (keep, 2, SECRET_KEEP)):
        for page, values in full_response(seed).items():
            values = {"comment": comment} if page == "end" else values
            store.submit_page(secret.token, page, values, submission_key=page)
    assert opt_out(store, gone.optout_token).already is False
    exclude_from_analysis(store, "w", gone_inv, f"phoned from {GONE}: {SECRET_GONE}")
    exclude_from_analysis(store, "w", keep_inv, "Partner note 5521")
    assert GONE in mail_log(store, "w")["smtp_reply"].fillna("").str.cat()

    code, said = _cli("delete", "--db", db_url, "--study", "w", "--token", gone.token,
                      "--note", f"e-mail of 3 May from {GONE}")  # fmt: skip
    assert code == 0, said

    with store.engine.connect() as conn:
        dump = {table: repr(conn.execute(text(f"SELECT * FROM {table}")).all())
                for table in ("contacts", "mail_optouts", "mail_log", "analysis_exclusions",
                              "answer_corrections", "answers", "page_submissions",
                              "respondents", "invitations", "deletions")}  # fmt: skip
    leaks = [(table, word) for table, rows in dump.items()
             for word in (GONE, "Gone Manager", "Zebra-8841", "phoned from") if word in rows]
    assert leaks == []
    assert "e-mail of 3 May from address erased" in dump["deletions"]
    with store.session() as session:
        entries = session.scalars(select(MailOptout.email)).all()
    assert len(entries) == 1 and entries[0].startswith("sha256:"), entries
    # the partner firm's data are all there
    for table, kept in (("contacts", KEEP), ("contacts", "Keep Manager"),
                        ("answers", "Okapi-3317"), ("analysis_exclusions", "Partner note 5521"),
                        ("mail_log", "250 ")):  # fmt: skip
        assert kept in dump[table], (table, kept)
    assert store.state(keep.token).status == "completed"
    assert len(store.state(keep.token).answers) >= 8
    if db_url.startswith("sqlite"):
        raw = _sqlite_bytes(db_url)
        for gone_word in (GONE.encode(), b"Zebra-8841", b"Gone Manager"):
            assert gone_word not in raw, gone_word
        assert b"Okapi-3317" in raw and KEEP.encode() in raw

    # the opt-out still holds when a new contact list names the address again
    again = dict(_contacts()[0], alliance_id="dyad-2", firm="Alpha GmbH (new unit)")
    import_contacts(store, "w", [again])
    smtp_server.messages.clear()
    run = send_invitations(store, "w")
    assert (run.sent, run.count("opted_out")) == (0, 1)
    assert smtp_server.messages == []
    table = contacts_table(store, "w")
    assert table.loc[table["email"] == GONE, "opted_out"].tolist() == [True]
    assert table.loc[table["email"] == KEEP, "opted_out"].tolist() == [False]


def _answer_all(store: ResponseStore, token: str, seed: int, comment: str) -> None:
    rng = random.Random(seed)
    given: dict[str, object] = {}
    for page in store.pages:
        answers = bot_answers(page, rng, given)
        given.update(answers)
        if page.id == "screening":
            answers["informant_knowledge"] = 7
        if page.id == "comment":
            answers["comment"] = comment
        store.submit_page(token, page.id, answers, submission_key=uuid.uuid4().hex)


def _read(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "sav":
        return read_sav(path)[0]
    if fmt == "parquet":
        return pd.read_parquet(path)
    if fmt == "dta":
        return pd.read_stata(path, convert_categoricals=False)
    return pd.read_csv(path)


def test_a_withdrawn_firm_of_a_dyad_is_in_no_export_copy_or_cache(
    db_url: str, instrument, tmp_path: Path,  # noqa: ANN001
) -> None:
    """Every export format, the respondent's own copy, the cached analyses and the SQLite
    file lose the withdrawn firm's answers; the partner firm's row is unchanged."""
    store = ResponseStore(db_url, instrument=instrument)
    try:
        create_study(store, "dyads")
        a, b = create_dyad(store, "dyads", firm_a="Alpha GmbH", firm_b="Beta AG")
        _answer_all(store, a.token, 11, SECRET_GONE)
        _answer_all(store, b.token, 12, SECRET_KEEP)
        gone_id, keep_id = store.state(a.token).respondent_id, store.state(b.token).respondent_id
        before = store.wide("dyads").set_index("respondent_id").loc[keep_id]
        analysis_cache.put(store, "dyads", "k" * 64, report_html=f"<p>{SECRET_GONE}</p>",
                           analysis={"n": 2}, data_sha256="0" * 64, settings={},
                           seconds=1.0)  # fmt: skip

        erased = erase_invitation(store, "dyads", a.invitation_id, channel="admin",
                                  actor="letter of 4 May")  # fmt: skip
        assert erased.n_answers > 50

        for fmt in EXPORT_FORMATS:
            ext = {"long": "csv", "codebook": "csv"}.get(fmt, fmt)
            path = export(store, "dyads", fmt, tmp_path / f"{fmt}.{ext}")
            assert b"Zebra-8841" not in path.read_bytes(), fmt
            if fmt == "codebook":
                continue
            data = _read(path, fmt)
            assert gone_id not in set(data["respondent_id"]), fmt
            assert keep_id in set(data["respondent_id"]), fmt
        after = store.wide("dyads").set_index("respondent_id").loc[keep_id]
        pd.testing.assert_series_equal(after, before)
        assert analysis_cache.get(store, "k" * 64) is None
        copy = respondent_copy(store, a.token)
        assert (copy["answers"], copy["pages"]) == ([], [])
        assert copy["about"]["status"] == "withdrawn"
        assert len(respondent_copy(store, b.token)["answers"]) > 50
        if db_url.startswith("sqlite"):
            raw = _sqlite_bytes(db_url)
            assert b"Zebra-8841" not in raw
            assert b"Okapi-3317" in raw
    finally:
        store.dispose()


def test_reply_addresses_are_cut_from_the_send_log_only() -> None:
    """The pattern that cuts addresses from a server's reply leaves the reply's words."""
    from instruments.store.rights import _REPLY_ADDRESS, ADDRESS_ERASED

    reply = f"550 5.1.1 <{GONE}>: Recipient address rejected; also {GONE.upper()}."
    cut = _REPLY_ADDRESS.sub(ADDRESS_ERASED, reply)
    assert cut == (f"550 5.1.1 <{ADDRESS_ERASED}>: Recipient address rejected; also "
                   f"{ADDRESS_ERASED}.")  # fmt: skip
    assert re.search(r"@", cut) is None


def test_the_retention_period_can_be_kept(store: ResponseStore, db_url: str) -> None:
    """The privacy notice states how long answers are kept, but the store could erase
    one response at a time only (or the preview ones): at the end of the retention period
    the study lead had no way but to drop the database.  ``delete --all-responses``
    erases every response of the study (confirmed by the study's name) and leaves the
    other study alone."""
    create_study(store, "ends")
    create_study(store, "stays")
    done, opened, unopened = (i.token for i in create_invitations(store, "ends", 3))
    other = create_invitations(store, "stays", 1)[0].token
    for token, seed in ((done, 3), (other, 4)):
        for page, values in full_response(seed).items():
            values = {"comment": f"Tapir-{seed}06 kept until the end"} if page == "end" \
                else values
            store.submit_page(token, page, values, submission_key=page)
    store.submit_page(opened, "consent", {"consent": True}, submission_key="c")

    code, said = _cli("delete", "--db", db_url, "--study", "ends", "--all-responses")
    assert code == 2 and "--confirm" in said and "Traceback" not in said
    assert store.state(done).status == "completed"  # nothing erased without --confirm
    code, said = _cli("delete", "--db", db_url, "--study", "ends", "--all-responses",
                      "--confirm", "ends", "--note", "retention ended 31 Dec")  # fmt: skip
    assert code == 0, said
    assert "3 invitation(s) erased" in said
    assert len(store.wide("ends", include_screened_out=True)) == 0
    assert len(store.answer_log("ends")) == 0
    for token in (done, opened, unopened):
        with pytest.raises(InvitationClosedError):
            store.start(token)
    log = deletion_log(store, "ends")
    assert log["reason"].tolist() == ["retention"] * 3
    assert log["n_answers"].tolist()[:2] == [len(store.state(other).answers), 1]
    assert store.state(other).status == "completed"  # the other study is untouched
    assert _cli("delete", "--db", db_url, "--study", "ends", "--all-responses",
                "--confirm", "ends")[0] == 0  # fmt: skip
    assert len(deletion_log(store, "ends")) == 3  # nothing left to erase
    if db_url.startswith("sqlite"):
        raw = _sqlite_bytes(db_url)
        assert b"Tapir-306" not in raw and b"Tapir-406" in raw


def test_the_copy_holds_the_study_leads_notes_and_the_opt_out(
    field: ResponseStore, secret_key: str,  # noqa: F811
) -> None:
    """The privacy notice promises access to one's data; the copy left out the study
    lead's notes about the response (why it was left out of the analysis) and whether
    the address asked for no further mail, both kept about the respondent."""
    store = field
    import_contacts(store, "rights", _contacts())
    with store.session() as session:
        secrets = {c.email: (c.invitation_id, open_secret(c.secret))
                   for c in session.scalars(select(Contact))}  # fmt: skip
    (gone_inv, gone), (keep_inv, _) = secrets[GONE], secrets[KEEP]
    opt_out(store, gone.optout_token)
    exclude_from_analysis(store, "rights", gone_inv, "Answered for the wrong alliance 7731")
    copy = respondent_copy(store, study="rights", invitation_id=gone_inv)
    assert [e["reason"] for e in copy["exclusions"]] == ["Answered for the wrong alliance 7731"]
    assert copy["contact"]["no_further_mail"] is True
    other = respondent_copy(store, study="rights", invitation_id=keep_inv)
    assert (other["exclusions"], other["contact"]["no_further_mail"]) == ([], False)


def test_the_notice_names_what_respondents_would_read_as_not_stated(
    field: ResponseStore, db_url: str,
) -> None:
    """``privacy`` said only that the notice was incomplete and that "the consent page
    says which items are missing"; a study with sender settings was called incomplete
    for a contact the consent page does name (the study lead of the mail settings).  It
    now names the items respondents read as "not stated yet"."""
    from instruments.store.rights import notice_gaps, set_settings

    assert notice_gaps(field, "rights") == ["controller", "contact", "purpose", "legal_basis",
                                            "retention"]  # fmt: skip
    set_settings(field, "rights", controller="Universität Beispiel", purpose="Research.",
                 legal_basis="consent")  # fmt: skip
    code, said = _cli("privacy", "--db", db_url, "--study", "rights")
    assert code == 0
    assert "'not stated by the study lead yet' for contact, retention." in said
    assert "Set --contact --retention." in said
    configure_mail(field, "rights", smtp="smtp://127.0.0.1:2525", sender="s@uni.example",
                   lead_name="Dr. Jana Lehmann", lead_email="lehmann@uni.example",
                   base_url="https://survey.example.org", rate_per_minute=60)  # fmt: skip
    assert notice_gaps(field, "rights") == ["retention"]  # the consent page names the lead
    code, said = _cli("privacy", "--db", db_url, "--study", "rights", "--retention",
                      "until 31 Dec 2030; then erased")  # fmt: skip
    assert code == 0 and "incomplete" not in said
    assert notice_gaps(field, "rights") == []
