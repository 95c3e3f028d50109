"""A tiny AST learns a synthetic two-class task; its checkpoint is the original layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from core.errors import TrainingError
from core.model.card import ASTConfig
from core.model.checkpoint import Checkpoint
from core.model.detector import build_detector
from core.training.config import TrainConfig, load_config
from core.training.dataset import PreparedDataset, prepare_dataset
from core.training.evaluate import evaluate_checkpoint
from core.training.examples import examples_from_folders
from core.training.trainer import TrainProgress, TrainResult, build_training_model, train
from core.training.weights import load_initial_weights, original_state_dict

from .synthetic import dataset_config, tiny_train_config, write_label_folders


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> PreparedDataset:
    root = tmp_path_factory.mktemp("synthetic")
    write_label_folders(root / "src", per_label=8, seconds=2.0)
    return prepare_dataset(examples_from_folders(root / "src"), root / "ds", dataset_config())


@pytest.fixture(scope="module")
def trained(dataset: PreparedDataset, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    out = tmp_path_factory.mktemp("run")
    return train(
        tiny_train_config(), dataset.datafiles["train"], dataset.datafiles["validation"], out
    )


def test_beats_chance_on_the_held_out_test_split(
    trained: TrainResult, dataset: PreparedDataset
) -> None:
    report = evaluate_checkpoint(trained.card, trained.checkpoint, dataset.datafiles["test"])
    clips = report["clips"]
    assert clips["clips"] >= 4
    assert clips["average_precision"] > 0.9
    assert clips["accuracy"] >= 0.75
    assert set(report["per_site"]) == {"-"}


def test_checkpoint_is_the_original_layout_and_loads_in_the_detector(
    trained: TrainResult, tmp_path: Path
) -> None:
    state = torch.load(trained.checkpoint, weights_only=True)
    assert all(key.startswith("module.") for key in state)
    detector = build_detector(trained.card, trained.checkpoint, device="cpu")  # strict load
    assert trained.card.checkpoint_sha256 == detector.checkpoint_sha256
    x = torch.randn(3, trained.card.model.input_tdim, trained.card.model.input_fdim)
    with torch.no_grad():
        ours = detector.model(x)
    plain = {k.removeprefix("module."): v for k, v in state.items()}
    theirs = _original_forward(plain, x, trained.card.model)
    torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=1e-4)


def test_outputs_card_metrics_and_config(trained: TrainResult) -> None:
    out = trained.out_dir
    assert (out / "model.yaml").is_file() and (out / "best.pth").is_file()
    metrics = json.loads((out / "metrics.json").read_text())
    assert [e["epoch"] for e in metrics["epochs"]] == [1, 2, 3]
    assert metrics["chosen"] == trained.chosen
    assert trained.card.labels == ["Frog", "Negative"]
    assert trained.card.positive_labels == ["Frog"]
    assert load_config(TrainConfig, out / "train.yaml") == tiny_train_config()


def test_resumes_after_a_crash_as_if_never_stopped(
    dataset: PreparedDataset, trained: TrainResult, tmp_path: Path
) -> None:
    def crash_after_first_epoch(p: TrainProgress) -> None:
        if p.validation is not None and p.epoch == 1:
            raise KeyboardInterrupt

    cfg = tiny_train_config()
    files = dataset.datafiles["train"], dataset.datafiles["validation"]
    with pytest.raises(KeyboardInterrupt):
        train(cfg, *files, tmp_path, progress=crash_after_first_epoch)
    epochs_seen: list[int] = []
    resumed = train(cfg, *files, tmp_path, progress=lambda p: epochs_seen.append(p.epoch))
    assert set(epochs_seen) == {2, 3}
    assert [r.epoch for r in resumed.history] == [1, 2, 3]
    a = torch.load(resumed.checkpoint, weights_only=True)
    b = torch.load(trained.checkpoint, weights_only=True)
    for key in a:
        torch.testing.assert_close(a[key], b[key])


def test_state_of_another_config_is_refused(dataset: PreparedDataset, trained: TrainResult) -> None:
    cfg = tiny_train_config(epochs=5)
    with pytest.raises(TrainingError, match="another config"):
        train(cfg, dataset.datafiles["train"], dataset.datafiles["validation"], trained.out_dir)


def test_progress_reports_steps_and_validation(dataset: PreparedDataset, tmp_path: Path) -> None:
    events: list[TrainProgress] = []
    cfg = tiny_train_config(epochs=1, average_last_epochs=1)
    train(
        cfg,
        dataset.datafiles["train"],
        dataset.datafiles["validation"],
        tmp_path,
        progress=events.append,
    )
    assert events[-1].validation is not None and "average_precision" in events[-1].validation
    assert [e.step for e in events if e.validation is None] == list(range(1, events[-1].steps + 1))


def test_starts_from_a_checkpoint_with_other_labels_and_frames(tmp_path: Path) -> None:
    # an "AudioSet" parent: 5 outputs, 200 frames; the child: 2 labels, 100 frames
    parent_cfg = tiny_train_config(
        model=ASTConfig(
            size="test", fstride=16, tstride=16, input_fdim=32, input_tdim=200, label_dim=5
        ),
        frontend={"num_mel_bins": 32, "window_s": 2.0},
    )
    parent = build_training_model(parent_cfg, [f"c{i}" for i in range(5)])
    path = tmp_path / "parent.pth"
    torch.save(original_state_dict(parent), path)
    child = build_training_model(tiny_train_config(init_checkpoint=path), ["Frog", "Negative"])
    torch.testing.assert_close(
        child.v.blocks[0].attn.qkv.weight, parent.v.blocks[0].attn.qkv.weight
    )
    assert child.v.pos_embed.shape[1] == 2 + child.cfg.grid[0] * child.cfg.grid[1]
    assert child.mlp_head[1].weight.shape[0] == 2
    wide = ASTConfig(
        size="tiny224", fstride=16, tstride=16, input_fdim=32, input_tdim=100, label_dim=2
    )
    other = build_training_model(tiny_train_config(model=wide), ["Frog", "Negative"])
    with pytest.raises(TrainingError, match="model needs"):
        load_initial_weights(other, Checkpoint.from_state_dict(original_state_dict(parent)))


def _original_forward(sd: dict[str, torch.Tensor], x: torch.Tensor, cfg: ASTConfig) -> torch.Tensor:
    """The original AST forward pass written from its state dict alone (no timm)."""
    d, heads = cfg.embed_dim, cfg.num_heads
    x = x.unsqueeze(1).transpose(2, 3)
    x = F.conv2d(
        x,
        sd["v.patch_embed.proj.weight"],
        sd["v.patch_embed.proj.bias"],
        stride=(cfg.fstride, cfg.tstride),
    )
    x = x.flatten(2).transpose(1, 2)
    b = x.shape[0]
    x = torch.cat([sd["v.cls_token"].expand(b, -1, -1), sd["v.dist_token"].expand(b, -1, -1), x], 1)
    x = x + sd["v.pos_embed"]
    n = x.shape[1]
    for i in range(cfg.depth):
        p = f"v.blocks.{i}."
        h = F.layer_norm(x, (d,), sd[p + "norm1.weight"], sd[p + "norm1.bias"], eps=1e-6)
        qkv = F.linear(h, sd[p + "attn.qkv.weight"], sd[p + "attn.qkv.bias"])
        q, k, v = qkv.reshape(b, n, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
        attn = ((q @ k.transpose(-2, -1)) * (d // heads) ** -0.5).softmax(-1)
        h = (attn @ v).transpose(1, 2).reshape(b, n, d)
        x = x + F.linear(h, sd[p + "attn.proj.weight"], sd[p + "attn.proj.bias"])
        h = F.layer_norm(x, (d,), sd[p + "norm2.weight"], sd[p + "norm2.bias"], eps=1e-6)
        h = F.linear(
            F.gelu(F.linear(h, sd[p + "mlp.fc1.weight"], sd[p + "mlp.fc1.bias"])),
            sd[p + "mlp.fc2.weight"],
            sd[p + "mlp.fc2.bias"],
        )
        x = x + h
    x = F.layer_norm(x, (d,), sd["v.norm.weight"], sd["v.norm.bias"], eps=1e-6)
    x = (x[:, 0] + x[:, 1]) / 2
    x = F.layer_norm(x, (d,), sd["mlp_head.0.weight"], sd["mlp_head.0.bias"], eps=1e-5)
    return F.linear(x, sd["mlp_head.1.weight"], sd["mlp_head.1.bias"])
