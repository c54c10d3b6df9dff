# Bootstrap reference: indirect effect in the PoliticalDemocracy model.
#
# Run from the repository root:
#   Rscript tests/reference/sem_boot/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, boot 1.3.28.1, jsonlite 1.8.4 (about 1 minute).
# Writes tests/reference/sem_boot/poldem_indirect.json:
#  * lavaan se = "bootstrap", bootstrap = 2000: estimates, bootstrap SEs, percentile and
#    bca.simple CIs (parameterEstimates(boot.ci.type = ...));
#  * the 2000 draws of the defined parameters ab and total;
#  * the jackknife (leave-one-out ML refits) of ab and total;
#  * BCa intervals from those draws: the adjusted probabilities of boot:::bca.ci, the
#    type-7 quantiles at them and boot's own norm.inter value.
suppressMessages({library(lavaan); library(boot); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
PD <- read.csv("tests/reference/data/PoliticalDemocracy.csv")
m <- '
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60
dem65 ~ c*ind60 + b*dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
ab := a*b
total := c + a*b
'
fit <- sem(m, PD, se = "bootstrap", bootstrap = 2000, iseed = 20261122)
pe_perc <- parameterEstimates(fit, boot.ci.type = "perc")
pe_bcs <- parameterEstimates(fit, boot.ci.type = "bca.simple")
B <- lavInspect(fit, "boot")
pt <- parTable(fit)
col <- function(lab) B[, pt$free[pt$label == lab & pt$free > 0]]
t_ab <- col("a") * col("b")
t_total <- col("c") + col("a") * col("b")
est <- function(f, lab) { p <- parameterEstimates(f); p$est[p$label == lab] }
fit0 <- sem(m, PD)
t0 <- c(ab = est(fit0, "ab"), total = est(fit0, "total"))
n <- nrow(PD)
jack <- t(sapply(seq_len(n), function(i) {
  f <- sem(m, PD[-i, ])
  c(est(f, "ab"), est(f, "total"))
}))
bca <- function(t, t0, jk, conf = 0.95) {
  L <- (n - 1) * (mean(jk) - jk)
  bo <- list(t0 = t0, t = matrix(t), R = length(t))
  class(bo) <- "boot"
  ci <- boot:::bca.ci(bo, conf = conf, t0 = t0, t = t, L = L)
  w <- qnorm(sum(t < t0) / length(t))
  a <- sum(L^3) / (6 * sum(L^2)^1.5)
  zal <- qnorm(c((1 - conf) / 2, (1 + conf) / 2))
  adj <- pnorm(w + (w + zal) / (1 - a * (w + zal)))
  list(z0 = w, acceleration = a, adj_alpha = adj,
       type7 = unname(quantile(t, adj, type = 7)),
       norm_inter = unname(ci[1, 4:5]),
       perc_type7 = unname(quantile(t, c(0.025, 0.975), type = 7)))
}
sel <- function(p) p[p$op %in% c("=~", "~", "~~", ":="), ]
tab <- function(p) { p <- sel(p); list(lhs = p$lhs, op = p$op, rhs = p$rhs, label = p$label,
  est = p$est, se = p$se, ci_lower = p$ci.lower, ci_upper = p$ci.upper) }
out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  call = "sem(m, PD, se = 'bootstrap', bootstrap = 2000, iseed = 20261122)",
  model = m, R = nrow(B), n = n,
  perc = tab(pe_perc), bca_simple = tab(pe_bcs),
  draws = list(ab = t_ab, total = t_total),
  jackknife = list(ab = jack[, 1], total = jack[, 2]),
  t0 = as.list(t0),
  bca = list(ab = bca(t_ab, t0[["ab"]], jack[, 1]), total = bca(t_total, t0[["total"]], jack[, 2]))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), "tests/reference/sem_boot/poldem_indirect.json")
