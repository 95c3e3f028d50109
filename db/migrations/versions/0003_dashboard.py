"""Dashboard: indexes for its per-site, per-night and per-device queries.

``recordings (site_id, recorded_at)`` and ``(device_id, recorded_at)`` serve every page's
"these sites (or this device) in this date range"; ``detections (model_version_id,
recording_id)`` joins a model's events to those recordings; ``reviews (detection_id,
reviewed_at)`` finds each detection's latest verdict without sorting the whole table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ix_recordings_site_recorded_at", "recordings", ("site_id", "recorded_at")),
    ("ix_recordings_device_recorded_at", "recordings", ("device_id", "recorded_at")),
    ("ix_detections_model_recording", "detections", ("model_version_id", "recording_id")),
    ("ix_reviews_detection_reviewed_at", "reviews", ("detection_id", "reviewed_at")),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, list(columns))


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
