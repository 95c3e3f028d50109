"""The demo model ``AST_demo_synthetic:0.1``: a small AST trained on the generator's own calls.

It is trained by RanaWatch's training code (:mod:`core.training`) from scratch, on CPU, on
10-second clips that :func:`write_training_clips` renders with the season's sounds but
its own seed (so the season it is evaluated on was never seen in training). It knows one
thing, the made-up ``Synthetic grunt frog``, and is cached in the data folder: trained once,
reused after.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from core.audio.files import sha256_of
from core.demo.sounds import CALL_LABEL, background, plan_series, render_series
from core.errors import ConfigError
from core.model.card import ASTConfig, DecisionConfig, FrontendConfig, ModelCard

logger = logging.getLogger(__name__)

DEMO_MODEL_NAME = "AST_demo_synthetic"
DEMO_MODEL_VERSION = "0.1"
NEGATIVE = "Negative"
CLIP_S = 10.0
SAMPLERATE_HZ = 16_000
#: What decides the cached model; a change retrains it.
RECIPE = {
    "clips_per_label": 160,
    "seed": 4242,
    "epochs": 12,
    "lr": 3e-4,
    "version": DEMO_MODEL_VERSION,
}


# The small model's scores of planted calls spread low; at 0.5 a seventh of them were missed
# (recall 0.86), at 0.2 recall was 0.92 with precision 0.88 on the CI-sized demo.
DEMO_THRESHOLD = 0.2


def demo_card(checkpoint_sha256: str | None = None) -> ModelCard:
    """The demo model's card: two labels, a small AST, a 64-bin front end."""
    return ModelCard(
        name=DEMO_MODEL_NAME,
        version=DEMO_MODEL_VERSION,
        description=(
            "DEMO ONLY. A small AST trained from scratch on synthetic clips made by "
            "`ranawatch demo`; it detects the made-up 'Synthetic grunt frog' of the demo "
            "season and nothing real."
        ),
        labels=[CALL_LABEL, NEGATIVE],
        positive_labels=[CALL_LABEL],
        negative_label=NEGATIVE,
        model=ASTConfig(
            size=None,
            embed_dim=64,
            depth=2,
            num_heads=2,
            fstride=16,
            tstride=16,
            input_fdim=64,
            input_tdim=1000,
            label_dim=2,
        ),
        # Statistics of the demo clips (quieter than AudioSet): inputs of about unit scale.
        frontend=FrontendConfig(num_mel_bins=64, mean=-5.2, std=2.5),
        decision=DecisionConfig(rule="threshold", default_threshold=DEMO_THRESHOLD),
        checkpoint_sha256=checkpoint_sha256,
    )


def write_training_clips(
    out_dir: str | Path, per_label: int = 160, seed: int = 4242
) -> dict[str, list[Path]]:
    """Render 10-second clips, a folder per label: calls over varied nights, and nights alone.

    Negatives hold everything the season holds besides the calls (wind, rain, the chorus),
    often loud, so that the model learns the grunt series and not "something is there".
    """
    rng = np.random.default_rng(seed)
    root = Path(out_dir)
    n = int(CLIP_S * SAMPLERATE_HZ)
    written: dict[str, list[Path]] = {CALL_LABEL: [], NEGATIVE: []}
    for label in (CALL_LABEL, NEGATIVE):
        folder = root / label
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(per_label):
            audio = background(
                rng,
                n,
                SAMPLERATE_HZ,
                wind_strength=float(rng.uniform(0.005, 0.035)),
                rain_intensity=float(rng.uniform(0.3, 1.0)) if rng.random() < 0.35 else 0.0,
                callers=int(rng.integers(0, 8)),
            )
            if label == CALL_LABEL:
                temperature = float(rng.uniform(7, 18))
                level = float(rng.uniform(0.2, 0.5))
                count = int(rng.integers(1, 4))
                for series in plan_series(rng, CLIP_S, temperature, level, count=count):
                    render_series(audio, SAMPLERATE_HZ, series, rng)
            path = folder / f"{'call' if label == CALL_LABEL else 'none'}_{k:04d}.wav"
            soundfile.write(path, np.clip(audio, -1, 1), SAMPLERATE_HZ, subtype="PCM_16")
            written[label].append(path)
    return written


@dataclass(frozen=True)
class DemoModel:
    """A trained demo model on disk."""

    checkpoint: Path
    card: Path
    trained_now: bool


def _fingerprint() -> str:
    recipe = {**RECIPE, "threshold": DEMO_THRESHOLD}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def cached_demo_model(cache_dir: str | Path) -> DemoModel | None:
    """The demo model already trained into ``cache_dir`` with the current recipe, if any."""
    root = Path(cache_dir)
    stamp = root / "recipe.txt"
    checkpoint, card = root / f"{DEMO_MODEL_NAME}.pth", root / f"{DEMO_MODEL_NAME}.yaml"
    ready = checkpoint.is_file() and card.is_file() and stamp.is_file()
    if ready and stamp.read_text(encoding="utf-8").strip() == _fingerprint():
        return DemoModel(checkpoint, card, trained_now=False)
    return None


def ensure_demo_model(
    cache_dir: str | Path, progress: Callable[[int, int], None] | None = None
) -> DemoModel:
    """Return the cached demo model, training it first when there is none.

    Parameters
    ----------
    cache_dir
        Folder for the clips, the dataset, the checkpoint and its card.
    progress
        Called as ``progress(steps_done, steps_total)`` while training.
    """
    cached = cached_demo_model(cache_dir)
    if cached is not None:
        return cached
    root = Path(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    clips = write_training_clips(root / "clips", RECIPE["clips_per_label"], RECIPE["seed"])
    checkpoint = _train(root, clips, progress)
    sha = sha256_of(checkpoint)
    card = demo_card(sha).save(root / f"{DEMO_MODEL_NAME}.yaml")
    (root / "recipe.txt").write_text(_fingerprint() + "\n", encoding="utf-8")
    logger.info("demo model trained: %s", checkpoint)
    return DemoModel(checkpoint, card, trained_now=True)


def _train(
    root: Path,
    clips: dict[str, list[Path]],
    progress: Callable[[int, int], None] | None,
) -> Path:
    """Train with RanaWatch's training code; return the checkpoint (``module.`` layout)."""
    try:
        from core.training.config import (
            AugmentConfig,
            DatasetConfig,
            OptimizerConfig,
            ScheduleConfig,
            TrainConfig,
        )
        from core.training.dataset import prepare_dataset
        from core.training.examples import examples_from_folders
        from core.training.trainer import TrainProgress, train
    except ImportError as exc:
        raise ConfigError(
            f"cannot train the demo model: RanaWatch's training code is missing ({exc}); "
            "reinstall RanaWatch (scripts/setup.sh)"
        ) from exc

    card = demo_card()
    dataset = prepare_dataset(
        examples_from_folders(root / "clips"),
        root / "dataset",
        DatasetConfig(
            labels=[CALL_LABEL, NEGATIVE],
            clip_s=CLIP_S,
            samplerate_hz=SAMPLERATE_HZ,
            jitter_s=0.0,
            seed=RECIPE["seed"],
        ),
    )
    epochs = RECIPE["epochs"]

    def report(state: TrainProgress) -> None:
        if progress is not None:
            progress((state.epoch - 1) * state.steps + state.step, epochs * state.steps)

    result = train(
        TrainConfig(
            name=DEMO_MODEL_NAME,
            version=DEMO_MODEL_VERSION,
            description=card.description,
            positive_labels=[CALL_LABEL],
            model=card.model,
            frontend=card.frontend,
            epochs=epochs,
            batch_size=16,
            # From scratch, a small model wants a far larger step than fine-tuning does;
            # masks and mixup would hide or blur the few seconds a call takes.
            optimizer=OptimizerConfig(lr=RECIPE["lr"], weight_decay=0.01, betas=(0.9, 0.999)),
            schedule=ScheduleConfig(warmup_share=0.1, decay_start_epoch=epochs // 2),
            augment=AugmentConfig(freqm=0, timem=0, mixup=0.0),
            average_last_epochs=1,
            device="cpu",
            seed=RECIPE["seed"],
        ),
        dataset.datafiles["train"],
        dataset.datafiles["validation"],
        root / "train",
        progress=report,
    )
    target = root / f"{DEMO_MODEL_NAME}.pth"
    shutil.copyfile(result.checkpoint, target)
    logger.info("demo model: %s, validation %s", result.chosen, result.validation)
    return target
