# Exports the classic lavaan example datasets used by the reference tests.
# Run from the repository root:  Rscript tests/reference/data/export_lavaan_data.R
# Versions used: R 4.2.2, lavaan 0.6.14 (Debian bookworm r-cran-lavaan).
library(lavaan)
out <- "tests/reference/data"
write.csv(HolzingerSwineford1939, file.path(out, "HolzingerSwineford1939.csv"), row.names = FALSE, na = "")
write.csv(PoliticalDemocracy, file.path(out, "PoliticalDemocracy.csv"), row.names = FALSE, na = "")
