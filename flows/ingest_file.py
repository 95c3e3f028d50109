"""The tasks of ``ingest-recordings`` for one file: from a settled file to its row.

:func:`ingest_file` takes one settled file to exactly one outcome: a stored recording, a row
``failed`` with the reason, a second path of a stored recording, or "not yet" (a copy still
in progress, a file that vanished). Whatever a file holds, no exception leaves it: an
unexpected one becomes the ``failed`` row's reason, so one file can never stop a run. The
reading tasks (header, metadata, hash) are in :mod:`flows.ingest_reads`; the tasks here
write the file's rows.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from prefect import get_run_logger

from core.audio.files import display_path, has_utf8_name
from core.audio.io import AudioInfo
from core.metadata.recording import RecordingMetadata
from core.settings import get_settings
from db import crud
from db.models import Recording
from db.recordings import (
    StoredFile,
    build_recording,
    placeholder_sha256,
    set_file_stamp,
    store_file,
)
from db.recordings import forget_file as forget_stored_file
from db.session import get_engine, session_scope
from db.site_resolver import SiteResolver
from flows.ingest_reads import (
    Unreadable,
    failure_reason,
    hash_file,
    read_audio_info,
    read_recorder_metadata,
)
from flows.tasks import db_task


@dataclass(frozen=True)
class Outcome:
    """What became of one file: a count key (``stored``, ``failed``, ...) and the reason."""

    key: str
    reason: str | None = None


@db_task(name="find-stored-copy")
def find_stored_copy(database_url: str, sha256: str) -> int | None:
    """Id of the recording with this content, if one is stored."""
    with session_scope(get_engine(database_url)) as session:
        recording = crud.get_recording_by_sha256(session=session, sha256=sha256)
        return recording.id if recording else None


@db_task(name="store-duplicate")
def store_duplicate(
    database_url: str,
    path: Path,
    size_bytes: int,
    recording_id: int,
    previous: StoredFile | None,
) -> str:
    """Remember a second path of a stored recording (dropping what the path held before)."""
    key = display_path(path)
    with session_scope(get_engine(database_url), immediate=True) as session:
        if previous is not None:
            forget_stored_file(session=session, path=key, previous=previous)
        try:
            with session.begin_nested():
                crud.add_duplicate(
                    session=session, path=key, size_bytes=size_bytes, recording_id=recording_id
                )
        except sa.exc.IntegrityError:
            return "already_known"
    return "duplicates"


@db_task(name="stamp-file")
def stamp_file(database_url: str, recording_id: int, size_bytes: int, mtime_ns: int) -> None:
    """Remember a stored file's new size and time (its content did not change)."""
    with session_scope(get_engine(database_url), immediate=True) as session:
        set_file_stamp(
            session=session, recording_id=recording_id, size_bytes=size_bytes, mtime_ns=mtime_ns
        )


@db_task(name="store-recording", task_run_name="store recording")
def store_recording(
    database_url: str,
    recording: Recording,
    metadata: RecordingMetadata | None,
    resolver: SiteResolver,
    previous: StoredFile | None = None,
) -> str:
    """Store one recording with its device and site; ``stored`` or ``already_known``."""
    with session_scope(get_engine(database_url), immediate=True) as session:
        if metadata is not None and metadata.device_serial:
            device = crud.get_or_create_device(
                session=session, serial=metadata.device_serial, recorder=metadata.recorder
            )
            recording.device_id = device.id
        match = resolver.resolve(
            session=session,
            path=recording.path,
            device_id=recording.device_id,
            serial=metadata.device_serial if metadata else None,
            # A clock that was never set would pick the wrong deployment.
            recorded_at=None if recording.clock_issue else recording.recorded_at,
            latitude=recording.latitude,
            longitude=recording.longitude,
        )
        recording.site_id = match.site_id if match else None
        try:
            with session.begin_nested():
                store_file(session=session, recording=recording, previous=previous)
        except sa.exc.IntegrityError:
            # Another ingest run stored this path or this content a moment ago.
            return "already_known"
    return "stored"


def ingest_file(
    url: str,
    path: Path,
    look: tuple[int, int],
    resolver: SiteResolver,
    previous: StoredFile | None,
) -> Outcome:
    """Take one settled file to its outcome; never raises for anything the file holds.

    Parameters
    ----------
    url
        The database.
    path
        The file (a regular file when it was found).
    look
        Its size (bytes) and modification time (ns) at the settle check.
    resolver
        Finds the site of a new recording.
    previous
        What the database held under this path before (the file changed since), or
        ``None`` for a new path.
    """
    logger = get_run_logger()
    try:
        return _ingest(url, path, look, resolver, previous)
    except FileNotFoundError:
        return Outcome("vanished")
    except Exception as exc:  # noqa: BLE001 - one file never stops the run
        reason = failure_reason(path, exc)
        logger.warning("cannot ingest %s", reason)
        return _store_failed_row(url, path, look, resolver, previous, reason)


def _ingest(
    url: str,
    path: Path,
    look: tuple[int, int],
    resolver: SiteResolver,
    previous: StoredFile | None,
) -> Outcome:
    logger = get_run_logger()
    size_bytes, mtime_ns = look
    if not has_utf8_name(path):
        reason = (
            f"{display_path(path)}: the file name is not valid UTF-8 text (copied from an "
            "older system?); rename the file to read it"
        )
        return _store_failed_row(url, path, look, resolver, previous, reason)
    info = read_audio_info(path)
    if isinstance(info, AudioInfo) and info.truncated and _recent(mtime_ns):
        # The header promises more audio than is there yet: a copy that paused.
        return Outcome("still_copying")
    sha256 = hash_file(path)
    if sha256 is None:
        return Outcome("vanished")
    if isinstance(sha256, Unreadable):
        logger.warning("cannot read %s: stored as failed", sha256.reason)
        return _store_failed_row(url, path, look, resolver, previous, sha256.reason)
    if previous is not None and not previous.duplicate and sha256 == previous.sha256:
        stamp_file(url, previous.recording_id, size_bytes, mtime_ns)
        return Outcome("unchanged")
    stored_id = find_stored_copy(url, sha256)
    if stored_id is not None and (previous is None or stored_id != previous.recording_id):
        logger.info(
            "%s has the same content as recording %d: counted once", display_path(path), stored_id
        )
        return Outcome(store_duplicate(url, path, size_bytes, stored_id, previous))
    # Metadata is read even when the audio is not: which recorder wrote a broken file, and
    # when, is what the field team needs to know.
    metadata = read_recorder_metadata(path)
    error = info.reason if isinstance(info, Unreadable) else None
    if error:
        logger.warning("cannot read %s: stored as failed", error)
    recording = build_recording(
        path,
        size_bytes,
        sha256,
        info if isinstance(info, AudioInfo) else None,
        metadata if isinstance(metadata, RecordingMetadata) else None,
        error,
        mtime_ns=mtime_ns,
    )
    if isinstance(metadata, Unreadable) and not error:
        logger.warning("recorder metadata unreadable, audio kept: %s", metadata.reason)
        recording.recorder_metadata = {"error": metadata.reason}
    metadata = metadata if isinstance(metadata, RecordingMetadata) else None
    if store_recording(url, recording, metadata, resolver, previous) == "already_known":
        return Outcome("already_known")
    return Outcome("failed", error) if error else Outcome("stored")


def _store_failed_row(
    url: str,
    path: Path,
    look: tuple[int, int],
    resolver: SiteResolver,
    previous: StoredFile | None,
    reason: str,
) -> Outcome:
    """Store a ``failed`` row for a file that could not even be hashed or named.

    A stored recording is left as it is: what is known of its old content stays until the
    file can be read again (it is tried on every run until then).
    """
    if previous is not None and previous.readable and not previous.duplicate:
        return Outcome("failed", reason)
    recording = build_recording(
        path, look[0], placeholder_sha256(path), None, None, reason, mtime_ns=look[1]
    )
    try:
        store_recording(url, recording, None, resolver, previous)
    except Exception as exc:  # noqa: BLE001 - the database refused even that: say so, go on
        logging.getLogger(__name__).error(
            "%s could not be stored as failed either: %s", display_path(path), exc
        )
        return Outcome("errors", reason)
    return Outcome("failed", reason)


def _recent(mtime_ns: int) -> bool:
    return time.time() - mtime_ns / 1e9 < get_settings().copy_timeout_s
