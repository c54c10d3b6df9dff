# Reference fits of the eighth parity sweep: an outside check of the engine's outputs
# beyond the point estimates, on cases no earlier sweep had chosen: fitMeasures() in
# full, lavTestLRT() (nested and not nested models, equal df), residuals(),
# modindices(), and inequality constraints (bounds) under WLSMV.
#
# Run from the repository root:
#   Rscript tests/reference/sem_sweep8/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, psych 2.2.9 (Debian r-cran-psych) and jsonlite.
#
# Data written to tests/reference/sem_sweep8/ (the fits read them back):
#   bfi_ac.csv     psych::bfi items A1..A5, C1..C5, gender, age (N = 2800; A1, C4, C5
#                  are reverse-keyed; the items have missing values)
#   judges.csv     datasets::USJudgeRatings (N = 43, twelve ratings), names kept
#   dg_miss.csv    lavaan's Demo.growth (t1..t4, x1, x2), rounded to 4 decimals, with
#                  t2..t4 missing at random (more often for large x1; set.seed(8108))
#   gen_mar.csv    generated: two correlated factors, three indicators each (y1..y6),
#                  a covariate z and a group g (1/2); y3 and y6 missing at random given
#                  z (set.seed(8208), N = 400)
# Read from earlier sweeps: sem_sweep7/hs_sg.csv (HolzingerSwineford1939 with school),
# sem_sweep7/mtcars.csv, sem_sweep7/swiss.csv, sem_sweep7/lsat6.csv (lsat6 + group g),
# sem_sweep7/demo_growth.csv (Demo.growth, complete),
# sem_sweep4/sat_act.csv (psych::sat.act, SATQ has 13 missing values).
#
# Each <case>.json holds, for kind "fit": the call (function, data, model, options),
# lavaan's convergence and warnings, parameterEstimates() (est, se), fitMeasures() (all
# measures lavaan defines for the fit), residuals(fit, "raw") and residuals(fit, "cor")
# (per group: cov, mean, th) and modindices() (or its error); for kind "lrt": the calls
# of two or more models, each model's test, and lavTestLRT() of them all (the table, the
# method, the scale and shift of a scaled-shifted difference, the warnings).
# The cases:
#   fit measures, residuals and modification indices (kind "fit")
#     f_judges_ml          USJudgeRatings (N = 43): two factors, ML
#     f_judges_mlr         the same, MLR
#     f_hs_mg_metric_ms    HolzingerSwineford by school, equal loadings, meanstructure =
#                          TRUE (means in the residuals, GFI; MIs with equal loadings)
#     f_hs_mg_scalar_mlr   by school, loadings + intercepts, MLR (fixed latent means are
#                          MI candidates)
#     f_satact_fiml_mlr    sat.act: f =~ ACT + SATV + SATQ, f ~ age (fixed.x), by gender,
#                          missing = "ml", MLR
#     f_satact_fiml_ml     the same with ML (FIML; lavaan's robust CFI/RMSEA for FIML)
#     f_dg_growth_fiml     growth model on dg_miss (i, s on x1, x2), missing = "ml", MLR
#     f_gen_fiml_ml        gen_mar: two factors, missing = "ml", ML (FIML modindices)
#     f_gen_fiml_mg        the same by g, equal loadings, missing = "ml", ML
#     f_bfi_wlsmv_2f       A and C items ordered, two factors, WLSMV
#     f_bfi_wlsmv_mg       A items by gender, thresholds + loadings equal, WLSMV
#     f_bfi_wlsmv_theta    A items, parameterization = "theta", WLSMV
#     f_mtcars_sat_ml      mpg ~ wt + hp (saturated: df = 0), ML
#     f_mtcars_sat_mlr     the same, MLR (no scaling factor at df = 0)
#     f_lsat_sat_wlsmv     three binary items, one factor (df = 0), WLSMV
#     f_hs_df1_good        f =~ x4 + x5 + x6 + x7 with x6 ~~ x7: df = 1, X2 = 3.2
#     f_hs_cfa4_close      f =~ x1 + x2 + x3 + x4 with x3 ~~ x4: df = 1, X2 = 3.7
#     f_mtcars_bad         one factor of seven mtcars variables (N = 32): X2 large
#                          relative to N (the RMSEA interval's search range)
#     f_swiss_mlr          swiss (N = 47): a factor and a regression, MLR
#     f_pd_defined         PoliticalDemocracy with equal loadings (labels) and := rows
#     m_hs_mimic_fixedx    three factors on sex and ageyr (fixed.x), ML: MIs with
#                          covariates
#     m_hs_stdlv_mg        std.lv = TRUE by school, equal loadings, MLR
#     m_hs_bound           x8's residual variance bounded below (v > 0, active), ML
#     m_hs_orth            HS3 with orthogonal = TRUE, ML
#     m_hs_mimic_ms        m_hs_mimic_fixedx with meanstructure = TRUE (fixed intercepts
#                          and latent means are candidates)
#     m_dg_growth_ml       growth() on the complete Demo.growth, i and s on x1, ML
#     m_hs_second_order    g =~ visual + textual + speed, ML
#     m_gen_fixedx_fiml    gen_mar: f1 =~ y1 + y2 + y3, y5 ~ f1 + z (z fixed.x, missing
#                          = "ml"): z ~ y5 and z ~ f1 are candidates
#     m_gen_fixedx_ml      the same on the complete cases (listwise), ML
#     f_bfi_wlsmv_pairwise A items, missing = "pairwise", WLSMV
#     f_bfi_wlsmv_mixed    A items ordered, C items continuous, WLSMV
#   nested-model comparisons (kind "lrt")
#     l_hs_ml_inv          by school: configural, metric, scalar, strict, ML
#     l_hs_mlr_inv         the same, MLR (Satorra-Bentler 2001)
#     l_hs_mlr_inv_sb2010  the same with method = "satorra.bentler.2010"
#     l_satact_mlr_fiml    sat.act by gender: configural, metric, scalar; MLR, FIML
#     l_satact_mlr_fiml_sb2010  the same with method = "satorra.bentler.2010"
#     l_gen_ml_fiml        gen_mar: a factor correlation fixed at 0 vs free, ML FIML
#     l_bfi_wlsmv_inv      A items by gender: configural, thresholds + loadings,
#                          + intercepts; WLSMV (scaled-shifted difference)
#     l_bfi_wlsmv_path     A and C items ordered: a structural path fixed at 0, WLSMV
#     l_ml_negative        non-nested: HS3 + x4 ~~ x5 (df 23) vs HS3 + visual =~ x9 with
#                          visual ~~ 0*speed (df 24, lower X2): negative difference, ML
#     l_mlr_negative       the same, MLR
#     l_mlr_negative_sb2010  the same with method = "satorra.bentler.2010"
#     l_wlsmv_negative     non-nested: A and C items with A1 ~~ C1 (df 33) vs C4 ~~ C5 and
#                          C2's loading fixed at 1.12 (df 34, lower X2), WLSMV
#     l_ml_equal_df        HS3 + visual =~ x9 vs HS3 + x7 ~~ x8 (both df 23), ML
#     l_mlr_equal_df       the same, MLR
#     l_wlsmv_equal_df     A and C items: agree =~ C5 vs C4 ~~ C5 (both df 33), WLSMV
#     l_mlr_saturated      mtcars: a saturated path model vs one path fixed, MLR
#     l_mlr_saturated_sb2010  the same with method = "satorra.bentler.2010"
#     l_gen_ml_fiml_inv    gen_mar by g: configural, metric, scalar; ML, FIML
#     l_mixed_estimators   an ML fit against an MLR fit: lavaan refuses ("some models (but
#                          not all) have scaled test statistics")
#     l_pd_ml_labels       PoliticalDemocracy: equal loadings over time vs free, ML
#   inequality constraints under WLSMV (kind "fit")
#     b_wlsmv_load_active  A items, std.lv = TRUE, A2's loading (-0.72) bounded below
#                          (l2 > -0.6): active
#     b_wlsmv_load_inactive  the same with l2 > -2 (inactive)
#     b_wlsmv_cov_active   A and C items, the factor covariance (-0.090) bounded
#                          (c > -0.05): active
#     b_wlsmv_theta_load   theta, std.lv = TRUE, A2's loading (-1.03) bounded (l2 > -0.9)
#     b_wlsmv_mg_active    A items by gender, thresholds + loadings, group 2's factor
#                          variance (0.184) bounded (v < 0.15): active
#     l_wlsmv_bound        (kind "lrt") b_wlsmv_load_active against the same model with
#                          A1's loading fixed at 0.45: the less restricted model has an
#                          active bound
suppressMessages({library(lavaan); library(psych); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/sem_sweep8"
s7 <- "tests/reference/sem_sweep7"

# ---- data -------------------------------------------------------------------------
data(bfi, package = "psych")
write.csv(bfi[, c(paste0("A", 1:5), paste0("C", 1:5), "gender", "age")],
          file.path(out, "bfi_ac.csv"), row.names = FALSE, na = "")
write.csv(USJudgeRatings, file.path(out, "judges.csv"), row.names = FALSE)
set.seed(8108)
dg <- round(Demo.growth[, c("t1", "t2", "t3", "t4", "x1", "x2")], 4)
for (v in c("t2", "t3", "t4")) {
  p <- plogis(-1.6 + 0.8 * dg$x1)
  dg[[v]][runif(nrow(dg)) < p] <- NA
}
write.csv(dg, file.path(out, "dg_miss.csv"), row.names = FALSE, na = "")
set.seed(8208)
n <- 400
z <- rnorm(n)
f1 <- 0.5 * z + rnorm(n)
f2 <- 0.4 * f1 + rnorm(n)
gen <- data.frame(y1 = f1 + rnorm(n, sd = 0.8), y2 = 0.8 * f1 + rnorm(n, sd = 0.8),
                  y3 = 1.2 * f1 + rnorm(n, sd = 1), y4 = f2 + rnorm(n, sd = 0.7),
                  y5 = 0.9 * f2 + rnorm(n, sd = 0.9), y6 = 0.7 * f2 + rnorm(n, sd = 0.6),
                  z = z, g = rep(1:2, n / 2))
gen$y3[runif(n) < plogis(-1.5 + z)] <- NA
gen$y6[runif(n) < plogis(-2 - z)] <- NA
write.csv(round(gen, 4), file.path(out, "gen_mar.csv"), row.names = FALSE, na = "")

DATA <- list(
  bfi_ac = read.csv(file.path(out, "bfi_ac.csv")),
  judges = read.csv(file.path(out, "judges.csv")),
  dg_miss = read.csv(file.path(out, "dg_miss.csv")),
  gen_mar = read.csv(file.path(out, "gen_mar.csv")),
  hs = read.csv(file.path(s7, "hs_sg.csv"), na.strings = c("", "NA")),
  mtcars = read.csv(file.path(s7, "mtcars.csv")),
  swiss = read.csv(file.path(s7, "swiss.csv")),
  lsat = read.csv(file.path(s7, "lsat6.csv")),
  sat = read.csv("tests/reference/sem_sweep4/sat_act.csv"),
  dg = read.csv(file.path(s7, "demo_growth.csv")),
  pd = read.csv("tests/reference/data/PoliticalDemocracy.csv"))

# ---- helpers ----------------------------------------------------------------------
catching <- function(expr) {
  warns <- character()
  val <- tryCatch(withCallingHandlers(expr, warning = function(w) {
    warns <<- c(warns, conditionMessage(w))
    invokeRestart("muffleWarning")
  }), error = function(e) e)
  list(value = val, warnings = warns)
}

fit_spec <- function(spec) {
  catching(do.call(spec$fun, c(list(model = spec$model, data = DATA[[spec$data]]),
                               spec$options)))
}

group_list <- function(x, fit) {
  # residuals(): one group -> a list of matrices; several -> a list of such lists
  if (lavInspect(fit, "ngroups") == 1L) x <- list(x)
  lapply(x, function(r) {
    out <- list(names = rownames(r$cov), cov = unclass(r$cov))
    out$cov <- lapply(seq_len(nrow(out$cov)), function(i) as.numeric(out$cov[i, ]))
    if (!is.null(r$mean)) out$mean <- as.list(r$mean)
    if (!is.null(r$th)) out$th <- as.list(r$th)
    out
  })
}

fit_record <- function(fit) {
  pe <- parameterEstimates(fit, ci = FALSE)
  if (is.null(pe$group)) pe$group <- ifelse(pe$op %in% c(":=", "==", "<", ">"), 0L, 1L)
  ok <- lavInspect(fit, "converged")
  res <- list(converged = ok, nobs = as.list(lavInspect(fit, "nobs")),
              params = pe[, c("lhs", "op", "rhs", "group", "est", "se")])
  if (ok) {
    res$fit <- as.list(fitMeasures(fit))
    res$resid_raw <- group_list(residuals(fit, type = "raw"), fit)
    res$resid_cor <- group_list(residuals(fit, type = "cor"), fit)
    mi <- tryCatch(modindices(fit), error = function(e) e)
    if (inherits(mi, "error")) {
      res$modindices_error <- conditionMessage(mi)
    } else {
      mi <- as.data.frame(mi)
      if (is.null(mi$group)) mi$group <- rep(1L, nrow(mi))
      res$modindices <- mi[, c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.all")]
    }
  }
  res
}

export_fit <- function(name, fun, data, model, options = list()) {
  spec <- list(fun = fun, data = data, model = model, options = options)
  f <- fit_spec(spec)
  res <- c(list(kind = "fit", lavaan_version = as.character(packageVersion("lavaan"))),
           spec, list(warnings = f$warnings))
  if (inherits(f$value, "error")) {
    res$error <- conditionMessage(f$value)
  } else {
    w <- catching(fit_record(f$value))
    res <- c(res, w$value)
    res$record_warnings <- w$warnings
  }
  writeLines(toJSON(res, dataframe = "columns", digits = NA, na = "null", auto_unbox = TRUE,
                    null = "null", matrix = "rowmajor"),
             file.path(out, paste0(name, ".json")))
}

TESTKEYS <- c("chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
              "chisq.scaling.factor")

export_lrt <- function(name, specs, method = "default") {
  fits <- lapply(specs, function(s) fit_spec(s))
  for (f in fits) if (inherits(f$value, "error")) stop(name, ": ", conditionMessage(f$value))
  models <- lapply(seq_along(specs), function(i) {
    f <- fits[[i]]$value
    fm <- fitMeasures(f)
    c(specs[[i]], list(name = names(specs)[i], warnings = fits[[i]]$warnings,
                       converged = lavInspect(f, "converged"),
                       test = as.list(fm[intersect(TESTKEYS, names(fm))])))
  })
  args <- c(unname(lapply(fits, function(f) f$value)),
            list(method = method, model.names = names(specs)))
  t <- catching(do.call(lavTestLRT, args))
  tab <- t$value
  res <- list(kind = "lrt", lavaan_version = as.character(packageVersion("lavaan")),
              method = method, models = models, warnings = t$warnings)
  if (inherits(tab, "error")) {
    res$error <- conditionMessage(tab)
  } else {
    df <- data.frame(model = rownames(tab), Df = tab$Df, Chisq = tab$Chisq,
                     chisq_diff = tab[["Chisq diff"]], df_diff = tab[["Df diff"]],
                     pvalue = tab[["Pr(>Chisq)"]])
    if (!is.null(tab$RMSEA)) df$rmsea = tab$RMSEA
    if (!all(is.na(tab$AIC))) {
      df$AIC <- tab$AIC
      df$BIC <- tab$BIC
    }
    if (!is.null(attr(tab, "scale"))) {
      df$scale <- attr(tab, "scale")
      df$shift <- attr(tab, "shift")
    }
    res$table <- df
    res$heading <- attr(tab, "heading")
  }
  writeLines(toJSON(res, dataframe = "columns", digits = NA, na = "null", auto_unbox = TRUE,
                    null = "null"), file.path(out, paste0(name, ".json")))
}

spec <- function(fun, data, model, options = list()) {
  # a configural model has no group.equal (lavaan fails on an empty one)
  if (!is.null(options$group.equal) && length(options$group.equal) == 0L) {
    options$group.equal <- NULL
  }
  list(fun = fun, data = data, model = model, options = options)
}

HS3 <- 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9'
JUDGE <- 'skill =~ DILG + CFMG + DECI + PREP + FAMI + ORAL + WRIT
integ =~ INTG + DMNR + RTEN'
SAT <- 'f =~ ACT + SATV + SATQ
f ~ age'
GEN <- 'f1 =~ y1 + y2 + y3
f2 =~ y4 + y5 + y6'
A <- paste0("A", 1:5)
C <- paste0("C", 1:5)
AGR <- 'agree =~ A1 + A2 + A3 + A4 + A5'
AC <- 'agree =~ A1 + A2 + A3 + A4 + A5
consc =~ C1 + C2 + C3 + C4 + C5'
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

# ---- fit measures, residuals, modification indices --------------------------------
export_fit("f_judges_ml", "cfa", "judges", JUDGE)
export_fit("f_judges_mlr", "cfa", "judges", JUDGE, list(estimator = "MLR"))
export_fit("f_hs_mg_metric_ms", "cfa", "hs", HS3,
           list(group = "school", group.equal = "loadings", meanstructure = TRUE))
export_fit("f_hs_mg_scalar_mlr", "cfa", "hs", HS3,
           list(group = "school", group.equal = c("loadings", "intercepts"),
                estimator = "MLR"))
export_fit("f_satact_fiml_mlr", "sem", "sat", SAT,
           list(group = "gender", missing = "ml", estimator = "MLR"))
export_fit("f_satact_fiml_ml", "sem", "sat", SAT, list(group = "gender", missing = "ml"))
export_fit("f_dg_growth_fiml", "growth", "dg_miss", 'i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4
i + s ~ x1 + x2', list(missing = "ml", estimator = "MLR"))
export_fit("f_gen_fiml_ml", "cfa", "gen_mar", GEN, list(missing = "ml"))
export_fit("f_gen_fiml_mg", "cfa", "gen_mar", GEN,
           list(missing = "ml", group = "g", group.equal = "loadings"))
export_fit("f_bfi_wlsmv_2f", "cfa", "bfi_ac", AC, list(ordered = c(A, C)))
export_fit("f_bfi_wlsmv_mg", "cfa", "bfi_ac", AGR,
           list(ordered = A, group = "gender", group.equal = c("thresholds", "loadings")))
export_fit("f_bfi_wlsmv_theta", "cfa", "bfi_ac", AGR,
           list(ordered = A, parameterization = "theta"))
export_fit("f_mtcars_sat_ml", "sem", "mtcars", 'mpg ~ wt + hp')
export_fit("f_mtcars_sat_mlr", "sem", "mtcars", 'mpg ~ wt + hp', list(estimator = "MLR"))
export_fit("f_lsat_sat_wlsmv", "cfa", "lsat", 'f =~ Q1 + Q2 + Q3', list(ordered = TRUE))
export_fit("f_hs_df1_good", "cfa", "hs", 'f =~ x4 + x5 + x6 + x7
x6 ~~ x7')
export_fit("f_hs_cfa4_close", "cfa", "hs", 'f =~ x1 + x2 + x3 + x4
x3 ~~ x4')
export_fit("f_mtcars_bad", "cfa", "mtcars", 'f =~ mpg + cyl + disp + hp + drat + wt + qsec')
export_fit("f_swiss_mlr", "sem", "swiss", 'soc =~ Examination + Education + Agriculture
Fertility ~ soc + Infant.Mortality', list(estimator = "MLR"))
export_fit("f_pd_defined", "sem", "pd", paste(sub("dem65 ~ ind60 + dem60",
  "dem65 ~ ind60 + g3*dem60", sub("dem60 ~ ind60", "dem60 ~ g1*ind60", PD, fixed = TRUE),
  fixed = TRUE), 'tot := a + b + c
ind := g1*g3', sep = "\n"))
export_fit("m_hs_mimic_fixedx", "sem", "hs", paste(HS3, "visual + textual + speed ~ sex + ageyr",
                                                 sep = "\n"))
export_fit("m_hs_stdlv_mg", "cfa", "hs", HS3,
           list(group = "school", std.lv = TRUE, group.equal = "loadings", estimator = "MLR"))
export_fit("m_hs_bound", "cfa", "hs", 'f1 =~ x1 + x2 + x3
f2 =~ x7 + x8
x8 ~~ v*x8
v > 0')
export_fit("m_hs_orth", "cfa", "hs", HS3, list(orthogonal = TRUE))
export_fit("m_hs_mimic_ms", "sem", "hs", paste(HS3, "visual + textual + speed ~ sex + ageyr",
                                              sep = "\n"), list(meanstructure = TRUE))
export_fit("m_dg_growth_ml", "growth", "dg", 'i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4
i + s ~ x1')
export_fit("m_hs_second_order", "cfa", "hs", paste(HS3, "g =~ visual + textual + speed",
                                                  sep = "\n"))
export_fit("m_gen_fixedx_fiml", "sem", "gen_mar", 'f1 =~ y1 + y2 + y3
y5 ~ f1 + z', list(missing = "ml"))
export_fit("m_gen_fixedx_ml", "sem", "gen_mar", 'f1 =~ y1 + y2 + y3
y5 ~ f1 + z')
export_fit("f_bfi_wlsmv_pairwise", "cfa", "bfi_ac", AGR, list(ordered = A, missing = "pairwise"))
export_fit("f_bfi_wlsmv_mixed", "cfa", "bfi_ac", AC, list(ordered = A))

# ---- nested-model comparisons -----------------------------------------------------
inv <- function(est, levels = list(configural = character(), metric = "loadings",
                                   scalar = c("loadings", "intercepts"),
                                   strict = c("loadings", "intercepts", "residuals"))) {
  lapply(levels, function(ge) spec("cfa", "hs", HS3, c(list(group = "school",
                                                             group.equal = ge), est)))
}
export_lrt("l_hs_ml_inv", inv(list()))
export_lrt("l_hs_mlr_inv", inv(list(estimator = "MLR")))
export_lrt("l_hs_mlr_inv_sb2010", inv(list(estimator = "MLR")), method = "satorra.bentler.2010")
SATINV <- lapply(
  list(configural = character(), metric = "loadings", scalar = c("loadings", "intercepts")),
  function(ge) spec("cfa", "sat", 'f =~ ACT + SATV + SATQ',
                    list(group = "gender", group.equal = ge, missing = "ml",
                         estimator = "MLR")))
export_lrt("l_satact_mlr_fiml", SATINV)
export_lrt("l_satact_mlr_fiml_sb2010", SATINV, method = "satorra.bentler.2010")
export_lrt("l_gen_ml_fiml", list(
  free = spec("cfa", "gen_mar", GEN, list(missing = "ml")),
  orth = spec("cfa", "gen_mar", paste(GEN, "f1 ~~ 0*f2", sep = "\n"), list(missing = "ml"))))
export_lrt("l_bfi_wlsmv_inv", lapply(
  list(configural = character(), loadings = c("thresholds", "loadings"),
       intercepts = c("thresholds", "loadings", "intercepts")),
  function(ge) spec("cfa", "bfi_ac", AGR, list(ordered = A, group = "gender",
                                               group.equal = ge))))
export_lrt("l_bfi_wlsmv_path", list(
  free = spec("sem", "bfi_ac", paste(AC, "consc ~ agree", sep = "\n"), list(ordered = c(A, C))),
  zero = spec("sem", "bfi_ac", paste(AC, "consc ~ 0*agree", sep = "\n"),
              list(ordered = c(A, C)))))
NEG <- list(less = paste(HS3, "x4 ~~ x5", sep = "\n"),
            more = paste(HS3, "visual =~ x9\nvisual ~~ 0*speed", sep = "\n"))
export_lrt("l_ml_negative", lapply(NEG, function(m) spec("cfa", "hs", m)))
export_lrt("l_mlr_negative", lapply(NEG, function(m) spec("cfa", "hs", m,
                                                          list(estimator = "MLR"))))
export_lrt("l_mlr_negative_sb2010", lapply(NEG, function(m) spec("cfa", "hs", m,
                                                                 list(estimator = "MLR"))),
           method = "satorra.bentler.2010")
export_lrt("l_wlsmv_negative", list(
  less = spec("cfa", "bfi_ac", paste(AC, "A1 ~~ C1", sep = "\n"), list(ordered = c(A, C))),
  more = spec("cfa", "bfi_ac", 'agree =~ A1 + A2 + A3 + A4 + A5
consc =~ C1 + 1.12*C2 + C3 + C4 + C5
C4 ~~ C5', list(ordered = c(A, C)))))
EQ <- list(a = paste(HS3, "visual =~ x9", sep = "\n"), b = paste(HS3, "x7 ~~ x8", sep = "\n"))
export_lrt("l_ml_equal_df", lapply(EQ, function(m) spec("cfa", "hs", m)))
export_lrt("l_mlr_equal_df", lapply(EQ, function(m) spec("cfa", "hs", m,
                                                         list(estimator = "MLR"))))
export_lrt("l_wlsmv_equal_df", list(
  a = spec("cfa", "bfi_ac", paste(AC, "agree =~ C5", sep = "\n"), list(ordered = c(A, C))),
  b = spec("cfa", "bfi_ac", paste(AC, "C4 ~~ C5", sep = "\n"), list(ordered = c(A, C)))))
export_lrt("l_mlr_saturated", list(
  sat = spec("sem", "mtcars", 'mpg ~ wt + hp
qsec ~ mpg + wt + hp', list(estimator = "MLR")),
  path = spec("sem", "mtcars", 'mpg ~ wt + hp
qsec ~ mpg + wt + 0*hp', list(estimator = "MLR"))))
export_lrt("l_mlr_saturated_sb2010", list(
  sat = spec("sem", "mtcars", 'mpg ~ wt + hp
qsec ~ mpg + wt + hp', list(estimator = "MLR")),
  path = spec("sem", "mtcars", 'mpg ~ wt + hp
qsec ~ mpg + wt + 0*hp', list(estimator = "MLR"))), method = "satorra.bentler.2010")
export_lrt("l_gen_ml_fiml_inv", lapply(
  list(configural = character(), metric = "loadings", scalar = c("loadings", "intercepts")),
  function(ge) spec("cfa", "gen_mar", GEN, list(group = "g", group.equal = ge,
                                               missing = "ml"))))
export_lrt("l_mixed_estimators", list(
  ml = spec("cfa", "hs", HS3), mlr = spec("cfa", "hs", paste(HS3, "x7 ~~ x8", sep = "\n"),
                                          list(estimator = "MLR"))))
export_lrt("l_pd_ml_labels", list(
  free = spec("sem", "pd", gsub("[abc]\\*", "", PD)),
  equal = spec("sem", "pd", PD)))

# ---- inequality constraints under WLSMV -------------------------------------------
export_fit("b_wlsmv_load_active", "cfa", "bfi_ac", 'agree =~ A1 + l2*A2 + A3 + A4 + A5
l2 > -0.6', list(ordered = A, std.lv = TRUE))
export_fit("b_wlsmv_load_inactive", "cfa", "bfi_ac", 'agree =~ A1 + l2*A2 + A3 + A4 + A5
l2 > -2', list(ordered = A, std.lv = TRUE))
export_fit("b_wlsmv_cov_active", "cfa", "bfi_ac", paste(AC, 'agree ~~ c*consc
c > -0.05', sep = "\n"), list(ordered = c(A, C)))
export_fit("b_wlsmv_theta_load", "cfa", "bfi_ac", 'agree =~ A1 + l2*A2 + A3 + A4 + A5
l2 > -0.9', list(ordered = A, parameterization = "theta", std.lv = TRUE))
export_fit("b_wlsmv_mg_active", "cfa", "bfi_ac", 'agree =~ A1 + A2 + A3 + A4 + A5
agree ~~ c(v1, v)*agree
v < 0.15', list(ordered = A, group = "gender", group.equal = c("thresholds", "loadings")))
export_lrt("l_wlsmv_bound", list(
  bound = spec("cfa", "bfi_ac", 'agree =~ A1 + l2*A2 + A3 + A4 + A5
l2 > -0.6', list(ordered = A, std.lv = TRUE)),
  fixed = spec("cfa", "bfi_ac", 'agree =~ 0.45*A1 + l2*A2 + A3 + A4 + A5
l2 > -0.6', list(ordered = A, std.lv = TRUE))))
