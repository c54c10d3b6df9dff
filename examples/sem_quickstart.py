"""SEM quickstart: CFA, SEM with an indirect effect, invariance, resampling.

Run from the repository root:  .venv/bin/python examples/sem_quickstart.py
The same models in R are in tests/reference/sem_ml/make_sem_ml.R.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.sem import cfa, compile_model, measurement_invariance, sem

DATA = Path(__file__).resolve().parents[1] / "tests" / "reference" / "data"
hs = pd.read_csv(DATA / "HolzingerSwineford1939.csv")
pd_data = pd.read_csv(DATA / "PoliticalDemocracy.csv")

# 1. Confirmatory factor analysis            # In R: cfa(model, data = hs)
HS_MODEL = """
visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9
"""
fit = cfa(HS_MODEL, hs)
print(fit.summary())
print({k: round(fit.fit[k], 3) for k in ("chisq", "df", "cfi", "tli", "rmsea", "srmr")})
print(fit.modindices(min_value=10, sort=True).head())

# 2. Structural model with an indirect effect  # In R: sem(model, data = PoliticalDemocracy)
MEDIATION = """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60
dem65 ~ cp*ind60 + b*dem60
ab := a*b
"""
med = sem(MEDIATION, pd_data)
print(med.params.query("op == ':='")[["lhs", "est", "se", "ci_lower", "ci_upper"]])

# 3. Measurement invariance across schools   # In R: lavTestLRT(configural, metric, scalar)
print(measurement_invariance(HS_MODEL, hs, "school",
                             levels=("configural", "metric", "scalar")).round(3))

# 4. Compile once, refit many times (the bootstrap and power simulations do this)
compiled = compile_model(HS_MODEL, hs)
rng = np.random.default_rng(1)
draws = [compiled.fit(hs.iloc[rng.integers(0, len(hs), len(hs))]).x for _ in range(20)]
print("bootstrap SD of the free parameters:", np.std(draws, axis=0, ddof=1).round(3))
