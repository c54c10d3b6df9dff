# Reference for partial measurement invariance (tests/test_invariance_partial.py).
# Data: partial_items.csv (make_partial_data.py).  ML and MLR, complete data.
# For every level of the sequence the partial model (the parameters freed by the
# project's search) is fitted by lavaan, and lavTestScore() on the fully constrained
# level names the constraint with the largest univariate score test, which the
# project's likelihood-ratio search must free first.
# Run: Rscript make_partial_reference.R  (from this directory)
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
d <- read.csv("partial_items.csv")
m <- "f =~ x1 + x2 + x3 + x4 + x5"
one <- function(est) {
fitm <- function(eq, partial = character(0))
  cfa(m, d, group = "g", estimator = est, group.equal = eq, group.partial = partial)
conf <- cfa(m, d, group = "g", estimator = est)
met <- fitm("loadings")
met_p <- fitm("loadings", "f=~x5")
sca <- fitm(c("loadings", "intercepts"), "f=~x5")
sca_p <- fitm(c("loadings", "intercepts"), c("f=~x5", "x3~1"))
str_p <- fitm(c("loadings", "intercepts", "residuals"), c("f=~x5", "x3~1"))
keys <- if (est == "MLR") c("chisq.scaled", "df", "cfi.robust", "rmsea.robust") else
  c("chisq", "df", "cfi", "rmsea")
fm <- function(fit) as.list(fitMeasures(fit, keys))
lrt <- function(a, b) {
  t <- lavTestLRT(a, b)
  list(delta_chisq = t[2, "Chisq diff"], delta_df = t[2, "Df diff"],
       delta_pvalue = t[2, "Pr(>Chisq)"])
}
top <- function(fit) {
  s <- lavTestScore(fit)$uni
  pt <- parTable(fit)
  i <- which.max(s$X2)
  lab <- s$lhs[i]  # plabel of the group-1 parameter of the constraint
  row <- pt[pt$plabel == lab, ]
  list(lhs = row$lhs, op = row$op, rhs = row$rhs, X2 = s$X2[i])
}
list(
  fit = list(configural = fm(conf), metric = fm(met), metric_partial = fm(met_p),
             scalar = fm(sca), scalar_partial = fm(sca_p), strict = fm(str_p)),
  lrt = list(metric = lrt(conf, met), metric_partial = lrt(conf, met_p),
             scalar = lrt(met_p, sca), scalar_partial = lrt(met_p, sca_p),
             strict = lrt(sca_p, str_p)),
  score_top = list(metric = top(met), scalar = top(sca)))
}
out <- list(lavaan = as.character(packageVersion("lavaan")), ML = one("ML"), MLR = one("MLR"))
write_json(out, "partial_reference.json", auto_unbox = TRUE, digits = NA, pretty = TRUE)
