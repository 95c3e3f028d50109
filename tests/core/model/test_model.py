"""The AST model: the original state-dict layout, strict loading, and the original forward."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from core.model.architecture import expected_shapes
from core.model.ast import ASTModel, build_model
from core.model.card import ASTConfig
from tests.model_factory import tiny_config, tiny_model, write_checkpoint

# Written by hand from YuanGongND/ast src/models/ast_models.py (timm 0.4.5 DeiT distilled):
# the keys of ASTModel(...).state_dict() for a 2-block model, without the DataParallel prefix.
ORIGINAL_KEYS_DEPTH_2 = {
    "v.cls_token",
    "v.dist_token",
    "v.pos_embed",
    "v.patch_embed.proj.weight",
    "v.patch_embed.proj.bias",
    *(
        f"v.blocks.{i}.{part}.{kind}"
        for i in range(2)
        for part in ("norm1", "attn.qkv", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2")
        for kind in ("weight", "bias")
    ),
    "v.norm.weight",
    "v.norm.bias",
    "v.head.weight",
    "v.head.bias",
    "v.head_dist.weight",
    "v.head_dist.bias",
    "mlp_head.0.weight",
    "mlp_head.0.bias",
    "mlp_head.1.weight",
    "mlp_head.1.bias",
}


def reference_forward(sd: dict[str, torch.Tensor], x: torch.Tensor, cfg: ASTConfig) -> torch.Tensor:
    """The original AST forward, written out by hand from the published code.

    Patches by unfolding (no conv module), attention with an explicit qkv split and
    softmax, LayerNorm eps 1e-6 inside the ViT (timm 0.4.5 DeiT) and 1e-5 in mlp_head.
    """
    d, heads = cfg.embed_dim, cfg.num_heads
    x = x.unsqueeze(1).transpose(2, 3)  # [B, 1, F, T]
    batch = x.shape[0]
    patches = x.unfold(2, 16, cfg.fstride).unfold(3, 16, cfg.tstride)  # B,1,f,t,16,16
    f_dim, t_dim = patches.shape[2], patches.shape[3]
    patches = patches.reshape(batch, f_dim * t_dim, 256)  # frequency-major, as flatten(2)
    w = sd["v.patch_embed.proj.weight"].reshape(d, 256)
    tokens = patches @ w.T + sd["v.patch_embed.proj.bias"]
    cls = sd["v.cls_token"].expand(batch, -1, -1)
    dist = sd["v.dist_token"].expand(batch, -1, -1)
    h = torch.cat([cls, dist, tokens], dim=1) + sd["v.pos_embed"]

    def ln(t: torch.Tensor, prefix: str, eps: float) -> torch.Tensor:
        mean = t.mean(-1, keepdim=True)
        var = ((t - mean) ** 2).mean(-1, keepdim=True)
        return (t - mean) / torch.sqrt(var + eps) * sd[prefix + ".weight"] + sd[prefix + ".bias"]

    for i in range(cfg.depth):
        b = f"v.blocks.{i}."
        y = ln(h, b + "norm1", 1e-6)
        qkv = y @ sd[b + "attn.qkv.weight"].T + sd[b + "attn.qkv.bias"]
        q, k, v = qkv.reshape(batch, -1, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
        attn = torch.softmax(q @ k.transpose(-2, -1) * (d // heads) ** -0.5, dim=-1)
        y = (attn @ v).transpose(1, 2).reshape(batch, -1, d)
        h = h + y @ sd[b + "attn.proj.weight"].T + sd[b + "attn.proj.bias"]
        y = ln(h, b + "norm2", 1e-6)
        y = F.gelu(y @ sd[b + "mlp.fc1.weight"].T + sd[b + "mlp.fc1.bias"])
        h = h + y @ sd[b + "mlp.fc2.weight"].T + sd[b + "mlp.fc2.bias"]
    h = ln(h, "v.norm", 1e-6)
    pooled = (h[:, 0] + h[:, 1]) / 2
    pooled = ln(pooled, "mlp_head.0", 1e-5)
    return pooled @ sd["mlp_head.1.weight"].T + sd["mlp_head.1.bias"]


def test_state_dict_keys_are_the_original_layout() -> None:
    model = tiny_model()
    assert set(model.state_dict()) == ORIGINAL_KEYS_DEPTH_2
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == expected_shapes(model.cfg)
    assert shapes["v.pos_embed"] == (1, 12 * 99 + 2, 64)
    assert shapes["v.patch_embed.proj.weight"] == (64, 1, 16, 16)
    assert shapes["v.head.weight"] == (1000, 64)
    assert shapes["mlp_head.1.weight"] == (2, 64)


def test_patch_embedding_has_one_channel_and_overlapping_stride() -> None:
    model = tiny_model(tiny_config(fstride=10, tstride=12, input_tdim=400))
    proj = model.v.patch_embed.proj
    assert (proj.in_channels, proj.kernel_size, proj.stride) == (1, (16, 16), (10, 12))
    assert model.v.patch_embed.grid_size == (12, (400 - 16) // 12 + 1)


@pytest.mark.parametrize("data_parallel", [True, False])
def test_original_style_checkpoint_loads_strictly(tmp_path: Path, data_parallel: bool) -> None:
    model = tiny_model(seed=1)
    path = write_checkpoint(tmp_path / "best_audio_model1.pth", model, data_parallel=data_parallel)
    raw = torch.load(path, map_location="cpu", weights_only=True)
    assert all(k.startswith("module.") for k in raw) == data_parallel

    loaded = build_model(model.cfg, path)
    fresh = ASTModel(model.cfg)
    fresh.load_state_dict(loaded.state_dict(), strict=True)  # the layout itself is strict
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    x = torch.randn(2, 1000, 128)
    with torch.inference_mode():
        assert torch.equal(loaded(x), model(x))


def test_build_model_from_a_state_dict_in_memory() -> None:
    model = tiny_model(seed=2)
    loaded = build_model(model.cfg, {"module." + k: v for k, v in model.state_dict().items()})
    x = torch.randn(1, 1000, 128)
    with torch.inference_mode():
        assert torch.equal(loaded(x), model(x))


def test_logits_equal_an_independent_reference_forward() -> None:
    cfg = tiny_config(label_dim=3, input_tdim=200)
    model = tiny_model(cfg, seed=3)
    x = torch.randn(3, 200, 128)
    with torch.inference_mode():
        got = model(x)
        want = reference_forward(model.state_dict(), x, cfg)
    assert got.shape == (3, 3)
    # tight enough that a LayerNorm eps of 1e-5 instead of 1e-6 in the ViT fails it
    torch.testing.assert_close(got, want, atol=5e-6, rtol=1e-5)
    # the logits depend on the input (the reference is not trivially constant)
    assert not torch.allclose(want[0], want[1], atol=1e-3)


def test_forward_features_and_head_follow_timm() -> None:
    model = tiny_model()
    x = torch.randn(2, 1000, 128)
    with torch.inference_mode():
        tokens = model.forward_features(x)
        assert tokens.shape == (2, 1190, 64)
        pooled = model.forward_head(tokens, pre_logits=True)
        assert torch.equal(pooled, (tokens[:, 0] + tokens[:, 1]) / 2)
        assert torch.equal(model.forward_head(tokens), model(x))


def test_wrong_input_shape_is_refused_clearly() -> None:
    model = tiny_model()
    with pytest.raises(
        ValueError, match=r"\[batch, 1000 frames, 128 mel bins\], got \[2, 128, 1000\]"
    ):
        model(torch.randn(2, 128, 1000))


def test_base384_frog_model_shapes() -> None:
    cfg = ASTConfig(size="base384", input_tdim=1000, label_dim=2)
    model = ASTModel(cfg, device="meta", init_weights=False)  # shapes only, no memory
    sd = model.state_dict()
    assert sd["v.pos_embed"].shape == (1, 1190, 768)
    assert sd["v.patch_embed.proj.weight"].shape == (768, 1, 16, 16)
    assert sd["mlp_head.1.weight"].shape == (2, 768)
    assert len({k.split(".")[2] for k in sd if k.startswith("v.blocks.")}) == 12
    assert model.v.blocks[0].attn.num_heads == 12
    assert {k: tuple(v.shape) for k, v in sd.items()} == expected_shapes(cfg)
    audioset = ASTModel(
        ASTConfig(size="base384", input_tdim=1024, label_dim=527), device="meta", init_weights=False
    )
    assert audioset.state_dict()["v.pos_embed"].shape == (1, 1214, 768)


@pytest.mark.parametrize(
    ("size", "width", "heads"),
    [("tiny224", 192, 3), ("small224", 384, 6), ("base224", 768, 12), ("test", 64, 2)],
)
def test_sizes(size: str, width: int, heads: int) -> None:
    model = ASTModel(ASTConfig(size=size), device="meta", init_weights=False)
    assert model.v.pos_embed.shape == (1, 12 * 101 + 2, width)
    assert model.v.blocks[0].attn.num_heads == heads
