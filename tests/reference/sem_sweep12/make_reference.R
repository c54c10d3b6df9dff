# Reference fits of the twelfth parity sweep: random models aimed at what the earlier
# sweeps did not cover (defined parameters, equality and inequality constraints, fixed
# values and start(), second-order factors, empty categories, a variable missing for more
# than half the cases, cluster=, equal residuals across groups) and public data bundled
# with R packages that no sweep used before.
#
# Run from the repository root:
#   Rscript tests/reference/sem_sweep12/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, MASS, AER, carData, mlmRev, sem, semTools, psych and
# psychTools (data only) and jsonlite.
# Deterministic: every generated case sets its own seed (set.seed(12000 + id)); the script
# rewrites the same files byte for byte.
#
# Data written to tests/reference/sem_sweep12/data/ (the fits read them back):
#   r_NN.csv.gz     generated case NN: continuous values rounded to 3 decimals, ordered
#                   items as integer codes, group column g, cluster column cl, NA missing
#   caschools.csv, caschools_k.csv (expenditure in thousands), star.csv.gz, bdf.csv.gz,
#   gcsemv.csv, hsb82.csv.gz, cnes.csv, spi.csv.gz, msq.csv.gz, ability.csv,
#   epibfi.csv, mroz.csv, prestige.csv, prestige_k.csv (income in thousands),
#   slid.csv.gz, sitka.csv, dat2way.csv, exlong.csv, teaching.csv, cps.csv, whiteside.csv   (see "public data")
#   bechtoldt1_cov.csv   psych::Bechtoldt.1 (fitted from sample.cov, N = 212)
#
# The generated set (cases r_01 .. r_NN; SWEEP12_N, default 33) cycles through 11 kinds:
#   rev_stdlv     factor 1's FIRST indicator (the marker) reverse-keyed, in a third of the
#                 cases also weak (|loading| 0.15-0.25); std.lv = TRUE or the marker; ML
#                 or MLR
#   defined       f1 -> f2 -> f3 with labels a, b, c and ab := a*b, total := c + ab,
#                 prop := ab / total; ML or MLR, FIML in some
#   eq_constr     equal loadings by a shared label, l5 == l6 and, in two of three, the
#                 inequality v1 > 0.05 on a residual variance (ML, complete data)
#   fixed_start   NA* on a marker with 1* on the second item, a fixed loading 0.8*, a
#                 start(0.7)* value, a fixed residual variance, f1 ~~ 0*f3
#   second_order  three first-order factors under g; factor 1's marker reverse-keyed;
#                 std.lv or the markers; ML or MLR
#   ord_empty     one group, ordered items of 2-7 categories: an empty middle category
#                 (codes 1, 2, 4, 5), codes starting at 0, a top category of 3-6 cases;
#                 WLSMV, std.lv in some
#   fiml_heavy    FIML: one item missing for 55-70 % of the cases (MAR in some), 2-4
#                 respondents with every value missing, 3-6 with a single value; ML or MLR
#   mlr_cluster   MLR with cluster= (clusters of 2-8 cases, a cluster effect on the
#                 factors), half with FIML
#   mg_equal      2-3 groups; group.equal loadings + intercepts + residuals, or loadings +
#                 intercepts + means, or loadings + lv.variances + residual.covariances,
#                 with one group.partial; ML or MLR
#   small_heywood two factors at N 40-80 with an item of loading 0.95-0.99; std.lv or not
#   mimic_single  a single-indicator factor (residual variance fixed), two covariates (one
#                 on a badly scaled raw unit, variance about 1e5), a correlated residual;
#                 ML or MLR
# N is drawn small (40-120), medium (150-800) or large (1500); ordered items and groups
# get at least 300 cases.  A quarter of the continuous cases multiply one item by 40 (a
# badly scaled indicator).
#
# Each <case>.json holds what tests/reference/sem_common/sweep_helpers.R writes: the call,
# lavaan's warnings and convergence, parameterEstimates() (est, se), standardizedSolution()
# (est.std, se), fitMeasures(), lavInspect(, "r2"), residuals() of three types per group and
# modindices() (mi, epc, sepc.all) with its warnings, or the error lavaan gives.
suppressMessages({library(lavaan); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/sem_sweep12"
ddir <- file.path(out, "data")
dir.create(ddir, showWarnings = FALSE, recursive = TRUE)

# ---- helpers: tests/reference/sem_common/sweep_helpers.R ----------------------------
options(sweep.extras = TRUE)  # R² and the warnings of modindices() too
source("tests/reference/sem_common/sweep_helpers.R")

# ---- the generated set ------------------------------------------------------------------
KINDS <- c("rev_stdlv", "defined", "eq_constr", "fixed_start", "second_order", "ord_empty",
           "fiml_heavy", "mlr_cluster", "mg_equal", "small_heywood", "mimic_single")

fmt_num <- function(v) formatC(v, digits = 3, format = "f")

cut_items <- function(z, k) {
  probs <- sort(runif(k - 1, 0.08, 0.92))
  while (k > 2 && min(diff(c(0, probs, 1))) < 0.05) probs <- sort(runif(k - 1, 0.08, 0.92))
  findInterval(z, qnorm(probs)) + 1
}

draw_case <- function(id) {
  set.seed(12000 + id)
  kind <- KINDS[(id - 1) %% length(KINDS) + 1]
  nth <- (id - 1) %/% length(KINDS) + 1
  size <- sample(c("small", "medium", "large"), 1, prob = c(0.3, 0.55, 0.15))
  N <- switch(size, small = sample(40:120, 1),
              medium = round(exp(runif(1, log(150), log(800)))), large = 1500L)
  ordinal <- kind == "ord_empty"
  if (ordinal && N < 300) N <- sample(300:800, 1)
  if (kind %in% c("mg_equal", "mlr_cluster", "fiml_heavy") && N < 300) N <- sample(300:700, 1)
  if (kind == "small_heywood") N <- sample(40:80, 1)
  if (kind == "defined" && N < 150) N <- sample(150:500, 1)
  nf <- switch(kind, defined = 3L, second_order = 3L, small_heywood = 2L,
               fixed_start = 3L, eq_constr = 2L, sample(2:3, 1))
  ni <- switch(kind, second_order = rep(3L, 3), small_heywood = rep(3L, 2),
               eq_constr = rep(3L, 2), ord_empty = sample(4:6, nf, replace = TRUE),
               sample(3:5, nf, replace = TRUE))
  p <- sum(ni)
  item <- rep(seq_len(nf), ni)
  first <- match(seq_len(nf), item)
  lam <- runif(p, 0.5, 0.9) * sample(c(-1, 1), p, replace = TRUE, prob = c(0.15, 0.85))
  lam[first] <- abs(lam[first])
  weak <- FALSE
  if (kind %in% c("rev_stdlv", "second_order")) {
    lam[first[1]] <- -lam[first[1]]
    if (kind == "rev_stdlv" && nth == 1) {
      weak <- TRUE
      lam[first[1]] <- -runif(1, 0.15, 0.25)
    }
  }
  if (kind == "ord_empty" && nth == 2) lam[first[1]] <- -lam[first[1]]
  if (kind == "small_heywood") lam[first[2] + 1] <- runif(1, 0.95, 0.99)
  ngroups <- if (kind == "mg_equal") sample(2:3, 1) else 1L
  g <- sort(sample(seq_len(ngroups), N, replace = TRUE))
  # latent scores: a chain f1 -> f2 -> f3 (defined), a common g (second_order), else
  # correlated
  eta <- matrix(rnorm(N * nf), N, nf)
  if (kind == "defined") {
    eta[, 2] <- 0.5 * eta[, 1] + sqrt(0.75) * eta[, 2]
    eta[, 3] <- 0.4 * eta[, 2] + 0.25 * eta[, 1] + sqrt(0.7) * eta[, 3]
  } else if (kind == "second_order") {
    gen <- rnorm(N)
    gl <- runif(3, 0.6, 0.85)
    for (k in 1:3) eta[, k] <- gl[k] * gen + sqrt(1 - gl[k]^2) * eta[, k]
  } else if (nf > 1) {
    for (k in 2:nf) eta[, k] <- 0.45 * eta[, k - 1] + sqrt(1 - 0.45^2) * eta[, k]
  }
  cl <- NULL
  if (kind == "mlr_cluster") {
    sizes <- integer()
    while (sum(sizes) < N) sizes <- c(sizes, sample(2:8, 1))
    cl <- rep(seq_along(sizes), sizes)[seq_len(N)]
    u <- matrix(rnorm(length(sizes) * nf, sd = 0.6), length(sizes), nf)
    eta <- eta + u[cl, , drop = FALSE]
  }
  x <- NULL
  s <- NULL
  if (kind == "mimic_single") {
    x <- cbind(x1 = rnorm(N, 50000, 300), x2 = rbinom(N, 1, 0.35))  # x1 badly scaled
    s <- rnorm(N)
    eta[, 1] <- eta[, 1] + 0.002 * (x[, 1] - 50000) + 0.4 * x[, 2] + 0.4 * s
  }
  eta <- eta + outer((g - 1) * 0.35, rep(1, nf))
  theta <- pmax(1 - lam^2, 0.02)
  lamg <- matrix(lam, N, p, byrow = TRUE)
  nu <- matrix(0, N, p)
  thetag <- matrix(sqrt(theta), N, p, byrow = TRUE)
  if (kind == "mg_equal") {  # group 2: item 2 of factor 1 loads less, item 3's residual larger
    lamg[g == 2, 2] <- lamg[g == 2, 2] * 0.5
    thetag[g == 2, 3] <- thetag[g == 2, 3] * 1.6
    nu[g == 2, p] <- 0.6
  }
  y <- eta[, item] * lamg + nu + matrix(rnorm(N * p), N, p) * thetag
  corres <- NULL
  if (kind %in% c("mimic_single", "mg_equal") || (kind == "rev_stdlv" && nth == 2)) {
    e <- rnorm(N) * 0.4
    y[, 2] <- y[, 2] + e
    y[, p] <- y[, p] + e
    corres <- list(c(2, p))
  }
  ynames <- paste0("y", seq_len(p))
  ncat <- NA
  scaled_item <- NA
  if (ordinal) {
    ncat <- rep(c(2L, 3L, 4L, 5L, 6L, 7L), length.out = p)[sample(p)]
    for (j in seq_len(p)) y[, j] <- cut_items(as.numeric(scale(y[, j])), ncat[j])
    j5 <- which(ncat >= 5)[1]
    y[y[, j5] == 3, j5] <- 2  # an empty middle category: codes 1, 2, 4, 5, ...
    j0 <- which(ncat == 3)[1]
    y[, j0] <- y[, j0] - 1  # codes 0, 1, 2
    j7 <- which(ncat == 7)[1]
    top <- order(y[, j7] + runif(N), decreasing = TRUE)
    y[, j7] <- pmin(y[, j7], 6)
    y[top[seq_len(sample(3:6, 1))], j7] <- 7  # a sparse top category
  } else {
    y <- y + matrix(runif(p, -1, 3), N, p, byrow = TRUE)
    y <- y * matrix(runif(p, 0.6, 2.5), N, p, byrow = TRUE)
    if (runif(1) < 0.25) {
      scaled_item <- sample(p, 1)
      y[, scaled_item] <- 40 * y[, scaled_item]
    }
    y <- round(y, 3)
  }
  dat <- as.data.frame(y)
  names(dat) <- ynames
  if (!is.null(s)) dat$s1 <- round(10 + 3 * (s + rnorm(N, sd = 0.4)), 3)
  if (!is.null(x)) {
    dat$x1 <- round(x[, 1], 1)
    dat$x2 <- x[, 2]
  }
  miss <- FALSE
  if (kind == "fiml_heavy" || (kind %in% c("defined", "mlr_cluster") && runif(1) < 0.5)) {
    miss <- TRUE
    drive <- as.numeric(scale(dat[[1]]))
    for (j in 2:p) dat[[j]][runif(N) < runif(1, 0.03, 0.15)] <- NA
    if (kind == "fiml_heavy") {
      j <- sample(2:p, 1)
      rate <- runif(1, 0.55, 0.7)
      if (nth != 1) {
        dat[[j]][runif(N) < plogis(qlogis(rate) + 0.8 * drive)] <- NA
      } else {
        dat[[j]][runif(N) < rate] <- NA
      }
      rows <- sample(N, sample(5:10, 1))
      empty <- rows[seq_len(sample(2:4, 1))]
      dat[empty, ynames] <- NA
      for (r in setdiff(rows, empty)) dat[r, setdiff(ynames, sample(ynames, 1))] <- NA
    }
  }
  if (ngroups > 1) dat$g <- g
  if (!is.null(cl)) dat$cl <- cl
  # the model
  lines <- character()
  std_lv <- FALSE
  est <- if (runif(1) < 0.5) "MLR" else "ML"
  opts <- list()
  lab <- function(k, j) paste0(ynames[which(item == k)], collapse = " + ")
  if (kind == "eq_constr") {
    lines <- c("f1 =~ y1 + l2*y2 + l2*y3", "f2 =~ y4 + l5*y5 + l6*y6", "l5 == l6",
               "y1 ~~ v1*y1")
    if (nth != 3) lines <- c(lines, "v1 > 0.05")
    est <- "ML"
  } else if (kind == "fixed_start") {
    i1 <- which(item == 1)
    i2 <- which(item == 2)
    i3 <- which(item == 3)
    t1 <- paste0("NA*", ynames[i1[1]], " + 1*", ynames[i1[2]])
    if (length(i1) > 2) t1 <- paste0(t1, " + start(0.7)*", ynames[i1[3]])
    if (length(i1) > 3) t1 <- paste0(t1, " + ", paste0(ynames[i1[-(1:3)]], collapse = " + "))
    t2 <- paste0(ynames[i2[1]], " + 0.8*", ynames[i2[2]])
    if (length(i2) > 2) t2 <- paste0(t2, " + ", paste0(ynames[i2[-(1:2)]], collapse = " + "))
    lines <- c(paste0("f1 =~ ", t1), paste0("f2 =~ ", t2), paste0("f3 =~ ", lab(3)),
               sprintf("%s ~~ %s*%s", ynames[i3[1]], fmt_num(0.5 * var(dat[[i3[1]]], na.rm = TRUE)),
                       ynames[i3[1]]),
               "f1 ~~ 0*f3", "f2 ~~ start(0.3)*f2")
  } else {
    for (k in seq_len(nf)) lines <- c(lines, paste0("f", k, " =~ ", lab(k)))
  }
  if (kind == "defined") {
    lines <- c(lines, "f2 ~ a*f1", "f3 ~ b*f2 + c*f1", "ab := a*b", "total := c + ab",
               "prop := ab / total")
  }
  if (kind == "second_order") lines <- c(lines, "g =~ f1 + f2 + f3")
  if (kind %in% c("rev_stdlv", "second_order", "small_heywood", "ord_empty")) {
    std_lv <- runif(1) < 0.5
  }
  if (kind == "rev_stdlv" && nth == 1) std_lv <- FALSE  # the weak reverse-keyed marker
  if (kind == "mimic_single") {
    lines <- c(lines, "fs =~ s1", sprintf("s1 ~~ %s*s1", fmt_num(0.15 * var(dat$s1))),
               "f1 ~ fs + x1 + x2")
    if (nf > 2) lines <- c(lines, "f3 ~ f2")
  }
  if (!is.null(corres)) {
    for (pr in corres) lines <- c(lines, paste0(ynames[pr[1]], " ~~ ", ynames[pr[2]]))
  }
  if (kind == "mlr_cluster") {
    est <- "MLR"
    opts$cluster <- "cl"
  }
  if (kind %in% c("small_heywood", "ord_empty")) est <- "ML"
  if (ordinal) est <- "WLSMV"
  if (est != "ML") opts$estimator <- est
  if (miss) opts$missing <- "ml"
  if (ordinal) opts$ordered <- ynames
  if (std_lv) opts$std.lv <- TRUE
  ge <- NULL
  if (ngroups > 1) {
    opts$group <- "g"
    ge <- switch(nth, c("loadings", "intercepts", "residuals"),
                 c("loadings", "intercepts", "means"),
                 c("loadings", "lv.variances", "residual.covariances"))
    opts$group.equal <- ge
    opts$group.partial <- switch(nth, paste0(ynames[3], " ~~ ", ynames[3]), "f1 =~ y2",
                                 "f1 =~ y2")
  }
  file <- sprintf("r_%02d.csv.gz", id)
  write_gz(dat, file)
  list(name = sprintf("r_%02d", id), fun = "sem", data = file,
       model = paste(lines, collapse = "\n"), options = opts,
       drawn = list(kind = kind, size = size, N = N, nf = nf, ni = ni, lambda = round(lam, 3),
                    weak_marker = weak, ncat = ncat, missing = miss,
                    scaled_item = scaled_item, group_sizes = as.list(as.integer(table(g)))))
}

N_GEN <- as.integer(Sys.getenv("SWEEP12_N", "33"))
for (id in seq_len(N_GEN)) {
  cs <- draw_case(id)
  ok <- export_fit(cs$name, cs$fun, cs$data, cs$model, cs$options, cs$drawn)
  # where nlminb stops short, lavaan's other optimizer (BFGS) from the same start:
  # <case>_bfgs.json, the reference for ours
  if (!ok) export_fit(paste0(cs$name, "_bfgs"), cs$fun, cs$data, cs$model,
                      c(cs$options, list(optim.method = "BFGS")), cs$drawn)
}

# ---- public data ------------------------------------------------------------------------
# Kept as published unless said here: factors written as 0/1 (two levels) or by their
# labels (groups, clusters), ordered items by integer codes in their natural order.
suppressMessages({library(MASS); library(AER)})
wcsv <- function(dat, file) write.csv(dat, file.path(ddir, file), row.names = FALSE, na = "")
data("CASchools", package = "AER")
cas <- CASchools[, c("read", "math", "lunch", "calworks", "income", "expenditure", "english")]
wcsv(cas, "caschools.csv")
cas$expenditure <- cas$expenditure / 1000  # thousands of dollars
wcsv(cas, "caschools_k.csv")
data("STAR", package = "AER")
st <- STAR[seq(1, nrow(STAR), by = 4), c("readk", "read1", "read2", "read3", "mathk", "math1",
                                          "math2", "math3", "schoolid1")]
st$schoolid1 <- as.character(st$schoolid1)
write_gz(st, "star.csv.gz")  # every fourth pupil; readk is missing for half of them
bdf <- mlmRev::bdf[, c("schoolNR", "IQ.verb", "IQ.perf", "langPRET", "langPOST", "aritPRET",
                       "aritPOST", "ses")]
bdf$schoolNR <- as.character(bdf$schoolNR)
write_gz(bdf, "bdf.csv.gz")
gc <- mlmRev::Gcsemv
gc$male <- as.integer(gc$gender == "M")
wcsv(gc[, c("school", "male", "written", "course")], "gcsemv.csv")
hsb <- mlmRev::Hsb82
hsb$school <- as.character(hsb$school)
hsb$minrty <- as.integer(hsb$minrty == "Yes")
hsb$female <- as.integer(hsb$sx == "Female")
write_gz(hsb[, c("school", "sector", "minrty", "female", "ses", "mAch")], "hsb82.csv.gz")
data("CNES", package = "sem")
cn <- as.data.frame(lapply(CNES, as.integer))
wcsv(cn, "cnes.csv")
SPI <- c("q_312", "q_1904", "q_4243", "q_565", "q_1416", "q_1452", "q_1290", "q_1744", "q_904",
         "q_1915")
write_gz(psychTools::spi[seq(1, 4000, by = 4), SPI], "spi.csv.gz")  # every fourth of 4000
MSQ <- c("sleepy", "active", "alert", "inactive", "energetic", "idle", "kindly", "calm",
         "relaxed", "at.ease", "tranquil")
ms <- psychTools::msq[seq(1, 3896, by = 3), MSQ]  # every third respondent
names(ms) <- make.names(names(ms))
write_gz(ms, "msq.csv.gz")
ABI <- c("reason.4", "reason.16", "reason.17", "reason.19", "letter.7", "letter.33",
         "letter.34", "letter.58")
ab <- as.data.frame(psychTools::ability[, ABI])
names(ab) <- sub(".", "_", names(ab), fixed = TRUE)
wcsv(ab, "ability.csv")
wcsv(psychTools::epi.bfi, "epibfi.csv")
mz <- carData::Mroz
mz$wc <- as.integer(mz$wc == "yes")
mz$hc <- as.integer(mz$hc == "yes")
wcsv(mz[, c("lfp", "k5", "k618", "age", "wc", "hc", "lwg", "inc")], "mroz.csv")
pr <- carData::Prestige[, c("education", "income", "women", "prestige")]
wcsv(pr, "prestige.csv")
pr$income <- pr$income / 1000  # thousands of dollars
wcsv(pr, "prestige_k.csv")
sl <- carData::SLID[seq(1, nrow(carData::SLID), by = 6), ]
sl$male <- as.integer(sl$sex == "Male")
write_gz(sl[, c("wages", "education", "age", "male")], "slid.csv.gz")
sk <- reshape(as.data.frame(MASS::Sitka)[, c("tree", "Time", "size", "treat")],
              idvar = c("tree", "treat"), timevar = "Time", direction = "wide")
names(sk) <- sub("size.", "t", names(sk), fixed = TRUE)
wcsv(sk, "sitka.csv")
wcsv(round(semTools::dat2way[1:500, ], 6), "dat2way.csv")
wcsv(semTools::exLong, "exlong.csv")
data("TeachingRatings", package = "AER")
tr <- TeachingRatings
tr$female <- as.integer(tr$gender == "female")
tr$prof <- as.character(tr$prof)
wcsv(tr[, c("prof", "eval", "beauty", "age", "female")], "teaching.csv")
data("CPS1985", package = "AER")
wcsv(CPS1985[, c("wage", "education", "experience", "age")], "cps.csv")
wcsv(MASS::whiteside, "whiteside.csv")
b1 <- psych::Bechtoldt.1
write.csv(round(b1, 6), file.path(ddir, "bechtoldt1_cov.csv"), row.names = FALSE)

CAS <- 'ach =~ read + math
ses =~ lunch + calworks + income
ach ~ ses + expenditure'
export_fit("p_caschools_expend", "sem", "caschools.csv", CAS)
export_fit("p_caschools_k_expend", "sem", "caschools_k.csv", CAS)
export_fit("p_caschools_english_mlr", "sem", "caschools.csv", 'ach =~ read + math
ses =~ income + lunch + calworks
ach ~ ses + english
lunch ~~ calworks', list(estimator = "MLR", std.lv = TRUE))
export_fit("p_star_growth_fiml", "growth", "star.csv.gz",
           'i =~ 1*readk + 1*read1 + 1*read2 + 1*read3
s =~ 0*readk + 1*read1 + 2*read2 + 3*read3', list(missing = "ml", estimator = "MLR"))
export_fit("p_star_two_fiml", "cfa", "star.csv.gz", 'read =~ readk + read1 + read2 + read3
math =~ mathk + math1 + math2 + math3
readk ~~ mathk
read1 ~~ math1', list(missing = "ml"))
export_fit("p_bdf_cluster", "sem", "bdf.csv.gz", 'iq =~ IQ.verb + IQ.perf
ach =~ langPOST + aritPOST
ach ~ iq + ses', list(estimator = "MLR", cluster = "schoolNR"))
export_fit("p_bdf_prepost_defined", "sem", "bdf.csv.gz", 'langPOST ~ a*langPRET + c*IQ.verb
langPRET ~ b*IQ.verb
ind := a*b
tot := c + a*b')
export_fit("p_gcsemv_fiml_cluster", "sem", "gcsemv.csv", 'written ~ male
course ~ written + 0*male', list(estimator = "MLR", missing = "ml", cluster = "school"))
export_fit("p_hsb82_mg_cluster", "sem", "hsb82.csv.gz", 'mAch ~ ses + minrty + female',
           list(estimator = "MLR", cluster = "school", group = "sector",
                group.equal = "regressions", group.partial = "mAch ~ minrty"))
export_fit("p_cnes_ord", "cfa", "cnes.csv", 'f =~ MBSA2 + MBSA7 + MBSA8 + MBSA9',
           list(ordered = names(cn)))
export_fit("p_cnes_ord_stdlv", "cfa", "cnes.csv", 'f =~ MBSA7 + MBSA2 + MBSA8 + MBSA9',
           list(ordered = names(cn), std.lv = TRUE))
export_fit("p_spi_ord_pairwise", "cfa", "spi.csv.gz",
           'ext =~ q_312 + q_1904 + q_4243 + q_565 + q_1416
con =~ q_1452 + q_1290 + q_1744 + q_904 + q_1915', list(ordered = SPI, missing = "pairwise"))
export_fit("p_spi_mlr_rev", "cfa", "spi.csv.gz",
           'ext =~ q_312 + q_1904 + q_4243 + q_565 + q_1416
con =~ q_1452 + q_1290 + q_1744 + q_904 + q_1915', list(estimator = "MLR"))
export_fit("p_msq_fiml_mlr", "cfa", "msq.csv.gz",
           'ea =~ sleepy + active + alert + inactive + energetic + idle
relax =~ kindly + calm + relaxed + at.ease + tranquil', list(missing = "ml", estimator = "MLR"))
export_fit("p_ability_ord_pairwise", "cfa", "ability.csv",
           'reason =~ reason_4 + reason_16 + reason_17 + reason_19
letter =~ letter_7 + letter_33 + letter_34 + letter_58',
           list(ordered = sub(".", "_", ABI, fixed = TRUE), missing = "pairwise"))
export_fit("p_epibfi_2f", "cfa", "epibfi.csv", 'ext =~ epiE + epiS + epiImp + bfext
neur =~ epiNeur + bfneur + traitanx + bdi + stateanx
traitanx ~~ stateanx')
export_fit("p_mroz_mg", "sem", "mroz.csv", 'lwg ~ k5 + age + wc
inc ~ lwg + hc', list(group = "lfp", group.equal = "regressions",
                      group.partial = "lwg ~ age"))
export_fit("p_prestige_status", "sem", "prestige.csv", 'status =~ prestige + education + income
status ~ women')
export_fit("p_prestige_k_status", "sem", "prestige_k.csv", 'status =~ prestige + education + income
status ~ women')
export_fit("p_slid_fiml_fixedx", "sem", "slid.csv.gz", 'wages ~ education + age + male',
           list(missing = "ml"))
export_fit("p_slid_fiml_free_x", "sem", "slid.csv.gz", 'wages ~ education + age + male',
           list(missing = "ml", fixed.x = FALSE))
export_fit("p_sitka_growth_mg", "growth", "sitka.csv",
           'i =~ 1*t152 + 1*t174 + 1*t201 + 1*t227 + 1*t258
s =~ 0*t152 + 0.22*t174 + 0.49*t201 + 0.75*t227 + 1.06*t258',
           list(group = "treat", group.equal = "loadings"))
export_fit("p_dat2way_mlr", "sem", "dat2way.csv", 'f1 =~ x1 + x2 + x3
f2 =~ x4 + x5 + x6
f3 =~ x7 + x8 + x9
f3 ~ b1*f1 + b2*f2
b1 == b2', list(estimator = "MLR"))
export_fit("p_exlong_mg", "cfa", "exlong.csv", 'f1 =~ y1t1 + l2*y2t1 + l3*y3t1
f2 =~ y1t2 + l2*y2t2 + l3*y3t2
f3 =~ y1t3 + l2*y2t3 + l3*y3t3
y1t1 ~~ y1t2 + y1t3
y1t2 ~~ y1t3', list(group = "sex", group.equal = c("loadings", "intercepts")))
export_fit("p_teaching_cluster", "sem", "teaching.csv", 'eval ~ beauty + age + female',
           list(estimator = "MLR", cluster = "prof"))
export_fit("p_cps_collinear", "sem", "cps.csv", 'wage ~ education + experience + age')
export_fit("p_whiteside_mg", "sem", "whiteside.csv", 'Gas ~ Temp',
           list(group = "Insul", group.equal = "intercepts"))
export_cov("p_bechtoldt1_2nd", "cfa", "bechtoldt1_cov.csv", 212L,
           'verbal =~ Sentences + Vocabulary + Completion
fluency =~ First_Letters + Four_letter_words + Suffixes
space =~ Flags + Figures + Cards
number =~ Addition + Multiplication + Three_Higher
reason =~ Letter_Series + Pedigrees + Letter_Grouping
g =~ verbal + fluency + space + number + reason')
