"""read_info and load_audio on every WAV dialect, and FLAC.

libsndfile decodes the samples, so they are checked against expectations of their own: the
sample codes the factories wrote, scaled by the convention written out here (integers by
``2**(bits - 1)``, G.711 by the ITU reference expansion), and the standard library's
``wave`` module.
"""

from __future__ import annotations

import struct
import warnings
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.audio.io import AudioInfo, TruncatedAudioWarning, load_audio, read_info
from core.errors import (
    AudioError,
    CorruptHeaderError,
    EmptyFileError,
    TruncatedFileError,
    UnsupportedFormatError,
)
from tests.factories import (
    BITS,
    fmt_chunk,
    guano_chunk,
    list_info_chunk,
    write_riff,
    write_wav,
)

FORMATS = ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW"]
TAGS = {"FLOAT": 3, "DOUBLE": 3, "ALAW": 6, "ULAW": 7}
# Worst-case error of each format for input in [-1, 1): quantisation, or the float32
# rounding of the result (2**-24) where that is larger.
STEP = {"PCM_U8": 2**-7, "PCM_16": 2**-15, "PCM_24": 2**-23, "PCM_32": 2**-24}
STEP |= {"FLOAT": 2**-24, "DOUBLE": 2**-24, "ULAW": 2**-5, "ALAW": 2**-5}


def noise(frames: int, channels: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 0.99, (frames, channels))


def _ulaw_table() -> np.ndarray:
    # ITU-T G.711 mu-law expansion to 16-bit linear (the reference g711.c), as floats.
    code = ~np.arange(256) & 0xFF
    exponent, mantissa = (code >> 4) & 0x07, code & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return (np.where(code & 0x80, -magnitude, magnitude) / 32768.0).astype(np.float32)


def _alaw_table() -> np.ndarray:
    # ITU-T G.711 A-law expansion to 16-bit linear (the reference g711.c), as floats.
    code = np.arange(256) ^ 0x55
    segment = (code & 0x70) >> 4
    step = ((code & 0x0F) << 4) + np.where(segment == 0, 8, 0x108)
    magnitude = np.where(segment > 1, step << np.maximum(segment - 1, 0), step)
    return (np.where(code & 0x80, magnitude, -magnitude) / 32768.0).astype(np.float32)


def decoded(raw: bytes, sample_format: str, channels: int) -> np.ndarray:
    """The float32 samples of little-endian ``raw`` bytes, decoded with numpy alone."""
    if sample_format == "PCM_U8":
        x = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128) / 128
    elif sample_format == "PCM_24":
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        x = ((b[:, 0] | b[:, 1] << 8 | b[:, 2] << 16) << 8 >> 8) / 2.0**23
    elif sample_format in ("ULAW", "ALAW"):
        table = _ulaw_table() if sample_format == "ULAW" else _alaw_table()
        x = table[np.frombuffer(raw, np.uint8)]
    else:
        dtype, scale = {"PCM_16": ("<i2", 2**15), "PCM_32": ("<i4", 2**31)}.get(
            sample_format, ("<f4" if sample_format == "FLOAT" else "<f8", 1)
        )
        x = np.frombuffer(raw, dtype) / scale
    return np.asarray(x, dtype=np.float32).reshape(-1, channels)


def reference(path: Path) -> np.ndarray:
    """What the data chunk of ``path`` holds, decoded without libsndfile."""
    info = read_info(path)
    with path.open("rb") as fh:
        fh.seek(info.data_offset)
        raw = fh.read(info.frames * info.block_align)
    return decoded(raw, info.sample_format, info.channels)


@pytest.mark.parametrize("extensible", [False, True], ids=["plain", "extensible"])
@pytest.mark.parametrize("sample_format", FORMATS)
@pytest.mark.parametrize("channels", [1, 2, 6])
def test_every_format_matches_soundfile_and_the_input(
    tmp_path: Path, sample_format: str, extensible: bool, channels: int
) -> None:
    x = noise(301, channels)
    path = write_wav(
        tmp_path / "a.wav", x, 22_050, sample_format=sample_format, extensible=extensible
    )
    info = read_info(path)
    width = BITS[sample_format] // 8
    assert info == AudioInfo(
        path=path,
        samplerate_hz=22_050,
        channels=channels,
        frames=301,
        duration_s=301 / 22_050,
        sample_format=sample_format,
        bits_per_sample=BITS[sample_format],
        format_tag=TAGS.get(sample_format, 1),
        block_align=channels * width,
        data_offset=12 + 8 + (40 if extensible else 16) + 8,
        declared_frames=301,
        truncated=False,
    )
    y = load_audio(path)
    assert y.dtype == np.float32 and y.shape == (301, channels)
    np.testing.assert_array_equal(y, reference(path))
    np.testing.assert_allclose(y, x, atol=STEP[sample_format], rtol=0)


@pytest.mark.parametrize(("sample_format", "width"), [("PCM_U8", 1), ("PCM_16", 2), ("PCM_24", 3)])
def test_pcm_matches_the_standard_library_wave_module(
    tmp_path: Path, sample_format: str, width: int
) -> None:
    path = write_wav(tmp_path / "a.wav", noise(500, 2), 44_100, sample_format=sample_format)
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getnframes()) == (2, width, 500)
        expected = decoded(w.readframes(500), sample_format, 2)
    np.testing.assert_array_equal(load_audio(path), expected)


def test_ms_adpcm_is_decoded(tmp_path: Path) -> None:
    x = np.sin(np.linspace(0, 200, 16_000))[:, np.newaxis] * 0.5
    path = tmp_path / "adpcm.wav"
    sf.write(path, x, 16_000, subtype="MS_ADPCM")
    info = read_info(path)
    assert (info.sample_format, info.format_tag, info.channels) == ("MS_ADPCM", 2, 1)
    assert info.frames >= 16_000 and not info.truncated
    y = load_audio(path)
    assert y.shape == (info.frames, 1)
    # ADPCM is lossy: 4 bits a sample follow a smooth tone to within a few percent.
    np.testing.assert_allclose(y[:16_000], x, atol=0.03)


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24"])
def test_flac_is_read_losslessly(tmp_path: Path, subtype: str) -> None:
    bits = int(subtype[-2:])
    codes = np.random.default_rng(3).integers(-(2 ** (bits - 1)), 2 ** (bits - 1), (4_000, 2))
    path = tmp_path / "a.flac"
    sf.write(path, (codes << (32 - bits)).astype(np.int32), 48_000, subtype=subtype)
    info = read_info(path)
    assert (info.container, info.sample_format, info.bits_per_sample) == ("FLAC", subtype, bits)
    assert (info.samplerate_hz, info.channels, info.frames) == (48_000, 2, 4_000)
    np.testing.assert_array_equal(load_audio(path), (codes / 2.0 ** (bits - 1)).astype(np.float32))


def test_a_flac_named_wav_is_read_by_its_content(tmp_path: Path) -> None:
    path = tmp_path / "odd.wav"
    sf.write(path, np.zeros(100), 8_000, format="FLAC")
    assert read_info(path).container == "FLAC"


@pytest.mark.parametrize("sample_format", ["ULAW", "ALAW"])
def test_all_256_g711_codes_decode_like_libsndfile(tmp_path: Path, sample_format: str) -> None:
    path = write_wav(
        tmp_path / "a.wav", np.arange(256, dtype=np.uint8), 8_000, sample_format=sample_format
    )
    y = load_audio(path, mono=True)
    np.testing.assert_array_equal(y, reference(path)[:, 0])
    assert y.min() >= -1 and y.max() < 1 and len(np.unique(y)) == 255 + (sample_format == "ALAW")


@pytest.mark.parametrize(
    ("sample_format", "codes", "expected"),
    [
        ("PCM_U8", [0, 128, 255], [-1.0, 0.0, 127 / 128]),
        ("PCM_16", [-32768, 0, 32767], [-1.0, 0.0, 32767 / 32768]),
        ("PCM_24", [-(2**23), -1, 2**23 - 1], [-1.0, -(2**-23), 1 - 2**-23]),
        ("PCM_32", [-(2**31), 1, 2**31 - 1], [-1.0, 2**-31, 1.0]),  # float32 rounds up
    ],
)
def test_integer_extremes(tmp_path: Path, sample_format: str, codes: list, expected: list) -> None:
    path = write_wav(tmp_path / "a.wav", np.array(codes), 8_000, sample_format=sample_format)
    np.testing.assert_array_equal(load_audio(path, mono=True), np.float32(expected))


def test_float_samples_are_not_clipped(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", np.array([1.5, -2.0, 0.25]), 8_000, sample_format="FLOAT")
    np.testing.assert_array_equal(load_audio(path, mono=True), np.float32([1.5, -2.0, 0.25]))


@pytest.mark.parametrize("samplerate_hz", [8_000, 22_050, 44_100, 96_000, 250_000, 384_000])
def test_sample_rates_from_8_to_384_khz(tmp_path: Path, samplerate_hz: int) -> None:
    path = write_wav(tmp_path / "a.wav", noise(samplerate_hz // 10, 1), samplerate_hz)
    info = read_info(path)
    assert info.samplerate_hz == samplerate_hz
    assert info.duration_s == pytest.approx(0.1)


def test_extensible_valid_bits_narrower_than_the_container(tmp_path: Path) -> None:
    codes = np.arange(-8, 8).reshape(8, 2) << 16  # low 4 bits zero: 20 significant bits
    path = write_wav(tmp_path / "a.wav", codes, 48_000, sample_format="PCM_24", extensible=True)
    with path.open("r+b") as fh:
        fh.seek(12 + 8 + 18)  # wValidBitsPerSample
        fh.write(struct.pack("<H", 20))
    info = read_info(path)
    assert (info.sample_format, info.bits_per_sample, info.frames) == ("PCM_24", 20, 8)
    np.testing.assert_array_equal(load_audio(path), codes / np.float32(2**23))
    np.testing.assert_array_equal(load_audio(path), reference(path))


def test_chunks_around_data_are_never_read_as_samples(tmp_path: Path) -> None:
    x = noise(1001, 1)
    meta = list_info_chunk(
        "Recorded at 10:00:00 01/01/2024 (UTC)", "AudioMoth X", comment_size=384, artist_size=32
    )
    tail = [list_info_chunk("re-tagged"), (b"id3 ", b"ID3" + bytes(99)), guano_chunk({"A": 1})]
    path = write_wav(
        tmp_path / "a.wav",
        x,
        48_000,
        sample_format="PCM_U8",
        chunks_before_data=[meta, (b"bext", b"x" * 33)],
        chunks_after_data=tail,
    )
    assert read_info(path).frames == 1001
    np.testing.assert_array_equal(load_audio(path), reference(path))


def test_missing_pad_byte_after_odd_data_chunk(tmp_path: Path) -> None:
    x = noise(11, 1)
    path = write_wav(
        tmp_path / "a.wav",
        x,
        8_000,
        sample_format="ULAW",
        pad_odd_chunks=False,
        chunks_after_data=[guano_chunk("GUANO|Version:1.0")],
    )
    y = load_audio(path)
    assert y.shape == (11, 1)
    np.testing.assert_array_equal(y, reference(path))


def test_partial_last_frame_is_ignored(tmp_path: Path) -> None:
    stereo = noise(10, 2)
    path = write_wav(tmp_path / "a.wav", stereo, 8_000)  # 40 bytes of data
    with path.open("r+b") as fh:  # declare 42: ten frames and half of an eleventh
        fh.seek(40)
        fh.write(struct.pack("<I", 42))
        fh.seek(0, 2)
        fh.write(b"\x01\x02")
    info = read_info(path)
    assert (info.frames, info.declared_frames, info.truncated) == (10, 10, False)
    assert load_audio(path).shape == (10, 2)


# --------------------------------------------------------------------------- truncation


@pytest.mark.parametrize("cut_bytes", [1, 3, 4, 396])
def test_truncated_file_reads_the_whole_frames_that_exist(tmp_path: Path, cut_bytes: int) -> None:
    x = noise(100, 2)
    full = load_audio(write_wav(tmp_path / "full.wav", x, 8_000))
    path = write_wav(tmp_path / "cut.wav", x, 8_000, truncate_to=44 + 400 - cut_bytes)
    left = (400 - cut_bytes) // 4
    with pytest.warns(TruncatedAudioWarning, match=r"cut.wav.*declares 100 frames.*only"):
        info = read_info(path)
    assert (info.frames, info.declared_frames, info.truncated) == (left, 100, True)
    with pytest.warns(TruncatedAudioWarning):
        np.testing.assert_array_equal(load_audio(path), full[:left])


def test_truncation_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_wav(tmp_path / "cut.wav", noise(100, 1), 8_000, truncate_to=100)
    with pytest.warns(TruncatedAudioWarning):
        read_info(path)
    assert any("cut.wav" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


def test_header_promising_more_than_a_frame_that_exists(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "cut.wav", noise(100, 2), 8_000, truncate_to=44 + 3)
    with pytest.raises(TruncatedFileError, match=r"cut.wav.*less than one frame"):
        read_info(path)


def test_a_complete_file_does_not_warn(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", noise(10, 1), 8_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_audio(path)


# --------------------------------------------------------------------------- refusals


def _fmt_with(tmp_path: Path, fmt: bytes, data: bytes = bytes(64)) -> Path:
    return write_riff(tmp_path / "bad.wav", [(b"fmt ", fmt), (b"data", data)])


def test_data_chunk_with_no_frames(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "bad.wav", np.zeros((0, 2)), 8_000)
    with pytest.raises(EmptyFileError, match="bad.wav.*holds no audio"):
        read_info(path)


def test_data_chunk_smaller_than_one_frame(tmp_path: Path) -> None:
    path = write_riff(tmp_path / "bad.wav", [fmt_chunk("PCM_24", 2, 8_000), (b"data", b"abc")])
    with pytest.raises(EmptyFileError, match="bad.wav.*not one whole frame"):
        read_info(path)


@pytest.mark.parametrize(
    ("fmt", "error", "match"),
    [
        (fmt_chunk("PCM_16", 1, 8_000)[1][:14], CorruptHeaderError, "14 bytes, shorter than"),
        (fmt_chunk("PCM_16", 1, 8_000, extensible=True)[1][:24], CorruptHeaderError, "EXTENSIB"),
        (fmt_chunk("PCM_16", 0, 8_000)[1], CorruptHeaderError, "0 channels"),
        (fmt_chunk("PCM_16", 1, 0)[1], CorruptHeaderError, "sample rate of 0 Hz"),
        (fmt_chunk("PCM_16", 1, 8_000, bits_per_sample=0)[1], CorruptHeaderError, "0 bits"),
        (fmt_chunk("PCM_16", 2, 8_000, block_align=2)[1], CorruptHeaderError, "block_align is 2"),
        (fmt_chunk("FLOAT", 1, 8_000, block_align=8)[1], CorruptHeaderError, "inconsistent"),
        (fmt_chunk("PCM_16", 1, 8_000, format_tag=2)[1], UnsupportedFormatError, "MS ADPCM"),
        (fmt_chunk("PCM_16", 1, 8_000, format_tag=0x55)[1], UnsupportedFormatError, "MP3"),
        (fmt_chunk("PCM_16", 1, 8_000, format_tag=0x31)[1], UnsupportedFormatError, "GSM"),
        (fmt_chunk("PCM_16", 1, 8_000, format_tag=0x1234)[1], UnsupportedFormatError, "0x1234"),
        (
            fmt_chunk("PCM_16", 1, 8_000, format_tag=2, extensible=True)[1],
            UnsupportedFormatError,
            "MS ADPCM",
        ),
        (fmt_chunk("FLOAT", 1, 8_000, bits_per_sample=16)[1], UnsupportedFormatError, "16-bit f"),
        (fmt_chunk("DOUBLE", 1, 8_000, bits_per_sample=48)[1], UnsupportedFormatError, "48-bit"),
        (fmt_chunk("DOUBLE", 1, 8_000, format_tag=1)[1], UnsupportedFormatError, "64-bit integ"),
    ],
)
def test_refused_headers_name_the_file_and_problem(
    tmp_path: Path, fmt: bytes, error: type[AudioError], match: str
) -> None:
    with pytest.raises(error, match=match) as caught:
        read_info(_fmt_with(tmp_path, fmt))
    assert str(tmp_path / "bad.wav") in str(caught.value)


def test_a_broken_adpcm_header_names_the_codec_and_says_what_to_do(tmp_path: Path) -> None:
    # A 16-byte fmt lacks the coefficients MS ADPCM needs: libsndfile cannot decode it.
    path = _fmt_with(tmp_path, fmt_chunk("PCM_16", 1, 8_000, format_tag=2)[1])
    with pytest.raises(UnsupportedFormatError) as caught:
        read_info(path)
    assert "compressed MS ADPCM" in caught.value.problem
    assert "Error opening" not in caught.value.problem
    assert "convert to PCM WAV" in caught.value.hint


def test_unknown_extensible_subformat(tmp_path: Path) -> None:
    fmt = bytearray(fmt_chunk("PCM_16", 1, 8_000, extensible=True)[1])
    fmt[28:40] = bytes(range(12))  # not the KSDATAFORMAT GUID tail (e.g. ambisonics)
    with pytest.raises(UnsupportedFormatError, match="sub-format"):
        read_info(_fmt_with(tmp_path, bytes(fmt)))


def test_g711_with_odd_bits_per_sample_field(tmp_path: Path) -> None:
    # Some writers store 0 or 16 in bits_per_sample for mu-law; the codec is 8-bit regardless.
    path = _fmt_with(tmp_path, fmt_chunk("ULAW", 1, 8_000, bits_per_sample=16)[1], bytes(10))
    info = read_info(path)
    assert (info.sample_format, info.bits_per_sample, info.frames) == ("ULAW", 8, 10)
