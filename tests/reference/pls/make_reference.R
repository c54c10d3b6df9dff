# Reference values for the PLS-SEM parity tests, computed with seminr's own estimator.
#
# Usage: Rscript tests/reference/pls/make_reference.R SEMINR_SOURCE_DIR OUT_DIR
#   SEMINR_SOURCE_DIR: a checkout of https://github.com/sem-in-r/seminr (2.3.x, R/ and data/)
#   OUT_DIR:           tests/reference/pls/generated
#
# seminr is not packaged for Debian and its plotting dependencies are not installed here, so
# this script evaluates the package's R/ sources (plotting code that fails to load is skipped) in the global
# environment, with "seminr::" dropped, and calls estimate_pls() and friends as a user would.
# Written with R 4.2.2 and seminr 2.3.1 (commit ae2524a).
args <- commandArgs(trailingOnly = TRUE)
src <- args[1]; out <- args[2]
files <- list.files(file.path(src, "R"), full.names = TRUE)
files <- files[!grepl("zzz", files)]
for (f in files) tryCatch(eval(parse(text = gsub("seminr::", "", readLines(f))), envir = globalenv()),
                          error = function(e) message(basename(f), ": ", conditionMessage(e)))
e <- new.env()
load(file.path(src, "data", "mobi.rda"), envir = e); mobi <- e$mobi
# summary() records the installed package version, which a source tree does not have.
seminr_info <- function() list(version = "2.3.1 (source)", citation = "")
load(file.path(src, "data", "corp_rep_data.rda"), envir = e); corp_rep_data <- e$corp_rep_data
w <- function(x, name) write.csv(x, file.path(out, name))

# 1. Corporate-reputation model (Hair et al. primer, chapter 5): mode B drivers, -99 missing.
mm <- constructs(
  composite("QUAL", multi_items("qual_", 1:8), weights = mode_B),
  composite("PERF", multi_items("perf_", 1:5), weights = mode_B),
  composite("CSOR", multi_items("csor_", 1:5), weights = mode_B),
  composite("ATTR", multi_items("attr_", 1:3), weights = mode_B),
  composite("COMP", multi_items("comp_", 1:3)),
  composite("LIKE", multi_items("like_", 1:3)),
  composite("CUSA", single_item("cusa")),
  composite("CUSL", multi_items("cusl_", 1:3)))
sm <- relationships(
  paths(from = c("QUAL", "PERF", "CSOR", "ATTR"), to = c("COMP", "LIKE")),
  paths(from = c("COMP", "LIKE"), to = c("CUSA", "CUSL")),
  paths(from = c("CUSA"), to = c("CUSL")))
m <- estimate_pls(corp_rep_data, mm, sm, missing = mean_replacement, missing_value = "-99")
s <- summary(m)
w(m$path_coef, "corp_ext_paths.csv")
w(m$outer_weights, "corp_ext_weights.csv")
w(m$outer_loadings, "corp_ext_loadings.csv")
w(m$rSquared, "corp_ext_rsquared.csv")
w(unclass(s$reliability), "corp_ext_reliability.csv")
w(unclass(s$validity$htmt), "corp_ext_htmt.csv")
w(unclass(s$validity$fl_criteria), "corp_ext_fl.csv")
w(unclass(s$validity$cross_loadings), "corp_ext_cross_loadings.csv")
w(unclass(s$fSquare), "corp_ext_fsquare.csv")
w(unclass(s$total_effects), "corp_ext_total_effects.csv")
w(unclass(s$total_indirect_effects), "corp_ext_indirect_effects.csv")
w(data.frame(item = names(unlist(s$validity$vif_items)), vif = unlist(s$validity$vif_items)), "corp_ext_vif_items.csv")
w(data.frame(path = names(unlist(s$vif_antecedents)), vif = unlist(s$vif_antecedents)), "corp_ext_vif_inner.csv")

# 2. Bootstrap of the same model with seminr's estimator (serial loop of estimate_pls on
#    case resamples of the raw data, as bootstrap_model does); standard deviations only.
set.seed(20240601)
nboot <- 2000
n <- nrow(corp_rep_data)
draws <- t(sapply(seq_len(nboot), function(i) {
  bm <- suppressMessages(estimate_pls(corp_rep_data[sample.int(n, replace = TRUE), ], mm, sm,
                                      missing = mean_replacement, missing_value = "-99"))
  c(bm$path_coef[bm$path_coef != 0 | TRUE], bm$outer_weights[m$outer_weights != 0])
}))
pc <- m$path_coef
nm <- c(as.vector(outer(rownames(pc), colnames(pc), paste, sep = " -> ")),
        paste(colnames(m$outer_weights)[col(m$outer_weights)][m$outer_weights != 0],
              rownames(m$outer_weights)[row(m$outer_weights)][m$outer_weights != 0], sep = " <~ "))
sds <- apply(draws, 2, stats::sd)
w(data.frame(name = nm, sd = sds)[sds > 0, ], "corp_ext_boot_sd.csv")

# 3. PLSpredict (10 folds, direct-antecedent predictions) of the simple corporate-reputation
#    model; the fold of every row is written so the test can use the same folds.
mm2 <- constructs(
  composite("COMP", multi_items("comp_", 1:3)),
  composite("LIKE", multi_items("like_", 1:3)),
  composite("CUSA", single_item("cusa")),
  composite("CUSL", multi_items("cusl_", 1:3)))
sm2 <- relationships(paths(from = c("COMP", "LIKE"), to = c("CUSA", "CUSL")),
                     paths(from = c("CUSA"), to = c("CUSL")))
m2 <- estimate_pls(corp_rep_data, mm2, sm2, missing = mean_replacement, missing_value = "-99")
set.seed(4711)
ord <- sample(nrow(m2$data), nrow(m2$data), replace = FALSE)
folds <- cut(seq(1, nrow(m2$data)), breaks = 10, labels = FALSE)
fold_of_row <- integer(nrow(m2$data)); fold_of_row[ord] <- folds
w(data.frame(fold = fold_of_row), "corp_predict_folds.csv")
set.seed(4711)
p <- predict_pls(m2, technique = predict_DA, noFolds = 10)
w(p$PLS_out_of_sample, "corp_predict_pls_oos.csv")
w(p$lm_out_of_sample, "corp_predict_lm_oos.csv")
im <- item_metrics(p)
w(im$PLS_item_prediction_metrics_OOS, "corp_predict_pls_metrics.csv")
w(im$LM_item_prediction_metrics_OOS, "corp_predict_lm_metrics.csv")
