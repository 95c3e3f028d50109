"""Flow fixtures: a Prefect test server, a tiny model on disk, and folders of recordings.

Flow tests ask for ``prefect_harness`` (``pytestmark = pytest.mark.usefixtures(
"prefect_harness")``): one throwaway Prefect server per test session, with its home and
database in a temporary folder and analytics off.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from db.migrate import upgrade
from tests.flows.helpers import sqlite_url
from tests.model_factory import tiny_card, tiny_model, write_checkpoint


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A temporary Prefect server for the session; yields its API URL."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_HOME,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    home = tmp_path_factory.mktemp("prefect-home")
    with (
        temporary_settings({PREFECT_HOME: home, PREFECT_SERVER_ANALYTICS_ENABLED: False}),
        prefect_test_harness(server_startup_timeout=60),
    ):
        yield str(PREFECT_API_URL.value())


@dataclass(frozen=True)
class TinyModel:
    """A tiny random-weight checkpoint and its model card, written to disk."""

    checkpoint: Path
    card: Path


@pytest.fixture(scope="session")
def tiny_model_files(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    """The tiny frog model (``Tiny_Test_Model 0.0-test``) as checkpoint + card files."""
    folder = tmp_path_factory.mktemp("tiny-model")
    checkpoint = write_checkpoint(folder / "tiny.pth", tiny_model())
    card = tiny_card().save(folder / "tiny.yaml")
    return TinyModel(checkpoint=checkpoint, card=card)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A fresh SQLite database at the current schema."""
    url = sqlite_url(tmp_path / "ranawatch.db")
    upgrade(url)
    return url
