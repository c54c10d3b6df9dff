# Reference values for analysis/stats/latent_quadratic.py: a latent quadratic effect (inverted
# U) by double-mean-centred product indicators, fitted with lavaan::sem.
#
# Run from the repository root:
#   Rscript tests/reference/latent_quadratic/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, jsonlite 1.8.4 (Debian bookworm r-cran-*).
# Writes tests/reference/latent_quadratic/quadratic_sample.csv (the simulated data, generated
# here with set.seed) and tests/reference/latent_quadratic/latent_quadratic.json.
#
# The data: 300 respondents in 150 clusters of two (like the two members of an alliance
# dyad); latent X with a shared cluster part (intra-cluster correlation .36), four items
# x1-x4; Y = 0.3 X - 0.2 (X^2 - 1) + 0.3 c1 + error, three items y1-y3; an observed control
# c1; about 5 % of the item answers missing completely at random.  Values are rounded to
# three decimals and read back, so that R and Python see the same numbers.
#
# Products: each item centred at its available-case mean, multiplied, the product centred
# at its available-case mean (semTools::indProd(meanC = TRUE, doubleMC = TRUE) does the
# same; written out here because indProd names and orders the squares differently).
# Model (names as analysis.stats.latent_quadratic.quadratic_syntax writes them):
#   X =~ x items; XX =~ products; Y =~ y1 + y2 + y3; Y ~ lq_b1*X + lq_b2*XX + controls
#   X ~~ lq_phix*X; X ~~ c; XX ~~ c (controls); products sharing an item covary;
#   lq_slope_lo := lq_b1 - 4*lq_b2*sqrt(lq_phix)   (slope at -2 SD of X)
#   lq_slope_hi := lq_b1 + 4*lq_b2*sqrt(lq_phix)   (slope at +2 SD of X)
#   lq_turning_point := -lq_b1/(2*lq_b2)
# Cases:
# * squares_mlr_fiml_cluster: squared items (x1.x1 ... x4.x4), control c1, MLR, FIML
#   (missing = "ml"), cluster-robust by cl, fixed.x = FALSE.  The study's configuration.
# * all_ml_listwise: all ten unique products x_i.x_j (i <= j) with residual covariances
#   between products that share an item, no control, ML, listwise.
suppressMessages({library(lavaan); library(jsonlite)})
dir <- "tests/reference/latent_quadratic"

set.seed(20261205)
n_cl <- 150
cl <- rep(seq_len(n_cl), each = 2)
xi <- 0.6 * rnorm(n_cl)[cl] + 0.8 * rnorm(2 * n_cl)
c1 <- 0.3 * xi + rnorm(2 * n_cl)
eta <- 0.3 * xi - 0.2 * (xi^2 - 1) + 0.3 * c1 + rnorm(2 * n_cl, sd = 0.8)
lam_x <- c(1, 0.9, 0.8, 0.7)
lam_y <- c(1, 0.8, 0.9)
d <- data.frame(cl = cl)
for (k in 1:4) d[[paste0("x", k)]] <- lam_x[k] * xi + rnorm(2 * n_cl, sd = 0.6)
for (k in 1:3) d[[paste0("y", k)]] <- lam_y[k] * eta + rnorm(2 * n_cl, sd = 0.5)
d$c1 <- c1
items <- c(paste0("x", 1:4), paste0("y", 1:3))
for (v in items) d[[v]][runif(nrow(d)) < 0.05] <- NA
for (v in c(items, "c1")) d[[v]] <- round(d[[v]], 3)
csv <- file.path(dir, "quadratic_sample.csv")
write.csv(d, csv, row.names = FALSE, na = "")
d <- read.csv(csv)

dmc <- function(d, pairs) {
  cen <- function(v) v - mean(v, na.rm = TRUE)
  for (p in pairs) {
    prod <- cen(d[[p[1]]]) * cen(d[[p[2]]])
    d[[paste(p[1], p[2], sep = ".")]] <- prod - mean(prod, na.rm = TRUE)
  }
  d
}

make_syntax <- function(x, y, pairs, controls = character(0), range_sd = 2) {
  prods <- sapply(pairs, function(p) paste(p[1], p[2], sep = "."))
  yname <- if (length(y) == 1) y else "Y"
  lines <- c(paste("X =~", paste(x, collapse = " + ")),
             paste("XX =~", paste(prods, collapse = " + ")))
  if (length(y) > 1) lines <- c(lines, paste("Y =~", paste(y, collapse = " + ")))
  lines <- c(lines, paste(yname, "~", paste(c("lq_b1*X", "lq_b2*XX", controls),
                                            collapse = " + ")), "X ~~ lq_phix*X")
  for (cc in controls) lines <- c(lines, paste("X ~~", cc), paste("XX ~~", cc))
  n <- length(pairs)
  if (n > 1) for (i in 1:(n - 1)) for (j in (i + 1):n) {
    if (length(intersect(pairs[[i]], pairs[[j]])) > 0)
      lines <- c(lines, paste(prods[i], "~~", prods[j]))
  }
  r2 <- format(2 * range_sd, nsmall = 1)
  lines <- c(lines, sprintf("lq_slope_lo := lq_b1 - %s*lq_b2*sqrt(lq_phix)", r2),
             sprintf("lq_slope_hi := lq_b1 + %s*lq_b2*sqrt(lq_phix)", r2),
             "lq_turning_point := -lq_b1/(2*lq_b2)")
  paste(lines, collapse = "\n")
}

run_case <- function(d, x, y, pairs_rule, controls = character(0), estimator = "MLR",
                     missing = "listwise", cluster = NULL) {
  pairs <- if (pairs_rule == "squares") lapply(x, function(v) c(v, v)) else {
    out <- list()
    for (i in seq_along(x)) for (j in i:length(x)) out[[length(out) + 1]] <- c(x[i], x[j])
    out
  }
  dd <- dmc(d, pairs)
  prods <- sapply(pairs, function(p) paste(p[1], p[2], sep = "."))
  model <- make_syntax(x, y, pairs, controls)
  fit <- sem(model, data = dd, estimator = estimator, missing = missing,
             fixed.x = length(controls) == 0, cluster = cluster)
  pe <- parameterEstimates(fit, standardized = TRUE)
  fm <- fitMeasures(fit)
  keys <- c("npar", "ntotal", "chisq", "df", "pvalue", "chisq.scaled", "pvalue.scaled",
            "cfi", "tli", "rmsea", "srmr", "cfi.robust", "tli.robust", "rmsea.robust")
  keys <- keys[keys %in% names(fm)]
  list(x = x, y = y, controls = controls, estimator = estimator, missing = missing,
       cluster = cluster, pairs_rule = pairs_rule, pairs = pairs,
       products = lapply(setNames(prods, prods), function(p) unname(dd[[p]])),
       syntax = model, converged = lavInspect(fit, "converged"),
       nclusters = if (is.null(cluster)) NULL else length(unique(dd[[cluster]])),
       params = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                     std_all = pe$std.all),
       vcov_b1_b2 = unname(vcov(fit)[c("lq_b1", "lq_b2"), c("lq_b1", "lq_b2")]),
       fit = setNames(as.list(unname(fm[keys])), gsub(".", "_", keys, fixed = TRUE)))
}

x <- paste0("x", 1:4); y <- paste0("y", 1:3)
out <- list(
  squares_mlr_fiml_cluster = run_case(d, x, y, "squares", controls = "c1", missing = "ml",
                                      cluster = "cl"),
  all_ml_listwise = run_case(d, x, y, "all", estimator = "ML")
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = FALSE, na = "null"),
           file.path(dir, "latent_quadratic.json"))
cat("Wrote", file.path(dir, "latent_quadratic.json"), "\n")
