"""How well detected events recover the planted calls: event precision and recall.

A planted call is *recovered* when a detected event of the same file overlaps it (within
``tolerance_s``); a detected event is *correct* when it overlaps a planted call. Events
are whole merged runs of positive windows, so one event may recover several calls close
together, and a call cut by a window boundary may be found by two events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

Span = tuple[str, float, float]  # (file, start_s, end_s)


@dataclass(frozen=True)
class EventScore:
    """Counts and rates of one comparison."""

    calls: int
    recovered: int
    events: int
    correct: int

    @property
    def recall(self) -> float:
        """Share of the planted calls that an event overlaps (1.0 when none were planted)."""
        return self.recovered / self.calls if self.calls else 1.0

    @property
    def precision(self) -> float:
        """Share of the events that overlap a planted call (1.0 when nothing was detected)."""
        return self.correct / self.events if self.events else 1.0


def score_events(
    truth: Iterable[Span], detected: Iterable[Span], tolerance_s: float = 0.5
) -> EventScore:
    """Compare detected events with the planted calls, file by file.

    Parameters
    ----------
    truth
        The planted calls, ``(file, start_s, end_s)``.
    detected
        The detected events, keyed by the same file names.
    tolerance_s
        Seconds of slack at both ends when testing overlap.
    """
    calls: dict[str, list[tuple[float, float]]] = defaultdict(list)
    events: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for name, start, end in truth:
        calls[name].append((start, end))
    for name, start, end in detected:
        events[name].append((start, end))

    def hits(a: tuple[float, float], spans: list[tuple[float, float]]) -> bool:
        return any(a[0] - tolerance_s < b[1] and b[0] < a[1] + tolerance_s for b in spans)

    recovered = sum(hits(c, events[name]) for name, spans in calls.items() for c in spans)
    correct = sum(hits(e, calls[name]) for name, spans in events.items() for e in spans)
    return EventScore(
        calls=sum(map(len, calls.values())),
        recovered=recovered,
        events=sum(map(len, events.values())),
        correct=correct,
    )
