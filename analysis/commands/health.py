"""``alliance-survey health``: is the response store reachable, and are the app processes up?

For a load balancer, a process supervisor or a cron job: exit status 0 when every check
passes, 1 when one fails (each check is one line on standard output), 2 for a malformed
argument.  The store check connects with the deployment's database URL, runs a query
and compares the schema revision with the package's (it never migrates or writes);
``--app`` checks Streamlit's own ``/_stcore/health`` of each app process or of the proxy.
"""

from __future__ import annotations

import argparse
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from analysis.commands.options import refuse_unused, without


@dataclass(frozen=True)
class Check:
    """One health check: what was checked, whether it passed, and what was seen."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def _missing_file(path: Path) -> str:
    """Why ``path`` (neither a folder nor a regular file) is no SQLite file: a named pipe or
    a device (``/dev/null``) was said not to exist, and so was a symbolic link whose target
    is missing or that points to itself."""
    if path.exists():
        return "the SQLite file is not a regular file (a named pipe or a device)"
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:  # Python before 3.13 reports a loop so
            return "the SQLite file is a symbolic link that points to itself (a loop)"
        except OSError as exc:
            import errno

            if exc.errno == errno.ELOOP:
                return "the SQLite file is a symbolic link that points to itself (a loop)"
        return "the SQLite file is a symbolic link to a file that does not exist"
    return "the SQLite file does not exist"


def store_health(url: str | None, *, timeout: float = 5.0) -> Check:
    """Connect to the store, run ``SELECT 1`` and compare its schema with the package's.

    The URL is shown without its password.  A schema behind the package's newest
    revision fails (the app would migrate it on start, but replicas of different
    versions must not share one database unnoticed); a newer one fails too.
    """

    from sqlalchemy import create_engine, text

    from instruments.store import current_revision, head_revision, make_engine, resolve_url
    from instruments.store.engine import parse_url

    resolved = resolve_url(url)
    parsed = parse_url(resolved)
    name = f"store {parsed.render_as_string(hide_password=True)}"
    file = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and file not in ("", ":memory:"):
        from analysis.io import home_path

        if home_path(file).is_dir():  # "does not exist" sent the user to look for it
            return Check(name, False, "the SQLite file is a folder; give the store's file")
        if not home_path(file).is_file():  # never create an empty store by checking
            return Check(name, False, _missing_file(home_path(file)))
        if home_path(file).stat().st_size == 0:
            # connecting wrote SQLite's header (4 kB) into the empty file: a check wrote
            return Check(name, False, "the SQLite file is empty; it is not a response store")
    engine = make_engine(resolved)  # DataError (exit 2) for an unsupported database
    if engine.dialect.name != "sqlite":
        # Give up on an unreachable server after ``timeout`` instead of the driver's default.
        engine.dispose()
        engine = create_engine(parsed, connect_args={"connect_timeout": max(1, round(timeout))})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()
        revision = current_revision(engine)
    except Exception as exc:  # noqa: BLE001 - any driver failure means "unhealthy"
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        return Check(name, False, f"cannot connect ({type(exc).__name__}: {reason})")
    finally:
        engine.dispose()
    head = head_revision()
    if revision != head:
        return Check(name, False, f"schema at revision {revision}, this package needs {head} "
                                  "(start one app process or run `python -m instruments.store "
                                  "upgrade` to migrate)")  # fmt: skip
    return Check(name, True, f"reachable, schema at {revision}")


def app_health(base: str, *, timeout: float = 5.0, cafile: str | None = None) -> Check:
    """Ask one app process (or the proxy in front of them) for ``/_stcore/health``."""
    url = base.rstrip("/") + "/_stcore/health"
    context = ssl.create_default_context(cafile=cafile) if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:  # noqa: S310
            body = resp.read(100).decode("utf-8", "replace").strip()
            status = resp.status
    except urllib.error.HTTPError as exc:
        return Check(f"app {base}", False, f"HTTP {exc.code}")
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return Check(f"app {base}", False, f"unreachable ({reason})")
    return Check(f"app {base}", status == 200 and body == "ok", f"HTTP {status} {body!r}")


def _seconds(text: str) -> float:
    """``type=`` of ``--timeout``: a number in ASCII digits (its range is checked after)."""
    from analysis.commands.paths import plain_number

    try:
        return float(plain_number(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a number, not {text[:80]!r}") from exc


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``health`` sub-command."""
    parser = subparsers.add_parser(
        "health",
        help="check the response store and the app processes (exit 0 healthy, 1 not)",
        description=(
            "Check that the response store answers and has the package's schema, and that "
            "each app process given with --app answers Streamlit's /_stcore/health.  "
            "Exit status 0 when all checks pass, 1 when any fails."
        ),
    )
    parser.add_argument("--db", metavar="URL",
                        help="database URL (default: $ALLIANCE_SURVEY_DB or "
                        "sqlite:///data/alliance_survey.sqlite)")  # fmt: skip
    parser.add_argument("--app", metavar="URL", action="append", default=[],
                        help="base address of an app process or of the proxy, e.g. "
                        "http://127.0.0.1:8501 (repeatable)")  # fmt: skip
    parser.add_argument("--cafile", metavar="PEM",
                        help="certificate to trust for https:// addresses (a self-signed one)")
    parser.add_argument("--timeout", type=_seconds, default=5.0, metavar="SEC",
                        help="seconds to wait for each check (default 5)")
    parser.add_argument("--no-store", action="store_true", help="check only the --app addresses")
    parser.set_defaults(func=handler)


def _check_cafile(path: str) -> None:
    """Refuse a ``--cafile`` that is no PEM file before any check: a named pipe blocked the
    command (OpenSSL waited for a writer), a folder or a file of other text ended in
    OpenSSL's words."""


    from analysis.commands.paths import PATH_ECHO
    from analysis.errors import DataError, clip

    shown = clip(path, PATH_ECHO)
    p = Path(path)
    try:
        if not p.is_file():
            kind = ("is a folder" if p.is_dir() else "is not a regular file (a named pipe "
                    "or a device)" if p.exists() else "does not exist")
            raise DataError(f"--cafile {shown} {kind}; give the PEM file of the certificate "
                            "(or its authority) that the app's https address uses.")
        ssl.create_default_context(cafile=str(p))
    except ssl.SSLError as exc:
        raise DataError(f"--cafile {shown} holds no PEM certificate OpenSSL can read "
                        f"({clip(exc.reason or str(exc), 80)}).") from exc
    except OSError as exc:
        raise DataError(f"Cannot read --cafile {shown}: {exc.strerror or exc}.") from exc


def handler(args: argparse.Namespace) -> int:
    """Run the checks, print one line each, return 0 if all passed and 1 otherwise."""
    from analysis.errors import DataError

    if not (args.timeout > 0 and args.timeout < 3600):
        raise DataError(f"--timeout must be between 0 and 3600 seconds, not {args.timeout}.")
    refuse_unused(args, [
        ("cafile", any(str(a).startswith("https://") for a in args.app),
         without("--cafile", "an https:// --app address", "it is the certificate trusted "
                 "for https")),
        ("db", not args.no_store, "--db names the store that --no-store leaves unchecked; "
         "leave out one of them."),
    ])
    if args.no_store and not args.app:
        raise DataError("Nothing to check: give --app URL, or leave out --no-store.")
    if args.cafile is not None:
        _check_cafile(args.cafile)
    for base in args.app:
        if not base.startswith(("http://", "https://")):
            raise DataError(f"--app needs an http:// or https:// address, not {base!r}.")
    checks = [] if args.no_store else [store_health(args.db, timeout=args.timeout)]
    checks += [app_health(b, timeout=args.timeout, cafile=args.cafile) for b in args.app]
    for check in checks:
        print(check.line())
    return 0 if all(c.ok for c in checks) else 1
