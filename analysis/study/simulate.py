"""Simulated alliance studies with known population values.

The population model (latent variables, structural paths encoding hypotheses
H1-H11, measurement model, careless responding, paradata, classification
questions) is data: ``analysis/study/population.yaml``.  :func:`load_population`
reads it; :func:`simulate_study` draws a data set in the canonical wide layout
of the instrument (one row per respondent).

Everything random comes from one ``numpy.random.default_rng(seed)`` per call
(plus a fixed-seed calibration generator), so the same arguments always give
the same data frame.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError, ModelSpecificationError, clip
from analysis.io import is_float_text
from analysis.study.datafiles import read_data  # noqa: F401  (re-exported: simulate.read_data)

POPULATION_PATH = Path(__file__).with_name("population.yaml")

#: Derived dependence indices usable as terms (see analysis/study/dependence.py).
DEPENDENCE_TERMS = ("jd_sum", "jd_mean", "asym_abs", "asym_signed", "adv_own", "adv_partner")

_FACTOR_RE = re.compile(r"^([a-z][a-z0-9_]*)(\^2)?$")


# --------------------------------------------------------------------------- population


@dataclass(frozen=True)
class Calibration:
    """Population moments of the structural terms (from the fixed calibration sample).

    ``term_means[eq]`` are E[term] for the terms of equation ``eq`` and
    ``explained[eq]`` the variance they explain; the residual variance is
    ``1 - explained`` so that every latent variable has variance 1.
    """

    term_means: Mapping[str, tuple[float, ...]]
    explained: Mapping[str, float]


@dataclass(frozen=True)
class Term:
    """One term of a structural equation: ``coef * (product of factors)``."""

    expr: str
    coef: float
    hypothesis: str
    factors: tuple[tuple[str, int], ...]  # (variable, power)


@dataclass(frozen=True)
class Equation:
    """A structural equation for one endogenous latent variable."""

    name: str
    label: str
    alliance_share: float
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Population:
    """The population model read from ``population.yaml`` (see that file's comments)."""

    id: str
    version: int
    exogenous: tuple[str, ...]
    correlation: tuple[tuple[float, ...], ...]
    exogenous_alliance_share: Mapping[str, float]
    equations: tuple[Equation, ...]
    spec: Mapping[str, Any]
    path: str
    calibration: Calibration | None = None

    def equation(self, name: str) -> Equation:
        """Return the structural equation of latent variable ``name``."""
        for eq in self.equations:
            if eq.name == name:
                return eq
        raise KeyError(name)

    def paths(self) -> pd.DataFrame:
        """All structural paths as a tidy table.

        Returns
        -------
        pandas.DataFrame
            Columns ``lhs`` (outcome), ``op`` (``"~"``), ``rhs`` (term, e.g.
            ``"asym_signed*value_creation"``), ``coef`` (true value, 0.0 for a
            true-zero path), ``hypothesis``.
        """
        rows = [
            {"lhs": eq.name, "op": "~", "rhs": t.expr, "coef": t.coef, "hypothesis": t.hypothesis}
            for eq in self.equations
            for t in eq.terms
        ]
        return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "coef", "hypothesis"])

    @property
    def latent_names(self) -> tuple[str, ...]:
        """Exogenous then endogenous latent variable names."""
        return self.exogenous + tuple(eq.name for eq in self.equations)


def _parse_term(expr: str, where: str, problems: list[str]) -> tuple[tuple[str, int], ...]:
    factors = []
    for part in str(expr).replace(" ", "").split("*"):
        m = _FACTOR_RE.fullmatch(part)
        if not m:
            problems.append(f"{where}: term {expr!r} is not 'name', 'a*b' or 'name^2'.")
            continue
        factors.append((m.group(1), 2 if m.group(2) else 1))
    return tuple(factors)


#: Deepest nesting of lists and mappings a population file may have (the packaged file
#: has 5 levels); a deeper one is a mistake or an attack on the recursive reader.
_MAX_POPULATION_DEPTH = 20


def _number(value: Any) -> bool:
    """Whether ``value`` is a real number as YAML gives it (a bool is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text_number_hint(term: Any) -> str:
    """Why a ``coef:`` that reads as a number is text: YAML (1.1, as PyYAML reads it) takes
    '1e30' and '1e-3' for text (an exponent needs a point and a sign: 1.0e+30), and a
    number in quotes is text; the message had only said "not {'coef': '1e30', ...}"."""
    coef = term.get("coef") if isinstance(term, Mapping) else None
    if not isinstance(coef, str) or not is_float_text(coef.strip()):
        return ""
    return (f" (coef {clip(coef)} is read as text: a number in quotes is text, and YAML "
            "reads an exponent only with a point and a sign, such as 1.0e+30 or 2.5e-3)")


def _nonfinite(value: Any, where: str, depth: int = 0) -> list[str]:
    """The places of ``.nan`` / ``.inf`` anywhere in ``value``, or of too deep a nesting."""
    if depth > _MAX_POPULATION_DEPTH:
        return [f"{where or 'the file'}: nested more than {_MAX_POPULATION_DEPTH} levels deep."]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{where}: {value!r} is not a finite number."]
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            found += _nonfinite(item, f"{where}.{key}" if where else str(key), depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _nonfinite(item, f"{where}[{i}]", depth + 1)
    return found[:20]


def _shape_problems(spec: Mapping[str, Any]) -> list[str]:
    """Problems of the parts of a population file that :func:`load_population` reads
    itself (the kinds of values, before any is converted).

    A list where a mapping belongs, a correlation of two values or a coefficient 'big'
    ended in Python's AttributeError, ValueError or KeyError; a ``.nan`` coefficient or
    correlation gave a population of NaN values without a word.
    """
    problems = _nonfinite(spec, "")
    if not isinstance(spec.get("id", "population"), str):
        problems.append("id must be text.")
    version = spec.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        problems.append(f"version must be a whole number, not {version!r}.")
    exo = spec.get("exogenous")
    if not isinstance(exo, Mapping):
        return [*problems, "exogenous must be a mapping with variables: and correlations:."]
    names = exo.get("variables")
    if (not isinstance(names, list) or not names
            or not all(isinstance(v, str) and v for v in names)):
        problems.append("exogenous.variables must be a list of variable names.")
        names = []
    elif len(set(names)) < len(names):
        problems.append("exogenous.variables names a variable twice.")
    correlations = exo.get("correlations") or []
    if not isinstance(correlations, list):
        problems.append("exogenous.correlations must be a list of [name, name, r].")
        correlations = []
    for entry in correlations:
        if (not isinstance(entry, list) or len(entry) != 3 or not _number(entry[2])
                or not all(isinstance(v, str) for v in entry[:2])):
            problems.append(f"exogenous.correlations: {clip(entry)} is not [name, name, r].")
        elif not -1.0 <= entry[2] <= 1.0:
            problems.append(f"exogenous.correlations: r in {clip(entry)} is not between -1 "
                            "and 1.")
        elif entry[0] == entry[1]:
            problems.append(f"exogenous.correlations: {clip(entry)} correlates a variable "
                            "with itself.")
    shares = exo.get("alliance_share") or {}
    if not isinstance(shares, Mapping):
        problems.append("exogenous.alliance_share must map variable names to shares.")
    else:
        for name, share in shares.items():
            if names and name not in names:
                problems.append(f"exogenous.alliance_share: {clip(name)} is not an exogenous "
                                "variable.")
            elif not _number(share) or not 0.0 <= share < 1.0:
                problems.append(f"exogenous.alliance_share.{name} must be a number in [0, 1).")
    stage = spec.get("stage") or {}
    if not isinstance(stage, Mapping) or not isinstance(stage.get("dummies") or {}, Mapping):
        problems.append("stage must be a mapping whose dummies: map names to codes.")
    structural = spec.get("structural") or {}
    if not isinstance(structural, Mapping):
        return [*problems, "structural must map each outcome to its equation."]
    for name, eq in structural.items():
        where = f"structural.{name}"
        if name in (names or ()):
            problems.append(f"{where}: {clip(name)} is an exogenous variable already; an "
                            "equation would overwrite it.")
        if not isinstance(eq, Mapping):
            problems.append(f"{where} must be a mapping with terms:.")
            continue
        terms = eq.get("terms", [])
        if not isinstance(terms, list):
            problems.append(f"{where}.terms must be a list.")
            continue
        for i, term in enumerate(terms):
            if (not isinstance(term, Mapping) or not isinstance(term.get("term"), str)
                    or not _number(term.get("coef"))):
                problems.append(f"{where}.terms[{i}] must have term: (text) and coef: (a "
                                f"number), not {clip(term)}{_text_number_hint(term)}.")
        share = eq.get("alliance_share", 0.0)
        if not _number(share):
            problems.append(f"{where}: alliance_share must be in [0, 1).")
    return problems


def _read_population(path: Path) -> dict[str, Any]:
    """The mapping of a population file, read as strictly as the instrument's files (no
    duplicate keys, UTF-8, a size limit) and with the kinds of its values checked.

    Raises
    ------
    ModelSpecificationError
        Listing every problem found.
    """
    from instruments.instrument.loader import _read_yaml

    problems: list[str] = []
    try:
        if path.is_dir():
            problems.append(f"{path.name}: is a folder, not a population file.")
            spec = None
        elif not path.exists():
            problems.append(f"{path.name}: the file does not exist.")
            spec = None
        else:
            spec = _read_yaml(path, path.name, problems)
    except RecursionError:
        spec = None
        problems.append(f"{path.name}: nested too deeply to be read.")
    if not problems and isinstance(spec, dict):
        problems = _shape_problems(spec)
    elif not problems:
        problems.append(f"{path.name}: the file must contain a mapping (key: value).")
    if problems:
        raise ModelSpecificationError(
            f"Cannot read population file {clip(str(path), 200)}: {len(problems)} problem(s):\n"
            + "\n".join(f"  - {x}" for x in problems))
    return spec


def load_population(path: str | Path | None = None) -> Population:
    """Read and check the population model of the simulated study.

    Parameters
    ----------
    path : str or Path, optional
        A population YAML file; default ``analysis/study/population.yaml``.

    Returns
    -------
    Population
        Frozen object; ``Population.paths()`` gives the true structural paths.

    Raises
    ------
    ModelSpecificationError
        Listing every problem found (unknown variables, bad correlations, ...).
    """
    p = Path(path) if path is not None else POPULATION_PATH
    spec = _read_population(p)
    problems: list[str] = []
    exo = tuple(spec.get("exogenous", {}).get("variables", []))
    k = len(exo)
    corr = np.eye(k)
    for entry in spec.get("exogenous", {}).get("correlations", []) or []:
        a, b, r = entry
        if a not in exo or b not in exo:
            problems.append(f"exogenous.correlations: unknown variable in {entry!r}.")
            continue
        i, j = exo.index(a), exo.index(b)
        corr[i, j] = corr[j, i] = float(r)
    if k and np.linalg.eigvalsh(corr).min() <= 0:
        problems.append("exogenous.correlations: the correlation matrix is not positive definite.")
    stage_dummies = tuple((spec.get("stage", {}) or {}).get("dummies", {}) or {})
    known = set(exo) | set(DEPENDENCE_TERMS) | set(stage_dummies)
    equations = []
    for name, eq in (spec.get("structural") or {}).items():
        terms = []
        for t in eq.get("terms", []):
            where = f"structural.{name}"
            factors = _parse_term(t.get("term", ""), where, problems)
            for var, _ in factors:
                if var not in known:
                    problems.append(
                        f"{where}: term {t.get('term')!r} uses {var!r}, which is neither exogenous "
                        "nor defined by an earlier equation."
                    )
            terms.append(
                Term(
                    expr=str(t["term"]).replace(" ", ""),
                    coef=float(t["coef"]),
                    hypothesis=str(t.get("hypothesis", "")),
                    factors=factors,
                )
            )
        share = float(eq.get("alliance_share", 0.0))
        if not 0.0 <= share < 1.0:
            problems.append(f"structural.{name}: alliance_share must be in [0, 1).")
        equations.append(Equation(name, str(eq.get("label", name)), share, tuple(terms)))
        known.add(name)
    problems += _composite_problems(spec)
    if problems:
        raise ModelSpecificationError(
            f"Population file {p.name} has {len(problems)} problem(s):\n"
            + "\n".join(f"  - {x}" for x in problems)
        )
    shares = dict(spec.get("exogenous", {}).get("alliance_share", {}) or {})
    pop = Population(
        id=str(spec.get("id", "population")),
        version=int(spec.get("version", 1)),
        exogenous=exo,
        correlation=tuple(tuple(float(v) for v in row) for row in corr),
        exogenous_alliance_share=MappingProxyType(shares),
        equations=tuple(equations),
        spec=MappingProxyType(spec),
        path=str(p),
    )
    return replace(pop, calibration=_calibrate(pop))


# --------------------------------------------------------------------------- instrument view


def _ident(x: Any) -> str:
    return x if isinstance(x, str) else str(x.id)


@dataclass(frozen=True)
class _ScaleView:
    id: str
    items: tuple[str, ...]
    reverse: tuple[bool, ...]
    values: tuple[int, ...]
    #: the instrument's declaration: ``reflective`` or ``composite``
    measurement: str = "reflective"


@dataclass(frozen=True)
class _Layout:
    scales: tuple[_ScaleView, ...]
    checks: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...]  # id, correct, values
    questions: tuple[Any, ...]
    sections: tuple[tuple[str, int], ...]  # id, number of elements on the page
    columns: tuple[str, ...]  # coded columns in questionnaire order


def _response_values(resp: Any) -> tuple[int, ...]:
    values = getattr(resp, "values", None)
    if values:
        return tuple(int(v) for v in values)
    return tuple(range(int(resp.min), int(resp.max) + 1))


def _layout(inst: Any) -> _Layout:
    scales = []
    for sid, sc in inst.scales.items():
        scales.append(
            _ScaleView(
                id=str(sid),
                items=tuple(it.id for it in sc.items),
                reverse=tuple(bool(it.reverse) for it in sc.items),
                values=tuple(sorted(_response_values(sc.response))),
                measurement=str(getattr(sc, "measurement", "reflective") or "reflective"),
            )
        )
    checks = tuple(
        (
            str(a.id),
            tuple(int(c) for c in a.correct),
            tuple(sorted(_response_values(a.response))),
        )
        for a in inst.attention_checks
    )
    questions = tuple(inst.questions)
    by_scale = {s.id: s for s in scales}
    q_ids = [q.id for q in questions]
    c_ids = [c[0] for c in checks]
    sections = []
    columns: list[str] = []
    for sec in inst.sections:
        sec_scales = [_ident(s) for s in (getattr(sec, "scales", None) or [])]
        sec_q = [_ident(q) for q in (getattr(sec, "questions", None) or [])]
        sec_c = [_ident(c) for c in (getattr(sec, "attention_checks", None) or [])]
        n_el = sum(len(by_scale[s].items) for s in sec_scales if s in by_scale)
        n_el += len(sec_q) + len(sec_c)
        sections.append((str(sec.id), n_el))
        columns += sec_q
        for s in sec_scales:
            if s in by_scale:
                columns += list(by_scale[s].items)
        columns += sec_c
    # attention checks sit right after the item they follow on their page
    for check in inst.attention_checks:
        after = getattr(check, "after", None)
        if after in columns and check.id in columns:
            columns.remove(check.id)
            columns.insert(columns.index(after) + 1, check.id)
    # anything not placed on a page goes last, in declaration order
    placed = set(columns)
    for col in q_ids + [i for s in scales for i in s.items] + c_ids:
        if col not in placed:
            columns.append(col)
            placed.add(col)
    return _Layout(tuple(scales), checks, questions, tuple(sections), tuple(columns))


# --------------------------------------------------------------------------- latent model


def _dependence_terms(d_own: np.ndarray, d_partner: np.ndarray) -> dict[str, np.ndarray]:
    diff = d_own - d_partner
    return {
        "jd_sum": d_own + d_partner,
        "jd_mean": (d_own + d_partner) / 2.0,
        "asym_abs": np.abs(diff),
        "asym_signed": diff,
        "adv_own": np.maximum(-diff, 0.0),
        "adv_partner": np.maximum(diff, 0.0),
    }


def _term_matrix(eq: Equation, values: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    out = np.empty((n, len(eq.terms)))
    for j, t in enumerate(eq.terms):
        col = np.ones(n)
        for var, power in t.factors:
            col = col * values[var] ** power
        out[:, j] = col
    return out


def _latents(
    pop: Population,
    rng: np.random.Generator,
    stage: np.ndarray,
    alliance_index: np.ndarray,
    partner_row: np.ndarray,
    calibration: Calibration | None,
) -> tuple[dict[str, np.ndarray], Calibration]:
    """Draw all latent variables.

    ``partner_row[i]`` is the row of the other firm of ``i``'s alliance for B
    rows of dyads (their exogenous values are linked to the A row) and -1
    otherwise.  With ``calibration=None`` the term means and explained variances
    are estimated from this very sample (used on the calibration sample).
    """
    n = stage.shape[0]
    exo = pop.exogenous
    chol = np.linalg.cholesky(np.array(pop.correlation))
    z = rng.standard_normal((n, len(exo))) @ chol.T
    values: dict[str, np.ndarray] = {v: z[:, i].copy() for i, v in enumerate(exo)}
    b_rows = np.flatnonzero(partner_row >= 0)
    a_rows = partner_row[b_rows]
    if b_rows.size:
        _link_dyads(pop, values, a_rows, b_rows)
    if "dep_own" in values and "dep_partner" in values:
        values.update(_dependence_terms(values["dep_own"], values["dep_partner"]))
        acc = float(pop.spec.get("perception", {}).get("dep_partner_accuracy", 1.0))
        values["dep_partner_perceived"] = acc * values["dep_partner"] + math.sqrt(
            max(1.0 - acc**2, 0.0)
        ) * rng.standard_normal(n)
    for dummy, code in (pop.spec.get("stage", {}) or {}).get("dummies", {}).items():
        # a dummy marks one stage code or a group of them (formation = concept, foundation)
        codes = [int(c) for c in code] if isinstance(code, list | tuple) else [int(code)]
        values[dummy] = np.isin(stage, codes).astype(float)

    n_alliances = int(alliance_index.max()) + 1 if n else 0
    means: dict[str, tuple[float, ...]] = {}
    explained: dict[str, float] = {}
    for eq in pop.equations:
        terms = _term_matrix(eq, values, n)
        coef = np.array([t.coef for t in eq.terms])
        if calibration is None:
            mu = terms.mean(axis=0) if n else np.zeros(len(eq.terms))
            systematic = (terms - mu) @ coef
            var_sys = float(systematic.var()) if n else 0.0
        else:
            mu = np.array(calibration.term_means[eq.name])
            var_sys = calibration.explained[eq.name]
            systematic = (terms - mu) @ coef
        if var_sys >= 0.95:
            raise ModelSpecificationError(
                f"Population equation {eq.name!r} explains {var_sys:.2f} of the variance; "
                "reduce its coefficients so that the residual variance stays positive."
            )
        means[eq.name] = tuple(float(m) for m in mu)
        explained[eq.name] = var_sys
        share = eq.alliance_share
        shared = rng.standard_normal(n_alliances)[alliance_index]
        own = rng.standard_normal(n)
        resid = math.sqrt(share) * shared + math.sqrt(1.0 - share) * own
        values[eq.name] = systematic + math.sqrt(1.0 - var_sys) * resid
    return values, Calibration(MappingProxyType(means), MappingProxyType(explained))


def _link_dyads(
    pop: Population, values: dict[str, np.ndarray], a_rows: np.ndarray, b_rows: np.ndarray
) -> None:
    """Make firm B's exogenous values those of the other side of A's alliance (in place).

    B's dependence on A is A's ``dep_partner`` and vice versa.  Every other
    exogenous variable is split into its regression on B's two dependences
    (kept, so its correlations with them stay as in the population) and a
    residual, which is correlated ``alliance_share`` with firm A's residual.
    """
    exo = list(pop.exogenous)
    corr = np.array(pop.correlation)
    shares = pop.exogenous_alliance_share
    if "dep_own" not in values or "dep_partner" not in values:
        for var, share in shares.items():
            if var in values and share > 0:
                x = values[var]
                x[b_rows] = share * x[a_rows] + math.sqrt(1.0 - share**2) * x[b_rows]
        return
    d_idx = [exo.index("dep_own"), exo.index("dep_partner")]
    rest = [v for v in exo if v not in ("dep_own", "dep_partner")]
    d_all = np.column_stack([values["dep_own"], values["dep_partner"]])
    swapped = d_all[a_rows][:, ::-1]
    for var in rest:
        beta = np.linalg.solve(corr[np.ix_(d_idx, d_idx)], corr[d_idx, exo.index(var)])
        resid = values[var] - d_all @ beta
        share = float(shares.get(var, 0.0))
        new_resid = share * resid[a_rows] + math.sqrt(1.0 - share**2) * resid[b_rows]
        values[var][b_rows] = swapped @ beta + new_resid
    values["dep_own"][b_rows] = swapped[:, 0]
    values["dep_partner"][b_rows] = swapped[:, 1]


def _calibrate(pop: Population) -> Calibration:
    cal = pop.spec.get("calibration", {}) or {}
    n = int(cal.get("n", 200_000))
    rng = np.random.default_rng(int(cal.get("seed", 0)))
    stage = _draw_stage(pop, rng, n)
    _, calibration = _latents(pop, rng, stage, np.arange(n), np.full(n, -1), None)
    return calibration


def _draw_categorical(rng: np.random.Generator, probs: Mapping[Any, float], n: int) -> np.ndarray:
    codes = np.array([float(c) for c in probs])
    p = np.array([float(v) for v in probs.values()])
    return codes[rng.choice(len(codes), size=n, p=p / p.sum())]


def _draw_stage(pop: Population, rng: np.random.Generator, n: int) -> np.ndarray:
    st = pop.spec.get("stage") or {}
    if not st.get("probs"):
        return np.zeros(n)
    return _draw_categorical(rng, st["probs"], n)


# --------------------------------------------------------------------------- responses


def _thresholds(probs: Sequence[float], k: int) -> np.ndarray:
    from scipy.special import ndtri

    p = np.asarray(probs, dtype=float) if len(probs) == k else np.full(k, 1.0 / k)
    cum = np.cumsum(p / p.sum())[:-1]
    return ndtri(cum)


def _composite_problems(spec: Mapping[str, Any]) -> list[str]:
    """Problems of ``measurement.composites`` (weights and item correlation per scale)."""
    meas = spec.get("measurement", {}) or {}
    problems: list[str] = []
    draw = meas.get("draw_composites", False)
    if not isinstance(draw, bool):
        problems.append("measurement.draw_composites must be true or false.")
    comps = meas.get("composites", {}) or {}
    if not isinstance(comps, dict):
        return [*problems, "measurement.composites must map scale ids to weights."]
    for sid, c in comps.items():
        where = f"measurement.composites.{sid}"
        w = (c or {}).get("weights") if isinstance(c, dict) else None
        if not isinstance(w, list) or len(w) < 2 or not all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in w):
            problems.append(f"{where}: weights must be a list of at least two positive numbers.")
            continue
        r = c.get("item_correlation", 0.0)
        if not isinstance(r, (int, float)) or isinstance(r, bool) or not (
                -1.0 / (len(w) - 1) < float(r) < 1.0):
            problems.append(f"{where}: item_correlation must lie between "
                            f"{-1.0 / (len(w) - 1):.3g} and 1 (exclusive), not {r!r}.")
    return problems


def _composite_indicators(
    eta: np.ndarray, weights: Sequence[float], item_correlation: float, rng: np.random.Generator
) -> np.ndarray:
    """Standardised indicators of which ``eta`` is the weighted composite.

    The indicators have correlation matrix ``S`` (``item_correlation`` off the diagonal)
    and ``eta = w' x`` exactly, with the weights rescaled so that ``w' S w = 1`` (a
    composite of unit variance).  Given ``eta`` they are drawn from their conditional
    normal distribution, ``x | eta ~ N(S w eta, S - S w w' S)``: the block's items relate
    to every other construct only through ``eta``, as the composite model states, while
    their correlations among themselves are free of a common-factor structure.

    Notes
    -----
    The composite model of confirmatory composite analysis (Schuberth, Henseler &
    Dijkstra 2018); in R, ``cSEM::generateData`` draws from the same model.
    """
    w = np.asarray(weights, dtype=float)
    k = w.size
    corr = np.full((k, k), float(item_correlation))
    np.fill_diagonal(corr, 1.0)
    w = w / np.sqrt(w @ corr @ w)
    cov_eta = corr @ w
    resid = corr - np.outer(cov_eta, cov_eta)
    vals, vecs = np.linalg.eigh((resid + resid.T) / 2.0)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    z = rng.standard_normal((eta.shape[0], k))
    return eta[:, None] * cov_eta + z @ root.T


def _composites(spec: Mapping[str, Any], layout: Any) -> dict[str, tuple[list[float], float]]:
    """The scales drawn as composites: those ``measurement.composites`` lists, when
    ``measurement.draw_composites`` is true; each must be a scale the instrument declares
    composite, with one weight per item."""
    meas = spec.get("measurement", {}) or {}
    if not meas.get("draw_composites", False):
        return {}
    by_id = {sc.id: sc for sc in layout.scales}
    out: dict[str, tuple[list[float], float]] = {}
    problems = []
    for sid, c in (meas.get("composites", {}) or {}).items():
        sc = by_id.get(str(sid))
        if sc is None:
            continue  # a scale this instrument does not have
        if sc.measurement != "composite":
            problems.append(f"{sid}: the instrument declares it {sc.measurement}, so its items "
                            "are drawn as a reflective factor, not as a composite.")
        elif len(c["weights"]) != len(sc.items):
            problems.append(f"{sid}: {len(c['weights'])} weights for {len(sc.items)} items.")
        else:
            out[str(sid)] = ([float(x) for x in c["weights"]],
                             float(c.get("item_correlation", 0.0)))
    if problems:
        raise ModelSpecificationError(
            "measurement.composites of the population does not fit the instrument: "
            + " ".join(problems))
    return out


def _loadings(spec: Mapping[str, Any], scale_id: str, k: int) -> np.ndarray:
    table = spec.get("loadings", {}) or {}
    lam = table.get(scale_id) or table.get("default") or [0.75]
    return np.array([float(lam[i % len(lam)]) for i in range(k)])


def _scale_latent(values: Mapping[str, np.ndarray], scale_id: str) -> np.ndarray | None:
    if scale_id == "dep_partner" and "dep_partner_perceived" in values:
        return values["dep_partner_perceived"]
    return values.get(scale_id)


def _question_column(
    q: Any,
    spec: Mapping[str, Any] | None,
    rng: np.random.Generator,
    n: int,
    alliance_index: np.ndarray,
    partner_row: np.ndarray,
    drawn: Mapping[str, np.ndarray],
    language: np.ndarray,
) -> np.ndarray:
    """Draw one classification question (codes as float, text as object)."""
    spec = dict(spec or {})
    qtype = getattr(q, "type", "single_choice")
    level = spec.get("level", "firm")
    n_all = int(alliance_index.max()) + 1 if n else 0
    m = n_all if level == "alliance" else n
    b_rows = np.flatnonzero(partner_row >= 0)
    a_rows = partner_row[b_rows]

    if qtype == "text":
        share = float(spec.get("text_share", 0.0))
        texts = spec.get("texts", {}) or {}
        out = np.full(n, np.nan, dtype=object)
        has = rng.random(n) < share
        pick = rng.integers(0, 1_000_000, size=n)
        for i in np.flatnonzero(has):
            options = texts.get(str(language[i])) or texts.get("en") or ["-"]
            out[i] = options[pick[i] % len(options)]
        return out

    if "constant" in spec:
        return np.full(n, float(spec["constant"]))
    if "given" in spec and spec["given"] in drawn:
        given = drawn[spec["given"]]
        out = np.full(n, np.nan)
        u = rng.random(m)
        u = u[alliance_index] if level == "alliance" else u
        for gcode, probs in spec["probs"].items():
            rows = given == float(gcode)
            codes = np.array([float(c) for c in probs])
            cum = np.cumsum(np.array([float(v) for v in probs.values()]))
            idx = np.minimum(np.searchsorted(cum / cum[-1], u[rows], side="right"), len(codes) - 1)
            out[rows] = codes[idx]
        return out
    if "probs" in spec:
        x = _draw_categorical(rng, spec["probs"], m)
    elif "lognormal" in spec:
        ln = spec["lognormal"]
        x = float(ln["median"]) * np.exp(float(ln["sdlog"]) * rng.standard_normal(m))
        step = float(spec.get("step", 0.0))
        if step > 0:
            x = np.maximum(np.round(x / step) * step, step)
    else:
        choices = getattr(q, "choices", None)
        if choices is not None and getattr(choices, "values", None):
            codes = np.array([float(v) for v in choices.values])
            x = codes[rng.integers(0, len(codes), size=m)]
        else:
            lo = float(getattr(q, "min", None) if getattr(q, "min", None) is not None else 0)
            hi = float(getattr(q, "max", None) if getattr(q, "max", None) is not None else 10)
            x = rng.integers(int(lo), int(hi) + 1, size=m).astype(float)
    lo, hi = getattr(q, "min", None), getattr(q, "max", None)
    if lo is not None:
        x = np.maximum(x, float(lo))
    if hi is not None:
        x = np.minimum(x, float(hi))
    if level == "alliance":
        return x[alliance_index]
    x = x.copy()
    if b_rows.size:
        if "dyad_mirror" in spec:
            mirror = {float(k): float(v) for k, v in spec["dyad_mirror"].items()}
            x[b_rows] = np.array([mirror.get(v, v) for v in x[a_rows]])
        if "dyad_from" in spec and spec["dyad_from"] in drawn:
            other = drawn[spec["dyad_from"]]
            x[b_rows] = other[a_rows]
            x[a_rows] = other[b_rows]
    return x


#: Most respondents of one simulated study (100,000 take half a gigabyte and seconds;
#: ``--n 10**9`` ran until the memory was gone).
MAX_RESPONDENTS = 100_000


#: How missing item answers arise: completely at random; at random, given informant
#: knowledge; not at random, given the missing answer itself (Rubin, 1976).
MECHANISMS = ("MCAR", "MAR", "MNAR")


def _check_args(n: Any, dyads: Any, missing: Any, mechanism: str, careless: Any,
                seed: Any = None, instrument: Any = None, population: Any = None) -> None:
    from instruments.instrument.schema import Instrument

    problems = []
    # a path given for either ended in "'str' object has no attribute 'spec'"
    if population is not None and not isinstance(population, Population):
        problems.append("population= must be a Population (read a file with "
                        f"load_population(path)), not {type(population).__name__}")
    if instrument is not None and not isinstance(instrument, Instrument):
        problems.append("instrument= must be an Instrument (read a folder with "
                        f"load_instrument(path)), not {type(instrument).__name__}")
    if not (seed is None or isinstance(seed, np.random.SeedSequence | np.random.Generator)
            or (isinstance(seed, int | np.integer) and not isinstance(seed, bool)
                and seed >= 0)):
        # numpy's "expected non-negative integer" was an internal error
        problems.append(f"seed= must be a whole number of 0 or more (got {seed!r})")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        problems.append(f"n= must be a whole number of respondents >= 1 (got {n!r})")
    elif n > MAX_RESPONDENTS:
        problems.append(f"n= must be at most {MAX_RESPONDENTS:,} respondents (got {n})")
    if isinstance(dyads, bool) or not isinstance(dyads, int | np.integer) or dyads < 0:
        problems.append(f"dyads= must be a whole number >= 0 (got {dyads!r})")
    elif isinstance(n, int | np.integer) and 2 * dyads > n:
        problems.append(f"dyads={dyads} needs 2*dyads = {2 * dyads} respondents but n={n}")
    # a bool is an int to Python: careless=True simulated every respondent as careless
    if (isinstance(missing, bool) or not isinstance(missing, int | float)
            or not 0.0 <= float(missing) < 0.9):
        problems.append(f"missing= must be a share in [0, 0.9) (got {missing!r})")
    if mechanism not in MECHANISMS:
        problems.append("missing_mechanism= must be one of " + ", ".join(map(repr, MECHANISMS))
                        + f" (got {mechanism!r})")
    if (isinstance(careless, bool) or not isinstance(careless, int | float)
            or not 0.0 <= float(careless) <= 1.0):
        problems.append(f"careless= must be a share in [0, 1] (got {careless!r})")
    if problems:
        raise DataError("Cannot simulate the study: " + "; ".join(problems) + ".")


@dataclass(frozen=True)
class SimulatedStudy:
    """A simulated data set together with the truth behind it.

    Attributes
    ----------
    data : pandas.DataFrame
        The observed data in the canonical wide layout (what :func:`simulate_study` returns).
    truth : pandas.DataFrame
        One row per respondent: ``respondent_id``, ``careless`` (bool),
        ``careless_type`` (``"straightline"``, ``"random"`` or ``""``), and the
        latent values of every population variable (plus ``dep_partner_perceived``).
    population : Population
        The population model used.
    """

    data: pd.DataFrame
    truth: pd.DataFrame
    population: Population


def simulate_study(
    n: int,
    dyads: int = 0,
    seed: int = 0,
    missing: float = 0.0,
    missing_mechanism: str = "MCAR",
    careless: float = 0.05,
    instrument: Any = None,
    population: Population | None = None,
) -> pd.DataFrame:
    """Simulate one survey wave in the canonical wide layout.

    Parameters
    ----------
    n : int
        Number of respondents in total.
    dyads : int, default 0
        Number of alliances answered by both firms; ``2 * dyads`` of the ``n``
        respondents (rows ``2j`` = firm A and ``2j + 1`` = firm B of alliance
        ``j``) answer about each other: A's ``dep_own`` measures A's true
        dependence on B, which B perceives (with error) in its ``dep_partner``.
        The others are single informants (``firm_role`` ``"A"``).
    seed : int, default 0
        Seed of ``numpy.random.default_rng``; the same arguments give an
        identical frame.
    missing : float, default 0.0
        Share of missing answers on the scale items, in [0, 0.9).
    missing_mechanism : {"MCAR", "MAR", "MNAR"}
        MAR: the probability of a missing item answer falls with the
        respondent's ``informant_knowledge`` (see ``population.yaml``).  MNAR: it
        falls with the answer that goes missing (``mnar_slope`` log-odds per standard
        deviation of the item; low answers are left out more often), so the observed
        answers overstate the item's mean and no method that assumes MAR recovers it.
    careless : float, default 0.05
        Share of careless respondents (half straight-line, half answer at
        random; both fast and mostly fail the attention checks).
    instrument : Instrument, optional
        Default: ``instruments.instrument.loader.load_instrument()``.
    population : Population, optional
        Default: :func:`load_population` (reading the file and calibrating
        takes about half a second: pass a loaded population when simulating
        many samples, e.g. for Monte Carlo power).

    Returns
    -------
    pandas.DataFrame
        ``respondent_id, alliance_id, firm_role, language, duration_sec,
        page_time_<section>...`` then one coded column per question, item and
        attention check (float, ``NaN`` = missing; ``comment`` is text).
        ``df.attrs["simulation"]`` holds the arguments.  Use
        :func:`simulate_study_with_truth` to get the latent values and who
        was careless.

    Raises
    ------
    DataError
        For impossible arguments (``2 * dyads > n``, ``missing`` outside [0, 0.9)).

    Notes
    -----
    Latent variables follow ``population.yaml``; each rating item is
    ``loading * factor + method + error`` cut into the response categories at
    fixed thresholds (skewed towards agreement), reverse-keyed items are
    written reversed.  The closest R analogue is
    ``lavaan::simulateData(model, sample.nobs = n)`` followed by ``cut()``,
    which has no dyads, careless respondents or paradata.

    Examples
    --------
    >>> df = simulate_study(400, dyads=100, seed=2026)  # doctest: +SKIP
    """
    return simulate_study_with_truth(
        n,
        dyads=dyads,
        seed=seed,
        missing=missing,
        missing_mechanism=missing_mechanism,
        careless=careless,
        instrument=instrument,
        population=population,
    ).data


def simulate_study_with_truth(
    n: int,
    dyads: int = 0,
    seed: int = 0,
    missing: float = 0.0,
    missing_mechanism: str = "MCAR",
    careless: float = 0.05,
    instrument: Any = None,
    population: Population | None = None,
) -> SimulatedStudy:
    """Simulate a study as :func:`simulate_study` does and also return the truth.

    Parameters are those of :func:`simulate_study`; the data are identical.

    Returns
    -------
    SimulatedStudy

    Notes
    -----
    The steps below draw from one random generator in a fixed order (alliances, stage,
    latent variables, language and classification, careless respondents, rating items,
    attention checks, careless answers, missing answers, paradata): reordering them
    changes every simulated data set of a given seed.
    """
    _check_args(n, dyads, missing, missing_mechanism, careless, seed, instrument, population)
    n, dyads = int(n), int(dyads)
    if instrument is None:
        from instruments.instrument.loader import load_instrument

        instrument = load_instrument()
    pop = population if population is not None else load_population()
    spec = pop.spec
    layout = _layout(instrument)
    calibration = pop.calibration if pop.calibration is not None else _calibrate(pop)
    rng = np.random.default_rng(seed)

    alliance_index, partner_row, n_alliances = _alliances(n, dyads)
    # stage (alliance level), then latent variables
    stage = _draw_stage(pop, rng, n_alliances)[alliance_index]
    latent, _ = _latents(pop, rng, stage, alliance_index, partner_row, calibration)
    language, coded = _classification(spec, layout, rng, n, stage, alliance_index, partner_row)
    cl = spec.get("careless", {}) or {}
    is_careless, straight, random_resp = _careless_respondents(cl, rng, n, careless)
    item_cols = _rating_items(spec, layout, rng, n, latent, coded)
    _attention_checks(layout, cl, rng, n, random_resp, coded)
    if item_cols:
        _careless_answers(layout, rng, n, straight, random_resp, coded)
    if missing > 0 and item_cols:
        _blank_answers(spec, rng, n, float(missing), missing_mechanism, item_cols, coded)
    # survey logic: what a respondent is not shown stays empty, as in the response store
    hidden_pages = _apply_conditions(instrument, layout, coded, n)
    page_times, duration = _paradata(spec, cl, layout, rng, n, is_careless, hidden_pages)

    df = _wide_frame(n, alliance_index, partner_row >= 0, language, duration, page_times,
                     layout, coded)
    df.attrs["simulation"] = {
        "n": n,
        "dyads": dyads,
        "seed": int(seed),
        "missing": float(missing),
        "missing_mechanism": missing_mechanism,
        "careless": float(careless),
        "population": f"{pop.id} v{pop.version}",
    }
    truth = pd.DataFrame(
        {
            "respondent_id": df["respondent_id"].to_numpy(),
            "careless": is_careless,
            "careless_type": np.where(
                straight, "straightline", np.where(random_resp, "random", "")
            ),
        }
    )
    for name in (*pop.latent_names, "dep_partner_perceived"):
        if name in latent:
            truth[name] = latent[name]
    return SimulatedStudy(data=df, truth=truth, population=pop)


def _alliances(n: int, dyads: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Alliance of each row, the row of its partner (-1 for the A side and singles), count.

    The first ``2 * dyads`` rows are the dyads (A then B); the rest are single informants.
    """
    n_dyad_rows = 2 * dyads
    alliance_index = np.concatenate(
        [np.repeat(np.arange(dyads), 2), dyads + np.arange(n - n_dyad_rows)]
    ).astype(np.int64)
    partner_row = np.full(n, -1, dtype=np.int64)
    partner_row[1:n_dyad_rows:2] = np.arange(0, n_dyad_rows, 2)
    return alliance_index, partner_row, dyads + (n - n_dyad_rows)


def _classification(
    spec: dict, layout: Any, rng: np.random.Generator, n: int, stage: np.ndarray,
    alliance_index: np.ndarray, partner_row: np.ndarray,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Language of each respondent and the coded classification answers (stage included)."""
    langs = spec.get("languages") or {"en": 1.0}
    lang_codes = np.array(list(langs))
    lp = np.array([float(v) for v in langs.values()])
    language = lang_codes[rng.choice(len(lang_codes), size=n, p=lp / lp.sum())]
    classification = spec.get("classification", {}) or {}
    stage_q = (spec.get("stage") or {}).get("question")
    coded: dict[str, np.ndarray] = {}
    for q in layout.questions:
        if q.id == stage_q:
            coded[q.id] = stage.astype(float)
            continue
        coded[q.id] = _question_column(
            q, classification.get(q.id), rng, n, alliance_index, partner_row, coded, language
        )
    return language, coded


def _careless_respondents(
    cl: dict, rng: np.random.Generator, n: int, careless: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who answers carelessly, and how: straight-lining or at random."""
    is_careless = rng.random(n) < float(careless)
    straight = is_careless & (rng.random(n) < float(cl.get("straightline_share", 0.5)))
    return is_careless, straight, is_careless & ~straight


def _rating_items(
    spec: dict, layout: Any, rng: np.random.Generator, n: int,
    latent: dict[str, np.ndarray], coded: dict[str, np.ndarray],
) -> list[str]:
    """Ordinal answers to every rating item from its scale's latent variable, a method
    factor and thresholds (written into ``coded``); returns the item columns."""
    meas = spec.get("measurement", {}) or {}
    lam_m = float(meas.get("method_loading", 0.0))
    method = rng.standard_normal(n)
    shifts = meas.get("shift", {}) or {}
    composites = _composites(spec, layout)
    item_cols: list[str] = []
    for sc in layout.scales:
        k = len(sc.items)
        values = np.array(sc.values, dtype=float)
        lo, hi = values.min(), values.max()
        tau = _thresholds(meas.get("category_probs", []), len(values))
        lam = _loadings(meas, sc.id, k)
        if np.any(lam**2 + lam_m**2 >= 1):
            raise ModelSpecificationError(f"Loadings of scale {sc.id!r} leave no error variance.")
        eta = _scale_latent(latent, sc.id)
        if eta is None:  # a scale the population does not know: unrelated factor
            eta = rng.standard_normal(n)
        sign = np.where(np.array(sc.reverse), -1.0, 1.0)
        if sc.id in composites:
            # The construct score is the weighted composite of the items' continuous
            # responses (before the method factor), not a factor behind them.
            weights, r = composites[sc.id]
            x = _composite_indicators(eta, weights, r, rng)
            ystar = (
                x * np.sqrt(1.0 - lam_m**2)
                + float(shifts.get(sc.id, 0.0))
                + sign * lam_m * method[:, None]
            )
        else:
            err = rng.standard_normal((n, k))
            ystar = (
                eta[:, None] * lam
                + float(shifts.get(sc.id, 0.0))
                + sign * lam_m * method[:, None]
                + err * np.sqrt(1.0 - lam**2 - lam_m**2)
            )
        # the method factor (acquiescence) pushes *raw* agreement up: + for
        # normal items, - in the keyed direction of reverse-keyed ones
        x = values[np.searchsorted(tau, ystar)]
        rev = np.array(sc.reverse)
        x[:, rev] = lo + hi - x[:, rev]
        for j, item in enumerate(sc.items):
            coded[item] = x[:, j]
        item_cols += list(sc.items)
    return item_cols


def _attention_checks(
    layout: Any, cl: dict, rng: np.random.Generator, n: int, random_resp: np.ndarray,
    coded: dict[str, np.ndarray],
) -> None:
    """Attention-check answers: careful respondents mostly right, random ones at random."""
    p_ok = float(cl.get("attention_correct_careful", 0.985))
    for cid, correct, vals in layout.checks:
        v = np.array(vals, dtype=float)
        wrong = np.array([c for c in vals if c not in correct], dtype=float)
        ans = np.full(n, float(correct[0]))
        if len(correct) > 1:
            ans = np.array(correct, dtype=float)[rng.integers(0, len(correct), size=n)]
        if wrong.size:
            miss = rng.random(n) >= p_ok
            ans[miss] = wrong[rng.integers(0, wrong.size, size=int(miss.sum()))]
        ans[random_resp] = v[rng.integers(0, v.size, size=int(random_resp.sum()))]
        coded[cid] = ans


def _careless_answers(
    layout: Any, rng: np.random.Generator, n: int, straight: np.ndarray,
    random_resp: np.ndarray, coded: dict[str, np.ndarray],
) -> None:
    """Careless answering overrides the rating items (and straight-liners the checks)."""
    all_vals = np.array(layout.scales[0].values, dtype=float)
    line = all_vals[rng.integers(0, all_vals.size, size=n)]
    for sc in layout.scales:
        vals = np.array(sc.values, dtype=float)
        rnd = vals[rng.integers(0, vals.size, size=(n, len(sc.items)))]
        for j, item in enumerate(sc.items):
            col = coded[item]
            col[random_resp] = rnd[random_resp, j]
            col[straight] = np.clip(line[straight], vals.min(), vals.max())
    for cid, _, vals in layout.checks:
        coded[cid][straight] = np.clip(line[straight], min(vals), max(vals))


def _blank_answers(
    spec: dict, rng: np.random.Generator, n: int, missing: float, mechanism: str,
    item_cols: list[str], coded: dict[str, np.ndarray],
) -> None:
    """Missing answers on the rating items only: completely at random, at random (MAR,
    given informant knowledge) or not at random (MNAR, given the answer itself)."""
    p_row = np.full(n, missing)
    if mechanism == "MNAR":
        slope = float((spec.get("missing", {}) or {}).get("mnar_slope", -0.8))
        u = rng.random((n, len(item_cols)))
        for j, item in enumerate(item_cols):
            col = coded[item]
            answered = np.isfinite(col)
            if not answered.any():
                continue
            mean, sd = float(col[answered].mean()), float(col[answered].std())
            z = np.where(answered, (col - mean) / sd if sd > 0 else 0.0, 0.0)
            p = _logistic_with_mean(slope * z, missing)
            col[answered & (u[:, j] < p)] = np.nan
        return
    if mechanism == "MAR":
        mis = spec.get("missing", {}) or {}
        var = mis.get("mar_variable", "informant_knowledge")
        if var not in coded:
            raise DataError(
                f"MAR missingness depends on {var!r}, which the instrument does not ask."
            )
        xv = np.asarray(coded[var], dtype=float)
        xv = np.where(np.isnan(xv), np.nanmean(xv), xv) - np.nanmean(xv)
        p_row = _logistic_with_mean(float(mis.get("mar_slope", -0.5)) * xv, missing)
    u = rng.random((n, len(item_cols)))
    mask = u < p_row[:, None]
    for j, item in enumerate(item_cols):
        col = coded[item]
        col[mask[:, j]] = np.nan


def _paradata(
    spec: dict, cl: dict, layout: Any, rng: np.random.Generator, n: int,
    is_careless: np.ndarray, hidden_pages: dict[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Seconds per page and in total; careless respondents are faster, skipped pages take none."""
    pdat = spec.get("paradata", {}) or {}
    speed = np.exp(float(pdat.get("respondent_speed_sdlog", 0.3)) * rng.standard_normal(n))
    speed = np.where(is_careless, speed * float(cl.get("speed_factor", 0.35)), speed)
    page_times: dict[str, np.ndarray] = {}
    sdlog = float(pdat.get("page_sdlog", 0.4))
    for sec_id, n_el in layout.sections:
        median = (
            float(pdat.get("page_intercept_sec", 6.0))
            + float(pdat.get("page_per_element_sec", 4.5)) * n_el
        )
        page_times[f"page_time_{sec_id}"] = median * np.exp(sdlog * rng.standard_normal(n)) * speed
        if sec_id in hidden_pages:  # a skipped page takes no time
            page_times[f"page_time_{sec_id}"][hidden_pages[sec_id]] = 0.0
    overhead = float(pdat.get("overhead_median_sec", 25.0)) * np.exp(0.3 * rng.standard_normal(n))
    duration = overhead + (sum(page_times.values()) if page_times else 0.0)
    return page_times, duration


def _wide_frame(
    n: int, alliance_index: np.ndarray, is_b: np.ndarray, language: np.ndarray,
    duration: Any, page_times: dict[str, np.ndarray], layout: Any,
    coded: dict[str, np.ndarray],
) -> pd.DataFrame:
    """The canonical wide layout: identifiers, paradata, then the instrument's columns."""
    width = max(5, len(str(n)))
    cols: dict[str, Any] = {
        "respondent_id": np.array([f"R{i:0{width}d}" for i in range(1, n + 1)], dtype=object),
        "alliance_id": np.array([f"A{j:0{width}d}" for j in alliance_index + 1], dtype=object),
        "firm_role": np.where(is_b, "B", "A").astype(object),
        "language": language.astype(object),
        "duration_sec": duration,
    }
    cols.update(page_times)
    for c in layout.columns:
        cols[c] = coded[c]
    df = pd.DataFrame(cols)
    for c in ("respondent_id", "alliance_id", "firm_role", "language"):
        df[c] = df[c].astype(object)
    return df


def _apply_conditions(
    instrument: Any, layout: _Layout, coded: dict[str, np.ndarray], n: int
) -> dict[str, np.ndarray]:
    """Blank every variable whose page or own ``show_if`` does not hold for a respondent.

    Returns ``section id -> rows that do not see the page``.  Conditions read answers of
    earlier pages only (the loader checks that), which are already drawn here.
    """
    from instruments.instrument.logic import parse_condition

    conditions = instrument.conditions() if hasattr(instrument, "conditions") else {}
    if not conditions:
        return {}
    by_scale = {sc.id: sc.items for sc in layout.scales}
    pages: dict[str, list[str]] = {}
    for sec in getattr(instrument, "sections", []):
        fields = [i for s in sec.scales for i in by_scale.get(_ident(s), ())]
        pages[str(sec.id)] = fields + list(sec.questions) + list(sec.attention_checks)
    hidden_pages: dict[str, np.ndarray] = {}
    for name, text in conditions.items():
        cond = parse_condition(text)
        reads = [v for v in cond.names if v in coded]
        rows = [{v: coded[v][i] for v in reads} for i in range(n)]
        hide = np.array([not cond.holds(r) for r in rows], dtype=bool)
        targets = pages.get(name, [name])
        if name in pages:
            hidden_pages[name] = hide
        for var in targets:
            if var in coded:
                coded[var] = np.where(hide, np.nan, coded[var])
    return hidden_pages


def _logistic_with_mean(linear: np.ndarray, target: float) -> np.ndarray:
    """Probabilities ``expit(a + linear)`` with ``a`` chosen so that their mean is ``target``."""
    from scipy.special import expit

    lo, hi = -30.0, 30.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if expit(mid + linear).mean() < target:
            lo = mid
        else:
            hi = mid
    return expit((lo + hi) / 2.0 + linear)


# --------------------------------------------------------------------------- files

def write_data(df: pd.DataFrame, path: str | Path, instrument: Any = None) -> Path:
    """Write wide survey data by the file's extension.

    ``.parquet``: Parquet; ``.sav``: SPSS via ``instruments.instrument.spss.write_sav``
    (labels from ``instrument``); anything else: CSV (UTF-8, ``\\n`` line ends,
    missing = empty, floats with 10 significant digits, so the bytes are
    reproducible).

    Returns
    -------
    Path
        The file written.
    """
    p = Path(path)
    if p.parent and not p.parent.exists():
        raise DataError(f"Folder {str(p.parent)!r} does not exist; create it first.")
    from analysis.io import atomic_path

    # complete or not at all: an error or Ctrl-C half-way keeps the file of an earlier run
    with atomic_path(p) as tmp:
        _write_data(df, tmp, instrument)
    return p


def _write_data(df: pd.DataFrame, p: Path, instrument: Any) -> None:
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        plain = df.copy()
        plain.attrs = {}
        plain.to_parquet(p, index=False)
    elif suffix == ".sav":
        from instruments.instrument.spss import write_sav

        if instrument is None:
            from instruments.instrument.loader import load_instrument

            instrument = load_instrument()
        write_sav(df, p, instrument)
    else:
        df.to_csv(p, index=False, float_format="%.10g", lineterminator="\n", encoding="utf-8")


