# Reference for the analytic power curves (tests/test_power_curves.py).
# Input: power_curves_input.json, the confirmatory hypothesis rows of the demo study's
# analysis (estimate, se, sesoi, n).  For N = 100, 150, ..., 1000 the power of a Wald
# test whose standard error shrinks as se * sqrt(n / N), one-sided (alpha = .05) and
# two-sided (both tails), and the smallest N with power .80 found by uniroot on the
# exact power function (not the closed form the package uses).
# Run: Rscript make_power_curves.R  (from this directory)
suppressPackageStartupMessages(library(jsonlite))
inp <- fromJSON("power_curves_input.json", simplifyDataFrame = FALSE)
ns <- seq(100, 1000, by = 50)
pw <- function(effect, se, n, N, alpha, sides) {
  lam <- abs(effect) / (se * sqrt(n / N))
  q <- qnorm(1 - alpha / sides)
  p <- pnorm(lam - q)
  if (sides == 2) p <- p + pnorm(-lam - q)
  p
}
n_for <- function(effect, se, n, alpha, sides, target = 0.80) {
  f <- function(N) pw(effect, se, n, N, alpha, sides) - target
  ceiling(uniroot(f, c(1e-6, 1e9), tol = 1e-10)$root)
}
one <- function(r, sides) {
  list(id = r$id, sides = sides,
       power_sesoi = pw(r$sesoi, r$se, r$n, ns, 0.05, sides),
       power_observed = pw(r$estimate, r$se, r$n, ns, 0.05, sides),
       n_target_sesoi = n_for(r$sesoi, r$se, r$n, 0.05, sides),
       n_target_observed = n_for(r$estimate, r$se, r$n, 0.05, sides))
}
out <- list(R = R.version.string, alpha = 0.05, ns = ns,
            one_sided = lapply(inp$rows, one, sides = 1),
            two_sided = lapply(inp$rows, one, sides = 2))
write_json(out, "power_curves_reference.json", auto_unbox = TRUE, digits = NA, pretty = TRUE)
