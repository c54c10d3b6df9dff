# Reference fits with a reverse-keyed marker (first) indicator in every factor.
#
# Run from the repository root:
#   Rscript tests/reference/sem_starts/make_reference.R
# Made with R 4.2.2 and lavaan 0.6.14.
# Writes tests/reference/sem_starts/reversed_{estimates,fit}.csv: the Holzinger-Swineford
# three-factor CFA with x1, x4, x7 reverse-scored (10 - x), complete data under ML and
# with 10 % MCAR values (tests/reference/sem_fiml/hs_mcar10.csv) under MLR + FIML, and a
# growth model written with sem() syntax (free latent means) on the same data.
suppressMessages(library(lavaan))
stopifnot(packageVersion("lavaan") == "0.6.14")
HS <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
HSm <- read.csv("tests/reference/sem_fiml/hs_mcar10.csv")
rev <- function(d) { for (v in c("x1", "x4", "x7")) d[[v]] <- 10 - d[[v]]; d }
m <- 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9'
# latent intercept and slope over x4..x6 read as three occasions, in sem() syntax:
# observed intercepts fixed at 0, latent means free (i ~ 1; s ~ NA*1)
g <- 'i =~ 1*x4 + 1*x5 + 1*x6
s =~ 0*x4 + 1*x5 + 2*x6
x4 ~ 0*1; x5 ~ 0*1; x6 ~ 0*1
i ~ 1
s ~ NA*1'
fits <- list(
  ml = sem(m, data = rev(HS)),
  mlr_fiml = sem(m, data = rev(HSm), estimator = "MLR", missing = "ml"),
  growth_sem = sem(g, data = HS),
  growth = growth('i =~ 1*x4 + 1*x5 + 1*x6
                   s =~ 0*x4 + 1*x5 + 2*x6', data = HS)
)
est <- do.call(rbind, lapply(names(fits), function(k) {
  pe <- parameterEstimates(fits[[k]], ci = FALSE)
  data.frame(fit = k, lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se)
}))
keys <- c("npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "chisq.scaled")
fm <- do.call(rbind, lapply(names(fits), function(k) {
  f <- fitMeasures(fits[[k]])
  data.frame(fit = k, t(sapply(keys, function(x) if (x %in% names(f)) f[[x]] else NA)))
}))
write.csv(est, "tests/reference/sem_starts/reversed_estimates.csv", row.names = FALSE)
write.csv(fm, "tests/reference/sem_starts/reversed_fit.csv", row.names = FALSE)

# lavaan's own start values for the reverse-keyed ML fit (FABIN 3 loadings etc.) and
# FABIN 3 on 6, 3 and 2 indicators, with and without std.lv
pt <- parTable(fits$ml)
write.csv(data.frame(lhs = pt$lhs, op = pt$op, rhs = pt$rhs, free = pt$free, start = pt$start),
          "tests/reference/sem_starts/reversed_start.csv", row.names = FALSE)
S6 <- cov(rev(HS)[, paste0("x", 1:6)])
out <- NULL
for (k in c(6L, 3L, 2L)) for (std in c(FALSE, TRUE)) {
  f <- lavaan:::lav_cfa_1fac_fabin(S6[1:k, 1:k], lambda.only = TRUE, std.lv = std)
  out <- rbind(out, data.frame(nvar = k, std_lv = std, item = seq_len(k), lambda = f$lambda,
                               psi = f$psi))
}
write.csv(out, "tests/reference/sem_starts/fabin3.csv", row.names = FALSE)
