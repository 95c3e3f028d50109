"""Flow ``build-dataset``: clips, labels and split datafiles from folders, tables and reviews.

Sources, combinable: folders with one sub-folder per label, CSV or Raven selection tables,
and the stored reviews (confirmed detections as positives, rejected ones as hard negatives,
random windows of recordings detected Negative at ``negative_ratio``). Writes what
:func:`core.training.dataset.prepare_dataset` writes into ``out_dir``; a file that cannot
be cut is listed in ``summary.json`` and the others are kept.

It needs sources and an output folder, so it has no settings-only run: start it with
``ranawatch dataset build OUT_DIR --folder DIR [--table FILE] [--reviews]``
(``cli/dataset.py``, with a progress bar) or call :func:`build_dataset`.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from core.settings import get_settings
from core.training.config import DatasetConfig, load_config
from core.training.dataset import PreparedDataset, prepare_dataset
from core.training.examples import Example, examples_from_folders, examples_from_table
from db.model_versions import resolve_model_version
from db.session import get_engine, session_scope
from db.training import review_examples
from flows.tasks import db_task, io_task

FLOW_NAME = "build-dataset"


@io_task(name="read-sources")
def read_file_sources(folders: list[str], tables: list[str]) -> list[Example]:
    """Examples of the label folders and selection tables."""
    examples: list[Example] = []
    for folder in folders:
        examples += examples_from_folders(folder)
    for table in tables:
        examples += examples_from_table(table)
    return examples


def examples_from_reviews(
    database_url: str, model: str | None, cfg: DatasetConfig
) -> list[Example]:
    """Examples of the latest reviews (and random negative windows) of ``model`` (or all).

    Parameters
    ----------
    model
        ``NAME:VERSION`` or ``NAME`` (its newest version); ``None``: reviews of every model.

    Raises
    ------
    ConfigError
        ``model`` names no stored model version.
    """
    with session_scope(get_engine(database_url)) as session:
        version_id = resolve_model_version(session=session, model=model).id if model else None
        return review_examples(
            session=session,
            model_version_id=version_id,
            negative_label=cfg.negative_label,
            negative_ratio=cfg.negative_ratio,
            clip_s=cfg.clip_s,
            seed=cfg.seed,
        )


@db_task(name="read-reviews")
def read_review_sources(database_url: str, model: str | None, cfg: DatasetConfig) -> list[Example]:
    """Examples of the latest reviews (and random negative windows)."""
    return examples_from_reviews(database_url, model, cfg)


@task(name="cut-and-split", cache_policy=NONE)
def cut_and_split(examples: list[Example], out_dir: str, cfg: DatasetConfig) -> PreparedDataset:
    """Cut the clips, split them and write the datafiles."""
    return prepare_dataset(examples, out_dir, cfg)


@flow(name=FLOW_NAME)
def build_dataset(
    out_dir: str,
    folders: list[str] | None = None,
    tables: list[str] | None = None,
    from_reviews: bool = False,
    model: str | None = None,
    config: str | None = None,
    database_url: str | None = None,
) -> dict:
    """Build a training data set.

    Parameters
    ----------
    out_dir
        Folder for clips, ``labels.csv``, datafiles and summary.
    folders, tables
        Label folders (``<folder>/<label>/*.wav``) and CSV/Raven selection tables.
    from_reviews
        Add the stored reviews; ``model`` (``NAME:VERSION``) limits them to one version.
    config
        A :class:`~core.training.config.DatasetConfig` YAML (default settings otherwise).
    database_url
        Default: the configured database.

    Returns
    -------
    dict
        The summary (clips per label per split, recordings, sites, skipped files).

    Raises
    ------
    DatasetError
        No source gave an example, or no clip could be cut.
    """
    log = get_run_logger()
    cfg = load_config(DatasetConfig, config)
    examples = read_file_sources(list(folders or []), list(tables or []))
    if from_reviews:
        url = database_url or get_settings().resolved_database_url
        examples += read_review_sources(url, model, cfg)
    log.info(
        "%d examples from %d folders, %d tables%s",
        len(examples),
        len(folders or []),
        len(tables or []),
        " and the reviews" if from_reviews else "",
    )
    prepared = cut_and_split(examples, out_dir, cfg)
    create_markdown_artifact(_markdown(prepared), key="dataset-summary", description="Data set")
    return prepared.summary | {"out_dir": str(Path(out_dir).resolve())}


def _markdown(prepared: PreparedDataset) -> str:
    s = prepared.summary
    rows = [
        "| split | " + " | ".join(s["labels"]) + " | recordings | sites |",
        "|---" * (len(s["labels"]) + 3) + "|",
    ]
    for split, counts in s["clips"].items():
        cells = " | ".join(str(counts[label]) for label in s["labels"])
        rows.append(f"| {split} | {cells} | {s['recordings'][split]} | {len(s['sites'][split])} |")
    skipped = (
        f"\n\n{len(prepared.skipped)} example(s) skipped, see summary.json."
        if prepared.skipped
        else ""
    )
    return f"# Data set {prepared.out_dir}\n\n" + "\n".join(rows) + skipped


if __name__ == "__main__":
    # No setting names the sources or an output folder: the command takes them.
    raise SystemExit("build-dataset needs sources: ranawatch dataset build OUT_DIR --folder DIR")
