"""Structural equation modelling with lavaan parity (lavaan 0.6 defaults).

Pipeline (as lavaan): lavaan syntax --``syntax.parse_model``--> statements
--``partable.build_partable``--> parameter table --``build.compile_table``--> a frozen
:class:`~analysis.sem.model.CompiledModel` (LISREL all-y matrices, implied
moments, analytic Jacobian "Delta") --backend--> :class:`~analysis.sem.state.FitState`
--``fitmeasures.fit_measures`` / ``standardize`` / ``modindices``--> :class:`SEMResult`.

Layers (each module imports only the ones above it in this list; a test checks the
import graph is acyclic): ``matrix``, ``syntax`` -> ``partable`` -> ``model`` ->
``state``, ``samplestats`` -> ``build`` -> ``fitmeasures``, ``standardize``,
``ordinal`` -> ``robust`` -> ``ml``, ``fiml``, ``wls`` (backends) -> ``modindices``,
``bootstrap`` -> ``result`` -> ``api`` (front doors) -> ``invariance``.

Public API::

    from analysis.sem import sem, cfa, compile_model, SEMResult, measurement_invariance
    res = sem(model, data, estimator="ML", missing="listwise", ordered=None, group=None,
              group_equal=(), std_lv=False, bootstrap=0, seed=None)
    compiled = compile_model(model, data=data)     # parse + compile once
    res = compiled.fit(other_data)                  # refit (bootstrap, simulation)

Backend protocol
----------------
A backend is a function ``fit_X(model, data, options, start=None) -> FitState``:

* ``model`` is a :class:`CompiledModel` already *bound* to the data
  (``model.bind(stats)``: fixed.x values filled in).  Use ``model.x_start(stats)``,
  ``model.implied(x)``, ``model.moments(x)``, ``model.jacobian(x)`` (analytic
  d moments / d x per group, lavaan's Delta), ``model.derivatives(x, g)``
  (dSigma, dmu, dtau arrays), ``model.df()``, ``model.n_free``.
* ``data`` is a list (one per group) of :class:`~analysis.sem.model.SampleStats`
  (``n``, ``mean``, ``cov`` with divisor n, raw ``data`` in ``model.ov_names``
  order; NaN kept for ``missing="ml"``).
* ``options`` is a read-only mapping of the user options (``estimator``,
  ``missing``, ``se``, ``test``, ``bootstrap``, ``seed``, ...).
* ``start`` is an optional start vector (e.g. the full-sample estimate in a bootstrap).
* Simple bounds from ``a > 0`` / ``a < 1`` are in ``model.bounds()`` (lower, upper
  arrays over ``x``); the ML and WLSMV backends honour them (a parameter on its bound
  gets a NaN row in ``vcov``), and ``compile_model`` refuses them for the others (FIML,
  MLR), which would ignore them.  Scale
  factors of ordered items (``~*~``; free in later groups when thresholds are
  equal) are in ``model.scales(x, g)``; ``implied``/``moments``/``jacobian`` already
  include them.

It returns an :class:`analysis.sem.state.FitState` (frozen) with ``x``, ``vcov``,
``converged``, ``iterations``, ``fmin``, ``test`` (``chisq, df, pvalue`` and,
where defined, ``chisq_scaled, df_scaled, pvalue_scaled, scaling_factor`` with
``trace_ugamma`` or ``shift_parameter``), ``loglik``, ``loglik_h1`` (NaN where
undefined), ``baseline`` (the FitState of lavaan's independence model, fitted by the
same backend on ``analysis.sem.build.baseline_model(model)``), ``robust`` (the
ingredients of the robust CFI/TLI/RMSEA, :class:`~analysis.sem.state.RobustTest`),
``h1`` / ``wls`` (the moments the residual measures compare), ``extra`` (a dict of
anything else) and ``warnings``.  Backends return test ingredients, never finished
fit measures: :func:`analysis.sem.fitmeasures.fit_measures` computes those for every
estimator.

Results: :class:`SEMResult` with ``params`` (parameterEstimates with std.lv/std.all),
``fit`` (fitMeasures), ``r2``, ``modindices()``, ``residuals()``, ``summary()``,
``warnings`` (non-convergence, Heywood cases, non-PD latent covariances, active
bounds, deleted cases) and ``partable``.  Non-convergence never raises: ``converged``
is False and a warning says so.  Not identified models and non-positive-definite
data raise ``ModelSpecificationError`` / ``EstimationError``.

Dispatch (``analysis.sem.api.BACKENDS``): ML + listwise -> ``ml.fit_ml``;
ML + missing="ml" -> ``fiml.fit_fiml``; MLR -> ``fiml.fit_mlr``;
WLSMV -> ``wls.fit_wlsmv``.
"""

from .api import SEMResult, cfa, compile_model, growth, sem
from .invariance import measurement_invariance
from .model import CompiledModel, Implied, SampleStats
from .state import FitState

__all__ = [
    "CompiledModel",
    "FitState",
    "Implied",
    "SEMResult",
    "SampleStats",
    "cfa",
    "compile_model",
    "growth",
    "measurement_invariance",
    "sem",
]
