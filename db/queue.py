"""The detection work queue: one ``detection_runs`` row per (recording, model version).

Life of a run: :func:`enqueue_runs` adds a ``pending`` row for every readable recording the
model version has not seen; :func:`claim_runs` hands a batch to one worker (``processing``,
``claimed_by``, ``claimed_at``, ``attempts + 1``); :func:`save_results` writes the window
scores and events (as :mod:`db.results` lays them out) and marks the run ``done`` in the
caller's single transaction, or
:func:`mark_run_failed` records the reason. A claim that is older than a timeout (the worker
crashed or was killed) can be claimed again; :func:`release_claims` hands claims back.

Exactly once: on PostgreSQL the claim selects with ``FOR UPDATE SKIP LOCKED``, so concurrent
workers never take the same row; on SQLite the caller claims in a ``BEGIN IMMEDIATE``
transaction (``session_scope(immediate=True)``), so claims are serialised. Every write that
finishes a run is guarded by ``claimed_by = worker AND status = 'processing'``: a worker whose
claim was taken over writes nothing.

All functions are keyword-only, take ``session=`` and leave the transaction to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from db.activity_sums import refresh_recordings
from db.crud import insert_for
from db.models import Detection, DetectionRun, Recording, RecordingStatus, WindowScore, utcnow
from db.results import ResultLike, event_rows, window_rows

PENDING, PROCESSING = RecordingStatus.PENDING, RecordingStatus.PROCESSING
DONE, FAILED = RecordingStatus.DONE, RecordingStatus.FAILED


@dataclass(frozen=True)
class Claim:
    """A run handed to a worker: what to score, and how often it was tried before."""

    run_id: int
    recording_id: int
    path: str
    attempts: int


def enqueue_runs(*, session: Session, model_version_id: int) -> int:
    """Queue every readable recording that has no run for this model version yet.

    Returns
    -------
    int
        How many runs were added (0 when another worker queued them first).
    """
    already = select(DetectionRun.id).where(
        DetectionRun.recording_id == Recording.id,
        DetectionRun.model_version_id == model_version_id,
    )
    candidates = select(
        Recording.id,
        sa.literal(model_version_id),
        sa.literal(PENDING.value),
        sa.literal(0),
    ).where(Recording.readable, ~already.exists())
    stmt = (
        insert_for(session, DetectionRun)
        .from_select(["recording_id", "model_version_id", "status", "attempts"], candidates)
        .on_conflict_do_nothing(index_elements=["recording_id", "model_version_id"])
        .returning(DetectionRun.id)
    )
    return len(session.execute(stmt).all())


def claim_runs(
    *,
    session: Session,
    model_version_id: int,
    worker: str,
    limit: int,
    stale_before: datetime,
) -> list[Claim]:
    """Claim up to ``limit`` pending runs, or runs whose claim is older than ``stale_before``.

    Parameters
    ----------
    worker
        Who claims (``host:pid``), written to ``claimed_by``.
    limit
        Most runs to claim.
    stale_before
        Claims made before this time are considered abandoned and are taken over.

    Returns
    -------
    list[Claim]
        In recording order; empty when nothing is left.
    """
    now = utcnow()
    abandoned = sa.and_(DetectionRun.status == PROCESSING, DetectionRun.claimed_at < stale_before)  # type: ignore[operator]
    ids = session.exec(
        select(DetectionRun.id)
        .where(
            DetectionRun.model_version_id == model_version_id,
            sa.or_(DetectionRun.status == PENDING, abandoned),
        )
        .order_by(DetectionRun.id)  # type: ignore[arg-type]
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not ids:
        return []
    session.execute(
        sa.update(DetectionRun)
        .where(DetectionRun.id.in_(ids))  # type: ignore[union-attr]
        .values(
            status=PROCESSING,
            claimed_by=worker,
            claimed_at=now,
            attempts=DetectionRun.attempts + 1,
            error=None,
        )
    )
    rows = session.exec(
        select(DetectionRun.id, DetectionRun.recording_id, Recording.path, DetectionRun.attempts)
        .join(Recording, Recording.id == DetectionRun.recording_id)  # type: ignore[arg-type]
        .where(DetectionRun.id.in_(ids))  # type: ignore[union-attr]
        .order_by(DetectionRun.id)  # type: ignore[arg-type]
    ).all()
    _set_recording_status(session, [row[1] for row in rows], PROCESSING)
    return [Claim(run_id=r, recording_id=rec, path=path, attempts=n) for r, rec, path, n in rows]


def touch_claim(*, session: Session, run_id: int, worker: str) -> bool:
    """Renew a claim before long work on it, so it is not taken for abandoned meanwhile."""
    result = session.execute(_guarded_update(run_id, worker).values(claimed_at=utcnow()))
    return result.rowcount == 1  # type: ignore[attr-defined]


def save_results(
    *, session: Session, run_id: int, worker: str, result: ResultLike, labels: Sequence[str]
) -> bool:
    """Write a run's window scores and events, mark it done and recompute the sums of its
    recording's night (:mod:`db.activity_sums`), in one transaction: the caller's.

    Parameters
    ----------
    labels
        The model version's labels: the order ``scores``/``logits`` are stored in.

    Returns
    -------
    bool
        ``False`` (and nothing written) when ``worker`` no longer holds the claim.
    """
    finished = session.execute(
        _guarded_update(run_id, worker)
        .values(
            status=DONE,
            finished_at=utcnow(),
            error=None,
            prediction=result.prediction,
            times_heard=result.times_heard,
            n_windows=len(result.windows),
            n_events=len(result.events),
        )
        .returning(DetectionRun.recording_id, DetectionRun.model_version_id)
    ).one_or_none()
    if finished is None:
        return False
    recording_id, model_version_id = finished
    key = {"recording_id": recording_id, "model_version_id": model_version_id}
    if windows := [row | key for row in window_rows(result, labels)]:
        session.execute(sa.insert(WindowScore), windows)
    if events := [row | key for row in event_rows(result)]:
        session.execute(sa.insert(Detection), events)
    _set_recording_status(session, [recording_id], DONE)
    refresh_recordings(session=session, recording_ids=[recording_id])
    return True


def mark_run_failed(*, session: Session, run_id: int, worker: str, error: str) -> bool:
    """Mark a claimed run failed with its reason. ``False`` when the claim was lost."""
    failed = session.execute(
        _guarded_update(run_id, worker)
        .values(status=FAILED, finished_at=utcnow(), error=error)
        .returning(DetectionRun.recording_id)
    ).one_or_none()
    if failed is None:
        return False
    _set_recording_status(session, [failed[0]], FAILED, error=error)
    return True


def list_claims(*, session: Session, model_version_id: int) -> list[tuple[int, str]]:
    """``(run_id, claimed_by)`` of every run currently being processed for a model version."""
    rows = session.exec(
        select(DetectionRun.id, DetectionRun.claimed_by).where(
            DetectionRun.model_version_id == model_version_id, DetectionRun.status == PROCESSING
        )
    ).all()
    return [(run_id, str(by)) for run_id, by in rows]


def release_claims(*, session: Session, claims: Iterable[tuple[int, str]]) -> int:
    """Hand claimed runs back to the queue (``pending``), if still held by the same worker.

    Parameters
    ----------
    claims
        ``(run_id, claimed_by)`` pairs.

    Returns
    -------
    int
        How many runs went back to the queue.
    """
    released: list[int] = []
    for run_id, worker in claims:
        row = session.execute(
            _guarded_update(run_id, worker)
            .values(status=PENDING, claimed_by=None, claimed_at=None)
            .returning(DetectionRun.recording_id)
        ).one_or_none()
        if row is not None:
            released.append(row[0])
    _set_recording_status(session, released, PENDING)
    return len(released)


def _guarded_update(run_id: int, worker: str) -> sa.Update:
    return sa.update(DetectionRun).where(
        DetectionRun.id == run_id,
        DetectionRun.claimed_by == worker,
        DetectionRun.status == PROCESSING,
    )


def _set_recording_status(
    session: Session, recording_ids: list[int], status: RecordingStatus, error: str | None = None
) -> None:
    # The recording mirrors its latest run, so `list recordings` shows where each file is.
    if recording_ids:
        session.execute(
            sa.update(Recording)
            .where(Recording.id.in_(recording_ids))  # type: ignore[union-attr]
            .values(status=status, error=error)
        )
