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
    ModelVersion,
    Recording,
    RecordingStatus,
    Review,
    Site,
)
from db.reports import decision_of, utc_window

_OFFSET = sa.func.coalesce(Recording.utc_offset_min, 0)


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


def local_night(dialect: str) -> sa.ColumnElement[Any]:
    """SQL for a recording's night (the evening's local date) on ``dialect``."""
    if dialect == "sqlite":
        return sa.func.date(Recording.recorded_at, sa.cast(_OFFSET - 720, sa.String) + " minutes")
    local = sa.func.timezone("UTC", Recording.recorded_at) + sa.text("interval '1 minute'") * (
        _OFFSET - 720
    )
    return sa.cast(local, sa.Date)


def local_hour(dialect: str) -> sa.ColumnElement[Any]:
    """SQL for the local hour (0-23) a recording starts in."""
    if dialect == "sqlite":
        modifier = sa.cast(_OFFSET, sa.String) + " minutes"
        return sa.cast(sa.func.strftime("%H", Recording.recorded_at, modifier), sa.Integer)
    local = (
        sa.func.timezone("UTC", Recording.recorded_at) + sa.text("interval '1 minute'") * _OFFSET
    )
    return sa.cast(sa.extract("hour", local), sa.Integer)


def dialect_of(session: Session) -> str:
    """The database dialect's name (``sqlite``, ``postgresql``) of ``session``."""
    return session.get_bind().dialect.name


def scoped(query: Any, session: Session, scope: Scope, *, timed: bool = True) -> Any:
    """``query`` (over ``recordings``) limited to the scope's sites and nights."""
    if scope.sites:
        query = query.where(
            Recording.site_id.in_(select(Site.id).where(Site.name.in_(scope.sites)))  # type: ignore[union-attr]
        )
    if timed or scope.date_from or scope.date_to:
        # Only times that can be right: a clock never set (1970, ...) places a recording on
        # no night, so it cannot stretch the season over decades.
        query = query.where(
            Recording.recorded_at.is_not(None),  # type: ignore[union-attr]
            Recording.clock_issue.is_(None),  # type: ignore[union-attr]
        )
    start, end = utc_window(scope.date_from, scope.date_to)
    night = local_night(dialect_of(session))
    # The UTC window lets the index narrow the rows; the night expression is exact.
    if start is not None:
        query = query.where(
            Recording.recorded_at >= start, night >= _night_value(session, scope.date_from)
        )
    if end is not None:
        query = query.where(
            Recording.recorded_at < end, night <= _night_value(session, scope.date_to)
        )
    return query


def _night_value(session: Session, day: date | None) -> Any:
    return day.isoformat() if dialect_of(session) == "sqlite" else day


def as_date(value: object) -> date | None:
    """A night as read back (a date, or ISO text on SQLite) as a ``date``."""
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def season_nights(
    *, session: Session, sites: tuple[str, ...] = ()
) -> tuple[date | None, date | None]:
    """The first and last night with a recording of known time at these sites."""
    night = local_night(dialect_of(session))
    query = scoped(select(sa.func.min(night), sa.func.max(night)), session, Scope(sites=sites))
    first, last = session.exec(query).one()
    return as_date(first), as_date(last)


def site_table(*, session: Session) -> pd.DataFrame:
    """Every site: ``site``, ``latitude``, ``longitude``, ``recordings``."""
    query = (
        select(Site.name, Site.latitude, Site.longitude, sa.func.count(Recording.id))
        .outerjoin(Recording, Recording.site_id == Site.id)
        .group_by(Site.id, Site.name, Site.latitude, Site.longitude)
        .order_by(Site.name)
    )
    rows = session.exec(query).all()
    return pd.DataFrame(rows, columns=["site", "latitude", "longitude", "recordings"])


def _call_minutes(
    session: Session, scope: Scope, group: list[Any], labels: list[str]
) -> pd.DataFrame:
    """Minutes of audio with calls, per ``group`` (SQL columns over ``recordings``)."""
    names = [c.name for c in group]
    if scope.model_version_id is None or not scope.target_labels:
        return pd.DataFrame(columns=[*names, "minutes_with_calls", "events"])
    longest = session.exec(scoped(select(sa.func.max(Recording.duration_s)), session, scope)).one()
    top = int((longest or 0) // 60) + 1
    # Minute numbers 0..top: portable (SQLite and PostgreSQL) and small.
    n = select(sa.literal(0).label("k")).cte("minute_numbers", recursive=True)
    n = n.union_all(select(n.c.k + 1).where(n.c.k < top))
    duration = sa.func.coalesce(Recording.duration_s, 0.0)
    end = sa.case((Detection.end_s < duration, Detection.end_s), else_=duration)
    minutes = (
        select(Detection.recording_id.label("rid"), n.c.k.label("k"))
        .select_from(Detection)
        .join(Recording, Recording.id == Detection.recording_id)
        .join(n, sa.and_(n.c.k * 60 < end, (n.c.k + 1) * 60 > Detection.start_s))
        .where(
            Detection.model_version_id == scope.model_version_id,
            Detection.label.in_(labels),  # type: ignore[attr-defined]
        )
        .distinct()
    )
    minutes = scoped(minutes, session, scope).subquery("call_minutes")
    left = duration - minutes.c.k * 60
    weight = sa.case((left < 60, left), else_=60.0) / 60.0
    query = (
        select(*group, sa.func.sum(weight).label("minutes_with_calls"))
        .select_from(minutes)
        .join(Recording, Recording.id == minutes.c.rid)
        .outerjoin(Site, Site.id == Recording.site_id)
        .group_by(*group)
    )
    frame = pd.DataFrame(session.exec(query).all(), columns=[*names, "minutes_with_calls"])
    events = scoped(
        select(*group, sa.func.count(Detection.id).label("events"))
        .select_from(Detection)
        .join(Recording, Recording.id == Detection.recording_id)
        .outerjoin(Site, Site.id == Recording.site_id)
        .where(
            Detection.model_version_id == scope.model_version_id,
            Detection.label.in_(labels),  # type: ignore[attr-defined]
        )
        .group_by(*group),
        session,
        scope,
    )
    counted = pd.DataFrame(session.exec(events).all(), columns=[*names, "events"])
    return frame.merge(counted, on=names, how="outer")


def _effort(session: Session, scope: Scope, group: list[Any]) -> pd.DataFrame:
    names = [c.name for c in group]
    analysed = sa.case(
        (DetectionRun.status == RecordingStatus.DONE, Recording.duration_s), else_=0.0
    )
    query = (
        select(
            *group,
            sa.func.count(Recording.id).label("recordings"),
            (sa.func.coalesce(sa.func.sum(Recording.duration_s), 0.0) / 60.0).label(
                "minutes_recorded"
            ),
            (sa.func.coalesce(sa.func.sum(analysed), 0.0) / 60.0).label("minutes_analysed"),
        )
        .select_from(Recording)
        .outerjoin(Site, Site.id == Recording.site_id)
        .outerjoin(
            DetectionRun,
            sa.and_(
                DetectionRun.recording_id == Recording.id,
                DetectionRun.model_version_id == (scope.model_version_id or -1),
            ),
        )
        .group_by(*group)
    )
    rows = session.exec(scoped(query, session, scope)).all()
    return pd.DataFrame(
        rows, columns=[*names, "recordings", "minutes_recorded", "minutes_analysed"]
    )


def _merge(effort: pd.DataFrame, calls: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = effort.merge(calls, on=keys, how="left")
    out["minutes_with_calls"] = out["minutes_with_calls"].astype(float).fillna(0.0)
    out["events"] = out["events"].fillna(0).astype(int)
    for column in ("minutes_recorded", "minutes_analysed"):
        out[column] = out[column].astype(float)
    return out


def nightly_activity(*, session: Session, scope: Scope) -> pd.DataFrame:
    """Per site and night with audio: effort and calls.

    Returns
    -------
    pandas.DataFrame
        ``site``, ``night`` (date), ``recordings``, ``minutes_recorded``,
        ``minutes_analysed``, ``minutes_with_calls``, ``events``; sorted by site and night.
        Nights without audio have no row (the figure shows them as gaps in the effort).
    """
    night = local_night(dialect_of(session)).label("night")
    group = [Site.name.label("site"), night]
    keys = ["site", "night"]
    out = _merge(
        _effort(session, scope, group),
        _call_minutes(session, scope, group, list(scope.target_labels)),
        keys,
    )
    out["night"] = out["night"].map(as_date)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def hourly_activity(*, session: Session, scope: Scope) -> pd.DataFrame:
    """Per night and local hour (all scoped sites together): effort and calls.

    Columns ``night``, ``hour`` (0-23, local start hour), then as :func:`nightly_activity`.
    """
    dialect = dialect_of(session)
    group = [local_night(dialect).label("night"), local_hour(dialect).label("hour")]
    keys = ["night", "hour"]
    out = _merge(
        _effort(session, scope, group),
        _call_minutes(session, scope, group, list(scope.target_labels)),
        keys,
    )
    out["night"] = out["night"].map(as_date)
    out["hour"] = out["hour"].astype(int)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def totals(*, session: Session, scope: Scope) -> dict[str, float]:
    """Headline numbers: ``sites``, ``devices``, ``hours_recorded``, ``awaiting_review``
    (events of target labels without a review). Calls come from :func:`nightly_activity`."""
    counts = session.exec(
        scoped(
            select(
                sa.func.count(sa.distinct(Recording.site_id)),
                sa.func.count(sa.distinct(Recording.device_id)),
                sa.func.coalesce(sa.func.sum(Recording.duration_s), 0.0),
            ),
            session,
            scope,
        )
    ).one()
    awaiting = 0
    if scope.model_version_id is not None and scope.target_labels:
        # Awaiting review: no review at all (a reviewed event always has a latest verdict).
        # NOT EXISTS is an index lookup per event; an outer join on the latest-review
        # window subquery made PostgreSQL rescan every review per event.
        reviewed = sa.exists().where(Review.detection_id == Detection.id)
        query = (
            select(sa.func.count(Detection.id))
            .join(Recording, Recording.id == Detection.recording_id)
            .where(
                Detection.model_version_id == scope.model_version_id,
                Detection.label.in_(scope.target_labels),  # type: ignore[attr-defined]
                ~reviewed,
            )
        )
        awaiting = int(session.exec(scoped(query, session, scope)).one())
    return {
        "sites": int(counts[0]),
        "devices": int(counts[1]),
        "hours_recorded": float(counts[2]) / 3600.0,
        "awaiting_review": awaiting,
    }


def _has_call(scope: Scope) -> sa.ColumnElement[Any]:
    # 1 when the recording has an event of a target label (an index lookup per recording).
    called = sa.exists().where(
        Detection.recording_id == Recording.id,
        Detection.model_version_id == scope.model_version_id,
        Detection.label.in_(scope.target_labels or ("",)),  # type: ignore[attr-defined]
    )
    return sa.case((called, 1), else_=0)


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
    has_call = _has_call(scope)
    if dialect_of(session) == "sqlite":
        # floor() without SQLite's optional math functions: CAST truncates, and temperatures
        # lie above -1000 °C. (PostgreSQL's CAST rounds, so it gets floor().)
        degree = (sa.cast(Recording.temperature_c + 1000, sa.Integer) - 1000).label("degree")
    else:
        degree = sa.func.floor(Recording.temperature_c).label("degree")
    night = local_night(dialect_of(session)).label("night")

    def counted(keys: list[Any], extra: list[Any]) -> Any:
        query = (
            select(*keys, *extra, sa.func.count(Recording.id), sa.func.sum(has_call))
            .select_from(Recording)
            .join(Site, Site.id == Recording.site_id)
            .join(
                DetectionRun,
                sa.and_(
                    DetectionRun.recording_id == Recording.id,
                    DetectionRun.model_version_id == scope.model_version_id,
                    DetectionRun.status == RecordingStatus.DONE,
                ),
            )
            .where(Recording.temperature_c.is_not(None))  # type: ignore[union-attr]
            .group_by(*keys)
        )
        return session.exec(scoped(query, session, scope)).all()

    per_degree = pd.DataFrame(counted([degree], []), columns=degree_columns)
    mean_t = sa.func.avg(Recording.temperature_c)
    per_night = pd.DataFrame(counted([Site.name, night], [mean_t]), columns=night_columns)
    per_night["night"] = per_night["night"].map(as_date)
    for frame, column in ((per_degree, "degree"), (per_night, "temperature_c")):
        frame[column] = frame[column].astype(float)
        frame["with_calls"] = frame["with_calls"].fillna(0).astype(int)
    return per_degree.sort_values("degree").reset_index(drop=True), per_night
