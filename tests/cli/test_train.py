"""``ranawatch dataset build``, ``ranawatch train run/config``, and evaluating a registered
version by ``NAME:VERSION``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from core.model.card import load_model_card
from core.settings import get_settings
from core.training.config import DatasetConfig, TrainConfig, save_config
from tests.core.training.synthetic import dataset_config, tiny_train_config, write_label_folders
from tests.core.training.test_report import assert_png

runner = CliRunner()


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("RANAWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'ranawatch.db'}")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_build_train_register_evaluate(tmp_path: Path) -> None:
    write_label_folders(tmp_path / "src", per_label=5, seconds=2.0)
    dcfg = save_config(dataset_config(), tmp_path / "d.yaml")
    built = runner.invoke(
        app,
        [
            "dataset",
            "build",
            str(tmp_path / "ds"),
            "--folder",
            str(tmp_path / "src"),
            "--config",
            str(dcfg),
        ],
    )
    assert built.exit_code == 0, built.output
    assert "train" in built.output and (tmp_path / "ds" / "train.json").is_file()

    tcfg = save_config(tiny_train_config(epochs=2), tmp_path / "t.yaml")
    trained = runner.invoke(
        app, ["train", "run", str(tmp_path / "ds"), str(tmp_path / "run"), "--config", str(tcfg)]
    )
    assert trained.exit_code == 0, trained.output
    assert "epoch 2/2: train loss" in trained.output and "validation loss" in trained.output
    assert "registered as model version 1" in trained.output
    assert json.loads((tmp_path / "run" / "test_metrics.json").read_text())["clips"]["clips"] > 0

    run = tmp_path / "run"
    assert "test report:" in trained.output and "best F1" in trained.output
    assert (run / "report.md").read_text().startswith("# Evaluation: Tiny_Trained 0.0-test")
    assert_png(run / "pr_curve.png")
    assert_png(run / "score_histogram.png")

    # the registered version is found by NAME:VERSION through the run folder it records
    evaluated = runner.invoke(
        app,
        [
            "evaluate",
            "report",
            str(tmp_path / "ds" / "test.json"),
            "--model",
            "Tiny_Trained:0.0-test",
            "--out",
            str(tmp_path / "eval"),
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert evaluated.output.startswith("Frog: AP")
    again = json.loads((tmp_path / "eval" / "evaluation.json").read_text())
    assert again["scores"] == json.loads((run / "test_metrics.json").read_text())["scores"]

    # a run folder that now holds another model is refused, not evaluated
    card = load_model_card(run / "model.yaml")
    card.model_copy(update={"checkpoint_sha256": "0" * 64}).save(run / "model.yaml")
    evaluated = runner.invoke(
        app,
        ["evaluate", "report", str(tmp_path / "ds" / "test.json")]
        + ["--model", "Tiny_Trained:0.0-test", "--out", str(tmp_path / "eval2")],
    )
    assert evaluated.exit_code == 1 and "now holds another model" in evaluated.output


def test_default_configs_print_as_loadable_yaml() -> None:
    for group, cls in (("dataset", DatasetConfig), ("train", TrainConfig)):
        result = runner.invoke(app, [group, "config"])
        assert result.exit_code == 0
        assert cls.model_validate(yaml.safe_load(result.output)) == cls()
    recipe = TrainConfig()
    assert (
        recipe.optimizer.lr,
        recipe.batch_size,
        recipe.augment.freqm,
        recipe.augment.timem,
        recipe.augment.mixup,
        recipe.loss,
    ) == (1e-5, 4, 48, 200, 0.5, "bce")


def test_unusable_sources_exit_1(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["dataset", "build", str(tmp_path / "ds"), "--folder", str(tmp_path / "none")]
    )
    assert result.exit_code == 1 and "not a folder" in result.output
    result = runner.invoke(
        app, ["train", "run", str(tmp_path / "nothing"), str(tmp_path / "run"), "--no-register"]
    )
    assert result.exit_code == 1 and "labels.csv" in result.output
