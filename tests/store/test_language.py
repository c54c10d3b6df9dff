"""The language each page was answered in (a respondent may switch during the survey),
on both backends, and the migration that added it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, inspect, select

from analysis.errors import ResponseError
from instruments.fieldwork.invitations import create_invitations, create_study
from instruments.store import ResponseStore
from instruments.store.migrate import current_revision, head_revision, upgrade
from instruments.store.models import PageSubmission, utcnow
from tests.store.fake_instrument import full_response


def _walk(store: ResponseStore, token: str, langs: list[str | None], seed: int = 1) -> None:
    t0 = utcnow()
    pages = list(full_response(seed).items())
    assert len(langs) == len(pages)
    for i, ((page, answers), lang) in enumerate(zip(pages, langs, strict=True)):
        store.submit_page(token, page, answers, submission_key=f"{page}-{seed}",
                          now=t0 + timedelta(seconds=10 * i), language=lang)


def test_wide_language_is_the_one_most_pages_were_answered_in(store: ResponseStore) -> None:
    create_study(store, "pilot")
    invited = create_invitations(store, "pilot", n=4, language="en")
    n = len(full_response(1))
    _walk(store, invited[0].token, ["en"] + ["de"] * (n - 1), seed=1)   # switched early
    _walk(store, invited[1].token, ["en"] * n, seed=2)                   # stayed
    _walk(store, invited[2].token, [None] * n, seed=3)                   # nothing recorded
    half = n // 2
    _walk(store, invited[3].token, ["de"] * half + ["en"] * (n - half), seed=4)  # tie-> later
    wide = store.wide("pilot").set_index("respondent_id")
    ids = [store.state(i.token).respondent_id for i in invited]
    expected_tie = "en" if n - half >= half else "de"
    assert list(wide.loc[ids, "language"]) == ["de", "en", "en", expected_tie]
    with store.session() as s:
        stored = s.scalars(select(PageSubmission.language)
                           .where(PageSubmission.respondent_id == ids[0])
                           .order_by(PageSubmission.page_index)).all()
    assert stored == ["en"] + ["de"] * (n - 1)


def test_unknown_language_is_refused_and_nothing_stored(store: ResponseStore) -> None:
    create_study(store, "pilot")
    token = create_invitations(store, "pilot", n=1)[0].token
    page, answers = next(iter(full_response(1).items()))
    with pytest.raises(ResponseError, match="not one of the instrument's languages"):
        store.submit_page(token, page, answers, submission_key="k1", language="fr")
    assert store.wide("pilot").empty or store.wide("pilot")["consent"].isna().all()


def test_migration_0002_adds_the_column_to_an_0001_database(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    upgrade(engine, "0001_initial")
    assert current_revision(engine) == "0001_initial"
    assert "language" not in {c["name"] for c in inspect(engine).get_columns("page_submissions")}
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert "language" in {c["name"] for c in inspect(engine).get_columns("page_submissions")}
    engine.dispose()


def test_a_page_submitted_again_counts_once(store: ResponseStore) -> None:
    create_study(store, "pilot")
    token = create_invitations(store, "pilot", n=1, language="en")[0].token
    pages = list(full_response(1).items())[:-1]  # stop before the last page
    t0 = utcnow()
    for i, (page, answers) in enumerate(pages):
        store.submit_page(token, page, answers, submission_key=f"{page}-1",
                          now=t0 + timedelta(seconds=i), language="en")
    first, answers = pages[0]
    for k in range(len(pages) + 2):  # back to page 1 again and again, now in German
        store.submit_page(token, first, answers, submission_key=f"again-{k}",
                          now=t0 + timedelta(seconds=100 + k), language="de")
    wide = store.wide("pilot")
    assert len(pages) >= 3 and list(wide["language"]) == ["en"]  # 1 page de, 2+ en
