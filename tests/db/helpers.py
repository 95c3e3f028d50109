"""Small builders for data-layer tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session

from db import crud
from db.models import Recording


def add_recording(session: Session, name: str, *, readable: bool = True, **fields) -> Recording:
    """Store a recording called ``name`` with a content hash derived from the name."""
    values = {
        "path": f"/audio/{name}",
        "size_bytes": 1000,
        "sha256": hashlib.sha256(name.encode()).hexdigest(),
        "readable": readable,
        "duration_s": 30.0 if readable else None,
        "samplerate_hz": 48_000 if readable else None,
        "recorded_at": datetime(2024, 3, 1, 3, 0, tzinfo=UTC),
    } | fields
    return crud.add_recording(session=session, recording=Recording(**values))


@dataclass
class FakeWindow:
    start_s: float
    end_s: float
    label: str
    positive: bool
    scores: list[float]
    logits: list[float]


@dataclass
class FakeEvent:
    start_s: float
    end_s: float
    label: str
    max_score: float
    mean_score: float
    n_windows: int


@dataclass
class FakeResult:
    """Implements ``db.results.ResultLike``: three windows, one event over the first two."""

    windows: list[FakeWindow] = field(
        default_factory=lambda: [
            FakeWindow(0.0, 10.0, "Rana draytonii", True, [0.9, 0.1], [2.2, -2.2]),
            FakeWindow(10.0, 20.0, "Rana draytonii", True, [0.7, 0.3], [0.8, -0.8]),
            FakeWindow(20.0, 30.0, "Negative", False, [0.2, 0.8], [-1.4, 1.4]),
        ]
    )
    events: list[FakeEvent] = field(
        default_factory=lambda: [FakeEvent(0.0, 20.0, "Rana draytonii", 0.9, 0.8, 2)]
    )
    prediction: str = "Positive"
    times_heard: str = "0-20"


LABELS = ["Rana draytonii", "Negative"]


def add_model_version(session: Session, version: str = "1.0", sha: str = "a" * 64):
    """Register a two-label frog model version."""
    return crud.get_or_create_model_version(
        session=session,
        name="AST_Rana_Draytonii",
        version=version,
        checkpoint_sha256=sha,
        labels=LABELS,
        settings={"decision": {"rule": "argmax"}},
    )
