"""Read-only queries behind the site report: one site, a range of nights, one model version.

Each function takes ``session=`` (keyword-only), reads, and returns plain DataFrames in the
shape :func:`core.report.tables.build_report` expects; nothing here writes. The date range is a
range of *nights* (evening dates, local time): the SQL keeps a UTC window wide enough for any
recorder offset (up to 14 h either side) and :mod:`core.report.tables` then applies the exact local
noon-to-noon boundaries per recording.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from core.errors import ConfigError
from core.report.ranges import NightsMode
from core.report.tables import DETECTION_COLUMNS, RECORDING_COLUMNS, ReportMeta
from db import crud
from db.model_versions import (
    decision_of,
    model_band_hz,
    model_tag,
    resolve_model_version,
    split_model_tag,
)
from db.models import (
    Deployment,
    Detection,
    DetectionRun,
    Device,
    ModelVersion,
    Recording,
    RecordingStatus,
    Site,
    WindowScore,
)
from db.reviews import latest_reviews

__all__ = [
    "SiteReportData",
    "decision_of",
    "detections_frame",
    "list_site_names",
    "list_sites",
    "load_site_report",
    "model_band_hz",
    "model_tag",
    "recordings_frame",
    "require_site",
    "resolve_model_version",
    "split_model_tag",
    "window_summary_frame",
]

logger = logging.getLogger(__name__)

# Any recorder's offset from UTC lies within this; the SQL window is widened by it.
_MAX_OFFSET = timedelta(hours=14)
# Why a recording's time cannot be right (a clock never set), where the schema has it: such
# recordings are listed but placed in no night.
_CLOCK_ISSUE = getattr(Recording, "clock_issue", sa.null().label("clock_issue"))


@dataclass(frozen=True)
class SiteReportData:
    """Everything :func:`core.report.tables.build_report` needs for one site, and the frequency
    band (Hz) the model listens to, for the Raven selections."""

    recordings: pd.DataFrame
    detections: pd.DataFrame
    window_summary: pd.DataFrame
    meta: ReportMeta
    band_hz: tuple[float, float] = (0.0, 8000.0)


def ranawatch_version() -> str:
    """The installed RanaWatch version (``unknown`` when run from an uninstalled tree)."""
    try:
        return version("ranawatch")
    except PackageNotFoundError:
        return "unknown"


def list_site_names(*, session: Session) -> list[str]:
    """Every site name, alphabetically."""
    return sorted(session.exec(select(Site.name)).all())


def list_sites(*, session: Session) -> list[tuple[int, str]]:
    """``(id, name)`` of every site, by id (the order sites were registered in)."""
    return [(int(i), n) for i, n in session.exec(select(Site.id, Site.name).order_by(Site.id))]


def require_site(*, session: Session, name: str) -> Site:
    """The site called ``name``.

    Raises
    ------
    ConfigError
        No such site; the message lists the sites there are.
    """
    site = crud.get_site(session=session, name=name)
    if site is None:
        known = ", ".join(list_site_names(session=session)) or "none yet (run ingest first)"
        raise ConfigError(f"no site named {name!r} in the database; known sites: {known}")
    return site


def utc_window(date_from: date | None, date_to: date | None) -> tuple[datetime | None, ...]:
    """UTC bounds that surely contain the nights ``date_from``..``date_to`` at any offset."""
    start = end = None
    if date_from is not None:
        start = datetime.combine(date_from, time(12), UTC) - _MAX_OFFSET
    if date_to is not None:
        end = datetime.combine(date_to + timedelta(days=1), time(12), UTC) + _MAX_OFFSET
    return start, end


def _in_range(query: Any, start: datetime | None, end: datetime | None) -> Any:
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
        query = _in_range(query, start, end)
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
    query = _in_range(query, start, end)
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
        for rid, max_score, n_pos in session.exec(_in_range(query, start, end)).all():
            rows.append(
                {
                    "recording_id": rid,
                    "label": label,
                    "max_score": None if max_score is None else float(max_score),
                    "positive_windows": int(n_pos or 0),
                }
            )
    return pd.DataFrame(rows, columns=["recording_id", "label", "max_score", "positive_windows"])


def site_devices(
    *, session: Session, site_id: int, start: datetime | None, end: datetime | None
) -> list[str]:
    """Devices deployed at the site during the window, or that recorded there in it."""
    deployed = select(Device.serial, Device.recorder).join(
        Deployment, Deployment.device_id == Device.id
    )
    deployed = deployed.where(Deployment.site_id == site_id)
    if end is not None:
        deployed = deployed.where(Deployment.start_at < end)
    if start is not None:
        deployed = deployed.where(
            sa.or_(Deployment.end_at.is_(None), Deployment.end_at > start)  # type: ignore[union-attr]
        )
    recorded = _in_range(
        select(Device.serial, Device.recorder)
        .join(Recording, Recording.device_id == Device.id)
        .where(Recording.site_id == site_id),
        start,
        end,
    )
    found = set(session.exec(deployed).all()) | set(session.exec(recorded).all())
    return sorted(device_display(serial, recorder) for serial, recorder in found)


def load_site_report(
    *,
    session: Session,
    site: str,
    date_from: date | None = None,
    date_to: date | None = None,
    model: str | None = None,
    generated_at: datetime | None = None,
    nights: NightsMode = "range",
    season: str | None = None,
) -> SiteReportData:
    """Everything the report of one site needs, read in one session.

    Parameters
    ----------
    site
        Site name.
    date_from, date_to
        First and last night (evening dates, inclusive); ``None``: open-ended.
    model
        ``NAME:VERSION`` (or ``NAME``); ``None``: see :func:`resolve_model_version`.
    generated_at
        Stamp for the About sheet (default: now, UTC).
    nights, season
        The Nights sheet's control (every night of the range, or recorded nights only) and
        the season the range came from, for the About sheet (see :class:`ReportMeta`).

    Raises
    ------
    ConfigError
        Unknown site or model, or ``date_from`` after ``date_to``.
    """
    if date_from and date_to and date_from > date_to:
        raise ConfigError(f"--from {date_from} is after --to {date_to}: swap them")
    site_row = require_site(session=session, name=site)
    assert site_row.id is not None
    mv = resolve_model_version(session=session, model=model, site_id=site_row.id)
    assert mv.id is not None
    start, end = utc_window(date_from, date_to)
    targets, thresholds, rule = decision_of(mv)
    window = {"session": session, "site_id": site_row.id, "start": start, "end": end}
    meta = ReportMeta(
        site_name=site_row.name,
        model_name=mv.name,
        model_version=mv.version,
        latitude=site_row.latitude,
        longitude=site_row.longitude,
        devices=tuple(site_devices(**window)),
        date_from=date_from,
        date_to=date_to,
        checkpoint_sha256=mv.checkpoint_sha256,
        thresholds=thresholds,
        decision_rule=rule,
        target_labels=tuple(targets),
        generated_at=generated_at or datetime.now(UTC),
        ranawatch_version=ranawatch_version(),
        nights=nights,
        season=season,
    )
    data = SiteReportData(
        recordings=recordings_frame(model_version_id=mv.id, **window),
        detections=detections_frame(model_version_id=mv.id, **window),
        window_summary=window_summary_frame(model_version=mv, labels=targets, **window),
        meta=meta,
        band_hz=model_band_hz(mv),
    )
    logger.info(
        "site %s, model %s: %d recordings, %d events",
        site_row.name,
        meta.model_tag,
        len(data.recordings),
        len(data.detections),
    )
    return data
