"""``ranawatch db upgrade``: create or update the database schema.

Runs the Alembic migrations shipped inside the package, so it works from any folder and
after a plain ``pip install``. Safe to run again: an up-to-date database is left alone.
Exit status: 0 when the database is at the current schema, 1 when it cannot be reached or
migrated (the message says why), 2 for bad usage.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
import typer

from cli.common import user_errors
from core.settings import get_settings
from db.migrate import head_revision, upgrade
from db.session import redact_url

logger = logging.getLogger("ranawatch")

db_app = typer.Typer(
    name="db", help="The RanaWatch database (SQLite file or PostgreSQL).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the ``db`` command group to the ``ranawatch`` app."""
    app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade_command(
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="SQLAlchemy URL (default: RANAWATCH_DATABASE_URL, else <data_dir>/ranawatch.db).",
    ),
) -> None:
    """Create the tables, or bring an older database up to the current schema."""
    url = database_url or get_settings().resolved_database_url
    logger.info("database %s", redact_url(url))
    try:
        with user_errors():
            revision = upgrade(url)
    except sa.exc.SQLAlchemyError as exc:  # a migration the database refused: say why
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        typer.echo(f"error: cannot upgrade database {redact_url(url)}: {reason}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"database {redact_url(url)} is at schema revision {revision} (newest: {head_revision()})"
    )
