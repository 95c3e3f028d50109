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
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from core.errors import ConfigError
from core.report.ranges import NightsMode
from core.report.tables import ReportMeta
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
    Device,
    Recording,
    Site,
)
from db.report_frames import (
    detections_frame,
    device_display,
    in_window,
    recordings_frame,
    utc_window,
    window_summary_frame,
)

__all__ = [
    "SiteReportData",
    "decision_of",
    "detections_frame",
    "device_display",
    "list_site_names",
    "list_sites",
    "load_site_report",
    "model_band_hz",
    "model_tag",
    "recordings_frame",
    "require_site",
    "resolve_model_version",
    "split_model_tag",
    "utc_window",
    "window_summary_frame",
]

logger = logging.getLogger(__name__)


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
    recorded = in_window(
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
