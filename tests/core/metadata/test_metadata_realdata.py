"""read_metadata on every real recording in ../shared/realaudio, checked against its MANIFEST.

The MANIFEST gives, per file, the AudioMoth comment verbatim, the ``IART`` and the GUANO text
(in ``notes``); the times below are read off those comments by hand.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import EmptyFileError
from core.metadata.guano import parse_guano
from core.metadata.recording import read_metadata

pytestmark = pytest.mark.realdata

# file: (recorded_at UTC, utc_offset_min, time_source)
TIMES = {
    "edwbaker__SonicScrewdriveR__AUDIOMOTH.WAV": (
        datetime(2021, 5, 1, 23, 32, tzinfo=UTC),
        0,
        "comment",
    ),
    "edwbaker__SonicScrewdriveR__STEREO.WAV": (
        datetime(2021, 5, 1, 23, 32, tzinfo=UTC),
        0,
        "comment",
    ),
    "kitzeslab__opensoundscape__metadata.wav": (
        datetime(2020, 4, 4, 10, 25, tzinfo=UTC),
        0,
        "comment",
    ),
    # 19:31:30 local at UTC+1
    "macaodha__batdetect2__AudiomothNoBatCalls.WAV": (
        datetime(2024, 9, 3, 18, 31, 30, tzinfo=UTC),
        60,
        "guano",
    ),
    # Wildlife Acoustics "Timestamp:  2022-08-15 21:34:14+0100"
    "macaodha__batdetect2__Echometer.wav": (
        datetime(2022, 8, 15, 20, 34, 14, tzinfo=UTC),
        60,
        "guano",
    ),
    "thieulong__Frog-Calls-Recognition__AUVIC_Railway_Pond-20231208_103700.wav": (
        datetime(2023, 12, 8, 10, 37, tzinfo=UTC),
        0,
        "comment",
    ),
}


def _rows(manifest: dict[str, dict[str, str]], kind: str) -> list[dict[str, str]]:
    return [row for name, row in manifest.items() if kind in row["metadata_kind"]]


def test_manifest_covers_the_folder(
    realaudio_dir: Path, manifest: dict[str, dict[str, str]]
) -> None:
    on_disk = {p.name for p in realaudio_dir.iterdir() if p.suffix.lower() == ".wav"}
    assert on_disk == set(manifest)


def test_audiomoth_comments(realaudio_dir: Path, manifest: dict[str, dict[str, str]]) -> None:
    rows = _rows(manifest, "audiomoth")
    assert len(rows) == 5
    for row in rows:
        meta = read_metadata(realaudio_dir / row["file"])
        comment = row["audiomoth_comment"]
        serial = re.search(r"IART=AudioMoth ([0-9A-F]{16})", row["notes"])[1]  # type: ignore[index]
        temperature = re.search(r"temperature was (-?\d+\.\d)C", comment)
        gain = re.search(r"at (?:gain setting (\d)|(\S+) gain)", comment)
        assert meta.comment == comment, row["file"]
        assert meta.artist == f"AudioMoth {serial}", row["file"]
        assert meta.recorder == "AudioMoth", row["file"]
        assert meta.device_serial == serial, row["file"]
        assert meta.battery_v == float(re.search(r"(\d\.\d)V", comment)[1]), row["file"]  # type: ignore[index]
        assert meta.temperature_c == (float(temperature[1]) if temperature else None), row["file"]
        assert meta.gain == (gain[1] or gain[2]), row["file"]  # type: ignore[index]
        assert (meta.recorded_at, meta.utc_offset_min, meta.time_source) == TIMES[row["file"]]
        assert meta.conflicts == [], row["file"]


def test_guano_chunks(realaudio_dir: Path, manifest: dict[str, dict[str, str]]) -> None:
    rows = _rows(manifest, "guano")
    assert {row["file"] for row in rows} == {
        "macaodha__batdetect2__AudiomothNoBatCalls.WAV",
        "macaodha__batdetect2__Echometer.wav",
    }
    for row in rows:
        text = re.search(r"GUANO=(.*?) ; bytes_contain", row["notes"])[1]  # type: ignore[index]
        meta = read_metadata(realaudio_dir / row["file"])
        assert meta.guano == parse_guano(text.replace("\\n", "\n")), row["file"]
        assert (meta.recorded_at, meta.utc_offset_min, meta.time_source) == TIMES[row["file"]]


def test_audiomoth_guano_and_comment_agree(realaudio_dir: Path) -> None:
    meta = read_metadata(realaudio_dir / "macaodha__batdetect2__AudiomothNoBatCalls.WAV")
    assert meta.guano["Firmware Version"] == "AudioMoth-Firmware-Basic (1.10.1)"
    assert meta.firmware == "AudioMoth-Firmware-Basic (1.10.1)"
    assert (meta.temperature_c, meta.battery_v, meta.gain) == (18.7, 4.3, "medium")
    assert meta.filter == "high-pass 15.0 kHz"
    assert meta.trigger == "amplitude 4%, 5 s minimum"
    assert meta.conflicts == []


def test_echo_meter(realaudio_dir: Path) -> None:
    meta = read_metadata(realaudio_dir / "macaodha__batdetect2__Echometer.wav")
    assert meta.recorder == "Echo Meter"
    assert meta.device_serial is None  # "Serial: " is empty
    assert meta.guano["Serial"] == ""
    assert meta.guano["Species Auto ID"] == "PIPPIP"
    assert meta.guano["WA|Song Meter|Audio settings"].startswith('[{"rate":"256000"')
    assert (meta.latitude, meta.longitude) == (50.7179417, -1.7611083)
    assert meta.firmware == "App 2.8.14"
    assert meta.comment is None


def test_files_without_metadata(realaudio_dir: Path, manifest: dict[str, dict[str, str]]) -> None:
    for row in _rows(manifest, "none"):
        if row["bytes"] == "0":
            continue
        meta = read_metadata(realaudio_dir / row["file"])
        assert (meta.recorder, meta.comment, meta.guano, meta.recorded_at) == (None, None, {}, None)


def test_empty_file(realaudio_dir: Path) -> None:
    with pytest.raises(EmptyFileError, match="EMPTY.WAV"):
        read_metadata(realaudio_dir / "edwbaker__SonicScrewdriveR__EMPTY.WAV")
