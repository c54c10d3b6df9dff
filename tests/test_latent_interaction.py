"""Latent interaction by double-mean-centred product indicators (analysis.stats.latent_interaction).

Reference values: ``tests/reference/latent_interaction/make_reference.R``
(semTools::indProd + lavaan::sem) on HolzingerSwineford1939 and on a simulated
alliance sample (``alliance_sample.csv``, written by ``make_alliance_sample.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, EstimationError, ModelSpecificationError
from analysis.stats.latent_interaction import (
    LatentInteractionResult,
    interaction_syntax,
    item_rest_correlations,
    latent_interaction,
    match_pairs,
    product_indicators,
    rank_items,
)
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    REFERENCE_DIR,
    assert_close,
    load_reference,
)

REF = load_reference("latent_interaction/latent_interaction.json")
DATA = {
    "hs": REFERENCE_DIR / "data" / "HolzingerSwineford1939.csv",
    "alliance": REFERENCE_DIR / "latent_interaction" / "alliance_sample.csv",
}


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return {k: pd.read_csv(v) for k, v in DATA.items()}


def _case_data(case: str, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    if case.endswith("_cluster"):  # consecutive rows as clusters of two, as in the R script
        hs = frames["hs"]
        return hs.assign(pair=(np.arange(len(hs)) + 2) // 2)
    return frames["hs" if case.startswith("hs_") else "alliance"]


@pytest.fixture(scope="module")
def fitted(frames) -> dict[str, LatentInteractionResult]:
    out = {}
    for case, ref in REF.items():
        out[case] = latent_interaction(
            _case_data(case, frames), ref["x"], ref["z"], ref["y"], controls=ref["controls"],
            estimator=ref["estimator"], missing=ref["missing"], match=ref["match"],
            pairs=ref["pairs_rule"], cluster=ref.get("cluster") or None)
    return out


def _ours_in_ref_order(res: LatentInteractionResult, ref: dict) -> pd.DataFrame:
    p = res.sem.params
    rows = []
    for lhs, op, rhs in zip(ref["params"]["lhs"], ref["params"]["op"], ref["params"]["rhs"],
                            strict=True):
        if op == ":=":
            hit = p[(p["op"] == op) & (p["lhs"] == lhs)]
        elif op == "~~":
            hit = p[(p["op"] == op) & (((p["lhs"] == lhs) & (p["rhs"] == rhs))
                                       | ((p["lhs"] == rhs) & (p["rhs"] == lhs)))]
        else:
            hit = p[(p["op"] == op) & (p["lhs"] == lhs) & (p["rhs"] == rhs)]
        assert len(hit) == 1, f"{lhs} {op} {rhs}: {len(hit)} rows in our table"
        rows.append(hit.iloc[0])
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- vs lavaan
@pytest.mark.parametrize("case", sorted(REF))
def test_pairs_and_product_indicators_match_semtools(case, frames, fitted):
    ref = REF[case]
    res = fitted[case]
    assert [list(p) for p in res.pairs] == ref["pairs"]
    # ranked item order (markers first) as in the R script
    assert list(res.x_items) == ref["x"] and list(res.z_items) == ref["z"]
    prods = product_indicators(_case_data(case, frames), res.pairs)
    for name, values in ref["products"].items():
        expected = np.array([np.nan if v is None else v for v in values], dtype=float)
        assert_close(prods[name].to_numpy(), expected, atol=1e-12, rtol=0.0,
                     what=f"{case} product {name}")


@pytest.mark.parametrize("case", sorted(REF))
def test_estimates_and_ses_match_lavaan(case, fitted):
    ref = REF[case]
    res = fitted[case]
    assert res.converged and ref["converged"]
    ours = _ours_in_ref_order(res, ref)
    assert_close(ours["est"], ref["params"]["est"], atol=EST_ATOL, rtol=EST_RTOL,
                 what=f"{case} est")
    assert_close(ours["se"], ref["params"]["se"], atol=EST_ATOL, rtol=EST_RTOL,
                 what=f"{case} se")
    std = np.array([np.nan if v is None else v for v in ref["params"]["std_all"]], dtype=float)
    keep = np.array([op in ("=~", "~") for op in ref["params"]["op"]])
    assert_close(ours["std_all"].to_numpy(float)[keep], std[keep], atol=EST_ATOL,
                 rtol=EST_RTOL, what=f"{case} std_all")


@pytest.mark.parametrize("case", sorted(REF))
def test_fit_matches_lavaan(case, fitted):
    ref = REF[case]["fit"]
    fit = fitted[case].sem.fit
    assert int(fit["ntotal"]) == int(ref["ntotal"]) == fitted[case].n
    assert int(fit["npar"]) == int(ref["npar"])
    assert fit["df"] == ref["df"]
    for k in ("chisq", "chisq_scaled"):
        if k in ref:
            assert_close(fit[k], ref[k], atol=0.0, rtol=CHISQ_RTOL, what=f"{case} {k}")
    for k in ("pvalue", "pvalue_scaled", "cfi", "tli", "rmsea", "srmr", "cfi_robust",
              "tli_robust", "rmsea_robust"):
        if k in ref:
            assert_close(fit[k], ref[k], atol=FIT_ATOL, rtol=0.0, what=f"{case} {k}")


@pytest.mark.parametrize("case", sorted(REF))
def test_result_fields_are_the_lavaan_rows(case, fitted):
    """Interaction, simple slopes and CI bounds are the Y ~ XZ and := rows of lavaan."""
    ref = REF[case]
    res = fitted[case]
    pr = ref["params"]
    y = ref["y"][0] if len(ref["y"]) == 1 else "Y"

    def row(lhs, op, rhs=None):
        for i, (a, o, b) in enumerate(zip(pr["lhs"], pr["op"], pr["rhs"], strict=True)):
            if a == lhs and o == op and (rhs is None or b == rhs):
                return pr["est"][i], pr["se"][i]
        raise KeyError((lhs, op, rhs))

    est, se = row(y, "~", "XZ")
    assert_close([res.estimate, res.se], [est, se], atol=EST_ATOL, rtol=EST_RTOL,
                 what="interaction")
    assert_close([res.ci_lower, res.ci_upper], [est - 1.959963984540054 * se,
                                                est + 1.959963984540054 * se],
                 atol=EST_ATOL, rtol=EST_RTOL, what="CI")
    slopes = res.simple_slopes.set_index("level")
    for lev, lab in (("-1 SD", "li_slope_lo"), ("mean", "li_slope_mid"),
                     ("+1 SD", "li_slope_hi")):
        e, s = row(lab, ":=")
        assert_close([slopes.loc[lev, "estimate"], slopes.loc[lev, "se"]], [e, s],
                     atol=EST_ATOL, rtol=EST_RTOL, what=f"slope at {lev}")
    phiz, _ = row("Z", "~~", "Z")
    assert_close(slopes.loc["+1 SD", "moderator"], np.sqrt(phiz), atol=EST_ATOL,
                 rtol=EST_RTOL, what="moderator value")


def test_standardised_interaction_is_scale_free(frames):
    """Wen et al. (2010): rescaling an item set leaves the standardised interaction alone."""
    hs = frames["hs"]
    args = (["x1", "x2", "x3"], ["x4", "x5", "x6"], ["x7", "x8", "x9"])
    a = latent_interaction(hs, *args, match="order", estimator="ML")
    scaled = hs.copy()
    scaled[["x4", "x5", "x6"]] = scaled[["x4", "x5", "x6"]] * 3.0 + 1.0
    b = latent_interaction(scaled, *args, match="order", estimator="ML")
    assert_close(b.std_interaction, a.std_interaction, atol=1e-5, rtol=0.0, what="std")
    assert_close(b.estimate, a.estimate / 3.0, atol=1e-5, rtol=0.0, what="raw b")
    # by hand from the latent (co)variances: b * sqrt(phi_X phi_Z) / sd(Y)
    p = a.sem.params
    b_ = p.set_index(["lhs", "op", "rhs"])["est"]
    sd_y = a.estimate * np.sqrt(a.latent_variances["XZ"]) / a.std_all
    assert_close(a.std_interaction, b_[("Y", "~", "XZ")] * np.sqrt(
        a.latent_variances["X"] * a.latent_variances["Z"]) / sd_y, atol=1e-8, rtol=0.0,
        what="std by hand")


# --------------------------------------------------------------------------- pairing
def test_item_rest_ranking_and_unequal_counts():
    rng = np.random.default_rng(1)
    n = 2000
    f, g = rng.normal(size=n), rng.normal(size=n)
    lam_x = [0.4, 0.9, 0.7]            # x2 best, then x3, then x1
    lam_z = [0.5, 0.3, 0.95, 0.8]      # z3, z4, z1, z2
    d = pd.DataFrame({f"x{i + 1}": lam * f + rng.normal(size=n) * 0.6
                      for i, lam in enumerate(lam_x)})
    for i, lam in enumerate(lam_z):
        d[f"z{i + 1}"] = lam * g + rng.normal(size=n) * 0.6
    xs, zs = ["x1", "x2", "x3"], ["z1", "z2", "z3", "z4"]
    r = item_rest_correlations(d, zs)
    by_hand = np.corrcoef(d["z3"], d[["z1", "z2", "z4"]].sum(axis=1))[0, 1]
    assert_close(r["z3"], by_hand, atol=1e-12, rtol=0.0, what="item-rest r")
    assert match_pairs(d, xs, zs) == (("x2", "z3"), ("x3", "z4"), ("x1", "z1"))
    assert match_pairs(d, xs, zs, match="loading") == (("x2", "z3"), ("x3", "z4"),
                                                       ("x1", "z1"))
    assert match_pairs(d, xs, zs, match="order") == (("x1", "z1"), ("x2", "z2"), ("x3", "z3"))
    assert len(match_pairs(d, xs, zs, pairs="all")) == 12
    assert rank_items(d, xs, zs) == (["x2", "x3", "x1"], ["z3", "z4", "z1", "z2"])
    # the model keeps every item; the markers are the best-ranked items
    eta = 0.5 * f + 0.3 * g + 0.2 * f * g + rng.normal(scale=0.5, size=n)
    d = d.assign(y1=eta + rng.normal(scale=0.4, size=n), y2=0.8 * eta + rng.normal(
        scale=0.4, size=n), y3=0.9 * eta + rng.normal(scale=0.4, size=n))
    res = latent_interaction(d, xs, zs, ["y1", "y2", "y3"], estimator="ML")
    assert res.syntax.splitlines()[0] == "X =~ x2 + x3 + x1"
    assert res.syntax.splitlines()[1] == "Z =~ z3 + z4 + z1 + z2"
    assert res.syntax.splitlines()[2] == "XZ =~ x2.z3 + x3.z4 + x1.z1"


def test_all_pairs_syntax_has_residual_covariances_for_shared_items():
    pairs = (("a", "c"), ("a", "d"), ("b", "c"), ("b", "d"))
    s = interaction_syntax(["a", "b"], ["c", "d"], ["y"], pairs)
    cov = [ln for ln in s.splitlines() if "~~" in ln and "." in ln]
    # a.c-a.d, a.c-b.c, a.d-b.d, b.c-b.d share an item; a.c-b.d and a.d-b.c do not
    assert sorted(cov) == sorted(["a.c ~~ a.d", "a.c ~~ b.c", "a.d ~~ b.d", "b.c ~~ b.d"])
    matched = interaction_syntax(["a", "b"], ["c", "d"], ["y"], (("a", "c"), ("b", "d")))
    assert not [ln for ln in matched.splitlines() if "~~" in ln and "." in ln]
    assert "y ~ li_bx*X" in matched and "Y =~" not in matched


def test_double_mean_centring():
    d = pd.DataFrame({"a": [1.0, 2.0, 4.0, np.nan, 3.0], "b": [2.0, 2.0, 5.0, 1.0, 0.0]})
    out = product_indicators(d, [("a", "b")])
    a = d["a"] - d["a"].mean()
    b = d["b"] - d["b"].mean()
    prod = a * b
    assert_close(out["a.b"], prod - prod.mean(), atol=1e-15, rtol=0.0, what="DMC")
    assert np.isnan(out["a.b"].iloc[3])
    assert abs(out["a.b"].mean()) < 1e-15
    single = product_indicators(d, [("a", "b")], double_centre=False)
    assert_close(single["a.b"], prod, atol=1e-15, rtol=0.0, what="single centring")


# --------------------------------------------------------------------------- recovery
def _simulate(n: int, seed: int, b_xz: float = 0.3) -> pd.DataFrame:
    """X, Z standard normal (r = .3), Y = .4 X + .2 Z + b_xz XZ + e; items with error."""
    rng = np.random.default_rng(seed)
    cov = np.array([[1.0, 0.3], [0.3, 1.0]])
    xz = rng.multivariate_normal([0.0, 0.0], cov, size=n)
    x, z = xz[:, 0], xz[:, 1]
    y = 0.4 * x + 0.2 * z + b_xz * x * z + rng.normal(scale=0.7, size=n)
    out = {}
    for name, f, lam in (("x", x, (1.0, 0.8, 0.7, 0.9)), ("z", z, (1.0, 0.9, 0.6)),
                         ("y", y, (1.0, 0.8, 0.9))):
        for i, lo in enumerate(lam, start=1):
            out[f"{name}{i}"] = 4.0 + lo * f + rng.normal(scale=0.55, size=n)
    return pd.DataFrame(out)


def test_recovers_a_known_interaction_where_composites_attenuate_it():
    from analysis.stats.regression import moderation

    truth = 0.3
    d = _simulate(4000, seed=7, b_xz=truth)
    xs, zs, ys = ["x1", "x2", "x3", "x4"], ["z1", "z2", "z3"], ["y1", "y2", "y3"]
    res = latent_interaction(d, xs, zs, ys, match="order")
    assert res.estimate > 0 and res.pvalue < 1e-6
    assert res.ci_lower <= truth <= res.ci_upper
    # simple slopes: bx +- b_xz sd(Z) with bx = .4, sd(Z) = 1
    sl = res.simple_slopes.set_index("level")["estimate"]
    for lev, want in (("-1 SD", 0.1), ("mean", 0.4), ("+1 SD", 0.7)):
        lo, hi = res.simple_slopes.set_index("level").loc[lev, ["ci_lower", "ci_upper"]]
        assert lo <= want <= hi, (lev, sl[lev], lo, hi)
    # standardised (Wen et al. 2010): truth b sd(X) sd(Z) / sd(Y), var(Y) from the model
    var_y = 0.4**2 + 0.2**2 + 2 * 0.4 * 0.2 * 0.3 + truth**2 * (1 + 0.3**2) + 0.7**2
    std_truth = truth / np.sqrt(var_y)
    assert abs(res.std_interaction - std_truth) < 0.03
    # moderated regression on composite means is attenuated by measurement error
    comp = pd.DataFrame({"x": d[xs].mean(axis=1), "z": d[zs].mean(axis=1),
                         "y": d[ys].mean(axis=1)})
    reg = moderation(comp, "y", "x", "z")
    reg_std = reg.interaction["estimate"] * comp["x"].std() * comp["z"].std() / comp["y"].std()
    assert reg_std < std_truth - 0.03 < res.std_interaction


def test_no_interaction_is_not_significant_in_most_samples():
    hits = 0
    for seed in range(5):
        d = _simulate(400, seed=100 + seed, b_xz=0.0)
        res = latent_interaction(d, ["x1", "x2", "x3", "x4"], ["z1", "z2", "z3"],
                                 ["y1", "y2", "y3"], estimator="ML")
        hits += res.pvalue < 0.05
    assert hits <= 1


def test_cluster_robust_fit_names_its_clusters(frames, fitted):
    res, plain = fitted["hs_matched_mlr_cluster"], fitted["hs_matched_mlr"]
    assert res.cluster == "pair" and res.nclusters == 151 and plain.nclusters is None
    assert res.to_dict()["nclusters"] == 151
    # same estimates, other SEs: clustering changes only the sandwich
    assert_close(res.estimate, plain.estimate, atol=1e-8, rtol=0.0, what="estimate")
    assert abs(res.se - plain.se) > 1e-4
    lonely = _case_data("hs_matched_mlr_cluster", frames)
    lonely.loc[0, "pair"] = np.nan
    with pytest.raises(DataError, match="id of its own"):
        latent_interaction(lonely, ["x1", "x2"], ["x4", "x5"], ["x7"], cluster="pair")


def test_to_frame_and_to_dict(frames):
    res = latent_interaction(frames["hs"], ["x1", "x2", "x3"], ["x4", "x5", "x6"],
                             ["x7", "x8", "x9"], match="order", level=0.9)
    tab = res.to_frame()
    assert list(tab["quantity"]) == ["interaction", "simple slope at -1 SD",
                                     "simple slope at mean", "simple slope at +1 SD"]
    assert tab.loc[0, "estimate"] == res.estimate
    q = 1.6448536269514722
    assert_close(tab["ci_upper"] - tab["estimate"], q * tab["se"], atol=1e-12, rtol=0.0,
                 what="90% CI")
    d = res.to_dict()
    assert d["estimate"] == res.estimate and d["n"] == 301 and d["level"] == 0.9
    assert len(d["simple_slopes"]) == 3 and d["fit"]["df"] == res.fit["df"]
    import json

    from analysis.io import jsonable

    json.dumps(jsonable(d), allow_nan=False)
    with pytest.raises(AttributeError):
        res.estimate = 0.0  # frozen


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs, exc, text", [
    ({"x_items": ["x1"]}, ModelSpecificationError, "at least two items"),
    ({"z_items": ["x4"]}, ModelSpecificationError, "at least two items"),
    ({"y_items": []}, ModelSpecificationError, "y_items"),
    ({"x_items": ["x1", "nope"]}, DataError, "nope"),
    ({"z_items": ["x1", "x5"]}, ModelSpecificationError, "both"),
    ({"estimator": "WLSMV"}, ModelSpecificationError, "estimator"),
    ({"missing": "pairwise"}, ModelSpecificationError, "missing"),
    ({"match": "random"}, ModelSpecificationError, "match"),
    ({"pairs": "some"}, ModelSpecificationError, "pairs"),
    ({"level": 95}, ModelSpecificationError, "level"),
    ({"controls": ["Y"]}, ModelSpecificationError, "reserved"),
    ({"cluster": "nope"}, DataError, "cluster"),
    ({"cluster": "school", "estimator": "ML"}, ModelSpecificationError, "MLR"),
    ({"cluster": "x1"}, ModelSpecificationError, "also an item"),
])
def test_bad_input_is_reported(frames, kwargs, exc, text):
    hs = frames["hs"].assign(Y=1.0)
    args = {"x_items": ["x1", "x2", "x3"], "z_items": ["x4", "x5", "x6"],
            "y_items": ["x7", "x8", "x9"]}
    args.update(kwargs)
    with pytest.raises(exc, match=text):
        latent_interaction(hs, **args)


def test_bad_data_is_reported(frames):
    hs = frames["hs"]
    items = (["x1", "x2", "x3"], ["x4", "x5", "x6"], ["x7", "x8", "x9"])
    with pytest.raises(DataError, match="constant"):
        latent_interaction(hs.assign(x2=1.0), *items)
    with pytest.raises(DataError, match="non-numeric"):
        latent_interaction(hs.assign(x2="a"), *items)
    with pytest.raises(DataError, match="complete cases"):
        latent_interaction(hs.head(8), *items)
    with pytest.raises(DataError, match="DataFrame"):
        latent_interaction(hs.to_numpy(), *items)


def test_non_convergence_raises_estimation_error(frames, monkeypatch):
    import analysis.sem as sem_pkg

    real = sem_pkg.sem

    class NotConverged:
        def __init__(self, res):
            self._res = res

        def __getattr__(self, name):
            return getattr(self._res, name)

        converged = False

    monkeypatch.setattr(sem_pkg, "sem", lambda *a, **k: NotConverged(real(*a, **k)))
    with pytest.raises(EstimationError, match="did not converge"):
        latent_interaction(frames["hs"], ["x1", "x2", "x3"], ["x4", "x5", "x6"],
                           ["x7", "x8", "x9"])
