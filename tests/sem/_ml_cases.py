"""Shared loader for the lavaan ML reference cases (tests/reference/sem_ml)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from tests.parity import REFERENCE_DIR, load_reference

DATA_DIR = REFERENCE_DIR / "data"

# case file -> (dataset, keyword arguments of analysis.sem.sem)
CASES: dict[str, tuple[str, dict]] = {
    "hs_cfa": ("hs", {}),
    "hs_cfa_means": ("hs", {"meanstructure": True}),
    "pd_sem": ("pd", {}),
    "pd_mediation": ("pd", {}),
    "hs_group_configural": ("hs", {"group": "school"}),
    "hs_group_metric": ("hs", {"group": "school", "group_equal": ("loadings",)}),
    "hs_group_scalar": ("hs", {"group": "school", "group_equal": ("loadings", "intercepts")}),
    "hs_group_strict": ("hs", {"group": "school",
                               "group_equal": ("loadings", "intercepts", "residuals")}),
    "hs_group_stdlv_partial": ("hs", {"group": "school", "std_lv": True,
                                      "group_equal": ("loadings",),
                                      "group_partial": ("speed =~ x9",)}),
    "hs_cfa_stdlv": ("hs", {"std_lv": True}),
    "hs_covariates": ("hs", {}),
    "pd_path": ("pd", {}),
    "hs_second_order": ("hs", {}),
    "pd_sem_stdlv": ("pd", {"std_lv": True}),
    "hs_mimic": ("hs", {}),
    "hs_group_covariate": ("hs", {"group": "school", "group_equal": ("loadings",)}),
    "hs_bound_active": ("hs", {}),
    "hs_bifactor_bound": ("hs", {"orthogonal": True, "std_lv": True}),
}


@cache
def dataset(name: str) -> pd.DataFrame:
    file = {"hs": "HolzingerSwineford1939.csv", "pd": "PoliticalDemocracy.csv"}[name]
    return pd.read_csv(DATA_DIR / file)


@cache
def reference(case: str) -> dict:
    return load_reference(f"sem_ml/{case}.json")


def ref_frame(ref: dict, key: str) -> pd.DataFrame:
    df = pd.DataFrame(ref[key])
    for c in df.columns:
        if df[c].dtype == object and c not in ("lhs", "op", "rhs", "label"):
            df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


def merge_on_keys(ours: pd.DataFrame, ref: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Inner-join ours and lavaan's rows on (lhs, op, rhs, group), '~~' symmetric."""
    ours = ours.copy()
    ref = ref.copy()
    if "group" not in ref.columns:
        ref["group"] = 1
    if "group" not in ours.columns:
        ours["group"] = 1
    ref["group"] = ref["group"].fillna(0).astype(int)
    ref.loc[ref["op"] == ":=", "group"] = 0
    ours.loc[ours["op"] == ":=", "group"] = 0
    for df in (ours, ref):
        swap = (df["op"] == "~~") & (df["lhs"] > df["rhs"])
        df.loc[swap, ["lhs", "rhs"]] = df.loc[swap, ["rhs", "lhs"]].to_numpy()
        df["rhs"] = df["rhs"].fillna("").astype(str)
    keys = ["lhs", "op", "rhs", "group"]
    return ours[keys + [c for c in ours.columns if c not in keys]].merge(ref[keys + cols], on=keys, suffixes=("", "_ref"),
                                   how="outer", indicator=True)


def nan_to_num(a) -> np.ndarray:
    return np.asarray(a, dtype=float)
