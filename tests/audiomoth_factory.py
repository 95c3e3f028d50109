"""AudioMoth recordings as each firmware generation writes them, for tests.

One factory, built on :mod:`tests.factories`: :func:`audiomoth_comment` re-implements the
``setHeaderComment`` of every AudioMoth-Firmware-Basic release (C sources read from
OpenAcousticDevices/AudioMoth-Firmware-Basic ``main.c``/``src/main.c`` and the per-release
diffs in mbsantiago/metamoth ``docs/firmware_versions/version_*.rst``), quirks included;
:func:`audiomoth_guano` re-implements ``writeGuanoData`` (1.10+); and
:func:`write_audiomoth_wav` lays them out byte for byte as the firmware does::

    RIFF WAVE | fmt (16) | LIST INFO [ICMT fixed size, NUL padded][IART 32] | data | guan

=========  ==========  ====  =====  ======================================================
firmware   ICMT bytes  IART  GUANO  notes
=========  ==========  ====  =====  ======================================================
1.0.0      128         no    no     no time zone, serial printed as an address, "4.05V"
1.0.1      128         no    no     "(UTC)"
1.2.0      128         no    no     "(UTC+H)", "< 3.6V."
1.2.1      256         32    no     "less than 3.6V.", "Recording cancelled ..."
1.2.2      256         32    no     minutes as ":%2d" (space padded), sign lost at 0 hours
1.4.0      384         32    no     gain word, temperature, filters, amplitude number
1.5.0      384         32    no     deployment id, external microphone
1.6.0      384         32    no     "gain while battery was", %/dB thresholds
1.7.0      384         32    no     "Recording stopped by magnetic switch."
1.8.0      384         32    no     frequency trigger; amplitude after the filter
1.10.1     384         32    yes    GUANO as in the real 1.10.1 file (batdetect2 test data)
1.11.0     384         32    yes    later GUANO writer: deployment id, recording settings
=========  ==========  ====  =====  ======================================================

The ICMT size of 1.2.2 is taken to be that of 1.2.1 (256); the first release with the
longer GUANO is not named in the sources, "1.11.0" labels it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from tests.factories import guano_chunk, list_info_chunk, write_wav

GENERATIONS: dict[str, tuple[int, int | None, bool]] = {
    # version: (ICMT size, IART size or None, writes GUANO)
    "1.0.0": (128, None, False),
    "1.0.1": (128, None, False),
    "1.2.0": (128, None, False),
    "1.2.1": (256, 32, False),
    "1.2.2": (256, 32, False),
    "1.4.0": (384, 32, False),
    "1.5.0": (384, 32, False),
    "1.6.0": (384, 32, False),
    "1.7.0": (384, 32, False),
    "1.8.0": (384, 32, False),
    "1.10.1": (384, 32, True),
    "1.11.0": (384, 32, True),
}
GAINS = ("low", "low-medium", "medium", "medium-high", "high")
BOGUS_SERIAL = "0FE081F80FE081F0"  # what 1.0.x printed: the address of the serial number


@dataclass(frozen=True)
class Moth:
    """The state of an AudioMoth at the moment it closes a recording.

    ``filter`` is ``(kind, low_khz, high_khz)`` with kind ``"low"``, ``"band"`` or
    ``"high"``; ``amplitude`` is ``("number", n)``, ``("percent", mantissa, exponent)`` or
    ``("db", n)`` (meaning -n dB); ``frequency_trigger`` is ``(centre_khz, window_samples,
    mantissa, exponent)``; ``battery`` is ``"ok"``, ``"low"`` or ``"full"`` (out of range).
    """

    when_utc: datetime = datetime(2024, 5, 1, 4, 30, 15, tzinfo=UTC)
    tz_hours: int = 0
    tz_minutes: int = 0
    serial: str = "24E144055E080032"
    gain: int = 2
    battery_v: float = 4.2
    battery: str = "ok"
    temperature_c: float = 12.3
    deployment_id: str | None = None
    external_microphone: bool = False
    filter: tuple[str, float | None, float | None] | None = None
    amplitude: tuple[str, int] | tuple[str, int, int] | None = None
    frequency_trigger: tuple[float, int, int, int] | None = None
    min_trigger_s: int = 0
    stop: str | None = None

    @property
    def local(self) -> datetime:
        """The recorder's wall-clock time (what the comment prints)."""
        offset = timedelta(hours=self.tz_hours, minutes=self.tz_minutes)
        return (self.when_utc + offset).replace(tzinfo=None)


def _v(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _decikhz(khz: float) -> str:
    tenths = round(khz * 10)
    return f"{tenths // 10}.{tenths % 10}kHz"


def _percentage(mantissa: int, exponent: int) -> str:
    # formatPercentage(): mantissa scaled by 10**exponent, e.g. (5, -2) -> "0.05%".
    if exponent < 0:
        return "0." + "0" * (-exponent - 1) + f"{mantissa}%"
    return f"{mantissa}{'0' * exponent}%"


def _tz(version: str, hours: int, minutes: int) -> str:
    v = _v(version)
    if v < (1, 2, 2):
        return "" if hours == 0 else f"{hours:+d}"
    if v < (1, 4, 0):
        # 1.2.2: minutes as ":%2d" (space padded); no sign at all when the hours are 0.
        text = "" if hours == 0 else f"{hours:+d}"
        return text + (f":{abs(minutes):2d}" if minutes else "")
    text = f"{hours:+d}" if hours else ("-0" if minutes < 0 else "+0" if minutes > 0 else "")
    return text + (f":{abs(minutes):02d}" if minutes else "")


def _battery(version: str, moth: Moth) -> str:
    v = _v(version)
    if moth.battery != "ok":
        low = moth.battery == "low"
        if v < (1, 2, 1):
            text = "< 3.6V" if low else "> 5.0V"
        elif v < (1, 4, 0):
            text = "less than 3.6V" if low else "greater than 4.9V"
        else:
            text = "less than 2.5V" if low else "greater than 4.9V"
    else:
        state = round(moth.battery_v * 10)
        # 1.0.0 printed the tenths with "%02d" ("4.05V" for 4.5 V).
        text = (
            f"{state // 10}.{state % 10:02d}V" if v < (1, 0, 1) else f"{state // 10}.{state % 10}V"
        )
    return text + ("." if (1, 2, 0) <= v < (1, 4, 0) else "")


def _filter(version: str, moth: Moth) -> str:
    if moth.filter is None:
        return ""
    kind, low, high = moth.filter
    name = {"low": "Low", "band": "Band", "high": "High"}[kind]
    if _v(version) < (1, 6, 0):
        if kind == "band":
            return (
                f" Band-pass filter applied with cut-off frequencies of {_decikhz(low)} and "
                f"{_decikhz(high)}."
            )
        freq = _decikhz(high if kind == "low" else low)
        return f" {name}-pass filter applied with cut-off frequency of {freq}."
    if kind == "band":
        return (
            f" Band-pass filter with frequencies of {_decikhz(low)} and {_decikhz(high)} applied."
        )
    return (
        f" {name}-pass filter with frequency of {_decikhz(high if kind == 'low' else low)} applied."
    )


def _amplitude(version: str, moth: Moth) -> str:
    if moth.amplitude is None or moth.frequency_trigger is not None:
        return ""
    if _v(version) < (1, 6, 0):
        return f" Amplitude threshold was {moth.amplitude[1]}."
    scale = moth.amplitude[0]
    if scale == "db":
        value = f"-{moth.amplitude[1]} dB" if moth.amplitude[1] else "0 dB"
    elif scale == "percent":
        value = _percentage(moth.amplitude[1], moth.amplitude[2])  # type: ignore[misc]
    else:
        value = str(moth.amplitude[1])
    return f" Amplitude threshold was {value} with {moth.min_trigger_s}s minimum trigger duration."


def _frequency(version: str, moth: Moth) -> str:
    if moth.frequency_trigger is None or _v(version) < (1, 8, 0):
        return ""
    centre, window, mantissa, exponent = moth.frequency_trigger
    return (
        f" Frequency trigger ({_decikhz(centre)} and window length of {window} samples)"
        f" threshold was {_percentage(mantissa, exponent)} with {moth.min_trigger_s}s minimum"
        " trigger duration."
    )


_STOPS = {  # reason: (1.2.1-1.5.x wording, 1.6.0 wording, 1.7.0+ wording)
    "low voltage": ("low voltage.", "low voltage.", " due to low voltage."),
    "switch position change": (
        "change of switch position.",
        "switch position change.",
        " due to switch position change.",
    ),
    "microphone change": ("microphone change.", "microphone change.", " due to microphone change."),
    "file size limit": ("file size limit.", "file size limit.", " due to file size limit."),
    "magnetic switch": (None, None, " by magnetic switch."),
    "SD card write error": (None, None, " due to SD card write error."),
}


def _stop(version: str, moth: Moth) -> str:
    v = _v(version)
    if moth.stop is None or v < (1, 2, 1):
        return ""
    old, middle, new = _STOPS[moth.stop]
    if (old if v < (1, 6, 0) else middle if v < (1, 7, 0) else new) is None:
        return ""  # this firmware had no such reason
    if v < (1, 4, 0) and moth.stop == "low voltage":
        return " Recording cancelled before completion due to low battery voltage."
    if v < (1, 6, 0):
        return f" Recording cancelled before completion due to {old}"
    if v < (1, 7, 0):
        return f" Recording stopped due to {middle}"
    return f" Recording stopped{new}"


def audiomoth_comment(version: str, moth: Moth = Moth()) -> str:
    """The ``ICMT`` text that firmware ``version`` writes for ``moth`` (see module table)."""
    v = _v(version)
    local = moth.local if v >= (1, 2, 0) else moth.when_utc.replace(tzinfo=None)
    text = f"Recorded at {local:%H:%M:%S} {local:%d/%m/%Y}"
    if v >= (1, 2, 0):
        text += f" (UTC{_tz(version, moth.tz_hours, moth.tz_minutes)})"
    elif v >= (1, 0, 1):
        text += " (UTC)"  # the clock could not be set to local time before 1.2.0
    serial = BOGUS_SERIAL if v < (1, 2, 0) else moth.serial
    if v < (1, 4, 0):
        text += f" by AudioMoth {serial} at gain setting {moth.gain} while battery state was "
        return text + _battery(version, moth) + _stop(version, moth)
    if moth.deployment_id and v >= (1, 5, 0):
        text += f" during deployment {moth.deployment_id} "
    else:
        text += f" by AudioMoth {serial} "
    if moth.external_microphone and v >= (1, 5, 0):
        text += "using external microphone "
    wording = "gain setting while battery state was" if v < (1, 6, 0) else "gain while battery was"
    text += f"at {GAINS[moth.gain]} {wording} {_battery(version, moth)}"
    decidegrees = int(abs(moth.temperature_c) * 10 + 0.5)
    sign = "-" if moth.temperature_c < 0 else ""
    text += f" and temperature was {sign}{decidegrees // 10}.{decidegrees % 10}C."
    if v < (1, 8, 0):
        text += _amplitude(version, moth) + _filter(version, moth)
    else:
        text += _frequency(version, moth) + _filter(version, moth) + _amplitude(version, moth)
    return text + _stop(version, moth)


def audiomoth_filename(moth: Moth = Moth(), *, triggered: bool = False) -> str:
    """The file name AudioMoth gives a recording: local time, ``T`` when triggered."""
    return f"{moth.local:%Y%m%d_%H%M%S}{'T' if triggered else ''}.WAV"


def audiomoth_guano(version: str, moth: Moth = Moth(), filename: str | None = None) -> str:
    """The ``guan`` text that firmware ``version`` (1.10+) writes, as ``writeGuanoData``."""
    later = _v(version) >= (1, 11, 0)
    lines = ["GUANO|Version:1.0", "Make:Open Acoustic Devices", "Model:AudioMoth"]
    lines.append(f"Serial:{moth.serial}")
    if later and moth.deployment_id:
        lines.append(f"OAD|Deployment ID:{moth.deployment_id}")
    lines.append(f"Firmware Version:AudioMoth-Firmware-Basic ({version})")
    offset = moth.tz_hours * 60 + moth.tz_minutes
    zone = "Z" if offset == 0 else f"{'-' if offset < 0 else '+'}{abs(moth.tz_hours):02d}"
    zone += "" if offset == 0 else f":{abs(moth.tz_minutes):02d}"
    lines.append(f"Timestamp:{moth.local:%Y-%m-%dT%H:%M:%S}{zone}")
    triggered = moth.amplitude is not None or moth.frequency_trigger is not None
    lines.append(f"Original Filename:{filename or audiomoth_filename(moth, triggered=triggered)}")
    if later:
        lines.append(f"OAD|Recording Settings:{_settings(moth)}")
    volts = 2.4 if moth.battery == "low" else 5.0 if moth.battery == "full" else moth.battery_v
    lines.append(f"OAD|Battery Voltage:{volts:.1f}")
    decidegrees = int(abs(moth.temperature_c) * 10 + 0.5)
    sign = "-" if moth.temperature_c < 0 else ""
    lines.append(f"Temperature Int:{sign}{decidegrees // 10}.{decidegrees % 10}")
    return "\n".join(lines)


def _settings(moth: Moth, samplerate_hz: int = 48000) -> str:
    text = f"{samplerate_hz} GAIN {moth.gain}"
    if moth.frequency_trigger is not None:
        centre, window, mantissa, exponent = moth.frequency_trigger
        pct = _percentage(mantissa, exponent)
        text += f" FREQ {round(centre * 1000)} {window} {pct} {moth.min_trigger_s}"
    if moth.filter is not None:
        kind, low, high = moth.filter
        hz = {k: round(f * 1000) for k, f in (("low", low), ("high", high)) if f is not None}
        text += {
            "low": f" LPF {hz.get('high')}",
            "high": f" HPF {hz.get('low')}",
            "band": f" BPF {hz.get('low')} {hz.get('high')}",
        }[kind]
    if moth.amplitude is not None and moth.frequency_trigger is None:
        scale, number = moth.amplitude[0], moth.amplitude[1]
        if scale == "db":
            value = f"-{number}dB" if number else "0dB"
        elif scale == "percent":
            value = _percentage(number, moth.amplitude[2])  # type: ignore[misc]
        else:
            value = str(number)
        text += f" AMP {value} {moth.min_trigger_s}"
    return text


def write_audiomoth_wav(
    path: str | Path,
    version: str,
    moth: Moth = Moth(),
    *,
    comment: str | None = None,
    guano: str | None = None,
    samplerate_hz: int = 48000,
    frames: int = 4800,
) -> Path:
    """Write a WAV exactly as firmware ``version`` lays it out.

    Parameters
    ----------
    path
        Where to write; name it like the firmware does with :func:`audiomoth_filename`.
    version
        A key of :data:`GENERATIONS`.
    moth
        Recorder state that the comment (and GUANO, 1.10+) describe.
    comment, guano
        Text to write instead of the generated one (verbatim examples, conflicts).
    samplerate_hz, frames
        Audio format of the 16-bit mono silence-with-a-tone payload.
    """
    comment_size, artist_size, writes_guano = GENERATIONS[version]
    text = audiomoth_comment(version, moth) if comment is None else comment
    artist = f"AudioMoth {moth.serial}" if artist_size else None
    info = list_info_chunk(text, artist, comment_size=comment_size, artist_size=artist_size)
    after = []
    if writes_guano or guano is not None:
        after.append(guano_chunk(audiomoth_guano(version, moth) if guano is None else guano))
    tone = 0.1 * np.sin(2 * np.pi * 1000 * np.arange(frames) / samplerate_hz)
    # The firmware never pads its GUANO chunk, which may have an odd size (real 1.10.1 files).
    return write_wav(
        path,
        tone,
        samplerate_hz,
        chunks_before_data=[info],
        chunks_after_data=after,
        pad_odd_chunks=False,
    )
