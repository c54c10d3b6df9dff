"""Power of the confirmatory tests against the sample size (analysis ``power_curves``).

The main body shows the curves as one figure of small multiples; the online appendix
gives their values, each tied to its JSON location, with the sample size at which each
test reaches the target power.  The curves are analytic (the analysis evaluates the
declared Wald test with the standard error scaled to each N), so the report stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..figures_power import PowerPanel, power_curves
from ..fmt import is_number
from ..html import esc, join, num, table, text_cell
from .common import ReportContext

BASE = "/power_curves"


def _part(ctx: ReportContext) -> Mapping[str, Any] | None:
    pc = ctx.a.get("power_curves")
    if not isinstance(pc, Mapping) or pc.get("available") is False \
            or not isinstance(pc.get("hypotheses"), list) or not isinstance(pc.get("ns"), list):
        return None
    return pc


def _reason(ctx: ReportContext) -> str:
    pc = ctx.a.get("power_curves")
    if isinstance(pc, Mapping) and isinstance(pc.get("reason"), str):
        return f"power curves ({pc['reason']})"
    return "power curves (the analysis has no 'power_curves'; rebuild it with this version)."


def figure(ctx: ReportContext) -> str:
    """The main body's figure: power against N per confirmatory hypothesis."""
    pc = _part(ctx)
    if pc is None:
        return ctx.missing(_reason(ctx))
    ns = [float(n) for n in pc["ns"]]
    panels = [PowerPanel(title=str(h.get("id", "")), ns=ns, sesoi=h.get("power_sesoi") or [],
                         observed=h.get("power_observed"), n_observed=float(h["n"]))
              for h in pc["hypotheses"] if isinstance(h, Mapping) and is_number(h.get("n"))]
    if not panels:
        return ctx.missing(_reason(ctx))
    target = float(pc["target"]) if is_number(pc.get("target")) else 0.80
    alpha = float(pc["alpha"]) if is_number(pc.get("alpha")) else 0.05
    svg = power_curves(panels, target=target, alpha=alpha)
    sides = "one-sided in the predicted direction" if pc.get("sides") == 1 else "two-sided"
    return ctx.figure(
        svg,
        "Power of each confirmatory test against the number of respondents <em>N</em>: "
        "to detect the smallest effect size of interest (solid; "
        f"{_sesoi_text(ctx)}) and an effect as large as the observed estimate (dashed; a "
        "planning aid for a replication, not evidence about this study). The dotted line "
        "marks this study's <em>N</em>, the grey line power "
        f'{num(pc.get("target"), join(BASE, "target"), "std", tag="span")}. Power is that of '
        f"the declared test ({sides}, \u03b1 = "
        f'{num(pc.get("alpha"), join(BASE, "alpha"), "std", tag="span")} before the '
        "family correction), with its standard error scaled by \u221a(<em>n</em>/<em>N</em>) "
        "from the one this study achieved. Values in the online appendix.")


def _sesoi_text(ctx: ReportContext) -> str:
    dec = ctx.a.get("decision")
    s = dec.get("sesoi") if isinstance(dec, Mapping) else None
    if is_number(s):
        return (f'standardized effect {num(s, "/decision/sesoi", "std", tag="span")} unless '
                "a hypothesis declares its own")
    return "as declared"


def values(ctx: ReportContext) -> str:
    """The appendix tables: the curves' values by N, and N for the target power."""
    pc = _part(ctx)
    if pc is None:
        return ctx.missing(_reason(ctx))
    hyps = [(i, h) for i, h in enumerate(pc["hypotheses"]) if isinstance(h, Mapping)]
    header = ["N"] + [str(h.get("id", i + 1)) for i, h in hyps]
    tables = []
    target = pc.get("target")
    for key, what in (("power_sesoi", "the smallest effect size of interest"),
                      ("power_observed", "the observed estimate")):
        rows = []
        for j, n in enumerate(pc["ns"]):
            cells = [num(n, join(BASE, "ns", j), "int", tag="th")]
            for i, h in hyps:
                curve = h.get(key)
                if isinstance(curve, list) and j < len(curve):
                    cells.append(num(curve[j], join(BASE, "hypotheses", i, key, j), "std"))
                else:
                    cells.append('<td class="empty">\u2013</td>')
            rows.append(cells)
        tkey = "n_target_sesoi" if key == "power_sesoi" else "n_target_observed"
        rows.append([f'<th class="text">N for power '
                     f'{num(target, join(BASE, "target"), "std", tag="span")}</th>']
                    + [num(h.get(tkey), join(BASE, "hypotheses", i, tkey), "int")
                       if h.get(tkey) is not None else '<td class="empty">\u2013</td>'
                       for i, h in hyps])
        if key == "power_sesoi":
            rows.append([text_cell("This study's n", tag="th", cls="text")]
                        + [num(h.get("n"), join(BASE, "hypotheses", i, "n"), "int")
                           for i, h in hyps])
        # one remark shared by several hypotheses is made once, for all of them
        same: dict[str, list[str]] = {}
        for _, h in hyps:
            if key == "power_observed" and h.get("note"):
                same.setdefault(str(h["note"]), []).append(str(h.get("id")))
        notes = [esc(f"{' and '.join(ids) if len(ids) < 3 else ', '.join(ids[:-1]) + ' and ' + ids[-1]}"
                     f": {note}") for note, ids in same.items()]
        note = (f"{pc.get('method', '')} \u03b1 = "
                f'{num(pc.get("alpha"), join(BASE, "alpha"), "std", tag="span")}, '
                f'sides of the test: {num(pc.get("sides"), join(BASE, "sides"), "int", tag="span")}.'
                + (" " + " ".join(notes) if notes else ""))
        tables.append(table(f"Power to detect {what} by sample size", header, rows,
                            number=ctx.c.table(), note=note, cls="apa power"))
    return "\n".join(tables)
