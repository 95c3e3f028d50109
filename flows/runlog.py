"""Tasks every flow shares: the database check and the run log.

Each flow run checks that the database is at the current schema before touching it, opens
a ``run_log`` row when it starts and closes it with its counts when it ends (also when it
fails), so that the database itself tells what ran, when, and with what outcome.
"""

from __future__ import annotations

import logging
from typing import Any

from prefect import task
from prefect.cache_policies import NONE
from prefect.runtime import flow_run

from core.errors import RanaWatchError
from db import crud
from db.migrate import require_current_schema
from db.models import FlowStatus
from db.session import get_engine, session_scope

log = logging.getLogger(__name__)

# Database round trips may hit a restarting server or a busy SQLite file: retry those.
DB_RETRIES = 2
DB_RETRY_DELAY_S = 3


def transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Retry condition: retry I/O and database hiccups, never RanaWatch's own errors.

    A ConfigError or AudioError says something is wrong with the setup or the file; trying
    again cannot help and only delays the message.
    """
    return not isinstance(state.data, RanaWatchError)


@task(
    name="check-database",
    retries=DB_RETRIES,
    retry_delay_seconds=DB_RETRY_DELAY_S,
    retry_condition_fn=transient_only,
)
def check_database(database_url: str) -> None:
    """Fail early, with what to do, when the database is not at the current schema."""
    require_current_schema(database_url)


@task(
    name="open-run-log",
    retries=DB_RETRIES,
    retry_delay_seconds=DB_RETRY_DELAY_S,
    cache_policy=NONE,
)
def open_run_log(database_url: str, flow: str) -> int:
    """Record that a flow run started; returns the run-log id."""
    run_id = flow_run.get_id()
    with session_scope(get_engine(database_url)) as session:
        entry = crud.start_run_log(session=session, flow=flow, flow_run_id=run_id)
        assert entry.id is not None
        return entry.id


@task(
    name="close-run-log",
    retries=DB_RETRIES,
    retry_delay_seconds=DB_RETRY_DELAY_S,
    cache_policy=NONE,
)
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
