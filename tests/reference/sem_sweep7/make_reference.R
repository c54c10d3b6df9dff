# Reference fits of the seventh parity sweep: an outside check on model features and
# public data that no earlier sweep (sem_sweep3, sem_sweep4, the campaign) had chosen.
#
# Run from the repository root:
#   Rscript tests/reference/sem_sweep7/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, psych 2.2.9 (Debian r-cran-psych) and jsonlite.
#
# Data written to tests/reference/sem_sweep7/ (the fits read them back):
#   demo_growth.csv  lavaan's Demo.growth (t1..t4, x1, x2, c1..c4), rounded to 4 decimals
#   hs_sg.csv        HolzingerSwineford1939 (x1..x9, school, grade, sex, ageyr) with
#                    sg = school x grade (four groups; one case has no grade, so no group)
#   bfi_eo.csv       psych::bfi items E1..E5, O1..O5, gender, education (E1, E2, O2, O5
#                    are reverse-keyed; education has missing values)
#   airquality.csv   datasets::airquality (Ozone 37 and Solar.R 7 missing values)
#   state.csv        datasets::state.x77 (N = 50; Area, Population, Income have variances
#                    1e4 to 1e10 times that of Illiteracy), names made syntactic
#   mtcars.csv       datasets::mtcars (N = 32)
#   swiss.csv        datasets::swiss (N = 47)
#   iris.csv         datasets::iris (three species of 50)
#   tal_or.csv       psych::Tal_Or (N = 123; cond, pmi, import, reaction, gender, age)
#   lsat6.csv        psych::lsat6 (bock): 1000 answers to five binary items Q1..Q5, and
#                    g = 1, 2, 1, 2, ... (two arbitrary groups)
# PoliticalDemocracy is read from tests/reference/data/.
#
# Each <case>.json holds the call (function, model, options), lavaan's convergence,
# post.check and warnings, parameterEstimates(standardized = TRUE) with the
# standardizedSolution() SEs, R-squared and fitMeasures(); or, where lavaan fails, its
# error.  The cases:
#   growth
#     dg_linear            growth(): linear growth (fixed loadings, i/s means free)
#     dg_explicit          the same with sem() and i ~ 1, s ~ 1, t1..t4 ~ 0*1 written out
#     dg_free_time_mlr     growth(): s loadings of t3, t4 free (t2 = 1), MLR
#     dg_quad_eqres        growth(): quadratic, residual variances equal (labels)
#     dg_fixed_slope       growth(): slope variance fixed at 0 (s ~~ 0*s, i ~~ 0*s),
#                          i and s regressed on x1
#   second order, identification
#     hs_second_order      g =~ visual + textual + speed (marker loadings)
#     hs_second_order_stdlv  the same with std.lv = TRUE
#     hs_stdlv_tau         std.lv = TRUE with tau-equivalent loadings (labels a, b, c)
#     hs_afx_false         auto.fix.first = FALSE, latent variances fixed by hand at
#                          1, 1 and 0.5: lavaan's cfa() overrides auto.fix.first (the
#                          markers stay fixed too: npar 18), so the engine refuses it
#     hs_single_ind        a single-indicator factor (sp =~ x7): lavaan's auto.fix.single
#                          fixes x7's residual variance at 0
#     talor_single_ind     single-indicator factors with fixed error variances
#                          (reliability correction) in a mediation model, N = 123
#   orthogonal
#     hs_bifactor_orth     bifactor model, std.lv = TRUE, orthogonal = TRUE
#     hs_mimic_orth        two factors regressed on ageyr, orthogonal = TRUE: lavaan
#                          also fixes the covariance of the factors' residuals at 0
#   constraints
#     hs_heywood_bound     x8's residual variance bounded (v > 0) in a model whose ML
#                          solution has it negative: the bound is active
#     hs_ineq_active_load  a loading bounded below (l2 > 0.6), active
#     pd_ineq_inactive     PoliticalDemocracy with an inactive bound (g > 0)
#     pd_nonlinear_eq      a nonlinear equality constraint (a == b * c)
#     hs_linear_eq         a linear equality constraint (l2 + l3 == 1)
#   multiple groups
#     hs_partial_scalar    school: loadings + intercepts, group.partial x3 ~ 1, x7 ~ 1
#     hs_4groups_metric    four groups (school x grade), equal loadings
#     hs_lvvar_stdlv       std.lv = TRUE, loadings + lv.variances
#     hs_lvcov             loadings + lv.covariances
#     hs_rescov_strict     x7 ~~ x8; loadings, intercepts, residuals, residual.covariances
#     hs_means             loadings + intercepts + means
#     hs_regressions       speed ~ visual + textual; loadings + regressions
#     hs_partial_load_stdlv  std.lv = TRUE, equal loadings except visual =~ x2
#     iris_3groups         three species (N = 50 each), equal loadings; Petal.Width's
#                          residual variance near 0
#     satact_edu_fiml      psych::sat.act by education (six groups, 46 to 275 cases),
#                          equal loadings, missing = "ml" (ACT next to SAT scores)
#   mean structure, covariates
#     pd_meanstructure     PoliticalDemocracy (equal loadings over time), meanstructure
#     hs_mimic_fixedx      three factors on sex + ageyr (fixed.x = TRUE)
#     hs_mimic_fixedx_false_ms  the same, fixed.x = FALSE, meanstructure = TRUE
#     airq_fiml_xmiss      Ozone ~ Solar.R + Wind + Temp, Temp ~ Month, missing = "ml":
#                          lavaan drops the cases missing the covariate Solar.R (fixed.x)
#     airq_fiml_fixedx_false  the same with fixed.x = FALSE (all 153 cases)
#     airq_mlx             the same with missing = "ml.x"
#   small N, scales, Heywood
#     state_health         state.x77 (N = 50), variances from 0.37 to 3.8e5, Murder
#                          (the marker) reverse-keyed to Life.Exp and HS.Grad
#     mtcars_cfa           mtcars (N = 32): mpg's residual variance is negative
#     swiss_sem            swiss (N = 47), a factor and a regression
#   reverse-keyed first indicators (bfi)
#     bfi_rev_first_ml     extra =~ E1 (rev) + ...; open =~ O2 (rev) + ...; listwise ML
#     bfi_rev_first_mg_mlr   the same by gender, loadings + intercepts, FIML, MLR
#     bfi_rev_first_edu    extraversion by education (five groups), equal loadings
#     bfi_ext_ord_theta    E1..E5 ordered, parameterization = "theta"
#     bfi_eo_ord_rev       E and O items ordered (delta), both markers reverse-keyed
#     lsat6_binary_theta   five binary items, ordered = TRUE, theta, std.lv = TRUE
#   covariances, covariates, labels
#     hs_ov_lv_cov         x9 ~~ x4 written "backwards": lavaan's row is x4 ~~ x9
#     hs_ageyr_cov         a covariate named in a ~~ statement (ageyr ~~ sex) is not a
#                          fixed.x covariate for lavaan: its variance is free
#     hs_x_as_indicator    an indicator regressed on a covariate (x1 ~ ageyr)
#     hs_fixed_cov         a factor covariance fixed at 0.3
#     hs_mg_defined        group-specific labels c(a1, a2) and a := of them
#     hs_means_labels      latent mean fixed in group 1, free in group 2: c(0, NA)*1
#     hs_group_ms_false    meanstructure = FALSE with equal intercepts: lavaan forces
#                          the mean structure on
#     talor_mlr_defined    defined effects with ^, / and exp(), MLR
#     talor_eq_then_defined  an equality constraint (a == b) written before a := row
#     state_area           state.x77 with Area (variance 7e9) and Population as
#                          covariates, N = 50; lavaan's baseline model fixes Illiteracy's
#                          variance at 7135.3 (not its sample variance 0.364), so its
#                          baseline chi-square (563.4) and CFI/TLI are not the
#                          independence model's (101.2)
#   ordered items, more
#     bfi_ord_mixed        E items ordered, O items continuous
#     bfi_ord_theta_partial  theta, by gender, thresholds + loadings, E3|t2 free
#     bfi_ord_stdlv_mg     std.lv = TRUE, by gender, thresholds + loadings
#     bfi_ord_user_th      E1 | a*t1 and E2 | a*t1 (a threshold equality)
#     bfi_ord_pairwise_mg  missing = "pairwise", by gender, equal loadings
#     bfi_ord_small        the first 60 cases (N = 59 complete), delta
#     bfi_ord_small_theta  the same, theta
#     bfi_ord_edu          five education groups, thresholds + loadings
#     lsat6_delta_mg       binary items, ordered = TRUE, two groups, thresholds + loadings
#   small N
#     hs_small_mlr         the first 40 cases, two factors, MLR
#     hs_small_fiml_heywood  Pasteur school only, a two-indicator factor, FIML + MLR:
#                          lavaan does not converge
#   estimators, standard errors and tests this engine does not compute (the fits are
#   kept to show what lavaan gives; the engine must refuse them by name)
#     hs_gls, hs_uls, hs_dwls_cont, hs_wls_cont   estimator = GLS / ULS / DWLS / WLS
#     hs_mlm               estimator = "MLM" (robust.sem SEs, Satorra-Bentler test)
#     hs_ml_sb             test = "satorra.bentler"
#     hs_ml_robust_sem     se = "robust.sem"
#     hs_ml_huber          se = "robust.huber.white"
#     hs_ml_ybmplus        test = "yuan.bentler.mplus" with estimator = "ML"
#     hs_ml_scaled_shifted test = "scaled.shifted"
#     hs_ml_mva            test = "mean.var.adjusted"
#     hs_wishart           likelihood = "wishart"
suppressMessages({library(lavaan); library(psych); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/sem_sweep7"

# ---- data -------------------------------------------------------------------------
write.csv(round(Demo.growth, 4), file.path(out, "demo_growth.csv"), row.names = FALSE)
dg <- read.csv(file.path(out, "demo_growth.csv"))
hs0 <- HolzingerSwineford1939[, c(paste0("x", 1:9), "school", "grade", "sex", "ageyr")]
hs0$sg <- ifelse(is.na(hs0$grade), NA, paste(hs0$school, hs0$grade, sep = "-"))
write.csv(hs0, file.path(out, "hs_sg.csv"), row.names = FALSE, na = "")
hs <- read.csv(file.path(out, "hs_sg.csv"), na.strings = c("", "NA"))
pd <- read.csv("tests/reference/data/PoliticalDemocracy.csv")
data(bfi, package = "psych")
write.csv(bfi[, c(paste0("E", 1:5), paste0("O", 1:5), "gender", "education")],
          file.path(out, "bfi_eo.csv"), row.names = FALSE, na = "")
bfi_eo <- read.csv(file.path(out, "bfi_eo.csv"))
write.csv(airquality, file.path(out, "airquality.csv"), row.names = FALSE, na = "")
airq <- read.csv(file.path(out, "airquality.csv"))
st <- as.data.frame(state.x77)
names(st) <- make.names(names(st))
write.csv(st, file.path(out, "state.csv"), row.names = FALSE)
st <- read.csv(file.path(out, "state.csv"))
write.csv(mtcars, file.path(out, "mtcars.csv"), row.names = FALSE)
mt <- read.csv(file.path(out, "mtcars.csv"))
write.csv(swiss, file.path(out, "swiss.csv"), row.names = FALSE)
sw <- read.csv(file.path(out, "swiss.csv"))
write.csv(iris, file.path(out, "iris.csv"), row.names = FALSE)
ir <- read.csv(file.path(out, "iris.csv"))
tal <- data.frame(lapply(psych::Tal_Or, as.numeric))  # lazy data (in tal_or.rda)
write.csv(tal, file.path(out, "tal_or.csv"), row.names = FALSE)
tal <- read.csv(file.path(out, "tal_or.csv"))
data(bock, package = "psych")
write.csv(data.frame(lsat6, g = rep(1:2, 500)), file.path(out, "lsat6.csv"),
          row.names = FALSE)
lsat <- read.csv(file.path(out, "lsat6.csv"))
sat <- read.csv("tests/reference/sem_sweep4/sat_act.csv")

# ---- export -----------------------------------------------------------------------
export <- function(file, fun, model, data, opts = list(), subset = NULL) {
  # subset: how the data were cut from their CSV file (first rows, one group), recorded
  # so that the Python side fits the same cases
  if (!is.null(subset$rows)) data <- data[seq_len(subset$rows), ]
  if (!is.null(subset$column)) data <- data[which(data[[subset$column]] == subset$value), ]
  warns <- character()
  res <- list(fun = fun, model = model, options = opts, subset = subset,
              lavaan_version = as.character(packageVersion("lavaan")))
  fit <- tryCatch(
    withCallingHandlers(do.call(fun, c(list(model = model, data = data), opts)),
                        warning = function(w) {
                          warns <<- c(warns, conditionMessage(w))
                          invokeRestart("muffleWarning")
                        }),
    error = function(e) e)
  if (inherits(fit, "error")) {
    res$error <- conditionMessage(fit)
    res$warnings <- warns
  } else {
    pe <- parameterEstimates(fit, ci = FALSE, standardized = TRUE)
    if (is.null(pe$group)) pe$group <- ifelse(pe$op %in% c(":=", "==", "<", ">"), 0L, 1L)
    pe <- pe[, intersect(c("lhs", "op", "rhs", "group", "est", "se", "std.lv", "std.all"),
                         names(pe))]
    ok_se <- all(is.finite(pe$se[!pe$op %in% c(":=", "==", "<", ">")]))
    if (ok_se) {
      s_all <- tryCatch(standardizedSolution(fit, type = "std.all", ci = FALSE),
                        error = function(e) NULL)
      s_lv <- tryCatch(standardizedSolution(fit, type = "std.lv", ci = FALSE),
                       error = function(e) NULL)
      if (!is.null(s_all) && nrow(s_all) == nrow(pe)) pe$se.std.all <- s_all$se
      if (!is.null(s_lv) && nrow(s_lv) == nrow(pe)) pe$se.std.lv <- s_lv$se
    }
    r2 <- lavInspect(fit, "r2")
    ok <- lavInspect(fit, "converged")
    res <- c(res, list(
      converged = ok,
      post_check = suppressWarnings(lavInspect(fit, "post.check")),
      warnings = warns, nobs = as.list(lavInspect(fit, "nobs")),
      params = pe,
      r2 = if (is.list(r2)) lapply(r2, as.list) else list(as.list(r2)),
      fit = if (ok) as.list(fitMeasures(fit)) else NULL))
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
LIN <- 'i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4'
EO <- 'extra =~ E1 + E2 + E3 + E4 + E5
open =~ O2 + O1 + O3 + O4 + O5'

# growth
export("dg_linear", "growth", LIN, dg)
export("dg_explicit", "sem", paste(LIN, 'i ~ 1
s ~ 1
t1 ~ 0*1
t2 ~ 0*1
t3 ~ 0*1
t4 ~ 0*1', sep = "\n"), dg)
export("dg_free_time_mlr", "growth", 'i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
s =~ 0*t1 + 1*t2 + t3 + t4', dg, list(estimator = "MLR"))
export("dg_quad_eqres", "growth", paste(LIN, 'q =~ 0*t1 + 1*t2 + 4*t3 + 9*t4
t1 ~~ r*t1
t2 ~~ r*t2
t3 ~~ r*t3
t4 ~~ r*t4', sep = "\n"), dg)
export("dg_fixed_slope", "growth", paste(LIN, 's ~~ 0*s
i ~~ 0*s
i ~ x1
s ~ x1', sep = "\n"), dg)

# second order, identification
export("hs_second_order", "cfa", paste(HS3, "g =~ visual + textual + speed", sep = "\n"), hs)
export("hs_second_order_stdlv", "cfa", paste(HS3, "g =~ visual + textual + speed",
                                             sep = "\n"), hs, list(std.lv = TRUE))
export("hs_stdlv_tau", "cfa", 'visual =~ a*x1 + a*x2 + a*x3
textual =~ b*x4 + b*x5 + b*x6
speed =~ c*x7 + c*x8 + c*x9', hs, list(std.lv = TRUE))
export("hs_afx_false", "cfa", paste(HS3, 'visual ~~ 1*visual
textual ~~ 1*textual
speed ~~ 0.5*speed', sep = "\n"), hs, list(auto.fix.first = FALSE))
export("hs_single_ind", "sem", 'visual =~ x1 + x2 + x3
sp =~ x7
sp ~ visual', hs)
export("talor_single_ind", "sem", 'PMI =~ pmi
REACT =~ reaction
pmi ~~ 0.25*pmi
reaction ~~ 0.4*reaction
PMI ~ a*cond
REACT ~ b*PMI + c*cond
ind := a*b', tal)

# orthogonal
export("hs_bifactor_orth", "cfa", paste('g =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9',
                                        HS3, sep = "\n"), hs,
       list(std.lv = TRUE, orthogonal = TRUE))
export("hs_mimic_orth", "sem", 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
visual + textual ~ ageyr', hs, list(orthogonal = TRUE))

# constraints
export("hs_heywood_bound", "cfa", 'f1 =~ x1 + x2 + x3
f2 =~ x7 + x8
x8 ~~ v*x8
v > 0', hs)
export("hs_ineq_active_load", "cfa", 'visual =~ x1 + l2*x2 + l3*x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
l2 > 0.6', hs)
export("pd_ineq_inactive", "sem",
       paste(sub("dem60 ~ ind60", "dem60 ~ g*ind60", PD), "g > 0", sep = "\n"), pd)
export("pd_nonlinear_eq", "sem", paste(PD, "a == b * c", sep = "\n"), pd)
export("hs_linear_eq", "cfa", 'visual =~ x1 + l2*x2 + l3*x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
l2 + l3 == 1', hs)

# multiple groups
export("hs_partial_scalar", "cfa", HS3, hs,
       list(group = "school", group.equal = c("loadings", "intercepts"),
            group.partial = c("x3~1", "x7~1")))
export("hs_4groups_metric", "cfa", HS3, hs, list(group = "sg", group.equal = "loadings"))
export("hs_lvvar_stdlv", "cfa", HS3, hs,
       list(group = "school", std.lv = TRUE, group.equal = c("loadings", "lv.variances")))
export("hs_lvcov", "cfa", HS3, hs,
       list(group = "school", group.equal = c("loadings", "lv.covariances")))
export("hs_rescov_strict", "cfa", paste(HS3, "x7 ~~ x8", sep = "\n"), hs,
       list(group = "school", group.equal = c("loadings", "intercepts", "residuals",
                                              "residual.covariances")))
export("hs_means", "cfa", HS3, hs,
       list(group = "school", group.equal = c("loadings", "intercepts", "means")))
export("hs_regressions", "sem", paste(HS3, "speed ~ visual + textual", sep = "\n"), hs,
       list(group = "school", group.equal = c("loadings", "regressions")))
export("hs_partial_load_stdlv", "cfa", HS3, hs,
       list(group = "school", std.lv = TRUE, group.equal = "loadings",
            group.partial = "visual=~x2"))
export("iris_3groups", "cfa",
       'size =~ Sepal.Length + Sepal.Width + Petal.Length + Petal.Width', ir,
       list(group = "Species", group.equal = "loadings"))
export("satact_edu_fiml", "cfa", 'f =~ ACT + SATV + SATQ', sat,
       list(group = "education", group.equal = "loadings", missing = "ml"))

# mean structure, covariates
export("pd_meanstructure", "sem", PD, pd, list(meanstructure = TRUE))
MIMIC <- paste(HS3, "visual + textual + speed ~ sex + ageyr", sep = "\n")
export("hs_mimic_fixedx", "sem", MIMIC, hs)
export("hs_mimic_fixedx_false_ms", "sem", MIMIC, hs,
       list(fixed.x = FALSE, meanstructure = TRUE))
AQ <- 'Ozone ~ Solar.R + Wind + Temp
Temp ~ Month'
export("airq_fiml_xmiss", "sem", AQ, airq, list(missing = "ml"))
export("airq_fiml_fixedx_false", "sem", AQ, airq, list(missing = "ml", fixed.x = FALSE))
export("airq_mlx", "sem", AQ, airq, list(missing = "ml.x"))

# small N, scales, Heywood
export("state_health", "sem", 'health =~ Murder + Life.Exp + Illiteracy + HS.Grad
health ~ Income + Frost', st)
export("mtcars_cfa", "cfa", 'perf =~ mpg + hp + wt + qsec', mt)
export("swiss_sem", "sem", 'soc =~ Examination + Education + Agriculture + Catholic
Fertility ~ soc + Infant.Mortality', sw)

# reverse-keyed first indicators
export("bfi_rev_first_ml", "cfa", EO, bfi_eo)
export("bfi_rev_first_mg_mlr", "cfa", EO, bfi_eo,
       list(group = "gender", group.equal = c("loadings", "intercepts"), missing = "ml",
            estimator = "MLR"))
export("bfi_rev_first_edu", "cfa", 'extra =~ E1 + E2 + E3 + E4 + E5', bfi_eo,
       list(group = "education", group.equal = "loadings"))
export("bfi_ext_ord_theta", "cfa", 'extra =~ E1 + E2 + E3 + E4 + E5', bfi_eo,
       list(ordered = paste0("E", 1:5), parameterization = "theta"))
export("bfi_eo_ord_rev", "cfa", EO, bfi_eo,
       list(ordered = c(paste0("E", 1:5), paste0("O", 1:5))))
export("lsat6_binary_theta", "cfa", 'theta =~ Q1 + Q2 + Q3 + Q4 + Q5', lsat,
       list(ordered = TRUE, parameterization = "theta", std.lv = TRUE))

# covariances, covariates, labels
export("hs_ov_lv_cov", "sem", 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
x9 ~ visual + textual
x9 ~~ x4', hs)
export("hs_ageyr_cov", "sem", 'visual =~ x1 + x2 + x3
visual ~ ageyr
ageyr ~~ sex', hs)
export("hs_x_as_indicator", "sem", 'visual =~ x1 + x2 + x3
x1 ~ ageyr', hs)
export("hs_fixed_cov", "cfa", 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
visual ~~ 0.3*textual', hs)
export("hs_mg_defined", "cfa", 'visual =~ x1 + c(a1, a2)*x2 + x3 + x9
diff := a1 - a2', hs, list(group = "school"))
export("hs_means_labels", "cfa", 'visual =~ x1 + x2 + x3
visual ~ c(0, NA)*1', hs, list(group = "school", group.equal = c("loadings", "intercepts")))
export("hs_group_ms_false", "cfa", HS3, hs,
       list(group = "school", group.equal = c("loadings", "intercepts"),
            meanstructure = FALSE))
export("talor_mlr_defined", "sem", 'pmi ~ a*cond
import ~ d*cond
reaction ~ b*pmi + c*cond + e*import
ind := a*b + d*e
pw := a^2
ratio := (a*b)/(c + a*b)
ea := exp(a)', tal, list(estimator = "MLR"))
export("talor_eq_then_defined", "sem", 'pmi ~ a*cond
reaction ~ b*pmi + c*cond
a == b
d := a*b', tal)
export("state_area", "sem", 'Life.Exp ~ Area + Population + Income + Murder
Murder ~ Area + Illiteracy', st)

# ordered items, more
E <- paste0("E", 1:5)
export("bfi_ord_mixed", "cfa", EO, bfi_eo, list(ordered = E))
export("bfi_ord_theta_partial", "cfa", 'extra =~ E1 + E2 + E3 + E4 + E5', bfi_eo,
       list(ordered = E, parameterization = "theta", group = "gender",
            group.equal = c("thresholds", "loadings"), group.partial = "E3|t2"))
export("bfi_ord_stdlv_mg", "cfa", 'extra =~ E1 + E2 + E3 + E4 + E5', bfi_eo,
       list(ordered = E, std.lv = TRUE, group = "gender",
            group.equal = c("thresholds", "loadings")))
export("bfi_ord_user_th", "cfa", 'extra =~ E1 + E2 + E3 + E4 + E5
E1 | a*t1
E2 | a*t1', bfi_eo, list(ordered = E))
export("bfi_ord_pairwise_mg", "cfa", 'extra =~ E1 + E2 + E3 + E4 + E5', bfi_eo,
       list(ordered = E, missing = "pairwise", group = "gender", group.equal = "loadings"))
export("bfi_ord_small", "cfa", 'extra =~ E1 + E2 + E3 + E4 + E5', bfi_eo,
       list(ordered = E), subset = list(rows = 60))
export("bfi_ord_small_theta", "cfa", 'extra =~ E1 + E2 + E3 + E4 + E5', bfi_eo,
       list(ordered = E, parameterization = "theta"), subset = list(rows = 60))
export("bfi_ord_edu", "cfa", 'extra =~ E1 + E2 + E3 + E4 + E5', bfi_eo,
       list(ordered = E, group = "education", group.equal = c("thresholds", "loadings")))
export("lsat6_delta_mg", "cfa", 'theta =~ Q1 + Q2 + Q3 + Q4 + Q5', lsat,
       list(ordered = TRUE, group = "g", group.equal = c("thresholds", "loadings")))

# small N
export("hs_small_mlr", "cfa", 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6', hs, list(estimator = "MLR"), subset = list(rows = 40))
export("hs_small_fiml_heywood", "cfa", 'f1 =~ x1 + x2 + x3
f2 =~ x7 + x8', hs, list(missing = "ml", estimator = "MLR"),
       subset = list(column = "school", value = "Pasteur"))

# estimators, standard errors and tests the engine does not compute
export("hs_gls", "cfa", HS3, hs, list(estimator = "GLS"))
export("hs_uls", "cfa", HS3, hs, list(estimator = "ULS"))
export("hs_dwls_cont", "cfa", HS3, hs, list(estimator = "DWLS"))
export("hs_wls_cont", "cfa", HS3, hs, list(estimator = "WLS"))
export("hs_mlm", "cfa", HS3, hs, list(estimator = "MLM"))
export("hs_ml_sb", "cfa", HS3, hs, list(test = "satorra.bentler"))
export("hs_ml_robust_sem", "cfa", HS3, hs, list(se = "robust.sem"))
export("hs_ml_huber", "cfa", HS3, hs, list(se = "robust.huber.white"))
export("hs_ml_ybmplus", "cfa", HS3, hs, list(test = "yuan.bentler.mplus"))
export("hs_ml_scaled_shifted", "cfa", HS3, hs, list(test = "scaled.shifted"))
export("hs_ml_mva", "cfa", HS3, hs, list(test = "mean.var.adjusted"))
export("hs_wishart", "cfa", HS3, hs, list(likelihood = "wishart"))
