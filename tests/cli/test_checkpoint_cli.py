"""``ranawatch checkpoint``: the inferred architecture, and a card that loads the checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from core.model.card import ASTConfig, load_model_card
from core.model.detector import build_detector
from tests.factories import write_wav
from tests.model_factory import tiny_model, write_checkpoint

runner = CliRunner()


@pytest.fixture(scope="module")
def three_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = ASTConfig(size="test", input_tdim=1000, label_dim=3)
    return write_checkpoint(tmp_path_factory.mktemp("ckpt") / "bullfrog.pth", tiny_model(cfg))


def test_shows_the_architecture_the_tensors_say(three_outputs: Path) -> None:
    result = runner.invoke(app, ["checkpoint", str(three_outputs)])
    assert result.exit_code == 0, result.output
    assert "test (64 wide, 2 blocks, 2 heads), 12 x 99 patches at strides 10 x 10" in result.output
    assert "3 outputs" in result.output
    assert "module. prefix: yes" in result.output
    assert "--write-card CARD.yaml" in result.output


def test_writes_a_card_that_loads_the_checkpoint(three_outputs: Path, tmp_path: Path) -> None:
    card_path = tmp_path / "bullfrog.yaml"
    labels = "Rana draytonii,Rana catesbeiana,Negative"
    result = runner.invoke(
        app, ["checkpoint", str(three_outputs), "--write-card", str(card_path), "--labels", labels]
    )
    assert result.exit_code == 0, result.output
    card = load_model_card(card_path)
    assert card.labels == ["Rana draytonii", "Rana catesbeiana", "Negative"]
    assert card.positive_labels == ["Rana draytonii", "Rana catesbeiana"]
    assert (card.model.size, card.model.label_dim, card.model.input_tdim) == ("test", 3, 998)
    assert card.architecture_pinned and card.checkpoint_sha256
    wav = write_wav(tmp_path / "a.wav", np.zeros(16_000 * 3, dtype=np.float32), 16_000)
    result = build_detector(card, three_outputs, device="cpu").score_file(wav)
    assert len(result.windows) == 1 and len(result.windows[0].scores) == 3


def test_wrong_label_count_and_missing_file(three_outputs: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["checkpoint", str(three_outputs), "--labels", "a,b"])
    assert result.exit_code == 2
    assert "--labels names 2 labels but the checkpoint has 3 outputs" in result.output
    result = runner.invoke(app, ["checkpoint", str(tmp_path / "none.pth")])
    assert result.exit_code == 1 and "no such checkpoint file" in result.output
