"""Flow ``train-model``: fine-tune on a prepared data set, evaluate on its test split, register.

Runs on the ``gpu`` pool (CPU works, slower). Trains with :func:`core.training.trainer.train`
into ``out_dir`` (resumable: a crashed run started again with the same ``out_dir`` continues
after its last finished epoch), evaluates the chosen model once on the test split, writes
the evaluation report into ``out_dir`` (``test_metrics.json``, ``report.md``,
``pr_curve.png``, ``score_histogram.png``), and registers the result as a model version
(name, version, labels, settings, checkpoint SHA-256, training data summary, metrics, the
run folder), so detect can run it with ``model.yaml`` and ``model.pth``, reports name it and
``ranawatch evaluate --model NAME:VERSION`` finds it.

It needs a data set and an output folder, so it has no settings-only run: start it with
``ranawatch train run DATASET_DIR OUT_DIR [--config train.yaml]`` (``cli/train.py``, with a
progress bar), as the deployment ``train-model/on-demand``, or call :func:`train_model`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from core.errors import ConfigError
from core.settings import get_settings
from core.training.config import TrainConfig, load_config
from core.training.evaluate import evaluate_checkpoint
from core.training.report import REPORT_MD, TEST_METRICS_JSON, write_evaluation
from core.training.trainer import TrainProgress, TrainResult, train
from db import crud
from db.model_versions import model_settings
from db.session import get_engine, session_scope
from flows.tasks import db_task

FLOW_NAME = "train-model"
# where training_settings keeps the run folder (model.yaml, model.pth), so that
# `ranawatch evaluate --model NAME:VERSION` finds the checkpoint
RUN_DIR_KEY = "run_dir"
_HEADLINE = ("average_precision", "roc_auc", "precision", "recall", "f1", "accuracy")


@task(name="fit-model", cache_policy=NONE)
def fit(config: TrainConfig, dataset_dir: str, out_dir: str) -> TrainResult:
    """Train (or resume) and choose the best model on validation."""
    log = get_run_logger()

    def progress(p: TrainProgress) -> None:
        if p.validation is not None:
            ap = p.validation.get("average_precision")
            log.info(
                "epoch %d/%d: loss %.4f, validation AP %s",
                p.epoch,
                p.epochs,
                p.loss,
                f"{ap:.3f}" if ap is not None else "-",
            )

    folder = Path(dataset_dir)
    return train(
        config, folder / "train.json", folder / "validation.json", out_dir, progress=progress
    )


@task(name="evaluate-test", cache_policy=NONE)
def evaluate_test(result: TrainResult, dataset_dir: str, config: TrainConfig) -> dict:
    """The chosen model's report on the held-out test split, written into the run folder."""
    report = evaluate_checkpoint(
        result.card,
        result.checkpoint,
        Path(dataset_dir) / "test.json",
        config=config.evaluation,
        device=config.device,
        batch_size=config.batch_size,
    )
    write_evaluation(report, result.out_dir, json_name=TEST_METRICS_JSON)
    return report


def training_settings(
    result: TrainResult, summary: dict, test: dict, hop_s: float
) -> dict[str, Any]:
    """What detect stores for this model, plus how it was trained and how well it did."""
    headline = {k: result.validation.get(k) for k in _HEADLINE}
    return model_settings(result.card, hop_s) | {
        "training": {
            RUN_DIR_KEY: str(Path(result.out_dir).resolve()),
            "chosen": result.chosen,
            "data": {k: summary.get(k) for k in ("labels", "clips", "recordings", "sites")},
            "validation": headline,
            "test": {k: (test.get("clips") or {}).get(k) for k in _HEADLINE},
        }
    }


@db_task(name="register-trained-model")
def register(database_url: str, result: TrainResult, settings: dict[str, Any]) -> int:
    """Store the trained model as a model version and return its id."""
    card = result.card
    with session_scope(get_engine(database_url)) as session:
        version = crud.get_or_create_model_version(
            session=session,
            name=card.name,
            version=card.version,
            checkpoint_sha256=result.sha256,
            labels=list(card.labels),
            settings=settings,
        )
        assert version.id is not None
        return version.id


@flow(name=FLOW_NAME)
def train_model(
    dataset_dir: str,
    out_dir: str,
    config: str | None = None,
    device: str | None = None,
    register_version: bool = True,
    hop_s: float | None = None,
    database_url: str | None = None,
) -> dict:
    """Train, evaluate on the test split, and register a model version.

    Parameters
    ----------
    dataset_dir
        A folder written by ``build-dataset`` (``train/validation/test.json``, ``labels.csv``).
    out_dir
        Checkpoints, card, metrics and the resume state.
    config
        A :class:`~core.training.config.TrainConfig` YAML (the original recipe otherwise).
    device
        Overrides the config's device (``auto``, ``cpu``, ``cuda``).
    register_version
        Store the result as a model version in the database.
    hop_s
        The hop detect will run the model with (default ``RANAWATCH_HOP_S``): part of the
        stored settings, so detect finds this version rather than refusing it.

    Returns
    -------
    dict
        ``checkpoint``, ``card``, ``sha256``, ``chosen``, ``validation`` and ``test`` AP,
        ``model_version_id`` (or ``None``).

    Raises
    ------
    TrainingError, DatasetError, ConfigError
        The data set, config or device cannot be used.
    """
    cfg = load_config(TrainConfig, config)
    if device is not None:
        cfg = TrainConfig.model_validate(cfg.model_dump() | {"device": device})
    summary_file = Path(dataset_dir) / "summary.json"
    if not summary_file.is_file():
        raise ConfigError(f"{dataset_dir}: no summary.json; build it with ranawatch dataset build")
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    result = fit(cfg, dataset_dir, out_dir)
    test = evaluate_test(result, dataset_dir, cfg)
    version_id = None
    if register_version:
        settings = get_settings()
        url = database_url or settings.resolved_database_url
        version_id = register(
            url, result, training_settings(result, summary, test, hop_s or settings.hop_s)
        )
    test_ap = test["clips"]["average_precision"]
    create_markdown_artifact(
        f"# {result.card.name} {result.card.version}\n\nchosen: {result.chosen}; validation AP "
        f"{result.validation.get('average_precision')}; test AP {test_ap}\n\n"
        f"checkpoint `{result.checkpoint}` (sha256 `{result.sha256[:12]}`); test report "
        f"`{result.out_dir / REPORT_MD}`",
        key="trained-model",
        description="Trained model",
    )
    return {
        "checkpoint": str(result.checkpoint),
        "card": str(result.card_path),
        "sha256": result.sha256,
        "chosen": result.chosen,
        "validation_average_precision": result.validation.get("average_precision"),
        "test_average_precision": test_ap,
        "model_version_id": version_id,
    }


if __name__ == "__main__":
    # No setting names a data set or an output folder: the command takes them.
    raise SystemExit("train-model needs a data set: ranawatch train run DATASET_DIR OUT_DIR")
