# Reference values of a generated campaign of the common-method checks: the CFA marker
# technique (Williams, Hartman & Cavazotte 2010) and the unmeasured latent method construct
# (ULMC), as analysis.stats.method_variance.cfa_marker() and ulmc() fit them, for
# tests/test_method_variance_campaign.py.
# Run from the repository root:
#   Rscript tests/reference/method_variance_campaign/make_reference.R
# Versions used: R 4.2.2, lavaan 0.6.14, jsonlite 1.8.4 (Debian bookworm r-cran-* packages).
# The script rewrites every file of this folder byte for byte (seeded).
#
# 24 cases in 8 kinds of 3 (seeds 1-3 of each kind): 2-4 trait factors of 3-5 items and a
# marker scale of 2-4 items.  Substantive item = loading * trait + method effect * M + error,
# marker item = loading * M + error, M a method factor independent of the traits; the
# method effects are none, equal or unequal across items, and strong enough in one kind to
# bias the trait correlations.  Items continuous or cut into 7 ordered codes; complete,
# 8 % missing completely at random (FIML), and pairs of respondents sharing a cluster (a
# cluster effect on the traits) with the robust tests clustered.  Estimators ML and MLR.
#
# For each case: the data (data/<case>.csv) and, in <case>.json, every model of the CFA
# marker sequence (CFA, Baseline, Method-C, Method-U, Method-R: chisq, df, the scaled
# statistic and robust indices under MLR, srmr, converged, lavaan's post.check), the three
# comparisons by lavTestLRT() (Satorra-Bentler 2001 scaled difference under MLR, the
# likelihood-ratio difference under ML), the model chosen (Method-U when Method-C vs
# Method-U has p < .05), the standardized marker loadings of the chosen model, and the
# ULMC's trait model and trait-plus-method model (unit variances, method factor orthogonal)
# with their difference test and the standardized method loadings.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
stopifnot(packageVersion("lavaan") == "0.6.14")
out_dir <- "tests/reference/method_variance_campaign"
dir.create(file.path(out_dir, "data"), showWarnings = FALSE, recursive = TRUE)

num <- function(x) sprintf("%.17g", x)

kinds <- list(
  list(kind = "none_ml", method = "none", estimator = "ML", missing = "none",
       cluster = FALSE, ordinal = FALSE, n = c(300, 500)),
  list(kind = "equal_ml", method = "equal", estimator = "ML", missing = "none",
       cluster = FALSE, ordinal = FALSE, n = c(250, 450)),
  list(kind = "unequal_mlr_fiml", method = "unequal", estimator = "MLR", missing = "mcar",
       cluster = FALSE, ordinal = FALSE, n = c(300, 600)),
  list(kind = "equal_mlr_cluster", method = "equal", estimator = "MLR", missing = "none",
       cluster = TRUE, ordinal = FALSE, n = c(300, 500)),
  list(kind = "equal_mlr_ordinal_small", method = "equal", estimator = "MLR",
       missing = "none", cluster = FALSE, ordinal = TRUE, n = c(150, 220)),
  list(kind = "strong_mlr_bias", method = "strong", estimator = "MLR", missing = "none",
       cluster = FALSE, ordinal = TRUE, n = c(400, 700)),
  list(kind = "none_mlr_fiml_cluster", method = "none", estimator = "MLR", missing = "mcar",
       cluster = TRUE, ordinal = TRUE, n = c(300, 500)),
  list(kind = "unequal_mlr_marker2", method = "unequal", estimator = "MLR",
       missing = "mcar", cluster = FALSE, ordinal = TRUE, n = c(250, 450), marker = 2)
)

gen <- function(spec, seed) {
  set.seed(1000 * match(spec$kind, sapply(kinds, `[[`, "kind")) + seed)
  k <- sample(2:4, 1)
  p <- sample(3:5, k, replace = TRUE)
  nm <- if (is.null(spec$marker)) sample(3:4, 1) else spec$marker
  n <- sample(seq(spec$n[1], spec$n[2], by = 2), 1)
  phi <- diag(k)
  for (i in seq_len(k - 1)) for (j in (i + 1):k) phi[i, j] <- phi[j, i] <- runif(1, .15, .5)
  f <- matrix(rnorm(n * k), n, k) %*% chol(phi)
  if (spec$cluster) {  # pairs of respondents: a shared part of every trait
    pair <- rep(seq_len(ceiling(n / 2)), each = 2)[seq_len(n)]
    u <- matrix(rnorm(max(pair) * k), max(pair), k)[pair, , drop = FALSE]
    f <- sqrt(.6) * f + sqrt(.4) * u
  }
  m <- rnorm(n)
  traits <- list()
  cols <- list()
  for (i in seq_len(k)) {
    ids <- sprintf("t%d_%d", i, seq_len(p[i]))
    traits[[sprintf("t%d", i)]] <- ids
    for (id in ids) {
      lam <- runif(1, .55, .85)
      gam <- switch(spec$method, none = 0, equal = .3, unequal = runif(1, 0, .5),
                    strong = .55)
      cols[[id]] <- lam * f[, i] + gam * m + rnorm(n, sd = sqrt(max(.2, 1 - lam^2 - gam^2)))
    }
  }
  marker <- sprintf("mk_%d", seq_len(nm))
  for (id in marker) {
    lam <- runif(1, .6, .8)
    cols[[id]] <- lam * m + rnorm(n, sd = sqrt(1 - lam^2))
  }
  d <- as.data.frame(cols)
  if (spec$ordinal) {  # seven ordered codes from cut points of the standard normal
    cuts <- c(-Inf, qnorm(c(.06, .16, .33, .55, .75, .9)), Inf)
    for (id in names(d)) d[[id]] <- as.integer(cut(d[[id]] / sd(d[[id]]), cuts))
  } else {
    for (id in names(d)) d[[id]] <- round(3 + d[[id]], 4)
  }
  if (spec$missing == "mcar") {
    for (id in names(d)) d[[id]][runif(n) < .08] <- NA
    empty <- rowSums(!is.na(d)) == 0
    d[empty, 1] <- 4
  }
  if (spec$cluster) d$cluster <- sprintf("c%03d", pair)
  list(data = d, traits = traits, marker = marker)
}

fitmeasures <- function(fit, robust) {
  keys <- c("chisq", "df", "srmr", if (robust) c("chisq.scaled", "cfi.robust", "tli.robust",
                                                  "rmsea.robust") else c("cfi", "tli", "rmsea"))
  if (!lavInspect(fit, "converged")) return(list(converged = FALSE))
  fm <- fitMeasures(fit, keys)
  out <- as.list(setNames(unname(fm), gsub(".", "_", names(fm), fixed = TRUE)))
  out$converged <- TRUE
  out$post_check <- suppressWarnings(lavInspect(fit, "post.check"))
  out
}

lrt <- function(restricted, general, robust) {
  if (!lavInspect(restricted, "converged") || !lavInspect(general, "converged")) {
    return(list(chisq_diff = NA, df_diff = NA, pvalue = NA))
  }
  t <- if (robust) lavTestLRT(general, restricted, method = "satorra.bentler.2001")
       else lavTestLRT(general, restricted)
  list(chisq_diff = t[2, "Chisq diff"], df_diff = t[2, "Df diff"],
       pvalue = t[2, "Pr(>Chisq)"])
}

one_case <- function(spec, seed) {
  g <- gen(spec, seed)
  d <- g$data
  name <- sprintf("%s_%d", spec$kind, seed)
  write.csv(d, file.path(out_dir, "data", paste0(name, ".csv")), row.names = FALSE,
            na = "")
  robust <- spec$estimator == "MLR"
  miss <- if (spec$missing == "mcar") "ml" else "listwise"
  cl <- if (spec$cluster) "cluster" else NULL
  fitit <- function(model, std_lv = TRUE) {
    suppressWarnings(cfa(model, d, estimator = spec$estimator, missing = miss,
                         std.lv = std_lv, cluster = cl))
  }
  trait_lines <- sprintf("%s =~ %s", names(g$traits),
                         sapply(g$traits, paste, collapse = " + "))
  subst <- unlist(g$traits, use.names = FALSE)
  mk <- g$marker
  cfa_m <- fitit(paste(c(trait_lines, paste0("marker =~ ", paste(mk, collapse = " + "))),
                       collapse = "\n"))
  pe <- parameterEstimates(cfa_m)
  lam <- pe[pe$op == "=~" & pe$lhs == "marker", ]
  th <- pe[pe$op == "~~" & pe$lhs == pe$rhs & pe$lhs %in% mk, ]
  fixed <- paste0(num(lam$est), "*", lam$rhs, collapse = " + ")
  fixed_var <- paste0(th$lhs, " ~~ ", num(th$est), "*", th$rhs)
  ortho <- paste0("marker ~~ 0*", names(g$traits))
  baseline <- c(trait_lines, paste0("marker =~ ", fixed), fixed_var, ortho)
  method_c <- c(trait_lines, paste0("marker =~ ", fixed, " + ",
                                    paste0("mv_c*", subst, collapse = " + ")),
                fixed_var, ortho)
  method_u <- c(trait_lines, paste0("marker =~ ", fixed, " + ", paste(subst, collapse = " + ")),
                fixed_var, ortho)
  fits <- list(CFA = cfa_m, Baseline = fitit(paste(baseline, collapse = "\n")),
               `Method-C` = fitit(paste(method_c, collapse = "\n")),
               `Method-U` = fitit(paste(method_u, collapse = "\n")))
  equal <- lrt(fits[["Method-C"]], fits[["Method-U"]], robust)
  chosen <- if (isTRUE(equal$pvalue < .05)) "Method-U" else "Method-C"
  pb <- parameterEstimates(fits$Baseline)
  tc <- pb[pb$op == "~~" & pb$lhs != pb$rhs & pb$lhs %in% names(g$traits) &
             pb$rhs %in% names(g$traits), ]
  restrict <- paste0(tc$lhs, " ~~ ", num(tc$est), "*", tc$rhs)
  fits[["Method-R"]] <- fitit(paste(c(if (chosen == "Method-U") method_u else method_c,
                                      restrict), collapse = "\n"))
  std <- standardizedSolution(fits[[chosen]], se = FALSE)
  ml <- std[std$op == "=~" & std$lhs == "marker" & std$rhs %in% subst, ]
  # the ULMC: the trait model (marker scaling) and the trait model plus an orthogonal
  # method factor on every substantive item (unit variances)
  traits_only <- paste(trait_lines, collapse = "\n")
  method_model <- paste(c(trait_lines,
                          sprintf("method =~ NA*%s + %s", subst[1],
                                  paste(subst[-1], collapse = " + ")),
                          "method ~~ 1*method", paste0("method ~~ 0*", names(g$traits))),
                        collapse = "\n")
  u0 <- fitit(traits_only, std_lv = FALSE)
  u1 <- fitit(method_model)
  ustd <- if (lavInspect(u1, "converged")) standardizedSolution(u1, se = FALSE) else
    data.frame(op = character(), lhs = character(), rhs = character(), est.std = numeric())
  um <- ustd[ustd$op == "=~" & ustd$lhs == "method", ]
  list(
    case = name, kind = spec$kind, seed = seed, estimator = spec$estimator,
    missing = miss, cluster = if (spec$cluster) "cluster" else NULL,
    traits = g$traits, marker_items = mk, n = nrow(d),
    models = lapply(fits, fitmeasures, robust = robust),
    equal_pvalue = equal$pvalue, chosen = chosen,
    comparisons = list(
      `method variance` = c(list(restricted = "Baseline", general = chosen),
                            lrt(fits$Baseline, fits[[chosen]], robust)),
      `equal method effects` = c(list(restricted = "Method-C", general = "Method-U"), equal),
      `bias in trait correlations` = c(list(restricted = "Method-R", general = chosen),
                                       lrt(fits[["Method-R"]], fits[[chosen]], robust))),
    marker_loadings = list(item = ml$rhs, std_all = ml$est.std),
    ulmc = list(traits = fitmeasures(u0, robust), traits_method = fitmeasures(u1, robust),
                delta = lrt(u0, u1, robust),
                method_loadings = list(item = um$rhs, std_all = um$est.std)),
    versions = list(R = paste(R.version$major, R.version$minor, sep = "."),
                    lavaan = as.character(packageVersion("lavaan"))))
}

for (spec in kinds) for (seed in 1:3) {
  ref <- one_case(spec, seed)
  writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"),
             file.path(out_dir, paste0(ref$case, ".json")))
  cat(ref$case, "chosen", ref$chosen, "\n")
}
