"""``ranawatch dashboard``: serve the dashboard; ``ranawatch hash-password``: a reviewer hash.

The dashboard reads the database and writes only reviews; it never creates a database.
Exit status: 0 after Ctrl-C, 1 when the server cannot start (e.g. the port is taken), 2 for
bad usage. In production run it under gunicorn (``gunicorn dashboard.wsgi:server``), as the
docker-compose ``dashboard`` service does.
"""

from __future__ import annotations

import typer

from core.settings import get_settings
from db.session import redact_url


def register(app: typer.Typer) -> None:
    """Add the ``dashboard`` and ``hash-password`` commands to the ``ranawatch`` app."""
    app.command("dashboard")(dashboard_command)
    app.command("hash-password")(hash_password_command)


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
    """Serve the dashboard (overview, temperature, map, review, devices, reports)."""
    # Imported here so that other commands do not wait for Dash to load.
    from dashboard.app import create_app

    url = database_url or get_settings().resolved_database_url
    typer.echo(f"Dashboard for {redact_url(url)} at http://{host}:{port}/ (Ctrl-C stops it)")
    try:
        create_app(url).run(host=host, port=port, debug=False)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        typer.echo(f"error: cannot serve on {host}:{port}: {exc}", err=True)
        raise typer.Exit(1) from exc


def hash_password_command(
    name: str = typer.Argument(..., help="The reviewer's name, as reviews will record it."),
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="The password (asked for when not given).",
    ),
) -> None:
    """Print a reviewer account for RANAWATCH_DASHBOARD_REVIEWERS (NAME=HASH)."""
    from dashboard.auth import hash_password

    if "," in name or "=" in name or not name.strip():
        typer.echo("error: a reviewer name must not be empty or hold ',' or '='", err=True)
        raise typer.Exit(2)
    typer.echo(f"{name.strip()}={hash_password(password)}")
