"""Finding recordings on disk: audio files under folders, paths shown safely, content hash.

Recorders write one file per recording period onto SD cards that people copy into a folder
tree; ingest scans that tree often, and ``ranawatch inspect`` lists the same files
(:func:`find_audio_files` is the one discovery both use). The same recording copied twice
under another name is recognised by content (:func:`sha256_of`); a file still being copied
is told apart in :mod:`core.audio.settling`.

Only regular files are ever opened: a named pipe called ``x.wav`` would block a reader
forever and a link to ``/dev/zero`` never ends. Links are followed only when they point
inside one of the audio folders; everything left out for a reason is returned as
:class:`Skipped`, so that nothing is passed over without a word.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ConfigError, NotRegularFileError

logger = logging.getLogger(__name__)

#: Suffixes of the files RanaWatch reads (compared lower-case).
AUDIO_SUFFIXES = (".wav", ".flac")
#: Audio formats recorders or tools produce that RanaWatch does not read, with their names.
UNSUPPORTED_SUFFIXES = {
    ".mp3": "MP3",
    ".m4a": "AAC (M4A)",
    ".aac": "AAC",
    ".ogg": "Ogg",
    ".opus": "Opus",
    ".wma": "WMA",
    ".aif": "AIFF",
    ".aiff": "AIFF",
    ".amr": "AMR",
    ".3gp": "3GP",
    ".wv": "WavPack",
}


@dataclass(frozen=True)
class Skipped:
    """A path left out, and why (in words that say what to do)."""

    path: str
    reason: str


@dataclass(frozen=True)
class Discovery:
    """What a scan of the audio folders found."""

    files: list[Path]
    skipped: list[Skipped] = field(default_factory=list)


def display_path(path: str | Path) -> str:
    """``path`` as text that can be printed and stored anywhere (UTF-8 without surrogates).

    A file name that is not valid UTF-8 (copied from an old Windows card, say) is kept in
    Python as lone surrogates, which no database or JSON encoder accepts; its undecodable
    bytes are shown as ``\\xe9`` escapes instead.
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def has_utf8_name(path: str | Path) -> bool:
    """Whether ``path`` is valid UTF-8 text (can be stored and shown as it is)."""
    return display_path(path) == os.fspath(path)


def is_audio_name(name: str) -> bool:
    """Whether a file name has a suffix RanaWatch reads and is not hidden.

    Hidden files are left out: ``._NAME.WAV`` files are macOS resource forks of a copy,
    not recordings.
    """
    return not name.startswith(".") and name.lower().endswith(AUDIO_SUFFIXES)


def find_audio_files(roots: Iterable[str | Path]) -> Discovery:
    """Every readable audio file (``*.wav``, ``*.flac``, any case) under the folders.

    Hidden files and folders are passed over. Reported in :attr:`Discovery.skipped`:
    files of formats RanaWatch does not read (MP3, ...), anything that is not a regular
    file (named pipes, devices, sockets), links that loop, are broken or point outside
    the folders, links to folders (never followed) and sub-folders that cannot be read.
    A link to a file inside the folders counts as that file.

    Parameters
    ----------
    roots
        Folders to scan; nested or repeated roots are fine.

    Returns
    -------
    Discovery
        ``files``: paths under the roots as given (absolute roots give absolute paths;
        a followed link gives its resolved target), sorted, each once.

    Raises
    ------
    ConfigError
        A root does not exist or is not a folder (e.g. a drive that is not mounted).
    """
    given = []
    for root in roots:
        root = Path(root).expanduser()
        if not root.is_dir():
            raise ConfigError(
                f"{display_path(root)}: audio folder not found or not a folder; check the "
                "path (is the drive mounted?) or RANAWATCH_AUDIO_ROOTS"
            )
        given.append(root)
    resolved = [root.resolve() for root in given]
    found: set[Path] = set()
    skipped: dict[str, Skipped] = {}
    for root in given:
        for entry in _walk(root, resolved):
            if isinstance(entry, Skipped):
                skipped.setdefault(entry.path, entry)
            else:
                found.add(entry)
    return Discovery(files=sorted(found), skipped=sorted(skipped.values(), key=lambda s: s.path))


def _walk(root: Path, roots: list[Path]) -> Iterable[Path | Skipped]:
    errors: list[OSError] = []
    for folder, subfolders, names in os.walk(root, onerror=errors.append, followlinks=False):
        here = Path(folder)
        kept = []
        for name in subfolders:
            if name.startswith("."):
                continue
            if (here / name).is_symlink():
                yield Skipped(
                    display_path(here / name),
                    "a link to a folder: not followed (add the folder it points to "
                    "to the audio folders to scan it)",
                )
                continue
            kept.append(name)
        subfolders[:] = kept
        for name in names:
            if name.startswith("."):
                continue
            suffix = os.path.splitext(name)[1].lower()
            if suffix in UNSUPPORTED_SUFFIXES:
                yield Skipped(
                    display_path(here / name),
                    f"unsupported format ({UNSUPPORTED_SUFFIXES[suffix]}): not read; "
                    "convert it to WAV or FLAC to analyse it",
                )
            elif suffix in AUDIO_SUFFIXES:
                yield check_candidate(here / name, roots)
    for error in errors:
        yield Skipped(
            display_path(error.filename or root),
            f"folder cannot be read ({error.strerror}): its files are not scanned",
        )


def check_candidate(path: Path, roots: Iterable[Path]) -> Path | Skipped:
    """The file to read for ``path``, or why it must not be read.

    A regular file is itself; a link is followed when it ends at a regular file inside
    one of ``roots`` (resolved folders). Nothing is opened.
    """
    try:
        info = os.lstat(path)
    except OSError as exc:
        return Skipped(display_path(path), f"cannot be looked at ({exc.strerror})")
    if stat.S_ISLNK(info.st_mode):
        try:
            target = path.resolve(strict=True)
        except (RuntimeError, OSError) as exc:
            # Python 3.11/3.12 raise RuntimeError for a loop, 3.13 OSError(ELOOP).
            if not isinstance(exc, OSError) or exc.errno == errno.ELOOP:
                return Skipped(display_path(path), "a link that loops back on itself: not read")
            if isinstance(exc, FileNotFoundError):
                return Skipped(display_path(path), "a broken link (its target is gone)")
            return Skipped(display_path(path), f"a link that cannot be followed ({exc.strerror})")
        if not any(target.is_relative_to(root) for root in roots):
            return Skipped(
                display_path(path),
                f"a link to {display_path(target)}, outside the audio folders: not read",
            )
        try:
            info = os.stat(target)
        except OSError as exc:
            return Skipped(display_path(path), f"cannot be looked at ({exc.strerror})")
        path = target
    if not stat.S_ISREG(info.st_mode):
        return Skipped(display_path(path), f"{file_kind(info.st_mode)}, not a file: not read")
    return path


def special_file_reason(path: str | Path) -> str | None:
    """Why ``path`` (links followed) must not be opened as a file, or ``None`` when it may.

    For paths named by a user (``ranawatch inspect x.wav``): a named pipe, device, socket
    or folder would block or fail a reader. A path that cannot be looked at is left to the
    reader's own error.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return f"{display_path(path)}: {file_kind(mode)}, not a file: not read"


def file_kind(mode: int) -> str:
    """What a ``st_mode`` is, in words (``"a named pipe"``, ``"a device"``, ...)."""
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a special file"


def sha256_of(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in a stream (hex digest).

    The file is opened without blocking and checked to be a regular file before a byte
    is read, so a named pipe or a device never hangs the caller.

    Raises
    ------
    NotRegularFileError
        The path is a named pipe, a device, a socket or a folder.
    OSError
        The file cannot be opened or read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(
                display_path(path), f"{file_kind(mode)}, not a file", "only files are read"
            )
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    finally:
        os.close(fd)
