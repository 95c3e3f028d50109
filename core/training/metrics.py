"""Clip-level metrics on every point: average precision, ROC AUC, precision/recall at a threshold,
and the confusion matrix of the highest-scoring label.

The original recipe kept only every 1000th point of its precision-recall curve, so a small
validation set (a few hundred clips) was summarised by one or two points and printed
"AP 0.5". Here AP and ROC AUC are scikit-learn's ``average_precision_score`` and
``roc_auc_score`` on all scores, and :func:`pr_curve` returns every point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score


def pr_curve(y_true: np.ndarray, scores: np.ndarray) -> dict[str, list[float]]:
    """Every point of the precision-recall curve of one label (no sampling)."""
    precision, recall, thresholds = precision_recall_curve(y_true, scores)
    return {
        "precision": precision.tolist(),
        "recall": recall.tolist(),
        "thresholds": thresholds.tolist(),
    }


def label_metrics(
    y_true: np.ndarray, scores: np.ndarray, threshold: float
) -> dict[str, float | int | None]:
    """AP, ROC AUC and precision/recall/F1 at ``threshold`` of one label.

    Parameters
    ----------
    y_true
        0/1 per clip (soft targets are rounded).
    scores
        Sigmoid scores per clip.
    threshold
        Decision threshold: a clip is called positive when its score reaches it.

    Returns
    -------
    dict
        Counts of clips (``positives``, ``clips``, and at the threshold ``true_positives``,
        ``false_positives``, ``false_negatives``, ``true_negatives``), ``precision``,
        ``recall``, ``f1`` (``None`` when undefined), ``average_precision`` and ``roc_auc``:
        ``average_precision`` and ``roc_auc`` are ``None`` when the label has no positive
        (or, for AUC, no negative) clip: undefined, never a made-up 0.5.
    """
    y = (np.asarray(y_true) >= 0.5).astype(int)
    s = np.asarray(scores, dtype=float)
    called = s >= threshold
    tp = int((called & (y == 1)).sum())
    fp = int((called & (y == 0)).sum())
    fn = int((~called & (y == 1)).sum())
    tn = int((~called & (y == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall
        else None
    )
    positives = int(y.sum())
    return {
        "positives": positives,
        "clips": len(y),
        "average_precision": float(average_precision_score(y, s)) if positives else None,
        "roc_auc": float(roc_auc_score(y, s)) if 0 < positives < len(y) else None,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "true_negatives": tn,
    }


def clip_metrics(
    targets: np.ndarray,
    scores: np.ndarray,
    labels: Sequence[str],
    *,
    positive_labels: Sequence[str] | None = None,
    threshold: float | Mapping[str, float] = 0.5,
) -> dict:
    """Per-label metrics and their means over the positive labels, plus argmax accuracy.

    Parameters
    ----------
    targets
        ``(clips, labels)`` 0/1 (or soft) targets.
    scores
        ``(clips, labels)`` sigmoid scores.
    labels
        Label names, in column order.
    positive_labels
        Labels the means are taken over (default: all).
    threshold
        Decision threshold of :func:`label_metrics`: one for all labels, or one per label
        (labels it lacks use 0.5).
    """
    targets, scores = np.asarray(targets, dtype=float), np.asarray(scores, dtype=float)

    def threshold_of(label: str) -> float:
        return threshold.get(label, 0.5) if isinstance(threshold, Mapping) else threshold

    per_label = {
        label: label_metrics(targets[:, i], scores[:, i], threshold_of(label))
        for i, label in enumerate(labels)
    }
    chosen = list(positive_labels or labels)

    def mean(key: str) -> float | None:
        values = [per_label[label][key] for label in chosen if per_label[label][key] is not None]
        return float(np.mean(values)) if values else None

    accuracy = float((targets.argmax(1) == scores.argmax(1)).mean()) if len(targets) else None
    return {
        "clips": int(len(targets)),
        "average_precision": mean("average_precision"),
        "roc_auc": mean("roc_auc"),
        "precision": mean("precision"),
        "recall": mean("recall"),
        "f1": mean("f1"),
        "accuracy": accuracy,
        "threshold": dict(threshold) if isinstance(threshold, Mapping) else threshold,
        "per_label": per_label,
    }


def grouped_metrics(
    targets: np.ndarray,
    scores: np.ndarray,
    groups: Sequence[str | None],
    labels: Sequence[str],
    *,
    positive_labels: Sequence[str] | None = None,
    threshold: float | Mapping[str, float] = 0.5,
) -> dict[str, dict]:
    """:func:`clip_metrics` per group (e.g. per site); clips without a group go to ``"-"``."""
    names = np.array([g or "-" for g in groups])
    return {
        name: clip_metrics(
            np.asarray(targets)[names == name],
            np.asarray(scores)[names == name],
            labels,
            positive_labels=positive_labels,
            threshold=threshold,
        )
        for name in sorted(set(names))
    }


def confusion(targets: np.ndarray, scores: np.ndarray, labels: Sequence[str]) -> dict:
    """Confusion matrix of the highest-scoring label against the true label.

    Parameters
    ----------
    targets
        ``(clips, labels)`` 0/1 targets; a clip's true label is its highest target (the first
        of several, in label order).
    scores
        ``(clips, labels)`` scores; the predicted label is the highest score (the original
        argmax rule).
    labels
        Label names, in column order.

    Returns
    -------
    dict
        ``labels`` and ``matrix``: ``matrix[i][j]`` clips of true label ``i`` predicted as
        ``j`` (rows true, columns predicted, as ``sklearn.metrics.confusion_matrix``).
    """
    n = len(labels)
    matrix = np.zeros((n, n), dtype=int)
    if len(targets):
        np.add.at(matrix, (np.asarray(targets).argmax(1), np.asarray(scores).argmax(1)), 1)
    return {"labels": list(labels), "matrix": matrix.tolist()}
