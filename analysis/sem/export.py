"""Writers of runnable scripts for other SEM programs: lavaan (R) and Mplus.

The engine's models are lavaan syntax already, so an R script only has to quote it and
call ``lavaan::sem()`` / ``cfa()`` with the same options.  Mplus needs a translation:
:func:`mplus_model` turns the parsed statements (:func:`analysis.sem.syntax.parse_model`)
into ``BY`` / ``ON`` / ``WITH`` / ``@`` statements and a ``MODEL CONSTRAINT`` for ``:=``,
and :func:`mplus_names` shortens the variable names to Mplus's 8 characters.

Nothing here knows the alliance study; :mod:`analysis.study.export_script` assembles the
study's scripts from these pieces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from analysis.errors import ModelSpecificationError
from analysis.sem.syntax import parse_model

__all__ = ["MPLUS_LINE", "MPLUS_NAME", "mplus_input", "mplus_model", "mplus_names",
           "r_call", "r_value"]

#: Longest line Mplus reads (characters); longer lines are cut off silently by Mplus.
MPLUS_LINE = 90
#: Longest variable name Mplus accepts.
MPLUS_NAME = 8


def r_value(value: Any) -> str:
    """An R literal of a Python value (str, bool, number, None, or a sequence of these)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, Iterable):
        return "c(" + ", ".join(r_value(v) for v in value) + ")"
    raise ModelSpecificationError(f"Cannot write {value!r} as an R value.")


def r_call(fn: str, *args: str, **options: Any) -> str:
    """``fn(arg, ..., name = value, ...)``; ``args`` are R expressions, options Python values.

    Options whose value is ``None`` are left out (lavaan's default applies).
    """
    parts = [*args, *(f"{k.replace('_', '.')} = {r_value(v)}" for k, v in options.items()
                      if v is not None)]
    return f"{fn}({', '.join(parts)})"


# --------------------------------------------------------------------------------------
# Mplus
# --------------------------------------------------------------------------------------
def mplus_names(variables: Sequence[str]) -> dict[str, str]:
    """Unique Mplus names (at most 8 characters, letters first) for ``variables``.

    Names that fit are kept (upper/lower case is the same variable to Mplus, so
    collisions are checked case-insensitively); longer ones become their first letters
    plus a running number, e.g. ``value_creation`` -> ``value_c1``.
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    counter = 0
    for v in variables:
        if v in out:
            continue
        clean = re.sub(r"[^A-Za-z0-9_]", "_", v)
        if not clean[:1].isalpha():
            clean = "v" + clean
        name = clean
        if len(name) > MPLUS_NAME or name.lower() in used:
            while True:
                counter += 1
                tail = str(counter)
                name = clean[:MPLUS_NAME - len(tail)] + tail
                if name.lower() not in used:
                    break
        used.add(name.lower())
        out[v] = name
    return out


def _num(x: float) -> str:
    return f"{x:.10g}"


def mplus_model(syntax: str, names: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Translate lavaan syntax to Mplus ``MODEL`` and ``MODEL CONSTRAINT`` statements.

    Supported: ``=~`` (``BY``; ``1*x`` -> ``x@1``, ``NA*x`` -> ``x*``), ``~`` (``ON``,
    labels in parentheses), ``~~`` (variance ``x@v`` / ``x``, covariance ``WITH``),
    ``~1`` (``[x]``) and ``:=`` (``NEW(...)`` and the definition).

    Raises
    ------
    ModelSpecificationError
        For operators Mplus input cannot express here (thresholds, (in)equality
        constraints) or names not in ``names``.
    """
    model: list[str] = []
    constraint: list[str] = []
    new: list[str] = []
    labels: set[str] = set()

    def nm(v: str) -> str:
        if v not in names:
            raise ModelSpecificationError(f"Variable {v!r} has no Mplus name.")
        return names[v]

    def modifier(st: Any, free_marker: bool = False) -> str:
        mod = st.modifier
        out = ""
        if mod.fixed is not None and len(mod.fixed) == 1:
            val = mod.fixed[0]
            out = "*" if val is None else f"@{_num(val)}"
        elif free_marker:
            out = ""
        if mod.label is not None and len(mod.label) == 1 and mod.label[0]:
            labels.add(mod.label[0])
            out += f" ({mod.label[0]})"
        return out

    for st in parse_model(syntax):
        if st.op == "=~":
            model.append(f"{nm(st.lhs)} BY {nm(st.rhs)}{modifier(st)};")
        elif st.op == "~":
            model.append(f"{nm(st.lhs)} ON {nm(st.rhs)}{modifier(st)};")
        elif st.op == "~~":
            if st.lhs == st.rhs:
                model.append(f"{nm(st.lhs)}{modifier(st)};")
            else:
                model.append(f"{nm(st.lhs)} WITH {nm(st.rhs)}{modifier(st)};")
        elif st.op == "~1":
            model.append(f"[{nm(st.lhs)}{modifier(st)}];")
        elif st.op == ":=":
            new.append(st.lhs)
            constraint.append(f"{st.lhs} = {st.rhs};")
        else:
            raise ModelSpecificationError(
                f"The operator {st.op!r} ({st.lhs} {st.op} {st.rhs}) is not translated to "
                "Mplus by this exporter.")
    if new:
        constraint.insert(0, f"NEW({' '.join(new)});")
    return model, constraint


def _wrap(text: str, indent: str = "  ") -> list[str]:
    """Break one statement into lines of at most :data:`MPLUS_LINE` characters."""
    words = text.split(" ")
    lines: list[str] = []
    cur = ""
    for w in words:
        cand = w if not cur else f"{cur} {w}"
        if len(indent) + len(cand) > MPLUS_LINE and cur:
            lines.append(indent + cur)
            cur = w
        else:
            cur = cand
    if cur:
        lines.append(indent + cur)
    return lines


def mplus_input(
    *,
    title: str,
    data_file: str,
    names: Sequence[str],
    usevariables: Sequence[str],
    model: Sequence[str],
    constraint: Sequence[str] = (),
    estimator: str = "MLR",
    categorical: Sequence[str] = (),
    grouping: tuple[str, Mapping[int, str]] | None = None,
    define: Sequence[str] = (),
    analysis: Sequence[str] = (),
    output: Sequence[str] = ("STDYX",),
    missing: str = "-999",
    comments: Sequence[str] = (),
) -> str:
    """An Mplus input file (all names already Mplus names).

    ``usevariables`` must list the variables of the model (and those created in
    ``define``, which Mplus wants at the end).
    """
    def block(head: str, statements: Iterable[str]) -> list[str]:
        out = [f"{head}"]
        for s in statements:
            out.extend(_wrap(s))
        return out

    lines = [f"! {c}"[:MPLUS_LINE] for c in comments]
    lines += [f"TITLE: {title}"[:MPLUS_LINE]]
    lines += block("DATA:", [f"FILE = {data_file};"])
    var = [f"NAMES = {' '.join(names)};", f"USEVARIABLES = {' '.join(usevariables)};",
           f"MISSING = ALL ({missing});"]
    if categorical:
        var.append(f"CATEGORICAL = {' '.join(categorical)};")
    if grouping is not None:
        g, labels = grouping
        var.append(f"GROUPING = {g} ({' '.join(f'{k} = {v}' for k, v in labels.items())});")
    lines += block("VARIABLE:", var)
    if define:
        lines += block("DEFINE:", define)
    lines += block("ANALYSIS:", [f"ESTIMATOR = {estimator};", *analysis])
    lines += block("MODEL:", model)
    if constraint:
        lines += block("MODEL CONSTRAINT:", constraint)
    if output:
        lines += block("OUTPUT:", [f"{' '.join(output)};"])
    return "\n".join(lines) + "\n"
