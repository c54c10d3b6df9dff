"""A generated campaign of dyadic analyses against R (lavaan, nlme::gls, sandwich, psych).

``tests/reference/dyadic_campaign/make_reference.R`` generates 30 datasets (20-300
complete dyads, 0-60 % of the alliances with one respondent, missing answers,
distinguishable or exchangeable roles, strong or zero actor and partner effects,
negative non-independence, tied dependence scores, extreme skew) and computes with R
what the functions here claim to compute (see that script's header).  Each test
compares one function over all 30 datasets.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import pytest

from analysis.stats.dyadic import apim, dyad_wide, icc, pair_dyads, role_correlation, rwg_j
from analysis.study.dependence import DYAD_COLUMNS, INDEX_COLUMNS, dependence_indices, dyad_indices
from analysis.study.dyads import (
    _dependence_summary,
    _perception,
    both_answered,
    compare_informants,
)
from tests.parity import EST_ATOL, EST_RTOL, REFERENCE_DIR, assert_close, load_reference

DIR = REFERENCE_DIR / "dyadic_campaign"
REF = load_reference("dyadic_campaign/cases.json")
CASES = REF["cases"]
IDS = [c["file"].removesuffix(".csv") for c in CASES]
#: closed-form statistics (sums, ANOVA, OLS, Williams' t): agree to rounding
CLOSED_ATOL = 1e-9
CLOSED_RTOL = 1e-9
#: GLS (nlme, its own optimiser) against the SEM engine: the parity tolerances
GLS_ATOL = EST_ATOL
GLS_RTOL = EST_RTOL
APIM_LABELS = ("a_A", "a_B", "p_AB", "p_BA", "actor_diff", "partner_diff", "k_A", "k_B")


def _nan(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@functools.cache
def _data(i: int) -> pd.DataFrame:
    return pd.read_csv(DIR / CASES[i]["file"], dtype={"alliance_id": str, "firm_role": str})


@functools.cache
def _pairs(i: int) -> pd.DataFrame:
    """Complete dyads with their dyad-level and single-informant indices (as dyadic_analysis)."""
    pairs = pair_dyads(_data(i))
    pairs = pd.concat([pairs, dyad_indices(pairs)], axis=1)
    return pd.concat([pairs, dependence_indices(pairs["dep_own"], pairs["dep_partner"])], axis=1)


def test_campaign_covers_the_design():
    d = pd.DataFrame([c["design"] for c in CASES])
    assert len(CASES) == 30
    assert d["n_dyads"].min() == 20 and d["n_dyads"].max() == 300
    assert d["single_share"].min() == 0 and d["single_share"].max() == pytest.approx(0.6)
    assert (d["missing"] > 0).any() and (d["missing"] == 0).any()
    assert d["distinguishable"].any() and not d["distinguishable"].all()
    assert (d["actor"] == 0).any() and (d["partner"] == 0).any()
    assert (d["rho_residual"] < 0).any() and d["coarse"].any() and d["skew"].any()
    assert sum(c["n_zero_asym"] for c in CASES) > 100  # many dyads with zero asymmetry
    assert any(c["icc_pairs"]["icc1"] < 0 for c in CASES)  # negative non-independence


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_pairing_and_single_respondents(i):
    case, data = CASES[i], _data(i)
    pairs = pair_dyads(data)
    assert len(pairs) == 2 * case["n_dyads"]
    assert len(data) - len(pairs) == case["n_single"]
    assert (pairs.groupby("alliance_id")["firm_role"].agg("".join) == "AB").all()


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_dependence_indices(i):
    rows, data = CASES[i]["rows"], _data(i)
    own = dependence_indices(data["dep_own"], data["dep_partner"])
    dyad = dyad_indices(data)
    for col in INDEX_COLUMNS:
        assert_close(own[col], _nan(rows[col]), atol=CLOSED_ATOL, what=col)
    for col in DYAD_COLUMNS:
        assert_close(dyad[col], _nan(rows[col]), atol=CLOSED_ATOL, what=col)
    # a single respondent's alliance has no dyad-level index
    single = ~data["alliance_id"].isin(set(pair_dyads(data)["alliance_id"]))
    assert dyad.loc[single.to_numpy()].isna().all().all()


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_perception(i):
    ref = CASES[i]["perception"]
    ours = _perception(_pairs(i))
    for part in ("pooled", "A", "B"):
        keys = list(ref[part])
        assert_close([ours[part][k] for k in keys], [ref[part][k] for k in keys],
                     atol=CLOSED_ATOL, rtol=CLOSED_RTOL, what=f"perception {part}")


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_dependence_summary_counts_dyads_once(i):
    case, pairs = CASES[i], _pairs(i)
    summary = _dependence_summary(pairs)
    dyad_jd = pd.Series(_nan(case["rows"]["dyad_jd_sum"]))
    first = (_data(i)["firm_role"] == "A").to_numpy()
    assert summary["dyad_jd_sum"]["n"] == dyad_jd[first].notna().sum()
    assert summary["dyad_jd_sum"]["mean"] == pytest.approx(dyad_jd[first].mean(), abs=1e-12)


@pytest.mark.parametrize("which", ["icc_pairs", "icc_all"])
def test_icc_against_aov(which):
    keys = ("icc1", "icc2", "msb", "msw", "f", "pvalue", "df_between", "df_within",
            "n_groups", "n_obs")
    ours, ref = [], []
    for i, case in enumerate(CASES):
        frame = _pairs(i) if which == "icc_pairs" else _data(i)
        res = icc(frame["x"], frame["alliance_id"])
        ours.append([res[k] for k in keys])
        ref.append([case[which][k] for k in keys])
    assert_close(ours, ref, atol=CLOSED_ATOL, rtol=CLOSED_RTOL, what=which)


def test_rwg_j_per_dyad():
    for i, case in enumerate(CASES):
        pairs = pair_dyads(_data(i))
        ours = rwg_j(pairs[["q1", "q2", "q3", "q4"]], pairs["alliance_id"])
        assert list(ours["group"]) == case["rwg"]["group"], case["file"]
        assert_close(ours["rwg_j"], _nan(case["rwg"]["rwg_j"]), atol=CLOSED_ATOL,
                     what=f"r_wg(j) {case['file']}")
        assert_close(ours["gsize"], case["rwg"]["gsize"], atol=0, what="group sizes")


@functools.cache
def _apim(i: int, estimator: str) -> dict:
    return apim(_pairs(i), "y", "x", estimator=estimator)


def _residual_rows(params: pd.DataFrame) -> pd.DataFrame:
    res = params[(params["op"] == "~~") & params["lhs"].isin(["y_A", "y_B"])]
    return res.set_index(res["lhs"] + res["rhs"])


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_apim_against_lavaan(i, estimator):
    case = CASES[i]
    ref = pd.DataFrame({k: case["apim"][estimator][k]
                        for k in ("lhs", "op", "rhs", "label", "est", "se", "pvalue",
                                  "std_all")})
    m = _apim(i, estimator)
    assert m["converged"] and case["apim"][estimator]["converged"]
    assert m["n_dyads"] == case["n_apim"] == case["apim"][estimator]["n"]
    eff = pd.DataFrame(m["effects"]).T.loc[list(APIM_LABELS)]
    lab = ref[ref["label"] != ""].set_index("label").loc[list(APIM_LABELS)]
    res = ref[ref["label"] == ""]
    res = res.set_index(res["lhs"] + res["rhs"])
    ours_res = _residual_rows(m["params"]).loc[res.index]
    for col in ("est", "se", "std_all"):
        assert_close(eff[col], lab[col], atol=EST_ATOL, rtol=EST_RTOL,
                     what=f"APIM {estimator} {col}")
        assert_close(ours_res[col], res[col], atol=EST_ATOL, rtol=EST_RTOL,
                     what=f"APIM {estimator} residual {col}")
    assert_close(eff["pvalue"], lab["pvalue"], atol=EST_ATOL, what=f"APIM {estimator} p")
    r2 = case["apim"][estimator]["r2"]
    assert_close([m["r2"]["y_A"], m["r2"]["y_B"]], [r2["y_A"], r2["y_B"]], atol=EST_ATOL,
                 what="APIM R2")


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_apim_ml_against_gls(i):
    """The wide-format ML APIM is Kenny, Kashy & Cook's two-intercept GLS model."""
    ref = CASES[i]["gls"]
    eff = _apim(i, "ML")["effects"]
    assert_close([eff[k]["est"] for k in ref["label"]], ref["est"], atol=GLS_ATOL,
                 rtol=GLS_RTOL, what="APIM vs gls estimates")
    assert_close([eff[k]["se"] for k in ref["label"]], ref["se"], atol=GLS_ATOL,
                 rtol=GLS_RTOL, what="APIM vs gls SEs")
    cov = _residual_rows(_apim(i, "ML")["params"])["est"]
    rho = cov["y_Ay_B"] / math.sqrt(cov["y_Ay_A"] * cov["y_By_B"])
    assert rho == pytest.approx(ref["rho"], abs=GLS_ATOL)


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_compare_informants(i):
    ref = CASES[i]["informants"]
    wide = dyad_wide(_pairs(i), ["dep_own", "jd_mean", "y"]).rename(
        columns={"y_A": "value_creation_A", "y_B": "value_creation_B"})
    out = compare_informants(wide)
    assert out["n_dyads"] == ref["n_dyads"]
    keys = ("n", "b", "se", "t", "pvalue", "beta", "r2")
    for name in ("two_informants", "informant_A", "informant_B"):
        assert_close([out["models"][name][k] for k in keys], [ref[name][k] for k in keys],
                     atol=CLOSED_ATOL, rtol=CLOSED_RTOL, what=name)
    for name in ("two_vs_A", "two_vs_B"):
        assert_close([out["comparisons"][name][k] for k in ("t", "pvalue", "df")],
                     [ref[name][k] for k in ("t", "pvalue", "df")], atol=CLOSED_ATOL,
                     rtol=CLOSED_RTOL, what=f"Williams' t {name}")


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_h10_row_against_vcovcl(i):
    """hypotheses._dyadic_row (the H10 row) on the campaign's data, against lm + vcovCL."""
    from analysis.study import hypotheses as hyp

    ref = CASES[i]["h10"]
    data = _data(i)
    d = pd.concat([data[["alliance_id", "firm_role"]],
                   data[["y"]].rename(columns={"y": "value_creation"}),
                   dependence_indices(data["dep_own"], data["dep_partner"])[["jd_sum"]],
                   dyad_indices(data)[["dyad_jd_sum"]]], axis=1)
    h = hyp.load_hypotheses().get("H10")
    det: dict = {}
    row = hyp._dyadic_row(h, h.parts(), d, [], 0.05, det)
    assert row["n"] == ref["n"]
    assert_close([row["estimate"], row["se"], row["pvalue"], row["ci_lower"], row["ci_upper"]],
                 [ref["estimate"], ref["se"], ref["pvalue"], ref["ci_lower"], ref["ci_upper"]],
                 atol=CLOSED_ATOL, rtol=CLOSED_RTOL, what="H10 row (CR1)")
    assert f"{ref['n_clusters']} clusters" in row["note"]
    got = det[h.id]
    assert_close([got["r2_two_informant"], got["r2_one_informant"], got["williams_t"],
                  got["williams_df"], got["williams_p"]],
                 [ref["r2_two_informant"], ref["r2_one_informant"], ref["williams"]["t"],
                  ref["williams"]["df"], ref["williams"]["pvalue"]],
                 atol=CLOSED_ATOL, rtol=CLOSED_RTOL, what="H10 R2 and Williams' t")


def test_icc_on_dyads_with_both_scores_against_aov():
    keys = ("icc1", "icc2", "f", "pvalue", "n_groups", "n_obs")
    ours, ref = [], []
    for i, case in enumerate(CASES):
        pairs = _pairs(i)
        both = both_answered(pairs, "x")
        res = icc(pairs.loc[both, "x"], pairs.loc[both, "alliance_id"])
        assert res["n_groups"] == case["n_dyads_both_x"]
        ours.append([res[k] for k in keys])
        ref.append([case["icc_complete"][k] for k in keys])
    assert_close(ours, ref, atol=CLOSED_ATOL, rtol=CLOSED_RTOL, what="ICC, complete dyads")


def test_role_correlation_against_cor_test():
    keys = ("r", "pvalue", "n_dyads", "mean_A", "mean_B")
    ours = [[role_correlation(_pairs(i), "x")[k] for k in keys] for i in range(len(CASES))]
    ref = [[case["role_correlation"][k] for k in keys] for case in CASES]
    assert_close(ours, ref, atol=CLOSED_ATOL, rtol=CLOSED_RTOL, what="r of the A and B partners")


# --------------------------------------------------------------------------- the fixes


def _demo_analysis(*, constant_marker: bool) -> tuple[pd.DataFrame, dict]:
    """The demo study with the trust items of 30 B partners left empty, and optionally
    the marker answered 4 throughout (a scale without variance)."""
    from analysis.study.dyads import dyadic_analysis
    from analysis.study.scoring import score
    from instruments.instrument.loader import load_instrument

    inst = load_instrument()
    df = pd.read_csv(REFERENCE_DIR.parents[1] / "data" / "demo" / "alliance_demo.csv")
    items = inst.scale_items()
    df.loc[df.index[df["firm_role"] == "B"][:30], items["trust"]] = np.nan
    if constant_marker:
        df[items["marker"]] = 4
        with pytest.warns(Warning, match="marker"):  # the data check names the items
            scored = score(df, inst)
    else:
        scored = score(df, inst)
    return scored, dyadic_analysis(df, scored, inst)


@pytest.fixture(scope="module")
def demo_gaps():
    return _demo_analysis(constant_marker=False)


@pytest.fixture(scope="module")
def demo_constant():
    return _demo_analysis(constant_marker=True)


def test_agreement_counts_only_dyads_with_both_scores(demo_gaps):
    """A partner without the score left a "dyad" of one in the ICC (and in its n_dyads)."""
    scored, out = demo_gaps
    kept = scored[~scored["exclude"].to_numpy()]
    pairs = pair_dyads(kept)
    both = both_answered(pairs, "trust")
    agreement = out["agreement"]["trust"]
    assert agreement["n_dyads"] == both.sum() / 2 < out["n_dyads"]
    res = icc(pairs.loc[both, "trust"], pairs.loc[both, "alliance_id"])
    assert agreement["icc1"] == pytest.approx(res["icc1"], abs=1e-12)
    assert agreement["n_obs"] == 2 * agreement["n_dyads"]


def test_agreement_reports_the_role_correlation(demo_gaps):
    """The ANOVA ICC treats the partners as exchangeable; with distinguishable roles a
    difference in the roles' means lowers it (generated case 18: ICC(1) .175, Pearson r
    of the A and B partners .525), so the agreement also gives r (Kenny et al. 2006)."""
    scored, out = demo_gaps
    pairs = pair_dyads(scored[~scored["exclude"].to_numpy()])
    for scale in ("trust", "value_creation"):
        want = role_correlation(pairs, scale)
        got = out["agreement"][scale]
        assert got["r_roles"] == pytest.approx(want["r"], abs=1e-12)
        assert got["r_roles_pvalue"] == pytest.approx(want["pvalue"], abs=1e-12)
        assert got["mean_A"] == pytest.approx(want["mean_A"], abs=1e-12)
    assert "Pearson" in out["agreement_notes"]["r_roles"]


def test_agreement_of_a_scale_without_variance(demo_constant):
    """Every partner gave the same score: ICC(1) was 0/0, a ZeroDivisionError that ended
    the whole dyadic analysis; now it is undefined with a warning."""
    _, out = demo_constant
    marker = out["agreement"]["marker"]
    assert marker["icc1"] is None and marker["f"] is None and marker["pvalue"] is None
    assert any("ICC of marker undefined" in w for w in out["warnings"])
    assert out["agreement"]["trust"]["icc1"] is not None


def test_icc_without_variance():
    res = icc([5.0] * 6, ["a", "a", "b", "b", "c", "c"])
    assert all(math.isnan(res[k]) for k in ("icc1", "icc2", "f", "pvalue"))
    # variance between dyads only: perfect agreement, F infinite
    res = icc([5.0, 5, 6, 6, 7, 7], ["a", "a", "b", "b", "c", "c"])
    assert res["icc1"] == 1.0 and res["icc2"] == 1.0 and res["pvalue"] == 0.0


def test_williams_t_with_identical_predictors():
    """r_x1x2 = 1 (one informant's perception equal to the two self-reports) was a
    ZeroDivisionError; an impossible matrix a math domain error."""
    from analysis.stats.dyadic import dependent_correlation_test

    assert math.isnan(dependent_correlation_test(0.4, 0.4, 1.0, 30)["t"])
    assert math.isnan(dependent_correlation_test(0.4, 0.3, 0.999999, 30)["pvalue"])
    # H10 where informant A perceives the partner's dependence exactly
    wide = dyad_wide(_pairs(0), ["dep_own", "dep_partner", "jd_mean", "y"]).rename(
        columns={"y_A": "value_creation_A", "y_B": "value_creation_B"})
    wide["jd_mean_A"] = (wide["dep_own_A"] + wide["dep_own_B"]) / 2
    out = compare_informants(wide)
    assert math.isnan(out["comparisons"]["two_vs_A"]["t"])
    assert math.isfinite(out["comparisons"]["two_vs_B"]["t"])


def test_dyad_indices_respondents_without_role():
    """A respondent without a role is in no dyad: beside a complete pair it got the pair's
    own dependence; two of them in one alliance were refused as "the same role"."""
    df = pd.DataFrame({"alliance_id": ["a1", "a1", "a1", "a2", "a2", "a2"],
                       "firm_role": ["A", "B", None, "A", None, None],
                       "dep_own": [5.0, 3, 4, 2, 6, 1], "dep_partner": [3.0, 5, 4, 2, 6, 1]})
    out = dyad_indices(df)
    assert out.loc[0, "dyad_jd_sum"] == 8.0 and out.loc[1, "dyad_asym_signed"] == -2.0
    assert out.loc[2:].isna().all().all()
    assert list(pair_dyads(df)["alliance_id"]) == ["a1", "a1"]
