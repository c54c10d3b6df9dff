"""Write the simulated items used by ``make_measurement_reference.R``.

Run from the repository root (before the R script)::

    PYTHONPATH=$PWD .venv/bin/python tests/reference/measurement/make_measurement_data.py
    Rscript tests/reference/measurement/make_measurement_reference.R

Simulates 500 single-informant respondents from ``analysis/study/population.yaml``
with the current instrument (2.0.0 when last run): ``simulate_study(n=500, dyads=0,
seed=4101, missing=0, careless=0)``.  Respondents flagged by
``analysis.study.scoring.score()`` are dropped, the reverse-keyed items are recoded
(``min + max - x``, i.e. ``8 - x``) and the items of info_sharing, joint_sensemaking,
knowledge_integration and trust are written in the instrument's item order (the order
of ``analysis.study.measurement.measurement_syntax``; the R script builds its syntax
from these column names).  Output:
``tests/reference/measurement/learning_trust_items.csv``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

OUT = Path(__file__).with_name("learning_trust_items.csv")
SCALES = ("info_sharing", "joint_sensemaking", "knowledge_integration", "trust")


def build():
    """The reverse-keyed item frame (a DataFrame of integer codes)."""
    from analysis.study.scoring import reverse_key, score
    from analysis.study.simulate import simulate_study
    from instruments.instrument.loader import load_instrument

    inst = load_instrument()
    data = simulate_study(500, dyads=0, seed=4101, missing=0.0, careless=0.0, instrument=inst)
    keep = ~score(data, inst)["exclude"].fillna(False).astype(bool).to_numpy()
    items = [it.id for s in SCALES for it in inst.scales[s].items]
    keyed = reverse_key(data, inst).reset_index(drop=True).loc[keep, items]
    return keyed.round().astype(int).reset_index(drop=True)


if __name__ == "__main__":
    frame = build()
    frame.to_csv(OUT, index=False)
    print(f"Wrote {OUT} ({len(frame)} rows, {frame.shape[1]} columns).")
