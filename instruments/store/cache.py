"""Finished analyses kept in the store, so that a refresh or a second study lead sees them.

An entry is keyed by a SHA-256 the caller derives from everything the result depends on
(the data fingerprint, seed, bootstrap draws, estimator, software versions); the store
only keeps the finished report and analysis (JSON) under it.  Nothing here knows how the
analysis is made: the analyst's page computes the key and the result.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from analysis.errors import ResponseError
from instruments.store.exclusions import AnalysisExclusion
from instruments.store.models import (
    AnalysisCache,
    Answer,
    Invitation,
    PageSubmission,
    Respondent,
    Study,
    Wave,
)

__all__ = ["CachedAnalysis", "data_marker", "find", "forget", "get", "mark", "put"]


@dataclass(frozen=True)
class CachedAnalysis:
    """One cached analysis."""

    report_html: str
    analysis: dict[str, Any]
    data_sha256: str
    settings: dict[str, Any]
    seconds: float
    created_at: datetime


def _study_id(session: Any, study: str) -> int:
    sid = session.execute(select(Study.id).where(Study.name == study)).scalar_one_or_none()
    if sid is None:
        raise ResponseError(f"Study {study!r} does not exist.")
    return int(sid)


def data_marker(store: Any, study: str) -> str:
    """A fingerprint of every stored row the study's analysis input is read from, found
    without laying the study out (a few indexed reads; milliseconds where the wide view of
    a study of a few hundred respondents takes most of a second).

    It changes with any page submitted (answers and page submissions are only ever added,
    and erased only with their respondent), any completion, screening, withdrawal or
    erasure (the respondent's and invitation's rows), any exclusion or its reversal, any
    invitation created or changed, and the study's and any wave's instrument; plus the
    instrument this store lays the data out with.  Equal markers mean the same input; the
    analyst's page still keys results by the data fingerprint and uses the marker only to
    find them.
    """
    h = hashlib.sha256()

    def feed(rows: Any) -> None:
        for row in rows:
            h.update(repr(tuple(row)).encode())
        h.update(b"|")

    with store._sessions() as s:
        sid = _study_id(s, study)
        feed(s.execute(select(Wave.id, Wave.instrument_id, Wave.instrument_version,
                              Wave.instrument_hash).where(Wave.study_id == sid)
                       .order_by(Wave.id)))  # fmt: skip
        feed(s.execute(select(Invitation.id, Invitation.wave_id, Invitation.alliance_id,
                              Invitation.firm_role, Invitation.language, Invitation.status,
                              Invitation.is_test).where(Invitation.study_id == sid)
                       .order_by(Invitation.id)))  # fmt: skip
        mine = select(Respondent.id).join(Invitation, Respondent.invitation_id == Invitation.id)
        mine = mine.where(Invitation.study_id == sid)
        feed(s.execute(select(Respondent.id, Respondent.invitation_id, Respondent.current_page,
                              Respondent.started_at, Respondent.completed_at,
                              Respondent.withdrawn_at).where(Respondent.id.in_(mine))
                       .order_by(Respondent.id)))  # fmt: skip
        feed(s.execute(select(AnalysisExclusion.id, AnalysisExclusion.invitation_id,
                              AnalysisExclusion.restored_at)
                       .where(AnalysisExclusion.study_id == sid)
                       .order_by(AnalysisExclusion.id)))  # fmt: skip
        for table in (PageSubmission, Answer):
            feed(s.execute(select(func.count(table.id), func.max(table.id), func.sum(table.id))
                           .where(table.respondent_id.in_(mine))))  # fmt: skip
        feed(s.execute(select(Study.instrument_id, Study.instrument_version,
                              Study.instrument_hash).where(Study.id == sid)))  # fmt: skip
    h.update(str(store.instrument.content_hash).encode())
    return h.hexdigest()


def find(store: Any, marker_key: str) -> CachedAnalysis | None:
    """The analysis last shown for ``marker_key`` (see :func:`mark`), or None."""
    with store._sessions() as s:
        row = s.execute(select(AnalysisCache).where(AnalysisCache.data_marker == marker_key)
                        .order_by(AnalysisCache.id.desc()).limit(1)).scalar_one_or_none()
        return None if row is None else _cached(row)


def mark(store: Any, key: str, marker_key: str) -> None:
    """Remember that the analysis under ``key`` is the one for ``marker_key``."""
    with store._sessions() as s:
        s.execute(update(AnalysisCache).where(AnalysisCache.cache_key == key)
                  .values(data_marker=marker_key))  # fmt: skip
        s.commit()


def _cached(row: AnalysisCache) -> CachedAnalysis:
    return CachedAnalysis(report_html=row.report_html, analysis=json.loads(row.analysis_json),
                          data_sha256=row.data_sha256, settings=json.loads(row.settings),
                          seconds=float(row.seconds), created_at=row.created_at)


def get(store: Any, key: str) -> CachedAnalysis | None:
    """The analysis cached under ``key``, or None (one indexed read)."""
    with store._sessions() as s:
        row = s.execute(select(AnalysisCache).where(AnalysisCache.cache_key == key)
                        ).scalar_one_or_none()
        return None if row is None else _cached(row)


def put(store: Any, study: str, key: str, *, report_html: str, analysis: dict[str, Any],
        data_sha256: str, settings: dict[str, Any], seconds: float,
        marker_key: str | None = None) -> None:
    """Keep a finished analysis under ``key`` (a second writer of the same key is a no-op:
    the same inputs give the same result), found also by ``marker_key`` when given."""
    text = json.dumps(analysis, allow_nan=True, default=str)
    with store._sessions() as s:
        try:
            s.add(AnalysisCache(study_id=_study_id(s, study), cache_key=key,
                                data_sha256=data_sha256,
                                settings=json.dumps(settings, sort_keys=True),
                                report_html=report_html, analysis_json=text,
                                seconds=float(seconds), created_at=datetime.now(UTC),
                                data_marker=marker_key))
            s.commit()
        except IntegrityError:
            s.rollback()


def forget(store: Any, study: str) -> int:
    """Drop every cached analysis of ``study``; returns how many were dropped."""
    with store._sessions() as s:
        n = s.execute(delete(AnalysisCache).where(
            AnalysisCache.study_id == _study_id(s, study))).rowcount
        s.commit()
        return int(n or 0)
