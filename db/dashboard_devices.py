"""Read-only queries of the dashboard's device page (see :mod:`db.dashboard`): each
recorder's nights, schedules, failed files and when it was last seen."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from db.dashboard import NIGHT, Scope, as_date, in_scope, read_frame, scoped
from db.models import Deployment, Device, DeviceNight, Recording, RecordingStatus, Site
from db.reports import device_display


def device_nights(*, session: Session, scope: Scope, device_id: int) -> pd.DataFrame:
    """One device per night: ``night``, ``site_id`` (where it recorded that night),
    ``first_at`` (its first recording, UTC), ``recordings``, ``minutes_recorded``,
    ``battery_v`` (lowest), ``temperature_c`` (mean), ``temperature_min``,
    ``temperature_max``."""
    night = NIGHT.label("night")
    query = (
        select(
            night,
            sa.func.max(Recording.site_id),
            sa.func.min(Recording.recorded_at),
            sa.func.count(Recording.id),
            sa.func.coalesce(sa.func.sum(Recording.duration_s), 0.0) / 60.0,
            sa.func.min(Recording.battery_v),
            sa.func.avg(Recording.temperature_c),
            sa.func.min(Recording.temperature_c),
            sa.func.max(Recording.temperature_c),
        )
        .where(Recording.device_id == device_id)
        .group_by(night)
        .order_by(night)
    )
    columns = [
        "night",
        "site_id",
        "first_at",
        "recordings",
        "minutes_recorded",
        "battery_v",
        "temperature_c",
        "temperature_min",
        "temperature_max",
    ]
    frame = read_frame(session, scoped(query, session, scope), columns)
    frame["night"] = frame["night"].map(as_date)
    frame["first_at"] = pd.to_datetime(frame["first_at"], utc=True)
    for column in columns[4:]:
        frame[column] = frame[column].astype(float)
    return frame


def recording_schedules(
    *, session: Session, device_id: int
) -> tuple[pd.DataFrame, dict[int, dict]]:
    """The schedules the sites file declared for a device: its deployments (``start_at``,
    ``end_at``, ``schedule``; a schedule is ``None`` where none was declared) and every
    site's schedule by site id (sites without one left out)."""
    deployments = read_frame(
        session,
        select(Deployment.start_at, Deployment.end_at, Deployment.schedule)
        .where(Deployment.device_id == device_id)
        .order_by(Deployment.start_at),
        ["start_at", "end_at", "schedule"],
    )
    for column in ("start_at", "end_at"):
        deployments[column] = pd.to_datetime(deployments[column], utc=True)
    sites = {
        site_id: schedule
        for site_id, schedule in session.exec(
            select(Site.id, Site.schedule).where(Site.schedule.is_not(None))  # type: ignore[union-attr]
        )
        if schedule
    }
    return deployments, sites


def failed_files(
    *, session: Session, scope: Scope, device_id: int | None, limit: int = 200
) -> pd.DataFrame:
    """Recordings stored as failed (unreadable) and why, newest first: ``file``, ``device``,
    ``recorded_at``, ``ingested_at``, ``error``."""
    query = (
        select(
            Recording.path,
            Device.serial,
            Device.recorder,
            Recording.recorded_at,
            Recording.ingested_at,
            Recording.error,
        )
        .outerjoin(Device, Device.id == Recording.device_id)
        .where(Recording.status == RecordingStatus.FAILED)
        .order_by(Recording.ingested_at.desc())  # type: ignore[union-attr]
        .limit(limit)
    )
    if device_id is not None:
        query = query.where(Recording.device_id == device_id)
    rows = [
        (path, device_display(serial, recorder), at, ingested, error)
        for path, serial, recorder, at, ingested, error in session.exec(
            scoped(query, session, scope, timed=False)
        )
    ]
    return pd.DataFrame(rows, columns=["file", "device", "recorded_at", "ingested_at", "error"])


def device_table(*, session: Session, scope: Scope) -> pd.DataFrame:
    """Per device in scope: where it recorded, its mean position and when it was last seen.

    Read from the sums per device and night (:mod:`db.activity_sums`), the few recordings on
    no night (counted when no dates are chosen) and the failed ones (through their status
    index), not from every recording.

    Columns ``device_id`` (row id), ``device``, ``site``, ``latitude``, ``longitude`` (means of
    the positions its recordings carry, else ``NaN``), ``recordings``, ``failed``,
    ``first_at``, ``last_at`` (UTC), ``last_ingested_at``.
    """
    sums = DeviceNight
    parts = [
        in_scope(
            select(
                sums.device_id,
                sums.site_id,
                sums.recordings,
                sums.latitude_sum,
                sums.latitude_n,
                sums.longitude_sum,
                sums.longitude_n,
                sums.first_at,
                sums.last_at,
                sums.last_ingested_at,
            ),
            scope,
            sums.site_id,
            sums.night,
        )
    ]
    if scope.date_from is None and scope.date_to is None:
        # Recordings on no night (no time, or a clock never set) count without dates.
        lat, lon = Recording.latitude, Recording.longitude
        untimed = select(
            Recording.device_id,
            Recording.site_id,
            sa.literal(1),
            sa.func.coalesce(lat, 0.0),
            sa.case((lat.is_not(None), 1), else_=0),  # type: ignore[union-attr]
            sa.func.coalesce(lon, 0.0),
            sa.case((lon.is_not(None), 1), else_=0),  # type: ignore[union-attr]
            Recording.recorded_at,
            Recording.recorded_at,
            Recording.ingested_at,
        ).where(NIGHT.is_(None), Recording.device_id.is_not(None))  # type: ignore[union-attr]
        parts.append(scoped(untimed, session, scope, timed=False))
    rows = sa.union_all(*parts).subquery("device_sums")
    query = (
        select(
            Device.id,
            Device.serial,
            Device.recorder,
            sa.func.max(Site.name),
            sa.func.sum(rows.c.latitude_sum) / sa.func.nullif(sa.func.sum(rows.c.latitude_n), 0),
            sa.func.sum(rows.c.longitude_sum) / sa.func.nullif(sa.func.sum(rows.c.longitude_n), 0),
            sa.func.sum(rows.c.recordings),
            sa.func.min(rows.c.first_at),
            sa.func.max(rows.c.last_at),
            sa.func.max(rows.c.last_ingested_at),
        )
        .select_from(rows)
        .join(Device, Device.id == rows.c.device_id)
        .outerjoin(Site, Site.id == rows.c.site_id)
        .group_by(Device.id, Device.serial, Device.recorder)
        .order_by(Device.serial)
    )
    out = [
        (rid, device_display(serial, recorder), *rest)
        for rid, serial, recorder, *rest in session.execute(query)
    ]
    columns = ["device_id", "device", "site", "latitude", "longitude", "recordings"]
    frame = pd.DataFrame(out, columns=[*columns, "first_at", "last_at", "last_ingested_at"])
    # Failed files are few: counted through the status index.
    failed = scoped(
        select(Recording.device_id, sa.func.count(Recording.id))
        .where(Recording.status == RecordingStatus.FAILED)
        .group_by(Recording.device_id),
        session,
        scope,
        timed=False,
    )
    counts = dict(session.execute(failed).all())
    frame.insert(6, "failed", frame["device_id"].map(counts).fillna(0).astype(int))
    frame["recordings"] = frame["recordings"].astype(int)
    for column in ("latitude", "longitude"):
        frame[column] = frame[column].astype(float)
    for column in ("first_at", "last_at", "last_ingested_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def scope_devices(*, session: Session, scope: Scope) -> pd.DataFrame:
    """The devices with recordings in scope: ``device_id``, ``serial``, ``device`` (as shown),
    found with a lookup per device in the device index instead of reading every recording."""
    has_audio = scoped(
        select(Recording.id).where(Recording.device_id == Device.id).limit(1),
        session,
        scope,
        timed=False,
    ).exists()
    rows = session.exec(
        select(Device.id, Device.serial, Device.recorder).where(has_audio).order_by(Device.serial)
    ).all()
    return pd.DataFrame(
        [(rid, serial, device_display(serial, recorder)) for rid, serial, recorder in rows],
        columns=["device_id", "serial", "device"],
    )
