# A generated campaign of dyadic analyses for tests/test_dyadic_campaign.py
# (analysis/stats/dyadic.py, analysis/study/dependence.py, analysis/study/dyads.py and the
# H10 row of analysis/study/hypotheses.py).
# Run from the repository root:
#   Rscript tests/reference/dyadic_campaign/make_reference.R
# Versions used: R 4.2.2, lavaan 0.6.14, nlme 3.1.162, sandwich 3.0.2, psych 2.2.9,
# jsonlite 1.8.4 (Debian bookworm r-cran-* packages). The script regenerates its outputs byte
# for byte (fixed seed; the data are written rounded to a few decimals).
#
# 30 datasets, one row per respondent: alliance_id, firm_role (A/B), items q1..q4 (1..7,
# the agreement scale; x is their mean, NA when an item is missing), y (the outcome, e.g.
# value creation), dep_own, dep_partner (dependence scale scores). The design varies the
# number of complete dyads (20-300), the share of alliances with one respondent (0-60 %),
# missing answers, distinguishable roles (A and B with different means and variances) or
# exchangeable partners, strong or zero actor and partner effects, negative
# non-independence, coarse dependence scores (asymmetry zero in many dyads) and extreme skew.
#
# What R computes is what the Python functions claim (their docstrings):
# * complete dyads: alliances with one "A" and one "B" row; single-respondent alliances
#   are not dyads;
# * icc(): one-way ANOVA (aov) with the alliance as group, NA rows dropped, ICC(1) =
#   (MSB - MSW) / (MSB + (k - 1) MSW) with k = N / J, ICC(2) = (MSB - MSW) / MSB (the
#   formulas of multilevel::ICC1/ICC2, which is not installed here); on the complete
#   dyads' rows, on all rows (groups of one included) and on the dyads in which both
#   partners have the score (the agreement of dyadic_analysis); role_correlation(): the
#   Pearson r of the A and B partners' scores (cor.test), the non-independence of
#   distinguishable partners (Kenny, Kashy & Cook 2006, ch. 2);
# * rwg_j(): per group, rows with a missing item dropped, s2 = mean item variance capped
#   at (A^2 - 1) / 12, r_wg(j) = J (1 - s2/E) / (J (1 - s2/E) + s2/E) (multilevel::rwg.j);
# * apim(): lavaan::sem on the dyad-wide data (listwise), ML and MLR, and the same model as
#   a two-intercept GLS in the long format (nlme::gls, corCompSymm within the dyad,
#   varIdent by role, ML: Kenny, Kashy & Cook 2006, ch. 7) for the four effects (its SEs
#   taken on N, not N - p, df);
# * dependence_indices() / dyad_indices(): joint dependence (sum, mean), asymmetry
#   (absolute, signed), the two dependence advantages (Gulati & Sytch 2007), both from
#   the respondent's own report and, in a complete dyad, from the two self-reports;
#   the perception gap;
# * the perception summary of dyadic_analysis (pooled, A, B): cor.test, t.test; the pooled
#   row's p values cluster-robust (sandwich::vcovCL, HC1 = CR1 by alliance, t on G - 1 df);
# * compare_informants(): lm of the dyad mean outcome on each predictor, psych::r.test;
# * the H10 row (hypotheses._dyadic_row): OLS of the standardized outcome on the
#   standardized dyad_jd_sum over the rows with both partners' self-reports, SE by
#   sandwich::vcovCL (HC1 = CR1, clustered by alliance), t on G - 1 df; R2 of both
#   predictors; Williams' t with the alliances as cases.
suppressPackageStartupMessages({
  library(lavaan); library(nlme); library(sandwich); library(psych); library(jsonlite)
})
stopifnot(packageVersion("lavaan") == "0.6.14", packageVersion("nlme") == "3.1.162",
          packageVersion("sandwich") == "3.0.2", packageVersion("psych") == "2.2.9")
out <- "tests/reference/dyadic_campaign"
RNGkind("Mersenne-Twister", "Inversion", "Rejection")
set.seed(20261207)

n_dyads  <- c(20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200, 300, 35, 45, 70,
              90, 110, 130, 160, 180, 220, 250, 280, 300, 22, 28, 65, 75, 140, 240)
single   <- rep(c(0, .1, .3, .45, .6, .2), 5)
missing  <- rep(c(0, 0, .04, .1, 0, .06, .02, 0, .08, 0), 3)
distinct <- rep(c(TRUE, FALSE, TRUE), 10)            # roles with different means / SDs
actor    <- rep(c(.5, .5, 0, .6, 0, .3), 5)          # actor effect (role A; B = 0.7 A)
partner  <- rep(c(.3, 0, .4, 0, 0, .25, .5, .1, 0, .2), 3)
rho_res  <- rep(c(.4, -.5, 0, .6, -.3, .2, .1, -.6), 4)[1:30]   # residual non-independence
rho_x    <- rep(c(.3, -.4, .5, 0, .2), 6)                        # predictor non-independence
coarse   <- rep(c(FALSE, FALSE, TRUE, FALSE, TRUE), 6)  # integer dependence: many ties
skew     <- rep(c(FALSE, FALSE, FALSE, TRUE, FALSE, FALSE, TRUE), 5)[1:30]

clamp <- function(v, lo, hi) pmin(pmax(v, lo), hi)
dep_scale <- function(v, k) {          # a dependence score on 1..7
  if (skew[k]) v <- 1 + 6 * pnorm(v)^4  # piled up near 1, long right tail
  else v <- 4 + 1.2 * v
  v <- clamp(v, 1, 7)
  if (coarse[k]) round(v) else round(v * 4) / 4
}

make_case <- function(k) {
  nd <- n_dyads[k]
  ns <- round(nd * single[k] / (1 - single[k]))
  na <- nd + ns
  ids <- sprintf("al%04d", sample(1000:9999, na))
  mA <- if (distinct[k]) 4.6 else 4.2; mB <- if (distinct[k]) 3.6 else 4.2
  sA <- if (distinct[k]) 1.3 else 1.0; sB <- if (distinct[k]) 0.7 else 1.0
  zx <- matrix(rnorm(2 * na), na) %*% chol(matrix(c(1, rho_x[k], rho_x[k], 1), 2))
  xA <- mA + sA * zx[, 1]; xB <- mB + sB * zx[, 2]
  item <- function(xx) clamp(round(xx + rnorm(length(xx), 0, .8)), 1, 7)
  qA <- sapply(1:4, function(j) item(xA)); qB <- sapply(1:4, function(j) item(xB))
  xa <- rowMeans(qA) - 4; xb <- rowMeans(qB) - 4
  ze <- matrix(rnorm(2 * na), na) %*% chol(matrix(c(1, rho_res[k], rho_res[k], 1), 2))
  eA <- if (skew[k]) (exp(ze[, 1]) - exp(.5)) / 2 else ze[, 1]
  yA <- 4 + actor[k] * xa + partner[k] * xb + (if (distinct[k]) 1.2 else 1) * eA
  yB <- 4 + .7 * actor[k] * xb + partner[k] * xa + (if (distinct[k]) .6 else 1) * ze[, 2]
  # dependence: own dependence of A and B; the perceived partner dependence is the
  # partner's own dependence seen with a bias and noise
  zd <- matrix(rnorm(2 * na), na) %*% chol(matrix(c(1, .3, .3, 1), 2))
  dA <- dep_scale(zd[, 1] + (if (distinct[k]) .4 else 0), k)
  dB <- dep_scale(zd[, 2] - (if (distinct[k]) .4 else 0), k)
  pA <- dep_scale(zd[, 2] - (if (distinct[k]) .4 else 0) + .2 + rnorm(na, 0, .6), k)
  pB <- dep_scale(zd[, 1] + (if (distinct[k]) .4 else 0) + .2 + rnorm(na, 0, .6), k)
  rowsA <- data.frame(alliance_id = ids, firm_role = "A", q = qA, y = round(yA, 3),
                      dep_own = dA, dep_partner = pA)
  rowsB <- data.frame(alliance_id = ids, firm_role = "B", q = qB, y = round(yB, 3),
                      dep_own = dB, dep_partner = pB)
  # single-respondent alliances: the last ns alliances keep one row, A or B at random
  solo <- seq_len(na) > nd
  solo_role <- ifelse(runif(na) < .5, "A", "B")
  d <- rbind(rowsA[!solo | solo_role == "A", ], rowsB[!solo | solo_role == "B", ])
  names(d) <- sub("^q\\.", "q", names(d))
  m <- missing[k]
  if (m > 0) {
    n <- nrow(d)
    for (v in c("q1", "q2", "q3", "q4", "y")) d[[v]][runif(n) < m] <- NA
    for (v in c("dep_own", "dep_partner")) d[[v]][runif(n) < m / 2] <- NA
  }
  d$x <- rowMeans(d[, c("q1", "q2", "q3", "q4")])
  d <- d[sample(nrow(d)), c("alliance_id", "firm_role", "q1", "q2", "q3", "q4", "x", "y",
                           "dep_own", "dep_partner")]
  rownames(d) <- NULL
  d
}

icc_aov <- function(v, g) {
  ok <- !is.na(v)
  v <- v[ok]; g <- factor(g[ok])
  tab <- summary(aov(v ~ g))[[1]]
  msb <- tab[1, 3]; msw <- tab[2, 3]
  k <- length(v) / nlevels(g)
  list(icc1 = (msb - msw) / (msb + (k - 1) * msw), icc2 = (msb - msw) / msb, msb = msb,
       msw = msw, f = tab[1, 4], pvalue = tab[1, 5], df_between = tab[1, 1],
       df_within = tab[2, 1], n_groups = nlevels(g), n_obs = length(v))
}

rwg_j_ref <- function(items, g, n_opt = 7) {
  e <- (n_opt^2 - 1) / 12
  ok <- complete.cases(items)
  sp <- split(items[ok, ], g[ok])
  val <- sapply(sp, function(Q) {
    if (nrow(Q) < 2) return(NA_real_)
    s2 <- min(mean(apply(Q, 2, var)), e); J <- ncol(Q)
    J * (1 - s2 / e) / (J * (1 - s2 / e) + s2 / e)
  })
  list(group = names(sp), rwg_j = unname(val), gsize = unname(sapply(sp, nrow)))
}

indices <- function(own, other) {
  diff <- own - other
  list(jd_sum = own + other, jd_mean = (own + other) / 2, asym_abs = abs(diff),
       asym_signed = diff, adv_own = pmax(-diff, 0), adv_partner = pmax(diff, 0))
}

labels <- c("a_A", "a_B", "p_AB", "p_BA", "actor_diff", "partner_diff", "k_A", "k_B")
apim_model <- "
y_A ~ a_A*x_A + p_BA*x_B
y_B ~ a_B*x_B + p_AB*x_A
y_A ~~ y_B
actor_diff := a_A - a_B
partner_diff := p_BA - p_AB
k_A := p_BA / a_A
k_B := p_AB / a_B"

simple_lm <- function(y, x) {
  f <- lm(y ~ x); s <- summary(f)$coefficients
  list(n = length(y), b = s[2, 1], se = s[2, 2], t = s[2, 3], pvalue = s[2, 4],
       beta = cor(x, y), r2 = summary(f)$r.squared)
}

williams <- function(r12, r13, r23, n) {
  rt <- r.test(n = n, r12 = r12, r13 = r13, r23 = r23)
  list(t = unname(rt$t), pvalue = unname(rt$p), df = n - 3)
}

cases <- list()
for (k in seq_along(n_dyads)) {
  d <- make_case(k)
  file <- sprintf("case_%02d.csv", k)
  write.csv(d, file.path(out, file), row.names = FALSE, na = "")
  d <- read.csv(file.path(out, file), stringsAsFactors = FALSE)  # as Python reads it
  roles <- tapply(d$firm_role, d$alliance_id, function(r) all(c("A", "B") %in% r))
  dy <- names(roles)[roles]
  pairs <- d[d$alliance_id %in% dy, ]
  pairs <- pairs[order(pairs$alliance_id, pairs$firm_role), ]
  A <- pairs[pairs$firm_role == "A", ]; B <- pairs[pairs$firm_role == "B", ]
  stopifnot(identical(A$alliance_id, B$alliance_id))

  # dependence indices per row (file order): own report, and the two self-reports
  own <- indices(d$dep_own, d$dep_partner)
  in_dyad <- d$alliance_id %in% dy
  key <- paste(d$alliance_id, d$firm_role)
  other <- paste(d$alliance_id, ifelse(d$firm_role == "A", "B", "A"))
  partner_self <- ifelse(in_dyad, d$dep_own[match(other, key)], NA)
  dyo <- indices(ifelse(in_dyad, d$dep_own, NA), partner_self)
  gap <- d$dep_partner - partner_self
  rows <- c(own, list(dyad_d_own = ifelse(in_dyad, d$dep_own, NA),
                      dyad_d_partner = partner_self, dyad_jd_sum = dyo$jd_sum,
                      dyad_jd_mean = dyo$jd_mean, dyad_asym_abs = dyo$asym_abs,
                      dyad_asym_signed = dyo$asym_signed, dyad_adv_own = dyo$adv_own,
                      dyad_adv_partner = dyo$adv_partner, perception_gap = gap,
                      perception_gap_abs = abs(gap)))

  # perception of the partner's dependence against its self-report (complete dyads)
  pg <- pairs$dep_partner - partner_self[match(paste(pairs$alliance_id, pairs$firm_role),
                                               key)]
  pself <- partner_self[match(paste(pairs$alliance_id, pairs$firm_role), key)]
  perception <- list()
  for (part in c("pooled", "A", "B")) {
    sel <- if (part == "pooled") rep(TRUE, nrow(pairs)) else pairs$firm_role == part
    ok <- sel & !is.na(pg)
    ct <- cor.test(pairs$dep_partner[ok], pself[ok]); tt <- t.test(pg[ok])
    r_p <- ct$p.value; t_g <- unname(tt$statistic); t_p <- tt$p.value
    if (part == "pooled") {
      # both reports of an alliance: r as the slope of the standardized perception on the
      # standardized self-report and the gap's mean as an intercept, each with
      # sandwich::vcovCL (HC1 = CR1, clustered by alliance), t on G - 1 df
      cl <- pairs$alliance_id[ok]; G <- length(unique(cl))
      zy <- as.numeric(scale(pairs$dep_partner[ok])); zx <- as.numeric(scale(pself[ok]))
      fr <- lm(zy ~ zx); vr <- vcovCL(fr, cluster = cl, type = "HC1")
      r_p <- 2 * pt(abs(coef(fr)[[2]] / sqrt(vr[2, 2])), G - 1, lower.tail = FALSE)
      fg <- lm(pg[ok] ~ 1); vg <- vcovCL(fg, cluster = cl, type = "HC1")
      t_g <- coef(fg)[[1]] / sqrt(vg[1, 1]); t_p <- 2 * pt(abs(t_g), G - 1, lower.tail = FALSE)
    }
    perception[[part]] <- list(n = sum(ok), mean_gap = mean(pg[ok]), sd_gap = sd(pg[ok]),
                               mean_abs_gap = mean(abs(pg[ok])), r = unname(ct$estimate),
                               r_pvalue = r_p, t_gap = t_g, t_gap_pvalue = t_p)
  }

  # agreement
  icc_pairs <- icc_aov(pairs$x, pairs$alliance_id)
  icc_all <- icc_aov(d$x, d$alliance_id)
  complete_x <- ave(!is.na(pairs$x), pairs$alliance_id, FUN = sum) == 2
  icc_complete <- icc_aov(pairs$x[complete_x], pairs$alliance_id[complete_x])
  both_x <- tapply(!is.na(pairs$x), pairs$alliance_id, all)
  wx <- data.frame(a = A$x, b = B$x); wx <- wx[complete.cases(wx), ]
  ct <- cor.test(wx$a, wx$b)
  roles_r <- list(r = unname(ct$estimate), pvalue = ct$p.value, n_dyads = nrow(wx),
                  mean_A = mean(wx$a), mean_B = mean(wx$b))
  rwg <- rwg_j_ref(pairs[, c("q1", "q2", "q3", "q4")], pairs$alliance_id)

  # APIM, dyad-wide, listwise
  wide <- data.frame(x_A = A$x, x_B = B$x, y_A = A$y, y_B = B$y)
  wide <- wide[complete.cases(wide), ]
  apim <- list()
  for (est in c("ML", "MLR")) {
    fit <- sem(apim_model, wide, estimator = est)
    pe_all <- parameterEstimates(fit, standardized = TRUE)
    pe <- rbind(pe_all[match(labels, pe_all$label), ],
                pe_all[pe_all$op == "~~" & pe_all$lhs %in% c("y_A", "y_B"), ])
    apim[[est]] <- list(converged = lavInspect(fit, "converged"), n = lavInspect(fit, "nobs"),
                        lhs = pe$lhs, op = pe$op, rhs = pe$rhs, label = pe$label,
                        est = pe$est, se = pe$se, pvalue = pe$pvalue, std_all = pe$std.all,
                        r2 = as.list(lavInspect(fit, "r2")))
  }
  long <- data.frame(dyad = rep(seq_len(nrow(wide)), each = 2),
                     role = factor(rep(c("A", "B"), nrow(wide))),
                     y = c(rbind(wide$y_A, wide$y_B)), xa = c(rbind(wide$x_A, wide$x_B)),
                     xp = c(rbind(wide$x_B, wide$x_A)))
  g <- gls(y ~ 0 + role + role:xa + role:xp, data = long, method = "ML",
           correlation = corCompSymm(form = ~ 1 | dyad), weights = varIdent(form = ~ 1 | role),
           control = glsControl(tolerance = 1e-10, msTol = 1e-10, maxIter = 500,
                                msMaxIter = 500))
  # gls scales its covariance of the coefficients by N / (N - p) also under ML (sigma on
  # N - p df); the SEM's ML SEs use N: the same model's ML SEs are sqrt((N - p) / N) of it
  cf <- coef(g); se <- sqrt(diag(vcov(g)) * (nrow(long) - length(cf)) / nrow(long))
  gnames <- c(a_A = "roleA:xa", a_B = "roleB:xa", p_BA = "roleA:xp", p_AB = "roleB:xp")
  gls_ref <- list(label = names(gnames), est = unname(cf[gnames]), se = unname(se[gnames]),
                  rho = unname(coef(g$modelStruct$corStruct, unconstrained = FALSE)))

  # compare_informants: dyad mean outcome on the two-informant and one-informant JD
  ci <- data.frame(y = (A$y + B$y) / 2, two = (A$dep_own + B$dep_own) / 2,
                   iA = (A$dep_own + A$dep_partner) / 2, iB = (B$dep_own + B$dep_partner) / 2)
  ci <- ci[complete.cases(ci), ]
  r <- cor(ci)
  informants <- list(n_dyads = nrow(ci), two_informants = simple_lm(ci$y, ci$two),
                     informant_A = simple_lm(ci$y, ci$iA),
                     informant_B = simple_lm(ci$y, ci$iB),
                     two_vs_A = williams(r["y", "two"], r["y", "iA"], r["two", "iA"], nrow(ci)),
                     two_vs_B = williams(r["y", "two"], r["y", "iB"], r["two", "iB"], nrow(ci)))

  # H10 row: rows with both partners' self-reports, clustered by alliance
  h <- data.frame(vc = d$y, a = rows$dyad_jd_sum, b = own$jd_sum, id = d$alliance_id)
  h <- h[complete.cases(h[, 1:3]), ]
  z <- data.frame(lapply(h[, 1:3], function(v) (v - mean(v)) / sd(v)), id = h$id)
  fa <- lm(vc ~ a, z); fb <- lm(vc ~ b, z)
  V <- vcovCL(fa, cluster = ~ id, type = "HC1")
  G <- length(unique(z$id))
  tval <- coef(fa)[2] / sqrt(V[2, 2])
  rz <- cor(z[, 1:3]); sa <- sign(rz["vc", "a"]); sb <- sign(rz["vc", "b"])
  h10 <- list(n = nrow(z), n_clusters = G, estimate = unname(coef(fa)[2]),
              se = sqrt(V[2, 2]), pvalue = 2 * pt(-abs(unname(tval)), G - 1),
              ci_lower = unname(coef(fa)[2] - qt(.975, G - 1) * sqrt(V[2, 2])),
              ci_upper = unname(coef(fa)[2] + qt(.975, G - 1) * sqrt(V[2, 2])),
              r2_two_informant = summary(fa)$r.squared,
              r2_one_informant = summary(fb)$r.squared,
              williams = williams(abs(rz["vc", "a"]), abs(rz["vc", "b"]),
                                  sa * sb * rz["a", "b"], G))

  cases[[k]] <- list(
    file = file,
    design = list(n_dyads = n_dyads[k], single_share = single[k], missing = missing[k],
                  distinguishable = distinct[k], actor = actor[k], partner = partner[k],
                  rho_residual = rho_res[k], rho_x = rho_x[k], coarse = coarse[k],
                  skew = skew[k]),
    n_rows = nrow(d), n_dyads = length(dy), n_single = nrow(d) - 2 * length(dy),
    n_dyads_both_x = sum(both_x), n_zero_asym = sum(rows$dyad_asym_abs[in_dyad & d$firm_role == "A"] == 0,
                                      na.rm = TRUE),
    rows = rows, perception = perception,
    icc_pairs = icc_pairs, icc_all = icc_all, icc_complete = icc_complete, role_correlation = roles_r, rwg = rwg,
    rwg_mean = mean(rwg$rwg_j, na.rm = TRUE),
    apim = apim, gls = gls_ref, n_apim = nrow(wide),
    informants = informants, h10 = h10)
}
write_json(list(generator = "tests/reference/dyadic_campaign/make_reference.R",
                versions = list(R = R.version.string,
                                lavaan = as.character(packageVersion("lavaan")),
                                nlme = as.character(packageVersion("nlme")),
                                sandwich = as.character(packageVersion("sandwich")),
                                psych = as.character(packageVersion("psych"))),
                cases = cases),
           file.path(out, "cases.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE,
           na = "null")
