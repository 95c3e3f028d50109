"""Clips of a datafile as model input: the inference front end, SpecAugment and mixup.

Every clip goes through :func:`core.model.frontend.compute_fbank`, the very function the
detector uses, so a model is trained on exactly what it will see. Training adds, as the
original recipe: waveform mixup (with probability ``mixup``, ``lambda ~ Beta(alpha,
alpha)``, targets mixed alike) and SpecAugment frequency/time masks, set to the value a
zero fbank bin takes after normalisation (the original masked before normalising).
"""

from __future__ import annotations

import numpy as np
import torch
import torchaudio
from torch.utils.data import Dataset

from core.audio.io import load_audio, read_info
from core.errors import DatasetError
from core.model.card import FrontendConfig
from core.model.frontend import compute_fbank
from core.model.resampler import resample
from core.training.config import AugmentConfig


def load_clip(path: str, frontend: FrontendConfig) -> torch.Tensor:
    """A clip's mono samples at the front end's rate."""
    info = read_info(path)
    samples = torch.from_numpy(load_audio(path, mono=True))
    return resample(samples, info.samplerate_hz, frontend.samplerate_hz)


def targets_of(entries: list[dict], mids: list[str]) -> torch.Tensor:
    """Multi-hot targets ``(clips, labels)`` from the entries' comma-separated ``labels``.

    Raises
    ------
    DatasetError
        An entry names a label that is not in ``labels.csv``.
    """
    index = {mid: i for i, mid in enumerate(mids)}
    out = torch.zeros(len(entries), len(mids))
    for row, entry in enumerate(entries):
        for mid in str(entry["labels"]).split(","):
            if mid not in index:
                raise DatasetError(f"{entry['wav']}: label {mid!r} is not in labels.csv ({mids})")
            out[row, index[mid]] = 1.0
    return out


class ClipDataset(Dataset):
    """``(fbank [frames, mel bins], target [labels])`` per datafile entry.

    Parameters
    ----------
    entries, targets
        Datafile entries and their multi-hot targets (:func:`targets_of`).
    frontend, input_tdim
        Front end and frames per input, as the model card.
    augment
        Mixup and masks; ``None`` for evaluation (no randomness at all).
    seed
        Augmentation randomness is drawn from ``(seed, epoch, index)``: reproducible, also
        after resuming.
    """

    def __init__(
        self,
        entries: list[dict],
        targets: torch.Tensor,
        frontend: FrontendConfig,
        input_tdim: int,
        augment: AugmentConfig | None = None,
        seed: int = 0,
    ) -> None:
        self.entries, self.targets = entries, targets
        self.frontend, self.input_tdim = frontend, input_tdim
        self.augment, self.seed, self.epoch = augment, seed, 0
        self._cache: dict[int, torch.Tensor] = {}

    def set_epoch(self, epoch: int) -> None:
        """Draw the next epoch's augmentation."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.entries)

    def _wave(self, i: int) -> torch.Tensor:
        if i not in self._cache:
            self._cache[i] = load_clip(self.entries[i]["wav"], self.frontend)
        return self._cache[i]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        wave, target = self._wave(i), self.targets[i]
        aug = self.augment
        if aug is None:
            return compute_fbank(wave, self.frontend, self.input_tdim), target
        rng = np.random.default_rng((self.seed, self.epoch, i))
        if aug.mixup > 0 and len(self) > 1 and rng.random() < aug.mixup:
            j = int(rng.integers(len(self) - 1))
            j += j >= i
            other = self._wave(j)
            other = torch.nn.functional.pad(other, (0, max(0, len(wave) - len(other))))[: len(wave)]
            lam = float(rng.beta(aug.mixup_alpha, aug.mixup_alpha))
            wave = lam * (wave - wave.mean()) + (1 - lam) * (other - other.mean())
            target = lam * target + (1 - lam) * self.targets[j]
        fbank = compute_fbank(wave, self.frontend, self.input_tdim)
        return self._mask(fbank, rng), target

    def _mask(self, fbank: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        aug = self.augment
        zero = -self.frontend.mean / (2 * self.frontend.std)  # a zero bin, normalised
        spec = fbank.T.unsqueeze(0)  # [1, mel bins, frames], as torchaudio's masks expect
        with torch.random.fork_rng(devices=[]):  # seeded masks, global RNG untouched
            torch.manual_seed(int(rng.integers(2**31)))
            if aug.freqm:
                spec = torchaudio.transforms.FrequencyMasking(aug.freqm)(spec, zero)
            if aug.timem:
                spec = torchaudio.transforms.TimeMasking(aug.timem)(spec, zero)
        return spec.squeeze(0).T.contiguous()
