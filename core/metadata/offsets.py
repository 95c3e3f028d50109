"""UTC offsets and UTC times: parsed once, formatted once for each place shown.

A recorder's local offset is kept as whole minutes east of UTC (``-480`` for California
in winter) from the moment it is read. Two spellings are shown: ISO 8601 (``-08:00``, in
``inspect``, ``list`` and JSON) and the AudioMoth firmware's own (``UTC-8``, in the report
columns that copy the recorder's comment).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def offset_minutes(offset: timedelta) -> int:
    """Whole minutes east of UTC of an offset (seconds dropped)."""
    return int(offset.total_seconds() // 60)


def format_iso_offset(offset_min: int) -> str:
    """ISO 8601: ``+01:00``, ``-08:00``, ``+05:30``, ``+00:00``."""
    sign = "-" if offset_min < 0 else "+"
    hours, minutes = divmod(abs(int(offset_min)), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def format_utc_iso(stamp: datetime) -> str:
    """A time as ISO 8601 UTC with a ``Z``: ``2021-05-01T23:32:00Z`` (naive: taken as UTC)."""
    aware = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def format_utc_offset(offset_min: int) -> str:
    """As the AudioMoth firmware writes it: ``UTC``, ``UTC+1``, ``UTC-8``, ``UTC+5:30``.

    Parameters
    ----------
    offset_min
        Local time minus UTC, in minutes.
    """
    if offset_min == 0:
        return "UTC"
    sign = "+" if offset_min > 0 else "-"
    hours, minutes = divmod(abs(int(offset_min)), 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")
