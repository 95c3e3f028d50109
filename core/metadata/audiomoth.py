"""Read the sentence AudioMoth writes into every WAV: the ``ICMT`` comment and ``IART`` artist.

AudioMoth-Firmware-Basic has worded that sentence differently over the years
(``setHeaderComment`` in its ``main.c``):

============  =====================================================================
firmware      what the comment looks like
============  =====================================================================
1.0.0         no time zone; ``at gain setting 2 while battery state was 4.05V``
1.0.1-1.1.x   ``(UTC)``; ``4.5V`` without a closing period
1.2.0         ``(UTC+1)``; ``< 3.6V.`` / ``> 5.0V.``
1.2.1-1.3.x   ``IART`` added; ``less than 3.6V.`` / ``greater than 4.9V.``;
              ``Recording cancelled before completion due to low battery voltage.``;
              1.2.2 adds minutes (``(UTC+5:30)``)
1.4.0-1.5.x   ``at medium gain setting while battery state was 4.1V and temperature
              was 5.8C.``, ``less than 2.5V``, ``Amplitude threshold was 128.``,
              ``Low-pass filter applied with cut-off frequency of 8.0kHz.``;
              1.5 adds ``during deployment <id>``, ``using external microphone``
1.6.0+        ``at medium gain while battery was 4.6V``, thresholds in % or dB
              ``with 5s minimum trigger duration``, ``High-pass filter with frequency of
              15.0kHz applied.``, ``Recording stopped due to ...``; 1.7 ``Recording
              stopped by magnetic switch.``; 1.8 ``Frequency trigger (...)``
1.10+         the same comment plus a GUANO chunk (:mod:`core.metadata.guano`)
============  =====================================================================

The AudioMoth Live app writes the same opening with milliseconds (``Recorded at
21:04:05.250 12/06/2024 (UTC-7) by AudioMoth Live using ...``) and no serial; it is read too.

Two firmware bugs are undone rather than copied: 1.0.0 printed 4.5 V as ``4.05V``, and 1.0.x
printed the *address* of the serial number (always ``0FE081F80FE081F0``) instead of the
serial itself, which is therefore reported as unknown.

This module reads the opening (time, time zone) and the serial; what the comment says of
the recorder's settings and state is read in :mod:`core.metadata.audiomoth_settings`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, timezone

from core.errors import MetadataError
from core.metadata.audiomoth_settings import DEPLOYMENT, CommentSettings, parse_comment_settings
from core.metadata.offsets import format_iso_offset, offset_minutes

logger = logging.getLogger(__name__)

#: What AudioMoth 1.0.x wrote in place of every device's serial (a memory address).
BOGUS_SERIAL = "0FE081F80FE081F0"

_HEADER = re.compile(
    r"Recorded at (?P<time>\d{1,2}:\d{2}:\d{2})(?:\.(?P<ms>\d{3}))? "
    r"(?P<date>\d{1,2}/\d{1,2}/\d{4})"
    r"(?: \(UTC(?P<tz>[^)]{0,8})\))?"
)
_TZ = re.compile(r"(?P<sign>[+-]?)(?P<hours>\d{1,2})?(?::\s?(?P<minutes>\d{1,2}))?")
_BY = re.compile(r"\bby AudioMoth (?P<serial>[0-9A-Fa-f]{16})\b")
# The AudioMoth Live app signs "by AudioMoth Live using <microphone>." and has no serial.
_BY_ANY = re.compile(r"\bby AudioMoth\b")
_ARTIST = re.compile(r"\s*AudioMoth (?P<serial>[0-9A-Fa-f]{16})\s*")


@dataclass(frozen=True)
class AudioMothComment(CommentSettings):
    """What one AudioMoth comment says. Every field is ``None`` when the comment does not say it.

    Attributes
    ----------
    recorded_at
        Start of the recording, timezone-aware UTC. A comment without a time zone (firmware
        1.0.0, whose clock ran on UTC) is taken as UTC.
    utc_offset
        The recorder's configured offset from UTC (``(UTC)`` gives 0); ``None`` when the
        comment names no time zone.
    device_serial
        The 16-hex-digit serial (``"249BC30461CBB1E6"``), from the comment or the artist.
    gain
        As written: a word (``"medium"``) from 1.4.0 on, a digit (``"2"``) before.
    battery_v, battery_condition
        Battery voltage in volts; when out of the measurable range the firmware writes only a
        bound, kept as ``battery_condition`` ``"less than"``/``"greater than"``.
    temperature_c
        Internal temperature in degrees Celsius (1.4.0+).
    deployment_id
        The deployment id set in the configuration app (1.5.0+).
    external_microphone
        ``True`` when recorded through the external microphone socket, ``False`` when the
        firmware would have said so and did not, ``None`` for firmware that never says.
    filter
        ``"low-pass 8.0 kHz"``, ``"band-pass 1.0-8.0 kHz"`` or ``"high-pass 15.0 kHz"``.
    trigger
        ``"amplitude 4%, 5 s minimum"``, ``"amplitude -30 dB"``, ``"amplitude 128"`` or
        ``"frequency 48.0 kHz, 512-sample window, 10%, 2 s minimum"``.
    stop_reason
        Why the recording ended early: ``"low voltage"``, ``"switch position change"``,
        ``"microphone change"``, ``"file size limit"``, ``"magnetic switch"``,
        ``"SD card write error"`` (or the firmware's own words for a reason not listed).
    firmware_hint
        Firmware generation inferred from the wording, e.g. ``"1.4.0-1.5.x"``, ``"1.8.0+"``.
    """

    recorded_at: datetime | None = None
    utc_offset: timedelta | None = None
    device_serial: str | None = None


def is_audiomoth_comment(comment: str | None, artist: str | None = None) -> bool:
    """Tell whether a comment was written by an AudioMoth.

    Parameters
    ----------
    comment
        ``ICMT`` text.
    artist
        ``IART`` text, which identifies a comment that names a deployment instead.

    Returns
    -------
    bool
        True when it opens with ``Recorded at <time> <date>`` and is signed by an AudioMoth.
    """
    if not comment:
        return False
    text = _clean(comment)
    return bool(_HEADER.match(text)) and bool(
        _BY_ANY.search(text) or DEPLOYMENT.search(text) or (artist and _ARTIST.fullmatch(artist))
    )


def parse_audiomoth_comment(comment: str, artist: str | None = None) -> AudioMothComment:
    """Parse an AudioMoth ``ICMT`` comment of any firmware generation.

    Parameters
    ----------
    comment
        The comment text. Anything after the first NUL is ignored: older firmware rewrote a
        fixed-size field without clearing it, leaving the tail of an earlier comment there.
    artist
        The ``IART`` text (``"AudioMoth 249BC30461CBB1E6"``), which names the device when the
        comment names a deployment instead.

    Returns
    -------
    AudioMothComment
        Every field the comment states; the others are ``None``.

    Raises
    ------
    MetadataError
        The text is not an AudioMoth comment, or its date, time or time zone is impossible.
    """
    text = _clean(comment)
    header = _HEADER.match(text)
    if not header or not is_audiomoth_comment(text, artist):
        raise MetadataError(f"not an AudioMoth comment: {text[:80]!r}")
    tz_text = header["tz"]
    offset = None if tz_text is None else _parse_offset(tz_text, text)
    try:
        local = datetime.strptime(f"{header['date']} {header['time']}", "%d/%m/%Y %H:%M:%S")
    except ValueError as exc:
        raise MetadataError(f"impossible date or time in AudioMoth comment {text[:60]!r}") from exc
    if header["ms"]:
        local = local.replace(microsecond=int(header["ms"]) * 1000)
    zone = timezone(offset) if offset is not None else UTC
    try:
        recorded_at = local.replace(tzinfo=zone).astimezone(UTC)
    except OverflowError as exc:  # year 1 east of UTC, year 9999 west of it
        raise MetadataError(
            f"time in AudioMoth comment {text[:60]!r} lies outside the calendar in UTC"
        ) from exc
    return AudioMothComment(
        recorded_at=recorded_at,
        utc_offset=offset,
        device_serial=_device_serial(text, artist),
        **asdict(parse_comment_settings(text, tz_text=tz_text, artist=artist)),
    )


def format_offset(offset: timedelta) -> str:
    """Format a UTC offset the ISO 8601 way (``"+01:00"``, ``"-08:00"``, ``"+05:30"``).

    The one formatter is :func:`core.metadata.offsets.format_iso_offset` (minutes).
    """
    return format_iso_offset(offset_minutes(offset))


def _clean(comment: str) -> str:
    return comment.split("\x00", 1)[0].strip()


def _parse_offset(tz_text: str, comment: str) -> timedelta:
    match = _TZ.fullmatch(tz_text.strip())
    if match is None:
        raise MetadataError(f"unreadable time zone '(UTC{tz_text})' in {comment[:60]!r}")
    hours, minutes = int(match["hours"] or 0), int(match["minutes"] or 0)
    if hours > 14 or minutes >= 60:
        raise MetadataError(f"impossible time zone '(UTC{tz_text})' in {comment[:60]!r}")
    # Firmware 1.2.2 dropped the sign when the hours were zero ("(UTC:30)"); every real zone
    # with a bare half hour is east of Greenwich, so a missing sign means "+".
    sign = -1 if match["sign"] == "-" else 1
    return sign * timedelta(hours=hours, minutes=minutes)


def serial_from_artist(artist: str | None) -> str | None:
    """The serial of a well-formed AudioMoth ``IART`` (``"AudioMoth 249BC30461CBB1E6"``).

    Returns
    -------
    str | None
        The 16 hex digits upper-case, or ``None`` for any other artist (or the 1.0.x
        memory address that stood in for every serial).
    """
    match = _ARTIST.fullmatch(artist) if artist else None
    serial = match["serial"].upper() if match else None
    return None if serial == BOGUS_SERIAL else serial


def _device_serial(text: str, artist: str | None) -> str | None:
    match = _BY.search(text) or (_ARTIST.fullmatch(artist) if artist else None)
    if match is None:
        return None
    serial = match["serial"].upper()
    if serial == BOGUS_SERIAL:
        logger.debug("firmware 1.0.x wrote a memory address, not the serial: device unknown")
        return None
    return serial
