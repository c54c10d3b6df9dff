"""The whole-study pipeline: scoring -> quality -> measurement -> hypotheses -> dyads.

:func:`analyze_study` runs every step on one survey data set and returns a
JSON-ready dict with stable keys (numbers unrounded; NaN stays NaN until
:func:`analysis.io.jsonable` / :func:`to_json` serialises it as ``null``).
Sections built by other modules (``analysis.study.measurement``, ``analysis.study.dyads``)
are imported lazily; when one is missing or fails, its section says so
(``{"available": False, "reason": ...}``) and the rest of the study is still reported.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import (
    AllianceSurveyError,
    DataError,
    ModelSpecificationError,
    check_seed,
    clip,
    is_whole,
)
from analysis.forked import Forked
from analysis.provenance import build_provenance
from analysis.study.quality import MAX_MISSING

#: Cronbach's alpha below this flags a scale as unreliable (Nunnally 1978).
ALPHA_THRESHOLD = 0.70

TOP_KEYS = ("n", "n_raw", "exclusions", "missing", "descriptives", "reliability",
            "item_statistics", "correlations", "measurement", "structural", "pls", "hypotheses", "multiple_testing",
            "decision", "power_curves",
            "mediation", "moderation", "quadratic", "response_surface", "multigroup",
            "dyadic", "sample_profile", "nonresponse_bias", "endogeneity", "key_informants",
            "influence", "provenance", "warnings")
HYPOTHESIS_KEYS = ("id", "statement", "expected_sign", "verdict", "model", "estimate", "se",
                   "ci_lower", "ci_upper", "alternative", "pvalue", "pvalue_adjusted", "sesoi",
                   "pvalue_equivalence", "power_sesoi", "mde_std", "method", "test", "n",
                   "exploratory", "note", "latent_interaction", "robustness",
                   "pvalue_opposite", "alpha_opposite", "std_estimate")

#: Seed of every random step (the bootstrap) when none is given, so that two runs on
#: the same data give the same numbers and the same report bytes; it is written into
#: the provenance like a seed the analyst chose.
DEFAULT_SEED = 2026
#: Estimator of the measurement model unless one is asked for (the path model then uses
#: MLR): the `report` and `analyze` commands and the app's Analysis tab all start here.
DEFAULT_ESTIMATOR = "WLSMV"


#: Bootstrap resamples of the copula checks' standard errors (one per path of the model).
ENDOGENEITY_BOOT = 200
#: Up to this many respondents the side sections run on a child process of their own.
SIDE_FORK_MAX_ROWS = 20_000


def data_sha256(data: pd.DataFrame) -> str:
    """SHA-256 fingerprint of a data frame's columns and values (index not included).

    The digest covers the column names and dtypes and, column by column, the raw bytes
    of numeric values (all NaNs written alike) or the text of other values (missing
    values marked apart from any text).  It identifies the data in the provenance
    (same frame, same digest) and costs a fraction of a second at N = 100,000, where
    rendering the frame as CSV text took about 10 s.  It is not the SHA-256 of a CSV
    file (the ``report`` command records that for its input file).
    """
    h = hashlib.sha256(b"alliance-survey data fingerprint 2\n")
    h.update(json.dumps([[str(c), str(t)] for c, t in data.dtypes.items()]).encode("utf-8"))
    h.update(f"\n{len(data)}\n".encode())
    for _name, col in data.items():
        if isinstance(col.dtype, np.dtype) and col.dtype.kind in "biuf":
            arr = np.ascontiguousarray(col.to_numpy())
            if arr.dtype.kind == "f":
                arr = np.where(np.isnan(arr), np.nan, arr)  # one NaN bit pattern
            h.update(arr.tobytes())
        else:
            text = "\x1f".join("\x00" if pd.isna(v) else str(v) for v in col.tolist())
            h.update(text.encode("utf-8", errors="surrogatepass"))
        h.update(b"\x1e")
    return h.hexdigest()


def _section(fn: Callable[..., Any], what: str, warns: list[str], *args: Any,
             **kwargs: Any) -> dict[str, Any]:
    try:
        out = fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported in the output, the study continues
        # a user-caused error (too few dyads, a missing column) is told in its own words;
        # the class name stays for an unexpected failure, which is a bug to report
        why = str(exc) if isinstance(exc, AllianceSurveyError) else f"{type(exc).__name__}: {exc}"
        warns.append(f"{what} failed: {why}")
        return {"available": False, "reason": why}
    if not isinstance(out, dict):
        return {"available": True, "result": out}
    return {"available": True, **out}


MEASUREMENT_WHAT = "Measurement model (analysis.study.measurement)"


def _section_with_warnings(fn: Callable[..., Any], what: str, *args: Any,
                           **kwargs: Any) -> tuple[dict[str, Any], list[str]]:
    """:func:`_section` returning the warnings it gave (a list of its own)."""
    warns: list[str] = []
    return _section(fn, what, warns, *args, **kwargs), warns


def _asked(raw: pd.DataFrame, instrument: Any) -> dict[str, np.ndarray]:
    """Per scale shown only under a condition (a section's ``show_if``): whether each row
    was asked it.  A condition on a variable the data lack is taken as asked."""
    from instruments.instrument.logic import parse_condition

    out: dict[str, np.ndarray] = {}
    for sec in getattr(instrument, "sections", ()) or ():
        text = getattr(sec, "show_if", None)
        if not text:
            continue
        cond = parse_condition(text) if isinstance(text, str) else text
        if any(v not in raw.columns for v in cond.names):
            continue
        rows = raw[list(cond.names)].to_dict(orient="records")
        mask = np.array([cond.holds(r) for r in rows], dtype=bool)
        for sid in getattr(sec, "scales", ()) or ():
            out[str(sid)] = mask
    return out


def _missing_cells(data: pd.DataFrame, instrument: Any, rows: np.ndarray
                   ) -> tuple[int, int, dict[str, float], dict[str, float]]:
    """Missing and asked item answers of the rows ``rows``: totals, the share by scale and
    the share not asked by scale."""
    items = {sid: [it.id for it in sc.items] for sid, sc in instrument.scales.items()}
    raw = data.reset_index(drop=True).loc[rows].reset_index(drop=True)
    # items the survey logic did not show are not missing answers (the sustainability
    # scale, asked where the alliance aims at sustainability, had counted as 55 % missing)
    asked = _asked(raw, instrument)
    per_scale, not_asked = {}, {}
    n_cells = n_missing = 0
    for sid, cols in items.items():
        cols = [c for c in cols if c in raw.columns]
        if not cols:
            continue
        block = raw[cols]
        if sid in asked:
            block = block[asked[sid]]
            not_asked[sid] = float(1.0 - asked[sid].mean()) if len(raw) else float("nan")
        cells = block.isna().to_numpy()
        per_scale[sid] = float(cells.mean()) if cells.size else float("nan")
        n_cells += cells.size
        n_missing += int(cells.sum())
    return n_missing, n_cells, per_scale, not_asked


def _missing_section(data: pd.DataFrame, instrument: Any, retained: np.ndarray,
                     scores: pd.DataFrame, scales: list[str],
                     excluded_missing: np.ndarray | None = None) -> dict[str, Any]:
    n_missing, n_cells, per_scale, not_asked = _missing_cells(data, instrument, retained)
    # the share among every response received beside the share among the analysed
    # (review 15: 15.7 % among the analysed, 30.3 % among all received, only the first
    # given)
    all_missing, all_cells, _, _ = _missing_cells(data, instrument,
                                                  np.ones(len(data), dtype=bool))
    out = {
        "item_missing_share": n_missing / n_cells if n_cells else float("nan"),
        "item_missing_share_received": all_missing / all_cells if all_cells
        else float("nan"),
        "item_missing_share_by_scale": per_scale,
        "scores_missing": {s: int(scores[s].isna().sum()) for s in scales if s in scores},
        "max_missing": MAX_MISSING,
        "handling": ("Scale scores are the mean of the answered items (scale min_valid rule); "
                     "the SEM path model uses FIML for missing scores; regressions, "
                     "mediation and RSA use listwise deletion of the variables they use."),
    }
    if excluded_missing is not None and excluded_missing.any():
        # the exclusion is kept, and said: FIML covers the retained respondents only
        out["handling"] += (
            f" The {int(excluded_missing.sum())} respondents who left more than "
            f"{MAX_MISSING:.0%} of the rating items unanswered were excluded before any "
            "model, so FIML was applied to the retained respondents only: most of such a "
            "respondent's scale scores are missing, FIML would fill them from the model "
            "on the assumption that they are missing at random, and a respondent who broke "
            "off or skipped most of the questionnaire gives little ground for it.")
        from analysis.study.quality import compare_excluded

        out["excluded_vs_analysed"] = compare_excluded(data.reset_index(drop=True),
                                                       excluded_missing, retained, instrument)
    if not_asked:
        out["not_asked_share_by_scale"] = not_asked
        out["handling"] += (" Missing shares count the respondents who were asked the "
                            "items; a scale the survey logic shows only under a condition "
                            "was not asked of the others (their share is listed separately), "
                            "and its score is missing for them.")
    return out


def _descriptives(d: pd.DataFrame, names: list[str]) -> dict[str, dict[str, float]]:
    out = {}
    for c in names:
        x = pd.to_numeric(d[c], errors="coerce")
        out[c] = {"n": int(x.notna().sum()), "mean": float(x.mean()),
                  "sd": float(x.std(ddof=1)), "min": float(x.min()), "max": float(x.max())}
    return out


def analyze_study(
    data: pd.DataFrame,
    *,
    instrument: Any = None,
    estimator: str = DEFAULT_ESTIMATOR,
    bootstrap: int = 1000,
    seed: int | None = DEFAULT_SEED,
    hypotheses: Any = None,
    alpha: float | None = None,
    progress: Callable[[str], None] | None = None,
    n_jobs: int | None = None,
    measurement: bool = True,
    latent_model: bool = True,
    method: str | None = None,
    parallel: bool = True,
) -> dict[str, Any]:
    """Analyse a whole survey wave.

    Parameters
    ----------
    data : DataFrame
        Canonical wide survey data (raw codes), e.g. from ``analysis.study.datafiles.read_data``.
    instrument : Instrument, optional
        Default ``instruments.instrument.loader.load_instrument()``.
    estimator : {"WLSMV", "MLR", "ML"}
        Estimator of the measurement model (default WLSMV, the 7-point items treated as
        ordered, as the SEM reporting literature recommends; MLR is the
        alternative but slow on all 65 items with missing data, since FIML is used).
        The composite path model of the hypotheses uses MLR.
    bootstrap : int
        Bootstrap draws of the mediation test.
    seed : int, optional
        Bootstrap seed (stored in the provenance); ``None`` means :data:`DEFAULT_SEED`,
        so that the analysis is reproducible by default.
    hypotheses : HypothesisSet or path, optional
        Default ``analysis/study/hypotheses.yaml``.
    alpha : float, optional
        Overrides the declared significance level (``decision.alpha`` of the
        hypotheses file).
    progress : callable, optional
        Called with a short message before each long step (the CLI prints to stderr).
    n_jobs : int, optional
        Bootstrap worker processes.
    measurement : bool
        Fit the instrument's measurement model (``analysis.study.measurement``; the
        slowest step).  ``False`` reports the section as skipped.
    latent_model : bool
        Take the verdicts of the path and mediation hypotheses from the study's latent
        model (:mod:`analysis.study.latent_model`, about half a minute at N = 400), with
        the composite path model as their robustness entry; ``False``: from the
        composite path model (as before the latent model existed).
    method : {"sem", "pls"}, optional
        Estimation framework of the hypothesis tests; default the declaration's
        ``method:`` ("sem": the covariance-based path model; "pls": PLS-SEM,
        :mod:`analysis.study.pls_study`, reported in the ``pls`` section).
    parallel : bool
        Run the measurement model on forked child processes (its invariance sequences
        spread over the usable cores) while this process tests the hypotheses, where
        fork is available and two cores are usable (:mod:`analysis.forked`).  The
        result is the same either way.

    Returns
    -------
    dict
        Keys ``n, n_raw, exclusions, missing, descriptives, reliability,
        correlations, measurement, hypotheses, multiple_testing, dyadic,
        sample_profile, nonresponse_bias, endogeneity`` (Gaussian-copula checks of the
        path model's paths), ``key_informants`` (informant profile and the paths
        without low-knowledge informants), ``provenance, warnings`` (see
        :data:`TOP_KEYS`).  ``hypotheses`` is a list
        of dicts with :data:`HYPOTHESIS_KEYS`.

    Notes
    -----
    The analysis runs with one BLAS thread (its matrices are small, and threads only
    cost, see :mod:`analysis.blas`); the WLSMV Gamma of the measurement model, the one
    large product, uses all cores.
    """
    from analysis.blas import blas_threads

    if seed is None:
        seed = DEFAULT_SEED
    _check_call(data, instrument, bootstrap, seed, hypotheses, n_jobs)
    with blas_threads(1):
        return _analyze_study(
            data, instrument=instrument, estimator=estimator, bootstrap=bootstrap, seed=seed,
            hypotheses=hypotheses, alpha=alpha, progress=progress, n_jobs=n_jobs,
            measurement=measurement, latent_model=latent_model,
            method=method, parallel=parallel)


def _check_call(data: Any, instrument: Any, bootstrap: Any, seed: Any, hypotheses: Any,
                n_jobs: Any) -> None:
    """Refuse arguments of the wrong kind before any work: a clear error, not a numpy or
    pandas exception from the middle of the analysis (or after a minute of it)."""
    from pathlib import Path

    if isinstance(data, pd.DataFrame) and isinstance(data.columns, pd.MultiIndex):
        raise DataError("data= has several levels of column names (a MultiIndex); give one "
                        "column per variable, named by its id (e.g. data.columns = "
                        "data.columns.get_level_values(0)).")

    if not is_whole(bootstrap) or bootstrap < 2:
        raise ModelSpecificationError(
            f"bootstrap= must be a whole number of at least 2 (got {clip(bootstrap)}).")
    check_seed(seed)
    if n_jobs is not None and not is_whole(n_jobs):
        raise ModelSpecificationError(f"n_jobs= must be a whole number (got {clip(n_jobs)}).")
    if hypotheses is not None and not isinstance(hypotheses, str | Path) \
            and not hasattr(hypotheses, "hypotheses"):
        raise ModelSpecificationError(
            "hypotheses= must be a path to a hypotheses file or a HypothesisSet from "
            f"load_hypotheses() (got {type(hypotheses).__name__}).")
    if instrument is not None and not (hasattr(instrument, "validate_data")
                                       and hasattr(instrument, "scales")):
        raise DataError("instrument= must be an Instrument from "
                        "instruments.instrument.loader.load_instrument() "
                        f"(got {type(instrument).__name__}).")


def _analyze_study(
    data: pd.DataFrame,
    *,
    instrument: Any,
    estimator: str,
    bootstrap: int,
    seed: int,
    hypotheses: Any,
    alpha: float | None,
    progress: Callable[[str], None] | None,
    n_jobs: int | None,
    measurement: bool,
    latent_model: bool = True,
    method: str | None = None,
    parallel: bool = True,
) -> dict[str, Any]:
    """:func:`analyze_study` (with the BLAS thread limit set by the caller)."""
    # the side sections' modules (SciPy's stats among them) are imported here, before
    # the children are forked, so that every process shares them
    import analysis.study.bias
    import analysis.study.dyads
    import analysis.study.sample  # noqa: F401
    from analysis.study.hypotheses import (
        composite_reliabilities,
        load_hypotheses,
        prepare_scores,
    )
    from analysis.study.hypotheses import test_hypotheses as run_tests
    from analysis.study.measurement import fit_measurement_model
    from analysis.study.scoring import score

    if estimator not in ("MLR", "WLSMV", "ML"):
        raise ModelSpecificationError(
            f"estimator={estimator!r} is not known; use 'MLR', 'ML' or 'WLSMV'.")
    if not isinstance(data, pd.DataFrame) or data.empty:
        raise DataError("data= must be a non-empty DataFrame of survey answers.")
    say = progress if progress is not None else (lambda _msg: None)
    if instrument is None:
        from instruments.instrument.loader import load_instrument

        instrument = load_instrument()
    hs = hypotheses if hypotheses is not None and not isinstance(hypotheses, str) \
        and hasattr(hypotheses, "hypotheses") else load_hypotheses(hypotheses)
    method = method or hs.method
    if method not in ("sem", "pls"):
        raise ModelSpecificationError(f"method={method!r} is not known; use 'sem' or 'pls'.")
    warns: list[str] = []
    # data of an earlier instrument version: pooled where the meaning is unchanged, with
    # the notices in the warnings; the derived stage groups are added to current data too
    from analysis.study.scoring import conform

    data, notices, _ = conform(data, instrument)
    warns.extend(notices)

    say("Scoring and data-quality flags ...")
    scored = score(data, instrument)
    for w in scored.attrs.get("data_check", {}).get("warnings", []):
        warns.append(f"Data check: {w}")
    d, exclusions, full = prepare_scores(data, scored, hs, instrument)
    retained = ~full["exclude"].fillna(False).astype(bool).to_numpy() if "exclude" in full \
        else np.ones(len(full), dtype=bool)
    scales = list(instrument.scales)
    score_names = [*scales, *hs.composites, "jd_sum", "asym_abs", "asym_signed"]
    score_names = [s for s in dict.fromkeys(score_names) if s in d.columns]

    say("Reliability of the scales ...")
    raw_retained = data.reset_index(drop=True).loc[retained]
    rel = composite_reliabilities(raw_retained, hs, instrument)
    reliability = {}
    failed = []
    for name, a in rel.items():
        flag = bool(not np.isfinite(a) or a < ALPHA_THRESHOLD)
        reliability[name] = {"alpha": a, "flag": flag}
        if flag:
            failed.append(name)
            warns.append(f"Scale {name}: Cronbach's alpha = {a:.3f} is below "
                         f"{ALPHA_THRESHOLD:.2f}; its scores and every test using it are "
                         "unreliable (check the items for coding or reverse-keying errors).")

    # r.drop, skewness and kurtosis of every item (review 15: not recorded; a misread
    # value-creation item's r.drop of -.43 was found only by running psych::alpha)
    from analysis.study.itemstats import item_statistics

    items_part = _section(item_statistics, "Item statistics (analysis.study.itemstats)",
                          warns, raw_retained.reset_index(drop=True), instrument)
    for neg in items_part.get("negative", []) if isinstance(items_part, dict) else []:
        warns.append(f"Item {neg.split('/')[1]} correlates negatively with the rest of its "
                     f"scale {neg.split('/')[0]} (corrected item-total correlation below 0 "
                     "after the instrument's reverse keys): check its coding and reverse key.")
    corr = d[score_names].apply(pd.to_numeric, errors="coerce").corr()

    if measurement:
        say("Measurement model (this can take a while) ...")
        # the measurement model (the largest step) runs in a child process while this one
        # tests the hypotheses; its section and its warning (if it fails) take the same
        # places as when the steps ran one after the other
        # the exclusions made above, not made again: scoring the retained respondents
        # anew moves the sample-relative speeding cut-off and flagged 7 more of the demo's
        # 353, so the measurement model, invariance and method checks ran on 346 while
        # the hypotheses used 353
        scored_retained = scored.reset_index(drop=True).loc[retained] \
            .reset_index(drop=True).assign(exclude=False)
        meas_job = Forked(_section_with_warnings, fit_measurement_model,
                          MEASUREMENT_WHAT, raw_retained.reset_index(drop=True),
                          instrument=instrument, estimator=estimator, seed=seed,
                          scored=scored_retained, n_jobs=None if parallel else 1,
                          cluster=hs.cluster, fork=parallel)
        meas_warn_at = len(warns)
    else:
        meas_job = None
        meas_section = {"available": False, "reason": "Skipped (measurement=False)."}

    # the sections that do not read the hypothesis tests run on a child of their own, so
    # that this process (the hypothesis tests, the longest part of a study of a few
    # hundred) is not left alone on one core at the end; collected where they stood.  In
    # a large study the measurement model is the longest part and a third process would
    # only add its memory (N = 100,000: +217 MiB over the process tree, no time saved)
    side_job = Forked(_side_sections, data, scored, raw_retained, d, scales, hs,
                      instrument, seed, fork=parallel and len(data) <= SIDE_FORK_MAX_ROWS)

    say(f"Hypothesis tests (bootstrap {bootstrap} draws) ...")
    path_estimator = "MLR" if estimator == "WLSMV" else estimator
    details: dict[str, Any] = {}
    if method == "pls":
        from analysis.study.pls_study import test_hypotheses_pls as run_tests
    table = run_tests(data, scored, hypotheses=hs, estimator=path_estimator,
                      bootstrap=bootstrap, seed=seed, alpha=alpha, instrument=instrument,
                      n_jobs=n_jobs, details=details, latent_model=latent_model)
    warns.extend(table.attrs.get("warnings", []))
    rows = []
    for rec in table.to_dict(orient="records"):
        out = {k: rec.get(k) for k in HYPOTHESIS_KEYS}
        rests_on = hypothesis_scales(rec["test"], hs.composites, scales)
        # the scales the test rests on, not only the names it spells: `learning ~ jd_sum`
        # rests on dep_own and dep_partner through the dependence index (review 13: H1
        # was not flagged beside a dep_partner alpha of -.11)
        used = (set(_test_variables(rec["test"])) | set(rests_on)) & set(failed)
        for comp, parts in hs.composites.items():
            if comp in _test_variables(rec["test"]) and set(parts) & set(failed):
                used.add(comp)
        if used:
            out["note"] = (f"{out['note']} Unreliable scale(s) involved: "
                           f"{', '.join(sorted(used))} (alpha < {ALPHA_THRESHOLD:.2f}).").strip()
        out["reliability_flag"] = bool(used)
        out["scales"] = rests_on
        rows.append(out)

    detail_sections = _detail_sections(hs, details)
    if method == "pls":
        from analysis.study.pls_study import PLS_ESTIMATOR, pls_section

        pls_part = _section(pls_section, "PLS-SEM section (analysis.study.pls_study)", warns,
                            details)
        path_estimator = PLS_ESTIMATOR if details["pls"]["consistent"] else "PLS-SEM"
        detail_sections["structural"] = {"available": False, "reason": "The hypotheses "
                                         "were estimated by PLS-SEM: see its section."}
    else:
        pls_part = {"available": False, "reason": "The study was analysed with the "
                    "covariance-based path model (method: sem)."}

    say("Dyadic analysis ...")
    # the remaining sections (in the order their warnings are listed) before waiting for
    # the measurement model
    try:
        side, side_warns = side_job.result()
    except Exception as exc:  # noqa: BLE001 - the worker process itself failed
        side = dict.fromkeys(_SIDE_SECTIONS, {"available": False,
                                              "reason": f"{type(exc).__name__}: {exc}"})
        side_warns = [f"The dyadic, sample and bias sections failed: {type(exc).__name__}: "
                      f"{exc}"]
    warns.extend(side_warns)
    dyadic, profile, nonresponse, endogeneity, informants, influence = (
        side[k] for k in _SIDE_SECTIONS)
    if meas_job is not None:
        try:
            meas_section, meas_warns = meas_job.result()
        except Exception as exc:  # noqa: BLE001 - the worker process itself failed
            meas_section = {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
            meas_warns = [f"{MEASUREMENT_WHAT} failed: {type(exc).__name__}: {exc}"]
        warns[meas_warn_at:meas_warn_at] = meas_warns

    excluded_missing = full["exclude_reason"].fillna("").astype(str).str.contains(
        r"\bmissing\b").to_numpy() if "exclude_reason" in full \
        else np.zeros(len(full), dtype=bool)
    missing = _missing_section(data, instrument, retained, d, score_names, excluded_missing)
    cmp = missing.get("excluded_vs_analysed")
    if cmp and cmp["n_differ"]:
        diff = [r for r in cmp["rows"] if r["pvalue"] < cmp["alpha"]]
        warns.append(
            f"The {cmp['n_excluded']} respondents excluded for too many missing answers "
            f"differ from the {cmp['n_analysed']} analysed on {len(diff)} of "
            f"{len(cmp['rows'])} classification questions "
            f"({', '.join(r['question'] for r in diff)}; p < {cmp['alpha']:g}): the analysed "
            "sample is not a random part of the one received, and the estimates may not "
            "hold for the firms like those excluded.")
    prov = build_provenance(instrument=instrument, data_sha256=data_sha256(data), seed=seed)
    return {
        "n": int(len(d)),
        "n_raw": int(len(full)),
        "exclusions": exclusions,
        "missing": missing,
        "descriptives": _descriptives(d, score_names),
        "reliability": reliability,
        "item_statistics": items_part,
        "correlations": {r: {c: float(corr.loc[r, c]) for c in corr.columns}
                         for r in corr.index},
        "measurement": meas_section,
        "structural": detail_sections["structural"],
        "pls": pls_part,
        "hypotheses": rows,
        "multiple_testing": table.attrs.get("multiple_testing", ""),
        "decision": table.attrs.get("decision", {}),
        "power_curves": _power_curves(rows, table.attrs.get("decision", {})),
        "mediation": detail_sections["mediation"],
        "moderation": detail_sections["moderation"],
        "quadratic": detail_sections["quadratic"],
        "response_surface": detail_sections["response_surface"],
        "multigroup": detail_sections["multigroup"],
        "dyadic": dyadic,
        "sample_profile": profile,
        "nonresponse_bias": nonresponse,
        "endogeneity": endogeneity,
        "key_informants": informants,
        "influence": influence,
        "provenance": {
            "versions": prov["versions"],
            "instrument": prov["instrument"],
            "hypotheses": {"id": hs.id, "version": hs.version, "sha256": hs.sha256},
            "data_sha256": prov["data_sha256"],
            "seed": prov["seed"],
            "bootstrap": int(bootstrap),
            "estimator": {"measurement": estimator, "path_model": path_estimator},
            "alpha": float(table.attrs.get("alpha", hs.decision.alpha)),
            "path_model": details.get("syntax"),
        },
        "warnings": warns,
    }


#: The sections of :func:`_side_sections`, in the order their warnings are listed.
_SIDE_SECTIONS = ("dyadic", "sample_profile", "nonresponse_bias", "endogeneity",
                  "key_informants", "influence")


def _side_sections(data: pd.DataFrame, scored: pd.DataFrame, raw_retained: pd.DataFrame,
                   d: pd.DataFrame, scales: list[str], hs: Any, instrument: Any,
                   seed: int) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The dyadic analysis, sample profile, non-response bias, endogeneity,
    key-informant and influential-case sections (none reads the hypothesis tests), with
    their warnings."""
    from analysis.study.bias import (
        endogeneity_checks,
        influential_cases,
        key_informant_quality,
    )
    from analysis.study.dyads import dyadic_analysis
    from analysis.study.sample import early_late_bias, sample_profile

    warns: list[str] = []
    raw0, d0 = raw_retained.reset_index(drop=True), d.reset_index(drop=True)
    out = {
        "dyadic": _section(dyadic_analysis, "Dyadic analysis (analysis.study.dyads)", warns,
                           data, scored),
        "sample_profile": _section(sample_profile, "Sample profile (analysis.study.sample)",
                                   warns, raw_retained, instrument),
        "nonresponse_bias": _section(early_late_bias,
                                     "Non-response bias (analysis.study.sample)", warns,
                                     raw0, d0, scales),
        "endogeneity": _section(endogeneity_checks, "Endogeneity checks (analysis.study.bias)",
                                warns, d0, hs.model, controls=hs.controls,
                                n_boot=ENDOGENEITY_BOOT, seed=seed),
        "key_informants": _section(key_informant_quality,
                                   "Key-informant quality (analysis.study.bias)", warns, raw0,
                                   d0, hs.model, instrument=instrument, controls=hs.controls),
        # the outcomes' shape and the cases that carry a path (review 15: a floor effect
        # and four outlying alliances went unmentioned)
        "influence": _section(influential_cases, "Influential cases (analysis.study.bias)",
                              warns, d0, hs.model, controls=hs.controls),
    }
    return out, warns


def _power_curves(rows: list[dict[str, Any]], decision: Any) -> dict[str, Any]:
    """Power of the confirmatory tests against N at the declared alpha and sidedness
    (:func:`analysis.study.power.power_curves`; analytic, a few milliseconds)."""
    from analysis.study.power import power_curves

    dec = decision if isinstance(decision, dict) else {}
    alpha = float(dec.get("alpha", 0.05))
    sides = 1 if dec.get("sides", "by_direction") == "by_direction" else 2
    return power_curves(rows, alpha=alpha, sides=sides)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]


def _fit_dict(fit: Any) -> dict[str, Any]:
    """The fit measures a report shows of a structural model: the measurement model's
    (:data:`analysis.study.measurement.FIT_KEYS`: unscaled, scaled and robust, each RMSEA
    with its own interval)."""
    from analysis.study.measurement import FIT_KEYS

    return {k: fit[k] for k in FIT_KEYS if k in fit}


def _structural(details: dict[str, Any]) -> dict[str, Any]:
    res = details.get("path_model")
    if res is None:
        return {"available": False, "reason": "The path model could not be fitted."}
    p = res.params
    keep = p[p["op"].isin(["~", "=~", ":="])]
    cols = [c for c in ("lhs", "op", "rhs", "est", "se", "z", "pvalue", "ci_lower", "ci_upper",
                        "std_all") if c in keep.columns]
    corrected = details.get("error_variances") or {}
    return {
        "available": True,
        "syntax": details.get("syntax"),
        "estimator": details.get("estimator"),
        "missing": details.get("missing"),
        "converged": bool(res.converged),
        "fit": _fit_dict(res.fit),
        "params": _records(keep[cols]),
        "r2": {str(k): float(v) for k, v in res.r2.items()},
        "latent": sorted(corrected),
        "error_variances": corrected,
        "reliability": details.get("reliability", {}),
        "warnings": list(res.warnings),
    }


def _latent_model_section(details: dict[str, Any]) -> dict[str, Any]:
    """The latent model behind the path and mediation verdicts (estimates and fit)."""
    lat = details.get("latent_model")
    if lat is None:
        return {"available": False,
                "reason": "Not fitted (see the warnings); the composite path model gives "
                          "the verdicts."}
    p = lat.fit.params
    keep = p[p["op"].isin(["~", ":="])]
    cols = [c for c in ("lhs", "op", "rhs", "label", "est", "se", "pvalue", "std_all")
            if c in keep.columns]
    return {
        "available": True, "model": lat.label, "syntax": lat.spec.syntax,
        "estimator": lat.estimator, "missing": lat.missing, "nclusters": lat.nclusters,
        "fit": _fit_dict(lat.fit.fit),
        "observed_scores": dict(lat.spec.observed),
        "indirect_interval": {"method": lat.interval, "draws": lat.n_draws_ok,
                              "seed": lat.seed},
        "params": _records(keep[cols]),
    }


def _detail_sections(hs: Any, details: dict[str, Any]) -> dict[str, Any]:
    structural = _structural(details)
    if structural.get("available") and "latent_model" in details:
        structural["latent_model"] = _latent_model_section(details)
    elif structural.get("available") and details.get("latent_model_error"):
        # the declared model of the path and mediation verdicts failed: the report says
        # so where it gives the fit, not only among the warnings
        structural["latent_model"] = {
            "available": False,
            "reason": f"{details['latent_model_error']} The path and mediation verdicts "
                      "come from the path model on composite scores instead."}
        ordinal = details.get("latent_model_wlsmv")
        if ordinal is not None:  # the robustness run's fit, beside the verdicts' model
            fit = ordinal.fit.fit
            structural["latent_model"]["robustness_wlsmv"] = {
                "model": ordinal.label, "estimator": ordinal.estimator,
                "missing": ordinal.missing,
                "fit": _fit_dict(fit)}
    out: dict[str, Any] = {"structural": structural, "mediation": {},
                           "moderation": {}, "quadratic": {}, "response_surface": {},
                           "multigroup": {}}
    for h in hs.hypotheses:
        obj = details.get(h.id)
        if h.method == "mediation_bootstrap" and obj is not None:
            out["mediation"][h.id] = {
                "id": h.id, "x": obj.x, "m": obj.m, "y": obj.y, "n": obj.n,
                "effects": _records(obj.effects), "n_boot": obj.n_boot,
                "n_boot_ok": obj.n_boot_ok, "seed": obj.seed, "ci_type": "percentile",
                "model": obj.model,
            }
        elif h.method in ("moderation", "latent_moderation") and obj is not None:
            grid = np.linspace(obj.m_min, obj.m_max, 61)
            slopes = obj.simple_slopes.rename(columns={"estimate": "slope"})
            out["moderation"][h.id] = {
                "id": h.id, "outcome": obj.y, "focal": obj.x, "moderator": obj.m, "n": obj.n,
                "coefficients": _records(obj.coefficients), "r2": obj.r2,
                "cov_type": obj.cov_type, "centered": obj.centered,
                "simple_slopes": _records(slopes), "x_range": [obj.x_min, obj.x_max],
                "johnson_neyman": {
                    "bounds": list(obj.jn_bounds),
                    "regions": [list(r) for r in obj.jn_regions],
                    "moderator_range": [obj.m_min, obj.m_max],
                    "curve": _records(obj.conditional_slopes(grid)),
                },
            }
        elif h.method in ("quadratic", "latent_quadratic") and obj is not None:
            out["quadratic"][h.id] = {
                "id": h.id, "outcome": obj.y, "x": obj.x, "n": obj.n,
                "coefficients": _records(obj.coefficients), "turning_point": obj.turning_point,
                "tp_se": obj.tp_se, "tp_ci_lower": obj.tp_ci_lower,
                "tp_ci_upper": obj.tp_ci_upper, "tp_fieller_lower": obj.tp_fieller_lower,
                "tp_fieller_upper": obj.tp_fieller_upper, "x_range": [obj.x_min, obj.x_max],
                "slope_min": obj.slope_min, "slope_max": obj.slope_max,
                "lind_mehlum_t": obj.lm_t, "lind_mehlum_pvalue": obj.lm_pvalue,
                "inverted_u": obj.inverted_u, "r2": obj.r2,
            }
        elif h.method == "multigroup" and isinstance(obj, dict):
            inv = details.get("invariance")
            out["multigroup"][h.id] = {
                "id": h.id, "test": h.test, **obj,
                "invariance": _records(inv) if isinstance(inv, pd.DataFrame) else None,
            }
        rsa = details.get(f"{h.id}_rsa") if h.robustness is not None else None
        if h.method == "rsa":
            rsa = obj
        if rsa is not None:
            out["response_surface"][h.id] = {
                "id": h.id, "z": rsa.y, "x": rsa.x1, "y": rsa.x2, "n": rsa.n,
                "center": rsa.center, "coefficients": _records(rsa.coefficients),
                "surface": _records(rsa.surface), "r2": rsa.r2,
            }
    return out


def hypothesis_scales(test: str, composites: Any, scales: Any) -> list[str]:
    """The instrument scales a hypothesis test rests on: the scores its test names, a
    composite through its parts, a dependence index through ``dep_own`` and ``dep_partner``
    (the report names the verdicts whose constructs lack discriminant or convergent
    validity by these).

    Examples
    --------
    >>> hypothesis_scales("learning ~ jd_sum", {"learning": ["info_sharing"]},
    ...             ["info_sharing", "dep_own", "dep_partner"])
    ['info_sharing', 'dep_own', 'dep_partner']
    """
    from analysis.study.dependence import INDEX_COLUMNS

    known = set(scales)
    out: list[str] = []
    for v in _test_variables(str(test)):
        name = v[len("dyad_"):] if v.startswith("dyad_") else v
        if name in known:
            parts = [name]
        elif name in composites:
            parts = list(composites[name])
        elif name in INDEX_COLUMNS:
            parts = ["dep_own", "dep_partner"]
        else:
            parts = []
        out.extend(x for x in parts if x in known and x not in out)
    return out


def _test_variables(test: str) -> list[str]:
    import re

    return [t for t in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", test)
            if t not in ("poly", "vs", "by")]


def to_json(result: dict[str, Any], indent: int | None = 2) -> str:
    """Serialise an :func:`analyze_study` result (NaN -> null, numpy -> Python)."""
    from analysis.io import jsonable

    return json.dumps(jsonable(result), indent=indent, ensure_ascii=False, allow_nan=False)


def verdict_table(result: dict[str, Any]) -> str:
    """A readable text table of the verdicts (for the terminal)."""
    def num(v: Any, width: int = 8) -> str:
        if v is None or (isinstance(v, float) and not np.isfinite(v)):
            return "NA".rjust(width)
        return f"{v:{width}.3f}"

    def pval(v: Any) -> str:
        if v is None or (isinstance(v, float) and not np.isfinite(v)):
            return "NA".rjust(9)
        return f"{v:9.3g}"

    lines = [f"N = {result['n']} analysed of {result['n_raw']} "
             f"({result['exclusions'].get('total', 0)} excluded)", "",
             f"{'id':<5}{'sign':>11}{'estimate':>9}{'ci_lower':>9}{'ci_upper':>9}"
             f"{'p':>9}{'p_adj':>9}  verdict"]
    for h in result["hypotheses"]:
        lines.append(f"{h['id']:<5}{h['expected_sign']:>11}{num(h['estimate'], 9)}"
                     f"{num(h['ci_lower'], 9)}{num(h['ci_upper'], 9)}{pval(h['pvalue'])}"
                     f"{pval(h['pvalue_adjusted'])}  {h['verdict']}")
    latent = [(h["id"], h["latent_interaction"]) for h in result["hypotheses"]
              if isinstance(h.get("latent_interaction"), dict)]
    if latent:
        lines += ["", "Latent interaction (product indicators, double-mean-centred; MLR):"]
        for hid, lat in latent:
            if lat.get("available"):
                lines.append(f"{hid:<5}{'':>11}{num(lat['estimate'], 9)}"
                             f"{num(lat['ci_lower'], 9)}{num(lat['ci_upper'], 9)}"
                             f"{pval(lat['pvalue'])}{'':>9}  n = {lat['n']}")
            else:
                lines.append(f"{hid:<5}  not available: {lat.get('reason', '')}")
    lines += ["", result.get("multiple_testing", "")]
    if result["warnings"]:
        lines += ["", "Warnings:"] + [f"  - {w}" for w in result["warnings"]]
    return "\n".join(lines)
