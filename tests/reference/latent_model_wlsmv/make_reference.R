# Reference values for the WLSMV robustness run of the study's latent model
# (analysis.study.latent_model, estimator = "WLSMV"): the items of the reflective scales
# as ordered categories, the composite scores, dependence index and control as
# continuous variables modelled with the rest (fixed.x = FALSE, conditional.x = FALSE),
# missing answers handled pairwise, lavaan's default delta parameterization.
#
# The model is the small declaration's latent model (model_small.lav beside the parity
# fixture of the MLR model: learning as a second-order factor of three reflective
# scales, learning_from and jd_sum as observed scores, firm_size as control, one
# indirect effect).  The data are simulated here (7-point items, about 4 % of the item
# answers missing) and written beside this script.
#
# The study's full latent model (model_demo.lav) on the demo data as the models see
# them (demo_latent.csv beside the MLR fixture) is fitted the same way, with the option
# "demo" (lavaan takes about a minute).
#
# Run from the repository root (a few seconds; a minute more with demo):
#   Rscript tests/reference/latent_model_wlsmv/make_reference.R [small] [demo]
# Made with R 4.2.2, lavaan 0.6.14, jsonlite 1.8.4.
# Writes: tests/reference/latent_model_wlsmv/{sim_wlsmv.csv, reference_wlsmv.json,
#         reference_demo_wlsmv.json}
suppressMessages({library(lavaan); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")

out <- "tests/reference/latent_model_wlsmv"
which <- commandArgs(trailingOnly = TRUE)
if (length(which) == 0) which <- "small"

export_wlsmv <- function(model, d, items, file) {
  t0 <- proc.time()[["elapsed"]]
  fit <- sem(model, data = d, ordered = items, estimator = "WLSMV", missing = "pairwise",
             fixed.x = FALSE, conditional.x = FALSE)
  elapsed <- proc.time()[["elapsed"]] - t0
  pe <- parameterEstimates(fit, standardized = TRUE)
  fm <- fitMeasures(fit)
  res <- list(
    lavaan_version = as.character(packageVersion("lavaan")),
    call = paste("sem(model, data = d, ordered = items, estimator = 'WLSMV',",
                 "missing = 'pairwise', fixed.x = FALSE, conditional.x = FALSE)"),
    syntax = model,
    seconds = elapsed,
    converged = lavInspect(fit, "converged"),
    ntotal = lavInspect(fit, "ntotal"),
    ordered = items,
    estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, label = pe$label,
                     est = pe$est, se = pe$se, pvalue = pe$pvalue, std_all = pe$std.all),
    fit_measures = as.list(fm[c("npar", "chisq", "df", "pvalue", "chisq.scaled",
                                "df.scaled", "pvalue.scaled", "chisq.scaling.factor",
                                "cfi", "tli", "rmsea", "cfi.scaled", "tli.scaled",
                                "rmsea.scaled", "srmr")])
  )
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"), file.path(out, file))
  cat(file, "lavaan WLSMV fit:", elapsed, "s\n")
}

if ("small" %in% which) {
  model <- paste(readLines("tests/reference/latent_model/model_small.lav"), collapse = "\n")

  set.seed(20261205)
  n <- 400
  firm_size <- rnorm(n, 5, 1.5)
  jd_sum <- 8 + 0.3 * (firm_size - 5) + rnorm(n, 0, 2)
  learning <- 0.15 * (jd_sum - 8) + 0.05 * (firm_size - 5) + rnorm(n, 0, 0.8)
  dims <- c("info_sharing", "joint_sensemaking", "knowledge_integration")
  item_ids <- list(info_sharing = c(1, 6, 3, 7, 8), joint_sensemaking = c(1, 2, 3, 6, 5),
                   knowledge_integration = c(1, 6, 3, 4, 5))
  cuts <- c(-1.9, -1.2, -0.5, 0.2, 0.9, 1.6)
  d <- data.frame(row.names = seq_len(n))
  for (k in seq_along(dims)) {
    f <- 0.85 * learning + rnorm(n, 0, 0.5)
    lam <- c(0.8, 0.7, 0.75, 0.65, 0.6)
    for (j in seq_along(item_ids[[dims[k]]])) {
      ystar <- lam[j] * f / sd(f) + sqrt(1 - lam[j]^2) * rnorm(n)
      d[[paste0(dims[k], "_", item_ids[[dims[k]]][j])]] <- findInterval(ystar, cuts) + 1L
    }
}
d$jd_sum <- jd_sum
d$learning_from <- 4 + 0.35 * learning + 0.02 * (jd_sum - 8) + rnorm(n, 0, 0.9)
d$firm_size <- firm_size
d$alliance_id <- paste0("A", rep(seq_len(n / 2), each = 2))
items <- grep("_[0-9]+$", names(d), value = TRUE)
for (v in items) d[[v]][runif(n) < 0.04] <- NA
d$learning_from[sample(n, 3)] <- NA
write.csv(d, file.path(out, "sim_wlsmv.csv"), row.names = FALSE, na = "")

d <- read.csv(file.path(out, "sim_wlsmv.csv"), na.strings = "")
export_wlsmv(model, d, items, "reference_wlsmv.json")
}

if ("demo" %in% which) {
  lm_dir <- "tests/reference/latent_model"
  model <- paste(readLines(file.path(lm_dir, "model_demo.lav")), collapse = "\n")
  d <- read.csv(file.path(lm_dir, "demo_latent.csv"), na.strings = "")
  # the items of the reflective scales: the indicators of the first-order factors
  items <- grep("_[0-9]+$", names(d), value = TRUE)
  export_wlsmv(model, d, items, "reference_demo_wlsmv.json")
}
