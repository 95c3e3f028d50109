"""The resume state of a training run: what each finished epoch leaves in ``state.pt``.

Written atomically at the end of every epoch (model, optimiser, scheduler, history, best
score, weight average), so a run that crashed continues after its last finished epoch as if
it had never stopped. A state saved by another recipe or other labels is refused.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from core.errors import TrainingError
from core.training.weights import WeightAverage, save_atomic

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EpochRecord:
    """One finished epoch: mean training loss, last learning rate, validation metrics."""

    epoch: int
    train_loss: float
    lr: float
    validation: dict


class ResumeState:
    """History, best epoch and weight average of a run, and their ``state.pt``.

    Parameters
    ----------
    path
        The ``state.pt`` file.
    config_yaml
        The recipe as YAML: a saved state of another recipe is refused.
    labels
        The labels in output order: a saved state of other labels is refused.
    """

    def __init__(self, path: Path, config_yaml: str, labels: list[str]) -> None:
        self.path, self.config_yaml, self.labels = path, config_yaml, labels
        self.history: list[EpochRecord] = []
        self.best_epoch: int | None = None
        self.best_score: tuple[float, float] = (float("-inf"), float("-inf"))
        self.average = WeightAverage()

    def load(self, model, optimizer, scheduler) -> int:
        """Restore a saved state into the given objects; return the epoch to start at.

        Raises
        ------
        TrainingError
            The state was saved by a run with another recipe or other labels.
        """
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
        """Write the state after ``epoch`` (atomically: a crash leaves the previous one)."""
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
