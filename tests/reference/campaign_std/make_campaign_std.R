# Standardized solutions (std.all) and R-squared of the parity campaign's fits.
#
# Run from the repository root, after tests/reference/campaign/make_campaign.R:
#   Rscript tests/reference/campaign_std/make_campaign_std.R
# Made with R 4.2.2 and lavaan 0.6.14.  Refits, with the same call as make_campaign.R, every
# campaign case that lavaan fitted in under 10 s and that converged (the data are the
# committed tests/reference/campaign/data/case_NNN.csv.gz), and writes
# tests/reference/campaign_std/std.csv.gz: id, lhs, op, rhs, group, std_all and se
# (lavaan's standardizedSolution(type = "std.all") without defined parameters: the value
# and its delta-method SE) and, with op "r2", lavInspect(fit, "rsquare") of every
# endogenous variable (se NA); and tests/reference/campaign_std/mi.csv.gz: modindices()
# (mi, epc, sepc.all) of the ML and MLR fits to complete data (listwise).
suppressMessages(library(lavaan))
IN <- "tests/reference/campaign"
OUT <- "tests/reference/campaign_std"
cases <- read.csv(file.path(IN, "cases.csv"), stringsAsFactors = FALSE)
fits <- read.csv(file.path(IN, "fits.csv"), stringsAsFactors = FALSE)
fits <- fits[fits$converged %in% TRUE & fits$wall < 10, ]
rows <- list()
mrows <- list()
for (i in seq_len(nrow(fits))) {
  f <- fits[i, ]
  cs <- cases[cases$id == f$id, ]
  dat <- read.csv(gzfile(file.path(IN, "data", cs$file)))
  ord <- if (nzchar(cs$ordered) && !is.na(cs$ordered)) strsplit(cs$ordered, ",")[[1]] else NULL
  geq <- if (!is.na(cs$group_equal) && nzchar(cs$group_equal)) strsplit(cs$group_equal, ",")[[1]] else ""
  fit <- suppressWarnings(
    if (cs$ngroups > 1) {
      lavaan::sem(cs$model, data = dat, estimator = f$estimator, missing = f$missing,
                  ordered = ord, group = "g", group.equal = geq)
    } else {
      lavaan::sem(cs$model, data = dat, estimator = f$estimator, missing = f$missing,
                  ordered = ord)
    })
  if (!lavInspect(fit, "converged")) next
  ss <- standardizedSolution(fit, type = "std.all", se = TRUE, zstat = FALSE,
                             pvalue = FALSE, ci = FALSE)
  ss <- ss[!ss$op %in% c(":=", "==", "<", ">"), ]
  grp <- if (is.null(ss$group)) rep(1L, nrow(ss)) else ss$group
  rows[[length(rows) + 1]] <- data.frame(id = f$id, lhs = ss$lhs, op = ss$op, rhs = ss$rhs,
                                         group = grp, std_all = ss$est.std, se = ss$se)
  r2 <- lavInspect(fit, "rsquare")
  if (!is.list(r2)) r2 <- list(r2)
  for (g in seq_along(r2)) {
    rows[[length(rows) + 1]] <- data.frame(id = f$id, lhs = names(r2[[g]]), op = "r2",
                                           rhs = "", group = g, std_all = unname(r2[[g]]),
                                           se = NA)
  }
  if (f$missing == "listwise" && f$estimator %in% c("ML", "MLR")) {
    mi <- modindices(fit)
    mgrp <- if (is.null(mi$group)) rep(1L, nrow(mi)) else mi$group
    mrows[[length(mrows) + 1]] <- data.frame(id = f$id, lhs = mi$lhs, op = mi$op, rhs = mi$rhs,
                                             group = mgrp, mi = mi$mi, epc = mi$epc,
                                             sepc_all = mi$sepc.all)
  }
}
out <- do.call(rbind, rows)
con <- gzfile(file.path(OUT, "std.csv.gz"), "w")
write.csv(out, con, row.names = FALSE)
close(con)
mout <- do.call(rbind, mrows)
con <- gzfile(file.path(OUT, "mi.csv.gz"), "w")
write.csv(mout, con, row.names = FALSE)
close(con)
cat(length(unique(out$id)), "cases,", nrow(out), "rows;", length(unique(mout$id)),
    "cases with modification indices,", nrow(mout), "rows\n")
