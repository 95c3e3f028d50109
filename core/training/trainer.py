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

import contextlib
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
from core.model.ast import ASTModel
from core.model.card import ASTConfig, DecisionConfig, ModelCard
from core.model.checkpoint import read_checkpoint
from core.model.detector import resolve_device
from core.training.config import TrainConfig, save_config, to_yaml
from core.training.data import ClipDataset, targets_of
from core.training.dataset import read_datafile, read_labels_csv
from core.training.metrics import clip_metrics
from core.training.schedule import lr_factor
from core.training.weights import (
    WeightAverage,
    load_initial_weights,
    original_state_dict,
    save_atomic,
)

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
class EpochRecord:
    """One finished epoch: mean training loss, last learning rate, validation metrics."""

    epoch: int
    train_loss: float
    lr: float
    validation: dict


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


def labels_csv_for(datafile: Path) -> Path:
    """The ``labels.csv`` beside a datafile (as :func:`prepare_dataset` writes it)."""
    return Path(datafile).parent / "labels.csv"


def positive_labels(config: TrainConfig, labels: list[str]) -> list[str]:
    """The configured positive labels, or every label but the negative one."""
    if config.positive_labels:
        unknown = sorted(set(config.positive_labels) - set(labels))
        if unknown:
            raise TrainingError(f"positive_labels {unknown} are not among the labels {labels}")
        return list(config.positive_labels)
    return [label for label in labels if label != config.negative_label] or list(labels)


def build_training_model(config: TrainConfig, labels: list[str]) -> ASTModel:
    """The model to train: random (seeded) or from ``init_checkpoint``, one output per label."""
    cfg = ASTConfig.model_validate(
        config.model.model_dump()
        | {"label_dim": len(labels), "input_fdim": config.frontend.num_mel_bins}
    )
    torch.manual_seed(config.seed)
    model = ASTModel(cfg)
    if config.init_checkpoint is not None:
        load_initial_weights(model, read_checkpoint(config.init_checkpoint))
    return model


def make_card(
    config: TrainConfig, model: ASTModel, labels: list[str], sha256: str | None
) -> ModelCard:
    """The model card of a trained model: its labels, architecture, front end and threshold."""
    return ModelCard(
        name=config.name,
        version=config.version,
        description=config.description,
        labels=labels,
        positive_labels=positive_labels(config, labels),
        negative_label=config.negative_label,
        model=model.cfg,
        frontend=config.frontend,
        decision=DecisionConfig(rule="threshold", default_threshold=config.threshold),
        checkpoint_sha256=sha256,
    )


def _autocast(device: torch.device, bf16: bool):
    if bf16 and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _loss(config: TrainConfig, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if config.loss == "ce":
        return torch.nn.functional.cross_entropy(logits, target / target.sum(1, keepdim=True))
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, target)


def predict(
    model: ASTModel,
    dataset: ClipDataset,
    *,
    batch_size: int,
    device: torch.device,
    bf16: bool = False,
) -> np.ndarray:
    """Sigmoid scores ``(clips, labels)`` of a dataset (eval mode, no gradients)."""
    model.eval()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False)
    out = []
    with torch.inference_mode(), _autocast(device, bf16):
        for x, _ in loader:
            out.append(torch.sigmoid(model(x.to(device)).float()).cpu())
    return torch.cat(out).numpy() if out else np.zeros((0, dataset.targets.shape[1]))


def evaluate_model(
    model: ASTModel,
    dataset: ClipDataset,
    config: TrainConfig,
    labels: list[str],
    device: torch.device,
) -> dict:
    """Validation metrics of ``model`` on ``dataset`` (:func:`clip_metrics` plus ``loss``)."""
    scores = predict(model, dataset, batch_size=config.batch_size, device=device, bf16=config.bf16)
    targets = dataset.targets.numpy()
    metrics = clip_metrics(
        targets,
        scores,
        labels,
        positive_labels=positive_labels(config, labels),
        threshold=config.threshold,
    )
    if len(scores):
        logits = torch.logit(torch.from_numpy(scores).double().clamp(1e-7, 1 - 1e-7)).float()
        metrics["loss"] = float(_loss(config, logits, dataset.targets))
    else:
        metrics["loss"] = None
    return metrics


def selection_score(metrics: dict, metric: str) -> tuple[float, float]:
    """Higher is better: ``(chosen metric, -loss)``; ties (AP 1.0 twice) go to the lower loss.

    An undefined metric (no positive clip in validation) ranks by the loss alone.
    """
    loss = metrics.get("loss")
    minus_loss = -float(loss) if loss is not None else float("-inf")
    value = metrics.get(metric) if metric != "loss" else None
    return (float(value) if value is not None else minus_loss, minus_loss)


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
    # where it runs does not change what is trained: a run may resume on another device
    recipe = to_yaml(config.model_copy(update={"device": "auto", "num_workers": 0}))
    state = _State(out / "state.pt", recipe, labels)
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
            with _autocast(device, config.bf16):
                loss = _loss(config, model(x.to(device)).float(), y.to(device))
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
        metrics = evaluate_model(model, val_set, config, labels, device)
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
        averaged = evaluate_model(model, val_set, config, labels, device)
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


class _State:
    """The resume state: what finished epochs leave behind."""

    def __init__(self, path: Path, config_yaml: str, labels: list[str]) -> None:
        self.path, self.config_yaml, self.labels = path, config_yaml, labels
        self.history: list[EpochRecord] = []
        self.best_epoch: int | None = None
        self.best_score: tuple[float, float] = (float("-inf"), float("-inf"))
        self.average = WeightAverage()

    def load(self, model, optimizer, scheduler) -> int:
        if not self.path.is_file():
            return 1
        saved = torch.load(self.path, map_location="cpu", weights_only=True)
        if saved["config"] != self.config_yaml or saved["labels"] != self.labels:
            raise TrainingError(
                f"{self.path}: saved by a run with another config or labels; use a new output "
                "folder, or delete state.pt to start over"
            )
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        self.history = [EpochRecord(**r) for r in json.loads(saved["history"])]
        self.best_epoch, self.best_score = saved["best_epoch"], tuple(saved["best_score"])
        self.average = WeightAverage(saved["average"], saved["average_count"])
        logger.info("resuming %s after epoch %d", self.path.parent, saved["epoch"])
        return int(saved["epoch"]) + 1

    def save(self, epoch: int, model, optimizer, scheduler) -> None:
        save_atomic(
            {
                "epoch": epoch,
                "config": self.config_yaml,
                "labels": self.labels,
                "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "history": json.dumps([asdict(r) for r in self.history]),
                "best_epoch": self.best_epoch,
                "best_score": list(self.best_score),
                "average": self.average.sum,
                "average_count": self.average.count,
            },
            self.path,
        )
