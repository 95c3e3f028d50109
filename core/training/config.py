"""Settings of data-set preparation and of fine-tuning, as pydantic models that round-trip to YAML.

The defaults are the original recipe (YuanGongND/ast, the frog notebooks): 10-second clips
of 16 kHz mono audio; Adam at ``lr`` 1e-5, batch 4, SpecAugment ``freqm`` 48 / ``timem``
200, mixup 0.5, binary cross-entropy, a learning-rate warm-up, step decay and the average
of the weights of the last epochs. Two of the original's traps are designed out here: the
warm-up is a *share of the run* (the original's fixed 1,000 steps covered 9 of 10 epochs of
a 449-clip set), and metrics use every point of the PR curve (see :mod:`core.training.metrics`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import ConfigError, describe_validation_error
from core.model.card import ASTConfig, FrontendConfig

C = TypeVar("C", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BandpassConfig(_Strict):
    """A zero-phase Butterworth band-pass applied before resampling (``sosfiltfilt``)."""

    low_hz: float = Field(default=200.0, gt=0)
    high_hz: float = Field(default=3000.0, gt=0)
    order: int = Field(default=4, ge=1, le=12)

    @model_validator(mode="after")
    def _ordered(self) -> BandpassConfig:
        if self.low_hz >= self.high_hz:
            raise ValueError(f"low_hz={self.low_hz} must be below high_hz={self.high_hz}")
        return self


class SplitConfig(_Strict):
    """How clips are split: whole groups (recordings, sites or nights), stratified, seeded."""

    train: float = Field(default=0.70, gt=0, le=1)
    validation: float = Field(default=0.15, ge=0, lt=1)
    test: float = Field(default=0.15, ge=0, lt=1)
    group_by: Literal["recording", "site", "night"] = "recording"
    seed: int = 0

    @model_validator(mode="after")
    def _sum_to_one(self) -> SplitConfig:
        total = self.train + self.validation + self.test
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"train + validation + test must be 1, got {total:g}")
        return self

    @property
    def fractions(self) -> dict[str, float]:
        """``{"train": ..., "validation": ..., "test": ...}``."""
        return {"train": self.train, "validation": self.validation, "test": self.test}


class DatasetConfig(_Strict):
    """How clips are cut from the sources and split.

    ``labels`` fixes the label order (model output 0 first); empty takes the labels found,
    sorted, with ``negative_label`` last. A clip around an event starts at the event's
    centre minus half a clip, plus ``offset_s``, plus a uniform jitter in
    ``[-jitter_s, jitter_s]`` (seeded), kept inside the recording. Whole files (a folder per
    label) are cut into consecutive clips, at most ``max_clips_per_file`` each; a last piece
    shorter than ``min_clip_s`` is dropped, a longer one is padded with silence.
    ``negative_ratio`` is the number of random negative windows drawn from recordings marked
    negative per reviewed positive (reviews as the source).
    """

    labels: list[str] = Field(default_factory=list)
    negative_label: str = "Negative"
    clip_s: float = Field(default=10.0, gt=0)
    samplerate_hz: int = Field(default=16_000, ge=1000)
    offset_s: float = 0.0
    jitter_s: float = Field(default=1.0, ge=0)
    min_clip_s: float = Field(default=1.0, ge=0)
    max_clips_per_file: int | None = Field(default=None, ge=1)
    bandpass: BandpassConfig | None = None
    split: SplitConfig = Field(default_factory=SplitConfig)
    negative_ratio: float = Field(default=1.0, ge=0)
    seed: int = 0


class OptimizerConfig(_Strict):
    """Adam as the original AST recipe (``betas`` 0.95/0.999, weight decay 5e-7)."""

    lr: float = Field(default=1e-5, gt=0)
    weight_decay: float = Field(default=5e-7, ge=0)
    betas: tuple[float, float] = (0.95, 0.999)


class ScheduleConfig(_Strict):
    """Learning-rate schedule: linear warm-up over a share of the run, then step decay.

    ``warmup_share`` is the fraction of *all* training steps spent warming up (never a fixed
    step count: 1,000 steps were 9 of 10 epochs of the original 449-clip set). From epoch
    ``decay_start_epoch`` (1-based) on, the rate is multiplied by ``decay_factor`` every
    ``decay_every_epochs`` epochs.
    """

    warmup_share: float = Field(default=0.1, ge=0, lt=1)
    decay_start_epoch: int = Field(default=5, ge=1)
    decay_every_epochs: int = Field(default=1, ge=1)
    decay_factor: float = Field(default=0.85, gt=0, le=1)


class AugmentConfig(_Strict):
    """SpecAugment masks (frequency bins / frames, 0 = off) and waveform mixup."""

    freqm: int = Field(default=48, ge=0)
    timem: int = Field(default=200, ge=0)
    mixup: float = Field(default=0.5, ge=0, le=1)
    mixup_alpha: float = Field(default=10.0, gt=0)


class EvaluationConfig(_Strict):
    """How an evaluation report chooses operating points and prices detections in review time.

    ``target_precision`` sets the high-precision operating point (the highest recall whose
    precision reaches it). ``review_s_per_detection`` is the assumed time a person spends on
    one detection (listening, looking at the spectrogram, deciding): detections and false
    positives per night times it give review minutes per night. ``report_thresholds`` are the
    rows of the threshold table in ``report.md`` (the JSON holds every distinct score).
    """

    target_precision: float = Field(default=0.9, gt=0, le=1)
    review_s_per_detection: float = Field(default=10.0, ge=0)
    report_thresholds: list[float] = Field(
        default_factory=lambda: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
    )

    @model_validator(mode="after")
    def _thresholds_are_scores(self) -> EvaluationConfig:
        if any(not 0 <= t <= 1 for t in self.report_thresholds):
            raise ValueError(f"report_thresholds must lie in [0, 1]: {self.report_thresholds}")
        return self


class TrainConfig(_Strict):
    """One fine-tuning run: the model version it makes and how it is trained.

    ``positive_labels`` empty: every label but ``negative_label``. ``model`` is the
    architecture (``label_dim`` is set to the data set's label count);
    ``init_checkpoint`` a checkpoint in the original layout to start from (the AudioSet AST,
    an earlier frog model), or ``None`` to train from scratch (small test models).
    ``average_last_epochs`` > 1 also averages the weights of that many last epochs; the
    averaged model is kept when it scores better on validation. ``select_metric`` picks
    the best epoch on validation. ``device`` is ``auto``, ``cpu`` or ``cuda``; ``bf16``
    turns on bf16 autocast on CUDA. ``evaluation`` sets the report written on the test split
    (it does not change what is trained).
    """

    name: str = Field(default="AST_Frog_Model", min_length=1)
    version: str = Field(default="0.1", min_length=1)
    description: str = ""
    positive_labels: list[str] = Field(default_factory=list)
    negative_label: str = "Negative"
    model: ASTConfig = Field(default_factory=lambda: ASTConfig(input_tdim=1000, label_dim=2))
    frontend: FrontendConfig = Field(default_factory=FrontendConfig)
    init_checkpoint: Path | None = None
    epochs: int = Field(default=10, ge=1)
    batch_size: int = Field(default=4, ge=1)
    loss: Literal["bce", "ce"] = "bce"
    optimizer: OptimizerConfig = Field(default_factory=OptimizerConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    augment: AugmentConfig = Field(default_factory=AugmentConfig)
    average_last_epochs: int = Field(default=3, ge=1)
    select_metric: Literal["average_precision", "roc_auc", "loss"] = "average_precision"
    threshold: float = Field(default=0.5, ge=0, le=1)
    device: str = "auto"
    bf16: bool = False
    num_workers: int = Field(default=0, ge=0)
    seed: int = 0
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)

    @model_validator(mode="after")
    def _input_covers_window(self) -> TrainConfig:
        frames = self.frontend.window_s * 1000 / self.frontend.frame_shift_ms
        if not 0.9 * frames <= self.model.input_tdim <= 1.1 * frames:
            raise ValueError(
                f"model.input_tdim={self.model.input_tdim} frames do not match a "
                f"{self.frontend.window_s:g} s window ({frames:.0f} frames): set "
                "frontend.window_s to the clip length and input_tdim to its frames"
            )
        if self.frontend.num_mel_bins != self.model.input_fdim:
            raise ValueError(
                f"frontend.num_mel_bins={self.frontend.num_mel_bins} differs from "
                f"model.input_fdim={self.model.input_fdim}"
            )
        return self


def to_yaml(config: BaseModel, *, exclude: set[str] | None = None) -> str:
    """A config as YAML text (every field written out, but the top-level ``exclude``)."""
    data = config.model_dump(mode="json", exclude=exclude)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def save_config(config: BaseModel, path: str | Path) -> Path:
    """Write a config to ``path`` as YAML and return the path."""
    path = Path(path)
    path.write_text(to_yaml(config), encoding="utf-8")
    return path


def load_config(cls: type[C], source: str | Path | None) -> C:
    """Read a :class:`DatasetConfig` or :class:`TrainConfig` from YAML (``None``: defaults).

    Raises
    ------
    ConfigError
        The file cannot be read, is not a YAML mapping, or has invalid fields (named).
    """
    if source is None:
        return cls()
    path = Path(source)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the {cls.__name__}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a {cls.__name__} must be a YAML mapping")
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            f"{path}: invalid {cls.__name__}: {describe_validation_error(exc)}"
        ) from exc
