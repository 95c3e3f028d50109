"""The RIFF chunk walker: dialects it must accept and damage it must name."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from core.audio.riff import read_riff
from core.errors import (
    AudioError,
    CorruptHeaderError,
    EmptyFileError,
    NotAudioError,
    TruncatedFileError,
    UnsupportedFormatError,
)
from tests.factories import fmt_chunk, guano_chunk, list_info_chunk, write_riff, write_wav

TONE = np.linspace(-0.5, 0.5, 100)


def test_canonical_44_byte_header(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", TONE, 48_000)
    riff = read_riff(path)
    assert [c.id for c in riff.chunks] == ["fmt ", "data"]
    data = riff.find("data")
    assert (data.offset, data.size, data.available, data.truncated) == (44, 200, 200, False)
    assert riff.file_size == 244 and riff.riff_size == 236
    assert riff.find("LIST") is None


def test_read_returns_the_payload(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", TONE, 8_000, chunks_after_data=[guano_chunk("GUANO|x")])
    riff = read_riff(path)
    assert riff.read(riff.find("guan")) == b"GUANO|x"
    assert riff.read(riff.find("fmt ")) == fmt_chunk("PCM_16", 1, 8_000)[1]


def test_audiomoth_layout_list_before_data(tmp_path: Path) -> None:
    meta = list_info_chunk("Recorded at ...", "AudioMoth 1", comment_size=384, artist_size=32)
    path = write_wav(tmp_path / "a.wav", TONE, 48_000, chunks_before_data=[meta])
    riff = read_riff(path)
    assert [(c.id, c.size) for c in riff.chunks] == [("fmt ", 16), ("LIST", 436), ("data", 200)]
    assert riff.find("data").offset == 12 + 24 + 444 + 8


@pytest.mark.parametrize("pad", [True, False], ids=["padded", "pad-byte-missing"])
def test_odd_sized_chunks_with_and_without_pad_byte(tmp_path: Path, pad: bool) -> None:
    odd = (b"junk", b"abc")
    path = write_wav(
        tmp_path / "a.wav",
        TONE[:7],
        8_000,
        sample_format="PCM_U8",  # 7 one-byte frames: an odd data chunk
        chunks_before_data=[odd],
        chunks_after_data=[guano_chunk("GUANO|Version:1.0\nA:b"), (b"id3 ", b"xyz")],
        pad_odd_chunks=pad,
    )
    riff = read_riff(path)
    assert [c.id for c in riff.chunks] == ["fmt ", "junk", "data", "guan", "id3 "]
    assert riff.read(riff.find("guan")) == b"GUANO|Version:1.0\nA:b"
    assert riff.read(riff.find("id3 ")) == b"xyz"
    assert riff.find("data").size == 7


@pytest.mark.parametrize("riff_size", [0, 4, 0xFFFFFFFF, 100_000])
def test_a_lying_riff_size_is_ignored(tmp_path: Path, riff_size: int) -> None:
    path = write_wav(
        tmp_path / "a.wav", TONE, 8_000, riff_size=riff_size, chunks_after_data=[(b"LIST", b"x")]
    )
    riff = read_riff(path)
    assert riff.riff_size == riff_size
    assert [c.id for c in riff.chunks] == ["fmt ", "data", "LIST"]


def test_truncated_data_chunk_reports_declared_and_available(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", TONE, 8_000, truncate_to=44 + 51)
    data = read_riff(path).find("data")
    assert (data.size, data.available, data.truncated) == (200, 51, True)


def test_garbage_after_the_last_chunk_stops_the_walk(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", TONE, 8_000)
    with path.open("ab") as fh:
        fh.write(b"\x00\xff\x13\x07" * 5)
    assert [c.id for c in read_riff(path).chunks] == ["fmt ", "data"]


def test_fmt_after_data_is_found(tmp_path: Path) -> None:
    path = write_riff(
        tmp_path / "a.wav", [(b"data", b"\x00\x01" * 4), fmt_chunk("PCM_16", 1, 8000)]
    )
    riff = read_riff(path)
    assert [c.id for c in riff.chunks] == ["data", "fmt "]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "EMPTY.WAV"
    path.write_bytes(b"")
    with pytest.raises(EmptyFileError, match="EMPTY.WAV.*empty"):
        read_riff(path)


@pytest.mark.parametrize(
    "content",
    [b"ID3\x03" + bytes(40), b"\x00" * 64, b"RIFF", b"RIFF\x10\x00\x00\x00AVI LIST"],
    ids=["mp3", "zeros", "short", "avi"],
)
def test_not_a_wav_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(content)
    with pytest.raises(NotAudioError, match="x.wav.*not a WAV file"):
        read_riff(path)


def test_missing_file_is_an_audio_error(tmp_path: Path) -> None:
    with pytest.raises(NotAudioError, match="nope.wav.*cannot be opened"):
        read_riff(tmp_path / "nope.wav")


@pytest.mark.parametrize("magic", [b"RF64", b"BW64", b"RIFX"])
def test_unsupported_riff_variants(tmp_path: Path, magic: bytes) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(magic + struct.pack("<I", 100) + b"WAVE" + bytes(40))
    with pytest.raises(UnsupportedFormatError, match="not supported"):
        read_riff(path)


def test_missing_fmt(tmp_path: Path) -> None:
    path = write_riff(tmp_path / "x.wav", [(b"data", b"\x00" * 8)])
    with pytest.raises(CorruptHeaderError, match="no 'fmt ' chunk"):
        read_riff(path)


def test_missing_data(tmp_path: Path) -> None:
    path = write_riff(tmp_path / "x.wav", [fmt_chunk("PCM_16", 1, 8000), (b"LIST", b"INFO")])
    with pytest.raises(CorruptHeaderError, match="no 'data' chunk"):
        read_riff(path)


@pytest.mark.parametrize(
    "cut", [16, 20, 30, 40], ids=["in-fmt-header", "before-fmt-payload", "in-fmt", "in-data-header"]
)
def test_file_cut_off_inside_the_header_is_truncated(tmp_path: Path, cut: int) -> None:
    path = write_wav(tmp_path / "x.wav", TONE, 8_000, truncate_to=cut)
    with pytest.raises(TruncatedFileError, match=f"x.wav: the file ends after {cut} bytes"):
        read_riff(path)


def test_every_error_is_an_audio_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "named.wav"
    path.write_bytes(b"nonsense")
    with pytest.raises(AudioError) as caught:
        read_riff(path)
    assert caught.value.path == path
    assert str(path) in str(caught.value)


def test_missing_pad_byte_when_the_shifted_header_also_looks_valid(tmp_path: Path) -> None:
    # Read one byte on, "data" + size 32 reads as the printable id "ata " with size 0
    # (when the first sample byte is 0): the known id and a size that fits must win.
    path = write_wav(
        tmp_path / "a.wav",
        np.zeros(16),
        8_000,
        chunks_before_data=[(b"LIST", b"\x00")],
        pad_odd_chunks=False,
    )
    riff = read_riff(path)
    assert [c.id for c in riff.chunks] == ["fmt ", "LIST", "data"]
    assert riff.find("data").size == 32
