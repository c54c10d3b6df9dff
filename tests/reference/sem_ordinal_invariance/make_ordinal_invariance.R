# Ordinal multigroup invariance (Wu & Estabrook 2016 identification) and the theta
# parameterization, fitted with lavaan from semTools::measEq.syntax() models.
#
# Run from the repository root:
#   Rscript tests/reference/sem_ordinal_invariance/make_ordinal_invariance.R
# Versions used: R 4.2.2, lavaan 0.6.14, semTools 0.5-6, jsonlite (Debian bookworm).
#
# Data (simulated here, written next to this script):
#   two_groups.csv    y1..y6 (y2 binary, y5 three categories, the rest four), group g;
#                     group 2 has shifted thresholds on y3 and a higher mean on f1
#   three_cat.csv     the same structure with every item in three categories (the
#                     threshold step is then equivalent to the configural model)
# Fixtures (JSON): for each parameterization ("delta", "theta") and each level
# configural -> thresholds -> loadings -> intercepts: fit measures, parameter
# estimates, and lavTestLRT() of each level against the previous one.
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
out <- "tests/reference/sem_ordinal_invariance"
set.seed(20261205)

pop <- function(mean1) paste0('
f1 =~ 0.8*y1 + 0.7*y2 + 0.6*y3
f2 =~ 0.7*y4 + 0.6*y5 + 0.8*y6
f1 ~~ 0.4*f2
f1 ~ ', mean1, '*1
')
cut_items <- function(d, cuts, shift_y3 = 0) {
  for (v in paste0("y", 1:6)) {
    x <- d[[v]] - if (v == "y3") shift_y3 else 0
    d[[v]] <- as.integer(cut(x, cuts[[v]]))
  }
  d
}
four <- c(-Inf, -0.8, 0.2, 1.1, Inf)
cuts_a <- list(y1 = four, y2 = c(-Inf, 0.1, Inf), y3 = four, y4 = four,
               y5 = c(-Inf, -0.4, 0.7, Inf), y6 = four)
g1 <- simulateData(pop(0), sample.nobs = 500)
g2 <- simulateData(pop(0.4), sample.nobs = 500)
two <- rbind(cut_items(g1, cuts_a), cut_items(g2, cuts_a, shift_y3 = 0.5))
two$g <- rep(1:2, each = 500)
write.csv(two, file.path(out, "two_groups.csv"), row.names = FALSE)

three <- c(-Inf, -0.5, 0.6, Inf)
cuts_b <- setNames(rep(list(three), 6), paste0("y", 1:6))
h1 <- simulateData(pop(0), sample.nobs = 400)
h2 <- simulateData(pop(0.3), sample.nobs = 400)
tc <- rbind(cut_items(h1, cuts_b), cut_items(h2, cuts_b))
tc$g <- rep(1:2, each = 400)
write.csv(tc, file.path(out, "three_cat.csv"), row.names = FALSE)

model <- "f1 =~ y1 + y2 + y3\nf2 =~ y4 + y5 + y6"
levels <- list(configural = "", thresholds = "thresholds",
               loadings = c("thresholds", "loadings"),
               intercepts = c("thresholds", "loadings", "intercepts"))
KEYS <- c("npar", "chisq", "df", "chisq.scaled", "df.scaled", "pvalue.scaled",
          "cfi.scaled", "rmsea.scaled", "srmr")

fit_levels <- function(dat, param) {
  ord <- paste0("y", 1:6)
  fits <- list(); res <- list()
  for (lv in names(levels)) {
    # do.call: measEq.syntax() looks its arguments up outside the calling function, so
    # a variable named like one in the global workspace would be taken from there
    syn <- as.character(do.call(measEq.syntax, list(
      configural.model = model, data = dat, ordered = ord, group = "g",
      parameterization = param, ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
      group.equal = levels[[lv]])))
    fit <- cfa(syn, data = dat, ordered = ord, group = "g", estimator = "WLSMV",
               parameterization = param)
    pe <- parameterEstimates(fit, ci = FALSE)
    pe <- pe[pe$op != ":=" & pe$op != "==", ]
    fm <- fitMeasures(fit, KEYS)
    r <- list(level = lv, group_equal = paste(levels[[lv]][nzchar(levels[[lv]])], collapse = ","),
              converged = lavInspect(fit, "converged"),
              fit = as.list(fm),
              estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = pe$group,
                               est = pe$est, se = pe$se))
    if (length(fits)) {
      prev <- fits[[length(fits)]]
      ddf <- fitMeasures(fit, "df") - fitMeasures(prev, "df")
      if (ddf > 0) {
        lrt <- lavTestLRT(prev, fit)
        r$lrt <- list(delta_chisq = lrt[2, "Chisq diff"], delta_df = lrt[2, "Df diff"],
                      delta_pvalue = lrt[2, "Pr(>Chisq)"])
      } else {
        r$lrt <- list(delta_chisq = NA, delta_df = 0, delta_pvalue = NA)
      }
    }
    fits[[lv]] <- fit
    res[[lv]] <- r
  }
  res
}

for (param in c("delta", "theta")) {
  res <- list(model = model, parameterization = param, ordered = paste0("y", 1:6),
              levels = fit_levels(two, param))
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"),
             file.path(out, sprintf("two_groups_%s.json", param)))
}
res <- list(model = model, parameterization = "delta", ordered = paste0("y", 1:6),
            levels = fit_levels(tc, "delta"))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"),
           file.path(out, "three_cat_delta.json"))

# theta parameterization in one group with lavaan's own defaults (no measEq.syntax)
fit_t <- cfa(model, data = two[two$g == 1, ], ordered = paste0("y", 1:6), estimator = "WLSMV",
             parameterization = "theta")
pe <- parameterEstimates(fit_t, ci = FALSE, standardized = TRUE)
res <- list(model = model, parameterization = "theta", ordered = paste0("y", 1:6),
            fit = as.list(fitMeasures(fit_t, KEYS)),
            estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                             std_all = pe$std.all),
            r2 = as.list(lavInspect(fit_t, "r2")))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"),
           file.path(out, "one_group_theta.json"))

# theta parameterization with lavaan's own group.equal rule (no measEq.syntax): equal
# thresholds free the later group's residual variances and latent means
ge <- c("thresholds", "loadings")
fit_l <- cfa(model, data = two, ordered = paste0("y", 1:6), group = "g", estimator = "WLSMV",
             parameterization = "theta", group.equal = ge)
pe <- parameterEstimates(fit_l, ci = FALSE)
pe <- pe[pe$op != "==", ]
res <- list(model = model, parameterization = "theta", ordered = paste0("y", 1:6),
            group_equal = paste(ge, collapse = ","), fit = as.list(fitMeasures(fit_l, KEYS)),
            estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = pe$group,
                             est = pe$est, se = pe$se))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"),
           file.path(out, "lavaan_rule_theta.json"))
cat(R.version.string, "lavaan", as.character(packageVersion("lavaan")),
    "semTools", as.character(packageVersion("semTools")), "\n")
