"""Prepare a training data set: cut 10-second clips, split by recording, write AST datafiles.

:func:`prepare_dataset` takes :class:`~core.training.examples.Example` objects (a folder per
label, CSV or Raven tables, stored reviews) and writes under ``out_dir``::

    clips/<label>/<recording>_<hash>_<start ms>.wav   16 kHz mono PCM-16 clips
    labels.csv                                         index,mid,display_name (AudioSet form)
    train.json, validation.json, test.json             {"data": [{"wav": ..., "labels": ...}]}
    clips.csv                                          every clip, its split and its groups
    summary.json                                       clips per label per split, recordings, sites
    dataset.yaml                                       the DatasetConfig used

The datafiles are the original AST format (absolute ``wav`` paths, ``labels`` a
comma-separated list of ``mid`` of ``labels.csv``), so the original recipe consumes them too;
each entry also carries ``recording``, ``site``, ``night``, ``start_s`` and ``source``.
A clip is band-passed (optional, zero-phase, at the recording's rate), resampled with the
front end's resampler and written; a last piece shorter than ``clip_s`` is kept as is (the
front end pads its fbank as it does at inference).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import soundfile
import torch

from core.audio.io import load_audio, read_info
from core.errors import DatasetError, RanaWatchError
from core.model.resampler import resample
from core.training.bandpass import bandpass
from core.training.config import DatasetConfig, save_config
from core.training.examples import Example
from core.training.splits import SPLITS, Clip, check_no_leak, split_clips

logger = logging.getLogger(__name__)

_FILTER_MARGIN_S = 0.5  # extra audio each side, so the band-pass settles outside the clip
_SLUG = re.compile(r"[^a-z0-9]+")


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


def label_mid(label: str) -> str:
    """The ``mid`` of a label in ``labels.csv`` and the datafiles (``Rana draytonii`` ->
    ``rana_draytonii``): no commas, so the original code can split a list of them."""
    return _SLUG.sub("_", label.lower()).strip("_") or "label"


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


def clip_starts(
    example: Example, duration_s: float, cfg: DatasetConfig, rng: np.random.Generator
) -> list[float]:
    """Where the clips of one example start, in seconds of its recording.

    A whole file: every ``clip_s`` while at least ``min_clip_s`` remains (at most
    ``max_clips_per_file``). An event: centred on it, moved by ``offset_s`` and a uniform
    jitter of up to ``jitter_s``, kept inside the recording.
    """
    if example.start_s is None:
        starts, start = [], 0.0
        while start + max(cfg.min_clip_s, 1e-9) <= duration_s + 1e-9:
            starts.append(start)
            start += cfg.clip_s
        return starts[: cfg.max_clips_per_file]
    centre = (example.start_s + example.end_s) / 2
    jitter = float(rng.uniform(-cfg.jitter_s, cfg.jitter_s)) if cfg.jitter_s else 0.0
    start = centre - cfg.clip_s / 2 + cfg.offset_s + jitter
    return [float(min(max(0.0, start), max(0.0, duration_s - cfg.clip_s)))]


def read_clip(path: Path, start_s: float, cfg: DatasetConfig) -> np.ndarray:
    """``clip_s`` seconds from ``start_s``: mono, band-passed (optional), at ``cfg`` rate.

    Raises
    ------
    AudioError
        The file cannot be read.
    ConfigError
        The band-pass does not fit the file's sample rate.
    """
    info = read_info(path)
    margin = _FILTER_MARGIN_S if cfg.bandpass else 0.0
    first = max(0.0, start_s - margin)
    samples = load_audio(path, first, cfg.clip_s + (start_s - first) + margin, mono=True)
    if cfg.bandpass:
        samples = bandpass(samples, info.samplerate_hz, cfg.bandpass)
    out = resample(
        torch.from_numpy(np.ascontiguousarray(samples)), info.samplerate_hz, cfg.samplerate_hz
    )
    lead = round((start_s - first) * cfg.samplerate_hz)
    return out[lead : lead + round(cfg.clip_s * cfg.samplerate_hz)].numpy()


def cut_example(
    example: Example, cfg: DatasetConfig, clips_dir: Path, rng: np.random.Generator
) -> list[Clip]:
    """Cut and write the clips of one example.

    Raises
    ------
    AudioError
        The recording cannot be read.
    ValueError
        The event lies past the end of the recording.
    """
    info = read_info(example.path)
    if example.start_s is not None and example.start_s > info.duration_s:
        raise ValueError(
            f"{example.path}: event at {example.start_s:g} s is past the end "
            f"({info.duration_s:.1f} s)"
        )
    folder = clips_dir / label_mid(example.label)
    folder.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha1(example.recording.encode()).hexdigest()[:8]
    clips = []
    for start_s in clip_starts(example, info.duration_s, cfg, rng):
        samples = np.clip(read_clip(example.path, start_s, cfg), -1.0, 1.0)
        wav = folder / f"{Path(example.path).stem}_{tag}_{round(start_s * 1000):08d}.wav"
        soundfile.write(wav, samples, cfg.samplerate_hz, subtype="PCM_16")
        night = example.night(start_s)
        clips.append(
            Clip(
                wav=str(wav.resolve()),
                label=example.label,
                recording=example.recording,
                site=example.site,
                night=night.isoformat() if night else None,
                start_s=round(start_s, 3),
                duration_s=round(len(samples) / cfg.samplerate_hz, 3),
                source=example.source,
                source_path=str(example.path),
            )
        )
    return clips


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
