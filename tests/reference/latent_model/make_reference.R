# Reference values for the study's latent model (analysis.study.latent_model) on the
# demo data: the instrument's measurement model (reflective scales as factors, the
# learning dimensions under a second-order factor, composite scales as scores) plus
# the declared paths with controls, the indirect effect as a defined parameter.
#
# Inputs, written by tests/reference/latent_model/make_inputs.py from
# data/demo/alliance_demo.csv (retained respondents, reverse-keyed items, scores):
#   model_demo.lav     the study's model, as analysis.study.latent_model generates it
#   model_small.lav    the same construction for small_hypotheses.yaml (fast test)
#   demo_latent.csv    the models' data (+ alliance_id)
# Run from the repository root (the demo model takes minutes in lavaan):
#   Rscript tests/reference/latent_model/make_reference.R [small] [demo]
# Made with R 4.2.2, lavaan 0.6.14, semTools 0.5.6, jsonlite 1.8.4.
# Writes: tests/reference/latent_model/reference_<name>.json
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")

dir <- "tests/reference/latent_model"
d <- read.csv(file.path(dir, "demo_latent.csv"), na.strings = "")
which <- commandArgs(trailingOnly = TRUE)
if (length(which) == 0) which <- c("small", "demo")

for (name in which) {
  model <- paste(readLines(file.path(dir, paste0("model_", name, ".lav"))), collapse = "\n")
  t0 <- proc.time()[["elapsed"]]
  fit <- sem(model, data = d, estimator = "MLR", missing = "ml", cluster = "alliance_id",
             fixed.x = FALSE)
  elapsed <- proc.time()[["elapsed"]] - t0
  pe <- parameterEstimates(fit, standardized = TRUE)
  fm <- fitMeasures(fit)
  # Monte Carlo interval of the indirect effect(s) from the cluster-robust ACM
  set.seed(20261205)
  mc <- monteCarloCI(fit, nRep = 20000, level = 0.95)
  out <- list(
    lavaan_version = as.character(packageVersion("lavaan")),
    semtools_version = as.character(packageVersion("semTools")),
    call = "sem(model, data = d, estimator = 'MLR', missing = 'ml', cluster = 'alliance_id', fixed.x = FALSE)",
    seconds = elapsed,
    converged = lavInspect(fit, "converged"),
    ntotal = lavInspect(fit, "ntotal"),
    nclusters = fit@Data@Lp[[1]]$nclusters[[2]],
    estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, label = pe$label,
                     est = pe$est, se = pe$se, pvalue = pe$pvalue,
                     std_all = pe$std.all),
    monte_carlo = list(name = rownames(mc), est = mc$est, ci_lower = mc$ci.lower,
                       ci_upper = mc$ci.upper, nrep = 20000),
    fit_measures = as.list(fm[c("npar", "logl", "chisq", "df", "chisq.scaled",
                                "chisq.scaling.factor", "cfi", "tli", "rmsea", "srmr",
                                "cfi.robust", "tli.robust", "rmsea.robust", "aic", "bic")])
  )
  writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"),
             file.path(dir, paste0("reference_", name, ".json")))
  cat(name, "lavaan fit:", elapsed, "s\n")
}
