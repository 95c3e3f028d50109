"""What a damaged or re-tagged header holds never escapes as anything but a typed result.

Each trigger of issue 9 that lives in the metadata: calendar-edge times with an offset,
GUANO numbers too large to be finite, an ICMT rewritten by OpenSoundscape with the IART
still intact, and a GUANO Timestamp without a zone (local time by the GUANO spec).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.errors import ConfigError, MetadataError, NotRegularFileError
from core.metadata.recording import read_metadata
from tests.factories import guano_chunk, list_info_chunk, write_wav

SERIAL = "24E144055E080032"
COMMENT = (
    f"Recorded at 19:31:30 03/09/2024 (UTC+1) by AudioMoth {SERIAL} at medium gain while "
    "battery was 4.3V and temperature was 18.7C."
)


def _wav(tmp_path: Path, comment: str | None = None, artist: str | None = None, guano=None):
    chunks = [list_info_chunk(comment, artist)] if comment or artist else []
    after = [guano_chunk(guano)] if guano else []
    return write_wav(
        tmp_path / "x.wav",
        np.zeros(64),
        8_000,
        chunks_before_data=chunks,
        chunks_after_data=after,
    )


@pytest.mark.parametrize(
    "comment",
    [
        f"Recorded at 00:10:00 01/01/0001 (UTC+5) by AudioMoth {SERIAL} at medium gain",
        f"Recorded at 23:50:00 31/12/9999 (UTC-8) by AudioMoth {SERIAL} at medium gain",
    ],
    ids=["year-1-east", "year-9999-west"],
)
def test_comment_times_at_the_calendar_edge_are_metadata_errors(
    tmp_path: Path, comment: str
) -> None:
    path = _wav(tmp_path, comment, f"AudioMoth {SERIAL}")
    with pytest.raises(MetadataError, match=r"x\.wav.*outside the calendar"):
        read_metadata(path)


@pytest.mark.parametrize(
    "stamp", ["0001-01-01T00:10:00+05:00", "9999-12-31T23:50:00-08:00"], ids=["1", "9999"]
)
def test_guano_times_at_the_calendar_edge_are_metadata_errors(tmp_path: Path, stamp: str) -> None:
    path = _wav(tmp_path, guano=f"GUANO|Version:1.0\nTimestamp:{stamp}")
    with pytest.raises(MetadataError, match=r"x\.wav.*outside the calendar"):
        read_metadata(path)


def test_a_guano_number_too_large_is_none_with_a_note(tmp_path: Path) -> None:
    huge = "9" * 400
    text = f"GUANO|Version:1.0\nTemperature Int:{huge}\nOAD|Battery Voltage:{huge}.5"
    meta = read_metadata(_wav(tmp_path, guano=text))
    assert (meta.temperature_c, meta.battery_v) == (None, None)
    assert any("Temperature Int" in note and "not a finite" in note for note in meta.notes)
    assert any("Battery Voltage" in note for note in meta.notes)


def test_a_comment_number_too_large_is_none(tmp_path: Path) -> None:
    comment = COMMENT.replace("18.7C", "9" * 400 + "C")
    meta = read_metadata(_wav(tmp_path, comment, f"AudioMoth {SERIAL}"))
    assert meta.temperature_c is None and meta.device_serial == SERIAL


def test_iart_serial_is_used_when_another_tool_rewrote_icmt(tmp_path: Path) -> None:
    meta = read_metadata(_wav(tmp_path, "re-tagged by a sound editor", f"AudioMoth {SERIAL}"))
    assert (meta.device_serial, meta.recorder) == (SERIAL, "AudioMoth")
    assert meta.recorded_at is None


def test_opensoundscape_metadata_keeps_the_original_comment(tmp_path: Path) -> None:
    wrapped = "opso_metadata" + json.dumps(
        {
            "opso_metadata_version": "v0.1",
            "opensoundscape_version": "0.10.1",
            "comment": COMMENT,
            "recording_start_time": "2024-09-03T19:31:30+01:00",
        }
    )
    meta = read_metadata(_wav(tmp_path, wrapped, f"AudioMoth {SERIAL}"))
    assert meta.comment == COMMENT
    assert (meta.device_serial, meta.temperature_c, meta.gain) == (SERIAL, 18.7, "medium")
    assert meta.recorded_at == datetime(2024, 9, 3, 18, 31, 30, tzinfo=UTC)
    assert (meta.time_source, meta.utc_offset_min) == ("comment", 60)
    assert any("OpenSoundscape" in note for note in meta.notes)


def test_opensoundscape_metadata_that_is_not_json(tmp_path: Path) -> None:
    meta = read_metadata(_wav(tmp_path, "opso_metadata{broken", f"AudioMoth {SERIAL}"))
    assert (meta.comment, meta.device_serial) == (None, SERIAL)
    assert any("not valid JSON" in note for note in meta.notes)


def test_a_guano_timestamp_without_zone_is_local_and_the_zone_unknown(tmp_path: Path) -> None:
    path = _wav(tmp_path, guano="GUANO|Version:1.0\nTimestamp:2024-06-01T22:15:00")
    meta = read_metadata(path)
    assert (meta.recorded_at, meta.utc_offset_min, meta.zone_unknown) == (None, None, True)
    assert (meta.local_time, meta.time_source) == (datetime(2024, 6, 1, 22, 15), "guano")
    placed = read_metadata(path, default_tz="America/Los_Angeles")
    assert placed.recorded_at == datetime(2024, 6, 2, 5, 15, tzinfo=UTC)  # PDT, UTC-7
    assert (placed.utc_offset_min, placed.zone_unknown) == (-420, False)
    assert placed.local_time == datetime(2024, 6, 1, 22, 15)


def test_a_zone_less_guano_time_is_not_replaced_by_the_file_name(tmp_path: Path) -> None:
    path = _wav(tmp_path, guano="GUANO|Version:1.0\nTimestamp:2024-06-01T22:15:00")
    named = path.rename(tmp_path / "20240601_221500.wav")
    meta = read_metadata(named)
    assert (meta.recorded_at, meta.time_source, meta.zone_unknown) == (None, "guano", True)


def test_an_unknown_default_zone_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        read_metadata(_wav(tmp_path), default_tz="Mars/Olympus")


def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "x.wav"
    os.mkfifo(pipe)
    with pytest.raises(NotRegularFileError, match="named pipe"):
        read_metadata(pipe)


def test_flac_comment_and_artist(tmp_path: Path) -> None:
    path = tmp_path / "20240903_183130.flac"
    with sf.SoundFile(path, "w", 8_000, 1, format="FLAC") as out:
        out.comment, out.artist = COMMENT, f"AudioMoth {SERIAL}"
        out.write(np.zeros(100))
    meta = read_metadata(path)
    assert (meta.device_serial, meta.time_source) == (SERIAL, "comment")
    assert meta.recorded_at == datetime(2024, 9, 3, 18, 31, 30, tzinfo=UTC)
