"""The ingest flow: every WAV file ends stored or failed with a reason, once."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from core.errors import ConfigError
from db.models import Device, DuplicateFile, FlowStatus, Recording, RecordingStatus, RunLog, Site
from db.session import get_engine, session_scope
from db.site_resolver import SiteResolver
from flows.ingest import ingest_recordings
from flows.ingest_file import store_recording
from tests.flows.helpers import write_broken_recordings, write_good_recordings

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _recordings(url: str) -> dict[str, Recording]:
    with session_scope(get_engine(url)) as session:
        return {Path(r.path).name: r for r in session.exec(select(Recording)).all()}


def _ingest(url: str, root: Path, **kwargs) -> dict[str, int]:
    return ingest_recordings(roots=[str(root)], database_url=url, settle_s=0.0, **kwargs)


def test_mixed_folder_nothing_lost_nothing_twice(tmp_path: Path, database_url: str) -> None:
    root = tmp_path / "audio"
    good = write_good_recordings(root / "card1")
    broken = write_broken_recordings(root / "card1" / "odd")
    first = _ingest(database_url, root)
    assert first["found"] == len(good) + len(broken)
    assert (first["stored"], first["failed"], first["duplicates"]) == (3, 4, 0)

    stored = _recordings(database_url)
    # Every WAV is there, hidden resource forks and text files are not.
    assert set(stored) == {p.name for p in good} | {p.name for p in broken.values()}
    for path in good:
        row = stored[path.name]
        assert (row.status, row.readable, row.error) == (RecordingStatus.PENDING, True, None)
        assert (row.samplerate_hz, row.channels, row.duration_s) == (16_000, 1, 12.0)
    reasons = {kind: stored[path.name].error or "" for kind, path in broken.items()}
    assert "empty" in reasons["empty"]
    assert "not a WAV file" in reasons["not_audio"]
    assert "ADPCM" in reasons["adpcm"]
    assert "ends after 20 bytes" in reasons["header_cut"]
    for kind, path in broken.items():
        row = stored[path.name]
        assert (row.status, row.readable) == (RecordingStatus.FAILED, False), kind
        assert str(path) in row.error, kind  # the message names the file

    # Again: nothing new. Then a copy under a second name counts once.
    again = _ingest(database_url, root)
    assert (again["found"], again["stored"], again["failed"]) == (0, 0, 0)
    shutil.copy(good[0], root / "card1" / "copy_of_first.WAV")
    third = _ingest(database_url, root)
    assert (third["found"], third["duplicates"], third["stored"]) == (1, 1, 0)
    with session_scope(get_engine(database_url)) as session:
        (duplicate,) = session.exec(select(DuplicateFile)).all()
        original = session.get_one(Recording, duplicate.recording_id)
        assert Path(duplicate.path).name == "copy_of_first.WAV"
        assert original.path == str(good[0])
        assert session.exec(sa.select(sa.func.count()).select_from(Recording)).one()[0] == 7
    assert _ingest(database_url, root)["found"] == 0


def test_recorder_metadata_device_and_time(tmp_path: Path, database_url: str) -> None:
    (first, *_) = write_good_recordings(tmp_path / "audio")
    _ingest(database_url, tmp_path / "audio")
    row = _recordings(database_url)[first.name]
    # 19:00 local at UTC-8 is 03:00 UTC the next day.
    assert row.recorded_at == datetime(2024, 3, 1, 3, 0, tzinfo=UTC)
    assert (row.utc_offset_min, row.time_source) == (-480, "comment")
    assert (row.temperature_c, row.gain) == (9.5, "medium")
    assert row.comment and row.comment.startswith("Recorded at 19:00:00 29/02/2024 (UTC-8)")
    with session_scope(get_engine(database_url)) as session:
        device = session.get_one(Device, row.device_id)
    assert (device.serial, device.recorder) == ("249BC30461CBB1E6", "AudioMoth")


def test_metadata_of_unreadable_audio_is_kept(tmp_path: Path, database_url: str) -> None:
    (good,) = write_good_recordings(tmp_path / "audio", n=1)
    data = bytearray(good.read_bytes())
    data[20:22] = (2).to_bytes(2, "little")  # the recorder's header says MS ADPCM
    good.write_bytes(bytes(data))
    _ingest(database_url, tmp_path / "audio")
    row = _recordings(database_url)[good.name]
    assert row.status is RecordingStatus.FAILED and "ADPCM" in row.error
    assert row.recorded_at == datetime(2024, 3, 1, 3, 0, tzinfo=UTC)
    assert row.device_id is not None


def test_sites_from_option_and_sites_file(tmp_path: Path, database_url: str) -> None:
    write_good_recordings(tmp_path / "audio" / "laguna", n=1)
    write_good_recordings(tmp_path / "audio" / "upper" / "x", n=1, seconds=11.0)
    sites = tmp_path / "sites.yaml"
    sites.write_text(
        "sites:\n  - {name: Laguna Pond, latitude: 37.04, longitude: -122.07, folders: [laguna]}\n",
        encoding="utf-8",
    )
    _ingest(database_url, tmp_path / "audio", sites_file=str(sites))
    with session_scope(get_engine(database_url)) as session:
        placed = {
            Path(path).parent.name: name
            for path, name in session.exec(
                select(Recording.path, Site.name).outerjoin(Site, Recording.site_id == Site.id)
            ).all()
        }
    assert placed == {"laguna": "Laguna Pond", "x": None}
    write_good_recordings(tmp_path / "more", n=1, seconds=13.0)
    _ingest(database_url, tmp_path / "more", site="Creek Mouth")
    with session_scope(get_engine(database_url)) as session:
        names = session.exec(select(Site.name).join(Recording, Recording.site_id == Site.id)).all()
    assert sorted(names) == ["Creek Mouth", "Laguna Pond"]


def test_a_file_still_being_copied_waits_for_the_next_run(
    tmp_path: Path, database_url: str
) -> None:
    root = tmp_path / "audio"
    write_good_recordings(root, n=1)
    (source,) = write_good_recordings(tmp_path / "card", n=1, seconds=11.0)
    content = source.read_bytes()
    growing = root / "20240301_000000.WAV"
    growing.write_bytes(content[:1000])
    stop = threading.Event()

    def copy_slowly() -> None:
        with growing.open("ab") as fh:
            while not stop.is_set():
                fh.write(b"\x00" * 64)
                fh.flush()
                time.sleep(0.01)

    writer = threading.Thread(target=copy_slowly)
    writer.start()
    try:
        first = ingest_recordings(roots=[str(root)], database_url=database_url, settle_s=0.3)
    finally:
        stop.set()
        writer.join()
    assert (first["found"], first["stored"], first["still_copying"]) == (2, 1, 1)
    assert growing.name not in _recordings(database_url)
    growing.write_bytes(content)  # the copy finished
    second = _ingest(database_url, root)
    assert (second["found"], second["stored"]) == (1, 1)
    row = _recordings(database_url)[growing.name]
    assert (row.status, row.duration_s, row.truncated) == (RecordingStatus.PENDING, 11.0, False)


def test_run_log_and_errors(tmp_path: Path, database_url: str) -> None:
    write_good_recordings(tmp_path / "audio", n=1)
    _ingest(database_url, tmp_path / "audio")
    with pytest.raises(ConfigError, match="not found"):
        _ingest(database_url, tmp_path / "no-such-folder")
    with session_scope(get_engine(database_url)) as session:
        runs = session.exec(select(RunLog).order_by(RunLog.id)).all()
    assert [(r.flow, r.status) for r in runs] == [
        ("ingest-recordings", FlowStatus.COMPLETED),
        ("ingest-recordings", FlowStatus.FAILED),
    ]
    assert runs[0].counts["stored"] == 1 and runs[0].flow_run_id
    assert "no-such-folder" in (runs[1].message or "")


def test_an_empty_database_is_refused(tmp_path: Path) -> None:
    write_good_recordings(tmp_path / "audio", n=1)
    with pytest.raises(ConfigError, match="ranawatch db upgrade"):
        _ingest(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path / "audio")


def test_a_file_stored_meanwhile_by_another_run_is_not_an_error(
    tmp_path: Path, database_url: str
) -> None:
    (path,) = write_good_recordings(tmp_path / "audio", n=1)
    _ingest(database_url, tmp_path / "audio")
    stored = _recordings(database_url)[path.name]
    # A second ingest run that looked before the first one committed:
    late = Recording(path=stored.path, size_bytes=stored.size_bytes, sha256=stored.sha256)
    outcome = store_recording.fn(database_url, late, None, SiteResolver())
    assert outcome == "already_known"
    assert len(_recordings(database_url)) == 1


def test_a_failed_file_copied_again_is_read_again(tmp_path: Path, database_url: str) -> None:
    # "re-copy it from the card", the error says: the next run must then take the new copy.
    root = tmp_path / "audio"
    broken = write_broken_recordings(root)
    (good,) = write_good_recordings(tmp_path / "card", n=1, seconds=3.0)
    first = _ingest(database_url, root)
    assert first["failed"] == len(broken) and first["read_again"] == 0
    failed_id = _recordings(database_url)[broken["empty"].name].id

    # Unchanged failures are not read again.
    assert _ingest(database_url, root)["read_again"] == 0

    shutil.copyfile(good, broken["empty"])
    again = _ingest(database_url, root)

    assert (again["read_again"], again["stored"], again["failed"]) == (1, 1, 0)
    rows = _recordings(database_url)
    row = rows[broken["empty"].name]
    assert (row.status, row.readable, row.error) == (RecordingStatus.PENDING, True, None)
    assert row.duration_s == 3.0 and row.id != failed_id
    # The other failures are untouched; nothing is stored twice.
    assert all(
        rows[p.name].status == RecordingStatus.FAILED for k, p in broken.items() if k != "empty"
    )
    assert len(rows) == len(broken)
    assert _ingest(database_url, root)["found"] == 0
