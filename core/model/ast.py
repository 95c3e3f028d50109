"""The Audio Spectrogram Transformer (AST), built on timm through its constructor hooks.

The module tree is the one of the original AST code (YuanGongND/ast, ``ast_models.py``), so
its checkpoints load with ``strict=True``::

    v.cls_token, v.dist_token, v.pos_embed          [1, 1, D], [1, 1, D], [1, 2 + F*T, D]
    v.patch_embed.proj.{weight,bias}                Conv2d(1, D, 16x16, stride (fs, ts))
    v.blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}.{weight,bias}
    v.norm.{weight,bias}
    v.head.*, v.head_dist.*                         the unused 1000-class DeiT heads
    mlp_head.0.* (LayerNorm), mlp_head.1.* (Linear D -> label_dim)

``v`` is timm's :class:`~timm.models.deit.VisionTransformerDistilled` given a patch embedding
with one input channel and overlapping 16 x 16 patches (:class:`StridedPatchEmbed`) through
its ``embed_layer`` argument: nothing in timm is patched, no weights are downloaded.

The input is a normalised fbank ``[batch, time frames, mel bins]``; the output the logits
``[batch, label_dim]``: the mean of the class and distillation tokens through ``mlp_head``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from itertools import chain
from pathlib import Path

import torch
from timm.models.deit import VisionTransformerDistilled
from torch import nn

from core.errors import CheckpointError
from core.model.architecture import check_fits
from core.model.card import ASTConfig, patch_grid
from core.model.checkpoint import Checkpoint, read_checkpoint

logger = logging.getLogger(__name__)

PATCH = 16


class StridedPatchEmbed(nn.Module):
    """16 x 16 patches of a one-channel spectrogram, taken every ``stride`` bins/frames.

    Implements the interface timm's ``VisionTransformer`` reads from its ``embed_layer``
    (``num_patches``, ``grid_size``, ``feat_ratio``) so that ``pos_embed`` gets one entry per
    patch of the overlapping grid, as in the original AST.
    """

    def __init__(
        self,
        img_size: tuple[int, int],
        patch_size: int = PATCH,
        in_chans: int = 1,
        embed_dim: int = 768,
        bias: bool = True,
        dynamic_img_pad: bool = False,
        *,
        stride: tuple[int, int] = (10, 10),
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if dynamic_img_pad:
            raise ValueError("AST takes a fixed number of frames: dynamic_img_pad is unsupported")
        self.img_size = tuple(img_size)
        self.patch_size = (patch_size, patch_size)
        self.stride = tuple(stride)
        self.grid_size = patch_grid(img_size[0], img_size[1], stride[0], stride[1])
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.proj = nn.Conv2d(
            in_chans,
            embed_dim,
            kernel_size=self.patch_size,
            stride=self.stride,
            bias=bias,
            device=device,
            dtype=dtype,
        )

    def feat_ratio(self, as_scalar: bool = True) -> int | tuple[int, int]:
        """Input bins per output token along each axis (timm's feature-info convention)."""
        return max(self.stride) if as_scalar else self.stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 1, F, T]`` -> ``[B, num_patches, D]`` (frequency-major, as the original)."""
        return self.proj(x).flatten(2).transpose(1, 2)


class ASTModel(nn.Module):
    """AST with the original parameter layout; follows timm's forward_features/forward_head.

    Parameters
    ----------
    cfg
        Architecture: size, strides, input shape, number of labels.
    device
        Where to allocate the parameters; ``"meta"`` allocates nothing (used before loading
        a checkpoint, whose tensors are then assigned).
    init_weights
        Draw random initial weights (timm's ViT init). ``False`` leaves them uninitialised,
        for a model whose weights come from a checkpoint.
    """

    def __init__(
        self,
        cfg: ASTConfig,
        *,
        device: torch.device | str | None = None,
        init_weights: bool = True,
    ) -> None:
        super().__init__()
        self.cfg = cfg
        dim = cfg.embed_dim
        self.v = VisionTransformerDistilled(
            img_size=(cfg.input_fdim, cfg.input_tdim),
            patch_size=PATCH,
            in_chans=1,
            num_classes=cfg.head_classes,
            embed_dim=dim,
            depth=cfg.depth,
            num_heads=cfg.num_heads,
            embed_layer=partial(StridedPatchEmbed, stride=(cfg.fstride, cfg.tstride)),
            weight_init="" if init_weights else "skip",
            device=device,
        )
        # default LayerNorm eps (1e-5) here, timm's 1e-6 inside v: as the original
        self.mlp_head = nn.Sequential(
            nn.LayerNorm(dim, device=device), nn.Linear(dim, cfg.label_dim, device=device)
        )

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised fbank ``[B, T, F]`` -> tokens ``[B, 2 + num_patches, D]`` after the norm."""
        expected = (self.cfg.input_tdim, self.cfg.input_fdim)
        if x.ndim != 3 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"AST input must be [batch, {expected[0]} frames, {expected[1]} mel bins], "
                f"got {list(x.shape)}"
            )
        # [B, T, F] -> [B, 1, F, T]: frequency is the image height, time the width
        return self.v.forward_features(x.unsqueeze(1).transpose(2, 3))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Tokens -> logits ``[B, label_dim]`` (mean of the class and distillation tokens)."""
        x = (x[:, 0] + x[:, 1]) / 2
        return x if pre_logits else self.mlp_head(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised fbank ``[B, T, F]`` -> logits ``[B, label_dim]``."""
        return self.forward_head(self.forward_features(x))


def build_model(
    cfg: ASTConfig,
    checkpoint: Checkpoint | Mapping[str, torch.Tensor] | str | Path | None = None,
    *,
    labels: list[str] | None = None,
) -> ASTModel:
    """Build an AST model, with random weights or the weights of a checkpoint.

    Parameters
    ----------
    cfg
        Architecture.
    checkpoint
        A checkpoint file of the original code (``module.`` prefix or not), a
        :class:`~core.model.checkpoint.Checkpoint` already read, a state dict, or ``None`` for
        random weights.
    labels
        The model card's labels, to name them when the checkpoint's output count differs.

    Returns
    -------
    ASTModel
        On the CPU, in float32 and eval mode.

    Raises
    ------
    CheckpointError
        The checkpoint cannot be read or does not fit ``cfg`` (every mismatch is listed).
    """
    if checkpoint is None:
        return ASTModel(cfg).eval()
    if isinstance(checkpoint, str | Path):
        checkpoint = read_checkpoint(checkpoint)
    elif not isinstance(checkpoint, Checkpoint):
        checkpoint = Checkpoint.from_state_dict(checkpoint)
    check_fits(checkpoint, cfg, labels=labels)
    # allocate nothing, then take the checkpoint's tensors as the parameters
    model = ASTModel(cfg, device="meta", init_weights=False)
    state = {
        key: value.float() if value.is_floating_point() else value
        for key, value in checkpoint.state_dict.items()
    }
    try:
        model.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as exc:  # check_fits should have said why; never leave a half model
        raise CheckpointError(f"{checkpoint.source}: cannot load into {cfg}: {exc}") from exc
    tensors = chain(model.named_parameters(), model.named_buffers())
    leftover = [name for name, tensor in tensors if tensor.is_meta]
    if leftover:
        raise CheckpointError(f"{checkpoint.source}: no weights for {leftover}")
    logger.info(
        "loaded %s (%d tensors, sha256 %s)",
        checkpoint.source,
        len(state),
        (checkpoint.sha256 or "-")[:12],
    )
    return model.eval()
