# Reference fits of the fourteenth parity sweep: random models that combine what the earlier
# sweeps covered one at a time (a reverse-keyed marker with FIML and MLR; ordered items with
# missing values fitted pairwise; ordered items in two groups with empty bivariate cells in
# the smaller one; factors of exactly two indicators; single-indicator factors with a fixed
# residual variance under MLR and FIML; equal regressions, residual covariances, latent
# variances and covariances across groups, with group.partial on a regression and on a
# residual covariance; Heywood-prone samples of 60-90 under MLR; std.lv with orthogonal
# factors; second-order factors under MLR and FIML; items on scales 1e6 apart) and public
# data bundled with R packages that no sweep used before.
#
# Run from the repository root:
#   Rscript tests/reference/sem_sweep14/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14 and jsonlite; data from carData, psych, psychTools and
# lavaan.  Deterministic: every generated case sets its own seed (set.seed(14000 + id));
# the script rewrites the same files byte for byte.
#
# Data written to tests/reference/sem_sweep14/data/ (the fits read them back):
#   o_NN.csv.gz     the ordered-mediator cases (x, m or m1 and m2, y; y1..y3; group g)
#   r_NN.csv.gz     generated case NN: continuous values to 6 significant digits, ordered
#                   items as integer codes, group column g, NA missing; r_NN_unscaled.csv.gz
#                   (scaled_items) the same data with the two rescaled items on their own
#                   scale (lavaan does not converge on the rescaled ones)
#   davis.csv       carData::Davis (measured and reported weight and height; repwt and
#                   repht 17 missing; case 12's weight and height swapped, as published)
#   duncan.csv      carData::Duncan (N = 45)
#   soils.csv       carData::Soils, the nine chemical measures (N = 48; P about 1e4 times
#                   the variance of N)
#   blot.csv        psychTools::blot, items V1..V10 (binary, N = 150)
#   wvs.csv.gz      carData::WVS: poverty (3 ordered answers), religion, degree, gender as
#                   0/1, age, country
#   womenlf.csv     carData::Womenlf: partic as 1 (not.work) < 2 (parttime) < 3 (fulltime),
#                   hincome, children as 0/1
#   hs_scaled.csv   lavaan::HolzingerSwineford1939 x1..x9 with x3 times 1000 and x8 / 1000
#                   (lavaan's nlminb and BFGS stop short on them); hs.csv as published
#   poldem.csv      lavaan::PoliticalDemocracy
#   dg.csv          lavaan::Demo.growth rounded to 4 decimals
#   reise_cov.csv   psych::Reise (a correlation matrix; N = 35000 as documented)
#   burt_cov.csv    psych::Harman.Burt (8 emotions; not positive definite; N = 172)
#   hs_school_cov_<school>.csv, hs_school_mean.csv   HolzingerSwineford1939 moments per
#                   school (divisor N - 1 as R's cov(); sample.nobs 156 and 145)
#
# The generated set (cases r_01 .. r_NN; SWEEP14_N, default 25) cycles through 11 kinds:
#   rev_fiml_mlr     the FIRST indicator of factor 1 reverse-keyed (others with prob 0.4);
#                    MCAR 5-15 % on several items, MAR on one; MLR with missing = "ml"
#   ord_pairwise     ordered items (3-5 categories) with 5-15 % missing values; WLSMV with
#                    missing = "pairwise"; the third in two groups with equal thresholds
#                    and loadings
#   ord_mg_sparse    binary and three-category items in two groups, the second of 70-110
#                    cases with rare categories (empty bivariate cells there); WLSMV with
#                    equal thresholds + loadings
#   two_ind          factors of exactly two indicators beside one of three or four; ML,
#                    MLR, FIML in one
#   single_fixed     a single-indicator factor (residual variance fixed at 20-30 % of the
#                    item's variance) predicting and predicted; MLR, FIML in one
#   mg_eq_struct     2-3 groups, a structural model with a residual covariance; group.equal
#                    loadings + regressions + residual.covariances, loadings + lv.variances
#                    + lv.covariances, loadings + intercepts + means + regressions
#   mg_partial_str   2 groups, loadings + intercepts + regressions + residual.covariances,
#                    a regression and a residual covariance (both differ) freed by
#                    group.partial
#   heywood_small    one or two factors with an item loading 0.95-0.99 at N 60-90; MLR in
#                    one, std.lv in one
#   stdlv_orth       std.lv = TRUE and orthogonal = TRUE on factors that do correlate
#                    (0.1-0.3); ML, MLR, FIML in one
#   higher_mlr       three first-order factors and a second-order one; MLR, FIML in one
#   scaled_items     two factors and a regression; one item times 1000, one times 0.001;
#                    MLR, FIML in one; the case is also fitted to the data on the items'
#                    own scale (<case>_unscaled), where lavaan converges
# Where lavaan's nlminb does not converge, the case is refitted with optim.method = "BFGS"
# (<case>_bfgs).
#
# Four more (o_01 .. o_04): an ordered variable in regressions, WLSMV with the predictors
# random (fixed.x = FALSE, conditional.x = FALSE): an ordered mediator of x and y, an ordered
# mediator predicted by a factor, the same in two groups (equal thresholds and
# regressions), a chain of two ordered mediators.
#
# Each <case>.json holds what tests/reference/sem_common/sweep_helpers.R writes: the call,
# lavaan's warnings and convergence, parameterEstimates() (est, se), standardizedSolution()
# (est.std, se), fitMeasures(), lavInspect(, "r2"), residuals() of three types per group and
# modindices() (mi, epc, sepc.all) with its warnings, or the error lavaan gives.
suppressMessages({library(lavaan); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/sem_sweep14"
ddir <- file.path(out, "data")
dir.create(ddir, showWarnings = FALSE, recursive = TRUE)

# ---- helpers: tests/reference/sem_common/sweep_helpers.R ----------------------------
options(sweep.extras = TRUE)  # R² and the warnings of modindices() too
source("tests/reference/sem_common/sweep_helpers.R")

# ---- the generated set ------------------------------------------------------------------
KINDS <- c("rev_fiml_mlr", "ord_pairwise", "ord_mg_sparse", "two_ind", "single_fixed",
           "mg_eq_struct", "mg_partial_str", "heywood_small", "stdlv_orth", "higher_mlr",
           "scaled_items")

cut_items <- function(z, k, lo = 0.1, hi = 0.9) {
  probs <- sort(runif(k - 1, lo, hi))
  while (k > 2 && min(diff(c(0, probs, 1))) < 0.07) probs <- sort(runif(k - 1, lo, hi))
  findInterval(z, qnorm(probs)) + 1
}

draw_case <- function(id) {
  set.seed(14000 + id)
  kind <- KINDS[(id - 1) %% length(KINDS) + 1]
  nth <- (id - 1) %/% length(KINDS) + 1
  N <- switch(kind,
              heywood_small = sample(60:90, 1),
              ord_pairwise = , ord_mg_sparse = sample(500:900, 1),
              mg_eq_struct = , mg_partial_str = sample(400:800, 1),
              round(exp(runif(1, log(150), log(700)))))
  ngroups <- switch(kind, ord_mg_sparse = 2L, mg_partial_str = 2L,
                    mg_eq_struct = sample(2:3, 1), ord_pairwise = if (nth == 3) 2L else 1L, 1L)
  g <- sort(sample(seq_len(ngroups), N, replace = TRUE))
  if (kind == "ord_mg_sparse") {  # a small second group
    n2 <- sample(70:110, 1)
    g <- c(rep(1L, N - n2), rep(2L, n2))
  }
  # the factors and their items
  nf <- switch(kind, two_ind = 3L, higher_mlr = 3L, heywood_small = if (nth == 1) 1L else 2L,
               mg_eq_struct = 3L, mg_partial_str = 3L, single_fixed = 3L, 2L)
  ni <- switch(kind,
               two_ind = if (nth == 1) c(3L, 2L, 2L) else c(4L, 2L, 3L),
               single_fixed = c(3L, 1L, 3L),
               heywood_small = rep(3L, nf),
               ord_mg_sparse = rep(4L, nf),
               sample(3:4, nf, replace = TRUE))
  p <- sum(ni)
  item <- rep(seq_len(nf), ni)
  first <- match(seq_len(nf), item)
  lam <- runif(p, 0.5, 0.85) * sample(c(-1, 1), p, replace = TRUE, prob = c(0.12, 0.88))
  lam[first] <- abs(lam[first])
  if (kind == "rev_fiml_mlr") {
    lam[first[1]] <- -lam[first[1]]
    for (k in first[-1]) if (runif(1) < 0.4) lam[k] <- -lam[k]
  }
  if (kind == "heywood_small") lam[sample(p, 1)] <- runif(1, 0.95, 0.99)
  if (kind == "single_fixed") lam[item == 2] <- sqrt(runif(1, 0.7, 0.8))  # reliability
  r <- switch(kind, stdlv_orth = runif(1, 0.1, 0.3), 0.45)
  eta <- matrix(rnorm(N * nf), N, nf)
  if (kind == "higher_mlr") {
    gen <- rnorm(N)
    gl <- runif(3, 0.6, 0.85)
    for (k in 1:3) eta[, k] <- gl[k] * gen + sqrt(1 - gl[k]^2) * eta[, k]
  } else if (kind %in% c("mg_eq_struct", "mg_partial_str", "single_fixed")) {
    # f1 -> f2 -> f3 (and f1 -> f3); group 2 has a weaker f1 -> f2 in mg_partial_str
    b21 <- ifelse(kind == "mg_partial_str" & g == 2, 0.15, 0.5)
    eta[, 2] <- b21 * eta[, 1] + sqrt(1 - b21^2) * eta[, 2]
    eta[, 3] <- 0.3 * eta[, 1] + 0.4 * eta[, 2] + 0.75 * eta[, 3]
  } else if (nf > 1) {
    for (k in 2:nf) eta[, k] <- r * eta[, k - 1] + sqrt(1 - r^2) * eta[, k]
  }
  if (ngroups > 1 && kind != "ord_mg_sparse") eta <- eta + outer((g - 1) * 0.3, rep(1, nf))
  if (kind == "mg_eq_struct" && nth == 2) eta[g == 2, ] <- eta[g == 2, ] * 1.3
  theta <- pmax(1 - lam^2, 0.02)
  y <- eta[, item, drop = FALSE] * matrix(lam, N, p, byrow = TRUE) +
    matrix(rnorm(N * p), N, p) * matrix(sqrt(theta), N, p, byrow = TRUE)
  corres <- NULL
  if (kind %in% c("mg_eq_struct", "mg_partial_str")) {
    corres <- c(2, p)  # an item of f1 with the last item of f3
    e <- rnorm(N) * ifelse(kind == "mg_partial_str" & g == 2, 0.05, 0.4)
    y[, corres[1]] <- y[, corres[1]] + e
    y[, corres[2]] <- y[, corres[2]] + e
  }
  ynames <- paste0("y", seq_len(p))
  ordinal <- kind %in% c("ord_pairwise", "ord_mg_sparse")
  if (ordinal) {
    sdz <- sqrt(lam^2 + theta)
    for (j in seq_len(p)) {
      z <- y[, j] / sdz[j]
      if (kind == "ord_pairwise") {
        y[, j] <- cut_items(z, sample(3:5, 1))
      } else {
        k <- if (j %% 2 == 1) 2L else 3L
        # rare top categories: most answers in the lowest ones
        probs <- if (k == 2) runif(1, 0.85, 0.93) else sort(c(runif(1, 0.55, 0.7), runif(1, 0.9, 0.95)))
        y[, j] <- findInterval(z, qnorm(probs)) + 1
      }
    }
  } else {
    y <- y + matrix(runif(p, -1, 3), N, p, byrow = TRUE)
    y <- y * matrix(runif(p, 0.6, 2.5), N, p, byrow = TRUE)
  }
  scale_note <- NULL
  if (kind == "scaled_items") {
    up <- sample(seq_len(p), 1)
    down <- sample(setdiff(seq_len(p), c(up, first)), 1)
    y[, up] <- y[, up] * 1000
    y[, down] <- y[, down] / 1000
    scale_note <- list(times_1000 = ynames[up], over_1000 = ynames[down])
  }
  dat <- as.data.frame(if (ordinal) y else signif(y, 6))
  names(dat) <- ynames
  miss <- FALSE
  if (kind == "rev_fiml_mlr" || (kind == "two_ind" && nth == 2) ||
      (kind == "single_fixed" && nth == 2) || (kind == "stdlv_orth" && nth == 2) ||
      (kind == "higher_mlr" && nth == 2) || (kind == "scaled_items" && nth == 2) ||
      kind == "ord_pairwise") {
    miss <- TRUE
    for (j in 2:p) dat[[j]][runif(N) < runif(1, 0.05, 0.15)] <- NA
    if (!ordinal) {  # MAR on the last item: missing more often for large first items
      z1 <- scale(y[, 1])[, 1]
      dat[[p]][runif(N) < plogis(-1.5 + 1.2 * z1)] <- NA
    }
  }
  if (ngroups > 1) dat$g <- g
  # the model
  lab <- function(k) paste0(ynames[which(item == k)], collapse = " + ")
  lines <- character()
  for (k in seq_len(nf)) {
    if (kind == "higher_mlr") {
      lines <- c(lines, paste0("f", k, " =~ ", lab(k)))
    } else {
      lines <- c(lines, paste0("f", k, " =~ ", lab(k)))
    }
  }
  est <- if (runif(1) < 0.5) "MLR" else "ML"
  opts <- list()
  std_lv <- FALSE
  if (kind == "rev_fiml_mlr") {
    est <- "MLR"
    if (nth == 3) lines <- c(lines, "f2 ~ f1")
  } else if (ordinal) {
    est <- "WLSMV"
    opts$ordered <- ynames
    if (kind == "ord_pairwise") opts$missing <- "pairwise"
    if (ngroups > 1) opts$group.equal <- c("thresholds", "loadings")
  } else if (kind == "two_ind") {
    est <- c("ML", "MLR")[nth]
    if (nth == 2) lines <- c(lines, "f3 ~ f1 + f2")
  } else if (kind == "single_fixed") {
    est <- "MLR"
    yv <- var(dat[[ynames[item == 2]]], na.rm = TRUE)
    rel <- lam[item == 2]^2
    lines <- c(lines, sprintf("%s ~~ %s*%s", ynames[item == 2],
                              formatC((1 - rel) * yv, digits = 4, format = "f"),
                              ynames[item == 2]),
               "f2 ~ f1", "f3 ~ f1 + f2")
  } else if (kind %in% c("mg_eq_struct", "mg_partial_str")) {
    lines <- c(lines, "f2 ~ f1", "f3 ~ f1 + f2", paste(ynames[corres[1]], "~~", ynames[p]))
    if (kind == "mg_eq_struct") {
      opts$group.equal <- switch(nth, c("loadings", "regressions", "residual.covariances"),
                                 c("loadings", "lv.variances", "lv.covariances"),
                                 c("loadings", "intercepts", "means", "regressions"))
    } else {
      opts$group.equal <- c("loadings", "intercepts", "regressions", "residual.covariances")
      opts$group.partial <- c("f2 ~ f1", paste(ynames[corres[1]], "~~", ynames[p]))
    }
  } else if (kind == "heywood_small") {
    est <- c("ML", "MLR")[nth]
    std_lv <- nth == 2
  } else if (kind == "stdlv_orth") {
    std_lv <- TRUE
    opts$orthogonal <- TRUE
    est <- c("ML", "MLR")[nth]
  } else if (kind == "higher_mlr") {
    est <- "MLR"
    lines <- c(lines, "h =~ f1 + f2 + f3")
  } else if (kind == "scaled_items") {
    est <- "MLR"
    lines <- c(lines, "f2 ~ f1")
  }
  if (est != "ML") opts$estimator <- est
  if (miss && !ordinal) opts$missing <- "ml"
  if (std_lv) opts$std.lv <- TRUE
  if (ngroups > 1) opts$group <- "g"
  if (length(opts)) opts <- opts[order(names(opts))]
  file <- sprintf("r_%02d.csv.gz", id)
  write_gz(dat, file)
  if (kind == "scaled_items") {  # the same data on the items' own scale: lavaan's reference
    un <- dat
    un[[ynames[up]]] <- signif(un[[ynames[up]]] / 1000, 6)
    un[[ynames[down]]] <- signif(un[[ynames[down]]] * 1000, 6)
    write_gz(un, sprintf("r_%02d_unscaled.csv.gz", id))
  }
  list(name = sprintf("r_%02d", id), fun = "sem", data = file,
       model = paste(lines, collapse = "\n"), options = opts,
       drawn = list(kind = kind, N = N, nf = nf, ni = ni, lambda = round(lam, 3),
                    missing = miss, group_sizes = as.list(as.integer(table(g))),
                    scaled = scale_note))
}

N_GEN <- as.integer(Sys.getenv("SWEEP14_N", "25"))
for (id in seq_len(N_GEN)) {
  cs <- draw_case(id)
  ok <- export_fit(cs$name, cs$fun, cs$data, cs$model, cs$options, cs$drawn)
  # where nlminb stops short, lavaan's other optimizer (BFGS) from the same start:
  # <case>_bfgs.json, the reference for ours
  if (!ok) export_fit(paste0(cs$name, "_bfgs"), cs$fun, cs$data, cs$model,
                      c(cs$options, list(optim.method = "BFGS")), cs$drawn)
  if (cs$drawn$kind == "scaled_items") {
    export_fit(paste0(cs$name, "_unscaled"), cs$fun, sub(".csv", "_unscaled.csv", cs$data,
                                                        fixed = TRUE),
               cs$model, cs$options, cs$drawn)
  }
}
# ---- ordered variables in regressions -------------------------------------------------
# An ordered outcome or mediator regressed on observed or latent variables (its residual
# variance is 1 - R² under the delta parameterization, and what it predicts sees
# var(y*) = 1); the predictors are random (fixed.x = FALSE, conditional.x = FALSE).
ORD_MODELS <- c("m ~ x\ny ~ m + x", "f =~ y1 + y2 + y3\nm ~ f\ny ~ m",
                "m ~ x\ny ~ m", "m1 ~ x\nm2 ~ m1 + x\ny ~ m2")
for (id in 1:4) {
  set.seed(14500 + id)
  N <- c(1000, 800, 1200, 1000)[id]
  g <- rep(1:2, length.out = N)
  x <- rnorm(N)
  f <- 0.6 * x + 0.8 * rnorm(N)
  d <- data.frame(x = round(x, 3))
  if (id == 2) for (j in 1:3) d[[paste0("y", j)]] <- round(0.7 * f + 0.7 * rnorm(N), 3)
  ms <- if (id == 2) 0.5 * f + sqrt(0.75) * rnorm(N) else 0.55 * x + 0.85 * rnorm(N)
  if (id == 3) ms <- ms + 0.3 * (g - 1)
  d$m <- findInterval(ms, sort(runif(2, -0.9, 0.9))) + 1
  if (id == 4) {
    m2s <- 0.5 * ms + 0.2 * x + 0.8 * rnorm(N)
    d$m2 <- findInterval(m2s, sort(runif(3, -1, 1))) + 1
    names(d)[names(d) == "m"] <- "m1"
    ys <- 0.45 * m2s + rnorm(N)
  } else {
    ys <- 0.5 * ms + (if (id == 1) 0.2 * x else 0) + rnorm(N) * (1 + 0.4 * (g - 1))
  }
  d$y <- round(2 + ys, 3)
  ordv <- grep("^m", names(d), value = TRUE)
  opts <- list(conditional.x = FALSE, fixed.x = FALSE, ordered = ordv)
  if (id == 3) {
    d$g <- g
    opts <- c(opts, list(group = "g", group.equal = c("thresholds", "regressions")))
  }
  file <- sprintf("o_%02d.csv.gz", id)
  write_gz(d, file)
  opts <- opts[order(names(opts))]
  if (!export_fit(sprintf("o_%02d", id), "sem", file, ORD_MODELS[id], opts)) {
    export_fit(sprintf("o_%02d_bfgs", id), "sem", file, ORD_MODELS[id],
               c(opts, list(optim.method = "BFGS")))
  }
}

if (Sys.getenv("SWEEP14_SKIP_PUBLIC") == "1") quit(save = "no")

# ---- public data ------------------------------------------------------------------------
# Kept as published unless said here: factors written as 0/1 (two levels) or by their
# labels (groups), ordered answers by integer codes in their natural order.
wcsv <- function(dat, file) write.csv(dat, file.path(ddir, file), row.names = FALSE, na = "")
dv <- carData::Davis
dv$sex <- as.character(dv$sex)
wcsv(dv, "davis.csv")
wcsv(carData::Duncan[, c("income", "education", "prestige")], "duncan.csv")
so <- carData::Soils[, c("pH", "N", "Dens", "P", "Ca", "Mg", "K", "Na", "Conduc")]
wcsv(so, "soils.csv")
bl <- psychTools::blot[, 1:10]
names(bl) <- paste0("V", 1:10)
wcsv(bl, "blot.csv")
wv <- carData::WVS
wv <- data.frame(poverty = as.integer(wv$poverty), religion = as.integer(wv$religion == "yes"),
                 degree = as.integer(wv$degree == "yes"),
                 male = as.integer(wv$gender == "male"), age = wv$age,
                 country = as.character(wv$country))
write_gz(wv, "wvs.csv.gz")
wl <- carData::Womenlf
wl <- data.frame(partic = match(as.character(wl$partic), c("not.work", "parttime", "fulltime")),
                 hincome = wl$hincome, children = as.integer(wl$children == "present"))
wcsv(wl, "womenlf.csv")
hs <- lavaan::HolzingerSwineford1939
hsx <- hs[, paste0("x", 1:9)]
hsx$x3 <- hsx$x3 * 1000
hsx$x8 <- hsx$x8 / 1000
wcsv(hsx, "hs_scaled.csv")
wcsv(hs[, paste0("x", 1:9)], "hs.csv")
wcsv(lavaan::PoliticalDemocracy, "poldem.csv")
wcsv(round(lavaan::Demo.growth, 4), "dg.csv")
write.csv(round(psych::Reise, 6), file.path(ddir, "reise_cov.csv"), row.names = FALSE)
bu <- psych::Harman.Burt
colnames(bu) <- rownames(bu) <- make.names(colnames(bu))
write.csv(bu, file.path(ddir, "burt_cov.csv"), row.names = FALSE)
HSV <- paste0("x", 1:9)
hm <- list()
for (s in c("Pasteur", "Grant-White")) {
  d <- hs[hs$school == s, HSV]
  write.csv(round(cov(d), 8), file.path(ddir, paste0("hs_school_cov_", s, ".csv")),
            row.names = FALSE)
  hm[[s]] <- round(colMeans(d), 8)
}
write.csv(data.frame(school = names(hm), do.call(rbind, hm), check.names = FALSE),
          file.path(ddir, "hs_school_mean.csv"), row.names = FALSE)

# a multigroup fit from moments: per-group covariance matrices and mean vectors, read back
export_cov_mg <- function(name, fun, groups, nobs, model, options = list()) {
  ms <- read.csv(file.path(ddir, "hs_school_mean.csv"), check.names = FALSE)
  covs <- lapply(groups, function(s) {
    S <- as.matrix(read.csv(file.path(ddir, paste0("hs_school_cov_", s, ".csv")),
                            check.names = FALSE))
    rownames(S) <- colnames(S)
    S
  })
  means <- lapply(groups, function(s) unlist(ms[ms$school == s, -1]))
  names(covs) <- names(means) <- groups
  spec <- list(fun = fun, cov_groups = groups, sample_nobs = nobs, model = model,
               options = options)
  f <- catching(do.call(fun, c(list(model = model, sample.cov = covs, sample.mean = means,
                                    sample.nobs = nobs), options)))
  record(name, spec, f)
}

export_pub <- function(name, fun, data, model, options = list()) {
  if (!export_fit(name, fun, data, model, options)) {
    export_fit(paste0(name, "_bfgs"), fun, data, model, c(options, list(optim.method = "BFGS")))
  }
}

HS3 <- 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9'
export_pub("p_davis_2ind_fiml_mlr", "cfa", "davis.csv", 'wt =~ weight + repwt
ht =~ height + repht', list(estimator = "MLR", missing = "ml"))
export_pub("p_davis_mg_fiml", "cfa", "davis.csv", 'wt =~ weight + repwt
ht =~ height + repht', list(group = "sex", group.equal = c("loadings", "intercepts"),
                              missing = "ml"))
export_pub("p_duncan_single_fixed", "sem", "duncan.csv", 'inc =~ income
edu =~ education
income ~~ 75*income
education ~~ 90*education
prestige ~ inc + edu')
export_pub("p_soils_scales", "cfa", "soils.csv", 'nut =~ N + P + K
base =~ Ca + Mg + pH
salt =~ Na + Conduc')
export_pub("p_blot_binary", "cfa", "blot.csv", paste0("lo =~ ", paste0("V", 1:10, collapse = " + ")),
           list(ordered = paste0("V", 1:10)))
export_pub("p_wvs_ord_mg_reg", "sem", "wvs.csv.gz", 'poverty ~ religion + degree + male + age',
           list(ordered = "poverty", group = "country", group.equal = "regressions",
                fixed.x = FALSE, conditional.x = FALSE))
export_pub("p_womenlf_ord", "sem", "womenlf.csv", 'partic ~ hincome + children',
           list(ordered = "partic", fixed.x = FALSE, conditional.x = FALSE))
# the same two with continuous predictors only
export_pub("p_wvs_ord_age", "sem", "wvs.csv.gz", 'poverty ~ age',
           list(ordered = "poverty", fixed.x = FALSE, conditional.x = FALSE))
export_pub("p_womenlf_ord_hincome", "sem", "womenlf.csv", 'partic ~ hincome',
           list(ordered = "partic", fixed.x = FALSE, conditional.x = FALSE))
export_pub("p_hs_scaled_orth_mlr", "cfa", "hs_scaled.csv", HS3,
           list(estimator = "MLR", std.lv = TRUE, orthogonal = TRUE))
export_pub("p_hs_scaled_2nd_mlr", "cfa", "hs_scaled.csv", paste0(HS3, "\ng =~ visual + textual + speed"),
           list(estimator = "MLR"))
# the same two on the published scale: lavaan's reference for ours on the rescaled items
export_pub("p_hs_orth_mlr", "cfa", "hs.csv", HS3,
           list(estimator = "MLR", std.lv = TRUE, orthogonal = TRUE))
export_pub("p_hs_2nd_mlr", "cfa", "hs.csv", paste0(HS3, "\ng =~ visual + textual + speed"),
           list(estimator = "MLR"))
export_pub("p_poldem_2ind_eq_mlr", "sem", "poldem.csv", 'ind60 =~ x1 + x2 + x3
dem60 =~ y1 + a*y2
dem65 =~ y5 + a*y6
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ r*y5
y2 ~~ r*y6', list(estimator = "MLR"))
export_pub("p_dg_tvc_eq", "growth", "dg.csv", 'i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4
i ~ x1
s ~ x2
t1 ~ b*c1
t2 ~ b*c2
t3 ~ b*c3
t4 ~ b*c4', list(estimator = "MLR"))
export_cov("p_reise_bifactor_orth", "cfa", "reise_cov.csv", 35000L, paste(
  "g =~ ", paste(make.names(colnames(psych::Reise)), collapse = " + "),
  "\nf1 =~ ", paste(make.names(colnames(psych::Reise))[1:5], collapse = " + "),
  "\nf2 =~ ", paste(make.names(colnames(psych::Reise))[6:11], collapse = " + "),
  "\nf3 =~ ", paste(make.names(colnames(psych::Reise))[12:16], collapse = " + ")),
  list(std.lv = TRUE, orthogonal = TRUE))
export_cov("p_burt_not_pd", "cfa", "burt_cov.csv", 172L,
           paste("f =~", paste(make.names(colnames(psych::Harman.Burt)), collapse = " + ")))
export_cov_mg("p_hs_moments_mg_partial", "cfa", c("Pasteur", "Grant-White"), c(156L, 145L),
              HS3, list(group.equal = c("loadings", "intercepts", "lv.variances"),
                        group.partial = c("x3 ~ 1", "x7 ~ 1")))
