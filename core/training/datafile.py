"""The files a data set is read through: ``labels.csv`` and the AST datafiles.

A datafile is the original AST format, ``{"data": [{"wav": ..., "labels": ...}]}``: absolute
``wav`` paths and ``labels`` a comma-separated list of the ``mid`` of ``labels.csv``
(``index,mid,display_name``, as AudioSet's ``class_labels_indices.csv``), so the original
recipe consumes them too. RanaWatch's entries also carry ``recording``, ``site``, ``night``,
``start_s`` and ``source`` (evaluation groups clips by them).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from core.errors import DatasetError
from core.training.splits import Clip

_SLUG = re.compile(r"[^a-z0-9]+")


def label_mid(label: str) -> str:
    """The ``mid`` of a label in ``labels.csv`` and the datafiles (``Rana draytonii`` ->
    ``rana_draytonii``): no commas, so the original code can split a list of them."""
    return _SLUG.sub("_", label.lower()).strip("_") or "label"


def labels_csv_for(datafile: Path) -> Path:
    """The ``labels.csv`` beside a datafile (as ``prepare_dataset`` writes it)."""
    return Path(datafile).parent / "labels.csv"


def write_labels_csv(path: Path, labels: Sequence[str]) -> Path:
    """``labels.csv`` as AudioSet's ``class_labels_indices.csv``: ``index,mid,display_name``."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["index", "mid", "display_name"])
        writer.writerows((i, label_mid(label), label) for i, label in enumerate(labels))
    return path


def read_labels_csv(path: str | Path) -> list[tuple[str, str]]:
    """``(mid, display_name)`` of each label of a ``labels.csv``, by index.

    Raises
    ------
    DatasetError
        The file is missing or lacks the ``index,mid,display_name`` columns.
    """
    try:
        with Path(path).open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read labels.csv: {exc.strerror or exc}") from exc
    if not rows or not {"index", "mid", "display_name"} <= set(rows[0]):
        raise DatasetError(f"{path}: labels.csv needs the columns index,mid,display_name")
    rows.sort(key=lambda row: int(row["index"]))
    return [(row["mid"], row["display_name"]) for row in rows]


def write_datafile(path: Path, clips: Iterable[Clip]) -> Path:
    """A datafile of the original AST format, with the clip's groups beside ``wav``/``labels``."""
    data = [
        {
            "wav": clip.wav,
            "labels": label_mid(clip.label),
            "recording": clip.recording,
            "site": clip.site,
            "night": clip.night,
            "start_s": clip.start_s,
            "source": clip.source,
        }
        for clip in clips
    ]
    path.write_text(json.dumps({"data": data}, indent=1), encoding="utf-8")
    return path


def read_datafile(path: str | Path) -> list[dict]:
    """The entries of a datafile (``wav`` made absolute against the datafile's folder).

    Raises
    ------
    DatasetError
        The file cannot be read or is not ``{"data": [{"wav": ..., "labels": ...}]}``.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
        entries = [dict(e) for e in data]
        for entry in entries:
            entry["wav"] = str((path.parent / entry["wav"]).resolve())
            str(entry["labels"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(
            f"{path}: not a datafile of the form "
            f'{{"data": [{{"wav": ..., "labels": ...}}]}} ({exc})'
        ) from exc
    return entries
