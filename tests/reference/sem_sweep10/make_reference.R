# Reference fits of the tenth parity sweep: random models with the features earlier
# sweeps covered least, and public data bundled with R fitted in ways no sweep used.
#
# Run from the repository root:
#   Rscript tests/reference/sem_sweep10/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, psych 2.2.9 and jsonlite.  Deterministic: every
# generated case sets its own seed (set.seed(10000 + id)); the script rewrites the same
# files byte for byte.
#
# Data written to tests/reference/sem_sweep10/data/ (the fits read them back):
#   r_NN.csv.gz       generated case NN: continuous values rounded to 3 decimals, ordered
#                     items as integer codes 1..k, group column g, cluster column cl, NA
#                     missing
#   demo_growth.csv   lavaan::Demo.growth rounded to 4 decimals
#   facialburns.csv   lavaan::FacialBurns (N = 77)
#   bfi_nc.csv        psych::bfi neuroticism, conscientiousness and agreeableness items with
#                     their missing values, gender and education (N = 2800)
#   satact.csv        psych::sat.act (SATQ has 13 missing values)
#   attitude.csv, swiss.csv, mtcars.csv, airquality.csv, rock.csv   datasets::
#   seatbelts.csv     datasets::Seatbelts as a data frame (N = 192)
#   twolevel.csv      lavaan::Demo.twolevel rounded to 4 decimals (cluster column)
#   <name>_cov.csv    correlation matrices of psych (Thurstone, Tucker, Holzinger.9,
#                     Harman.political; names through make.names), fitted from sample.cov
#                     + sample.nobs
#
# The generated set (cases r_01 .. r_NN; SWEEP10_N, default 35) cycles through seven kinds:
#   second_order  3-4 first-order factors of 3 items and a second-order factor (ML or MLR)
#   labels        equal loadings / residual variances / regressions by label, an explicit
#                 "b1 == b2" constraint and a defined parameter
#   ordinal       WLSMV on items with 2-4 categories, one category rare (1-4 %): sparse
#                 bivariate cells
#   fiml_ml       FIML (ML) with one item 40 % missing (MAR), others 0-10 %
#   fiml_mlr      the same with MLR
#   cluster       MLR with cluster= (clusters of 2-8 cases sharing a random effect); half
#                 with missing = "ml"
#   mg3           3 groups of unequal size (about 15 / 35 / 50 %) with group.equal
#                 (loadings, intercepts, residuals, means, lv.variances, regressions)
# and draws, independently of the kind: N small (60-100), medium (150-800) or large
# (2000); std.lv = TRUE (30 %); a reverse-keyed marker (40 % of factors); a
# single-indicator factor (25 %; its residual variance fixed at 0 implicitly, by
# auto.fix.single, or explicitly at a given value).
#
# Each <case>.json holds: the call (function, data file or covariance file with
# sample.nobs, model, options), lavaan's warnings and convergence, parameterEstimates()
# (est, se), standardizedSolution() (est.std, se), fitMeasures(), residuals(type =
# "raw" / "standardized" / "normalized") per group and modindices() (mi, epc, sepc.all),
# or the error lavaan gives.
suppressMessages({library(lavaan); library(psych); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/sem_sweep10"
ddir <- file.path(out, "data")
dir.create(ddir, showWarnings = FALSE, recursive = TRUE)

# ---- helpers: tests/reference/sem_common/sweep_helpers.R ----------------------------
source("tests/reference/sem_common/sweep_helpers.R")

# ---- the generated set ------------------------------------------------------------------
KINDS <- c("second_order", "labels", "ordinal", "fiml_ml", "fiml_mlr", "cluster", "mg3")
GE <- list("loadings", c("loadings", "intercepts"), c("loadings", "residuals"),
           c("loadings", "intercepts", "means"), c("loadings", "lv.variances"),
           c("loadings", "regressions"), c("loadings", "intercepts", "residuals"))

fmt_num <- function(v) formatC(v, digits = 3, format = "f")

draw_case <- function(id) {
  set.seed(10000 + id)
  kind <- KINDS[(id - 1) %% length(KINDS) + 1]
  size <- sample(c("small", "medium", "large"), 1, prob = c(0.3, 0.5, 0.2))
  N <- switch(size, small = sample(60:100, 1),
              medium = round(exp(runif(1, log(150), log(800)))), large = 2000L)
  if (kind == "mg3" && N < 300) N <- sample(300:600, 1)
  if (kind == "cluster" && N < 150) N <- sample(150:400, 1)
  if (kind == "ordinal" && N < 200) N <- sample(200:500, 1)
  std_lv <- runif(1) < 0.3
  single <- kind != "ordinal" && runif(1) < 0.25
  single_fixed <- single && runif(1) < 0.5
  # structure: first-order factors and their items
  nf <- if (kind == "second_order") sample(3:4, 1) else sample(2:3, 1)
  ni <- if (kind == "second_order") rep(3L, nf) else sample(3:5, nf, replace = TRUE)
  p <- sum(ni)
  item <- rep(seq_len(nf), ni)
  lam <- runif(p, 0.5, 0.9) * sample(c(-1, 1), p, replace = TRUE, prob = c(0.2, 0.8))
  first <- match(seq_len(nf), item)
  neg <- runif(nf) < 0.4
  lam[first] <- abs(lam[first]) * ifelse(neg, -1, 1)
  if (kind == "labels") {  # the labelled pair (items 2 and 3 of a factor) loads equally
    for (k in seq_len(nf)) lam[which(item == k)[3]] <- lam[which(item == k)[2]]
  }
  ngroups <- if (kind == "mg3") 3L else 1L
  g <- if (ngroups == 3) sort(sample(1:3, N, replace = TRUE, prob = c(0.15, 0.35, 0.5))) else rep(1L, N)
  # factor scores: a second-order factor, or regressions / correlations among factors
  if (kind == "second_order") {
    gam <- runif(nf, 0.5, 0.9)
    G <- rnorm(N) + (g - 1) * 0.3
    eta <- outer(G, gam) + matrix(rnorm(N * nf), N, nf) * matrix(sqrt(1 - gam^2), N, nf, byrow = TRUE)
  } else {
    eta <- matrix(rnorm(N * nf), N, nf)
    for (k in 2:nf) eta[, k] <- 0.45 * eta[, k - 1] + sqrt(1 - 0.45^2) * eta[, k]
    eta <- eta + outer((g - 1) * 0.3, rep(1, nf))
  }
  clus <- NULL
  if (kind == "cluster") {
    sizes <- sample(2:8, N, replace = TRUE)
    clus <- rep(seq_along(sizes), sizes)[seq_len(N)]
    eta <- eta + matrix(rnorm(max(clus) * nf, sd = 0.5), max(clus), nf)[clus, ]
  }
  theta <- 1 - 0.5 * lam^2
  y <- eta[, item] * matrix(lam, N, p, byrow = TRUE) +
    matrix(rnorm(N * p), N, p) * matrix(sqrt(theta), N, p, byrow = TRUE)
  if (kind == "cluster") y <- y + matrix(rnorm(max(clus) * p, sd = 0.3), max(clus), p)[clus, ]
  y <- y + matrix(runif(p, -1, 3), N, p, byrow = TRUE)
  y <- y * matrix(runif(p, 0.6, 2.5), N, p, byrow = TRUE)
  ynames <- paste0("y", seq_len(p))
  ncat <- NA
  if (kind == "ordinal") {
    ncat <- sample(2:4, p, replace = TRUE)
    for (j in seq_len(p)) {
      z <- (y[, j] - mean(y[, j])) / sd(y[, j])
      # one rare category (1-4 %) at either end; the others in between
      rare <- runif(1, 0.01, 0.04)
      probs <- if (ncat[j] == 2) rare else sort(c(rare, runif(ncat[j] - 2, 0.2, 0.8)))
      if (runif(1) < 0.5) probs <- sort(1 - probs)
      y[, j] <- findInterval(z, qnorm(probs)) + 1
    }
  } else {
    y <- round(y, 3)
  }
  dat <- as.data.frame(y)
  names(dat) <- ynames
  # a single-indicator factor: an observed outcome regressed on the last factor
  if (single) {
    s <- 0.5 * eta[, nf] + rnorm(N, sd = 0.8)
    dat$s1 <- round(2 + 1.5 * s, 3)
  }
  miss <- NA
  if (kind %in% c("fiml_ml", "fiml_mlr") || (kind == "cluster" && runif(1) < 0.5)) {
    heavy <- if (kind == "cluster") NA else sample(seq_len(p)[-first], 1)
    miss <- runif(1, 0, 0.1)
    drive <- as.numeric(scale(dat[[first[1]]]))
    for (j in setdiff(seq_len(p), first[1])) {
      rate <- if (!is.na(heavy) && j == heavy) 0.4 else miss
      if (rate <= 0) next
      pm <- plogis(qlogis(rate) + 0.8 * drive)
      dat[[j]][runif(N) < pm] <- NA
    }
  }
  if (ngroups > 1) dat$g <- g
  if (!is.null(clus)) dat$cl <- clus
  # the model
  lines <- character()
  lab <- rep("", p)
  if (kind == "labels") {
    for (k in seq_len(nf)) {
      idx <- which(item == k)
      lab[idx[2:3]] <- paste0("a", k, "*")
    }
  }
  for (k in seq_len(nf)) {
    idx <- which(item == k)
    lines <- c(lines, paste0("f", k, " =~ ", paste0(lab[idx], ynames[idx], collapse = " + ")))
  }
  if (kind == "second_order") {
    lines <- c(lines, paste0("g =~ ", paste0("f", seq_len(nf), collapse = " + ")))
  } else if (kind == "labels") {
    lines <- c(lines, paste0("f2 ~ b1*f1"))
    if (nf == 3) lines <- c(lines, "f3 ~ b2*f2 + f1", "b1 == b2", "ind := b1*b2")
    else lines <- c(lines, "ind := b1*a2")
    # equal residual variances of the first factor's last two items
    idx <- which(item == 1)
    lines <- c(lines, paste0(ynames[idx[length(idx) - 1]], " ~~ e*", ynames[idx[length(idx) - 1]]),
               paste0(ynames[idx[length(idx)]], " ~~ e*", ynames[idx[length(idx)]]))
  } else if (runif(1) < 0.5) {
    lines <- c(lines, paste0("f", 2:nf, " ~ f", 1:(nf - 1)))
  }
  if (single) {
    lines <- c(lines, "fs =~ s1", paste0("fs ~ ", if (kind == "second_order") "g" else paste0("f", nf)))
    if (single_fixed) lines <- c(lines, sprintf("s1 ~~ %s*s1", fmt_num(0.2 * var(dat$s1, na.rm = TRUE))))
  }
  opts <- list()
  est <- switch(kind, fiml_mlr = "MLR", cluster = "MLR", ordinal = "WLSMV",
                if (runif(1) < 0.4) "MLR" else "ML")
  if (est != "ML" && kind != "ordinal") opts$estimator <- est
  if (kind %in% c("fiml_ml", "fiml_mlr") || !is.na(miss)) opts$missing <- "ml"
  if (kind == "ordinal") opts$ordered <- ynames
  if (std_lv) opts$std.lv <- TRUE
  if (!is.null(clus)) opts$cluster <- "cl"
  ge <- NULL
  if (ngroups > 1) {
    opts$group <- "g"
    ge <- GE[[sample(length(GE), 1)]]
    opts$group.equal <- ge
  }
  file <- sprintf("r_%02d.csv.gz", id)
  write_gz(dat, file)
  list(name = sprintf("r_%02d", id), fun = "sem", data = file,
       model = paste(lines, collapse = "\n"), options = opts,
       drawn = list(kind = kind, size = size, N = N, nf = nf, ni = ni, std_lv = std_lv,
                    neg_marker = sum(neg), single = single, single_fixed = single_fixed,
                    ncat = ncat, miss = miss, group_equal = ge,
                    group_sizes = as.list(as.integer(table(g)))))
}

N_GEN <- as.integer(Sys.getenv("SWEEP10_N", "35"))
for (id in seq_len(N_GEN)) {
  cs <- draw_case(id)
  ok <- export_fit(cs$name, cs$fun, cs$data, cs$model, cs$options, cs$drawn)
  if (!ok && is.null(cs$options$std.lv)) {
    # lavaan's default starts fail (second-order factors with reverse-keyed markers at
    # small N): the same model with std.lv = TRUE is an equivalent parameterization that
    # lavaan fits; its fit measures are the reference for the marker-scaled fit
    export_fit(paste0(cs$name, "_stdlv"), cs$fun, cs$data, cs$model,
               c(cs$options, list(std.lv = TRUE)), cs$drawn)
  }
}

# ---- public data ------------------------------------------------------------------------
dg <- lavaan::Demo.growth
dg[] <- lapply(dg, function(v) round(v, 4))
write.csv(dg, file.path(ddir, "demo_growth.csv"), row.names = FALSE)
write.csv(lavaan::FacialBurns, file.path(ddir, "facialburns.csv"), row.names = FALSE)
bfi_nc <- psych::bfi[, c(paste0("N", 1:5), paste0("C", 1:5), paste0("A", 1:5), "gender", "education")]
write.csv(bfi_nc, file.path(ddir, "bfi_nc.csv"), row.names = FALSE, na = "")
write.csv(psych::sat.act, file.path(ddir, "satact.csv"), row.names = FALSE, na = "")
write.csv(attitude, file.path(ddir, "attitude.csv"), row.names = FALSE)
write.csv(swiss, file.path(ddir, "swiss.csv"), row.names = FALSE)
write.csv(mtcars, file.path(ddir, "mtcars.csv"), row.names = FALSE)
write.csv(airquality, file.path(ddir, "airquality.csv"), row.names = FALSE, na = "")
write.csv(rock, file.path(ddir, "rock.csv"), row.names = FALSE)
sb <- as.data.frame(Seatbelts)
sb$PetrolPrice <- round(sb$PetrolPrice * 100, 4)  # pence per litre x 100 (units of 0.01)
write.csv(sb, file.path(ddir, "seatbelts.csv"), row.names = FALSE)
tl <- lavaan::Demo.twolevel
tl[] <- lapply(tl, function(v) round(v, 4))
write.csv(tl, file.path(ddir, "twolevel.csv"), row.names = FALSE)
write_cov <- function(S, file) {
  colnames(S) <- make.names(colnames(S))
  write.csv(round(S, 6), file.path(ddir, file), row.names = FALSE)
}
write_cov(psych::Thurstone, "thurstone_cov.csv")
write_cov(psych::Tucker, "tucker_cov.csv")
write_cov(psych::Holzinger.9, "holzinger9_cov.csv")
write_cov(psych::Harman.political, "harman_political_cov.csv")

GROWTH_Q <- 'i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4
q =~ 0*t1 + 1*t2 + 4*t3 + 9*t4
q ~~ 0*q
q ~~ 0*i + 0*s'
export_fit("p_dg_quadratic_mlr", "growth", "demo_growth.csv", GROWTH_Q, list(estimator = "MLR"))
export_fit("p_dg_tvc_eqres", "growth", "demo_growth.csv", 'i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4
t1 ~ c*c1
t2 ~ c*c2
t3 ~ c*c3
t4 ~ c*c4
t1 ~~ r*t1
t2 ~~ r*t2
t3 ~~ r*t3
t4 ~~ r*t4
i ~ x1
s ~ x1 + x2')
export_fit("p_dg_growth_reg_mlr", "growth", "demo_growth.csv", 'i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4
s ~ i', list(estimator = "MLR"))
export_fit("p_fb_mg_sex", "sem", "facialburns.csv", 'Selfesteem ~ HADS + TBSA
HADS ~ RUM + Age', list(group = "Sex", group.equal = "regressions"))
export_fit("p_fb_latent", "sem", "facialburns.csv", 'distress =~ HADS + RUM + Selfesteem
distress ~ TBSA + Age', list(estimator = "MLR"))
BFI_NCA <- 'neur =~ N1 + N2 + N3 + N4 + N5
cons =~ C4 + C1 + C2 + C3 + C5
agree =~ A1 + A2 + A3 + A4 + A5'
export_fit("p_bfi_nca_fiml", "cfa", "bfi_nc.csv", BFI_NCA, list(missing = "ml"))
export_fit("p_bfi_nca_fiml_mlr", "cfa", "bfi_nc.csv", BFI_NCA, list(missing = "ml", estimator = "MLR"))
export_fit("p_bfi_second_order", "cfa", "bfi_nc.csv", paste0(BFI_NCA, '\nstab =~ neur + cons + agree'),
           list(estimator = "MLR"))
export_fit("p_bfi_edu_groups", "cfa", "bfi_nc.csv", 'neur =~ N1 + N2 + N3 + N4 + N5',
           list(group = "education", group.equal = c("loadings", "intercepts")))
export_fit("p_bfi_neur_ord", "cfa", "bfi_nc.csv", 'neur =~ N1 + N2 + N3 + N4 + N5',
           list(ordered = paste0("N", 1:5), group = "gender", group.equal = c("thresholds", "loadings")))
export_fit("p_satact_edu_groups", "cfa", "satact.csv", 'f =~ ACT + SATV + SATQ',
           list(group = "education", group.equal = "loadings", missing = "ml"))
export_fit("p_satact_fiml_age", "sem", "satact.csv", 'f =~ ACT + SATV + SATQ
f ~ age + gender
SATV ~~ SATQ', list(missing = "ml", estimator = "MLR"))
export_fit("p_attitude_2f_stdlv", "cfa", "attitude.csv", 'f1 =~ complaints + privileges + learning
f2 =~ raises + critical + advance
rating ~ f1 + f2', list(std.lv = TRUE))
export_fit("p_swiss_eq", "sem", "swiss.csv", 'Fertility ~ b*Education + b*Examination + Catholic
Infant.Mortality ~ Fertility', list(estimator = "MLR"))
export_fit("p_mtcars_path_mlr", "sem", "mtcars.csv", 'mpg ~ wt + hp + qsec
qsec ~ hp + wt', list(estimator = "MLR"))
export_fit("p_mtcars_am_groups", "sem", "mtcars.csv", 'mpg ~ wt + hp', list(group = "am"))
export_fit("p_airq_fiml_mlr", "sem", "airquality.csv", 'Ozone ~ Solar.R + Wind + Temp
Wind ~ Temp', list(missing = "ml", estimator = "MLR", fixed.x = FALSE))
export_fit("p_airq_latent", "sem", "airquality.csv", 'weather =~ Temp + Wind + Solar.R
Ozone ~ weather', list(missing = "ml"))
export_fit("p_rock_path", "sem", "rock.csv", 'perm ~ area + peri + shape
peri ~ area')
export_fit("p_seatbelts_path", "sem", "seatbelts.csv", 'DriversKilled ~ drivers + law
drivers ~ kms + PetrolPrice + law', list(estimator = "MLR"))
export_fit("p_twolevel_cluster", "sem", "twolevel.csv", 'fw =~ y1 + y2 + y3
fw ~ x1 + x2 + x3', list(estimator = "MLR", cluster = "cluster"))
export_cov("p_thurstone_second_order", "cfa", "thurstone_cov.csv", 213L,
           'verbal =~ Sentences + Vocabulary + Sent.Completion
fluency =~ First.Letters + Four.Letter.Words + Suffixes
reason =~ Letter.Series + Pedigrees + Letter.Group
g =~ verbal + fluency + reason')
export_cov("p_thurstone_stdlv_eq", "cfa", "thurstone_cov.csv", 213L,
           'verbal =~ l*Sentences + l*Vocabulary + l*Sent.Completion
fluency =~ First.Letters + Four.Letter.Words + Suffixes
reason =~ Letter.Series + Pedigrees + Letter.Group', list(std.lv = TRUE))
export_cov("p_tucker_2f", "cfa", "tucker_cov.csv", 710L,
           'f1 =~ t42 + t54 + t45 + t46
f2 =~ t23 + t24 + t27 + t10 + t51', list(std.lv = TRUE))
export_cov("p_holzinger9_3f", "cfa", "holzinger9_cov.csv", 145L,
           'vis =~ vis_perc + cubes + lozenges
ver =~ par_comp + sen_comp + wordmean
spd =~ addition + count_dot + s_c_caps
vis_perc ~~ s_c_caps')
export_cov("p_harman_political_2f", "cfa", "harman_political_cov.csv", 147L,
           'vote =~ Lewis + Roosevelt + Party.Voting + Unemployment
home =~ Median.Rental + Homeownership + Mobility + Education')
