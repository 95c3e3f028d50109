"""The dashboard's sums over a scope: effort and calls per site, night and hour, the
headline totals, and calling against temperature (see :mod:`db.dashboard` for the scope).

They are read from the sums tables (:mod:`db.activity_sums`: per site, night and local hour,
and per site, night and degree), so a season is a few thousand rows here, not every
recording and event. "Minutes with calls" counts each minute of a recording that an event of
a target label overlaps, weighted by how much audio that minute holds, so a 4-second
recording with a call counts 4/60 of a minute with calls and calls never exceed the audio.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from db.dashboard import (
    ACTIVITY_COLUMNS,
    Scope,
    as_date,
    in_scope,
    rolled_up,
    rollup,
    site_ids,
    with_site_names,
)
from db.models import ActivityDegree, ActivityHour, DeviceNight

KEYS = ("site_id", "night", "hour")


def activity_sets(
    *, session: Session, scope: Scope, sets: list[tuple[str, ...]]
) -> list[pd.DataFrame]:
    """Effort and calls in scope summed over each of ``sets``: the dashboard's sums, in SQL.

    Summed in SQL from the sums per site, night and hour (:mod:`db.activity_sums`): the
    rows of every recording and those of the scope's model version; on PostgreSQL every set
    in the same pass (see :func:`db.dashboard.rolled_up`).

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
    sums = ActivityHour
    columns = {"site_id": sums.site_id, "night": sums.night, "hour": sums.local_hour}
    keys = [columns[name].label(name) for name in names]
    every = sums.model_version_id.is_(None)  # type: ignore[union-attr]
    model = (
        sums.model_version_id == scope.model_version_id
        if scope.model_version_id is not None
        else sa.false()
    )

    def of(rows: Any, column: Any) -> Any:
        return sa.case((rows, column), else_=0)

    query = select(
        *keys,
        of(every, sums.recordings),
        of(every, sums.audio_s) / 60.0,
        of(model, sums.audio_s) / 60.0,
        of(model, sums.call_s) / 60.0,
        of(model, sums.events),
        of(model, sums.awaiting_review),
    ).where(sa.or_(every, model))
    query = in_scope(query, scope, sums.site_id, sums.night)
    frames = rolled_up(session, query, names, list(ACTIVITY_COLUMNS), sets)
    return [_typed(frame) for frame in frames]


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
    # The devices with a recording on a night in scope, from their sums per night.
    nights = DeviceNight
    devices = session.exec(
        in_scope(
            select(sa.func.count(sa.distinct(nights.device_id))),
            scope,
            nights.site_id,
            nights.night,
        )
    ).one()
    return {
        "sites": int(frame["site_id"].nunique()),
        "devices": int(devices),
        "hours_recorded": float(frame["minutes_recorded"].sum()) / 60.0,
        "hours_with_calls": float(frame["minutes_with_calls"].sum()) / 60.0,
        "events": int(frame["events"].sum()),
        "awaiting_review": int(frame["awaiting_review"].sum()),
    }


def temperature_calling(*, session: Session, scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Analysed recordings with a temperature, counted per whole degree and per site and night
    (from the sums per site, night and degree, :mod:`db.activity_sums`).

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
    sums = ActivityDegree
    query = select(
        sums.site_id,
        sums.night,
        sums.degree,
        sums.recordings,
        sums.with_calls,
        sums.temperature_sum_c,
    ).where(sums.model_version_id == scope.model_version_id)
    query = in_scope(query, scope, sums.site_id, sums.night)
    values = ["recordings", "with_calls", "sum_c"]
    per_degree, per_site_night = rolled_up(
        session,
        query,
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
