# Reference values of categorical omega (Green & Yang 2009) for
# tests/test_measurement_categorical_omega.py.
# Run from the repository root:
#   Rscript tests/reference/method_variance/make_categorical_omega_reference.R
# Versions used: R 4.2.2, lavaan 0.6.14, semTools 0.5-6, jsonlite 1.8.4 (Debian bookworm).
#
# Data: psych::bfi items as committed in tests/reference/reliability/bfi_items.csv, complete
# rows of A2-A5 and C1-C3 (6-point items) treated as ordered, WLSMV.
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(jsonlite)
})
stopifnot(packageVersion("lavaan") == "0.6.14", packageVersion("semTools") == "0.5.6")
d <- read.csv("tests/reference/reliability/bfi_items.csv")
items <- c("A2", "A3", "A4", "A5", "C1", "C2", "C3")
d <- na.omit(d[, items])
fit <- cfa("A =~ A2 + A3 + A4 + A5\nC =~ C1 + C2 + C3", d, ordered = items,
           estimator = "WLSMV")
omega_cat <- compRelSEM(fit)  # ordered items: Green & Yang's categorical omega
ref <- list(items = items, n = nrow(d), model = "A =~ A2 + A3 + A4 + A5\nC =~ C1 + C2 + C3",
            omega = as.list(omega_cat),
            versions = list(lavaan = as.character(packageVersion("lavaan")),
                            semTools = as.character(packageVersion("semTools"))))
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/method_variance/categorical_omega.json")
