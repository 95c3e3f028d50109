"""Scores of a model on a clip set: sigmoid outputs, the training loss, validation metrics.

:func:`predict` is the one forward pass over a :class:`~core.training.data.ClipDataset` that
validation during training and evaluation afterwards share (eval mode, no gradients,
optional bf16 autocast on CUDA).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np
import torch
from torch.utils.data import DataLoader

from core.model.ast import ASTModel
from core.training.config import TrainConfig
from core.training.data import ClipDataset
from core.training.metrics import clip_metrics
from core.training.model import positive_labels


def autocast(device: torch.device, bf16: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA when asked, else nothing."""
    if bf16 and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def training_loss(config: TrainConfig, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The configured loss: binary cross-entropy (the recipe's) or softmax cross-entropy."""
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
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Sigmoid scores ``(clips, labels)`` of a dataset (eval mode, no gradients).

    ``progress(clips_done, clips_total)`` is called after each batch.
    """
    model.eval()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False)
    out, done = [], 0
    with torch.inference_mode(), autocast(device, bf16):
        for x, _ in loader:
            out.append(torch.sigmoid(model(x.to(device)).float()).cpu())
            done += len(x)
            if progress:
                progress(done, len(dataset))
    return torch.cat(out).numpy() if out else np.zeros((0, dataset.targets.shape[1]))


def validation_metrics(
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
        metrics["loss"] = float(training_loss(config, logits, dataset.targets))
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
