"""Keeping data of earlier instrument versions analysable.

``versions.yaml`` (beside ``questionnaire.yaml``) lists every variable of each earlier
version with its status against the current version:

* ``same``: unchanged meaning and codes; pooled under the same id (or ``as:``).
* ``recoded``: codes that map onto current variables (``into: {variable: {old: new}}``).
* ``changed``: the meaning changed; the answers stay in their own column and are never
  pooled with the items that replaced them (:func:`current_id` refuses, naming why).

:func:`upgrade_data` brings a data frame of an earlier version into the current layout
and returns the notices a user must read (which items were pooled, which were not, which
scales are scored from fewer items); :func:`check_versions` verifies the mapping against
the instrument, listing every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError, InstrumentError

VERSIONS_FILE = "versions.yaml"
STATUSES = ("same", "recoded", "changed")


@dataclass(frozen=True)
class Mapping:
    """The status of one variable of an earlier version."""

    id: str
    status: str
    target: str | None = None
    into: dict[str, dict[int, int]] = field(default_factory=dict)
    replaced_by: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class VersionGroup:
    """Earlier versions that share items and codes, with their variables' mappings."""

    versions: tuple[str, ...]
    variables: dict[str, Mapping]

    @property
    def label(self) -> str:
        """The versions as text, e.g. ``1.0.0/1.1.0/1.2.0``."""
        return "/".join(self.versions)


@dataclass(frozen=True)
class VersionMap:
    """Everything ``versions.yaml`` declares."""

    current: str
    groups: tuple[VersionGroup, ...]
    derived: dict[str, tuple[str, dict[int, int], str]]
    notes: tuple[str, ...]

    def group(self, version: str) -> VersionGroup:
        """The group of an earlier version; DataError if the version is not known."""
        for g in self.groups:
            if version in g.versions:
                return g
        known = ", ".join(v for g in self.groups for v in g.versions)
        raise DataError(f"Instrument version {version} is not known to the version map "
                        f"(earlier versions: {known}; current: {self.current}).")


def _codes(raw: Any) -> dict[int, int]:
    return {int(k): int(v) for k, v in (raw or {}).items()}


def load_versions(directory: str | Path | None = None) -> VersionMap | None:
    """Read ``versions.yaml`` of an instrument folder (default: the packaged instrument).

    Returns None when the folder has no version map (an instrument without history).
    """
    from instruments.instrument.loader import PACKAGE_DIR, _read_yaml

    folder = Path(directory) if directory else PACKAGE_DIR
    path = folder / VERSIONS_FILE
    if not path.is_file():
        return None
    problems: list[str] = []
    data = _read_yaml(path, VERSIONS_FILE, problems)
    if problems or not isinstance(data, dict):
        raise InstrumentError(f"{VERSIONS_FILE} cannot be read.", problems)
    groups = []
    bad: list[str] = []
    for k, g in enumerate(data.get("earlier") or []):
        variables: dict[str, Mapping] = {}
        for vid, spec in (g.get("variables") or {}).items():
            status = (spec or {}).get("status")
            if status not in STATUSES:
                bad.append(f"{VERSIONS_FILE}: earlier[{k}]: {vid}: status must be one of "
                           f"{', '.join(STATUSES)}, not {status!r}.")
                continue
            into = {str(t): _codes(c) for t, c in (spec.get("into") or {}).items()}
            variables[str(vid)] = Mapping(
                id=str(vid), status=status, target=spec.get("as", str(vid)) if status == "same"
                else None, into=into, replaced_by=tuple(spec.get("replaced_by") or ()),
                reason=str(spec.get("reason", "")))
        groups.append(VersionGroup(tuple(str(v) for v in g.get("versions") or ()), variables))
    if bad:
        raise InstrumentError(f"{VERSIONS_FILE} has {len(bad)} problem(s).", bad)
    derived = {str(name): (str(spec["from"]), _codes(spec["codes"]), str(spec.get("label", "")))
               for name, spec in (data.get("derived") or {}).items()}
    return VersionMap(current=str(data.get("current")), groups=tuple(groups), derived=derived,
                      notes=tuple(str(n) for n in data.get("notes") or ()))


def check_versions(instrument: Any, vmap: VersionMap | None = None) -> list[str]:
    """Problems of the version map against the current instrument (empty when consistent).

    Checks: the map's current version is the instrument's; every ``same`` target, every
    recode target and every ``replaced_by`` id is a variable of the instrument; recoded
    codes are codes of the target's response list; a ``changed`` entry names a reason;
    derived variables group codes of an existing question.
    """
    vmap = vmap if vmap is not None else load_versions(instrument.directory or None)
    if vmap is None:
        return []
    problems: list[str] = []
    if vmap.current != instrument.version:
        problems.append(f"current is {vmap.current}, but the instrument is version "
                        f"{instrument.version}.")
    known = set(instrument.item_variables())

    def codes_of(var: str) -> list[int] | None:
        rl = instrument.response_list(var)
        return None if rl is None else list(rl.values)

    for g in vmap.groups:
        for m in g.variables.values():
            where = f"{g.label}: {m.id}"
            if m.status == "same" and m.target not in known | set(vmap.derived):
                problems.append(f"{where}: '{m.target}' is not a variable of {instrument.version}.")
            for target, codes in m.into.items():
                if target not in known:
                    problems.append(f"{where}: recode target '{target}' is not a variable.")
                    continue
                valid = codes_of(target)
                bad = [c for c in codes.values() if valid is not None and c not in valid]
                if bad:
                    problems.append(f"{where}: codes {bad} are not codes of '{target}'.")
            if m.status == "recoded" and not m.into:
                problems.append(f"{where}: a recoded variable needs 'into'.")
            if m.status == "changed":
                if not m.reason.strip():
                    problems.append(f"{where}: say why the meaning changed (reason).")
                for new in m.replaced_by:
                    if new not in known:
                        problems.append(f"{where}: replaced_by '{new}' is not a variable.")
                if m.id in known:
                    problems.append(f"{where}: an item whose meaning changed must not keep its "
                                    "id in the current version.")
    for name, (source, codes, _label) in vmap.derived.items():
        if source not in known:
            problems.append(f"derived {name}: '{source}' is not a variable.")
            continue
        valid = codes_of(source) or []
        missing = [c for c in valid if c not in codes]
        if missing:
            problems.append(f"derived {name}: codes {missing} of '{source}' are not grouped.")
    return problems


def current_id(old_id: str, version: str, vmap: VersionMap | None = None) -> str:
    """The current id of a variable of an earlier version, if its answers may be pooled.

    Raises
    ------
    DataError
        If the variable's meaning changed (pooling it with the items that replaced it
        would mix two measures), if it was recoded into other variables, or if it is not a
        variable of that version.
    """
    vmap = vmap if vmap is not None else load_versions()
    if vmap is None:
        raise DataError("The instrument has no version map (versions.yaml).")
    group = vmap.group(version)
    m = group.variables.get(old_id)
    if m is None:
        raise DataError(f"'{old_id}' is not a variable of instrument version {version}.")
    if m.status == "same":
        return str(m.target)
    if m.status == "recoded":
        raise DataError(f"'{old_id}' of version {version} is recoded into "
                        f"{', '.join(m.into)}; use upgrade_data() to map its codes.")
    raise DataError(f"'{old_id}' of version {version} cannot be pooled with version "
                    f"{vmap.current}: {m.reason} It was replaced by "
                    f"{', '.join(m.replaced_by)}, a different measure; analyse it apart.")


def _has_answers(df: pd.DataFrame, col: str) -> bool:
    return col in df.columns and bool(df[col].notna().any())


def detect_group(df: pd.DataFrame, vmap: VersionMap, known: set[str]) -> VersionGroup | None:
    """The earlier version group whose retired variables hold answers in ``df`` (or None)."""
    best, hits = None, 0
    for g in vmap.groups:
        retired = [v for v, m in g.variables.items() if m.status != "same" and v not in known]
        n = sum(_has_answers(df, v) for v in retired)
        if n > hits:
            best, hits = g, n
    return best


def add_derived(df: pd.DataFrame, vmap: VersionMap) -> pd.DataFrame:
    """Add the derived variables (e.g. ``alliance_stage`` from ``alliance_phase``).

    Rows that answered the derived variable directly (earlier versions) keep their answer.
    """
    out = df
    for name, (source, codes, _label) in vmap.derived.items():
        if source not in df.columns:
            continue
        grouped = pd.to_numeric(df[source], errors="coerce").map(codes).astype(float)
        if out is df:
            out = df.copy()
        if name in out.columns:
            out[name] = pd.to_numeric(out[name], errors="coerce").fillna(grouped)
        else:
            out[name] = grouped
    return out


#: Column of the store's wide data naming the instrument version each row answered.
VERSION_COLUMN = "instrument_version"


def upgrade_data(df: pd.DataFrame, instrument: Any) -> tuple[pd.DataFrame, list[str]]:
    """Bring data of an earlier instrument version into the current layout.

    Parameters
    ----------
    df : DataFrame
        Canonical wide data of any known version (or of several, stacked).  When it has
        an ``instrument_version`` column (the store's export of a study whose waves ran
        different versions), each row is brought over from its own version: rows of the
        current version stay as they are, rows of an earlier one are mapped with that
        version's entries, and a version the map does not know is refused.
    instrument : Instrument
        The current instrument; its folder's ``versions.yaml`` is used.

    Returns
    -------
    (DataFrame, list of str)
        The data with unchanged variables pooled under their current ids, recoded
        variables mapped, every current variable present (empty where the earlier version
        did not ask it) and the derived variables added; the retired variables whose
        meaning changed stay as they are, never merged into the new items.  The notices
        say what was done; they are empty for data of the current version.
    """
    vmap = load_versions(getattr(instrument, "directory", "") or None) \
        if getattr(instrument, "directory", "") else None
    if vmap is None or not isinstance(df, pd.DataFrame):
        return df, []
    if VERSION_COLUMN in df.columns and df[VERSION_COLUMN].notna().any():
        return _upgrade_by_row(df, instrument, vmap)
    known = set(instrument.item_variables())
    group = detect_group(df, vmap, known)
    if group is None:
        return add_derived(df, vmap), []
    return _upgrade_group(df, instrument, vmap, group)


def _with_empty(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``df`` with empty (all-missing) columns appended, in one step."""
    if not columns:
        return df
    empty = pd.DataFrame(np.nan, index=df.index, columns=columns)
    return pd.concat([df, empty], axis=1)


def _upgrade_by_row(
    df: pd.DataFrame, instrument: Any, vmap: VersionMap
) -> tuple[pd.DataFrame, list[str]]:
    """Pool waves of several versions, each row from the version it names."""
    index = df.index
    df = df.reset_index(drop=True)
    versions = df[VERSION_COLUMN].astype("string")
    named = versions.dropna().unique().tolist()
    unknown = [v for v in named if v != vmap.current
               and not any(v in g.versions for g in vmap.groups)]
    if unknown:
        known = ", ".join([vmap.current, *(v for g in vmap.groups for v in g.versions)])
        raise DataError(
            f"Rows of instrument version {', '.join(sorted(unknown))} cannot be pooled with "
            f"version {vmap.current}: the version map (versions.yaml) does not know it "
            f"(known: {known}). Analyse those rows with their own instrument."
        )
    parts: list[pd.DataFrame] = []
    notices: list[str] = []
    current = df[(versions == vmap.current) | versions.isna()]
    if len(current):
        parts.append(current)
    for g in vmap.groups:
        rows = df[versions.isin(list(g.versions)).fillna(False)]
        if not len(rows):
            continue
        # The items that replaced a changed one were not asked of that version, nor were
        # current items none of its rows answered that the map does not carry over: they
        # are dropped before mapping so that the notices name the scales scored from
        # fewer items, and come back empty when the parts are joined.
        replaced = {r for m in g.variables.values() for r in m.replaced_by}
        carried = {m.target for m in g.variables.values() if m.status == "same"} | {
            t for m in g.variables.values() for t in m.into}
        unasked = [c for c in instrument.item_variables() if c in rows.columns and (
            c in replaced or (c not in carried and rows[c].isna().all()))]
        upgraded, said = _upgrade_group(rows.drop(columns=unasked), instrument, vmap, g)
        parts.append(upgraded)
        n = len(rows)
        notices.append(f"{n} row{'s' if n != 1 else ''} from waves on instrument version "
                       f"{g.label}: {said[0]}")
        notices.extend(x for x in said[1:] if x not in notices)
    out = pd.concat(parts, axis=0, sort=False).loc[df.index]
    order = list(df.columns) + [c for c in out.columns if c not in df.columns]
    out = _with_empty(add_derived(out[order], vmap),
                      [v for v in instrument.item_variables() if v not in out.columns])
    out.index = index
    return out, notices


def _upgrade_group(
    df: pd.DataFrame, instrument: Any, vmap: VersionMap, group: VersionGroup
) -> tuple[pd.DataFrame, list[str]]:
    """Map the variables of one earlier version group onto the current layout."""
    out = df.copy()
    pooled, recoded, kept_apart = [], [], []
    for m in group.variables.values():
        if m.id not in df.columns:
            continue
        if m.status == "same":
            if m.target != m.id:
                if m.target in out.columns:
                    out[m.target] = out[m.target].fillna(out[m.id])
                else:
                    out[m.target] = out[m.id]
                out = out.drop(columns=[m.id])
            pooled.append(m.id)
        elif m.status == "recoded":
            old = pd.to_numeric(out[m.id], errors="coerce")
            for target, codes in m.into.items():
                new = old.map(codes).astype(float)
                out[target] = out[target].fillna(new) if target in out.columns else new
            recoded.append(f"{m.id} -> {', '.join(m.into)}")
        else:
            kept_apart.append(m.id)
    added = [v for v in instrument.item_variables() if v not in out.columns]
    out = _with_empty(out, added)
    out = add_derived(out, vmap)
    apart = (f"{len(kept_apart)} items whose meaning changed are kept apart and not scored "
             f"({', '.join(kept_apart)})" if kept_apart else "no item's meaning changed")
    notices = [
        f"The data were collected with instrument version {group.label}, not "
        f"{vmap.current}: {len(pooled)} variables with unchanged meaning are pooled under "
        f"their ids; {apart}."
    ]
    if recoded:
        notices.append("Recoded into the current variables: " + "; ".join(recoded) + ".")
    fewer = []
    empty = []
    for sid, scale in instrument.scales.items():
        have = [it.id for it in scale.items if it.id not in added]
        if not have:
            empty.append(sid)
        elif len(have) < len(scale.items):
            fewer.append(f"{sid} ({len(have)} of {len(scale.items)})")
    if fewer:
        notices.append("Scales scored from the items both versions share: " + ", ".join(fewer)
                       + ".")
    if empty:
        notices.append("Scales not asked in that version (left empty): " + ", ".join(empty)
                       + ".")
    notices.extend(vmap.notes)
    return out, notices
