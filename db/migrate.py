"""Schema migrations, run programmatically from the files shipped inside the package.

``ranawatch db upgrade`` calls :func:`upgrade`; it works from any working directory and
after a plain ``pip install``, because the Alembic script location is this package's
``migrations`` folder, not a path relative to the current directory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from core.errors import ConfigError
from db.session import default_database_url, get_engine, redact_url

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
VERSION_TABLE = "alembic_version"


def alembic_config() -> Config:
    """The Alembic configuration of the packaged migrations."""
    config = Config(str(_HERE / "alembic.ini"))
    config.set_main_option("script_location", str(_HERE / "migrations"))
    return config


def head_revision() -> str:
    """The newest migration shipped with this version of RanaWatch."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations shipped"
    return head


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for other databases and in-memory SQLite)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def database_exists(url: str | None = None) -> bool:
    """Whether the database can be opened without creating it (SQLite: the file exists)."""
    path = sqlite_file(url or default_database_url())
    return path is None or path.is_file()


@contextmanager
def reachable(url: str) -> Iterator[None]:
    """Turn a database that cannot be reached into one line saying what to check.

    Raises
    ------
    ConfigError
        The server refused or did not answer, the password was wrong, the file cannot be
        opened (the driver's own first line is quoted).
    """
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ConfigError(
            f"cannot reach database {redact_url(url)}: {reason}; check that the server is "
            "running and RANAWATCH_DATABASE_URL"
        ) from exc


def current_revision(url: str | None = None) -> str | None:
    """The migration the database at ``url`` is at (``None``: empty, missing, never migrated).

    A SQLite file that does not exist is not created by asking.

    Raises
    ------
    ConfigError
        The database cannot be reached.
    """
    url = url or default_database_url()
    if not database_exists(url):
        return None
    # Read Alembic's version table directly: a MigrationContext would log two INFO lines
    # every time a flow or command checks the schema.
    with reachable(url), get_engine(url).connect() as connection:
        if not sa.inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def upgrade(url: str | None = None, revision: str = "head") -> str | None:
    """Bring the database at ``url`` up to ``revision`` (creating it if empty).

    Parameters
    ----------
    url
        Database URL; default: the configured database.
    revision
        Target revision (default the newest).

    Returns
    -------
    str or None
        The revision the database is at afterwards.
    """
    url = url or default_database_url()
    config = alembic_config()
    log.info("upgrading database %s to %s", redact_url(url), revision)
    # One connection and one transaction for all steps, as the Alembic cookbook shows for
    # programmatic use: DDL is transactional on SQLite and PostgreSQL.
    with reachable(url), get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return current_revision(url)


def require_current_schema(url: str | None = None) -> None:
    """Fail early, with what to do, when the database is not at the current schema.

    Raises
    ------
    ConfigError
        The database does not exist (a SQLite file is never created here), cannot be
        reached, is empty, or is at an older (or unknown) revision.
    """
    url = url or default_database_url()
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise ConfigError(
            f"no database at {path} yet: `ranawatch ingest FOLDER` creates it (or run "
            "`ranawatch db upgrade`); to use another one, set RANAWATCH_DATA_DIR or "
            "RANAWATCH_DATABASE_URL"
        )
    current, head = current_revision(url), head_revision()
    if current != head:
        raise ConfigError(
            f"database {redact_url(url)} is at schema revision {current or 'none (empty)'}, "
            f"this RanaWatch needs {head}: run `ranawatch db upgrade`"
        )


def prepare_database(url: str | None = None) -> None:
    """Make a database ready for a local command: migrate SQLite, check anything else.

    A local SQLite file is created and migrated on first use; a shared PostgreSQL is only
    migrated on purpose (``ranawatch db upgrade``), never as a side effect of a command
    such as ``ranawatch ingest`` or ``ranawatch serve``.

    Raises
    ------
    ConfigError
        A non-SQLite database that is not at the current schema.
    """
    url = url or default_database_url()
    if sa.make_url(url).get_backend_name() == "sqlite":
        upgrade(url)
    else:
        require_current_schema(url)
