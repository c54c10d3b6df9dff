# Reference values of the CFA marker technique (Williams, Hartman & Cavazotte 2010) for
# tests/test_method_variance.py::test_cfa_marker_matches_lavaan.
# Run from the repository root:
#   Rscript tests/reference/method_variance/make_cfa_marker_reference.R
# Versions used: R 4.2.2, lavaan 0.6.14, jsonlite 1.8.4 (Debian bookworm r-cran-* packages).
#
# Data: psych::bfi items as committed in tests/reference/reliability/bfi_items.csv
# (N = 2800, with missing answers): agreeableness A2-A5 and conscientiousness C1-C3 as the
# substantive factors, openness O1, O3, O4 as the marker (all positively keyed).
# Estimator MLR with FIML (missing = "ml"), all factors with unit variance (std.lv).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
stopifnot(packageVersion("lavaan") == "0.6.14")
d <- read.csv("tests/reference/reliability/bfi_items.csv")
traits <- "A =~ A2 + A3 + A4 + A5\nC =~ C1 + C2 + C3"
subst <- c("A2", "A3", "A4", "A5", "C1", "C2", "C3")
mk <- c("O1", "O3", "O4")
fitit <- function(m) cfa(m, d, estimator = "MLR", missing = "ml", std.lv = TRUE)

cfa_m <- fitit(paste0(traits, "\nmarker =~ O1 + O3 + O4"))
pe <- parameterEstimates(cfa_m)
lam <- pe[pe$op == "=~" & pe$lhs == "marker", ]
th <- pe[pe$op == "~~" & pe$lhs == pe$rhs & pe$lhs %in% mk, ]
num <- function(x) sprintf("%.17g", x)
fixed <- paste0(num(lam$est), "*", lam$rhs, collapse = " + ")
fixed_var <- paste0(th$lhs, " ~~ ", num(th$est), "*", th$rhs, collapse = "\n")
ortho <- "marker ~~ 0*A\nmarker ~~ 0*C"
baseline <- paste(traits, paste0("marker =~ ", fixed), fixed_var, ortho, sep = "\n")
method_c <- paste(traits, paste0("marker =~ ", fixed, " + ",
                                 paste0("mv_c*", subst, collapse = " + ")),
                  fixed_var, ortho, sep = "\n")
method_u <- paste(traits, paste0("marker =~ ", fixed, " + ", paste(subst, collapse = " + ")),
                  fixed_var, ortho, sep = "\n")
fits <- list(CFA = cfa_m, Baseline = fitit(baseline), `Method-C` = fitit(method_c),
             `Method-U` = fitit(method_u))
equal <- lavTestLRT(fits[["Method-C"]], fits[["Method-U"]])
chosen <- if (equal[2, "Pr(>Chisq)"] < 0.05) "Method-U" else "Method-C"
pb <- parameterEstimates(fits$Baseline)
rho <- pb[pb$op == "~~" & pb$lhs == "A" & pb$rhs == "C", "est"]
method_r <- paste(if (chosen == "Method-U") method_u else method_c,
                  paste0("A ~~ ", num(rho), "*C"), sep = "\n")
fits[["Method-R"]] <- fitit(method_r)

fm <- function(f) {
  m <- fitMeasures(f, c("chisq", "df", "chisq.scaled", "cfi.robust", "tli.robust",
                        "rmsea.robust", "srmr"))
  as.list(setNames(unname(m), gsub(".", "_", names(m), fixed = TRUE)))
}
lrt <- function(restricted, general) {
  t <- lavTestLRT(fits[[general]], fits[[restricted]])
  list(restricted = restricted, general = general, chisq_diff = t[2, "Chisq diff"],
       df_diff = t[2, "Df diff"], pvalue = t[2, "Pr(>Chisq)"])
}
std <- standardizedSolution(fits[[chosen]])
ml <- std[std$op == "=~" & std$lhs == "marker" & std$rhs %in% subst, ]
ref <- list(
  traits = list(A = c("A2", "A3", "A4", "A5"), C = c("C1", "C2", "C3")),
  marker_items = mk, estimator = "MLR", missing = "ml", chosen = chosen,
  models = lapply(fits, fm),
  comparisons = list(lrt("Baseline", chosen), lrt("Method-C", "Method-U"),
                     lrt("Method-R", chosen)),
  method_loadings = list(item = ml$rhs, std_all = ml$est.std),
  versions = list(R = paste(R.version$major, R.version$minor, sep = "."),
                  lavaan = as.character(packageVersion("lavaan")))
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/method_variance/cfa_marker.json")
