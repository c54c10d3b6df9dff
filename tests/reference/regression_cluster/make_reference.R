# Reference values for the cluster-robust (CR1) response-surface regression of
# analysis/stats/regression.py (response_surface(..., cluster=)), the test of H2 where both
# partners of an alliance are rows, and for its HC3 default without clusters.
#
# Run from the repository root:
#   Rscript tests/reference/regression_cluster/make_reference.R
# Made with R 4.2.2, sandwich 3.0.2, lmtest 0.9.40, jsonlite 1.8.4.
# Writes tests/reference/regression_cluster/cases.json (byte for byte the same on a rerun).
#
# A campaign of generated cases, not hand-picked ones: for each seed, N rows on a 1-7
# metric with two correlated predictors, 0-2 controls, a quadratic outcome, alliances of
# one, two or three rows, some rows without an alliance id (each its own cluster, as the
# package documents), and some missing values (listwise deletion, as lm does).  Per case:
#   lm(z ~ x + y + I(x^2) + I(x*y) + I(y^2) + controls) with x, y centred at the pooled
#   mean of the two predictors (over the rows used);
#   CR1: sandwich::vcovCL(fit, cluster = ~cl, type = "HC1") (G/(G-1) * (N-1)/(N-K)),
#   t tests and intervals on G - 1 df (coeftest(fit, vcov., df = G - 1));
#   HC3: sandwich::vcovHC(fit, type = "HC3") on the residual df;
#   a1..a5 = L b with SE sqrt(L V L').
suppressMessages({library(sandwich); library(lmtest); library(jsonlite)})
level <- 0.95

lc <- function(b, V, w, df) {
  est <- sum(w * b); se <- sqrt(drop(t(w) %*% V %*% w)); t <- est / se
  q <- qt(0.5 + level / 2, df)
  list(estimate = est, se = se, t = t, pvalue = 2 * pt(-abs(t), df),
       ci_lower = est - q * se, ci_upper = est + q * se)
}
coefs <- function(fit, V, df) {
  ct <- coeftest(fit, vcov. = V, df = df)
  q <- qt(0.5 + level / 2, df)
  list(term = rownames(ct), estimate = unname(ct[, 1]), se = unname(ct[, 2]),
       t = unname(ct[, 3]), pvalue = unname(ct[, 4]),
       ci_lower = unname(ct[, 1] - q * ct[, 2]), ci_upper = unname(ct[, 1] + q * ct[, 2]))
}
surface <- function(b, V, df) {
  L <- list(a1 = c(x = 1, y = 1), a2 = c(x2 = 1, xy = 1, y2 = 1), a3 = c(x = 1, y = -1),
            a4 = c(x2 = 1, xy = -1, y2 = 1), a5 = c(x2 = 1, y2 = -1))
  lapply(L, function(l) {
    w <- setNames(rep(0, length(b)), names(b)); w[names(l)] <- l
    lc(b, V, w, df)
  })
}

cases <- list()
for (k in 1:30) {
  set.seed(20261207 + k)
  n <- sample(c(36, 60, 90, 150, 240), 1)
  nc <- sample(0:2, 1)
  # alliances: sizes 1-3 drawn until n rows
  sizes <- integer(0)
  while (sum(sizes) < n) sizes <- c(sizes, sample(1:3, 1, prob = c(.3, .6, .1)))
  sizes[length(sizes)] <- sizes[length(sizes)] - (sum(sizes) - n)
  sizes <- sizes[sizes > 0]
  cl <- rep(seq_along(sizes), sizes)
  u <- rnorm(length(sizes), sd = runif(1, 0, 0.8))[cl]  # shared alliance effect
  x <- round(pmin(7, pmax(1, 4 + rnorm(n) + 0.7 * u)), 2)
  y <- round(pmin(7, pmax(1, 4 + 0.5 * (x - 4) + rnorm(n))), 2)
  d <- data.frame(x1 = x, x2 = y)
  for (j in seq_len(nc)) d[[paste0("c", j)]] <- round(rnorm(n), 3)
  z <- 3 + 0.3 * (x - 4) + 0.2 * (y - 4) - 0.15 * (x - y)^2 + u + rnorm(n)
  if (nc > 0) z <- z + 0.2 * d$c1
  d$z <- round(z, 3)
  d$cl <- as.character(cl)
  d$cl[sample(n, sample(0:3, 1))] <- NA  # rows without an alliance id
  for (v in c("z", "x1", "x2")) d[[v]][sample(n, sample(0:2, 1))] <- NA
  # what the package does: listwise over the model's columns, then an id of its own for
  # each row without one
  used <- d[complete.cases(d[, c("z", "x1", "x2", if (nc) paste0("c", seq_len(nc)))]), ]
  lone <- is.na(used$cl)
  used$cl[lone] <- paste0("single_", which(lone))
  cen <- mean(c(used$x1, used$x2))
  used$x <- used$x1 - cen; used$y <- used$x2 - cen
  used$x2_ <- used$x^2; used$xy <- used$x * used$y; used$y2_ <- used$y^2
  f <- paste("z ~ x + y + x2_ + xy + y2_", if (nc) paste("+", paste0("c", seq_len(nc),
                                                                   collapse = " + ")) else "")
  fit <- lm(as.formula(f), data = used)
  b <- coef(fit); names(b)[names(b) == "x2_"] <- "x2"; names(b)[names(b) == "y2_"] <- "y2"
  G <- length(unique(used$cl))
  Vc <- vcovCL(fit, cluster = ~cl, type = "HC1")
  Vh <- vcovHC(fit, type = "HC3")
  Vc2 <- Vc; dimnames(Vc2) <- list(names(b), names(b))
  Vh2 <- Vh; dimnames(Vh2) <- list(names(b), names(b))
  cases[[k]] <- list(
    seed = 20261207 + k, n_used = nrow(used), n_clusters = G, center = cen,
    controls = I(if (nc) paste0("c", seq_len(nc)) else character(0)),
    data = d, r2 = summary(fit)$r.squared,
    cr1 = list(coefficients = coefs(fit, Vc, G - 1), surface = surface(b, Vc2, G - 1)),
    hc3 = list(coefficients = coefs(fit, Vh, fit$df.residual),
               surface = surface(b, Vh2, fit$df.residual)))
}
writeLines(toJSON(list(r_version = R.version.string,
                       sandwich = as.character(packageVersion("sandwich")), cases = cases),
                  digits = NA, na = "null", auto_unbox = TRUE, dataframe = "columns"),
           "tests/reference/regression_cluster/cases.json")
