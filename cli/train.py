"""``ranawatch train``: fine-tune an AST on a data set, evaluate it, register it.

``run`` trains with a progress bar (loss per step; loss and validation metrics per epoch),
resumes an interrupted run in the same output folder, evaluates the chosen model on the
test split (the full report of ``ranawatch evaluate``, written into the run folder) and
registers it as a model version; ``config`` prints the default settings (the original
recipe) as YAML. ``ranawatch evaluate`` evaluates and compares models on any labelled set.
Exit status 1 when the data set, config, checkpoint or device cannot be used.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from cli import common
from core.settings import get_settings

train_app = typer.Typer(help="Fine-tune AST models, report on the test split, register them.")


def register(app: typer.Typer) -> None:
    """Add the ``train`` command group to the ``ranawatch`` app."""
    app.add_typer(train_app, name="train")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@train_app.command("run")
def run_command(
    dataset: Path = typer.Argument(..., help="Data set folder (ranawatch dataset build)."),
    out: Path = typer.Argument(..., help="Folder for checkpoints, card, metrics, resume state."),
    config: Path | None = typer.Option(None, "--config", help="TrainConfig YAML."),
    device: str | None = typer.Option(None, "--device", help="auto, cpu or cuda."),
    register_version: bool = typer.Option(
        True, "--register/--no-register", help="Store the model as a model version."
    ),
    hop_s: float | None = typer.Option(
        None, "--hop-s", help="Hop detect will use (default RANAWATCH_HOP_S)."
    ),
) -> None:
    """Train on DATASET into OUT (continuing an interrupted run there)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from cli.evaluate import summary_lines
    from core.training.config import TrainConfig, load_config
    from core.training.evaluate import evaluate_checkpoint
    from core.training.report import TEST_METRICS_JSON, write_evaluation
    from core.training.trainer import TrainProgress, train

    console = Console()
    with common.user_errors(out):
        cfg = load_config(TrainConfig, config)
        if device is not None:
            cfg = TrainConfig.model_validate(cfg.model_dump() | {"device": device})
        columns = (
            TextColumn("epoch {task.fields[epoch]}"),
            BarColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as progress:
            bar = progress.add_task("train", total=None, epoch="-", loss="-")

            def show(p: TrainProgress) -> None:
                epoch = f"{p.epoch}/{p.epochs}"
                if p.validation is None:
                    progress.update(
                        bar, total=p.steps, completed=p.step, epoch=epoch, loss=f"{p.loss:.4f}"
                    )
                    return
                v = p.validation
                progress.console.print(
                    f"epoch {epoch}: train loss {p.loss:.4f}, validation loss {_fmt(v['loss'])}, "
                    f"AP {_fmt(v['average_precision'])}, ROC AUC {_fmt(v['roc_auc'])}, "
                    f"precision {_fmt(v['precision'])}, recall {_fmt(v['recall'])}"
                )

            result = train(
                cfg, dataset / "train.json", dataset / "validation.json", out, progress=show
            )
        with Progress(transient=True, console=console, disable=not console.is_terminal) as progress:
            bar = progress.add_task("scoring the test split", total=None)
            test = evaluate_checkpoint(
                result.card,
                result.checkpoint,
                dataset / "test.json",
                config=cfg.evaluation,
                device=cfg.device,
                batch_size=cfg.batch_size,
                progress=lambda done, total: progress.update(bar, completed=done, total=total),
            )
        files = write_evaluation(test, out, json_name=TEST_METRICS_JSON)
        console.print(
            f"chose {result.chosen}; on the test split ({test['counts']['clips']} clips):"
        )
        for line in summary_lines(test):
            console.print(line, highlight=False)
        for site, metrics in test["per_site"].items():
            console.print(
                f"  site {site}: AP {_fmt(metrics['average_precision'])} ({metrics['clips']} clips)"
            )
        console.print(f"model: {result.checkpoint} with card {result.card_path}")
        console.print(f"test report: {files.markdown}")
        if register_version:
            version_id = _register(result, dataset, test, hop_s)
            console.print(f"registered as model version {version_id}")


def _register(result, dataset: Path, test: dict, hop_s: float | None) -> int:
    from db import crud
    from db.migrate import prepare_database
    from db.session import get_engine, session_scope
    from flows.train import training_settings

    settings = get_settings()
    url = settings.resolved_database_url
    prepare_database(url)
    summary = json.loads((dataset / "summary.json").read_text(encoding="utf-8"))
    stored = training_settings(result, summary, test, hop_s or settings.hop_s)
    with session_scope(get_engine(url)) as session:
        version = crud.get_or_create_model_version(
            session=session,
            name=result.card.name,
            version=result.card.version,
            checkpoint_sha256=result.sha256,
            labels=list(result.card.labels),
            settings=stored,
        )
        return int(version.id)


@train_app.command("config")
def config_command() -> None:
    """Print the default TrainConfig (the original recipe) as YAML."""
    from core.training.config import TrainConfig, to_yaml

    typer.echo(to_yaml(TrainConfig()), nl=False)
