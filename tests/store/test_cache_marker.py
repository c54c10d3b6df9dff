"""The store's data marker, which the Analysis tab uses to find a cached analysis without
reading the study: equal while nothing is stored, different after every kind of change
to the analysis input, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from instruments.fieldwork.actions import exclude_from_analysis, include_in_analysis
from instruments.fieldwork.invitations import create_invitations, create_study
from instruments.store import ResponseStore
from instruments.store.cache import data_marker
from instruments.store.rights import withdraw
from tests.store.test_rights import answer_pages


@pytest.fixture
def field(db_url: str, instrument):  # noqa: ANN001, ANN201
    store = ResponseStore(db_url, instrument=instrument)
    create_study(store, "marker")
    create_study(store, "other")
    try:
        yield store
    finally:
        store.dispose()


def test_marker_changes_with_every_change_of_the_input(field: ResponseStore) -> None:
    n_pages = len(field.pages)
    a, b = create_invitations(field, "marker", 2)
    seen = [data_marker(field, "marker")]
    assert data_marker(field, "marker") == seen[0]  # nothing stored: the same marker

    def changed(what: str) -> None:
        now = data_marker(field, "marker")
        assert now not in seen, what
        assert data_marker(field, "marker") == now, what  # and stable again
        seen.append(now)

    answer_pages(field, a.token, 3, 1)
    changed("three pages submitted")
    answer_pages(field, a.token, n_pages, 1)
    changed("the rest submitted (a completion)")
    answer_pages(field, b.token, n_pages, 2)
    changed("a second respondent")
    inv_a = field.state(a.token).invitation_id
    exclude_from_analysis(field, "marker", inv_a, "straight-lining")
    changed("an exclusion")
    include_in_analysis(field, "marker", inv_a, "checked again")
    changed("the exclusion taken back")
    withdraw(field, b.token, reason="request", channel="cli")
    changed("a withdrawal")
    create_invitations(field, "marker", 1)
    changed("a new invitation")

    # another study's fieldwork leaves this study's marker alone
    (c,) = create_invitations(field, "other", 1)
    answer_pages(field, c.token, n_pages, 3)
    assert data_marker(field, "marker") == seen[-1]
