"""A tolerant RIFF/WAVE chunk walker that reads headers only.

Field recorders and the tools that re-tag their files write RIFF in many dialects: odd
chunk sizes with or without the pad byte, chunks after ``data`` (``LIST``, ``id3 ``,
``guan``), RIFF sizes that do not match the file, files cut short when a card filled up.
The walker trusts the bytes that exist over the sizes that are declared, and reports both
so that callers can refuse or warn, never misread. libsndfile decodes the samples
(:mod:`core.audio.decode`); this walker reads what libsndfile does not expose: the ``guan``
chunk, the ``LIST``/``INFO`` fields (the same walk, inside the ``LIST`` payload), the
declared-versus-present size of ``data`` and the file's layout for a friendly error.
Only regular files are opened: a named pipe called ``x.wav`` would block forever.
"""

from __future__ import annotations

import io
import logging
import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from core.audio.files import file_kind
from core.errors import (
    CorruptHeaderError,
    EmptyFileError,
    NotAudioError,
    NotRegularFileError,
    TruncatedFileError,
    UnsupportedFormatError,
)

logger = logging.getLogger(__name__)

_HEADER = 12
_CHUNK_HEADER = 8
_MAX_CHUNKS = 4096
# Chunk ids met in recorder and tagging-tool output, used to resolve a missing pad byte.
_KNOWN_IDS = frozenset(
    (
        b"fmt ", b"data", b"LIST", b"list", b"fact", b"PEAK", b"guan", b"wamd", b"bext",
        b"iXML", b"axml", b"cue ", b"smpl", b"inst", b"acid", b"junk", b"JUNK", b"PAD ",
        b"_PMX", b"id3 ", b"ID3 ", b"cart", b"umid", b"labl", b"ltxt", b"note", b"DISP",
        b"ICMT", b"IART", b"INAM", b"ICRD", b"ISFT", b"IPRD", b"IGNR", b"ICOP", b"IENG",
        b"ISBJ", b"IKEY", b"ITRK", b"ISRC", b"ITCH",
    )
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk of a RIFF file.

    Attributes
    ----------
    id
        Four-character chunk id, e.g. ``"fmt "``, ``"data"``, ``"LIST"``, ``"guan"``.
    offset
        Byte offset of the chunk payload (just after the 8-byte chunk header).
    size
        Payload size as declared in the chunk header.
    available
        Payload bytes actually present in the file (``<= size`` when truncated).
    """

    id: str
    offset: int
    size: int
    available: int

    @property
    def truncated(self) -> bool:
        """True when the file ends before the declared payload does."""
        return self.available < self.size


@dataclass(frozen=True, slots=True)
class RiffFile:
    """The chunk table of a RIFF/WAVE file, without any sample data."""

    path: Path
    file_size: int
    riff_size: int
    chunks: tuple[Chunk, ...]

    def find(self, chunk_id: str) -> Chunk | None:
        """Return the first chunk with this id, or ``None``."""
        for chunk in self.chunks:
            if chunk.id == chunk_id:
                return chunk
        return None

    def read(self, chunk: Chunk) -> bytes:
        """Read the available payload bytes of ``chunk``."""
        with open_regular(self.path) as fh:
            fh.seek(chunk.offset)
            return fh.read(chunk.available)

    def info_fields(self) -> dict[str, str]:
        """The ``LIST``/``INFO`` text fields (``ICMT``, ``IART``, ...), first value of each.

        Each value is decoded as UTF-8 (bad bytes replaced), cut at the first NUL and
        stripped; empty values are left out. The sub-chunks are walked like the file's own
        chunks, so odd sizes without their pad byte are read right here too.
        """
        fields: dict[str, str] = {}
        for chunk in self.chunks:
            if chunk.id != "LIST":
                continue
            payload = self.read(chunk)
            if payload[:4] != b"INFO":
                continue
            subchunks, _ = _walk(io.BytesIO(payload), self.path, len(payload), start=4)
            for sub in subchunks:
                raw = payload[sub.offset : sub.offset + sub.available].split(b"\x00", 1)[0]
                text = raw.decode("utf-8", "replace").strip()
                if text:
                    fields.setdefault(sub.id, text)
        return fields


def open_regular(path: Path) -> BinaryIO:
    """Open a file for reading only when it is a regular file (never blocks on a pipe).

    Raises
    ------
    NotRegularFileError
        A named pipe, device, socket or folder.
    NotAudioError
        It cannot be opened (missing, no permission).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise NotAudioError(path, f"cannot be opened: {exc.strerror or exc}") from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegularFileError(path, f"{file_kind(mode)}, not a file", "only files are read")
    return os.fdopen(fd, "rb")


def _valid_id(raw: bytes) -> bool:
    return len(raw) == 4 and all(32 <= b < 127 for b in raw)


def read_riff(path: str | Path) -> RiffFile:
    """Walk the chunks of a RIFF/WAVE file.

    Parameters
    ----------
    path
        The WAV file.

    Returns
    -------
    RiffFile
        The chunk table. ``fmt `` and ``data`` are guaranteed present.

    Raises
    ------
    EmptyFileError
        The file has zero bytes.
    NotAudioError
        The file does not start with a RIFF/WAVE header.
    UnsupportedFormatError
        An RF64/BW64 file (more than 4 GiB) or a big-endian RIFX file.
    TruncatedFileError
        The file ends inside a chunk before ``fmt `` and ``data`` were both found.
    CorruptHeaderError
        The chunk structure is broken before ``fmt `` and ``data`` were found.
    """
    path = Path(path)
    with open_regular(path) as fh:
        file_size = os.fstat(fh.fileno()).st_size
        try:
            head = fh.read(_HEADER)
            if file_size == 0:
                raise EmptyFileError(
                    path, "the file is empty (0 bytes)", "re-copy it from the card"
                )
            if head[:4] in (b"RF64", b"BW64"):
                raise UnsupportedFormatError(
                    path, "RF64/BW64 files (over 4 GiB) are not supported", "split the recording"
                )
            if head[:4] == b"RIFX":
                raise UnsupportedFormatError(
                    path, "big-endian RIFX files are not supported", "convert to a plain WAV"
                )
            if len(head) < _HEADER or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                raise NotAudioError(
                    path,
                    f"not a WAV file (starts with {head[:12]!r}, expected RIFF....WAVE)",
                )
            riff_size = struct.unpack("<I", head[4:8])[0]
            chunks, cut_short = _walk(fh, path, file_size)
        except OSError as exc:
            raise NotAudioError(path, f"cannot be read: {exc.strerror or exc}") from exc

    riff = RiffFile(path=path, file_size=file_size, riff_size=riff_size, chunks=tuple(chunks))
    for chunk_id, what in (("fmt ", "the WAV header"), ("data", "the audio")):
        if riff.find(chunk_id) is not None:
            continue
        if cut_short:
            # The file stops inside a chunk: a copy or recording that was cut off, not a
            # damaged layout, and the user can do something about it.
            raise TruncatedFileError(
                path,
                f"the file ends after {file_size} bytes, before {what} ('{chunk_id}' chunk)",
                "re-copy the file from the card",
            )
        raise CorruptHeaderError(
            path,
            f"no '{chunk_id}' chunk: {what} is missing or the chunk layout is damaged",
        )
    if riff_size + 8 != file_size:
        logger.debug("%s: RIFF size %d does not match file size %d", path, riff_size, file_size)
    return riff


def _walk(
    fh: BinaryIO, path: Path, file_size: int, start: int = _HEADER
) -> tuple[list[Chunk], bool]:
    """Return the chunks from ``start``, and whether the data ends inside one of them."""
    chunks: list[Chunk] = []
    pos = start
    while pos + _CHUNK_HEADER <= file_size and len(chunks) < _MAX_CHUNKS:
        fh.seek(pos)
        header = fh.read(_CHUNK_HEADER)
        raw_id, size = header[:4], struct.unpack("<I", header[4:8])[0]
        if not _valid_id(raw_id):
            # Garbage after the last real chunk (some tools append padding or junk).
            logger.debug("%s: stopping chunk walk at byte %d (id %r)", path, pos, raw_id)
            break
        offset = pos + _CHUNK_HEADER
        available = max(0, min(size, file_size - offset))
        chunks.append(Chunk(raw_id.decode("ascii"), offset, size, available))
        end = offset + size
        if end >= file_size:
            return chunks, end > file_size
        pos = end + (size & 1)
        if size & 1 and _plausibility(fh, end, file_size) > _plausibility(fh, pos, file_size):
            # The writer omitted the pad byte after an odd-sized chunk.
            pos = end
    return chunks, pos < file_size < pos + _CHUNK_HEADER


def _plausibility(fh: BinaryIO, pos: int, file_size: int) -> int:
    """How much the bytes at ``pos`` look like a chunk header (0: not at all).

    After an odd-sized chunk, the next header sits after the pad byte (the spec) or right
    at the end of the payload (writers that forget the pad). Read one byte off, a real
    header still often shows a printable id ("LIST" seen as "IST$"), so a known id and a
    size that fits the file weigh more than printability.
    """
    if pos + _CHUNK_HEADER > file_size:
        return 0
    fh.seek(pos)
    header = fh.read(_CHUNK_HEADER)
    raw_id, size = header[:4], struct.unpack("<I", header[4:8])[0]
    if not _valid_id(raw_id):
        return 0
    fits = pos + _CHUNK_HEADER + size <= file_size
    return 1 + int(fits) + 2 * int(raw_id in _KNOWN_IDS)
