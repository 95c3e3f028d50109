"""The dashboard's sums per site and night, kept exact as recordings, results and reviews
are written.

A season is hundreds of thousands of recordings and events; summing them for every page
view took seconds. The sums tables (:class:`~db.models.ActivityHour`,
:class:`~db.models.ActivityDegree`, :class:`~db.models.DeviceNight`) hold them per site and
night instead, and the dashboard reads those (thousands of rows).

They are kept by recomputing: every write that changes what they count (a recording stored,
re-read or forgotten, a run's results saved, an event's first review) ends with
:func:`refresh_sums` of the (site, night) *units* it touched, in the writer's transaction.
A unit is a few dozen recordings (a dozen small statements), and the rows of a unit are
always exactly what its source rows sum to: no increment can drift or be lost.

Concurrent writers: on PostgreSQL each unit is locked for the rest of the transaction
(``pg_advisory_xact_lock``, the units of one refresh in one order) before it is recomputed,
so a second writer of the same night recomputes after the first has committed and sees its
rows (READ COMMITTED takes a new snapshot per statement); writers of other nights do not
wait. Ingest and detect write one file per transaction, so the lock is held for
milliseconds. SQLite lets one writer at a time. Rows written around these functions (a bulk
load) need :func:`refresh_sums` without units afterwards, which recomputes everything.

The arithmetic (a unit's rows from its source rows, and how minutes with calls count) is
:mod:`db.activity_computation`'s; this module reads the source rows, locks and writes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from db.activity_computation import SourceRecording, compute_sums
from db.models import RECORDING_HOUR as HOUR
from db.models import RECORDING_NIGHT as NIGHT
from db.models import (
    ActivityDegree,
    ActivityHour,
    Detection,
    DetectionRun,
    DeviceNight,
    ModelVersion,
    Recording,
    RecordingStatus,
    Review,
)

# A site (None: recordings without one) and a night: what one recomputation covers.
Unit = tuple[int | None, date]
SUM_TABLES = (ActivityHour, ActivityDegree, DeviceNight)


def recording_units(*, session: Session, recording_ids: Iterable[int]) -> set[Unit]:
    """The (site, night) units of these recordings (those on a night)."""
    ids = sorted(set(recording_ids))
    if not ids:
        return set()
    rows = session.execute(
        select(Recording.site_id, NIGHT).where(
            Recording.id.in_(ids),  # type: ignore[union-attr]
            NIGHT.is_not(None),
        )
    ).all()
    return {(site_id, _as_date(night)) for site_id, night in rows}


def refresh_recordings(*, session: Session, recording_ids: Iterable[int]) -> None:
    """Recompute the sums of the units these recordings are on now (see :func:`refresh_sums`)."""
    refresh_sums(
        session=session, units=recording_units(session=session, recording_ids=recording_ids)
    )


def refresh_sums(*, session: Session, units: Iterable[Unit] | None = None) -> None:
    """Recompute the sums of ``units`` from their source rows, in the caller's transaction.

    Parameters
    ----------
    units
        (site id, night) pairs to recompute; ``None``: every unit (after a bulk load, or to
        repair the sums after rows were written around :mod:`db`). On PostgreSQL the units
        (or, for ``None``, the sums tables) stay locked until the transaction ends.
    """
    if units is not None:
        chosen = sorted(set(units), key=_lock_key)
        if not chosen:
            return
        _lock(session, chosen)
    else:
        chosen = []
        if session.get_bind().dialect.name == "postgresql":
            names = ", ".join(table.__tablename__ for table in SUM_TABLES)  # type: ignore[attr-defined]
            session.execute(sa.text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
    for table in SUM_TABLES:
        stmt = sa.delete(table)
        if chosen:
            stmt = stmt.where(_in_units(chosen, table.site_id, table.night))  # type: ignore[attr-defined]
        session.execute(stmt)
    sums = source_sums(session=session, units=chosen if units is not None else None)
    for table, rows in zip(SUM_TABLES, sums, strict=True):
        for chunk in _chunks(rows):
            session.execute(sa.insert(table.__table__), chunk)  # type: ignore[attr-defined]


def source_sums(
    *, session: Session, units: Iterable[Unit] | None = None
) -> tuple[list[dict], list[dict], list[dict]]:
    """What the sums tables hold for ``units`` (``None``: all), computed from the source rows
    (recordings, finished runs, events, reviews, model versions); nothing is written.

    Returns
    -------
    tuple of lists of dict
        Rows of ``activity_hours``, ``activity_degrees`` and ``device_nights`` (without ids).
    """
    chosen = None if units is None else list(units)
    if chosen == []:
        return [], [], []
    if chosen is None:
        recordings = _recordings(session, NIGHT.is_not(None))
        # Every recording on a night: its runs and events through a subquery.
        of: Any = select(Recording.id).where(NIGHT.is_not(None))
    else:
        recordings = _recordings(session, _in_units(chosen, Recording.site_id, NIGHT))
        # A few dozen: their runs and events by id (a join to recordings took the planner
        # longer than the queries).
        of = [rec.id for rec in recordings]
    return compute_sums(recordings, _runs(session, of), _events(session, of), _targets(session))


def _recordings(session: Session, where: Any) -> list[SourceRecording]:
    query = (
        select(
            Recording.id,
            Recording.site_id,
            NIGHT,
            HOUR,
            Recording.device_id,
            Recording.duration_s,
            Recording.temperature_c,
            Recording.latitude,
            Recording.longitude,
            Recording.recorded_at,
            Recording.ingested_at,
        )
        .where(where)
        .order_by(Recording.id)  # type: ignore[arg-type]
    )
    return [
        SourceRecording(rid, site, _as_date(night), int(hour), *rest)
        for rid, site, night, hour, *rest in session.execute(query)
    ]


def _runs(session: Session, recording_ids: Any) -> list[tuple[int, int]]:
    query = select(DetectionRun.recording_id, DetectionRun.model_version_id).where(
        DetectionRun.status == RecordingStatus.DONE,
        DetectionRun.recording_id.in_(recording_ids),  # type: ignore[attr-defined]
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def _events(session: Session, recording_ids: Any) -> list[tuple[int, int, str, float, float, bool]]:
    reviewed = sa.exists().where(Review.detection_id == Detection.id)
    query = select(
        Detection.recording_id,
        Detection.model_version_id,
        Detection.label,
        Detection.start_s,
        Detection.end_s,
        reviewed,
    ).where(Detection.recording_id.in_(recording_ids))  # type: ignore[attr-defined]
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def _targets(session: Session) -> dict[int, frozenset[str]]:
    # Imported here: db.model_versions uses db.crud, which keeps these sums.
    from db.model_versions import decision_of

    return {
        mv.id: frozenset(decision_of(mv)[0])  # type: ignore[misc]
        for mv in session.exec(select(ModelVersion)).all()
    }


def _in_units(units: list[Unit], site_column: Any, night_column: Any) -> sa.ColumnElement[bool]:
    return sa.or_(
        *(
            sa.and_(
                site_column.is_(None) if site_id is None else site_column == site_id,
                night_column == night,
            )
            for site_id, night in units
        )
    )


def _lock_key(unit: Unit) -> int:
    # A stable signed 64-bit key per unit (PostgreSQL's advisory lock space).
    digest = hashlib.blake2b(f"ranawatch-sums:{unit[0]}:{unit[1]}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _lock(session: Session, units: list[Unit]) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for unit in units:
        key = sa.cast(sa.literal(_lock_key(unit)), sa.BigInteger)
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _chunks(rows: list[dict], n: int = 5000) -> Iterator[list[dict]]:
    for i in range(0, len(rows), n):
        yield rows[i : i + n]
