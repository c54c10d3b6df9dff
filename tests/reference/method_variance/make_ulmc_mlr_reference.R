# Reference values of the ULMC check under MLR (analysis.stats.method_variance.ulmc with
# estimator="MLR"): the Satorra-Bentler (2001) scaled difference of the trait model and the
# trait model plus an orthogonal method factor, as lavTestLRT(method =
# "satorra.bentler.2001") computes it, for tests/test_method_checks_cluster.py.
# Run from the repository root:
#   Rscript tests/reference/method_variance/make_ulmc_mlr_reference.R
# Versions used: R 4.2.2, lavaan 0.6.14, jsonlite 1.8.4 (Debian bookworm r-cran-* packages).
#
# Data: the demo study (data/demo/alliance_demo.csv, 400 respondents, missing answers),
# the items of dep_own, trust and info_sharing as they are in the file (not reverse
# keyed); FIML (missing = "ml"), the method model with unit factor variances (std.lv), and
# the robust tests clustered by alliance (a respondent without an alliance id a cluster of
# its own) or not clustered.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
stopifnot(packageVersion("lavaan") == "0.6.14")
d <- read.csv("data/demo/alliance_demo.csv")
items <- list(dep_own = c("dep_own_1", "dep_own_2", "dep_own_3", "dep_own_6", "dep_own_5"),
              trust = c("trust_1", "trust_2", "trust_3", "trust_5"),
              info_sharing = c("info_sharing_1", "info_sharing_6", "info_sharing_3",
                               "info_sharing_7", "info_sharing_8"))
d$alliance_id <- as.character(d$alliance_id)
lonely <- is.na(d$alliance_id)
d$alliance_id[lonely] <- paste0("__single_", which(lonely) - 1)
traits <- paste(sprintf("%s =~ %s", names(items), sapply(items, paste, collapse = " + ")),
                collapse = "\n")
all <- unlist(items)
method <- paste(traits,
                sprintf("method =~ NA*%s + %s", all[1], paste(all[-1], collapse = " + ")),
                "method ~~ 1*method",
                paste(sprintf("method ~~ 0*%s", names(items)), collapse = "\n"), sep = "\n")
one <- function(cluster) {
  cl <- if (cluster) "alliance_id" else NULL
  f0 <- suppressWarnings(cfa(traits, d, estimator = "MLR", missing = "ml", cluster = cl))
  f1 <- suppressWarnings(cfa(method, d, estimator = "MLR", missing = "ml", std.lv = TRUE,
                             cluster = cl))
  lrt <- lavTestLRT(f0, f1, method = "satorra.bentler.2001")
  list(cluster = cluster, items = items,
       chisq = c(fitMeasures(f0, "chisq"), fitMeasures(f1, "chisq")),
       df = c(fitMeasures(f0, "df"), fitMeasures(f1, "df")),
       chisq_scaled = c(fitMeasures(f0, "chisq.scaled"), fitMeasures(f1, "chisq.scaled")),
       delta_chisq = lrt[2, "Chisq diff"], delta_df = lrt[2, "Df diff"],
       delta_pvalue = lrt[2, "Pr(>Chisq)"])
}
writeLines(toJSON(list(lavaan = as.character(packageVersion("lavaan")),
                       cases = list(one(TRUE), one(FALSE))),
                  digits = NA, auto_unbox = TRUE),
           "tests/reference/method_variance/ulmc_mlr.json")
