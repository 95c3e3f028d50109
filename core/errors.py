"""Named errors raised by the core library.

Core raises when a file or a value cannot be used, and never hides that as ``None`` or a
log line. What can be read around a fault is read, and the fault said: audio cut short is
read up to its last whole frame with a ``TruncatedAudioWarning``; an optional recorder field
that is damaged (a number too large to be finite, an OpenSoundscape wrapper that is not
JSON) stays empty with a line in the metadata's ``notes``. Callers (flows, the CLI) catch
per file, record the reason and carry on.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


class RanaWatchError(Exception):
    """Base class of every error RanaWatch raises on purpose."""


class AudioError(RanaWatchError):
    """A recording cannot be read. Carries the file and the problem.

    Parameters
    ----------
    path
        The file that failed.
    problem
        What is wrong with it, in words a field biologist understands.
    hint
        Optional: what to do about it.
    """

    def __init__(self, path: str | Path, problem: str, hint: str | None = None) -> None:
        self.path = Path(path)
        self.problem = problem
        self.hint = hint
        message = f"{self.path}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class EmptyFileError(AudioError):
    """The file has no bytes at all, or a header with no audio."""


class NotAudioError(AudioError):
    """The file is not a RIFF/WAVE file."""


class CorruptHeaderError(AudioError):
    """The RIFF structure is malformed (missing ``fmt ``/``data``, impossible sizes)."""


class TruncatedFileError(AudioError):
    """The header promises more audio than the file holds."""


class UnsupportedFormatError(AudioError):
    """A valid WAV whose codec or sample layout RanaWatch does not decode."""


class NotRegularFileError(AudioError):
    """The path is a named pipe, a device, a socket or a folder: never opened as audio."""


class MetadataError(RanaWatchError):
    """Recorder metadata (AudioMoth comment, GUANO) cannot be interpreted."""


class CheckpointError(RanaWatchError):
    """A model checkpoint cannot be read or does not fit the model configuration."""


class ConfigError(RanaWatchError):
    """A configuration value or file is invalid."""


def describe_validation_error(exc: ValidationError, root: str = "value") -> str:
    """One line naming each invalid field of a pydantic ``ValidationError``.

    ``root`` names the whole document for errors not tied to a field, e.g.
    ``"labels: Field required; model.fstride: Input should be greater than 0"``.
    """
    return "; ".join(
        f"{'.'.join(str(part) for part in err['loc']) or root}: {err['msg']}"
        for err in exc.errors()
    )


class DatasetError(RanaWatchError):
    """A training data set cannot be built or read (bad table, no clips, a leaking split)."""


class TrainingError(RanaWatchError):
    """Training cannot start or resume (datafiles, labels or a saved state do not fit)."""
