# Models fitted from sample moments (lavaan's sample.cov / sample.mean / sample.nobs),
# the reference of tests/sem/test_moments.py.
#
# Run from the repository root:
#   Rscript tests/reference/sem_moments/make_reference.R
# Versions used: R 4.2.2, lavaan 0.6.14, jsonlite (Debian bookworm).
#
# Each case writes the moments it was given (covariance matrices as given to lavaan, with
# N - 1 divisor; means where given) and lavaan's estimates, SEs, std.all and fit measures.
suppressMessages({library(lavaan); library(jsonlite)})
out <- "tests/reference/sem_moments"

mat <- function(m) list(names = colnames(m), values = unname(as.matrix(m)))
KEYS <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
          "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "logl", "unrestricted.logl",
          "aic", "bic", "gfi", "nfi", "rmr")
one <- function(name, model, covs, nobs, means = NULL, ...) {
  args <- list(model = model, sample.cov = covs, sample.nobs = nobs, ...)
  if (!is.null(means)) args$sample.mean <- means
  fit <- do.call("sem", args)
  pe <- parameterEstimates(fit, ci = FALSE, standardized = TRUE)
  fm <- fitMeasures(fit)
  res <- list(name = name, model = model, nobs = nobs,
              cov = if (is.list(covs) && !is.matrix(covs)) lapply(covs, mat) else list(mat(covs)),
              mean = if (is.null(means)) NULL else
                if (is.list(means)) lapply(means, function(m) list(names = names(m), values = unname(m)))
                else list(list(names = names(means), values = unname(means))),
              options = list(...),
              converged = lavInspect(fit, "converged"),
              fit = as.list(fm[intersect(KEYS, names(fm))]),
              estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                               group = if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group,
                               est = pe$est, se = pe$se, std_all = pe$std.all))
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null"),
             file.path(out, paste0(name, ".json")))
}

# lavaan's tutorial example (Wheaton et al. 1977), a lower triangle
lower <- '
 11.834
  6.947   9.364
  6.819   5.091  12.532
  4.783   5.028   7.495   9.986
 -3.839  -3.889  -3.841  -3.625  9.610
-21.899 -18.831 -21.748 -18.775 35.522 450.288 '
wheaton.cov <- getCov(lower, names = c("anomia67", "powerless67", "anomia71",
                                       "powerless71", "education", "sei"))
one("wheaton", '
  ses     =~ education + sei
  alien67 =~ anomia67 + powerless67
  alien71 =~ anomia71 + powerless71
  alien71 ~ alien67 + ses
  alien67 ~ ses
  anomia67 ~~ anomia71
  powerless67 ~~ powerless71', wheaton.cov, 932)

# datasets::ability.cov (Smith & Stanley 1983), N = 112
one("ability", 'verbal =~ general + reading + vocab
  spatial =~ picture + blocks + maze', ability.cov$cov, ability.cov$n.obs)

# datasets::Harman74.cor: a correlation matrix analysed as a covariance matrix
h <- Harman74.cor$cov
one("harman74", 'spatial =~ VisualPerception + Cubes + PaperFormBoard + Flags
  verbal =~ GeneralInformation + PargraphComprehension + SentenceCompletion + WordClassification + WordMeaning
  speed =~ Addition + Code + CountingDots + StraightCurvedCapitals', h, Harman74.cor$n.obs)

# PoliticalDemocracy's covariance matrix with labelled paths and an indirect effect
pd <- PoliticalDemocracy
one("politicaldemocracy", '
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + a*y2 + b*y3 + c*y4
  dem65 =~ y5 + a*y6 + b*y7 + c*y8
  dem60 ~ p1*ind60
  dem65 ~ p2*ind60 + p3*dem60
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8
  ind := p1*p3', cov(pd), nrow(pd))

# HolzingerSwineford1939 by school: covariance matrices and means, equal loadings and
# intercepts, std.lv
hs <- HolzingerSwineford1939
v <- paste0("x", 1:9)
sch <- split(hs[v], hs$school)
one("hs_groups", 'visual =~ x1 + x2 + x3
  textual =~ x4 + x5 + x6
  speed =~ x7 + x8 + x9', lapply(sch, cov), sapply(sch, nrow),
  means = lapply(sch, colMeans), group.equal = c("loadings", "intercepts"))
# the same with means in one group, a mean structure and std.lv
one("hs_means", 'visual =~ x1 + x2 + x3
  textual =~ x4 + x5 + x6
  speed =~ x7 + x8 + x9', cov(hs[v]), nrow(hs), means = colMeans(hs[v]), std.lv = TRUE)
