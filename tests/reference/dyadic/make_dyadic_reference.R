# Reference values for tests/test_dyadic_reference.py (analysis/stats/dyadic.py).
# Run from the repository root, after the Python script that writes the data:
#   PYTHONPATH=. .venv/bin/python tests/reference/dyadic/make_dyads_sim.py
#   Rscript tests/reference/dyadic/make_dyadic_reference.R
# Versions used: R 4.2.2, multilevel 2.7 (Debian 2.7-1), lavaan 0.6.14, psych 2.2.9, jsonlite 1.8.4
# (Debian bookworm r-cran-* packages; apt-get install -y r-cran-multilevel).
# Last regenerated for instrument 2.0.0 with analysis/study/population.yaml of that version.
#
# Data: tests/reference/dyadic/dyads_sim.csv, made by make_dyads_sim.py with
#   analysis.study.simulate.simulate_study(n=300, dyads=120, seed=4102, missing=0, careless=0)
#   and written by analysis.study.simulate.write_data; dyads_sim_excluded.csv lists the
#   respondents flagged by analysis.study.scoring.score() (dropped here as in the package);
#   dyads_sim_scales.json gives each scale's items, response range and reverse-keyed items
#   as the instrument declares them (no item names are hard-coded here).
# Writes tests/reference/dyadic/dyads_sim.json: ICC(1), ICC(2) (multilevel::ICC1/ICC2 on
# aov(score ~ dyad)), r_wg(j) per dyad (multilevel::rwg.j, ranvar = (A^2 - 1) / 12 with A
# the number of response options of the scale), the APIM of value_creation on
# relationship_learning (lavaan::sem, dyad-wide data) and Williams' t of H10 (psych::r.test).
suppressPackageStartupMessages({
  library(multilevel)
  library(lavaan)
  library(psych)
  library(jsonlite)
})
stopifnot(packageVersion("lavaan") == "0.6.14", packageVersion("multilevel") == "2.7",
          packageVersion("psych") == "2.2.9")
dir <- "tests/reference/dyadic"
d <- read.csv(file.path(dir, "dyads_sim.csv"), stringsAsFactors = FALSE)
excl <- read.csv(file.path(dir, "dyads_sim_excluded.csv"), stringsAsFactors = FALSE)
d <- d[!(d$respondent_id %in% excl$respondent_id), ]
meta <- fromJSON(file.path(dir, "dyads_sim_scales.json"), simplifyVector = FALSE)
scales <- meta$scales
for (s in names(scales)) {
  lo <- scales[[s]]$min; hi <- scales[[s]]$max
  for (v in unlist(scales[[s]]$reversed)) d[[v]] <- lo + hi - d[[v]]
}
items <- lapply(scales, function(sc) unlist(sc$items))
for (s in names(scales)) d[[s]] <- rowMeans(d[, items[[s]]])
# complete dyads: one A and one B per alliance
d <- d[!is.na(d$alliance_id) & d$alliance_id != "", ]
both <- tapply(d$firm_role, d$alliance_id, function(r) all(c("A", "B") %in% r))
d <- d[d$alliance_id %in% names(both)[both], ]
d <- d[order(d$alliance_id, d$firm_role), ]
agreement <- list()
for (s in names(scales)) {
  m <- aov(d[[s]] ~ as.factor(d$alliance_id))
  n_opt <- round(scales[[s]]$max - scales[[s]]$min) + 1
  r <- rwg.j(d[, items[[s]]], d$alliance_id, ranvar = (n_opt^2 - 1) / 12)
  agreement[[s]] <- list(icc1 = ICC1(m), icc2 = ICC2(m), rwg_j_group = as.character(r$grpid),
                         rwg_j = r$rwg.j, rwg_j_mean = mean(r$rwg.j, na.rm = TRUE))
}
d$relationship_learning <- (d$info_sharing + d$joint_sensemaking + d$knowledge_integration) / 3
d$jd_mean <- (d$dep_own + d$dep_partner) / 2
A <- d[d$firm_role == "A", ]
B <- d[d$firm_role == "B", ]
stopifnot(all(A$alliance_id == B$alliance_id))
wide <- data.frame(relationship_learning_A = A$relationship_learning,
                   relationship_learning_B = B$relationship_learning,
                   value_creation_A = A$value_creation, value_creation_B = B$value_creation)
apim <- "
value_creation_A ~ a_A*relationship_learning_A + p_BA*relationship_learning_B
value_creation_B ~ a_B*relationship_learning_B + p_AB*relationship_learning_A
value_creation_A ~~ value_creation_B
actor_diff := a_A - a_B
partner_diff := p_BA - p_AB
k_A := p_BA / a_A
k_B := p_AB / a_B"
fit <- sem(apim, wide)
pe <- parameterEstimates(fit, standardized = TRUE)
pe <- pe[pe$label != "", ]
# H10: dyad value creation on joint dependence (two informants vs informant A)
y <- (A$value_creation + B$value_creation) / 2
two <- (A$dep_own + B$dep_own) / 2
rt <- r.test(n = length(y), r12 = cor(y, two), r13 = cor(y, A$jd_mean), r23 = cor(two, A$jd_mean))
res <- list(n_dyads = nrow(A), agreement = agreement,
            apim = list(label = pe$label, est = pe$est, se = pe$se, pvalue = pe$pvalue,
                        std_all = pe$std.all),
            apim_r2 = as.list(lavInspect(fit, "r2")),
            h10 = list(r_two = cor(y, two), r_A = cor(y, A$jd_mean), t = unname(rt$t),
                       pvalue = unname(rt$p)))
write_json(res, file.path(dir, "dyads_sim.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
