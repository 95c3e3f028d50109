"""A synthetic two-class task that tests make: a 1 kHz tone in noise ("Frog") or noise alone.

Each "recording" is a WAV of a few seconds at 32 kHz; a tiny AST (the ``test`` size, 1-second
input, 16 x 16 strides) learns the task in a few CPU seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from core.model.card import ASTConfig, FrontendConfig
from core.training.config import AugmentConfig, DatasetConfig, ScheduleConfig, TrainConfig

RATE_HZ = 32_000
TONE_HZ = 1_000.0


def write_recording(
    path: Path, *, tone: bool, seconds: float = 3.0, seed: int = 0, rate_hz: int = RATE_HZ
) -> Path:
    """A noise recording, with a 1 kHz tone throughout when ``tone``."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate_hz)) / rate_hz
    samples = 0.05 * rng.standard_normal(len(t))
    if tone:
        samples += 0.3 * np.sin(2 * np.pi * (TONE_HZ + 50 * rng.random()) * t)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, samples.astype(np.float32), rate_hz, subtype="PCM_16")
    return path


def write_label_folders(root: Path, *, per_label: int = 6, seconds: float = 3.0) -> Path:
    """``root/Frog/*.wav`` (tone) and ``root/Negative/*.wav`` (noise), ``per_label`` each."""
    for i in range(per_label):
        write_recording(root / "Frog" / f"frog_{i:02d}.wav", tone=True, seconds=seconds, seed=i)
        write_recording(
            root / "Negative" / f"noise_{i:02d}.wav", tone=False, seconds=seconds, seed=100 + i
        )
    return root


def dataset_config(**overrides: object) -> DatasetConfig:
    """1-second clips (the tiny model's input)."""
    return DatasetConfig(**({"clip_s": 1.0, "jitter_s": 0.0} | overrides))


def tiny_train_config(**overrides: object) -> TrainConfig:
    """A tiny AST from scratch, 1-second input, a learning rate that learns in a few epochs."""
    base = {
        "name": "Tiny_Trained",
        "version": "0.0-test",
        "model": ASTConfig(
            size="test", fstride=16, tstride=16, input_fdim=32, input_tdim=100, label_dim=2
        ),
        "frontend": FrontendConfig(num_mel_bins=32, window_s=1.0),
        "epochs": 3,
        "batch_size": 8,
        "optimizer": {"lr": 1e-3},
        "schedule": ScheduleConfig(warmup_share=0.1, decay_start_epoch=2, decay_factor=0.5),
        "augment": AugmentConfig(freqm=8, timem=10, mixup=0.0),
        "average_last_epochs": 2,
        "device": "cpu",
    }
    return TrainConfig.model_validate(base | overrides)
