"""The study's analysis as runnable lavaan (R) and Mplus scripts, with the data they read.

:func:`build_study_scripts` retraces the steps of :func:`analysis.study.pipeline.analyze_study`
(scoring, the exclusions, reverse keying, the composites, the attenuation-corrected path
model, the tests of the hypotheses) and writes down, for each part, the model and the
options the analysis used; :func:`write_study_scripts` puts them in a directory:

* ``analysis.R`` -- one self-contained R script (lavaan, semTools): the measurement
  model (first- and second-order CFA, their difference test), the study's latent model
  that gives the verdicts of the path and mediation hypotheses (the same syntax and
  options as :mod:`analysis.study.latent_model`: MLR, FIML, cluster-robust by alliance,
  ``fixed.x = FALSE``, the Monte Carlo interval of each indirect effect) and its WLSMV
  robustness run with the items ordered, the composite path model with the ``:=``
  indirect and total effects (the composite robustness rows), the bootstrap of the
  composite mediation test, the moderation and quadratic regressions (HC3 or clustered
  SEs, as the report), and the invariance steps of the multigroup hypothesis.  It prints
  each table with lavaan's names; ``Rscript analysis.R --out DIR`` also writes them as CSV
  (what the tests compare).
* ``alliance_data.csv`` -- the scored data of the retained respondents (the same
  exclusions as the analysis; items already reverse-keyed, as the CFA reads them).
* ``mplus/*.inp`` and ``mplus/alliance_data.dat`` -- Mplus inputs of the same models
  (checked for Mplus's syntax rules, not run: Mplus is not available here).
* ``README.md`` -- what each part reproduces, and how.

# In R: source("analysis.R")
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError, ModelSpecificationError
from analysis.sem.export import mplus_input, mplus_model, mplus_names, r_value

__all__ = ["DATA_FILE", "MPLUS_DIR", "MPLUS_FILES", "PARTS", "SCRIPT_FILE", "StudyScripts", "build_study_scripts",
           "write_study_scripts"]

#: Name of the exported data file (read by the R script from its own directory).
DATA_FILE = "alliance_data.csv"
#: Name of the R script.
SCRIPT_FILE = "analysis.R"
#: Subfolder of the Mplus inputs, and the names written there whatever the hypotheses
#: (one ``<kind>_<id>.inp`` per hypothesis comes on top).
MPLUS_DIR = "mplus"
MPLUS_FILES = ("alliance_data.dat", "measurement.inp", "path_model.inp")
#: The parts of the R script, in order; ``--parts`` selects some of them.
PARTS = ("measurement", "latent", "latent_wlsmv", "path", "mediation", "moderation",
         "quadratic", "invariance")


@dataclass(frozen=True)
class StudyScripts:
    """Everything :func:`write_study_scripts` writes, as text and a data frame.

    Attributes
    ----------
    data : DataFrame
        The scored data of the retained respondents (the exported file).
    r_script : str
        The lavaan / semTools script.
    mplus : dict
        ``{file name: input text}`` plus ``"alliance_data.dat"``.
    readme : str
    path_syntax : str
        The structural model as exported (the analysis's model, with labels and ``:=``).
    path_cluster : str or None
        Column of ``data`` with the cluster ids of the path model and of the latent model
        (``cluster=``), when their standard errors are cluster-robust.
    latent_syntax : str
        The study's latent model as exported (:func:`analysis.study.latent_model.
        latent_model_spec` with the analysis's controls); empty when no hypothesis takes
        its verdict from it.
    parts : dict
        Per part, what it reproduces (``{part: [description, ...]}``), for the README.
    """

    data: pd.DataFrame
    r_script: str
    mplus: dict[str, str]
    readme: str
    path_syntax: str
    parts: dict[str, list[str]] = field(default_factory=dict)
    path_cluster: str | None = None
    latent_syntax: str = ""


#: Column of the exported data with the path model's cluster ids.
PATH_CLUSTER = "path_cluster"


# --------------------------------------------------------------------------------------
# what the analysis did
# --------------------------------------------------------------------------------------
def _labelled_path_model(syntax: str, hs: Any, d: pd.DataFrame) -> tuple[str, list[str]]:
    """The path model with labels on the paths of each mediation hypothesis and its effects.

    Labels change nothing in the estimates; they let lavaan (and our engine) report the
    indirect ``a*b`` and total ``c + a*b`` effect of the mediation through the model.
    """
    paths = hs.model_paths()
    labels: dict[tuple[str, str], str] = {}
    defined: list[str] = []
    for h in hs.hypotheses:
        if h.method != "mediation_bootstrap":
            continue
        p = h.parts()
        x, m, y = p["x"], p["m"], p["y"]
        if (m, x) not in paths or (y, m) not in paths:
            continue
        tag = h.id.lower()
        labels[(m, x)], labels[(y, m)] = f"a_{tag}", f"b_{tag}"
        defined.append(f"indirect_{tag} := a_{tag}*b_{tag}")
        if (y, x) in paths:
            labels[(y, x)] = f"c_{tag}"
            defined.append(f"total_{tag} := c_{tag} + a_{tag}*b_{tag}")
    out = []
    for line in syntax.splitlines():
        if "~" in line and "=~" not in line and "~~" not in line:
            lhs, rhs = (s.strip() for s in line.split("~", 1))
            terms = [t.strip() for t in rhs.split("+")]
            terms = [f"{labels[(lhs, t)]}*{t}" if (lhs, t) in labels else t for t in terms]
            line = f"{lhs} ~ {' + '.join(terms)}"
        out.append(line)
    return "\n".join([*out, *defined]) + "\n", defined


def _corrected_items(name: str, hs: Any, inst: Any) -> dict[str, Any]:
    """How the error variance of a corrected composite is formed (mirrors the runner)."""
    scales = {sid: [it.id for it in sc.items] for sid, sc in inst.scales.items()}
    if name == "jd_sum":
        return {"sum_of": {k: scales[k] for k in ("dep_own", "dep_partner")}}
    if name in hs.composites:
        return {"items": [i for p in hs.composites[name] for i in scales.get(p, [])]}
    return {"items": scales[name]}


def _study_context(data: pd.DataFrame, instrument: Any, hypotheses: Any) -> dict[str, Any]:
    from analysis.study.hypotheses import (
        _controls,
        _path_model,
        _path_model_clusters,
        composite_reliabilities,
        load_hypotheses,
        prepare_scores,
    )
    from analysis.study.measurement import _recode, _select_scales
    from analysis.study.scoring import score

    if not isinstance(data, pd.DataFrame) or data.empty:
        raise DataError("data= must be a non-empty DataFrame of survey answers.")
    if instrument is None:
        from instruments.instrument.loader import load_instrument

        instrument = load_instrument()
    hs = hypotheses if hasattr(hypotheses, "hypotheses") else load_hypotheses(hypotheses)
    scored = score(data, instrument)
    d, exclusions, full = prepare_scores(data, scored, hs, instrument)
    keep = ~full["exclude"].fillna(False).astype(bool).to_numpy() if "exclude" in full \
        else np.ones(len(full), dtype=bool)
    raw = data.reset_index(drop=True)
    blocks = _select_scales(instrument, None)
    items = [i for v in blocks.values() for i in v]
    absent = [i for i in items if i not in raw.columns]
    if absent:
        raise DataError(f"The data lack item(s) of the instrument: {', '.join(absent[:10])}"
                        f"{' ...' if len(absent) > 10 else ''}.")
    keyed = _recode(raw, instrument, blocks).loc[keep].reset_index(drop=True)
    base = [c for c in hs.controls if c in d.columns]
    rel = composite_reliabilities(raw.loc[keep], hs, instrument)
    variables = sorted({v for pair in hs.model_paths() for v in pair} | set(base))
    missing_vars = [v for v in variables if v not in d.columns]
    if missing_vars:
        raise DataError(f"Path model: variable(s) not in the data: {', '.join(missing_vars)}.")
    sub = d[variables].apply(pd.to_numeric, errors="coerce")
    corrected = []
    for c in variables:
        if c in base:
            continue
        ok = c in rel and np.isfinite(rel[c]) and 0 < rel[c] < 1
        if c == "jd_sum" and all(k in rel for k in ("dep_own", "dep_partner")):
            ok = True
        if ok:
            corrected.append(c)
    syntax = _path_model(hs, base, d)
    labelled, defined = _labelled_path_model(syntax, hs, d)
    # the exported frame: identifiers and groups, scores, then the reverse-keyed items
    score_cols = [c for c in dict.fromkeys([*instrument.scales, *hs.composites, "jd_sum",
                                            "asym_abs", "asym_signed", *base])
                  if c in d.columns]
    id_cols = [c for c in ("respondent_id", "alliance_id", "firm_role", "language",
                           "alliance_stage") if c in d.columns]
    others = sorted({v for h in hs.hypotheses for v in h.parts().values()
                     if v in d.columns and v not in score_cols and v not in id_cols
                     and not str(v).startswith("dyad_")})
    frame = pd.concat([d[id_cols + score_cols + others].reset_index(drop=True),
                       keyed[items].astype(float)], axis=1)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    # the path model's clusters as the analysis forms them (a row without an alliance id
    # is a cluster of its own), written into the data so that R uses the same ones
    clusters = _path_model_clusters(hs, d, "MLR", [])
    if clusters is not None:
        frame[PATH_CLUSTER] = clusters.to_numpy()
    return {
        "hs": hs, "instrument": instrument, "d": d, "frame": frame, "items": items,
        "blocks": blocks, "base": base, "corrected": corrected,
        "corrected_items": {c: _corrected_items(c, hs, instrument) for c in corrected},
        "syntax": syntax, "labelled": labelled, "defined": defined,
        "path_missing": "ml" if sub.isna().any().any() else "listwise",
        "path_cluster": None if clusters is None else PATH_CLUSTER,
        "exclusions": exclusions, "n_raw": int(len(full)), "controls_of": _controls,
    }


# --------------------------------------------------------------------------------------
# the R script
# --------------------------------------------------------------------------------------
_R_HEADER = r'''# Reproduces the alliance study's analysis with lavaan and semTools.
# Written by alliance-survey {version} (`alliance-survey export-script`).
#
#   Rscript {script}                       # all parts, tables printed
#   Rscript {script} --parts path,moderation --out results --bootstrap 200
#
# Provenance of the analysis this script reproduces:
{provenance}
#
# Reads {data} from the directory of this script (or the working directory): the scored
# data of the {n} retained respondents (of {n_raw}), reverse-keyed items included.
suppressPackageStartupMessages({{
  library(lavaan)
  library(semTools)
}})

options(width = 200)
args <- commandArgs(trailingOnly = TRUE)
opt <- list(parts = "{parts}", out = "", bootstrap = "{bootstrap}", seed = "{seed}")
i <- 1
while (i <= length(args)) {{
  key <- sub("^--", "", args[i])
  if (!key %in% names(opt) || i == length(args)) stop("Unknown or incomplete option: ", args[i])
  opt[[key]] <- args[i + 1]
  i <- i + 2
}}
PARTS <- strsplit(opt$parts, ",")[[1]]
B <- as.integer(opt$bootstrap)
SEED <- as.integer(opt$seed)
OUT <- opt$out
if (nzchar(OUT)) dir.create(OUT, showWarnings = FALSE, recursive = TRUE)

here <- tryCatch(dirname(normalizePath(sub("^--file=", "",
  grep("^--file=", commandArgs(FALSE), value = TRUE)[1]))), error = function(e) ".")
data_file <- file.path(here, "{data}")
if (!file.exists(data_file)) data_file <- "{data}"
dat <- read.csv(data_file, stringsAsFactors = FALSE)

# A table printed under a heading and, with --out, written as OUT/<name>.csv.
show <- function(name, x, title) {{
  cat("\n== ", title, " ==\n", sep = "")
  print(x, digits = 4, row.names = FALSE)
  if (nzchar(OUT)) write.csv(x, file.path(OUT, paste0(name, ".csv")), row.names = FALSE)
}}
fit_table <- function(fit) {{
  f <- fitMeasures(fit)
  data.frame(measure = names(f), value = as.numeric(f))
}}
# Cronbach's alpha from the pairwise item covariance matrix (as psych::alpha, raw_alpha).
cov_alpha <- function(items) {{
  s <- cov(items, use = "pairwise.complete.obs")
  k <- ncol(s)
  k / (k - 1) * (1 - sum(diag(s)) / sum(s))
}}
# OLS coefficients with HC3 standard errors (sandwich::vcovHC(fit, type = "HC3")), or,
# when some cluster has two of the rows used, cluster-robust CR1 standard errors
# (sandwich::vcovCL(fit, cluster, type = "HC1")) with t on G - 1 df, as the report.
ols_table <- function(fit, cluster = NULL) {{
  X <- model.matrix(fit)
  e <- residuals(fit)
  bread <- solve(crossprod(X))
  if (!is.null(cluster) && anyDuplicated(cluster) > 0) {{
    s <- rowsum(X * e, cluster)
    G <- nrow(s)
    n <- nrow(X)
    V <- bread %*% crossprod(s) %*% bread * (G / (G - 1)) * ((n - 1) / (n - ncol(X)))
    df <- G - 1
  }} else {{
    h <- hatvalues(fit)
    V <- bread %*% crossprod(X * (e / (1 - h))) %*% bread
    df <- fit$df.residual
  }}
  b <- coef(fit)
  se <- sqrt(diag(V))
  t <- b / se
  q <- qt(0.975, df)
  data.frame(term = names(b), estimate = b, se = se, t = t,
             pvalue = 2 * pt(abs(t), df, lower.tail = FALSE),
             ci_lower = b - q * se, ci_upper = b + q * se)
}}
'''


def _r_measurement(ctx: dict[str, Any], estimator: str) -> tuple[str, list[str]]:
    from analysis.study.measurement import LEARNING_SCALES, measurement_syntax

    inst, items, blocks = ctx["instrument"], ctx["items"], ctx["blocks"]
    first = measurement_syntax(inst, scales=list(blocks))
    second = (measurement_syntax(inst, scales=list(blocks), second_order=True)
              if all(s in blocks for s in LEARNING_SCALES) else None)
    frame = ctx["frame"]
    answered = frame[items].notna().any(axis=1)
    has_missing = bool(frame.loc[answered, items].isna().any().any())
    if estimator == "WLSMV":
        miss = "pairwise" if has_missing else "listwise"
        opts = f'ordered = items, estimator = "WLSMV", missing = "{miss}"'
    else:
        miss = "ml" if has_missing else "listwise"
        opts = f'estimator = "{estimator}", missing = "{miss}"'
    code = [
        "# ---- 1. Measurement model (report: 'Measurement model') ----------------------",
        f"items <- {r_value(items)}",
        "# respondents who answered none of the items are not in the CFA",
        "# (only the items: the scale scores carry the factors' names)",
        "dat_cfa <- dat[rowSums(!is.na(dat[, items])) > 0, items]",
        f"cfa_first <- {r_value(first)}",
        f"fit_first <- cfa(cfa_first, data = dat_cfa, {opts})",
        'show("cfa_first_fit", fit_table(fit_first), "First-order CFA: fit measures")',
        'show("cfa_first_params", parameterEstimates(fit_first, standardized = TRUE), '
        '"First-order CFA: parameter estimates")',
        # one row per factor (a transposed lavaan.vector prints as a corrupt data frame)
        "rel_first <- compRelSEM(fit_first)",
        'show("cfa_reliability", data.frame(factor = names(rel_first), '
        'omega = as.numeric(rel_first)), "Composite reliability (semTools::compRelSEM)")',
    ]
    told = [f"First-order CFA of all {len(blocks)} scales ({estimator}"
            f"{', items ordered' if estimator == 'WLSMV' else ''}, missing = {miss}): "
            "fit measures and loadings of the report's measurement section."]
    if second is not None:
        code += [
            f"cfa_second <- {r_value(second)}",
            f"fit_second <- cfa(cfa_second, data = dat_cfa, {opts})",
            'show("cfa_second_fit", fit_table(fit_second), "Second-order CFA: fit measures")',
            'show("cfa_order_test", as.data.frame(lavTestLRT(fit_first, fit_second)), '
            '"First- vs second-order learning (scaled difference test)")',
        ]
        told.append("Relationship learning as a second-order factor and the scaled "
                    "chi-square difference test against the first-order model.")
    return "\n".join(code), told


def _latent_spec(ctx: dict[str, Any]) -> Any:
    """The latent model as the analysis builds it (None without path/mediation verdicts)."""
    from analysis.study.hypotheses import LATENT_MODEL_METHODS
    from analysis.study.latent_model import latent_model_spec

    if not any(h.method in LATENT_MODEL_METHODS for h in ctx["hs"].hypotheses):
        return None
    spec = latent_model_spec(ctx["hs"], ctx["instrument"], controls=ctx["base"])
    absent = [c for c in spec.columns if c not in ctx["frame"].columns]
    if absent:
        raise DataError(f"Latent model: column(s) not in the exported data: "
                        f"{', '.join(absent)}.")
    return spec


def _r_latent(ctx: dict[str, Any], estimator: str) -> tuple[str, list[str]]:
    spec = ctx["latent"]
    if spec is None:
        return "", []
    est = "ML" if estimator == "ML" else "MLR"
    miss = "ml" if ctx["frame"][spec.columns].isna().any().any() else "listwise"
    clustered = ctx.get("path_cluster") is not None and est == "MLR"
    cols = [*spec.columns, *([ctx["path_cluster"]] if clustered else [])]
    cluster_arg = f", cluster = \"{ctx['path_cluster']}\"" if clustered else ""
    lines = [
        "# ---- 2. The latent model (report: the verdicts of the path and mediation",
        "#      hypotheses): reflective scales as factors of their reverse-keyed items,",
        "#      composite scales, dependence indices and controls as observed scores, the",
        "#      declared paths with the controls in every equation.  The observed exogenous",
        "#      scores are modelled (fixed.x = FALSE) and covary with the exogenous factors.",
        f"latent_model <- {r_value(spec.syntax)}",
        f"dat_latent <- dat[, {r_value(cols)}]",
        f"fit_latent <- sem(latent_model, data = dat_latent, estimator = \"{est}\", "
        f"missing = \"{miss}\"{cluster_arg}, fixed.x = FALSE)",
        "show(\"latent_fit\", fit_table(fit_latent), \"Latent model: fit measures\")",
        "show(\"latent_params\", parameterEstimates(fit_latent, standardized = TRUE), "
        "\"Latent model: parameter estimates (the verdicts are its labelled ~ and := rows)\")",
    ]
    told = [f"The study's latent model ({est}, missing = {miss}"
            + (f", cluster-robust SEs by alliance (cluster = {ctx['path_cluster']})"
               if clustered else "")
            + ", fixed.x = FALSE): the instrument's measurement model of the reflective "
            "scales plus the declared paths with the controls "
            f"({', '.join(ctx['base']) or 'none'}); its labelled `~` rows are the verdicts "
            "of the path hypotheses. lavaan takes about a quarter of an hour on the demo "
            "study (our engine seconds)."]
    if spec.defined:
        lines += [
            "set.seed(SEED)",
            "mc_latent <- monteCarloCI(fit_latent, nRep = B, level = 0.95)",
            "show(\"latent_indirect_mc\", data.frame(name = rownames(mc_latent), "
            "as.data.frame(mc_latent), row.names = NULL),",
            "     paste0(\"Indirect effects: Monte Carlo CIs (\", B, \" draws)\"))",
        ]
        told.append("Indirect effects (`:=`): "
                    + "; ".join(f"{n} := {spec.labels[(m, x)]}*{spec.labels[(y, m)]}"
                                for n, x, m, y in spec.defined.values())
                    + ", with the Monte Carlo CI (semTools::monteCarloCI: the paths drawn "
                    "from their cluster-robust covariance) that gives the mediation "
                    "verdicts; it agrees with the report's within Monte Carlo error (R's "
                    "and our random draws differ).")
    return "\n".join(lines), told


def _r_latent_wlsmv(ctx: dict[str, Any]) -> tuple[str, list[str]]:
    spec = ctx["latent"]
    if spec is None:
        return "", []
    items = list(dict.fromkeys(i for v in spec.items.values() for i in v))
    miss = "pairwise" if ctx["frame"][spec.columns].isna().any().any() else "listwise"
    lines = [
        "# ---- 3. The latent model with the items as ordered categories (WLSMV robustness",
        "#      run, reported beside each latent verdict): delta parameterization, the",
        "#      scores continuous and modelled with the rest, SEs not clustered.",
        f"latent_model <- {r_value(spec.syntax)}",
        f"latent_items <- {r_value(items)}",
        f"dat_latent <- dat[, {r_value(spec.columns)}]",
        "fit_latent_wlsmv <- sem(latent_model, data = dat_latent, ordered = latent_items, "
        f"estimator = \"WLSMV\", missing = \"{miss}\", fixed.x = FALSE, "
        "conditional.x = FALSE)",
        "show(\"latent_wlsmv_fit\", fit_table(fit_latent_wlsmv), "
        "\"Latent model, ordered items (WLSMV): fit measures\")",
        "show(\"latent_wlsmv_params\", parameterEstimates(fit_latent_wlsmv, "
        "standardized = TRUE), \"Latent model, ordered items (WLSMV): parameter estimates\")",
    ]
    if spec.defined:
        lines += [
            "set.seed(SEED)",
            "mc_wlsmv <- monteCarloCI(fit_latent_wlsmv, nRep = B, level = 0.95)",
            "show(\"latent_wlsmv_indirect_mc\", data.frame(name = rownames(mc_wlsmv), "
            "as.data.frame(mc_wlsmv), row.names = NULL),",
            "     paste0(\"Indirect effects, WLSMV: Monte Carlo CIs (\", B, \" draws)\"))",
        ]
    told = [f"The same latent model with its {len(items)} items ordered (WLSMV, missing = "
            f"{miss}, fixed.x = FALSE, conditional.x = FALSE): the robustness entry "
            "(`robustness.wlsmv`) of each path and mediation verdict."]
    return "\n".join(lines), told


def _r_path(ctx: dict[str, Any], estimator: str) -> tuple[str, list[str]]:
    est = "MLR" if estimator == "WLSMV" else estimator
    clustered = ctx.get("path_cluster") is not None and est == "MLR"
    # both members of a dyad are rows: cluster-robust SEs and test by alliance
    cluster_arg = f", cluster = \"{ctx['path_cluster']}\"" if clustered else ""
    lines = ["# ---- 4. Composite path model (the composite robustness rows of the path and",
             "#      mediation verdicts; report: 'Structural model') ---------------------------",
             "# Each scale score / composite is the single indicator of a latent variable whose",
             "# error variance is fixed at (1 - alpha) var(score) (Bollen 1989); jd_sum gets the",
             "# sum of the error variances of the two dependence scales.",
             "err_var <- c()"]
    for name, spec in ctx["corrected_items"].items():
        if "sum_of" in spec:
            terms = [f"(1 - cov_alpha(dat[, {r_value(v)}])) * var(dat${k}, na.rm = TRUE)"
                     for k, v in spec["sum_of"].items()]
            lines.append(f"err_var[\"{name}\"] <- {' + '.join(terms)}")
        else:
            lines.append(f"err_var[\"{name}\"] <- (1 - cov_alpha(dat[, {r_value(spec['items'])}]))"
                         f" * var(dat${name}, na.rm = TRUE)")
    lines += [
        "# the corrected scores enter as <name>__obs; <name> is the latent variable",
        "dat_path <- dat",
        "for (v in names(err_var)) {",
        "  dat_path[[paste0(v, \"__obs\")]] <- dat_path[[v]]",
        "  dat_path[[v]] <- NULL",
        "}",
        f"path_model <- {r_value(ctx['labelled'])}",
        "path_model <- paste0(path_model, paste0(names(err_var), \" =~ 1*\", names(err_var),",
        "  \"__obs\\n\", names(err_var), \"__obs ~~ \", sprintf(\"%.17g\", err_var), \"*\",",
        "  names(err_var), \"__obs\", collapse = \"\\n\"))",
        f"fit_path <- sem(path_model, data = dat_path, estimator = \"{est}\", "
        f"missing = \"{ctx['path_missing']}\"{cluster_arg})",
        "show(\"path_error_variances\", data.frame(variable = names(err_var), "
        "error_variance = as.numeric(err_var)), \"Fixed error variances\")",
        "show(\"path_fit\", fit_table(fit_path), \"Path model: fit measures\")",
        "show(\"path_params\", parameterEstimates(fit_path, standardized = TRUE), "
        "\"Path model: parameter estimates (H1-H3, H6a, H8, H9 are its ~ rows)\")",
        "show(\"path_r2\", data.frame(variable = names(inspect(fit_path, \"r2\")), "
        "r2 = as.numeric(inspect(fit_path, \"r2\"))), \"Path model: R-squared\")",
    ]
    told = [f"The composite path model of hypotheses.yaml with the controls "
            f"({', '.join(ctx['base']) or 'none'}) in every equation, {est}, "
            f"missing = {ctx['path_missing']}"
            + (f", cluster-robust SEs by alliance (cluster = {ctx['path_cluster']})"
               if clustered else "")
            + f", attenuation-corrected single indicators for "
            f"{', '.join(ctx['corrected'])}; its `~` rows are the report's structural table "
            "and the composite robustness rows of the path verdicts."]
    if ctx["defined"]:
        told.append("Defined effects (`:=`): " + "; ".join(ctx["defined"]) + ".")
    return "\n".join(lines), told


def _mediation_model(h: Any, ctx: dict[str, Any]) -> tuple[str, list[str]]:
    p = h.parts()
    ctr = ctx["controls_of"](h, ctx["base"], ctx["d"], [p["x"], p["m"], p["y"]])
    extra = "".join(f" + {c}" for c in ctr)
    model = (f"{p['m']} ~ a*{p['x']}{extra}\n{p['y']} ~ b*{p['m']} + c*{p['x']}{extra}\n"
             "indirect := a*b\ntotal := c + a*b\n")
    return model, [p["x"], p["m"], p["y"], *ctr]


def _r_mediation(ctx: dict[str, Any]) -> tuple[str, list[str]]:
    lines = ["# ---- 5. Composite mediation with a percentile bootstrap (the mediation",
             "#      verdicts' composite robustness rows; report: 'Mediation') --------------"]
    told = []
    for h in ctx["hs"].hypotheses:
        if h.method != "mediation_bootstrap":
            continue
        model, used = _mediation_model(h, ctx)
        tag = h.id.lower()
        lines += [
            f"d_{tag} <- dat[complete.cases(dat[, {r_value(used)}]), ]",
            f"med_{tag} <- {r_value(model)}",
            f"fit_{tag} <- sem(med_{tag}, data = d_{tag}, estimator = \"ML\")",
            f"show(\"mediation_{tag}_params\", parameterEstimates(fit_{tag}), "
            f"\"{h.id}: mediation, ML estimates and delta-method SEs\")",
            "set.seed(SEED)",
            f"boot_{tag} <- sem(med_{tag}, data = d_{tag}, estimator = \"ML\", "
            "se = \"bootstrap\", bootstrap = B)",
            f"show(\"mediation_{tag}_boot\", parameterEstimates(boot_{tag}, "
            "boot.ci.type = \"perc\"),",
            f"     paste0(\"{h.id}: percentile bootstrap CIs (\", B, \" draws)\"))",
        ]
        told.append(f"{h.id} ({h.test}): the composite mediation model on the complete "
                    "cases of its variables, ML, and the percentile bootstrap CI of the "
                    "indirect effect (the robustness row of the latent verdict). "
                    "Bootstrap intervals agree with the report's within Monte Carlo error "
                    "(R's and our random draws differ).")
    return "\n".join(lines), told


def _r_cluster(ctx: dict[str, Any], tag: str) -> str:
    """The cluster argument of ``ols_table`` (the path model's clusters), or nothing."""
    return f", cluster = d_{tag}${ctx['path_cluster']}" if ctx.get("path_cluster") else ""


def _se_words(ctx: dict[str, Any]) -> str:
    """The SEs of the exported OLS tests, in words."""
    return ("CR1 SEs clustered as the path model where a cluster has two rows, else HC3"
            if ctx.get("path_cluster") else "HC3 SEs")


def _r_moderation(ctx: dict[str, Any]) -> tuple[str, list[str]]:
    lines = ["# ---- 6. Moderation: OLS on mean-centred predictors (report: 'Moderation') --------"]
    told = []
    for h in ctx["hs"].hypotheses:
        if h.method not in ("moderation", "latent_moderation"):
            continue
        p = h.parts()
        ctr = ctx["controls_of"](h, ctx["base"], ctx["d"], [p["x"], p["m"], p["y"]])
        tag = h.id.lower()
        used = [p["y"], p["x"], p["m"], *ctr]
        rhs = " + ".join([p["x"], p["m"], f"{p['x']}:{p['m']}", *ctr])
        lines += [
            f"d_{tag} <- dat[complete.cases(dat[, {r_value(used)}]), ]",
            f"d_{tag}${p['x']} <- d_{tag}${p['x']} - mean(d_{tag}${p['x']})",
            f"d_{tag}${p['m']} <- d_{tag}${p['m']} - mean(d_{tag}${p['m']})",
            f"fit_{tag} <- lm({p['y']} ~ {rhs}, data = d_{tag})",
            f"show(\"moderation_{tag}\", ols_table(fit_{tag}{_r_cluster(ctx, tag)}), "
            f"\"{h.id}: {h.test} (centred, {_se_words(ctx)})\")",
        ]
        told.append(f"{h.id} ({h.test}): the moderated regression with {_se_words(ctx)} "
                    "(the interaction row is the verdict's estimate). The "
                    "latent-interaction alternative is not exported.")
    return "\n".join(lines), told


def _r_quadratic(ctx: dict[str, Any]) -> tuple[str, list[str]]:
    lines = ["# ---- 7. Inverted U: quadratic regression (report: 'Quadratic') ------------------"]
    told = []
    for h in ctx["hs"].hypotheses:
        if h.method not in ("quadratic", "latent_quadratic"):
            continue
        p = h.parts()
        ctr = ctx["controls_of"](h, ctx["base"], ctx["d"], [p["x"], p["y"]])
        tag = h.id.lower()
        used = [p["y"], p["x"], *ctr]
        x = p["x"]
        rhs = " + ".join([x, f"I({x}^2)", *ctr])
        lines += [
            f"d_{tag} <- dat[complete.cases(dat[, {r_value(used)}]), ]",
            f"fit_{tag} <- lm({p['y']} ~ {rhs}, data = d_{tag})",
            f"tab_{tag} <- ols_table(fit_{tag}{_r_cluster(ctx, tag)})",
            f"show(\"quadratic_{tag}\", tab_{tag}, \"{h.id}: {h.test} ({_se_words(ctx)})\")",
            f"b_{tag} <- setNames(tab_{tag}$estimate, tab_{tag}$term)",
            f"cat(\"{h.id} turning point:\", -b_{tag}[\"{x}\"] / (2 * b_{tag}[\"I({x}^2)\"]), "
            "\"\\n\")",
        ]
        told.append(f"{h.id} ({h.test}): the quadratic regression with {_se_words(ctx)} and the "
                    "turning point -b1 / (2 b2); the Lind-Mehlum test uses the slopes at the "
                    "smallest and largest observed value (see the report).")
    return "\n".join(lines), told


def _r_invariance(ctx: dict[str, Any]) -> tuple[str, list[str]]:
    lines = ["# ---- 8. Measurement invariance of the multigroup comparison (report: H11) ----"]
    told = []
    inst = ctx["instrument"]
    for h in ctx["hs"].hypotheses:
        if h.method != "multigroup":
            continue
        p = h.parts()
        a, b, g = p["a"], p["b"], p["g"]
        if a not in inst.scales or b not in inst.scales:
            continue
        blocks = {s: [it.id for it in inst.scales[s].items] for s in (a, b)}
        model = "\n".join(f"{s} =~ {' + '.join(v)}" for s, v in blocks.items())
        cols = [c for v in blocks.values() for c in v]
        tag = h.id.lower()
        miss = "ml" if ctx["frame"].loc[ctx["frame"][g].notna(), cols].isna().any().any() \
            else "listwise"
        lines += [
            f"d_{tag} <- dat[!is.na(dat${g}), {r_value([*cols, g])}]",
            f"inv_{tag} <- {r_value(model)}",
            f"lv_{tag} <- list(configural = \"\", metric = \"loadings\", "
            "scalar = c(\"loadings\", \"intercepts\"))",
            f"fits_{tag} <- lapply(lv_{tag}, function(eq) cfa(inv_{tag}, data = d_{tag}, "
            f"group = \"{g}\", estimator = \"MLR\", missing = \"{miss}\", group.equal = eq))",
            f"show(\"invariance_{tag}\", do.call(rbind, lapply(names(fits_{tag}), function(n)",
            f"  data.frame(level = n, as.list(unclass(fitMeasures(fits_{tag}[[n]], c(\"npar\", \"chisq\", "
            "\"df\", \"chisq.scaled\", \"pvalue.scaled\", \"cfi\", \"cfi.robust\", \"rmsea\", "
            "\"rmsea.robust\", \"srmr\"))))))),",
            f"  \"{h.id}: configural, metric and scalar invariance of {a} and {b} by {g}\")",
            f"print(lavTestLRT(fits_{tag}$configural, fits_{tag}$metric, fits_{tag}$scalar))",
        ]
        told.append(f"{h.id}: configural, metric and scalar invariance of {a} and {b} across "
                    f"{g} (MLR, missing = {miss}), as the note of {h.id} reports.")
    return "\n".join(lines), told


# --------------------------------------------------------------------------------------
# Mplus
# --------------------------------------------------------------------------------------
def _mplus_files(ctx: dict[str, Any], estimator: str, bootstrap: int) -> dict[str, str]:
    frame = ctx["frame"].copy()
    codes: dict[str, dict[int, str]] = {}
    for c in list(frame.columns):
        if not pd.api.types.is_numeric_dtype(frame[c]):
            cat = pd.Categorical(frame[c].astype("string"))
            if len(cat.categories) > 50:  # free-text identifiers are not analysed
                frame = frame.drop(columns=c)
                continue
            frame[c] = cat.codes.astype(float) + 1
            frame.loc[cat.codes < 0, c] = np.nan
            codes[c] = {i + 1: str(v) for i, v in enumerate(cat.categories)}
    for name in ctx["corrected"]:
        frame[f"{name}__obs"] = frame[name]
    names = mplus_names([*frame.columns, *ctx["blocks"], "relationship_learning",
                         "x_by_m", "x_sq"])
    all_names = [names[c] for c in frame.columns]
    note = [f"Mplus names: {', '.join(f'{k}={v}' for k, v in names.items() if k != v)}"]
    note = [note[0][i:i + 86] for i in range(0, len(note[0]), 86)]
    common = {"data_file": "alliance_data.dat", "names": all_names}
    files: dict[str, str] = {}
    dat = frame.to_csv(sep=" ", header=False, index=False, na_rep="-999",
                       float_format="%.10g")
    files["alliance_data.dat"] = dat

    from analysis.study.measurement import measurement_syntax

    items = ctx["items"]
    model, _ = mplus_model(measurement_syntax(ctx["instrument"], scales=list(ctx["blocks"])),
                           names)
    files["measurement.inp"] = mplus_input(
        title="Measurement model: first-order CFA of all scales", usevariables=[
            names[i] for i in items], model=model, estimator=estimator,
        categorical=[names[i] for i in items] if estimator == "WLSMV" else (),
        comments=note, **common)

    # path model: Mplus fixes nothing from the sample, so the error variances are written
    # as the numbers the analysis used
    ev = _error_variances_py(ctx)
    path = ctx["labelled"] + "".join(f"{k} =~ 1*{k}__obs\n{k}__obs ~~ {v!r}*{k}__obs\n"
                                     for k, v in ev.items())
    model, constraint = mplus_model(path, names)
    est = "MLR" if estimator == "WLSMV" else estimator
    used = sorted({st for st in _observed(path, ctx)})
    files["path_model.inp"] = mplus_input(
        title="Structural path model with attenuation-corrected single indicators",
        usevariables=[names[v] for v in used], model=model, constraint=constraint,
        estimator=est, comments=note, **common)
    for h in ctx["hs"].hypotheses:
        tag = h.id.lower()
        p = h.parts()
        if h.method == "mediation_bootstrap":
            med, used = _mediation_model(h, ctx)
            model, constraint = mplus_model(med, names)
            files[f"mediation_{tag}.inp"] = mplus_input(
                title=f"{h.id}: mediation {h.test}", usevariables=[names[v] for v in used],
                model=model, constraint=constraint, estimator="ML",
                analysis=[f"BOOTSTRAP = {int(bootstrap)};"],
                output=("CINTERVAL(BOOTSTRAP)",), comments=note, **common)
        elif h.method in ("moderation", "latent_moderation"):
            ctr = ctx["controls_of"](h, ctx["base"], ctx["d"], [p["x"], p["m"], p["y"]])
            x, m, y = names[p["x"]], names[p["m"]], names[p["y"]]
            xm = names["x_by_m"]
            files[f"moderation_{tag}.inp"] = mplus_input(
                title=f"{h.id}: moderation {h.test}",
                usevariables=[y, x, m, *[names[c] for c in ctr], xm],
                define=[f"CENTER {x} {m} (GRANDMEAN);", f"{xm} = {x}*{m};"],
                model=[f"{y} ON {x} {m} {xm} {' '.join(names[c] for c in ctr)};"],
                estimator="ML", comments=[*note, "OLS with HC3 or clustered SEs in the report; Mplus: ML "
                                          "SEs (listwise: add LISTWISE = ON in DATA)."],
                **common)
        elif h.method in ("quadratic", "latent_quadratic"):
            ctr = ctx["controls_of"](h, ctx["base"], ctx["d"], [p["x"], p["y"]])
            x, y, x2 = names[p["x"]], names[p["y"]], names["x_sq"]
            files[f"quadratic_{tag}.inp"] = mplus_input(
                title=f"{h.id}: quadratic {h.test}",
                usevariables=[y, x, *[names[c] for c in ctr], x2], define=[f"{x2} = {x}*{x};"],
                model=[f"{y} ON {x} (b1);", f"{y} ON {x2} (b2);",
                       *[f"{y} ON {names[c]};" for c in ctr]],
                constraint=["NEW(turn);", "turn = -b1/(2*b2);"], estimator="ML",
                comments=note, **common)
        elif h.method == "multigroup" and p["a"] in ctx["instrument"].scales \
                and p["b"] in ctx["instrument"].scales and p["g"] in frame.columns:
            inst = ctx["instrument"]
            blocks = {s: [it.id for it in inst.scales[s].items] for s in (p["a"], p["b"])}
            syn = "\n".join(f"{s} =~ {' + '.join(v)}" for s, v in blocks.items())
            model, _ = mplus_model(syn, names)
            g = p["g"]
            levels = sorted(pd.to_numeric(frame[g], errors="coerce").dropna().unique())
            labels = {int(v): codes.get(g, {}).get(int(v), f"g{int(v)}") for v in levels}
            labels = {k: "".join(ch for ch in str(v) if ch.isalnum())[:8] or f"g{k}"
                      for k, v in labels.items()}
            files[f"invariance_{tag}.inp"] = mplus_input(
                title=f"{h.id}: invariance of {p['a']} and {p['b']} by {g}",
                usevariables=[names[c] for v in blocks.values() for c in v],
                grouping=(names[g], labels), model=model, estimator="MLR",
                analysis=["MODEL = CONFIGURAL METRIC SCALAR;"], comments=note, **common)
    return files


def _error_variances_py(ctx: dict[str, Any]) -> dict[str, float]:
    """The fixed error variances, computed as the analysis computes them."""
    from analysis.study.hypotheses import _alpha

    frame = ctx["frame"]
    out: dict[str, float] = {}
    for name, spec in ctx["corrected_items"].items():
        if "sum_of" in spec:
            out[name] = float(sum((1 - _alpha(frame[v])) * float(frame[k].var(ddof=1))
                                  for k, v in spec["sum_of"].items()))
        else:
            out[name] = (1 - _alpha(frame[spec["items"]])) * float(frame[name].var(ddof=1))
    return out


def _observed(path: str, ctx: dict[str, Any]) -> set[str]:
    from analysis.sem.syntax import parse_model

    latent = set(ctx["corrected"])
    out: set[str] = set()
    for st in parse_model(path):
        if st.op == ":=":
            continue
        for v in (st.lhs, st.rhs):
            if v and v not in latent:
                out.add(v)
    return out


# --------------------------------------------------------------------------------------
# front doors
# --------------------------------------------------------------------------------------
def build_study_scripts(
    data: pd.DataFrame,
    *,
    instrument: Any = None,
    hypotheses: Any = None,
    estimator: str = "WLSMV",
    bootstrap: int = 1000,
    seed: int = 2026,
    provenance: dict[str, Any] | None = None,
) -> StudyScripts:
    """The study's R script, Mplus inputs, README and data, as text (nothing written).

    Parameters
    ----------
    data : DataFrame
        Canonical wide survey data (raw codes), as given to ``analyze_study``.
    instrument, hypotheses
        As in :func:`analysis.study.pipeline.analyze_study`.
    estimator : {"WLSMV", "MLR", "ML"}
        Estimator of the measurement model (the path model uses MLR for WLSMV).
    bootstrap : int
        Bootstrap draws of the mediation test (the R script's default ``--bootstrap``).
    seed : int
        Seed of R's bootstrap (``set.seed``); R draws other resamples than our engine.
    provenance : dict, optional
        Extra lines for the script's header (e.g. the data file's SHA-256).

    Returns
    -------
    StudyScripts
    """
    from analysis import __version__
    from analysis.study.pipeline import data_sha256

    if estimator not in ("WLSMV", "MLR", "ML"):
        raise ModelSpecificationError(
            f"estimator={estimator!r} is not known; use 'WLSMV', 'MLR' or 'ML'.")
    if isinstance(bootstrap, bool) or int(bootstrap) < 2:
        raise ModelSpecificationError(f"bootstrap= must be at least 2 (got {bootstrap!r}).")
    ctx = _study_context(data, instrument, hypotheses)
    ctx["latent"] = _latent_spec(ctx)
    inst, hs = ctx["instrument"], ctx["hs"]
    prov = {
        "instrument": f"{getattr(inst, 'id', None)} {getattr(inst, 'version', None)} "
                      f"sha256 {getattr(inst, 'content_hash', None)}",
        "hypotheses": f"{hs.id} version {hs.version} sha256 {hs.sha256}",
        "input data fingerprint": data_sha256(data),
        "exported data fingerprint": data_sha256(ctx["frame"]),
        "seed": str(seed), "measurement estimator": estimator,
        **(provenance or {}),
    }
    parts_code: list[str] = []
    told: dict[str, list[str]] = {}
    builders = {
        "measurement": lambda: _r_measurement(ctx, estimator),
        "latent": lambda: _r_latent(ctx, estimator),
        "latent_wlsmv": lambda: _r_latent_wlsmv(ctx),
        "path": lambda: _r_path(ctx, estimator),
        "mediation": lambda: _r_mediation(ctx),
        "moderation": lambda: _r_moderation(ctx),
        "quadratic": lambda: _r_quadratic(ctx),
        "invariance": lambda: _r_invariance(ctx),
    }
    for part in PARTS:
        code, what = builders[part]()
        told[part] = what
        if not what:
            continue
        body = "\n".join("  " + ln if ln else ln for ln in code.splitlines())
        parts_code.append(f"if (\"{part}\" %in% PARTS) {{\n{body}\n}}\n")
    header = _R_HEADER.format(
        version=__version__, script=SCRIPT_FILE, data=DATA_FILE, n=len(ctx["frame"]),
        n_raw=ctx["n_raw"], parts=",".join(p for p in PARTS if told.get(p)),
        bootstrap=int(bootstrap), seed=int(seed),
        provenance="\n".join(f"#   {k}: {v}" for k, v in prov.items()))
    r_script = header + "\n" + "\n".join(parts_code) + "cat(\"\\nDone.\\n\")\n"
    mplus = _mplus_files(ctx, estimator, bootstrap)
    readme = _readme(ctx, told, prov, estimator, bootstrap, seed, sorted(mplus))
    return StudyScripts(data=ctx["frame"], r_script=r_script, mplus=mplus, readme=readme,
                        path_syntax=ctx["labelled"], parts=told,
                        path_cluster=ctx["path_cluster"] if estimator != "ML" else None,
                        latent_syntax=ctx["latent"].syntax if ctx["latent"] else "")


def _readme(ctx: dict[str, Any], told: dict[str, list[str]], prov: dict[str, str],
            estimator: str, bootstrap: int, seed: int, mplus: Sequence[str]) -> str:
    excl = ", ".join(f"{k}: {v}" for k, v in ctx["exclusions"].items() if k != "total")
    lines = [
        "# The alliance study's analysis as runnable scripts", "",
        "Written by `alliance-survey export-script`. The numbers these scripts print are "
        "those of the alliance-survey report for the same data (estimates and standard "
        "errors within 1e-3 absolute or 0.5 % relative, fit indices within 1e-3, "
        "chi-square within 0.1 %, bootstrap intervals within Monte Carlo error); the test "
        "suite runs the R script on the demo study and checks this.", "",
        "## Files", "",
        f"* `{SCRIPT_FILE}` -- lavaan / semTools (R >= 4, lavaan 0.6). Run "
        f"`Rscript {SCRIPT_FILE}`; options `--parts {','.join(PARTS)}`, `--out DIR` (each "
        f"table also as DIR/<name>.csv), `--bootstrap {bootstrap}`, `--seed {seed}`. The "
        "measurement part (WLSMV on all items as ordered) takes lavaan minutes and the "
        "latent model (MLR, FIML, cluster-robust) about a quarter of an hour on the demo "
        "study; `--parts path,mediation,moderation,quadratic,invariance` runs in seconds.",
        f"* `{DATA_FILE}` -- the {len(ctx['frame'])} retained respondents of {ctx['n_raw']} "
        f"({ctx['exclusions'].get('total', 0)} excluded by the analysis's rules"
        f"{': ' + excl if excl else ''}): identifiers and groups, scale scores (mean of the "
        "answered items after reverse keying), the composites and dependence indices, the "
        "controls, and every item already reverse-keyed.",
        "* `mplus/` -- Mplus inputs of the same models and `alliance_data.dat` (missing = "
        "-999, text columns coded 1, 2, ... in sorted order). **Untested against Mplus "
        "itself** (not available where this package is tested): they are checked for "
        "Mplus's syntax rules (names of at most 8 characters, lines of at most 90, every "
        "statement closed) only. The moderation and quadratic inputs use ML standard "
        "errors, not the report's HC3 or clustered ones. Files: " + ", ".join(f"`{m}`" for m in mplus) + ".", "",
        "## What each part reproduces", "",
    ]
    titles = {"measurement": "Measurement model",
              "latent": "The latent model (verdicts of the path and mediation hypotheses)",
              "latent_wlsmv": "The latent model with ordered items (WLSMV robustness run)",
              "path": "Composite path model (robustness rows)",
              "mediation": "Composite mediation (bootstrap; robustness rows)", "moderation": "Moderation",
              "quadratic": "Inverted U", "invariance": "Measurement invariance (multigroup)"}
    for part in PARTS:
        if told.get(part):
            lines += [f"### `{part}`: {titles[part]}", "", *[f"* {t}" for t in told[part]], ""]
    lines += ["## Not exported", "",
              "* The latent-interaction alternative of the moderation hypotheses, the "
              "response-surface check of H2, the dyadic analysis (H10), reliability and "
              "validity tables (HTMT, Fornell-Larcker), method-variance checks and the "
              "invariance of the measurement section by firm_role and language: see the "
              "report.",
              "* The latent model and its WLSMV run in Mplus (the R script has them).", "",
              "## Provenance", "", *[f"* {k}: `{v}`" for k, v in prov.items()], ""]
    return "\n".join(lines)


def write_study_scripts(
    data: pd.DataFrame,
    out: str | Path,
    *,
    to: Sequence[str] = ("lavaan", "mplus"),
    **kwargs: Any,
) -> dict[str, Path]:
    """Write the scripts of :func:`build_study_scripts` into the directory ``out``.

    Parameters
    ----------
    data : DataFrame
    out : path
        Directory (created; files of the same names are replaced).
    to : sequence of {"lavaan", "mplus"}
    **kwargs
        Passed to :func:`build_study_scripts`.

    Returns
    -------
    dict
        ``{role: path}`` of the files written.
    """
    unknown = [t for t in to if t not in ("lavaan", "mplus")]
    if unknown or not to:
        raise ModelSpecificationError(
            f"to= must name 'lavaan' and/or 'mplus' (got {list(to)!r}).")
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise DataError(f"--out {root} exists and is not a directory.")
    scripts = build_study_scripts(data, **kwargs)
    from analysis.io import atomic_path

    def write(path: Path, text: str) -> None:
        # each file complete or not at all (an error or Ctrl-C half-way keeps the old one)
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")

    planned = [root / DATA_FILE, root / "README.md", root / "parts.json"]
    if "lavaan" in to:
        planned.append(root / SCRIPT_FILE)
    if "mplus" in to:
        planned += [root / MPLUS_DIR / name for name in scripts.mplus]
    for path in planned:  # every name, before the first file is written
        blocked = next((f for f in (path.parent, path.parent.parent)
                        if f.exists() and not f.is_dir()), None)
        if blocked is not None or path.is_dir():
            what = (f"{blocked} is a file where a folder is needed" if blocked is not None
                    else f"{path} is a folder where a file is written")
            raise DataError(f"Cannot write the scripts into {root}: {what}; nothing was "
                            "written. Move it or choose another folder.")
    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    with atomic_path(root / DATA_FILE) as tmp:
        scripts.data.to_csv(tmp, index=False)
    files["data"] = root / DATA_FILE
    if "lavaan" in to:
        write(root / SCRIPT_FILE, scripts.r_script)
        files["lavaan"] = root / SCRIPT_FILE
    if "mplus" in to:
        mdir = root / MPLUS_DIR
        mdir.mkdir(exist_ok=True)
        for name, text in scripts.mplus.items():
            write(mdir / name, text)
            files[f"mplus:{name}"] = mdir / name
    write(root / "README.md", scripts.readme)
    files["readme"] = root / "README.md"
    write(root / "parts.json", json.dumps(scripts.parts, indent=2))
    return files
