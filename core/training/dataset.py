"""Prepare a training data set: cut 10-second clips, split by recording, write AST datafiles.

:func:`prepare_dataset` takes :class:`~core.training.examples.Example` objects (a folder per
label, CSV or Raven tables, stored reviews) and writes under ``out_dir``::

    clips/<label>/<recording>_<hash>_<start ms>.wav   16 kHz mono PCM-16 clips
    labels.csv                                         index,mid,display_name (AudioSet form)
    train.json, validation.json, test.json             {"data": [{"wav": ..., "labels": ...}]}
    clips.csv                                          every clip, its split and its groups
    summary.json                                       clips per label per split, recordings, sites
    dataset.yaml                                       the DatasetConfig used

The datafiles are the original AST format (:mod:`core.training.datafile`, which also reads
them); clips are cut by :mod:`core.training.clips`.
"""

from __future__ import annotations

import csv
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from core.errors import DatasetError, RanaWatchError
from core.training.clips import clip_starts, cut_example
from core.training.config import DatasetConfig, save_config
from core.training.datafile import (
    label_mid,
    read_datafile,
    read_labels_csv,
    write_datafile,
    write_labels_csv,
)
from core.training.examples import Example
from core.training.splits import SPLITS, Clip, check_no_leak, split_clips

# read_datafile, read_labels_csv, label_mid and clip_starts were defined here first; callers
# may still import them from this module.
__all__ = [
    "PreparedDataset",
    "clip_starts",
    "label_mid",
    "order_labels",
    "prepare_dataset",
    "read_datafile",
    "read_labels_csv",
    "summarise",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedDataset:
    """What :func:`prepare_dataset` wrote."""

    out_dir: Path
    labels: list[str]
    labels_csv: Path
    datafiles: dict[str, Path]
    summary: dict
    skipped: list[tuple[str, str]] = field(default_factory=list)
    config: DatasetConfig = field(default_factory=DatasetConfig)


def order_labels(found: Iterable[str], cfg: DatasetConfig) -> list[str]:
    """The label order: ``cfg.labels``, else the labels found sorted, negative last.

    Raises
    ------
    DatasetError
        An example's label is not among ``cfg.labels``, or two labels share a ``mid``.
    """
    found = set(found)
    if cfg.labels:
        unknown = sorted(found - set(cfg.labels))
        if unknown:
            raise DatasetError(f"labels {unknown} are not among the configured labels {cfg.labels}")
        labels = list(cfg.labels)
    else:
        labels = sorted(found - {cfg.negative_label}) + (
            [cfg.negative_label] if cfg.negative_label in found else []
        )
    mids = Counter(label_mid(label) for label in labels)
    clash = [label for label in labels if mids[label_mid(label)] > 1]
    if clash:
        raise DatasetError(f"labels {clash} have the same mid {label_mid(clash[0])!r}: rename one")
    return labels


def prepare_dataset(
    examples: Sequence[Example],
    out_dir: str | Path,
    config: DatasetConfig | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> PreparedDataset:
    """Cut, split, check and write a data set (see the module docstring for the files).

    Parameters
    ----------
    examples
        Labelled recordings or stretches (:mod:`core.training.examples`, ``db.training``).
    out_dir
        Folder to write into (created; clips of an earlier run there are overwritten).
    config
        Clip length, offsets, band-pass, split; defaults when ``None``.
    progress
        Called as ``progress(examples_done, examples_total)``.

    Returns
    -------
    PreparedDataset
        Examples that could not be cut (unreadable file, event past the end) are listed in
        ``skipped`` with the reason, and in ``summary.json``; the others are written.

    Raises
    ------
    DatasetError
        No examples, no clip could be cut, an unknown label, or a leaking split.
    """
    cfg = config or DatasetConfig()
    if not examples:
        raise DatasetError("no examples to build a data set from (give folders, tables or reviews)")
    out = Path(out_dir)
    clips_dir = out / "clips"
    clips_dir.mkdir(parents=True, exist_ok=True)
    labels = order_labels((e.label for e in examples), cfg)
    rng = np.random.default_rng(cfg.seed)
    clips: list[Clip] = []
    skipped: list[tuple[str, str]] = []
    for done, example in enumerate(examples, start=1):
        try:
            clips.extend(cut_example(example, cfg, clips_dir, rng))
        except (RanaWatchError, ValueError) as exc:  # one bad file never stops the set
            logger.warning("skipped %s: %s", example.path, exc)
            skipped.append((str(example.path), str(exc)))
        if progress:
            progress(done, len(examples))
    if not clips:
        raise DatasetError(f"no clip could be cut from {len(examples)} examples: {skipped[:3]}")
    splits = split_clips(clips, cfg.split)
    check_no_leak(splits, cfg.split.group_by)
    labels_csv = write_labels_csv(out / "labels.csv", labels)
    datafiles = {s: write_datafile(out / f"{s}.json", splits[s]) for s in SPLITS}
    _write_clips_csv(out / "clips.csv", splits)
    summary = summarise(splits, labels) | {"skipped": [list(s) for s in skipped]}
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    save_config(cfg, out / "dataset.yaml")
    logger.info("data set in %s: %s", out, summary["clips"])
    return PreparedDataset(out, labels, labels_csv, datafiles, summary, skipped, cfg)


def summarise(splits: dict[str, list[Clip]], labels: Sequence[str]) -> dict:
    """Clips per label per split, recordings, sites and nights per split."""
    return {
        "labels": list(labels),
        "clips": {
            s: {label: sum(c.label == label for c in clips) for label in labels}
            for s, clips in splits.items()
        },
        "recordings": {s: len({c.recording for c in clips}) for s, clips in splits.items()},
        "sites": {s: sorted({c.site for c in clips if c.site}) for s, clips in splits.items()},
        "nights": {s: len({c.night for c in clips if c.night}) for s, clips in splits.items()},
        "sources": {s: dict(Counter(c.source for c in clips)) for s, clips in splits.items()},
    }


def _write_clips_csv(path: Path, splits: dict[str, list[Clip]]) -> None:
    names = ["split", *Clip.__dataclass_fields__]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=names)
        writer.writeheader()
        for split, clips in splits.items():
            writer.writerows({"split": split, **asdict(clip)} for clip in clips)
