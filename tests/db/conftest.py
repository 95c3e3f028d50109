"""Database fixtures: every data-layer test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from db.migrate import upgrade
from db.session import get_engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database at the current schema, on each back end."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ranawatch.db'}"
        upgrade(url)
        return url
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(database_url: str) -> sa.Engine:
    """The engine of :func:`database_url`."""
    return get_engine(database_url)
