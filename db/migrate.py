"""Schema migrations, run programmatically from the files shipped inside the package.

``ranawatch db upgrade`` calls :func:`upgrade`; it works from any working directory and
after a plain ``pip install``, because the Alembic script location is this package's
``migrations`` folder, not a path relative to the current directory.
"""

from __future__ import annotations

import logging
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


def current_revision(url: str | None = None) -> str | None:
    """The migration the database at ``url`` is at (``None``: empty or never migrated)."""
    # Read Alembic's version table directly: a MigrationContext would log two INFO lines
    # every time a flow or command checks the schema.
    with get_engine(url).connect() as connection:
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
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return current_revision(url)


def require_current_schema(url: str | None = None) -> None:
    """Fail early, with what to do, when the database is not at the current schema.

    Raises
    ------
    ConfigError
        The database is empty or at an older (or unknown) revision.
    """
    url = url or default_database_url()
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
