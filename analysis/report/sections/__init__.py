"""The report's section builders, one function per section, grouped by the part of the analysis they show.

Each builder takes the :class:`~analysis.report.sections.common.ReportContext` of one
rendering and returns the section's HTML body.  The context numbers tables and figures
in the order the builders run, so :func:`analysis.report.render.render_html` calls them
in report order.
"""

from __future__ import annotations

from collections.abc import Callable

from . import closing, effects, fit, hypotheses, measurement, overview, pls, structural
from .common import ReportContext

#: Section id -> builder, for every section of :data:`analysis.report.render.SECTIONS`.
BUILDERS: dict[str, Callable[[ReportContext], str]] = {
    "summary": overview.summary,
    "sample": overview.sample,
    "missing": overview.missing_data,
    "exclusions": overview.exclusions,
    "descriptives": overview.descriptives,
    "item-distributions": overview.item_distributions,
    "measurement": measurement.measurement,
    "fit": fit.fit,
    "invariance": measurement.invariance,
    "method-variance": measurement.method_variance,
    "structural": structural.structural,
    "pls": pls.pls,
    "hypotheses": hypotheses.hypotheses,
    "mediation-moderation": effects.mediation_moderation,
    "dyadic": closing.dyadic,
    "warnings": closing.warnings,
    "provenance": closing.provenance,
}

__all__ = ["BUILDERS", "ReportContext"]
