"""Copies in progress: a file still being written must not be read half-written.

A recorder's card is copied into the audio folders while ingest may be scanning them. A file
whose size or modification time changes between two looks ``settle_s`` apart is still being
copied and is left for a later run (:func:`wait_until_settled`); the look of a settled file
(size, modification time) is what ingest stores to notice a later change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settled:
    """Files split by whether they changed between two looks.

    ``looks`` holds, for each stable file, its size in bytes and modification time in ns.
    """

    stable: list[Path]
    changing: list[Path]
    vanished: list[Path]
    looks: dict[Path, tuple[int, int]] = field(default_factory=dict)


def look(path: Path) -> tuple[int, int] | None:
    """Size in bytes and modification time (ns) of a file; ``None`` when it is gone."""
    try:
        info = path.stat()
    except OSError:  # gone, or no longer reachable: taken again on a later run
        return None
    return info.st_size, info.st_mtime_ns


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
    first = {path: look(path) for path in paths}
    if settle_s > 0 and paths:
        sleep(settle_s)
    stable, changing, vanished, looks = [], [], [], {}
    for path in paths:
        second = look(path) if settle_s > 0 else first[path]
        if first[path] is None or second is None:
            vanished.append(path)
        elif first[path] == second:
            stable.append(path)
            looks[path] = second
        else:
            changing.append(path)
    return Settled(stable=stable, changing=changing, vanished=vanished, looks=looks)
