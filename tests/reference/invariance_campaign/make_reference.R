# Campaign of measurement-invariance sequences: the reference of
# tests/test_invariance_campaign.py.
#
# Run from the repository root (seeded: two runs write the same bytes):
#   Rscript tests/reference/invariance_campaign/make_reference.R
# Versions used: R 4.2.2, lavaan 0.6.14, semTools 0.5-6, jsonlite (Debian bookworm).
#
# Part 1 simulates the cases (one-factor scales of 3-7 items, 2-3 groups of unequal
# size) with non-invariance of known size built in, and writes
#   cases.json           each case's design: estimator, grouping column, group sizes,
#                        true loadings, intercept/threshold shifts, missing share, ...
#   data/case_NN.csv     the data as the study's invariance step receives them (items
#                        already in the direction analysed; a reverse-keyed first item
#                        is left unrecoded where the design says so)
# Part 2 reads paths.json (every model the Python side fitted on its path through the
# sequence, written by `python tests/test_invariance_campaign.py --write-paths`) and
# fits each of those models with lavaan, from data prepared by this script's own
# reading of the study's rules (one member per dyad for firm_role; empty categories of
# ordered items merged with a neighbour in all groups), and runs lavTestLRT() (its
# default method for the estimator) on every comparison the study printed:
#   lavaan.json          per case: prepared group sizes (groups: rows of the prepared
#                        data; groups_used: lavaan's nobs of the first model), category
#                        merges, and per model
#                        converged, npar, chisq/df/pvalue (scaled), cfi/rmsea (robust
#                        for MLR, else scaled; as the study reports them), srmr, ntotal;
#                        per comparison delta_chisq, delta_df, delta_pvalue.
# Ordered items: semTools::measEq.syntax(ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
# parameterization = "delta") with group.equal / group.partial, fitted by cfa(WLSMV).
# Continuous items: cfa(MLR, group.equal, group.partial), missing = "ml" with missing data.
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
out <- "tests/reference/invariance_campaign"
dir.create(file.path(out, "data"), showWarnings = FALSE, recursive = TRUE)
set.seed(20261207)

CUTS7 <- c(-1.7, -1.0, -0.4, 0.15, 0.7, 1.35)

# ---------------------------------------------------------------------------
# Part 1: cases
# ---------------------------------------------------------------------------
# spec fields: est, group ("language" | "firm_role"), n (per group), lambda (group 1),
# load (list of list(item, group, value)), shift (list of list(item, group, value)),
# miss (share of item values missing, MCAR), reverse1 (first item reverse-keyed, not
# recoded), empty (list(item, group, category)): that category emptied in that group,
# scale ("points7" or "continuous") for MLR, fmean/fvar per group, dyads (firm_role:
# how many B rows share an alliance with an A row)
L <- function(...) list(...)
cases <- list(
  # --- WLSMV, ordered 7-point items
  L(est = "WLSMV", group = "language", n = c(300, 250), lambda = c(.8, .7, .75, .65, .7)),
  L(est = "WLSMV", group = "language", n = c(400, 120, 60), lambda = c(.7, .8, .6, .7)),
  L(est = "WLSMV", group = "language", n = c(300, 300), lambda = c(.8, .7, .75, .65, .7, .6),
    load = L(L(3, 2, .25))),
  L(est = "WLSMV", group = "language", n = c(350, 200), lambda = c(.7, .75, .8, .7, .65),
    shift = L(L(4, 2, .8))),
  L(est = "WLSMV", group = "language", n = c(300, 200, 150), lambda = c(.75, .7, .8, .65, .7, .7, .6),
    load = L(L(2, 3, .3)), shift = L(L(5, 2, .7), L(6, 3, -.6))),
  L(est = "WLSMV", group = "firm_role", n = c(220, 260), lambda = c(.8, .7, .7, .6),
    dyads = 150, shift = L(L(2, 2, .6))),
  L(est = "WLSMV", group = "language", n = c(250, 150), lambda = c(.7, .8, .75, .6, .7),
    reverse1 = TRUE),
  L(est = "WLSMV", group = "language", n = c(250, 150), lambda = c(.75, .8, .7, .7),
    reverse1 = TRUE, shift = L(L(3, 2, .7))),
  L(est = "WLSMV", group = "language", n = c(300, 60), lambda = c(.7, .75, .8, .7, .65),
    empty = L(2, 2, 7)),
  L(est = "WLSMV", group = "language", n = c(200, 90, 40), lambda = c(.8, .7, .7),
    empty = L(1, 3, 1)),
  L(est = "WLSMV", group = "language", n = c(300, 250), lambda = c(.75, .05, .8, .7, .7)),
  L(est = "WLSMV", group = "language", n = c(150, 100), lambda = c(.8, .7, .75, .7, .65, .7),
    miss = .08),
  L(est = "WLSMV", group = "language", n = c(350, 300), lambda = c(.7, .8, .75, .7, .7),
    load = L(L(2, 2, .35), L(4, 2, .35)), shift = L(L(3, 2, .6), L(5, 2, -.6))),
  L(est = "WLSMV", group = "language", n = c(60, 45, 30), lambda = c(.8, .8, .75, .7)),
  L(est = "WLSMV", group = "firm_role", n = c(120, 180), lambda = c(.75, .7, .8),
    dyads = 80),
  # --- MLR, continuous or 7-point items
  L(est = "MLR", group = "language", n = c(300, 250), lambda = c(.8, .7, .75, .65, .7)),
  L(est = "MLR", group = "language", n = c(400, 150, 80), lambda = c(.7, .8, .6, .7),
    scale = "continuous"),
  L(est = "MLR", group = "language", n = c(300, 300), lambda = c(.8, .7, .75, .65, .7, .6),
    load = L(L(4, 2, .25)), scale = "continuous"),
  L(est = "MLR", group = "language", n = c(350, 220), lambda = c(.7, .75, .8, .7, .65),
    shift = L(L(3, 2, .7))),
  L(est = "MLR", group = "language", n = c(300, 200, 120), lambda = c(.75, .7, .8, .65, .7, .7, .6),
    load = L(L(2, 3, .3)), shift = L(L(5, 2, .6), L(6, 3, -.6)), scale = "continuous"),
  L(est = "MLR", group = "firm_role", n = c(200, 240), lambda = c(.8, .7, .7, .6, .7),
    dyads = 140, shift = L(L(4, 2, .7))),
  L(est = "MLR", group = "language", n = c(250, 150), lambda = c(.7, .8, .75, .6, .7),
    reverse1 = TRUE),
  L(est = "MLR", group = "language", n = c(250, 180), lambda = c(.75, .8, .7, .7),
    reverse1 = TRUE, load = L(L(3, 2, .3)), scale = "continuous"),
  L(est = "MLR", group = "language", n = c(300, 250), lambda = c(.75, .05, .8, .7, .7),
    scale = "continuous"),
  L(est = "MLR", group = "language", n = c(300, 200), lambda = c(.8, .7, .75, .7, .65, .7),
    miss = .1, scale = "continuous"),
  L(est = "MLR", group = "language", n = c(250, 150, 100), lambda = c(.75, .7, .8, .7, .7),
    miss = .08, shift = L(L(2, 3, .8))),
  L(est = "MLR", group = "language", n = c(60, 40, 30), lambda = c(.8, .75, .7, .7)),
  L(est = "MLR", group = "language", n = c(400, 350), lambda = c(.7, .8, .75, .7, .7),
    load = L(L(2, 2, .35), L(4, 2, .35)), shift = L(L(3, 2, .6), L(5, 2, -.6)),
    scale = "continuous"),
  L(est = "MLR", group = "language", n = c(300, 200), lambda = c(.1, .8, .75, .7),
    scale = "continuous"),
  L(est = "MLR", group = "firm_role", n = c(90, 110), lambda = c(.75, .7, .8), dyads = 60,
    miss = .05, scale = "continuous"),
  # --- respondents who answered none of the scale's items (they answered other scales)
  L(est = "MLR", group = "language", n = c(170, 140), lambda = c(.8, .7, .75, .7),
    miss = .05, allmiss = 12, scale = "continuous", load = L(L(2, 2, .5))),
  L(est = "WLSMV", group = "language", n = c(170, 140), lambda = c(.8, .7, .75, .7),
    miss = .05, allmiss = 12, shift = L(L(3, 2, .5))),
  L(est = "MLR", group = "firm_role", n = c(160, 180), lambda = c(.75, .7, .8, .7),
    dyads = 120, miss = .05, allmiss = 40, scale = "continuous"),
  L(est = "WLSMV", group = "language", n = c(40, 35, 30), lambda = c(.8, .7, .75, .7, .8, .7, .75)),
  # --- a reverse-keyed first item that barely loads (the marker of the MLR model)
  L(est = "MLR", group = "language", n = c(250, 200), lambda = c(.08, .8, .75, .7),
    reverse1 = TRUE, scale = "continuous"),
  L(est = "WLSMV", group = "language", n = c(250, 200), lambda = c(.08, .8, .75, .7),
    reverse1 = TRUE),
  # --- 7-point items answered in three categories only (2, 4, 6)
  L(est = "WLSMV", group = "language", n = c(300, 200), lambda = c(.8, .7, .75, .7, .7),
    three = TRUE, shift = L(L(2, 2, .6))),
  # --- three items, two loadings differ: at most one can be freed
  L(est = "MLR", group = "language", n = c(300, 300), lambda = c(.8, .75, .7),
    load = L(L(2, 2, .2), L(3, 2, .25)), scale = "continuous"),
  # --- small groups and one loading near 1 (a Heywood case in one group)
  L(est = "MLR", group = "language", n = c(35, 30), lambda = c(.97, .6, .6, .6),
    scale = "continuous"),
  L(est = "WLSMV", group = "language", n = c(300, 150, 30), lambda = c(.8, .75, .7, .7, .75),
    shift = L(L(3, 3, .9)))
)
LANG <- c("en", "de", "fr")

simulate_case <- function(cs) {
  k <- length(cs$lambda)
  G <- length(cs$n)
  scale <- if (cs$est == "WLSMV") "ordinal" else if (is.null(cs$scale)) "points7" else cs$scale
  rows <- list()
  for (g in seq_len(G)) {
    n <- cs$n[g]
    lam <- cs$lambda
    if (isTRUE(cs$reverse1)) lam[1] <- -lam[1]
    tau <- rep(0, k)
    for (e in cs$load) if (e[[2]] == g) lam[e[[1]]] <- sign(lam[e[[1]]]) * e[[3]]
    for (e in cs$shift) if (e[[2]] == g) tau[e[[1]]] <- e[[3]]
    fmean <- c(0, .2, -.15)[g]
    fsd <- sqrt(c(1, 1.2, .85)[g])
    f <- rnorm(n, fmean, fsd)
    x <- matrix(NA_real_, n, k)
    for (j in seq_len(k)) {
      ystar <- lam[j] * f + tau[j] +
        rnorm(n, 0, sqrt(1 - cs$lambda[j]^2))
      x[, j] <- switch(scale,
        ordinal = , points7 = as.integer(findInterval(ystar, CUTS7) + 1L),
        continuous = round(4 + 1.2 * ystar, 3))
    }
    if (isTRUE(cs$three)) x[] <- c(2L, 2L, 4L, 4L, 4L, 6L, 6L)[x]
    if (!is.null(cs$empty) && cs$empty[[2]] == g) {
      j <- cs$empty[[1]]; cat_ <- cs$empty[[3]]
      nb <- if (cat_ == 7) 6L else if (cat_ == 1) 2L else cat_ + 1L
      x[x[, j] == cat_, j] <- nb
    }
    colnames(x) <- paste0("x", seq_len(k))
    d <- as.data.frame(x)
    d$grp <- if (cs$group == "firm_role") c("A", "B")[g] else LANG[g]
    rows[[g]] <- d
  }
  d <- do.call(rbind, rows)
  if (!is.null(cs$miss) && cs$miss > 0) {
    for (j in seq_len(k)) d[runif(nrow(d)) < cs$miss, j] <- NA
    # every respondent keeps at least one answer (the study drops those with none)
    none <- rowSums(!is.na(d[, seq_len(k), drop = FALSE])) == 0
    d[none, 1] <- 4
  }
  if (!is.null(cs$allmiss)) {
    # the first `allmiss` rows of each group answered none of the items (for firm_role
    # those B rows are dyad members)
    start <- c(0, cumsum(cs$n))
    for (g in seq_len(G)) d[start[g] + seq_len(cs$allmiss), seq_len(k)] <- NA
  }
  names(d)[names(d) == "grp"] <- cs$group
  if (cs$group == "firm_role") {
    # alliance ids: the first `dyads` B rows share an alliance with an A row
    na <- cs$n[1]; nb <- cs$n[2]
    ids <- c(sprintf("a%04d", seq_len(na)), sprintf("b%04d", seq_len(nb)))
    m <- cs$dyads
    ids[na + seq_len(m)] <- ids[sample.int(na, m)]
    d$alliance_id <- ids
  }
  d[, c(cs$group, if (cs$group == "firm_role") "alliance_id", paste0("x", seq_len(k)))]
}

specs <- list()
for (i in seq_along(cases)) {
  cs <- cases[[i]]
  d <- simulate_case(cs)
  name <- sprintf("case_%02d", i)
  write.csv(d, file.path(out, "data", paste0(name, ".csv")), row.names = FALSE, na = "")
  specs[[name]] <- list(
    estimator = cs$est, group = cs$group, n = I(cs$n),
    items = I(paste0("x", seq_along(cs$lambda))), lambda = I(cs$lambda),
    load = lapply(cs$load, function(e) list(item = e[[1]], group = e[[2]], value = e[[3]])),
    shift = lapply(cs$shift, function(e) list(item = e[[1]], group = e[[2]], value = e[[3]])),
    miss = if (is.null(cs$miss)) 0 else cs$miss, reverse1 = isTRUE(cs$reverse1),
    allmiss = if (is.null(cs$allmiss)) 0 else cs$allmiss, three = isTRUE(cs$three),
    empty = if (is.null(cs$empty)) NULL else
      list(item = cs$empty[[1]], group = cs$empty[[2]], category = cs$empty[[3]]),
    scale = if (cs$est == "WLSMV") "ordinal" else if (is.null(cs$scale)) "points7" else cs$scale,
    dyads = if (is.null(cs$dyads)) 0 else cs$dyads)
}
writeLines(toJSON(specs, digits = NA, auto_unbox = TRUE, null = "null", pretty = TRUE),
           file.path(out, "cases.json"))

# ---------------------------------------------------------------------------
# Part 2: lavaan's fits of the models on the study's path
# ---------------------------------------------------------------------------
paths_file <- file.path(out, "paths.json")
if (!file.exists(paths_file)) {
  cat("no paths.json yet: run `python tests/test_invariance_campaign.py --write-paths`,",
      "then this script again\n")
  quit(status = 0)
}
paths <- fromJSON(paths_file, simplifyVector = FALSE)

# the study's preparation, read from its documentation (not its code)
one_member_per_dyad <- function(d) {
  ids <- d$alliance_id
  paired <- !is.na(ids) & (duplicated(ids) | duplicated(ids, fromLast = TRUE))
  d[!(paired & d$firm_role == "A"), , drop = FALSE]
}
collapse_empty <- function(d, items, group) {
  merges <- list()
  for (it in items) {
    col <- d[[it]]
    repeat {
      cats <- sort(unique(col[!is.na(col)]))
      if (length(cats) <= 2) break
      tab <- table(factor(d[[group]][!is.na(col)]), factor(col[!is.na(col)], levels = cats))
      tab <- tab[rowSums(tab) > 0, , drop = FALSE]
      empty <- cats[colSums(tab == 0) > 0]
      if (!length(empty)) break
      c0 <- empty[1]; i <- match(c0, cats)
      to <- if (i == 1) cats[2] else if (i == length(cats)) cats[length(cats) - 1] else {
        n <- table(col)
        if (n[[as.character(cats[i - 1])]] <= n[[as.character(cats[i + 1])]]) cats[i - 1]
        else cats[i + 1]
      }
      col[!is.na(col) & col == c0] <- to
      merges[[it]] <- c(merges[[it]], list(c(c0, to)))
    }
    d[[it]] <- col
  }
  list(data = d, merges = merges)
}

KEYS_MLR <- c("npar", "ntotal", "chisq.scaled", "df", "pvalue.scaled", "cfi.robust",
              "rmsea.robust", "cfi.scaled", "rmsea.scaled", "srmr")
KEYS_WLS <- c("npar", "ntotal", "chisq.scaled", "df", "pvalue.scaled", "cfi.scaled",
              "rmsea.scaled", "srmr")
num <- function(x) if (is.null(x) || length(x) == 0) NA_real_ else unname(as.numeric(x))

fit_model <- function(cs, d, model, items, m) {
  eq <- unlist(m$equal); if (is.null(eq)) eq <- ""
  part <- gsub(" ", "", unlist(m$partial)); if (!length(part)) part <- ""
  warns <- character(0)
  fit <- withCallingHandlers(tryCatch({
    if (cs$estimator == "WLSMV") {
      syn <- as.character(do.call(measEq.syntax, list(
        configural.model = model, data = d, ordered = items, group = cs$group,
        parameterization = "delta", ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
        group.equal = eq, group.partial = part)))
      cfa(syn, data = d, ordered = items, group = cs$group, estimator = "WLSMV",
          parameterization = "delta", missing = paths[[cs$name]]$missing)
    } else {
      cfa(model, data = d, group = cs$group, estimator = "MLR",
          missing = paths[[cs$name]]$missing, group.equal = eq, group.partial = part)
    }
  }, error = function(e) conditionMessage(e)),
  warning = function(w) {
    # semTools 0.5-6 under R 4.2 tests `group.partial == ""` with && (harmless)
    if (!grepl("in coercion to 'logical(1)'", conditionMessage(w), fixed = TRUE))
      warns <<- c(warns, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  if (is.character(fit)) return(list(fit = NULL, row = list(error = fit, converged = FALSE)))
  conv <- lavInspect(fit, "converged")
  keys <- if (cs$estimator == "WLSMV") KEYS_WLS else KEYS_MLR
  fm <- if (conv) as.list(fitMeasures(fit, keys)) else setNames(as.list(rep(NA, length(keys))), keys)
  post <- if (conv) tryCatch(lavInspect(fit, "post.check"), warning = function(w) FALSE,
                             error = function(e) FALSE) else FALSE
  row <- list(converged = conv, post_check = isTRUE(post),
              npar = num(fm$npar), ntotal = num(fm$ntotal),
              chisq = num(fm$chisq.scaled), df = num(fm$df), pvalue = num(fm$pvalue.scaled),
              cfi = if (cs$estimator == "MLR") num(fm$cfi.robust) else num(fm$cfi.scaled),
              rmsea = if (cs$estimator == "MLR") num(fm$rmsea.robust) else num(fm$rmsea.scaled),
              cfi_scaled = num(fm$cfi.scaled), rmsea_scaled = num(fm$rmsea.scaled),
              srmr = num(fm$srmr), nobs = I(as.numeric(lavInspect(fit, "nobs"))),
              warnings = I(unique(warns)))
  list(fit = fit, row = row)
}

lrt_row <- function(f0, f1) {
  if (is.null(f0) || is.null(f1)) return(list(delta_chisq = NA, delta_df = NA, delta_pvalue = NA))
  if (!lavInspect(f0, "converged") || !lavInspect(f1, "converged"))
    return(list(delta_chisq = NA, delta_df = NA, delta_pvalue = NA))
  ddf <- fitMeasures(f1, "df") - fitMeasures(f0, "df")
  if (ddf == 0)
    return(list(delta_chisq = num(fitMeasures(f1, "chisq") - fitMeasures(f0, "chisq")),
                delta_df = 0, delta_pvalue = NA))
  t <- suppressWarnings(tryCatch(lavTestLRT(f0, f1), error = function(e) NULL))
  if (is.null(t)) return(list(delta_chisq = NA, delta_df = num(ddf), delta_pvalue = NA))
  list(delta_chisq = num(t[2, "Chisq diff"]), delta_df = num(t[2, "Df diff"]),
       delta_pvalue = num(t[2, "Pr(>Chisq)"]))
}

res <- list()
for (name in names(paths)) {
  cs <- specs[[name]]; cs$name <- name
  pth <- paths[[name]]
  d <- read.csv(file.path(out, "data", paste0(name, ".csv")), stringsAsFactors = FALSE)
  items <- unlist(cs$items)
  d <- d[!is.na(d[[cs$group]]) & d[[cs$group]] != "", , drop = FALSE]
  # a respondent who answered none of the scale's items is in no fit (lavaan: "some cases
  # are empty and will be ignored"), so does not count as a member of a dyad either
  d <- d[rowSums(!is.na(d[, items, drop = FALSE])) > 0, , drop = FALSE]
  if (cs$group == "firm_role") d <- one_member_per_dyad(d)
  merges <- list()
  if (cs$estimator == "WLSMV") {
    if (pth$missing == "listwise") d <- d[complete.cases(d[, items]), , drop = FALSE]
    cl <- collapse_empty(d, items, cs$group)
    d <- cl$data; merges <- cl$merges
  }
  model <- paste("f =~", paste(items, collapse = " + "))
  fits <- list(); rows <- list()
  for (m in pth$models) {
    r <- fit_model(cs, d, model, items, m)
    fits[[m$key]] <- r$fit
    rows[[m$key]] <- r$row
  }
  lrts <- list()
  for (p in pth$pairs) {
    lrts[[paste(p[[1]], p[[2]], sep = " >> ")]] <- lrt_row(fits[[p[[1]]]], fits[[p[[2]]]])
  }
  gs <- table(factor(d[[cs$group]], levels = unique(d[[cs$group]])))
  f1 <- fits[[pth$models[[1]]$key]]
  used <- if (is.null(f1)) list() else
    as.list(setNames(as.numeric(lavInspect(f1, "nobs")), lavInspect(f1, "group.label")))
  res[[name]] <- list(groups = as.list(gs), groups_used = used, merges = merges,
                      models = rows, lrt = lrts)
}
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null", null = "null",
                  pretty = TRUE),
           file.path(out, "lavaan.json"))
cat(R.version.string, "lavaan", as.character(packageVersion("lavaan")),
    "semTools", as.character(packageVersion("semTools")), "\n")
