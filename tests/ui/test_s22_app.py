"""Session 22's study-lead leftovers in the app (AppTest, no browser)."""

from __future__ import annotations

from tests.ui.survey_bot import open_tab
from tests.ui.test_app import _admin, click, current_page, open_app, texts
from tests.ui.test_walk15_app import _at_page, _move_back


def test_the_cockpit_opens_an_expired_link_again_with_its_answers(store, invite) -> None:  # noqa: ANN001
    """Walk 15: a respondent whose link expired part-way was locked out, and the study
    lead could only make a new link (without the answers).  The cockpit's button keeps
    the link open 14 more days; the respondent continues where they left."""
    from instruments.fieldwork.cockpit import respondent_table
    from instruments.ui.admin import EXTEND_DAYS

    token = invite()
    _at_page(store, token, "learning")
    before = dict(store.state(token).answers)
    _move_back(store, 5, token)
    assert "expired" in texts(open_app(token))
    chosen = int(respondent_table(store, "uitest").set_index("respondent_id")
                 .loc[float(store.state(token).respondent_id), "invitation_id"])  # fmt: skip
    at = _admin()
    open_tab(at, "Respondents")
    at.selectbox(key="admin.action_invitation").set_value(chosen)
    click(at, f"Keep the link open {EXTEND_DAYS} more days")
    assert f"Invitation #{chosen}: the link is open until" in texts(at)
    again = open_app(token)
    assert "expired" not in texts(again)
    state = store.state(token)
    assert state.status == "started" and dict(state.answers) == before
    assert current_page(again) == "learning"  # the page they left
