"""The front end against the published recipe, and streamed resampling against whole-file."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchaudio

from core.model.card import FrontendConfig
from core.model.frontend import StreamingResampler, compute_fbank, frame_samples, resample

MEAN, STD = -4.2677393, 4.5689974


def reference_fbank(segment: torch.Tensor, target_length: int) -> torch.Tensor:
    """YuanGongND/ast src/dataloader.py ``_wav2fbank`` + normalisation, for one 16 kHz file."""
    waveform = segment.reshape(1, -1)  # torchaudio.load gives [channels, frames]
    waveform = waveform - waveform.mean()
    fbank = torchaudio.compliance.kaldi.fbank(
        waveform,
        htk_compat=True,
        sample_frequency=16000,
        use_energy=False,
        window_type="hanning",
        num_mel_bins=128,
        dither=0.0,
        frame_shift=10,
    )
    p = target_length - fbank.shape[0]
    if p > 0:
        fbank = torch.nn.ZeroPad2d((0, 0, 0, p))(fbank)
    elif p < 0:
        fbank = fbank[0:target_length, :]
    return (fbank - MEAN) / (STD * 2)


def chirp(seconds: float, rate: int, seed: int = 0) -> torch.Tensor:
    """A frog-band chirp with noise and a DC offset (so the mean removal matters)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    x = 0.3 * np.sin(2 * np.pi * (300 + 200 * t) * t) + 0.05 * rng.standard_normal(t.size) + 0.1
    return torch.from_numpy(x.astype(np.float32))


@pytest.mark.parametrize("seconds", [10.0, 3.0, 0.5, 12.0])
def test_fbank_equals_the_published_recipe(seconds: float) -> None:
    segment = chirp(seconds, 16000)
    got = compute_fbank(segment, FrontendConfig(), 1000)
    want = reference_fbank(segment, 1000)
    assert got.shape == (1000, 128)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_full_window_is_998_frames_padded_to_1000() -> None:
    got = compute_fbank(chirp(10.0, 16000), FrontendConfig(), 1000)
    padding = (0 - MEAN) / (2 * STD)  # zero-padded before normalisation
    assert torch.all(got[998:] == padding)
    assert not torch.any(got[997] == padding)


def test_longer_input_is_cut_to_target_frames() -> None:
    segment = chirp(12.0, 16000)
    got = compute_fbank(segment, FrontendConfig(), 1000)
    assert torch.equal(got, compute_fbank(segment, FrontendConfig(), 1200)[:1000])


def test_window_shorter_than_one_frame_is_refused() -> None:
    cfg = FrontendConfig()
    assert frame_samples(cfg) == 400
    compute_fbank(chirp(1.0, 16000)[:400], cfg, 1000)
    with pytest.raises(ValueError, match="at least 400 mono samples"):
        compute_fbank(chirp(1.0, 16000)[:399], cfg, 1000)


def test_normalisation_uses_the_card_statistics() -> None:
    segment = chirp(2.0, 16000)
    plain = compute_fbank(segment, FrontendConfig(mean=0.0, std=0.5), 300)
    other = compute_fbank(segment, FrontendConfig(mean=1.0, std=2.0), 300)
    torch.testing.assert_close(other, (plain - 1.0) / 4.0)


@pytest.mark.parametrize(
    ("orig_hz", "chunk"),
    [
        (48_000, 48_000),
        (48_000, 777),
        (44_100, 10_000),
        (32_000, 4096),
        (384_000, 100_000),
        (8_000, 333),
        (16_000, 1000),
    ],
)
def test_streamed_resampling_equals_whole_file(orig_hz: int, chunk: int) -> None:
    x = chirp(2.7, orig_hz, seed=orig_hz)
    whole = resample(x, orig_hz, 16_000)
    stream = StreamingResampler(orig_hz, 16_000)
    parts = [stream.push(x[i : i + chunk]) for i in range(0, x.numel(), chunk)]
    parts.append(stream.flush())
    got = torch.cat(parts)
    assert got.shape == whole.shape == (-(-x.numel() * 16_000 // orig_hz),)
    # float32 rounding only: the same sums, chunked (about -100 dB)
    torch.testing.assert_close(got, whole, atol=2e-5, rtol=0)


def test_streamed_resampling_is_whole_file_torchaudio() -> None:
    x = chirp(1.0, 48_000)
    assert torch.equal(
        resample(x, 48_000, 16_000), torchaudio.functional.resample(x, 48_000, 16_000)
    )
    assert resample(x, 16_000, 16_000) is x


def test_push_after_flush_is_an_error() -> None:
    stream = StreamingResampler(48_000, 16_000)
    stream.flush()
    with pytest.raises(RuntimeError):
        stream.push(torch.zeros(10))
