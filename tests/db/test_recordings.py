"""Recording rows as ingest sees them: what each path holds, and a changed file replaced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import func, select

from core.audio.io import AudioInfo
from core.metadata.recording import RecordingMetadata
from db import crud, queue
from db.models import (
    Detection,
    DetectionRun,
    DuplicateFile,
    Recording,
    RecordingStatus,
    Review,
    Verdict,
    WindowScore,
)
from db.recordings import (
    build_recording,
    placeholder_sha256,
    store_file,
    stored_files,
)
from db.session import session_scope
from tests.db.helpers import LABELS, FakeResult, add_model_version, add_recording

WHEN = datetime(2024, 3, 1, 3, 0, tzinfo=UTC)


def _count(session, table) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def _scored(engine: sa.Engine) -> int:
    """A recording with window scores, an event, a review and a duplicate; returns its id."""
    with session_scope(engine) as session:
        rec = add_recording(session, "a.wav", mtime_ns=1_000)
        crud.add_duplicate(
            session=session, path="/copies/a.wav", size_bytes=1000, recording_id=rec.id
        )
        mv = add_model_version(session)
        queue.enqueue_runs(session=session, model_version_id=mv.id)
        (claim,) = queue.claim_runs(
            session=session,
            model_version_id=mv.id,
            worker="w",
            limit=1,
            stale_before=WHEN - timedelta(days=9999),
        )
        assert queue.save_results(
            session=session, run_id=claim.run_id, worker="w", result=FakeResult(), labels=LABELS
        )
        detection = session.exec(select(Detection)).one()
        session.add(Review(detection_id=detection.id, verdict=Verdict.CONFIRMED, reviewer="me"))
        assert rec.id is not None
        return rec.id


def test_stored_files_say_what_each_path_holds(engine: sa.Engine) -> None:
    rid = _scored(engine)
    with session_scope(engine) as session:
        add_recording(session, "bad.wav", readable=False, status=RecordingStatus.FAILED)
        stored = stored_files(session=session)
    assert set(stored) == {"/audio/a.wav", "/copies/a.wav", "/audio/bad.wav"}
    rec, copy, bad = stored["/audio/a.wav"], stored["/copies/a.wav"], stored["/audio/bad.wav"]
    assert (rec.recording_id, rec.duplicate, rec.mtime_ns) == (rid, False, 1_000)
    assert (copy.recording_id, copy.duplicate) == (rid, True)
    later = int((bad.ingested_at + timedelta(seconds=5)).timestamp() * 1e9)
    # Same size and time: unchanged; another size or modification time: changed.
    assert not rec.changed(1000, 1_000, later)
    assert rec.changed(1001, 1_000, 0) and rec.changed(1000, 2_000, 0)
    # A duplicate only by size; a failed file also when its inode changed after the attempt.
    assert not copy.changed(1000, 5, later) and copy.changed(999, 5, 0)
    assert not bad.changed(1000, 0, 0) and bad.changed(1000, 0, later)


def test_new_content_replaces_the_row_and_drops_old_results(engine: sa.Engine) -> None:
    rid = _scored(engine)
    with session_scope(engine) as session:
        previous = stored_files(session=session)["/audio/a.wav"]
        new = Recording(
            path="/audio/a.wav",
            size_bytes=2000,
            sha256="b" * 64,
            mtime_ns=2_000,
            readable=True,
            duration_s=60.0,
            samplerate_hz=48_000,
        )
        stored = store_file(session=session, recording=new, previous=previous)
        assert stored.id == rid
    with session_scope(engine) as session:
        row = session.get_one(Recording, rid)
        assert (row.size_bytes, row.sha256, row.duration_s, row.mtime_ns) == (
            2000,
            "b" * 64,
            60.0,
            2_000,
        )
        for table in (WindowScore, Detection, Review, DetectionRun, DuplicateFile):
            assert _count(session, table) == 0, table
        # Queued again: scored once for the new content.
        mv = add_model_version(session)
        assert queue.enqueue_runs(session=session, model_version_id=mv.id) == 1


def test_a_failed_row_is_replaced_by_the_new_one(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        add_recording(session, "bad.wav", readable=False, status=RecordingStatus.FAILED)
        previous = stored_files(session=session)["/audio/bad.wav"]
        good = Recording(path="/audio/bad.wav", size_bytes=5, sha256="c" * 64, readable=True)
        store_file(session=session, recording=good, previous=previous)
    with session_scope(engine) as session:
        (row,) = session.exec(select(Recording)).all()
        assert (row.sha256, row.readable) == ("c" * 64, True)


def test_build_recording_stores_offset_minutes_and_clock_flags() -> None:
    info = AudioInfo(Path("/a.wav"), 48_000, 1, 48_000, 1.0, "PCM_16", 16, 1, 2, 44, 48_000, False)
    meta = RecordingMetadata(
        path=Path("/a.wav"), recorder="AudioMoth", recorded_at=WHEN, utc_offset_min=-480
    )
    row = build_recording(Path("/a.wav"), 96_044, "d" * 64, info, meta, None, mtime_ns=7)
    assert (row.utc_offset_min, row.clock_issue, row.mtime_ns) == (-480, None, 7)
    assert row.status is RecordingStatus.PENDING and row.readable
    unset = RecordingMetadata(
        path=Path("/a.wav"),
        recorder="AudioMoth",
        recorded_at=datetime(1970, 1, 1, 0, 5, tzinfo=UTC),
    )
    row = build_recording(Path("/a.wav"), 96_044, "d" * 64, info, unset, None)
    assert row.clock_issue and row.clock_issue.startswith("clock not set")
    # Kept as read, flagged; an offset the header did not give is unknown, not UTC.
    assert row.recorded_at == datetime(1970, 1, 1, 0, 5, tzinfo=UTC)
    assert row.utc_offset_min is None


def test_odd_file_names_are_stored_as_text_any_database_takes(engine: sa.Engine) -> None:
    odd = Path(b"/audio/caf\xe9.wav".decode("utf-8", "surrogateescape"))
    row = build_recording(odd, 10, placeholder_sha256(odd), None, None, "rename it")
    assert row.path == "/audio/caf\\xe9.wav"
    assert placeholder_sha256(odd) != placeholder_sha256("/audio/cafe.wav")
    with session_scope(engine) as session:
        store_file(session=session, recording=row)
    with session_scope(engine) as session:
        assert session.exec(select(Recording.path)).one() == "/audio/caf\\xe9.wav"
