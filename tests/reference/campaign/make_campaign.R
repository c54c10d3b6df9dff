# Randomized parity campaign: random CFA/SEM structures and data fitted with lavaan.
#
# Run from the repository root:
#   Rscript tests/reference/campaign/make_campaign.R
# Made with R 4.2.2 and lavaan 0.6.14 (no other packages).  Everything follows from SEED.
# Writes tests/reference/campaign/:
#   cases.csv            one row per case: id, model syntax, group column, ordered items,
#                        the structure drawn (for reading failures)
#   fits.csv             one row per case (one fit each, ML and MLR alternating for
#                        continuous items, WLSMV for ordered ones): lavaan's convergence,
#                        iterations, wall time and fit measures (NA when not defined)
#   estimates.csv.gz     parameterEstimates() of every fit (lhs, op, rhs, group, est, se)
#   data/case_NNN.csv.gz the data of each case (continuous values rounded to 3 decimals,
#                        ordered items as integer codes; NA = missing)
#
# Each case draws: 2-6 factors with 3-6 indicators; loadings 0.4-0.9 with a random sign
# (the marker reverse-keyed in about a third of the factors); sometimes a cross-loading,
# correlated residuals, regressions among the factors, an observed covariate, a free
# latent mean (marker intercept fixed at 0); N from 100 to 2,000 (log-uniform);
# continuous or ordered items with 2-7 categories; MCAR or MAR missingness 0-20 %;
# 1-3 groups, with or without equal loadings / intercepts (thresholds).
suppressMessages(library(lavaan))
stopifnot(packageVersion("lavaan") >= "0.6.14")

# The committed fixtures use the defaults; a fresh campaign elsewhere (never committed):
#   CAMPAIGN_SEED=... CAMPAIGN_N=70 CAMPAIGN_OUT=/some/folder Rscript ...
SEED <- as.integer(Sys.getenv("CAMPAIGN_SEED", "20260521"))
N_CASES <- as.integer(Sys.getenv("CAMPAIGN_N", "300"))
# Cases can be made in slices (each case has its own seed, SEED + id), e.g. in parallel:
#   CAMPAIGN_FROM=1 CAMPAIGN_TO=150 Rscript ...; CAMPAIGN_FROM=151 CAMPAIGN_TO=300 Rscript ...
# Each slice leaves per-case parts in OUT/parts (not kept in git); the run that finds every
# case (as a part or in the committed fixtures) writes the combined files
# (CAMPAIGN_FROM=0 only combines).
FROM <- as.integer(Sys.getenv("CAMPAIGN_FROM", "1"))
TO <- as.integer(Sys.getenv("CAMPAIGN_TO", N_CASES))
OUT <- Sys.getenv("CAMPAIGN_OUT", "tests/reference/campaign")
PARTS <- file.path(OUT, "parts")
dir.create(file.path(OUT, "data"), showWarnings = FALSE, recursive = TRUE)
dir.create(PARTS, showWarnings = FALSE)

fmt <- function(v) formatC(v, digits = 4, format = "f")

draw_case <- function(id) {
  nf <- sample(2:6, 1)
  ni <- sample(3:6, nf, replace = TRUE)
  ordinal <- runif(1) < 0.3
  # keep the data small enough for the fixtures: fewer factors with many categories
  # at most 20 items (18 ordered ones): keeps a case's lavaan fits and fixtures small
  while (nf > 2 && sum(ni[seq_len(nf)]) > (if (ordinal) 18L else 20L)) nf <- nf - 1L
  ni <- ni[seq_len(nf)]
  ngroups <- sample(c(1L, 1L, 2L, 3L), 1)
  N <- round(exp(runif(1, log(100), log(2000))))
  if (ordinal) N <- max(N, 200L * ngroups)
  miss_rate <- if (runif(1) < 0.4) 0 else runif(1, 0.02, 0.20)
  # raw-data estimators (FIML, WLSMV) cost more per case: at most 1,000 cases there
  if (ordinal || miss_rate > 0) N <- min(N, 600L)
  if (ngroups > 1) N <- max(N, 150L * ngroups)
  ncat <- if (ordinal) sample(2:7, 1) else NA
  miss_type <- if (miss_rate == 0) "none" else sample(c("MCAR", "MAR"), 1)
  items <- list(); k <- 0
  for (f in seq_len(nf)) { items[[f]] <- paste0("y", k + seq_len(ni[f])); k <- k + ni[f] }
  p <- k
  lam <- lapply(seq_len(nf), function(f) {
    s <- ifelse(runif(ni[f]) < 0.25, -1, 1)
    if (runif(1) < 0.33) s[1] <- -1           # reverse-keyed marker
    s * runif(ni[f], 0.4, 0.9)
  })
  cross <- NULL
  if (nf >= 2 && runif(1) < 0.25) {
    f_from <- sample(seq_len(nf), 1); others <- setdiff(seq_len(nf), f_from); f_to <- others[sample.int(length(others), 1)]
    cand <- items[[f_from]][-1]
    cross <- list(f = f_to, item = cand[sample.int(length(cand), 1)], val = 0.3)
  }
  rescov <- NULL
  if (runif(1) < 0.25) rescov <- sort(sample(seq_len(p), 2))
  regress <- nf >= 2 && runif(1) < 0.4
  covariate <- !ordinal && runif(1) < 0.2
  latmean <- !ordinal && ngroups == 1 && runif(1) < 0.2
  equal <- if (ngroups > 1) sample(list(character(0), "loadings",
                                        if (ordinal) c("loadings", "thresholds")
                                        else c("loadings", "intercepts")), 1)[[1]]
  else character(0)
  # ---- population and analysis syntax
  pop <- c(); ana <- c()
  for (f in seq_len(nf)) {
    pop <- c(pop, paste0("f", f, " =~ ", paste0(fmt(lam[[f]]), "*", items[[f]], collapse = " + ")))
    ana <- c(ana, paste0("f", f, " =~ ", paste(items[[f]], collapse = " + ")))
  }
  if (!is.null(cross)) {
    pop <- c(pop, paste0("f", cross$f, " =~ ", fmt(cross$val), "*", cross$item))
    ana <- c(ana, paste0("f", cross$f, " =~ ", cross$item))
  }
  theta <- runif(p, 0.3, 0.8)
  pop <- c(pop, paste0("y", seq_len(p), " ~~ ", fmt(theta), "*y", seq_len(p)))
  if (!is.null(rescov)) {
    pop <- c(pop, paste0("y", rescov[1], " ~~ ", fmt(0.15), "*y", rescov[2]))
    ana <- c(ana, paste0("y", rescov[1], " ~~ y", rescov[2]))
  }
  if (regress) {
    for (f in 2:nf) {
      b <- runif(1, 0.2, 0.5) * sample(c(-1, 1), 1)
      pop <- c(pop, paste0("f", f, " ~ ", fmt(b), "*f", f - 1))
      ana <- c(ana, paste0("f", f, " ~ f", f - 1))
      pop <- c(pop, paste0("f", f, " ~~ 0.7*f", f))
    }
    pop <- c(pop, "f1 ~~ 1*f1")
  } else {
    for (f in seq_len(nf)) pop <- c(pop, paste0("f", f, " ~~ 1*f", f))
    if (nf >= 2) for (a in 1:(nf - 1)) for (b in (a + 1):nf)
      pop <- c(pop, paste0("f", a, " ~~ ", fmt(runif(1, 0.1, 0.4)), "*f", b))
  }
  if (covariate) {
    pop <- c(pop, "f1 ~ 0.4*z")
    ana <- c(ana, "f1 ~ z")
  }
  if (latmean) {
    ana <- c(ana, paste0(items[[1]][1], " ~ 0*1"), "f1 ~ NA*1")
  }
  # ---- data, one group at a time (later groups shifted in latent mean / one loading)
  nper <- diff(round(seq(0, N, length.out = ngroups + 1)))
  dat <- NULL
  for (g in seq_len(ngroups)) {
    popg <- pop
    if (g > 1) {
      popg <- c(popg, paste0("f", seq_len(nf), " ~ ", fmt(0.3 * (g - 1)), "*1"))
    }
    nu <- if (ordinal) rep(0, p) else runif(p, 2, 4)
    if (latmean) { nu[match(items[[1]][1], paste0("y", seq_len(p)))] <- 0; popg <- c(popg, "f1 ~ 0.5*1") }
    popg <- c(popg, paste0("y", seq_len(p), " ~ ", fmt(nu), "*1"))
    d <- simulateData(paste(popg, collapse = "\n"), sample.nobs = nper[g],
                      empirical = FALSE, seed = sample.int(1e8, 1))
    d <- d[, c(paste0("y", seq_len(p)), if (covariate) "z"), drop = FALSE]
    if (ngroups > 1) d$g <- g
    dat <- rbind(dat, d)
  }
  if (ordinal) {
    for (v in paste0("y", seq_len(p))) {
      probs <- runif(ncat, 0.3, 1); probs <- probs / sum(probs)
      probs <- pmax(probs, 0.06); probs <- probs / sum(probs)
      cuts <- quantile(dat[[v]], cumsum(probs)[-ncat], names = FALSE)
      dat[[v]] <- findInterval(dat[[v]], cuts) + 1L
    }
  } else {
    for (v in paste0("y", seq_len(p))) dat[[v]] <- round(dat[[v]], 3)
    if (covariate) dat$z <- round(dat$z, 3)
  }
  # ---- missingness on the items (never on y1, the MAR cause, nor on z / g)
  if (miss_rate > 0) {
    r <- rank(dat$y1) / nrow(dat)
    for (v in paste0("y", 2:p)) {
      pm <- if (miss_type == "MCAR") rep(miss_rate, nrow(dat)) else 2 * miss_rate * r
      dat[[v]][runif(nrow(dat)) < pm] <- NA
    }
  }
  list(id = id, nf = nf, ni = paste(ni, collapse = "/"), p = p, N = nrow(dat),
       ordinal = ordinal, ncat = ncat, ngroups = ngroups, miss_rate = miss_rate,
       miss_type = miss_type, neg_marker = sum(sapply(lam, function(l) l[1] < 0)),
       cross = !is.null(cross), rescov = !is.null(rescov), regress = regress,
       covariate = covariate, latmean = latmean, group_equal = paste(equal, collapse = ","),
       model = paste(ana, collapse = "\n"), data = dat)
}

FIT_KEYS <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
              "chisq.scaling.factor", "cfi", "tli", "rmsea", "srmr", "cfi.scaled",
              "tli.scaled", "rmsea.scaled", "cfi.robust", "tli.robust", "rmsea.robust",
              "logl", "aic", "bic")

for (id in if (FROM >= 1) FROM:TO else integer(0)) {
  if (file.exists(file.path(PARTS, sprintf("case_%03d.rds", id)))) next  # resumable
  set.seed(SEED + id)
  cs <- draw_case(id)
  dat <- cs$data
  fname <- sprintf("case_%03d.csv.gz", id)
  con <- gzfile(file.path(OUT, "data", fname), "w")
  write.csv(dat, con, row.names = FALSE, na = "")
  close(con)
  ord <- if (cs$ordinal) paste0("y", seq_len(cs$p)) else character(0)
  miss <- cs$miss_rate > 0
  # one fit per case, the estimator alternating (ML / MLR) so that every combination of
  # estimator and missing-data handling is covered about equally often
  est <- if (id %% 2 == 0) "MLR" else "ML"
  configs <- if (cs$ordinal) {
    list(c("WLSMV", if (miss) "pairwise" else "listwise"))
  } else if (miss) {
    list(c(est, "ml"))
  } else {
    list(c(est, "listwise"))
  }
  for (cf in configs) {
    geq <- if (nzchar(cs$group_equal)) strsplit(cs$group_equal, ",")[[1]] else ""
    t0 <- proc.time()[["elapsed"]]
    fit <- tryCatch(suppressWarnings(
      if (cs$ngroups > 1) {
        lavaan::sem(cs$model, data = dat, estimator = cf[1], missing = cf[2],
                    ordered = if (length(ord)) ord else NULL, group = "g",
                    group.equal = geq)
      } else {
        lavaan::sem(cs$model, data = dat, estimator = cf[1], missing = cf[2],
                    ordered = if (length(ord)) ord else NULL)
      }), error = function(e) e)
    wall <- proc.time()[["elapsed"]] - t0
    row <- list(id = id, estimator = cf[1], missing = cf[2], wall = wall)
    if (inherits(fit, "error")) {
      row$converged <- FALSE; row$iterations <- NA; row$error <- conditionMessage(fit)
      for (k in FIT_KEYS) row[[k]] <- NA
    } else {
      row$converged <- lavInspect(fit, "converged")
      row$iterations <- lavInspect(fit, "iterations"); row$error <- ""
      fm <- if (row$converged) tryCatch(fitMeasures(fit), error = function(e) NULL) else NULL
      for (k in FIT_KEYS) row[[k]] <- if (!is.null(fm) && k %in% names(fm)) unname(fm[[k]]) else NA
      if (row$converged) {
        pe <- parameterEstimates(fit, ci = FALSE)
        pe <- pe[pe$op != ":=", ]
        grp <- if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group
        saveRDS(data.frame(id = id, estimator = cf[1], missing = cf[2],
                                               lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                                               group = grp, est = signif(pe$est, 10),
                                               se = signif(pe$se, 10)),
                file.path(PARTS, sprintf("est_%03d_%s.rds", id, cf[1])))
      }
    }
    saveRDS(as.data.frame(row, stringsAsFactors = FALSE),
            file.path(PARTS, sprintf("fit_%03d_%s.rds", id, cf[1])))
  }
  cs$data <- NULL
  cs$file <- fname
  cs$ordered <- paste(ord, collapse = ",")
  saveRDS(as.data.frame(cs, stringsAsFactors = FALSE),
          file.path(PARTS, sprintf("case_%03d.rds", id)))
  cat("case", id, "\n")
}
part_ids <- function(pattern) {
  as.integer(sub(pattern, "\\1", list.files(PARTS, pattern)))
}
# The committed fixtures hold cases whose parts are gone (parts are not kept in git);
# each case is deterministic per id, so their rows are kept as they are for every id
# without a part of its own, and a part replaces the committed rows of its id.
read_committed <- function(file) {
  path <- file.path(OUT, file)
  if (!file.exists(path)) return(NULL)
  read.csv(path, stringsAsFactors = FALSE, na.strings = "")
}
old_cases <- read_committed("cases.csv")
old_fits <- read_committed("fits.csv")
old_ests <- read_committed("estimates.csv.gz")
done <- union(part_ids("^case_([0-9]+)[.]rds$"), if (is.null(old_cases)) integer(0) else old_cases$id)
have <- seq_len(N_CASES) %in% done
# CAMPAIGN_FROM=0 combines whatever cases exist (the fixtures then say how many)
if (!all(have) && FROM >= 1) quit(save = "no", status = 0)
read_parts <- function(pattern) {
  do.call(rbind, lapply(sort(list.files(PARTS, pattern, full.names = TRUE)), readRDS))
}
keep_old <- function(old, new_ids) {
  if (is.null(old)) NULL else old[!(old$id %in% new_ids), , drop = FALSE]
}
new_cases <- read_parts("^case_")
new_ids <- if (is.null(new_cases)) integer(0) else new_cases$id
# a slice stopped mid-case leaves a fit without its case: keep complete cases only
only_complete <- function(df) if (is.null(df)) NULL else df[df$id %in% new_ids, , drop = FALSE]
new_fits <- only_complete(read_parts("^fit_"))
new_ests <- only_complete(read_parts("^est_"))
by_id <- function(df) df[order(df$id), , drop = FALSE]
cases <- list(by_id(rbind(keep_old(old_cases, new_ids), new_cases)))
fits <- list(by_id(rbind(keep_old(old_fits, new_ids), new_fits)))
ests <- list(by_id(rbind(keep_old(old_ests, new_ids), new_ests)))
write.csv(do.call(rbind, cases), file.path(OUT, "cases.csv"), row.names = FALSE, na = "")
fits_df <- do.call(rbind, fits)
for (k in FIT_KEYS) if (is.numeric(fits_df[[k]])) fits_df[[k]] <- signif(fits_df[[k]], 10)
write.csv(fits_df, file.path(OUT, "fits.csv"), row.names = FALSE, na = "")
con <- gzfile(file.path(OUT, "estimates.csv.gz"), "w")
write.csv(do.call(rbind, ests), con, row.names = FALSE, na = "")
close(con)
cat("cases:", nrow(cases[[1]]), "of", N_CASES, " fits:", nrow(fits_df), " lavaan converged:",
    sum(fits_df$converged), "\n")
