"""``ranawatch evaluate report/compare/config`` on tiny models trained on a synthetic task."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from core.settings import get_settings
from core.training.config import EvaluationConfig
from core.training.dataset import PreparedDataset, prepare_dataset
from core.training.examples import examples_from_folders
from core.training.trainer import TrainResult, train
from tests.core.training.synthetic import dataset_config, tiny_train_config, write_label_folders
from tests.core.training.test_report import assert_png

runner = CliRunner()


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("RANAWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'ranawatch.db'}")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> PreparedDataset:
    root = tmp_path_factory.mktemp("synthetic")
    write_label_folders(root / "src", per_label=6, seconds=2.0)
    return prepare_dataset(examples_from_folders(root / "src"), root / "ds", dataset_config())


@pytest.fixture(scope="module")
def runs(
    dataset: PreparedDataset, tmp_path_factory: pytest.TempPathFactory
) -> tuple[TrainResult, TrainResult]:
    files = dataset.datafiles["train"], dataset.datafiles["validation"]
    a = train(tiny_train_config(epochs=2), *files, tmp_path_factory.mktemp("run_a"))
    b = train(
        tiny_train_config(epochs=1, average_last_epochs=1, version="0.1-test", seed=1),
        *files,
        tmp_path_factory.mktemp("run_b"),
    )
    return a, b


def test_report_of_a_run_folder(
    runs: tuple[TrainResult, TrainResult], dataset: PreparedDataset, tmp_path: Path
) -> None:
    out = tmp_path / "eval"
    result = runner.invoke(
        app,
        [
            "evaluate",
            "report",
            str(dataset.datafiles["test"]),
            "--model",
            str(runs[0].out_dir),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Frog: AP")
    assert "best F1" in result.output and "precision >= 0.9" in result.output
    assert f"report: {out / 'report.md'}" in result.output
    report = json.loads((out / "evaluation.json").read_text())
    assert report["model"]["name"] == "Tiny_Trained"
    assert report["counts"]["clips"] == len(
        json.loads(dataset.datafiles["test"].read_text())["data"]
    )
    matrix = report["confusion"]["matrix"]
    assert sum(map(sum, matrix)) == report["counts"]["clips"]
    assert set(report["sweeps"]) == {"Frog"}
    assert "# Evaluation: Tiny_Trained 0.0-test" in (out / "report.md").read_text()
    assert_png(out / "pr_curve.png")
    assert_png(out / "score_histogram.png")


def test_report_of_a_card_and_checkpoint_with_settings(
    runs: tuple[TrainResult, TrainResult], dataset: PreparedDataset, tmp_path: Path
) -> None:
    config = tmp_path / "eval.yaml"
    config.write_text(yaml.safe_dump({"report_thresholds": [0.25, 0.75]}))
    result = runner.invoke(
        app,
        [
            "evaluate",
            "report",
            str(dataset.datafiles["test"]),
            "--card",
            str(runs[0].card_path),
            "--checkpoint",
            str(runs[0].checkpoint),
            "--out",
            str(tmp_path / "eval"),
            "--config",
            str(config),
            "--target-precision",
            "0.8",
            "--review-s",
            "30",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "precision >= 0.8" in result.output and "30 s per detection" in result.output
    settings = json.loads((tmp_path / "eval" / "evaluation.json").read_text())["settings"]
    assert settings["target_precision"] == 0.8 and settings["review_s_per_detection"] == 30
    assert settings["report_thresholds"] == [0.25, 0.75]
    text = (tmp_path / "eval" / "report.md").read_text()
    sweep = text.split("## Threshold sweep: Frog")[1].split("Every distinct score")[0]
    rows = [line.split(" | ")[0] for line in sweep.splitlines() if line.startswith("| 0")]
    assert rows == ["| 0.250", "| 0.750"]


def test_compare_two_models(
    runs: tuple[TrainResult, TrainResult], dataset: PreparedDataset, tmp_path: Path
) -> None:
    out = tmp_path / "cmp"
    a, b = (str(r.out_dir) for r in runs)
    result = runner.invoke(
        app,
        ["evaluate", "compare", str(dataset.datafiles["test"]), "--model", a, "--model", b]
        + ["--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    name_a, name_b = Path(a).name, Path(b).name  # run folders are named by their folder
    assert f"== {name_a} (Tiny_Trained 0.0-test)" in result.output
    assert f"== {name_b} (Tiny_Trained 0.1-test)" in result.output
    assert (
        f"| metric | {name_a} | {name_b} | {name_b} - {name_a} |"
        in (out / "comparison.md").read_text()
    )
    comparison = json.loads((out / "comparison.json").read_text())
    assert [m["version"] for m in comparison["models"]] == ["0.0-test", "0.1-test"]
    rows = dict((metric, values) for metric, values in comparison["rows"])
    for i, name in enumerate((name_a, name_b)):
        single = json.loads((out / f"{i + 1}-{name}" / "evaluation.json").read_text())
        assert rows["Frog: AP"][i] == single["clips"]["per_label"]["Frog"]["average_precision"]
    assert_png(out / "pr_curves.png")


def test_unusable_models_and_sets_exit_1(
    runs: tuple[TrainResult, TrainResult], dataset: PreparedDataset, tmp_path: Path
) -> None:
    test_json = str(dataset.datafiles["test"])
    out = ["--out", str(tmp_path / "x")]
    result = runner.invoke(app, ["evaluate", "report", test_json, "--model", str(tmp_path), *out])
    assert result.exit_code == 1 and "not a training run folder" in result.output
    result = runner.invoke(app, ["evaluate", "report", test_json, *out])
    assert result.exit_code == 1 and "either --model" in result.output
    result = runner.invoke(
        app, ["evaluate", "compare", test_json, "--model", str(runs[0].out_dir), *out]
    )
    assert result.exit_code == 1 and "at least two models" in result.output
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"data": [{"wav": "a.wav", "labels": "toad"}]}))
    result = runner.invoke(
        app, ["evaluate", "report", str(other), "--model", str(runs[0].out_dir), *out]
    )
    assert result.exit_code == 1 and str(other) in result.output and "'toad'" in result.output
    result = runner.invoke(app, ["evaluate", "report", test_json, "--model", "Nobody:1.0", *out])
    assert result.exit_code == 1 and "no database" in result.output


def test_default_config_prints_as_loadable_yaml() -> None:
    result = runner.invoke(app, ["evaluate", "config"])
    assert result.exit_code == 0
    assert EvaluationConfig.model_validate(yaml.safe_load(result.output)) == EvaluationConfig()
