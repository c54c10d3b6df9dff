# Empirical identification of a latent product (review 17): the smallest eigenvalue of
# the correlation matrix of the estimates of the double-mean-centred product-indicator
# model, and the parameters that carry its eigenvector (|loading| > .3).
# two_pairs.csv: X measured by two items, no interaction in the population (XZ has two
# product indicators and is identified only through its near-zero covariances);
# three_pairs.csv: three items each, interaction 0.3.  Both were simulated once (normal
# factors, loadings .7, N = 300) and are committed.  Run from the repository root:
#   Rscript tests/reference/review17/identification.R
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
dir <- "tests/reference/review17"
one <- function(file, xs) {
  d <- read.csv(file.path(dir, file))
  zs <- c("z1", "z2", "z3")[seq_along(xs)]
  d <- indProd(d, xs, zs, match = TRUE, meanC = TRUE, doubleMC = TRUE)
  prods <- paste(xs, zs, sep = ".")
  model <- paste0("X =~ ", paste(xs, collapse = " + "), "\n",
                  "Z =~ z1 + z2 + z3\n",
                  "XZ =~ ", paste(prods, collapse = " + "), "\n",
                  "Y =~ y1 + y2 + y3\n",
                  "Y ~ X + Z + XZ\n")
  fit <- sem(model, data = d, estimator = "MLR")
  e <- eigen(cov2cor(vcov(fit)), symmetric = TRUE)
  k <- length(e$values)
  pe <- parameterEstimates(fit)
  pe <- pe[!(pe$op %in% c(":=")) & !is.na(pe$se) & pe$se > 0, ]
  names_free <- paste(pe$lhs, pe$op, pe$rhs)
  w <- abs(e$vectors[, k])
  list(file = file, min_eigenvalue = e$values[k],
       parameters = names_free[order(-w)][sort(-w) < -0.3],
       bxz = pe$est[pe$lhs == "Y" & pe$op == "~" & pe$rhs == "XZ"],
       bxz_se = pe$se[pe$lhs == "Y" & pe$op == "~" & pe$rhs == "XZ"],
       var_xz = pe$est[pe$lhs == "XZ" & pe$op == "~~" & pe$rhs == "XZ"],
       lavaan = as.character(packageVersion("lavaan")),
       semTools = as.character(packageVersion("semTools")))
}
out <- list(two_pairs = one("two_pairs.csv", c("x1", "x2")),
            three_pairs = one("three_pairs.csv", c("x1", "x2", "x3")))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(dir, "identification.json"))
