# Reference for the HTMT bootstrap (tests/test_htmt_bootstrap.py).
# Data: htmt_items.csv, the items of four scales of the demo study (data/demo), with
# missing answers.  semTools::htmt() with pairwise correlations (HTMT2, the default, and
# the arithmetic HTMT), and percentile intervals from 4000 bootstrap resamples of rows.
# Run: Rscript make_htmt_reference.R  (from this directory)
suppressPackageStartupMessages({library(semTools); library(jsonlite)})
d <- read.csv("htmt_items.csv")
scales <- c("info_sharing", "joint_sensemaking", "knowledge_integration", "trust")
model <- paste(sapply(scales, function(s)
  paste(s, "=~", paste(grep(paste0("^", s, "_"), names(d), value = TRUE), collapse = " + "))),
  collapse = "\n")
lower <- function(h) h[lower.tri(h)]
# lavCor(missing = "pairwise"): covariance of the pairwise-complete rows over the SDs of
# all observed values of each item
pw <- function(x) {
  s <- sapply(x, sd, na.rm = TRUE)
  r <- cov(x, use = "pairwise.complete.obs") / outer(s, s)
  diag(r) <- 1
  r
}
stopifnot(max(abs(pw(d) - unclass(lavaan::lavCor(d, missing = "pairwise")))) < 1e-10)
one <- function(htmt2) {
  point <- htmt(model, data = d, missing = "pairwise", htmt2 = htmt2)
  set.seed(20261205)
  # each resample's pairwise correlations passed as sample.cov, computed as
  # lavCor(missing = "pairwise") does (checked below on the full data) but much faster
  draws <- t(replicate(4000, lower(htmt(model, htmt2 = htmt2,
                                        sample.cov = pw(d[sample.int(nrow(d), replace = TRUE), ])))))
  same <- lower(htmt(model, htmt2 = htmt2, sample.cov = pw(d)))
  stopifnot(max(abs(same - lower(point))) < 1e-10)
  list(htmt = lower(point),
       ci_lower = unname(apply(draws, 2, quantile, probs = 0.025)),
       ci_upper = unname(apply(draws, 2, quantile, probs = 0.975)),
       boot_sd = unname(apply(draws, 2, sd)))
}
# pairs in the order of lower.tri: (2,1), (3,1), (4,1), (3,2), (4,2), (4,3)
pairs <- which(lower.tri(diag(4)), arr.ind = TRUE)
out <- list(semTools = as.character(packageVersion("semTools")), model = model,
            factor1 = scales[pairs[, "col"]], factor2 = scales[pairs[, "row"]],
            n_boot = 4000, htmt2 = one(TRUE), htmt = one(FALSE))
write_json(out, "htmt_reference.json", auto_unbox = TRUE, digits = NA, pretty = TRUE)
