"""Recordings, databases and snapshots for flow tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from db.session import get_engine
from tests.audiomoth_factory import Moth, write_audiomoth_wav
from tests.factories import write_wav

SAMPLERATE_HZ = 16_000


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """Run flows against a throwaway Prefect server (home in ``home``, analytics off).

    Yields the server's API URL, for subprocesses that should report to it.
    """
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_HOME,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

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


def write_good_recordings(folder: Path, n: int = 3, seconds: float = 12.0) -> list[Path]:
    """``n`` AudioMoth recordings (firmware 1.8.0, UTC-8), one hour apart, distinct content."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        when = datetime(2024, 3, 1, 3, 0, tzinfo=UTC) + timedelta(hours=i)
        moth = Moth(when_utc=when, tz_hours=-8, serial="249BC30461CBB1E6", temperature_c=9.5)
        name = (when + timedelta(hours=-8)).strftime("%Y%m%d_%H%M%S.WAV")
        paths.append(
            write_audiomoth_wav(
                folder / name,
                "1.8.0",
                moth,
                samplerate_hz=SAMPLERATE_HZ,
                frames=int(seconds * SAMPLERATE_HZ),
            )
        )
    return paths


def write_broken_recordings(folder: Path) -> dict[str, Path]:
    """One file of each kind that cannot be read, plus files that are not recordings."""
    folder.mkdir(parents=True, exist_ok=True)
    noise = np.random.default_rng(1).uniform(-0.5, 0.5, 2 * SAMPLERATE_HZ)
    files = {
        "empty": folder / "empty.wav",
        "not_audio": folder / "notes.wav",
        "adpcm": folder / "adpcm.wav",
        "header_cut": folder / "header_cut.wav",
    }
    files["empty"].write_bytes(b"")
    files["not_audio"].write_text("these are field notes, not audio\n", encoding="utf-8")
    write_wav(files["adpcm"], noise, SAMPLERATE_HZ, format_tag=2)
    write_wav(files["header_cut"], noise, SAMPLERATE_HZ, truncate_to=20)
    (folder / "CONFIG.TXT").write_text("AudioMoth configuration\n", encoding="utf-8")
    (folder / "._20240301_030000.WAV").write_bytes(b"\x00\x05\x16\x07 macOS resource fork")
    return files


def write_too_short(folder: Path) -> Path:
    """A valid WAV of 1 ms: readable at ingest, but too short to score."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_wav(folder / "blip.wav", np.zeros(16), SAMPLERATE_HZ)


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def copy_sqlite(source: Path, target: Path) -> Path:
    """A consistent copy of a SQLite database (WAL included)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


# Columns that say when or by whom, not what: they differ between equivalent runs.
VOLATILE = {
    "id",
    "ingested_at",
    "created_at",
    "found_at",
    "claimed_by",
    "claimed_at",
    "attempts",
    "finished_at",
}
# Tables whose ids appear in other tables: rows are compared with the id replaced by a key.
KEYS = {"recordings": "path", "model_versions": "version", "sites": "name", "devices": "serial"}
FOREIGN = {
    "recording_id": "recordings",
    "model_version_id": "model_versions",
    "site_id": "sites",
    "device_id": "devices",
}
TABLES = (
    "sites",
    "devices",
    "deployments",
    "recordings",
    "duplicate_files",
    "model_versions",
    "detection_runs",
    "window_scores",
    "detections",
)


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every result table's rows, without ids and timestamps, foreign keys as names, sorted."""
    engine = get_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        names: dict[str, dict[int, Any]] = {
            table: dict(conn.execute(sa.text(f"SELECT id, {key} FROM {table}")).all())
            for table, key in KEYS.items()
        }
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table in TABLES:
            columns = [c.name for c in meta.tables[table].columns if c.name not in VOLATILE]
            rows = []
            for row in conn.execute(sa.select(*(meta.tables[table].c[c] for c in columns))):
                values = dict(zip(columns, row, strict=True))
                for column, target in FOREIGN.items():
                    if column in values and values[column] is not None:
                        values[column] = names[target][values[column]]
                rows.append(tuple(repr(values[c]) for c in columns))
            out[table] = sorted(rows)
        return out
