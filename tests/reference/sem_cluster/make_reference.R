# Reference values for cluster-robust MLR (lavaan's cluster= for single-level models).
#
# Run from the repository root:
#   Rscript tests/reference/sem_cluster/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, jsonlite 1.8.4.
# Writes: tests/reference/sem_cluster/{hs_clustered.csv, dyads.csv, *.json}
suppressMessages({library(lavaan); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")

HS <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")

# --- HolzingerSwineford1939 with two seeded cluster columns and MCAR holes ---------
set.seed(20260521)
HSc <- HS
# 'team': 60 clusters of unequal size (1 to ~12 pupils), drawn at random
HSc$team <- sample(sprintf("t%02d", 1:60), nrow(HSc), replace = TRUE)
# 'pair': pairs of pupils in a random order (150 pairs and one singleton)
perm <- sample(nrow(HSc))
HSc$pair <- NA_integer_
HSc$pair[perm] <- (seq_along(perm) + 1L) %/% 2L
# 8 % MCAR on x1-x9 (the 'm' copies), for MLR + FIML
for (v in paste0("x", 1:9)) {
  z <- HSc[[v]]
  z[runif(nrow(HSc)) < 0.08] <- NA
  HSc[[paste0(v, "m")]] <- z
}
write.csv(HSc, "tests/reference/sem_cluster/hs_clustered.csv", row.names = FALSE, na = "")

# --- simulated dyads: two respondents per alliance sharing an alliance effect ------
set.seed(4417)
n_dyad <- 180
pop <- '
lrn =~ 0.8*l1 + 0.7*l2 + 0.75*l3
val =~ 0.8*v1 + 0.7*v2 + 0.6*v3
dep =~ 0.7*d1 + 0.8*d2 + 0.6*d3
lrn ~ 0.4*dep + 0.2*size
val ~ 0.5*lrn + 0.1*dep + 0.15*size
'
Y <- simulateData(pop, sample.nobs = 2 * n_dyad, seed = 4417)
alliance <- rep(seq_len(n_dyad), each = 2)
shared <- matrix(rnorm(n_dyad * 10, sd = 0.6), n_dyad, 10)
cols <- c("l1", "l2", "l3", "v1", "v2", "v3", "d1", "d2", "d3", "size")
for (k in seq_along(cols)) Y[[cols[k]]] <- Y[[cols[k]]] + shared[alliance, k]
# a few single respondents: drop one member of 20 alliances
drop <- 2L * sample(n_dyad, 20)
Y$alliance_id <- sprintf("A%03d", alliance)
Y <- Y[-drop, ]
# MAR holes on the learning and value items (more often when 'size' is low)
Ym <- Y
p <- plogis(-2.3 - 0.8 * as.numeric(scale(Y$size)))
for (v in c("l2", "l3", "v1", "v3", "d2")) Ym[runif(nrow(Ym)) < p, v] <- NA
Y$l2m <- Ym$l2; Y$l3m <- Ym$l3; Y$v1m <- Ym$v1; Y$v3m <- Ym$v3; Y$d2m <- Ym$d2
write.csv(Y, "tests/reference/sem_cluster/dyads.csv", row.names = FALSE, na = "")

dump_fit <- function(fit, file, extra = list()) {
  pe <- parameterEstimates(fit)
  pt <- parTable(fit)
  fm <- fitMeasures(fit)
  out <- list(
    lavaan_version = as.character(packageVersion("lavaan")),
    call = paste(deparse(fit@call), collapse = " "),
    ntotal = lavInspect(fit, "ntotal"),
    nclusters = as.list(unlist(lapply(fit@Data@Lp, function(l) l$nclusters[[2]]))),
    partable = list(lhs = pt$lhs, op = pt$op, rhs = pt$rhs, group = pt$group,
                    free = pt$free),
    estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                     group = if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group,
                     est = pe$est, se = pe$se),
    fit_measures = as.list(fm),
    test = lapply(fit@test, function(t) t[setdiff(names(t), c("label"))]),
    information_first_order = unclass(lavTech(fit, "information.first.order")),
    options = lavInspect(fit, "options")[c("estimator", "se", "test", "missing",
                                            "meanstructure")]
  )
  out <- c(out, extra)
  writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", matrix = "rowmajor"),
             file)
}

m.hs <- 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9'
m.hsm <- 'visual =~ x1m + x2m + x3m
textual =~ x4m + x5m + x6m
speed =~ x7m + x8m + x9m'
m.path <- '
lrn =~ l1 + l2 + l3
val =~ v1 + v2 + v3
dep =~ d1 + d2 + d3
lrn ~ a*dep + size
val ~ b*lrn + c*dep + size
ind := a*b
total := c + a*b
'
m.pathm <- gsub("l2", "l2m", gsub("l3", "l3m", gsub("v1", "v1m", gsub("v3", "v3m",
                gsub("d2", "d2m", m.path)))))

dump_fit(cfa(m.hs, HSc, estimator = "MLR", cluster = "team"),
         "tests/reference/sem_cluster/hs_team_mlr.json")
dump_fit(cfa(m.hs, HSc, estimator = "MLR", cluster = "pair"),
         "tests/reference/sem_cluster/hs_pair_mlr.json")
dump_fit(cfa(m.hsm, HSc, estimator = "MLR", missing = "ml", cluster = "team"),
         "tests/reference/sem_cluster/hs_team_fiml.json")
dump_fit(cfa(m.hs, HSc, estimator = "MLR", cluster = "team", group = "school"),
         "tests/reference/sem_cluster/hs_team_school_mlr.json")
dump_fit(sem(m.path, Y, estimator = "MLR", cluster = "alliance_id"),
         "tests/reference/sem_cluster/dyad_path_mlr.json")
dump_fit(sem(m.pathm, Y, estimator = "MLR", missing = "ml", cluster = "alliance_id"),
         "tests/reference/sem_cluster/dyad_path_fiml.json")
# an observed-composite path model with a fixed.x covariate, as in the study
m.obs <- '
lrn_s ~ a*dep_s + size
val_s ~ b*lrn_s + size
ind := a*b
'
Y$lrn_s <- rowMeans(Y[, c("l1", "l2m", "l3m")], na.rm = TRUE)
Y$val_s <- rowMeans(Y[, c("v1m", "v2", "v3m")], na.rm = TRUE)
Y$dep_s <- rowMeans(Y[, c("d1", "d2m", "d3")], na.rm = TRUE)
Y$lrn_s[c(3, 17, 40)] <- NA
Y$val_s[c(5, 60)] <- NA
write.csv(Y, "tests/reference/sem_cluster/dyads.csv", row.names = FALSE, na = "")
dump_fit(sem(m.obs, Y, estimator = "MLR", missing = "ml", cluster = "alliance_id"),
         "tests/reference/sem_cluster/dyad_obs_fiml.json")
dump_fit(sem(m.obs, Y, estimator = "MLR", cluster = "alliance_id"),
         "tests/reference/sem_cluster/dyad_obs_mlr.json")
