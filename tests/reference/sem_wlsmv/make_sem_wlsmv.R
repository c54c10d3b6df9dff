# Reference values for WLSMV with ordered items (issue 3).
# Run from the repository root:  Rscript tests/reference/sem_wlsmv/make_sem_wlsmv.R
# Versions used: R 4.2.2, lavaan 0.6.14, jsonlite (Debian bookworm).
# Writes the ordinal data sets (CSV) and one JSON file per case into tests/reference/sem_wlsmv/.
# Cases: (a) HS 3-factor CFA, x1-x9 cut at quintiles; (b) simulated 7-point Likert CFA
# (binary item, unused category) + nested equal-loadings model and lavTestLRT; (c) SEM with
# regressions between factors; (d) small-N edge case (empty cell in a 2x2 table); (e, f) two
# groups, configural and equal loadings + lavTestLRT; (g) missing = "pairwise"; (h) mixed
# ordered/continuous; (i) mixed + pairwise; (j) continuous covariate, conditional.x = FALSE.
# Each JSON holds sample statistics (th, cor, wls.obs, wls.v, gamma), Delta, estimates,
# robust SEs, std.all, the scaled-shifted test and all fitMeasures().
suppressMessages(library(lavaan))
library(jsonlite)
out <- "tests/reference/sem_wlsmv"

# (a) Holzinger-Swineford x1-x9 cut into 5 categories at the sample quintiles.
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
cut5 <- function(x) cut(x, breaks = unique(quantile(x, probs = seq(0, 1, 0.2))),
                        include.lowest = TRUE, labels = FALSE)
hs_ord <- as.data.frame(lapply(hs[paste0("x", 1:9)], cut5))
write.csv(hs_ord, file.path(out, "hs_ordinal5.csv"), row.names = FALSE)

# (b) Simulated 7-category Likert items, 3 correlated factors, 12 items, one binary item,
#     one item whose top category is never used (6 observed categories), N = 800.
set.seed(20261122)
n <- 800
phi <- matrix(c(1, .4, .3, .4, 1, .5, .3, .5, 1), 3)
eta <- matrix(rnorm(n * 3), n) %*% chol(phi)
lam <- c(.8, .7, .6, .75, .7, .65, .8, .6, .7, .75, .55, .6)
fac <- rep(1:3, each = 4)
ystar <- sapply(1:12, function(j) lam[j] * eta[, fac[j]] + sqrt(1 - lam[j]^2) * rnorm(n))
cuts7 <- c(-1.8, -1.1, -0.45, 0.2, 0.85, 1.5)
lik <- as.data.frame(sapply(1:12, function(j) findInterval(ystar[, j], cuts7) + 1L))
names(lik) <- paste0("y", 1:12)
lik$y4 <- as.integer(ystar[, 4] > 0.3) + 1L            # binary item
lik$y12 <- pmin(findInterval(ystar[, 12], cuts7) + 1L, 6L)  # only 6 categories
write.csv(lik, file.path(out, "likert7_sim.csv"), row.names = FALSE)

export <- function(fit, file, extra = list()) {
  ss <- lavInspect(fit, "sampstat")
  pe <- parameterEstimates(fit, standardized = TRUE)
  fm <- fitMeasures(fit)
  ts <- lavInspect(fit, "test")
  ss_test <- ts[["scaled.shifted"]]
  res <- list(
    ov_names = lavNames(fit, "ov"),
    nobs = lavInspect(fit, "nobs"),
    th = unname(as.numeric(ss$th)),
    th_names = names(ss$th),
    cor = unname(ss$cov[, ]),
    wls_obs = unname(as.numeric(lavInspect(fit, "wls.obs"))),
    wls_est = unname(as.numeric(lavInspect(fit, "wls.est"))),
    wls_v_diag = unname(diag(lavInspect(fit, "wls.v"))),
    gamma = unname(lavInspect(fit, "gamma")[, ]),
    delta = unname(lavInspect(fit, "delta")[, ]),
    x = unname(as.numeric(lavInspect(fit, "optim")$x)),
    fmin = unname(fm[["fmin"]]),
    partable = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                    std_all = pe$std.all),
    test = list(chisq = ss_test$scaled.test.stat, df = ts$standard$df,
                pvalue = ts$standard$pvalue, chisq_scaled = ss_test$stat,
                pvalue_scaled = ss_test$pvalue, scaling_factor = ss_test$scaling.factor,
                shift_parameter = ss_test$shift.parameter,
                trace_ugamma = ss_test$trace.UGamma, trace_ugamma2 = ss_test$trace.UGamma2),
    fit_measures = as.list(unclass(fm))
  )
  res <- c(res, extra)
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"), file.path(out, file))
}

hs_model <- "visual =~ x1 + x2 + x3
             textual =~ x4 + x5 + x6
             speed =~ x7 + x8 + x9"
fit_a <- cfa(hs_model, data = hs_ord, ordered = paste0("x", 1:9), estimator = "WLSMV")
export(fit_a, "hs_cfa.json")

lik_model <- "f1 =~ y1 + y2 + y3 + y4
              f2 =~ y5 + y6 + y7 + y8
              f3 =~ y9 + y10 + y11 + y12"
fit_b <- cfa(lik_model, data = lik, ordered = names(lik), estimator = "WLSMV")
# Nested model: equal loadings on f2 (for the scaled difference test, satorra.2000 default).
lik_model0 <- "f1 =~ y1 + y2 + y3 + y4
               f2 =~ y5 + b*y6 + b*y7 + b*y8
               f3 =~ y9 + y10 + y11 + y12"
fit_b0 <- cfa(lik_model0, data = lik, ordered = names(lik), estimator = "WLSMV")
lrt <- lavTestLRT(fit_b0, fit_b)
# Jacobian of the restricted model with respect to its unique free parameters
# (equality-constrained copies merged), as lavaan's lav_test_diff_A uses it.
delta0 <- lavInspect(fit_b0, "delta")[, ]
if (fit_b0@Model@eq.constraints) {
  delta0 <- delta0 %*% fit_b0@Model@eq.constraints.K
} else if (fit_b0@Model@ceq.simple.only) {
  delta0 <- delta0 %*% t(fit_b0@Model@ceq.simple.K)
}
export(fit_b, "likert_cfa.json", extra = list(
  lrt = list(chisq_diff = lrt[["Chisq diff"]][2], df_diff = lrt[["Df diff"]][2],
             pvalue = lrt[["Pr(>Chisq)"]][2], chisq0 = lrt$Chisq[2], chisq1 = lrt$Chisq[1]),
  nested = list(delta0 = unname(delta0),
                x0 = unname(as.numeric(lavInspect(fit_b0, "optim")$x)),
                chisq0 = lavInspect(fit_b0, "test")$standard$stat,
                df0 = lavInspect(fit_b0, "test")$standard$df)))

sem_model <- paste(lik_model, "f2 ~ f1", "f3 ~ f2", sep = "\n")
fit_c <- sem(sem_model, data = lik, ordered = names(lik), estimator = "WLSMV")
export(fit_c, "likert_sem.json")

# (d) Edge cases: small N, two binary items whose 2x2 table has one empty cell
#     (lavaan adds 0.5 keeping the margins), 4-category items with empty cells.
set.seed(7)
n <- 150
g <- rnorm(n)
edge <- data.frame(
  b1 = as.integer(0.8 * g + 0.6 * rnorm(n) > 0.9) + 1L,
  b2 = as.integer(0.8 * g + 0.6 * rnorm(n) > 1.2) + 1L,
  c1 = findInterval(0.7 * g + 0.7 * rnorm(n), c(-1, 0, 1.3)) + 1L,
  c2 = findInterval(0.7 * g + 0.7 * rnorm(n), c(-1.5, 0.2, 1)) + 1L,
  c3 = findInterval(0.6 * g + 0.8 * rnorm(n), c(-0.8, 0.5, 1.6)) + 1L
)
# force exactly one empty cell in the b1 x b2 table: nobody with b1 = 1 and b2 = 2
edge$b2[edge$b1 == 1 & edge$b2 == 2] <- 1L
write.csv(edge, file.path(out, "edge_small.csv"), row.names = FALSE)
fit_d <- cfa("g =~ b1 + b2 + c1 + c2 + c3", data = edge, ordered = names(edge),
             estimator = "WLSMV")
export(fit_d, "edge_cfa.json", extra = list(
  table_b1_b2 = matrix(as.integer(table(edge$b1, edge$b2)), 2)))

# (e) Two groups (school), configural model: the HS 5-category items with the school column.
hs_ord_school <- cbind(hs_ord, school = hs$school)
write.csv(hs_ord_school, file.path(out, "hs_ordinal5_school.csv"), row.names = FALSE)
fit_e <- cfa(hs_model, data = hs_ord_school, ordered = paste0("x", 1:9), estimator = "WLSMV",
             group = "school")
pe_e <- parameterEstimates(fit_e, standardized = TRUE)
ts_e <- lavInspect(fit_e, "test")
res_e <- list(
  nobs = lavInspect(fit_e, "nobs"),
  group_labels = lavInspect(fit_e, "group.label"),
  wls_obs = lapply(lavInspect(fit_e, "wls.obs"), function(v) unname(as.numeric(v))),
  gamma_diag = lapply(lavInspect(fit_e, "gamma"), function(m) unname(diag(m))),
  partable = list(lhs = pe_e$lhs, op = pe_e$op, rhs = pe_e$rhs, group = pe_e$group,
                  est = pe_e$est, se = pe_e$se, std_all = pe_e$std.all),
  test = list(chisq = ts_e$standard$stat, df = ts_e$standard$df,
              chisq_scaled = ts_e$scaled.shifted$stat,
              scaling_factor = ts_e$scaled.shifted$scaling.factor,
              shift_parameter = ts_e$scaled.shifted$shift.parameter),
  fit_measures = as.list(unclass(fitMeasures(fit_e))))
writeLines(toJSON(res_e, digits = NA, auto_unbox = TRUE, na = "null"),
           file.path(out, "hs_cfa_school.json"))

# (f) Equal loadings across schools, and lavaan's default scaled difference test for WLSMV.
fit_f <- cfa(hs_model, data = hs_ord_school, ordered = paste0("x", 1:9), estimator = "WLSMV",
             group = "school", group.equal = "loadings")
pe_f <- parameterEstimates(fit_f, standardized = TRUE)
lrt_f <- lavTestLRT(fit_f, fit_e)
res_f <- list(
  partable = list(lhs = pe_f$lhs, op = pe_f$op, rhs = pe_f$rhs, group = pe_f$group,
                  est = pe_f$est, se = pe_f$se, free = parTable(fit_f)$free[
                    match(paste(pe_f$lhs, pe_f$op, pe_f$rhs, pe_f$group),
                          with(parTable(fit_f), paste(lhs, op, rhs, group)))]),
  test = list(chisq = lavInspect(fit_f, "test")$standard$stat,
              df = lavInspect(fit_f, "test")$standard$df,
              chisq_scaled = lavInspect(fit_f, "test")$scaled.shifted$stat),
  lrt = list(chisq_diff = lrt_f[["Chisq diff"]][2], df_diff = lrt_f[["Df diff"]][2],
             pvalue = lrt_f[["Pr(>Chisq)"]][2]))
writeLines(toJSON(res_f, digits = NA, auto_unbox = TRUE, na = "null"),
           file.path(out, "hs_cfa_school_loadings.json"))

# (g) Missing responses, missing = "pairwise": 8% of the HS 5-category answers deleted (MCAR).
set.seed(11)
hs_miss <- hs_ord
for (v in names(hs_miss)) hs_miss[[v]][runif(nrow(hs_miss)) < 0.08] <- NA
write.csv(hs_miss, file.path(out, "hs_ordinal5_missing.csv"), row.names = FALSE, na = "")
fit_g <- cfa(hs_model, data = hs_miss, ordered = paste0("x", 1:9), estimator = "WLSMV",
             missing = "pairwise")
export(fit_g, "hs_cfa_pairwise.json")

# (h) Mixed ordered and continuous indicators: x1-x6 in 5 categories, x7-x9 continuous
#     (polyserial and Pearson correlations).
hs_mixed <- cbind(hs_ord[paste0("x", 1:6)], hs[paste0("x", 7:9)])
write.csv(hs_mixed, file.path(out, "hs_mixed.csv"), row.names = FALSE)
fit_h <- cfa(hs_model, data = hs_mixed, ordered = paste0("x", 1:6), estimator = "WLSMV")
export(fit_h, "hs_cfa_mixed.json")

# (i) Mixed data with missing answers, missing = "pairwise".
set.seed(12)
hs_mixed_miss <- hs_mixed
for (v in names(hs_mixed_miss)) hs_mixed_miss[[v]][runif(nrow(hs_mixed_miss)) < 0.06] <- NA
write.csv(hs_mixed_miss, file.path(out, "hs_mixed_missing.csv"), row.names = FALSE, na = "")
fit_i <- cfa(hs_model, data = hs_mixed_miss, ordered = paste0("x", 1:6), estimator = "WLSMV",
             missing = "pairwise")
export(fit_i, "hs_cfa_mixed_pairwise.json")

# (j) A continuous covariate predicting factors of ordered items, treated as a random
#     variable (conditional.x = FALSE, fixed.x = FALSE; lavaan's default for ordered data
#     would be conditional.x = TRUE, which alliance-survey does not implement).
hs_cov <- hs_mixed[paste0("x", 1:6)]
hs_cov$z <- hs_mixed$x7 + hs_mixed$x8
write.csv(hs_cov, file.path(out, "hs_covariate.csv"), row.names = FALSE)
fit_j <- sem("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual ~ z\ntextual ~ z",
             data = hs_cov, ordered = paste0("x", 1:6), estimator = "WLSMV",
             conditional.x = FALSE, fixed.x = FALSE)
export(fit_j, "hs_sem_covariate.json")

# (k) Equal thresholds and loadings across schools (lavaan frees the scale factors ~*~ and the
#     latent means in the second group), and the scaled difference test against (f).
fit_k <- cfa(hs_model, data = hs_ord_school, ordered = paste0("x", 1:9), estimator = "WLSMV",
             group = "school", group.equal = c("thresholds", "loadings"))
pe_k <- parameterEstimates(fit_k, standardized = TRUE)
lrt_k <- lavTestLRT(fit_k, fit_f)
res_k <- list(
  partable = list(lhs = pe_k$lhs, op = pe_k$op, rhs = pe_k$rhs, group = pe_k$group,
                  est = pe_k$est, se = pe_k$se, std_all = pe_k$std.all),
  fit_measures = as.list(unclass(fitMeasures(fit_k))),
  lrt = list(chisq_diff = lrt_k[["Chisq diff"]][2], df_diff = lrt_k[["Df diff"]][2],
             pvalue = lrt_k[["Pr(>Chisq)"]][2]))
writeLines(toJSON(res_k, digits = NA, auto_unbox = TRUE, na = "null"),
           file.path(out, "hs_cfa_school_thresholds.json"))
