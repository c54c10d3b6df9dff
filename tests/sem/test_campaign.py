"""Randomized parity campaign: every lavaan fit of tests/reference/campaign, compared.

The default suite runs a fixed sample of the cases; ``-m slow`` runs all of them.  A fit
where lavaan converged and ours did not (or raised) counts as a failure; cases lavaan
could not fit are skipped.  Cases whose remaining difference is explained under "Known
differences" in README.md are listed in ``KNOWN`` with the reason, and the test pins the
difference (it fails if the case starts to agree, so the list stays true).
"""

from __future__ import annotations

import pytest

from tests.campaign_parity import CAMPAIGN_DIR, load_campaign, run_case

if not (CAMPAIGN_DIR / "fits.csv").is_file():  # pragma: no cover - fixtures are committed
    pytest.skip("campaign fixtures not generated", allow_module_level=True)

CASES, FITS, ESTIMATES = load_campaign()
ALL_IDS = sorted(FITS["id"].unique().tolist())
# the fixed default sample: about a dozen of the cheaper cases (N x items x groups at
# most 8,000; FIML on large multigroup data takes minutes), evenly spread over the ids,
# which still covers every estimator and data kind and keeps the default suite's time
# the same however many cases the campaign has; ``-m slow`` runs the rest
_COST = CASES["N"] * CASES["p"] * CASES["ngroups"]
_CHEAP = [c for c in ALL_IDS if _COST.loc[c] <= 8000]
SAMPLE_IDS = _CHEAP[::max(3, len(_CHEAP) // 12)]
# cheap cases whose result hangs on the optimizer's path (misspecified multigroup FIML
# models with more than one local minimum) always run: a faster scoring metric of
# session 11 moved case 269 from lavaan's minimum (chi-square 609.47) to a worse one
# (624.80) and case 179 onto lavaan's, and only the slow run saw it
PATH_IDS = [179, 269]
SAMPLE_IDS = sorted(set(SAMPLE_IDS) | set(PATH_IDS))
# case id -> reason (each also described under "Known differences" in README.md)
KNOWN: dict[int, str] = {
    179: "local minimum on a strongly misspecified multigroup model (scalar invariance "
         "imposed on groups whose intercepts differ): converged, chi-square 1.2 % above "
         "lavaan's",
    216: "improper MLR + FIML solution (negative residual variances of y2 and y7 in all "
         "three groups) on a nearly flat likelihood (a loading of -5.1 with SE 6.7): same "
         "chi-square and estimates, robust SEs up to 0.66 % apart",
    261: "strongly misspecified two-group FIML model (equal loadings and intercepts, CFI "
         "0.49) where ours reaches the lower minimum: chi-square 1116.01 against lavaan's "
         "1120.73, so the estimates differ",
}


def _check(cid: int) -> None:
    rows = FITS[FITS["id"] == cid]
    for _, fit in rows.iterrows():
        out = run_case(CASES.loc[cid], fit, ESTIMATES)
        if out.status == "skip":
            pytest.skip(out.problems[0])
        if cid in KNOWN:
            assert out.status == "fail", f"case {cid} now agrees with lavaan; drop it from KNOWN"
            continue
        assert out.status == "ok", (
            f"case {cid} ({fit['estimator']}, missing={fit['missing']}): "
            + "; ".join(out.problems))


@pytest.mark.parametrize("cid", SAMPLE_IDS)
def test_campaign_sample(cid):
    _check(cid)


@pytest.mark.slow
@pytest.mark.parametrize("cid", [c for c in ALL_IDS if c not in SAMPLE_IDS])
def test_campaign_all(cid):
    _check(cid)


def test_campaign_size_and_design():
    """The campaign covers what it promises: estimators, data kinds, groups, missingness."""
    assert set(FITS["id"]) == set(CASES.index) and CASES.index.max() <= 300
    assert set(FITS["estimator"]) == {"ML", "MLR", "WLSMV"}
    assert set(FITS["missing"]) == {"listwise", "ml", "pairwise"}
    assert CASES["ngroups"].max() == 3 and (CASES["neg_marker"] > 0).mean() > 0.3
    assert CASES["ordinal"].any() and CASES["latmean"].any() and CASES["covariate"].any()
    assert 0.1 < CASES["miss_rate"].max() <= 0.2 and (CASES["miss_rate"] == 0).any()
    assert CASES["N"].min() >= 100 and CASES["N"].max() <= 2000
    # lavaan converged on nearly every case: the comparison is not vacuous
    assert FITS["converged"].mean() > 0.9
