"""The dashboard's way into the database: read only, and never creating one.

Pages call :func:`reading` for a session on the app's database. Before anything connects it
checks that the database exists and is at this version's schema: a SQLite path that does
not exist is reported with the fix instead of being created (SQLite would create an empty
file on first connect), and so is a database never migrated or one that does not answer.
The queries themselves live in :mod:`db.dashboard` and :mod:`db.dashboard_events`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.engine import make_url
from sqlmodel import Session

from core.errors import ConfigError
from db.dashboard import Scope, default_model
from db.migrate import require_current_schema
from db.session import get_engine, redact_url

logger = logging.getLogger(__name__)

# Flask config key holding the database URL the app was created for.
DATABASE_URL_KEY = "RANAWATCH_DATABASE_URL"
DATABASE_ERRORS: tuple[type[Exception], ...] = (sa.exc.SQLAlchemyError, OSError)


class Unavailable(Exception):
    """The database cannot be read; the message says why and what to do."""


def app_url() -> str:
    """The database URL of the running app (inside a request or app context)."""
    if not has_app_context():
        raise RuntimeError("dashboard.data needs the app's context (a request)")
    return current_app.config[DATABASE_URL_KEY]


def app_engine() -> sa.Engine:
    """The engine of the app's database (checked with :func:`database_problem` first)."""
    return get_engine(app_url())


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for other databases and in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def database_problem(url: str) -> str | None:
    """Why the database at ``url`` cannot be shown, with the fix; ``None`` when it can."""
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        return (
            f"There is no database at {path}. Create it with `ranawatch db upgrade` and fill it "
            "with `ranawatch ingest FOLDER`, or point the dashboard at yours "
            "(RANAWATCH_DATABASE_URL or `ranawatch dashboard --database-url URL`)."
        )
    try:
        require_current_schema(url)
    except ConfigError as exc:
        return f"The database is not ready: {exc}."
    except DATABASE_ERRORS as exc:
        logger.warning("database %s does not answer: %s", redact_url(url), exc)
        return (
            f"The database {redact_url(url)} does not answer: check that it is running and "
            "that the URL is right."
        )
    return None


# A database found ready is not asked again for this long (seconds): reading the migration
# scripts to know the newest revision costs more than most of a page's queries. A database
# that stops answering meanwhile still fails its queries (Unavailable).
READY_FOR_S = 30.0
_ready_at: dict[str, float] = {}


def _usable_url() -> str:
    """The app's database URL, or :class:`Unavailable` saying what is wrong with it."""
    url = app_url()
    if time.monotonic() - _ready_at.get(url, -READY_FOR_S) < READY_FOR_S:
        return url
    problem = database_problem(url)
    if problem:
        _ready_at.pop(url, None)
        raise Unavailable(problem)
    _ready_at[url] = time.monotonic()
    return url


@contextmanager
def reading() -> Iterator[Session]:
    """A read-only session on the app's database.

    Raises
    ------
    Unavailable
        The database is missing, unmigrated or down, or a query failed.
    """
    url = _usable_url()
    try:
        with Session(get_engine(url)) as session:
            _tune(session)
            yield session
            session.rollback()
    except DATABASE_ERRORS as exc:
        logger.warning("dashboard query failed: %s", exc)
        raise Unavailable(
            f"The database could not be read ({type(exc).__name__}); /health says more."
        ) from exc


# The dashboard's queries are short sums over many rows, where PostgreSQL's JIT compiler
# (used above a cost the row estimates of a minute series easily pass) spent seconds
# compiling for milliseconds of work; and their hash tables stay in memory.
POSTGRES_READ_SETTINGS = {"jit": "off", "work_mem": "32MB"}


def _tune(session: Session) -> None:
    """Settings of this read transaction only (``SET LOCAL``), on PostgreSQL."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for name, value in POSTGRES_READ_SETTINGS.items():
        session.execute(sa.text(f"SET LOCAL {name} = '{value}'"))


def parse_day(text: str | None) -> date | None:
    """A date from the date picker (``YYYY-MM-DD``, maybe with a time), else ``None``."""
    if not text:
        return None
    return date.fromisoformat(str(text)[:10])


def build_scope(
    session: Session, sites: list[str] | str | None, start: str | None, end: str | None
) -> tuple[Scope, str]:
    """The page scope from the shared controls, with the model's ``name:version``."""
    model_id, labels, tag = default_model(session=session)
    chosen = (sites,) if isinstance(sites, str) else tuple(sites or ())
    first, last = parse_day(start), parse_day(end)
    if first and last and first > last:
        first, last = last, first
    scope = Scope(
        sites=chosen, date_from=first, date_to=last, model_version_id=model_id, target_labels=labels
    )
    return scope, tag


@contextmanager
def writing() -> Iterator[Session]:
    """One write transaction on the app's database (a review); commits when the block ends.

    Raises
    ------
    Unavailable
        The database is missing, unmigrated or down, or the write failed.
    """
    from db.session import session_scope

    url = _usable_url()
    try:
        with session_scope(get_engine(url)) as session:
            yield session
    except DATABASE_ERRORS as exc:
        logger.warning("dashboard write failed: %s", exc)
        raise Unavailable(f"The review could not be stored ({type(exc).__name__}).") from exc
