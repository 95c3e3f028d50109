"""read_metadata on WAVs laid out as each recorder writes them."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from core.errors import EmptyFileError, MetadataError, NotAudioError
from core.metadata.recording import read_metadata, recorder_family, time_from_filename
from tests.audiomoth_factory import (
    GENERATIONS,
    Moth,
    audiomoth_comment,
    audiomoth_filename,
    audiomoth_guano,
    write_audiomoth_wav,
)
from tests.core.metadata.test_guano import BATLOGGER, ECHO_METER, NABAT, SONG_METER_MINI
from tests.factories import guano_chunk, list_info_chunk, write_wav

MOTH = Moth(
    when_utc=datetime(2023, 5, 20, 4, 15, 0, tzinfo=UTC),
    tz_hours=-7,
    gain=3,
    battery_v=3.9,
    temperature_c=11.4,
    filter=("low", None, 8.0),
)


def _v(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@pytest.mark.parametrize("version", list(GENERATIONS))
def test_factory_writes_the_firmware_header_layout(tmp_path: Path, version: str) -> None:
    comment_size, artist_size, writes_guano = GENERATIONS[version]
    path = write_audiomoth_wav(tmp_path / audiomoth_filename(MOTH), version, MOTH, frames=100)
    raw = path.read_bytes()
    list_size = 4 + 8 + comment_size + (8 + artist_size if artist_size else 0)
    assert raw[:4] == b"RIFF" and struct.unpack_from("<I", raw, 4)[0] == len(raw) - 8
    assert raw[12:16] == b"fmt " and struct.unpack_from("<I", raw, 16)[0] == 16
    assert raw[36:40] == b"LIST" and struct.unpack_from("<I", raw, 40)[0] == list_size
    assert raw[44:52] == b"INFOICMT" and struct.unpack_from("<I", raw, 52)[0] == comment_size
    comment = raw[56 : 56 + comment_size]
    assert comment.rstrip(b"\x00").decode() == audiomoth_comment(version, MOTH)
    assert comment.endswith(b"\x00")
    if artist_size:
        iart = 56 + comment_size
        assert raw[iart : iart + 4] == b"IART"
        assert raw[iart + 8 : iart + 8 + artist_size].rstrip(b"\x00") == b"AudioMoth " + (
            MOTH.serial.encode()
        )
    data = 44 + list_size
    assert raw[data : data + 4] == b"data" and struct.unpack_from("<I", raw, data + 4)[0] == 200
    tail = raw[data + 8 + 200 :]
    if writes_guano:
        guano = audiomoth_guano(version, MOTH).encode()
        # Appended after the samples, unpadded even when its size is odd.
        assert tail == b"guan" + struct.pack("<I", len(guano)) + guano
    else:
        assert tail == b""


@pytest.mark.parametrize("version", list(GENERATIONS))
def test_each_generation_reads_back(tmp_path: Path, version: str) -> None:
    v = _v(version)
    path = write_audiomoth_wav(tmp_path / audiomoth_filename(MOTH), version, MOTH)
    meta = read_metadata(path)
    assert meta.recorder == "AudioMoth"
    assert meta.recorded_at == MOTH.when_utc
    assert meta.conflicts == []
    assert meta.comment == audiomoth_comment(version, MOTH)
    if v < (1, 2, 0):
        assert meta.device_serial is None  # 1.0.x printed a memory address, not the serial
        assert meta.utc_offset_min == (None if v < (1, 0, 1) else 0)
    else:
        assert meta.device_serial == MOTH.serial
        assert meta.utc_offset_min == -420
    assert meta.time_source == ("guano" if GENERATIONS[version][2] else "comment")
    assert meta.gain == ("medium-high" if v >= (1, 4, 0) else "3")
    assert meta.battery_v == 3.9
    assert meta.temperature_c == (11.4 if v >= (1, 4, 0) else None)
    assert meta.filter == ("low-pass 8.0 kHz" if v >= (1, 4, 0) else None)
    if GENERATIONS[version][2]:
        assert meta.firmware == f"AudioMoth-Firmware-Basic ({version})"
        assert meta.guano["Serial"] == MOTH.serial
    else:
        assert meta.firmware is not None and meta.firmware.endswith(
            "(inferred from comment wording)"
        )
        assert meta.guano == {}


def test_latest_guano_agrees_with_comment(tmp_path: Path) -> None:
    moth = Moth(
        tz_hours=5,
        tz_minutes=30,
        battery="low",
        deployment_id="00000000C0FFEE00",
        filter=("band", 1.0, 8.0),
        amplitude=("db", 30),
        min_trigger_s=3,
    )
    meta = read_metadata(write_audiomoth_wav(tmp_path / "a.WAV", "1.11.0", moth))
    assert meta.conflicts == []
    assert meta.utc_offset_min == 330
    assert meta.deployment_id == "00000000C0FFEE00"
    assert meta.device_serial == moth.serial
    assert meta.filter == "band-pass 1.0-8.0 kHz"
    assert meta.trigger == "amplitude -30 dB, 3 s minimum"
    assert meta.gain == "medium"
    # "less than 2.5V" in the comment, the firmware's 2.4 stand-in in GUANO: no conflict.
    assert meta.battery_v == 2.4


def test_disagreements_are_reported_with_both_values(tmp_path: Path) -> None:
    moth = Moth(tz_hours=1, temperature_c=18.7, battery_v=4.3)
    guano = audiomoth_guano("1.10.1", moth)
    guano = guano.replace(moth.serial, "24E144055E080099")
    guano = guano.replace("T05:30:15+01:00", "T05:30:17+01:00")
    guano = guano.replace("Temperature Int:18.7", "Temperature Int:21.0")
    guano = guano.replace("Battery Voltage:4.3", "Battery Voltage:3.7")
    path = tmp_path / "b.WAV"
    write_audiomoth_wav(path, "1.10.1", moth, guano=guano)
    meta = read_metadata(path)
    assert len(meta.conflicts) == 4, meta.conflicts
    joined = "\n".join(meta.conflicts)
    for guano_value, comment_value in [
        ("2024-05-01T04:30:17Z", "2024-05-01T04:30:15Z"),
        ("24E144055E080099", moth.serial),
        ("21.0", "18.7"),
        ("3.7", "4.3"),
    ]:
        assert guano_value in joined and comment_value in joined
    # GUANO is preferred.
    assert meta.device_serial == "24E144055E080099"
    assert meta.temperature_c == 21.0
    assert meta.recorded_at == datetime(2024, 5, 1, 4, 30, 17, tzinfo=UTC)


def test_numeric_gain_compares_by_setting(tmp_path: Path) -> None:
    moth = Moth(gain=1)
    guano = audiomoth_guano("1.11.0", moth)
    path = write_audiomoth_wav(tmp_path / "g.WAV", "1.2.1", moth, guano=guano)
    meta = read_metadata(path)
    assert (meta.gain, meta.conflicts) == ("low-medium", [])
    other = write_audiomoth_wav(
        tmp_path / "h.WAV", "1.2.1", moth, guano=guano.replace("GAIN 1", "GAIN 4")
    )
    assert read_metadata(other).conflicts == ["gain: GUANO says high, the comment says low-medium"]


def test_offset_disagreement(tmp_path: Path) -> None:
    moth = Moth(tz_hours=1)
    guano = audiomoth_guano("1.10.1", moth).replace("T05:30:15+01:00", "T06:30:15+02:00")
    meta = read_metadata(write_audiomoth_wav(tmp_path / "c.WAV", "1.10.1", moth, guano=guano))
    assert meta.conflicts == ["utc_offset: GUANO says +02:00, the comment says +01:00"]
    assert meta.utc_offset_min == 120


def test_comment_after_data_as_retagging_tools_write_it(tmp_path: Path) -> None:
    # kitzeslab/opensoundscape metadata.wav has LIST (and id3) after data.
    comment = audiomoth_comment("1.6.0", MOTH)
    info = list_info_chunk(comment, f"AudioMoth {MOTH.serial}")
    path = write_wav(tmp_path / "x.wav", np.zeros(64), 8000, chunks_after_data=[info])
    meta = read_metadata(path)
    assert meta.device_serial == MOTH.serial
    assert meta.recorded_at == MOTH.when_utc


def test_odd_info_subchunk_without_pad_byte(tmp_path: Path) -> None:
    comment = audiomoth_comment("1.6.0", MOTH).encode()[:-1]  # odd length, no terminator
    payload = b"INFO" + b"ICMT" + struct.pack("<I", len(comment)) + comment
    payload += b"IART" + struct.pack("<I", 26) + f"AudioMoth {MOTH.serial}".encode()
    path = write_wav(
        tmp_path / "y.wav", np.zeros(64), 8000, chunks_before_data=[(b"LIST", payload)]
    )
    meta = read_metadata(path)
    assert meta.artist == f"AudioMoth {MOTH.serial}"
    assert meta.battery_v == 3.9


def test_garbage_after_the_nul_is_not_part_of_the_comment(tmp_path: Path) -> None:
    comment = audiomoth_comment("1.2.1", MOTH) + "\x00" + "ge due to change of switch position."
    path = write_audiomoth_wav(tmp_path / "z.WAV", "1.2.1", MOTH, comment=comment)
    meta = read_metadata(path)
    assert meta.comment == audiomoth_comment("1.2.1", MOTH)
    assert meta.stop_reason is None


def test_other_comments_are_kept_but_not_parsed(tmp_path: Path) -> None:
    info = list_info_chunk("Recorded with Audacity", "Jane Doe")
    path = write_wav(
        tmp_path / "20230101_120000.wav", np.zeros(64), 8000, chunks_before_data=[info]
    )
    meta = read_metadata(path)
    assert (meta.comment, meta.artist, meta.recorder) == (
        "Recorded with Audacity",
        "Jane Doe",
        None,
    )
    assert meta.time_source == "filename"


def test_broken_audiomoth_comment_names_the_file(tmp_path: Path) -> None:
    comment = audiomoth_comment("1.6.0", MOTH).replace("19/05/2023", "31/02/2023")
    assert "31/02/2023" in comment
    path = write_audiomoth_wav(tmp_path / "broken.WAV", "1.6.0", MOTH, comment=comment)
    with pytest.raises(MetadataError, match=r"broken\.WAV: impossible date"):
        read_metadata(path)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("20240903_193130.WAV", datetime(2024, 9, 3, 19, 31, 30, tzinfo=UTC)),
        ("20240903_193130T.WAV", datetime(2024, 9, 3, 19, 31, 30, tzinfo=UTC)),
        ("24E144055E080032_20240903_193130.WAV", datetime(2024, 9, 3, 19, 31, 30, tzinfo=UTC)),
        ("AUVIC_Railway_Pond-20231208_103700.wav", datetime(2023, 12, 8, 10, 37, tzinfo=UTC)),
        ("site3_20231208_103700_extra.wav", datetime(2023, 12, 8, 10, 37, tzinfo=UTC)),
        ("20241332_250000.WAV", None),
        ("120240903_193130.WAV", None),
        ("recording.wav", None),
    ],
)
def test_time_from_filename(name: str, expected: datetime | None) -> None:
    assert time_from_filename(name) == expected


def test_filename_is_the_last_resort(tmp_path: Path) -> None:
    plain = write_wav(tmp_path / "Pond7-20240415_203000.wav", np.zeros(64), 8000)
    meta = read_metadata(plain)
    assert meta.recorded_at == datetime(2024, 4, 15, 20, 30, tzinfo=UTC)
    assert (meta.time_source, meta.utc_offset_min, meta.recorder) == ("filename", None, None)
    # A header time always wins over the name.
    named = write_audiomoth_wav(tmp_path / "20000101_000000.WAV", "1.6.0", MOTH)
    assert read_metadata(named).time_source == "comment"


def test_no_metadata_at_all(tmp_path: Path) -> None:
    meta = read_metadata(write_wav(tmp_path / "clip.wav", np.zeros(64), 8000))
    fields = {k: v for k, v in vars(meta).items() if k != "path"}
    assert all(value in (None, {}, [], False) for value in fields.values()), fields


@pytest.mark.parametrize(
    ("text", "recorder", "device_serial", "utc", "offset"),
    [
        (ECHO_METER, "Echo Meter", None, datetime(2022, 8, 15, 20, 34, 14, tzinfo=UTC), 60),
        (
            SONG_METER_MINI,
            "Song Meter",
            "2MA04827",
            datetime(2025, 2, 27, 6, 39, 2, tzinfo=UTC),
            60,
        ),
        (NABAT, "Song Meter", "S4U12345", datetime(2021, 6, 13, 4, 4, 33, tzinfo=UTC), -420),
        # A local time without zone (GUANO: local time) leaves the UTC time unknown.
        (BATLOGGER, "BATLOGGER", "1234", None, None),
    ],
)
def test_other_recorders_guano(
    tmp_path: Path,
    text: str,
    recorder: str,
    device_serial: str | None,
    utc: datetime,
    offset: int | None,
) -> None:
    path = write_wav(tmp_path / "g.wav", np.zeros(64), 8000, chunks_after_data=[guano_chunk(text)])
    meta = read_metadata(path)
    assert (meta.recorder, meta.device_serial, meta.recorded_at, meta.utc_offset_min) == (
        recorder,
        device_serial,
        utc,
        offset,
    )
    assert meta.zone_unknown == (utc is None) and meta.time_source == "guano"
    assert meta.time_source == "guano"
    assert meta.comment is None and meta.conflicts == []


def test_guano_values_of_other_recorders(tmp_path: Path) -> None:
    batlogger = guano_chunk(BATLOGGER)
    meta = read_metadata(
        write_wav(tmp_path / "b.wav", np.zeros(64), 8000, chunks_after_data=[batlogger])
    )
    assert (meta.battery_v, meta.temperature_c, meta.firmware) == (3.92, 18.5, "2.3")
    assert (meta.latitude, meta.longitude) == (47.3769, 8.5417)
    mini = guano_chunk(SONG_METER_MINI)
    meta = read_metadata(
        write_wav(tmp_path / "s.wav", np.zeros(64), 8000, chunks_after_data=[mini])
    )
    assert meta.temperature_c == -1.25
    assert meta.gain is None  # a Song Meter gain in dB is not an AudioMoth gain setting


def test_unreadable_guano_timestamp_names_the_file(tmp_path: Path) -> None:
    chunk = guano_chunk("GUANO|Version:1.0\nTimestamp:last tuesday")
    path = write_wav(tmp_path / "t.wav", np.zeros(64), 8000, chunks_after_data=[chunk])
    with pytest.raises(MetadataError, match=r"t\.wav: unreadable GUANO Timestamp"):
        read_metadata(path)


@pytest.mark.parametrize(
    ("make", "model", "family"),
    [
        ("Open Acoustic Devices", "AudioMoth", "AudioMoth"),
        ("Wildlife Acoustics, Inc.", "Song Meter Mini Bat", "Song Meter"),
        ("Wildlife Acoustics", "SM4BAT-FS", "Song Meter"),
        ("Wildlife Acoustics", "Echo Meter Touch 2 Pro", "Echo Meter"),
        ("Elekon AG", "BATLOGGER M2", "BATLOGGER"),
        ("Pettersson", "D500X", "D500X"),
        ("Titley Scientific", None, "Titley Scientific"),
        (None, None, None),
    ],
)
def test_recorder_family(make: str | None, model: str | None, family: str | None) -> None:
    assert recorder_family(make, model) == family


def test_unreadable_files_raise_audio_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.WAV"
    empty.write_bytes(b"")
    with pytest.raises(EmptyFileError):
        read_metadata(empty)
    text = tmp_path / "notes.wav"
    text.write_text("field notes, not audio")
    with pytest.raises(NotAudioError, match="notes.wav"):
        read_metadata(text)
