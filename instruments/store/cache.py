"""Finished analyses kept in the store, so that a refresh or a second study lead sees them.

An entry is keyed by a SHA-256 the caller derives from everything the result depends on
(the data fingerprint, seed, bootstrap draws, estimator, software versions); the store
only keeps the finished report and analysis (JSON) under it.  Nothing here knows how the
analysis is made: the analyst's page computes the key and the result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from analysis.errors import ResponseError
from instruments.store.models import AnalysisCache, Study

__all__ = ["CachedAnalysis", "forget", "get", "put"]


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


def get(store: Any, key: str) -> CachedAnalysis | None:
    """The analysis cached under ``key``, or None (one indexed read)."""
    with store._sessions() as s:
        row = s.execute(select(AnalysisCache).where(AnalysisCache.cache_key == key)
                        ).scalar_one_or_none()
        if row is None:
            return None
        return CachedAnalysis(report_html=row.report_html,
                              analysis=json.loads(row.analysis_json),
                              data_sha256=row.data_sha256, settings=json.loads(row.settings),
                              seconds=float(row.seconds), created_at=row.created_at)


def put(store: Any, study: str, key: str, *, report_html: str, analysis: dict[str, Any],
        data_sha256: str, settings: dict[str, Any], seconds: float) -> None:
    """Keep a finished analysis under ``key`` (a second writer of the same key is a no-op:
    the same inputs give the same result)."""
    text = json.dumps(analysis, allow_nan=True, default=str)
    with store._sessions() as s:
        try:
            s.add(AnalysisCache(study_id=_study_id(s, study), cache_key=key,
                                data_sha256=data_sha256,
                                settings=json.dumps(settings, sort_keys=True),
                                report_html=report_html, analysis_json=text,
                                seconds=float(seconds), created_at=datetime.now(UTC)))
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
