"""The WAVE ``fmt `` chunk and the sample decoders it selects.

:func:`parse_fmt` turns the raw ``fmt `` payload into a :class:`WaveFormat` (resolving
WAVE_FORMAT_EXTENSIBLE to its sub-format and refusing compressed codecs by name), and
:func:`decode` turns raw interleaved sample bytes into float32 in [-1, 1]. Integer formats
are scaled by ``2**(bits - 1)``, the convention of libsndfile and most audio libraries, so
results match ``soundfile.read(..., dtype="float32")`` exactly.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import CorruptHeaderError, UnsupportedFormatError

PCM, IEEE_FLOAT, ALAW, ULAW, EXTENSIBLE = 0x0001, 0x0003, 0x0006, 0x0007, 0xFFFE
# A KSDATAFORMAT_SUBTYPE_* GUID built from a classic format tag is that tag as Data1
# (4 bytes) followed by these 12 bytes.
_GUID_TAIL = b"\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
# Codecs people actually meet in WAV files, named in the error message.
_CODEC_NAMES = {
    0x0002: "MS ADPCM",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0050: "MPEG",
    0x0055: "MP3",
    0x0092: "AC-3",
    0x0161: "WMA",
    0x1610: "AAC",
    0xF1AC: "FLAC",
}
CONVERT_HINT = "convert to PCM WAV, e.g. `sox IN.wav -e signed-integer -b 16 OUT.wav`"
_PCM_NAMES = {1: "PCM_U8", 2: "PCM_16", 3: "PCM_24", 4: "PCM_32"}


@dataclass(frozen=True, slots=True)
class WaveFormat:
    """What a ``fmt `` chunk declares, checked for sense.

    ``block_align`` is the frame size the sample format implies (channels x sample
    bytes); ``declared_block_align`` is what the header says. They differ only in a
    damaged header, which :mod:`core.audio.io` refuses.
    """

    tag: int
    channels: int
    samplerate_hz: int
    bits_per_sample: int
    sample_format: str
    block_align: int
    declared_block_align: int


def parse_fmt(path: Path, raw: bytes) -> WaveFormat:
    """Interpret the payload of a ``fmt `` chunk.

    Parameters
    ----------
    path
        The file it came from (for error messages).
    raw
        The chunk payload.

    Returns
    -------
    WaveFormat
        With the effective format tag (extensible resolved) and sample format name.

    Raises
    ------
    CorruptHeaderError
        Too short, zero channels, zero sample rate or zero bits per sample.
    UnsupportedFormatError
        A compressed codec, an unknown extensible sub-format, integers wider than 32 bits
        or floats other than 32/64 bits.
    """
    if len(raw) < 16:
        raise CorruptHeaderError(
            path, f"the 'fmt ' chunk is {len(raw)} bytes, shorter than the 16 a WAV needs"
        )
    tag, channels, rate, _byte_rate, align, bits = struct.unpack("<HHIIHH", raw[:16])
    significant_bits = bits
    if tag == EXTENSIBLE:
        if len(raw) < 40:
            raise CorruptHeaderError(
                path,
                f"the WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is {len(raw)} bytes, "
                "shorter than the 40 it needs",
            )
        valid_bits = struct.unpack("<H", raw[18:20])[0]
        guid = raw[24:40]
        if guid[4:] != _GUID_TAIL:
            raise UnsupportedFormatError(
                path, f"unknown WAVE_FORMAT_EXTENSIBLE sub-format {guid.hex()}", CONVERT_HINT
            )
        tag = struct.unpack("<I", guid[:4])[0]
        if 0 < valid_bits <= bits:
            significant_bits = valid_bits
    if channels == 0:
        raise CorruptHeaderError(path, "the header declares 0 channels")
    if rate == 0:
        raise CorruptHeaderError(path, "the header declares a sample rate of 0 Hz")

    if tag == PCM:
        if bits == 0:
            raise CorruptHeaderError(path, "the header declares 0 bits per sample")
        # Samples narrower than their container (12 in 16, 20 in 24) are left-justified,
        # so they decode as the container width.
        width = (bits + 7) // 8
        if width > 4:
            raise UnsupportedFormatError(
                path, f"{bits}-bit integer PCM is not supported", CONVERT_HINT
            )
        sample_format = _PCM_NAMES[width]
    elif tag == IEEE_FLOAT:
        if bits not in (32, 64):
            raise UnsupportedFormatError(
                path, f"{bits}-bit floating-point samples are not supported", CONVERT_HINT
            )
        width, sample_format = bits // 8, "FLOAT" if bits == 32 else "DOUBLE"
    elif tag in (ULAW, ALAW):
        # G.711 is 8 bits by definition; some writers leave bits_per_sample at 0 or 16.
        width, significant_bits = 1, 8
        sample_format = "ULAW" if tag == ULAW else "ALAW"
    elif tag in _CODEC_NAMES:
        raise UnsupportedFormatError(
            path,
            f"compressed {_CODEC_NAMES[tag]} audio (format tag 0x{tag:04X}) is not supported",
            CONVERT_HINT,
        )
    else:
        raise UnsupportedFormatError(
            path, f"format tag 0x{tag:04X} is not a sample format RanaWatch reads", CONVERT_HINT
        )
    return WaveFormat(
        tag=tag,
        channels=channels,
        samplerate_hz=rate,
        bits_per_sample=significant_bits,
        sample_format=sample_format,
        block_align=channels * width,
        declared_block_align=align,
    )


def decode(raw: bytes, sample_format: str) -> np.ndarray:
    """Decode little-endian interleaved sample bytes to a flat float32 array in [-1, 1].

    ``raw`` must hold whole samples of ``sample_format`` (a name from :func:`parse_fmt`).
    Float formats are passed through unclipped.
    """
    return _DECODERS[sample_format](raw)


def _decode_u8(raw: bytes) -> np.ndarray:
    return (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) * np.float32(1 / 128)


def _decode_16(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, "<i2").astype(np.float32) * np.float32(2.0**-15)


def _decode_24(raw: bytes) -> np.ndarray:
    # Put the three bytes in the top of an int32 so that the arithmetic shift sign-extends.
    packed = np.frombuffer(raw, np.uint8).reshape(-1, 3)
    wide = np.zeros((len(packed), 4), np.uint8)
    wide[:, 1:] = packed
    return (wide.view("<i4").ravel() >> 8).astype(np.float32) * np.float32(2.0**-23)


def _decode_32(raw: bytes) -> np.ndarray:
    # Through float64 so that each 32-bit integer is rounded once to float32.
    return (np.frombuffer(raw, "<i4") * 2.0**-31).astype(np.float32)


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


_ULAW_TABLE = _ulaw_table()
_ALAW_TABLE = _alaw_table()

_DECODERS: dict[str, Callable[[bytes], np.ndarray]] = {
    "PCM_U8": _decode_u8,
    "PCM_16": _decode_16,
    "PCM_24": _decode_24,
    "PCM_32": _decode_32,
    "FLOAT": lambda raw: np.frombuffer(raw, "<f4").astype(np.float32),
    "DOUBLE": lambda raw: np.frombuffer(raw, "<f8").astype(np.float32),
    "ULAW": lambda raw: _ULAW_TABLE[np.frombuffer(raw, np.uint8)],
    "ALAW": lambda raw: _ALAW_TABLE[np.frombuffer(raw, np.uint8)],
}
