"""Read recordings: the header alone (:func:`read_info`) or the samples as float32.

The header is read by :mod:`core.audio.riff` (WAV) and the samples are decoded by libsndfile
(:mod:`core.audio.decode`), one block at a time, so a one-hour 384 kHz recording never has
to sit whole in memory (:func:`iter_blocks`). Supported: WAV with integer PCM of 8
(unsigned), 16, 24 and 32 bits, IEEE float of 32 and 64 bits, G.711 mu-law and A-law, MS
and IMA ADPCM and GSM 6.10, each plain or WAVE_FORMAT_EXTENSIBLE, any number of channels
and any sample rate; and FLAC.

Truncated WAV files (a card that filled up, a copy that stopped) are read up to the last
whole frame that exists, with ``AudioInfo.truncated`` set and a
:class:`TruncatedAudioWarning`; a file with not even one whole frame raises
:class:`~core.errors.TruncatedFileError`. Samples are never read past the declared end of
``data``, and never as a partial frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from core.audio.decode import read_blocks
from core.audio.info import AudioInfo, TruncatedAudioWarning, read_info

__all__ = ["AudioInfo", "TruncatedAudioWarning", "iter_blocks", "load_audio", "read_info"]

# Frames decoded per read by load_audio: bounds the decoding buffer to a few MiB.
_LOAD_BLOCK_FRAMES = 1 << 18


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
    for block in read_blocks(info, _LOAD_BLOCK_FRAMES, start, stop, mono):
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
    return read_blocks(info, block_frames, start_frame, stop, mono)


def _seconds_to_frame(info: AudioInfo, name: str, seconds: float) -> int:
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{info.path}: {name} must be a finite number >= 0, got {seconds}")
    return round(seconds * info.samplerate_hz)
