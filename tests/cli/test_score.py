"""``ranawatch score``: JSON lines, defaults from settings, and exit codes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from core.settings import get_settings
from tests.factories import write_wav
from tests.model_factory import tiny_card, tiny_model, write_checkpoint

runner = CliRunner()


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("CHECKPOINT", "MODEL_CARD", "HOP_S", "BATCH_SIZE", "DEVICE", "BF16"):
        monkeypatch.delenv(f"RANAWATCH_{name}", raising=False)
    monkeypatch.setenv("RANAWATCH_DEVICE", "cpu")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("score")
    rng = np.random.default_rng(3)
    return {
        "checkpoint": write_checkpoint(root / "best_audio_model1.pth", tiny_model(seed=5)),
        "card": tiny_card().save(root / "tiny.yaml"),
        "wav": write_wav(
            root / "20240403_210000.WAV", 0.1 * rng.standard_normal(25 * 48_000), 48_000
        ),
    }


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["score", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_lines(files: dict[str, Path]) -> None:
    ckpt, card = str(files["checkpoint"]), str(files["card"])
    code, out, err = run(str(files["wav"]), "--checkpoint", ckpt, "--model-card", card, "--json")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    windows, summary = lines[:-1], lines[-1]
    assert [(w["start_s"], w["end_s"]) for w in windows] == [(0, 10), (10, 20), (20, 25)]
    for w in windows:
        assert set(w) == {"start_s", "end_s", "logits", "scores", "label", "positive"}
        assert len(w["logits"]) == len(w["scores"]) == 2
        assert w["label"] in ("Rana draytonii", "Negative")
    assert summary["prediction"] in ("Positive", "Negative")
    assert summary["prediction"] == (
        "Positive" if any(w["positive"] for w in windows) else "Negative"
    )
    assert summary["times_heard"] == "N/A" or summary["times_heard"][0].isdigit()
    assert summary["n_windows"] == 3
    assert summary["path"] == str(files["wav"])
    assert summary["model"] == {
        "name": "Tiny_Test_Model",
        "version": "0.0-test",
        "checkpoint_sha256": hashlib.sha256(files["checkpoint"].read_bytes()).hexdigest(),
    }


def test_defaults_come_from_settings(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANAWATCH_CHECKPOINT", str(files["checkpoint"]))
    monkeypatch.setenv("RANAWATCH_MODEL_CARD", str(files["card"]))
    monkeypatch.setenv("RANAWATCH_HOP_S", "5")
    get_settings.cache_clear()
    code, out, err = run(str(files["wav"]), "--json")
    assert code == 0, err
    starts = [json.loads(line)["start_s"] for line in out.splitlines()[:-1]]
    assert starts == [0, 5, 10, 15]
    # an option beats the setting
    code, out, _ = run(str(files["wav"]), "--hop-s", "10", "--json")
    assert len(out.splitlines()) == 4


def test_text_output(files: dict[str, Path]) -> None:
    ckpt, card = str(files["checkpoint"]), str(files["card"])
    code, out, err = run(str(files["wav"]), "-c", ckpt, "-m", card, "--batch-size", "2")
    assert code == 0, err
    assert "0.0-10.0" in out and "20.0-25.0" in out
    assert "Times Heard: " in out
    assert "Model: Tiny_Test_Model 0.0-test" in out


def test_bad_checkpoint_exits_1_naming_the_file(files: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "broken.pth"
    bad.write_bytes(b"not a checkpoint")
    code, out, err = run(str(files["wav"]), "-c", str(bad), "-m", str(files["card"]), "--json")
    assert code == 1
    assert out == ""
    assert f"error: {bad}: not a readable PyTorch checkpoint" in err


def test_checkpoint_of_another_model_card(files: dict[str, Path]) -> None:
    code, _, err = run(str(files["wav"]), "-c", str(files["checkpoint"]), "-m", "rana_draytonii")
    assert code == 1
    assert f"{files['checkpoint']}: does not fit the model" in err


def test_no_checkpoint_at_all(files: dict[str, Path]) -> None:
    code, _, err = run(str(files["wav"]), "-m", str(files["card"]))
    assert code == 1
    assert "no checkpoint given" in err


def test_unreadable_audio_exits_1_naming_the_file(files: dict[str, Path], tmp_path: Path) -> None:
    notes = tmp_path / "notes.WAV"
    notes.write_text("field notes, not audio", encoding="utf-8")
    code, out, err = run(str(notes), "-c", str(files["checkpoint"]), "-m", str(files["card"]))
    assert code == 1
    assert str(notes) in err
    missing = tmp_path / "missing.wav"
    code, _, err = run(str(missing), "-c", str(files["checkpoint"]), "-m", str(files["card"]))
    assert code == 1
    assert str(missing) in err


def test_unknown_model_card(files: dict[str, Path]) -> None:
    code, _, err = run(str(files["wav"]), "-c", str(files["checkpoint"]), "-m", "bullfrog_v9")
    assert code == 1
    assert "bullfrog_v9: no such model card file" in err


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["{wav}", "--hop-s", "0"],
        ["{wav}", "--hop-s", "-5"],
        ["{wav}", "--batch-size", "0"],
        ["{wav}", "--device", "tpu"],
        ["{wav}", "--no-such-option"],
    ],
)
def test_bad_usage_exits_2(files: dict[str, Path], args: list[str]) -> None:
    code, _, _ = run(*(a.format(wav=files["wav"]) for a in args))
    assert code == 2
