"""Nothing a file or folder holds stops ingest: every file ends in exactly one outcome.

Each test puts one kind of trouble among good recordings and checks that the good ones are
stored, the bad one is stored as failed with its reason (or reported as not read), and the
run completes.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import select

import flows.ingest_reads as ingest_reads
from db.models import DetectionRun, Recording, RecordingStatus, RunLog
from db.session import get_engine, session_scope
from flows.ingest import ingest_recordings
from tests.audiomoth_factory import Moth, write_audiomoth_wav
from tests.factories import write_wav
from tests.flows.helpers import SAMPLERATE_HZ, write_good_recordings

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _rows(url: str) -> dict[str, Recording]:
    with session_scope(get_engine(url)) as session:
        return {Path(r.path).name: r for r in session.exec(select(Recording)).all()}


def _ingest(url: str, root: Path, **kwargs) -> dict[str, int]:
    return ingest_recordings(roots=[str(root)], database_url=url, settle_s=0.0, **kwargs)


def _last_run(url: str) -> RunLog:
    with session_scope(get_engine(url)) as session:
        return session.exec(select(RunLog).order_by(RunLog.id.desc())).first()


def test_special_files_links_and_other_formats_are_reported_not_read(
    tmp_path: Path, database_url: str
) -> None:
    root = tmp_path / "audio"
    good = write_good_recordings(root, n=2)
    os.mkfifo(root / "x.wav")
    (root / "zero.wav").symlink_to("/dev/zero")
    (root / "passwd.wav").symlink_to("/etc/passwd")
    (root / "inside.wav").symlink_to(good[0])
    (root / "loop.wav").symlink_to(root / "loop.wav")
    (root / "song.mp3").write_bytes(b"ID3")
    result: dict[str, dict[str, int]] = {}
    runner = threading.Thread(target=lambda: result.update(c=_ingest(database_url, root)))
    runner.start()
    runner.join(timeout=120)
    assert not runner.is_alive(), "ingest blocked on a special file"
    counts = result["c"]
    assert (counts["stored"], counts["failed"], counts["skipped"]) == (2, 0, 5)
    assert set(_rows(database_url)) == {p.name for p in good}
    assert _last_run(database_url).counts["skipped"] == 5


def test_an_undecodable_file_name_is_stored_as_failed_with_what_to_do(
    tmp_path: Path, database_url: str
) -> None:
    root = tmp_path / "audio"
    (good,) = write_good_recordings(root, n=1)
    odd = os.fsencode(root) + b"/caf\xe9.wav"
    shutil.copyfile(good, odd)
    counts = _ingest(database_url, root)
    # Its content equals the good file's, but it is never hashed: named, not read.
    assert (counts["stored"], counts["failed"]) == (1, 1)
    rows = _rows(database_url)
    row = rows["caf\\xe9.wav"]
    assert row.status is RecordingStatus.FAILED and "rename the file" in row.error
    assert _ingest(database_url, root)["found"] == 0


def test_a_failure_of_any_type_in_one_file_is_that_file_s_reason(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "audio"
    good = write_good_recordings(root, n=3)
    real_read_info, real_metadata = ingest_reads.read_info, ingest_reads.read_metadata
    real_hash = ingest_reads.sha256_of

    def read_info(path: Path):
        if path.name == good[0].name:
            raise OverflowError("date value out of range")
        return real_read_info(path)

    def read_metadata(path: Path, **kwargs):
        if path.name == good[1].name:
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
        return real_metadata(path, **kwargs)

    def sha256_of(path: Path) -> str:
        if path.name == good[2].name:
            raise PermissionError(13, "Permission denied", str(path))
        return real_hash(path)

    monkeypatch.setattr(ingest_reads, "read_info", read_info)
    monkeypatch.setattr(ingest_reads, "read_metadata", read_metadata)
    monkeypatch.setattr(ingest_reads, "sha256_of", sha256_of)
    counts = _ingest(database_url, root)
    rows = _rows(database_url)
    assert (counts["stored"], counts["failed"], counts["errors"]) == (1, 2, 0)
    first, second, third = (rows[p.name] for p in good)
    assert first.status is RecordingStatus.FAILED
    assert "OverflowError: date value out of range" in first.error
    # Unreadable metadata keeps the audio.
    assert second.status is RecordingStatus.PENDING
    assert "UnicodeDecodeError" in second.recorder_metadata["error"]
    assert third.status is RecordingStatus.FAILED and "Permission denied" in third.error
    assert _last_run(database_url).status == "completed"


def test_implausible_sample_rates_fail_with_the_reason(tmp_path: Path, database_url: str) -> None:
    root = tmp_path / "audio"
    write_good_recordings(root, n=1)
    write_wav(root / "slow.wav", np.zeros(64), 12)
    write_wav(root / "odd.wav", np.zeros(16_000), 15_999)  # plausible: kept
    _ingest(database_url, root)
    rows = _rows(database_url)
    assert rows["slow.wav"].status is RecordingStatus.FAILED
    assert "sample rate 12 Hz is outside the plausible range" in rows["slow.wav"].error
    assert rows["odd.wav"].status is RecordingStatus.PENDING


def test_clocks_never_set_are_stored_and_flagged(tmp_path: Path, database_url: str) -> None:
    root = tmp_path / "audio"
    (good,) = write_good_recordings(root, n=1)
    moth = Moth(when_utc=datetime(1970, 1, 1, 0, 0, 30, tzinfo=UTC), serial="249BC30461CBB1E6")
    write_audiomoth_wav(root / "19700101_000030.WAV", "1.8.0", moth, samplerate_hz=SAMPLERATE_HZ)
    _ingest(database_url, root)
    rows = _rows(database_url)
    unset = rows["19700101_000030.WAV"]
    assert unset.status is RecordingStatus.PENDING  # its audio is still scored
    assert unset.recorded_at == datetime(1970, 1, 1, 0, 0, 30, tzinfo=UTC)
    assert unset.clock_issue and unset.clock_issue.startswith("clock not set")
    assert rows[good.name].clock_issue is None


def test_a_copy_that_paused_waits_until_complete(tmp_path: Path, database_url: str) -> None:
    root = tmp_path / "audio"
    write_good_recordings(root, n=1)
    (source,) = write_good_recordings(tmp_path / "card", n=1, seconds=11.0)
    content = source.read_bytes()
    paused = root / "20240301_000000.WAV"
    paused.write_bytes(content[: len(content) // 10])  # the writer paused at 10%
    first = _ingest(database_url, root)
    assert (first["stored"], first["still_copying"]) == (1, 1)
    assert paused.name not in _rows(database_url)
    paused.write_bytes(content)
    second = _ingest(database_url, root)
    assert second["stored"] == 1
    row = _rows(database_url)[paused.name]
    assert (row.duration_s, row.truncated, row.size_bytes) == (11.0, False, len(content))


def test_a_file_cut_short_long_ago_is_stored_as_truncated(
    tmp_path: Path, database_url: str
) -> None:
    root = tmp_path / "audio"
    (source,) = write_good_recordings(tmp_path / "card", n=1, seconds=11.0)
    cut = root / "20240301_000000.WAV"
    root.mkdir()
    cut.write_bytes(source.read_bytes()[:50_000])
    an_hour_ago = time.time() - 3600
    os.utime(cut, (an_hour_ago, an_hour_ago))
    assert _ingest(database_url, root)["stored"] == 1
    row = _rows(database_url)[cut.name]
    assert row.truncated and row.status is RecordingStatus.PENDING


def test_a_stored_file_that_changed_is_read_again(tmp_path: Path, database_url: str) -> None:
    root = tmp_path / "audio"
    (path,) = write_good_recordings(root, n=1, seconds=12.0)
    (other,) = write_good_recordings(tmp_path / "card", n=1, seconds=5.0)
    _ingest(database_url, root)
    before = _rows(database_url)[path.name]
    with session_scope(get_engine(database_url)) as session:
        session.add(DetectionRun(recording_id=before.id, model_version_id=_model(session)))

    # Only touched: same content, nothing read again.
    later = time.time() + 5
    os.utime(path, (later, later))
    touched = _ingest(database_url, root)
    assert (touched["found"], touched["unchanged"], touched["stored"]) == (1, 1, 0)
    assert _ingest(database_url, root)["found"] == 0

    shutil.copyfile(other, path)  # overwritten with another recording
    changed = _ingest(database_url, root)
    assert (changed["changed"], changed["stored"]) == (1, 1)
    after = _rows(database_url)[path.name]
    assert after.id == before.id and after.duration_s == 5.0 and after.sha256 != before.sha256
    with session_scope(get_engine(database_url)) as session:
        # The old content's queue entry (and so its scores) is gone: scored again, once.
        assert session.exec(select(DetectionRun)).all() == []
    assert _ingest(database_url, root)["found"] == 0


def _model(session) -> int:
    from tests.db.helpers import add_model_version

    return add_model_version(session).id


def test_changed_content_is_scored_again_exactly_once(
    tmp_path: Path, database_url: str, tiny_model_files
) -> None:
    from db.models import WindowScore
    from flows.detect import detect_calls

    def detect() -> dict[str, int]:
        return detect_calls(
            database_url=database_url,
            checkpoint=str(tiny_model_files.checkpoint),
            model_card=str(tiny_model_files.card),
            device="cpu",
        )

    root = tmp_path / "audio"
    (path,) = write_good_recordings(root, n=1, seconds=30.0)
    (shorter,) = write_good_recordings(tmp_path / "card", n=1, seconds=12.0)
    _ingest(database_url, root)
    assert detect()["done"] == 1
    with session_scope(get_engine(database_url)) as session:
        before = len(session.exec(select(WindowScore)).all())

    shutil.copyfile(shorter, path)
    assert _ingest(database_url, root)["changed"] == 1
    assert detect()["done"] == 1
    assert detect()["done"] == 0  # once
    with session_scope(get_engine(database_url)) as session:
        (run,) = session.exec(select(DetectionRun)).all()
        after = session.exec(select(WindowScore)).all()
    assert run.status == "done"
    # The scores are those of the new, shorter content only.
    assert 0 < len(after) < before
    assert max(w.end_s for w in after) <= 12.0 + 10.0


def test_zone_less_guano_times_use_the_configured_recorder_time_zone(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import get_settings
    from tests.factories import guano_chunk

    root = tmp_path / "audio"
    root.mkdir()
    samples = (np.sin(np.arange(SAMPLERATE_HZ * 2) / 7.0) * 0.1).astype(np.float32)
    write_wav(
        root / "local.wav",
        samples,
        SAMPLERATE_HZ,
        chunks_after_data=[guano_chunk("GUANO|Version:1.0\nTimestamp:2024-06-01T22:15:00")],
    )
    monkeypatch.delenv("RANAWATCH_RECORDER_TIME_ZONE", raising=False)
    get_settings.cache_clear()
    _ingest(database_url, root)
    unknown = _rows(database_url)["local.wav"]
    assert unknown.recorded_at is None

    # A second database, the zone configured: the same local time is placed in it.
    placed_url = f"sqlite:///{tmp_path / 'placed.db'}"
    from db.migrate import upgrade

    upgrade(placed_url)
    monkeypatch.setenv("RANAWATCH_RECORDER_TIME_ZONE", "America/Los_Angeles")
    get_settings.cache_clear()
    try:
        _ingest(placed_url, root)
    finally:
        get_settings.cache_clear()
    placed = _rows(placed_url)["local.wav"]
    assert placed.recorded_at == datetime(2024, 6, 2, 5, 15, tzinfo=UTC)  # PDT, UTC-7
    assert placed.utc_offset_min == -420


def test_an_unknown_recorder_time_zone_is_refused_by_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import ValidationError

    from core.settings import Settings

    with pytest.raises(ValidationError, match="Mars/Olympus"):
        Settings(recorder_time_zone="Mars/Olympus")
