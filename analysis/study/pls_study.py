"""The alliance study's hypotheses estimated by PLS-SEM (``method: pls``).

A study that declares ``method: pls`` in its hypotheses file (or is run with
``--method pls``) gets its confirmatory verdicts from one PLS path model instead of
the covariance-based path model on composites.  What the PLS route does and why:

* **Measurement as the instrument declares it.**  A scale whose ``measurement.model``
  is ``reflective`` is a mode A block estimated as a common factor by consistent PLS
  (PLSc; Dijkstra & Henseler 2015), because a reflective scale claims a common factor
  and plain PLS loadings and paths are then biased (loadings up, paths down).  A
  ``composite`` scale is a mode B block (regression weights), since its items are
  distinct facets that form the construct.  Items enter after reverse keying.
* **Relationship learning** (a composite of the declaration, e.g. ``learning``) is a
  higher-order construct of its dimensions, estimated by the disjoint two-stage
  approach (Becker et al. 2012; seminr's default).
* **Dependence indices and controls** (``jd_sum``, ``asym_abs``, ``alliance_age`` ...)
  are single-indicator constructs of the scored values: the indices are non-linear
  functions of two scales and have no measurement model of their own.
* **Structural model**: the declaration's ``model`` with the controls in every
  equation, as in the covariance-based route.
* **Tests**: paths (``sem_path``) and the indirect effect of a mediation (``a*b`` per
  draw) come from a case bootstrap of that one model; a moderation is a model
  ``y ~ x + m + x:m`` (two-stage interaction, Henseler & Chin 2010) and an inverted U a
  model ``y ~ x + x:x`` with the Lind-Mehlum test done on the bootstrap draws of the
  slopes at the lowest and highest construct score.  The p of every test is the
  bootstrap p of the draws behind its percentile interval.  Response surfaces,
  dyadic and multigroup comparisons have no PLS counterpart here: those hypotheses are
  reported as not tested by PLS-SEM, and the family is adjusted over the rest.
* **Verdicts** by the declared decision rules (:func:`analysis.study.hypotheses.decide`):
  one-sided bootstrap tests in the declared direction, the declared correction, TOST
  against the smallest effect of interest (PLS paths are already standardised).

# In R: seminr::estimate_pls(data, mm, sm) |> seminr::bootstrap_model(nboot = 1000)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError, EstimationError, ModelSpecificationError

__all__ = ["PLS_ESTIMATOR", "PLS_THRESHOLDS", "pls_model_syntax", "pls_section",
           "test_hypotheses_pls"]

#: How the provenance and a pre-registered plan name the PLS route's path model.
PLS_ESTIMATOR = "PLS-SEM (PLSc)"

#: Reporting thresholds of Hair et al. (2019), shown next to the values (never as verdicts).
PLS_THRESHOLDS = {
    "alpha": ">= 0.70",
    "rho_a": ">= 0.70",
    "rho_c": "0.70 to 0.95",
    "ave": ">= 0.50",
    "loading": ">= 0.708",
    "htmt": "< 0.85 (conceptually distinct) / < 0.90 (similar); CI upper < 0.90",
    "vif": "< 3 (ideally); < 5",
    "f2": "0.02 small, 0.15 medium, 0.35 large",
    "r2": "0.25 weak, 0.50 moderate, 0.75 substantial",
}

_UNTESTABLE = {"rsa": "a response surface", "dyadic": "a two-informant comparison",
               "multigroup": "a multigroup comparison of scores"}


def _indicator(name: str) -> str:
    """Column name of a single-indicator construct's indicator (never a construct name)."""
    return f"{name}_score"


def _model_equations(hs: Any, controls: Sequence[str]) -> list[tuple[str, list[str]]]:
    """``(outcome, predictors)`` of every equation of the declared model, plus controls."""
    eqs: list[tuple[str, list[str]]] = []
    for line in hs.model.splitlines():
        line = line.split("#", 1)[0].strip()
        if "~" not in line or "=~" in line or "~~" in line or ":=" in line:
            continue
        lhs, rhs = (s.strip() for s in line.split("~", 1))
        terms = [t.strip().split("*")[-1].strip() for t in rhs.split("+")]
        preds = [t for t in terms if t] + [c for c in controls if c != lhs]
        eqs.append((lhs, list(dict.fromkeys(preds))))
    return eqs


class _Blocks:
    """Measurement blocks of the study's variables, from the instrument."""

    def __init__(self, instrument: Any, composites: dict[str, Sequence[str]],
                 keyed: pd.DataFrame, scores: pd.DataFrame) -> None:
        self.scales = getattr(instrument, "scales", {}) or {}
        self.composites = {k: list(v) for k, v in composites.items()}
        self.keyed, self.scores = keyed, scores
        self.lines: dict[str, str] = {}
        self.columns: dict[str, pd.Series] = {}
        self.kind: dict[str, str] = {}

    def add(self, name: str) -> None:
        if name in self.lines:
            return
        if name in self.scales:
            sc = self.scales[name]
            items = [it.id for it in sc.items]
            absent = [c for c in items if c not in self.keyed.columns]
            if absent:
                raise DataError(f"PLS: items of {name!r} not in the data: {', '.join(absent)}.")
            reflective = getattr(sc, "measurement", "reflective") != "composite"
            self.lines[name] = f"{name} {'=~' if reflective else '<~'} " + " + ".join(items)
            self.kind[name] = "reflective (mode A, PLSc)" if reflective else \
                "composite (mode B)"
            for c in items:
                self.columns[c] = pd.to_numeric(self.keyed[c], errors="coerce")
        elif name in self.composites:
            for part in self.composites[name]:
                self.add(part)
            self.lines[name] = f"{name} =~ " + " + ".join(self.composites[name])
            self.kind[name] = "higher-order (two-stage) of " + ", ".join(self.composites[name])
        elif name in self.scores.columns:
            col = _indicator(name)
            self.lines[name] = f"{name} =~ {col}"
            self.kind[name] = "single indicator (scored value)"
            self.columns[col] = pd.to_numeric(self.scores[name], errors="coerce")
        else:
            raise ModelSpecificationError(
                f"PLS: {name!r} is neither a scale of the instrument, a composite of the "
                "declaration nor a scored variable.")

    def syntax(self, names: Sequence[str], equations: Sequence[tuple[str, Sequence[str]]]) -> str:
        for n in names:
            self.add(n)
        order = list(dict.fromkeys(
            p for n in names for p in (self.composites.get(n, []) + [n])))
        out = [self.lines[n] for n in order]
        out += [f"{y} ~ " + " + ".join(xs) for y, xs in equations]
        return "\n".join(out) + "\n"

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns).reset_index(drop=True).astype(float)


def pls_model_syntax(hs: Any, instrument: Any, controls: Sequence[str],
                     keyed: pd.DataFrame, scores: pd.DataFrame) -> tuple[str, pd.DataFrame,
                                                                          dict[str, str]]:
    """The study's main PLS model: syntax, indicator data and how each construct is measured."""
    eqs = _model_equations(hs, controls)
    names = list(dict.fromkeys(n for y, xs in eqs for n in (y, *xs)))
    blocks = _Blocks(instrument, hs.composites, keyed, scores)
    syntax = blocks.syntax(names, eqs)
    return syntax, blocks.frame(), {n: blocks.kind[n] for n in blocks.lines}


def _fit(data: pd.DataFrame, syntax: str, n_boot: int, seed: int | None, level: float,
         consistent: bool) -> tuple[Any, Any]:
    from analysis.stats.pls import pls
    from analysis.stats.pls.bootstrap import bootstrap_pls

    res = pls(data, syntax, consistent=consistent)
    if not res.converged:
        raise EstimationError(f"PLS: the algorithm did not converge in {res.iterations} "
                              "iterations.")
    boot = bootstrap_pls(res, n_boot, seed=seed, level=level, bca=False)
    return res, boot


def _draws(boot: Any, kind: str, lhs: str, rhs: str) -> tuple[np.ndarray, pd.Series]:
    t = boot.table
    hit = t.index[(t["kind"] == kind) & (t["lhs"] == lhs) & (t["rhs"] == rhs)]
    if len(hit) == 0:
        raise ModelSpecificationError(f"PLS: {kind} {rhs} -> {lhs} is not in the model.")
    return boot.draws[:, hit[0]], t.loc[hit[0]]


def _quantiles(x: np.ndarray, level: float) -> tuple[float, float]:
    a = (1 - level) / 2
    return float(np.quantile(x, a)), float(np.quantile(x, 1 - a))


def test_hypotheses_pls(
    data: pd.DataFrame,
    scored: pd.DataFrame | None = None,
    *,
    hypotheses: Any = None,
    bootstrap: int = 1000,
    seed: int | None = 2026,
    alpha: float | None = None,
    controls: Sequence[str] | None = None,
    instrument: Any = None,
    consistent: bool = True,
    details: dict[str, Any] | None = None,
    **_ignored: Any,
) -> pd.DataFrame:
    """Test the declared hypotheses with PLS-SEM; the table of :func:`test_hypotheses`.

    Parameters
    ----------
    data, scored, hypotheses, seed, alpha, controls, instrument
        As :func:`analysis.study.hypotheses.test_hypotheses`.
    bootstrap : int
        Case-bootstrap draws of every PLS model (>= 2).
    consistent : bool
        PLSc for the reflective scales (default); ``False`` estimates them as plain
        mode A composites.
    details : dict, optional
        Filled with ``pls`` (:func:`pls_section`'s input: fits and bootstraps).

    Returns
    -------
    DataFrame
        One row per hypothesis (:data:`analysis.study.hypotheses.RESULT_COLUMNS`),
        verdicts by the declared decision rules; ``attrs`` as the covariance-based runner.
    """
    from analysis.study import hypotheses as hyp
    from analysis.study.scoring import reverse_key

    hs, rules = hyp._check_arguments(hypotheses, "MLR", bootstrap, alpha)
    det: dict[str, Any] = details if details is not None else {}
    if instrument is None:
        from instruments.instrument.loader import load_instrument

        instrument = load_instrument()
    level = 1 - rules.alpha
    d, exclusions, full = hyp.prepare_scores(data, scored, hs, instrument)
    warns: list[str] = []
    if exclusions["total"]:
        warns.append(f"{exclusions['total']} of {len(full)} respondents excluded as careless "
                     "or incomplete (scoring's exclude flag).")
    base = hyp._usable_controls(hs, controls, d, warns)
    if len(d) < hyp.MIN_RESPONDENTS:
        raise DataError(f"Only {len(d)} respondents remain after exclusions; at least "
                        f"{hyp.MIN_RESPONDENTS} are needed to test the hypotheses.")
    keep = ~full["exclude"].fillna(False).astype(bool).to_numpy() if "exclude" in full \
        else np.ones(len(full), dtype=bool)
    keyed = reverse_key(data, instrument).reset_index(drop=True).loc[keep] \
        .reset_index(drop=True)
    syntax, X, kinds = pls_model_syntax(hs, instrument, base, keyed, d)
    main, boot = _fit(X, syntax, int(bootstrap), seed, level, consistent)
    # f^2 re-estimates the model once per path: only for the paths a hypothesis tests
    tested = [(h.parts()["x"], h.parts()["y"]) for h in hs.hypotheses
              if h.method == "sem_path"]
    det["syntax"] = syntax
    det["pls"] = {"main": (main, boot), "syntax": syntax, "kinds": kinds, "models": {},
                  "consistent": consistent, "seed": seed, "level": level,
                  "tested_paths": [p for p in tested if p in main.structural]}
    label = (f"PLS-SEM ({'PLSc for reflective scales, ' if consistent else ''}path weighting, "
             f"mean replacement; percentile bootstrap, {boot.n_boot - boot.n_failed} draws)")
    rows = []
    for h in hs.hypotheses:
        parts = h.parts()
        try:
            if h.method in _UNTESTABLE:
                raise ModelSpecificationError(
                    f"{_UNTESTABLE[h.method]} ({h.method}) has no PLS-SEM counterpart here; "
                    "run the study with method: sem for this test")
            builder = {"sem_path": _path_row, "mediation_bootstrap": _mediation_row,
                       "moderation": _moderation_row, "latent_moderation": _moderation_row,
                       "quadratic": _quadratic_row,
                       "latent_quadratic": _quadratic_row}[h.method]
            rows.append(builder(h, parts, main, boot, label, level, seed, consistent, X,
                                syntax, base, keyed, d, hs, instrument, det))
        except (DataError, ModelSpecificationError, EstimationError) as exc:
            rows.append(hyp._row(h, verdict="not tested", model="PLS-SEM",
                                 note=f"Not tested by PLS-SEM: {exc}."))
            warns.append(f"{h.id} not tested by PLS-SEM: {exc}.")
    out = hyp.apply_decision_rules(rows, hs, rules)
    if main.missing.n_cells_missing:
        warns.append("PLS-SEM: " + main.missing.describe())
    det["warnings"], det["exclusions"] = warns, exclusions
    out.attrs.update({"warnings": warns, "exclusions": exclusions, "n": int(len(d)),
                      "n_raw": int(len(full)), "hypotheses_sha256": hs.sha256,
                      "alpha": float(rules.alpha)})
    return out


test_hypotheses_pls.__test__ = False  # not a pytest test despite its name


def _bootstrap_row(h, est, draws, level, model, note, n, **extra):
    from analysis.study import hypotheses as hyp

    draws = draws[np.isfinite(draws)]
    se = float(np.std(draws, ddof=1)) if draws.size > 1 else float("nan")
    lo, hi = _quantiles(draws, level)
    inf = extra.pop("_inference", None) or hyp.bootstrap_inference(
        draws, se=se, std_factor=1.0, statistic="PLS percentile bootstrap")
    return hyp._row(h, model=model, estimate=float(est), se=se, ci_lower=lo, ci_upper=hi,
                    pvalue=inf.p_two_sided, n=n, note=note, _inference=inf,
                    verdict=hyp._exploratory_verdict(inf.p_two_sided < 1 - level), **extra)


def _path_row(h, parts, main, boot, label, level, *_rest):
    draws, row = _draws(boot, "path", parts["y"], parts["x"])
    note = (f"Standardised PLS path {parts['x']} -> {parts['y']} of the study's PLS model "
            f"(bootstrap SE {row['se']:.3f}, t = {row['t']:.2f}).")
    return _bootstrap_row(h, row["est"], draws, level, label, note, main.n)


def _mediation_row(h, parts, main, boot, label, level, seed, consistent, X, syntax, base,
                   keyed, d, hs, instrument, det):
    x, m, y = parts["x"], parts["m"], parts["y"]
    res, bt, model = main, boot, label
    if (x, m) not in main.structural or (m, y) not in main.structural:
        ctr = [c for c in [*base, *h.controls] if c not in (x, m, y)]
        blocks = _Blocks(instrument, hs.composites, keyed, d)
        eqs = [(m, [x, *ctr]), (y, [m, x, *ctr])]
        syn = blocks.syntax(list(dict.fromkeys([x, m, y, *ctr])), eqs)
        res, bt = _fit(blocks.frame(), syn, boot.n_boot, seed, level, consistent)
        det["pls"]["models"][h.id] = (res, bt, syn)
        model = f"Mediation PLS model ({m} ~ {x}; {y} ~ {m} + {x})"
    a, _ = _draws(bt, "path", m, x)
    b, _ = _draws(bt, "path", y, m)
    c, _ = _draws(bt, "path", y, x) if (x, y) in res.structural else (np.zeros_like(a), None)
    est = res.paths.loc[x, m] * res.paths.loc[m, y]
    direct = res.paths.loc[x, y] if (x, y) in res.structural else 0.0
    dlo, dhi = _quantiles(c, level)
    note = (f"Specific indirect effect a*b of PLS paths ({x} -> {m} "
            f"{res.paths.loc[x, m]:.3f}, {m} -> {y} {res.paths.loc[m, y]:.3f}), product "
            f"formed in every bootstrap draw; direct effect {direct:.3f} "
            f"[{dlo:.3f}, {dhi:.3f}].")
    return _bootstrap_row(h, est, a * b, level, model, note, res.n)


def _moderation_row(h, parts, main, boot, label, level, seed, consistent, X, syntax, base,
                    keyed, d, hs, instrument, det):
    x, m, y = parts["x"], parts["m"], parts["y"]
    ctr = [c for c in [*base, *h.controls] if c not in (x, m, y)]
    blocks = _Blocks(instrument, hs.composites, keyed, d)
    syn = blocks.syntax(list(dict.fromkeys([x, m, y, *ctr])), [(y, [x, m, f"{x}:{m}", *ctr])])
    res, bt = _fit(blocks.frame(), syn, boot.n_boot, seed, level, consistent)
    det["pls"]["models"][h.id] = (res, bt, syn)
    draws, row = _draws(bt, "path", y, f"{x}:{m}")
    bx, bi = res.paths.loc[x, y], res.paths.loc[f"{x}:{m}", y]
    note = (f"Two-stage PLS interaction (Henseler & Chin 2010) in {y} ~ {x} + {m} + "
            f"{x}:{m}; simple slopes of {x} at {m} -1 SD / mean / +1 SD: {bx - bi:.3f} / "
            f"{bx:.3f} / {bx + bi:.3f} (standardised scores).")
    return _bootstrap_row(h, row["est"], draws, level,
                          f"PLS-SEM interaction model (two-stage; bootstrap "
                          f"{bt.n_boot - bt.n_failed} draws)", note, res.n)


def _quadratic_row(h, parts, main, boot, label, level, seed, consistent, X, syntax, base,
                   keyed, d, hs, instrument, det):
    from analysis.study import hypotheses as hyp

    x, y = parts["x"], parts["y"]
    ctr = [c for c in [*base, *h.controls] if c not in (x, y)]
    blocks = _Blocks(instrument, hs.composites, keyed, d)
    sq = f"{x}:{x}"
    syn = blocks.syntax(list(dict.fromkeys([x, y, *ctr])), [(y, [x, sq, *ctr])])
    res, bt = _fit(blocks.frame(), syn, boot.n_boot, seed, level, consistent)
    det["pls"]["models"][h.id] = (res, bt, syn)
    b1d, _ = _draws(bt, "path", y, x)
    b2d, row = _draws(bt, "path", y, sq)
    b1, b2 = float(res.paths.loc[x, y]), float(res.paths.loc[sq, y])
    # the slope of y on the standardised score x is b1 + 2 b2 x: the squared term is the
    # product of the standardised scores, centred (the Henseler-Chin rescaling)
    xs = res.scores[x]
    x_min, x_max = float(xs.min()), float(xs.max())
    s_min, s_max = b1d + 2 * b2d * x_min, b1d + 2 * b2d * x_max
    B = len(b2d)
    p_inv = float(max(np.sum(s_min <= 0) + 1, np.sum(s_max >= 0) + 1) / (B + 1))
    p_u = float(max(np.sum(s_min >= 0) + 1, np.sum(s_max <= 0) + 1) / (B + 1))
    eq = hyp.bootstrap_inference(b2d, se=float(row["se"]), std_factor=1.0)
    inf = hyp.Inference(p_inv, p_u, min(1.0, 2 * min(p_inv, p_u)), eq.tost, eq.se, 1.0,
                        f"Lind-Mehlum test on bootstrap slopes, {B} draws (equivalence and "
                        "power: squared term)")
    tp = -b1 / (2 * b2) if b2 != 0 else float("nan")
    inside = bool(np.isfinite(tp) and x_min <= tp <= x_max)
    note = (f"PLS model {y} ~ {x} + {sq} (two-stage squared term); squared term shown, the "
            f"p is the Lind-Mehlum test (slope > 0 at the lowest and < 0 at the highest "
            f"{x} score in the bootstrap draws). Turning point {tp:.3f} in the observed "
            f"standardised range [{x_min:.3g}, {x_max:.3g}]; slope at min "
            f"{b1 + 2 * b2 * x_min:.3f}, at max {b1 + 2 * b2 * x_max:.3f}.")
    return _bootstrap_row(h, b2, b2d, level, "PLS-SEM quadratic model (two-stage; "
                          f"bootstrap {B} draws), Lind-Mehlum test", note, res.n,
                          _inference=inf, _shape_ok=inside)


# --------------------------------------------------------------------------------------
# the report's PLS section
# --------------------------------------------------------------------------------------
def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]


def pls_section(details: dict[str, Any]) -> dict[str, Any]:
    """The JSON-ready PLS-SEM section (Hair et al. 2019's reporting set) of a PLS run.

    Keys: ``available``, ``settings``, ``syntax``, ``constructs`` (how each is
    measured), ``reliability`` (alpha, rho_A, rho_C, AVE), ``indicators`` (loadings,
    weights, the CI of the loading for mode A and of the weight for mode B, VIF),
    ``htmt`` (with percentile CIs), ``paths`` (with bootstrap SE and CIs),
    ``rsquared``, ``fsquared``, ``vif_inner``, ``models`` (the separate models of
    moderation and quadratic hypotheses) and ``thresholds``.
    """
    from analysis.stats.pls import quality as q

    info = details.get("pls")
    if not info:
        return {"available": False, "reason": "The study was not analysed with PLS-SEM."}
    res, boot = info["main"]
    t = boot.table
    # the lower-order constructs of a two-stage higher-order construct are assessed in
    # the first stage (Sarstedt et al. 2019), whose estimates have no bootstrap here
    first = res.first_stage
    # the dimensions of the higher-order constructs (not every construct named like a
    # column: a one-item block 'Age =~ Age' is measured by its column of that name)
    dims = {d for h in res.spec.higher_order for d in res.spec.block(h)[2]}
    lower = [c for c in first.constructs if c in dims] if first is not None else []
    rel = pd.concat([q.reliability(first).loc[lower], q.reliability(res)]) if lower \
        else q.reliability(res)
    constructs = [{"construct": c, "measurement": info["kinds"].get(c, "") + (
                   " (first stage)" if c in lower else ""),
                   "indicators": int(len((first if c in lower else res).blocks[c]))}
                  for c in [*lower, *res.constructs]]
    ind = []
    if lower:
        fvif = q.vif_items(first).set_index(["construct", "item"])["vif"]
        for c in lower:
            for i in first.blocks[c]:
                ind.append({"construct": c, "item": i, "mode": first.modes[c],
                            "loading": float(first.loadings.loc[i, c]),
                            "weight": float(first.weights.loc[i, c]),
                            "ci_lower": float("nan"), "ci_upper": float("nan"),
                            "vif": float(fvif.loc[(c, i)])})
    vif = q.vif_items(res).set_index(["construct", "item"])["vif"]
    for c in res.constructs:
        mode = res.modes[c]
        for i in res.blocks[c]:
            kind = "loading" if mode == "A" else "weight"
            r = t[(t["kind"] == kind) & (t["lhs"] == c) & (t["rhs"] == i)].iloc[0]
            ind.append({"construct": c, "item": i, "mode": mode,
                        "loading": float(res.loadings.loc[i, c]),
                        "weight": float(res.weights.loc[i, c]),
                        "ci_lower": float(r["ci_lower"]), "ci_upper": float(r["ci_upper"]),
                        "vif": float(vif.loc[(c, i)])})
    h = t[t["kind"] == "htmt"]
    htmt = [{"construct_1": r.lhs, "construct_2": r.rhs, "htmt": float(r.est),
             "ci_lower": float(r.ci_lower), "ci_upper": float(r.ci_upper)}
            for r in h.itertuples() if ":" not in r.lhs + r.rhs]
    return {
        "available": True,
        "settings": {
            "n": int(res.n), "weighting": res.settings.scheme,
            "consistent": bool(res.settings.consistent),
            "higher_order": res.settings.higher_order, "iterations": int(res.iterations),
            "converged": bool(res.converged), "missing": res.missing.describe(),
            "bootstrap": int(boot.n_boot), "bootstrap_failed": int(boot.n_failed),
            "seed": info["seed"], "level": float(boot.level),
        },
        "syntax": info["syntax"],
        "constructs": constructs,
        "reliability": _records(rel.reset_index()),
        "indicators": ind,
        "htmt": htmt,
        "paths": _paths(boot),
        "rsquared": _records(res.rsquared.rename_axis("construct").reset_index()),
        "fsquared": _records(q.fsquared(res, info.get("tested_paths"))),
        "vif_inner": [r for r in _records(q.vif_inner(res)) if np.isfinite(r["vif"])],
        "models": {hid: {"syntax": syn, "n": int(r.n), "paths": _paths(b),
                         "rsquared": _records(r.rsquared.rename_axis("construct")
                                              .reset_index())}
                   for hid, (r, b, syn) in info["models"].items()},
        "thresholds": dict(PLS_THRESHOLDS),
    }


def _paths(boot: Any) -> list[dict[str, Any]]:
    p = boot.table[boot.table["kind"] == "path"]
    return [{"source": r.rhs, "target": r.lhs, "estimate": float(r.est), "se": float(r.se),
             "t": float(r.t), "ci_lower": float(r.ci_lower), "ci_upper": float(r.ci_upper)}
            for r in p.itertuples()]
