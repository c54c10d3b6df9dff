"""A throw-away local PostgreSQL server (Debian's ``postgresql`` package).

Used by the storage tests (``tests/store/conftest.py`` starts one per test session) and by
the survey load benchmark (``benchmarks/load_bench.py``).  Not for deployments: the
server uses trust authentication on 127.0.0.1.  It keeps PostgreSQL's default
durability (``fsync=on``, ``synchronous_commit=on``), so that crash tests prove what a
real server would do.

The server refuses to run as root, so when running as root the data directory is handed
to the ``postgres`` user and ``pg_ctl`` runs through ``runuser``.  It listens on a free
port of its own on 127.0.0.1 with its unix socket in a temporary directory; the caller
stops it with :meth:`PostgresServer.stop` and removes :attr:`PostgresServer.root`.

Examples
--------
>>> server = start_server()                       # doctest: +SKIP
>>> url = server.create_database("scratch")      # doctest: +SKIP
>>> server.stop(); shutil.rmtree(server.root)     # doctest: +SKIP
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """PostgreSQL binaries are missing or the server did not start."""


def find_bindir() -> Path | None:
    """Newest ``/usr/lib/postgresql/<v>/bin`` that has ``initdb`` and ``pg_ctl``."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    for initdb in reversed(candidates):
        bindir = Path(initdb).parent
        if (bindir / "pg_ctl").exists():
            return bindir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    """A running throw-away server: binaries, its directory and port."""

    bindir: Path
    root: Path
    port: int
    user: str = "postgres"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _cmd(self, *args: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    def url(self, database: str) -> str:
        """SQLAlchemy URL (psycopg driver) of ``database`` on this server."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _options(self) -> str:
        # Default durability (fsync, synchronous_commit, full_page_writes all on): the
        # fault tests crash this server and must find every acknowledged page again.
        return (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200"
        )

    def start(self) -> None:
        """``initdb`` and start the server; raises ``CalledProcessError`` on failure."""
        run = self._cmd
        subprocess.run(
            run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user,
                "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C"),
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        subprocess.run(
            run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", self._options(),
                "-l", str(self.root / "server.log"), "-w", "-t", "60", "start"),
            check=True, capture_output=True, timeout=90,
        )  # fmt: skip

    def restart(self) -> subprocess.CompletedProcess:
        """``pg_ctl restart -m fast`` (for fault tests); returns the completed process."""
        return subprocess.run(
            self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                      "-w", "-t", "60", "-l", str(self.root / "server.log"), "restart",
                      "-o", self._options()),
            capture_output=True, timeout=90, check=False,
        )  # fmt: skip

    def pid(self) -> int | None:
        """Process id of the postmaster (first line of ``postmaster.pid``), if running."""
        try:
            return int((self.data / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def crash(self) -> subprocess.CompletedProcess:
        """``pg_ctl stop -m immediate``: no checkpoint, recovery from WAL at the next start."""
        return subprocess.run(
            self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "-t", "60", "stop"),
            capture_output=True, timeout=90, check=False,
        )  # fmt: skip

    def start_again(self, attempts: int = 20) -> subprocess.CompletedProcess:
        """Start the stopped (or crashed) server on the same port and data directory.

        After a SIGKILL of the postmaster its backends take a moment to notice and exit;
        until they have, PostgreSQL refuses to start (shared memory still in use), so
        the start is retried.
        """
        import time

        done = subprocess.CompletedProcess([], 1)
        for _ in range(attempts):
            done = subprocess.run(
                self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o",
                          self._options(), "-l", str(self.root / "server.log"), "-w", "-t",
                          "90", "start"),
                capture_output=True, timeout=120, check=False,
            )  # fmt: skip
            if done.returncode == 0:
                return done
            time.sleep(0.5)
        return done

    def stop(self) -> None:
        """Stop the server immediately (the data directory is left for the caller)."""
        subprocess.run(
            self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                      "stop"),
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its URL."""
        import psycopg

        with psycopg.connect(self.url("postgres").replace("+psycopg", ""), autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def log(self) -> str:
        """The last 3000 characters of the server log ("" if unreadable)."""
        try:
            return (self.root / "server.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""


def start_server() -> PostgresServer:
    """Start a fresh server; raise :class:`PostgresUnavailable` with the reason if impossible."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(
            "PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) are missing; "
            "run `make test`, which installs Debian's postgresql package."
        )
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        raise PostgresUnavailable("Running as root needs `runuser` to start PostgreSQL.")
    root = Path(tempfile.mkdtemp(prefix="alliance-survey-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres", group="postgres")
    os.chmod(root, 0o700)
    server = PostgresServer(bindir=bindir, root=root, port=_free_port())
    try:
        server.start()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        log = server.log()
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(
            f"PostgreSQL did not start: {exc}\n{detail.decode(errors='replace')}\n{log}"
        ) from exc
    return server
