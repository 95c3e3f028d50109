"""``ranawatch inspect``: one JSON line per file, exit 0/1/2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.inspect import KEYS
from cli.main import app
from tests.audiomoth_factory import Moth, audiomoth_filename, write_audiomoth_wav
from tests.factories import guano_chunk, write_wav

ROOT = Path(__file__).resolve().parents[2]
MOTH = Moth(tz_hours=-8)  # 2024-05-01 04:30:15 UTC, 20:30:15 on the 30th in California
EXPECTED_KEYS = [
    "path", "ok", "error", "samplerate_hz", "channels", "duration_s", "sample_format",
    "container", "recorder", "device_serial", "recorded_at", "utc_offset", "time_source",
    "zone_unknown", "local_time", "temperature_c", "battery_v", "gain", "firmware",
    "deployment_id", "filter", "trigger", "stop_reason", "guano", "comment", "conflicts",
    "notes",
]  # fmt: skip


def _run(*args: str) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(app, ["inspect", *args])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines


@pytest.fixture
def moth_file(tmp_path: Path) -> Path:
    return write_audiomoth_wav(tmp_path / audiomoth_filename(MOTH), "1.11.0", MOTH, frames=24000)


def test_one_audiomoth_file(moth_file: Path) -> None:
    code, [record] = _run(str(moth_file), "--json")
    assert code == 0
    assert list(record) == EXPECTED_KEYS == list(KEYS)
    assert record["ok"] is True and record["error"] is None
    assert (record["samplerate_hz"], record["channels"], record["duration_s"]) == (48000, 1, 0.5)
    assert record["sample_format"] == "PCM_16"
    assert record["recorder"] == "AudioMoth"
    assert record["device_serial"] == MOTH.serial
    assert record["recorded_at"] == "2024-05-01T04:30:15Z"
    assert record["utc_offset"] == "-08:00"
    assert (record["time_source"], record["zone_unknown"], record["container"]) == (
        "guano",
        False,
        "WAV",
    )
    assert (record["temperature_c"], record["battery_v"], record["gain"]) == (12.3, 4.2, "medium")
    assert record["firmware"] == "AudioMoth-Firmware-Basic (1.11.0)"
    assert record["guano"]["Timestamp"] == "2024-04-30T20:30:15-08:00"
    assert record["comment"].startswith("Recorded at 20:30:15 30/04/2024 (UTC-8) by AudioMoth")
    assert record["conflicts"] == []


def test_a_failed_file_still_gets_a_line_and_exit_1(moth_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "20240101_000000.WAV"
    bad.write_bytes(b"RIFF\x04\x00\x00\x00WAVE")
    missing = tmp_path / "nowhere.wav"
    code, records = _run("--json", str(moth_file), str(bad), str(missing))
    assert code == 1
    assert [r["ok"] for r in records] == [True, False, False]
    assert "20240101_000000.WAV" in records[1]["error"] and "fmt" in records[1]["error"]
    assert "no such file" in records[2]["error"]
    assert all(list(r) == EXPECTED_KEYS for r in records)


def test_every_path_gets_a_line_and_a_pipe_never_blocks(moth_file: Path, tmp_path: Path) -> None:
    pipe = tmp_path / "x.wav"
    os.mkfifo(pipe)
    locked = tmp_path / "locked.wav"
    locked.write_bytes(moth_file.read_bytes())
    locked.chmod(0)
    args = [str(pipe), str(tmp_path / "nowhere.wav"), str(locked), str(moth_file)]
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "inspect", "--json", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 1, done.stderr
    assert [r["path"] for r in records] == args
    assert [r["ok"] for r in records[:2]] == [False, False] and records[3]["ok"] is True
    assert "named pipe" in records[0]["error"] and "no such file" in records[1]["error"]
    if os.geteuid() != 0:  # root reads a file whatever its mode
        assert records[2]["ok"] is False and "locked.wav" in records[2]["error"]
    assert "Traceback" not in done.stderr


def test_json_is_strict_and_a_zone_less_time_is_marked(tmp_path: Path) -> None:
    text = "GUANO|Version:1.0\nTimestamp:2024-06-01T22:15:00\nTemperature Int:" + "9" * 400
    path = write_wav(tmp_path / "g.wav", np.zeros(80), 8000, chunks_after_data=[guano_chunk(text)])
    result = CliRunner().invoke(app, ["inspect", "--json", str(path)])
    assert "Infinity" not in result.stdout and "NaN" not in result.stdout
    record = json.loads(result.stdout, parse_constant=lambda name: pytest.fail(name))
    assert record["temperature_c"] is None and record["ok"] is True
    assert (record["recorded_at"], record["zone_unknown"]) == (None, True)
    assert (record["local_time"], record["time_source"]) == ("2024-06-01T22:15:00", "guano")
    assert any("not a finite number" in note for note in record["notes"])


def test_macos_forks_are_left_out_like_ingest_does(tmp_path: Path) -> None:
    write_wav(tmp_path / "a.wav", np.zeros(80), 8000)
    (tmp_path / "._a.wav").write_bytes(b"\x00\x05\x16\x07")
    code, records = _run("--json", str(tmp_path))
    assert code == 0 and [Path(r["path"]).name for r in records] == ["a.wav"]


def test_folders_are_searched_for_wav_files(tmp_path: Path) -> None:
    (tmp_path / "site" / "night1").mkdir(parents=True)
    write_audiomoth_wav(tmp_path / "site" / "A.WAV", "1.6.0")
    write_wav(tmp_path / "site" / "night1" / "b.wav", np.zeros(80), 8000)
    (tmp_path / "site" / "CONFIG.TXT").write_text("Device ID : 24E144055E080032")
    code, records = _run("--json", str(tmp_path / "site"))
    assert code == 0
    assert [Path(r["path"]).name for r in records] == ["A.WAV", "b.wav"]


def test_a_folder_without_recordings_is_an_error(tmp_path: Path) -> None:
    code, [record] = _run("--json", str(tmp_path))
    assert code == 1
    assert "no .wav or .flac files" in record["error"]


def test_metadata_error_keeps_the_audio_fields(tmp_path: Path) -> None:
    comment = "Recorded at 10:00:00 31/02/2023 (UTC) by AudioMoth 24E144055E080032 at low gain"
    path = write_audiomoth_wav(tmp_path / "x.WAV", "1.6.0", comment=comment)
    code, [record] = _run("--json", str(path))
    assert code == 1
    assert record["ok"] is False and "impossible date" in record["error"]
    assert record["samplerate_hz"] == 48000


def test_readable_output_without_json(moth_file: Path) -> None:
    result = CliRunner().invoke(app, ["inspect", str(moth_file)])
    assert result.exit_code == 0
    assert f"== {moth_file}" in result.stdout
    assert "device_serial" in result.stdout and MOTH.serial in result.stdout
    assert "recorded_at    2024-05-01T04:30:15Z" in result.stdout
    assert "Serial: " + MOTH.serial in result.stdout


@pytest.mark.parametrize("args", [[], ["--nonsense", "x.wav"]])
def test_bad_usage_exits_2(args: list[str]) -> None:
    assert CliRunner().invoke(app, ["inspect", *args]).exit_code == 2


def test_installed_command(moth_file: Path) -> None:
    script = Path(sys.executable).parent / "ranawatch"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]
    done = subprocess.run(
        [*command, "inspect", "--json", str(moth_file)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert (record["ok"], record["device_serial"]) == (True, MOTH.serial)


@pytest.mark.realdata
def test_realaudio_folder(realaudio_dir: Path, manifest: dict[str, dict[str, str]]) -> None:
    code, records = _run("--json", str(realaudio_dir))
    assert code == 1
    by_name = {Path(r["path"]).name: r for r in records}
    assert set(by_name) == set(manifest)
    failed = {name for name, r in by_name.items() if not r["ok"]}
    assert failed == {
        "edwbaker__SonicScrewdriveR__EMPTY.WAV",
        "kitzeslab__opensoundscape__empty_2c.wav",
    }
    assert "empty" in by_name["edwbaker__SonicScrewdriveR__EMPTY.WAV"]["error"]
    assert by_name["mbsantiago__soundevent__wav_ms_adpcm.wav"]["sample_format"] == "MS_ADPCM"
    for name, record in by_name.items():
        assert record["error"] is None or name in failed
        if name in failed:
            continue
        row = manifest[name]
        if record["sample_format"] == "MS_ADPCM":
            continue  # its manifest row gives the fact chunk, not the decoded blocks
        assert record["samplerate_hz"] == int(row["sample_rate"]), name
        assert record["channels"] == int(row["channels"]), name
        assert record["duration_s"] == pytest.approx(float(row["duration_s"]), abs=1e-3), name
    echo = by_name["macaodha__batdetect2__Echometer.wav"]
    assert (echo["recorded_at"], echo["utc_offset"]) == ("2022-08-15T20:34:14Z", "+01:00")
    assert echo["guano"]["Timestamp"] == "2022-08-15 21:34:14+0100"
    moth = by_name["macaodha__batdetect2__AudiomothNoBatCalls.WAV"]
    assert (moth["device_serial"], moth["recorded_at"]) == (
        "24E144055E080032",
        "2024-09-03T18:31:30Z",
    )
