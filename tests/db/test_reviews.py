"""Reviews: history is kept and the latest verdict is the one every reader sees."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import select

from db.models import Detection, Verdict
from db.reviews import add_review, latest_reviews, review_history
from db.session import session_scope
from tests.db.helpers import add_model_version, add_recording


def _detection(session) -> int:
    recording = add_recording(session, "20240301_190000.WAV")
    version = add_model_version(session)
    detection = Detection(
        recording_id=recording.id,
        model_version_id=version.id,
        label="rana",
        start_s=0.0,
        end_s=10.0,
        max_score=0.9,
        mean_score=0.8,
        n_windows=1,
    )
    session.add(detection)
    session.flush()
    return detection.id


def test_latest_review_wins_and_history_is_kept(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        det = _detection(session)
        add_review(
            session=session,
            detection_id=det,
            verdict="unsure",
            reviewer="bo",
            reviewed_at=datetime(2024, 4, 1, tzinfo=UTC),
        )
        add_review(
            session=session,
            detection_id=det,
            verdict=Verdict.CONFIRMED,
            reviewer="ann",
            reviewed_at=datetime(2024, 4, 2, tzinfo=UTC),
            note="clear grunts",
        )
        # Same instant: the later row counts.
        add_review(
            session=session,
            detection_id=det,
            verdict="rejected",
            reviewer="cy",
            reviewed_at=datetime(2024, 4, 2, tzinfo=UTC),
        )
    with session_scope(engine) as session:
        latest = latest_reviews()
        rows = session.exec(
            select(latest.c.detection_id, latest.c.verdict, latest.c.reviewer)
        ).all()
        history = review_history(session=session, detection_id=det)
    assert [(r[0], Verdict(r[1]), r[2]) for r in rows] == [(det, Verdict.REJECTED, "cy")]
    assert [r.reviewer for r in history] == ["cy", "ann", "bo"]


def test_review_of_a_missing_detection_or_without_reviewer_is_refused(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        det = _detection(session)
        with pytest.raises(LookupError, match="no detection with id 999"):
            add_review(session=session, detection_id=999, verdict="confirmed", reviewer="ann")
        with pytest.raises(ValueError, match="reviewer"):
            add_review(session=session, detection_id=det, verdict="confirmed", reviewer="  ")
        with pytest.raises(ValueError):
            add_review(session=session, detection_id=det, verdict="maybe", reviewer="ann")
