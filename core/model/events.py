"""Scored windows, their decisions, events and Times Heard: what the detector says.

Per window the logits and sigmoid scores of every label are kept and a decision is made
(``argmax`` or per-label thresholds, see :class:`~core.model.card.DecisionConfig`; a
threshold is inclusive: a score equal to it is a detection). Positive windows that touch or
overlap merge into events per label; the recording is ``Positive`` when any window is, and
Times Heard lists the event times (``"0-20, 40-60"``, ``"N/A"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.model.card import ModelCard
from core.report.cells import format_times_heard as format_spans

_EPS_S = 1e-6


@dataclass(frozen=True)
class WindowScore:
    """One scored window. ``logits``/``scores`` follow the model card's label order.

    ``detected`` holds the positive labels the decision found, with their scores (more than
    one only with per-label thresholds); ``label`` is the best of them, else the negative
    label (``argmax``: the label with the highest score).
    """

    start_s: float
    end_s: float
    logits: list[float]
    scores: list[float]
    label: str
    positive: bool
    detected: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Event:
    """Consecutive or overlapping positive windows of one label."""

    start_s: float
    end_s: float
    label: str
    max_score: float
    mean_score: float
    n_windows: int


@dataclass(frozen=True)
class RecordingResult:
    """Everything the detector says about one recording."""

    path: Path
    duration_s: float
    windows: list[WindowScore]
    events: list[Event]
    prediction: str  # "Positive" / "Negative"
    times_heard: str
    model_name: str
    model_version: str
    checkpoint_sha256: str | None = None

    def times_heard_for(self, label: str) -> str:
        """Times Heard of one label only (e.g. ``"Rana catesbeiana"``)."""
        return format_times_heard([e for e in self.events if e.label == label])


def format_times_heard(events: Iterable[Event]) -> str:
    """Times Heard in the original format: ``"0-20, 40-60"`` (seconds), ``"N/A"`` when none.

    Spans are sorted by time and overlapping or touching spans (of any label) are joined;
    whole seconds print as integers, others with up to two decimals (``"20-24.97"``).
    The same formatting as the report's cells (:func:`core.report.cells.format_times_heard`).
    """
    return format_spans((event.start_s, event.end_s) for event in events)


def _detections(window: WindowScore, labels: Sequence[str] | None) -> dict[str, float]:
    if window.detected:
        return dict(window.detected)
    if not window.positive:
        return {}
    # a window rebuilt without ``detected`` (e.g. from a database row)
    if labels is not None and window.label in labels:
        return {window.label: window.scores[list(labels).index(window.label)]}
    return {window.label: max(window.scores)}


def merge_events(
    windows: Iterable[WindowScore], labels: Sequence[str] | None = None
) -> list[Event]:
    """Merge positive windows that touch or overlap into events, one series per label.

    Parameters
    ----------
    windows
        Scored windows, in any order.
    labels
        The model card's labels, to find a label's score in windows that carry no
        ``detected`` (otherwise unused).

    Returns
    -------
    list[Event]
        Sorted by start time, then label.
    """
    per_label: dict[str, list[tuple[float, float, float]]] = {}
    for window in sorted(windows, key=lambda w: w.start_s):
        for label, score in _detections(window, labels).items():
            per_label.setdefault(label, []).append((window.start_s, window.end_s, score))
    events: list[Event] = []
    for label, spans in per_label.items():
        run: list[tuple[float, float, float]] = []
        for span in spans + [(float("inf"), float("inf"), 0.0)]:
            if run and span[0] > max(s[1] for s in run) + _EPS_S:
                scores = [s[2] for s in run]
                events.append(
                    Event(
                        start_s=run[0][0],
                        end_s=max(s[1] for s in run),
                        label=label,
                        max_score=max(scores),
                        mean_score=sum(scores) / len(scores),
                        n_windows=len(run),
                    )
                )
                run = []
            run.append(span)
    return sorted(events, key=lambda e: (e.start_s, e.label))


def decide(
    scores: Sequence[float], card: ModelCard
) -> tuple[str, bool, tuple[tuple[str, float], ...]]:
    """Apply the card's decision rule to one window's sigmoid scores.

    Returns
    -------
    tuple
        ``(label, positive, detected)``: see :class:`WindowScore`.
    """
    by_label = dict(zip(card.labels, scores, strict=True))
    if card.decision.rule == "argmax":
        best = card.labels[int(np.argmax(scores))]
        positive = best in card.positive_labels
        return best, positive, ((best, by_label[best]),) if positive else ()
    hits = sorted(
        (
            (label, by_label[label])
            for label in card.positive_labels
            if by_label[label] >= card.decision.threshold_for(label)
        ),
        key=lambda item: -item[1],
    )
    return (hits[0][0] if hits else card.negative_label), bool(hits), tuple(hits)
