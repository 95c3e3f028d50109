"""Model versions as data: labels, architecture, front end and decision rule in one YAML card.

A :class:`ModelCard` says everything needed to turn a checkpoint into detections: its name
and version, the label of each output (index 0 first), which labels are target species,
the AST configuration, the front end (sample rate, mel bins, normalisation statistics) and
how a window's scores become a decision. Cards round-trip to YAML; the presets shipped in
``core/model/presets/*.yaml`` are loaded by name:

* ``rana_draytonii`` -- the fine-tuned frog model ``AST_Rana_Draytonii`` 1.0
  (``best_audio_model1.pth``): ``["Rana draytonii", "Negative"]``.
* ``rana_three_class`` -- the later three-class family (Rana draytonii, Rana catesbeiana,
  Negative).
* ``audioset`` -- an AudioSet checkpoint (527 outputs named ``class_0`` ... ``class_526``
  unless ``labels_csv`` names AudioSet's ``class_labels_indices.csv``).
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import ConfigError, describe_validation_error

logger = logging.getLogger(__name__)

PRESETS_DIR = Path(__file__).resolve().parent / "presets"
DEFAULT_PRESET = "rana_draytonii"

ModelSize = Literal["tiny224", "small224", "base224", "base384", "test"]

# (embedding width, depth, heads) of each DeiT size the original AST code offers; "test" is a
# tiny config (as timm's test_vit) so that CPU tests run in seconds. base384 and base224 differ
# only in their ImageNet pretraining; base384 comes first, as the name a base-width
# checkpoint is given (every published AST checkpoint is base384).
SIZES: dict[str, tuple[int, int, int]] = {
    "tiny224": (192, 12, 3),
    "small224": (384, 12, 6),
    "base384": (768, 12, 12),
    "base224": (768, 12, 12),
    "test": (64, 2, 2),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ASTConfig(_Strict):
    """Architecture of an AST model (the arguments of the original ``ASTModel``).

    ``embed_dim``, ``depth`` and ``num_heads`` default to those of ``size``; for a checkpoint
    of another shape set ``size: null`` and give all three. ``head_classes`` is the size of
    the two ImageNet DeiT heads that the original model keeps (unused, but present in every
    checkpoint).
    """

    size: ModelSize | None = "base384"
    embed_dim: int | None = Field(default=None, ge=1)
    depth: int | None = Field(default=None, ge=1)
    num_heads: int | None = Field(default=None, ge=1)
    fstride: int = Field(default=10, ge=1, le=16)
    tstride: int = Field(default=10, ge=1, le=16)
    input_fdim: int = Field(default=128, ge=16)
    input_tdim: int = Field(default=1024, ge=16)
    label_dim: int = Field(default=527, ge=1)
    head_classes: int = Field(default=1000, ge=0)

    @model_validator(mode="after")
    def _fill_from_size(self) -> ASTConfig:
        names = ("embed_dim", "depth", "num_heads")
        if self.size is None:
            missing = [name for name in names if getattr(self, name) is None]
            if missing:
                raise ValueError(f"size is null, so {', '.join(missing)} must be given")
        else:
            # frozen model: fill the defaults through object.__setattr__ once, at validation
            for name, value in zip(names, SIZES[self.size], strict=True):
                if getattr(self, name) is None:
                    object.__setattr__(self, name, value)
        if self.embed_dim % self.num_heads:
            raise ValueError(
                f"embed_dim={self.embed_dim} is not divisible by num_heads={self.num_heads}"
            )
        return self

    @property
    def grid(self) -> tuple[int, int]:
        """Patch grid ``(f_dim, t_dim)`` of 16 x 16 patches at the configured strides."""
        return patch_grid(self.input_fdim, self.input_tdim, self.fstride, self.tstride)


def patch_grid(input_fdim: int, input_tdim: int, fstride: int, tstride: int) -> tuple[int, int]:
    """Number of 16 x 16 patches along frequency and time (as the original ``get_shape``)."""
    return (input_fdim - 16) // fstride + 1, (input_tdim - 16) // tstride + 1


class FrontendConfig(_Strict):
    """The original AST front end: Kaldi fbank of 16 kHz mono audio, normalised.

    ``mean``/``std`` are the dataset statistics the model was trained with; the input is
    ``(fbank - mean) / (2 * std)``. ``window_s`` is the length of one scored window.
    """

    samplerate_hz: int = Field(default=16_000, ge=1000)
    num_mel_bins: int = Field(default=128, ge=16)
    frame_shift_ms: float = Field(default=10.0, gt=0)
    frame_length_ms: float = Field(default=25.0, gt=0)
    window_s: float = Field(default=10.0, gt=0)
    mean: float = -4.2677393
    std: float = Field(default=4.5689974, gt=0)


class DecisionConfig(_Strict):
    """How a window's scores become a label.

    ``argmax`` (the original rule): the label with the highest score. ``threshold``: every
    positive label whose sigmoid score reaches its threshold (``thresholds[label]``, else
    ``default_threshold``) is detected; the window takes the highest-scoring of them, or the
    negative label when none is.
    """

    rule: Literal["argmax", "threshold"] = "argmax"
    thresholds: dict[str, float] = Field(default_factory=dict)
    default_threshold: float = Field(default=0.5, ge=0.0, le=1.0)

    def threshold_for(self, label: str) -> float:
        """The threshold of ``label`` (a sigmoid score in [0, 1])."""
        return self.thresholds.get(label, self.default_threshold)


class ModelCard(_Strict):
    """One model version: what its outputs mean and how to feed it.

    Without a ``model`` section the architecture is read from the checkpoint when it is
    loaded (width, depth, patch grid, outputs; heads from the matching AST size), and
    ``model.label_dim`` is the number of labels.
    """

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str = ""
    labels: list[str] = Field(default_factory=list)
    labels_csv: Path | None = None
    positive_labels: list[str] = Field(default_factory=list)
    negative_label: str = "Negative"
    model: ASTConfig = Field(default_factory=ASTConfig)
    frontend: FrontendConfig = Field(default_factory=FrontendConfig)
    decision: DecisionConfig = Field(default_factory=DecisionConfig)
    checkpoint_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _check_labels(self) -> ModelCard:
        if not self.architecture_pinned and self.labels:
            # no model section: the architecture comes from the checkpoint at load time
            model = ASTConfig(label_dim=len(self.labels), input_fdim=self.frontend.num_mel_bins)
            object.__setattr__(self, "model", model)
        if not self.labels:
            labels = (
                _read_labels_csv(self.labels_csv)
                if self.labels_csv is not None
                else [f"class_{i}" for i in range(self.model.label_dim)]
            )
            object.__setattr__(self, "labels", labels)
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("labels must be unique")
        if len(self.labels) != self.model.label_dim:
            raise ValueError(
                f"{len(self.labels)} labels but model.label_dim={self.model.label_dim}: "
                "give one label per model output"
            )
        unknown = [label for label in self.positive_labels if label not in self.labels]
        if unknown:
            raise ValueError(f"positive_labels {unknown} are not among labels {self.labels}")
        unknown = [label for label in self.decision.thresholds if label not in self.labels]
        if unknown:
            raise ValueError(f"decision.thresholds names unknown labels {unknown}")
        if self.frontend.num_mel_bins != self.model.input_fdim:
            raise ValueError(
                f"frontend.num_mel_bins={self.frontend.num_mel_bins} differs from "
                f"model.input_fdim={self.model.input_fdim}"
            )
        return self

    @property
    def architecture_pinned(self) -> bool:
        """Whether the card gives a ``model`` section; if not, the checkpoint's tensors decide
        (:func:`core.model.detector.build_detector` infers and logs the architecture)."""
        return "model" in self.model_fields_set

    def to_yaml(self) -> str:
        """The card as YAML text (labels written out, so the file stands alone)."""
        data = self.model_dump(mode="json", exclude={"labels_csv"})
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

    def save(self, path: str | Path) -> Path:
        """Write the card to ``path`` as YAML and return the path."""
        path = Path(path)
        path.write_text(self.to_yaml(), encoding="utf-8")
        return path


def _read_labels_csv(path: Path) -> list[str]:
    # AudioSet's class_labels_indices.csv: index,mid,display_name
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise ValueError(f"cannot read labels_csv {path}: {exc.strerror or exc}") from exc
    if not rows or "display_name" not in rows[0]:
        raise ValueError(f"labels_csv {path} needs a header with a display_name column")
    if "index" in rows[0]:
        rows.sort(key=lambda row: int(row["index"]))
    return [row["display_name"] for row in rows]


def preset_names() -> list[str]:
    """Names of the model cards shipped with RanaWatch."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def load_model_card(source: str | Path | None = None) -> ModelCard:
    """Load a model card from a YAML file or a preset name.

    Parameters
    ----------
    source
        A path to a YAML card, the name of a preset (see :func:`preset_names`), or ``None``
        for the default frog model (``rana_draytonii``). A relative ``labels_csv`` in a
        card is read relative to the card's folder.

    Returns
    -------
    ModelCard

    Raises
    ------
    ConfigError
        The file does not exist and is no preset, is not valid YAML, or does not describe a
        consistent model card (the message names the file and the field).
    """
    if source is None:
        source = DEFAULT_PRESET
    path = Path(source)
    if not path.is_file():
        preset = PRESETS_DIR / f"{source}.yaml"
        if isinstance(source, str) and "/" not in source and preset.is_file():
            path = preset
        else:
            raise ConfigError(
                f"{source}: no such model card file, and no preset of that name "
                f"(presets: {', '.join(preset_names())})"
            )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the model card: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a model card must be a YAML mapping (name, version, labels)")
    if data.get("labels_csv"):
        data["labels_csv"] = path.parent / data["labels_csv"]
    try:
        card = ModelCard.model_validate(data)
    except ValidationError as exc:
        problems = describe_validation_error(exc, "card")
        raise ConfigError(f"{path}: invalid model card: {problems}") from exc
    logger.debug("model card %s %s from %s", card.name, card.version, path)
    return card
