"""``alliance-survey invite``: create invitations (single, dyads or from a CSV) and print
their links once."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from analysis.commands.options import refuse_unused, typed
from analysis.commands.paths import (
    check_output,
    check_shown_once_stdout,
    expiry_days,
    positive_int,
    store_file,
    survey_address,
)

#: Most invitations one call creates (instruments.fieldwork.invitations.MAX_BATCH).
MAX_BATCH = 100_000


def _batch(most: int):  # noqa: ANN202 - an argparse type
    def count(text: str) -> int:
        value = positive_int(text)
        if value > most:
            # refused while parsing: a study created first would be left behind
            raise argparse.ArgumentTypeError(f"must be at most {most:,} at a time, not {text}")
        return value
    return count


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``invite`` sub-command."""
    parser = subparsers.add_parser(
        "invite",
        help="create survey invitations and print their personal links (once)",
        description=(
            "Create personal invitation links for a study: K single invitations (--n), "
            "K dyads of two linked invitations, one per firm of an alliance (--dyads), or "
            "the rows of a CSV file (--from; columns firm_a,firm_b for dyads or "
            "partner_name for single invitations).  The study is created on first use "
            "and its study-lead password is printed once.  Links are printed as CSV; "
            "tokens are stored only as hashes and cannot be shown again."
        ),
    )
    parser.add_argument("--study", required=True, metavar="NAME", help="study name")
    parser.add_argument("--wave", default="1", metavar="W", help="fieldwork wave (default: 1)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--n", type=_batch(MAX_BATCH), metavar="K",
                       help="create K single invitations")
    group.add_argument("--dyads", type=_batch(MAX_BATCH // 2), metavar="K",
                       help="create K dyads (2K invitations)")
    group.add_argument("--from", dest="from_csv", metavar="CSV", help="create from a CSV file")
    parser.add_argument("--partner", metavar="NAME",
                        help="partner firm named in the items (single invitations)")  # fmt: skip
    parser.add_argument("--lang", default="en", help="survey language: en or de (default: en)")
    parser.add_argument("--expires-days", type=expiry_days, metavar="D",
                        help="links expire after D days (default: never)")  # fmt: skip
    parser.add_argument("--db", metavar="URL",
                        help="database URL (default: $ALLIANCE_SURVEY_DB or "
                        "sqlite:///data/alliance_survey.sqlite)")  # fmt: skip
    parser.add_argument("--base-url", default="http://localhost:8501", metavar="URL",
                        type=survey_address,
                        help="survey address; links are BASE_URL/?t=TOKEN "
                        "(default: http://localhost:8501)")  # fmt: skip
    parser.add_argument("--out", metavar="FILE",
                        help="write the links CSV to FILE instead of standard output")  # fmt: skip
    parser.add_argument("--instrument", metavar="DIR",
                        help="instrument folder (default: the packaged questionnaire)")  # fmt: skip
    parser.set_defaults(func=handler)


def start_study(store: Any, study: str) -> str | None:
    """Create ``study`` if it is new and give it a password if it has none; return the
    password when it was set here (to be shown now, the only time), else ``None``.

    Another command may start the same study at the same moment (two ``invite`` or
    ``mail --contacts`` runs): its study and its password are then taken as they are.
    The password is set before any invitation is stored: the second command's refused
    password had ended it after its invitations were stored, and their links were never
    shown.
    """
    from analysis.errors import DataError
    from instruments.fieldwork.auth import has_password, set_password
    from instruments.fieldwork.invitations import create_study, study_exists

    if not study_exists(store, study):
        try:
            create_study(store, study)
        except DataError:
            if not study_exists(store, study):
                raise
            # made by the other command a moment ago: the invitations go into it
        else:
            print(f"Created study {study!r} with instrument {store.instrument.id} "
                  f"{store.instrument.version}.", file=sys.stderr)  # fmt: skip
    if has_password(store, study):
        return None
    try:
        return set_password(store, study)
    except DataError:
        if not has_password(store, study):
            raise
        return None  # set by the other command, which shows it


def check_wave_instrument(store, study: str, wave: str, instrument, option: str) -> None:  # noqa: ANN001
    """Refuse an instrument that is not the one the wave runs (new waves: the study's current
    one): the invitations were made on the study's version all the same, and the new
    version given was dropped without a word.  A new version enters a study as a new wave
    (``alliance-survey wave --open``)."""
    from analysis.errors import DataError
    from instruments.store.waves import study_waves

    runs = {w.name: (w.instrument_id, w.instrument_version, w.instrument_hash)
            for w in study_waves(store, study)}
    iid, version, digest = runs.get(wave) or store.study_instrument(study)
    if str(instrument.content_hash) == digest:
        return
    where = f"wave {wave!r}" if wave in runs else "its new waves"
    raise DataError(
        f"{option} is instrument {instrument.id} {instrument.version}, but study {study!r} "
        f"runs {iid} {version} in {where}; a study changes its instrument only through a new "
        f"wave: 'alliance-survey wave --study {study} --open NAME {option} DIR', then invite "
        "with --wave NAME. Nothing was created.")


def _refuse_earlier_links(out: str | None) -> None:
    """Refuse an ``--out`` file that exists and is not empty.

    The links of a run are shown only once: a second ``invite --out links.csv`` replaced
    the first run's file, and those invitations could no longer be handed out.
    """
    from analysis.errors import DataError, clip

    if not out or out == "-":
        return
    try:
        size = os.stat(out).st_size
    except OSError:
        return  # no file yet (check_output has refused what cannot be written)
    if size:
        raise DataError(f"--out {clip(out)} exists already and may hold the links of earlier "
                        "invitations, which are shown only once; choose a new file name (or "
                        "move the old file away first). Nothing was stored.")


def _write_new_file(out: str, write: Any) -> None:
    """Write ``out`` whole, through a scratch file that takes the name only if no file of
    that name has appeared meanwhile: of two ``invite`` runs at once with one ``--out``,
    the later one replaced the earlier one's links.  An empty file of that name is
    replaced.  An error or Ctrl-C half-way leaves no scratch file and no half list.

    Raises
    ------
    DataError
        When another file of that name appeared while the invitations were stored.
    """
    import secrets

    from analysis.errors import DataError, clip

    target = Path(out)
    tmp = target.parent / f".{target.name[:40]}.{secrets.token_hex(4)}.part"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)  # takes the name only if it is free
        except FileExistsError:
            if not (target.is_file() and target.stat().st_size == 0):
                raise DataError(f"--out {clip(out)} was written by another program while "
                                "the invitations were stored; it was left as it is.") from None
            os.replace(tmp, target)
        except OSError:  # a file system without hard links
            os.replace(tmp, target)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def _keep_links(study: str, write: Any) -> str | None:
    """Write the links to a new file of the working folder (owner-only), else of the
    temporary folder; return its name (``None`` when neither can be written)."""
    import re
    import tempfile
    import time

    stem = "alliance-links-" + re.sub(r"[^A-Za-z0-9_-]+", "_", study)[:40] + \
        time.strftime("-%Y%m%dT%H%M%S")
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        for k in range(100):
            target = folder / (stem + (f"-{k}" if k else "") + ".csv")
            try:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            except OSError:
                break
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                    write(fh)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError:
                target.unlink(missing_ok=True)
                break
            return str(target)
    return None


def handler(args: argparse.Namespace) -> int:
    """Create the invitations and print one CSV row with the link per invitation."""
    from analysis.errors import DataError
    from instruments.fieldwork.invitations import (
        create_dyads,
        create_invitations,
        invitations_from_csv,
        study_exists,
    )
    from instruments.instrument.loader import load_instrument
    from instruments.store import ResponseStore
    from instruments.store.limits import check_text

    # The tokens exist only in the output: check it (and the names) before anything is
    # stored, so that a bad path can never leave invitations nobody can open.
    # the links are written as CSV: `--out links.parquet` wrote CSV under a Parquet name
    check_output(args.out, "--out", inputs=[args.from_csv, store_file(args.db)], stdout=True,
                 suffixes=(".csv",))
    _refuse_earlier_links(args.out)
    if args.out in (None, "-"):
        check_shown_once_stdout("the invitation links", "write them to a file with --out "
                                "FILE")
    check_text(args.study, "study_name", "--study")
    check_text(args.wave, "wave_name", "--wave")
    if args.partner is not None:
        check_text(args.partner, "partner_name", "--partner")
    if args.dyads is not None and args.partner:
        raise DataError("--partner cannot name both firms of a dyad; use --from CSV "
                        "with columns firm_a,firm_b.")  # fmt: skip
    refuse_unused(args, [("partner", not args.from_csv,
                          "--partner has no effect with --from: the partners are the CSV "
                          "file's partner_name (or firm_a,firm_b) column; leave out "
                          "--partner.")])
    instrument = load_instrument(args.instrument)
    # everything the invitations need is checked before the store (and a new study in it)
    # is made: a wrong language or invitation file had left an empty study behind
    if args.lang not in instrument.languages:
        raise DataError(f"--lang {args.lang!r} is not offered by instrument "
                        f"{instrument.id} {instrument.version}; use one of "
                        f"{', '.join(instrument.languages)}.")
    if args.from_csv:
        from instruments.fieldwork.invitations import check_invitation_csv

        check_invitation_csv(args.from_csv, languages=list(instrument.languages),
                             language=args.lang, expires_days=args.expires_days)
    store = ResponseStore(args.db, instrument=instrument)
    password = None
    try:
        if study_exists(store, args.study) and typed(args, "instrument"):
            check_wave_instrument(store, args.study, args.wave, instrument, "--instrument")
        password = start_study(store, args.study)
        common = {"wave": args.wave, "expires_days": args.expires_days}
        if args.from_csv:
            issued = invitations_from_csv(store, args.study, args.from_csv, language=args.lang,
                                          **common)  # fmt: skip
        elif args.dyads is not None:
            issued = [inv for pair in create_dyads(store, args.study, args.dyads,
                                                   language=args.lang, **common)
                      for inv in pair]  # fmt: skip
        else:
            issued = create_invitations(store, args.study, args.n if args.n is not None else 1,
                                        partner_name=args.partner, language=args.lang,
                                        **common)  # fmt: skip
        gaps = _notice_gaps(store, args.study)
    finally:
        store.dispose()
        if password is not None:  # shown also when a later step failed: it is set
            print(f"Study-lead password for {args.study!r} (shown only now, keep it safe): "
                  f"{password}", file=sys.stderr)  # fmt: skip
    columns = ["invitation_id", "wave", "alliance_id", "firm_role", "partner_name", "language",
               "expires_at", "link"]  # fmt: skip
    rows = [[
        inv.invitation_id, inv.wave, inv.alliance_id, inv.firm_role or "",
        inv.partner_name or "", inv.language,
        inv.expires_at.isoformat() if inv.expires_at else "", inv.link(args.base_url),
    ] for inv in issued]  # fmt: skip

    def write(fh: TextIO) -> None:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)

    if args.out and args.out != "-":
        # complete or not at all (a half list of links looks like a whole one), and never
        # over another run's links
        try:
            _write_new_file(args.out, write)
        except BaseException:
            # the invitations are stored and their links exist only here: never lose them
            write(sys.stdout)
            sys.stdout.flush()
            print(f"alliance-survey invite: {len(rows)} invitation(s) were created, but "
                  f"--out {args.out} could not be written; their links are printed above "
                  "instead (they are shown only now).", file=sys.stderr)
            raise
    else:
        try:
            write(sys.stdout)
            sys.stdout.flush()
        except OSError as exc:
            # a pipe or file that fails after the invitations were stored (a full disk): the
            # links exist nowhere else, so they are kept in a new file of the working folder
            kept = _keep_links(args.study, write)
            where = (f"they were written to {kept} instead (readable by you only)" if kept
                     else "no file could be written either, so the links are lost (no one "
                     "can open those invitations); create new ones")
            raise DataError(f"{len(rows)} invitation(s) were created, but standard output "
                            f"could not take their links ({exc.strerror or exc}); "
                            f"{where}.") from exc
    print(f"{len(issued)} invitation(s) created for study {args.study!r}, wave {args.wave!r}. "
          "The links are shown only now.", file=sys.stderr)  # fmt: skip
    if gaps:
        # links handed out without a contact send respondents to a consent page that asks
        # them to write to the study lead to withdraw, and names no one
        print(f"Note: the privacy notice respondents read names no {', '.join(gaps)} yet "
              "(they read 'not stated by the study lead yet'); set "
              + " ".join(f"--{g.replace('_', '-')}" for g in gaps)
              + f" with 'alliance-survey privacy --study {args.study}' before sending the "
              "links.", file=sys.stderr)
    return 0


def _notice_gaps(store: Any, study: str) -> list[str]:
    """The privacy notice's items respondents would read as not stated (nothing when the
    notice cannot be read: the invitations are made either way)."""
    from analysis.errors import AllianceSurveyError
    from instruments.store.rights import notice_gaps

    try:
        return notice_gaps(store, study)
    except AllianceSurveyError:
        return []
