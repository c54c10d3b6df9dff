"""The response store: respondents, page-by-page submissions and the wide view."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, and_, bindparam, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from analysis.errors import DataError, ResponseError, clip
from instruments.store.engine import (
    make_engine,
    read_only_engine,
    resolve_url,
    unavailable,
)
from instruments.store.exclusions import AnalysisExclusion
from instruments.store.migrate import ensure_schema
from instruments.store.models import (
    Answer,
    Invitation,
    PageSubmission,
    Respondent,
    Study,
    Wave,
    utcnow,
)
from instruments.store.pages import PageSpec, build_pages, shown_order, validate_page
from instruments.store.tokens import (
    UNKNOWN_TOKEN,
    InvitationClosedError,
    check_usable,
    checked_hash,
    find_invitation,
)

if TYPE_CHECKING:
    import pandas as pd

#: Clock difference tolerated between the app server showing a page and the store.
CLOCK_SKEW = timedelta(seconds=5)

#: Environment variable: instrument folders (separated like ``PATH``) of other versions
#: the store serves, for respondents of waves opened on them.
INSTRUMENTS_ENV_VAR = "ALLIANCE_SURVEY_INSTRUMENTS"

#: Columns that precede the item columns in the wide layout.
ID_COLUMNS = ("respondent_id", "alliance_id", "firm_role", "language", "duration_sec")

#: Fieldwork columns of the wide layout with ``meta=True`` (after the page times).
META_COLUMNS = ("wave", "instrument_version", "status", "started_at", "completed_at",
                "not_shown")


@dataclass(frozen=True)
class RespondentState:
    """Where a respondent stands: returned when a survey link is opened.

    ``current_page`` is the index of the first page not yet submitted
    (``n_pages`` when complete); ``answers`` holds the latest stored answer of
    every item, so the survey can show them again after a refresh.
    """

    respondent_id: int
    invitation_id: int
    study: str
    wave: str
    alliance_id: str
    firm_role: str | None
    partner_name: str | None
    language: str
    status: str
    current_page: int
    current_page_id: str | None
    n_pages: int
    seed: int
    answers: dict[str, Any] = field(default_factory=dict)
    #: A preview response of the study lead (left out of exports and analyses).
    is_test: bool = False

    @property
    def completed(self) -> bool:
        """Whether every page has been submitted."""
        return self.status == "completed"


@dataclass(frozen=True)
class SubmissionResult:
    """Outcome of one page submission (the same object again for a repeated submission)."""

    submission_id: int
    respondent_id: int
    page: str
    page_index: int
    next_page: int
    next_page_id: str | None
    n_answers: int
    completed: bool
    duplicate: bool


def _wave_instrument(wave: Wave, study: Study) -> tuple[str, str, str]:
    """``(instrument id, version, hash)`` a wave runs (its study's for a wave without one)."""
    if wave.instrument_hash:
        return str(wave.instrument_id), str(wave.instrument_version), str(wave.instrument_hash)
    return study.instrument_id, study.instrument_version, study.instrument_hash


@dataclass
class _Status:
    """The two fields of an invitation that decide whether it can still be answered."""

    status: str
    expires_at: datetime | None


@dataclass(frozen=True)
class _PageQueries:
    """The statements of a page commit, built once (SQLAlchemy then reuses their compiled
    form; building a statement costs more than running it on a small table)."""

    invitation: Any
    peek: Any
    respondent: Any
    answers: Any
    new_respondent: Any
    new_submission: Any
    new_answer: Any
    move_respondent: Any
    complete_respondent: Any
    set_status: Any


_QUERIES: list[_PageQueries] = []


def _queries() -> _PageQueries:
    """The page-commit statements (see :meth:`ResponseStore._commit_page`)."""
    if _QUERIES:
        return _QUERIES[0]
    inv, wave, study = Invitation.__table__, Wave.__table__, Study.__table__
    resp, sub, ans = Respondent.__table__, PageSubmission.__table__, Answer.__table__
    peek = select(
        inv.c.id, inv.c.status, inv.c.expires_at, inv.c.language, inv.c.alliance_id,
        inv.c.firm_role, inv.c.partner_name, inv.c.is_test,
        wave.c.name.label("wave_name"), wave.c.instrument_id.label("wave_instrument_id"),
        wave.c.instrument_version.label("wave_instrument_version"),
        wave.c.instrument_hash.label("wave_hash"), study.c.name.label("study_name"),
        study.c.instrument_id.label("study_instrument_id"),
        study.c.instrument_version.label("study_instrument_version"),
        study.c.instrument_hash.label("study_hash"),
        resp.c.id.label("respondent_id"), resp.c.current_page, resp.c.seed,
        resp.c.language.label("respondent_language"),
    ).join(wave, inv.c.wave_id == wave.c.id).join(study, inv.c.study_id == study.c.id) \
        .outerjoin(resp, resp.c.invitation_id == inv.c.id) \
        .where(inv.c.token_hash == bindparam("token_hash"))
    queries = _PageQueries(
        peek=peek,
        invitation=select(
            inv.c.id, inv.c.status, inv.c.expires_at, inv.c.language,
            wave.c.name.label("wave_name"), wave.c.instrument_id.label("wave_instrument_id"),
            wave.c.instrument_version.label("wave_instrument_version"),
            wave.c.instrument_hash.label("wave_hash"), study.c.name.label("study_name"),
            study.c.instrument_id.label("study_instrument_id"),
            study.c.instrument_version.label("study_instrument_version"),
            study.c.instrument_hash.label("study_hash"),
        )
        .join(wave, inv.c.wave_id == wave.c.id)
        .join(study, inv.c.study_id == study.c.id)
        .where(inv.c.token_hash == bindparam("token_hash"))
        .with_for_update(of=inv),
        respondent=select(
            resp.c.id, resp.c.current_page, resp.c.seed, resp.c.last_activity_at,
            sub.c.id.label("sub_id"), sub.c.page.label("sub_page"),
            sub.c.page_index.label("sub_page_index"), sub.c.next_page.label("sub_next_page"),
            sub.c.n_answers.label("sub_n_answers"),
        )
        .outerjoin(sub, and_(sub.c.respondent_id == resp.c.id,
                             sub.c.submission_key == bindparam("key")))
        .where(resp.c.invitation_id == bindparam("invitation_id")),
        answers=select(ans.c.item_id, ans.c.value_int, ans.c.value_num, ans.c.value_text)
        .where(ans.c.respondent_id == bindparam("respondent_id"))
        .order_by(ans.c.id),
        new_respondent=insert(resp),
        new_submission=insert(sub),
        new_answer=insert(ans),
        move_respondent=update(resp).where(resp.c.id == bindparam("row")).values(
            current_page=bindparam("to_page"), last_activity_at=bindparam("active_at")),
        complete_respondent=update(resp).where(resp.c.id == bindparam("row")).values(
            current_page=bindparam("to_page"), last_activity_at=bindparam("active_at"),
            completed_at=bindparam("done_at")),
        set_status=update(inv).where(inv.c.id == bindparam("row")).values(
            status=bindparam("new_status")),
    )  # fmt: skip
    _QUERIES.append(queries)
    return queries


def _value_of(text: str | None, num: float | None, code: int | None) -> Any:
    """A stored answer's value from its three columns (text, number, integer code);
    ``None`` for a row that records an answer taken back (all three empty)."""
    if text is not None:
        return text
    if num is not None:
        return num
    return code


def _answered(latest: dict[str, Any]) -> dict[str, Any]:
    """The answers of ``latest`` that stand (an answer taken back is left out)."""
    return {k: v for k, v in latest.items() if v is not None}


def _answer_language(pages: list[tuple[datetime, str]] | None, default: str) -> str:
    """The language most pages were answered in (each page once, in the language of its
    latest submission; a tie goes to the language used later);
    ``default`` (the invitation's language) when no page recorded one."""
    if not pages:
        return default
    count: dict[str, int] = {}
    last: dict[str, datetime] = {}
    for when, lang in pages:
        count[lang] = count.get(lang, 0) + 1
        last[lang] = max(last.get(lang, when), when)
    return max(count, key=lambda lang: (count[lang], last[lang]))


def _check_times(
    shown_at: datetime | None, answered_at: Mapping[str, datetime] | None, now: datetime
) -> None:
    """Refuse timestamps the page times would be wrong with (naive or in the future)."""
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ResponseError("now= must be a timezone-aware datetime.")
    stamps = [("shown_at=", shown_at)]
    if answered_at is not None:
        if not isinstance(answered_at, Mapping):
            raise ResponseError("answered_at= must map item ids to timezone-aware datetimes.")
        stamps += [(f"answered_at[{clip(k)}]", v) for k, v in answered_at.items()]
    for name, value in stamps:
        if value is None:
            continue
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ResponseError(f"{name} must be a timezone-aware datetime.")
        if value > now + CLOCK_SKEW:
            raise ResponseError(
                f"{name} lies after the submission time ({value.isoformat()} > "
                f"{now.isoformat()}); the page time would be negative. Nothing was stored."
            )


_SETTLED: list[bool] = []


def settle_heap() -> None:
    """Keep what the process has loaded so far out of Python's full garbage collections.

    Called once per process by the survey app when it opens its store
    (``streamlit_app.get_store``: once the modules, the instrument and the engine are
    loaded), not by the store itself: a notebook or a command that opens a store keeps
    its garbage collection as it was.  A full collection stops
    every thread while it walks every object the process holds; under a burst of 50
    respondents one came at the start of the burst and stopped all page saves for 300 to
    780 ms on a loaded machine (the slowest pages of the burst benchmark).  Objects
    loaded at start-up live as long as the process, so walking them again finds nothing
    to free: :func:`gc.freeze` sets them aside, and later full collections walk only
    what came after.  Memory is freed as before when an object's last reference goes.
    """
    import gc

    if _SETTLED:
        return
    _SETTLED.append(True)
    gc.collect()
    gc.freeze()


class ResponseStore:
    """A durable store of survey responses (SQLite file or PostgreSQL).

    Every submitted page is validated against the instrument and written in one
    transaction; answers go to an append-only log, and :meth:`wide` returns the
    latest answer per item per respondent in the canonical wide layout.

    Parameters
    ----------
    url
        SQLAlchemy database URL; default from ``ALLIANCE_SURVEY_DB`` or
        ``sqlite:///data/alliance_survey.sqlite``.
    instrument
        The instrument whose pages are validated; loaded with
        :func:`instruments.instrument.loader.load_instrument` when first needed if omitted.
    migrate
        Upgrade the schema to the newest migration when opening (default).
    instruments
        Other instrument versions (instrument objects or instrument folders) this store
        serves: a respondent answers on the version of their invitation's wave, so
        respondents of a wave opened on an earlier version keep that version.  Folders
        listed in ``ALLIANCE_SURVEY_INSTRUMENTS`` (separated like ``PATH``) are added.

    Notes
    -----
    The object holds only the engine and the (read-only) instrument, so one
    store can be shared between threads; every call runs in its own session.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        instrument: Any = None,
        migrate: bool = True,
        instruments: Iterable[Any] = (),
    ) -> None:
        self.url = resolve_url(url)
        self.engine: Engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = read_only_engine(self.engine)
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)
        self._instrument = instrument
        self._pages: tuple[PageSpec, ...] | None = None
        self._kinds: dict[str, str] | None = None
        self._before: tuple[frozenset[str], ...] | None = None
        # Other instrument versions, for respondents of waves opened on them; shared
        # (with the per-version views) by every view of this store.
        self._other: list[Any] = list(instruments or ())
        self._views: dict[str, ResponseStore] = {}
        self._from_env: dict[tuple[str, ...], list[Any]] = {}
        self._base: ResponseStore = self  # the store the per-version views were made from
        if migrate:
            try:
                ensure_schema(self.engine)
            except DBAPIError as exc:
                self.engine.dispose()
                raise unavailable(self.url, exc) from exc
            except RuntimeError as exc:  # a migration refusing data it cannot convert
                self.engine.dispose()
                raise DataError(str(exc)) from exc
            except DataError:  # a store of a newer version, another program's database
                self.engine.dispose()
                raise

    # -- plumbing -----------------------------------------------------------------

    @property
    def instrument(self) -> Any:
        """The instrument the store validates against."""
        if self._instrument is None:
            from instruments.instrument.loader import load_instrument

            self._instrument = load_instrument()
        return self._instrument

    @property
    def pages(self) -> tuple[PageSpec, ...]:
        """The survey's pages (one per instrument section)."""
        if self._pages is None:
            self._pages = build_pages(self.instrument)
        return self._pages

    def page(self, page: str | int) -> PageSpec:
        """Return a page by id or index, raising ``ResponseError`` if there is none."""
        for spec in self.pages:
            if spec.id == page or spec.index == page:
                return spec
        raise ResponseError(f"The survey has no page {page!r}.")

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error.

        A database that cannot be reached or written (server down, read-only file, disk
        full) raises :class:`~instruments.store.engine.StoreUnavailableError`; a broken
        unique constraint stays an ``IntegrityError`` for the caller to interpret.
        ``read_only=True`` for a transaction that never writes: on SQLite it takes no
        lock and does not queue behind the writers.
        """
        try:
            if read_only:
                with self._read_sessions.begin() as session:
                    yield session
                return
            with self._sessions.begin() as session:
                yield session
        except IntegrityError:
            raise
        except DBAPIError as exc:
            raise unavailable(self.url, exc) from exc

    def dispose(self) -> None:
        """Close all pooled database connections."""
        self.engine.dispose()

    def __enter__(self) -> ResponseStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()

    def _check_instrument(self, session: Session, invitation: Invitation) -> None:
        """Refuse answers unless this store runs the instrument of the invitation's wave."""
        inst = self.instrument
        study = session.get(Study, invitation.study_id)
        iid, version, digest = _wave_instrument(invitation.wave, study)
        if str(digest) != str(inst.content_hash):
            raise ResponseError(
                f"Wave {invitation.wave.name!r} of study {study.name!r} runs instrument "
                f"{iid} version {version} (hash {str(digest)[:12]}), but this survey runs "
                f"{inst.id} version {inst.version} (hash {str(inst.content_hash)[:12]}); "
                "answers are not accepted until both agree."
            )

    # -- instrument versions ----------------------------------------------------------

    def _known_instruments(self) -> list[Any]:
        """This store's instrument, the ones passed as ``instruments=``, then the folders
        named in ``ALLIANCE_SURVEY_INSTRUMENTS`` (loaded once, when first needed)."""
        import os

        from instruments.instrument.loader import load_instrument

        self._other[:] = [load_instrument(x) if isinstance(x, (str, os.PathLike)) else x
                          for x in self._other]
        folders = tuple(f.strip() for f in os.environ.get(INSTRUMENTS_ENV_VAR, "").split(
            os.pathsep) if f.strip())
        if folders not in self._from_env:
            self._from_env[folders] = [load_instrument(f) for f in folders]
        return [self.instrument, self._base.instrument, *self._other, *self._from_env[folders]]

    def for_version(self, instrument_hash: str) -> ResponseStore | None:
        """The store serving instrument ``instrument_hash`` (this one, or a view on the same
        database with that instrument), or None when no known instrument has that hash."""
        if str(instrument_hash) == str(self.instrument.content_hash):
            return self
        if str(instrument_hash) == str(self._base.instrument.content_hash):
            return self._base
        if instrument_hash in self._views:
            return self._views[instrument_hash]
        for inst in self._known_instruments():
            if str(inst.content_hash) == str(instrument_hash):
                view = copy.copy(self)
                view._instrument = inst
                view._pages = None
                view._kinds = None
                view._before = None
                self._views[str(instrument_hash)] = view
                return view
        return None

    def for_token(self, token: str) -> ResponseStore:
        """The store serving the instrument of the token's wave (this one, usually).

        A survey page renders and submits through the returned store, so a respondent of
        a wave opened on another instrument version sees and answers that version.

        Raises
        ------
        ResponseError
            If the token is unknown, or its wave runs an instrument version this store
            was not given (``instruments=`` or ``ALLIANCE_SURVEY_INSTRUMENTS``).
        """
        row, _ = self._peek(token)
        if row is None:
            raise InvitationClosedError(UNKNOWN_TOKEN, "unknown")
        found = self.for_version(str(row.wave_hash or row.study_hash))
        if found is None:
            raise self._unserved(row)
        return found

    def _peek(self, token: str, *, answers: bool = False) -> tuple[Any, dict[str, Any] | None]:
        """The token's invitation with its wave, study and respondent (one row, None when
        the token is unknown) and, with ``answers=True``, the respondent's latest answers;
        read in one transaction that takes no lock (every survey page starts here)."""
        token_hash = checked_hash(token)
        q = _queries()
        try:
            with self._read_engine.connect() as conn:
                row = conn.execute(q.peek, {"token_hash": token_hash}).one_or_none()
                latest = None
                if answers and row is not None and row.respondent_id is not None:
                    latest = {}
                    for item_id, v_int, v_num, v_text in conn.execute(
                            q.answers, {"respondent_id": row.respondent_id}):
                        latest[item_id] = _value_of(v_text, v_num, v_int)
                    latest = _answered(latest)
                conn.rollback()
        except DBAPIError as exc:
            raise unavailable(self.url, exc) from exc
        return row, latest

    def _peeked_state(self, row: Any, latest: dict[str, Any]) -> RespondentState:
        """The :class:`RespondentState` of a row of :meth:`_peek` (a started invitation)."""
        return self._respondent_state(
            row.current_page,
            respondent_id=row.respondent_id,
            invitation_id=row.id,
            study=row.study_name,
            wave=row.wave_name,
            alliance_id=row.alliance_id,
            firm_role=row.firm_role,
            partner_name=row.partner_name,
            language=row.respondent_language or row.language,
            status=row.status,
            seed=row.seed,
            answers=latest,
            is_test=bool(row.is_test),
        )

    def _respondent_state(self, current_page: int, **fields: Any) -> RespondentState:
        """A :class:`RespondentState` whose page fields follow from the stored page number
        (past the last page: finished, no current page id)."""
        n_pages = len(self.pages)
        current = min(current_page, n_pages)
        return RespondentState(
            current_page=current,
            current_page_id=self.pages[current].id if current < n_pages else None,
            n_pages=n_pages,
            **fields,
        )

    def _usable(self, token: str, now: datetime) -> None:
        """Mark an expired invitation as such (committed) before reporting it."""
        # a usable invitation (the usual case) is only read: no write lock to queue for
        with self.session(read_only=True) as session:
            found = find_invitation(session, token)
            status = _Status(found.status, found.expires_at)
        try:
            check_usable(status, now)  # type: ignore[arg-type]
        except ResponseError:
            pass
        else:
            return
        with self.session() as session:
            invitation = find_invitation(session, token)
            try:
                check_usable(invitation, now)
            except ResponseError as exc:
                error = exc
            else:
                return
        raise error

    # -- respondents ------------------------------------------------------------------

    def start(self, token: str, *, now: datetime | None = None) -> RespondentState:
        """Open (or resume) the survey for an invitation token.

        The first call creates the respondent with its own seed for the item
        order and sets the invitation to ``started``; later calls return the
        stored progress and answers and change nothing (safe on every rerun of
        a Streamlit script).

        Parameters
        ----------
        token
            The token from the invitation link (``?t=TOKEN``).
        now
            Current time (for tests); default the clock.

        Raises
        ------
        ResponseError
            If the token is unknown, already completed, screened out or expired.
        """
        now = now or utcnow()
        # A respondent coming back (every page of the survey calls this) changes nothing:
        # read their state without taking the write lock.  The first visit and a link
        # that can no longer be used take the writing path below.
        row, latest = self._peek(token, answers=True)
        if row is not None and row.respondent_id is not None:
            served = self.for_version(str(row.wave_hash or row.study_hash))
            if served is not None:
                try:
                    check_usable(_Status(row.status, row.expires_at), now)  # type: ignore[arg-type]
                except ResponseError:
                    pass
                else:
                    return served._peeked_state(row, latest or {})
        self._usable(token, now)
        served = self.for_token(token)
        if served is not self:
            return served.start(token, now=now)
        try:
            # the write transaction only opens the respondent: the state is read after the
            # commit, without holding the store's write lock (on SQLite every writer
            # waits for it; a burst of new respondents queued behind these reads)
            with self.session() as session:
                invitation, respondent = self._open_respondent(session, token, now)
                opened = invitation.id, respondent.id
            with self.session(read_only=True) as session:
                invitation = session.get(Invitation, opened[0])
                respondent = session.get(Respondent, opened[1])
                return self._state(session, invitation, respondent)
        except IntegrityError:
            # Two tabs opened the link at the same moment: the other one created the
            # respondent; read it.
            with self.session() as session:
                invitation = find_invitation(session, token)
                return self._state(session, invitation, invitation.respondent)

    def state(self, token: str) -> RespondentState:
        """Return the stored progress of a token without changing anything.

        Unlike :meth:`start` this also works for completed invitations.
        """
        row, latest = self._peek(token, answers=True)
        if row is None:
            raise InvitationClosedError(UNKNOWN_TOKEN, "unknown")
        served = self.for_version(str(row.wave_hash or row.study_hash))
        if served is None:
            raise self._unserved(row)
        if row.respondent_id is None:
            raise ResponseError("This invitation has not been started yet.")
        return served._peeked_state(row, latest or {})

    def _state(
        self, session: Session, invitation: Invitation, respondent: Respondent
    ) -> RespondentState:
        latest = self._latest_answers(session, [respondent.id]).get(respondent.id, {})
        return self._respondent_state(
            respondent.current_page,
            respondent_id=respondent.id,
            invitation_id=invitation.id,
            study=session.get(Study, invitation.study_id).name,
            wave=invitation.wave.name,
            alliance_id=invitation.alliance_id,
            firm_role=invitation.firm_role,
            partner_name=invitation.partner_name,
            language=respondent.language or invitation.language,
            status=invitation.status,
            seed=respondent.seed,
            answers=latest,
            is_test=bool(invitation.is_test),
        )

    def item_order(self, seed: int, page: str | int) -> tuple[str, ...]:
        """Return the order in which a respondent with ``seed`` is shown the items of ``page``."""
        return shown_order(self.page(page), seed)

    @staticmethod
    def _latest_answers(session: Session, respondent_ids: list[int]) -> dict[int, dict[str, Any]]:
        if not respondent_ids:
            return {}
        newest = (
            select(func.max(Answer.id))
            .where(Answer.respondent_id.in_(respondent_ids))
            .group_by(Answer.respondent_id, Answer.item_id)
        )
        # plain columns, not ORM objects: tens of thousands of rows for a study of a few
        # hundred respondents, and building an object per row took most of the time
        rows = session.execute(
            select(Answer.respondent_id, Answer.item_id, Answer.value_text, Answer.value_num,
                   Answer.value_int).where(Answer.id.in_(newest))
        ).all()  # fmt: skip
        out: dict[int, dict[str, Any]] = {}
        for rid, item_id, text, num, code in rows:
            value = _value_of(text, num, code)
            if value is not None:  # None: the answer was taken back
                out.setdefault(rid, {})[item_id] = value
        return out

    # -- submissions ------------------------------------------------------------------

    def submit_page(
        self,
        token: str,
        page: str | int,
        answers: Mapping[str, Any],
        *,
        submission_key: str,
        shown_at: datetime | None = None,
        answered_at: Mapping[str, datetime] | None = None,
        now: datetime | None = None,
        language: str | None = None,
    ) -> SubmissionResult:
        """Validate and store one submitted page in a single transaction.

        Parameters
        ----------
        token
            The invitation token.
        page
            Page id (section id) or index.
        answers
            Item id to value (``None``/empty means unanswered).  Coded items take
            integer codes, free text is stored as given and never interpreted.
        submission_key
            Idempotency key of this page submission, created when the page was
            shown.  Submitting the same key again stores nothing and returns the
            first result with ``duplicate=True``.
        shown_at
            When the page was shown; default the respondent's previous page
            submission (or the start).  The page time is ``now - shown_at``.
        answered_at
            Optional per-item times at which the respondent answered.
        now
            Submission time (for tests); default the clock.
        language
            The language the page was shown in (one of the instrument's languages);
            the wide data's ``language`` is the one most pages were answered in.

        Returns
        -------
        SubmissionResult

        Raises
        ------
        ResponseError
            For an unknown, completed, screened-out or expired token, a page that
            does not exist or lies ahead of the respondent's progress, or (as
            :class:`~instruments.store.pages.PageValidationError`) any invalid
            answer.  Nothing is stored then.
        """
        from instruments.store.limits import encoding_problem

        if (not isinstance(submission_key, str) or not 0 < len(submission_key) <= 100
                or encoding_problem(submission_key)):
            raise ResponseError(
                "submission_key= must be a non-empty string of at most 100 characters."
            )
        from instruments.store.exclusions import CORRECTION_KEY

        if submission_key.startswith(CORRECTION_KEY):
            raise ResponseError(f"submission_key= may not start with {CORRECTION_KEY!r}: "
                                "that marks a study lead's correction.")
        now = now or utcnow()
        _check_times(shown_at, answered_at, now)
        token_hash = checked_hash(token)
        try:
            with self._connection() as conn:
                outcome = self._commit_page(
                    conn, token_hash, page, answers, submission_key, shown_at,
                    answered_at, now, language,
                )  # fmt: skip
        except IntegrityError:
            # The same key committed by a parallel request on another server process:
            # the page is stored once; this request gets the first one's result.
            served = self.for_token(token)
            stored = served._stored_submission(token, submission_key, served.page(page))
            if stored is None:
                raise
            return stored
        if isinstance(outcome, ResponseError):
            raise outcome  # an expiry, recorded in the committed transaction
        return outcome

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """One write transaction on a plain connection (the page commit's fast path);
        failures are reported as in :meth:`session`."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except IntegrityError:
            raise
        except DBAPIError as exc:
            raise unavailable(self.url, exc) from exc

    def _commit_page(
        self,
        conn: Any,
        token_hash: str,
        page: str | int,
        answers: Mapping[str, Any],
        submission_key: str,
        shown_at: datetime | None,
        answered_at: Mapping[str, datetime] | None,
        now: datetime,
        language: str | None,
        invitation: Any = None,
    ) -> SubmissionResult | ResponseError:
        """Check and write one page in the open transaction ``conn``.

        A page is the store's hottest path (every respondent, every "Next"), so it is one
        transaction of a few Core statements: the invitation (locked on PostgreSQL, so a
        double click waits for the first commit), the respondent with any earlier use of
        the key, the respondent's answers, then the inserts and updates.  Returns the
        result, or the error of an invitation that expired only now: the caller raises it
        after the transaction recorded the expiry.
        """
        q = _queries()
        if invitation is None:
            invitation = conn.execute(q.invitation, {"token_hash": token_hash}).one_or_none()
            if invitation is None:
                raise InvitationClosedError(UNKNOWN_TOKEN, "unknown")
            digest = invitation.wave_hash or invitation.study_hash
            served = self.for_version(str(digest))
            if served is None:
                raise self._unserved(invitation)
            if served is not self:
                return served._commit_page(conn, token_hash, page, answers, submission_key,
                                           shown_at, answered_at, now, language, invitation)
        spec = self.page(page)
        languages = tuple(getattr(self.instrument, "languages", ()) or ())
        if language is not None and languages and language not in languages:
            raise ResponseError(
                f"language={clip(language)} is not one of the instrument's languages "
                f"({', '.join(languages)})."
            )
        # Read after the invitation's lock: on PostgreSQL each statement sees the newest
        # commit, so a parallel submit of this respondent is seen complete or not at all.
        respondent = conn.execute(q.respondent, {"invitation_id": invitation.id,
                                                 "key": submission_key}).one_or_none()
        if respondent is not None and respondent.sub_id is not None:
            if respondent.sub_page != spec.id:
                raise ResponseError(
                    f"This submission key was already used for page {respondent.sub_page!r}; "
                    f"page {spec.id!r} needs a key of its own. Nothing was stored."
                )
            return self._submission_result(
                respondent.sub_id, respondent.id, respondent.sub_page,
                respondent.sub_page_index, respondent.sub_next_page, respondent.sub_n_answers,
                invitation.status == "completed", duplicate=True,
            )  # fmt: skip
        status = _Status(invitation.status, invitation.expires_at)
        try:
            check_usable(status, now)  # type: ignore[arg-type]
        except ResponseError as exc:
            if status.status != invitation.status:  # expired just now: record it
                conn.execute(q.set_status, {"row": invitation.id, "new_status": status.status})
            return exc
        latest: dict[str, Any] = {}
        if respondent is not None:
            for item_id, v_int, v_num, v_text in conn.execute(q.answers,
                                                              {"respondent_id": respondent.id}):
                latest[item_id] = _value_of(v_text, v_num, v_int)
            latest = _answered(latest)
        before = self._fields_before(spec.index)
        earlier = {k: v for k, v in latest.items() if k in before}
        valid = validate_page(spec, answers, earlier, language=language or invitation.language)
        self._check_consent(spec, valid)
        new_status = invitation.status
        if respondent is None:
            seed = secrets.randbelow(2**31)
            respondent_id = conn.execute(q.new_respondent, {
                "invitation_id": invitation.id, "current_page": 0, "seed": seed,
                "started_at": now, "last_activity_at": now,
            }).inserted_primary_key[0]  # fmt: skip
            current_page, last_activity, new_status = 0, now, "started"
        else:
            respondent_id = respondent.id
            current_page, last_activity = respondent.current_page, respondent.last_activity_at
            seed = respondent.seed
        if spec.index > current_page:
            raise ResponseError(
                f"Page {spec.id!r} cannot be submitted before the pages in front of it; "
                f"the respondent is on page {current_page + 1}."
            )
        begin = shown_at or last_activity
        duration = (now - begin).total_seconds() if begin is not None else None
        known = dict(latest)
        given = {v.item_id: _value_of(v.value_text, v.value_num, v.value_int) for v in valid}
        known.update(given)
        for f in spec.fields:  # an answer taken back on this page no longer counts
            if f.id not in given:
                known.pop(f.id, None)
        next_page = self.next_page(spec.index, known)
        sub_id = conn.execute(q.new_submission, {
            "respondent_id": respondent_id, "page": spec.id, "page_index": spec.index,
            "submission_key": submission_key, "shown_at": shown_at, "submitted_at": now,
            "duration_sec": duration, "n_answers": len(valid), "next_page": next_page,
            "language": language,
        }).inserted_primary_key[0]  # fmt: skip
        # an answer of this page that the page now comes without was taken back (a
        # number or text emptied after Back): a row with no value records that, so that
        # the emptied answer is not kept as the latest one (it had stayed in the data,
        # the exports and the page drawn again)
        cleared = [f.id for f in spec.fields if f.id not in given and f.id in latest]
        if valid or cleared:
            position = {item: k + 1 for k, item in enumerate(shown_order(spec, seed))}
            times = answered_at or {}
            conn.execute(q.new_answer, [*({
                "respondent_id": respondent_id, "submission_id": sub_id, "item_id": v.item_id,
                "value_int": v.value_int, "value_num": v.value_num, "value_text": v.value_text,
                "page": spec.id, "position": position.get(v.item_id),
                "answered_at": times.get(v.item_id), "submitted_at": now,
            } for v in valid), *({
                "respondent_id": respondent_id, "submission_id": sub_id, "item_id": item,
                "value_int": None, "value_num": None, "value_text": None, "page": spec.id,
                "position": position.get(item), "answered_at": times.get(item),
                "submitted_at": now,
            } for item in cleared)])  # fmt: skip
        current_page = max(current_page, next_page)
        completed_at = None
        completed = False
        screening = getattr(self.instrument, "screening", None)
        if screening is not None and spec.field(screening.question) is not None \
                and screening.screened_out(given.get(screening.question)):
            # Closed in the same transaction: no later page can be stored for a
            # respondent the screening question ended the survey for.
            new_status = "screened_out"
        else:
            completed = current_page >= len(self.pages)
            if completed and new_status != "completed":
                new_status, completed_at = "completed", now
        conn.execute(q.move_respondent if completed_at is None else q.complete_respondent, {
            "row": respondent_id, "to_page": current_page, "active_at": now,
            "done_at": completed_at,
        })  # fmt: skip
        if new_status != invitation.status:
            conn.execute(q.set_status, {"row": invitation.id, "new_status": new_status})
        return self._submission_result(sub_id, respondent_id, spec.id, spec.index, next_page,
                                       len(valid), completed, duplicate=False)

    def _fields_before(self, index: int) -> frozenset[str]:
        """Ids of the fields on the pages before page ``index`` (what its logic reads)."""
        if self._before is None:
            seen: set[str] = set()
            out = []
            for spec in self.pages:
                out.append(frozenset(seen))
                seen.update(f.id for f in spec.fields)
            self._before = tuple(out)
        return self._before[index]

    def _unserved(self, invitation: Any) -> ResponseError:
        """The refusal for an invitation whose wave runs an instrument this store lacks."""
        if invitation.wave_hash:
            iid, version, digest = (invitation.wave_instrument_id,
                                    invitation.wave_instrument_version, invitation.wave_hash)
        else:
            iid, version, digest = (invitation.study_instrument_id,
                                    invitation.study_instrument_version, invitation.study_hash)
        inst = self.instrument
        return InvitationClosedError(
            f"This invitation belongs to wave {invitation.wave_name!r} of study "
            f"{invitation.study_name!r}, which runs instrument {iid} version {version} "
            f"(hash {str(digest)[:12]}); this survey runs {inst.id} version {inst.version}; "
            f"answers are not accepted until the survey is given that version too "
            f"(instruments= or {INSTRUMENTS_ENV_VAR}). Nothing was stored.",
            "unserved",
        )

    def _check_consent(self, spec: PageSpec, valid: list) -> None:
        """Refuse a consent page whose answer is not the instrument's consent value."""
        consent = getattr(self.instrument, "consent", None)
        if consent is None or spec.field(consent.question) is None:
            return
        given = {v.item_id: v.value_int for v in valid}.get(consent.question)
        if given is None or int(given) != int(consent.accept_value):
            raise ResponseError(
                "Consent was not given, so nothing was stored; the survey can only be "
                "answered after agreeing on the consent page."
            )

    @staticmethod
    def _prior(session: Session, respondent_id: int, submission_key: str) -> PageSubmission | None:
        return session.scalars(
            select(PageSubmission).where(
                PageSubmission.respondent_id == respondent_id,
                PageSubmission.submission_key == submission_key,
            )
        ).one_or_none()

    def _repeat(self, sub: PageSubmission, spec: PageSpec, status: str) -> SubmissionResult:
        """The stored result of a repeated key; a key of another page is refused."""
        if sub.page != spec.id:
            raise ResponseError(
                f"This submission key was already used for page {sub.page!r}; page "
                f"{spec.id!r} needs a key of its own. Nothing was stored."
            )
        return self._result(sub, status == "completed", duplicate=True)

    def next_page(self, index: int, answers: Mapping[str, Any]) -> int:
        """The index of the first page after ``index`` that the survey logic shows to a
        respondent with ``answers`` (``len(pages)`` when none is left)."""
        for spec in self.pages[index + 1:]:
            if spec.shown(answers):
                return spec.index
        return len(self.pages)

    def previous_page(self, index: int, answers: Mapping[str, Any]) -> int:
        """The index of the last page before ``index`` that is shown (0 at the start)."""
        for spec in reversed(self.pages[:index]):
            if spec.shown(answers):
                return spec.index
        return 0

    def not_shown(self, answers: Mapping[str, Any], reached: int) -> list[str]:
        """Item ids the survey logic did not show on the first ``reached`` pages."""
        return [i for spec in self.pages[:reached] for i in spec.hidden(answers)]

    def _stored_submission(
        self, token: str, submission_key: str, spec: PageSpec
    ) -> SubmissionResult | None:
        with self.session(read_only=True) as session:
            invitation = find_invitation(session, token)
            respondent = invitation.respondent
            if respondent is None:
                return None
            sub = self._prior(session, respondent.id, submission_key)
            if sub is None:
                return None
            # Read the status again, after the submission: on PostgreSQL each statement
            # sees the newest commit, and the page and the completion it caused were
            # committed together after the first read.
            session.refresh(invitation, ["status"])
            return self._repeat(sub, spec, invitation.status)

    def _result(self, sub: PageSubmission, completed: bool, *, duplicate: bool) -> SubmissionResult:
        return self._submission_result(sub.id, sub.respondent_id, sub.page, sub.page_index,
                                       sub.next_page, sub.n_answers, completed,
                                       duplicate=duplicate)  # fmt: skip

    def _submission_result(
        self, submission_id: int, respondent_id: int, page: str, page_index: int,
        next_page: int, n_answers: int, completed: bool, *, duplicate: bool,
    ) -> SubmissionResult:  # fmt: skip
        n_pages = len(self.pages)
        return SubmissionResult(
            submission_id=submission_id,
            respondent_id=respondent_id,
            page=page,
            page_index=page_index,
            next_page=next_page,
            next_page_id=self.pages[next_page].id if next_page < n_pages else None,
            n_answers=n_answers,
            completed=completed,
            duplicate=duplicate,
        )

    def _open_respondent(
        self, session: Session, token: str, now: datetime
    ) -> tuple[Invitation, Respondent]:
        """Lock the token's invitation, check it is usable, and get or create its respondent."""
        invitation = find_invitation(session, token, for_update=True)
        check_usable(invitation, now)
        self._check_instrument(session, invitation)
        respondent = invitation.respondent
        if respondent is None:
            respondent = Respondent(
                invitation_id=invitation.id,
                current_page=0,
                seed=secrets.randbelow(2**31),
                started_at=now,
                last_activity_at=now,
            )
            session.add(respondent)
            invitation.status = "started"
        session.flush()
        return invitation, respondent

    def screen_out(self, token: str, *, now: datetime | None = None) -> None:
        """Close an invitation after a screening question (status ``screened_out``).

        The answers given so far stay in the log.
        """
        now = now or utcnow()
        with self.session() as session:
            invitation = find_invitation(session, token, for_update=True)
            if invitation.status == "screened_out":
                return
            if invitation.status == "completed":
                raise ResponseError("A completed response cannot be screened out.")
            invitation.status = "screened_out"
            if invitation.respondent is not None:
                invitation.respondent.last_activity_at = now

    # -- reading ----------------------------------------------------------------------

    def _study(self, session: Session, study: str) -> Study:
        found = session.scalars(select(Study).where(Study.name == study)).one_or_none()
        if found is None:
            names = session.scalars(select(Study.name).order_by(Study.name)).all()
            known = ", ".join(names) if names else "none yet"
            raise DataError(f"There is no study {study!r} in the store (studies: {known}).")
        return found

    def study_instrument(self, study: str) -> tuple[str, str, str]:
        """Return ``(instrument id, version, content hash)`` recorded for a study.

        Raises
        ------
        DataError
            If there is no such study.
        """
        with self.session() as session:
            st = self._study(session, study)
            return st.instrument_id, st.instrument_version, st.instrument_hash

    def _field_kinds(self) -> dict[str, str]:
        """Item id -> field kind, in the codebook's column order when the instrument has one."""
        if self._kinds is None:
            kinds = {f.id: f.kind for p in self.pages for f in p.fields}
            order: list[str] = []
            variables = getattr(self.instrument, "variables", None)
            if callable(variables):
                order = [v for v in variables()["variable"] if v in kinds]
            order += [k for k in kinds if k not in set(order)]
            self._kinds = {k: kinds[k] for k in order}
        return self._kinds

    def wide(
        self,
        study: str,
        *,
        completed_only: bool = False,
        include_screened_out: bool = False,
        meta: bool = False,
        include_test: bool = False,
        include_excluded: bool = False,
    ) -> pd.DataFrame:
        """The latest answer per item per respondent, one row per respondent.

        Columns: ``respondent_id``, ``alliance_id``, ``firm_role``, ``language``,
        ``duration_sec``, ``page_time_<page>`` for every page, then one column per
        item, attention check and question in instrument order (integer codes as
        float with ``NaN`` for missing, free text as text).  With ``meta=True``
        ``wave``, ``instrument_version``, ``status``, ``started_at``, ``completed_at``
        and ``not_shown`` (the ids of items the survey logic skipped, space-separated)
        follow the paradata.

        When waves of the study run different instrument versions, each respondent is
        laid out with their wave's version: the columns are those of this store's
        instrument followed by the items only an other version asked (empty for the
        respondents who were not asked them), and ``instrument_version`` follows the
        page times also without ``meta``.  Scoring pools them through
        :func:`instruments.instrument.versions.upgrade_data`, which reads
        ``instrument_version``.

        Parameters
        ----------
        study
            Study name.
        completed_only
            Keep only completed responses.
        include_screened_out
            Keep respondents who were screened out (default: dropped).
        meta
            Add the fieldwork columns named above.
        include_test
            Keep the study lead's preview (test) responses (default: dropped).
        include_excluded
            Keep respondents the study lead excluded from the analysis (default:
            dropped; the exports keep them with a flag).

        Withdrawn respondents (answers erased) never appear.
        """
        import numpy as np
        import pandas as pd

        with self.session() as session:
            st = self._study(session, study)
            rows = session.execute(
                select(Respondent, Invitation, Wave)
                .join(Invitation, Respondent.invitation_id == Invitation.id)
                .join(Wave, Invitation.wave_id == Wave.id)
                .where(Invitation.study_id == st.id)
                .order_by(Respondent.id)
            ).all()
            excluded = set() if include_excluded else set(session.scalars(
                select(AnalysisExclusion.invitation_id).where(
                    AnalysisExclusion.study_id == st.id, AnalysisExclusion.restored_at.is_(None))
            ))  # fmt: skip
            keep = []
            for respondent, invitation, wave in rows:
                if invitation.status == "withdrawn" or respondent.withdrawn_at is not None:
                    continue
                if invitation.id in excluded:
                    continue
                if invitation.is_test and not include_test:
                    continue
                if completed_only and invitation.status != "completed":
                    continue
                if invitation.status == "screened_out" and not include_screened_out:
                    continue
                keep.append((respondent, invitation, wave.name,
                             _wave_instrument(wave, st)))
            ids = [r.id for r, _, _, _ in keep]
            latest = self._latest_answers(session, ids)
            subs = (
                session.execute(
                    select(
                        PageSubmission.respondent_id,
                        PageSubmission.page,
                        PageSubmission.duration_sec,
                        PageSubmission.submitted_at,
                        PageSubmission.language,
                    ).where(PageSubmission.respondent_id.in_(ids))
                ).all()
                if ids
                else []
            )
        page_time: dict[tuple[int, str], float] = {}
        last_submit: dict[int, datetime] = {}
        last_lang: dict[tuple[int, str], tuple[datetime, str]] = {}
        for rid, page, duration, submitted, lang in subs:
            # a page submitted again (after going back) counts once, in its latest language
            if lang is not None and ((rid, page) not in last_lang
                                     or submitted >= last_lang[(rid, page)][0]):
                last_lang[(rid, page)] = (submitted, lang)
            if duration is not None:
                page_time[(rid, page)] = page_time.get((rid, page), 0.0) + duration
            if rid not in last_submit or submitted > last_submit[rid]:
                last_submit[rid] = submitted
        page_langs: dict[int, list[tuple[datetime, str]]] = {}
        for (rid, _page), entry in last_lang.items():
            page_langs.setdefault(rid, []).append(entry)
        # Each respondent is read with the instrument of their wave; the columns are this
        # store's instrument's, then those only an other wave's version has.
        served: dict[str, ResponseStore] = {}
        for *_, (iid, version, digest) in keep:
            if digest not in served:
                view = self.for_version(digest)
                if view is None:
                    raise DataError(
                        f"Study {study!r} has responses on instrument {iid} version "
                        f"{version} (hash {digest[:12]}), which this store was not given "
                        f"(instruments= or {INSTRUMENTS_ENV_VAR}); they cannot be laid out "
                        "without it."
                    )
                served[digest] = view
        views = [self, *[v for v in served.values() if v is not self]]
        kinds = dict(self._field_kinds())
        page_ids = [p.id for p in self.pages]
        for view in views[1:]:
            for k, v in view._field_kinds().items():
                kinds.setdefault(k, v)
            page_ids += [p.id for p in view.pages if p.id not in page_ids]
        records = []
        for respondent, invitation, wave, (_iid, version, digest) in keep:
            view = served[digest]
            end = respondent.completed_at or last_submit.get(respondent.id)
            rec: dict[str, Any] = {
                "respondent_id": respondent.id,
                "alliance_id": invitation.alliance_id,
                "firm_role": invitation.firm_role if invitation.firm_role else np.nan,
                "language": _answer_language(page_langs.get(respondent.id),
                                             invitation.language),
                "duration_sec": (
                    (end - respondent.started_at).total_seconds() if end is not None else np.nan
                ),
            }
            for pid in page_ids:
                rec[f"page_time_{pid}"] = page_time.get((respondent.id, pid), np.nan)
            rec["instrument_version"] = version
            if meta:
                rec["wave"] = wave
                rec["status"] = invitation.status
                rec["started_at"] = respondent.started_at
                rec["completed_at"] = respondent.completed_at
            answers = latest.get(respondent.id, {})
            # Survey logic: an item not shown is empty here (an answer given before the
            # respondent went back and changed the deciding answer no longer counts) and
            # named in ``not_shown``, so it is told apart from an item left unanswered.
            hidden = view.not_shown(answers, min(respondent.current_page, len(view.pages)))
            if meta:
                rec["not_shown"] = " ".join(hidden) if hidden else np.nan
            answers = {k: v for k, v in answers.items() if k not in set(hidden)}
            for item_id, kind in kinds.items():
                value = answers.get(item_id)
                if kind == "text":
                    rec[item_id] = value if value is not None else np.nan
                else:
                    rec[item_id] = float(value) if value is not None else np.nan
            records.append(rec)
        columns = list(ID_COLUMNS) + [f"page_time_{pid}" for pid in page_ids]
        if meta:
            columns += list(META_COLUMNS)
        elif len(views) > 1:
            # Rows of several instrument versions: the analysis pools them by this column.
            columns.append("instrument_version")
        columns += list(kinds)
        frame = pd.DataFrame.from_records(records, columns=columns)
        frame["respondent_id"] = frame["respondent_id"].astype("int64")
        for col in columns:
            if (
                col in ("duration_sec",)
                or col.startswith("page_time_")
                or (col in kinds and kinds[col] != "text")
            ):
                frame[col] = frame[col].astype("float64")
        return frame

    def answer_log(self, study: str) -> pd.DataFrame:
        """The append-only answer log of a study, one row per stored answer.

        Columns: ``answer_id``, ``respondent_id``, ``alliance_id``, ``firm_role``,
        ``submission_id``, ``submission_key``, ``page``, ``position`` (shown
        position on the page), ``item_id``, ``value_int``, ``value_num``,
        ``value_text``, ``answered_at``, ``submitted_at``.
        """
        import pandas as pd

        columns = [
            "answer_id", "respondent_id", "alliance_id", "firm_role", "submission_id",
            "submission_key", "page", "position", "item_id", "value_int", "value_num",
            "value_text", "answered_at", "submitted_at",
        ]  # fmt: skip
        with self.session() as session:
            st = self._study(session, study)
            rows = session.execute(
                select(
                    Answer.id,
                    Answer.respondent_id,
                    Invitation.alliance_id,
                    Invitation.firm_role,
                    Answer.submission_id,
                    PageSubmission.submission_key,
                    Answer.page,
                    Answer.position,
                    Answer.item_id,
                    Answer.value_int,
                    Answer.value_num,
                    Answer.value_text,
                    Answer.answered_at,
                    Answer.submitted_at,
                )  # fmt: skip
                .join(PageSubmission, Answer.submission_id == PageSubmission.id)
                .join(Respondent, Answer.respondent_id == Respondent.id)
                .join(Invitation, Respondent.invitation_id == Invitation.id)
                .where(Invitation.study_id == st.id, Invitation.is_test.is_(False))
                .order_by(Answer.id)
            ).all()
        frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)
        for col in ("value_int", "value_num", "position"):
            frame[col] = pd.to_numeric(frame[col]).astype("float64")
        return frame
