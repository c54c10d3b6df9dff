"""Database URLs and engines for the response store.

SQLite (the default, a file under ``data/``) gets write-ahead logging and a busy
timeout on every connection, and every transaction starts with ``BEGIN
IMMEDIATE`` so that concurrent writers queue up instead of failing with
"database is locked".  Inside one process the writers queue on a lock of the engine
(:class:`WriteGate`) before they ask SQLite: SQLite lets only one writer in at a time,
and a writer that finds the file locked sleeps in SQLite's busy handler for up to 100 ms
per try, so under a burst of respondents the waits, not the work, made the slow pages.
The write-ahead log is copied into the database file by a thread of the engine when the
writers pause (:class:`Checkpointer`), not by the commit that happens to fill it: that
copy syncs the file to disk, and done inside a commit it held every queued writer for
its length.
PostgreSQL is reached with ``postgresql+psycopg://``, with a small connection pool that
the app's threads queue for (:data:`POOL_SIZE`).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from analysis.errors import AllianceSurveyError, DataError, clip

#: Environment variable that names the database when no URL is passed.
DB_ENV_VAR = "ALLIANCE_SURVEY_DB"
#: Used when neither an argument nor the environment names a database.
DEFAULT_DB_URL = "sqlite:///data/alliance_survey.sqlite"
#: Milliseconds a SQLite connection waits for a lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Commits of one SQLite engine after which its :class:`Checkpointer` copies the
#: write-ahead log into the database file (a page save writes 5 to 10 pages of the file).
CHECKPOINT_EVERY_COMMITS = 100
#: SQLite's own automatic checkpoint, left as a backstop only (pages of the write-ahead
#: log, about 40 MB): it runs inside the commit that crosses it (see Checkpointer).
SQLITE_WAL_BACKSTOP_PAGES = 10_000
#: Environment variable: connections a PostgreSQL engine keeps open (default below).
POOL_ENV_VAR = "ALLIANCE_SURVEY_DB_POOL"
#: Seconds to wait for a PostgreSQL server to complete a new connection (generous: a
#: local server on a loaded machine can take seconds to fork a backend).
PG_CONNECT_TIMEOUT_SEC = 10
#: Open PostgreSQL connections per engine.  A page is one short transaction of a few round
#: trips; between them the app's thread needs Python's interpreter lock again, and the
#: server needs a core.  With more connections than that, threads holding a transaction
#: wait behind the others for both, and every page gets slower: the app's threads queue
#: for a free connection instead (no overflow).  With 50 threads on 2 cores, 50
#: connections gave a p99 page commit of 370 ms, 10 gave 77 ms, 5 gave 40-57 ms.
#: ``ALLIANCE_SURVEY_DB_POOL`` sets another size (a server with more cores).
POOL_SIZE = 5
POOL_OVERFLOW = 0


class StoreUnavailableError(AllianceSurveyError, SQLAlchemyError):
    """The response store cannot be reached, opened or written (server down, read-only file).

    The message names the database without its password; ``detail`` keeps the driver's
    own text for the server log (never shown to a respondent).  It is also a
    ``SQLAlchemyError``, so callers that treat any database failure as "try again later"
    keep doing so.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        self.detail = detail
        super().__init__(message)


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return clip(re.sub(r"(://[^:/@\s]*):[^@\s]*@", r"\1:***@", url))


def parse_url(url: str, option: str = "--db") -> URL:
    """``url`` parsed, or a :class:`DataError` naming it (its password masked).

    SQLAlchemy raises ``ArgumentError`` for a URL without a scheme and a bare
    ``ValueError`` for a port that is not a number (``host:abc``, ``[::1`` without its
    bracket): the latter ended every command in an internal error.
    """
    try:
        return make_url(url)
    except (ArgumentError, ValueError) as exc:
        why = ("its host or port cannot be read (a port is a number, an IPv6 address "
               "stands in [brackets])" if isinstance(exc, ValueError) else
               "it is not of the form sqlite:///FILE or postgresql+psycopg://USER@HOST/DB")
        raise DataError(f"Cannot parse the database URL {safe_url(url)} ({option} or "
                        f"${DB_ENV_VAR}): {why}.") from exc


def unavailable(url: str, exc: BaseException) -> StoreUnavailableError:
    """A :class:`StoreUnavailableError` for a failed database operation on ``url``."""
    detail = str(exc).strip()
    first = detail.splitlines()[0] if detail else type(exc).__name__
    return StoreUnavailableError(
        f"The response store {safe_url(url)} cannot be used right now: {clip(first, 200)} "
        + _advice(detail.lower()),
        detail=detail,
    )


def _advice(detail: str) -> str:
    """What to do about a failed database operation, by SQLite's or the server's words
    (a locked file or one that is no database was told to check the server)."""
    if "database is locked" in detail or "database table is locked" in detail:
        return ("Another program holds the store locked (a long transaction, a database "
                "browser, a stuck process); close it or wait, and try again.")
    if "file is not a database" in detail or "malformed" in detail:
        return ("The file is not an SQLite database or it is damaged; check the database "
                "URL (restore a damaged store from its backup).")
    if "connection timeout expired" in detail:
        return (f"Something answers at that host and port but completed no connection "
                f"within {PG_CONNECT_TIMEOUT_SEC} s; check that they are the PostgreSQL "
                "server's (or add ?connect_timeout=SECONDS to the URL for a slow network).")
    if "password authentication failed" in detail:
        return "Check the user name and password in the database URL."
    return "Check that the database server is running and the file is writable."


def resolve_url(url: str | None = None) -> str:
    """Return the database URL to use.

    Parameters
    ----------
    url
        An explicit SQLAlchemy URL.  When ``None`` the environment variable
        ``ALLIANCE_SURVEY_DB`` is used, then ``sqlite:///data/alliance_survey.sqlite``
        (relative to the working directory).

    Returns
    -------
    str
        The URL.  A plain ``postgresql://`` URL is given the ``psycopg`` driver.
    """
    if url is not None and not isinstance(url, str):
        raise DataError(f"The database URL must be text such as sqlite:///FILE or "
                        f"postgresql+psycopg://USER@HOST/DB, not {type(url).__name__} "
                        f"{clip(url)}.")
    if url is not None and not url.strip():
        # '--db "$DB"' with DB unset: the default store was used (and made) without a word
        raise DataError("The database URL (--db) is empty; give sqlite:///FILE or "
                        "postgresql+psycopg://USER@HOST/DB, or leave out --db to use "
                        f"${DB_ENV_VAR} or the default store.")
    chosen = url or os.environ.get(DB_ENV_VAR) or DEFAULT_DB_URL
    if chosen.startswith("postgresql://") or chosen.startswith("postgres://"):
        chosen = "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


def _ensure_wal(cursor) -> None:  # noqa: ANN001
    """Switch the file to WAL once (the mode is stored in the file).

    Changing the journal mode needs the database to itself, and SQLite may answer
    "database is locked" at once instead of waiting when many connections open a new
    file together; retry with a short, jittered pause up to the busy timeout.
    """
    import random
    import sqlite3
    import time

    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000.0
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                raise
            time.sleep(0.005 + 0.02 * random.random())


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # noqa: ANN001
    # Hand transaction control to SQLAlchemy's "begin" event below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _ensure_wal(cursor)
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_WAL_BACKSTOP_PAGES}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # an erased answer is overwritten in the file, not only unlinked from it (SQLite's
        # default build leaves deleted rows readable in free space; see scrub_erased)
        cursor.execute("PRAGMA secure_delete = ON")
    finally:
        cursor.close()


#: How long an erasure's checkpoint waits for readers of older snapshots (ms).
SCRUB_WAIT_MS = 2000


def scrub_erased(engine: Engine) -> bool:
    """Leave no copy of rows just erased in a SQLite store's files; True when done.

    With ``secure_delete`` the deleted rows are overwritten, but in WAL mode the pages
    that held them stay in the write-ahead log (``-wal``) until it is reused, which in a
    running app can take weeks.  A truncating checkpoint copies the log into the
    database file and empties it.  It cannot finish while another connection is reading
    an older snapshot, or when SQLite refuses it: then False (the erasure itself is
    committed; the next erasure's checkpoint empties the log).  Nothing to do on
    PostgreSQL, whose deleted rows are removed by (auto)vacuum.
    """
    import sqlite3

    if engine.dialect.name != "sqlite":
        return True
    # on the DBAPI connection: a checkpoint cannot run inside the transaction SQLAlchemy
    # would begin (the pool's connections run in autocommit, see _sqlite_pragmas)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            # a reader of an older snapshot (an analysis reading the study) is waited for
            # a moment only: the respondent who withdrew is waiting for the page
            cursor.execute(f"PRAGMA busy_timeout = {SCRUB_WAIT_MS}")
            busy, _log, _moved = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error:
            busy = 1
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()
    finally:
        raw.close()
    return not busy


#: Execution option of a connection whose transactions only read (see ``read_only_engine``).
READ_ONLY_OPTION = "alliance_read_only"


class WriteGate:
    """One SQLite writer at a time within this process, first come first served.

    Taken before ``BEGIN IMMEDIATE`` and released after the commit or rollback (or when
    the connection goes back to the pool, whatever happened), so a writer of this process
    never meets another one's lock inside SQLite and never sleeps in the busy handler.
    Waiting writers go in in the order they came (a plain lock lets a newcomer overtake
    and leaves an unlucky writer waiting for many turns).  Other processes on the same
    file still meet SQLite's lock and its busy timeout.  A writer that waited the whole
    busy timeout goes ahead without the gate (SQLite's own lock still protects the
    file), so a lost release can slow writers but never stop them.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._busy = False
        self._holder: Any = None
        self._free_since = time.monotonic()

    def quiet_for(self) -> float:
        """Seconds since the last writer left with nobody waiting (0 while one writes)."""
        with self._mutex:
            return 0.0 if self._busy else time.monotonic() - self._free_since

    def enter(self, key: Any) -> None:
        """Wait for the gate on behalf of the DBAPI connection ``key``."""
        with self._mutex:
            if not self._busy:
                self._busy, self._holder = True, key
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        handed = turn.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000.0)
        with self._mutex:
            if not handed:
                try:
                    self._waiting.remove(turn)
                    return  # gave up waiting: go ahead without the gate
                except ValueError:
                    pass  # handed over just as the wait ran out
            self._holder = key

    def leave(self, key: Any) -> bool:
        """Open the gate to the next writer if ``key`` holds it; False when it did not."""
        with self._mutex:
            if key is None or self._holder is not key:
                return False
            self._holder = None
            if self._waiting:
                self._waiting.popleft().release()  # the gate stays busy: handed over
            else:
                self._busy, self._free_since = False, time.monotonic()
            return True


class Checkpointer:
    """Copies a SQLite engine's write-ahead log into the database file when writers pause.

    SQLite's automatic checkpoint runs inside the commit that fills the log past 1,000
    pages; the copy syncs the database file to disk, which on a busy disk took 20 to 260
    ms, and that commit held the :class:`WriteGate` all the while, so every writer queued
    behind it waited as long.  A checkpoint beside the writers is no cure: while the
    file is synced, their appends to the log stall too (measured: 100 to 500 ms stalls
    during a burst).  So every :data:`CHECKPOINT_EVERY_COMMITS` commits a thread of the
    engine waits until no writer has come for :attr:`QUIET_SECONDS` and then runs a
    passive checkpoint on a connection of its own (it takes no write lock, so a writer
    who comes meanwhile is not refused).  A burst is written to the log alone; SQLite's
    own checkpoint stays as a backstop at :data:`SQLITE_WAL_BACKSTOP_PAGES` for writers
    that never pause.  Durability is unchanged: a commit is in the log exactly as
    before, and the checkpoint syncs as SQLite's own does.  The thread is started when
    needed and ends after :attr:`IDLE_SECONDS` without work.
    """

    #: Seconds without a checkpoint to do after which the thread ends.
    IDLE_SECONDS = 2.0
    #: Seconds without a writer before a due checkpoint runs.
    QUIET_SECONDS = 0.05

    def __init__(self, engine: Engine, gate: WriteGate | None = None,
                 every: int = CHECKPOINT_EVERY_COMMITS) -> None:
        self._engine = engine
        self._gate = gate
        #: Commits between two checkpoints.
        self.every = every
        self._mutex = threading.Lock()
        self._wake = threading.Event()
        self._commits = 0
        self._thread: threading.Thread | None = None
        #: Checkpoints run so far (for tests and benchmarks).
        self.runs = 0

    def committed(self) -> None:
        """Count one commit; wake the thread when a checkpoint is due."""
        with self._mutex:
            self._commits += 1
            if self._commits < self.every:
                return
            self._commits = 0
            self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, daemon=True,
                                                name="alliance-store-checkpoint")
                self._thread.start()

    def stop(self) -> None:
        """Forget a pending checkpoint (the engine was disposed); the thread then ends."""
        with self._mutex:
            self._commits = 0
            self._wake.clear()

    def _loop(self) -> None:
        while True:
            if not self._wake.wait(self.IDLE_SECONDS):
                with self._mutex:
                    if not self._wake.is_set():
                        self._thread = None
                        return
            self._wake.clear()
            if self._gate is not None:
                while (quiet := self._gate.quiet_for()) < self.QUIET_SECONDS:
                    time.sleep(self.QUIET_SECONDS - quiet)
            self.checkpoint()

    def checkpoint(self) -> bool:
        """Run one passive checkpoint now; True when the whole log was copied."""
        import sqlite3

        try:
            raw = self._engine.raw_connection()
        except SQLAlchemyError:
            return False
        try:
            cursor = raw.cursor()
            try:
                busy, log, moved = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            finally:
                cursor.close()
        except sqlite3.Error:
            return False
        finally:
            raw.close()
        self.runs += 1
        return not busy and log == moved


def checkpointer(engine: Engine) -> Checkpointer | None:
    """The :class:`Checkpointer` of a SQLite engine made by :func:`make_engine`."""
    return getattr(engine.dialect, "alliance_checkpointer", None)


def _raw(connection: Any) -> Any:
    """The DBAPI connection behind a pooled connection (or the connection itself)."""
    return getattr(connection, "dbapi_connection", connection)


def _gate_sqlite(engine: Engine) -> None:
    """Queue this engine's writers on a :class:`WriteGate` (see the module notes)."""
    gate = WriteGate()
    copier = Checkpointer(engine, gate)
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def begin(conn) -> None:  # noqa: ANN001
        # Take the write lock at the start: a deferred transaction that later tries to
        # write can fail at once with SQLITE_BUSY, which busy_timeout does not cover.
        # A transaction that only reads needs no lock at all in WAL mode (readers see
        # the last commit and never wait for a writer), so it begins deferred.
        if conn.get_execution_options().get(READ_ONLY_OPTION):
            conn.exec_driver_sql("BEGIN")
            return
        key = _raw(conn.connection)
        gate.enter(key)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            gate.leave(key)
            raise

    def do_commit(dbapi_connection) -> None:  # noqa: ANN001
        wrote = False
        try:
            commit(dbapi_connection)
        finally:
            wrote = gate.leave(_raw(dbapi_connection))
        if wrote:  # a transaction that only read adds nothing to the log
            copier.committed()

    def do_rollback(dbapi_connection) -> None:  # noqa: ANN001
        try:
            rollback(dbapi_connection)
        finally:
            gate.leave(_raw(dbapi_connection))

    def returned(dbapi_connection, *_args) -> None:  # noqa: ANN001
        gate.leave(dbapi_connection)

    # The dialect object belongs to this engine alone (create_engine makes a new one).
    dialect.alliance_checkpointer = copier  # type: ignore[attr-defined]
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]
    event.listen(engine, "begin", begin)
    event.listen(engine.pool, "checkin", returned)
    event.listen(engine.pool, "invalidate", returned)
    event.listen(engine.pool, "close", returned)
    event.listen(engine, "engine_disposed", lambda _engine: copier.stop())


def read_only_engine(engine: Engine) -> Engine:
    """The same engine and pool for transactions that only read (on SQLite they begin
    deferred and take no lock; elsewhere nothing changes)."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def _sqlite_file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a SQLite store file, or ``None`` (also when it does not exist
    yet).  A folder, a link to itself, a named pipe or a device was "unable to open
    database file" or "disk I/O error", and the user was told to check the server."""
    import errno

    try:
        os.stat(path)
    except OSError as exc:
        # each of these was "unable to open database file ... check that the database
        # server is running" from the driver
        if exc.errno == errno.ELOOP:
            return "is a symbolic link that points to itself (a loop)"
        if exc.errno == errno.ENAMETOOLONG:
            return "has a name longer than the file system allows"
        if exc.errno == errno.ENOTDIR:
            return "has a file, not a folder, among the folders of its path"
        if path.is_symlink():
            return (f"is a symbolic link to {clip(os.readlink(path), 200)}, which does not "
                    "exist")
        return None
    if path.is_dir():
        return "is a folder"
    if not path.is_file():
        return "is not a regular file (a device, a named pipe or a socket)"
    return None


def make_engine(url: str | None = None) -> Engine:
    """Create an engine for the response store.

    Parameters
    ----------
    url
        SQLAlchemy URL; see :func:`resolve_url` for the default.

    Returns
    -------
    sqlalchemy.Engine
        For SQLite with WAL, ``busy_timeout`` and ``BEGIN IMMEDIATE`` transactions;
        the directory of a SQLite file is created when missing.

    Raises
    ------
    DataError
        If the URL cannot be parsed or names an unsupported database.
    """
    resolved = resolve_url(url)
    parsed = parse_url(resolved)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            raise DataError(
                "An in-memory SQLite database cannot hold survey responses; "
                "give a file, e.g. sqlite:///data/alliance_survey.sqlite."
            )
        if "\x00" in database:  # 'embedded null byte' from the file system calls
            raise DataError(f"The response store {clip(database, 200)} names no file (it holds "
                            "a NUL character); give the store's .sqlite file.")
        if not database.startswith("file:"):  # SQLite URI file names are taken as given
            from analysis.io import home_path

            why = _sqlite_file_problem(home_path(database))
            if why:
                raise DataError(f"The response store {clip(database, 200)} {why}; give the "
                                "store's .sqlite file (--db or $ALLIANCE_SURVEY_DB).")
        try:
            if not database.startswith("file:"):
                from analysis.io import home_path

                home_path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise unavailable(resolved, exc) from exc
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        _gate_sqlite(engine)
        return engine
    if backend == "postgresql":
        size = POOL_SIZE
        if os.environ.get(POOL_ENV_VAR, "").strip():
            try:
                size = int(os.environ[POOL_ENV_VAR])
            except ValueError:
                size = 0
            if size < 1:
                raise DataError(
                    f"{POOL_ENV_VAR} must be a positive whole number of connections, got "
                    f"{clip(os.environ[POOL_ENV_VAR])}."
                )
        # a server that accepts the connection but never answers (a stuck server, a port
        # of another service) held every command for minutes: libpq waits without end
        # unless told; a connect_timeout in the URL's query still wins
        connect = {} if "connect_timeout" in parsed.query else {
            "connect_timeout": PG_CONNECT_TIMEOUT_SEC}
        return create_engine(parsed, pool_pre_ping=True, pool_size=size,
                             max_overflow=POOL_OVERFLOW, connect_args=connect)
    raise DataError(
        f"Unsupported database {backend!r} in the URL; use sqlite:///FILE or "
        "postgresql+psycopg://USER@HOST/DB."
    )
