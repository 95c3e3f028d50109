"""Write WAV files laid out byte for byte as recent AudioMoth firmware writes them.

The layout and wording follow ``setHeaderComment`` and ``writeGuanoData`` of
AudioMoth-Firmware-Basic in its releases with GUANO and sunset schedules (1.10+)::

    RIFF WAVE | fmt (16) | LIST INFO [ICMT 384, NUL padded][IART 32] | data | guan

* ``ICMT``: ``Recorded at 19:40:00 03/02/2026 (UTC-8) by AudioMoth 24E144... at medium
  gain while battery was 4.6V and temperature was 11.2C.`` (plus `` Recording stopped due
  to low voltage.`` when the battery gave out).
* ``guan``: ``GUANO|Version``, ``Make``, ``Model``, ``Serial``, ``Firmware Version``, the local
  ``Timestamp`` with its offset, ``Loc Position`` with two decimals and ``OAD|Loc Source:
  Configuration app`` (what a sunset schedule stores), ``Original Filename``, ``OAD|Recording
  Settings``, ``OAD|Battery Voltage``, ``Temperature Int``. The firmware never pads this chunk.

Only the writer lives here; :mod:`core.metadata` reads the files back.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from core.metadata.audiomoth_settings import GAIN_WORDS

FIRMWARE = "AudioMoth-Firmware-Basic (1.11.0)"
COMMENT_BYTES = 384
ARTIST_BYTES = 32


@dataclass(frozen=True)
class MothState:
    """What an AudioMoth knows when it closes a recording.

    Attributes
    ----------
    start_utc
        Start of the recording, timezone-aware.
    utc_offset_min
        The time zone configured in the app, in minutes (``-480`` for UTC-8).
    serial
        16 hex digits.
    battery_v, temperature_c
        As measured (the firmware prints 0.1 V and 0.1 degree steps).
    latitude, longitude
        The position typed into the configuration app (kept to 0.01 degree).
    gain
        Index into :data:`GAIN_WORDS`.
    stop_reason
        ``None``, ``"low voltage"`` or ``"SD card write error"``.
    """

    start_utc: datetime
    utc_offset_min: int
    serial: str
    battery_v: float
    temperature_c: float
    latitude: float | None = None
    longitude: float | None = None
    samplerate_hz: int = 16_000
    gain: int = 2
    stop_reason: str | None = None

    @property
    def local(self) -> datetime:
        """The recorder's wall-clock time (naive), as it prints it."""
        return (self.start_utc + timedelta(minutes=self.utc_offset_min)).replace(tzinfo=None)

    @property
    def filename(self) -> str:
        """``YYYYMMDD_HHMMSS.WAV`` in local time, as the firmware names files."""
        return f"{self.local:%Y%m%d_%H%M%S}.WAV"


def _decidegrees(celsius: float) -> str:
    tenths = int(abs(celsius) * 10 + 0.5)
    return f"{'-' if celsius < 0 else ''}{tenths // 10}.{tenths % 10}"


def _battery_tenths(volts: float) -> int | None:
    # The extended battery state has 0.1 V steps from 2.5 V to 4.9 V.
    tenths = round(volts * 10)
    return None if tenths < 25 or tenths >= 50 else tenths


def _zone_comment(minutes: int) -> str:
    hours, rest = int(minutes / 60), abs(minutes) % 60
    text = f"{hours:+d}" if hours else ("-0" if minutes < 0 else "+0" if minutes > 0 else "")
    return text + (f":{rest:02d}" if rest else "")


def _zone_guano(minutes: int) -> str:
    if minutes == 0:
        return "Z"
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def header_comment(state: MothState) -> str:
    """The ``ICMT`` text the firmware writes for ``state``."""
    local = state.local
    zone = _zone_comment(state.utc_offset_min)
    text = f"Recorded at {local:%H:%M:%S} {local:%d/%m/%Y} (UTC{zone})"
    text += f" by AudioMoth {state.serial} at {GAIN_WORDS[state.gain]} gain while battery was "
    tenths = _battery_tenths(state.battery_v)
    if tenths is None:
        text += "less than 2.5V" if state.battery_v < 2.5 else "greater than 4.9V"
    else:
        text += f"{tenths // 10}.{tenths % 10}V"
    text += f" and temperature was {_decidegrees(state.temperature_c)}C."
    if state.stop_reason == "low voltage":
        text += " Recording stopped due to low voltage."
    elif state.stop_reason == "SD card write error":
        text += " Recording stopped due to SD card write error."
    return text


def _position(degrees: float) -> str:
    hundredths = round(degrees * 100)
    sign = "-" if hundredths < 0 else ""
    return f"{sign}{abs(hundredths) // 100}.{abs(hundredths) % 100:02d}"


def guano_text(state: MothState) -> str:
    """The ``guan`` text the firmware writes for ``state`` (a sunset schedule: position set)."""
    lines = [
        "GUANO|Version:1.0",
        "Make:Open Acoustic Devices",
        "Model:AudioMoth",
        f"Serial:{state.serial}",
        f"Firmware Version:{FIRMWARE}",
        f"Timestamp:{state.local:%Y-%m-%dT%H:%M:%S}{_zone_guano(state.utc_offset_min)}",
    ]
    if state.latitude is not None and state.longitude is not None:
        lines.append(f"Loc Position:{_position(state.latitude)} {_position(state.longitude)}")
        lines.append("OAD|Loc Source:Configuration app")
    lines.append(f"Original Filename:{state.filename}")
    lines.append(f"OAD|Recording Settings:{state.samplerate_hz} GAIN {state.gain}")
    tenths = _battery_tenths(state.battery_v)
    volts = (24 if state.battery_v < 2.5 else 50) if tenths is None else tenths
    lines.append(f"OAD|Battery Voltage:{volts // 10}.{volts % 10}")
    lines.append(f"Temperature Int:{_decidegrees(state.temperature_c)}")
    return "\n".join(lines)


def _field(chunk_id: bytes, text: str, size: int) -> bytes:
    raw = text.encode("ascii")[: size - 1]
    return chunk_id + struct.pack("<I", size) + raw + b"\x00" * (size - len(raw))


def audiomoth_bytes(samples: np.ndarray, state: MothState) -> bytes:
    """The whole file: header, 16-bit mono samples, GUANO.

    Parameters
    ----------
    samples
        Mono audio, float in [-1, 1] (clipped) or int16.
    state
        What the header says.
    """
    if samples.dtype != np.int16:
        samples = np.round(np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    data = samples.astype("<i2", copy=False).tobytes()
    info = (
        b"INFO"
        + _field(b"ICMT", header_comment(state), COMMENT_BYTES)
        + _field(b"IART", f"AudioMoth {state.serial}", ARTIST_BYTES)
    )
    guano = guano_text(state).encode("utf-8")
    fmt = struct.pack("<HHIIHH", 1, 1, state.samplerate_hz, 2 * state.samplerate_hz, 2, 16)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"LIST"
        + struct.pack("<I", len(info))
        + info
        + b"data"
        + struct.pack("<I", len(data))
        + data
        + b"guan"
        + struct.pack("<I", len(guano))
        + guano
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def write_audiomoth_wav(
    path: str | Path,
    samples: np.ndarray,
    state: MothState,
    *,
    keep_bytes: int | None = None,
    mtime: datetime | None = None,
) -> Path:
    """Write one AudioMoth file.

    Parameters
    ----------
    path
        Where to write (folders are created).
    samples, state
        See :func:`audiomoth_bytes`.
    keep_bytes
        Keep only this many bytes: a card that failed mid-write (the header still promises
        the whole recording, and the GUANO at the end is lost).
    mtime
        Modification time to give the file (a card's files carry the time they were closed).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = audiomoth_bytes(samples, state)
    path.write_bytes(raw if keep_bytes is None else raw[:keep_bytes])
    if mtime is not None:
        stamp = mtime.timestamp()
        os.utime(path, (stamp, stamp))
    return path
