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

from db.model_versions import decision_of, model_tag
from db.models import (
    RECORDING_HOUR,
    RECORDING_NIGHT,
    DetectionRun,
    ModelVersion,
    Recording,
    RecordingStatus,
    Site,
)

# The recording's night and local hour, computed by the database (migration 0004).
NIGHT, HOUR = RECORDING_NIGHT, RECORDING_HOUR
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
    # EXISTS per version (newest first), answered by the queue index: a join read the
    # runs in table order until it met one of the newest version's, a season of rows once
    # a second version had run.
    finished = sa.exists().where(
        DetectionRun.model_version_id == ModelVersion.id,
        DetectionRun.status == RecordingStatus.DONE,
    )
    mv = session.exec(
        select(ModelVersion).where(finished).order_by(ModelVersion.id.desc()).limit(1)  # type: ignore[union-attr]
    ).first()
    if mv is None:
        mv = session.exec(select(ModelVersion).order_by(ModelVersion.id.desc()).limit(1)).first()  # type: ignore[union-attr]
    if mv is None:
        return None, (), ""
    return mv.id, tuple(decision_of(mv)[0]), model_tag(mv)


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


def scoped(query: Any, session: Session, scope: Scope, *, timed: bool = True) -> Any:
    """``query`` (over ``recordings``) limited to the scope's sites and nights.

    ``timed``: only recordings on a night (a time that can be right), also without dates.
    A clock never set (1970, ...) places a recording on no night, so it cannot stretch the
    season over decades.
    """
    del session  # the night column makes the filter the same on every back end
    if timed or scope.date_from or scope.date_to:
        query = query.where(NIGHT.is_not(None))
    return in_scope(query, scope, Recording.site_id, NIGHT)


def in_scope(query: Any, scope: Scope, site_id: Any, night: Any) -> Any:
    """``query`` limited to the scope's sites and nights, given its site id and night
    columns (of ``recordings`` or of a sums table, :mod:`db.activity_sums`)."""
    if scope.sites:
        query = query.where(site_id.in_(select(Site.id).where(Site.name.in_(scope.sites))))  # type: ignore[union-attr]
    if scope.date_from is not None:
        query = query.where(night >= scope.date_from)
    if scope.date_to is not None:
        query = query.where(night <= scope.date_to)
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
    """Every site, by name: ``site``, ``latitude``, ``longitude``."""
    query = select(Site.name, Site.latitude, Site.longitude).order_by(Site.name)
    return read_frame(session, query, ["site", "latitude", "longitude"])


def with_site_names(frame: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``site`` name column from its ``site_id`` (``None`` for no site)."""
    names = dict(zip(sites["site_id"], sites["site"], strict=True)) if not sites.empty else {}
    return frame.assign(site=frame["site_id"].map(names))


def site_ids(*, session: Session) -> pd.DataFrame:
    """``site_id`` and ``site`` (name) of every site."""
    return read_frame(session, select(Site.id, Site.name), ["site_id", "site"])


def rolled_up(
    session: Session,
    rows: Any,
    keys: list[str],
    values: list[str],
    sets: list[tuple[str, ...]],
) -> list[pd.DataFrame]:
    """The rows of ``rows`` (a select of ``keys``, then additive ``values``) summed over each
    of ``sets`` (tuples of keys) in SQL, one frame per set, sorted by its keys.

    PostgreSQL sums every set in one pass (``GROUPING SETS``); other databases run one
    grouped query per set. Only the sums travel.
    """
    inner = rows.subquery("fine")
    columns = [inner.c[i] for i in range(len(keys))]
    # As floats: PostgreSQL sums integers to numeric (Decimal in Python).
    sums = [sa.cast(sa.func.sum(inner.c[len(keys) + i]), sa.Float) for i in range(len(values))]
    if dialect_of(session) != "postgresql" or len(sets) == 1:
        frames = []
        for chosen in sets:
            grouped = [columns[keys.index(k)] for k in chosen]
            query = select(*grouped, *sums).group_by(*grouped)
            frame = read_frame(session, query, [*chosen, *values])
            frames.append(frame.sort_values(list(chosen), kind="stable").reset_index(drop=True))
        return frames
    # grouping(k1, k2, ...) has a bit set for each key summed away, the first key highest.
    grouping = sa.func.grouping(*columns).label("grouping_id")
    outer = select(grouping, *columns, *sums).group_by(
        sa.func.grouping_sets(
            *(sa.tuple_(*(columns[keys.index(k)] for k in chosen)) for chosen in sets)
        )
    )
    frame = read_frame(session, outer, ["grouping_id", *keys, *values])
    frames = []
    for chosen in sets:
        mask = sum(1 << (len(keys) - 1 - i) for i, key in enumerate(keys) if key not in chosen)
        picked = frame[frame["grouping_id"] == mask].sort_values(list(chosen), kind="stable")
        frames.append(picked[[*chosen, *values]].reset_index(drop=True))
    return frames


def rollup(frame: pd.DataFrame, keys: list[str], values: list[str] | None = None) -> pd.DataFrame:
    """``frame`` summed over ``keys`` (e.g. ``["site", "night"]``), sorted by them: its
    ``values`` columns, by default those of :data:`ACTIVITY_COLUMNS` it has."""
    columns = values or [c for c in ACTIVITY_COLUMNS if c in frame.columns]
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *columns])
    out = frame.groupby(keys, sort=True, dropna=False)[columns].sum().reset_index()
    return out
