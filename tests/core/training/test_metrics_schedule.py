"""Metrics on every PR point (equal to scikit-learn) and warm-up sized as a share of the run."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

from core.training.config import ScheduleConfig, TrainConfig
from core.training.metrics import clip_metrics, label_metrics, pr_curve
from core.training.schedule import lr_factor, warmup_steps


def _sampled_ap(y: np.ndarray, s: np.ndarray, every: int = 1000) -> float:
    # the original's shortcut: keep every 1000th point of the PR curve, integrate those
    precision, recall, _ = precision_recall_curve(y, s)
    p, r = precision[::every], recall[::every]
    return float(-np.sum(np.diff(r) * p[:-1])) if len(p) > 1 else float(p[0] * 0 + 0.5)


def test_small_validation_set_ap_uses_every_point() -> None:
    rng = np.random.default_rng(0)
    y = np.array([1] * 20 + [0] * 40)
    s = np.concatenate([rng.uniform(0.4, 1.0, 20), rng.uniform(0.0, 0.7, 40)])
    ours = label_metrics(y, s, 0.5)
    assert ours["average_precision"] == pytest.approx(average_precision_score(y, s))
    assert ours["roc_auc"] == pytest.approx(roc_auc_score(y, s))
    # with 60 clips the sampled curve keeps a single point: the old figure is meaningless
    assert abs(_sampled_ap(y, s) - ours["average_precision"]) > 0.2
    curve = pr_curve(y, s)
    assert len(curve["precision"]) == len(precision_recall_curve(y, s)[0]) > 50


def test_hand_computed_ap_and_threshold_counts() -> None:
    y = np.array([1, 0, 1, 0, 1])
    s = np.array([0.9, 0.8, 0.7, 0.3, 0.2])
    m = label_metrics(y, s, 0.5)
    # ranks: P N P N P -> AP = (1/1 + 2/3 + 3/5) / 3
    assert m["average_precision"] == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)
    assert (m["true_positives"], m["false_positives"], m["false_negatives"]) == (2, 1, 1)
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)


def test_undefined_metrics_are_none_not_half() -> None:
    m = label_metrics(np.zeros(4), np.array([0.1, 0.2, 0.3, 0.4]), 0.5)
    assert m["average_precision"] is None and m["roc_auc"] is None


def test_clip_metrics_mean_over_positive_labels() -> None:
    targets = np.array([[1, 0], [0, 1], [1, 0], [0, 1]])
    scores = np.array([[0.9, 0.1], [0.6, 0.4], [0.4, 0.6], [0.2, 0.8]])
    m = clip_metrics(targets, scores, ["Frog", "Negative"], positive_labels=["Frog"])
    assert m["average_precision"] == pytest.approx(
        average_precision_score(targets[:, 0], scores[:, 0])
    )
    assert m["accuracy"] == pytest.approx(0.5)


def test_warmup_is_a_share_of_the_run_not_nine_epochs() -> None:
    # the original frog set: 449 training clips, batch 4, 10 epochs; 1,000 warm-up steps
    steps_per_epoch, epochs = -(-449 // 4), 10
    cfg = TrainConfig().schedule
    warm = warmup_steps(steps_per_epoch * epochs, cfg)
    assert warm == round(0.1 * steps_per_epoch * epochs) < 1000
    assert warm <= steps_per_epoch  # one epoch, where the original spent nine
    assert lr_factor(0, steps_per_epoch, epochs, cfg) == pytest.approx(1 / warm)
    assert lr_factor(warm, steps_per_epoch, epochs, cfg) == pytest.approx(1.0)


def test_step_decay_after_the_start_epoch() -> None:
    cfg = ScheduleConfig(
        warmup_share=0.0, decay_start_epoch=3, decay_every_epochs=2, decay_factor=0.5
    )
    factors = [lr_factor(epoch * 10, 10, 8, cfg) for epoch in range(8)]
    assert factors == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]
