"""The WAVE ``fmt `` chunk: what it declares, checked for sense before libsndfile decodes.

:func:`parse_fmt` turns the raw ``fmt `` payload into a :class:`WaveFormat`, resolving
WAVE_FORMAT_EXTENSIBLE to its sub-format. For the fixed-width sample formats (integer PCM,
IEEE float, G.711) it names the sample container and the frame size, so that the frames a
file holds are counted from the ``data`` chunk exactly as before libsndfile reads them; a
compressed codec (MS/IMA ADPCM, GSM 6.10, ...) is left to libsndfile, and named in the
error when libsndfile cannot read it either.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from core.errors import CorruptHeaderError, UnsupportedFormatError

PCM, IEEE_FLOAT, ALAW, ULAW, EXTENSIBLE = 0x0001, 0x0003, 0x0006, 0x0007, 0xFFFE
# A KSDATAFORMAT_SUBTYPE_* GUID built from a classic format tag is that tag as Data1
# (4 bytes) followed by these 12 bytes.
_GUID_TAIL = b"\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
#: Codecs people actually meet in WAV files, named in error messages.
CODEC_NAMES = {
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

    For fixed-width formats ``sample_format`` is the libsndfile subtype name (``"PCM_16"``,
    ``"FLOAT"``, ``"ULAW"``, ...) and ``block_align`` the frame size it implies (channels x
    sample bytes); ``declared_block_align`` is what the header says (they differ only in a
    damaged header, which :mod:`core.audio.io` refuses). For a compressed codec
    ``sample_format`` is ``None`` and both sizes are the declared block size.
    """

    tag: int
    channels: int
    samplerate_hz: int
    bits_per_sample: int
    sample_format: str | None
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
        With the effective format tag (extensible resolved).

    Raises
    ------
    CorruptHeaderError
        Too short, zero channels, zero sample rate or zero bits per sample.
    UnsupportedFormatError
        An unknown extensible sub-format, integers wider than 32 bits or floats other
        than 32/64 bits.
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
        # so they decode as the container width (as libsndfile does).
        width = (bits + 7) // 8
        if width > 4:
            raise UnsupportedFormatError(
                path, f"{bits}-bit integer PCM is not supported", CONVERT_HINT
            )
        sample_format: str | None = _PCM_NAMES[width]
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
    else:
        return WaveFormat(tag, channels, rate, bits, None, align, align)
    return WaveFormat(
        tag=tag,
        channels=channels,
        samplerate_hz=rate,
        bits_per_sample=significant_bits,
        sample_format=sample_format,
        block_align=channels * width,
        declared_block_align=align,
    )


def codec_name(tag: int) -> str:
    """``"MS ADPCM (format tag 0x0002)"``, or the bare tag for a codec without a name."""
    name = CODEC_NAMES.get(tag)
    return f"{name} (format tag 0x{tag:04X})" if name else f"format tag 0x{tag:04X}"
