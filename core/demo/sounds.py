"""The sounds of the synthetic season: wind, rain, a chorus, and the planted grunt series.

All synthetic and seeded (every function takes a :class:`numpy.random.Generator`):

* **wind**: noise below about 400 Hz whose loudness gusts over seconds;
* **rain**: broadband hiss with drop clicks;
* **chorus**: a two-note "crick-et" of another, made-up frog species at 1.8-3 kHz, many
  callers, kept above the planted band so that it is a distractor, not a look-alike;
* **grunt series** (the planted call, ``Synthetic grunt frog``): 2-8 low grunts with a
  fundamental of 300-450 Hz and harmonics up to about 1 kHz, repeated at a rate that rises
  with temperature (:func:`grunt_rate_hz`).

Levels are peak-normalised amplitudes in [-1, 1]; 16-bit samples are written by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The label of the planted calls, everywhere (ground truth, model card, reports).
CALL_LABEL = "Synthetic grunt frog"
#: The band the planted grunts occupy, in Hz.
CALL_BAND_HZ = (300.0, 1000.0)


def grunt_rate_hz(temperature_c: float) -> float:
    """Grunts per second in a series at ``temperature_c`` (warmer frogs call faster)."""
    return float(np.clip(1.2 + 0.18 * (temperature_c - 6.0), 1.0, 4.5))


def calls_per_minute(temperature_c: float) -> float:
    """Mean number of grunt series per minute of recording at ``temperature_c``."""
    return float(np.clip(0.45 * (temperature_c - 6.5), 0.0, 4.0))


def _shaped_noise(rng: np.random.Generator, n: int, samplerate_hz: int, shape) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / samplerate_hz)
    out = np.fft.irfft(spectrum * shape(freqs), n)
    return out / (np.std(out) + 1e-12)


def _slow_envelope(
    rng: np.random.Generator, n: int, samplerate_hz: int, period_s: float
) -> np.ndarray:
    points = max(2, int(n / samplerate_hz / period_s) + 2)
    knots = rng.standard_normal(points)
    return np.interp(np.linspace(0, points - 1, n), np.arange(points), knots)


def wind(rng: np.random.Generator, n: int, samplerate_hz: int, strength: float) -> np.ndarray:
    """Gusty low-frequency wind noise of RMS about ``strength``."""
    # Wind on a microphone is a rumble: steep above ~150 Hz, so the grunts' band stays clear.
    noise = _shaped_noise(
        rng, n, samplerate_hz, lambda f: 1.0 / (1.0 + (f / 150.0) ** 4) * (f > 15)
    )
    gusts = np.exp(0.4 * _slow_envelope(rng, n, samplerate_hz, 3.0))
    return strength * noise * gusts / np.sqrt(np.mean(gusts**2))


def rain(rng: np.random.Generator, n: int, samplerate_hz: int, intensity: float) -> np.ndarray:
    """Rain: broadband hiss plus drops (decaying clicks) at a rate set by ``intensity``."""
    if intensity <= 0:
        return np.zeros(n)
    hiss = _shaped_noise(rng, n, samplerate_hz, lambda f: 1.0 / np.sqrt(1.0 + f / 2000.0))
    out = 0.01 * intensity * hiss
    drops = rng.poisson(intensity * 40 * n / samplerate_hz)
    length = int(0.01 * samplerate_hz)
    decay = np.exp(-np.arange(length) / (0.002 * samplerate_hz))
    for start in rng.integers(0, max(1, n - length), drops):
        out[start : start + length] += (
            0.05 * intensity * rng.uniform(0.5, 3.0) * decay * rng.standard_normal(length)
        )
    return out


def _tone(
    samplerate_hz: int,
    duration_s: float,
    f0_hz: float,
    harmonics: tuple[float, ...],
    glide: float,
    rng: np.random.Generator,
) -> np.ndarray:
    t = np.arange(int(duration_s * samplerate_hz)) / samplerate_hz
    freq = f0_hz * (1.0 + glide * (0.5 - t / duration_s))
    phase = 2 * np.pi * np.cumsum(freq) / samplerate_hz
    out = sum(a * np.sin((k + 1) * phase + rng.uniform(0, 6.3)) for k, a in enumerate(harmonics))
    attack = np.minimum(1.0, t / 0.015)
    return np.asarray(out) * attack * np.exp(-t / (0.4 * duration_s))


def chorus(
    rng: np.random.Generator, n: int, samplerate_hz: int, callers: int, level: float
) -> np.ndarray:
    """A chorus of ``callers`` frogs of the made-up second species (1.8-3 kHz)."""
    out = np.zeros(n)
    for _ in range(callers):
        f0 = rng.uniform(1800, 2600)
        gain = level * rng.uniform(0.3, 1.0)
        period = rng.uniform(0.6, 1.6)
        start = rng.uniform(0, period)
        while start < n / samplerate_hz - 0.4:
            for note in (0.0, 0.16):
                tone = _tone(samplerate_hz, 0.11, f0 + 250 * (note > 0), (1.0, 0.25), -0.1, rng)
                at = int((start + note) * samplerate_hz)
                out[at : at + tone.size] += gain * tone[: n - at]
            start += period * rng.uniform(0.8, 1.25)
    return out


def background(
    rng: np.random.Generator,
    n: int,
    samplerate_hz: int,
    *,
    wind_strength: float,
    rain_intensity: float,
    callers: int,
) -> np.ndarray:
    """A night's sound without the planted calls: self-noise, wind, rain, the chorus."""
    audio = 0.002 * rng.standard_normal(n)  # microphone self-noise
    audio += wind(rng, n, samplerate_hz, wind_strength)
    audio += rain(rng, n, samplerate_hz, rain_intensity)
    if callers:
        audio += chorus(rng, n, samplerate_hz, callers, 0.03)
    return audio


@dataclass(frozen=True)
class GruntSeries:
    """One planted call: a series of grunts starting at ``start_s`` in its recording."""

    start_s: float
    end_s: float
    grunts: int
    rate_hz: float
    f0_hz: float
    level: float


def plan_series(
    rng: np.random.Generator,
    duration_s: float,
    temperature_c: float,
    level: float,
    *,
    count: int | None = None,
    margin_s: float = 0.3,
) -> list[GruntSeries]:
    """Draw the planted calls of one recording (their number rises with temperature).

    Series never overlap and are at least 2 s apart; one that would not fit is left out.
    """
    if count is None:
        count = int(rng.poisson(calls_per_minute(temperature_c) * duration_s / 60.0))
    rate = grunt_rate_hz(temperature_c)
    series: list[GruntSeries] = []
    for _ in range(count):
        grunts = int(rng.integers(2, 9))
        length = (grunts - 1) / rate + 0.2
        if length + 2 * margin_s >= duration_s:
            continue
        for _attempt in range(10):
            start = float(rng.uniform(margin_s, duration_s - length - margin_s))
            if all(start > s.end_s + 2.0 or start + length < s.start_s - 2.0 for s in series):
                series.append(
                    GruntSeries(
                        start_s=round(start, 3),
                        end_s=round(start + length, 3),
                        grunts=grunts,
                        rate_hz=round(rate, 3),
                        f0_hz=float(rng.uniform(300, 450)),
                        level=level * float(rng.uniform(0.6, 1.0)),
                    )
                )
                break
    return sorted(series, key=lambda s: s.start_s)


def render_series(
    out: np.ndarray, samplerate_hz: int, series: GruntSeries, rng: np.random.Generator
) -> None:
    """Add one grunt series into ``out`` (in place)."""
    for k in range(series.grunts):
        at_s = series.start_s + k / series.rate_hz
        grunt = _tone(
            samplerate_hz,
            float(rng.uniform(0.14, 0.2)),
            series.f0_hz * float(rng.uniform(0.97, 1.03)),
            (1.0, 0.7, 0.35),
            0.15,
            rng,
        )
        at = int(at_s * samplerate_hz)
        end = min(out.size, at + grunt.size)
        out[at:end] += series.level * grunt[: end - at]
