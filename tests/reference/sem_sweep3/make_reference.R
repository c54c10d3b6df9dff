# Reference fits of the third parity sweep: public data that the other fixtures lack.
#
# Run from the repository root:
#   Rscript tests/reference/sem_sweep3/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14 and jsonlite.
# Writes tests/reference/sem_sweep3/:
#   facialburns.csv, demo_growth.csv   lavaan's FacialBurns and Demo.growth (rounded) data
#   fb_path_mlr.json     a saturated path model (df = 0) with defined effects under MLR:
#                        lavaan reports the robust RMSEA (and its interval) as 0
#   dg_growth_cov.json   growth() with time-invariant and time-varying covariates
#   hsn_scalar_mlr.json  Holzinger-Swineford with the first indicator x1 reverse-keyed
#                        (-x1), two schools, equal loadings and intercepts, MLR
# Each JSON holds the call (function, model, options), parameterEstimates() and
# fitMeasures().
suppressMessages({library(lavaan); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/sem_sweep3"
write.csv(FacialBurns, file.path(out, "facialburns.csv"), row.names = FALSE)
# Demo.growth rounded to 4 decimals (a smaller file); the fit below reads it back
write.csv(round(Demo.growth, 4), file.path(out, "demo_growth.csv"), row.names = FALSE)
dg <- read.csv(file.path(out, "demo_growth.csv"))
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
hs$x1 <- -hs$x1

export <- function(file, fun, model, data, opts = list()) {
  fit <- do.call(fun, c(list(model = model, data = data), opts))
  stopifnot(lavInspect(fit, "converged"))
  pe <- parameterEstimates(fit, ci = FALSE)
  if (is.null(pe$group)) pe$group <- ifelse(pe$op == ":=", 0L, 1L)
  res <- list(fun = fun, model = model, options = opts,
              lavaan_version = as.character(packageVersion("lavaan")),
              params = pe[, c("lhs", "op", "rhs", "group", "est", "se")],
              fit = as.list(fitMeasures(fit)))
  writeLines(toJSON(res, dataframe = "columns", digits = NA, na = "null", auto_unbox = TRUE,
                    null = "null"), file.path(out, paste0(file, ".json")))
}

export("fb_path_mlr", "sem", 'Selfesteem ~ a*TBSA + Age + Sex
HADS ~ b*Selfesteem + c*TBSA + Age + Sex
ind := a*b
total := c + a*b', FacialBurns, list(estimator = "MLR"))
export("dg_growth_cov", "growth", 'i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4
i ~ x1 + x2
s ~ x1 + x2
t1 ~ c1
t2 ~ c2
t3 ~ c3
t4 ~ c4', dg)
export("hsn_scalar_mlr", "cfa", 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9', hs,
       list(group = "school", group.equal = c("loadings", "intercepts"), estimator = "MLR"))
