"""Tables: aware UTC times, uniqueness, checks and cascades on both back ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import select

from db import queue
from db.models import Detection, DetectionRun, Recording, RecordingStatus, WindowScore
from db.session import session_scope
from tests.db.helpers import FakeResult, add_model_version, add_recording

PACIFIC = timezone(timedelta(hours=-8))


def test_times_come_back_aware_utc(engine: sa.Engine) -> None:
    local = datetime(2022, 12, 1, 19, 0, tzinfo=PACIFIC)
    with session_scope(engine) as session:
        rec = add_recording(session, "a.wav", recorded_at=local, utc_offset_min=-480)
    with session_scope(engine) as session:
        stored = session.get_one(Recording, rec.id)
        assert stored.recorded_at == datetime(2022, 12, 2, 3, 0, tzinfo=UTC)
        assert stored.recorded_at.utcoffset() == timedelta(0)
        assert stored.ingested_at.tzinfo is not None
        assert stored.utc_offset_min == -480


def test_naive_times_are_refused(engine: sa.Engine) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):  # noqa: SIM117
        with session_scope(engine) as session:
            add_recording(session, "a.wav", recorded_at=datetime(2022, 12, 1, 19, 0))


@pytest.mark.parametrize("same", ["path", "sha256"])
def test_path_and_content_are_unique(engine: sa.Engine, same: str) -> None:
    with session_scope(engine) as session:
        first = add_recording(session, "a.wav")
    other = {"path": first.path} if same == "path" else {"sha256": first.sha256}
    with pytest.raises(sa.exc.IntegrityError), session_scope(engine) as session:
        add_recording(session, "b.wav", **other)


def test_status_is_checked_by_the_database(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        rec = add_recording(session, "a.wav")
    with pytest.raises(sa.exc.IntegrityError), session_scope(engine) as session:
        session.execute(
            sa.text("UPDATE recordings SET status = 'exploded' WHERE id = :id"), {"id": rec.id}
        )
    with session_scope(engine) as session:
        assert session.get_one(Recording, rec.id).status is RecordingStatus.PENDING


def test_deleting_a_recording_deletes_its_results(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        rec = add_recording(session, "a.wav")
        mv = add_model_version(session)
        queue.enqueue_runs(session=session, model_version_id=mv.id)
    with session_scope(engine, immediate=True) as session:
        (claim,) = queue.claim_runs(
            session=session, model_version_id=mv.id, worker="w", limit=5, stale_before=_past()
        )
        assert queue.save_results(
            session=session, run_id=claim.run_id, worker="w", result=FakeResult(), labels=mv.labels
        )
    with session_scope(engine) as session:
        session.delete(session.get_one(Recording, rec.id))
    with session_scope(engine) as session:
        for table in (WindowScore, Detection, DetectionRun):
            assert session.exec(select(table)).all() == []


def _past() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)
