"""``ranawatch detect``: scores what is stored and not yet scored, checked before it starts."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from tests.flows.helpers import TinyModel, write_good_recordings, write_too_short

runner = CliRunner()
_LINE = re.compile(r"detect: (\d+) recordings scored, (\d+) positive, (\d+) could not be scored")


def _scored(output: str) -> tuple[int, int]:
    match = _LINE.search(output)
    assert match, output
    return int(match[1]), int(match[3])


def _statuses() -> dict[str, str]:
    listed = runner.invoke(app, ["list", "recordings", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.stdout.splitlines() if line.startswith("{")]
    return {Path(row["path"]).name: row["status"] for row in rows}


def test_detect_scores_what_ingest_stored_a_limited_number_at_a_time(
    data_dir: Path, tmp_path: Path, tiny: TinyModel, prefect_api: str
) -> None:
    audio = tmp_path / "card"
    good = write_good_recordings(audio, n=3)
    short = write_too_short(audio)
    stored = runner.invoke(app, ["ingest", str(audio), "--settle-s", "0", "--no-detect"])
    assert stored.exit_code == 0 and "4 stored" in stored.stdout, stored.output
    assert set(_statuses().values()) == {"pending"}

    # no checkpoint: said in one line, with this command's own option, before any claim
    missing = runner.invoke(app, ["detect", "--device", "cpu"])
    assert missing.exit_code == 1
    (line,) = missing.stderr.strip().splitlines()
    assert "--checkpoint" in line and "RANAWATCH_CHECKPOINT" in line
    assert "--no-detect" not in line
    assert set(_statuses().values()) == {"pending"}

    model = ["--checkpoint", str(tiny.checkpoint), "--model-card", str(tiny.card)]
    options = ["--device", "cpu", "--claim-size", "1", "--batch-size", "1"]
    first = runner.invoke(app, ["detect", *model, *options, "--limit", "2"])
    assert first.exit_code == 0, first.output
    assert sum(_scored(first.stdout)) == 2
    assert sorted(_statuses().values()).count("pending") == 2

    rest = runner.invoke(app, ["detect", *model, *options])
    assert rest.exit_code == 0, rest.output
    assert sum(_scored(rest.stdout)) == 2
    assert _scored(first.stdout)[1] + _scored(rest.stdout)[1] == 1  # the too-short file
    statuses = _statuses()
    assert statuses == {p.name: "done" for p in good} | {short.name: "failed"}
    assert "ranawatch list recordings --status failed" in first.stdout + rest.stdout

    again = runner.invoke(app, ["detect", *model, *options])
    assert again.exit_code == 0 and _scored(again.stdout) == (0, 0), again.output

    # another hop under the same model version reaches the flow, which refuses it
    other_hop = runner.invoke(app, ["detect", *model, "--device", "cpu", "--hop-s", "5"])
    assert other_hop.exit_code == 1
    assert "error: " in other_hop.stderr and "new version" in other_hop.stderr


def test_detect_needs_a_database_and_never_creates_one(data_dir: Path, tiny: TinyModel) -> None:
    model = ["--checkpoint", str(tiny.checkpoint), "--model-card", str(tiny.card)]
    result = runner.invoke(app, ["detect", *model, "--device", "cpu"])
    assert result.exit_code == 1
    assert "no database at" in result.stderr and "ranawatch ingest" in result.stderr
    assert not (data_dir / "ranawatch.db").exists()


def test_detect_bad_usage(data_dir: Path) -> None:
    for args in (["--limit", "0"], ["--batch-size", "0"], ["--device", "tpu"]):
        assert runner.invoke(app, ["detect", *args]).exit_code == 2, args
