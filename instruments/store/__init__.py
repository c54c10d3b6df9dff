"""The durable response store (SQLAlchemy 2, Alembic migrations).

A SQLite file by default (WAL, busy timeout), PostgreSQL for deployments::

    from instruments.store import ResponseStore
    store = ResponseStore()                       # ALLIANCE_SURVEY_DB or data/alliance_survey.sqlite
    state = store.start(token)                    # resume where the respondent left off
    store.submit_page(token, "trust", {"trust_1": 5}, submission_key=key)
    wide = store.wide("pilot")                    # canonical wide layout

A new instrument version enters a running study only as a new wave
(:func:`instruments.store.waves.open_wave`); each respondent answers the version of their
wave (:meth:`ResponseStore.for_token`).

Studies, waves and invitations are managed with :mod:`instruments.fieldwork.invitations`,
passwords with :mod:`instruments.fieldwork.auth`, exports with :mod:`instruments.fieldwork.exports`.
"""

from instruments.store import (
    exclusions,  # noqa: F401  (registers the analysis exclusions)
    mailtables,  # noqa: F401  (registers the mail tables)
    prereg,  # noqa: F401  (registers the plan tables)
    sessiontables,  # noqa: F401  (registers the login sessions)
)
from instruments.store.engine import (
    DB_ENV_VAR,
    DEFAULT_DB_URL,
    StoreUnavailableError,
    make_engine,
    resolve_url,
)
from instruments.store.migrate import current_revision, ensure_schema, head_revision, upgrade
from instruments.store.pages import FieldSpec, PageSpec, PageValidationError, validate_page
from instruments.store.responses import RespondentState, ResponseStore, SubmissionResult
from instruments.store.tokens import hash_token, new_token

__all__ = [
    "DB_ENV_VAR",
    "DEFAULT_DB_URL",
    "FieldSpec",
    "PageSpec",
    "PageValidationError",
    "RespondentState",
    "ResponseStore",
    "StoreUnavailableError",
    "SubmissionResult",
    "current_revision",
    "ensure_schema",
    "hash_token",
    "head_revision",
    "make_engine",
    "new_token",
    "resolve_url",
    "upgrade",
    "validate_page",
]
