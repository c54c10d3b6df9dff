# Reference fits of the ninth parity sweep: a generated campaign of random models and data
# drawn here (not the campaign of tests/reference/campaign), public datasets no earlier
# sweep used, and outputs no sweep had compared: residuals(fit, type = "standardized")
# and type = "normalized", and modindices() after WLSMV.
#
# Run from the repository root:
#   Rscript tests/reference/sem_sweep9/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, psych 2.2.9 (Debian r-cran-psych) and jsonlite.
#
# Data written to tests/reference/sem_sweep9/data/ (the fits read them back):
#   g_NN.csv.gz   generated case NN (set.seed(9000 + NN)): continuous values rounded to 3
#                 decimals, ordered items as integer codes 1..k, group column g, NA missing
#   h_NN.csv.gz   second generated set (set.seed(9500 + NN)): items y*, covariates x*
#   lcs.csv       datasets::LifeCycleSavings (N = 50); lcs_k.csv: dpi / 1000
#   garcia.csv    psych::Garcia (N = 129; protest coded 0/1/2, prot2 0/1)
#   quakes.csv    datasets::quakes (N = 1000)
#   usarrests.csv datasets::USArrests (N = 50)
#   longley.csv   datasets::longley (N = 16); longley_z.csv: its z-scores
#   freeny.csv    datasets::freeny (N = 39; the quarterly revenue as a number)
#   trees.csv     datasets::trees (N = 31)
#   stackloss.csv datasets::stackloss (N = 21)
#
# The generated campaign (cases g_01 .. g_NN): 2-5 factors of 3-6 indicators (at most 16
# items); loadings 0.4-0.9 with a random sign and the marker reverse-keyed in about a
# third of the factors; factor correlations or regressions among the factors; sometimes
# a cross-loading and a residual covariance (both in the fitted model); N 80-800
# (log-uniform). The kinds cycle through: ML, MLR, ML with MAR missingness (FIML), MLR
# with FIML, WLSMV with 3-7 categories, and 2-3 groups (ML, MLR or WLSMV) with equal
# loadings, loadings + intercepts (thresholds for ordered items) or none.  The second set
# (cases h_01 .. h_24, described where it is drawn) adds observed covariates and syntax
# features.  SWEEP9_N and SWEEP9_N2 set the sizes of the two sets (48 and 24).
#
# Each <case>.json holds: the call (function, data file, model, options), lavaan's
# warnings and convergence, parameterEstimates() (est, se), standardizedSolution()
# (est.std, se), fitMeasures(), residuals(fit, type = "raw" / "standardized" /
# "normalized") per group (cov, mean, th; or the error lavaan gives) and modindices()
# (mi, epc, sepc.all; or the error).
suppressMessages({library(lavaan); library(psych); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/sem_sweep9"
ddir <- file.path(out, "data")
dir.create(ddir, showWarnings = FALSE, recursive = TRUE)

# ---- public data --------------------------------------------------------------------
write.csv(LifeCycleSavings, file.path(ddir, "lcs.csv"), row.names = FALSE)
lcs_k <- LifeCycleSavings
lcs_k$dpi <- lcs_k$dpi / 1000  # per-capita income in thousands
write.csv(lcs_k, file.path(ddir, "lcs_k.csv"), row.names = FALSE)
Garcia <- psych::Garcia
gar <- data.frame(protest = as.numeric(Garcia$protest), sexism = Garcia$sexism,
                  anger = Garcia$anger, liking = Garcia$liking,
                  respappr = Garcia$respappr, prot2 = as.numeric(Garcia$prot2))
write.csv(gar, file.path(ddir, "garcia.csv"), row.names = FALSE)
write.csv(quakes, file.path(ddir, "quakes.csv"), row.names = FALSE)
write.csv(USArrests, file.path(ddir, "usarrests.csv"), row.names = FALSE)
write.csv(longley, file.path(ddir, "longley.csv"), row.names = FALSE)
write.csv(as.data.frame(scale(longley)), file.path(ddir, "longley_z.csv"), row.names = FALSE)
fr <- freeny
fr$y <- as.numeric(fr$y)
names(fr) <- c("y", "lag", "price", "income", "market")
write.csv(fr, file.path(ddir, "freeny.csv"), row.names = FALSE)
write.csv(trees, file.path(ddir, "trees.csv"), row.names = FALSE)
write.csv(stackloss, file.path(ddir, "stackloss.csv"), row.names = FALSE)

# ---- the generated campaign -----------------------------------------------------------
KINDS <- c("ml", "mlr", "fiml_ml", "fiml_mlr", "wlsmv", "mg_ml", "mg_mlr", "mg_wlsmv")
fmt <- function(v) formatC(v, digits = 3, format = "f")

draw_case <- function(id) {
  set.seed(9000 + id)
  kind <- KINDS[(id - 1) %% length(KINDS) + 1]
  ordinal <- grepl("wlsmv", kind)
  nf <- sample(2:5, 1)
  ni <- sample(3:6, nf, replace = TRUE)
  while (nf > 2 && sum(ni) > 16) {
    nf <- nf - 1L
    ni <- ni[seq_len(nf)]
  }
  p <- sum(ni)
  item <- rep(seq_len(nf), ni)
  lam <- matrix(0, p, nf)
  for (j in seq_len(p)) lam[j, item[j]] <- runif(1, 0.4, 0.9) * sample(c(-1, 1), 1, prob = c(0.25, 0.75))
  first <- match(seq_len(nf), item)
  neg <- runif(nf) < 0.33
  lam[cbind(first, seq_len(nf))] <- abs(lam[cbind(first, seq_len(nf))]) * ifelse(neg, -1, 1)
  cross <- NULL
  if (runif(1) < 0.4) {
    j <- sample(setdiff(seq_len(p), first), 1)
    # with one other factor, sample() draws from 1:k and may pick the item's own factor:
    # the model then names the item twice in one formula, which lavaan merges (kept: it
    # found a difference in the engine's parser)
    f <- sample(setdiff(seq_len(nf), item[j]), 1)
    lam[j, f] <- runif(1, 0.25, 0.5)
    cross <- c(j, f)
  }
  regress <- runif(1) < 0.5
  B <- matrix(0, nf, nf)
  if (regress) for (k in 2:nf) for (l in seq_len(k - 1)) if (runif(1) < 0.6) B[k, l] <- runif(1, -0.5, 0.6)
  Psi <- diag(nf)
  if (!regress) {
    for (k in 2:nf) for (l in seq_len(k - 1)) Psi[k, l] <- Psi[l, k] <- runif(1, -0.3, 0.5)
    if (min(eigen(Psi)$values) < 0.1) Psi <- 0.5 * Psi + 0.5 * diag(nf)
  }
  rescov <- NULL
  Theta <- diag(1 - pmin(rowSums(lam^2), 0.85) * 0.5, p)
  if (runif(1) < 0.4) {
    rescov <- sort(sample(seq_len(p), 2))
    Theta[rescov[1], rescov[2]] <- Theta[rescov[2], rescov[1]] <- 0.25 * sqrt(Theta[rescov[1], rescov[1]] * Theta[rescov[2], rescov[2]])
  }
  IB <- solve(diag(nf) - B)
  N <- round(exp(runif(1, log(80), log(800))))
  ngroups <- if (grepl("mg", kind)) sample(2:3, 1) else 1L
  N <- max(N, 60 * ngroups)
  g <- sort(rep_len(seq_len(ngroups), N))
  eta <- matrix(rnorm(N * nf), N, nf) %*% chol(Psi)
  eta <- eta + outer((g - 1) * 0.3, rep(1, nf))  # group differences in the factor means
  eta <- t(IB %*% t(eta))
  eps <- matrix(rnorm(N * p), N, p) %*% chol(Theta)
  nu <- runif(p, -0.5, 0.5)
  y <- eta %*% t(lam) + eps + matrix(nu, N, p, byrow = TRUE)
  y <- y * matrix(runif(p, 0.7, 2.5), N, p, byrow = TRUE)  # items on different scales
  names <- paste0("y", seq_len(p))
  ncat <- NA
  if (ordinal) {
    ncat <- sample(3:7, 1)
    for (j in seq_len(p)) {
      z <- (y[, j] - mean(y[, j])) / sd(y[, j])
      cuts <- sort(qnorm(runif(ncat - 1, 0.05, 0.95)))
      y[, j] <- findInterval(z, cuts) + 1
    }
  } else {
    y <- round(y, 3)
  }
  dat <- as.data.frame(y)
  names(dat) <- names
  miss <- 0
  if (grepl("fiml", kind)) {
    miss <- runif(1, 0.05, 0.2)
    drive <- dat[[1]]
    for (j in 2:p) {
      pm <- plogis(qlogis(miss) + 0.8 * as.numeric(scale(drive)))
      dat[[j]][runif(N) < pm] <- NA
    }
  }
  if (ngroups > 1) dat$g <- g
  lines <- character()
  for (k in seq_len(nf)) {
    ind <- names[item == k]
    if (!is.null(cross) && cross[2] == k) ind <- c(ind, names[cross[1]])
    lines <- c(lines, paste0("f", k, " =~ ", paste(ind, collapse = " + ")))
  }
  if (regress) {
    for (k in 2:nf) {
      pred <- which(B[k, seq_len(k - 1)] != 0)
      if (length(pred)) lines <- c(lines, paste0("f", k, " ~ ", paste0("f", pred, collapse = " + ")))
    }
  }
  if (!is.null(rescov)) lines <- c(lines, paste0(names[rescov[1]], " ~~ ", names[rescov[2]]))
  opts <- list()
  if (kind %in% c("mlr", "fiml_mlr", "mg_mlr")) opts$estimator <- "MLR"
  if (grepl("fiml", kind)) opts$missing <- "ml"
  if (ordinal) opts$ordered <- names
  if (ngroups > 1) {
    opts$group <- "g"
    ge <- sample(list(NULL, "loadings", c("loadings", "intercepts")), 1)[[1]]
    if (ordinal && length(ge) == 2) ge <- c("thresholds", "loadings")
    if (!is.null(ge)) opts$group.equal <- ge
  }
  file <- sprintf("g_%02d.csv.gz", id)
  con <- gzfile(file.path(ddir, file), "w")
  write.csv(dat, con, row.names = FALSE, na = "")
  close(con)
  list(name = sprintf("g_%02d", id), fun = "sem", data = file,
       model = paste(lines, collapse = "\n"), options = opts,
       drawn = list(kind = kind, nf = nf, ni = ni, N = N, ngroups = ngroups, ncat = ncat,
                    miss = miss, neg_marker = sum(neg), cross = !is.null(cross),
                    rescov = !is.null(rescov), regress = regress))
}

# ---- helpers ------------------------------------------------------------------------
read_data <- function(file) {
  if (grepl("\\.gz$", file)) read.csv(gzfile(file.path(ddir, file))) else read.csv(file.path(ddir, file))
}

catching <- function(expr) {
  warns <- character()
  val <- tryCatch(withCallingHandlers(expr, warning = function(w) {
    warns <<- c(warns, conditionMessage(w))
    invokeRestart("muffleWarning")
  }), error = function(e) e)
  list(value = val, warnings = warns)
}

rows_of <- function(m) lapply(seq_len(nrow(m)), function(i) as.numeric(m[i, ]))

group_list <- function(x, fit) {
  if (lavInspect(fit, "ngroups") == 1L) x <- list(x)
  lapply(x, function(r) {
    out <- list(names = rownames(r$cov), cov = rows_of(unclass(r$cov)))
    if (!is.null(r$mean)) out$mean <- as.list(r$mean)
    if (!is.null(r$th)) out$th <- as.list(r$th)
    out
  })
}

resid_of <- function(fit, type) {
  r <- catching(residuals(fit, type = type))
  if (inherits(r$value, "error")) return(list(error = conditionMessage(r$value)))
  list(groups = group_list(r$value, fit), warnings = r$warnings)
}

fit_record <- function(fit) {
  pe <- parameterEstimates(fit, ci = FALSE)
  if (is.null(pe$group)) pe$group <- ifelse(pe$op %in% c(":=", "==", "<", ">"), 0L, 1L)
  ok <- lavInspect(fit, "converged")
  res <- list(converged = ok, nobs = as.list(lavInspect(fit, "nobs")),
              params = pe[, c("lhs", "op", "rhs", "group", "est", "se")])
  if (ok) {
    ss <- standardizedSolution(fit, type = "std.all", zstat = FALSE, pvalue = FALSE, ci = FALSE)
    if (is.null(ss$group)) ss$group <- ifelse(ss$op %in% c(":=", "==", "<", ">"), 0L, 1L)
    res$std <- ss[, c("lhs", "op", "rhs", "group", "est.std", "se")]
    res$fit <- as.list(fitMeasures(fit))
    res$resid_raw <- resid_of(fit, "raw")
    res$resid_standardized <- resid_of(fit, "standardized")
    res$resid_normalized <- resid_of(fit, "normalized")
    mi <- catching(modindices(fit))
    if (inherits(mi$value, "error")) {
      res$modindices_error <- conditionMessage(mi$value)
    } else {
      m <- as.data.frame(mi$value)
      if (is.null(m$group)) m$group <- rep(1L, nrow(m))
      res$modindices <- m[, c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.all")]
    }
  }
  res
}

export_fit <- function(name, fun, data, model, options = list(), drawn = NULL) {
  spec <- list(fun = fun, data = data, model = model, options = options)
  f <- catching(do.call(fun, c(list(model = model, data = read_data(data)), options)))
  res <- c(list(kind = "fit", lavaan_version = as.character(packageVersion("lavaan"))),
           spec, list(drawn = drawn, warnings = f$warnings))
  if (inherits(f$value, "error")) {
    res$error <- conditionMessage(f$value)
  } else {
    w <- catching(fit_record(f$value))
    if (inherits(w$value, "error")) stop(name, ": ", conditionMessage(w$value))
    res <- c(res, w$value)
    res$record_warnings <- w$warnings
  }
  writeLines(toJSON(res, dataframe = "columns", digits = NA, na = "null", auto_unbox = TRUE,
                    null = "null", matrix = "rowmajor"),
             file.path(out, paste0(name, ".json")))
  cat(name, if (is.null(res$error)) res$converged else res$error, "\n")
}

N_GEN <- as.integer(Sys.getenv("SWEEP9_N", "48"))
for (id in seq_len(N_GEN)) {
  cs <- draw_case(id)
  export_fit(cs$name, cs$fun, cs$data, cs$model, cs$options, cs$drawn)
}

# ---- the second generated set: covariates and syntax features -------------------------
# Cases h_01 .. h_NN (set.seed(9500 + NN)): 2-3 factors of 3-5 indicators with one or two
# observed covariates (fixed.x) predicting the factors, a labelled structural path and an
# indirect effect (:=), and in turn: std.lv = TRUE, meanstructure = TRUE, equal labelled
# loadings, orthogonal factors with an explicit covariance; ML, MLR, FIML (missing on the
# indicators only) and two groups with group.equal (loadings, intercepts, residuals,
# lv.variances, regressions) and group.partial.
KINDS2 <- c("ml", "mlr", "fiml_ml", "fiml_mlr", "mg_ml", "mg_mlr")
draw_case2 <- function(id) {
  set.seed(9500 + id)
  kind <- KINDS2[(id - 1) %% length(KINDS2) + 1]
  nf <- sample(2:3, 1)
  ni <- sample(3:5, nf, replace = TRUE)
  p <- sum(ni)
  item <- rep(seq_len(nf), ni)
  nx <- sample(1:2, 1)
  N <- round(exp(runif(1, log(120), log(700))))
  ngroups <- if (grepl("mg", kind)) 2L else 1L
  g <- sort(rep_len(seq_len(ngroups), N))
  X <- matrix(rnorm(N * nx), N, nx) * matrix(runif(nx, 0.5, 3), N, nx, byrow = TRUE)
  X <- X + matrix(runif(nx, -1, 5), N, nx, byrow = TRUE)
  eta <- matrix(0, N, nf)
  gam <- matrix(runif(nf * nx, -0.4, 0.4), nf, nx)
  eta[, 1] <- X %*% gam[1, ] / apply(X, 2, sd)[1] + rnorm(N)
  for (k in 2:nf) eta[, k] <- 0.5 * eta[, k - 1] + X %*% gam[k, ] / sd(X[, 1]) + rnorm(N)
  eta <- eta + outer((g - 1) * 0.4, rep(1, nf))
  lam <- runif(p, 0.5, 1.2) * sample(c(-1, 1), p, replace = TRUE, prob = c(0.2, 0.8))
  y <- eta[, item] * matrix(lam, N, p, byrow = TRUE) + matrix(rnorm(N * p, sd = 0.8), N, p)
  y <- y + matrix(runif(p, 1, 4), N, p, byrow = TRUE)
  dat <- as.data.frame(round(cbind(y, X), 3))
  ynames <- paste0("y", seq_len(p))
  xnames <- paste0("x", seq_len(nx))
  names(dat) <- c(ynames, xnames)
  miss <- 0
  if (grepl("fiml", kind)) {
    miss <- runif(1, 0.05, 0.15)
    for (j in seq_len(p)) {
      pm <- plogis(qlogis(miss) + 0.7 * as.numeric(scale(dat$x1)))
      dat[[j]][runif(N) < pm] <- NA
    }
  }
  if (ngroups > 1) dat$g <- g
  feature <- c("plain", "std.lv", "meanstructure", "equal", "orthogonal")[(id - 1) %% 5 + 1]
  lines <- character()
  for (k in seq_len(nf)) {
    ind <- ynames[item == k]
    if (feature == "equal" && length(ind) >= 3) ind[2:3] <- paste0("e", k, "*", ind[2:3])
    lines <- c(lines, paste0("f", k, " =~ ", paste(ind, collapse = " + ")))
  }
  lines <- c(lines, paste0("f1 ~ ", paste(xnames, collapse = " + ")))
  lines <- c(lines, paste0("f2 ~ b*f1 + a*", xnames[1]))
  if (nf == 3) lines <- c(lines, "f3 ~ c*f2")
  lines <- c(lines, if (nf == 3) "ind := b*c" else "ind := a*b")
  opts <- list()
  if (kind %in% c("mlr", "fiml_mlr", "mg_mlr")) opts$estimator <- "MLR"
  if (grepl("fiml", kind)) opts$missing <- "ml"
  if (feature == "std.lv") opts$std.lv <- TRUE
  if (feature == "meanstructure") opts$meanstructure <- TRUE
  if (ngroups > 1) {
    opts$group <- "g"
    ge <- sample(list("loadings", c("loadings", "intercepts"), c("loadings", "residuals"),
                      c("loadings", "lv.variances"), c("loadings", "regressions")), 1)[[1]]
    opts$group.equal <- ge
    if (runif(1) < 0.5) opts$group.partial <- paste0("f1 =~ ", ynames[item == 1][2])
    # labels would make the groups equal: drop them in multigroup models
    lines <- gsub("[a-z][0-9]?\\*", "", lines)
    lines <- lines[!grepl(":=", lines)]
  }
  file <- sprintf("h_%02d.csv.gz", id)
  con <- gzfile(file.path(ddir, file), "w")
  write.csv(dat, con, row.names = FALSE, na = "")
  close(con)
  list(name = sprintf("h_%02d", id), fun = "sem", data = file,
       model = paste(lines, collapse = "\n"), options = opts,
       drawn = list(kind = kind, feature = feature, nf = nf, ni = ni, nx = nx, N = N,
                    ngroups = ngroups, miss = miss))
}

N_GEN2 <- as.integer(Sys.getenv("SWEEP9_N2", "24"))
for (id in seq_len(N_GEN2)) {
  cs <- draw_case2(id)
  export_fit(cs$name, cs$fun, cs$data, cs$model, cs$options, cs$drawn)
}

# ---- public data ----------------------------------------------------------------------
LCS <- 'sr ~ pop15 + pop75 + dpi + ddpi
ddpi ~ pop15 + dpi'
export_fit("p_lcs_path_ml", "sem", "lcs.csv", LCS)
export_fit("p_lcs_path_mlr", "sem", "lcs.csv", LCS, list(estimator = "MLR"))
# the same with dpi in thousands: lavaan's baseline model keeps the covariates' sample
# moments again (with dpi's variance of 962,185 it does not: see test_sweep9.py)
export_fit("p_lcs_path_ml_k", "sem", "lcs_k.csv", LCS)
export_fit("p_lcs_path_ml_free_x", "sem", "lcs.csv", LCS, list(fixed.x = FALSE))
export_fit("p_lcs_latent_ml", "sem", "lcs.csv", 'age =~ pop15 + pop75
sr ~ age + ddpi', list())
GAR <- 'respappr ~ a*protest
liking ~ b*respappr + c*protest
ind := a*b
tot := c + a*b'
export_fit("p_garcia_med_ml", "sem", "garcia.csv", GAR)
export_fit("p_garcia_med_mlr", "sem", "garcia.csv", GAR, list(estimator = "MLR"))
export_fit("p_garcia_mg_ml", "sem", "garcia.csv", 'liking ~ respappr + sexism
respappr ~ sexism', list(group = "prot2"))
export_fit("p_quakes_path", "sem", "quakes.csv", 'mag ~ depth
stations ~ mag + depth + lat')
export_fit("p_quakes_path_ms", "sem", "quakes.csv", 'mag ~ depth
stations ~ mag', list(meanstructure = TRUE, estimator = "MLR"))
export_fit("p_usarrests_cfa", "cfa", "usarrests.csv", 'crime =~ Murder + Assault + Rape + UrbanPop')
export_fit("p_usarrests_cfa_mlr", "cfa", "usarrests.csv",
           'crime =~ Murder + Assault + Rape
crime ~ UrbanPop', list(estimator = "MLR"))
LONGLEY <- 'econ =~ GNP + Population + Employed + Year + GNP.deflator'
export_fit("p_longley_cfa", "cfa", "longley.csv", LONGLEY)
# the same on z-scores: standardized residuals do not depend on the variables' scales,
# but lavaan's generalized inverse of the raw data's information drops small directions
export_fit("p_longley_cfa_z", "cfa", "longley_z.csv", LONGLEY)
export_fit("p_freeny_path", "sem", "freeny.csv", 'y ~ lag + price + income
lag ~ income + market')
export_fit("p_trees_mlr", "sem", "trees.csv", 'Volume ~ Girth + Height
Girth ~~ Height', list(estimator = "MLR", fixed.x = FALSE))
export_fit("p_stackloss_ml", "sem", "stackloss.csv", 'stack.loss ~ Air.Flow + Water.Temp
Water.Temp ~ Air.Flow + Acid.Conc.')
