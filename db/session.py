"""Engines and sessions.

:func:`get_engine` returns one cached engine per URL. SQLite engines run in WAL mode (readers
never block the writer), enforce foreign keys, wait for a busy database instead of failing at
once, and let SQLAlchemy emit ``BEGIN`` itself so that transactions are real (the ``sqlite3``
driver's legacy mode does not begin a transaction before a SELECT). ``session_scope(...,
immediate=True)`` takes SQLite's write lock at ``BEGIN`` (``BEGIN IMMEDIATE``): the
single-writer transaction that detect uses to claim work. On PostgreSQL it changes nothing;
there, row locks (``FOR UPDATE SKIP LOCKED``) do that job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlmodel import Session

log = logging.getLogger(__name__)

# How long a SQLite connection waits for another writer before giving up, in ms.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def default_database_url() -> str:
    """The configured database URL (``RANAWATCH_DATABASE_URL`` or the SQLite default)."""
    from core.settings import get_settings

    return get_settings().resolved_database_url


def redact_url(url: str) -> str:
    """``url`` with any password masked, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


@lru_cache(maxsize=16)
def get_engine(url: str | None = None) -> sa.Engine:
    """Return the engine for ``url`` (default: the configured database), built once.

    Parameters
    ----------
    url
        SQLAlchemy URL: ``sqlite:///path/to/ranawatch.db`` or
        ``postgresql+psycopg://user:password@host:5432/dbname``. ``None``: the settings.

    Returns
    -------
    sqlalchemy.Engine
        Shared by every caller in this process for the same URL.
    """
    url = url or default_database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy emits BEGIN itself (see _sqlite_on_begin); the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # Durable at every checkpoint and safe against corruption in WAL mode.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: sa.Connection) -> None:
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def session_scope(engine: sa.Engine | None = None, *, immediate: bool = False) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back if it raises.

    Parameters
    ----------
    engine
        Default: :func:`get_engine` for the configured database.
    immediate
        On SQLite, take the write lock when the transaction begins, so that a
        read-then-write (a claim) cannot interleave with another writer. No effect on
        PostgreSQL.

    Yields
    ------
    sqlmodel.Session
        Objects stay readable after the block (``expire_on_commit=False``).
    """
    engine = engine or get_engine()
    if immediate and engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_immediate=True)
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
