"""Samples through libsndfile (``soundfile``), from the layout the header walker checked.

libsndfile decodes every sample format (PCM, float, G.711, MS/IMA ADPCM, GSM, FLAC). It
opens the file itself whenever it agrees with :mod:`core.audio.riff` on sample rate,
channels, format and the number of frames; for the layouts it does not parse (an odd
chunk without its pad byte before ``data``, a file cut inside a trailing chunk) it reads
a view of the file: a canonical header followed by exactly the ``data`` bytes the walker
found. Either way the samples are those of that ``data`` chunk, never a trailing chunk,
never a partial frame.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
import soundfile as sf

from core.audio.riff import RiffFile, open_regular, read_riff
from core.audio.wavformat import CONVERT_HINT, WaveFormat, codec_name, parse_fmt
from core.errors import AudioError, TruncatedFileError, UnsupportedFormatError

if TYPE_CHECKING:
    from core.audio.info import AudioInfo

# What soundfile raises for a file libsndfile cannot open or decode.
_SF_ERRORS = (sf.SoundFileError, RuntimeError, ValueError, TypeError, OSError)


class _DataView(io.RawIOBase):
    """A read-only file of ``header`` followed by ``length`` bytes of ``fh`` at ``offset``."""

    def __init__(self, fh: BinaryIO, header: bytes, offset: int, length: int) -> None:
        super().__init__()
        self._fh, self._header, self._offset = fh, header, offset
        self._size, self._pos = len(header) + length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        out = memoryview(buffer).cast("B")
        want = min(len(out), max(0, self._size - self._pos))
        done, head = 0, len(self._header)
        if self._pos < head:
            done = min(want, head - self._pos)
            out[:done] = self._header[self._pos : self._pos + done]
        if done < want:
            self._fh.seek(self._offset + self._pos + done - head)
            done += self._fh.readinto(out[done:want]) or 0
        self._pos += done
        return done

    def close(self) -> None:
        self._fh.close()
        super().close()


def canonical_view(riff: RiffFile, data_bytes: int, fmt: WaveFormat | None = None) -> _DataView:
    """``data_bytes`` of the audio of ``riff`` behind a header libsndfile parses.

    A fixed-width format (``fmt`` given) gets a plain 16-byte ``fmt `` of the same samples
    (extensible and odd ``fmt `` extensions resolved); a codec keeps its own ``fmt `` and
    ``fact``, which describe its block layout.
    """
    chunks = []
    if fmt is not None and fmt.sample_format is not None:
        width = fmt.block_align // fmt.channels
        payload = struct.pack(
            "<HHIIHH", fmt.tag, fmt.channels, fmt.samplerate_hz,
            fmt.samplerate_hz * fmt.block_align, fmt.block_align, 8 * width,
        )  # fmt: skip
        chunks.append((b"fmt ", payload))
    else:
        for chunk_id in ("fmt ", "fact"):
            chunk = riff.find(chunk_id)
            if chunk is not None and (chunk_id == "fmt " or chunk.available >= 4):
                chunks.append((chunk_id.encode(), riff.read(chunk)))
    header = b"WAVE"
    for chunk_id, payload in chunks:
        header += (
            chunk_id + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) & 1)
        )
    header += b"data" + struct.pack("<I", data_bytes)
    header = b"RIFF" + struct.pack("<I", len(header) + data_bytes) + header
    data = riff.find("data")
    assert data is not None  # read_riff guarantees it
    return _DataView(open_regular(riff.path), header, data.offset, data_bytes)


def open_wav(
    riff: RiffFile, data_bytes: int, fmt: WaveFormat, expect: tuple | None = None
) -> sf.SoundFile:
    """libsndfile on the file itself, or on its canonical view when it may misread it.

    The file is opened directly only when its layout is plain (one ``fmt `` before one
    ``data``) and libsndfile then sees ``expect`` (frames, sample rate, channels, subtype).

    Raises
    ------
    UnsupportedFormatError
        libsndfile cannot decode this codec or layout either.
    """
    ids = [chunk.id for chunk in riff.chunks]
    if ids.count("fmt ") == ids.count("data") == 1 and ids.index("fmt ") < ids.index("data"):
        try:
            sound = sf.SoundFile(riff.path)
        except _SF_ERRORS:
            pass
        else:
            seen = (sound.frames, sound.samplerate, sound.channels, sound.subtype)
            if expect is None or seen == expect:
                return sound
            sound.close()
    try:
        return sf.SoundFile(canonical_view(riff, data_bytes, fmt))
    except _SF_ERRORS as exc:
        problem = f"{codec_name(fmt.tag)} audio cannot be decoded"
        if fmt.sample_format is None:
            problem = "compressed " + problem
        reason = str(exc).split(": ", 1)[-1]  # without libsndfile's "Error opening <object>"
        raise UnsupportedFormatError(riff.path, f"{problem} ({reason})", CONVERT_HINT) from exc


def open_sound(info: AudioInfo) -> sf.SoundFile:
    """Open a recording for decoding the frames :class:`AudioInfo` describes.

    Raises
    ------
    AudioError
        The file cannot be opened, or libsndfile cannot decode it.
    """
    if info.container == "FLAC":
        return open_flac(info.path)
    riff = read_riff(info.path)
    fmt_chunk, data = riff.find("fmt "), riff.find("data")
    assert fmt_chunk is not None and data is not None  # read_riff guarantees both
    fmt = parse_fmt(info.path, riff.read(fmt_chunk))
    data_bytes = info.frames * fmt.block_align if fmt.sample_format else data.available
    expect = (info.frames, info.samplerate_hz, info.channels, info.sample_format)
    return open_wav(riff, data_bytes, fmt, expect)


def open_flac(path: Path) -> sf.SoundFile:
    """libsndfile on a FLAC file (checked to be a regular file first)."""
    open_regular(path).close()
    try:
        return sf.SoundFile(path)
    except _SF_ERRORS as exc:
        raise AudioError(path, f"is not a readable FLAC file ({exc})", "re-copy it") from exc


def flac_tags(path: Path) -> tuple[str | None, str | None]:
    """The comment and artist Vorbis comments of a FLAC file (``None`` when absent)."""
    with open_flac(path) as sound:
        return sound.comment or None, sound.artist or None


def read_blocks(
    info: AudioInfo, block_frames: int, start: int, stop: int, mono: bool
) -> Iterator[np.ndarray]:
    """Decode frames ``start..stop`` as float32 blocks of ``block_frames`` (the last shorter)."""
    with open_sound(info) as sound:
        pos = start
        try:
            sound.seek(start)
            while pos < stop:
                n = min(block_frames, stop - pos)
                block = sound.read(n, dtype="float32", always_2d=True)
                if len(block) < n:
                    raise TruncatedFileError(
                        info.path,
                        "the file became shorter while it was being read",
                        "wait until copying has finished, then try again",
                    )
                if mono:
                    block = block[:, 0].copy() if info.channels == 1 else block.mean(axis=1)
                yield block
                pos += n
        except _SF_ERRORS as exc:
            raise AudioError(info.path, f"cannot be decoded at frame {pos}: {exc}") from exc
