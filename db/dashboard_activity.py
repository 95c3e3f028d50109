"""The dashboard's sums over a scope: effort and calls per site, night and hour, the
headline totals, and calling against temperature (see :mod:`db.dashboard` for the scope).

"Minutes with calls" counts each minute of a recording that an event of a target label
overlaps, weighted by how much audio that minute holds, so a 4-second recording with a call
counts 4/60 of a minute with calls and calls never exceed the audio.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from db.dashboard import (
    HOUR,
    NIGHT,
    Scope,
    as_date,
    dialect_of,
    floor_of,
    rolled_up,
    rollup,
    scoped,
    site_ids,
    with_site_names,
)
from db.models import Detection, DetectionRun, Device, Recording, RecordingStatus, Review


def _events_of(scope: Scope) -> list[sa.ColumnElement[bool]]:
    # The scope model's events of its target labels.
    return [
        Detection.model_version_id == scope.model_version_id,
        Detection.label.in_(scope.target_labels),  # type: ignore[attr-defined]
    ]


def _calls(session: Session, scope: Scope, keys: list[Any]) -> Any:
    """Per ``keys`` (columns of ``recordings``): minutes with calls, target events, and
    those never reviewed, in one pass over the scope's events.

    Minute ``k`` of a recording (``[60k, 60k + 60)`` s) has a call when a target event
    ``[start, end)`` overlaps it: ``60k < end`` and ``60k + 60 > start``, i.e.
    ``k = floor(start / 60) + j`` for ``j`` from 0 up to the longest event's span in minutes.
    Each such minute counts once, weighted by the audio it holds (the recording's end cuts
    the last one), so calls never exceed the audio. Each event is counted on its ``j = 0``
    row.
    """
    dialect = dialect_of(session)
    first = floor_of(Detection.start_s / 60.0, dialect)
    span = (
        select(sa.func.max(floor_of(Detection.end_s / 60.0, dialect) - first))
        .where(*_events_of(scope))
        .scalar_subquery()
    )
    j = select(sa.literal(0).label("j")).cte("minute_offsets", recursive=True)
    j = j.union_all(select(j.c.j + 1).where(j.c.j < span))
    k = first + j.c.j
    own = j.c.j == 0
    never_reviewed = ~sa.exists().where(Review.detection_id == Detection.id)
    per_minute = (
        select(
            *keys,
            sa.func.min(Recording.duration_s - k * 60).label("left"),
            sa.func.sum(sa.case((own, 1), else_=0)).label("events"),
            sa.func.sum(sa.case((sa.and_(own, never_reviewed), 1), else_=0)).label("awaiting"),
        )
        .select_from(Detection)
        .join(Recording, Recording.id == Detection.recording_id)
        .join(j, k * 60 < Detection.end_s)
        .where(*_events_of(scope))
        .group_by(*keys, Detection.recording_id, k)
    )
    minutes = scoped(per_minute, session, scope).subquery("call_minutes")
    left = minutes.c.left
    weight = sa.case((left <= 0, 0.0), (left < 60, left), else_=60.0)
    outer = [minutes.c[c.key] for c in keys]
    return select(
        *outer,
        sa.func.sum(weight) / 60.0,
        sa.func.sum(minutes.c.events),
        sa.func.sum(minutes.c.awaiting),
    ).group_by(*outer)


KEYS = ("site_id", "night", "hour")
EFFORT = ["recordings", "minutes_recorded", "minutes_analysed"]
CALLS = ["minutes_with_calls", "events", "awaiting_review"]


def activity_sets(
    *, session: Session, scope: Scope, sets: list[tuple[str, ...]]
) -> list[pd.DataFrame]:
    """Effort and calls in scope summed over each of ``sets``: the dashboard's sums, in SQL.

    Two grouped queries over the recordings in scope (effort; minutes with calls, events
    and those awaiting review), the first read from the night index (migration 0004); on
    PostgreSQL every set is summed in the same query (see :func:`db.dashboard.rolled_up`).

    Parameters
    ----------
    sets
        Each a tuple of ``site_id``, ``night``, ``hour`` (e.g. ``("site_id", "night")`` for
        one row per site and night, ``("site_id",)`` for one per site).

    Returns
    -------
    list of pandas.DataFrame
        One per set: its columns (``night`` a date, ``hour`` the local start hour 0-23), then
        :data:`ACTIVITY_COLUMNS`: ``recordings``, ``minutes_recorded``, ``minutes_analysed``
        (audio the model finished), ``minutes_with_calls``, ``events`` (target labels) and
        ``awaiting_review`` (those never reviewed). Only groups with audio have a row.
    """
    names = [key for key in KEYS if any(key in chosen for chosen in sets)]
    columns = {"site_id": Recording.site_id, "night": NIGHT, "hour": HOUR}
    keys = [columns[name].label(name) for name in names]
    analysed = sa.case((DetectionRun.id.is_not(None), Recording.duration_s), else_=0.0)  # type: ignore[union-attr]
    effort = (
        select(
            *keys,
            sa.func.count(Recording.id),
            sa.func.coalesce(sa.func.sum(Recording.duration_s), 0.0) / 60.0,
            sa.func.coalesce(sa.func.sum(analysed), 0.0) / 60.0,
        )
        .select_from(Recording)
        .outerjoin(
            DetectionRun,
            sa.and_(
                DetectionRun.recording_id == Recording.id,
                DetectionRun.model_version_id == (scope.model_version_id or -1),
                DetectionRun.status == RecordingStatus.DONE,
            ),
        )
        .group_by(*keys)
    )
    efforts = rolled_up(session, scoped(effort, session, scope), names, EFFORT, sets)
    if scope.model_version_id is not None and scope.target_labels:
        calls = rolled_up(session, _calls(session, scope, keys), names, CALLS, sets)
    else:
        calls = [pd.DataFrame(columns=[*chosen, *CALLS]) for chosen in sets]
    return [
        _typed(frame.merge(called, on=list(chosen), how="left"))
        for frame, called, chosen in zip(efforts, calls, sets, strict=True)
    ]


def activity(*, session: Session, scope: Scope, by: tuple[str, ...] = KEYS) -> pd.DataFrame:
    """:func:`activity_sets` of one set, ``by`` (default: per site, night and hour)."""
    return activity_sets(session=session, scope=scope, sets=[by])[0]


def _typed(out: pd.DataFrame) -> pd.DataFrame:
    if "night" in out:
        out["night"] = out["night"].map(as_date)
    if "hour" in out:
        out["hour"] = out["hour"].astype(int)
    out["recordings"] = out["recordings"].astype(int)
    for column in ("minutes_recorded", "minutes_analysed", "minutes_with_calls"):
        out[column] = out[column].astype(float).fillna(0.0)
    for column in ("events", "awaiting_review"):
        out[column] = out[column].fillna(0).astype(int)
    return out


def nightly_activity(*, session: Session, scope: Scope) -> pd.DataFrame:
    """Per site and night with audio: effort and calls.

    Returns
    -------
    pandas.DataFrame
        ``site``, ``night`` (date), then :data:`ACTIVITY_COLUMNS`; sorted by site and night.
        Nights without audio have no row (the figure shows them as gaps in the effort).
    """
    frame = activity(session=session, scope=scope, by=("site_id", "night"))
    return rollup(with_site_names(frame, site_ids(session=session)), ["site", "night"])


def hourly_activity(*, session: Session, scope: Scope) -> pd.DataFrame:
    """Per night and local hour (all scoped sites together): effort and calls.

    Columns ``night``, ``hour`` (0-23, local start hour), then :data:`ACTIVITY_COLUMNS`.
    """
    return activity(session=session, scope=scope, by=("night", "hour"))


def totals(
    *, session: Session, scope: Scope, frame: pd.DataFrame | None = None
) -> dict[str, float]:
    """Headline numbers: ``sites``, ``devices``, ``hours_recorded``, ``hours_with_calls``,
    ``events``, ``awaiting_review`` (events of target labels without a review).

    ``frame``: the scope's :func:`activity` (with ``site_id``), when the caller has it.
    """
    if frame is None:
        frame = activity(session=session, scope=scope, by=("site_id",))
    # Each device in the scope, found through the device index (a lookup per device).
    has_audio = scoped(
        select(Recording.id).where(Recording.device_id == Device.id).limit(1), session, scope
    ).exists()
    devices = session.exec(select(sa.func.count(Device.id)).where(has_audio)).one()
    return {
        "sites": int(frame["site_id"].nunique()),
        "devices": int(devices),
        "hours_recorded": float(frame["minutes_recorded"].sum()) / 60.0,
        "hours_with_calls": float(frame["minutes_with_calls"].sum()) / 60.0,
        "events": int(frame["events"].sum()),
        "awaiting_review": int(frame["awaiting_review"].sum()),
    }


def _called_recordings(scope: Scope) -> sa.Subquery:
    # Recordings with an event of a target label (one row each).
    return (
        select(Detection.recording_id.label("rid"))
        .where(*_events_of(scope))
        .distinct()
        .subquery("called")
    )


def temperature_calling(*, session: Session, scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Analysed recordings with a temperature, counted per whole degree and per site and night.

    Returns
    -------
    tuple of pandas.DataFrame
        ``(per_degree, per_night)``: ``degree`` (°C, rounded down), ``recordings``,
        ``with_calls``; and ``site``, ``night``, ``temperature_c`` (mean), ``recordings``,
        ``with_calls``.
    """
    degree_columns = ["degree", "recordings", "with_calls"]
    night_columns = ["site", "night", "temperature_c", "recordings", "with_calls"]
    if scope.model_version_id is None:
        return pd.DataFrame(columns=degree_columns), pd.DataFrame(columns=night_columns)
    called = _called_recordings(scope)
    degree = floor_of(Recording.temperature_c, dialect_of(session)).label("degree")
    keys = [Recording.site_id, NIGHT.label("night"), degree]
    query = (
        select(
            *keys,
            sa.func.count(Recording.id),
            sa.func.count(called.c.rid),
            sa.func.sum(Recording.temperature_c),
        )
        .select_from(Recording)
        .join(
            DetectionRun,
            sa.and_(
                DetectionRun.recording_id == Recording.id,
                DetectionRun.model_version_id == scope.model_version_id,
                DetectionRun.status == RecordingStatus.DONE,
            ),
        )
        .outerjoin(called, called.c.rid == Recording.id)
        .where(Recording.temperature_c.is_not(None))  # type: ignore[union-attr]
        .group_by(*keys)
    )
    values = ["recordings", "with_calls", "sum_c"]
    per_degree, per_site_night = rolled_up(
        session,
        scoped(query, session, scope),
        ["site_id", "night", "degree"],
        values,
        [("degree",), ("site_id", "night")],
    )
    per_degree["degree"] = per_degree["degree"].astype(float)
    per_site_night["night"] = per_site_night["night"].map(as_date)
    named = with_site_names(per_site_night, site_ids(session=session))
    per_night = rollup(named, ["site", "night"], values)
    per_night["temperature_c"] = per_night["sum_c"].astype(float) / per_night["recordings"]
    for frame in (per_degree, per_night):
        frame["recordings"] = frame["recordings"].astype(int)
        frame["with_calls"] = frame["with_calls"].astype(int)
    return per_degree[degree_columns], per_night[night_columns]
