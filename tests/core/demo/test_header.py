"""The demo's AudioMoth writer: the firmware's bytes, read back by core.metadata."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from core.audio.io import TruncatedAudioWarning, read_info
from core.audio.riff import read_riff
from core.demo.header import MothState, guano_text, header_comment, write_audiomoth_wav
from core.metadata.recording import read_metadata
from tests.audiomoth_factory import Moth, audiomoth_comment, audiomoth_guano

START = datetime(2026, 2, 3, 3, 40, tzinfo=UTC)  # 19:40 on 2 February in UTC-8
STATE = MothState(
    start_utc=START,
    utc_offset_min=-480,
    serial="24E1440A5F1C2B01",
    battery_v=4.6,
    temperature_c=11.24,
    latitude=37.512304,
    longitude=-121.723118,
    samplerate_hz=48_000,
)


def test_comment_and_guano_match_the_test_suites_independent_firmware_model() -> None:
    moth = Moth(
        when_utc=START, tz_hours=-8, serial=STATE.serial, battery_v=4.6, temperature_c=11.24
    )
    assert header_comment(STATE) == audiomoth_comment("1.11.0", moth)
    # The factory's 1.11 writer has no position; ours adds the two lines a sunset schedule
    # writes, right after the timestamp as the firmware does.
    lines = guano_text(STATE).splitlines()
    assert lines[6:8] == ["Loc Position:37.51 -121.72", "OAD|Loc Source:Configuration app"]
    assert lines[:6] + lines[8:] == audiomoth_guano("1.11.0", moth).splitlines()


def test_file_layout_is_the_firmwares(tmp_path: Path) -> None:
    path = write_audiomoth_wav(tmp_path / STATE.filename, np.zeros(4800), STATE)
    riff = read_riff(path)
    assert [c.id for c in riff.chunks] == ["fmt ", "LIST", "data", "guan"]
    raw = path.read_bytes()
    assert raw[36:44] == b"LIST\xb4\x01\x00\x00"  # 4 + (8 + 384) + (8 + 32)
    assert raw[44:56] == b"INFOICMT\x80\x01\x00\x00"  # a 384-byte comment field
    assert raw.index(b"data") == 480  # the 488-byte header of the firmware
    assert path.name == "20260202_194000.WAV"


def test_written_file_reads_back_with_its_metadata(tmp_path: Path) -> None:
    path = write_audiomoth_wav(tmp_path / STATE.filename, np.zeros(48_000), STATE)
    meta = read_metadata(path)
    assert meta.recorder == "AudioMoth"
    assert meta.device_serial == STATE.serial
    assert meta.recorded_at == START
    assert meta.utc_offset_min == -480
    assert meta.temperature_c == pytest.approx(11.2)
    assert meta.battery_v == pytest.approx(4.6)
    assert meta.gain == "medium"
    assert (meta.latitude, meta.longitude) == (37.51, -121.72)
    assert meta.firmware == "AudioMoth-Firmware-Basic (1.11.0)"
    assert meta.conflicts == []
    assert read_info(path).duration_s == pytest.approx(1.0)


def test_flat_battery_and_low_voltage_stop(tmp_path: Path) -> None:
    state = MothState(
        start_utc=START, utc_offset_min=-480, serial=STATE.serial, battery_v=2.3,
        temperature_c=-1.5, stop_reason="low voltage",
    )  # fmt: skip
    assert "battery was less than 2.5V and temperature was -1.5C." in header_comment(state)
    meta = read_metadata(write_audiomoth_wav(tmp_path / "a.WAV", np.zeros(160), state))
    assert meta.stop_reason == "low voltage"
    assert meta.battery_v == pytest.approx(2.4)  # what the GUANO writes for "less than 2.5V"
    assert meta.temperature_c == pytest.approx(-1.5)
    assert meta.conflicts == []


def test_failing_card_keeps_part_of_the_audio_and_loses_the_guano(tmp_path: Path) -> None:
    path = write_audiomoth_wav(
        tmp_path / "a.WAV", np.zeros(16_000), STATE, keep_bytes=488 + 2 * 4000 + 1
    )
    with pytest.warns(TruncatedAudioWarning):
        info = read_info(path)
    assert info.truncated and info.frames == 4000 and info.declared_frames == 16_000
    meta = read_metadata(path)
    assert meta.device_serial == STATE.serial and meta.guano == {}
    assert meta.recorded_at == START  # from the comment alone
