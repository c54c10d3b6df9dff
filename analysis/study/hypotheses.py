"""Hypotheses as data and the hypothesis runner.

``analysis/study/hypotheses.yaml`` declares the study's hypotheses before any data
arrive.  :func:`load_hypotheses` validates the file (all
problems at once) and hashes it; :func:`test_hypotheses` tests every hypothesis
on a data set and returns one row per hypothesis with a verdict.

Design of the tests (what the runner does and why)
---------------------------------------------------
* **Composite scores.**  Every construct enters as its scale score (mean of the
  items after reverse keying, :func:`analysis.study.scoring.score`); relationship
  learning is the mean of its three dimensions (``composites`` in the YAML).
  Dependence enters through the dependence indices (``jd_sum``,
  ``asym_abs``, ``asym_signed``), which are non-linear functions of two scales
  and cannot be formed from latent variables in a linear SEM.  Composite scores
  carry measurement error: paths are attenuated and a path that is zero in the
  population can pick up a small bias from a correlated, unreliably measured
  predictor.  The measurement model itself is tested in ``analysis.study.measurement``.
* **SEM paths** (``sem_path``): one path model (``model`` in the YAML, plus the
  controls in every equation) fitted with MLR (robust SEs, Yuan-Bentler scaled
  test) or ML, with FIML for missing composite scores (``missing="ml"``).
* **Mediation** (H4): :func:`analysis.stats.regression.mediation_bootstrap`
  (percentile bootstrap CI of ``a*b``; the verdict uses the CI).
* **Moderation** (H5, H7): OLS on mean-centred composites with HC3 SEs, simple
  slopes and Johnson-Neyman regions (:func:`analysis.stats.regression.moderation`).
  Next to it, the **latent interaction** (:mod:`analysis.stats.latent_interaction`:
  double-mean-centred matched-pair product indicators, MLR, FIML when item
  answers are missing), whose indicators come from :func:`latent_indicators`
  (scale items, the learning dimensions as parcels, mirror-item differences for
  ``asym_signed``).  The pre-registered verdict stays the regression one; a
  hypothesis declared with ``method: latent_moderation`` (same test grammar)
  gets its verdict from the latent model instead, with the regression in the note.
* **Inverted U** (H6b): :func:`analysis.stats.regression.quadratic` with the
  Lind-Mehlum test; supported only if that test rejects and the turning point
  lies inside the data.
* **H2** is reported with the response-surface check (``a4`` on
  ``dep_own`` x ``dep_partner``) in its note.
* **H10** (dyads) compares two-informant with one-informant joint dependence
  by a regression on the dyad rows (the full dyadic analysis is
  :func:`analysis.study.dyads.dyadic_analysis`).  **H11** compares the balance ``learning_about -
  learning_from`` across alliance stages (Welch ANOVA on composites; the
  measurement invariance of the two scales is in the measurement section).
* **Multiple testing**: Holm-adjusted p over the confirmatory set, reported
  alongside the raw p; verdicts use the raw p (or the CI) at ``alpha``.

Verdicts: "supported" (significant, expected sign), "opposite sign"
(significant, other sign), "not supported" (otherwise); exploratory
hypotheses get "exploratory: ..." with what was found.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from analysis.errors import (
    DataError,
    EstimationError,
    InstrumentError,
    ModelSpecificationError,
)

DEFAULT_PATH = Path(__file__).with_name("hypotheses.yaml")
METHODS = ("sem_path", "mediation_bootstrap", "moderation", "latent_moderation", "quadratic",
           "rsa", "dyadic", "multigroup")
SIGNS = ("+", "-", "inverted_u", "none")
RESULT_COLUMNS = ["id", "statement", "expected_sign", "method", "test", "estimate", "se",
                  "ci_lower", "ci_upper", "pvalue", "pvalue_holm", "verdict", "n",
                  "exploratory", "note", "latent_interaction"]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PATTERNS = {
    "sem_path": re.compile(rf"^\s*(?P<y>{_NAME})\s*~\s*(?P<x>{_NAME})\s*$"),
    "mediation_bootstrap": re.compile(
        rf"^\s*(?P<x>{_NAME})\s*->\s*(?P<m>{_NAME})\s*->\s*(?P<y>{_NAME})\s*$"),
    "moderation": re.compile(
        rf"^\s*(?P<y>{_NAME})\s*~\s*(?P<x>{_NAME})\s*\*\s*(?P<m>{_NAME})\s*$"),
    "latent_moderation": re.compile(
        rf"^\s*(?P<y>{_NAME})\s*~\s*(?P<x>{_NAME})\s*\*\s*(?P<m>{_NAME})\s*$"),
    "quadratic": re.compile(
        rf"^\s*(?P<y>{_NAME})\s*~\s*(?P<x>{_NAME})\s*\+\s*(?P<x2>{_NAME})\s*\^\s*2\s*$"),
    "rsa": re.compile(
        rf"^\s*(?P<z>{_NAME})\s*~\s*poly\(\s*(?P<x>{_NAME})\s*,\s*(?P<y>{_NAME})\s*\)\s*$"),
    "dyadic": re.compile(
        rf"^\s*(?P<y>{_NAME})\s*~\s*(?P<a>{_NAME})\s+vs\s+(?P<b>{_NAME})\s*$"),
    "multigroup": re.compile(
        rf"^\s*(?P<a>{_NAME})\s*-\s*(?P<b>{_NAME})\s+by\s+(?P<g>{_NAME})\s*$"),
}


# --------------------------------------------------------------------------------------
# the declaration
# --------------------------------------------------------------------------------------
class Robustness(BaseModel):
    """A robustness check reported alongside a hypothesis."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    method: Literal["rsa", "quadratic", "moderation", "sem_path"]
    test: str


class Hypothesis(BaseModel):
    """One declared hypothesis."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^H[0-9]+[a-z]?$")
    statement: str = Field(min_length=10)
    expected_sign: Literal["+", "-", "inverted_u", "none"]
    test: str
    method: Literal["sem_path", "mediation_bootstrap", "moderation", "latent_moderation",
                    "quadratic", "rsa", "dyadic", "multigroup"]
    controls: tuple[str, ...] = ()
    sources: tuple[str, ...] = Field(min_length=1)
    exploratory: bool = False
    robustness: Robustness | None = None

    def parts(self) -> dict[str, str]:
        """The variable names of :attr:`test` by role (``y``, ``x``, ``m`` ...)."""
        match = _PATTERNS[self.method].match(self.test)
        if match is None:  # pragma: no cover - validated on load
            raise InstrumentError(f"{self.id}: test {self.test!r} does not fit {self.method}.")
        return match.groupdict()


class HypothesisSet(BaseModel):
    """The whole declaration (``analysis/study/hypotheses.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    version: int | str
    composites: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    controls: tuple[str, ...] = ()
    model: str
    hypotheses: tuple[Hypothesis, ...] = Field(min_length=1)
    sha256: str = ""

    def get(self, hid: str) -> Hypothesis:
        """The hypothesis with id ``hid``."""
        for h in self.hypotheses:
            if h.id == hid:
                return h
        raise ModelSpecificationError(f"Hypothesis {hid!r} is not declared.")

    def model_paths(self) -> set[tuple[str, str]]:
        """``(lhs, rhs)`` of every regression path in :attr:`model`."""
        paths: set[tuple[str, str]] = set()
        for line in self.model.splitlines():
            line = line.split("#", 1)[0].strip()
            if "~" not in line or "=~" in line or "~~" in line or ":=" in line:
                continue
            lhs, rhs = (s.strip() for s in line.split("~", 1))
            for term in rhs.split("+"):
                term = term.strip().split("*")[-1].strip()
                if term:
                    paths.add((lhs, term))
        return paths


def _semantic_problems(hs: HypothesisSet) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    paths = hs.model_paths()
    for h in hs.hypotheses:
        if h.id in seen:
            problems.append(f"hypotheses: id {h.id!r} is used twice.")
        seen.add(h.id)
        match = _PATTERNS[h.method].match(h.test)
        if match is None:
            problems.append(f"{h.id}: test {h.test!r} does not fit method {h.method!r}.")
        elif h.method == "sem_path" and (match["y"], match["x"]) not in paths:
            problems.append(f"{h.id}: the path {h.test!r} is not in model:.")
        elif h.method == "quadratic" and match["x"] != match["x2"]:
            problems.append(f"{h.id}: the squared term must be of {match['x']!r}.")
        if not h.exploratory and h.expected_sign == "none":
            problems.append(f"{h.id}: a confirmatory hypothesis needs an expected_sign.")
        if h.expected_sign == "inverted_u" and h.method != "quadratic":
            problems.append(f"{h.id}: expected_sign 'inverted_u' needs method 'quadratic'.")
        if h.robustness is not None and _PATTERNS[h.robustness.method].match(
                h.robustness.test) is None:
            problems.append(f"{h.id}: robustness test {h.robustness.test!r} does not fit "
                            f"{h.robustness.method!r}.")
    return problems


def load_hypotheses(path: str | Path | None = None) -> HypothesisSet:
    """Read, validate and hash the hypotheses declaration.

    Parameters
    ----------
    path : str or Path, optional
        Default ``analysis/study/hypotheses.yaml``.

    Returns
    -------
    HypothesisSet
        With ``sha256`` the hash of the file's bytes.

    Raises
    ------
    InstrumentError
        With every problem of the file listed (``.problems``).
    """
    p = Path(path) if path is not None else DEFAULT_PATH
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InstrumentError(f"Cannot read hypotheses file {p}: {exc}.", [str(exc)]) from exc
    try:
        doc = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise InstrumentError(f"Hypotheses file {p} is not valid YAML.", [str(exc)]) from exc
    if not isinstance(doc, dict):
        raise InstrumentError(f"Hypotheses file {p} must be a mapping.", ["top level"])
    doc = dict(doc)
    doc["sha256"] = hashlib.sha256(raw).hexdigest()
    try:
        hs = HypothesisSet.model_validate(doc)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise InstrumentError(
            f"Hypotheses file {p} has {len(problems)} problem(s): " + "; ".join(problems),
            problems,
        ) from exc
    problems = _semantic_problems(hs)
    if problems:
        raise InstrumentError(
            f"Hypotheses file {p} has {len(problems)} problem(s): " + "; ".join(problems),
            problems,
        )
    return hs


# --------------------------------------------------------------------------------------
# data preparation
# --------------------------------------------------------------------------------------
def prepare_scores(
    data: pd.DataFrame, scored: pd.DataFrame | None, hypotheses: HypothesisSet,
    instrument: Any = None,
) -> tuple[pd.DataFrame, dict[str, int], pd.DataFrame]:
    """Scores of the retained respondents, exclusion counts, and all scores.

    Returns
    -------
    analysis : DataFrame
        Scores of respondents not flagged ``exclude`` by scoring, plus the
        composites of the declaration and the raw classification columns.
    exclusions : dict
        ``{reason: count}`` (one respondent may have several reasons) and ``"total"``.
    scored : DataFrame
        The full scored frame.
    """
    if scored is None:
        from analysis.study.scoring import score

        scored = score(data, instrument)
    if len(scored) != len(data):
        raise DataError("scored= must have one row per row of data=.")
    sc = scored.reset_index(drop=True).copy()
    raw = data.reset_index(drop=True)
    for c in raw.columns:
        if c not in sc.columns and c != "comment":
            sc[c] = raw[c]
    for name, parts in hypotheses.composites.items():
        missing = [p for p in parts if p not in sc.columns]
        if missing:
            raise DataError(f"Composite {name!r}: score(s) missing: {', '.join(missing)}.")
        sc[name] = sc[list(parts)].mean(axis=1, skipna=False)
    excl = sc["exclude"].fillna(False).astype(bool) if "exclude" in sc else \
        pd.Series(False, index=sc.index)
    counts: dict[str, int] = {}
    if "exclude_reason" in sc:
        for reason in sc.loc[excl, "exclude_reason"].fillna(""):
            for r in [s.strip() for s in str(reason).split(";") if s.strip()]:
                counts[r] = counts.get(r, 0) + 1
    counts["total"] = int(excl.sum())
    return sc.loc[~excl].reset_index(drop=True), counts, sc


# --------------------------------------------------------------------------------------
# the runner
# --------------------------------------------------------------------------------------
def _verdict(expected: str, estimate: float, significant: bool, exploratory: bool) -> str:
    if exploratory:
        return "exploratory: effect detected" if significant else "exploratory: no effect detected"
    if not np.isfinite(estimate) or not significant:
        return "not supported"
    want = 1.0 if expected == "+" else -1.0
    return "supported" if np.sign(estimate) == want else "opposite sign"


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values (NaN kept out of the family).

    # In R: p.adjust(p, method = "holm")
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out[order] = adj
    return out


def _row(h: Hypothesis, **values: Any) -> dict[str, Any]:
    row = {"id": h.id, "statement": h.statement, "expected_sign": h.expected_sign,
           "method": h.method, "test": h.test, "estimate": np.nan, "se": np.nan,
           "ci_lower": np.nan, "ci_upper": np.nan, "pvalue": np.nan, "pvalue_holm": np.nan,
           "verdict": "not tested", "n": 0, "exploratory": h.exploratory, "note": "",
           "latent_interaction": None}
    row.update(values)
    return row


def _controls(h: Hypothesis, base: Sequence[str], d: pd.DataFrame,
              exclude: Sequence[str]) -> list[str]:
    names = [c for c in [*base, *h.controls] if c not in exclude]
    return [c for c in dict.fromkeys(names) if c in d.columns]


def _path_model(hs: HypothesisSet, controls: Sequence[str], d: pd.DataFrame) -> str:
    lines = []
    usable = [c for c in controls if c in d.columns]
    for line in hs.model.splitlines():
        line = line.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if "~" in line and "=~" not in line and "~~" not in line and usable:
            lhs, rhs = line.split("~", 1)
            extra = [c for c in usable if c != lhs.strip()]
            line = f"{lhs}~{rhs}" + "".join(f" + {c}" for c in extra)
        lines.append(line)
    return "\n".join(lines) + "\n"


def _alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha from the pairwise item covariance matrix."""
    cov = items.apply(pd.to_numeric, errors="coerce").astype(float).cov().to_numpy()
    k = cov.shape[0]
    total = float(cov.sum())
    if k < 2 or not np.isfinite(total) or total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1 - np.trace(cov) / total))


def composite_reliabilities(
    data: pd.DataFrame, hypotheses: HypothesisSet, instrument: Any = None,
) -> dict[str, float]:
    """Cronbach's alpha of every scale score and composite (reverse-keyed items).

    A composite of several scales (e.g. ``learning``) gets the alpha of all its items.

    # In R: psych::alpha(items)$total$raw_alpha
    """
    from analysis.study.scoring import reverse_key

    if instrument is None:
        from instruments.instrument.loader import load_instrument

        instrument = load_instrument()
    keyed = reverse_key(data, instrument)
    items = {sid: [it.id for it in sc.items] for sid, sc in instrument.scales.items()}
    for name, parts in hypotheses.composites.items():
        items[name] = [i for p in parts for i in items.get(p, [])]
    return {name: _alpha(keyed[cols]) for name, cols in items.items()
            if cols and all(c in keyed.columns for c in cols)}


def _error_variances(sub: pd.DataFrame, rel: dict[str, float]) -> dict[str, float]:
    """Error variance (1 - alpha) var(X) of each corrected composite in ``sub``."""
    out: dict[str, float] = {}
    for c in sub.columns:
        if c in rel and np.isfinite(rel[c]) and 0 < rel[c] < 1:
            out[c] = (1 - rel[c]) * float(sub[c].var(ddof=1))
    if "jd_sum" in sub.columns and all(k in rel for k in ("dep_own", "dep_partner")):
        # jd_sum = D_own + D_partner with independent errors; needs the two scores' variances
        out["jd_sum"] = float("nan")
    return out


def _fit_path_model(hs, d, controls, estimator, warns, rel):
    from analysis.sem import sem

    syntax = _path_model(hs, controls, d)
    variables = sorted({v for pair in hs.model_paths() for v in pair} | set(controls))
    missing = [v for v in variables if v not in d.columns]
    if missing:
        raise DataError(f"Path model: variable(s) not in the data: {', '.join(missing)}.")
    sub = d[variables].apply(pd.to_numeric, errors="coerce").astype(float)
    corrected: dict[str, float] = {}
    if rel:
        ev = _error_variances(sub, rel)
        if "jd_sum" in ev:
            parts = [(1 - rel[k]) * float(pd.to_numeric(d[k], errors="coerce").var(ddof=1))
                     for k in ("dep_own", "dep_partner")]
            ev["jd_sum"] = float(sum(parts))
        corrected = {k: v for k, v in ev.items() if k not in controls and np.isfinite(v)}
        if corrected:
            sub = sub.rename(columns={k: f"{k}__obs" for k in corrected})
            syntax += "".join(f"{k} =~ 1*{k}__obs\n{k}__obs ~~ {v!r}*{k}__obs\n"
                              for k, v in corrected.items())
    est = "MLR" if estimator == "WLSMV" else estimator
    if estimator == "WLSMV":
        warns.append("Path model on composite scores: WLSMV is for ordered items; "
                     "MLR used for the composite path model.")
    miss = "ml" if sub.isna().any().any() else "listwise"
    res = sem(syntax, sub, estimator=est, missing=miss)
    for w in res.warnings:
        warns.append(f"Path model: {w}")
    return res, syntax, miss, corrected


def test_hypotheses(
    data: pd.DataFrame,
    scored: pd.DataFrame | None = None,
    *,
    hypotheses: HypothesisSet | str | Path | None = None,
    estimator: str = "MLR",
    bootstrap: int = 1000,
    seed: int | None = 2026,
    alpha: float = 0.05,
    controls: Sequence[str] | None = None,
    instrument: Any = None,
    n_jobs: int | None = None,
    details: dict[str, Any] | None = None,
    correct_attenuation: bool = True,
    latent_alternative: bool = True,
) -> pd.DataFrame:
    """Test every declared hypothesis and give a verdict.

    Parameters
    ----------
    data : DataFrame
        Canonical wide survey data (raw codes).
    scored : DataFrame, optional
        ``analysis.study.scoring.score(data)``; computed when not given.
    hypotheses : HypothesisSet or path, optional
        Default :func:`load_hypotheses`.
    estimator : {"MLR", "ML", "WLSMV"}
        Estimator of the path model (WLSMV falls back to MLR for composites, with
        a warning).
    bootstrap : int
        Bootstrap draws of the mediation test (>= 2).
    seed : int, optional
        Bootstrap seed.
    alpha : float
        Significance level of the verdicts (two-sided).
    controls : sequence of str, optional
        Control variables of every model; default the declaration's ``controls``.
        Controls not in the data are skipped with a warning.
    instrument : Instrument, optional
        Used for scoring when ``scored`` is not given.
    n_jobs : int, optional
        Worker processes of the bootstrap.
    correct_attenuation : bool
        In the path model, treat each scale score / composite as the single
        indicator of a latent variable with error variance fixed at
        ``(1 - alpha) var(X)`` (Bollen 1989; Hayduk 1987), so that paths are not
        attenuated by measurement error; ``jd_sum`` gets the sum of the two
        dependence scales' error variances.  ``asym_abs``, ``asym_signed`` and
        the controls stay observed (error-free assumption).
    latent_alternative : bool
        Also fit the latent interaction (:func:`analysis.stats.latent_interaction.latent_interaction`)
        of every ``moderation`` hypothesis and report it next to the regression
        verdict (column ``latent_interaction``; about a second or two per hypothesis
        at N = 400).  ``latent_moderation`` hypotheses always fit it (it is their test).
    details : dict, optional
        If given, filled with the fitted objects (``path_model`` SEMResult,
        ``syntax``, per-hypothesis results, ``<id>_latent`` LatentInteractionResult)
        and ``warnings`` / ``exclusions``.

    Returns
    -------
    DataFrame
        One row per hypothesis: ``id, statement, expected_sign, method, test,
        estimate, se, ci_lower, ci_upper, pvalue, pvalue_holm, verdict, n,
        exploratory, note, latent_interaction``.  ``latent_interaction`` is None
        for other methods (and with ``latent_alternative=False``), else a dict:
        ``available`` (True), ``outcome``, ``focal``, ``moderator`` and the keys of
        :meth:`analysis.stats.latent_interaction.LatentInteractionResult.to_dict`; or
        ``{"available": False, "reason": ...}`` when the latent model cannot be
        fitted (the regression verdict of a ``moderation`` hypothesis then stands;
        a ``latent_moderation`` hypothesis is "not tested").  ``attrs`` holds
        ``warnings``, ``exclusions``, ``n`` (retained), ``n_raw`` and the
        declaration hash.
    """
    from scipy import stats

    from analysis.stats import regression as reg

    if estimator not in ("MLR", "ML", "WLSMV"):
        raise ModelSpecificationError(
            f"estimator={estimator!r} is not known; use 'MLR', 'ML' or 'WLSMV'.")
    if not 0 < float(alpha) < 0.5:
        raise ModelSpecificationError(f"alpha= must be in (0, 0.5) (got {alpha!r}).")
    if isinstance(bootstrap, bool) or int(bootstrap) < 2:
        raise ModelSpecificationError(f"bootstrap= must be at least 2 (got {bootstrap!r}).")
    hs = hypotheses if isinstance(hypotheses, HypothesisSet) else load_hypotheses(hypotheses)
    if instrument is None:
        from instruments.instrument.loader import load_instrument

        instrument = load_instrument()
    level = 1 - float(alpha)
    d, exclusions, full = prepare_scores(data, scored, hs, instrument)
    warns: list[str] = []
    if exclusions["total"]:
        warns.append(f"{exclusions['total']} of {len(full)} respondents excluded as careless "
                     "or incomplete (scoring's exclude flag).")
    base = list(hs.controls if controls is None else controls)
    absent = [c for c in base if c not in d.columns]
    if absent:
        warns.append(f"Control variable(s) not in the data, skipped: {', '.join(absent)}.")
    base = [c for c in base if c in d.columns]
    if len(d) < 30:
        raise DataError(f"Only {len(d)} respondents remain after exclusions; at least 30 are "
                        "needed to test the hypotheses.")
    det: dict[str, Any] = details if details is not None else {}
    rows: list[dict[str, Any]] = []

    # ---- SEM path model -------------------------------------------------------------
    path_res = None
    if any(h.method == "sem_path" for h in hs.hypotheses):
        try:
            rel = {}
            if correct_attenuation:
                retained = data.reset_index(drop=True).loc[~full["exclude"].fillna(False)
                                                            .astype(bool).to_numpy()] \
                    if "exclude" in full else data
                rel = composite_reliabilities(retained, hs, instrument)
                det["reliability"] = rel
            path_res, syntax, miss, corrected = _fit_path_model(hs, d, base, estimator, warns,
                                                                rel)
            det["path_model"], det["syntax"], det["missing"] = path_res, syntax, miss
            det["error_variances"] = corrected
            det["estimator"] = "MLR" if estimator == "WLSMV" else estimator
            if not path_res.converged:
                warns.append("Path model did not converge; its verdicts are unreliable.")
        except Exception as exc:  # noqa: BLE001 - reported per hypothesis, never silent
            if not isinstance(exc, DataError | ModelSpecificationError) and \
                    type(exc).__module__.split(".")[0] not in ("instruments", "analysis"):
                raise
            warns.append(f"Path model could not be fitted: {exc}")

    latent_methods = ("moderation", "latent_moderation") if latent_alternative \
        else ("latent_moderation",)
    det["_latent_methods"] = latent_methods
    if any(h.method in ("multigroup", *latent_methods) for h in hs.hypotheses):
        from analysis.study.scoring import reverse_key

        keep = ~full["exclude"].fillna(False).astype(bool).to_numpy() if "exclude" in full \
            else np.ones(len(full), dtype=bool)
        det["_keyed"] = reverse_key(data, instrument).reset_index(drop=True).loc[keep] \
            .reset_index(drop=True)
        det["_instrument"] = instrument
        det["_composites"] = dict(hs.composites)
    for h in hs.hypotheses:
        parts = h.parts()
        try:
            rows.append(_test_one(h, parts, d, base, path_res, reg, stats, level, bootstrap,
                                  seed, n_jobs, det, warns))
        except (DataError, ModelSpecificationError) as exc:
            rows.append(_row(h, verdict="not tested", note=f"Not tested: {exc}"))
            warns.append(f"{h.id} not tested: {exc}")

    det.pop("_keyed", None)
    det.pop("_instrument", None)
    det.pop("_composites", None)
    det.pop("_latent_methods", None)
    out = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    confirm = ~out["exploratory"].astype(bool)
    out.loc[confirm, "pvalue_holm"] = holm(out.loc[confirm, "pvalue"].to_numpy(dtype=float))
    n_sig_raw = int((out.loc[confirm, "pvalue"] < alpha).sum())
    n_sig_holm = int((out.loc[confirm, "pvalue_holm"] < alpha).sum())
    out.attrs.update({
        "warnings": warns, "exclusions": exclusions, "n": int(len(d)), "n_raw": int(len(full)),
        "hypotheses_sha256": hs.sha256, "alpha": float(alpha),
        "multiple_testing": (
            f"Holm adjustment over the {int(confirm.sum())} confirmatory tests: "
            f"{n_sig_raw} significant at alpha={alpha} unadjusted, {n_sig_holm} after "
            "adjustment. Verdicts use the unadjusted p (or the CI); pvalue_holm is given "
            "alongside."),
    })
    det["warnings"], det["exclusions"] = warns, exclusions
    return out


test_hypotheses.__test__ = False  # not a pytest test despite its name


def _sem_row(h, parts, path_res, level):
    if path_res is None:
        raise ModelSpecificationError("the path model could not be fitted.")
    p = path_res.params
    r = p[(p["lhs"] == parts["y"]) & (p["op"] == "~") & (p["rhs"] == parts["x"])]
    if r.empty:
        raise ModelSpecificationError(f"path {h.test!r} not in the fitted model.")
    r = r.iloc[0]
    from scipy import stats

    q = float(stats.norm.ppf(0.5 + level / 2))
    est, se = float(r["est"]), float(r["se"])
    return est, se, est - q * se, est + q * se, float(r["pvalue"]), float(r.get("std_all", np.nan))


def _test_one(h, parts, d, base, path_res, reg, stats, level, n_boot, seed, n_jobs, det, warns):
    alpha = 1 - level
    if h.method == "sem_path":
        est, se, lo, hi, p, std = _sem_row(h, parts, path_res, level)
        n = int(path_res.fit.get("ntotal", len(d))) if path_res is not None else 0
        corr = det.get("error_variances") or {}
        how = ("single-indicator latent variables, error variance (1 - alpha) var"
               if corr else "observed composite scores")
        note = (f"Path model ({det.get('estimator', '')}, "
                f"{'FIML' if det.get('missing') == 'ml' else 'complete data'}; {how}); "
                f"standardized estimate {std:.3f}.")
        if h.robustness is not None and h.robustness.method == "rsa":
            note += " " + _rsa_note(h, d, base, reg, alpha, det)
        return _row(h, estimate=est, se=se, ci_lower=lo, ci_upper=hi, pvalue=p, n=n,
                    verdict=_verdict(h.expected_sign, est, p < alpha, h.exploratory), note=note)
    if h.method == "mediation_bootstrap":
        ctr = _controls(h, base, d, [parts["x"], parts["m"], parts["y"]])
        res = reg.mediation_bootstrap(d, y=parts["y"], x=parts["x"], m=parts["m"],
                                      controls=ctr, n_boot=int(n_boot), seed=seed,
                                      level=level, n_jobs=n_jobs)
        det[h.id] = res
        ind, direct = res.effect("indirect"), res.effect("direct")
        sig = bool(ind["ci_lower"] > 0 or ind["ci_upper"] < 0)
        note = (f"Indirect effect a*b, percentile bootstrap CI ({res.n_boot_ok} of "
                f"{res.n_boot} draws, seed {seed}); p is the delta-method p. Direct effect "
                f"{direct['estimate']:.3f} (p = {direct['pvalue']:.3g}).")
        return _row(h, estimate=ind["estimate"], se=ind["boot_se"], ci_lower=ind["ci_lower"],
                    ci_upper=ind["ci_upper"], pvalue=ind["pvalue"], n=res.n,
                    verdict=_verdict(h.expected_sign, ind["estimate"], sig, h.exploratory),
                    note=note)
    if h.method in ("moderation", "latent_moderation"):
        ctr = _controls(h, base, d, [parts["x"], parts["m"], parts["y"]])
        res = reg.moderation(d, y=parts["y"], x=parts["x"], m=parts["m"], controls=ctr,
                             level=level)
        det[h.id] = res
        it = res.interaction
        sl = res.simple_slopes.set_index("level")["estimate"]
        regions = ", ".join(f"[{a:.3g}, {b:.3g}]" for a, b in res.jn_regions) or "none"
        note = (f"OLS on mean-centred composites, HC3 SEs. Simple slopes of {parts['x']} at "
                f"{parts['m']} -1 SD / mean / +1 SD: {sl['-1 SD']:.3f} / {sl['mean']:.3f} / "
                f"{sl['+1 SD']:.3f}. Johnson-Neyman: slope significant for {parts['m']} in "
                f"{regions} (observed range [{res.m_min:.3g}, {res.m_max:.3g}]).")
        lat, lat_note = None, ""
        if h.method in det.get("_latent_methods", ()):
            lat, lat_note = _latent_moderation(h, parts, d, ctr, level, det, warns)
        if h.method == "moderation":
            return _row(h, estimate=it["estimate"], se=it["se"], ci_lower=it["ci_lower"],
                        ci_upper=it["ci_upper"], pvalue=it["pvalue"], n=res.n,
                        verdict=_verdict(h.expected_sign, it["estimate"], it["pvalue"] < alpha,
                                         h.exploratory), note=f"{note} {lat_note}".strip(),
                        latent_interaction=lat)
        reg_note = (f"Regression alternative (not the declared test): b = "
                    f"{it['estimate']:.3f}, p = {it['pvalue']:.3g}. {note}")
        if not lat.get("available"):
            return _row(h, verdict="not tested", n=res.n, latent_interaction=lat,
                        note=f"{lat_note} {reg_note}")
        return _row(h, estimate=lat["estimate"], se=lat["se"], ci_lower=lat["ci_lower"],
                    ci_upper=lat["ci_upper"], pvalue=lat["pvalue"], n=lat["n"],
                    verdict=_verdict(h.expected_sign, lat["estimate"], lat["pvalue"] < alpha,
                                     h.exploratory), note=f"{lat_note} {reg_note}",
                    latent_interaction=lat)
    if h.method == "quadratic":
        ctr = _controls(h, base, d, [parts["x"], parts["y"]])
        res = reg.quadratic(d, parts["y"], parts["x"], controls=ctr, level=level)
        det[h.id] = res
        sq = res.coefficients.set_index("term").loc[f"{parts['x']}^2"]
        if res.inverted_u:
            verdict = "supported"
        elif res.u_shape:
            verdict = "opposite sign"
        else:
            verdict = "not supported"
        fieller = (f"[{res.tp_fieller_lower:.3f}, {res.tp_fieller_upper:.3f}]"
                   if np.isfinite([res.tp_fieller_lower, res.tp_fieller_upper]).all()
                   else "unbounded: the curvature is not significant")
        note = (f"Squared term shown. Turning point {res.turning_point:.3f} "
                f"(Fieller CI {fieller}, "
                f"delta-method [{res.tp_ci_lower:.3f}, {res.tp_ci_upper:.3f}]) in observed range "
                f"[{res.x_min:.3g}, {res.x_max:.3g}]; slope at min {res.slope_min['estimate']:.3f}"
                f", at max {res.slope_max['estimate']:.3f}; Lind-Mehlum p = "
                f"{res.lm_pvalue:.3g} (the p shown).")
        return _row(h, estimate=float(sq["estimate"]), se=float(sq["se"]),
                    ci_lower=float(sq["ci_lower"]), ci_upper=float(sq["ci_upper"]),
                    pvalue=res.lm_pvalue, n=res.n, verdict=verdict, note=note)
    if h.method == "rsa":
        res = reg.response_surface(d, y=parts["z"], x1=parts["x"], x2=parts["y"],
                                   controls=_controls(h, base, d, list(parts.values())),
                                   level=level)
        det[h.id] = res
        a4 = res.surface.set_index("parameter").loc["a4"]
        return _row(h, estimate=float(a4["estimate"]), se=float(a4["se"]),
                    ci_lower=float(a4["ci_lower"]), ci_upper=float(a4["ci_upper"]),
                    pvalue=float(a4["pvalue"]), n=res.n,
                    verdict=_verdict(h.expected_sign, float(a4["estimate"]),
                                     float(a4["pvalue"]) < alpha, h.exploratory),
                    note="Response surface a4 (curvature along the line of incongruence).")
    if h.method == "dyadic":
        return _dyadic_row(h, parts, d, base, alpha, det)
    if h.method == "multigroup":
        return _multigroup_row(h, parts, d, alpha, stats, det)
    raise ModelSpecificationError(f"method {h.method!r} is not implemented.")  # pragma: no cover


#: Dependence indices that are linear in the two dependence scales, with the mirror
#: scales and the sign of the second one.
LINEAR_INDICES = {"asym_signed": ("dep_own", "dep_partner", -1.0),
                  "jd_sum": ("dep_own", "dep_partner", 1.0)}


def latent_indicators(
    name: str,
    keyed: pd.DataFrame,
    scores: pd.DataFrame,
    instrument: Any,
    composites: dict[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Indicators of a hypothesis variable when it enters a latent model.

    * an instrument scale: its items, reverse-keyed (columns named as the items);
    * a composite of scales (``composites`` of the declaration, e.g. ``learning``):
      the scale scores as parcels (columns named as the scales);
    * ``asym_signed`` / ``jd_sum``: the item-wise differences / sums of the mirror
      items ``dep_own_k`` and ``dep_partner_k`` (columns ``asym_signed_1`` ...),
      whose mean is the index itself.

    Parameters
    ----------
    name : str
        The variable of the hypothesis test.
    keyed : DataFrame
        Item answers after reverse keying (:func:`analysis.study.scoring.reverse_key`),
        same rows as ``scores``.
    scores : DataFrame
        Scale scores (:func:`prepare_scores`).
    instrument : Instrument
    composites : dict, optional
        ``{name: [scale, ...]}``.

    Returns
    -------
    DataFrame
        Numeric indicator columns, index of ``scores``.

    Raises
    ------
    ModelSpecificationError
        For variables without indicators (e.g. ``asym_abs``, a non-linear index,
        or a single observed variable).
    """
    scales = getattr(instrument, "scales", {}) or {}
    composites = composites or {}

    def items(sid: str) -> list[str]:
        cols = [it.id for it in scales[sid].items]
        absent = [c for c in cols if c not in keyed.columns]
        if absent:
            raise DataError(f"Items of {sid!r} not in the data: {', '.join(absent)}.")
        return cols

    def numeric(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.apply(pd.to_numeric, errors="coerce").astype(float) \
            .set_axis(scores.index, axis=0)

    if name in scales:
        return numeric(keyed[items(name)].reset_index(drop=True))
    if name in composites:
        parts = list(composites[name])
        absent = [c for c in parts if c not in scores.columns]
        if absent:
            raise DataError(f"Composite {name!r}: score(s) missing: {', '.join(absent)}.")
        if len(parts) < 2:
            raise ModelSpecificationError(f"Composite {name!r} has fewer than two parts.")
        return numeric(scores[parts])
    if name in LINEAR_INDICES:
        a, b, sign = LINEAR_INDICES[name]
        if a not in scales or b not in scales:
            raise ModelSpecificationError(f"{name!r} needs the scales {a!r} and {b!r}.")
        ia, ib = items(a), items(b)
        if len(ia) != len(ib):
            raise ModelSpecificationError(
                f"{name!r}: {a!r} and {b!r} have different numbers of (mirror) items.")
        num = keyed[ia + ib].apply(pd.to_numeric, errors="coerce").astype(float)
        out = pd.DataFrame({f"{name}_{k}": num[x].to_numpy() + sign * num[y].to_numpy()
                            for k, (x, y) in enumerate(zip(ia, ib, strict=True), start=1)})
        return numeric(out)
    raise ModelSpecificationError(
        f"{name!r} has no indicators for a latent model (not a scale, a composite of scales "
        "or a linear dependence index).")


def _latent_moderation(h, parts, d, ctr, level, det, warns) -> tuple[dict[str, Any], str]:
    """The latent-interaction alternative of a moderation hypothesis (never raises)."""
    from analysis.stats.latent_interaction import latent_interaction

    what = "Latent interaction (product indicators, DMC)"
    keyed, inst = det.get("_keyed"), det.get("_instrument")
    try:
        if keyed is None or inst is None:
            raise ModelSpecificationError("the item answers are not available.")
        blocks = {r: latent_indicators(parts[r], keyed, d, inst, det.get("_composites"))
                  for r in ("x", "m", "y")}
        frame = pd.concat([*blocks.values(), d[list(ctr)].apply(pd.to_numeric,
                                                                errors="coerce")], axis=1)
        if frame.columns.duplicated().any():
            dup = sorted(set(frame.columns[frame.columns.duplicated()]))
            raise ModelSpecificationError(f"indicator names used twice: {', '.join(dup)}.")
        miss = "ml" if frame.isna().to_numpy().any() else "listwise"
        res = latent_interaction(frame, list(blocks["x"].columns), list(blocks["m"].columns),
                                 list(blocks["y"].columns), controls=list(ctr),
                                 estimator="MLR", missing=miss, level=level)
    except (DataError, ModelSpecificationError, EstimationError) as exc:
        warns.append(f"{h.id}: {what} not available: {exc}")
        note = f"{what}: not available ({exc})"
        if h.method == "moderation":
            note += "; the regression result stands."
        return {"available": False, "reason": str(exc)}, note
    det[f"{h.id}_latent"] = res
    warns.extend(f"{h.id} latent interaction: {w}" for w in res.warnings)
    lat = {"available": True, "outcome": parts["y"], "focal": parts["x"],
           "moderator": parts["m"], **res.to_dict()}
    note = (f"{what}: b = {res.estimate:.3f}, {100 * level:g} % CI [{res.ci_lower:.3f}, "
            f"{res.ci_upper:.3f}], p = {res.pvalue:.3g}; standardised {res.std_interaction:.3f}"
            f" (n = {res.n}, MLR{', FIML' if res.missing == 'ml' else ''}, {len(res.pairs)} "
            "matched pairs).")
    improper = [w for w in res.warnings if "Heywood" in w or "not positive" in w]
    if improper:
        note += " Improper latent solution: " + " ".join(improper)
    return lat, note


def _rsa_note(h, d, base, reg, alpha, det) -> str:
    parts = _PATTERNS["rsa"].match(h.robustness.test).groupdict()
    try:
        res = reg.response_surface(d, y=parts["z"], x1=parts["x"], x2=parts["y"],
                                   controls=_controls(h, base, d, list(parts.values())),
                                   level=1 - alpha)
    except (DataError, ModelSpecificationError) as exc:
        return f"RSA check not available: {exc}"
    det[f"{h.id}_rsa"] = res
    s = res.surface.set_index("parameter")
    a3, a4 = s.loc["a3"], s.loc["a4"]
    return (f"RSA check on ({parts['x']}, {parts['y']}): a4 = {a4['estimate']:.3f} "
            f"(p = {a4['pvalue']:.3g}; negative = {parts['z']} falls with asymmetry in "
            f"either direction), a3 = {a3['estimate']:.3f} (p = {a3['pvalue']:.3g}).")


def _dyadic_row(h, parts, d, base, alpha, det):
    import statsmodels.api as sm

    y, a, b = parts["y"], parts["a"], parts["b"]
    for c in (y, a, b):
        if c not in d.columns:
            raise DataError(f"column {c!r} is not in the scored data.")
    sub = d[[y, a, b]].apply(pd.to_numeric, errors="coerce").dropna()
    if len(sub) < 20:
        return _row(h, verdict="exploratory: not enough dyads", n=int(len(sub)),
                    note=f"Only {len(sub)} respondents with both partners' reports.")
    z = (sub - sub.mean()) / sub.std(ddof=1)
    # both partners of an alliance are rows here: their errors are not independent, so
    # the SEs are clustered by alliance (CR1, as Stata/sandwich::vcovCL) when ids are known
    alliance = d.loc[sub.index, "alliance_id"] if "alliance_id" in d.columns else None
    if alliance is not None and alliance.notna().any():
        groups = pd.factorize(alliance)[0]
        lonely = groups < 0  # a row without an id is a cluster of its own
        groups[lonely] = groups.max() + 1 + np.arange(int(lonely.sum()))
        n_cl = int(groups.max()) + 1
        cov = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
        se_how = f"SE clustered by alliance ({n_cl} clusters)"
        if n_cl < 30:
            se_how += "; few clusters, so the clustered SE is itself imprecise"
    else:
        cov = {"cov_type": "HC3"}
        se_how = ("HC3 SE (the data have no alliance ids: rows of one alliance treated as "
                  "independent)")
    fa = sm.OLS(z[y], sm.add_constant(z[[a]])).fit(use_t=True, **cov)
    fb = sm.OLS(z[y], sm.add_constant(z[[b]])).fit(use_t=True, **cov)
    diff = float(fa.rsquared - fb.rsquared)
    ci = fa.conf_int(alpha=alpha).loc[a]
    det[h.id] = {"r2_two_informant": float(fa.rsquared), "r2_one_informant": float(fb.rsquared)}
    verdict = ("exploratory: two-informant at least as good" if diff >= 0
               else "exploratory: one-informant better")
    note = (f"Dyad rows only (n = {len(sub)}; {se_how}). "
            f"Standardized slope of {a} shown; R2 {a} = {fa.rsquared:.3f} vs {b} = "
            f"{fb.rsquared:.3f}. Agreement indices and APIM: see the dyadic section.")
    return _row(h, estimate=float(fa.params[a]), se=float(fa.bse[a]),
                ci_lower=float(ci.iloc[0]), ci_upper=float(ci.iloc[1]),
                pvalue=float(fa.pvalues[a]), n=int(len(sub)), verdict=verdict, note=note)


def _multigroup_row(h, parts, d, alpha, stats, det):
    a, b, g = parts["a"], parts["b"], parts["g"]
    for c in (a, b, g):
        if c not in d.columns:
            raise DataError(f"column {c!r} is not in the data.")
    sub = d[[a, b, g]].apply(pd.to_numeric, errors="coerce").dropna()
    bal = sub[a] - sub[b]
    groups = {k: bal[sub[g] == k].to_numpy() for k in sorted(sub[g].unique())}
    groups = {k: v for k, v in groups.items() if len(v) >= 2}
    if len(groups) < 2:
        return _row(h, verdict="exploratory: fewer than two groups", n=int(len(sub)),
                    note="Not enough respondents per group.")
    # Welch's heteroscedastic one-way ANOVA
    k = len(groups)
    n_ = np.array([len(v) for v in groups.values()], dtype=float)
    m_ = np.array([v.mean() for v in groups.values()])
    v_ = np.array([v.var(ddof=1) for v in groups.values()])
    w = n_ / v_
    mw = float((w * m_).sum() / w.sum())
    num = float((w * (m_ - mw) ** 2).sum() / (k - 1))
    lam = float(((1 - w / w.sum()) ** 2 / (n_ - 1)).sum())
    f = num / (1 + 2 * (k - 2) * lam / (k * k - 1))
    df2 = (k * k - 1) / (3 * lam)
    p = float(stats.f.sf(f, k - 1, df2))
    means = ", ".join(f"{g}={int(key) if float(key).is_integer() else key}: {mv:.3f}"
                      for key, mv in zip(groups, m_, strict=True))
    det[h.id] = {"means": {str(kk): float(mv) for kk, mv in zip(groups, m_, strict=True)},
                 "welch_f": f, "df1": k - 1, "df2": df2}
    verdict = "exploratory: differs by group" if p < alpha else "exploratory: no difference found"
    inv_note, scalar_ok = _invariance_note(a, b, g, d, det)
    if scalar_ok is False:
        verdict = "exploratory: invariance not established"
    note = (f"Mean of {a} - {b} by {means}; Welch F({k - 1}, {df2:.1f}) = {f:.3f} (the "
            f"estimate shown is max - min group mean, composite scores). {inv_note}")
    return _row(h, estimate=float(m_.max() - m_.min()), pvalue=p, n=int(len(sub)),
                verdict=verdict, note=note)


#: Largest drop in CFI accepted between invariance levels (Chen 2007).
DELTA_CFI = 0.01


def _invariance_note(a: str, b: str, g: str, d: pd.DataFrame,
                     det: dict[str, Any]) -> tuple[str, bool | None]:
    """Configural / metric / scalar invariance of the two scales across ``g`` (MLR)."""
    from analysis.sem import measurement_invariance

    keyed, inst = det.get("_keyed"), det.get("_instrument")
    if keyed is None or inst is None or a not in inst.scales or b not in inst.scales:
        return "Measurement invariance not tested (the scores are not instrument scales).", None
    blocks = {s: [it.id for it in inst.scales[s].items] for s in (a, b)}
    cols = [c for v in blocks.values() for c in v]
    sub = keyed[cols].apply(pd.to_numeric, errors="coerce").astype(float)
    sub[g] = pd.to_numeric(d[g], errors="coerce").to_numpy()
    sub = sub.dropna(subset=[g])
    model = "\n".join(f"{s} =~ {' + '.join(v)}" for s, v in blocks.items())
    miss = "ml" if sub[cols].isna().any().any() else "listwise"
    try:
        tab = measurement_invariance(model, sub, g, estimator="MLR",
                                     levels=("configural", "metric", "scalar"), missing=miss)
    except (DataError, ModelSpecificationError) as exc:
        return f"Measurement invariance could not be tested: {exc}", None
    except Exception as exc:  # noqa: BLE001 - estimation problems are reported, not fatal
        if type(exc).__module__.split(".")[0] not in ("instruments", "analysis"):
            raise
        return f"Measurement invariance could not be tested: {exc}", None
    det["invariance"] = tab
    t = tab.set_index("level")
    dm, ds = float(t.loc["metric", "delta_cfi"]), float(t.loc["scalar", "delta_cfi"])
    ok = bool(dm >= -DELTA_CFI and ds >= -DELTA_CFI)
    return (f"Invariance of {a} and {b} across {g} (MLR): configural CFI "
            f"{float(t.loc['configural', 'cfi']):.3f}, delta CFI metric {dm:.4f}, scalar "
            f"{ds:.4f}; scalar invariance {'holds' if ok else 'does not hold'} "
            f"(|delta CFI| <= {DELTA_CFI}, Chen 2007), so the comparison of means is "
            f"{'interpretable' if ok else 'not interpretable'}."), ok
