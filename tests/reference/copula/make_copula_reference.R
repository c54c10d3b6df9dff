# Reference for the Gaussian-copula check (tests/test_copula.py).
# Data: copula_data.csv (make_copula_data.py).  The copula term as Park & Gupta (2012)
# with the n/(n+1) scaling, OLS with it, Shapiro-Wilk of the regressor, and the
# bootstrap SD of the coefficients from 4000 resamples that rebuild the term.
# Run: Rscript make_copula_reference.R  (from this directory)
suppressPackageStartupMessages(library(jsonlite))
d <- read.csv("copula_data.csv")
cop <- function(v) qnorm(ecdf(v)(v) * length(v) / (length(v) + 1))
one <- function(y, x, w) {
  fit <- function(dd) coef(lm(dd[[y]] ~ dd[[x]] + dd[[w]] + cop(dd[[x]])))
  b <- fit(d)
  ols <- summary(lm(d[[y]] ~ d[[x]] + d[[w]]))$coefficients
  set.seed(20261205)
  draws <- t(replicate(4000, fit(d[sample.int(nrow(d), replace = TRUE), ])))
  list(copula_term_head = head(cop(d[[x]]), 5),
       b_ols = unname(ols[2, 1]), se_ols = unname(ols[2, 2]),
       b_corrected = unname(b[2]), copula_coef = unname(b[4]),
       copula_se = sd(draws[, 4]), b_corrected_se = sd(draws[, 2]),
       shapiro_w = unname(shapiro.test(d[[x]])$statistic),
       shapiro_p = shapiro.test(d[[x]])$p.value)
}
out <- list(R = R.version.string, n_boot = 4000, endogenous = one("y", "x", "w"),
            normal = one("yn", "xn", "w"))
write_json(out, "copula_reference.json", auto_unbox = TRUE, digits = NA, pretty = TRUE)
