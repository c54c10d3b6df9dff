# Reference values for analysis/stats/latent_interaction.py: latent interaction by double-mean-
# centred product indicators (semTools::indProd) fitted with lavaan::sem.
#
# Run from the repository root (after make_alliance_sample.py, which writes the
# simulated alliance sample this script reads):
#   Rscript tests/reference/latent_interaction/make_reference.R
#   (the data first: PYTHONPATH=. .venv/bin/python tests/reference/latent_interaction/make_alliance_sample.py)
# Made with R 4.2.2, lavaan 0.6.14, semTools 0.5-6, jsonlite 1.8.4 (Debian bookworm r-cran-*);
# last regenerated for instrument 2.0.0 and its analysis/study/population.yaml.
# Writes tests/reference/latent_interaction/latent_interaction.json.
#
# Cases (model: X =~ x items; Z =~ z items; XZ =~ products; Y =~ y items;
# Y ~ li_bx*X + li_bz*Z + li_bxz*XZ + controls; X ~~ li_phix*X; Z ~~ li_phiz*Z;
# controls get free covariances with X, Z and XZ (then fixed.x = FALSE);
# all-pairs products that share an item get a residual covariance;
# li_slope_lo/mid/hi := li_bx + w*li_bxz*sqrt(li_phiz), w = -1, 0, 1):
# * hs_matched_mlr / hs_matched_ml: HolzingerSwineford1939, X = x1-x3, Z = x4-x6,
#   Y = x7-x9, matched pairs in the given order (indProd match = TRUE), MLR / ML.
# * hs_all_ml: the same with all 9 products (indProd match = FALSE), ML.
# * hs_control_mlr: matched pairs, control ageyr, MLR.
# * hs_matched_mlr_cluster: as hs_matched_mlr with cluster-robust SEs (cluster = "pair",
#   consecutive rows in pairs of two).
# * alliance_h7_mlr: simulated alliance sample; X = the three learning parcels,
#   Z = the specific_investments items, Y = the value_creation items, control jd_sum (item
#   names are read from the columns of alliance_sample.csv, i.e. from the instrument via
#   make_alliance_sample.py, not hard-coded here); the items are
#   ranked by their item-rest correlation here in R (highest first) and the best three
#   Z items are paired with the ranked X parcels; MLR, listwise.
# * alliance_h5_fiml: X = the value_creation items, Z = asym_signed_1-5 (both ranked by
#   item-rest correlation), Y = the value_appropriation items, controls alliance_age and
#   firm_size; MLR with missing = "ml" (FIML).
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
dir <- "tests/reference/latent_interaction"
HS <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
AL <- read.csv(file.path(dir, "alliance_sample.csv"))
# consecutive rows as clusters of two (like the two members of a dyad), for cluster= SEs
HS_PAIRS <- HS
HS_PAIRS$pair <- (seq_len(nrow(HS)) + 1) %/% 2

item_rest_rank <- function(d, items) {
  r <- sapply(items, function(i) cor(d[[i]], rowSums(d[setdiff(items, i)]),
                                     use = "pairwise.complete.obs"))
  items[order(-r)]
}

make_syntax <- function(x, z, y, px, pz, controls = character(0)) {
  prods <- paste(px, pz, sep = ".")
  yname <- if (length(y) == 1) y else "Y"
  lines <- c(paste("X =~", paste(x, collapse = " + ")),
             paste("Z =~", paste(z, collapse = " + ")),
             paste("XZ =~", paste(prods, collapse = " + ")))
  if (length(y) > 1) lines <- c(lines, paste("Y =~", paste(y, collapse = " + ")))
  lines <- c(lines, paste(yname, "~", paste(c("li_bx*X", "li_bz*Z", "li_bxz*XZ", controls),
                                            collapse = " + ")),
             "X ~~ li_phix*X", "Z ~~ li_phiz*Z")
  for (cc in controls) lines <- c(lines, paste("X ~~", cc), paste("Z ~~", cc),
                                  paste("XZ ~~", cc))
  n <- length(prods)
  if (n > 1) for (i in 1:(n - 1)) for (j in (i + 1):n) {
    if (px[i] == px[j] || pz[i] == pz[j]) lines <- c(lines, paste(prods[i], "~~", prods[j]))
  }
  lines <- c(lines, "li_slope_lo := li_bx - li_bxz*sqrt(li_phiz)",
             "li_slope_mid := li_bx", "li_slope_hi := li_bx + li_bxz*sqrt(li_phiz)")
  paste(lines, collapse = "\n")
}

run_case <- function(d, x, z, y, match = TRUE, controls = character(0),
                     estimator = "MLR", missing = "listwise", rank = FALSE, cluster = NULL) {
  if (rank) { x <- item_rest_rank(d, x); z <- item_rest_rank(d, z) }
  k <- min(length(x), length(z))
  if (match) { xs <- x[1:k]; zs <- z[1:k]; px <- xs; pz <- zs }
  else { xs <- x; zs <- z; px <- rep(x, each = length(z)); pz <- rep(z, times = length(x)) }
  dd <- indProd(d, xs, zs, match = match, meanC = TRUE, doubleMC = TRUE)
  prods <- paste(px, pz, sep = ".")
  model <- make_syntax(x, z, y, px, pz, controls)
  fit <- sem(model, data = dd, estimator = estimator, missing = missing,
             fixed.x = length(controls) == 0, cluster = cluster)
  pe <- parameterEstimates(fit, standardized = TRUE)
  fm <- fitMeasures(fit)
  keys <- c("npar", "ntotal", "chisq", "df", "pvalue", "chisq.scaled", "pvalue.scaled",
            "cfi", "tli", "rmsea", "srmr", "cfi.robust", "tli.robust", "rmsea.robust")
  keys <- keys[keys %in% names(fm)]
  list(x = x, z = z, y = y, controls = controls, estimator = estimator, missing = missing,
       cluster = cluster,
       match = if (rank) "item_rest" else "order", pairs_rule = if (match) "matched" else "all",
       pairs = lapply(seq_along(px), function(i) c(px[i], pz[i])),
       products = lapply(setNames(prods, prods), function(p) unname(dd[[p]])),
       syntax = model, converged = lavInspect(fit, "converged"),
       params = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                     std_all = pe$std.all),
       fit = setNames(as.list(unname(fm[keys])), gsub(".", "_", keys, fixed = TRUE)))
}

vis <- c("x1", "x2", "x3"); txt <- c("x4", "x5", "x6"); spd <- c("x7", "x8", "x9")
learn <- c("info_sharing", "joint_sensemaking", "knowledge_integration")
items_of <- function(prefix) grep(paste0("^", prefix, "_[0-9]+$"), names(AL), value = TRUE)
si <- items_of("specific_investments")
vc <- items_of("value_creation")
va <- items_of("value_appropriation")
as <- items_of("asym_signed")
stopifnot(length(si) >= 3, length(vc) >= 3, length(va) >= 3, length(as) >= 3)
out <- list(
  hs_matched_mlr = run_case(HS, vis, txt, spd),
  hs_matched_ml = run_case(HS, vis, txt, spd, estimator = "ML"),
  hs_all_ml = run_case(HS, vis, txt, spd, match = FALSE, estimator = "ML"),
  hs_control_mlr = run_case(HS, vis, txt, spd, controls = "ageyr"),
  hs_matched_mlr_cluster = run_case(HS_PAIRS, vis, txt, spd, cluster = "pair"),
  alliance_h7_mlr = run_case(AL, learn, si, vc, controls = "jd_sum", rank = TRUE),
  alliance_h5_fiml = run_case(AL, vc, as, va, controls = c("alliance_age", "firm_size"),
                              missing = "ml", rank = TRUE)
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = FALSE, na = "null"),
           file.path(dir, "latent_interaction.json"))
cat("Wrote", file.path(dir, "latent_interaction.json"), "\n")
