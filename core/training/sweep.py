"""Threshold sweeps and operating points, in the units a monitoring programme plans with.

A detector is run at one threshold. :func:`threshold_sweep` tries every distinct score of a
label as the threshold (a clip is called positive when its score reaches it, as detect
does) and gives precision, recall and F1 there, plus what the threshold costs in the field:
false positives per night and the minutes a person needs per night to review the
detections, at an assumed number of seconds per detection. :func:`operating_points` picks
the best-F1 threshold and the high-precision one (the highest recall whose precision
reaches a target).

"Per night" divides by the site-nights the labelled set covers. A labelled set samples the
clips of a night, so these are the costs of reviewing that sample; on a full night the
count scales with the share of the night's windows the set holds.
"""

from __future__ import annotations

import numpy as np

# The keys of one point of a sweep (every list in a sweep has one value per threshold).
POINT_KEYS: tuple[str, ...] = (
    "threshold",
    "precision",
    "recall",
    "f1",
    "true_positives",
    "false_positives",
    "detections",
    "false_positives_per_night",
    "detections_per_night",
    "false_positive_review_min_per_night",
    "review_min_per_night",
)


def _costs(
    tp: np.ndarray, fp: np.ndarray, positives: int, nights: int | None, review_s: float
) -> dict[str, list]:
    """Precision, recall, F1 and per-night costs of arrays of true/false positive counts."""
    detections = tp + fp
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(detections > 0, tp / np.maximum(detections, 1), np.nan)
        recall = tp / positives if positives else np.full(len(tp), np.nan)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    f1 = np.where(np.isnan(precision) | np.isnan(recall), np.nan, f1)

    def per_night(counts: np.ndarray) -> list[float | None]:
        return (counts / nights).tolist() if nights else [None] * len(counts)

    def minutes(per: list[float | None]) -> list[float | None]:
        return [None if v is None else v * review_s / 60 for v in per]

    fp_night, det_night = per_night(fp), per_night(detections)
    return {
        "precision": _none_for_nan(precision),
        "recall": _none_for_nan(recall),
        "f1": _none_for_nan(f1),
        "true_positives": tp.astype(int).tolist(),
        "false_positives": fp.astype(int).tolist(),
        "detections": detections.astype(int).tolist(),
        "false_positives_per_night": fp_night,
        "detections_per_night": det_night,
        "false_positive_review_min_per_night": minutes(fp_night),
        "review_min_per_night": minutes(det_night),
    }


def _none_for_nan(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in np.asarray(values, dtype=float)]


def threshold_sweep(
    y_true: np.ndarray, scores: np.ndarray, *, nights: int | None, review_s: float
) -> dict[str, list]:
    """Every distinct score of one label as the threshold, in increasing order.

    Parameters
    ----------
    y_true
        0/1 per clip (soft targets are rounded).
    scores
        The label's score per clip.
    nights
        Site-nights the clips cover; ``None`` (or 0) leaves the per-night values ``None``.
    review_s
        Seconds a person spends reviewing one detection.

    Returns
    -------
    dict
        One list per key of :data:`POINT_KEYS`. The thresholds are those of
        ``sklearn.metrics.precision_recall_curve``; precision and recall at them equal its
        values. Recall and F1 are ``None`` when there is no positive clip.
    """
    y = (np.asarray(y_true) >= 0.5).astype(int)
    s = np.asarray(scores, dtype=float)
    if not len(s):
        return {key: [] for key in POINT_KEYS}
    order = np.argsort(-s, kind="mergesort")
    s_sorted, hits = s[order], np.cumsum(y[order])
    # the last clip of each run of equal scores: counts there are those of "score >= it"
    last = np.r_[np.flatnonzero(np.diff(s_sorted)), len(s_sorted) - 1]
    tp, fp = hits[last][::-1], (last + 1 - hits[last])[::-1]
    sweep = {"threshold": s_sorted[last][::-1].tolist()}
    return sweep | _costs(tp, fp, int(y.sum()), nights, review_s)


def point_at(
    y_true: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    *,
    nights: int | None,
    review_s: float,
) -> dict:
    """One point (the keys of :data:`POINT_KEYS`) at a given threshold."""
    y = (np.asarray(y_true) >= 0.5).astype(int)
    called = np.asarray(scores, dtype=float) >= threshold
    tp, fp = np.array([(called & (y == 1)).sum()]), np.array([(called & (y == 0)).sum()])
    values = _costs(tp, fp, int(y.sum()), nights, review_s)
    return {"threshold": float(threshold)} | {k: v[0] for k, v in values.items()}


def sweep_point(sweep: dict[str, list], index: int) -> dict:
    """Point ``index`` of a sweep as one dict."""
    return {key: sweep[key][index] for key in POINT_KEYS}


def operating_points(sweep: dict[str, list], target_precision: float) -> dict[str, dict | None]:
    """The best-F1 and the high-precision points of a sweep.

    Parameters
    ----------
    sweep
        A :func:`threshold_sweep`.
    target_precision
        The precision the high-precision point must reach.

    Returns
    -------
    dict
        ``best_f1``: the highest F1; ``high_precision``: the highest recall among the
        thresholds whose precision reaches ``target_precision`` (``None`` when none does).
        Ties go to the higher threshold (fewer detections to review). Both ``None`` when the
        label has no positive clip.
    """
    f1, recall, precision = sweep["f1"], sweep["recall"], sweep["precision"]
    n = len(sweep["threshold"])
    defined = [i for i in range(n) if f1[i] is not None]
    if not defined:
        return {"best_f1": None, "high_precision": None}
    # max() keeps the first maximum: walk from the highest threshold down
    best = max(reversed(defined), key=lambda i: f1[i])
    precise = [i for i in reversed(defined) if precision[i] >= target_precision - 1e-12]
    high = max(precise, key=lambda i: recall[i]) if precise else None
    return {
        "best_f1": sweep_point(sweep, best),
        "high_precision": None if high is None else sweep_point(sweep, high),
    }
