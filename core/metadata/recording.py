"""One metadata record per recording, from everything its header says about it.

Three sources, in order of trust:

1. GUANO (``guan`` chunk): AudioMoth 1.10+, Wildlife Acoustics, Elekon BATLOGGER, NABat
   tools. Machine-written key/value pairs with an explicit UTC offset.
2. The AudioMoth comment and artist (``LIST``/``INFO`` ``ICMT`` and ``IART``), every
   firmware generation (:mod:`core.metadata.audiomoth`).
3. The AudioMoth file name ``YYYYMMDD_HHMMSS`` (``20240903_193130T.WAV``,
   ``Site-20231208_103700.wav``), only for the time, and only when no header gives one.

Where GUANO and the comment both give a field the GUANO value is kept, and every
disagreement (time, offset, serial, temperature, battery, gain, filter, trigger, deployment)
is reported in :attr:`RecordingMetadata.conflicts` with both values. Fields no source gives
stay ``None``: nothing is guessed.

Times are timezone-aware UTC. A GUANO ``Timestamp`` without a zone is local time by the
GUANO specification: its wall-clock time is kept in ``local_time`` with
``zone_unknown=True`` and no ``recorded_at``, unless the caller names the site's time zone
(``read_metadata(path, default_tz="America/Los_Angeles")``). AudioMoth 1.0.0 comments (whose
clock ran on UTC) and file names are taken as UTC with ``utc_offset_min`` ``None``; note that
AudioMoth names files in the time zone it was configured with, so a file-name time is local
time whenever the recorder was set to one. A time that cannot be expressed in UTC (year 1
east of Greenwich, 9999 west of it) is a :class:`~core.errors.MetadataError`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TypeVar

from core.errors import MetadataError
from core.metadata.audiomoth import (
    AudioMothComment,
    is_audiomoth_comment,
    parse_audiomoth_comment,
    serial_from_artist,
)
from core.metadata.audiomoth_settings import GAIN_WORDS
from core.metadata.guano import (
    leading_number,
    parse_guano_timestamp,
    parse_loc_position,
    parse_recording_settings,
)
from core.metadata.header import read_header_text
from core.metadata.times import describe_conflict, resolve_zone, set_time, time_from_filename

logger = logging.getLogger(__name__)

_T = TypeVar("_T", str, float)

_BATTERY_KEYS = ("OAD|Battery Voltage", "Elekon|BattVoltage", "Battery Voltage")
_RECORDER_FAMILIES = (
    (re.compile(r"audiomoth|open acoustic", re.I), "AudioMoth"),
    (re.compile(r"song ?meter|\bsm\d|\bsm mini", re.I), "Song Meter"),
    (re.compile(r"echo ?meter|\bem\d|\bemt", re.I), "Echo Meter"),
    (re.compile(r"batlogger|elekon", re.I), "BATLOGGER"),
)


@dataclass
class RecordingMetadata:
    """Everything known about one recording besides its samples.

    Attributes
    ----------
    path
        The file.
    recorder
        Recorder family: ``"AudioMoth"``, ``"Song Meter"``, ``"Echo Meter"``,
        ``"BATLOGGER"``, or the GUANO ``Model``/``Make`` of any other.
    device_serial
        Serial number of the recorder.
    recorded_at
        Start of the recording, timezone-aware UTC.
    utc_offset_min
        The recorder's local offset in minutes east of UTC (``-480`` for UTC-8); ``None``
        when unknown. Shown as ``-08:00`` by :func:`core.metadata.offsets.format_iso_offset`.
    time_source
        Where the time came from: ``"guano"``, ``"comment"`` or ``"filename"``.
    zone_unknown
        True when the header gives a local time without a zone (a GUANO ``Timestamp``
        without offset) and no default zone was given: ``recorded_at`` is then ``None``.
    local_time
        That zone-less wall-clock time, naive (also kept when a default zone placed it).
    temperature_c, battery_v
        Recorder temperature (degrees Celsius) and battery voltage (volts). AudioMoth gives
        only a bound for out-of-range batteries (``less than 2.5V``): ``battery_v`` is then
        that bound, or the stand-in its GUANO writes (2.4 V / 5.0 V).
    gain, firmware, deployment_id, filter, trigger, stop_reason
        As in :class:`core.metadata.audiomoth.AudioMothComment`. ``firmware`` is the GUANO
        ``Firmware Version`` or, from the comment alone, a range such as ``"1.4.0-1.5.x
        (inferred from comment wording)"``.
    latitude, longitude
        GUANO ``Loc Position``, decimal degrees WGS84.
    guano
        The raw GUANO key/value map (empty without a ``guan`` chunk).
    comment, artist
        ``ICMT`` and ``IART`` text verbatim (up to the first NUL); when OpenSoundscape
        rewrote ``ICMT`` as ``opso_metadata`` JSON, the original comment kept in it.
    conflicts
        One line per field where GUANO and the comment disagree, naming both values.
    notes
        How the header was read where it needed care: a rewritten comment, a number that
        is not finite (left ``None``), a time without a zone.
    """

    path: Path
    recorder: str | None = None
    device_serial: str | None = None
    recorded_at: datetime | None = None
    utc_offset_min: int | None = None
    time_source: str | None = None
    zone_unknown: bool = False
    local_time: datetime | None = None
    temperature_c: float | None = None
    battery_v: float | None = None
    gain: str | None = None
    firmware: str | None = None
    deployment_id: str | None = None
    filter: str | None = None
    trigger: str | None = None
    stop_reason: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    guano: dict[str, str] = field(default_factory=dict)
    comment: str | None = None
    artist: str | None = None
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_metadata(path: str | Path, *, default_tz: tzinfo | str | None = None) -> RecordingMetadata:
    """Read the recorder metadata of a WAV or FLAC file from its header (no samples).

    Parameters
    ----------
    path
        The recording.
    default_tz
        The site's time zone (``"America/Los_Angeles"`` or a ``tzinfo``), used for a
        local time the header gives without a zone; ``None``: such a time stays local,
        ``zone_unknown`` is set and ``recorded_at`` is ``None``.

    Returns
    -------
    RecordingMetadata
        Combined GUANO, AudioMoth comment and file-name information.

    Raises
    ------
    AudioError
        Any subclass: the file is not a readable WAV or FLAC file, or not a regular file
        (see :func:`core.audio.riff.read_riff`).
    MetadataError
        An AudioMoth comment or GUANO field is present but cannot be interpreted, or
        gives a time outside the calendar in UTC.
    ConfigError
        ``default_tz`` is not a known time zone.
    """
    path = Path(path)
    zone = resolve_zone(default_tz)
    text = read_header_text(path)
    meta = RecordingMetadata(
        path=path, comment=text.comment, artist=text.artist, guano=text.guano, notes=text.notes
    )
    try:
        comment = None
        if is_audiomoth_comment(meta.comment, meta.artist):
            comment = parse_audiomoth_comment(meta.comment or "", meta.artist)
        _combine(meta, comment, meta.guano, zone)
    except (MetadataError, OverflowError) as exc:
        raise MetadataError(
            f"{path}: {exc} (the audio may still be readable; "
            "check the recorder's header with `ranawatch inspect`)"
        ) from exc
    if meta.time_source is None and (stamp := time_from_filename(path.name)):
        meta.recorded_at, meta.time_source = stamp, "filename"
    return meta


def recorder_family(make: str | None, model: str | None) -> str | None:
    """Name the recorder family from GUANO ``Make`` and ``Model``.

    Parameters
    ----------
    make, model
        The GUANO values (either may be missing).

    Returns
    -------
    str | None
        ``"AudioMoth"``, ``"Song Meter"``, ``"Echo Meter"``, ``"BATLOGGER"``, otherwise the
        model (or make) as written, or ``None`` when neither is given.
    """
    text = f"{make or ''} {model or ''}"
    for pattern, family in _RECORDER_FAMILIES:
        if pattern.search(text):
            return family
    return model or make or None


def _combine(
    meta: RecordingMetadata,
    comment: AudioMothComment | None,
    guano: dict[str, str],
    zone: tzinfo | None,
) -> None:
    am = comment or AudioMothComment()
    settings = parse_recording_settings(guano.get("OAD|Recording Settings", ""))
    g_time = parse_guano_timestamp(guano.get("Timestamp", ""))
    position = parse_loc_position(guano.get("Loc Position", ""))

    meta.recorder = recorder_family(guano.get("Make"), guano.get("Model"))
    if meta.recorder is None and (comment or (meta.artist or "").startswith("AudioMoth")):
        meta.recorder = "AudioMoth"
    set_time(meta, g_time, am, zone)

    g_gain = GAIN_WORDS[settings.gain_index] if settings.gain_index in range(5) else None
    c_serial = am.device_serial or (None if comment else serial_from_artist(meta.artist))
    meta.device_serial = _pick(meta, "device_serial", guano.get("Serial") or None, c_serial)
    meta.temperature_c = _pick(meta, "temperature_c", _temperature(meta), am.temperature_c)
    meta.battery_v = _battery(meta, guano, am)
    # Compare by setting, so a numeric "2" (firmware < 1.4) agrees with GUANO's "medium".
    c_gain = am.gain
    if c_gain is not None and c_gain.isdigit() and int(c_gain) < len(GAIN_WORDS):
        c_gain = GAIN_WORDS[int(c_gain)]
    meta.gain = am.gain if g_gain is None else _pick(meta, "gain", g_gain, c_gain)
    meta.deployment_id = _pick(
        meta, "deployment_id", guano.get("OAD|Deployment ID") or None, am.deployment_id
    )
    meta.filter = _pick(meta, "filter", settings.filter, am.filter)
    meta.trigger = _pick(meta, "trigger", settings.trigger, am.trigger)
    meta.stop_reason = am.stop_reason
    hint = f"{am.firmware_hint} (inferred from comment wording)" if am.firmware_hint else None
    meta.firmware = guano.get("Firmware Version") or hint
    if position is not None:
        meta.latitude, meta.longitude = position
    for line in meta.conflicts:
        logger.debug("%s: %s", meta.path, line)


def _pick(
    meta: RecordingMetadata, name: str, from_guano: _T | None, from_comment: _T | None
) -> _T | None:
    if from_guano is None:
        return from_comment
    if from_comment is not None and not _same(from_guano, from_comment):
        meta.conflicts.append(describe_conflict(name, from_guano, from_comment))
    return from_guano


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 0.05
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().upper() == b.strip().upper()
    return a == b


def _temperature(meta: RecordingMetadata) -> float | None:
    for key in ("Temperature Int", "Temperature Ext"):
        if (value := _number(meta, key)) is not None:
            return value
    return None


def _number(meta: RecordingMetadata, key: str) -> float | None:
    raw = meta.guano.get(key)
    value = leading_number(raw)
    if value is None and raw and re.match(r"\s*[+-]?\d", raw):
        meta.notes.append(f"GUANO {key} {raw[:24]!r} is not a finite number: ignored")
    return value


def _battery(meta: RecordingMetadata, guano: dict[str, str], am: AudioMothComment) -> float | None:
    g_volts = next((v for key in _BATTERY_KEYS if (v := _number(meta, key)) is not None), None)
    if g_volts is None or am.battery_v is None:
        return g_volts if g_volts is not None else am.battery_v
    bound = am.battery_v
    # AudioMoth GUANO writes 2.4 for "less than 2.5V" and 5.0 for "greater than 4.9V".
    agree = {
        "less than": g_volts <= bound,
        "greater than": g_volts >= bound,
    }.get(am.battery_condition or "", abs(g_volts - bound) < 0.05)
    if not agree:
        condition = f"{am.battery_condition} " if am.battery_condition else ""
        meta.conflicts.append(describe_conflict("battery_v", g_volts, f"{condition}{bound}"))
    return g_volts
