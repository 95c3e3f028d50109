"""The front end against the published recipe, and streamed resampling against whole-file."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchaudio

from core.model.card import FrontendConfig
from core.model.frontend import batch_fbank, compute_fbank, frame_samples

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


@pytest.mark.parametrize("samples", [160_000, 48_000, 8_000, 561, 400])
def test_batched_fbank_equals_the_recipe_per_window(samples: int) -> None:
    windows = torch.stack([chirp(10.1, 16000, seed=i)[:samples] for i in range(3)])
    got = batch_fbank(windows, FrontendConfig(), 1024)
    want = torch.stack([reference_fbank(w, 1024) for w in windows])
    assert got.shape == (3, 1024, 128)
    # a batch of one is the recipe; larger batches only round differently (float32: both
    # are about 3e-4 from a float64 fbank in the faintest mel bins)
    one = batch_fbank(windows[:1], FrontendConfig(), 1024)[0]
    torch.testing.assert_close(one, want[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(got, want, atol=2e-4, rtol=1e-4)


def test_batched_fbank_refuses_windows_shorter_than_a_frame() -> None:
    with pytest.raises(ValueError, match="at least 400 mono samples"):
        batch_fbank(torch.zeros(2, 399), FrontendConfig(), 1024)
