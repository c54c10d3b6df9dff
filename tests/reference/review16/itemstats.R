# Reference values of analysis.study.itemstats.item_statistics (review 16):
# psych::alpha's r.drop and psych::describe's skew/kurtosis (type 3) of every scale's
# reverse-keyed items of the demo study (all 400 rows), and of value_creation with its
# first item read the other way (8 - x) by every row whose 1-based number is not a
# multiple of 4 (three in four respondents), which gives a negative r.drop.
# Run from the repository root: Rscript tests/reference/review16/itemstats.R
suppressPackageStartupMessages({library(psych); library(jsonlite)})
here <- "tests/reference/review16"
x <- read.csv(file.path(here, "demo_keyed_items.csv"))
scales <- fromJSON(file.path(here, "scales.json"))
one <- function(items) {
  a <- psych::alpha(items, check.keys = FALSE, warnings = FALSE)
  d <- psych::describe(items)
  list(item = names(items), r_drop = unname(a$item.stats$r.drop),
       skew = unname(d$skew), kurtosis = unname(d$kurtosis), n = unname(d$n))
}
out <- list()
for (s in names(scales)) out[[s]] <- one(x[, scales[[s]], drop = FALSE])
vc <- x[, scales[["value_creation"]]]
flip <- (seq_len(nrow(vc)) %% 4) != 0
vc[flip, 1] <- 8 - vc[flip, 1]
out[["value_creation_misread"]] <- one(vc)
out[["versions"]] <- list(R = R.version.string,
                          psych = as.character(packageVersion("psych")))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "itemstats.json"))
