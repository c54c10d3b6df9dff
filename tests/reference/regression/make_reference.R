# Reference values for analysis/stats/regression.py (moderation, quadratic, response surface,
# mediation) on the Holzinger-Swineford (1939) data as exported from lavaan.
#
# Run from the repository root:
#   Rscript tests/reference/regression/make_reference.R
# Made with R 4.2.2, sandwich 3.0.2, lmtest 0.9.40, lavaan 0.6.14, jsonlite 1.8.4.
# Writes tests/reference/regression/hs_regression.json.
#
# * moderation: lm(x5 ~ x4c * x1c + x7) on mean-centred x4, x1; HC3 (sandwich::vcovHC)
#   and classical vcov; simple slopes at mean +- 1 SD of x1 and Johnson-Neyman bounds
#   from the quadratic inequality (formula written out below), t critical value with the
#   residual df.
# * quadratic: lm(x5 ~ x1 + I(x1^2) + x7); turning point -b1/(2 b2), delta-method SE;
#   slopes at min/max of x1 with SEs; HC3 and classical.
# * response surface: lm(x9 ~ x + y + I(x^2) + I(x*y) + I(y^2)) with x = x7 - c,
#   y = x8 - c, c the pooled mean of x7 and x8; a1..a5 = L b, SE = sqrt(L V L').
# * mediation: lavaan::sem('x5 ~ a*x4 + x7; x6 ~ b*x5 + c*x4 + x7; indirect := a*b;
#   total := c + a*b'), ML estimates and SEs, and percentile bootstrap CIs (R = 2000,
#   set.seed(20261122)).
suppressMessages({library(sandwich); library(lmtest); library(lavaan); library(jsonlite)})
HS <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
level <- 0.95

lc <- function(b, V, w, df) {
  est <- sum(w * b); se <- sqrt(drop(t(w) %*% V %*% w)); t <- est / se
  q <- qt(0.5 + level / 2, df)
  list(estimate = est, se = se, t = t, pvalue = 2 * pt(-abs(t), df),
       ci_lower = est - q * se, ci_upper = est + q * se)
}
coefs <- function(fit, V) {
  ct <- coeftest(fit, vcov. = V)
  q <- qt(0.5 + level / 2, fit$df.residual)
  list(term = rownames(ct), estimate = unname(ct[, 1]), se = unname(ct[, 2]),
       t = unname(ct[, 3]), pvalue = unname(ct[, 4]),
       ci_lower = unname(ct[, 1] - q * ct[, 2]), ci_upper = unname(ct[, 1] + q * ct[, 2]))
}

out <- list()
# ---------------- moderation
d <- HS
d$x4c <- d$x4 - mean(d$x4); d$x1c <- d$x1 - mean(d$x1)
fit <- lm(x5 ~ x4c + x1c + x4c:x1c + x7, data = d)
for (type in c("HC3", "const")) {
  V <- if (type == "HC3") vcovHC(fit, type = "HC3") else vcov(fit)
  b <- coef(fit); df <- fit$df.residual
  m_mean <- mean(d$x1); m_sd <- sd(d$x1)
  slopes <- lapply(c(-1, 0, 1), function(k) {
    w <- setNames(rep(0, length(b)), names(b)); w["x4c"] <- 1; w["x4c:x1c"] <- k * m_sd
    c(list(moderator = m_mean + k * m_sd), lc(b, V, w, df))
  })
  tc <- qt(0.5 + level / 2, df)
  A <- b["x4c:x1c"]^2 - tc^2 * V["x4c:x1c", "x4c:x1c"]
  B <- 2 * (b["x4c"] * b["x4c:x1c"] - tc^2 * V["x4c", "x4c:x1c"])
  C <- b["x4c"]^2 - tc^2 * V["x4c", "x4c"]
  disc <- B^2 - 4 * A * C
  jn <- if (disc >= 0) sort(c((-B - sqrt(disc)) / (2 * A), (-B + sqrt(disc)) / (2 * A))) + m_mean
        else numeric(0)
  out$moderation[[type]] <- list(coefficients = coefs(fit, V), simple_slopes = slopes,
                                 jn_bounds = unname(jn), r2 = summary(fit)$r.squared,
                                 df_resid = df, m_min = min(d$x1), m_max = max(d$x1))
}
# ---------------- quadratic
fit <- lm(x5 ~ x1 + I(x1^2) + x7, data = HS)
for (type in c("HC3", "const")) {
  V <- if (type == "HC3") vcovHC(fit, type = "HC3") else vcov(fit)
  b <- coef(fit); df <- fit$df.residual
  b1 <- b["x1"]; b2 <- b["I(x1^2)"]
  tp <- -b1 / (2 * b2)
  g <- c(-1 / (2 * b2), b1 / (2 * b2^2))
  tp_se <- sqrt(drop(t(g) %*% V[c("x1", "I(x1^2)"), c("x1", "I(x1^2)")] %*% g))
  at <- function(x) { w <- setNames(rep(0, length(b)), names(b)); w["x1"] <- 1
                      w["I(x1^2)"] <- 2 * x; lc(b, V, w, df) }
  out$quadratic[[type]] <- list(coefficients = coefs(fit, V), turning_point = unname(tp),
                                tp_se = tp_se, slope_min = at(min(HS$x1)),
                                slope_max = at(max(HS$x1)), x_min = min(HS$x1),
                                x_max = max(HS$x1))
}
# ---------------- response surface
cc <- mean(c(HS$x7, HS$x8))
d <- data.frame(z = HS$x9, x = HS$x7 - cc, y = HS$x8 - cc)
fit <- lm(z ~ x + y + I(x^2) + I(x * y) + I(y^2), data = d)
L <- rbind(a1 = c(0, 1, 1, 0, 0, 0), a2 = c(0, 0, 0, 1, 1, 1), a3 = c(0, 1, -1, 0, 0, 0),
           a4 = c(0, 0, 0, 1, -1, 1), a5 = c(0, 0, 0, 1, 0, -1))
for (type in c("HC3", "const")) {
  V <- if (type == "HC3") vcovHC(fit, type = "HC3") else vcov(fit)
  b <- coef(fit); df <- fit$df.residual
  surf <- lapply(rownames(L), function(p) c(list(parameter = p), lc(b, V, L[p, ], df)))
  out$rsa[[type]] <- list(coefficients = coefs(fit, V), surface = surf, center = cc)
}
# ---------------- mediation
m <- 'x5 ~ a*x4 + x7
x6 ~ b*x5 + c*x4 + x7
indirect := a*b
total := c + a*b'
f0 <- sem(m, data = HS)
pe <- parameterEstimates(f0)
set.seed(20261122)
fb <- sem(m, data = HS, se = "bootstrap", bootstrap = 2000)
pb <- parameterEstimates(fb, boot.ci.type = "perc")
pick <- function(p, lhs, op, rhs) p[p$lhs == lhs & p$op == op & p$rhs == rhs, ]
eff <- list(a = c("x5", "~", "x4"), b = c("x6", "~", "x5"), direct = c("x6", "~", "x4"),
            indirect = c("indirect", ":=", "a*b"), total = c("total", ":=", "c+a*b"))
out$mediation <- lapply(eff, function(e) {
  r0 <- pick(pe, e[1], e[2], e[3]); r1 <- pick(pb, e[1], e[2], e[3])
  list(estimate = r0$est, se = r0$se, pvalue = r0$pvalue, boot_se = r1$se,
       ci_lower = r1$ci.lower, ci_upper = r1$ci.upper)
})
out$versions <- list(R = as.character(getRversion()),
                     sandwich = as.character(packageVersion("sandwich")),
                     lmtest = as.character(packageVersion("lmtest")),
                     lavaan = as.character(packageVersion("lavaan")))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/regression/hs_regression.json")
