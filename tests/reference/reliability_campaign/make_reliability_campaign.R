# A generated campaign for the reliability command: random scales with reverse-worded
# items (the first item of a scale among them), Likert or continuous answers and gaps,
# against psych::alpha (with keys), semTools::compRelSEM / AVE / htmt on lavaan's CFA of
# the recoded items, and the Joreskog composite reliability.
# Run from the repository root:
#   Rscript tests/reference/reliability_campaign/make_reliability_campaign.R
# Versions used: R 4.2.2, lavaan 0.6.14, semTools 0.5-6, psych 2.2.9, jsonlite.
# Writes case_NN.csv (the raw answers, reverse-worded items NOT recoded) and cases.json:
# per case the model, the reverse-worded items and the reference values.
suppressPackageStartupMessages({
  library(lavaan); library(semTools); library(psych); library(jsonlite)
})
out <- "tests/reference/reliability_campaign"
set.seed(20261206)
cases <- list()
for (k in 1:16) {
  nf <- sample(2:4, 1)
  per <- sample(3:6, nf, replace = TRUE)
  p <- sum(per)
  n <- sample(c(150, 300, 600), 1)
  phi <- matrix(runif(1, .1, .5), nf, nf); diag(phi) <- 1
  eta <- matrix(rnorm(n * nf), n) %*% chol(phi)
  fac <- rep(seq_len(nf), per)
  lam <- runif(p, .45, .85)
  y <- sapply(seq_len(p), function(j) lam[j] * eta[, fac[j]] + sqrt(1 - lam[j]^2) * rnorm(n))
  nm <- paste0(rep(paste0("s", seq_len(nf)), per), "_", sequence(per))
  # reverse-worded items: about a quarter, and the first item of scale 1 in every other case
  rev <- nm[runif(p) < .25]
  if (k %% 2 == 1) rev <- union(nm[1], rev)
  kind <- c("likert5", "likert7", "continuous")[(k - 1) %% 3 + 1]
  lo <- 1
  hi <- switch(kind, likert5 = 5, likert7 = 7, continuous = NA)
  raw <- as.data.frame(y); names(raw) <- nm
  if (kind != "continuous") {
    for (v in nm) raw[[v]] <- pmin(pmax(round((raw[[v]] + 2.6) / 5.2 * (hi - 1) + 1), 1), hi)
  } else {
    raw[] <- lapply(raw, function(x) round(10 + 2 * x, 3))
  }
  # answers to reverse-worded items run the other way (what the respondent ticks)
  for (v in rev) raw[[v]] <- min(raw[[v]]) + max(raw[[v]]) - raw[[v]]
  if (k %% 4 == 0) raw[matrix(runif(n * p) < .05, n)] <- NA
  file <- file.path(out, sprintf("case_%02d.csv", k))
  write.csv(raw, file, row.names = FALSE, na = "")
  rec <- raw  # recoded as the command's --reverse does: min + max - x of the item
  for (v in rev) rec[[v]] <- min(rec[[v]], na.rm = TRUE) + max(rec[[v]], na.rm = TRUE) - rec[[v]]
  model <- paste(sapply(seq_len(nf), function(f) paste0("s", f, " =~ ",
                 paste(nm[fac == f], collapse = " + "))), collapse = "\n")
  fit <- cfa(model, data = rec)
  lamstd <- lavInspect(fit, "std")$lambda
  cr <- sapply(colnames(lamstd), function(f) {
    l <- lamstd[lamstd[, f] != 0, f]; sum(l)^2 / (sum(l)^2 + sum(1 - l^2))
  })
  alpha <- lapply(seq_len(nf), function(f) {
    vars <- nm[fac == f]
    keys <- intersect(vars, rev)
    a <- if (length(keys)) psych::alpha(raw[, vars], keys = keys, warnings = FALSE) else
      psych::alpha(raw[, vars], warnings = FALSE)
    list(raw_alpha = a$total$raw_alpha, feldt_lower = a$feldt$lower.ci[[1]],
         feldt_upper = a$feldt$upper.ci[[1]])
  })
  names(alpha) <- paste0("s", seq_len(nf))
  h2 <- htmt(model, data = rec)
  cases[[k]] <- list(
    id = k, file = basename(file), model = model, reverse = I(rev), kind = kind,
    converged = lavInspect(fit, "converged"), n = lavInspect(fit, "nobs"),
    alpha = alpha, omega = as.list(compRelSEM(fit)), ave = as.list(AVE(fit)),
    cr = as.list(cr), htmt = list(names = colnames(h2), values = unname(unclass(h2))))
}
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           file.path(out, "cases.json"))
