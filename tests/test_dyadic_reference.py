"""analysis.stats.dyadic against R (multilevel 2.7, lavaan 0.6.14, psych 2.2.9).

``tests/reference/dyadic/make_dyadic_reference.R`` computes ICC(1), ICC(2), r_wg(j),
the APIM and Williams' t on the committed simulated dyads (``dyads_sim.csv``, written by
``tests/reference/dyadic/make_dyads_sim.py`` from the current instrument and population).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.stats.dyadic import pair_dyads, rwg_j
from analysis.study.dyads import dyadic_analysis
from analysis.study.scoring import reverse_key, score
from analysis.study.simulate import read_data
from instruments.instrument.loader import load_instrument
from tests.parity import EST_ATOL, EST_RTOL, REFERENCE_DIR, assert_close, load_reference

REF = load_reference("dyadic/dyads_sim.json")
ICC_ATOL = 1e-10  # closed-form ANOVA statistics: agree to rounding


@pytest.fixture(scope="module")
def inst():
    return load_instrument()


@pytest.fixture(scope="module")
def data():
    return read_data(REFERENCE_DIR / "dyadic" / "dyads_sim.csv")


@pytest.fixture(scope="module")
def scored(data, inst):
    return score(data, inst)


@pytest.fixture(scope="module")
def out(data, scored, inst):
    return dyadic_analysis(data, scored, inst)


def test_same_exclusions_as_the_r_script(scored, data):
    listed = pd.read_csv(REFERENCE_DIR / "dyadic" / "dyads_sim_excluded.csv")["respondent_id"]
    ours = data.loc[scored["exclude"].to_numpy(), "respondent_id"]
    assert sorted(ours.astype(str)) == sorted(listed.astype(str))


def test_dyad_count(out):
    assert out["n_dyads"] == REF["n_dyads"]


def test_icc_matches_multilevel(out):
    scales = list(REF["agreement"])
    ours = [[out["agreement"][s]["icc1"], out["agreement"][s]["icc2"]] for s in scales]
    ref = [[REF["agreement"][s]["icc1"], REF["agreement"][s]["icc2"]] for s in scales]
    assert_close(ours, ref, atol=ICC_ATOL, what="ICC(1), ICC(2)")


def test_rwg_j_mean_matches_multilevel(out):
    scales = list(REF["agreement"])
    assert_close([out["agreement"][s]["rwg_j_mean"] for s in scales],
                 [REF["agreement"][s]["rwg_j_mean"] for s in scales], atol=ICC_ATOL,
                 what="mean r_wg(j)")


@pytest.mark.parametrize("scale", ["info_sharing", "trust", "marker"])
def test_rwg_j_per_dyad_matches_multilevel(data, scored, inst, scale):
    items = reverse_key(data, inst)[~scored["exclude"].to_numpy()]
    pairs = pair_dyads(items)
    ours = rwg_j(pairs[inst.scale_items()[scale]], pairs["alliance_id"]).set_index("group")
    ref = REF["agreement"][scale]
    assert list(ours.index.astype(str)) == list(map(str, ref["rwg_j_group"]))
    assert_close(ours["rwg_j"], ref["rwg_j"], atol=ICC_ATOL, what=f"r_wg(j) of {scale}")


def test_apim_matches_lavaan(out):
    model = out["apim"][0]
    assert (model["predictor"], model["outcome"]) == ("relationship_learning", "value_creation")
    ref = pd.DataFrame(REF["apim"]).set_index("label")
    ours = pd.DataFrame(model["effects"]).T.loc[ref.index]
    for col in ("est", "se", "std_all"):
        assert_close(ours[col], ref[col], atol=EST_ATOL, rtol=EST_RTOL, what=f"APIM {col}")
    assert_close(ours["pvalue"], ref["pvalue"], atol=EST_ATOL, what="APIM p-values")
    assert_close([model["r2"]["value_creation_A"], model["r2"]["value_creation_B"]],
                 [REF["apim_r2"]["value_creation_A"], REF["apim_r2"]["value_creation_B"]],
                 atol=EST_ATOL, what="APIM R2")


def test_h10_matches_psych_r_test(out):
    h10 = out["h10"]
    assert_close([h10["models"]["two_informants"]["beta"], h10["models"]["informant_A"]["beta"]],
                 [REF["h10"]["r_two"], REF["h10"]["r_A"]], atol=1e-10, what="H10 correlations")
    cmp = h10["comparisons"]["two_vs_A"]
    assert_close([cmp["t"], cmp["pvalue"]], [REF["h10"]["t"], REF["h10"]["pvalue"]],
                 atol=1e-8, what="Williams' t (psych::r.test)")
    assert np.isclose(cmp["delta_beta"], REF["h10"]["r_two"] - REF["h10"]["r_A"], atol=1e-10)
