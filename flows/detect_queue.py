"""The detect flow's work-queue tasks: queue, claim, renew, store, fail, hand back.

Each task is one transaction of :mod:`db.queue` (on SQLite the claiming ones take the write
lock at once). A worker is ``host:pid:random``, so that claims left by a detect process of
this machine that has ended are recognised and handed back at the next run's start.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from core.model.events import RecordingResult
from db import crud, queue
from db.models import utcnow
from db.session import get_engine, session_scope
from flows.tasks import db_task


def worker_name() -> str:
    """A name for this detect process's claims: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@db_task(name="queue-recordings")
def queue_recordings(database_url: str, model_version_id: int) -> int:
    """Queue every readable recording this model version has not seen."""
    with session_scope(get_engine(database_url)) as session:
        return queue.enqueue_runs(session=session, model_version_id=model_version_id)


@db_task(name="count-waiting")
def count_waiting(database_url: str, model_version_id: int) -> int:
    """How many recordings wait for (or are being scored by) this model version."""
    with session_scope(get_engine(database_url)) as session:
        counts = crud.count_runs_by_status(session=session, model_version_id=model_version_id)
    return counts.get("pending", 0) + counts.get("processing", 0)


@db_task(name="recover-orphaned-claims")
def recover_orphaned_claims(database_url: str, model_version_id: int) -> int:
    """Hand back claims of detect processes on this machine that no longer exist."""
    with session_scope(get_engine(database_url), immediate=True) as session:
        claims = queue.list_claims(session=session, model_version_id=model_version_id)
        orphans = [(run_id, by) for run_id, by in claims if _is_dead_local_worker(by)]
        return queue.release_claims(session=session, claims=orphans)


@db_task(name="claim-recordings")
def claim_recordings(
    database_url: str, model_version_id: int, worker: str, limit: int, claim_timeout_s: float
) -> list[queue.Claim]:
    """Claim the next batch of recordings for this worker."""
    with session_scope(get_engine(database_url), immediate=True) as session:
        return queue.claim_runs(
            session=session,
            model_version_id=model_version_id,
            worker=worker,
            limit=limit,
            stale_before=utcnow() - timedelta(seconds=claim_timeout_s),
        )


@db_task(name="renew-claim")
def renew_claim(database_url: str, claim: queue.Claim, worker: str) -> bool:
    """Renew a claim just before scoring it; ``False`` if another worker took it over."""
    with session_scope(get_engine(database_url)) as session:
        return queue.touch_claim(session=session, run_id=claim.run_id, worker=worker)


@db_task(name="save-results", task_run_name="save {claim.path}")
def save_results(
    database_url: str, claim: queue.Claim, worker: str, result: RecordingResult, labels: list[str]
) -> bool:
    """Write window scores and events and mark the recording done, in one transaction."""
    with session_scope(get_engine(database_url)) as session:
        return queue.save_results(
            session=session, run_id=claim.run_id, worker=worker, result=result, labels=labels
        )


@db_task(name="mark-failed", task_run_name="mark failed {claim.path}")
def mark_failed(database_url: str, claim: queue.Claim, worker: str, error: str) -> bool:
    """Record why a recording could not be scored."""
    with session_scope(get_engine(database_url)) as session:
        return queue.mark_run_failed(
            session=session, run_id=claim.run_id, worker=worker, error=error
        )


@db_task(name="release-claims")
def release_claims(database_url: str, claims: list[queue.Claim], worker: str) -> int:
    """Hand unfinished claims back to the queue (the run is stopping early)."""
    with session_scope(get_engine(database_url)) as session:
        return queue.release_claims(session=session, claims=[(c.run_id, worker) for c in claims])


def _is_dead_local_worker(claimed_by: str) -> bool:
    """Whether a claim was made by a process of this machine that has ended."""
    host, _, rest = claimed_by.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
