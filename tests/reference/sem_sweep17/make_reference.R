# Reference fits of the seventeenth parity sweep: random models aimed at what the earlier
# sweeps did not cover (a second-order factor regressed on covariates, bifactor models
# with the zero covariances written out, growth curves with time-varying covariates and a
# quadratic slope on generated data, a factor with a free first loading and a fixed
# variance, a label fixed by "v == number", defined parameters with exp / log / sqrt /
# abs and an inequality on a product, phantom factors and an explicit zero loading,
# exogenous covariances fixed or free with fixed.x = FALSE, covariates with missing
# values under FIML, latent means equal across groups with a loading freed, a mean
# structure with equal intercepts) and public data bundled with R packages that no sweep
# used before; besides the std.lv and std.nox solutions with their SEs.
#
# Run from the repository root:
#   Rscript tests/reference/sem_sweep17/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, semTools 0.5.6, MASS, AER and carData (data only) and
# jsonlite.
# Deterministic: every generated case sets its own seed (set.seed(17000 + id)); the script
# rewrites the same files byte for byte.
#
# Data written to tests/reference/sem_sweep17/data/ (the fits read them back):
#   r_NN.csv.gz       generated case NN: values rounded to 6 significant digits, group
#                     column g, NA missing
#   harman74_cov.csv  datasets::Harman74.cor (24 tests, N = 145; fitted from sample.cov)
#   abilitycov_cov.csv  datasets::ability.cov (a covariance matrix, N = 112)
#   gilgais.csv       MASS::gilgais: pH and conductivity (/ 100) at 0, 30 and 80 cm (N = 365)
#   growthdj.csv      AER::GrowthDJ: log GDP 1960 and 1985, growth, population growth,
#                     investment, school, literacy / 10, oecd as 0/1 (NA kept; N = 121)
#   ericksen.csv      carData::Ericksen (N = 66; crime / 10)
#   angell.csv        carData::Angell (N = 43)
#   cpus.csv          MASS::cpus: logs of cycle time, memory, cache + 1, channels + 1 and
#                     performance (N = 209)
#   journals.csv      AER::Journals: logs of subscriptions, price per citation, pages,
#                     characters per page and citations, age / 10 (N = 180)
#   hs.csv            lavaan::HolzingerSwineford1939 x1..x9 and school
#
# The generated set (cases r_01 .. r_NN; SWEEP17_N, default 25) cycles through 10 kinds:
#   second_mimic   g =~ f1 + f2 + f3 (three items each), g ~ x1 + x2; ML, then MLR, then
#                  FIML on the items
#   bifactor_zero  a general factor on nine items and three specific ones, the zero
#                  covariances written out (g ~~ 0*s1, s1 ~~ 0*s2, ...); std.lv, then MLR,
#                  then the markers instead of std.lv
#   growth_tvc     growth() on five times: i, s regressed on x; t_k ~ c_k (time-varying
#                  covariates); then a quadratic slope (MLR); then FIML on the t's
#   free_first     f1 =~ NA*y1 + y2 + y3 with f1 ~~ 1*f1; a loading labelled a shared
#                  by two items; y5 ~~ v*y5 with v == a number; d := a - v
#   defined_fun    x -> m -> y with labels; := with exp, log, abs, sqrt and a power; in the
#                  third an inequality on a product (a*b > 0, inactive)
#   phantom        a phantom factor (ph =~ c*y1 + c*y4, std.lv) orthogonal to the
#                  factors; then an explicit zero loading (f2 =~ 0*y1 + ...)
#   free_x_cov     y ~ x1 + x2 + x3 with fixed.x = FALSE and x1 ~~ 0*x3; then with a
#                  mean structure and MLR
#   fiml_xmiss     f =~ y1..y4, f ~ x1 + x2 with x1 missing for 10 %: missing = "ml" with
#                  fixed.x = TRUE (lavaan drops those cases), then fixed.x = FALSE
#   mg_means_part  two groups; group.equal loadings + intercepts + means with
#                  group.partial on a loading; then three groups with MLR
#   ms_eq_int      meanstructure = TRUE in one group, equal intercepts by label, a
#                  regression; then std.lv and MLR
#
# Each <case>.json holds what tests/reference/sem_common/sweep_helpers.R writes: the call,
# lavaan's warnings and convergence, parameterEstimates() (est, se), standardizedSolution()
# (est.std, se), fitMeasures(), lavInspect(, "r2"), residuals() of three types per group and
# modindices() (mi, epc, sepc.all) with its warnings, or the error lavaan gives.
# std_ov_r_10.json: r_10 with std.ov = TRUE (see there); reliability.json: semTools'
# compRelSEM() and AVE() of five fits (see the end of the script).
# extras.json holds for every converged case standardizedSolution(type = "std.lv") and
# (type = "std.nox") with their SEs, and parameterEstimates(level = 0.90) intervals.
suppressMessages({library(lavaan); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/sem_sweep17"
ddir <- file.path(out, "data")
dir.create(ddir, showWarnings = FALSE, recursive = TRUE)

options(sweep.extras = TRUE)
source("tests/reference/sem_common/sweep_helpers.R")

KINDS <- c("second_mimic", "bifactor_zero", "growth_tvc", "free_first", "defined_fun",
           "phantom", "free_x_cov", "fiml_xmiss", "mg_means_part", "ms_eq_int")

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

draw_case <- function(id) {
  set.seed(17000 + id)
  kind <- KINDS[(id - 1) %% length(KINDS) + 1]
  nth <- (id - 1) %/% length(KINDS) + 1
  opts <- list()
  est <- "ML"
  fun <- "sem"
  lines <- character()
  drawn <- list(kind = kind)
  nm9 <- paste0("y", 1:9)
  item9 <- rep(1:3, each = 3)
  if (kind == "second_mimic") {
    N <- sample(250:700, 1)
    x <- cbind(rnorm(N), rbinom(N, 1, 0.4))
    g <- 0.4 * x[, 1] - 0.3 * x[, 2] + rnorm(N) * 0.85
    eta <- sapply(runif(3, 0.6, 0.85), function(l) l * g + rnorm(N) * sqrt(1 - l^2))
    dat <- as_dat(shift_scale(items_of(eta, item9, runif(9, 0.55, 0.85))), nm9)
    dat$x1 <- signif(x[, 1], 6)
    dat$x2 <- x[, 2]
    for (k in 1:3) lines <- c(lines, paste0("f", k, " =~ ", lab_of(nm9, item9, k)))
    lines <- c(lines, "g =~ f1 + f2 + f3", "g ~ x1 + x2")
    if (nth == 2) est <- "MLR"
    if (nth == 3) {
      for (v in nm9[-1]) dat[[v]][runif(N) < 0.08] <- NA
      opts$missing <- "ml"
    }
  } else if (kind == "bifactor_zero") {
    N <- sample(300:800, 1)
    gen <- rnorm(N)
    sp <- matrix(rnorm(N * 3), N, 3)
    lg <- runif(9, 0.4, 0.7)
    ls <- runif(9, 0.3, 0.6)
    yy <- gen %o% lg + sp[, item9] * matrix(ls, N, 9, byrow = TRUE) +
      matrix(rnorm(N * 9), N, 9) * matrix(sqrt(pmax(1 - lg^2 - ls^2, 0.1)), N, 9, byrow = TRUE)
    dat <- as_dat(shift_scale(yy), nm9)
    lines <- paste("g =~", paste(nm9, collapse = " + "))
    for (k in 1:3) lines <- c(lines, paste0("s", k, " =~ ", lab_of(nm9, item9, k)))
    lines <- c(lines, "g ~~ 0*s1 + 0*s2 + 0*s3", "s1 ~~ 0*s2 + 0*s3", "s2 ~~ 0*s3")
    if (nth != 3) opts$std.lv <- TRUE
    if (nth == 2) est <- "MLR"
  } else if (kind == "growth_tvc") {
    N <- sample(300:700, 1)
    x <- rnorm(N)
    i <- 5 + 0.5 * x + rnorm(N)
    s <- 1 + 0.3 * x + rnorm(N) * 0.4
    q <- -0.1 + rnorm(N) * 0.08
    cc <- matrix(rnorm(N * 5), N, 5)
    tt <- sapply(0:4, function(k) i + s * k + (if (nth == 2) q * k^2 else 0) +
                   0.3 * cc[, k + 1] + rnorm(N) * 0.6)
    dat <- as_dat(cbind(tt, cc, x), c(paste0("t", 1:5), paste0("c", 1:5), "x"))
    lines <- c("i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4 + 1*t5",
               "s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4 + 4*t5")
    if (nth == 2) {
      lines <- c(lines, "q =~ 0*t1 + 1*t2 + 4*t3 + 9*t4 + 16*t5", "i + s ~ x")
      est <- "MLR"
    } else {
      lines <- c(lines, "i + s ~ x", paste0("t", 1:5, " ~ c", 1:5))
    }
    if (nth == 3) {
      for (k in 2:5) dat[[paste0("t", k)]][runif(N) < plogis(-2.2 + 0.8 * x)] <- NA
      opts$missing <- "ml"
    }
    fun <- "growth"
  } else if (kind == "free_first") {
    N <- sample(200:600, 1)
    eta <- corr_eta(N, 3, 0.4)
    lam <- runif(9, 0.55, 0.85)
    lam[6] <- lam[5]
    dat <- as_dat(shift_scale(items_of(eta, item9, lam)), nm9)
    dat$y6 <- signif(dat$y6 / sd(dat$y6) * sd(dat$y5), 6)
    v <- round(0.35 * var(dat$y5), 3)
    lines <- c("f1 =~ NA*y1 + y2 + y3", "f1 ~~ 1*f1", "f2 =~ y4 + a*y5 + a*y6",
               "f3 =~ y7 + y8 + y9", "y5 ~~ v*y5", sprintf("v == %s", format(v)),
               "d := a - v")
    if (nth == 2) est <- "MLR"
    if (nth == 3) lines[3] <- "f2 =~ NA*y4 + a*y5 + a*y6\nf2 ~~ 1*f2"
    drawn$v <- v
  } else if (kind == "defined_fun") {
    N <- sample(150:500, 1)
    x <- rnorm(N)
    m <- 0.5 * x + rnorm(N) * 0.8
    y <- 0.4 * m + 0.2 * x + rnorm(N) * 0.8
    dat <- as_dat(cbind(x * 2 + 3, m + 1, y * 1.5 + 2), c("x", "m", "y"))
    lines <- c("m ~ a*x", "y ~ b*m + c*x", "ind := a*b", "lga := log(abs(a))",
               "exb := exp(b)", "nrm := sqrt(a^2 + b^2)", "prop := ind / (ind + c)")
    if (nth == 2) est <- "MLR"
    if (nth == 3) lines <- c(lines, "a*b > 0")
  } else if (kind == "phantom") {
    N <- sample(250:600, 1)
    eta <- corr_eta(N, 2, 0.4)
    item <- rep(1:2, each = 3)
    yy <- items_of(eta, item, runif(6, 0.55, 0.85))
    s <- rnorm(N) * 0.4
    yy[, 1] <- yy[, 1] + s
    yy[, 4] <- yy[, 4] + s
    nm <- paste0("y", 1:6)
    dat <- as_dat(shift_scale(yy), nm)
    if (nth == 1) {
      lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)),
                 "ph =~ c*y1 + c*y4", "ph ~~ 0*f1 + 0*f2")
      opts$std.lv <- TRUE
    } else {
      lines <- c(paste("f1 =~", lab_of(nm, item, 1)),
                 paste("f2 =~ 0*y1 +", lab_of(nm, item, 2)), "y1 ~~ y4")
      est <- "MLR"
    }
  } else if (kind == "free_x_cov") {
    N <- sample(150:500, 1)
    x <- corr_eta(N, 3, 0.3)
    x[, 3] <- rnorm(N)  # x3 uncorrelated with x1
    y <- x %*% c(0.4, -0.3, 0.25) + rnorm(N) * 0.8
    z <- 0.5 * y + 0.2 * x[, 2] + rnorm(N) * 0.8
    dat <- as_dat(cbind(y, z, x), c("y", "z", "x1", "x2", "x3"))
    lines <- c("y ~ x1 + x2 + x3", "z ~ y + x2", "x1 ~~ 0*x3", "x1 ~~ x2")
    opts$fixed.x <- FALSE
    if (nth == 2) {
      opts$meanstructure <- TRUE
      est <- "MLR"
    }
  } else if (kind == "fiml_xmiss") {
    N <- sample(250:600, 1)
    x <- cbind(rnorm(N), rnorm(N))
    f <- 0.5 * x[, 1] + 0.3 * x[, 2] + rnorm(N) * 0.8
    nm <- paste0("y", 1:4)
    dat <- as_dat(shift_scale(items_of(cbind(f), rep(1, 4), runif(4, 0.55, 0.85))), nm)
    dat$x1 <- signif(x[, 1], 6)
    dat$x2 <- signif(x[, 2], 6)
    dat$x1[runif(N) < 0.1] <- NA
    for (v in nm[-1]) dat[[v]][runif(N) < 0.08] <- NA
    lines <- c("f =~ y1 + y2 + y3 + y4", "f ~ x1 + x2")
    opts$missing <- "ml"
    if (nth == 2) opts$fixed.x <- FALSE
  } else if (kind == "mg_means_part") {
    ng <- if (nth == 2) 3L else 2L
    N <- sample(400:900, 1)
    g <- sort(sample(seq_len(ng), N, replace = TRUE))
    eta <- corr_eta(N, 2, 0.4) + outer(c(0, 0.25, -0.2)[g], c(1, 1))
    item <- rep(1:2, each = 3)
    lam <- matrix(runif(6, 0.55, 0.85), N, 6, byrow = TRUE)
    lam[g == 2, 2] <- lam[g == 2, 2] * 0.6  # a loading that differs
    yy <- eta[, item] * lam + matrix(rnorm(N * 6), N, 6) * 0.6 +
      matrix(runif(6, 1, 3), N, 6, byrow = TRUE)
    nm <- paste0("y", 1:6)
    dat <- as_dat(yy, nm)
    dat$g <- g
    lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)))
    opts$group <- "g"
    opts$group.equal <- c("loadings", "intercepts", "means")
    opts$group.partial <- "f1 =~ y2"
    if (nth == 2) est <- "MLR"
  } else if (kind == "ms_eq_int") {
    N <- sample(200:600, 1)
    eta <- corr_eta(N, 2, 0.4)
    item <- rep(1:2, each = 3)
    yy <- items_of(eta, item, runif(6, 0.55, 0.85)) + 2
    yy[, 4:6] <- yy[, 4:6] + runif(1, 0.5, 1.5)
    nm <- paste0("y", 1:6)
    dat <- as_dat(yy, nm)
    lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)),
               "f2 ~ f1", "y1 ~ i1*1", "y2 ~ i1*1", "y3 ~ i1*1")
    opts$meanstructure <- TRUE
    if (nth == 2) {
      opts$std.lv <- TRUE
      est <- "MLR"
    }
  }
  if (est != "ML") opts$estimator <- est
  if (length(opts)) opts <- opts[order(names(opts))]
  drawn$N <- nrow(dat)
  name <- sprintf("r_%02d", id)
  list(name = name, fun = fun, model = paste(lines, collapse = "\n"), options = opts,
       drawn = drawn, dat = dat)
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
add_extras <- function(name, spec) {
  args <- if (is.null(spec$cov)) list(model = spec$model, data = read_data(spec$data)) else {
    S <- as.matrix(read.csv(file.path(ddir, spec$cov), check.names = FALSE))
    rownames(S) <- colnames(S)
    list(model = spec$model, sample.cov = S, sample.nobs = spec$sample_nobs)
  }
  fit <- tryCatch(suppressWarnings(do.call(spec$fun, c(args, spec$options))),
                  error = function(e) NULL)
  if (!is.null(fit) && lavInspect(fit, "converged")) EXTRAS[[name]] <<- extras_of(fit)
}

N_GEN <- as.integer(Sys.getenv("SWEEP17_N", "25"))
for (id in seq_len(N_GEN)) {
  cs <- draw_case(id)
  file <- sprintf("%s.csv.gz", cs$name)
  write_gz(cs$dat, file)
  export_fit(cs$name, cs$fun, file, cs$model, cs$options, cs$drawn)
  add_extras(cs$name, list(fun = cs$fun, data = file, model = cs$model, options = cs$options))
}

# r_08 (fiml_xmiss) fitted with missing = "ml.x" and MLR: lavaan keeps the cases missing
# x1; the engine refuses ml.x and names what to use instead
cs <- draw_case(8)
export_fit("r_08_mlx", "sem", "r_08.csv.gz", cs$model,
           list(estimator = "MLR", missing = "ml.x"))

# ---- public data ------------------------------------------------------------------------
wcsv <- function(dat, file) write.csv(dat, file.path(ddir, file), row.names = FALSE, na = "")
H74 <- Harman74.cor$cov
write.csv(round(H74, 6), file.path(ddir, "harman74_cov.csv"), row.names = FALSE)
AB <- ability.cov$cov
write.csv(round(AB, 6), file.path(ddir, "abilitycov_cov.csv"), row.names = FALSE)
data("gilgais", package = "MASS")
gil <- data.frame(ph00 = gilgais$pH00, ph30 = gilgais$pH30, ph80 = gilgais$pH80,
                  e00 = gilgais$e00 / 100, e30 = gilgais$e30 / 100, e80 = gilgais$e80 / 100)
wcsv(gil, "gilgais.csv")
data("GrowthDJ", package = "AER")
gd <- data.frame(lgdp60 = round(log(GrowthDJ$gdp60), 5), lgdp85 = round(log(GrowthDJ$gdp85), 5),
                 growth = GrowthDJ$gdpgrowth, popgrowth = GrowthDJ$popgrowth,
                 invest = GrowthDJ$invest / 10, school = GrowthDJ$school,
                 literacy = GrowthDJ$literacy60 / 10, oecd = as.integer(GrowthDJ$oecd == "yes"))
wcsv(gd, "growthdj.csv")
er <- carData::Ericksen
er <- data.frame(minority = er$minority, crime = er$crime / 10, poverty = er$poverty,
                 language = er$language, highschool = er$highschool, housing = er$housing,
                 conventional = er$conventional / 10, undercount = er$undercount)
wcsv(er, "ericksen.csv")
an <- carData::Angell
wcsv(data.frame(moral = an$moral, hetero = an$hetero, mobility = an$mobility), "angell.csv")
data("cpus", package = "MASS")
cp <- data.frame(lsyct = round(log(cpus$syct), 5), lmmin = round(log(cpus$mmin), 5),
                 lmmax = round(log(cpus$mmax), 5), lcach = round(log(cpus$cach + 1), 5),
                 lchmax = round(log(cpus$chmax + 1), 5), lperf = round(log(cpus$perf), 5))
wcsv(cp, "cpus.csv")
data("Journals", package = "AER")
jo <- data.frame(lsubs = round(log(Journals$subs), 5),
                 lpricecit = round(log(Journals$price / Journals$citations), 5),
                 lpages = round(log(Journals$pages), 5), lchars = round(log(Journals$charpp), 5),
                 lcit = round(log(Journals$citations), 5),
                 age = (2000 - Journals$foundingyear) / 10)
wcsv(jo, "journals.csv")
hs <- lavaan::HolzingerSwineford1939
wcsv(hs[, c(paste0("x", 1:9), "school")], "hs.csv")

h_sp <- "sp =~ VisualPerception + Cubes + PaperFormBoard + Flags"
h_vb <- "vb =~ GeneralInformation + PargraphComprehension + SentenceCompletion + WordMeaning"
h_sd <- "sd =~ Addition + Code + CountingDots + StraightCurvedCapitals"
h_me <- "me =~ WordRecognition + NumberRecognition + FigureRecognition + ObjectNumber"
H16 <- c("VisualPerception", "Cubes", "PaperFormBoard", "Flags", "GeneralInformation",
         "PargraphComprehension", "SentenceCompletion", "WordMeaning", "Addition", "Code",
         "CountingDots", "StraightCurvedCapitals", "WordRecognition", "NumberRecognition",
         "FigureRecognition", "ObjectNumber")
PUBLIC <- list(
  p_harman74_2nd = list(fun = "cfa", cov = "harman74_cov.csv", sample_nobs = 145L,
    model = paste(h_sp, h_vb, h_sd, h_me, "g =~ sp + vb + sd + me", sep = "\n"),
    options = list()),
  p_harman74_bifactor = list(fun = "cfa", cov = "harman74_cov.csv", sample_nobs = 145L,
    model = paste(paste("g =~", paste(H16, collapse = " + ")), h_sp, h_vb, h_sd, h_me,
                  "g ~~ 0*sp + 0*vb + 0*sd + 0*me", "sp ~~ 0*vb + 0*sd + 0*me",
                  "vb ~~ 0*sd + 0*me", "sd ~~ 0*me", sep = "\n"),
    options = list(std.lv = TRUE)),
  p_abilitycov_free_first = list(fun = "cfa", cov = "abilitycov_cov.csv", sample_nobs = 112L,
    model = "f =~ NA*general + picture + blocks + maze\nf ~~ 1*f\nv =~ reading + vocab + general\nf ~~ v",
    options = list()),
  p_gilgais_mlr = list(fun = "cfa", data = "gilgais.csv",
    model = "ph =~ ph00 + ph30 + ph80\nec =~ e00 + e30 + e80\nph00 ~~ e00\nph80 ~~ e80",
    options = list(estimator = "MLR")),
  p_growthdj_fiml = list(fun = "sem", data = "growthdj.csv",
    model = "growth ~ lgdp60 + invest + popgrowth + school\ninvest ~ school + lgdp60\nschool ~ literacy",
    options = list(missing = "ml", fixed.x = FALSE)),
  p_growthdj_fiml_fixedx = list(fun = "sem", data = "growthdj.csv",
    model = "growth ~ lgdp60 + invest + popgrowth + school\ninvest ~ school + lgdp60",
    options = list(missing = "ml", estimator = "MLR")),
  p_growthdj_mlx = list(fun = "sem", data = "growthdj.csv",
    model = "growth ~ lgdp60 + invest + popgrowth + school\ninvest ~ school + lgdp60",
    options = list(missing = "ml.x", estimator = "MLR")),
  p_ericksen_mimic_mlr = list(fun = "sem", data = "ericksen.csv",
    model = "dis =~ poverty + highschool + housing\ndis ~ minority\nundercount ~ dis + minority + crime + language",
    options = list(estimator = "MLR")),
  p_angell_path = list(fun = "sem", data = "angell.csv",
    model = "moral ~ hetero + mobility", options = list(meanstructure = TRUE)),
  p_cpus_path = list(fun = "sem", data = "cpus.csv",
    model = "mem =~ lmmin + lmmax\nlperf ~ mem + lcach + lsyct\nlcach ~ mem + lsyct",
    options = list()),
  p_journals_free_x = list(fun = "sem", data = "journals.csv",
    model = "lcit ~ age + lpages\nlsubs ~ lpricecit + lcit + age\nlpricecit ~~ lchars",
    options = list(fixed.x = FALSE, estimator = "MLR")),
  p_hs_2nd_mg_means = list(fun = "cfa", data = "hs.csv",
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\ng =~ visual + textual + speed",
    options = list(group = "school", group.equal = c("loadings", "intercepts", "means"),
                   group.partial = "visual =~ x2"))
)
for (name in names(PUBLIC)) {
  sp <- PUBLIC[[name]]
  if (is.null(sp$cov)) {
    export_fit(name, sp$fun, sp$data, sp$model, sp$options)
  } else {
    export_cov(name, sp$fun, sp$cov, sp$sample_nobs, sp$model, sp$options)
  }
  add_extras(name, sp)
}

writeLines(toJSON(EXTRAS, dataframe = "columns", digits = NA, na = "null", auto_unbox = TRUE,
                  null = "null", matrix = "rowmajor"), file.path(out, "extras.json"))

# std_ov_r_10.json: r_10's model (equal intercepts by label, a mean structure) with
# std.ov = TRUE: lavaan fits the z-scores (R's scale()); the engine asks for them in the
# data instead (the name keeps it out of the r_ / p_ cases)
cs <- draw_case(10)
export_fit("std_ov_r_10", "sem", "r_10.csv.gz", cs$model,
           list(meanstructure = TRUE, std.ov = TRUE))

# ---- reliability: semTools::compRelSEM() and AVE() ----------------------------------------
# reliability.json: per case, compRelSEM(fit) (omega per factor; higher = "g" for the
# second-order factor) and AVE(fit), for single-group fits on complete data (a free first
# loading with the factor's variance fixed at 1, equal loadings, a second-order factor).
suppressMessages(library(semTools))
REL <- list()
for (name in c("r_01", "r_04", "r_14", "r_24", "r_10")) {
  ref <- fromJSON(file.path(out, paste0(name, ".json")), simplifyVector = TRUE)
  fit <- suppressWarnings(do.call(ref$fun, c(list(model = ref$model,
                                                  data = read_data(ref$data)), ref$options)))
  higher <- if (grepl("g =~", ref$model)) "g" else character(0)
  REL[[name]] <- list(higher = higher,
                      omega = as.list(compRelSEM(fit, higher = higher)),
                      ave = as.list(AVE(fit)))
}
writeLines(toJSON(REL, digits = NA, na = "null", auto_unbox = TRUE, null = "null"),
           file.path(out, "reliability.json"))
