"""What a checkpoint's tensors say about the AST that made them, and what does not fit.

Strides cannot be read from the tensors (the patch kernel is 16 x 16 whatever the stride);
the patch count of ``pos_embed`` can, and with given strides and mel bins it fixes the
range of ``input_tdim`` that matches (:func:`tdim_range`). :func:`infer_config` builds the
whole :class:`~core.model.card.ASTConfig` from the tensors (heads from the AST size of that
width and depth; the ViT convention of 64-wide heads otherwise); a model card without a
``model`` section is loaded that way. :func:`check_fits` lists every mismatch and ends its
message with the exact fix (``Fix: ...``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import CheckpointError
from core.model.card import SIZES, ASTConfig, patch_grid
from core.model.checkpoint import Checkpoint, few

_BLOCK = re.compile(r"^v\.blocks\.(\d+)\.")


@dataclass(frozen=True)
class CheckpointShape:
    """What the tensors of a checkpoint say about the model that made them."""

    embed_dim: int
    depth: int
    label_dim: int
    head_classes: int
    num_patches: int


def expected_shapes(cfg: ASTConfig) -> dict[str, tuple[int, ...]]:
    """The state-dict keys and tensor shapes of the original AST for ``cfg``."""
    d, f_dim, t_dim = cfg.embed_dim, *cfg.grid
    shapes: dict[str, tuple[int, ...]] = {
        "v.cls_token": (1, 1, d),
        "v.dist_token": (1, 1, d),
        "v.pos_embed": (1, f_dim * t_dim + 2, d),
        "v.patch_embed.proj.weight": (d, 1, 16, 16),
        "v.patch_embed.proj.bias": (d,),
    }
    for i in range(cfg.depth):
        b = f"v.blocks.{i}."
        shapes |= {
            b + "norm1.weight": (d,),
            b + "norm1.bias": (d,),
            b + "attn.qkv.weight": (3 * d, d),
            b + "attn.qkv.bias": (3 * d,),
            b + "attn.proj.weight": (d, d),
            b + "attn.proj.bias": (d,),
            b + "norm2.weight": (d,),
            b + "norm2.bias": (d,),
            b + "mlp.fc1.weight": (4 * d, d),
            b + "mlp.fc1.bias": (4 * d,),
            b + "mlp.fc2.weight": (d, 4 * d),
            b + "mlp.fc2.bias": (d,),
        }
    shapes |= {"v.norm.weight": (d,), "v.norm.bias": (d,)}
    if cfg.head_classes:
        for head in ("v.head", "v.head_dist"):
            shapes |= {head + ".weight": (cfg.head_classes, d), head + ".bias": (cfg.head_classes,)}
    shapes |= {
        "mlp_head.0.weight": (d,),
        "mlp_head.0.bias": (d,),
        "mlp_head.1.weight": (cfg.label_dim, d),
        "mlp_head.1.bias": (cfg.label_dim,),
    }
    return shapes


def infer_shape(ckpt: Checkpoint) -> CheckpointShape:
    """Read width, depth, output count and patch count from the tensors.

    Raises
    ------
    CheckpointError
        A tensor every AST checkpoint has is missing.
    """
    sd = ckpt.state_dict
    needed = ["v.pos_embed", "mlp_head.1.weight"]
    missing = [k for k in needed if k not in sd]
    if missing:
        raise CheckpointError(
            f"{ckpt.source}: not an AST checkpoint, it lacks {missing} (it has {few(sorted(sd))})"
        )
    pos = sd["v.pos_embed"]
    depth = len({int(m.group(1)) for k in sd if (m := _BLOCK.match(k))})
    head = sd.get("v.head.weight")
    return CheckpointShape(
        embed_dim=int(pos.shape[-1]),
        depth=depth,
        label_dim=int(sd["mlp_head.1.weight"].shape[0]),
        head_classes=int(head.shape[0]) if head is not None else 0,
        num_patches=int(pos.shape[1]) - 2,
    )


def tdim_range(num_patches: int, *, fstride: int, tstride: int, input_fdim: int) -> range:
    """The values of ``input_tdim`` whose patch grid has ``num_patches`` patches.

    Raises
    ------
    ValueError
        No grid of ``input_fdim`` mel bins at ``fstride`` gives that many patches.
    """
    f_dim = patch_grid(input_fdim, 16, fstride, tstride)[0]
    if num_patches < f_dim or num_patches % f_dim:
        raise ValueError(
            f"pos_embed has {num_patches} patches, which is no whole number of time steps of "
            f"{f_dim} frequency patches (fstride={fstride}, input_fdim={input_fdim}): "
            "check fstride and input_fdim"
        )
    t_dim = num_patches // f_dim
    first = 16 + (t_dim - 1) * tstride
    return range(first, first + tstride)


def infer_config(
    ckpt: Checkpoint,
    *,
    fstride: int = 10,
    tstride: int = 10,
    input_fdim: int = 128,
    input_tdim: int | None = None,
    num_heads: int | None = None,
    prefer_tdim: int | None = None,
) -> ASTConfig:
    """An :class:`ASTConfig` that fits the checkpoint, given what the tensors cannot say.

    Parameters
    ----------
    ckpt
        The checkpoint.
    fstride, tstride, input_fdim
        Patch strides and mel bins the model was trained with (the original defaults).
    input_tdim
        Frames per input; ``None``: ``prefer_tdim`` when the ``pos_embed`` grid allows it,
        else the smallest value it allows (all give the same patches, so the same scores).
    num_heads
        Attention heads; ``None`` takes those of the matching AST size, else width // 64.

    Raises
    ------
    CheckpointError
        The patch count fits no grid, or ``input_tdim`` is outside the range that fits.
    """
    shape = infer_shape(ckpt)
    try:
        tdims = tdim_range(
            shape.num_patches, fstride=fstride, tstride=tstride, input_fdim=input_fdim
        )
    except ValueError as exc:
        raise CheckpointError(f"{ckpt.source}: {exc}") from exc
    if input_tdim is None:
        input_tdim = prefer_tdim if prefer_tdim in tdims else tdims[0]
    elif input_tdim not in tdims:
        problem = _tdim_problem(shape.num_patches, fstride, tstride, input_fdim, input_tdim)
        raise CheckpointError(f"{ckpt.source}: {problem}")
    size = next(
        (name for name, (w, d, _) in SIZES.items() if (w, d) == (shape.embed_dim, shape.depth)),
        None,
    )
    if num_heads is None and size is None:
        num_heads = max(1, shape.embed_dim // 64)  # the ViT convention: 64-wide heads
    return ASTConfig(
        size=size,
        embed_dim=shape.embed_dim,
        depth=shape.depth,
        num_heads=num_heads,
        fstride=fstride,
        tstride=tstride,
        input_fdim=input_fdim,
        input_tdim=input_tdim,
        label_dim=shape.label_dim,
        head_classes=shape.head_classes,
    )


def _tdim_problem(patches: int, fstride: int, tstride: int, fdim: int, tdim: int) -> str:
    try:
        tdims = tdim_range(patches, fstride=fstride, tstride=tstride, input_fdim=fdim)
    except ValueError as exc:
        return str(exc)
    f_dim = patch_grid(fdim, 16, fstride, tstride)[0]
    return (
        f"pos_embed has {patches} patches; with fstride={fstride}, input_fdim={fdim} that is "
        f"{f_dim} x {patches // f_dim}, so input_tdim must be {tdims[0]}..{tdims[-1]} "
        f"(with tstride={tstride}), not {tdim}"
    )


def describe_config(cfg: ASTConfig) -> str:
    """One line a user can check: size, width, depth, heads, patch grid, input, outputs."""
    f_dim, t_dim = cfg.grid
    return (
        f"{cfg.size or 'custom'} ({cfg.embed_dim} wide, {cfg.depth} blocks, {cfg.num_heads} "
        f"heads), {f_dim} x {t_dim} patches at strides {cfg.fstride} x {cfg.tstride}, "
        f"input {cfg.input_tdim} frames x {cfg.input_fdim} mel bins, {cfg.label_dim} outputs"
    )


def card_model_section(cfg: ASTConfig) -> str:
    """The ``model:`` section of a model card for ``cfg``, as one line of YAML."""
    fields = cfg.model_dump(exclude_defaults=False)
    if cfg.size is not None:  # width, depth and heads follow from the size
        fields = {k: v for k, v in fields.items() if k not in ("embed_dim", "depth", "num_heads")}
    keep = {k: v for k, v in fields.items() if k != "head_classes" or v != 1000}
    body = ", ".join(f"{k}: {'null' if v is None else v}" for k, v in keep.items())
    return f"model: {{{body}}}"


def _architecture_fix(ckpt: Checkpoint, cfg: ASTConfig) -> str:
    try:
        fitted = infer_config(
            ckpt, fstride=cfg.fstride, tstride=cfg.tstride, input_fdim=cfg.input_fdim,
            prefer_tdim=cfg.input_tdim,
        )  # fmt: skip
    except CheckpointError:
        return (
            f"Fix: find the strides and mel bins it was trained with, then run `ranawatch "
            f"checkpoint {ckpt.source} --fstride F --tstride T --mel-bins M --write-card "
            "CARD.yaml`"
        )
    return (
        f"Fix: in the model card write `{card_model_section(fitted)}`, or remove the model "
        f"section to have it inferred, or run `ranawatch checkpoint {ckpt.source} "
        "--write-card CARD.yaml` and use that card"
    )


def check_fits(ckpt: Checkpoint, cfg: ASTConfig, *, labels: list[str] | None = None) -> None:
    """Check that ``ckpt`` loads into an AST built from ``cfg`` with ``strict=True``.

    Raises
    ------
    CheckpointError
        Naming the file and every problem: wrong width or depth, a ``pos_embed`` grid that
        does not match the strides and input size, an output count that differs from the
        labels, missing or unexpected keys, other shape mismatches.
    """
    want = expected_shapes(cfg)
    have = ckpt.state_dict
    problems: list[str] = []
    shape = infer_shape(ckpt)
    if (shape.embed_dim, shape.depth) != (cfg.embed_dim, cfg.depth):
        problems.append(
            f"the checkpoint is {shape.embed_dim} wide with {shape.depth} blocks, the model "
            f"({cfg.size or 'custom'}) is {cfg.embed_dim} wide with {cfg.depth} blocks"
        )
    elif shape.num_patches != want["v.pos_embed"][1] - 2:
        problems.append(
            _tdim_problem(
                shape.num_patches, cfg.fstride, cfg.tstride, cfg.input_fdim, cfg.input_tdim
            )
        )
    if shape.label_dim != cfg.label_dim:
        named = f" {labels}" if labels else ""
        problems.append(
            f"the checkpoint has {shape.label_dim} outputs (mlp_head.1.weight is "
            f"{list(have['mlp_head.1.weight'].shape)}) but the model card lists "
            f"{cfg.label_dim} labels{named}"
        )
    if not problems:
        missing = sorted(set(want) - set(have))
        unexpected = sorted(set(have) - set(want))
        if missing:
            problems.append(f"missing keys {few(missing)}")
        if unexpected:
            problems.append(f"unexpected keys {few(unexpected)}")
        wrong = [
            f"{k} is {list(have[k].shape)}, expected {list(want[k])}"
            for k in sorted(set(want) & set(have))
            if tuple(have[k].shape) != want[k]
        ]
        problems.extend(wrong[:5] + ([f"... {len(wrong) - 5} more"] if len(wrong) > 5 else []))
    if problems:
        if (shape.embed_dim, shape.depth) != (cfg.embed_dim, cfg.depth) or (
            shape.num_patches != want["v.pos_embed"][1] - 2
        ):
            fix = _architecture_fix(ckpt, cfg)
        elif shape.label_dim != cfg.label_dim:
            fix = (
                f"Fix: give the card {shape.label_dim} labels, one per output in output order, "
                "or use the model card made for this checkpoint"
            )
        else:
            fix = (
                "Fix: this is not the original AST layout; save the state_dict() of the "
                "original ASTModel (YuanGongND/ast ast_models.py)"
            )
        raise CheckpointError(
            f"{ckpt.source}: does not fit the model: " + "; ".join(problems) + ". " + fix
        )
