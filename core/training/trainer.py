"""Fine-tune an AST on prepared datafiles: resumable, on CPU or CUDA, the best model kept.

:func:`train` runs the configured epochs, each ending with a validation pass, and writes
under ``out_dir``::

    state.pt      everything needed to resume after a crash (model, optimiser, history,
                  best score, weight average), written atomically at the end of each epoch
    best.pth      the best epoch on validation, original layout (``module.`` keys)
    model.pth     the chosen model (the best epoch, or the late-epoch weight average when it
                  scores better on validation), original layout; model.yaml its model card
    metrics.json  metrics per epoch and of the chosen model
    train.yaml    the TrainConfig

Calling :func:`train` again with the same ``out_dir`` and config continues after the last
finished epoch; a finished run only writes its results again.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from core.audio.files import sha256_of
from core.errors import TrainingError
from core.model.card import ModelCard
from core.model.detector import resolve_device
from core.training.config import TrainConfig, save_config, to_yaml
from core.training.data import ClipDataset, targets_of
from core.training.datafile import labels_csv_for, read_datafile, read_labels_csv
from core.training.model import build_training_model, make_card, positive_labels
from core.training.resume import EpochRecord, ResumeState
from core.training.schedule import lr_factor
from core.training.scoring import (
    autocast,
    predict,
    selection_score,
    training_loss,
    validation_metrics,
)
from core.training.weights import original_state_dict, save_atomic

# Defined in their own modules since; importable from here as before.
__all__ = [
    "EpochRecord",
    "TrainProgress",
    "TrainResult",
    "build_training_model",
    "labels_csv_for",
    "make_card",
    "positive_labels",
    "predict",
    "selection_score",
    "train",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainProgress:
    """What the progress callback gets: after every step, and once per epoch with metrics."""

    epoch: int
    epochs: int
    step: int
    steps: int
    loss: float
    lr: float
    validation: dict | None = None  # set at the end of an epoch


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` made: the chosen checkpoint, its card, and the metrics."""

    checkpoint: Path
    card_path: Path
    card: ModelCard
    labels: list[str]
    chosen: str  # "epoch N" or "average of epochs A-B"
    validation: dict
    history: list[EpochRecord] = field(default_factory=list)
    out_dir: Path = Path(".")

    @property
    def sha256(self) -> str:
        """SHA-256 of the chosen checkpoint."""
        return self.card.checkpoint_sha256 or ""


def train(
    config: TrainConfig,
    train_datafile: str | Path,
    validation_datafile: str | Path,
    out_dir: str | Path,
    *,
    labels_csv: str | Path | None = None,
    progress: Callable[[TrainProgress], None] | None = None,
    resume: bool = True,
) -> TrainResult:
    """Train a model and save the best one on validation (see the module docstring).

    Parameters
    ----------
    config
        Model, optimiser, schedule, augmentation, device.
    train_datafile, validation_datafile
        Datafiles of the original AST format (``prepare_dataset`` writes them).
    out_dir
        Where checkpoints, card, metrics and the resume state go.
    labels_csv
        ``index,mid,display_name``; default the ``labels.csv`` beside the training datafile.
    progress
        Called with a :class:`TrainProgress` after each step and each epoch.
    resume
        Continue from ``out_dir/state.pt`` when it is there (else start over).

    Raises
    ------
    TrainingError
        Empty training set, labels that do not fit, or a saved state of another config.
    DatasetError
        A datafile or ``labels.csv`` cannot be read.
    ConfigError
        The device is not available.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    label_rows = read_labels_csv(labels_csv or labels_csv_for(Path(train_datafile)))
    mids, labels = [m for m, _ in label_rows], [n for _, n in label_rows]
    train_entries, val_entries = read_datafile(train_datafile), read_datafile(validation_datafile)
    if not train_entries:
        raise TrainingError(f"{train_datafile}: no training clips")
    device = resolve_device(config.device)
    model = build_training_model(config, labels).to(device)
    tdim = model.cfg.input_tdim
    train_set = ClipDataset(
        train_entries,
        targets_of(train_entries, mids),
        config.frontend,
        tdim,
        config.augment,
        config.seed,
    )
    val_set = ClipDataset(val_entries, targets_of(val_entries, mids), config.frontend, tdim)
    steps = -(-len(train_set) // config.batch_size)
    opt = config.optimizer
    optimizer = torch.optim.Adam(
        model.parameters(), lr=opt.lr, weight_decay=opt.weight_decay, betas=opt.betas
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, steps, config.epochs, config.schedule)
    )
    avg_from = config.epochs - config.average_last_epochs + 1
    # where it runs, and how it is evaluated afterwards, do not change what is trained: a run
    # may resume on another device or with other report settings
    recipe = to_yaml(
        config.model_copy(update={"device": "auto", "num_workers": 0}), exclude={"evaluation"}
    )
    state = ResumeState(out / "state.pt", recipe, labels)
    start = state.load(model, optimizer, scheduler) if resume else 1
    save_config(config, out / "train.yaml")
    for epoch in range(start, config.epochs + 1):
        model.train()
        train_set.set_epoch(epoch)
        order = torch.Generator().manual_seed(config.seed * 1_000_003 + epoch)
        loader = DataLoader(
            train_set,
            batch_size=config.batch_size,
            shuffle=True,
            generator=order,
            num_workers=config.num_workers,
        )
        losses = []
        for step, (x, y) in enumerate(loader, start=1):
            with autocast(device, config.bf16):
                loss = training_loss(config, model(x.to(device)).float(), y.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(float(loss.detach()))
            if progress:
                progress(
                    TrainProgress(
                        epoch,
                        config.epochs,
                        step,
                        steps,
                        float(np.mean(losses)),
                        scheduler.get_last_lr()[0],
                    )
                )
        metrics = validation_metrics(model, val_set, config, labels, device)
        record = EpochRecord(epoch, float(np.mean(losses)), scheduler.get_last_lr()[0], metrics)
        state.history.append(record)
        score = selection_score(metrics, config.select_metric)
        if state.best_epoch is None or score > state.best_score:
            state.best_epoch, state.best_score = epoch, score
            save_atomic(original_state_dict(model), out / "best.pth")
        if config.average_last_epochs > 1 and epoch >= avg_from:
            state.average.add(model)
        state.save(epoch, model, optimizer, scheduler)
        logger.info(
            "epoch %d/%d: loss %.4f, validation %s",
            epoch,
            config.epochs,
            record.train_loss,
            _brief(metrics),
        )
        if progress:
            progress(
                TrainProgress(
                    epoch, config.epochs, steps, steps, record.train_loss, record.lr, metrics
                )
            )
    return _finish(config, out, model, val_set, labels, device, state, avg_from)


def _finish(config, out, model, val_set, labels, device, state, avg_from) -> TrainResult:
    best = next(r for r in state.history if r.epoch == state.best_epoch)
    chosen, validation = f"epoch {best.epoch}", best.validation
    shutil.copyfile(out / "best.pth", out / "model.pth")
    if state.average.count > 1:
        model.load_state_dict({k: v.to(device) for k, v in state.average.mean().items()})
        averaged = validation_metrics(model, val_set, config, labels, device)
        if selection_score(averaged, config.select_metric) > selection_score(
            validation, config.select_metric
        ):
            chosen, validation = f"average of epochs {avg_from}-{config.epochs}", averaged
            save_atomic(original_state_dict(model), out / "model.pth")
    sha = sha256_of(out / "model.pth")
    card = make_card(config, model, labels, sha)
    card_path = card.save(out / "model.yaml")
    history = [asdict(r) for r in state.history]
    (out / "metrics.json").write_text(
        json.dumps({"chosen": chosen, "validation": validation, "epochs": history}, indent=1),
        encoding="utf-8",
    )
    logger.info("chose %s: %s", chosen, _brief(validation))
    return TrainResult(
        out / "model.pth", card_path, card, labels, chosen, validation, list(state.history), out
    )


def _brief(metrics: dict) -> str:
    keys = ("average_precision", "roc_auc", "loss")
    return ", ".join(f"{k} {metrics[k]:.3f}" for k in keys if metrics.get(k) is not None)
