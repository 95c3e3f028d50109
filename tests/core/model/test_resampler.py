"""Streamed resampling against whole-file torchaudio, the kernel cache and the rate limits."""

from __future__ import annotations

import pytest
import torch
import torchaudio

from core.errors import UnsupportedFormatError
from core.model.resampler import (
    MAX_KERNEL_TAPS,
    StreamingResampler,
    check_kernel,
    kernel_taps,
    resampler_for,
)
from tests.core.model.test_frontend import chirp


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
        (22_050, 5000),
    ],
)
def test_streamed_resampling_equals_whole_file(orig_hz: int, chunk: int) -> None:
    x = chirp(2.7, orig_hz, seed=orig_hz)
    whole = torchaudio.functional.resample(x, orig_hz, 16_000) if orig_hz != 16_000 else x
    stream = StreamingResampler(orig_hz, 16_000)
    parts = [stream.push(x[i : i + chunk]) for i in range(0, x.numel(), chunk)]
    parts.append(stream.flush())
    got = torch.cat(parts)
    assert got.shape == whole.shape == (-(-x.numel() * 16_000 // orig_hz),)
    # float32 rounding only: the same sums, chunked (about -100 dB)
    torch.testing.assert_close(got, whole, atol=2e-5, rtol=0)


def test_one_kernel_per_rate_pair_and_device() -> None:
    assert resampler_for(48_000, 16_000, "cpu") is resampler_for(48_000, 16_000, "cpu")
    a, b = StreamingResampler(48_000, 16_000), StreamingResampler(48_000, 16_000)
    assert a._resample is b._resample


def test_push_after_flush_is_an_error() -> None:
    stream = StreamingResampler(48_000, 16_000)
    stream.flush()
    with pytest.raises(RuntimeError):
        stream.push(torch.zeros(10))


def test_kernel_size_follows_the_reduced_ratio() -> None:
    assert kernel_taps(16_000, 16_000) == 0
    assert kernel_taps(48_000, 16_000) == 1 * (3 + 2 * 19)
    assert kernel_taps(44_100, 16_000) == 160 * (441 + 2 * 17)
    assert kernel_taps(15_999, 16_000) > 250_000_000  # the 1 GB kernel of issue 9


@pytest.mark.parametrize("rate", [8_000, 44_100, 250_000, 384_000, 1_000_000, 12_345])
def test_usual_and_odd_rates_have_bounded_kernels(rate: int) -> None:
    check_kernel("a.wav", rate, 16_000)
    assert kernel_taps(rate, 16_000) <= MAX_KERNEL_TAPS


def test_a_rate_without_a_small_ratio_is_refused_before_allocating() -> None:
    with pytest.raises(UnsupportedFormatError) as caught:
        check_kernel("odd.wav", 15_999, 16_000)
    assert str(caught.value) == (
        "odd.wav: declares 15999 Hz, which has no small ratio to the model's 16000 Hz "
        "(resampling would need a 1.0 GiB filter) (convert it to a standard rate first, "
        "e.g. sox IN.wav -r 16000 OUT.wav)"
    )
