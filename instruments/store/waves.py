"""Study waves and the instrument version each one runs.

A running study never changes its instrument in place: answers already given were
given to the items of their version.  A new instrument version enters a study only as a
new wave (:func:`open_wave`); the respondents of earlier waves keep answering, and
resuming, on the version of their own wave, and the analysis pools the waves through
the new version's map of earlier versions (``versions.yaml``: unchanged items pooled,
recoded items mapped, items whose meaning changed kept apart).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from analysis.errors import DataError, clip
from instruments.store.limits import check_text
from instruments.store.models import Invitation, Study, Wave, utcnow
from instruments.store.responses import ResponseStore, _wave_instrument

_VERSION = re.compile(r"^\d+(?:\.\d+)*$")


@dataclass(frozen=True)
class WaveInfo:
    """One wave of a study and the instrument version its respondents answer."""

    study: str
    name: str
    instrument_id: str
    instrument_version: str
    instrument_hash: str
    created_at: datetime
    n_invitations: int


def _version_key(version: str, what: str) -> tuple[int, ...]:
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise DataError(
            f"{what} has version {clip(version)}, which is not a version number of the form "
            "MAJOR.MINOR.PATCH; waves are ordered by version, so it cannot open one."
        )
    return tuple(int(part) for part in version.split("."))


def _find_study(session: Any, study: str) -> Study:
    found = session.scalars(
        select(Study).where(Study.name == study).with_for_update()
    ).one_or_none()
    if found is None:
        names = session.scalars(select(Study.name).order_by(Study.name)).all()
        known = ", ".join(names) if names else "none yet"
        raise DataError(
            f"There is no study {study!r} in the store (studies: {known}); a new wave is "
            "opened on an existing study. Nothing was changed."
        )
    return found


def study_waves(store: ResponseStore, study: str) -> list[WaveInfo]:
    """The waves of a study in the order they were opened, each with its instrument.

    Raises
    ------
    DataError
        If there is no such study.
    """
    with store.session() as session:
        st = store._study(session, study)
        counts = dict(session.execute(
            select(Invitation.wave_id, func.count(Invitation.id))
            .where(Invitation.study_id == st.id).group_by(Invitation.wave_id)
        ).all())
        waves = session.scalars(
            select(Wave).where(Wave.study_id == st.id).order_by(Wave.id)
        ).all()
        out = []
        for wave in waves:
            iid, version, digest = _wave_instrument(wave, st)
            out.append(WaveInfo(study=st.name, name=wave.name, instrument_id=iid,
                                instrument_version=version, instrument_hash=digest,
                                created_at=wave.created_at,
                                n_invitations=int(counts.get(wave.id, 0))))
        return out


def _pooling_problems(instrument: Any, earlier: set[str]) -> list[str]:
    """Why answers of the ``earlier`` versions could not be pooled with ``instrument``."""
    from instruments.instrument.versions import check_versions, load_versions

    directory = getattr(instrument, "directory", None)
    vmap = load_versions(directory) if directory else None
    if vmap is None:
        return [f"instrument version {instrument.version} has no map of earlier versions "
                "(versions.yaml)"]
    problems = check_versions(instrument, vmap)
    listed = {v for g in vmap.groups for v in g.versions}
    for version in sorted(earlier - listed):
        problems.append(f"versions.yaml of {instrument.version} does not list version "
                        f"{version}")
    return problems


def open_wave(
    store: ResponseStore, study: str, name: str, instrument: Any = None
) -> WaveInfo:
    """Open a new wave of an existing study on a newer instrument version.

    The study's current instrument becomes the new version (waves opened later without
    an instrument inherit it); earlier waves keep theirs, so their respondents resume
    on the version they started.  Everything is checked before anything is written, in
    one transaction: on any refusal nothing changes.

    Parameters
    ----------
    store
        The response store.
    study
        Name of an existing study.
    name
        Name of the new wave (unique within the study).
    instrument
        The new instrument version (default: the store's instrument).  Its
        ``versions.yaml`` must list every version the study's waves ran, so the analysis
        can pool them.

    Returns
    -------
    WaveInfo

    Raises
    ------
    DataError
        If the study does not exist, the wave name is taken, the instrument is another
        instrument, its version is not newer than the study's current version, or its
        version map does not cover the versions of the study's earlier waves.
    """
    name = check_text(str(name) if name is not None else None, "wave_name", "The wave name")
    inst = instrument if instrument is not None else store.instrument
    new_version = str(inst.version)
    new_key = _version_key(new_version, f"Instrument {inst.id}")
    try:
        with store.session() as session:
            st = _find_study(session, study)
            taken = session.scalars(
                select(Wave.id).where(Wave.study_id == st.id, Wave.name == name)
            ).first()
            if taken is not None:
                raise DataError(f"Study {st.name!r} has a wave {name!r} already; choose "
                                "another wave name. Nothing was changed.")
            if str(inst.id) != st.instrument_id:
                raise DataError(
                    f"Study {st.name!r} runs instrument {st.instrument_id}, not {inst.id}; "
                    "a different instrument is a different study. Nothing was changed."
                )
            current = st.instrument_version
            if str(inst.content_hash) == st.instrument_hash:
                raise DataError(
                    f"Study {st.name!r} runs instrument version {current} already; more "
                    "invitations on the same version go into a wave of their own with "
                    "'alliance-survey invite --wave NAME', not a new instrument wave. "
                    "Nothing was changed."
                )
            current_key = _version_key(current, f"Study {st.name!r}'s instrument")
            if new_key == current_key:
                raise DataError(
                    f"Instrument {inst.id} version {new_version} differs from the version "
                    f"{current} the study runs (content hash {str(inst.content_hash)[:12]} "
                    f"vs {st.instrument_hash[:12]}) but carries the same number; give the "
                    "changed instrument a new version number. Nothing was changed."
                )
            if new_key < current_key:
                raise DataError(
                    f"Instrument version {new_version} is older than version {current}, "
                    f"which study {st.name!r} runs now; a wave can only move to a newer "
                    "version. Nothing was changed."
                )
            waves = session.scalars(select(Wave).where(Wave.study_id == st.id)).all()
            earlier = {_wave_instrument(w, st)[1] for w in waves} | {current}
            problems = _pooling_problems(inst, earlier - {new_version})
            if problems:
                raise DataError(
                    f"Instrument version {new_version} cannot take over study {st.name!r}: "
                    + "; ".join(problems) + ". The answers of the earlier waves could not "
                    "be pooled with the new wave's. Nothing was changed."
                )
            now = utcnow()
            wave = Wave(study_id=st.id, name=name, created_at=now, instrument_id=str(inst.id),
                        instrument_version=new_version,
                        instrument_hash=str(inst.content_hash))
            session.add(wave)
            st.instrument_version = new_version
            st.instrument_hash = str(inst.content_hash)
            session.flush()
            return WaveInfo(study=st.name, name=wave.name, instrument_id=str(inst.id),
                            instrument_version=new_version,
                            instrument_hash=str(inst.content_hash), created_at=now,
                            n_invitations=0)
    except IntegrityError as exc:  # the same wave name opened concurrently
        raise DataError(f"Study {study!r} has a wave {name!r} already; choose another wave "
                        "name. Nothing was changed.") from exc
