"""The one WAV factory of the test suite: small RIFF/WAVE files written into ``tmp_path``.

Every test that needs a recording builds it here, so that the byte layout of each dialect
(plain PCM, WAVE_FORMAT_EXTENSIBLE, G.711, AudioMoth ``LIST``/``INFO`` headers, GUANO,
chunks after ``data``, lying sizes, files cut short) is written in exactly one place.

Building blocks
---------------
A chunk is a tuple ``(id, payload)`` or ``(id, payload, declared_size)``: ``id`` is four
bytes (``b"LIST"``), ``payload`` the bytes after the 8-byte chunk header, and the optional
``declared_size`` the size written into the chunk header in place of ``len(payload)`` (to
write a header that lies).

* :func:`write_wav` -- samples in, a complete WAV file out (the usual entry point).
* :func:`fmt_chunk` -- the ``fmt `` chunk alone, for tests that assemble files by hand.
* :func:`write_riff` -- any list of chunks, in any order, inside a ``RIFF....WAVE`` header.
* :func:`list_info_chunk` -- a ``LIST``/``INFO`` chunk with ``ICMT``/``IART``, laid out as
  AudioMoth writes it (fixed NUL-padded fields) or as ordinary tools do (even padding).
* :func:`guano_chunk` -- a ``guan`` chunk from GUANO text or a key/value mapping.

Examples
--------
>>> path = write_wav(tmp_path / "a.wav", np.zeros(480), 48_000)                # doctest: +SKIP
>>> meta = list_info_chunk("Recorded at ...", "AudioMoth 24E1...", comment_size=384,
...                        artist_size=32)                                      # doctest: +SKIP
>>> write_wav(p, x, 48_000, chunks_before_data=[meta])  # AudioMoth layout     # doctest: +SKIP
>>> write_wav(p, x, 48_000, truncate_to=1000)           # card filled up       # doctest: +SKIP
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

Chunk = tuple[bytes, bytes] | tuple[bytes, bytes, int]

# Format tags of the WAVE fmt chunk (mmreg.h).
FORMAT_TAGS: dict[str, int] = {
    "PCM_U8": 1,
    "PCM_16": 1,
    "PCM_24": 1,
    "PCM_32": 1,
    "FLOAT": 3,
    "DOUBLE": 3,
    "ALAW": 6,
    "ULAW": 7,
}
BITS: dict[str, int] = {
    "PCM_U8": 8,
    "PCM_16": 16,
    "PCM_24": 24,
    "PCM_32": 32,
    "FLOAT": 32,
    "DOUBLE": 64,
    "ALAW": 8,
    "ULAW": 8,
}
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
# KSDATAFORMAT_SUBTYPE_* GUIDs are the format tag followed by this fixed tail.
GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


# --------------------------------------------------------------------------- chunks


def fmt_chunk(
    sample_format: str,
    channels: int,
    samplerate_hz: int,
    *,
    extensible: bool = False,
    format_tag: int | None = None,
    block_align: int | None = None,
    bits_per_sample: int | None = None,
) -> tuple[bytes, bytes]:
    """Build a ``fmt `` chunk.

    Parameters
    ----------
    sample_format
        One of ``PCM_U8``, ``PCM_16``, ``PCM_24``, ``PCM_32``, ``FLOAT`` (float32),
        ``DOUBLE`` (float64), ``ULAW`` (G.711 mu-law), ``ALAW`` (G.711 A-law).
    channels, samplerate_hz
        Written as declared (0 is allowed, to test refusal).
    extensible
        Write WAVE_FORMAT_EXTENSIBLE: a 40-byte chunk with tag 0xFFFE, ``cbSize`` 22, the
        valid bits, a channel mask and the sub-format GUID of ``sample_format``.
    format_tag
        Override the (sub-)format tag, e.g. ``2`` for MS ADPCM.
    block_align, bits_per_sample
        Override the declared values (to write an inconsistent header).
    """
    tag = FORMAT_TAGS[sample_format] if format_tag is None else format_tag
    bits = BITS[sample_format] if bits_per_sample is None else bits_per_sample
    align = channels * (BITS[sample_format] // 8) if block_align is None else block_align
    byte_rate = (samplerate_hz * align) & 0xFFFFFFFF  # a 32-bit field, even for odd rates
    if not extensible:
        return b"fmt ", struct.pack("<HHIIHH", tag, channels, samplerate_hz, byte_rate, align, bits)
    channel_mask = (1 << channels) - 1 if 0 < channels <= 18 else 0
    payload = (
        struct.pack(
            "<HHIIHHHHI",
            WAVE_FORMAT_EXTENSIBLE,
            channels,
            samplerate_hz,
            byte_rate,
            align,
            bits,
            22,
            bits,
            channel_mask,
        )
        + struct.pack("<H", tag)
        + GUID_TAIL
    )
    return b"fmt ", payload


def list_info_chunk(
    comment: str | None = None,
    artist: str | None = None,
    *,
    comment_size: int | None = None,
    artist_size: int | None = None,
) -> tuple[bytes, bytes]:
    """Build a ``LIST`` chunk of type ``INFO`` holding ``ICMT`` and/or ``IART``.

    Parameters
    ----------
    comment, artist
        Text of the ``ICMT`` (comment) and ``IART`` (artist) sub-chunks, UTF-8 encoded;
        ``None`` leaves the sub-chunk out.
    comment_size, artist_size
        Fixed sub-chunk payload size in bytes: the text is NUL-padded to exactly this many
        bytes, as AudioMoth does (``comment_size=384, artist_size=32`` gives the 436-byte
        ``LIST`` of the AudioMoth firmware). ``None`` (default) writes the text with one NUL
        terminator, padded to an even length, as ordinary tagging tools do.

    Returns
    -------
    tuple[bytes, bytes]
        ``(b"LIST", b"INFO" + sub-chunks)``, ready for ``chunks_before_data`` or
        ``chunks_after_data`` of :func:`write_wav`.

    Raises
    ------
    ValueError
        The text does not fit the fixed size.
    """
    payload = b"INFO"
    for sub_id, text, size in ((b"ICMT", comment, comment_size), (b"IART", artist, artist_size)):
        if text is None:
            continue
        raw = text.encode("utf-8")
        if size is None:
            raw += b"\x00"
            raw += b"\x00" * (len(raw) & 1)
        elif len(raw) > size:
            raise ValueError(f"{sub_id.decode()} text is {len(raw)} bytes, over the {size}")
        else:
            raw = raw.ljust(size, b"\x00")
        payload += sub_id + struct.pack("<I", len(raw)) + raw
    return b"LIST", payload


def guano_chunk(text_or_mapping: str | Mapping[str, object]) -> tuple[bytes, bytes]:
    """Build a ``guan`` chunk (GUANO metadata, https://guano-md.org).

    Parameters
    ----------
    text_or_mapping
        Either the GUANO text exactly as it should appear (kept verbatim, so vendor quirks
        such as ``"Version:  1.0"`` can be reproduced), or a mapping of keys to values,
        written one ``key:value`` per line; ``GUANO|Version:1.0`` is put first when the
        mapping lacks it.

    Returns
    -------
    tuple[bytes, bytes]
        ``(b"guan", utf-8 text)``, unpadded (an odd length is padded by :func:`write_riff`
        unless ``pad_odd_chunks=False``).
    """
    if isinstance(text_or_mapping, str):
        return b"guan", text_or_mapping.encode("utf-8")
    items = dict(text_or_mapping)
    lines = [] if "GUANO|Version" in items else ["GUANO|Version:1.0"]
    lines += [f"{key}:{value}" for key, value in items.items()]
    return b"guan", "\n".join(lines).encode("utf-8")


# --------------------------------------------------------------------------- files


def write_riff(
    path: str | Path,
    chunks: Iterable[Chunk],
    *,
    pad_odd_chunks: bool = True,
    riff_size: int | None = None,
    truncate_to: int | None = None,
    form: bytes = b"WAVE",
) -> Path:
    """Write ``chunks`` in the given order inside a ``RIFF`` header.

    Parameters
    ----------
    path
        Where to write.
    chunks
        ``(id, payload)`` or ``(id, payload, declared_size)`` tuples.
    pad_odd_chunks
        Append the pad byte the RIFF spec requires after an odd-sized payload. ``False``
        reproduces writers that omit it.
    riff_size
        Size written in the RIFF header; default: the file length minus 8.
    truncate_to
        Cut the finished file to this many bytes (a card that filled up mid-write). The
        declared sizes keep their full values.
    form
        The RIFF form type (``b"WAVE"``; anything else writes a non-WAVE RIFF file).

    Returns
    -------
    Path
        ``path``.
    """
    body = bytearray(form)
    for chunk in chunks:
        chunk_id, payload = chunk[0], chunk[1]
        declared = len(payload) if len(chunk) == 2 else chunk[2]  # type: ignore[misc]
        if len(chunk_id) != 4:
            raise ValueError(f"chunk id must be 4 bytes, got {chunk_id!r}")
        body += chunk_id + struct.pack("<I", declared) + payload
        if pad_odd_chunks and len(payload) & 1:
            body += b"\x00"
    size = len(body) if riff_size is None else riff_size
    data = b"RIFF" + struct.pack("<I", size) + bytes(body)
    if truncate_to is not None:
        data = data[:truncate_to]
    path = Path(path)
    path.write_bytes(data)
    return path


def write_wav(
    path: str | Path,
    samples: np.ndarray,
    samplerate_hz: int,
    *,
    sample_format: str = "PCM_16",
    extensible: bool = False,
    chunks_before_data: Sequence[Chunk] = (),
    chunks_after_data: Sequence[Chunk] = (),
    pad_odd_chunks: bool = True,
    riff_size: int | None = None,
    data_size: int | None = None,
    truncate_to: int | None = None,
    format_tag: int | None = None,
    block_align: int | None = None,
) -> Path:
    """Write a WAV file: ``fmt ``, ``chunks_before_data``, ``data``, ``chunks_after_data``.

    Parameters
    ----------
    path
        Where to write (usually under ``tmp_path``).
    samples
        Shape ``(frames,)`` (mono) or ``(frames, channels)``. Floats in [-1, 1] are
        converted to ``sample_format`` (integer PCM as ``round(x * 2**(bits-1))`` clipped,
        U8 offset by 128, G.711 with the reference ITU/Sun encoders). Integer arrays are
        written as raw sample codes unchanged (e.g. all 256 mu-law bytes, or exact int16).
    samplerate_hz
        Sample rate written in the header, in Hz.
    sample_format
        ``PCM_U8``, ``PCM_16``, ``PCM_24``, ``PCM_32``, ``FLOAT`` (float32), ``DOUBLE``
        (float64), ``ULAW`` (G.711 mu-law, tag 7) or ``ALAW`` (G.711 A-law, tag 6).
    extensible
        Write a 40-byte WAVE_FORMAT_EXTENSIBLE ``fmt `` with the sub-format GUID.
    chunks_before_data, chunks_after_data
        Extra chunks, e.g. :func:`list_info_chunk` (AudioMoth puts ``LIST`` before
        ``data``), :func:`guano_chunk` (after ``data``), or ``(b"id3 ", ...)``.
    pad_odd_chunks
        Add the RIFF pad byte after odd-sized chunks (``False``: omit it, as some writers do).
    riff_size, data_size
        Override the declared RIFF and ``data`` sizes (headers that lie). The bytes written
        are the real samples either way.
    truncate_to
        Cut the file at this byte count after writing it.
    format_tag, block_align
        Override the declared format tag (e.g. ``2``, MS ADPCM) or block align; the sample
        bytes are still encoded as ``sample_format``.

    Returns
    -------
    Path
        ``path``.
    """
    data = np.asarray(samples)
    if data.ndim == 1:
        data = data[:, np.newaxis]
    if data.ndim != 2:
        raise ValueError(f"samples must be (frames,) or (frames, channels), got {data.shape}")
    channels = data.shape[1]
    payload = encode_samples(data, sample_format)
    fmt = fmt_chunk(
        sample_format,
        channels,
        samplerate_hz,
        extensible=extensible,
        format_tag=format_tag,
        block_align=block_align,
    )
    data_chunk: Chunk = (b"data", payload) if data_size is None else (b"data", payload, data_size)
    chunks = [fmt, *chunks_before_data, data_chunk, *chunks_after_data]
    return write_riff(
        path,
        chunks,
        pad_odd_chunks=pad_odd_chunks,
        riff_size=riff_size,
        truncate_to=truncate_to,
    )


# --------------------------------------------------------------------------- encoders


def encode_samples(data: np.ndarray, sample_format: str) -> bytes:
    """Encode a ``(frames, channels)`` array as interleaved little-endian sample bytes."""
    if sample_format not in BITS:
        raise ValueError(f"unknown sample_format {sample_format!r}; use one of {sorted(BITS)}")
    raw = np.issubdtype(data.dtype, np.integer)
    if sample_format == "FLOAT":
        return np.ascontiguousarray(data, dtype="<f4").tobytes()
    if sample_format == "DOUBLE":
        return np.ascontiguousarray(data, dtype="<f8").tobytes()
    if sample_format in ("ULAW", "ALAW"):
        if raw:
            return np.ascontiguousarray(data, dtype=np.uint8).tobytes()
        linear = _to_int(data, 16)
        encode = _linear_to_ulaw if sample_format == "ULAW" else _linear_to_alaw
        return np.ascontiguousarray(encode(linear), dtype=np.uint8).tobytes()
    bits = BITS[sample_format]
    codes = data.astype(np.int64) if raw else _to_int(data, bits)
    if sample_format == "PCM_U8":
        return np.ascontiguousarray(codes + (0 if raw else 128), dtype=np.uint8).tobytes()
    if sample_format == "PCM_24":
        as32 = np.ascontiguousarray(codes, dtype="<i4").reshape(-1)
        return as32.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    return np.ascontiguousarray(codes, dtype=f"<i{bits // 8}").tobytes()


def _to_int(data: np.ndarray, bits: int) -> np.ndarray:
    scale = 2 ** (bits - 1)
    codes = np.round(np.asarray(data, dtype=np.float64) * scale)
    return np.clip(codes, -scale, scale - 1).astype(np.int64)


def _linear_to_ulaw(pcm: np.ndarray) -> np.ndarray:
    # ITU-T G.711 mu-law, the reference Sun Microsystems g711.c algorithm on 16-bit input.
    bias, clip = 0x84, 32635
    pcm = pcm.astype(np.int64)
    sign = np.where(pcm < 0, 0x80, 0)
    mag = np.minimum(np.abs(pcm), clip) + bias
    exponent = np.floor(np.log2(mag >> 7 | 1)).astype(np.int64)
    exponent = np.clip(exponent, 0, 7)
    mantissa = (mag >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa)) & 0xFF


def _linear_to_alaw(pcm: np.ndarray) -> np.ndarray:
    # ITU-T G.711 A-law, the reference Sun Microsystems g711.c algorithm on 16-bit input.
    val = pcm.astype(np.int64) >> 3
    mask = np.where(val >= 0, 0xD5, 0x55)
    val = np.where(val >= 0, val, -val - 1)
    seg_end = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])
    seg = np.searchsorted(seg_end, val, side="left")
    shift = np.where(seg < 2, 1, seg)
    aval = (np.minimum(seg, 7) << 4) | ((val >> shift) & 0x0F)
    aval = np.where(seg >= 8, 0x7F, aval)
    return (aval ^ mask) & 0xFF
