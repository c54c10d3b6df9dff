"""The study's pre-registration: the analysis plan as data, its document, and deviations.

:func:`build_plan` collects what a registry asks for (the structure of the OSF
preregistration and AsPredicted templates): the hypotheses with their directions and
decision rules (``hypotheses.yaml``, every field it declares), the instrument (id,
version, content hash), the sampling plan with the Monte Carlo power analysis
(:func:`analysis.study.power.power_analysis`), the exclusion rules (the defaults of
:func:`analysis.study.quality.quality_flags`), the analysis plan and its seed.  The
analysis plan names the model every confirmatory verdict comes from: the study's latent
model (:mod:`analysis.study.latent_model`, its full lavaan syntax, MLR with FIML and
cluster-robust SEs by alliance, the Monte Carlo interval of each indirect effect), its
robustness runs (WLSMV with ordered items, the composite path model), and the declared
decision rules as the runner applies them.  The plan
is plain JSON; :func:`render_markdown` writes the document; the store
(:mod:`instruments.store.prereg`) freezes it by its SHA-256.

:func:`plan_changes` lists what differs between two versions of a plan (the content of
an amendment); :func:`deviations` lists every difference between the frozen plan and an
analysis that was run (:func:`analysis.study.pipeline.analyze_study`), each marked
confirmatory or exploratory and linked to the amendment that logged it, if any.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from analysis.errors import DataError, clip

__all__ = ["SCHEMA", "build_plan", "check_analysis_file", "deviations", "plan_changes",
           "preregistration_section", "render_markdown"]

#: Version of the plan's layout (part of the hashed content).
SCHEMA = "alliance-survey pre-registration 1"
#: Fields of a hypothesis compared between the plan and an analysis.
HYPOTHESIS_FIELDS = ("statement", "expected_sign", "method", "test", "exploratory")


def _raw_hypotheses(path: str | Path | None) -> dict[str, Any]:
    from analysis.study.hypotheses import DEFAULT_PATH

    p = Path(path) if path is not None else DEFAULT_PATH
    doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    return doc if isinstance(doc, dict) else {}


def _exclusion_rules() -> dict[str, Any]:
    from analysis.study.quality import REASONS, quality_flags

    # the thresholds are quality_flags' keyword defaults: the plan records what the
    # package will apply, and a changed default shows up as a change of the plan
    rules = {k: v.default for k, v in inspect.signature(quality_flags).parameters.items()
             if v.kind == v.KEYWORD_ONLY}
    return {"reasons": list(REASONS), "thresholds": rules,
            "rule": "A respondent flagged for any reason is excluded from every analysis "
                    "(scoring's exclude flag); the counts per reason are reported."}


def build_plan(
    study: str,
    *,
    instrument: Any = None,
    hypotheses: str | Path | None = None,
    estimator: str = "WLSMV",
    bootstrap: int = 1000,
    seed: int = 2026,
    alpha: float = 0.05,
    power: dict[str, Any] | None = None,
    target_n: int | None = None,
) -> dict[str, Any]:
    """The analysis plan of a study, as JSON-able data (what is frozen and hashed).

    Parameters
    ----------
    study : str
        Study name (as in the store).
    instrument : Instrument, optional
        Default ``instruments.instrument.loader.load_instrument()``.
    hypotheses : path, optional
        Hypotheses file (default ``analysis/study/hypotheses.yaml``).  Every field it
        declares per hypothesis (and its ``decision`` block, when present) is kept.
    estimator, bootstrap, seed, alpha
        The analysis settings, as given to :func:`analysis.study.pipeline.analyze_study`.
    power : dict, optional
        ``PowerResult.to_dict()``-like summary; only its reproducible parts are kept.
    target_n : int, optional
        Planned number of retained respondents.

    Returns
    -------
    dict
    """
    from analysis.study.hypotheses import declared_rules, load_hypotheses

    if instrument is None:
        from instruments.instrument.loader import load_instrument

        instrument = load_instrument()
    hs = load_hypotheses(hypotheses)
    raw = _raw_hypotheses(hypotheses)
    items = []
    for h, rh in zip(hs.hypotheses, raw.get("hypotheses", []), strict=False):
        entry = {k: v for k, v in (rh or {}).items()}
        entry.update({"id": h.id, "statement": h.statement, "expected_sign": h.expected_sign,
                      "method": h.method, "test": h.test, "controls": list(h.controls),
                      "exploratory": bool(h.exploratory), "sources": list(h.sources)})
        items.append(entry)
    # the rules the runner applies: the declared block with its defaults filled in (alpha=
    # stands in for the level only when the declaration does not state one)
    rules = hs.decision if raw.get("decision") else declared_rules(hs, alpha)
    decision = {**rules.model_dump(mode="json"), "family_ids": hs.family(),
                "verdict_rule": _verdict_rule(rules, hs.family())}
    scales = {sid: {"items": [it.id for it in sc.items],
                    "reverse_keyed": [it.id for it in sc.items if it.reverse]}
              for sid, sc in instrument.scales.items()}
    path_est = "MLR" if estimator == "WLSMV" else estimator
    if hs.method == "pls":  # a study that declares PLS-SEM pre-registers it as the path model
        from analysis.study.pls_study import PLS_ESTIMATOR

        path_est = PLS_ESTIMATOR
    sampling: dict[str, Any] = {"target_n": target_n, "power": None}
    if power:
        sampling["power"] = {k: power.get(k) for k in ("seed", "reps", "alpha", "n_boot",
                                                       "estimator")}
        sampling["power"]["table"] = [
            {k: r.get(k) for k in ("n", "hypothesis", "power", "mc_se", "n_reps", "n_failed")}
            for r in power.get("power", [])]
    analysis: dict[str, Any] = {}
    latent = _latent_model_plan(hs, instrument, estimator, bootstrap)
    if latent is not None:
        analysis["latent_model"] = latent
    return {
        "schema": SCHEMA,
        "study": study,
        "hypotheses": {"id": hs.id, "version": hs.version, "file_sha256": hs.sha256,
                       "composites": {k: list(v) for k, v in hs.composites.items()},
                       "controls": list(hs.controls), "model": hs.model, "items": items},
        "decision_rules": decision,
        "instrument": {"id": getattr(instrument, "id", None),
                       "version": getattr(instrument, "version", None),
                       "sha256": getattr(instrument, "content_hash", None), "scales": scales},
        "sampling": sampling,
        "exclusions": _exclusion_rules(),
        "analysis": {
            **analysis,
            "measurement": {"estimator": estimator, "models": [
                "first-order CFA of all scales", "relationship learning as a second-order "
                "factor, compared by the scaled chi-square difference test"],
                "invariance_groups": ["firm_role", "language"]},
            "path_model": {"role": ("robustness rows of the path and mediation verdicts"
                                    if latent is not None else "verdicts of the path "
                                    "hypotheses"),
                           "estimator": path_est, "missing": "FIML (missing = 'ml')",
                           "attenuation_correction": "single indicators, error variance "
                                                     "(1 - alpha) var(score)",
                           "cluster_robust": (f"SEs and test by {hs.cluster} (lavaan cluster=) "
                                              "when rows share it" if hs.cluster
                                              and path_est == "MLR" else "none")},
            "mediation": {"bootstrap": int(bootstrap), "ci": "percentile",
                          "role": ("composite robustness row; the verdict uses the latent "
                                   "model's Monte Carlo interval" if latent is not None
                                   else "verdict")},
            "moderation": {"ols": "mean-centred predictors, HC3 SEs",
                           "latent_alternative": "product indicators (reported, not the "
                                                 "verdict)",
                           "latent_moderation": "product indicators (matched pairs, "
                                                "double-mean-centred), MLR, FIML, cluster-"
                                                "robust by alliance: the verdict; the "
                                                "regression as robustness"},
            "quadratic": "Lind-Mehlum test, turning point inside the observed range",
            "latent_quadratic": "squared items as product indicators (double-mean-centred), "
                                "MLR, FIML, cluster-robust by alliance; Lind-Mehlum test at "
                                "-/+2 SD of the latent predictor, turning point inside that "
                                "range; the quadratic regression as robustness",
            "alpha": float(decision.get("alpha", alpha)),
            "seed": int(seed),
        },
    }


def _verdict_rule(rules: Any, family: Sequence[str]) -> str:
    """The declared decision rule in words, as :func:`analysis.study.hypotheses.decide`
    applies it."""
    sides = ("one-sided in the declared direction (the Lind-Mehlum test for an inverted U)"
             if rules.sides == "by_direction" else
             "two-sided, a significant estimate must have the declared sign")
    corr = {"holm": "Holm", "bonferroni": "Bonferroni", "none": "no"}[rules.correction]
    out = (f"Tests {sides} at alpha = {rules.alpha:g}, {corr} adjustment over the "
           f"confirmatory family ({', '.join(family) or 'none'}); a hypothesis is supported "
           "when its adjusted p is below alpha.")
    if rules.equivalence == "tost":
        out += (f" Otherwise two one-sided tests against a standardised effect of "
                f"+-{rules.sesoi:g} (alpha = {rules.equivalence_alpha:g}) decide between "
                "'evidence of no effect' and 'inconclusive', reported with the power at the "
                "observed N.")
    return out


def _latent_model_plan(hs: Any, instrument: Any, estimator: str,
                       bootstrap: int) -> dict[str, Any] | None:
    """The latent model behind the path and mediation verdicts (None when there is none).

    The syntax is built from the declaration and the instrument exactly as the runner
    builds it (:func:`analysis.study.latent_model.latent_model_spec`), with every declared
    control.
    """
    from analysis.errors import ModelSpecificationError
    from analysis.study.hypotheses import LATENT_MODEL_METHODS
    from analysis.study.latent_model import latent_model_spec

    ids = [h.id for h in hs.hypotheses if h.method in LATENT_MODEL_METHODS]
    if not ids or hs.method == "pls":
        return None
    try:
        spec = latent_model_spec(hs, instrument)
    except ModelSpecificationError as exc:
        raise DataError(f"The latent model of the plan cannot be built: {exc}") from exc
    est = "ML" if estimator == "ML" else "MLR"
    cluster = (f"SEs and test cluster-robust by {hs.cluster} (lavaan cluster=) when rows "
               f"share it" if hs.cluster and est == "MLR" else "none")
    return {
        "verdicts_of": ids,
        "estimator": est,
        "missing": "FIML (missing = 'ml') when answers are missing",
        "cluster_robust": cluster,
        "fixed_x": False,
        "measurement": "reflective scales as factors of their reverse-keyed items; "
                       "composites of reflective scales as second-order factors; composite "
                       "scales, dependence indices and controls as observed scores",
        "factors": {f: list(ind) for f, ind in spec.factors.items()},
        "observed": dict(spec.observed),
        "syntax": spec.syntax,
        "indirect_effects": {
            "defined": {hid: f"{name} := {spec.labels[(m, x)]}*{spec.labels[(y, m)]}"
                        for hid, (name, x, m, y) in spec.defined.items()},
            "interval": "Monte Carlo percentile interval (Preacher & Selig 2012): a and b "
                        "drawn from their cluster-robust covariance; p = share of draws on "
                        "the other side of zero",
            "draws": int(bootstrap)},
        "robustness": [
            "the same model with the items as ordered categories (WLSMV, delta "
            "parameterization, missing pairwise, SEs not clustered)",
            "the composite path model and composite mediation (below)"],
        "call": "lavaan::sem(syntax, data, estimator = '" + est + "', missing = 'ml'"
                + (f", cluster = '{hs.cluster}'" if cluster != "none" else "")
                + ", fixed.x = FALSE)",
    }


# --------------------------------------------------------------------------------------
# the document
# --------------------------------------------------------------------------------------
def _md_cell(v: Any) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def render_markdown(plan: dict[str, Any], *, sha256: str, frozen_at: Any = None,
                    n_responses: int | None = None,
                    amendments: Sequence[Any] = ()) -> str:
    """The pre-registration document (Markdown, in the order of the AsPredicted template)."""
    hyp = plan["hypotheses"]
    inst = plan["instrument"]
    an = plan["analysis"]
    lines = [f"# Pre-registration: {plan['study']}", "",
             f"* Plan SHA-256: `{sha256}`",
             f"* Frozen: {frozen_at:%Y-%m-%d %H:%M:%S} UTC" if frozen_at is not None
             else "* Frozen: not yet (draft)",
             f"* Hypotheses file: {hyp['id']} version {hyp['version']}, "
             f"SHA-256 `{hyp['file_sha256']}`", ""]
    lines += ["## 1. Data collection", ""]
    if n_responses is None:
        lines.append("Not recorded (the plan has not been frozen in the response store).")
    elif n_responses == 0:
        lines.append("No data have been collected for this study when the plan was frozen "
                     "(0 responses in the store).")
    else:
        lines.append(f"**{n_responses} response(s) existed when the plan was frozen**: this "
                     "is not a pre-registration of the whole study.")
    lines += ["", "## 2. Hypotheses", "",
              "| id | statement | direction | test | method | status | SESOI |",
              "|---|---|---|---|---|---|---|"]
    for h in hyp["items"]:
        lines.append("| " + " | ".join(_md_cell(x) for x in (
            h["id"], h["statement"], h["expected_sign"], h["test"], h["method"],
            "exploratory" if h["exploratory"] else "confirmatory",
            h.get("sesoi", "")) ) + " |")
    lines += ["", "### Decision rules", ""]
    rule = plan["decision_rules"].get("verdict_rule")
    if rule:
        lines += [rule, ""]
    lines += [f"* {k}: {v}" for k, v in plan["decision_rules"].items() if k != "verdict_rule"]
    lines += ["", "## 3. Measured variables (instrument)", "",
              f"Instrument {inst['id']} version {inst['version']}, content SHA-256 "
              f"`{inst['sha256']}`.", "", "| scale | items | reverse-keyed |", "|---|---|---|"]
    for sid, sc in inst["scales"].items():
        lines.append(f"| {sid} | {len(sc['items'])} | {', '.join(sc['reverse_keyed']) or '-'} |")
    lines += ["", f"Composites: {hyp['composites']}. Controls in every model: "
              f"{', '.join(hyp['controls']) or 'none'}.", "",
              "## 4. Analyses", "", *_latent_markdown(an.get("latent_model")),
              f"* Measurement model: {an['measurement']['estimator']}; "
              f"{'; '.join(an['measurement']['models'])}; invariance by "
              f"{', '.join(an['measurement']['invariance_groups'])}.",
              f"* {'Composite path model' if 'latent_model' in an else 'Structural path model'}"
              f" ({an['path_model']['estimator']}, "
              f"{an['path_model']['missing']}, {an['path_model']['attenuation_correction']}"
              + (f"; {an['path_model']['role']}" if "role" in an["path_model"] else "") + "):",
              "", "```", hyp["model"].rstrip(), "```", "",
              f"* {'Composite mediation' if 'latent_model' in an else 'Mediation'}: "
              f"{an['mediation']['ci']} bootstrap, {an['mediation']['bootstrap']} draws"
              + (f" ({an['mediation']['role']})" if "role" in an["mediation"] else "") + ".",
              f"* Moderation: {an['moderation']['ols']}; {an['moderation']['latent_alternative']}.",
              f"* Inverted U: {an['quadratic']}.",
              f"* Significance level {an['alpha']}; random seed {an['seed']}.", "",
              "## 5. Outliers and exclusions", "", plan["exclusions"]["rule"], ""]
    lines += [f"* {k} = {v}" for k, v in plan["exclusions"]["thresholds"].items()]
    samp = plan["sampling"]
    lines += ["", "## 6. Sample size", "",
              f"Target: {samp['target_n'] if samp['target_n'] else 'not fixed'} retained "
              "respondents."]
    pw = samp.get("power")
    if pw:
        lines += ["", f"Monte Carlo power ({pw['reps']} replications per n, seed {pw['seed']}, "
                  f"alpha {pw['alpha']}, {pw['n_boot']} bootstrap draws):", "",
                  "| n | hypothesis | power | MC SE |", "|---|---|---|---|"]
        lines += [f"| {r['n']} | {r['hypothesis']} | {r['power']:.3f} | {r['mc_se']:.3f} |"
                  for r in pw["table"]]
    else:
        lines += ["", "No power analysis was run for this plan."]
    lines += ["", "## 7. Other", "",
              "Hypotheses marked exploratory, robustness checks and any analysis not listed "
              "here are reported as exploratory. Changes to this plan are recorded as "
              "amendments in the response store."]
    if amendments:
        lines += ["", "### Amendments", ""]
        for am in amendments:
            lines.append(f"* #{am.seq} {am.at:%Y-%m-%d %H:%M} UTC after {am.n_responses} "
                         f"response(s): {am.reason} -- "
                         + "; ".join(str(c) for c in am.changes))
    return "\n".join(lines) + "\n"


def _latent_markdown(lat: dict[str, Any] | None) -> list[str]:
    """The latent model's lines of the document's analysis section."""
    if not lat:
        return []
    ind = lat["indirect_effects"]
    return [
        f"* **Latent model** (the verdicts of {', '.join(lat['verdicts_of'])}): "
        f"{lat['estimator']}, {lat['missing']}, {lat['cluster_robust']}, fixed.x = FALSE; "
        f"{lat['measurement']}. lavaan call: `{lat['call']}` with the syntax:",
        "", "```", lat["syntax"].rstrip(), "```", "",
        "* Indirect effects: " + "; ".join(f"{k}: `{v}`" for k, v in ind["defined"].items())
        + f"; {ind['interval']} ({ind['draws']} draws).",
        "* Robustness, reported beside each latent verdict: "
        + "; ".join(lat["robustness"]) + ".",
    ]


# --------------------------------------------------------------------------------------
# differences
# --------------------------------------------------------------------------------------
def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "id" in v
                                                   for v in value):
        for v in value:
            out.update(_flatten(v, f"{prefix}.{v['id']}"))
    else:
        out[prefix] = value
    return out


def plan_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two versions of a plan, one line per changed field."""
    a, b = _flatten(old), _flatten(new)
    out = []
    for key in sorted(set(a) | set(b)):
        if key not in a:
            out.append(f"{key}: added {b[key]!r}")
        elif key not in b:
            out.append(f"{key}: removed (was {a[key]!r})")
        elif a[key] != b[key]:
            out.append(f"{key}: {a[key]!r} -> {b[key]!r}")
    return out


def _plan_facts(plan: dict[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for h in plan["hypotheses"]["items"]:
        facts[f"hypothesis {h['id']}"] = {k: h.get(k) for k in HYPOTHESIS_FIELDS}
    an = plan["analysis"]
    facts["estimator (measurement model)"] = an["measurement"]["estimator"]
    facts["estimator (path model)"] = an["path_model"]["estimator"]
    if "latent_model" in an:
        facts["estimator (latent model)"] = an["latent_model"]["estimator"]
    facts["instrument"] = plan["instrument"]["sha256"]
    facts["significance level"] = float(an["alpha"])
    facts["seed"] = an["seed"]
    facts["bootstrap draws"] = an["mediation"]["bootstrap"]
    facts["exclusion reasons"] = sorted(plan["exclusions"]["reasons"])
    return facts


def check_result(result: Any, *, provenance_parts: bool = True,
                 what: str = "The analysis") -> None:
    """The parts of an analysis result the comparison reads have their shapes: an edited
    or foreign JSON file ended in an internal AttributeError.  ``provenance_parts=False``
    leaves the provenance's ``estimator`` and ``instrument`` unchecked (the report also
    reads older results, whose estimator is one text)."""
    problems = []
    if not isinstance(result, dict):
        problems.append(f"it is a {type(result).__name__}, not an object")
    else:
        hyps = result.get("hypotheses", [])
        if not isinstance(hyps, list) or not all(
                isinstance(h, dict) and isinstance(h.get("id"), str) and h["id"].strip()
                for h in hyps):
            problems.append("'hypotheses' is not a list of objects each with a text 'id'")
        for key in ("provenance", "exclusions"):
            if not isinstance(result.get(key, {}), dict):
                problems.append(f"{key!r} is not an object")
        prov = result.get("provenance", {})
        if isinstance(prov, dict) and provenance_parts:
            for key in ("estimator", "instrument"):
                if not isinstance(prov.get(key, {}), dict):
                    problems.append(f"'provenance': {key!r} is not an object")
    if problems:
        raise DataError(f"{what} is not a result of 'alliance-survey analyze --json': "
                        + "; ".join(problems) + ".")


#: The layout of the analysis JSON this version reads (its key ``format_version``).  A file
#: without the key is of format 1, the layout of every version before the key was written;
#: one of a later format (from a newer alliance-survey) is refused rather than misread.
ANALYSIS_FORMAT_VERSION = 1

#: The JSON files of the other commands, by keys only they write: a file given where an
#: analysis belongs is named for what it is.
OTHER_RESULTS = (
    (("schema", "decision_rules"), "the analysis plan of 'alliance-survey prereg'"),
    (("fit", "estimates"), "a model fit of 'alliance-survey sem --json'"),
    (("scheme", "estimates"), "a PLS fit of 'alliance-survey pls --json'"),
    (("scales", "fornell_larcker"), "the result of 'alliance-survey reliability --json'"),
    (("delta_chisq",), "the result of 'alliance-survey compare --json'"),
    (("df_a", "df_b"), "the result of 'alliance-survey compare --json'"),
    (("power", "reps"), "the result of 'alliance-survey power --json'"),
    (("generator", "rows", "sha256"), "the manifest of 'alliance-survey simulate --manifest'"),
)
#: A data fingerprint as :func:`analysis.study.pipeline.data_sha256` writes it.
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_analysis_file(result: Any, *, provenance_parts: bool = True,
                        what: str = "The file") -> None:
    """Refuse a JSON file that is not an analysis of 'alliance-survey analyze --json'.

    :func:`check_result` checks only the shapes of the parts present, so any JSON object
    passed: the fit of 'sem --json' gave a report of "Not available" in every section
    and a deviation list of dropped hypotheses.  An analysis lists its hypotheses and
    records the fingerprint of its data (``provenance.data_sha256``), which the report
    compares with the data given beside it.

    Raises
    ------
    DataError
        Naming what the file is when it is another command's result.
    """
    head = f"{what} is not a result of 'alliance-survey analyze --json'"
    advice = ("; give the file that 'alliance-survey analyze --json' (or 'report "
              "--save-json') wrote.")
    # the loop's name must not be 'what': it replaced the caller's, and every later message
    # began "the manifest of 'alliance-survey simulate --manifest' is not a result ..."
    for keys, kind in OTHER_RESULTS if isinstance(result, dict) else ():
        if all(k in result for k in keys):
            raise DataError(f"{head}: it is {kind}{advice}")
    check_result(result, provenance_parts=provenance_parts, what=what)
    if "format_version" in result:
        version = result["format_version"]
        if not (isinstance(version, int) and not isinstance(version, bool) and version >= 1):
            raise DataError(f"{what} has 'format_version' = {clip(version)}, not a version "
                            "number; the file was edited or damaged" + advice)
        if version > ANALYSIS_FORMAT_VERSION:
            # its sections may mean something else: read as today's, they were shown wrongly
            raise DataError(f"{what} was written in analysis format {version} by a newer "
                            "alliance-survey; this version reads format "
                            f"{ANALYSIS_FORMAT_VERSION}. Update alliance-survey or run "
                            "'alliance-survey analyze --json' again with this version.")
    missing = [k for k in ("hypotheses", "provenance") if k not in result]
    if missing:
        shown = ", ".join(list(map(str, result))[:8]) or "none"
        raise DataError(f"{head}: it has no {' and no '.join(repr(k) for k in missing)} "
                        f"(its keys: {clip(shown, 200)}){advice}")
    sha = result["provenance"].get("data_sha256")
    if not isinstance(sha, str) or not _SHA256.match(sha):
        raise DataError(f"{head}: its provenance has no data fingerprint "
                        f"('data_sha256': {clip(sha)}){advice}")
    for key in ("n", "n_raw"):
        value = result.get(key)
        if key in result and value is not None and not (
                isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            # check_report ended in an internal TypeError for "n": []
            raise DataError(f"{what} has {key!r} = {clip(value)}, not a count of "
                            "respondents; the file was edited or damaged. Give the file "
                            "that 'alliance-survey analyze --json' (or 'report "
                            "--save-json') wrote.")
    odd = unwritten_number(result)
    if odd is not None:
        where, value = odd
        raise DataError(f"{what} holds {value} at {where}, which alliance-survey never "
                        "writes (its numbers are finite and fit a float; a missing one is "
                        "null): the file was edited or damaged. Give the file that "
                        "'alliance-survey analyze --json' (or 'report --save-json') wrote.")


#: Largest magnitude of an integer that converts to a float (beyond it, ``float()`` raises
#: OverflowError).
_FLOAT_MAX = 1.7976931348623157e308


def unwritten_number(value: Any) -> tuple[str, str] | None:
    """The first number of a JSON document that :func:`analysis.io.jsonable` never writes:
    NaN, an infinity, or an integer too large for a float (a report section given
    ``"pvalue": 1e400`` written as an integer ended in an internal OverflowError).

    Returns its JSON pointer (``/hypotheses/0/pvalue``) and the number as text, or ``None``.
    """
    import math

    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            stack.extend((f"{where}/{k}", v) for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend((f"{where}/{i}", v) for i, v in reversed(list(enumerate(item))))
        elif isinstance(item, float) and not math.isfinite(item):
            return where or "/", str(item)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > _FLOAT_MAX:
            digits = len(str(abs(item)))
            return where or "/", f"an integer of {digits:,} digits"
    return None


def _result_facts(result: dict[str, Any]) -> dict[str, Any]:
    check_result(result)
    prov = result.get("provenance", {})
    facts: dict[str, Any] = {}
    for h in result.get("hypotheses", []):
        facts[f"hypothesis {h['id']}"] = {k: h.get(k) for k in HYPOTHESIS_FIELDS}
        facts[f"hypothesis {h['id']}"]["exploratory"] = bool(h.get("exploratory"))
    est = prov.get("estimator", {})
    facts["estimator (measurement model)"] = est.get("measurement")
    facts["estimator (path model)"] = est.get("path_model")
    if est.get("latent_model") is not None:
        facts["estimator (latent model)"] = est.get("latent_model")
    facts["instrument"] = prov.get("instrument", {}).get("sha256")
    facts["significance level"] = prov.get("alpha")
    facts["seed"] = prov.get("seed")
    facts["bootstrap draws"] = prov.get("bootstrap")
    used = [k for k in result.get("exclusions", {}) if k != "total"]
    facts["exclusion reasons"] = sorted(used)
    return facts


def deviations(history: Sequence[Any], result: dict[str, Any]) -> list[dict[str, Any]]:
    """Every difference between the frozen plan and the analysis that was run.

    Parameters
    ----------
    history : sequence of PlanVersion
        :func:`instruments.store.prereg.plan_history` (the frozen plan first, then its
        amendments).
    result : dict
        :func:`analysis.study.pipeline.analyze_study` output.

    Returns
    -------
    list of dict
        ``what, kind, planned, actual, status, amendment, note``.  ``kind`` is
        ``changed``, ``added`` (an analysis not in the plan) or ``dropped``.  ``status``
        is ``"confirmatory"`` only for a change logged as an amendment before the first
        response; every other deviation -- logged after data collection began, or never
        logged -- makes the analysis it touches ``"exploratory"``.  ``amendment`` is
        ``{"seq", "at", "reason", "n_responses"}`` of the amendment that introduced the
        actual value, or None.
    """
    if not history:
        raise DataError("The study has no frozen plan: there is nothing to compare the "
                        "analysis with (alliance-survey prereg --study ...).")
    planned = _plan_facts(history[0].content)
    actual = _result_facts(result)
    later = [(v, _plan_facts(v.content)) for v in history[1:]]
    out: list[dict[str, Any]] = []
    for key in list(planned) + [k for k in actual if k not in planned]:
        p, a = planned.get(key), actual.get(key)
        if key in actual and key in planned and p == a:
            continue
        if key == "exclusion reasons" and a is not None and set(a) <= set(p or []):
            continue  # fewer reasons used than allowed: no respondent met the others
        if a is None and key in planned and not key.startswith("hypothesis"):
            continue  # the analysis does not record this setting
        kind = "added" if key not in planned else "dropped" if key not in actual else "changed"
        amendment = None
        for version, facts in later:
            if facts.get(key) == a:
                amendment = {"seq": version.seq, "at": version.at.isoformat(),
                             "reason": version.reason, "n_responses": version.n_responses}
                break
        status = ("confirmatory" if amendment is not None and amendment["n_responses"] == 0
                  and kind != "added" else "exploratory")
        if kind == "changed" and key.startswith("hypothesis") and isinstance(p, dict):
            fields = [f for f in HYPOTHESIS_FIELDS if p.get(f) != (a or {}).get(f)]
            note = "changed: " + ", ".join(fields)
        elif kind == "added":
            note = "not in the frozen plan"
        elif kind == "dropped":
            note = "in the frozen plan, not in the analysis"
        else:
            note = ""
        if amendment is None:
            note = (note + "; " if note else "") + "not logged as an amendment"
        elif amendment["n_responses"]:
            note = (note + "; " if note else "") + (
                f"amendment #{amendment['seq']} logged after {amendment['n_responses']} "
                "response(s)")
        out.append({"what": key, "kind": kind, "planned": p, "actual": a, "status": status,
                    "amendment": amendment, "note": note})
    return out


def preregistration_section(history: Sequence[Any], result: dict[str, Any]) -> dict[str, Any]:
    """The report's record of the pre-registration: the frozen plan, amendments, deviations.

    JSON-ready; the report shows it with the other results (key ``preregistration``).
    """
    devs = deviations(history, result)
    first = history[0]
    return {
        "plan_sha256": first.sha256,
        "frozen_at": first.at.isoformat(),
        "responses_when_frozen": first.n_responses,
        "amendments": [{"seq": v.seq, "at": v.at.isoformat(), "reason": v.reason,
                        "responses_before": v.n_responses, "changes": "; ".join(
                            str(c) for c in v.changes)} for v in history[1:]],
        "deviations": [{"what": d["what"], "kind": d["kind"], "status": d["status"],
                        "planned": _short(d["planned"]), "actual": _short(d["actual"]),
                        "amendment": d["amendment"]["seq"] if d["amendment"] else None,
                        "note": d["note"]} for d in devs],
    }


def _short(v: Any) -> str:
    if isinstance(v, dict):
        return "; ".join(f"{k}: {x}" for k, x in v.items())
    return "" if v is None else str(v)
