"""PLSpredict (Shmueli et al. 2016, 2019): k-fold out-of-sample predictions of the
endogenous constructs' indicators, with the linear-model (LM) benchmark.

For each fold the model is estimated on the other folds; the held-out rows are
standardised with the training means and SDs, scored with the training weights,
the endogenous scores predicted from their direct antecedents (``DA``, seminr's
default) or from the exogenous constructs through the whole model (``EA``), and
mapped back to indicators with the training loadings.  The LM benchmark regresses
each endogenous indicator on every indicator of the model outside its own block
(as seminr does).  Repetitions average the predictions over new random folds.

# In R: seminr::predict_pls(model, technique = predict_DA, noFolds = 10, reps = 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import DataError, ModelSpecificationError
from analysis.stats.pls.model import PLSResult, pls

__all__ = ["CVPAT", "PLSPredict", "cvpat", "pls_predict"]


@dataclass(frozen=True)
class PLSPredict:
    """Out-of-sample predictions and their item-level RMSE / MAE (PLS and LM)."""

    pls_predictions: pd.DataFrame
    lm_predictions: pd.DataFrame
    actual: pd.DataFrame
    metrics: pd.DataFrame  # item x (pls_rmse, pls_mae, lm_rmse, lm_mae)


def _order(res: PLSResult) -> list[str]:
    """Endogenous constructs in an order where every antecedent comes first."""
    done = {c for c in res.constructs if not any(t == c for _, t in res.structural)}
    order = []
    while len(done) < len(res.constructs):
        for c in res.constructs:
            if c not in done and all(s in done for s, t in res.structural if t == c):
                done.add(c)
                order.append(c)
    return order


def _fold_predict(train: PLSResult, test: pd.DataFrame, technique: str) -> pd.DataFrame:
    items = list(train.data.columns)
    mu, sd = train.data.mean(), train.data.std(ddof=1)
    Z = ((test[items] - mu) / sd).to_numpy()
    Y = Z @ train.weights.to_numpy()
    B = train.paths.to_numpy()
    cons = list(train.constructs)
    endo = [cons.index(c) for c in _order(train)]
    P = Y.copy()
    if technique == "DA":
        P[:, endo] = (Y @ B)[:, endo]
    else:
        P[:, endo] = 0.0
        for k in endo:
            P[:, k] = P @ B[:, k]
    Xhat = P @ train.loadings.to_numpy().T
    return pd.DataFrame(Xhat * sd.to_numpy() + mu.to_numpy(), columns=items, index=test.index)


def pls_predict(
    res: PLSResult,
    folds: int | np.ndarray = 10,
    reps: int = 1,
    technique: str = "DA",
    seed: int | None = None,
) -> PLSPredict:
    """k-fold PLSpredict with the LM benchmark.

    Parameters
    ----------
    res : PLSResult
        A model without interactions or higher-order constructs (no published
        prediction procedure exists for those).
    folds : int or array of fold labels
        Number of folds, or an explicit fold label per row of ``res.data``.
    reps : int
        Repetitions with new random folds (ignored with explicit folds).
    technique : {"DA", "EA"}
    seed : int, optional
    """
    if res.spec.interactions or res.spec.higher_order:
        raise ModelSpecificationError(
            "PLSpredict: no published procedure for models with interactions or "
            "higher-order constructs.")
    if technique not in ("DA", "EA"):
        raise ModelSpecificationError("PLSpredict: technique= must be 'DA' or 'EA'.")
    data = res.data.reset_index(drop=True)
    n = len(data)
    endo = _order(res)
    targets = [i for c in res.constructs if c in endo for i in res.blocks[c]]
    rng = np.random.default_rng(seed)
    if isinstance(folds, int):
        if not 2 <= folds <= n:
            raise DataError(f"PLSpredict: folds= must be between 2 and {n}.")
        labels = []
        for _ in range(max(1, int(reps))):
            lab = np.empty(n, dtype=int)
            lab[rng.permutation(n)] = np.arange(n) * folds // n
            labels.append(lab)
    else:
        labels = [np.asarray(folds)]
        if labels[0].shape != (n,):
            raise DataError(f"PLSpredict: folds= needs one label per row ({n}).")
    s = res.settings
    pls_sum = np.zeros((n, len(targets)))
    lm_sum = np.zeros((n, len(targets)))
    for lab in labels:
        for f in np.unique(lab):
            te = lab == f
            train = pls(data[~te], res.spec, consistent=s.consistent, scheme=s.scheme,
                        missing="mean", max_iter=s.max_iter, tol=s.tol)
            pls_sum[te] += _fold_predict(train, data[te], technique)[targets].to_numpy()
            for c in res.constructs:
                if c not in endo:
                    continue
                own = list(res.blocks[c])
                others = [i for i in data.columns if i not in own]
                Xtr = np.column_stack([np.ones((~te).sum()), data.loc[~te, others].to_numpy()])
                Xte = np.column_stack([np.ones(te.sum()), data.loc[te, others].to_numpy()])
                coef, *_ = np.linalg.lstsq(Xtr, data.loc[~te, own].to_numpy(), rcond=None)
                lm_sum[np.ix_(te, [targets.index(i) for i in own])] += Xte @ coef
    pp = pd.DataFrame(pls_sum / len(labels), columns=targets)
    lp = pd.DataFrame(lm_sum / len(labels), columns=targets)
    act = data[targets]
    ep, el = act - pp, act - lp
    metrics = pd.DataFrame({"pls_rmse": np.sqrt((ep**2).mean()), "pls_mae": ep.abs().mean(),
                            "lm_rmse": np.sqrt((el**2).mean()), "lm_mae": el.abs().mean()})
    return PLSPredict(pp, lp, act, metrics)


@dataclass(frozen=True)
class CVPAT:
    """Cross-validated predictive ability test of a PLS model against two benchmarks."""

    tests: pd.DataFrame  # benchmark x (pls_loss, benchmark_loss, diff, se, t, df, p)
    losses: pd.DataFrame  # per case: pls, ia, lm (mean squared error over the targets)
    alternative: str


def _fold_labels(n: int, folds: int, reps: int, seed: int | None) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(max(1, int(reps))):
        lab = np.empty(n, dtype=int)
        lab[rng.permutation(n)] = np.arange(n) * folds // n
        out.append(lab)
    return out


def cvpat(res: PLSResult, folds: int = 10, reps: int = 10, technique: str = "DA",
          seed: int | None = None, alternative: str = "greater") -> CVPAT:
    """CVPAT (Liengaard et al. 2021; Sharma et al. 2023) against the IA and LM benchmarks.

    Every case's loss is the mean squared out-of-sample prediction error over all
    indicators of the endogenous constructs, from k-fold PLSpredict (``technique``),
    averaged over ``reps`` repetitions with new random folds.  The benchmarks use the
    same folds: IA (indicator average) predicts each indicator by its training-fold
    mean; LM regresses each endogenous indicator on all indicators of the model outside
    its own block (as :func:`pls_predict`).  With per-case loss differences
    ``d_i = L_PLS,i - L_bench,i``, the test statistic is
    ``t = mean(d) / (sd(d) / sqrt(n))`` with ``n - 1`` degrees of freedom.

    Parameters
    ----------
    res : PLSResult
        A model without interactions or higher-order constructs.
    folds, reps : int
        Number of folds and of repetitions.
    technique : {"DA", "EA"}
    seed : int, optional
    alternative : {"greater", "two-sided"}
        ``greater``: H1 that PLS predicts better (smaller average loss) than the
        benchmark; ``two-sided``: that the average losses differ.

    Returns
    -------
    CVPAT
        ``tests`` with one row per benchmark (``IA``, ``LM``).

    Notes
    -----
    # In R: seminr::assess_cvpat(model, testtype = "greater", noFolds = 10, reps = 10)
    (seminr >= 2.4; it tests the mean loss difference by bootstrap instead of the t).
    """
    from scipy.special import stdtr

    if alternative not in ("greater", "two-sided"):
        raise DataError("CVPAT: alternative= must be 'greater' or 'two-sided'.")
    n = res.n
    if not isinstance(folds, int) or not 2 <= folds <= n:
        raise DataError(f"CVPAT: folds= must be an integer between 2 and {n}.")
    data = res.data.reset_index(drop=True)
    losses = {"pls": np.zeros(n), "ia": np.zeros(n), "lm": np.zeros(n)}
    labels = _fold_labels(n, folds, reps, seed)
    for lab in labels:
        pr = pls_predict(res, folds=lab, technique=technique)
        targets = list(pr.actual.columns)
        act = pr.actual.to_numpy()
        ia = np.empty_like(act)
        for f in np.unique(lab):
            te = lab == f
            ia[te] = data.loc[~te, targets].mean().to_numpy()
        losses["pls"] += ((act - pr.pls_predictions.to_numpy()) ** 2).mean(axis=1)
        losses["lm"] += ((act - pr.lm_predictions.to_numpy()) ** 2).mean(axis=1)
        losses["ia"] += ((act - ia) ** 2).mean(axis=1)
    L = pd.DataFrame({k: v / len(labels) for k, v in losses.items()})
    rows = []
    for bench in ("ia", "lm"):
        d = (L["pls"] - L[bench]).to_numpy()
        se = float(d.std(ddof=1) / np.sqrt(n))
        t = float(d.mean() / se) if se > 0 else float("nan")
        p = float(stdtr(n - 1, t)) if alternative == "greater" else \
            float(2 * stdtr(n - 1, -abs(t)))
        rows.append((bench.upper(), float(L["pls"].mean()), float(L[bench].mean()),
                     float(d.mean()), se, t, n - 1, p))
    tests = pd.DataFrame(rows, columns=["benchmark", "pls_loss", "benchmark_loss", "diff", "se",
                                        "t", "df", "p"]).set_index("benchmark")
    return CVPAT(tests, L, alternative)
