"""Reads and writes of sites, devices, recordings, model versions and the run log.

Every function is keyword-only and takes the ``session`` to work in; callers own the
transaction (``with session_scope(engine) as session: ...``). The detection work queue is in
:mod:`db.queue`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, select

from db.activity_sums import refresh_recordings
from db.models import (
    Deployment,
    Detection,
    DetectionRun,
    Device,
    DuplicateFile,
    FlowStatus,
    ModelVersion,
    Recording,
    RecordingStatus,
    RunLog,
    Site,
    utcnow,
)

EARTH_RADIUS_M = 6_371_008.8


def insert_for(session: Session, table: type[SQLModel]) -> Any:
    """An INSERT of the session's dialect, with ``on_conflict_do_nothing`` available."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


# --------------------------------------------------------------------------- sites, devices


def get_site(*, session: Session, name: str) -> Site | None:
    """The site called ``name``, or ``None``."""
    return session.exec(select(Site).where(Site.name == name)).first()


def upsert_site(
    *,
    session: Session,
    name: str,
    latitude: float | None = None,
    longitude: float | None = None,
    notes: str | None = None,
) -> Site:
    """Return the site ``name``, creating it; given coordinates and notes overwrite stored ones."""
    site = get_site(session=session, name=name)
    if site is None:
        site = Site(name=name)
    if latitude is not None and longitude is not None:
        site.latitude, site.longitude = latitude, longitude
    if notes is not None:
        site.notes = notes
    session.add(site)
    session.flush()
    return site


def get_or_create_device(
    *, session: Session, serial: str, recorder: str | None = None, label: str | None = None
) -> Device:
    """Return the device with this serial number, creating it when new."""
    device = session.exec(select(Device).where(Device.serial == serial)).first()
    if device is None:
        device = Device(serial=serial, recorder=recorder, label=label)
    else:
        device.recorder = device.recorder or recorder
        device.label = label or device.label
    session.add(device)
    session.flush()
    return device


def upsert_deployment(
    *,
    session: Session,
    device_id: int,
    site_id: int,
    start_at: datetime,
    end_at: datetime | None = None,
    notes: str | None = None,
) -> Deployment:
    """Record that a device was at a site from ``start_at`` (keyed by device and start)."""
    deployment = session.exec(
        select(Deployment).where(Deployment.device_id == device_id, Deployment.start_at == start_at)
    ).first() or Deployment(device_id=device_id, site_id=site_id, start_at=start_at)
    deployment.site_id, deployment.end_at = site_id, end_at
    deployment.notes = notes if notes is not None else deployment.notes
    session.add(deployment)
    session.flush()
    return deployment


def site_of_device_at(*, session: Session, device_id: int, at: datetime) -> Site | None:
    """The site a device was deployed at, at time ``at`` (the latest deployment that covers it)."""
    query = (
        select(Site)
        .join(Deployment, Deployment.site_id == Site.id)
        .where(
            Deployment.device_id == device_id,
            Deployment.start_at <= at,
            sa.or_(Deployment.end_at.is_(None), Deployment.end_at > at),  # type: ignore[union-attr]
        )
        .order_by(Deployment.start_at.desc())  # type: ignore[attr-defined]
    )
    return session.exec(query).first()


def nearest_site(
    *, session: Session, latitude: float, longitude: float, max_distance_m: float
) -> Site | None:
    """The site with coordinates nearest to a position, if within ``max_distance_m`` metres."""
    sites = session.exec(select(Site).where(Site.latitude.is_not(None))).all()  # type: ignore[union-attr]
    best: tuple[float, Site] | None = None
    for site in sites:
        assert site.latitude is not None and site.longitude is not None
        distance = haversine_m(latitude, longitude, site.latitude, site.longitude)
        if distance <= max_distance_m and (best is None or distance < best[0]):
            best = (distance, site)
    return best[1] if best else None


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two positions in decimal degrees, in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


# --------------------------------------------------------------------------- recordings


def get_recording_by_sha256(*, session: Session, sha256: str) -> Recording | None:
    """The recording with this content hash, or ``None``."""
    return session.exec(select(Recording).where(Recording.sha256 == sha256)).first()


def add_recording(*, session: Session, recording: Recording) -> Recording:
    """Store a new recording (flushed, so its ``id`` is set) and the sums of its night.

    Raises
    ------
    sqlalchemy.exc.IntegrityError
        Its path or content is already stored (e.g. by a concurrent ingest).
    """
    session.add(recording)
    session.flush()
    assert recording.id is not None
    refresh_recordings(session=session, recording_ids=[recording.id])
    return recording


def add_duplicate(
    *, session: Session, path: str, size_bytes: int, recording_id: int
) -> DuplicateFile:
    """Remember that ``path`` holds the same content as recording ``recording_id``."""
    duplicate = DuplicateFile(path=path, size_bytes=size_bytes, recording_id=recording_id)
    session.add(duplicate)
    session.flush()
    return duplicate


def list_recordings(
    *, session: Session, status: RecordingStatus | None = None, site: str | None = None
) -> Sequence[sa.Row[tuple[Recording, str | None, str | None]]]:
    """Recordings with their site name and device serial, in ingest order."""
    query = (
        select(Recording, Site.name, Device.serial)
        .outerjoin(Site, Recording.site_id == Site.id)  # type: ignore[arg-type]
        .outerjoin(Device, Recording.device_id == Device.id)  # type: ignore[arg-type]
        .order_by(Recording.id)  # type: ignore[arg-type]
    )
    if status is not None:
        query = query.where(Recording.status == status)
    if site is not None:
        query = query.where(Site.name == site)
    return session.exec(query).all()


def list_detections(
    *, session: Session, site: str | None = None, model_version_id: int | None = None
) -> Sequence[sa.Row[tuple[Detection, Recording, ModelVersion, str | None]]]:
    """Detections with their recording, model version and site name.

    In ingest order of the recordings, then by model version and start in the file.
    """
    query = (
        select(Detection, Recording, ModelVersion, Site.name)
        .join(Recording, Detection.recording_id == Recording.id)  # type: ignore[arg-type]
        .join(ModelVersion, Detection.model_version_id == ModelVersion.id)  # type: ignore[arg-type]
        .outerjoin(Site, Recording.site_id == Site.id)  # type: ignore[arg-type]
        .order_by(Recording.id, Detection.model_version_id, Detection.start_s, Detection.label)  # type: ignore[arg-type]
    )
    if site is not None:
        query = query.where(Site.name == site)
    if model_version_id is not None:
        query = query.where(Detection.model_version_id == model_version_id)
    return session.exec(query).all()


def count_runs_by_status(*, session: Session, model_version_id: int) -> dict[str, int]:
    """How many recordings are pending/processing/done/failed for a model version."""
    rows = session.exec(
        select(DetectionRun.status, sa.func.count())
        .where(DetectionRun.model_version_id == model_version_id)
        .group_by(DetectionRun.status)
    ).all()
    return {str(status): int(n) for status, n in rows}


# --------------------------------------------------------------------------- model versions


def get_or_create_model_version(
    *,
    session: Session,
    name: str,
    version: str,
    checkpoint_sha256: str,
    labels: list[str],
    settings: dict[str, Any],
) -> ModelVersion:
    """Return the model version (name, version, checkpoint hash), registering it when new.

    Safe when several workers start at once: the insert does nothing on conflict.
    """
    stmt = (
        insert_for(session, ModelVersion)
        .values(
            name=name,
            version=version,
            checkpoint_sha256=checkpoint_sha256,
            labels=labels,
            settings=settings,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["name", "version", "checkpoint_sha256"])
    )
    session.execute(stmt)
    return session.exec(
        select(ModelVersion).where(
            ModelVersion.name == name,
            ModelVersion.version == version,
            ModelVersion.checkpoint_sha256 == checkpoint_sha256,
        )
    ).one()


def find_model_versions(
    *, session: Session, name: str | None = None, version: str | None = None
) -> Sequence[ModelVersion]:
    """Model versions matching name and/or version, newest first."""
    query = select(ModelVersion).order_by(ModelVersion.id.desc())  # type: ignore[union-attr]
    if name is not None:
        query = query.where(ModelVersion.name == name)
    if version is not None:
        query = query.where(ModelVersion.version == version)
    return session.exec(query).all()


# --------------------------------------------------------------------------- run log


def start_run_log(*, session: Session, flow: str, flow_run_id: str | None = None) -> RunLog:
    """Open a run-log entry for a flow run that is starting."""
    entry = RunLog(flow=flow, flow_run_id=flow_run_id)
    session.add(entry)
    session.flush()
    return entry


def finish_run_log(
    *,
    session: Session,
    run_log_id: int,
    status: FlowStatus,
    counts: dict[str, int],
    message: str | None = None,
) -> RunLog:
    """Close a run-log entry with how the run ended and what it counted."""
    entry = session.get_one(RunLog, run_log_id)
    entry.status, entry.counts, entry.message = status, dict(counts), message
    entry.finished_at = utcnow()
    session.add(entry)
    session.flush()
    return entry
