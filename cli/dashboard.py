"""``ranawatch dashboard``: serve the dashboard on this machine until Ctrl-C.

Reads the database, never writes it. Exit status: 0 after Ctrl-C, 1 when the server cannot
start (e.g. the port is taken), 2 for bad usage.
"""

from __future__ import annotations

import typer

from core.settings import get_settings
from db.session import redact_url


def register(app: typer.Typer) -> None:
    """Add the ``dashboard`` command to the ``ranawatch`` app."""
    app.command("dashboard")(dashboard_command)


def dashboard_command(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)."
    ),
    port: int = typer.Option(8050, "--port", min=1, max=65535, help="TCP port."),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="SQLAlchemy URL (default: RANAWATCH_DATABASE_URL, else <data_dir>/ranawatch.db).",
    ),
) -> None:
    """Serve the dashboard (calls per night, latest recordings) in the browser."""
    # Imported here so that other commands do not wait for Dash to load.
    from dashboard.app import create_app

    url = database_url or get_settings().resolved_database_url
    typer.echo(f"Dashboard for {redact_url(url)} at http://{host}:{port}/ (Ctrl-C stops it)")
    try:
        create_app(url).run(host=host, port=port, debug=False)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        typer.echo(f"error: cannot serve on {host}:{port}: {exc}", err=True)
        raise typer.Exit(1) from exc
