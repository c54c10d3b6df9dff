"""The ``alliance-survey`` console command."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import re
import sys
import warnings
from collections.abc import Iterator

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


#: A run of text without spaces (a path, a name, a line of a file) longer than this is
#: shown by its first :data:`ECHO_HEAD` characters and "…": a 100,000-character path
#: filled the message, which was then cut before its advice.
LONG_VALUE = 200
ECHO_HEAD = 60
_LONG_VALUE = re.compile(rf"\S{{{LONG_VALUE},}}")
#: The end of a message kept when a long one is cut (the advice stands there).
MESSAGE_TAIL = 600


def _shorten_value(match: re.Match[str]) -> str:
    run = match.group(0)
    closing = re.search(r"[\'\")\].,;:]*$", run).group(0)  # the quote and full stop stay
    return run[:ECHO_HEAD] + "\u2026" + closing


#: Control characters of an echoed value (an escape sequence would recolour or clear the
#: terminal); line breaks and tabs of the message itself stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _short(text: str) -> str:
    """``text`` with control characters written as escapes and each overlong value
    shortened, then cut in the middle if still too long: what is wrong comes first and
    what to do last, and both are kept."""
    text = _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], text)
    text = _LONG_VALUE.sub(_shorten_value, text)
    if len(text) <= MAX_MESSAGE:
        return text
    return text[:MAX_MESSAGE - MESSAGE_TAIL] + " [...] " + text[-MESSAGE_TAIL:]


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


def _typed_options(argv: list[str]) -> frozenset[str]:
    """The destinations of the options typed on the command line, not filled in by default.

    The arguments are parsed again by a parser whose defaults are all suppressed: what is
    left on the namespace was typed (abbreviations and ``--opt=value`` included).  An
    option that acts only with another one is refused when typed alone, never because of
    its default (:func:`analysis.commands.options.refuse_unused`).
    """
    parser = build_parser()
    parsers = [parser]
    while parsers:
        current = parsers.pop()
        for action in current._actions:
            action.default = argparse.SUPPRESS
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
    try:
        return frozenset(vars(parser.parse_args(argv)))
    except SystemExit:  # pragma: no cover - the same arguments were parsed once already
        return frozenset()


class _Recorded(argparse._StoreAction):
    """A value option that notes each value it is given (see :func:`_repeated_options`)."""

    seen: dict[str, list[tuple[str, object]]]

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: ANN001, ANN204
        self.seen.setdefault(self.dest, []).append((option_string or self.dest, values))
        super().__call__(parser, namespace, values, option_string)


def _repeated_options(argv: list[str]) -> str | None:
    """The sentence for a value option typed twice with different values, or ``None``.

    argparse keeps the last value without a word: ``delete --token A --token B`` erased
    B only, ``invite --study s1 --study s2`` invited into s2, ``sem --model A --model B``
    fitted B.  Options that take several values (``--correct``, ``--app``) are given
    with ``action='append'`` and are not counted here.
    """
    parser = build_parser()
    seen: dict[str, list[tuple[str, object]]] = {}
    parsers = [parser]
    while parsers:
        current = parsers.pop()
        for action in current._actions:
            if type(action) is argparse._StoreAction and action.option_strings:
                action.__class__ = _Recorded
                action.seen = seen  # type: ignore[attr-defined]
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
    try:
        parser.parse_args(argv)
    except SystemExit:  # pragma: no cover - the same arguments were parsed once already
        return None
    for given in seen.values():
        values = list(dict.fromkeys(repr(v) for _, v in given))
        if len(values) > 1:
            option = max((o for o, _ in given), key=len)
            shown = ", ".join(clip(v, 40) for _, v in given[:3])
            times = "twice" if len(given) == 2 else f"{len(given)} times"
            return (f"{option} is given {times} with different values ({shown}); "
                    "only the last would count. Give it once.")
    return None


#: Python warnings that say nothing to a user: numpy's floating-point notes (the result
#: or the error that follows says what went wrong) and pandas' note on a column of mixed
#: types (the data checks name the column).
QUIET_WARNINGS = (
    r".*encountered in ",
    r"Mean of empty slice",
    r"Degrees of freedom <= 0",
    r"All-NaN slice encountered",
    r"Columns \(.*\) have mixed types",
)


def _warnings_as_lines(command: str) -> None:
    """Show Python warnings as the command's own lines, each once, without the source
    file and line that Python prints (inside a ``warnings.catch_warnings()`` block)."""
    shown: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001, ANN202, ARG001
        text = _short(_first_line(message if isinstance(message, Warning)
                                  else Warning(str(message))))
        if text not in shown:
            shown.add(text)
            print(f"alliance-survey {command}: warning: {text}", file=sys.stderr)

    warnings.showwarning = show
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category)  # for the developers
    for pattern in QUIET_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern)


#: Exit status after the reader of standard output went away (``| head``): 128 + SIGPIPE,
#: the status of the shell's own tools that end on a closed pipe.
BROKEN_PIPE_STATUS = 141


def _stdout_closed() -> bool:
    """Whether standard output is a pipe or socket whose reader has gone (a broken pipe of
    a worker process or an SMTP connection is an error of its own)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))
    except (AttributeError, OSError, ValueError):
        return True  # no descriptor to look at: standard output is the likely one


def _quiet_pipe_exit() -> int:
    """End quietly after ``| head`` closed standard output: what is still buffered goes to
    /dev/null (Python would otherwise report the failed flush at exit)."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        pass
    return BROKEN_PIPE_STATUS


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; return its exit status.

    Errors the user can cause (the package's own errors, files that cannot be read or
    written, an unreachable database) print one clear message and return 2; an
    unexpected error prints one line and returns 1 (its traceback only with
    ``ALLIANCE_SURVEY_TRACEBACK=1``).  No sub-command writes its results before every
    output path has been checked, so an error here never follows a partial commit.
    Python warnings become the command's own warning lines; a reader of standard output
    that goes away (``| head``) ends the command quietly with status 141.
    """
    closed = _closed_streams()
    if closed is not None:
        return closed
    _tolerant_output()
    try:
        return _parse_and_run(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:  # the help or an error message could not be printed
        return _quiet_pipe_exit()


def _closed_streams() -> int | None:
    """Status 2, and the reason on the stream still open, when the command was started
    with standard output or standard error closed (``>&-``, ``2>&-``); ``None`` otherwise.

    Python then has no such stream (``None``), and the first line printed ended the
    command in an internal error -- after a new study's password (printed to standard
    error) or the invitation links had been stored.  Nothing has run yet here.
    """
    closed = [name for name, stream in (("output", sys.stdout), ("error", sys.stderr))
              if stream is None]
    if not closed:
        return None
    message = (f"alliance-survey: error: standard {' and standard '.join(closed)} "
               f"{'is' if len(closed) == 1 else 'are'} closed; redirect to a file or to "
               "/dev/null instead of closing. Nothing was run.\n")
    stream = sys.stderr if sys.stderr is not None else sys.stdout
    if stream is not None:
        try:
            stream.write(message)
            stream.flush()
        except (OSError, ValueError):
            pass
    return 2


def _tolerant_output() -> None:
    """Let standard output print every file name the command was given.

    A name that is not UTF-8 (a byte such as 0xFF, kept by Python as a lone surrogate)
    could not be printed where output is strict UTF-8 (``PYTHONIOENCODING=utf-8``, as in
    many containers and CI jobs): the file was written, then its "wrote ..." line ended
    the command in an internal error with exit status 1.  Such characters are now written
    back as the bytes they came from (UTF-8 output) or as escapes (any other encoding).
    """
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) != "strict" or not hasattr(stream, "reconfigure"):
            continue
        utf8 = (getattr(stream, "encoding", "") or "").lower().replace("-", "") == "utf8"
        try:
            stream.reconfigure(errors="surrogateescape" if utf8 else "backslashreplace")
        except (ValueError, OSError):  # a stream that cannot change it: left as it is
            pass


def _parse_and_run(argv: list[str]) -> int:
    """Parse ``argv``, record the typed options and run the sub-command."""
    from analysis.commands.options import TYPED

    parser = build_parser()
    arguments = _attach_dash_values(argv)
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exc:  # a usage error (status 2, message printed) or --help
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    repeated = _repeated_options(arguments)
    if repeated:
        print(f"alliance-survey {args.command}: error: {_short(repeated)}", file=sys.stderr)
        return 2
    setattr(args, TYPED, _typed_options(arguments))
    return _run(args)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (``kill``, ``timeout``, a closed terminal, a cancelled CI job),
    raised like Ctrl-C so that every clean-up of an interrupted run happens: Python's
    default for these signals ended the process at once, and a file being written was
    left behind as a half-written scratch file (``.out.1a2b3c4d.part.csv``)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: Signals turned into :class:`Terminated` while a command runs.
TERMINATING_SIGNALS = ("SIGTERM", "SIGHUP")


@contextlib.contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """Raise :class:`Terminated` in this process on SIGTERM / SIGHUP while the block runs.

    A forked child inherits the handler; it ends there as the signal's default would
    (the children that the analysis forks are ended by SIGTERM when their parent dies).
    """
    import os
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    me = os.getpid()

    def handler(signum: int, frame: object) -> None:  # noqa: ARG001
        if os.getpid() != me:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated(signum)

    previous = {}
    for name in TERMINATING_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


#: The options (argparse dests) that name files or folders.
PATH_OPTIONS = ("data", "out", "json", "params_out", "manifest", "pdf", "docx", "save_json",
                "plot", "fit_a", "fit_b", "hypotheses", "instrument", "from_csv", "contacts",
                "deviations", "credentials", "cafile", "model")


def _expand_home(args: argparse.Namespace) -> None:
    """Expand a leading '~' of every file option once, before any command reads it.

    A shell leaves '~' unexpanded after '=' ('--out=~/x.csv') or in quotation marks.  The
    output checks expanded it but several writers did not: 'invite --out ~/links.csv'
    wrote the links into a new folder named '~' of the working folder, 'power --json'
    made such a folder, and 'simulate', 'compare' and 'export-script' refused names the
    checks had passed.  ``--model`` is expanded only when it is one line starting '~/'
    (lavaan syntax never does).
    """
    from analysis.io import home_path

    for dest in PATH_OPTIONS:
        value = getattr(args, dest, None)
        if not isinstance(value, str) or not value.startswith("~"):
            continue
        if dest == "model" and (not value.startswith("~/") or "\n" in value):
            continue
        setattr(args, dest, str(home_path(value)))


def _run(args: argparse.Namespace) -> int:
    """Run the handler of ``args`` and turn its errors into one line each (see :func:`main`)."""
    import os

    prefix = f"alliance-survey {args.command}: error:"
    try:
        with warnings.catch_warnings(), _terminate_cleanly():
            if os.environ.get(TRACEBACK_ENV) != "1":
                _warnings_as_lines(args.command)
            _expand_home(args)
            status = int(args.func(args) or 0)
            sys.stdout.flush()  # a closed pipe is found here, not in Python's exit
        return status
    except BrokenPipeError as exc:
        if _stdout_closed():
            return _quiet_pipe_exit()
        print(f"{prefix} {exc.strerror or _first_line(exc)}.", file=sys.stderr)
        return 2
    except AllianceSurveyError as exc:
        print(f"{prefix} {_short(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        if isinstance(exc, Terminated):
            print("Terminated.", file=sys.stderr)
            return 128 + exc.signum
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
