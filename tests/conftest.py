"""Shared fixtures: the real recordings in ../shared/realaudio and CI policy."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REALAUDIO = (ROOT / ".." / "shared" / "realaudio").resolve()
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_configure(config: pytest.Config) -> None:
    # The default data folder is per user (platformdirs, XDG_DATA_HOME on Linux): tests
    # that leave RANAWATCH_DATA_DIR unset must never write into the real one.
    import tempfile

    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="ranawatch-test-xdg-")


def _missing(resource: str) -> None:
    """Skip a test for a missing external resource, or fail when running under CI."""
    if IN_CI:
        pytest.fail(f"{resource} is required under CI=true but is missing")
    pytest.skip(f"{resource} is not available on this machine")


@pytest.fixture(scope="session")
def realaudio_dir() -> Path:
    """The folder of real recordings (never copied into the repository)."""
    if not (REALAUDIO / "MANIFEST.tsv").is_file():
        _missing(f"real recordings folder {REALAUDIO}")
    return REALAUDIO


@pytest.fixture(scope="session")
def manifest(realaudio_dir: Path) -> dict[str, dict[str, str]]:
    """MANIFEST.tsv of the real recordings, keyed by file name."""
    with (realaudio_dir / "MANIFEST.tsv").open(newline="", encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}


# --------------------------------------------------------------------------- PostgreSQL
# Throwaway databases on the PostgreSQL of this machine (127.0.0.1:5432, trust auth). Each
# test database is named ranawatch_test_<random> and dropped at the end of the session.

POSTGRES_ADMIN_URL = os.environ.get(
    "RANAWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _libpq_url(sqlalchemy_url: str, database: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """URL of a PostgreSQL database to create test databases from (skip/fail if none)."""
    import psycopg

    try:
        psycopg.connect(_libpq_url(POSTGRES_ADMIN_URL), connect_timeout=3).close()
    except psycopg.Error as exc:
        _missing(f"PostgreSQL at {POSTGRES_ADMIN_URL} ({str(exc).strip()})")
    return POSTGRES_ADMIN_URL


@pytest.fixture(scope="session")
def make_postgres_database(postgres_admin_url: str):
    """Factory: ``make(template=None) -> url`` of a new, empty (or copied) database."""
    import secrets

    import psycopg
    from sqlalchemy.engine import make_url

    created: list[str] = []

    def make(template: str | None = None) -> str:
        name = f"ranawatch_test_{secrets.token_hex(6)}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(_libpq_url(postgres_admin_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{clause}')
        created.append(name)
        return make_url(postgres_admin_url).set(database=name).render_as_string(False)

    yield make
    with psycopg.connect(_libpq_url(postgres_admin_url), autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _migrated_postgres_template(make_postgres_database) -> str:
    from sqlalchemy.engine import make_url

    from db.migrate import upgrade
    from db.session import get_engine

    url = make_postgres_database()
    upgrade(url)
    # CREATE DATABASE ... TEMPLATE needs the template free of connections.
    get_engine(url).dispose()
    return str(make_url(url).database)


@pytest.fixture
def postgres_url(make_postgres_database, _migrated_postgres_template: str) -> str:
    """URL of a fresh PostgreSQL database at the current schema (one per test)."""
    return make_postgres_database(template=_migrated_postgres_template)


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # Typer's error boxes wrap at the terminal width: a long tmp path split over two lines
    # would no longer be found in the output.
    monkeypatch.setenv("COLUMNS", "200")
