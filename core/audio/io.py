"""Read WAV recordings: the header alone (:func:`read_info`) or the samples as float32.

Samples are decoded with numpy straight from the byte offsets that :mod:`core.audio.riff` finds,
one block at a time, so a one-hour 384 kHz recording never has to sit whole in memory
(:func:`iter_blocks`). Supported: integer PCM of 8 (unsigned), 16, 24 and 32 bits, IEEE
float of 32 and 64 bits, G.711 mu-law and A-law, each plain or WAVE_FORMAT_EXTENSIBLE, any
number of channels and any sample rate.

Truncated files (a card that filled up, a copy that stopped) are read up to the last whole
frame that exists, with ``AudioInfo.truncated`` set and a :class:`TruncatedAudioWarning`;
a file with not even one whole frame raises :class:`~core.errors.TruncatedFileError`.
Samples are never read past the declared end of ``data``, and never as a partial frame.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from core.audio.riff import read_riff
from core.audio.wavformat import decode, parse_fmt
from core.errors import AudioError, CorruptHeaderError, EmptyFileError, TruncatedFileError

logger = logging.getLogger(__name__)

# Frames decoded per read by load_audio: bounds the raw-bytes buffer to a few MiB.
_LOAD_BLOCK_FRAMES = 1 << 18


class TruncatedAudioWarning(UserWarning):
    """A recording holds fewer frames than its header declares; only those are read."""


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What the header of a WAV file says, checked against the bytes that exist.

    Attributes
    ----------
    path
        The file.
    samplerate_hz
        Sample rate in Hz.
    channels
        Number of interleaved channels.
    frames
        Whole frames that can be read (a frame holds one sample per channel).
    duration_s
        ``frames / samplerate_hz``, in seconds.
    sample_format
        ``"PCM_U8"``, ``"PCM_16"``, ``"PCM_24"``, ``"PCM_32"``, ``"FLOAT"`` (32-bit),
        ``"DOUBLE"`` (64-bit), ``"ULAW"`` or ``"ALAW"``: the stored sample container.
    bits_per_sample
        Significant bits per sample as declared (the valid bits of an extensible header,
        e.g. 20 in a ``PCM_24`` container).
    format_tag
        The effective format tag (WAVE_FORMAT_EXTENSIBLE resolved to its sub-format):
        1 PCM, 3 IEEE float, 6 A-law, 7 mu-law.
    block_align
        Bytes per frame.
    data_offset
        Byte offset of the first sample in the file.
    declared_frames
        Frames the header promises.
    truncated
        True when the file holds fewer whole frames than declared.
    """

    path: Path
    samplerate_hz: int
    channels: int
    frames: int
    duration_s: float
    sample_format: str
    bits_per_sample: int
    format_tag: int
    block_align: int
    data_offset: int
    declared_frames: int
    truncated: bool


def read_info(path: str | Path) -> AudioInfo:
    """Read the header of a WAV file, without decoding any samples.

    Parameters
    ----------
    path
        The WAV file.

    Returns
    -------
    AudioInfo
        Sample rate, channels, format, and the frames that can really be read.

    Warns
    -----
    TruncatedAudioWarning
        The file ends before the declared audio does; ``frames`` counts what exists.

    Raises
    ------
    EmptyFileError
        Zero bytes, or a ``data`` chunk that declares no whole frame.
    NotAudioError
        Not a RIFF/WAVE file, or it cannot be opened.
    CorruptHeaderError
        Missing or short ``fmt ``/``data``, zero channels or sample rate, or a block
        alignment that does not match the sample format.
    TruncatedFileError
        The header declares audio but not one whole frame of it exists.
    UnsupportedFormatError
        A compressed codec (MS ADPCM, MP3, ...) or an unusual sample layout.
    """
    riff = read_riff(path)
    path = riff.path
    fmt_chunk, data = riff.find("fmt "), riff.find("data")
    assert fmt_chunk is not None and data is not None  # read_riff guarantees both
    fmt = parse_fmt(path, riff.read(fmt_chunk))
    frame = fmt.block_align
    declared = data.size // frame
    frames = min(declared, data.available // frame)

    # "Nothing to read" comes first: it is the diagnosis that tells the user what happened,
    # even when the header is also inconsistent (as in many zero-length files).
    if declared == 0:
        raise EmptyFileError(
            path,
            f"the data chunk declares {data.size} bytes, not one whole frame "
            f"({frame} bytes): the recording holds no audio",
            "the recorder may have stopped before it finished the file",
        )
    if frames == 0:
        raise TruncatedFileError(
            path,
            f"the header declares {declared} frames ({data.size} bytes) of audio but the "
            f"file holds only {data.available} byte(s) of it, less than one frame",
            "re-copy the file from the card; if it is the same there, the card filled up",
        )
    if fmt.declared_block_align != frame:
        raise CorruptHeaderError(
            path,
            f"block_align is {fmt.declared_block_align} bytes but {fmt.channels} channel(s) "
            f"of {fmt.sample_format} need {frame}: the header is inconsistent",
            "the file was written by a faulty tool; re-export it as PCM WAV",
        )
    if frames < declared:
        message = (
            f"{path}: file is truncated: the header declares {declared} frames "
            f"({declared / fmt.samplerate_hz:.3f} s) but only {frames} frames "
            f"({frames / fmt.samplerate_hz:.3f} s) exist; reading those"
        )
        logger.warning(message)
        warnings.warn(TruncatedAudioWarning(message), stacklevel=2)
    if data.size % frame:
        logger.debug("%s: ignoring %d bytes of a partial last frame", path, data.size % frame)

    return AudioInfo(
        path=path,
        samplerate_hz=fmt.samplerate_hz,
        channels=fmt.channels,
        frames=frames,
        duration_s=frames / fmt.samplerate_hz,
        sample_format=fmt.sample_format,
        bits_per_sample=fmt.bits_per_sample,
        format_tag=fmt.tag,
        block_align=frame,
        data_offset=data.offset,
        declared_frames=declared,
        truncated=frames < declared,
    )


def load_audio(
    path: str | Path,
    offset_s: float = 0.0,
    duration_s: float | None = None,
    *,
    mono: bool = False,
) -> np.ndarray:
    """Decode the samples of a WAV file (or a stretch of it) as float32 in [-1, 1].

    Parameters
    ----------
    path
        The WAV file.
    offset_s
        Where to start, in seconds from the beginning (rounded to the nearest frame).
    duration_s
        How much to read, in seconds; ``None`` reads to the end. A stretch that runs past
        the end of the recording is cut there, so the result may be shorter than asked.
    mono
        Average the channels into one.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(frames, channels)``, or ``(frames,)`` when ``mono=True``. An
        ``offset_s`` exactly at the end gives zero frames.

    Raises
    ------
    ValueError
        ``offset_s`` is negative, not finite, or past the end of the recording;
        ``duration_s`` is negative or not finite.
    AudioError
        Any subclass raised by :func:`read_info`, or the file shrank while being read.
    """
    info = read_info(path)
    start = _seconds_to_frame(info, "offset_s", offset_s)
    if start > info.frames:
        raise ValueError(
            f"{info.path}: offset_s={offset_s} is past the end of the recording "
            f"({info.duration_s:.3f} s)"
        )
    stop = info.frames
    if duration_s is not None:
        stop = min(stop, start + _seconds_to_frame(info, "duration_s", duration_s))
    shape = (stop - start,) if mono else (stop - start, info.channels)
    out = np.empty(shape, dtype=np.float32)
    pos = 0
    # Filled block by block so that only one block of raw bytes is held besides the result.
    for block in _blocks(info, _LOAD_BLOCK_FRAMES, start, stop, mono):
        out[pos : pos + len(block)] = block
        pos += len(block)
    return out


def iter_blocks(
    path: str | Path | AudioInfo,
    block_frames: int,
    *,
    start_frame: int = 0,
    stop_frame: int | None = None,
    mono: bool = False,
) -> Iterator[np.ndarray]:
    """Stream the samples of a WAV file in blocks, reading one block from disk at a time.

    The header is read and the arguments checked when this is called; the file stays open
    while the iterator is consumed and is closed when it is exhausted or discarded.

    Parameters
    ----------
    path
        The WAV file, or its :class:`AudioInfo` when the caller has read the header
        already (it is then not read, nor a truncation warned about, a second time).
    block_frames
        Frames per block; the last block may be shorter.
    start_frame
        First frame to read.
    stop_frame
        Frame to stop before; ``None`` or a value past the end reads to the end.
    mono
        Average the channels into one.

    Yields
    ------
    numpy.ndarray
        float32 blocks, shape ``(n, channels)``, or ``(n,)`` when ``mono=True``.

    Raises
    ------
    ValueError
        ``block_frames`` < 1, ``start_frame`` negative or past the end, or
        ``stop_frame`` before ``start_frame``.
    AudioError
        Any subclass raised by :func:`read_info`, or the file shrank while being read.
    """
    info = path if isinstance(path, AudioInfo) else read_info(path)
    if block_frames < 1:
        raise ValueError(f"block_frames must be at least 1, got {block_frames}")
    if not 0 <= start_frame <= info.frames:
        raise ValueError(
            f"{info.path}: start_frame={start_frame} is outside the recording "
            f"(0..{info.frames} frames)"
        )
    stop = info.frames if stop_frame is None else min(stop_frame, info.frames)
    if stop < start_frame:
        raise ValueError(f"stop_frame={stop_frame} is before start_frame={start_frame}")
    return _blocks(info, block_frames, start_frame, stop, mono)


def _seconds_to_frame(info: AudioInfo, name: str, seconds: float) -> int:
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{info.path}: {name} must be a finite number >= 0, got {seconds}")
    return round(seconds * info.samplerate_hz)


def _blocks(
    info: AudioInfo, block_frames: int, start: int, stop: int, mono: bool
) -> Iterator[np.ndarray]:
    with _open(info.path) as fh:
        fh.seek(info.data_offset + start * info.block_align)
        pos = start
        while pos < stop:
            n = min(block_frames, stop - pos)
            raw = _read_exact(info, fh, n * info.block_align)
            block = decode(raw, info.sample_format).reshape(n, info.channels)
            if mono:
                block = block[:, 0].copy() if info.channels == 1 else block.mean(axis=1)
            yield block
            pos += n


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise AudioError(path, f"cannot be opened: {exc.strerror or exc}") from exc


def _read_exact(info: AudioInfo, fh: BinaryIO, size: int) -> bytes:
    try:
        raw = fh.read(size)
    except OSError as exc:
        raise AudioError(info.path, f"cannot be read: {exc.strerror or exc}") from exc
    if len(raw) < size:
        raise TruncatedFileError(
            info.path,
            "the file became shorter while it was being read",
            "wait until copying has finished, then try again",
        )
    return raw
