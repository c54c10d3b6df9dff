"""The report's section builders, one function per section, grouped by the part of the analysis they show.

Each builder takes the :class:`~analysis.report.sections.common.ReportContext` of one
rendering and returns the section's HTML body.  The context numbers tables and figures
in the order the builders run, so :func:`analysis.report.render.render_html` calls them
in report order.

A section declares where it belongs by the register it is listed in:

* :data:`MAIN` — the manuscript's results section in APA 7 style (at most about twenty
  numbered tables and figures; tables numbered 1, 2, ...);
* :data:`APPENDIX` — the online appendix after the main body, with its own contents list
  (tables and figures numbered A1, A2, ...): every result of the analysis, so that no
  number of the analysis JSON is left out of the report.

A new section is one ``(id, title, builder)`` entry in one of the two registers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from . import (
    bias,
    closing,
    effects,
    fit,
    hypotheses,
    main_body,
    measurement,
    narrative,
    overview,
    pls,
    power,
    structural,
)
from .common import ReportContext

Builder = Callable[[ReportContext], str]

#: The main body: ``(id, title, builder)`` in report order.
MAIN: tuple[tuple[str, str, Builder], ...] = (
    ("results", "Results", narrative.results),
    ("sample", "Sample", main_body.sample),
    ("sample-bias", "Sample and bias checks", bias.sample_bias),
    ("descriptives", "Descriptive statistics and correlations", main_body.descriptives),
    ("measurement", "Measurement model", main_body.measurement),
    ("fit", "Model fit", main_body.fit),
    ("invariance", "Measurement invariance", main_body.invariance),
    ("method-variance", "Common-method variance", main_body.method_variance),
    ("structural", "Structural model", main_body.structural),
    ("hypotheses", "Hypothesis tests", main_body.hypotheses),
    ("mediation-moderation", "Moderation, curvilinear and response-surface effects",
     main_body.effects),
    ("power", "Power of the confirmatory tests", power.figure),
)

#: The online appendix: ``(id, title, builder)`` in report order.
APPENDIX: tuple[tuple[str, str, Builder], ...] = (
    ("appendix-sample", "Sample and response rates", overview.sample),
    ("appendix-missing", "Missing data", overview.missing_data),
    ("appendix-exclusions", "Data-quality exclusions", overview.exclusions),
    ("appendix-bias", "Sample and bias checks (details)", bias.details),
    ("appendix-descriptives", "Descriptive statistics and correlations (all scores)",
     overview.descriptives),
    ("appendix-item-distributions", "Item distributions", overview.item_distributions),
    ("appendix-measurement", "Measurement model (all estimates)", measurement.measurement),
    ("appendix-fit", "Model fit and estimation (all measures)", fit.fit),
    ("appendix-invariance", "Measurement invariance (all steps)", measurement.invariance),
    ("appendix-method-variance", "Common-method variance (all checks)",
     measurement.method_variance),
    ("appendix-structural", "Structural model (all parameters)",
     partial(structural.structural, diagram=False)),
    ("pls", "PLS-SEM", pls.pls),
    ("appendix-hypotheses", "Hypothesis tests (details)",
     partial(hypotheses.hypotheses, forest=False)),
    ("appendix-power", "Power curves (values)", power.values),
    ("appendix-mediation-moderation", "Mediation and moderation (details)",
     effects.mediation_moderation),
    ("appendix-dyadic", "Dyadic agreement", closing.dyadic),
    ("warnings", "Warnings and diagnostics", closing.warnings),
    ("provenance", "Provenance", closing.provenance),
)

#: Section id -> builder, for every section of both registers.
BUILDERS: dict[str, Builder] = {sid: b for sid, _, b in MAIN + APPENDIX}

__all__ = ["APPENDIX", "BUILDERS", "MAIN", "ReportContext"]
