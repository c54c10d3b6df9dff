"""PLS-SEM (partial least squares path modelling) beside the covariance-based engine.

Front door :func:`pls`; inference with :func:`bootstrap_pls`; quality criteria in
:mod:`analysis.stats.pls.quality`; PLSpredict/CVPAT in :mod:`analysis.stats.pls.predict`;
Henseler's bootstrap multigroup analysis in :mod:`analysis.stats.pls.mga`; MICOM and the
permutation multigroup test in :mod:`analysis.stats.pls.groups`.
"""

from analysis.stats.pls.model import MissingReport, PLSResult, pls
from analysis.stats.pls.syntax import PLSSpec, parse_pls_model

__all__ = ["MissingReport", "PLSResult", "PLSSpec", "parse_pls_model", "pls"]
