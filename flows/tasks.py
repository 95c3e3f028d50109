"""Task options every flow shares: which failures are retried, and how often.

Database round trips and file reads may hit a restarting server, a busy SQLite file or a
drive that hiccups: those are retried. RanaWatch's own errors (a ConfigError, an AudioError)
say that something is wrong with the setup or the file; trying again cannot help and only
delays the message.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from prefect import task
from prefect.cache_policies import NONE

from core.errors import RanaWatchError

DB_RETRIES = 2
DB_RETRY_DELAY_S = 3
IO_RETRIES = 2
IO_RETRY_DELAY_S = 2


# OS errors that say how things are, not that something hiccupped: asking again is useless.
_PERMANENT_OS_ERRORS = (
    FileNotFoundError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
    FileExistsError,
)


def transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Retry condition: retry I/O and database hiccups, never RanaWatch's own errors.

    Prefect hands the failed state with the exception as its ``data``. Not retried:
    RanaWatch's errors (the setup or the file is wrong), a missing or forbidden file,
    and errors of the code itself (``ValueError``, ``OverflowError``, ...).
    """
    exc = state.data
    if isinstance(exc, RanaWatchError | _PERMANENT_OS_ERRORS):
        return False
    return isinstance(exc, OSError | TimeoutError | sa.exc.OperationalError | sa.exc.InterfaceError)


# A task that talks to the database: a few retries for hiccups, no result caching (every
# call must really read or write).
db_task = task(
    retries=DB_RETRIES,
    retry_delay_seconds=DB_RETRY_DELAY_S,
    cache_policy=NONE,
    retry_condition_fn=transient_only,
)

# A task that reads files: the same, with a shorter pause.
io_task = task(
    retries=IO_RETRIES,
    retry_delay_seconds=IO_RETRY_DELAY_S,
    cache_policy=NONE,
    retry_condition_fn=transient_only,
)
