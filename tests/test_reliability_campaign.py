"""A generated campaign for ``alliance-survey reliability``: sixteen random sets of scales
(two to four factors of three to six items, five- and seven-point or continuous answers,
gaps in every fourth case) with reverse-worded items answered the other way, the first
item of a scale among them in every other case.

With ``--reverse`` naming them, alpha (psych::alpha with keys, Feldt interval), omega and
AVE (semTools::compRelSEM / AVE on lavaan's CFA of the recoded items), CR and HTMT
(semTools::htmt) agree with R; without it, every scale holding some (not all) of them is
named in a warning and its alpha, omega and CR are not reported.  Fixtures and script:
tests/reference/reliability_campaign/ (make_reliability_campaign.R).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from analysis.cli import main
from tests.parity import EST_ATOL, EST_RTOL, REFERENCE_DIR, assert_close

FOLDER = REFERENCE_DIR / "reliability_campaign"
CASES = json.loads((FOLDER / "cases.json").read_text(encoding="utf-8"))


def _run(case: dict, tmp_path, capsys, reverse: bool) -> dict:  # noqa: ANN001
    model = tmp_path / "model.lav"
    model.write_text(case["model"], encoding="utf-8")
    args = ["reliability", str(FOLDER / case["file"]), "--model", str(model), "--json", "-"]
    if reverse and case["reverse"]:
        args += ["--reverse", ",".join(case["reverse"])]
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def test_the_campaign_has_what_it_claims() -> None:
    assert len(CASES) == 16 and all(c["converged"] for c in CASES)
    assert {c["kind"] for c in CASES} == {"likert5", "likert7", "continuous"}
    firsts = [c for c in CASES if c["model"].split("=~")[1].split("+")[0].strip()
              in c["reverse"]]
    assert len(firsts) >= 8


@pytest.mark.parametrize("case", CASES, ids=[f"case{c['id']:02d}" for c in CASES])
def test_reliability_with_reverse_matches_psych_and_semtools(case, tmp_path, capsys) -> None:  # noqa: ANN001
    got = _run(case, tmp_path, capsys, reverse=True)
    assert got["converged"] and got["n_obs"] == case["n"]
    assert not [w for w in got["warnings"] if "keyed in both directions" in w]
    for f, s in got["scales"].items():
        a = case["alpha"][f]
        for ours, theirs in (("alpha", "raw_alpha"), ("alpha_ci_lower", "feldt_lower"),
                             ("alpha_ci_upper", "feldt_upper")):
            assert_close(s[ours], a[theirs], atol=EST_ATOL, rtol=EST_RTOL, what=f"{f} {ours}")
        for key in ("omega", "ave", "cr"):
            assert_close(s[key], case[key][f], atol=EST_ATOL, rtol=EST_RTOL, what=f"{f} {key}")
    names = case["htmt"]["names"]
    ours = np.array([[got["htmt"][a][b] for b in names] for a in names])
    assert_close(ours, np.array(case["htmt"]["values"], dtype=float), atol=EST_ATOL,
                 rtol=EST_RTOL, what="HTMT")


@pytest.mark.parametrize("case", [c for c in CASES if c["reverse"]],
                         ids=[f"case{c['id']:02d}" for c in CASES if c["reverse"]])
def test_without_reverse_the_mixed_scales_are_named(case, tmp_path, capsys) -> None:  # noqa: ANN001
    got = _run(case, tmp_path, capsys, reverse=False)
    blocks = {line.split("=~")[0].strip(): [i.strip() for i in line.split("=~")[1].split("+")]
              for line in case["model"].splitlines()}
    mixed = {f for f, items in blocks.items()
             if 0 < sum(i in case["reverse"] for i in items) < len(items)}
    warned = {f for f in blocks if any(f"Scale {f!r} has items keyed in both" in w
                                       for w in got["warnings"])}
    assert warned == mixed
    for f in blocks:
        nan = math.isnan(got["scales"][f]["alpha"]) if got["scales"][f]["alpha"] is not None \
            else True
        assert nan == (f in mixed), f
