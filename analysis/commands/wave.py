"""``alliance-survey wave``: open a new wave of a study on a new instrument version, or
list a study's waves with the version each one runs."""

from __future__ import annotations

import argparse
import sys

from analysis.commands.options import refuse_unused, without


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``wave`` sub-command."""
    parser = subparsers.add_parser(
        "wave",
        help="open a new study wave on a new instrument version, or list the waves",
        description=(
            "A running study changes its instrument only through a new wave: --open NAME "
            "opens wave NAME of an existing study on the instrument given with "
            "--instrument (default: the packaged questionnaire), which must be a newer "
            "version whose versions.yaml maps the versions of the study's earlier waves. "
            "Respondents of earlier waves keep answering on their wave's version. "
            "Without --open the study's waves are listed."
        ),
    )
    parser.add_argument("--study", required=True, metavar="NAME", help="study name")
    parser.add_argument("--open", dest="open_name", metavar="NAME",
                        help="name of the new wave to open")  # fmt: skip
    parser.add_argument("--instrument", metavar="DIR",
                        help="folder of the new instrument version "
                        "(default: the packaged questionnaire)")  # fmt: skip
    parser.add_argument("--db", metavar="URL",
                        help="database URL (default: $ALLIANCE_SURVEY_DB or "
                        "sqlite:///data/alliance_survey.sqlite)")  # fmt: skip
    parser.set_defaults(func=handler)


def _existing_store(url: str | None) -> str:
    """The resolved URL; a SQLite file that does not exist is refused rather than created."""

    from analysis.errors import DataError
    from instruments.store import resolve_url
    from instruments.store.engine import parse_url

    resolved = resolve_url(url)
    parsed = parse_url(resolved)
    file = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and file not in ("", ":memory:"):
        from analysis.io import home_path

        if not home_path(file).is_file():
            raise DataError(f"There is no response store at {file}; waves are opened on "
                            "studies of an existing store (--db).")
    return resolved


def handler(args: argparse.Namespace) -> int:
    """Open the wave (or list the waves) and print one line per wave."""
    from instruments.instrument.loader import load_instrument
    from instruments.store import ResponseStore
    from instruments.store.limits import check_text
    from instruments.store.waves import open_wave, study_waves

    refuse_unused(args, [("instrument", args.open_name is not None,
                          without("--instrument", "--open NAME", "the list shows the version "
                                  "each wave runs; --instrument is the version of a new "
                                  "wave"))])
    check_text(args.study, "study_name", "--study")
    if args.open_name is not None:
        check_text(args.open_name, "wave_name", "--open")
    url = _existing_store(args.db)
    instrument = load_instrument(args.instrument)
    store = ResponseStore(url, instrument=instrument)
    try:
        if args.open_name is not None:
            info = open_wave(store, args.study, args.open_name, instrument)
            print(f"Opened wave {info.name!r} of study {info.study!r} on instrument "
                  f"{info.instrument_id} {info.instrument_version}; respondents of the "
                  "earlier waves keep their version. Invite with "
                  f"'alliance-survey invite --study {info.study} --wave {info.name}'.",
                  file=sys.stderr)  # fmt: skip
        waves = study_waves(store, args.study)
    finally:
        store.dispose()
    print("wave\tinstrument\tversion\tinvitations\topened")
    for w in waves:
        print(f"{w.name}\t{w.instrument_id}\t{w.instrument_version}\t{w.n_invitations}\t"
              f"{w.created_at.isoformat(timespec='seconds')}")
    return 0
