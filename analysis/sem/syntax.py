"""Parser for lavaan model syntax (step 1 of the pipeline: text -> statements).

Supported: ``=~ ~ ~~ ~1 |`` with ``+`` on the right (and on the left for
``~``/``~~``), ``:=`` definitions, ``== < >`` constraints, modifiers
``a*x`` (label), ``0.5*x`` (fixed), ``NA*x`` (free), ``start(0.5)*x``,
``c(a, b)*x`` / ``c(1, NA)*x`` (per group), ``label("a")*x``, comments
(``#`` and ``!``), several statements per line separated by ``;`` and
statements continued over several lines.

# In R: lavaan::lavParseModelString(model)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from analysis.errors import ModelSpecificationError

# Longest operators first so that "=~" is not read as "=" and "~~" not as "~".
_OPERATORS = ("=~", "~~", "~*~", ":=", "==", "<=", ">=", "<", ">", "|", "~")
_NAME_RE = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_THRESHOLD_RE = re.compile(r"^t(\d+)$")


@dataclass(frozen=True)
class Modifier:
    """Per-term modifiers; each tuple has one entry (all groups) or one per group.

    Entries of ``fixed`` are floats or ``None`` (``NA``: explicitly free),
    entries of ``label`` strings or ``None`` and of ``start`` floats or ``None``.
    """

    fixed: tuple[float | None, ...] | None = None
    label: tuple[str | None, ...] | None = None
    start: tuple[float | None, ...] | None = None


@dataclass(frozen=True)
class Statement:
    """One parsed formula element ``lhs op rhs`` with its modifiers and source line."""

    lhs: str
    op: str
    rhs: str
    line: int
    modifier: Modifier = field(default_factory=Modifier)


def strip_comment(line: str) -> str:
    """``line`` without its ``#`` or ``!`` comment (marks inside quotes are kept), as lavaan."""
    out = []
    quote = None
    for ch in line:
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "#!":
            break
        out.append(ch)
    return "".join(out)


def _split_top(text: str, sep: str) -> list[str]:
    """Split ``text`` at ``sep`` characters outside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _find_operator(stmt: str) -> tuple[str, int] | None:
    depth = 0
    i = 0
    while i < len(stmt):
        ch = stmt[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            for op in _OPERATORS:
                if stmt.startswith(op, i):
                    return op, i
        i += 1
    return None


_CONTINUE_END = ("+", "*", "=~", "~~", "~", "|", ":=", "==", "(", ",", "-", "/", "<", ">")


def _logical_statements(model: str) -> list[tuple[str, int]]:
    """Join physical lines into statements, keeping the first line number of each."""
    chunks: list[tuple[str, int]] = []
    for lineno, raw in enumerate(model.splitlines(), start=1):
        for piece in strip_comment(raw).split(";"):
            piece = piece.strip()
            if piece:
                chunks.append((piece, lineno))
    out: list[tuple[str, int]] = []
    for text, lineno in chunks:
        if out and (out[-1][0].endswith(_CONTINUE_END) or text.startswith(("+", "*", ")"))
                    or _find_operator(text) is None):
            out[-1] = (out[-1][0] + " " + text, out[-1][1])
        else:
            out.append((text, lineno))
    return out


def _parse_number(tok: str) -> float | None:
    tok = tok.strip()
    if _NUMBER_RE.match(tok):
        value = float(tok)
        if not math.isfinite(value):  # 1e400 became inf (a variance fixed at 0 in the end)
            raise ModelSpecificationError(
                f"The number {tok[:40]!r} in the model is too large to be represented "
                f"(beyond about 1.8e308); give a finite value.")
        return value
    return None


def _parse_modifier_atoms(tok: str, line: int) -> tuple[str, list]:
    """Classify one modifier token; return (kind, values)."""
    tok = tok.strip()
    if tok == "NA":
        return "fixed", [None]
    num = _parse_number(tok)
    if num is not None:
        return "fixed", [num]
    m = re.match(r"^(start|label|equal|c)\s*\((.*)\)$", tok, flags=re.S)
    if m:
        fun, inner = m.group(1), m.group(2)
        items = [s.strip() for s in _split_top(inner, ",")] if inner.strip() else []
        if fun == "start":
            vals = []
            for it in items:
                v = _parse_number(it)
                if v is None and it != "NA":
                    raise ModelSpecificationError(
                        f"Line {line}: start() needs numbers, got {it!r}.")
                vals.append(v)
            return "start", vals
        if fun in ("label", "equal"):
            return "label", [it.strip("\"'") if it != "NA" else None for it in items]
        # c(...): numbers/NA mean fixed/free, names mean labels
        if all(it == "NA" or _parse_number(it) is not None for it in items):
            return "fixed", [None if it == "NA" else _parse_number(it) for it in items]
        labels = []
        for it in items:
            name = it.strip("\"'")
            if it == "NA":
                labels.append(None)
            elif _NAME_RE.match(name):
                labels.append(name)
            else:
                raise ModelSpecificationError(
                    f"Line {line}: cannot mix numbers and labels in {tok!r}.")
        return "label", labels
    name = tok.strip("\"'")
    if tok.lower() in ("inf", "nan"):
        # 'Inf*x2' was taken as a label named Inf (free), where R reads a number ('-Inf*x2'
        # was refused): no parameter can be fixed at an infinite or undefined value
        raise ModelSpecificationError(
            f"Line {line}: {tok!r} is no finite number; a fixed value must be finite (write "
            f"label({tok!r}) for a label of that name).")
    if _NAME_RE.match(name):
        return "label", [name]
    raise ModelSpecificationError(f"Line {line}: cannot read the modifier {tok!r}.")


def _parse_term(term: str, line: int) -> tuple[str, Modifier]:
    parts = _split_top(term, "*")
    var = parts[-1].strip()
    kinds: dict[str, tuple] = {}
    for tok in parts[:-1]:
        if not tok:
            raise ModelSpecificationError(f"Line {line}: empty modifier in {term!r}.")
        kind, vals = _parse_modifier_atoms(tok, line)
        if kind in kinds:
            raise ModelSpecificationError(f"Line {line}: two {kind} modifiers in {term!r}.")
        kinds[kind] = tuple(vals)
    return var, Modifier(**kinds)


def _merge_repeated(terms: list[tuple[str, Modifier]]) -> list[tuple[str, Modifier]]:
    """One entry per variable of a formula's right-hand side, at its first place.

    As lavaan (whose formula terms are R's): a variable named twice in one formula
    (``f =~ y1 + y2 + a*y2``) is one parameter, with the first modifier of each kind
    (fixed value, label, start value) that any of its terms carries.  The same element in
    two formulas stays an error.
    """
    order: list[str] = []
    mods: dict[str, dict[str, tuple]] = {}
    for var, mod in terms:
        if var not in mods:
            order.append(var)
            mods[var] = {}
        for kind in ("fixed", "label", "start"):
            val = getattr(mod, kind)
            if val is not None and kind not in mods[var]:
                mods[var][kind] = val
    return [(var, Modifier(**mods[var])) for var in order]


#: What to do instead of an interaction or product term (``x1:x2``, ``I(x^2)``), which
#: lavaan allows for observed variables and this engine does not fit.
PRODUCT_TERMS_ADVICE = (
    "interaction or product terms (':' or I(...)) are not supported in a regression. "
    "Create the product as a column of the data first (e.g. a column x1_x2 = x1 * x2, or "
    "x_sq = x * x, of mean-centred variables) and name that column in the model; for an "
    "interaction of latent factors use product indicators (semTools::indProd in R) or "
    "analysis.stats.latent_interaction.")


def _check_name(name: str, line: int, stmt: str) -> None:
    if not _NAME_RE.match(name):
        if ":" in name or name.replace(" ", "").startswith("I("):
            raise ModelSpecificationError(
                f"Line {line}: {name!r} in {stmt!r}: {PRODUCT_TERMS_ADVICE}")
        raise ModelSpecificationError(
            f"Line {line}: {name!r} is not a valid variable name in {stmt!r}.")


# lavaan syntax this engine cannot fit, refused by name: the generic messages ("no
# operator", "not a valid variable name") would not say that the feature is missing
_UNSUPPORTED = (
    (re.compile(r"^\s*level\s*:"),
     "multilevel blocks (level: 1 / level: 2) are not supported; for clustered data fit a "
     "single-level model with cluster= and estimator='MLR'"),
    (re.compile(r"^\s*group\s*:"),
     "group: blocks are not supported; give the group column as group= instead"),
    (re.compile(r"<~"), "composites (formative indicators, <~) are not supported"),
    (re.compile(r"\befa\s*\("), "exploratory (efa(...)*) blocks are not supported"),
)


def parse_model(model: str) -> list[Statement]:
    """Parse lavaan model syntax into a list of :class:`Statement`.

    Parameters
    ----------
    model : str
        Model in lavaan syntax.

    Returns
    -------
    list of Statement
        One entry per ``lhs op rhs`` element, in order of appearance.  Intercepts
        have ``op="~1"`` and ``rhs=""``; definitions/constraints keep the
        expression text in ``rhs`` (and ``lhs``).

    Raises
    ------
    ModelSpecificationError
        For syntax errors, naming the line.

    Notes
    -----
    # In R: lavaan::lavParseModelString(model)
    """
    if not isinstance(model, str):
        # bytes, a list of lines or a data frame were called "empty"
        raise ModelSpecificationError(
            f"model= must be lavaan model syntax as text (a str), not "
            f"{type(model).__name__}" + ("; decode the bytes first (model.decode('utf-8'))."
                                         if isinstance(model, bytes | bytearray) else
                                         "; join the lines with '\\n'." if isinstance(
                                             model, list | tuple) else "."))
    if not model.strip():
        raise ModelSpecificationError("The model= syntax is empty; give at least one formula.")
    out: list[Statement] = []
    for stmt, line in _logical_statements(model):
        for pattern, what in _UNSUPPORTED:
            if pattern.search(stmt):
                raise ModelSpecificationError(
                    f"Line {line}: {what} ({stmt!r}); this engine does not fit such models.")
        found = _find_operator(stmt)
        if found is None:
            raise ModelSpecificationError(
                f"Line {line}: no operator (=~, ~, ~~, |, :=, ==, <, >) in {stmt!r}.")
        op, pos = found
        lhs_txt, rhs_txt = stmt[:pos].strip(), stmt[pos + len(op):].strip()
        if not lhs_txt or not rhs_txt:
            raise ModelSpecificationError(
                f"Line {line}: the formula {stmt!r} lacks a left or right-hand side.")
        if op == ":=":
            _check_name(lhs_txt, line, stmt)
            out.append(Statement(lhs_txt, op, re.sub(r"\s+", "", rhs_txt), line))
            continue
        if op in ("==", "<", ">", "<=", ">="):
            op = {"<=": "<", ">=": ">"}.get(op, op)
            out.append(Statement(lhs_txt, op, rhs_txt, line))
            continue
        lhs_names = [s.strip() for s in _split_top(lhs_txt, "+")]
        for name in lhs_names:
            _check_name(name, line, stmt)
        terms = _split_top(rhs_txt, "+")
        if any(t == "" for t in terms):
            raise ModelSpecificationError(f"Line {line}: empty term in {stmt!r}.")
        parsed = _merge_repeated([_parse_term(term, line) for term in terms])
        for lhs in lhs_names:
            for var, mod in parsed:
                this_op = op
                if op == "~" and var in ("1", "1.0"):
                    this_op, var = "~1", ""
                elif op == "|":
                    if not _THRESHOLD_RE.match(var):
                        raise ModelSpecificationError(
                            f"Line {line}: thresholds are named t1, t2, ...; got {var!r}.")
                elif op == "~*~":
                    _check_name(var, line, stmt)
                else:
                    _check_name(var, line, stmt)
                out.append(Statement(lhs, this_op, var, line, mod))
    if not out:
        raise ModelSpecificationError("The model= syntax is empty; give at least one formula.")
    return out
