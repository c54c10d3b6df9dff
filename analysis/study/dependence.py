"""Dependence indices: joint dependence, asymmetry and dependence advantage.

From the two dependence scale scores of a respondent, ``D_own`` (our firm's
dependence on the partner, scale ``dep_own``) and ``D_partner`` (the partner's
dependence on our firm as the respondent perceives it, scale ``dep_partner``),
both on the same metric:

=================  ===========================================  ======================
column             formula                                      meaning
=================  ===========================================  ======================
``jd_sum``         D_own + D_partner                            joint dependence
``jd_mean``        (D_own + D_partner) / 2                      joint dependence (mean)
``asym_abs``       abs(D_own - D_partner)                       absolute asymmetry
``asym_signed``    D_own - D_partner                            > 0: we depend more
``adv_own``        max(D_partner - D_own, 0)                    our dependence advantage
``adv_partner``    max(D_own - D_partner, 0)                    the partner's advantage
=================  ===========================================  ======================

Joint dependence follows Casciaro & Piskorski's (2005) "mutual dependence"
and Gulati & Sytch's (2007) "joint dependence"; the split of asymmetry into
the two dependence-advantage terms is Gulati & Sytch's (2007).  Note that
``asym_signed = adv_partner - adv_own`` and ``asym_abs = adv_partner + adv_own``.

In a **dyad** (two rows with the same ``alliance_id`` and ``firm_role`` "A"
and "B"), both firms report their own dependence, so dyad-level indices can
use two informants: for each row, ``dyad_d_own`` is its own ``D_own`` and
``dyad_d_partner`` is the other firm's self-reported ``D_own``.

References
----------
Casciaro, T., & Piskorski, M. J. (2005). Power imbalance, mutual dependence,
and constraint absorption. *Administrative Science Quarterly*, 50(2), 167-199.

Gulati, R., & Sytch, M. (2007). Dependence asymmetry and joint dependence in
interorganizational relationships. *Administrative Science Quarterly*, 52(1), 32-69.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import DataError

INDEX_COLUMNS = ("jd_sum", "jd_mean", "asym_abs", "asym_signed", "adv_own", "adv_partner")
DYAD_COLUMNS = (
    "dyad_d_own",
    "dyad_d_partner",
    "dyad_jd_sum",
    "dyad_jd_mean",
    "dyad_asym_abs",
    "dyad_asym_signed",
    "dyad_adv_own",
    "dyad_adv_partner",
    "perception_gap",
    "perception_gap_abs",
)


def dependence_indices(d_own, d_partner) -> pd.DataFrame:
    """Joint dependence, asymmetry and dependence-advantage indices.

    Parameters
    ----------
    d_own : array-like
        ``D_own``: the firm's dependence on the partner (``dep_own`` score).
    d_partner : array-like
        ``D_partner``: the partner's dependence on the firm (``dep_partner``
        score, or the partner's self-report in a dyad), same metric and length.

    Returns
    -------
    pandas.DataFrame
        Columns ``jd_sum, jd_mean, asym_abs, asym_signed, adv_own,
        adv_partner`` (formulas in the module docstring); NaN where either
        input is NaN.  The index is that of ``d_own`` if it is a Series.

    Notes
    -----
    ``jd_sum = D_own + D_partner``; ``asym_signed = D_own - D_partner``;
    ``adv_own = max(D_partner - D_own, 0)``; ``adv_partner = max(D_own - D_partner, 0)``.

    Examples
    --------
    >>> float(dependence_indices([5.0], [3.0]).loc[0, "adv_partner"])
    2.0
    """
    index = d_own.index if isinstance(d_own, pd.Series) else None
    a = np.asarray(d_own, dtype=float)
    b = np.asarray(d_partner, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise DataError(
            f"d_own and d_partner must be 1-dimensional and of equal length "
            f"(got shapes {a.shape} and {b.shape})."
        )
    diff = a - b
    with np.errstate(invalid="ignore"):
        adv_own = np.where(np.isnan(diff), np.nan, np.maximum(-diff, 0.0))
        adv_partner = np.where(np.isnan(diff), np.nan, np.maximum(diff, 0.0))
    return pd.DataFrame(
        {
            "jd_sum": a + b,
            "jd_mean": (a + b) / 2.0,
            "asym_abs": np.abs(diff),
            "asym_signed": diff,
            "adv_own": adv_own,
            "adv_partner": adv_partner,
        },
        index=index,
    )


def dyad_indices(
    df: pd.DataFrame,
    *,
    d_own: str = "dep_own",
    d_partner: str = "dep_partner",
    alliance: str = "alliance_id",
    role: str = "firm_role",
) -> pd.DataFrame:
    """Dyad-level dependence indices from both partners' self-reports.

    For every alliance with exactly one row of ``firm_role`` "A" and one of
    "B", each row gets the indices from its own perspective:

    - ``dyad_d_own`` = own ``D_own``; ``dyad_d_partner`` = the other firm's
      ``D_own`` (its self-reported dependence on us);
    - ``dyad_jd_sum = D_own(A) + D_own(B)``, ``dyad_jd_mean`` (its half; the
      same on both rows), ``dyad_asym_abs`` (the same on both rows),
      ``dyad_asym_signed = dyad_d_own - dyad_d_partner`` (opposite signs on
      the two rows), ``dyad_adv_own``, ``dyad_adv_partner``;
    - ``perception_gap`` = own perception of the partner's dependence
      (``D_partner``) minus the partner's self-report; > 0: we think the
      partner depends on us more than it says; ``perception_gap_abs`` its
      absolute value.

    Rows of single informants (no complete A/B pair) get NaN, and so do rows
    without an alliance id or a role.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per respondent with columns ``alliance``, ``role``, ``d_own``
        and ``d_partner`` (scale scores).
    d_own, d_partner, alliance, role : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Same index as ``df``; columns ``dyad_d_own, dyad_d_partner,
        dyad_jd_sum, dyad_jd_mean, dyad_asym_abs, dyad_asym_signed,
        dyad_adv_own, dyad_adv_partner, perception_gap, perception_gap_abs``.

    Raises
    ------
    DataError
        If a column is missing, a role other than "A"/"B" occurs, or an
        alliance has more than one row with the same role.

    Notes
    -----
    In the dyadic-data literature this is the "two informants" design
    (Gulati & Sytch 2007 used one informant per dyad); the perception gap is a
    single-informant bias check (hypothesis H10).
    """
    needed = [c for c in (alliance, role, d_own, d_partner) if c not in df.columns]
    if needed:
        raise DataError(f"Dyad indices need the column(s) {', '.join(needed)}.")
    roles = df[role].astype("string")
    bad = sorted(set(roles.dropna().unique()) - {"A", "B"})
    if bad:
        raise DataError(f"Column {role!r} must contain 'A' or 'B'; found {bad}.")
    keyed = pd.DataFrame(
        {
            "alliance": df[alliance].astype("string").to_numpy(),
            "role": roles.to_numpy(),
            "own": pd.to_numeric(df[d_own], errors="coerce").to_numpy(dtype=float),
            "perceived": pd.to_numeric(df[d_partner], errors="coerce").to_numpy(dtype=float),
        }
    )
    # a respondent without an alliance id or a role belongs to no dyad (as in
    # analysis.stats.dyadic.pair_dyads): two such rows of one alliance are not "the same
    # role", and one beside a complete A/B pair got the pair's indices
    placed = (keyed["alliance"].notna() & keyed["role"].notna()).to_numpy()
    dup = keyed[placed].duplicated(["alliance", "role"], keep=False)
    if dup.any():
        offenders = sorted(set(keyed.loc[dup[dup].index, "alliance"]))
        shown = ", ".join(offenders[:10]) + (" ..." if len(offenders) > 10 else "")
        raise DataError(
            f"{len(offenders)} alliance(s) have more than one respondent with the same "
            f"{role}: {shown}. Keep one informant per firm or give the roles A and B."
        )
    counts = keyed[placed].groupby("alliance")["role"].transform("count")
    in_dyad = np.zeros(len(keyed), dtype=bool)
    in_dyad[np.flatnonzero(placed)] = (counts == 2).to_numpy()
    own_by = {
        (a, r): v
        for a, r, v in zip(keyed["alliance"], keyed["role"], keyed["own"], strict=True)
        if isinstance(a, str)
    }
    other = {"A": "B", "B": "A"}
    partner_self = np.array(
        [
            own_by.get((a, other.get(r, "")), np.nan) if ok else np.nan
            for a, r, ok in zip(keyed["alliance"], keyed["role"], in_dyad, strict=True)
        ],
        dtype=float,
    )
    own = np.where(in_dyad, keyed["own"].to_numpy(), np.nan)
    idx = dependence_indices(own, partner_self)
    gap = np.where(in_dyad, keyed["perceived"].to_numpy() - partner_self, np.nan)
    out = pd.DataFrame(
        {
            "dyad_d_own": own,
            "dyad_d_partner": partner_self,
            "dyad_jd_sum": idx["jd_sum"].to_numpy(),
            "dyad_jd_mean": idx["jd_mean"].to_numpy(),
            "dyad_asym_abs": idx["asym_abs"].to_numpy(),
            "dyad_asym_signed": idx["asym_signed"].to_numpy(),
            "dyad_adv_own": idx["adv_own"].to_numpy(),
            "dyad_adv_partner": idx["adv_partner"].to_numpy(),
            "perception_gap": gap,
            "perception_gap_abs": np.abs(gap),
        },
        index=df.index,
    )
    return out
