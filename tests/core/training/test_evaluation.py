"""Evaluation numbers against brute force and scikit-learn, on fixed and hand-made sets."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from sklearn.metrics import confusion_matrix, precision_recall_curve

from core.training.config import EvaluationConfig
from core.training.evaluate import evaluate_scores
from core.training.metrics import clip_metrics, confusion
from core.training.presence import night_key, presence
from core.training.sweep import operating_points, point_at, threshold_sweep
from tests.model_factory import THREE_LABELS, tiny_card


def _fixed_set(n: int = 300, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    # scores rounded to 2 decimals: many ties, as a real model's scores have
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    raw = np.where(y == 1, rng.normal(0.65, 0.2, n), rng.normal(0.3, 0.2, n))
    s = np.round(np.clip(raw, 0, 1), 2)
    return y, s


def _brute(y: np.ndarray, s: np.ndarray, t: float) -> dict:
    called = s >= t
    tp, fp = int(np.sum(called & (y == 1))), int(np.sum(called & (y == 0)))
    precision = tp / (tp + fp)
    recall = tp / int(y.sum())
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "precision": precision, "recall": recall, "f1": f1}


def test_sweep_equals_brute_force_and_sklearn() -> None:
    y, s = _fixed_set()
    sweep = threshold_sweep(y, s, nights=12, review_s=10.0)
    precision, recall, thresholds = precision_recall_curve(y, s)
    np.testing.assert_allclose(sweep["threshold"], thresholds)
    np.testing.assert_allclose(sweep["precision"], precision[:-1])
    np.testing.assert_allclose(sweep["recall"], recall[:-1])
    assert len(sweep["threshold"]) == len(np.unique(s))
    for i, t in enumerate(sweep["threshold"]):
        b = _brute(y, s, t)
        assert (sweep["true_positives"][i], sweep["false_positives"][i]) == (b["tp"], b["fp"])
        assert sweep["f1"][i] == pytest.approx(b["f1"])
        assert sweep["false_positives_per_night"][i] == pytest.approx(b["fp"] / 12)
        assert sweep["review_min_per_night"][i] == pytest.approx((b["tp"] + b["fp"]) / 12 / 6)


@pytest.mark.parametrize("target", [0.9, 0.75])
def test_operating_points_equal_brute_force(target: float) -> None:
    y, s = _fixed_set()
    sweep = threshold_sweep(y, s, nights=None, review_s=10.0)
    points = operating_points(sweep, target)
    candidates = sorted(set(s.tolist()), reverse=True)  # ties go to the higher threshold
    rows = [(t, _brute(y, s, t)) for t in candidates]
    best_t, best = max(rows, key=lambda r: r[1]["f1"])
    assert points["best_f1"]["threshold"] == best_t
    assert points["best_f1"]["f1"] == pytest.approx(best["f1"])
    # the same best F1 from scikit-learn's curve
    p, r, _ = precision_recall_curve(y, s)
    f1 = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-12), 0)
    assert points["best_f1"]["f1"] == pytest.approx(f1.max())
    high_t, high = max(
        ((t, b) for t, b in rows if b["precision"] >= target), key=lambda r: r[1]["recall"]
    )
    assert points["high_precision"]["threshold"] == high_t
    assert points["high_precision"]["recall"] == pytest.approx(high["recall"])
    assert points["high_precision"]["precision"] >= target
    assert points["best_f1"]["false_positives_per_night"] is None  # no nights known


def test_unreachable_precision_and_no_positives() -> None:
    y = np.array([0, 1, 0, 1])
    s = np.array([0.9, 0.8, 0.7, 0.6])  # the top score is a negative: precision 1 unreachable
    points = operating_points(threshold_sweep(y, s, nights=1, review_s=10), 1.0)
    assert points["high_precision"] is None and points["best_f1"] is not None
    none = operating_points(threshold_sweep(np.zeros(3), s[:3], nights=1, review_s=10), 0.9)
    assert none == {"best_f1": None, "high_precision": None}


def test_confusion_matrix_equals_sklearn() -> None:
    rng = np.random.default_rng(5)
    true = rng.integers(0, 3, 120)
    targets = np.eye(3)[true]
    scores = rng.random((120, 3)) + 0.6 * targets  # right more often than not
    ours = confusion(targets, scores, THREE_LABELS)
    expected = confusion_matrix(true, scores.argmax(1), labels=[0, 1, 2])
    assert ours["labels"] == list(THREE_LABELS)
    assert ours["matrix"] == expected.tolist()
    # the per-label counts at the threshold: sklearn's binary matrix [[TN, FP], [FN, TP]]
    per_label = clip_metrics(targets, scores, THREE_LABELS, threshold=0.8)["per_label"]
    for i, label in enumerate(THREE_LABELS):
        (tn, fp), (fn, tp) = confusion_matrix(targets[:, i], scores[:, i] >= 0.8).tolist()
        m = per_label[label]
        assert (m["true_negatives"], m["false_positives"]) == (tn, fp)
        assert (m["false_negatives"], m["true_positives"]) == (fn, tp)


def _night_set() -> tuple[list[dict], np.ndarray, np.ndarray]:
    # (site, night, frog?, score): two ponds, three nights; one clip has no night
    rows = [
        ("Oak", "2024-05-01", 0, 0.2),
        ("Oak", "2024-05-01", 1, 0.7),  # Oak 05-01 positive, found (0.7)
        ("Oak", "2024-05-02", 0, 0.6),  # Oak 05-02 negative, false alarm (0.6)
        ("Oak", "2024-05-02", 0, 0.1),
        ("Elm", "2024-05-01", 1, 0.3),
        ("Elm", "2024-05-01", 0, 0.4),  # Elm 05-01 positive, missed (max 0.4)
        ("Elm", "2024-05-03", 0, 0.2),  # Elm 05-03 negative, quiet
        ("Elm", None, 1, 0.9),  # no night: left out of the per-night figures
    ]
    entries = [
        {"wav": f"/c{i}.wav", "recording": f"r{i // 2}", "site": site, "night": night}
        for i, (site, night, _, _) in enumerate(rows)
    ]
    frog = np.array([r[2] for r in rows], dtype=float)
    score = np.array([r[3] for r in rows])
    return entries, np.stack([frog, 1 - frog], 1), np.stack([score, 1 - score], 1)


def test_presence_per_site_night_on_a_hand_made_set() -> None:
    entries, targets, scores = _night_set()
    groups, t, s = presence(entries, targets, scores, night_key)
    assert groups == [
        ("Oak", "2024-05-01"),
        ("Oak", "2024-05-02"),
        ("Elm", "2024-05-01"),
        ("Elm", "2024-05-03"),
    ]
    assert t[:, 0].tolist() == [1, 0, 1, 0]
    assert s[:, 0].tolist() == [0.7, 0.6, 0.4, 0.2]
    report = evaluate_scores(entries, targets, scores, tiny_card(rule="threshold"))
    nights = report["nights"]["per_label"]["Rana draytonii"]
    # at 0.5: Oak 05-01 found, Oak 05-02 false alarm, Elm 05-01 missed
    assert (nights["true_positives"], nights["false_positives"]) == (1, 1)
    assert (nights["false_negatives"], nights["true_negatives"]) == (1, 1)
    assert nights["precision"] == 0.5 and nights["recall"] == 0.5
    assert report["counts"]["site_nights"] == 4 and report["counts"]["clips_without_night"] == 1
    assert report["counts"]["recordings"] == 4


def test_review_minutes_per_night() -> None:
    entries, targets, scores = _night_set()
    card = tiny_card(rule="threshold")
    report = evaluate_scores(
        entries, targets, scores, card, EvaluationConfig(review_s_per_detection=30)
    )
    at = report["operating_points"]["Rana draytonii"]["at_threshold"]
    # clips >= 0.5: 0.7 (frog), 0.6 (not), 0.9 (frog): 3 detections, 1 false, 4 site-nights
    assert (at["detections"], at["false_positives"]) == (3, 1)
    assert at["false_positives_per_night"] == pytest.approx(1 / 4)
    assert at["detections_per_night"] == pytest.approx(3 / 4)
    assert at["false_positive_review_min_per_night"] == pytest.approx(1 / 4 * 30 / 60)
    assert at["review_min_per_night"] == pytest.approx(3 / 4 * 30 / 60)
    assert "30 s per detection" in report["settings"]["assumptions"][0]
    alone = point_at(targets[:, 0], scores[:, 0], 0.5, nights=4, review_s=30)
    assert alone == at


def test_report_holds_every_clip_and_the_per_label_counts() -> None:
    entries, targets, scores = _night_set()
    report = evaluate_scores(entries, targets, scores, tiny_card(rule="threshold"))
    assert [c["wav"] for c in report["scores"]] == [e["wav"] for e in entries]
    assert report["scores"][1]["labels"] == ["Rana draytonii"]
    assert list(report["sweeps"]) == ["Rana draytonii"]  # the positive label only
    assert (
        report["confusion"]["matrix"]
        == confusion_matrix(targets.argmax(1), scores.argmax(1)).tolist()
    )


def test_evaluation_config_refuses_impossible_values() -> None:
    with pytest.raises(ValidationError):
        EvaluationConfig(target_precision=1.5)
    with pytest.raises(ValidationError):
        EvaluationConfig(report_thresholds=[0.5, 2.0])
