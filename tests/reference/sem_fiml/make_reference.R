# Reference values for MLR, FIML (missing = "ml") and their building blocks.
#
# Run from the repository root:
#   Rscript tests/reference/sem_fiml/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, jsonlite 1.8.4.
# Writes: tests/reference/sem_fiml/{hs_mcar10.csv, poldem_mar.csv, *.json}
#         tests/reference/sem_mlr/*.json
suppressMessages({library(lavaan); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")

HS <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
PD <- read.csv("tests/reference/data/PoliticalDemocracy.csv")

# --- data with missing values -------------------------------------------
# HS: 10 % MCAR, each cell of x1-x9 independently.
set.seed(20261122)
HSm <- HS
for (v in paste0("x", 1:9)) HSm[runif(nrow(HSm)) < 0.10, v] <- NA
write.csv(HSm, "tests/reference/sem_fiml/hs_mcar10.csv", row.names = FALSE, na = "")
# PoliticalDemocracy: MAR, y1-y8 missing more often when x1 (industrialisation) is low.
set.seed(7531)
PDm <- PD
z <- as.numeric(scale(PD$x1))
for (v in paste0("y", 1:8)) {
  p <- plogis(-2.2 - 1.0 * z)
  PDm[runif(nrow(PDm)) < p, v] <- NA
}
write.csv(PDm, "tests/reference/sem_fiml/poldem_mar.csv", row.names = FALSE, na = "")

m.hs <- 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9'
m.pd <- '
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8'

as_list_g <- function(x) if (is.list(x) && !is.data.frame(x)) unname(lapply(x, unclass)) else list(unclass(x))

dump_fit <- function(fit, file, extra = list()) {
  pt <- parTable(fit)
  pe <- parameterEstimates(fit)
  fm <- fitMeasures(fit)
  opt <- lavInspect(fit, "options")
  h1 <- lavTech(fit, "h1")
  out <- list(
    lavaan_version = as.character(packageVersion("lavaan")),
    call = paste(deparse(fit@call), collapse = " "),
    ntotal = lavInspect(fit, "ntotal"),
    nobs = as.list(unlist(lavInspect(fit, "nobs"))),
    ov_names = lavNames(fit, "ov"),
    partable = list(lhs = pt$lhs, op = pt$op, rhs = pt$rhs, group = pt$group,
                    free = pt$free, est = pt$est, se = pt$se, label = pt$label),
    estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                     group = if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group,
                     est = pe$est, se = pe$se),
    fit_measures = as.list(fm),
    test = lapply(fit@test, function(t) t[setdiff(names(t), c("label"))]),
    x = unname(lav_model_get_parameters(fit@Model)),
    sigma_hat = unname(lapply(lavTech(fit, "sigma.hat"), unclass)),
    mu_hat = unname(lapply(lavTech(fit, "mean.ov"), as.numeric)),
    delta = unname(lapply(lavTech(fit, "delta"), unclass)),
    h1_cov = unname(lapply(h1, function(h) unclass(h$cov))),
    h1_mean = unname(lapply(h1, function(h) as.numeric(h$mean))),
    information = unclass(lavTech(fit, "information")),
    information_first_order = unclass(lavTech(fit, "information.first.order")),
    vcov = unclass(lavTech(fit, "vcov")),
    loglik = as.numeric(fitMeasures(fit, "logl")),
    options = opt[c("estimator", "information", "h1.information", "observed.information",
                    "se", "test", "missing", "meanstructure")]
  )
  # h1 information (unstructured, observed) and first-order, as the YB-Mplus test uses them
  o <- fit@Options; o$h1.information <- c("unstructured", "unstructured")
  o$observed.information <- c("hessian", "hessian"); o$information <- c("observed", "observed")
  out$A1_h1 <- unname(lapply(lavaan:::lav_model_h1_information(lavmodel = fit@Model,
    lavsamplestats = fit@SampleStats, lavdata = fit@Data, lavimplied = fit@implied,
    lavh1 = fit@h1, lavoptions = o), unclass))
  out$B1_h1 <- unname(lapply(lavaan:::lav_model_h1_information_firstorder(lavmodel = fit@Model,
    lavsamplestats = fit@SampleStats, lavdata = fit@Data, lavimplied = fit@implied,
    lavh1 = fit@h1, lavoptions = o), unclass))
  o2 <- fit@Options; o2$h1.information <- c("structured", "structured")
  out$B1_structured <- unname(lapply(lavaan:::lav_model_h1_information_firstorder(lavmodel = fit@Model,
    lavsamplestats = fit@SampleStats, lavdata = fit@Data, lavimplied = fit@implied,
    lavh1 = fit@h1, lavoptions = o2), unclass))
  out$A1_structured <- unname(lapply(lavaan:::lav_model_h1_information(lavmodel = fit@Model,
    lavsamplestats = fit@SampleStats, lavdata = fit@Data, lavimplied = fit@implied,
    lavh1 = fit@h1, lavoptions = o2), unclass))
  if (fit@Options$missing == "ml") {
    fc <- lavaan:::lav_fit_fiml_corrected(fit, version = if (length(fit@test) > 1) "V3" else "V6")
    out$fiml_corrected <- fc
    out$patterns <- unname(lapply(as_list_g(lavInspect(fit, "patterns")), function(p) unclass(p) * 1L))
  }
  out <- c(out, extra)
  writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", matrix = "rowmajor"), file)
}

# --- complete-data MLR ---------------------------------------------------
f <- cfa(m.hs, HS, estimator = "MLR")
dump_fit(f, "tests/reference/sem_mlr/hs_cfa_mlr.json")
f <- sem(m.pd, PD, estimator = "MLR")
dump_fit(f, "tests/reference/sem_mlr/poldem_sem_mlr.json")
f <- cfa(m.hs, HS, estimator = "MLR", group = "school")
dump_fit(f, "tests/reference/sem_mlr/hs_cfa_mlr_school.json")

# nested models: Satorra-Bentler (2001) scaled difference test, lavTestLRT default for MLR
f1 <- cfa(m.hs, HS, estimator = "MLR", group = "school")
f0 <- cfa(m.hs, HS, estimator = "MLR", group = "school", group.equal = "loadings")
lrt <- lavTestLRT(f1, f0)
writeLines(toJSON(list(
  lavaan_version = as.character(packageVersion("lavaan")),
  call = "lavTestLRT(cfa(m.hs, HS, estimator='MLR', group='school'), same + group.equal='loadings')",
  chisq = list(f1 = f1@test[[1]]$stat, f0 = f0@test[[1]]$stat),
  df = list(f1 = f1@test[[1]]$df, f0 = f0@test[[1]]$df),
  scaling_factor = list(f1 = f1@test[[2]]$scaling.factor, f0 = f0@test[[2]]$scaling.factor),
  chisq_diff = lrt[2, "Chisq diff"], df_diff = lrt[2, "Df diff"],
  pvalue = lrt[2, "Pr(>Chisq)"], method = attr(lrt, "heading")
), digits = NA, auto_unbox = TRUE), "tests/reference/sem_mlr/hs_lrt_loadings.json")

# --- FIML ----------------------------------------------------------------
f <- cfa(m.hs, HSm, missing = "ml")
dump_fit(f, "tests/reference/sem_fiml/hs_mcar10_ml.json")
f <- cfa(m.hs, HSm, missing = "ml", estimator = "MLR")
dump_fit(f, "tests/reference/sem_fiml/hs_mcar10_mlr.json")
f <- sem(m.pd, PDm, missing = "ml")
dump_fit(f, "tests/reference/sem_fiml/poldem_mar_ml.json")
f <- sem(m.pd, PDm, missing = "ml", estimator = "MLR")
dump_fit(f, "tests/reference/sem_fiml/poldem_mar_mlr.json")

# fixed.x covariates with missing values: lavaan deletes those cases (with a warning)
m.x <- 'dem60 =~ y1 + y2 + y3 + y4
dem60 ~ x1 + x2'
PDx <- PDm
set.seed(99)
PDx$x1[sample(nrow(PDx), 6)] <- NA
write.csv(PDx, "tests/reference/sem_fiml/poldem_mar_xmiss.csv", row.names = FALSE, na = "")
w <- NULL
f <- withCallingHandlers(sem(m.x, PDx, missing = "ml", estimator = "MLR"),
  warning = function(cnd) { w <<- c(w, conditionMessage(cnd)); invokeRestart("muffleWarning") })
dump_fit(f, "tests/reference/sem_fiml/poldem_xmiss_mlr.json", extra = list(warnings = w))

# multigroup FIML + MLR, and complete-data MLR with fixed.x covariates
f <- cfa(m.hs, HSm, missing = "ml", estimator = "MLR", group = "school")
dump_fit(f, "tests/reference/sem_fiml/hs_mcar10_mlr_school.json")
f <- sem(m.x, PD, estimator = "MLR")
dump_fit(f, "tests/reference/sem_mlr/poldem_fixedx_mlr.json")
