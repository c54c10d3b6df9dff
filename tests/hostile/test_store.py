"""Hostile calls of the store API on SQLite and PostgreSQL: the package's own error with
a clear message, the same on both databases, and no row added or changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from analysis.errors import AllianceSurveyError, DataError, ResponseError
from instruments.fieldwork.auth import set_password, verify_password
from instruments.fieldwork.invitations import (
    create_dyad,
    create_dyads,
    create_invitations,
    create_study,
    create_wave,
)
from instruments.store import PageValidationError, ResponseStore
from instruments.store.models import Answer, Invitation, PageSubmission, Study, utcnow
from tests.store.fake_instrument import FakeInstrument, full_response

STUDY = "hostile"


@dataclass
class Ctx:
    store: ResponseStore
    fresh: str  # never opened
    started: str  # consent page submitted with key "k-consent"
    done: str  # completed
    screened: str  # screened out
    expired: str  # expired


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def ctx(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Ctx:
    """One store per database for the whole table: every case must leave it unchanged."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('hostile-store') / 'store.sqlite'}"
    else:
        url = request.getfixturevalue("pg_server").create_database("hostile_store")
    store = ResponseStore(url, instrument=FakeInstrument())
    request.addfinalizer(store.dispose)
    create_study(store, STUDY)
    set_password(store, STUDY, "a sound pass phrase 42")
    toks = [i.token for i in create_invitations(store, STUDY, 5)]
    fresh, started, done, screened, expired = toks
    store.start(started)
    store.submit_page(started, "consent", {"consent": True}, submission_key="k-consent")
    store.start(done)
    for page, answers in full_response(3).items():
        store.submit_page(done, page, answers, submission_key=f"d-{page}")
    store.start(screened)
    store.screen_out(screened)
    (inv,) = create_invitations(store, STUDY, 1, expires_days=1)
    store.start(inv.token)
    with store.session() as s:  # its day has passed
        s.get(Invitation, inv.invitation_id).expires_at = utcnow() - timedelta(hours=1)
    return Ctx(store, fresh, started, done, screened, inv.token)


def _rows(store: ResponseStore) -> tuple:
    with store.session() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t))
            for t in (Study, Invitation, PageSubmission, Answer)
        ) + (s.scalar(select(Study.password_hash).where(Study.name == STUDY)),)


def _submit(page: str, answers: dict, key: str = "new-key", token: str = "started", **kw):
    def call(c: Ctx) -> object:
        return c.store.submit_page(getattr(c, token), page, answers, submission_key=key, **kw)
    return call


NOW = utcnow()
ALLIANCE_OK = {"stage": 1, "n_partners": 3, "alliance_age": 2.5}
CASES: list[tuple[str, Callable[[Ctx], object], type[Exception], str]] = [
    # studies and waves
    ("study-201-chars", lambda c: create_study(c.store, "s" * 201), DataError, "at most 200"),
    ("study-nul", lambda c: create_study(c.store, "a\x00b"), DataError, "NUL"),
    ("study-surrogate", lambda c: create_study(c.store, "a\ud800b"), DataError, "Unicode"),
    ("study-empty", lambda c: create_study(c.store, "  "), DataError, "must not be empty"),
    ("study-not-text", lambda c: create_study(c.store, 42), DataError, "must be text"),
    ("study-twice", lambda c: create_study(c.store, STUDY), DataError, "exists already"),
    ("wave-101-chars", lambda c: create_wave(c.store, STUDY, "w" * 101), DataError,
     "at most 100"),
    ("wave-unknown-study", lambda c: create_wave(c.store, "nope", "2"), DataError, "no study"),
    # invitations
    ("partner-301-chars", lambda c: create_invitations(c.store, STUDY, 1, partner_name="p" * 301),
     DataError, "at most 300"),
    ("partner-nul", lambda c: create_invitations(c.store, STUDY, 1, partner_name="A\x00B"),
     DataError, "NUL"),
    ("language-unknown", lambda c: create_invitations(c.store, STUDY, 1, language="xx"),
     DataError, "not offered"),
    ("language-11-chars", lambda c: create_invitations(c.store, STUDY, 1, language="e" * 11),
     DataError, "at most 10"),
    ("n-zero", lambda c: create_invitations(c.store, STUDY, 0), DataError, "at least 1"),
    ("n-text", lambda c: create_invitations(c.store, STUDY, "3"), DataError, "whole number"),
    ("expires-nan", lambda c: create_invitations(c.store, STUDY, 1, expires_days=float("nan")),
     DataError, "finite"),
    ("expires-negative", lambda c: create_invitations(c.store, STUDY, 1, expires_days=-1),
     DataError, "positive"),
    ("expires-beyond-calendar", lambda c: create_invitations(c.store, STUDY, 1,
                                                             expires_days=1e12),
     DataError, "beyond the calendar"),
    ("expires-text", lambda c: create_invitations(c.store, STUDY, 1, expires_days="soon"),
     DataError, "number"),
    ("alliance-101-chars", lambda c: create_invitations(c.store, STUDY, 1, alliance_id="a" * 101),
     DataError, "not valid"),
    ("alliance-newline", lambda c: create_invitations(c.store, STUDY, 1, alliance_id="al\n"),
     DataError, "not valid"),
    ("alliance-for-many", lambda c: create_invitations(c.store, STUDY, 2, alliance_id="al1"),
     DataError, "single invitation"),
    ("firm-role-c", lambda c: create_invitations(c.store, STUDY, 1, alliance_id="al1",
                                                 firm_role="C"), DataError, "'A', 'B'"),
    ("firm-a-twice", lambda c: [create_invitations(c.store, STUDY, 1, alliance_id="al9",
                                                   firm_role="A") for _ in range(2)],
     DataError, "already has an invitation for firm A"),
    ("dyad-alliance-taken", lambda c: [create_dyad(c.store, STUDY, alliance_id="al8")
                                       for _ in range(2)], DataError, "already used"),
    ("dyad-firm-301-chars", lambda c: create_dyad(c.store, STUDY, firm_a="f" * 301),
     DataError, "at most 300"),
    ("dyads-zero", lambda c: create_dyads(c.store, STUDY, 0), DataError, "at least 1"),
    ("invite-unknown-study", lambda c: create_invitations(c.store, "nope", 1), DataError,
     "no study"),
    # tokens
    ("token-unknown", lambda c: c.store.start("x" * 43), ResponseError, "not valid"),
    ("token-empty", lambda c: c.store.start(""), ResponseError, "No invitation token"),
    ("token-not-text", lambda c: c.store.start(None), ResponseError, "No invitation token"),
    ("token-huge", lambda c: c.store.start("t" * 100_000), ResponseError, "not valid"),
    ("token-expired", lambda c: c.store.start(c.expired), ResponseError, "expired"),
    ("token-completed", lambda c: c.store.start(c.done), ResponseError, "already been used"),
    ("token-screened", lambda c: c.store.start(c.screened), ResponseError, "closed"),
    ("state-not-started", lambda c: c.store.state(c.fresh), ResponseError, "not been started"),
    ("screen-out-completed", lambda c: c.store.screen_out(c.done), ResponseError, "completed"),
    # submissions
    ("key-101-chars", _submit("alliance", ALLIANCE_OK, key="k" * 101), ResponseError,
     "at most 100"),
    ("key-empty", _submit("alliance", ALLIANCE_OK, key=""), ResponseError, "non-empty"),
    ("key-nul", _submit("alliance", ALLIANCE_OK, key="k\x00"), ResponseError, "non-empty"),
    ("key-not-text", _submit("alliance", ALLIANCE_OK, key=7), ResponseError, "non-empty"),
    ("key-of-another-page", _submit("alliance", ALLIANCE_OK, key="k-consent"), ResponseError,
     "already used for page 'consent'"),
    ("page-unknown", _submit("nope", {}), ResponseError, "no page"),
    ("page-ahead", _submit("end", {"comment": "hi"}), ResponseError, "before the pages"),
    ("answers-not-mapping", _submit("alliance", [("stage", 1)]), PageValidationError,
     "mapping"),
    ("item-unknown", _submit("alliance", {**ALLIANCE_OK, "bogus": 1}), PageValidationError,
     "does not belong"),
    ("item-of-other-page", _submit("alliance", {**ALLIANCE_OK, "trust_1": 3}),
     PageValidationError, "does not belong"),
    ("code-out-of-range", _submit("alliance", {**ALLIANCE_OK, "stage": 9}), PageValidationError,
     "not one of the allowed codes"),
    ("code-bool", _submit("alliance", {**ALLIANCE_OK, "stage": True}), PageValidationError,
     "integer code"),
    ("code-fraction", _submit("alliance", {**ALLIANCE_OK, "stage": 1.5}), PageValidationError,
     "integer code"),
    ("integer-1e30", _submit("alliance", {**ALLIANCE_OK, "n_partners": 10**30}),
     PageValidationError, "integer code"),
    ("integer-digits-5000", _submit("alliance", {**ALLIANCE_OK, "n_partners": "9" * 5000}),
     PageValidationError, "integer code"),
    ("integer-below-min", _submit("alliance", {**ALLIANCE_OK, "n_partners": 1}),
     PageValidationError, "outside the allowed range"),
    ("number-inf", _submit("alliance", {**ALLIANCE_OK, "alliance_age": float("inf")}),
     PageValidationError, "finite"),
    ("number-text-inf", _submit("alliance", {**ALLIANCE_OK, "alliance_age": "inf"}),
     PageValidationError, "finite"),
    ("number-huge-int", _submit("alliance", {**ALLIANCE_OK, "alliance_age": 10**400}),
     PageValidationError, "expected a number"),
    ("number-list", _submit("alliance", {**ALLIANCE_OK, "alliance_age": [1]}),
     PageValidationError, "expected a number"),
    ("required-missing", _submit("alliance", {"n_partners": 3}), PageValidationError,
     "required"),
    ("language-fr", _submit("alliance", ALLIANCE_OK, language="fr"), ResponseError,
     "not one of the instrument's languages"),
    ("shown-at-future", _submit("alliance", ALLIANCE_OK, shown_at=NOW + timedelta(hours=1),
                                now=NOW), ResponseError, "negative"),
    ("shown-at-naive", _submit("alliance", ALLIANCE_OK, shown_at=NOW.replace(tzinfo=None)),
     ResponseError, "timezone-aware"),
    ("shown-at-text", _submit("alliance", ALLIANCE_OK, shown_at="yesterday"), ResponseError,
     "timezone-aware"),
    ("answered-at-future", _submit("alliance", ALLIANCE_OK, now=NOW,
                                   answered_at={"stage": NOW + timedelta(days=1)}),
     ResponseError, "negative"),
    ("completed-new-key", _submit("end", {"comment": "again"}, token="done"), ResponseError,
     "already been used"),
    ("screened-new-key", _submit("consent", {"consent": True}, token="screened"),
     ResponseError, "closed"),
    ("expired-submit", _submit("consent", {"consent": True}, token="expired"), ResponseError,
     "expired"),
    # passwords
    ("password-12-spaces", lambda c: set_password(c.store, STUDY, " " * 12, replace=True),
     DataError, "too easy"),
    ("password-one-letter", lambda c: set_password(c.store, STUDY, "a" * 20, replace=True),
     DataError, "too easy"),
    ("password-short", lambda c: set_password(c.store, STUDY, "Tr0ub4dor&", replace=True),
     DataError, "at least 12"),
    ("password-nul", lambda c: set_password(c.store, STUDY, "abcdefgh\x00ijkl", replace=True),
     DataError, "NUL"),
    ("password-2000-chars", lambda c: set_password(c.store, STUDY, "ab1" * 700, replace=True),
     DataError, "at most 1024"),
    ("password-not-text", lambda c: set_password(c.store, STUDY, 123456789012, replace=True),
     DataError, "text"),
    ("password-set-twice", lambda c: set_password(c.store, STUDY), DataError,
     "has a password already"),
    ("password-unknown-study", lambda c: set_password(c.store, "nope"), DataError, "no study"),
]


@pytest.mark.parametrize(("case", "call", "error", "text"), CASES, ids=[c[0] for c in CASES])
def test_store_refuses(case: str, call: Callable[[Ctx], object], error: type[Exception],
                       text: str, ctx: Ctx) -> None:
    before = _rows(ctx.store)
    with pytest.raises(error) as info:
        call(ctx)
    assert isinstance(info.value, AllianceSurveyError)
    assert text in str(info.value), str(info.value)
    assert len(str(info.value)) < 2000
    after = _rows(ctx.store)
    if case in ("firm-a-twice", "dyad-alliance-taken"):  # the first one is legitimately stored
        assert after[1] == before[1] + (1 if case == "firm-a-twice" else 2)
        assert after[:1] + after[2:] == before[:1] + before[2:]
    else:
        assert after == before


def test_nul_message_in_the_respondents_language(ctx: Ctx) -> None:
    store = ctx.store
    (inv,) = create_invitations(store, STUDY, 1)
    store.start(inv.token)
    for page, answers in list(full_response(1).items())[:3]:
        store.submit_page(inv.token, page, answers, submission_key=f"s-{page}")
    before = _rows(store)
    with pytest.raises(PageValidationError) as en:
        store.submit_page(inv.token, "end", {"comment": "a\x00b"}, submission_key="e1")
    with pytest.raises(PageValidationError) as de:
        store.submit_page(inv.token, "end", {"comment": "a\x00b"}, submission_key="e2",
                          language="de")
    assert "cannot be saved" in en.value.problems["comment"][0]
    assert "nicht gespeichert werden" in de.value.problems["comment"][0]
    assert _rows(store) == before


def test_unknown_study_and_wrong_password_look_alike(ctx: Ctx) -> None:
    assert verify_password(ctx.store, "no such study", "a sound pass phrase 42") is False
    assert verify_password(ctx.store, STUDY, "a sound pass phrase 43") is False
    assert verify_password(ctx.store, "s" * 5000, "x") is False


def test_unreachable_and_unsupported_databases() -> None:
    from instruments.store import StoreUnavailableError

    with pytest.raises(StoreUnavailableError, match="cannot be used right now") as info:
        ResponseStore("postgresql://someone:secret@127.0.0.1:1/none")
    assert "secret" not in str(info.value)
    with pytest.raises(DataError, match="in-memory"):
        ResponseStore("sqlite://")
    with pytest.raises(DataError, match="Unsupported"):
        ResponseStore("mysql://x@localhost/db")


def test_read_only_sqlite_is_unavailable_not_a_traceback(tmp_path, fake_instrument) -> None:  # noqa: ANN001
    from instruments.store import StoreUnavailableError

    path = tmp_path / "ro.sqlite"
    ResponseStore(f"sqlite:///{path}", instrument=fake_instrument).dispose()
    ro = ResponseStore(f"sqlite:///file:{path}?mode=ro&uri=true", instrument=fake_instrument)
    with pytest.raises(StoreUnavailableError, match="cannot be used right now"):
        create_study(ro, "x")
    ro.dispose()
