"""The model a training run starts from and the model card it ends with.

One output per label of the data set; the architecture and front end come from the
:class:`~core.training.config.TrainConfig`, the starting weights from ``init_checkpoint``
(or a seeded random draw), and the card records the labels, the positive labels and the
decision threshold detect will use.
"""

from __future__ import annotations

import torch

from core.errors import TrainingError
from core.model.ast import ASTModel
from core.model.card import ASTConfig, DecisionConfig, ModelCard
from core.model.checkpoint import read_checkpoint
from core.training.config import TrainConfig
from core.training.weights import load_initial_weights


def positive_labels(config: TrainConfig, labels: list[str]) -> list[str]:
    """The configured positive labels, or every label but the negative one.

    Raises
    ------
    TrainingError
        A configured positive label is not among ``labels``.
    """
    if config.positive_labels:
        unknown = sorted(set(config.positive_labels) - set(labels))
        if unknown:
            raise TrainingError(f"positive_labels {unknown} are not among the labels {labels}")
        return list(config.positive_labels)
    return [label for label in labels if label != config.negative_label] or list(labels)


def build_training_model(config: TrainConfig, labels: list[str]) -> ASTModel:
    """The model to train: random (seeded) or from ``init_checkpoint``, one output per label.

    Raises
    ------
    CheckpointError
        ``init_checkpoint`` cannot be read.
    TrainingError
        ``init_checkpoint`` does not fit the model.
    """
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
