"""Write the simulated dyads used by ``make_dyadic_reference.R``.

Run from the repository root (before the R script)::

    PYTHONPATH=. .venv/bin/python tests/reference/dyadic/make_dyads_sim.py
    Rscript tests/reference/dyadic/make_dyadic_reference.R

Simulates 300 respondents, 120 of them in complete dyads, from the current
instrument and ``analysis/study/population.yaml``
(``simulate_study(n=300, dyads=120, seed=4102, missing=0, careless=0)``) and
writes, into ``tests/reference/dyadic/``:

* ``dyads_sim.csv``: the data, as :func:`analysis.study.simulate.write_data` writes it;
* ``dyads_sim_excluded.csv``: the respondents flagged by
  :func:`analysis.study.scoring.score` (the R script drops them, as the package does);
* ``dyads_sim_scales.json``: each scale's items, response range and the
  reverse-keyed items, taken from the instrument
  (``instruments.instrument.loader.load_instrument()``), so that the R script
  hard-codes no item names.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

DIR = Path(__file__).parent
DATA = DIR / "dyads_sim.csv"
EXCLUDED = DIR / "dyads_sim_excluded.csv"
SCALES = DIR / "dyads_sim_scales.json"


def build():
    """(data, excluded respondent ids, scale description) of the reference sample."""
    import pandas as pd

    from analysis.study.scoring import _item_bounds, score
    from analysis.study.simulate import simulate_study
    from instruments.instrument.loader import load_instrument

    inst = load_instrument()
    data = simulate_study(n=300, dyads=120, seed=4102, missing=0.0, careless=0.0,
                          instrument=inst)
    scored = score(data, inst)
    excluded = pd.DataFrame(
        {"respondent_id": data.loc[scored["exclude"].fillna(False).astype(bool).to_numpy(),
                                   "respondent_id"].astype(str).to_list()})
    reverse = set(inst.reverse_items())
    scales = {}
    for scale, items in inst.scale_items().items():
        lo, hi = _item_bounds(inst.scales[scale])
        scales[scale] = {"items": list(items), "min": lo, "max": hi,
                         "reversed": [i for i in items if i in reverse]}
    meta = {"instrument_version": str(inst.version), "scales": scales}
    return data, excluded, meta


if __name__ == "__main__":
    from analysis.study.simulate import write_data

    data, excluded, meta = build()
    write_data(data, DATA, instrument=None)
    excluded.to_csv(EXCLUDED, index=False)
    SCALES.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"Wrote {DATA} ({len(data)} rows), {EXCLUDED} ({len(excluded)} excluded), {SCALES}.")
