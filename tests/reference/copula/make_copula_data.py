"""Data for the Gaussian-copula tests: copula_data.csv beside this file.

``x`` is gamma distributed (clearly non-normal) and linked to the error of ``y`` by a
Gaussian copula with correlation .5 (endogenous); ``w`` is an exogenous control.
``xn`` is normal and exogenous, ``yn = 1 + .4 xn + .3 w + e``: the check does not apply.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

rng = np.random.default_rng(20261205)
n = 600
xi, eps = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=n).T
x = stats.gamma.ppf(stats.norm.cdf(xi), a=2.0)
w = rng.normal(size=n)
y = 1 + 0.5 * x + 0.3 * w + eps
xn = rng.normal(size=n)
yn = 1 + 0.4 * xn + 0.3 * w + rng.normal(size=n)
pd.DataFrame({"y": y, "x": x, "w": w, "yn": yn, "xn": xn}).round(6).to_csv(
    Path(__file__).with_name("copula_data.csv"), index=False)
