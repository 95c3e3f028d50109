"""The run log every flow keeps: checked database, opened row, closed row.

Each flow run checks that the database is at the current schema before touching it, opens
a ``run_log`` row when it starts and closes it with its counts when it ends (also when it
fails), so that the database itself tells what ran, when, and with what outcome. A flow
writes that once::

    with run_log(url, FLOW_NAME) as run:
        ...
        run.counts["stored"] += 1
        run.finish(summary, message="3 stored")
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from prefect.runtime import flow_run

from db import crud
from db.migrate import require_current_schema
from db.models import FlowStatus
from db.session import get_engine, session_scope
from flows.tasks import db_task

log = logging.getLogger(__name__)


@db_task(name="check-database")
def check_database(database_url: str) -> None:
    """Fail early, with what to do, when the database is not at the current schema."""
    require_current_schema(database_url)


@db_task(name="open-run-log")
def open_run_log(database_url: str, flow: str) -> int:
    """Record that a flow run started; returns the run-log id."""
    run_id = flow_run.get_id()
    with session_scope(get_engine(database_url)) as session:
        entry = crud.start_run_log(session=session, flow=flow, flow_run_id=run_id)
        assert entry.id is not None
        return entry.id


@db_task(name="close-run-log")
def close_run_log(
    database_url: str,
    run_log_id: int,
    counts: dict[str, int],
    *,
    error: str | None = None,
    message: str | None = None,
) -> None:
    """Record how a flow run ended: completed with its counts, or failed with the reason."""
    status = FlowStatus.FAILED if error else FlowStatus.COMPLETED
    with session_scope(get_engine(database_url), immediate=True) as session:
        crud.finish_run_log(
            session=session,
            run_log_id=run_log_id,
            status=status,
            counts=counts,
            message=error or message,
        )


@dataclass
class RunLogEntry:
    """What a running flow will write into its run-log row when it ends."""

    counts: Counter[str] = field(default_factory=Counter)
    message: str | None = None
    error: str | None = None

    def finish(
        self, counts: Mapping[str, int], *, message: str | None = None, error: str | None = None
    ) -> None:
        """Set the final counts, and the message (or the reason the run failed)."""
        self.counts = Counter(counts)
        self.message, self.error = message, error


@contextmanager
def run_log(
    database_url: str, flow: str, *, on_error: Callable[[], object] | None = None
) -> Iterator[RunLogEntry]:
    """Check the database, open a run-log row, and close it however the block ends.

    The row is closed ``completed`` with the entry's counts and message, ``failed`` with the
    entry's ``error`` when the flow set one, or ``failed`` with the exception that left the
    block (which is raised on). ``on_error`` runs first in that last case (detect hands its
    unfinished claims back there).

    Raises
    ------
    ConfigError
        The database is not at the current schema (nothing is written then).
    """
    check_database(database_url)
    run_log_id = open_run_log(database_url, flow)
    entry = RunLogEntry()
    try:
        yield entry
    except BaseException as exc:
        try:
            if on_error is not None:
                on_error()
        finally:
            close_run_log(
                database_url,
                run_log_id,
                dict(entry.counts),
                error=f"{type(exc).__name__}: {exc}",
            )
        raise
    close_run_log(
        database_url, run_log_id, dict(entry.counts), error=entry.error, message=entry.message
    )
