"""``ranawatch ingest DIR [--site NAME]``: store new recordings, then score them, here and now.

Runs the ``ingest-recordings`` flow on DIR and then the ``detect-calls`` flow, in this
process, on the configured database (default: a SQLite file in the data folder, created on
first use). No Prefect server or worker needs to be running. Running it again only takes
what is new or changed.

The database, the sites file, the model card and the checkpoint are checked before any
file is touched. Unless ``PREFECT_API_URL`` names a server, a temporary Prefect server runs
for the command (its log: ``<data_dir>/logs/prefect-server.log``) and stops with it, also
when the command is killed.

Exit status: 0 when both flows ran (files that could not be read are stored as failed with
the reason, and listed by ``ranawatch list recordings --status failed``), 1 when a flow
could not run (no checkpoint, bad sites file, database unreachable: one line says what to
do), 2 for bad usage.
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from cli import common
from cli.detect import summary_line
from core.settings import Device, get_settings
from db.sites import load_sites_file

logger = logging.getLogger("ranawatch")


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
        help="Folder of recordings, searched recursively for *.wav and *.flac files.",
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
    checkpoint: Path | None = common.CHECKPOINT_OPTION,
    model_card: str | None = common.MODEL_CARD_OPTION,
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

    common.quiet_library_logs()
    settings = get_settings()
    url = common.database_url(create=True)
    ckpt, card = common.model_files(checkpoint, model_card)
    chosen_device = device or settings.device
    sites = sites_file or settings.sites_file
    # Everything that can be wrong with the setup is said before a file is touched.
    with common.user_errors():
        if sites:
            load_sites_file(sites)
        if detect:
            how = (
                "pass --checkpoint PATH or set RANAWATCH_CHECKPOINT "
                "(or --no-detect to only store the recordings)"
            )
            logger.info("model %s", common.check_model(ckpt, card, chosen_device, how=how))
    with common.user_errors(), common.prefect_api():
        stored = ingest_recordings(
            roots=[str(folder)],
            site=site,
            sites_file=str(sites) if sites else None,
            database_url=url,
            settle_s=settle_s,
        )
        typer.echo(_ingest_line(stored))
        if not detect:
            return
        scored = detect_calls(
            checkpoint=ckpt, model_card=card, device=chosen_device, database_url=url
        )
        typer.echo(summary_line(scored))
    if stored["failed"] or scored["failed"]:
        typer.echo("unreadable files: ranawatch list recordings --status failed")
    if stored["skipped"]:
        typer.echo(
            f"{stored['skipped']} files not read (other formats, special files, links "
            "out of the folder): the log lines starting with 'skipped' say why"
        )


def _ingest_line(counts: dict[str, int]) -> str:
    line = (
        f"ingest: {counts['found']} new files: {counts['stored']} stored, "
        f"{counts['failed']} unreadable (stored as failed), {counts['duplicates']} copies of "
        f"stored recordings, {counts['still_copying']} still being copied"
    )
    if counts["changed"]:
        line += f", {counts['changed']} changed since stored (read and scored again)"
    return line
