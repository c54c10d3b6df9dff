# Reference for H11's comparison of latent means under partial scalar invariance
# (tests/test_h11_partial.py).  Data: data.csv, two scales (learning_about, learning_from,
# five continuous items each) in three groups of alliance_stage, 200 each, sorted by group;
# written by tests/test_h11_partial.py::make_data (seed 11), with the intercept of
# learning_about_3 shifted in group 3 and that of learning_from_6 in group 2.
# The partial scalar model frees those two intercepts (the project's search must find
# them); lavaan then gives the latent means of groups 2 and 3 (group 1 fixed at 0), the
# balance kappa_about - kappa_from per group with its delta-method SE, and the Wald test
# that both balances are 0.  MLR, complete data.
# Run: Rscript make_reference.R  (from this directory)
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
d <- read.csv("data.csv")
m <- "learning_about =~ learning_about_1 + learning_about_2 + learning_about_3 + learning_about_5 + learning_about_6
learning_from =~ learning_from_1 + learning_from_5 + learning_from_6 + learning_from_7 + learning_from_8"
freed <- c("learning_about_3~1", "learning_from_6~1")
fit <- cfa(m, d, group = "alliance_stage", estimator = "MLR",
           group.equal = c("loadings", "intercepts"), group.partial = freed)
cf <- coef(fit)
v <- vcov(fit)
balance <- function(k) {
  a <- paste0("learning_about~1.g", k)
  b <- paste0("learning_from~1.g", k)
  w <- setNames(rep(0, length(cf)), names(cf))
  w[a] <- 1
  w[b] <- -1
  list(group = lavInspect(fit, "group.label")[k],
       mean_about = unname(cf[a]), mean_from = unname(cf[b]),
       estimate = unname(cf[a] - cf[b]), se = sqrt(drop(t(w) %*% v %*% w)))
}
bal <- lapply(2:3, balance)
W <- rbind(sapply(names(cf), function(n) (n == "learning_about~1.g2") - (n == "learning_from~1.g2")),
           sapply(names(cf), function(n) (n == "learning_about~1.g3") - (n == "learning_from~1.g3")))
dv <- W %*% cf
chisq <- drop(t(dv) %*% solve(W %*% v %*% t(W)) %*% dv)
fm <- fitMeasures(fit, c("chisq.scaled", "df", "cfi.robust", "rmsea.robust"))
out <- list(
  lavaan = as.character(packageVersion("lavaan")), R = R.version.string,
  freed = freed, groups = lavInspect(fit, "group.label"),
  balances = bal, wald_chisq = chisq, wald_df = 2L,
  wald_pvalue = pchisq(chisq, 2, lower.tail = FALSE),
  fit = as.list(fm))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "reference.json")
