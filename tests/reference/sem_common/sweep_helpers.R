# Shared by the lavaan sweeps' fixture writers (tests/reference/sem_sweep10 and
# sem_sweep11 make_reference.R): each sets `out` (its folder) and `ddir` (its data folder)
# and then sources this file.  A case's JSON holds the call, lavaan's warnings and
# convergence, parameterEstimates(), standardizedSolution(), fitMeasures(), residuals() of
# three types per group and modindices(); with options(sweep.extras = TRUE) (sweep 11 on)
# also lavInspect(fit, "r2") and the warnings modindices() gave.
catching <- function(expr) {
  warns <- character()
  val <- tryCatch(withCallingHandlers(expr, warning = function(w) {
    warns <<- c(warns, conditionMessage(w))
    invokeRestart("muffleWarning")
  }), error = function(e) e)
  list(value = val, warnings = warns)
}

rows_of <- function(m) lapply(seq_len(nrow(m)), function(i) as.numeric(m[i, ]))

group_list <- function(x, fit) {
  if (lavInspect(fit, "ngroups") == 1L) x <- list(x)
  lapply(x, function(r) {
    out <- list(names = rownames(r$cov), cov = rows_of(unclass(r$cov)))
    if (!is.null(r$mean)) out$mean <- as.list(r$mean)
    if (!is.null(r$th)) out$th <- as.list(r$th)
    out
  })
}

resid_of <- function(fit, type) {
  r <- catching(residuals(fit, type = type))
  if (inherits(r$value, "error")) return(list(error = conditionMessage(r$value)))
  list(groups = group_list(r$value, fit), warnings = r$warnings)
}

fit_record <- function(fit, extras = getOption("sweep.extras", FALSE)) {
  pe <- parameterEstimates(fit, ci = FALSE)
  if (is.null(pe$group)) pe$group <- ifelse(pe$op %in% c(":=", "==", "<", ">"), 0L, 1L)
  ok <- lavInspect(fit, "converged")
  res <- list(converged = ok, nobs = as.list(lavInspect(fit, "nobs")),
              params = pe[, c("lhs", "op", "rhs", "group", "est", "se")])
  if (ok) {
    ss <- standardizedSolution(fit, type = "std.all", zstat = FALSE, pvalue = FALSE, ci = FALSE)
    if (is.null(ss$group)) ss$group <- ifelse(ss$op %in% c(":=", "==", "<", ">"), 0L, 1L)
    res$std <- ss[, c("lhs", "op", "rhs", "group", "est.std", "se")]
    res$fit <- as.list(fitMeasures(fit))
    if (extras) {
      r2 <- lavInspect(fit, "r2")
      if (!is.list(r2)) r2 <- list(r2)
      res$r2 <- lapply(r2, as.list)
    }
    res$resid_raw <- resid_of(fit, "raw")
    res$resid_standardized <- resid_of(fit, "standardized")
    res$resid_normalized <- resid_of(fit, "normalized")
    mi <- catching(modindices(fit))
    if (inherits(mi$value, "error")) {
      res$modindices_error <- conditionMessage(mi$value)
    } else {
      m <- as.data.frame(mi$value)
      if (is.null(m$group)) m$group <- rep(1L, nrow(m))
      res$modindices <- m[, c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.all")]
      if (extras) res$modindices_warnings <- mi$warnings
    }
  }
  res
}

read_data <- function(file) {
  if (grepl("\\.gz$", file)) read.csv(gzfile(file.path(ddir, file))) else read.csv(file.path(ddir, file))
}

write_json_case <- function(name, res) {
  writeLines(toJSON(res, dataframe = "columns", digits = NA, na = "null", auto_unbox = TRUE,
                    null = "null", matrix = "rowmajor"),
             file.path(out, paste0(name, ".json")))
  cat(name, if (is.null(res$error)) res$converged else res$error, "\n")
}

record <- function(name, spec, f, drawn = NULL) {
  res <- c(list(kind = "fit", lavaan_version = as.character(packageVersion("lavaan"))),
           spec, list(drawn = drawn, warnings = f$warnings))
  if (inherits(f$value, "error")) {
    res$error <- conditionMessage(f$value)
  } else {
    w <- catching(fit_record(f$value))
    if (inherits(w$value, "error")) stop(name, ": ", conditionMessage(w$value))
    res <- c(res, w$value)
    res$record_warnings <- w$warnings
  }
  write_json_case(name, res)
  invisible(isTRUE(res$converged))
}

export_fit <- function(name, fun, data, model, options = list(), drawn = NULL) {
  spec <- list(fun = fun, data = data, model = model, options = options)
  f <- catching(do.call(fun, c(list(model = model, data = read_data(data)), options)))
  record(name, spec, f, drawn)
}

# a fit from a covariance (correlation) matrix: cov_file holds it with the variable names
# as the header; sample.nobs in the call
export_cov <- function(name, fun, cov_file, nobs, model, options = list()) {
  S <- as.matrix(read.csv(file.path(ddir, cov_file), check.names = FALSE))
  rownames(S) <- colnames(S)
  spec <- list(fun = fun, cov = cov_file, sample_nobs = nobs, model = model, options = options)
  f <- catching(do.call(fun, c(list(model = model, sample.cov = S, sample.nobs = nobs), options)))
  record(name, spec, f)
}

write_gz <- function(dat, file) {
  con <- gzfile(file.path(ddir, file), "w")
  write.csv(dat, con, row.names = FALSE, na = "")
  close(con)
}
