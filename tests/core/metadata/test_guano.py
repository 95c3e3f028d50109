"""GUANO parsing with the habits of real writers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.errors import MetadataError
from core.metadata.guano import (
    RecordingSettings,
    leading_number,
    parse_guano,
    parse_guano_timestamp,
    parse_loc_position,
    parse_recording_settings,
)

# macaodha/batdetect2 tests/data/contrib/padpadpadpad/Echometer.wav, verbatim (MANIFEST.tsv):
# Wildlife Acoustics Echo Meter Touch 2, with its doubled spaces, empty values and JSON value.
ECHO_METER = (
    "GUANO|Version:  1.0\nFirmware Version: App 2.8.14\nLength: 6983.00\n"
    "Loc Position: 50.7179417 -1.7611083\nLoc Elevation: 51.20000076293945\n"
    "Make: Wildlife Acoustics\nModel: Echo Meter Touch 2 Standard Android\n"
    "Original Filename: 20220815_213414\nSamplerate: 256000\nSerial: \n"
    "Species Auto ID: PIPPIP\nSpecies Manual ID: PIPPIP\n"
    "Timestamp:  2022-08-15 21:34:14+0100\nNote: \nWA|Echo Meter|Auto ID: PIPPIP\n"
    "WA|Song Meter|Prefix: Benneth Phoneth\n"
    'WA|Song Meter|Audio settings: [{"rate":"256000","gain":"0.00","trig level":"0.00",'
    '"trig max len":"0.00","trig window":"0.00","trig min freq":"0.00","trig max freq":"0.00",'
    '"prefix":null}]\n'
)
# macaodha/batdetect2 .../AudiomothNoBatCalls.WAV, verbatim: AudioMoth 1.10.1, no spaces.
AUDIOMOTH = (
    "GUANO|Version:1.0\nMake:Open Acoustic Devices\nModel:AudioMoth\nSerial:24E144055E080032\n"
    "Firmware Version:AudioMoth-Firmware-Basic (1.10.1)\nTimestamp:2024-09-03T19:31:30+01:00\n"
    "Original Filename:20240903_193130T.WAV\nOAD|Battery Voltage:4.3\nTemperature Int:18.7"
)
# A Song Meter Mini header as quoted in a public Rust GUANO reader's tests (code search).
SONG_METER_MINI = (
    "Model: Song Meter Mini\nMake: Wildlife Acoustics, Inc.\n"
    "Original Filename: 2MA04827_20250227_073902.wav\nTimestamp: 2025-02-27T07:39:02+01:00\n"
    "Samplerate: 24000\nGUANO|Version: 1.0\nWA|Song Meter|Prefix: 2MA04827\n"
    'WA|Song Meter|Audio settings: [{"rate":24000,"gain":18}]\nFirmware Version: 4.6\n'
    "Loc Position: 46.765390 8.738140\nSerial: 2MA04827\nLength: 3597.99\nTemperature Int: -1.25"
)
# Elekon BATLOGGER: the keys riggsd/guano-py bin/batlogger2guano.py writes for it (values
# illustrative, not from a real file).
BATLOGGER = (
    "GUANO|Version: 1.0\nTimestamp: 2016-07-02T22:14:05\nFirmware Version: 2.3\n"
    "Make: Elekon\nModel: BatLogger\nSerial: 1234\nSamplerate: 312500\nLength: 4.2\n"
    "Temperature Ext: 18.5\nLoc Position: 47.3769 8.5417\nElekon|BattVoltage: 3.92 V\n"
    "Elekon|Trigger|Mode: Auto\n"
)
# An NABat-namespaced header (illustrative, not verbatim): a vendor namespace whose keys hold
# spaces, next to the well-known keys.
NABAT = (
    "GUANO|Version: 1.0\nTimestamp: 2021-06-12T21:04:33-07:00\nMake: Wildlife Acoustics\n"
    "Model: SM4BAT-FS\nSerial: S4U12345\nNABat|Grid Cell GRTS ID: 1234\n"
    "NABat|Site Name: Pond 7 NE\nNABat|Software Type: Kaleidoscope Pro 5.4.8\n"
)


def test_wildlife_acoustics_spacing_empty_values_and_json() -> None:
    fields = parse_guano(ECHO_METER.encode("utf-8"))
    assert fields["GUANO|Version"] == "1.0"
    assert fields["Serial"] == ""
    assert fields["Note"] == ""
    assert fields["Timestamp"] == "2022-08-15 21:34:14+0100"
    assert fields["WA|Song Meter|Audio settings"].startswith('[{"rate":"256000","gain":"0.00"')
    assert fields["WA|Song Meter|Audio settings"].endswith('"prefix":null}]')
    assert fields["WA|Song Meter|Prefix"] == "Benneth Phoneth"
    assert len(fields) == 17


def test_audiomoth_without_spaces() -> None:
    fields = parse_guano(AUDIOMOTH.encode())
    assert fields["Serial"] == "24E144055E080032"
    assert fields["OAD|Battery Voltage"] == "4.3"
    # The value keeps its own colons.
    assert fields["Timestamp"] == "2024-09-03T19:31:30+01:00"


def test_song_meter_batlogger_and_nabat_keys() -> None:
    assert parse_guano(SONG_METER_MINI)["Temperature Int"] == "-1.25"
    batlogger = parse_guano(BATLOGGER)
    assert batlogger["Elekon|BattVoltage"] == "3.92 V"
    assert batlogger["Elekon|Trigger|Mode"] == "Auto"
    nabat = parse_guano(NABAT)
    assert nabat["NABat|Grid Cell GRTS ID"] == "1234"
    assert nabat["NABat|Site Name"] == "Pond 7 NE"


def test_crlf_nul_and_space_padding() -> None:
    raw = b"GUANO|Version: 1.0\r\nSerial: A1\r\nNote: x\r\n" + b"\x00" * 7 + b"   \n  "
    assert parse_guano(raw) == {"GUANO|Version": "1.0", "Serial": "A1", "Note": "x"}


def test_spaces_around_namespace_separators_are_trimmed() -> None:
    assert parse_guano("  WA | Song Meter | Prefix :  X  ") == {"WA|Song Meter|Prefix": "X"}


def test_utf8_values() -> None:
    # riggsd/guano-py tests/test_guano.py UnicodeTest
    note = "¡GUANO is the 💩 !"
    assert parse_guano(f"GUANO|Version: 1.0\nNote: {note}".encode())["Note"] == note


def test_sonobat_quirks() -> None:
    # riggsd/guano-py tests/test_guano.py BadDataTest: not UTF-8, a stray ":", "1.0:" version,
    # an empty TE and an empty Timestamp.
    raw = b"GUANO|Version:  1.0:\n:\nTE:\nTimestamp:\nNote:  mic 4\xd5 above roof.\n\x00\x00"
    fields = parse_guano(raw)
    assert fields["GUANO|Version"] == "1.0:"
    assert fields["TE"] == ""
    assert fields["Note"] == "mic 4\u00d5 above roof."
    assert "" not in fields
    assert parse_guano_timestamp(fields["Timestamp"]) is None


def test_lines_without_colon_are_skipped_and_last_duplicate_wins() -> None:
    assert parse_guano("junk line\nSerial: 1\nSerial: 2\n") == {"Serial": "2"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-09-03T19:31:30+01:00", datetime(2024, 9, 3, 18, 31, 30, tzinfo=UTC)),
        ("2022-08-15 21:34:14+0100", datetime(2022, 8, 15, 20, 34, 14, tzinfo=UTC)),
        ("2016-12-10T01:02:03Z", datetime(2016, 12, 10, 1, 2, 3, tzinfo=UTC)),
        ("2016-12-10T01:02:03.123Z", datetime(2016, 12, 10, 1, 2, 3, 123000, tzinfo=UTC)),
        ("2016-12-10T01:02:03.123456-07:00", datetime(2016, 12, 10, 8, 2, 3, 123456, tzinfo=UTC)),
        ("2021-06-12T21:04:33-07", datetime(2021, 6, 13, 4, 4, 33, tzinfo=UTC)),
        ("2012-03-29T03:58:01+04:00", datetime(2012, 3, 28, 23, 58, 1, tzinfo=UTC)),
    ],
)
def test_timestamps_with_zone(text: str, expected: datetime) -> None:
    stamp = parse_guano_timestamp(text)
    assert stamp is not None and stamp.tzinfo is not None
    assert stamp == expected


def test_timestamp_keeps_the_writers_offset() -> None:
    stamp = parse_guano_timestamp("2022-08-15 21:34:14+0100")
    assert stamp is not None and stamp.utcoffset() == timedelta(hours=1)
    assert stamp.tzinfo == timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-12-10T01:02:03", datetime(2016, 12, 10, 1, 2, 3)),
        ("2016-12-10 01:02:03", datetime(2016, 12, 10, 1, 2, 3)),
        ("2016-12-10T01:02", datetime(2016, 12, 10, 1, 2)),
    ],
)
def test_local_timestamps_stay_naive(text: str, expected: datetime) -> None:
    assert parse_guano_timestamp(text) == expected


@pytest.mark.parametrize(
    "text", ["yesterday", "2016-13-10T01:02:03", "2016-12-10T01:02:03+25:00", "03/09/2024"]
)
def test_bad_timestamps_raise(text: str) -> None:
    with pytest.raises(MetadataError, match="GUANO Timestamp"):
        parse_guano_timestamp(text)


def test_loc_position() -> None:
    assert parse_loc_position("50.7179417 -1.7611083") == (50.7179417, -1.7611083)
    assert parse_loc_position(" 37.1878016,  -86.1057312 ") == (37.1878016, -86.1057312)
    assert parse_loc_position("") is None
    for bad in ("50.7", "north west", "1 2 3", "95.0 10.0", "10.0 -190.0"):
        with pytest.raises(MetadataError, match="Loc Position"):
            parse_loc_position(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("48000 GAIN 2", RecordingSettings(48000, 2)),
        (
            "250000 GAIN 2 HPF 15000 AMP 4% 5",
            RecordingSettings(250000, 2, "high-pass 15.0 kHz", "amplitude 4%, 5 s minimum"),
        ),
        (
            "48000 GAIN 4 BPF 1000 8000 AMP -30dB 2 LGR D48 ESM",
            RecordingSettings(48000, 4, "band-pass 1.0-8.0 kHz", "amplitude -30 dB, 2 s minimum"),
        ),
        (
            "96000 GAIN 1 FREQ 48000 512 0.5% 2 LPF 8000",
            RecordingSettings(
                96000,
                1,
                "low-pass 8.0 kHz",
                "frequency 48.0 kHz, 512-sample window, 0.5%, 2 s minimum",
            ),
        ),
        ("8000 GAIN 0 AMP 128 0", RecordingSettings(8000, 0, None, "amplitude 128, 0 s minimum")),
        ("", RecordingSettings()),
    ],
)
def test_audiomoth_recording_settings(value: str, expected: RecordingSettings) -> None:
    assert parse_recording_settings(value) == expected


@pytest.mark.parametrize("value", ["48000 GAIN", "48000 GAIN x", "48000 BPF 1000", "1 AMP 4%"])
def test_broken_recording_settings_raise(value: str) -> None:
    with pytest.raises(MetadataError, match="Recording Settings"):
        parse_recording_settings(value)


def test_leading_number() -> None:
    assert leading_number("3.92 V") == 3.92
    assert leading_number("-1.25") == -1.25
    assert leading_number("") is None
    assert leading_number(None) is None
    assert leading_number("n/a") is None
