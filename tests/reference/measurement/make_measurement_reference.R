# Reference values for tests/test_measurement_reference.py (analysis/study/measurement.py).
# Run from the repository root, first the data, then R:
#   PYTHONPATH=$PWD .venv/bin/python tests/reference/measurement/make_measurement_data.py
#   Rscript tests/reference/measurement/make_measurement_reference.R
# Versions used: R 4.2.2, lavaan 0.6.14, semTools 0.5-6, jsonlite 1.8.4 (Debian bookworm r-cran-* packages);
# instrument 2.0.0, population analysis/study/population.yaml.
#
# Data: tests/reference/measurement/learning_trust_items.csv, written by make_measurement_data.py:
#   analysis.study.simulate.simulate_study(n=500, dyads=0, seed=4101, missing=0, careless=0),
#   respondents flagged by analysis.study.scoring.score() dropped, reverse-keyed items recoded
#   (8 - x), the items of info_sharing, joint_sensemaking, knowledge_integration, trust in the
#   instrument's order (19 items with instrument 2.0.0).
# Models: the syntax of analysis.study.measurement.measurement_syntax(scales=[...]) without and
# with the second-order factor relationship_learning, rebuilt here from the CSV's column names
# ({scale}_{k}, in column order); WLSMV (all items ordered) and MLR.
# Writes tests/reference/measurement/learning_trust.json.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
  library(semTools)
})
stopifnot(packageVersion("lavaan") == "0.6.14", packageVersion("semTools") == "0.5.6")
dir <- "tests/reference/measurement"
x <- read.csv(file.path(dir, "learning_trust_items.csv"))
scale_of <- sub("_[0-9]+$", "", names(x))
scales <- c("info_sharing", "joint_sensemaking", "knowledge_integration", "trust")
stopifnot(setequal(unique(scale_of), scales))
block <- function(f) paste0(f, " =~ ", paste(names(x)[scale_of == f], collapse = " + "))
first <- paste(vapply(scales, block, ""), collapse = "\n")
second <- paste(first,
  "relationship_learning =~ info_sharing + joint_sensemaking + knowledge_integration",
  sep = "\n")
fit_keys <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
              "chisq.scaling.factor", "cfi", "tli", "rmsea", "srmr", "cfi.scaled",
              "rmsea.scaled", "cfi.robust", "rmsea.robust", "tli.robust", "aic", "bic")
one <- function(model, estimator) {
  fit <- if (estimator == "WLSMV") cfa(model, x, estimator = "WLSMV", ordered = names(x)) else
    cfa(model, x, estimator = estimator)
  pe <- parameterEstimates(fit, standardized = TRUE)
  fm <- fitMeasures(fit)
  fm <- fm[intersect(fit_keys, names(fm))]
  list(fit = fit, out = list(
    syntax = model,
    params = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                  std_all = pe$std.all),
    fit = as.list(setNames(unname(fm), gsub(".", "_", names(fm), fixed = TRUE)))))
}
res <- list(n = nrow(x))
for (est in c("WLSMV", "MLR")) {
  a <- one(first, est)
  b <- one(second, est)
  lrt <- lavTestLRT(a$fit, b$fit)
  res[[est]] <- list(first_order = a$out, second_order = b$out,
                     lrt = list(chisq_diff = lrt[2, "Chisq diff"], df_diff = lrt[2, "Df diff"],
                                pvalue = lrt[2, "Pr(>Chisq)"]))
  if (est == "MLR") {
    om <- compRelSEM(b$fit, higher = "relationship_learning")
    res[[est]]$omega_higher_order <- unname(om[["relationship_learning"]])
  }
}
write_json(res, file.path(dir, "learning_trust.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
