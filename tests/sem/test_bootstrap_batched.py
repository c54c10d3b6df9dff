"""The batched bootstrap refits (``_BatchML`` + ``_batch_bfgs``) against the general ML backend.

Each draw's refit on the fast path must (a) reach the ML estimate the general backend
(``ml.estimate``: Fisher scoring/BFGS on the same resample) reaches, and (b) not depend
on which other draws share its batch, so that serial, process and Dask runs agree to the
last bit.  Models: PoliticalDemocracy with ``:=`` (no mean structure), a two-group model
with equal loadings and intercepts, free latent means and a latent regression (mean
structure through ``(I - B)^-1``), and a model with a fixed.x covariate.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analysis.sem import compile_model
from analysis.sem.bootstrap import OK, _defined, _estimate_on, make_payload, run_draws
from tests.parity import REFERENCE_DIR

HS = REFERENCE_DIR / "data" / "HolzingerSwineford1939.csv"
PD = REFERENCE_DIR / "data" / "PoliticalDemocracy.csv"

CASES = {
    "indirect": ("""ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60
dem65 ~ c*ind60 + b*dem60
y1 ~~ y5
y2 ~~ y4 + y6
ab := a*b
total := c + a*b
""", PD, {}),
    "multigroup_means": ("""visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
textual ~ visual
""", HS, dict(group="school", group_equal=["loadings", "intercepts"])),
    "fixed_x": ("""visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
textual ~ visual + ageyr
""", HS, {}),
}

DRAWS = list(range(12))


@pytest.fixture(scope="module", params=list(CASES))
def payload(request):
    syntax, path, kw = CASES[request.param]
    data = pd.read_csv(path)
    cm = compile_model(syntax, data, **kw)
    pl, *_ = make_payload(cm, data, len(DRAWS), seed=3)
    assert pl.hinv0 is not None  # the fast path is taken
    return pl


def _resample(pl, i):
    rng = np.random.default_rng(np.random.SeedSequence(entropy=pl.entropy, spawn_key=(i,)))
    return [y[rng.integers(0, y.shape[0], size=y.shape[0])] for y in pl.arrays]


def test_batched_refits_reach_the_general_ml_estimate(payload):
    fast = run_draws(payload, DRAWS)
    general = replace(payload, hinv0=None, table_xid=None)
    dp = _defined(general)
    for i, status, vals in fast:
        assert status == OK
        st, ref = _estimate_on(general, _resample(payload, i), dp)
        assert st == OK
        np.testing.assert_allclose(vals, ref, rtol=0.0, atol=2e-5,
                                   err_msg=f"draw {i}")


def test_a_draw_does_not_depend_on_its_batch(payload):
    together = run_draws(payload, DRAWS)
    alone = [run_draws(payload, [i])[0] for i in DRAWS[:4]]
    reversed_ = run_draws(payload, DRAWS[::-1])
    by_id = {i: v for i, _, v in reversed_}
    for (i, _, v), (j, _, w) in zip(together[:4], alone, strict=True):
        assert i == j
        assert np.array_equal(v, w)
    for i, _, v in together:
        assert np.array_equal(v, by_id[i])


def test_the_fast_path_itself_converges_to_the_general_estimate(payload):
    """No draw needs the general backend as a fallback: the batched BFGS (with the mean
    structure through (I - B)^-1 alpha) converges on its own to the ML estimate."""
    from analysis.sem import ml
    from analysis.sem.bootstrap import _batch_bfgs, _BatchML, _stats_of

    stats = [_stats_of(_resample(payload, i)) for i in DRAWS]
    X, f, conv = _batch_bfgs(_BatchML(payload.model, stats), payload.x_full, payload.hinv0)
    assert conv.all()
    for j, st in enumerate(stats):
        bound = payload.model.bind(st)
        x_ref, f_ref, _, ok = ml.estimate(bound, st, payload.x_full)
        assert ok
        np.testing.assert_allclose(X[j], x_ref, rtol=0.0, atol=2e-5)
        np.testing.assert_allclose(f[j], ml.f_ml(bound, X[j], st), rtol=1e-12, atol=1e-14)


def test_a_batch_that_fails_is_refitted_draw_by_draw(payload, monkeypatch):
    """If one draw makes the batched fit raise, the others keep the results they get in
    any other chunking (fault injected: every batch of more than one draw raises)."""
    import analysis.sem.bootstrap as boot

    together = run_draws(payload, DRAWS)
    real = boot._batch_bfgs

    def fragile(problem, x0, hinv0):
        if problem.groups[0]["S"].shape[0] > 1:
            raise FloatingPointError("injected")
        return real(problem, x0, hinv0)

    monkeypatch.setattr(boot, "_batch_bfgs", fragile)
    alone = run_draws(payload, DRAWS)
    assert [s for _, s, _ in alone] == [s for _, s, _ in together]
    for (i, _, v), (j, _, w) in zip(together, alone, strict=True):
        assert i == j and np.array_equal(v, w)
