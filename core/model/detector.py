"""Building a :class:`~core.model.scoring.Detector`: card, checkpoint, device.

:func:`build_detector` is the one way from a model card and a checkpoint file to a model
that scores recordings (``ranawatch score``, ``ranawatch detect``, the detect flow,
evaluation, benchmarks): it picks the device, reads the checkpoint and checks its hash
against the card, and when the card does not pin the architecture, reads it from the
checkpoint's tensors (:func:`inferred_config`, logged). How a built detector scores whole
recordings is told in :mod:`core.model.scoring`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from core.errors import CheckpointError, ConfigError
from core.metadata.plausibility import MAX_SAMPLERATE_HZ, MIN_SAMPLERATE_HZ
from core.model.architecture import describe_config, infer_config
from core.model.ast import ASTModel, build_model
from core.model.card import ASTConfig, ModelCard
from core.model.checkpoint import Checkpoint, read_checkpoint, verify_sha256
from core.model.frontend import frame_samples
from core.model.scoring import Detector

logger = logging.getLogger(__name__)


def resolve_device(device: str) -> torch.device:
    """``auto`` -> cuda when present, else cpu.

    Raises
    ------
    ConfigError
        ``cuda`` was asked for but there is no usable GPU, or the name is unknown.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r}: no CUDA GPU is available here; use cpu or auto")
    try:
        return torch.device(device)
    except RuntimeError as exc:
        raise ConfigError(f"device {device!r} is not a torch device (auto, cpu, cuda)") from exc


def inferred_config(ckpt: Checkpoint, card: ModelCard) -> ASTConfig:
    """The architecture of a checkpoint, for a card without a ``model`` section (logged).

    Strides are the card's (10 x 10 by default: they cannot be read from tensors), mel bins
    the front end's, ``input_tdim`` the frames of one window when the patch grid allows it.

    Raises
    ------
    CheckpointError
        Not an AST checkpoint, or no patch grid fits those strides and mel bins.
    """
    front = card.frontend
    frames = 1 + (round(front.window_s * front.samplerate_hz) - frame_samples(front)) // int(
        front.samplerate_hz * front.frame_shift_ms * 0.001
    )
    cfg = infer_config(
        ckpt,
        fstride=card.model.fstride,
        tstride=card.model.tstride,
        input_fdim=front.num_mel_bins,
        prefer_tdim=frames,
    )
    logger.info(
        "model card %s %s has no model section; from the tensors of %s: %s",
        card.name,
        card.version,
        ckpt.source,
        describe_config(cfg),
    )
    return cfg


def fast_bf16(device: torch.device) -> bool:
    """Whether bf16 matrix products run natively on ``device``.

    Every CUDA GPU torch supports does. A CPU does only with AVX-512 BF16 or AMX units: on
    one without them (AVX2 only, as on many cloud VMs) oneDNN emulates bf16 and a base384
    window takes about 80 times longer than in float32.
    """
    if device.type != "cpu":
        return True
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch without the probe: assume the worst
        return False


def build_detector(
    card: ModelCard,
    checkpoint: Path | str | None = None,
    *,
    device: str = "auto",
    bf16: bool = False,
    compile: bool | str = False,
    model: ASTModel | None = None,
    samplerate_range_hz: tuple[int, int] = (MIN_SAMPLERATE_HZ, MAX_SAMPLERATE_HZ),
) -> Detector:
    """Load the model of a card (from ``checkpoint``, or a ready ``model``) on a device.

    Parameters
    ----------
    card
        The model version: labels, architecture, front end, decision rule. Without a
        ``model`` section the architecture is inferred from the checkpoint
        (:func:`inferred_config`).
    checkpoint
        The ``.pth`` file; must match ``card.checkpoint_sha256`` when the card pins one.
    device
        ``auto`` (cuda when present), ``cpu`` or ``cuda``.
    bf16
        bf16 autocast for the forward pass (fast on GPUs and on CPUs with bf16 units; scores
        then differ from float32 in the second or third decimal). On a CPU without them
        (:func:`fast_bf16`) the detector scores in float32 and says so in a warning.
    compile
        ``torch.compile`` the model (``True``: inductor; or a backend name).
    model
        An already built model (tests, benchmarks); ``checkpoint`` is then ignored.
    samplerate_range_hz
        Sample rates a file may declare (``RANAWATCH_MIN/MAX_SAMPLERATE_HZ``).

    Raises
    ------
    CheckpointError
        No checkpoint and no model, or the checkpoint is unreadable or does not fit.
    ConfigError
        The device is unavailable, or the model does not match the card.
    """
    torch_device = resolve_device(device)
    if bf16 and not fast_bf16(torch_device):
        logger.warning(
            "bf16 asked for, but this CPU has no bf16 matrix units (AVX-512 BF16 or AMX): "
            "bf16 would be about 80x slower here, so scoring in float32 (unset "
            "RANAWATCH_BF16 / --bf16 on this machine to silence this)"
        )
        bf16 = False
    sha = None
    if model is None:
        if checkpoint is None:
            raise CheckpointError(
                "no checkpoint given: pass --checkpoint PATH or set RANAWATCH_CHECKPOINT"
            )
        ckpt = read_checkpoint(checkpoint)
        verify_sha256(ckpt, card.checkpoint_sha256, card=f"model card {card.name} {card.version}")
        if not card.architecture_pinned:
            card = card.model_copy(update={"model": inferred_config(ckpt, card)})
        model = build_model(card.model, ckpt, labels=card.labels)
        sha = ckpt.sha256
    return Detector(model, card, torch_device, bf16=bf16, compile=compile, checkpoint_sha256=sha)
