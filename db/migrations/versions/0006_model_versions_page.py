"""Two model versions compared on a season: the queue index also covers the comparison.

The Models page of the dashboard counts how two versions called the recordings both
scored, a join of two versions' finished runs by recording. ``ix_detection_runs_queue``
(model version, status) becomes (model version, status, recording, events): the queue's
claims read it as before, and each side of the comparison is read from the index alone,
already in recording order (a merge join instead of hashing a season's runs).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_detection_runs_queue"


def upgrade() -> None:
    op.drop_index(NAME, table_name="detection_runs")
    op.create_index(
        NAME, "detection_runs", ["model_version_id", "status", "recording_id", "n_events"]
    )


def downgrade() -> None:
    op.drop_index(NAME, table_name="detection_runs")
    op.create_index(NAME, "detection_runs", ["model_version_id", "status"])
