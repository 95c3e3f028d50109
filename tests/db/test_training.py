"""Review-based training examples: exactly the reviewed events, by their latest verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from db.models import Detection, DetectionRun, RecordingStatus, Verdict
from db.reviews import add_review
from db.session import session_scope
from db.training import negative_recordings, review_examples, reviewed_examples
from tests.db.helpers import add_model_version, add_recording

T0 = datetime(2024, 3, 1, 3, 0, tzinfo=UTC)


def _detection(session, recording_id: int, version_id: int, start_s: float) -> int:
    detection = Detection(
        recording_id=recording_id,
        model_version_id=version_id,
        label="Rana draytonii",
        start_s=start_s,
        end_s=start_s + 10.0,
        max_score=0.9,
        mean_score=0.8,
        n_windows=1,
    )
    session.add(detection)
    session.flush()
    return detection.id


def _seed(session) -> dict[str, int]:
    version = add_model_version(session)
    positive = add_recording(session, "20240301_030000.WAV")
    quiet = add_recording(session, "20240301_040000.WAV", duration_s=60.0)
    ids = {
        name: _detection(session, positive.id, version.id, s)
        for name, s in [
            ("confirmed", 0.0),
            ("rejected", 10.0),
            ("unsure", 20.0),
            ("unreviewed", 30.0),
            ("changed", 40.0),
        ]
    }
    add_review(
        session=session, detection_id=ids["confirmed"], verdict=Verdict.CONFIRMED, reviewer="a"
    )
    add_review(
        session=session, detection_id=ids["rejected"], verdict=Verdict.REJECTED, reviewer="a"
    )
    add_review(session=session, detection_id=ids["unsure"], verdict=Verdict.UNSURE, reviewer="a")
    # first confirmed, later rejected: the latest verdict counts
    add_review(
        session=session,
        detection_id=ids["changed"],
        verdict="confirmed",
        reviewer="a",
        reviewed_at=T0,
    )
    add_review(
        session=session,
        detection_id=ids["changed"],
        verdict="rejected",
        reviewer="b",
        reviewed_at=T0 + timedelta(hours=1),
    )
    for rec, prediction in ((positive, "Positive"), (quiet, "Negative")):
        session.add(
            DetectionRun(
                recording_id=rec.id,
                model_version_id=version.id,
                status=RecordingStatus.DONE,
                prediction=prediction,
            )
        )
    session.flush()
    return {"version": version.id, "quiet": quiet.id} | ids


def test_examples_are_exactly_the_reviewed_events(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        ids = _seed(session)
        examples = reviewed_examples(session=session, model_version_id=ids["version"])
    got = sorted((e.start_s, e.label, e.source) for e in examples)
    assert got == [
        (0.0, "Rana draytonii", "confirmed"),
        (10.0, "Negative", "rejected"),
        (40.0, "Negative", "rejected"),
    ]
    assert all(
        e.end_s == e.start_s + 10.0 and e.path.name == "20240301_030000.WAV" for e in examples
    )


def test_random_negatives_come_from_negative_recordings_at_the_ratio(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        ids = _seed(session)
        (quiet,) = negative_recordings(session=session, model_version_id=ids["version"])
        examples = review_examples(session=session, negative_ratio=3.0, clip_s=10.0, seed=1)
    assert quiet.path.name == "20240301_040000.WAV" and quiet.duration_s == 60.0
    drawn = [e for e in examples if e.source == "random-negative"]
    assert len(drawn) == 3  # one confirmed positive, ratio 3
    assert all(
        e.path == quiet.path and 0 <= e.start_s <= 50 and e.label == "Negative" for e in drawn
    )
