# Reference values for the study's latent model (analysis.study.latent_model) on the
# demo data: the instrument's measurement model (reflective scales as factors, the
# learning dimensions under a second-order factor, composite scales as scores) plus
# the declared paths with controls, the indirect effect as a defined parameter.
#
# Inputs, written by the Python side from data/demo/alliance_demo.csv (retained
# respondents, reverse-keyed items, scale scores):
#   tests/reference/latent_model/model.lav        the model syntax, as generated
#   tests/reference/latent_model/demo_latent.csv  the model's data (+ alliance_id)
# Run from the repository root:
#   Rscript tests/reference/latent_model/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, jsonlite 1.8.4.
# Writes: tests/reference/latent_model/reference.json
suppressMessages({library(lavaan); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")

dir <- "tests/reference/latent_model"
model <- paste(readLines(file.path(dir, "model.lav")), collapse = "\n")
d <- read.csv(file.path(dir, "demo_latent.csv"), na.strings = "")

t0 <- proc.time()[["elapsed"]]
fit <- sem(model, data = d, estimator = "MLR", missing = "ml", cluster = "alliance_id")
elapsed <- proc.time()[["elapsed"]] - t0

pe <- parameterEstimates(fit, standardized = TRUE)
fm <- fitMeasures(fit)
out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  call = "sem(model, data = d, estimator = 'MLR', missing = 'ml', cluster = 'alliance_id')",
  seconds = elapsed,
  converged = lavInspect(fit, "converged"),
  ntotal = lavInspect(fit, "ntotal"),
  nclusters = fit@Data@Lp[[1]]$nclusters[[2]],
  estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, label = pe$label,
                   est = pe$est, se = pe$se, pvalue = pe$pvalue,
                   std_all = pe$std.all),
  fit_measures = as.list(fm[c("npar", "logl", "chisq", "df", "chisq.scaled",
                              "chisq.scaling.factor", "cfi", "tli", "rmsea", "srmr",
                              "cfi.robust", "tli.robust", "rmsea.robust", "aic", "bic")])
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"),
           file.path(dir, "reference.json"))
cat("lavaan fit:", elapsed, "s\n")
