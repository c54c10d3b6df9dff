# Reference values for the ML engine (issue 3, core): lavaan 0.6 defaults.
# Run from the repository root:  Rscript tests/reference/sem_ml/make_sem_ml.R
# Versions used: R 4.2.2, lavaan 0.6.14, jsonlite (Debian bookworm).
# Writes one JSON file per case into tests/reference/sem_ml/.
# Note: lavaan differentiates := definitions by complex step, so abs() in a definition gets a
# zero derivative there; the fixtures avoid abs() in definitions for that reason.
suppressMessages(library(lavaan))
library(jsonlite)
out <- "tests/reference/sem_ml"
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
pd <- read.csv("tests/reference/data/PoliticalDemocracy.csv")

export <- function(fit, file, extra = list()) {
  pe <- parameterEstimates(fit, standardized = TRUE)
  pt <- parTable(fit)
  mi <- tryCatch(modindices(fit), error = function(e) NULL)
  r2 <- lavInspect(fit, "r2")
  if (!is.list(r2)) r2 <- list(r2)
  res <- list(
    lavaan_version = as.character(packageVersion("lavaan")),
    ov_names = lavNames(fit, "ov"),
    group_labels = lavInspect(fit, "group.label"),
    nobs = lavInspect(fit, "nobs"),
    params = pe,
    partable = pt[, c("lhs", "op", "rhs", "group", "free", "exo", "label", "ustart")],
    fit = as.list(fitMeasures(fit)),
    r2 = lapply(r2, as.list),
    npar = fit@Fit@npar,
    converged = lavInspect(fit, "converged")
  )
  if (!is.null(mi)) {
    if (is.null(mi$group)) mi$group <- 1L
    res$modindices <- mi[, c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.all")]
  }
  res <- c(res, extra)
  writeLines(toJSON(res, dataframe = "columns", digits = NA, na = "null", auto_unbox = TRUE,
                    null = "null"),
             file.path(out, paste0(file, ".json")))
}

delta_of <- function(fit) {
  d <- lavInspect(fit, "delta")
  if (!is.list(d) || is.matrix(d)) d <- list(d)
  lapply(d, function(m) list(rows = rownames(m), cols = colnames(m), values = unname(m)))
}

# (a) Holzinger-Swineford three-factor CFA
hs_model <- ' visual  =~ x1 + x2 + x3
              textual =~ x4 + x5 + x6
              speed   =~ x7 + x8 + x9 '
fit_a <- cfa(hs_model, data = hs)
export(fit_a, "hs_cfa", list(model = hs_model,
                             delta = delta_of(fit_a),
                             wls_obs = unname(lavInspect(fit_a, "wls.obs")),
                             resid_raw = unname(residuals(fit_a, type = "raw")$cov),
                             resid_cor = unname(residuals(fit_a, type = "cor")$cov)))

# (a2) same with meanstructure
fit_a2 <- cfa(hs_model, data = hs, meanstructure = TRUE)
export(fit_a2, "hs_cfa_means", list(model = hs_model, delta = delta_of(fit_a2)))

# (b) PoliticalDemocracy SEM: labels (equal loadings), residual covariances, '=='
pd_model <- '
  # measurement model
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + a*y2 + b*y3 + c*y4
  dem65 =~ y5 + a*y6 + b*y7 + c*y8
  # regressions
  dem60 ~ ind60
  dem65 ~ ind60 + dem60
  # residual correlations
  y1 ~~ y5
  y2 ~~ e1*y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ e2*y8
  e1 == e2
'
fit_b <- sem(pd_model, data = pd)
export(fit_b, "pd_sem", list(model = pd_model))

# (c) mediation with defined parameters
med_model <- '
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + y2 + y3 + y4
  dem65 =~ y5 + y6 + y7 + y8
  dem60 ~ a*ind60
  dem65 ~ cp*ind60 + b*dem60
  y1 ~~ y5
  ab := a*b
  total := cp + a*b
  prop := a*b / (cp + a*b)
  odd := sqrt(a^2) * exp(b - 1) + log(cp^2 + 1)
'
fit_c <- sem(med_model, data = pd)
export(fit_c, "pd_mediation", list(model = med_model))

# (d) HS multigroup by school: configural, metric, scalar, strict
fits_d <- list(
  configural = cfa(hs_model, data = hs, group = "school"),
  metric = cfa(hs_model, data = hs, group = "school", group.equal = "loadings"),
  scalar = cfa(hs_model, data = hs, group = "school", group.equal = c("loadings", "intercepts")),
  strict = cfa(hs_model, data = hs, group = "school",
               group.equal = c("loadings", "intercepts", "residuals")))
for (nm in names(fits_d)) export(fits_d[[nm]], paste0("hs_group_", nm), list(model = hs_model))
res_d <- residuals(fits_d$scalar, type = "cor")
writeLines(toJSON(lapply(res_d, function(r) list(cov = unname(r$cov), mean = unname(r$mean))),
                  digits = NA, auto_unbox = TRUE),
           file.path(out, "hs_group_scalar_residuals.json"))
lrt <- lavTestLRT(fits_d$configural, fits_d$metric, fits_d$scalar, fits_d$strict)
writeLines(toJSON(list(
  level = c("configural", "metric", "scalar", "strict"),
  chisq = lrt[["Chisq"]], df = lrt[["Df"]],
  delta_chisq = lrt[["Chisq diff"]], delta_df = lrt[["Df diff"]],
  delta_pvalue = lrt[["Pr(>Chisq)"]],
  cfi = sapply(fits_d, fitMeasures, "cfi"), rmsea = sapply(fits_d, fitMeasures, "rmsea")),
  digits = NA, na = "null"), file.path(out, "hs_invariance_lrt.json"))

# (d2) multigroup with std.lv and partial loadings equality + a group-specific fixed value
mg2_model <- ' visual  =~ x1 + c(l2a, l2b)*x2 + x3
               textual =~ x4 + x5 + c(1, NA)*x6
               speed   =~ x7 + x8 + x9 '
fit_d2 <- cfa(mg2_model, data = hs, group = "school", std.lv = TRUE, group.equal = "loadings",
              group.partial = "speed =~ x9")
export(fit_d2, "hs_group_stdlv_partial", list(model = mg2_model))

# (e) std.lv = TRUE
fit_e <- cfa(hs_model, data = hs, std.lv = TRUE)
export(fit_e, "hs_cfa_stdlv", list(model = hs_model))

# (f) exogenous observed covariates (fixed.x = TRUE); grade has one missing value
cov_model <- ' visual  =~ x1 + x2 + x3
               textual =~ x4 + x5 + x6
               visual ~ ageyr + grade
               textual ~ ageyr + sex '
fit_f <- sem(cov_model, data = hs)
export(fit_f, "hs_covariates", list(model = cov_model, delta = delta_of(fit_f)))

# (g) observed path model: two pure outcomes (auto.cov.y), x -> m -> y chain, intercepts
path_model <- ' y1 ~ x1 + x2
                y5 ~ x1 + x3
                y2 ~ y1 + x1
                y2 ~ 1 '
fit_g <- sem(path_model, data = pd)
export(fit_g, "pd_path", list(model = path_model))
cat("done\n")

# (i) second-order factor (as relationship learning in the instrument)
so_model <- ' visual  =~ x1 + x2 + x3
              textual =~ x4 + x5 + x6
              speed   =~ x7 + x8 + x9
              g =~ visual + textual + speed '
fit_i <- cfa(so_model, data = hs)
export(fit_i, "hs_second_order", list(model = so_model))

# (j) SEM with std.lv = TRUE (residual variances of endogenous factors fixed to 1)
sl_model <- ' ind60 =~ x1 + x2 + x3
              dem60 =~ y1 + y2 + y3 + y4
              dem65 =~ y5 + y6 + y7 + y8
              dem60 ~ ind60
              dem65 ~ ind60 + dem60 '
fit_j <- sem(sl_model, data = pd, std.lv = TRUE)
export(fit_j, "pd_sem_stdlv", list(model = sl_model))

# (k) MIMIC with a direct effect on an indicator, an indicator residual covariance,
#     and a multigroup model with a covariate (fixed.x per group)
mimic_model <- ' visual  =~ x1 + x2 + x3
                 textual =~ x4 + x5 + x6
                 visual + textual ~ ageyr
                 x3 ~ sex
                 x2 ~~ x3 '
fit_k <- sem(mimic_model, data = hs)
export(fit_k, "hs_mimic", list(model = mimic_model))
fit_k2 <- sem(' visual =~ x1 + x2 + x3
                visual ~ ageyr ', data = hs, group = "school", group.equal = "loadings")
export(fit_k2, "hs_group_covariate", list(model = ' visual =~ x1 + x2 + x3
                visual ~ ageyr '))

# (m) simple bounds: an active upper bound on a labelled loading (lavaan: SE NA), and a
#     bifactor model (orthogonal, std.lv) whose Heywood variance is bounded below
bnd_model <- ' visual =~ x1 + a*x2 + x3
               textual =~ x4 + x5 + x6
               a < 0.5 '
export(cfa(bnd_model, data = hs), "hs_bound_active", list(model = bnd_model))
bif_model <- ' g =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9
               visual =~ x1 + x2 + x3
               textual =~ x4 + x5 + x6
               speed =~ x7 + x8 + x9
               x1 ~~ v1*x1
               v1 > 0.01 '
export(cfa(bif_model, data = hs, orthogonal = TRUE, std.lv = TRUE), "hs_bifactor_bound",
       list(model = bif_model))

# (h) moment order with ordered + numeric indicators (delta parameterization, WLSMV):
#     wls.obs / wls.est / delta at lavaan's estimates, to check CompiledModel.moments()/jacobian()
mixed <- hs[, paste0("x", 1:4)]
mixed$x1 <- cut(mixed$x1, c(-Inf, 4, 5, Inf), labels = FALSE)
mixed$x2 <- cut(mixed$x2, c(-Inf, 6, Inf), labels = FALSE)
write.csv(mixed, file.path(out, "mixed_ordinal.csv"), row.names = FALSE)
fit_h <- cfa("f =~ x1 + x2 + x3 + x4", data = mixed, ordered = c("x1", "x2"))
pt_h <- parTable(fit_h)
writeLines(toJSON(list(
  model = "f =~ x1 + x2 + x3 + x4", ordered = c("x1", "x2"),
  partable = pt_h[, c("lhs", "op", "rhs", "free", "est")],
  wls_obs = unname(lavInspect(fit_h, "wls.obs")),
  wls_est = unname(lavInspect(fit_h, "wls.est")),
  wls_names = names(lavInspect(fit_h, "wls.obs")),
  delta = delta_of(fit_h)), dataframe = "columns", digits = NA, na = "null", auto_unbox = TRUE),
  file.path(out, "mixed_ordinal_moments.json"))

# (l) ordered indicators, two groups, equal loadings and thresholds: lavaan frees the scale
#     factors (~*~) and the latent mean in the second group; moments/Delta at its estimates
ord5 <- read.csv("tests/reference/sem_wlsmv/hs_ordinal5.csv")
ord5$school <- hs$school
ord5$x4 <- hs$x4
fit_l <- cfa("visual =~ x1 + x2 + x3 + x4", data = ord5, ordered = c("x1", "x2", "x3"),
             group = "school", group.equal = c("loadings", "thresholds"))
wobs <- lavInspect(fit_l, "wls.obs")
west <- lavInspect(fit_l, "wls.est")
writeLines(toJSON(list(
  model = "visual =~ x1 + x2 + x3 + x4", ordered = c("x1", "x2", "x3"), group = "school",
  group_equal = c("loadings", "thresholds"),
  partable = parTable(fit_l)[, c("lhs", "op", "rhs", "group", "free", "est")],
  group_labels = lavInspect(fit_l, "group.label"),
  wls_est = lapply(west, unname), wls_names = lapply(wobs, names),
  fit = as.list(fitMeasures(fit_l, c("chisq", "df", "chisq.scaled", "df.scaled"))),
  params = parameterEstimates(fit_l, standardized = TRUE)[, c("lhs", "op", "rhs", "group",
                                                              "est", "std.all")],
  r2 = lapply(lavInspect(fit_l, "r2"), as.list),
  delta = delta_of(fit_l)), dataframe = "columns", digits = NA, na = "null", auto_unbox = TRUE),
  file.path(out, "ordinal_group_thresholds.json"))
