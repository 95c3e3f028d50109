"""The detection queue: enqueue, claim, finish, fail, release; exactly once per version."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from db import crud, queue
from db.models import Detection, DetectionRun, Recording, RecordingStatus, WindowScore
from db.session import session_scope
from tests.db.helpers import LABELS, FakeResult, add_model_version, add_recording

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def _setup(engine: sa.Engine, n: int = 3, unreadable: int = 0) -> int:
    with session_scope(engine) as session:
        for i in range(n):
            add_recording(session, f"ok{i}.wav")
        for i in range(unreadable):
            add_recording(session, f"bad{i}.wav", readable=False, status=RecordingStatus.FAILED)
        mv = add_model_version(session)
        assert queue.enqueue_runs(session=session, model_version_id=mv.id) == n
        return mv.id


def _claim(engine: sa.Engine, mv: int, worker: str = "w1", limit: int = 10, stale=LONG_AGO):
    with session_scope(engine, immediate=True) as session:
        return queue.claim_runs(
            session=session, model_version_id=mv, worker=worker, limit=limit, stale_before=stale
        )


def test_enqueue_takes_readable_recordings_once(engine: sa.Engine) -> None:
    mv = _setup(engine, n=3, unreadable=2)
    with session_scope(engine) as session:
        assert queue.enqueue_runs(session=session, model_version_id=mv) == 0
        runs = session.exec(select(DetectionRun)).all()
    assert len(runs) == 3
    assert {r.status for r in runs} == {RecordingStatus.PENDING}


def test_claims_are_disjoint_limited_and_counted(engine: sa.Engine) -> None:
    mv = _setup(engine, n=5)
    first = _claim(engine, mv, "w1", limit=2)
    second = _claim(engine, mv, "w2", limit=10)
    assert [c.path for c in first] == ["/audio/ok0.wav", "/audio/ok1.wav"]
    assert len(second) == 3
    assert not {c.run_id for c in first} & {c.run_id for c in second}
    assert {c.attempts for c in first + second} == {1}
    assert _claim(engine, mv, "w3") == []
    with session_scope(engine) as session:
        statuses = set(session.exec(select(Recording.status)).all())
        assert crud.count_runs_by_status(session=session, model_version_id=mv) == {"processing": 5}
    assert statuses == {RecordingStatus.PROCESSING}


def test_abandoned_claims_are_taken_over(engine: sa.Engine) -> None:
    mv = _setup(engine, n=2)
    crashed = _claim(engine, mv, "dead-worker")
    assert _claim(engine, mv, "w2") == []  # claims are fresh: not abandoned yet
    future = datetime.now(UTC) + timedelta(seconds=1)
    taken = _claim(engine, mv, "w2", stale=future)
    assert [c.run_id for c in taken] == [c.run_id for c in crashed]
    assert {c.attempts for c in taken} == {2}
    # The crashed worker, had it survived, can no longer write.
    with session_scope(engine) as session:
        assert not queue.save_results(
            session=session,
            run_id=crashed[0].run_id,
            worker="dead-worker",
            result=FakeResult(),
            labels=LABELS,
        )
        assert session.exec(select(WindowScore)).all() == []


def test_save_results_writes_everything_and_only_once(engine: sa.Engine) -> None:
    mv = _setup(engine, n=1)
    (claim,) = _claim(engine, mv)
    with session_scope(engine) as session:
        assert queue.save_results(
            session=session, run_id=claim.run_id, worker="w1", result=FakeResult(), labels=LABELS
        )
    with session_scope(engine) as session:
        assert not queue.save_results(
            session=session, run_id=claim.run_id, worker="w1", result=FakeResult(), labels=LABELS
        )
    with session_scope(engine) as session:
        windows = session.exec(select(WindowScore).order_by(WindowScore.start_s)).all()
        (event,) = session.exec(select(Detection)).all()
        run = session.get_one(DetectionRun, claim.run_id)
        recording = session.get_one(Recording, claim.recording_id)
    assert [(w.start_s, w.label, w.score, w.positive) for w in windows] == [
        (0.0, "Rana draytonii", 0.9, True),
        (10.0, "Rana draytonii", 0.7, True),
        (20.0, "Negative", 0.8, False),
    ]
    assert windows[0].scores == [0.9, 0.1] and windows[0].logits == [2.2, -2.2]
    assert (event.start_s, event.end_s, event.max_score, event.n_windows) == (0.0, 20.0, 0.9, 2)
    assert (run.status, run.prediction, run.times_heard) == (
        RecordingStatus.DONE,
        "Positive",
        "0-20",
    )
    assert (run.n_windows, run.n_events, run.finished_at is not None) == (3, 1, True)
    assert recording.status is RecordingStatus.DONE


def test_a_failed_write_leaves_nothing_behind(engine: sa.Engine) -> None:
    mv = _setup(engine, n=1)
    (claim,) = _claim(engine, mv)
    broken = FakeResult()
    broken.events.append(broken.events[0])  # the same event twice violates uniqueness
    with pytest.raises(sa.exc.IntegrityError), session_scope(engine) as session:
        queue.save_results(
            session=session, run_id=claim.run_id, worker="w1", result=broken, labels=LABELS
        )
    with session_scope(engine) as session:
        assert session.exec(select(WindowScore)).all() == []
        assert session.get_one(DetectionRun, claim.run_id).status is RecordingStatus.PROCESSING


def test_failures_keep_their_reason(engine: sa.Engine) -> None:
    mv = _setup(engine, n=1)
    (claim,) = _claim(engine, mv)
    with session_scope(engine) as session:
        assert queue.mark_run_failed(
            session=session, run_id=claim.run_id, worker="w1", error="x.wav: data cut short"
        )
    with session_scope(engine) as session:
        run = session.get_one(DetectionRun, claim.run_id)
        recording = session.get_one(Recording, claim.recording_id)
    assert (run.status, run.error) == (RecordingStatus.FAILED, "x.wav: data cut short")
    assert (recording.status, recording.error) == (RecordingStatus.FAILED, "x.wav: data cut short")
    assert _claim(engine, mv) == []


def test_released_claims_go_back_to_the_queue(engine: sa.Engine) -> None:
    mv = _setup(engine, n=2)
    claims = _claim(engine, mv, "w1")
    with session_scope(engine) as session:
        assert queue.list_claims(session=session, model_version_id=mv) == [
            (c.run_id, "w1") for c in claims
        ]
        # Only the holder's claims are released.
        assert queue.release_claims(session=session, claims=[(claims[0].run_id, "w2")]) == 0
        assert queue.release_claims(session=session, claims=[(c.run_id, "w1") for c in claims]) == 2
    again = _claim(engine, mv, "w2")
    assert [c.run_id for c in again] == [c.run_id for c in claims]
    assert {c.attempts for c in again} == {2}


def _score_all(engine: sa.Engine, model_version_id: int) -> None:
    """Claim and save a result for every pending recording of the model version."""
    for claim in _claim(engine, model_version_id):
        with session_scope(engine) as session:
            queue.save_results(
                session=session,
                run_id=claim.run_id,
                worker="w1",
                result=FakeResult(),
                labels=LABELS,
            )


def test_a_new_model_version_keeps_old_results_beside_new(engine: sa.Engine) -> None:
    old = _setup(engine, n=2)
    _score_all(engine, old)
    with session_scope(engine) as session:
        new = add_model_version(session, version="2.0", sha="b" * 64).id
        assert queue.enqueue_runs(session=session, model_version_id=new) == 2
    _score_all(engine, new)
    with session_scope(engine) as session:
        per_version = dict(
            session.exec(
                select(WindowScore.model_version_id, sa.func.count()).group_by(
                    WindowScore.model_version_id
                )
            ).all()
        )
    assert per_version == {old: 6, new: 6}


@pytest.mark.postgres
def test_concurrent_claims_skip_locked_rows(postgres_url: str) -> None:
    from db.session import get_engine

    engine = get_engine(postgres_url)
    mv = _setup(engine, n=4)
    first_holds = threading.Event()
    release_first = threading.Event()
    results: dict[str, list[queue.Claim]] = {}

    def first() -> None:
        with session_scope(engine) as session:
            results["first"] = queue.claim_runs(
                session=session, model_version_id=mv, worker="w1", limit=2, stale_before=LONG_AGO
            )
            first_holds.set()
            release_first.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    assert first_holds.wait(10)
    # While the first transaction still holds its rows, a second worker neither waits nor
    # takes them: with a blocking lock (FOR UPDATE without SKIP LOCKED) it would wait until
    # the first one lets go, which here is only after the second has answered.
    second_done = threading.Event()

    def second() -> None:
        results["second"] = _claim(engine, mv, "w2", limit=10)
        second_done.set()

    other = threading.Thread(target=second)
    other.start()
    answered = second_done.wait(5)
    release_first.set()
    thread.join(10)
    other.join(10)
    assert answered, "the second worker waited for the first one's locked rows"
    assert len(results["first"]) == 2 and len(results["second"]) == 2
    assert not {c.run_id for c in results["first"]} & {c.run_id for c in results["second"]}


def test_a_touched_claim_is_not_taken_over(engine: sa.Engine) -> None:
    mv = _setup(engine, n=1)
    (claim,) = _claim(engine, mv, "w1")
    cutoff = datetime.now(UTC)
    with session_scope(engine) as session:
        assert queue.touch_claim(session=session, run_id=claim.run_id, worker="w1")
        assert not queue.touch_claim(session=session, run_id=claim.run_id, worker="w2")
    # Renewed after `cutoff`: not abandoned at `cutoff`, as it would be without the touch.
    assert _claim(engine, mv, "w2", stale=cutoff) == []
