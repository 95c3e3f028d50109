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

Times are timezone-aware UTC. A time written without a zone (AudioMoth 1.0.0, a GUANO
``Local DateTime``, a file name) is taken as UTC and ``utc_offset`` stays ``None``; note
that AudioMoth names files in the time zone it was configured with, so a file-name time is
local time whenever the recorder was set to one.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timezone
from pathlib import Path
from typing import TypeVar

from core.audio.riff import read_riff
from core.errors import MetadataError
from core.metadata.audiomoth import (
    GAIN_WORDS,
    AudioMothComment,
    format_offset,
    is_audiomoth_comment,
    parse_audiomoth_comment,
)
from core.metadata.guano import (
    leading_number,
    parse_guano,
    parse_guano_timestamp,
    parse_loc_position,
    parse_recording_settings,
)
from core.metadata.offsets import format_utc_iso

logger = logging.getLogger(__name__)

_T = TypeVar("_T", str, float)

_FILENAME_TIME = re.compile(r"(?<!\d)(?P<date>\d{8})_(?P<time>\d{6})(?!\d)")
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
    device_id
        Serial number of the recorder.
    recorded_at
        Start of the recording, timezone-aware UTC.
    utc_offset
        The recorder's local offset, ``"-08:00"``; ``None`` when unknown.
    time_source
        Where ``recorded_at`` came from: ``"guano"``, ``"comment"`` or ``"filename"``.
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
        ``ICMT`` and ``IART`` text verbatim (up to the first NUL).
    conflicts
        One line per field where GUANO and the comment disagree, naming both values.
    """

    path: Path
    recorder: str | None = None
    device_id: str | None = None
    recorded_at: datetime | None = None
    utc_offset: str | None = None
    time_source: str | None = None
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


def read_metadata(path: str | Path) -> RecordingMetadata:
    """Read the recorder metadata of a WAV file from its header chunks (no samples).

    Parameters
    ----------
    path
        The WAV file.

    Returns
    -------
    RecordingMetadata
        Combined GUANO, AudioMoth comment and file-name information.

    Raises
    ------
    EmptyFileError, NotAudioError, CorruptHeaderError, UnsupportedFormatError
        The file is not a readable RIFF/WAVE file (see :func:`core.audio.riff.read_riff`).
    MetadataError
        An AudioMoth comment or GUANO field is present but cannot be interpreted.
    """
    riff = read_riff(path)
    info = riff.info_fields()
    meta = RecordingMetadata(path=riff.path, comment=info.get("ICMT"), artist=info.get("IART"))
    guano_chunk = riff.find("guan")
    if guano_chunk is not None:
        meta.guano = parse_guano(riff.read(guano_chunk))
    try:
        comment = None
        if is_audiomoth_comment(meta.comment, meta.artist):
            comment = parse_audiomoth_comment(meta.comment or "", meta.artist)
        _combine(meta, comment, meta.guano)
    except MetadataError as exc:
        raise MetadataError(
            f"{riff.path}: {exc} (the audio may still be readable; "
            "check the recorder's header with `ranawatch inspect`)"
        ) from exc
    if meta.recorded_at is None and (stamp := time_from_filename(riff.path.name)):
        meta.recorded_at, meta.time_source = stamp, "filename"
    return meta


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
    meta: RecordingMetadata, comment: AudioMothComment | None, guano: dict[str, str]
) -> None:
    am = comment or AudioMothComment()
    settings = parse_recording_settings(guano.get("OAD|Recording Settings", ""))
    g_time = parse_guano_timestamp(guano.get("Timestamp", ""))
    position = parse_loc_position(guano.get("Loc Position", ""))

    meta.recorder = recorder_family(guano.get("Make"), guano.get("Model"))
    if meta.recorder is None and (comment or (meta.artist or "").startswith("AudioMoth")):
        meta.recorder = "AudioMoth"
    _set_time(meta, g_time, am)

    g_gain = GAIN_WORDS[settings.gain_index] if settings.gain_index in range(5) else None
    meta.device_id = _pick(meta, "device_id", guano.get("Serial") or None, am.device_id)
    meta.temperature_c = _pick(meta, "temperature_c", _temperature(guano), am.temperature_c)
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


def _set_time(meta: RecordingMetadata, g_time: datetime | None, am: AudioMothComment) -> None:
    c_time, c_offset = am.recorded_at, am.utc_offset
    if g_time is not None and g_time.tzinfo is not None:
        meta.recorded_at, meta.time_source = g_time.astimezone(UTC), "guano"
        offset = g_time.utcoffset()
        meta.utc_offset = format_offset(offset) if offset is not None else None
        if c_time is not None and c_time != meta.recorded_at:
            meta.conflicts.append(_conflict("recorded_at", _iso(meta.recorded_at), _iso(c_time)))
        if c_offset is not None and offset is not None and c_offset != offset:
            meta.conflicts.append(_conflict("utc_offset", meta.utc_offset, format_offset(c_offset)))
    elif c_time is not None:
        meta.recorded_at, meta.time_source = c_time, "comment"
        meta.utc_offset = format_offset(c_offset) if c_offset is not None else None
        if g_time is not None:
            local = c_time.astimezone(timezone(c_offset)) if c_offset is not None else c_time
            if local.replace(tzinfo=None) != g_time:
                meta.conflicts.append(
                    _conflict(
                        "local time", g_time.isoformat(), local.replace(tzinfo=None).isoformat()
                    )
                )
    elif g_time is not None:
        meta.recorded_at, meta.time_source = g_time.replace(tzinfo=UTC), "guano"


def _pick(
    meta: RecordingMetadata, name: str, from_guano: _T | None, from_comment: _T | None
) -> _T | None:
    if from_guano is None:
        return from_comment
    if from_comment is not None and not _same(from_guano, from_comment):
        meta.conflicts.append(_conflict(name, from_guano, from_comment))
    return from_guano


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 0.05
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().upper() == b.strip().upper()
    return a == b


def _temperature(guano: dict[str, str]) -> float | None:
    for key in ("Temperature Int", "Temperature Ext"):
        if (value := leading_number(guano.get(key))) is not None:
            return value
    return None


def _battery(meta: RecordingMetadata, guano: dict[str, str], am: AudioMothComment) -> float | None:
    g_volts = next(
        (v for key in _BATTERY_KEYS if (v := leading_number(guano.get(key))) is not None), None
    )
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
        meta.conflicts.append(_conflict("battery_v", g_volts, f"{condition}{bound}"))
    return g_volts


def _iso(stamp: datetime) -> str:
    return format_utc_iso(stamp)


def _conflict(name: str, from_guano: object, from_comment: object) -> str:
    return f"{name}: GUANO says {from_guano}, the comment says {from_comment}"
