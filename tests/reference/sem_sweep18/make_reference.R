# Reference fits of the eighteenth parity sweep: random models aimed at what the earlier
# sweeps did not cover (latent-basis growth with free time scores, group-specific fixed
# values and labels written as c(NA, 0.8) and c(b1, b2), autoregressive (simplex) paths
# with equal coefficients and residual variances, several groups fitted from covariance
# matrices and mean vectors, nearly collinear covariates, one label shared by a loading
# and a regression and another by a residual and a latent variance, ordered items across
# groups with equal thresholds freed one by one (group.partial on thresholds), ordered
# items of seven categories with sparse extremes, items whose variances span 1e-3 to 1e3,
# binary, five-category and continuous indicators in one WLSMV model) and public data
# bundled with R packages that no sweep used before; besides the std.lv and std.nox
# solutions with their SEs and the 90 % intervals.
#
# Run from the repository root:
#   Rscript tests/reference/sem_sweep18/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, psych, MASS, boot, carData and AER (data only) and
# jsonlite.
# Deterministic: every generated case sets its own seed (set.seed(18000 + id)); the script
# rewrites the same files byte for byte.
#
# Data written to tests/reference/sem_sweep18/data/ (the fits read them back):
#   r_NN.csv.gz       generated case NN: values rounded to 6 significant digits, ordered
#                     items as integer codes, group column g, NA missing
#   mods3.csv.gz      three groups drawn for the r_mods3_<kind> cases
#   r_NN_cov_G.csv / r_NN_mean_G.csv  the moments cases: group G's covariance matrix
#                     (divisor N - 1) and mean vector, the raw data not written
#   lsat7.csv         psych::lsat7 (five binary items, N = 1000)
#   harman8_cor.csv   psych::Harman.8 (eight physical measures, a correlation matrix, N = 305;
#                     the names shortened to height, arm_span, ..., chest_width)
#   fgl.csv           MASS::fgl: refractive index and oxides of 214 glass fragments
#   frets.csv         boot::frets (head lengths and breadths of two sons, N = 25)
#   un98.csv          carData::UN98: logs of GDP per capita and infant mortality, female
#                     life expectancy, education and illiteracy (NA kept; N = 207)
#   cigsw.csv         AER::CigarettesSW in wide form: logs of packs, real price and real
#                     income per capita in 1985 and 1995 (N = 48 states)
#   houseprices.csv   AER::HousePrices: log price, log lot size, bedrooms, bathrooms,
#                     stories, garage (N = 546)
#   creditcard.csv    AER::CreditCard card holders: age / 10, income, share * 10,
#                     reports, dependents, active / 10 (N = 1319)
#
# The generated set (cases r_01 .. r_NN; SWEEP18_N, default 25) cycles through 10 kinds:
#   latent_basis   growth() on five times, s =~ 0*t1 + t2 + t3 + t4 + 1*t5 (free time
#                  scores); then i + s ~ x under MLR; then FIML
#   group_mods     two groups, f1 =~ y1 + c(NA, 0.8)*y2 + y3, y3 ~~ c(0.4, NA)*y3,
#                  f2 ~ c(b1, b2)*f1, d := b1 - b2; then MLR
#   simplex        y1 -> y2 -> ... -> y5 with one label on the four paths and one on the
#                  four residual variances, a lag-2 path; then MLR with a mean structure;
#                  then FIML
#   moments_mg     several groups from sample.cov + sample.mean (+ sample.nobs): equal
#                  loadings and intercepts; then without means, equal loadings and
#                  residuals; then three groups with a freed intercept
#   collinear_x    f =~ y1..y4, f ~ x1 + x2 + x3 with x1, x2 correlated about .995; then
#                  fixed.x = FALSE; then MLR
#   cross_eq       one label on a loading and on a regression (f1 =~ a*y2, f2 ~ a*f1),
#                  another on two residual variances and a latent variance; then MLR
#   ord_part_th    two groups, six ordered items (4 categories), group.equal thresholds
#                  and loadings with group.partial on two thresholds; then theta
#   ord_seven      two factors of seven-category items with sparse extremes, f2 ~ f1;
#                  then theta
#   wide_scales    two factors whose items have variances from about 1e-3 to 1e3 and a
#                  residual covariance across factors, std.lv; then MLR
#   mixed_ord      WLSMV with binary, five-category and continuous indicators; then
#                  theta with f2 ~ f1 and std.lv
# and r_02_eq_loadings, r_12_eq_partial: two group_mods cases with group.equal, and
# r_mods3_<kind>: three groups with one parameter fixed in one later group only (see there).
#
# Each <case>.json holds what tests/reference/sem_common/sweep_helpers.R writes (the call,
# lavaan's warnings and convergence, parameterEstimates(), standardizedSolution(),
# fitMeasures(), lavInspect(, "r2"), residuals() of three types per group, modindices()),
# or the error lavaan gives.  extras.json holds for every converged case
# standardizedSolution(type = "std.lv") and (type = "std.nox") with their SEs and
# parameterEstimates(level = 0.90) intervals; lrt_<name>.json four nested comparisons with
# lavTestLRT(); checks.json the refits that show where lavaan's numbers are wrong (see the
# end of the script).
suppressMessages({library(lavaan); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/sem_sweep18"
ddir <- file.path(out, "data")
dir.create(ddir, showWarnings = FALSE, recursive = TRUE)

options(sweep.extras = TRUE)
source("tests/reference/sem_common/sweep_helpers.R")

KINDS <- c("latent_basis", "group_mods", "simplex", "moments_mg", "collinear_x",
           "cross_eq", "ord_part_th", "ord_seven", "wide_scales", "mixed_ord")

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
corr_eta <- function(N, nf, r) {
  eta <- matrix(rnorm(N * nf), N, nf)
  if (nf > 1) for (k in 2:nf) eta[, k] <- r * eta[, 1] + sqrt(1 - r^2) * eta[, k]
  eta
}
as_dat <- function(yy, nm) {
  dat <- as.data.frame(signif(yy, 6))
  names(dat) <- nm
  dat
}
cut_at <- function(y, th) as.integer(cut(y, c(-Inf, th, Inf)))

draw_case <- function(id) {
  set.seed(18000 + id)
  kind <- KINDS[(id - 1) %% length(KINDS) + 1]
  nth <- (id - 1) %/% length(KINDS) + 1
  opts <- list()
  est <- "ML"
  fun <- "sem"
  lines <- character()
  drawn <- list(kind = kind)
  moments <- NULL
  nm6 <- paste0("y", 1:6)
  item6 <- rep(1:2, each = 3)
  if (kind == "latent_basis") {
    N <- sample(250:600, 1)
    x <- rnorm(N)
    i <- 4 + 0.4 * x + rnorm(N)
    s <- 1.5 + (if (nth == 2) 0.3 * x else 0) + rnorm(N) * 0.5
    basis <- c(0, sort(runif(3, 0.1, 0.9)), 1)
    tt <- sapply(basis, function(b) i + s * b + rnorm(N) * 0.5)
    dat <- as_dat(cbind(tt, x), c(paste0("t", 1:5), "x"))
    lines <- c("i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4 + 1*t5",
               "s =~ 0*t1 + t2 + t3 + t4 + 1*t5")
    if (nth == 2) {
      lines <- c(lines, "i + s ~ x")
      est <- "MLR"
    }
    if (nth == 3) {
      for (k in 2:5) dat[[paste0("t", k)]][runif(N) < 0.12] <- NA
      opts$missing <- "ml"
    }
    drawn$basis <- basis
    fun <- "growth"
  } else if (kind == "group_mods") {
    N <- sample(400:800, 1)
    g <- sort(sample(1:2, N, replace = TRUE))
    eta <- corr_eta(N, 2, 0.3)
    eta[, 2] <- c(0.5, 0.2)[g] * eta[, 1] + eta[, 2] * 0.85
    lam <- runif(6, 0.6, 0.85)
    dat <- as_dat(shift_scale(items_of(eta, item6, lam)), nm6)
    dat$g <- g
    lines <- c("f1 =~ y1 + c(NA, 0.8)*y2 + y3", "f2 =~ y4 + y5 + y6",
               "y3 ~~ c(0.4, NA)*y3", "f2 ~ c(b1, b2)*f1", "d := b1 - b2")
    opts$group <- "g"
    if (nth == 2) est <- "MLR"
  } else if (kind == "simplex") {
    N <- sample(200:600, 1)
    a <- runif(1, 0.4, 0.7)
    yy <- matrix(0, N, 5)
    yy[, 1] <- rnorm(N)
    for (k in 2:5) yy[, k] <- a * yy[, k - 1] + (if (k == 3) 0.15 * yy[, 1] else 0) +
      rnorm(N) * 0.7
    yy <- yy + 2
    nm <- paste0("y", 1:5)
    dat <- as_dat(yy, nm)
    lines <- c("y2 ~ a*y1", "y3 ~ a*y2 + y1", "y4 ~ a*y3", "y5 ~ a*y4",
               "y2 ~~ e*y2", "y3 ~~ e*y3", "y4 ~~ e*y4", "y5 ~~ e*y5")
    if (nth == 2) {
      opts$meanstructure <- TRUE
      est <- "MLR"
    }
    if (nth == 3) {
      for (k in 3:5) dat[[nm[k]]][runif(N) < 0.1 + 0.05 * k] <- NA
      opts$missing <- "ml"
    }
  } else if (kind == "moments_mg") {
    ng <- if (nth == 3) 3L else 2L
    N <- sample(400:900, 1)
    g <- sort(sample(seq_len(ng), N, replace = TRUE))
    eta <- corr_eta(N, 2, 0.4) + outer(c(0, 0.3, -0.2)[g], c(1, 1))
    lam <- matrix(runif(6, 0.55, 0.85), N, 6, byrow = TRUE)
    yy <- eta[, item6] * lam + matrix(rnorm(N * 6), N, 6) * 0.6 +
      matrix(runif(6, 1, 3), N, 6, byrow = TRUE)
    if (ng == 3) yy[g == 3, 3] <- yy[g == 3, 3] + 0.5  # an intercept that differs
    lines <- c(paste("f1 =~", lab_of(nm6, item6, 1)), paste("f2 =~", lab_of(nm6, item6, 2)))
    covs <- list()
    means <- list()
    nobs <- list()
    for (k in seq_len(ng)) {
      covs[[k]] <- round(cov(yy[g == k, ]), 6)
      dimnames(covs[[k]]) <- list(nm6, nm6)
      means[[k]] <- setNames(round(colMeans(yy[g == k, ]), 6), nm6)
      nobs[[k]] <- sum(g == k)
    }
    if (nth == 2) {
      opts$group.equal <- c("loadings", "residuals")
      means <- NULL
    } else {
      opts$group.equal <- c("loadings", "intercepts")
      if (nth == 3) opts$group.partial <- "y3~1"
    }
    moments <- list(covs = covs, means = means, nobs = nobs)
    dat <- NULL
    fun <- "cfa"
  } else if (kind == "collinear_x") {
    N <- sample(200:500, 1)
    x1 <- rnorm(N)
    x2 <- 0.995 * x1 + sqrt(1 - 0.995^2) * rnorm(N)
    x3 <- rbinom(N, 1, 0.5)
    f <- 0.4 * x1 + 0.1 * x2 - 0.3 * x3 + rnorm(N) * 0.8
    dat <- as_dat(shift_scale(items_of(cbind(f), rep(1, 4), runif(4, 0.6, 0.85))),
                  paste0("y", 1:4))
    dat$x1 <- signif(x1, 6)
    dat$x2 <- signif(x2, 6)
    dat$x3 <- x3
    lines <- c("f =~ y1 + y2 + y3 + y4", "f ~ x1 + x2 + x3")
    if (nth == 2) opts$fixed.x <- FALSE
    if (nth == 3) est <- "MLR"
  } else if (kind == "cross_eq") {
    N <- sample(300:700, 1)
    a <- runif(1, 0.5, 0.8)
    f1 <- rnorm(N) * 0.8
    f2 <- a * f1 + rnorm(N) * 0.7
    yy <- cbind(f1 + rnorm(N) * 0.8, a * f1 + rnorm(N) * 0.6, 1.1 * f1 + rnorm(N) * 0.6,
                f2 + rnorm(N) * 0.8, 0.9 * f2 + rnorm(N) * 0.6, 0.8 * f2 + rnorm(N) * 0.6)
    dat <- as_dat(yy + 1, nm6)
    lines <- c("f1 =~ y1 + a*y2 + y3", "f2 =~ y4 + y5 + y6", "f2 ~ a*f1",
               "y1 ~~ v*y1", "y4 ~~ v*y4", "f1 ~~ v*f1")
    if (nth == 2) est <- "MLR"
  } else if (kind == "ord_part_th") {
    N <- sample(500:1000, 1)
    g <- sort(sample(1:2, N, replace = TRUE))
    eta <- corr_eta(N, 2, 0.4) + outer(c(0, 0.3)[g], c(1, 1))
    ys <- items_of(eta, item6, runif(6, 0.55, 0.8))
    th <- sort(runif(3, -1, 1))
    dat <- as.data.frame(sapply(1:6, function(j) cut_at(ys[, j], th + runif(1, -0.3, 0.3))))
    names(dat) <- nm6
    dat$y3[g == 2] <- cut_at(ys[g == 2, 3], th + c(0.5, 0, 0))  # a first threshold that differs
    dat$g <- g
    lines <- c(paste("f1 =~", lab_of(nm6, item6, 1)), paste("f2 =~", lab_of(nm6, item6, 2)))
    opts$group <- "g"
    opts$ordered <- nm6
    opts$group.equal <- c("thresholds", "loadings")
    opts$group.partial <- c("y3|t1", "y5|t2")
    if (nth == 2) opts$parameterization <- "theta"
    fun <- "cfa"
  } else if (kind == "ord_seven") {
    N <- sample(400:900, 1)
    eta <- corr_eta(N, 2, 0.5)
    ys <- items_of(eta, item6, runif(6, 0.55, 0.85))
    dat <- as.data.frame(sapply(1:6, function(j)
      cut_at(ys[, j], c(-2.6, -1.8, -0.9, 0, 0.9, 2.3) + runif(1, -0.2, 0.2))))
    names(dat) <- nm6
    lines <- c(paste("f1 =~", lab_of(nm6, item6, 1)), paste("f2 =~", lab_of(nm6, item6, 2)),
               "f2 ~ f1")
    opts$ordered <- nm6
    if (nth == 2) opts$parameterization <- "theta"
  } else if (kind == "wide_scales") {
    N <- sample(250:600, 1)
    eta <- corr_eta(N, 2, 0.4)
    yy <- items_of(eta, item6, runif(6, 0.55, 0.85))
    e <- rnorm(N) * 0.3
    yy[, 2] <- yy[, 2] + e
    yy[, 5] <- yy[, 5] + e
    sds <- 10^(c(-1.5, 1.5, runif(4, -1.5, 1.5)))[sample(6)]
    dat <- as_dat(yy * matrix(sds, N, 6, byrow = TRUE) +
                    matrix(runif(6, 0, 5), N, 6, byrow = TRUE), nm6)
    lines <- c(paste("f1 =~", lab_of(nm6, item6, 1)), paste("f2 =~", lab_of(nm6, item6, 2)),
               "y2 ~~ y5")
    opts$std.lv <- TRUE
    if (nth == 2) est <- "MLR"
    drawn$sds <- sds
  } else if (kind == "mixed_ord") {
    N <- sample(500:1000, 1)
    eta <- corr_eta(N, 2, 0.45)
    item <- rep(1:2, each = 4)
    ys <- items_of(eta, item, runif(8, 0.55, 0.85))
    nm <- c("b1", "b2", "b3", "o1", "o2", "c1", "c2", "c3")
    dat <- data.frame(b1 = cut_at(ys[, 1], 0.2), b2 = cut_at(ys[, 2], -0.4),
                      b3 = cut_at(ys[, 3], 0.8),
                      o1 = cut_at(ys[, 4], c(-1.2, -0.3, 0.4, 1.3)),
                      o2 = cut_at(ys[, 5], c(-1, -0.2, 0.6, 1.5)))
    dat <- cbind(dat, as_dat(ys[, 6:8] * 2 + 3, c("c1", "c2", "c3")))
    lines <- c("f1 =~ b1 + b2 + b3 + o1", "f2 =~ o2 + c1 + c2 + c3")
    opts$ordered <- c("b1", "b2", "b3", "o1", "o2")
    if (nth == 2) {
      lines <- c(lines, "f2 ~ f1")
      opts$parameterization <- "theta"
      opts$std.lv <- TRUE
    }
  }
  if (est != "ML") opts$estimator <- est
  if (length(opts)) opts <- opts[order(names(opts))]
  drawn$N <- if (is.null(dat)) sum(unlist(moments$nobs)) else nrow(dat)
  name <- sprintf("r_%02d", id)
  list(name = name, fun = fun, model = paste(lines, collapse = "\n"), options = opts,
       drawn = drawn, dat = dat, moments = moments)
}

EXTRAS <- list()
std_of <- function(fit, type) {
  ss <- standardizedSolution(fit, type = type, zstat = FALSE, pvalue = FALSE, ci = FALSE)
  if (is.null(ss$group)) ss$group <- ifelse(ss$op %in% c(":=", "==", "<", ">"), 0L, 1L)
  ss[, c("lhs", "op", "rhs", "group", "est.std", "se")]
}
extras_of <- function(fit) {
  pe <- parameterEstimates(fit, level = 0.90)
  if (is.null(pe$group)) pe$group <- ifelse(pe$op %in% c(":=", "==", "<", ">"), 0L, 1L)
  list(std_lv = std_of(fit, "std.lv"), std_nox = std_of(fit, "std.nox"),
       ci90 = pe[, c("lhs", "op", "rhs", "group", "ci.lower", "ci.upper")])
}
add_extras <- function(name, fit) {
  if (!inherits(fit, "error") && lavInspect(fit, "converged")) EXTRAS[[name]] <<- extras_of(fit)
}

# a fit from several groups' moments: the files of each group's matrix and means
export_moments <- function(name, cs) {
  m <- cs$moments
  ng <- length(m$covs)
  cov_files <- sprintf("%s_cov_%d.csv", name, seq_len(ng))
  mean_files <- if (is.null(m$means)) NULL else sprintf("%s_mean_%d.csv", name, seq_len(ng))
  for (k in seq_len(ng)) {
    write.csv(m$covs[[k]], file.path(ddir, cov_files[k]), row.names = FALSE)
    if (!is.null(mean_files))
      write.csv(as.data.frame(t(m$means[[k]])), file.path(ddir, mean_files[k]), row.names = FALSE)
  }
  spec <- list(fun = cs$fun, covs = cov_files, means = mean_files,
               sample_nobs = unlist(m$nobs), model = cs$model, options = cs$options)
  args <- list(model = cs$model, sample.cov = m$covs, sample.nobs = m$nobs)
  if (!is.null(m$means)) args$sample.mean <- m$means
  f <- catching(do.call(cs$fun, c(args, cs$options)))
  record(name, spec, f, cs$drawn)
  f$value
}

N_GEN <- as.integer(Sys.getenv("SWEEP18_N", "25"))
for (id in seq_len(N_GEN)) {
  cs <- draw_case(id)
  if (!is.null(cs$moments)) {
    fit <- export_moments(cs$name, cs)
  } else {
    file <- sprintf("%s.csv.gz", cs$name)
    write_gz(cs$dat, file)
    export_fit(cs$name, cs$fun, file, cs$model, cs$options, cs$drawn)
    fit <- catching(do.call(cs$fun, c(list(model = cs$model, data = read_data(file)),
                                      cs$options)))$value
  }
  add_extras(cs$name, fit)
}

# r_02 and r_12 (group_mods) with group.equal: a loading fixed in the second group only
# (c(NA, 0.8)*y2) is then fixed in both, as is the residual variance fixed in the first
# (c(0.4, NA)*y3) unless group.partial frees it
cs <- draw_case(2)
export_fit("r_02_eq_loadings", "sem", "r_02.csv.gz", cs$model,
           c(cs$options, list(group.equal = "loadings")))
cs <- draw_case(12)
export_fit("r_12_eq_partial", "sem", "r_12.csv.gz", cs$model,
           c(cs$options, list(group.equal = c("loadings", "residuals"),
                              group.partial = "y3 ~~ y3")))

# mods3_<kind>: three groups (data mods3.csv.gz, set.seed(18100)), one parameter of the
# kind that group.equal makes equal fixed in one later group only
set.seed(18100)
N <- 900
g <- sort(sample(1:3, N, replace = TRUE))
f1 <- rnorm(N) + c(0, 0.3, -0.2)[g]
f2 <- 0.5 * f1 + rnorm(N) * 0.8
yy <- cbind(f1, 0.8 * f1, 1.1 * f1, f2, 0.9 * f2, 0.7 * f2) + matrix(rnorm(N * 6), N, 6) * 0.6 + 2
m3 <- as_dat(yy, paste0("y", 1:6))
m3$g <- g
write_gz(m3, "mods3.csv.gz")
fm <- "f1 =~ y1 + y2 + y3\nf2 =~ y4 + y5 + y6\nf2 ~ f1"
MODS3 <- list(
  loadings = list("f1 =~ y1 + c(NA, 0.8, NA)*y2 + y3\nf2 =~ y4 + y5 + y6\nf2 ~ f1", "loadings"),
  regressions = list("f1 =~ y1 + y2 + y3\nf2 =~ y4 + y5 + y6\nf2 ~ c(NA, NA, 0.5)*f1",
                     c("loadings", "regressions")),
  intercepts = list(paste(fm, "y1 ~ c(NA, 2, NA)*1", sep = "\n"), c("loadings", "intercepts")),
  lv_variances = list(paste(fm, "f1 ~~ c(NA, 1, NA)*f1", sep = "\n"),
                      c("loadings", "lv.variances")),
  residual_cov = list(paste(fm, "y1 ~~ c(NA, NA, 0.3)*y4", sep = "\n"),
                      c("loadings", "residual.covariances")),
  means = list(paste(fm, "f2 ~ c(NA, 0.2, NA)*1", sep = "\n"),
               c("loadings", "intercepts", "means")))
for (k in names(MODS3))
  export_fit(paste0("r_mods3_", k), "sem", "mods3.csv.gz", MODS3[[k]][[1]],
             list(group = "g", group.equal = MODS3[[k]][[2]]))

# ---- public data ------------------------------------------------------------------------
wcsv <- function(dat, file) write.csv(dat, file.path(ddir, file), row.names = FALSE, na = "")
wcsv(as.data.frame(psych::lsat7), "lsat7.csv")
H8 <- round(psych::Harman.8, 6)
dimnames(H8) <- rep(list(c("height", "arm_span", "forearm", "leg_length", "weight", "hips",
                           "chest_girth", "chest_width")), 2)
write.csv(H8, file.path(ddir, "harman8_cor.csv"), row.names = FALSE)
data("fgl", package = "MASS")
wcsv(fgl[, c("RI", "Na", "Mg", "Al", "Si", "K", "Ca", "Ba", "Fe")], "fgl.csv")
data("frets", package = "boot")
wcsv(frets, "frets.csv")
un <- carData::UN98
wcsv(data.frame(lgdp = round(log(un$GDPperCapita), 5), linf = round(log(un$infantMortality), 5),
                lifef = un$lifeFemale, eduf = un$educationFemale,
                illf = un$illiteracyFemale / 10), "un98.csv")
data("CigarettesSW", package = "AER")
cg <- CigarettesSW
cg$lpacks <- round(log(cg$packs), 5)
cg$lprice <- round(log(cg$price / cg$cpi), 5)
cg$linc <- round(log(cg$income / cg$population / cg$cpi), 5)
c85 <- cg[cg$year == "1985", ]
c95 <- cg[cg$year == "1995", ]
stopifnot(identical(as.character(c85$state), as.character(c95$state)))
wcsv(data.frame(lpacks85 = c85$lpacks, lprice85 = c85$lprice, linc85 = c85$linc,
                lpacks95 = c95$lpacks, lprice95 = c95$lprice, linc95 = c95$linc), "cigsw.csv")
data("HousePrices", package = "AER")
hp <- HousePrices
wcsv(data.frame(lprice = round(log(hp$price), 5), llot = round(log(hp$lotsize), 5),
                bedrooms = hp$bedrooms, bathrooms = hp$bathrooms, stories = hp$stories,
                garage = hp$garage), "houseprices.csv")
data("CreditCard", package = "AER")
cc <- CreditCard[CreditCard$card == "yes", ]
wcsv(data.frame(age = round(cc$age / 10, 5), income = cc$income, share = round(cc$share * 10, 6),
                reports = cc$reports, dependents = cc$dependents, active = cc$active / 10),
     "creditcard.csv")

PUBLIC <- list(
  p_lsat7_theta = list(fun = "cfa", data = "lsat7.csv",
    model = "f =~ Q1 + Q2 + Q3 + Q4 + Q5",
    options = list(ordered = c("Q1", "Q2", "Q3", "Q4", "Q5"), parameterization = "theta",
                   std.lv = TRUE)),
  p_lsat7_delta_eq = list(fun = "cfa", data = "lsat7.csv",
    model = "f =~ a*Q1 + a*Q2 + a*Q3 + a*Q4 + a*Q5",
    options = list(ordered = c("Q1", "Q2", "Q3", "Q4", "Q5"), std.lv = TRUE)),
  p_harman8_cor = list(fun = "cfa", cov = "harman8_cor.csv", sample_nobs = 305L,
    model = "size =~ height + arm_span + forearm + leg_length\nbulk =~ weight + hips + chest_girth + chest_width",
    options = list()),
  p_fgl_mlr = list(fun = "sem", data = "fgl.csv",
    model = "RI ~ Na + Si + Ca + K\nCa ~ Mg + Al\nNa ~ Mg",
    options = list(estimator = "MLR")),
  p_fgl_free_x = list(fun = "sem", data = "fgl.csv",
    model = "RI ~ Ca + Si + Fe\nCa ~~ Fe",
    options = list(fixed.x = FALSE)),
  p_frets_cfa = list(fun = "cfa", data = "frets.csv",
    model = "len =~ l1 + l2\nbre =~ b1 + b2", options = list()),
  p_un98_fiml_mlr = list(fun = "sem", data = "un98.csv",
    model = "linf ~ lgdp + eduf + illf\nlifef ~ linf + lgdp",
    options = list(missing = "ml", estimator = "MLR", fixed.x = FALSE)),
  p_cigsw_panel = list(fun = "sem", data = "cigsw.csv",
    model = "lpacks95 ~ lpacks85 + lprice95 + linc95\nlpacks85 ~ lprice85 + linc85\nlprice95 ~ lprice85\nlinc95 ~ linc85",
    options = list(estimator = "MLR")),
  p_houseprices_mimic = list(fun = "sem", data = "houseprices.csv",
    model = "size =~ llot + bedrooms + bathrooms + stories\nlprice ~ size + garage",
    options = list()),
  p_creditcard_mlr = list(fun = "sem", data = "creditcard.csv",
    model = "share ~ income + age + dependents\nactive ~ share + age\nreports ~ active",
    options = list(estimator = "MLR", meanstructure = TRUE))
)
for (name in names(PUBLIC)) {
  sp <- PUBLIC[[name]]
  if (is.null(sp$cov)) {
    export_fit(name, sp$fun, sp$data, sp$model, sp$options)
    fit <- catching(do.call(sp$fun, c(list(model = sp$model, data = read_data(sp$data)),
                                      sp$options)))$value
  } else {
    export_cov(name, sp$fun, sp$cov, sp$sample_nobs, sp$model, sp$options)
    S <- as.matrix(read.csv(file.path(ddir, sp$cov), check.names = FALSE))
    rownames(S) <- colnames(S)
    fit <- catching(do.call(sp$fun, c(list(model = sp$model, sample.cov = S,
                                           sample.nobs = sp$sample_nobs), sp$options)))$value
  }
  add_extras(name, fit)
}

writeLines(toJSON(EXTRAS, dataframe = "columns", digits = NA, na = "null", auto_unbox = TRUE,
                  null = "null", matrix = "rowmajor"), file.path(out, "extras.json"))

# ---- nested comparisons: lavTestLRT() -----------------------------------------------------
# Each lrt_<name>.json holds the data, the models (from the least to the most restricted)
# and their options, each fit's chisq, df and (robust) scaled chisq, and lavTestLRT()'s
# table (Chisq diff, Df diff, Pr(>Chisq)) with its method and warnings.
export_lrt <- function(name, data, fits, method = "default") {
  dat <- read_data(data)
  objs <- lapply(fits, function(f) suppressWarnings(do.call("sem", c(list(model = f$model, data = dat), f$options))))
  tab <- catching(do.call(lavTestLRT, c(objs, list(method = method))))
  robust <- function(o) lavInspect(o, "options")$test != "standard"
  tests <- lapply(objs, function(o) as.list(fitMeasures(o, c("chisq", "df", "chisq.scaled", "df.scaled")[c(TRUE, TRUE, robust(o), robust(o))])))
  t <- as.data.frame(tab$value)
  res <- list(kind = "lrt", data = data, fits = fits, method = method, tests = tests,
              table = list(chisq_diff = t[["Chisq diff"]], df_diff = t[["Df diff"]],
                           pvalue = t[["Pr(>Chisq)"]]),
              warnings = tab$warnings)
  writeLines(toJSON(res, digits = NA, na = "null", auto_unbox = TRUE, null = "null"),
             file.path(out, paste0("lrt_", name, ".json")))
  cat("lrt_", name, "\n", sep = "")
}
if (N_GEN >= 25) {
  # ordered items in two groups (theta): thresholds partly equal, then all equal
  cs <- draw_case(17)
  part <- cs$options
  full <- part[names(part) != "group.partial"]
  export_lrt("r_17_wlsmv", "r_17.csv.gz",
             list(list(model = cs$model, options = part), list(model = cs$model, options = full)))
  # nearly collinear covariates under MLR: their two effects made equal, then x3's dropped
  cs <- draw_case(25)
  fits <- list(list(model = cs$model, options = cs$options),
               list(model = "f =~ y1 + y2 + y3 + y4\nf ~ b*x1 + b*x2 + x3", options = cs$options),
               list(model = "f =~ y1 + y2 + y3 + y4\nf ~ b*x1 + b*x2 + 0*x3", options = cs$options))
  export_lrt("r_25_mlr", "r_25.csv.gz", fits)
  export_lrt("r_25_mlr_sb2010", "r_25.csv.gz", fits, method = "satorra.bentler.2010")
  # the simplex under MLR with a mean structure: free paths, then the one label
  cs <- draw_case(13)
  free <- "y2 ~ y1\ny3 ~ y2 + y1\ny4 ~ y3\ny5 ~ y4\ny2 ~~ e*y2\ny3 ~~ e*y3\ny4 ~~ e*y4\ny5 ~~ e*y5"
  export_lrt("r_13_mlr_sb2010", "r_13.csv.gz",
             list(list(model = free, options = cs$options),
                  list(model = cs$model, options = cs$options)),
             method = "satorra.bentler.2010")
}

# ---- evidence for where lavaan and the engine differ ------------------------------------
# checks.json:
#   frets_chisq_drop  p_frets_cfa refitted with each candidate of modindices() freed: the
#                     drop in chi-square (the likelihood-ratio counterpart of the index)
#   r_17_scale_freed  r_17 refitted with one scale factor (~*~) freed in one group: does
#                     lavaan converge?
#   r_09_z            r_09's model fitted to the z-scores of its data (R's scale()):
#                     standardized and normalized residuals
CHECKS <- list()
d <- read_data("frets.csv")
m <- PUBLIC$p_frets_cfa$model
f0 <- suppressWarnings(cfa(m, d))
drop <- list()
for (a in c("l1 ~~ b1", "l1 ~~ b2", "l2 ~~ b1", "l2 ~~ b2", "l1 ~~ l2", "b1 ~~ b2",
            "len =~ b1", "len =~ b2", "bre =~ l1", "bre =~ l2")) {
  f1 <- suppressWarnings(cfa(paste(m, a, sep = "\n"), d))
  drop[[a]] <- unname(fitMeasures(f0, "chisq") - fitMeasures(f1, "chisq"))
}
CHECKS$frets_chisq_drop <- drop
cs <- draw_case(17)
d <- read_data("r_17.csv.gz")
conv <- list()
for (a in c("y2 ~*~ c(NA, 1)*y2", "y2 ~*~ c(1, NA)*y2", "y6 ~*~ c(NA, 1)*y6")) {
  f1 <- catching(do.call("sem", c(list(model = paste(cs$model, a, sep = "\n"), data = d),
                                  cs$options)))$value
  conv[[a]] <- !inherits(f1, "error") && lavInspect(f1, "converged")
}
CHECKS$r_17_scale_freed <- conv
cs <- draw_case(9)
z <- as.data.frame(scale(read_data("r_09.csv.gz")))
fz <- do.call("sem", c(list(model = cs$model, data = z), cs$options))
CHECKS$r_09_z <- list(standardized = resid_of(fz, "standardized"),
                      normalized = resid_of(fz, "normalized"))
writeLines(toJSON(CHECKS, digits = NA, na = "null", auto_unbox = TRUE, null = "null"),
           file.path(out, "checks.json"))
