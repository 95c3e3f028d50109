"""What a file's header says, as a ``recordings`` row.

Ingest reads a WAV file's header (:func:`core.audio.io.read_info`) and its recorder
metadata (:func:`core.metadata.recording.read_metadata`); :func:`build_recording` maps both
onto the columns of :class:`db.models.Recording`. Nothing is stored here: the caller adds
the row in its own transaction (:func:`db.crud.add_recording`).
"""

from __future__ import annotations

from pathlib import Path

from core.audio.io import AudioInfo
from core.metadata.recording import RecordingMetadata
from db.models import Recording, RecordingStatus

# Header facts copied one to one into columns of the same name.
_AUDIO_COLUMNS = ("duration_s", "samplerate_hz", "channels", "sample_format", "frames")
_METADATA_COLUMNS = (
    "recorded_at",
    "utc_offset",
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

    Returns
    -------
    Recording
        Not yet added to any session; ``device_id`` and ``site_id`` are left to the caller.
    """
    recording = Recording(path=str(path), size_bytes=size_bytes, sha256=sha256)
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
        extra = {name: getattr(metadata, name) for name in _EXTRA_METADATA}
        recording.recorder_metadata = {k: v for k, v in extra.items() if v} | {
            "recorder": metadata.recorder,
            "device_id": metadata.device_id,
            "guano": dict(metadata.guano),
        }
    return recording
