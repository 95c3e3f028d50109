"""Every RanaWatch table, as SQLModel classes.

Layout
------
``sites`` / ``devices`` / ``deployments`` describe where recorders were; ``recordings`` holds
one row per distinct audio file (same content under a second path goes to
``duplicate_files``); ``model_versions`` identifies a model by name, version and checkpoint
hash; ``detection_runs`` is the work queue and the per-(recording, model version) state, so a
new model version processes every recording again and keeps the old results beside the new;
``window_scores`` and ``detections`` are the results; ``reviews`` are human verdicts on
detections; ``run_log`` records each flow run. ``activity_hours``, ``activity_degrees`` and
``device_nights`` are sums of those rows per site and night that the dashboard reads (kept
by :mod:`db.activity_sums` in the transaction of every write that changes them).

Every timestamp column is :class:`UTCDateTime`: written as aware UTC, read back as aware UTC
on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Deterministic constraint names, so later Alembic migrations (batch mode on SQLite) can
# refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware (UTC).

    SQLite has no time zones: the value is stored as naive UTC text and UTC is attached on
    the way out. PostgreSQL stores ``timestamptz``. Naive datetimes are refused, because
    guessing their zone is how field times end up an hour or eight off.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware times (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Row ids of the big result tables: 64-bit on PostgreSQL, SQLite's rowid alias there.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class RecordingStatus(StrEnum):
    """Where a recording stands (its latest detection run, or ``failed`` when unreadable)."""

    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class Verdict(StrEnum):
    """A reviewer's verdict on a detection."""

    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    UNSURE = "unsure"


class FlowStatus(StrEnum):
    """State of a flow run in the run log."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


def _enum(cls: type[StrEnum], name: str) -> sa.Enum:
    # VARCHAR + CHECK rather than a native PostgreSQL ENUM: adding a value later is then a
    # plain migration on both back ends.
    return sa.Enum(
        cls,
        name=name,
        native_enum=False,
        length=16,
        create_constraint=True,
        values_callable=lambda members: [m.value for m in members],
    )


class Site(SQLModel, table=True):
    """A place recorders are deployed (a pond, a creek reach)."""

    __tablename__ = "sites"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    notes: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The recording schedule its recorders follow (db.sites.RecordingSchedule as JSON), if
    # declared in the sites file (migration 0004).
    schedule: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


class Device(SQLModel, table=True):
    """A recorder, identified by its serial number (e.g. AudioMoth ``249BC30461CBB1E6``)."""

    __tablename__ = "devices"

    id: int | None = Field(default=None, primary_key=True)
    serial: str = Field(unique=True, max_length=100)
    recorder: str | None = Field(default=None, max_length=100)
    label: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Deployment(SQLModel, table=True):
    """A device at a site from ``start_at`` until ``end_at`` (open-ended when null)."""

    __tablename__ = "deployments"
    __table_args__ = (sa.UniqueConstraint("device_id", "start_at"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="devices.id", ondelete="CASCADE", index=True)
    site_id: int = Field(foreign_key="sites.id", ondelete="CASCADE", index=True)
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    # The device's recording schedule during this deployment (db.sites.RecordingSchedule as
    # JSON), if declared; it wins over its site's (migration 0004).
    schedule: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


class LocalNight(sa.sql.expression.FunctionElement[Any]):
    """The night a recording belongs to: the evening's local date (local noon to noon), from
    ``recorded_at`` and ``utc_offset_min`` (unknown offset: UTC); NULL without a time or
    when the time cannot be right (``clock_issue``). Computed by the database."""

    type = sa.Date()
    inherit_cache = True
    name = "local_night"


class LocalHour(sa.sql.expression.FunctionElement[Any]):
    """The local hour (0-23) a recording starts in; NULL like :class:`LocalNight`."""

    type = sa.SmallInteger()
    inherit_cache = True
    name = "local_hour"


# The SQL of the two computed columns, per dialect. Migration 0004 holds a frozen copy.
LOCAL_TIME_SQL = {
    "postgresql": (
        "CASE WHEN clock_issue IS NULL THEN CAST(timezone('UTC', recorded_at) + "
        "interval '1 minute' * (COALESCE(utc_offset_min, 0) - 720) AS DATE) END",
        "CASE WHEN clock_issue IS NULL THEN CAST(date_part('hour', timezone('UTC', "
        "recorded_at) + interval '1 minute' * COALESCE(utc_offset_min, 0)) AS SMALLINT) END",
    ),
    "sqlite": (
        "CASE WHEN clock_issue IS NULL THEN date(recorded_at, "
        "(COALESCE(utc_offset_min, 0) - 720) || ' minutes') END",
        "CASE WHEN clock_issue IS NULL THEN CAST(strftime('%H', recorded_at, "
        "COALESCE(utc_offset_min, 0) || ' minutes') AS INTEGER) END",
    ),
}


@compiles(LocalNight)
def _local_night(element: LocalNight, compiler: SQLCompiler, **kw: Any) -> str:
    return LOCAL_TIME_SQL[compiler.dialect.name][0]


@compiles(LocalHour)
def _local_hour(element: LocalHour, compiler: SQLCompiler, **kw: Any) -> str:
    return LOCAL_TIME_SQL[compiler.dialect.name][1]


class Recording(SQLModel, table=True):
    """One distinct audio file: where it is, what the recorder wrote, and its status."""

    __tablename__ = "recordings"

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(unique=True, sa_type=sa.Text)
    size_bytes: int = Field(sa_type=sa.BigInteger)
    # Modification time of the file when it was read (ns since the epoch): a later run
    # that finds another size or time reads the file again.
    mtime_ns: int | None = Field(default=None, sa_type=sa.BigInteger)
    sha256: str = Field(unique=True, max_length=64)
    device_id: int | None = Field(
        default=None, foreign_key="devices.id", ondelete="SET NULL", index=True
    )
    site_id: int | None = Field(
        default=None, foreign_key="sites.id", ondelete="SET NULL", index=True
    )
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # The recorder's local offset, minutes east of UTC (-480: UTC-8); None when unknown.
    utc_offset_min: int | None = None
    time_source: str | None = Field(default=None, max_length=32)
    # Why recorded_at cannot be right ("clock not set ..."); such times build no nights.
    clock_issue: str | None = Field(default=None, sa_type=sa.Text)
    duration_s: float | None = None
    samplerate_hz: int | None = None
    channels: int | None = None
    sample_format: str | None = Field(default=None, max_length=32)
    frames: int | None = Field(default=None, sa_type=sa.BigInteger)
    truncated: bool = False
    temperature_c: float | None = None
    battery_v: float | None = None
    gain: str | None = Field(default=None, max_length=32)
    firmware: str | None = Field(default=None, max_length=100)
    latitude: float | None = None
    longitude: float | None = None
    comment: str | None = Field(default=None, sa_type=sa.Text)
    recorder_metadata: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    readable: bool = False
    status: RecordingStatus = Field(
        default=RecordingStatus.PENDING, sa_type=_enum(RecordingStatus, "recording_status")
    )
    error: str | None = Field(default=None, sa_type=sa.Text)
    ingested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    __table_args__ = (
        # Columns the database computes (PostgreSQL stores them, SQLite computes them on
        # read and keeps them in the indexes below); columns of the table, not fields of the
        # model, so no recording ever writes them (migration 0004).
        sa.Column("night", sa.Date(), sa.Computed(LocalNight()), nullable=True),
        sa.Column("local_hour", sa.SmallInteger(), sa.Computed(LocalHour()), nullable=True),
        # The dashboard's "these sites (or this device) in this date range" (migration 0003).
        sa.Index("ix_recordings_site_recorded_at", "site_id", "recorded_at"),
        sa.Index("ix_recordings_device_recorded_at", "device_id", "recorded_at"),
        # Its sums per site, night and hour, and per device and night, read from the index
        # alone (migration 0004).
        sa.Index(
            "ix_recordings_site_night",
            "site_id",
            "night",
            "local_hour",
            "id",
            "device_id",
            "duration_s",
            "temperature_c",
        ),
        sa.Index(
            "ix_recordings_device_night",
            "device_id",
            "night",
            "duration_s",
            "battery_v",
            "temperature_c",
        ),
        sa.Index("ix_recordings_status_ingested_at", "status", "ingested_at"),
        sa.Index("ix_recordings_night", "night"),
    )


# A recording's night and local hour as columns to select, group and filter by.
RECORDING_NIGHT: sa.Column[Any] = Recording.__table__.c.night  # type: ignore[attr-defined]
RECORDING_HOUR: sa.Column[Any] = Recording.__table__.c.local_hour  # type: ignore[attr-defined]


class DuplicateFile(SQLModel, table=True):
    """A second path holding exactly the content of a stored recording (counted once)."""

    __tablename__ = "duplicate_files"

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(unique=True, sa_type=sa.Text)
    size_bytes: int = Field(sa_type=sa.BigInteger)
    recording_id: int = Field(foreign_key="recordings.id", ondelete="CASCADE", index=True)
    found_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ModelVersion(SQLModel, table=True):
    """A model as run: name, version, labels, input settings and checkpoint hash."""

    __tablename__ = "model_versions"
    __table_args__ = (sa.UniqueConstraint("name", "version", "checkpoint_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    version: str = Field(max_length=100)
    checkpoint_sha256: str = Field(max_length=64)
    labels: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DetectionRun(SQLModel, table=True):
    """The processing of one recording by one model version: queue entry, claim, outcome."""

    __tablename__ = "detection_runs"
    __table_args__ = (
        sa.UniqueConstraint("recording_id", "model_version_id"),
        # The queue's claims, and two versions' runs compared by recording from the index
        # alone (migration 0006).
        sa.Index(
            "ix_detection_runs_queue", "model_version_id", "status", "recording_id", "n_events"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    recording_id: int = Field(foreign_key="recordings.id", ondelete="CASCADE")
    model_version_id: int = Field(foreign_key="model_versions.id", ondelete="CASCADE")
    status: RecordingStatus = Field(
        default=RecordingStatus.PENDING, sa_type=_enum(RecordingStatus, "run_status")
    )
    error: str | None = Field(default=None, sa_type=sa.Text)
    claimed_by: str | None = Field(default=None, max_length=200)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    prediction: str | None = Field(default=None, max_length=16)
    times_heard: str | None = Field(default=None, sa_type=sa.Text)
    n_windows: int | None = None
    n_events: int | None = None


class WindowScore(SQLModel, table=True):
    """Scores of one analysis window; ``scores``/``logits`` follow the model's label order."""

    __tablename__ = "window_scores"
    __table_args__ = (sa.UniqueConstraint("recording_id", "model_version_id", "start_s"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    recording_id: int = Field(foreign_key="recordings.id", ondelete="CASCADE")
    model_version_id: int = Field(foreign_key="model_versions.id", ondelete="CASCADE", index=True)
    start_s: float
    end_s: float
    label: str = Field(max_length=200)
    score: float
    positive: bool
    scores: list[float] = Field(sa_type=sa.JSON)
    logits: list[float] = Field(sa_type=sa.JSON)


class Detection(SQLModel, table=True):
    """An event: consecutive positive windows of one label, merged."""

    __tablename__ = "detections"
    __table_args__ = (
        sa.UniqueConstraint("recording_id", "model_version_id", "label", "start_s"),
        sa.Index("ix_detections_model_recording", "model_version_id", "recording_id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    recording_id: int = Field(foreign_key="recordings.id", ondelete="CASCADE")
    model_version_id: int = Field(foreign_key="model_versions.id", ondelete="CASCADE", index=True)
    label: str = Field(max_length=200)
    start_s: float
    end_s: float
    max_score: float
    mean_score: float
    n_windows: int


class Review(SQLModel, table=True):
    """A reviewer's verdict on a detection; the latest review of a detection counts."""

    __tablename__ = "reviews"
    __table_args__ = (sa.Index("ix_reviews_detection_reviewed_at", "detection_id", "reviewed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    detection_id: int = Field(
        foreign_key="detections.id", ondelete="CASCADE", index=True, sa_type=BigId
    )
    verdict: Verdict = Field(sa_type=_enum(Verdict, "verdict"))
    reviewer: str = Field(max_length=200)
    reviewed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    note: str | None = Field(default=None, sa_type=sa.Text)


class RunLog(SQLModel, table=True):
    """One flow run: when, how it ended, and what it counted."""

    __tablename__ = "run_log"

    id: int | None = Field(default=None, primary_key=True)
    flow: str = Field(max_length=100, index=True)
    flow_run_id: str | None = Field(default=None, max_length=64)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: FlowStatus = Field(default=FlowStatus.RUNNING, sa_type=_enum(FlowStatus, "flow_status"))
    counts: dict[str, int] = Field(default_factory=dict, sa_type=sa.JSON)
    message: str | None = Field(default=None, sa_type=sa.Text)


# --------------------------------------------------------------------------- dashboard sums
# Sums of the rows above per site and night (the recording's ``night``, migration 0004), kept
# exact by db.activity_sums: every write that changes a recording, a finished run, an event
# or a first review recomputes the sums of its (site, night) in the same transaction
# (migration 0005). Only recordings on a night count. A deleted site turns its rows'
# site_id to NULL as it does its recordings', so the sums the dashboard reads stay right.


class ActivityHour(SQLModel, table=True):
    """Per site, night and local hour: with ``model_version_id`` NULL, every recording
    (``recordings``, ``audio_s`` recorded); otherwise the recordings that model version
    finished (``recordings``, ``audio_s`` analysed) and its events of its target labels
    (``call_s``: seconds of audio in minutes that an event overlaps, ``events``,
    ``awaiting_review``: events never reviewed)."""

    __tablename__ = "activity_hours"
    __table_args__ = (
        sa.Index("ix_activity_hours_site_night", "site_id", "night"),
        # Sums per night and hour read in order from the index alone (SQLite sorted 70,000
        # rows a season for them; PostgreSQL hashes either way).
        sa.Index(
            "ix_activity_hours_night_hour",
            "night",
            "local_hour",
            "model_version_id",
            "site_id",
            "recordings",
            "audio_s",
            "call_s",
            "events",
            "awaiting_review",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int | None = Field(default=None, foreign_key="sites.id", ondelete="SET NULL")
    night: date
    local_hour: int = Field(sa_type=sa.SmallInteger)
    model_version_id: int | None = Field(
        default=None, foreign_key="model_versions.id", ondelete="CASCADE", index=True
    )
    recordings: int
    audio_s: float
    call_s: float
    events: int
    awaiting_review: int


class ActivityDegree(SQLModel, table=True):
    """Per site, night, whole degree (°C, rounded down) and model version: the recordings it
    finished that carry a temperature, those with an event of its target labels, and the sum
    of their temperatures (°C)."""

    __tablename__ = "activity_degrees"
    __table_args__ = (sa.Index("ix_activity_degrees_site_night", "site_id", "night"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int | None = Field(default=None, foreign_key="sites.id", ondelete="SET NULL")
    night: date
    degree: int = Field(sa_type=sa.SmallInteger)
    model_version_id: int = Field(foreign_key="model_versions.id", ondelete="CASCADE", index=True)
    recordings: int
    with_calls: int
    temperature_sum_c: float


class DeviceNight(SQLModel, table=True):
    """Per device, site and night: its recordings, the sums and counts of the positions they
    carry (decimal degrees), the start of the first and of the newest, and when the newest
    was stored (UTC)."""

    __tablename__ = "device_nights"
    __table_args__ = (sa.Index("ix_device_nights_site_night", "site_id", "night"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="devices.id", ondelete="CASCADE", index=True)
    site_id: int | None = Field(default=None, foreign_key="sites.id", ondelete="SET NULL")
    night: date
    recordings: int
    latitude_sum: float
    latitude_n: int
    longitude_sum: float
    longitude_n: int
    first_at: datetime = Field(sa_type=UTCDateTime)
    last_at: datetime = Field(sa_type=UTCDateTime)
    last_ingested_at: datetime = Field(sa_type=UTCDateTime)
