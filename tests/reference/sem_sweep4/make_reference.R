# Reference fits of the fourth parity sweep: public data and model features the earlier
# sweeps lacked, the standardized solution with its standard errors, R-squared,
# modification indices and fitMeasures (with the .scaled / .robust variants).
#
# Run from the repository root:
#   Rscript tests/reference/sem_sweep4/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, psych 2.2.9 (Debian r-cran-psych), semTools 0.5.6 and
# jsonlite.
# Writes tests/reference/sem_sweep4/:
#   hs_mar.csv        HolzingerSwineford1939 (x1..x9, school) with values of x2, x3, x5, x6,
#                     x8, x9 deleted at random given the complete x1, x4, x7 (MAR, seed 4)
#   attitude.csv      datasets::attitude (N = 30)
#   sat_act.csv       psych::sat.act (SATQ has 13 missing values)
#   bfi_ae.csv        psych::bfi items A1..A5, C1..C5 and gender (A1 is reverse-keyed)
#   twolevel_l1.csv   lavaan's Demo.twolevel, the within-level variables y1..y3, x1..x3
#                     (rounded to 4 decimals), fitted as a single-level model
#   <case>.json       the call (function, model, options), lavaan's warnings,
#                     parameterEstimates(standardized = TRUE) with standardizedSolution()
#                     SEs for std.lv and std.all, R-squared, fitMeasures() and, for
#                     some ML / MLR fits (one or two groups), modindices()
#   bfi_agree_invariance.json   configural .. strict fits of the bfi agreeableness items
#                     (A1 reverse-keyed) by gender
#   hs_heywood_invariance.json  the same sequence for a model with a Heywood case:
#                     convergence, warnings, chi-square per level
#   bfi_ord_invariance.json     ordered bfi items by gender, semTools::measEq.syntax
#                     (Wu & Estabrook 2016) models fitted with lavaan, per level
suppressMessages({library(lavaan); library(psych); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/sem_sweep4"

# ---- data -------------------------------------------------------------------------
hs <- HolzingerSwineford1939[, c("school", paste0("x", 1:9))]
set.seed(4)
z <- function(v) (v - mean(v)) / sd(v)
drop_mar <- function(target, driver) {
  p <- plogis(-1.6 + 1.2 * z(hs[[driver]]))  # about 20 % missing, more for high drivers
  hs[[target]][runif(nrow(hs)) < p] <<- NA
}
drop_mar("x2", "x1"); drop_mar("x3", "x1"); drop_mar("x5", "x4")
drop_mar("x6", "x4"); drop_mar("x8", "x7"); drop_mar("x9", "x7")
write.csv(hs, file.path(out, "hs_mar.csv"), row.names = FALSE, na = "")
hs_mar <- read.csv(file.path(out, "hs_mar.csv"))
hs_full <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
pd <- read.csv("tests/reference/data/PoliticalDemocracy.csv")
write.csv(attitude, file.path(out, "attitude.csv"), row.names = FALSE)
att <- read.csv(file.path(out, "attitude.csv"))
data(sat.act, package = "psych")
write.csv(sat.act, file.path(out, "sat_act.csv"), row.names = FALSE, na = "")
sat <- read.csv(file.path(out, "sat_act.csv"))
data(bfi, package = "psych")
write.csv(bfi[, c(paste0("A", 1:5), paste0("C", 1:5), "gender")], file.path(out, "bfi_ae.csv"),
          row.names = FALSE, na = "")
bfi_ae <- read.csv(file.path(out, "bfi_ae.csv"))
write.csv(round(Demo.twolevel[, c("y1", "y2", "y3", "x1", "x2", "x3")], 4),
          file.path(out, "twolevel_l1.csv"), row.names = FALSE)
tl <- read.csv(file.path(out, "twolevel_l1.csv"))

# ---- export -----------------------------------------------------------------------
export <- function(file, fun, model, data, opts = list(), mi = FALSE) {
  warns <- character()
  fit <- withCallingHandlers(do.call(fun, c(list(model = model, data = data), opts)),
                             warning = function(w) {
                               warns <<- c(warns, conditionMessage(w))
                               invokeRestart("muffleWarning")
                             })
  pe <- parameterEstimates(fit, ci = FALSE, standardized = TRUE)
  if (is.null(pe$group)) pe$group <- ifelse(pe$op == ":=", 0L, 1L)
  keep <- c("lhs", "op", "rhs", "group", "est", "se", "std.lv", "std.all")
  pe <- pe[, keep]
  ok_se <- all(is.finite(pe$se[pe$op != ":="]))
  if (ok_se) {
    s_all <- standardizedSolution(fit, type = "std.all", ci = FALSE)
    s_lv <- standardizedSolution(fit, type = "std.lv", ci = FALSE)
    pe$se.std.all <- s_all$se
    pe$se.std.lv <- s_lv$se
  }
  r2 <- lavInspect(fit, "r2")
  res <- list(fun = fun, model = model, options = opts,
              lavaan_version = as.character(packageVersion("lavaan")),
              converged = lavInspect(fit, "converged"),
              post_check = suppressWarnings(lavInspect(fit, "post.check")),
              warnings = warns, params = pe,
              r2 = if (is.list(r2)) lapply(r2, as.list) else list(as.list(r2)),
              fit = as.list(fitMeasures(fit)))
  if (mi) {
    m <- modindices(fit)
    res$modindices <- m[, intersect(c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.all"),
                                    names(m))]
  }
  writeLines(toJSON(res, dataframe = "columns", digits = NA, na = "null", auto_unbox = TRUE,
                    null = "null"), file.path(out, paste0(file, ".json")))
}

HS3 <- 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9'
PD <- 'ind60 =~ x1 + x2 + x3
dem60 =~ y1 + a*y2 + b*y3 + c*y4
dem65 =~ y5 + a*y6 + b*y7 + c*y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8'

# (a) public data
export("hs_mar_fiml", "cfa", HS3, hs_mar, list(missing = "ml"), mi = TRUE)
export("hs_mar_mlr", "cfa", HS3, hs_mar, list(missing = "ml", estimator = "MLR"))
export("hs_mar_mlr_metric", "cfa", HS3, hs_mar,
       list(missing = "ml", estimator = "MLR", group = "school", group.equal = "loadings"))
export("pd_equal_time", "sem", PD, pd, mi = TRUE)
export("pd_equal_time_mlr", "sem", PD, pd, list(estimator = "MLR"))
export("attitude_path", "sem", 'f =~ complaints + privileges + learning + raises
rating ~ f + advance
critical ~ rating', att, mi = TRUE)
export("satact_mg_mlr", "cfa", 'f =~ ACT + SATV + SATQ', sat,
       list(group = "gender", group.equal = "loadings", missing = "ml", estimator = "MLR"))
export("satact_reg_fiml", "sem", 'f =~ ACT + SATV + SATQ
f ~ age + education', sat, list(missing = "ml"))
export("twolevel_l1_mlr", "sem", 'fw =~ y1 + y2 + y3
fw ~ x1 + x2 + x3', tl, list(estimator = "MLR"))
export("bfi_agree_scalar", "cfa", 'agree =~ A1 + A2 + A3 + A4 + A5', bfi_ae,
       list(group = "gender", group.equal = c("loadings", "intercepts")))
export("bfi_ord_thr_load", "cfa", 'agree =~ A1 + A2 + A3 + A4 + A5', bfi_ae,
       list(group = "gender", group.equal = c("thresholds", "loadings"),
            ordered = paste0("A", 1:5)))
# (b) model features
export("hs_fixed_start", "cfa", 'visual =~ x1 + 0.5*x2 + start(0.5)*x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
x1 ~~ 0.5*x1
x4 ~ 0*1', hs_full, list(meanstructure = TRUE), mi = TRUE)
export("hs_stdlv_orth", "cfa", HS3, hs_full, list(std.lv = TRUE, orthogonal = TRUE), mi = TRUE)
export("bfi_ord_stdlv", "cfa", 'agree =~ A1 + A2 + A3 + A4 + A5
consc =~ C1 + C2 + C3 + C4 + C5', bfi_ae,
       list(std.lv = TRUE, ordered = c(paste0("A", 1:5), paste0("C", 1:5))))
export("hs_heywood", "cfa", 'f1 =~ x1 + x2 + x3
f2 =~ x7 + x8', hs_full)
export("bfi_agree_mlr_fiml", "cfa", 'agree =~ A1 + A2 + A3 + A4 + A5
consc =~ C1 + C2 + C3 + C4 + C5', bfi_ae, list(missing = "ml", estimator = "MLR"))
export("hs_stdlv_metric", "cfa", HS3, hs_full,
       list(std.lv = TRUE, group = "school", group.equal = "loadings"))
export("satact_reg_mlr", "sem", 'f =~ ACT + SATV + SATQ
f ~ age + education', sat, list(missing = "ml", estimator = "MLR"))
export("bfi_ord_theta_mg", "cfa", 'agree =~ A1 + A2 + A3 + A4 + A5', bfi_ae,
       list(group = "gender", group.equal = c("thresholds", "loadings"),
            ordered = paste0("A", 1:5), parameterization = "theta"))
# an empirically under-identified model (a two-indicator factor uncorrelated with the
# rest): lavaan warns that the information matrix cannot be inverted (no SEs)
export("hs_underid", "cfa", 'f1 =~ x1 + x2
f2 =~ x4 + x5 + x6
f1 ~~ 0*f2', hs_full)

# invariance sequence with a reverse-keyed marker (A1 loads negatively on agreeableness)
levels <- list(configural = "none", metric = "loadings",
               scalar = c("loadings", "intercepts"),
               strict = c("loadings", "intercepts", "residuals"))
inv <- lapply(levels, function(ge) {
  fit <- cfa('agree =~ A1 + A2 + A3 + A4 + A5', bfi_ae, group = "gender", group.equal = ge)
  stopifnot(lavInspect(fit, "converged"))
  as.list(fitMeasures(fit, c("npar", "chisq", "df", "pvalue", "cfi", "rmsea", "srmr")))
})
writeLines(toJSON(list(model = 'agree =~ A1 + A2 + A3 + A4 + A5', group = "gender",
                       levels = inv), digits = NA, auto_unbox = TRUE),
           file.path(out, "bfi_agree_invariance.json"))

# invariance sequence of a model with a Heywood case: lavaan does not converge on the
# configural, scalar and strict models, and warns of negative variances on the metric one
hey <- lapply(levels, function(ge) {
  w <- character()
  fit <- withCallingHandlers(cfa('f1 =~ x1 + x2 + x3
f2 =~ x7 + x8', hs_full, group = "school", group.equal = ge),
                             warning = function(x) {
                               w <<- c(w, conditionMessage(x))
                               invokeRestart("muffleWarning")
                             })
  ok <- lavInspect(fit, "converged")
  list(converged = ok, warnings = w,
       chisq = if (ok) fitMeasures(fit, "chisq")[[1]] else NA,
       df = if (ok) fitMeasures(fit, "df")[[1]] else NA)
})
writeLines(toJSON(list(model = 'f1 =~ x1 + x2 + x3
f2 =~ x7 + x8', group = "school", levels = hey), digits = NA, auto_unbox = TRUE,
                  na = "null"), file.path(out, "hs_heywood_invariance.json"))

# defined effects in the standardized solution (std.all of a := row is the definition
# applied to the standardized values), MLR
export("attitude_mediation_mlr", "sem", 'learning ~ a*complaints
rating ~ b*learning + c*complaints
ind := a*b
total := c + a*b', att, list(estimator = "MLR"))
# ordered items with pairwise deletion (WLSMV), two factors
export("bfi_ord_pairwise", "cfa", 'agree =~ A1 + A2 + A3 + A4 + A5
consc =~ C1 + C2 + C3 + C4 + C5', bfi_ae,
       list(ordered = c(paste0("A", 1:5), paste0("C", 1:5)), missing = "pairwise"))

# fixed.x = FALSE: the covariates' variances, covariance and means are free parameters
# (and their covariance is free in the independence model too)
export("satact_fixedx_false", "sem", 'f =~ ACT + SATV + SATQ
f ~ age + education', sat, list(fixed.x = FALSE))
export("satact_fixedx_false_fiml", "sem", 'f =~ ACT + SATV + SATQ
f ~ age + education', sat, list(fixed.x = FALSE, missing = "ml"))

# ordinal invariance with the reverse-keyed A1 (semTools::measEq.syntax, Wu & Estabrook
# 2016, std.lv), as analysis.sem.measurement_invariance(ordered=...) fits it
suppressMessages(library(semTools))
bfi_cc <- bfi_ae[complete.cases(bfi_ae[, c(paste0("A", 1:5), "gender")]), ]
ord_levels <- list(configural = "", thresholds = "thresholds",
                   loadings = c("thresholds", "loadings"),
                   intercepts = c("thresholds", "loadings", "intercepts"))
ord_inv <- lapply(ord_levels, function(ge) {
  syn <- as.character(do.call(measEq.syntax, list(
    configural.model = 'agree =~ A1 + A2 + A3 + A4 + A5', data = bfi_cc,
    ordered = paste0("A", 1:5), group = "gender", parameterization = "delta",
    ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group.equal = ge)))
  fit <- cfa(syn, data = bfi_cc, ordered = paste0("A", 1:5), group = "gender",
             estimator = "WLSMV")
  stopifnot(lavInspect(fit, "converged"))
  as.list(fitMeasures(fit, c("npar", "chisq", "df", "chisq.scaled", "df.scaled",
                             "cfi.scaled", "rmsea.scaled", "srmr")))
})
writeLines(toJSON(list(model = 'agree =~ A1 + A2 + A3 + A4 + A5', group = "gender",
                       semTools_version = as.character(packageVersion("semTools")),
                       levels = ord_inv), digits = NA, auto_unbox = TRUE, na = "null"),
           file.path(out, "bfi_ord_invariance.json"))

# modification indices: two groups with equal loadings, a mean structure under MLR, and
# a model whose only candidates would regress fixed.x covariates (lavaan lists none)
export("hs_mg_mi", "cfa", HS3, hs_full, list(group = "school", group.equal = "loadings"),
       mi = TRUE)
export("hs_ms_mlr_mi", "cfa", HS3, hs_full, list(meanstructure = TRUE, estimator = "MLR"),
       mi = TRUE)
export("satact_x3_mi", "sem", 'f =~ ACT + SATV + SATQ
f ~ age + education + gender', sat, mi = TRUE)
export("satact_fixedx_false_mlr", "sem", 'f =~ ACT + SATV + SATQ
f ~ age + education', sat, list(fixed.x = FALSE, missing = "ml", estimator = "MLR"))
