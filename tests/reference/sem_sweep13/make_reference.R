# Reference fits of the thirteenth parity sweep: random models aimed at what the earlier
# sweeps did not cover (every factor's first indicator reverse-keyed under measurement
# invariance, ordered items in several groups with equal thresholds, product indicators of
# a latent interaction, residual covariances across factors, method and bifactor models
# orthogonal to the traits, std.lv with equal loadings, a latent correlation near 1 at
# small N, long scales at small N, partial intercept invariance, fixed latent means and
# nonrecursive models) and public data bundled with R packages that no sweep used before.
#
# Run from the repository root:
#   Rscript tests/reference/sem_sweep13/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14 and jsonlite; data from carData, sem, semTools, mlmRev,
# nlme, palmerpenguins, geepack, pscl and psychTools.
# Deterministic: every generated case sets its own seed (set.seed(13000 + id)); the script
# rewrites the same files byte for byte.
#
# Data written to tests/reference/sem_sweep13/data/ (the fits read them back):
#   r_NN.csv.gz     generated case NN: continuous values rounded to 3 decimals, ordered
#                   items as integer codes, group column g, NA missing
#   beps.csv, baumann.csv, ginzberg.csv, kmenta.csv, tests.csv, dat3way_prod.csv,
#   early.csv, oxboys.csv, orthodont.csv, penguins.csv, dietox.csv.gz, scotssec.csv.gz,
#   sai.csv.gz, tai.csv, epi.csv.gz, affect.csv, biochemists.csv, chile.csv.gz
#   penguins_kg.csv (body mass in kilograms), chile_k.csv.gz (income in thousands)
#   (beps: Blair's one answer of 3 put with 4; sai: three studies at time 1, complete cases,
#   the top two of the four answers merged)
#   neo_cov.csv     psychTools::neo (a correlation matrix; fitted from sample.cov, N = 1000)
#
# The generated set (cases r_01 .. r_NN; SWEEP13_N, default 33) cycles through 11 kinds:
#   rev_mg_inv     2-3 groups, group.equal = loadings + intercepts; the FIRST indicator of
#                  every factor (the marker) reverse-keyed; ML or MLR, std.lv in one
#   ord_mg_th      ordered items (3-5 categories) in 2-3 groups; WLSMV with thresholds
#                  equal, then thresholds + loadings, then those with parameterization
#                  "theta"
#   prod_ind       a latent interaction by double-mean-centred product indicators: three
#                  matched pairs, then with a correlated product residual, then all nine
#                  products with residual covariances of products sharing an item
#   cross_corres   three factors: residual covariances between items of different factors
#                  and one cross-loading; FIML in the third
#   ulmc_method    a method factor on every item orthogonal to correlated traits (std.lv),
#                  a bifactor model with orthogonal = TRUE, a method factor with equal
#                  loadings (ULMC)
#   stdlv_eq       std.lv = TRUE with loadings equal by label within and across factors,
#                  equal residual variances in one
#   lv_npd_small   two factors correlated 0.97-0.995 at N 50-100; std.lv in some
#   big_scale      one or two factors of 8-12 items at N 45-95; ML or MLR
#   mg_partial_int 2 groups, group.equal = loadings + intercepts with the intercepts of
#                  two items (that do differ) freed by group.partial; a loading too in one;
#                  FIML in one
#   fixed_means    meanstructure = TRUE: marker intercepts fixed at 0 with free latent
#                  means; a latent mean fixed at 0.5; equal intercepts by label
#   nonrec         nonrecursive models: two observed outcomes in a loop with instruments,
#                  two latent factors in a loop, a loop of three
# A quarter of the continuous cases multiply one item by 40 (a badly scaled indicator).
#
# Each <case>.json holds what tests/reference/sem_common/sweep_helpers.R writes: the call,
# lavaan's warnings and convergence, parameterEstimates() (est, se), standardizedSolution()
# (est.std, se), fitMeasures(), lavInspect(, "r2"), residuals() of three types per group and
# modindices() (mi, epc, sepc.all) with its warnings, or the error lavaan gives.
suppressMessages({library(lavaan); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/sem_sweep13"
ddir <- file.path(out, "data")
dir.create(ddir, showWarnings = FALSE, recursive = TRUE)

# ---- helpers: tests/reference/sem_common/sweep_helpers.R ----------------------------
options(sweep.extras = TRUE)  # R² and the warnings of modindices() too
source("tests/reference/sem_common/sweep_helpers.R")

# ---- the generated set ------------------------------------------------------------------
KINDS <- c("rev_mg_inv", "ord_mg_th", "prod_ind", "cross_corres", "ulmc_method", "stdlv_eq",
           "lv_npd_small", "big_scale", "mg_partial_int", "fixed_means", "nonrec")

cut_items <- function(z, k, probs) findInterval(z, qnorm(probs)) + 1

corr_eta <- function(N, nf, r = 0.45) {
  eta <- matrix(rnorm(N * nf), N, nf)
  if (nf > 1) for (k in 2:nf) eta[, k] <- r * eta[, k - 1] + sqrt(1 - r^2) * eta[, k]
  eta
}

draw_case <- function(id) {
  set.seed(13000 + id)
  kind <- KINDS[(id - 1) %% length(KINDS) + 1]
  nth <- (id - 1) %/% length(KINDS) + 1
  N <- switch(kind,
              rev_mg_inv = , mg_partial_int = sample(300:700, 1),
              ord_mg_th = sample(450:900, 1),
              lv_npd_small = sample(50:100, 1), big_scale = sample(45:95, 1),
              round(exp(runif(1, log(150), log(900)))))
  ngroups <- switch(kind, rev_mg_inv = , ord_mg_th = sample(2:3, 1), mg_partial_int = 2L, 1L)
  g <- sort(sample(seq_len(ngroups), N, replace = TRUE))
  nf <- switch(kind, prod_ind = 3L, cross_corres = 3L, lv_npd_small = 2L,
               big_scale = if (nth == 2) 2L else 1L, nonrec = if (nth == 2) 2L else 0L,
               ulmc_method = sample(2:3, 1), sample(2:3, 1))
  ni <- switch(kind, prod_ind = rep(3L, 3), cross_corres = rep(4L, 3),
               lv_npd_small = rep(3L, 2), ord_mg_th = sample(4:5, nf, replace = TRUE),
               big_scale = if (nf == 2) rep(8L, 2) else sample(8:12, 1),
               nonrec = rep(3L, nf), sample(3:4, nf, replace = TRUE))
  p <- sum(ni)
  item <- rep(seq_len(nf), ni)
  first <- match(seq_len(nf), item)
  lam <- runif(p, 0.5, 0.85) * sample(c(-1, 1), p, replace = TRUE, prob = c(0.12, 0.88))
  lam[first] <- abs(lam[first])
  if (kind == "rev_mg_inv") lam[first] <- -lam[first]  # every marker reverse-keyed
  if (kind == "big_scale") lam <- runif(p, 0.3, 0.8)
  eta <- if (nf > 0) corr_eta(N, nf, if (kind == "lv_npd_small") runif(1, 0.97, 0.995) else 0.45)
         else matrix(0, N, 0)
  x <- NULL
  if (kind == "prod_ind") {  # factor 3 depends on f1, f2 and their product
    eta[, 2] <- rnorm(N)
    eta[, 2] <- 0.3 * eta[, 1] + sqrt(0.91) * eta[, 2]
    eta[, 3] <- 0.4 * eta[, 1] + 0.3 * eta[, 2] + 0.3 * eta[, 1] * eta[, 2] + 0.7 * rnorm(N)
  }
  if (kind == "nonrec") {
    x <- matrix(rnorm(N * 3), N, 3)
    u <- matrix(rnorm(N * 3), N, 3)
    u[, 2] <- 0.3 * u[, 1] + u[, 2]
    if (nth == 3) {  # y1 <- y3, y2 <- y1, y3 <- y2
      B <- matrix(0, 3, 3)
      B[1, 3] <- 0.3; B[2, 1] <- 0.4; B[3, 2] <- 0.35
      A <- solve(diag(3) - B)
      s <- (x * 0.6 + u) %*% t(A)
    } else {  # z1 <- z2 + x1, z2 <- z1 + x2
      B <- matrix(c(0, 0.25, 0.4, 0), 2, 2)  # z1 <- 0.4 z2, z2 <- 0.25 z1
      A <- solve(diag(2) - B)
      s <- (x[, 1:2] * 0.6 + u[, 1:2]) %*% t(A)
    }
    if (nth == 2) eta <- s else eta <- matrix(0, N, 0)
  }
  # group differences: latent means, one loading and one item's intercept differ
  if (nf > 0) eta <- eta + outer((g - 1) * 0.35, rep(1, nf))
  lamg <- matrix(lam, N, p, byrow = TRUE)
  nu <- matrix(0, N, p)
  if (kind == "mg_partial_int") {
    nu[g == 2, 3] <- 0.6
    nu[g == 2, p] <- -0.5
    if (nth == 3) lamg[g == 2, 2] <- lamg[g == 2, 2] * 0.5
  }
  theta <- pmax(1 - lam^2, 0.05)
  y <- if (p > 0) eta[, item, drop = FALSE] * lamg + nu +
    matrix(rnorm(N * p), N, p) * matrix(sqrt(theta), N, p, byrow = TRUE) else NULL
  mlam <- NULL
  if (kind == "ulmc_method") {  # a method (or general) factor on every item
    m <- rnorm(N)
    mlam <- if (nth == 3) rep(0.35, p) else runif(p, 0.25, 0.5)
    y <- y + outer(m, mlam)
  }
  corres <- NULL
  if (kind == "cross_corres") {  # shared residuals across factors, a cross-loading
    corres <- list(c(2, 6), c(3, 11), c(7, 12))
    for (pr in corres) {
      e <- rnorm(N) * 0.45
      y[, pr[1]] <- y[, pr[1]] + e
      y[, pr[2]] <- y[, pr[2]] + e
    }
    y[, 8] <- y[, 8] + 0.35 * eta[, 1]
  }
  ynames <- if (p > 0) paste0("y", seq_len(p)) else character()
  ordinal <- kind == "ord_mg_th"
  if (ordinal) {
    ncat <- rep(c(3L, 4L, 5L), length.out = p)[sample(p)]
    for (j in seq_len(p)) {
      probs <- sort(runif(ncat[j] - 1, 0.1, 0.9))
      while (min(diff(c(0, probs, 1))) < 0.07) probs <- sort(runif(ncat[j] - 1, 0.1, 0.9))
      y[, j] <- cut_items(y[, j] / sqrt(lam[j]^2 + theta[j]), ncat[j], probs)
    }
  } else if (p > 0) {
    y <- y + matrix(runif(p, -1, 3), N, p, byrow = TRUE)
    y <- y * matrix(runif(p, 0.6, 2.5), N, p, byrow = TRUE)
    if (runif(1) < 0.25) {
      j <- sample(p, 1)
      y[, j] <- 40 * y[, j]
    }
  }
  dat <- if (p > 0) as.data.frame(round(y, 3)) else data.frame(row.names = seq_len(N))
  if (p > 0) names(dat) <- ynames
  if (kind == "prod_ind") {  # double-mean-centred products, as semTools::indProd
    cz <- scale(dat[, 1:6], scale = FALSE)
    pairs <- if (nth == 3) expand.grid(a = 1:3, b = 4:6) else data.frame(a = 1:3, b = 4:6)
    for (k in seq_len(nrow(pairs))) {
      pr <- cz[, pairs$a[k]] * cz[, pairs$b[k]]
      dat[[sprintf("p%d%d", pairs$a[k], pairs$b[k])]] <- round(pr - mean(pr), 3)
    }
  }
  if (kind == "nonrec") {
    if (nth == 3) {
      for (k in 1:3) dat[[paste0("z", k)]] <- round(s[, k] * c(1, 2, 0.5)[k] + c(5, 10, 0)[k], 3)
    } else if (nth == 1) {
      for (k in 1:2) dat[[paste0("z", k)]] <- round(s[, k] + c(3, 0)[k], 3)
    }
    for (k in 1:3) dat[[paste0("x", k)]] <- round(x[, k], 3)
  }
  miss <- FALSE
  if ((kind == "cross_corres" && nth == 3) || (kind == "mg_partial_int" && nth == 2)) {
    miss <- TRUE
    for (j in 2:p) dat[[j]][runif(N) < runif(1, 0.04, 0.15)] <- NA
  }
  if (ngroups > 1) dat$g <- g
  # the model
  lab <- function(k) paste0(ynames[which(item == k)], collapse = " + ")
  lines <- character()
  if (nf > 0 && kind != "stdlv_eq") {
    for (k in seq_len(nf)) lines <- c(lines, paste0("f", k, " =~ ", lab(k)))
  }
  est <- if (runif(1) < 0.5) "MLR" else "ML"
  opts <- list()
  std_lv <- FALSE
  if (kind == "rev_mg_inv") {
    std_lv <- nth == 2
    opts$group.equal <- c("loadings", "intercepts")
  } else if (kind == "ord_mg_th") {
    est <- "WLSMV"
    opts$ordered <- ynames
    opts$group.equal <- switch(nth, "thresholds", c("thresholds", "loadings"),
                               c("thresholds", "loadings"))
    if (nth == 3) opts$parameterization <- "theta"
  } else if (kind == "prod_ind") {
    prods <- grep("^p", names(dat), value = TRUE)
    lines <- c(lines, paste0("f12 =~ ", paste(prods, collapse = " + ")), "f3 ~ f1 + f2 + f12")
    if (nth == 2) lines <- c(lines, "p14 ~~ p25")
    if (nth == 3) {
      for (a in seq_along(prods)) for (b in seq_along(prods)) {
        if (a < b) {
          pa <- strsplit(sub("p", "", prods[a]), "")[[1]]
          pb <- strsplit(sub("p", "", prods[b]), "")[[1]]
          if (any(pa == pb)) lines <- c(lines, paste(prods[a], "~~", prods[b]))
        }
      }
    }
  } else if (kind == "cross_corres") {
    lines <- c(lines, "f1 =~ y8", "y2 ~~ y6", "y3 ~~ y11", "y7 ~~ y12")
  } else if (kind == "ulmc_method") {
    allitems <- paste(ynames, collapse = " + ")
    if (nth == 1) {
      lines <- c(lines, paste0("m =~ ", allitems),
                 paste0("m ~~ ", paste0("0*f", seq_len(nf), collapse = " + ")))
      std_lv <- TRUE
    } else if (nth == 2) {
      lines <- c(lines, paste0("gen =~ ", allitems))
      opts$orthogonal <- TRUE
      std_lv <- TRUE
    } else {
      lines <- c(lines, paste0("m =~ ", paste0("a*", ynames, collapse = " + ")),
                 paste0("m ~~ ", paste0("0*f", seq_len(nf), collapse = " + ")))
    }
  } else if (kind == "stdlv_eq") {
    std_lv <- TRUE
    for (k in seq_len(nf)) {
      its <- ynames[which(item == k)]
      labs <- c(if (k == 1) c("a", "a") else c("b", "b"), rep("", length(its) - 2))
      if (k == 2) labs[3] <- "c"
      if (k == 3) labs[2] <- "c"
      labs[length(its)] <- if (k == 1 && length(its) > 2) "c" else labs[length(its)]
      lines <- c(lines, paste0("f", k, " =~ ",
                               paste0(ifelse(labs == "", "", paste0(labs, "*")), its,
                                      collapse = " + ")))
    }
    if (nth == 3) lines <- c(lines, "y1 ~~ e*y1", "y2 ~~ e*y2")
  } else if (kind == "lv_npd_small") {
    std_lv <- nth != 1
    est <- "ML"
  } else if (kind == "mg_partial_int") {
    opts$group.equal <- c("loadings", "intercepts")
    opts$group.partial <- c("y3 ~ 1", paste0(ynames[p], " ~ 1"))
    if (nth == 3) opts$group.partial <- c(opts$group.partial, "f1 =~ y2")
  } else if (kind == "fixed_means") {
    opts$meanstructure <- TRUE
    mk <- ynames[first]
    if (nth == 1) {
      lines <- c(lines, paste0(mk, " ~ 0*1"), paste0("f", seq_len(nf), " ~ 1"))
    } else if (nth == 2) {
      lines <- c(lines, "f1 ~ 0.5*1", "f2 ~ f1")
    } else {
      its <- ynames[which(item == 1)]
      lines <- c(lines, paste0(its, " ~ i*1"), "f1 ~ 1")
      std_lv <- TRUE
    }
  } else if (kind == "nonrec") {
    if (nth == 1) {
      lines <- c("z1 ~ z2 + x1 + x3", "z2 ~ z1 + x2", "z1 ~~ z2")
    } else if (nth == 2) {
      lines <- c(lines, "f1 ~ f2 + x1", "f2 ~ f1 + x2 + x3", "f1 ~~ f2")
    } else {
      lines <- c("z1 ~ z3 + x1", "z2 ~ z1 + x2", "z3 ~ z2 + x3")
    }
  }
  if (ordinal) est <- "WLSMV"
  if (est != "ML") opts$estimator <- est
  if (miss) opts$missing <- "ml"
  if (std_lv) opts$std.lv <- TRUE
  if (ngroups > 1) opts$group <- "g"
  if (length(opts)) opts <- opts[order(names(opts))]
  file <- sprintf("r_%02d.csv.gz", id)
  write_gz(dat, file)
  list(name = sprintf("r_%02d", id), fun = "sem", data = file,
       model = paste(lines, collapse = "\n"), options = opts,
       drawn = list(kind = kind, N = N, nf = nf, ni = ni, lambda = round(lam, 3),
                    missing = miss, group_sizes = as.list(as.integer(table(g)))))
}

N_GEN <- as.integer(Sys.getenv("SWEEP13_N", "33"))
for (id in seq_len(N_GEN)) {
  cs <- draw_case(id)
  ok <- export_fit(cs$name, cs$fun, cs$data, cs$model, cs$options, cs$drawn)
  # where nlminb stops short, lavaan's other optimizer (BFGS) from the same start:
  # <case>_bfgs.json, the reference for ours
  if (!ok) export_fit(paste0(cs$name, "_bfgs"), cs$fun, cs$data, cs$model,
                      c(cs$options, list(optim.method = "BFGS")), cs$drawn)
}
if (Sys.getenv("SWEEP13_SKIP_PUBLIC") == "1") quit(save = "no")

# ---- public data ------------------------------------------------------------------------
# Kept as published unless said here: factors written as 0/1 (two levels) or by their
# labels (groups), ordered items by integer codes in their natural order.
wcsv <- function(dat, file) write.csv(dat, file.path(ddir, file), row.names = FALSE, na = "")
be <- carData::BEPS
be <- data.frame(natl = be$economic.cond.national, hhld = be$economic.cond.household,
                 blair = be$Blair, hague = be$Hague, kennedy = be$Kennedy,
                 europe = be$Europe, gender = as.character(be$gender))
be$blair[be$blair == 3] <- 4  # one respondent (a man) answered 3: put with 4
wcsv(be, "beps.csv")
ba <- carData::Baumann
names(ba) <- c("group", "pre1", "pre2", "post1", "post2", "post3")
ba$group <- as.character(ba$group)
wcsv(ba, "baumann.csv")
wcsv(carData::Ginzberg, "ginzberg.csv")
wcsv(sem::Kmenta, "kmenta.csv")
wcsv(sem::Tests, "tests.csv")
d3 <- as.data.frame(semTools::dat3way[1:500, ])
d3 <- semTools::indProd(d3, var1 = c("x1", "x2", "x3"), var2 = c("x4", "x5", "x6"),
                        match = TRUE, meanC = TRUE, residualC = FALSE, doubleMC = TRUE)
wcsv(round(d3, 6), "dat3way_prod.csv")
ea <- mlmRev::Early
ea$age <- paste0("c", ea$age * 10)
ea <- reshape(ea, idvar = c("id", "trt"), timevar = "age", direction = "wide")
names(ea) <- sub("cog.", "", names(ea), fixed = TRUE)
ea$trt <- as.integer(ea$trt == "Y")
wcsv(ea[, c("trt", "c10", "c15", "c20")], "early.csv")
ox <- as.data.frame(mlmRev::Oxboys)[, c("Subject", "Occasion", "height")]
ox <- reshape(ox, idvar = "Subject", timevar = "Occasion", direction = "wide")
names(ox) <- sub("height.", "h", names(ox), fixed = TRUE)
wcsv(ox[, paste0("h", 1:9)], "oxboys.csv")
od <- as.data.frame(nlme::Orthodont)
od$Sex <- as.character(od$Sex)
od$Subject <- as.character(od$Subject)
od <- reshape(od, idvar = c("Subject", "Sex"), timevar = "age", direction = "wide")
names(od) <- sub("distance.", "d", names(od), fixed = TRUE)
wcsv(od[, c("Sex", "d8", "d10", "d12", "d14")], "orthodont.csv")
pg <- as.data.frame(palmerpenguins::penguins)
pg <- data.frame(species = as.character(pg$species), bill_len = pg$bill_length_mm,
                 bill_dep = pg$bill_depth_mm, flipper = pg$flipper_length_mm,
                 mass = pg$body_mass_g)
wcsv(pg, "penguins.csv")
pg$mass <- pg$mass / 1000  # kilograms
wcsv(pg, "penguins_kg.csv")
dx <- geepack::dietox[, c("Pig", "Evit", "Time", "Weight")]
dx$Evit <- as.character(dx$Evit)
dx <- reshape(dx, idvar = c("Pig", "Evit"), timevar = "Time", direction = "wide")
names(dx) <- sub("Weight.", "w", names(dx), fixed = TRUE)
write_gz(dx[, c("Evit", paste0("w", 1:12))], "dietox.csv.gz")  # 72 pigs, 3 weights missing
sc <- mlmRev::ScotsSec
sc <- data.frame(primary = as.character(sc$primary), verbal = sc$verbal, attain = sc$attain,
                 social = sc$social, female = as.integer(sc$sex == "F"))
write_gz(sc, "scotssec.csv.gz")
SAI <- c("calm", "tense", "upset", "worrying", "anxious", "nervous", "jittery", "relaxed")
sa <- psychTools::sai
sa <- sa[sa$time == 1 & sa$study %in% c("CITY", "RIM", "SAM"), c("study", SAI)]
sa <- sa[complete.cases(sa), ]
for (v in SAI) sa[[v]] <- pmin(sa[[v]], 3L)  # the top two of four answers merged (sparse)
sa$study <- as.character(sa$study)
write_gz(sa, "sai.csv.gz")
TAI <- c("pleasant", "nervous", "not.satisfied", "wish.happy", "failure", "rested", "calm",
         "difficulties", "worry", "happy", "disturbing.thoughts", "lack.self.confidence")
ta <- psychTools::tai
ta <- ta[ta$time == 1, TAI]
ta <- ta[complete.cases(ta), ][seq(1, 1200, by = 10), ]  # 120 respondents
names(ta) <- gsub(".", "_", names(ta), fixed = TRUE)
wcsv(ta, "tai.csv")
EPI <- paste0("V", c(1, 3, 8, 10, 13, 17, 22, 25, 27, 39, 44, 46))  # extraversion items
ep <- psychTools::epi[seq(1, 3570, by = 5), EPI]
write_gz(ep, "epi.csv.gz")
af <- psychTools::affect[, c("Study", "Film", "ext", "neur", "EA1", "TA1", "EA2", "TA2")]
af$Study <- as.character(af$Study)
wcsv(af, "affect.csv")
bc <- pscl::bioChemists
bc$fem <- as.integer(bc$fem == "Women")
bc$mar <- as.integer(bc$mar == "Married")
wcsv(bc, "biochemists.csv")
ch <- carData::Chile
ch <- data.frame(statusquo = ch$statusquo, age = ch$age, income = ch$income,
                 female = as.integer(ch$sex == "F"))
write_gz(ch, "chile.csv.gz")
ch$income <- ch$income / 1000  # thousands of pesos
write_gz(ch, "chile_k.csv.gz")
nc <- unclass(psychTools::neo)
write.csv(round(nc[1:12, 1:12], 6), file.path(ddir, "neo_cov.csv"), row.names = FALSE)

export_fit("p_beps_ord_mg", "cfa", "beps.csv", 'econ =~ natl + hhld + blair
lead =~ hague + blair + kennedy',
           list(ordered = c("natl", "hhld", "blair", "hague", "kennedy"), group = "gender",
                group.equal = c("thresholds", "loadings")))
export_fit("p_beps_europe_mlr", "sem", "beps.csv", 'europe ~ hague + blair + natl',
           list(estimator = "MLR"))
export_fit("p_baumann_mg", "cfa", "baumann.csv", 'pre =~ pre1 + pre2
post =~ post1 + post2 + post3
post ~~ pre', list(group = "group", group.equal = "loadings"))
GINZ <- 'dep =~ depression + adjdep
simp =~ simplicity + adjsimp
fatal =~ fatalism + adjfatal
dep ~ simp + fatal'
if (!export_fit("p_ginzberg_2ind", "sem", "ginzberg.csv", GINZ)) {
  export_fit("p_ginzberg_2ind_bfgs", "sem", "ginzberg.csv", GINZ, list(optim.method = "BFGS"))
}
export_fit("p_kmenta_nonrec", "sem", "kmenta.csv", 'Q ~ P + D
P ~ Q + F + A
Q ~~ P')
export_fit("p_tests_fiml", "cfa", "tests.csv", 'verbal =~ x1 + x2 + x3
math =~ y1 + y2 + y3', list(missing = "ml"))
export_fit("p_dat3way_interaction", "sem", "dat3way_prod.csv", 'f1 =~ x1 + x2 + x3
f2 =~ x4 + x5 + x6
f12 =~ x1.x4 + x2.x5 + x3.x6
f4 =~ x10 + x11 + x12
f4 ~ f1 + f2 + f12', list(estimator = "MLR"))
export_fit("p_early_growth", "growth", "early.csv", 'i =~ 1*c10 + 1*c15 + 1*c20
s =~ 0*c10 + 0.5*c15 + 1*c20
i + s ~ trt
c10 ~~ r*c10
c15 ~~ r*c15
c20 ~~ r*c20')
export_fit("p_oxboys_growth9", "growth", "oxboys.csv",
           paste0('i =~ ', paste0("1*h", 1:9, collapse = " + "), '\ns =~ ',
                  paste0(0:8, "*h", 1:9, collapse = " + ")))
export_fit("p_orthodont_mg", "growth", "orthodont.csv", 'i =~ 1*d8 + 1*d10 + 1*d12 + 1*d14
s =~ 0*d8 + 1*d10 + 2*d12 + 3*d14', list(group = "Sex", group.equal = "residuals"))
export_fit("p_penguins_mg_fiml", "cfa", "penguins.csv",
           'size =~ bill_len + bill_dep + flipper + mass',
           list(group = "species", group.equal = "loadings", missing = "ml"))
export_fit("p_penguins_kg_mg_fiml", "cfa", "penguins_kg.csv",
           'size =~ bill_len + bill_dep + flipper + mass',
           list(group = "species", group.equal = "loadings", missing = "ml"))
export_fit("p_dietox_growth12", "growth", "dietox.csv.gz",
           paste0('i =~ ', paste0("1*w", 1:12, collapse = " + "), '\ns =~ ',
                  paste0(0:11, "*w", 1:12, collapse = " + ")), list(missing = "ml"))
export_fit("p_scotssec_cluster", "sem", "scotssec.csv.gz", 'attain ~ verbal + social + female',
           list(estimator = "MLR", cluster = "primary"))
export_fit("p_sai_ord_mg_rev", "cfa", "sai.csv.gz",
           'anx =~ calm + tense + upset + worrying + anxious + nervous + jittery + relaxed',
           list(ordered = SAI, group = "study", group.equal = c("thresholds", "loadings")))
export_fit("p_tai_big_mlr", "cfa", "tai.csv", paste0("anx =~ ", paste(names(ta), collapse = " + ")),
           list(estimator = "MLR", std.lv = TRUE))
export_fit("p_epi_binary", "cfa", "epi.csv.gz", paste0("ext =~ ", paste(EPI, collapse = " + ")),
           list(ordered = EPI))
export_fit("p_affect_mg", "sem", "affect.csv", 'EA2 ~ EA1 + ext
TA2 ~ TA1 + neur
EA2 ~~ TA2', list(group = "Study", group.equal = "regressions"))
export_fit("p_biochemists_mlr", "sem", "biochemists.csv", 'art ~ ment + phd + fem + kid5
ment ~ phd + fem', list(estimator = "MLR"))
export_fit("p_chile_fiml_free_x", "sem", "chile.csv.gz", 'statusquo ~ age + income + female',
           list(missing = "ml", fixed.x = FALSE))
export_fit("p_chile_k_fiml_free_x", "sem", "chile_k.csv.gz", 'statusquo ~ age + income + female',
           list(missing = "ml", fixed.x = FALSE))
export_fit("p_chile_ml_x", "sem", "chile.csv.gz", 'statusquo ~ age + income + female',
           list(missing = "ml.x"))
export_cov("p_neo_cov", "cfa", "neo_cov.csv", 1000L, 'neur =~ N1 + N2 + N3 + N4 + N5 + N6
extra =~ E1 + E2 + E3 + E4 + E5 + E6
N2 ~~ E4')
