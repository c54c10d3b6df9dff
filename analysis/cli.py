"""The ``alliance-survey`` console command."""

from __future__ import annotations

import argparse
import importlib
import sys

from analysis import __version__
from analysis.commands import COMMANDS
from analysis.errors import AllianceSurveyError, clip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alliance-survey",
        description="Survey instrument and analysis for learning and dependence in strategic alliances.",
    )
    parser.add_argument("--version", action="version", version=f"alliance-survey {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"analysis.commands.{name}").register(sub)
    return parser


#: Longest error message printed (the rest is cut): an echoed value must never flood stderr.
MAX_MESSAGE = 4000
#: Set to 1 to see the traceback of an unexpected error (for bug reports).
TRACEBACK_ENV = "ALLIANCE_SURVEY_TRACEBACK"


def _short(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + " [...]"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


#: Options whose value may itself start with "-" (invitation tokens issued before
#: tokens avoided a leading dash, or pasted from elsewhere).
DASH_VALUE_OPTIONS = frozenset({"--token"})


def _attach_dash_values(argv: list[str]) -> list[str]:
    """Write ``--token -abc`` as ``--token=-abc`` so argparse takes ``-abc`` as the value."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in DASH_VALUE_OPTIONS and i + 1 < len(argv) and argv[i + 1].startswith("-") \
                and argv[i + 1] not in ("-h", "--help") and not argv[i + 1].startswith("--"):
            out.append(f"{arg}={argv[i + 1]}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; return its exit status.

    Errors the user can cause (the package's own errors, files that cannot be read or
    written, an unreachable database) print one clear message and return 2; an
    unexpected error prints one line and returns 1 (its traceback only with
    ``ALLIANCE_SURVEY_TRACEBACK=1``).  No sub-command writes its results before every
    output path has been checked, so an error here never follows a partial commit.
    """
    import os

    parser = build_parser()
    try:
        args = parser.parse_args(_attach_dash_values(list(sys.argv[1:] if argv is None else argv)))
    except SystemExit as exc:  # a usage error (status 2, message printed) or --help
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    prefix = f"alliance-survey {args.command}: error:"
    try:
        return int(args.func(args) or 0)
    except AllianceSurveyError as exc:
        print(f"{prefix} {_short(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"{prefix} out of memory; the input is too large for this machine.",
              file=sys.stderr)
        return 2
    except OSError as exc:
        where = f" ({clip(exc.filename)})" if getattr(exc, "filename", None) else ""
        print(f"{prefix} {exc.strerror or _first_line(exc)}{where}.", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - a user never sees a traceback
        if type(exc).__module__.startswith("sqlalchemy"):
            print(f"{prefix} the response store failed: {_short(_first_line(exc))}",
                  file=sys.stderr)
            return 2
        if os.environ.get(TRACEBACK_ENV) == "1":
            raise
        print(f"{prefix} internal error ({type(exc).__name__}: {_short(_first_line(exc))}); "
              f"please report it, with {TRACEBACK_ENV}=1 for the details.", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
