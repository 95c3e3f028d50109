"""``ranawatch demo``: the synthetic season read back, and the whole platform run on it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from core.demo.generate import generate_season
from core.demo.season import SeasonConfig

SMALL = SeasonConfig(nights=2, hours_after_sunset=1.0, recording_s=20.0)


def test_inspect_reads_the_generated_files_with_their_metadata(tmp_path: Path) -> None:
    season = generate_season(tmp_path, SMALL)
    result = CliRunner().invoke(app, ["inspect", "--json", str(tmp_path)])
    assert result.exit_code == 0, result.output
    read = {
        Path(line["path"]).relative_to(tmp_path).as_posix(): line
        for line in map(json.loads, result.stdout.splitlines())
    }
    expected = list(csv.DictReader((tmp_path / "recordings.csv").open()))
    assert len(read) == len(expected) == len(season.files)
    for row in expected:
        got = read[row["file"]]
        assert got["ok"] and got["recorder"] == "AudioMoth"
        assert got["device_id"] == row["device_id"]
        assert got["recorded_at"] == row["recorded_at"]
        assert got["utc_offset"] == "-08:00"
        assert got["temperature_c"] == pytest.approx(float(row["temperature_c"]), abs=0.05)
        assert got["battery_v"] == pytest.approx(float(row["battery_v"]), abs=0.051)
        assert got["duration_s"] == pytest.approx(float(row["audio_s"]), abs=0.01)
        assert got["conflicts"] == []
        if row["truncated"] == "False":
            assert got["guano"]["Loc Position"].count(".") == 2
