"""Read AST checkpoints of the original code: unwrap, strip ``module.``, hash, verify.

The original training code saves ``torch.save(DataParallel(model).state_dict())``: a plain
state dict whose keys all start with ``module.``. :func:`read_checkpoint` accepts that, the
same without the prefix, and dicts that wrap it under ``state_dict``/``model``; it loads on
the CPU with ``weights_only=True`` (no code in the file is run) and hashes the file.

What the tensors say about the architecture, and what does not fit, is
:mod:`core.model.architecture`.
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

logger = logging.getLogger(__name__)

_WRAPPER_KEYS = ("state_dict", "model", "model_state_dict")
_PREFIX = "module."


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
            f"{source}: not a state dict, entries {few(not_tensors)} are not tensors"
        )
    keys = [str(k) for k in obj]
    prefixed = all(k.startswith(_PREFIX) for k in keys)
    tensors = {
        (k[len(_PREFIX) :] if prefixed else k): v for k, v in zip(keys, obj.values(), strict=True)
    }
    return tensors, prefixed


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
            "wrong checkpoint for this model card (or a damaged copy). Fix: use the checkpoint "
            f"the card was made for, or, if this file is the right one, set checkpoint_sha256: "
            f"{ckpt.sha256} in the card"
        )


def few(items: list[str], n: int = 8) -> str:
    shown = ", ".join(items[:n])
    return f"[{shown}{f', ... {len(items) - n} more' if len(items) > n else ''}]"
