"""Tests of the simulated study (analysis/study/simulate.py, analysis/study/population.yaml)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import DataError, ModelSpecificationError
from analysis.study.scoring import score_scales
from analysis.study.simulate import (
    load_population,
    read_data,
    simulate_study,
    simulate_study_with_truth,
    write_data,
)
from instruments.instrument.loader import load_instrument

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "data" / "demo"


@pytest.fixture(scope="module")
def inst():
    return load_instrument()


@pytest.fixture(scope="module")
def dyad_study(inst):
    return simulate_study_with_truth(3000, dyads=1200, seed=11, careless=0.0, instrument=inst)


def test_same_seed_identical_different_seed_differs(inst):
    a = simulate_study(300, dyads=50, seed=5, missing=0.1, instrument=inst)
    b = simulate_study(300, dyads=50, seed=5, missing=0.1, instrument=inst)
    c = simulate_study(300, dyads=50, seed=6, missing=0.1, instrument=inst)
    pd.testing.assert_frame_equal(a, b)
    items = [i for items in inst.scale_items().values() for i in items]
    assert not a[items].equals(c[items])
    assert not np.allclose(a["duration_sec"], c["duration_sec"])


def test_layout_matches_codebook_and_validates(inst):
    df = simulate_study(200, dyads=20, seed=1, missing=0.05, instrument=inst)
    assert list(df.columns) == inst.variables()["variable"].tolist()
    inst.validate_data(df)  # raises DataError on a bad column or code
    assert df["respondent_id"].is_unique
    assert set(df["firm_role"]) == {"A", "B"}
    assert (df["duration_sec"] > df[inst.page_time_columns()].sum(axis=1)).all()
    # screening: only knowledgeable informants produce data
    assert df["informant_knowledge"].min() >= inst.screening.screen_out_below


def test_reverse_keyed_items_are_generated_reversed(inst):
    df = simulate_study(3000, seed=2, careless=0.0, instrument=inst)
    checked = 0
    for sid, scale in inst.scales.items():
        rev = [it.id for it in scale.items if it.reverse]
        fwd = [it.id for it in scale.items if not it.reverse]
        for r in rev:
            corr = df[fwd].corrwith(df[r])
            assert (corr < -0.2).all(), (sid, r, corr.round(2).to_dict())
            checked += 1
    assert checked == len(inst.reverse_items()) > 0


def test_dyads_are_pairs_answering_about_each_other(inst, dyad_study):
    df, truth = dyad_study.data, dyad_study.truth
    pairs = df.iloc[: 2 * 1200]
    assert (pairs["firm_role"].to_numpy()[0::2] == "A").all()
    assert (pairs["firm_role"].to_numpy()[1::2] == "B").all()
    assert (pairs["alliance_id"].to_numpy()[0::2] == pairs["alliance_id"].to_numpy()[1::2]).all()
    singles = df.iloc[2 * 1200 :]
    assert (singles["firm_role"] == "A").all() and singles["alliance_id"].is_unique
    a, b = pairs.iloc[0::2].reset_index(drop=True), pairs.iloc[1::2].reset_index(drop=True)
    # alliance-level questions agree; firm sizes are mirrored; roles are complementary
    for q in ("alliance_phase", "governance_form", "alliance_age", "n_partners", "prior_ties"):
        assert (a[q] == b[q]).all(), q
    assert (a["firm_size"] == b["partner_size"]).all()
    assert ((a["our_role"] == 1) == (b["our_role"] == 2)).all()
    # true dependences are swapped between the two firms
    ta, tb = truth.iloc[0:2400:2], truth.iloc[1:2400:2]
    assert np.array_equal(ta["dep_own"].to_numpy(), tb["dep_partner"].to_numpy())
    # A's self-reported dependence is what B perceives, with error
    sa, sb = score_scales(a, inst), score_scales(b, inst)
    r_dep = np.corrcoef(sa["dep_own"], sb["dep_partner"])[0, 1]
    assert 0.4 < r_dep < 0.9
    # shared alliance-level parts: reports correlate (ICC-like .2-.6)
    for scale in ("info_sharing", "knowledge_integration", "value_creation"):
        r = np.corrcoef(sa[scale], sb[scale])[0, 1]
        assert 0.2 < r < 0.6, (scale, r)
    # singles do not correlate with an arbitrary other single
    ss = score_scales(singles, inst)["value_creation"].to_numpy()
    assert abs(np.corrcoef(ss[0::2][:300], ss[1::2][:300])[0, 1]) < 0.15


@pytest.mark.parametrize("mechanism", ["MCAR", "MAR"])
def test_missing_rate_and_mechanism(inst, mechanism):
    df = simulate_study(
        4000, seed=3, missing=0.2, missing_mechanism=mechanism, careless=0.0, instrument=inst
    )
    # the sustainability block is shown only to alliances with such an aim: empty by design
    block = inst.scale_items()["sustainability_innovation"]
    no_aim = df["sustainability_focus"] == 1
    assert df.loc[no_aim, block].isna().all().all()
    assert df.loc[no_aim, "page_time_sustainability"].eq(0).all()
    items = [i for items in inst.scale_items().values() for i in items if i not in block]
    rate = df[items].isna().to_numpy().mean()
    assert abs(rate - 0.2) < 0.01
    rate_block = df.loc[~no_aim, block].isna().to_numpy().mean()
    assert abs(rate_block - 0.2) < 0.02
    others = [c for c in df.columns if c not in items + block and c != "comment"]
    assert not df[others].isna().any().any()
    row_rate = df[items].isna().mean(axis=1)
    low = row_rate[df["informant_knowledge"] <= 5].mean()
    high = row_rate[df["informant_knowledge"] == 7].mean()
    if mechanism == "MAR":
        assert low > 1.5 * high
    else:
        assert abs(low - high) < 0.03


def test_careless_respondents_straightline_or_random_and_fast(inst):
    study = simulate_study_with_truth(2000, seed=4, careless=0.2, instrument=inst)
    df, truth = study.data, study.truth
    items = [i for items in inst.scale_items().values() for i in items]
    sd = df[items].std(axis=1)
    straight = truth["careless_type"] == "straightline"
    assert straight.sum() > 100 and (sd[straight] == 0).all()
    assert (sd[~truth["careless"]] > 0).all()
    careless = truth["careless"]
    assert df["duration_sec"][careless].median() < 0.5 * df["duration_sec"][~careless].median()
    ok = df["attn_1"] == 2
    assert ok[~careless].mean() > 0.95 and ok[careless].mean() < 0.4


def test_bad_arguments_raise_clear_errors(inst):
    with pytest.raises(DataError, match="2\\*dyads"):
        simulate_study(10, dyads=6, instrument=inst)
    with pytest.raises(DataError, match="missing="):
        simulate_study(10, missing=0.9, instrument=inst)
    with pytest.raises(DataError, match="n="):
        simulate_study(0, instrument=inst)
    with pytest.raises(DataError, match="missing_mechanism="):
        simulate_study(10, missing=0.1, missing_mechanism="NMAR", instrument=inst)


def test_large_simulation_has_every_respondent(inst):
    # its time budget is checked by benchmarks/budgets.py
    df = simulate_study(100_000, dyads=10_000, seed=9, missing=0.05, instrument=inst)
    assert df.shape[0] == 100_000


def test_population_is_data_with_hypotheses_and_true_zeros():
    pop = load_population()
    paths = pop.paths()
    assert set(paths["hypothesis"]) >= {"H1", "H2", "H3", "H5", "H6", "H7", "H8", "H9"}
    zero = paths[paths["coef"] == 0.0]
    assert {"learning_about", "specific_investments"} <= set(
        zero.loc[zero["lhs"] == "innovation_outcome", "rhs"]
    )
    marker_paths = paths[paths["rhs"].str.contains("marker") | (paths["lhs"] == "marker")]
    assert marker_paths.empty


def test_population_file_problems_are_all_listed(tmp_path):
    import yaml

    spec = yaml.safe_load((ROOT / "analysis" / "study" / "population.yaml").read_text(encoding="utf-8"))
    spec["structural"]["learning"]["terms"].append({"term": "nonsense", "coef": 0.1})
    spec["structural"]["value_creation"]["terms"].append({"term": "a+b", "coef": 0.1})
    spec["exogenous"]["correlations"].append(["dep_own", "trust", 0.99])
    spec["exogenous"]["correlations"].append(["dep_partner", "trust", -0.99])
    bad = tmp_path / "pop.yaml"
    bad.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    with pytest.raises(ModelSpecificationError) as err:
        load_population(bad)
    msg = str(err.value)
    assert "nonsense" in msg and "a+b" in msg and "positive definite" in msg


def test_write_and_read_round_trip(inst, tmp_path):
    df = simulate_study(60, dyads=10, seed=8, missing=0.1, instrument=inst)
    for name in ("x.csv", "x.parquet", "x.sav"):
        path = write_data(df, tmp_path / name, inst)
        back = read_data(path)
        assert list(back.columns) == list(df.columns), name
        assert back["respondent_id"].tolist() == df["respondent_id"].tolist(), name
        items = inst.scale_items()["trust"]
        np.testing.assert_array_equal(back[items].to_numpy(float), df[items].to_numpy(float))


def test_simulate_command(tmp_path, capsys):
    out = tmp_path / "sim.parquet"
    assert main(["simulate", "--n", "50", "--dyads", "5", "--seed", "3", "--out", str(out)]) == 0
    assert pd.read_parquet(out).shape[0] == 50
    assert main(["simulate", "--n", "5", "--dyads", "3", "--out", str(tmp_path / "a.csv")]) == 2
    assert "2*dyads" in capsys.readouterr().err
    rc = main(["simulate", "--n", "5", "--missing", "0.95", "--out", str(tmp_path / "a.csv")])
    assert rc == 2


def test_demo_dataset_regenerates_identically(tmp_path):
    manifest = json.loads((DEMO_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    committed = DEMO_DIR / manifest["file"]
    assert hashlib.sha256(committed.read_bytes()).hexdigest() == manifest["sha256"]
    out = tmp_path / manifest["file"]
    df = simulate_study(
        manifest["n"],
        dyads=manifest["dyads"],
        seed=manifest["seed"],
        missing=manifest["missing"],
        missing_mechanism=manifest["missing_mechanism"],
        careless=manifest["careless"],
    )
    write_data(df, out)
    regenerated = hashlib.sha256(out.read_bytes()).hexdigest()
    assert regenerated == manifest["sha256"], (
        "The demo data no longer regenerate identically; if the change is intended, rerun: "
        + manifest["command"]
    )
    assert (manifest["rows"], manifest["columns"]) == df.shape
    # the manifest names the instrument the data are of (2.0.1 reworded the consent page
    # only, and the manifest had gone on naming 2.0.0)
    from instruments.instrument.loader import load_instrument

    inst = load_instrument()
    assert manifest["instrument"]["version"] == inst.version
    assert manifest["instrument"]["content_hash"] == inst.content_hash, (
        "The instrument changed since the demo manifest was written; rerun: "
        + manifest["command"])
