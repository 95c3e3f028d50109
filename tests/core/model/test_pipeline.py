"""Scoring many files: full forward passes across files, per-file failures, bounded work."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from core.errors import AudioError, CorruptHeaderError, UnsupportedFormatError
from core.model import detector as detector_module
from core.model.card import ASTConfig
from core.model.detector import Detector, build_detector
from core.model.events import decide
from core.model.frontend import StageTimes
from core.model.pipeline import prefetch
from tests.factories import write_wav
from tests.model_factory import THREE_LABELS, tiny_card, tiny_model

CARD = tiny_card()


def noise(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.1 * rng.standard_normal(round(seconds * rate))).astype(np.float32)


class Recording(nn.Module):
    """Wraps a model and records the batch size of every forward pass."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner, self.cfg, self.batches = inner, inner.cfg, []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.batches.append(x.shape[0])
        return self.inner(x)


class Constant(nn.Module):
    """Logit 0 for every label: every sigmoid score is exactly 0.5."""

    def __init__(self, cfg: ASTConfig) -> None:
        super().__init__()
        self.cfg = cfg

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(x.shape[0], self.cfg.label_dim)


@pytest.fixture(scope="module")
def model() -> nn.Module:
    return tiny_model(seed=3)


def short_files(folder: Path, n: int, seconds: float = 12.0) -> list[Path]:
    return [write_wav(folder / f"f{i}.wav", noise(seconds, 48_000, i), 48_000) for i in range(n)]


@pytest.mark.parametrize("depth", [0, 2])
def test_windows_of_short_files_fill_whole_forward_passes(
    tmp_path: Path, model: nn.Module, depth: int
) -> None:
    files = short_files(tmp_path, 7)  # 2 windows each: 14 windows
    recorder = Recording(model)
    detector = build_detector(CARD, model=recorder, device="cpu")
    together = dict(detector.score_files(files, batch_size=4, prefetch=depth))
    assert recorder.batches == [4, 4, 4, 2]  # not seven passes of 2
    assert list(together) == files
    for path in files:  # the same scores as one file at a time
        alone = detector.score_file(path, batch_size=1)
        np.testing.assert_allclose(
            [w.logits for w in together[path].windows], [w.logits for w in alone.windows],
            atol=1e-5,
        )  # fmt: skip


def test_a_bad_file_is_an_outcome_and_the_others_are_scored(
    tmp_path: Path, model: nn.Module
) -> None:
    good = short_files(tmp_path, 3)
    text = tmp_path / "notes.wav"
    text.write_text("not audio", encoding="utf-8")
    odd = write_wav(tmp_path / "odd.wav", noise(1.0, 15_999), 15_999)
    slow = write_wav(tmp_path / "slow.wav", noise(100.0, 12), 12)
    missing = tmp_path / "gone.wav"
    order = [good[0], text, odd, good[1], slow, missing, good[2]]
    detector = build_detector(CARD, model=model, device="cpu")
    outcomes = list(detector.score_files(order, batch_size=3))
    assert [path for path, _ in outcomes] == order
    kinds = {path.name: outcome for path, outcome in outcomes}
    assert all(len(kinds[p.name].windows) == 2 for p in good)
    assert isinstance(kinds["notes.wav"], AudioError)
    assert isinstance(kinds["odd.wav"], UnsupportedFormatError)
    assert "no small ratio to the model's 16000 Hz" in str(kinds["odd.wav"])
    assert isinstance(kinds["slow.wav"], CorruptHeaderError)
    assert "sample rate 12 Hz is outside the plausible range" in str(kinds["slow.wav"])
    assert isinstance(kinds["gone.wav"], AudioError)


def test_score_file_raises_the_files_error(tmp_path: Path, model: nn.Module) -> None:
    odd = write_wav(tmp_path / "odd.wav", noise(1.0, 64), 64)
    with pytest.raises(CorruptHeaderError, match=f"{odd}: sample rate 64 Hz is outside"):
        build_detector(CARD, model=model, device="cpu").score_file(odd)
    wide = Detector(model, CARD, torch.device("cpu"), samplerate_range_hz=(8, 1_000))
    assert len(wide.score_file(odd).windows) == 1  # a range that admits it scores it


def test_stage_times_are_collected(tmp_path: Path, model: nn.Module) -> None:
    times = StageTimes()
    detector = build_detector(CARD, model=model, device="cpu")
    list(detector.score_files(short_files(tmp_path, 2), times=times))
    assert set(times.seconds) == {"read", "resample", "fbank", "model"}
    assert all(s > 0 for s in times.seconds.values())


def test_bf16_scores_are_within_1e_2_of_float32(tmp_path: Path, model: nn.Module) -> None:
    [path] = short_files(tmp_path, 1, seconds=25.0)
    fp32 = build_detector(CARD, model=model, device="cpu").score_file(path)
    # The Detector itself, so bf16 runs even on a CPU where build_detector would refuse it.
    bf16 = Detector(model, CARD, torch.device("cpu"), bf16=True).score_file(path)
    assert bf16.windows and fp32.windows
    diff = np.abs(np.array([w.scores for w in fp32.windows]) - [w.scores for w in bf16.windows])
    assert diff.max() < 1e-2


def test_compiled_model_gives_the_same_scores(tmp_path: Path, model: nn.Module) -> None:
    [path] = short_files(tmp_path, 1)
    plain = build_detector(CARD, model=model, device="cpu").score_file(path)
    compiled = build_detector(CARD, model=model, device="cpu", compile="eager").score_file(path)
    np.testing.assert_allclose(
        [w.logits for w in plain.windows], [w.logits for w in compiled.windows], atol=1e-5
    )


def test_attention_uses_torch_scaled_dot_product(model: nn.Module) -> None:
    assert all(block.attn.fused_attn for block in model.v.blocks)


def test_prefetch_raises_what_the_thread_raised() -> None:
    def items():
        yield 1
        raise RuntimeError("boom on the loader thread")

    got = []
    with pytest.raises(RuntimeError, match="boom on the loader"):
        for item in prefetch(items(), 2):
            got.append(item)
    assert got == [1]


def test_prefetch_stops_its_thread_when_closed() -> None:
    seen = []

    def items():
        for i in range(1000):
            seen.append(i)
            yield i

    stream = prefetch(items(), 2)
    assert next(stream) == 0
    stream.close()
    assert len(seen) <= 5  # it ran at most `depth` (+ the one in hand) ahead, then stopped


def test_a_score_exactly_on_its_threshold_is_detected(tmp_path: Path) -> None:
    """Thresholds are inclusive: ``score >= threshold`` is a detection (see DecisionConfig)."""
    card = tiny_card(THREE_LABELS, ("Rana draytonii",), rule="threshold",
                     thresholds={"Rana draytonii": 0.5})  # fmt: skip
    assert decide([0.5, 0.1, 0.1], card) == ("Rana draytonii", True, (("Rana draytonii", 0.5),))
    below = math.nextafter(0.5, 0.0)
    assert decide([below, 0.1, 0.1], card)[:2] == ("Negative", False)
    # end to end: logit 0 is a sigmoid score of exactly 0.5
    [path] = short_files(tmp_path, 1)
    result = Detector(Constant(card.model), card, torch.device("cpu")).score_file(path)
    assert [w.scores[0] for w in result.windows] == [0.5, 0.5]
    assert result.prediction == "Positive" and result.times_heard == "0-12"


@pytest.mark.parametrize("native", [True, False])
def test_bf16_on_a_cpu_is_used_only_where_it_is_fast(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    model: nn.Module,
    native: bool,
) -> None:
    monkeypatch.setattr(detector_module, "fast_bf16", lambda device: native)
    with caplog.at_level(logging.WARNING, logger="core.model.detector"):
        detector = build_detector(CARD, model=model, device="cpu", bf16=True)
    assert detector.bf16 is native
    assert ("scoring in float32" in caplog.text) is not native
