"""Ingest: the UTC offset in minutes, the clock flag and the file's modification time.

``recordings.utc_offset`` (text such as ``-08:00``) becomes ``utc_offset_min`` (integer
minutes east of UTC; text that is no offset becomes NULL, i.e. unknown, instead of being
read as UTC). ``clock_issue`` says why a recording time cannot be right; ``mtime_ns``
lets ingest notice a stored file that changed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _minutes(text: str | None) -> int | None:
    # The rule the code read stored offsets with when this migration was written (text
    # such as "-08:00", "UTC-8", "+0530"), kept here: migrations must not change with the code.
    import re

    value = (text or "").strip().upper()
    if value in {"Z", "UTC", "GMT", "+00:00", "-00:00"}:
        return 0
    match = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?", value)
    if not match:
        return None
    minutes = int(match[2]) * 60 + int(match[3] or 0)
    if minutes > 14 * 60 or int(match[3] or 0) >= 60:
        return None
    return -minutes if match[1] == "-" else minutes


def _text(minutes: int | None) -> str | None:
    if minutes is None:
        return None
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def _convert(source: str, target: str, convert) -> None:
    """Fill column ``target`` from ``source`` (non-null rows) through ``convert``."""
    recordings = sa.table(
        "recordings",
        sa.column("id", sa.Integer()),
        sa.column("utc_offset", sa.String()),
        sa.column("utc_offset_min", sa.Integer()),
    )
    connection = op.get_bind()
    column = recordings.c[source]
    rows = connection.execute(sa.select(recordings.c.id, column).where(column.is_not(None)))
    for row_id, value in rows.all():
        connection.execute(
            recordings.update().where(recordings.c.id == row_id).values({target: convert(value)})
        )


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("utc_offset_min", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("clock_issue", sa.Text(), nullable=True))
        batch.add_column(sa.Column("mtime_ns", sa.BigInteger(), nullable=True))
    _convert("utc_offset", "utc_offset_min", _minutes)
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("utc_offset")


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("utc_offset", sa.String(length=6), nullable=True))
    _convert("utc_offset_min", "utc_offset", _text)
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("mtime_ns")
        batch.drop_column("clock_issue")
        batch.drop_column("utc_offset_min")
