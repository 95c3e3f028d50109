"""Model cards: presets, YAML round trips, and clear errors for inconsistent cards."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.errors import ConfigError
from core.model.card import ASTConfig, ModelCard, load_model_card, preset_names
from tests.model_factory import THREE_LABELS, tiny_card


def test_presets_are_shipped() -> None:
    assert preset_names() == ["audioset", "rana_draytonii", "rana_three_class"]


def test_default_is_the_frog_model() -> None:
    card = load_model_card(None)
    assert (card.name, card.version) == ("AST_Rana_Draytonii", "1.0")
    assert card.labels == ["Rana draytonii", "Negative"]
    assert card.positive_labels == ["Rana draytonii"]
    assert card.model.size == "base384"
    assert (card.model.fstride, card.model.tstride) == (10, 10)
    assert (card.model.input_fdim, card.model.input_tdim, card.model.label_dim) == (128, 1000, 2)
    assert card.model.grid == (12, 99)  # pos_embed [1, 1190, 768]
    assert card.frontend.samplerate_hz == 16_000
    assert (card.frontend.mean, card.frontend.std) == (-4.2677393, 4.5689974)
    assert card.decision.rule == "argmax"


def test_three_class_preset() -> None:
    card = load_model_card("rana_three_class")
    assert card.labels == list(THREE_LABELS)
    assert card.positive_labels == ["Rana draytonii", "Rana catesbeiana"]
    assert card.model.label_dim == 3


def test_audioset_preset_names_its_size() -> None:
    card = load_model_card("audioset")
    assert len(card.labels) == card.model.label_dim == 527
    assert card.labels[0] == "class_0" and card.labels[-1] == "class_526"
    assert card.model.input_tdim == 1024
    assert card.model.grid == (12, 101)


def test_yaml_round_trip(tmp_path: Path) -> None:
    card = tiny_card(
        THREE_LABELS, ("Rana draytonii",), rule="threshold", thresholds={"Rana draytonii": 0.7}
    )
    card = card.model_copy(update={"checkpoint_sha256": "ab" * 32})
    path = card.save(tmp_path / "card.yaml")
    again = load_model_card(path)
    assert again == card
    assert again.decision.threshold_for("Rana draytonii") == 0.7
    assert again.decision.threshold_for("Rana catesbeiana") == 0.5
    for name in preset_names():
        preset = load_model_card(name)
        assert load_model_card(preset.save(tmp_path / f"{name}.yaml")) == preset


def test_labels_from_an_audioset_csv(tmp_path: Path) -> None:
    (tmp_path / "class_labels_indices.csv").write_text(
        'index,mid,display_name\n1,/m/b,"Frog"\n0,/m/a,"Speech"\n2,/m/c,"Rain"\n',
        encoding="utf-8",
    )
    data = yaml.safe_load(load_model_card("audioset").to_yaml())
    data.update(labels=[], labels_csv="class_labels_indices.csv", positive_labels=["Frog"])
    data["model"]["label_dim"] = 3
    path = tmp_path / "audioset_frog.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    card = load_model_card(path)
    assert card.labels == ["Speech", "Frog", "Rain"]
    assert card.positive_labels == ["Frog"]


def write(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(load_model_card(None).to_yaml())
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            data[section][field] = value
        else:
            data[section] = value
    path = tmp_path / "card.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"labels": ["Rana draytonii", "Rana catesbeiana", "Negative"]},
            "3 labels but model.label_dim=2",
        ),
        ({"positive_labels": ["Bullfrog"]}, r"positive_labels \['Bullfrog'\] are not among labels"),
        ({"labels": ["Negative", "Negative"], "positive_labels": []}, "labels must be unique"),
        ({"decision__thresholds": {"Bullfrog": 0.5}}, "unknown labels"),
        ({"decision__rule": "vote"}, "decision.rule"),
        ({"frontend__num_mel_bins": 64}, "num_mel_bins=64 differs from model.input_fdim=128"),
        ({"model__size": "huge"}, "model.size"),
        (
            {"model": {"size": None, "label_dim": 2}},
            "size is null, so embed_dim, depth, num_heads must be given",
        ),
        ({"model__num_heads": 5}, "not divisible by num_heads=5"),
        ({"checkpoint_sha256": "abc"}, "checkpoint_sha256"),
        ({"colour": "green"}, "colour"),
    ],
)
def test_inconsistent_cards_are_refused_naming_the_file(
    tmp_path: Path, changes: dict[str, object], problem: str
) -> None:
    path = write(tmp_path, **changes)
    with pytest.raises(ConfigError, match=problem) as err:
        load_model_card(path)
    assert str(err.value).startswith(f"{path}: invalid model card")


def test_unknown_preset_lists_the_presets() -> None:
    with pytest.raises(ConfigError, match="no preset of that name.*rana_draytonii"):
        load_model_card("bullfrog_v9")


def test_unreadable_yaml(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"{path}: cannot read the model card"):
        load_model_card(path)
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a YAML mapping"):
        load_model_card(path)


def test_missing_labels_csv(tmp_path: Path) -> None:
    path = write(tmp_path, labels=[], labels_csv="nowhere.csv", positive_labels=[])
    with pytest.raises(ConfigError, match="cannot read labels_csv"):
        load_model_card(path)


def test_size_fills_dimensions_and_custom_sizes_need_them() -> None:
    assert (ASTConfig(size="small224").embed_dim, ASTConfig(size="small224").num_heads) == (384, 6)
    custom = ASTConfig(size=None, embed_dim=96, depth=4, num_heads=3)
    assert (custom.embed_dim, custom.depth, custom.num_heads) == (96, 4, 3)
    assert ModelCard.model_validate(load_model_card(None).model_dump()).model.embed_dim == 768
