"""``ranawatch dataset``: build a training data set from label folders, tables and reviews.

``build`` cuts the clips, splits them by recording (or site, night) and writes the AST
datafiles with a progress bar; ``config`` prints the default settings as YAML to start a
config file from. Exit status 1 when the sources or config cannot be used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli import common

if TYPE_CHECKING:
    from core.training.config import DatasetConfig
    from core.training.examples import Example

dataset_app = typer.Typer(help="Build training data sets (clips, labels, split datafiles).")


def register(app: typer.Typer) -> None:
    """Add the ``dataset`` command group to the ``ranawatch`` app."""
    app.add_typer(dataset_app, name="dataset")


@dataset_app.command("build")
def build_command(
    out: Path = typer.Argument(..., help="Folder to write the data set into."),
    folders: list[Path] = typer.Option(
        [], "--folder", help="Folder with one sub-folder of audio per label (repeatable)."
    ),
    tables: list[Path] = typer.Option(
        [], "--table", help="CSV (file,start_s,end_s,label[,site]) or Raven table (repeatable)."
    ),
    reviews: bool = typer.Option(
        False, "--reviews", help="Add the stored reviews (confirmed, rejected, random negatives)."
    ),
    model: str | None = typer.Option(
        None, "--model", metavar="NAME:VERSION", help="Only reviews of this model version."
    ),
    config: Path | None = typer.Option(None, "--config", help="DatasetConfig YAML."),
) -> None:
    """Cut clips from the sources, split them and write labels.csv and the datafiles."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from core.training.config import DatasetConfig, load_config
    from core.training.dataset import prepare_dataset
    from core.training.examples import examples_from_folders, examples_from_table

    console = Console()
    with common.user_errors():
        cfg = load_config(DatasetConfig, config)
        examples = [e for folder in folders for e in examples_from_folders(folder)]
        examples += [e for table in tables for e in examples_from_table(table)]
        if reviews:
            examples += _review_examples(model, cfg)
        with Progress(console=console, transient=True) as progress:
            bar = progress.add_task("cutting clips", total=len(examples) or 1)
            prepared = prepare_dataset(
                examples,
                out,
                cfg,
                progress=lambda done, total: progress.update(bar, completed=done),
            )
    summary = prepared.summary
    table = Table(title=f"data set {out}")
    for column in ["split", *summary["labels"], "recordings", "sites"]:
        table.add_column(column)
    for split, counts in summary["clips"].items():
        table.add_row(
            split,
            *(str(counts[label]) for label in summary["labels"]),
            str(summary["recordings"][split]),
            str(len(summary["sites"][split])),
        )
    console.print(table)
    for path, reason in prepared.skipped:
        typer.echo(f"skipped {path}: {reason}", err=True)


def _review_examples(model: str | None, cfg: DatasetConfig) -> list[Example]:
    from flows.dataset import examples_from_reviews

    # Reading reviews never creates a database: it must exist at the current schema.
    return examples_from_reviews(common.database_url(), model, cfg)


@dataset_app.command("config")
def config_command() -> None:
    """Print the default DatasetConfig as YAML (a starting point for --config)."""
    from core.training.config import DatasetConfig, to_yaml

    typer.echo(to_yaml(DatasetConfig()), nl=False)
