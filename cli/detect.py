"""``ranawatch detect``: score every stored recording the current model version has not scored.

Runs the ``detect-calls`` flow in this process on the configured database (it must exist:
``ranawatch ingest`` or ``ranawatch db upgrade`` creates it). What ``ranawatch ingest
--no-detect`` stored, what a crashed run left, and everything again for a new model version
is scored; a recording is never scored twice by one model version.

The database, the model card and the checkpoint are checked before the queue is touched.
Unless ``PREFECT_API_URL`` names a server, a temporary Prefect server runs for the command
(its log: ``<data_dir>/logs/prefect-server.log``) and stops with it.

Exit status: 0 when the flow ran (recordings that could not be scored are stored as failed
with the reason), 1 when it could not run (no checkpoint, database missing or unreachable:
one line says what to do), 2 for bad usage.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import typer

from cli import common
from core.settings import Device, get_settings

logger = logging.getLogger("ranawatch")


def register(app: typer.Typer) -> None:
    """Add the ``detect`` command to the ``ranawatch`` app."""
    app.command("detect")(detect_command)


def detect_command(
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="Stop after this many recordings (default: all waiting)."
    ),
    claim_size: int | None = typer.Option(
        None, "--claim-size", min=1, help="Recordings claimed at a time (default 8)."
    ),
    checkpoint: Path | None = common.CHECKPOINT_OPTION,
    model_card: str | None = common.MODEL_CARD_OPTION,
    device: Device | None = typer.Option(None, "--device", help="auto, cpu or cuda."),
    bf16: bool | None = typer.Option(
        None, "--bf16/--no-bf16", help="bf16 autocast on CUDA (default RANAWATCH_BF16)."
    ),
    batch_size: int | None = typer.Option(
        None,
        "--batch-size",
        min=1,
        help="Windows per forward pass (default RANAWATCH_BATCH_SIZE).",
    ),
    hop_s: float | None = typer.Option(
        None,
        "--hop-s",
        callback=common.positive("--hop-s"),
        help="Seconds between window starts (default RANAWATCH_HOP_S).",
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", metavar="URL", help="Default: the configured database."
    ),
) -> None:
    """Score the stored recordings the model has not scored yet."""
    from flows.detect import detect_calls

    common.quiet_library_logs()
    url = common.database_url(database_url)
    ckpt, card = common.model_files(checkpoint, model_card)
    chosen_device = device or get_settings().device
    with common.user_errors():
        logger.info("model %s", common.check_model(ckpt, card, chosen_device))
    # Only what was given: the flow's own defaults (and the settings) decide the rest.
    given: dict[str, Any] = {
        "limit": limit,
        "claim_size": claim_size,
        "bf16": bf16,
        "window_batch_size": batch_size,
        "hop_s": hop_s,
    }
    options = {name: value for name, value in given.items() if value is not None}
    with common.user_errors(), common.prefect_api():
        scored = detect_calls(
            checkpoint=ckpt, model_card=card, device=chosen_device, database_url=url, **options
        )
    typer.echo(summary_line(scored))
    if scored["failed"]:
        typer.echo("could not be scored: ranawatch list recordings --status failed")


def summary_line(counts: dict[str, int]) -> str:
    """One line of what a ``detect-calls`` run did (``ingest`` prints it too)."""
    line = (
        f"detect: {counts['done']} recordings scored, {counts['positive']} positive, "
        f"{counts['failed']} could not be scored"
    )
    if counts.get("lost_claims"):
        line += f", {counts['lost_claims']} taken over by another worker"
    return line
