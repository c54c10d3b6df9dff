# Reference fits of the fifteenth parity sweep: random models aimed at what the earlier
# sweeps did not cover (defined parameters with products of three paths and differences of
# paths, equality constraints a == 2*b with an inequality, MIMIC models with fixed.x TRUE
# and FALSE, latent means across groups with a fixed marker intercept, ordered items across
# groups with a latent regression under theta and delta, cluster= with defined effects,
# panel models with residuals correlated across time and a random-intercept cross-lagged
# model, nonrecursive feedback loops, one factor of 15-25 items, N barely above the number
# of free parameters, several groups fitted from covariance matrices only) and public data
# bundled with R packages that no sweep used before.
#
# Run from the repository root:
#   Rscript tests/reference/sem_sweep15/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14 and jsonlite; data from AER, carData and psych.
# Deterministic: every generated case sets its own seed (set.seed(15000 + id)); the script
# rewrites the same files byte for byte.
#
# Data written to tests/reference/sem_sweep15/data/ (the fits read them back):
#   r_NN.csv.gz     generated case NN: continuous values to 6 significant digits, ordered
#                   items as integer codes, group column g, cluster column cl, NA missing
#   r_NN_cov_<g>.csv  (mg_cov) the per-group covariance matrices of r_NN (divisor N - 1)
#   anscombe.csv    carData::Anscombe (N = 51; income / 100)
#   guns_wide.csv   AER::Guns: log violent and robbery rates of 1980, 1989, 1998 (N = 51)
#   fatal_wide.csv  AER::Fatalities: traffic deaths per 10,000 people, 1982 .. 1988 (N = 48)
#   fatal_long.csv  the same per state and year (N = 336) with the beer tax, unemployment,
#                   income in thousands, state (the cluster) and late (1985 .. 1988) as 0/1
#   affairs.csv     AER::Affairs with gender and children as 0/1 (N = 601)
#   college.csv.gz  AER::CollegeDistance: score, distance, education, tuition, gender
#   salaries.csv    carData::Salaries: salary in thousands, male as 0/1
#   freedman.csv    carData::Freedman with log density and log population (NA kept)
#   harman5.csv     psych::Harman.5 (12 census tracts): population and employment in
#                   thousands, professional in hundreds, house value in ten thousands
#                   (p_harman5_near_n_start: the same model from the engine's estimates)
#   bechtoldt_<k>_cov.csv  psych::Bechtoldt.1 and Bechtoldt.2 (two samples; N 212, 213)
#
# The generated set (cases r_01 .. r_NN; SWEEP15_N, default 25) cycles through 11 kinds:
#   def_chain    x -> m1 -> m2 -> y (observed; or latent factors of 3 items) with labels:
#                ind := a*b*c, total := d + a*b*c, diff := a - c; ML, MLR, FIML
#   eq_constr    two factors: l2 == l5, l3 == l6, a defined difference and, on complete
#                data, the inequality v1 > 0.1 (ML); the first case is also fitted with
#                l2 == 2*l5 (r_02_times2: a constraint the engine refuses)
#   mimic        factors on a continuous and a binary covariate: fixed.x TRUE, then FALSE,
#                then FIML on the items with fixed.x TRUE
#   mg_means     2-3 groups with latent means: loadings + intercepts + means equal; then
#                loadings + intercepts with the marker intercept fixed at 0 and every
#                latent mean free
#   ord_mg_theta ordered items in two groups with f2 ~ f1, thresholds + loadings equal;
#                parameterization theta, then delta
#   cluster_def  MLR with cluster= and ab := a*b; FIML in the second
#   panel        one factor at three times (equal loadings, each item's residuals
#                correlated across time, autoregression); then two observed variables at
#                three times (cross-lagged, residuals correlated within time); then a
#                random-intercept cross-lagged model
#   nonrec       y1 ~ y2 + x1, y2 ~ y1 + x2, residuals correlated; then between factors
#   long1f       one factor of 15-25 items; MLR in the second, std.lv in the third
#   near_n       N 2-8 above the number of free parameters
#   mg_cov       2-3 groups fitted from their covariance matrices (sample.cov, no means),
#                loadings equal
#
# Each <case>.json holds what tests/reference/sem_common/sweep_helpers.R writes: the call,
# lavaan's warnings and convergence, parameterEstimates() (est, se), standardizedSolution()
# (est.std, se), fitMeasures(), lavInspect(, "r2"), residuals() of three types per group and
# modindices() (mi, epc, sepc.all) with its warnings, or the error lavaan gives.
suppressMessages({library(lavaan); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/sem_sweep15"
ddir <- file.path(out, "data")
dir.create(ddir, showWarnings = FALSE, recursive = TRUE)

options(sweep.extras = TRUE)
source("tests/reference/sem_common/sweep_helpers.R")

KINDS <- c("def_chain", "eq_constr", "mimic", "mg_means", "ord_mg_theta", "cluster_def",
           "panel", "nonrec", "long1f", "near_n", "mg_cov")

# a loading matrix's data: eta (N x nf) times loadings, plus noise with unit item variance
items_of <- function(eta, item, lam) {
  N <- nrow(eta)
  p <- length(item)
  theta <- pmax(1 - lam^2, 0.05)
  eta[, item, drop = FALSE] * matrix(lam, N, p, byrow = TRUE) +
    matrix(rnorm(N * p), N, p) * matrix(sqrt(theta), N, p, byrow = TRUE)
}
shift_scale <- function(y) {
  p <- ncol(y)
  y <- y + matrix(runif(p, -1, 3), nrow(y), p, byrow = TRUE)
  y * matrix(runif(p, 0.6, 2.5), nrow(y), p, byrow = TRUE)
}
lab_of <- function(names, item, k) paste(names[item == k], collapse = " + ")

draw_case <- function(id) {
  set.seed(15000 + id)
  kind <- KINDS[(id - 1) %% length(KINDS) + 1]
  nth <- (id - 1) %/% length(KINDS) + 1
  opts <- list()
  est <- "ML"
  lines <- character()
  dat <- NULL
  drawn <- list(kind = kind)
  covs <- NULL
  if (kind == "def_chain") {
    N <- sample(250:700, 1)
    x <- rnorm(N)
    m1 <- 0.5 * x + rnorm(N) * 0.85
    m2 <- 0.45 * m1 + rnorm(N) * 0.9
    y <- 0.4 * m2 + 0.15 * x + rnorm(N) * 0.9
    if (nth == 2) {  # latent: three items each
      eta <- cbind(x, m1, m2, y)
      eta <- sweep(eta, 2, apply(eta, 2, sd), "/")
      item <- rep(1:4, each = 3)
      yy <- shift_scale(items_of(eta, item, runif(12, 0.55, 0.85)))
      nm <- paste0("y", 1:12)
      dat <- as.data.frame(signif(yy, 6))
      names(dat) <- nm
      fn <- c("fx", "fm1", "fm2", "fy")
      for (k in 1:4) lines <- c(lines, paste0(fn[k], " =~ ", lab_of(nm, item, k)))
      lines <- c(lines, "fm1 ~ a*fx", "fm2 ~ b*fm1", "fy ~ c*fm2 + d*fx")
      est <- "MLR"
    } else {
      dat <- data.frame(x = x, m1 = m1, m2 = m2, y = y)
      dat <- as.data.frame(signif(shift_scale(as.matrix(dat)), 6))
      lines <- c("m1 ~ a*x", "m2 ~ b*m1", "y ~ c*m2 + d*x")
      if (nth == 3) {
        for (v in c("m1", "m2", "y")) dat[[v]][runif(N) < 0.12] <- NA
        opts$missing <- "ml"
        opts$fixed.x <- FALSE
      }
    }
    lines <- c(lines, "ind := a*b*c", "total := d + a*b*c", "diff := a - c")
  } else if (kind == "eq_constr") {
    N <- sample(150:500, 1)
    eta <- matrix(rnorm(N * 2), N, 2)
    eta[, 2] <- 0.4 * eta[, 1] + sqrt(1 - 0.16) * eta[, 2]
    lam <- c(0.7, 0.8, 0.6, 0.7, 0.4, 0.6)
    item <- rep(1:2, each = 3)
    yy <- items_of(eta, item, lam)
    yy <- yy + matrix(runif(6, -1, 2), N, 6, byrow = TRUE)
    nm <- paste0("y", 1:6)
    dat <- as.data.frame(signif(yy, 6))
    names(dat) <- nm
    lines <- c("f1 =~ y1 + l2*y2 + l3*y3", "f2 =~ y4 + l5*y5 + l6*y6", "y1 ~~ v1*y1",
               "l2 == l5", "l3 == l6", "dl := l2 - l3")
    if (nth != 2) lines <- c(lines, "v1 > 0.1")
    if (nth == 2) {
      est <- "MLR"
    }
  } else if (kind == "mimic") {
    N <- sample(200:600, 1)
    x1 <- rnorm(N)
    x2 <- as.integer(runif(N) < 0.4)
    eta <- cbind(0.4 * x1 + 0.5 * x2 + rnorm(N) * 0.8, 0.3 * x1 - 0.3 * x2 + rnorm(N) * 0.9)
    item <- rep(1:2, each = 4)
    yy <- shift_scale(items_of(eta, item, runif(8, 0.5, 0.85)))
    nm <- paste0("y", 1:8)
    dat <- as.data.frame(signif(yy, 6))
    names(dat) <- nm
    dat$x1 <- round(x1 * 2 + 10, 3)
    dat$x2 <- x2
    lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)),
               "f1 ~ x1 + x2", "f2 ~ x1 + x2")
    opts$fixed.x <- nth != 2
    if (nth == 3) {
      for (v in nm[-1]) dat[[v]][runif(N) < 0.1] <- NA
      opts$missing <- "ml"
      est <- "MLR"
    }
  } else if (kind == "mg_means") {
    ng <- if (nth == 1) 3L else 2L
    N <- sample(400:800, 1)
    g <- sort(sample(seq_len(ng), N, replace = TRUE))
    eta <- matrix(rnorm(N * 2), N, 2)
    eta[, 2] <- 0.4 * eta[, 1] + sqrt(0.84) * eta[, 2]
    eta <- eta + outer(c(0, 0.4, -0.3)[g], c(1, 0.6))
    item <- rep(1:2, each = 3)
    lam <- runif(6, 0.55, 0.85)
    yy <- items_of(eta, item, lam) + matrix(runif(6, 1, 3), N, 6, byrow = TRUE)
    nm <- paste0("y", 1:6)
    dat <- as.data.frame(signif(yy, 6))
    names(dat) <- nm
    dat$g <- g
    lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)))
    opts$group <- "g"
    if (nth == 1) {
      opts$group.equal <- c("loadings", "intercepts", "means")
    } else {
      opts$group.equal <- c("loadings", "intercepts")
      lines <- c(lines, "y1 ~ 0*1", "y4 ~ 0*1", "f1 ~ 1", "f2 ~ 1")
      if (nth == 3) est <- "MLR"
    }
  } else if (kind == "ord_mg_theta") {
    N <- sample(700:1100, 1)
    g <- sort(sample(1:2, N, replace = TRUE))
    f1 <- rnorm(N) + 0.3 * (g - 1)
    f2 <- 0.5 * f1 + rnorm(N) * 0.85
    eta <- cbind(f1, f2)
    item <- rep(1:2, each = 4)
    lam <- runif(8, 0.55, 0.85)
    z <- items_of(eta, item, lam)
    nm <- paste0("y", 1:8)
    dat <- data.frame(matrix(0L, N, 8))
    names(dat) <- nm
    for (j in 1:8) {
      k <- sample(3:5, 1)
      cuts <- sort(qnorm(sort(runif(k - 1, 0.1, 0.9))))
      dat[[j]] <- findInterval(z[, j] / sd(z[, j]), cuts) + 1L
    }
    dat$g <- g
    lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)),
               "f2 ~ f1")
    est <- "WLSMV"
    opts$ordered <- nm
    opts$group <- "g"
    opts$group.equal <- c("thresholds", "loadings")
    opts$parameterization <- if (nth == 1) "theta" else "delta"
  } else if (kind == "cluster_def") {
    C <- sample(60:150, 1)
    size <- sample(2:6, C, replace = TRUE)
    cl <- rep(seq_len(C), size)
    N <- length(cl)
    u <- rnorm(C)[cl] * 0.5
    f1 <- rnorm(N) + u
    f2 <- 0.5 * f1 + rnorm(N) * 0.8 + 0.3 * u
    f3 <- 0.4 * f2 + 0.2 * f1 + rnorm(N) * 0.8
    item <- rep(1:3, each = 3)
    yy <- shift_scale(items_of(cbind(f1, f2, f3) / 1.2, item, runif(9, 0.55, 0.85)))
    nm <- paste0("y", 1:9)
    dat <- as.data.frame(signif(yy, 6))
    names(dat) <- nm
    dat$cl <- cl
    lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)),
               paste("f3 =~", lab_of(nm, item, 3)), "f2 ~ a*f1", "f3 ~ b*f2 + c*f1",
               "ab := a*b", "tot := c + a*b")
    est <- "MLR"
    opts$cluster <- "cl"
    if (nth == 2) {
      for (v in nm[-c(1, 4, 7)]) dat[[v]][runif(N) < 0.1] <- NA
      opts$missing <- "ml"
    }
  } else if (kind == "panel") {
    N <- sample(200:500, 1)
    if (nth == 1) {  # one factor at three times
      f <- matrix(0, N, 3)
      f[, 1] <- rnorm(N)
      for (t in 2:3) f[, t] <- 0.6 * f[, t - 1] + rnorm(N) * 0.8
      lam <- runif(3, 0.6, 0.85)
      spec <- matrix(rnorm(N * 3), N, 3) * 0.35  # item-specific parts shared across time
      yy <- NULL
      for (t in 1:3) {
        e <- matrix(rnorm(N * 3), N, 3) * 0.55
        yy <- cbind(yy, outer(f[, t], lam) + spec + e)
      }
      nm <- paste0(rep(c("a", "b", "c"), 3), rep(1:3, each = 3))
      dat <- as.data.frame(signif(yy + 3, 6))
      names(dat) <- nm
      for (t in 1:3) lines <- c(lines, sprintf("f%d =~ a%d + lb*b%d + lc*c%d", t, t, t, t))
      lines <- c(lines, "f2 ~ f1", "f3 ~ f2")
      for (v in c("a", "b", "c")) {
        lines <- c(lines, sprintf("%s1 ~~ %s2 + %s3", v, v, v), sprintf("%s2 ~~ %s3", v, v))
      }
    } else {  # two observed variables at three times
      ri_x <- rnorm(N) * 0.6
      ri_y <- 0.4 * ri_x + rnorm(N) * 0.5
      x <- y <- matrix(0, N, 3)
      x[, 1] <- rnorm(N)
      y[, 1] <- 0.3 * x[, 1] + rnorm(N)
      for (t in 2:3) {
        x[, t] <- 0.4 * x[, t - 1] + 0.15 * y[, t - 1] + rnorm(N) * 0.8
        y[, t] <- 0.4 * y[, t - 1] + 0.25 * x[, t - 1] + rnorm(N) * 0.8
      }
      if (nth == 3) {
        x <- x + ri_x
        y <- y + ri_y
      }
      dat <- as.data.frame(signif(cbind(x, y) + 2, 6))
      names(dat) <- c("x1", "x2", "x3", "y1", "y2", "y3")
      if (nth == 2) {
        lines <- c("x2 ~ x1 + y1", "y2 ~ y1 + x1", "x3 ~ x2 + y2", "y3 ~ y2 + x2",
                   "x2 ~~ y2", "x3 ~~ y3")
        est <- "MLR"
      } else {
        lines <- c("RIx =~ 1*x1 + 1*x2 + 1*x3", "RIy =~ 1*y1 + 1*y2 + 1*y3",
                   "wx1 =~ 1*x1", "wx2 =~ 1*x2", "wx3 =~ 1*x3",
                   "wy1 =~ 1*y1", "wy2 =~ 1*y2", "wy3 =~ 1*y3",
                   "wx2 ~ wx1 + wy1", "wy2 ~ wy1 + wx1", "wx3 ~ wx2 + wy2", "wy3 ~ wy2 + wx2",
                   "wx1 ~~ wy1", "wx2 ~~ wy2", "wx3 ~~ wy3",
                   "RIx ~~ RIy", "RIx ~~ 0*wx1 + 0*wy1", "RIy ~~ 0*wx1 + 0*wy1",
                   "x1 ~~ 0*x1", "x2 ~~ 0*x2", "x3 ~~ 0*x3",
                   "y1 ~~ 0*y1", "y2 ~~ 0*y2", "y3 ~~ 0*y3")
      }
    }
  } else if (kind == "nonrec") {
    N <- sample(300:800, 1)
    x1 <- rnorm(N)
    x2 <- 0.3 * x1 + rnorm(N)
    e1 <- rnorm(N)
    e2 <- 0.3 * e1 + rnorm(N)
    b12 <- 0.3
    b21 <- 0.4
    # y1 = b12 y2 + 0.6 x1 + e1, y2 = b21 y1 + 0.5 x2 + e2
    B <- matrix(c(0, b21, b12, 0), 2)
    R <- cbind(0.6 * x1 + e1, 0.5 * x2 + e2)
    Y <- t(solve(diag(2) - B, t(R)))
    if (nth == 1) {
      dat <- as.data.frame(signif(cbind(Y, x1, x2), 6))
      names(dat) <- c("y1", "y2", "x1", "x2")
      lines <- c("y1 ~ y2 + x1", "y2 ~ y1 + x2", "y1 ~~ y2")
    } else {
      eta <- cbind(Y[, 1] / sd(Y[, 1]), Y[, 2] / sd(Y[, 2]))
      item <- rep(1:2, each = 3)
      yy <- shift_scale(items_of(eta, item, runif(6, 0.6, 0.85)))
      dat <- as.data.frame(signif(cbind(yy, x1, x2), 6))
      names(dat) <- c(paste0("y", 1:6), "x1", "x2")
      lines <- c("f1 =~ y1 + y2 + y3", "f2 =~ y4 + y5 + y6", "f1 ~ f2 + x1", "f2 ~ f1 + x2")
      if (nth == 3) est <- "MLR"
    }
  } else if (kind == "long1f") {
    N <- sample(150:400, 1)
    p <- sample(15:25, 1)
    eta <- matrix(rnorm(N), N, 1)
    lam <- runif(p, 0.3, 0.8) * sample(c(-1, 1), p, replace = TRUE, prob = c(0.2, 0.8))
    lam[1] <- abs(lam[1])
    yy <- shift_scale(items_of(eta, rep(1, p), lam))
    nm <- paste0("y", seq_len(p))
    dat <- as.data.frame(signif(yy, 6))
    names(dat) <- nm
    lines <- paste("f =~", paste(nm, collapse = " + "))
    if (nth == 2) est <- "MLR"
    if (nth == 3) opts$std.lv <- TRUE
  } else if (kind == "near_n") {
    if (nth == 1) {
      nf <- 2L; ni <- c(3L, 3L)
    } else {
      nf <- 1L; ni <- 6L
    }
    npar <- if (nf == 2) 13L else 12L
    N <- npar + sample(2:8, 1)
    eta <- matrix(rnorm(N * nf), N, nf)
    if (nf == 2) eta[, 2] <- 0.4 * eta[, 1] + sqrt(0.84) * eta[, 2]
    item <- rep(seq_len(nf), ni)
    yy <- shift_scale(items_of(eta, item, runif(sum(ni), 0.65, 0.9)))
    nm <- paste0("y", seq_len(sum(ni)))
    dat <- as.data.frame(signif(yy, 6))
    names(dat) <- nm
    for (k in seq_len(nf)) lines <- c(lines, paste0("f", k, " =~ ", lab_of(nm, item, k)))
    drawn$npar <- npar
  } else if (kind == "mg_cov") {
    ng <- if (nth == 2) 3L else 2L
    N <- sample(300:700, 1)
    g <- sort(sample(seq_len(ng), N, replace = TRUE))
    eta <- matrix(rnorm(N * 2), N, 2)
    eta[, 2] <- 0.45 * eta[, 1] + sqrt(1 - 0.45^2) * eta[, 2]
    eta <- eta * c(1, 1.3, 0.8)[g]
    item <- rep(1:2, c(3, 4))
    yy <- shift_scale(items_of(eta, item, runif(7, 0.55, 0.85)))
    nm <- paste0("y", 1:7)
    lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)))
    covs <- list()
    for (k in seq_len(ng)) {
      S <- round(cov(yy[g == k, ]), 8)
      colnames(S) <- rownames(S) <- nm
      covs[[k]] <- S
    }
    opts$group.equal <- "loadings"
    drawn$group_sizes <- as.list(as.integer(table(g)))
  }
  if (est != "ML") opts$estimator <- est
  if (length(opts)) opts <- opts[order(names(opts))]
  drawn$N <- if (is.null(dat)) N else nrow(dat)
  name <- sprintf("r_%02d", id)
  list(name = name, model = paste(lines, collapse = "\n"), options = opts, drawn = drawn,
       dat = dat, covs = covs)
}

# a multigroup fit from covariance matrices only (no means); files <name>_cov_<k>.csv
export_cov_groups <- function(name, files, nobs, model, options = list(), drawn = NULL) {
  covs <- lapply(files, function(f) {
    S <- as.matrix(read.csv(file.path(ddir, f), check.names = FALSE))
    rownames(S) <- colnames(S)
    S
  })
  spec <- list(fun = "cfa", cov_files = files, sample_nobs = nobs, model = model,
               options = options)
  f <- catching(do.call("cfa", c(list(model = model, sample.cov = covs, sample.nobs = nobs),
                                 options)))
  record(name, spec, f, drawn)
}

N_GEN <- as.integer(Sys.getenv("SWEEP15_N", "25"))
for (id in seq_len(N_GEN)) {
  cs <- draw_case(id)
  if (!is.null(cs$covs)) {
    files <- sprintf("%s_cov_%d.csv", cs$name, seq_along(cs$covs))
    for (k in seq_along(cs$covs)) {
      write.csv(cs$covs[[k]], file.path(ddir, files[k]), row.names = FALSE)
    }
    export_cov_groups(cs$name, files, unlist(cs$drawn$group_sizes), cs$model, cs$options,
                      cs$drawn)
  } else {
    file <- sprintf("%s.csv.gz", cs$name)
    write_gz(cs$dat, file)
    export_fit(cs$name, "sem", file, cs$model, cs$options, cs$drawn)
  }
}

# a linear constraint with a coefficient on the first eq_constr case's data
if (N_GEN >= 2) {
  cs <- draw_case(2)
  export_fit("r_02_times2", "sem", "r_02.csv.gz", sub("l2 == l5", "l2 == 2*l5", cs$model,
                                                      fixed = TRUE), cs$options, cs$drawn)
}

if (Sys.getenv("SWEEP15_SKIP_PUBLIC") == "1") quit(save = "no")

# ---- public data ------------------------------------------------------------------------
wcsv <- function(dat, file) write.csv(dat, file.path(ddir, file), row.names = FALSE, na = "")
aer <- function(name) {  # AER's data sets are not exported objects
  e <- new.env()
  data(list = name, package = "AER", envir = e)
  e[[name]]
}
an <- carData::Anscombe
an$income <- an$income / 100
wcsv(an, "anscombe.csv")
gu <- aer("Guns")
gw <- data.frame(state = unique(as.character(gu$state)))
for (yr in c(1980, 1989, 1998)) {
  s <- gu[gu$year == yr, ]
  s <- s[match(gw$state, as.character(s$state)), ]
  gw[[paste0("v", yr %% 100)]] <- round(log(s$violent), 5)
  gw[[paste0("r", yr %% 100)]] <- round(log(s$robbery), 5)
}
wcsv(gw[, -1], "guns_wide.csv")
fa <- aer("Fatalities")
fw <- data.frame(state = unique(as.character(fa$state)))
for (yr in 1982:1988) {
  s <- fa[fa$year == yr, ]
  s <- s[match(fw$state, as.character(s$state)), ]
  fw[[paste0("f", yr %% 100)]] <- round(s$fatal / s$pop * 10000, 5)
}
wcsv(fw[, -1], "fatal_wide.csv")
af <- aer("Affairs")
af$gender <- as.integer(af$gender == "male")
af$children <- as.integer(af$children == "yes")
wcsv(af, "affairs.csv")
fl <- data.frame(fatal = round(fa$fatal / fa$pop * 10000, 5), beertax = round(fa$beertax, 5),
                 unemp = fa$unemp, income = round(fa$income / 1000, 4),
                 state = as.character(fa$state), late = as.integer(fa$year) > 4)
fl$late <- as.integer(fl$late)
wcsv(fl, "fatal_long.csv")
cd <- aer("CollegeDistance")
cd <- data.frame(score = cd$score, distance = cd$distance, education = cd$education,
                 tuition = cd$tuition, gender = as.character(cd$gender))
write_gz(cd, "college.csv.gz")
sa <- carData::Salaries
sa <- data.frame(salary = sa$salary / 1000, phd = sa$yrs.since.phd, service = sa$yrs.service,
                 male = as.integer(sa$sex == "Male"), discipline = as.character(sa$discipline))
wcsv(sa, "salaries.csv")
fr <- carData::Freedman
fr <- data.frame(crime = fr$crime / 1000, nonwhite = fr$nonwhite,
                 ldens = round(log(fr$density), 5), lpop = round(log(fr$population), 5))
wcsv(fr, "freedman.csv")
h5 <- as.data.frame(psych::Harman.5)
h5 <- data.frame(pop = h5$population / 1000, school = h5$schooling,
                 employ = h5$employment / 1000, prof = h5$professional / 100,
                 house = h5$housevalue / 10000)
wcsv(h5, "harman5.csv")
for (k in 1:2) {
  B <- if (k == 1) psych::Bechtoldt.1 else psych::Bechtoldt.2
  colnames(B) <- rownames(B) <- make.names(colnames(B))
  write.csv(round(B, 6), file.path(ddir, sprintf("bechtoldt_%d_cov.csv", k)), row.names = FALSE)
}

export_fit("p_anscombe_nonrec", "sem", "anscombe.csv", 'education ~ income + young
income ~ education + urban
education ~~ income')
export_fit("p_guns_clpm", "sem", "guns_wide.csv", 'v89 ~ a*v80 + r80
r89 ~ r80 + d*v80
v98 ~ v89 + b*r89
r98 ~ r89 + c*v89
v89 ~~ r89
v98 ~~ r98
ind := d*b
dif := a - d')
export_fit("p_fatal_1f7_mlr", "cfa", "fatal_wide.csv",
           'f =~ f82 + f83 + f84 + f85 + f86 + f87 + f88
f82 ~~ f83
f87 ~~ f88', list(estimator = "MLR"))
export_fit("p_affairs_med_mlr", "sem", "affairs.csv", 'rating ~ a*yearsmarried + children + religiousness
affairs ~ b*rating + c*yearsmarried + religiousness
ind := a*b
total := c + a*b', list(estimator = "MLR"))
export_fit("p_college_mg_med", "sem", "college.csv.gz", 'score ~ c(a1, a2)*distance + tuition
education ~ c(b1, b2)*score + distance
ind1 := a1*b1
ind2 := a2*b2
dind := a1*b1 - a2*b2', list(group = "gender"))
export_fit("p_salaries_mg_mimic", "sem", "salaries.csv", 'salary ~ phd + service + male',
           list(group = "discipline", group.equal = "regressions", group.partial = "salary ~ male"))
export_fit("p_salaries_fixedx_false", "sem", "salaries.csv", 'salary ~ phd + service + male',
           list(fixed.x = FALSE))
export_fit("p_freedman_fiml", "sem", "freedman.csv", 'crime ~ nonwhite + ldens + lpop',
           list(missing = "ml", fixed.x = FALSE))
export_fit("p_freedman_fiml_fixedx", "sem", "freedman.csv", 'crime ~ nonwhite + ldens + lpop',
           list(missing = "ml"))
export_fit("p_harman5_near_n", "cfa", "harman5.csv", 'f =~ pop + employ + school + prof + house')
# the same from the engine's estimates (start()): lavaan stays there, at a lower fmin
# (1.4792 against 2.0266) with employ's residual variance negative
export_fit("p_harman5_near_n_start", "cfa", "harman5.csv", 'f =~ 1*pop + start(0.42973)*employ + start(0.143769)*school + start(0.144819)*prof + start(0.009272)*house
f ~~ start(8.884275)*f
pop ~~ start(1.963155)*pop
employ ~~ start(-0.228418)*employ
school ~~ start(2.74213)*school
prof ~~ start(1.024439)*prof
house ~~ start(0.370903)*house')
export_fit("p_guns_ri", "sem", "guns_wide.csv", 'f =~ v80 + v89 + v98
g =~ r80 + r89 + r98
v80 ~~ r80
v89 ~~ r89
v98 ~~ r98')
BN <- colnames(read.csv(file.path(ddir, "bechtoldt_1_cov.csv"), check.names = FALSE))
export_cov_groups("p_bechtoldt_mg_1f", c("bechtoldt_1_cov.csv", "bechtoldt_2_cov.csv"),
                  c(212L, 213L), paste("g =~", paste(BN, collapse = " + ")),
                  list(group.equal = "loadings"))
export_cov_groups("p_bechtoldt_mg_2f", c("bechtoldt_1_cov.csv", "bechtoldt_2_cov.csv"),
                  c(212L, 213L), paste0("verbal =~ ", paste(BN[1:6], collapse = " + "),
                                        "\nspace =~ ", paste(BN[7:11], collapse = " + ")),
                  list(group.equal = c("loadings", "lv.variances")))
export_cov_groups("p_bechtoldt_mg_2f_stdlv", c("bechtoldt_1_cov.csv", "bechtoldt_2_cov.csv"),
                  c(212L, 213L), paste0("verbal =~ ", paste(BN[1:6], collapse = " + "),
                                        "\nspace =~ ", paste(BN[7:11], collapse = " + ")),
                  list(group.equal = "loadings", std.lv = TRUE))
export_fit("p_fatal_cluster_mlr", "sem", "fatal_long.csv", 'fatal ~ a*beertax + c*unemp
unemp ~ b*income
beertax ~ d*income
ind := b*c + d*a', list(estimator = "MLR", cluster = "state"))
export_fit("p_fatal_cluster_mg_mlr", "sem", "fatal_long.csv", 'fatal ~ beertax + unemp + income',
           list(estimator = "MLR", cluster = "state", group = "late",
                group.equal = "regressions"))
export_fit("p_affairs_mg_diff_mlr", "sem", "affairs.csv", 'rating ~ c(a1, a2)*yearsmarried + children
affairs ~ c(b1, b2)*rating + yearsmarried
ind1 := a1*b1
ind2 := a2*b2
dif := a1*b1 - a2*b2', list(estimator = "MLR", group = "gender"))
# Harman.5 with employment's residual variance bounded below by 0 (active at the solution)
export_fit("p_harman5_bounded", "cfa", "harman5.csv", 'f =~ pop + employ + school + prof + house
employ ~~ v*employ
v > 0')
# two factors of two indicators, uncorrelated: not identified (lavaan: no SEs, a warning)
export_fit("p_anscombe_unidentified", "cfa", "anscombe.csv", 'f1 =~ education + income
f2 =~ young + urban
f1 ~~ 0*f2')
