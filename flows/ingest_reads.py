"""The tasks of ``ingest-recordings`` that read one file: header, recorder metadata, hash.

Whatever a file holds, these tasks return: a file that cannot be read gives
:class:`Unreadable` with the reason to store (a failed task would print a traceback for
what is only a damaged file or one without permission, and be retried for nothing).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from prefect.runtime import task_run

from core.audio.files import display_path, sha256_of
from core.audio.io import AudioInfo, read_info
from core.errors import NotRegularFileError, RanaWatchError
from core.metadata.plausibility import check_samplerate
from core.metadata.recording import RecordingMetadata, read_metadata
from core.settings import get_settings
from flows.tasks import io_task


@dataclass(frozen=True)
class Unreadable:
    """A file that cannot be read: an expected outcome, not a failed task."""

    reason: str


def _run_name(verb: str):
    # Task-run names go to the Prefect API as UTF-8: never a raw undecodable file name.
    def name() -> str:
        return f"{verb} {display_path(Path(task_run.parameters['path']).name)}"

    return name


@io_task(name="read-audio-info", task_run_name=_run_name("read header"))
def read_audio_info(path: Path) -> AudioInfo | Unreadable:
    """Sample rate, channels and duration from the header (checked plausible), or why not."""
    settings = get_settings()
    try:
        with warnings.catch_warnings():
            # core.audio.io logs a truncation itself; the Python warning would repeat it.
            warnings.simplefilter("ignore")
            info = read_info(path)
        check_samplerate(
            display_path(path),
            info.samplerate_hz,
            min_hz=settings.min_samplerate_hz,
            max_hz=settings.max_samplerate_hz,
        )
        return info
    except Exception as exc:  # noqa: BLE001 - any failure of one file is that file's outcome
        return Unreadable(failure_reason(path, exc))


@io_task(name="read-recorder-metadata", task_run_name=_run_name("read metadata"))
def read_recorder_metadata(path: Path) -> RecordingMetadata | Unreadable:
    """Recorder, serial, time, temperature, battery, gain and GUANO, or why they are not.

    A time written without a zone (GUANO ``Timestamp`` is local by its spec) is placed in
    ``RANAWATCH_RECORDER_TIME_ZONE`` when set, else stored without a UTC time (zone unknown).
    """
    try:
        return read_metadata(path, default_tz=get_settings().recorder_time_zone)
    except Exception as exc:  # noqa: BLE001 - as above
        return Unreadable(failure_reason(path, exc))


@io_task(name="hash-file", task_run_name=_run_name("hash"))
def hash_file(path: Path) -> str | Unreadable | None:
    """SHA-256 of the file's content (regular files only); why not; ``None``: it is gone.

    A file that cannot be read is an outcome, not a failed task (which would print a
    traceback for what is only a file without permission).
    """
    try:
        return sha256_of(path)
    except FileNotFoundError:
        return None
    except (OSError, NotRegularFileError) as exc:
        return Unreadable(failure_reason(path, exc))


def failure_reason(path: Path, exc: BaseException) -> str:
    """The stored reason of a failure: RanaWatch's own messages name the file already."""
    if isinstance(exc, RanaWatchError):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{display_path(path)}: cannot be read ({exc.strerror})"
    return f"{display_path(path)}: {type(exc).__name__}: {exc}"
