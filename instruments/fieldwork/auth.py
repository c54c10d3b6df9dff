"""The study lead's password: argon2 hashes, no default password, throttled logins.

Failed logins are counted per study **and per client** (a salted hash of whatever
identifies the client to the app, never the address itself), so one client guessing
passwords locks only itself out, not the study lead.  A study-wide count with a
higher allowance and a short cap bounds guessing from many clients; the study lead
can always get back in with ``alliance-survey password --study NAME``, which sets a
new password and clears every lock.  The counters are updated while the study's row
is locked (``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so
parallel attempts cannot lose updates.  An unknown study, a study without a password
and a wrong password get the same answer (``False``).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from analysis.errors import DataError, ResponseError
from instruments.store.limits import max_length
from instruments.store.models import LoginThrottle, Study, utcnow
from instruments.store.responses import ResponseStore

#: Failed attempts of one client allowed before its back-off starts.
FREE_ATTEMPTS = 3
#: First back-off in seconds; it doubles with every further failure.
BASE_DELAY_SEC = 2.0
#: Longest back-off of one client in seconds.
MAX_DELAY_SEC = 900.0
#: Failed attempts of all clients together before the study-wide back-off starts.
STUDY_FREE_ATTEMPTS = 30
#: Longest study-wide back-off in seconds: short, because it also holds the study lead.
STUDY_MAX_DELAY_SEC = 60.0
#: Shortest password accepted by :func:`set_password`.
MIN_PASSWORD_LENGTH = 12
#: Fewest different characters in a password (refuses "            " and "aaaaaaaaaaaa").
MIN_DISTINCT_CHARACTERS = 6
#: Longest password accepted (hashing a megabyte per attempt is a denial of service).
MAX_PASSWORD_LENGTH = 1024
#: The bucket of attempts whose client the caller cannot name.
UNKNOWN_CLIENT = "unknown"


class LoginThrottledError(ResponseError):
    """Too many failed logins: this client must wait ``retry_after`` seconds."""

    def __init__(self, study: str, retry_after: float) -> None:
        self.retry_after = retry_after
        wait = max(1, round(retry_after))
        super().__init__(
            f"Too many failed password attempts for study {study!r}; "
            f"try again in {wait} second{'' if wait == 1 else 's'}. The study lead can set "
            "a new password with `alliance-survey password --study NAME`."
        )


def _hasher():  # noqa: ANN202
    from argon2 import PasswordHasher

    return PasswordHasher()


def backoff_seconds(failed_attempts: int, free: int = FREE_ATTEMPTS,
                    cap: float = MAX_DELAY_SEC) -> float:
    """Lock time after ``failed_attempts`` consecutive failures.

    Zero for the first ``free`` failures, then ``BASE_DELAY_SEC * 2**(k-1)`` for the
    k-th failure beyond them, at most ``cap``.

    Raises
    ------
    DataError
        If ``failed_attempts`` or ``free`` is not a whole number from 0, or ``cap`` not a
        number from 0 ('5' ended in a TypeError, NaN gave the longest lock, True none).
    """
    import math
    import numbers

    from analysis.errors import is_whole

    for label, value in (("failed_attempts=", failed_attempts), ("free=", free)):
        if not is_whole(value) or value < 0:
            raise DataError(f"{label} must be a whole number from 0, not "
                            f"{type(value).__name__} {value!r:.60}.")
    if isinstance(cap, bool) or not isinstance(cap, numbers.Real) or math.isnan(cap) \
            or cap < 0:
        raise DataError(f"cap= must be a number of seconds from 0, not "
                        f"{type(cap).__name__} {cap!r:.60}.")
    extra = failed_attempts - free
    if extra <= 0:
        return 0.0
    return float(min(cap, BASE_DELAY_SEC * 2.0 ** min(extra - 1, 30)))


def check_password_strength(password: object) -> str:
    """Return ``password`` if it is acceptable, else raise ``DataError`` saying why.

    At least :data:`MIN_PASSWORD_LENGTH` characters, of which at least
    :data:`MIN_DISTINCT_CHARACTERS` different and not all white space; at most
    :data:`MAX_PASSWORD_LENGTH`; no NUL characters.
    """
    if not isinstance(password, str):
        raise DataError("The password must be text.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DataError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DataError(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.")
    if "\x00" in password:
        raise DataError("The password must not contain NUL characters.")
    if not password.strip() or len(set(password)) < MIN_DISTINCT_CHARACTERS:
        raise DataError(
            f"The password is too easy to guess: use at least {MIN_DISTINCT_CHARACTERS} "
            "different characters, not only spaces or one repeated character."
        )
    return password


def client_key(study_id: int, client: str | None) -> str:
    """The stored form of a client identifier: a hash salted with the study, never the text."""
    text = f"alliance-survey-login:{study_id}:{client or UNKNOWN_CLIENT}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _study(session, name: str, *, lock: bool = False) -> Study:  # noqa: ANN001
    stmt = select(Study).where(Study.name == name)
    if lock:
        stmt = stmt.with_for_update()
    found = session.scalars(stmt).one_or_none()
    if found is None:
        raise DataError(f"There is no study {name!r}.")
    return found


def has_password(store: ResponseStore, study: str) -> bool:
    """Whether a study-lead password has been set for ``study``."""
    with store.session() as session:
        return _study(session, study).password_hash is not None


def set_password(
    store: ResponseStore, study: str, password: str | None = None, *, replace: bool = False
) -> str:
    """Set the study lead's password and return it (the only time it is shown).

    Parameters
    ----------
    store, study
        The store and the study name.
    password
        The new password; when ``None`` a random one is generated
        (``secrets.token_urlsafe(18)``).  There is no default password.
    replace
        Allow replacing an existing password.

    Returns
    -------
    str
        The password in clear, to hand to the study lead now; only its argon2
        hash is stored.

    Raises
    ------
    DataError
        If a password is set already (and ``replace`` is false) or the given
        password fails :func:`check_password_strength`.  Setting a password clears
        every login lock of the study.
    ResponseError
        If the password was replaced by someone else while this one was hashed (two
        resets at once): theirs stays, and this one -- which would have been shown
        while the other was in force, or the other way round -- is not set.
    """
    if password is None:
        password = secrets.token_urlsafe(18)
    else:
        check_password_strength(password)
    with store.session() as session:
        before = _study(session, study).password_hash
    digest = _hasher().hash(password)  # slow on purpose: another reset may finish meanwhile
    with store.session() as session:
        st = _study(session, study, lock=True)
        if st.password_hash is not None and not replace:
            raise DataError(
                f"Study {study!r} has a password already; pass replace=True to set a new one."
            )
        if st.password_hash != before:
            # Two resets at once both printed "the new password"; the first one printed
            # no longer opened the dashboard.
            raise ResponseError(
                f"The study-lead password of {study!r} was replaced by another reset while "
                "this one ran; that password stays and this one was not set. Run the reset "
                "again if you need yet another password."
            )
        st.password_hash = digest
        st.failed_logins = 0
        st.locked_until = None
        for row in session.scalars(select(LoginThrottle).where(LoginThrottle.study_id == st.id)):
            session.delete(row)
    return password


def verify_password(
    store: ResponseStore,
    study: str,
    password: str,
    *,
    client: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Check the study lead's password, with exponential back-off after failures.

    Parameters
    ----------
    store, study
        The store and the study name.
    password
        The password typed in.
    client
        What identifies the client to the caller (e.g. its address); only a salted
        hash of it is stored.  Attempts without one share one bucket.
    now
        Current time (for tests).

    Returns
    -------
    bool
        ``True`` for the right password (which resets the client's failure count),
        ``False`` for a wrong one (which is counted) -- and also for a study that does
        not exist or has no password yet, so that a login form does not reveal which
        studies exist.

    Raises
    ------
    LoginThrottledError
        While this client (or, after many failures from many clients, the study) is
        locked; the attempt is not checked, so guessing during the lock gains nothing.
    """
    from argon2.exceptions import InvalidHashError, VerificationError

    now = now or utcnow()
    hasher = _hasher()
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        password = ""
    with store.session() as session:
        st = session.scalars(
            select(Study).where(Study.name == study).with_for_update()
        ).one_or_none() if isinstance(study, str) and len(study) <= max_length("study_name") else None
        if st is None or st.password_hash is None:
            # The same work and answer as a wrong password.
            try:
                hasher.verify(_decoy(), password)
            except (VerificationError, InvalidHashError):
                pass
            return False
        key = client_key(st.id, client)
        row = session.scalars(
            select(LoginThrottle).where(LoginThrottle.study_id == st.id,
                                        LoginThrottle.client == key)
        ).one_or_none()
        if row is None:
            row = LoginThrottle(study_id=st.id, client=key, failed_logins=0)
            session.add(row)
        waits = [t for t in (row.locked_until, st.locked_until) if t is not None and t > now]
        if waits:
            error = LoginThrottledError(study, (max(waits) - now).total_seconds())
        else:
            error = None
            try:
                ok = hasher.verify(st.password_hash, password)
            except (VerificationError, InvalidHashError):
                ok = False
            if ok:
                row.failed_logins = 0
                row.locked_until = None
                st.failed_logins = 0
                st.locked_until = None
                if hasher.check_needs_rehash(st.password_hash):
                    st.password_hash = hasher.hash(password)
                return True
            row.failed_logins += 1
            delay = backoff_seconds(row.failed_logins)
            row.locked_until = now + timedelta(seconds=delay) if delay > 0 else None
            st.failed_logins += 1
            study_delay = backoff_seconds(st.failed_logins, STUDY_FREE_ATTEMPTS,
                                          STUDY_MAX_DELAY_SEC)
            st.locked_until = now + timedelta(seconds=study_delay) if study_delay > 0 else None
            return False
    raise error


@functools.cache
def _decoy() -> str:
    """A hash of a random password, verified against when there is no real hash to check."""
    return _hasher().hash(secrets.token_urlsafe(18))
