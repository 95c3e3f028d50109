"""Read-only queries of the dashboard's detections and map pages (see :mod:`db.dashboard`).

The detections table is paged in SQL (``LIMIT``/``OFFSET`` after a count), each row carrying
its latest review from :func:`db.reviews.latest_reviews`, so a season of events never comes
to Python at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from db.dashboard import Scope, read_frame, scoped
from db.models import (
    Detection,
    Device,
    Recording,
    Review,
    Site,
)
from db.reviews import latest_reviews

UNREVIEWED = "unreviewed"
DETECTION_COLUMNS: tuple[str, ...] = (
    "id",
    "site",
    "device",
    "recorded_at",
    "utc_offset_min",
    "file",
    "label",
    "start_s",
    "end_s",
    "max_score",
    "verdict",
    "reviewer",
)


@dataclass(frozen=True)
class EventFilter:
    """Filters of the detections table beyond the page's :class:`~db.dashboard.Scope`."""

    device: str | None = None
    label: str | None = None
    score_min: float = 0.0
    score_max: float = 1.0
    review: str | None = None  # a Verdict value, "unreviewed", or None for all


@dataclass(frozen=True)
class EventAudio:
    """Where an event's audio is: the stored recording and the event's span in it."""

    detection_id: int
    path: str
    start_s: float
    end_s: float
    duration_s: float | None
    label: str
    max_score: float


def _events_query(
    scope: Scope, filters: EventFilter, columns: list, *, recordings: bool = True
) -> sa.Select:
    query = (
        select(*columns)
        .select_from(Detection)
        .where(
            Detection.model_version_id == (scope.model_version_id or -1),
            Detection.max_score >= filters.score_min,
            Detection.max_score <= filters.score_max,
        )
    )
    if recordings:
        query = query.join(Recording, Recording.id == Detection.recording_id)
    if filters.label:
        query = query.where(Detection.label == filters.label)
    if filters.device:
        devices = select(Device.id).where(Device.serial == filters.device)
        query = query.where(Recording.device_id.in_(devices))  # type: ignore[union-attr]
    if filters.review == UNREVIEWED:
        # Never reviewed (a reviewed event always has a latest verdict): an index lookup.
        query = query.where(~sa.exists().where(Review.detection_id == Detection.id))
    elif filters.review:
        verdicts = latest_reviews()
        query = query.where(
            Detection.id.in_(  # type: ignore[union-attr]
                select(verdicts.c.detection_id).where(verdicts.c.verdict == filters.review)
            )
        )
    return query


def detections_page(
    *, session: Session, scope: Scope, filters: EventFilter, offset: int, limit: int
) -> tuple[pd.DataFrame, int]:
    """One page of the model's events in scope, newest first, and how many match in all.

    The page is read newest recording first through the recordings' time index, so it
    stops after ``offset + limit`` events; its latest reviews are looked up for those only.

    Returns
    -------
    tuple
        ``(frame, total)``: columns :data:`DETECTION_COLUMNS` (``verdict`` is ``None`` when
        unreviewed), and the number of matching events.
    """
    # Counted from the events alone when nothing about their recordings is asked.
    by_recording = bool(scope.sites or scope.date_from or scope.date_to or filters.device)
    count = _events_query(scope, filters, [sa.func.count(Detection.id)], recordings=by_recording)
    if by_recording:
        count = scoped(count, session, scope, timed=False)
    total = int(session.exec(count).one())
    ids = _events_query(scope, filters, [Detection.id]).order_by(
        Recording.recorded_at.desc(),  # type: ignore[union-attr]
        Detection.start_s,
        Detection.id,
    )
    page = scoped(ids, session, scope, timed=False).offset(offset).limit(limit).subquery("page")
    latest = latest_reviews()
    query = (
        select(
            Detection.id,
            Site.name,
            Device.serial,
            Recording.recorded_at,
            Recording.utc_offset_min,
            Recording.path,
            Detection.label,
            Detection.start_s,
            Detection.end_s,
            Detection.max_score,
            latest.c.verdict,
            latest.c.reviewer,
        )
        .select_from(page)
        .join(Detection, Detection.id == page.c.id)
        .join(Recording, Recording.id == Detection.recording_id)
        .outerjoin(Site, Site.id == Recording.site_id)
        .outerjoin(Device, Device.id == Recording.device_id)
        .outerjoin(latest, latest.c.detection_id == Detection.id)
        .order_by(Recording.recorded_at.desc(), Detection.start_s, Detection.id)  # type: ignore[union-attr]
    )
    frame = read_frame(session, query, list(DETECTION_COLUMNS))
    frame["verdict"] = frame["verdict"].map(lambda v: getattr(v, "value", v))
    return frame, total


def event_labels(*, session: Session, scope: Scope) -> list[str]:
    """The labels the model's events carry (for the label filter)."""
    query = (
        select(Detection.label)
        .where(Detection.model_version_id == (scope.model_version_id or -1))
        .distinct()
        .order_by(Detection.label)
    )
    return list(session.exec(query).all())


def event_audio(*, session: Session, detection_id: int) -> EventAudio | None:
    """The recording and span of a stored event; ``None`` when there is no such event."""
    row = session.exec(
        select(
            Detection.id,
            Recording.path,
            Detection.start_s,
            Detection.end_s,
            Recording.duration_s,
            Detection.label,
            Detection.max_score,
        )
        .join(Recording, Recording.id == Detection.recording_id)
        .where(Detection.id == detection_id)
    ).first()
    return None if row is None else EventAudio(*row)


def last_calls(*, session: Session, scope: Scope) -> pd.DataFrame:
    """Per site: ``site``, ``last_call_at`` (UTC start of its newest recording with a call).

    Each site's recordings are read newest first through its time index until one has an
    event of a target label (usually the first few).
    """
    if scope.model_version_id is None or not scope.target_labels:
        return pd.DataFrame(columns=["site", "last_call_at"])
    called = sa.exists().where(
        Detection.recording_id == Recording.id,
        Detection.model_version_id == scope.model_version_id,
        Detection.label.in_(scope.target_labels),  # type: ignore[attr-defined]
    )
    newest = (
        scoped(
            select(Recording.recorded_at).where(Recording.site_id == Site.id, called),
            session,
            scope,
        )
        .order_by(Recording.recorded_at.desc())  # type: ignore[union-attr]
        .limit(1)
        .scalar_subquery()
    )
    query = select(Site.name, newest)
    if scope.sites:
        query = query.where(Site.name.in_(scope.sites))  # type: ignore[attr-defined]
    rows = [(name, at) for name, at in session.exec(query).all() if at is not None]
    frame = pd.DataFrame(rows, columns=["site", "last_call_at"])
    frame["last_call_at"] = pd.to_datetime(frame["last_call_at"], utc=True)
    return frame
