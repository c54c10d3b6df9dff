"""Two groups, one factor, five items; in group "b" item x3's intercept is shifted and
item x5's loading is smaller, so scalar (and perhaps metric) invariance fails and partial
invariance has to free exactly those parameters.  Writes partial_items.csv beside it."""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261205)
rows = []
for g, n, shift, lam5 in (("a", 350, 0.0, 0.8), ("b", 350, 0.9, 0.35)):
    f = rng.normal(0.2 if g == "b" else 0.0, 1.0, n)
    lam = np.array([0.8, 0.7, 0.75, 0.7, lam5])
    nu = np.array([4.0, 4.1, 3.9 + shift, 4.2, 4.0])
    x = nu + f[:, None] * lam + rng.normal(0, 0.6, (n, 5))
    frame = pd.DataFrame(np.round(x, 3), columns=[f"x{i}" for i in range(1, 6)])
    frame.insert(0, "g", g)
    rows.append(frame)
pd.concat(rows, ignore_index=True).to_csv(Path(__file__).with_name("partial_items.csv"),
                                          index=False)
