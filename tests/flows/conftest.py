"""Flow fixtures: a Prefect test server, a tiny model on disk, and folders of recordings.

Flow tests ask for ``prefect_harness`` (``pytestmark = pytest.mark.usefixtures(
"prefect_harness")``): one throwaway Prefect server per test session, with its home and
database in a temporary folder and analytics off.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from db.migrate import upgrade
from tests.flows.helpers import TinyModel, prefect_server, sqlite_url
from tests.model_factory import tiny_card, tiny_model, write_checkpoint


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A temporary Prefect server for the session; yields its API URL."""
    with prefect_server(tmp_path_factory.mktemp("prefect-home")) as api_url:
        yield api_url


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
