"""Latent interaction by double-mean-centred product indicators.

Run from the repository root:  .venv/bin/python examples/latent_interaction.py
The same models in R (semTools::indProd + lavaan::sem) are in
tests/reference/latent_interaction/make_reference.R.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.stats.latent_interaction import latent_interaction
from analysis.study.hypotheses import test_hypotheses

ROOT = Path(__file__).resolve().parents[1]

# 1. visual x textual -> speed on Holzinger-Swineford (matched pairs in the given order)
# In R: d <- semTools::indProd(hs, c("x1","x2","x3"), c("x4","x5","x6"), match = TRUE,
#                              meanC = TRUE, doubleMC = TRUE); lavaan::sem(model, d, estimator = "MLR")
hs = pd.read_csv(ROOT / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv")
res = latent_interaction(hs, ["x1", "x2", "x3"], ["x4", "x5", "x6"], ["x7", "x8", "x9"],
                         controls=["ageyr"], match="order")
print(res.to_frame())
print("standardised interaction (Wen et al. 2010):", round(res.std_interaction, 3))
print(res.syntax)

# 2. The moderation hypotheses of the demo study: regression verdict and latent alternative
demo = pd.read_csv(ROOT / "data" / "demo" / "alliance_demo.csv")
table = test_hypotheses(demo, bootstrap=200)
for row in table[table["method"].isin(["moderation", "latent_moderation"])].itertuples():
    lat = row.latent_interaction
    print(row.id, row.verdict, f"regression b = {row.estimate:.3f} (p = {row.pvalue:.3g});",
          f"latent b = {lat['estimate']:.3f} (p = {lat['pvalue']:.3g})"
          if lat and lat["available"] else f"latent: {lat}")
