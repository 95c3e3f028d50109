"""Reading checkpoints, inferring their shape, and the errors that say what does not fit."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch

from core.errors import CheckpointError
from core.model.architecture import (
    check_fits,
    expected_shapes,
    infer_config,
    infer_shape,
    tdim_range,
)
from core.model.ast import build_model
from core.model.card import ASTConfig, load_model_card
from core.model.checkpoint import (
    Checkpoint,
    read_checkpoint,
    verify_sha256,
)
from core.model.detector import build_detector
from tests.model_factory import tiny_config, tiny_model, write_checkpoint


def shaped_state_dict(cfg: ASTConfig) -> dict[str, torch.Tensor]:
    """A state dict with the right shapes and no memory (expanded scalars): for shape logic."""
    return {k: torch.zeros([1] * len(s)).expand(*s) for k, s in expected_shapes(cfg).items()}


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pth", tiny_model())


def test_read_strips_the_dataparallel_prefix_and_hashes_the_file(tiny_ckpt: Path) -> None:
    ckpt = read_checkpoint(tiny_ckpt)
    assert ckpt.had_module_prefix
    assert set(ckpt.state_dict) == set(tiny_model().state_dict())
    assert ckpt.sha256 == hashlib.sha256(tiny_ckpt.read_bytes()).hexdigest()
    assert ckpt.source == str(tiny_ckpt)


@pytest.mark.parametrize("wrap", ["state_dict", "model"])
def test_read_unwraps_nested_state_dicts(tmp_path: Path, wrap: str) -> None:
    path = write_checkpoint(tmp_path / "w.pth", tiny_model(), data_parallel=False, wrap=wrap)
    ckpt = read_checkpoint(path)
    assert not ckpt.had_module_prefix
    assert "v.pos_embed" in ckpt.state_dict


def test_infer_config_of_the_tiny_model(tiny_ckpt: Path) -> None:
    cfg = infer_config(read_checkpoint(tiny_ckpt), input_tdim=1000)
    assert cfg == tiny_config()
    assert infer_config(read_checkpoint(tiny_ckpt)).input_tdim == 996  # smallest that fits


def test_infer_config_of_frog_and_audioset_shapes() -> None:
    frog = Checkpoint.from_state_dict(
        shaped_state_dict(ASTConfig(size="base384", input_tdim=1000, label_dim=2))
    )
    shape = infer_shape(frog)
    assert (shape.embed_dim, shape.depth, shape.label_dim, shape.num_patches) == (768, 12, 2, 1188)
    assert shape.head_classes == 1000
    cfg = infer_config(frog, input_tdim=1000)
    assert (cfg.size, cfg.num_heads, cfg.label_dim, cfg.grid) == ("base384", 12, 2, (12, 99))

    audioset = Checkpoint.from_state_dict(
        shaped_state_dict(ASTConfig(size="base384", input_tdim=1024, label_dim=527))
    )
    assert infer_config(audioset, input_tdim=1024).label_dim == 527
    assert 1024 in tdim_range(1212, fstride=10, tstride=10, input_fdim=128)


def test_infer_heads_by_convention_or_override() -> None:
    custom = ASTConfig(size=None, embed_dim=128, depth=3, num_heads=4, input_tdim=100)
    ckpt = Checkpoint.from_state_dict(shaped_state_dict(custom))
    inferred = infer_config(ckpt, input_tdim=100)
    assert (inferred.size, inferred.embed_dim, inferred.depth) == (None, 128, 3)
    assert inferred.num_heads == 2  # width // 64
    assert infer_config(ckpt, input_tdim=100, num_heads=4).num_heads == 4


def test_tdim_range_matches_the_original_get_shape() -> None:
    assert tdim_range(1188, fstride=10, tstride=10, input_fdim=128) == range(996, 1006)
    for tdim in (995, 996, 1005, 1006):
        f_dim, t_dim = ASTConfig(input_tdim=tdim).grid
        assert (f_dim * t_dim == 1188) == (tdim in range(996, 1006))
    with pytest.raises(ValueError, match="1190 patches"):
        tdim_range(1190, fstride=10, tstride=10, input_fdim=128)


def test_wrong_input_tdim_names_the_file_and_the_range(tiny_ckpt: Path) -> None:
    with pytest.raises(CheckpointError) as err:
        build_model(tiny_config(input_tdim=1024), tiny_ckpt)
    message = str(err.value)
    assert str(tiny_ckpt) in message
    assert (
        "pos_embed has 1188 patches; with fstride=10, input_fdim=128 that is 12 x 99, "
        "so input_tdim must be 996..1005" in message
    )
    assert "not 1024" in message
    with pytest.raises(CheckpointError, match="input_tdim must be 996..1005"):
        infer_config(read_checkpoint(tiny_ckpt), input_tdim=1024)


def test_wrong_strides_leave_no_whole_grid(tiny_ckpt: Path) -> None:
    with pytest.raises(CheckpointError, match="no whole number of time steps"):
        infer_config(read_checkpoint(tiny_ckpt), fstride=16)


def test_label_count_differs_from_the_card(tiny_ckpt: Path) -> None:
    labels = ["Rana draytonii", "Rana catesbeiana", "Negative"]
    with pytest.raises(CheckpointError) as err:
        build_model(tiny_config(label_dim=3), tiny_ckpt, labels=labels)
    assert "has 2 outputs" in str(err.value)
    assert "lists 3 labels ['Rana draytonii', 'Rana catesbeiana', 'Negative']" in str(err.value)


def test_wrong_width_or_depth(tiny_ckpt: Path) -> None:
    with pytest.raises(CheckpointError, match="64 wide with 2 blocks, the model .base384. is 768"):
        check_fits(read_checkpoint(tiny_ckpt), ASTConfig(input_tdim=1000, label_dim=2))


def test_missing_and_unexpected_keys_are_listed() -> None:
    sd = dict(tiny_model().state_dict())
    del sd["v.head_dist.weight"]
    sd["v.blocks.0.ls1.gamma"] = torch.zeros(64)
    with pytest.raises(CheckpointError) as err:
        check_fits(Checkpoint.from_state_dict(sd, "mine.pth"), tiny_config())
    assert "mine.pth" in str(err.value)
    assert "missing keys [v.head_dist.weight]" in str(err.value)
    assert "unexpected keys [v.blocks.0.ls1.gamma]" in str(err.value)


def test_a_mismatched_tensor_shape_is_named() -> None:
    sd = dict(tiny_model().state_dict())
    sd["v.blocks.1.mlp.fc1.weight"] = torch.zeros(128, 64)
    with pytest.raises(CheckpointError, match=r"v.blocks.1.mlp.fc1.weight is \[128, 64\]"):
        check_fits(Checkpoint.from_state_dict(sd), tiny_config())


def test_not_an_ast_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "resnet.pth"
    torch.save({"conv1.weight": torch.zeros(2)}, path)
    with pytest.raises(CheckpointError, match="not an AST checkpoint, it lacks"):
        build_model(tiny_config(), path)


def test_missing_file() -> None:
    with pytest.raises(CheckpointError, match="no such checkpoint file.*RANAWATCH_CHECKPOINT"):
        read_checkpoint("/nonexistent/best_audio_model1.pth")


@pytest.mark.parametrize("content", [b"", b"this is not a checkpoint", b"PK\x03\x04garbage"])
def test_garbage_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.pth"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=f"{path}: not a readable PyTorch checkpoint"):
        read_checkpoint(path)


def test_truncated_checkpoint(tmp_path: Path, tiny_ckpt: Path) -> None:
    path = tmp_path / "cut.pth"
    path.write_bytes(tiny_ckpt.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="is the file complete"):
        read_checkpoint(path)


def test_a_pickled_model_object_is_refused_without_running_it(tmp_path: Path) -> None:
    path = tmp_path / "whole_model.pth"
    torch.save(tiny_model(), path)  # the whole module, not its state dict
    with pytest.raises(CheckpointError) as err:
        read_checkpoint(path)
    assert "pickles the Python object core.model.ast.ASTModel" in str(err.value)
    assert "torch.save(model.state_dict(), path)" in str(err.value)


def test_non_tensor_entries(tmp_path: Path) -> None:
    path = tmp_path / "mixed.pth"
    torch.save({"epoch": 3, "v.pos_embed": torch.zeros(1)}, path)
    with pytest.raises(CheckpointError, match=r"entries \[epoch\] are not tensors"):
        read_checkpoint(path)


def test_a_cuda_saved_checkpoint_loads_on_cpu(tmp_path: Path) -> None:
    # the original saved from GPUs; tensors tagged cuda must still load here (map_location)
    model = tiny_model()
    if torch.cuda.is_available():
        model = model.cuda()
    path = write_checkpoint(tmp_path / "gpu.pth", model)
    ckpt = read_checkpoint(path)
    assert all(t.device.type == "cpu" for t in ckpt.state_dict.values())


def test_verify_sha256(tiny_ckpt: Path) -> None:
    ckpt = read_checkpoint(tiny_ckpt)
    verify_sha256(ckpt, ckpt.sha256)
    verify_sha256(ckpt, None)
    with pytest.raises(CheckpointError, match="wrong checkpoint for this model card"):
        verify_sha256(ckpt, "0" * 64, card="model card X 1.0")


def test_a_card_without_a_model_section_takes_the_checkpoints_architecture(
    tmp_path: Path, tiny_ckpt: Path, caplog: pytest.LogCaptureFixture
) -> None:
    card_path = tmp_path / "card.yaml"
    card_path.write_text(
        "name: Mine\nversion: '1'\nlabels: [Rana draytonii, Negative]\n"
        "positive_labels: [Rana draytonii]\n",
        encoding="utf-8",
    )
    card = load_model_card(card_path)
    assert not card.architecture_pinned and card.model.label_dim == 2
    with caplog.at_level("INFO", logger="core.model.detector"):
        detector = build_detector(card, tiny_ckpt, device="cpu")
    assert detector.model.cfg == tiny_config(input_tdim=998)  # one 10 s window's frames
    assert detector.card.model == detector.model.cfg  # stored with the model version
    assert "has no model section; from the tensors of" in caplog.text
    assert "test (64 wide, 2 blocks, 2 heads), 12 x 99 patches" in caplog.text


def test_every_mismatch_ends_with_the_exact_fix(tiny_ckpt: Path) -> None:
    ckpt = read_checkpoint(tiny_ckpt)
    with pytest.raises(CheckpointError) as err:
        check_fits(ckpt, ASTConfig(input_tdim=1000, label_dim=2))  # base384 card, tiny file
    assert str(err.value).endswith(
        "Fix: in the model card write `model: {size: test, fstride: 10, tstride: 10, "
        "input_fdim: 128, input_tdim: 1000, label_dim: 2}`, or remove the model section to "
        f"have it inferred, or run `ranawatch checkpoint {tiny_ckpt} --write-card CARD.yaml` "
        "and use that card"
    )
    with pytest.raises(CheckpointError, match=r"input_tdim: 996, label_dim: 2\}`"):
        check_fits(ckpt, tiny_config(input_tdim=1024))
    with pytest.raises(CheckpointError) as err:
        check_fits(ckpt, tiny_config(label_dim=3), labels=["a", "b", "c"])
    assert str(err.value).endswith(
        "Fix: give the card 2 labels, one per output in output order, or use the model card "
        "made for this checkpoint"
    )
    with pytest.raises(CheckpointError, match=r"--fstride F --tstride T --mel-bins M"):
        check_fits(ckpt, tiny_config(fstride=16))
    with pytest.raises(CheckpointError, match=f"set checkpoint_sha256: {ckpt.sha256} in the"):
        verify_sha256(ckpt, "0" * 64)
