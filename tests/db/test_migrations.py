"""The Alembic migrations build exactly the schema the models describe, from any folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from core.errors import ConfigError
from db.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    prepare_database,
    require_current_schema,
)
from db.migrate import upgrade as migrate_upgrade
from db.session import get_engine


def test_migrated_schema_equals_the_models(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_database_is_at_the_newest_revision(database_url: str) -> None:
    assert current_revision(database_url) == head_revision()
    require_current_schema(database_url)


def test_upgrade_twice_changes_nothing(database_url: str) -> None:
    tables = set(sa.inspect(get_engine(database_url)).get_table_names())
    assert migrate_upgrade(database_url) == head_revision()
    assert set(sa.inspect(get_engine(database_url)).get_table_names()) == tables


def test_empty_database_is_refused_with_what_to_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(ConfigError, match="ranawatch db upgrade"):
        require_current_schema(url)


def test_upgrade_from_another_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    assert migrate_upgrade(url) == head_revision()
    assert "recordings" in sa.inspect(get_engine(url)).get_table_names()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_downgrade_to_base_and_up_again(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'down.db'}"
    else:
        url = request.getfixturevalue("make_postgres_database")()
    model_tables = set(SQLModel.metadata.tables)
    migrate_upgrade(url)
    config = alembic_config()
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(sa.inspect(get_engine(url)).get_table_names()) & model_tables == set()
    migrate_upgrade(url)
    assert model_tables <= set(sa.inspect(get_engine(url)).get_table_names())


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_prepare_database_creates_a_local_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'ranawatch.db'}"
    (tmp_path / "new").mkdir()
    prepare_database(url)
    assert current_revision(url) == head_revision()


@pytest.mark.postgres
def test_prepare_database_never_migrates_a_shared_postgresql(make_postgres_database) -> None:
    url = make_postgres_database()
    with pytest.raises(ConfigError, match="ranawatch db upgrade"):
        prepare_database(url)
    assert current_revision(url) is None


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_0002_turns_offset_text_into_minutes_and_back(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'offsets.db'}"
    else:
        url = request.getfixturevalue("make_postgres_database")()
    migrate_upgrade(url, "0001")
    offsets = {"a": "-08:00", "b": "+05:30", "c": "+00:00", "d": "UTC-8", "e": "bogus", "f": None}
    with get_engine(url).begin() as connection:
        for name, text in offsets.items():
            connection.execute(
                sa.text(
                    "INSERT INTO recordings (path, size_bytes, sha256, utc_offset, truncated, "
                    "recorder_metadata, readable, status, ingested_at) VALUES (:p, 1, :s, :o, "
                    "false, '{}', true, 'pending', '2024-03-01 03:00:00')"
                ),
                {"p": name, "s": name * 64, "o": text},
            )
    migrate_upgrade(url)
    with get_engine(url).connect() as connection:
        minutes = dict(
            connection.execute(sa.text("SELECT path, utc_offset_min FROM recordings")).all()
        )
    # Text that is no offset becomes unknown (NULL), never UTC.
    assert minutes == {"a": -480, "b": 330, "c": 0, "d": -480, "e": None, "f": None}
    config = alembic_config()
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    with get_engine(url).connect() as connection:
        texts = dict(connection.execute(sa.text("SELECT path, utc_offset FROM recordings")).all())
    assert texts == {
        "a": "-08:00",
        "b": "+05:30",
        "c": "+00:00",
        "d": "-08:00",
        "e": None,
        "f": None,
    }
