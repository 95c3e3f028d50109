"""Weights in and out of training: the starting checkpoint, the saved layout, averaging.

A starting checkpoint (the AudioSet AST, an earlier frog model) is loaded key by key: the
position embedding is interpolated when the number of frames differs (AudioSet's 1024 to
the frog model's 1000), the output layer is drawn anew when the label count differs, and
anything else that does not fit is refused. Checkpoints are saved as the original code did,
``torch.save(DataParallel(model).state_dict())``: every key prefixed ``module.``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from core.errors import TrainingError
from core.model.ast import ASTModel
from core.model.checkpoint import Checkpoint

logger = logging.getLogger(__name__)

_HEAD = ("mlp_head.1.weight", "mlp_head.1.bias")


def resize_pos_embed(pos: torch.Tensor, grid: tuple[int, int], source: str) -> torch.Tensor:
    """A ``[1, 2 + F*T, D]`` position embedding interpolated along time to ``grid``.

    Raises
    ------
    TrainingError
        The embedding's patch count is not a whole number of ``grid[0]`` frequency rows.
    """
    f_dim, t_dim = grid
    patches = pos.shape[1] - 2
    if patches % f_dim:
        raise TrainingError(
            f"{source}: pos_embed has {patches} patches, not a multiple of {f_dim} frequency "
            "patches: the checkpoint was trained with other mel bins or fstride"
        )
    tokens = pos[:, 2:].reshape(1, f_dim, patches // f_dim, -1).permute(0, 3, 1, 2)
    tokens = nn.functional.interpolate(tokens.float(), size=(f_dim, t_dim), mode="bilinear")
    tokens = tokens.permute(0, 2, 3, 1).reshape(1, f_dim * t_dim, -1)
    return torch.cat([pos[:, :2].float(), tokens], dim=1)


def load_initial_weights(model: ASTModel, ckpt: Checkpoint) -> list[str]:
    """Copy a checkpoint into ``model`` where it fits; return the keys drawn anew.

    Raises
    ------
    TrainingError
        A key is missing or has a shape that neither interpolation nor a new head explains.
    """
    own = model.state_dict()
    new: dict[str, torch.Tensor] = {}
    fresh: list[str] = []
    for key, tensor in own.items():
        src = ckpt.state_dict.get(key)
        if src is None:
            raise TrainingError(
                f"{ckpt.source}: lacks {key}; is it an AST checkpoint of this size?"
            )
        if src.shape == tensor.shape:
            new[key] = src.float()
        elif key == "v.pos_embed":
            new[key] = resize_pos_embed(src, model.cfg.grid, ckpt.source)
        elif key in _HEAD:
            new[key], fresh = tensor, [*fresh, key]
        else:
            raise TrainingError(
                f"{ckpt.source}: {key} is {list(src.shape)}, the model needs {list(tensor.shape)}: "
                "set model.size (or embed_dim/depth) to the checkpoint's"
            )
    model.load_state_dict(new, strict=True)
    if fresh:
        logger.info("%s: new output layer for %d labels", ckpt.source, model.cfg.label_dim)
    return fresh


def original_state_dict(model: nn.Module | Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The state dict in the original layout: ``module.`` before every key, on the CPU."""
    state = model.state_dict() if isinstance(model, nn.Module) else model
    return {f"module.{key}": value.detach().cpu().contiguous() for key, value in state.items()}


def save_atomic(obj: object, path: Path) -> Path:
    """``torch.save`` to ``path`` through a temporary file, so a crash leaves no half file."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)
    return path


class WeightAverage:
    """Running mean of model weights over epochs (the original's late-epoch averaging)."""

    def __init__(self, state: Mapping[str, torch.Tensor] | None = None, count: int = 0) -> None:
        self.sum = dict(state or {})
        self.count = count

    def add(self, model: nn.Module) -> None:
        """Add the model's current weights."""
        for key, value in model.state_dict().items():
            value = value.detach().float().cpu()
            self.sum[key] = self.sum[key] + value if key in self.sum else value.clone()
        self.count += 1

    def mean(self) -> dict[str, torch.Tensor]:
        """The averaged weights."""
        return {key: value / self.count for key, value in self.sum.items()}
