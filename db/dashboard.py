"""Read-only queries behind the dashboard: aggregated in SQL, returned as DataFrames.

Every function takes ``session=`` and a :class:`Scope` (sites, nights, model version) and
reads; nothing here writes (reviews go through :mod:`db.reviews`). A season is hundreds of
thousands of recordings and millions of windows, so sums and counts happen in the database,
grouped by site and *night* (the evening's date, local time: a recording at 02:10 on
2 December belongs to the night of 1 December, as in :mod:`core.report.nights`).

"Minutes with calls" counts each minute of a recording that an event of a target label
overlaps, weighted by how much audio that minute holds, so a 4-second recording with a call
counts 4/60 of a minute with calls and calls never exceed the audio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from db.models import (
    Detection,
    DetectionRun,
    Device,
    ModelVersion,
    Recording,
    RecordingStatus,
    Review,
    Site,
)
from db.reports import decision_of

# The recording's night and local hour, computed by the database (migration 0004).
NIGHT: sa.Column[Any] = Recording.__table__.c.night
HOUR: sa.Column[Any] = Recording.__table__.c.local_hour
ACTIVITY_COLUMNS = (
    "recordings",
    "minutes_recorded",
    "minutes_analysed",
    "minutes_with_calls",
    "events",
    "awaiting_review",
)


@dataclass(frozen=True)
class Scope:
    """What a page shows: these sites (empty: all), these nights, this model's results.

    Attributes
    ----------
    sites
        Site names; empty means every site.
    date_from, date_to
        First and last night (evening dates, local time), inclusive; ``None``: open.
    model_version_id
        The model whose events count; ``None``: no model has run (no calls known).
    target_labels
        The labels that count as calls (the model card's targets).
    """

    sites: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    model_version_id: int | None = None
    target_labels: tuple[str, ...] = field(default_factory=tuple)


def default_model(*, session: Session) -> tuple[int | None, tuple[str, ...], str]:
    """The model version the dashboard shows: the newest with finished runs, else the newest.

    Returns
    -------
    tuple
        ``(model_version_id, target_labels, "name:version")``; ``(None, (), "")`` before
        any model is registered.
    """
    mv = session.exec(
        select(ModelVersion)
        .join(DetectionRun, DetectionRun.model_version_id == ModelVersion.id)
        .where(DetectionRun.status == RecordingStatus.DONE)
        .order_by(ModelVersion.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).first()
    if mv is None:
        mv = session.exec(select(ModelVersion).order_by(ModelVersion.id.desc()).limit(1)).first()  # type: ignore[union-attr]
    if mv is None:
        return None, (), ""
    return mv.id, tuple(decision_of(mv)[0]), f"{mv.name}:{mv.version}"


def read_frame(session: Session, query: Any, columns: list[str]) -> pd.DataFrame:
    """The rows of ``query`` as a DataFrame with ``columns``, read column by column.

    Core execution on the session's connection and columns built with ``zip``: the ORM's
    row objects, handed to pandas one by one, cost more than the query on a season.
    """
    rows = session.connection().execute(query).all()
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True)))


def dialect_of(session: Session) -> str:
    """The database dialect's name (``sqlite``, ``postgresql``) of ``session``."""
    return session.get_bind().dialect.name


def floor_of(expr: Any, dialect: str) -> sa.ColumnElement[Any]:
    """``floor(expr)`` for values above -1000, on SQLite without its optional math
    functions (its CAST truncates; PostgreSQL's CAST rounds, so it gets ``floor``)."""
    if dialect == "sqlite":
        return sa.cast(expr + 1000, sa.Integer) - 1000
    return sa.cast(sa.func.floor(expr), sa.Integer)


def scoped(query: Any, session: Session, scope: Scope, *, timed: bool = True) -> Any:
    """``query`` (over ``recordings``) limited to the scope's sites and nights.

    ``timed``: only recordings on a night (a time that can be right), also without dates.
    A clock never set (1970, ...) places a recording on no night, so it cannot stretch the
    season over decades.
    """
    del session  # the night column makes the filter the same on every back end
    if scope.sites:
        query = query.where(
            Recording.site_id.in_(select(Site.id).where(Site.name.in_(scope.sites)))  # type: ignore[union-attr]
        )
    if timed or scope.date_from or scope.date_to:
        query = query.where(NIGHT.is_not(None))
    if scope.date_from is not None:
        query = query.where(NIGHT >= scope.date_from)  # noqa: SIM300 (a column)
    if scope.date_to is not None:
        query = query.where(NIGHT <= scope.date_to)  # noqa: SIM300 (a column)
    return query


def as_date(value: object) -> date | None:
    """A night as read back (a date, or ISO text on SQLite) as a ``date``."""
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def season_nights(
    *, session: Session, sites: tuple[str, ...] = ()
) -> tuple[date | None, date | None]:
    """The first and last night with a recording of known time at these sites."""
    query = scoped(select(sa.func.min(NIGHT), sa.func.max(NIGHT)), session, Scope(sites=sites))
    first, last = session.exec(query).one()
    return as_date(first), as_date(last)


def site_table(*, session: Session) -> pd.DataFrame:
    """Every site: ``site``, ``latitude``, ``longitude``, ``recordings``."""
    counted = (
        select(Recording.site_id, sa.func.count().label("n")).group_by(Recording.site_id).subquery()
    )
    query = (
        select(Site.name, Site.latitude, Site.longitude, sa.func.coalesce(counted.c.n, 0))
        .outerjoin(counted, counted.c.site_id == Site.id)
        .order_by(Site.name)
    )
    return read_frame(session, query, ["site", "latitude", "longitude", "recordings"])


def _events_of(scope: Scope) -> list[sa.ColumnElement[bool]]:
    # The scope model's events of its target labels.
    return [
        Detection.model_version_id == scope.model_version_id,
        Detection.label.in_(scope.target_labels),  # type: ignore[attr-defined]
    ]


def _call_minutes(session: Session, scope: Scope, keys: list[Any]) -> Any:
    """Minutes with calls per ``keys`` (columns of ``recordings``).

    Minute ``k`` of a recording (``[60k, 60k + 60)`` s) has a call when a target event
    ``[start, end)`` overlaps it: ``60k < end`` and ``60k + 60 > start``, i.e.
    ``k = floor(start / 60) + j`` for ``j`` from 0 up to the longest event's span in minutes.
    Each such minute counts once, weighted by the audio it holds (the recording's end cuts
    the last one), so calls never exceed the audio.
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
    left = Recording.duration_s - k * 60
    minutes = (
        select(*keys, Detection.recording_id, k.label("k"), left.label("left"))
        .select_from(Detection)
        .join(Recording, Recording.id == Detection.recording_id)
        .join(j, sa.and_(k * 60 < Detection.end_s, k * 60 < Recording.duration_s))
        .where(*_events_of(scope))
        .distinct()
    )
    minutes = scoped(minutes, session, scope).subquery("call_minutes")
    weight = sa.case((minutes.c.left < 60, minutes.c.left), else_=60.0)
    outer = [minutes.c[c.key] for c in keys]
    return select(*outer, sa.func.sum(weight) / 60.0).group_by(*outer)


def activity(*, session: Session, scope: Scope) -> pd.DataFrame:
    """Effort and calls per site, night and local hour: the dashboard's sums, done in SQL.

    Three grouped queries over the recordings in scope (effort; minutes with calls; events
    and those awaiting review), read from the night index (migration 0004).

    Returns
    -------
    pandas.DataFrame
        ``site_id``, ``night`` (date), ``hour`` (local start hour, 0-23), then
        :data:`ACTIVITY_COLUMNS`: ``recordings``, ``minutes_recorded``, ``minutes_analysed``
        (audio the model finished), ``minutes_with_calls``, ``events`` (target labels) and
        ``awaiting_review`` (those never reviewed). Only hours with audio have a row.
    """
    keys = [Recording.site_id, NIGHT.label("night"), HOUR.label("hour")]
    names = ["site_id", "night", "hour"]
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
    frame = read_frame(
        session,
        scoped(effort, session, scope),
        [*names, "recordings", "minutes_recorded", "minutes_analysed"],
    )
    calls = pd.DataFrame(columns=[*names, "minutes_with_calls"])
    events = pd.DataFrame(columns=[*names, "events", "awaiting_review"])
    if scope.model_version_id is not None and scope.target_labels and not frame.empty:
        calls = read_frame(session, _call_minutes(session, scope, keys), list(calls.columns))
        reviewed = sa.exists().where(Review.detection_id == Detection.id)
        counted = (
            select(
                *keys,
                sa.func.count(Detection.id),
                sa.func.sum(sa.case((reviewed, 0), else_=1)),
            )
            .select_from(Detection)
            .join(Recording, Recording.id == Detection.recording_id)
            .where(*_events_of(scope))
            .group_by(*keys)
        )
        events = read_frame(session, scoped(counted, session, scope), list(events.columns))
    out = frame.merge(calls, on=names, how="left").merge(events, on=names, how="left")
    out["night"] = out["night"].map(as_date)
    out["hour"] = out["hour"].astype(int)
    out["recordings"] = out["recordings"].astype(int)
    for column in ("minutes_recorded", "minutes_analysed", "minutes_with_calls"):
        out[column] = out[column].astype(float).fillna(0.0)
    for column in ("events", "awaiting_review"):
        out[column] = out[column].fillna(0).astype(int)
    return out


def with_site_names(frame: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``site`` name column from its ``site_id`` (``None`` for no site)."""
    names = dict(zip(sites["site_id"], sites["site"], strict=True)) if not sites.empty else {}
    return frame.assign(site=frame["site_id"].map(names))


def site_ids(*, session: Session) -> pd.DataFrame:
    """``site_id`` and ``site`` (name) of every site."""
    return read_frame(session, select(Site.id, Site.name), ["site_id", "site"])


def rollup(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """:func:`activity` summed over ``keys`` (e.g. ``["site", "night"]``), sorted by them."""
    columns = [c for c in ACTIVITY_COLUMNS if c in frame.columns]
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *columns])
    out = frame.groupby(keys, sort=True, dropna=False)[columns].sum().reset_index()
    return out


def nightly_activity(*, session: Session, scope: Scope) -> pd.DataFrame:
    """Per site and night with audio: effort and calls.

    Returns
    -------
    pandas.DataFrame
        ``site``, ``night`` (date), then :data:`ACTIVITY_COLUMNS`; sorted by site and night.
        Nights without audio have no row (the figure shows them as gaps in the effort).
    """
    frame = with_site_names(activity(session=session, scope=scope), site_ids(session=session))
    return rollup(frame, ["site", "night"])


def hourly_activity(*, session: Session, scope: Scope) -> pd.DataFrame:
    """Per night and local hour (all scoped sites together): effort and calls.

    Columns ``night``, ``hour`` (0-23, local start hour), then :data:`ACTIVITY_COLUMNS`.
    """
    return rollup(activity(session=session, scope=scope), ["night", "hour"])


def totals(
    *, session: Session, scope: Scope, frame: pd.DataFrame | None = None
) -> dict[str, float]:
    """Headline numbers: ``sites``, ``devices``, ``hours_recorded``, ``hours_with_calls``,
    ``events``, ``awaiting_review`` (events of target labels without a review).

    ``frame``: the scope's :func:`activity`, when the caller has it already.
    """
    if frame is None:
        frame = activity(session=session, scope=scope)
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
    rows = read_frame(
        session,
        scoped(query, session, scope),
        ["site_id", "night", "degree", "recordings", "with_calls", "sum_c"],
    )
    rows["night"] = rows["night"].map(as_date)
    per_degree = rows.groupby("degree", sort=True)[["recordings", "with_calls"]].sum().reset_index()
    per_degree["degree"] = per_degree["degree"].astype(float)
    named = with_site_names(rows, site_ids(session=session))
    per_night = named.groupby(["site", "night"], sort=True)[
        ["recordings", "with_calls", "sum_c"]
    ].sum()
    per_night = per_night.reset_index()
    per_night["temperature_c"] = per_night["sum_c"].astype(float) / per_night["recordings"]
    for frame in (per_degree, per_night):
        frame["recordings"] = frame["recordings"].astype(int)
        frame["with_calls"] = frame["with_calls"].astype(int)
    return per_degree[degree_columns], per_night[night_columns]
