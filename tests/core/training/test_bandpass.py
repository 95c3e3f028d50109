"""The band-pass filters for real: sine sweeps keep the pass band and lose the stop band."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import chirp, hilbert

from core.errors import ConfigError
from core.training.bandpass import bandpass
from core.training.config import BandpassConfig

RATE = 32_000
CFG = BandpassConfig(low_hz=500.0, high_hz=3000.0, order=4)


def _gain_db(freq_hz: float, cfg: BandpassConfig = CFG) -> float:
    t = np.arange(RATE) / RATE
    x = np.sin(2 * np.pi * freq_hz * t)
    y = bandpass(x, RATE, cfg)
    middle = slice(RATE // 4, 3 * RATE // 4)  # away from the edges
    return 20 * np.log10(np.std(y[middle]) / np.std(x[middle]))


@pytest.mark.parametrize("freq_hz", [800.0, 1500.0, 2500.0])
def test_pass_band_is_kept(freq_hz: float) -> None:
    assert abs(_gain_db(freq_hz)) < 1.0


@pytest.mark.parametrize("freq_hz", [50.0, 100.0, 10_000.0, 14_000.0])
def test_stop_band_is_removed(freq_hz: float) -> None:
    # order 4 run forwards and backwards: far outside the band, well below -40 dB
    assert _gain_db(freq_hz) < -40.0


def test_sweep_envelope_follows_the_band() -> None:
    seconds = 4.0
    t = np.arange(round(seconds * RATE)) / RATE
    sweep = chirp(t, f0=20.0, t1=seconds, f1=15_000.0, method="logarithmic")
    out = bandpass(sweep, RATE, CFG)
    envelope = np.abs(hilbert(out))
    freq = 20.0 * (15_000.0 / 20.0) ** (t / seconds)  # instantaneous frequency
    inside = (freq > 900) & (freq < 2200)
    # the first and last 0.1 s hold the edge transients of the filter and of hilbert
    below = (freq < 120) & (t > 0.1)
    above = (freq > 11_000) & (t < seconds - 0.1)
    assert np.median(envelope[inside]) == pytest.approx(1.0, abs=0.1)
    assert np.max(envelope[below]) < 0.02
    assert np.max(envelope[above]) < 0.02


def test_filters_along_time_for_every_channel() -> None:
    # the original notebook filtered along the wrong axis: each channel must be filtered alone
    t = np.arange(RATE) / RATE
    stereo = np.stack([np.sin(2 * np.pi * 1500 * t), np.sin(2 * np.pi * 60 * t)], axis=1)
    out = bandpass(stereo, RATE, CFG)
    mono = [bandpass(stereo[:, i], RATE, CFG) for i in range(2)]
    np.testing.assert_allclose(out, np.stack(mono, axis=1), atol=1e-5)
    assert np.std(out[RATE // 4 : -RATE // 4, 0]) > 0.6
    assert np.std(out[RATE // 4 : -RATE // 4, 1]) < 0.01


def test_zero_phase_keeps_onsets_in_place() -> None:
    t = np.arange(RATE) / RATE
    burst = np.where((t > 0.4) & (t < 0.6), np.sin(2 * np.pi * 1500 * t), 0.0)
    out = bandpass(burst, RATE, CFG)
    peak_in = np.argmax(np.abs(hilbert(burst)) > 0.5)
    peak_out = np.argmax(np.abs(hilbert(out)) > 0.5)
    assert abs(peak_out - peak_in) < RATE * 0.002


def test_band_above_nyquist_is_refused() -> None:
    with pytest.raises(ConfigError, match="half the sample rate"):
        bandpass(np.zeros(1000), 4000, CFG)
