"""Dashboard at season scale: computed night and hour, covering indexes, recording schedules.

``recordings.night`` (the evening's local date, local noon to noon) and
``recordings.local_hour`` are computed by the database from ``recorded_at`` and
``utc_offset_min`` (NULL without a time or with a ``clock_issue``): PostgreSQL stores them,
SQLite computes them on read. The dashboard groups by them instead of computing a time zone
shift per row and query, and its sums per site, night and hour (and per device and night)
read the new indexes alone. ``status, ingested_at`` lists the failed files newest first;
``night`` alone gives the season's first and last night at once.

``sites.schedule`` and ``deployments.schedule`` hold the recording schedule the sites file
declares (a JSON object), from which the dashboard expects a device's minutes per night.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A frozen copy of db.models.LOCAL_TIME_SQL: migrations must not change when the code does.
NIGHT_HOUR_SQL = {
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
INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "ix_recordings_site_night",
        ("site_id", "night", "local_hour", "id", "device_id", "duration_s", "temperature_c"),
    ),
    (
        "ix_recordings_device_night",
        ("device_id", "night", "duration_s", "battery_v", "temperature_c"),
    ),
    ("ix_recordings_status_ingested_at", ("status", "ingested_at")),
    ("ix_recordings_night", ("night",)),
)


def upgrade() -> None:
    night, hour = NIGHT_HOUR_SQL[op.get_bind().dialect.name]
    # Plain ALTER TABLE on both back ends: SQLite adds computed columns only as VIRTUAL
    # (no table rebuild), PostgreSQL only as STORED (computed for every row now).
    op.add_column(
        "recordings", sa.Column("night", sa.Date(), sa.Computed(sa.text(night)), nullable=True)
    )
    op.add_column(
        "recordings",
        sa.Column("local_hour", sa.SmallInteger(), sa.Computed(sa.text(hour)), nullable=True),
    )
    for name, columns in INDEXES:
        op.create_index(name, "recordings", list(columns))
    op.add_column("sites", sa.Column("schedule", sa.JSON(), nullable=True))
    op.add_column("deployments", sa.Column("schedule", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("schedule")
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("schedule")
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name="recordings")
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("local_hour")
        batch.drop_column("night")
