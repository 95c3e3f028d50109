"""Detection over recordings: windows, the whole pipeline against the recipe, decisions, events."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import torchaudio

from core.audio.io import TruncatedAudioWarning
from core.errors import AudioError, CheckpointError, ConfigError, NotAudioError
from core.model.card import ModelCard
from core.model.detector import Detector, build_detector, resolve_device
from core.model.events import (
    Event,
    RecordingResult,
    WindowScore,
    decide,
    format_times_heard,
    merge_events,
)
from tests.core.model.test_frontend import reference_fbank
from tests.factories import write_wav
from tests.model_factory import (
    THREE_LABELS,
    LoudnessModel,
    tiny_card,
    tiny_model,
    write_checkpoint,
)

CARD = tiny_card()


def noise(seconds: float, rate: int, amplitude: float = 0.1, seed: int = 0) -> np.ndarray:
    return (amplitude * np.random.default_rng(seed).standard_normal(round(seconds * rate))).astype(
        np.float32
    )


def loud_in(spans: list[tuple[float, float]], seconds: float, rate: int = 16_000) -> np.ndarray:
    """Quiet noise with loud noise in ``spans`` (seconds): LoudnessModel's positives."""
    x = noise(seconds, rate, 1e-3)
    for a, b in spans:
        x[round(a * rate) : round(b * rate)] = noise(b - a, rate, 0.3, seed=int(a))
    return x


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    return tiny_model(seed=7)


@pytest.fixture(scope="module")
def detector(model: torch.nn.Module) -> Detector:
    return build_detector(CARD, model=model, device="cpu")


def loudness_detector(card: ModelCard = CARD) -> Detector:
    return build_detector(card, model=LoudnessModel(card.model), device="cpu")


def spans(result: RecordingResult) -> list[tuple[float, float]]:
    return [(round(w.start_s, 4), round(w.end_s, 4)) for w in result.windows]


@pytest.mark.parametrize(
    ("seconds", "hop_s", "expected"),
    [
        (25.0, 10.0, [(0, 10), (10, 20), (20, 25)]),
        (30.0, 10.0, [(0, 10), (10, 20), (20, 30)]),
        (25.0, 5.0, [(0, 10), (5, 15), (10, 20), (15, 25)]),
        (25.0, 15.0, [(0, 10), (15, 25)]),
        (25.0, 12.0, [(0, 10), (12, 22), (24, 25)]),
        (3.0, 10.0, [(0, 3)]),
        (20.01, 10.0, [(0, 10), (10, 20)]),  # a 10 ms tail is shorter than one 25 ms frame
        (20.03, 10.0, [(0, 10), (10, 20), (20, 20.03)]),
    ],
)
def test_windows_and_hops(tmp_path: Path, seconds: float, hop_s: float, expected: list) -> None:
    path = write_wav(tmp_path / "a.wav", noise(seconds, 48_000), 48_000)
    result = loudness_detector().score_file(path, hop_s=hop_s)
    assert spans(result) == expected
    assert result.duration_s == pytest.approx(seconds, abs=1e-4)
    for w in result.windows:
        assert len(w.logits) == len(w.scores) == 2
        assert w.scores == pytest.approx([1 / (1 + np.exp(-v)) for v in w.logits])


def test_too_short_to_score(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "blip.wav", noise(0.01, 48_000), 48_000)
    with pytest.raises(AudioError, match=f"{path}: only 10.0 ms of audio"):
        loudness_detector().score_file(path)


def test_unreadable_audio_raises_the_audio_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("not audio", encoding="utf-8")
    with pytest.raises(NotAudioError):
        loudness_detector().score_file(path)


def reference_logits(path: Path, model: torch.nn.Module, hop_s: float) -> torch.Tensor:
    """The original pipeline written out: mono, resample the file, 10 s segments, recipe, model."""
    data, rate = sf.read(path, dtype="float32", always_2d=True)
    x = torch.from_numpy(data.mean(axis=1))
    x = x if rate == 16_000 else torchaudio.functional.resample(x, rate, 16_000)
    feats = []
    start = 0
    while start < x.numel():
        feats.append(reference_fbank(x[start : start + 160_000], 1000))
        if start + 160_000 >= x.numel():
            break
        start += round(hop_s * 16_000)
    with torch.inference_mode():
        return model(torch.stack(feats))


@pytest.mark.parametrize(
    ("rate", "channels", "hop_s"), [(48_000, 1, 10.0), (44_100, 2, 10.0), (16_000, 1, 4.0)]
)
def test_scores_equal_the_original_pipeline(
    tmp_path: Path,
    detector: Detector,
    model: torch.nn.Module,
    rate: int,
    channels: int,
    hop_s: float,
) -> None:
    x = np.stack([noise(23.5, rate, 0.2, seed=c) for c in range(channels)], axis=1)
    path = write_wav(tmp_path / "r.wav", x.squeeze(), rate, sample_format="FLOAT")
    result = detector.score_file(path, hop_s=hop_s, batch_size=3)
    want = reference_logits(path, model, hop_s)
    assert len(result.windows) == want.shape[0]
    got = torch.tensor([w.logits for w in result.windows])
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def test_batch_size_does_not_change_scores(tmp_path: Path, detector: Detector) -> None:
    path = write_wav(tmp_path / "b.wav", noise(35.0, 32_000), 32_000)
    one = detector.score_file(path, batch_size=1)
    many = detector.score_file(path, batch_size=8)
    np.testing.assert_allclose(
        [w.logits for w in one.windows], [w.logits for w in many.windows], atol=1e-5
    )


def test_default_batch_size_follows_the_device(tmp_path: Path, detector: Detector) -> None:
    path = write_wav(tmp_path / "b.wav", noise(95.0, 16_000), 16_000)
    done: list[int] = []
    detector.score_file(path, progress=lambda windows, total: done.append(windows))
    assert detector.default_batch_size == 4
    assert done == [4, 8, 10]  # ten windows in passes of four
    # Any accelerator (the meta device stands in for a GPU this machine may lack).
    other = Detector(copy.deepcopy(detector.model), detector.card, torch.device("meta"))
    assert other.default_batch_size == 64


def test_stereo_is_averaged_to_mono(tmp_path: Path, detector: Detector) -> None:
    x = noise(12.0, 48_000)
    mono = detector.score_file(write_wav(tmp_path / "m.wav", x, 48_000, sample_format="FLOAT"))
    stereo = detector.score_file(
        write_wav(tmp_path / "s.wav", np.stack([x, x], 1), 48_000, sample_format="FLOAT")
    )
    np.testing.assert_allclose(
        [w.logits for w in mono.windows], [w.logits for w in stereo.windows], atol=1e-6
    )


def test_events_and_times_heard_over_a_recording(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "night.wav", loud_in([(0, 20), (40, 50)], 60.0), 16_000)
    result = loudness_detector().score_file(path)
    assert [w.positive for w in result.windows] == [True, True, False, False, True, False]
    assert [w.label for w in result.windows][:3] == ["Rana draytonii", "Rana draytonii", "Negative"]
    assert result.prediction == "Positive"
    assert result.times_heard == "0-20, 40-50"
    assert [(e.start_s, e.end_s, e.n_windows) for e in result.events] == [(0, 20, 2), (40, 50, 1)]
    first = result.events[0]
    scores = [w.scores[0] for w in result.windows[:2]]
    assert first.max_score == pytest.approx(max(scores))
    assert first.mean_score == pytest.approx(sum(scores) / 2)
    assert (result.model_name, result.model_version) == ("Tiny_Test_Model", "0.0-test")


def test_overlapping_windows_merge_into_one_event(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "o.wav", loud_in([(0, 30)], 50.0), 16_000)
    result = loudness_detector().score_file(path, hop_s=5.0)
    assert result.events[0].start_s == 0
    assert result.events[0].n_windows >= 5
    assert len(result.events) == 1
    assert result.times_heard == f"0-{result.events[0].end_s:g}"


def test_a_quiet_recording_is_negative(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "q.wav", loud_in([], 25.0), 16_000)
    result = loudness_detector().score_file(path)
    assert result.prediction == "Negative"
    assert result.times_heard == "N/A"
    assert result.events == []


def test_thresholds_with_three_labels(tmp_path: Path) -> None:
    card = tiny_card(
        THREE_LABELS,
        ("Rana draytonii", "Rana catesbeiana"),
        rule="threshold",
        thresholds={"Rana draytonii": 0.9, "Rana catesbeiana": 0.4},
    )
    path = write_wav(tmp_path / "t.wav", loud_in([(10, 20)], 30.0), 16_000)
    result = loudness_detector(card).score_file(path)
    # LoudnessModel: label 0 scores ~1 when loud, ~0 when quiet; the others 0.5 always
    assert [w.label for w in result.windows] == [
        "Rana catesbeiana",
        "Rana draytonii",
        "Rana catesbeiana",
    ]
    assert result.windows[1].detected[0][0] == "Rana draytonii"
    assert [d[0] for d in result.windows[1].detected] == ["Rana draytonii", "Rana catesbeiana"]
    assert result.times_heard_for("Rana draytonii") == "10-20"
    assert result.times_heard_for("Rana catesbeiana") == "0-30"
    assert result.times_heard == "0-30"


def test_decide_argmax_is_the_original_rule() -> None:
    assert decide([0.7, 0.2], CARD) == ("Rana draytonii", True, (("Rana draytonii", 0.7),))
    assert decide([0.4, 0.6], CARD) == ("Negative", False, ())
    # a low absolute score still wins when it beats the others
    assert decide([0.2, 0.1], CARD)[:2] == ("Rana draytonii", True)


def test_decide_thresholds() -> None:
    card = tiny_card(
        THREE_LABELS, ("Rana draytonii", "Rana catesbeiana"), rule="threshold",
        thresholds={"Rana draytonii": 0.3},
    )  # fmt: skip
    assert decide([0.35, 0.1, 0.9], card) == ("Rana draytonii", True, (("Rana draytonii", 0.35),))
    assert decide([0.35, 0.8, 0.9], card)[0] == "Rana catesbeiana"  # highest detected wins
    assert decide([0.2, 0.49, 0.1], card) == ("Negative", False, ())  # default 0.5


def window(
    start: float, end: float, positive: bool, score: float = 0.8, label: str = "A"
) -> WindowScore:
    detected = ((label, score),) if positive else ()
    shown = label if positive else "N"
    return WindowScore(start, end, [0.0, 0.0], [score, 1 - score], shown, positive, detected)


def test_merge_events() -> None:
    windows = [
        window(40, 50, True, 0.6),
        window(0, 10, True, 0.9),
        window(10, 20, True, 0.7),
        window(20, 30, False),
        window(5, 15, True, 0.8, label="B"),
    ]
    events = merge_events(windows)
    assert events == [
        Event(0, 20, "A", 0.9, pytest.approx(0.8), 2),
        Event(5, 15, "B", 0.8, 0.8, 1),
        Event(40, 50, "A", 0.6, 0.6, 1),
    ]
    # windows with a gap between them (hop_s > window_s) stay separate
    assert len(merge_events([window(0, 10, True), window(15, 25, True)])) == 2
    assert merge_events([window(0, 10, True), window(5, 15, True)])[0].end_s == 15


def test_merge_windows_rebuilt_without_detected() -> None:
    rebuilt = [WindowScore(0, 10, [0.0, 0.0], [0.7, 0.3], "Rana draytonii", True)]
    [event] = merge_events(rebuilt, ["Rana draytonii", "Negative"])
    assert (event.label, event.max_score) == ("Rana draytonii", 0.7)


def test_format_times_heard() -> None:
    def ev(a: float, b: float, label: str = "A") -> Event:
        return Event(a, b, label, 1.0, 1.0, 1)

    assert format_times_heard([]) == "N/A"
    assert format_times_heard([ev(40, 60), ev(0, 20)]) == "0-20, 40-60"  # by time
    assert format_times_heard([ev(0.0, 10.0), ev(10.0, 20.0)]) == "0-20"
    assert format_times_heard([ev(20, 24.969375)]) == "20-24.97"
    assert format_times_heard([ev(0, 10, "A"), ev(5, 15, "B")]) == "0-15"


def test_progress_is_reported_per_batch(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "p.wav", noise(45.0, 16_000), 16_000)
    calls: list[tuple[int, int]] = []
    loudness_detector().score_file(path, batch_size=2, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_bad_arguments(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "x.wav", noise(1.0, 16_000), 16_000)
    with pytest.raises(ValueError, match="hop_s"):
        loudness_detector().score_file(path, hop_s=0)
    with pytest.raises(ValueError, match="batch_size"):
        loudness_detector().score_file(path, batch_size=0)


def test_build_detector_from_a_checkpoint_file(tmp_path: Path, model: torch.nn.Module) -> None:
    ckpt = write_checkpoint(tmp_path / "best_audio_model1.pth", model)
    det = build_detector(CARD, ckpt, device="cpu")
    path = write_wav(tmp_path / "c.wav", noise(12.0, 16_000), 16_000)
    result = det.score_file(path)
    assert result.checkpoint_sha256 is not None and len(result.checkpoint_sha256) == 64
    pinned = CARD.model_copy(update={"checkpoint_sha256": result.checkpoint_sha256})
    build_detector(pinned, ckpt, device="cpu")
    wrong = CARD.model_copy(update={"checkpoint_sha256": "f" * 64})
    with pytest.raises(CheckpointError, match="wrong checkpoint for this model card"):
        build_detector(wrong, ckpt, device="cpu")


def test_build_detector_errors(model: torch.nn.Module) -> None:
    with pytest.raises(CheckpointError, match="no checkpoint given"):
        build_detector(CARD)
    with pytest.raises(ConfigError, match="has 3 labels"):
        build_detector(tiny_card(THREE_LABELS, ()), model=model, device="cpu")
    with pytest.raises(ConfigError, match="not a torch device"):
        resolve_device("tpu")


def test_device_resolution() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    if torch.cuda.is_available():
        assert resolve_device("auto").type == resolve_device("cuda").type == "cuda"
    else:
        assert resolve_device("auto") == torch.device("cpu")
        with pytest.raises(ConfigError, match="no CUDA GPU"):
            resolve_device("cuda")


def test_a_truncated_file_is_warned_about_once(tmp_path: Path) -> None:
    samples = np.zeros(16_000 * 3, dtype=np.float32)
    path = write_wav(tmp_path / "cut.wav", samples, 16_000, truncate_to=44 + 2 * 16_000 * 2)
    detector = build_detector(tiny_card(), model=tiny_model())
    with pytest.warns(TruncatedAudioWarning) as caught:
        result = detector.score_file(path)
    assert len([w for w in caught if issubclass(w.category, TruncatedAudioWarning)]) == 1
    assert result.duration_s == pytest.approx(2.0)
