"""Checks of the command line's options, made before any work is done or anything is stored.

An option that acts only together with another one (``sem --seed`` seeds the bootstrap,
``pls --folds`` the CVPAT) was dropped without a word when the other was missing: the
user believed the seed or the folds had been used.  :func:`refuse_unused` refuses such an
option, but only when it was typed: ``alliance-survey`` parses the command line a second
time with every default suppressed and keeps the names of the typed options on the
namespace (:data:`TYPED`), so a default never triggers the message.

:func:`check_option_text` bounds the free texts of options that are stored (a reason, a
contact) as :func:`instruments.store.limits.check_text` bounds the names; and
:func:`replay_warnings` passes on the Python warnings of a fit that its result does not
already list.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Iterable

from analysis.errors import DataError, clip

#: Attribute of the parsed namespace with the destinations of the typed options.
TYPED = "typed_options"


def typed(args: argparse.Namespace, dest: str) -> bool:
    """Whether the option stored in ``dest`` was typed on the command line (not its default).

    A namespace made without :func:`analysis.cli.main` (a test, a script) has no record:
    every option counts as not typed, so nothing is refused.
    """
    return dest in getattr(args, TYPED, ())


def without(option: str, needed: str, what: str) -> str:
    """The sentence of an option typed without the option it needs."""
    return (f"{option} has no effect without {needed} ({what}); add {needed}, or leave out "
            f"{option}.")


def refuse_unused(args: argparse.Namespace, rules: Iterable[tuple[str, bool, str]]) -> None:
    """Refuse the typed options that have no effect in this combination.

    Parameters
    ----------
    args
        The parsed command line.
    rules
        ``(dest, applies, why)``: the option stored in ``dest`` acts only when ``applies``
        is true; ``why`` is the sentence shown when it was typed while ``applies`` is
        false (see :func:`without`).

    Raises
    ------
    DataError
        Naming every such option at once, before anything is read or stored.
    """
    problems = [why for dest, applies, why in rules if not applies and typed(args, dest)]
    if problems:
        raise DataError(" ".join(problems))


def comma_items(args: argparse.Namespace, dest: str, option: str) -> list[str]:
    """The comma-separated items of an option (blanks dropped); an option typed with no
    item at all is refused (``sem --ordered ""`` or ``--group-equal " "`` had no effect
    without a word)."""
    value = getattr(args, dest, None) or ""
    items = [s.strip() for s in str(value).split(",") if s.strip()]
    if not items and typed(args, dest):
        raise DataError(f"{option} names nothing ({clip(str(value))!r}); give a "
                        f"comma-separated list, or leave out {option}.")
    return items


#: The sentence of a line break in an option's text.
OPTION_LINE_BREAK = "contains a line break (it is one line of text)"


def check_option_text(value: str | None, option: str, *, limit: int, one_line: bool = True,
                      outcome: str = "nothing was stored") -> str | None:
    """``value`` stripped, if it is text that can be stored and shown; ``None`` stays ``None``.

    The check of the store's names (:func:`instruments.store.limits.text_problem`), with
    ``limit`` for a text whose column has no length of its own.  With ``one_line=False``
    line breaks and tabs are text (other control characters, an escape sequence, are
    not).  ``outcome`` ends the message: what the refusal left undone.

    Raises
    ------
    DataError
        If the text is empty, longer than ``limit`` characters, or holds a NUL, a control
        character, a lone surrogate or (``one_line``) a line break.
    """
    from instruments.store.limits import text_problem

    if value is None:
        return None
    text = value.strip()
    if not text:
        raise DataError(f"{option} must not be empty.")
    problem = text_problem(text, multiline=not one_line, line_break=OPTION_LINE_BREAK)
    if problem:
        raise DataError(f"{option} {problem}; {outcome}.")
    if len(text) > limit:
        raise DataError(f"{option} has {len(text):,} characters; at most {limit:,} are "
                        f"allowed (it starts {clip(text[:40])}); {outcome}.")
    return text


def replay_warnings(caught: Iterable[warnings.WarningMessage], reported: Iterable[str]) -> None:
    """Issue again the recorded warnings whose text is not among ``reported``.

    A fit lists its problems with its result (``sem``'s "13 of 20 bootstrap draws failed");
    the same words also came as a Python warning, with the path of the source file, before
    the result.  The command line shows the others as its own warning lines.
    """
    known = {str(r).strip() for r in reported}
    for w in caught:
        if str(w.message).strip() not in known:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

