"""``ranawatch ingest DIR [--site NAME]``: store new recordings, then score them, here and now.

Runs the ``ingest-recordings`` flow on DIR and then the ``detect-calls`` flow, in this
process, on the configured database (default: a SQLite file in the data folder, created on
first use). No Prefect server or worker is needed: Prefect runs a temporary one for the
duration of the command. Running it again only takes what is new.

Exit status: 0 when both flows ran (files that could not be read are stored as failed with
the reason, and listed by ``ranawatch list recordings --status failed``), 1 when a flow
could not run (no checkpoint, bad sites file, database unreachable: the message says what
to do), 2 for bad usage.
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from core.errors import RanaWatchError
from core.settings import Device, get_settings
from db.migrate import prepare_database


def register(app: typer.Typer) -> None:
    """Add the ``ingest`` command to the ``ranawatch`` app."""
    app.command("ingest")(ingest_command)


def ingest_command(
    folder: Path = typer.Argument(
        ...,
        exists=True,
        file_okay=False,
        dir_okay=True,
        resolve_path=True,
        help="Folder of recordings, searched recursively for *.wav / *.WAV files.",
        show_default=False,
    ),
    site: str | None = typer.Option(
        None, "--site", help="Put every new recording at this site (created when new)."
    ),
    sites_file: Path | None = typer.Option(
        None,
        "--sites-file",
        exists=True,
        dir_okay=False,
        help="YAML of sites, device deployments and folder rules (default RANAWATCH_SITES_FILE).",
    ),
    checkpoint: Path | None = typer.Option(
        None,
        "--checkpoint",
        exists=True,
        dir_okay=False,
        help="Model checkpoint .pth (default RANAWATCH_CHECKPOINT).",
    ),
    model_card: str | None = typer.Option(
        None, "--model-card", help="Model card YAML or preset name (default: the frog model)."
    ),
    device: Device | None = typer.Option(None, "--device", help="auto, cpu or cuda."),
    detect: bool = typer.Option(
        True, "--detect/--no-detect", help="Score the new recordings after storing them."
    ),
    settle_s: float = typer.Option(
        2.0, "--settle-s", min=0, help="Seconds between two looks that spot files still copying."
    ),
) -> None:
    """Store the new recordings found in FOLDER, then detect calls in them."""
    from flows.detect import detect_calls
    from flows.ingest import ingest_recordings

    _quiet_library_logs()
    url = get_settings().resolved_database_url
    try:
        prepare_database(url)
        stored = ingest_recordings(
            roots=[str(folder)],
            site=site,
            sites_file=str(sites_file) if sites_file else None,
            database_url=url,
            settle_s=settle_s,
        )
        typer.echo(_ingest_line(stored))
        if not detect:
            return
        scored = detect_calls(
            checkpoint=str(checkpoint) if checkpoint else None,
            model_card=model_card,
            device=device,
            database_url=url,
        )
        typer.echo(_detect_line(scored))
    except RanaWatchError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if stored["failed"] or scored["failed"]:
        typer.echo("unreadable files: ranawatch list recordings --status failed")


def _quiet_library_logs() -> None:
    # One "Finished in state Completed()" line per task and file, and one line per HTTP
    # request to the temporary Prefect server, drown the flows' own progress lines;
    # --verbose (DEBUG on the root logger) keeps them.
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in ("prefect.task_runs", "httpx", "alembic.runtime.migration"):
            logging.getLogger(name).setLevel(logging.WARNING)


def _ingest_line(counts: dict[str, int]) -> str:
    return (
        f"ingest: {counts['found']} new files: {counts['stored']} stored, "
        f"{counts['failed']} unreadable (stored as failed), {counts['duplicates']} copies of "
        f"stored recordings, {counts['still_copying']} still being copied"
    )


def _detect_line(counts: dict[str, int]) -> str:
    return (
        f"detect: {counts['done']} recordings scored, {counts['positive']} positive, "
        f"{counts['failed']} could not be scored"
    )
