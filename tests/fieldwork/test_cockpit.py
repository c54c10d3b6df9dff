"""The cockpit's single status definition and its per-respondent table (both backends)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from instruments.fieldwork.cockpit import (
    FIELDWORK_STATUSES,
    dropoff_curve,
    plural,
    respondent_table,
    status_summary,
)
from instruments.fieldwork.invitations import create_invitations, create_study
from instruments.store import ResponseStore
from instruments.store.models import utcnow
from tests.store.fake_instrument import full_response


def test_each_invitation_has_one_status(store: ResponseStore) -> None:
    create_study(store, "pilot")
    tokens = [i.token for i in create_invitations(store, "pilot", n=6, partner_name="Acme")]
    t0 = utcnow()
    answers = full_response(1)
    pages = list(answers)
    store.start(tokens[1], now=t0)  # opened only
    store.submit_page(tokens[2], "consent", answers["consent"], submission_key="c",
                      now=t0 + timedelta(minutes=2))  # fmt: skip
    store.submit_page(tokens[3], "consent", answers["consent"], submission_key="c", now=t0)
    store.screen_out(tokens[3])
    for i, page in enumerate(pages):  # completed in 12 minutes
        store.submit_page(tokens[4], page, answers[page], submission_key=page,
                          now=t0 + timedelta(minutes=4 * i))  # fmt: skip
    for i, page in enumerate(pages[:2]):  # consented, stopped after page 2
        store.submit_page(tokens[5], page, answers[page], submission_key=page,
                          now=t0 + timedelta(minutes=i))  # fmt: skip
    table = respondent_table(store, "pilot")
    assert table["status"].tolist() == ["invited", "opened", "consented", "screened_out",
                                        "completed", "consented"]  # fmt: skip
    # Pages numbered as respondents see them: 1 = the first page.
    assert table["last_page"].tolist() == [0, 0, 1, 1, 4, 2]
    assert table["last_page_id"].tolist()[2:] == ["consent", "consent", "end", "alliance"]
    assert set(table["n_pages"]) == {4}
    assert table.loc[4, "duration_min"] == pytest.approx(12.0, abs=1e-6)
    assert np.isnan(table.loc[0, "duration_min"])
    summary = status_summary(store, "pilot")
    assert summary["status"].tolist() == list(FIELDWORK_STATUSES)
    assert summary.set_index("status")["n"].to_dict() == {
        "invited": 1, "opened": 1, "consented": 2, "screened_out": 1,
        "declined_or_withdrawn": 0, "completed": 1, "expired": 0,
    }  # fmt: skip
    assert summary["n"].sum() == len(table)
    # Drop-off among the three who consented (the screened-out one is not in the base):
    # all on page 1, the one who stopped after page 2 gone from page 3 on.
    curve = dropoff_curve(store, "pilot")
    assert curve["page"].tolist() == [1, 2, 3, 4]
    assert curve["page_id"].tolist() == pages
    assert curve["n_answering"].tolist() == [3, 2, 1, 1]
    np.testing.assert_allclose(curve["share"], [1, 2 / 3, 1 / 3, 1 / 3], rtol=1e-12)


def test_plural() -> None:
    assert [plural(0, "second"), plural(1, "second"), plural(2, "dyad"), plural(1, "reply", "replies"),
            plural(3, "reply", "replies")] == ["0 seconds", "1 second", "2 dyads", "1 reply",
                                              "3 replies"]  # fmt: skip
