"""``python -m instruments.store upgrade|current [--db URL]``: manage the store's schema."""

from __future__ import annotations

import argparse
import sys

from analysis.errors import AllianceSurveyError
from instruments.store.engine import make_engine
from instruments.store.migrate import current_revision, head_revision, upgrade


def main(argv: list[str] | None = None) -> int:
    """Upgrade the schema to the newest migration, or print the current revision."""
    parser = argparse.ArgumentParser(prog="python -m instruments.store")
    parser.add_argument("action", choices=["upgrade", "current"])
    parser.add_argument("--db", metavar="URL", help="database URL")
    args = parser.parse_args(argv)
    try:
        engine = make_engine(args.db)
        if args.action == "upgrade":
            upgrade(engine)
        print(f"{engine.url.render_as_string(hide_password=True)}: revision {current_revision(engine)} "
              f"(newest {head_revision()}).")  # fmt: skip
        engine.dispose()
    except AllianceSurveyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
