"""Lavaan-like model syntax for PLS path models.

``=~`` declares a mode A block (reflective measurement; corrected to a common
factor when the model is estimated consistently), ``<~`` a mode B block
(composite, regression weights), ``~`` structural paths.  A block whose
indicators are themselves constructs is a higher-order construct (except the
block's own name: ``Age =~ Age`` is a one-item construct measured by the column
``Age``, as seminr's ``composite("Age", single_item("Age"))``); a regressor
written ``A:B`` is the interaction of constructs ``A`` and ``B``.  Several
left-hand sides are allowed on a path line (``COMP + LIKE ~ QUAL + PERF``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analysis.errors import ModelSpecificationError
from analysis.sem.syntax import strip_comment

__all__ = ["PLSSpec", "parse_pls_model"]

_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


@dataclass(frozen=True)
class PLSSpec:
    """A parsed PLS path model (immutable).

    Attributes
    ----------
    blocks : tuple of (construct, mode, indicators)
        ``mode`` is ``"A"`` for ``=~`` and ``"B"`` for ``<~``; in the order written.
    paths : tuple of (source, target)
        Structural paths; an interaction source is named ``"A:B"``.
    """

    blocks: tuple[tuple[str, str, tuple[str, ...]], ...]
    paths: tuple[tuple[str, str], ...]

    @property
    def constructs(self) -> tuple[str, ...]:
        return tuple(b[0] for b in self.blocks)

    def block(self, name: str) -> tuple[str, str, tuple[str, ...]]:
        for b in self.blocks:
            if b[0] == name:
                return b
        raise KeyError(name)

    @property
    def higher_order(self) -> tuple[str, ...]:
        """Constructs measured by other constructs (a block that lists its own name,
        ``Age =~ Age``, is measured by the column of that name)."""
        names = set(self.constructs)
        return tuple(b[0] for b in self.blocks if any(i in names and i != b[0] for i in b[2]))

    @property
    def interactions(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for s, _ in self.paths:
            if ":" in s:
                seen[s] = None
        return tuple(seen)

    @property
    def structural_constructs(self) -> tuple[str, ...]:
        """Constructs that appear in a structural path, in block order then interactions."""
        used = {c for p in self.paths for c in p}
        return tuple(c for c in self.constructs if c in used) + self.interactions

    @property
    def items(self) -> tuple[str, ...]:
        names = set(self.constructs)
        out: dict[str, None] = {}
        for c, _, ind in self.blocks:
            for i in ind:
                if i not in names or i == c:
                    out[i] = None
        return tuple(out)


def _split_terms(text: str, line_no: int, line: str) -> list[str]:
    terms = [t.strip() for t in text.split("+")]
    if not terms or any(not t for t in terms):
        raise ModelSpecificationError(
            f"Model line {line_no} ({line.strip()!r}): an empty term around '+'.")
    for t in terms:
        parts = t.split(":")
        if len(parts) > 2 or not all(_NAME.match(p.strip()) for p in parts):
            raise ModelSpecificationError(
                f"Model line {line_no} ({line.strip()!r}): {t!r} is not a variable name "
                "(letters, digits, '_' and '.'; 'A:B' for an interaction).")
    return [":".join(p.strip() for p in t.split(":")) for t in terms]


def parse_pls_model(model: str) -> PLSSpec:
    """Parse lavaan-like PLS syntax into a :class:`PLSSpec`.

    Raises
    ------
    ModelSpecificationError
        For every line that cannot be read, a block without indicators, a construct
        declared twice, an observed indicator in two blocks, a path to or from an
        undeclared construct, or a model without paths; all problems are listed
        together.  A model without other problems is also refused when its inner model
        has a cycle (named in the message).
    """
    if not isinstance(model, str) or not model.strip():
        raise ModelSpecificationError("The PLS model= is empty; give '=~'/'<~' blocks and '~' paths.")
    blocks: list[tuple[str, str, tuple[str, ...]]] = []
    paths: list[tuple[str, str]] = []
    problems: list[str] = []
    tried: set[str] = set()
    # comments go first (a ';' inside a comment separates nothing), then ';' statements
    pieces = [piece for raw in model.split("\n") for piece in strip_comment(raw).split(";")]
    for no, raw in enumerate(pieces, start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            if "=~" in line or "<~" in line:
                op = "=~" if "=~" in line else "<~"
                lhs, rhs = line.split(op, 1)
                lhs = lhs.strip()
                if not _NAME.match(lhs):
                    raise ModelSpecificationError(
                        f"Model line {no} ({line!r}): {lhs!r} is not a construct name.")
                tried.add(lhs)  # a block that fails is still declared: no second message
                if not rhs.strip():
                    raise ModelSpecificationError(
                        f"Model line {no} ({line!r}): construct {lhs!r} has no indicators; "
                        f"list them after '{op}'.")
                ind = _split_terms(rhs, no, line)
                if any(":" in t for t in ind):
                    raise ModelSpecificationError(
                        f"Model line {no} ({line!r}): interactions belong in '~' paths, "
                        "not in a measurement block.")
                if len(set(ind)) != len(ind):
                    twice = sorted({i for i in ind if ind.count(i) > 1})
                    raise ModelSpecificationError(
                        f"Model line {no} ({line!r}): indicator {', '.join(twice)} is listed "
                        "twice.")
                blocks.append((lhs, "A" if op == "=~" else "B", tuple(ind)))
            elif "~" in line:
                if "~~" in line or "~1" in line.replace(" ", ""):
                    raise ModelSpecificationError(
                        f"Model line {no} ({line!r}): PLS models take only '=~', '<~' and '~'.")
                lhs, rhs = line.split("~", 1)
                targets = _split_terms(lhs, no, line)
                sources = _split_terms(rhs, no, line)
                for t in targets:
                    if ":" in t:
                        raise ModelSpecificationError(
                            f"Model line {no} ({line!r}): an interaction cannot be an outcome.")
                    for s in sources:
                        if (s, t) not in paths:
                            paths.append((s, t))
            else:
                raise ModelSpecificationError(
                    f"Model line {no} ({line!r}): no operator; use '=~', '<~' or '~'.")
        except ModelSpecificationError as exc:
            problems.append(str(exc))
    names = [b[0] for b in blocks]
    for n in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"Construct {n!r} is declared more than once.")
    declared = set(names)
    for s, t in paths:
        for c in [t, *s.split(":")]:
            if c not in declared and c not in tried:
                problems.append(f"Path {s} -> {t}: construct {c!r} has no '=~' or '<~' block.")
        if s == t:
            problems.append(f"Path {s} -> {t}: a construct cannot predict itself.")
    if not paths and not problems:
        problems.append("The model has no structural paths ('~'); PLS needs at least one.")
    elif not problems:
        # a construct in no path (nor measuring one that is) was left out of the results
        # without a word
        used = {c for s, t in paths for c in (t, *s.split(":"))}
        dims = {c: [d for d in ind if d in declared and d != c] for c, _, ind in blocks}
        todo = list(used)
        while todo:
            for d in dims.get(todo.pop(), ()):
                if d not in used:
                    used.add(d)
                    todo.append(d)
        for n in [n for n in names if n not in used]:
            problems.append(f"Construct {n!r} is in no structural path ('~') and measures no "
                            "construct that is; PLS would leave it out of the results: add "
                            "its path or drop its block.")
    problems.extend(_shared_indicators(blocks, declared))
    if not problems:
        cycle = _cycle(blocks, paths, declared)
        if cycle:
            dims = {(d, c) for c, _, ind in blocks for d in ind if d in declared and d != c}
            note = (" (a higher-order construct follows its dimensions)"
                    if any(pair in dims for pair in zip(cycle, cycle[1:], strict=False)) else "")
            problems.append(
                "The structural model is not recursive: " + " -> ".join(cycle) + " is a "
                f"cycle{note}. PLS path models (seminr, SmartPLS) need an acyclic inner "
                "model; drop a path of the cycle.")
    if problems:
        raise ModelSpecificationError(
            "The PLS model cannot be used:\n" + "\n".join(f"  - {p}" for p in dict.fromkeys(problems)))
    return PLSSpec(tuple(blocks), tuple(paths))


def _shared_indicators(blocks: list[tuple[str, str, tuple[str, ...]]],
                       constructs: set[str]) -> list[str]:
    """An observed indicator in two blocks (the blocks of a PLS path model are disjoint;
    a shared item makes the two scores correlate by construction and inflates HTMT)."""
    owners: dict[str, list[str]] = {}
    for c, _, ind in blocks:
        for i in ind:
            if i not in constructs or i == c:
                owners.setdefault(i, []).append(c)
    return [f"Indicator {i!r} is in the blocks of {' and '.join(repr(c) for c in cs)}; each "
            "indicator measures one construct (give a copy of the column another name if "
            "that is meant)."
            for i, cs in owners.items() if len(cs) > 1]


def _cycle(blocks: list[tuple[str, str, tuple[str, ...]]], paths: list[tuple[str, str]],
           constructs: set[str]) -> list[str]:
    """A cycle of the inner model as ``[a, b, ..., a]``, or ``[]`` if it is recursive.

    Edges: every path (both constructs of an interaction ``A:B -> C`` lead to ``C``) and,
    for a higher-order construct, each of its dimensions to it (its scores are built
    from theirs, so a path from it back to a dimension closes a loop).
    """
    succ: dict[str, list[str]] = {}
    for s, t in paths:
        for part in s.split(":"):
            succ.setdefault(part, []).append(t)
    for c, _, ind in blocks:
        for d in ind:
            if d in constructs and d != c:
                succ.setdefault(d, []).append(c)
    state: dict[str, int] = {}  # 1 on the current walk, 2 done
    for start in succ:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        walk: list[str] = [start]
        state[start] = 1
        while stack:
            node, k = stack[-1]
            nxt = succ.get(node, [])
            if k == len(nxt):
                stack.pop()
                walk.pop()
                state[node] = 2
                continue
            stack[-1] = (node, k + 1)
            child = nxt[k]
            if state.get(child) == 1:
                return walk[walk.index(child):] + [child]
            if not state.get(child):
                state[child] = 1
                stack.append((child, 0))
                walk.append(child)
    return []
