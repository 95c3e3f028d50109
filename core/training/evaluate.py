"""Honest evaluation of a trained model on a held-out datafile (the test split).

Scores every clip with the model card's front end (the detector's own), then reports AP and
ROC AUC on every point, precision/recall/F1 at the card's decision threshold, per label,
per site and per recording-level presence (a recording is positive for a label when any of
its clips is; its score is the highest clip score).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from core.model.ast import ASTModel, build_model
from core.model.card import ModelCard
from core.model.checkpoint import read_checkpoint
from core.model.detector import resolve_device
from core.training.data import ClipDataset, targets_of
from core.training.dataset import label_mid, read_datafile
from core.training.metrics import clip_metrics, grouped_metrics, pr_curve
from core.training.trainer import predict


def evaluate_scores(
    entries: list[dict], targets: np.ndarray, scores: np.ndarray, card: ModelCard
) -> dict:
    """Metrics of given clip scores (see the module docstring)."""
    labels, positives = card.labels, card.positive_labels or card.labels
    threshold = card.decision.default_threshold
    kw = {"positive_labels": positives, "threshold": threshold}
    per_recording_t, per_recording_s = defaultdict(list), defaultdict(list)
    for entry, t, s in zip(entries, targets, scores, strict=True):
        per_recording_t[entry.get("recording") or entry["wav"]].append(t)
        per_recording_s[entry.get("recording") or entry["wav"]].append(s)
    rec_t = np.array([np.max(v, axis=0) for v in per_recording_t.values()])
    rec_s = np.array([np.max(per_recording_s[k], axis=0) for k in per_recording_t])
    return {
        "model": {"name": card.name, "version": card.version, "sha256": card.checkpoint_sha256},
        "clips": clip_metrics(targets, scores, labels, **kw),
        "recordings": clip_metrics(rec_t, rec_s, labels, **kw) if len(rec_t) else None,
        "per_site": grouped_metrics(
            targets, scores, [e.get("site") for e in entries], labels, **kw
        ),
        "pr_curves": {
            label: pr_curve(targets[:, i] >= 0.5, scores[:, i])
            for i, label in enumerate(labels)
            if label in positives and (targets[:, i] >= 0.5).any()
        },
    }


def evaluate_model(
    model: ASTModel,
    card: ModelCard,
    datafile: str | Path,
    *,
    device: str = "cpu",
    batch_size: int = 8,
) -> dict:
    """Score a datafile's clips with ``model`` and evaluate them.

    Raises
    ------
    DatasetError
        The datafile cannot be read or names a label the card lacks.
    """
    entries = read_datafile(datafile)
    targets = targets_of(entries, [label_mid(label) for label in card.labels])
    torch_device = resolve_device(device)
    dataset = ClipDataset(entries, targets, card.frontend, model.cfg.input_tdim)
    scores = predict(model.to(torch_device), dataset, batch_size=batch_size, device=torch_device)
    return evaluate_scores(entries, targets.numpy(), scores, card)


def evaluate_checkpoint(
    card: ModelCard,
    checkpoint: str | Path,
    datafile: str | Path,
    *,
    device: str = "cpu",
    batch_size: int = 8,
) -> dict:
    """Load a checkpoint with its card and evaluate it on a datafile (:func:`evaluate_model`).

    Raises
    ------
    CheckpointError
        The checkpoint cannot be read or does not fit the card.
    """
    model = build_model(card.model, read_checkpoint(checkpoint), labels=card.labels)
    return evaluate_model(model, card, datafile, device=device, batch_size=batch_size)
