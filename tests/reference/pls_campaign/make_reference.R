# Generated PLS-SEM campaign: random models and data sets, estimated with seminr's own code.
#
# Usage: Rscript tests/reference/pls_campaign/make_reference.R SEMINR_SOURCE_DIR OUT_DIR [SEED N]
#   SEMINR_SOURCE_DIR: a checkout of https://github.com/sem-in-r/seminr (2.3.1, R/ folder)
#   OUT_DIR:           tests/reference/pls_campaign
#
# Like tests/reference/pls/make_reference.R, this evaluates seminr's R/ sources in the
# global environment (seminr is not packaged for Debian).  For every case it writes
#   cases/<id>.csv   the data, rounded to 7 significant digits before estimation, so the
#                    file holds exactly the numbers seminr saw (NA marks a missing value)
#   cases/<id>.json  the model in our lavaan-like syntax, the settings, and seminr's
#                    weights, loadings, paths, R^2, construct scores, reliability, HTMT,
#                    item and antecedent VIFs and f^2.
# Everything is seeded; a rerun rewrites the same bytes.  R 4.2.2, seminr 2.3.1 (ae2524a),
# jsonlite, psych (bfi) and MASS (survey).
args <- commandArgs(trailingOnly = TRUE)
src <- args[1]; out <- args[2]
# optional: SEED N_GENERATED for an exploratory batch (not the committed fixtures)
seed <- if (length(args) >= 3) as.integer(args[3]) else 20261207L
n_gen <- if (length(args) >= 4) as.integer(args[4]) else 25L
files <- list.files(file.path(src, "R"), full.names = TRUE)
files <- files[!grepl("zzz", files)]
for (f in files) tryCatch(eval(parse(text = gsub("seminr::", "", readLines(f))), envir = globalenv()),
                          error = function(e) NULL)
seminr_info <- function() list(version = "2.3.1 (source)", citation = "")
dir.create(file.path(out, "cases"), showWarnings = FALSE, recursive = TRUE)

mat <- function(x) {
  x <- as.matrix(unclass(x))
  list(rows = I(rownames(x)), cols = I(colnames(x)), values = unname(x))
}
vec_list <- function(l) {  # seminr's list of named VIF vectors -> rows of (block, name, value)
  rows <- list()
  for (b in names(l)) for (i in names(l[[b]])) rows[[length(rows) + 1]] <- list(b, i, unname(l[[b]][[i]]))
  rows
}

# seminr's item_vifs() without sapply()'s simplification, which drops the item names when
# every block has one item or all blocks have the same number of items
item_vifs_unsimplified <- function(m) {
  sapply(constructs_in_model(m)$construct_names, independent_vifs, items_of_construct, m,
         data = m$data, simplify = FALSE)
}

# --- one case: a model (blocks, paths, settings) and its data -> files ----------------
run_case <- function(id, data, blocks, paths, settings, origin) {
  # blocks: list of list(name, mode "A"/"B", items); paths: data.frame(from, to)
  # settings: scheme ("path"/"factor"), consistent, interaction (NULL or list(iv, mod, method))
  data <- as.data.frame(lapply(data, function(x) signif(x, 7)))
  cons <- lapply(blocks, function(b) {
    if (b$mode == "B") composite(b$name, b$items, weights = mode_B)
    else if (settings$consistent && length(b$items) > 1) reflective(b$name, b$items)
    else composite(b$name, b$items)
  })
  ix <- settings$interaction
  if (!is.null(ix)) {
    meth <- switch(ix$method, two_stage = two_stage, product_indicator = product_indicator,
                   orthogonal = orthogonal)
    cons[[length(cons) + 1]] <- interaction_term(iv = ix$iv, moderator = ix$mod, method = meth)
  }
  mm <- do.call(constructs, cons)
  sm <- do.call(relationships, lapply(seq_len(nrow(paths)), function(r)
    paths(from = paths$from[r], to = paths$to[r])))
  inner <- if (settings$scheme == "path") path_weighting else path_factorial
  # our syntax
  lines <- vapply(blocks, function(b) paste(b$name, if (b$mode == "B") "<~" else "=~",
                                            paste(b$items, collapse = " + ")), "")
  for (t in unique(paths$to)) {
    src_t <- gsub("*", ":", paths$from[paths$to == t], fixed = TRUE)
    lines <- c(lines, paste(t, "~", paste(src_t, collapse = " + ")))
  }
  code <- if (isTRUE(settings$missing_code)) -99 else NA  # a code for a missing value
  coded <- data
  if (!is.na(code)) coded[is.na(coded)] <- code
  write.csv(coded, file.path(out, "cases", paste0(id, ".csv")), row.names = FALSE, na = "")
  head <- list(
    id = id, origin = origin, model = paste(lines, collapse = "\n"),
    settings = list(scheme = settings$scheme, consistent = settings$consistent,
                    interaction = if (is.null(ix)) "none" else ix$method,
                    n = nrow(data), n_missing = sum(is.na(data)),
                    missing_value = code))
  save <- function(res) writeLines(
    jsonlite::toJSON(res, digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE),
    file.path(out, "cases", paste0(id, ".json")))
  m <- tryCatch(suppressMessages(suppressWarnings(
    estimate_pls(coded, mm, sm, inner_weights = inner, missing_value = code))),
                error = function(e) e)
  if (inherits(m, "error")) {  # kept: our API must refuse such a case with a clear message
    message(id, ": seminr fails: ", conditionMessage(m))
    return(invisible(save(c(head, list(seminr_error = conditionMessage(m))))))
  }
  # summary()'s parts, f^2 on its own: its re-estimates without a path can fail alone
  v <- suppressMessages(suppressWarnings(evaluate_model(m)))
  f2 <- tryCatch(mat(suppressMessages(suppressWarnings(model_fsquares(m)))),
                 error = function(e) list(seminr_error = conditionMessage(e)))
  res <- c(head, list(
    iterations = m$iterations,
    weights = mat(m$outer_weights), loadings = mat(m$outer_loadings),
    paths = mat(m$path_coef), rsquared = mat(m$rSquared),
    scores = mat(m$construct_scores),
    reliability = mat(v$reliability), htmt = mat(t(v$validity$htmt)),
    vif_items = vec_list(item_vifs_unsimplified(m)), vif_inner = vec_list(v$validity$antecedent_vifs),
    fsquare = f2, total_effects = mat(total_effects(m$path_coef)),
    fl_criteria = mat(v$validity$fl_criteria), cross_loadings = mat(v$validity$cross_loadings)))
  save(res)
  invisible(m)
}

# --- generated cases ---------------------------------------------------------------
gen_case <- function(i, force = list()) {
  K <- sample(3:7, 1)
  small <- runif(1) < 0.35
  n <- if (small) sample(30:60, 1) else sample(c(100, 150, 250, 400), 1)
  nind <- sample(1:6, K, replace = TRUE)
  if (!any(nind == 1) && runif(1) < 0.4) nind[sample(K, 1)] <- 1
  modes <- ifelse(nind > 1 & runif(K) < 0.3, "B", "A")
  collinear <- which(modes == "B")[runif(sum(modes == "B")) < 0.4]
  # recursive structure: construct k has 1..3 earlier predecessors
  B <- matrix(0, K, K)
  for (k in 2:K) {
    pred <- sample(seq_len(k - 1), min(k - 1, sample(1:3, 1)))
    B[pred, k] <- runif(length(pred), 0.15, 0.5) * sample(c(-1, 1, 1, 1), length(pred), TRUE)
  }
  # keep every construct in a path (the first ones are always predecessors of someone)
  for (k in seq_len(K - 1)) if (!any(B[k, ] != 0)) {
    later <- (k + 1):K
    B[k, later[sample.int(length(later), 1)]] <- 0.3
  }
  eta <- matrix(0, n, K)
  for (k in 1:K) {
    eta[, k] <- eta %*% B[, k] + rnorm(n)
    eta[, k] <- eta[, k] / sd(eta[, k])
  }
  likert <- runif(1) < 0.3
  X <- list(); blocks <- list()
  for (k in 1:K) {
    items <- sprintf("c%d_%d", k, seq_len(nind[k]))
    for (j in seq_len(nind[k])) {
      lam <- if (k %in% collinear) 0.99 else runif(1, 0.45, 0.9)
      x <- lam * eta[, k] + sqrt(1 - lam^2) * rnorm(n)
      if (likert) x <- pmin(7, pmax(1, round(4 + 1.4 * x)))
      else x <- 10^runif(1, -2, 3) * x + round(runif(1, -50, 50))  # very different scales
      X[[items[j]]] <- x
    }
    blocks[[k]] <- list(name = sprintf("C%d", k), mode = modes[k], items = items)
  }
  data <- as.data.frame(X)
  if (runif(1) < 0.3) {  # missing completely at random, 3% of the cells
    cells <- sample(length(unlist(data)), ceiling(0.03 * n * ncol(data)))
    M <- as.matrix(data); M[cells] <- NA; data <- as.data.frame(M)
    missing_code <- i %% 2 == 0  # every other such case marks them -99 (not NA)
  } else missing_code <- FALSE
  edges <- which(B != 0, arr.ind = TRUE)
  edges <- edges[order(edges[, 2], edges[, 1]), , drop = FALSE]
  paths <- data.frame(from = sprintf("C%d", edges[, 1]), to = sprintf("C%d", edges[, 2]),
                      stringsAsFactors = FALSE)
  settings <- list(scheme = sample(c("path", "factor"), 1),
                   consistent = runif(1) < 0.3 || isTRUE(force$consistent),
                   interaction = NULL, missing_code = missing_code)
  if (runif(1) < 0.35 || isTRUE(force$interaction)) {  # moderate the first two paths into the last construct
    to <- paths$to[nrow(paths)]
    srcs <- paths$from[paths$to == to]
    if (length(srcs) > 1) {
      # the methods take turns, so that each is drawn
      n_ix <<- n_ix + 1
      method <- c("two_stage", "product_indicator", "orthogonal")[(n_ix - 1) %% 3 + 1]
      settings$interaction <- list(iv = srcs[1], mod = srcs[2], method = method)
      paths <- rbind(paths, data.frame(from = paste(srcs[1], srcs[2], sep = "*"), to = to))
    }
  }
  list(data = data, blocks = blocks, paths = paths, settings = settings)
}

set.seed(seed)
n_ix <- 0
for (i in seq_len(n_gen)) {
  g <- gen_case(i)
  id <- sprintf("gen%02d", i)
  run_case(id, g$data, g$blocks, g$paths, g$settings, "generated")
}
# three more drawn the same way, each with PLSc and (where the last construct has two
# predecessors) an interaction term, a combination the draws above may miss
for (i in n_gen + 1:3) {
  g <- gen_case(i, force = list(consistent = TRUE, interaction = TRUE))
  run_case(sprintf("gen%02d", i), g$data, g$blocks, g$paths, g$settings, "generated")
}

# one case of an exploratory batch (SEED 4242, N 200): 35 rows of 7-point items, where the
# 18 product indicators of C4*C6 are exactly collinear (seminr's item VIFs say NA)
if (length(args) < 3) {
  set.seed(4242L)
  n_ix <- 0
  for (i in 1:127) g <- gen_case(i)
  run_case("x4242_127", g$data, g$blocks, g$paths, g$settings, "generated (seed 4242, case 127)")
}

# --- public data sets not used by the earlier parity tests --------------------------
S <- function(name, items, mode = "A") list(name = name, mode = mode, items = items)
P <- function(from, to) data.frame(from = from, to = to, stringsAsFactors = FALSE)
# datasets::attitude (30 clerical employees; a small-n model with two single items)
run_case("attitude", datasets::attitude,
         list(S("Learn", c("learning", "privileges")), S("Manage", c("complaints", "raises", "critical"), "B"),
              S("Advance", "advance"), S("Rating", "rating")),
         rbind(P(c("Learn", "Manage"), "Rating"), P(c("Learn", "Rating"), "Advance")),
         list(scheme = "path", consistent = FALSE), "datasets::attitude")
# datasets::swiss (47 provinces, indicators on different scales)
run_case("swiss", datasets::swiss,
         list(S("Rural", c("Agriculture", "Examination", "Education")), S("Faith", "Catholic"),
              S("Fert", c("Fertility", "Infant.Mortality"), "B")),
         P(c("Rural", "Faith"), "Fert"),
         list(scheme = "factor", consistent = FALSE), "datasets::swiss")
# psych::bfi (2,800 respondents, missing values, reverse-keyed items left as they are), PLSc
bfi <- psych::bfi[, c(paste0("A", 1:5), paste0("C", 1:5), paste0("E", 1:5), paste0("N", 1:5),
                      "education")]
run_case("bfi", bfi,
         list(S("Agree", paste0("A", 2:5)), S("Consc", paste0("C", 1:4)), S("Extra", paste0("E", 3:5)),
              S("Neuro", paste0("N", 1:5)), S("Educ", "education")),
         rbind(P(c("Neuro", "Extra"), "Agree"), P(c("Agree", "Neuro", "Educ"), "Consc")),
         list(scheme = "path", consistent = TRUE), "psych::bfi")
# MASS::survey (237 students, numeric columns with missing values), product indicators
sv <- MASS::survey[, c("Wr.Hnd", "NW.Hnd", "Pulse", "Height", "Age")]
run_case("survey", sv,
         list(S("Hand", c("Wr.Hnd", "NW.Hnd")), S("Size", "Height"), S("Age", "Age"), S("Pulse", "Pulse")),
         rbind(P(c("Size", "Age"), "Hand"), P(c("Hand", "Age", "Hand*Age"), "Pulse")),
         list(scheme = "path", consistent = FALSE,
              interaction = list(iv = "Hand", mod = "Age", method = "product_indicator")),
         "MASS::survey")
