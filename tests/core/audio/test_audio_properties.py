"""Property tests: mangled WAV headers give consistent info or an AudioError, nothing else.

Hypothesis builds RIFF files from random chunk orders, odd sizes, missing pad bytes, lying
RIFF and chunk sizes, random fmt fields, random truncation points and garbage bytes. The
readers must either describe audio that really is in the file or raise an ``AudioError``
subclass; never another exception, never a partial frame, never a hang.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.audio.io import AudioInfo, iter_blocks, load_audio, read_info
from core.audio.riff import read_riff
from core.errors import AudioError
from tests.factories import FORMAT_TAGS, fmt_chunk, write_riff, write_wav

pytestmark = pytest.mark.filterwarnings("ignore::core.audio.io.TruncatedAudioWarning")
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FORMATS = sorted(FORMAT_TAGS)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    # One file rewritten by every example: function-scoped tmp_path does not mix with @given.
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "mangled.wav"


@st.composite
def fmt_payloads(draw: st.DrawFn) -> bytes:
    """A plausible fmt chunk, then possibly mangled field by field or cut short."""
    payload = bytearray(
        fmt_chunk(
            draw(st.sampled_from(FORMATS)),
            draw(st.integers(0, 8)),
            draw(st.sampled_from([0, 1, 8_000, 48_000, 384_000, 2**32 - 1])),
            extensible=draw(st.booleans()),
        )[1]
    )
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(payload) - 1))
        payload[at] = draw(st.integers(0, 255))
    return bytes(payload[: draw(st.integers(0, len(payload)))])


chunk_ids = st.sampled_from([b"LIST", b"guan", b"id3 ", b"junk", b"fact", b"data", b"fmt "])
extra_chunks = st.tuples(chunk_ids, st.binary(max_size=41))


@st.composite
def mangled_files(draw: st.DrawFn) -> tuple[list, dict]:
    chunks: list = [(b"fmt ", draw(fmt_payloads())), (b"data", draw(st.binary(max_size=300)))]
    chunks += draw(st.lists(extra_chunks, max_size=4))
    chunks = draw(st.permutations(chunks))
    if draw(st.booleans()):  # one chunk lies about its size
        at = draw(st.integers(0, len(chunks) - 1))
        chunks[at] = (*chunks[at][:2], draw(st.integers(0, 2**32 - 1)))
    options = {
        "pad_odd_chunks": draw(st.booleans()),
        "riff_size": draw(st.none() | st.integers(0, 2**32 - 1)),
        "truncate_to": draw(st.none() | st.integers(0, 1_000)),
    }
    return chunks, options


def check_consistent(path: Path, info: AudioInfo) -> None:
    riff = read_riff(path)
    data = riff.find("data")
    assert info.frames >= 1 and info.frames <= info.declared_frames
    assert info.frames * info.block_align <= data.available
    assert info.data_offset == data.offset
    assert info.data_offset + info.frames * info.block_align <= path.stat().st_size
    assert info.truncated == (info.frames < info.declared_frames)
    samples = load_audio(path)
    assert samples.shape == (info.frames, info.channels) and samples.dtype == np.float32
    if info.sample_format not in ("FLOAT", "DOUBLE"):
        assert np.all(np.abs(samples) <= 1.0)
    blocks = list(iter_blocks(path, 7, mono=True))
    assert sum(len(b) for b in blocks) == info.frames


def read_or_refuse(path: Path) -> None:
    try:
        info = read_info(path)
    except AudioError as exc:
        assert exc.path == path and str(path) in str(exc)
        return
    check_consistent(path, info)


@PROPERTY
@given(file=mangled_files())
def test_mangled_headers_are_read_consistently_or_refused(
    scratch: Path, file: tuple[list, dict]
) -> None:
    chunks, options = file
    write_riff(scratch, chunks, **options)
    read_or_refuse(scratch)


@PROPERTY
@given(head=st.sampled_from([b"", b"RIFF", b"RIFF\x00\x00\x00\x00WAVE"]), tail=st.binary())
def test_garbage_bytes_are_refused_or_read_consistently(
    scratch: Path, head: bytes, tail: bytes
) -> None:
    scratch.write_bytes(head + tail)
    read_or_refuse(scratch)


@PROPERTY
@given(
    sample_format=st.sampled_from(FORMATS),
    channels=st.integers(1, 4),
    frames=st.integers(1, 60),
    extensible=st.booleans(),
    before=st.lists(extra_chunks.filter(lambda c: c[0] not in (b"data", b"fmt ")), max_size=3),
    after=st.lists(extra_chunks, max_size=3),
    pad=st.booleans(),
    cut=st.none() | st.integers(0, 2_000),
)
def test_valid_audio_survives_any_chunk_layout_and_truncation(
    scratch: Path,
    sample_format: str,
    channels: int,
    frames: int,
    extensible: bool,
    before: list,
    after: list,
    pad: bool,
    cut: int | None,
) -> None:
    codes = np.random.default_rng(frames).integers(0, 256, (frames, channels), dtype=np.uint8)
    x = codes / 128.0 - 1.0  # exactly representable in every format
    full_path = write_wav(
        scratch.with_name("full.wav"),
        x,
        8_000,
        sample_format=sample_format,
        extensible=extensible,
        chunks_before_data=before,
        chunks_after_data=after,
        pad_odd_chunks=pad,
    )
    full = read_info(full_path)
    expected = load_audio(full_path)
    size = full_path.stat().st_size
    cut_path = write_wav(
        scratch,
        x,
        8_000,
        sample_format=sample_format,
        extensible=extensible,
        chunks_before_data=before,
        chunks_after_data=after,
        pad_odd_chunks=pad,
        truncate_to=cut,
    )
    try:
        info = read_info(cut_path)
    except AudioError:
        # Refusal is only acceptable when the cut leaves no whole frame of audio.
        assert cut is not None and cut < full.data_offset + full.block_align
        return
    check_consistent(cut_path, info)
    assert info.declared_frames == frames
    np.testing.assert_array_equal(load_audio(cut_path), expected[: info.frames])
    if cut is None or cut >= size:
        assert not info.truncated and info.frames == frames


def test_size_fields_at_the_extremes(tmp_path: Path) -> None:
    # Sizes of 0xFFFFFFFF (streaming writers that never finalised the header) read as
    # truncated to what exists rather than overflowing.
    path = write_wav(
        tmp_path / "s.wav", np.zeros(10), 8_000, data_size=2**32 - 1, riff_size=2**32 - 1
    )
    info = read_info(path)
    assert (info.frames, info.truncated) == (10, True)
    assert struct.unpack("<I", path.read_bytes()[4:8])[0] == 2**32 - 1
