"""Scoring real recordings (../shared/realaudio) with a tiny random model.

Random weights say nothing about frogs: these tests check windows, times, shapes and that
the streamed pipeline equals the original recipe on real files, not detection quality.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from core.model.detector import Detector, build_detector
from tests.core.model.test_detect import reference_logits
from tests.model_factory import tiny_card, tiny_model

pytestmark = pytest.mark.realdata

FROG_CLIPS = [
    "Tyler-Schwenk__TNC-AudioMonitoring-2025__High_Grunt.WAV",
    "Tyler-Schwenk__TNC-AudioMonitoring-2025__Low_Both.wav",
]
FIFTEEN_S = "kitzeslab__opensoundscape__metadata.wav"


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    return tiny_model(seed=11)


@pytest.fixture(scope="module")
def detector(model: torch.nn.Module) -> Detector:
    return build_detector(tiny_card(), model=model, device="cpu")


@pytest.mark.parametrize("name", FROG_CLIPS)
def test_three_second_frog_clips(
    realaudio_dir: Path,
    manifest: dict[str, dict[str, str]],
    detector: Detector,
    model: torch.nn.Module,
    name: str,
) -> None:
    path = realaudio_dir / name
    assert manifest[name]["sample_rate"] == "48000"
    result = detector.score_file(path)
    assert result.duration_s == pytest.approx(float(manifest[name]["duration_s"]))
    [window] = result.windows
    assert (window.start_s, window.end_s) == (0.0, pytest.approx(3.0))
    assert len(window.logits) == len(window.scores) == 2
    assert window.label in ("Rana draytonii", "Negative")
    assert result.prediction == ("Positive" if window.positive else "Negative")
    assert result.times_heard == ("0-3" if window.positive else "N/A")
    torch.testing.assert_close(
        torch.tensor([window.logits]), reference_logits(path, model, 10.0), atol=1e-4, rtol=1e-4
    )


def test_fifteen_second_audiomoth_file(
    realaudio_dir: Path,
    manifest: dict[str, dict[str, str]],
    detector: Detector,
    model: torch.nn.Module,
) -> None:
    path = realaudio_dir / FIFTEEN_S
    duration = float(manifest[FIFTEEN_S]["duration_s"])
    result = detector.score_file(path)
    assert [(w.start_s, w.end_s) for w in result.windows] == [
        (0.0, 10.0),
        (10.0, pytest.approx(duration, abs=1e-3)),
    ]
    got = torch.tensor([w.logits for w in result.windows])
    torch.testing.assert_close(got, reference_logits(path, model, 10.0), atol=1e-4, rtol=1e-4)

    overlapping = detector.score_file(path, hop_s=2.5, batch_size=2)
    assert [w.start_s for w in overlapping.windows] == [0.0, 2.5, 5.0]
    assert overlapping.windows[-1].end_s == pytest.approx(duration, abs=1e-3)
    torch.testing.assert_close(
        torch.tensor([w.logits for w in overlapping.windows]),
        reference_logits(path, model, 2.5),
        atol=1e-4,
        rtol=1e-4,
    )
