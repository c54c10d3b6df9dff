# Reference values for the reliability / validity tests (tests/test_reliability*.py,
# tests/test_validity*.py, tests/test_method_variance*.py).
# Run from the repository root:
#   Rscript tests/reference/reliability/make_reliability_reference.R
# Versions used: R 4.2.2, lavaan 0.6.14, semTools 0.5-6, psych 2.2.9, jsonlite 1.8.4
# (Debian bookworm r-cran-* packages).
#
# Writes:
#   tests/reference/reliability/bfi_items.csv   the 25 personality items of psych::bfi (N = 2800)
#   tests/reference/reliability/bfi_keys.json   the psych::bfi.keys scoring keys ("-" = reversed)
#   tests/reference/reliability/holzinger.json  alpha, item stats, CFA, omega, AVE, HTMT, CR, Harman
#   tests/reference/reliability/bfi.json        the same for the bfi five-factor model
#   tests/reference/reliability/cmv.json        one-factor (Harman) CFA and ULMC method-factor fits
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(psych)
  library(jsonlite)
})
out <- "tests/reference/reliability"
stopifnot(packageVersion("lavaan") == "0.6.14", packageVersion("semTools") == "0.5.6",
          packageVersion("psych") == "2.2.9")

alpha_ref <- function(x, keys = NULL) {
  # psych defaults: use = "pairwise", Feldt CI from alpha.ci(), Duhachek = raw_alpha +- 1.96 ase
  a <- if (is.null(keys)) psych::alpha(x, warnings = FALSE) else
    psych::alpha(x, keys = keys, warnings = FALSE)
  list(
    items = colnames(x), reversed = if (is.null(keys)) character(0) else keys,
    n_rows = nrow(x),
    raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha, ase = a$total$ase,
    feldt_lower = a$feldt$lower.ci[[1]], feldt_upper = a$feldt$upper.ci[[1]],
    duhachek_lower = a$total$raw_alpha - 1.96 * a$total$ase,
    duhachek_upper = a$total$raw_alpha + 1.96 * a$total$ase,
    item_n = unname(a$item.stats$n), r_drop = unname(a$item.stats$r.drop),
    item_mean = unname(a$item.stats$mean), item_sd = unname(a$item.stats$sd),
    alpha_if_dropped = unname(a$alpha.drop$raw_alpha),
    std_alpha_if_dropped = unname(a$alpha.drop$std.alpha)
  )
}

cfa_ref <- function(model, data) {
  fit <- cfa(model, data = data)  # lavaan defaults: ML, listwise, marker-variable scaling
  pe <- parameterEstimates(fit, standardized = TRUE)
  S <- lavInspect(fit, "sampstat")$cov  # N divisor, listwise
  lam <- lavInspect(fit, "std")$lambda
  theta <- lavInspect(fit, "std")$theta
  # Joreskog / Fornell-Larcker composite reliability from standardized loadings
  cr <- sapply(colnames(lam), function(f) {
    l <- lam[lam[, f] != 0, f]
    sum(l)^2 / (sum(l)^2 + sum(1 - l^2))
  })
  list(
    model = model, n = lavInspect(fit, "nobs"), converged = lavInspect(fit, "converged"),
    params = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, std_all = pe$std.all),
    sample_cov = list(names = colnames(S), values = unname(unclass(S))),
    omega = as.list(compRelSEM(fit)),
    omega_implied = as.list(compRelSEM(fit, obs.var = FALSE)),
    ave = as.list(AVE(fit)),
    ave_implied = as.list(AVE(fit, obs.var = FALSE)),
    cr = as.list(cr),
    cor_lv = list(names = colnames(lavInspect(fit, "cor.lv")),
                  values = unname(unclass(lavInspect(fit, "cor.lv")))),
    fit = as.list(fitMeasures(fit, c("chisq", "df", "cfi", "rmsea")))
  )
}

htmt_ref <- function(model, data) {
  h2 <- htmt(model, data = data)                  # default htmt2 = TRUE (geometric means)
  h1 <- htmt(model, data = data, htmt2 = FALSE)   # arithmetic means of |r|
  list(names = colnames(h2), htmt2 = unname(unclass(h2)), htmt = unname(unclass(h1)))
}

harman_ref <- function(x) {
  x <- x[complete.cases(x), ]
  p <- principal(x, nfactors = 1, rotate = "none")
  list(n = nrow(x), first_eigenvalue = p$values[1],
       prop_var = p$Vaccounted["Proportion Var", 1])
}

write_ref <- function(obj, name) {
  writeLines(toJSON(obj, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
             file.path(out, name))
}

# ---- Holzinger & Swineford (1939) ----
hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
# variant with a cross-loading and a correlated residual (edge cases of omega / AVE)
hs_model_mod <- paste0(hs_model, "\nvisual =~ x9\nx2 ~~ x3")
hs_blocks <- list(visual = c("x1", "x2", "x3"), textual = c("x4", "x5", "x6"),
                  speed = c("x7", "x8", "x9"))
# second-order model: hierarchical omega of g via compRelSEM(higher = "g")
hs_model_higher <- paste0(hs_model, "\ng =~ visual + textual + speed")
fit_higher <- cfa(hs_model_higher, data = hs)
pe_higher <- parameterEstimates(fit_higher, standardized = TRUE)
higher_ref <- list(
  model = hs_model_higher,
  params = list(lhs = pe_higher$lhs, op = pe_higher$op, rhs = pe_higher$rhs,
                est = pe_higher$est, std_all = pe_higher$std.all),
  omega = as.list(compRelSEM(fit_higher, higher = "g")),
  ave = as.list(AVE(fit_higher)),
  cor_lv = list(names = colnames(lavInspect(fit_higher, "cor.lv")),
                values = unname(unclass(lavInspect(fit_higher, "cor.lv"))))
)
write_ref(list(
  cfa_higher = higher_ref,
  alpha = lapply(hs_blocks, function(v) alpha_ref(hs[, v])),
  alpha_all = alpha_ref(hs[, paste0("x", 1:9)]),
  cfa = cfa_ref(hs_model, hs),
  cfa_mod = cfa_ref(hs_model_mod, hs),
  htmt = htmt_ref(hs_model, hs),
  harman = harman_ref(hs[, paste0("x", 1:9)])
), "holzinger.json")

# ---- psych::bfi (25 personality items, 1-6 scale, with missing values) ----
data(bfi, package = "psych")
items <- colnames(bfi)[1:25]
write.csv(bfi[, items], file.path(out, "bfi_items.csv"), row.names = FALSE, na = "")
write_ref(unclass(bfi.keys), "bfi_keys.json")
bfi_scales <- c(agree = "A", conscientious = "C", extraversion = "E", neuroticism = "N",
                openness = "O")
alpha_bfi <- lapply(names(bfi_scales), function(s) {
  keys <- bfi.keys[[s]]
  vars <- sub("-", "", keys)
  rev <- sub("-", "", keys[startsWith(keys, "-")])
  alpha_ref(bfi[, vars], keys = if (length(rev)) rev else NULL)
})
names(alpha_bfi) <- names(bfi_scales)
# listwise variant: psych on complete cases only
alpha_bfi_listwise <- alpha_ref(na.omit(bfi[, c("N1", "N2", "N3", "N4", "N5")]))
# CFA on reverse-keyed items recoded as 7 - x so that all loadings are positive
bfi_rev <- bfi[, items]
for (s in names(bfi_scales)) {
  keys <- bfi.keys[[s]]
  for (k in keys[startsWith(keys, "-")]) {
    v <- sub("-", "", k)
    bfi_rev[[v]] <- 7 - bfi_rev[[v]]
  }
}
bfi_model <- paste(sapply(names(bfi_scales), function(s) {
  paste(s, "=~", paste(sub("-", "", bfi.keys[[s]]), collapse = " + "))
}), collapse = "\n")
write_ref(list(
  alpha = alpha_bfi,
  alpha_listwise_neuroticism = alpha_bfi_listwise,
  cfa = cfa_ref(bfi_model, bfi_rev),
  htmt = htmt_ref(bfi_model, bfi_rev),
  harman = harman_ref(bfi_rev)
), "bfi.json")

# ---- common-method-variance models ----
fit_ref <- function(fit) {
  ss <- standardizedSolution(fit)
  list(fit = as.list(fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea"))),
       converged = lavInspect(fit, "converged"),
       loadings = list(lhs = ss$lhs[ss$op == "=~"], rhs = ss$rhs[ss$op == "=~"],
                       std_all = ss$est.std[ss$op == "=~"]))
}
ulmc_model <- function(model, items, traits) {
  paste0(model, "\nmethod =~ NA*", items[1], " + ", paste(items[-1], collapse = " + "),
         "\nmethod ~~ 1*method\n", paste0("method ~~ 0*", traits, collapse = "\n"))
}
hs_items <- paste0("x", 1:9)
write_ref(list(
  hs_traits = fit_ref(cfa(hs_model, hs)),
  hs_one_factor = fit_ref(cfa(paste("common_factor =~", paste(hs_items, collapse = " + ")), hs)),
  bfi_traits = fit_ref(cfa(bfi_model, bfi_rev)),
  bfi_ulmc = fit_ref(cfa(ulmc_model(bfi_model, items, names(bfi_scales)), bfi_rev)),
  bfi_ulmc_model = ulmc_model(bfi_model, items, names(bfi_scales))
), "cmv.json")
