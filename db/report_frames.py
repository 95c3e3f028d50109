"""The frames behind the site report and the survey: recordings, events, window scores.

Each function takes ``session=`` (keyword-only), reads one site for one model version in a
UTC window (:func:`utc_window`), and returns a DataFrame in the shape
:mod:`core.report.meta` describes; nothing here writes.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from core.report.meta import DETECTION_COLUMNS, RECORDING_COLUMNS
from db.models import (
    Detection,
    DetectionRun,
    Device,
    ModelVersion,
    Recording,
    RecordingStatus,
    WindowScore,
)
from db.reviews import latest_reviews

logger = logging.getLogger(__name__)

# Any recorder's offset from UTC lies within this; the SQL window is widened by it.
_MAX_OFFSET = timedelta(hours=14)
# Why a recording's time cannot be right (a clock never set), where the schema has it: such
# recordings are listed but placed in no night.
_CLOCK_ISSUE = getattr(Recording, "clock_issue", sa.null().label("clock_issue"))


def utc_window(date_from: date | None, date_to: date | None) -> tuple[datetime | None, ...]:
    """UTC bounds that surely contain the nights ``date_from``..``date_to`` at any offset."""
    start = end = None
    if date_from is not None:
        start = datetime.combine(date_from, time(12), UTC) - _MAX_OFFSET
    if date_to is not None:
        end = datetime.combine(date_to + timedelta(days=1), time(12), UTC) + _MAX_OFFSET
    return start, end


def in_window(query: Any, start: datetime | None, end: datetime | None) -> Any:
    if start is not None:
        query = query.where(Recording.recorded_at >= start)
    if end is not None:
        query = query.where(Recording.recorded_at < end)
    return query


def device_display(serial: str | None, recorder: str | None) -> str:
    """``AudioMoth 249BC30461CBB1E6``: the recorder's make and serial, as its header names it."""
    if not serial:
        return ""
    if recorder and not recorder.endswith(serial):
        return f"{recorder} {serial}"
    return recorder or serial


def recordings_frame(
    *,
    session: Session,
    site_id: int,
    model_version_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """The site's recordings with their run for the model (columns of ``RECORDING_COLUMNS``).

    ``status`` is the model's run status (``done``, ``failed``, ``pending``...), or the
    recording's own when the model never queued it (an unreadable file); ``analysed`` is
    ``status == "done"``.
    """
    query = (
        select(
            Recording.id,
            Recording.path,
            Device.serial,
            Device.recorder,
            Recording.recorded_at,
            Recording.utc_offset_min,
            Recording.temperature_c,
            Recording.duration_s,
            Recording.status,
            Recording.error,
            DetectionRun.status,
            DetectionRun.error,
            _CLOCK_ISSUE,
        )
        .outerjoin(Device, Device.id == Recording.device_id)
        .outerjoin(
            DetectionRun,
            sa.and_(
                DetectionRun.recording_id == Recording.id,
                DetectionRun.model_version_id == model_version_id,
            ),
        )
        .where(Recording.site_id == site_id)
    )
    if start is not None or end is not None:
        query = in_window(query, start, end)
    rows = []
    for row in session.exec(query).all():
        rid, path, serial, recorder, at, offset, temp, dur, rstat, rerr, stat, err, clock = row
        status = stat or rstat
        rows.append(
            {
                "recording_id": rid,
                "file_name": path,
                "device_id": device_display(serial, recorder),
                "recorded_at": at,
                "utc_offset_min": offset,
                "temperature_c": temp,
                "duration_s": dur,
                "status": str(status.value if hasattr(status, "value") else status or ""),
                "analysed": stat == RecordingStatus.DONE,
                "error": err if stat is not None else rerr,
                "clock_issue": clock or None,
            }
        )
    return pd.DataFrame(rows, columns=[*RECORDING_COLUMNS, "error", "clock_issue"])


def detections_frame(
    *,
    session: Session,
    site_id: int,
    model_version_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """The model's events at the site, each with its latest review (``DETECTION_COLUMNS``)."""
    latest = latest_reviews()
    query = (
        select(
            Detection.id,
            Detection.recording_id,
            Detection.start_s,
            Detection.end_s,
            Detection.label,
            Detection.max_score,
            Detection.mean_score,
            latest.c.verdict,
            latest.c.reviewer,
            latest.c.reviewed_at,
            latest.c.note,
        )
        .join(Recording, Recording.id == Detection.recording_id)
        .outerjoin(latest, latest.c.detection_id == Detection.id)
        .where(Recording.site_id == site_id, Detection.model_version_id == model_version_id)
        .order_by(Detection.recording_id, Detection.start_s, Detection.label)
    )
    query = in_window(query, start, end)
    rows = [dict(zip(DETECTION_COLUMNS, row, strict=True)) for row in session.exec(query).all()]
    frame = pd.DataFrame(rows, columns=list(DETECTION_COLUMNS))
    # Verdicts arrive as enum members; the report wants their plain text.
    frame["verdict"] = frame["verdict"].map(lambda v: getattr(v, "value", v))
    return frame


def window_summary_frame(
    *,
    session: Session,
    site_id: int,
    model_version: ModelVersion,
    labels: list[str],
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """Per recording and label: the highest window score and the number of positive windows.

    Aggregated in SQL (a season is millions of windows): the score of ``label`` is element
    ``labels.index(label)`` of each window's stored ``scores``.
    """
    order = list(model_version.labels)
    rows: list[dict[str, object]] = []
    for label in labels:
        if label not in order:
            continue
        score = WindowScore.scores[order.index(label)].as_float()
        positive = sa.case((sa.and_(WindowScore.positive, WindowScore.label == label), 1), else_=0)
        query = (
            select(WindowScore.recording_id, sa.func.max(score), sa.func.sum(positive))
            .join(Recording, Recording.id == WindowScore.recording_id)
            .where(Recording.site_id == site_id, WindowScore.model_version_id == model_version.id)
            .group_by(WindowScore.recording_id)
        )
        for rid, max_score, n_pos in session.exec(in_window(query, start, end)).all():
            rows.append(
                {
                    "recording_id": rid,
                    "label": label,
                    "max_score": None if max_score is None else float(max_score),
                    "positive_windows": int(n_pos or 0),
                }
            )
    return pd.DataFrame(rows, columns=["recording_id", "label", "max_score", "positive_windows"])
