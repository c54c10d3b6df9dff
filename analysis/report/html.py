"""Small HTML building blocks: escaped text, number cells that carry their JSON path, tables.

A number taken from the analysis JSON is written as
``<td class="num" data-key="/json/pointer" data-fmt="KIND" data-value="RAW">TEXT</td>``
so that the report can be checked against the JSON it was made from
(``scripts/check_report.py``): ``RAW`` is the JSON value, ``TEXT`` is
``fmt(RAW, KIND)``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from analysis.provenance import DATA_FINGERPRINT

from .fmt import fmt, is_number

SCALAR = (str, int, float, bool, type(None))


#: A percentage written with a space before its sign ("14.2 %", "95 % CI").
_SPACED_PERCENT = re.compile(r"(\d)[ \u00a0\u202f]+%")


def prose(text: str) -> str:
    """The report's typography for running text: \u2264 and \u2265 for the ASCII ``<=`` and
    ``>=`` of the analysis' notes and rules, and a percentage written as ``14.2%`` (APA 7,
    the report's one convention) whatever spacing the source used."""
    text = text.replace("<=", "\u2264").replace(">=", "\u2265")
    return _SPACED_PERCENT.sub(r"\1%", text)


def esc(text: Any) -> str:
    """HTML-escape ``str(text)`` as report prose (see :func:`prose`)."""
    return html.escape(prose(str(text)), quote=True)


def esc_code(text: Any) -> str:
    """HTML-escape ``str(text)`` verbatim: model syntax and other code."""
    return html.escape(str(text), quote=True)


def pointer(*parts: Any) -> str:
    """A JSON pointer (RFC 6901) from path parts."""
    out = []
    for p in parts:
        out.append(str(p).replace("~", "~0").replace("/", "~1"))
    return "/" + "/".join(out) if out else ""


def join(path: str, *parts: Any) -> str:
    """Extend a JSON pointer."""
    return path + pointer(*parts)


def resolve(doc: Any, ptr: str) -> Any:
    """Look up a JSON pointer in a parsed JSON document (``KeyError`` if absent)."""
    if ptr == "":
        return doc
    cur = doc
    for raw in ptr.lstrip("/").split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(cur, list):
            cur = cur[int(key)]
        elif isinstance(cur, dict):
            cur = cur[key]
        else:
            raise KeyError(ptr)
    return cur


def num(value: Any, path: str | None, kind: str = "num", *, tag: str = "td",
        suffix: str = "", cls: str = "num") -> str:
    """A cell (or span) showing ``fmt(value, kind)``, tagged with its JSON path."""
    text = esc(fmt(value, kind)) + esc(suffix)
    if path is None or not (is_number(value) or value is None):
        return f'<{tag} class="{cls}">{text}</{tag}>'
    raw = esc_code(json.dumps(value))
    return (f'<{tag} class="{cls}" data-key="{esc_code(path)}" data-fmt="{kind}" '
            f'data-value="{raw}">{text}</{tag}>')


def text_cell(value: Any, *, tag: str = "td", cls: str = "") -> str:
    """A text cell."""
    attr = f' class="{cls}"' if cls else ""
    return f"<{tag}{attr}>{esc(fmt(value) if value is None else value)}</{tag}>"


def table(caption: str, header: Sequence[str], rows: Iterable[Sequence[str]], *,
          note: str = "", number: int | str | None = None, cls: str = "apa") -> str:
    """An APA-style table: number and title above, rules, a note below.

    ``rows`` are lists of already rendered ``<td>``/``<th>`` cells.
    """
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in header)
    body = "\n".join("<tr>" + "".join(r) + "</tr>" for r in rows)
    label = f"Table {number}" if number is not None else "Table"
    cap = f'<caption><span class="tabnum">{label}</span><span class="tabtitle">{esc(caption)}</span></caption>'
    foot = f'<p class="tabnote"><em>Note.</em> {note}</p>' if note else ""
    return (f'<div class="tablewrap"><table class="{cls}">{cap}\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody></table>{foot}</div>")


def na(what: str) -> str:
    """The plain statement that something is not available."""
    return f'<p class="na">Not available: {esc(what)}</p>'


def is_scalar(v: Any) -> bool:
    return isinstance(v, SCALAR)


NAMES = {"se": "SE", "pvalue": "p", "ci_lower": "CI lower", "ci_upper": "CI upper",
         "std_all": "\u03b2 (std.all)", "est": "B", "boot_se": "bootstrap SE", "r2": "R\u00b2",
         "df": "df", "chisq": "\u03c7\u00b2", "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA",
         "srmr": "SRMR", "n": "N", "sd": "SD", "icc1": "ICC(1)", "icc2": "ICC(2)",
         "pvalue_adjusted": "p (adjusted)", "z": "z", "t": "t", "f": "F",
         "data_sha256": DATA_FINGERPRINT[:1].upper() + DATA_FINGERPRINT[1:]}

#: Names of the measurement model's reliability and validity keys (headings and columns).
VALIDITY_NAMES = {"htmt": "HTMT", "htmt_inference": "HTMT inference", "htmt_max": "HTMT max",
                  "fornell_larcker_margin": "Fornell\u2013Larcker margin",
                  "min_std_loading": "smallest std. loading",
                  "htmt_ci_upper_max": "largest HTMT CI upper bound",
                  "n_not_below_085": "pairs not below .85",
                  "n_not_below_090": "pairs not below .90",
                  "n_loadings_below": "loadings below the threshold"}
NAMES.update({k: v[:1].upper() + v[1:] for k, v in VALIDITY_NAMES.items()})

#: The dyadic section's keys: agreement (Kenny, Kashy & Cook 2006; James, Demaree & Wolf
#: 1984), the dyad-level dependence and perception gaps, and the actor-partner model's
#: effects (Kenny & Ledermann 2010), which read as "A A" or "Rwg j n" word by word.
NAMES.update({
    "r_roles": "r (A, B)", "r_roles_pvalue": "p of r (A, B)",
    # a Pearson r is lower case (it read "R", the multiple correlation's letter); the firm
    # roles name the firm (the perception tables were titled "A" and "B")
    "r": "r", "A": "Firm A", "B": "Firm B",
    "mean_A": "Mean, firm A", "mean_B": "Mean, firm B",
    "rwg_j": "rwg(j)", "rwg_j_mean": "rwg(j) mean",
    "rwg_j_median": "rwg(j) median", "rwg_j_share_above": "Share of dyads with rwg(j) ≥ cut-off",
    "rwg_j_n": "Dyads with rwg(j)", "rwg_j_cutoff": "rwg(j) cut-off",
    "n_options": "Response options",
    "dyad_jd_mean": "Joint dependence (dyad, mean)",
    "dyad_asym_signed": "Dependence asymmetry (dyad, signed; both rows)",
    "dyad_asym_signed_A": "Dependence asymmetry (dyad, signed; firm A's row)",
    "perception_gap": "Perception gap (perceived minus the partner's own report)",
    "perception_gap_abs": "Perception gap, absolute",
    "mean_gap": "Mean gap", "sd_gap": "SD of the gap", "mean_abs_gap": "Mean absolute gap",
    "r_pvalue": "p of r", "t_gap": "t (gap = 0)", "t_gap_pvalue": "p (gap = 0)",
    "apim": "Actor-partner interdependence models (APIM)",
    "a_A": "Actor effect, firm A (a_A)", "a_B": "Actor effect, firm B (a_B)",
    "p_AB": "Partner effect of A on B (p_AB)", "p_BA": "Partner effect of B on A (p_BA)",
    "actor_diff": "Actor effects, A minus B", "partner_diff": "Partner effects, BA minus AB",
    "k_A": "k of firm A (p_BA / a_A)", "k_B": "k of firm B (p_AB / a_B)",
    "delta_beta": "Difference of standardized slopes", "delta_r2": "Difference of R\u00b2",
    "r_predictors": "r of the two predictors",
    "below_085": "Upper bound below .85", "below_090": "Upper bound below .90",
    "factor1": "Construct 1", "factor2": "Construct 2", "n_boot": "Bootstrap draws",
    "std_marker": "Std. loading on the marker", "method_share": "Method share of variance",
    "std_traits": "Std. loading (traits only)", "std_with_method": "Std. loading (with method)",
    "chen_fails": "Fails the declared rule",
})


#: The study's own names (constructs, questions) while :func:`generic` renders a section
#: of its analysis (set by :func:`study_names`), so that the appendix names a scale as the
#: main body does ("Relationship learning: information sharing", not "Info sharing").
_STUDY_NAMES: ContextVar[Mapping[str, str] | None] = ContextVar("study_names", default=None)


@contextmanager
def study_names(names: Mapping[str, str]) -> Iterator[None]:
    """Label keys by ``names`` first in the :func:`generic` calls inside the block."""
    token = _STUDY_NAMES.set(names)
    try:
        yield
    finally:
        _STUDY_NAMES.reset(token)


#: Words of lavaan's and the analysis' key names written as a paper writes them, for keys
#: not in :data:`NAMES` ("cfi_robust" -> "CFI robust", "chisq_scaled" -> "χ² scaled").
TOKENS = {"chisq": "\u03c7\u00b2", "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA",
          "srmr": "SRMR", "aic": "AIC", "bic": "BIC", "bic2": "BIC2", "cfa": "CFA",
          "ulmc": "ULMC", "htmt": "HTMT", "ave": "AVE", "cr": "CR", "se": "SE", "ci": "CI",
          "sd": "SD", "df": "df", "pvalue": "p", "npar": "npar", "logl": "logL",
          "gfi": "GFI", "agfi": "AGFI", "nfi": "NFI", "ifi": "IFI", "rni": "RNI",
          "ecvi": "ECVI", "wrmr": "WRMR", "icc": "ICC", "vif": "VIF", "ols": "OLS",
          "fiml": "FIML", "mlr": "MLR", "wlsmv": "WLSMV", "pls": "PLS", "id": "ID"}


def _own_name(value: Any) -> str | None:
    """The study's label of ``value`` when it is one of its ids (a construct, question)."""
    own = _STUDY_NAMES.get() or {}
    return own.get(value) if isinstance(value, str) else None


def _label(key: Any) -> str:
    own = _STUDY_NAMES.get() or {}
    if str(key) in own:
        return own[str(key)]
    if str(key) in NAMES:
        return NAMES[str(key)]
    words = str(key).split("_")
    text = " ".join(TOKENS.get(w.lower(), w) for w in words)
    return text[:1].upper() + text[1:] if words[0].lower() not in TOKENS else text


#: Columns that hold counts and degrees of freedom, whatever the table's kind (a df that
#: is not whole, as Welch's, keeps two decimals: :func:`analysis.report.fmt.fmt`).
COUNT_KEYS = frozenset({"npar", "df", "df_scaled", "delta_df", "ntotal", "nobs", "n", "step",
                        "df_null", "baseline_df", "family_size", "rwg_j_n"})


def kind_for(key: Any, default: str) -> str:
    """The formatting kind of a column: p values as p values and counts as counts,
    whatever the table's kind."""
    k = str(key).lower()
    if k in ("p", "pvalue", "p_value") or k.startswith(("pvalue_", "p_")) or \
            k.endswith(("_pvalue", "_p")):
        return "p"
    if k in COUNT_KEYS or k.startswith("n_") and not k.startswith("n_per"):
        return "int"
    return default


class Counter:
    """Numbers tables and figures of one part of a report (no module-level state).

    The main body numbers 1, 2, ...; the online appendix carries a prefix ("A1", "A2", ...)
    so that a reader never confuses a manuscript table with an appendix one.
    """

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.tables = 0
        self.figures = 0

    def table(self) -> int | str:
        self.tables += 1
        return f"{self.prefix}{self.tables}" if self.prefix else self.tables

    def figure(self) -> int | str:
        self.figures += 1
        return f"{self.prefix}{self.figures}" if self.prefix else self.figures


def generic(value: Any, path: str, title: str, counter: Counter, *, kind: str = "num",
            depth: int = 0) -> str:
    """Render any JSON value: scalars, key/value tables, matrices, record lists, nesting.

    Every number keeps its JSON path, so nothing of an unfamiliar structure is lost.
    """
    if is_scalar(value):
        if is_number(value) or value is None:
            return f"<p>{esc(_label(title))}: {num(value, path, kind, tag='span')}</p>"
        if _long_text(value):
            # several lines are code (model syntax), kept verbatim; one long line is prose
            body = esc_code(value) if "\n" in value else esc(value)
            return (f"<details><summary>{esc(_label(title))}</summary>"
                    f'<pre class="code">{body}</pre></details>')
        return f"<p>{esc(_label(title))}: {esc(fmt(value))}</p>"
    if isinstance(value, list):
        if not value:
            return f"<p>{esc(_label(title))}: none.</p>"
        if all(isinstance(v, str) for v in value):
            items = "".join(f"<li>{esc(_own_name(v) or v)}</li>" for v in value)
            return f"<p>{esc(_label(title))}:</p><ul>{items}</ul>"
        if all(is_number(v) or v is None for v in value):
            inner = ", ".join(num(v, join(path, i), kind, tag="span") for i, v in enumerate(value))
            return f"<p>{esc(_label(title))}: {inner}</p>"
        if all(isinstance(v, Mapping) for v in value) and any(
                _complex(x) for v in value for x in v.values()):
            # records holding tables of their own: one block per record
            level = min(depth + 4, 6)
            parts = [f"<h{level}>{esc(_label(title))}</h{level}>"]
            for i, rec in enumerate(value):
                name = next((str(rec[k]) for k in ("id", "name", "model", "label", "outcome")
                             if isinstance(rec.get(k), str)), str(i + 1))
                sub = f"{title} {name}"
                if isinstance(rec.get("predictor"), str) and isinstance(rec.get("outcome"), str):
                    # two models of one outcome (the APIMs) were both titled by it alone
                    sub = (f"{_label(title)}: {_label(rec['predictor'])} \u2192 "
                           f"{_label(rec['outcome'])}")
                parts.append(generic(rec, join(path, i), sub, counter, kind=kind,
                                     depth=depth + 1))
            return "\n".join(parts)
        if all(isinstance(v, Mapping) for v in value):
            cols: list[str] = list(dict.fromkeys(k for v in value for k in v))
            rows = []
            for i, rec in enumerate(value):
                rows.append([_cell(rec.get(c), join(path, i, c), kind_for(c, kind), c in rec,
                                   counter) for c in cols])
            return table(_label(title), [_label(c) for c in cols], rows,
                         number=counter.table())
        rows = [[text_cell(i), _cell(v, join(path, i), kind, True, counter)]
                for i, v in enumerate(value)]
        return table(_label(title), ["#", "value"], rows, number=counter.table())
    if isinstance(value, Mapping):
        if not value:
            return f"<p>{esc(_label(title))}: none.</p>"
        if all(is_scalar(v) and not _long_text(v) for v in value.values()):
            rows = [[text_cell(_label(k), tag="th"),
                     _cell(v, join(path, k), kind_for(k, kind), True, counter)]
                    for k, v in value.items()]
            return table(_label(title), ["", "value"], rows, number=counter.table())
        if all(isinstance(v, Mapping) and all(is_scalar(x) for x in v.values())
               for v in value.values()):
            cols = list(dict.fromkeys(k for v in value.values() for k in v))
            rows = []
            for r, rec in value.items():
                rows.append([text_cell(_label(r), tag="th")]
                            + [_cell(rec.get(c), join(path, r, c), kind_for(c, kind), c in rec,
                                     counter) for c in cols])
            return table(_label(title), [""] + [_label(c) for c in cols], rows,
                         number=counter.table())
        level = min(depth + 4, 6)
        parts = [f"<h{level}>{esc(_label(title))}</h{level}>"]
        flat = {k: v for k, v in value.items() if is_scalar(v) and not _long_text(v)}
        if len(flat) > 1:  # the scalars of a mixed mapping as one small table
            rows = [[text_cell(_label(k), tag="th"),
                     _cell(v, join(path, k), kind_for(k, kind), True, counter)]
                    for k, v in flat.items()]
            parts.append(table(_label(title), ["", "value"], rows, number=counter.table()))
        for k, v in value.items():
            if len(flat) > 1 and k in flat:
                continue
            parts.append(generic(v, join(path, k), str(k), counter, kind=kind, depth=depth + 1))
        return "\n".join(parts)
    return f"<p>{esc(_label(title))}: {esc(value)}</p>"


def _long_text(v: Any) -> bool:
    """Text that needs its own block (model syntax, long notes)."""
    return isinstance(v, str) and ("\n" in v or len(v) > 160)


def _complex(v: Any) -> bool:
    """A value that does not fit in a table cell: a list of mappings or a mapping of mappings."""
    if isinstance(v, list):
        return any(isinstance(x, Mapping | list) for x in v)
    if isinstance(v, Mapping):
        return any(isinstance(x, Mapping | list) for x in v.values())
    return False


def _cell(v: Any, path: str, kind: str, present: bool, counter: Counter) -> str:
    if not present:
        return '<td class="empty"></td>'
    if is_number(v) or v is None:
        return num(v, path, kind)
    if isinstance(v, str | bool):
        return text_cell(_own_name(v) or fmt(v))
    # nested value inside a cell: a compact definition list keeping the paths
    if isinstance(v, Mapping):
        inner = "".join(
            f"<div>{esc(_label(k))}: "
            + (num(x, join(path, k), kind, tag="span") if is_number(x) or x is None
               else esc(fmt(x) if is_scalar(x) else json.dumps(x, sort_keys=True)))
            + "</div>" for k, x in v.items())
        return f'<td class="nested">{inner}</td>'
    if isinstance(v, list):
        inner = ", ".join(
            num(x, join(path, i), kind, tag="span") if is_number(x) or x is None
            else esc(fmt(x) if is_scalar(x) else json.dumps(x, sort_keys=True))
            for i, x in enumerate(v))
        return f'<td class="nested">{inner}</td>'
    return text_cell(str(v))
