# Reference fits of the eleventh parity sweep: random models aimed at what earlier sweeps
# may have missed, and public data bundled with R that no sweep used before.
#
# Run from the repository root:
#   Rscript tests/reference/sem_sweep11/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, MASS and semTools (data only) and jsonlite.
# Deterministic: every generated case sets its own seed (set.seed(11000 + id)); the script
# rewrites the same files byte for byte.
#
# Data written to tests/reference/sem_sweep11/data/ (the fits read them back):
#   r_NN.csv.gz     generated case NN: continuous values rounded to 3 decimals, ordered
#                   items as integer codes 1..k, group column g, NA missing
#   boston.csv, uscrime.csv, cars93.csv, biopsy.csv, pima.csv, birthwt.csv,
#   survey.csv, crabs.csv, painters.csv, uscereal.csv, hills.csv, cats.csv,
#   nlschools.csv, anorexia.csv, chick_wide.csv   (MASS and datasets; see the section
#                   "public data" for what each keeps)
#   hills_kft.csv, birthwt_kg.csv   hills with climb in thousands of feet, birthwt with
#                   bwt in kilograms: where lavaan's numerics fail on the raw scale
#   harman23_cov.csv   datasets::Harman23.cor (fitted from sample.cov, N = 305)
#   simparcel.csv, datcat.csv   semTools' example data
#
# The generated set (cases r_01 .. r_NN; SWEEP11_N, default 33) cycles through 11 kinds:
#   rev_ml       the FIRST indicator (the marker) of factor 1 reverse-keyed (negative
#                loading), other markers too with probability 0.5; ML
#   rev_mlr      the same with MLR
#   rev_wlsmv    the same on ordered items of 2, 3, 5 and 7 categories; WLSMV
#   weak_marker  factor 1's marker loads 0.12-0.25 (standardized); ML or MLR
#   fiml         missing = "ml" with MCAR (5-20 %) on several items, MAR on one, and 1-3
#                respondents with every value missing; ML or MLR
#   ord_mg       two groups, ordered items of 2, 3, 5 and 7 categories, group.equal
#                thresholds and loadings; in the first case of the kind a category is
#                unused in group 2 (lavaan refuses it: the case records the error)
#   mg_partial   2-3 groups, group.equal = c("loadings", "intercepts") with group.partial
#                freeing one loading and one intercept that do differ in the data
#   stdlv_corres std.lv = TRUE with one or two correlated residuals
#   single_reg   a latent regression whose predictor is a single-indicator factor
#                (its residual variance fixed at 0 implicitly, or at a given value)
#   covariates   observed exogenous covariates (one continuous, one binary) predicting
#                the factors, fixed.x TRUE or FALSE; half with missing = "ml" on items
#   heywood      one factor with an item of loading 0.96-0.99 at N 50-90: the sample often
#                gives a negative residual variance (lavaan warns; no bounds)
# and draws N: 50 exactly (20 %), small (60-120), medium (150-800) or large (1500).
#
# Each <case>.json holds: the call (function, data file or covariance file with
# sample.nobs, model, options), lavaan's warnings and convergence, parameterEstimates()
# (est, se), standardizedSolution() (est.std, se), fitMeasures(), lavInspect(, "r2"),
# residuals(type = "raw" / "standardized" / "normalized") per group and modindices()
# (mi, epc, sepc.all) with its warnings, or the error lavaan gives.
suppressMessages({library(lavaan); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/sem_sweep11"
ddir <- file.path(out, "data")
dir.create(ddir, showWarnings = FALSE, recursive = TRUE)

# ---- helpers: tests/reference/sem_common/sweep_helpers.R ----------------------------
options(sweep.extras = TRUE)  # R² and the warnings of modindices() too
source("tests/reference/sem_common/sweep_helpers.R")

# ---- the generated set ------------------------------------------------------------------
KINDS <- c("rev_ml", "rev_mlr", "rev_wlsmv", "weak_marker", "fiml", "ord_mg", "mg_partial",
           "stdlv_corres", "single_reg", "covariates", "heywood")

fmt_num <- function(v) formatC(v, digits = 3, format = "f")

# cut a standardized score into k categories with random, not tiny, proportions
cut_items <- function(z, k) {
  probs <- sort(runif(k - 1, 0.08, 0.92))
  while (k > 2 && min(diff(c(0, probs, 1))) < 0.04) probs <- sort(runif(k - 1, 0.08, 0.92))
  findInterval(z, qnorm(probs)) + 1
}

draw_case <- function(id) {
  set.seed(11000 + id)
  kind <- KINDS[(id - 1) %% length(KINDS) + 1]
  nth <- (id - 1) %/% length(KINDS) + 1  # the how-many-th case of its kind
  size <- sample(c("n50", "small", "medium", "large"), 1, prob = c(0.2, 0.25, 0.4, 0.15))
  N <- switch(size, n50 = 50L, small = sample(60:120, 1),
              medium = round(exp(runif(1, log(150), log(800)))), large = 1500L)
  ordinal <- kind %in% c("rev_wlsmv", "ord_mg")
  if (ordinal && N < 300) N <- sample(300:700, 1)
  if (kind == "mg_partial" && N < 300) N <- sample(300:600, 1)
  if (kind == "weak_marker" && N < 200) N <- sample(200:800, 1)
  if (kind == "heywood") N <- sample(50:90, 1)
  std_lv <- kind == "stdlv_corres"
  nf <- if (kind == "heywood") 1L else sample(2:3, 1)
  ni <- if (kind == "heywood") 3L else sample(3:5, nf, replace = TRUE)
  if (ordinal) ni <- rep(4L, nf)
  p <- sum(ni)
  item <- rep(seq_len(nf), ni)
  first <- match(seq_len(nf), item)
  lam <- runif(p, 0.55, 0.9) * sample(c(-1, 1), p, replace = TRUE, prob = c(0.2, 0.8))
  lam[first] <- abs(lam[first])
  if (kind %in% c("rev_ml", "rev_mlr", "rev_wlsmv")) {
    neg <- c(TRUE, runif(nf - 1) < 0.5)
    lam[first[neg]] <- -lam[first[neg]]
  }
  if (kind == "weak_marker") lam[first[1]] <- runif(1, 0.12, 0.25) * sample(c(-1, 1), 1)
  if (kind == "heywood") lam <- c(runif(1, 0.96, 0.99), runif(2, 0.5, 0.7))
  ngroups <- switch(kind, ord_mg = 2L, mg_partial = sample(2:3, 1), 1L)
  g <- sort(sample(seq_len(ngroups), N, replace = TRUE))
  eta <- matrix(rnorm(N * nf), N, nf)
  if (nf > 1) for (k in 2:nf) eta[, k] <- 0.4 * eta[, k - 1] + sqrt(1 - 0.4^2) * eta[, k]
  # covariates: x1 continuous, x2 binary, both predicting factor 1
  x <- NULL
  if (kind == "covariates") {
    x <- cbind(x1 = rnorm(N, 50, 10), x2 = rbinom(N, 1, 0.4))
    eta[, 1] <- eta[, 1] + 0.04 * (x[, 1] - 50) + 0.5 * x[, 2]
  }
  # a single indicator: s1 measures a factor that predicts factor 2 (or 1)
  s <- NULL
  if (kind == "single_reg") {
    s <- rnorm(N)
    eta[, nf] <- eta[, nf] + 0.5 * s
  }
  eta <- eta + outer((g - 1) * 0.3, rep(1, nf))
  theta <- pmax(1 - lam^2, 0.02)
  lamg <- matrix(lam, N, p, byrow = TRUE)
  nu <- matrix(0, N, p)
  if (kind == "mg_partial") {  # group 2: item 3 of factor 1 loads less, item 2 shifted
    lamg[g == 2, 3] <- lamg[g == 2, 3] * 0.4
    nu[g == 2, 2] <- 0.8
  }
  y <- eta[, item] * lamg + nu + matrix(rnorm(N * p), N, p) * matrix(sqrt(theta), N, p, byrow = TRUE)
  # correlated residuals: a pair within factor 1, sometimes one across factors
  corres <- NULL
  if (kind == "stdlv_corres") {
    e <- rnorm(N) * 0.45
    y[, 2] <- y[, 2] + e
    y[, 3] <- y[, 3] + e
    corres <- list(c(2, 3))
    if (runif(1) < 0.5) {
      e <- rnorm(N) * 0.4
      y[, 1] <- y[, 1] + e
      y[, p] <- y[, p] - e
      corres <- c(corres, list(c(1, p)))
    }
  }
  ynames <- paste0("y", seq_len(p))
  ncat <- NA
  if (ordinal) {
    ncat <- rep(c(2L, 3L, 5L, 7L), length.out = p)[sample(p)]
    for (j in seq_len(p)) y[, j] <- cut_items(as.numeric(scale(y[, j])), ncat[j])
    if (kind == "ord_mg" && nth == 1) {  # a category unused in group 2
      j <- which(ncat == 5)[1]
      y[g == 2 & y[, j] == 5, j] <- 4
    }
  } else {
    y <- y + matrix(runif(p, -1, 3), N, p, byrow = TRUE)
    y <- round(y * matrix(runif(p, 0.6, 2.5), N, p, byrow = TRUE), 3)
  }
  dat <- as.data.frame(y)
  names(dat) <- ynames
  single_fixed <- FALSE
  if (!is.null(s)) {
    dat$s1 <- round(10 + 3 * (s + rnorm(N, sd = 0.4)), 3)
    single_fixed <- runif(1) < 0.5
  }
  if (!is.null(x)) {
    dat$x1 <- round(x[, 1], 2)
    dat$x2 <- x[, 2]
  }
  miss <- FALSE
  if (kind == "fiml" || (kind == "covariates" && runif(1) < 0.5)) {
    miss <- TRUE
    drive <- as.numeric(scale(dat[[1]]))
    for (j in 2:p) {
      rate <- runif(1, 0.05, 0.2)
      if (j == 2) {
        dat[[j]][runif(N) < plogis(qlogis(rate) + 1 * drive)] <- NA  # MAR on y1
      } else {
        dat[[j]][runif(N) < rate] <- NA
      }
    }
    if (kind == "fiml") {
      dat[[1]][runif(N) < 0.05] <- NA
      empty <- sample(N, sample(1:3, 1))
      dat[empty, ynames] <- NA
    }
  }
  if (ngroups > 1) dat$g <- g
  # the model
  lines <- character()
  for (k in seq_len(nf)) {
    idx <- which(item == k)
    lines <- c(lines, paste0("f", k, " =~ ", paste0(ynames[idx], collapse = " + ")))
  }
  if (kind == "single_reg") {
    lines <- c(lines, "fs =~ s1", paste0("f", nf, " ~ fs", if (nf > 2) " + f1" else ""))
    if (single_fixed) lines <- c(lines, sprintf("s1 ~~ %s*s1", fmt_num(0.15 * var(dat$s1))))
  } else if (nf > 1 && runif(1) < 0.4) {
    lines <- c(lines, paste0("f", 2:nf, " ~ f", 1:(nf - 1)))
  }
  if (!is.null(corres)) {
    for (pr in corres) lines <- c(lines, paste0(ynames[pr[1]], " ~~ ", ynames[pr[2]]))
  }
  fixed_x <- NA
  if (kind == "covariates") {
    lines <- c(lines, "f1 ~ x1 + x2")
    fixed_x <- runif(1) < 0.5
  }
  opts <- list()
  est <- switch(kind, rev_ml = "ML", rev_mlr = "MLR", rev_wlsmv = "WLSMV", ord_mg = "WLSMV",
                heywood = "ML", if (runif(1) < 0.5) "MLR" else "ML")
  if (est != "ML") opts$estimator <- est
  if (miss) opts$missing <- "ml"
  if (ordinal) opts$ordered <- ynames
  if (std_lv) opts$std.lv <- TRUE
  if (!is.na(fixed_x) && !fixed_x) opts$fixed.x <- FALSE
  ge <- NULL
  if (ngroups > 1) {
    opts$group <- "g"
    if (kind == "ord_mg") {
      ge <- c("thresholds", "loadings")
    } else {
      ge <- c("loadings", "intercepts")
      opts$group.partial <- c(paste0("f1 =~ ", ynames[3]), paste0(ynames[2], " ~ 1"))
    }
    opts$group.equal <- ge
  }
  file <- sprintf("r_%02d.csv.gz", id)
  write_gz(dat, file)
  list(name = sprintf("r_%02d", id), fun = "sem", data = file,
       model = paste(lines, collapse = "\n"), options = opts,
       drawn = list(kind = kind, size = size, N = N, nf = nf, ni = ni, lambda = round(lam, 3),
                    single_fixed = single_fixed, ncat = ncat, missing = miss,
                    fixed_x = fixed_x, group_sizes = as.list(as.integer(table(g)))))
}

N_GEN <- as.integer(Sys.getenv("SWEEP11_N", "33"))
for (id in seq_len(N_GEN)) {
  cs <- draw_case(id)
  export_fit(cs$name, cs$fun, cs$data, cs$model, cs$options, cs$drawn)
}

# ---- public data ------------------------------------------------------------------------
# Kept as published unless said here: factors written by their labels (groups) or by
# integer codes in their natural order (ordered items); no variable rescaled.
suppressMessages(library(MASS))
wcsv <- function(dat, file) write.csv(dat, file.path(ddir, file), row.names = FALSE, na = "")
wcsv(MASS::UScrime, "uscrime.csv")
wcsv(MASS::Cars93[, c("Price", "Length", "Wheelbase", "Width", "Turn.circle", "Rear.seat.room",
                      "Luggage.room", "Weight", "Horsepower", "Origin")], "cars93.csv")
wcsv(MASS::biopsy[, paste0("V", 1:9)], "biopsy.csv")
pima <- rbind(MASS::Pima.tr, MASS::Pima.te)  # the training and test halves together
wcsv(pima, "pima.csv")
wcsv(MASS::birthwt, "birthwt.csv")
sv <- MASS::survey
sv <- sv[!is.na(sv$Sex), ]  # one respondent without Sex (the group variable) left out
sv$Exer <- as.integer(factor(sv$Exer, levels = c("None", "Some", "Freq")))
sv$Smoke <- as.integer(factor(sv$Smoke, levels = c("Never", "Occas", "Regul", "Heavy")))
wcsv(sv[, c("Sex", "Wr.Hnd", "NW.Hnd", "Height", "Pulse", "Age", "Exer", "Smoke")], "survey.csv")
wcsv(MASS::crabs[, c("sp", "sex", "FL", "RW", "CL", "CW", "BD")], "crabs.csv")
wcsv(MASS::painters, "painters.csv")
wcsv(MASS::UScereal[, c("calories", "protein", "fat", "sodium", "fibre", "carbo", "sugars",
                        "potassium")], "uscereal.csv")
wcsv(MASS::hills, "hills.csv")
wcsv(MASS::cats, "cats.csv")
nls <- MASS::nlschools
nls$class <- as.integer(as.character(nls$class))
wcsv(nls[, c("lang", "IQ", "GS", "SES", "class")], "nlschools.csv")
wcsv(MASS::anorexia, "anorexia.csv")
# ChickWeight in wide form: weight at days 0, 4, ..., 20 of each chick (chicks that died
# or left have the later days missing)
cw <- as.data.frame(ChickWeight)
cw <- cw[cw$Time %in% c(0, 4, 8, 12, 16, 20), ]
wide <- reshape(cw[, c("Chick", "Time", "weight")], idvar = "Chick", timevar = "Time",
                direction = "wide")
wide <- wide[order(as.integer(as.character(wide$Chick))), ]
names(wide) <- sub("weight.", "w", names(wide), fixed = TRUE)
wcsv(wide[, c("w0", "w4", "w8", "w12", "w16", "w20")], "chick_wide.csv")
bos <- MASS::Boston
wcsv(bos[, c("medv", "rm", "lstat", "crim", "nox", "dis", "ptratio")], "boston.csv")
dc <- semTools::datCat
dc[paste0("u", 1:8)] <- lapply(dc[paste0("u", 1:8)], as.integer)
dc$g <- as.character(dc$g)
wcsv(dc, "datcat.csv")
wcsv(round(semTools::simParcel, 6), "simparcel.csv")
h23 <- Harman23.cor$cov
colnames(h23) <- make.names(colnames(h23))
write.csv(round(h23, 6), file.path(ddir, "harman23_cov.csv"), row.names = FALSE)

ORD_SV <- c("Exer", "Smoke")
export_fit("p_uscrime_rev_marker", "cfa", "uscrime.csv", 'wealth =~ Ineq + Ed + Po1 + Po2 + GDP')
export_fit("p_uscrime_path_mlr", "sem", "uscrime.csv", 'y ~ Po1 + Ineq + Ed
Po1 ~ GDP', list(estimator = "MLR"))
CARS <- 'size =~ Length + Wheelbase + Width + Turn.circle + Rear.seat.room + Luggage.room
Price ~ size'
export_fit("p_cars93_fiml", "sem", "cars93.csv", CARS, list(missing = "ml"))
export_fit("p_cars93_fiml_mlr_origin", "sem", "cars93.csv",
           'size =~ Length + Wheelbase + Width + Luggage.room', list(missing = "ml", estimator = "MLR",
           group = "Origin", group.equal = "loadings"))
export_fit("p_biopsy_fiml_mlr", "cfa", "biopsy.csv", 'mal =~ V2 + V3 + V1 + V4 + V5 + V6 + V7 + V8',
           list(missing = "ml", estimator = "MLR"))
export_fit("p_biopsy_ord", "cfa", "biopsy.csv", 'mal =~ V1 + V2 + V3 + V5 + V7',
           list(ordered = c("V1", "V2", "V3", "V5", "V7")))
export_fit("p_pima_mg_partial", "cfa", "pima.csv", 'meta =~ bmi + skin + bp + glu',
           list(group = "type", group.equal = c("loadings", "intercepts"), group.partial = "glu ~ 1"))
export_fit("p_birthwt_fixedx_false_mlr", "sem", "birthwt.csv", 'bwt ~ lwt + age + smoke + ht + ui
lwt ~ age', list(estimator = "MLR", fixed.x = FALSE))
export_fit("p_birthwt_path", "sem", "birthwt.csv", 'bwt ~ lwt + smoke + ht + ui
lwt ~ age + race')
export_fit("p_survey_size_mg_fiml", "cfa", "survey.csv", 'size =~ Height + Wr.Hnd + NW.Hnd',
           list(group = "Sex", group.equal = "loadings", missing = "ml"))
# ordered outcomes on continuous predictors: the engine has no conditional.x probit
# regressions, so the predictors are random (fixed.x = FALSE, conditional.x = FALSE)
export_fit("p_survey_exer_ord", "sem", "survey.csv", 'Exer ~ Pulse + Age
Smoke ~ Age', list(ordered = ORD_SV, fixed.x = FALSE, conditional.x = FALSE))
export_fit("p_crabs_mg_partial", "cfa", "crabs.csv", 'size =~ CL + CW + FL + RW + BD',
           list(group = "sp", group.equal = c("loadings", "intercepts"), group.partial = "RW ~ 1"))
export_fit("p_crabs_stdlv_corres_mlr", "cfa", "crabs.csv", 'size =~ FL + RW + CL + CW + BD
FL ~~ RW', list(std.lv = TRUE, estimator = "MLR"))
export_fit("p_painters", "cfa", "painters.csv", 'art =~ Drawing + Composition + Colour + Expression')
export_fit("p_uscereal_mlr", "sem", "uscereal.csv", 'nutr =~ protein + fibre + potassium
calories ~ nutr + sugars + fat', list(estimator = "MLR"))
export_fit("p_hills_fixedx_false", "sem", "hills.csv", 'time ~ dist + climb', list(fixed.x = FALSE))
export_fit("p_cats_mg", "sem", "cats.csv", 'Hwt ~ Bwt', list(group = "Sex", group.equal = "regressions"))
export_fit("p_nlschools_cluster", "sem", "nlschools.csv", 'lang ~ IQ + SES + GS',
           list(estimator = "MLR", cluster = "class"))
export_fit("p_anorexia_mg_mlr", "sem", "anorexia.csv", 'Postwt ~ Prewt',
           list(group = "Treat", group.equal = "regressions", estimator = "MLR"))
export_fit("p_chick_growth_fiml", "growth", "chick_wide.csv",
           'i =~ 1*w0 + 1*w4 + 1*w8 + 1*w12 + 1*w16 + 1*w20
s =~ 0*w0 + 1*w4 + 2*w8 + 3*w12 + 4*w16 + 5*w20', list(missing = "ml", estimator = "MLR"))
export_fit("p_boston_mimic_mlr", "sem", "boston.csv", 'ses =~ lstat + rm + medv
ses ~ crim + nox + dis', list(estimator = "MLR"))
export_fit("p_datcat_ord_mg", "cfa", "datcat.csv", 'f1 =~ u1 + u2 + u3 + u4
f2 =~ u5 + u6 + u7 + u8', list(ordered = paste0("u", 1:8), group = "g",
                                group.equal = c("thresholds", "loadings")))
export_fit("p_simparcel_mlr", "cfa", "simparcel.csv",
           paste0('f1 =~ ', paste0("f1item", 1:9, collapse = " + "), '\nf2 =~ ',
                  paste0("f2item", 1:9, collapse = " + ")), list(estimator = "MLR"))
# lavaan's numerics on variables whose variances differ by orders of magnitude (it warns
# "some observed variances are (at least) a factor 1000 times larger than others"): the
# same fits with one variable rescaled, where lavaan agrees with the engine on the raw
# data (tests/sem/test_sweep11.py: test_lavaan_on_badly_scaled_variables)
hk <- MASS::hills
hk$climb <- hk$climb / 1000  # thousands of feet
wcsv(hk, "hills_kft.csv")
bk <- MASS::birthwt
bk$bwt <- bk$bwt / 1000  # kilograms
wcsv(bk, "birthwt_kg.csv")
export_fit("p_hills_kft_fixedx_false", "sem", "hills_kft.csv", 'time ~ dist + climb',
           list(fixed.x = FALSE))
export_fit("p_birthwt_kg_path", "sem", "birthwt_kg.csv", 'bwt ~ lwt + smoke + ht + ui
lwt ~ age + race')
export_fit("p_birthwt_kg_fixedx_false_mlr", "sem", "birthwt_kg.csv", 'bwt ~ lwt + age + smoke + ht + ui
lwt ~ age', list(estimator = "MLR", fixed.x = FALSE))
export_cov("p_harman23_2f", "cfa", "harman23_cov.csv", 305L,
           'size =~ height + arm.span + forearm + lower.leg
bulk =~ weight + bitro.diameter + chest.girth + chest.width')
