"""Flow ``ingest-recordings``: new WAV files in the audio folders become recordings.

For every WAV file under the roots that the database does not know yet: skip it while it is
still being copied (its size or time changed between two looks), hash it, count a copy of a
stored recording once (remembering its second path), read its header and recorder metadata,
attach device and site, and store it. A file that cannot be read is stored as ``failed`` with
the reason and the run carries on: nothing is lost and nothing is stored twice, however
often the flow runs.

Run it directly: ``python -m flows.ingest`` (folders from ``RANAWATCH_AUDIO_ROOTS``), or
``ranawatch ingest FOLDER... [--site NAME]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.events import emit_event
from prefect.runtime import flow_run

from core.audio.files import Settled, find_wav_files, sha256_of, wait_until_settled
from core.audio.io import AudioInfo, read_info
from core.errors import AudioError, ConfigError, MetadataError
from core.metadata.recording import RecordingMetadata, read_metadata
from core.settings import get_settings
from db import crud
from db.models import Recording
from db.recordings import build_recording
from db.session import get_engine, session_scope
from db.sites import SiteResolver, load_sites_file, store_sites_file
from flows.runlog import run_log
from flows.schedules import INGESTED_EVENT
from flows.tasks import db_task, io_task

FLOW_NAME = "ingest-recordings"


@dataclass(frozen=True)
class Unreadable:
    """A file that cannot be read: an expected outcome, not a failed task."""

    reason: str


@db_task(name="store-sites-file")
def store_sites(database_url: str, sites_file: str) -> None:
    """Write the sites file's sites, devices and deployments to the database."""
    parsed = load_sites_file(sites_file)
    with session_scope(get_engine(database_url), immediate=True) as session:
        store_sites_file(session=session, sites_file=parsed)


@io_task(name="find-new-files")
def find_new_files(roots: list[str], database_url: str) -> tuple[list[Path], set[Path]]:
    """WAV files under ``roots`` to ingest, and which of them replace an unreadable file.

    New files are those neither stored nor known as duplicates. A file stored as unreadable
    whose size has changed since (the user copied it again from the card, as the error
    message advised) is read again.
    """
    with session_scope(get_engine(database_url)) as session:
        known = crud.known_paths(session=session)
        unreadable = crud.unreadable_sizes(session=session)
    new: list[Path] = []
    replaced: set[Path] = set()
    for path in find_wav_files(roots):
        key = str(path)
        if key not in known:
            new.append(path)
        elif key in unreadable and _size_or_none(path) not in (None, unreadable[key]):
            new.append(path)
            replaced.add(path)
    return new, replaced


def _size_or_none(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


@db_task(name="forget-unreadable", task_run_name="forget failed {path.name}")
def forget_unreadable(database_url: str, path: Path) -> None:
    """Drop the failed row of a file that changed, so that it is stored afresh."""
    with session_scope(get_engine(database_url), immediate=True) as session:
        crud.forget_unreadable(session=session, path=str(path))


@task(name="wait-for-copies", cache_policy=NONE)
def wait_for_copies(paths: list[Path], settle_s: float) -> Settled:
    """Split files into settled ones and ones still being copied."""
    return wait_until_settled(paths, settle_s)


@io_task(name="hash-file", task_run_name="hash {path.name}")
def hash_file(path: Path) -> str:
    """SHA-256 of the file's content."""
    return sha256_of(path)


@db_task(name="find-stored-copy")
def find_stored_copy(database_url: str, sha256: str) -> int | None:
    """Id of the recording with this content, if one is stored."""
    with session_scope(get_engine(database_url)) as session:
        recording = crud.get_recording_by_sha256(session=session, sha256=sha256)
        return recording.id if recording else None


@db_task(name="store-duplicate")
def store_duplicate(database_url: str, path: Path, size_bytes: int, recording_id: int) -> None:
    """Remember a second path of a stored recording."""
    with session_scope(get_engine(database_url), immediate=True) as session:
        crud.add_duplicate(
            session=session, path=str(path), size_bytes=size_bytes, recording_id=recording_id
        )


@io_task(name="read-audio-info", task_run_name="read header {path.name}")
def read_audio_info(path: Path) -> AudioInfo | Unreadable:
    """Sample rate, channels and duration from the WAV header, or why it cannot be read."""
    try:
        return read_info(path)
    except AudioError as exc:
        return Unreadable(str(exc))


@io_task(name="read-recorder-metadata", task_run_name="read metadata {path.name}")
def read_recorder_metadata(path: Path) -> RecordingMetadata | Unreadable:
    """Recorder, serial, time, temperature, battery, gain and GUANO, or why they are not."""
    try:
        return read_metadata(path)
    except (AudioError, MetadataError) as exc:
        return Unreadable(str(exc))


@db_task(name="store-recording", task_run_name="store {recording.path}")
def store_recording(
    database_url: str,
    recording: Recording,
    metadata: RecordingMetadata | None,
    resolver: SiteResolver,
) -> str:
    """Store one recording with its device and site; returns ``stored`` or ``already-known``."""
    with session_scope(get_engine(database_url), immediate=True) as session:
        if metadata is not None and metadata.device_id:
            device = crud.get_or_create_device(
                session=session, serial=metadata.device_id, recorder=metadata.recorder
            )
            recording.device_id = device.id
        match = resolver.resolve(
            session=session,
            path=recording.path,
            device_id=recording.device_id,
            serial=metadata.device_id if metadata else None,
            recorded_at=recording.recorded_at,
            latitude=recording.latitude,
            longitude=recording.longitude,
        )
        recording.site_id = match.site_id if match else None
        try:
            with session.begin_nested():
                crud.add_recording(session=session, recording=recording)
        except sa.exc.IntegrityError:
            # Another ingest run stored this path or this content a moment ago.
            return "already-known"
    return "stored"


@flow(name=FLOW_NAME)
def ingest_recordings(
    roots: list[str] | None = None,
    site: str | None = None,
    sites_file: str | None = None,
    database_url: str | None = None,
    settle_s: float = 2.0,
) -> dict[str, int]:
    """Store the new WAV files found under ``roots``.

    Parameters
    ----------
    roots
        Folders to scan recursively; default ``RANAWATCH_AUDIO_ROOTS``.
    site
        Put every new recording at this site (created when new), whatever the sites file
        says.
    sites_file
        YAML file of sites, device deployments and folder rules (see :mod:`db.sites`);
        default ``RANAWATCH_SITES_FILE``.
    database_url
        Default: the configured database.
    settle_s
        Seconds between the two looks that tell a finished file from one still being
        copied.

    Returns
    -------
    dict[str, int]
        Counts: ``found`` (new files seen), ``stored``, ``failed`` (stored with the reason),
        ``duplicates``, ``still_copying``, ``vanished``, ``already_known``.

    Raises
    ------
    ConfigError
        No roots, a root that does not exist, an invalid sites file, or a database not at
        the current schema.
    """
    settings = get_settings()
    logger = get_run_logger()
    url = database_url or settings.resolved_database_url
    roots = roots or [str(root) for root in settings.audio_roots]
    if not roots:
        raise ConfigError("no audio folders to scan: pass them or set RANAWATCH_AUDIO_ROOTS")
    sites_path = sites_file or (str(settings.sites_file) if settings.sites_file else None)
    failures: list[tuple[str, str]] = []
    with run_log(url, FLOW_NAME) as run:
        counts = run.counts
        if sites_path:
            store_sites(url, sites_path)
        resolver = SiteResolver(load_sites_file(sites_path) if sites_path else None, site)
        candidates, replaced = find_new_files(roots, url)
        settled = wait_for_copies(candidates, settle_s)
        counts.update(found=len(candidates), still_copying=len(settled.changing))
        counts.update(vanished=len(settled.vanished))
        for path in settled.changing:
            logger.info("%s is still being copied; it will be taken next time", path)
        logger.info("%d new WAV files under %s", len(candidates), ", ".join(roots))
        for n, path in enumerate(settled.stable, 1):
            if path in replaced:
                logger.info("%s changed since it could not be read: reading it again", path)
                forget_unreadable(url, path)
                counts["read_again"] += 1
            outcome, error = _ingest_one(url, path, resolver)
            counts[outcome] += 1
            if error:
                failures.append((str(path), error))
            if n % 50 == 0:
                logger.info("ingested %d of %d files", n, len(settled.stable))
        summary = {key: counts.get(key, 0) for key in _COUNT_KEYS}
        run.finish(summary, message=_one_line(summary))
    create_markdown_artifact(
        _markdown(summary, failures, settled.changing),
        key="ingest-summary",
        description="Files found, stored, failed and skipped by this ingest run",
    )
    logger.info("ingest finished: %s", _one_line(summary))
    if summary["stored"]:
        # Starts the detect deployment's trigger (see flows/schedules.py).
        emit_event(
            event=INGESTED_EVENT,
            resource={
                "prefect.resource.id": f"ranawatch.ingest.{flow_run.get_id()}",
                "prefect.resource.name": FLOW_NAME,
            },
            payload=summary,
        )
    return summary


_COUNT_KEYS = (
    "found",
    "stored",
    "failed",
    "duplicates",
    "still_copying",
    "vanished",
    "already_known",
    "read_again",
)


def _ingest_one(url: str, path: Path, resolver: SiteResolver) -> tuple[str, str | None]:
    """Ingest one settled file; returns the outcome and, for failures, the reason."""
    logger = get_run_logger()
    try:
        size_bytes = path.stat().st_size
        sha256 = hash_file(path)
    except FileNotFoundError:
        return "vanished", None
    stored_id = find_stored_copy(url, sha256)
    if stored_id is not None:
        logger.info("%s has the same content as recording %d: counted once", path, stored_id)
        store_duplicate(url, path, size_bytes, stored_id)
        return "duplicates", None
    info = read_audio_info(path)
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
    )
    if isinstance(metadata, Unreadable) and not error:
        logger.warning("recorder metadata unreadable, audio kept: %s", metadata.reason)
        recording.recorder_metadata = {"error": metadata.reason}
    metadata = metadata if isinstance(metadata, RecordingMetadata) else None
    if store_recording(url, recording, metadata, resolver) == "already-known":
        return "already_known", None
    return ("failed", error) if error else ("stored", None)


def _one_line(summary: dict[str, int]) -> str:
    return ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in summary.items())


def _markdown(
    summary: dict[str, int], failures: list[tuple[str, str]], changing: list[Path]
) -> str:
    lines = ["# Ingest summary", "", "| | files |", "|---|---:|"]
    lines += [f"| {key.replace('_', ' ')} | {value} |" for key, value in summary.items()]
    if failures:
        lines += ["", "## Files that could not be read", "", "| file | reason |", "|---|---|"]
        lines += [f"| `{p}` | {reason.replace('|', '/')} |" for p, reason in failures[:200]]
        if len(failures) > 200:
            lines.append(f"| ... | {len(failures) - 200} more |")
    if changing:
        lines += ["", "## Still being copied (taken next run)", ""]
        lines += [f"- `{p}`" for p in changing[:200]]
    return "\n".join(lines)


if __name__ == "__main__":
    # Folders, sites and database from the settings; `ranawatch ingest` takes options.
    ingest_recordings()
