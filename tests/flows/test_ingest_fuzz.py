"""Mangled headers: every file ends as exactly one stored row, never an exception or a hang.

Hypothesis damages the first bytes of recordings (AudioMoth files of every firmware
generation, and the real recordings of ../shared/realaudio): random bytes, size fields set
to 0 or 0xFFFFFFFF, cut files, clock fields at the calendar's edges. One ingest run takes a
folder of such variants; each file must end up as a recording (perhaps ``failed`` with a
reason) or as a second path of one, the run must complete, and it must finish in time.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from db.migrate import upgrade
from db.models import DuplicateFile, Recording, RunLog
from db.session import get_engine, session_scope
from flows.ingest import ingest_recordings
from tests.audiomoth_factory import GENERATIONS, Moth, write_audiomoth_wav
from tests.flows.helpers import sqlite_url

pytestmark = pytest.mark.usefixtures("prefect_harness")

RUN_TIMEOUT_S = 120
HEADER_BYTES = 600  # fmt, LIST/ICMT and the start of data in every source


def _factory_sources(folder: Path) -> list[bytes]:
    out = []
    for version in GENERATIONS:
        moth = Moth(when_utc=datetime(2024, 3, 1, 3, 0, tzinfo=UTC), tz_hours=-8)
        path = write_audiomoth_wav(folder / f"{version}.WAV", version, moth, frames=2400)
        out.append(path.read_bytes())
    return out


# Damage: (offset, bytes to write there); 32-bit fields are the likeliest to matter.
_EDIT = st.one_of(
    st.tuples(st.integers(0, HEADER_BYTES), st.binary(min_size=1, max_size=8)),
    st.tuples(
        st.integers(0, HEADER_BYTES // 4).map(lambda i: 4 * i),
        st.sampled_from([b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x01\x00\x00\x00"]),
    ),
    st.tuples(
        st.integers(0, HEADER_BYTES),
        st.sampled_from([b"9999", b"0001", b"31/12/9999", b"01/01/0001", b"UTC+14", b"UTC-12"]),
    ),
)
_VARIANT = st.tuples(
    st.integers(0, 10_000),  # which source (modulo their number)
    st.lists(_EDIT, max_size=6),
    st.one_of(st.none(), st.integers(0, 4096)),  # cut the file here
)


def _mangle(data: bytes, edits: list[tuple[int, bytes]], cut: int | None) -> bytes:
    buf = bytearray(data)
    for offset, patch in edits:
        buf[offset : offset + len(patch)] = patch
    return bytes(buf[:cut] if cut is not None else buf)


def _ingest_variants(sources: list[bytes], variants: list[tuple[int, list, int | None]]) -> None:
    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    root = work / "audio"
    root.mkdir()
    paths = []
    for n, (which, edits, cut) in enumerate(variants):
        path = root / f"v{n:03d}.wav"
        path.write_bytes(_mangle(sources[which % len(sources)], edits, cut))
        # Finished long ago: a cut file is a damaged file here, not a copy in progress.
        old = time.time() - 3600
        os.utime(path, (old, old))
        paths.append(str(path))
    url = sqlite_url(work / "ranawatch.db")
    upgrade(url)
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["counts"] = ingest_recordings(roots=[str(root)], database_url=url, settle_s=0)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            result["error"] = exc

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(timeout=RUN_TIMEOUT_S)
    assert not runner.is_alive(), f"ingest of {len(paths)} mangled files did not finish"
    assert "error" not in result, f"ingest raised {result.get('error')!r}"
    with session_scope(get_engine(url)) as session:
        stored = list(session.exec(select(Recording.path)).all())
        stored += session.exec(select(DuplicateFile.path)).all()
        (run_row,) = session.exec(select(RunLog)).all()
    assert sorted(stored) == sorted(paths)  # each file exactly once
    assert run_row.status == "completed" and run_row.counts.get("errors", 0) == 0


_SETTINGS = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_SETTINGS
@given(variants=st.lists(_VARIANT, min_size=1, max_size=12))
def test_mangled_audiomoth_headers_each_end_as_one_row(
    variants: list, tmp_path_factory: pytest.TempPathFactory
) -> None:
    sources = _factory_sources(tmp_path_factory.mktemp("sources"))
    _ingest_variants(sources, variants)


@pytest.mark.realdata
@_SETTINGS
@given(variants=st.lists(_VARIANT, min_size=1, max_size=12))
def test_mangled_real_headers_each_end_as_one_row(variants: list, realaudio_dir: Path) -> None:
    sources = [
        p.read_bytes()
        for p in sorted(realaudio_dir.iterdir())
        if p.suffix.lower() == ".wav" and p.stat().st_size < 1_000_000
    ]
    _ingest_variants(sources, variants)


def test_clock_fields_at_the_calendar_s_edges(tmp_path: Path, database_url: str) -> None:
    root = tmp_path / "audio"
    root.mkdir()
    comments = {
        "late.WAV": "Recorded at 23:59:59 31/12/9999 (UTC-8) by AudioMoth 249BC30461CBB1E6 at "
        "medium gain while battery was 4.2V and temperature was 9.5C.",
        "early.WAV": "Recorded at 00:00:00 01/01/0001 (UTC+14) by AudioMoth 249BC30461CBB1E6 at "
        "medium gain while battery was 4.2V and temperature was 9.5C.",
    }
    for name, comment in comments.items():
        write_audiomoth_wav(root / name, "1.8.0", Moth(), comment=comment, frames=2400)
    counts = ingest_recordings(roots=[str(root)], database_url=database_url, settle_s=0)
    assert counts["stored"] + counts["failed"] == 2
    with session_scope(get_engine(database_url)) as session:
        rows = {Path(r.path).name: r for r in session.exec(select(Recording)).all()}
    for row in rows.values():
        # Either the time was read (and flagged) or the metadata error is kept: never lost.
        assert row.clock_issue or row.recorder_metadata.get("error") or row.recorded_at is None
