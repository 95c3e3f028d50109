"""Tiny random-weight AST models, model cards and checkpoints that tests write.

Real checkpoints cannot be downloaded here, so tests build the ``test`` size (64 wide,
2 blocks, 2 heads) with random weights, save it the way the original training code did
(``torch.save(DataParallel(model).state_dict())``) and load it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from core.model.ast import ASTModel, build_model
from core.model.card import ASTConfig, DecisionConfig, ModelCard

FROG_LABELS = ("Rana draytonii", "Negative")
THREE_LABELS = ("Rana draytonii", "Rana catesbeiana", "Negative")


def tiny_config(label_dim: int = 2, input_tdim: int = 1000, **overrides: object) -> ASTConfig:
    """The ``test`` size with the frog model's strides and input shape."""
    return ASTConfig(size="test", label_dim=label_dim, input_tdim=input_tdim, **overrides)


def tiny_card(
    labels: Sequence[str] = FROG_LABELS,
    positive: Sequence[str] = ("Rana draytonii",),
    *,
    rule: str = "argmax",
    thresholds: dict[str, float] | None = None,
    input_tdim: int = 1000,
    **model_overrides: object,
) -> ModelCard:
    """A model card for a tiny model (the frog preset's front end)."""
    return ModelCard(
        name="Tiny_Test_Model",
        version="0.0-test",
        labels=list(labels),
        positive_labels=list(positive),
        model=tiny_config(len(labels), input_tdim, **model_overrides),
        decision=DecisionConfig(rule=rule, thresholds=thresholds or {}),
    )


def tiny_model(cfg: ASTConfig | None = None, seed: int = 0) -> ASTModel:
    """A tiny AST with random weights, LayerNorms included (so eps and affine matter)."""
    torch.manual_seed(seed)
    model = build_model(cfg or tiny_config())
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("weight") and param.ndim == 1:  # LayerNorm gains
                param.copy_(1 + 0.2 * torch.randn_like(param))
            else:
                param.copy_(0.1 * torch.randn_like(param))
    return model.eval()


def write_checkpoint(
    path: Path, model: nn.Module, *, data_parallel: bool = True, wrap: str | None = None
) -> Path:
    """Save a state dict as the original code did (``module.`` prefix) or plainly.

    ``wrap`` nests it under that key (``{"state_dict": ...}``), as some trainers save.
    """
    state = (nn.DataParallel(model) if data_parallel else model).state_dict()
    torch.save({wrap: state} if wrap else state, path)
    return path


def write_card(path: Path, card: ModelCard) -> Path:
    """Write a model card YAML file."""
    return card.save(path)


class LoudnessModel(nn.Module):
    """A stand-in model whose first label wins in loud windows: for testing decisions.

    Logits are ``[gain * (mean(fbank) - level), 0, ..., 0]``, so the result is known from the
    audio alone. It has the ``cfg`` the detector reads.
    """

    def __init__(self, cfg: ASTConfig, level: float = 0.0, gain: float = 10.0) -> None:
        super().__init__()
        self.cfg = cfg
        self.level, self.gain = level, gain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        loud = self.gain * (x.mean(dim=(1, 2)) - self.level)
        out = torch.zeros(x.shape[0], self.cfg.label_dim, device=x.device)
        out[:, 0] = loud
        return out
