"""Recording rows as ingest sees them: built from a header, compared with the file on disk.

Ingest reads a file's header (:func:`core.audio.io.read_info`) and its recorder metadata
(:func:`core.metadata.recording.read_metadata`); :func:`build_recording` maps both onto
the columns of :class:`db.models.Recording`. :func:`stored_files` tells ingest what is
already stored under each path (with the size and time it had), so that a file that
changed since is read again; :func:`store_file` writes a new row, or the new content of a
file over its old row (dropping the scores of the old content), in the caller's
transaction.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from core.audio.files import display_path
from core.audio.io import AudioInfo
from core.metadata.plausibility import clock_issue
from core.metadata.recording import RecordingMetadata
from db.activity_sums import recording_units, refresh_recordings, refresh_sums
from db.models import (
    Detection,
    DetectionRun,
    DuplicateFile,
    Recording,
    RecordingStatus,
    Review,
    WindowScore,
)

logger = logging.getLogger(__name__)

# Header facts copied one to one into columns of the same name.
_AUDIO_COLUMNS = ("duration_s", "samplerate_hz", "channels", "sample_format", "frames")
_METADATA_COLUMNS = (
    "recorded_at",
    "time_source",
    "temperature_c",
    "battery_v",
    "gain",
    "firmware",
    "latitude",
    "longitude",
    "comment",
)
# Metadata fields kept in Recording.recorder_metadata rather than in columns of their own.
_EXTRA_METADATA = ("deployment_id", "filter", "trigger", "stop_reason", "artist", "conflicts")


def build_recording(
    path: Path,
    size_bytes: int,
    sha256: str,
    info: AudioInfo | None,
    metadata: RecordingMetadata | None,
    error: str | None,
    *,
    mtime_ns: int | None = None,
) -> Recording:
    """The row of one file from what its header said (or why it could not be read).

    Parameters
    ----------
    path, size_bytes, sha256
        Where the file is, its size in bytes and its content hash.
    info
        The audio header; ``None`` when it could not be read (the row is ``failed``).
    metadata
        Recorder metadata; ``None`` when there is none or it could not be read.
    error
        Why the audio could not be read (stored with a ``failed`` row).
    mtime_ns
        The file's modification time when it was read (ns), to notice later changes.

    Returns
    -------
    Recording
        Not yet added to any session; ``device_id`` and ``site_id`` are left to the caller.
    """
    recording = Recording(
        path=display_path(path), size_bytes=size_bytes, sha256=sha256, mtime_ns=mtime_ns
    )
    if info is not None:
        recording.readable = True
        recording.status = RecordingStatus.PENDING
        for name in _AUDIO_COLUMNS:
            setattr(recording, name, getattr(info, name))
        recording.truncated = info.truncated
    else:
        recording.status, recording.error = RecordingStatus.FAILED, error
    if metadata is not None:
        for name in _METADATA_COLUMNS:
            setattr(recording, name, getattr(metadata, name))
        recording.utc_offset_min = metadata.utc_offset_min
        recording.clock_issue = clock_issue(metadata.recorded_at, recorder=metadata.recorder)
        if recording.clock_issue:
            logger.warning("%s: %s; its time builds no night ranges", path, recording.clock_issue)
        extra = {name: getattr(metadata, name) for name in _EXTRA_METADATA}
        recording.recorder_metadata = {k: v for k, v in extra.items() if v} | {
            "recorder": metadata.recorder,
            "device_serial": metadata.device_serial,
            "guano": dict(metadata.guano),
        }
    return recording


def placeholder_sha256(path: str | Path) -> str:
    """A stand-in content hash for a row whose file could not be hashed.

    Derived from the path, so unique per file and never equal to a real content hash; the
    row is replaced as soon as the file can be read.
    """
    return hashlib.sha256(b"unhashed-path:" + os.fsencode(path)).hexdigest()


@dataclass(frozen=True)
class StoredFile:
    """What the database holds under one path: a recording or a duplicate of one."""

    recording_id: int
    duplicate: bool
    size_bytes: int
    mtime_ns: int | None
    readable: bool
    sha256: str
    ingested_at: datetime

    def changed(self, size_bytes: int, mtime_ns: int, ctime_ns: int) -> bool:
        """Whether the file on disk (size, modification and change time) is not what was read.

        A duplicate counts as changed when its size differs; a recording when its size or
        modification time does; a file that could not be read also when its inode changed
        after that attempt (permissions fixed, for example).
        """
        if size_bytes != self.size_bytes:
            return True
        if self.duplicate:
            return False
        if self.mtime_ns is not None and mtime_ns != self.mtime_ns:
            return True
        return not self.readable and ctime_ns > self.ingested_at.timestamp() * 1e9


def stored_files(*, session: Session) -> dict[str, StoredFile]:
    """Every stored path (recordings and duplicates) with what was stored about it."""
    out: dict[str, StoredFile] = {}
    for rid, path, size, mtime, readable, sha, at in session.exec(
        select(
            Recording.id,
            Recording.path,
            Recording.size_bytes,
            Recording.mtime_ns,
            Recording.readable,
            Recording.sha256,
            Recording.ingested_at,
        )
    ).all():
        out[path] = StoredFile(rid, False, size, mtime, readable, sha, at)
    for path, size, rid, at in session.exec(
        select(
            DuplicateFile.path,
            DuplicateFile.size_bytes,
            DuplicateFile.recording_id,
            DuplicateFile.found_at,
        )
    ).all():
        out[path] = StoredFile(rid, True, size, None, True, "", at)
    return out


def set_file_stamp(*, session: Session, recording_id: int, size_bytes: int, mtime_ns: int) -> None:
    """Record the size and modification time a stored file has now (its content is the same)."""
    session.execute(
        sa.update(Recording)
        .where(col(Recording.id) == recording_id)
        .values(size_bytes=size_bytes, mtime_ns=mtime_ns)
    )


def drop_results(*, session: Session, recording_id: int) -> None:
    """Delete every score, event, review, queue entry and duplicate of a recording (and
    recompute the sums of its night)."""
    _drop_results(session, recording_id)
    refresh_recordings(session=session, recording_ids=[recording_id])


def _drop_results(session: Session, recording_id: int) -> None:
    detections = select(Detection.id).where(Detection.recording_id == recording_id)
    session.execute(delete(Review).where(col(Review.detection_id).in_(detections)))
    for table in (Detection, WindowScore, DetectionRun, DuplicateFile):
        session.execute(delete(table).where(table.recording_id == recording_id))  # type: ignore[attr-defined]


def forget_file(*, session: Session, path: str, previous: StoredFile) -> None:
    """Drop what is stored under ``path`` (a duplicate row, or a recording and its results,
    recomputing the sums of the night it was on)."""
    if previous.duplicate:
        session.execute(delete(DuplicateFile).where(col(DuplicateFile.path) == path))
        return
    units = recording_units(session=session, recording_ids=[previous.recording_id])
    _drop_results(session, previous.recording_id)
    session.execute(delete(Recording).where(col(Recording.id) == previous.recording_id))
    refresh_sums(session=session, units=units)


def store_file(
    *, session: Session, recording: Recording, previous: StoredFile | None = None
) -> Recording:
    """Store a file's row; when the path held something else before, replace that.

    A recording whose content changed keeps its id: its columns are overwritten with the
    new ones and the results of the old content are dropped, so detection scores the new
    content (once per model version). A duplicate or a row that could not be read is
    replaced by the new row. The sums of the nights the file was and is on are recomputed
    (:mod:`db.activity_sums`).

    Raises
    ------
    sqlalchemy.exc.IntegrityError
        The path or content is already stored otherwise (e.g. by a concurrent ingest).
    """
    if previous is None or previous.duplicate or not previous.readable:
        if previous is not None:
            forget_file(session=session, path=recording.path, previous=previous)
            session.flush()
        session.add(recording)
        session.flush()
        assert recording.id is not None
        refresh_recordings(session=session, recording_ids=[recording.id])
        return recording
    before = recording_units(session=session, recording_ids=[previous.recording_id])
    _drop_results(session, previous.recording_id)
    stored = session.get_one(Recording, previous.recording_id)
    for name, value in recording.model_dump(exclude={"id"}).items():
        setattr(stored, name, value)
    session.add(stored)
    session.flush()
    after = recording_units(session=session, recording_ids=[previous.recording_id])
    refresh_sums(session=session, units=before | after)
    return stored
