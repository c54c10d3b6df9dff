"""What every section builder shares: the rendering context and small lookups in the analysis."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..fmt import fmt
from ..html import Counter, generic, join, na, num


@dataclass
class ReportContext:
    """State of one rendering: the analysis, the extras, the numbering, the collected notes.

    Built fresh for every report, so table and figure numbers and the "Not available"
    notes never leak from one report into the next.
    """

    a: Mapping[str, Any]
    x: Mapping[str, Any]
    c: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def label(self, name: Any) -> str:
        """The human label of a variable (instrument construct or derived score)."""
        from ..labels import DERIVED, QUESTIONS, label

        labels = self.x.get("labels")
        if not isinstance(labels, Mapping):
            labels = {k: v["en"] for k, v in {**QUESTIONS, **DERIVED}.items()}
        return label(name, dict(labels))

    def value_label(self, variable: Any, code: Any) -> str:
        """The words of one code of a coded variable (a group of an invariance test):
        the instrument's and codebook's value labels, the code itself if it has none."""
        from ..labels import value_labels

        known = self.x.get("value_labels")
        if not isinstance(known, Mapping):
            known = value_labels()
        codes = known.get(str(variable))
        if isinstance(codes, Mapping) and str(code) in codes:
            return str(codes[str(code)])
        return str(code)

    def figure(self, svg: str, caption: str) -> str:
        k = self.c.figure()
        return (f'<figure>{svg}<figcaption><span class="fignum">Figure {k}.</span> '
                f"{caption}</figcaption></figure>")

    def missing(self, what: str) -> str:
        self.notes.append(f"Not available: {what}")
        return na(what)

    def generic(self, value: Any, path: str, title: str, kind: str = "num") -> str:
        from ..html import study_names
        from ..labels import DERIVED, QUESTIONS

        labels = self.x.get("labels")
        if not isinstance(labels, Mapping):
            labels = {k: v["en"] for k, v in {**QUESTIONS, **DERIVED}.items()}
        with study_names({str(k): str(v) for k, v in labels.items()}):
            return generic(value, path, title, self.c, kind=kind)


def get_first(d: Any, *keys: str) -> Any:
    """The first of ``keys`` present in mapping ``d`` (None if none or ``d`` is no mapping)."""
    if not isinstance(d, Mapping):
        return None
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


def first_key(d: Any, *keys: str) -> str | None:
    if not isinstance(d, Mapping):
        return None
    for k in keys:
        if k in d and d[k] is not None:
            return k
    return None


def is_empty(v: Any) -> bool:
    return v is None or (isinstance(v, Mapping | list | str) and len(v) == 0)


def as_text(v: Any) -> str:
    """A non-numeric value as cell text (lists joined, empty list as a dash)."""
    if isinstance(v, list):
        return ", ".join(str(x) for x in v) if v else "\u2013"
    return fmt(v)


def name_text(name: Any) -> str:
    from ..html import VALIDITY_NAMES

    return VALIDITY_NAMES.get(str(name)) or str(name).replace("_", " ")


def ci_cell(lo: Any, hi: Any, lo_path: str, hi_path: str, kind: str = "est") -> str:
    """One cell ``[lower, upper]``; both numbers keep their JSON paths."""
    if lo is None and hi is None:
        return '<td class="ci">NA</td>'
    return (f'<td class="ci">[{num(lo, lo_path, kind, tag="span", cls="num")}, '
            f'{num(hi, hi_path, kind, tag="span", cls="num")}]</td>')


def walk_key(value: Any, path: str, key: str):
    """Yield ``(path, mapping)`` for every mapping that has ``key`` (depth first, in order)."""
    if isinstance(value, Mapping):
        if key in value:
            yield path, value
            return
        for k, v in value.items():
            yield from walk_key(v, join(path, k), key)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk_key(v, join(path, i), key)


def estimators(ctx: ReportContext) -> dict[str, str]:
    """Estimators by model part (``{"measurement": "MLR", ...}``), from wherever recorded.

    A study-wide estimator wins; otherwise the measurement and the structural model each
    name their own, so a WLSMV measurement model beside an MLR structural model is not
    reported as one estimator for all models.
    """
    v = get_first(ctx.a, "estimator")
    if isinstance(v, str):
        return {"all models": v}
    if isinstance(v, Mapping) and v:
        return {str(k): str(x) for k, x in v.items() if isinstance(x, str)}
    parts = {part: get_first(ctx.a.get(part), "estimator")
             for part in ("measurement", "structural")}
    parts = {k: x for k, x in parts.items() if isinstance(x, str)}
    if len(set(parts.values())) > 1:
        return parts
    for src in (ctx.a.get("measurement"), ctx.a.get("provenance"), ctx.a.get("structural")):
        v = get_first(src, "estimator")
        if isinstance(v, str):
            return {"all models": v}
        if isinstance(v, Mapping) and v:
            return {str(k): str(x) for k, x in v.items() if isinstance(x, str)}
    return {}


def estimator(ctx: ReportContext) -> str | None:
    """The estimator as one line of text (per model part when the parts differ)."""
    est = estimators(ctx)
    if not est:
        return None
    if len(set(est.values())) == 1:
        return next(iter(est.values()))
    return "; ".join(f"{name_text(k)}: {v}" for k, v in est.items())


def one_sided_ci_text(alpha: Any) -> str:
    """Why a two-sided 95% interval can disagree with a one-sided test at ``alpha``.

    A one-sided test at alpha matches a two-sided interval of level 1 - 2 alpha (90% at
    .05), not the 95% interval printed beside it; the verdict follows the declared test.
    """
    from ..fmt import is_number

    if not is_number(alpha) or not 0 < float(alpha) < 0.5:
        return ""
    level = 100 * (1 - 2 * float(alpha))
    return (f"the 95% confidence intervals are two-sided; a one-sided test at this \u03b1 "
            f"matches a {level:g}% interval, so an interval that includes zero can go with "
            "a significant one-sided test, and the verdict follows the declared test")


#: How a verdict code of the analysis reads in the report, where the code alone misleads:
#: "opposite sign" is a hypothesis not supported, with an effect significant the other way.
VERDICT_LABELS = {"opposite sign": "not supported (opposite sign)"}


def verdict_label(verdict: Any) -> str:
    """The words of a verdict code (``"opposite sign"`` reads "not supported (opposite
    sign)"); other verdicts as they are, a missing one as "not tested"."""
    v = str(verdict or "not tested")
    return VERDICT_LABELS.get(v, v)
