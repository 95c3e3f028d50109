"""CLI fixtures: a fresh data folder, a Prefect server per module, a tiny model on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import get_settings
from tests.flows.helpers import TinyModel, prefect_server
from tests.model_factory import tiny_card, tiny_model, write_checkpoint


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with prefect_server(tmp_path_factory.mktemp("prefect-home")) as api_url:
        yield api_url


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    folder = tmp_path_factory.mktemp("model")
    return TinyModel(
        checkpoint=write_checkpoint(folder / "tiny.pth", tiny_model()),
        card=tiny_card().save(folder / "tiny.yaml"),
    )


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings pointing at a fresh data folder (and nothing else configured)."""
    for name in ("DATABASE_URL", "CHECKPOINT", "MODEL_CARD", "SITES_FILE", "AUDIO_ROOTS"):
        monkeypatch.delenv(f"RANAWATCH_{name}", raising=False)
    monkeypatch.setenv("RANAWATCH_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()
