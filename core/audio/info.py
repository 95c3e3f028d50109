"""What a recording's header says: :func:`read_info` reads it without decoding a sample.

WAV headers are read by the chunk walker (:mod:`core.audio.riff`) and the ``fmt `` parser
(:mod:`core.audio.wavformat`); the frames of a fixed-width format are counted from the
``data`` chunk against the bytes that exist, so a truncated file is known here. The frames
of a compressed codec (ADPCM, GSM) and of FLAC are counted by libsndfile from the header.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

from core.audio.decode import open_flac, open_wav
from core.audio.riff import RiffFile, open_regular, read_riff
from core.audio.wavformat import WaveFormat, codec_name, parse_fmt
from core.errors import CorruptHeaderError, EmptyFileError, TruncatedFileError

logger = logging.getLogger(__name__)


class TruncatedAudioWarning(UserWarning):
    """A recording holds fewer frames than its header declares; only those are read."""


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What the header of a recording says, checked against the bytes that exist.

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
        The libsndfile subtype: ``"PCM_U8"``, ``"PCM_16"``, ``"PCM_24"``, ``"PCM_32"``,
        ``"FLOAT"`` (32-bit), ``"DOUBLE"`` (64-bit), ``"ULAW"``, ``"ALAW"``,
        ``"MS_ADPCM"``, ``"IMA_ADPCM"``, ``"GSM610"``, ...: the stored sample encoding.
    bits_per_sample
        Significant bits per sample as declared (the valid bits of an extensible header,
        e.g. 20 in a ``PCM_24`` container).
    format_tag
        The effective WAV format tag (WAVE_FORMAT_EXTENSIBLE resolved to its sub-format):
        1 PCM, 2 MS ADPCM, 3 IEEE float, 6 A-law, 7 mu-law; 0 for FLAC.
    block_align
        Bytes per frame (per compressed block for ADPCM and GSM; 0 for FLAC).
    data_offset
        Byte offset of the first sample in the file (0 for FLAC).
    declared_frames
        Frames the header promises.
    truncated
        True when the file holds fewer whole frames than declared.
    container
        ``"WAV"`` or ``"FLAC"``.
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
    container: str = "WAV"


def read_info(path: str | Path) -> AudioInfo:
    """Read the header of a WAV or FLAC file, without decoding any samples.

    Parameters
    ----------
    path
        The recording (a regular file; its first bytes say WAV or FLAC, not its name).

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
        Not a RIFF/WAVE or FLAC file, or it cannot be opened.
    NotRegularFileError
        A named pipe, device, socket or folder (never opened for reading).
    CorruptHeaderError
        Missing or short ``fmt ``/``data``, zero channels or sample rate, or a block
        alignment that does not match the sample format.
    TruncatedFileError
        The header declares audio but not one whole frame of it exists.
    UnsupportedFormatError
        A codec libsndfile cannot decode (MP3 in WAV, ...) or an unusual sample layout.
    """
    path = Path(path)
    with open_regular(path) as fh:
        magic = fh.read(4)
    if magic == b"fLaC":
        return _flac_info(path)
    riff = read_riff(path)
    fmt_chunk, data = riff.find("fmt "), riff.find("data")
    assert fmt_chunk is not None and data is not None  # read_riff guarantees both
    fmt = parse_fmt(path, riff.read(fmt_chunk))
    if fmt.sample_format is None:
        return _compressed_info(riff, fmt)
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
        _warn_truncated(
            path,
            f"the header declares {declared} frames ({declared / fmt.samplerate_hz:.3f} s) "
            f"but only {frames} frames ({frames / fmt.samplerate_hz:.3f} s) exist; reading those",
        )
    if data.size % frame:
        logger.debug("%s: ignoring %d bytes of a partial last frame", path, data.size % frame)

    return AudioInfo(
        path=path,
        samplerate_hz=fmt.samplerate_hz,
        channels=fmt.channels,
        frames=frames,
        duration_s=frames / fmt.samplerate_hz,
        sample_format=fmt.sample_format or "",
        bits_per_sample=fmt.bits_per_sample,
        format_tag=fmt.tag,
        block_align=frame,
        data_offset=data.offset,
        declared_frames=declared,
        truncated=frames < declared,
    )


def _compressed_info(riff: RiffFile, fmt: WaveFormat) -> AudioInfo:
    # The frames of ADPCM and GSM depend on the codec's block layout: libsndfile counts them.
    data = riff.find("data")
    assert data is not None
    tag = fmt.tag
    with open_wav(riff, data.available, fmt) as sound:
        frames, rate, channels, subtype = (
            sound.frames,
            sound.samplerate,
            sound.channels,
            sound.subtype,
        )
    if frames == 0 and data.truncated:
        raise TruncatedFileError(
            riff.path,
            f"the header declares {data.size} bytes of audio but the file holds only "
            f"{data.available} byte(s) of it, less than one {codec_name(tag)} block",
            "re-copy the file from the card; if it is the same there, the card filled up",
        )
    if frames == 0:
        raise EmptyFileError(riff.path, "the data chunk holds no audio", "re-copy the file")
    if data.truncated:
        _warn_truncated(
            riff.path,
            f"the header declares {data.size} bytes of audio but only "
            f"{data.available} exist; reading the {frames} frames there",
        )
    return AudioInfo(
        path=riff.path,
        samplerate_hz=rate,
        channels=channels,
        frames=frames,
        duration_s=frames / rate,
        sample_format=subtype,
        bits_per_sample=fmt.bits_per_sample,
        format_tag=tag,
        block_align=fmt.block_align,
        data_offset=data.offset,
        declared_frames=frames,
        truncated=data.truncated,
    )


def _flac_info(path: Path) -> AudioInfo:
    with open_flac(path) as sound:
        frames, rate, channels, subtype = (
            sound.frames,
            sound.samplerate,
            sound.channels,
            sound.subtype,
        )
    if frames == 0:
        raise EmptyFileError(path, "the FLAC stream holds no audio", "re-copy the file")
    bits = {"PCM_S8": 8, "PCM_16": 16, "PCM_24": 24}.get(subtype, 0)
    return AudioInfo(
        path=path,
        samplerate_hz=rate,
        channels=channels,
        frames=frames,
        duration_s=frames / rate,
        sample_format=subtype,
        bits_per_sample=bits,
        format_tag=0,
        block_align=0,
        data_offset=0,
        declared_frames=frames,
        truncated=False,
        container="FLAC",
    )


def _warn_truncated(path: Path, what: str) -> None:
    message = f"{path}: file is truncated: {what}"
    logger.warning(message)
    warnings.warn(TruncatedAudioWarning(message), stacklevel=3)
