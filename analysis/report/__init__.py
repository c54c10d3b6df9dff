"""The reproducible study report.

Pipeline: data --:func:`analysis.study.pipeline.analyze_study`--> JSON-ready analysis dict
--:func:`analysis.io.jsonable`--> --:func:`render_html`--> one self-contained HTML file
(inline CSS, inline SVG figures, the analysis JSON embedded)
--:func:`write_pdf` (WeasyPrint, optional)--> PDF.

Determinism: no build time, matplotlib SVG with a fixed hash salt and no date,
fixed element ids, dicts rendered in the order the analysis produced them.  The
same data and seed give the same bytes.

Public API::

    from analysis.report import build_report, render_html, write_pdf
    html, analysis = build_report(df, seed=1, bootstrap=200, data_sha256=sha)
    Path("report.html").write_text(html, encoding="utf-8")
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis.io import jsonable
from analysis.provenance import REPORT_PACKAGES, build_provenance, provenance_text

from .render import SECTIONS, lazy_figures, render_html, report_parts, section_ids

__all__ = [
    "SECTIONS",
    "build_report",
    "item_distributions",
    "lazy_figures",
    "render_html",
    "report_parts",
    "section_ids",
    "sha256_file",
    "write_pdf",
]

def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def item_distributions(data: Any, instrument: Any) -> tuple[dict[str, dict[str, list[int]]],
                                                            list[int]]:
    """Counts of each response option per rating item, grouped by scale.

    Returns ``({scale: {item: [count of level 1, 2, ...]}}, levels)``; items absent
    from ``data`` are skipped; values outside the response list are not counted.
    """
    import numpy as np
    import pandas as pd

    counts: dict[str, dict[str, list[int]]] = {}
    all_levels: list[int] = []
    for sid, scale in instrument.scales.items():
        resp = scale.response
        values = list(getattr(resp, "values", []) or [])
        if not values:
            lo, hi = int(getattr(resp, "min", 1)), int(getattr(resp, "max", 7))
            values = list(range(lo, hi + 1))
        levels = [int(v) for v in values]
        if len(levels) > len(all_levels):
            all_levels = levels
        per: dict[str, list[int]] = {}
        for item in instrument.scale_items().get(sid, []):
            if item not in data.columns:
                continue
            col = pd.to_numeric(data[item], errors="coerce").to_numpy(dtype=float)
            per[item] = [int(np.sum(col == lv)) for lv in levels]
        if per:
            counts[sid] = per
    return counts, all_levels


def _level_labels(instrument: Any, levels: list[int], lang: str) -> dict[int, str]:
    """Value labels of the response list most scales use, for the colour key of the item
    distributions (empty when the scales use no labelled list of these levels)."""
    lists: dict[str, Any] = {}
    uses: dict[str, int] = {}
    for scale in (getattr(instrument, "scales", None) or {}).values():
        resp = getattr(scale, "response", None)
        if resp is None or not hasattr(resp, "value_labels"):
            continue
        rid = str(getattr(resp, "id", id(resp)))
        lists[rid] = resp
        uses[rid] = uses.get(rid, 0) + 1
    if not uses:
        return {}
    best = lists[max(uses, key=lambda k: uses[k])]
    try:
        names = best.value_labels(lang)
    except (KeyError, TypeError):
        names = best.value_labels("en")
    return {int(v): str(names[v]) for v in levels if v in names}


def _frame_sha256(data: Any, analysis: Mapping[str, Any]) -> str:
    """The analysis's data fingerprint, or :func:`analysis.study.pipeline.data_sha256` of ``data``
    (a fraction of a second at N = 100,000; rendering the frame as CSV text took ~10 s)."""
    given = (analysis.get("provenance") or {}).get("data_sha256")
    if isinstance(given, str) and given:
        return given
    from analysis.study.pipeline import data_sha256

    return data_sha256(data)


def build_report(data: Any, *, analysis: Mapping[str, Any] | None = None,
                 instrument: Any = None, seed: int | None = None,
                 data_sha256: str | None = None, title: str | None = None,
                 fieldwork: Mapping[str, Any] | None = None, lang: str = "en",
                 **analyze_options: Any) -> tuple[str, dict[str, Any]]:
    """Analyse ``data`` (unless ``analysis`` is given) and render the HTML report.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide survey data (raw codes), as read by :func:`analysis.study.simulate.read_data`.
    analysis : mapping, optional
        An existing analysis dict (e.g. read from ``--json``); skips the analysis.
    instrument : Instrument, optional
        Default :func:`instruments.instrument.loader.load_instrument`.
    seed : int, optional
        Seed of the bootstrap, passed to ``analyze_study`` and shown in the report;
        default the seed recorded in ``analysis`` or
        :data:`analysis.study.pipeline.DEFAULT_SEED` (two builds give the same bytes).
    data_sha256 : str, optional
        Hash of the data file; default the hash of ``data`` written as CSV.
    fieldwork : mapping, optional
        Invitation and response counts (e.g. the app's fieldwork summary), added to
        the analysis as ``"fieldwork"`` for the response-rate table.
    lang : {"en", "de"}
        Language of the variable labels (the instrument's construct names).
    **analyze_options
        Passed to :func:`analysis.study.pipeline.analyze_study` (``estimator=``, ``bootstrap=``).

    Returns
    -------
    (str, dict)
        The HTML text and the JSON-ready analysis it shows.  If the analysis itself
        fails with a user-caused error (too few responses, a failed model, a
        missing scale), the report is still built and says so.
    """
    from analysis.errors import AllianceSurveyError
    from analysis.study.pipeline import DEFAULT_SEED

    _check_call(data, analysis, seed)
    if seed is None:
        # reproducible by default: the seed of a given analysis, else the documented default
        given = ((analysis or {}).get("provenance") or {}).get("seed")
        seed = int(given) if isinstance(given, int) and not isinstance(given, bool) \
            else DEFAULT_SEED
    if instrument is None:
        from instruments.instrument.loader import load_instrument

        instrument = load_instrument()
    languages = list(getattr(instrument, "languages", None) or ["en"])
    if lang not in languages:  # the labels fell back to English without a word
        from analysis.errors import DataError

        raise DataError(f"lang={lang!r} is not a language of the instrument; use one of "
                        f"{', '.join(languages)}.")
    if analysis is None:
        from analysis.study.pipeline import analyze_study

        try:
            analysis = analyze_study(data, instrument=instrument, seed=seed, **analyze_options)
        except AllianceSurveyError as exc:
            analysis = {"n_raw": int(len(data)),
                        "warnings": [f"The analysis failed: {exc}"]}
    progress = analyze_options.get("progress")
    if callable(progress):
        # the report's own step (tables, figures, diagrams): a progress bar had stood on
        # the analysis's last message for the whole of it (12.8 s for a 60-response study)
        progress("Writing the report (tables and figures) ...")
    if fieldwork is not None and "fieldwork" not in analysis:
        analysis = {**analysis, "fieldwork": dict(fieldwork)}
    ready = json.loads(json.dumps(jsonable(analysis, frames="columns"), allow_nan=False))
    sha = data_sha256 or _frame_sha256(data, analysis)
    counts, levels = item_distributions(data, instrument) if len(data) else ({}, [])
    from .labels import value_labels, variable_labels

    extras = {"item_distributions": counts, "item_levels": levels,
              "item_level_labels": _level_labels(instrument, levels, lang),
              "labels": variable_labels(instrument, lang),
              "value_labels": value_labels(instrument, lang),
              # the instrument's reverse keys, marked in the loadings table
              "reverse_items": sorted(it.id for sc in instrument.scales.values()
                                      for it in sc.items if getattr(it, "reverse", False)),
              # the file's digest when the command line gave one, else the analysed
              # table's fingerprint (the analysis provenance's): named apart, since the
              # two digests of one data set differ
              "build": provenance_text(build_provenance(
                  packages=REPORT_PACKAGES, seed=seed, data_sha256=sha, instrument=instrument),
                  data_label="data file SHA-256" if data_sha256 else "data fingerprint")}
    return render_html(ready, extras=extras, title=title), ready


def _check_call(data: Any, analysis: Any, seed: Any) -> None:
    """Arguments of the wrong kind, refused before any work: ``data=None`` or a dict ended
    in a TypeError or AttributeError, ``analysis=[...]`` too, and a seed of the wrong kind
    was caught as a failed analysis and written into the report as its only content."""
    import pandas as pd

    from analysis.errors import DataError, check_seed

    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data= must be a pandas DataFrame of survey answers (got "
                        f"{type(data).__name__}).")
    if analysis is not None and not isinstance(analysis, Mapping):
        raise DataError("analysis= must be the mapping analyze_study() returns (or its "
                        f"JSON read back), not {type(analysis).__name__}.")
    if seed is not None:
        check_seed(seed)


def write_pdf(html: str, path: str | Path) -> None:
    """Write the report as PDF with WeasyPrint.

    Raises
    ------
    analysis.errors.DataError
        If WeasyPrint is not installed (``pip install 'alliance-survey[pdf]'``).
    """
    from analysis.errors import DataError

    try:
        import weasyprint
    except ImportError as exc:
        raise DataError("PDF output needs WeasyPrint: pip install 'alliance-survey[pdf]' "
                        f"(--pdf=). ({exc})") from exc
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    weasyprint.HTML(string=html).write_pdf(str(path))
