# Reference fits of the sixteenth parity sweep: random models aimed at what the earlier
# sweeps did not cover (orthogonal = TRUE with and without std.lv, equal residual variances
# across groups with group.partial on one intercept, equal residual covariances across
# groups, three groups of unequal sizes (one of 40) with labels shared across groups
# c(a, a, a), intercepts fixed at 0 with a free latent mean in one group, single-indicator
# factors with a fixed residual variance in a structural model, ordered items with std.lv
# under delta and theta, two items correlated .99, an item observed for 5-15 % of the
# cases under FIML) and public data bundled with R packages that no sweep used before.
#
# Run from the repository root:
#   Rscript tests/reference/sem_sweep16/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14 and jsonlite; data from datasets, carData, psych and
# psychTools.  Deterministic: every generated case sets its own seed (set.seed(16000 + id));
# the script rewrites the same files byte for byte.
#
# Data written to tests/reference/sem_sweep16/data/ (the fits read them back):
#   r_NN.csv.gz      generated case NN: continuous values to 6 significant digits, ordered
#                    items as integer codes, group column g, NA missing
#   eustock.csv.gz   datasets::EuStockMarkets: daily log returns x 100 of DAX, SMI, CAC,
#                    FTSE (N = 1859), rounded to 5 decimals
#   globalwarm.csv   psychTools::globalWarm (N = 815; sex 0/1)
#   un.csv           carData::UN: fertility, log GDP per person, female life expectancy / 10,
#                    urban share / 10, infant mortality / 10 (NA kept; N = 213)
#   leinhardt.csv    carData::Leinhardt: log infant mortality (4 NA), log income, oil as 0/1
#   states.csv       carData::States: SAT verbal and maths / 100, percent taking it / 10,
#                    spending, teachers' pay (N = 51)
#   ornstein.csv     carData::Ornstein: log(interlocks + 1), log assets, nation (groups of
#                    117, 18, 17 and 96)
#   iqitems.csv.gz   psychTools::iqitems scored right (1) / wrong (0) with the keys of
#                    psych's example (iq.keys); reason and letter items (NA kept)
#   holzinger14_cov.csv  psych::Holzinger (14 tests, N = 355), fitted from sample.cov
#
# The generated set (cases r_01 .. r_NN; SWEEP16_N, default 27) cycles through 10 kinds:
#   ortho        three factors, orthogonal = TRUE; ML, then MLR, then std.lv = TRUE too
#   mg_resid     two groups, group.equal loadings + intercepts + residuals, group.partial
#                "y3 ~ 1"; ML, then MLR, then FIML (ML)
#   mg_rescov    two groups, residual covariances y1 ~~ y4 and y2 ~~ y5, group.equal
#                loadings + residual.covariances (+ lv.covariances in the second); ML, MLR
#   mg3_unequal  three groups of 40, 150-250 and 300-450: group.equal loadings +
#                intercepts; the second with c(a, a, a) on one loading and c(b1, b2, b2) on
#                a regression instead of group.equal; the third MLR
#   fixed_int    one group, mean structure: the marker intercepts fixed at 0 (y1 ~ 0*1),
#                the latent means free; the second with a second item's intercept fixed
#                at its sample mean (y2 ~ m*1 with a number), the third MLR
#   single_ind   a structural model with a single-indicator factor (fx =~ x, x ~~ v*x,
#                v = 20 % of its variance); ML, MLR, FIML
#   ord_stdlv    ordered items (2-5 categories), std.lv = TRUE, two correlated factors and
#                a regression; delta, then theta, then binary items only
#   collinear    two items of one factor correlated about .99; ML, then MLR
#   sparse_item  one item observed for 5-15 % of the cases, FIML; ML, then MLR
#   ord_mg_stdlv ordered items (3-4 categories) in two groups with std.lv = TRUE and
#                thresholds + loadings equal (the later group's latent variances free);
#                delta, then theta
#
# Besides: r_05_upper_bound fits r_05's data with an upper bound a < 0.5 on a loading
# (active at the solution); p_globalwarm_one_variable is a single variable with its
# intercept.  extras.json holds for every generated case and six public fits
# residuals(, "cor") (Bollen's), the std.lv
# solution (est.std, se), lavInspect(, "cov.lv"), (, "mean.lv") and (, "implied"); and
# lrt_<name>.json nested comparisons with lavTestLRT() (see the end of the script).
# r_09_tight.json: r_09 refitted with control = list(rel.tol = 1e-13), r_19_tight_em.json:
# r_19 refitted with em.h1.tol = 1e-12 (see there).
#
# Each <case>.json holds what tests/reference/sem_common/sweep_helpers.R writes: the call,
# lavaan's warnings and convergence, parameterEstimates() (est, se), standardizedSolution()
# (est.std, se), fitMeasures(), lavInspect(, "r2"), residuals() of three types per group and
# modindices() (mi, epc, sepc.all) with its warnings, or the error lavaan gives.
suppressMessages({library(lavaan); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/sem_sweep16"
ddir <- file.path(out, "data")
dir.create(ddir, showWarnings = FALSE, recursive = TRUE)

options(sweep.extras = TRUE)
source("tests/reference/sem_common/sweep_helpers.R")

KINDS <- c("ortho", "mg_resid", "mg_rescov", "mg3_unequal", "fixed_int", "single_ind",
           "ord_stdlv", "collinear", "sparse_item", "ord_mg_stdlv")

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

draw_case <- function(id) {
  set.seed(16000 + id)
  kind <- KINDS[(id - 1) %% length(KINDS) + 1]
  nth <- (id - 1) %/% length(KINDS) + 1
  opts <- list()
  est <- "ML"
  lines <- character()
  drawn <- list(kind = kind)
  if (kind == "ortho") {
    N <- sample(200:600, 1)
    eta <- corr_eta(N, 3, 0.15)  # nearly orthogonal factors
    item <- rep(1:3, each = 3)
    yy <- shift_scale(items_of(eta, item, runif(9, 0.5, 0.85)))
    nm <- paste0("y", 1:9)
    dat <- as.data.frame(signif(yy, 6))
    names(dat) <- nm
    for (k in 1:3) lines <- c(lines, paste0("f", k, " =~ ", lab_of(nm, item, k)))
    opts$orthogonal <- TRUE
    if (nth == 2) est <- "MLR"
    if (nth == 3) opts$std.lv <- TRUE
  } else if (kind %in% c("mg_resid", "mg_rescov")) {
    N <- sample(400:800, 1)
    g <- sort(sample(1:2, N, replace = TRUE))
    eta <- corr_eta(N, 2, 0.4)
    eta <- eta + outer(c(0, 0.3)[g], c(1, 0.5))
    item <- rep(1:2, each = 3)
    lam <- runif(6, 0.55, 0.85)
    yy <- items_of(eta, item, lam)
    if (kind == "mg_rescov") {
      s1 <- rnorm(N) * 0.35
      s2 <- rnorm(N) * 0.35
      yy[, 1] <- yy[, 1] + s1
      yy[, 4] <- yy[, 4] + s1
      yy[, 2] <- yy[, 2] + s2
      yy[, 5] <- yy[, 5] + s2
    }
    yy <- yy + matrix(runif(6, 1, 3), N, 6, byrow = TRUE)
    yy[g == 2, 3] <- yy[g == 2, 3] + 0.4  # a non-invariant intercept
    nm <- paste0("y", 1:6)
    dat <- as.data.frame(signif(yy, 6))
    names(dat) <- nm
    dat$g <- g
    lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)))
    opts$group <- "g"
    if (kind == "mg_resid") {
      opts$group.equal <- c("loadings", "intercepts", "residuals")
      opts$group.partial <- "y3 ~ 1"
      if (nth == 2) est <- "MLR"
      if (nth == 3) {
        for (v in nm[-1]) dat[[v]][runif(N) < 0.1] <- NA
        opts$missing <- "ml"
      }
    } else {
      lines <- c(lines, "y1 ~~ y4", "y2 ~~ y5")
      opts$group.equal <- c("loadings", "residual.covariances")
      if (nth == 2) {
        opts$group.equal <- c(opts$group.equal, "lv.covariances")
        est <- "MLR"
      }
    }
  } else if (kind == "mg3_unequal") {
    sizes <- c(40L, sample(150:250, 1), sample(300:450, 1))
    g <- rep(1:3, sizes)
    N <- length(g)
    eta <- corr_eta(N, 2, 0.3)
    eta[, 2] <- eta[, 2] + c(0.45, 0.3, 0.5)[g] * eta[, 1]
    item <- rep(1:2, each = 3)
    yy <- items_of(eta, item, runif(6, 0.55, 0.85)) +
      matrix(runif(6, 1, 3), N, 6, byrow = TRUE)
    nm <- paste0("y", 1:6)
    dat <- as.data.frame(signif(yy, 6))
    names(dat) <- nm
    dat$g <- g
    opts$group <- "g"
    if (nth == 2) {
      lines <- c("f1 =~ y1 + c(a, a, a)*y2 + y3", paste("f2 =~", lab_of(nm, item, 2)),
                 "f2 ~ c(b1, b2, b2)*f1")
    } else {
      lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)),
                 "f2 ~ f1")
      opts$group.equal <- c("loadings", "intercepts")
      if (nth == 3) est <- "MLR"
    }
    drawn$group_sizes <- as.list(sizes)
  } else if (kind == "fixed_int") {
    N <- sample(200:600, 1)
    eta <- corr_eta(N, 2, 0.4) + matrix(c(0.5, -0.3), N, 2, byrow = TRUE)
    item <- rep(1:2, each = 3)
    yy <- items_of(eta, item, runif(6, 0.55, 0.85)) +
      matrix(runif(6, 0.5, 2), N, 6, byrow = TRUE)
    nm <- paste0("y", 1:6)
    dat <- as.data.frame(signif(yy, 6))
    names(dat) <- nm
    lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)),
               "y1 ~ 0*1", "y4 ~ 0*1", "f1 ~ 1", "f2 ~ 1")
    if (nth == 2) lines <- c(lines, sprintf("y2 ~ %s*1", format(round(mean(dat$y2), 2))))
    if (nth == 3) est <- "MLR"
  } else if (kind == "single_ind") {
    N <- sample(250:600, 1)
    x <- rnorm(N)
    eta <- cbind(0.5 * x + rnorm(N) * 0.85, 0)
    eta[, 2] <- 0.4 * eta[, 1] + 0.2 * x + rnorm(N) * 0.85
    item <- rep(1:2, each = 3)
    yy <- shift_scale(items_of(eta, item, runif(6, 0.55, 0.85)))
    nm <- paste0("y", 1:6)
    dat <- as.data.frame(signif(yy, 6))
    names(dat) <- nm
    xs <- signif(3 + 1.5 * (x + rnorm(N) * 0.5), 6)  # measured with error
    dat$x <- xs
    v <- round(0.2 * var(xs), 4)
    lines <- c("fx =~ x", sprintf("x ~~ %s*x", format(v)), paste("f1 =~", lab_of(nm, item, 1)),
               paste("f2 =~", lab_of(nm, item, 2)), "f1 ~ fx", "f2 ~ f1 + fx")
    if (nth == 2) est <- "MLR"
    if (nth == 3) {
      for (v in c(nm[-1], "x")) dat[[v]][runif(N) < 0.1] <- NA
      opts$missing <- "ml"
    }
  } else if (kind == "ord_stdlv") {
    N <- sample(400:900, 1)
    eta <- corr_eta(N, 2, 0.4)
    eta[, 2] <- 0.5 * eta[, 1] + sqrt(0.75) * rnorm(N)
    item <- rep(1:2, each = 4)
    z <- items_of(eta, item, runif(8, 0.55, 0.85))
    nm <- paste0("y", 1:8)
    dat <- data.frame(matrix(0L, N, 8))
    names(dat) <- nm
    for (j in 1:8) {
      k <- if (nth == 3) 2L else sample(2:5, 1)
      cuts <- sort(qnorm(sort(runif(k - 1, 0.15, 0.85))))
      dat[[j]] <- findInterval(z[, j] / sd(z[, j]), cuts) + 1L
    }
    lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)),
               "f2 ~ f1")
    est <- "WLSMV"
    opts$ordered <- nm
    opts$std.lv <- TRUE
    if (nth == 2) opts$parameterization <- "theta"
  } else if (kind == "collinear") {
    N <- sample(200:500, 1)
    eta <- corr_eta(N, 2, 0.4)
    item <- rep(1:2, each = 3)
    yy <- items_of(eta, item, runif(6, 0.6, 0.85))
    yy[, 3] <- yy[, 2] + rnorm(N) * 0.1 * sd(yy[, 2])  # r(y2, y3) about .99
    yy <- shift_scale(yy)
    nm <- paste0("y", 1:6)
    dat <- as.data.frame(signif(yy, 6))
    names(dat) <- nm
    lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)))
    drawn$r23 <- cor(dat$y2, dat$y3)
    if (nth == 2) est <- "MLR"
  } else if (kind == "sparse_item") {
    N <- sample(300:700, 1)
    eta <- corr_eta(N, 2, 0.4)
    item <- rep(1:2, each = 4)
    yy <- shift_scale(items_of(eta, item, runif(8, 0.55, 0.85)))
    nm <- paste0("y", 1:8)
    dat <- as.data.frame(signif(yy, 6))
    names(dat) <- nm
    keep <- runif(N) < runif(1, 0.05, 0.15)
    dat$y4[!keep] <- NA
    for (v in nm[-c(1, 4, 5)]) dat[[v]][runif(N) < 0.05] <- NA
    lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)))
    opts$missing <- "ml"
    drawn$observed_y4 <- sum(keep)
    if (nth == 2) est <- "MLR"
  } else if (kind == "ord_mg_stdlv") {
    N <- sample(700:1100, 1)
    g <- sort(sample(1:2, N, replace = TRUE))
    eta <- corr_eta(N, 2, 0.45) * c(1, 1.25)[g] + 0.3 * (g - 1)
    item <- rep(1:2, each = 3)
    z <- items_of(eta, item, runif(6, 0.55, 0.85))
    nm <- paste0("y", 1:6)
    dat <- data.frame(matrix(0L, N, 6))
    names(dat) <- nm
    for (j in 1:6) {
      k <- sample(3:4, 1)
      cuts <- sort(qnorm(sort(runif(k - 1, 0.15, 0.85))))
      dat[[j]] <- findInterval(z[, j] / sd(z[, j]), cuts) + 1L
    }
    dat$g <- g
    lines <- c(paste("f1 =~", lab_of(nm, item, 1)), paste("f2 =~", lab_of(nm, item, 2)))
    est <- "WLSMV"
    opts$ordered <- nm
    opts$group <- "g"
    opts$std.lv <- TRUE
    opts$group.equal <- c("thresholds", "loadings")
    if (nth == 2) opts$parameterization <- "theta"
  }
  if (est != "ML") opts$estimator <- est
  if (length(opts)) opts <- opts[order(names(opts))]
  drawn$N <- nrow(dat)
  name <- sprintf("r_%02d", id)
  list(name = name, model = paste(lines, collapse = "\n"), options = opts, drawn = drawn,
       dat = dat)
}

EXTRAS <- list()
extras_of <- function(fit) {
  ng <- lavInspect(fit, "ngroups")
  one <- function(x) if (ng == 1L) list(x) else x
  ss <- standardizedSolution(fit, type = "std.lv", zstat = FALSE, pvalue = FALSE, ci = FALSE)
  if (is.null(ss$group)) ss$group <- ifelse(ss$op %in% c(":=", "==", "<", ">"), 0L, 1L)
  imp <- one(lavInspect(fit, "implied"))
  list(resid_cor = resid_of(fit, "cor"),
       std_lv = ss[, c("lhs", "op", "rhs", "group", "est.std", "se")],
       cov_lv = lapply(one(lavInspect(fit, "cov.lv")),
                       function(m) list(names = rownames(m), cov = rows_of(unclass(m)))),
       mean_lv = lapply(one(lavInspect(fit, "mean.lv")), function(m) as.list(m)),
       implied = lapply(imp, function(m) list(names = rownames(m$cov),
                                              cov = rows_of(unclass(m$cov)),
                                              mean = if (is.null(m$mean)) NULL else as.list(m$mean))))
}
add_extras <- function(name, fun, data, model, options = list()) {
  fit <- suppressWarnings(do.call(fun, c(list(model = model, data = read_data(data)), options)))
  if (lavInspect(fit, "converged")) EXTRAS[[name]] <<- extras_of(fit)
}

N_GEN <- as.integer(Sys.getenv("SWEEP16_N", "27"))
for (id in seq_len(N_GEN)) {
  cs <- draw_case(id)
  file <- sprintf("%s.csv.gz", cs$name)
  write_gz(cs$dat, file)
  export_fit(cs$name, "sem", file, cs$model, cs$options, cs$drawn)
  add_extras(cs$name, "sem", file, cs$model, cs$options)
}

# r_09 (an item observed for 9 % of the cases, FIML): lavaan's default nlminb tolerance
# leaves the intercepts about 3e-6 from the optimum (y1, complete, has a raw mean residual
# of -2.7e-6), enough to move standardized mean residuals of about 1e-4 by up to 5 %.
# Refitted with rel.tol = 1e-13 (nlminb then reports false convergence, so lavaan calls the
# fit not converged): the estimates and those residuals.
if (N_GEN >= 9) {
  cs <- draw_case(9)
  f <- suppressWarnings(sem(cs$model, read_data("r_09.csv.gz"), missing = "ml",
                            control = list(rel.tol = 1e-13)))
  pe <- parameterEstimates(f, ci = FALSE)
  writeLines(toJSON(list(control = list(rel.tol = 1e-13), converged = lavInspect(f, "converged"),
                         params = pe[, c("lhs", "op", "rhs", "est")],
                         resid_raw_mean = as.list(residuals(f, "raw")$mean),
                         resid_standardized_mean = as.list(residuals(f, "standardized")$mean)),
                    dataframe = "columns", digits = NA, auto_unbox = TRUE),
             file.path(out, "r_09_tight.json"))
}

# r_19 (the same kind under MLR; y4 observed with another item in fewer than 10 % of the
# cases): lavaan's EM estimate of the unrestricted moments stops at em.h1.tol = 1e-5, about
# 1e-4 from its maximum on y4's row, which moves every kind of residual there.
# Refitted with em.h1.tol = 1e-12: those residuals.
if (N_GEN >= 19) {
  cs <- draw_case(19)
  f <- sem(cs$model, read_data("r_19.csv.gz"), missing = "ml", estimator = "MLR",
           em.h1.tol = 1e-12, em.h1.iter.max = 100000L)
  rr <- residuals(f, "raw")
  rc <- residuals(f, "cor")
  rs <- residuals(f, "standardized")
  rn <- residuals(f, "normalized")
  writeLines(toJSON(list(em.h1.tol = 1e-12, converged = lavInspect(f, "converged"),
                         names = rownames(rr$cov), raw_cov = rows_of(unclass(rr$cov)),
                         cor_cov = rows_of(unclass(rc$cov)),
                         standardized_cov = rows_of(unclass(rs$cov)),
                         normalized_cov = rows_of(unclass(rn$cov)),
                         min_coverage = min(lavInspect(f, "coverage"))),
                    digits = NA, auto_unbox = TRUE),
             file.path(out, "r_19_tight_em.json"))
}

if (Sys.getenv("SWEEP16_SKIP_PUBLIC") == "1") quit(save = "no")

# ---- public data ------------------------------------------------------------------------
wcsv <- function(dat, file) write.csv(dat, file.path(ddir, file), row.names = FALSE, na = "")
eu <- as.data.frame(round(100 * diff(log(EuStockMarkets)), 5))
write_gz(eu, "eustock.csv.gz")
gw <- psychTools::globalWarm
gw <- data.frame(govact = gw$govact, posemot = gw$posemot, negemot = gw$negemot,
                 ideology = gw$ideology, age = gw$age / 10, sex = gw$sex)
wcsv(gw, "globalwarm.csv")
un <- carData::UN
un <- data.frame(fertility = un$fertility, lgdp = round(log(un$ppgdp), 5),
                 life = un$lifeExpF / 10, urban = un$pctUrban / 10,
                 infant = round(un$infantMortality / 10, 5))
wcsv(un, "un.csv")
le <- carData::Leinhardt
le <- data.frame(linfant = round(log(le$infant), 5), lincome = round(log(le$income), 5),
                 oil = as.integer(le$oil == "yes"))
wcsv(le, "leinhardt.csv")
st <- carData::States
st <- data.frame(satv = st$SATV / 100, satm = st$SATM / 100, percent = st$percent / 10,
                 dollars = st$dollars, pay = st$pay / 10)
wcsv(st, "states.csv")
orn <- carData::Ornstein
orn <- data.frame(linter = round(log(orn$interlocks + 1), 5),
                  lassets = round(log(orn$assets), 5), nation = as.character(orn$nation))
wcsv(orn, "ornstein.csv")
iq.keys <- c(4, 4, 4, 6, 6, 3, 4, 4, 5, 2, 2, 4, 3, 2, 6, 7)
iq <- as.data.frame(psych::score.multiple.choice(iq.keys, psychTools::iqitems, score = FALSE))
iq <- iq[, 1:8]
names(iq) <- make.names(names(iq))
write_gz(iq, "iqitems.csv.gz")
H <- psych::Holzinger
colnames(H) <- rownames(H) <- make.names(colnames(H))
write.csv(round(H, 6), file.path(ddir, "holzinger14_cov.csv"), row.names = FALSE)
HN <- colnames(H)

export_fit("p_eustock_1f_mlr", "cfa", "eustock.csv.gz", "f =~ DAX + SMI + CAC + FTSE",
           list(estimator = "MLR"))
export_fit("p_eustock_1f_ortho", "cfa", "eustock.csv.gz",
           "f =~ DAX + SMI + CAC + FTSE\nm =~ 1*DAX + 1*SMI\nm ~~ m",
           list(orthogonal = TRUE))
export_fit("p_globalwarm_mg_resid", "sem", "globalwarm.csv",
           "govact ~ negemot + posemot + ideology\nnegemot ~ ideology + age",
           list(group = "sex", group.equal = c("regressions", "residuals")))
export_fit("p_globalwarm_mg_labels", "sem", "globalwarm.csv",
           "negemot ~ c(a, a)*ideology + age\ngovact ~ c(b1, b2)*negemot + ideology\nd := b1 - b2",
           list(group = "sex", estimator = "MLR"))
export_fit("p_un_fiml", "sem", "un.csv",
           "life ~ lgdp + fertility\nfertility ~ lgdp + urban\ninfant ~ lgdp + fertility\nlife ~~ infant",
           list(missing = "ml", fixed.x = FALSE))
export_fit("p_un_single_ind", "sem", "un.csv",
           "fl =~ life\nlife ~~ 0.05*life\nfl ~ lgdp + fertility",
           list(missing = "ml"))
export_fit("p_leinhardt_fiml_mlr", "sem", "leinhardt.csv", "linfant ~ lincome + oil",
           list(missing = "ml", estimator = "MLR"))
export_fit("p_states_fixed_int", "sem", "states.csv",
           "satv ~ percent + dollars\nsatm ~ satv + percent\nsatm ~ 0*1",
           list(meanstructure = TRUE))
export_fit("p_states_path", "sem", "states.csv",
           "satv ~ percent + dollars + pay\nsatm ~ satv + percent")
export_fit("p_ornstein_mg4", "sem", "ornstein.csv", "linter ~ lassets",
           list(group = "nation", group.equal = c("regressions", "residuals")))
export_fit("p_iqitems_ord_stdlv", "cfa", "iqitems.csv.gz",
           paste0("reason =~ ", paste(names(iq)[1:4], collapse = " + "),
                  "\nletter =~ ", paste(names(iq)[5:8], collapse = " + ")),
           list(ordered = names(iq), std.lv = TRUE))
export_fit("p_iqitems_ord_theta", "cfa", "iqitems.csv.gz",
           paste0("reason =~ ", paste(names(iq)[1:4], collapse = " + "),
                  "\nletter =~ ", paste(names(iq)[5:8], collapse = " + ")),
           list(ordered = names(iq), parameterization = "theta"))
for (nm in c("p_eustock_1f_mlr", "p_globalwarm_mg_resid", "p_un_fiml", "p_states_fixed_int",
              "p_ornstein_mg4", "p_iqitems_ord_stdlv")) {
  ref <- fromJSON(file.path(out, paste0(nm, ".json")), simplifyVector = TRUE)
  add_extras(nm, ref$fun, ref$data, ref$model, ref$options)
}
hmod <- paste0("sp =~ ", paste(HN[1:6], collapse = " + "), "\nms =~ ",
               paste(HN[7:10], collapse = " + "), "\nvb =~ ", paste(HN[11:14], collapse = " + "))
export_cov("p_holzinger14_ortho", "cfa", "holzinger14_cov.csv", 355L, hmod,
           list(orthogonal = TRUE))
export_cov("p_holzinger14_bifactor", "cfa", "holzinger14_cov.csv", 355L,
           paste0(hmod, "\ng =~ ", paste(HN, collapse = " + ")),
           list(orthogonal = TRUE, std.lv = TRUE))
# one variable, intercept only: a saturated model whose baseline is saturated too
# (chisq 0 on 0 df for both; lavaan sets a negative statistic to 0, and IFI and CRMR
# without means have nothing to divide by)
export_fit("p_globalwarm_one_variable", "sem", "globalwarm.csv", "govact ~ 1")
# an upper bound active at the solution (a < 0.5 with a about 0.9 free): the bound acts
# as an equality constraint for the SEs and the standardized residuals
export_fit("r_05_upper_bound", "sem", "r_05.csv.gz",
           "f1 =~ y1 + a*y2 + y3\nf2 =~ y4 + y5 + y6\na < 0.5")

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
  tests <- lapply(objs, function(o) as.list(fitMeasures(o, c("chisq", "df", "chisq.scaled", "df.scaled")[c(TRUE, TRUE, lavInspect(o, "options")$test != "standard", lavInspect(o, "options")$test != "standard")])))
  t <- as.data.frame(tab$value)
  res <- list(kind = "lrt", data = data, fits = fits, method = method, tests = tests,
              table = list(chisq_diff = t[["Chisq diff"]], df_diff = t[["Df diff"]],
                           pvalue = t[["Pr(>Chisq)"]]),
              warnings = tab$warnings)
  writeLines(toJSON(res, digits = NA, na = "null", auto_unbox = TRUE, null = "null"),
             file.path(out, paste0("lrt_", name, ".json")))
  cat("lrt_", name, "\n", sep = "")
}
if (N_GEN >= 22) {
  m <- draw_case(12)$model  # mg_resid, MLR
  base <- list(estimator = "MLR", group = "g")
  fits <- list(list(model = m, options = base),
               list(model = m, options = c(base, list(group.equal = "loadings"))),
               list(model = m, options = c(base, list(group.equal = c("loadings", "intercepts"),
                                                      group.partial = "y3 ~ 1"))),
               list(model = m, options = c(base, list(group.equal = c("loadings", "intercepts", "residuals"),
                                                      group.partial = "y3 ~ 1"))))
  export_lrt("r_12_mlr", "r_12.csv.gz", fits)
  export_lrt("r_12_mlr_sb2010", "r_12.csv.gz", fits, method = "satorra.bentler.2010")
  m <- draw_case(22)$model  # mg_resid with missing values: MLR and FIML
  base <- list(estimator = "MLR", group = "g", missing = "ml")
  export_lrt("r_22_fiml_mlr", "r_22.csv.gz",
             list(list(model = m, options = base),
                  list(model = m, options = c(base, list(group.equal = c("loadings", "residuals"))))))
  m <- draw_case(10)$model  # ordered, two groups, std.lv
  base <- list(group = "g", ordered = paste0("y", 1:6), std.lv = TRUE)
  export_lrt("r_10_wlsmv", "r_10.csv.gz",
             list(list(model = m, options = c(base, list(group.equal = "thresholds"))),
                  list(model = m, options = c(base, list(group.equal = c("thresholds", "loadings"))))))
  m <- draw_case(4)$model  # three groups of unequal sizes, ML
  export_lrt("r_04_ml", "r_04.csv.gz",
             list(list(model = m, options = list(group = "g")),
                  list(model = m, options = list(group = "g", group.equal = "loadings")),
                  list(model = m, options = list(group = "g", group.equal = c("loadings", "intercepts", "regressions")))))
}
