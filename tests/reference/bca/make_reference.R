# Reference values for BCa intervals of a cluster bootstrap (Efron 1987) with the
# jackknife over clusters, as analysis.sem.bootstrap computes them for the latent model's
# indirect effects (whole alliances resampled; one alliance left out per jackknife refit).
#
# Data: simulated here, 70 clusters of one to three respondents (dyads and a few
# triads and singletons), x -> m -> y with a cluster effect.  Model: simple mediation
# with ab := a*b, lavaan ML.  The bootstrap draws are made here (boot::boot over the
# clusters, each draw refitted by lavaan) and written to the fixture, so that both sides
# compute the intervals from identical draws: the test needs no Monte Carlo tolerance.
#
# Run from the repository root (about half a minute):
#   Rscript tests/reference/bca/make_reference.R
# Made with R 4.2.2, lavaan 0.6.14, boot 1.3.28.1, jsonlite 1.8.4.
# Writes: tests/reference/bca/{cluster_mediation.csv, reference_bca.json}
suppressMessages({library(lavaan); library(boot); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")
out <- "tests/reference/bca"

set.seed(20261205)
g <- 70
size <- sample(c(1L, 2L, 2L, 2L, 3L), g, replace = TRUE)
cl <- rep(sprintf("C%02d", seq_len(g)), times = size)
u <- rep(rnorm(g, 0, 0.6), times = size)
n <- length(cl)
x <- rnorm(n) + 0.5 * u
m <- 0.35 * x + 0.4 * u + rnorm(n)
# a skewed outcome error, so that the bias correction and the acceleration are not zero
y <- 0.3 * m + 0.1 * x + 0.3 * u + (rexp(n) - 1)
d <- data.frame(x = x, m = m, y = y, cluster = cl)
write.csv(d, file.path(out, "cluster_mediation.csv"), row.names = FALSE)
d <- read.csv(file.path(out, "cluster_mediation.csv"))

model <- "m ~ a*x\ny ~ b*m + c*x\nab := a*b\n"
ab <- function(data) {
  p <- parameterEstimates(sem(model, data = data))
  p$est[p$label == "ab"]
}
ids <- unique(d$cluster)                 # clusters in order of first appearance
rows <- split(seq_len(nrow(d)), factor(d$cluster, levels = ids))
stat <- function(cids, i) ab(d[unlist(rows[i], use.names = FALSE), ])
set.seed(7)
b <- boot(ids, stat, R = 999)
jack <- vapply(seq_along(ids), function(k) ab(d[-rows[[k]], ]), numeric(1))
G <- length(ids)
L <- (G - 1) * (mean(jack) - jack)
ci <- boot.ci(b, conf = 0.95, type = c("perc", "bca"), L = L)
t <- as.numeric(b$t)
res <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  boot_version = as.character(packageVersion("boot")),
  model = model, clusters = ids, t0 = b$t0, t = t, jackknife = jack,
  z0 = qnorm(sum(t < b$t0) / length(t)),
  acceleration = sum(L^3) / (6 * sum(L^2)^1.5),
  perc = unname(ci$percent[1, 4:5]),
  bca = unname(ci$bca[1, 4:5])
)
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE), file.path(out, "reference_bca.json"))
cat("perc", res$perc, "bca", res$bca, "z0", res$z0, "a", res$acceleration, "\n")
