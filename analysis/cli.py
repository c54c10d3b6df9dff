"""The ``alliance-survey`` console command."""

from __future__ import annotations

import argparse
import importlib
import sys

from analysis import __version__
from analysis.commands import COMMANDS
from analysis.errors import AllianceSurveyError


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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except AllianceSurveyError as exc:
        print(f"alliance-survey {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
