"""load_audio stretches and iter_blocks streaming: same samples, one block in memory."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from core.audio.io import iter_blocks, load_audio, read_info
from tests.factories import encode_samples, write_wav

RATE = 1_000


@pytest.fixture
def stereo(tmp_path: Path) -> Path:
    x = np.random.default_rng(1).uniform(-1, 1, (2_500, 2))
    return write_wav(tmp_path / "stereo.wav", x, RATE, sample_format="PCM_24")


def sparse_wav(path: Path, frames: int, samplerate_hz: int, tail: np.ndarray) -> Path:
    """A PCM_16 mono WAV of ``frames`` frames that takes no disk space but ``tail`` at the end."""
    write_wav(path, np.zeros(0), samplerate_hz, data_size=frames * 2)
    os.truncate(path, 44 + frames * 2)
    with path.open("r+b") as fh:
        fh.seek(44 + (frames - len(tail)) * 2)
        fh.write(encode_samples(tail[:, np.newaxis], "PCM_16"))
    return path


# --------------------------------------------------------------------------- load_audio


@pytest.mark.parametrize(
    ("offset_s", "duration_s", "start", "stop"),
    [
        (0.0, None, 0, 2_500),
        (1.0, 0.5, 1_000, 1_500),
        (0.0004, 0.0006, 0, 1),  # rounded to the nearest frame
        (2.0, 10.0, 2_000, 2_500),  # runs past the end: cut there
        (2.5, None, 2_500, 2_500),  # exactly at the end: nothing
        (1.0, 0.0, 1_000, 1_000),
    ],
)
def test_load_audio_stretches(
    stereo: Path, offset_s: float, duration_s: float | None, start: int, stop: int
) -> None:
    full = load_audio(stereo)
    part = load_audio(stereo, offset_s, duration_s)
    assert part.shape == (stop - start, 2) and part.dtype == np.float32
    np.testing.assert_array_equal(part, full[start:stop])


def test_mono_is_the_channel_mean(stereo: Path) -> None:
    mono = load_audio(stereo, 0.5, 1.0, mono=True)
    assert mono.shape == (1_000,) and mono.dtype == np.float32
    np.testing.assert_allclose(mono, load_audio(stereo)[500:1_500].mean(axis=1), atol=1e-7)


def test_mono_of_a_mono_file_is_one_dimensional(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "m.wav", np.array([0.5, -0.25]), RATE)
    np.testing.assert_array_equal(load_audio(path, mono=True), np.float32([0.5, -0.25]))


@pytest.mark.parametrize(
    ("offset_s", "duration_s", "match"),
    [
        (2.6, None, "past the end of the recording"),
        (-0.1, None, "offset_s must be"),
        (float("nan"), None, "offset_s must be"),
        (0.0, -1.0, "duration_s must be"),
        (0.0, float("inf"), "duration_s must be"),
    ],
)
def test_bad_stretches_raise_value_error_naming_the_file(
    stereo: Path, offset_s: float, duration_s: float | None, match: str
) -> None:
    with pytest.raises(ValueError, match=f"stereo.wav.*{match}"):
        load_audio(stereo, offset_s, duration_s)


# --------------------------------------------------------------------------- iter_blocks


@pytest.mark.parametrize("block_frames", [1, 7, 256, 2_500, 10_000])
@pytest.mark.parametrize(("start", "stop"), [(0, None), (13, 2_001), (2_499, None), (5, 99_999)])
def test_blocks_concatenate_to_load_audio(
    stereo: Path, block_frames: int, start: int, stop: int | None
) -> None:
    blocks = list(iter_blocks(stereo, block_frames, start_frame=start, stop_frame=stop))
    assert all(b.shape == (block_frames, 2) for b in blocks[:-1])
    assert 0 < len(blocks[-1]) <= block_frames and blocks[-1].dtype == np.float32
    end = 2_500 if stop is None else min(stop, 2_500)
    np.testing.assert_array_equal(np.concatenate(blocks), load_audio(stereo)[start:end])


def test_mono_blocks(stereo: Path) -> None:
    blocks = list(iter_blocks(stereo, 1_000, mono=True))
    assert [b.shape for b in blocks] == [(1_000,), (1_000,), (500,)]
    np.testing.assert_array_equal(np.concatenate(blocks), load_audio(stereo, mono=True))


def test_empty_range_yields_nothing(stereo: Path) -> None:
    assert list(iter_blocks(stereo, 10, start_frame=2_500)) == []
    assert list(iter_blocks(stereo, 10, start_frame=7, stop_frame=7)) == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"block_frames": 0}, "block_frames must be at least 1"),
        ({"block_frames": 8, "start_frame": -1}, "start_frame=-1 is outside"),
        ({"block_frames": 8, "start_frame": 2_501}, "start_frame=2501 is outside"),
        ({"block_frames": 8, "start_frame": 10, "stop_frame": 9}, "before start_frame"),
    ],
)
def test_bad_arguments_raise_when_called_not_when_iterated(
    stereo: Path, kwargs: dict, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        iter_blocks(stereo, **kwargs)


def bytes_read_by_this_process() -> int:
    """Bytes this process has read through system calls so far (Linux ``/proc/self/io``)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def test_one_hour_at_384_khz_reads_only_the_block_asked_for(tmp_path: Path) -> None:
    frames = 3_600 * 384_000  # 2.76 GB of samples, sparse on disk
    tail = np.linspace(-0.5, 0.5, 3_840)
    path = sparse_wav(tmp_path / "hour.wav", frames, 384_000, tail)
    info = read_info(path)
    assert (info.frames, info.duration_s) == (frames, 3_600.0)

    before = bytes_read_by_this_process()
    block = next(iter_blocks(path, 3_840, start_frame=frames - 3_840))
    np.testing.assert_allclose(block[:, 0], tail, atol=2**-15)
    end = load_audio(path, offset_s=3_599.99, duration_s=0.01, mono=True)
    np.testing.assert_array_equal(end, block[:, 0])
    # Headers and a block each time, never the 2.76 GB before the block.
    assert bytes_read_by_this_process() - before < 1_000_000


def test_streaming_holds_one_block_in_memory(tmp_path: Path) -> None:
    frames = 8_000_000  # 16 MB of samples, 32 MB as float32
    path = sparse_wav(tmp_path / "long.wav", frames, 48_000, np.full(10, 0.25))
    tracemalloc.start()
    try:
        total = 0
        for block in iter_blocks(path, 1 << 16):
            total += len(block)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == frames
    assert peak < 8 * (1 << 16) * 4  # a few block-sized buffers, not the 32 MB file
