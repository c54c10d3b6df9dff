"""The study lead's password: argon2 hashes, no default password, throttled logins.

No IP addresses or other identifiers of the person logging in are stored; the
back-off state (failed attempts, locked-until time) is kept per study in the
database, so it holds across app replicas and restarts.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from analysis.errors import DataError, ResponseError
from instruments.store.models import Study, utcnow
from instruments.store.responses import ResponseStore

#: Failed attempts allowed before the back-off starts.
FREE_ATTEMPTS = 3
#: First back-off in seconds; it doubles with every further failure.
BASE_DELAY_SEC = 2.0
#: Longest back-off in seconds.
MAX_DELAY_SEC = 900.0
#: Shortest password accepted by :func:`set_password`.
MIN_PASSWORD_LENGTH = 12


class LoginThrottledError(ResponseError):
    """Too many failed logins: the study's dashboard is locked for ``retry_after`` seconds."""

    def __init__(self, study: str, retry_after: float) -> None:
        self.retry_after = retry_after
        wait = max(1, round(retry_after))
        super().__init__(
            f"Too many failed password attempts for study {study!r}; "
            f"try again in {wait} second{'' if wait == 1 else 's'}."
        )


def _hasher():  # noqa: ANN202
    from argon2 import PasswordHasher

    return PasswordHasher()


def backoff_seconds(failed_attempts: int) -> float:
    """Lock time after ``failed_attempts`` consecutive failures.

    Zero for the first :data:`FREE_ATTEMPTS` failures, then
    ``BASE_DELAY_SEC * 2**(k-1)`` for the k-th failure beyond them, at most
    :data:`MAX_DELAY_SEC`.
    """
    extra = failed_attempts - FREE_ATTEMPTS
    if extra <= 0:
        return 0.0
    return float(min(MAX_DELAY_SEC, BASE_DELAY_SEC * 2.0 ** min(extra - 1, 30)))


def _study(session, name: str) -> Study:  # noqa: ANN001
    found = session.scalars(select(Study).where(Study.name == name)).one_or_none()
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
        password is shorter than :data:`MIN_PASSWORD_LENGTH`.
    """
    if password is None:
        password = secrets.token_urlsafe(18)
    elif len(password) < MIN_PASSWORD_LENGTH:
        raise DataError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    digest = _hasher().hash(password)
    with store.session() as session:
        st = _study(session, study)
        if st.password_hash is not None and not replace:
            raise DataError(
                f"Study {study!r} has a password already; pass replace=True to set a new one."
            )
        st.password_hash = digest
        st.failed_logins = 0
        st.locked_until = None
    return password


def verify_password(
    store: ResponseStore, study: str, password: str, *, now: datetime | None = None
) -> bool:
    """Check the study lead's password, with exponential back-off after failures.

    Returns
    -------
    bool
        ``True`` for the right password (which resets the failure count),
        ``False`` for a wrong one (which is counted).

    Raises
    ------
    LoginThrottledError
        While the study is locked after repeated failures; the attempt is not
        checked (so guessing during the lock gains nothing).
    DataError
        If the study does not exist or has no password yet.
    """
    from argon2.exceptions import InvalidHashError, VerificationError

    now = now or utcnow()
    hasher = _hasher()
    with store.session() as session:
        st = _study(session, study)
        if st.password_hash is None:
            raise DataError(f"Study {study!r} has no password yet; create one with set_password().")
        if st.locked_until is not None and st.locked_until > now:
            error = LoginThrottledError(study, (st.locked_until - now).total_seconds())
        else:
            error = None
            try:
                ok = hasher.verify(st.password_hash, password)
            except (VerificationError, InvalidHashError):
                ok = False
            if ok:
                st.failed_logins = 0
                st.locked_until = None
                if hasher.check_needs_rehash(st.password_hash):
                    st.password_hash = hasher.hash(password)
                return True
            st.failed_logins += 1
            delay = backoff_seconds(st.failed_logins)
            st.locked_until = now + timedelta(seconds=delay) if delay > 0 else None
            return False
    raise error
