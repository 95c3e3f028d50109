"""Fixtures of the dashboard tests: a seeded database, a reviewer, audio in an audio root."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dash
import numpy as np
import pytest
import soundfile
from sqlmodel import select

from core.settings import Settings
from dashboard.app import create_app
from dashboard.auth import hash_password
from db.migrate import upgrade
from db.models import Recording
from db.session import get_engine, session_scope
from tests.db.report_seed import seed

REVIEWER, PASSWORD = "ann", "frog-song-2024"


@pytest.fixture(scope="module")
def reviewer_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, int], Path]:
    """A seeded SQLite database whose first recording is a real WAV in an audio root."""
    tmp = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{tmp / 'ranawatch.db'}"
    upgrade(url)
    ids = seed(get_engine(url))
    root = tmp / "audio"
    root.mkdir()
    wav = root / "20240301_190000.WAV"
    rng = np.random.default_rng(0)
    soundfile.write(wav, (0.05 * rng.standard_normal(16000 * 60)).astype(np.float32), 16000)
    with session_scope(get_engine(url)) as session:
        rec = session.exec(select(Recording).where(Recording.id == ids["calls"])).one()
        rec.path = str(wav)
        # A stored path that leads out of the audio root.
        outside = session.exec(select(Recording).where(Recording.id == ids["creek"])).one()
        outside.path = str(root / ".." / "ranawatch.db")
    return url, ids, root


def make_app(url: str, root: Path, reviewer_hash: str, **settings) -> dash.Dash:
    values = {
        "database_url": url,
        "audio_roots": [root],
        "dashboard_secret_key": "test-key",
        "dashboard_reviewers": {REVIEWER: reviewer_hash},
    } | settings
    return create_app(url, settings=Settings(**values))


@pytest.fixture
def app(seeded, reviewer_hash: str) -> dash.Dash:
    url, _ids, root = seeded
    return make_app(url, root, reviewer_hash)


@pytest.fixture
def ctx(app: dash.Dash) -> Iterator[dash.Dash]:
    """Inside a request of the app (callbacks read the app's database from it)."""
    with app.server.test_request_context("/"):
        yield app


def pytest_setup_options():
    """dash[testing]'s browser: Debian's headless Chromium, nothing fetched from the network."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    return options
