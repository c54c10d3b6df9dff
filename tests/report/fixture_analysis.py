"""A hand-built analysis dict shaped like the contract of ``analysis.study.pipeline.analyze_study``.

Used to test the report layer on its own (every section filled, including the
optional parts: fieldwork, moderation plots, invariance, dyadic), independent of
the statistics.  Values are arbitrary but plausible.
"""

from __future__ import annotations

import copy
from typing import Any

SCALES = ["learning", "jd_sum", "asym_abs", "trust", "value_creation"]


def fixture_analysis() -> dict[str, Any]:
    """A fresh copy of the full fixture."""
    corr = {a: {b: (1.0 if a == b else round(0.1 * (i + j) - 0.35, 6) + 0.0123456)
                for j, b in enumerate(SCALES)} for i, a in enumerate(SCALES)}
    return copy.deepcopy({
        "n": 372,
        "n_raw": 400,
        "fieldwork": {"invited": 520, "started": 431, "completed": 400,
                      "response_rate": 0.7692307692307693},
        "exclusions": {"n_excluded": 28, "by_reason": {"attention_failed": 17, "speeding": 8,
                                                       "straightlining": 3}},
        "missing": {"percent_cells_missing": 2.3456, "complete_cases": 301,
                    "by_variable": {"info_sharing_1": 1.25, "trust_2": 3.5, "dep_own_3": 0.0}},
        "descriptives": {s: {"n": 372 - k, "mean": 4.123456 + k / 7, "sd": 1.0987 + k / 13,
                             "skew": -0.2345 + k / 20, "kurtosis": 0.1 - k / 30}
                         for k, s in enumerate(SCALES)},
        "correlations": corr,
        "measurement": {
            "estimator": "MLR",
            "converged": True,
            "fit": {"chisq": 512.3456, "df": 289, "pvalue": 1.2e-14, "cfi": 0.9567,
                    "tli": 0.9512, "rmsea": 0.0456, "rmsea_ci_lower": 0.0398,
                    "rmsea_ci_upper": 0.0513, "srmr": 0.0421},
            "loadings": [{"factor": f, "item": f"{f}_{k}", "est": 0.8 + k / 50,
                          "se": 0.05 + k / 1000, "std_all": 0.7 + k / 40,
                          "pvalue": 1e-9 * k}
                         for f in ("trust", "value_creation") for k in range(1, 5)],
            "reliability": {f: {"n_items": 4, "alpha": 0.85 + k / 100, "omega": 0.86 + k / 100,
                                "cr": 0.87 + k / 100, "ave": 0.55 + k / 100}
                            for k, f in enumerate(("trust", "value_creation"))},
            "htmt": {"trust": {"trust": 1.0, "value_creation": 0.4567},
                     "value_creation": {"trust": 0.4567, "value_creation": 1.0}},
            "fornell_larcker": {"trust": {"trust": 0.7416, "value_creation": 0.3812},
                                "value_creation": {"trust": 0.3812, "value_creation": 0.7483}},
            "invariance": [
                {"model": "configural", "chisq": 700.5, "df": 578, "cfi": 0.951, "rmsea": 0.047,
                 "delta_cfi": None},
                {"model": "metric", "chisq": 720.25, "df": 598, "cfi": 0.950, "rmsea": 0.046,
                 "delta_cfi": -0.001},
            ],
            "cmv": {"harman_first_factor_share": 0.2345, "marker_r": 0.0812},
            "warnings": ["One loading of trust_3 is below .50."],
        },
        "structural": {
            "paths": [
                {"lhs": "learning", "op": "~", "rhs": "jd_sum", "est": 0.31, "std_all": 0.2876,
                 "pvalue": 0.00012},
                {"lhs": "learning", "op": "~", "rhs": "asym_abs", "est": -0.12,
                 "std_all": -0.1043, "pvalue": 0.0342},
                {"lhs": "learning", "op": "~", "rhs": "trust", "est": 0.05, "std_all": 0.0412,
                 "pvalue": 0.41},
                {"lhs": "value_creation", "op": "~", "rhs": "learning", "est": 0.5,
                 "std_all": 0.4471, "pvalue": 1e-10},
                {"lhs": "value_creation", "op": "~", "rhs": "jd_sum", "est": 0.08,
                 "std_all": 0.0701, "pvalue": 0.21},
            ],
            "r2": {"learning": 0.1534, "value_creation": 0.2871},
            "fit": {"chisq": 3.4567, "df": 2, "pvalue": 0.1776, "cfi": 0.9978, "tli": 0.989,
                    "rmsea": 0.0442, "rmsea_ci_lower": 0.0, "rmsea_ci_upper": 0.1234,
                    "srmr": 0.0123},
        },
        "hypotheses": [
            {"id": "H1", "statement": "Joint dependence increases relationship learning.",
             "expected_sign": "+", "verdict": "supported", "estimate": 0.2876,
             "ci_lower": 0.1412, "ci_upper": 0.4341, "pvalue": 0.00012, "pvalue_adjusted": 0.00084,
             "method": "sem_path", "note": ""},
            {"id": "H2", "statement": "Dependence asymmetry reduces relationship learning.",
             "expected_sign": "-", "verdict": "supported", "estimate": -0.1043,
             "ci_lower": -0.2001, "ci_upper": -0.0085, "pvalue": 0.0342, "pvalue_adjusted": 0.1368,
             "method": "sem_path", "note": "RSA check agrees."},
            {"id": "H5", "statement": "Signed asymmetry weakens value creation -> appropriation.",
             "expected_sign": "-", "verdict": "not supported", "estimate": -0.0312,
             "ci_lower": -0.0911, "ci_upper": 0.0287, "pvalue": 0.3071, "pvalue_adjusted": 0.6142,
             "method": "moderation", "note": None,
             "details": {"simple_slopes": [
                 {"level": "-1 SD", "moderator": -1.2, "estimate": 0.41, "intercept": 4.1,
                  "slope": 0.41, "ci_lower": 0.3, "ci_upper": 0.52},
                 {"level": "mean", "moderator": 0.0, "estimate": 0.37, "intercept": 4.0,
                  "slope": 0.37, "ci_lower": 0.29, "ci_upper": 0.45},
                 {"level": "+1 SD", "moderator": 1.2, "estimate": 0.33, "intercept": 3.9,
                  "slope": 0.33, "ci_lower": 0.21, "ci_upper": 0.45}],
                 "x_range": [-2.0, 2.0],
                 "johnson_neyman": {"bounds": [2.75], "curve": [
                     {"moderator": m / 2, "slope": 0.37 - 0.03 * m / 2,
                      "ci_lower": 0.29 - 0.08 * abs(m / 2) - 0.03 * m / 2,
                      "ci_upper": 0.45 + 0.08 * abs(m / 2) - 0.03 * m / 2}
                     for m in range(-6, 7)]}}},
            {"id": "H10", "statement": "Dyad-level joint dependence predicts value creation.",
             "expected_sign": "none", "verdict": "not tested", "estimate": None,
             "ci_lower": None, "ci_upper": None, "pvalue": None, "pvalue_adjusted": None,
             "method": "dyadic", "note": "Fewer than 30 complete dyads."},
        ],
        "dyadic": {"n_dyads": 86, "agreement": {"dep_own": {"icc": 0.4123, "rwg": 0.7812}}},
        "provenance": {"package_version": "0.1.0", "instrument_id": "alliance-survey",
                       "instrument_version": "1.0.0", "instrument_hash": "abc123",
                       "data_sha256": "0" * 64, "seed": 20261122, "estimator": "MLR",
                       "bootstrap": 50},
        "warnings": ["Bootstrap with only 50 draws (a test setting)."],
    })
