"""Write the simulated alliance sample used by ``make_reference.R``.

Run from the repository root (before the R script)::

    PYTHONPATH=. .venv/bin/python tests/reference/latent_interaction/make_alliance_sample.py
    Rscript tests/reference/latent_interaction/make_reference.R

Simulates 300 respondents from ``analysis/study/population.yaml`` (seed 4, 2 % MCAR
missing item answers, no careless respondents), scores them and writes the
indicators that the moderation hypotheses H5 and H7 give to the latent
interaction model (:func:`analysis.study.hypotheses.latent_indicators`): the
learning dimensions as parcels, the reverse-keyed items of
``specific_investments``, ``value_creation`` and ``value_appropriation``, the
mirror-item differences ``asym_signed_1..5``, and the controls ``jd_sum``,
``alliance_age`` and ``firm_size``.  Output:
``tests/reference/latent_interaction/alliance_sample.csv``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

OUT = Path(__file__).with_name("alliance_sample.csv")


def build():
    """The indicator frame (a DataFrame)."""
    import pandas as pd

    from analysis.study.hypotheses import latent_indicators, load_hypotheses, prepare_scores
    from analysis.study.scoring import reverse_key, score
    from analysis.study.simulate import simulate_study
    from instruments.instrument.loader import load_instrument

    inst = load_instrument()
    hs = load_hypotheses()
    data = simulate_study(300, seed=4, missing=0.02, careless=0.0, instrument=inst)
    d, _, full = prepare_scores(data, score(data, inst), hs, inst)
    keep = ~full["exclude"].fillna(False).astype(bool).to_numpy()
    keyed = reverse_key(data, inst).reset_index(drop=True).loc[keep].reset_index(drop=True)
    blocks = [latent_indicators(v, keyed, d, inst, dict(hs.composites))
              for v in ("learning", "specific_investments", "value_creation",
                        "value_appropriation", "asym_signed")]
    controls = d[["jd_sum", "alliance_age", "firm_size"]].apply(pd.to_numeric, errors="coerce")
    return pd.concat([*blocks, controls], axis=1)


if __name__ == "__main__":
    frame = build()
    frame.to_csv(OUT, index=False, float_format="%.17g")
    print(f"Wrote {OUT} ({len(frame)} rows, {frame.shape[1]} columns).")
