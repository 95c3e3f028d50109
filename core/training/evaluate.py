"""Honest evaluation of a trained model on a labelled datafile (the test split, or any set).

Scores every clip with the model card's front end (the detector's own) and reports, in one
JSON-ready dict (:func:`evaluate_scores`):

- per clip: accuracy, and per label AP and ROC AUC on every point, precision, recall, F1 and
  the true/false positive/negative counts at the card's threshold; the confusion matrix of
  the highest-scoring label against the true one;
- presence per recording and per site-night (:mod:`core.training.presence`), per site;
- per positive label a threshold sweep over every distinct score, the best-F1 and the
  high-precision operating points, false positives and review minutes per night
  (:mod:`core.training.sweep`), with the assumptions stated;
- every clip's scores, so the report can be drawn again and false positives listed.

:mod:`core.training.report` writes it as JSON, Markdown and figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from core.errors import CheckpointError, DatasetError
from core.model.ast import ASTModel, build_model
from core.model.card import ModelCard, load_model_card
from core.model.checkpoint import read_checkpoint, verify_sha256
from core.model.detector import resolve_device
from core.training.config import EvaluationConfig
from core.training.data import ClipDataset, targets_of
from core.training.datafile import label_mid, read_datafile
from core.training.metrics import clip_metrics, confusion, grouped_metrics, pr_curve
from core.training.presence import night_key, presence, recording_key
from core.training.scoring import predict
from core.training.sweep import operating_points, point_at, threshold_sweep

RUN_CARD, RUN_CHECKPOINT = "model.yaml", "model.pth"


def assumptions(cfg: EvaluationConfig, site_nights: int) -> list[str]:
    """The assumptions behind the per-night figures and operating points, in words."""
    review = cfg.review_s_per_detection
    return [
        f"review time: {review:g} s per detection (listen, look at the spectrogram, decide); "
        f"review minutes per night = detections (or false positives) per night x {review:g} s "
        "/ 60",
        (
            f"per night: counts divided by the {site_nights} site-nights the set covers; a "
            "labelled set holds a sample of a night's windows, so a full night of recordings "
            "has more to review"
            if site_nights
            else "per night: the set names no nights (entries without `night`), so the "
            "per-night figures are left out"
        ),
        f"high-precision point: the highest recall whose precision is at least "
        f"{cfg.target_precision:g}; best-F1 point: the highest F1 (ties: the higher "
        "threshold)",
        "a clip is called positive for a label when its score reaches the threshold; a "
        "recording or site-night when any of its clips is (its score: the highest clip's)",
        "confusion matrix: the highest-scoring label (argmax) against the true label",
    ]


def evaluate_scores(
    entries: Sequence[dict],
    targets: np.ndarray,
    scores: np.ndarray,
    card: ModelCard,
    config: EvaluationConfig | None = None,
) -> dict:
    """The evaluation report of given clip scores (see the module docstring).

    Parameters
    ----------
    entries
        Datafile entries (``wav``, and ``recording``, ``site``, ``night``, ``start_s`` when
        known), one per clip.
    targets, scores
        ``(clips, labels)`` 0/1 targets and sigmoid scores, columns in ``card.labels`` order.
    card
        The model card: labels, positive labels, thresholds.
    config
        Operating-point target and review time; defaults when ``None``.
    """
    cfg = config or EvaluationConfig()
    targets, scores = np.asarray(targets, dtype=float), np.asarray(scores, dtype=float)
    labels, positives = list(card.labels), list(card.positive_labels or card.labels)
    thresholds = {label: card.decision.threshold_for(label) for label in labels}
    kw = {"positive_labels": positives, "threshold": thresholds}
    rec_keys, rec_t, rec_s = presence(entries, targets, scores, recording_key)
    night_keys, night_t, night_s = presence(entries, targets, scores, night_key)
    nights = len(night_keys) or None
    review_s = cfg.review_s_per_detection
    sweeps, points, curves = {}, {}, {}
    for i, label in enumerate(labels):
        y = targets[:, i] >= 0.5
        if label not in positives or not y.any():
            continue
        curves[label] = pr_curve(y, scores[:, i])
        sweeps[label] = threshold_sweep(y, scores[:, i], nights=nights, review_s=review_s)
        at = point_at(y, scores[:, i], thresholds[label], nights=nights, review_s=review_s)
        points[label] = {"at_threshold": at} | operating_points(sweeps[label], cfg.target_precision)
    return {
        "model": {
            "name": card.name,
            "version": card.version,
            "sha256": card.checkpoint_sha256,
            "labels": labels,
            "positive_labels": positives,
            "rule": card.decision.rule,
        },
        "settings": {
            "thresholds": thresholds,
            "target_precision": cfg.target_precision,
            "review_s_per_detection": review_s,
            "report_thresholds": list(cfg.report_thresholds),
            "assumptions": assumptions(cfg, len(night_keys)),
        },
        "counts": {
            "clips": len(entries),
            "recordings": len(rec_keys),
            "sites": len({e.get("site") for e in entries if e.get("site")}),
            "site_nights": len(night_keys),
            "clips_without_night": sum(night_key(e) is None for e in entries),
        },
        "clips": clip_metrics(targets, scores, labels, **kw),
        "confusion": confusion(targets, scores, labels),
        "recordings": clip_metrics(rec_t, rec_s, labels, **kw) if rec_keys else None,
        "nights": clip_metrics(night_t, night_s, labels, **kw) if night_keys else None,
        "per_site": grouped_metrics(
            targets, scores, [e.get("site") for e in entries], labels, **kw
        ),
        "pr_curves": curves,
        "sweeps": sweeps,
        "operating_points": points,
        "scores": [
            {
                "wav": e["wav"],
                "recording": recording_key(e),
                "site": e.get("site"),
                "night": e.get("night"),
                "start_s": e.get("start_s"),
                "labels": [label for label, hit in zip(labels, t >= 0.5, strict=True) if hit],
                "scores": [round(float(v), 6) for v in s],
            }
            for e, t, s in zip(entries, targets, scores, strict=True)
        ],
    }


def evaluate_model(
    model: ASTModel,
    card: ModelCard,
    datafile: str | Path,
    *,
    config: EvaluationConfig | None = None,
    device: str = "cpu",
    batch_size: int = 8,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Score a datafile's clips with ``model`` and evaluate them (:func:`evaluate_scores`).

    ``progress(clips_done, clips_total)`` is called while scoring.

    Raises
    ------
    DatasetError
        The datafile cannot be read or names a label the card lacks.
    """
    entries = read_datafile(datafile)
    try:
        targets = targets_of(entries, [label_mid(label) for label in card.labels])
    except DatasetError as exc:
        raise DatasetError(
            f"{datafile}: {exc}; model {card.name} {card.version} has the labels {card.labels}"
        ) from exc
    torch_device = resolve_device(device)
    dataset = ClipDataset(entries, targets, card.frontend, model.cfg.input_tdim)
    scores = predict(
        model.to(torch_device),
        dataset,
        batch_size=batch_size,
        device=torch_device,
        progress=progress,
    )
    report = evaluate_scores(entries, targets.numpy(), scores, card, config)
    return {"datafile": str(Path(datafile).resolve())} | report


def evaluate_checkpoint(
    card: ModelCard,
    checkpoint: str | Path,
    datafile: str | Path,
    *,
    config: EvaluationConfig | None = None,
    device: str = "cpu",
    batch_size: int = 8,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Load a checkpoint with its card and evaluate it on a datafile (:func:`evaluate_model`).

    Raises
    ------
    CheckpointError
        The checkpoint cannot be read, does not fit the card, or is not the file the card
        pins by SHA-256.
    DatasetError
        The datafile cannot be read or names a label the card lacks.
    """
    ckpt = read_checkpoint(checkpoint)
    verify_sha256(ckpt, card.checkpoint_sha256, card=f"model card {card.name} {card.version}")
    model = build_model(card.model, ckpt, labels=card.labels)
    return evaluate_model(
        model,
        card,
        datafile,
        config=config,
        device=device,
        batch_size=batch_size,
        progress=progress,
    )


def load_run(run_dir: str | Path) -> tuple[ModelCard, Path]:
    """The model card and checkpoint of a training run folder (``model.yaml``, ``model.pth``).

    Raises
    ------
    CheckpointError
        The folder lacks ``model.yaml`` or ``model.pth``.
    ConfigError
        ``model.yaml`` is not a valid model card.
    """
    folder = Path(run_dir)
    card, checkpoint = folder / RUN_CARD, folder / RUN_CHECKPOINT
    missing = [p.name for p in (card, checkpoint) if not p.is_file()]
    if missing:
        raise CheckpointError(
            f"{folder}: not a training run folder (no {' or '.join(missing)}); give the folder "
            "`ranawatch train run` wrote, or a model card and checkpoint"
        )
    return load_model_card(card), checkpoint
