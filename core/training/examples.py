"""What a data set is cut from: labelled stretches of recordings, from folders or tables.

An :class:`Example` is a recording (or a stretch of it) with a label, and what groups it
(recording, site, night) for the split. Sources, combinable:

* :func:`examples_from_folders` -- a folder per label (``root/<label>/**/*.wav``): each file
  is cut whole into consecutive clips;
* :func:`examples_from_table` -- a CSV (``file,start_s,end_s,label[,site]``) or a Raven
  selection table (``Begin Time (s)``, ``End Time (s)``, ``Begin File``/``Begin Path`` or the
  table's own sound file, and a ``Label``/``Annotation``/``Species`` column): one clip per row;
* stored reviews (``db/training.py`` in the flow) give the same :class:`Example` objects.
"""

from __future__ import annotations

import csv
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from core.audio.files import is_audio_name
from core.errors import DatasetError
from core.metadata.recording import time_from_filename

logger = logging.getLogger(__name__)

_RAVEN_SUFFIX = ".Table.1.selections.txt"
_FILE_COLUMNS = ("file", "path", "wav", "Begin Path", "Begin File", "File")
_START_COLUMNS = ("start_s", "start", "begin", "Begin Time (s)")
_END_COLUMNS = ("end_s", "end", "End Time (s)")
_LABEL_COLUMNS = ("label", "Label", "Annotation", "Species", "species", "class")
_SITE_COLUMNS = ("site", "Site")
# A night runs from noon to noon, local time: a chorus past midnight stays in one night.
_NIGHT_SHIFT = timedelta(hours=12)


@dataclass(frozen=True)
class Example:
    """A labelled recording or stretch of one.

    ``start_s``/``end_s`` ``None``: the whole file, cut into consecutive clips. ``recording``
    is the group key of the split (the resolved path unless given, e.g. a SHA-256).
    ``recorded_at`` is the aware UTC start of the recording and ``utc_offset_min`` the
    recorder's local offset, for the night; ``source`` says where the example came from
    (``folder``, ``table``, ``confirmed``, ``rejected``, ``random-negative``).
    """

    path: Path
    label: str
    start_s: float | None = None
    end_s: float | None = None
    recording: str = ""
    site: str | None = None
    recorded_at: datetime | None = None
    utc_offset_min: int | None = None
    source: str = "folder"

    def __post_init__(self) -> None:
        if not self.recording:
            object.__setattr__(self, "recording", str(Path(self.path).resolve()))
        if (self.start_s is None) != (self.end_s is None):
            raise ValueError(f"{self.path}: give both start_s and end_s, or neither")
        if self.start_s is not None and self.end_s < self.start_s:
            raise ValueError(f"{self.path}: end_s={self.end_s} is before start_s={self.start_s}")

    def night(self, at_s: float = 0.0) -> date | None:
        """The local night (the date it began) of second ``at_s`` of the recording."""
        stamp = self.recorded_at or time_from_filename(Path(self.path).name)
        if stamp is None:
            return None
        local = stamp + timedelta(minutes=self.utc_offset_min or 0, seconds=at_s)
        return (local - _NIGHT_SHIFT).date()


def examples_from_folders(root: str | Path, *, site: str | None = None) -> list[Example]:
    """One whole-file example per audio file of ``root/<label>/`` (any depth), sorted.

    Raises
    ------
    DatasetError
        ``root`` is not a folder, or holds no label folder with audio.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder (give a folder with one sub-folder per label)")
    examples = [
        Example(path=path, label=folder.name, site=site)
        for folder in sorted(p for p in root.iterdir() if p.is_dir())
        for path in sorted(folder.rglob("*"))
        if path.is_file() and is_audio_name(path.name)
    ]
    if not examples:
        raise DatasetError(f"{root}: no audio files in label folders ({root}/<label>/*.wav)")
    return examples


def examples_from_table(path: str | Path, *, audio_root: str | Path | None = None) -> list[Example]:
    """Examples from a CSV or Raven selection table, one per row.

    Parameters
    ----------
    path
        A ``.csv`` (comma) or a Raven ``.txt`` (tab) table.
    audio_root
        Where relative file names point (default: the table's folder). A Raven table
        without a file column names its sound file ``<stem>.Table.1.selections.txt``.

    Raises
    ------
    DatasetError
        The table cannot be read, lacks a column, or has a bad row (named by line).
    """
    path = Path(path)
    base = Path(audio_root) if audio_root is not None else path.parent
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read the table: {exc}") from exc
    first_line = text.splitlines()[0] if text.strip() else ""
    delimiter = "\t" if "\t" in first_line else ","
    rows = list(csv.DictReader(text.splitlines(), delimiter=delimiter))
    if not rows:
        raise DatasetError(f"{path}: the table has no rows")
    columns = list(rows[0])
    start_col, end_col = (
        _column(path, columns, _START_COLUMNS),
        _column(path, columns, _END_COLUMNS),
    )
    label_col = _column(path, columns, _LABEL_COLUMNS)
    file_col = next((c for c in _FILE_COLUMNS if c in columns), None)
    site_col = next((c for c in _SITE_COLUMNS if c in columns), None)
    default_file = _raven_sound_file(path) if file_col is None else None
    if file_col is None and default_file is None:
        raise DatasetError(
            f"{path}: no file column ({', '.join(_FILE_COLUMNS)}) and no sound file named "
            f"like the table (<stem>{_RAVEN_SUFFIX})"
        )
    examples = []
    for line, row in enumerate(rows, start=2):
        try:
            audio = Path(row[file_col]) if file_col else default_file
            audio = audio if audio.is_absolute() else base / audio
            label = (row[label_col] or "").strip()
            if not label:
                raise ValueError("empty label")
            examples.append(
                Example(
                    path=audio,
                    label=label,
                    start_s=float(row[start_col]),
                    end_s=float(row[end_col]),
                    site=(row[site_col] or None) if site_col else None,
                    source="table",
                )
            )
        except (TypeError, ValueError) as exc:
            raise DatasetError(f"{path}, line {line}: {exc}") from exc
    return examples


def _column(path: Path, columns: list[str], names: Iterable[str]) -> str:
    names = tuple(names)
    found = next((c for c in names if c in columns), None)
    if found is None:
        raise DatasetError(f"{path}: no column named any of {', '.join(names)} (has {columns})")
    return found


def _raven_sound_file(table: Path) -> Path | None:
    if not table.name.endswith(_RAVEN_SUFFIX):
        return None
    stem = table.name[: -len(_RAVEN_SUFFIX)]
    for candidate in sorted(table.parent.glob(f"{stem}.*")):
        if is_audio_name(candidate.name):
            return candidate
    return None


def relabel(examples: Iterable[Example], mapping: dict[str, str]) -> list[Example]:
    """The examples with labels renamed by ``mapping`` (others unchanged)."""
    return [replace(e, label=mapping.get(e.label, e.label)) for e in examples]


@dataclass(frozen=True)
class NegativeRecording:
    """A recording known to hold no call (detection said Negative), to draw windows from."""

    path: Path
    duration_s: float
    recording: str = ""
    site: str | None = None
    recorded_at: datetime | None = None
    utc_offset_min: int | None = None


def draw_negative_windows(
    recordings: Iterable[NegativeRecording],
    count: int,
    *,
    clip_s: float,
    label: str,
    seed: int = 0,
) -> list[Example]:
    """``count`` random windows of ``clip_s`` from negative recordings, weighted by duration.

    Seeded; recordings shorter than a clip give a window over their whole length.
    """
    pool = [r for r in recordings if r.duration_s > 0]
    if not pool or count <= 0:
        return []
    rng = random.Random(seed)
    weights = [r.duration_s for r in pool]
    out = []
    for rec in rng.choices(pool, weights=weights, k=count):
        start = rng.uniform(0.0, max(0.0, rec.duration_s - clip_s))
        out.append(
            Example(
                path=rec.path,
                label=label,
                start_s=round(start, 3),
                end_s=round(min(rec.duration_s, start + clip_s), 3),
                recording=rec.recording,
                site=rec.site,
                recorded_at=rec.recorded_at,
                utc_offset_min=rec.utc_offset_min,
                source="random-negative",
            )
        )
    return out
