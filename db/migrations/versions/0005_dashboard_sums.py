"""Dashboard sums per site and night, kept as recordings, results and reviews are written.

``activity_hours`` (per site, night, local hour and model version: recordings, seconds of
audio, seconds in minutes with calls, events, events awaiting review; model version NULL:
every recording), ``activity_degrees`` (per site, night, whole degree and model version:
analysed recordings with a temperature, those with calls, their temperature sum) and
``device_nights`` (per device, site and night: recordings, position sums, first and newest
start, newest ingest).
:mod:`db.activity_sums` keeps them; this migration fills them from the rows already stored.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("activity_hours", "activity_degrees", "device_nights")


def _site(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("night", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f(f"fk_{table}_site_id_sites"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _model(table: str, nullable: bool) -> list[sa.SchemaItem]:
    return [
        sa.Column("model_version_id", sa.Integer(), nullable=nullable),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f(f"fk_{table}_model_version_id_model_versions"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "activity_hours",
        *_site("activity_hours"),
        sa.Column("local_hour", sa.SmallInteger(), nullable=False),
        *_model("activity_hours", nullable=True),
        sa.Column("recordings", sa.Integer(), nullable=False),
        sa.Column("audio_s", sa.Float(), nullable=False),
        sa.Column("call_s", sa.Float(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("awaiting_review", sa.Integer(), nullable=False),
    )
    op.create_table(
        "activity_degrees",
        *_site("activity_degrees"),
        sa.Column("degree", sa.SmallInteger(), nullable=False),
        *_model("activity_degrees", nullable=False),
        sa.Column("recordings", sa.Integer(), nullable=False),
        sa.Column("with_calls", sa.Integer(), nullable=False),
        sa.Column("temperature_sum_c", sa.Float(), nullable=False),
    )
    op.create_table(
        "device_nights",
        *_site("device_nights"),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("recordings", sa.Integer(), nullable=False),
        sa.Column("latitude_sum", sa.Float(), nullable=False),
        sa.Column("latitude_n", sa.Integer(), nullable=False),
        sa.Column("longitude_sum", sa.Float(), nullable=False),
        sa.Column("longitude_n", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_nights_device_id_devices"),
            ondelete="CASCADE",
        ),
    )
    for table in TABLES:
        op.create_index(f"ix_{table}_site_night", table, ["site_id", "night"])
    op.create_index(
        "ix_activity_hours_night_hour",
        "activity_hours",
        ["night", "local_hour", "model_version_id", "site_id"]
        + ["recordings", "audio_s", "call_s", "events", "awaiting_review"],
    )
    for table in TABLES[:2]:
        op.create_index(f"ix_{table}_model_version_id", table, ["model_version_id"])
    op.create_index("ix_device_nights_device_id", "device_nights", ["device_id"])
    _backfill(op.get_bind())


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)


# --------------------------------------------------------------------------- backfill
# A frozen copy of db.activity_computation.compute_sums (migrations must not change when
# the code does); tests/db/test_activity_sums.py checks that both give the same rows.


def _backfill(bind: sa.Connection) -> None:
    targets = {}
    for model_id, labels, settings in bind.execute(
        sa.text("SELECT id, labels, settings FROM model_versions")
    ):
        labels, settings = _json(labels) or [], _json(settings) or {}
        negative = settings.get("negative_label", "Negative")
        targets[model_id] = set(
            settings.get("positive_labels") or [x for x in labels if x != negative]
        )
    timed = "SELECT id FROM recordings WHERE night IS NOT NULL"
    done = defaultdict(set)
    for recording_id, model_id in bind.execute(
        sa.text(
            "SELECT recording_id, model_version_id FROM detection_runs "
            f"WHERE status = 'done' AND recording_id IN ({timed})"
        )
    ):
        done[recording_id].add(model_id)
    calls: dict[int, dict[int, list]] = defaultdict(dict)
    for recording_id, model_id, label, start_s, end_s, reviewed in bind.execute(
        sa.text(
            "SELECT d.recording_id, d.model_version_id, d.label, d.start_s, d.end_s, "
            "EXISTS (SELECT 1 FROM reviews r WHERE r.detection_id = d.id) "
            f"FROM detections d WHERE d.recording_id IN ({timed})"
        )
    ):
        if label in targets.get(model_id, ()):
            calls[recording_id].setdefault(model_id, []).append((start_s, end_s, bool(reviewed)))
    recordings = sa.table(
        "recordings",
        *(sa.column(name) for name in ("id", "site_id", "local_hour", "device_id")),
        *(sa.column(name) for name in ("duration_s", "temperature_c", "latitude", "longitude")),
        sa.column("night", sa.Date()),
        sa.column("recorded_at", sa.DateTime(timezone=True)),
        sa.column("ingested_at", sa.DateTime(timezone=True)),
    )
    query = sa.select(recordings).where(recordings.c.night.is_not(None)).order_by(recordings.c.id)
    hours: dict[tuple, list] = {}
    degrees: dict[tuple, list] = {}
    devices: dict[tuple, list] = {}
    for rec in bind.execute(query).mappings():
        site, night, audio_s = rec["site_id"], rec["night"], rec["duration_s"] or 0.0
        _add(hours, (site, night, rec["local_hour"], None), [1, audio_s, 0.0, 0, 0])
        called = calls.get(rec["id"], {})
        for model_id in sorted(done.get(rec["id"], set()) | set(called)):
            found = called.get(model_id, [])
            analysed = model_id in done.get(rec["id"], ())
            values = [
                int(analysed),
                audio_s if analysed else 0.0,
                _call_seconds(rec["duration_s"], found),
                len(found),
                sum(1 for *_, reviewed in found if not reviewed),
            ]
            _add(hours, (site, night, rec["local_hour"], model_id), values)
            if analysed and rec["temperature_c"] is not None:
                key = (site, night, math.floor(rec["temperature_c"]), model_id)
                _add(degrees, key, [1, int(bool(found)), rec["temperature_c"]])
        if rec["device_id"] is not None:
            lat, lon = rec["latitude"], rec["longitude"]
            key = (rec["device_id"], site, night)
            values = [1, lat or 0.0, int(lat is not None), lon or 0.0, int(lon is not None)]
            _add(devices, key, values, (rec["recorded_at"], rec["recorded_at"], rec["ingested_at"]))
    _insert(
        bind,
        "activity_hours",
        ("site_id", "night", "local_hour", "model_version_id"),
        ("recordings", "audio_s", "call_s", "events", "awaiting_review"),
        hours,
    )
    _insert(
        bind,
        "activity_degrees",
        ("site_id", "night", "degree", "model_version_id"),
        ("recordings", "with_calls", "temperature_sum_c"),
        degrees,
    )
    _insert(
        bind,
        "device_nights",
        ("device_id", "site_id", "night"),
        ("recordings", "latitude_sum", "latitude_n", "longitude_sum", "longitude_n")
        + ("first_at", "last_at", "last_ingested_at"),
        devices,
    )


def _json(value: object) -> object:
    import json

    return json.loads(value) if isinstance(value, str) else value


def _call_seconds(duration_s: float | None, found: list) -> float:
    minutes: set[int] = set()
    for start_s, end_s, _reviewed in found:
        k = math.floor(start_s / 60.0)
        while 60 * k < end_s:
            minutes.add(k)
            k += 1
    total = 0.0
    for k in sorted(minutes):
        left = 60.0 if duration_s is None else duration_s - 60 * k
        total += 0.0 if left <= 0 else min(left, 60.0)
    return total


def _add(sums: dict[tuple, list], key: tuple, values: list, times: tuple | None = None) -> None:
    if key not in sums:
        sums[key] = [*values, *times] if times is not None else list(values)
        return
    row = sums[key]
    for i, value in enumerate(values):
        row[i] += value
    if times is not None:
        row[-3] = min(row[-3], times[0])
        row[-2] = max(row[-2], times[1])
        row[-1] = max(row[-1], times[2])


def _insert(
    bind: sa.Connection, name: str, keys: tuple, values: tuple, sums: dict[tuple, list]
) -> None:
    times = {"first_at", "last_at", "last_ingested_at"}
    table = sa.table(
        name,
        *(sa.column(c) for c in keys if c != "night"),
        *(sa.column(c) for c in values if c not in times),
        sa.column("night", sa.Date()),
        *(sa.column(c, sa.DateTime(timezone=True)) for c in values if c in times),
    )
    rows = [
        dict(zip(keys, key, strict=True)) | dict(zip(values, row, strict=True))
        for key, row in sums.items()
    ]
    for i in range(0, len(rows), 5000):
        bind.execute(sa.insert(table), rows[i : i + 5000])
