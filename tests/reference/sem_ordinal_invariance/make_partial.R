# Partial invariance of ordered items under the Wu & Estabrook (2016) identification:
# lavaan fits of semTools::measEq.syntax() models with group.partial, the reference of
# tests/sem/test_ordinal_partial.py.
#
# Run from the repository root:
#   Rscript tests/reference/sem_ordinal_invariance/make_partial.R
# Versions used: R 4.2.2, lavaan 0.6.14, semTools 0.5-6, jsonlite (Debian bookworm).
#
# Data: two_groups.csv (make_ordinal_invariance.R) and seven_cat.csv, simulated here:
# one factor, five seven-point items, three groups of 300; in group 3 item q2 loads
# less and item q4 is shifted (a non-invariant loading and intercept).
# Fixture partial.json: per case the data, model, group.equal, group.partial,
# parameterization, fit measures and parameter estimates.
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
out <- "tests/reference/sem_ordinal_invariance"
set.seed(20261206)

pop <- function(l2, mean) paste0("f =~ 0.8*q1 + ", l2, "*q2 + 0.7*q3 + 0.6*q4 + 0.75*q5\n",
                                 "f ~ ", mean, "*1\n")
cuts <- c(-Inf, -1.6, -0.9, -0.3, 0.3, 0.9, 1.6, Inf)
groups <- list(simulateData(pop(0.7, 0), sample.nobs = 300),
               simulateData(pop(0.7, 0.2), sample.nobs = 300),
               simulateData(pop(0.35, 0.3), sample.nobs = 300))
groups[[3]]$q4 <- groups[[3]]$q4 + 0.6
seven <- do.call(rbind, lapply(groups, function(d) {
  for (v in paste0("q", 1:5)) d[[v]] <- as.integer(cut(d[[v]], cuts))
  d
}))
seven$g <- rep(1:3, each = 300)
write.csv(seven, file.path(out, "seven_cat.csv"), row.names = FALSE)

two <- read.csv(file.path(out, "two_groups.csv"))
data_sets <- list(two_groups = two, seven_cat = seven)
models <- list(two_groups = "f1 =~ y1 + y2 + y3\nf2 =~ y4 + y5 + y6",
               seven_cat = "f =~ q1 + q2 + q3 + q4 + q5")
TH <- "thresholds"; LO <- c("thresholds", "loadings")
IN <- c("thresholds", "loadings", "intercepts")
cases <- list(
  list(data = "two_groups", equal = TH, partial = "y1|t1"),
  list(data = "two_groups", equal = TH, partial = "y4|t3"),
  list(data = "two_groups", equal = TH, partial = c("y1|t1", "y6|t2")),
  list(data = "two_groups", equal = LO, partial = "f1=~y2"),
  list(data = "two_groups", equal = LO, partial = c("y6|t2", "f2=~y5")),
  list(data = "two_groups", equal = IN, partial = "y3~1"),
  list(data = "two_groups", equal = IN, partial = c("f1=~y2", "y3~1")),
  list(data = "two_groups", equal = IN, partial = "y3~1", param = "theta"),
  list(data = "seven_cat", equal = TH, partial = c("q4|t3", "q4|t5")),
  list(data = "seven_cat", equal = LO, partial = "f=~q2"),
  list(data = "seven_cat", equal = IN, partial = c("f=~q2", "q4~1")),
  list(data = "seven_cat", equal = IN, partial = "q4~1", param = "theta")
)
KEYS <- c("npar", "chisq", "df", "chisq.scaled", "df.scaled", "pvalue.scaled", "cfi.scaled",
          "rmsea.scaled")
res <- lapply(cases, function(cs) {
  param <- if (is.null(cs$param)) "delta" else cs$param
  dat <- data_sets[[cs$data]]
  ord <- setdiff(names(dat), "g")
  syn <- as.character(do.call(measEq.syntax, list(
    configural.model = models[[cs$data]], data = dat, ordered = ord, group = "g",
    parameterization = param, ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
    group.equal = cs$equal, group.partial = cs$partial)))
  fit <- cfa(syn, data = dat, ordered = ord, group = "g", estimator = "WLSMV",
             parameterization = param)
  pe <- parameterEstimates(fit, ci = FALSE)
  pe <- pe[pe$op %in% c("=~", "|", "~1", "~~", "~*~"), ]
  list(data = cs$data, model = models[[cs$data]], ordered = ord,
       group_equal = I(cs$equal), group_partial = I(cs$partial), parameterization = param,
       converged = lavInspect(fit, "converged"), fit = as.list(fitMeasures(fit, KEYS)),
       estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = pe$group,
                        est = pe$est, se = pe$se))
})
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"),
           file.path(out, "partial.json"))
