"""A scored recording as rows: window scores and detections, scores in label order.

:func:`db.queue.save_results` stores a recording's result with these rows, guarded by its
claim. The result is anything shaped like ``core.model.events.RecordingResult`` (the
protocols below), so ``db`` needs no torch and tests can hand in plain objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol


class WindowLike(Protocol):
    """A scored window (``core.model.events.WindowScore`` fits)."""

    start_s: float
    end_s: float
    label: str
    positive: bool
    scores: Sequence[float] | Mapping[str, float]
    logits: Sequence[float] | Mapping[str, float]


class EventLike(Protocol):
    """An event (``core.model.events.Event`` fits)."""

    start_s: float
    end_s: float
    label: str
    max_score: float
    mean_score: float
    n_windows: int


class ResultLike(Protocol):
    """A scored recording (``core.model.events.RecordingResult`` fits)."""

    windows: Sequence[WindowLike]
    events: Sequence[EventLike]
    prediction: str
    times_heard: str


def window_rows(result: ResultLike, labels: Sequence[str]) -> list[dict[str, object]]:
    """The ``window_scores`` rows of a result (without their run's keys).

    Parameters
    ----------
    labels
        The model version's labels: the order ``scores`` and ``logits`` are stored in.
    """
    return [_window_row(window, labels) for window in result.windows]


def event_rows(result: ResultLike) -> list[dict[str, object]]:
    """The ``detections`` rows of a result (without their run's keys)."""
    return [
        {
            "label": e.label,
            "start_s": float(e.start_s),
            "end_s": float(e.end_s),
            "max_score": float(e.max_score),
            "mean_score": float(e.mean_score),
            "n_windows": int(e.n_windows),
        }
        for e in result.events
    ]


def _window_row(window: WindowLike, labels: Sequence[str]) -> dict[str, object]:
    scores = _ordered(window.scores, labels)
    logits = _ordered(window.logits, labels)
    score = scores[labels.index(window.label)] if window.label in labels else max(scores)
    return {
        "start_s": float(window.start_s),
        "end_s": float(window.end_s),
        "label": window.label,
        "score": score,
        "positive": bool(window.positive),
        "scores": scores,
        "logits": logits,
    }


def _ordered(values: Sequence[float] | Mapping[str, float], labels: Sequence[str]) -> list[float]:
    if isinstance(values, Mapping):
        return [float(values[label]) for label in labels]
    return [float(v) for v in values]
