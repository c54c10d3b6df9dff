"""Shared reference cases of the FIML / MLR parity tests (lavaan 0.6.14).

The JSON files and data sets are made by tests/reference/sem_fiml/make_reference.R.
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pandas as pd

from tests.parity import REFERENCE_DIR, load_reference

HS = """visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"""

PD = """ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8"""

PD_X = """dem60 =~ y1 + y2 + y3 + y4
dem60 ~ x1 + x2"""

CASES = {
    "hs_mcar10_ml": ("sem_fiml/hs_mcar10_ml.json", "sem_fiml/hs_mcar10.csv", HS,
                     {"missing": "ml"}),
    "hs_mcar10_mlr": ("sem_fiml/hs_mcar10_mlr.json", "sem_fiml/hs_mcar10.csv", HS,
                      {"missing": "ml", "estimator": "MLR"}),
    "poldem_mar_ml": ("sem_fiml/poldem_mar_ml.json", "sem_fiml/poldem_mar.csv", PD,
                      {"missing": "ml"}),
    "poldem_mar_mlr": ("sem_fiml/poldem_mar_mlr.json", "sem_fiml/poldem_mar.csv", PD,
                       {"missing": "ml", "estimator": "MLR"}),
    "poldem_xmiss_mlr": ("sem_fiml/poldem_xmiss_mlr.json", "sem_fiml/poldem_mar_xmiss.csv",
                         PD_X, {"missing": "ml", "estimator": "MLR"}),
    "hs_mcar10_mlr_school": ("sem_fiml/hs_mcar10_mlr_school.json", "sem_fiml/hs_mcar10.csv",
                             HS, {"missing": "ml", "estimator": "MLR", "group": "school"}),
    "poldem_fixedx_mlr": ("sem_mlr/poldem_fixedx_mlr.json", "data/PoliticalDemocracy.csv",
                          PD_X, {"estimator": "MLR"}),
    "hs_cfa_mlr": ("sem_mlr/hs_cfa_mlr.json", "data/HolzingerSwineford1939.csv", HS,
                   {"estimator": "MLR"}),
    "poldem_sem_mlr": ("sem_mlr/poldem_sem_mlr.json", "data/PoliticalDemocracy.csv", PD,
                       {"estimator": "MLR"}),
    "hs_cfa_mlr_school": ("sem_mlr/hs_cfa_mlr_school.json", "data/HolzingerSwineford1939.csv",
                          HS, {"estimator": "MLR", "group": "school"}),
}

# lavaan fitMeasures computed by this backend (the rest are the generic ones of fit.py)
FIT_KEYS = [
    "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli", "rmsea",
    "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr",
    "chisq.scaled", "chisq.scaling.factor", "pvalue.scaled", "baseline.chisq.scaled",
    "baseline.chisq.scaling.factor", "cfi.scaled", "tli.scaled", "rmsea.scaled",
    "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "rmsea.pvalue.scaled",
    "cfi.robust", "tli.robust", "rni.robust", "rmsea.robust", "rmsea.ci.lower.robust",
    "rmsea.ci.upper.robust", "rmsea.pvalue.robust", "nfi.scaled", "rfi.scaled",
    "ifi.scaled", "rni.scaled", "pnfi.scaled",
]
CHISQ_KEYS = {"chisq", "chisq.scaled", "baseline.chisq", "baseline.chisq.scaled"}
LIK_KEYS = ["logl", "unrestricted.logl", "aic", "bic", "bic2"]


@cache
def fitted(name: str):
    """Fit a reference case once per test session: (result, lavaan reference)."""
    from analysis.sem import sem

    ref_path, data_path, model, kwargs = CASES[name]
    ref = load_reference(ref_path)
    data = pd.read_csv(REFERENCE_DIR / data_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = sem(model, data, **kwargs)
    return res, ref


def merged_estimates(res, ref) -> pd.DataFrame:
    """Our free-parameter estimates next to lavaan's (columns ``est, se, est_r, se_r``)."""
    ours = res.params
    theirs = pd.DataFrame(ref["estimates"])
    theirs["group"] = theirs["group"].astype(int)
    pt = pd.DataFrame(ref["partable"])
    free = pt[pt["free"] > 0][["lhs", "op", "rhs", "group"]]
    free = free.assign(group=free["group"].astype(int))
    theirs = theirs.merge(free, on=["lhs", "op", "rhs", "group"])
    out = theirs.merge(ours, on=["lhs", "op", "rhs", "group"], suffixes=("_r", ""))
    assert len(out) == len(free) == int(np.sum(pt["free"] > 0)), "parameter rows differ"
    return out
