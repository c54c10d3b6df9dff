"""Parameter recovery: composite-score OLS on a simulated sample finds the population paths.

Every regression is built from ``analysis/study/population.yaml``: for each
structural equation whose outcome is measured by a scale (or by the
relationship-learning composite), the outcome's scale score is regressed on
all of the equation's terms, built from scale scores (products and squares of
mean-centred scores).  True signs and true zeros are read from the YAML.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.study.scoring import score
from analysis.study.simulate import load_population, simulate_study
from instruments.instrument.loader import load_instrument

#: Hypotheses whose non-zero paths must be recovered with the right sign at p < .01.
TESTED = {"H1", "H2", "H3", "H5", "H6", "H7", "H8", "H9"}
SEED = 20261122
N = 5000
N_SAMPLES = 10


def _observed(pop, scored: pd.DataFrame, data: pd.DataFrame) -> dict[str, pd.Series]:
    """Observed stand-ins for population variables: scale scores and composites."""
    dims = [
        eq.name
        for eq in pop.equations
        if [t.expr for t in eq.terms] == ["learning"]
        and eq.terms[0].hypothesis == "second-order loading"
    ]
    obs = {c: scored[c] for c in scored.columns if scored[c].dtype.kind == "f"}
    obs["learning"] = scored[dims].mean(axis=1)
    stage = pop.spec["stage"]
    for dummy, code in stage["dummies"].items():
        codes = code if isinstance(code, list) else [code]  # a stage or a group of stages
        obs[dummy] = data[stage["question"]].isin(codes).astype(float)
    return obs, set(dims)


def _design(eq, obs: dict[str, pd.Series]) -> pd.DataFrame:
    cols = {}
    for term in eq.terms:
        col = pd.Series(1.0, index=next(iter(obs.values())).index)
        for var, power in term.factors:
            x = obs[var]
            if len(term.factors) > 1 or power > 1:
                x = x - x.mean()
            col = col * x**power
        cols[term.expr] = col
    return pd.DataFrame(cols)


def _fit_sample(inst, pop, seed: int, zero_only: bool = False) -> tuple[pd.DataFrame, int]:
    data = simulate_study(N, seed=seed, careless=0.05, instrument=inst)
    scored = score(data, inst)
    keep = ~scored["exclude"].to_numpy()
    obs, dims = _observed(pop, scored[keep], data[keep])
    results = []
    for eq in pop.equations:
        if eq.name not in obs or eq.name in dims:
            continue
        if zero_only and all(t.coef != 0.0 for t in eq.terms):
            continue
        X = sm.add_constant(_design(eq, obs))
        fit = sm.OLS(obs[eq.name], X, missing="drop").fit()
        for term in eq.terms:
            results.append(
                {
                    "lhs": eq.name,
                    "rhs": term.expr,
                    "true": term.coef,
                    "hypothesis": term.hypothesis,
                    "est": fit.params[term.expr],
                    "p": fit.pvalues[term.expr],
                }
            )
    return pd.DataFrame(results), int(keep.sum())


@pytest.fixture(scope="module")
def fitted():
    return _fit_sample(load_instrument(), load_population(), SEED)


@pytest.fixture(scope="module")
def zero_paths_over_samples():
    inst, pop = load_instrument(), load_population()
    tables = []
    for k in range(N_SAMPLES):
        table, _ = _fit_sample(inst, pop, SEED + 1 + k, zero_only=True)
        tables.append(table[table["true"] == 0.0].assign(sample=k))
    return pd.concat(tables, ignore_index=True)


def test_flagged_respondents_are_excluded_before_fitting(fitted):
    _, n_kept = fitted
    assert 0.85 * N < n_kept < 0.97 * N


def test_every_hypothesised_path_recovered_with_its_sign(fitted):
    table, _ = fitted
    tested = table[table["hypothesis"].isin(TESTED) & (table["true"] != 0)]
    assert set(tested["hypothesis"]) == TESTED
    # the interactions of H5 and H7 are among them
    assert {"asym_signed*value_creation", "learning*specific_investments"} <= set(tested["rhs"])
    wrong = tested[(np.sign(tested["est"]) != np.sign(tested["true"])) | (tested["p"] >= 0.01)]
    assert wrong.empty, wrong.to_string()


def test_true_zero_paths_not_significant(zero_paths_over_samples):
    """True-zero paths (coef 0.0 in the YAML) are not significant at .05.

    A single sample rejects a true zero with probability .05 or more, so this
    is checked on N_SAMPLES further samples of N = 5000: each zero path may be
    significant in at most 2 of 10, and its mean estimate must be near 0.

    Measured over about 120 other seeds (5 % careless, flagged cases dropped):
    ``specific_investments -> innovation_outcome`` significant in 2-8 % of
    samples, ``learning_about -> innovation_outcome`` in 7-13 % (mean estimate
    +0.010 to +0.013): a direct path next to an unreliable mediator
    (learning_from) is biased upward in composite-score OLS, as is known for
    regression with fallible mediators; latent-variable SEM does not have this
    bias.  In the sample SEED itself, the latter had p = .010 (estimate -0.038).
    """
    zero = zero_paths_over_samples
    assert zero["rhs"].nunique() >= 2
    summary = zero.groupby(["lhs", "rhs"]).agg(
        significant=("p", lambda p: int((p <= 0.05).sum())), mean_est=("est", "mean")
    )
    assert (summary["significant"] <= 2).all(), summary.to_string()
    assert (summary["mean_est"].abs() < 0.03).all(), summary.to_string()
