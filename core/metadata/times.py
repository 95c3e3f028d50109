"""Recording times: a header's local time placed in UTC, once, with its offset.

The rules for where :attr:`RecordingMetadata.recorded_at` comes from (see
:mod:`core.metadata.recording`): a GUANO ``Timestamp`` with a zone first, then the AudioMoth
comment, then a zone-less GUANO time placed in the caller's default zone (or left local,
``zone_unknown``), then the file name. Every conversion that could leave the calendar
(year 1 east of UTC, 9999 west of it) raises :class:`~core.errors.MetadataError`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import ConfigError, MetadataError
from core.metadata.audiomoth import AudioMothComment, format_offset
from core.metadata.offsets import format_utc_iso, offset_minutes

if TYPE_CHECKING:
    from core.metadata.recording import RecordingMetadata

_FILENAME_TIME = re.compile(r"(?<!\d)(?P<date>\d{8})_(?P<time>\d{6})(?!\d)")


def resolve_zone(default_tz: tzinfo | str | None) -> tzinfo | None:
    """A ``tzinfo`` from an IANA name, a ``tzinfo`` or ``None``.

    Raises
    ------
    ConfigError
        The name is not a known time zone.
    """
    if default_tz is None or isinstance(default_tz, tzinfo):
        return default_tz
    try:
        return ZoneInfo(default_tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"unknown time zone {default_tz!r} (use an IANA name such as 'America/Los_Angeles')"
        ) from exc


def time_from_filename(name: str) -> datetime | None:
    """Read an AudioMoth-style ``YYYYMMDD_HHMMSS`` time from a file name, taken as UTC.

    Parameters
    ----------
    name
        ``"20240903_193130.WAV"``, ``"20240903_193130T.WAV"`` (triggered),
        ``"24E144055E080032_20240903_193130.WAV"``, ``"Site-20231208_103700.wav"``.

    Returns
    -------
    datetime | None
        Aware UTC time, or ``None`` when the name holds no valid date and time.
    """
    for match in reversed(list(_FILENAME_TIME.finditer(Path(name).stem))):
        try:
            local = datetime.strptime(match["date"] + match["time"], "%Y%m%d%H%M%S")
        except ValueError:
            continue
        return local.replace(tzinfo=UTC)
    return None


def set_time(
    meta: RecordingMetadata, g_time: datetime | None, am: AudioMothComment, zone: tzinfo | None
) -> None:
    """Set ``recorded_at``, ``utc_offset_min``, ``time_source`` and the zone fields of ``meta``."""
    c_time, c_offset = am.recorded_at, am.utc_offset
    if g_time is not None and g_time.tzinfo is not None:
        meta.recorded_at, meta.time_source = _utc(g_time), "guano"
        offset = g_time.utcoffset()
        meta.utc_offset_min = offset_minutes(offset) if offset is not None else None
        if c_time is not None and c_time != meta.recorded_at:
            meta.conflicts.append(
                describe_conflict(
                    "recorded_at", format_utc_iso(meta.recorded_at), format_utc_iso(c_time)
                )
            )
        if c_offset is not None and offset is not None and c_offset != offset:
            meta.conflicts.append(
                describe_conflict("utc_offset", format_offset(offset), format_offset(c_offset))
            )
    elif c_time is not None:
        meta.recorded_at, meta.time_source = c_time, "comment"
        meta.utc_offset_min = offset_minutes(c_offset) if c_offset is not None else None
        if g_time is not None:
            local = c_time.astimezone(timezone(c_offset)) if c_offset is not None else c_time
            if local.replace(tzinfo=None) != g_time:
                meta.conflicts.append(
                    describe_conflict(
                        "local time", g_time.isoformat(), local.replace(tzinfo=None).isoformat()
                    )
                )
    elif g_time is not None:
        meta.time_source, meta.local_time = "guano", g_time
        if zone is None:
            meta.zone_unknown = True
            meta.notes.append(
                "GUANO Timestamp has no time zone (local time by the GUANO spec): the UTC "
                "time is unknown; configure the site's time zone to place it"
            )
            return
        placed = g_time.replace(tzinfo=zone)
        meta.recorded_at = _utc(placed)
        offset = placed.utcoffset()
        meta.utc_offset_min = offset_minutes(offset) if offset is not None else None
        meta.notes.append(f"GUANO Timestamp has no time zone: taken as local time in {zone}")


def _utc(stamp: datetime) -> datetime:
    try:
        return stamp.astimezone(UTC)
    except OverflowError as exc:  # year 1 east of UTC, year 9999 west of it
        raise MetadataError(f"time {stamp.isoformat()} lies outside the calendar in UTC") from exc


def describe_conflict(name: str, from_guano: object, from_comment: object) -> str:
    return f"{name}: GUANO says {from_guano}, the comment says {from_comment}"
