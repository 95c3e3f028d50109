"""Read AST checkpoints of the original code, infer their shape, and say what does not fit.

The original training code saves ``torch.save(DataParallel(model).state_dict())``: a plain
state dict whose keys all start with ``module.``. :func:`read_checkpoint` accepts that, the
same without the prefix, and dicts that wrap it under ``state_dict``/``model``; it loads on
the CPU with ``weights_only=True`` (no code in the file is run) and hashes the file.

Strides cannot be read from the tensors (the patch kernel is 16 x 16 whatever the stride);
the patch count of ``pos_embed`` can, and with given strides and mel bins it fixes the
range of ``input_tdim`` that matches (:func:`tdim_range`).
"""

from __future__ import annotations

import logging
import pickle
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from core.audio.files import sha256_of
from core.errors import CheckpointError
from core.model.card import SIZES, ASTConfig, patch_grid

logger = logging.getLogger(__name__)

_WRAPPER_KEYS = ("state_dict", "model", "model_state_dict")
_PREFIX = "module."
_BLOCK = re.compile(r"^v\.blocks\.(\d+)\.")


@dataclass(frozen=True)
class Checkpoint:
    """A state dict in the original layout (``module.`` removed) and where it came from."""

    source: str
    state_dict: dict[str, torch.Tensor]
    sha256: str | None = None
    had_module_prefix: bool = False

    @classmethod
    def from_state_dict(
        cls, state: Mapping[str, object], source: str = "<state dict>"
    ) -> Checkpoint:
        """Wrap an in-memory state dict (unwrapped and prefix-stripped like a file)."""
        tensors, prefixed = _normalise(state, source)
        return cls(source=source, state_dict=tensors, had_module_prefix=prefixed)


@dataclass(frozen=True)
class CheckpointShape:
    """What the tensors of a checkpoint say about the model that made them."""

    embed_dim: int
    depth: int
    label_dim: int
    head_classes: int
    num_patches: int


def read_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint file on the CPU.

    Parameters
    ----------
    path
        A ``.pth`` file saved by ``torch.save`` (zip or legacy format).

    Returns
    -------
    Checkpoint
        The state dict with any ``module.`` prefix removed, and the file's SHA-256.

    Raises
    ------
    CheckpointError
        The file is missing, is not a PyTorch file, pickles Python objects rather than
        tensors, or holds no state dict.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"{path}: no such checkpoint file (give --checkpoint PATH or set "
            "RANAWATCH_CHECKPOINT to the .pth file)"
        )
    try:
        # weights_only: a checkpoint is data; never execute the pickles it may carry
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        if found is None:
            raise CheckpointError(
                f"{path}: not a readable PyTorch checkpoint (the pickle is damaged or not one); "
                "is the file complete (compare its size or SHA-256 with the original)?"
            ) from exc
        raise CheckpointError(
            f"{path}: not a plain checkpoint of tensors, it pickles the Python object "
            f"{found.group(1)}, which RanaWatch does not execute. Re-save the weights alone "
            "with torch.save(model.state_dict(), path)"
        ) from exc
    except Exception as exc:  # a damaged pickle raises almost any exception type
        raise CheckpointError(
            f"{path}: not a readable PyTorch checkpoint ({type(exc).__name__}: {exc}); "
            "is the file complete (compare its size or SHA-256 with the original)?"
        ) from exc
    tensors, prefixed = _normalise(obj, str(path))
    digest = sha256_of(path)
    logger.debug("read %s: %d tensors, sha256 %s", path, len(tensors), digest)
    return Checkpoint(str(path), tensors, digest, prefixed)


def _normalise(obj: object, source: str) -> tuple[dict[str, torch.Tensor], bool]:
    if isinstance(obj, Mapping):
        for key in _WRAPPER_KEYS:
            if isinstance(obj.get(key), Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping) or not obj:
        raise CheckpointError(f"{source}: holds a {type(obj).__name__}, not a state dict")
    not_tensors = [str(k) for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise CheckpointError(
            f"{source}: not a state dict, entries {_few(not_tensors)} are not tensors"
        )
    keys = [str(k) for k in obj]
    prefixed = all(k.startswith(_PREFIX) for k in keys)
    tensors = {
        (k[len(_PREFIX) :] if prefixed else k): v for k, v in zip(keys, obj.values(), strict=True)
    }
    return tensors, prefixed


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
            f"{ckpt.source}: not an AST checkpoint, it lacks {missing} (it has {_few(sorted(sd))})"
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
) -> ASTConfig:
    """An :class:`ASTConfig` that fits the checkpoint, given what the tensors cannot say.

    Parameters
    ----------
    ckpt
        The checkpoint.
    fstride, tstride, input_fdim
        Patch strides and mel bins the model was trained with (the original defaults).
    input_tdim
        Frames per input; ``None`` picks the smallest value the ``pos_embed`` grid allows.
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
        input_tdim = tdims[0]
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
            f"{cfg.label_dim} labels{named}: use the model card made for this checkpoint"
        )
    if not problems:
        missing = sorted(set(want) - set(have))
        unexpected = sorted(set(have) - set(want))
        if missing:
            problems.append(f"missing keys {_few(missing)}")
        if unexpected:
            problems.append(f"unexpected keys {_few(unexpected)}")
        wrong = [
            f"{k} is {list(have[k].shape)}, expected {list(want[k])}"
            for k in sorted(set(want) & set(have))
            if tuple(have[k].shape) != want[k]
        ]
        problems.extend(wrong[:5] + ([f"... {len(wrong) - 5} more"] if len(wrong) > 5 else []))
    if problems:
        raise CheckpointError(f"{ckpt.source}: does not fit the model: " + "; ".join(problems))


def verify_sha256(ckpt: Checkpoint, expected: str | None, *, card: str = "the model card") -> None:
    """Refuse a checkpoint whose SHA-256 differs from the one a model card pins.

    Raises
    ------
    CheckpointError
        ``expected`` is set and differs from the file's hash.
    """
    if expected and ckpt.sha256 and ckpt.sha256 != expected.lower():
        raise CheckpointError(
            f"{ckpt.source}: SHA-256 is {ckpt.sha256}, but {card} expects {expected}: "
            "wrong checkpoint for this model card (or a damaged copy)"
        )


def _few(items: list[str], n: int = 8) -> str:
    shown = ", ".join(items[:n])
    return f"[{shown}{f', ... {len(items) - n} more' if len(items) > n else ''}]"
