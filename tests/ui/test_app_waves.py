"""The survey app serves a respondent of a wave on an earlier instrument version that
version (AppTest, no browser): the pages, the items and the resume are theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from instruments.fieldwork.invitations import create_invitations, create_study
from instruments.instrument.loader import load_instrument
from instruments.store import ResponseStore
from instruments.store.responses import INSTRUMENTS_ENV_VAR
from tests.store.test_waves import make_version
from tests.ui.survey_bot import plan_answers, survey_widgets, walk_apptest
from tests.ui.test_app import current_page, open_app, texts


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instrument 1.9.0 whose trust page asks trust_6, which the packaged one does not."""
    return make_version(tmp_path_factory.mktemp("earlier"), "1.9.0")


@pytest.mark.slow  # about 10 s: walks a third of the survey in the app
def test_earlier_wave_respondent_answers_and_resumes_on_their_version(
    db_url: str, earlier: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = ResponseStore(db_url, instrument=load_instrument(earlier))
    create_study(old, "early")
    token = create_invitations(old, "early", 1, partner_name="Acme")[0].token
    trust_page = next(p for p in old.pages if p.field("trust_6") is not None)

    # A server on the packaged (newer) instrument without the earlier version: the link
    # cannot be answered, nothing is stored, no traceback.
    at = open_app(token)
    assert not at.exception
    assert not [w for w in survey_widgets(at) if w.key and w.key.startswith("w:")]
    assert "Traceback" not in texts(at)
    assert not _started(old, token)

    monkeypatch.setenv(INSTRUMENTS_ENV_VAR, str(earlier))
    at = open_app(token)
    plan = plan_answers(old, seed=old.state(token).seed, rng_seed=3)
    walk_apptest(at, old, plan, stop_after=trust_page.index + 1)
    assert old.state(token).answers.get("trust_6") == plan[trust_page.id]["trust_6"]
    # a new session (closed tab, server restart) resumes on the earlier version's next page
    again = open_app(token)
    assert current_page(again) == old.pages[trust_page.index + 1].id
    old.dispose()


def _started(store: ResponseStore, token: str) -> bool:
    from analysis.errors import ResponseError

    try:
        store.state(token)
    except ResponseError:
        return False
    return True
