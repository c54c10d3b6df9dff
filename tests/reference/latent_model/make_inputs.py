"""Write the inputs of make_reference.R: the latent models' syntax and their data.

Run from the repository root::

    python tests/reference/latent_model/make_inputs.py

The study's latent model (analysis/study/hypotheses.yaml) and the small declaration
beside this file, built by analysis.study.latent_model from the instrument, and the
demo data's retained respondents as the models see them (reverse-keyed items, scale
scores, alliance ids).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.study.hypotheses import load_hypotheses, prepare_scores
from analysis.study.latent_model import latent_model_frame, latent_model_spec
from analysis.study.scoring import reverse_key
from instruments.instrument.loader import load_instrument

HERE = Path(__file__).parent
DEMO = Path("data/demo/alliance_demo.csv")


def main() -> None:
    inst = load_instrument()
    data = pd.read_csv(DEMO)
    for name, path in (("demo", None), ("small", HERE / "small_hypotheses.yaml")):
        hs = load_hypotheses(path)
        spec = latent_model_spec(hs, inst)
        (HERE / f"model_{name}.lav").write_text(spec.syntax)
        if name == "demo":
            d, _excl, full = prepare_scores(data, None, hs, inst)
            keep = ~full["exclude"].fillna(False).astype(bool).to_numpy()
            keyed = reverse_key(data, inst).reset_index(drop=True).loc[keep] \
                .reset_index(drop=True)
            frame = latent_model_frame(spec, keyed, d, cluster=d["alliance_id"])
            frame.to_csv(HERE / "demo_latent.csv", index=False, na_rep="",
                         float_format="%.17g")


if __name__ == "__main__":
    main()
