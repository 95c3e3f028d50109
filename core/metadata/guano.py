"""Read GUANO metadata (the ``guan`` chunk, https://guano-md.org) the way recorders write it.

The specification asks for ``Key: Value`` lines of UTF-8 text. Real files add their own
habits, all accepted here:

* Wildlife Acoustics (Song Meter, Echo Meter Touch) pads with extra spaces
  (``Version:  1.0``), leaves values empty (``Serial: ``), writes JSON values
  (``WA|Song Meter|Audio settings: [{"rate":"256000",...}]``) and timestamps with a space and
  a colon-less offset (``2022-08-15 21:34:14+0100``).
* AudioMoth (1.10+) writes no space at all (``Serial:24E144055E080032``) and an odd-sized,
  unpadded chunk; others pad with NULs or spaces, or end lines with CRLF.
* SonoBat writes stray ``:`` lines, a ``Version`` of ``1.0:`` and non-UTF-8 bytes.

:func:`parse_guano` keeps every value as the text it is (the raw map that ``ranawatch
inspect`` prints); :func:`parse_guano_timestamp` and :func:`parse_loc_position` interpret
the two well-known fields RanaWatch needs.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from core.errors import MetadataError

logger = logging.getLogger(__name__)

# Characters the GUANO specification says to trim around keys and values.
_WHITESPACE = " \t\n\x0b\x0c\r\x00"
_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
    r"\s*(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?"
)


def parse_guano(raw: bytes | str) -> dict[str, str]:
    """Parse the text of a ``guan`` chunk into a ``{key: value}`` map.

    Parameters
    ----------
    raw
        The chunk payload (bytes, UTF-8 expected) or its decoded text.

    Returns
    -------
    dict[str, str]
        Keys as written, namespaces included (``"GUANO|Version"``, ``"OAD|Battery
        Voltage"``, ``"WA|Song Meter|Prefix"``), with the whitespace around each ``|`` and
        at both ends trimmed; values trimmed, possibly empty, otherwise verbatim (JSON stays
        JSON, ``\\n`` escapes stay escaped). A key written twice keeps its last value.
        Lines without a ``:`` or with an empty key are skipped.
    """
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            # SonoBat wrote mac-roman/cp1252; latin-1 never fails and keeps ASCII intact.
            logger.debug("GUANO text is not UTF-8; reading it as latin-1")
            text = raw.decode("latin-1")
    else:
        text = raw
    fields: dict[str, str] = {}
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip(_WHITESPACE)
        if not line:
            continue
        key, sep, value = line.partition(":")
        key = "|".join(part.strip(_WHITESPACE) for part in key.split("|"))
        if not sep or not key.strip("|"):
            logger.debug("skipping GUANO line without a key: %r", line)
            continue
        if key in fields:
            logger.debug("GUANO key %r appears twice; keeping the last value", key)
        fields[key] = value.strip(_WHITESPACE)
    return fields


def parse_guano_timestamp(value: str) -> datetime | None:
    """Interpret a GUANO ``Timestamp``.

    Parameters
    ----------
    value
        ``2024-09-03T19:31:30+01:00``, ``2015-12-31T23:59:59.123Z``, the Wildlife Acoustics
        ``2022-08-15 21:34:14+0100``, or a local time without zone.

    Returns
    -------
    datetime | None
        Timezone-aware (in the writer's own offset) when the text gives a zone, naive
        (local time, offset unknown) when it does not, ``None`` for an empty value.

    Raises
    ------
    MetadataError
        The text is not a date and time.
    """
    value = value.strip()
    if not value:
        return None
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        raise MetadataError(f"unreadable GUANO Timestamp {value!r}")
    clock = match["time"] if match["time"].count(":") == 2 else match["time"] + ":00"
    try:
        stamp = datetime.fromisoformat(f"{match['date']}T{clock}")
    except ValueError as exc:
        raise MetadataError(f"impossible GUANO Timestamp {value!r}") from exc
    zone = match["zone"]
    if zone is None:
        return stamp
    if zone == "Z":
        return stamp.replace(tzinfo=UTC)
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes >= 60:
        raise MetadataError(f"impossible UTC offset in GUANO Timestamp {value!r}")
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if zone[0] == "-" else 1)
    return stamp.replace(tzinfo=timezone(offset))


def parse_loc_position(value: str) -> tuple[float, float] | None:
    """Interpret a GUANO ``Loc Position`` (WGS84 ``"latitude longitude"`` in degrees).

    Parameters
    ----------
    value
        ``"50.7179417 -1.7611083"`` (a comma between the two numbers is accepted too).

    Returns
    -------
    tuple[float, float] | None
        ``(latitude, longitude)`` in decimal degrees, or ``None`` for an empty value.

    Raises
    ------
    MetadataError
        Not two numbers, or outside -90..90 / -180..180.
    """
    parts = value.replace(",", " ").split()
    if not parts:
        return None
    try:
        latitude, longitude = (float(part) for part in parts)
    except ValueError as exc:
        raise MetadataError(f"unreadable GUANO Loc Position {value!r}") from exc
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise MetadataError(f"GUANO Loc Position {value!r} is off the globe")
    return latitude, longitude


def leading_number(value: str | None) -> float | None:
    """Read the number a GUANO value starts with, ignoring a unit after it.

    Parameters
    ----------
    value
        E.g. ``"3.92 V"``, ``"-1.25"``.

    Returns
    -------
    float | None
        The number (3.92), or ``None`` when the value is missing, does not start with one,
        or is too large to be finite (``999...9``: never Infinity).
    """
    if not value:
        return None
    match = re.match(r"\s*([+-]?\d+(?:\.\d+)?)", value)
    number = float(match[1]) if match else None
    return number if number is not None and math.isfinite(number) else None


@dataclass(frozen=True)
class RecordingSettings:
    """AudioMoth's ``OAD|Recording Settings`` value, interpreted (firmware 1.11+).

    Attributes
    ----------
    samplerate_hz
        Sample rate in Hz.
    gain_index
        0 (low) to 4 (high), the index into :data:`core.metadata.audiomoth_settings.GAIN_WORDS`.
    filter, trigger
        In the wording of :class:`core.metadata.audiomoth.AudioMothComment`, so that the two sources
        compare as equal strings when they agree.
    """

    samplerate_hz: int | None = None
    gain_index: int | None = None
    filter: str | None = None
    trigger: str | None = None


def parse_recording_settings(value: str) -> RecordingSettings:
    """Interpret ``OAD|Recording Settings``, e.g. ``"48000 GAIN 2 HPF 15000 AMP 4% 5 LGR"``.

    Parameters
    ----------
    value
        The raw GUANO value: the sample rate, then ``GAIN g``, optional ``LPF hz``,
        ``HPF hz``, ``BPF low_hz high_hz``, ``AMP threshold seconds`` or ``FREQ centre_hz
        window threshold seconds``, and flags (``LGR``, ``D48``, ``ESM``) that are ignored.

    Returns
    -------
    RecordingSettings
        The parts present; the others are ``None``.

    Raises
    ------
    MetadataError
        A keyword is followed by something other than the numbers it needs.
    """
    tokens = value.split()
    fields: dict[str, object] = {}
    try:
        if tokens and tokens[0].isdigit():
            fields["samplerate_hz"] = int(tokens.pop(0))
        while tokens:
            word = tokens.pop(0).upper()
            if word == "GAIN":
                fields["gain_index"] = int(tokens.pop(0))
            elif word in ("LPF", "HPF"):
                kind = "low" if word == "LPF" else "high"
                fields["filter"] = f"{kind}-pass {_khz(tokens.pop(0))} kHz"
            elif word == "BPF":
                low, high = _khz(tokens.pop(0)), _khz(tokens.pop(0))
                fields["filter"] = f"band-pass {low}-{high} kHz"
            elif word == "AMP":
                threshold = re.sub(r"\s*dB", " dB", tokens.pop(0))
                fields["trigger"] = f"amplitude {threshold}, {int(tokens.pop(0))} s minimum"
            elif word == "FREQ":
                centre, window, threshold = _khz(tokens.pop(0)), int(tokens.pop(0)), tokens.pop(0)
                fields["trigger"] = (
                    f"frequency {centre} kHz, {window}-sample window, {threshold}, "
                    f"{int(tokens.pop(0))} s minimum"
                )
    except (IndexError, ValueError) as exc:
        raise MetadataError(f"unreadable GUANO OAD|Recording Settings {value!r}") from exc
    return RecordingSettings(**fields)  # type: ignore[arg-type]


def _khz(hertz: str) -> str:
    # The firmware stores filter and trigger frequencies in units of 100 Hz.
    return f"{int(hertz) / 1000:.1f}"
