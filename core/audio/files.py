"""Finding recordings on disk: WAV files under folders, copies still in progress, content hash.

Recorders write one WAV per recording period onto SD cards that people copy into a folder
tree; ingest scans that tree often. A file still being copied must not be read half-written,
and the same recording copied twice under another name must be recognised by content.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError

logger = logging.getLogger(__name__)

WAV_SUFFIX = ".wav"


def find_wav_files(roots: Iterable[str | Path]) -> list[Path]:
    """Every ``.wav``/``.WAV`` file under the given folders, recursively.

    Hidden files are skipped: ``._NAME.WAV`` files are macOS resource forks of a copy, not
    recordings. Sub-folders that cannot be read are logged and skipped.

    Parameters
    ----------
    roots
        Folders to scan; nested or repeated roots are fine.

    Returns
    -------
    list[Path]
        Absolute, resolved paths, sorted, each once.

    Raises
    ------
    ConfigError
        A root does not exist or is not a folder (e.g. a drive that is not mounted).
    """
    found: set[Path] = set()
    for root in roots:
        root = Path(root).expanduser()
        if not root.is_dir():
            raise ConfigError(
                f"{root}: audio folder not found or not a folder; check the path "
                "(is the drive mounted?) or RANAWATCH_AUDIO_ROOTS"
            )

        def _report(error: OSError) -> None:
            logger.warning("cannot read %s: %s; skipping it", error.filename, error.strerror)

        for folder, subfolders, names in os.walk(root, onerror=_report, followlinks=False):
            subfolders[:] = [d for d in subfolders if not d.startswith(".")]
            for name in names:
                if name.lower().endswith(WAV_SUFFIX) and not name.startswith("."):
                    found.add((Path(folder) / name).resolve())
    return sorted(found)


@dataclass(frozen=True)
class Settled:
    """Files split by whether they changed between two looks."""

    stable: list[Path]
    changing: list[Path]
    vanished: list[Path]


def _look(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns


def wait_until_settled(
    paths: Iterable[Path], settle_s: float, *, sleep: Callable[[float], None] = time.sleep
) -> Settled:
    """Look at every file twice, ``settle_s`` seconds apart; files that changed are copying.

    Parameters
    ----------
    paths
        Files to check.
    settle_s
        Seconds between the two looks (0: one look each, nothing counts as changing).
    sleep
        Waits between the looks (a fake in tests).

    Returns
    -------
    Settled
        ``stable``: same size and modification time both times; ``changing``: still being
        written (pick them up next time); ``vanished``: gone before the second look.
    """
    paths = list(paths)
    first = {path: _look(path) for path in paths}
    if settle_s > 0 and paths:
        sleep(settle_s)
    stable, changing, vanished = [], [], []
    for path in paths:
        second = _look(path) if settle_s > 0 else first[path]
        if first[path] is None or second is None:
            vanished.append(path)
        elif first[path] == second:
            stable.append(path)
        else:
            changing.append(path)
    return Settled(stable=stable, changing=changing, vanished=vanished)


def sha256_of(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in a stream (hex digest).

    Raises
    ------
    OSError
        The file cannot be read.
    """
    with Path(path).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
