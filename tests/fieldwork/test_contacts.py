"""Contact lists: every problem listed at once, nothing stored on error, dyads with firm names."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from analysis.errors import DataError
from instruments.fieldwork.contacts import (
    ContactListError,
    check_contacts,
    contacts_table,
    import_contacts,
    read_contacts,
)
from instruments.fieldwork.invitations import create_study, dyad_status, invitations_table
from instruments.store import ResponseStore
from instruments.store.mailtables import Contact
from instruments.store.models import Invitation

GOOD = (
    b"email;name;firm;partner;alliance_id;role;language\n"
    b"ada@alpha.example;Ada Meier;Alpha GmbH;Beta AG;al-1;A;de\n"
    b"bo@beta.example;Bo Smith;Beta AG;;al-1;B;en\n"
    b"cy@gamma.example;Cy Roe;Gamma Ltd;Delta plc;;;\n"
)


@pytest.fixture
def study(store: ResponseStore, secret_key: str) -> str:
    create_study(store, "pilot")
    return "pilot"


def n_rows(store: ResponseStore, table: type) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(table))


def test_dyads_get_each_sides_firm_name(store: ResponseStore, study: str) -> None:
    done = import_contacts(store, study, GOOD)  # semicolons, as Excel writes in Germany
    assert (done.n_dyads, done.n_single, len(done.contact_ids)) == (1, 1, 3)
    dyads = dyad_status(store, study)
    assert dyads[["alliance_id", "partner_of_a", "partner_of_b"]].values.tolist() == [
        ["al-1", "Beta AG", "Alpha GmbH"]]  # B's empty partner cell is filled from A's firm
    inv = invitations_table(store, study).set_index("invitation_id")
    table = contacts_table(store, study).set_index("email")
    assert table.loc["ada@alpha.example", "language"] == "de"
    assert table.loc["cy@gamma.example", "partner_name"] == "Delta plc"
    assert pd.isna(inv.loc[table.loc["cy@gamma.example", "invitation_id"], "firm_role"])
    assert set(table["status"]) == {"invited"} and not table["opted_out"].any()


def test_every_problem_is_listed_and_nothing_stored(store: ResponseStore, study: str) -> None:
    import_contacts(store, study, GOOD)
    bad = (
        b"Email,Name,Firm,Partner,Alliance_ID,Role,Language\n"
        b"not-an-address,Ann,Alpha,Beta,al-2,A,en\n"         # line 2: e-mail
        b",Bob,Beta,Alpha,al-2,A,fr\n"                        # line 3: empty e-mail, language, roles
        b"cat@x.example,,Gamma,,,,\n"                         # line 4: name, single without partner
        b"dan@x.example,Dan,Delta,Epsilon,al-1,,\n"           # line 5: alliance id already used
        b"eve@x.example,Eve,Eps,Zeta,al 3,A,en\n"             # line 6: invalid alliance id
        b"fay@x.example,Fay,F1,Wrong,al-4,A,en\n"             # line 7: partner is not B's firm (line 8)
        b"gus@x.example,Gus,F2,F1,al-4,B,en\n"
        b"hal@x.example,Hal,H,I,al-5,A,en\n"                  # lines 9-11: three in one alliance
        b"ian@x.example,Ian,I,H,al-5,B,en\n"
        b"jon@x.example,Jon,J,H,al-5,B,en\n"
    )
    before = (n_rows(store, Contact), n_rows(store, Invitation))
    with pytest.raises(ContactListError) as caught:
        import_contacts(store, study, bad)
    problems = caught.value.problems
    expected = [
        "line 2: 'not-an-address' is not an e-mail address.",
        "line 3: email is empty.",
        "line 3: language 'fr' is not offered (use en, de).",
        "lines 2, 3: the two contacts of alliance 'al-2' need roles A and B (found A and A).",
        "line 4: name is empty.",
        "line 4: partner is empty",
        "line 5: alliance_id 'al-1' is already used in this study.",
        "line 6: alliance_id 'al 3' is not valid",
        "line 7: partner 'Wrong' is not the firm of the other side of alliance 'al-4' ('F2', line 8).",
        "lines 9, 10, 11: alliance 'al-5' has 3 contacts; a dyad has two.",
    ]
    for text in expected:
        assert any(p.startswith(text) for p in problems), (text, problems)
    assert len(problems) == len(expected)
    assert f"has {len(expected)} problems; nothing was stored" in str(caught.value)
    assert check_contacts(store, study, bad) == problems
    assert (n_rows(store, Contact), n_rows(store, Invitation)) == before


def test_unreadable_lists(store: ResponseStore, study: str, tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ContactListError, match="Missing column"):
        import_contacts(store, study, b"mail,who\nx@y.example,X\n")
    with pytest.raises(DataError, match="not UTF-8"):
        read_contacts("Müller".encode("latin-1") + b",x\n")
    with pytest.raises(DataError, match="Cannot read the contact list"):
        read_contacts(tmp_path / "missing.csv")
    with pytest.raises(ContactListError, match="1 problem; nothing was stored") as caught:
        import_contacts(store, study, b"email,name,firm,partner\n")
    assert caught.value.problems == ["The contact list has no rows."]
    with pytest.raises(DataError, match="There is no study"):
        import_contacts(store, "nope", GOOD)


def test_contact_status_is_the_cockpits(store: ResponseStore, study: str) -> None:
    """The contact list (``mail --status``) and the cockpit name each invitation's state alike
    (the exports against the packaged questionnaire: test_done_means_browser)."""
    from instruments.fieldwork.cockpit import respondent_table
    from instruments.fieldwork.contacts import open_secret
    from tests.store.fake_instrument import full_response

    import_contacts(store, study, GOOD)
    with store.session() as s:
        tokens = {c.email: open_secret(c.secret).token for c in s.scalars(select(Contact))}
    answers = full_response(3)
    store.start(tokens["ada@alpha.example"])  # opened, no consent yet
    store.submit_page(tokens["bo@beta.example"], "consent", answers["consent"],
                      submission_key="c")  # fmt: skip
    for page, values in answers.items():
        store.submit_page(tokens["cy@gamma.example"], page, values, submission_key=page)
    table = contacts_table(store, study).set_index("email")
    assert table["status"].to_dict() == {"ada@alpha.example": "opened",
                                         "bo@beta.example": "consented",
                                         "cy@gamma.example": "completed"}  # fmt: skip
    cockpit = respondent_table(store, study).set_index("invitation_id")["status"]
    assert table.set_index("invitation_id")["status"].to_dict() == cockpit.to_dict()


def test_a_domain_with_umlauts_is_taken_in_its_ascii_form(store: ResponseStore, study: str) -> None:
    """``anna@bäcker.de`` was refused as "not an e-mail address"; German firms' domains
    may hold umlauts.  The address is stored as mail servers take it (IDNA), a local part
    with an umlaut is still refused (it would need SMTPUTF8), nothing stored then."""
    done = import_contacts(
        store, study, "email,name,firm,partner\nanna@bäcker.de,Anna Bäcker,Bäckerei Bäcker,Mühle AG\n"
        .encode())
    assert len(done.contact_ids) == 1
    assert contacts_table(store, study)["email"].tolist() == ["anna@xn--bcker-gra.de"]
    with pytest.raises(ContactListError, match="is not an e-mail address"):
        import_contacts(store, study, "email,name,firm,partner\nmüller@firm.example,M,F,P\n".encode())
    assert n_rows(store, Contact) == 1
