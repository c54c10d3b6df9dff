# Reference values for SEMResult.residuals(): lavaan's residuals(fit, type = "raw") and
# residuals(fit, type = "cor") for the estimators whose residuals do not compare the plain
# sample moments: FIML (the EM estimates of the unrestricted model), WLSMV with ordered
# and mixed data (polychoric / polyserial statistics and thresholds), and ML / MLR with a
# mean structure; on public data and on a generated campaign of random models.
# Run from the repository root:  Rscript tests/reference/residuals/make_residuals.R
# Versions used: R 4.2.2, lavaan 0.6.14, jsonlite (Debian bookworm).
suppressMessages(library(lavaan))
library(jsonlite)
out <- "tests/reference/residuals"

resid_list <- function(fit) {
  one <- function(r) {
    grab <- function(x) if (is.null(x)) NULL else list(names = names(x), values = unname(as.numeric(x)))
    list(cov = unname(as.matrix(r$cov)[, ]), names = rownames(r$cov),
         mean = grab(r$mean), th = grab(r$th))
  }
  res <- list()
  for (type in c("raw", "cor")) {
    r <- residuals(fit, type = type)
    if (lavInspect(fit, "ngroups") == 1) {
      res[[type]] <- list(one(r))
    } else {
      res[[type]] <- lapply(r, one)
    }
  }
  res$groups <- lavInspect(fit, "group.label")
  res
}

cases <- list()
add <- function(id, fit, data_file, model, args) {
  cases[[length(cases) + 1]] <<- c(list(id = id, data = data_file, model = model, args = args),
                                  resid_list(fit))
}

hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
pd_model <- paste("ind60 =~ x1 + x2 + x3", "dem60 =~ y1 + y2 + y3 + y4",
                  "dem65 =~ y5 + y6 + y7 + y8", "dem60 ~ ind60", "dem65 ~ ind60 + dem60",
                  "y1 ~~ y5", "y2 ~~ y4 + y6", "y3 ~~ y7", "y4 ~~ y8", "y6 ~~ y8", sep = "\n")

# ---- public data
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
hsm <- read.csv("tests/reference/sem_fiml/hs_mcar10.csv")
pdm <- read.csv("tests/reference/sem_fiml/poldem_mar.csv")
ord5 <- read.csv("tests/reference/sem_wlsmv/hs_ordinal5.csv")
ord5s <- read.csv("tests/reference/sem_wlsmv/hs_ordinal5_school.csv")
ord5m <- read.csv("tests/reference/sem_wlsmv/hs_ordinal5_missing.csv")
mixed <- read.csv("tests/reference/sem_wlsmv/hs_mixed.csv")
x9 <- paste0("x", 1:9)

add("hs_ml_meanstructure", cfa(hs_model, hs, meanstructure = TRUE),
    "tests/reference/data/HolzingerSwineford1939.csv", hs_model, list(meanstructure = TRUE))
add("hs_mlr_school_equal", cfa(hs_model, hs, estimator = "MLR", group = "school",
                               group.equal = c("loadings", "intercepts")),
    "tests/reference/data/HolzingerSwineford1939.csv", hs_model,
    list(estimator = "MLR", group = "school", group_equal = c("loadings", "intercepts")))
add("hs_fiml", cfa(hs_model, hsm, missing = "ml"),
    "tests/reference/sem_fiml/hs_mcar10.csv", hs_model, list(missing = "ml"))
add("hs_fiml_mlr_school", cfa(hs_model, hsm, missing = "ml", estimator = "MLR", group = "school"),
    "tests/reference/sem_fiml/hs_mcar10.csv", hs_model,
    list(missing = "ml", estimator = "MLR", group = "school"))
add("pd_fiml", sem(pd_model, pdm, missing = "ml"),
    "tests/reference/sem_fiml/poldem_mar.csv", pd_model, list(missing = "ml"))
add("hs_wlsmv", cfa(hs_model, ord5, ordered = x9, estimator = "WLSMV"),
    "tests/reference/sem_wlsmv/hs_ordinal5.csv", hs_model,
    list(estimator = "WLSMV", ordered = x9))
add("hs_wlsmv_mixed", cfa(hs_model, mixed, ordered = paste0("x", 1:6), estimator = "WLSMV"),
    "tests/reference/sem_wlsmv/hs_mixed.csv", hs_model,
    list(estimator = "WLSMV", ordered = paste0("x", 1:6)))
add("hs_wlsmv_school_equal",
    cfa(hs_model, ord5s, ordered = x9, estimator = "WLSMV", group = "school",
        group.equal = c("loadings", "thresholds")),
    "tests/reference/sem_wlsmv/hs_ordinal5_school.csv", hs_model,
    list(estimator = "WLSMV", ordered = x9, group = "school",
         group_equal = c("loadings", "thresholds")))
add("hs_wlsmv_pairwise", cfa(hs_model, ord5m, ordered = x9, estimator = "WLSMV",
                             missing = "pairwise"),
    "tests/reference/sem_wlsmv/hs_ordinal5_missing.csv", hs_model,
    list(estimator = "WLSMV", ordered = x9, missing = "pairwise"))

# ---- a generated campaign: random two- and three-factor models, part of the items cut
#      into 2-7 categories, MCAR gaps for FIML, a misspecified cross-loading left out;
#      cases 13-18 in two groups with equal loadings and thresholds (and intercepts),
#      whose second group has latent means and so mean and threshold residuals
set.seed(20261206)
for (k in 1:18) {
  nf <- sample(2:3, 1)
  per <- sample(3:4, nf, replace = TRUE)
  p <- sum(per)
  n <- sample(c(250, 400, 700), 1)
  phi <- matrix(runif(1, .2, .6), nf, nf); diag(phi) <- 1
  eta <- matrix(rnorm(n * nf), n) %*% chol(phi)
  grp <- sample(c("a", "b"), n, replace = TRUE)
  if (k > 12) eta[grp == "b", ] <- eta[grp == "b", ] + .4
  fac <- rep(seq_len(nf), per)
  lam <- runif(p, .5, .85)
  y <- sapply(seq_len(p), function(j) lam[j] * eta[, fac[j]] + sqrt(1 - lam[j]^2) * rnorm(n))
  y[, p] <- y[, p] + .35 * eta[, 1]             # a cross-loading the model leaves out
  nm <- paste0("v", seq_len(p))
  model <- paste(sapply(seq_len(nf), function(f) paste0("f", f, " =~ ",
                 paste(nm[fac == f], collapse = " + "))), collapse = "\n")
  kind <- c("fiml", "wlsmv", "mixed")[(k - 1) %% 3 + 1]
  d <- as.data.frame(y); names(d) <- nm
  args <- list()
  if (kind == "fiml") {
    d <- as.data.frame(round(2 * y + 4, 3)); names(d) <- nm
    d[matrix(runif(n * p) < .08, n)] <- NA
    if (k %% 2 == 0) d$grp <- grp
    args <- list(missing = "ml", estimator = if (k %% 2 == 0) "MLR" else "ML")
    if (k %% 2 == 0) args$group <- "grp"
  } else {
    ord <- if (kind == "wlsmv") nm else nm[seq(1, p, 2)]
    for (v in ord) {
      nc <- sample(2:7, 1)
      d[[v]] <- findInterval(d[[v]], sort(qnorm(runif(nc - 1, .08, .92)))) + 1L
    }
    args <- list(estimator = "WLSMV", ordered = ord)
    if (k > 12) {
      d$grp <- grp
      args$group <- "grp"
      args$group.equal <- c("loadings", "thresholds", if (kind == "mixed") "intercepts")
    }
  }
  file <- file.path(out, sprintf("gen_%02d.csv", k))
  write.csv(d, file, row.names = FALSE, na = "")
  fit <- do.call("cfa", c(list(model = model, data = quote(d)), args))
  names(args) <- sub("group.equal", "group_equal", names(args), fixed = TRUE)
  add(sprintf("gen_%02d_%s", k, kind), fit, file, model, args)
}

writeLines(toJSON(cases, digits = NA, auto_unbox = TRUE, null = "null", na = "null"),
           file.path(out, "residuals.json"))
