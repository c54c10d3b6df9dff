"""Survey logic: the small expression language of ``show_if`` conditions.

A question, a scale item or a whole page (section) may carry ``show_if:`` with a
condition over answers given on *earlier* pages, for example::

    show_if: sustainability_focus != 1
    show_if: alliance_form in [1, 2] and alliance_age >= 2
    show_if: not (our_role == 3)

Grammar (nothing else is accepted; the text is parsed, never evaluated as Python)::

    condition  := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" condition ")" | comparison
    comparison := NAME ("==" | "!=" | "<" | "<=" | ">" | ">=") NUMBER
                | NAME ["not"] "in" "[" NUMBER ("," NUMBER)* "]"
                | "answered" "(" NAME ")"

A comparison with an unanswered (or not shown) variable is false, whatever the
operator: ``x != 1`` does not show an item to someone who skipped ``x``; write
``not (x == 1)`` for "unless x is 1".  ``answered(x)`` tests for an answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analysis.errors import InstrumentError

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,))"
)
_KEYWORDS = {"and", "or", "not", "in", "answered"}
_COMPARE = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}  # fmt: skip
#: Longest condition accepted (a guard against pathological input in the YAML).
MAX_LENGTH = 500


class ConditionError(InstrumentError):
    """A ``show_if`` condition that does not follow the grammar."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    at = 0
    text = text.rstrip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise ConditionError(f"unexpected {text[at:].strip()[:20]!r} at character {at + 1}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "name" and value in _KEYWORDS:
            kind = "kw"
        out.append((kind, value))
        at = match.end()
    return out


@dataclass(frozen=True)
class Condition:
    """A parsed ``show_if`` condition; :meth:`holds` evaluates it on answers."""

    text: str
    tree: tuple

    @property
    def names(self) -> tuple[str, ...]:
        """The variables the condition reads, in order of first use."""
        seen: list[str] = []

        def walk(node: tuple) -> None:
            if node[0] in ("and", "or"):
                walk(node[1])
                walk(node[2])
            elif node[0] == "not":
                walk(node[1])
            elif node[1] not in seen:
                seen.append(node[1])

        walk(self.tree)
        return tuple(seen)

    def values(self) -> dict[str, list[float]]:
        """The numbers each variable is compared with (for checking them against codes)."""
        out: dict[str, list[float]] = {}

        def walk(node: tuple) -> None:
            if node[0] in ("and", "or"):
                walk(node[1])
                walk(node[2])
            elif node[0] == "not":
                walk(node[1])
            elif node[0] == "cmp":
                out.setdefault(node[1], []).append(node[3])
            elif node[0] == "in":
                out.setdefault(node[1], []).extend(node[2])

        walk(self.tree)
        return out

    def holds(self, answers: Mapping[str, Any]) -> bool:
        """Whether the condition is true for ``answers`` (variable -> value; missing: None)."""
        return _eval(self.tree, answers)


def _value(answers: Mapping[str, Any], name: str) -> float | None:
    value = answers.get(name)
    if value is None or isinstance(value, str):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _eval(node: tuple, answers: Mapping[str, Any]) -> bool:
    kind = node[0]
    if kind == "and":
        return _eval(node[1], answers) and _eval(node[2], answers)
    if kind == "or":
        return _eval(node[1], answers) or _eval(node[2], answers)
    if kind == "not":
        return not _eval(node[1], answers)
    if kind == "answered":
        raw = answers.get(node[1])
        return raw is not None and not (isinstance(raw, str) and not raw.strip()) and not (
            isinstance(raw, float) and math.isnan(raw))  # fmt: skip
    value = _value(answers, node[1])
    if value is None:
        return False
    if kind == "in":
        return (value in node[2]) != node[3]
    return bool(_COMPARE[node[2]](value, node[3]))


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            want = value or {"num": "a number", "name": "a variable name"}.get(kind, kind)
            got = "the end" if token is None else repr(token[1])
            raise ConditionError(f"expected {want!r} but found {got}")
        self.at += 1
        return token[1]

    def accept(self, kind: str, value: str) -> bool:
        token = self.peek()
        if token == (kind, value):
            self.at += 1
            return True
        return False

    def condition(self) -> tuple:
        node = self.conjunction()
        while self.accept("kw", "or"):
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self) -> tuple:
        node = self.negation()
        while self.accept("kw", "and"):
            node = ("and", node, self.negation())
        return node

    def negation(self) -> tuple:
        if self.accept("kw", "not"):
            return ("not", self.negation())
        if self.accept("op", "("):
            node = self.condition()
            self.take("op", ")")
            return node
        if self.accept("kw", "answered"):
            self.take("op", "(")
            name = self.take("name")
            self.take("op", ")")
            return ("answered", name)
        name = self.take("name")
        if self.accept("kw", "not"):
            self.take("kw", "in")
            return ("in", name, self.number_list(), True)
        if self.accept("kw", "in"):
            return ("in", name, self.number_list(), False)
        token = self.peek()
        if token is None or token[1] not in _COMPARE:
            got = "the end" if token is None else repr(token[1])
            raise ConditionError(f"expected a comparison (==, !=, <, <=, >, >=, in) after "
                                 f"{name!r} but found {got}")  # fmt: skip
        self.at += 1
        return ("cmp", name, token[1], float(self.take("num")))

    def number_list(self) -> tuple[float, ...]:
        self.take("op", "[")
        values = [float(self.take("num"))]
        while self.accept("op", ","):
            values.append(float(self.take("num")))
        self.take("op", "]")
        return tuple(values)


def parse_condition(text: str) -> Condition:
    """Parse a ``show_if`` condition.

    Raises
    ------
    ConditionError
        Saying what was expected and what was found.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("a condition must be a non-empty text")
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"a condition may have at most {MAX_LENGTH} characters")
    parser = _Parser(text)
    tree = parser.condition()
    if parser.peek() is not None:
        raise ConditionError(f"unexpected {parser.peek()[1]!r} after a complete condition")
    return Condition(text.strip(), tree)


__all__ = ["Condition", "ConditionError", "parse_condition"]
