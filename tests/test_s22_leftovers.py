"""Session 22's own leftovers of the outside checks (each fails on the code before it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.stats.latent_interaction import latent_interaction
from analysis.study import hypotheses as hyp


def _clustered_items(n_clusters: int, per: int, seed: int) -> pd.DataFrame:
    """Three factors of three items each, rows in clusters of ``per`` (random effects)."""
    rng = np.random.default_rng(seed)
    n = n_clusters * per
    cl = np.repeat(np.arange(n_clusters), per)
    u = rng.normal(size=(n_clusters, 2))[cl]
    x = 0.5 * u[:, 0] + rng.normal(size=n)
    m = 0.5 * u[:, 1] + rng.normal(size=n)
    y = 0.4 * x + 0.3 * m + 0.2 * x * m + rng.normal(size=n)
    out = {"alliance": cl}
    for name, f in (("x", x), ("m", m), ("y", y)):
        for k in range(1, 4):
            out[f"{name}{k}"] = 0.8 * f + rng.normal(scale=0.6, size=n)
    return pd.DataFrame(out)


def _fit(n_clusters: int):
    d = _clustered_items(n_clusters, 2, seed=3)
    return latent_interaction(d, ["x1", "x2", "x3"], ["m1", "m2", "m3"], ["y1", "y2", "y3"],
                              estimator="MLR", cluster="alliance")


def test_a_latent_product_fit_on_fewer_clusters_than_parameters_gives_no_verdict() -> None:
    # review 15 set the latent structural model aside when its cluster-robust SEs rest on
    # no more clusters than free parameters; the latent interaction and quadratic fits of
    # H5, H6b and H7 still gave verdicts from such SEs
    few = _fit(20)
    npar = int(few.fit["npar"])
    assert few.nclusters == 20 < npar
    why = hyp._too_few_clusters(few)
    assert why is not None and f"20 clusters (alliances) for {npar} free parameters" in why
    assert hyp._too_few_clusters(_fit(150)) is None  # 150 clusters: usable


@pytest.mark.parametrize("ncl, npar, usable", [(None, 40, True), (0, 40, True),
                                               (41, 40, True), (40, 40, False),
                                               (12, 40, False), (12, float("nan"), True)])
def test_the_cluster_rule_counts_clusters_against_free_parameters(ncl, npar, usable) -> None:
    class Fit:
        nclusters = ncl
        fit = {"npar": npar}

    assert (hyp._too_few_clusters(Fit()) is None) is usable


# -- a link that expired part-way is opened again (walk 15) -------------------------------


def test_a_link_that_expired_part_way_can_be_extended_and_the_answers_stay(
        tmp_path, capsys) -> None:
    # walk 15: a respondent with three pages answered whose link expired was locked out,
    # and the study lead had no way to let them finish
    from datetime import timedelta

    from analysis.cli import main
    from instruments.fieldwork.invitations import create_invitations, create_study
    from instruments.store import ResponseStore
    from instruments.store.models import Invitation, utcnow
    from instruments.store.tokens import InvitationClosedError
    from tests.ui.survey_bot import plan_answers

    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    with ResponseStore(url) as store:
        create_study(store, "s")
        inv = create_invitations(store, "s", 2, partner_name="Acme", expires_days=1)
        token, never = inv[0].token, inv[1].token
        state = store.start(token)
        plan = plan_answers(store, seed=state.seed, rng_seed=0)
        pages = [p.id for p in store.pages if p.id in plan]
        for k, page in enumerate(pages[:3]):
            store.submit_page(token, page, plan[page], submission_key=f"k{k}")
        before = dict(store.state(token).answers)
        with store.session() as session:
            for row in session.query(Invitation).all():
                row.expires_at = utcnow() - timedelta(hours=1)
        with pytest.raises(InvitationClosedError):
            store.submit_page(token, pages[3], plan[pages[3]], submission_key="k3")
        started, invited = inv[0].invitation_id, inv[1].invitation_id
        with store.session() as session:
            assert session.get(Invitation, started).status == "expired"

        db = ["--study", "s", "--db", url]
        assert main(["respondent", "--invitation", str(started), "--extend", "7", *db]) == 0
        assert "the link is open until" in capsys.readouterr().err
        assert main(["respondent", "--invitation", str(invited), "--extend", "1", *db]) == 0
        after = store.state(token)
        assert dict(after.answers) == before and after.status == "started"
        store.submit_page(token, pages[3], plan[pages[3]], submission_key="k3")
        assert store.start(never).status == "started"  # its link works again too

        # closed for good, or a number of days out of range: refused, nothing changed
        with store.session() as session:
            session.get(Invitation, invited).status = "completed"
        capsys.readouterr()
        assert main(["respondent", "--invitation", str(invited), "--extend", "3", *db]) == 2
        assert "closed for good (the survey was completed)" in capsys.readouterr().err
        for days in ("0", "367", "2.5", "nan"):
            assert main(["respondent", "--invitation", str(started), "--extend", days,
                         *db]) == 2
            err = capsys.readouterr().err
            assert "Traceback" not in err and "--extend" in err


def test_the_perception_tables_name_pearson_r_and_the_firms() -> None:
    # the demo report's appendix titled two tables "A" and "B" and named Pearson's r "R"
    from analysis.report.html import Counter, generic

    perception = {"pooled": {"n": 170, "r": 0.58, "r_pvalue": 0.001},
                  "A": {"n": 85, "r": 0.61, "r_pvalue": 0.001},
                  "B": {"n": 85, "r": 0.55, "r_pvalue": 0.002},
                  "note": "Pooled: both firms' reports of each alliance; " * 5}
    html = generic(perception, "/dyadic/perception", "perception", Counter("A"))
    assert html.count("<th>r</th>") == 3 and "<th>R</th>" not in html
    assert "Firm A</span>" in html and "Firm B</span>" in html


@pytest.mark.parametrize("estimator, advice", [
    ("ULS", "WLSMV' with ordered="), ("mlm", "estimator='MLR'"), ("GLS", "WLSMV' with"),
    ("Bayes", "use one of these"),
])
def test_an_estimator_the_engine_does_not_fit_is_named_not_missing(estimator, advice) -> None:
    # sweep 16: "estimator='ULS' with missing='listwise' is not available" blamed missing=
    from analysis.errors import ModelSpecificationError
    from analysis.sem import cfa

    rng = np.random.default_rng(1)
    d = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    with pytest.raises(ModelSpecificationError) as info:
        cfa("f =~ a + b + c", d, estimator=estimator)
    message = str(info.value)
    assert f"estimator='{estimator.upper()}' is not available in this engine" in message
    assert "missing=" not in message.split(";")[0] and advice in message


def test_lavaans_default_estimator_name_is_accepted() -> None:
    from analysis.sem import cfa

    rng = np.random.default_rng(2)
    f = rng.normal(size=200)
    d = pd.DataFrame({k: f + rng.normal(size=200) for k in "abc"})
    assert cfa("f =~ a + b + c", d, estimator="default").fit["npar"] == 6
