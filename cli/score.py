"""``ranawatch score``: run the AST detector over one recording and print every window."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli import common
from core.model.card import load_model_card
from core.settings import Device, get_settings

if TYPE_CHECKING:
    from core.model.events import RecordingResult

logger = logging.getLogger(__name__)


def score(
    file: Path = typer.Argument(..., help="WAV recording to score.", dir_okay=False),
    checkpoint: Path | None = typer.Option(
        None, "--checkpoint", "-c", help="AST checkpoint (.pth); default RANAWATCH_CHECKPOINT."
    ),
    model_card: str | None = typer.Option(
        None,
        "--model-card",
        "-m",
        help="Preset name (rana_draytonii, rana_three_class, audioset) or YAML file; "
        "default RANAWATCH_MODEL_CARD, else rana_draytonii.",
    ),
    hop_s: float | None = typer.Option(
        None,
        "--hop-s",
        help="Seconds between window starts (default 10).",
        callback=common.positive("--hop-s"),
    ),
    batch_size: int | None = typer.Option(
        None,
        "--batch-size",
        min=1,
        help="Windows per forward pass "
        "(default RANAWATCH_BATCH_SIZE, else 4 on a CPU, 64 on a GPU).",
    ),
    device: Device | None = typer.Option(
        None, "--device", help="auto (cuda when present), cpu or cuda."
    ),
    bf16: bool | None = typer.Option(
        None, "--bf16/--no-bf16", help="bf16 autocast (faster; scores differ slightly)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="One JSON object per window, then one for the recording."
    ),
) -> None:
    """Score FILE in 10-second windows and say when the target species was heard.

    --json: one JSON object per window (start_s, end_s, logits, scores, label),
    then one for the recording (prediction, times_heard, events, model version).
    """
    settings = get_settings()
    with common.user_errors():
        # torch and timm load here, not when any other `ranawatch` command starts
        from core.model.detector import build_detector

        card = load_model_card(model_card or settings.model_card)
        detector = build_detector(
            card,
            checkpoint or settings.checkpoint,
            device=device or settings.device,
            bf16=settings.bf16 if bf16 is None else bf16,
            samplerate_range_hz=(settings.min_samplerate_hz, settings.max_samplerate_hz),
        )
        result = detector.score_file(
            file,
            hop_s=hop_s or settings.hop_s,
            batch_size=batch_size or settings.batch_size,
        )
    if as_json:
        _print_json(result, card.labels)
    else:
        _print_text(result, card.labels)


def _print_json(result: RecordingResult, labels: list[str]) -> None:
    for w in result.windows:
        typer.echo(
            json.dumps(
                {
                    "start_s": w.start_s,
                    "end_s": w.end_s,
                    "logits": w.logits,
                    "scores": w.scores,
                    "label": w.label,
                    "positive": w.positive,
                }
            )
        )
    summary = {
        "path": str(result.path),
        "duration_s": result.duration_s,
        "n_windows": len(result.windows),
        "prediction": result.prediction,
        "times_heard": result.times_heard,
        "events": [
            {
                "start_s": e.start_s,
                "end_s": e.end_s,
                "label": e.label,
                "max_score": e.max_score,
                "mean_score": e.mean_score,
                "n_windows": e.n_windows,
            }
            for e in result.events
        ],
        "labels": labels,
        "model": {
            "name": result.model_name,
            "version": result.model_version,
            "checkpoint_sha256": result.checkpoint_sha256,
        },
    }
    typer.echo(json.dumps(summary))


def _print_text(result: RecordingResult, labels: list[str]) -> None:
    typer.echo(f"{result.path}  ({result.duration_s:.2f} s)")
    typer.echo(f"{'window (s)':>16}  " + "  ".join(f"{label[:16]:>16}" for label in labels))
    for w in result.windows:
        mark = f"  <- {w.label}" if w.positive else ""
        span = f"{w.start_s:.1f}-{w.end_s:.1f}"
        typer.echo(f"{span:>16}  " + "  ".join(f"{s:>16.3f}" for s in w.scores) + mark)
    typer.echo(f"Prediction: {result.prediction}")
    typer.echo(f"Times Heard: {result.times_heard}")
    sha = (result.checkpoint_sha256 or "-")[:16]
    typer.echo(f"Model: {result.model_name} {result.model_version} (sha256 {sha})")


def register(app: typer.Typer) -> None:
    """Add ``score`` to the ``ranawatch`` command."""
    app.command("score")(score)
