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

__all__ = ["PLSPredict", "pls_predict"]


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
